//! The entry rule: which heading-delimited sections of a file are entries.
//!
//! The event walk ([`super::extract`]) cuts a file into flat *raw sections*, one per heading
//! plus the text before the first heading. This module decides, for the whole file at once,
//! which of them are entries and folds deeper headings into the entry above them as
//! subsections. Deciding after the walk is what lets the rule look at the file as a whole
//! ("at which heading level does this file ask its questions?") in a single parse.
//!
//! - `qa` mode: entries are the question headings at the file's *question level*
//!   (see [`question_level`]); everything else is kept, but not judged.
//! - `sections` mode: every section at the file's top levels is an entry (see
//!   [`sections_level`]); the Q&A structure rules do not apply (the mode selects its own
//!   schema).

use crate::config::EntryMode;
use crate::entry::{Entry, Section, Text};
use crate::source::Span;

/// One heading and everything up to the next heading, or the text before the first one.
pub struct RawSection {
    /// 1-6 for a heading; 0 for the text before the first heading.
    pub level: u8,
    /// The heading had a `Q.` / `Q1:` / `Question 3:` marker.
    pub marker: bool,
    pub classes: Vec<String>,
    /// The section's content so far, as an entry with no subsections.
    pub entry: Entry,
}

/// What the rule made of a file's sections.
#[derive(Default)]
pub struct Assembled {
    pub entries: Vec<Entry>,
    /// Titles of headed sections that are not entries.
    pub other_sections: Vec<Text>,
    /// Sections whose content belongs to no entry (their code does not run).
    pub outside: Vec<Entry>,
}

/// Apply the rule of `mode` to the raw sections of one file, in order.
pub fn assemble(raws: Vec<RawSection>, mode: EntryMode) -> Assembled {
    match mode {
        EntryMode::Qa => assemble_qa(raws),
        EntryMode::Sections => assemble_sections(raws),
    }
}

fn assemble_qa(raws: Vec<RawSection>) -> Assembled {
    let found = question_level(&raws);
    let level = found.map(|(l, _)| l);
    let weak_counts = found.is_some_and(|(_, weak)| weak);
    let mut out = Assembled::default();
    // The section at `level` being filled, and whether it is an entry.
    let mut open: Option<(Entry, bool)> = None;
    let close = |open: &mut Option<(Entry, bool)>, out: &mut Assembled| {
        if let Some((e, is_entry)) = open.take() {
            if is_entry {
                out.entries.push(e);
            } else {
                out.other_sections.push(e.title.clone());
                out.outside.push(e);
            }
        }
    };
    for raw in raws {
        match level {
            // `### Solution` under `### Question 3`: the answer to the open question, at its level.
            Some(l)
                if raw.level == l && answer_heading(&raw.entry.title.text) && open.as_ref().is_some_and(|o| o.1) =>
            {
                let (parent, _) = open.as_mut().expect("checked above");
                fold(parent, raw);
            }
            Some(l) if raw.level == l => {
                close(&mut open, &mut out);
                let is_entry = raw.entry.short_answer.is_some()
                    || match question_kind(&raw) {
                        QuestionKind::Strong => true,
                        // Next to numbered questions a weak heading is a chapter such as
                        // "What Interviewers Usually Want to Hear".
                        QuestionKind::Weak => weak_counts,
                        QuestionKind::No => false,
                    };
                open = Some((raw.entry, is_entry));
            }
            Some(l) if raw.level > l && open.is_some() => {
                let (parent, _) = open.as_mut().expect("checked above");
                fold(parent, raw);
            }
            _ => {
                // Above the question level (a title, a chapter), before the first question,
                // or no question level at all: not part of any entry.
                close(&mut open, &mut out);
                if raw.level > 0 {
                    out.other_sections.push(raw.entry.title.clone());
                }
                out.outside.push(raw.entry);
            }
        }
    }
    close(&mut open, &mut out);
    out
}

fn assemble_sections(raws: Vec<RawSection>) -> Assembled {
    let level = sections_level(&raws);
    let mut out = Assembled::default();
    let mut open: Option<Entry> = None;
    for raw in raws {
        if raw.level <= level || open.is_none() {
            if let Some(e) = open.take() {
                push_section_entry(&mut out, e);
            }
            open = Some(raw.entry);
        } else if let Some(parent) = open.as_mut() {
            fold(parent, raw);
        }
    }
    if let Some(e) = open.take() {
        push_section_entry(&mut out, e);
    }
    out
}

