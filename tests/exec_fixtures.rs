//! Execution fixtures: snapshot tests of the real binary's `full` output for every file under
//! `fixtures/claims` (one passing and one failing file per claim form of docs/claims.md),
//! `fixtures/hostile` (a hostile entry next to a healthy one) and `fixtures/directives`.
//!
//! Besides the snapshot, every file is checked against the markers written in it, next to
//! the lines they concern: the exact diagnostics (line, severity, rule) it must produce, e.g.
//!
//! ````text
//! ```python
//! shout("hi")  # hi
//! ```
//! <!-- expect: error output-mismatch `shout("hi")  # hi` -->
//! ````
//!
//! A marker names its line by a piece of its text (`` =`TEXT` `` for the whole line, `fence`
//! for the opening fence of the block above), looked up only in the blocks next to it, so it
//! survives edits elsewhere; the syntax is in `tests/common/markers.rs`. A file without
//! markers must be clean (exit 0, `0 errors, 0 warnings`). qa-lint reads the markers as
//! nothing (HTML comments that are not `<!-- qa-lint... -->`).

mod common;
use common::markers::{self, Expected};
use common::{rel, root, settings, Finding, Severity};
use std::collections::BTreeSet;
use std::path::Path;

/// A secret in the parent's environment: examples must not see it (the worker scrubs its env).
const SECRET_VAR: &str = "QA_LINT_TEST_SECRET";

/// `qa-lint --no-cache ARGS` from the repository root, with a secret in the env.
fn qa(args: &[&str]) -> common::Output {
    let args: Vec<&str> = std::iter::once("--no-cache").chain(args.iter().copied()).collect();
    common::qa_in_env(&root(), &args, &[(SECRET_VAR, "hunter2-must-not-leak")])
}

/// Every finding of one folder's fixtures, from one `--output-format json` run of the folder:
/// what a file reports must not depend on the files checked with it.
fn folder_report(folder: &str) -> Vec<Finding> {
    let out = qa(&["--output-format", "json", folder]);
    assert!(
        out.code == 0 || out.code == 1,
        "{folder}: exit {}\n{}",
        out.code,
        out.stderr
    );
    common::report(&out)
}

/// Checks one fixture: its `full` output (the snapshot), and the findings `report` (its
/// folder's JSON run) holds for it against the fixture's markers.
fn check_file(path: &Path, report: &[Finding]) -> String {
    let p = rel(path);
    let key = p.strip_prefix("fixtures/").unwrap_or(&p).to_string();
    let out = qa(&[&p]);
    assert!(
        out.code == 0 || out.code == 1,
        "{p}: exit {} (usage/internal error)\n{}",
        out.code,
        out.stderr
    );
    assert!(
        !out.stdout.contains("interpreter-crash") || key.starts_with("hostile/"),
        "{p}:\n{}",
        out.stdout
    );
    let want = markers::read(path);
    let got = markers::found(report.iter().filter(|f| f.path == p));
    assert_eq!(
        got, want,
        "{p}: diagnostics (line, severity, rule) differ from the markers; output:\n{}",
        out.stdout
    );
    if want.is_empty() {
        assert_eq!(out.code, 0, "{p} should pass:\n{}", out.stdout);
        assert!(
            out.stdout.starts_with("0 errors, 0 warnings"),
            "{p} should be clean:\n{}",
            out.stdout
        );
        assert!(!key.ends_with("-fail.md"), "{p}: a -fail file must report something");
    } else {
        assert!(!key.ends_with("-pass.md"), "{p}: a -pass file must have no markers");
        let errors = want.iter().any(|e| e.severity == Severity::Error);
        assert_eq!(out.code, i32::from(errors), "{p}: exit code\n{}", out.stdout);
    }
    out.stdout
}

/// Snapshot settings: the Python version and object addresses vary by machine.
fn exec_settings() -> insta::Settings {
    let mut s = settings();
    s.add_filter(r"0x[0-9a-f]{6,16}", "0x[ADDR]");
    // What a nondeterministic line printed this run.
    s.add_filter(r"this run got `[^`]*`", "this run got `[VARIES]`");
    s
}

#[test]
fn claims_fixtures() {
    let _guard = exec_settings().bind_to_scope();
    let report = folder_report("fixtures/claims");
    insta::glob!("../fixtures/claims", "*.md", |path| {
        insta::assert_snapshot!(check_file(path, &report));
    });
}

#[test]
fn hostile_fixtures() {
    let escape = Path::new("/tmp/qa-lint-escape.txt");
    let _ = std::fs::remove_file(escape);
    let _guard = exec_settings().bind_to_scope();
    let report = folder_report("fixtures/hostile");
    insta::glob!("../fixtures/hostile", "*.md", |path| {
        insta::assert_snapshot!(check_file(path, &report));
    });
    assert!(!escape.exists(), "a snippet wrote outside its working directory");
}

