//! Failures the reader's environment causes rather than the example: a module that is not
//! installed, a data file that is not there, `input()` or a command line, a name only the
//! surrounding page defines. They are reported once per entry as warnings, and what follows
//! from them is not checked.

use super::observe::line_code;
use crate::entry::CodeBlock;
use crate::exec::{PyError, SessionExample};
use crate::rules::execute::Environment;

/// `raise RuntimeError("...")` (or a bare re-`raise` in an `except`) written in the example's
/// own top-level code, or a line whose comment says it fails (`# error`): the author meant
/// the exception, so it is no unexpected one.
pub(super) fn deliberate_raise(block: &CodeBlock, e: &PyError) -> bool {
    let Some(line) = e.line else {
        return false;
    };
    let top_level = e.traceback.last().is_none_or(|f| f.function == "<module>");
    let raises = |n: u32| {
        let code = line_code(block, n as usize).trim_start();
        code.starts_with("raise ") || code.split('#').next().is_some_and(|c| c.trim() == "raise")
    };
    // `except ValueError: log(...); raise` re-raises what the `try:` raised.
    let reraises = e.stmt.is_some_and(|(a, b)| {
        (a..=b).any(|n| {
            let code = line_code(block, n as usize).trim_start();
            code.split('#').next().is_some_and(|c| c.trim() == "raise")
        })
    });
    top_level && (raises(line) || reraises) || announced_error(block, e)
}

/// `"abc".index("z")  # error`, `# raises an error`, `# throws an error!`: the comment says
/// that the line fails, without naming the exception; that it fails is then no surprise.
fn announced_error(block: &CodeBlock, e: &PyError) -> bool {
    static SAYS_ERROR: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)#\s*(?:(?:this\s+)?(?:will\s+)?(?:raises?|throws?|gives?|causes?)\s+(?:an?\s+)?)?errors?\b[\s!.]*$",
        )
        .unwrap()
    });
    let (a, b) = e.stmt.unwrap_or((e.line.unwrap_or(0), e.line.unwrap_or(0)));
    (a.max(1)..=b).any(|n| SAYS_ERROR.is_match(line_code(block, n as usize)))
}

/// A failure the reader's environment causes: the rule that reports it, and the module or
/// file it names.
pub(super) fn environment(e: &PyError, block: &CodeBlock) -> Option<(Environment, String)> {
    if let Some(m) = &e.missing_module {
        return Some((Environment::MissingModule, m.clone()));
    }
    // argparse exits with 2 when the command line lacks what it needs: qa-lint gives none.
    if e.type_name == "SystemExit"
        && e.message == "2"
        && e.line
            .is_some_and(|l| line_code(block, l as usize).contains("parse_args("))
    {
        return Some((Environment::ReadsInput, String::new()));
    }
    // `from .models import User`: a module of a package the page does not show.
    if e.type_name == "ImportError" && e.message.starts_with("attempted relative import") {
        let code = e.line.map_or("", |l| line_code(block, l as usize)).trim_start();
        let module = code
            .strip_prefix("from ")
            .and_then(|r| r.split_whitespace().next())
            .filter(|m| m.starts_with('.'));
        return Some((Environment::UndefinedName, module.unwrap_or(".").to_string()));
    }
    env_of(&e.type_name, &e.message)
}

pub(super) fn session_environment(ex: &SessionExample) -> Option<(Environment, String)> {
    if let Some(m) = &ex.missing_module {
        return Some((Environment::MissingModule, m.clone()));
    }
    let (t, m) = ex
        .exception
        .as_deref()?
        .split_once(": ")
        .unwrap_or((ex.exception.as_deref()?, ""));
    env_of(t.rsplit('.').next().unwrap_or(t), m)
}

fn env_of(type_name: &str, message: &str) -> Option<(Environment, String)> {
    match type_name {
        "FileNotFoundError" => {
            let name = message.strip_prefix("[Errno 2] No such file or directory: ")?;
            let name = name.trim_matches(|c| c == '\'' || c == '"');
            Some((Environment::MissingFile, name.to_string()))
        }
        "EOFError" if message == "EOF when reading a line" => Some((Environment::ReadsInput, String::new())),
        // A name nothing defines, with no near miss (`x` for `X` stays an error): a fragment
        // that needs context the page does not show, or a typo qa-lint cannot tell from one.
        "NameError" if !message.contains("Did you mean") => {
            let name = message.strip_prefix("name '")?.split('\'').next()?;
            Some((Environment::UndefinedName, name.to_string()))
        }
        _ => None,
    }
}
