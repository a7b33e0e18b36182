//! The execution sandbox, proved through the real binary on Markdown written into temp dirs:
//! each default holds (network, subprocess, writes outside the working dir, the CI job's
//! environment, memory, file size, open files, stdin, wall timeout with process-group kill),
//! and each opt-out works both per project (`[exec]` in qa-lint.toml) and per block
//! (`allow-network`, `allow-subprocess`, `allow-writes` directives).
//!
//! The `weak_mode_*` tests pin down what SECURITY.md says the audit hook alone (`--sandbox=weak`,
//! or a machine without kernel confinement) does NOT stop, and prove that kernel confinement
//! (the default here) stops the same attack. tests/confinement/ has the attacks of issue 14.
//!
//! Only loopback addresses are used.

#[path = "../common/mod.rs"]
mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const SECRET: &str = "qa-lint-test-secret-6f1d2c";

/// One diagnostic from `--output-format json`, reduced to what the tests look at.
#[derive(Debug)]
struct Diag {
    rule: String,
    severity: String,
    line: u64,
    message: String,
}

struct Run {
    diags: Vec<Diag>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Execution diagnostics (QA0xx parse problems and QA2xx example results; the structure
    /// rules QA1xx are noise here).
    fn exec(&self) -> Vec<&Diag> {
        self.diags.iter().collect()
    }
    fn has(&self, rule: &str, needle: &str) -> bool {
        self.diags.iter().any(|d| d.rule == rule && d.message.contains(needle))
    }
    fn assert_clean(&self) {
        assert!(
            self.diags.is_empty(),
            "expected no execution diagnostics, got {:#?}\nstderr: {}",
            self.diags,
            self.stderr
        );
    }
}

/// A Markdown file with one entry per code block: `(info string, code)`.
fn markdown(blocks: &[(&str, &str)]) -> String {
    let mut md = String::from("# Sandbox\n\n");
    for (i, (info, code)) in blocks.iter().enumerate() {
        md.push_str(&format!(
            "## {}. What does block {} do?\n\n**Short answer:** It exercises the qa-lint sandbox.\n\n```{info}\n{code}\n```\n\n",
            i + 1,
            i + 1
        ));
    }
    md
}

/// Writes `a.md` (and `qa-lint.toml` when given) into a fresh temp dir and checks it.
fn check(blocks: &[(&str, &str)], config: Option<&str>) -> Run {
    let dir = tempfile::tempdir().unwrap();
    check_in(dir.path(), blocks, config)
}

/// [`check`] with `--sandbox=weak`: the audit hook only.
fn check_weak(blocks: &[(&str, &str)], config: Option<&str>) -> Run {
    let dir = tempfile::tempdir().unwrap();
    check_with(dir.path(), blocks, config, &["--sandbox=weak"])
}

fn check_in(dir: &Path, blocks: &[(&str, &str)], config: Option<&str>) -> Run {
    check_with(dir, blocks, config, &[])
}

fn check_with(dir: &Path, blocks: &[(&str, &str)], config: Option<&str>, extra: &[&str]) -> Run {
    std::fs::write(dir.join("a.md"), markdown(blocks)).unwrap();
    if let Some(c) = config {
        std::fs::write(dir.join("qa-lint.toml"), c).unwrap();
    }
    let mut args = vec!["--no-cache", "--output-format", "json", "a.md"];
    args.extend(extra);
    let common::Output { stdout, stderr, .. } = common::qa_in_env(dir, &args, &[("QA_LINT_TEST_SECRET", SECRET)]);
    let v: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {stdout}\n{stderr}"));
    let diags = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !d["code"].as_str().unwrap_or("").starts_with("QA1"))
        .map(|d| Diag {
            rule: d["rule"].as_str().unwrap().to_string(),
            severity: d["severity"].as_str().unwrap().to_string(),
            line: d["line"].as_u64().unwrap(),
            message: d["message"].as_str().unwrap().to_string(),
        })
        .collect();
    Run { diags, stdout, stderr }
}

/// A loopback listener; `received()` says what (if anything) a client sent.
struct Listener {
    l: TcpListener,
}

impl Listener {
    fn new() -> Listener {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        Listener { l }
    }
    fn port(&self) -> u16 {
        self.l.local_addr().unwrap().port()
    }
    /// After qa-lint exited, any connection it made sits in the backlog.
    fn received(&self) -> Option<String> {
        let deadline = Instant::now() + Duration::from_millis(300);
        loop {
            match self.l.accept() {
                Ok((mut s, _)) => {
                    s.set_nonblocking(false).unwrap();
                    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                    let mut buf = String::new();
                    let _ = s.read_to_string(&mut buf);
                    return Some(buf);
                }
                Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                Err(_) => return None,
            }
        }
    }
}

fn net_code(port: u16) -> String {
    format!(
        "import socket\n\
         s = socket.create_connection((\"127.0.0.1\", {port}), timeout=5)\n\
         s.sendall(b\"hello from the snippet\")\n\
         s.close()\n\
         print(\"sent\")  # sent"
    )
}

