//! The Python wheel (pyproject.toml, built by maturin): installed into a fresh venv of every
//! CPython on the machine, its `qa-lint` runs the examples on that venv's Python, with that
//! venv's packages, and names that Python in the summary; `pipx run` and `uvx` run it too.
//! The wheel comes from `QA_LINT_WHEEL_DIR` (`.ci/run` builds it) or `target/wheels`; in CI
//! a missing wheel fails the test instead of skipping it.

mod common;
use common::built_wheel;
use std::path::PathBuf;
use std::process::Command;

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The CPython 3.9-3.13 interpreters on PATH, as (command, "CPython X.Y.Z").
fn pythons() -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut candidates: Vec<String> = [
        "python3.9",
        "python3.10",
        "python3.11",
        "python3.12",
        "python3.13",
        "python3",
    ]
    .map(String::from)
    .to_vec();
    // pyenv installs versions side by side without putting each on PATH.
    let pyenv = std::env::var_os("PYENV_ROOT").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".pyenv"),
        PathBuf::from,
    );
    if let Ok(versions) = std::fs::read_dir(pyenv.join("versions")) {
        let mut dirs: Vec<PathBuf> = versions.flatten().map(|e| e.path()).collect();
        dirs.sort();
        candidates.extend(dirs.iter().map(|d| d.join("bin/python3").display().to_string()));
    }
    for cmd in &candidates {
        let out = Command::new(cmd)
            .args([
                "-c",
                "import platform; print(platform.python_implementation(), platform.python_version())",
            ])
            .output();
        let Some(out) = out.ok().filter(|o| o.status.success()) else {
            continue;
        };
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let supported = ["3.9.", "3.10.", "3.11.", "3.12.", "3.13."]
            .iter()
            .any(|v| version.starts_with(&format!("CPython {v}")));
        if supported && !found.iter().any(|(_, v)| *v == version) {
            found.push((cmd.clone(), version));
        }
    }
    found
}

const PROBE_ENTRY: &str = "## 1. Which Python Runs the Examples?\n\n**Short answer:** The one qa-lint is installed for.\n\nThe example environment is the venv that qa-lint is installed in. In practice, install what they import next to qa-lint.\n\n```python\nimport sys, qa_probe\nprint(qa_probe.WHERE)  # the venv\nprint(sys.prefix == qa_probe.PREFIX)  # True\n```\n\n```python\nprint(sys.version_info >= (3, 12))\n```\n\nOutput (Python 3.12+):\n\n```output\nTrue\n```\n\n### Common Mistake\n\nInstalling packages somewhere else.\n\n### How I Would Say It in an Interview\n\n> The hook's environment is the examples' environment.\n";

#[test]
fn the_wheel_runs_on_the_python_and_packages_of_its_environment() {
    let Some(wheel) = built_wheel() else { return };
    let pythons = pythons();
    assert!(!pythons.is_empty(), "no python3 on PATH");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("probe.md"), PROBE_ENTRY).unwrap();
    for (i, (python, version)) in pythons.iter().enumerate() {
        let venv = dir.path().join(format!("venv{i}"));
        // A module only this venv has: the examples can import it only if they run here.
        probe_venv(python, &venv);
        install_wheel(&venv, &wheel);
        let out = Command::new(venv.join("bin/qa-lint"))
            .args(["--no-cache", "--output-format", "concise", "probe.md"])
            .current_dir(dir.path())
            .env_remove("VIRTUAL_ENV")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{python}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The output shown for 3.12+ is judged there and only there.
        let newer = ["3.9.", "3.10.", "3.11."]
            .iter()
            .all(|v| !version.starts_with(&format!("CPython {v}")));
        let expected = if newer {
            format!("0 errors, 0 warnings in 1 file, 1 entry; 3 claims verified on {version}")
        } else {
            format!(
                "0 errors, 0 warnings in 1 file, 1 entry; 2 claims verified on {version}; 1 not verified: 1 is for another Python"
            )
        };
        assert_eq!(stdout.trim_end(), expected, "{python}");
    }
}

