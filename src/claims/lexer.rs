//! A deliberately small Python lexer: just enough to find real `#` comments.
//!
//! A full tokenizer is not needed (the block is executed by CPython, which
//! reports real syntax errors); what matters here is never mistaking a `#`
//! inside a string (plain, byte, raw, f-string, triple-quoted across lines)
//! for a comment, and knowing which physical lines belong to one logical line
//! (open brackets, backslash continuations, multi-line strings), so that a
//! claim is attached to the statement it talks about.
//!
//! Everything works on bytes: every byte this lexer cares about is ASCII, and
//! UTF-8 never uses ASCII byte values inside multi-byte sequences, so offsets
//! stay exact and always fall on character boundaries.

/// What a physical line holds, once strings and brackets are accounted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Only whitespace.
    Blank,
    /// Whitespace then a real comment (and nothing else).
    CommentOnly,
    /// Anything else, including a line that starts inside a string or brackets.
    Code,
}

/// One physical line of the block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInfo {
    /// 1-based line number.
    pub number: usize,
    /// Byte offset of the first byte of the line.
    pub start: usize,
    /// Byte offset just past the line's content (before `\r\n` / `\n`).
    pub end: usize,
    pub kind: LineKind,
    /// Bytes of leading spaces/tabs.
    pub indent: usize,
    /// The line begins inside an open bracket, a string or after a backslash
    /// continuation: it is not the start of a logical line.
    pub inside: bool,
    /// 1-based number of the first physical line of the logical line.
    pub logical_start: usize,
    /// The logical line goes on onto the next physical line.
    pub continues: bool,
    /// Byte offset just past the code on this line (trailing comment and
    /// whitespace excluded); equals `start + indent` on non-code lines.
    pub code_end: usize,
}

/// A real comment, from `#` to the end of its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of the `#`.
    pub start: usize,
    /// Byte offset just past the comment (before `\r\n` / `\n`).
    pub end: usize,
    /// 1-based line number.
    pub line: usize,
    /// Byte column of the `#` (0-based).
    pub column: usize,
    /// Code precedes the comment on its line.
    pub trailing: bool,
}

/// Result of [`scan`].
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub lines: Vec<LineInfo>,
    pub comments: Vec<Comment>,
}

impl Scan {
    /// The line with 1-based number `n`.
    pub fn line(&self, n: usize) -> Option<&LineInfo> {
        n.checked_sub(1).and_then(|i| self.lines.get(i))
    }

    /// The comment starting on line `n`, if any.
    pub fn comment_on(&self, n: usize) -> Option<&Comment> {
        self.comments.iter().find(|c| c.line == n)
    }
}

struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
    /// Index (0-based) of the current line.
    line: usize,
    /// `inside` flag for each line start (index 0 is always false).
    inside: Vec<bool>,
    /// Offset of the last code byte seen on each line, plus one.
    code_end: Vec<Option<usize>>,
    comments: Vec<Comment>,
    line_start: usize,
    /// Start offset of each line seen so far.
    line_starts: Vec<usize>,
}

