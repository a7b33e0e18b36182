//! The four-part classifier (src/parts.rs) measured on our own fixtures: complete entries
//! pass, and each copy with one part removed is reported at that entry with the part named.
//! docs/parts.md records the same measurement over content/.

mod common;
use common::qa;
use serde_json::Value;
use std::collections::BTreeSet;

/// `(file, line, rule, part)` for every missing-part / missing-example diagnostic.
fn missing(args: &[&str]) -> BTreeSet<(String, u64, String, String)> {
    let mut all = vec!["--no-exec", "--no-cache", "--output-format", "json"];
    all.extend_from_slice(args);
    let out = qa(&all);
    let mut found = BTreeSet::new();
    for d in common::report(&out) {
        let (rule, message) = (d.rule.as_str(), d.message.as_str());
        let part = match rule {
            "missing-example" => "example",
            "missing-part" => ["definition", "practice", "tradeoff"]
                .into_iter()
                .find(|p| message.contains(p))
                .expect("the message names the part"),
            _ => continue,
        };
        let file = d.path.rsplit('/').next().unwrap();
        let line = d.line as u64;
        found.insert((file.into(), line, rule.into(), part.into()));
    }
    found
}

fn set(rows: &[(&str, u64, &str, &str)]) -> BTreeSet<(String, u64, String, String)> {
    rows.iter()
        .map(|(f, l, r, p)| (f.to_string(), *l, r.to_string(), p.to_string()))
        .collect()
}

#[test]
fn each_removed_part_is_reported_at_its_entry() {
    let expected = set(&[
        ("missing-definition.md", 6, "missing-part", "definition"),
        ("missing-practice.md", 6, "missing-part", "practice"),
        ("missing-example.md", 6, "missing-example", "example"),
        ("missing-tradeoff.md", 6, "missing-part", "tradeoff"),
        // The same entry as marks.md:8, without the `{.tradeoff}` mark.
        ("marks.md", 34, "missing-part", "tradeoff"),
    ]);
    assert_eq!(missing(&["fixtures/parts"]), expected);
}

#[test]
fn cue_lists_are_configurable() {
    // With "late binding" as a tradeoff heading cue, the unmarked copy passes too.
    let found = missing(&["--config", "fixtures/parts/cues.toml", "fixtures/parts/marks.md"]);
    assert_eq!(found, BTreeSet::new());
}

#[test]
fn unknown_cue_key_is_a_config_error() {
    let dir = std::env::temp_dir().join(format!("qa-lint-parts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("qa-lint.toml");
    std::fs::write(&cfg, "[parts]\ntradeoff-heading = [\"oops\"]\n").unwrap();
    let out = qa(&[
        "--no-exec",
        "--config",
        cfg.to_str().unwrap(),
        "fixtures/parts/marks.md",
    ]);
    std::fs::remove_dir_all(&dir).ok();
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("tradeoff-heading"), "{}", out.stderr);
}

/// The evidence `inspect` shows for each entry: which cue of which kind, and where.
#[test]
fn inspect_shows_the_evidence() {
    for file in ["complete.md", "missing-definition.md", "marks.md"] {
        let out = qa(&["inspect", &format!("fixtures/parts/{file}")]);
        let v: Value = serde_json::from_str(&out.stdout).expect("inspect JSON");
        let parts: Vec<Value> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|e| serde_json::json!({ "title": e["title"], "parts": e["parts"] }))
            .collect();
        insta::assert_json_snapshot!(file, parts);
    }
}
