//! The claim grammar on one comment's text (markers already removed).
//!
//! Steps, each undoable by actual-guided matching in `judge`:
//! 1. a hedge prefix (`Often`, `Usually`, ...) is noted and skipped;
//! 2. commentary is cut at the first boundary (` -> `, ` — `, ` – `, ` -- `,
//!    `; `, a trailing prose ` (...)`, or `, ` + prose after a value);
//! 3. a hedge suffix (`in CPython`) is noted and removed;
//! 4. the rest is classified (exception, approximation, output) and given a
//!    strength: strong when it is value-like, weak when it could be prose.

use super::approx::quantity_at;
use super::nesting::{matching_close, quote_end, split_top, walk_top};
use super::pattern::wild_number_at;
use super::value;
use super::{ClaimKind, Strength};
use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// Separators after which the rest of a comment is commentary. The last ones are the commas,
/// semicolons and colons of other scripts (Arabic, Persian, CJK), which need no space after
/// them: `# True، چون ...`, `# 3，因为 ...` are a value and commentary in any language.
const SEPARATORS: [&str; 16] = [
    " -> ", " → ", " — ", " – ", " -- ", " => ", "; ", " - ", " <- ", " ← ", " <-- ", "،", "，", "；", "：", "。",
];

static HEDGE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[Oo]ften|[Uu]sually|[Mm]ay be|[Mm]ight be|[Tt]ypically|[Pp]robably|[Ll]ikely|[Ss]ometimes)[,:]?\s+",
    )
    .unwrap()
});
static HEDGE_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\s,]+(?:in|on)\s+CPython(?:\s+\d+(?:\.\d+)*\+?)?\s*$").unwrap());
static PRAGMA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:noqa\b|type:|pragma\b|pylint:|fmt:|isort:|nosec\b|mypy:|pyright:|ruff:|qa-lint:|-\*-|%%|!)")
        .unwrap()
});
/// Exception type: optional dotted module path, capitalised last component.
const TYPE: &str = r"(?:[A-Za-z_]\w*\.)*[A-Z]\w*";
static RAISES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^(?:[Rr]aises?|RAISES)\s+({TYPE})(?:(\s*:\s*)(.*)|\s+.*)?$")).unwrap());
static EXC_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^({TYPE}(?:Error|Exception|Warning|Exit|Interrupt|Iteration))(?:(:\s*)(.*))?$"
    ))
    .unwrap()
});
static LITERAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:True|False|None|Ellipsis|NotImplemented|[-+]?(?:inf|nan)|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?j?)$")
        .unwrap()
});
static CALL_REPR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[A-Za-z_][\w.]*\(").unwrap());
/// mkdocs-material code annotations: `# (1)!`, `# (2)`.
static ANNOTATION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s*\(\d{1,2}\)!?\s*$").unwrap());
/// `3.12+: value`, `Python 3.12+: value`: the claim holds from that Python on.
static VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[Pp]y(?:thon)?\s*)?(\d)\.(\d{1,2})\+\s*:\s*").unwrap());
/// Complexity notation (`O(n)`, `O(n log n)`, `Θ(1)`): never output.
static BIG_O: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(?:O|Θ|Ω|o)\([^)]*\)").unwrap());
/// numpy-style arrays and matrices: `[2 4 6]`, `[[1. 0.] [0. 1.]]`.
static NUMPY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\[[\[\]\s\d.eE+\-]*\d[\[\]\s\d.eE+\-]*\]$").unwrap());
static PROSE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z][a-z'’]*[,]?\s+[a-zA-Z]").unwrap());

/// One comment's text, parsed. Ranges are relative to the parsed text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Parsed {
    pub hedged: bool,
    /// After the hedge prefix, to the end (claim + commentary).
    pub full: Range<usize>,
    /// The claim text proper.
    pub core: Range<usize>,
    pub kind: ClaimKind,
    pub strength: Strength,
    /// `3.12+: value`: the Python (major, minor) the claim holds from.
    pub min_version: Option<(u32, u32)>,
}

