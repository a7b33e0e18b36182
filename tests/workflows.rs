//! The workflows around a check: output formats, the cache, --fix, shards, --changed-since,
//! the summary file and the pre-commit hook, all through the real binary.

mod common;
use common::{qa, qa_in, root, settings};
use std::path::Path;
use std::process::Command;

const SAMPLE: &str = "fixtures/formats/sample.md";

/// `git ARGS` in `cwd` with a throwaway identity and `main` as the first branch; fails the test
/// when git does.
fn git(cwd: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_output_format_is_snapshot_tested() {
    let _guard = settings().bind_to_scope();
    // Every format the command line offers, from the code: a new one cannot be left out.
    use clap::ValueEnum;
    let formats: Vec<String> = qa_lint::report::OutputFormat::value_variants()
        .iter()
        .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
        .collect();
    assert!(formats.len() >= 8, "{formats:?}");
    for format in formats.iter().map(String::as_str) {
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
    let cached = ["--cache-dir", cache_arg, "--output-format", "json", SAMPLE];
    let second = common::qa_in_env(&root(), &cached, &[("QA_LINT_FORBID_EXEC", "1")]);
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(second.code, 1);
    // Every later re-run too: a run that took a file whole from the cache does not store it
    // again (it once stored it empty, and the third run lost the file's findings).
    let again = common::qa_in_env(&root(), &cached, &[("QA_LINT_FORBID_EXEC", "1")]);
    assert_eq!(again.stdout, first.stdout, "second re-run");
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
    let fourth = common::qa_in(&root(), &[&cached[..], &["--forbid-exec"]].concat());
    assert_eq!(fourth.stdout, first.stdout, "cache files were rewritten");
    assert_eq!(
        std::fs::read_to_string(cache.join(".gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("*")
    );
}

#[test]
fn a_rerun_from_the_cache_counts_what_the_first_run_counted() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let args = [
        "--cache-dir",
        cache.to_str().unwrap(),
        "--output-format",
        "concise",
        SAMPLE,
    ];
    let summary = |out: &common::Output| out.stdout.lines().last().unwrap_or_default().to_string();
    let first = summary(&qa(&args));
    assert!(first.contains("claims verified"), "{first}");
    for run in ["first re-run", "second re-run"] {
        let again = summary(&common::qa_in_env(&root(), &args, &[("QA_LINT_FORBID_EXEC", "1")]));
        assert!(again.ends_with("entries from cache)"), "{run}: {again}");
        assert!(again.starts_with(&first), "{run}: {again}\nfirst: {first}");
    }
}

#[test]
fn a_file_record_is_not_reused_when_a_fixture_changes_what_it_reports() {
    // A missing fixture and one that links outside the project give the entry the same job,
    // so the same entry key; the file's judged record must not carry the first message over.
    let project = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let dir = project.path();
    let page = std::fs::read_to_string(root().join("fixtures/rules/missing-fixture/fail.md"))
        .unwrap()
        .replace("fixture=data/no-such-words.txt", "fixture=words.txt");
    std::fs::write(dir.join("a.md"), page).unwrap();
    let args = ["--cache-dir", "cache", "--output-format", "concise", "a.md"];
    let missing = qa_in(dir, &args);
    assert!(missing.stdout.contains("cannot be read"), "{}", missing.stdout);
    std::fs::write(outside.path().join("words.txt"), "a b\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("words.txt"), dir.join("words.txt")).unwrap();
    let linked = common::qa_in_env(dir, &args, &[("QA_LINT_FORBID_EXEC", "1")]);
    assert!(linked.stdout.contains("is outside the project"), "{}", linked.stdout);
    assert!(!linked.stdout.contains("cannot be read"), "{}", linked.stdout);
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
    let full_v = common::report_value(&full);
    let merged_v = common::report_value(&merged);
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

/// Whether `python3 -m pre_commit` works (whether or not pip put a `pre-commit` script on PATH;
/// pyenv needs a rehash for that). .ci/run installs it, so in CI its absence fails the test.
fn have_pre_commit() -> bool {
    let have = Command::new("python3")
        .args(["-m", "pre_commit", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    common::need(have, "pre-commit (`python3 -m pre_commit`)")
}

#[test]
fn pre_commit_hook_runs_with_the_real_pre_commit() {
    if !have_pre_commit() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |args: &[&str]| Command::new(args[0]).args(&args[1..]).current_dir(d).output().unwrap();
    run(&["git", "init", "-q"]);
    std::fs::copy(root().join(SAMPLE), d.join("bad.md")).unwrap();
    std::fs::copy(root().join("fixtures/valid/two-entries.md"), d.join("good.md")).unwrap();
    // pre-commit names files one by one: the hook passes --force-exclude, so the config's
    // `exclude` still applies to them.
    std::fs::create_dir(d.join("drafts")).unwrap();
    std::fs::copy(root().join(SAMPLE), d.join("drafts/bad.md")).unwrap();
    std::fs::write(d.join("qa-lint.toml"), "exclude = [\"drafts/**\"]\n").unwrap();
    run(&["git", "add", "."]);
    let bin_dir = common::exe().parent().unwrap().to_path_buf();
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
    let excluded = try_repo("drafts/bad.md");
    assert!(
        excluded.status.success(),
        "an excluded file passed by pre-commit is left out: {}",
        String::from_utf8_lossy(&excluded.stdout)
    );
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
    if !common::need(have_script, "util-linux `script` (the terminal half of this test)") {
        return;
    }
    // `script` gives qa-lint a pseudo-terminal, as an author's shell would.
    let cmd = format!("{} --no-cache content", common::exe().display());
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
        let args = [
            "--cache-dir",
            "cache",
            "--output-format",
            "concise",
            "s.md",
            "--forbid-exec",
        ];
        common::qa_in(d, &args[..if forbid { 6 } else { 5 }])
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
    assert!(rerun.stderr.contains("--forbid-exec"), "{}", rerun.stderr);
}

/// The first pre-commit recipe in the README, as written: its `rev` is a tag of the hook
/// repository (pre-commit-mirror/, tagged here as a release tags it), pre-commit installs the
/// qa-lint wheel through pip (from `QA_LINT_WHEEL_DIR` in place of PyPI) with no Rust on
/// `PATH`, and the hook blocks a wrong claim and passes a right one.
#[test]
fn the_readme_pre_commit_recipe_blocks_a_wrong_claim_without_rust() {
    if !have_pre_commit() {
        return;
    }
    let Some(wheel) = common::built_wheel() else { return };
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let recipe = readme
        .split("### With pre-commit")
        .nth(1)
        .and_then(|s| s.split("```yaml\n").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("a yaml block under \"With pre-commit\"");
    let field = |name: &str| {
        recipe
            .lines()
            .find_map(|l| l.trim().trim_start_matches("- ").strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} in {recipe}"))
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    };
    let (url, rev) = (field("repo"), field("rev"));
    assert_eq!(
        rev,
        format!("v{}", env!("CARGO_PKG_VERSION")),
        "the recipe pins this release"
    );
    let dir = tempfile::tempdir().unwrap();
    // The hook repository as a release publishes it.
    let hooks = dir.path().join("hooks");
    copy_dir(&root().join("pre-commit-mirror"), &hooks);
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "."]);
    git(&hooks, &["commit", "-qm", "release"]);
    git(&hooks, &["tag", &rev]);
    let content = dir.path().join("content");
    std::fs::create_dir(&content).unwrap();
    git(&content, &["init", "-q"]);
    std::fs::write(
        content.join(".pre-commit-config.yaml"),
        recipe.replace(&url, hooks.to_str().unwrap()),
    )
    .unwrap();
    std::fs::copy(root().join(SAMPLE), content.join("bad.md")).unwrap();
    std::fs::copy(root().join("fixtures/valid/two-entries.md"), content.join("good.md")).unwrap();
    git(&content, &["add", "."]);
    // PATH without Rust: prove the hook does not build anything.
    let path: Vec<String> = std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .filter(|d| !Path::new(d).join("cargo").exists() && !Path::new(d).join("rustc").exists())
        .map(String::from)
        .collect();
    let wheels = wheel.parent().unwrap();
    let pre_commit = |file: &str| {
        Command::new("python3")
            .args(["-m", "pre_commit", "run", "--files", file])
            .current_dir(&content)
            .env("PATH", path.join(":"))
            .env_remove("CARGO_HOME")
            .env_remove("RUSTUP_HOME")
            .env("PRE_COMMIT_HOME", dir.path().join("pre-commit-home"))
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", wheels)
            .env("QA_LINT_CACHE_DIR", dir.path().join("cache"))
            .output()
            .unwrap()
    };
    let good = pre_commit("good.md");
    let text = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    assert!(good.status.success(), "{}", text(&good));
    let bad = pre_commit("bad.md");
    assert!(!bad.status.success(), "{}", text(&bad));
    assert!(text(&bad).contains("QA201[output-mismatch]"), "{}", text(&bad));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn the_action_installs_caches_annotates_and_takes_inputs_through_the_environment() {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let v: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let inputs = v["inputs"].as_object().unwrap();
    for name in ["paths", "args", "python-version", "sarif"] {
        assert!(inputs.contains_key(name), "input {name}");
    }
    assert_eq!(v["runs"]["using"], "composite");
    let steps = v["runs"]["steps"].as_array().unwrap();
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    for action in [
        "actions/setup-python@",
        "actions/cache/restore@",
        "actions/cache/save@",
        "github/codeql-action/upload-sarif@",
    ] {
        assert!(uses.iter().any(|u| u.starts_with(action)), "{action}: {uses:?}");
    }
    for step in steps {
        if let Some(script) = step["run"].as_str() {
            // Inputs inlined into a script are a shell injection; they come through `env:`.
            assert!(!script.contains("${{"), "{script}");
        }
    }
    assert!(text.contains("--output-format github"), "annotations");
    // On pull requests: strict mode with the base branch's config, no cache saved, no SARIF
    // upload from forks.
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(name)) || s["name"] == name)
    };
    let trusted = step("Trusted configuration").expect("a trusted-configuration step");
    assert!(trusted["if"].as_str().unwrap().contains("pull_request"));
    assert!(trusted["run"].as_str().unwrap().contains("--strict-sandbox --config"));
    for s in steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .filter(|r| r.contains("qa-lint --") || r.contains("qa-lint $"))
    {
        assert!(
            s.contains("$QA_TRUSTED"),
            "every qa-lint run takes the trusted settings: {s}"
        );
    }
    let save = step("actions/cache/save@").unwrap()["if"].as_str().unwrap();
    assert!(
        save.contains("github.event_name == 'push'") && save.contains("default_branch"),
        "{save}"
    );
    // The job's own Python is kept unless an input asks for another.
    assert_eq!(inputs["python-version"]["default"], "");
    assert!(step("actions/setup-python@").unwrap()["if"]
        .as_str()
        .unwrap()
        .contains("inputs.python-version != ''"));
    assert!(step("github/codeql-action/upload-sarif@").unwrap()["if"]
        .as_str()
        .unwrap()
        .contains("head.repo.full_name == github.repository"));
}

/// Every documented pull-request workflow (docs/ci.md and the README's CI example) runs
/// qa-lint on pull requests in strict mode with a trusted configuration, and writes reports
/// with `--output-file`, never through a shell redirect a snippet could swap under it.
#[test]
fn documented_workflows_run_pull_requests_strict_with_a_trusted_config() {
    for doc in ["docs/ci.md", "README.md"] {
        let text = std::fs::read_to_string(root().join(doc)).unwrap();
        let runs: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| l.contains("qa-lint ") && (l.starts_with("run:") || l.starts_with("- run:")))
            .filter(|l| !l.contains("merge") && !l.contains("pip install") && !l.contains("chmod"))
            .collect();
        assert!(!runs.is_empty(), "{doc}: no qa-lint run found");
        for run in runs {
            let strict = run.contains("$QA_LINT_ARGS") || run.contains("--strict-sandbox --config");
            assert!(strict, "{doc}: a run without the trusted settings: {run}");
            assert!(!run.contains(" > "), "{doc}: a report through a shell redirect: {run}");
        }
        assert!(!text.contains("merge shard-*.json --output-format sarif >"), "{doc}");
    }
}

/// `--fix` rewrites a wrong multi-line output block shown after the code (its line breaks are
/// its content, not control characters), and only its lines.
#[test]
fn fix_rewrites_a_multi_line_output_block() {
    let dir = tempfile::tempdir().unwrap();
    let md = "---\nqa-lint:\n  entries: sections\n---\n# O\n\n## Two lines\n\n```python\nprint(\"a\")\nprint(\"b\")\n```\n\n**Output:**\n\n```\na\nc\n```\n";
    std::fs::write(dir.path().join("o.md"), md).unwrap();
    let out = common::qa_in(dir.path(), &["--no-cache", "--fix", "o.md"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(!out.stderr.contains("control characters"), "{}", out.stderr);
    let fixed = std::fs::read_to_string(dir.path().join("o.md")).unwrap();
    assert_eq!(fixed, md.replace("a\nc\n```\n", "a\nb\n```\n"));
}

/// The recipe of docs/ci.md that takes the configuration from the base branch, as its shell
/// lines stand there (the base branch named `main`).
fn trusted_config_recipe() -> String {
    let doc = std::fs::read_to_string(root().join("docs/ci.md")).unwrap();
    let lines: Vec<&str> = doc.lines().collect();
    let step = lines
        .iter()
        .position(|l| l.trim() == "- name: Trusted configuration from the base branch")
        .expect("docs/ci.md has the trusted configuration step");
    let run = (step..lines.len())
        .find(|&i| lines[i].trim() == "run: |")
        .expect("the step runs a script");
    let indent = lines[run + 1].len() - lines[run + 1].trim_start().len();
    lines[run + 1..]
        .iter()
        .take_while(|l| l.len() - l.trim_start().len() >= indent && !l.trim().is_empty())
        .map(|l| l[indent..].replace("${{ github.base_ref }}", "main"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_trusted_config_from_outside_the_checkout_keeps_the_checkouts_paths_and_globs() {
    let dir = tempfile::tempdir().unwrap();
    let (base, checkout, runner_temp) = (
        dir.path().join("base"),
        dir.path().join("checkout"),
        dir.path().join("tmp"),
    );
    for d in [&base, &runner_temp] {
        std::fs::create_dir_all(d).unwrap();
    }
    // A repository whose configuration names a schema, excludes drafts and silences one rule
    // in legacy files: its only errors are in the files it excludes or ignores.
    for (dir, file, from) in [
        ("schema", "custom.json", "schema/entry.schema.json"),
        ("content", "good.md", "fixtures/valid/two-entries.md"),
        ("drafts", "bad.md", SAMPLE),
        ("legacy", "old.md", SAMPLE),
    ] {
        std::fs::create_dir_all(base.join(dir)).unwrap();
        std::fs::copy(root().join(from), base.join(dir).join(file)).unwrap();
    }
    std::fs::write(
        base.join("qa-lint.toml"),
        "schema = \"schema/custom.json\"\nexclude = [\"drafts/**\"]\n\n[per-file-ignores]\n\"legacy/*.md\" = [\"output-mismatch\", \"no-short-answer\", \"missing-spoken-answer\", \"missing-part\"]\n",
    )
    .unwrap();
    git(&base, &["init", "-q"]);
    git(&base, &["add", "."]);
    git(&base, &["commit", "-q", "-m", "base"]);
    git(dir.path(), &["clone", "-q", base.to_str().unwrap(), "checkout"]);
    // The recipe writes the trusted copy into $RUNNER_TEMP and the arguments into $GITHUB_ENV.
    let env_file = runner_temp.join("github_env");
    let out = Command::new("bash")
        .args(["-euc", &trusted_config_recipe()])
        .current_dir(&checkout)
        .env("RUNNER_TEMP", &runner_temp)
        .env("GITHUB_ENV", &env_file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let env = std::fs::read_to_string(&env_file).unwrap();
    let args = env
        .trim()
        .strip_prefix("QA_LINT_ARGS=")
        .expect("the recipe sets QA_LINT_ARGS");
    assert!(
        args.contains(runner_temp.to_str().unwrap()),
        "the config is read from outside: {args}"
    );
    let mut trusted: Vec<&str> = args.split_whitespace().collect();
    trusted.extend(["--no-cache", "--output-format", "concise", "."]);
    let with_copy = qa_in(&checkout, &trusted);
    let own = qa_in(
        &checkout,
        &["--strict-sandbox", "--no-cache", "--output-format", "concise", "."],
    );
    assert_eq!(own.code, 0, "{}{}", own.stdout, own.stderr);
    assert_eq!(
        (with_copy.code, &with_copy.stdout),
        (own.code, &own.stdout),
        "the trusted copy must mean what the checkout's own file means: {}",
        with_copy.stderr
    );
}

/// Adopting qa-lint on a repository with findings: `--write-baseline` records them, and
/// `--baseline` then reports only new ones. A recorded finding stays matched when lines above
/// it move, a new finding is reported, and one fixed since is counted as stale.
#[test]
fn a_baseline_hides_recorded_findings_where_they_moved_and_reports_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(root().join(SAMPLE), d.join("a.md")).unwrap();
    let before = qa_in(d, &["--no-cache", "--output-format", "json", "a.md"]);
    let recorded = common::report(&before).len();
    assert!(recorded >= 2, "the sample has findings: {}", before.stdout);
    let write = qa_in(d, &["--no-cache", "--write-baseline", "qa-lint-baseline.json", "a.md"]);
    assert_eq!(write.code, 0, "{}", write.stderr);
    assert!(
        write.stderr.contains(&format!("wrote {recorded} finding(s)")),
        "{}",
        write.stderr
    );
    // Unchanged: nothing to report, every finding absorbed.
    let same = qa_in(
        d,
        &[
            "--no-cache",
            "--output-format",
            "concise",
            "--baseline",
            "qa-lint-baseline.json",
            "a.md",
        ],
    );
    assert_eq!(same.code, 0, "{}{}", same.stdout, same.stderr);
    assert!(
        same.stdout
            .trim_end()
            .ends_with(&format!("; {recorded} findings in the baseline")),
        "{}",
        same.stdout
    );
    // Lines move (a paragraph above everything), one recorded finding is fixed (its claim
    // corrected to what the code prints) and a new wrong claim appears.
    let text = std::fs::read_to_string(d.join("a.md")).unwrap();
    let first = common::report(&before)
        .into_iter()
        .find(|f| f.rule == "output-mismatch")
        .expect("an output mismatch in the sample");
    let line_start = text[..first.offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[line_start..].find('\n').map_or(text.len(), |i| line_start + i);
    let fixed_line = text[line_start..line_end].to_string();
    let mut changed = text.replacen(&fixed_line, "print(len([1, 2]))  # 2", 1);
    changed = changed.replacen("\n## ", "\nA paragraph added above.\n\n## ", 1);
    changed = changed.replacen("```python\n", "```python\nprint(1 + 1)  # 3\n", 1);
    std::fs::write(d.join("a.md"), changed).unwrap();
    let after = qa_in(
        d,
        &[
            "--no-cache",
            "--output-format",
            "json",
            "--baseline",
            "qa-lint-baseline.json",
            "a.md",
        ],
    );
    let new: Vec<_> = common::report(&after).into_iter().map(|f| f.rule).collect();
    assert_eq!(
        new,
        ["output-mismatch"],
        "only the new wrong claim is reported: {}",
        after.stdout
    );
    let summary = qa_in(
        d,
        &[
            "--no-cache",
            "--output-format",
            "concise",
            "--baseline",
            "qa-lint-baseline.json",
            "a.md",
        ],
    );
    assert!(
        summary.stdout.contains(&format!(
            "; {} findings in the baseline (1 recorded finding fixed since: write it again to drop it)",
            recorded - 1
        )) || (recorded == 2
            && summary
                .stdout
                .contains("; 1 finding in the baseline (1 recorded finding fixed since: write it again to drop it)")),
        "{}",
        summary.stdout
    );
    // A broken baseline is an error, not an empty one.
    std::fs::write(d.join("broken.json"), "[]").unwrap();
    let broken = qa_in(d, &["--no-cache", "--baseline", "broken.json", "a.md"]);
    assert_eq!(broken.code, 2);
    assert!(broken.stderr.contains("is not a qa-lint baseline"), "{}", broken.stderr);
}
