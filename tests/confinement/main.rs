//! Attacks of issue 14, each written as a pull request would: a hostile Markdown file whose
//! snippets try to break out, next to victim files whose claims are wrong. They run through
//! the real binary with kernel confinement (the machines and CI here have unprivileged user
//! namespaces, Landlock and seccomp; `unshare --user --net true` says so). Where a test also
//! runs the same attack with `--sandbox=weak`, that run shows the hole the kernel closes.
//!
//! The hostile snippets only aim at processes of their own qa-lint run (found through the
//! parent chain), never at other processes of the machine. Network: loopback only.

mod attack;
#[path = "../common/mod.rs"]
mod common;
mod steps;

use attack::*;

use std::path::Path;
use std::time::Duration;

#[test]
fn a_hostile_file_cannot_hide_the_errors_of_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("qa-lint.toml"), "[exec]\ntimeout = 3\n").unwrap();
    std::fs::write(d.join("a_hostile.md"), markdown(&[forger(), forger()])).unwrap();
    for v in ["b_victim.md", "c_victim.md", "d_victim.md"] {
        std::fs::write(d.join(v), victims(8)).unwrap();
    }
    let cache = d.join("cache");
    let cache = cache.to_str().unwrap();
    for jobs in ["1", "2"] {
        let r = run(d, &["--no-cache", "--jobs", jobs, "."], &[]);
        for v in ["b_victim.md", "c_victim.md", "d_victim.md"] {
            assert_eq!(
                r.count(v, "output-mismatch"),
                8,
                "--jobs {jobs}, {v}: {:#?}\n{}",
                r.messages(v),
                r.stderr
            );
        }
        assert_eq!(
            r.count("a_hostile.md", "output-mismatch"),
            0,
            "{:#?}",
            r.messages("a_hostile.md")
        );
    }
    for args in [&["--strict-sandbox", "--jobs", "2"][..], &["--jobs", "2"][..]] {
        let mut a = vec!["--cache-dir", cache, "."];
        a.extend_from_slice(args);
        let env = [("QA_LINT_CACHE_KEY", "test-key")];
        run(d, &a, &env);
        std::fs::rename(d.join("a_hostile.md"), d.join("hostile.txt")).unwrap();
        let again = run(d, &a, &env);
        std::fs::rename(d.join("hostile.txt"), d.join("a_hostile.md")).unwrap();
        for v in ["b_victim.md", "c_victim.md", "d_victim.md"] {
            assert_eq!(again.count(v, "output-mismatch"), 8, "cached re-run {args:?}, {v}");
        }
    }
}

#[test]
fn the_job_secrets_and_qa_lints_memory_are_out_of_reach() {
    let dir = tempfile::tempdir().unwrap();
    let code = format!(
        "{DISARM}{OWN_RUN}found = []\n\
         for pid in own_run():\n    \
             for what in (\"environ\", \"mem\"):\n        \
                 try:\n            with open(\"/proc/%d/%s\" % (pid, what), \"rb\") as f:\n                \
                     data = f.read(1 << 20) if what == \"environ\" else f.read(1)\n            found.append((pid, what, b\"QA_LINT_TEST_SECRET\" in data))\n        \
                 except OSError:\n            pass\n\
         print(found)  # []"
    );
    std::fs::write(dir.path().join("a.md"), markdown(&[code])).unwrap();
    let env = [("QA_LINT_TEST_SECRET", "confinement-secret-81c5")];
    let weak = run(dir.path(), &["--no-cache", "--sandbox=weak", "a.md"], &env);
    assert!(
        weak.stdout.contains("True"),
        "the weak sandbox used to leak the environment: {:#?}",
        weak.messages("a.md")
    );
    let r = run(dir.path(), &["--no-cache", "a.md"], &env);
    assert!(r.messages("a.md").is_empty(), "{:#?}", r.messages("a.md"));
    assert!(!r.stdout.contains("confinement-secret-81c5"));
}

