//! The worker processes of the pool, seen from qa-lint's side: starting one (`<exe> __worker`,
//! with a scrubbed environment, in its own process group, dying with qa-lint), killing it, and
//! reading its answer lines under a deadline.

use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// How to start a worker when this process is not a self-contained qa-lint binary: in the
/// Python wheel, qa-lint runs inside the Python that imported it, so a worker is that Python
/// running `-m qa_lint __worker` (which calls [`super::worker_main`]), not `current_exe()`.
#[derive(Clone, Debug)]
pub struct WorkerCommand {
    /// The interpreter (`sys.executable`).
    pub program: PathBuf,
    /// Its arguments, ending with `__worker`.
    pub args: Vec<std::ffi::OsString>,
    /// `CPython 3.12.1`: what a run that starts no worker reports, and part of the cache salt.
    pub python: String,
    /// `sys.prefix`: the environment whose packages the examples import (cache salt).
    pub prefix: String,
    /// The project's environment (`VIRTUAL_ENV` or a `.venv` found above the current
    /// directory) when the examples run there rather than where qa-lint is installed: the
    /// summary names it.
    pub project_env: Option<String>,
}

static WORKER_COMMAND: std::sync::OnceLock<WorkerCommand> = std::sync::OnceLock::new();

/// Start workers with `cmd` instead of re-executing this binary (set once, before any pool).
pub fn set_worker_command(cmd: WorkerCommand) {
    let _ = WORKER_COMMAND.set(cmd);
}

/// The worker command set by [`set_worker_command`], if any.
pub fn worker_command() -> Option<&'static WorkerCommand> {
    WORKER_COMMAND.get()
}

/// A command that runs qa-lint's own command line in a child process (`exe` is this binary):
/// the binary itself, or in the wheel the interpreter with the worker's arguments minus
/// `__worker` (`python -m qa_lint`).
pub fn cli_command(exe: &std::path::Path) -> Command {
    let mut cmd = Command::new(exe);
    if let Some(w) = worker_command().filter(|w| w.program == exe) {
        cmd.args(&w.args[..w.args.len().saturating_sub(1)]);
    }
    cmd
}

/// What a worker is given of qa-lint's environment: `VIRTUAL_ENV` and `QA_LINT_EXEC_TRACE`.
pub(super) type WorkerEnv = (Option<std::ffi::OsString>, Option<std::ffi::OsString>);

pub(super) fn spawn_worker_process(
    exe: &std::path::Path,
    kernel: bool,
    spare: bool,
    env: &WorkerEnv,
) -> io::Result<Child> {
    let mut cmd = Command::new(exe);
    match worker_command().filter(|w| w.program == exe) {
        Some(w) => cmd.args(&w.args),
        None => cmd.arg(super::WORKER_ARG),
    };
    if kernel {
        cmd.arg(super::KERNEL_ARG);
    }
    cmd.env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("LANG", "C.UTF-8")
        .env("PYTHONHASHSEED", "0")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let (venv, trace) = env;
    if let Some(v) = venv {
        cmd.env("VIRTUAL_ENV", v);
    }
    // Debugging aid: the supervisor logs forks, reuses and why a child was retired to stderr.
    if let Some(v) = trace {
        cmd.env("QA_LINT_EXEC_TRACE", v);
    }
    cmd.env("QA_LINT_SPARE", if spare { "1" } else { "0" });
    // SAFETY: only async-signal-safe calls between fork and exec.
    let parent = unsafe { libc::getpid() };
    unsafe {
        cmd.pre_exec(move || {
            libc::setpgid(0, 0);
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0);
            if libc::getppid() != parent {
                libc::_exit(1); // parent already gone
            }
            let zero = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &zero);
            Ok(())
        });
    }
    cmd.spawn()
}

pub(super) struct Worker {
    pub(super) pid: i32,
    pub(super) child: Child,
    /// `None` once the pool is shutting down.
    pub(super) stdin: Option<ChildStdin>,
    pub(super) out: LineReader,
}

