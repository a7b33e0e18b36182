//! Markdown -> [`Document`]: front matter, title, entries and their parts, with spans.
//!
//! Each file is parsed exactly once here; every later step works on the model.

mod directives;
mod entry_rule;
mod extract;
pub mod file_blocks;
mod front_matter;
mod inline_output;
mod mkdocs;
mod output_blocks;

pub use directives::{code_line_suppression, parse_comment, parse_info, Comment};

use crate::config::{Dialect, EntryMode};
use crate::diagnostic::Diagnostic;
use crate::entry::Document;
use crate::source::SourceFile;

/// Parse a whole file in `dialect` with the entry rule `mode` (a file's front matter
/// `qa-lint: {entries: ...}` overrides it). Never fails: problems are recorded in
/// [`Document::problems`].
pub fn parse(file: &SourceFile, mode: EntryMode, dialect: Dialect) -> Document {
    let text: &str = &file.text;
    let split = front_matter::split(text);
    let mut problems: Vec<Diagnostic> = split.problem.into_iter().collect();
    let mode = match split
        .front_matter
        .as_ref()
        .and_then(|f| Some((f, f.value.get("qa-lint")?.get("entries")?)))
    {
        Some((fm, value)) => match value.as_str().and_then(EntryMode::parse) {
            Some(m) => m,
            None => {
                problems.push(crate::rules::parse::front_matter_entries(fm.span, value));
                mode
            }
        },
        None => mode,
    };
    let mut doc = extract::extract(text, split.body_start, mode, dialect);
    doc.mode = mode;
    doc.front_matter = split.front_matter;
    problems.append(&mut doc.problems);
    doc.problems = problems;
    doc
}
