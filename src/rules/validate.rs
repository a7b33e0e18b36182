//! Wording of the rules the schema checks (QA100-QA107 and a schema's own `x-rule`s).
//!
//! The schema is the policy, so it words its own diagnostics (`x-message`, `x-label`,
//! `x-help`); this is the wording of what it leaves out.

use super::Rule;
use crate::diagnostic::Diagnostic;
use crate::source::Span;

/// The diagnostic for one validation error: `rule` is the annotation's `x-rule`
/// (`schema-violation` without one), `error` the validator's own message.
pub fn schema_error(
    rule: Rule,
    span: Span,
    error: &str,
    message: Option<String>,
    label: Option<String>,
    help: Option<String>,
) -> Diagnostic {
    Diagnostic::new(rule, span, message.unwrap_or_else(|| format!("schema: {error}")))
        .label(label.unwrap_or_else(|| "here".into()))
        .help(help.unwrap_or_else(|| format!("the schema says: {error}")))
}
