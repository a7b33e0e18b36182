//! Output shown *after* a code block: an **Output:** label (or `Result:`, `Prints:`, maybe
//! with a Python version) followed by a plain fence, the label with the output on its own
//! line (`Output: 100`), or an ```` ```output ```` fence right after the code. Tutorials and
//! Q&A collections write expected output this way far more often than as comments; the
//! shown text becomes the expected stdout of the Python block above it.

use crate::entry::{BlockKind, CodeBlock, ExpectedOutput, ForPython};
use crate::source::Span;
use std::sync::LazyLock;

static LABEL: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)^(?:sample |expected |console |example )?(?:output|outputs|result|results|prints)\s*(?:\(([^)]*)\))?\s*(?::\s*(.*))?$",
    )
    .expect("valid regex")
});

static VERSION: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(&format!(r"(?i)(\d)\.(\d+)({})?", crate::entry::OR_NEWER)).expect("valid regex")
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
    /// ... then a bare output label (`generic`: a short line ending in a colon in any language,
    /// see [`generic_label`]).
    Label {
        python: usize,
        version: Option<ForPython>,
        generic: bool,
    },
    /// A label that names a Python version, with no Python block before it (only a
    /// transcript can follow it).
    VersionLabel(ForPython),
}

/// `1.`, `2)`, `b.`: a step number, not output (`(1)` may be a tuple's repr: not one).
static NUMBERING: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"^(?:\d{1,2}|[a-z])[.)]$").expect("valid regex"));

/// A label paragraph: `None` when `text` is not one; else the version it names and the output
/// written on the label's own line (empty when a block follows).
pub fn label(text: &str) -> Option<(Option<ForPython>, &str)> {
    // `**Output:**` with prose or a list number on the next line (`1.`) is a heading for what
    // follows; a value on the next line (`` `[1, 3, 5]` ``) is the output.
    let mut text = text.trim();
    if let Some((first, rest)) = text.split_once('\n') {
        let rest = rest.trim();
        if !first.trim_end().ends_with(':') {
            return None;
        }
        if NUMBERING.is_match(rest) {
            text = first;
        } else {
            let value_like = !rest.contains('\n')
                && rest.starts_with(|c: char| "[({'\"-".contains(c) || c.is_ascii_digit())
                && !rest.ends_with('.');
            if !value_like {
                return None;
            }
        }
    }
    let caps = LABEL.captures(text)?;
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
    let value = caps.get(2).map_or("", |m| m.as_str().trim());
    // `**Output:** 1\.` (a step number, escaped so that it stays text): a heading for what
    // follows, not output.
    if NUMBERING.is_match(value) {
        return Some((version, ""));
    }
    Some((version, value))
}

/// A short paragraph ending in a colon, in any language (`输出：`, `运行结果：`, `Résultat :`,
/// `Salida:`, "This prints:"): right after a Python block and right before a plain fence, it
/// introduces that block's output. Words and scripts vary; the shape does not.
pub fn generic_label(text: &str) -> bool {
    let t = text.trim();
    let Some(body) = t.strip_suffix([':', '：']) else {
        return false;
    };
    let body = body.trim_end();
    !body.is_empty()
        && body.chars().count() <= 40
        && body.split_whitespace().count() <= 6
        && !body.contains(['.', '?', '!', '`', '\n', '。'])
}

/// `Python 3.8+` (or `>= 3.8`) -> ((3, 8), true): 3.8 and newer; `3.7` (or `<= 3.7.x`) ->
/// ((3, 7), false): what that release showed; `< 3.7` -> ((3, 6), false): an older release's
/// (`examples::version_fit` says how each is judged).
fn version(text: &str) -> Option<ForPython> {
    // `Python 2.x`, `Python 2`, `3.x`: a major version only. Any Python 3 holds it; Python 2
    // never does here.
    static MAJOR: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"(?i)(?:\bpython\s*|\bpy)([23])(?:\.x)?\b|\b([23])\.x\b").expect("valid regex")
    });
    let Some(caps) = VERSION.captures(text) else {
        let caps = MAJOR.captures(text)?;
        let major: u32 = caps.get(1).or(caps.get(2))?.as_str().parse().ok()?;
        return Some(((major, 0), major >= 3));
    };
    let major: u32 = caps[1].parse().ok()?;
    let minor: u32 = caps[2].parse().ok()?;
    let before = text[..caps.get(0)?.start()].trim_end();
    let at_least = before.contains(">=") || before.contains('≥') || before.ends_with('>');
    // `< 3.7`, `< Python 3.7`: a release before 3.7 (`<= 3.7` includes it); `< 3.0`: Python 2.
    let below = before
        .trim_end_matches(|c: char| c.is_ascii_alphabetic() || c.is_whitespace())
        .ends_with('<');
    let (major, minor) = match (below, minor) {
        (true, 0) => (major.saturating_sub(1), 0),
        (true, m) => (major, m - 1),
        (false, m) => (major, m),
    };
    Some(((major, minor), caps.get(3).is_some() || at_least))
}

