//! Wording of the rules found by running an entry's examples (QA202, QA205-QA213,
//! QA216-QA218); the claim rules are in [`super::claims`].

use super::{Rule, Severity};
use crate::diagnostic::Diagnostic;
use crate::source::Span;

const TIMEOUT_HELP: &str = "make the example finish quickly, or raise the limit with `timeout=N` on the block";
const SANDBOX_HELP: &str = "examples may not use the network, start processes or write outside their directory; allow it with `allow-network`, `allow-subprocess` or `allow-writes` on the block, or in qa-lint.toml [exec]";

/// An exception nothing claims; `text` is `Type: message` (or the type alone).
pub fn unexpected_exception(span: Span, type_name: &str, text: String) -> Diagnostic {
    Diagnostic::new(Rule::UnexpectedException, span, text)
        .label(format!("raises {type_name}"))
        .help(format!(
            "if the exception is the point, claim it on this line: `# raises {type_name}`"
        ))
}

/// An exception raised where the comment claims an output.
pub fn exception_instead_of_claim(span: Span, type_name: &str, message: &str, claimed: &str) -> Diagnostic {
    Diagnostic::new(
        Rule::UnexpectedException,
        span,
        format!("`{type_name}: {message}` raised where the comment claims `{claimed}`"),
    )
    .label(format!("raises {type_name}"))
    .help(format!(
        "make the line show `{claimed}` (the code may be wrong); if the exception is the point, write `# raises {type_name}` (or `# {type_name}: {message}`)"
    ))
}

/// An exception raised where a doctest session shows an output.
pub fn exception_in_session(span: Span, exception: &str, want: &str) -> Diagnostic {
    Diagnostic::new(
        Rule::UnexpectedException,
        span,
        format!("`{exception}` raised where the session shows `{want}`"),
    )
    .label("raises")
    .help("if the exception is the point, show it as doctest does: `Traceback (most recent call last):` then `...` then the exception line")
}

/// One traceback frame outside the failing line, as a secondary label.
pub fn called_from(function: &str) -> String {
    format!("called from here (in {function})")
}

/// `message` is the compiler's, without its location (the span has it).
pub fn python_syntax_error(span: Span, type_name: &str, message: &str) -> Diagnostic {
    Diagnostic::new(Rule::PythonSyntaxError, span, format!("{type_name}: {message}"))
        .label("does not compile")
        .help("fix the code; for a deliberately broken example mark the block `skip` with a reason")
}

/// A block that does not compile because it is written in Python 2 (`form` names how).
pub fn python2_code(span: Span, form: &str) -> Diagnostic {
    Diagnostic::new(
        Rule::Python2Code,
        span,
        format!("this block is Python 2 ({form}): it does not compile on Python 3"),
    )
    .label("Python 2")
    .help("port the block to Python 3 (`print(...)`, `except E as e:`, `0o777`, `!=`, `repr(x)`) and check its claimed outputs; mark it `python2` if it documents Python 2 on purpose")
}

/// An output shown as Python 2 printed it, for code that runs on Python 3.
pub fn python2_output(span: Span, form: &str, got: &str, fix: Option<&str>) -> Diagnostic {
    let d = Diagnostic::new(
        Rule::Python2Code,
        span,
        format!("this output is Python 2's ({form}); Python 3 shows `{got}`"),
    )
    .label("Python 2 output")
    .help("show the output Python 3 prints; label it `Output (Python 2.x):` if the page documents Python 2 on purpose");
    match fix {
        Some(text) => d.fix(span, text.to_string(), false),
        None => d,
    }
}

/// `label` says where the entry was when stopped, when the statement is not known.
pub fn timeout(span: Span, secs: f64, label: Option<String>) -> Diagnostic {
    Diagnostic::new(
        Rule::Timeout,
        span,
        format!("entry did not finish within {secs} s and was stopped"),
    )
    .label(label.unwrap_or_else(|| "still running here".into()))
    .help(TIMEOUT_HELP)
}

