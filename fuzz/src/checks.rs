//! Invariants shared by the fuzz targets (fuzz/fuzz_targets/*.rs) and the regression tests
//! (tests/properties.rs includes this file with `#[path]`). Depends on `qa_lint` only.
//!
//! Every check panics (assert!) when an invariant is broken; a panic is what libFuzzer
//! reports as a crash.

use qa_lint::claims;
use qa_lint::entry::{BlockLine, CodeBlock, Document};
use qa_lint::source::{SourceFile, Span};
use std::ops::Range;

/// A span lies inside `text` and both ends are on char boundaries.
pub fn check_span(text: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end,
        "{what}: start {} > end {}",
        span.start,
        span.end
    );
    assert!(
        span.end <= text.len(),
        "{what}: end {} past the text ({} bytes)",
        span.end,
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start),
        "{what}: start {} not on a char boundary",
        span.start
    );
    assert!(
        text.is_char_boundary(span.end),
        "{what}: end {} not on a char boundary",
        span.end
    );
}

fn check_range(text: &str, r: &Range<usize>, what: &str) {
    check_span(
        text,
        Span {
            start: r.start,
            end: r.end,
        },
        what,
    );
}

/// Every span of the parsed model (entries, their parts, blocks, problems, suppressions,
/// front matter) lies inside the text, on char boundaries; line/col of every span is sane;
/// every code line of a block starts where `line_offsets` says and reads the same there.
pub fn check_document(file: &SourceFile, doc: &Document) {
    let text: &str = &file.text;
    let mut spans: Vec<(Span, String)> = Vec::new();
    if let Some(fm) = &doc.front_matter {
        spans.push((fm.span, "front matter".into()));
    }
    if let Some(t) = &doc.title {
        spans.push((t.span, "title".into()));
    }
    for (i, s) in doc.other_sections.iter().enumerate() {
        spans.push((s.span, format!("other section {i}")));
    }
    for (i, s) in doc.suppressions.iter().enumerate() {
        spans.push((s.span, format!("suppression {i}")));
    }
    for (i, p) in doc.problems.iter().enumerate() {
        spans.push((p.span, format!("problem {i} ({})", p.rule)));
    }
    for (ei, e) in doc.entries.iter().enumerate() {
        spans.push((e.span, format!("entry {ei}")));
        spans.push((e.heading_span, format!("entry {ei} heading")));
        spans.push((e.title.span, format!("entry {ei} title")));
        if let Some(sa) = &e.short_answer {
            spans.push((sa.span, format!("entry {ei} short answer")));
        }
        if let Some(ia) = &e.interview_answer {
            spans.push((ia.span, format!("entry {ei} interview answer")));
        }
        for (i, s) in e.sections.iter().enumerate() {
            spans.push((s.span, format!("entry {ei} section {i}")));
        }
        for (i, p) in e.paragraphs.iter().enumerate() {
            spans.push((p.span, format!("entry {ei} paragraph {i}")));
        }
        for (bi, b) in e.blocks.iter().enumerate() {
            spans.push((b.span, format!("entry {ei} block {bi}")));
            check_block_lines(text, b, &format!("entry {ei} block {bi}"));
        }
    }
    for (span, what) in spans {
        check_span(text, span, &what);
        for off in [span.start, span.end] {
            let lc = file.line_col(off);
            assert!(
                lc.line >= 1 && lc.line <= file.line_count(),
                "{what}: line {} out of range",
                lc.line
            );
            let line = file.line_span(lc.line);
            assert!(
                line.start <= off && off <= file.line_start(lc.line + 1),
                "{what}: offset {off} not on its reported line {}",
                lc.line
            );
            assert!(
                lc.column >= 1 && lc.column <= text[line.start..].chars().count() + 1,
                "{what}: column"
            );
        }
    }
}