/// Parses a comment body; `None` for empty text, tool pragmas, annotation markers and text
/// that is never a claim (`O(n)`, a single letter).
pub(super) fn parse(text: &str) -> Option<Parsed> {
    let lead = text.len() - text.trim_start().len();
    let mut trimmed = text.trim();
    if trimmed.is_empty() || PRAGMA.is_match(trimmed) {
        return None;
    }
    if let Some(m) = ANNOTATION.find(trimmed) {
        trimmed = &trimmed[..m.start()];
        if trimmed.is_empty() {
            return None;
        }
    }
    let mut start = lead;
    let mut min_version = None;
    if let Some(c) = VERSION.captures(trimmed) {
        min_version = Some((c[1].parse().ok()?, c[2].parse().ok()?));
        start += c.get(0)?.end();
    }
    let mut hedged = false;
    if let Some(m) = HEDGE_PREFIX.find(&text[start..lead + trimmed.len()]) {
        hedged = true;
        start += m.end();
    }
    let end = lead + trimmed.len();
    let body = &text[start..end];
    if BIG_O.is_match(body) || is_single_letter(body) {
        return None;
    }
    let cut = static_cuts(body).first().copied().unwrap_or(body.len());
    let (core, suffix) = strip_hedge_suffix(body[..cut].trim_end());
    hedged |= suffix;
    if core.is_empty() || BIG_O.is_match(core) {
        return None;
    }
    let mut core_len = core.len();
    let mut strength = Strength::Strong;
    let kind = match exception(core) {
        Some((t, m, len)) => {
            core_len = len;
            ClaimKind::Exception {
                type_name: t,
                message: m,
            }
        }
        None => match quantity_at(core) {
            Some((q, used)) if used == core.len() => ClaimKind::Approx {
                value: q.value,
                unit: q.unit,
            },
            _ if is_value_like(core) || has_marks(core) => ClaimKind::Output { text: core.to_string() },
            _ => match value_prefix(core) {
                // A value, then commentary: `28 bytes`, `True, because ...`, `2 again`.
                Some((n, strong)) => {
                    core_len = n;
                    if !strong {
                        strength = Strength::Weak;
                    }
                    ClaimKind::Output {
                        text: core[..n].to_string(),
                    }
                }
                None => {
                    strength = Strength::Weak;
                    ClaimKind::Output { text: core.to_string() }
                }
            },
        },
    };
    Some(Parsed {
        hedged,
        full: start..end,
        core: start..start + core_len,
        kind,
        strength,
        min_version,
    })
}

/// `L`, `x`, `E`: a single letter is a label or a variable name, never a claimed output.
pub(super) fn is_single_letter(s: &str) -> bool {
    let mut c = s.trim().chars();
    matches!((c.next(), c.next()), (Some(a), None) if a.is_ascii_alphabetic())
}

/// The value at the start of `core` when commentary follows it: its length, and whether the
/// claim is strong (the commentary starts with punctuation: `False!`, `True, because 3 ...`)
/// or weak (a unit or prose: `28 bytes`, `2 again`; `time.sleep(5)  # 5 seconds` prints
/// nothing and is no error). A weak value claim is still a mismatch against a different
/// value of the same kind (see `judge::resembles`).
pub(super) fn value_prefix(core: &str) -> Option<(usize, bool)> {
    let (n, vals) = value::prefix(core)?;
    if n == 0 || n >= core.len() {
        return None;
    }
    let rest = core[n..].trim_start();
    let _ = vals;
    let punct = rest.starts_with(['!', ',', ':', '.', '?', '،', '，', '；', '：', '。', '！', '？'])
        && !rest.starts_with("...");
    // `1st`, `3x faster`, `2nd`: a number glued to a word is not a value.
    if core[n..].starts_with(|c: char| c.is_alphanumeric()) {
        return None;
    }
    Some((n, punct))
}

/// Removes `in CPython` / `on CPython` at the end; tells whether it did.
pub(super) fn strip_hedge_suffix(s: &str) -> (&str, bool) {
    match HEDGE_SUFFIX.find(s) {
        Some(m) if m.start() > 0 => (s[..m.start()].trim_end(), true),
        _ => (s, false),
    }
}

/// Parses an exception form; returns type, message and the length of the
/// claim proper (`raises KeyError if missing` claims `raises KeyError`).
pub(super) fn exception(core: &str) -> Option<(String, Option<String>, usize)> {
    let msg = |m: Option<regex::Match>| m.map(|m| m.as_str().trim().to_string()).filter(|m| !m.is_empty());
    if let Some(c) = RAISES.captures(core) {
        let ty = c.get(1)?;
        let len = match (c.get(2), c.get(3)) {
            (Some(_), Some(m)) if !m.as_str().trim().is_empty() => core.len(),
            _ => ty.end(),
        };
        return Some((ty.as_str().to_string(), msg(c.get(3)), len));
    }
    let c = EXC_NAME.captures(core)?;
    Some((c[1].to_string(), msg(c.get(3)), core.len()))
}

/// Whether `s` holds a wildcard number or a `~` quantity: an author who
/// writes `0.0xx` or `~8 MB` is describing output, not prose, unless the mark sits in a
/// sentence (`Multiprocessing is ~4x faster`: two or more words around it).
fn has_marks(s: &str) -> bool {
    let marked = s
        .char_indices()
        .any(|(i, c)| (c == '~' || c == '≈') && quantity_at(&s[i..]).is_some() || wild_number_at(s, i).is_some());
    marked && prose_words(s) < 2
}

