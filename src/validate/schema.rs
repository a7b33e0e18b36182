//! The JSON Schema policy and the mapping of its failures to diagnostics.
//!
//! The schema names its own diagnostics: `x-rule`, `x-message`, `x-help`, `x-severity`
//! (and optionally `x-code`) on any schema node. For a failure we walk the failing
//! keyword's schema path from the root and take the deepest annotated node, so a team can
//! add a policy with a proper diagnostic without touching Rust.

use crate::diagnostic::{Diagnostic, Severity};
use crate::document::EntryDocument;
use crate::rules::Rule;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The default policy, also shipped as `schema/entry.schema.json`.
pub const DEFAULT_SCHEMA: &str = include_str!("../../schema/entry.schema.json");
/// The default policy of `entries = "sections"`, also shipped as `schema/sections.schema.json`.
pub const SECTIONS_SCHEMA: &str = include_str!("../../schema/sections.schema.json");

pub struct Policy {
    validator: jsonschema::Validator,
    schema: Value,
    /// Where it came from (`None` for the built-in default).
    pub path: Option<PathBuf>,
    /// The schema's bytes, for cache keys.
    pub source: String,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PolicyError {
    #[error("cannot read schema {path}: {source}")]
    #[diagnostic(
        code(qa_lint::schema),
        help("check the `--schema` argument or the `schema` key in qa-lint.toml")
    )]
    Read { path: String, source: std::io::Error },
    #[error("schema {path} is not valid JSON: {source}")]
    #[diagnostic(code(qa_lint::schema))]
    Json { path: String, source: serde_json::Error },
    #[error("schema {path} is not a valid JSON Schema (draft 2020-12): {message}")]
    #[diagnostic(code(qa_lint::schema))]
    Invalid { path: String, message: String },
}

impl Policy {
    /// Load the schema at `path`, or the built-in `default` when there is none.
    pub fn load(path: Option<&Path>, default: &str) -> Result<Policy, PolicyError> {
        let (source, name) = match path {
            Some(p) => {
                let s = std::fs::read_to_string(p).map_err(|source| PolicyError::Read {
                    path: p.display().to_string(),
                    source,
                })?;
                (s, p.display().to_string())
            }
            None => (default.to_string(), "<built-in schema>".to_string()),
        };
        let schema: Value = serde_json::from_str(&source).map_err(|source| PolicyError::Json {
            path: name.clone(),
            source,
        })?;
        let validator = jsonschema::draft202012::options()
            .build(&schema)
            .map_err(|e| PolicyError::Invalid {
                path: name.clone(),
                message: e.to_string(),
            })?;
        Ok(Policy {
            validator,
            schema,
            path: path.map(Path::to_path_buf),
            source,
        })
    }

    /// Every `x-rule` name the schema defines.
    pub fn rule_names(&self) -> Vec<String> {
        fn walk(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("x-rule") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|c| walk(c, out));
                }
                Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(&self.schema, &mut out);
        out.sort();
        out.dedup();
        out
    }

    /// Validate one entry document; diagnostics are at default (schema) severities.
    pub fn check(&self, doc: &EntryDocument) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = Vec::new();
        // Most entries pass: the boolean check skips building error paths and messages.
        if self.validator.is_valid(&doc.value) {
            return out;
        }
        for err in self.validator.iter_errors(&doc.value) {
            let mut schema_path: Vec<String> = pointer_segments(err.schema_path().as_str());
            // A missing property: look for the annotation on that property's own schema.
            let mut instance_path = err.instance_path().as_str().to_string();
            if let ValidationErrorKind::Required { property } = err.kind() {
                if let Some(name) = property.as_str() {
                    schema_path.pop();
                    schema_path.push("properties".into());
                    schema_path.push(name.to_string());
                    instance_path = format!("{instance_path}/{name}");
                }
            }
            let annotations = self.annotations(&schema_path);
            let value = err.instance().as_ref().clone();
            let error_text = err.to_string();
            let d = self.diagnostic(&annotations, &error_text, &value, doc.span_for(&instance_path));
            out.push(d);
        }
        // One failure can surface through several keywords; report each rule once per span.
        crate::diagnostic::dedup(&mut out);
        out
    }

    /// The `x-*` keys of the deepest node along `path` that carries an `x-rule`.
    fn annotations(&self, path: &[String]) -> serde_json::Map<String, Value> {
        let mut node = &self.schema;
        let mut found = serde_json::Map::new();
        let collect = |n: &Value, found: &mut serde_json::Map<String, Value>| {
            if let Some(obj) = n.as_object() {
                if obj.contains_key("x-rule") {
                    found.clear();
                    for (k, v) in obj.iter().filter(|(k, _)| k.starts_with("x-")) {
                        found.insert(k.clone(), v.clone());
                    }
                }
            }
        };
        collect(node, &mut found);
        for seg in path {
            node = match node {
                Value::Object(m) => match m.get(seg) {
                    Some(n) => n,
                    None => break,
                },
                Value::Array(a) => match seg.parse::<usize>().ok().and_then(|i| a.get(i)) {
                    Some(n) => n,
                    None => break,
                },
                _ => break,
            };
            collect(node, &mut found);
        }
        found
    }

    fn diagnostic(
        &self,
        ann: &serde_json::Map<String, Value>,
        error: &str,
        value: &Value,
        span: crate::source::Span,
    ) -> Diagnostic {
        let s = |k: &str| ann.get(k).and_then(Value::as_str).map(str::to_string);
        let rule = s("x-rule").map_or(Rule::SchemaViolation, |r| Rule::schema(&r));
        let fill = |t: String| {
            let shown = match value {
                Value::String(v) => v.clone(),
                other => other.to_string(),
            };
            let shown: String = if shown.chars().count() > 80 {
                shown.chars().take(77).collect::<String>() + "..."
            } else {
                shown
            };
            let chars = value.as_str().map_or(0, |v| v.chars().count());
            t.replace("{error}", error)
                .replace("{value}", &shown)
                .replace("{chars}", &chars.to_string())
        };
        let mut d = crate::rules::validate::schema_error(
            rule,
            span,
            error,
            s("x-message").map(fill),
            s("x-label"),
            s("x-help").map(fill),
        );
        if let Some(code) = s("x-code") {
            d.code = code;
        }
        match s("x-severity").as_deref() {
            Some("warning") => d.severity = Severity::Warning,
            Some("error") => d.severity = Severity::Error,
            _ => {}
        }
        d
    }
}

fn pointer_segments(p: &str) -> Vec<String> {
    p.split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}
