//! Blocks a page names as files: `# File: shapes.py` (or `# shapes.py`) as the first line, or
//! an mkdocs `title="shapes.py"` on the fence. Such a block is that file: the entry writes it
//! to its working directory (as the `file=` directive does), so that `import shapes` in a
//! later block finds it, as it would on the reader's disk. When a later block of the entry
//! imports it, the page uses it as a module and the block is only compiled, not also run as
//! part of the session (`from shapes import *` must not see names the module keeps private).

use crate::entry::CodeBlock;
use std::sync::LazyLock;

static FIRST_LINE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"(?i)^#\s*(?:(?:file(?:name)?|module)\s*:\s*)?([A-Za-z_][\w/-]*\.py)\s*$").expect("valid regex")
});
static FILE_NAME: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"^[A-Za-z_][\w/-]*\.py$").expect("valid regex"));

/// The file a Python block says it is, if any (a relative path that stays in its folder). The
/// fence's `title=` is read where every fence attribute is, `directives::parse_info`.
pub fn named_file(block: &CodeBlock) -> Option<String> {
    let first = block.code.lines().map(str::trim).find(|l| !l.is_empty())?;
    let name = match FIRST_LINE.captures(first) {
        Some(caps) => caps.get(1)?.as_str(),
        None => block.directives.title.as_deref().filter(|t| FILE_NAME.is_match(t))?,
    };
    (!name.starts_with('/') && !name.split('/').any(|p| p == ".." || p.is_empty())).then(|| name.to_string())
}

/// Whether any of `codes` imports the module that the file `name` is (`shapes.py` ->
/// `import shapes`, `from shapes import ...`; `pkg/util.py` -> `pkg.util`).
pub fn imported<'a>(name: &str, mut codes: impl Iterator<Item = &'a str>) -> bool {
    let module = regex::escape(&name.trim_end_matches(".py").replace('/', "."));
    let Ok(re) = regex::Regex::new(&format!(
        r"(?m)^\s*(?:>>>\s*)?(?:from\s+{module}\s+import\b|import\s+(?:[\w.]+\s*,\s*)*{module}\b)"
    )) else {
        return false;
    };
    codes.any(|code| re.is_match(code))
}

#[cfg(test)]
mod tests {
    use super::{imported, named_file};

    fn imports(code: &str, name: &str) -> bool {
        imported(name, std::iter::once(code))
    }
    use crate::entry::CodeBlock;

    /// A block as the extractor makes it: its fence attributes read by `parse_info`.
    fn block(info: &str, code: &str) -> CodeBlock {
        CodeBlock {
            info: info.into(),
            code: code.into(),
            directives: crate::markdown::parse_info(info).1,
            ..CodeBlock::default()
        }
    }

    #[test]
    fn a_block_names_its_file_on_its_first_line_or_its_fence() {
        assert_eq!(
            named_file(&block("py", "# File: shapes.py\nX = 1\n")).as_deref(),
            Some("shapes.py")
        );
        assert_eq!(
            named_file(&block("py", "# tools/io.py\n")).as_deref(),
            Some("tools/io.py")
        );
        assert_eq!(
            named_file(&block("python title=\"app.py\"", "x = 1\n")).as_deref(),
            Some("app.py")
        );
        assert_eq!(
            named_file(&block("{.python .annotate title=\"pkg/app.py\"}", "x = 1\n")).as_deref(),
            Some("pkg/app.py")
        );
        // A caption that is no file name, or a file that is not Python, names nothing.
        assert_eq!(named_file(&block("python title=\"Example 1\"", "x = 1\n")), None);
        assert_eq!(named_file(&block("python title=\"setup.cfg\"", "x = 1\n")), None);
        assert_eq!(named_file(&block("python title=\"../up.py\"", "x = 1\n")), None);
        assert_eq!(named_file(&block("py", "# run app.py with python\n")), None);
        assert_eq!(named_file(&block("py", "# File: ../up.py\n")), None);
        assert_eq!(named_file(&block("py", "x = 1  # a.py\n")), None);
    }

    #[test]
    fn imports_of_the_module() {
        assert!(imports(">>> from shapes import *\n", "shapes.py"));
        assert!(imports("import os, shapes\n", "shapes.py"));
        assert!(imports("from tools.io import read\n", "tools/io.py"));
        assert!(!imports("import shapes_extra\n", "shapes.py"));
        assert!(!imports("print('import shapes')\n", "shapes.py"));
    }
}
