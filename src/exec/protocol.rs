//! Types shared by the pool, the worker and the Python helper (`qa_helper.py`), and the wire
//! protocol between them, written down here once (`tests/protocol.rs` holds both sides to it).
//!
//! Lines are always 1-based and relative to the *code block* (not the Markdown file); the
//! caller maps them with `block_start_line + line - 1`.
//!
//! # Wire protocol
//!
//! Three parties: the **pool** (qa-lint's main process, `pool.rs`), the **supervisor** (the
//! worker's Python, `qa_helper.serve`; PID 1 of the worker's namespaces when confined) and
//! the **child** (runs the snippets; a child of the supervisor, forked for it by the *fork
//! server*, a copy of the supervisor made before its first request, see `qa_forkserver.py`).
//! Each hop is a pipe of its own; every line ends with `\n`.
//!
//! **Pool → supervisor** (the worker's stdin): one [`WireRequest`] per entry, a JSON object:
//! `id` (counts up per pool), `nonce` (32 hex digits, a keyed hash of the id under a key that
//! exists only in the main process), `blocks`, `files` (contents as latin-1 strings),
//! `requires`, `timeout` (seconds), `sandbox`, `limits`, `group`.
//!
//! **Supervisor → pool** (the worker's stdout): first a [`WireHello`]
//! `{"python": "CPython 3.x.y", "prefix": …, "pid": …, "confined": bool}` or `{"fatal": msg}`;
//! then exactly one [`WireResponse`] per request, in order:
//! `{"id": id, "nonce": nonce, "outcome": <EntryOutcome>}` or `{"id": id, "error": traceback}`.
//! The pool keeps up to `PIPELINE` (2) requests in flight: the next is sent before the answer
//! to the one before it (only when it is at most 32 KiB, so neither side can block the other
//! on a full pipe). An entry's watchdog starts when the answers before it have arrived. When a
//! worker dies or is retired, the requests it had not answered are sent again to a new one; a
//! worker that stops reading (a write to it fails) first has the answers it wrote read.
//!
//! **Supervisor → fork server** (a `SOCK_SEQPACKET` socket pair): one message per child, JSON
//! `{"root": dir, "plan": confinement settings|null, "doctest": bool}` with the child's request
//! pipe, result pipe and shared page (a memfd) attached; the answer is the child's pid (a native
//! `i32`) or minus an errno.
//!
//! **Supervisor → child** (a fresh pipe per child): first `1` (the child may run later entries
//! of the same file) or `0` (one entry only), then each request line with the nonce's digits
//! replaced by `0`, so no child ever holds the nonce of a request it did not make. A child is
//! usually forked ahead, as the *spare*, while the previous entry runs: it waits for that first
//! line with nothing of any entry in it (the fork server never saw a request or another child's
//! pipes), and in a confined worker it is confined before it reads anything, with the settings
//! of that request; the supervisor hands it only a request with the same
//! settings (scratch size and the three `allow-*`), and otherwise forks a fresh child.
//! A reused child is handed the next request while it still runs the one before (*look
//! ahead*), when that request may run in it (same group and sandbox, not risky): it starts the
//! next entry as soon as it has sent `D` for this one. A child whose entry leaves it unfit
//! (`dirty`, or `M`) exits instead of reading on; the supervisor then runs the request it had
//! handed over from the start in a fresh child. Results a child sent past `D` belong to the
//! next entry.
//!
//! **Child → supervisor** (a fresh pipe per child; one line each, a tag byte then JSON):
//! `B<0|1><BlockResult>` per finished block (the digit: output truncated so far),
//! `D{"threads_left": n, "truncated": b, "dirty": reason|null}` when the entry finished,
//! `M[missing modules]` or `I"traceback"` (requirements missing | a helper bug). An entry's
//! `B` lines and its `D` are sent in one write when it ends (one wake-up of the supervisor per
//! entry); until then the child also keeps each `B` line on the *shared page* (a sealed 1 MiB
//! memfd both map, `qa_page.py`), with the statement running. The supervisor reads the page
//! only after a timeout or crash: the blocks that finished are judged, and the statement
//! running is where the stop is reported. Results that outgrow the page go to the pipe as they
//! come (the page says so).
//!
//! **What each side checks.** The supervisor reads at most
//! `8 × limits.max_output_bytes + 2 × request length + 1 MiB` from a child per entry and kills
//! a child that sends more (the entry crashes with "sent more than N bytes of results"). The
//! pool reads at most that plus 1 MiB per answer line and accepts an answer only when `id` and
//! `nonce` are those of the job it sent, the JSON has no unknown or duplicate fields, a
//! completed entry has exactly one block result per block (a timeout or crash at most that
//! many), and missing modules were required by the job; anything else kills the worker and
//! reports the entry as crashed. What a child sends about its own entry is believed: a
//! snippet can lie about its own result, and, in a child reused for later entries (never under
//! `--strict-sandbox`, where each child runs one entry), about theirs.
//!
//! **Who holds which descriptor.** The main process spawns workers with close-on-exec
//! everywhere except the two protocol pipes; a confined worker's waiter (outside the PID
//! namespace) closes them, the supervisor moves them off fds 0 and 1, the fork server closes
//! them when it starts, and each child receives only its own pipe ends and shared page
//! (close-on-exec), then points fds 0–2 at `/dev/null`. A child holds only its own two pipe
//! ends; under confinement it cannot reach any other process's descriptors through `/proc`
//! (Landlock's ptrace rule, and qa-lint is not in its PID namespace).

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Resource limits applied to every entry's forked child (see `qa_helper.py`, `_child_limits`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Wall-clock budget for a whole entry (all its blocks) unless [`EntryJob::timeout`] overrides it.
    #[serde(with = "secs_f64")]
    pub timeout: Duration,
    /// `RLIMIT_AS` of the child: address space in bytes (a big allocation becomes `MemoryError`).
    pub memory_bytes: u64,
    /// `RLIMIT_CPU` soft limit in seconds (SIGXCPU -> reported as a crash, signal 24).
    /// `None` = entry timeout + 1 s (rounded up), so the wall-clock timeout normally fires first.
    pub cpu_seconds: Option<u64>,
    /// `RLIMIT_FSIZE`: largest file a snippet may write (SIGXFSZ is ignored, so it gets `OSError`).
    pub file_size_bytes: u64,
    /// `RLIMIT_NOFILE`.
    pub open_files: u64,
    /// `RLIMIT_NPROC`, only applied when not running as root (root ignores it; for other users it
    /// counts every process of the user, so keep it generous).
    pub max_processes: u64,
    /// Cap on captured output text per entry (prints, writes and value reprs together).
    /// Past it, events are dropped/cut and [`EntryResult::output_truncated`] is set.
    pub max_output_bytes: u64,
    /// Let consecutive entries of one [`EntryJob::group`] share a forked child (each with a
    /// fresh namespace, working directory and restored interpreter state; risky or dirty entries
    /// still get a child of their own, see `qa_helper.py`). `false` = strict: one fork per entry.
    pub reuse: bool,
    /// Size of the tmpfs mounted as a confined child's scratch directory (its cwd, `HOME`,
    /// `TMPDIR` and `/dev/shm` together): the only place it may write.
    pub scratch_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs_f64(crate::config::DEFAULT_TIMEOUT_SECS),
            memory_bytes: 1 << 30,
            cpu_seconds: None,
            file_size_bytes: 64 << 20,
            open_files: 256,
            max_processes: 1024,
            max_output_bytes: 1 << 20,
            reuse: true,
            scratch_bytes: 256 << 20,
        }
    }
}

