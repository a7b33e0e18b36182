//! schema/qa-lint.toml.schema.json, the JSON schema editors use for qa-lint.toml, says what
//! qa-lint itself accepts: the same keys at every level, the documented complete example
//! passes, and values qa-lint refuses are refused by the schema too.

mod common;
use common::{qa_in, root};
use std::collections::BTreeSet;

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schema/qa-lint.toml.schema.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

fn as_json(toml_text: &str) -> serde_json::Value {
    let v: toml::Value = toml::from_str(toml_text).unwrap();
    serde_json::to_value(v).unwrap()
}

/// The keys qa-lint accepts in `table` (`""` = top level), from its own error for an unknown key.
fn accepted_keys(table: &str) -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    let header = if table.is_empty() {
        String::new()
    } else {
        format!("[{table}]\n")
    };
    std::fs::write(dir.path().join("qa-lint.toml"), format!("{header}zz-unknown = 1\n")).unwrap();
    std::fs::write(dir.path().join("a.md"), "# A\n").unwrap();
    let out = qa_in(dir.path(), &["--no-exec", "a.md"]);
    assert_eq!(out.code, 2);
    let flat = out.stderr.replace(['│', '\n'], " ");
    let list = flat.split("expected one of").nth(1).expect(&out.stderr);
    let list = &list[..list.find("╭").unwrap_or(list.len())];
    // The report wraps long lines, sometimes inside a name.
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(|k| k.split_whitespace().collect())
        .collect()
}

fn schema_keys(pointer: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join("schema/qa-lint.toml.schema.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v.pointer(pointer)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn the_schema_has_exactly_the_keys_qa_lint_accepts() {
    assert_eq!(schema_keys("/properties"), accepted_keys(""));
    assert_eq!(schema_keys("/properties/exec/properties"), accepted_keys("exec"));
    assert_eq!(schema_keys("/properties/parts/properties"), accepted_keys("parts"));
}

#[test]
fn the_documented_example_passes_and_refused_values_fail() {
    let doc = std::fs::read_to_string(root().join("docs/configuration.md")).unwrap();
    let example = doc
        .split("## A complete example")
        .nth(1)
        .and_then(|s| s.split("```toml\n").nth(1))
        .and_then(|s| s.split("```").next())
        .unwrap();
    let v = validator();
    assert!(v.is_valid(&as_json(example)), "{example}");
    for bad in [
        "[rules]\noutput-mismatch = \"loud\"\n",
        "[exec]\nisolation = \"thread\"\n",
        "[exec]\ntimeot = 3\n",
        "shema = \"x.json\"\n",
        "entries = \"all\"\n",
    ] {
        assert!(!v.is_valid(&as_json(bad)), "the schema accepts {bad:?}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("qa-lint.toml"), bad).unwrap();
        std::fs::write(dir.path().join("a.md"), "# A\n").unwrap();
        assert_eq!(
            qa_in(dir.path(), &["--no-exec", "a.md"]).code,
            2,
            "qa-lint accepts {bad:?}"
        );
    }
}