#[test]
fn a_snippet_cannot_write_into_the_report_the_job_or_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let github_env = d.join("github_env");
    std::fs::write(&github_env, "").unwrap();
    let victim = d.join("b_victim.md");
    std::fs::write(&victim, victims(3)).unwrap();
    let code = format!(
        "{DISARM}{OWN_RUN}import ctypes\nn = 0\n\
         for pid in own_run():\n    \
             for fd in (1, 2):\n        \
                 try:\n            w = os.open(\"/proc/%d/fd/%d\" % (pid, fd), os.O_WRONLY)\n            \
                     os.write(w, b\"::stop-commands::pwned\\n]garbage\")\n            os.close(w)\n            n += 1\n        \
                 except OSError:\n            pass\n\
         for path, text in (({e:?}, \"BASH_ENV=/tmp/x\\n\"), ({v:?}, \"# rewritten\\n\")):\n    \
             try:\n        with open(path, \"a\") as f:\n            f.write(text)\n        n += 1\n    except OSError:\n        pass\n    \
             try:\n        fd = ctypes.CDLL(None).open(path.encode(), os.O_WRONLY | os.O_APPEND)\n        n += fd >= 0\n    except OSError:\n        pass\n\
         print(n)  # 0",
        e = github_env.to_str().unwrap(),
        v = victim.to_str().unwrap(),
    );
    std::fs::write(d.join("a_hostile.md"), markdown(&[code])).unwrap();
    let r = run(
        d,
        &["--no-cache", "--jobs", "1", "."],
        &[("GITHUB_ENV", github_env.to_str().unwrap())],
    );
    assert!(
        !r.stdout.contains("stop-commands") && !r.stderr.contains("stop-commands"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_to_string(&github_env).unwrap(), "");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), victims(3));
    assert_eq!(r.count("b_victim.md", "output-mismatch"), 3);
    assert!(
        r.messages("a_hostile.md").is_empty(),
        "{:#?}",
        r.messages("a_hostile.md")
    );
}

#[test]
fn writes_outside_the_scratch_directory_fail_whatever_the_route() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let o = outside.path().to_str().unwrap();
    let code = format!(
        "{DISARM}import os, sqlite3, ctypes\n\
         ok = []\n\
         def attempt(name, fn):\n    \
             try:\n        fn()\n        ok.append(name)\n    except Exception:\n        pass\n\
         d = os.open({o:?}, os.O_RDONLY)\n\
         attempt(\"dir_fd\", lambda: os.close(os.open(\"by-dir-fd\", os.O_WRONLY | os.O_CREAT, dir_fd=d)))\n\
         class Sly(str):\n    def startswith(self, *a):\n        return True\n\
         attempt(\"str subclass\", lambda: open(Sly({o:?} + \"/by-str\"), \"w\").close())\n\
         attempt(\"sqlite3\", lambda: sqlite3.connect({o:?} + \"/by-sqlite.db\").execute(\"create table t(x)\"))\n\
         attempt(\"ctypes\", lambda: ctypes.CDLL(None).creat(({o:?} + \"/by-ctypes\").encode(), 0o644) >= 0 or 1 / 0)\n\
         os.symlink(\"/nonexistent-target\", \"link\")\n\
         os.remove(\"link\")\n\
         os.symlink({o:?}, \"link\")\n\
         attempt(\"swapped symlink\", lambda: open(\"link/by-symlink\", \"w\").close())\n\
         attempt(\"hard link\", lambda: os.link({o:?} + \"/existing\", \"hard\"))\n\
         print(ok)  # []"
    );
    std::fs::write(outside.path().join("existing"), "x").unwrap();
    std::fs::write(dir.path().join("a.md"), markdown(&[code])).unwrap();
    let r = run(dir.path(), &["--no-cache", "a.md"], &[]);
    let mut left: Vec<String> = std::fs::read_dir(outside.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["existing"], "{:#?}", r.messages("a.md"));
    assert!(r.messages("a.md").is_empty(), "{:#?}", r.messages("a.md"));
}

