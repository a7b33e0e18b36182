//! Judging output shown after a block (**Output:** and a plain fence, see
//! [`crate::markdown`]'s output blocks): everything the block printed to stdout, against the
//! shown text.
//!
//! The comparison forgives what a reader does not see: trailing spaces, blank lines at either
//! end. `...` in the shown output matches anything (as doctest's ELLIPSIS does), and object
//! addresses (`0x7f3a...`) match any address.

use super::Judged;
use crate::entry::CodeBlock;
use crate::exec::BlockResult;
use std::sync::LazyLock;

static ADDRESS: LazyLock<regex::Regex> = LazyLock::new(|| regex::Regex::new(r"0x[0-9a-fA-F]+").expect("valid regex"));

/// Judge the output shown after `block` against its run `br`.
pub fn judge(block: &CodeBlock, br: &BlockResult, out: &mut Judged) {
    let Some(expected) = &block.expected_output else {
        return;
    };
    let older = match expected.python.map(super::version_fit) {
        Some(super::VersionFit::Elsewhere) => {
            out.unverified.add(super::unverified::Cause::OtherPython, 1);
            return;
        }
        fit => fit == Some(super::VersionFit::Older),
    };
    // A block that failed is reported at its failure; what it would have printed is unknown.
    // (An exception raised and handled inside a `try:` is no failure.)
    if br.syntax_error.is_some() || br.errors.iter().any(|e| !e.caught) || !br.sandbox_violations.is_empty() {
        out.unverified.add(super::unverified::Cause::NotRunnable, 1);
        return;
    }
    let printed: String = br
        .events
        .iter()
        .filter(|e| e.stream == "stdout")
        .map(|e| {
            if e.newline {
                format!("{}\n", e.text)
            } else {
                e.text.clone()
            }
        })
        .collect();
    let (want, got) = (normalise(&expected.text), normalise(&printed));
    // A label in words qa-lint does not know introduces output only if there is output: a
    // block that printed nothing was followed by something else (a data file, a listing).
    // And it is output only if it looks like it: a line in common, or as many lines (a
    // "Directory structure:" listing after a block that prints something else is no claim).
    let lines = |s: &str| s.lines().filter(|l| !l.trim().is_empty()).count();
    if expected.generic_label
        && lines(&want) != lines(&got)
        && !want
            .lines()
            .any(|l| !l.trim().is_empty() && got.lines().any(|g| g.trim() == l.trim()))
    {
        return;
    }
    out.claims += 1;
    // Shown output often includes what a REPL echoes for bare expressions (`add(2, 3)`).
    if matches(&want, &got) || (!br.values.is_empty() && matches(&want, &normalise(&echo(br)))) {
        return;
    }
    // Shown by an older Python: this one's output may differ, and that is no evidence
    // (the first cause: a clock read there would only be a second reason).
    if older {
        out.claims -= 1;
        out.unverified.add(super::unverified::Cause::OtherPython, 1);
        return;
    }
    // Output of code that reads a clock, random numbers, ids or a set's order differs on the
    // next run too: as for a comment claim, that is not verified, and a warning says why.
    let stmts = crate::claims::nondet::Nondet::new().block(&block.code);
    if let Some(&(_, _, kind)) = stmts.iter().find(|s| s.2 != crate::claims::nondet::Kind::Fixed) {
        out.claims -= 1;
        out.unverified.add(super::unverified::Cause::Nondeterministic, 1);
        out.diagnostics.push(crate::rules::claims::nondeterministic(
            expected.span,
            kind == crate::claims::nondet::Kind::SetOrder,
            &want,
            &got,
        ));
        return;
    }
    out.diagnostics.push(crate::rules::claims::block_output_mismatch(
        expected.span,
        block.span,
        &got,
        expected.replaceable,
    ));
}

/// What the block would show in a REPL: its output, and after each bare expression its value.
fn echo(br: &BlockResult) -> String {
    let mut pieces: Vec<(u32, u8, usize, String)> = br
        .events
        .iter()
        .filter(|e| e.stream == "stdout")
        .enumerate()
        .map(|(i, e)| {
            let text = if e.newline {
                format!("{}\n", e.text)
            } else {
                e.text.clone()
            };
            (e.stmt.map_or(0, |s| s.0), 0, i, text)
        })
        .collect();
    pieces.extend(
        br.values
            .iter()
            .filter(|v| !v.assigned) // a REPL shows no value for an assignment
            .enumerate()
            .map(|(i, v)| (v.stmt.0, 1, i, format!("{}\n", v.repr))),
    );
    pieces.sort();
    pieces.into_iter().map(|p| p.3).collect()
}

/// Trailing spaces and blank lines at either end are not part of what a reader compares.
fn normalise(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let first = lines.iter().position(|l| !l.is_empty()).unwrap_or(lines.len());
    let last = lines.iter().rposition(|l| !l.is_empty()).map_or(first, |i| i + 1);
    lines[first..last.max(first)].join("\n")
}

/// Exact, or with `...` and addresses as wildcards.
fn matches(want: &str, got: &str) -> bool {
    if want == got {
        return true;
    }
    if !want.contains("...") && !ADDRESS.is_match(want) {
        return false;
    }
    let mut pattern = String::from("(?s)^");
    for (i, part) in want.split("...").enumerate() {
        if i > 0 {
            pattern.push_str(".*?");
        }
        let mut last = 0;
        for m in ADDRESS.find_iter(part) {
            pattern.push_str(&regex::escape(&part[last..m.start()]));
            pattern.push_str("0x[0-9a-fA-F]+");
            last = m.end();
        }
        pattern.push_str(&regex::escape(&part[last..]));
    }
    pattern.push('$');
    regex::Regex::new(&pattern).is_ok_and(|re| re.is_match(got))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison() {
        assert!(matches(&normalise("1\n2  \n\n"), &normalise("\n1\n2\n")));
        assert!(matches("<A object at 0x7f00aa>", "<A object at 0x55aa01>"));
        assert!(matches("start\n...\nend", "start\nx\ny\nend"));
        assert!(!matches("1\n2", "1\n3"));
        assert!(!matches("[1, 2]", "[1, 2, 3]"));
    }
}
