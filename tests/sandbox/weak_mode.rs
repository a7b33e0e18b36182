//! The audit hook's holes (SECURITY.md): each `weak_mode_*` test shows an attack that
//! `--sandbox=weak` (the audit hook alone) lets through and kernel confinement stops.

use super::*;
#[test]
fn weak_mode_ancestor_environ_is_readable() {
    // The worker's environment is scrubbed, but qa-lint's own process (same uid) is not:
    // /proc/<qa-lint pid>/environ holds the CI job's environment. Confined, qa-lint is not in
    // the snippet's PID namespace at all.
    let code = "import os\n\
        def ppid(pid):\n    for l in open(\"/proc/%d/status\" % pid):\n        if l.startswith(\"PPid:\"):\n            return int(l.split()[1])\n\
        env = open(\"/proc/%d/environ\" % ppid(os.getppid()), \"rb\").read()\n\
        print(b\"QA_LINT_TEST_SECRET\" in env)  # False";
    let run = check_weak(&[("python", code)], None);
    assert!(
        run.has("output-mismatch", "got `True`"),
        "reading qa-lint's /proc environ no longer works: update SECURITY.md\n{:#?}",
        run.exec()
    );
    let confined = check(&[("python", code)], None);
    assert!(!confined.has("output-mismatch", "got `True`"), "{:#?}", confined.exec());
    assert!(!confined.stdout.contains(SECRET));
}

#[test]
fn weak_mode_pure_python_bypasses_of_the_audit_hook() {
    for weak in [true, false] {
        pure_python_bypasses(weak);
    }
}

fn pure_python_bypasses(weak: bool) {
    // A hard link needs the victim on the file system of the entry dirs: /dev/shm when it is
    // usable (like qa_helper.py's _TMP_BASE), else the default temp dir.
    let shm = Path::new("/dev/shm");
    let other = match shm.is_dir() {
        true => tempfile::tempdir_in(shm).or_else(|_| tempfile::tempdir()).unwrap(),
        false => tempfile::tempdir().unwrap(),
    };
    let victim = other.path().join("victim.txt");
    std::fs::write(&victim, "original").unwrap();
    let link_dst = other.path().join("made-by-symlink");
    let fe_out = other.path().join("fork-exec.txt");
    let code = format!(
        "import os, _posixsubprocess\n\
         os.link({v:?}, \"hardlink\")\n\
         with open(\"hardlink\", \"w\") as f:\n    f.write(\"changed\")\n\
         os.chmod({v:?}, 0o600)\n\
         os.utime({v:?}, (0, 0))\n\
         os.chown({v:?}, os.getuid(), os.getgid())\n\
         os.symlink(\"/\", {s:?})\n\
         r, w = os.pipe()\n\
         pid = _posixsubprocess.fork_exec([b\"/bin/sh\", b\"-c\", b\"echo ran > {fe}\"], [b\"/bin/sh\"], True, (w,), None, None, -1, -1, -1, -1, -1, -1, r, w, True, False, -1, -1, None, -1, -1, None, False)\n\
         os.waitpid(pid, 0)[1]  # 0",
        v = victim.to_str().unwrap(),
        s = link_dst.to_str().unwrap(),
        fe = fe_out.to_str().unwrap(),
    );
    let run = if weak {
        check_weak(&[("python", &code)], None)
    } else {
        check(&[("python", &code)], None)
    };
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::metadata(&victim).unwrap();
    let holes = [
        std::fs::read_to_string(&victim).unwrap() == "changed"
            && meta.permissions().mode() & 0o777 == 0o600
            && meta.mtime() == 0,
        link_dst.is_symlink(),
        fe_out.exists(),
    ];
    assert_eq!(
        holes,
        [weak; 3],
        "weak = {weak}: a bypass changed: update SECURITY.md\n{:#?}",
        run.exec()
    );
    if weak {
        assert!(
            !run.diags.iter().any(|d| d.rule == "sandbox-violation"),
            "{:#?}",
            run.exec()
        );
    }
}

#[test]
fn weak_mode_sendmsg_and_lookups_are_not_blocked() {
    for weak in [true, false] {
        sendmsg_and_lookups(weak);
    }
}