/// A section with nothing in it (a title line right before the first `##`) is no entry.
fn push_section_entry(out: &mut Assembled, e: Entry) {
    if e.blocks.is_empty() && e.paragraphs.is_empty() && e.short_answer.is_none() && e.sections.is_empty() {
        if !e.title.text.is_empty() {
            out.other_sections.push(e.title);
        }
    } else {
        out.entries.push(e);
    }
}

/// In `sections` mode, headings at this level or above start an entry; deeper ones continue
/// the entry above them. It is the shallowest level below the title (`#`) that the file
/// uses: `##` in most files, so `###` subsections share their `##` section's namespace
/// (tutorials build one example over several subsections; docs/format.md has the evidence).
fn sections_level(raws: &[RawSection]) -> u8 {
    raws.iter().map(|r| r.level).filter(|&l| l >= 2).min().unwrap_or(1)
}

/// The heading level at which a file asks its questions: the shallowest level holding a fair
/// share of the file's *strong* question headings (numbered, `Q.`/`Q1:` markers, ending in
/// `?`, or with a short answer). A "fair share" (a fifth of the busiest level's count) keeps
/// one "Why this book?" chapter from pulling the level up, and numbered sub-points
/// (`#### 1. Interpreted`) under `## 1. What ...?` from pulling it down. A file with no strong
/// heading at all falls back to the shallowest level with two or more *weak* ones
/// (starting with What/How/Explain/Describe ...); only then do weak headings count as
/// questions (the `bool`).
pub fn question_level(raws: &[RawSection]) -> Option<(u8, bool)> {
    let mut strong = [0usize; 7];
    let mut weak = [0usize; 7];
    for r in raws.iter().filter(|r| r.level > 0) {
        match question_kind(r) {
            QuestionKind::Strong => strong[r.level as usize] += 1,
            QuestionKind::Weak => weak[r.level as usize] += 1,
            QuestionKind::No if r.entry.short_answer.is_some() => strong[r.level as usize] += 1,
            QuestionKind::No => {}
        }
    }
    let most = *strong.iter().max().unwrap_or(&0);
    if most > 0 {
        return (1..=6)
            .find(|&l| strong[l] > 0 && strong[l] * 5 >= most)
            .map(|l| (l as u8, false));
    }
    (1..=6).find(|&l| weak[l] >= 2).map(|l| (l as u8, true))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuestionKind {
    /// Numbered, a `Q.` marker, or ending in `?`.
    Strong,
    /// Starts with an interrogative or an exam-style imperative (What, How, Explain, ...).
    Weak,
    No,
}

const INTERROGATIVES: &[&str] = &[
    "what", "why", "how", "when", "where", "which", "who", "whom", "whose", "is", "are", "can", "could", "does", "do",
    "did", "should", "would", "will", "was", "were", "has", "have",
];
const IMPERATIVES: &[&str] = &[
    "explain",
    "describe",
    "write",
    "compare",
    "contrast",
    "define",
    "list",
    "differentiate",
    "distinguish",
    "name",
    "give",
    "implement",
    "discuss",
    "mention",
    "illustrate",
];

pub fn question_kind(r: &RawSection) -> QuestionKind {
    let title = r.entry.title.text.trim();
    if r.entry.number.is_some() || r.marker {
        return QuestionKind::Strong;
    }
    if title
        .trim_end_matches(|c: char| c == '*' || c == '_' || c.is_whitespace())
        .ends_with('?')
    {
        return QuestionKind::Strong;
    }
    let first = title
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .to_ascii_lowercase();
    if INTERROGATIVES.contains(&first.as_str()) || IMPERATIVES.contains(&first.as_str()) {
        QuestionKind::Weak
    } else {
        QuestionKind::No
    }
}

/// Split a heading's leading question number or marker off its title:
/// `3. What ...`, `3) ...`, `Q. ...`, `Q1: ...`, `Q 12) ...`, `Question 3: ...`.
/// Returns (number, whether a `Q`/`Question` marker was present, the rest).
pub fn split_number(title: &str) -> (Option<u64>, bool, &str) {
    let digits = title.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && digits < 10 {
        let rest = &title[digits..];
        if let Some(q) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return (title[..digits].parse().ok(), false, q.trim_start());
        }
        // `## 12 What is a closure?`: a number and a space, then words (not `## 2024 plans`).
        if let Some(q) = rest
            .strip_prefix(' ')
            .filter(|q| digits <= 3 && q.starts_with(char::is_uppercase))
        {
            return (title[..digits].parse().ok(), false, q.trim_start());
        }
    }
    if let Some((number, rest)) = question_marker(title) {
        return (number, true, rest);
    }
    (None, false, title)
}

