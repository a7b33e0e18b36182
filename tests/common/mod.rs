//! Running the real binary the way a user does, from the repository root; reading its JSON
//! report back ([`report`]); the expected diagnostics fixtures carry as markers ([`markers`]).
#![allow(dead_code)]

pub mod markers;
pub mod report;
// Each test crate uses some of these (the module-wide dead_code allowance does not reach uses).
#[allow(unused_imports)]
pub use report::{report, report_value, Finding, Severity};

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Run `qa-lint ARGS` in `dir` with colours off and a clean cache.
pub fn qa_in(dir: &Path, args: &[&str]) -> Output {
    qa_in_env(dir, args, &[])
}

/// [`qa_in`] with extra environment variables for qa-lint.
pub fn qa_in_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    run(dir, args, env, None)
}

/// [`qa_in`] with `input` on standard input (`qa-lint -`).
pub fn qa_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    run(dir, args, &[], Some(input))
}

/// The qa-lint binary under test, for a test that must start it through another program
/// (`script` for a terminal, `unshare`, pre-commit through `PATH`).
pub fn exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_qa-lint"))
}

/// The one way the tests start the binary: `qa-lint ARGS` in `dir`, with colours off, a fresh
/// cache and no inherited output format. [`qa_in`] and its siblings run it to the end; a test
/// that needs the process itself (a live server, a worker speaking the protocol, a run it
/// kills) adds its own stdio and environment (a later `env` wins) and spawns it.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(exe());
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        // A fresh cache per run: snapshots must not depend on what ran before (tests of the
        // cache pass --cache-dir, which wins over the environment).
        .env("QA_LINT_CACHE_DIR", fresh_cache_dir())
        .env_remove("QA_LINT_OUTPUT_FORMAT");
    cmd
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)], input: Option<&[u8]>) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command(dir, args)
        .envs(env.iter().copied())
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run qa-lint");
    if let Some(bytes) = input {
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(bytes)
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("run qa-lint");
    Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

pub fn qa(args: &[&str]) -> Output {
    qa_in(&root(), args)
}

/// Relative path of a fixture, as a user would type it from the repo root.
pub fn rel(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

/// Settings that keep snapshots independent of the machine's Python patch version.
pub fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"CPython \d+\.\d+\.\d+", "CPython [VERSION]");
    s
}

fn fresh_cache_dir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "qa-lint-test-cache-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Whether a test may go on, given something it needs from the machine (a tool, a Python
/// package, a built wheel). When it is missing the test says so on stderr as `SKIPPED:` and the
/// caller returns; under CI (`CI` set, as GitHub Actions does; `.ci/run` installs every need)
/// it fails instead, so CI never passes a test that did not run.
pub fn need(present: bool, what: &str) -> bool {
    if !present {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must provide {what} (.ci/run installs it)"
        );
        eprintln!("SKIPPED: {what} is not available");
    }
    present
}

/// Whether the `python3` on PATH can import `module`.
pub fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The abi3 wheel to test, from `QA_LINT_WHEEL_DIR` (`.ci/run` builds it) or `target/wheels`;
/// `None` (the caller skips) when there is none; see [`need`].
pub fn built_wheel() -> Option<PathBuf> {
    let dir = std::env::var_os("QA_LINT_WHEEL_DIR").map_or_else(|| root().join("target/wheels"), PathBuf::from);
    let wheel = std::fs::read_dir(&dir).ok().and_then(|entries| {
        entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains("-abi3-")))
            .max()
    });
    need(
        wheel.is_some(),
        &format!("a wheel in {} (`maturin build --release --out {0}`)", dir.display()),
    );
    wheel
}

/// Markdown with one entry per snippet (a numbered question, a short answer, the snippet as a
/// Python block), for the tests that write hostile or probing snippets.
pub fn entries_markdown<S: AsRef<str>>(codes: &[S]) -> String {
    let mut md = String::from("# Confinement\n\n");
    for (i, code) in codes.iter().enumerate() {
        md.push_str(&format!(
            "## {}. What does snippet {} do?\n\n**Short answer:** It tests the boundary.\n\n```python\n{}\n```\n\n",
            i + 1,
            i + 1,
            code.as_ref()
        ));
    }
    md
}
