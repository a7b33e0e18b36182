//! What a syntax error says about the page: a fragment, a slip of the pen, or Python 2.
//!
//! A syntax error of someone else's page is weak evidence on its own: a fragment (a method
//! lifted out of its class, a lone `await`), pseudo-code or an API signature need not compile.
//! Two kinds are strong evidence, and stay errors in sections mode:
//! - **Python 2** ([`python2_form`]): the page teaches a language its reader does not run;
//! - **a slip** ([`is_slip`]): code that is complete Python but for one character the compiler
//!   names (a missing `:` or comma, an unclosed bracket or string, full-width punctuation),
//!   in a block with no placeholders, and which a few one-character edits of the kind named
//!   make compile (the worker tries them: `slips_repair` in src/exec/qa_code.py, reported as
//!   `PyError::repairable`). A sketch (an elided `...` entry, prose between code lines)
//!   meets an error no such edit fixes.

use std::sync::LazyLock;

/// The Python 2 form on `line` that the compiler's `message` is about, if any, in words.
pub(super) fn python2_form(line: &str, message: &str) -> Option<&'static str> {
    if message.contains("Missing parentheses in call to 'print'") {
        return Some("the print statement");
    }
    if message.contains("Missing parentheses in call to 'exec'") {
        return Some("the exec statement");
    }
    // A Markdown fence caught inside the block (`print(pi)```) and a pasted interpreter banner
    // (`Python 3.7.5 (default, Nov  1 2019, 02:16:32)`) are not code of any Python.
    if line.contains("```") || line.trim_start().starts_with("Python ") {
        return None;
    }
    let code = without_strings(line);
    static FORMS: LazyLock<Vec<(regex::Regex, &'static str)>> = LazyLock::new(|| {
        [
            (r"^\s*print\s*>>", "the print statement"),
            (r"^\s*print\s+[\w'\x22]", "the print statement"),
            (r"^\s*except\s+(?:[\w.]+|\([^)]*\))\s*,\s*\w+\s*:", "`except E, e:`"),
            (r"^\s*raise\s+[\w.]+\s*,", "`raise E, message`"),
            (r"`", "backticks for repr"),
            (r"<>", "the `<>` operator"),
            (r"(?:^|[^\w.:])0[0-7]+(?:$|[^\w.:])", "an octal literal without `0o`"),
            (r"(?:^|[^\w.])\d+[lL](?:$|\W)", "a long literal (`10L`)"),
        ]
        .into_iter()
        .map(|(re, what)| (regex::Regex::new(re).expect("valid regex"), what))
        .collect()
    });
    if let Some((_, what)) = FORMS.iter().find(|(re, _)| re.is_match(&code)) {
        return Some(what);
    }
    static UR: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r#"(?i)(?:^|[^\w])ur['"]"#).expect("valid regex"));
    UR.is_match(line).then_some("a `ur''` string")
}

/// The Python 2 repr in an output shown for Python 3 code (`<type 'list'>`, `<__main__.A
/// instance at 0x...>`, `<module '__builtin__'`, `u'text'`, `10L`), when this run's output does
/// not show the same: the page shows what Python 2 printed.
pub(super) fn python2_output(want: &str, got: &str) -> Option<&'static str> {
    static FORMS: LazyLock<Vec<(regex::Regex, &'static str)>> = LazyLock::new(|| {
        [
            (r"<type '", "`<type '...'>`"),
            (r" instance at 0x[0-9a-fA-F]+>", "an old-style instance repr"),
            (r"<module '__builtin__'", "the `__builtin__` module"),
            (r#"(?:^|[\[(,{:]\s*)u'[^']*'"#, "a `u'...'` string repr"),
            (r"(?:^|[\[(,{:]\s*)-?\d+L(?:$|[\]),}\s])", "a long literal (`10L`)"),
        ]
        .into_iter()
        .map(|(re, what)| (regex::Regex::new(re).expect("valid regex"), what))
        .collect()
    });
    FORMS
        .iter()
        .find(|(re, _)| re.is_match(want) && !re.is_match(got))
        .map(|(_, what)| *what)
}

/// Compiler messages that name one missing or wrong character in otherwise complete code.
const SLIPS: &[&str] = &[
    "expected ':'",
    "Perhaps you forgot a comma",
    "unterminated string literal",
    "unterminated triple-quoted string literal",
    "was never closed",
    "unmatched ')'",
    "unmatched ']'",
    "unmatched '}'",
    "does not match opening parenthesis",
    "invalid non-printable character",
    "positional argument follows keyword argument",
];

