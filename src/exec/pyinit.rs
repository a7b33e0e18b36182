//! Explicit CPython start-up: an explicit `PyConfig` so that the interpreter, its stdlib and an active virtualenv are the ones qa-lint chose (docs/architecture.md#the-build).
//!
//! pyo3's default `Py_InitializeEx(0)` derives `sys.prefix` from `python3` on PATH and ignores a
//! bare `VIRTUAL_ENV`. We set `program_name` ourselves: `$VIRTUAL_ENV/bin/python` when that venv has
//! a `pyvenv.cfg`, else the base interpreter baked by build.rs (`QA_BUILD_PYTHON`). CPython's getpath
//! then finds the venv's site-packages (and hides the global ones when the venv says so).

use pyo3::ffi;
use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Version of the linked libpython, e.g. "3.11.7" (safe to call before initialisation).
pub fn embedded_version() -> String {
    // SAFETY: Py_GetVersion returns a static NUL-terminated string and may be called pre-init.
    let v = unsafe { CStr::from_ptr(ffi::Py_GetVersion()) };
    v.to_string_lossy().split_whitespace().next().unwrap_or("").to_string()
}

fn major_minor(v: &str) -> String {
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// Checks a venv's `pyvenv.cfg` (`version` or `version_info`) against the embedded interpreter.
/// A venv made from another Python would mix stdlibs, so it is refused with a clear error.
pub fn check_venv(venv: &Path) -> Result<(), String> {
    let cfg_path = venv.join("pyvenv.cfg");
    let text = std::fs::read_to_string(&cfg_path).map_err(|e| format!("cannot read {}: {e}", cfg_path.display()))?;
    let embedded = embedded_version();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k == "version" || k == "version_info" {
            let v = v.trim();
            if major_minor(v) != major_minor(&embedded) {
                return Err(format!(
                    "the virtualenv {} (VIRTUAL_ENV) was made with Python {v}, but qa-lint embeds \
                     CPython {embedded}: create the venv with Python {} or rebuild qa-lint against \
                     that venv's base Python",
                    venv.display(),
                    major_minor(&embedded),
                ));
            }
            return Ok(());
        }
    }
    Ok(())
}

/// The interpreter path CPython should believe it is (drives sys.prefix / venv discovery).
pub fn program_name() -> Result<PathBuf, String> {
    if let Some(v) = std::env::var_os("VIRTUAL_ENV") {
        let venv = PathBuf::from(v);
        if venv.join("pyvenv.cfg").exists() {
            check_venv(&venv)?;
            return Ok(venv.join("bin/python"));
        }
    }
    let base = env!("QA_BUILD_PYTHON");
    if base.is_empty() {
        return Err("qa-lint was built without a base Python path (QA_BUILD_PYTHON is empty)".into());
    }
    Ok(PathBuf::from(base))
}

/// Initialise CPython once with an explicit `PyConfig`; afterwards `Python::attach` works as usual
/// (pyo3's auto-initialize sees `Py_IsInitialized()` and does nothing). Returns the GIL released.
pub fn init_python() -> Result<(), String> {
    static ONCE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    ONCE.get_or_init(init_inner).clone()
}

fn init_inner() -> Result<(), String> {
    let exe = program_name()?;
    let exe = CString::new(exe.as_os_str().as_bytes()).map_err(|e| e.to_string())?;
    // SAFETY: standard PyConfig life cycle on an uninitialised interpreter, single-threaded.
    unsafe {
        if ffi::Py_IsInitialized() != 0 {
            return Ok(());
        }
        let mut cfg = std::mem::MaybeUninit::<ffi::PyConfig>::uninit();
        ffi::PyConfig_InitPythonConfig(cfg.as_mut_ptr());
        let mut cfg = cfg.assume_init();
        let p = &raw mut cfg;
        (*p).install_signal_handlers = 0; // like pyo3's Py_InitializeEx(0)
        (*p).parse_argv = 0;
        let st = ffi::PyConfig_SetBytesString(p, &raw mut (*p).program_name, exe.as_ptr());
        if ffi::PyStatus_Exception(st) != 0 {
            ffi::PyConfig_Clear(p);
            return Err("PyConfig_SetBytesString(program_name) failed".into());
        }
        let st = ffi::Py_InitializeFromConfig(p);
        ffi::PyConfig_Clear(p);
        if ffi::PyStatus_Exception(st) != 0 {
            let msg = if st.err_msg.is_null() {
                "unknown error".to_string()
            } else {
                CStr::from_ptr(st.err_msg).to_string_lossy().into_owned()
            };
            return Err(format!("CPython initialisation failed: {msg}"));
        }
        ffi::PyEval_SaveThread(); // release the GIL like pyo3's own initialize()
    }
    Ok(())
}
