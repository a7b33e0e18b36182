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
    // The right exception with the message another Python words it in: a format matter.
    let reworded = cands
        .iter()
        .filter_map(|c| grammar::exception(c))
        .any(|(t, m, _)| same_type(&t, type_name) && m.is_some_and(|m| same_details(&m, message)));
    if reworded {
        return Verdict::ClaimFormat {
            expected: claim.text.clone(),
            fix: exception_fix(claim, type_name, message),
            actual,
        };
    }
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

/// Whether two messages of one exception type say the same thing in other words: CPython
/// rewords its messages between releases (`local variable 'n' referenced before assignment`
/// became `cannot access local variable 'n' ...` in 3.11; Python 2 left strings unquoted), as
/// doctest's `IGNORE_EXCEPTION_DETAIL` acknowledges. The details must agree: every quoted
/// value of either appears in the other, and the numbers are the same; with no detail on
/// either side, at least half the words must be shared.
pub fn same_details(claimed: &str, actual: &str) -> bool {
    static QUOTED: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r#"'([^']*)'|"([^"]*)""#).expect("valid regex"));
    static NUMBER: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\d+(?:\.\d+)?").expect("valid regex"));
    let quoted_in = |a: &str, b: &str| {
        QUOTED.captures_iter(a).all(|c| {
            let inner = c.get(1).or(c.get(2)).map_or("", |m| m.as_str());
            b.contains(inner)
        })
    };
    let numbers = |s: &str| {
        let mut v: Vec<String> = NUMBER.find_iter(s).map(|m| m.as_str().to_string()).collect();
        v.sort_unstable();
        v
    };
    let (claimed, actual) = (claimed.trim(), actual.trim());
    if claimed.is_empty() || actual.is_empty() {
        return false;
    }
    // A quoted value or a number on either side: those must be the same.
    let (nc, na) = (numbers(claimed), numbers(actual));
    if QUOTED.is_match(claimed) || QUOTED.is_match(actual) || !nc.is_empty() || !na.is_empty() {
        return quoted_in(claimed, actual) && quoted_in(actual, claimed) && nc == na;
    }
    // No value to compare (`division by zero` for `integer division or modulo by zero`): the
    // same words, mostly. A message of the page's own code said otherwise is another message.
    let words = |s: &str| -> std::collections::HashSet<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (a, b) = (words(claimed), words(actual));
    let common = a.intersection(&b).count();
    common * 2 >= a.len().max(b.len())
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