fn module_available(module: &str) -> bool {
    Command::new("python3")
        .args(["-m", module, "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn pipx_run_and_uvx_run_the_wheel() {
    let Some(wheel) = built_wheel() else { return };
    let dir = tempfile::tempdir().unwrap();
    let home = |name: &str| dir.path().join(name);
    let expected = format!("qa-lint {}\n", env!("CARGO_PKG_VERSION"));
    if common::need(module_available("pipx"), "pipx (`python3 -m pipx`)") {
        let out = Command::new("python3")
            .args(["-m", "pipx", "run", "--spec"])
            .arg(&wheel)
            .args(["qa-lint", "--version"])
            .env("PIPX_HOME", home("pipx"))
            .env("PIPX_BIN_DIR", home("pipx-bin"))
            .env("PIP_NO_INDEX", "1")
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).ends_with(&expected), "{out:?}");
    }
    if common::need(module_available("uv"), "uv (`python3 -m uv`)") {
        // `uvx` is `uv tool run`.
        let out = Command::new("python3")
            .args(["-m", "uv", "tool", "run", "--offline", "--from"])
            .arg(&wheel)
            .args(["qa-lint", "--version"])
            .env("UV_CACHE_DIR", home("uv-cache"))
            .env("UV_TOOL_DIR", home("uv-tools"))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{out:?}");
    }
}

/// `pip install` the wheel into the venv at `venv`, from the file alone.
fn install_wheel(venv: &std::path::Path, wheel: &std::path::Path) {
    let (ok, text) = run(Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--disable-pip-version-check",
        ])
        .arg(wheel));
    assert!(ok, "{}: {text}", venv.display());
}

/// A venv at `at` of `python` with a module `qa_probe` that only it has.
fn probe_venv(python: &str, at: &std::path::Path) {
    let (ok, text) = run(Command::new(python).args(["-m", "venv"]).arg(at));
    assert!(ok, "{python}: {text}");
    let purelib = Command::new(at.join("bin/python"))
        .args(["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
        .output()
        .unwrap();
    let purelib = PathBuf::from(String::from_utf8_lossy(&purelib.stdout).trim());
    std::fs::write(
        purelib.join("qa_probe.py"),
        "import sys\nWHERE = 'the venv'\nPREFIX = sys.prefix\n",
    )
    .unwrap();
}

/// qa-lint installed as a tool (its own venv, as pipx and `uv tool` do) runs the examples on
/// the project's environment: the venv `VIRTUAL_ENV` names, else the nearest `.venv`.
#[test]
fn a_tool_install_runs_the_examples_on_the_projects_environment() {
    let Some(wheel) = built_wheel() else { return };
    let pythons = pythons();
    let (tool_python, _) = pythons.first().expect("no python3 on PATH");
    // The project's Python: another version where the machine has one.
    let (project_python, project_version) = pythons.last().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tool = dir.path().join("tool");
    let (ok, text) = run(Command::new(tool_python).args(["-m", "venv"]).arg(&tool));
    assert!(ok, "{text}");
    install_wheel(&tool, &wheel);
    let project = dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(project.join("probe.md"), PROBE_ENTRY).unwrap();
    probe_venv(project_python, &project.join(".venv"));
    let newer = ["3.9.", "3.10.", "3.11."]
        .iter()
        .all(|v| !project_version.starts_with(&format!("CPython {v}")));
    // The summary names the Python and the environment that ran the examples.
    let expected = if newer {
        format!("0 errors, 0 warnings in 1 file, 1 entry; 3 claims verified on {project_version} in .venv")
    } else {
        format!("0 errors, 0 warnings in 1 file, 1 entry; 2 claims verified on {project_version} in .venv; 1 not verified: 1 is for another Python")
    };
    // Named by VIRTUAL_ENV (from elsewhere), then found as ./.venv.
    for virtual_env in [Some(project.join(".venv")), None] {
        let mut cmd = Command::new(tool.join("bin/qa-lint"));
        cmd.args(["--no-cache", "--output-format", "concise", "probe.md"]);
        match &virtual_env {
            Some(v) => cmd.current_dir(&project).env("VIRTUAL_ENV", v),
            None => cmd.current_dir(&project).env_remove("VIRTUAL_ENV"),
        };
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            stdout.trim_end(),
            expected,
            "VIRTUAL_ENV={virtual_env:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
