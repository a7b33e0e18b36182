//! Code actions: the diagnostic's own fix (for a wrong claim, the actual output: the edit
//! `qa-lint --fix` makes) and a `qa-lint-disable-next-line` suppression for its rule.

use super::position::LineIndex;
use super::store::Doc;
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;
use lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, Position, Range, TextEdit, Uri, WorkspaceEdit};
use std::collections::HashMap;

/// Rules a comment cannot suppress (docs/format.md), so no action offers it.
const UNSUPPRESSIBLE: &[Rule] = &[Rule::UnusedSuppression];

pub fn actions(uri: &Uri, doc: &Doc, range: Range) -> Vec<CodeActionOrCommand> {
    let Ok(diags) = doc.current() else {
        return Vec::new();
    };
    let index = LineIndex::new(&doc.text);
    let model = super::analyze::parse(&doc.path, &doc.path, &doc.text).map(|p| p.doc);
    let touches = |r: Range| r.start <= range.end && range.start <= r.end;
    let mut out = Vec::new();
    for d in diags.iter().filter(|d| touches(index.range(d.span))) {
        let lsp = super::diagnostics::to_lsp(d, &index);
        let action = |title: String, edit: TextEdit, preferred: bool| {
            CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp.clone()]),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: preferred.then_some(true),
                ..CodeAction::default()
            })
        };
        if let Some(fix) = &d.fix {
            let title = if fix.hedged {
                format!("Replace the hedged claim with `{}`", fix.replacement)
            } else {
                format!("Replace the claim with `{}`", fix.replacement)
            };
            let edit = TextEdit::new(index.range(fix.span), fix.replacement.clone());
            out.push(action(title, edit, !fix.hedged));
        }
        if !UNSUPPRESSIBLE.iter().any(|&r| d.is(r)) {
            let edit = suppression(d, &index, model.as_ref());
            out.push(action(format!("Disable {} for this line", d.rule), edit, false));
        }
    }
    // Every sure fix of the file at once (`source.fixAll`, which editors can run on save):
    // what `qa-lint --fix` would write, hedged claims left alone as it leaves them.
    let mut fixes: Vec<_> = diags
        .iter()
        .filter_map(|d| d.fix.as_ref())
        .filter(|f| !f.hedged)
        .collect();
    fixes.sort_by_key(|f| f.span.start);
    fixes.dedup_by(|b, a| b.span.start < a.span.end);
    if !fixes.is_empty() {
        let edits = fixes
            .iter()
            .map(|f| TextEdit::new(index.range(f.span), f.replacement.clone()))
            .collect();
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Fix all wrong claims in this file ({})", fixes.len()),
            kind: Some(CodeActionKind::new("source.fixAll.qa-lint")),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(uri.clone(), edits)])),
                ..WorkspaceEdit::default()
            }),
            ..CodeAction::default()
        }));
    }
    out
}

