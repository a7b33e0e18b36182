//! Hover on a claim (`print(x)  # 5`): the verdict of the last run on this text and what the
//! code actually showed.

use super::position::LineIndex;
use super::store::Doc;
use crate::claims::extract_claims;
use crate::diagnostic::Diagnostic;
use crate::entry::{BlockLine, CodeBlock, SuppressionScope};
use crate::exec::EntryOutcome;
use crate::rules::Rule;
use crate::source::Span;
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position};
use std::path::Path;

/// `cache_dir`: where runs store their results (the actual output comes from there).
pub fn hover(doc: &Doc, pos: Position, cache_dir: &Path) -> Option<Hover> {
    let index = LineIndex::new(&doc.text);
    let offset = index.offset(pos);
    let parsed = super::analyze::parse(&doc.path, &doc.run_path, &doc.text)?;
    let model = &parsed.doc;
    let (entry, block_index, block) = model.entries.iter().find_map(|e| {
        e.blocks
            .iter()
            .enumerate()
            .find(|(_, b)| b.span.start <= offset && offset < b.span.end)
            .map(|(i, b)| (e, i, b))
    })?;
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
                    r.eq_ignore_ascii_case("all") || crate::rules::lookup(r).is_some_and(|r| r.rule.executes())
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
    let text = match shown(&parsed, entry, block_index, claim.line as u32, cache_dir) {
        Some(actual) if doc.ran_current() => format!("{text}\n\nthis line showed:\n```text\n{actual}\n```"),
        _ => text,
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
    Span::new(
        block.line_span(BlockLine::new(first)).start,
        block.line_span(BlockLine::new(last)).end,
    )
}

fn is_execution(d: &Diagnostic) -> bool {
    crate::rules::lookup(&d.rule).is_some_and(|r| r.rule.executes())
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
    let blocking = [
        Rule::Timeout,
        Rule::InterpreterCrash,
        Rule::MissingModule,
        Rule::PythonSyntaxError,
    ];
    if let Some(d) = diags
        .iter()
        .find(|d| blocking.iter().any(|&r| d.is(r)) && d.span.start >= block.start && d.span.start < block.end)
    {
        return Verdict::Said(format!("qa-lint: claim `{claimed}` not judged: {}", d.message));
    }
    Verdict::Holds
}

/// What block line `line` printed, returned or raised in the run the cache holds for this
/// entry as it is now (`None` when the entry has not run in this form, or showed nothing).
fn shown(
    parsed: &super::analyze::Parsed,
    entry: &crate::entry::Entry,
    block: usize,
    line: u32,
    cache_dir: &Path,
) -> Option<String> {
    let prepared = crate::examples::prepare(&parsed.source, &parsed.doc, entry, &parsed.config, &[])?;
    // The server's own environment, as the `qa-lint check -` runs it starts inherit it.
    let cache = crate::pipeline::open_cache(cache_dir, &parsed.config, &crate::environment::Environment::read());
    let result = match cache.get(&cache.key(&prepared.job))? {
        EntryOutcome::Completed(r)
        | EntryOutcome::TimedOut { result: r, .. }
        | EntryOutcome::Crashed { result: r, .. } => r,
        EntryOutcome::MissingModules(_) => return None,
    };
    let run = result
        .blocks
        .get(prepared.block_map.iter().position(|&b| b == block)?)?;
    let starts_here = |stmt: &Option<crate::exec::StmtSpan>| stmt.is_some_and(|(first, _)| first == line);
    let mut out = String::new();
    for e in run.events.iter().filter(|e| e.line == Some(line)) {
        out.push_str(&e.text);
        out.extend(e.newline.then_some('\n'));
    }
    // A REPL shows nothing for `None` (what `print` returns), and neither does the judge.
    if let Some(v) = run.values.iter().find(|v| v.stmt.0 == line && v.repr != "None") {
        out.push_str(&format!("{}\n", v.repr));
    }
    if let Some(e) = run.errors.iter().find(|e| e.line == Some(line) || starts_here(&e.stmt)) {
        out.push_str(&format!("raises {}: {}\n", e.type_name, e.message));
    }
    let out = out.trim_end().to_string();
    (!out.is_empty()).then_some(out)
}
