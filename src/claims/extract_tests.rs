use super::super::{ClaimForm, ClaimKind, Strength};
use super::*;

fn texts(src: &str) -> Vec<(usize, String)> {
    extract_claims(src).into_iter().map(|c| (c.line, c.text)).collect()
}

#[test]
fn trailing_claim_ranges() {
    let src = "a = [1]\nprint(a is a)  # True -> same object\n";
    let cs = extract_claims(src);
    assert_eq!(cs.len(), 1);
    let c = &cs[0];
    assert_eq!(c.line, 2);
    assert_eq!(c.comment_line, 2);
    assert_eq!(&src[c.comment.clone()], "# True -> same object");
    assert_eq!(&src[c.text_range.clone()], "True");
    assert_eq!(c.full, "True -> same object");
    assert_eq!(c.form, ClaimForm::Trailing);
    assert_eq!(c.strength, Strength::Strong);
}

#[test]
fn weak_trailing_comments_are_kept_weak() {
    let src = "nums = [1]\nnums[0] = 99  # fine, lists are mutable\n";
    let cs = extract_claims(src);
    assert_eq!(cs.len(), 1);
    assert_eq!(cs[0].strength, Strength::Weak);
}

#[test]
fn strings_with_hash_are_not_claims() {
    let src = "s = '# 3'\nprint(s)  # # 3\nt = \"\"\"\n# 4\n\"\"\"\n";
    assert_eq!(texts(src), [(2, "# 3".to_string())]);
}

#[test]
fn comment_only_line_attaches_when_value_like() {
    let src = "print(1)\n# 1\nprint(2)\n# prints two\n";
    assert_eq!(texts(src), [(1, "1".to_string())]);
    let cs = extract_claims(src);
    assert_eq!(cs[0].form, ClaimForm::Below);
}

#[test]
fn comment_only_line_under_with_block_claims_the_with() {
    let src = "import time\nwith Timer() as t:\n    sum(range(1_000_000))\n# took 0.0xx s\n";
    let cs = extract_claims(src);
    assert_eq!(cs.len(), 1);
    assert_eq!(cs[0].line, 2);
    assert_eq!(cs[0].comment_line, 4);
    assert_eq!(cs[0].text, "took 0.0xx s");
}

#[test]
fn comment_only_line_at_body_indent_claims_the_body_line() {
    let src = "for i in range(2):\n    print(i)\n    # 0, 1\n";
    assert_eq!(texts(src), [(2, "0, 1".to_string())]);
}

#[test]
fn comment_only_line_after_clause_claims_the_compound_statement() {
    let src = "if x:\n    print(1)\nelse:\n    print(2)\n# 2\n";
    assert_eq!(texts(src), [(1, "2".to_string())]);
}

#[test]
fn comment_only_lines_that_do_not_attach() {
    // Not directly under code, under a block header, deeper than the code,
    // inside an open bracket, second line of prose.
    let src = concat!(
        "# 0\n",
        "x = 1\n",
        "\n",
        "# 1\n",
        "def f():\n",
        "    # 2\n",
        "    return 1\n",
        "y = 2\n",
        "        # 3\n",
        "z = [\n",
        "    # 4\n",
        "]\n",
        "print(f'{3}')\n",
        "# Roughly the same as running cpu_task() twice in a row — the threads\n",
        "# 5\n",
    );
    assert!(texts(src).is_empty(), "{:?}", texts(src));
}

#[test]
fn trailing_comment_inside_open_statement_is_not_a_claim() {
    let src = "r = f(1,  # 1\n      2)  # 3\n";
    assert_eq!(texts(src), [(1, "3".to_string())]);
}

#[test]
fn multi_line_statement_reports_first_line() {
    let src = "print(\n    1 + 2\n)  # 3\n";
    let cs = extract_claims(src);
    assert_eq!((cs[0].line, cs[0].comment_line), (1, 3));
}

#[test]
fn arrow_lines_form_one_claim() {
    let src = "print('a\\nb')\n#> a\n#> b\nx = 1\n";
    let cs = extract_claims(src);
    assert_eq!(cs.len(), 1);
    let c = &cs[0];
    assert_eq!(c.form, ClaimForm::Arrow);
    assert_eq!(c.text, "a\nb");
    assert_eq!(c.line, 1);
    assert_eq!(&src[c.text_range.clone()], "a\n#> b");
    assert_eq!(c.line_prefix.as_deref(), Some("\n#> "));
    assert!(c.explicit);
}

#[test]
fn arrow_lines_keep_indentation_for_fixes() {
    let src = "def f():\n    print(1)\n    #> 1\n";
    let cs = extract_claims(src);
    assert_eq!(cs[0].line, 2);
    assert_eq!(cs[0].line_prefix.as_deref(), Some("\n    #> "));
}

#[test]
fn explicit_output_and_arrow_markers() {
    let src = "print(x)  # Output: hello world\nprint(y)\n# => done\nprint(z)  #> 3\n";
    let cs = extract_claims(src);
    let got: Vec<_> = cs
        .iter()
        .map(|c| (c.line, c.text.as_str(), c.explicit, c.strength))
        .collect();
    assert_eq!(
        got,
        [
            (1, "hello world", true, Strength::Strong),
            (2, "done", true, Strength::Strong),
            (4, "3", true, Strength::Strong)
        ]
    );
    assert_eq!(cs[2].line_prefix, None);
}

