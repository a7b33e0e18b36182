//! `--show-settings`: the effective configuration, each value with where it came from (the
//! built-in default, the configuration file, or the command line), as ruff's `--show-settings`
//! does. The output is TOML, so a value can be copied into qa-lint.toml as it stands.

use super::RunSettings;
use crate::config::Config;
use toml::{Table, Value};

/// Where a value came from: the command line when the loaded configuration lacks it or has
/// another value, else the file when the file sets it, else the default.
fn source(key: &str, resolved: &Value, loaded: Option<&Value>, raw: Option<&Table>, file: &str) -> String {
    if loaded.is_none_or(|l| l != resolved) {
        "command line".to_string()
    } else if raw.is_some_and(|r| r.contains_key(key)) {
        file.to_string()
    } else {
        "default".to_string()
    }
}

/// The settings of a run as TOML with a comment per value naming its source.
pub fn show(loaded: &Config, run: &RunSettings) -> String {
    let file = loaded
        .file
        .as_ref()
        .map_or_else(|| "<none>".to_string(), |p| p.display().to_string());
    // What the file itself says, to tell its values from the defaults.
    let raw: Option<Table> = loaded.file.as_ref().and_then(|p| {
        let table: Table = loaded.source.parse().ok()?;
        if p.file_name().is_some_and(|n| n == "pyproject.toml") {
            table.get("tool")?.get("qa-lint")?.as_table().cloned()
        } else {
            Some(table)
        }
    });
    let to_table = |c: &Config| match Value::try_from(c) {
        Ok(Value::Table(t)) => t,
        _ => Table::new(),
    };
    let (resolved, before) = (to_table(&run.config), to_table(loaded));
    let mut out = format!(
        "# Settings for {}\n# configuration file: {file}\n# paths and globs are relative to: {}\n",
        run.paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        loaded.root.display()
    );
    out.push_str(&format!(
        "# run: jobs = {}, execute = {}, cache = {}, strict sandbox = {}\n\n",
        run.jobs,
        run.exec,
        run.cache_dir
            .as_ref()
            .map_or_else(|| "off".to_string(), |d| d.display().to_string()),
        run.config.exec.strict_sandbox
    ));
    let mut tables = Vec::new();
    for (key, value) in &resolved {
        if let Value::Table(t) = value {
            tables.push((key, t));
            continue;
        }
        let from = source(key, value, before.get(key), raw.as_ref(), &file);
        out.push_str(&format!("{key} = {value}  # {from}\n"));
    }
    // `schema` and `sections-schema` are unset by default (the built-in schemas).
    for key in ["schema", "sections-schema", "baseline"] {
        if !resolved.contains_key(key) {
            let what = if key == "baseline" { "none" } else { "built in" };
            out.push_str(&format!("# {key}: {what} (default)\n"));
        }
    }
    for (name, table) in tables {
        out.push_str(&format!("\n[{name}]\n"));
        let before = before.get(name).and_then(Value::as_table);
        let raw = raw.as_ref().and_then(|r| r.get(name)).and_then(Value::as_table);
        if table.is_empty() {
            out.push_str("# (empty)\n");
        }
        for (key, value) in table {
            let from = source(key, value, before.and_then(|b| b.get(key)), raw, &file);
            let shown = if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                key.clone()
            } else {
                Value::String(key.clone()).to_string()
            };
            out.push_str(&format!("{shown} = {value}  # {from}\n"));
        }
    }
    out
}
