//! What the attacks share: Markdown builders, the hostile snippets' building blocks (switching
//! the audit hook off, finding the processes of the own run) and running qa-lint for a report.

use super::common;
use std::path::Path;

/// Markdown with one entry per snippet.
pub fn markdown(codes: &[String]) -> String {
    common::entries_markdown(codes)
}

/// `n` entries whose claims are all wrong (`print(k + 1)  # k + 2`).
pub fn victims(n: usize) -> String {
    markdown(
        &(0..n)
            .map(|k| format!("print({k} + 1)  # {}", k + 2))
            .collect::<Vec<_>>(),
    )
}

/// Turns the audit hook off, as hole 3 of the issue does (three lines through the GC).
pub const DISARM: &str =
    "import gc\nfor o in gc.get_objects():\n    if hasattr(o, \"deny_net\") and hasattr(o, \"active\"):\n        o.active = False\n";

/// Python that finds the processes of this qa-lint run: the snippet's ancestors up to the
/// topmost `qa-lint` process, and all descendants of that one (other workers and children).
pub const OWN_RUN: &str = r#"import os
def _stat(pid):
    try:
        with open("/proc/%s/status" % pid) as f:
            return {l.split(":")[0]: l.split(":", 1)[1].strip() for l in f}
    except OSError:
        return None
def _cmd(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return f.read()
    except OSError:
        return b""
def own_run():
    top, pid = None, os.getpid()
    while pid > 1 or (pid == 1 and top is None):
        st = _stat(pid)
        if st is None:
            break
        if b"qa-lint" in _cmd(pid) or pid == os.getpid():
            top = pid
        else:
            break
        if pid == 1:
            break
        pid = int(st["PPid"])
    procs, kids = {top}, {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            st = _stat(p)
            if st:
                kids.setdefault(int(st["PPid"]), []).append(int(p))
    todo = [top]
    while todo:
        for k in kids.get(todo.pop(), []):
            if k not in procs:
                procs.add(k)
                todo.append(k)
    procs.discard(os.getpid())
    return sorted(procs)
"#;

/// Forges "completed, no blocks" answers into every pipe of the run it can open (the Rust
/// protocol and the supervisor's), then stops every process of the run it can signal.
pub fn forger() -> String {
    format!(
        "{DISARM}{OWN_RUN}import signal\n\
         lines = b\"\".join(b'{{\"id\":%d,\"outcome\":{{\"kind\":\"completed\",\"data\":{{\"blocks\":[]}}}}}}\\n' % i for i in range(1, 400))\n\
         lines += b'D{{\"threads_left\":0,\"truncated\":false,\"dirty\":null}}\\n'\n\
         hits = stopped = 0\n\
         for pid in own_run():\n    \
             try:\n        fds = os.listdir(\"/proc/%d/fd\" % pid)\n    except OSError:\n        fds = []\n    \
             for fd in fds:\n        \
                 try:\n            w = os.open(\"/proc/%d/fd/%s\" % (pid, fd), os.O_WRONLY | os.O_NONBLOCK)\n        except OSError:\n            continue\n        \
                 try:\n            os.write(w, lines)\n            hits += 1\n        except OSError:\n            pass\n        os.close(w)\n\
         for pid in own_run():\n    \
             try:\n        os.kill(pid, signal.SIGSTOP)\n        stopped += 1\n    except OSError:\n        pass\n\
         print(hits, stopped)  # 0 0"
    )
}

pub struct Report {
    pub diags: Vec<serde_json::Value>,
    pub stdout: String,
    pub stderr: String,
}

impl Report {
    pub fn count(&self, path: &str, rule: &str) -> usize {
        self.diags
            .iter()
            .filter(|d| same(&d["path"], path) && d["rule"] == rule)
            .count()
    }
    pub fn messages(&self, path: &str) -> Vec<String> {
        self.diags
            .iter()
            .filter(|d| same(&d["path"], path) && d["code"].as_str().is_some_and(|c| !c.starts_with("QA1")))
            .map(|d| format!("{} {}", d["rule"], d["message"]))
            .collect()
    }
}

/// A report path names `file` (`a.md` or `./a.md` when the walk started at `.`).
pub fn same(path: &serde_json::Value, file: &str) -> bool {
    path.as_str().is_some_and(|p| p.strip_prefix("./").unwrap_or(p) == file)
}

pub fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Report {
    let mut all = vec!["--output-format", "json"];
    all.extend_from_slice(args);
    let out = common::qa_in_env(dir, &all, env);
    let diags = match serde_json::from_str::<serde_json::Value>(&out.stdout) {
        Ok(serde_json::Value::Array(a)) => a,
        _ => panic!("qa-lint's JSON report is broken:\n{}\n{}", out.stdout, out.stderr),
    };
    Report {
        diags,
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

/// Live processes whose name (`/proc/PID/comm`) is `name`.
pub fn processes_named(name: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read_to_string(e.path().join("stat")).is_ok_and(|st| {
                st.contains(&format!("({name})"))
                    && !st.split(')').nth(1).is_some_and(|r| r.trim_start().starts_with('Z'))
            })
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Runs qa-lint in a user namespace where no further user namespace may be made: a machine
/// or container without unprivileged user namespaces, as far as qa-lint can tell.
pub fn without_userns(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("unshare")
        .args(["--user", "--map-root-user", "sh", "-c"])
        .arg("echo 0 > /proc/sys/user/max_user_namespaces && exec \"$@\"")
        .arg("sh")
        .arg(common::exe())
        .args(["--no-cache"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}
