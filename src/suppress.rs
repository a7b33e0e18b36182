//! Applying the user's choices to raw diagnostics: rule levels, per-file ignores, and inline
//! `<!-- qa-lint-disable-... -->` comments. A suppression that suppresses nothing is reported.

use crate::config::{Config, RuleLevel};
use crate::diagnostic::{Diagnostic, Severity};
use crate::entry::{Suppression, SuppressionScope};
use crate::rules::Rule;
use globset::Glob;
use std::path::Path;

fn names(rule: &Diagnostic, list: &[String]) -> bool {
    list.is_empty()
        || list
            .iter()
            .any(|r| r == &rule.rule || r.eq_ignore_ascii_case(&rule.code) || r == "all")
}

/// `exec_ran`: whether examples ran; without it, a suppression that names only execution
/// rules cannot be judged unused.
pub fn apply(
    path: &Path,
    mut diags: Vec<Diagnostic>,
    suppressions: &[Suppression],
    config: &Config,
    exec_ran: bool,
) -> Vec<Diagnostic> {
    // Config: per-rule level and per-file ignores.
    let rel = {
        let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let root = std::fs::canonicalize(&config.root).unwrap_or_else(|_| config.root.clone());
        abs.strip_prefix(&root).map(Path::to_path_buf).unwrap_or(abs)
    };
    let ignored: Vec<&String> = config
        .per_file_ignores
        .iter()
        .filter(|(glob, _)| {
            Glob::new(glob)
                .map(|g| g.compile_matcher().is_match(&rel))
                .unwrap_or(false)
        })
        .flat_map(|(_, rules)| rules)
        .collect();
    diags.retain_mut(|d| {
        if ignored
            .iter()
            .any(|r| **r == d.rule || r.eq_ignore_ascii_case(&d.code) || *r == "all")
        {
            return false;
        }
        match config.rules.get(&d.rule) {
            Some(RuleLevel::Off) => false,
            Some(RuleLevel::Warning) => {
                d.severity = Severity::Warning;
                true
            }
            Some(RuleLevel::Error) => {
                d.severity = Severity::Error;
                true
            }
            None => true,
        }
    });
    // Inline suppressions, each tracking whether it was used.
    let mut used = vec![false; suppressions.len()];
    diags.retain(|d| {
        let hit = suppressions.iter().position(|s| {
            names(d, &s.rules)
                && match &s.scope {
                    SuppressionScope::File => true,
                    SuppressionScope::Range(r) => d.span.start >= r.start && d.span.start < r.end.max(r.start + 1),
                }
        });
        if let Some(i) = hit {
            used[i] = true;
        }
        hit.is_none()
    });
    for (s, used) in suppressions.iter().zip(used) {
        let only_exec_rules = !s.rules.is_empty()
            && s.rules
                .iter()
                .all(|r| crate::rules::lookup(r).is_some_and(|info| info.rule.executes()));
        let undecidable = !exec_ran && (s.rules.is_empty() || only_exec_rules);
        if !used && !undecidable && config.rules.get(Rule::UnusedSuppression.name()) != Some(&RuleLevel::Off) {
            // A misspelt name is the usual reason a suppression suppresses nothing.
            let typo = s.rules.iter().find_map(|r| {
                let hint = crate::rules::lookup(r)
                    .is_none()
                    .then(|| crate::rules::did_you_mean(r, &[]))??;
                Some(format!("`{r}` is not a rule: {hint}"))
            });
            diags.push(crate::rules::report::unused_suppression(s.span, &s.rules, typo));
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::apply;
    use crate::config::{Config, RuleLevel};
    use crate::diagnostic::{Diagnostic, Severity};
    use crate::entry::{Suppression, SuppressionScope};
    use crate::rules::Rule;
    use crate::source::Span;
    use std::path::Path;

    fn at(rule: Rule, start: usize) -> Diagnostic {
        Diagnostic::new(rule, Span::new(start, start + 1), "m")
    }

    fn next_line(rules: &[&str], span: Span, target: Span) -> Suppression {
        Suppression {
            scope: SuppressionScope::Range(target),
            rules: rules.iter().map(|r| r.to_string()).collect(),
            span,
        }
    }

    fn rules_of(diags: &[Diagnostic]) -> Vec<(&str, usize, Severity)> {
        diags
            .iter()
            .map(|d| (d.rule.as_str(), d.span.start, d.severity))
            .collect()
    }

    #[test]
    fn levels_and_per_file_ignores_come_first() {
        let mut config = Config::default();
        config.rules.insert("missing-part".into(), RuleLevel::Off);
        config.rules.insert("output-mismatch".into(), RuleLevel::Warning);
        config.rules.insert("title-not-a-question".into(), RuleLevel::Error);
        config.per_file_ignores.insert("docs/*.md".into(), vec!["QA105".into()]);
        let diags = vec![
            at(Rule::MissingPart, 1),
            at(Rule::OutputMismatch, 2),
            at(Rule::TitleNotAQuestion, 3),
            at(Rule::MissingExample, 4),
        ];
        let kept = apply(Path::new("docs/a.md"), diags.clone(), &[], &config, true);
        assert_eq!(
            rules_of(&kept),
            [
                ("output-mismatch", 2, Severity::Warning),
                ("title-not-a-question", 3, Severity::Error)
            ]
        );
        // The ignore is for docs/ only.
        let kept = apply(Path::new("guide/a.md"), diags, &[], &config, true);
        assert!(kept.iter().any(|d| d.is(Rule::MissingExample)));
    }

    #[test]
    fn a_suppression_hides_what_starts_in_its_range_and_an_unused_one_is_reported() {
        let config = Config::default();
        let used = next_line(&["output-mismatch"], Span::new(0, 5), Span::new(10, 20));
        let stale = next_line(&["output-mismatch"], Span::new(30, 35), Span::new(40, 50));
        let typo = next_line(&["output-mismatc"], Span::new(60, 65), Span::new(70, 80));
        let every = Suppression {
            scope: SuppressionScope::File,
            rules: Vec::new(),
            span: Span::new(90, 95),
        };
        let diags = vec![
            at(Rule::OutputMismatch, 12),
            at(Rule::OutputMismatch, 20),
            at(Rule::Timeout, 45),
        ];
        let kept = apply(
            Path::new("a.md"),
            diags.clone(),
            &[used.clone(), stale.clone(), typo.clone()],
            &config,
            true,
        );
        // 12 is suppressed; 20 is past the range; the timeout is not named by `stale`.
        let found: Vec<_> = kept.iter().map(|d| (d.rule.as_str(), d.span.start)).collect();
        assert_eq!(
            found,
            [
                ("output-mismatch", 20),
                ("timeout", 45),
                ("unused-suppression", 30),
                ("unused-suppression", 60)
            ]
        );
        assert_eq!(
            kept[3].help.as_deref(),
            Some("`output-mismatc` is not a rule: did you mean `output-mismatch`?")
        );
        // A file-wide suppression without names hides everything and is used.
        let kept = apply(Path::new("a.md"), diags, &[every], &config, true);
        assert!(kept.is_empty(), "{kept:?}");
    }

    #[test]
    fn without_execution_a_suppression_of_execution_rules_cannot_be_judged() {
        let mut config = Config::default();
        let exec_only = next_line(&["output-mismatch", "timeout"], Span::new(0, 5), Span::new(10, 20));
        let static_rule = next_line(&["missing-part"], Span::new(30, 35), Span::new(40, 50));
        let kept = apply(
            Path::new("a.md"),
            Vec::new(),
            &[exec_only.clone(), static_rule.clone()],
            &config,
            false,
        );
        assert_eq!(rules_of(&kept), [("unused-suppression", 30, Severity::Warning)]);
        // Turned off, the rule reports nothing, and inline comments cannot silence it.
        config.rules.insert("unused-suppression".into(), RuleLevel::Off);
        assert!(apply(Path::new("a.md"), Vec::new(), &[static_rule], &config, true).is_empty());
    }
}
