//! Claim text as a pattern: literal text with wildcards and approximations.
//!
//! Authors write `# took 0.0xx s` for a timing and `# ['a', 'b'] ~1.00s` for
//! a value plus a duration. A claim is therefore compiled to segments:
//! literal text, `x` digit wildcards inside numbers, `...` (anything),
//! whitespace, and `~N unit` quantities that compare numerically. Matching is
//! a small backtracking search with memoised failures, which is plenty for
//! one-line outputs and keeps the rules easy to state.

use super::approx::{number_at, quantity_at, unit_at, Quantity};
use super::JudgeOptions;
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Lit(char),
    /// `x` inside a number: one digit (or a literal `x`, so `2x faster`
    /// still matches itself).
    Digit,
    /// `...` or `…`: any text, possibly empty.
    Any,
    /// A whitespace run: one or more whitespace characters, or zero or more
    /// between a number and a unit (`0.0xx s` matches `0.023s`).
    Ws {
        optional: bool,
    },
    Approx(Quantity),
    /// `0x7f3a2b1c0d90` (8 or more hex digits): an object address, which changes every run;
    /// it matches any `0x` address.
    Addr,
    /// A version number as a whole path segment of a URL (`https://errors.example.dev/2/`,
    /// `docs.python.org/3.12/`): documentation links name the version of the library that
    /// printed them, so it matches any version (`2.13`).
    Version,
}

/// A compiled claim text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Pattern {
    segs: Vec<Seg>,
    /// Holds `x` digits or `...`.
    pub wildcards: bool,
    /// Holds a `~N unit` quantity.
    pub approx: bool,
}

/// A number-like token that may contain `x` wildcards, anchored.
static WILD_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[0-9x][0-9x_]*(?:\.[0-9x]+)?|\.[0-9x]+)").unwrap());

/// Finds a wildcard number token at `i` of `s` (which must start a word);
/// returns its length.
pub(super) fn wild_number_at(s: &str, i: usize) -> Option<usize> {
    let prev = s[..i].chars().next_back();
    if prev.is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let m = WILD_NUMBER.find(&s[i..])?;
    let tok = m.as_str();
    let next = s[i + m.end()..].chars().next();
    if next.is_some_and(|c| c.is_alphanumeric() || c == '_') && !is_unit_start(&s[i + m.end()..]) {
        return None;
    }
    let has_digit = tok.bytes().any(|b| b.is_ascii_digit());
    let dotted_x = tok.contains('.') && tok.bytes().filter(|&b| b == b'x').count() >= 2;
    let hex = tok.starts_with("0x") && !tok.contains('.');
    (tok.contains('x') && (has_digit || dotted_x) && !hex).then_some(m.end())
}

/// An object address at the start of `s` (`0x` and at least 8 hex digits): its length.
fn address_at(s: &str) -> Option<usize> {
    let n = s.strip_prefix("0x")?.bytes().take_while(u8::is_ascii_hexdigit).count();
    let next = s.as_bytes().get(2 + n);
    (n >= 8 && next.is_none_or(|c| !c.is_ascii_alphanumeric())).then_some(2 + n)
}

/// A version path segment at the start of `s`, right after a `/` of a URL: its length.
fn version_at(s: &str) -> Option<usize> {
    let v = s.strip_prefix('v').unwrap_or(s);
    let n = v.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
    let seg = &v[..n];
    let well_formed = !seg.is_empty() && !seg.starts_with('.') && !seg.ends_with('.') && !seg.contains("..");
    (well_formed && v[n..].starts_with('/')).then_some(s.len() - v.len() + n)
}

/// Tracks whether the text at each position is inside a URL, to find the URL's version
/// segments (see [`Seg::Version`]).
#[derive(Default)]
struct UrlScan {
    in_url: bool,
}

impl UrlScan {
    /// Called at each position `i` of `s`, in order: the length of a version segment at `i`.
    fn version_at(&mut self, s: &str, i: usize) -> Option<usize> {
        let rest = &s[i..];
        if rest.starts_with("https://") || rest.starts_with("http://") {
            self.in_url = true;
        } else if rest.starts_with(|c: char| c.is_whitespace() || "'\"<>()[]{},".contains(c)) {
            self.in_url = false;
        }
        let after_slash = s[..i].ends_with('/') && !s[..i].ends_with("//");
        (self.in_url && after_slash).then(|| version_at(rest)).flatten()
    }
}

