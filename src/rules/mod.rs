//! The rule registry: every rule as a [`Rule`], with its stable code and name, default
//! severity, the step that emits it, and its doc; the wording of its diagnostics lives in the
//! family modules below (`parse`, `validate`, `execute`, `claims`, `report`).
//!
//! Rule names are a public contract (configs, suppressions and CI tools match on them), so
//! a rule is never renamed; its doc lives in `docs/rules/NAME.md` and is what
//! `qa-lint rule NAME` prints. Adding a rule: one line in the table below, its doc, a
//! constructor in its family module, and a folder under `fixtures/rules/` (the fixture test
//! fails for a listed rule without one).
//!
//! Code names a rule by its variant, so a misspelt rule does not compile; the names a user
//! writes (config, `--select`, suppressions) are looked up with [`lookup`].

pub mod claims;
pub mod execute;
pub mod parse;
pub mod report;
pub mod validate;

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

/// The pipeline step that emits a rule: suppressions and the editor treat rules found by
/// running code differently from the static ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Read,
    Parse,
    Validate,
    Execute,
    Report,
}

pub struct RuleInfo {
    pub rule: Rule,
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub step: Step,
    pub summary: &'static str,
    pub doc: &'static str,
}

macro_rules! rules {
    ($( $variant:ident $code:literal $name:literal $sev:ident $step:ident $summary:literal; )*) => {
        /// A rule qa-lint reports: one of the registry's, or an `x-rule` a user's schema names.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Rule {
            $( #[doc = concat!("`", $name, "` (", $code, "); `qa-lint rule ", $name, "` prints its doc.")] $variant, )*
            /// An `x-rule` of a schema that is not one of the registry's (interned by
            /// [`Rule::schema`], so a rule stays `Copy`).
            Schema(&'static str),
        }

        impl Rule {
            /// The registry, in code order (what `qa-lint rules` lists).
            pub const BUILTIN: &'static [Rule] = &[$( Rule::$variant, )*];

            /// The registry entry; `None` for a schema's own rule.
            pub fn info(self) -> Option<&'static RuleInfo> {
                match self {
                    $( Rule::$variant => Some(&RuleInfo {
                        rule: Rule::$variant,
                        code: $code,
                        name: $name,
                        severity: Severity::$sev,
                        step: Step::$step,
                        summary: $summary,
                        doc: include_str!(concat!("../../docs/rules/", $name, ".md")),
                    }), )*
                    Rule::Schema(_) => None,
                }
            }
        }
    };
}

rules! {
    UnreadableFile "QA001" "unreadable-file" Error Read "The file cannot be read as UTF-8 text (I/O error, invalid UTF-8, binary content).";
    InvalidFrontMatter "QA002" "invalid-front-matter" Error Parse "The YAML front matter is malformed, unclosed, or not a mapping.";
    UnterminatedCodeFence "QA003" "unterminated-code-fence" Error Parse "A code fence is opened and never closed.";
    InvalidDirective "QA004" "invalid-directive" Warning Parse "A qa-lint directive or comment is not understood.";
    UnusedSuppression "QA005" "unused-suppression" Warning Report "A suppression comment suppresses nothing.";
    EmptyFile "QA006" "empty-file" Warning Parse "The Markdown file is empty or only whitespace.";
    ExcessiveNesting "QA007" "excessive-nesting" Warning Parse "Block quotes or lists are nested more than 100 levels deep.";
    CodeOutsideEntries "QA008" "code-outside-entries" Warning Parse "Python blocks outside every entry do not run (qa mode); `--entries sections` runs them.";
    SchemaViolation "QA100" "schema-violation" Error Validate "The entry breaks a schema rule that names no x-rule of its own.";
    TitleNotAQuestion "QA101" "title-not-a-question" Warning Validate "The entry heading is not phrased as a question.";
    MissingShortAnswer "QA102" "missing-short-answer" Error Validate "The entry has no \"Short answer:\" paragraph.";
    ShortAnswerTooLong "QA103" "short-answer-too-long" Error Validate "The short answer is longer than the schema allows.";
    ShortAnswerNotOneParagraph "QA104" "short-answer-not-one-paragraph" Error Validate "The short answer spans more than one paragraph.";
    MissingExample "QA105" "missing-example" Error Validate "The entry has no runnable Python example.";
    MissingInterviewAnswer "QA106" "missing-interview-answer" Error Validate "The entry has no \"How I would say it in an interview\" answer.";
    MissingPart "QA107" "missing-part" Error Validate "One of the four answer parts (definition, practice, example, tradeoff) is missing.";
    OutputMismatch "QA201" "output-mismatch" Error Execute "A comment claims an output that the code does not produce.";
    UnexpectedException "QA202" "unexpected-exception" Error Execute "A statement raised an exception that no comment claims.";
    ExpectedExceptionNotRaised "QA203" "expected-exception-not-raised" Error Execute "A comment claims an exception that was not raised.";
    ClaimWithoutOutput "QA204" "claim-without-output" Error Execute "A comment claims an output, but the line printed nothing.";
    PythonSyntaxError "QA205" "python-syntax-error" Error Execute "A Python block does not compile.";
    Timeout "QA206" "timeout" Error Execute "An entry's examples did not finish within the time limit.";
    InterpreterCrash "QA207" "interpreter-crash" Error Execute "The Python process running an entry died (os._exit, a segfault, a CPU limit).";
    MissingModule "QA208" "missing-module" Warning Execute "A module the entry requires is not installed, so the entry was not run.";
    ClaimQuotedString "QA209" "claim-quoted-string" Warning Execute "A claim shows the repr of a printed string ('add') instead of what print shows (add).";
    SandboxViolation "QA210" "sandbox-violation" Warning Execute "A snippet tried something the sandbox blocks (network, subprocess, writes outside its directory).";
    MissingFixture "QA211" "missing-fixture" Error Execute "A fixture file named by a directive does not exist.";
    OutputLimit "QA212" "output-limit" Warning Execute "An entry printed more than the output limit (1 MiB); the rest was dropped.";
    ThreadLeftRunning "QA213" "thread-left-running" Warning Execute "An entry's examples left a thread running when they ended.";
    ClaimFormat "QA214" "claim-format" Warning Execute "A claim shows the right value, written differently from the output ([1,2] for [1, 2]).";
    NondeterministicClaim "QA215" "nondeterministic-claim" Warning Execute "A claim on output that changes between runs (a clock, random numbers, an id) does not hold this run.";
    MissingFile "QA216" "missing-file" Warning Execute "An example opens a data file that is not there, so the statements that use it were not checked.";
    ReadsInput "QA217" "reads-input" Warning Execute "An example reads input() or its command line, which have nothing to give when qa-lint runs it.";
    UndefinedName "QA218" "undefined-name" Warning Execute "An example uses a name that nothing defines (a fragment that needs context, or a typo).";
}

