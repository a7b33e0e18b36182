//! The four-part answer pattern: definition, practice, example, tradeoff.
//!
//! A transparent classifier: each part is either `null` or the *evidence* that satisfies
//! it, strongest first: an explicit mark (a heading class, `### Gotchas {.tradeoff}`), a
//! heading cue, then a sentence cue (for the example: a checked Python block). `qa-lint inspect` prints the evidence so an author sees why an
//! entry passed or failed; the schema decides which parts are required. docs/parts.md has
//! the cue lists and the measured confusion counts.
//!
//! Where each part may come from matters as much as the cues:
//!
//! - the definition is looked for only in the short answer and the opening paragraphs
//!   (before the first `###` section). A "what is ..." subsection defines a sub-concept, and
//!   a defining sentence deep in the body does not open the answer; looking everywhere made
//!   a removed definition go unnoticed.
//! - no part is taken from the interview answer. It restates the other parts by design,
//!   so counting it would let a body that lost its tradeoff or practice section pass.

use crate::entry::{BlockKind, CodeBlock, Entry, Section};
use crate::source::Span;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const PART_NAMES: [&str; 4] = ["definition", "practice", "example", "tradeoff"];

/// Cue lists, configurable under `[parts]` in qa-lint.toml. Matching is case-insensitive
/// and on whole text with a space added at both ends, so `" are "` only matches the word.
/// A sentence cue starting with `^` only matches at the start of a sentence. A list given in
/// the config replaces the default list; an unknown key is an error, not a silent no-op.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct Cues {
    pub definition_headings: Vec<String>,
    pub definition_sentences: Vec<String>,
    /// A definition cue right after one of these words is not a definition: "This is a
    /// common question", "It is the same object", "which is what ..." name no subject.
    pub definition_non_subjects: Vec<String>,
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
            // Not "what is": a `### What Is X?` subsection defines a sub-concept.
            definition_headings: strings(&["definition", "what it is"]),
            // A defining sentence names the thing, then its category ("is a"), its meaning
            // ("means") or what it does ("defines", "compares"); a yes/no question is
            // defined by its direct answer.
            definition_sentences: strings(&[
                " is a ",
                " is an ",
                " is the ",
                " is one of ",
                " is any ",
                " are ",
                " refers to ",
                " means ",
                " represents ",
                " defines ",
                " describes ",
                " compares ",
                " checks whether ",
                " lets ",
                "^yes",
                "^no,",
                "^no ",
            ]),
            definition_non_subjects: strings(&[
                "this", "that", "it", "there", "here", "which", "what", "these", "those", "they",
            ]),
            practice_headings: strings(&[
                "in practice",
                "in everyday code",
                "everyday",
                "in normal code",
                "in real code",
                "what it means",
                "practical",
                "best practice",
                "when would you",
                "when should you use",
                "how would you",
                "when is",
                "use case",
                "usage",
                "real projects",
                "day-to-day",
                "in real life",
                "still useful",
                "writing your own",
                "why it matters",
            ]),
            practice_sentences: strings(&[
                "in practice",
                "everyday",
                "in normal code",
                "day-to-day",
                "in real code",
                "use cases",
                "typical use",
                "reach for",
                "use it when",
                "useful for",
                "the practical",
            ]),
            example_headings: strings(&["example", "demo", "in code", "try it"]),
            tradeoff_headings: strings(&[
                "common mistake",
                "gotcha",
                "pitfall",
                "when should you not",
                "when not to",
                "tradeoff",
                "trade-off",
                "caveat",
                "nuance",
                "limitation",
                "watch out",
                "downside",
                "mistake",
                "costs",
                " vs ",
                " vs. ",
                "versus",
                "instead of",
                "better than",
            ]),
            tradeoff_sentences: strings(&[
                "mistake",
                "tradeoff",
                "trade-off",
                "caveat",
                "pitfall",
                "gotcha",
                "avoid ",
                "do not depend on",
                "don't depend on",
                "dangerous to",
                "do not rely",
                "don't rely",
                "the catch",
                "the downside",
                "be careful",
                "the cost",
                "can break",
                "better choice",
                "better fit",
            ]),
        }
    }
}

/// Why the classifier thinks a part is present.
#[derive(Clone, Debug)]
pub struct Evidence {
    /// `mark`, `heading`, `sentence` or `code`.
    pub kind: &'static str,
    /// The cue that matched (the class, heading cue, sentence cue or code fence).
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

/// Sentences of a paragraph, roughly: split after `.`, `?`, `!` or `;` before a space, and
/// after a colon (a list of definitions often follows "X:"). Good enough for cue anchoring.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let end = matches!(b, b'.' | b'?' | b'!' | b';' | b':' | b'\n')
            && bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace());
        if end {
            out.push(&text[start..=i]);
            start = i + 1;
        }
    }
    out.push(&text[start..]);
    out.into_iter().map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// The first cue found in `text`. `non_subjects`: reject a match whose preceding word is
/// one of these (only the definition uses it).
fn find_cue<'c>(text: &str, cues: &'c [String], non_subjects: &[String]) -> Option<&'c String> {
    // Lower-cased once per call, not once per sentence: the classifier runs on every entry.
    let lowered: Vec<String> = cues.iter().map(|c| c.to_lowercase()).collect();
    sentences(text).into_iter().find_map(|s| {
        let lower = format!(" {} ", s.to_lowercase());
        let i = lowered.iter().position(|c| {
            if let Some(anchored) = c.strip_prefix('^') {
                return lower[1..].starts_with(anchored);
            }
            lower.match_indices(c.as_str()).any(|(at, _)| {
                let before = lower[..at].split_whitespace().last().unwrap_or("");
                let word = before.trim_matches(|ch: char| !ch.is_alphanumeric());
                !non_subjects.iter().any(|n| n.eq_ignore_ascii_case(word))
            })
        })?;
        cues.get(i)
    })
}

