//! Output shown *after* a code block: an **Output:** label (or `Result:`, `Prints:`, maybe
//! with a Python version) followed by a plain fence, the label with the output on its own
//! line (`Output: 100`), or an ```` ```output ```` fence right after the code. Tutorials and
//! Q&A collections write expected output this way far more often than as comments; the
//! shown text becomes the expected stdout of the Python block above it.

use crate::entry::{CodeBlock, ExpectedOutput, ForPython};
use crate::source::Span;
use std::sync::LazyLock;

static LABEL: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)^(?:sample |expected |console |example )?(?:output|outputs|result|results|prints)\s*(?:\(([^)]*)\))?\s*(?::\s*(.*))?$",
    )
    .expect("valid regex")
});

static VERSION: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"(?i)(\d)\.(\d+)\s*(\+|or (?:newer|later|above)|and (?:newer|later|above))?")
        .expect("valid regex")
});

/// Languages of a fence that shows output when a label introduces it.
const OUTPUT_LANGS: &[&str] = &["", "text", "plaintext", "plain", "console", "output", "txt", "none"];

/// The state between a Python block and what may follow it, per section.
#[derive(Clone, Debug, Default)]
pub enum After {
    #[default]
    Nothing,
    /// The last element was this (index into the section's blocks) Python block.
    Python(usize),
    /// ... then a bare output label.
    Label { python: usize, version: Option<ForPython> },
    /// A label that names a Python version, with no Python block before it (only a
    /// transcript can follow it).
    VersionLabel(ForPython),
}

/// A label paragraph: `None` when `text` is not one; else the version it names and the output
/// written on the label's own line (empty when a block follows).
pub fn label(text: &str) -> Option<(Option<ForPython>, &str)> {
    let caps = LABEL.captures(text.trim())?;
    let paren = caps.get(1).map(|m| m.as_str());
    let version = paren.and_then(version);
    // `(Python 3.x)` names Python but no version qa-lint can hold it to; `(see below)` is prose.
    if paren.is_some_and(|p| version.is_none() && !p.to_ascii_lowercase().contains("python")) {
        return None;
    }
    // "Output" with neither a colon nor a version is an ordinary word, not a label.
    if caps.get(2).is_none() && paren.is_none() && !text.trim().eq_ignore_ascii_case("output") {
        return None;
    }
    Some((version, caps.get(2).map_or("", |m| m.as_str().trim())))
}

/// `Python 3.8+` (or `>= 3.8`) -> ((3, 8), true): at least 3.8; `3.7` (or `< 3.7`,
/// `<= 3.7.x`: older ones) -> ((3, 7), false): that version, so not the one qa-lint runs
/// unless it is 3.7.
fn version(text: &str) -> Option<ForPython> {
    let caps = VERSION.captures(text)?;
    let major = caps[1].parse().ok()?;
    let minor = caps[2].parse().ok()?;
    let before = &text[..caps.get(0)?.start()];
    let at_least = before.contains(">=") || before.contains('≥') || before.trim_end().ends_with('>');
    Some(((major, minor), caps.get(3).is_some() || at_least))
}

/// Does `block` show output for a Python block, given what came before it?
pub fn output_of(after: &After, block: &CodeBlock) -> Option<(usize, Option<ForPython>)> {
    match after {
        After::Label { python, version } if OUTPUT_LANGS.contains(&block.lang.as_str()) => Some((*python, *version)),
        After::Python(python) if block.lang == "output" => Some((*python, None)),
        _ => None,
    }
}

/// The expected output a plain block shows, with the span of its lines.
pub fn from_block(block: &CodeBlock, text: &str, version: Option<ForPython>) -> ExpectedOutput {
    let start = block.line_offsets.first().copied().unwrap_or(block.span.start);
    let last_line = block.code.trim_end_matches('\n').lines().last().unwrap_or("");
    let end = block
        .line_offsets
        .get(block.code.trim_end_matches('\n').lines().count().saturating_sub(1))
        .map_or(start, |&s| s + last_line.len());
    let end = end.min(text.len()).max(start);
    // Only a block whose lines sit in the file as they are (no `>` or indentation in front)
    // can have its text replaced by --fix.
    let code = block.code.trim_end_matches('\n');
    let replaceable = !block.unterminated && text.get(start..end) == Some(code);
    ExpectedOutput {
        text: block.code.clone(),
        span: Span::new(start, end),
        replaceable,
        python: version,
    }
}

/// Output written on the label's own line: `Output: 100`.
pub fn inline(value: &str, paragraph: Span, text: &str, version: Option<ForPython>) -> ExpectedOutput {
    let source = &text[paragraph.start..paragraph.end.min(text.len())];
    let span = match source.rfind(value) {
        Some(i) => Span::new(paragraph.start + i, paragraph.start + i + value.len()),
        None => paragraph,
    };
    ExpectedOutput {
        text: value.to_string(),
        span,
        replaceable: text.get(span.start..span.end) == Some(value),
        python: version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(label("Output:"), Some((None, "")));
        assert_eq!(label("Output"), Some((None, "")));
        assert_eq!(label("Result: 100"), Some((None, "100")));
        assert_eq!(label("Output (Python 3.8+):"), Some((Some(((3, 8), true)), "")));
        assert_eq!(label("prints (3.7):"), Some((Some(((3, 7), false)), "")));
        assert_eq!(label("Output is written to a file."), None);
        assert_eq!(label("Results vary"), None);
        assert_eq!(label("Output (see below):"), None);
        assert_eq!(label("Output (Python 3.x):"), Some((None, "")));
        assert_eq!(label("Output (< Python 3.7):"), Some((Some(((3, 7), false)), "")));
        assert_eq!(label("Output (Python >= 3.8):"), Some((Some(((3, 8), true)), "")));
    }
}
