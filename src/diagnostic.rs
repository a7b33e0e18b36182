//! The diagnostic model every step produces and every output format renders.

use crate::source::Span;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A replacement that would fix the diagnostic (used by `--fix`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub span: Span,
    pub replacement: String,
    /// The claim was hedged ("Usually ..."): only `--fix-hedged` rewrites it.
    #[serde(default)]
    pub hedged: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Kebab-case rule name, e.g. `output-mismatch`.
    pub rule: String,
    /// Stable code, e.g. `QA201`.
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    pub label: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary: Vec<(Span, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct S {
            start: usize,
            end: usize,
        }
        let s = S::deserialize(d)?;
        Ok(Span::new(s.start, s.end))
    }
}

impl Diagnostic {
    /// A diagnostic for a registered rule, at its default severity.
    pub fn new(rule: &str, span: Span, message: impl Into<String>) -> Diagnostic {
        let info = crate::rules::lookup(rule);
        Diagnostic {
            rule: rule.to_string(),
            code: info.map_or_else(|| "QA100".to_string(), |r| r.code.to_string()),
            severity: info.map_or(Severity::Error, |r| r.severity),
            message: message.into(),
            span,
            label: String::new(),
            secondary: Vec::new(),
            help: None,
            fix: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn secondary(mut self, span: Span, label: impl Into<String>) -> Self {
        self.secondary.push((span, label.into()));
        self
    }

    pub fn fix(mut self, span: Span, replacement: impl Into<String>, hedged: bool) -> Self {
        self.fix = Some(Fix {
            span,
            replacement: replacement.into(),
            hedged,
        });
        self
    }
}
