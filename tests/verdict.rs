//! The verdict model (docs/claims.md, "The verdict"): an error needs evidence, a claim run the
//! way the page means it and found false. Everything a run cannot settle is counted as not
//! verified, with its cause, in every summary.
//!
//! `fixtures/verdict/sections.md` is a tutorial page read in sections mode: its only errors
//! are a wrong claim, a slip of the pen and Python 2; fragments, sketches, failures nothing
//! claims and the reader's machine are warnings. `qa.md` is the same kind of failure in a page
//! written to the schema, where every example is meant to run: there it is an error.

mod common;
use common::{qa, settings};

/// (line, rule, severity) of every diagnostic, in order.
fn verdicts(args: &[&str]) -> Vec<(usize, String, String)> {
    let mut all = vec!["--no-cache", "--output-format", "json"];
    all.extend_from_slice(args);
    common::report(&qa(&all))
        .into_iter()
        .map(|f| (f.line, f.rule, f.severity.to_string()))
        .collect()
}

fn v(line: usize, rule: &str, severity: &str) -> (usize, String, String) {
    (line, rule.to_string(), severity.to_string())
}

#[test]
fn in_sections_mode_only_evidence_is_an_error() {
    assert_eq!(
        verdicts(&["fixtures/verdict/sections.md"]),
        vec![
            v(21, "output-mismatch", "error"),
            v(27, "python-syntax-error", "warning"),
            v(33, "undefined-name", "warning"),
            v(39, "unexpected-exception", "warning"),
            v(45, "python-syntax-error", "error"),
            v(52, "python2-code", "error"),
            v(59, "reads-input", "warning"),
        ]
    );
}

#[test]
fn require_verified_makes_a_failure_that_leaves_claims_unverified_an_error() {
    let got = verdicts(&["--require-verified", "fixtures/verdict/sections.md"]);
    // The two failures a claim depends on; the failures no claim depends on stay warnings.
    assert!(got.contains(&v(33, "undefined-name", "error")), "{got:?}");
    assert!(got.contains(&v(59, "reads-input", "error")), "{got:?}");
    assert!(got.contains(&v(39, "unexpected-exception", "warning")), "{got:?}");
}

#[test]
fn in_qa_mode_a_failure_is_an_error() {
    assert_eq!(
        verdicts(&["fixtures/verdict/qa.md"]),
        vec![v(14, "unexpected-exception", "error")]
    );
}

