//! Stage `execute`: the selected entries' examples run (or come from the cache) and are
//! judged, file by file. In order: prepare a job per entry; take whole files from their judged
//! records; look the other entries up; run what is left in the worker pool (and what a timeout
//! or crash stopped, as a continuation); judge; store what the cache keeps. The cache's policy
//! (keys, what is kept) is in `cache.rs`, the running in `exec/`, the judging in `examples/`.

use super::RunError;
use crate::cache::Cache;
use crate::check::CheckedFile;
use crate::claims::JudgeOptions;
use crate::config::Config;
use crate::examples::{self, FileExamples, PreparedEntry};
use crate::exec::{EntryJob, EntryOutcome, Limits, Pool};
use crate::report::Summary;
use crate::settings::{self, RunSettings};
use rayon::prelude::*;
use std::sync::Mutex;

/// An entry to run: (file index, entry index, its prepared job).
type Prepared = (usize, usize, PreparedEntry);

/// What the chunks share for running examples: limits, the cache, and the worker pool and
/// progress bar, made when the first entry needs running.
pub(super) struct ExecState {
    limits: Limits,
    cache: Option<Cache>,
    pool: Option<Pool>,
    /// Whether the pool has run an entry (its Python is then the one the summary names).
    started: bool,
    pub(super) bar: indicatif::ProgressBar,
}

impl ExecState {
    /// When nothing can come from the cache (`--no-cache`, or a cache with no records), every
    /// entry will run: the first worker is started now, and its CPython starts while the
    /// files are read, parsed and validated (a fixed cost of every run, ~40 ms here).
    pub(super) fn new(opts: &RunSettings, config: &Config) -> ExecState {
        let cache = opts
            .cache_dir
            .as_ref()
            .filter(|dir| !linked(dir))
            .map(|dir| open_cache(dir, config, &opts.env));
        let pool = (opts.exec && !opts.forbid_exec && cache.as_ref().is_none_or(Cache::is_empty)).then(|| {
            let pool = new_pool(opts, &opts.limits);
            pool.launch(1);
            pool
        });
        ExecState {
            limits: opts.limits.clone(),
            cache,
            pool,
            started: false,
            bar: indicatif::ProgressBar::hidden(),
        }
    }
}

