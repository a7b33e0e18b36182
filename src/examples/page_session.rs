//! One REPL session per page, where the page is written as one.
//!
//! In sections mode every section is an entry with a namespace of its own. Some pages are one
//! interactive session cut by headings: a transcript under "Slicing" uses the list a transcript
//! under "Creating a list" made. Whether that is so is decided by the names, not the headings:
//! when a section's transcripts use a name they do not bind, and an earlier section's
//! transcripts bind it, those earlier transcripts run first (as a prelude, not judged again)
//! in the later section's run. Code blocks that are not transcripts are left alone: a page
//! of separate examples reuses names freely.

use crate::entry::{BlockKind, CodeBlock, Entry};
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// The code of a transcript's prompts (`>>> ` and `... ` stripped), one statement line each.
fn prompt_code(block: &CodeBlock) -> String {
    block
        .code
        .lines()
        .filter_map(|l| {
            let t = l.trim_start();
            t.strip_prefix(">>>")
                .or_else(|| t.strip_prefix("..."))
                .map(|r| r.strip_prefix(' ').unwrap_or(r))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Names a transcript binds at its top level: assignments, `def`, `class`, imports, `for`
/// targets, `with ... as`.
fn bound(code: &str) -> BTreeSet<String> {
    static FORMS: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?m)^(?:([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?::[^=\n]*)?=[^=]|(?:async\s+)?def\s+(\w+)|class\s+(\w+)|for\s+([\w, ]+?)\s+in\b)|\bas\s+(\w+)",
        )
        .expect("valid regex")
    });
    static IMPORT: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"(?m)^(?:from\s+\S+\s+)?import\s+([^\n#]+)").expect("valid regex"));
    let mut names = BTreeSet::new();
    for c in FORMS.captures_iter(code) {
        for g in 1..=5 {
            if let Some(m) = c.get(g) {
                names.extend(
                    m.as_str()
                        .split(',')
                        .map(|n| n.trim().to_string())
                        .filter(|n| !n.is_empty()),
                );
            }
        }
    }
    for c in IMPORT.captures_iter(code) {
        for part in c[1].trim_matches(|ch| ch == '(' || ch == ')').split(',') {
            let words: Vec<&str> = part.split_whitespace().collect();
            match words.as_slice() {
                [_, "as", alias] => names.insert(alias.to_string()),
                [name, ..] => names.insert(name.split('.').next().unwrap_or(name).to_string()),
                [] => false,
            };
        }
    }
    names
}

/// Names a transcript reads that Python does not provide: identifiers outside strings and
/// comments, not attributes (`.name`), keyword arguments (`name=`), keywords or builtins.
fn used(code: &str) -> BTreeSet<String> {
    static STRINGS: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r#"(?s)[rRbBuUfF]*""".*?"""|[rRbBuUfF]*'''.*?'''|[rRbBuUfF]*"(?:[^"\\\n]|\\.)*"|[rRbBuUfF]*'(?:[^'\\\n]|\\.)*'|#[^\n]*"#)
            .expect("valid regex")
    });
    static IDENT: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"(\.?)\b([A-Za-z_]\w*)\b(\s*=(?:[^=]|$))?").expect("valid regex"));
    let code = STRINGS.replace_all(code, " 0 ");
    IDENT
        .captures_iter(&code)
        .filter(|c| c[1].is_empty() && c.get(3).is_none())
        .map(|c| c[2].to_string())
        .filter(|n| !KEYWORDS.contains(&n.as_str()) && !BUILTINS.contains(&n.as_str()))
        .collect()
}

/// For each entry of a page (by index), the earlier entries whose transcripts it continues.
pub fn preludes(entries: &[Entry]) -> Vec<Vec<usize>> {
    let transcripts = |e: &Entry| -> String {
        e.blocks
            .iter()
            .filter(|b| b.kind() == BlockKind::Session && b.directives.skip.is_none())
            .map(prompt_code)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let codes: Vec<String> = entries.iter().map(transcripts).collect();
    let binds: Vec<BTreeSet<String>> = codes.iter().map(|c| bound(c)).collect();
    let mut out = Vec::with_capacity(entries.len());
    for (k, code) in codes.iter().enumerate() {
        let mut need: BTreeSet<String> = used(code).difference(&binds[k]).cloned().collect();
        let mut chosen = BTreeSet::new();
        // The nearest earlier section that binds a needed name, then what that one needs.
        for j in (0..k).rev() {
            if binds[j].iter().any(|n| need.contains(n)) {
                chosen.insert(j);
                need.retain(|n| !binds[j].contains(n));
                need.extend(used(&codes[j]).difference(&binds[j]).cloned());
            }
        }
        out.push(chosen.into_iter().collect());
    }
    out
}

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "match", "case", "print", "self",
];

const BUILTINS: &[&str] = &[
    "abs",
    "all",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "exit",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "property",
    "quit",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
    "Exception",
    "ValueError",
    "TypeError",
    "KeyError",
    "IndexError",
    "AttributeError",
    "NameError",
    "StopIteration",
    "RuntimeError",
    "ZeroDivisionError",
    "NotImplemented",
    "Ellipsis",
    "__name__",
    "__doc__",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_bound_and_used_by_a_transcript() {
        let code = "import os.path as p\nfrom math import sqrt, pi\nfruits = ['apple']\ndef grow(x):\n    return x\nfor i, f in enumerate(fruits):\n    pass";
        let b = bound(code);
        for n in ["p", "sqrt", "pi", "fruits", "grow", "i", "f"] {
            assert!(b.contains(n), "{n}: {b:?}");
        }
        let u = used("len(basket) + total.count('x')  # fruit\nsorted(basket, key=len)\nprint('not a name')");
        assert_eq!(u, ["basket", "total"].iter().map(|s| s.to_string()).collect());
    }
}
