use super::*;

fn comment_texts(src: &str) -> Vec<&str> {
    scan(src).comments.iter().map(|c| &src[c.start..c.end]).collect()
}

#[test]
fn finds_trailing_and_comment_only() {
    let src = "x = 1  # one\n# alone\n";
    let s = scan(src);
    assert_eq!(comment_texts(src), ["# one", "# alone"]);
    assert!(s.comments[0].trailing);
    assert!(!s.comments[1].trailing);
    assert_eq!(s.comments[0].line, 1);
    assert_eq!(s.comments[0].column, 7);
    assert_eq!(s.comments[1].line, 2);
    assert_eq!(s.lines[1].kind, LineKind::CommentOnly);
    assert_eq!(s.lines[0].code_end, 5);
}

#[test]
fn hash_inside_strings_is_not_a_comment() {
    let src = concat!(
        "a = '#no'  # yes1\n",
        "b = \"it's # not\"  # yes2\n",
        "c = r'\\'#'  # yes3\n",
        "d = b\"#\" + rb'#'  # yes4\n",
        "e = f\"{x['#']} # {y:#x}\"  # yes5\n",
        "g = f\"{\"#\"}\"  # yes6\n",
        "h = 'a\\'#'  # yes7\n",
    );
    assert_eq!(
        comment_texts(src),
        ["# yes1", "# yes2", "# yes3", "# yes4", "# yes5", "# yes6", "# yes7"]
    );
}

#[test]
fn triple_quoted_strings_span_lines() {
    let src = "s = \"\"\"\n# not a comment\n'''#'''\n\"\"\"  # real\nt = '''a\n#x'''\n";
    let s = scan(src);
    assert_eq!(comment_texts(src), ["# real"]);
    assert!(s.comments[0].trailing);
    assert_eq!(s.comments[0].line, 4);
    assert!(s.lines[1].inside && s.lines[2].inside && s.lines[3].inside);
    assert_eq!(s.lines[3].logical_start, 1);
    assert_eq!(s.lines[1].kind, LineKind::Code);
}

#[test]
fn bare_docstring_lines_are_code() {
    let src = "\"\"\"doc\nmore\"\"\"\n# after\n";
    let s = scan(src);
    assert_eq!(s.lines[0].kind, LineKind::Code);
    assert_eq!(s.lines[1].kind, LineKind::Code);
    assert_eq!(s.lines[2].kind, LineKind::CommentOnly);
}

#[test]
fn brackets_and_backslashes_make_logical_lines() {
    let src = "x = [\n    1,  # first\n]  # end\ny = 1 + \\\n    2  # two\nz = 3\n";
    let s = scan(src);
    assert_eq!(s.lines[1].logical_start, 1);
    assert_eq!(s.lines[2].logical_start, 1);
    assert!(s.lines[0].continues && s.lines[1].continues && !s.lines[2].continues);
    assert_eq!(s.lines[4].logical_start, 4);
    assert!(s.lines[4].inside);
    assert_eq!(s.lines[5].logical_start, 6);
    assert!(!s.lines[5].inside);
}

#[test]
fn offsets_are_utf8_exact_and_crlf_is_excluded() {
    let src = "print('é#ü')  # ≈ 2 µs\r\nx = 1\r\n";
    let s = scan(src);
    let c = &s.comments[0];
    assert_eq!(&src[c.start..c.end], "# ≈ 2 µs");
    assert_eq!(s.lines[0].end, c.end);
    assert_eq!(&src[s.lines[1].start..s.lines[1].end], "x = 1");
}

#[test]
fn unterminated_string_recovers_at_newline() {
    let src = "x = 'oops\ny = 2  # ok\n";
    assert_eq!(comment_texts(src), ["# ok"]);
}

#[test]
fn f_string_format_spec_with_nested_field() {
    let src = "print(f\"{v:{w}.{p}f}#\")  # fine\nprint(f'{a!r:>10}')  # two\n";
    assert_eq!(comment_texts(src), ["# fine", "# two"]);
}

#[test]
fn multiline_f_string_expression() {
    let src = "s = f'''{\n  x  # inside\n}'''  # out\n";
    assert_eq!(comment_texts(src), ["# out"]);
}

#[test]
fn identifiers_ending_in_prefix_letters_are_not_prefixes() {
    let src = "bar'x'\nif'#' in s: pass  # c\n";
    assert_eq!(comment_texts(src), ["# c"]);
}
