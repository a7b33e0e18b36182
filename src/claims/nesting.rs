//! Scanning claim text with brackets and quotes in mind: the one quote-aware bracket walk the
//! claim grammar (grammar.rs) and the value parser (value/) both read, so that neither needs
//! the other for it.

/// Index of the quote closing the one at `open`, honouring backslashes.
pub(super) fn quote_end(b: &[u8], open: usize) -> Option<usize> {
    let q = b[open];
    let mut i = open + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            c if c == q => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Whether a quote at `i` opens a string (not an apostrophe inside a word).
fn opens_quote(b: &[u8], i: usize) -> bool {
    if !matches!(b[i], b'\'' | b'"') {
        return false;
    }
    let mut j = i;
    while j > 0 && b"bBrRuUfF".contains(&b[j - 1]) && i - j < 2 {
        j -= 1;
    }
    j == 0 || b" ([{,:=".contains(&b[j - 1])
}

/// Every byte index from `from` on outside quoted strings, with its byte and the bracket depth
/// after it (relative to `from`): the one quote-aware bracket walk that both
/// [`matching_close`] and [`walk_top`] read.
fn brackets(s: &str, from: usize) -> impl Iterator<Item = (usize, u8, usize)> + '_ {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = from;
    std::iter::from_fn(move || {
        while i < b.len() && opens_quote(b, i) {
            match quote_end(b, i) {
                Some(e) => i = e + 1,
                None => break,
            }
        }
        let at = i;
        let c = *b.get(at)?;
        match c {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
        Some((at, c, depth))
    })
}

/// Index of the bracket closing the one at `open` (quote-aware).
pub(super) fn matching_close(s: &str, open: usize) -> Option<usize> {
    if !matches!(s.as_bytes().get(open), Some(b'(' | b'[' | b'{')) {
        return None;
    }
    brackets(s, open)
        .find(|&(_, c, depth)| depth == 0 && matches!(c, b')' | b']' | b'}'))
        .map(|(i, _, _)| i)
}

/// Calls `f(i, depth)` for each byte index outside quoted strings.
pub(crate) fn walk_top(s: &str, mut f: impl FnMut(usize, usize)) {
    for (i, _, depth) in brackets(s, 0) {
        if s.is_char_boundary(i) {
            f(i, depth);
        }
    }
}

/// Splits on `sep` outside brackets and quotes.
pub(crate) fn split_top<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    let mut parts = Vec::new();
    let mut last = 0;
    walk_top(s, |i, depth| {
        if depth == 0 && i >= last && s[i..].starts_with(sep) {
            parts.push(&s[last..i]);
            last = i + sep.len();
        }
    });
    parts.push(&s[last..]);
    parts
}
