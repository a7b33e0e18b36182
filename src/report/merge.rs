//! `qa-lint merge`: several `--output-format json` reports (CI shards) into one.
//! Sources are re-read from disk (the shards ran on the same checkout) so every format,
//! `full` included, renders as if one run had produced them.

use super::{FileReport, Summary};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::source::{SourceFile, Span};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct Item {
    rule: String,
    code: String,
    severity: Severity,
    path: String,
    message: String,
    #[serde(default)]
    label: String,
    help: Option<String>,
    offset: usize,
    end_offset: usize,
    fix: Option<FixItem>,
}

#[derive(Deserialize)]
struct FixItem {
    replacement: String,
    start: usize,
    end: usize,
    #[serde(default)]
    hedged: bool,
}

/// The diagnostics of one `--output-format json` report, each with its path (also read by
/// `qa-lint server`, which runs `qa-lint check` as a child).
pub fn parse(text: &str) -> Result<Vec<(String, Diagnostic)>, serde_json::Error> {
    let items: Vec<Item> = serde_json::from_str(text)?;
    Ok(items
        .into_iter()
        .map(|i| {
            let d = Diagnostic {
                rule: i.rule,
                code: i.code,
                severity: i.severity,
                message: i.message,
                span: Span::new(i.offset, i.end_offset),
                label: i.label,
                secondary: Vec::new(),
                help: i.help,
                fix: i.fix.map(|f| Fix {
                    span: Span::new(f.start, f.end),
                    replacement: f.replacement,
                    hedged: f.hedged,
                }),
            };
            (i.path, d)
        })
        .collect())
}

pub fn read(paths: &[PathBuf]) -> Result<(Vec<FileReport>, Summary), String> {
    let mut by_path: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
    for p in paths {
        let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        let items = parse(&text).map_err(|e| format!("{} is not a qa-lint JSON report: {e}", p.display()))?;
        for (path, d) in items {
            by_path.entry(path).or_default().push(d);
        }
    }
    // The same diagnostic from two reports (overlapping shards) is kept once.
    by_path.values_mut().for_each(crate::diagnostic::dedup);
    let mut files: Vec<FileReport> = by_path
        .into_iter()
        .map(|(path, diagnostics)| FileReport {
            // Lossy, so a file reported as invalid UTF-8 still shows its lines.
            source: std::fs::read(Path::new(&path)).ok().map(|b| {
                SourceFile::new(
                    PathBuf::from(&path),
                    &String::from_utf8_lossy(crate::source::strip_bom(&b)),
                )
            }),
            path,
            diagnostics,
            entries: Vec::new(),
        })
        .collect();
    super::sort(&mut files);
    let summary = Summary {
        files: files.len(),
        errors: super::count(&files, Severity::Error),
        warnings: super::count(&files, Severity::Warning),
        ..Summary::default()
    };
    Ok((files, summary))
}
