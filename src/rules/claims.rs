//! Wording of the rules that judge a comment's claim against what its line produced
//! (output-mismatch, claim-format, claim-quoted-string, expected-exception-not-raised,
//! claim-without-output, nondeterministic-claim).

use super::Rule;
use crate::claims::Verdict;
use crate::diagnostic::Diagnostic;
use crate::source::Span;

/// The rule that reports a claim's verdict, `None` when there is nothing to report (claims/
/// judges and knows nothing of rules: the mapping lives with the rules' wording).
pub fn rule_of(verdict: &Verdict) -> Option<Rule> {
    match verdict {
        Verdict::Pass | Verdict::NotAClaim => None,
        Verdict::Mismatch { .. } | Verdict::Elided { .. } => Some(Rule::OutputMismatch),
        Verdict::QuotedString { .. } => Some(Rule::ClaimQuotedString),
        Verdict::ClaimFormat { .. } => Some(Rule::ClaimFormat),
        Verdict::ExpectedExceptionNotRaised { .. } => Some(Rule::ExpectedExceptionNotRaised),
        Verdict::UnexpectedException { .. } => Some(Rule::UnexpectedException),
        Verdict::NoOutput { .. } => Some(Rule::ClaimWithoutOutput),
    }
}

/// A claim that does not hold; `hedged` claims ("Usually 48") say so and need
/// `--fix-hedged`; `fix` is the claim text that would hold.
pub fn output_mismatch(span: Span, expected: &str, actual: &str, hedged: bool, fix: Option<&str>) -> Diagnostic {
    let message = if hedged {
        format!("hedged claim does not hold here: claimed `{expected}`, got `{actual}`")
    } else {
        format!("output does not match the claim: claimed `{expected}`, got `{actual}`")
    };
    let d = Diagnostic::new(Rule::OutputMismatch, span, message).label(format!("actual: {actual}"));
    let how = if hedged {
        "qa-lint --fix --fix-hedged"
    } else {
        "qa-lint --fix"
    };
    match fix {
        Some(f) => d.help(format!("write `{f}` here ({how} does it)")).fix(span, f, hedged),
        None => d.help(format!("the code prints `{actual}`; correct the claim or the code")),
    }
}

/// Shown output that leaves out `omitted` lines of what the code prints.
pub fn elided_output(span: Span, omitted: usize, actual: &str, fix: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(
        Rule::OutputMismatch,
        span,
        format!(
            "the shown output leaves out {omitted} line{} of what the code prints",
            if omitted == 1 { "" } else { "s" }
        ),
    )
    .label("lines left out")
    .help(format!("the code prints:\n{actual}"));
    match fix {
        Some(f) => d.fix(span, f, true),
        None => d,
    }
}

/// A doctest session whose shown output is not what the example printed.
pub fn session_mismatch(span: Span, want: &str, got: &str) -> Diagnostic {
    Diagnostic::new(
        Rule::OutputMismatch,
        span,
        format!("session output does not match: expected `{want}`, got `{got}`"),
    )
    .label(format!("actual: {got}"))
    .help(format!("the shown output should be:\n{got}"))
}

/// Output shown after a block (an `Output:` block) that is not what the block printed;
/// `replaceable` when `--fix` may rewrite it.
pub fn block_output_mismatch(span: Span, block: Span, got: &str, replaceable: bool) -> Diagnostic {
    let (message, shown) = if got.is_empty() {
        (
            "the output shown after the block does not match: the block prints nothing",
            "nothing".to_string(),
        )
    } else {
        (
            "the output shown after the block does not match what the block prints",
            format!("\n{got}"),
        )
    };
    let d = Diagnostic::new(Rule::OutputMismatch, span, message)
        .label("shown output")
        .secondary(block, "this block")
        .help(format!("the block prints {shown}"));
    if replaceable && !got.is_empty() {
        d.fix_lines(span, got)
    } else {
        d
    }
}

/// The right value written differently from the output (`[1,2]` for `[1, 2]`).
pub fn claim_format(span: Span, expected: &str, actual: &str, fix: Option<&str>, hedged: bool) -> Diagnostic {
    let d = Diagnostic::new(
        Rule::ClaimFormat,
        span,
        format!("claim `{expected}` is the right value, written differently from the output `{actual}`"),
    )
    .label(format!("shown as: {actual}"));
    match fix {
        Some(f) => d
            .help(format!(
                "write `{f}`, exactly as Python shows it (qa-lint --fix does it)"
            ))
            .fix(span, f, hedged),
        None => d.help("write the value exactly as Python shows it"),
    }
}

/// A session showing the right value written differently; `fix_at` is where `--fix` writes
/// `fix` (the shown lines) and the indentation of its `>>>`, when they can be found.
pub fn session_format(span: Span, want: &str, got: &str, fix: &str, fix_at: Option<(Span, String)>) -> Diagnostic {
    let d = Diagnostic::new(
        Rule::ClaimFormat,
        span,
        format!("the session shows `{want}`: the right value, written differently from `{got}`"),
    )
    .label(format!("shown as: {got}"));
    match fix_at {
        Some((at, indent)) => d
            .help(format!(
                "show `{fix}`, exactly as Python prints it (qa-lint --fix does it)"
            ))
            .fix(at, fix.replace('\n', &format!("\n{indent}")), false),
        None => d.help(format!("show `{fix}`, exactly as Python prints it")),
    }
}

pub fn quoted_string(span: Span, expected: &str, actual: &str, fix: &str, hedged: bool) -> Diagnostic {
    Diagnostic::new(
        Rule::ClaimQuotedString,
        span,
        format!("claim `{expected}` shows the repr of a string, but print shows `{actual}`"),
    )
    .label("print shows no quotes")
    .help(format!("write `{fix}`: print() shows a string without quotes"))
    .fix(span, fix, hedged)
}

pub fn exception_not_raised(span: Span, expected: &str) -> Diagnostic {
    Diagnostic::new(
        Rule::ExpectedExceptionNotRaised,
        span,
        format!("claimed exception `{expected}` was not raised"),
    )
    .label("nothing raised here")
    .help("remove the claim, or change the code so that this line raises")
}

pub fn claim_without_output(span: Span, claimed: &str) -> Diagnostic {
    Diagnostic::new(
        Rule::ClaimWithoutOutput,
        span,
        format!("claim `{claimed}` but the line printed nothing"),
    )
    .label("nothing printed or returned here")
    .help("print the value (`print(...)`), or remove the claim if the comment is prose")
}

/// A claim on output that changes between runs; `got` is what this run printed (its first
/// line).
/// `set_order`: the statement shows a list made from a set, in the set's order.
pub fn nondeterministic(span: Span, set_order: bool, claimed: &str, got: &str) -> Diagnostic {
    let got = got.lines().next().unwrap_or("");
    let (label, help) = if set_order {
        (
            "comes in a set's order",
            "show it sorted (`sorted(...)`), or claim the set itself: Python does not promise a set's order",
        )
    } else {
        (
            "reads a clock, random numbers, an id or the environment",
            "claim it loosely (`~0.5 s`, `0.xx`, `...`), seed the random generator, or print something that does not change",
        )
    };
    Diagnostic::new(
        Rule::NondeterministicClaim,
        span,
        format!("claim `{claimed}` is about output that changes between runs (this run got `{got}`)"),
    )
    .label(label)
    .help(help)
}
