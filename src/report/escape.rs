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

/// How a format can write a character without writing it raw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quoting {
    /// Python-style escapes, as for control characters: `\x23`.
    Text,
    /// JSON string escapes: `\u0023` (the value decodes to the same text).
    Json,
    /// XML character references: `&#35;` (the value decodes to the same text).
    Xml,
}

/// A writer that keeps CI runners from reading commands in qa-lint's report.
///
/// GitHub's runner executes a line whose (trimmed) text starts with `::` (`::add-mask::`,
/// `::stop-commands::`) and the legacy `##[...]` anywhere in a line; snippet output, claims,
/// exception messages and file names end up in every report. Such lines are rewritten: the
/// first `:` of a leading `::` and the second `#` of every `##[` are written escaped, in the
/// way the format decodes back to the same text (JSON, XML) or shows escapes (text).
pub struct CiSafe<W: std::io::Write> {
    inner: W,
    quoting: Quoting,
    line: Vec<u8>,
    /// The `github` format's own lines are workflow commands (`::error file=...::`); its data
    /// is %-encoded, so no line of it can start with text from a snippet.
    own_commands: bool,
}

impl<W: std::io::Write> CiSafe<W> {
    pub fn new(inner: W, quoting: Quoting) -> Self {
        CiSafe {
            inner,
            quoting,
            line: Vec::new(),
            own_commands: false,
        }
    }

    /// The writer underneath (after [`std::io::Write::flush`], which writes the last line).
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// For the `github` format, whose lines are commands by design.
    pub fn with_own_commands(mut self) -> Self {
        self.own_commands = true;
        self
    }

    fn escaped(&self, c: u8) -> String {
        match self.quoting {
            Quoting::Text => format!("\\x{c:02x}"),
            Quoting::Json => format!("\\u{:04x}", c),
            Quoting::Xml => format!("&#{c};"),
        }
    }

    fn emit_line(&mut self) -> std::io::Result<()> {
        let line = std::mem::take(&mut self.line);
        let mut out = Vec::with_capacity(line.len() + 8);
        let lead = line.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
        let mut i = 0;
        while i < line.len() {
            if i == lead && !self.own_commands && line[i..].starts_with(b"::") {
                out.extend_from_slice(self.escaped(b':').as_bytes());
                i += 1;
            } else if line[i..].starts_with(b"##[") {
                out.push(b'#');
                out.extend_from_slice(self.escaped(b'#').as_bytes());
                i += 2;
            } else {
                out.push(line[i]);
                i += 1;
            }
        }
        self.inner.write_all(&out)
    }
}

impl<W: std::io::Write> std::io::Write for CiSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.line.push(b);
            if b == b'\n' {
                self.emit_line()?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.line.is_empty() {
            self.emit_line()?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod ci_tests {
    use super::*;
    use std::io::Write;

    fn safe(text: &str, quoting: Quoting) -> String {
        let mut out = Vec::new();
        let mut w = CiSafe::new(&mut out, quoting);
        w.write_all(text.as_bytes()).unwrap();
        w.flush().unwrap();
        drop(w);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn runner_commands_in_a_report_are_escaped_in_the_formats_own_way() {
        let text = "ok\n::add-mask::x\n  ::stop-commands::y\nsee ##[error]z and ##[cmd]\nno :: here\n";
        assert_eq!(
            safe(text, Quoting::Text),
            "ok\n\\x3a:add-mask::x\n  \\x3a:stop-commands::y\nsee #\\x23[error]z and #\\x23[cmd]\nno :: here\n"
        );
        let json = "{\"message\": \"##[error]x\"}";
        let got = safe(json, Quoting::Json);
        assert_eq!(got, "{\"message\": \"#\\u0023[error]x\"}");
        let v: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert_eq!(v["message"], "##[error]x");
        assert_eq!(safe("<f m=\"##[x]\"/>", Quoting::Xml), "<f m=\"#&#35;[x]\"/>");
        let mut out = Vec::new();
        let mut w = CiSafe::new(&mut out, Quoting::Text).with_own_commands();
        w.write_all(b"::error file=a.md::bad ##[x]\n").unwrap();
        w.flush().unwrap();
        drop(w);
        assert_eq!(String::from_utf8(out).unwrap(), "::error file=a.md::bad #\\x23[x]\n");
    }
}
