//! Machine formats: concise, JSON, JSON Lines, GitHub annotations, SARIF, JUnit, GitLab.
//!
//! JSON, JSON Lines and SARIF are committed surfaces (other tools parse them); their field
//! names do not change.

use super::escape::{visible, visible_multiline};
use super::{position, FileReport};
use crate::diagnostic::{Diagnostic, Severity};
use serde_json::{json, Value};
use std::io::Write;

pub(super) fn items(files: &[FileReport]) -> impl Iterator<Item = (&FileReport, &Diagnostic)> {
    files.iter().flat_map(|f| f.diagnostics.iter().map(move |d| (f, d)))
}

pub fn to_json(f: &FileReport, d: &Diagnostic) -> Value {
    let p = position(f, d);
    let mut v = json!({
        "rule": d.rule,
        "code": d.code,
        "severity": d.severity,
        "path": f.path,
        "line": p.start.line,
        "column": p.start.column,
        "end_line": p.end.line,
        "end_column": p.end.column,
        "message": d.message,
        "label": d.label,
        "help": d.help,
        "offset": d.span.start,
        "end_offset": d.span.end,
    });
    if let Some(fix) = &d.fix {
        v["fix"] = json!({ "replacement": fix.replacement, "start": fix.span.start, "end": fix.span.end, "hedged": fix.hedged });
    }
    v
}

pub fn concise(out: &mut dyn Write, files: &[FileReport]) -> std::io::Result<()> {
    for (f, d) in items(files) {
        let p = position(f, d);
        writeln!(
            out,
            "{}:{}:{}: {} [{}] {}",
            visible(&f.path),
            p.start.line,
            p.start.column,
            d.code,
            d.rule,
            visible(&d.message)
        )?;
    }
    Ok(())
}

pub fn json(out: &mut dyn Write, files: &[FileReport]) -> std::io::Result<()> {
    let all: Vec<Value> = items(files).map(|(f, d)| to_json(f, d)).collect();
    serde_json::to_writer_pretty(&mut *out, &all)?;
    writeln!(out)
}

pub fn json_lines(out: &mut dyn Write, files: &[FileReport]) -> std::io::Result<()> {
    for (f, d) in items(files) {
        serde_json::to_writer(&mut *out, &to_json(f, d))?;
        writeln!(out)?;
    }
    Ok(())
}

/// GitHub workflow commands; property values escape `%`, CR, LF, `:` and `,`, and every other
/// control character is shown as an escape (a raw ESC would recolour the log).
pub fn github(out: &mut dyn Write, files: &[FileReport]) -> std::io::Result<()> {
    let data = |s: &str| {
        visible_multiline(s)
            .replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let prop = |s: &str| visible(s).replace('%', "%25").replace(':', "%3A").replace(',', "%2C");
    for (f, d) in items(files) {
        let p = position(f, d);
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            msg.push_str(&format!("\nhelp: {h}"));
        }
        writeln!(
            out,
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            prop(&f.path),
            p.start.line,
            p.start.column,
            p.end.line,
            p.end.column,
            prop(&format!("{} [{}]", d.code, d.rule)),
            data(&msg)
        )?;
    }
    Ok(())
}

/// Stable identities for diagnostics, one per item in report order: the rule, the path and
/// the whitespace-normalised text of the lines the diagnostic points at (the claim or the
/// statement), never the line number, so inserting lines above keeps them. Identical
/// diagnostics in one file are told apart by their order.
pub fn fingerprints(files: &[FileReport]) -> Vec<String> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    items(files)
        .map(|(f, d)| {
            let text = match &f.source {
                Some(src) => {
                    let start = src.text[..d.span.start.min(src.text.len())]
                        .rfind('\n')
                        .map_or(0, |i| i + 1);
                    let end = src.text[d.span.end.min(src.text.len())..]
                        .find('\n')
                        .map_or(src.text.len(), |i| d.span.end + i);
                    src.text
                        .get(start..end)
                        .unwrap_or("")
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                }
                None => d.message.clone(),
            };
            let base = format!("{}\0{}\0{}", d.rule, f.path, text);
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            blake3::hash(format!("{base}\0{n}").as_bytes()).to_hex()[..32].to_string()
        })
        .collect()
}

/// GitLab Code Quality (a subset of CodeClimate's format).
pub fn gitlab(out: &mut dyn Write, files: &[FileReport]) -> std::io::Result<()> {
    let all: Vec<Value> = items(files)
        .zip(fingerprints(files))
        .map(|((f, d), fingerprint)| {
            let p = position(f, d);
            json!({
                "description": format!("{} [{}] {}", d.code, d.rule, d.message),
                "check_name": d.rule,
                "fingerprint": fingerprint,
                "severity": if d.severity == Severity::Error { "major" } else { "minor" },
                "location": { "path": f.path, "lines": { "begin": p.start.line, "end": p.end.line } },
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &all)?;
    writeln!(out)
}
