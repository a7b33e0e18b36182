//! Byte offsets <-> LSP positions. qa-lint's spans are byte offsets into the text without its
//! BOM; LSP positions are a line and a column in UTF-16 code units (the protocol's default
//! encoding, which every client supports), so both directions go through the editor's text.

use crate::source::Span;
use lsp_types::{Position, Range};

pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of the start of every line.
    starts: Vec<usize>,
    /// Bytes of a leading BOM: qa-lint's offsets start after it.
    bom: usize,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let bom = text.len() - crate::source::strip_bom(text.as_bytes()).len();
        LineIndex { text, starts, bom }
    }

    /// A qa-lint offset as an LSP position (clamped into the text, never inside a character).
    pub fn position(&self, offset: usize) -> Position {
        let mut off = (offset + self.bom).min(self.text.len());
        while !self.text.is_char_boundary(off) {
            off -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= off) - 1;
        let character = self.text[self.starts[line]..off].encode_utf16().count();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, span: Span) -> Range {
        Range::new(self.position(span.start), self.position(span.end))
    }

    /// An LSP position as a qa-lint offset (a column past the end of its line is the line's end).
    pub fn offset(&self, pos: Position) -> usize {
        let line = (pos.line as usize).min(self.starts.len() - 1);
        let start = self.starts[line];
        let end = self.starts.get(line + 1).map_or(self.text.len(), |&e| e - 1);
        let mut units = 0;
        let mut off = start;
        for c in self.text[start..end].chars() {
            if units >= pos.character as usize {
                break;
            }
            units += c.len_utf16();
            off += c.len_utf8();
        }
        off.saturating_sub(self.bom)
    }

    /// The text of a 0-based line, without its line ending.
    pub fn line_text(&self, line: usize) -> &'a str {
        let Some(&start) = self.starts.get(line) else {
            return "";
        };
        let end = self.starts.get(line + 1).map_or(self.text.len(), |&e| e - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    /// Whether the text's lines end in CRLF (inserted lines then do too).
    pub fn crlf(&self) -> bool {
        self.text.contains("\r\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_and_back() {
        let text = "a\n𝄞é = 1  # 2\n";
        let idx = LineIndex::new(text);
        let off = text.find('=').unwrap();
        // 𝄞 is two UTF-16 units, é one.
        assert_eq!(idx.position(off), Position::new(1, 4));
        assert_eq!(idx.offset(Position::new(1, 4)), off);
        assert_eq!(idx.offset(Position::new(1, 999)), text.len() - 1);
        assert_eq!(idx.position(10_000), Position::new(2, 0));
    }

    #[test]
    fn bom_is_not_counted_in_offsets() {
        let text = "\u{FEFF}x\ny";
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(2), Position::new(1, 0));
        assert_eq!(idx.offset(Position::new(1, 0)), 2);
    }
}
