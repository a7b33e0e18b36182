//! Which files to check: Markdown under the given paths, honouring `.gitignore` and hidden
//! files (the `ignore` crate, as ripgrep does), plus every file named explicitly.
//!
//! The walk never follows a symlink out of the tree it walks: a committed `x.md -> /etc/...`
//! would otherwise put lines of a file outside the checkout into diagnostics and CI logs. Such
//! a link is reported as a walk error instead; a link to a Markdown file inside the tree is
//! checked under its own name. Links to directories are not descended into.

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
            Ok(m) if m.is_file() => files.push(path.clone()),
            Ok(_) => {
                let top = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                let before = files.len();
                let walker = ignore::WalkBuilder::new(path)
                    .follow_links(false)
                    .require_git(false)
                    .build();
                for item in walker {
                    match item {
                        Ok(entry) => {
                            let p = entry.path();
                            let link = entry.path_is_symlink() && entry.depth() > 0;
                            if !is_markdown(p) || !(link || entry.file_type().is_some_and(|t| t.is_file())) {
                                continue;
                            }
                            if link {
                                match std::fs::canonicalize(p) {
                                    Ok(t) if t.starts_with(&top) && t.is_file() => {}
                                    _ => {
                                        errors.push(WalkError {
                                            path: p.to_path_buf(),
                                            message: "symlink to a file outside the checked tree (or to nothing); \
                                                      not followed"
                                                .into(),
                                        });
                                        continue;
                                    }
                                }
                            }
                            let r = rel(p);
                            if include.as_ref().is_some_and(|g| !g.is_match(&r))
                                || exclude.as_ref().is_some_and(|g| g.is_match(&r))
                            {
                                continue;
                            }
                            files.push(p.to_path_buf());
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
