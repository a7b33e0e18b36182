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

use super::exception::judge_exception;
use super::grammar::{candidates, is_single_letter, quoted};
use super::nesting::split_top;
use super::pattern::{first_quantity, Pattern};
use super::value::{self, Value};
use super::{Claim, ClaimKind, JudgeOptions, Observed, Strength, Verdict};

/// One-word comments that remark on a line (`# ok`, `# valid`) rather than show its output.
const PROSE_WORDS: &[&str] = &[
    "ok",
    "okay",
    "fine",
    "works",
    "valid",
    "invalid",
    "correct",
    "incorrect",
    "wrong",
    "right",
    "good",
    "bad",
    "yes",
    "no",
    "success",
    "succeeds",
    "fails",
    "failed",
    "passes",
    "error",
    "errors",
    "same",
    "different",
    "equivalent",
    "identical",
    "allowed",
    "forbidden",
    "legal",
    "illegal",
    "safe",
    "unsafe",
    "faster",
    "slower",
    "slow",
    "fast",
    "recommended",
    "preferred",
    "deprecated",
    "bug",
    "note",
    "todo",
    "fixme",
    "hack",
    "xxx",
    "expected",
    "unexpected",
    "mutable",
    "immutable",
    "iterable",
    "hashable",
    "unhashable",
    "lazy",
    "eager",
    "empty",
    "shared",
    "copied",
    "unchanged",
    "changed",
    "modified",
];

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
    let multi_line = claim.form.is_multi_line();
    let outs: Vec<&str> = observed.outputs.iter().map(|o| o.trim_end()).collect();
    let repr = observed.value_repr.as_deref();
    // On an assignment that printed nothing, only a value claim is about the bound value:
    // `x = [...]  # ~8 MB` or `s = "é"  # é as one code point` describe it in words.
    if observed.assigned && outs.is_empty() {
        let number = repr.is_some_and(|r| matches!(value::parse(r), Some(v) if v.kind() == "number"));
        let approx_ok = !matches!(claim.kind, ClaimKind::Approx { .. }) || number;
        if claim.strength == Strength::Weak || !approx_ok {
            return Verdict::NotAClaim;
        }
    }

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
        if outs.len() >= 2 {
            c.extend(prints_then_returns(&claim.full));
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
    // `print(is_even(4))  # True` where `is_even` prints too: the comment is about what its
    // own line shows; what the functions it calls printed first is theirs to claim.
    let own = &outs[observed.printed_by_callees.min(outs.len())..];
    if !multi_line && own.len() < outs.len() && !own.is_empty() {
        let shown = [own.join(", "), own.join("\n")];
        if cands
            .iter()
            .any(|c| shown.iter().any(|o| Pattern::compile(c).matches(o.trim(), opts)))
        {
            return Verdict::Pass;
        }
    }

    let nothing = outs.is_empty() && repr.is_none_or(|r| r == "None");
    if nothing {
        return match claim.strength {
            Strength::Strong => Verdict::NoOutput { hedged: claim.hedged },
            Strength::Weak => Verdict::NotAClaim,
        };
    }
    // The right value written differently: a warning with the exact text as the fix.
    if let Some(v) = by_value(claim, &alts, outs.len()) {
        return v;
    }
    // `value = Model(x=1)` for `value=Model(x=1)`: the same text spaced differently around
    // punctuation (a formatter's layout, a value wrapped over lines) is a format matter.
    if let Some(alt) = alts.iter().find(|a| spaced_alike(&claim.text, a)) {
        return format_verdict(claim, alt);
    }
    // `date(...)  #> 2000-01-01`: what print() shows, where a REPL shows the repr.
    if let (true, Some(s), Some(r)) = (outs.is_empty(), &observed.value_str, repr) {
        if cands.iter().any(|c| Pattern::compile(c).matches(s.trim(), opts)) {
            return format_verdict(claim, r);
        }
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
    // `print("Mean:", m)  # 91.0`: a value claim names the one value a labelled line prints.
    let named = (!multi_line && outs.len() == 1)
        .then(|| {
            // The value after the label `print` was given (`print('1 is not 2', x)`), else
            // the one value the line shows next to words.
            observed
                .print_label
                .as_deref()
                .and_then(|l| actual.strip_prefix(l)?.strip_prefix(' '))
                .map(|rest| rest.trim().to_string())
                .filter(|rest| value::parse(rest).is_some())
                .or_else(|| labelled_value(&actual))
        })
        .flatten();
    if let (Some(named), Some(cv)) = (&named, value::parse(&claim.text)) {
        if value::parse(named).is_some_and(|nv| value::same(&cv, &nv) == Some(true)) {
            return Verdict::Pass;
        }
    }

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
    // Whether the claim shows `first`, the first of several printed lines, whole.
    let shows_first = |first: &str| {
        let shown = unquote_all(&claim.text).unwrap_or_else(|| claim.text.clone());
        !first.is_empty()
            && (Pattern::compile(&shown).matches(first, opts)
                || first == claim.full.trim()
                || cands.iter().any(|c| c.trim() == first))
    };
    // `print(text)  # its first line` for one print of several lines: the rest is left out,
    // as a multi-line claim may leave lines out (below): a warning, not a wrong claim.
    if !multi_line
        && outs.len() == 1
        && outs[0].contains('\n')
        && shows_first(outs[0].lines().next().unwrap_or("").trim())
    {
        return Verdict::Elided {
            expected: claim.text.clone(),
            fix: None,
            omitted: outs[0].lines().count() - 1,
            actual,
        };
    }
    // `print(i)  # 0 to 10` in a loop (`0 bis 10`, `0 a 10`, `0..10`, `0 - 10`): a range in
    // words names the first and the last of the lines the loop printed.
    if !multi_line && outs.len() > 1 {
        if let Some((first, last)) = range_in_words(&claim.full) {
            let same = |a: &str, b: &str| {
                a == b
                    || matches!((value::parse(a), value::parse(b)), (Some(x), Some(y)) if value::same(&x, &y) == Some(true))
            };
            let ends = (outs[0].trim(), outs[outs.len() - 1].trim());
            if same(first, ends.0) && same(last, ends.1) {
                return Verdict::Pass;
            }
        }
    }
    // `run(-5)  # Validation failed — field=x` where the call prints that line and then a
    // `finally:` line: the claim shows the first of its prints, whole, and leaves the rest out.
    // Only when the called code printed every line: `print(f())  # 55` where `f` prints 55
    // and returns None claims what its own print shows, and `print(i)  # 0` in a loop that
    // printed 0 and 1 claims each of its own lines.
    if !multi_line && outs.len() > 1 && observed.printed_by_callees >= outs.len() && shows_first(outs[0].trim()) {
        return Verdict::Elided {
            expected: claim.text.clone(),
            fix: None,
            omitted: outs.len() - 1,
            actual,
        };
    }
    // A multi-line claim that shows the output with whole lines left out (a URL hint under
    // an error message, a noisy log line): a presentation choice, so a warning.
    if multi_line {
        if let Some(omitted) = elided(&claim.text, &actual, opts) {
            return Verdict::Elided {
                expected: claim.text.clone(),
                fix: output_fix(claim, &actual, opts),
                actual,
                omitted,
            };
        }
    }
    let fix = match &named {
        Some(n) if value::parse(&claim.text).is_some() && claim.line_prefix.is_none() => Some(n.clone()),
        _ => output_fix(claim, &actual, opts),
    };
    Verdict::Mismatch {
        expected: claim.text.clone(),
        actual,
        fix,
        hedged: claim.hedged,
    }
}

/// `prints "Starting", returns 3` (after a `prints` marker): what the call prints, then the
/// value that the statement prints, as the two lines the statement shows.
fn prints_then_returns(full: &str) -> Option<String> {
    static SHAPE: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"^(.+?),?\s+(?:and\s+|then\s+)?returns?\s+(.+)$").unwrap());
    let c = SHAPE.captures(full.trim())?;
    let shown = |s: &str| quoted(s.trim()).unwrap_or(s.trim()).to_string();
    Some(format!("{}\n{}", shown(&c[1]), shown(&c[2])))
}

