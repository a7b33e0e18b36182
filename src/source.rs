//! Reading a Markdown file into text, and turning byte offsets into the line:column a user sees.
//!
//! Every span in qa-lint is a byte range into [`SourceFile::text`], which is the file's
//! contents with a UTF-8 BOM removed (the BOM is invisible to an author, so it must not
//! shift columns). Columns count characters, not bytes, so `é` is one column.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A byte range into a [`SourceFile`]'s text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Self {
        Span::new(r.start, r.end)
    }
}

/// A 1-based line and column (columns count characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// A file that was read and decoded. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as the user gave it (or as discovery produced it), used in every report.
    pub path: PathBuf,
    pub text: Arc<str>,
    /// Byte offset of the start of every line.
    line_starts: Arc<[usize]>,
}

/// Why a file could not be turned into text. Each becomes an `unreadable-file` diagnostic.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// Invalid UTF-8: the byte offset, line and column of the first bad byte.
    NotUtf8 {
        offset: usize,
        line: usize,
        column: usize,
    },
    /// A NUL byte: this is binary content with a Markdown name.
    Binary {
        offset: usize,
    },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "cannot read file: {e}"),
            ReadError::NotUtf8 { offset, line, column } => write!(
                f,
                "file is not valid UTF-8: first bad byte at offset {offset} (line {line}, column {column})"
            ),
            ReadError::Binary { offset } => {
                write!(f, "file looks binary: NUL byte at offset {offset}")
            }
        }
    }
}

/// The UTF-8 byte order mark some editors write; it is not part of the text.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `bytes` without a leading byte order mark: the one place that knows what a BOM looks like
/// (reading, `--fix`, merged reports and the editor's positions all strip it here).
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

impl SourceFile {
    pub fn read(path: &Path) -> Result<SourceFile, ReadError> {
        let bytes = std::fs::read(path).map_err(ReadError::Io)?;
        Self::from_bytes(path.to_path_buf(), &bytes)
    }

    pub fn from_bytes(path: PathBuf, bytes: &[u8]) -> Result<SourceFile, ReadError> {
        let bytes = strip_bom(bytes);
        // Binary sniff: a NUL byte in the first 8 KiB, like git and ripgrep do.
        if let Some(offset) = bytes.iter().take(8192).position(|&b| b == 0) {
            return Err(ReadError::Binary { offset });
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(SourceFile::new(path, text)),
            Err(e) => {
                let offset = e.valid_up_to();
                let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
                let line = valid.matches('\n').count() + 1;
                let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
                let column = valid[line_start..].chars().count() + 1;
                Err(ReadError::NotUtf8 { offset, line, column })
            }
        }
    }

    pub fn new(path: PathBuf, text: &str) -> SourceFile {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            path,
            text: Arc::from(text),
            line_starts: starts.into(),
        }
    }

    /// 1-based line and character column of a byte offset (clamped into the text).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = self.floor_char_boundary(offset.min(self.text.len()));
        let line_idx = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line_idx];
        LineCol {
            line: line_idx + 1,
            column: self.text[start..offset].chars().count() + 1,
        }
    }

    /// Byte offset where 1-based `line` starts (the end of the text past the last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }

    /// The span of a 1-based line, without its line terminator (`\n` or `\r\n`).
    pub fn line_span(&self, line: usize) -> Span {
        let start = self.line_start(line);
        let end = self.line_starts.get(line).map_or(self.text.len(), |&next| next - 1);
        let end = if end > start && self.text.as_bytes().get(end - 1) == Some(&b'\r') {
            end - 1
        } else {
            end
        };
        Span::new(start, end.max(start))
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    pub fn display_path(&self) -> String {
        self.path.display().to_string()
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        while offset > 0 && !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_chars_and_ignore_bom_and_crlf() {
        let f = SourceFile::from_bytes("a.md".into(), b"\xEF\xBB\xBF# T\r\n\xC3\xA9x\r\n").unwrap();
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        let x = f.text.find('x').unwrap();
        assert_eq!(f.line_col(x), LineCol { line: 2, column: 2 });
        assert_eq!(&f.text[f.line_span(1).start..f.line_span(1).end], "# T");
    }

    #[test]
    fn reports_first_bad_utf8_byte() {
        let e = SourceFile::from_bytes("a.md".into(), b"ok\nab\xFFc").unwrap_err();
        assert!(matches!(
            e,
            ReadError::NotUtf8 {
                offset: 5,
                line: 2,
                column: 3
            }
        ));
    }
}
