//! `--select`, `--extend-select` and `--ignore`: which rules a run reports, on top of
//! qa-lint.toml's `[rules]` levels, as in ruff.
//!
//! A selector is a rule name (`output-mismatch`), a code (`QA201`), a code prefix (`QA2`:
//! every execution rule) or `ALL`. `--select` replaces the set of reported rules (default:
//! all), `--extend-select` adds to it, `--ignore` removes from it. A rule selected on the
//! command line is reported even if qa-lint.toml turns it `off`; the command line wins.

use crate::config::{Config, RuleLevel};

/// The selectors of one run.
#[derive(Debug, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
}

/// A known rule: its name and, for registered rules, its code.
struct Known {
    name: String,
    code: Option<&'static str>,
}

fn matches(selector: &str, rule: &Known) -> bool {
    let upper = selector.to_ascii_uppercase();
    upper == "ALL"
        || selector == rule.name
        || rule.code.is_some_and(|c| {
            // `QA2` selects QA201..QA213; a bare `Q` or `QA` would be too broad to mean it.
            c.eq_ignore_ascii_case(selector) || (upper.len() >= 3 && c.starts_with(&upper))
        })
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.select.is_empty() && self.extend_select.is_empty() && self.ignore.is_empty()
    }

    /// Turn every rule the selection leaves out `off` in `config` (and back on, at its default
    /// level, a rule the command line selects that the file turned off). `schema_rules` are the
    /// schema's `x-rule` names. An unknown selector is an error naming the closest rule.
    pub fn apply(&self, config: &mut Config, schema_rules: &[String]) -> Result<(), String> {
        let known: Vec<Known> = crate::rules::all()
            .map(|r| Known {
                name: r.name.to_string(),
                code: Some(r.code),
            })
            // The built-in schema names registered rules too; those keep their codes.
            .chain(
                schema_rules
                    .iter()
                    .filter(|n| crate::rules::lookup(n).is_none())
                    .map(|n| Known {
                        name: n.clone(),
                        code: None,
                    }),
            )
            .collect();
        for (flag, list) in [
            ("--select", &self.select),
            ("--extend-select", &self.extend_select),
            ("--ignore", &self.ignore),
        ] {
            for s in list {
                if !known.iter().any(|k| matches(s, k)) {
                    let hint = crate::rules::did_you_mean(s, schema_rules).map_or(String::new(), |h| format!("; {h}"));
                    return Err(format!(
                        "{flag} {s}: no rule has this name, code or code prefix (`qa-lint rules` lists them){hint}"
                    ));
                }
            }
        }
        let any = |list: &[String], k: &Known| list.iter().any(|s| matches(s, k));
        for k in &known {
            let explicitly = any(&self.select, k) || any(&self.extend_select, k);
            let selected = (self.select.is_empty() || explicitly) && !any(&self.ignore, k);
            if !selected {
                config.rules.insert(k.name.clone(), RuleLevel::Off);
            } else if explicitly && config.rules.get(&k.name) == Some(&RuleLevel::Off) {
                config.rules.remove(&k.name);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn off(sel: Selection, config: &str) -> Vec<String> {
        let mut c: Config = toml::from_str(config).unwrap();
        sel.apply(&mut c, &["missing-bucket".into(), "title-not-a-question".into()])
            .unwrap();
        c.rules
            .iter()
            .filter(|(_, l)| **l == RuleLevel::Off)
            .map(|(n, _)| n.clone())
            .collect()
    }

    #[test]
    fn select_keeps_only_the_named_rules_and_prefixes() {
        let s = Selection {
            select: vec!["QA2".into(), "missing-bucket".into(), "QA101".into()],
            ..Selection::default()
        };
        let off = off(s, "");
        assert!(off.contains(&"missing-part".to_string()));
        assert!(
            !off.contains(&"title-not-a-question".to_string()),
            "a schema rule that is registered keeps its code"
        );
        assert!(!off
            .iter()
            .any(|n| n == "output-mismatch" || n == "timeout" || n == "missing-bucket"));
    }

    #[test]
    fn extend_select_reenables_what_the_file_turned_off_and_ignore_wins() {
        let s = Selection {
            extend_select: vec!["title-not-a-question".into(), "QA106".into()],
            ignore: vec!["QA106".into()],
            ..Selection::default()
        };
        let off = off(
            s,
            "[rules]\ntitle-not-a-question = \"off\"\nmissing-interview-answer = \"off\"\n",
        );
        assert_eq!(off, vec!["missing-interview-answer".to_string()]);
    }

    #[test]
    fn an_unknown_selector_names_the_closest_rule() {
        let s = Selection {
            ignore: vec!["output-mismatc".into()],
            ..Selection::default()
        };
        let e = s.apply(&mut Config::default(), &[]).unwrap_err();
        assert!(e.contains("did you mean `output-mismatch`?"), "{e}");
    }
}
