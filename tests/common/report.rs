//! The one reader of qa-lint's `--output-format json` report, for every test that asserts on
//! the diagnostics of a run. The types are the report's own (docs: the JSON format is a
//! committed surface), not the library's, so a test reads what a user's tool would read.

use super::Output;
use serde::Deserialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One diagnostic of a JSON report: every field qa-lint writes. Lines and columns are
/// 1-based (columns in characters), offsets are bytes into the file.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub code: String,
    pub severity: Severity,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
    pub offset: usize,
    pub end_offset: usize,
    #[serde(default)]
    pub fix: Option<Fix>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Fix {
    pub replacement: String,
    pub start: usize,
    pub end: usize,
    pub hedged: bool,
}

/// The findings of a run with `--output-format json`; fails the test, with what the run
/// printed, when its standard output is not such a report.
pub fn report(out: &Output) -> Vec<Finding> {
    parse(&out.stdout).unwrap_or_else(|e| panic!("not a JSON report ({e}):\n{}\n{}", out.stdout, out.stderr))
}

/// The findings of a JSON report's text (a report written with `-o`, a shard).
pub fn parse(text: &str) -> Result<Vec<Finding>, serde_json::Error> {
    serde_json::from_str(text)
}

/// A run's JSON report as a JSON value, for the tests that compare or snapshot whole reports;
/// it must read as [`Finding`]s too.
pub fn report_value(out: &Output) -> serde_json::Value {
    report(out);
    serde_json::from_str(&out.stdout).expect("read as findings above")
}
