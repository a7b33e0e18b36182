//! `--changed-since REV`: the files git says changed since a revision (committed, staged,
//! unstaged, and untracked), as canonical paths.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn changed_since(rev: &str) -> Result<HashSet<PathBuf>, String> {
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?.trim());
    let mut names = git(&["diff", "--name-only", "--no-renames", rev, "--"])?;
    names.push_str(&git(&["ls-files", "--others", "--exclude-standard", "--full-name"])?);
    Ok(names
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let p = top.join(l);
            std::fs::canonicalize(&p).unwrap_or(p)
        })
        .collect())
}