/// Is this syntax error a slip of the pen in code meant to run? The message must name a
/// single character ([`SLIPS`]), the block must hold more than the failing line (a one-line
/// `def f(x) -> int` is an API signature, not code), and nothing may be a placeholder, which
/// marks pseudo-code whatever the compiler says: `<name>` anywhere, or `...` on the failing
/// line (`[1, 2 ...]`, `def f(...)`). A `...` statement elsewhere is Python (`Ellipsis`), and
/// stands for an elided body in real code too.
pub(super) fn is_slip(code: &str, line: u32, message: &str) -> bool {
    let failing = code.lines().nth(line.saturating_sub(1) as usize).unwrap_or("");
    if !(SLIPS.iter().any(|s| message.contains(s)) || lookalike_character(message)) {
        return false;
    }
    // `Entrez le nombre d'années`: an apostrophe inside a word is prose, not a string.
    static CONTRACTION: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"\p{L}'\p{L}").expect("valid regex"));
    if message.contains("unterminated string") && CONTRACTION.is_match(failing) {
        return false;
    }
    // Code followed by a pasted session (`>>> f()` and its output) is a transcript, not a slip.
    if code.lines().any(|l| l.trim_start().starts_with(">>>")) {
        return false;
    }
    static PLACEHOLDER: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"…|<[A-Za-z_][\w \-]*>").expect("valid regex"));
    if without_strings(failing).contains("...") {
        return false;
    }
    let code_lines: Vec<(usize, &str)> = code
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect();
    let others = code_lines.iter().filter(|(i, _)| *i + 1 != line as usize).count();
    others > 0
        && !code_lines
            .iter()
            .any(|(_, l)| PLACEHOLDER.is_match(&without_strings(l)))
}

/// `invalid character '，' (U+FF0C)`: punctuation typed in place of its ASCII twin (full-width
/// forms, typographic dashes and quotes), which a reader's copy of the code trips on. Other
/// characters (`±` in pasted output) say the line is no code at all.
fn lookalike_character(message: &str) -> bool {
    let Some(code) = message.split("(U+").nth(1).and_then(|r| r.split(')').next()) else {
        return false;
    };
    let Ok(cp) = u32::from_str_radix(code, 16) else {
        return false;
    };
    message.contains("invalid character")
        && matches!(cp, 0xFF01..=0xFF5E | 0x3000..=0x303F | 0x2010..=0x2015 | 0x2018..=0x201F)
}

/// The Python a block's syntax needs, when it is newer than what every Python 3 reads: type
/// parameters and `type` aliases (3.12), `except*` (3.11), `match` (3.10). A block that fails
/// to compile on an older interpreter for that reason is for another Python, not wrong.
pub(super) fn newer_syntax(code: &str) -> Option<(u32, u32)> {
    static FORMS: LazyLock<Vec<(regex::Regex, (u32, u32))>> = LazyLock::new(|| {
        [
            (
                r"(?m)^(?:\s*(?:>>>|\.\.\.))?\s*(?:async\s+)?(?:class|def)\s+\w+\s*\[",
                (3, 12),
            ),
            (
                r"(?m)^(?:\s*(?:>>>|\.\.\.))?\s*type\s+\w+\s*(?:\[[^\]]*\])?\s*=",
                (3, 12),
            ),
            (r"(?m)^(?:\s*(?:>>>|\.\.\.))?\s*except\s*\*", (3, 11)),
            (r"(?m)^(?:\s*(?:>>>|\.\.\.))?\s*match\s+[^=]+:\s*(?:#.*)?$", (3, 10)),
        ]
        .into_iter()
        .map(|(re, v)| (regex::Regex::new(re).expect("valid regex"), v))
        .collect()
    });
    FORMS.iter().filter(|(re, _)| re.is_match(code)).map(|(_, v)| *v).max()
}

