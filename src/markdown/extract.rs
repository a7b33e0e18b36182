//! The event walk that turns pulldown-cmark events into a file's sections.
//!
//! Every heading starts a flat *raw section* (and the text before the first heading is one
//! too); which of them are entries, and which are subsections of an entry, is decided for
//! the whole file afterwards by [`super::entry_rule`].

use super::directives::{self, Comment};
use super::entry_rule::{self, split_number, RawSection};
use super::mkdocs;
use super::output_blocks::{self, After};
use crate::config::{Dialect, EntryMode};
use crate::entry::*;
use crate::rules::parse as rules;
use crate::source::Span;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::ops::Range;

const SHORT_LABEL: &str = "short answer:";

struct Walker<'a> {
    text: &'a str,
    doc: Document,
    /// Finished sections, in order; the entry rule runs over them at the end.
    raws: Vec<RawSection>,
    /// The section being filled (the text before the first heading at first).
    current: RawSection,
    heading: Option<(HeadingLevel, usize, String, Vec<String>)>,
    /// Text of the paragraph or tight list item being collected, and where it started.
    para: Option<(String, usize)>,
    /// Where the current paragraph's text has a soft line break (written as a space).
    para_breaks: Vec<usize>,
    quote_depth: usize,
    /// Paragraph that holds a bare "Short answer:" label: the next paragraph is the answer.
    short_pending: bool,
    /// Depth of the blockquote the short answer sits in, to count its paragraphs.
    short_quote: Option<usize>,
    code: Option<CodeBlock>,
    html: Option<(String, usize)>,
    pending_directives: Option<(Directives, Span)>,
    pending_suppressions: Vec<(Vec<String>, Span)>,
    list_depth: usize,
    /// Deep nesting was already reported for this file.
    nesting_reported: bool,
    /// What the last element of the section was, to link shown output to its code.
    after: After,
    /// Where the parsed text starts in the file (after front matter).
    base: usize,
    /// The `mkdocs` dialect parses de-indented text; this maps it back to the file.
    dedent: Option<&'a mkdocs::Dedented>,
}

/// Deeper than this, nesting is reported: no real answer needs it, and generated or broken
/// Markdown does (pulldown-cmark itself copes with any depth).
const MAX_NESTING: usize = 100;

fn preamble(base: usize) -> RawSection {
    let at = Span::new(base, base);
    RawSection {
        level: 0,
        marker: false,
        classes: Vec::new(),
        entry: Entry {
            title: Text {
                text: String::new(),
                span: at,
            },
            heading_span: at,
            span: at,
            ..Entry::default()
        },
    }
}

/// Parse `text` from byte `base` (after any front matter) and apply the entry rule of `mode`.
pub fn extract(text: &str, base: usize, mode: EntryMode, dialect: Dialect) -> Document {
    let mkdocs = match dialect {
        Dialect::Mkdocs => true,
        Dialect::Commonmark => false,
        Dialect::Auto => mkdocs::uses_containers(&text[base..]),
    };
    let dedent = mkdocs.then(|| mkdocs::Dedented::new(&text[base..]));
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut w = Walker {
        text,
        doc: Document::default(),
        raws: Vec::new(),
        current: preamble(base),
        heading: None,
        para: None,
        para_breaks: Vec::new(),
        quote_depth: 0,
        short_pending: false,
        short_quote: None,
        code: None,
        html: None,
        pending_directives: None,
        pending_suppressions: Vec::new(),
        list_depth: 0,
        nesting_reported: false,
        after: After::Nothing,
        base,
        dedent: dedent.as_ref(),
    };
    let parsed = match &dedent {
        Some(d) => d.text.as_str(),
        None => &text[base..],
    };
    for (event, range) in Parser::new_ext(parsed, opts).into_offset_iter() {
        w.event(event, range);
    }
    w.finish_section(text.len());
    let assembled = entry_rule::assemble(std::mem::take(&mut w.raws), mode);
    let mut doc = w.doc;
    doc.entries = assembled.entries;
    doc.other_sections = assembled.other_sections;
    doc.outside_blocks = assembled
        .outside
        .iter()
        .flat_map(|e| &e.blocks)
        .filter(|b| b.is_runnable() && !b.unterminated && !b.directives.compile_only)
        .map(|b| b.span)
        .collect();
    doc
}

