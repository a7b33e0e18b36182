//! Where a claim's line is in the Markdown, and what its statement produced.

use crate::claims::{Claim, ClaimForm, ClaimKind, Observed};
use crate::entry::CodeBlock;
use crate::exec::{BlockResult, StmtSpan};

/// Everything observed for the statement a claim is about.
///
/// A trailing claim sees what its own line printed, plus (on the first line of a top-level
/// statement) what code defined elsewhere printed while it ran (a decorator, an `__exit__`).
/// A claim written below a statement (`# 5`, `#> 5`, `# Output:`), or on the header of a
/// `for` or `with`, sees everything printed while that statement ran, its body included.
/// Warnings are not output. The value an assignment binds counts unless the claim is about
/// printed output only (`# Output: 3`). An exception raised and handled inside a `try:`
/// counts for an exception claim on its very line.
pub(super) fn observe(result: &BlockResult, claim: &Claim, block: &CodeBlock) -> (Observed, Vec<usize>) {
    let line = claim.line as u32;
    let below = claim.form != ClaimForm::Trailing || loop_or_with_header(block, claim);
    let body = line..(claim.comment_line as u32).max(line + 1);
    let starts_stmt = |s: &Option<StmtSpan>| s.is_some_and(|(first, _)| first == line);
    let events: Vec<_> = result
        .events
        .iter()
        .filter(|e| e.kind != "warning")
        .filter(|e| {
            e.line == Some(line)
                || (below && (starts_stmt(&e.stmt) || e.line.is_some_and(|l| body.contains(&l))))
                || (starts_stmt(&e.stmt) && e.line.is_none_or(|l| e.stmt.is_some_and(|(a, b)| l < a || l > b)))
        })
        .collect();
    let printed_by_callees = events.iter().take_while(|e| e.line != Some(line)).count();
    let outputs = events.iter().map(|e| e.text.clone()).collect();
    // `None` counts only for a claim of `None`: a REPL shows nothing for it.
    let claims_none = claim.text.trim() == "None";
    let at_line = |v: &&crate::exec::ValueEvent| v.stmt.0 == line && !(v.assigned && claim.output_only);
    let value = result
        .values
        .iter()
        .filter(at_line)
        .find(|v| !v.receiver)
        .filter(|v| v.repr != "None" || claims_none)
        // `fruits.insert(1, 'kiwi')  # [...]`: the state of the object the method changed.
        .or_else(|| {
            let receiver = result.values.iter().filter(at_line).find(|v| v.receiver);
            receiver.filter(|_| !claims_none && !claim.output_only)
        });
    let value_repr = value.map(|v| v.repr.clone());
    let wants_exception = matches!(claim.kind, ClaimKind::Exception { .. });
    let errors: Vec<usize> = result
        .errors
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            if e.caught {
                wants_exception && e.line == Some(line)
            } else {
                e.line == Some(line) || starts_stmt(&e.stmt)
            }
        })
        .map(|(i, _)| i)
        .collect();
    // A handled exception only when nothing escaped the statement.
    let pick = errors
        .iter()
        .find(|&&i| !result.errors[i].caught)
        .or(errors.first())
        .copied();
    let exception = pick.map(|i| (result.errors[i].type_name.clone(), result.errors[i].message.clone()));
    (
        Observed {
            outputs,
            value_repr,
            exception,
            assigned: value.is_some_and(|v| v.assigned || v.receiver),
            value_str: value.and_then(|v| v.str.clone()),
            print_label: print_label(line_code(block, line as usize)),
            printed_by_callees: if below { 0 } else { printed_by_callees },
        },
        errors,
    )
}

#[cfg(test)]
#[test]
fn print_labels() {
    assert_eq!(
        print_label("print('1 is not 2', 1 is not 2)  # True").as_deref(),
        Some("1 is not 2")
    );
    assert_eq!(print_label("print(\"Sum:\", s)").as_deref(), Some("Sum:"));
    assert_eq!(print_label("print('only')"), None);
    assert_eq!(print_label("print('a\\tb', x)"), None);
    assert_eq!(print_label("print(x, 'y')"), None);
}

/// `print('Total:', t)` -> `Total:`: a first argument that is a string literal without
/// escapes, followed by more arguments.
fn print_label(code: &str) -> Option<String> {
    static LABEL: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r#"^\s*print\(\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*,"#).unwrap());
    let c = LABEL.captures(code)?;
    Some(c.get(1).or(c.get(2))?.as_str().to_string())
}

/// `# Output:` and its lines at the end of a block, in column 0 with nothing but comments
/// after them: the output of the whole block, as a reader who runs it as a script sees it.
pub(super) fn closes_block(block: &CodeBlock, claim: &Claim) -> bool {
    let code = &block.code;
    claim.form == ClaimForm::OutputBlock
        && (claim.comment.start == 0 || code[..claim.comment.start].ends_with('\n'))
        && code[claim.comment.end.min(code.len())..]
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
}

/// What the whole block printed to stdout, one item per print.
pub(super) fn block_output(result: &BlockResult) -> Observed {
    Observed {
        outputs: result
            .events
            .iter()
            .filter(|e| e.kind != "warning" && e.stream == "stdout")
            .map(|e| e.text.clone())
            .collect(),
        ..Observed::default()
    }
}

/// The code of a 1-based block line.
pub(super) fn line_code(block: &CodeBlock, line: usize) -> &str {
    block.code.lines().nth(line.saturating_sub(1)).unwrap_or("")
}

/// Whether a line sits in a body that runs only sometimes: a `def` or `class` (until called),
/// a branch of `if`/`elif`/`else`/`except`/`while`/`match`, a `for` body (no items), a `with` or
/// `try:` body (an earlier line of it raised, and the context manager or handler swallowed
/// it). Only `finally:` always runs.
pub(super) fn may_not_run(block: &CodeBlock, line: usize) -> bool {
    let lines: Vec<&str> = block.code.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let Some(mut level) = lines.get(line.saturating_sub(1)).map(|l| indent(l)) else {
        return false;
    };
    for l in lines[..line.saturating_sub(1)].iter().rev() {
        let t = l.trim_start();
        // `) -> Response:` closes a header written over several lines: its start is above.
        if t.is_empty() || t.starts_with('#') || t.starts_with([')', ']', '}']) || indent(l) >= level {
            continue;
        }
        level = indent(l);
        let word = t.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("");
        let word = if word == "async" {
            t[5..].trim_start().split(' ').next().unwrap_or("")
        } else {
            word
        };
        if matches!(
            word,
            "def" | "class" | "if" | "elif" | "else" | "except" | "while" | "match" | "case"
                // A loop may run its body no times; a `with` or `try` body stops at the first
                // exception, which the context manager or handler may swallow.
                | "for" | "with" | "try"
        ) {
            return true;
        }
        if level == 0 {
            break;
        }
    }
    false
}

/// A trailing claim on the header of a `for` or `with` statement is about what its body
/// prints.
pub(super) fn loop_or_with_header(block: &CodeBlock, claim: &Claim) -> bool {
    let start = block.code[..claim.comment.start.min(block.code.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let code = block.code[start..claim.comment.start.min(block.code.len())].trim();
    code.ends_with(':')
        && ["for ", "with ", "async for ", "async with "]
            .iter()
            .any(|k| code.starts_with(k))
}

/// `invalid syntax (<qa:x.md:15>, line 3)` -> `invalid syntax`: the location is the span's job.
pub(super) fn without_location(message: &str) -> &str {
    match message.rfind(" (") {
        Some(i) if message.ends_with(')') && message[i..].contains(", line ") => &message[..i],
        _ => message,
    }
}
