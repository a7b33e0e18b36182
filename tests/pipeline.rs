//! The pool sends a worker its next entry before the answer to the one before (pool.rs,
//! `PIPELINE`). When the worker dies under an entry, the entries already sent to it after that
//! one are sent again to a new worker: they complete as if nothing had happened, and only the
//! entry that killed it is reported.
//!
//! Without kernel confinement (this pool's policy), a snippet can kill its supervisor; under
//! confinement it cannot (tests/confinement), so the worker's death has to be staged this way.

mod common;

use qa_lint::exec::confine::Policy;
use qa_lint::exec::{BlockJob, BlockMode, EntryJob, EntryOutcome, Limits, Pool};
use std::time::Duration;

fn entry(n: usize, code: &str) -> EntryJob {
    EntryJob {
        blocks: vec![BlockJob {
            filename: format!("<qa:f{n}.md:1>"),
            source: code.to_string(),
            mode: BlockMode::Exec,
            fresh_namespace: false,
        }],
        group: "*".into(),
        ..EntryJob::default()
    }
}

#[test]
fn entries_sent_to_a_worker_that_dies_run_again_on_the_next() {
    let limits = Limits {
        timeout: Duration::from_secs(10),
        ..Limits::default()
    };
    let weak = Policy {
        kernel: false,
        strict: false,
    };
    let pool = Pool::new(1, limits)
        .with_policy(weak)
        .with_worker_exe(env!("CARGO_BIN_EXE_qa-lint"));
    let jobs = vec![
        entry(0, "print('first')\n"),
        entry(
            1,
            "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('survived')\n",
        ),
        entry(2, "print('second')\n"),
        entry(3, "print('third')\n"),
    ];
    let out = pool.run_collect(jobs);
    let printed = |o: &EntryOutcome| match o {
        EntryOutcome::Completed(r) => r.blocks[0].events.iter().map(|e| e.text.clone()).collect::<Vec<_>>(),
        other => panic!("expected a completed entry, got {other:#?}"),
    };
    assert_eq!(printed(&out[0]), ["first"]);
    assert!(
        matches!(&out[1], EntryOutcome::Crashed { detail, .. } if detail.contains("worker")),
        "the entry that killed its worker is the one reported: {:#?}",
        out[1]
    );
    assert_eq!(
        printed(&out[2]),
        ["second"],
        "an entry sent ahead to the dead worker ran again"
    );
    assert_eq!(printed(&out[3]), ["third"]);
}

/// Checks `codes` as the entries of one file `a.md` in `dir` (weak sandbox, `--jobs` as
/// given) with the exec trace on; the run must pass; returns the trace (stderr).
fn traced_run(dir: &std::path::Path, codes: &[String], jobs: &str) -> String {
    std::fs::write(dir.join("a.md"), common::entries_markdown(codes)).unwrap();
    traced_check(dir, jobs, "a.md")
}

