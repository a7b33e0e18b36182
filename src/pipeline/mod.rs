//! The whole run, as its stages: `discover` -> `check` (parallel) -> `shard` ->
//! `run_examples` (execute: cached, pooled) -> `suppress_and_report`, files in chunks (the
//! next chunk checked while this one's entries run, when a core is free), then one sort.
//! Each stage is a function here, the execute stage in `execute.rs` (its own
//! steps: jobs, the cache's file and entry records, the pool, judging); the policy a stage
//! applies lives in the module that owns it (`shard`, `suppress`, `diagnostic::dedup`,
//! `settings`, `cache`). Output never depends on scheduling: results are collected per file
//! and sorted before rendering.

mod execute;

pub use execute::open_cache;

use crate::check::{self, CheckedFile};
use crate::config::Config;
use crate::diagnostic::Severity;
use crate::discover;
use crate::examples;
use crate::report::{FileReport, Summary};
use crate::settings::RunSettings;
use crate::validate::Policies;
use execute::{run_examples, ExecState};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

/// Why a run failed as a whole (exit code 2); everything else becomes a diagnostic.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A path or an include/exclude glob that cannot be used.
    #[error("{0}")]
    Discover(String),
    /// `--changed-since` with a revision git does not know, or no git.
    #[error("{0}")]
    ChangedSince(String),
    #[error("cannot start the static-check threads: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    #[error("cannot start Python: {0}")]
    Python(anyhow::Error),
    #[error("{0} entries need running, but --forbid-exec (QA_LINT_FORBID_EXEC=1) was given")]
    ForbiddenExec(usize),
}

/// Files are processed in chunks: each chunk is parsed, run and reduced to its reports
/// before (or, with a free core, while) the next is read (see `run`), so memory grows with
/// the diagnostics, not with the corpus.
const CHUNK_FILES: usize = 256;

/// One checked chunk of files through the stages after `check`: shard, execute, then
/// suppress and report per file.
fn run_chunk(
    mut checked: Vec<CheckedFile>,
    pool: &rayon::ThreadPool,
    opts: &RunSettings,
    config: &Config,
    exec: &mut ExecState,
    summary: &mut Summary,
) -> Result<Vec<FileReport>, RunError> {
    let selected = shard(&checked, opts, summary);
    if opts.exec {
        summary.blocks_not_run += checked
            .iter()
            .zip(&selected)
            .map(|(c, sel)| {
                examples::blocks_for_newer_python(c.doc.entries.iter().zip(sel).filter(|(_, &s)| s).map(|(e, _)| e))
            })
            .sum::<usize>();
        run_examples(&mut checked, &selected, pool, opts, config, exec, summary)?;
    }
    Ok(checked
        .iter_mut()
        .zip(&selected)
        .map(|(c, sel)| suppress_and_report(c, sel, opts, config))
        .collect())
}

/// Stage `check`: read, parse, build the documents and validate each file, in parallel.
fn check(
    chunk: &[PathBuf],
    pool: &rayon::ThreadPool,
    opts: &RunSettings,
    config: &Config,
    policy: &Policies,
) -> Vec<CheckedFile> {
    pool.install(|| {
        chunk
            .par_iter()
            .map(|p| {
                let stdin = opts.stdin.as_ref().filter(|(name, _)| name == p);
                check::check_bytes(p, stdin.map(|(_, b)| b.as_slice()), policy, config, false)
            })
            .collect()
    })
}

/// Stage `shard`: which entries of each file this shard owns (all of them without
/// `--shard`). Python that no entry holds (qa mode) is counted once, by the shard that owns
/// the file.
fn shard(checked: &[CheckedFile], opts: &RunSettings, summary: &mut Summary) -> Vec<Vec<bool>> {
    summary.blocks_not_run += checked
        .iter()
        .filter(|c| opts.shard.is_none_or(|s| s.owns_file(&c.path.display().to_string())))
        .map(|c| c.doc.outside_blocks.len())
        .sum::<usize>();
    checked
        .iter()
        .map(|c| {
            let path = c.path.display().to_string();
            c.doc
                .entries
                .iter()
                .map(|e| opts.shard.is_none_or(|s| s.owns_entry(&path, &e.title.text, e.number)))
                .collect()
        })
        .collect()
}

