//! Running the Python code blocks of Q&A entries: the worker pool, the worker process, CPython start-up and the Python side (supervisor, runner, sandbox hook).
//!
//! * [`Pool`] (pool.rs): N worker processes (`<exe> __worker`), a watchdog, crash containment;
//!   worker_process.rs starts and kills one and reads its answers under a deadline; claim.rs
//!   divides a run's jobs among the worker threads.
//! * [`worker_main`] (worker.rs): the worker process; the binary's `main` must call it when
//!   `argv[1] == "__worker"`, before doing anything else.
//! * pyinit.rs: explicit CPython start-up honouring `VIRTUAL_ENV` (refuses a venv of another version).
//! * qa_helper.py: the Python supervisor (forked children reused per file when safe, a spare
//!   child forked ahead); qa_forkserver.py: the pristine copy of the supervisor that forks the
//!   children (so the supervisor's own pages are never shared again); qa_child.py: the child
//!   (set-up, rlimits, sandbox, the reset between entries); qa_runner.py: the block runner,
//!   with qa_stmt.py (what statements bind and hold), qa_code.py (compiling a page's code as its
//!   reader runs it), qa_session.py (`>>>` transcripts) and qa_state.py (the state a process
//!   serving many entries re-asserts, and what a reused child compares around each entry);
//!   qa_requests.py: the supervisor's reading of the pool's requests, the next one ahead.
//! * confine.rs, confine_child.rs, confine_seccomp.rs: kernel confinement (namespaces, Landlock,
//!   seccomp; the seccomp programs built once per worker).
//! * protocol.rs: the public job/result types and the wire protocol (documented there).
//!
//! Typical use:
//! ```ignore
//! let pool = exec::Pool::new(0, exec::Limits::default());
//! let version = pool.python_version()?;            // "CPython 3.11.7" (or a clear venv error)
//! pool.run(jobs, |i, outcome| progress(i, outcome));   // completion order, from worker threads
//! let outcomes = pool.run_collect(jobs2);              // or: in job order
//! ```

mod claim;
pub mod confine;
mod confine_child;
mod confine_seccomp;
pub mod pool;
pub mod protocol;
/// Starting the embedded interpreter: only the cargo-built binary embeds one; in the wheel
/// the worker is already a Python process.
#[cfg(feature = "embed")]
pub mod pyinit;
pub mod worker;
mod worker_process;

pub use self::pool::Pool;
pub use self::protocol::*;
pub use self::worker::worker_main;

/// The argument that makes the binary act as a worker (`<exe> __worker`).
pub const WORKER_ARG: &str = "__worker";
/// Second argument of a worker that confines itself and its children (`<exe> __worker kernel`).
pub const KERNEL_ARG: &str = "kernel";

/// The Python a run reports and keys its cache on when it starts no worker: the environment's
/// (wheel) or the one built against (binary).
pub fn python_version_hint() -> String {
    match pool::worker_command() {
        Some(w) => w.python.clone(),
        None => build_python_version().to_string(),
    }
}

/// The embedded Python as built (`CPython 3.11.7`), known without starting it.
pub fn build_python_version() -> &'static str {
    env!("QA_BUILD_PYTHON_VERSION")
}
