//! What a `>>>` transcript shows against what its prompt printed, beyond doctest's own text
//! comparison: addresses are wildcards, values compare as values, and the author's additions to
//! a shown output (a remark, a trailing `# comment`, a warning from stderr, a placeholder) are
//! not output.

use super::judge::{ordered_same, trim_lines};
use super::pattern::Pattern;
use super::value::{self, Value};
use super::JudgeOptions;

/// How a transcript's shown output compares with the real one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    Pass,
    /// The same value written differently: the exact text to show instead.
    Format {
        fix: String,
    },
    Mismatch,
    /// The shown output is a placeholder (`?`, `...`, `<...>`, `... output here ...`), not an
    /// output: nothing to verify.
    Placeholder,
    /// What another Python shows: a listing of names equal but for the dunder names the
    /// interpreter adds to a namespace, which change between versions.
    OtherPython,
}

/// A remark that says the shown output is shortened.
static ABRIDGED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\b(?:only|few|some|part|partial|truncated|shortened|abridged|omitted|trimmed|more|etc)\b|\.\.\.|…",
    )
    .expect("valid regex")
});

static WARNING_LINE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"^\S*:\d+: [A-Z]\w*Warning: ").expect("valid regex"));

/// A shown output that stands for "something is printed here": `?`, `...`, `<...>`, or words
/// between two ellipses (`... the listing ...`).
fn placeholder(want: &str) -> bool {
    let w = want.trim();
    matches!(w, "?" | "??" | "???" | "..." | "…" | "<...>" | "<…>")
        || (w.len() > 6
            && !w.contains('\n')
            && w.starts_with("...")
            && w.ends_with("...")
            && w[3..w.len() - 3].trim().chars().all(|c| c.is_alphabetic() || c == ' '))
}

/// `3  # three`: an output line the author annotated; the annotation is no output.
fn without_annotation(line: &str) -> &str {
    line.find(" #").map_or(line, |i| line[..i].trim_end())
}

/// Compares the output a `>>>` transcript shows with the real one, beyond doctest's text
/// comparison: addresses are wildcards, and values compare as values.
pub fn compare_shown(want: &str, got: &str, opts: &JudgeOptions) -> Shown {
    let (want, got) = (trim_lines(want), trim_lines(got));
    // Before the pattern match: `...` alone would match anything, and prove nothing.
    if placeholder(&want) {
        return Shown::Placeholder;
    }
    if Pattern::compile(&want).matches(&got, opts) {
        return Shown::Pass;
    }
    // Lines the author wrote into the shown output that the program does not print: a remark
    // (`# so far so good`), or a warning the REPL shows on stderr (`<stdin>:1: SyntaxWarning:`).
    let remarks = |l: &&str| {
        let t = l.trim_start();
        t.starts_with('#') || WARNING_LINE.is_match(t)
    };
    if want.lines().any(|l| remarks(&l)) && !got.lines().any(|l| remarks(&l)) {
        let kept: Vec<&str> = want.lines().filter(|l| !remarks(l)).collect();
        if kept.iter().all(|l| l.trim().is_empty()) {
            return Shown::Placeholder;
        }
        return match compare_shown(&kept.join("\n"), &got, opts) {
            // `# only a few entries shown here`: the author says the output is cut short.
            Shown::Mismatch if want.lines().any(|l| remarks(&l) && ABRIDGED.is_match(l)) => Shown::Placeholder,
            other => other,
        };
    }
    if other_pythons_names(&want, &got) {
        return Shown::OtherPython;
    }
    let (wl, gl): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let pairs: Vec<(&str, &str)> = if wl.len() == gl.len() {
        wl.iter().copied().zip(gl.iter().copied()).collect()
    } else {
        vec![(want.as_str(), got.as_str())]
    };
    let mut format = false;
    for (w, g) in pairs {
        let (w, g) = (w.trim(), g.trim());
        if w == g || Pattern::compile(w).matches(g, opts) {
            continue;
        }
        let bare = without_annotation(w);
        if bare != w && !g.contains(" #") && (bare == g || Pattern::compile(bare).matches(g, opts)) {
            continue;
        }
        match (value::parse_seq(w), value::parse_seq(g)) {
            (Some(a), Some(b)) if value::same_seq(&a, &b) == Some(true) => {
                if ordered_same(&a, &b, false) {
                    format = true; // (a set in another order passes: that order varies)
                }
            }
            (None, Some(b)) if matches!(b.as_slice(), [Value::Str(s)] if s == w) => format = true,
            // `"works!"` shown for what `print` wrote as `works!`: the quotes of a repr.
            (Some(a), None) if matches!(a.as_slice(), [Value::Str(s)] if s == g) => format = true,
            // `complex` for `<class 'complex'>`, `(tuple, list)` for `(<class 'tuple'>, <class
            // 'list'>)`: classes named bare, alone or inside a value, as IPython and older
            // REPLs show them.
            _ if classes_named_bare(g) == w => format = true,
            _ => return Shown::Mismatch,
        }
    }
    if format {
        Shown::Format { fix: got }
    } else {
        Shown::Pass
    }
}

