//! The commands of the command line (cli.rs parses and dispatches): `check` (the default),
//! `inspect`, `merge`, `rules` and `rule`. Each returns its exit code or a [`Failure`]; the
//! one place that prints a failure and turns it into exit code 2 is [`exit_code`].

pub mod check;
pub mod inspect;
pub mod merge;
pub mod rules;

/// Why a command could not do its work (exit code 2).
pub enum Failure {
    /// A diagnostic with a source (an invalid configuration or schema).
    Report(miette::Report),
    /// A one-line reason, printed after `error: `.
    Message(String),
    /// Already said (or nothing to say: a closed pipe).
    Silent,
}

impl Failure {
    pub fn msg(m: impl std::fmt::Display) -> Failure {
        Failure::Message(m.to_string())
    }
}

impl From<miette::Report> for Failure {
    fn from(r: miette::Report) -> Failure {
        Failure::Report(r)
    }
}

/// A command's result.
pub type Exit = Result<i32, Failure>;

/// The exit code of a command's result; a failure is printed here, and only here.
pub fn exit_code(result: Exit) -> i32 {
    match result {
        Ok(code) => code,
        Err(Failure::Report(r)) => {
            eprintln!("{r:?}");
            2
        }
        Err(Failure::Message(m)) => {
            eprintln!("error: {m}");
            2
        }
        Err(Failure::Silent) => 2,
    }
}
