//! The command line: `qa-lint [check] [PATHS]`, `qa-lint inspect FILE...`, `qa-lint rules`,
//! `qa-lint rule NAME`, `qa-lint merge REPORT...`. The check flags follow ruff's where ruff
//! has one (`--select`, `--exit-zero`, `--output-file`, `--show-fixes`, `-` for stdin), so
//! ruff users' habits carry over.
//! Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 usage or internal failure.
//! This file parses and dispatches; each command lives in `commands/`.

use crate::config::{Dialect, EntryMode};
use crate::report::OutputFormat;
use clap::{Parser, Subcommand, ValueEnum};
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files or directories to check (Markdown: .md, .markdown); `-` reads standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// With `-`: the path to report standard input as (and to find qa-lint.toml from).
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Report only these rules: names, codes, code prefixes (`QA2`) or `ALL`, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Report these rules too (even if qa-lint.toml turns them off).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub extend_select: Vec<String>,
    /// Do not report these rules.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Exit with 0 even when errors are found (2 still means qa-lint could not do its job).
    #[arg(long)]
    pub exit_zero: bool,
    /// Write the report to this file instead of standard output.
    #[arg(short, long, value_name = "PATH")]
    pub output_file: Option<PathBuf>,
    /// JSON Schema with the entry policy (default: the config's `schema`, else the built-in one).
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// Which sections are entries: `qa` (question headings, the Q&A rules apply) or
    /// `sections` (every section runs; default: the config's `entries`, else `qa`).
    #[arg(long, value_enum)]
    pub entries: Option<EntryMode>,
    /// Markdown dialect: `mkdocs` reads fences indented under admonitions and content tabs
    /// (default: the config's `dialect`, else `auto`).
    #[arg(long, value_enum)]
    pub dialect: Option<Dialect>,
    /// Configuration file (default: the closest qa-lint.toml, .qa-lint.toml or pyproject.toml [tool.qa-lint]).
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "full", env = "QA_LINT_OUTPUT_FORMAT")]
    pub output_format: OutputFormat,
    /// Colour in the `full` format: `auto` uses it on a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Print only diagnostics (no summary line, no progress).
    #[arg(short, long)]
    pub quiet: bool,
    /// Print counts per rule after the diagnostics.
    #[arg(long)]
    pub statistics: bool,
    /// Parallel jobs (files and Python workers alike); default (or 0): the number of cores.
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Structure and schema only: do not run any Python.
    #[arg(long)]
    pub no_exec: bool,
    /// Rewrite wrong output claims to the actual output (only the claim text changes).
    #[arg(long)]
    pub fix: bool,
    /// Show the changes `--fix` would make, as a unified diff, without writing.
    #[arg(long)]
    pub diff: bool,
    /// With --fix/--diff, also rewrite hedged claims ("Usually True ...").
    #[arg(long)]
    pub fix_hedged: bool,
    /// List every fix: those applied with --fix, otherwise those --fix would apply.
    #[arg(long)]
    pub show_fixes: bool,
    /// Do not read or write the result cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Where execution results are cached.
    #[arg(long, default_value = ".qa-lint-cache", env = "QA_LINT_CACHE_DIR")]
    pub cache_dir: PathBuf,
    /// Check only a stable subset of the entries: K of N (1-based), for CI matrices.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::shard::Shard>,
    /// Check only files changed since this git revision (committed, staged, unstaged or new).
    #[arg(long, value_name = "REV")]
    pub changed_since: Option<String>,
    /// Keep every sandbox default (no network, no subprocesses, no writes outside) whatever
    /// qa-lint.toml or block directives allow: for CI on pull requests from forks.
    #[arg(long)]
    pub strict_sandbox: bool,
    /// Every claim must be proven: a failure that leaves claims unverified (a missing module,
    /// the network, code that does not run as shown) is an error (`[exec] require-verified`).
    #[arg(long)]
    pub require_verified: bool,
    /// Leave out files named on the command line that `exclude` matches, as a walked
    /// directory's are (for pre-commit and editors, which pass files one by one).
    #[arg(long)]
    pub force_exclude: bool,
    /// Report only findings that this baseline file does not record (`baseline` in
    /// qa-lint.toml does the same); see docs/configuration.md#baselines.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Print the effective settings (TOML, each value with where it came from) and exit.
    #[arg(long)]
    pub show_settings: bool,
    /// Record every finding of this run in FILE (a baseline) and exit 0.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["baseline", "fix", "diff"])]
    pub write_baseline: Option<PathBuf>,
    /// Kernel confinement of the snippets: `auto` where the kernel offers it (required with
    /// --strict-sandbox), `kernel` always (else refuse), `weak` never (audit hook only).
    #[arg(long, value_enum, default_value_t = crate::exec::confine::SandboxMode::Auto, value_name = "MODE", env = "QA_LINT_SANDBOX")]
    pub sandbox: crate::exec::confine::SandboxMode,
    /// Append a Markdown summary to this file (e.g. `$GITHUB_STEP_SUMMARY`).
    #[arg(long, value_name = "PATH")]
    pub summary_file: Option<PathBuf>,
    /// Fail (exit code 2) instead of starting Python when an entry is not in the cache, so a
    /// test can prove a re-run is served from it. Hidden: it is for tests. The environment
    /// variable sets it too, which reaches the `qa-lint check -` runs of the language server.
    #[arg(long, hide = true, env = "QA_LINT_FORBID_EXEC", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    pub forbid_exec: bool,
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