#[test]
fn no_network_even_with_fast_open_and_allow_network_is_loopback_of_its_own() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let port = l.local_addr().unwrap().port();
    let fast_open = format!(
        "{DISARM}import socket\n\
         s = socket.socket()\n\
         try:\n    s.sendmsg([b\"fast open\"], [], socket.MSG_FASTOPEN, (\"127.0.0.1\", {port}))\n    r = \"sent\"\n\
         except OSError as e:\n    r = \"refused\"\n\
         print(r)  # refused"
    );
    let own_server = "import socket, threading\n\
        srv = socket.create_server((\"127.0.0.1\", 0))\n\
        t = threading.Thread(target=lambda: srv.accept()[0].sendall(b\"hi\"), daemon=True)\n\
        t.start()\n\
        c = socket.create_connection(srv.getsockname(), timeout=5)\n\
        print(c.recv(2))  # b'hi'\n\
        t.join(5)"
        .to_string();
    let host = format!(
        "import socket\n\
         try:\n    socket.create_connection((\"127.0.0.1\", {port}), timeout=2)\n    r = \"reached the host\"\n\
         except OSError:\n    r = \"refused\"\n\
         print(r)  # refused"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), markdown(&[fast_open])).unwrap();
    std::fs::write(dir.path().join("b.md"), markdown(&[own_server, host])).unwrap();
    std::fs::write(dir.path().join("qa-lint.toml"), "").unwrap();
    let r = run(dir.path(), &["--no-cache", "a.md"], &[]);
    assert!(r.messages("a.md").is_empty(), "{:#?}", r.messages("a.md"));
    std::fs::write(dir.path().join("qa-lint.toml"), "[exec]\nallow-network = true\n").unwrap();
    let r = run(dir.path(), &["--no-cache", "b.md"], &[]);
    assert!(r.messages("b.md").is_empty(), "{:#?}", r.messages("b.md"));
    std::thread::sleep(Duration::from_millis(100));
    assert!(l.accept().is_err(), "a snippet reached a server of the host");
}

#[test]
fn subprocesses_need_allow_subprocess_even_through_multiprocessing_and_stay_confined() {
    // multiprocessing's spawn method starts a fresh interpreter through _posixsubprocess,
    // which raises no audit event: with the audit hook alone it runs unsandboxed.
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("made-by-a-spawned-interpreter");
    let code = format!(
        "import multiprocessing as mp, os\n\
         if __name__ == \"__main__\":\n    \
             p = mp.get_context(\"spawn\").Process(target=os.mkdir, args=({t:?},))\n    \
             p.start()\n    p.join(20)\n    \
             print(p.exitcode != 0)  # True",
        t = target.to_str().unwrap()
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), markdown(&[code])).unwrap();
    for config in ["", "[exec]\nallow-subprocess = true\n"] {
        std::fs::write(dir.path().join("qa-lint.toml"), config).unwrap();
        let r = run(dir.path(), &["--no-cache", "a.md"], &[]);
        assert!(!target.exists(), "{config:?}");
        assert!(r.messages("a.md").is_empty(), "{config:?}: {:#?}", r.messages("a.md"));
    }
}

/// What an entry that does not finish wrote into qa-lint's protocol stays out of the report:
/// its timeout is reported as a timeout (not as an unreadable answer of a crashed process),
/// whatever it wrote on its pipes, and the entries after it are judged.
#[test]
fn an_entry_that_times_out_cannot_garble_its_answer() {
    let code = format!(
        "{DISARM}import os, time\n\
         for f in os.listdir(\"/proc/self/fd\"):\n    try:\n        os.write(int(f), b\"B0[[[not a result\\nB0{{}}]}}\\n\")\n    except OSError:\n        pass\n\
         time.sleep(30)"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.md"),
        format!("---\nqa-lint: {{timeout: 1}}\n---\n{}", markdown(&[code])),
    )
    .unwrap();
    std::fs::write(dir.path().join("b.md"), victims(2)).unwrap();
    for args in [
        &["--no-cache", "--jobs", "1", "."][..],
        &["--no-cache", "--jobs", "1", "--strict-sandbox", "."],
    ] {
        let r = run(dir.path(), args, &[]);
        let a = r.messages("a.md");
        assert!(a.iter().any(|m| m.contains("\"timeout\"")), "{args:?}: {a:#?}");
        assert!(
            !a.iter()
                .any(|m| m.contains("unreadable") || m.contains("interpreter-crash")),
            "{args:?}: {a:#?}"
        );
        assert_eq!(r.count("b.md", "output-mismatch"), 2, "{args:?}");
    }
}

