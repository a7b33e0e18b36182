//! The open documents: their text as the editor has it, the diagnostics of the last static
//! check and of the last run, and the run in progress.

use super::analyze::Run;
use crate::diagnostic::Diagnostic;
use lsp_types::Uri;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub struct Doc {
    /// The path the document is checked as (configuration is found from it).
    pub path: PathBuf,
    /// The path runs name it by: relative to the workspace root when it is under it, as a
    /// user types it there. Cache keys hold this path, so the editor's runs and `qa-lint`
    /// runs from the root share their results.
    pub run_path: PathBuf,
    pub text: String,
    /// The editor's version number, echoed in published diagnostics.
    pub version: i32,
    /// Bumped on every change: results of an older generation are stale.
    pub generation: u64,
    /// Static diagnostics of the current text, or why there are none.
    pub statics: Result<Vec<Diagnostic>, String>,
    /// Diagnostics of the last completed run and the generation it ran on.
    pub executed: Option<(u64, Vec<Diagnostic>)>,
    pub running: Option<Run>,
    /// When the debounced static check is due.
    pub static_due: Option<Instant>,
    /// When a run after a pause in typing is due.
    pub exec_due: Option<Instant>,
}

impl Doc {
    pub fn new(uri: &Uri, root: &Path, text: String, version: i32) -> Doc {
        let path = uri_to_path(uri, root);
        Doc {
            run_path: path.strip_prefix(root).map_or_else(|_| path.clone(), Path::to_path_buf),
            path,
            text,
            version,
            generation: 0,
            statics: Ok(Vec::new()),
            executed: None,
            running: None,
            static_due: None,
            exec_due: None,
        }
    }

    /// The diagnostics of the current text, with the run's when it ran on this text.
    ///
    /// Without a run, `unused-suppression` is left out: a suppression of an execution rule
    /// looks unused until the examples have run, and would flicker on every keystroke.
    pub fn current(&self) -> Result<Vec<Diagnostic>, String> {
        match &self.executed {
            Some((generation, diags)) if *generation == self.generation => Ok(diags.clone()),
            _ => self.statics.as_ref().map_err(Clone::clone).map(|d| {
                d.iter()
                    .filter(|d| !d.is(crate::rules::Rule::UnusedSuppression))
                    .cloned()
                    .collect()
            }),
        }
    }

    /// Whether the run's results are those of the current text.
    pub fn ran_current(&self) -> bool {
        self.executed.as_ref().is_some_and(|(g, _)| *g == self.generation)
    }

    pub fn cancel_run(&mut self) {
        if let Some(run) = self.running.take() {
            run.cancel();
        }
    }
}

/// A `file:` URI as a path; any other scheme (an unsaved buffer) is checked as a file of that
/// name in the workspace root, so the root's configuration applies.
pub fn uri_to_path(uri: &Uri, root: &Path) -> PathBuf {
    let s = uri.as_str();
    match s.strip_prefix("file://") {
        Some(rest) => {
            // `file://host/path`: only the path matters on this machine.
            let path = &rest[rest.find('/').unwrap_or(rest.len())..];
            PathBuf::from(percent_decode(path))
        }
        None => {
            let name = s
                .rsplit(['/', ':'])
                .next()
                .filter(|n| !n.is_empty())
                .unwrap_or("untitled.md");
            root.join(percent_decode(name))
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn file_uris_become_paths() {
        let root = Path::new("/ws");
        let uri = Uri::from_str("file:///tmp/a%20b/q%C3%A9.md").unwrap();
        assert_eq!(uri_to_path(&uri, root), PathBuf::from("/tmp/a b/qé.md"));
        let uri = Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(uri_to_path(&uri, root), PathBuf::from("/ws/Untitled-1"));
    }
}
