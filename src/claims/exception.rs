//! Judging an exception claim (`# raises KeyError`, `# ValueError: bad value`) against what
//! the statement raised, and the fix written in the author's style.

use super::grammar::{self, candidates};
use super::judge::judge;
use super::pattern::Pattern;
use super::{Claim, ClaimKind, JudgeOptions, Observed, Verdict};

pub(super) fn judge_exception(claim: &Claim, observed: &Observed, opts: &JudgeOptions) -> Verdict {
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
        same_type(&t, type_name)
            && m.is_none_or(|m| Pattern::compile(&m).matches(message.trim(), opts) || shortened(&m, message))
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

/// `cannot import name 'power'` for `cannot import name 'power' from 'math' (...)`: the
/// message cut where a word ends, which readers write to keep the point and drop the noise.
fn shortened(claimed: &str, message: &str) -> bool {
    let (claimed, message) = (claimed.trim(), message.trim());
    claimed.split_whitespace().count() >= 2
        && message
            .strip_prefix(claimed)
            .is_some_and(|rest| rest.starts_with([' ', ',', ';', ':', '(']))
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