/// The CPU-time limit (the timeout plus 1 s) is a timeout by another clock.
pub fn cpu_timeout(span: Span, secs: f64, label: Option<String>) -> Diagnostic {
    Diagnostic::new(
        Rule::Timeout,
        span,
        format!("entry ran out of CPU time and was stopped (its timeout is {secs} s)"),
    )
    .label(label.unwrap_or_else(|| "still running here".into()))
    .help(TIMEOUT_HELP)
}

pub fn interpreter_crash(span: Span, detail: &str, label: Option<String>) -> Diagnostic {
    Diagnostic::new(
        Rule::InterpreterCrash,
        span,
        format!("the Python process running this entry died: {detail}"),
    )
    .label(label.unwrap_or_else(|| "running here".into()))
    .help("examples must not end the interpreter (os._exit, a segfault); remove or skip this block")
}

pub fn sandbox_violation(span: Span, message: &str) -> Diagnostic {
    Diagnostic::new(Rule::SandboxViolation, span, message)
        .label("blocked")
        .help(SANDBOX_HELP)
}

pub fn fixture_outside_project(span: Span, fixture: &str) -> Diagnostic {
    Diagnostic::new(
        Rule::MissingFixture,
        span,
        format!("fixture `{fixture}` is outside the project"),
    )
    .label("refused")
    .help("fixtures are files of the project, given relative to the Markdown file")
}

/// `full` is the path the fixture was looked for at.
pub fn fixture_unreadable(span: Span, fixture: &str, error: &std::io::Error, full: &std::path::Path) -> Diagnostic {
    Diagnostic::new(
        Rule::MissingFixture,
        span,
        format!("fixture `{fixture}` cannot be read: {error}"),
    )
    .label("needs this fixture")
    .help(format!(
        "create `{}` or fix the path (it is relative to the Markdown file)",
        full.display()
    ))
}

pub fn output_limit(span: Span) -> Diagnostic {
    Diagnostic::new(
        Rule::OutputLimit,
        span,
        "the examples printed more than the output limit; later output was dropped",
    )
    .label("in this entry")
    .help("print less (claims need a line or two); the limit is 1 MiB per entry")
}

pub fn thread_left_running(span: Span, threads: usize) -> Diagnostic {
    Diagnostic::new(
        Rule::ThreadLeftRunning,
        span,
        format!("{threads} thread(s) were still running when the examples ended"),
    )
    .label("in this entry")
    .help(
        "join the threads you start (`t.join()`), or make them daemon threads; a reader copying the example would hang",
    )
}

/// `requires=` names modules that are not installed, so the entry did not run at all.
/// `required` (`[exec] require-modules`) makes it an error.
pub fn entry_not_run(span: Span, modules: &[String], required: bool) -> Diagnostic {
    Diagnostic::new(
        Rule::MissingModule,
        span,
        format!("entry not run: module(s) {} not installed", modules.join(", ")),
    )
    .label("requires this")
    .help(format!(
        "install {} (e.g. `pip install {}`) to check this entry",
        modules.join(", "),
        modules.join(" ")
    ))
    .severity(module_severity(required))
}

fn module_severity(required: bool) -> Severity {
    if required {
        Severity::Error
    } else {
        Severity::Warning
    }
}

/// The rules for a failure the reader's environment causes rather than the example.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    MissingModule,
    MissingFile,
    ReadsInput,
    UndefinedName,
    Network,
}

impl Environment {
    pub fn rule(self) -> Rule {
        match self {
            Environment::MissingModule => Rule::MissingModule,
            Environment::MissingFile => Rule::MissingFile,
            Environment::ReadsInput => Rule::ReadsInput,
            Environment::UndefinedName => Rule::UndefinedName,
            Environment::Network => Rule::NeedsNetwork,
        }
    }