/// `s` with each version segment of its URLs replaced by `{version}`: two strings equal
/// after it differ only in the library versions their links name.
pub(super) fn mask_url_versions(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut urls = UrlScan::default();
    let mut i = 0;
    while i < s.len() {
        if let Some(n) = urls.version_at(s, i) {
            out.push_str("{version}");
            i += n;
            continue;
        }
        let c = s[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

fn is_unit_start(s: &str) -> bool {
    unit_at(s).is_some()
}

impl Pattern {
    pub fn compile(text: &str) -> Pattern {
        let mut segs = Vec::new();
        let (mut wildcards, mut approx) = (false, false);
        let mut urls = UrlScan::default();
        let mut i = 0;
        while i < text.len() {
            let rest = &text[i..];
            if let Some(n) = urls.version_at(text, i) {
                segs.push(Seg::Version);
                i += n;
                continue;
            }
            let at_word_start = !text[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
            if at_word_start {
                if let Some((q, used)) = quantity_at(rest) {
                    segs.push(Seg::Approx(q));
                    approx = true;
                    i += used;
                    continue;
                }
            }
            if at_word_start {
                if let Some(n) = address_at(rest) {
                    segs.push(Seg::Addr);
                    i += n;
                    continue;
                }
            }
            if let Some(n) = wild_number_at(text, i) {
                for c in rest[..n].chars() {
                    segs.push(if c == 'x' { Seg::Digit } else { Seg::Lit(c) });
                }
                wildcards = true;
                i += n;
                continue;
            }
            if rest.starts_with("...") || rest.starts_with('…') {
                segs.push(Seg::Any);
                wildcards = true;
                i += if rest.starts_with('…') { '…'.len_utf8() } else { 3 };
                continue;
            }
            let c = rest.chars().next().unwrap_or(' ');
            if c.is_whitespace() {
                let run = rest.len() - rest.trim_start().len();
                let after_number = matches!(segs.last(), Some(Seg::Digit))
                    || matches!(segs.last(), Some(Seg::Lit(d)) if d.is_ascii_digit());
                let optional = after_number && is_unit_start(&rest[run..]);
                segs.push(Seg::Ws { optional });
                i += run;
                continue;
            }
            segs.push(Seg::Lit(c));
            i += c.len_utf8();
        }
        Pattern {
            segs,
            wildcards,
            approx,
        }
    }

    /// Whether `actual` (whole) matches this pattern.
    pub fn matches(&self, actual: &str, opts: &JudgeOptions) -> bool {
        let mut failed = HashSet::new();
        self.go(0, actual, 0, opts, &mut failed)
    }

    fn go(&self, k: usize, s: &str, i: usize, opts: &JudgeOptions, failed: &mut HashSet<(usize, usize)>) -> bool {
        if k == self.segs.len() {
            return i == s.len();
        }
        if failed.contains(&(k, i)) {
            return false;
        }
        let rest = &s[i..];
        let ok = match &self.segs[k] {
            Seg::Lit(c) => rest.starts_with(*c) && self.go(k + 1, s, i + c.len_utf8(), opts, failed),
            Seg::Digit => {
                rest.chars().next().is_some_and(|c| c.is_ascii_digit() || c == 'x')
                    && self.go(k + 1, s, i + 1, opts, failed)
            }
            Seg::Any => rest
                .char_indices()
                .map(|(j, _)| j)
                .chain(std::iter::once(rest.len()))
                .any(|j| self.go(k + 1, s, i + j, opts, failed)),
            Seg::Ws { optional } => {
                let run = rest.len() - rest.trim_start().len();
                (run > 0 || *optional) && self.go(k + 1, s, i + run, opts, failed)
            }
            Seg::Approx(q) => self.approx(k, q, s, i, opts, failed),
            Seg::Addr => {
                let n = rest
                    .strip_prefix("0x")
                    .map_or(0, |r| r.bytes().take_while(u8::is_ascii_hexdigit).count());
                n > 0 && self.go(k + 1, s, i + 2 + n, opts, failed)
            }
            Seg::Version => version_at(rest).is_some_and(|n| self.go(k + 1, s, i + n, opts, failed)),
        };
        if !ok {
            failed.insert((k, i));
        }
        ok
    }

    fn approx(
        &self,
        k: usize,
        q: &Quantity,
        s: &str,
        i: usize,
        opts: &JudgeOptions,
        failed: &mut HashSet<(usize, usize)>,
    ) -> bool {
        let Some((value, nlen, _)) = number_at(&s[i..]) else {
            return false;
        };
        let after = i + nlen;
        let gap = s[after..].len() - s[after..].trim_start().len();
        if let Some((unit, ulen)) = unit_at(&s[after + gap..]) {
            if q.accepts(value, Some(unit), opts) && self.go(k + 1, s, after + gap + ulen, opts, failed) {
                return true;
            }
        }
        q.accepts(value, None, opts) && self.go(k + 1, s, after, opts, failed)
    }

    /// For a pattern that is a single quantity: the observed number (and
    /// unit) found in `actual`, used to write a fix.
    pub fn sole_quantity(&self) -> Option<&Quantity> {
        match self.segs.as_slice() {
            [Seg::Approx(q)] => Some(q),
            _ => None,
        }
    }
}

/// Finds the first number (and unit right after it) in `actual`.
pub(super) fn first_quantity(actual: &str) -> Option<(f64, Option<super::Unit>)> {
    for (i, c) in actual.char_indices() {
        let prev_ok = !actual[..i]
            .chars()
            .next_back()
            .is_some_and(|p| p.is_alphanumeric() || p == '.');
        if !prev_ok || !(c.is_ascii_digit() || c == '-' || c == '.') {
            continue;
        }
        if let Some((v, n, _)) = number_at(&actual[i..]) {
            let after = &actual[i + n..];
            let gap = after.len() - after.trim_start().len();
            return Some((v, unit_at(&after[gap..]).map(|(u, _)| u)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, actual: &str) -> bool {
        Pattern::compile(pattern).matches(actual, &JudgeOptions::default())
    }

    #[test]
    fn literal_text() {
        assert!(m("[1, 2, 3]", "[1, 2, 3]"));
        assert!(!m("[1, 2, 3]", "[1, 2]"));
        assert!(m("a  b", "a b"), "whitespace runs compare as runs");
    }

    #[test]
    fn digit_wildcards() {
        assert!(m("took 0.0xx s", "took 0.023s"));
        assert!(m("took 0.0xx s", "took 0.041 s"));
        assert!(!m("took 0.0xx s", "took 0.123s"));
        assert!(!m("took 0.0xx s", "took 0.02s"));
        assert!(m("x.xx ms", "3.14 ms"));
        assert!(m("2x faster", "2x faster"));
        let p = Pattern::compile("0x10");
        assert!(!p.wildcards, "hex is not a wildcard");
        assert!(!Pattern::compile("x = 1").wildcards);
    }

    #[test]
    fn version_segments_of_urls_match_any_version() {
        let o = JudgeOptions::default();
        let p = Pattern::compile("visit https://errors.example.dev/2/u/not-defined");
        assert!(p.matches("visit https://errors.example.dev/2.13/u/not-defined", &o));
        assert!(p.matches("visit https://errors.example.dev/v3/u/not-defined", &o));
        assert!(!p.matches("visit https://errors.example.dev/2.13/u/other", &o));
        assert!(!p.wildcards, "a version segment does not make the claim loose");
        // Outside a URL, or not a whole segment, a number is a number.
        assert!(!Pattern::compile("2/3").matches("4/3", &o));
        assert!(!Pattern::compile("https://x.dev/page2/").matches("https://x.dev/page3/", &o));
        assert!(!Pattern::compile("https://x.dev/items/2").matches("https://x.dev/items/3", &o));
        assert_eq!(
            mask_url_versions("see https://e.dev/2/v/missing, v2 2/3"),
            "see https://e.dev/{version}/v/missing, v2 2/3"
        );
    }

    #[test]
    fn addresses_are_wildcards() {
        assert!(m("<function f at 0x10a3b2c40>", "<function f at 0x7f3a2b1c0d90>"));
        assert!(m("<A object at 0x0123456789ab>", "<A object at 0x7fe1>"));
        assert!(!m("<function f at 0x10a3b2c40>", "<function g at 0x7f3a2b1c0d90>"));
        assert!(!m("0x10", "0x11"), "a short hex number is a value");
    }

    #[test]
    fn ellipsis_matches_anything() {
        assert!(m("<generator object f at ...>", "<generator object f at 0x7f3a>"));
        assert!(m("{'a': 1, ...}", "{'a': 1, 'b': 2}"));
        assert!(!m("{'a': 1, ...}", "{'b': 2}"));
        assert!(m("a…", "abc"));
    }

    #[test]
    fn embedded_approximation() {
        assert!(m("['a', 'b', 'c'] ~1.00s", "['a', 'b', 'c'] 1.00s"));
        assert!(m("['a', 'b', 'c'] ~1.00s", "['a', 'b', 'c'] 1.08s"));
        assert!(!m("['a', 'b', 'c'] ~1.00s", "['a', 'b', 'c'] 3.01s"));
        assert!(m("~8 MB", "8448728"));
        assert!(m("size ~8 MB", "size 8.1 MB"));
        assert!(Pattern::compile("~8 MB").sole_quantity().is_some());
    }

    #[test]
    fn first_quantity_reads_number_and_unit() {
        assert_eq!(
            first_quantity("took 3.5s"),
            Some((3.5, Some(super::super::Unit::Seconds)))
        );
        assert_eq!(first_quantity("104"), Some((104.0, None)));
        assert_eq!(first_quantity("none here"), None);
    }
}
