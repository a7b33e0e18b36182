//! Bad input of the kind real-world Markdown has (issue 12's list), in both entry modes: no
//! panic, spans on the lines they name, and the rest of the run completes.

mod common;
use common::qa_in;

fn write(dir: &std::path::Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Run both modes on `name`; return the concise reports.
fn both_modes(dir: &std::path::Path, name: &str, extra: &[&str]) -> [String; 2] {
    ["qa", "sections"].map(|mode| {
        let mut args = vec!["--entries", mode, "--output-format", "concise", name];
        args.extend_from_slice(extra);
        let out = qa_in(dir, &args);
        assert!(
            out.code == 0 || out.code == 1,
            "{mode} on {name}: exit {}\n{}{}",
            out.code,
            out.stdout,
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        out.stdout
    })
}

#[test]
fn thousands_of_headings_and_no_code() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..5000).map(|i| format!("## Heading {i}\n\nSome text.\n\n")).collect();
    write(dir.path(), "headings.md", &text);
    let [qa, sections] = both_modes(dir.path(), "headings.md", &["--no-exec"]);
    assert!(qa.ends_with("0 errors, 0 warnings in 1 file, 0 entries\n"), "{qa}");
    assert!(
        sections.ends_with("0 errors, 0 warnings in 1 file, 5000 entries\n"),
        "{sections}"
    );
}

#[test]
fn long_release_notes() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("# Changelog\n\n");
    let mut v = 0;
    while text.len() < 700 * 1024 {
        v += 1;
        text.push_str(&format!(
            "## v1.{v}.0\n\n- Fixed a bug in `parse()` (#{v})\n- Added `--flag`\n\n```python\nprint({v} + 1)  # {}\n```\n\n",
            v + 1
        ));
    }
    write(dir.path(), "CHANGELOG.md", &text);
    let [qa, sections] = both_modes(dir.path(), "CHANGELOG.md", &[]);
    assert!(qa.contains("QA008 [code-outside-entries]"), "{qa}");
    assert!(qa.contains(&format!("{v} Python blocks not run")), "{qa}");
    assert!(
        sections.ends_with(&format!(
            "0 errors, 0 warnings in 1 file, {v} entries; {v} claims verified on CPython {}\n",
            python(&sections)
        )),
        "{sections}"
    );
}

/// The `CPython 3.x.y` of a summary line.
fn python(summary: &str) -> &str {
    summary.rsplit("CPython ").next().unwrap_or("").trim_end()
}

#[test]
fn fences_indented_twelve_spaces_keep_their_spans() {
    let dir = tempfile::tempdir().unwrap();
    // Nested lists put the fence 12 columns in; nested mkdocs containers do too.
    let list = "## Nested\n\n- one\n  - two\n    - three\n      - four\n\n            ```python\n            print(1)  # 2\n            ```\n";
    let tabs = "## Tabs\n\n=== \"a\"\n\n    === \"b\"\n\n        !!! note\n\n            ```python\n            print(3)  # 4\n            ```\n";
    write(dir.path(), "list.md", list);
    write(dir.path(), "tabs.md", tabs);
    let [_, sections] = both_modes(dir.path(), "tabs.md", &[]);
    assert!(
        sections.contains("tabs.md:10:25: QA201 [output-mismatch]"),
        "{sections}"
    );
    let [_, sections] = both_modes(dir.path(), "list.md", &[]);
    // An indented code block (not a fence) in CommonMark: it is not Python and does not run.
    assert!(
        sections.ends_with("0 errors, 0 warnings in 1 file, 1 entry\n"),
        "{sections}"
    );
}

#[test]
fn unterminated_transcript_and_prompt_without_output() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "repl.md",
        "## Open bracket\n\n```pycon\n>>> values = [1,\n...\n```\n\n## No output\n\n```pycon\n>>> x = 5\n>>> x\n```\n\n## Fine\n\n```pycon\n>>> 2 + 2\n4\n```\n",
    );
    let [_, sections] = both_modes(dir.path(), "repl.md", &[]);
    assert!(sections.contains("repl.md:4:"), "{sections}");
    assert!(sections.contains("in 1 file, 3 entries"), "{sections}");
}

#[test]
fn crlf_files_keep_exact_columns() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "## Q. Explain CRLF\r\n\r\n```python\r\nprint(6 * 7)  # 41\r\n```\r\n\r\nOutput:\r\n\r\n```\r\n41\r\n```\r\n";
    write(dir.path(), "crlf.md", text);
    let [qa, sections] = both_modes(dir.path(), "crlf.md", &[]);
    for report in [&qa, &sections] {
        assert!(report.contains("crlf.md:4:17: QA201 [output-mismatch]"), "{report}");
        assert!(
            report.contains("crlf.md:10:1: QA201 [output-mismatch] the output shown after"),
            "{report}"
        );
    }
}