/// The edit that suppresses `d` on its line only. On a line of Python code: a
/// `# qa-lint-disable-next-line RULE` comment line above it, with its indentation (a Python
/// comment: the code runs as before). Elsewhere: an HTML comment before the block element it
/// starts in. Either way, a rule added to such a comment already there.
fn suppression(d: &Diagnostic, index: &LineIndex, model: Option<&crate::entry::Document>) -> TextEdit {
    let eol = if index.crlf() { "\r\n" } else { "\n" };
    let in_code = model.is_some_and(|m| {
        m.entries.iter().flat_map(|e| &e.blocks).any(|b| {
            b.kind() == crate::entry::BlockKind::Python
                && b.line_offsets.first().is_some_and(|&first| first <= d.span.start)
                && d.span.start < b.span.end
        })
    });
    if in_code {
        let line = index.position(d.span.start).line;
        if line > 0 {
            let above = index.line_text(line as usize - 1);
            if crate::markdown::code_line_suppression(above).is_some() {
                let end = above.trim_end().encode_utf16().count() as u32;
                let pos = Position::new(line - 1, end);
                return TextEdit::new(Range::new(pos, pos), format!(" {}", d.rule));
            }
        }
        let target = index.line_text(line as usize);
        let indent: String = target.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
        let start = Position::new(line, 0);
        return TextEdit::new(
            Range::new(start, start),
            format!("{indent}# qa-lint-disable-next-line {}{eol}", d.rule),
        );
    }
    let block_start = model.and_then(|m| {
        m.entries
            .iter()
            .flat_map(|e| e.blocks.iter().map(|b| b.span))
            .chain(m.outside_blocks.iter().copied())
            .find(|s| s.start <= d.span.start && d.span.start < s.end)
            .map(|s| s.start)
    });
    let line = index.position(block_start.unwrap_or(d.span.start)).line;
    let target = index.line_text(line as usize);
    if line > 0 {
        let above = index.line_text(line as usize - 1);
        let trimmed = above.trim_end();
        if above.trim_start().starts_with("<!-- qa-lint-disable-next-line") && trimmed.ends_with("-->") {
            let names_end = above[..trimmed.len() - "-->".len()].trim_end();
            let pos = Position::new(line - 1, names_end.encode_utf16().count() as u32);
            return TextEdit::new(Range::new(pos, pos), format!(" {}", d.rule));
        }
    }
    let indent: String = target.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    let start = Position::new(line, 0);
    TextEdit::new(
        Range::new(start, start),
        format!("{indent}<!-- qa-lint-disable-next-line {} -->{eol}", d.rule),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;
    use std::path::Path;

    fn diag_at(text: &str, needle: &str, rule: Rule) -> Diagnostic {
        let start = text.find(needle).unwrap();
        Diagnostic::new(rule, Span::new(start, start + needle.len()), "m")
    }

    #[test]
    fn a_new_comment_keeps_the_indentation_and_line_endings() {
        let text = "- item\r\n\r\n  A paragraph.\r\n";
        let edit = suppression(
            &diag_at(text, "paragraph", Rule::SchemaViolation),
            &LineIndex::new(text),
            None,
        );
        assert_eq!(edit.range, Range::new(Position::new(2, 0), Position::new(2, 0)));
        assert_eq!(
            edit.new_text,
            "  <!-- qa-lint-disable-next-line schema-violation -->\r\n"
        );
    }

    #[test]
    fn a_comment_already_above_gets_the_rule_added() {
        let text = "<!-- qa-lint-disable-next-line output-mismatch -->\nA paragraph.\n";
        let edit = suppression(
            &diag_at(text, "paragraph", Rule::SchemaViolation),
            &LineIndex::new(text),
            None,
        );
        let at = Position::new(0, "<!-- qa-lint-disable-next-line output-mismatch".len() as u32);
        assert_eq!(edit.range, Range::new(at, at));
        assert_eq!(edit.new_text, " schema-violation");
    }

    #[test]
    fn in_python_code_the_comment_is_a_python_comment_line_above_that_line_only() {
        let text = "# T\n\n## 1. Q?\n\n```python\nif True:\n    print(1)  # 2\n```\n";
        let model = crate::server::analyze::parse(Path::new("a.md"), Path::new("a.md"), text).map(|p| p.doc);
        let d = diag_at(text, "2\n```", Rule::OutputMismatch);
        let edit = suppression(&d, &LineIndex::new(text), model.as_ref());
        assert_eq!(edit.range, Range::new(Position::new(6, 0), Position::new(6, 0)));
        assert_eq!(edit.new_text, "    # qa-lint-disable-next-line output-mismatch\n");
        // Applied, it hides that line's finding and keeps the code what it was.
        let fixed = text.replacen(
            "    print(1)",
            "    # qa-lint-disable-next-line output-mismatch\n    print(1)",
            1,
        );
        let again = crate::server::analyze::parse(Path::new("a.md"), Path::new("a.md"), &fixed).unwrap();
        assert_eq!(again.doc.suppressions.len(), 1);
        let d2 = diag_at(&fixed, "2\n```", Rule::OutputMismatch);
        let edit = suppression(&d2, &LineIndex::new(&fixed), Some(&again.doc));
        assert_eq!(
            edit.new_text, " output-mismatch",
            "a second rule joins the comment line"
        );
    }
}