#[test]
fn network_is_blocked_by_default() {
    let l = Listener::new();
    let code = net_code(l.port());
    let bind = "import socket\nsocket.socket().bind((\"127.0.0.1\", 0))  # PermissionError";
    let run = check(&[("python", &code), ("python", bind)], None);
    assert!(
        run.has("sandbox-violation", "network access blocked (socket.connect"),
        "{:#?}",
        run.exec()
    );
    assert_eq!(
        run.diags.iter().find(|d| d.rule == "sandbox-violation").unwrap().line,
        9
    );
    assert!(run.has("sandbox-violation", "socket.bind"), "{:#?}", run.exec());
    assert_eq!(l.received(), None, "the snippet reached the listener");
}

/// A server the snippet starts itself and then talks to: what `allow-network` allows under
/// kernel confinement (a loopback of the entry's own; the host's servers stay out of reach).
/// The server thread is joined: the reply can arrive before the thread returns, and a thread
/// still running at the end is a warning of its own.
const OWN_SERVER: &str = "import socket, threading\n\
    srv = socket.create_server((\"127.0.0.1\", 0))\n\
    t = threading.Thread(target=lambda: srv.accept()[0].sendall(b\"pong\"), daemon=True)\n\
    t.start()\n\
    print(socket.create_connection(srv.getsockname(), timeout=5).recv(4))  # b'pong'\n\
    t.join(5)";

#[test]
fn network_opt_out_per_project() {
    let config = Some("[exec]\nallow-network = true\n");
    check(&[("python", OWN_SERVER)], config).assert_clean();
    let l = Listener::new();
    let run = check_weak(&[("python", &net_code(l.port()))], config);
    run.assert_clean();
    assert_eq!(l.received().as_deref(), Some("hello from the snippet"));
}

#[test]
fn network_opt_out_per_block() {
    check(&[("python allow-network", OWN_SERVER)], None).assert_clean();
    let l = Listener::new();
    let run = check_weak(&[("python allow-network", &net_code(l.port()))], None);
    run.assert_clean();
    assert_eq!(l.received().as_deref(), Some("hello from the snippet"));
    // The HTML-comment form of the same directive.
    let l = Listener::new();
    let dir = tempfile::tempdir().unwrap();
    let md = format!(
        "# S\n\n## 1. Does the comment form work?\n\n**Short answer:** Yes.\n\n<!-- qa-lint: allow-network -->\n```python\n{}\n```\n",
        net_code(l.port())
    );
    std::fs::write(dir.path().join("a.md"), md).unwrap();
    let out = common::qa_in(
        dir.path(),
        &["--no-cache", "--sandbox=weak", "--output-format", "json", "a.md"],
    );
    assert!(!out.stdout.contains("sandbox-violation"));
    assert_eq!(l.received().as_deref(), Some("hello from the snippet"));
}

const SUBPROCESS: &str = "import subprocess\nr = subprocess.run([\"true\"])\nprint(r.returncode)  # 0";
const OS_SYSTEM: &str = "import os\nos.system(\"true\")  # 0";

#[test]
fn subprocess_is_blocked_by_default() {
    let run = check(&[("python", SUBPROCESS), ("python", OS_SYSTEM)], None);
    assert!(
        run.has("sandbox-violation", "subprocess blocked (subprocess.Popen)"),
        "{:#?}",
        run.exec()
    );
    assert!(
        run.has("sandbox-violation", "subprocess blocked (os.system)"),
        "{:#?}",
        run.exec()
    );
}

#[test]
fn subprocess_opt_out_per_project_and_per_block() {
    check(
        &[("python", SUBPROCESS), ("python", OS_SYSTEM)],
        Some("[exec]\nallow-subprocess = true\n"),
    )
    .assert_clean();
    check(
        &[
            ("python allow-subprocess", SUBPROCESS),
            ("python {allow-subprocess}", OS_SYSTEM),
        ],
        None,
    )
    .assert_clean();
}

fn write_code(path: &Path) -> String {
    format!(
        "with open({p:?}, \"w\") as f:\n    f.write(\"written\")\nprint(open({p:?}).read())  # written",
        p = path.to_str().unwrap()
    )
}

const WRITE_INSIDE: &str = "with open(\"inside.txt\", \"w\") as f:\n    n = f.write(\"ok\")\n\
    import os\nos.makedirs(\"sub/dir\")\nos.rename(\"inside.txt\", \"sub/dir/x.txt\")\n\
    print(open(\"sub/dir/x.txt\").read())  # ok";

