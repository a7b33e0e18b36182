//! Bad input that cannot live in the repository: generated in a temporary directory.
//! Each case gets a diagnostic and the run goes on with the other files.

mod common;
use common::qa_in;

const GOOD: &str = "## 1. What Is a Good Entry?\n\n**Short answer:** A good entry is a complete answer.\n\nA good entry is an answer with every part. In practice it passes.\n\n```python\nprint(1 + 1)  # 2\n```\n\n### Common Mistake\n\nAvoid leaving parts out.\n\n### How I Would Say It in an Interview\n\n> It has all four parts.\n";

#[test]
fn missing_path_is_reported_and_the_rest_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.md"), GOOD).unwrap();
    let out = qa_in(
        dir.path(),
        &["--no-exec", "--output-format", "concise", "good.md", "missing.md"],
    );
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(out.stdout, @r"
    missing.md:1:1: QA001 [unreadable-file] cannot read path: No such file or directory (os error 2)
    1 error, 0 warnings in 2 files, 1 entry
    ");
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_reported_and_the_rest_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/good.md"), GOOD).unwrap();
    std::os::unix::fs::symlink("../docs", dir.path().join("docs/loop")).unwrap();
    std::os::unix::fs::symlink("self.md", dir.path().join("docs/self.md")).unwrap();
    let out = qa_in(
        dir.path(),
        &["--no-exec", "--output-format", "concise", "docs", "docs/self.md"],
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("docs/loop") && out.stdout.contains("unreadable-file"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("docs/self.md:1:1: QA001 [unreadable-file]"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("in 3 files, 1 entry"), "{}", out.stdout);
}

#[test]
fn fifty_megabyte_file_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::with_capacity(50 << 20);
    let mut n = 0;
    while text.len() < 50 << 20 {
        n += 1;
        text.push_str(&GOOD.replace("## 1.", &format!("## {n}.")));
    }
    std::fs::write(dir.path().join("big.md"), &text).unwrap();
    let out = qa_in(dir.path(), &["--no-exec", "--output-format", "concise", "big.md"]);
    assert_eq!(out.code, 0, "{}", &out.stdout[..out.stdout.len().min(2000)]);
    assert!(
        out.stdout.contains(&format!("in 1 file, {n} entries")),
        "{}",
        out.stdout
    );
}

#[test]
fn exit_code_two_for_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(qa_in(dir.path(), &["--output-format", "nope"]).code, 2);
    assert_eq!(qa_in(dir.path(), &["--schema", "missing.json", "."]).code, 2);
    assert_eq!(qa_in(dir.path(), &["rule", "no-such-rule"]).code, 2);
}
