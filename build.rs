//! Make a plain `cargo build` produce a binary that finds *its* libpython at run time.
//!
//! Without a RUNPATH the loader may pick another libpython of the same soname (Debian's
//! 3.11.2 beside pyenv's 3.11.7, see docs/architecture.md), so we bake the lib dir pyo3
//! linked against. We also bake the *base* interpreter path: building inside a venv would
//! otherwise record the venv's python, and start-up resolves `sys.prefix` from it.
fn main() {
    // Only the binary links libpython; the wheel's extension module must not.
    if std::env::var_os("CARGO_FEATURE_EMBED").is_some() {
        pyo3_build_config::add_libpython_rpath_link_args();
    }
    let ask = |code: &str| {
        pyo3_build_config::get()
            .executable()
            .and_then(|exe| std::process::Command::new(exe).args(["-c", code]).output().ok())
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let base = ask("import sys; print(sys._base_executable)");
    println!("cargo:rustc-env=QA_BUILD_PYTHON={base}");
    // The embedded interpreter's version, known without starting Python: cache keys and the
    // summary of a fully cached run use it.
    let version = ask("import platform; print(platform.python_implementation(), platform.python_version())");
    println!("cargo:rustc-env=QA_BUILD_PYTHON_VERSION={version}");
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-env-changed=VIRTUAL_ENV");
    println!("cargo:rerun-if-changed=build.rs");
}
