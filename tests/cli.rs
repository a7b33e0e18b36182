//! The CLI surface: inspect, rules, rule docs, custom schemas and configuration files.

mod common;
use common::{qa, qa_in, root};

#[test]
fn inspect_prints_the_documents_the_schema_sees() {
    let out = qa(&["inspect", "fixtures/valid/two-entries.md"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    insta::assert_json_snapshot!(v);
}

#[test]
fn rules_lists_every_rule_and_rule_prints_its_doc() {
    // The listing itself is the transcript tests/cmd/rules.toml.
    let out = qa(&["rules"]);
    for line in out.stdout.lines() {
        let name = line.split_whitespace().nth(1).unwrap();
        let doc = qa(&["rule", name]);
        assert_eq!(doc.code, 0);
        assert!(
            doc.stdout.starts_with(&format!("# {name} (")),
            "{name}: {}",
            &doc.stdout[..60.min(doc.stdout.len())]
        );
        assert!(doc.stdout.contains("## How to fix"), "{name} doc lacks a fix section");
    }
    assert_eq!(qa(&["rule", "QA201"]).stdout, qa(&["rule", "output-mismatch"]).stdout);
}

#[test]
fn a_custom_schema_names_its_own_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), "---\nbucket: misc\n---\n## 1. Sets\n\nText.\n").unwrap();
    std::fs::write(dir.path().join("b.md"), "## 1. Why?\n\nText.\n").unwrap();
    let schema = root().join("fixtures/schema/require-bucket.schema.json");
    let out = qa_in(
        dir.path(),
        &[
            "--no-exec",
            "--schema",
            schema.to_str().unwrap(),
            "--output-format",
            "concise",
            "a.md",
            "b.md",
        ],
    );
    insta::assert_snapshot!(out.stdout, @r"
    a.md:2:1: TEAM002 [unknown-bucket] bucket `misc` is not one of objects, runtime, concurrency
    a.md:4:7: QA101 [title-not-a-question] `Sets` is not a question
    b.md:1:1: TEAM001 [missing-bucket] the file's front matter names no bucket
    1 error, 2 warnings in 2 files, 2 entries
    ");
}

#[test]
fn configuration_sets_levels_ignores_and_excludes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("docs/drafts")).unwrap();
    std::fs::create_dir_all(d.join("docs/legacy")).unwrap();
    let entry = "## 1. Sets\n\n**Short answer:** A set is a collection of unique items.\n\nA set is a hash-based container. In practice it removes duplicates.\n\n```python\nprint(len({1, 1, 2}))  # 2\n```\n\n### Common Mistake\n\nAvoid `{}`: it is a dict.\n\n### How I Would Say It in an Interview\n\n> A set keeps unique values.\n";
    std::fs::write(d.join("docs/a.md"), entry).unwrap();
    std::fs::write(d.join("docs/drafts/wip.md"), "## 1. Unfinished?\n").unwrap();
    std::fs::write(
        d.join("docs/legacy/old.md"),
        entry.replace("## 1. Sets", "## 1. Old Sets"),
    )
    .unwrap();
    std::fs::write(
        d.join("qa-lint.toml"),
        "exclude = [\"docs/drafts/**\"]\n[rules]\ntitle-not-a-question = \"error\"\n[per-file-ignores]\n\"docs/legacy/*.md\" = [\"title-not-a-question\"]\n",
    )
    .unwrap();
    let out = qa_in(d, &["--no-cache", "--output-format", "concise", "docs"]);
    let _guard = common::settings().bind_to_scope();
    insta::assert_snapshot!(out.stdout, @r"
    docs/a.md:1:7: QA101 [title-not-a-question] entry title is not a question
    1 error, 0 warnings in 2 files, 2 entries; 2 claims verified on CPython [VERSION]
    ");
    // The same settings from pyproject.toml.
    std::fs::remove_file(d.join("qa-lint.toml")).unwrap();
    std::fs::write(
        d.join("pyproject.toml"),
        "[project]\nname = \"x\"\n[tool.qa-lint.rules]\ntitle-not-a-question = \"off\"\n",
    )
    .unwrap();
    let out = qa_in(d, &["--no-exec", "--output-format", "concise", "docs/a.md"]);
    assert_eq!(out.stdout, "0 errors, 0 warnings in 1 file, 1 entry\n");
}

#[test]
fn a_bad_config_is_a_diagnostic_with_a_span_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("qa-lint.toml"), "[rules]\noutput-mismatch = \"loud\"\n").unwrap();
    std::fs::write(dir.path().join("a.md"), "# A\n").unwrap();
    let out = qa_in(dir.path(), &["a.md"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("qa-lint.toml") && out.stderr.contains("loud"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("2 │ output-mismatch = \"loud\""), "{}", out.stderr);
}

#[test]
fn config_errors_are_headed_by_the_file_and_suggest_the_name_meant() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.md"), "# A\n").unwrap();
    // The top-level key list grows with new settings, so that case is checked by its parts.
    std::fs::write(dir.path().join("qa-lint.toml"), "shema = \"x.json\"\n").unwrap();
    let top = qa_in(dir.path(), &["a.md"]);
    assert!(
        top.stderr
            .starts_with(&format!("{}\n", dir.path().join("qa-lint.toml").display())),
        "{}",
        top.stderr
    );
    assert!(top.stderr.contains("help: did you mean `schema`?"), "{}", top.stderr);
    let mut shown = Vec::new();
    for toml in [
        "[rules]\ntitle-not-a-question = \"warn\"\n",
        "[rules]\noutput-mismatc = \"off\"\n",
        "[exec]\ntimeot = 3\n",
    ] {
        std::fs::write(dir.path().join("qa-lint.toml"), toml).unwrap();
        let out = qa_in(dir.path(), &["a.md"]);
        assert_eq!(out.code, 2);
        shown.push(out.stderr.replace(&dir.path().display().to_string(), "[DIR]"));
    }
    insta::assert_snapshot!(shown.join("---\n"));
}

#[test]
fn project_wide_requires_skips_entries_when_a_module_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.md"),
        "## 1. Does It Run?\n\n```python\nprint(1)  # 1\n```\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("qa-lint.toml"),
        "[exec]\nrequires = [\"no_such_module_xyz\"]\n",
    )
    .unwrap();
    let out = qa_in(dir.path(), &["--no-cache", "--output-format", "concise", "a.md"]);
    assert!(
        out.stdout
            .contains("a.md:3:1: QA208 [missing-module] entry not run: module(s) no_such_module_xyz not installed"),
        "{}",
        out.stdout
    );
}