/// What the sandbox (a `sys.addaudithook` hook in the entry's child) lets a snippet do.
/// Blocked actions raise `PermissionError("qa-lint sandbox: ...")` and are listed in
/// [`BlockResult::sandbox_violations`]. This is a guard against accidents, not a security boundary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sandbox {
    /// Allow `socket.connect` / `socket.bind` / `socket.sendto` (denied to any address otherwise).
    pub allow_network: bool,
    /// Allow `os.system`, `os.exec*`, `os.posix_spawn`, `os.fork`, `os.forkpty`, `subprocess.Popen`, `pty.spawn`.
    pub allow_subprocess: bool,
    /// Allow opening files for writing (and removing/renaming) outside the entry's temp dir.
    pub allow_writes_outside: bool,
}

/// How a block is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockMode {
    /// Statement by statement, output captured per `print()` call, values of expression statements recorded.
    Exec,
    /// A `>>>` transcript run with doctest (ELLIPSIS | NORMALIZE_WHITESPACE); see [`SessionExample`].
    Session,
    /// `compile()` only: just reports a syntax error, nothing runs.
    CompileOnly,
    /// A block an earlier run of the entry never finished (it timed out or crashed): nothing
    /// runs, and the names it would have bound are marked lost, so that a later failure that
    /// needs one is traced to it (`PyError::root` = `(block, LOST)`), not reported on its own.
    Lost,
}

/// The error index that names a lost block in [`PyError::root`] (qa_stmt.py's `LOST`).
pub const LOST: usize = (1 << 31) - 2;

