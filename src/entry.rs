//! The Q&A entry model: what the Markdown parser extracts, before any policy is applied.
//!
//! Every field carries the [`Span`] it came from, so a schema failure or a wrong output
//! claim can point at the exact heading, paragraph or comment in the Markdown.

use crate::source::Span;
use std::collections::BTreeMap;

/// A piece of text and where it came from.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Text {
    pub text: String,
    pub span: Span,
}

/// One Markdown file, parsed.
#[derive(Clone, Debug, Default)]
pub struct Document {
    /// The entry rule the file was read with.
    pub mode: EntryMode,
    pub front_matter: Option<FrontMatter>,
    /// The `#` title, if any.
    pub title: Option<Text>,
    pub entries: Vec<Entry>,
    /// Headed sections that are not entries (introduction, references, ...).
    pub other_sections: Vec<Text>,
    /// Runnable Python blocks outside every entry (they do not run), in order.
    pub outside_blocks: Vec<Span>,
    /// `<!-- qa-lint-disable... -->` comments.
    pub suppressions: Vec<Suppression>,
    /// Problems found while parsing (unterminated fences, bad directives, bad front matter).
    pub problems: Vec<crate::diagnostic::Diagnostic>,
}

#[derive(Clone, Debug)]
pub struct FrontMatter {
    pub value: serde_json::Value,
    pub span: Span,
}

/// A `##` heading that asks a question, and everything up to the next `##` (or `#`).
#[derive(Clone, Debug, Default)]
pub struct Entry {
    /// The leading number of `## 3. What is ...?`.
    pub number: Option<u64>,
    /// The question, without its number.
    pub title: Text,
    /// The whole heading line.
    pub heading_span: Span,
    /// From the heading to the end of the entry.
    pub span: Span,
    pub short_answer: Option<ShortAnswer>,
    pub sections: Vec<Section>,
    /// Paragraphs and list items of the body, in order (the short answer excluded).
    pub paragraphs: Vec<Paragraph>,
    pub blocks: Vec<CodeBlock>,
    pub lists: usize,
    pub tables: usize,
    pub interview_answer: Option<Text>,
}

#[derive(Clone, Debug, Default)]
pub struct ShortAnswer {
    /// The answer, without the "Short answer:" label.
    pub text: String,
    pub span: Span,
    pub paragraphs: usize,
}

/// A `###` (or deeper) heading inside an entry.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Section {
    pub title: String,
    pub level: u8,
    /// `{.tradeoff}` style classes from heading attributes.
    pub classes: Vec<String>,
    #[serde(skip)]
    pub span: Span,
}

/// A paragraph (or list item text) of an entry's body.
#[derive(Clone, Debug, Default)]
pub struct Paragraph {
    pub text: String,
    pub span: Span,
    /// Index into [`Entry::sections`] of the section holding it; `None` before the first.
    pub section: Option<usize>,
    pub in_blockquote: bool,
}

/// A 1-based line of a block's code (line 1 is the first line after the opening fence), as
/// the worker and the claim parser count lines: not a line of the Markdown file. Only
/// [`CodeBlock`] turns it into a file position (a [`Span`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockLine(pub u32);

impl BlockLine {
    pub fn new(line: usize) -> BlockLine {
        BlockLine(u32::try_from(line).unwrap_or(u32::MAX))
    }

    /// Index into the block's lines (and `line_offsets`).
    fn index(self) -> usize {
        (self.0 as usize).saturating_sub(1)
    }
}

/// A byte range of a block's code ([`CodeBlock::code`]), not of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRange(pub std::ops::Range<usize>);

/// A fenced (or indented) code block.
#[derive(Clone, Debug, Default)]
pub struct CodeBlock {
    /// Lower-cased language, "" when none.
    pub lang: String,
    pub info: String,
    /// The whole block, fences included.
    pub span: Span,
    /// Bytes of the opening fence line (```` ```python ````), from `span.start`; 0 for an
    /// indented block.
    pub fence_len: usize,
    pub code: String,
    /// Byte offset in the Markdown of the start of each code line (code line 1 is index 0).
    pub line_offsets: Vec<usize>,
    /// Per code line, how many leading spaces the parser made up (a tab partly eaten by a
    /// list or quote indent becomes spaces that are not in the file): column `c` of the code
    /// line is at `line_offsets[i] + c - line_skips[i]`.
    pub line_skips: Vec<usize>,
    pub directives: Directives,
    pub section: Option<usize>,
    /// The fence was never closed.
    pub unterminated: bool,
    /// Output shown after this (Python) block: an **Output:** label and a plain fence.
    pub expected_output: Option<ExpectedOutput>,
    /// The Python a transcript is for, named by the label above it
    /// (`**Output (Python 3.7):**` then a `>>>` block).
    pub for_python: Option<ForPython>,
}

