//! Expected diagnostics written in a fixture, next to the line they concern, as HTML comments
//! that qa-lint reads as nothing (only `<!-- qa-lint... -->` comments mean something to it):
//!
//! ```text
//! <!-- expect: SEVERITY RULE WHERE -->
//! ```
//!
//! - `SEVERITY` is `error` or `warning`, `RULE` a rule name as `qa-lint rules` lists it.
//! - `WHERE` names the line the diagnostic is reported at (the line of its start):
//!   - `` `TEXT` `` the one line next to the marker that contains `TEXT`;
//!   - `` =`TEXT` `` the one line next to the marker that is `TEXT`, leading and trailing
//!     spaces aside;
//!   - `fence`: the opening fence of the code block right above the marker.
//!
//!   `TEXT` cannot hold a backtick (or `-->`, which would end the comment): pick a piece of the
//!   line without one.
//! - "Next to the marker" is the block (a code block, fences included, a paragraph or a
//!   heading) right above it and the one right below it, with blank lines and HTML comments
//!   (other markers, a note saying why) skipped. So a marker goes right after the closing
//!   fence of the code block holding its line, or, for a line outside code, right before or
//!   after that line's block.
//! - A marker is an HTML block of its own: one line, starting at the line's start, never inside
//!   a code block (there it would be code) or a paragraph (there it would split it).
//! - A marker stays out of the excerpt the `full` report shows around a diagnostic, so that no
//!   snapshot shows it: leave a blank line between it and a diagnostic that spans a whole
//!   block or a heading. A note saying why (a plain HTML comment) must not start with
//!   `qa-lint`: qa-lint reads those.
//!
//! A fixture's markers are the exact diagnostics it must report, counted (two markers, two
//! diagnostics); a fixture without markers must be clean. Anything that looks like a marker
//! and is not a valid one, a `TEXT` that matches no line or several lines next to its marker,
//! or a `fence` with no code block above fails the test, naming the marker's line.

use super::report::{Finding, Severity};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};
use std::fmt;
use std::path::Path;

/// One diagnostic a fixture expects (or a run reported): its line, rule and severity.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub line: usize,
    pub rule: String,
    pub severity: Severity,
}

impl fmt::Debug for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} {} {}", self.line, self.severity, self.rule)
    }
}

/// The expected diagnostics of the fixture at `path`, sorted; a malformed marker fails the
/// test.
pub fn read(path: &Path) -> Vec<Expected> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse(&String::from_utf8_lossy(&bytes)).unwrap_or_else(|e| panic!("{}:{e}", super::rel(path)))
}

/// The reported side, in the same form: `(line, rule, severity)` of each finding, sorted.
pub fn found<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Vec<Expected> {
    let mut v: Vec<Expected> = findings
        .into_iter()
        .map(|f| Expected {
            line: f.line,
            rule: f.rule.clone(),
            severity: f.severity,
        })
        .collect();
    v.sort();
    v
}

/// A block of the Markdown, by its first and last line (1-based).
struct Block {
    first: usize,
    last: usize,
    fenced: bool,
}

enum Where {
    Contains(String),
    Is(String),
    Fence,
}

