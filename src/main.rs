// glibc malloc spent more time in free/consolidate than qa-lint spent parsing on large
// corpora (perf, 50 MB file); mimalloc removes that, as ruff's and rumdl's allocators do.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // mimalloc asks for transparent huge pages on its arenas (MADV_HUGEPAGE), so the first
    // touch of each 2 MiB region has the kernel zero all of it: 70% of a one-file run and 18%
    // of `--no-exec` on 10k blocks (perf). A linter lives for milliseconds and touches little
    // of each region, so THP is off for this process; the flag is checked at every page fault
    // (arenas mimalloc reserved before main included) and holds in the workers too.
    // SAFETY: a prctl on this process only.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    // Workers are this binary re-executed; they must branch off before anything else runs.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == qa_lint::exec::WORKER_ARG)
    {
        qa_lint::exec::worker_main();
    }
    std::process::exit(qa_lint::cli::main());
}
