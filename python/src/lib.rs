//! `qa_lint._native`: the command line and the worker entry point for the Python wheel.
//!
//! The wheel's `qa-lint` console script (`qa_lint/__main__.py`) calls [`main`] from the Python
//! it is installed in, so snippets import that environment's packages and run on its CPython.
//! Workers are the same interpreter started as `python -m qa_lint __worker`, which calls
//! [`worker`].

use pyo3::prelude::*;

/// Run the command line `argv` (program name first); returns the exit code. `worker_argv` is
/// how to start a worker (`[sys.executable, "-m", "qa_lint", "__worker"]`), `python` names the
/// interpreter (`CPython 3.12.1`), `prefix` is the environment the examples run in and
/// `project_env` names it when it is the project's, not qa-lint's own.
#[pyfunction]
#[pyo3(signature = (argv, worker_argv, python, prefix, project_env=None))]
fn main(
    py: Python<'_>,
    argv: Vec<String>,
    worker_argv: Vec<String>,
    python: String,
    prefix: String,
    project_env: Option<String>,
) -> i32 {
    let mut worker = worker_argv.into_iter();
    if let Some(program) = worker.next() {
        qa_lint::exec::pool::set_worker_command(qa_lint::exec::pool::WorkerCommand {
            program: program.into(),
            args: worker.map(Into::into).collect(),
            python,
            prefix,
            project_env,
        });
    }
    // Release the interpreter: the run is Rust and worker processes; nothing here needs it.
    py.detach(|| qa_lint::cli::run(argv))
}

/// Serve as a worker on this process's stdin/stdout; never returns.
#[pyfunction]
fn worker() {
    qa_lint::exec::worker_main()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(main, m)?)?;
    m.add_function(wrap_pyfunction!(worker, m)?)?;
    Ok(())
}
