// glibc malloc spent more time in free/consolidate than qa-lint spent parsing on large
// corpora (perf, 50 MB file); mimalloc removes that, as ruff's and rumdl's allocators do.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Workers are this binary re-executed; they must branch off before anything else runs.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == qa_lint::exec::WORKER_ARG)
    {
        qa_lint::exec::worker_main();
    }
    std::process::exit(qa_lint::cli::main());
}
