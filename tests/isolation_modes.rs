//! The three isolation modes give the same report on the hostile fixtures and the content:
//! sharing a forked child between entries never changes what a user sees.

mod common;
use common::root;

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn file_entry_and_worker_isolation_report_the_same() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/hostile"), &dir.path().join("hostile"));
    copy_dir(&root().join("content"), &dir.path().join("content"));
    let mut reports = Vec::new();
    for mode in ["entry", "file", "worker"] {
        std::fs::write(
            dir.path().join("qa-lint.toml"),
            format!("[exec]\nisolation = \"{mode}\"\n"),
        )
        .unwrap();
        let args = ["--no-cache", "--output-format", "json", "hostile", "content"];
        let out = common::qa_in_env(dir.path(), &args, &[("QA_LINT_TEST_SECRET", "hunter2")]);
        eprintln!("isolation = {mode}");
        reports.push((mode, common::report_value(&out)));
    }
    assert!(
        reports[0].1.as_array().unwrap().len() >= 10,
        "the hostile fixtures report"
    );
    for (mode, v) in &reports[1..] {
        assert_eq!(v, &reports[0].1, "isolation = {mode} differs from isolation = entry");
    }
}
