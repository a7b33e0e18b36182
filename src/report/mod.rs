//! Rendering: the same sorted diagnostics in every output format.
//!
//! Diagnostics are sorted by (path, offset, rule) before rendering, so output never depends
//! on how rayon or the worker pool scheduled the work.

pub mod escape;
mod full;
mod junit;
mod machine;
pub use machine::fingerprints;
pub mod merge;
mod sarif;
pub mod sink;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{LineCol, SourceFile};
use std::io::Write;

pub use full::render_full;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Graphical: excerpt, label under the exact span, help (miette).
    Full,
    /// One line per diagnostic: `path:line:col: CODE [rule] message`.
    Concise,
    /// One JSON array.
    Json,
    /// One JSON object per line.
    JsonLines,
    /// GitHub Actions workflow commands (annotations on the diff).
    Github,
    /// SARIF 2.1.0 (GitHub code scanning and others).
    Sarif,
    /// JUnit XML: one testcase per entry.
    Junit,
    /// GitLab Code Quality report.
    Gitlab,
}

/// All diagnostics of one file.
pub struct FileReport {
    /// The path as given by the user or discovery.
    pub path: String,
    /// `None` when the file could not be read.
    pub source: Option<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
    /// Entry titles with their heading line (JUnit testcases).
    pub entries: Vec<(String, usize)>,
}

/// What applying a baseline did to a run (baseline.rs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BaselineCounts {
    /// Findings of this run that the baseline holds: not reported.
    pub absorbed: usize,
    /// Recorded findings of the checked files that this run did not find (fixed since).
    pub stale: usize,
}

/// Counts for the closing summary.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub entries: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Claims checked against real output.
    pub claims: usize,
    /// Python blocks executed.
    pub blocks_run: usize,
    /// Runnable Python blocks that did not run: outside every entry (qa mode), or for
    /// another Python version.
    pub blocks_not_run: usize,
    /// Claims the run could not settle, by cause (claims for another Python among them).
    pub unverified: crate::examples::unverified::Unverified,
    /// Blocks that fail where nothing says they would, on pages read in sections mode.
    pub blocks_not_runnable: usize,
    /// Entries whose results came from the cache.
    pub cached_entries: usize,
    pub python: Option<String>,
    /// The project's environment the examples ran in, when it is not qa-lint's own (the wheel
    /// run from a tool install on a project with a `.venv`).
    pub environment: Option<String>,
    pub elapsed_ms: u128,
    /// What a baseline did to the run (`--baseline`).
    pub baseline: Option<BaselineCounts>,
}

impl Summary {
    /// The counts of a run as JSON (the `.json` summary file, SARIF's run properties):
    /// claims verified, claims not verified with their causes, blocks not runnable as shown.
    pub fn counts(&self) -> serde_json::Value {
        let mut counts = serde_json::json!({
            "files": self.files,
            "entries": self.entries,
            "errors": self.errors,
            "warnings": self.warnings,
            "claims_verified": self.claims,
            "claims_not_verified": self.unverified.total(),
            "not_verified_by_cause": self.unverified,
            "blocks_run": self.blocks_run,
            "blocks_not_runnable": self.blocks_not_runnable,
            "blocks_not_run": self.blocks_not_run,
            "python": self.python,
        });
        if let Some(env) = &self.environment {
            counts["environment"] = serde_json::json!(env);
        }
        if let Some(b) = self.baseline {
            counts["baseline"] = serde_json::json!({"absorbed": b.absorbed, "stale": b.stale});
        }
        counts
    }

