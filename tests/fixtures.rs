//! Fixture-driven snapshot tests of the real binary: one file per case under
//! `fixtures/valid` (must pass) and `fixtures/invalid` (each reports its case).

mod common;
use common::{qa, rel, settings};

#[test]
fn invalid_fixtures_full_output() {
    let _guard = settings().bind_to_scope();
    insta::glob!("../fixtures/invalid", "*.md", |path| {
        let p = rel(path);
        let out = qa(&[&p]);
        assert!(
            !out.stdout.starts_with("0 errors, 0 warnings"),
            "{p} should report its case:\n{}",
            out.stdout
        );
        insta::assert_snapshot!(out.stdout);
    });
}

#[test]
fn invalid_fixtures_json_output() {
    insta::glob!("../fixtures/invalid", "*.md", |path| {
        let p = rel(path);
        let out = qa(&["--output-format", "json", &p]);
        let v = common::report_value(&out);
        assert!(!v.as_array().unwrap().is_empty());
        insta::assert_json_snapshot!(v);
    });
}

#[test]
fn valid_fixtures_pass() {
    let _guard = settings().bind_to_scope();
    insta::glob!("../fixtures/valid", "*.md", |path| {
        let p = rel(path);
        let out = qa(&[&p]);
        assert_eq!(out.code, 0, "{p} should pass:\n{}", out.stdout);
        insta::assert_snapshot!(out.stdout);
    });
}
