//! The command line: `qa-lint [check] [PATHS]`, `qa-lint inspect FILE...`, `qa-lint rules`,
//! `qa-lint rule NAME`, `qa-lint merge REPORT...`. The check flags follow ruff's where ruff
//! has one (`--select`, `--exit-zero`, `--output-file`, `--show-fixes`, `-` for stdin), so
//! ruff users' habits carry over.
//! Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 usage or internal failure.
//! This file parses and dispatches; each command lives in `commands/`.

pub use crate::commands::check::{CheckArgs, ColorChoice};
use crate::config::EntryMode;
use crate::report::OutputFormat;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "qa-lint",
    version,
    about = "Lint and prove technical Q&A written in Markdown",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check files: the default command (`qa-lint PATHS` is `qa-lint check PATHS`).
    Check(Box<CheckArgs>),
    /// Print the JSON documents the schema sees, one per entry, for every file given.
    Inspect {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Which sections are entries (default: the config's `entries`, else `qa`).
        #[arg(long, value_enum)]
        entries: Option<EntryMode>,
    },
    /// List every rule with its code, default severity and summary.
    Rules,
    /// Print a rule's documentation.
    Rule { name: String },
    /// Run the language server (LSP over standard input and output) for editors.
    Server,
    /// Merge JSON reports (e.g. from `--shard` jobs) into one report in any output format.
    Merge {
        /// Files written with `--output-format json`.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "json")]
        output_format: OutputFormat,
        /// Write the report to this file (atomically, when the merge is done) instead of stdout.
        #[arg(long, value_name = "PATH")]
        output_file: Option<PathBuf>,
    },
}

pub fn main() -> i32 {
    run(std::env::args_os())
}

/// Run the command line `args` (program name first) and return the exit code.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    use crate::commands::{check, exit_code, inspect, merge, rules};
    match &cli.command {
        Some(Command::Rules) => exit_code(rules::list()),
        Some(Command::Rule { name }) => exit_code(rules::doc(name)),
        Some(Command::Inspect { files, config, entries }) => {
            exit_code(inspect::run(files, config.as_deref(), *entries))
        }
        Some(Command::Merge {
            reports,
            output_format,
            output_file,
        }) => exit_code(merge::run(reports, *output_format, output_file.as_deref())),
        Some(Command::Server) => crate::server::run(),
        Some(Command::Check(args)) => exit_code(check::run(args)),
        None => exit_code(check::run(&cli.check)),
    }
}
