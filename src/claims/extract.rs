//! Finding claims in a block: which comments, attached to which statement.
//!
//! - A trailing comment claims the logical line it ends (its first physical
//!   line is reported); a comment inside a still-open statement (an argument
//!   list over several lines) is not a claim.
//! - A comment-only line claims the statement right above it when it looks
//!   like a value, or uses an explicit marker (`#>`, `Output:`, `=>`). It
//!   attaches to the nearest statement at or left of its own indentation, so
//!   `# took 0.0xx s` in column 0 under a `with` body claims the `with`.
//! - Several `#>` lines, or `# Output:` followed by `# ...` lines, are one
//!   multi-line claim.

use super::grammar;
use super::lexer::{scan, Comment, LineKind, Scan};
use super::{Claim, ClaimForm, ClaimKind, Strength};
use regex::Regex;
use std::sync::LazyLock;

/// Explicit markers: `Output: 3`, `output -> 3`, `Result: 3`, `prints: 3`, `returns: 3`, `=> 3`,
/// `prints -> 3`. Group 1 is the marker word.
static OUTPUT_MARK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:(?i:(outputs?|out|results?|prints?|returns?))\s*(:|->|→|=>)|=>)[ \t]*").unwrap());
/// `prints 3`, `returns 3`, `-> 3`, `→ 3`: a marker only when a value follows.
static WORD_MARK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:(?i:(prints?|returns?|outputs?))[ \t]+|(?:->|→)[ \t]*)").unwrap());

/// Finds every claim in a Python block's source.
pub fn extract_claims(source: &str) -> Vec<Claim> {
    let sc = scan(source);
    let mut claims = Vec::new();
    let mut skip_until = 0usize;
    for c in &sc.comments {
        if c.line <= skip_until {
            continue;
        }
        let Some(info) = sc.line(c.line) else {
            continue;
        };
        let target = if c.trailing {
            if info.continues {
                continue;
            }
            info.logical_start
        } else {
            if info.inside {
                continue;
            }
            match attach_target(source, &sc, c).or_else(|| exception_above(source, &sc, c)) {
                // A bare string is itself the output of the statement above it (pytest-examples),
                // never a statement whose output a comment shows.
                Some(t) if bare_string(source, &sc, t) => continue,
                Some(t) => t,
                None => continue,
            }
        };
        // Text after `#`.
        let after = c.start + 1;
        let raw = &source[after..c.end];
        if raw.starts_with('>') {
            let (claim, last) = block(source, &sc, c, target, ClaimForm::Arrow);
            skip_until = last;
            claims.extend(claim);
            continue;
        }
        let lead = raw.len() - raw.trim_start().len();
        let (mut off, mut explicit, mut output_only) = (after + lead, false, false);
        let marked = OUTPUT_MARK
            .captures(&raw[lead..])
            .map(|m| {
                (
                    m.get(0).map_or(0, |g| g.end()),
                    m.get(1).map(|g| g.as_str().to_ascii_lowercase()),
                )
            })
            .or_else(|| {
                // `# prints 3` is a marker, `# prints the total` is prose.
                let m = WORD_MARK.captures(&raw[lead..])?;
                let end = m.get(0)?.end();
                let rest = grammar::parse(&raw[lead + end..])?;
                (rest.strength == Strength::Strong).then(|| (end, m.get(1).map(|g| g.as_str().to_ascii_lowercase())))
            });
        if let Some((end, word)) = marked {
            off += end;
            explicit = true;
            output_only = word.is_some_and(|w| w.starts_with("out") || w.starts_with("print"));
            if source[off..c.end].trim().is_empty() {
                let (claim, last) = block(source, &sc, c, target, ClaimForm::OutputBlock);
                skip_until = last;
                claims.extend(claim);
                continue;
            }
        }
        let Some(p) = grammar::parse(&source[off..c.end]) else {
            continue;
        };
        // Only an exception claim is about a header line (`class B(A, A):  # raises TypeError`).
        if c.trailing
            && !matches!(p.kind, ClaimKind::Exception { .. })
            && is_header(source, &sc, info.logical_start, c.start)
        {
            continue;
        }
        // A loop header's comment is a claim about what the body prints only when it is all
        // value: `for n in range(11):  # 0 to 10` describes the loop in words.
        if c.trailing
            && !explicit
            && p.full.len() > p.core.len()
            && header_word(source, &sc, info.logical_start, c.start).is_some_and(|w| w == "for" || w == "with")
        {
            continue;
        }
        if !c.trailing && !explicit && p.strength == Strength::Weak {
            continue;
        }
        let form = if c.trailing {
            ClaimForm::Trailing
        } else {
            ClaimForm::Below
        };
        claims.push(Claim {
            line: target,
            comment_line: c.line,
            comment: c.start..c.end,
            text_range: off + p.core.start..off + p.core.end,
            text: source[off + p.core.start..off + p.core.end].to_string(),
            full: source[off + p.full.start..off + p.full.end].to_string(),
            kind: p.kind,
            form,
            explicit,
            hedged: p.hedged,
            strength: if explicit { Strength::Strong } else { p.strength },
            line_prefix: None,
            output_only,
            min_version: p.min_version,
        });
    }
    claims.extend(string_blocks(source, &sc));
    claims.sort_by_key(|c| (c.comment_line, c.comment.start));
    claims
}