fn sentence_evidence(cue: &str, text: &str, span: Span) -> Evidence {
    Evidence {
        kind: "sentence",
        cue: cue.trim().to_string(),
        excerpt: excerpt(text),
        span,
    }
}

/// Is this section the interview answer? (Its paragraphs lie inside that span.)
fn in_interview(entry: &Entry, span: Span) -> bool {
    entry
        .interview_answer
        .as_ref()
        .is_some_and(|ia| span.start >= ia.span.start && span.end <= ia.span.end)
}

fn heading_evidence(s: &Section, kind: &'static str, cue: String) -> Evidence {
    Evidence {
        kind,
        cue,
        excerpt: excerpt(&s.title),
        span: s.span,
    }
}

/// A section carrying the mark (`{.tradeoff}`), else the first with a heading cue.
fn by_heading(entry: &Entry, part: &str, cues: &[String]) -> Option<Evidence> {
    let marked = entry.sections.iter().find(|s| s.classes.iter().any(|c| c == part));
    if let Some(s) = marked {
        return Some(heading_evidence(s, "mark", format!(".{part}")));
    }
    entry
        .sections
        .iter()
        .find_map(|s| find_cue(&s.title, cues, &[]).map(|cue| heading_evidence(s, "heading", cue.clone())))
}

/// The first body paragraph (list items included, interview answer excluded) with a cue.
fn by_sentence(entry: &Entry, cues: &[String]) -> Option<Evidence> {
    entry
        .paragraphs
        .iter()
        .filter(|p| !in_interview(entry, p.span))
        .find_map(|p| find_cue(&p.text, cues, &[]).map(|c| sentence_evidence(c, &p.text, p.span)))
}

/// The definition paragraph(s) before the first section, then the short answer (which
/// often defines the term too, so an entry whose body opens without a definition passes
/// when its short answer has one).
fn by_opening(entry: &Entry, cues: &Cues) -> Option<Evidence> {
    let (list, skip) = (&cues.definition_sentences, &cues.definition_non_subjects);
    let opening = entry.paragraphs.iter().filter(|p| p.section.is_none());
    let texts = opening.map(|p| (p.text.as_str(), p.span));
    let short = entry.short_answer.as_ref().map(|sa| (sa.text.as_str(), sa.span));
    texts
        .chain(short)
        .find_map(|(text, span)| find_cue(text, list, skip).map(|c| sentence_evidence(c, text, span)))
}

/// A Python block qa-lint checks: runnable first; a `compile-only` block (valid code that
/// cannot run here, such as a FastAPI app) is weaker evidence but still an example. A
/// `skip`ped block is not: nothing checks it. Within a tier, a block under a section
/// marked `{.example}` wins (evidence `mark`), then one under an example heading cue, then
/// the first block (both evidence `code`).
fn by_code(entry: &Entry, cues: &Cues) -> Option<Evidence> {
    let python = |b: &&CodeBlock| b.kind() != BlockKind::Other && b.is_runnable();
    let section_of = |b: &CodeBlock| b.section.and_then(|i| entry.sections.get(i));
    let marked = |b: &CodeBlock| section_of(b).is_some_and(|s| s.classes.iter().any(|c| c == "example"));
    for compile_only in [false, true] {
        let tier: Vec<&CodeBlock> = entry
            .blocks
            .iter()
            .filter(python)
            .filter(|b| b.directives.compile_only == compile_only)
            .collect();
        let found = (tier.iter().find(|b| marked(b))).map(|b| (*b, "mark", ".example".into()));
        // A block under an example heading is the better excerpt, but the evidence stays
        // `code`: the heading alone proves nothing, the checked block does.
        let found = found.or_else(|| {
            tier.iter()
                .find(|b| section_of(b).is_some_and(|s| find_cue(&s.title, &cues.example_headings, &[]).is_some()))
                .map(|b| (*b, "code", format!("```{}", b.lang)))
        });
        let found = found.or_else(|| tier.first().map(|b| (*b, "code", format!("```{}", b.lang))));
        if let Some((b, kind, cue)) = found {
            let first = b.code.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            let suffix = if compile_only { " compile-only" } else { "" };
            return Some(Evidence {
                kind,
                cue: format!("{cue}{suffix}"),
                excerpt: excerpt(first),
                span: b.span,
            });
        }
    }
    None
}

pub fn classify(entry: &Entry, cues: &Cues) -> Parts {
    Parts {
        definition: by_heading(entry, "definition", &cues.definition_headings).or_else(|| by_opening(entry, cues)),
        practice: by_heading(entry, "practice", &cues.practice_headings)
            .or_else(|| by_sentence(entry, &cues.practice_sentences)),
        example: by_code(entry, cues),
        tradeoff: by_heading(entry, "tradeoff", &cues.tradeoff_headings)
            .or_else(|| by_sentence(entry, &cues.tradeoff_sentences)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_cues_respect_subjects_and_anchors() {
        let c = Cues::default();
        let def = |t: &str| find_cue(t, &c.definition_sentences, &c.definition_non_subjects);
        assert_eq!(def("A slot is a fixed attribute.").unwrap().trim(), "is a");
        assert!(def("This is a classic question. It is the same thing.").is_none());
        assert_eq!(def("Yes, with a wrapper.").unwrap(), "^yes");
        assert!(def("Say yes to it.").is_none());
    }
}