fn new_pool(opts: &RunSettings, limits: &Limits) -> Pool {
    Pool::new(opts.jobs, limits.clone())
        .with_policy(opts.policy)
        .with_environment(&opts.env)
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

/// Stage `execute`: run the selected entries' examples (from the cache when possible) and add
/// what they show to each file's diagnostics and to the run's counts.
pub(super) fn run_examples(
    checked: &mut [CheckedFile],
    selected: &[Vec<bool>],
    threads: &rayon::ThreadPool,
    opts: &RunSettings,
    config: &Config,
    exec: &mut ExecState,
    summary: &mut Summary,
) -> Result<(), RunError> {
    let prepared = prepare(checked, selected, config);
    if prepared.is_empty() {
        return Ok(());
    }
    let cache = exec.cache.as_ref();
    let keys: Vec<Option<String>> = prepared.iter().map(|(_, _, p)| cache.map(|c| c.key(&p.job))).collect();
    let file_keys = file_keys(checked, &prepared, &keys, cache, config);
    let (prepared, keys) = take_stored_files(checked, prepared, keys, &file_keys, threads, cache, summary);
    let outcomes = run_entries(&prepared, &keys, threads, opts, exec, summary)?;
    judge_and_store(
        checked,
        &prepared,
        &outcomes,
        &file_keys,
        threads,
        config,
        exec.cache.as_ref(),
        summary,
    );
    Ok(())
}

/// One job per selected entry that has something to run.
fn prepare(checked: &[CheckedFile], selected: &[Vec<bool>], config: &Config) -> Vec<Prepared> {
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
    prepared
}

/// A file whose text, configuration and entries are unchanged is one read: its judged result
/// is added now, and its entries are left out of what follows (neither looked up, nor run, nor
/// judged). Returns the entries still to do, with their keys.
fn take_stored_files(
    checked: &mut [CheckedFile],
    prepared: Vec<Prepared>,
    keys: Vec<Option<String>>,
    file_keys: &[Option<String>],
    threads: &rayon::ThreadPool,
    cache: Option<&Cache>,
    summary: &mut Summary,
) -> (Vec<Prepared>, Vec<Option<String>>) {
    let stored: Vec<Option<FileExamples>> = threads.install(|| {
        file_keys
            .par_iter()
            .map(|k| k.as_ref().and_then(|k| cache.and_then(|c| c.get_record(k))))
            .collect()
    });
    let left = prepared
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
    left
}

/// Each entry's outcome: from its record, or run in the pool (started here when the first
/// entry needs it); a timeout or a crash stops an entry, and the blocks after it still run (a
/// continuation). Outcomes the cache keeps are stored as they come.
fn run_entries(
    prepared: &[Prepared],
    keys: &[Option<String>],
    threads: &rayon::ThreadPool,
    opts: &RunSettings,
    exec: &mut ExecState,
    summary: &mut Summary,
) -> Result<Vec<Option<EntryOutcome>>, RunError> {
    let cache = exec.cache.as_ref();
    let mut outcomes: Vec<Option<EntryOutcome>> = threads.install(|| {
        keys.par_iter()
            .map(|k| k.as_ref().and_then(|k| cache.and_then(|c| c.get(k))))
            .collect()
    });
    summary.cached_entries += outcomes.iter().filter(|o| o.is_some()).count();
    let todo: Vec<usize> = (0..prepared.len()).filter(|&i| outcomes[i].is_none()).collect();
    if todo.is_empty() {
        // Nothing to run: no worker asked, the interpreter named from its executable.
        if !exec.started {
            summary.python.get_or_insert_with(crate::exec::python_version_hint);
            summary.environment = crate::exec::pool::worker_command().and_then(|w| w.project_env.clone());
        }
        return Ok(outcomes);
    }
    // Lets a test prove that an unchanged corpus starts no Python at all.
    if opts.forbid_exec {
        return Err(RunError::ForbiddenExec(todo.len()));
    }
    let jobs: Vec<EntryJob> = todo.iter().map(|&i| prepared[i].2.job.clone()).collect();
    if !exec.started {
        let pool = exec.pool.get_or_insert_with(|| new_pool(opts, &exec.limits));
        // The other workers start beside the first, not each after the one before.
        pool.launch(pool.workers_for(&jobs));
        summary.python = Some(pool.python_version().map_err(RunError::Python)?);
        summary.environment = crate::exec::pool::worker_command().and_then(|w| w.project_env.clone());
        exec.started = true;
        exec.bar = progress_bar(opts.progress);
    }
    let (Some(pool), bar, cache) = (&exec.pool, &exec.bar, exec.cache.as_ref()) else {
        unreachable!("pool made above")
    };
    bar.inc_length(todo.len() as u64);
    let ran = run_jobs(pool, jobs, |k, outcome| {
        if let (Some(c), Some(key)) = (cache, &keys[todo[k]]) {
            c.put(key, outcome);
        }
        bar.inc(1);
    });
    for (k, outcome) in ran.into_iter().enumerate() {
        outcomes[todo[k]] = outcome;
    }
    let follow: Vec<(usize, usize, EntryJob)> = todo
        .iter()
        .filter_map(|&i| {
            let (reached, job) = examples::continuation::continuation(&prepared[i].2.job, outcomes[i].as_ref()?)?;
            Some((i, reached, job))
        })
        .collect();
    if !follow.is_empty() {
        let rest = run_jobs(pool, follow.iter().map(|f| f.2.clone()).collect(), |_, _| {});
        for ((i, reached, _), rest) in follow.iter().zip(rest) {
            if let (Some(stopped), Some(rest)) = (outcomes[*i].as_mut(), rest) {
                examples::continuation::stitch(stopped, *reached, rest);
                if let (Some(c), Some(key)) = (cache, &keys[*i]) {
                    c.put(key, stopped);
                }
            }
        }
    }
    Ok(outcomes)
}

/// Runs `jobs` in the pool; `each(index, outcome)` as each finishes; the outcomes in job order.
fn run_jobs(pool: &Pool, jobs: Vec<EntryJob>, each: impl Fn(usize, &EntryOutcome) + Sync) -> Vec<Option<EntryOutcome>> {
    let slots: Vec<Mutex<Option<EntryOutcome>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    pool.run(jobs, |k, outcome| {
        each(k, &outcome);
        *slots[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
    });
    slots
        .into_iter()
        .map(|s| s.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}

/// Judges every entry (pure and per entry: spread over the threads), gathers the results per
/// file in entry order, stores each file's record when the cache keeps every outcome of it,
/// and adds them to the files and the run's counts.
#[allow(clippy::too_many_arguments)]
fn judge_and_store(
    checked: &mut [CheckedFile],
    prepared: &[Prepared],
    outcomes: &[Option<EntryOutcome>],
    file_keys: &[Option<String>],
    threads: &rayon::ThreadPool,
    config: &Config,
    cache: Option<&Cache>,
    summary: &mut Summary,
) {
    let judge_opts = JudgeOptions::default();
    let judged: Vec<Option<examples::Judged>> = threads.install(|| {
        prepared
            .par_iter()
            .zip(outcomes)
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
    let mut files: Vec<(FileExamples, bool)> = vec![(Default::default(), true); checked.len()];
    for (((fi, _, _), outcome), judged) in prepared.iter().zip(outcomes).zip(judged) {
        let (file, storable) = &mut files[*fi];
        match (outcome, judged) {
            (Some(outcome), Some(judged)) => {
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
}

/// Each file's key for its judged result ([`Cache::file_key`]) when the cache is on; `None`
/// for a file with nothing to run.
fn file_keys(
    checked: &[CheckedFile],
    prepared: &[Prepared],
    keys: &[Option<String>],
    cache: Option<&Cache>,
    config: &Config,
) -> Vec<Option<String>> {
    let Some(cache) = cache else {
        return vec![None; checked.len()];
    };
    // Per entry: its key, and what preparing it found on disk (a fixture file missing or
    // outside the project), which the entry's key does not say and its diagnostics do.
    let mut entries: Vec<Vec<(usize, &str, String)>> = vec![Vec::new(); checked.len()];
    for ((fi, ei, p), key) in prepared.iter().zip(keys) {
        if let Some(key) = key {
            entries[*fi].push((*ei, key, serde_json::to_string(&p.diagnostics).unwrap_or_default()));
        }
    }
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
fn add_examples(summary: &mut Summary, diagnostics: &mut Vec<crate::diagnostic::Diagnostic>, file: FileExamples) {
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
