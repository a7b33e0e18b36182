//! The worker process: `<exe> __worker`, started by [`super::pool`].
//!
//! It moves the protocol off fd 0/1 (raw writes to fd 1 by C code or subprocesses would corrupt
//! it; reads of fd 0 would block), starts CPython once, and hands the protocol fds to the Python
//! `serve()` loop of `qa_helper.py`, which runs entries in forked children.

use pyo3::prelude::*;
use pyo3::types::PyModule;
use std::ffi::CString;
use std::io::Write;
use std::os::fd::FromRawFd;

/// The worker's Python modules, embedded, in the order they load (each imports only those
/// before it); each module's own docstring says what it does. `qa_helper`, last, is the
/// worker's entry point (`serve`).
macro_rules! embedded {
    ($($name:ident),* $(,)?) => {
        [$((stringify!($name), include_str!(concat!(stringify!($name), ".py")))),*]
    };
}
const MODULES: [(&str, &str); 13] = embedded![
    qa_page,       // the page a child shares with its supervisor
    qa_stmt,       // what the runner knows of statements and names from the code
    qa_code,       // how the runner compiles a page's code as its reader runs it
    qa_session,    // `>>>` transcripts
    qa_runner,     // the block runner
    qa_risk,       // the static risk check
    qa_sandbox,    // the audit-hook sandbox
    qa_state,      // the state a serving process re-asserts, and a reused child compares
    qa_child,      // the entry child: set-up, running an entry, checks and reset
    qa_forkserver, // the fork server that forks the entry children
    qa_requests,   // reading the pool's requests, the next one ahead
    qa_reap,       // killing, sweeping and reaping children
    qa_helper,     // the supervisor
];

/// The embedded modules compiled by the build's Python (build.rs `precompile_embedded_python`).
const PRECOMPILED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/embedded_python.bin"));

/// The precompiled modules (name -> code object) when this Python's bytecode magic is the
/// build's; `None` (compile the sources) otherwise, or when anything about them is off.
fn precompiled(py: Python<'_>) -> Option<Bound<'_, pyo3::types::PyDict>> {
    precompiled_from(py, PRECOMPILED)
}

fn precompiled_from<'py>(py: Python<'py>, blob: &[u8]) -> Option<Bound<'py, pyo3::types::PyDict>> {
    let (magic, data) = (blob.get(..4)?, blob.get(4..)?);
    let ours = py
        .import("_frozen_importlib_external")
        .ok()?
        .getattr("MAGIC_NUMBER")
        .ok()?;
    if ours.extract::<Vec<u8>>().ok()? != magic {
        return None;
    }
    let codes = py
        .import("marshal")
        .ok()?
        .call_method1("loads", (pyo3::types::PyBytes::new(py, data),));
    codes.ok()?.cast_into::<pyo3::types::PyDict>().ok()
}

/// Runs one embedded module and registers it in `sys.modules` (as `PyModule::from_code`
/// does), from its precompiled code when there is one.
fn load_module<'py>(
    py: Python<'py>,
    precompiled: Option<&Bound<'py, pyo3::types::PyDict>>,
    name: &str,
    source: &str,
) -> PyResult<Bound<'py, PyModule>> {
    let file = CString::new(format!("{name}.py")).expect("a module name has no NUL");
    let code = precompiled.and_then(|d| d.get_item(name).ok().flatten());
    let name = CString::new(name).expect("a module name has no NUL");
    let Some(code) = code else {
        let source = CString::new(source).expect("embedded Python has no NUL");
        return PyModule::from_code(py, &source, &file, &name);
    };
    // SAFETY: `code` is a code object (marshalled by build.rs with this Python's magic); the
    // call returns a new reference or NULL with an exception set.
    let module = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            pyo3::ffi::PyImport_ExecCodeModuleEx(name.as_ptr(), code.as_ptr(), file.as_ptr()),
        )
    }?;
    Ok(module.cast_into::<PyModule>()?)
}

/// Called in each entry's forked child (through Python): kill the child with SIGKILL when the
/// worker (its parent) dies, so a killed worker never leaves snippets running.
#[pyfunction]
fn _child_setup(parent_pid: i32) -> bool {
    // SAFETY: plain syscalls.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0);
        libc::getppid() == parent_pid
    }
}

/// `os.fork()` for the fork server (`qa_forkserver.py`): the same steps (CPython's fork hooks
/// around the fork, the GIL held), but the new process is a child of the fork server's parent,
/// the supervisor (`CLONE_PARENT`), which waits for it and reads how it ended.
#[pyfunction]
fn _fork_sibling() -> PyResult<i32> {
    // SAFETY: clone without CLONE_VM and with no new stack is fork(2) with another parent;
    // the fork server is single-threaded (forked from the supervisor), so no lock is held by a
    // thread the child would not have. PyOS_BeforeFork/AfterFork_* are what os.fork() calls.
    let (pid, err) = unsafe {
        pyo3::ffi::PyOS_BeforeFork();
        let pid = libc::syscall(
            libc::SYS_clone,
            (libc::CLONE_PARENT | libc::SIGCHLD) as libc::c_ulong,
            0usize,
            0usize,
            0usize,
            0usize,
        );
        let err = std::io::Error::last_os_error();
        if pid == 0 {
            pyo3::ffi::PyOS_AfterFork_Child();
        } else {
            pyo3::ffi::PyOS_AfterFork_Parent();
        }
        (pid, err)
    };
    if pid < 0 {
        return Err(err.into());
    }
    Ok(pid as i32)
}