/// A line a terminal shows before Python's first prompt: the shell command that starts it
/// (`$ python3`, `me@host:~$ python -q`) or the interpreter's banner (`Python 3.12.1 (main,
/// ...)`, `[GCC 12.2.0] on linux`, `Type "help", "copyright", ...`).
fn console_preamble(line: &str) -> bool {
    static PREAMBLE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(concat!(
            r"^(?:\S*[$%#>]\s*)(?:python[0-9.]*|py(?:\s+-[0-9.]+)?)(?:\s+-\S+)*\s*$|",
            r#"^Python [0-9]+\.[0-9]+\S* \(|^\[[^\]]*\] on \w+|^Type "help", "#,
        ))
        .unwrap()
    });
    PREAMBLE.is_match(line.trim_end())
}

impl CodeBlock {
    /// How the block takes part in execution.
    pub fn kind(&self) -> BlockKind {
        // `--8<-- "examples/app.py"` (pymdownx.snippets) and `{!> app.py!}` (mdx_include):
        // the fence shows a file the site generator pastes in when it builds the page. The code is not on the page, so the block
        // is not the reader's code: it is not run (and no claim in it can be placed).
        if self.code.lines().any(|l| {
            let t = l.trim();
            // `--8<-- "app.py"` (pymdownx.snippets), `{!> ../docs_src/app.py!}` (mdx_include)
            t.starts_with("--8<--") || (t.starts_with("{!") && t.ends_with("!}"))
        }) {
            return BlockKind::Other;
        }
        match self.lang.as_str() {
            "python" | "py" | "python3" | "py3" => {
                // A transcript may open with a comment or a title line before its first
                // prompt, or with the terminal it was copied from (`$ python3`, the banner).
                let first = self
                    .code
                    .lines()
                    .map(str::trim_start)
                    .find(|l| !l.is_empty() && !l.starts_with('#') && !console_preamble(l))
                    .unwrap_or("");
                if first.starts_with(">>>") {
                    BlockKind::Session
                } else {
                    BlockKind::Python
                }
            }
            "pycon" => BlockKind::Session,
            _ => BlockKind::Other,
        }
    }

    pub fn is_runnable(&self) -> bool {
        self.kind() != BlockKind::Other && self.directives.skip.is_none()
    }

    /// Span in the Markdown of a code line and a byte column range in that line.
    pub fn line_cols_span(&self, line: BlockLine, cols: std::ops::Range<usize>) -> Span {
        let i = line.index();
        match self.line_offsets.get(i) {
            Some(&start) => {
                let skip = self.line_skips.get(i).copied().unwrap_or(0);
                Span::new(
                    start + cols.start.saturating_sub(skip),
                    start + cols.end.saturating_sub(skip),
                )
            }
            None => self.span,
        }
    }

    /// Span of a whole code line.
    pub fn line_span(&self, line: BlockLine) -> Span {
        let len = self
            .code
            .lines()
            .nth(line.index())
            .map_or(0, |l| l.trim_end_matches('\r').len());
        self.line_cols_span(line, 0..len)
    }

    /// A byte range of `code` -> its span in the Markdown file (mapped line by line, so a
    /// range inside an indented or quoted block lands on the right bytes).
    pub fn range_span(&self, range: &CodeRange) -> Span {
        let to_md = |offset: usize| {
            let line_idx = self.code[..offset.min(self.code.len())].matches('\n').count();
            let line_start = self.code[..offset.min(self.code.len())]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let skip = self.line_skips.get(line_idx).copied().unwrap_or(0);
            self.line_offsets
                .get(line_idx)
                .map_or(self.span.start, |s| s + (offset - line_start).saturating_sub(skip))
        };
        Span::new(to_md(range.0.start), to_md(range.0.end))
    }

    /// The code on a code line without its indentation: where a diagnostic about a
    /// statement points (the whole block when the line is empty).
    pub fn statement_span(&self, line: BlockLine) -> Span {
        let text = self.code.lines().nth(line.index()).unwrap_or("");
        let indent = text.len() - text.trim_start().len();
        let s = self.line_span(line);
        if s.is_empty() {
            self.span
        } else {
            Span::new(s.start + indent, s.end)
        }
    }

    /// The opening fence line of a block (where block-wide problems point).
    pub fn fence_span(&self) -> Span {
        if self.fence_len == 0 {
            let first_code_line = self.line_offsets.first().copied().unwrap_or(self.span.start);
            return Span::new(self.span.start, first_code_line.max(self.span.start));
        }
        Span::new(self.span.start, self.span.start + self.fence_len)
    }
}

/// The Python a shown output is for: ((major, minor), whether newer ones count too).
pub type ForPython = ((u32, u32), bool);

/// How a page says "and every newer Python" after a version (`3.8+`, `3.8 or newer`, `or
/// later`, `and above`): one pattern for every reader of a version.
pub const OR_NEWER: &str = r"\s*(?:\+|(?:or|and)\s+(?:newer|later|above|higher))";