#[test]
fn output_block_under_marker() {
    let src = "for i in range(2):\n    print(i)\n# Output:\n# 0\n# 1\n\n# 9\n";
    let cs = extract_claims(src);
    assert_eq!(cs.len(), 1);
    assert_eq!(cs[0].form, ClaimForm::OutputBlock);
    assert_eq!(cs[0].text, "0\n1");
    assert_eq!(cs[0].line, 1);
    assert_eq!(&src[cs[0].text_range.clone()], "0\n# 1");
}

#[test]
fn exception_and_hedge_on_trailing() {
    let src =
        "print(next(it))  # raises StopIteration — the stream is exhausted\nprint(a is b)  # Often True in CPython\n";
    let cs = extract_claims(src);
    assert_eq!(
        cs[0].kind,
        ClaimKind::Exception {
            type_name: "StopIteration".into(),
            message: None
        }
    );
    assert_eq!(cs[0].text, "raises StopIteration");
    assert!(cs[1].hedged);
    assert_eq!(cs[1].text, "True");
    assert_eq!(&src[cs[1].text_range.clone()], "True");
}

#[test]
fn utf8_offsets() {
    let src = "print('é')  # é — accent\n";
    let c = &extract_claims(src)[0];
    assert_eq!(&src[c.text_range.clone()], "é");
}

#[test]
fn crlf_sources() {
    let src = "print(1)  # 1\r\nprint(2)\r\n#> 2\r\n";
    let cs = extract_claims(src);
    assert_eq!(cs.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), ["1", "2"]);
}

#[test]
fn header_lines_are_not_claims_unless_they_claim_an_exception() {
    let src = "def f(x):  # returns x\n    return x\nclass A:  # base\n    pass\n@decorator  # 3\ndef g(): pass\nif x:  # True\n    pass\nclass B(A, A): pass  # raises TypeError\nclass C(A, A):  # raises TypeError\n    pass\nfor i in range(2):  # 0 1\n    print(i)\n";
    let lines: Vec<usize> = extract_claims(src).iter().map(|c| c.line).collect();
    assert_eq!(lines, [9, 10, 12]);
}

#[test]
fn a_loop_header_claims_only_when_its_comment_is_all_value() {
    let src = "for i in range(2):  # 0 1\n    print(i)\nfor n in range(11):  # 0 to 10, 11 left out\n    print(n)\nwith open(p) as f:  # 3 lines, read lazily\n    print(3)\n";
    let lines: Vec<usize> = extract_claims(src).iter().map(|c| c.line).collect();
    assert_eq!(lines, [1]);
}

#[test]
fn annotation_markers_big_o_and_single_letters_are_not_claims() {
    let src = "x = 1  # (1)!\ny = 2  # (2)\nn = len(a)  # O(n)\nprint(s)  # L\n";
    assert!(extract_claims(src).is_empty(), "{:?}", extract_claims(src));
}

#[test]
fn output_markers_people_write() {
    let src = "print(3)  # Output: 3\nprint(3)  # output -> 3\nprint(3)  # prints 3\nprint(3)  # → 3\nabs(-3)  # returns 3\nx = 3  # prints the total\n";
    let cs = extract_claims(src);
    let got: Vec<(&str, bool, bool)> = cs
        .iter()
        .map(|c| (c.text.as_str(), c.explicit, c.output_only))
        .collect();
    assert_eq!(
        got,
        [
            ("3", true, true),
            ("3", true, true),
            ("3", true, true),
            ("3", true, false),
            ("3", true, false),
            ("prints the total", false, false)
        ]
    );
}

#[test]
fn a_string_after_a_print_is_its_output() {
    let src = "for i in range(2):\n    print(i)\n\"\"\"\n0\n1\n\"\"\"\nx = 1\n\"\"\"not after a print\"\"\"\n";
    let cs = extract_claims(src);
    assert_eq!(cs.len(), 1, "{cs:?}");
    assert_eq!(cs[0].form, ClaimForm::StringBlock);
    assert_eq!((cs[0].line, cs[0].text.as_str()), (1, "0\n1"));
    assert_eq!(&src[cs[0].text_range.clone()], "0\n1");
    let src = "def f():\n    print('a')\n    print('b')\n    \"\"\"\n    a\n    b\n    \"\"\"\n";
    let cs = extract_claims(src);
    assert_eq!(cs[0].text, "a\nb");
    assert_eq!(cs[0].line_prefix.as_deref(), Some("\n    "));
}

#[test]
fn version_qualified_claims() {
    let cs = extract_claims("print(x)  # 3.12+: 4\nprint(y)  # Python 3.8+: 5\n");
    let got: Vec<_> = cs.iter().map(|c| (c.text.as_str(), c.min_version)).collect();
    assert_eq!(got, [("4", Some((3, 12))), ("5", Some((3, 8)))]);
}