/// `0 to 10`, `1 bis 5`, `0..9`, `1 - 3`, `0 到 9`: two values joined by a word that means
/// "up to" (not any word: `1 and 3` names two lines, not a range), two dots or a dash.
fn range_in_words(comment: &str) -> Option<(&str, &str)> {
    static RANGE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)^\s*(\S+?)\s*(?:\.\.\.?|\s(?:to|through|thru|till|until|bis|a|à|al|hasta|até|tot|до|по)\s|[-–—~〜]|到|至|から)\s*(\S+)\s*$",
        )
        .unwrap()
    });
    let c = RANGE.captures(comment)?;
    let (a, b) = (c.get(1)?.as_str(), c.get(2)?.as_str());
    (value::parse(a).is_some() && value::parse(b).is_some()).then_some((a, b))
}

/// How many whole lines `actual` has that the claimed lines (all found, in order, each
/// matching its line) leave out; `None` when the claim is not such a subsequence.
fn elided(claimed: &str, actual: &str, opts: &JudgeOptions) -> Option<usize> {
    let want: Vec<&str> = claimed.lines().collect();
    let got: Vec<&str> = actual.lines().collect();
    if want.is_empty() || got.len() <= want.len() {
        return None;
    }
    let mut k = 0;
    for g in &got {
        if k < want.len()
            && (want[k].trim_end() == g.trim_end() || Pattern::compile(want[k].trim()).matches(g.trim(), opts))
        {
            k += 1;
        }
    }
    (k == want.len()).then(|| got.len() - want.len())
}