impl Worker {
    /// Waits for the worker to exit on its own, until `deadline`.
    pub(super) fn wait_until(&mut self, deadline: Instant) {
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(None) => std::thread::sleep(Duration::from_millis(1)),
                _ => return,
            }
        }
    }

    /// Kills the worker's whole process group and reaps it; returns how it ended.
    pub(super) fn kill(&mut self) -> String {
        if let Ok(Some(st)) = self.child.try_wait() {
            return describe(st);
        }
        // SAFETY: plain syscalls on our own child / its group.
        unsafe {
            libc::kill(-self.pid, libc::SIGKILL);
            libc::kill(self.pid, libc::SIGKILL);
        }
        match self.child.wait() {
            Ok(st) => describe(st),
            Err(e) => format!("wait failed: {e}"),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

fn describe(st: std::process::ExitStatus) -> String {
    match (st.code(), st.signal()) {
        (Some(c), _) => format!("worker exit code {c}"),
        (_, Some(s)) => format!("worker killed by signal {s}"),
        _ => "worker ended".into(),
    }
}

pub(super) enum ReadErr {
    Timeout,
    TooLong,
    Eof,
    Io(io::Error),
}

/// Line reader with a deadline (poll(2) on the pipe; no reader thread).
pub(super) struct LineReader {
    pipe: ChildStdout,
    buf: Vec<u8>,
    scanned: usize,
    /// What one read takes from the pipe: allocated once (a fresh zeroed 64 KiB per answer
    /// was a visible share of the main process's time per entry).
    chunk: Box<[u8]>,
}

impl LineReader {
    pub(super) fn new(pipe: ChildStdout) -> Self {
        LineReader {
            pipe,
            buf: Vec::new(),
            scanned: 0,
            chunk: vec![0u8; 1 << 16].into_boxed_slice(),
        }
    }

    /// The next line, at most `max` bytes long (a longer one is an error: the worker is out of
    /// step, and the pool replaces it).
    pub(super) fn read_line(&mut self, deadline: Instant, max: usize) -> Result<String, ReadErr> {
        loop {
            if let Some(p) = self.buf[self.scanned..].iter().position(|&b| b == b'\n') {
                let end = self.scanned + p;
                if end > max {
                    return Err(ReadErr::TooLong);
                }
                // The line keeps the buffer; what follows it (usually nothing) moves to a new one.
                let rest = self.buf.split_off(end + 1);
                let mut line = std::mem::replace(&mut self.buf, rest);
                line.truncate(end);
                self.scanned = 0;
                return Ok(
                    String::from_utf8(line).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
                );
            }
            self.scanned = self.buf.len();
            if self.buf.len() > max {
                return Err(ReadErr::TooLong);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ReadErr::Timeout);
            }
            let ms = (deadline - now).as_millis().clamp(1, 60_000) as i32;
            let mut pfd = libc::pollfd {
                fd: self.pipe.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let n = unsafe { libc::poll(&mut pfd, 1, ms) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(ReadErr::Io(e));
            }
            if n == 0 {
                continue;
            }
            match self.pipe.read(&mut self.chunk) {
                Ok(0) => return Err(ReadErr::Eof),
                Ok(k) => self.buf.extend_from_slice(&self.chunk[..k]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ReadErr::Io(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader of what `sh -c script` writes.
    fn reader(script: &str) -> (Child, LineReader) {
        let mut child = Command::new("sh")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = LineReader::new(child.stdout.take().unwrap());
        (child, out)
    }

    fn lines(out: &mut LineReader, max: usize) -> Vec<Result<String, String>> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut got = Vec::new();
        loop {
            match out.read_line(deadline, max) {
                Ok(l) => got.push(Ok(l)),
                Err(ReadErr::Eof) => return got,
                Err(ReadErr::TooLong) => return [got, vec![Err("too long".to_string())]].concat(),
                Err(ReadErr::Timeout) => return [got, vec![Err("timeout".to_string())]].concat(),
                Err(ReadErr::Io(e)) => return [got, vec![Err(e.to_string())]].concat(),
            }
        }
    }

    #[test]
    fn lines_come_whole_however_the_pipe_cuts_them() {
        // Two lines in one write, then a line cut in two writes, then bytes that are not UTF-8.
        let (mut child, mut out) = reader(r"printf 'one\ntwo\nth'; sleep 0.1; printf 'ree\n\377x\n'");
        let got = lines(&mut out, 100);
        child.wait().unwrap();
        let want: Vec<Result<String, String>> = vec![
            Ok("one".into()),
            Ok("two".into()),
            Ok("three".into()),
            Ok("\u{fffd}x".into()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn a_line_longer_than_the_cap_is_an_error_even_when_it_came_in_one_read() {
        let (mut child, mut out) = reader(r"printf 'ok\n0123456789\n'");
        let got = lines(&mut out, 5);
        child.wait().unwrap();
        assert_eq!(got, vec![Ok("ok".to_string()), Err("too long".to_string())]);
    }
}
