//! The verdict model (docs/claims.md, "The verdict"): an error needs evidence, a claim run the
//! way the page means it and found false. Everything a run cannot settle is counted as not
//! verified, with its cause, in every summary.
//!
//! `fixtures/verdict/sections.md` is a tutorial page read in sections mode: its only errors
//! are a wrong claim, a slip of the pen and Python 2; fragments, sketches, failures nothing
//! claims and the reader's machine are warnings. `qa.md` is the same kind of failure in a page
//! written to the schema, where every example is meant to run: there it is an error.
//!
//! What each page must report is written in it, as markers next to the lines concerned
//! (`<!-- expect: SEVERITY RULE WHERE -->`, tests/common/markers.rs).

mod common;
use common::markers::{self, Expected};
use common::{qa, root, settings, Severity};

/// (line, rule, severity) of every diagnostic of a JSON run with `args` (the fixture last),
/// sorted as markers are; the report itself must list them in line order.
fn verdicts(args: &[&str]) -> Vec<Expected> {
    let mut all = vec!["--no-cache", "--output-format", "json"];
    all.extend_from_slice(args);
    let findings = common::report(&qa(&all));
    let lines: Vec<usize> = findings.iter().map(|f| f.line).collect();
    assert!(lines.is_sorted(), "the report is not in line order: {lines:?}");
    markers::found(&findings)
}

/// The diagnostics the markers in `fixture` expect (a page these tests read reports some).
fn expected(fixture: &str) -> Vec<Expected> {
    let want = markers::read(&root().join(fixture));
    assert!(!want.is_empty(), "{fixture} has no markers");
    want
}

#[test]
fn in_sections_mode_only_evidence_is_an_error() {
    const PAGE: &str = "fixtures/verdict/sections.md";
    assert_eq!(verdicts(&[PAGE]), expected(PAGE));
}

#[test]
fn require_verified_makes_a_failure_that_leaves_claims_unverified_an_error() {
    const PAGE: &str = "fixtures/verdict/sections.md";
    // The two failures a claim depends on become errors; everything else stays as the markers
    // say, the failures no claim depends on (`unexpected-exception`) still warnings.
    let mut want = expected(PAGE);
    for e in &mut want {
        if e.rule == "undefined-name" || e.rule == "reads-input" {
            assert_eq!(e.severity, Severity::Warning, "{e:?}");
            e.severity = Severity::Error;
        }
    }
    want.sort();
    assert_eq!(verdicts(&["--require-verified", PAGE]), want);
}

