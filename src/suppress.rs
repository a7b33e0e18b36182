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