/// Does `block` show output for a Python block, given what came before it?
pub fn output_of(after: &After, block: &CodeBlock) -> Option<(usize, Option<ForPython>)> {
    match after {
        After::Label { python, version, .. } if OUTPUT_LANGS.contains(&block.lang.as_str()) => {
            Some((*python, *version))
        }
        // `**Output (Python 2.x):**` over a `py` fence of plain text: the label says what the
        // block is, whatever its fence's language (a transcript keeps its own prompts).
        After::Label {
            python,
            version,
            generic: false,
        } if block.kind() == BlockKind::Python && !block.code.lines().any(|l| l.trim_start().starts_with(">>>")) => {
            Some((*python, *version))
        }
        After::Python(python) if block.lang == "output" => Some((*python, None)),
        _ => None,
    }
}

/// The expected output a plain block shows, with the span of its lines.
pub fn from_block(block: &CodeBlock, text: &str, version: Option<ForPython>, generic_label: bool) -> ExpectedOutput {
    // `$ python3 app.py` copied from the terminal with the output: the command is no output.
    let command = block.code.lines().next().is_some_and(runs_python);
    let skip = usize::from(command && block.code.lines().count() > 1);
    let shown: String = block.code.split_inclusive('\n').skip(skip).collect();
    let start = block.line_offsets.get(skip).copied().unwrap_or(block.span.start);
    let last_line = block.code.trim_end_matches('\n').lines().last().unwrap_or("");
    let end = block
        .line_offsets
        .get(block.code.trim_end_matches('\n').lines().count().saturating_sub(1))
        .map_or(start, |&s| s + last_line.len());
    let end = end.min(text.len()).max(start);
    // Only a block whose lines sit in the file as they are (no `>` or indentation in front)
    // can have its text replaced by --fix.
    let code = shown.trim_end_matches('\n');
    let replaceable = !block.unterminated && text.get(start..end) == Some(code);
    ExpectedOutput {
        text: shown.clone(),
        span: Span::new(start, end),
        replaceable,
        python: version,
        generic_label,
    }
}

/// A terminal line that runs a Python script: `$ python3 app.py`, `> py demo.py`, `% python x.py`.
fn runs_python(line: &str) -> bool {
    static COMMAND: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^\s*(?:\$|>|%|PS [^>]*>|[A-Za-z]:\\[^>]*>)\s*(?:python[\d.]*|py|uv run|poetry run)\s")
            .expect("valid regex")
    });
    COMMAND.is_match(line)
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
        generic_label: false,
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
        assert_eq!(label("Output:\n1."), Some((None, "")));
        assert_eq!(label("Output:\nIt is a secret."), None);
        assert_eq!(label("Output:\n[1, 3, 5]"), Some((None, "[1, 3, 5]")));
        assert_eq!(label("Results vary"), None);
        assert_eq!(label("Output (see below):"), None);
        assert_eq!(label("Output (Python 3.x):"), Some((Some(((3, 0), true)), "")));
        assert_eq!(label("Output (Python 2.x):"), Some((Some(((2, 0), false)), "")));
        assert_eq!(label("Output (Python 2):"), Some((Some(((2, 0), false)), "")));
        // A step number joined to the label by a soft line break numbers what follows.
        assert_eq!(label("Output: 1."), Some((None, "")));
        assert_eq!(label("Output: 12"), Some((None, "12")));
        // `< 3.7`: a release before 3.7; `<= 3.7.x` includes it; `< 3.0` is Python 2.
        assert_eq!(label("Output (< Python 3.7):"), Some((Some(((3, 6), false)), "")));
        assert_eq!(label("Output (<= Python 3.7.x):"), Some((Some(((3, 7), false)), "")));
        assert_eq!(label("Output (< Python 3.0):"), Some((Some(((2, 0), false)), "")));
        assert_eq!(label("Output (Python 3.8 or later):"), Some((Some(((3, 8), true)), "")));
        assert_eq!(label("Output (Python >= 3.8):"), Some((Some(((3, 8), true)), "")));
    }

    #[test]
    fn generic_labels_are_short_lines_ending_in_a_colon_in_any_language() {
        for l in [
            "输出：",
            "运行结果：",
            "Résultat :",
            "Salida:",
            "This prints:",
            "Вывод:",
        ] {
            assert!(generic_label(l), "{l}");
        }
        for l in [
            "The next example reads a file and counts the words in each of its lines:",
            "Note: this is slow.",
            "What does it print?",
            "Run `main()`:",
            "Output",
        ] {
            assert!(!generic_label(l), "{l}");
        }
    }

    #[test]
    fn the_command_that_ran_the_script_is_not_output() {
        for l in [
            "$ python3 app.py",
            "> python demo.py",
            "% python -m demo ",
            "PS C:\\src> python x.py",
        ] {
            assert!(runs_python(&format!("{l} ")), "{l}");
        }
        assert!(!runs_python("$ ls -l"));
        assert!(!runs_python("python is fun"));
    }
}