#[test]
fn floods_and_dev_shm_cost_qa_lint_nothing() {
    let marker = format!("qa-lint-flood-{}", std::process::id());
    let code = format!(
        "{DISARM}import os\n\
         open(\"/dev/shm/{marker}\", \"w\").write(\"left behind\")\n\
         fds = [int(f) for f in os.listdir(\"/proc/self/fd\") if int(f) > 2]\n\
         line = b\"B0\" + b\"[\" * (1 << 20) + b\"\\n\"\n\
         for _ in range(300):\n    for fd in fds:\n        try:\n            os.write(fd, line)\n        except OSError:\n            pass\n\
         print(\"flooded\")  # flooded"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), markdown(&[code])).unwrap();
    std::fs::write(dir.path().join("b.md"), victims(2)).unwrap();
    let cwd = "import os\nprint(os.path.dirname(os.getcwd()))  # where".to_string();
    std::fs::write(dir.path().join("c.md"), markdown(&[cwd])).unwrap();
    let r = run(dir.path(), &["--no-cache", "--jobs", "1", "."], &[]);
    assert_eq!(r.count("b.md", "output-mismatch"), 2);
    assert!(
        r.messages("a.md").iter().any(|m| m.contains("bytes of results")),
        "{:#?}",
        r.messages("a.md")
    );
    // SAFETY: getrusage on this process's waited-for children (the qa-lint runs).
    let peak_kib = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru);
        ru.ru_maxrss
    };
    assert!(peak_kib < 400 << 10, "qa-lint peaked at {peak_kib} KiB");
    assert!(!Path::new("/dev/shm").join(&marker).exists());
    // The entry's working directory lived in the worker's own tmpfs: nothing of it is left.
    let m = r.messages("c.md");
    let root = m
        .first()
        .and_then(|m| m.split("got `").nth(1))
        .and_then(|g| g.split('`').next());
    let root = root.unwrap_or_else(|| panic!("{m:#?}"));
    assert!(
        root.contains("qa-lint-") && !Path::new(root).exists(),
        "{root} is left on the host"
    );
}

#[test]
fn strict_runs_share_no_state_between_entries_and_keep_the_trusted_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let codes = [
        "import csv, os\ncsv.field_size_limit(7)\nos.sched_setaffinity(0, {0})\nprint(csv.field_size_limit())  # 7"
            .to_string(),
        "import csv, os\nprint(csv.field_size_limit(), len(os.sched_getaffinity(0)) == os.cpu_count())  # 131072 True"
            .to_string(),
    ];
    std::fs::write(d.join("a.md"), markdown(&codes)).unwrap();
    std::fs::write(d.join("qa-lint.toml"), "[exec]\nisolation = \"worker\"\n").unwrap();
    let r = run(d, &["--no-cache", "--strict-sandbox", "a.md"], &[]);
    assert!(r.messages("a.md").is_empty(), "{:#?}", r.messages("a.md"));
    // The trusted config says 1 s; the pull request's block asks for 60.
    let trusted = tempfile::tempdir().unwrap();
    let cfg = trusted.path().join("qa-lint.toml");
    std::fs::write(&cfg, "[exec]\ntimeout = 1\n").unwrap();
    let slow = "import time\ntime.sleep(4)\nprint(\"slept\")  # slept";
    let md = format!("# T\n\n## 1. Does it sleep?\n\n**Short answer:** Yes.\n\n```python timeout=60\n{slow}\n```\n");
    std::fs::write(d.join("b.md"), md).unwrap();
    let r = run(
        d,
        &[
            "--no-cache",
            "--strict-sandbox",
            "--config",
            cfg.to_str().unwrap(),
            "b.md",
        ],
        &[],
    );
    assert_eq!(r.count("b.md", "timeout"), 1, "{:#?}", r.messages("b.md"));
    // The message names the limit that applied (the trusted 1 s), not the block's 60.
    assert!(
        r.messages("b.md")
            .iter()
            .any(|m| m.contains("did not finish within 1 s")),
        "{:#?}",
        r.messages("b.md")
    );
}

