//! Output written into the code: a line `==> [0, 10, 20]` or `=> 3` under a statement.
//!
//! Tutorials show what a line gives by writing it on the next line behind an arrow, without a
//! `#`. The page means an output claim, not code, so the line is read as the comment it stands
//! for: `==>` becomes `#=>` and `=>` becomes `#>`, byte for byte the same length, so every
//! column and span in the Markdown stays exact and `--fix` rewrites the value in place.

/// Turns arrow lines of a Python block into output comments, in place.
pub fn arrows_to_comments(code: &mut String) {
    if !code.contains("=>") {
        return;
    }
    let mut out = String::with_capacity(code.len());
    for line in code.split_inclusive('\n') {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        if let Some(rest) = body.strip_prefix("==>").filter(|r| r.starts_with([' ', '\t'])) {
            out.push_str(indent);
            out.push_str("#=>");
            out.push_str(rest);
        } else if let Some(rest) = body.strip_prefix("=>").filter(|r| r.starts_with([' ', '\t'])) {
            out.push_str(indent);
            out.push_str("#>");
            out.push_str(rest);
        } else {
            out.push_str(line);
        }
    }
    *code = out;
}

/// A MyST directive's options at the top of its body (`:tags: [raises-exception]`,
/// `:hide-output:`) configure the directive; they are not code. Each becomes a comment of the
/// same length (`:` -> `#`).
pub fn myst_options_to_comments(code: &mut String) {
    let mut out = String::with_capacity(code.len());
    let mut options = true;
    for line in code.split_inclusive('\n') {
        let t = line.trim_start();
        options &= t.starts_with(':') && t[1..].contains(':');
        if options {
            out.push_str(&line[..line.len() - t.len()]);
            out.push('#');
            out.push_str(&t[1..]);
        } else {
            out.push_str(line);
        }
    }
    *code = out;
}

#[cfg(test)]
mod tests {
    #[test]
    fn myst_options_become_comments() {
        let mut code = ":tags: [hide-output]\n:linenos:\nx = {'a': 1}\n".to_string();
        super::myst_options_to_comments(&mut code);
        assert_eq!(code, "#tags: [hide-output]\n#linenos:\nx = {'a': 1}\n");
    }

    #[test]
    fn arrow_lines_become_output_comments_of_the_same_length() {
        let mut code = "print([n * 10 for n in range(3)])\n==> [0, 10, 20]\nlen('ab')\n  => 2\n".to_string();
        let before = code.len();
        super::arrows_to_comments(&mut code);
        assert_eq!(
            code,
            "print([n * 10 for n in range(3)])\n#=> [0, 10, 20]\nlen('ab')\n  #> 2\n"
        );
        assert_eq!(code.len(), before);
        let mut lambda = "f = lambda x: x  # => not an arrow line\nx =>= 1\n".to_string();
        super::arrows_to_comments(&mut lambda);
        assert_eq!(lambda, "f = lambda x: x  # => not an arrow line\nx =>= 1\n");
    }
}
