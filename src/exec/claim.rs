//! How the pool's worker threads divide a run's jobs among them ([`super::Pool::run`]).
//!
//! A thread claims a *run*: consecutive jobs of one non-empty [`EntryJob::group`], at most
//! [`MAX_CLAIM`], so that its worker can reuse one forked child for them (a group is a file,
//! or every entry under the default isolation); a job of an empty group is a run of its own.
//!
//! While its worker still has a request in flight and the thread has nothing left to send, a
//! thread may claim the next job *ahead*, so that the worker's pipeline does not drain between
//! runs (it did: the child waited a round trip through the main process every [`MAX_CLAIM`]
//! entries). A claim ahead never takes work another thread could start now: there is none
//! before every thread has made its first claim, it is one job (the rest of that run goes
//! whole to whichever thread claims next), and only a job of the group the thread's worker is
//! running (a file's entries stay on the worker that has a child for them).

use super::protocol::EntryJob;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Most consecutive jobs of one group a worker thread claims at once (the rest of a long file
/// goes to whichever worker is free next, so one big file does not serialise the run).
pub const MAX_CLAIM: usize = 16;

/// The run of jobs a worker thread claims from `start`: consecutive jobs of one non-empty
/// [`EntryJob::group`], at most [`MAX_CLAIM`], or the one job of an empty group.
fn run_at(jobs: &[EntryJob], start: usize) -> Option<Range<usize>> {
    let group = &jobs.get(start)?.group;
    let mut end = start + 1;
    if !group.is_empty() {
        while end < jobs.len() && end - start < MAX_CLAIM && jobs[end].group == *group {
            end += 1;
        }
    }
    Some(start..end)
}

/// How many runs `jobs` has, counting at most `limit` (the workers a run keeps busy).
pub(super) fn runs(jobs: &[EntryJob], limit: usize) -> usize {
    let (mut count, mut at) = (0, 0);
    while count < limit {
        let Some(range) = run_at(jobs, at) else { break };
        count += 1;
        at = range.end;
    }
    count
}

/// The jobs of one [`super::Pool::run`], handed out to its `threads` worker threads.
pub(super) struct Claims<'a> {
    jobs: &'a [EntryJob],
    next: Mutex<usize>,
    threads: usize,
    /// Threads that have made their first claim: claims ahead wait for all of them.
    started: AtomicUsize,
}

impl<'a> Claims<'a> {
    pub(super) fn new(jobs: &'a [EntryJob], threads: usize) -> Claims<'a> {
        Claims {
            jobs,
            next: Mutex::new(0),
            threads,
            started: AtomicUsize::new(0),
        }
    }

    /// A thread's first claim: a run, or nothing left.
    pub(super) fn first(&self) -> Option<Range<usize>> {
        let run = self.run();
        self.started.fetch_add(1, Ordering::AcqRel);
        run
    }

    /// The next run, for a thread whose worker has nothing in flight.
    pub(super) fn run(&self) -> Option<Range<usize>> {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let range = run_at(self.jobs, *next)?;
        *next = range.end;
        Some(range)
    }

    /// The next job, claimed while job `running` (the last one this thread sent) is still in
    /// flight; None when it could go to another thread (see the module doc).
    pub(super) fn ahead(&self, running: usize) -> Option<Range<usize>> {
        if self.started.load(Ordering::Acquire) < self.threads {
            return None;
        }
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let job = self.jobs.get(*next)?;
        if job.group.is_empty() || job.group != self.jobs[running].group {
            return None;
        }
        *next += 1;
        Some(*next - 1..*next)
    }
}