pub(super) fn trim_lines(s: &str) -> String {
    let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_string()
}

/// `'a'` -> `a`; `'a', 'b'` -> `a, b`; `None` unless every part is quoted.
fn unquote_all(text: &str) -> Option<String> {
    let parts = split_top(text, ", ");
    let inner: Option<Vec<&str>> = parts.iter().map(|p| quoted(p.trim())).collect();
    inner.map(|v| v.join(", "))
}

/// Compares the claim with each observed text as Python values. Equal values written
/// differently give [`Verdict::ClaimFormat`] (or a pass when only the order of a set
/// differs: that order changes between runs); a bare string claimed for a `str` repr too.
fn by_value(claim: &Claim, alts: &[String], printed: usize) -> Option<Verdict> {
    let text = claim.text.trim();
    let claimed = value::parse_seq(text).or_else(|| value::parse_claim(text).map(|v| vec![v]));
    for alt in alts {
        if let (Some(c), Some(a)) = (&claimed, value::parse_seq(alt)) {
            if rounded(text, c, &a) {
                return Some(format_verdict(claim, alt));
            }
            if value::same_seq(c, &a) == Some(true) {
                if !ordered_same(c, &a, false) {
                    return Some(Verdict::Pass); // a set in another order: that order varies
                }
                // A long value laid out over lines (pytest-examples' string blocks are
                // formatted to the line length): the layout is the convention's, not a typo.
                if claim.form.is_multi_line() && text.contains('\n') && ordered_same(c, &a, true) {
                    return Some(Verdict::Pass);
                }
                return Some(format_verdict(claim, alt));
            }
        }
    }
    // `s.upper()  # PYTHON` for the value `'PYTHON'`: the claim shows str(), a REPL the repr.
    if printed == 0 && !text.is_empty() {
        if let Some(alt) = alts
            .iter()
            .find(|a| matches!(value::parse(a), Some(Value::Str(s)) if s == text))
        {
            return Some(format_verdict(claim, alt));
        }
    }
    None
}

/// Whether two texts differ only in whitespace next to punctuation or in runs of whitespace
/// (`a = 1,  b` and `a=1, b`); words and values stay apart (`a b` is not `ab`).
fn spaced_alike(claimed: &str, actual: &str) -> bool {
    fn squeeze(s: &str) -> String {
        let punct = |c: char| "=,:;()[]{}<>+-*/|&".contains(c);
        let mut out = String::with_capacity(s.len());
        let mut space = false;
        for c in s.trim().chars() {
            if c.is_whitespace() {
                space = true;
                continue;
            }
            if space && !punct(c) && !out.ends_with(punct) {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
        out
    }
    claimed.trim() != actual.trim() && squeeze(claimed) == squeeze(actual)
}

/// `1.72727` for `1.727272727272727`: a float claimed rounded (or cut) to at least two
/// decimals. The right value, written differently.
fn rounded(text: &str, claimed: &[Value], actual: &[Value]) -> bool {
    let (&[Value::Float(c)], &[Value::Float(a)]) = (claimed, actual) else {
        return false;
    };
    let decimals = text
        .rsplit('.')
        .next()
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
        .map_or(0, str::len);
    if !(2..=15).contains(&decimals) || !a.is_finite() {
        return false;
    }
    let scale = 10f64.powi(decimals as i32);
    let near = |x: f64| (x - c).abs() <= 0.5 / scale * 1e-6 + f64::EPSILON * c.abs().max(1.0);
    near((a * scale).round() / scale) || near((a * scale).trunc() / scale)
}

fn format_verdict(claim: &Claim, actual: &str) -> Verdict {
    let fix = match &claim.line_prefix {
        Some(prefix) => actual.replace('\n', prefix),
        None if actual.contains('\n') => String::new(),
        None => actual.to_string(),
    };
    Verdict::ClaimFormat {
        expected: claim.text.clone(),
        actual: actual.to_string(),
        fix: (!fix.is_empty()).then_some(fix),
    }
}

/// Equality with sets compared in their written order (and dicts as dicts, or in order too
/// when `dicts`): false for equal values when a set is shown in another order.
pub(super) fn ordered_same(a: &[Value], b: &[Value], dicts: bool) -> bool {
    fn go(a: &Value, b: &Value, dicts: bool) -> bool {
        match (a, b) {
            (Value::Set(x), Value::Set(y)) | (Value::FrozenSet(x), Value::FrozenSet(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| go(p, q, dicts))
            }
            (Value::Dict(x), Value::Dict(y)) if dicts => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((k, v), (k2, v2))| go(k, k2, dicts) && go(v, v2, dicts))
            }
            (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| go(p, q, dicts))
            }
            _ => value::same(a, b) == Some(true),
        }
    }
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| go(x, y, dicts))
}

