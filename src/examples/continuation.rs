//! After a timeout or a crash, the rest of the entry still runs.
//!
//! A deliberately slow demo (`time.sleep(60)`) or a snippet that kills its interpreter stops
//! the entry's run at that block. The blocks after it may not depend on it at all, so they run
//! again in a fresh child (a *continuation*): the blocks up to the stopped one are sent as
//! [`BlockMode::Lost`], which binds nothing and marks the names they would have bound, so that
//! a later statement that needs one fails as a consequence of the stop, is not reported on its
//! own, and its claims are counted as not verified ("did not run before a timeout or crash").

use crate::exec::{BlockMode, BlockResult, EntryJob, EntryOutcome};

/// The job that runs what `outcome` never reached, and the index of its first block that runs.
pub fn continuation(job: &EntryJob, outcome: &EntryOutcome) -> Option<(usize, EntryJob)> {
    let (result, stmt) = match outcome {
        EntryOutcome::TimedOut { result, stmt } | EntryOutcome::Crashed { result, stmt, .. } => (result, *stmt),
        _ => return None,
    };
    let reached = result.blocks.len().max(stmt.map_or(0, |s| s.0 + 1));
    if reached >= job.blocks.len() {
        return None;
    }
    let mut rest = job.clone();
    for b in &mut rest.blocks[..reached] {
        b.mode = BlockMode::Lost;
    }
    rest.group = String::new(); // a fresh child, never one the stopped run could have touched
    Some((reached, rest))
}

/// Adds what the continuation ran (its blocks from `reached` on) to the stopped outcome, so
/// that the outcome covers every block: the stopped one is an empty result, judged as stopped.
pub fn stitch(stopped: &mut EntryOutcome, reached: usize, rest: EntryOutcome) {
    let (EntryOutcome::TimedOut { result, .. } | EntryOutcome::Crashed { result, .. }) = stopped else {
        return;
    };
    let more = match rest {
        EntryOutcome::Completed(r)
        | EntryOutcome::TimedOut { result: r, .. }
        | EntryOutcome::Crashed { result: r, .. } => r,
        EntryOutcome::MissingModules(_) => return,
    };
    result.blocks.resize(reached, BlockResult::default());
    result.blocks.extend(more.blocks.into_iter().skip(reached));
    result.output_truncated |= more.output_truncated;
    result.threads_left += more.threads_left;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::{BlockJob, EntryResult};

    fn job(n: usize) -> EntryJob {
        EntryJob {
            blocks: (0..n)
                .map(|i| BlockJob {
                    filename: format!("<qa:a.md:{i}>"),
                    source: format!("x{i} = {i}\n"),
                    mode: BlockMode::Exec,
                    fresh_namespace: false,
                })
                .collect(),
            group: "a.md".into(),
            ..EntryJob::default()
        }
    }

    #[test]
    fn the_blocks_after_a_stop_run_again_and_are_stitched_in_place() {
        let result = EntryResult {
            blocks: vec![BlockResult::default()],
            ..EntryResult::default()
        };
        let mut stopped = EntryOutcome::TimedOut {
            result,
            stmt: Some((1, 2, 2)),
        };
        let (reached, rest) = continuation(&job(4), &stopped).expect("blocks 2 and 3 remain");
        assert_eq!(reached, 2);
        let modes: Vec<BlockMode> = rest.blocks.iter().map(|b| b.mode).collect();
        assert_eq!(
            modes,
            [BlockMode::Lost, BlockMode::Lost, BlockMode::Exec, BlockMode::Exec]
        );
        assert!(rest.group.is_empty());
        let ran = BlockResult {
            values: vec![],
            ..BlockResult::default()
        };
        let done = EntryOutcome::Completed(EntryResult {
            blocks: vec![BlockResult::default(), BlockResult::default(), ran.clone(), ran],
            ..EntryResult::default()
        });
        stitch(&mut stopped, reached, done);
        let EntryOutcome::TimedOut { result, .. } = &stopped else {
            unreachable!()
        };
        assert_eq!(result.blocks.len(), 4);
        // Nothing left to continue, and a completed entry never continues.
        assert!(continuation(&job(4), &stopped).is_none());
        assert!(continuation(&job(4), &EntryOutcome::Completed(EntryResult::default())).is_none());
    }
}