/// pytest-examples' multi-line form: a bare triple-quoted string right after a statement that
/// calls `print(...)` is that statement's expected output.
fn string_blocks(source: &str, sc: &Scan) -> Vec<Claim> {
    let mut out = Vec::new();
    for l in &sc.lines {
        if l.kind != LineKind::Code || l.inside {
            continue;
        }
        let code = &source[l.start + l.indent..l.end];
        let Some(q) = ["\"\"\"", "'''"].into_iter().find(|q| code.starts_with(q)) else {
            continue;
        };
        // The logical line is the string alone.
        let last = (l.number..=sc.lines.len())
            .find(|&n| sc.line(n).is_some_and(|x| !x.continues))
            .unwrap_or(l.number);
        let Some(end_line) = sc.line(last) else { continue };
        let tail = source[end_line.start..end_line.code_end].trim_end();
        let open = l.start + l.indent;
        let close_end = end_line.start + tail.len();
        if !tail.ends_with(q) || close_end < open + 6 || sc.comment_on(last).is_some() {
            continue;
        }
        let (body_start, body_end) = (open + 3, close_end - 3);
        let fake = Comment {
            start: open,
            end: close_end,
            line: l.number,
            column: l.indent,
            trailing: false,
        };
        let Some(target) = attach_target(source, sc, &fake) else {
            continue;
        };
        let stmt = &source[sc.line(target).map_or(0, |t| t.start)..l.start];
        if !stmt.contains("print(") {
            continue;
        }
        // Content lines: without the line break after the opening quotes and before the
        // closing ones, dedented to the string's own indentation.
        let body = &source[body_start..body_end];
        let mut s = body_start;
        if body.starts_with("\r\n") {
            s += 2;
        } else if body.starts_with('\n') {
            s += 1;
        }
        let inner = source[s..body_end].trim_end_matches([' ', '\t']);
        let inner = inner
            .strip_suffix('\n')
            .map_or(inner, |t| t.strip_suffix('\r').unwrap_or(t));
        let e = s + inner.len();
        let lines: Vec<&str> = inner.split('\n').map(|x| x.strip_suffix('\r').unwrap_or(x)).collect();
        let lead = |x: &str| x.len() - x.trim_start_matches([' ', '\t']).len();
        let common = lines
            .iter()
            .filter(|x| !x.trim().is_empty())
            .map(|x| lead(x))
            .min()
            .unwrap_or(0)
            .min(l.indent);
        let text: Vec<&str> = lines.iter().map(|x| x.get(common..).unwrap_or("")).collect();
        let text = text.join("\n").trim_end().to_string();
        if text.is_empty() {
            continue;
        }
        let start = (s + common.min(lines.first().map_or(0, |x| lead(x)))).min(e);
        let indent = &source[l.start..l.start + common];
        out.push(Claim {
            line: target,
            comment_line: l.number,
            comment: open..close_end,
            text_range: start..e,
            full: text.clone(),
            kind: ClaimKind::Output { text: text.clone() },
            text,
            form: ClaimForm::StringBlock,
            explicit: true,
            hedged: false,
            strength: Strength::Strong,
            line_prefix: Some(format!("\n{indent}")),
            output_only: true,
            min_version: None,
        });
    }
    out
}

