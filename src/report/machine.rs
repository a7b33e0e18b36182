//! Machine formats: concise, JSON, JSON Lines, GitHub annotations, SARIF, JUnit, GitLab.
//!
//! JSON, JSON Lines and SARIF are committed surfaces (other tools parse them); their field
//! names do not change.

use super::{position, FileReport, Summary};
use crate::diagnostic::{Diagnostic, Severity};
use serde_json::{json, Value};
use std::io::Write;

fn items(files: &[FileReport]) -> impl Iterator<Item = (&FileReport, &Diagnostic)> {
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
            f.path, p.start.line, p.start.column, d.code, d.rule, d.message
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

/// GitHub workflow commands; property values escape `%`, CR, LF, `:` and `,`.
pub fn github(out: &mut dyn Write, files: &[FileReport]) -> std::io::Result<()> {
    let data = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let prop = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
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

pub fn sarif(out: &mut dyn Write, files: &[FileReport]) -> std::io::Result<()> {
    let mut rule_ids: Vec<(String, String)> = Vec::new();
    for (_, d) in items(files) {
        if !rule_ids.iter().any(|(c, r)| *c == d.code && *r == d.rule) {
            rule_ids.push((d.code.clone(), d.rule.clone()));
        }
    }
    // Every registered rule is listed (so a tool can show help for any id), plus custom schema rules.
    let mut rules: Vec<Value> = Vec::new();
    let mut index_of = std::collections::HashMap::new();
    let registered = crate::rules::RULES
        .iter()
        .map(|r| (r.code.to_string(), r.name.to_string()));
    let custom = rule_ids
        .iter()
        .filter(|(_, r)| crate::rules::lookup(r).is_none())
        .cloned();
    for (code, name) in registered.chain(custom) {
        let info = crate::rules::lookup(&name);
        let summary = info.map_or("A rule defined by the schema's x-rule annotations.", |r| r.summary);
        let level = info.map_or("error", |r| {
            if r.severity == Severity::Error {
                "error"
            } else {
                "warning"
            }
        });
        index_of.insert(name.clone(), rules.len());
        rules.push(json!({
            "id": name,
            "name": name,
            "properties": { "code": code },
            "shortDescription": { "text": summary },
            "fullDescription": { "text": summary },
            "help": { "text": info.map_or(summary, |r| r.doc), "markdown": info.map_or(summary, |r| r.doc) },
            "defaultConfiguration": { "level": level },
        }));
    }
    let results: Vec<Value> = items(files)
        .map(|(f, d)| {
            let p = position(f, d);
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(&format!("\nhelp: {h}"));
            }
            json!({
                "ruleId": d.rule,
                "ruleIndex": index_of[&d.rule],
                "level": if d.severity == Severity::Error { "error" } else { "warning" },
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.path.replace('\\', "/") },
                        "region": {
                            "startLine": p.start.line,
                            "startColumn": p.start.column,
                            "endLine": p.end.line,
                            "endColumn": p.end.column.max(if p.end.line == p.start.line { p.start.column } else { 1 }),
                        }
                    }
                }],
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "qa-lint",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/qa-lint/qa-lint",
                "rules": rules,
            }},
            "results": results,
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML: a testsuite per file, a testcase per entry, a `failure` per diagnostic.
/// `tests` and `failures` count testcases (entries), at both levels.
pub fn junit(out: &mut dyn Write, files: &[FileReport], _summary: &Summary) -> std::io::Result<()> {
    type Case<'a> = (String, usize, Vec<&'a Diagnostic>);
    let suites: Vec<(&FileReport, Vec<Case>)> = files
        .iter()
        .map(|f| {
            // Diagnostics before the first entry go to a file-level case.
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
            (f, cases)
        })
        .collect();
    let failing = |cases: &[Case]| cases.iter().filter(|c| !c.2.is_empty()).count();
    let tests: usize = suites.iter().map(|(_, c)| c.len()).sum();
    let failures: usize = suites.iter().map(|(_, c)| failing(c)).sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="qa-lint" tests="{tests}" failures="{failures}">"#
    )?;
    for (f, cases) in &suites {
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}">"#,
            xml(&f.path),
            cases.len(),
            failing(cases)
        )?;
        for (title, line, diags) in cases {
            write!(
                out,
                r#"    <testcase classname="{}" name="{}" file="{}" line="{}""#,
                xml(&f.path),
                xml(title),
                xml(&f.path),
                line
            )?;
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
                    xml(&d.rule),
                    xml(&d.message),
                    xml(&f.path),
                    p.start.line,
                    p.start.column,
                    xml(&d.code),
                    xml(&d.rule),
                    xml(&d.message)
                )?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// GitLab Code Quality (a subset of CodeClimate's format).
pub fn gitlab(out: &mut dyn Write, files: &[FileReport]) -> std::io::Result<()> {
    let all: Vec<Value> = items(files)
        .map(|(f, d)| {
            let p = position(f, d);
            let fingerprint = blake3::hash(format!("{}:{}:{}:{}", f.path, d.rule, d.message, p.start.line).as_bytes())
                .to_hex()[..32]
                .to_string();
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
