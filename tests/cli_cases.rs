//! Command-line transcripts as data: each `tests/cmd/*.toml` is one run of the real binary
//! (its arguments, from the repository root) with its exit code and `*.stdout` / `*.stderr`
//! beside it, compared by trycmd (`[..]` matches the rest of a line, `...` whole lines: the
//! interpreter's patch version, say). `TRYCMD=overwrite cargo test --test cli_cases` writes
//! the expected output of new or changed cases, to review before committing.

#[test]
fn cli_cases() {
    let cache = tempfile::tempdir().unwrap();
    trycmd::TestCases::new()
        .register_bin("qa-lint", std::path::Path::new(env!("CARGO_BIN_EXE_qa-lint")))
        .env("NO_COLOR", "1")
        // Every case passes --no-cache where it runs Python; this keeps a stray cache out.
        .env("QA_LINT_CACHE_DIR", cache.path().display().to_string())
        .case("tests/cmd/*.toml");
}