/// What a Python block is shown to print, from the text after it (docs/claims.md).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExpectedOutput {
    pub text: String,
    /// Where the shown output is: the output block's lines, or the value after the label.
    pub span: Span,
    /// The text sits at `span` verbatim, so `--fix` may replace it.
    pub replaceable: bool,
    /// The Python it is shown for: (version, "or newer").
    pub python: Option<ForPython>,
    /// Introduced by a label in no word qa-lint knows (`输出：`, `Salida:`, "The program
    /// prints:"): an output only if the block printed something.
    pub generic_label: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockKind {
    Python,
    Session,
    Other,
}

/// What the author asked of a block, from its info string or an HTML comment before it.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Directives {
    /// `skip`, with its reason ("" when none was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub compile_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// `requires="3.12"`: the oldest Python the block runs on; older ones skip it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_python: Option<(u32, u32)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixtures: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fresh: bool,
    /// Sandbox opt-outs for this block's entry: `allow-network`, `allow-subprocess`, `allow-writes`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// `file=NAME` on a non-Python block: its contents become NAME in the working dir.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Other `key=value` attributes, kept for schema rules.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub other: BTreeMap<String, String>,
    /// mkdocs' `title="shapes.py"`: a caption for other tools, which may name the file the
    /// block is (markdown/file_blocks.rs); not a directive, so not in the entry's document.
    #[serde(skip)]
    pub title: Option<String>,
}

impl Directives {
    /// Add what `other` says where `self` says nothing (the info string wins over a comment).
    pub fn merge_from(&mut self, other: Directives) {
        self.skip = self.skip.take().or(other.skip);
        self.compile_only |= other.compile_only;
        self.fresh |= other.fresh;
        self.timeout_secs = self.timeout_secs.or(other.timeout_secs);
        self.requires.extend(other.requires);
        self.min_python = self.min_python.or(other.min_python);
        self.fixtures.extend(other.fixtures);
        self.allow.extend(other.allow);
        self.file = self.file.take().or(other.file);
        for (k, v) in other.other {
            self.other.entry(k).or_insert(v);
        }
    }
}

/// An inline suppression comment.
#[derive(Clone, Debug)]
pub struct Suppression {
    pub scope: SuppressionScope,
    /// Rule names; empty means every rule.
    pub rules: Vec<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SuppressionScope {
    /// Diagnostics starting in this span (the next line, or the whole next block).
    Range(Span),
    File,
}

/// Which sections of a file are entries (docs/format.md#the-entry-rule).
#[derive(Clone, Copy, Debug, Default, serde::Deserialize, serde::Serialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum EntryMode {
    /// Question headings are entries; the Q&A structure rules apply.
    #[default]
    Qa,
    /// Every section is an entry whose code runs; only the sections schema applies.
    Sections,
}

impl EntryMode {
    pub fn parse(s: &str) -> Option<EntryMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "qa" => Some(EntryMode::Qa),
            "sections" => Some(EntryMode::Sections),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{console_preamble, BlockLine, CodeRange};

    #[test]
    fn a_terminal_before_the_first_prompt_is_a_preamble() {
        for line in [
            "$ python3",
            "me@box:~$ python",
            "C:\\Users\\me> py -3.12",
            "Python 3.12.1 (main, Jan  1 2024, 00:00:00) [GCC 12.2.0] on linux",
            "[Clang 11.0.0 (clang-1100.0.33.8)] on darwin",
            "Type \"help\", \"copyright\", \"credits\" or \"license\" for more information.",
        ] {
            assert!(console_preamble(line), "{line}");
        }
        for line in [
            "python_version = 3",
            "$ pip install requests",
            "print('Python 3.12 (new)')",
            "x = 1",
        ] {
            assert!(!console_preamble(line), "{line}");
        }
    }

    /// The one home of block <-> file positions: a block indented under a list item (its
    /// lines shifted by the item's indentation) maps each way onto the right bytes.
    #[test]
    fn a_block_maps_its_lines_and_ranges_onto_the_file() {
        use crate::config::Dialect;
        let text = "# T\n\n## 1. Q?\n\n- item\n\n  ```python\n  if True:\n      x = 1  # 2\n  ```\n";
        let file = crate::source::SourceFile::new("a.md".into(), text);
        let doc = crate::markdown::parse(&file, super::EntryMode::Qa, Dialect::Auto);
        let block = &doc.entries[0].blocks[0];
        assert_eq!(block.code, "if True:\n    x = 1  # 2\n");
        let at = |s: crate::source::Span| &text[s.start..s.end];
        assert_eq!(at(block.line_span(BlockLine(2))), "    x = 1  # 2");
        assert_eq!(at(block.statement_span(BlockLine(2))), "x = 1  # 2");
        assert_eq!(at(block.line_cols_span(BlockLine(2), 4..9)), "x = 1");
        let claim = block.code.find("# 2").unwrap();
        assert_eq!(at(block.range_span(&CodeRange(claim..claim + 3))), "# 2");
        assert_eq!(at(block.fence_span()), "```python");
        assert_eq!(block.span.start, text.find("```").unwrap());
    }
}