/// Called once in each forked child of a confined worker (through Python), after it read its
/// first request: see `confine_child.rs`. An error stops the child before any snippet runs;
/// otherwise, how long each step took (name, µs).
#[pyfunction]
fn _confine(
    root: &str,
    scratch_bytes: u64,
    allow_network: bool,
    allow_subprocess: bool,
    allow_writes_outside: bool,
) -> PyResult<Vec<(&'static str, u64)>> {
    let rules = super::confine_child::ChildRules {
        root,
        scratch_bytes,
        allow_network,
        allow_subprocess,
        allow_writes_outside,
    };
    super::confine_child::confine(&rules)
        .map_err(|e| pyo3::exceptions::PyOSError::new_err(format!("qa-lint confinement failed: {e}")))
}

/// Entry point of a worker process (`<exe> __worker [kernel]`). Never returns. With `kernel`
/// the worker enters its namespaces first (see `confine.rs`) and confines every child.
pub fn worker_main() -> ! {
    // The argument after `__worker`: in the wheel the process is `python -m qa_lint __worker`.
    let kernel = std::env::args()
        .skip_while(|a| a != super::WORKER_ARG)
        .nth(1)
        .as_deref()
        == Some(super::KERNEL_ARG);
    // SAFETY: fd juggling before any other thread exists.
    let (pin, pout) = unsafe {
        let pin = libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3);
        let pout = libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if pin < 0 || pout < 0 || null < 0 {
            libc::_exit(3);
        }
        libc::dup2(null, 0);
        libc::dup2(2, 1);
        libc::close(null);
        (pin, pout)
    };
    let fatal = |msg: String| -> ! {
        // SAFETY: pout is our own fd.
        let mut f = unsafe { std::fs::File::from_raw_fd(pout) };
        let line = serde_json::json!({ "fatal": msg }).to_string();
        let _ = writeln!(f, "{line}");
        let _ = f.flush();
        std::mem::forget(f);
        std::process::exit(2)
    };
    if kernel {
        if let Err(e) = super::confine::enter_worker_namespaces(&[pin, pout]) {
            fatal(format!("cannot confine the worker: {e}"));
        }
        // Before any fork: every child inherits the seccomp programs it would otherwise build.
        super::confine_seccomp::prepare();
    }
    let me = std::process::id();
    // In the wheel this process is `python -m qa_lint __worker`: CPython is already running.
    #[cfg(feature = "embed")]
    if let Err(e) = super::pyinit::init_python() {
        fatal(e);
    }
    let res: PyResult<()> = Python::attach(|py| {
        // Each module is registered in sys.modules as it loads, so qa_helper's imports find them.
        let precompiled = precompiled(py);
        let mut helper = None;
        for (name, source) in MODULES {
            helper = Some(load_module(py, precompiled.as_ref(), name, source)?);
        }
        let m = helper.expect("qa_helper is the last module");
        let setup = wrap_pyfunction!(_child_setup, py)?;
        let fork_sibling = wrap_pyfunction!(_fork_sibling, py)?;
        let confine = if kernel {
            wrap_pyfunction!(_confine, py)?.into_any()
        } else {
            py.None().into_bound(py)
        };
        m.getattr("serve")?.call1((pin, pout, setup, fork_sibling, confine))?;
        Ok(())
    });
    if std::process::id() != me {
        // A forked child escaped the helper's own `os._exit`: never touch the protocol.
        // SAFETY: immediate exit.
        unsafe { libc::_exit(0) }
    }
    match res {
        Ok(()) => std::process::exit(0), // parent closed our stdin
        Err(e) => {
            let msg = Python::attach(|py| {
                let tb = e.traceback(py).and_then(|t| t.format().ok()).unwrap_or_default();
                format!("qa_helper.serve failed: {tb}{e}")
            });
            fatal(msg)
        }
    }
}

#[cfg(all(test, feature = "embed"))]
mod tests {
    use super::*;

    #[test]
    fn the_build_compiles_every_embedded_module_for_this_python_and_no_other() {
        super::super::pyinit::init_python().unwrap();
        Python::attach(|py| {
            let codes = precompiled(py).expect("built by this Python: its magic matches");
            for (name, _) in MODULES {
                assert!(codes.contains(name).unwrap(), "{name} is not precompiled");
            }
            // Another Python's bytecode, or none at all: the sources are compiled instead.
            let mut other = PRECOMPILED.to_vec();
            other[0] ^= 0xff;
            assert!(precompiled_from(py, &other).is_none());
            assert!(precompiled_from(py, b"").is_none());
            let m = load_module(py, None, "qa_probe", "X = 1\n").unwrap();
            assert_eq!(m.getattr("X").unwrap().extract::<i32>().unwrap(), 1);
        });
    }
}
