//! A Python block (not a transcript): every claim against what its statement produced, and
//! every failure no claim speaks for, reported at its line under the entry's [`super::Policy`].

use super::observe::{self, line_code, may_not_run, observe};
use super::{environment, Ctx};
use crate::claims::nondet;
use crate::claims::{self, Claim, ClaimForm, ClaimKind, Verdict};
use crate::diagnostic::{Diagnostic, Severity};
use crate::entry::{BlockLine, CodeBlock, CodeRange, Entry};
use crate::examples::unverified::Cause;
use crate::examples::PreparedEntry;
use crate::exec::{BlockResult, PyError};
use crate::rules::claims as wording;
use crate::rules::execute::{self, Environment};

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
    let span = block.range_span(&CodeRange(claim.text_range.clone()));
    let d = match verdict {
        Verdict::Mismatch {
            expected,
            actual,
            fix,
            hedged,
        } => match super::syntax::python2_output(expected, actual) {
            Some(form) if !*hedged => execute::python2_output(span, form, actual, fix.as_deref()),
            _ => wording::output_mismatch(span, expected, actual, *hedged, fix.as_deref()),
        },
        Verdict::ClaimFormat { expected, actual, fix } => {
            wording::claim_format(span, expected, actual, fix.as_deref(), claim.hedged)
        }
        Verdict::Elided {
            omitted, actual, fix, ..
        } => wording::elided_output(span, *omitted, actual, fix.as_deref()),
        Verdict::QuotedString { expected, actual, fix } => {
            wording::quoted_string(span, expected, actual, fix, claim.hedged)
        }
        Verdict::ExpectedExceptionNotRaised { expected, .. } => wording::exception_not_raised(span, expected),
        Verdict::UnexpectedException { type_name, message } => execute::exception_instead_of_claim(
            block.statement_span(BlockLine::new(claim.line)),
            type_name,
            message,
            &claim_text(claim),
        ),
        Verdict::NoOutput { .. } => wording::claim_without_output(span, &claim_text(claim)),
        Verdict::Pass | Verdict::NotAClaim => return None,
    };
    debug_assert!(wording::rule_of(verdict).is_some_and(|r| d.is(r)), "{verdict:?}");
    Some(d.severity(severity(verdict)))
}

fn error_diagnostic(entry: &Entry, prepared: &PreparedEntry, block: &CodeBlock, e: &PyError) -> Diagnostic {
    let line = e.line.or(e.stmt.map(|s| s.0)).unwrap_or(1);
    let span = block.statement_span(BlockLine(line));
    if e.is_sandbox() {
        return execute::sandbox_violation(span, &e.message);
    }
    let text = if e.message.is_empty() {
        e.type_name.clone()
    } else {
        format!("{}: {}", e.type_name, e.message)
    };
    let mut d = execute::unexpected_exception(span, &e.type_name, text);
    // The traceback, mapped to Markdown lines (outer frames as secondary labels).
    for f in &e.traceback {
        let Some(&bi) = prepared.block_map.get(f.block) else {
            continue;
        };
        let Some(b) = entry.blocks.get(bi) else {
            continue;
        };
        let s = b.statement_span(BlockLine(f.line));
        if s != span && d.secondary.len() < 8 {
            d = d.secondary(s, execute::called_from(&f.function));
        }
    }
    d
}