#[test]
fn what_an_entry_starts_is_dead_before_the_next_entry_runs() {
    // The supervisor kills what an entry left (setsid and a double fork included) while it keeps
    // the spare child forked ahead for the next entry: that entry finds none of it. The first
    // entry sees its own sleeper, so the count can tell.
    let name = format!("qanext{}", std::process::id() % 100_000);
    let count = format!(
        "import os\n\
         def alive():\n    n = 0\n    for p in os.listdir(\"/proc\"):\n        \
             try:\n            st = open(\"/proc/%s/stat\" % p).read()\n        except OSError:\n            continue\n        \
             if \"({name})\" in st and st.rsplit(\")\", 1)[1].split()[0] != \"Z\":\n            n += 1\n    return n\n"
    );
    let start = format!(
        "{DISARM}{count}import time, ctypes\n\
         if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        \
             ctypes.CDLL(None).prctl(15, {name:?}.encode(), 0, 0, 0)\n        time.sleep(60)\n    os._exit(0)\n\
         time.sleep(0.3)\n\
         print(alive())  # 1"
    );
    let look = format!("{count}print(alive())  # 0");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), markdown(&[start, look.clone(), look])).unwrap();
    for spare in ["1", "0"] {
        for args in [&["--jobs", "1"][..], &["--strict-sandbox", "--jobs", "1"][..]] {
            let mut a = vec!["--no-cache", "a.md"];
            a.extend_from_slice(args);
            let r = run(dir.path(), &a, &[("QA_LINT_SPARE", spare)]);
            assert!(
                r.messages("a.md").is_empty(),
                "{args:?}, spare {spare}: {:#?}",
                r.messages("a.md")
            );
        }
    }
}

#[test]
fn nothing_a_snippet_starts_outlives_qa_lint() {
    let name = format!("qaleft{}", std::process::id() % 100_000);
    let code = format!(
        "{DISARM}import os, time, ctypes\n\
         if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        \
             ctypes.CDLL(None).prctl(15, {name:?}.encode(), 0, 0, 0)\n        time.sleep(60)\n    os._exit(0)\n\
         print(\"forked\")  # forked"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), markdown(&[code])).unwrap();
    let r = run(dir.path(), &["--no-cache", "a.md"], &[]);
    assert!(r.messages("a.md").is_empty(), "{:#?}", r.messages("a.md"));
    std::thread::sleep(Duration::from_millis(300));
    let left = processes_named(&name);
    for pid in &left {
        let _ = std::process::Command::new("kill").args(["-9", pid]).status();
    }
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn nothing_a_snippet_starts_outlives_a_killed_qa_lint() {
    let name = format!("qakill{}", std::process::id() % 100_000);
    let code = format!(
        "{DISARM}import os, time, ctypes\n\
         if os.fork() == 0:\n    os.setsid()\n    ctypes.CDLL(None).prctl(15, {name:?}.encode(), 0, 0, 0)\n    time.sleep(60)\n\
         time.sleep(60)"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), markdown(&[code])).unwrap();
    // What qa-lint says before it is killed (a warning that it runs unconfined, for one),
    // for the message of a failure.
    let said = dir.path().join("stderr.txt");
    let mut qa = common::command(dir.path(), &["--no-cache", "a.md"])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&said).unwrap())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while processes_named(&name).is_empty() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !processes_named(&name).is_empty(),
        "the snippet never started its sleeper"
    );
    qa.kill().unwrap();
    qa.wait().unwrap();
    // Gone, and still gone a moment later: a listing of /proc can miss a process that is
    // exiting (seen under load), and a survivor would be found again.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut gone_since: Option<std::time::Instant> = None;
    while std::time::Instant::now() < deadline {
        if !processes_named(&name).is_empty() {
            gone_since = None;
        } else if gone_since.get_or_insert_with(std::time::Instant::now).elapsed() >= Duration::from_millis(300) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = processes_named(&name);
    for pid in &left {
        let _ = std::process::Command::new("kill").args(["-9", pid]).status();
    }
    assert!(
        left.is_empty(),
        "left behind after SIGKILL of qa-lint: {left:?}; qa-lint said: {}",
        std::fs::read_to_string(&said).unwrap_or_default()
    );
}

