//! `--fix` and `--diff`: rewrite wrong output claims to the actual output.
//!
//! Only the claim text changes (commentary after it stays). A file that changed on disk
//! since it was read is left alone; writes are atomic (temp file in the same directory, then
//! rename), so a killed run never leaves a truncated file; a second run changes nothing.

use crate::report::FileReport;
use std::io::Write;

pub struct FixOptions {
    /// Write the files (`--fix`).
    pub write: bool,
    /// Print a unified diff (`--diff`).
    pub diff: bool,
    /// Also rewrite hedged claims (`--fix-hedged`).
    pub hedged: bool,
}

/// What fixing did.
#[derive(Default)]
pub struct FixReport {
    pub fixed: usize,
    pub files: usize,
    /// Files skipped because they changed on disk since they were read.
    pub skipped: Vec<String>,
}

/// Apply fixes; fixed diagnostics are removed from `files` (they are resolved).
pub fn apply(files: &mut [FileReport], opts: &FixOptions, diff_out: &mut dyn Write) -> std::io::Result<FixReport> {
    let mut report = FixReport::default();
    for file in files.iter_mut() {
        let Some(source) = &file.source else { continue };
        let mut fixes: Vec<(usize, crate::diagnostic::Fix)> = file
            .diagnostics
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.fix.clone().filter(|f| opts.hedged || !f.hedged).map(|f| (i, f)))
            .collect();
        if fixes.is_empty() {
            continue;
        }
        // Apply from the end so earlier spans stay valid; drop overlapping fixes.
        fixes.sort_by_key(|(_, f)| std::cmp::Reverse(f.span.start));
        let mut text = source.text.to_string();
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
        let old: &str = &source.text;
        if opts.diff {
            let diff = similar::TextDiff::from_lines(old, text.as_str());
            write!(
                diff_out,
                "{}",
                diff.unified_diff().context_radius(2).header(&file.path, &file.path)
            )?;
        }
        if opts.write {
            // Refuse if the file changed since it was read (an editor saved meanwhile).
            let on_disk = std::fs::read(&source.path).unwrap_or_default();
            let bom = on_disk.starts_with(b"\xEF\xBB\xBF");
            let body = if bom { &on_disk[3..] } else { &on_disk[..] };
            if body != old.as_bytes() {
                report.skipped.push(file.path.clone());
                continue;
            }
            let dir = source
                .path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            if bom {
                tmp.write_all(b"\xEF\xBB\xBF")?;
            }
            tmp.write_all(text.as_bytes())?;
            tmp.as_file().sync_all()?;
            if let Ok(meta) = std::fs::metadata(&source.path) {
                let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
            }
            tmp.persist(&source.path).map_err(|e| e.error)?;
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
