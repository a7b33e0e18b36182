//! Every rule `qa-lint rules` lists has a folder `fixtures/rules/<rule>/`: its `fail*.md`
//! files must report that rule and no other, and its `pass*.md` files (the clean
//! counterparts, where one helps) must report nothing. A rule added to the registry without
//! a folder fails here, and so does a folder whose rule is gone.
//!
//! Each folder is checked on its own, as a user would check it, so that it can carry its own
//! `qa-lint.toml` (schema-violation needs a schema of its own). The `full` report of each
//! folder is snapshotted: it shows the wording (message, label, help) the rule's module under
//! `src/rules/` owns.

mod common;
use common::{rel, root, settings};
use std::collections::BTreeSet;

/// The rule names in `qa-lint rules` (`CODE  name  severity  summary`).
fn listed_rules() -> Vec<String> {
    let out = common::qa(&["rules"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .collect()
}

fn folders() -> BTreeSet<String> {
    std::fs::read_dir(root().join("fixtures/rules"))
        .expect("fixtures/rules")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_listed_rule_has_a_fixture_folder_and_every_folder_a_rule() {
    let rules: BTreeSet<String> = listed_rules().into_iter().collect();
    assert!(rules.len() > 30, "`qa-lint rules` listed {rules:?}");
    let folders = folders();
    let missing: Vec<_> = rules.difference(&folders).collect();
    let stray: Vec<_> = folders.difference(&rules).collect();
    assert!(
        missing.is_empty(),
        "rules without a fixture folder under fixtures/rules/: {missing:?}"
    );
    assert!(stray.is_empty(), "fixture folders of no listed rule: {stray:?}");
}

#[test]
fn every_rule_fixture_triggers_its_rule_and_its_counterpart_is_clean() {
    let mut problems = Vec::new();
    let folders: Vec<(String, String)> = listed_rules()
        .into_iter()
        .map(|rule| (rel(&root().join("fixtures/rules").join(&rule)), rule))
        .filter(|(arg, _)| root().join(arg).is_dir()) // the test above names the others
        .collect();
    // The typed diagnostics: one JSON run for the folders that use the default config, one
    // per folder that has a config of its own (qa-lint reads the config of its first path).
    let own_config = |arg: &str| root().join(arg).join("qa-lint.toml").is_file();
    let mut shared = vec!["--no-cache", "--output-format", "json"];
    shared.extend(folders.iter().map(|(a, _)| a.as_str()).filter(|a| !own_config(a)));
    let mut found = common::report(&common::qa(&shared));
    for (arg, _) in folders.iter().filter(|(a, _)| own_config(a)) {
        found.extend(common::report(&common::qa(&[
            "--no-cache",
            "--output-format",
            "json",
            arg,
        ])));
    }
    for (arg, rule) in &folders {
        let dir = root().join(arg);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("fixture folder")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".md"))
            .collect();
        files.sort();
        if !files.iter().any(|f| f.starts_with("fail")) {
            problems.push(format!("{rule}: no fail*.md in {arg}"));
        }
        for file in &files {
            let path = format!("{arg}/{file}");
            let rules_in: Vec<&str> = found
                .iter()
                .filter(|f| f.path == path)
                .map(|f| f.rule.as_str())
                .collect();
            if file.starts_with("fail") {
                if !rules_in.contains(&rule.as_str()) || rules_in.iter().any(|r| r != rule) {
                    problems.push(format!("{path}: must report only {rule}, reported {rules_in:?}"));
                }
            } else if file.starts_with("pass") {
                if !rules_in.is_empty() {
                    problems.push(format!("{path}: must be clean, reported {rules_in:?}"));
                }
            } else {
                problems.push(format!("{path}: name it fail*.md or pass*.md"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for (arg, rule) in &folders {
        let full = common::qa(&["--no-cache", arg]);
        settings().bind(|| insta::assert_snapshot!(rule.clone(), full.stdout));
    }
}