/// Stages `suppress` and `report` for one file: its diagnostics once each, after the user's
/// levels, ignores and comments, kept only where this shard owns them.
fn suppress_and_report(c: &mut CheckedFile, selected: &[bool], opts: &RunSettings, config: &Config) -> FileReport {
    let mut diags = std::mem::take(&mut c.diagnostics);
    // A file-wide problem (front matter) fails once per entry in the schema: keep one.
    crate::diagnostic::dedup(&mut diags);
    // Suppressions see every static diagnostic of the file (all shards compute those).
    let mut diags = crate::suppress::apply(&c.path, diags, &c.doc.suppressions, config, opts.exec);
    if let Some(shard) = &opts.shard {
        shard.retain_owned(&c.path.display().to_string(), &c.doc, selected, opts.exec, &mut diags);
    }
    FileReport {
        path: c.path.display().to_string(),
        entries: c
            .doc
            .entries
            .iter()
            .zip(selected)
            .filter(|(_, &s)| s)
            .map(|(e, _)| {
                (
                    e.title.text.clone(),
                    c.source.as_ref().map_or(0, |s| s.line_col(e.heading_span.start).line),
                )
            })
            .collect(),
        // Only files with something to show keep their text: memory then grows with the
        // diagnostics, not with the corpus.
        source: c.source.take().filter(|_| !diags.is_empty()),
        diagnostics: diags,
    }
}

/// Run every step; never fails on bad input (that becomes diagnostics). Every step reads the
/// effective configuration, `opts.config`: the loaded one cannot be passed in by mistake.
pub fn run(opts: &RunSettings, policy: &Policies) -> Result<(Vec<FileReport>, Summary), RunError> {
    let config = &opts.config;
    let started = Instant::now();
    let (files, walk_errors) = discover(opts, config)?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(opts.jobs).build()?;
    let mut summary = Summary::default();
    let mut exec = ExecState::new(opts, config);
    let mut reports = Vec::new();
    let chunks: Vec<&[PathBuf]> = files.chunks(CHUNK_FILES).collect();
    // With cores the workers leave free (`--jobs 1`), the next chunk is read, parsed and
    // validated while this one's entries run, there, on threads of its own (this chunk's
    // steps before and after its run need `pool` meanwhile): the workers would be idle while
    // it is checked. With a worker per core, checking alongside took CPU from the workers
    // (1.02x wall). Two chunks at most are held at a time.
    let free = crate::exec::pool::free_cores(opts.jobs);
    let ahead_pool = if opts.exec && chunks.len() > 1 && free > 0 {
        Some(rayon::ThreadPoolBuilder::new().num_threads(free).build()?)
    } else {
        None
    };
    let mut ahead = None;
    for (k, chunk) in chunks.iter().enumerate() {
        let checked = ahead
            .take()
            .unwrap_or_else(|| check(chunk, &pool, opts, config, policy));
        let next = chunks.get(k + 1).zip(ahead_pool.as_ref());
        let (done, next_checked) = std::thread::scope(|s| {
            let next = next.map(|(n, threads)| s.spawn(|| check(n, threads, opts, config, policy)));
            let done = run_chunk(checked, &pool, opts, config, &mut exec, &mut summary);
            let next = next.map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            (done, next)
        });
        ahead = next_checked;
        reports.extend(done?);
    }
    exec.bar.finish_and_clear();
    for w in walk_errors {
        if opts.shard.is_some_and(|s| !s.owns_file(&w.path.display().to_string())) {
            continue;
        }
        reports.push(FileReport {
            path: w.path.display().to_string(),
            source: None,
            diagnostics: vec![crate::rules::parse::unreadable_path(&w.message)],
            entries: Vec::new(),
        });
    }
    crate::report::sort(&mut reports);
    summary.files = reports.len();
    summary.entries = reports.iter().map(|r| r.entries.len()).sum();
    summary.elapsed_ms = started.elapsed().as_millis();
    recount(&reports, &mut summary);
    Ok((reports, summary))
}

/// Stage `discover`: the files to check (standard input's name alone, or the walk of the
/// paths, less what `--changed-since` leaves out), and the paths the walk could not read.
fn discover(opts: &RunSettings, config: &Config) -> Result<(Vec<PathBuf>, Vec<discover::WalkError>), RunError> {
    let (mut files, walk_errors) = match &opts.stdin {
        Some((name, _)) => (vec![name.clone()], Vec::new()),
        None => {
            let found = discover::discover(&opts.paths, config).map_err(RunError::Discover)?;
            for dir in &found.empty_dirs {
                eprintln!("warning: no Markdown files to check in {}", dir.display());
            }
            (found.files, found.errors)
        }
    };
    if let Some(rev) = opts.changed_since.as_ref().filter(|_| opts.stdin.is_none()) {
        let changed = crate::git::changed_since(rev).map_err(RunError::ChangedSince)?;
        files.retain(|f| changed.contains(&std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    }
    Ok((files, walk_errors))
}

/// Recompute error and warning counts (after fixes removed some diagnostics).
pub fn recount(reports: &[FileReport], summary: &mut Summary) {
    summary.errors = crate::report::count(reports, Severity::Error);
    summary.warnings = crate::report::count(reports, Severity::Warning);
}