/// `line_offsets[i]` is where code line `i + 1` starts in the Markdown; the Markdown there must
/// read exactly that code line (else a `--fix` mapped through the offsets edits the wrong bytes).
pub fn check_block_lines(text: &str, b: &CodeBlock, what: &str) {
    let lines: Vec<&str> = b.code.split_inclusive('\n').collect();
    assert_eq!(
        b.line_offsets.len(),
        lines.len(),
        "{what}: {} line offsets for {} code lines",
        b.line_offsets.len(),
        lines.len()
    );
    for (i, (&off, line)) in b.line_offsets.iter().zip(&lines).enumerate() {
        assert!(
            off <= text.len() && text.is_char_boundary(off),
            "{what}: line offset {i} = {off} bad"
        );
        let body = line.strip_suffix('\n').unwrap_or(line);
        let body = body.strip_suffix('\r').unwrap_or(body);
        // Spaces the parser made up from a tab are not in the file (CodeBlock::line_skips).
        let body = &body[b.line_skips.get(i).copied().unwrap_or(0)..];
        assert!(
            text[off..].starts_with(body),
            "{what}: code line {} is {body:?} but the Markdown at offset {off} reads {:?}",
            i + 1,
            &text[off..text.len().min(off + body.len() + 8)]
                .chars()
                .take(body.len() + 8)
                .collect::<String>()
        );
    }
}

/// Parse arbitrary text with both entry rules and check the model; returns the `qa` one.
pub fn check_markdown(text: &str) -> Document {
    let file = SourceFile::new("fuzz.md".into(), text);
    let sections = qa_lint::markdown::parse(
        &file,
        qa_lint::config::EntryMode::Sections,
        qa_lint::config::Dialect::Auto,
    );
    check_document(&file, &sections);
    let doc = qa_lint::markdown::parse(&file, qa_lint::config::EntryMode::Qa, qa_lint::config::Dialect::Auto);
    check_document(&file, &doc);
    doc
}

/// A fix value that judge could write, chosen by `seed`.
pub fn fix_value(seed: u8) -> &'static str {
    const FIXES: &[&str] = &[
        "42",
        "True",
        "None",
        "'abc'",
        "[1, 2, 3]",
        "3.14",
        "'é日本🙂'",
        "{'a': 1}",
        "-7",
        "b'x'",
    ];
    FIXES[seed as usize % FIXES.len()]
}

/// What a run could observe for a claimed line, chosen by `seed`: one or two printed lines,
/// or the repr of an expression statement's value.
pub fn observed_for(seed: u8) -> claims::Observed {
    let v = fix_value(seed).to_string();
    match seed % 3 {
        0 => claims::Observed {
            outputs: vec![v],
            ..Default::default()
        },
        1 => claims::Observed {
            outputs: vec![v, fix_value(seed / 3).to_string()],
            ..Default::default()
        },
        _ => claims::Observed {
            value_repr: Some(v),
            ..Default::default()
        },
    }
}

