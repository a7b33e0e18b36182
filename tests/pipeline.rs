//! The pool sends a worker its next entry before the answer to the one before (pool.rs,
//! `PIPELINE`). When the worker dies under an entry, the entries already sent to it after that
//! one are sent again to a new worker: they complete as if nothing had happened, and only the
//! entry that killed it is reported.
//!
//! Without kernel confinement (this pool's policy), a snippet can kill its supervisor; under
//! confinement it cannot (tests/confinement), so the worker's death has to be staged this way.

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
