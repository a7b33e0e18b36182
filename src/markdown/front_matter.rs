//! YAML front matter, cut by hand at byte 0.
//!
//! pulldown-cmark's metadata-block option also fires on a `---` pair in the middle of a
//! document (pulldown-cmark#1000), which would swallow entries separated by rules; so the
//! option stays off and only a block that opens on the very first line counts.

use crate::diagnostic::Diagnostic;
use crate::entry::FrontMatter;
use crate::rules::parse as rules;
use crate::source::Span;

/// The front matter (if any) and the byte offset where the Markdown body starts.
pub struct Split {
    pub front_matter: Option<FrontMatter>,
    pub body_start: usize,
    pub problem: Option<Diagnostic>,
}

pub fn split(text: &str) -> Split {
    let none = Split {
        front_matter: None,
        body_start: 0,
        problem: None,
    };
    let first_end = text.find('\n').map_or(text.len(), |i| i + 1);
    if text[..first_end].trim_end() != "---" {
        return none;
    }
    let yaml_start = first_end;
    let mut pos = yaml_start;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let line = text[pos..end].trim_end();
        if line == "---" || line == "..." {
            let yaml = &text[yaml_start..pos];
            let span = Span::new(0, end);
            return match parse_yaml(yaml, yaml_start, text) {
                Ok(value) => Split {
                    front_matter: Some(FrontMatter { value, span }),
                    body_start: end,
                    problem: None,
                },
                Err(problem) => Split {
                    front_matter: None,
                    body_start: end,
                    problem: Some(*problem),
                },
            };
        }
        pos = end;
    }
    Split {
        front_matter: None,
        body_start: 0,
        problem: Some(rules::front_matter_unclosed(Span::new(0, first_end.saturating_sub(1)))),
    }
}

fn parse_yaml(yaml: &str, base: usize, text: &str) -> Result<serde_json::Value, Box<Diagnostic>> {
    if yaml.trim().is_empty() {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    match serde_saphyr::from_str::<serde_json::Value>(yaml) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(v),
        Ok(_) => Err(Box::new(rules::front_matter_not_a_mapping(Span::new(
            base,
            base + yaml.trim_end().len(),
        )))),
        Err(e) => {
            let msg = e.to_string();
            let span = error_span(&msg, yaml, base, text);
            let first = msg.lines().next().unwrap_or("invalid YAML");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            Err(Box::new(rules::front_matter_yaml(span, first)))
        }
    }
}

/// Find "line N column M" in the YAML error text and turn it into a span in the file.
fn error_span(msg: &str, yaml: &str, base: usize, text: &str) -> Span {
    let re = regex::Regex::new(r"line (\d+),? col(?:umn)? (\d+)").expect("valid regex");
    let whole = Span::new(base, base + yaml.trim_end().len());
    let Some(c) = re.captures(msg) else {
        return whole;
    };
    let line: usize = c[1].parse().unwrap_or(1);
    let col: usize = c[2].parse().unwrap_or(1);
    let Some(line_start) = yaml
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        .checked_add(base)
    else {
        return whole;
    };
    let line_text = text[line_start.min(text.len())..].lines().next().unwrap_or("");
    let byte_col = line_text
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(line_text.len(), |(i, _)| i);
    let start = (line_start + byte_col).min(base + yaml.len());
    let end = (line_start + line_text.len()).max(start + 1).min(base + yaml.len());
    Span::new(start, end)
}