/// Claims of arbitrary code: ranges inside the source, on char boundaries, the text range inside
/// the comment range. `--fix` is idempotent: when judging a claim against an observation gives
/// a fix, the fixed source has the same number of claims, and the fixed claim passes against
/// the same observation (a second `qa-lint --fix` changes nothing).
pub fn check_claims(code: &str, seed: u8) {
    let claims = claims::extract_claims(code);
    for (i, c) in claims.iter().enumerate() {
        check_range(code, &c.comment, &format!("claim {i} comment"));
        check_range(code, &c.text_range, &format!("claim {i} text_range"));
        assert!(
            c.comment.start <= c.text_range.start && c.text_range.end <= c.comment.end,
            "claim {i}: text_range {:?} outside comment {:?}",
            c.text_range,
            c.comment
        );
        assert!(
            c.line >= 1 && c.comment_line >= c.line,
            "claim {i}: line {} comment_line {}",
            c.line,
            c.comment_line
        );
    }
    let Some((idx, claim)) = claims.iter().enumerate().nth(seed as usize % claims.len().max(1)) else {
        return;
    };
    let opts = claims::JudgeOptions::default();
    let observed = observed_for(seed / 7);
    let verdict = claims::judge(claim, &observed, &opts);
    let Some(fix) = verdict.fix() else { return };
    let fixed = claims::apply_fix(code, claim, fix);
    assert_eq!(&fixed[..claim.text_range.start], &code[..claim.text_range.start]);
    assert_eq!(
        &fixed[claim.text_range.start + fix.len()..],
        &code[claim.text_range.end..]
    );
    let again = claims::extract_claims(&fixed);
    assert_eq!(
        again.len(),
        claims.len(),
        "fixing claim {idx} ({:?} -> {fix:?}) changed the claim count\nbefore: {code:?}\nafter: {fixed:?}",
        claim.text
    );
    let v2 = claims::judge(&again[idx], &observed, &opts);
    assert!(
        qa_lint::rules::claims::rule_of(&v2).is_none(),
        "fixed claim {idx} ({:?} -> {fix:?}) still fails: {v2:?}\nobserved: {observed:?}\nbefore: {code:?}\nafter: {fixed:?}",
        claim.text
    );
}

/// `--fix` on the Markdown: map a claim's text range of a block to the file the way
/// diagnostics do (`CodeBlock::line_cols_span` per line), replace it there, re-parse: the file
/// must have the same entries and blocks, and the block's code must equal the code-level fix.
pub fn check_fix(text: &str, seed: u8) {
    let doc = check_markdown(text);
    let mut candidates = Vec::new();
    for (ei, e) in doc.entries.iter().enumerate() {
        for (bi, b) in e.blocks.iter().enumerate() {
            if b.kind() == qa_lint::entry::BlockKind::Python && !b.unterminated {
                for (ci, c) in claims::extract_claims(&b.code).into_iter().enumerate() {
                    // The judge only ever rewrites output claims; an exception claim's range
                    // replaced by a value is not a state --fix can produce.
                    if matches!(c.kind, claims::ClaimKind::Output { .. }) {
                        candidates.push((ei, bi, ci, c));
                    }
                }
            }
        }
    }
    let Some((ei, bi, ci, claim)) = candidates.into_iter().nth(seed as usize % 7) else {
        return;
    };
    let block = &doc.entries[ei].blocks[bi];
    let range = claim.text_range.clone();
    // Single-line claim text only (multi-line fixes are spliced the same way, line by line).
    if block.code[range.clone()].contains('\n') {
        return;
    }
    let line = block.code[..range.start].matches('\n').count() + 1;
    let line_start = block.code[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let span = block.line_cols_span(BlockLine::new(line), range.start - line_start..range.end - line_start);
    check_span(text, span, "mapped claim span");
    assert_eq!(
        &text[span.start..span.end],
        &block.code[range.clone()],
        "claim text in the Markdown differs from the claim text in the code"
    );
    let fix = fix_value(seed);
    let mut md = text.to_string();
    md.replace_range(span.start..span.end, fix);
    let doc2 = check_markdown(&md);
    assert_eq!(
        doc2.entries.len(),
        doc.entries.len(),
        "entry count changed by the fix\n{md:?}"
    );
    for (a, b) in doc.entries.iter().zip(&doc2.entries) {
        assert_eq!(a.blocks.len(), b.blocks.len(), "block count changed by the fix\n{md:?}");
    }
    let expected = claims::apply_fix(&block.code, &claim, fix);
    assert_eq!(
        doc2.entries[ei].blocks[bi].code, expected,
        "fixed block differs from the code-level fix"
    );
    let again = claims::extract_claims(&expected);
    if let Some(c2) = again.get(ci) {
        assert_eq!(
            &expected[c2.text_range.clone()],
            fix,
            "re-extracted claim {ci} is not the fix text"
        );
    }
}
