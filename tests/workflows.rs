//! The workflows around a check: output formats, the cache, --fix, shards, --changed-since,
//! the summary file and the pre-commit hook, all through the real binary.

mod common;
use common::{qa, qa_in, root, settings};
use std::path::Path;
use std::process::Command;

const SAMPLE: &str = "fixtures/formats/sample.md";

#[test]
fn every_output_format_is_snapshot_tested() {
    let _guard = settings().bind_to_scope();
    for format in [
        "full",
        "concise",
        "json",
        "json-lines",
        "github",
        "sarif",
        "junit",
        "gitlab",
    ] {
        let out = qa(&["--no-cache", "--output-format", format, SAMPLE]);
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
        let mut text = out.stdout.clone();
        if format == "sarif" {
            // Rule docs are checked by the next test; here they would make every doc edit a diff.
            let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
            for rule in v["runs"][0]["tool"]["driver"]["rules"].as_array_mut().unwrap() {
                rule["help"] = serde_json::json!("[rule doc]");
            }
            // The repository root is where this checkout lives.
            let base = &mut v["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"];
            assert_eq!(*base, format!("file://{}/", root().display()));
            *base = serde_json::json!("file://[ROOT]/");
            text = serde_json::to_string_pretty(&v).unwrap();
        }
        insta::assert_snapshot!(format!("format_{format}"), text);
    }
}