/// Words of two or more letters outside quotes and brackets (units excepted).
fn prose_words(s: &str) -> usize {
    let mut top = String::new();
    walk_top(s, |i, depth| {
        if depth == 0 {
            top.push(s[i..].chars().next().unwrap_or(' '));
        }
    });
    top.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| {
            w.chars().count() >= 2
                && w.chars().all(char::is_alphabetic)
                && super::approx::unit_at(w).is_none_or(|(_, n)| n != w.len())
        })
        .count()
}

/// Value-like: a Python value as a repr shows it (a literal, a quoted string, a container of
/// values, a `Name(...)` call of values, a `<...>` repr), several of them separated by `, ` or
/// spaces (`print(a, b)`), a numpy array, or a container with `...` wildcards. Names are not
/// values: `(name, age, role)` and `O(n)` are prose.
pub(super) fn is_value_like(s: &str) -> bool {
    let s = s.trim();
    if s.is_empty() {
        return false;
    }
    if LITERAL.is_match(s) || quoted(s).is_some() || value::parse_seq(s).is_some() || NUMPY.is_match(s) {
        return true;
    }
    let b = s.as_bytes();
    let wraps = |open: usize| matching_close(s, open) == Some(s.len() - 1);
    let wild = s.contains("...") || s.contains('…');
    match b[0] {
        b'[' | b'(' | b'{' if wild && wraps(0) => return true,
        b'<' if b[b.len() - 1] == b'>' => return true,
        _ => {}
    }
    if let Some(m) = CALL_REPR.find(s) {
        if wild && wraps(m.end() - 1) {
            return true;
        }
    }
    let parts = split_top(s, ", ");
    if parts.len() > 1 && parts.iter().all(|p| is_value_like(p)) {
        return true;
    }
    let words = split_top(s, " ");
    words.len() > 1 && words.iter().all(|w| !w.is_empty() && is_value_like(w))
}

/// `'abc'`, `"abc"`, `b'abc'` -> the text between the quotes.
pub(super) fn quoted(s: &str) -> Option<&str> {
    let body = s.trim_start_matches(['b', 'r', 'u', 'B', 'R', 'U']);
    let q = body.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let pre = s.len() - body.len();
    let close = quote_end(s.as_bytes(), pre)?;
    (close == s.len() - 1 && q.len_utf8() == 1 && s.len() >= pre + 2).then(|| &s[pre + 1..s.len() - 1])
}

/// Commentary boundaries used to pick the claim text proper.
fn static_cuts(s: &str) -> Vec<usize> {
    let mut cuts = Vec::new();
    walk_top(s, |i, depth| {
        let rest = &s[i..];
        if depth == 0 && SEPARATORS.iter().any(|sep| rest.starts_with(sep)) {
            cuts.push(i);
        }
        if depth == 0 && rest.starts_with(", ") && PROSE.is_match(&rest[2..]) {
            let head = s[..i].trim();
            if is_value_like(head) || has_marks(head) || exception(head).is_some() {
                cuts.push(i);
            }
        }
        if depth == 1 && i > 0 && rest.starts_with('(') && s.as_bytes()[i - 1] == b' ' {
            if let Some(close) = matching_close(s, i) {
                let inner = &s[i + 1..close];
                let tail = s[close + 1..].trim();
                let wordy = inner.split(|c: char| !c.is_alphabetic()).any(|w| w.len() >= 2);
                if wordy && (tail.is_empty() || SEPARATORS.iter().any(|p| tail.starts_with(p.trim_start()))) {
                    cuts.push(i - 1);
                }
            }
        }
    });
    cuts
}

/// Texts actual-guided matching tries for a claim: the whole text, then each
/// prefix ending at a commentary boundary; each with a hedge suffix removed.
/// Besides the static boundaries, a space followed by prose after a value
/// (`True because ...`) is a boundary here only: it lets the claim pass,
/// but never makes prose strong.
pub(super) fn candidates(full: &str) -> Vec<String> {
    let mut ends = static_cuts(full);
    walk_top(full, |i, depth| {
        if depth == 0 && i > 0 && full[i..].starts_with(' ') && PROSE.is_match(&full[i + 1..]) {
            let head = full[..i].trim_end_matches(',');
            if is_value_like(head) || has_marks(head) {
                ends.push(i);
            }
        }
    });
    // A value, then anything that is not a value (`28 bytes`, `2 again`, `False!`).
    if let Some((n, _)) = value::prefix(full) {
        ends.push(n);
    }
    ends.push(full.len());
    let mut out: Vec<String> = Vec::new();
    for e in ends {
        let (c, _) = strip_hedge_suffix(full[..e].trim_end().trim_end_matches(',').trim_end());
        if !c.is_empty() && !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    }
    out
}

#[cfg(test)]
#[path = "grammar_tests.rs"]
mod tests;
