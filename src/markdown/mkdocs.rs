//! The `mkdocs` dialect: Material for MkDocs admonitions (`!!! note`, `??? tip`, `???+`) and
//! content tabs (`=== "Python 3.9+"`) hold their content indented by four spaces. CommonMark
//! reads that content as an indented code block, so the fences inside it (the examples) would
//! never be seen as Python. This module removes the container indentation before parsing,
//! and keeps a map from the de-indented text back to the file, so every span stays exact.

use std::sync::LazyLock;

static MARKER: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r#"^ {0,3}(?:(?:!!!|\?\?\?\+?) +[A-Za-z][\w-]*|===\+? +")"#).expect("valid regex")
});

/// Does this text use admonitions or content tabs (what `dialect = "auto"` looks for)?
pub fn uses_containers(text: &str) -> bool {
    text.lines().any(|l| MARKER.is_match(l))
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
        // Body indentation (in the original) of each open container, innermost last.
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
            let remove = bodies.last().map_or(0, |&b| b.min(indent));
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
    }
}