/// The line with the contents of its string literals blanked out and its comment removed, so
/// that a backtick or `<>` inside a string or a comment is not read as code.
fn without_strings(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == '\\' {
                    chars.next();
                } else if c == q {
                    quote = None;
                    out.push(c);
                }
            }
            None => match c {
                '#' => break,
                '\'' | '"' => {
                    quote = Some(c);
                    out.push(c);
                }
                _ => out.push(c),
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::python2_form;

    #[test]
    fn python2_outputs_are_named() {
        use super::python2_output;
        assert!(python2_output("<type 'list'>", "<class 'list'>").is_some());
        assert!(python2_output("[u'a', u'b']", "['a', 'b']").is_some());
        assert!(python2_output("<__main__.A instance at 0x7f00>", "<__main__.A object at 0x7f00>").is_some());
        assert!(python2_output("10L", "10").is_some());
        assert!(python2_output("'you'", "'your'").is_none());
        assert!(python2_output("[1, 2]", "[1, 3]").is_none());
    }

    #[test]
    fn python2_forms_are_named() {
        let none = "SyntaxError: invalid syntax";
        assert_eq!(
            python2_form(
                "print 'x'",
                "Missing parentheses in call to 'print'. Did you mean print(...)?"
            ),
            Some("the print statement")
        );
        assert_eq!(
            python2_form("    print >>sys.stderr, x", none),
            Some("the print statement")
        );
        assert_eq!(python2_form("except ValueError, e:", none), Some("`except E, e:`"));
        assert_eq!(python2_form("except (A, B), e:", none), Some("`except E, e:`"));
        assert_eq!(
            python2_form("raise ValueError, 'bad'", none),
            Some("`raise E, message`")
        );
        assert_eq!(python2_form("s = `x`", none), Some("backticks for repr"));
        assert_eq!(python2_form("if a <> b:", none), Some("the `<>` operator"));
        assert_eq!(
            python2_form("os.chmod(p, 0755)", none),
            Some("an octal literal without `0o`")
        );
        assert_eq!(python2_form("n = 10L", none), Some("a long literal (`10L`)"));
        assert_eq!(python2_form("s = ur'\\d'", none), Some("a `ur''` string"));
    }

    #[test]
    fn slips_are_one_character_in_complete_code() {
        use super::is_slip;
        let missing_colon = "def area(r)\n    return 3.14 * r * r\n";
        assert!(is_slip(missing_colon, 1, "expected ':'"));
        assert!(is_slip("xs = [1, 2\nprint(xs)\n", 1, "'[' was never closed"));
        assert!(is_slip(
            "a = 1\nb = 'two\n",
            2,
            "unterminated string literal (detected at line 2)"
        ));
        // An API signature alone, pseudo-code and fragments are not slips.
        assert!(!is_slip("async def get(request) -> Response\n", 1, "expected ':'"));
        assert!(!is_slip(
            "items = [1, 2 ...]\nprint(items)\n",
            1,
            "invalid syntax. Perhaps you forgot a comma?"
        ));
        // An elided body elsewhere is Python; the slip is on its own line.
        assert!(is_slip(
            "def test_app()\n    with client() as c:\n        ...\n",
            1,
            "expected ':'"
        ));
        assert!(is_slip(
            "d = {\n  'a': 1\n  'b': 2,\n  ...\n}\n",
            2,
            "invalid syntax. Perhaps you forgot a comma?"
        ));
        assert!(!is_slip("def f(<args>)\n    pass\n", 1, "expected ':'"));
        assert!(!is_slip(
            "    def helper(self):\n        pass\n",
            1,
            "unexpected indent"
        ));
        assert!(!is_slip(
            "await client.get(url)\nprint(1)\n",
            1,
            "'await' outside function"
        ));
        assert!(is_slip(
            "n = len(s) – 1\nprint(n)\n",
            1,
            "invalid character '–' (U+2013)"
        ));
        assert!(is_slip("if x，y:\n    pass\n", 1, "invalid character '，' (U+FF0C)"));
        assert!(!is_slip(
            "f(1)\n388 µs ± 22.4 µs\n",
            2,
            "invalid character '±' (U+00B1)"
        ));
        assert!(!is_slip(
            "x = 1\nEntrez le nombre d'années : 100\n",
            2,
            "unterminated string literal"
        ));
    }

    #[test]
    fn syntax_of_newer_pythons() {
        use super::newer_syntax;
        assert_eq!(newer_syntax("class Box[T]:\n    item: T\n"), Some((3, 12)));
        assert_eq!(
            newer_syntax(">>> @define\n... class A[T]:\n...    a: T\n"),
            Some((3, 12))
        );
        assert_eq!(newer_syntax("type Pair = tuple[int, int]\n"), Some((3, 12)));
        assert_eq!(
            newer_syntax("try:\n    f()\nexcept* ValueError:\n    pass\n"),
            Some((3, 11))
        );
        assert_eq!(newer_syntax("match cmd:\n    case 1:\n        pass\n"), Some((3, 10)));
        assert_eq!(newer_syntax("xs = items[0]\nmatch = 3\n"), None);
    }

    #[test]
    fn other_syntax_errors_and_forms_inside_strings_are_not_python2() {
        let none = "SyntaxError: invalid syntax";
        assert_eq!(python2_form("def f(:", none), None);
        assert_eq!(python2_form("s = '`not code`'  # a <> b", none), None);
        assert_eq!(python2_form("x = 0", none), None);
        assert_eq!(python2_form("x = 0.05", none), None);
        assert_eq!(python2_form("print(x", none), None);
        assert_eq!(python2_form("value = data[10]", none), None);
        assert_eq!(python2_form("return <result>", none), None);
        assert_eq!(python2_form("print(pi)```", none), None);
        assert_eq!(
            python2_form(
                "Python 3.7.5 (default, Nov  1 2019, 02:16:32)",
                "leading zeros in decimal integer literals"
            ),
            None
        );
        assert_eq!(python2_form("t = '02:16'", none), None);
    }
}
