//! Wording of the rules found while reading and parsing a file (QA001-QA008).

use super::Rule;
use crate::diagnostic::Diagnostic;
use crate::source::{ReadError, Span};

/// `unreadable-file` for a file that could not be read as UTF-8 text.
pub fn unreadable_file(e: &ReadError) -> Diagnostic {
    let help = match e {
        ReadError::Io(_) => "check that the path exists and is readable",
        ReadError::NotUtf8 { .. } => "save the file as UTF-8",
        ReadError::Binary { .. } => "this is not a Markdown text file; rename it or exclude it",
    };
    Diagnostic::new(Rule::UnreadableFile, Span::default(), e.to_string()).help(help)
}

/// `unreadable-file` for a path the directory walk could not follow.
pub fn unreadable_path(message: &str) -> Diagnostic {
    Diagnostic::new(
        Rule::UnreadableFile,
        Span::default(),
        format!("cannot read path: {message}"),
    )
    .help("check that the path exists and that symlinks do not loop")
}

pub fn front_matter_unclosed(span: Span) -> Diagnostic {
    Diagnostic::new(Rule::InvalidFrontMatter, span, "front matter is never closed")
        .label("opened here")
        .help("close the front matter with a line holding only `---`")
}

pub fn front_matter_not_a_mapping(span: Span) -> Diagnostic {
    Diagnostic::new(Rule::InvalidFrontMatter, span, "front matter must be a YAML mapping")
        .label("not a mapping")
        .help("write `key: value` pairs, e.g. `bucket: objects`")
}

/// `error` is the first line of the YAML parser's message.
pub fn front_matter_yaml(span: Span, error: &str) -> Diagnostic {
    Diagnostic::new(
        Rule::InvalidFrontMatter,
        span,
        format!("invalid YAML front matter: {error}"),
    )
    .label("YAML error here")
    .help("fix the YAML between the `---` lines")
}

pub fn front_matter_entries(span: Span, value: &serde_json::Value) -> Diagnostic {
    Diagnostic::new(
        Rule::InvalidFrontMatter,
        span,
        format!("`qa-lint: entries: {value}` is not `qa` or `sections`"),
    )
    .label("in this front matter")
    .help("use `entries: qa` (question headings) or `entries: sections` (every section)")
}

pub fn unterminated_code_fence(span: Span) -> Diagnostic {
    Diagnostic::new(
        Rule::UnterminatedCodeFence,
        span,
        "code fence is never closed; the rest of the file became code",
    )
    .label("opened here")
    .help("close the block with a fence of the same kind (```) on its own line")
}

/// Words of a code fence's info string that are not directives.
pub fn unknown_fence_directive(span: Span, unknown: &[String]) -> Diagnostic {
    Diagnostic::new(
        Rule::InvalidDirective,
        span,
        format!("unknown directive `{}` in the code fence", unknown.join(" ")),
    )
    .label("not understood")
    .help("known directives: skip, reason=\"...\", compile-only, timeout=N, requires=a,b, fixture=path, fresh, file=NAME, allow-network, allow-subprocess, allow-writes")
}

/// Words of a `<!-- qa-lint: ... -->` comment that are not directives.
pub fn unknown_comment_directive(span: Span, unknown: &[String]) -> Diagnostic {
    Diagnostic::new(Rule::InvalidDirective, span, format!("unknown directive `{}`", unknown.join(" ")))
        .label("not understood")
        .help("known directives: skip, reason=\"...\", compile-only, timeout=N, requires=a,b, fixture=path, fresh, allow-network, allow-subprocess, allow-writes")
}

/// A `<!-- qa-lint... -->` comment of no known kind.
pub fn unknown_comment(span: Span, body: &str) -> Diagnostic {
    Diagnostic::new(Rule::InvalidDirective, span, format!("unknown qa-lint comment `{body}`"))
        .label("not understood")
        .help("use `<!-- qa-lint: ... -->`, `<!-- qa-lint-disable-next-line RULE -->` or `<!-- qa-lint-disable-file RULE -->`")
}

pub fn empty_file(span: Span) -> Diagnostic {
    Diagnostic::new(Rule::EmptyFile, span, "file is empty")
        .label("nothing here")
        .help("add entries, or remove the file")
}

/// `what` is "block quotes" or "lists"; `depth` the level that went past `max`.
pub fn excessive_nesting(span: Span, what: &str, max: usize, depth: usize) -> Diagnostic {
    Diagnostic::new(
        Rule::ExcessiveNesting,
        span,
        format!("{what} nested more than {max} levels deep"),
    )
    .label(format!("level {depth} starts here"))
    .help("flatten the structure; deep nesting usually means a stray `>` or list marker")
}

/// In `qa` mode, Python that no entry holds never runs: said once per file, at the first
/// such block, counting all `n`.
pub fn code_outside_entries(first: Span, n: usize) -> Diagnostic {
    let blocks = if n == 1 {
        "1 Python block".to_string()
    } else {
        format!("{n} Python blocks")
    };
    Diagnostic::new(
        Rule::CodeOutsideEntries,
        first,
        format!("{blocks} outside every entry did not run"),
    )
    .label(if n == 1 { "does not run" } else { "the first of them" })
    .help("`--entries sections` (or `entries = \"sections\"` in qa-lint.toml) runs the code of every section; in `qa` mode only question headings are entries")
}