#[test]
fn a_committed_cache_is_never_trusted_in_strict_mode() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.md"), victims(2)).unwrap();
    let cache = d.join(".qa-lint-cache");
    let c = cache.to_str().unwrap();
    // The attacker's recipe: a trusted run fills the cache, then every recorded output is
    // rewritten to what the claims say, and the cache is committed with the pull request.
    let first = run(d, &["--cache-dir", c, "a.md"], &[]);
    assert_eq!(first.count("a.md", "output-mismatch"), 2);
    forge_cache(&cache);
    let trusted = run(d, &["--cache-dir", c, "a.md"], &[]);
    assert_eq!(
        trusted.count("a.md", "output-mismatch"),
        0,
        "the forgery works on a trusted run"
    );
    for env in [&[][..], &[("QA_LINT_CACHE_KEY", "ci-secret")][..]] {
        let strict = run(d, &["--cache-dir", c, "--strict-sandbox", "a.md"], env);
        assert_eq!(strict.count("a.md", "output-mismatch"), 2, "{env:?}");
    }
    // Results of a strict run are never read by a trusted run.
    std::fs::remove_dir_all(&cache).unwrap();
    run(
        d,
        &["--cache-dir", c, "--strict-sandbox", "a.md"],
        &[("QA_LINT_CACHE_KEY", "k")],
    );
    let r = common::qa_in_env(d, &["--cache-dir", c, "a.md"], &[("QA_LINT_FORBID_EXEC", "1")]);
    assert!(
        r.stderr.contains("2 entries need running"),
        "a trusted run read strict results: {}",
        r.stderr
    );
}

/// Rewrites every cached output `k + 1` into the claimed `k + 2`, and every file's judged
/// result into one without findings.
fn forge_cache(dir: &Path) {
    for sub in std::fs::read_dir(dir).unwrap().flatten().filter(|e| e.path().is_dir()) {
        for f in std::fs::read_dir(sub.path()).unwrap().flatten() {
            let text = std::fs::read_to_string(f.path()).unwrap();
            let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let payload = &mut v["payload"];
            if let Some(found) = payload.get_mut("diagnostics") {
                *found = serde_json::json!([]);
            } else {
                for e in payload["data"]["blocks"][0]["events"].as_array_mut().unwrap() {
                    let n: i64 = e["text"].as_str().unwrap().parse().unwrap();
                    e["text"] = serde_json::Value::String((n + 1).to_string());
                }
            }
            std::fs::write(f.path(), v.to_string()).unwrap();
        }
    }
}

#[test]
fn the_walk_reports_symlinks_out_of_the_tree_and_prints_nothing_of_them() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.md");
    std::fs::write(&secret, "# outside-secret-line\n\n## 1. Leak?\n\nno\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("x.md")).unwrap();
    std::fs::write(dir.path().join("real.md"), victims(1)).unwrap();
    std::os::unix::fs::symlink(dir.path().join("real.md"), dir.path().join("inside.md")).unwrap();
    let r = run(dir.path(), &["--no-exec", "."], &[]);
    assert!(!r.stdout.contains("outside-secret-line") && !r.stderr.contains("outside-secret-line"));
    assert!(
        r.diags
            .iter()
            .any(|d| same(&d["path"], "x.md") && d["message"].as_str().unwrap().contains("symlink")),
        "{}",
        r.stdout
    );
    assert!(
        r.diags.iter().any(|d| same(&d["path"], "inside.md")),
        "a link inside the tree is checked"
    );
}

#[test]
fn without_kernel_confinement_strict_refuses_and_the_default_warns_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), victims(3)).unwrap();
    let strict = without_userns(dir.path(), &["--strict-sandbox", "a.md"]);
    let err = String::from_utf8_lossy(&strict.stderr);
    assert_eq!(strict.status.code(), Some(2), "{err}");
    assert!(
        err.contains("user namespaces") && err.contains("--sandbox=weak"),
        "{err}"
    );
    assert!(strict.stdout.is_empty());
    let weak = without_userns(dir.path(), &["--strict-sandbox", "--sandbox=weak", "a.md"]);
    assert_eq!(weak.status.code(), Some(1), "{}", String::from_utf8_lossy(&weak.stderr));
    let default = without_userns(dir.path(), &["a.md"]);
    let err = String::from_utf8_lossy(&default.stderr);
    assert_eq!(default.status.code(), Some(1), "{err}");
    assert_eq!(
        err.matches("warning: kernel confinement is not available").count(),
        1,
        "{err}"
    );
}