    /// The entry's one diagnostic of this kind, at its first line; its message comes from
    /// [`Environment::finish`] once every name is known.
    pub fn start(self, span: Span, require_modules: bool) -> Diagnostic {
        let label = match self {
            Environment::MissingModule => "not installed",
            Environment::MissingFile => "needs a file that is not there",
            Environment::UndefinedName => "not defined here",
            Environment::ReadsInput => "reads input",
            Environment::Network => "needs the network",
        };
        let d = Diagnostic::new(self.rule(), span, String::new()).label(label);
        match self {
            Environment::MissingModule => d.severity(module_severity(require_modules)),
            _ => d,
        }
    }

    /// Words `d` for every module, file or name (`names`) the entry lacks.
    pub fn finish(self, d: &mut Diagnostic, names: &[String]) {
        let quoted: Vec<String> = names.iter().map(|m| format!("`{m}`")).collect();
        let one = names.len() == 1;
        let (message, help) = match self {
            Environment::MissingModule => (
                match quoted.as_slice() {
                    [one] => format!("{one} is not installed; the statements that use it were not checked"),
                    _ => format!(
                        "modules {} are not installed; the statements that use them were not checked",
                        quoted.join(", ")
                    ),
                },
                format!(
                    "install {} (e.g. `pip install {}`) to check this entry, or mark the block `requires={}`",
                    names.join(", "),
                    names.join(" "),
                    names.join(",")
                ),
            ),
            Environment::MissingFile => (
                format!(
                    "the example needs {} {}, which {} not there; the statements that use {} were not checked",
                    if one { "the file" } else { "the files" },
                    quoted.join(", "),
                    if one { "is" } else { "are" },
                    if one { "it" } else { "them" },
                ),
                "give the entry the file with `fixture=NAME` on the block, or create it in the example; claim `# raises FileNotFoundError` if the error is the point".to_string(),
            ),
            Environment::UndefinedName => (
                format!(
                    "the example uses {} {}, which {} defines: it needs context the page does not show, or it is a typo",
                    if one { "the name" } else { "the names" },
                    quoted.join(", "),
                    if one { "nothing above it" } else { "nothing above them" },
                ),
                "define it in the example (or in an earlier block of the section), or mark the block `skip` with a reason".to_string(),
            ),
            Environment::ReadsInput if names.is_empty() => (
                "the example reads from input() or the command line, which have nothing to give here; what depends on it was not checked".to_string(),
                "take the value from code (a variable, a function argument), or mark the block `skip` with a reason".to_string(),
            ),
            Environment::ReadsInput => (
                format!(
                    "the example needs {}, which {} not there when qa-lint runs it",
                    names.join(" and "),
                    if one { "is" } else { "are" },
                ),
                "take the value from code (a variable, a function argument), or mark the block `skip` with a reason".to_string(),
            ),
            Environment::Network => (
                format!(
                    "the example needs the network ({} raised), which examples do not get",
                    quoted.join(", ")
                ),
                "show the response as an output block the example does not fetch, or mark the block `skip=\"needs the network\"`".to_string(),
            ),
        };
        d.message = message;
        d.help = Some(help);
    }
}

/// Appends to a root failure's message what followed from it: `claims` not checked and
/// `failures` not reported on their own.
pub fn add_fallout(d: &mut Diagnostic, claims: usize, failures: usize) {
    let mut parts = Vec::new();
    if claims > 0 {
        parts.push(format!(
            "{claims} claim{} below {} not checked",
            if claims == 1 { "" } else { "s" },
            if claims == 1 { "was" } else { "were" }
        ));
    }
    if failures > 0 {
        parts.push(format!(
            "{failures} later failure{} follow{} from it",
            if failures == 1 { "" } else { "s" },
            if failures == 1 { "s" } else { "" }
        ));
    }
    if !parts.is_empty() {
        d.message = format!("{} ({})", d.message, parts.join("; "));
    }
}
