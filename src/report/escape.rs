//! Control characters in what qa-lint prints.
//!
//! Snippet output, claims and even file names can hold ESC, NUL or other control characters.
//! Printed raw, ESC sequences recolour or rewrite a terminal or CI log, NUL truncates C
//! consumers, most C0 characters make XML unparseable (XML 1.0 forbids them even as character
//! references), and bidi overrides make a line read differently from what it is. Text formats
//! therefore show them the way Python's `repr` does (`\x1b`, `\x00`, `\u202e`); JSON formats
//! keep the exact text, which JSON's own escaping (`\u001b`) already makes safe.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters that are not control characters but still change how text is displayed.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` would be escaped by [`visible`].
pub fn needs_escape(c: char) -> bool {
    c.is_control() || is_invisible_format(c)
}

fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let keep = |c: char| keep_newlines && (c == '\n' || c == '\t');
    if !s.chars().any(|c| needs_escape(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            _ if keep(c) || !needs_escape(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// One line of text: every control character escaped, line breaks included.
pub fn visible(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Text that may span lines: line feeds and tabs stay, every other control character is escaped.
pub fn visible_multiline(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

/// A source excerpt for the graphical report, with control characters (other than tab, CR and
/// LF) replaced by their Unicode control pictures (ESC → `␛`), and a map from offsets in the
/// original text to offsets in the returned one, so spans still underline the same characters.
pub fn excerpt(text: &str) -> (Cow<'_, str>, impl Fn(usize) -> usize + '_) {
    let replaced = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r') || is_invisible_format(c);
    let positions: Vec<(usize, usize)> = text
        .char_indices()
        .filter(|(_, c)| replaced(*c))
        .map(|(i, c)| (i, 3 - c.len_utf8()))
        .collect();
    let shown = if positions.is_empty() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .map(|c| match c as u32 {
                    _ if !replaced(c) => c,
                    n @ 0..=0x1f => char::from_u32(0x2400 + n).unwrap_or('\u{FFFD}'),
                    0x7f => '\u{2421}',
                    _ => '\u{FFFD}',
                })
                .collect(),
        )
    };
    let map = move |offset: usize| {
        offset
            + positions
                .iter()
                .take_while(|(i, _)| *i < offset)
                .map(|(_, grow)| grow)
                .sum::<usize>()
    };
    (shown, map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_as_python_escapes() {
        assert_eq!(visible("a\x1b[31mb\0c\n"), "a\\x1b[31mb\\x00c\\n");
        assert_eq!(visible_multiline("a\x1b\nb\tc\u{202e}"), "a\\x1b\nb\tc\\u202e");
        assert_eq!(visible("naïve, 100%"), "naïve, 100%");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn excerpt_offsets_follow_the_replaced_characters() {
        let text = "x\x1by\u{85}z";
        let (shown, map) = excerpt(text);
        assert_eq!(shown, "x\u{241b}y\u{FFFD}z");
        assert_eq!(&shown[map(2)..map(3)], "y");
        assert_eq!(&shown[map(5)..map(6)], "z");
    }
}