fn sendmsg_and_lookups(weak: bool) {
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let port = udp.local_addr().unwrap().port();
    let code = format!(
        "import socket\n\
         s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
         s.sendmsg([b\"via sendmsg\"], [], 0, (\"127.0.0.1\", {port}))  # 11\n\
         len(socket.getaddrinfo(\"localhost\", 80)) > 0  # True"
    );
    if !weak {
        udp.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    }
    let run = if weak {
        check_weak(&[("python", &code)], None)
    } else {
        check(&[("python", &code)], None)
    };
    let mut buf = [0u8; 64];
    let got = udp.recv(&mut buf).map(|n| buf[..n].to_vec()).unwrap_or_default();
    if weak {
        assert_eq!(
            got,
            b"via sendmsg",
            "sendmsg is now blocked: update SECURITY.md\n{:#?}",
            run.exec()
        );
        run.assert_clean();
    } else {
        assert!(got.is_empty(), "a confined snippet reached the host's loopback");
        assert!(
            // The confined child has no route out: the example needs the network.
            run.has("needs-network", "OSError"),
            "{:#?}",
            run.exec()
        );
    }
}

#[test]
fn weak_mode_ctypes_bypasses_the_audit_hook() {
    let other = tempfile::tempdir().unwrap();
    let out = other.path().join("ctypes.txt");
    let code = format!(
        "import ctypes\nctypes.CDLL(None).system(b\"echo ran > {}\")  # 0",
        out.to_str().unwrap()
    );
    let run = check(&[("python", &code)], None);
    assert!(!out.exists(), "ctypes got past kernel confinement\n{:#?}", run.exec());
    let run = check_weak(&[("python", &code)], None);
    assert!(
        out.exists(),
        "ctypes no longer bypasses the audit hook: update SECURITY.md\n{:#?}",
        run.exec()
    );
}

#[test]
fn weak_mode_new_session_escapes_the_group_kill() {
    for weak in [false, true] {
        let marker = format!(
            "{}.{}{}",
            400 + std::process::id() % 100,
            std::process::id(),
            u8::from(weak)
        );
        let code = format!(
            "import subprocess\np = subprocess.Popen([\"sleep\", \"{marker}\"], start_new_session=True)\nprint(p.pid > 0)  # True"
        );
        let blocks = [("python allow-subprocess", code.as_str())];
        if weak {
            check_weak(&blocks, None)
        } else {
            check(&blocks, None)
        }
        .assert_clean();
        std::thread::sleep(Duration::from_millis(200));
        let left = processes_with(&format!("sleep {marker}"));
        kill_all(&left);
        assert_eq!(
            !left.is_empty(),
            weak,
            "weak = {weak}: setsid grandchildren left: {left:?}"
        );
    }
}

// ---------------------------------------------------------------- regressions

#[test]
fn fixture_directive_cannot_read_files_outside_the_project() {
    let code = "data = open(\"environ\", \"rb\").read()\nprint(b\"QA_LINT_TEST_SECRET\" in data)  # False";
    let run = check(&[("python fixture=/proc/self/environ", code)], None);
    assert!(!run.has("output-mismatch", "got `True`"), "{:#?}", run.exec());
    assert!(!run.stdout.contains(SECRET));
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(outer.path().join("outside.txt"), "outside").unwrap();
    let inner: PathBuf = outer.path().join("project");
    std::fs::create_dir(&inner).unwrap();
    std::fs::write(inner.join("qa-lint.toml"), "").unwrap();
    let code = "print(open(\"outside.txt\").read())  # nothing";
    let run = check_in(&inner, &[("python fixture=../outside.txt", code)], None);
    assert!(
        run.has("missing-fixture", "") || run.has("invalid-directive", ""),
        "{:#?}",
        run.exec()
    );
}

#[test]
fn strict_sandbox_ignores_the_pull_requests_own_opt_outs() {
    let code = "import subprocess\nprint(subprocess.run(['true']).returncode)  # 0";
    let config = "[exec]\nallow-subprocess = true\n";
    let dir = tempfile::tempdir().unwrap();
    check_with(dir.path(), &[("python allow-subprocess", code)], Some(config), &[]).assert_clean();
    let strict = check_with(
        dir.path(),
        &[("python allow-subprocess", code)],
        Some(config),
        &["--strict-sandbox"],
    );
    assert!(
        strict.has("sandbox-violation", "subprocess blocked"),
        "{:#?}",
        strict.exec()
    );
    // An unreviewed pull request reaching past the sandbox is the finding: an error there,
    // where the same block in a reader's own checkout is a warning about the policy.
    let severity = |run: &Run| {
        run.diags
            .iter()
            .find(|d| d.rule == "sandbox-violation")
            .map(|d| d.severity.clone())
    };
    assert_eq!(severity(&strict).as_deref(), Some("error"), "{:#?}", strict.exec());
    let plain = tempfile::tempdir().unwrap();
    let default = check_with(plain.path(), &[("python", code)], None, &[]);
    assert_eq!(severity(&default).as_deref(), Some("warning"), "{:#?}", default.exec());
}
