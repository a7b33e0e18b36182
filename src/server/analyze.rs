//! Checking an open document: the static half in-process (milliseconds, no Python), and the
//! examples in a `qa-lint check -` child process.
//!
//! Execution runs as a child, not in the server, so that it can be cancelled at any moment:
//! the worker pool has no way to abandon an entry that is running, but killing the child's
//! process group ends it, its workers (PDEATHSIG) and their forked snippets at once. The
//! child is the CLI itself, so configuration discovery, the pool, the sandbox, the limits and
//! the result cache are exactly those of `qa-lint check`, and its JSON report (a committed
//! format) carries every rule, span, severity, help and fix.

use crate::diagnostic::Diagnostic;
use crate::pipeline;
use crate::settings::{CommandLine, RunSettings};
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The configuration for `path`, found the way `qa-lint check` finds it for a file.
pub fn load(path: &Path) -> Result<(crate::config::Config, crate::validate::Policies), String> {
    let start = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::settings::load(start, None, None).map_err(|e| {
        let help = e.help().map(|h| format!(" ({h})")).unwrap_or_default();
        // A config error names its file and line: the problem is there, not in this file.
        let place = e.downcast_ref::<crate::config::ConfigError>().map(|c| {
            let line = c.span.map(|s| {
                c.src.inner()[..s.offset().min(c.src.inner().len())]
                    .matches('\n')
                    .count()
                    + 1
            });
            match line {
                Some(l) => format!("{}:{l}: ", c.path),
                None => format!("{}: ", c.path),
            }
        });
        format!("{}{e}{help}", place.unwrap_or_default())
    })
}

/// Structure, schema and suppressions for `text` as the file `path`; no Python runs.
pub fn check_static(path: &Path, text: &str) -> Result<Vec<Diagnostic>, String> {
    let (config, policy) = load(path)?;
    let cli = CommandLine {
        jobs: Some(1),
        no_exec: true,
        quiet: true,
        stdin: Some((path.to_path_buf(), text.as_bytes().to_vec())),
        ..CommandLine::default()
    };
    let opts = RunSettings::resolve(&config, cli, &policy.rule_names())?;
    // A bug on some input must cost this check, not the editor's whole session.
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pipeline::run(&opts, &policy)));
    let (reports, _) = run
        .map_err(|_| "internal error while checking this text (see the server's log)".to_string())?
        .map_err(|e| e.to_string())?;
    Ok(reports.into_iter().flat_map(|r| r.diagnostics).collect())
}

fn parse_report(json: &str) -> Result<Vec<Diagnostic>, String> {
    let items = crate::report::merge::parse(json).map_err(|e| format!("unreadable report from qa-lint check: {e}"))?;
    Ok(items.into_iter().map(|(_, d)| d).collect())
}

/// How a run ended.
pub enum RunResult {
    Done(Vec<Diagnostic>),
    /// qa-lint could not do its job (exit code 2): its message.
    Failed(String),
    Cancelled,
}

/// A running `qa-lint check -`; [`Run::cancel`] kills it and everything it started.
pub struct Run {
    pid: i32,
    /// Set once the child has been reaped, after which its pid may belong to someone else.
    reaped: Arc<Mutex<bool>>,
}

impl Run {
    pub fn cancel(&self) {
        let reaped = self.reaped.lock().unwrap_or_else(|e| e.into_inner());
        if !*reaped {
            // SAFETY: kill(2) on the process group the child leads (made with process_group(0)).
            unsafe {
                libc::kill(-self.pid, libc::SIGKILL);
            }
        }
    }
}

/// Start checking `text` as `path` (relative to `cwd`: see [`super::store::Doc::run_path`]) with execution; `done` receives the result on another thread.
pub fn spawn_exec(
    exe: &Path,
    cwd: &Path,
    path: &Path,
    text: &str,
    done: impl FnOnce(RunResult) + Send + 'static,
) -> std::io::Result<Run> {
    let mut child = crate::exec::pool::cli_command(exe)
        .args([
            "check",
            "-",
            "--output-format",
            "json",
            "--quiet",
            "--exit-zero",
            "--stdin-filename",
        ])
        .arg(path)
        .current_dir(cwd)
        .env_remove("QA_LINT_OUTPUT_FORMAT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    let pid = child.id() as i32;
    let reaped = Arc::new(Mutex::new(false));
    let run = Run {
        pid,
        reaped: reaped.clone(),
    };
    let input = text.as_bytes().to_vec();
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    std::thread::Builder::new()
        .name("qa-lint-server-run".into())
        .spawn(move || {
            // The child reads all of its input before it writes anything, so writing first
            // cannot deadlock; a child killed early makes the write fail, which is fine.
            if let Some(mut s) = stdin.take() {
                let _ = s.write_all(&input);
            }
            let err_reader = std::thread::spawn(move || {
                let mut s = String::new();
                if let Some(e) = stderr.as_mut() {
                    let _ = e.read_to_string(&mut s);
                }
                s
            });
            let mut out = String::new();
            if let Some(o) = stdout.as_mut() {
                let _ = o.read_to_string(&mut out);
            }
            let err = err_reader.join().unwrap_or_default();
            // Poll rather than block in wait(): reaping happens under the lock `cancel` takes,
            // so a cancel never signals a pid that was already recycled.
            let status = loop {
                let mut r = reaped.lock().unwrap_or_else(|e| e.into_inner());
                match child.try_wait() {
                    Ok(Some(status)) => {
                        *r = true;
                        break Some(status);
                    }
                    Ok(None) => {}
                    Err(_) => {
                        *r = true;
                        break None;
                    }
                }
                drop(r);
                std::thread::sleep(Duration::from_millis(10));
            };
            let result = match status.and_then(|s| s.code()) {
                None => RunResult::Cancelled,
                Some(0 | 1) => match parse_report(&out) {
                    Ok(d) => RunResult::Done(d),
                    Err(e) => RunResult::Failed(e),
                },
                Some(_) => RunResult::Failed(err.trim().to_string()),
            };
            done(result);
        })?;
    Ok(run)
}

/// The binary to run for execution: this one (in the wheel, the interpreter qa-lint runs on,
/// as `sys.executable` names it, so a venv stays a venv).
pub fn current_exe() -> PathBuf {
    crate::exec::pool::worker_command().map_or_else(
        || std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe")),
        |w| w.program.clone(),
    )
}

/// A document parsed as the check parses it, with what it was parsed under.
pub struct Parsed {
    pub config: crate::config::Config,
    pub source: crate::source::SourceFile,
    pub doc: crate::entry::Document,
}

/// Parse `text` (the file `path`, named `shown` as a run names it) for code actions and hover.
pub fn parse(path: &Path, shown: &Path, text: &str) -> Option<Parsed> {
    let (config, _) = load(path).ok()?;
    let source = crate::source::SourceFile::from_bytes(shown.to_path_buf(), text.as_bytes()).ok()?;
    let doc = crate::markdown::parse(&source, config.entries, config.dialect);
    Some(Parsed { config, source, doc })
}