/// The statement a comment-only line attaches to, if it sits directly under
/// a complete statement and no deeper than it.
/// The statement on line `n` is a lone string literal (`"""..."""`, `'text'`).
fn bare_string(source: &str, sc: &Scan, n: usize) -> bool {
    let Some(l) = sc.line(n) else {
        return false;
    };
    let code = source[l.start + l.indent..l.code_end]
        .trim_end()
        .trim_start_matches(['r', 'R', 'b', 'B', 'u', 'U', 'f', 'F']);
    if code.starts_with("\"\"\"") || code.starts_with("'''") {
        return true;
    }
    // `'text'` alone, not `'a,b'.split(',')`.
    code.chars()
        .next()
        .is_some_and(|q| (q == '"' || q == '\'') && code.len() > 1 && code.ends_with(q) && code.matches(q).count() == 2)
}

/// `# AttributeError: 'tuple' object has no attribute 'append'` on its own line, with no
/// statement right above it, and the statement that raises it right below: authors label the
/// failing line before writing it. The statement below is the claim's target.
fn exception_above(source: &str, sc: &Scan, c: &Comment) -> Option<usize> {
    let p = grammar::parse(&source[c.start + 1..c.end])?;
    if !matches!(p.kind, ClaimKind::Exception { .. }) {
        return None;
    }
    let next = sc.line(c.line + 1)?;
    let code = source[next.start..next.code_end].trim_end();
    (next.kind == LineKind::Code && !next.inside && next.indent == c.column && !code.ends_with(':'))
        .then_some(next.number)
}

/// Exception claims written above the statement they are about are found by
/// [`exception_above`] when nothing is above; with a statement above them, the judge tries the
/// statement below when the one above raised nothing.
fn attach_target(source: &str, sc: &Scan, c: &Comment) -> Option<usize> {
    let prev = sc.line(c.line.checked_sub(1)?)?;
    if prev.kind != LineKind::Code || prev.continues {
        return None;
    }
    if source[prev.start..prev.code_end].trim_end().ends_with(':') {
        return None; // a block header: the comment belongs to its body
    }
    if c.column > sc.line(prev.logical_start)?.indent {
        return None;
    }
    let mut n = prev.logical_start;
    let mut clause_indent = None;
    loop {
        let l = sc.line(n)?;
        let usable = l.kind == LineKind::Code && !l.inside && l.indent <= c.column;
        if usable && clause_indent.is_none_or(|i| l.indent == i) {
            if is_clause(&source[l.start + l.indent..l.code_end]) {
                clause_indent = Some(l.indent);
            } else {
                return Some(n);
            }
        }
        n -= 1;
    }
}

/// A trailing comment on a `def`, `class`, decorator, `if`, `while`, `try`... header talks
/// about the definition or the condition, not about output (`for` and `with` headers are
/// claims about what their body prints).
fn is_header(source: &str, sc: &Scan, logical_start: usize, comment_start: usize) -> bool {
    let Some(l) = sc.line(logical_start) else {
        return false;
    };
    if source[l.start + l.indent..].starts_with('@') {
        return true; // a decorator line
    }
    header_word(source, sc, logical_start, comment_start).is_some_and(|w| {
        matches!(
            w,
            "def" | "class" | "if" | "elif" | "else" | "while" | "try" | "except" | "finally" | "match" | "case"
        )
    })
}

