//! The default human format: miette's graphical report per diagnostic, then a summary.

use super::{FileReport, RenderOptions, Summary};
use crate::diagnostic::{Diagnostic, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteSpanContents, NamedSource, SourceCode};
use std::fmt;
use std::io::Write;

/// The file as miette reads it, with the column of the header (`[file:line:col]`) counted in
/// characters, as every other format counts it: miette counts bytes, so a line with `é` before
/// the span would point past it.
struct CharColumns {
    source: NamedSource<String>,
    text: String,
}

impl SourceCode for CharColumns {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let contents = self.source.read_span(span, before, after)?;
        // The header reads the primary span alone (no context lines): only there does the
        // column reach the user; snippets place labels by offsets.
        if before != 0 || after != 0 {
            return Ok(contents);
        }
        let at = span.offset().min(self.text.len());
        let line_start = self.text[..at].rfind('\n').map_or(0, |i| i + 1);
        let column = self
            .text
            .get(line_start..at)
            .map_or(contents.column(), |t| t.chars().count());
        let named = MietteSpanContents::new_named(
            contents.name().unwrap_or_default().to_string(),
            contents.data(),
            *contents.span(),
            contents.line(),
            column,
            contents.line_count(),
        );
        Ok(Box::new(named))
    }
}

/// Adapter from our model to miette's trait (our model stays the public contract).
struct Rendered<'a> {
    d: &'a Diagnostic,
    source: CharColumns,
    has_source: bool,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}
impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}
impl std::error::Error for Rendered<'_> {}

impl miette::Diagnostic for Rendered<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("{}[{}]", self.d.code, self.d.rule)))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.d.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.has_source.then_some(&self.source as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.has_source {
            return None;
        }
        let primary = LabeledSpan::new_primary_with_span(
            (!self.d.label.is_empty()).then(|| self.d.label.clone()),
            (self.d.span.start, self.d.span.len()),
        );
        let secondary = self
            .d
            .secondary
            .iter()
            .map(|(s, l)| LabeledSpan::new_with_span(Some(l.clone()), (s.start, s.len())));
        Some(Box::new(std::iter::once(primary).chain(secondary)))
    }
}

pub fn render_full(
    out: &mut dyn Write,
    files: &[FileReport],
    summary: &Summary,
    opts: &RenderOptions,
) -> std::io::Result<()> {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false);
    for file in files {
        // Control characters are shown, not sent to the terminal (see escape.rs).
        let (text, map) = match &file.source {
            Some(src) => {
                let (shown, map) = super::escape::excerpt(&src.text);
                (Some(shown.into_owned()), Some(map))
            }
            None => (None, None),
        };
        let path = super::escape::visible(&file.path);
        for d in &file.diagnostics {
            let mut shown = d.clone();
            shown.message = super::escape::visible_multiline(&d.message).into_owned();
            shown.label = super::escape::visible_multiline(&d.label).into_owned();
            shown.help = d
                .help
                .as_deref()
                .map(|h| super::escape::visible_multiline(h).into_owned());
            if let Some(map) = &map {
                shown.span = crate::source::Span::new(map(d.span.start), map(d.span.end));
                for (span, label) in &mut shown.secondary {
                    *span = crate::source::Span::new(map(span.start), map(span.end));
                    *label = super::escape::visible_multiline(label).into_owned();
                }
            }
            let rendered = Rendered {
                d: &shown,
                source: CharColumns {
                    source: NamedSource::new(path.as_ref(), text.clone().unwrap_or_default()),
                    text: text.clone().unwrap_or_default(),
                },
                has_source: text.is_some(),
            };
            let mut s = String::new();
            if handler.render_report(&mut s, &rendered).is_err() {
                s = format!("{path}: {}\n", shown.message);
            }
            if !rendered.has_source {
                // Without a source miette has no place to print the path.
                writeln!(out, "{path}:")?;
            }
            write!(out, "{s}")?;
            writeln!(out)?;
        }
    }
    if !opts.quiet {
        writeln!(out, "{}", summary.line())?;
    }
    Ok(())
}