/// Checks `path` in `dir` (weak sandbox, `--jobs` as given) with the exec trace on; the run
/// must pass; returns the trace (stderr).
fn traced_check(dir: &std::path::Path, jobs: &str, path: &str) -> String {
    let args = [
        "--no-cache",
        "--entries",
        "sections",
        "--sandbox",
        "weak",
        "--jobs",
        jobs,
        path,
    ];
    let out = common::qa_in_env(dir, &args, &[("QA_LINT_EXEC_TRACE", "1")]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    out.stderr
}

/// The workers a run starts are the ones it keeps busy (`Pool::workers_for`: a worker thread
/// claims up to 16 consecutive entries of one group at a time, and each claim keeps one
/// worker busy), started side by side: with `--jobs 2`, three entries start one worker and
/// twenty start two, whichever thread happens to claim what. Counted in the exec trace, where
/// every supervisor says when it is ready (weak sandbox: real pids, not PID 1 each).
#[test]
fn a_run_starts_the_workers_it_keeps_busy_and_no_more() {
    let dir = tempfile::tempdir().unwrap();
    let ready = |entries: usize| {
        let codes: Vec<String> = (0..entries).map(|k| format!("print({k})  # {k}")).collect();
        let trace = traced_run(dir.path(), &codes, "2");
        trace.lines().filter(|l| l.contains("]: worker ready")).count()
    };
    assert_eq!(ready(3), 1);
    assert_eq!(ready(20), 2);
}

/// A worker thread claims up to 16 consecutive entries at a time (`MAX_CLAIM`); it claims the
/// next run when it has sent the last entry of this one, so the worker's pipeline does not
/// drain at the boundary: every entry after the first is handed to the reused child while the
/// one before it still runs (the exec trace says "handed ahead"), the seventeenth too. Before,
/// the seventeenth was sent only after the sixteenth's answer, and the child waited a round
/// trip through the main process for it every sixteen entries (the seventeenth is
/// `MAX_CLAIM` + 1). Each entry sleeps long enough (100 ms) for the next to arrive before it
/// ends, even on a loaded machine.
#[test]
fn the_pipeline_stays_full_across_the_runs_a_worker_thread_claims() {
    let dir = tempfile::tempdir().unwrap();
    let codes: Vec<String> = (0..20)
        .map(|k| format!("import time\ntime.sleep(0.1)\nprint({k})  # {k}"))
        .collect();
    let trace = traced_run(dir.path(), &codes, "1");
    let ahead: Vec<&str> = trace.lines().filter(|l| l.contains(" handed ahead to ")).collect();
    assert_eq!(
        ahead.len(),
        19,
        "every entry but the first starts in the child without waiting for a request:\n{trace}"
    );
    assert!(ahead.iter().any(|l| l.contains("entry 17 handed ahead")), "{trace}");
}

/// A run reads its files in chunks of 256 and, with a core the workers leave free (`--jobs
/// 1` on a machine of two cores or more), checks the next chunk while the entries of the one
/// before run (pipeline/mod.rs, `run`). Across that boundary nothing is lost, doubled or
/// reordered: 300 files, one entry each, the claims of two of them wrong (one in each chunk),
/// give one line per wrong claim, at its file and line, in path order, and a summary of 300
/// files and 300 entries.
#[test]
fn files_beyond_the_first_chunk_are_checked_and_run_once_each_in_order() {
    let dir = tempfile::tempdir().unwrap();
    for k in 0..300 {
        let claim = if k == 7 || k == 280 { k + 1 } else { k };
        let code = format!("print({k})  # {claim}");
        let md = common::entries_markdown(&[code]);
        std::fs::write(dir.path().join(format!("f{k:03}.md")), md).unwrap();
    }
    let args = [
        "--no-cache",
        "--jobs",
        "1",
        "--entries",
        "sections",
        "--output-format",
        "concise",
        ".",
    ];
    let out = common::qa_in_env(dir.path(), &args, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let errors: Vec<&str> = out.stdout.lines().filter(|l| l.contains("output-mismatch")).collect();
    assert_eq!(errors.len(), 2, "{}", out.stdout);
    assert!(errors[0].starts_with("f007.md:8:"), "{}", out.stdout);
    assert!(errors[1].starts_with("f280.md:8:"), "{}", out.stdout);
    assert!(
        out.stdout.contains("300 files") && out.stdout.contains("300 entries"),
        "{}",
        out.stdout
    );
}

/// A worker thread claims the next job ahead only when no other thread could start it now
/// (src/exec/claim.rs): with `isolation = "file"`, two files of one entry each and `--jobs
/// 2`, each file runs on a worker of its own (two supervisors fork a child each), not both on
/// the first worker, one after the other, while the second has nothing to do.
#[test]
fn a_job_claimed_ahead_is_never_one_an_idle_worker_could_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("qa-lint.toml"), "[exec]\nisolation = \"file\"\n").unwrap();
    for name in ["a.md", "b.md"] {
        let code = "import time\ntime.sleep(0.3)\nprint(1)  # 1".to_string();
        std::fs::write(dir.path().join(name), common::entries_markdown(&[code])).unwrap();
    }
    let trace = traced_check(dir.path(), "2", ".");
    let supervisors: std::collections::BTreeSet<&str> = trace
        .lines()
        .filter(|l| l.contains("]: child "))
        .filter_map(|l| l.split(']').next())
        .collect();
    assert_eq!(supervisors.len(), 2, "{trace}");
}

/// A worker that stops reading its requests after writing the answers to the ones it took (a
/// supervisor retiring does: it answers, then exits) makes the next send fail while those
/// answers wait in its pipe. They are read, not lost: the entries in flight complete, and the
/// entry that could not be sent runs on the next worker. Staged with a stand-in worker (a
/// Python script speaking the protocol, `with_worker_exe`): it takes the two requests the pool
/// sends ahead, closes its stdin, answers both and exits; a real supervisor cannot be made to
/// close its stdin at that moment.
#[test]
fn answers_a_worker_wrote_before_it_stopped_reading_are_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fake-worker");
    std::fs::write(
        &fake,
        r#"#!/usr/bin/env python3
import json, os, select, sys
out = sys.stdout
out.write(json.dumps({"python": "CPython 3 (stand-in)", "confined": False}) + "\n")
out.flush()
buf = b""
while buf.count(b"\n") < 2:  # the two requests sent ahead (the second: within a second)
    if buf and not select.select([0], [], [], 1.0)[0]:
        break
    chunk = os.read(0, 65536)
    if not chunk:
        break
    buf += chunk
os.close(0)  # from here on the pool's writes fail
for line in buf.splitlines():
    req = json.loads(line)
    result = {"blocks": [{} for _ in req["blocks"]], "output_truncated": False, "threads_left": 0}
    answer = {"id": req["id"], "nonce": req["nonce"], "outcome": {"kind": "completed", "data": result}}
    out.write(json.dumps(answer) + "\n")
out.flush()
"#,
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let weak = Policy {
        kernel: false,
        strict: false,
    };
    let pool = Pool::new(1, Limits::default()).with_policy(weak).with_worker_exe(&fake);
    let jobs = (0..3).map(|n| entry(n, "print(1)\n")).collect();
    for (n, outcome) in pool.run_collect(jobs).iter().enumerate() {
        assert!(matches!(outcome, EntryOutcome::Completed(_)), "entry {n}: {outcome:#?}");
    }
}