/// `(<class 'tuple'>, <class '__main__.Box'>)` -> `(tuple, Box)`.
fn classes_named_bare(text: &str) -> String {
    static CLASS: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"<class '(?:[\w.]*\.)?(\w+)'>").expect("valid regex"));
    CLASS.replace_all(text, "$1").into_owned()
}

/// `dir(module)` shown as `['__doc__', '__name__', 'x']` where this Python lists
/// `__loader__` and `__spec__` too: the same names but for the dunder names the interpreter
/// adds (`__annotations__` in a 3.10+ REPL, `__builtins__`, ...), which change by version.
fn other_pythons_names(want: &str, got: &str) -> bool {
    let names = |text: &str| -> Option<Vec<String>> {
        let Some(Value::List(items)) = value::parse(text.trim()) else {
            return None;
        };
        items
            .into_iter()
            .map(|v| match v {
                Value::Str(s) => Some(s),
                _ => None,
            })
            .collect()
    };
    let dunder = |s: &String| s.len() > 4 && s.starts_with("__") && s.ends_with("__");
    let (Some(w), Some(g)) = (names(want), names(got)) else {
        return false;
    };
    let plain = |v: &[String]| v.iter().filter(|s| !dunder(s)).cloned().collect::<Vec<_>>();
    w != g && w.iter().any(dunder) && plain(&w) == plain(&g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_named_bare_inside_a_value_are_the_right_value_written_differently() {
        let o = JudgeOptions::default();
        let got = "(<class 'tuple'>, <class '__main__.Box'>)";
        assert!(matches!(compare_shown("(tuple, Box)", got, &o), Shown::Format { .. }));
        assert_eq!(compare_shown("(Box, tuple)", got, &o), Shown::Mismatch);
    }

    #[test]
    fn names_another_python_adds_are_its_own() {
        let o = JudgeOptions::default();
        let got = "['__builtins__', '__doc__', '__loader__', '__name__', '__spec__', 'sys']";
        let want = "['__builtins__', '__doc__',\n'__name__', 'sys']";
        assert_eq!(compare_shown(want, got, &o), Shown::OtherPython);
        // A name of the page's own that is missing or out of order is a mismatch.
        let wrong = "['__builtins__', '__doc__', '__name__', 'sys', 'x']";
        assert_eq!(compare_shown(wrong, got, &o), Shown::Mismatch);
    }

    #[test]
    fn a_class_named_bare_in_a_session_is_the_right_value_written_differently() {
        assert!(matches!(
            compare_shown("complex", "<class 'complex'>", &JudgeOptions::default()),
            Shown::Format { .. }
        ));
        assert!(matches!(
            compare_shown("D", "<class '__main__.D'>", &JudgeOptions::default()),
            Shown::Format { .. }
        ));
        assert_eq!(
            compare_shown("int", "<class 'complex'>", &JudgeOptions::default()),
            Shown::Mismatch
        );
    }

    #[test]
    fn transcript_placeholders_and_annotated_output_lines() {
        let opts = JudgeOptions::default();
        for want in ["?", "...", "<...>", "... the full listing ..."] {
            assert!(
                matches!(compare_shown(want, "[1, 2, 3]", &opts), Shown::Placeholder),
                "{want}"
            );
        }
        // A real output between ellipses is a pattern, not a placeholder.
        assert!(!matches!(
            compare_shown("...2...", "[1, 2, 3]", &opts),
            Shown::Placeholder
        ));
        assert!(matches!(compare_shown("3  # the length", "3", &opts), Shown::Pass));
        assert!(matches!(compare_shown("4  # the length", "3", &opts), Shown::Mismatch));
        // An output that really holds ` #` is compared whole.
        assert!(matches!(compare_shown("a # b", "a # c", &opts), Shown::Mismatch));
    }

    #[test]
    fn remarks_and_warnings_in_shown_output_are_not_output() {
        let opts = JudgeOptions::default();
        assert!(matches!(
            compare_shown("[1, 2]\n# so far so good", "[1, 2]", &opts),
            Shown::Pass
        ));
        assert!(matches!(
            compare_shown("[1, 3]\n# so far so good", "[1, 2]", &opts),
            Shown::Mismatch
        ));
        assert!(matches!(
            compare_shown("<stdin>:1: SyntaxWarning: assertion is always true", "", &opts),
            Shown::Placeholder
        ));
        assert!(matches!(
            compare_shown("\"works!\"", "works!", &opts),
            Shown::Format { .. }
        ));
    }
}
