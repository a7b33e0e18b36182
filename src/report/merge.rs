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
                    lines: false,
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

#[cfg(test)]
mod tests {
    use super::super::{machine, FileReport};
    use crate::diagnostic::{Diagnostic, Severity};
    use crate::rules::Rule;
    use crate::source::Span;

    fn report(path: &str, diagnostics: Vec<Diagnostic>) -> FileReport {
        FileReport {
            path: path.into(),
            source: None,
            diagnostics,
            entries: Vec::new(),
        }
    }

    fn at(rule: Rule, start: usize) -> Diagnostic {
        Diagnostic::new(rule, Span::new(start, start + 2), format!("{} at {start}", rule.name()))
    }

    #[test]
    fn shard_reports_merge_into_one_sorted_report_with_each_diagnostic_once() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, files: &[FileReport]| {
            let mut out = Vec::new();
            machine::json(&mut out, files).unwrap();
            let path = dir.path().join(name);
            std::fs::write(&path, out).unwrap();
            path
        };
        let fixed = at(Rule::OutputMismatch, 1).fix(Span::new(1, 3), "[1, 2]", false);
        let first = write(
            "1.json",
            &[
                report("b.md", vec![at(Rule::MissingPart, 5), fixed.clone()]),
                report("a.md", vec![at(Rule::ClaimFormat, 0)]),
            ],
        );
        // Overlapping shards: the fixed mismatch is in both reports.
        let second = write("2.json", &[report("b.md", vec![fixed])]);
        let (files, summary) = super::read(&[first, second]).unwrap();
        let shown: Vec<(&str, Vec<(&str, usize)>)> = files
            .iter()
            .map(|f| {
                let diags = f.diagnostics.iter().map(|d| (d.rule.as_str(), d.span.start)).collect();
                (f.path.as_str(), diags)
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("a.md", vec![("claim-format", 0)]),
                ("b.md", vec![("output-mismatch", 1), ("missing-part", 5)])
            ]
        );
        let fix = files[1].diagnostics[0]
            .fix
            .as_ref()
            .expect("the fix survives the merge");
        assert_eq!((fix.span, fix.replacement.as_str()), (Span::new(1, 3), "[1, 2]"));
        assert_eq!(files[0].diagnostics[0].severity, Severity::Warning);
        assert_eq!((summary.files, summary.errors, summary.warnings), (2, 2, 1));
    }

    #[test]
    fn a_file_that_is_not_a_report_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.json");
        std::fs::write(&path, "{\"not\": \"a report\"}").unwrap();
        let err = super::read(std::slice::from_ref(&path)).err().unwrap();
        assert!(err.contains("notes.json is not a qa-lint JSON report"), "{err}");
    }
}
