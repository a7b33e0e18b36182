//! `--fix` and `--diff`: rewrite wrong output claims to the actual output.
//!
//! Only the claim text changes (commentary after it stays). A file that changed on disk
//! since it was read is left alone; writes are atomic (temp file in the same directory, then
//! rename), so a killed run never leaves a truncated file; a second run changes nothing.
//! A replacement holding control characters (an output that prints ESC or NUL) is refused:
//! written raw it would put those bytes into the Markdown, and written escaped the claim
//! would no longer match the output.

use crate::report::{escape, FileReport};
use std::io::Write;

pub struct FixOptions {
    /// Write the files (`--fix`).
    pub write: bool,
    /// Print a unified diff (`--diff`).
    pub diff: bool,
    /// Also rewrite hedged claims (`--fix-hedged`).
    pub hedged: bool,
    /// The file came from standard input: print the fixed text on `out` instead of writing it.
    pub to_out: bool,
}

/// One fix, applied or refused, for `--show-fixes` and warnings.
pub struct FixItem {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub code: String,
    pub rule: String,
    pub replacement: String,
}

/// What fixing did.
#[derive(Default)]
pub struct FixReport {
    pub fixed: usize,
    pub files: usize,
    /// Files skipped because they changed on disk since they were read.
    pub skipped: Vec<String>,
    /// The fixes applied (or, with only `--diff`, that would be).
    pub applied: Vec<FixItem>,
    /// Fixes refused because the replacement holds control characters.
    pub refused: Vec<FixItem>,
}

/// Fixes that `opts` would apply, as `(diagnostic index, fix)`.
fn wanted(file: &FileReport, hedged: bool) -> Vec<(usize, crate::diagnostic::Fix)> {
    file.diagnostics
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.fix.clone().filter(|f| hedged || !f.hedged).map(|f| (i, f)))
        .collect()
}

fn item(file: &FileReport, i: usize) -> FixItem {
    let d = &file.diagnostics[i];
    let p = crate::report::position(file, d);
    FixItem {
        path: file.path.clone(),
        line: p.start.line,
        column: p.start.column,
        code: d.code.clone(),
        rule: d.rule.clone(),
        replacement: d.fix.as_ref().map(|f| f.replacement.clone()).unwrap_or_default(),
    }
}

/// Apply fixes; fixed diagnostics are removed from `files` (they are resolved).
pub fn apply(files: &mut [FileReport], opts: &FixOptions, out: &mut dyn Write) -> std::io::Result<FixReport> {
    let mut report = FixReport::default();
    for file in files.iter_mut() {
        let Some(source) = &file.source else {
            continue;
        };
        let mut fixes = wanted(file, opts.hedged);
        fixes.retain(|(i, f)| {
            // An output block's lines are separated by line breaks; one that would close its
            // fence (```) is refused like a control character.
            let bad = f
                .replacement
                .chars()
                .any(|c| escape::needs_escape(c) && !(f.lines && c == '\n'))
                || (f.lines && (f.replacement.contains("```") || f.replacement.contains("~~~")));
            if bad {
                report.refused.push(item(file, *i));
            }
            !bad
        });
        let old: &str = &source.text;
        if fixes.is_empty() {
            if opts.to_out {
                out.write_all(old.as_bytes())?;
            }
            continue;
        }
        // Apply from the end so earlier spans stay valid; drop overlapping fixes.
        fixes.sort_by_key(|(_, f)| std::cmp::Reverse(f.span.start));
        let mut text = old.to_string();
        let mut applied = Vec::new();
        let mut floor = usize::MAX;
        for (i, f) in &fixes {
            if f.span.end > floor || f.span.end > text.len() {
                continue;
            }
            text.replace_range(f.span.start..f.span.end, &f.replacement);
            floor = f.span.start;
            applied.push(*i);
        }
        applied.reverse();
        if opts.diff {
            let diff = similar::TextDiff::from_lines(old, text.as_str());
            write!(
                out,
                "{}",
                diff.unified_diff().context_radius(2).header(&file.path, &file.path)
            )?;
        }
        if opts.to_out {
            out.write_all(text.as_bytes())?;
        } else if opts.write && !write_if_unchanged(&source.path, old, &text)? {
            report.skipped.push(file.path.clone());
            continue;
        }
        report.applied.extend(applied.iter().map(|&i| item(file, i)));
        if opts.write || opts.to_out {
            let mut k = 0;
            file.diagnostics.retain(|_| {
                k += 1;
                !applied.contains(&(k - 1))
            });
        }
        report.fixed += applied.len();
        report.files += 1;
    }
    Ok(report)
}

/// Atomically replace `path`'s text `old` with `new`; `false` (nothing written) if the file
/// changed on disk since it was read (an editor saved meanwhile).
fn write_if_unchanged(path: &std::path::Path, old: &str, new: &str) -> std::io::Result<bool> {
    let on_disk = std::fs::read(path).unwrap_or_default();
    let body = crate::source::strip_bom(&on_disk);
    let bom = body.len() != on_disk.len();
    if body != old.as_bytes() {
        return Ok(false);
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    if bom {
        tmp.write_all(crate::source::BOM)?;
    }
    tmp.write_all(new.as_bytes())?;
    tmp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(true)
}

/// The fixes `--fix` (with `hedged`, also `--fix-hedged`) would apply, without applying them.
pub fn available(files: &[FileReport], hedged: bool) -> Vec<FixItem> {
    files
        .iter()
        .filter(|f| f.source.is_some())
        .flat_map(|f| wanted(f, hedged).into_iter().map(move |(i, _)| item(f, i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::write_if_unchanged;

    #[test]
    fn a_rewrite_keeps_the_bom_and_refuses_a_file_changed_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.md");
        std::fs::write(&path, b"\xEF\xBB\xBFprint(1)  # 2\n").unwrap();
        // qa-lint's text has no BOM; the file keeps it.
        assert!(write_if_unchanged(&path, "print(1)  # 2\n", "print(1)  # 1\n").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"\xEF\xBB\xBFprint(1)  # 1\n");
        // What was read is no longer on disk: nothing is written.
        assert!(!write_if_unchanged(&path, "print(1)  # 2\n", "print(1)  # 3\n").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"\xEF\xBB\xBFprint(1)  # 1\n");
        std::fs::write(&path, "x\n").unwrap();
        assert!(write_if_unchanged(&path, "x\n", "y\n").unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "y\n");
    }
}