impl Rule {
    /// The rule a schema's `x-rule` names: a registry rule when it is one (the built-in
    /// schema names registry rules), otherwise a rule of the schema's own.
    pub fn schema(name: &str) -> Rule {
        if let Some(info) = all().find(|r| r.name == name) {
            return info.rule;
        }
        static NAMES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
        let mut names = NAMES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // One leaked copy per distinct name, and schemas name a handful.
        let interned = match names.iter().find(|n| **n == name) {
            Some(n) => *n,
            None => {
                let n: &'static str = Box::leak(name.to_string().into_boxed_str());
                names.push(n);
                n
            }
        };
        Rule::Schema(interned)
    }

    pub fn name(self) -> &'static str {
        match self {
            Rule::Schema(name) => name,
            r => r.info().map_or("", |i| i.name),
        }
    }

    /// A schema's own rule has the code of `schema-violation` unless its `x-code` says otherwise.
    pub fn code(self) -> &'static str {
        self.info().map_or("QA100", |i| i.code)
    }

    pub fn default_severity(self) -> Severity {
        self.info().map_or(Severity::Error, |i| i.severity)
    }

    /// Whether running the examples finds it (a schema's rules are static).
    pub fn executes(self) -> bool {
        self.info().is_some_and(|i| i.step == Step::Execute)
    }
}

/// Every registry rule, in code order.
pub fn all() -> impl Iterator<Item = &'static RuleInfo> {
    Rule::BUILTIN.iter().filter_map(|r| r.info())
}

/// A registry rule by the name or code (any case) a user wrote.
pub fn lookup(name: &str) -> Option<&'static RuleInfo> {
    all().find(|r| r.name == name || r.code.eq_ignore_ascii_case(name))
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
    let names = all().map(|r| r.name).chain(extra.iter().map(String::as_str));
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

    #[test]
    fn every_rule_has_a_distinct_name_and_code_and_schema_names_resolve() {
        use super::{all, Rule};
        let rules: Vec<_> = all().collect();
        for (i, a) in rules.iter().enumerate() {
            assert_eq!(a.rule.name(), a.name);
            assert!(
                rules[i + 1..].iter().all(|b| b.name != a.name && b.code != a.code),
                "{}",
                a.name
            );
        }
        assert_eq!(Rule::schema("missing-short-answer"), Rule::MissingShortAnswer);
        assert_eq!(Rule::schema("missing-bucket"), Rule::Schema("missing-bucket"));
        assert_eq!(Rule::schema("missing-bucket").code(), "QA100");
    }
}
