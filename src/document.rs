//! An entry as the JSON document the schema sees, plus a side table from JSON pointer to span.
//!
//! The schema is the policy and users edit it, so the document is a stable, documented
//! surface (`qa-lint inspect` prints it; docs/schema.md describes every field).

use crate::entry::{BlockKind, Document, Entry};
use crate::parts::Parts;
use crate::source::{SourceFile, Span};
use serde_json::{json, Value};

/// The JSON document for one entry and where each of its parts lives in the Markdown.
pub struct EntryDocument {
    pub value: Value,
    /// (JSON pointer, span), for mapping a schema error back to the Markdown.
    pub spans: Vec<(String, Span)>,
    /// Fallback span: the entry's heading.
    pub heading: Span,
}

impl EntryDocument {
    /// The span of the deepest pointer that is a prefix of `pointer`; the heading otherwise.
    pub fn span_for(&self, pointer: &str) -> Span {
        let mut p = pointer;
        loop {
            if let Some((_, span)) = self.spans.iter().find(|(k, _)| k == p) {
                return *span;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return self.heading,
            }
        }
    }
}

pub fn build(file: &SourceFile, doc: &Document, entry: &Entry, parts: &Parts) -> EntryDocument {
    let mut spans = vec![("/title".to_string(), entry.title.span)];
    let short_answer = entry.short_answer.as_ref().map(|sa| {
        spans.push(("/short_answer".into(), sa.span));
        json!({
            "text": sa.text,
            "chars": sa.text.chars().count(),
            "paragraphs": sa.paragraphs,
            "line": file.line_col(sa.span.start).line,
        })
    });
    let interview = entry.interview_answer.as_ref().map(|ia| {
        spans.push(("/interview_answer".into(), ia.span));
        json!({ "text": ia.text, "chars": ia.text.chars().count() })
    });
    let sections: Vec<Value> = entry
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            spans.push((format!("/sections/{i}"), s.span));
            json!({ "title": s.title, "level": s.level, "classes": s.classes })
        })
        .collect();
    let blocks: Vec<Value> = entry
        .blocks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            spans.push((format!("/code_blocks/{i}"), b.span));
            let kind = b.kind();
            json!({
                "lang": b.lang,
                "info": b.info,
                "kind": kind,
                "python": kind != BlockKind::Other,
                "runs": b.is_runnable() && !b.directives.compile_only,
                "lines": b.code.lines().count(),
                "directives": b.directives,
                "line": file.line_col(b.span.start).line,
            })
        })
        .collect();
    if let Some(fm) = &doc.front_matter {
        spans.push(("/front_matter".into(), fm.span));
        // Top-level keys point at their own line (`bucket: misc`), so a policy on one key
        // is reported there rather than at the whole block.
        if let Some(map) = fm.value.as_object() {
            let text = &file.text[fm.span.start..fm.span.end];
            let mut offset = fm.span.start;
            for line in text.split_inclusive('\n') {
                if let Some((key, _)) = line.split_once(':') {
                    let key = key.trim().trim_matches(|c| c == '"' || c == '\'');
                    if !line.starts_with([' ', '\t']) && map.contains_key(key) {
                        spans.push((
                            format!("/front_matter/{}", key.replace('~', "~0").replace('/', "~1")),
                            Span::new(offset, offset + line.trim_end().len()),
                        ));
                    }
                }
                offset += line.len();
            }
        }
    }
    let parts_value = parts.to_json(&mut spans);
    let value = json!({
        "file": file.display_path(),
        "line": file.line_col(entry.heading_span.start).line,
        "number": entry.number,
        "title": entry.title.text,
        "document_title": doc.title.as_ref().map(|t| t.text.clone()),
        "front_matter": doc.front_matter.as_ref().map_or(Value::Null, |f| f.value.clone()),
        "short_answer": short_answer,
        "sections": sections,
        "code_blocks": blocks,
        "lists": entry.lists,
        "tables": entry.tables,
        "interview_answer": interview,
        "parts": parts_value,
    });
    // The heading's span ends after its line break; a diagnostic anchored to the heading
    // underlines the heading line only, not the start of the next line.
    let mut heading = entry.heading_span;
    let text = file.text.get(heading.start..heading.end).unwrap_or("");
    heading.end = heading.start + text.trim_end_matches(['\r', '\n']).len();
    EntryDocument { value, spans, heading }
}
