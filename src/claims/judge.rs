//! Comparing a claim with what its statement did.
//!
//! Matching is actual-guided: the claim passes when the observed output
//! matches the comment text up to *any* commentary boundary (the whole
//! comment included), so commentary never has to be recognised perfectly
//! in advance. Only when nothing matches does the statically chosen claim
//! text (`Claim::text`) become the `expected` of a mismatch and the range a
//! fix rewrites.
//!
//! Outputs of one statement are compared joined with `, ` (a loop printing
//! `3`, `2`, `1` against `# 3, 2, 1`), with newlines (multi-line forms) and
//! with nothing (`print(x, end="")`); an expression statement's repr is
//! compared like a REPL shows it.

use super::grammar::{self, candidates, quoted, split_top};
use super::pattern::{first_quantity, Pattern};
use super::{Claim, ClaimForm, ClaimKind, JudgeOptions, Observed, Strength, Verdict};

/// Separators that, present in the output itself, make a fix of the claim
/// text alone ambiguous (the author's "commentary" may be real output).
const AMBIGUOUS: [&str; 6] = [" -> ", " → ", " — ", " – ", " -- ", "; "];

/// Judges one claim against what its statement produced.
pub fn judge(claim: &Claim, observed: &Observed, opts: &JudgeOptions) -> Verdict {
    if let ClaimKind::Exception { .. } = claim.kind {
        return judge_exception(claim, observed, opts);
    }
    if let Some((type_name, message)) = &observed.exception {
        return match claim.strength {
            Strength::Strong => Verdict::UnexpectedException {
                type_name: type_name.clone(),
                message: message.clone(),
            },
            // Prose next to a failing line says nothing; the failure itself
            // is reported by whoever ran the code.
            Strength::Weak => Verdict::NotAClaim,
        };
    }
    let multi_line = matches!(claim.form, ClaimForm::Arrow | ClaimForm::OutputBlock);
    let outs: Vec<&str> = observed.outputs.iter().map(|o| o.trim_end()).collect();
    let repr = observed.value_repr.as_deref();

    let mut alts: Vec<String> = Vec::new();
    if multi_line {
        if !outs.is_empty() {
            alts.push(trim_lines(&outs.join("\n")));
        }
    } else if outs.len() == 1 {
        alts.push(outs[0].trim().to_string());
    } else if outs.len() > 1 {
        for sep in [", ", "\n", "", " "] {
            alts.push(outs.join(sep).trim().to_string());
        }
    }
    // Like a REPL: a `None` value is shown only when nothing was printed
    // (`print(x)  # None` must not pass on print's own return value).
    alts.extend(repr.filter(|r| *r != "None" || outs.is_empty()).map(str::to_string));

    let cands = if multi_line {
        vec![claim.text.clone()]
    } else {
        let mut c = candidates(&claim.full);
        if !c.contains(&claim.text) {
            c.push(claim.text.clone());
        }
        c
    };
    let matches = |pattern: &str| {
        let p = Pattern::compile(pattern);
        alts.iter().any(|a| p.matches(a, opts))
    };
    if cands.iter().any(|c| matches(c)) {
        return Verdict::Pass;
    }

    let nothing = outs.is_empty() && repr.is_none_or(|r| r == "None");
    if nothing {
        return match claim.strength {
            Strength::Strong => Verdict::NoOutput { hedged: claim.hedged },
            Strength::Weak => Verdict::NotAClaim,
        };
    }
    let actual = if outs.is_empty() {
        repr.unwrap_or_default().to_string()
    } else if multi_line {
        trim_lines(&outs.join("\n"))
    } else if outs.len() == 1 {
        outs[0].trim().to_string()
    } else {
        outs.join(", ")
    };

    if !multi_line && !outs.is_empty() {
        if let Some(unquoted) = unquote_all(&claim.text) {
            let p = Pattern::compile(&unquoted);
            if let Some(hit) = alts.iter().find(|a| p.matches(a, opts)) {
                return Verdict::QuotedString {
                    expected: claim.text.clone(),
                    actual: actual.clone(),
                    fix: hit.clone(),
                };
            }
        }
    }

    if claim.strength == Strength::Weak && !resembles(&claim.text, &actual) {
        return Verdict::NotAClaim;
    }
    let fix = output_fix(claim, &actual, opts);
    Verdict::Mismatch {
        expected: claim.text.clone(),
        actual,
        fix,
        hedged: claim.hedged,
    }
}

fn trim_lines(s: &str) -> String {
    let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_string()
}

/// `'a'` -> `a`; `'a', 'b'` -> `a, b`; `None` unless every part is quoted.
fn unquote_all(text: &str) -> Option<String> {
    let parts = split_top(text, ", ");
    let inner: Option<Vec<&str>> = parts.iter().map(|p| quoted(p.trim())).collect();
    inner.map(|v| v.join(", "))
}

