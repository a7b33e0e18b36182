//! Which files to check: Markdown under the given paths, honouring `.gitignore` and hidden
//! files (the `ignore` crate, as ripgrep does), plus every file named explicitly.
//!
//! The walk never follows a symlink out of the tree it walks: a committed `x.md -> /etc/...`
//! would otherwise put lines of a file outside the checkout into diagnostics and CI logs. Such
//! a link is reported as a walk error instead, and nothing behind it is read. Links that stay
//! inside the tree are followed (a link to a Markdown file is checked under its own name).

use crate::config::Config;
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};

/// A path that could not be walked (missing, unreadable, a symlink loop).
#[derive(Debug)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

pub fn is_markdown(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("md" | "markdown"))
}

fn globset(globs: &[String]) -> Result<Option<GlobSet>, String> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| format!("bad glob `{g}`: {e}"))?);
    }
    b.build().map(Some).map_err(|e| e.to_string())
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Files to check, sorted and de-duplicated.
    pub files: Vec<PathBuf>,
    /// Paths that could not be walked.
    pub errors: Vec<WalkError>,
    /// Directories given on the command line that hold no Markdown file to check (a typo in
    /// the path, or include/exclude leaving nothing): worth a warning, not a silent pass.
    pub empty_dirs: Vec<PathBuf>,
}

/// `./content/a.md` as `content/a.md`: the walk of `.` (the default, and the Action's) would
/// otherwise name every file with a `./`, which GitHub does not match to the diff's paths.
fn without_dot(path: &Path) -> PathBuf {
    path.strip_prefix(".")
        .map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}

/// Files to check, sorted and de-duplicated, the paths that failed and the empty directories.
pub fn discover(paths: &[PathBuf], config: &Config) -> Result<Discovered, String> {
    let include = globset(&config.include)?;
    let exclude = globset(&config.exclude)?;
    let rel = |p: &Path| -> PathBuf {
        let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let root = std::fs::canonicalize(&config.root).unwrap_or_else(|_| config.root.clone());
        abs.strip_prefix(&root).map(Path::to_path_buf).unwrap_or(abs)
    };
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut empty_dirs = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Err(e) => errors.push(WalkError {
                path: path.clone(),
                message: e.to_string(),
            }),
            Ok(m) if m.is_file() => {
                if !(config.force_exclude && exclude.as_ref().is_some_and(|g| g.is_match(rel(path)))) {
                    files.push(without_dot(path));
                }
            }
            Ok(_) => {
                let top = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                let before = files.len();
                // Links are followed only where they stay inside the tree; the others are
                // refused here, before the walk reads anything behind them, and reported below.
                let refused = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
                let (inside, seen) = (top.clone(), refused.clone());
                let walker = ignore::WalkBuilder::new(path)
                    .follow_links(true)
                    .require_git(false)
                    .filter_entry(move |e| {
                        let ok = !e.path_is_symlink()
                            || e.depth() == 0
                            || std::fs::canonicalize(e.path()).is_ok_and(|t| t.starts_with(&inside));
                        if !ok {
                            seen.lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push(e.path().to_path_buf());
                        }
                        ok
                    })
                    .build();
                for item in walker {
                    match item {
                        Ok(entry) => {
                            let p = entry.path();
                            if !entry.file_type().is_some_and(|t| t.is_file()) || !is_markdown(p) {
                                continue;
                            }
                            let r = rel(p);
                            if include.as_ref().is_some_and(|g| !g.is_match(&r))
                                || exclude.as_ref().is_some_and(|g| g.is_match(&r))
                            {
                                continue;
                            }
                            files.push(without_dot(p));
                        }
                        Err(e) => {
                            let p = match &e {
                                ignore::Error::WithPath { path, .. } => path.clone(),
                                ignore::Error::WithDepth { err, .. } => match err.as_ref() {
                                    ignore::Error::WithPath { path, .. } => path.clone(),
                                    _ => path.clone(),
                                },
                                ignore::Error::Loop { child, .. } => child.clone(),
                                _ => path.clone(),
                            };
                            errors.push(WalkError {
                                path: p,
                                message: e.to_string(),
                            });
                        }
                    }
                }
                for p in std::mem::take(&mut *refused.lock().unwrap_or_else(|p| p.into_inner())) {
                    errors.push(WalkError {
                        path: p,
                        message: "symlink to a path outside the checked tree (or to nothing); not followed".into(),
                    });
                }
                if files.len() == before {
                    empty_dirs.push(path.clone());
                }
            }
        }
    }
    files.sort();
    files.dedup();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    errors.dedup_by(|a, b| a.path == b.path);
    Ok(Discovered {
        files,
        errors,
        empty_dirs,
    })
}
