//! Transcripts as the interactive interpreter reads pasted text.
//!
//! Authors often paste a compound statement into a `>>>` transcript without the `...`
//! prompts of its body:
//!
//! ```text
//! >>> for n in range(2):
//!         print(n)
//! 0
//! 1
//! ```
//!
//! The REPL takes the indented lines under a header that ends in `:` as its body, up to a blank
//! line or a line back at the prompt's indentation. doctest does not: it reads them as the
//! expected output. [`with_continuation_prompts`] gives such body lines their `...` prompt, line
//! for line, so that the numbering of the block is unchanged.

/// The transcript with a `... ` prompt on every body line of a `>>>` header that lacks one.
pub fn with_continuation_prompts(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + 64);
    // The indentation of the `>>>` whose compound statement is open, and the column its code
    // starts at.
    let mut open: Option<(usize, usize)> = None;
    for line in code.split_inclusive('\n') {
        let text = line.trim_end_matches(['\n', '\r']);
        let indent = text.len() - text.trim_start().len();
        let trimmed = text.trim_start();
        if let Some(rest) = trimmed.strip_prefix(">>>") {
            let code_part = rest.split(" #").next().unwrap_or(rest).trim_end();
            open = code_part
                .ends_with(':')
                .then(|| (indent, indent + 3 + (rest.len() - rest.trim_start().len()).min(1)));
            out.push_str(line);
            continue;
        }
        match open {
            Some(_) if trimmed.starts_with("...") => out.push_str(line),
            Some((prompt, code_col)) if !trimmed.is_empty() && indent > prompt => {
                // The body keeps its indentation relative to the header's code; a body written
                // no deeper than that code still is one level in.
                out.push_str(&" ".repeat(prompt));
                out.push_str("... ");
                if indent > code_col {
                    out.push_str(&text[code_col..]);
                } else {
                    out.push_str("    ");
                    out.push_str(trimmed);
                }
                out.push_str(&line[text.len()..]);
            }
            _ => {
                open = None;
                out.push_str(line);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_continuation_prompts as fix;

    #[test]
    fn a_header_takes_its_indented_lines_as_its_body() {
        let pasted = ">>> for n in range(2):\n        print(n)\n0\n1\n";
        assert_eq!(fix(pasted), ">>> for n in range(2):\n...     print(n)\n0\n1\n");
        let nested = ">>> def f(x):\n        if x:\n            return 1\n\n>>> f(1)\n1\n";
        assert_eq!(
            fix(nested),
            ">>> def f(x):\n...     if x:\n...         return 1\n\n>>> f(1)\n1\n"
        );
    }

    #[test]
    fn transcripts_with_prompts_and_indented_output_are_unchanged() {
        for t in [
            ">>> for n in range(2):\n...     print(n)\n...\n0\n1\n",
            ">>> print('  x')\n  x\n",
            "  >>> if True:\n  ...     1\n  1\n",
            ">>> d = {'a': 1}  # a dict:\n>>> d\n{'a': 1}\n",
        ] {
            assert_eq!(fix(t), t);
        }
    }
}