fn question_marker(title: &str) -> Option<(Option<u64>, &str)> {
    let lower = title.to_ascii_lowercase();
    let after_word = if lower.starts_with("question") {
        &title["question".len()..]
    } else if lower.starts_with('q') {
        &title[1..]
    } else {
        return None;
    };
    let t = after_word.trim_start_matches(' ');
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let number = (digits > 0 && digits < 10).then(|| t[..digits].parse().ok()).flatten();
    let rest = &t[digits..];
    // The marker ends in punctuation and a space: `Q. `, `Q1: `, `Q 3) `, `Q-4 ` is not.
    // A bare `Q.` heading counts too: some files put the question text below it.
    let rest = rest.strip_prefix(['.', ':', ')'])?;
    if !rest.trim().is_empty() && !rest.starts_with(' ') {
        return None;
    }
    Some((number, rest.trim_start()))
}

/// A heading that answers the question before it (`Solution`, `Answer:`, `**Hints**`,
/// `Explanation`, `Output`): part of that question's entry, whatever its level.
fn answer_heading(title: &str) -> bool {
    let t = title
        .trim()
        .trim_matches(|c: char| c == '*' || c == '_' || c == ':' || c.is_whitespace())
        .to_ascii_lowercase();
    matches!(
        t.as_str(),
        "solution" | "solutions" | "answer" | "answers" | "hint" | "hints" | "explanation" | "output" | "result"
    )
}

/// Add a deeper section to the entry above it, as a subsection.
pub fn fold(parent: &mut Entry, child: RawSection) {
    let RawSection {
        level,
        classes,
        entry: c,
        ..
    } = child;
    parent.sections.push(Section {
        title: c.title.text.clone(),
        level,
        classes,
        span: c.heading_span,
    });
    let idx = parent.sections.len() - 1;
    if is_interview_heading(&c.title.text) {
        let mut texts = c.paragraphs.iter().map(|p| p.text.as_str());
        if let (Some(first), Some(last)) = (c.paragraphs.first(), c.paragraphs.last()) {
            let mut text = texts.next().unwrap_or("").to_string();
            for t in texts {
                text.push_str("\n\n");
                text.push_str(t);
            }
            match &mut parent.interview_answer {
                Some(ia) => {
                    ia.text.push_str("\n\n");
                    ia.text.push_str(&text);
                    ia.span = Span::new(ia.span.start, last.span.end);
                }
                None => {
                    parent.interview_answer = Some(Text {
                        text,
                        span: Span::new(first.span.start, last.span.end),
                    })
                }
            }
        }
    }
    match (&parent.short_answer, c.short_answer) {
        (None, Some(sa)) => parent.short_answer = Some(sa),
        (Some(_), Some(sa)) => parent.paragraphs.push(crate::entry::Paragraph {
            text: sa.text,
            span: sa.span,
            section: Some(idx),
            in_blockquote: false,
        }),
        _ => {}
    }
    for mut p in c.paragraphs {
        p.section = Some(idx);
        parent.paragraphs.push(p);
    }
    for mut b in c.blocks {
        b.section = Some(idx);
        parent.blocks.push(b);
    }
    parent.lists += c.lists;
    parent.tables += c.tables;
    parent.span = Span::new(parent.span.start, c.span.end.max(parent.span.end));
}

/// Is this heading the "How I would say it in an interview" section?
pub(super) fn is_interview_heading(title: &str) -> bool {
    let t = title.to_ascii_lowercase();
    (t.contains("interview") && (t.contains("say") || t.contains("answer")))
        || t.starts_with("how i would say it")
        || t.starts_with("how i'd say it")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        assert_eq!(split_number("3. What is X?"), (Some(3), false, "What is X?"));
        assert_eq!(split_number("12 What is X?"), (Some(12), false, "What is X?"));
        assert_eq!(split_number("2024 plans"), (None, false, "2024 plans"));
        assert_eq!(split_number("3 ways to sort"), (None, false, "3 ways to sort"));
        assert!(super::answer_heading("**Solution:**") && super::answer_heading("Hints"));
        assert!(!super::answer_heading("Solution design") && !super::answer_heading("What is X?"));
        assert_eq!(split_number("Q. Explain X"), (None, true, "Explain X"));
        assert_eq!(split_number("Q1: What"), (Some(1), true, "What"));
        assert_eq!(split_number("Q 12) What"), (Some(12), true, "What"));
        assert_eq!(split_number("Question 4: Why"), (Some(4), true, "Why"));
        assert_eq!(split_number("Queues in Python"), (None, false, "Queues in Python"));
        assert_eq!(split_number("Q&A"), (None, false, "Q&A"));
        assert_eq!(split_number("Q."), (None, true, ""));
        assert_eq!(split_number("Q.1"), (None, false, "Q.1"));
    }
}