/// Issue 25, holes 2 and 4: a confined snippet cannot set the limits, affinity or niceness of
/// the worker's other processes (the supervisor, the fork server, the spare: what it set there
/// would hold for other files' entries), nor a set-user-ID bit or an extended attribute. What
/// it may do to itself still works. Victim files after it keep their wrong claims reported.
#[test]
fn a_confined_snippet_cannot_change_other_processes_or_file_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let refuse = |call: &str| {
        format!("try:\n    {call}\n    print('changed')\nexcept PermissionError:\n    print('refused')  # refused")
    };
    let mut codes: Vec<String> = [
        "resource.prlimit(os.getppid(), resource.RLIMIT_NOFILE, (10, 10))",
        "resource.prlimit(os.getppid(), resource.RLIMIT_AS, (1 << 20, 1 << 20))",
        "os.sched_setaffinity(os.getppid(), {0})",
        "os.setpriority(os.PRIO_PROCESS, os.getppid(), 10)",
        "os.setpriority(os.PRIO_PGRP, 0, 10)",
        "open('f', 'w').close(); os.chmod('f', 0o4755)",
        "open('g', 'w').close(); os.setxattr('g', 'user.tag', b'1')",
    ]
    .iter()
    .map(|c| format!("import os, resource\n{}", refuse(c)))
    .collect();
    codes.push(
        "import os, resource\nos.setpriority(os.PRIO_PROCESS, 0, 1)\nprint(os.getpriority(os.PRIO_PROCESS, 0))  # 1\n\
         open('h', 'w').close()\nos.chmod('h', 0o640)\nprint(oct(os.stat('h').st_mode & 0o777))  # 0o640\n\
         print(resource.prlimit(os.getpid(), resource.RLIMIT_NOFILE)[0] > 0)  # True"
            .to_string(),
    );
    std::fs::write(d.join("a.md"), markdown(&codes)).unwrap();
    std::fs::write(d.join("b.md"), victims(4)).unwrap();
    let r = run(
        d,
        &["--no-cache", "--strict-sandbox", "--jobs", "1", "a.md", "b.md"],
        &[],
    );
    assert!(r.messages("a.md").is_empty(), "{:#?}", r.messages("a.md"));
    assert_eq!(r.count("b.md", "output-mismatch"), 4, "{:#?}", r.messages("b.md"));
}

/// Issue 25, holes 4 and 6: metadata outside the scratch directory (mode, times, extended
/// attributes) cannot be changed, because the child's mount tree is read-only but for its
/// scratch tmpfs; and SysV shared memory one file's entry creates is not there for the next
/// entry of the same worker (an IPC namespace per child). The snippet's own files still work.
#[test]
fn metadata_outside_the_scratch_directory_and_sysv_ipc_are_out_of_reach() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let victim = d.join("victim.txt");
    std::fs::write(&victim, "data").unwrap();
    let before = std::fs::metadata(&victim).unwrap();
    let touch = format!(
        "import os\npath = {:?}\nfor call in (lambda: os.chmod(path, 0o4777), lambda: os.utime(path, (0, 0)), lambda: os.setxattr(path, 'user.x', b'1'), lambda: os.chown(path, 0, 0)):\n    try:\n        call()\n        print('changed')\n    except OSError:\n        print('refused')\n# Output:\n# refused\n# refused\n# refused\n# refused\nopen('mine', 'w').close()\nos.chmod('mine', 0o600)\nos.utime('mine', (0, 0))\nprint(os.stat('mine').st_mtime)  # 0.0",
        victim.to_str().unwrap()
    );
    let create = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.shmget(424242, 4096, 0o1000 | 0o600) >= 0)  # True".to_string();
    let look = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.shmget(424242, 4096, 0o600))  # -1"
        .to_string();
    std::fs::write(d.join("a.md"), markdown(&[touch, create])).unwrap();
    std::fs::write(d.join("b.md"), markdown(&[look])).unwrap();
    let r = run(
        d,
        &["--no-cache", "--strict-sandbox", "--jobs", "1", "a.md", "b.md"],
        &[],
    );
    assert!(r.messages("a.md").is_empty(), "{:#?}", r.messages("a.md"));
    assert!(r.messages("b.md").is_empty(), "{:#?}", r.messages("b.md"));
    let after = std::fs::metadata(&victim).unwrap();
    assert_eq!(
        (after.mode(), after.mtime(), after.uid(), after.gid()),
        (before.mode(), before.mtime(), before.uid(), before.gid())
    );
}

