//! The four-part answer pattern: definition, practice, example, tradeoff.
//!
//! A transparent classifier: each part is either `null` or the *evidence* that satisfies
//! it, strongest first: an explicit mark (`### Gotchas {.tradeoff}` or
//! `<!-- qa-lint: part=tradeoff -->`), a heading cue, then a sentence cue. `qa-lint inspect`
//! prints the evidence so an author sees why an entry passed or failed; the schema decides
//! which parts are required.

use crate::entry::{BlockKind, Entry};
use crate::source::Span;
use serde::Deserialize;
use serde_json::{json, Value};

pub const PART_NAMES: [&str; 4] = ["definition", "practice", "example", "tradeoff"];

/// Cue lists, configurable under `[parts]` in qa-lint.toml. Matching is case-insensitive.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Cues {
    pub definition_headings: Vec<String>,
    pub definition_sentences: Vec<String>,
    pub practice_headings: Vec<String>,
    pub practice_sentences: Vec<String>,
    pub example_headings: Vec<String>,
    pub tradeoff_headings: Vec<String>,
    pub tradeoff_sentences: Vec<String>,
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl Default for Cues {
    fn default() -> Self {
        Cues {
            definition_headings: strings(&["definition", "what is", "what are", "what does"]),
            // " is a " style: a defining sentence names the thing and its category.
            definition_sentences: strings(&[
                " is a ",
                " is an ",
                " is the ",
                " are ",
                " refers to ",
                " means ",
                " is one of ",
            ]),
            practice_headings: strings(&[
                "in practice",
                "in everyday code",
                "in normal code",
                "in real code",
                "what it means",
                "practical",
                "when would you",
                "when should you use",
                "when is",
                "how does",
                "how do",
                "why does",
                "use case",
                "real projects",
                "day-to-day",
                "in real life",
                "how it works",
                "why it matters",
            ]),
            practice_sentences: strings(&[
                "in practice",
                "in everyday code",
                "in normal code",
                "day-to-day",
                "in real code",
                "this means",
                "that means",
                "in other words",
                "you reach for",
                "use it when",
                "use a ",
                "you use",
            ]),
            example_headings: strings(&["example", "demo", "in code", "try it"]),
            tradeoff_headings: strings(&[
                "best practice",
                "common mistake",
                "gotcha",
                "pitfall",
                "when should you not",
                "when not to",
                "tradeoff",
                "trade-off",
                "caveat",
                "nuance",
                "why this matters",
                "limitation",
                "watch out",
                "downside",
                "mistake",
                "costs",
            ]),
            tradeoff_sentences: strings(&[
                "a common mistake",
                "the tradeoff",
                "the trade-off",
                "avoid ",
                "instead",
                "caveat",
                "do not depend on",
                "don't depend on",
                "do not rely",
                "don't rely",
                "the catch",
                "the downside",
                "be careful",
                "pitfall",
                "the cost",
                "gotcha",
                "mistake",
            ]),
        }
    }
}

/// Why the classifier thinks a part is present.
#[derive(Clone, Debug)]
pub struct Evidence {
    /// `mark`, `heading`, `sentence` or `code`.
    pub kind: &'static str,
    /// The cue that matched (the class, heading cue, or sentence cue).
    pub cue: String,
    pub excerpt: String,
    pub span: Span,
}

/// The four parts of one entry.
#[derive(Clone, Debug, Default)]
pub struct Parts {
    pub definition: Option<Evidence>,
    pub practice: Option<Evidence>,
    pub example: Option<Evidence>,
    pub tradeoff: Option<Evidence>,
}

impl Parts {
    pub fn get(&self, name: &str) -> Option<&Evidence> {
        match name {
            "definition" => self.definition.as_ref(),
            "practice" => self.practice.as_ref(),
            "example" => self.example.as_ref(),
            "tradeoff" => self.tradeoff.as_ref(),
            _ => None,
        }
    }