#[test]
fn directives_fixtures() {
    let _guard = exec_settings().bind_to_scope();
    let report = folder_report("fixtures/directives");
    insta::glob!("../fixtures/directives", "*.md", |path| {
        insta::assert_snapshot!(check_file(path, &report));
    });
}

/// Every claim form has both a passing and a failing file.
#[test]
fn claims_fixtures_come_in_pairs() {
    let dir = root().join("fixtures/claims");
    let names: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .collect();
    assert!(names.len() >= 30, "{names:?}");
    for n in &names {
        let (form, other) = if let Some(f) = n.strip_suffix("-pass.md") {
            (f, format!("{f}-fail.md"))
        } else if let Some(f) = n.strip_suffix("-fail.md") {
            (f, format!("{f}-pass.md"))
        } else {
            panic!("{n}: claims fixtures are named <form>-pass.md / <form>-fail.md");
        };
        assert!(names.contains(&other), "claim form {form} lacks {other}");
    }
}

/// The whole hostile folder in one run: nothing leaks and the run stays fast.
#[test]
fn hostile_folder_in_one_run() {
    let t = std::time::Instant::now();
    let out = qa(&["--output-format", "json", "fixtures/hostile"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let findings = common::report(&out);
    let all = out.stdout.to_lowercase();
    assert!(!all.contains("hunter2"), "the parent's secret reached an example");
    let n = findings.len();
    assert_eq!(n, 14, "{}", out.stdout);
    assert!(t.elapsed().as_secs() < 30, "hostile folder took {:?}", t.elapsed());
}

/// A marker that does not name one line next to it fails, with its line: a check that
/// misread its markers would pass for the wrong reason.
#[test]
fn a_marker_that_names_no_single_line_next_to_it_fails() {
    let page = |marker: &str| {
        format!("# T\n\n```python\nx = 1  # 2\nprint(x)  # 2\n```\n{marker}\n\n## Next\n\n```python\ny = 3\n```\n")
    };
    let at = |line, rule: &str, severity| Expected {
        line,
        rule: rule.into(),
        severity,
    };
    let read = |marker: &str| markers::parse(&page(marker));
    for (marker, line, rule, severity) in [
        (
            "<!-- expect: error output-mismatch `x = 1` -->",
            4,
            "output-mismatch",
            Severity::Error,
        ),
        (
            "<!-- expect: warning claim-format =`print(x)  # 2` -->",
            5,
            "claim-format",
            Severity::Warning,
        ),
        (
            "<!-- expect: error missing-fixture fence -->",
            3,
            "missing-fixture",
            Severity::Error,
        ),
        // The heading below is next to the marker too.
        (
            "<!-- expect: warning thread-left-running `## Next` -->",
            9,
            "thread-left-running",
            Severity::Warning,
        ),
    ] {
        assert_eq!(read(marker), Ok(vec![at(line, rule, severity)]), "{marker}");
    }
    for (marker, why) in [
        ("<!-- expect: error output-mismatch `# 2` -->", "it names [4, 5]"),
        ("<!-- expect: error output-mismatch `# 3` -->", "it names []"),
        ("<!-- expect: error output-mismatch =`x = 1` -->", "it names []"),
        // In a block that is not next to the marker.
        ("<!-- expect: error output-mismatch `y = 3` -->", "it names []"),
        ("<!-- expect: fatal output-mismatch `x = 1` -->", "unknown severity"),
        ("<!-- expect: error output_mismatch `x = 1` -->", "not a rule name"),
        ("<!-- expect: error output-mismatch x = 1 -->", "WHERE is"),
        ("<!-- expect: error output-mismatch `` -->", "WHERE is"),
        ("<!-- expect error output-mismatch `x = 1` -->", "write `<!-- expect:"),
    ] {
        let err = read(marker).expect_err(marker);
        assert!(err.starts_with("7: ") && err.contains(why), "{marker}: {err}");
    }
    // Nothing that looks like a marker may go unread: inside code it would be code, inside a
    // paragraph it would split it.
    let inside = "# T\n\n```python\nx = 1\n<!-- expect: error output-mismatch `x = 1` -->\n```\n";
    assert!(markers::parse(inside).unwrap_err().starts_with("5: "));
    let inline = "# T\n\nSome text <!-- expect: error output-mismatch `text` --> here.\n";
    assert!(markers::parse(inline).unwrap_err().starts_with("3: "));
    let no_block = "# T\n\nText.\n\n<!-- expect: error missing-fixture fence -->\n";
    assert!(markers::parse(no_block).unwrap_err().contains("there is none"));
}