/// Whether a weak (prose-like) claim is close enough to the output to be
/// meant as output: same first word, or the same small number of words.
/// Otherwise the comment is prose about the line, not a claim.
fn resembles(claim: &str, actual: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split_whitespace()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
            .filter(|w| !w.is_empty())
            .collect()
    };
    let (c, a) = (words(claim), words(actual));
    match (c.first(), a.first()) {
        (Some(x), Some(y)) if x == y => true,
        _ => c.len() <= 3 && c.len() == a.len(),
    }
}

/// The exact replacement for `claim.text_range`, when one is safe to write.
fn output_fix(claim: &Claim, actual: &str, opts: &JudgeOptions) -> Option<String> {
    if let Some(prefix) = &claim.line_prefix {
        let lines: Vec<String> = actual.split('\n').map(str::to_string).collect();
        let mut out = String::new();
        for (i, l) in lines.iter().enumerate() {
            if i > 0 {
                out.push_str(if l.is_empty() {
                    prefix.trim_end_matches(' ')
                } else {
                    prefix
                });
            }
            out.push_str(l);
        }
        return Some(out);
    }
    if actual.contains('\n') {
        return None;
    }
    let pattern = Pattern::compile(&claim.text);
    if let (ClaimKind::Approx { .. }, Some(q)) = (&claim.kind, pattern.sole_quantity()) {
        // Only when the output is that one quantity (`8000056`, `1.02s`), and only a rewrite
        // that would then pass: a fix must converge (found by fuzzing `--fix`).
        let (value, unit) = first_quantity(actual)?;
        let bare = actual
            .trim()
            .trim_start_matches(|c: char| c == '-' || c.is_ascii_digit() || c == '.' || c == '_' || c == ',');
        if bare.trim().chars().any(|c| !c.is_alphabetic() && c != 'µ') {
            return None;
        }
        let fix = q.rewrite(q.observed_base(value, unit, opts), opts);
        let fixed = Pattern::compile(&fix);
        let passes = fixed.sole_quantity().is_some_and(|f| f.accepts(value, unit, opts));
        return passes.then_some(fix);
    }
    // A wildcard or `~` claim was written loosely on purpose: replacing it
    // with one run's exact text would make it brittle.
    if pattern.wildcards || pattern.approx {
        return None;
    }
    if claim.full != claim.text && AMBIGUOUS.iter().any(|s| actual.contains(s)) {
        return None;
    }
    Some(actual.to_string())
}

fn judge_exception(claim: &Claim, observed: &Observed, opts: &JudgeOptions) -> Verdict {
    let Some((type_name, message)) = &observed.exception else {
        // `print(type(e).__name__)  # KeyError` names an exception but prints it: unless the
        // author wrote `raises`, a line that printed something is judged as an output claim.
        let says_raises = claim.full.trim_start().to_ascii_lowercase().starts_with("raises");
        if !says_raises && (!observed.outputs.is_empty() || observed.value_repr.is_some()) {
            let mut as_output = claim.clone();
            as_output.kind = ClaimKind::Output {
                text: claim.text.clone(),
            };
            return judge(&as_output, observed, opts);
        }
        return Verdict::ExpectedExceptionNotRaised {
            expected: claim.text.clone(),
            hedged: claim.hedged,
        };
    };
    let mut cands = candidates(&claim.full);
    cands.push(claim.text.clone());
    let hit = cands.iter().filter_map(|c| grammar::exception(c)).any(|(t, m, _)| {
        same_type(&t, type_name) && m.is_none_or(|m| Pattern::compile(&m).matches(message.trim(), opts))
    });
    if hit {
        return Verdict::Pass;
    }
    let actual = if message.is_empty() {
        type_name.clone()
    } else {
        format!("{type_name}: {message}")
    };
    Verdict::Mismatch {
        expected: claim.text.clone(),
        fix: exception_fix(claim, type_name, message),
        actual,
        hedged: claim.hedged,
    }
}

/// Exact names, except that a dotted module path on either side is ignored
/// (`json.JSONDecodeError` vs `JSONDecodeError`). Subclasses do not match.
fn same_type(claimed: &str, observed: &str) -> bool {
    let last = |s: &str| s.rsplit('.').next().unwrap_or(s).to_string();
    claimed == observed || ((claimed.contains('.') || observed.contains('.')) && last(claimed) == last(observed))
}

/// Rewrites an exception claim in the author's style: `raises T[: msg]` or
/// `T[: msg]`; a message is written only when the claim had one (or used the
/// `T: msg` form) and the exception has one.
fn exception_fix(claim: &Claim, type_name: &str, message: &str) -> Option<String> {
    if message.contains('\n') {
        return None;
    }
    let ClaimKind::Exception { message: had, .. } = &claim.kind else {
        return None;
    };
    let raises = claim
        .text
        .split_whitespace()
        .next()
        .filter(|w| w.to_lowercase().starts_with("raise"));
    let mut out = match raises {
        Some(word) => format!("{word} {type_name}"),
        None => type_name.to_string(),
    };
    let colon_form = raises.is_none() && claim.text.contains(':');
    if (had.is_some() || colon_form) && !message.is_empty() {
        out.push_str(": ");
        out.push_str(message);
    }
    Some(out)
}

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;
