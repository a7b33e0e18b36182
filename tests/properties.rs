//! Property tests: for arbitrary Markdown built from Q&A-ish fragments (headings, short
//! answers, Python fences with `# claim` comments, quotes, lists, directives, front matter,
//! CRLF or LF, a BOM, multi-byte text), every span the parser produces lies inside the text on
//! char boundaries, and every diagnostic the real binary reports (`--no-exec`, JSON) has a
//! line/column inside the file whose line holds the span start.
//!
//! Also the regression tests for the fuzzers' crashes: every file in fixtures/fuzz-crashes/
//! goes through the same check as the fuzz target that found it.
//!
//! The invariants are shared with the fuzz targets (fuzz/src/checks.rs).

mod common;

#[path = "../fuzz/src/checks.rs"]
#[allow(dead_code)]
mod checks;

use proptest::prelude::*;
use qa_lint::source::SourceFile;
use std::path::Path;

/// Lines a Q&A file is made of, including the awkward ones.
const FRAGMENTS: &[&str] = &[
    "# Questions about Python",
    "## 1. What is a tuple?",
    "## 2. Qu'est-ce qu'une liste é?",
    "## 日本語の質問は何ですか？",
    "## Why 🙂 emoji?",
    "## References",
    "### Example",
    "### Common Mistake {.tradeoff}",
    "### How I Would Say It in an Interview",
    "**Short answer:** A tuple is an immutable sequence.",
    "Short answer: 日本 and é are both fine here.",
    "A plain paragraph with `code` and *emphasis* 🙂.",
    "> A quoted interview answer with é.",
    "> ```python",
    "> print(1)  # 1",
    "> ```",
    "- a list item",
    "  - a nested item 日本",
    "1. numbered",
    "",
    "",
    "```python",
    "```py title=\"x\" timeout=2",
    "```python skip",
    "```pycon",
    "~~~python",
    "~~~",
    "```",
    "```",
    "```text",
    "    indented code",
    "\tprint('tab')  # tab",
    "print(1)  # 1",
    "print('é')  # é",
    "print('日本')  # '日本'",
    "x = '🙂'  # x is an emoji",
    "len('日本')  # 2",
    "raise ValueError('é')  # ValueError: é",
    "# Output:",
    "# 1",
    "#> a",
    "#> 日本",
    "for i in range(2):",
    "    print(i)  # 0 then 1",
    ">>> 1 + 1",
    "2",
    "<!-- qa-lint: skip reason=\"é\" -->",
    "<!-- qa-lint-disable-next-line output-mismatch -->",
    "<!-- qa-lint-disable-file missing-part -->",
    "<!-- qa-lint: bogus-directive -->",
    "---",
    "| a | b |",
    "|---|---|",
    "| é | 日 |",
];

const FRONT_MATTERS: &[&str] = &[
    "",
    "---\nbucket: objects\n---\n",
    "---\ntitle: é 日本\n---\n",
    "---\n: bad: [yaml\n---\n",
    "---\nnever closed\n",
];

/// (bytes of the file, text as qa-lint sees it: BOM removed).
fn markdown_file() -> impl Strategy<Value = (Vec<u8>, String)> {
    (
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40),
        prop::sample::select(FRONT_MATTERS),
        any::<bool>(), // CRLF
        any::<bool>(), // BOM
        any::<bool>(), // final newline
    )
        .prop_map(|(lines, fm, crlf, bom, final_nl)| {
            let mut text = fm.to_string();
            text.push_str(&lines.join("\n"));
            if final_nl {
                text.push('\n');
            }
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            let mut bytes = Vec::new();
            if bom {
                bytes.extend_from_slice(b"\xEF\xBB\xBF");
            }
            bytes.extend_from_slice(text.as_bytes());
            (bytes, text)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    /// The library pipeline: read (BOM stripped) -> parse -> every span valid, block line
    /// offsets read their code lines, claims valid, a --fix mapped onto the file round-trips.
    #[test]
    fn parsed_spans_are_inside_the_text((bytes, text) in markdown_file(), seed in any::<u8>()) {
        let file = SourceFile::from_bytes("p.md".into(), &bytes).unwrap();
        prop_assert_eq!(&*file.text, text.as_str());
        checks::check_document(&file, &qa_lint::markdown::parse(&file, qa_lint::config::EntryMode::Qa, qa_lint::config::Dialect::Auto));
        // Sections mode holds every block in an entry: the claim checks see all of them.
        let doc = qa_lint::markdown::parse(&file, qa_lint::config::EntryMode::Sections, qa_lint::config::Dialect::Auto);
        checks::check_document(&file, &doc);
        for e in &doc.entries {
            for b in &e.blocks {
                checks::check_claims(&b.code, seed);
            }
        }
        checks::check_fix(&text, seed);
    }
}

/// Byte offsets of line starts (1-based line n starts at `starts[n - 1]`).
fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    v
}

