//! Baselines: adopting qa-lint on a repository that already has findings.
//!
//! `--write-baseline FILE` records every finding of the run; `--baseline FILE` (or
//! `baseline = "FILE"` in qa-lint.toml) then reports only the findings that are not in it.
//! A finding is matched by its fingerprint (rule, file, the text of the lines it covers and
//! which occurrence of that text it is, as the GitLab report's), so it stays matched when
//! lines above it move, and stops matching when its own lines change. Recorded findings of the
//! checked files that no longer occur are *stale* (fixed since): the summary counts them, and
//! writing the baseline again drops them.

use crate::report::{BaselineCounts, FileReport};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct File {
    /// Format version.
    version: u32,
    findings: Vec<Finding>,
}

/// One recorded finding. Only `fingerprint` matches; the rest is for the reader of a diff.
#[derive(Clone, Serialize, Deserialize)]
struct Finding {
    path: String,
    rule: String,
    line: usize,
    fingerprint: String,
}

/// A loaded baseline.
pub struct Baseline {
    findings: Vec<Finding>,
}

/// The fingerprint of every diagnostic, file by file, in report order.
fn fingerprints(files: &[FileReport]) -> Vec<Vec<String>> {
    let mut flat = crate::report::fingerprints(files).into_iter();
    files
        .iter()
        .map(|f| flat.by_ref().take(f.diagnostics.len()).collect())
        .collect()
}

/// Writes the findings of `files` to `path` (sorted by file, line and rule, so that the file
/// diffs well); returns how many.
pub fn write(path: &Path, files: &[FileReport]) -> std::io::Result<usize> {
    let mut findings = Vec::new();
    for (f, prints) in files.iter().zip(fingerprints(files)) {
        for (d, fingerprint) in f.diagnostics.iter().zip(prints) {
            let line = crate::report::position(f, d).start.line;
            findings.push(Finding {
                path: f.path.clone(),
                rule: d.rule.clone(),
                line,
                fingerprint,
            });
        }
    }
    findings.sort_by(|a, b| (&a.path, a.line, &a.rule).cmp(&(&b.path, b.line, &b.rule)));
    let n = findings.len();
    let mut text = serde_json::to_string_pretty(&File {
        version: VERSION,
        findings,
    })?;
    text.push('\n');
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(n)
}

impl Baseline {
    /// Reads a baseline file; the error says what is wrong with it.
    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read the baseline {}: {e}", path.display()))?;
        let file: File = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} is not a qa-lint baseline ({e}); write one with --write-baseline",
                path.display()
            )
        })?;
        if file.version != VERSION {
            return Err(format!(
                "{}: baseline format {} (this qa-lint reads {VERSION}); write it again with --write-baseline",
                path.display(),
                file.version
            ));
        }
        Ok(Baseline {
            findings: file.findings,
        })
    }

    /// Removes from `files` the diagnostics the baseline holds. Each recorded finding absorbs
    /// one diagnostic at most; recorded findings of the checked files left over are stale.
    pub fn apply(&self, files: &mut [FileReport]) -> BaselineCounts {
        let mut left: HashMap<&str, usize> = HashMap::new();
        for f in &self.findings {
            *left.entry(f.fingerprint.as_str()).or_default() += 1;
        }
        let mut applied = BaselineCounts::default();
        let prints = fingerprints(files);
        for (f, prints) in files.iter_mut().zip(prints) {
            let mut keep = prints.iter().map(|p| match left.get_mut(p.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    applied.absorbed += 1;
                    false
                }
                _ => true,
            });
            f.diagnostics.retain(|_| keep.next().unwrap_or(true));
        }
        let checked: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
        applied.stale = self
            .findings
            .iter()
            .filter(|f| checked.contains(f.path.as_str()))
            .filter(|f| {
                left.get_mut(f.fingerprint.as_str()).is_some_and(|n| {
                    let stale = *n > 0;
                    *n = n.saturating_sub(1);
                    stale
                })
            })
            .count();
        applied
    }
}