/// `Mean score: 91.0` -> `91.0`: the one value in a printed line whose other words are a
/// label (no other value among them).
fn labelled_value(actual: &str) -> Option<String> {
    // `4 is 2 ** 2: True`: the label ends at the last `: `, and a value follows it.
    if let Some((_, value)) = actual.trim().rsplit_once(": ") {
        if value::parse(value.trim()).is_some() {
            return Some(value.trim().to_string());
        }
    }
    let words = split_top(actual.trim(), " ");
    if words.len() < 2 {
        return None;
    }
    let is_value = |w: &str| value::parse(w.trim_end_matches(',')).is_some();
    let values: Vec<usize> = (0..words.len()).filter(|&i| is_value(words[i])).collect();
    match values.as_slice() {
        [i] => Some(words[*i].trim_end_matches(',').to_string()),
        _ => None,
    }
}

/// Whether a weak (prose-like) claim is close enough to the output to be
/// meant as output: same first word, or the same small number of words (at least two, one
/// in common), or a value claimed (`2 again`) where a value of the same kind was printed.
/// Otherwise the comment is prose about the line, not a claim.
fn resembles(claim: &str, actual: &str) -> bool {
    if is_single_letter(claim) {
        return false;
    }
    if let (Some(c), Some(a)) = (value::parse(claim.trim()), value::parse(actual.trim())) {
        return c.kind() == a.kind();
    }
    let words = |s: &str| -> Vec<String> {
        s.split_whitespace()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
            .filter(|w| !w.is_empty())
            .collect()
    };
    let (c, a) = (words(claim), words(actual));
    // Words next to a repr describe it (`# Complex number` beside `<class 'complex'>`); only a
    // value can be a wrong repr.
    let a_trim = actual.trim();
    if a_trim.starts_with('<') && a_trim.ends_with('>') {
        return false;
    }
    // A phrase in a script written without spaces (`# 满足第一个条件`) is one "word": it is an
    // output written differently only if it shares a character with the output.
    let ideographic = |s: &str| {
        s.chars()
            .any(|ch| matches!(ch as u32, 0x3040..=0x30FF | 0x3400..=0x9FFF | 0xAC00..=0xD7AF))
    };
    if c.len() == 1
        && ideographic(claim)
        && !claim
            .chars()
            .any(|ch| ideographic(&ch.to_string()) && actual.contains(ch))
    {
        return false;
    }
    match (c.first(), a.first()) {
        (Some(x), Some(y)) if x == y => true,
        // One word for one word (`Alice` for `Bob`); but `valid` or `OK` next to a printed
        // `True` or a repr is a remark about it.
        _ if c.len() == 1 && a.len() == 1 => {
            let a = actual.trim();
            let call = a.ends_with(')')
                && a.split('(').next().is_some_and(|n| {
                    !n.is_empty() && n.chars().all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '.')
                });
            let repr_like = value::parse(a).is_some() || call || a.starts_with(['<', '[', '{', '(']);
            !repr_like && !PROSE_WORDS.contains(&c[0].as_str())
        }
        _ => (2..=3).contains(&c.len()) && c.len() == a.len() && c.iter().any(|w| a.contains(w)),
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

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;
