//! From one entry's run to diagnostics: every claim judged against what its line produced,
//! and every unclaimed exception, timeout, crash or sandbox hit reported at its line.

use super::PreparedEntry;
use crate::claims::{self, Claim, ClaimForm, ClaimKind, JudgeOptions, Observed, Verdict};
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity};
use crate::entry::{CodeBlock, Entry};
use crate::exec::{BlockMode, BlockResult, EntryOutcome, PyError, StmtSpan};
use crate::source::Span;

/// What judging one entry produced.
#[derive(Default)]
pub struct Judged {
    pub diagnostics: Vec<Diagnostic>,
    /// Claims (and session outputs) compared with real output.
    pub claims: usize,
    /// Claims not judged because they are shown for another Python version.
    pub other_python: usize,
}

/// A block-local byte range -> a span in the Markdown file.
fn code_span(block: &CodeBlock, range: std::ops::Range<usize>) -> Span {
    let to_md = |offset: usize| {
        let line_idx = block.code[..offset.min(block.code.len())].matches('\n').count();
        let line_start = block.code[..offset.min(block.code.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let skip = block.line_skips.get(line_idx).copied().unwrap_or(0);
        block
            .line_offsets
            .get(line_idx)
            .map_or(block.span.start, |s| s + (offset - line_start).saturating_sub(skip))
    };
    Span::new(to_md(range.start), to_md(range.end))
}

/// The span of the code on a 1-based block line, without leading indentation.
fn line_span(block: &CodeBlock, line: u32) -> Span {
    let text = block.code.lines().nth(line.saturating_sub(1) as usize).unwrap_or("");
    let indent = text.len() - text.trim_start().len();
    let s = block.line_span(line as usize);
    if s.is_empty() {
        block.span
    } else {
        Span::new(s.start + indent, s.end)
    }
}

/// The opening fence line of a block (where block-wide problems point).
fn first_line_of_block(block: &CodeBlock) -> Span {
    let start = block.span.start;
    let first_code_line = block.line_offsets.first().copied().unwrap_or(start);
    Span::new(start, first_code_line.saturating_sub(1).max(start))
}

/// Everything observed for the statement a claim is about.
///
/// A trailing claim sees what its own line printed, plus (on the first line of a top-level
/// statement) what code defined elsewhere printed while it ran (a decorator, an `__exit__`).
/// A claim written below a statement (`# 5`, `#> 5`, `# Output:`) sees everything printed
/// while that statement ran, its body included.
fn observe(result: &BlockResult, claim: &Claim) -> (Observed, Vec<usize>) {
    let line = claim.line as u32;
    let below = claim.form != ClaimForm::Trailing;
    let body = line..(claim.comment_line as u32).max(line + 1);
    let starts_stmt = |s: &Option<StmtSpan>| s.is_some_and(|(first, _)| first == line);
    let outputs = result
        .events
        .iter()
        .filter(|e| {
            e.line == Some(line)
                || (below && (starts_stmt(&e.stmt) || e.line.is_some_and(|l| body.contains(&l))))
                || (starts_stmt(&e.stmt) && e.line.is_none_or(|l| e.stmt.is_some_and(|(a, b)| l < a || l > b)))
        })
        .map(|e| e.text.clone())
        .collect();
    // `None` counts only for a claim of `None`: a REPL shows nothing for it.
    let claims_none = claim.text.trim() == "None";
    let value_repr = result
        .values
        .iter()
        .find(|v| v.stmt.0 == line)
        .map(|v| v.repr.clone())
        .filter(|r| r != "None" || claims_none);
    let errors: Vec<usize> = result
        .errors
        .iter()
        .enumerate()
        .filter(|(_, e)| e.line == Some(line) || starts_stmt(&e.stmt))
        .map(|(i, _)| i)
        .collect();
    let exception = errors
        .first()
        .map(|&i| (result.errors[i].type_name.clone(), result.errors[i].message.clone()));
    (
        Observed {
            outputs,
            value_repr,
            exception,
        },
        errors,
    )
}

fn severity(v: &Verdict) -> Severity {
    match v.severity() {
        Some(claims::Severity::Warning) => Severity::Warning,
        _ => Severity::Error,
    }
}

fn claim_text(c: &Claim) -> String {
    match &c.kind {
        ClaimKind::Exception {
            type_name,
            message: Some(m),
        } => format!("{type_name}: {m}"),
        ClaimKind::Exception {
            type_name,
            message: None,
        } => format!("raises {type_name}"),
        _ => c.text.clone(),
    }
}

fn verdict_diagnostic(block: &CodeBlock, claim: &Claim, verdict: &Verdict) -> Option<Diagnostic> {
    let rule = verdict.rule()?;
    let span = code_span(block, claim.text_range.clone());
    let claimed = claim_text(claim);
    let d = match verdict {
        Verdict::Mismatch {
            expected,
            actual,
            fix,
            hedged,
        } => {
            let d = Diagnostic::new(
                rule,
                span,
                if *hedged {
                    format!("hedged claim does not hold here: claimed `{expected}`, got `{actual}`")
                } else {
                    format!("output does not match the claim: claimed `{expected}`, got `{actual}`")
                },
            )
            .label(format!("actual: {actual}"));
            let how = if *hedged {
                "qa-lint --fix --fix-hedged"
            } else {
                "qa-lint --fix"
            };
            match fix {
                Some(f) => d
                    .help(format!("write `{f}` here ({how} does it)"))
                    .fix(span, f.clone(), *hedged),
                None => d.help(format!("the code prints `{actual}`; correct the claim or the code")),
            }
        }
        Verdict::QuotedString { expected, actual, fix } => Diagnostic::new(
            rule,
            span,
            format!("claim `{expected}` shows the repr of a string, but print shows `{actual}`"),
        )
        .label("print shows no quotes")
        .help(format!("write `{fix}`: print() shows a string without quotes"))
        .fix(span, fix.clone(), claim.hedged),
        Verdict::ExpectedExceptionNotRaised { expected, .. } => {
            Diagnostic::new(rule, span, format!("claimed exception `{expected}` was not raised"))
                .label("nothing raised here")
                .help("remove the claim, or change the code so that this line raises")
        }
        Verdict::UnexpectedException { type_name, message } => Diagnostic::new(
            rule,
            line_span(block, claim.line as u32),
            format!("`{type_name}: {message}` raised where the comment claims `{claimed}`"),
        )
        .label(format!("raises {type_name}"))
        .help(format!(
            "if the exception is the point, write `# raises {type_name}` (or `# {type_name}: {message}`)"
        )),
        Verdict::NoOutput { .. } => {
            Diagnostic::new(rule, span, format!("claim `{claimed}` but the line printed nothing"))
                .label("nothing printed or returned here")
                .help("print the value (`print(...)`), or remove the claim if the comment is prose")
        }
        Verdict::Pass | Verdict::NotAClaim => return None,
    };
    Some(d.severity(severity(verdict)))
}

fn error_diagnostic(entry: &Entry, prepared: &PreparedEntry, block: &CodeBlock, e: &PyError) -> Diagnostic {
    let line = e.line.or(e.stmt.map(|s| s.0)).unwrap_or(1);
    let span = line_span(block, line);
    if e.is_sandbox() {
        return Diagnostic::new("sandbox-violation", span, e.message.clone())
            .label("blocked")
            .help(SANDBOX_HELP);
    }
    let text = if e.message.is_empty() {
        e.type_name.clone()
    } else {
        format!("{}: {}", e.type_name, e.message)
    };
    let mut d = Diagnostic::new("unexpected-exception", span, text)
        .label(format!("raises {}", e.type_name))
        .help(format!(
            "if the exception is the point, claim it on this line: `# raises {}`",
            e.type_name
        ));
    // The traceback, mapped to Markdown lines (outer frames as secondary labels).
    for f in &e.traceback {
        let Some(&bi) = prepared.block_map.get(f.block) else {
            continue;
        };
        let Some(b) = entry.blocks.get(bi) else {
            continue;
        };
        let s = line_span(b, f.line);
        if s != span && d.secondary.len() < 8 {
            d = d.secondary(s, format!("called from here (in {})", f.function));
        }
    }
    d
}

/// `invalid syntax (<qa:x.md:15>, line 3)` -> `invalid syntax`: the location is the span's job.
fn without_location(message: &str) -> &str {
    match message.rfind(" (") {
        Some(i) if message.ends_with(')') && message[i..].contains(", line ") => &message[..i],
        _ => message,
    }
}

/// Judge one entry's outcome.
pub fn judge_entry(
    entry: &Entry,
    prepared: &PreparedEntry,
    outcome: &EntryOutcome,
    config: &Config,
    opts: &JudgeOptions,
) -> Judged {
    let mut out = Judged {
        diagnostics: prepared.diagnostics.clone(),
        ..Judged::default()
    };
    let first_block = |i: usize| prepared.block_map.get(i).and_then(|&b| entry.blocks.get(b));
    let result = match outcome {
        EntryOutcome::MissingModules(mods) => {
            // Point at the block that asked for the module (the first one when it came from
            // front matter).
            let asking = entry
                .blocks
                .iter()
                .find(|b| b.directives.requires.iter().any(|r| mods.contains(r)));
            let block = asking
                .or_else(|| first_block(0))
                .map_or(entry.heading_span, first_line_of_block);
            let sev = if config.exec.require_modules {
                Severity::Error
            } else {
                Severity::Warning
            };
            out.diagnostics.push(
                Diagnostic::new(
                    "missing-module",
                    block,
                    format!("entry not run: module(s) {} not installed", mods.join(", ")),
                )
                .label("requires this")
                .help(format!(
                    "install {} (e.g. `pip install {}`) to check this entry",
                    mods.join(", "),
                    mods.join(" ")
                ))
                .severity(sev),
            );
            return out;
        }
        EntryOutcome::Completed(r) => r,
        EntryOutcome::TimedOut { result, stmt } => {
            let secs = prepared.job.timeout.map_or(0.0, |t| t.as_secs_f64());
            let (span, label) = stmt_span(entry, prepared, *stmt);
            out.diagnostics.push(
                Diagnostic::new(
                    "timeout",
                    span,
                    format!("entry did not finish within {secs} s and was stopped"),
                )
                .label(label.unwrap_or_else(|| "still running here".into()))
                .help("make the example finish quickly, or raise the limit with `timeout=N` on the block"),
            );
            result
        }
        EntryOutcome::Crashed { result, detail, stmt } => {
            let (span, label) = stmt_span(entry, prepared, *stmt);
            out.diagnostics.push(
                Diagnostic::new("interpreter-crash", span, format!("the Python process running this entry died: {detail}"))
                    .label(label.unwrap_or_else(|| "running here".into()))
                    .help("examples must not end the interpreter (os._exit, a segfault, exhausting CPU time); remove or skip this block"),
            );
            result
        }
    };
    if result.output_truncated {
        out.diagnostics.push(
            Diagnostic::new(
                "output-limit",
                entry.heading_span,
                "the examples printed more than the output limit; later output was dropped",
            )
            .label("in this entry")
            .help("print less (claims need a line or two); the limit is 1 MiB per entry"),
        );
    }
    if result.threads_left > 0 {
        out.diagnostics.push(
            Diagnostic::new("thread-left-running", entry.heading_span, format!("{} thread(s) were still running when the examples ended", result.threads_left))
                .label("in this entry")
                .help("join the threads you start (`t.join()`), or make them daemon threads; a reader copying the example would hang"),
        );
    }
    for (i, br) in result.blocks.iter().enumerate() {
        let Some(block) = first_block(i) else {
            continue;
        };
        judge_block(entry, prepared, block, prepared.job.blocks[i].mode, br, opts, &mut out);
        super::expected_output::judge(block, br, &mut out);
    }
    out
}

fn stmt_span(entry: &Entry, prepared: &PreparedEntry, stmt: Option<(usize, u32, u32)>) -> (Span, Option<String>) {
    match stmt.and_then(|(b, first, _)| Some((prepared.block_map.get(b).and_then(|&i| entry.blocks.get(i))?, first))) {
        Some((block, line)) => (line_span(block, line), None),
        None => (entry.heading_span, Some("in this entry".into())),
    }
}

fn judge_session(block: &CodeBlock, br: &BlockResult, out: &mut Judged) {
    for ex in &br.session {
        out.claims += 1;
        if ex.ok {
            continue;
        }
        let (want, got) = (ex.want.trim_end(), ex.got.trim_end());
        let span = line_span(block, ex.line);
        let d = match &ex.exception {
            Some(exc) if exc.contains("qa-lint sandbox:") => {
                Diagnostic::new("sandbox-violation", span, exc.clone()).label("blocked").help(SANDBOX_HELP)
            }
            Some(exc) if !want.starts_with("Traceback") => {
                Diagnostic::new("unexpected-exception", span, format!("`{exc}` raised where the session shows `{want}`"))
                    .label("raises")
                    .help("if the exception is the point, show it as doctest does: `Traceback (most recent call last):` then `...` then the exception line")
            }
            _ => Diagnostic::new("output-mismatch", span, format!("session output does not match: expected `{want}`, got `{got}`"))
                .label(format!("actual: {got}"))
                .help(format!("the shown output should be:\n{got}")),
        };
        out.diagnostics.push(d);
    }
}

fn judge_claims(
    entry: &Entry,
    prepared: &PreparedEntry,
    block: &CodeBlock,
    br: &BlockResult,
    opts: &JudgeOptions,
    out: &mut Judged,
) {
    let mut consumed = vec![false; br.errors.len()];
    for claim in claims::extract_claims(&block.code) {
        let (observed, errors) = observe(br, &claim);
        let verdict = claims::judge(&claim, &observed, opts);
        if verdict != Verdict::NotAClaim {
            out.claims += 1;
            for i in errors {
                consumed[i] = true;
            }
        }
        if let Some(d) = verdict_diagnostic(block, &claim, &verdict) {
            out.diagnostics.push(d);
        }
    }
    for (i, e) in br.errors.iter().enumerate() {
        if !consumed[i] {
            out.diagnostics.push(error_diagnostic(entry, prepared, block, e));
        }
    }
}

const SANDBOX_HELP: &str = "examples may not use the network, start processes or write outside their directory; allow it with `allow-network`, `allow-subprocess` or `allow-writes` on the block, or in qa-lint.toml [exec]";

fn judge_block(
    entry: &Entry,
    prepared: &PreparedEntry,
    block: &CodeBlock,
    mode: BlockMode,
    br: &BlockResult,
    opts: &JudgeOptions,
    out: &mut Judged,
) {
    if let Some(e) = &br.syntax_error {
        let line = e.line.unwrap_or(1);
        let mut span = line_span(block, line);
        if let Some(col) = e.offset {
            let s = block.line_span(line as usize);
            let at = (s.start + col.saturating_sub(1) as usize).min(s.end);
            span = Span::new(at, (at + 1).min(s.end.max(at)));
        }
        out.diagnostics.push(
            Diagnostic::new(
                "python-syntax-error",
                span,
                format!("{}: {}", e.type_name, without_location(&e.message)),
            )
            .label("does not compile")
            .help("fix the code; for a deliberately broken example mark the block `skip` with a reason"),
        );
        return;
    }
    match mode {
        BlockMode::Session => judge_session(block, br, out),
        // Compiled, never run: its comments describe a run that did not happen.
        BlockMode::CompileOnly => {}
        BlockMode::Exec => judge_claims(entry, prepared, block, br, opts, out),
    }
    for v in &br.sandbox_violations {
        let line = v.line.or(v.stmt.map(|s| s.0)).unwrap_or(1);
        let span = line_span(block, line);
        if !out
            .diagnostics
            .iter()
            .any(|d| d.rule == "sandbox-violation" && d.span == span)
        {
            out.diagnostics.push(
                Diagnostic::new("sandbox-violation", span, v.message.clone())
                    .label("blocked")
                    .help(SANDBOX_HELP),
            );
        }
    }
}