/// The keyword of the block header (a line ending in `:`) whose comment starts at
/// `comment_start` (`async` skipped): `for`, `with`, `def`, ...
fn header_word<'a>(source: &'a str, sc: &Scan, logical_start: usize, comment_start: usize) -> Option<&'a str> {
    let l = sc.line(logical_start)?;
    let code = &source[l.start + l.indent..comment_start.max(l.start + l.indent)];
    let first = |s: &'a str| s.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("");
    let word = first(code);
    let word = if word == "async" {
        first(code["async".len()..].trim_start())
    } else {
        word
    };
    code.trim_end().ends_with(':').then_some(word)
}

/// `else:`, `elif ...:`, `except ...:`, `finally:` continue a compound
/// statement whose header is above them.
fn is_clause(code: &str) -> bool {
    ["else", "elif", "except", "finally"].iter().any(|k| {
        code.strip_prefix(k)
            .is_some_and(|r| r.starts_with([':', ' ', '(', '*']))
    })
}

/// Collects a multi-line claim: `#>` lines (starting at `first`), or the
/// `# ...` lines under a `# Output:` marker. Returns the claim (if any) and
/// the last line consumed.
fn block(source: &str, sc: &Scan, first: &Comment, target: usize, form: ClaimForm) -> (Option<Claim>, usize) {
    let arrow = form == ClaimForm::Arrow;
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut last = first.line;
    let mut column = if arrow { Some(first.column) } else { None };
    if arrow {
        pieces.push(content(source, first, 2));
    }
    // A trailing `#>` is a one-line claim: the lines under it are not its.
    let mut n = if first.trailing && arrow {
        usize::MAX
    } else {
        first.line + 1
    };
    while let Some(c) = sc
        .comment_on(n)
        .filter(|c| !c.trailing && sc.line(n).is_some_and(|l| !l.inside))
    {
        let is_arrow = source[c.start..].starts_with("#>");
        if is_arrow != arrow || column.is_some_and(|col| col != c.column) {
            break;
        }
        column = Some(c.column);
        pieces.push(content(source, c, if arrow { 2 } else { 1 }));
        last = n;
        n += 1;
    }
    let (Some(&(start, _)), Some(&(_, end))) = (pieces.first(), pieces.last()) else {
        return (None, last);
    };
    let text: Vec<&str> = pieces.iter().map(|&(s, e)| &source[s..e]).collect();
    let text = text.join("\n");
    let last_comment = sc.comment_on(last).map_or(first.end, |c| c.end);
    let indent = &source[sc.line(last).map_or(0, |l| l.start)..][..column.unwrap_or(0)];
    let marker = if arrow { "#> " } else { "# " };
    let claim = Claim {
        line: target,
        comment_line: first.line,
        comment: first.start..last_comment,
        text_range: start..end,
        full: text.clone(),
        kind: ClaimKind::Output { text: text.clone() },
        text,
        form,
        explicit: true,
        hedged: false,
        strength: Strength::Strong,
        line_prefix: (!(first.trailing && arrow)).then(|| format!("\n{indent}{marker}")),
        output_only: true,
        min_version: None,
    };
    (Some(claim), last)
}

/// The content of a block line: after the `skip`-byte marker and one space.
fn content(source: &str, c: &Comment, skip: usize) -> (usize, usize) {
    let mut s = (c.start + skip).min(c.end);
    if source[s..c.end].starts_with(' ') {
        s += 1;
    }
    let e = s + source[s..c.end].trim_end().len();
    (s, e)
}

#[cfg(test)]
#[path = "extract_tests.rs"]
mod tests;
