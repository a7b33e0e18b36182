//! qa-lint diagnostics as LSP diagnostics: the same rule code, severity, message and help
//! the CLI prints, at the same span.

use super::position::LineIndex;
use crate::diagnostic::{Diagnostic, Severity};
use lsp_types::{DiagnosticSeverity, NumberOrString};

pub fn to_lsp(d: &Diagnostic, index: &LineIndex) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    // Editors show the message on hover and in the problems list, so the CLI's `help:` line
    // goes with it.
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    lsp_types::Diagnostic {
        range: index.range(d.span),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.clone())),
        source: Some("qa-lint".into()),
        message,
        data: Some(serde_json::json!({ "rule": d.rule })),
        ..lsp_types::Diagnostic::default()
    }
}

/// A problem that stops qa-lint from checking the file at all (a bad qa-lint.toml or schema),
/// shown at the top of the file so that it is seen.
pub fn setup_error(message: &str) -> lsp_types::Diagnostic {
    lsp_types::Diagnostic {
        range: lsp_types::Range::default(),
        severity: Some(DiagnosticSeverity::ERROR),
        source: Some("qa-lint".into()),
        message: format!("qa-lint cannot check this file: {message}"),
        ..lsp_types::Diagnostic::default()
    }
}