/// Scan a Python block: its lines and its real comments.
pub fn scan(source: &str) -> Scan {
    let b = source.as_bytes();
    let mut lx = Lexer {
        b,
        i: 0,
        depth: 0,
        line: 0,
        inside: vec![false],
        code_end: vec![None],
        comments: Vec::new(),
        line_start: 0,
        line_starts: vec![0],
    };
    lx.run();
    lx.finish(source)
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    /// Called with `self.i` on a `\n`; moves past it. `inside` tells whether
    /// the next line starts inside a construct.
    fn newline(&mut self, inside: bool) {
        self.i += 1;
        self.line += 1;
        self.line_start = self.i;
        self.line_starts.push(self.i);
        self.inside.push(inside);
        self.code_end.push(None);
    }

    fn mark_code(&mut self, end: usize) {
        self.code_end[self.line] = Some(end);
    }

    fn run(&mut self) {
        let mut backslash = false;
        while let Some(c) = self.peek(0) {
            match c {
                b'\n' => {
                    let inside = self.depth > 0 || backslash;
                    backslash = false;
                    self.newline(inside);
                }
                b'#' => {
                    let start = self.i;
                    while !matches!(self.peek(0), None | Some(b'\n')) {
                        self.i += 1;
                    }
                    let mut end = self.i;
                    if end > start && self.b[end - 1] == b'\r' {
                        end -= 1;
                    }
                    let trailing = self.code_end[self.line].is_some();
                    self.comments.push(Comment {
                        start,
                        end,
                        line: self.line + 1,
                        column: start - self.line_start,
                        trailing,
                    });
                }
                b'\\'
                    if matches!(self.peek(1), Some(b'\n'))
                        || (self.peek(1) == Some(b'\r') && self.peek(2) == Some(b'\n')) =>
                {
                    backslash = true;
                    self.i += if self.peek(1) == Some(b'\r') { 2 } else { 1 };
                }
                b'\'' | b'"' => {
                    let start = self.i;
                    self.string(false);
                    self.mark_code_span(start);
                }
                b'(' | b'[' | b'{' => {
                    self.depth += 1;
                    self.i += 1;
                    self.mark_code(self.i);
                }
                b')' | b']' | b'}' => {
                    self.depth = self.depth.saturating_sub(1);
                    self.i += 1;
                    self.mark_code(self.i);
                }
                b' ' | b'\t' | b'\r' | b'\x0c' => self.i += 1,
                c if is_ident_byte(c) => {
                    let start = self.i;
                    while self.peek(0).is_some_and(is_ident_byte) {
                        self.i += 1;
                    }
                    let word = &self.b[start..self.i];
                    let is_prefix = word.len() <= 2
                        && word.iter().all(|c| b"rRbBuUfFtT".contains(c))
                        && matches!(self.peek(0), Some(b'\'' | b'"'));
                    if is_prefix {
                        let f = word.iter().any(|c| matches!(c, b'f' | b'F' | b't' | b'T'));
                        self.string(f);
                    }
                    self.mark_code_span(start);
                }
                _ => {
                    self.i += 1;
                    self.mark_code(self.i);
                }
            }
        }
    }

    /// Marks code on the current line after a token that started at `start`;
    /// a string may have ended on a later line than it started, and then the
    /// line it started on holds code up to its end.
    fn mark_code_span(&mut self, start: usize) {
        self.mark_code(self.i);
        if start < self.line_start {
            let l0 = self.line_starts.partition_point(|&s| s <= start) - 1;
            self.code_end[l0] = Some(self.line_starts[l0 + 1] - 1);
        }
    }

    /// Consumes a string literal; `self.i` is on its opening quote.
    fn string(&mut self, fstring: bool) {
        let q = self.b[self.i];
        let triple = self.peek(1) == Some(q) && self.peek(2) == Some(q);
        self.i += if triple { 3 } else { 1 };
        loop {
            let Some(c) = self.peek(0) else { return };
            match c {
                b'\\' => {
                    self.i += 1;
                    match self.peek(0) {
                        Some(b'\n') => self.newline(true),
                        Some(b'\r') if self.peek(1) == Some(b'\n') => {
                            self.i += 1;
                            self.newline(true);
                        }
                        Some(_) => self.i += 1,
                        None => return,
                    }
                }
                b'\n' if triple => self.newline(true),
                // An unterminated single-quoted string ends at the newline
                // (CPython reports the error; we just recover).
                b'\n' => return,
                c if c == q => {
                    if !triple {
                        self.i += 1;
                        return;
                    }
                    if self.peek(1) == Some(q) && self.peek(2) == Some(q) {
                        self.i += 3;
                        return;
                    }
                    self.i += 1;
                }
                b'{' if fstring => {
                    if self.peek(1) == Some(b'{') {
                        self.i += 2;
                    } else {
                        self.i += 1;
                        self.fexpr(triple);
                    }
                }
                _ => self.i += 1,
            }
        }
    }

    /// Consumes an f-string replacement field after its `{`, through the
    /// matching `}`. Nested strings (any quote, PEP 701) and brackets are
    /// followed; a `#` in here is never a comment.
    fn fexpr(&mut self, triple: bool) {
        let mut depth = 0usize;
        let mut spec = false;
        while let Some(c) = self.peek(0) {
            match c {
                b'\n' if triple || depth > 0 => self.newline(true),
                b'\n' => return,
                b'\'' | b'"' if !spec => self.string(false),
                b'{' if spec => {
                    self.i += 1;
                    self.fexpr(triple);
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    self.i += 1;
                }
                b'}' if depth == 0 => {
                    self.i += 1;
                    return;
                }
                b')' | b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    self.i += 1;
                }
                b':' if depth == 0 => {
                    spec = true;
                    self.i += 1;
                }
                c if !spec && is_ident_byte(c) => {
                    let start = self.i;
                    while self.peek(0).is_some_and(is_ident_byte) {
                        self.i += 1;
                    }
                    let word = &self.b[start..self.i];
                    if word.len() <= 2
                        && word.iter().all(|c| b"rRbBuUfFtT".contains(c))
                        && matches!(self.peek(0), Some(b'\'' | b'"'))
                    {
                        let f = word.iter().any(|c| matches!(c, b'f' | b'F' | b't' | b'T'));
                        self.string(f);
                    }
                }
                _ => self.i += 1,
            }
        }
    }

    fn finish(self, source: &str) -> Scan {
        let b = source.as_bytes();
        let mut lines = Vec::with_capacity(self.inside.len());
        let mut start = 0usize;
        for (idx, &inside) in self.inside.iter().enumerate() {
            let nl = b[start..].iter().position(|&c| c == b'\n');
            let raw_end = nl.map_or(b.len(), |p| start + p);
            let end = if raw_end > start && b[raw_end - 1] == b'\r' {
                raw_end - 1
            } else {
                raw_end
            };
            let text = &b[start..end];
            let indent = text.iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
            let number = idx + 1;
            let comment = self.comments.iter().find(|c| c.line == number);
            let kind = if inside || self.code_end[idx].is_some() {
                LineKind::Code
            } else if comment.is_some() {
                LineKind::CommentOnly
            } else {
                LineKind::Blank
            };
            let code_end = self.code_end[idx].map_or(start + indent, |e| e.clamp(start, end));
            lines.push(LineInfo {
                number,
                start,
                end,
                kind,
                indent,
                inside,
                logical_start: number,
                continues: false,
                code_end,
            });
            start = raw_end + 1;
        }
        for k in 0..lines.len() {
            if lines[k].inside && k > 0 {
                lines[k].logical_start = lines[k - 1].logical_start;
                lines[k - 1].continues = true;
            }
        }
        Scan {
            lines,
            comments: self.comments,
        }
    }
}

#[cfg(test)]
#[path = "lexer_tests.rs"]
mod tests;
