//! The whole run: discover -> static checks (parallel) -> examples -> suppressions -> reports.

use crate::check::{self, CheckedFile};
use crate::claims::JudgeOptions;
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity};
use crate::discover;
use crate::examples;
use crate::exec::{Limits, Pool};
use crate::report::{FileReport, Summary};
use crate::source::Span;
use crate::validate::Policy;
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Duration;
use std::time::Instant;

pub struct RunOptions {
    pub paths: Vec<PathBuf>,
    pub jobs: usize,
    pub exec: bool,
}

/// Run every entry's examples in the worker pool and add what they show to each file.
fn run_examples(
    checked: &mut [CheckedFile],
    opts: &RunOptions,
    config: &Config,
    summary: &mut Summary,
) -> Result<(), String> {
    // (file index, entry index, prepared job)
    let mut prepared = Vec::new();
    for (fi, c) in checked.iter().enumerate() {
        let Some(source) = &c.source else { continue };
        for (ei, entry) in c.doc.entries.iter().enumerate() {
            if let Some(p) = examples::prepare(source, &c.doc, entry, config) {
                prepared.push((fi, ei, p));
            }
        }
    }
    if prepared.is_empty() {
        return Ok(());
    }
    let limits = Limits {
        timeout: Duration::from_secs_f64(config.exec.timeout.max(0.1)),
        memory_bytes: config.exec.memory_mb << 20,
        ..Limits::default()
    };
    let pool = Pool::new(opts.jobs, limits);
    summary.python = Some(
        pool.python_version()
            .map_err(|e| format!("cannot start Python: {e}"))?,
    );
    let jobs = prepared.iter().map(|(_, _, p)| p.job.clone()).collect();
    let outcomes = pool.run_collect(jobs);
    let judge_opts = JudgeOptions::default();
    for ((fi, ei, p), outcome) in prepared.iter().zip(&outcomes) {
        let entry = &checked[*fi].doc.entries[*ei];
        let judged = examples::judge_entry(entry, p, outcome, config, &judge_opts);
        summary.claims += judged.claims;
        summary.blocks_run += examples::blocks_run(outcome);
        checked[*fi].diagnostics.extend(judged.diagnostics);
    }
    Ok(())
}

/// Run every step; never fails on bad input (that becomes diagnostics).
pub fn run(
    opts: &RunOptions,
    config: &Config,
    policy: &Policy,
) -> Result<(Vec<FileReport>, Summary), String> {
    let started = Instant::now();
    let (files, walk_errors) = discover::discover(&opts.paths, config)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
        .map_err(|e| e.to_string())?;
    let mut checked: Vec<CheckedFile> = pool.install(|| {
        files
            .par_iter()
            .map(|p| check::check_file(p, policy, config, false))
            .collect()
    });
    let mut summary = Summary::default();
    if opts.exec {
        run_examples(&mut checked, opts, config, &mut summary)?;
    }
    let mut reports: Vec<FileReport> = checked
        .iter_mut()
        .map(|c| {
            let diags = std::mem::take(&mut c.diagnostics);
            let diags = crate::suppress::apply(&c.path, diags, &c.doc.suppressions, config);
            FileReport {
                path: c.path.display().to_string(),
                entries: c
                    .doc
                    .entries
                    .iter()
                    .map(|e| {
                        (
                            e.title.text.clone(),
                            c.source
                                .as_ref()
                                .map_or(0, |s| s.line_col(e.heading_span.start).line),
                        )
                    })
                    .collect(),
                source: c.source.take(),
                diagnostics: diags,
            }
        })
        .collect();
    for w in walk_errors {
        reports.push(FileReport {
            path: w.path.display().to_string(),
            source: None,
            diagnostics: vec![Diagnostic::new(
                "unreadable-file",
                Span::default(),
                format!("cannot read path: {}", w.message),
            )
            .help("check that the path exists and that symlinks do not loop")],
            entries: Vec::new(),
        });
    }
    crate::report::sort(&mut reports);
    summary.files = reports.len();
    summary.entries = reports.iter().map(|r| r.entries.len()).sum();
    summary.errors = crate::report::count(&reports, Severity::Error);
    summary.warnings = crate::report::count(&reports, Severity::Warning);
    summary.elapsed_ms = started.elapsed().as_millis();
    Ok((reports, summary))
}
