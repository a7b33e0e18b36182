//! SARIF 2.1.0 (GitHub code scanning and other viewers).
//!
//! Artifact URIs are relative to `%SRCROOT%`, the repository root (the closest directory with
//! a `.git` above the current one, else the current directory), declared in
//! `originalUriBaseIds`, and percent-encoded. So a run from a subdirectory, or with absolute
//! paths, still maps results onto the repository's files, whatever characters their names hold.

use super::machine::{fingerprints, items};
use super::{position, FileReport};
use crate::diagnostic::Severity;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// `%XX` for every byte outside RFC 3986's unreserved characters (and `/` between segments).
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The repository root results are relative to.
fn source_root(cwd: &Path) -> PathBuf {
    cwd.ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(cwd)
        .to_path_buf()
}

/// `a/./b/../c` → `a/c`, without touching the file system (the file may be gone).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

fn file_uri(abs: &Path) -> String {
    let mut s = abs.to_string_lossy().replace('\\', "/");
    if !s.starts_with('/') {
        s.insert(0, '/');
    }
    format!("file://{}", percent_encode(&s))
}

/// The artifact location of `path` (as given on the command line or found by the walk).
fn artifact_location(path: &str, cwd: &Path, root: &Path) -> Value {
    let abs = normalise(&cwd.join(path));
    match abs.strip_prefix(root) {
        Ok(rel) => json!({
            "uri": percent_encode(&rel.to_string_lossy().replace('\\', "/")),
            "uriBaseId": "%SRCROOT%",
        }),
        Err(_) => json!({ "uri": file_uri(&abs) }),
    }
}

fn rules(files: &[FileReport]) -> (Vec<Value>, std::collections::HashMap<String, usize>) {
    let mut custom: Vec<(String, String)> = Vec::new();
    for (_, d) in items(files) {
        if crate::rules::lookup(&d.rule).is_none() && !custom.iter().any(|(_, r)| *r == d.rule) {
            custom.push((d.code.clone(), d.rule.clone()));
        }
    }
    // Every registered rule is listed (so a tool can show help for any id), plus custom schema rules.
    let registered = crate::rules::all().map(|r| (r.code.to_string(), r.name.to_string()));
    let mut rules = Vec::new();
    let mut index_of = std::collections::HashMap::new();
    for (code, name) in registered.chain(custom) {
        let info = crate::rules::lookup(&name);
        let summary = info.map_or("A rule defined by the schema's x-rule annotations.", |r| r.summary);
        let level = info.map_or("error", |r| r.severity.as_str());
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
    (rules, index_of)
}

pub fn sarif(out: &mut dyn Write, files: &[FileReport], summary: &super::Summary) -> std::io::Result<()> {
    let cwd = std::env::current_dir()?;
    let root = source_root(&cwd);
    let (rules, index_of) = rules(files);
    let results: Vec<Value> = items(files)
        .zip(fingerprints(files))
        .map(|((f, d), fingerprint)| {
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
                        "artifactLocation": artifact_location(&f.path, &cwd, &root),
                        "region": {
                            "startLine": p.start.line,
                            "startColumn": p.start.column,
                            "endLine": p.end.line,
                            "endColumn": p.end.column.max(if p.end.line == p.start.line { p.start.column } else { 1 }),
                        }
                    }
                }],
                "partialFingerprints": { "qaLintFingerprint/v1": fingerprint },
            })
        })
        .collect();
    let mut root_uri = file_uri(&root);
    if !root_uri.ends_with('/') {
        root_uri.push('/');
    }
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
            "originalUriBaseIds": { "%SRCROOT%": { "uri": root_uri } },
            // Columns count characters (Unicode code points), as in every qa-lint format.
            "columnKind": "unicodeCodePoints",
            "results": results,
            // What was proven and what could not be: claims verified, and not verified by cause.
            "properties": { "summary": summary.counts() },
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_to_the_root_and_percent_encoded() {
        let root = Path::new("/repo");
        let loc = artifact_location("../docs/my notes, 100%.md", Path::new("/repo/content"), root);
        assert_eq!(loc["uri"], "docs/my%20notes%2C%20100%25.md");
        assert_eq!(loc["uriBaseId"], "%SRCROOT%");
        let loc = artifact_location("/repo/naïve.md", Path::new("/elsewhere"), root);
        assert_eq!(loc["uri"], "na%C3%AFve.md");
        let outside = artifact_location("/tmp/x y.md", Path::new("/repo"), root);
        assert_eq!(outside["uri"], "file:///tmp/x%20y.md");
        assert!(outside.get("uriBaseId").is_none());
    }
}