#[test]
fn in_qa_mode_a_failure_is_an_error() {
    const PAGE: &str = "fixtures/verdict/qa.md";
    assert_eq!(verdicts(&[PAGE]), expected(PAGE));
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

/// A child sends an entry's results when the entry ends; until then it keeps them on the page
/// it shares with its supervisor (src/exec/qa_page.py), so that a block that finished before a
/// timeout or a crash is still judged: its wrong claim is an error next to the stop.
#[test]
fn what_finished_before_a_timeout_or_a_crash_is_judged() {
    const PAGE: &str = "fixtures/verdict/finished-before-a-stop.md";
    assert_eq!(verdicts(&[PAGE]), expected(PAGE));
    // The same in children that run one entry each, as strict mode's always do.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("qa-lint.toml");
    std::fs::write(&config, "[exec]\nisolation = \"entry\"\n").unwrap();
    assert_eq!(verdicts(&["--config", config.to_str().unwrap(), PAGE]), expected(PAGE));
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
    assert_eq!(markers::read(&root().join("fixtures/verdict/runs-as-written.md")), []);
    const WRONG: &str = "fixtures/verdict/runs-as-written-wrong.md";
    assert_eq!(verdicts(&[WRONG]), expected(WRONG));
}

/// A claim whose statement ran on values a failure left stale is not verified, and counted on
/// that failure; a claim beside it that depends on nothing that failed is judged.
#[test]
fn a_claim_on_stale_values_is_not_verified_and_its_neighbour_is_judged() {
    const PAGE: &str = "fixtures/verdict/stale.md";
    assert_eq!(verdicts(&[PAGE]), expected(PAGE));
    let out = qa(&["--no-cache", "--output-format", "concise", "fixtures/verdict/stale.md"]);
    assert!(
        out.stdout.contains(
            "2 not verified: 1 is in code that does not run as shown, 1 needs a module that is not installed"
        ),
        "{}",
        out.stdout
    );
}

/// A transcript goes on after a prompt raises `KeyboardInterrupt`, as the REPL does (doctest
/// lets that one exception through): the prompts after it are judged, not dropped unreported,
/// and start clean (no output or `# doctest:` option of the interrupted prompt carries over).
#[test]
fn a_transcript_goes_on_after_an_interrupted_prompt() {
    const PAGE: &str = "fixtures/verdict/transcript-interrupted.md";
    assert_eq!(verdicts(&[PAGE]), expected(PAGE));
    let out = qa(&["--no-cache", "--output-format", "concise", PAGE]);
    assert!(out.stdout.contains("12 claims verified"), "{}", out.stdout);
}

/// A page written as one REPL session cut by headings: a transcript that uses the names of an
/// earlier transcript runs after it (decided by the names); a code block that is not a
/// transcript keeps a namespace of its own. The wrong twin's changed output is an error.
#[test]
fn transcripts_of_one_page_session_share_their_names() {
    for page in [
        "fixtures/verdict/one-session.md",
        "fixtures/verdict/one-session-wrong.md",
    ] {
        assert_eq!(verdicts(&[page]), expected(page), "{page}");
    }
}

/// An output block shown after code that reads the clock is not verified (a warning says
/// why), as a comment claim on such a line is; the same form without a clock is compared.
#[test]
fn an_output_block_of_clock_reading_code_is_not_verified() {
    const PAGE: &str = "fixtures/verdict/output-block-clock.md";
    assert_eq!(verdicts(&[PAGE]), expected(PAGE));
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

/// Output a page says an older Python printed (`**Output (Python 3.7):**`, `(< Python 3.7)`,
/// a transcript headed `# Python 3.7`, a `>>> # Python 3.7` prompt) is run: output that
/// matches is verified, a different output is counted as for another Python, not reported.
/// The same output for every later Python too (`3.7+`, `3.7 or newer`, a prompt label `3.7+`
/// inside an older transcript) is an error, and so is an exception where an older transcript
/// shows output; a transcript for a newer Python is not run.
#[test]
fn output_an_older_python_printed_is_verified_or_counted_never_an_error() {
    const PAGE: &str = "fixtures/verdict/older-python-output.md";
    assert_eq!(verdicts(&[PAGE]), expected(PAGE));
    let out = qa(&["--no-cache", "--output-format", "concise", PAGE]);
    let summary = out.stdout.trim().lines().last().unwrap_or("").to_string();
    // Judged: the matching outputs of the older block and transcripts (and a prompt that shows
    // nothing), and the five errors.
    assert!(
        summary.contains("in 1 file, 12 entries; 9 claims verified on CPython "),
        "{summary}"
    );
    // Not verified: the two differing older block outputs, the differing prompt of each older
    // transcript and the transcript for 3.99.
    assert!(
        summary.ends_with("; 5 not verified: 5 are for another Python"),
        "{summary}"
    );
}

/// What a page means on purpose is no evidence (evidence.md: a sketch with several gaps,
/// spacing, a call that prints too, a random number, an exercise's stub, a step number or
/// prose under an output label, output labelled as Python 2's, a message worded by another
/// Python, a version remark, the dunder names another Python lists, a claim of a call's first
/// line, classes named bare, a module named as a file); its twin evidence-wrong.md makes each
/// a real mistake, an error at its line (and adds typographic quotes and a no-break space in
/// complete code: slips, by the worker's one-character check).
#[test]
fn what_a_page_means_on_purpose_is_no_evidence_and_its_twin_is() {
    for page in ["fixtures/verdict/evidence.md", "fixtures/verdict/evidence-wrong.md"] {
        assert_eq!(verdicts(&[page]), expected(page), "{page}");
    }
    let out = qa(&[
        "--no-cache",
        "--output-format",
        "concise",
        "fixtures/verdict/evidence.md",
    ]);
    let summary = out.stdout.lines().last().unwrap_or("");
    assert!(
        summary.starts_with("0 errors, 6 warnings")
            && summary.contains("1 needs context the page does not show")
            && summary.contains("1 varies from run to run")
            && summary.contains("4 are for another Python"),
        "{}",
        out.stdout
    );
}
