//! Wording of the rules found while reporting (QA005).

use super::Rule;
use crate::diagnostic::Diagnostic;
use crate::source::Span;

/// A suppression comment naming `rules` (all rules when empty) that hid nothing; `typo` is a
/// "did you mean" hint for a name that is not a rule, the usual reason.
pub fn unused_suppression(span: Span, rules: &[String], typo: Option<String>) -> Diagnostic {
    let what = if rules.is_empty() {
        "any rule".to_string()
    } else {
        rules.join(", ")
    };
    Diagnostic::new(
        Rule::UnusedSuppression,
        span,
        format!("suppression of {what} suppresses nothing"),
    )
    .label("unused")
    .help(
        typo.unwrap_or_else(|| {
            "remove the comment, or fix the rule names it lists (`qa-lint rules` lists them)".into()
        }),
    )
}
