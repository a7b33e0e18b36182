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
    /// The last run's execution diagnostics, moved with the edits made since (those on text
    /// that was edited are dropped): shown with the static ones until the next run is done,
    /// so a claim still wrong does not vanish while the user types.
    pub carried: Vec<Diagnostic>,
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
            carried: Vec::new(),
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
                let mut all: Vec<Diagnostic> = d
                    .iter()
                    .filter(|d| !d.is(crate::rules::Rule::UnusedSuppression))
                    .cloned()
                    .chain(self.carried.iter().cloned())
                    .collect();
                all.sort_by_key(|d| d.span.start);
                all
            }),
        }
    }

    /// Replaces the text (an editor's change), moving the last run's execution diagnostics
    /// with it: the edit is the span between the common prefix and suffix of the two texts;
    /// what lies before it stays, what lies after it shifts, what it touches is dropped.
    pub fn edit(&mut self, text: String) {
        let old = std::mem::replace(&mut self.text, text);
        let from = match self.executed.take() {
            Some((generation, diags)) if generation == self.generation => diags
                .into_iter()
                .filter(|d| crate::rules::lookup(&d.rule).is_some_and(|r| r.rule.executes()))
                .collect(),
            other => {
                self.executed = other;
                std::mem::take(&mut self.carried)
            }
        };
        let (old, new) = (old.as_bytes(), self.text.as_bytes());
        let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
        let suffix = old[prefix..]
            .iter()
            .rev()
            .zip(new[prefix..].iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        let (edit_end, delta) = (old.len() - suffix, new.len() as isize - old.len() as isize);
        let moved = |at: usize| (at as isize + delta) as usize;
        // A change anywhere on a finding's lines drops it (typing `4` after a claim's `# 4`
        // changes the claim); whole lines added or removed next to it do not.
        let line_start = |at: usize| {
            old[..at.min(old.len())]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
        };
        let line_end = |at: usize| {
            old[at.min(old.len())..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(old.len(), |i| at + i)
        };
        let touched = |start: usize, end: usize| {
            let (ls, le) = (line_start(start), line_end(end));
            if prefix == edit_end {
                ls < prefix && prefix <= le
            } else {
                prefix <= le && edit_end > ls
            }
        };
        self.carried = from
            .into_iter()
            .filter_map(|mut d| {
                let (start, end) = (d.span.start, d.span.end.max(d.span.start));
                if touched(start, end) {
                    return None;
                }
                if end <= prefix {
                    return Some(d); // before the edit
                }
                d.span = crate::source::Span::new(moved(start), moved(end));
                d.secondary.retain(|(s, _)| s.start >= edit_end);
                for (s, _) in &mut d.secondary {
                    *s = crate::source::Span::new(moved(s.start), moved(s.end));
                }
                if let Some(fix) = &mut d.fix {
                    fix.span = crate::source::Span::new(moved(fix.span.start), moved(fix.span.end));
                }
                Some(d)
            })
            .collect();
        self.generation += 1;
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

    #[test]
    fn the_runs_verdict_moves_with_an_edit_and_leaves_the_edited_line() {
        use crate::diagnostic::Diagnostic;
        use crate::rules::Rule;
        use crate::source::Span;
        let text = "print(1)  # 2\nprint(3)  # 4\nprint(5)  # 6\n";
        let uri: Uri = "file:///w/a.md".parse().unwrap();
        let mut doc = Doc::new(&uri, Path::new("/w"), text.to_string(), 1);
        let at = |t: &str, needle: &str, rule: Rule| {
            let i = t.find(needle).unwrap();
            Diagnostic::new(rule, Span::new(i, i + needle.len()), "m")
        };
        doc.executed = Some((
            0,
            vec![
                at(text, "# 2", Rule::OutputMismatch),
                at(text, "# 4", Rule::OutputMismatch),
                at(text, "# 6", Rule::OutputMismatch),
                at(text, "print(1)", Rule::TitleNotAQuestion), // a static rule: not carried
            ],
        ));
        // A line typed above everything, then the middle claim edited (an editor sends the
        // whole text after each change).
        doc.edit(format!("x = 0\n{text}"));
        let edited = "x = 0\nprint(1)  # 2\nprint(3)  # 44\nprint(5)  # 6\n";
        doc.edit(edited.to_string());
        assert!(!doc.ran_current());
        let shown: Vec<(&str, String)> = doc
            .current()
            .unwrap()
            .iter()
            .map(|d| (&edited[d.span.start..d.span.end], d.rule.clone()))
            .collect();
        // Every claim's finding shifted past the typed line, except the line that was edited.
        assert_eq!(
            shown,
            [
                ("# 2", "output-mismatch".to_string()),
                ("# 6", "output-mismatch".to_string())
            ]
        );
        // A second edit moves them again; nothing comes back.
        doc.edit(format!("# note\n{edited}"));
        let text2 = doc.text.clone();
        let again: Vec<&str> = doc
            .current()
            .unwrap()
            .iter()
            .map(|d| &text2[d.span.start..d.span.end])
            .collect();
        assert_eq!(again, ["# 2", "# 6"]);
    }
}
