//! The entry rule (`--entries qa|sections`): which sections of real-world Markdown become
//! entries, what runs, and what is reported about code that does not run. One snapshot per
//! fixture under `fixtures/entries`: the entries `inspect` finds, then the check's report.

mod common;
use common::{qa, rel, settings};

/// `line: title` of every entry `inspect` finds in `path` with `args`.
fn entry_list(path: &str, args: &[&str]) -> String {
    let mut cmd = vec!["inspect", path];
    cmd.extend_from_slice(args);
    let out = qa(&cmd);
    assert_eq!(out.code, 0, "inspect {path} failed:\n{}", out.stderr);
    let docs: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).expect("inspect prints JSON");
    docs.iter()
        .map(|d| format!("{}: {}\n", d["line"], d["title"].as_str().unwrap_or("")))
        .collect()
}

#[test]
fn entry_fixtures() {
    let _guard = settings().bind_to_scope();
    insta::glob!("../fixtures/entries", "*.md", |path| {
        let p = rel(path);
        let mut snap = format!("# entries (qa mode, or the file's own)\n{}", entry_list(&p, &[]));
        snap.push_str(&format!(
            "\n# check\n{}",
            qa(&["--output-format", "concise", &p]).stdout
        ));
        if p.contains("no-entries") {
            snap.push_str(&format!(
                "\n# entries, --entries sections\n{}",
                entry_list(&p, &["--entries", "sections"])
            ));
            snap.push_str(&format!(
                "\n# check, --entries sections\n{}",
                qa(&["--entries", "sections", "--output-format", "concise", &p]).stdout
            ));
        }
        insta::assert_snapshot!(snap);
    });
}

#[test]
fn entries_setting_in_config_and_bad_front_matter_value() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("qa-lint.toml"), "entries = \"sections\"\n").unwrap();
    std::fs::write(
        dir.path().join("guide.md"),
        "## Setup\n\n```python\nprint(2 * 2)  # 5\n```\n",
    )
    .unwrap();
    let out = common::qa_in(dir.path(), &["--output-format", "concise", "guide.md"]);
    assert!(
        out.stdout.contains("guide.md:4:17: QA201 [output-mismatch]"),
        "{}",
        out.stdout
    );
    // The command line wins over the config.
    let out = common::qa_in(
        dir.path(),
        &["--entries", "qa", "--output-format", "concise", "guide.md"],
    );
    assert!(out.stdout.contains("QA008 [code-outside-entries]"), "{}", out.stdout);
    assert!(!out.stdout.contains("QA201"), "{}", out.stdout);

    std::fs::write(
        dir.path().join("bad.md"),
        "---\nqa-lint:\n  entries: everything\n---\n## Q. Why?\n",
    )
    .unwrap();
    let out = common::qa_in(dir.path(), &["--no-exec", "--output-format", "concise", "bad.md"]);
    assert!(
        out.stdout.contains(
            "bad.md:1:1: QA002 [invalid-front-matter] `qa-lint: entries: \"everything\"` is not `qa` or `sections`"
        ),
        "{}",
        out.stdout
    );
}

/// What an author sees for shown output that is wrong: the excerpt under the shown text, the
/// block it belongs to, and what the block really prints.
#[test]
fn output_block_mismatch_full_report() {
    let _guard = settings().bind_to_scope();
    let out = qa(&["fixtures/entries/sections-output-blocks.md"]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(out.stdout);
}
