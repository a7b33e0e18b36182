//! Hover on a claim (`print(x)  # 5`): the verdict of the last run on this text and what the
//! code actually showed.

use super::position::LineIndex;
use super::store::Doc;
use crate::claims::extract_claims;
use crate::diagnostic::Diagnostic;
use crate::entry::{CodeBlock, SuppressionScope};
use crate::source::Span;
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position};

pub fn hover(doc: &Doc, pos: Position) -> Option<Hover> {
    let index = LineIndex::new(&doc.text);
    let offset = index.offset(pos);
    let model = super::analyze::parse(&doc.path, &doc.text)?;
    let block = model
        .entries
        .iter()
        .flat_map(|e| &e.blocks)
        .find(|b| b.span.start <= offset && offset < b.span.end)?;
    // The claim whose statement line or comment line holds the cursor.
    let claim = extract_claims(&block.code).into_iter().find(|c| {
        let lines = lines_span(block, c.line, c.comment_line.max(c.line));
        lines.start <= offset && offset <= lines.end
    })?;
    let claim_lines = lines_span(block, claim.line, claim.comment_line.max(claim.line));
    let text = if !block.is_runnable() {
        format!(
            "qa-lint: claim `{}` is not checked: this block does not run",
            claim.text
        )
    } else if !doc.ran_current() {
        format!(
            "qa-lint: claim `{}` not checked yet: save the file to run its examples",
            claim.text
        )
    } else {
        let diags = doc.current().unwrap_or_default();
        let suppressed = model.suppressions.iter().any(|s| {
            let covers = match &s.scope {
                SuppressionScope::Range(r) => r.start <= claim_lines.start && claim_lines.start < r.end,
                SuppressionScope::File => true,
            };
            let names_execution = s.rules.is_empty()
                || s.rules.iter().any(|r| {
                    r.eq_ignore_ascii_case("all") || crate::rules::lookup(r).is_some_and(|r| r.step == "execute")
                });
            covers && names_execution
        });
        match verdict(&claim.text, &diags, claim_lines, block.span) {
            Verdict::Holds if suppressed => format!(
                "qa-lint: claim `{}` not reported: a `qa-lint-disable` comment covers it",
                claim.text
            ),
            Verdict::Holds => format!(
                "qa-lint: claim `{}` **holds**: the actual output matched it on the last run",
                claim.text
            ),
            Verdict::Said(s) => s,
        }
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(index.range(claim_lines)),
    })
}

/// The Markdown span of block lines `first..=last` (1-based).
fn lines_span(block: &CodeBlock, first: usize, last: usize) -> Span {
    Span::new(block.line_span(first).start, block.line_span(last).end)
}

fn is_execution(d: &Diagnostic) -> bool {
    crate::rules::lookup(&d.rule).is_some_and(|r| r.step == "execute")
}

enum Verdict {
    /// No diagnostic: the claim held, or a suppression hid what it found.
    Holds,
    Said(String),
}

/// What the run said about the claim on `lines`: an execution diagnostic there, one that kept
/// the whole block from being judged (timeout, crash, missing module), or none.
fn verdict(claimed: &str, diags: &[Diagnostic], lines: Span, block: Span) -> Verdict {
    let on_claim = diags
        .iter()
        .filter(|d| is_execution(d))
        .find(|d| d.span.start <= lines.end && lines.start <= d.span.end);
    if let Some(d) = on_claim {
        let actual = d
            .fix
            .as_ref()
            .map(|f| f.replacement.clone())
            .or_else(|| d.label.strip_prefix("actual: ").map(str::to_string));
        let mut s = format!("qa-lint: **{}** ({})\n\n{}", d.rule, d.code, d.message);
        if let Some(a) = actual {
            s.push_str(&format!("\n\nactual output: `{a}`"));
        }
        return Verdict::Said(s);
    }
    let blocking = ["timeout", "interpreter-crash", "missing-module", "python-syntax-error"];
    if let Some(d) = diags
        .iter()
        .find(|d| blocking.contains(&d.rule.as_str()) && d.span.start >= block.start && d.span.start < block.end)
    {
        return Verdict::Said(format!("qa-lint: claim `{claimed}` not judged: {}", d.message));
    }
    Verdict::Holds
}
