//! The `mkdocs` dialect: Material for MkDocs admonitions (`!!! note`, `??? tip`, `???+`) and
//! content tabs (`=== "Python 3.9+"`) hold their content indented by four spaces. CommonMark
//! reads that content as an indented code block, so the fences inside it (the examples) would
//! never be seen as Python. This module removes the container indentation before parsing,
//! and keeps a map from the de-indented text back to the file, so every span stays exact.

use crate::entry::CodeBlock;
use std::sync::LazyLock;

static MARKER: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r#"^ *(?:(?:!!!|\?\?\?\+?) +[A-Za-z][\w-]*|===\+? +")"#).expect("valid regex"));

/// Does this text use admonitions or content tabs (what `dialect = "auto"` looks for)?
pub fn uses_containers(text: &str) -> bool {
    // Runs on every file in `auto`: a substring test first keeps the regex off most files.
    (text.contains("!!!") || text.contains("???") || text.contains("===")) && text.lines().any(|l| MARKER.is_match(l))
}

/// De-indented text and, per line, where it came from.
pub struct Dedented {
    pub text: String,
    /// Start of each line in `text`.
    new_starts: Vec<usize>,
    /// Start of the same line in the original, after the indentation that was removed.
    old_starts: Vec<usize>,
}

impl Dedented {
    /// Remove the indentation of container bodies from `text`.
    pub fn new(text: &str) -> Dedented {
        let mut out = Dedented {
            text: String::with_capacity(text.len()),
            new_starts: Vec::new(),
            old_starts: Vec::new(),
        };
        // Body indentation (in the original) of each open container, innermost last; a
        // container may itself sit in a list item, indented.
        let mut bodies: Vec<usize> = Vec::new();
        let mut old = 0;
        for line in text.split_inclusive('\n') {
            let indent = line.bytes().take_while(|&b| b == b' ').count();
            let blank = line.trim().is_empty();
            if !blank {
                while bodies.last().is_some_and(|&b| indent < b) {
                    bodies.pop();
                }
            }
            // Four spaces per open container: what is left is the indentation the content
            // has inside its container (a list item's, say), so the structure around it stays.
            let remove = (4 * bodies.len()).min(indent);
            let kept = &line[remove..];
            out.new_starts.push(out.text.len());
            out.old_starts.push(old + remove);
            out.text.push_str(kept);
            if !blank && MARKER.is_match(kept) {
                bodies.push(indent + 4);
            }
            old += line.len();
        }
        out
    }

    /// The original offset of byte `new` of the de-indented text.
    pub fn original(&self, new: usize) -> usize {
        let i = self.new_starts.partition_point(|&s| s <= new).saturating_sub(1);
        match (self.new_starts.get(i), self.old_starts.get(i)) {
            (Some(&ns), Some(&os)) => os + (new - ns),
            _ => new,
        }
    }
}

/// Python-Markdown indents list content by four spaces, so a fence written under a list
/// item's text at that depth is, to CommonMark, an indented code block that *contains* the
/// fence lines. In the `mkdocs` dialect such a block is read as the fenced block it is meant
/// to be: its language and attributes from the fence line, its code from the lines between.
pub fn refence(block: &mut CodeBlock) -> bool {
    let lines: Vec<&str> = block.code.lines().collect();
    let Some(first) = lines.iter().position(|l| !l.trim().is_empty()) else {
        return false;
    };
    let Some(last) = lines.iter().rposition(|l| !l.trim().is_empty()) else {
        return false;
    };
    let open = lines[first];
    let indent = open.len() - open.trim_start().len();
    let fence: String = open
        .trim_start()
        .chars()
        .take_while(|&c| c == '`' || c == '~')
        .collect();
    let close = lines[last].trim();
    if fence.len() < 3
        || last == first
        || close.len() < fence.len()
        || !close.chars().all(|c| c == fence.as_bytes()[0] as char)
    {
        return false;
    }
    let info = open.trim_start()[fence.len()..].trim().to_string();
    let (lang, mut directives, _) = super::directives::parse_info(&info);
    let mut code = String::new();
    let (mut offsets, mut skips) = (Vec::new(), Vec::new());
    for (i, line) in lines.iter().enumerate().take(last).skip(first + 1) {
        let strip = (line.len() - line.trim_start().len()).min(indent);
        code.push_str(&line[strip..]);
        code.push('\n');
        let skip = block.line_skips.get(i).copied().unwrap_or(0);
        offsets.push(block.line_offsets.get(i).copied().unwrap_or(block.span.start) + strip.saturating_sub(skip));
        skips.push(skip.saturating_sub(strip));
    }
    // The fence's own attributes win over a directive comment before the block.
    directives.merge_from(std::mem::take(&mut block.directives));
    block.directives = directives;
    (block.lang, block.info, block.code, block.line_offsets, block.line_skips) = (lang, info, code, offsets, skips);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admonition_and_tab_bodies_are_dedented_and_mapped_back() {
        let text = "!!! note \"Title\"\n    Some text.\n\n    ```py\n    print(1)\n    ```\n\n=== \"Tab\"\n\n    !!! tip\n\n        ```py\n        x = 2\n        ```\nafter\n";
        let d = Dedented::new(text);
        assert!(d.text.contains("\n```py\nprint(1)\n```\n"), "{}", d.text);
        assert!(d.text.contains("\n!!! tip\n\n```py\nx = 2\n```\nafter\n"), "{}", d.text);
        let at = d.text.find("x = 2").unwrap();
        assert_eq!(&text[d.original(at)..d.original(at) + 5], "x = 2");
        let at = d.text.find("print(1)").unwrap();
        assert_eq!(&text[d.original(at)..d.original(at) + 8], "print(1)");
        assert_eq!(d.original(d.text.len()), text.len());
        assert!(uses_containers(text));
        assert!(!uses_containers("=== not a tab\n!!!\n"));
        // A tab inside a list item keeps the list item's indentation.
        let d = Dedented::new("* item\n\n    === \"Tab\"\n\n        ```python\n        y = 3\n        ```\n");
        assert!(d.text.contains("\n    ```python\n    y = 3\n"), "{}", d.text);
    }
}
