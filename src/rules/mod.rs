//! The rule registry: stable codes and names, default severities, and each rule's doc.
//!
//! Rule names are a public contract (configs, suppressions and CI tools match on them), so
//! a rule is never renamed; its doc lives in `docs/rules/NAME.md` and is what
//! `qa-lint rule NAME` prints.

use crate::diagnostic::Severity;

pub struct RuleInfo {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// Which pipeline step emits it.
    pub step: &'static str,
    pub summary: &'static str,
    pub doc: &'static str,
}

macro_rules! rules {
    ($( $code:literal $name:literal $sev:ident $step:literal $summary:literal; )*) => {
        pub static RULES: &[RuleInfo] = &[
            $( RuleInfo {
                code: $code,
                name: $name,
                severity: Severity::$sev,
                step: $step,
                summary: $summary,
                doc: include_str!(concat!("../../docs/rules/", $name, ".md")),
            }, )*
        ];
    };
}

rules! {
    "QA001" "unreadable-file" Error "read" "The file cannot be read as UTF-8 text (I/O error, invalid UTF-8, binary content).";
    "QA002" "invalid-front-matter" Error "parse" "The YAML front matter is malformed, unclosed, or not a mapping.";
    "QA003" "unterminated-code-fence" Error "parse" "A code fence is opened and never closed.";
    "QA004" "invalid-directive" Warning "parse" "A qa-lint directive or comment is not understood.";
    "QA005" "unused-suppression" Warning "report" "A suppression comment suppresses nothing.";
    "QA006" "empty-file" Warning "parse" "The Markdown file is empty or only whitespace.";
    "QA007" "excessive-nesting" Warning "parse" "Block quotes or lists are nested more than 100 levels deep.";
    "QA008" "code-outside-entries" Warning "parse" "Python blocks outside every entry do not run (qa mode); `--entries sections` runs them.";
    "QA100" "schema-violation" Error "validate" "The entry breaks a schema rule that names no x-rule of its own.";
    "QA101" "title-not-a-question" Warning "validate" "The entry heading is not phrased as a question.";
    "QA102" "missing-short-answer" Error "validate" "The entry has no \"Short answer:\" paragraph.";
    "QA103" "short-answer-too-long" Error "validate" "The short answer is longer than the schema allows.";
    "QA104" "short-answer-not-one-paragraph" Error "validate" "The short answer spans more than one paragraph.";
    "QA105" "missing-example" Error "validate" "The entry has no runnable Python example.";
    "QA106" "missing-interview-answer" Error "validate" "The entry has no \"How I would say it in an interview\" answer.";
    "QA107" "missing-part" Error "validate" "One of the four answer parts (definition, practice, example, tradeoff) is missing.";
    "QA201" "output-mismatch" Error "execute" "A comment claims an output that the code does not produce.";
    "QA202" "unexpected-exception" Error "execute" "A statement raised an exception that no comment claims.";
    "QA203" "expected-exception-not-raised" Error "execute" "A comment claims an exception that was not raised.";
    "QA204" "claim-without-output" Error "execute" "A comment claims an output, but the line printed nothing.";
    "QA205" "python-syntax-error" Error "execute" "A Python block does not compile.";
    "QA206" "timeout" Error "execute" "An entry's examples did not finish within the time limit.";
    "QA207" "interpreter-crash" Error "execute" "The Python process running an entry died (os._exit, a segfault, a CPU limit).";
    "QA208" "missing-module" Warning "execute" "A module the entry requires is not installed, so the entry was not run.";
    "QA209" "claim-quoted-string" Warning "execute" "A claim shows the repr of a printed string ('add') instead of what print shows (add).";
    "QA210" "sandbox-violation" Warning "execute" "A snippet tried something the sandbox blocks (network, subprocess, writes outside its directory).";
    "QA211" "missing-fixture" Error "execute" "A fixture file named by a directive does not exist.";
    "QA212" "output-limit" Warning "execute" "An entry printed more than the output limit (1 MiB); the rest was dropped.";
    "QA213" "thread-left-running" Warning "execute" "An entry's examples left a thread running when they ended.";
    "QA214" "claim-format" Warning "execute" "A claim shows the right value, written differently from the output ([1,2] for [1, 2]).";
    "QA215" "nondeterministic-claim" Warning "execute" "A claim on output that changes between runs (a clock, random numbers, an id) does not hold this run.";
    "QA216" "missing-file" Warning "execute" "An example opens a data file that is not there, so the statements that use it were not checked.";
    "QA217" "reads-input" Warning "execute" "An example reads input() or its command line, which have nothing to give when qa-lint runs it.";
    "QA218" "undefined-name" Warning "execute" "An example uses a name that nothing defines (a fragment that needs context, or a typo).";
}

pub fn lookup(name: &str) -> Option<&'static RuleInfo> {
    RULES
        .iter()
        .find(|r| r.name == name || r.code.eq_ignore_ascii_case(name))
}

/// The closest of `candidates` to a misspelt `word`, for "did you mean" hints: within a third
/// of the word's length in edits (at least one), so short typos are caught and unrelated
/// names are not offered.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| {
            let lower = c.to_ascii_lowercase();
            // An abbreviation (`warn` for `warning`) counts as one edit.
            let d = if word.len() >= 3 && lower.starts_with(&word) {
                1
            } else {
                strsim::damerau_levenshtein(&word, &lower)
            };
            (d, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A hint naming the rule `name` was probably meant to be (registry names and `extra`).
pub fn did_you_mean(name: &str, extra: &[String]) -> Option<String> {
    let names = RULES.iter().map(|r| r.name).chain(extra.iter().map(String::as_str));
    closest(name, names).map(|n| format!("did you mean `{n}`?"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn misspelt_rule_names_get_the_closest_name_and_unrelated_words_none() {
        assert_eq!(
            super::did_you_mean("output-mismatc", &[]).as_deref(),
            Some("did you mean `output-mismatch`?")
        );
        assert_eq!(
            super::did_you_mean("titel-not-a-question", &[]).as_deref(),
            Some("did you mean `title-not-a-question`?")
        );
        assert_eq!(
            super::did_you_mean("missing-bucke", &["missing-bucket".into()]).as_deref(),
            Some("did you mean `missing-bucket`?")
        );
        assert_eq!(super::did_you_mean("zzz", &[]), None);
    }
}