    pub fn line(&self) -> String {
        let plural = |n: usize, w: &str| {
            if n == 1 {
                format!("{n} {w}")
            } else {
                format!("{n} {w}s")
            }
        };
        let mut s = format!(
            "{}, {} in {}, {}",
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.files, "file"),
            plural(self.entries, "entry").replace("entrys", "entries"),
        );
        if self.blocks_run > 0 || self.claims > 0 || self.unverified.total() > 0 {
            s.push_str(&format!("; {} verified", plural(self.claims, "claim")));
            if let Some(py) = &self.python {
                s.push_str(&format!(" on {py}"));
                if let Some(env) = &self.environment {
                    s.push_str(&format!(" in {env}"));
                }
            }
            if self.cached_entries > 0 {
                s.push_str(&format!(
                    " ({} from cache)",
                    plural(self.cached_entries, "entry").replace("entrys", "entries")
                ));
            }
        }
        if self.unverified.total() > 0 {
            s.push_str(&format!("; {}", self.unverified.line()));
        }
        if self.blocks_not_runnable > 0 {
            s.push_str(&format!(
                "; {} not runnable as shown",
                plural(self.blocks_not_runnable, "Python block")
            ));
        }
        if self.blocks_not_run > 0 {
            s.push_str(&format!("; {} not run", plural(self.blocks_not_run, "Python block")));
        }
        if let Some(b) = self.baseline {
            s.push_str(&format!("; {} in the baseline", plural(b.absorbed, "finding")));
            if b.stale > 0 {
                s.push_str(&format!(
                    " ({} fixed since: write it again to drop {})",
                    plural(b.stale, "recorded finding"),
                    if b.stale == 1 { "it" } else { "them" }
                ));
            }
        }
        s
    }
}

/// A diagnostic's resolved position (1-based; end is exclusive).
pub struct Position {
    pub start: LineCol,
    pub end: LineCol,
}

pub fn position(file: &FileReport, d: &Diagnostic) -> Position {
    match &file.source {
        Some(src) => Position {
            start: src.line_col(d.span.start),
            end: src.line_col(d.span.end),
        },
        None => Position {
            start: LineCol { line: 1, column: 1 },
            end: LineCol { line: 1, column: 1 },
        },
    }
}

pub fn sort(files: &mut [FileReport]) {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in files {
        f.diagnostics.sort_by(|a, b| {
            (a.span.start, a.span.end, &a.rule, &a.message).cmp(&(b.span.start, b.span.end, &b.rule, &b.message))
        });
    }
}

pub struct RenderOptions {
    pub format: OutputFormat,
    pub color: bool,
    pub quiet: bool,
    pub statistics: bool,
    pub width: usize,
}

pub fn render(
    out: &mut dyn Write,
    files: &[FileReport],
    summary: &Summary,
    opts: &RenderOptions,
) -> std::io::Result<()> {
    match opts.format {
        OutputFormat::Full => render_full(out, files, summary, opts),
        OutputFormat::Concise => {
            machine::concise(out, files)?;
            if !opts.quiet {
                writeln!(out, "{}", summary.line())?;
            }
            Ok(())
        }
        OutputFormat::Json => machine::json(out, files),
        OutputFormat::JsonLines => machine::json_lines(out, files),
        OutputFormat::Github => machine::github(out, files),
        OutputFormat::Sarif => sarif::sarif(out, files, summary),
        OutputFormat::Junit => junit::junit(out, files),
        OutputFormat::Gitlab => machine::gitlab(out, files),
    }?;
    if opts.statistics {
        // Machine formats stay parseable: the counts go to stderr there.
        match opts.format {
            OutputFormat::Full | OutputFormat::Concise => statistics(out, files)?,
            _ => statistics(&mut std::io::stderr().lock(), files)?,
        }
    }
    Ok(())
}

