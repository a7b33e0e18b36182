fn main() {
    std::process::exit(qa_lint::cli::main());
}