/// One code block of an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockJob {
    /// Pseudo filename used for `compile()` (e.g. `<qa:README.md:42>`); must be unique within the entry,
    /// it is how tracebacks and output are attributed to this block.
    pub filename: String,
    pub source: String,
    pub mode: BlockMode,
    /// Run in a brand-new `__main__` namespace; the blocks after it continue in that new namespace.
    /// (Otherwise all blocks of an entry share one namespace, in order, like one REPL session.)
    #[serde(default)]
    pub fresh_namespace: bool,
}

/// One Q&A entry: its blocks run in order in a forked child, in a fresh temp dir (its cwd).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntryJob {
    pub blocks: Vec<BlockJob>,
    /// Files written into the working dir before anything runs: (relative path, contents).
    /// Absolute paths and `..` escaping the dir are refused (entry crashes with a detail).
    pub files: Vec<(String, Vec<u8>)>,
    /// Top-level module names that must be importable (`importlib.util.find_spec`); if any is
    /// missing the entry does not run and gives [`EntryOutcome::MissingModules`].
    pub requires: Vec<String>,
    /// Overrides [`Limits::timeout`] for this entry.
    pub timeout: Option<Duration>,
    pub sandbox: Sandbox,
    /// Entries with the same non-empty group (the Markdown file) may run one after another in
    /// the same forked child when [`Limits::reuse`] is on; empty = always a fresh child.
    /// [`super::Pool::run`] hands a run of consecutive jobs of one group to one worker.
    pub group: String,
}

/// `(first, last)` lines (1-based, in the block) of a top-level statement.
pub type StmtSpan = (u32, u32);

/// One `print()` call, or a run of consecutive raw `sys.stdout/stderr.write()` calls within one statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputEvent {
    /// "stdout" or "stderr".
    pub stream: String,
    /// Printed text without one final "\n" (see `newline`).
    pub text: String,
    /// Whether the output ended with "\n" (the default `end` of `print`).
    pub newline: bool,
    /// "print" or "write".
    pub kind: String,
    /// The top-level statement running when this was printed (even if printed in a function,
    /// decorator or `__exit__` defined elsewhere).
    pub stmt: Option<StmtSpan>,
    /// Innermost frame line in *this block* (null when the printing code is all outside the block).
    pub line: Option<u32>,
}

/// Value of a top-level expression statement that was not `None`, as the REPL would show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueEvent {
    pub stmt: StmtSpan,
    pub repr: String,
    /// The value an assignment bound (`x = f()  # 3`), not an expression statement's.
    #[serde(default)]
    pub assigned: bool,
    /// `str()` of an expression statement's value, when it differs from the repr and the
    /// statement has a comment (a claim may show what print would).
    #[serde(default)]
    pub str: Option<String>,
    /// The state of the object a method changed in place, after a commented statement
    /// `name.method(...)` that returned `None` (`fruits.insert(1, 'kiwi')  # [...]`).
    #[serde(default)]
    pub receiver: bool,
}

/// A traceback frame inside one of the entry's blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TbFrame {
    pub block: usize,
    pub line: u32,
    pub function: String,
}

/// An exception (any `BaseException`, incl. `SystemExit`/`KeyboardInterrupt`) or a syntax error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PyError {
    /// `type(e).__name__`, e.g. "ZeroDivisionError".
    #[serde(rename = "type")]
    pub type_name: String,
    /// `module.qualname` for non-builtin types, else the same as `type_name`.
    pub qualname: String,
    /// `str(e)`.
    pub message: String,
    /// The top-level statement that raised (None for a block-level syntax error).
    pub stmt: Option<StmtSpan>,
    /// Innermost traceback line in this block (for syntax errors: the error line).
    pub line: Option<u32>,
    /// Syntax errors only: 1-based column.
    #[serde(default)]
    pub offset: Option<u32>,
    /// Syntax errors of a block only: whether one character inserted, deleted or replaced near
    /// the error makes the block compile (None when the message names no single character).
    #[serde(default)]
    pub repairable: Option<bool>,
    /// Frames (outermost first) that lie in any block of this entry; long tracebacks
    /// (RecursionError) keep the first and last 20.
    #[serde(default)]
    pub traceback: Vec<TbFrame>,
    /// `(block, index)` of the earlier failure this one follows from (a NameError for a name a
    /// failed statement would have bound); the index is into that block's `errors`, or its
    /// `session` for a session block. `None`: a root cause.
    #[serde(default)]
    pub root: Option<(usize, usize)>,
    /// Raised on `line` inside a `try:`/`with` of the statement and handled there: only an
    /// exception claim on that line looks at it.
    #[serde(default)]
    pub caught: bool,
    /// A `ModuleNotFoundError` for a top-level module that is not installed.
    #[serde(default)]
    pub missing_module: Option<String>,
}

