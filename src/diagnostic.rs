//! The diagnostic model every step produces and every output format renders.

use crate::rules::Rule;
use crate::source::Span;
use serde::{Deserialize, Serialize};

pub use crate::rules::Severity;

/// A replacement that would fix the diagnostic (used by `--fix`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub span: Span,
    pub replacement: String,
    /// The claim was hedged ("Usually ..."): only `--fix-hedged` rewrites it.
    #[serde(default)]
    pub hedged: bool,
    /// The replacement is the lines of an output block: line breaks are its content, not
    /// control characters to refuse.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lines: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Kebab-case rule name, e.g. `output-mismatch` ([`Rule::name`]).
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
    /// A diagnostic of `rule`, at its default severity. The wording of each rule's
    /// diagnostics is built in its family module under `rules/`.
    pub fn new(rule: Rule, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule: rule.name().to_string(),
            code: rule.code().to_string(),
            severity: rule.default_severity(),
            message: message.into(),
            span,
            label: String::new(),
            secondary: Vec::new(),
            help: None,
            fix: None,
        }
    }

    /// Whether this diagnostic reports `rule` (a diagnostic keeps its rule by name: that is
    /// what reports, merged shard reports and the editor carry).
    pub fn is(&self, rule: Rule) -> bool {
        self.rule == rule.name()
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
            lines: false,
        });
        self
    }

    /// A fix that replaces the lines of an output block (see [`Fix::lines`]).
    pub fn fix_lines(mut self, span: Span, replacement: impl Into<String>) -> Self {
        self = self.fix(span, replacement, false);
        if let Some(f) = &mut self.fix {
            f.lines = true;
        }
        self
    }
}

/// Keep the first of each problem reported more than once (same rule, span and message): one
/// schema failure surfacing through several keywords, a file-wide problem once per entry, the
/// same diagnostic in overlapping shard reports. Order is kept.
pub fn dedup(diagnostics: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    diagnostics.retain(|d| seen.insert((d.rule.clone(), d.span, d.message.clone())));
}

#[cfg(test)]
mod tests {
    use super::{dedup, Diagnostic};
    use crate::rules::Rule;
    use crate::source::Span;

    #[test]
    fn dedup_keeps_the_first_of_each_rule_span_and_message() {
        let d = |rule, start, message: &str| Diagnostic::new(rule, Span::new(start, start + 1), message);
        let mut list = vec![
            d(Rule::MissingPart, 0, "a"),
            d(Rule::MissingPart, 0, "a").help("a later copy"),
            d(Rule::MissingPart, 0, "b"),
            d(Rule::MissingPart, 5, "a"),
            d(Rule::MissingExample, 0, "a"),
        ];
        dedup(&mut list);
        let kept: Vec<_> = list
            .iter()
            .map(|d| (d.rule.as_str(), d.span.start, d.message.as_str()))
            .collect();
        assert_eq!(
            kept,
            [
                ("missing-part", 0, "a"),
                ("missing-part", 0, "b"),
                ("missing-part", 5, "a"),
                ("missing-example", 0, "a")
            ]
        );
        assert_eq!(list[0].help, None);
    }
}
