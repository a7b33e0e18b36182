//! The whole run, as its stages: `discover` -> `check` (parallel) -> `shard` ->
//! `run_examples` (execute: cached, pooled) -> `suppress_and_report`, files in chunks,
//! then one sort. Each stage is a function here; the policy it applies lives in the module
//! that owns it (`shard`, `suppress`, `diagnostic::dedup`, `settings`). Output never depends
//! on scheduling: results are collected per file and sorted before rendering.

use crate::cache::Cache;
use crate::check::{self, CheckedFile};
use crate::claims::JudgeOptions;
use crate::config::Config;
use crate::diagnostic::Severity;
use crate::discover;
use crate::examples;
use crate::exec::{EntryOutcome, Limits, Pool};
use crate::report::{FileReport, Summary};
use crate::settings::{self, RunSettings};
use crate::validate::Policies;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Mutex;
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

/// What the chunks share for running examples: limits, the cache, and the worker pool and
/// progress bar, made when the first entry needs running.
struct ExecState {
    limits: Limits,
    cache: Option<Cache>,
    pool: Option<Pool>,
    bar: indicatif::ProgressBar,
}

impl ExecState {
    fn new(opts: &RunSettings, config: &Config) -> ExecState {
        ExecState {
            limits: opts.limits.clone(),
            cache: opts
                .cache_dir
                .as_ref()
                .filter(|dir| !linked(dir))
                .map(|dir| open_cache(dir, config, &opts.env)),
            pool: None,
            bar: indicatif::ProgressBar::hidden(),
        }
    }
}

/// Whether the cache directory, or a directory on its way inside the working directory, is a
/// symbolic link: a link committed to a pull request (`.qa-lint-cache -> /elsewhere`) would
/// make qa-lint write its records and a `.gitignore` wherever it points. Such a cache is not
/// used, with a warning.
fn linked(dir: &std::path::Path) -> bool {
    let cwd = std::env::current_dir().unwrap_or_default();
    let inside = |p: &std::path::Path| p.is_relative() || p.starts_with(&cwd);
    let link = dir
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty() && inside(p) && *p != cwd)
        .find(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()));
    if let Some(p) = link {
        eprintln!(
            "warning: the cache directory {} is reached through a symbolic link ({}); the cache is not used",
            crate::report::escape::visible(&dir.display().to_string()),
            crate::report::escape::visible(&p.display().to_string())
        );
    }
    link.is_some()
}

/// The result cache in `dir` for runs under `config`; `qa-lint server` opens it too, to read
/// back what a run stored, so both must salt the keys alike.
pub fn open_cache(dir: &std::path::Path, config: &Config, env: &crate::environment::Environment) -> Cache {
    // Only what changes how Python runs goes into the key: the job itself (code, fixtures,
    // requirements, its timeout, sandbox) is hashed per entry, and these are the run-wide
    // settings the job does not carry: the limits (their timeout caps a block's in strict
    // runs), the isolation and the strictness. Rule levels, the schema and the classifier's
    // cues only change how results are judged, which happens after the cache, so editing
    // them re-runs nothing.
    let limits_json = serde_json::to_string(&settings::limits(config)).unwrap_or_default();
    let isolation = format!("{:?} strict={}", config.exec.isolation, config.exec.strict_sandbox);
    // In the wheel, the environment's Python and prefix (not the build's) run the code.
    let runtime = crate::exec::pool::worker_command().map_or(String::new(), |w| format!("{} {}", w.python, w.prefix));
    Cache::open(
        dir,
        &[&isolation, &limits_json, &runtime],
        config.exec.strict_sandbox,
        env,
    )
}

/// Files are processed in chunks: each chunk is parsed, run and reduced to its reports
/// before the next is read, so memory grows with the diagnostics, not with the corpus.
const CHUNK_FILES: usize = 256;