impl<'a> Walker<'a> {
    /// The file offset of byte `parsed` of the text the parser sees.
    fn at(&self, parsed: usize) -> usize {
        self.base + self.dedent.as_ref().map_or(parsed, |d| d.original(parsed))
    }

    fn event(&mut self, event: Event<'_>, parsed: Range<usize>) {
        let range = self.at(parsed.start)..self.at(parsed.end).max(self.at(parsed.start));
        match event {
            Event::Start(tag) => self.start(tag, range),
            Event::End(tag) => self.end(tag, range),
            Event::Text(t) => self.text(&t, parsed.start),
            Event::Code(t) => self.push_text(&t),
            Event::SoftBreak => {
                if let Some((buf, _)) = &self.para {
                    if self.heading.is_none() {
                        self.para_breaks.push(buf.len());
                    }
                }
                self.push_text(" ")
            }
            Event::HardBreak => self.push_text("\n"),
            Event::Html(h) => match &mut self.html {
                Some((buf, _)) => buf.push_str(&h),
                None => self.html_comment(&h, range),
            },
            Event::InlineHtml(h) => self.html_comment(&h, range),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>, range: Range<usize>) {
        let block_level = matches!(
            tag,
            Tag::Paragraph
                | Tag::Heading { .. }
                | Tag::CodeBlock(_)
                | Tag::List(_)
                | Tag::BlockQuote(_)
                | Tag::Table(_)
        );
        if block_level && !matches!(tag, Tag::BlockQuote(_)) {
            for (rules, comment) in std::mem::take(&mut self.pending_suppressions) {
                self.doc.suppressions.push(Suppression {
                    scope: SuppressionScope::Range(Span::new(comment.start, range.end)),
                    rules,
                    span: comment,
                });
            }
        }
        match tag {
            Tag::Heading { level, classes, .. } => {
                let classes = classes.iter().map(|c| c.to_string()).collect();
                self.heading = Some((level, range.start, String::new(), classes));
            }
            Tag::Paragraph if self.para.is_none() => {
                self.para = Some((String::new(), range.start));
                self.para_breaks.clear();
            }
            Tag::Item => {
                self.para = Some((String::new(), range.start));
                self.para_breaks.clear();
            }
            Tag::BlockQuote(_) => {
                self.quote_depth += 1;
                self.check_nesting(self.quote_depth, "block quotes", &range);
            }
            Tag::List(_) => {
                self.after = After::Nothing;
                self.list_depth += 1;
                self.check_nesting(self.list_depth, "lists", &range);
                self.current.entry.lists += 1;
            }
            Tag::Table(_) => {
                self.after = After::Nothing;
                self.current.entry.tables += 1;
            }
            Tag::HtmlBlock => self.html = Some((String::new(), range.start)),
            Tag::CodeBlock(kind) => self.start_code(kind, range),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd, range: Range<usize>) {
        match tag {
            TagEnd::Heading(level) => self.end_heading(level, range),
            TagEnd::Paragraph => self.end_paragraph(range),
            TagEnd::Item => {
                // Tight list items carry text without a paragraph.
                if let Some((text, start)) = self.para.take() {
                    if !text.trim().is_empty() {
                        self.add_paragraph(text, Span::new(start, range.end));
                    }
                }
            }
            TagEnd::List(_) => self.list_depth = self.list_depth.saturating_sub(1),
            TagEnd::BlockQuote(_) => {
                self.quote_depth = self.quote_depth.saturating_sub(1);
                if self.short_quote.is_some_and(|d| d > self.quote_depth) {
                    self.short_quote = None;
                }
            }
            TagEnd::HtmlBlock => {
                if let Some((html, start)) = self.html.take() {
                    self.html_comment(&html, start..range.end);
                }
            }
            TagEnd::CodeBlock => self.end_code(range),
            _ => {}
        }
    }

    fn check_nesting(&mut self, depth: usize, what: &str, range: &Range<usize>) {
        if depth > MAX_NESTING && !self.nesting_reported {
            self.nesting_reported = true;
            let line_end = self.text[range.start..]
                .find('\n')
                .map_or(self.text.len(), |i| range.start + i);
            let span = Span::new(range.start, floor_boundary(self.text, line_end.min(range.start + 200)));
            self.doc
                .problems
                .push(rules::excessive_nesting(span, what, MAX_NESTING, depth));
        }
    }

    fn text(&mut self, t: &str, parsed_start: usize) {
        let (base, dedent) = (self.base, self.dedent);
        if let Some(block) = &mut self.code {
            // Inside containers each code line is its own event; record every line start.
            let mut parsed = parsed_start;
            for piece in t.split_inclusive('\n') {
                let offset = base + dedent.map_or(parsed, |d| d.original(parsed));
                let mut skip = 0;
                if block.code.is_empty() || block.code.ends_with('\n') {
                    // Leading spaces the parser synthesised from a tab are not in the file.
                    let source = &self.text[offset.min(self.text.len())..];
                    let body = piece.trim_end_matches(['\n', '\r']);
                    while skip < body.len() && body.as_bytes()[skip] == b' ' && !source.starts_with(&body[skip..]) {
                        skip += 1;
                    }
                    if !source.starts_with(&body[skip..]) {
                        skip = 0;
                    }
                    block.line_offsets.push(offset);
                    block.line_skips.push(skip);
                }
                block.code.push_str(piece);
                parsed += piece.len() - skip;
            }
            return;
        }
        self.push_text(t);
    }

    fn push_text(&mut self, t: &str) {
        if let Some((_, _, buf, _)) = &mut self.heading {
            buf.push_str(t);
        } else if let Some((buf, _)) = &mut self.para {
            buf.push_str(t);
        }
    }

    fn end_heading(&mut self, level: HeadingLevel, range: Range<usize>) {
        let Some((_, start, title, classes)) = self.heading.take() else {
            return;
        };
        let span = Span::new(start, range.end);
        let title = title.trim().to_string();
        self.pending_directives = None;
        self.finish_section(start);
        if level == HeadingLevel::H1 && self.doc.title.is_none() {
            self.doc.title = Some(Text {
                text: title.clone(),
                span,
            });
        }
        let (number, marker, question) = split_number(&title);
        let title_start = span.start
            + self.text[span.start..span.end]
                .find(question.get(..1).unwrap_or(""))
                .unwrap_or(0);
        self.current = RawSection {
            level: level as u8,
            marker,
            classes,
            entry: Entry {
                number,
                title: Text {
                    text: question.to_string(),
                    span: Span::new(title_start.min(span.end), self.heading_text_end(span)),
                },
                heading_span: span,
                span,
                ..Entry::default()
            },
        };
        self.short_pending = false;
    }

    /// End of the heading's visible text: before trailing `{...}` attributes and `#`s.
    fn heading_text_end(&self, span: Span) -> usize {
        let line = &self.text[span.start..span.end];
        let mut t = line.trim_end();
        if t.ends_with('}') {
            if let Some(i) = t.rfind('{') {
                t = t[..i].trim_end();
            }
        }
        span.start + t.trim_end_matches('#').trim_end().len()
    }

    fn end_paragraph(&mut self, range: Range<usize>) {
        let Some((text, start)) = self.para.take() else {
            return;
        };
        let span = Span::new(start, range.end);
        self.add_paragraph(text, span);
    }

    fn add_paragraph(&mut self, text: String, span: Span) {
        // `### **Question:**` (or a bare `## Q.`) with the question in the paragraph below it:
        // that paragraph is the entry's title.
        let e = &mut self.current.entry;
        if self.current.marker && e.title.text.is_empty() && e.blocks.is_empty() && self.quote_depth == 0 {
            let question = text.lines().next().unwrap_or("").trim();
            if !question.is_empty() {
                e.title = Text {
                    text: question.to_string(),
                    span,
                };
                return;
            }
        }
        // The label reads its lines as written: `**Output:**` then prose on the next line is
        // a heading for what follows, not output written on the label's line.
        let breaks = std::mem::take(&mut self.para_breaks);
        let mut lines = std::borrow::Cow::Borrowed(text.as_str());
        for at in breaks {
            if lines.is_char_boundary(at) && lines[at..].starts_with(' ') {
                lines.to_mut().replace_range(at..at + 1, "\n");
            }
        }
        self.after = match (std::mem::take(&mut self.after), output_blocks::label(&lines)) {
            (After::Python(python), Some((version, ""))) => After::Label {
                python,
                version,
                generic: false,
            },
            (After::Python(python), None) if output_blocks::generic_label(&text) => After::Label {
                python,
                version: None,
                generic: true,
            },
            (After::Python(python), Some((version, value))) => {
                if let Some(code) = self.current.entry.blocks.get_mut(python) {
                    code.expected_output = Some(output_blocks::inline(value, span, self.text, version));
                }
                After::Nothing
            }
            // A version label with no Python block above it: it may still head a transcript.
            (_, Some((Some(version), ""))) => After::VersionLabel(version),
            _ => After::Nothing,
        };
        let quote = self.quote_depth;
        let e = &mut self.current.entry;
        let trimmed = text.trim();
        if e.short_answer.is_none() && trimmed.to_ascii_lowercase().starts_with(SHORT_LABEL) {
            let answer = trimmed[SHORT_LABEL.len()..].trim().to_string();
            self.short_pending = answer.is_empty();
            self.short_quote = (quote > 0).then_some(quote);
            e.short_answer = Some(ShortAnswer {
                text: answer,
                span,
                paragraphs: 1,
            });
            return;
        }
        if let Some(sa) = &mut e.short_answer {
            if self.short_pending {
                self.short_pending = false;
                sa.text = trimmed.to_string();
                sa.span = Span::new(sa.span.start, span.end);
                return;
            }
            if self.short_quote.is_some_and(|d| d == quote) {
                sa.paragraphs += 1;
                sa.text.push_str("\n\n");
                sa.text.push_str(trimmed);
                sa.span = Span::new(sa.span.start, span.end);
                return;
            }
        }
        e.paragraphs.push(Paragraph {
            text: trimmed.to_string(),
            span,
            section: None,
            in_blockquote: quote > 0,
        });
    }

    fn start_code(&mut self, kind: CodeBlockKind<'_>, range: Range<usize>) {
        let info = match &kind {
            CodeBlockKind::Fenced(info) => info.to_string(),
            CodeBlockKind::Indented => String::new(),
        };
        let (lang, mut d, unknown) = directives::parse_info(&info);
        if let Some((pending, _)) = self.pending_directives.take() {
            d.merge_from(pending);
        }
        if !unknown.is_empty() {
            let fence_line = self.text[range.start..].lines().next().unwrap_or("");
            let span = Span::new(range.start, range.start + fence_line.len());
            self.doc.problems.push(rules::unknown_fence_directive(span, &unknown));
        }
        let unterminated = matches!(kind, CodeBlockKind::Fenced(_)) && !fence_closed(&self.text[range.clone()]);
        let fence_len = match kind {
            CodeBlockKind::Fenced(_) => self.text[range.clone()].lines().next().unwrap_or("").len(),
            CodeBlockKind::Indented => 0,
        };
        self.code = Some(CodeBlock {
            lang,
            info,
            span: range.into(),
            fence_len,
            directives: d,
            unterminated,
            ..CodeBlock::default()
        });
    }

    /// `# qa-lint-disable-next-line NAMES` lines of a Python block or transcript: each covers
    /// the next code line that is not blank (docs/format.md#suppressions).
    fn code_line_suppressions(&mut self, block: &CodeBlock) {
        if !matches!(block.kind(), BlockKind::Python | BlockKind::Session) {
            return;
        }
        let lines: Vec<&str> = block.code.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(rules) = directives::code_line_suppression(line) else {
                continue;
            };
            let comment = block.line_span(BlockLine::new(i + 1));
            let target = (i + 1..lines.len())
                .find(|&j| !lines[j].trim().is_empty())
                .map_or(comment, |j| block.line_span(BlockLine::new(j + 1)));
            self.doc.suppressions.push(Suppression {
                scope: SuppressionScope::Range(target),
                rules,
                span: comment,
            });
        }
    }

    fn end_code(&mut self, range: Range<usize>) {
        let Some(mut block) = self.code.take() else {
            return;
        };
        block.span = Span::new(block.span.start, range.end.max(block.span.end));
        if self.dedent.is_some() && block.info.is_empty() {
            mkdocs::refence(&mut block);
        }
        if block.info.trim_start().starts_with('{') {
            super::inline_output::myst_options_to_comments(&mut block.code);
        }
        if block.kind() == BlockKind::Python {
            super::inline_output::arrows_to_comments(&mut block.code);
        }
        if block.unterminated {
            let fence_line = self.text[block.span.start..].lines().next().unwrap_or("");
            let span = Span::new(block.span.start, block.span.start + fence_line.len());
            self.doc.problems.push(rules::unterminated_code_fence(span));
        }
        match (&self.after, block.kind()) {
            (After::Label { version, .. }, BlockKind::Session) => block.for_python = *version,
            (After::VersionLabel(version), BlockKind::Session) => block.for_python = Some(*version),
            _ => {}
        }
        if block.kind() == BlockKind::Python && block.directives.file.is_none() {
            block.directives.file = super::file_blocks::named_file(&block);
        }
        self.link_output(&block);
        self.code_line_suppressions(&block);
        self.current.entry.blocks.push(block);
    }

    /// Attach a block that shows output to the Python block before it, and remember a
    /// Python block for what may follow it.
    fn link_output(&mut self, block: &CodeBlock) {
        let blocks = &mut self.current.entry.blocks;
        if let Some((python, version)) = output_blocks::output_of(&self.after, block) {
            if let Some(code) = blocks.get_mut(python) {
                let generic = matches!(self.after, After::Label { generic: true, .. });
                code.expected_output = Some(output_blocks::from_block(block, self.text, version, generic));
            }
            self.after = After::Nothing;
        } else if block.kind() == BlockKind::Python && block.directives.skip.is_none() {
            self.after = After::Python(blocks.len());
        } else {
            self.after = After::Nothing;
        }
    }

    fn html_comment(&mut self, html: &str, range: Range<usize>) {
        let span: Span = range.into();
        let Some(comment) = directives::parse_comment(html) else {
            return;
        };
        match comment {
            Comment::Directive(text) => {
                let mut d = Directives::default();
                let unknown = directives::apply(&mut d, &text);
                if !unknown.is_empty() {
                    self.doc.problems.push(rules::unknown_comment_directive(span, &unknown));
                }
                self.pending_directives = Some((d, span));
            }
            Comment::DisableNextLine(rules) => self.pending_suppressions.push((rules, span)),
            Comment::DisableFile(rules) => self.doc.suppressions.push(Suppression {
                scope: SuppressionScope::File,
                rules,
                span,
            }),
            Comment::Unknown(body) => self.doc.problems.push(rules::unknown_comment(span, &body)),
        }
    }

    /// Close the current section at `end` (the next heading, or the end of the file).
    fn finish_section(&mut self, end: usize) {
        self.after = After::Nothing;
        let mut raw = std::mem::replace(&mut self.current, preamble(end));
        raw.entry.span = Span::new(raw.entry.span.start, end);
        self.raws.push(raw);
    }
}

/// Does the fenced block's source end with a closing fence?
fn fence_closed(block: &str) -> bool {
    let first = block.lines().next().unwrap_or("").trim_start();
    let fence_char = first.chars().next().unwrap_or('`');
    let fence_len = first.chars().take_while(|&c| c == fence_char).count();
    let mut lines = block.trim_end().lines();
    lines.next();
    lines.last().is_some_and(|last| {
        // Strip container prefixes (`>` of block quotes) before looking for the fence.
        let last = last.trim_start().trim_start_matches('>').trim();
        last.len() >= fence_len && last.chars().all(|c| c == fence_char)
    })
}

/// The largest char boundary at or below `i` (spans never split a character).
fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}
