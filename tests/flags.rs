//! The flags ruff users reach for, through the real binary, where a case needs more than a
//! transcript (a temporary directory, a report file, standard input): `--extend-select` over
//! the config, `--output-file`, `--show-fixes`, `--diff`'s exit code, `-` with
//! `--stdin-filename`, several files for `inspect`, and the empty-folder warning. `check`,
//! `--select`, `--ignore`, `--exit-zero` and a misspelt rule are transcripts in `tests/cmd/`.

mod common;
use common::{qa, qa_in, root, settings};

const SAMPLE: &str = "fixtures/formats/sample.md";

#[test]
fn extend_select_turns_a_rule_back_on_over_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(SAMPLE), dir.path().join("s.md")).unwrap();
    std::fs::write(
        dir.path().join("qa-lint.toml"),
        "[rules]\ntitle-not-a-question = \"off\"\n",
    )
    .unwrap();
    let args = ["--no-exec", "--output-format", "concise", "s.md"];
    let off = qa_in(dir.path(), &args);
    assert!(!off.stdout.contains("QA101"), "{}", off.stdout);
    let mut on = vec!["--extend-select", "title-not-a-question"];
    on.extend(args);
    let on = qa_in(dir.path(), &on);
    assert!(
        on.stdout.contains("s.md:24:7: QA101 [title-not-a-question]"),
        "{}",
        on.stdout
    );
}

#[test]
fn output_file_show_fixes_and_diff_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(root().join(SAMPLE), d.join("s.md")).unwrap();
    let out = qa_in(
        d,
        &[
            "--no-cache",
            "--output-format",
            "json",
            "-o",
            "report.json",
            "--show-fixes",
            "s.md",
        ],
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "", "the report went to the file");
    let report = common::report::parse(&std::fs::read_to_string(d.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.len(), 3);
    // Machine formats keep the fix list off the report.
    insta::assert_snapshot!(out.stderr, @r"
    1 claim fixable with --fix:
      s.md:12:16: QA201 [output-mismatch] -> `[3, 1, 2]`
    ");
    let fixed = qa_in(
        d,
        &[
            "--no-cache",
            "--fix",
            "--fix-hedged",
            "--show-fixes",
            "-q",
            "--output-format",
            "concise",
            "s.md",
        ],
    );
    assert_eq!(fixed.code, 0);
    insta::assert_snapshot!(fixed.stdout, @r"
    s.md:24:7: QA101 [title-not-a-question] entry title is not a question
    Fixed 2 claims:
      s.md:12:16: QA201 [output-mismatch] -> `[3, 1, 2]`
      s.md:13:33: QA201 [output-mismatch] -> `True`
    ");
    // Nothing left to change: --diff passes.
    let diff = qa_in(d, &["--no-cache", "--diff", "--fix-hedged", "s.md"]);
    assert_eq!((diff.code, diff.stdout.as_str()), (0, ""));
}

fn qa_stdin(args: &[&str], input: &[u8]) -> common::Output {
    common::qa_stdin(&root(), args, input)
}

#[test]
fn standard_input_is_checked_as_the_named_file_and_fixed_to_standard_output() {
    let text = std::fs::read(root().join(SAMPLE)).unwrap();
    let common::Output { code, stdout, .. } = qa_stdin(
        &[
            "--no-cache",
            "--output-format",
            "concise",
            "-q",
            "--stdin-filename",
            "notes/sorted.md",
            "-",
        ],
        &text,
    );
    assert_eq!(code, 1);
    let _guard = settings().bind_to_scope();
    insta::assert_snapshot!(stdout, @r"
    notes/sorted.md:12:16: QA201 [output-mismatch] output does not match the claim: claimed `[1, 2, 3]`, got `[3, 1, 2]`
    notes/sorted.md:13:33: QA201 [output-mismatch] hedged claim does not hold here: claimed `False`, got `True`
    notes/sorted.md:24:7: QA101 [title-not-a-question] entry title is not a question
    ");
    // --fix on standard input prints the fixed text (as ruff does); the report goes to stderr.
    let fix = qa_stdin(&["--no-cache", "--fix", "--output-format", "concise", "-q", "-"], &text);
    let (code, fixed, report) = (fix.code, fix.stdout, fix.stderr);
    assert_eq!(code, 0, "{report}");
    let expected = String::from_utf8(text.clone())
        .unwrap()
        .replace("print(nums)  # [1, 2, 3]", "print(nums)  # [3, 1, 2]");
    assert_eq!(fixed, expected);
    assert!(report.contains("-:24:7: QA101"), "{report}");
    let both = qa_stdin(&["-", SAMPLE], b"");
    let (code, err) = (both.code, both.stderr);
    assert_eq!(code, 2);
    assert!(err.contains("cannot be combined"), "{err}");
}

#[test]
fn inspect_takes_several_files_and_an_empty_folder_warns() {
    let out = qa(&["inspect", "fixtures/valid/two-entries.md", SAMPLE]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let docs: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
    let files: Vec<&str> = docs.iter().map(|d| d["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["fixtures/valid/two-entries.md", SAMPLE, SAMPLE]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/notes.txt"), "not markdown").unwrap();
    let empty = qa_in(dir.path(), &["--no-cache", "docs"]);
    assert_eq!(empty.code, 0);
    assert_eq!(empty.stderr, "warning: no Markdown files to check in docs\n");
}
