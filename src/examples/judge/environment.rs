//! Failures the reader's environment causes rather than the example: a module that is not
//! installed, a data file that is not there, `input()` or a command line, a name only the
//! surrounding page defines. They are reported once per entry as warnings, and what follows
//! from them is not checked.

use super::observe::line_code;
use crate::entry::CodeBlock;
use crate::examples::unverified::Cause;
use crate::exec::{PyError, SessionExample};
use crate::rules::execute::Environment;

/// The cause a claim that depends on such a failure is not verified for.
pub(super) fn cause(kind: Environment) -> Cause {
    match kind {
        Environment::MissingModule => Cause::Module,
        Environment::MissingFile => Cause::File,
        Environment::ReadsInput => Cause::Input,
        Environment::UndefinedName => Cause::Context,
        Environment::Network => Cause::Network,
    }
}

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

/// `sys.exit(...)`, `unittest.main()`, `exit()`: the example ends its program on purpose, as a
/// script does. `Some(true)` when it ends in success (`sys.exit(0)`, `unittest.main()` whose
/// tests passed): the end of the run, nothing to report; `Some(false)` for a failure status,
/// which is reported as a warning (an exit is no claim, and no evidence the page is wrong);
/// `None` when this is no such exit.
pub(super) fn ends_program(block: &CodeBlock, e: &PyError) -> Option<bool> {
    let exits = e.type_name == "SystemExit"
        && e.line.or(e.stmt.map(|s| s.0)).is_some_and(|l| {
            let code = line_code(block, l as usize);
            ["exit(", "quit(", ".main(", "main()"].iter().any(|c| code.contains(c))
        });
    exits.then_some(matches!(e.message.as_str(), "" | "0" | "None" | "False"))
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
    // `os.environ["API_KEY"]`: a variable of the author's machine.
    if e.type_name == "KeyError" {
        let code = e.line.map_or("", |l| line_code(block, l as usize));
        if code.contains("environ[") {
            let var = e.message.trim_matches(|c| c == '\'' || c == '"');
            return Some((Environment::ReadsInput, format!("the environment variable `{var}`")));
        }
    }
    env_of(&e.type_name, &e.message).or_else(|| env_of(e.qualname.rsplit('.').next().unwrap_or(""), &e.message))
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
        // `typer` for `type`, `Tuple` for `tuple`: Python's own hint points at a builtin, not at
        // a name the example defined; the name is missing context (an import the page leaves
        // out), not a typo.
        "NameError" if !message.contains("Did you mean") || suggests_builtin(message) => {
            let name = message.strip_prefix("name '")?.split('\'').next()?;
            Some((Environment::UndefinedName, name.to_string()))
        }
        _ if network(type_name, message) => Some((Environment::Network, type_name.to_string())),
        _ => terminal(type_name, message).map(|what| (Environment::ReadsInput, what.to_string())),
    }
}

/// `... Did you mean: 'type'?` naming a builtin.
fn suggests_builtin(message: &str) -> bool {
    const BUILTINS: &[&str] = &[
        "type", "tuple", "list", "dict", "set", "str", "int", "float", "bool", "bytes", "ord", "chr", "len", "map",
        "zip", "any", "all", "min", "max", "sum", "abs", "iter", "next", "id", "hash", "open", "print", "input",
        "quit", "exit", "range", "round", "sorted", "vars", "dir", "super", "object", "repr", "format", "filter",
        "slice",
    ];
    message
        .split("Did you mean: '")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .is_some_and(|s| BUILTINS.contains(&s))
}

/// An exception that says a connection could not be made: examples have no network, so what
/// a server would answer is unknown, not wrong.
fn network(type_name: &str, message: &str) -> bool {
    const TYPES: &[&str] = &[
        "URLError",
        "ConnectionError",
        "ConnectionRefusedError",
        "ConnectionResetError",
        "ConnectionAbortedError",
        "gaierror",
        "herror",
        "ConnectTimeout",
        "ConnectError",
        "ReadTimeout",
        "NewConnectionError",
        "MaxRetryError",
        "ClientConnectorError",
        "ClientConnectionError",
        "SMTPServerDisconnected",
        "SSLError",
        "RemoteDisconnected",
    ];
    const MESSAGES: &[&str] = &[
        "Name or service not known",
        "Temporary failure in name resolution",
        "Network is unreachable",
        "No address associated with hostname",
        "Failed to establish a new connection",
        "nodename nor servname",
        "Connection refused",
    ];
    TYPES.contains(&type_name)
        || (matches!(type_name, "OSError" | "timeout" | "TimeoutError" | "error")
            && MESSAGES.iter().any(|m| message.contains(m)))
}

/// An exception that says there is no terminal (or display) to talk to: examples run with no
/// tty on any standard stream.
fn terminal(type_name: &str, message: &str) -> Option<&'static str> {
    let no_tty = message.contains("Inappropriate ioctl for device")
        || message.contains("setupterm")
        || message.contains("not a terminal")
        || message.contains("nocbreak")
        || (type_name == "UnsupportedOperation" && message.contains("fileno"));
    if no_tty || type_name == "termios.error" || (type_name == "error" && message.contains("(25,")) {
        return Some("a terminal");
    }
    if type_name == "TclError" && message.contains("display") {
        return Some("a display");
    }
    None
}
