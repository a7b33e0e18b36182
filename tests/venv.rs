//! A snippet can import the packages of an active virtual environment (`VIRTUAL_ENV`).

mod common;

use std::process::Command;

/// A venv in `dir` (no pip), a page that imports `qa_venv_probe`, and the venv's site-packages.
fn venv_and_page(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let venv = dir.join("venv");
    let ok = Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap()
        .success();
    assert!(ok, "python3 -m venv");
    let site = std::fs::read_dir(venv.join("lib"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path()
        .join("site-packages");
    let md = "## 1. Where Do Packages Come From?\n\n```python\nimport qa_venv_probe\nprint(qa_venv_probe.ANSWER)  # 42\n```\n";
    std::fs::write(dir.join("a.md"), md).unwrap();
    (venv, site)
}

#[test]
fn snippets_see_the_active_virtualenv() {
    let dir = tempfile::tempdir().unwrap();
    let (venv, site) = venv_and_page(dir.path());
    std::fs::write(site.join("qa_venv_probe.py"), "ANSWER = 42\n").unwrap();
    let run = |venv: Option<&std::path::Path>| {
        let mut cmd = common::command(
            dir.path(),
            &[
                "--no-cache",
                "--output-format",
                "concise",
                "--config",
                "/dev/null",
                "a.md",
            ],
        );
        cmd.env_remove("VIRTUAL_ENV");
        if let Some(v) = venv {
            cmd.env("VIRTUAL_ENV", v);
        }
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    let with = run(Some(&venv));
    assert!(
        !with.contains("unexpected-exception") && !with.contains("output-mismatch"),
        "{with}"
    );
    let without = run(None);
    assert!(
        without.contains("[missing-module] `qa_venv_probe` is not installed"),
        "{without}"
    );
}

#[test]
fn a_module_installed_after_a_run_is_found_by_the_next_one() {
    // "Not installed" is not cached: installing the package is the fix the warning asks for.
    let dir = tempfile::tempdir().unwrap();
    let (venv, site) = venv_and_page(dir.path());
    let run = || {
        let args = [
            "--cache-dir",
            "cache",
            "--output-format",
            "concise",
            "--config",
            "/dev/null",
            "a.md",
        ];
        let mut cmd = common::command(dir.path(), &args);
        cmd.env("VIRTUAL_ENV", &venv);
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    let before = run();
    assert!(
        before.contains("[missing-module] `qa_venv_probe` is not installed"),
        "{before}"
    );
    std::fs::write(site.join("qa_venv_probe.py"), "ANSWER = 42\n").unwrap();
    let after = run();
    assert!(!after.contains("missing-module"), "{after}");
    assert!(after.contains("1 claim verified"), "{after}");
}