#[test]
fn every_summary_counts_claims_not_verified_by_cause() {
    let out = qa(&["--no-cache", "fixtures/verdict/sections.md"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    settings().bind(|| insta::assert_snapshot!("sections_full", out.stdout));

    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("summary.json");
    let sarif = qa(&[
        "--no-cache",
        "--output-format",
        "sarif",
        "--summary-file",
        json.to_str().unwrap(),
        "fixtures/verdict/sections.md",
    ]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let from_file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    for summary in [&sarif["runs"][0]["properties"]["summary"], &from_file] {
        assert_eq!(summary["claims_verified"], 3, "{summary}");
        assert_eq!(summary["claims_not_verified"], 2, "{summary}");
        assert_eq!(summary["not_verified_by_cause"]["context"], 1, "{summary}");
        assert_eq!(summary["not_verified_by_cause"]["input"], 1, "{summary}");
        assert_eq!(summary["blocks_not_runnable"], 2, "{summary}");
    }
    let md = dir.path().join("summary.md");
    qa(&[
        "--no-cache",
        "--summary-file",
        md.to_str().unwrap(),
        "fixtures/verdict/sections.md",
    ]);
    let md = std::fs::read_to_string(md).unwrap();
    assert!(md.contains("| Claims not verified | 2 |"), "{md}");
    assert!(md.contains("1 needs context the page does not show"), "{md}");
}

#[test]
fn after_a_timeout_the_rest_of_the_entry_still_runs() {
    let out = qa(&[
        "--no-cache",
        "--output-format",
        "concise",
        "fixtures/verdict/after-a-timeout.md",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // The claim that does not depend on the endless demo is verified; the one that reads its
    // result is counted on the timeout, not reported as a NameError of its own.
    assert!(
        out.stdout.contains(
            "QA206 [timeout] entry did not finish within 1 s and was stopped (1 claim below was not checked)"
        ),
        "{}",
        out.stdout
    );
    let summary = out.stdout.lines().last().unwrap_or("");
    assert!(
        summary.contains("; 1 claim verified on CPython ")
            && summary.ends_with("; 1 not verified: 1 did not run before a timeout or crash"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("undefined-name"), "{}", out.stdout);
}

/// The page runs as its reader runs it: a block as one compilation unit, the real builtins,
/// a transcript as the REPL reads pasted text. Every claim of `runs-as-written.md` holds; its
/// twin `runs-as-written-wrong.md` changes each one, and each is an error at its line.
#[test]
fn a_page_runs_as_its_reader_runs_it() {
    let right = qa(&[
        "--no-cache",
        "--output-format",
        "concise",
        "fixtures/verdict/runs-as-written.md",
    ]);
    assert_eq!(right.code, 0, "{}{}", right.stdout, right.stderr);
    assert!(right.stdout.starts_with("0 errors, 0 warnings"), "{}", right.stdout);
    assert_eq!(
        verdicts(&["fixtures/verdict/runs-as-written-wrong.md"]),
        vec![
            v(20, "output-mismatch", "error"),
            v(30, "output-mismatch", "error"),
            v(38, "output-mismatch", "error"),
            v(45, "output-mismatch", "error"),
            v(54, "output-mismatch", "error"),
            v(55, "unexpected-exception", "warning"),
            v(67, "output-mismatch", "error"),
            v(73, "output-mismatch", "error"),
            // The whole block fails to compile: the print above `return` never ran.
            v(84, "python-syntax-error", "warning"),
        ]
    );
}

/// A claim whose statement ran on values a failure left stale is not verified, and counted on
/// that failure; a claim beside it that depends on nothing that failed is judged.
#[test]
fn a_claim_on_stale_values_is_not_verified_and_its_neighbour_is_judged() {
    assert_eq!(
        verdicts(&["fixtures/verdict/stale.md"]),
        vec![
            v(16, "unexpected-exception", "warning"),
            v(18, "output-mismatch", "error"),
            v(24, "missing-module", "warning"),
            v(33, "output-mismatch", "error"),
        ]
    );
    let out = qa(&["--no-cache", "--output-format", "concise", "fixtures/verdict/stale.md"]);
    assert!(
        out.stdout.contains(
            "2 not verified: 1 is in code that does not run as shown, 1 needs a module that is not installed"
        ),
        "{}",
        out.stdout
    );
}

/// A page written as one REPL session cut by headings: a transcript that uses the names of an
/// earlier transcript runs after it (decided by the names); a code block that is not a
/// transcript keeps a namespace of its own. The wrong twin's changed output is an error.
#[test]
fn transcripts_of_one_page_session_share_their_names() {
    assert_eq!(
        verdicts(&["fixtures/verdict/one-session.md"]),
        vec![v(31, "undefined-name", "warning")]
    );
    assert_eq!(
        verdicts(&["fixtures/verdict/one-session-wrong.md"]),
        vec![v(20, "output-mismatch", "error"), v(31, "undefined-name", "warning")]
    );
}

/// An output block shown after code that reads the clock is not verified (a warning says
/// why), as a comment claim on such a line is; the same form without a clock is compared.
#[test]
fn an_output_block_of_clock_reading_code_is_not_verified() {
    assert_eq!(
        verdicts(&["fixtures/verdict/output-block-clock.md"]),
        vec![
            v(23, "nondeterministic-claim", "warning"),
            v(37, "output-mismatch", "error")
        ]
    );
}

/// A block marked for a newer Python (`requires="3.99"`) is not run, and what needs the names
/// it would bind is for another Python too: counted as such, not reported as missing context.
#[test]
fn what_needs_a_block_for_a_newer_python_is_for_another_python_too() {
    let out = qa(&[
        "--no-cache",
        "--output-format",
        "concise",
        "fixtures/verdict/for-a-newer-python.md",
    ]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let summary = out.stdout.trim();
    assert!(
        summary.starts_with("0 errors, 0 warnings in 1 file, 2 entries; 1 claim verified on CPython "),
        "{summary}"
    );
    assert!(
        summary.ends_with("; 1 not verified: 1 is for another Python; 1 Python block not run"),
        "{summary}"
    );
}