/// Checks one JSON diagnostic against the file's text (BOM removed).
fn check_diagnostic(text: &str, d: &common::Finding) -> Result<(), String> {
    let starts = line_starts(text);
    for (l, c, o, line, column, offset) in [
        ("line", "column", "offset", d.line, d.column, d.offset),
        (
            "end_line",
            "end_column",
            "end_offset",
            d.end_line,
            d.end_column,
            d.end_offset,
        ),
    ] {
        if line == 0 || line > starts.len() {
            return Err(format!("{l} {line} outside the file ({} lines): {d:?}", starts.len()));
        }
        if offset > text.len() || !text.is_char_boundary(offset) {
            return Err(format!("{o} {offset} not a char boundary inside the text: {d:?}"));
        }
        let line_start = starts[line - 1];
        let next = starts.get(line).copied().unwrap_or(text.len() + 1);
        if offset < line_start || offset >= next {
            return Err(format!(
                "{o} {offset} is not on the reported {l} {line} ({line_start}..{next}): {d:?}"
            ));
        }
        let want = text[line_start..offset].chars().count() + 1;
        if column != want {
            return Err(format!("{c} {column}, but offset {offset} is at column {want}: {d:?}"));
        }
    }
    if d.offset > d.end_offset {
        return Err(format!("span ends before it starts: {d:?}"));
    }
    Ok(())
}

fn run_binary(dir: &Path, files: &[String]) -> Vec<common::Finding> {
    let mut args = vec!["--no-exec", "--no-cache", "--output-format", "json"];
    args.extend(files.iter().map(String::as_str));
    common::report(&common::qa_in(dir, &args))
}

proptest! {
    // Each case is a batch of files checked by one run of the binary.
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn binary_diagnostics_point_inside_the_file(batch in prop::collection::vec(markdown_file(), 1..12)) {
        let dir = tempfile::tempdir().unwrap();
        let mut names = Vec::new();
        for (i, (bytes, _)) in batch.iter().enumerate() {
            let name = format!("f{i}.md");
            std::fs::write(dir.path().join(&name), bytes).unwrap();
            names.push(name);
        }
        let report = run_binary(dir.path(), &names);
        for d in &report {
            let i: usize = d.path.trim_start_matches('f').trim_end_matches(".md").parse().unwrap();
            let text = &batch[i].1;
            if let Err(e) = check_diagnostic(text, d) {
                prop_assert!(false, "{}\nfile {:?}", e, text);
            }
        }
    }
}

/// Every crash the fuzzers found, through the check of the target that found it.
#[test]
fn fuzz_crash_fixtures_do_not_crash() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz-crashes");
    let mut n = 0;
    for target in ["markdown", "claims", "front_matter", "fix"] {
        // A folder that went missing would make this test pass on nothing.
        let dir = std::fs::read_dir(root.join(target)).unwrap_or_else(|e| {
            panic!("fixtures/fuzz-crashes/{target}: {e} (every fuzz target keeps a folder, with a .gitkeep when empty)")
        });
        let mut files: Vec<_> = dir.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let rel = format!("{target}/{}", f.file_name().unwrap().to_string_lossy());
            if f.file_name().is_some_and(|n| n == "README.md" || n == ".gitkeep") || OPEN.contains(&rel.as_str()) {
                continue; // notes, and open bugs (see `open_fuzz_crashes`)
            }
            let data = std::fs::read(&f).unwrap();
            let run = std::panic::catch_unwind(|| run_target(target, &data));
            assert!(run.is_ok(), "fuzz crash fixture {} fails again", f.display());
            n += 1;
        }
    }
    eprintln!("{n} fuzz crash fixtures replayed");
}

/// Crash fixtures whose bug is not fixed yet (fixtures/fuzz-crashes/README.md says what each
/// one is). When a fix lands, remove it here: `fuzz_crash_fixtures_do_not_crash` then guards it.
const OPEN: &[&str] = &[];

/// What each fuzz target does with its input (keep in sync with fuzz/fuzz_targets/).
fn run_target(target: &str, data: &[u8]) {
    let split = |d: &[u8]| d.split_first().map_or((0, Vec::new()), |(s, r)| (*s, r.to_vec()));
    match target {
        "markdown" => {
            checks::check_markdown(&String::from_utf8_lossy(data));
        }
        "front_matter" => {
            checks::check_markdown(&format!("---\n{}", String::from_utf8_lossy(data)));
        }
        "claims" => {
            let (seed, rest) = split(data);
            checks::check_claims(&String::from_utf8_lossy(&rest), seed);
        }
        "fix" => {
            let (seed, rest) = split(data);
            checks::check_fix(&String::from_utf8_lossy(&rest), seed);
        }
        _ => unreachable!(),
    }
}