    /// `{"definition": {...} | null, ...}`; records each part's span under `/parts/NAME`.
    pub fn to_json(&self, spans: &mut Vec<(String, Span)>) -> Value {
        let mut map = serde_json::Map::new();
        for name in PART_NAMES {
            let v = match self.get(name) {
                Some(e) => {
                    spans.push((format!("/parts/{name}"), e.span));
                    json!({ "evidence": e.kind, "cue": e.cue, "excerpt": e.excerpt })
                }
                None => Value::Null,
            };
            map.insert(name.to_string(), v);
        }
        Value::Object(map)
    }
}

fn excerpt(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= 100 {
        one_line
    } else {
        one_line.chars().take(97).collect::<String>() + "..."
    }
}

fn find_cue<'c>(text: &str, cues: &'c [String]) -> Option<&'c String> {
    let lower = format!(" {} ", text.to_lowercase());
    cues.iter().find(|c| lower.contains(&c.to_lowercase()))
}

/// Sections carrying a mark (`{.tradeoff}`) or a heading cue for `part`.
fn by_heading(entry: &Entry, part: &str, cues: &[String]) -> Option<Evidence> {
    let marked = entry.sections.iter().find(|s| s.classes.iter().any(|c| c == part));
    if let Some(s) = marked {
        return Some(Evidence {
            kind: "mark",
            cue: format!(".{part}"),
            excerpt: excerpt(&s.title),
            span: s.span,
        });
    }
    entry.sections.iter().find_map(|s| {
        find_cue(&s.title, cues).map(|cue| Evidence {
            kind: "heading",
            cue: cue.clone(),
            excerpt: excerpt(&s.title),
            span: s.span,
        })
    })
}

/// The first paragraph (then the interview answer) holding a sentence cue.
fn by_sentence(entry: &Entry, cues: &[String], first_only: bool) -> Option<Evidence> {
    let paras = entry.paragraphs.iter().filter(|p| !first_only || p.section.is_none());
    for p in paras {
        if let Some(cue) = find_cue(&p.text, cues) {
            return Some(Evidence {
                kind: "sentence",
                cue: cue.trim().to_string(),
                excerpt: excerpt(&p.text),
                span: p.span,
            });
        }
    }
    let ia = entry.interview_answer.as_ref()?;
    find_cue(&ia.text, cues).map(|cue| Evidence {
        kind: "sentence",
        cue: cue.trim().to_string(),
        excerpt: excerpt(&ia.text),
        span: ia.span,
    })
}

pub fn classify(entry: &Entry, cues: &Cues) -> Parts {
    let definition = by_heading(entry, "definition", &cues.definition_headings)
        .or_else(|| by_sentence(entry, &cues.definition_sentences, true))
        .or_else(|| {
            let sa = entry.short_answer.as_ref()?;
            find_cue(&sa.text, &cues.definition_sentences).map(|cue| Evidence {
                kind: "sentence",
                cue: cue.trim().into(),
                excerpt: excerpt(&sa.text),
                span: sa.span,
            })
        });
    let practice = by_heading(entry, "practice", &cues.practice_headings)
        .or_else(|| by_sentence(entry, &cues.practice_sentences, false));
    let runnable = entry
        .blocks
        .iter()
        .find(|b| b.kind() != BlockKind::Other && b.is_runnable() && !b.directives.compile_only);
    let example = runnable.map(|b| {
        let marked = b
            .section
            .and_then(|i| entry.sections.get(i))
            .filter(|s| s.classes.iter().any(|c| c == "example"));
        Evidence {
            kind: if marked.is_some() { "mark" } else { "code" },
            cue: format!("```{}", b.lang),
            excerpt: excerpt(b.code.lines().find(|l| !l.trim().is_empty()).unwrap_or("")),
            span: b.span,
        }
    });
    let tradeoff = by_heading(entry, "tradeoff", &cues.tradeoff_headings)
        .or_else(|| by_sentence(entry, &cues.tradeoff_sentences, false));
    Parts {
        definition,
        practice,
        example,
        tradeoff,
    }
}
