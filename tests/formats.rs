//! Formats that hold: SARIF valid against the official 2.1.0 schema with formats checked,
//! JUnit valid against Jenkins' XSD, no raw control character in any text format, stable
//! fingerprints, and `--fix` that never writes control bytes. The inputs are the files a real
//! corpus throws at a report: `my notes, 100%.md` (space, comma, percent), `naïve.md`
//! (non-ASCII), and a snippet whose output holds ESC and NUL.

mod common;
use common::{qa, qa_in, root};
use std::path::Path;
use std::process::Command;

const DIR: &str = "fixtures/escaping";
const NOTES: &str = "fixtures/escaping/my notes, 100%.md";

fn sarif_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("tests/schemas/sarif-schema-2.1.0.json")).unwrap())
            .unwrap();
    // The schema says draft-04 but uses draft-06's `uri-reference` format, which a draft-04
    // validator skips; draft 7 checks it (the schema uses nothing whose meaning changed).
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the official SARIF schema compiles")
}

fn assert_valid_sarif(text: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF is invalid: {errors:#?}");
    v
}

fn uris(v: &serde_json::Value) -> Vec<(String, String)> {
    v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"]["artifactLocation"];
            (
                loc["uri"].as_str().unwrap().to_string(),
                loc["uriBaseId"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn sarif_is_valid_and_maps_to_the_same_files_from_anywhere() {
    let from_root = qa(&["--no-cache", "--output-format", "sarif", DIR]);
    assert_eq!(from_root.code, 1, "{}", from_root.stderr);
    let v = assert_valid_sarif(&from_root.stdout);
    let run = &v["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        format!("file://{}/", root().display())
    );
    let expected = uris(&v);
    assert!(expected.contains(&("fixtures/escaping/my%20notes%2C%20100%25.md".into(), "%SRCROOT%".into())));
    assert!(expected.contains(&("fixtures/escaping/na%C3%AFve.md".into(), "%SRCROOT%".into())));
    for r in run["results"].as_array().unwrap() {
        assert_eq!(
            r["partialFingerprints"]["qaLintFingerprint/v1"].as_str().unwrap().len(),
            32
        );
    }
    // A run from a subdirectory, and one with absolute paths, name the same artifacts.
    let sub = qa_in(
        &root().join("fixtures"),
        &["--no-cache", "--output-format", "sarif", "escaping"],
    );
    assert_eq!(uris(&assert_valid_sarif(&sub.stdout)), expected);
    let abs = root().join(DIR);
    let absolute = qa_in(
        &root().join("fixtures"),
        &["--no-cache", "--output-format", "sarif", abs.to_str().unwrap()],
    );
    assert_eq!(uris(&assert_valid_sarif(&absolute.stdout)), expected);
}

#[test]
fn the_sarif_check_catches_what_it_should() {
    // The validator is only worth something if it rejects what GitHub would: an unencoded URI
    // (format checking) and a misspelt property (the schema forbids unknown ones).
    let out = qa(&["--no-cache", "--output-format", "sarif", NOTES]);
    let mut v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let loc = &mut v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    loc["uri"] = serde_json::json!("fixtures/escaping/my notes, 100%.md");
    assert!(
        !sarif_validator().is_valid(&v),
        "a raw space and % must fail uri-reference"
    );
    let mut v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    v["runs"][0]["columnKinds"] = serde_json::json!("utf16CodeUnits");
    assert!(!sarif_validator().is_valid(&v));
}

#[test]
fn sarif_with_no_results_is_valid_too() {
    let out = qa(&[
        "--no-cache",
        "--output-format",
        "sarif",
        "fixtures/valid/two-entries.md",
    ]);
    assert_eq!(out.code, 0);
    assert_valid_sarif(&out.stdout);
}

/// `python3 -c CODE ARGS...` when the `xmlschema` package is importable; in CI it must be.
fn with_xmlschema(code: &str, args: &[&str]) -> Option<String> {
    if !common::need(
        common::python_has("xmlschema"),
        "the Python package xmlschema (JUnit is not validated against the XSD)",
    ) {
        return None;
    }
    let out = Command::new("python3").arg("-c").arg(code).args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn junit_parses_validates_against_the_jenkins_xsd_and_its_counts_agree() {
    let out = qa(&[
        "--no-cache",
        "--output-format",
        "junit",
        DIR,
        "fixtures/formats/sample.md",
    ]);
    assert_eq!(out.code, 1);
    assert!(
        !out.stdout.chars().any(|c| c.is_control() && c != '\n'),
        "{:?}",
        out.stdout
    );
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.xml");
    std::fs::write(&report, &out.stdout).unwrap();
    let check = r#"
import sys, xmlschema, xml.etree.ElementTree as ET
xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])
top = ET.parse(sys.argv[2]).getroot()
suites = top.findall("testsuite")
assert int(top.get("tests")) == sum(int(s.get("tests")) for s in suites)
assert int(top.get("failures")) == sum(int(s.get("failures")) for s in suites)
for s in suites:
    cases = s.findall("testcase")
    assert int(s.get("tests")) == len(cases), s.get("name")
    assert int(s.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
print(sum(len(c.findall("failure")) for s in suites for c in s.findall("testcase")))
print("\n".join(f.get("message") for f in top.iter("failure")))
"#;
    let xsd = root().join("tests/schemas/junit-10.xsd");
    if let Some(stdout) = with_xmlschema(check, &[xsd.to_str().unwrap(), report.to_str().unwrap()]) {
        let mut lines = stdout.lines();
        assert_eq!(lines.next(), Some("7"), "every diagnostic is a failure: {stdout}");
        assert!(
            stdout.contains(r"got `\x1b[31mred\x1b[0m`") && stdout.contains(r"got `a\x00b`"),
            "{stdout}"
        );
    }
}

#[test]
fn text_formats_never_print_raw_control_characters() {
    for format in ["full", "concise", "github", "junit"] {
        let out = qa(&["--no-cache", "--color", "never", "--output-format", format, NOTES]);
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
        assert!(
            !out.stdout.chars().any(|c| c.is_control() && c != '\n'),
            "{format} printed a control character: {:?}",
            out.stdout
        );
        assert!(out.stdout.contains(r"\x1b[31mred\x1b[0m"), "{format}: {}", out.stdout);
    }
    let github = qa(&["--no-cache", "--output-format", "github", NOTES]);
    let _guard = common::settings().bind_to_scope();
    insta::assert_snapshot!(github.stdout);
    // JSON keeps the exact text (JSON's own escaping makes it safe).
    let json = qa(&["--no-cache", "--output-format", "json", NOTES]);
    assert!(json.stdout.contains(r"\u001b[31mred"), "{}", json.stdout);
    assert!(common::report(&json)[0].message.contains("\u{1b}[31mred"));
}

#[test]
fn gitlab_fingerprints_survive_lines_inserted_above() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = std::fs::read_to_string(root().join("fixtures/formats/sample.md")).unwrap();
    std::fs::write(d.join("s.md"), &text).unwrap();
    let fingerprints = |d: &Path| {
        let out = qa_in(d, &["--no-cache", "--output-format", "gitlab", "s.md"]);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["fingerprint"].as_str().unwrap().to_string(),
                    i["location"]["lines"]["begin"].as_u64().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let before = fingerprints(d);
    let (head, rest) = text.split_once("\n\n").unwrap();
    std::fs::write(
        d.join("s.md"),
        format!("{head}\n\nA line of introduction.\n\nAnd another.\n\n{rest}"),
    )
    .unwrap();
    let after = fingerprints(d);
    assert_eq!(before.len(), after.len());
    for ((fb, lb), (fa, la)) in before.iter().zip(&after) {
        assert_eq!(fb, fa, "fingerprint changed");
        assert_eq!(*la, lb + 4, "the diagnostic moved down four lines");
    }
    let mut unique: Vec<_> = after.iter().map(|(f, _)| f).collect();
    unique.dedup();
    assert_eq!(unique.len(), after.len(), "fingerprints are unique");
}

#[test]
fn fix_never_writes_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let name = "my notes, 100%.md";
    std::fs::copy(root().join(NOTES), dir.path().join(name)).unwrap();
    let before = std::fs::read_to_string(dir.path().join(name)).unwrap();
    let out = qa_in(dir.path(), &["--no-cache", "--fix", "--output-format", "concise", name]);
    assert_eq!(out.code, 1, "the refused claims are still wrong");
    assert_eq!(std::fs::read_to_string(dir.path().join(name)).unwrap(), before);
    insta::assert_snapshot!(out.stderr, @r"
    fixed 0 claim(s) in 0 file(s)
    warning: my notes, 100%.md:9:15: QA201 not fixed: the output `\x1b[31mred\x1b[0m` holds control characters; write the claim by hand (for example, claim its repr())
    warning: my notes, 100%.md:10:18: QA201 not fixed: the output `a\x00b` holds control characters; write the claim by hand (for example, claim its repr())
    ");
}

/// A snippet whose output holds GitHub runner commands (`::add-mask::`, `::stop-commands::`
/// at the start of a line, `##[error]` anywhere) never writes one into the job's log: every
/// format escapes them, and the JSON ones decode back to the exact text.
#[test]
fn runner_commands_from_a_snippet_never_reach_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let md = "---\nqa-lint:\n  entries: sections\n---\n# Commands\n\n## A wrong claim\n\n```python\nprint(\"::add-mask::token\\n  ::stop-commands::x\\n##[error]forged\")  # 42\n```\n";
    std::fs::write(dir.path().join("a.md"), md).unwrap();
    for format in [
        "full",
        "concise",
        "json",
        "json-lines",
        "sarif",
        "junit",
        "github",
        "gitlab",
    ] {
        let out = qa_in(dir.path(), &["--no-cache", "--output-format", format, "a.md"]);
        assert_eq!(out.code, 1, "{format}: {}{}", out.stdout, out.stderr);
        for line in out.stdout.lines() {
            let t = line.trim_start();
            let ours = format == "github" && (t.starts_with("::error ") || t.starts_with("::warning "));
            assert!(!t.starts_with("::") || ours, "{format}: a command line: {line}");
            assert!(!line.contains("##["), "{format}: a legacy command: {line}");
        }
        if format == "json" {
            assert!(!out.stdout.contains("##[error]forged"));
            assert!(
                common::report_value(&out).to_string().contains("##[error]forged"),
                "the JSON decodes to the exact text"
            );
        }
    }
}

/// Run on `.` (the default, and the Action's), reports name files as the repository does:
/// `content/a.md`, never `./content/a.md`, which GitHub does not attach to the diff.
#[test]
fn paths_walked_from_the_current_directory_have_no_dot_prefix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("content")).unwrap();
    std::fs::write(
        dir.path().join("content/a.md"),
        "---\nqa-lint:\n  entries: sections\n---\n# A\n\n## B\n\n```python\nprint(1)  # 2\n```\n",
    )
    .unwrap();
    for args in [
        &["--output-format", "github", "."][..],
        &["--output-format", "github", "./content/a.md"][..],
    ] {
        let mut all = vec!["--no-cache"];
        all.extend_from_slice(args);
        let out = qa_in(dir.path(), &all);
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("file=content/a.md,"), "{}", out.stdout);
    }
}

/// The default report's `[file:line:col]` counts characters, as the JSON and concise formats
/// do: on a line with `é` before the claim, it points at the claim, not past it.
#[test]
fn the_full_report_counts_columns_in_characters() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.md"),
        "---\nqa-lint:\n  entries: sections\n---\n# T\n\n## é\n\n```python\nprint(\"héllo\")  # hallo\n```\n",
    )
    .unwrap();
    let full = qa_in(dir.path(), &["--no-cache", "a.md"]);
    let concise = qa_in(dir.path(), &["--no-cache", "--output-format", "concise", "a.md"]);
    assert!(concise.stdout.starts_with("a.md:10:19: "), "{}", concise.stdout);
    assert!(full.stdout.contains("[a.md:10:19]"), "{}", full.stdout);
}
