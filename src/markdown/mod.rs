//! Markdown -> [`Document`]: front matter, title, entries and their parts, with spans.
//!
//! Each file is parsed exactly once here; every later step works on the model.

mod directives;
mod extract;
mod front_matter;

pub use directives::{parse_comment, parse_info, Comment};

use crate::entry::Document;
use crate::source::SourceFile;

/// Parse a whole file. Never fails: problems are recorded in [`Document::problems`].
pub fn parse(file: &SourceFile) -> Document {
    let text: &str = &file.text;
    let split = front_matter::split(text);
    let mut doc = extract::extract(text, split.body_start);
    doc.front_matter = split.front_matter;
    if let Some(p) = split.problem {
        doc.problems.insert(0, p);
    }
    doc
}