pub(super) fn judge_claims(ctx: &mut Ctx, bi: usize, block: &CodeBlock, br: &BlockResult) {
    let stmts = ctx.nondet.block(&block.code);
    let calls_stubs = ctx.stubs.block(&block.code);
    let mut consumed = vec![false; br.errors.len()];
    let all = claims::extract_claims(&block.code);
    let sole = all.len() == 1;
    for claim in all {
        if let (Some(need), Some(have)) = (claim.min_version, ctx.python) {
            if have < need {
                ctx.out.unverified.add(Cause::OtherPython, 1);
                continue;
            }
        }
        let (observed, errors) = observe(br, &claim, block);
        let first = errors.iter().copied().find(|&i| !br.errors[i].caught);
        // Its statement ran on values an earlier failure left stale (`x = deque(x)` failed and
        // left the old `x`; a hook a missing library would have registered never filled a
        // list): what it shows proves nothing either way.
        let line = claim.line as u32;
        if let Some(stale) = br.stale.iter().find(|s| s.stmt.0 <= line && line <= s.stmt.1) {
            ctx.fallout(stale.root).claims += 1;
            for &i in &errors {
                consumed[i] = true;
            }
            continue;
        }
        // A line that failed only because of an earlier failure: not checked, counted there.
        if let Some(root) = first.and_then(|i| br.errors[i].root) {
            ctx.fallout(root).claims += 1;
            for &i in &errors {
                consumed[i] = true;
            }
            continue;
        }
        if let Some(i) = first.filter(|&i| environment::environment(&br.errors[i], block).is_some()) {
            if !matches!(claim.kind, ClaimKind::Exception { .. }) {
                // The environment warning below reports the line; the claim was not checked.
                ctx.fallout((bi, i)).claims += 1;
                continue;
            }
        }
        let mut observed = observed;
        let code = line_code(block, claim.line);
        observed.assigned |= claims::assigns(code);
        let mut verdict = claims::judge(&claim, &observed, ctx.opts);
        // `# Output:` closing a block with no other claim claims what the whole block printed:
        // it passes when either that or the last statement's output matches, and a multi-line
        // one is fixed to the whole output (the lines it has right are written back unchanged).
        if verdict != Verdict::Pass && first.is_none() && sole && observe::closes_block(block, &claim) {
            let whole = claims::judge(&claim, &observe::block_output(br), ctx.opts);
            if whole == Verdict::Pass || claim.text.lines().count() > 1 {
                verdict = whole;
            }
        }
        // A line in a function body, or in a branch that may not have run, that shows nothing:
        // nobody knows whether it ran, so its claim is not checked.
        if matches!(verdict, Verdict::NoOutput { .. }) && may_not_run(block, claim.line) {
            verdict = Verdict::NotAClaim;
        }
        // `# KeyError: 'x'` between two statements, the one above raising nothing: it labels
        // the statement below it, which raises it.
        if verdict != Verdict::Pass
            && first.is_none()
            && claim.form == ClaimForm::Below
            && matches!(claim.kind, ClaimKind::Exception { .. })
        {
            let below = Claim {
                line: claim.comment_line + 1,
                ..claim.clone()
            };
            let (seen, more) = observe(br, &below, block);
            if claims::judge(&below, &seen, ctx.opts) == Verdict::Pass {
                verdict = Verdict::Pass;
                for i in more {
                    consumed[i] = true;
                }
            }
        }
        // A call of a function the page leaves for its reader to write (`def mean(self): pass`):
        // the comment is the exercise's target, which the code as shown cannot reach.
        if calls_stubs.contains(&claim.line) && !matches!(verdict, Verdict::Pass | Verdict::NotAClaim) {
            ctx.out.unverified.add(Cause::Context, 1);
            for &i in &errors {
                consumed[i] = true;
            }
            continue;
        }
        let kind = nondet::at(&stmts, claim.line);
        if verdict != Verdict::NotAClaim {
            ctx.out.claims += 1;
            for &i in &errors {
                consumed[i] = true;
            }
        }
        if let Verdict::Mismatch { expected, actual, .. } = &verdict {
            // A hedged claim (`Usually 48 in CPython`) already says it may not hold: its
            // mismatch stays the hedged warning it is.
            if nondet::mismatch_varies(kind, expected, &claim.full, actual) && !claim.hedged {
                // Differs, but would differ on the next run too: not verified either way.
                ctx.out.claims -= 1;
                ctx.out.unverified.add(Cause::Nondeterministic, 1);
                let span = block.range_span(&CodeRange(claim.text_range.clone()));
                ctx.out.diagnostics.push(wording::nondeterministic(
                    span,
                    kind == nondet::Kind::SetOrder,
                    expected,
                    actual,
                ));
                continue;
            }
        }
        let changes = !matches!(kind, nondet::Kind::Fixed | nondet::Kind::SetOrder);
        if changes && matches!(verdict, Verdict::ClaimFormat { .. }) {
            verdict = Verdict::Pass; // the exact text would not hold on the next run either
        }
        if let Some(d) = verdict_diagnostic(block, &claim, &verdict) {
            match first {
                Some(i) => ctx.push_root((bi, i), d),
                None => ctx.out.diagnostics.push(d),
            }
        }
    }
    for (i, e) in br.errors.iter().enumerate() {
        if consumed[i] || e.caught {
            continue;
        }
        if let Some(root) = e.root {
            ctx.fallout(root).failures += 1;
            continue;
        }
        if let Some((kind, name)) = environment::environment(e, block) {
            let line = if kind == Environment::MissingModule {
                e.stmt.map_or(e.line.unwrap_or(1), |s| s.0)
            } else {
                e.line.or(e.stmt.map(|s| s.0)).unwrap_or(1)
            };
            ctx.environment(kind, (bi, i), block, line, &name);
            continue;
        }
        match environment::ends_program(block, e) {
            Some(true) => continue,
            Some(false) => {
                let d = error_diagnostic(ctx.entry, ctx.prepared, block, e).severity(Severity::Warning);
                ctx.push_root((bi, i), d);
                continue;
            }
            None => {}
        }
        if environment::deliberate_raise(block, e) {
            continue;
        }
        let d = error_diagnostic(ctx.entry, ctx.prepared, block, e);
        if e.is_sandbox() {
            ctx.push_root((bi, i), d);
        } else {
            ctx.push_failure((bi, i), d);
        }
    }
}