/// Counts per rule, most frequent first (`--statistics`).
pub fn statistics(out: &mut dyn Write, files: &[FileReport]) -> std::io::Result<()> {
    let mut counts: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
    for d in files.iter().flat_map(|f| &f.diagnostics) {
        *counts.entry((d.code.as_str(), d.rule.as_str())).or_default() += 1;
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for ((code, rule), n) in rows {
        writeln!(out, "{n:>5}  {code}  {rule}")?;
    }
    Ok(())
}

pub fn count(files: &[FileReport], sev: Severity) -> usize {
    files
        .iter()
        .flat_map(|f| &f.diagnostics)
        .filter(|d| d.severity == sev)
        .count()
}

/// Append a Markdown summary (for `$GITHUB_STEP_SUMMARY`): counts, then counts per rule.
pub fn append_summary(path: &std::path::Path, files: &[FileReport], summary: &Summary) -> std::io::Result<()> {
    // `--summary-file run.json`: the counts as one JSON object (the file is replaced).
    if path.extension().is_some_and(|e| e == "json") {
        let mut text = serde_json::to_string_pretty(&summary.counts()).map_err(std::io::Error::other)?;
        text.push('\n');
        return std::fs::write(path, text);
    }
    let mut s = String::from("## qa-lint\n\n| | |\n|---|---|\n");
    s.push_str(&format!(
        "| Files | {} |\n| Entries checked | {} |\n",
        summary.files, summary.entries
    ));
    s.push_str(&format!("| Claims verified | {} |\n", summary.claims));
    s.push_str(&format!("| Claims not verified | {} |\n", summary.unverified.total()));
    for (cause, n) in &summary.unverified.0 {
        s.push_str(&format!("| &nbsp;&nbsp;{} | |\n", cause.phrase(*n)));
    }
    if summary.blocks_not_runnable > 0 {
        s.push_str(&format!(
            "| Python blocks not runnable as shown | {} |\n",
            summary.blocks_not_runnable
        ));
    }
    if summary.cached_entries > 0 {
        s.push_str(&format!("| Entries from cache | {} |\n", summary.cached_entries));
    }
    s.push_str(&format!(
        "| Errors | {} |\n| Warnings | {} |\n",
        summary.errors, summary.warnings
    ));
    if let Some(py) = &summary.python {
        s.push_str(&format!("| Python | {py} |\n"));
    }
    s.push_str(&format!("| Time | {:.2} s |\n", summary.elapsed_ms as f64 / 1000.0));
    let mut per_rule: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
    for d in files.iter().flat_map(|f| &f.diagnostics) {
        *per_rule.entry((d.code.as_str(), d.rule.as_str())).or_default() += 1;
    }
    if !per_rule.is_empty() {
        s.push_str("\n| Rule | Code | Count |\n|---|---|---|\n");
        for ((code, rule), n) in per_rule {
            s.push_str(&format!("| {rule} | {code} | {n} |\n"));
        }
    }
    s.push('\n');
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::{sort, statistics, FileReport};
    use crate::diagnostic::Diagnostic;
    use crate::rules::Rule;
    use crate::source::Span;

    fn file(path: &str, diags: &[(Rule, usize, usize, &str)]) -> FileReport {
        FileReport {
            path: path.into(),
            source: None,
            diagnostics: diags
                .iter()
                .map(|&(rule, start, end, message)| Diagnostic::new(rule, Span::new(start, end), message))
                .collect(),
            entries: Vec::new(),
        }
    }

    #[test]
    fn sorting_is_by_path_then_start_end_rule_and_message_whatever_the_order_found() {
        let mut files = vec![
            file(
                "b.md",
                &[
                    (Rule::Timeout, 9, 10, "x"),
                    (Rule::OutputMismatch, 3, 8, "b"),
                    (Rule::OutputMismatch, 3, 8, "a"),
                    (Rule::ClaimFormat, 3, 8, "z"),
                    (Rule::MissingPart, 3, 4, "y"),
                ],
            ),
            file("a.md", &[(Rule::Timeout, 0, 1, "t")]),
        ];
        sort(&mut files);
        let order: Vec<(&str, usize, usize, &str, &str)> = files
            .iter()
            .flat_map(|f| {
                f.diagnostics.iter().map(|d| {
                    (
                        f.path.as_str(),
                        d.span.start,
                        d.span.end,
                        d.rule.as_str(),
                        d.message.as_str(),
                    )
                })
            })
            .collect();
        assert_eq!(
            order,
            [
                ("a.md", 0, 1, "timeout", "t"),
                ("b.md", 3, 4, "missing-part", "y"),
                ("b.md", 3, 8, "claim-format", "z"),
                ("b.md", 3, 8, "output-mismatch", "a"),
                ("b.md", 3, 8, "output-mismatch", "b"),
                ("b.md", 9, 10, "timeout", "x"),
            ]
        );
    }

    #[test]
    fn statistics_count_per_rule_most_frequent_first() {
        let files = [
            file("a.md", &[(Rule::Timeout, 0, 1, "t"), (Rule::OutputMismatch, 2, 3, "m")]),
            file("b.md", &[(Rule::OutputMismatch, 0, 1, "m")]),
        ];
        let mut out = Vec::new();
        statistics(&mut out, &files).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "    2  QA201  output-mismatch\n    1  QA206  timeout\n"
        );
    }
}