#[test]
fn writes_outside_the_working_dir_are_blocked_by_default() {
    let other = tempfile::tempdir().unwrap();
    let victim = other.path().join("victim.txt");
    let remove_me = other.path().join("keep.txt");
    std::fs::write(&remove_me, "keep").unwrap();
    let remove = format!(
        "import os\nos.remove({:?})  # PermissionError",
        remove_me.to_str().unwrap()
    );
    let run = check(&[("python", &write_code(&victim)), ("python", &remove)], None);
    assert!(
        run.has("sandbox-violation", "write outside the working directory blocked"),
        "{:#?}",
        run.exec()
    );
    assert!(!victim.exists(), "the snippet wrote outside its directory");
    assert!(remove_me.exists(), "the snippet removed a file outside its directory");
    assert!(
        run.has(
            "sandbox-violation",
            "change outside the working directory blocked (os.remove"
        ),
        "{:#?}",
        run.exec()
    );
    // Writing, renaming and creating dirs inside the entry's temp working dir is fine.
    check(&[("python", WRITE_INSIDE)], None).assert_clean();
}

#[test]
fn writes_outside_opt_out_per_project_and_per_block() {
    let other = tempfile::tempdir().unwrap();
    let victim = other.path().join("project.txt");
    check(
        &[("python", &write_code(&victim))],
        Some("[exec]\nallow-writes-outside = true\n"),
    )
    .assert_clean();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "written");
    let victim = other.path().join("block.txt");
    check(&[("python allow-writes", &write_code(&victim))], None).assert_clean();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "written");
}

#[test]
fn the_ci_jobs_environment_is_not_visible() {
    let code = "import os\n\
        print(os.environ.get(\"QA_LINT_TEST_SECRET\"))  # None\n\
        print(sorted(k for k in os.environ if k not in (\"VIRTUAL_ENV\",)))  # ['HOME', 'LANG', 'MKL_NUM_THREADS', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'PATH', 'PYTHONDONTWRITEBYTECODE', 'PYTHONHASHSEED', 'PYTHONIOENCODING', 'TMPDIR']\n\
        print(os.environ[\"HOME\"] == os.environ[\"TMPDIR\"] == os.getcwd())  # True\n\
        print(os.environ[\"PYTHONHASHSEED\"], os.environ[\"LANG\"])  # 0 C.UTF-8";
    let run = check(&[("python", code)], None);
    run.assert_clean();
    assert!(!run.stdout.contains(SECRET));
}

#[test]
fn memory_budget_gives_memory_error() {
    let code = "b = b\"x\" * 2**40  # MemoryError\nlen(bytearray(50 * 2**20))  # 52428800";
    check(&[("python", code)], None).assert_clean();
    // `memory-mb` lowers the budget.
    let code = "x = bytearray(300 * 2**20)  # MemoryError\nlen(bytearray(10 * 2**20))  # 10485760";
    check(&[("python", code)], Some("[exec]\nmemory-mb = 128\n")).assert_clean();
}

#[test]
fn file_size_and_open_file_limits() {
    // RLIMIT_FSIZE is 64 MiB: writing a byte past it fails with EFBIG (SIGXFSZ is ignored).
    let code = "f = open(\"big\", \"wb\", buffering=0)\n\
        f.seek(64 * 2**20)\n\
        f.write(b\"x\")  # OSError: [Errno 27] File too large\n\
        f.seek(64 * 2**20 - 1)\n\
        f.write(b\"x\")  # 1\n\
        import os\n\
        fs = [open(os.devnull) for _ in range(300)]  # OSError: [Errno 24] Too many open files: '/dev/null'";
    check(&[("python", code)], None).assert_clean();
}

#[test]
fn stdin_is_closed_and_cwd_is_a_fresh_temp_dir() {
    let code = "import os\n\
        input()  # EOFError: EOF when reading a line\n\
        os.read(0, 10)  # b''\n\
        os.path.basename(os.getcwd()).startswith(\"qa-lint-\")  # True\n\
        os.listdir(\".\")  # []\n\
        open(\"left-behind\", \"w\").close()";
    // Two entries: the second does not see the first one's file.
    check(&[("python", code), ("python", code)], None).assert_clean();
}

/// Live processes whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains(needle) {
            // Zombies have an empty cmdline, so this is a live process.
            out.push(pid);
        }
    }
    out
}

fn kill_all(pids: &[i32]) {
    for &pid in pids {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
}

#[test]
fn wall_timeout_kills_the_whole_process_group() {
    let marker = format!("{}.{}", 300 + std::process::id() % 100, std::process::id());
    let code = format!("import subprocess\np = subprocess.Popen([\"sleep\", \"{marker}\"])\nwhile True:\n    pass");
    let start = Instant::now();
    let run = check(&[("python allow-subprocess", &code)], Some("[exec]\ntimeout = 1\n"));
    assert!(run.diags.iter().any(|d| d.rule == "timeout"), "{:#?}", run.exec());
    assert!(start.elapsed() < Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(200));
    let left = processes_with(&format!("sleep {marker}"));
    kill_all(&left);
    assert!(left.is_empty(), "a grandchild survived the timeout: {left:?}");
}

/// What the audit hook alone does not stop, each next to the kernel confinement that does.
mod weak_mode;
