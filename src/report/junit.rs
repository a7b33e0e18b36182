//! JUnit XML, valid against the Jenkins JUnit schema (xunit-plugin's junit-10.xsd): a
//! `testsuite` per file, a `testcase` per entry, a `failure` per diagnostic.
//!
//! XML 1.0 cannot carry most control characters at all, not even as `&#27;`, so they are shown
//! as escapes (`\x1b`); line breaks in attributes are written as character references so that
//! parsers keep them.

use super::escape::{visible, visible_multiline};
use super::{position, FileReport};
use crate::diagnostic::Diagnostic;
use std::io::Write;

fn text(s: &str) -> String {
    visible_multiline(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn attr(s: &str) -> String {
    text(s)
        .replace('"', "&quot;")
        .replace('\n', "&#10;")
        .replace('\t', "&#9;")
}

type Case<'a> = (String, usize, Vec<&'a Diagnostic>);

/// A file's testcases: one per entry (diagnostics go to the entry whose heading comes last
/// before them), plus `(file)` for diagnostics before the first entry.
fn cases(f: &FileReport) -> Vec<Case<'_>> {
    let mut cases: Vec<Case> = vec![("(file)".into(), 0, Vec::new())];
    cases.extend(f.entries.iter().map(|(t, l)| (t.clone(), *l, Vec::new())));
    for d in &f.diagnostics {
        let line = position(f, d).start.line;
        let i = cases.iter().rposition(|(_, l, _)| *l <= line).unwrap_or(0);
        cases[i].2.push(d);
    }
    if cases[0].2.is_empty() && cases.len() > 1 {
        cases.remove(0);
    }
    cases
}

/// `tests` counts testcases and `failures` counts failing testcases, at both levels, so the
/// totals on `testsuites` are the sums over the suites.
pub fn junit(out: &mut dyn Write, files: &[FileReport]) -> std::io::Result<()> {
    let suites: Vec<(&FileReport, Vec<Case>)> = files.iter().map(|f| (f, cases(f))).collect();
    let failing = |cases: &[Case]| cases.iter().filter(|c| !c.2.is_empty()).count();
    let tests: usize = suites.iter().map(|(_, c)| c.len()).sum();
    let failures: usize = suites.iter().map(|(_, c)| failing(c)).sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="qa-lint" tests="{tests}" failures="{failures}" errors="0">"#
    )?;
    for (f, cases) in &suites {
        let path = attr(&f.path);
        writeln!(
            out,
            r#"  <testsuite name="{path}" tests="{}" failures="{}" errors="0" file="{path}">"#,
            cases.len(),
            failing(cases)
        )?;
        for (title, _, diags) in cases {
            write!(out, r#"    <testcase classname="{path}" name="{}""#, attr(title))?;
            if diags.is_empty() {
                writeln!(out, "/>")?;
                continue;
            }
            writeln!(out, ">")?;
            for d in diags {
                let p = position(f, d);
                writeln!(
                    out,
                    r#"      <failure type="{}" message="{}">{}:{}:{}: {} [{}] {}</failure>"#,
                    attr(&d.rule),
                    attr(&d.message),
                    text(&visible(&f.path)),
                    p.start.line,
                    p.start.column,
                    text(&d.code),
                    text(&d.rule),
                    text(&d.message)
                )?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}