#[test]
fn sarif_has_a_rule_entry_with_help_for_every_result() {
    let out = qa(&["--no-cache", "--output-format", "sarif", SAMPLE]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in run["results"].as_array().unwrap() {
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        assert!(rule["help"]["text"]
            .as_str()
            .unwrap()
            .contains(r["ruleId"].as_str().unwrap()));
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn unchanged_rerun_starts_no_python_and_corrupt_cache_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let cache_arg = cache.to_str().unwrap();
    let first = qa(&["--cache-dir", cache_arg, "--output-format", "json", SAMPLE]);
    // With every entry cached, a run that would have to start Python fails loudly instead.
    let mut second = Command::new(env!("CARGO_BIN_EXE_qa-lint"));
    second
        .args(["--cache-dir", cache_arg, "--output-format", "json", SAMPLE])
        .current_dir(root());
    let second = second.env("QA_LINT_FORBID_EXEC", "1").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&second.stdout), first.stdout);
    assert_eq!(second.status.code(), Some(1));
    // Corrupt every cache file: the run still gives the same answer and rewrites them.
    let mut corrupted = 0;
    for entry in walk(&cache) {
        if entry.extension().is_some_and(|e| e == "json") {
            std::fs::write(&entry, b"{\"format\": 1, \"key\": \"trunc").unwrap();
            corrupted += 1;
        }
    }
    assert!(corrupted >= 2, "one file per entry with examples");
    let third = qa(&["--cache-dir", cache_arg, "--output-format", "json", SAMPLE]);
    assert_eq!(third.stdout, first.stdout);
    let fourth = Command::new(env!("CARGO_BIN_EXE_qa-lint"))
        .args(["--cache-dir", cache_arg, "--output-format", "json", SAMPLE])
        .current_dir(root())
        .env("QA_LINT_FORBID_EXEC", "1")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&fourth.stdout),
        first.stdout,
        "cache files were rewritten"
    );
    assert_eq!(
        std::fs::read_to_string(cache.join(".gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("*")
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn fix_rewrites_only_the_claim_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(SAMPLE), dir.path().join("s.md")).unwrap();
    let diff = qa_in(dir.path(), &["--no-cache", "--diff", "s.md"]);
    assert_eq!(diff.code, 1, "--diff fails when it would change something");
    insta::assert_snapshot!(diff.stdout, @r"
    --- s.md
    +++ s.md
    @@ -10,5 +10,5 @@
     nums = [3, 1, 2]
     print(sorted(nums))  # [1, 2, 3]
    -print(nums)  # [1, 2, 3] -> wrong on purpose: the input is unchanged
    +print(nums)  # [3, 1, 2] -> wrong on purpose: the input is unchanged
     print(len(nums) > 2)  # Usually False
     ```
    ");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("s.md")).unwrap(),
        std::fs::read_to_string(root().join(SAMPLE)).unwrap()
    );
    let fixed = qa_in(
        dir.path(),
        &["--no-cache", "--fix", "--output-format", "concise", "s.md"],
    );
    // The hedged claim is left alone without --fix-hedged (it stays a warning).
    assert_eq!(fixed.code, 0, "{}", fixed.stdout);
    assert!(
        fixed.stdout.contains("[output-mismatch]") && fixed.stdout.contains("0 errors, 2 warnings"),
        "{}",
        fixed.stdout
    );
    let after = std::fs::read_to_string(dir.path().join("s.md")).unwrap();
    assert!(after.contains("print(nums)  # [3, 1, 2] -> wrong on purpose"));
    let again = qa_in(dir.path(), &["--no-cache", "--fix", "s.md"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("s.md")).unwrap(),
        after,
        "second --fix changes nothing"
    );
    assert!(again.stderr.contains("fixed 0 claim(s)"));
    qa_in(dir.path(), &["--no-cache", "--fix", "--fix-hedged", "s.md"]);
    assert!(std::fs::read_to_string(dir.path().join("s.md"))
        .unwrap()
        .contains("print(len(nums) > 2)  # Usually True"));
}

#[test]
fn shards_together_report_exactly_what_one_run_reports() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let cache = cache.to_str().unwrap();
    let paths = ["fixtures/invalid", "fixtures/formats", "content"];
    let mut args = vec!["--cache-dir", cache, "--output-format", "json"];
    args.extend(paths);
    let full = qa(&args);
    let mut files = Vec::new();
    for k in 1..=4 {
        let shard = format!("{k}/4");
        let mut a = vec!["--cache-dir", cache, "--output-format", "json", "--shard", &shard];
        a.extend(paths);
        let out = qa(&a);
        let f = dir.path().join(format!("shard{k}.json"));
        std::fs::write(&f, &out.stdout).unwrap();
        files.push(f.to_str().unwrap().to_string());
    }
    let mut merge = vec!["merge", "--output-format", "json"];
    merge.extend(files.iter().map(String::as_str));
    let merged = qa(&merge);
    let full_v: serde_json::Value = serde_json::from_str(&full.stdout).unwrap();
    let merged_v: serde_json::Value = serde_json::from_str(&merged.stdout).unwrap();
    assert!(full_v.as_array().unwrap().len() > 10);
    assert_eq!(merged_v, full_v);
}

#[test]
fn changed_since_checks_only_changed_files_and_writes_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(args)
            .current_dir(d)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["config", "user.email", "t@example.com"]);
    git(&["config", "user.name", "t"]);
    std::fs::copy(root().join(SAMPLE), d.join("old.md")).unwrap();
    git(&["add", "."]);
    git(&["commit", "-qm", "base"]);
    std::fs::copy(root().join("fixtures/valid/two-entries.md"), d.join("new.md")).unwrap();
    let out = qa_in(
        d,
        &[
            "--no-cache",
            "--changed-since",
            "HEAD",
            "--summary-file",
            "summary.md",
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert_eq!(
        out.code, 0,
        "old.md (with errors) is unchanged, so not checked: {}",
        out.stdout
    );
    assert!(out.stdout.contains("in 1 file, 1 entry"), "{}", out.stdout);
    let summary = std::fs::read_to_string(d.join("summary.md")).unwrap();
    assert!(
        summary.contains("| Entries checked | 1 |") && summary.contains("| Claims verified | 4 |"),
        "{summary}"
    );
}

#[test]
fn pre_commit_hook_runs_with_the_real_pre_commit() {
    // `python3 -m pre_commit` works whether or not pip put a `pre-commit` script on PATH
    // (pyenv needs a rehash for that).
    let have = Command::new("python3")
        .args(["-m", "pre_commit", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        // .ci/run installs pre-commit; without it this test cannot say anything.
        assert!(std::env::var_os("CI").is_none(), "pre-commit must be installed in CI");
        eprintln!("pre-commit not installed; skipping");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| Command::new(args[0]).args(&args[1..]).current_dir(d).output().unwrap();
    run(&["git", "init", "-q"]);
    std::fs::copy(root().join(SAMPLE), d.join("bad.md")).unwrap();
    std::fs::copy(root().join("fixtures/valid/two-entries.md"), d.join("good.md")).unwrap();
    run(&["git", "add", "."]);
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_qa-lint")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let try_repo = |file: &str| {
        Command::new("python3")
            .args([
                "-m",
                "pre_commit",
                "try-repo",
                root().to_str().unwrap(),
                "qa-lint-system",
                "--files",
                file,
            ])
            .current_dir(d)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", d.join(".pre-commit-home"))
            .env("QA_LINT_CACHE_DIR", d.join(".cache"))
            .output()
            .unwrap()
    };
    let good = try_repo("good.md");
    assert!(good.status.success(), "{}", String::from_utf8_lossy(&good.stdout));
    let bad = try_repo("bad.md");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stdout).contains("output-mismatch"));
}

#[test]
fn progress_shows_on_a_terminal_and_never_in_pipes() {
    let piped = qa(&["--no-cache", "fixtures/valid"]);
    assert!(
        piped.stderr.is_empty(),
        "piped runs print no progress: {:?}",
        piped.stderr
    );
    let have_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_script {
        eprintln!("util-linux `script` not installed; the terminal half is not checked");
        return;
    }
    // `script` gives qa-lint a pseudo-terminal, as an author's shell would.
    let cmd = format!("{} --no-cache content", env!("CARGO_BIN_EXE_qa-lint"));
    let tty = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&tty.stdout);
    assert!(text.contains("running examples"), "{text}");
    let quiet = Command::new("script")
        .args(["-qec", &format!("{cmd} --quiet"), "/dev/null"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&quiet.stdout).contains("running examples"),
        "--quiet draws no bar"
    );
}

#[test]
fn only_execution_settings_invalidate_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(root().join(SAMPLE), d.join("s.md")).unwrap();
    let run = |forbid: bool| {
        let env: &[(&str, &str)] = if forbid { &[("QA_LINT_FORBID_EXEC", "1")] } else { &[] };
        common::qa_in_env(d, &["--cache-dir", "cache", "--output-format", "concise", "s.md"], env)
    };
    std::fs::write(d.join("qa-lint.toml"), "[rules]\n").unwrap();
    assert_eq!(run(false).code, 1);
    // A severity change only changes judging: every entry still comes from the cache.
    std::fs::write(d.join("qa-lint.toml"), "[rules]\noutput-mismatch = \"warning\"\n").unwrap();
    let relevelled = run(true);
    assert_eq!(relevelled.code, 0, "{}", relevelled.stderr);
    assert!(
        relevelled.stdout.contains("0 errors, 3 warnings"),
        "{}",
        relevelled.stdout
    );
    // A limit that changes how Python runs does re-run.
    std::fs::write(d.join("qa-lint.toml"), "[exec]\nmemory-mb = 900\n").unwrap();
    let rerun = run(true);
    assert_eq!(rerun.code, 2, "{}", rerun.stdout);
    assert!(rerun.stderr.contains("QA_LINT_FORBID_EXEC=1"), "{}", rerun.stderr);
}