impl PyError {
    /// True for the `PermissionError`s raised by the qa-lint sandbox.
    pub fn is_sandbox(&self) -> bool {
        self.message.starts_with("qa-lint sandbox:")
    }
}

/// One `>>>` example of a session block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionExample {
    /// 1-based line of the `>>>` in the block.
    pub line: u32,
    pub source: String,
    pub want: String,
    pub got: String,
    /// doctest's verdict (ELLIPSIS | NORMALIZE_WHITESPACE).
    pub ok: bool,
    /// "Type: message" when the example raised (expected or not).
    pub exception: Option<String>,
    /// As [`PyError::root`].
    #[serde(default)]
    pub root: Option<(usize, usize)>,
    /// As [`PyError::missing_module`].
    #[serde(default)]
    pub missing_module: Option<String>,
}

/// Something the sandbox blocked (the snippet may have caught the PermissionError).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxViolation {
    pub stmt: Option<StmtSpan>,
    pub line: Option<u32>,
    /// Same as the PermissionError message ("qa-lint sandbox: ...").
    pub message: String,
}

/// Result of one finished block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlockResult {
    /// The block did not compile; nothing in it ran.
    pub syntax_error: Option<PyError>,
    pub events: Vec<OutputEvent>,
    pub values: Vec<ValueEvent>,
    /// Exceptions of top-level statements (execution went on with the next statement).
    pub errors: Vec<PyError>,
    /// Session mode only.
    pub session: Vec<SessionExample>,
    pub sandbox_violations: Vec<SandboxViolation>,
    /// Statements that ran on values an earlier failure left stale (a name it would have bound
    /// or changed): what they show proves nothing, and their claims are that failure's.
    pub stale: Vec<StaleUse>,
}

/// A statement that ran on stale values, and the failure they come from (as [`PyError::root`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaleUse {
    pub stmt: StmtSpan,
    pub root: (usize, usize),
}

/// Results of an entry's blocks (only the finished ones for a timeout or crash).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EntryResult {
    pub blocks: Vec<BlockResult>,
    /// Captured output exceeded [`Limits::max_output_bytes`].
    pub output_truncated: bool,
    /// Threads still running when the entry ended (they are discarded with the child).
    pub threads_left: u32,
}

/// How an entry ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum EntryOutcome {
    Completed(EntryResult),
    /// Wall-clock timeout; `stmt` = (block index, first line, last line) of the statement that was running.
    TimedOut {
        result: EntryResult,
        stmt: Option<(usize, u32, u32)>,
    },
    /// The child died (os._exit, signal, SIGXCPU...) or the worker failed; `detail` says how,
    /// e.g. "killed by signal 11 (SIGSEGV)" or "exit code 1". `stmt` as for `TimedOut`.
    Crashed {
        result: EntryResult,
        detail: String,
        stmt: Option<(usize, u32, u32)>,
    },
    /// `requires` named modules that cannot be imported; nothing ran.
    MissingModules(Vec<String>),
}

// ---- wire format (parent -> worker) ----

/// Request line sent to a worker (internal).
#[derive(Serialize)]
pub(super) struct WireRequest<'a> {
    pub id: u64,
    /// 32 hex digits, new for every request; the supervisor echoes it and never passes it on
    /// to the child.
    pub nonce: &'a str,
    pub blocks: &'a [BlockJob],
    /// (path, bytes as a latin-1 string: each char is one byte).
    pub files: Vec<(&'a str, String)>,
    pub requires: &'a [String],
    pub timeout: f64,
    pub sandbox: Sandbox,
    pub limits: &'a Limits,
    pub group: &'a str,
}

/// Response line from a worker (internal); see the module doc for the checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WireResponse {
    pub id: Option<u64>,
    #[serde(default)]
    pub nonce: String,
    pub outcome: Option<EntryOutcome>,
    /// Supervisor-level failure for this request (a bug in the helper).
    pub error: Option<String>,
    /// The worker's own state was changed in a way it cannot undo (see qa_state.py): the
    /// outcome stands, and the worker is replaced before the next entry.
    #[serde(default)]
    pub retire: bool,
}

/// First line a worker writes (internal).
#[derive(Deserialize)]
pub(super) struct WireHello {
    pub python: Option<String>,
    pub fatal: Option<String>,
    /// The worker is in its namespaces and confines its children.
    #[serde(default)]
    pub confined: bool,
}

pub(super) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

mod secs_f64 {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let v = f64::deserialize(d)?;
        Duration::try_from_secs_f64(v).map_err(serde::de::Error::custom)
    }
}