/// The markers of `text`, sorted; an error is `LINE: what is wrong`.
pub fn parse(text: &str) -> Result<Vec<Expected>, String> {
    let lines: Vec<&str> = text.split('\n').collect();
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset);
    // The last line a range covers (its end is past the newline of that line).
    let last_line = |r: &std::ops::Range<usize>| line_of(r.end.saturating_sub(1).max(r.start));

    // qa-lint reads the Markdown after the front matter, with these extensions; so does this.
    let base = front_matter_end(&lines).map_or(0, |n| starts.get(n).copied().unwrap_or(text.len()));
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut blocks = Vec::new();
    let mut markers: Vec<(usize, &str)> = Vec::new();
    let mut comments = std::collections::BTreeSet::new();
    for (event, r) in Parser::new_ext(&text[base..], opts).into_offset_iter() {
        let r = r.start + base..r.end + base;
        match event {
            Event::Start(Tag::CodeBlock(kind)) => blocks.push(Block {
                first: line_of(r.start),
                last: last_line(&r),
                fenced: matches!(kind, CodeBlockKind::Fenced(_)),
            }),
            Event::Start(Tag::Paragraph | Tag::Heading { .. }) => blocks.push(Block {
                first: line_of(r.start),
                last: last_line(&r),
                fenced: false,
            }),
            Event::Start(Tag::HtmlBlock) if text[r.clone()].trim_start().starts_with("<!--") => {
                let line = line_of(r.start);
                comments.extend(line..=last_line(&r));
                if looks_like_marker(&text[r.clone()]) {
                    if last_line(&r) != line {
                        return Err(format!("{line}: a marker is one line, ending with `-->`"));
                    }
                    markers.push((line, lines[line - 1].trim()));
                }
            }
            Event::InlineHtml(html) if looks_like_marker(&html) => {
                return Err(format!(
                    "{}: a marker must be a line of its own, not inside a paragraph",
                    line_of(r.start)
                ));
            }
            _ => {}
        }
    }
    let is_marker = |line: usize| markers.iter().any(|(l, _)| *l == line);
    // Whatever looks like a marker must have been read as one: a marker inside a code block
    // would be code, and a test that silently skipped it would pass for the wrong reason.
    for (i, l) in lines.iter().enumerate() {
        if looks_like_marker_anywhere(l) && !is_marker(i + 1) {
            return Err(format!(
                "{}: this looks like a marker but is not an HTML comment of its own in the \
                 Markdown (inside a code block, or after other text on its line?)",
                i + 1
            ));
        }
    }

    let skipped = |line: usize| lines[line - 1].trim().is_empty() || comments.contains(&line);
    let block_of = |line: usize| {
        blocks
            .iter()
            .filter(|b| b.first <= line && line <= b.last)
            // Code first, then the smallest: a code block in a list item is the block.
            .min_by_key(|b| (!b.fenced, b.last - b.first))
            .map_or((line, line), |b| (b.first, b.last))
    };
    let mut expected = Vec::new();
    for &(at, marker) in &markers {
        let (severity, rule, place) = parse_marker(marker).map_err(|e| format!("{at}: {e}\n  {marker}"))?;
        let above = (1..at).rev().find(|&l| !skipped(l));
        let below = (at + 1..=lines.len()).find(|&l| !skipped(l));
        let line = match place {
            Where::Fence => {
                let block = above.and_then(|l| blocks.iter().find(|b| b.fenced && b.last == l));
                block
                    .ok_or_else(|| {
                        format!("{at}: `fence` names the opening fence of the code block right above the marker; there is none\n  {marker}")
                    })?
                    .first
            }
            Where::Contains(ref t) | Where::Is(ref t) => {
                let mut near: Vec<usize> = [above, below]
                    .into_iter()
                    .flatten()
                    .flat_map(|l| {
                        let (first, last) = block_of(l);
                        first..=last
                    })
                    .filter(|l| !comments.contains(l))
                    .collect();
                near.sort_unstable();
                near.dedup();
                let hits: Vec<usize> = near
                    .iter()
                    .copied()
                    .filter(|&l| match &place {
                        Where::Is(t) => lines[l - 1].trim() == t,
                        _ => lines[l - 1].contains(t.as_str()),
                    })
                    .collect();
                match hits[..] {
                    [line] => line,
                    _ => {
                        return Err(format!(
                            "{at}: the text must name exactly one line next to the marker (lines {}), it names {hits:?}\n  {marker}",
                            spans(&near)
                        ))
                    }
                }
            }
        };
        expected.push(Expected { line, rule, severity });
    }
    expected.sort();
    Ok(expected)
}

/// The line after a front matter block (`---` ... `---` or `...` at the top), if any.
fn front_matter_end(lines: &[&str]) -> Option<usize> {
    if lines.first()?.trim_end() != "---" {
        return None;
    }
    lines[1..]
        .iter()
        .position(|l| matches!(l.trim_end(), "---" | "..."))
        .map(|i| i + 2)
}

fn looks_like_marker(html: &str) -> bool {
    html.trim_start()
        .strip_prefix("<!--")
        .is_some_and(|b| b.trim_start().starts_with("expect"))
}

fn looks_like_marker_anywhere(line: &str) -> bool {
    line.match_indices("<!--")
        .any(|(i, _)| line[i + 4..].trim_start().starts_with("expect"))
}

/// `<!-- expect: SEVERITY RULE WHERE -->`
fn parse_marker(marker: &str) -> Result<(Severity, String, Where), String> {
    const FORM: &str = "write `<!-- expect: error|warning RULE WHERE -->`";
    let body = marker
        .strip_prefix("<!--")
        .and_then(|m| m.strip_suffix("-->"))
        .ok_or(FORM)?
        .trim();
    let rest = body.strip_prefix("expect:").ok_or(FORM)?.trim_start();
    let (severity, rest) = rest.split_once(' ').ok_or(FORM)?;
    let severity = match severity {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        other => return Err(format!("unknown severity `{other}`: {FORM}")),
    };
    let (rule, place) = rest.trim_start().split_once(' ').ok_or(FORM)?;
    if !rule
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(format!("`{rule}` is not a rule name: {FORM}"));
    }
    let place = place.trim();
    let text = |t: &str| {
        let t = t.strip_prefix('`').and_then(|t| t.strip_suffix('`'));
        match t {
            Some(t) if !t.is_empty() && !t.contains('`') => Ok(t.to_string()),
            _ => Err(format!(
                "WHERE is `TEXT`, =`TEXT` or fence, TEXT without backticks; got {place}"
            )),
        }
    };
    let place = if place == "fence" {
        Where::Fence
    } else if let Some(whole) = place.strip_prefix('=') {
        Where::Is(text(whole)?.trim().to_string())
    } else {
        Where::Contains(text(place)?)
    };
    Ok((severity, rule.to_string(), place))
}

/// `3-7, 12` for the sorted lines `[3, 4, 5, 6, 7, 12]`.
fn spans(lines: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        while j + 1 < lines.len() && lines[j + 1] == lines[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            lines[i].to_string()
        } else {
            format!("{}-{}", lines[i], lines[j])
        });
        i = j + 1;
    }
    out.join(", ")
}