/// One chunk of files through the stages after discovery: check, shard, execute, then
/// suppress and report per file.
fn run_chunk(
    chunk: &[PathBuf],
    pool: &rayon::ThreadPool,
    opts: &RunSettings,
    config: &Config,
    policy: &Policies,
    exec: &mut ExecState,
    summary: &mut Summary,
) -> Result<Vec<FileReport>, RunError> {
    let mut checked = check(chunk, pool, opts, config, policy);
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
    for chunk in files.chunks(CHUNK_FILES) {
        reports.extend(run_chunk(chunk, &pool, opts, config, policy, &mut exec, &mut summary)?);
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

/// Stage `execute`: run the selected entries' examples (from the cache when possible) and add
/// what they show.
fn run_examples(
    checked: &mut [CheckedFile],
    selected: &[Vec<bool>],
    threads: &rayon::ThreadPool,
    opts: &RunSettings,
    config: &Config,
    exec: &mut ExecState,
    summary: &mut Summary,
) -> Result<(), RunError> {
    // (file index, entry index, prepared job)
    let mut prepared = Vec::new();
    for (fi, c) in checked.iter().enumerate() {
        let Some(source) = &c.source else { continue };
        // A page written as one REPL session cut by headings (sections mode, by the names).
        let preludes = if c.doc.mode == crate::config::EntryMode::Sections {
            examples::page_session::preludes(&c.doc.entries)
        } else {
            Vec::new()
        };
        for (ei, entry) in c.doc.entries.iter().enumerate() {
            if !selected[fi][ei] {
                continue;
            }
            let prelude: Vec<&crate::entry::CodeBlock> = preludes
                .get(ei)
                .into_iter()
                .flatten()
                .flat_map(|&j| &c.doc.entries[j].blocks)
                .filter(|b| b.kind() == crate::entry::BlockKind::Session && b.directives.skip.is_none())
                .collect();
            if let Some(p) = examples::prepare(source, &c.doc, entry, config, &prelude) {
                prepared.push((fi, ei, p));
            }
        }
    }
    if prepared.is_empty() {
        return Ok(());
    }
    let cache = exec.cache.as_ref();
    let keys: Vec<Option<String>> = prepared.iter().map(|(_, _, p)| cache.map(|c| c.key(&p.job))).collect();
    // A file whose text, configuration and entries are unchanged is one read: its judged
    // result. Its entries are neither looked up, nor run, nor judged.
    let file_keys = file_keys(checked, &prepared, &keys, cache, config);
    let stored: Vec<Option<examples::FileExamples>> = threads.install(|| {
        file_keys
            .par_iter()
            .map(|k| k.as_ref().and_then(|k| cache.and_then(|c| c.get_record(k))))
            .collect()
    });
    let (prepared, keys): (Vec<_>, Vec<_>) = prepared
        .into_iter()
        .zip(keys)
        .filter(|((fi, _, _), _)| stored[*fi].is_none())
        .unzip();
    for (fi, file) in stored.into_iter().enumerate() {
        if let Some(file) = file {
            summary.cached_entries += file.entries;
            add_examples(summary, &mut checked[fi].diagnostics, file);
        }
    }
    let mut outcomes: Vec<Option<EntryOutcome>> = threads.install(|| {
        keys.par_iter()
            .map(|k| k.as_ref().and_then(|k| cache.and_then(|c| c.get(k))))
            .collect()
    });
    summary.cached_entries += outcomes.iter().filter(|o| o.is_some()).count();
    let todo: Vec<usize> = (0..prepared.len()).filter(|&i| outcomes[i].is_none()).collect();
    if todo.is_empty() {
        // Nothing to run: no worker, no interpreter started.
        if exec.pool.is_none() {
            summary.python.get_or_insert_with(crate::exec::python_version_hint);
            summary.environment = crate::exec::pool::worker_command().and_then(|w| w.project_env.clone());
        }
    } else {
        // Lets a test prove that an unchanged corpus starts no Python at all.
        if opts.forbid_exec {
            return Err(RunError::ForbiddenExec(todo.len()));
        }
        if exec.pool.is_none() {
            let pool = Pool::new(opts.jobs, exec.limits.clone())
                .with_policy(opts.policy)
                .with_environment(&opts.env);
            summary.python = Some(pool.python_version().map_err(RunError::Python)?);
            summary.environment = crate::exec::pool::worker_command().and_then(|w| w.project_env.clone());
            exec.pool = Some(pool);
            exec.bar = progress_bar(opts.progress);
        }
        let (Some(pool), bar) = (&exec.pool, &exec.bar) else {
            unreachable!("pool made above")
        };
        bar.inc_length(todo.len() as u64);
        let slots: Vec<Mutex<Option<EntryOutcome>>> = todo.iter().map(|_| Mutex::new(None)).collect();
        let jobs = todo.iter().map(|&i| prepared[i].2.job.clone()).collect();
        pool.run(jobs, |k, outcome| {
            if let (Some(c), Some(key)) = (cache, &keys[todo[k]]) {
                c.put(key, &outcome);
            }
            *slots[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
            bar.inc(1);
        });
        for (k, slot) in slots.into_iter().enumerate() {
            outcomes[todo[k]] = slot.into_inner().unwrap_or_else(|e| e.into_inner());
        }
        // A timeout or a crash stops an entry; the blocks after it still run (a continuation).
        let follow: Vec<(usize, usize, crate::exec::EntryJob)> = todo
            .iter()
            .filter_map(|&i| {
                let (reached, job) = examples::continuation::continuation(&prepared[i].2.job, outcomes[i].as_ref()?)?;
                Some((i, reached, job))
            })
            .collect();
        if !follow.is_empty() {
            let slots: Vec<Mutex<Option<EntryOutcome>>> = follow.iter().map(|_| Mutex::new(None)).collect();
            pool.run(follow.iter().map(|f| f.2.clone()).collect(), |k, outcome| {
                *slots[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
            });
            for ((i, reached, _), slot) in follow.iter().zip(slots) {
                let rest = slot.into_inner().unwrap_or_else(|e| e.into_inner());
                if let (Some(stopped), Some(rest)) = (outcomes[*i].as_mut(), rest) {
                    examples::continuation::stitch(stopped, *reached, rest);
                    if let (Some(c), Some(key)) = (cache, &keys[*i]) {
                        c.put(key, stopped);
                    }
                }
            }
        }
    }
    // Judging is pure and per entry: spread over the threads, gathered per file in entry order.
    let judge_opts = JudgeOptions::default();
    let judged: Vec<Option<examples::Judged>> = threads.install(|| {
        prepared
            .par_iter()
            .zip(&outcomes)
            .map(|((fi, ei, p), outcome)| {
                let doc = &checked[*fi].doc;
                let policy = examples::Policy {
                    sections: doc.mode == crate::config::EntryMode::Sections,
                    require_verified: config.exec.require_verified,
                };
                Some(examples::judge_entry(
                    &doc.entries[*ei],
                    p,
                    outcome.as_ref()?,
                    config,
                    &judge_opts,
                    policy,
                ))
            })
            .collect()
    });
    let mut files: Vec<(examples::FileExamples, bool)> = vec![(Default::default(), true); checked.len()];
    for (((fi, _, _), outcome), judged) in prepared.iter().zip(&outcomes).zip(judged) {
        let (file, storable) = &mut files[*fi];
        match (outcome, judged) {
            (Some(outcome), Some(judged)) => {
                // A file is stored only when every outcome of it is one the cache keeps.
                *storable &= Cache::keeps(outcome);
                file.add(judged, outcome);
            }
            _ => *storable = false,
        }
    }
    for (fi, (file, storable)) in files.into_iter().enumerate() {
        // Only a file judged in this pass (one taken whole from the cache has no entries here).
        if let (true, Some(c), Some(key)) = (storable && file.entries > 0, cache, &file_keys[fi]) {
            c.put_record(key, &file);
        }
        add_examples(summary, &mut checked[fi].diagnostics, file);
    }
    Ok(())
}

/// Each file's key for its judged result ([`Cache::file_key`]) when the cache is on; `None`
/// for a file with nothing to run.
fn file_keys(
    checked: &[CheckedFile],
    prepared: &[(usize, usize, examples::PreparedEntry)],
    keys: &[Option<String>],
    cache: Option<&Cache>,
    config: &Config,
) -> Vec<Option<String>> {
    // Per entry: its key, and what preparing it found on disk (a fixture file missing or
    // outside the project), which the entry's key does not say and its diagnostics do.
    let mut entries: Vec<Vec<(usize, &str, String)>> = vec![Vec::new(); checked.len()];
    for ((fi, ei, p), key) in prepared.iter().zip(keys) {
        if let Some(key) = key {
            entries[*fi].push((*ei, key, serde_json::to_string(&p.diagnostics).unwrap_or_default()));
        }
    }
    let Some(cache) = cache else {
        return vec![None; checked.len()];
    };
    let config_json = serde_json::to_string(config).unwrap_or_default();
    checked
        .iter()
        .zip(&entries)
        .map(|(c, entries)| {
            let text = &c.source.as_ref()?.text;
            let path = c.path.display().to_string();
            (!entries.is_empty()).then(|| cache.file_key(&path, text, &config_json, entries))
        })
        .collect()
}

/// Adds one file's judged examples to the run's counts and the file's diagnostics.
fn add_examples(
    summary: &mut Summary,
    diagnostics: &mut Vec<crate::diagnostic::Diagnostic>,
    file: examples::FileExamples,
) {
    summary.claims += file.claims;
    summary.unverified.merge(&file.unverified);
    summary.blocks_not_runnable += file.not_runnable;
    summary.blocks_run += file.blocks_run;
    diagnostics.extend(file.diagnostics);
}

/// A progress bar on stderr, drawn only on a terminal (never into pipes or CI logs).
fn progress_bar(enabled: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} running examples {bar:30} {pos}/{len} entries {elapsed}")
    {
        bar.set_style(style);
    }
    bar
}