/// Issue 25, hole 7: a `.qa-lint-cache` committed as a symbolic link is not followed: qa-lint
/// warns, runs without the cache, and writes nothing where the link points.
#[test]
fn a_cache_directory_behind_a_symlink_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::os::unix::fs::symlink(outside.path(), d.join(".qa-lint-cache")).unwrap();
    std::fs::write(d.join("a.md"), victims(1)).unwrap();
    let out = common::qa_in(d, &["--cache-dir", ".qa-lint-cache", "a.md"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("is reached through a symbolic link") && out.stderr.contains("the cache is not used"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        0,
        "qa-lint wrote through the link"
    );
}

/// Issue 25, low item: the page the supervisor shares with a child is sealed at its size; a
/// snippet that finds it among its descriptors and truncates it is refused, and the supervisor
/// goes on (a truncated page would have made its next read a SIGBUS). In both sandbox modes.
#[test]
fn the_shared_page_cannot_be_truncated_under_the_supervisor() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let truncate = "import os\nhits = []\nfor fd in os.listdir('/proc/self/fd'):\n    try:\n        if 'qa-lint-page' in os.readlink('/proc/self/fd/' + fd):\n            try:\n                os.ftruncate(int(fd), 0)\n                hits.append('truncated')\n            except OSError:\n                hits.append('refused')\n    except OSError:\n        pass\nprint(sorted(set(hits)))  # ['refused']\nprint(1 + 1)  # 2".to_string();
    std::fs::write(d.join("a.md"), markdown(&[truncate, "print(2 + 2)  # 4".to_string()])).unwrap();
    std::fs::write(d.join("b.md"), victims(2)).unwrap();
    for sandbox in ["weak", "kernel"] {
        let r = run(
            d,
            &["--no-cache", "--sandbox", sandbox, "--jobs", "1", "a.md", "b.md"],
            &[],
        );
        assert!(r.messages("a.md").is_empty(), "{sandbox}: {:#?}", r.messages("a.md"));
        assert_eq!(
            r.count("b.md", "output-mismatch"),
            2,
            "{sandbox}: {:#?}",
            r.messages("b.md")
        );
    }
}

/// Issue 25, hole 2 without the kernel's help (`--sandbox weak`, where seccomp does not refuse
/// the calls): a snippet lowers a limit of, and pins and renices, the supervisor and every
/// sibling of its own child (the fork server, the spare). The entries of the next file still
/// start from the worker's own state: the serving processes re-assert it before each entry,
/// a changed spare is not used, and what cannot be undone retires the worker.
#[test]
fn processes_that_serve_many_entries_reassert_their_state() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let change = format!(
        "{DISARM}import os, resource\n\
         sup = os.getppid()\n\
         targets = [sup]\n\
         for p in os.listdir('/proc'):\n    \
             if p.isdigit() and int(p) != os.getpid():\n        \
                 try:\n            \
                     with open('/proc/%s/stat' % p) as f:\n                \
                         if int(f.read().rsplit(')', 1)[1].split()[1]) == sup:\n                    \
                             targets.append(int(p))\n        \
                 except OSError:\n            \
                     pass\n\
         for pid in targets:\n    \
             for call in (lambda: resource.prlimit(pid, resource.RLIMIT_MSGQUEUE, (0, resource.prlimit(pid, resource.RLIMIT_MSGQUEUE)[1])),\n                 \
                          lambda: os.sched_setaffinity(pid, {{min(os.sched_getaffinity(pid))}}),\n                 \
                          lambda: os.setpriority(os.PRIO_PROCESS, pid, 7)):\n        \
                 try:\n            \
                     call()\n        \
                 except OSError:\n            \
                     pass\n\
         print(len(targets) > 1)  # True"
    );
    let check = "import os, resource\n\
                 print(resource.getrlimit(resource.RLIMIT_MSGQUEUE)[0] > 0)  # True\n\
                 print(len(os.sched_getaffinity(0)) == len(os.sched_getaffinity(os.getppid())))  # True\n\
                 print(os.getpriority(os.PRIO_PROCESS, 0))  # 0"
        .to_string();
    std::fs::write(d.join("a.md"), markdown(&[change])).unwrap();
    std::fs::write(d.join("b.md"), markdown(&[check.clone(), check])).unwrap();
    let r = run(
        d,
        &["--no-cache", "--sandbox", "weak", "--jobs", "1", "a.md", "b.md"],
        &[],
    );
    assert!(r.messages("a.md").is_empty(), "{:#?}", r.messages("a.md"));
    assert!(r.messages("b.md").is_empty(), "{:#?}", r.messages("b.md"));
}
