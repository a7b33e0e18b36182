//! Every entry child comes from the worker's fork server (src/exec/qa_forkserver.py), a copy of
//! the supervisor made before the first request: a child forked while another entry runs (the
//! spare, forked ahead) holds nothing of that entry's request in its memory.
//!
//! A snippet that kills the fork server costs nothing but a new server (the audit hook switched
//! off, without kernel confinement), and cannot kill it at all when confined.
//!
//! Through the real worker and the pool API, like tests/isolation.rs, and the CLI.

mod common;

use qa_lint::exec::{BlockJob, BlockMode, EntryJob, EntryOutcome, Limits, Pool};
use std::time::Duration;

/// A token that appears whole only in the first entry's source: the second entry's code names
/// its two halves apart, so finding it whole means finding the other entry's request.
const SECRET: &str = "QAFSX9Z7K";

/// Reads every readable mapping of its own process and counts the whole token.
const SCAN: &str = r#"
head, tail = b"QAFS", b"X9Z7K"
found = 0
with open("/proc/self/maps") as m:
    maps = m.read().splitlines()
with open("/proc/self/mem", "rb", 0) as mem:
    for line in maps:
        addr, perms = line.split()[:2]
        lo, hi = (int(x, 16) for x in addr.split("-"))
        if not perms.startswith("r") or hi - lo > 1 << 26:
            continue
        try:
            mem.seek(lo)
            data = mem.read(hi - lo)
        except (OSError, ValueError, OverflowError):
            continue
        i = data.find(head)
        while i >= 0:
            found += data[i + 4:i + 9] == tail
            i = data.find(head, i + 1)
print(found)
"#;

fn entry(group: &str, code: &str) -> EntryJob {
    EntryJob {
        blocks: vec![BlockJob {
            filename: format!("<qa:{group}:1>"),
            source: code.to_string(),
            mode: BlockMode::Exec,
            fresh_namespace: false,
        }],
        group: group.into(),
        ..EntryJob::default()
    }
}

fn printed(o: &EntryOutcome) -> Vec<String> {
    match o {
        EntryOutcome::Completed(r) => r
            .blocks
            .iter()
            .flat_map(|b| {
                assert!(b.errors.is_empty(), "unexpected errors: {:#?}", b.errors);
                b.events.iter().map(|e| e.text.clone())
            })
            .collect(),
        other => panic!("entry did not complete: {other:#?}"),
    }
}

#[test]
fn a_child_forked_while_another_entry_runs_holds_nothing_of_its_request() {
    // One worker with a spare: the second file's entry runs in the child forked during the
    // first's (the other test of this binary passes with a spare or without one).
    let limits = Limits {
        timeout: Duration::from_secs(20),
        ..Limits::default()
    };
    let spare = qa_lint::environment::Environment {
        spare: Some(true),
        ..Default::default()
    };
    let pool = Pool::new(1, limits)
        .with_environment(&spare)
        .with_worker_exe(env!("CARGO_BIN_EXE_qa-lint"));
    // The first entry keeps running while the spare is forked, and holds the token.
    let first = format!("import time\nsecret = '{SECRET}'\ntime.sleep(0.3)\nprint(len(secret))\n");
    let out = pool.run_collect(vec![entry("a.md", &first), entry("b.md", SCAN)]);
    assert_eq!(printed(&out[0]), ["9"]);
    assert_eq!(
        printed(&out[1]),
        ["0"],
        "the second file's child holds the first file's request"
    );
}

/// Kills every other child of its parent (the supervisor): the fork server, and the spare if
/// there is one. The audit hook is switched off first, as tests/confinement's attacks do.
const KILL_SIBLINGS: &str = r#"import gc
for o in gc.get_objects():
    if hasattr(o, "deny_net") and hasattr(o, "active"):
        o.active = False
import os, signal
me, sup, done = os.getpid(), os.getppid(), []
for p in os.listdir("/proc"):
    if p.isdigit() and int(p) != me:
        try:
            with open("/proc/%s/stat" % p) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == sup:
            try:
                os.kill(int(p), signal.SIGKILL)
                done.append("killed")
            except PermissionError:
                done.append("refused")
print(sorted(set(done)))
"#;

/// How many pipes the entry's process holds: its own two ends to the supervisor, and nothing of
/// another child's (a fork server started again must not hand those on).
const PIPES: &str = r#"import os
kinds = []
for fd in os.listdir("/proc/self/fd"):
    try:
        kinds.append(os.readlink("/proc/self/fd/" + fd).split(":")[0])
    except OSError:
        pass
print(kinds.count("pipe"))"#;

/// What a child holds in a run where nothing is killed: `PIPES`'s output, read from the
/// mismatch it reports against a claim no count can meet.
fn pipes_of_a_child(dir: &std::path::Path, sandbox: &str) -> String {
    std::fs::write(dir.join("c.md"), common::entries_markdown(&[format!("{PIPES}  # -1")])).unwrap();
    let args = ["--sandbox", sandbox, "--no-cache", "--jobs", "1", "c.md"];
    let out = common::qa_in(dir, &args);
    let got = regex::Regex::new(r"got `(\d+)`").unwrap();
    let n = got
        .captures(&out.stdout)
        .unwrap_or_else(|| panic!("{sandbox}: {}", out.stdout));
    std::fs::remove_file(dir.join("c.md")).unwrap();
    n[1].to_string()
}

#[test]
fn a_killed_fork_server_is_replaced_and_a_confined_snippet_cannot_kill_it() {
    let dir = tempfile::tempdir().unwrap();
    let weak = format!("{}  # ['killed']", KILL_SIBLINGS.trim_end());
    let confined = format!("{}  # ['refused']", KILL_SIBLINGS.trim_end());
    for (sandbox, first, replaced) in [("weak", &weak, true), ("kernel", &confined, false)] {
        let after = format!("{PIPES}  # {}", pipes_of_a_child(dir.path(), sandbox));
        std::fs::write(
            dir.path().join("a.md"),
            common::entries_markdown(&[first.as_str(), &after]),
        )
        .unwrap();
        std::fs::write(dir.path().join("b.md"), common::entries_markdown(&[&after, &after])).unwrap();
        let args = [
            "--sandbox",
            sandbox,
            "--no-cache",
            "--jobs",
            "1",
            "--select",
            "QA2",
            "a.md",
            "b.md",
        ];
        let out = common::qa_in_env(dir.path(), &args, &[("QA_LINT_EXEC_TRACE", "1")]);
        assert_eq!(
            out.code, 0,
            "{sandbox}: every claim holds\n{}\n{}",
            out.stdout, out.stderr
        );
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(all.contains("4 entries; 4 claims verified"), "{sandbox}: {all}");
        assert_eq!(
            out.stderr.contains("gone; a new one"),
            replaced,
            "{sandbox}: the fork server should {}have been replaced:\n{}",
            if replaced { "" } else { "not " },
            out.stderr
        );
    }
}
