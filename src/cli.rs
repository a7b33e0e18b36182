//! The command line: `qa-lint [PATHS]`, `qa-lint inspect FILE`, `qa-lint rules`, `qa-lint rule NAME`.
//! Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 usage or internal failure.

use crate::config::Config;
use crate::pipeline::{self, RunOptions};
use crate::report::{self, OutputFormat, RenderOptions};
use crate::validate::Policy;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

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
    /// Print the JSON documents the schema sees, one per entry.
    Inspect {
        file: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// List every rule with its code, default severity and summary.
    Rules,
    /// Print a rule's documentation.
    Rule { name: String },
    /// Merge JSON reports (e.g. from `--shard` jobs) into one report in any output format.
    Merge {
        /// Files written with `--output-format json`.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "json")]
        output_format: OutputFormat,
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
    /// Files or directories to check (Markdown: .md, .markdown).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// JSON Schema with the entry policy (default: the config's `schema`, else the built-in one).
    #[arg(long)]
    pub schema: Option<PathBuf>,
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
    /// Parallel jobs (files and Python workers); default: the number of cores.
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
    /// Kernel confinement of the snippets: `auto` where the kernel offers it (required with
    /// --strict-sandbox), `kernel` always (else refuse), `weak` never (audit hook only).
    #[arg(long, value_enum, default_value_t = crate::exec::confine::SandboxMode::Auto, value_name = "MODE", env = "QA_LINT_SANDBOX")]
    pub sandbox: crate::exec::confine::SandboxMode,
    /// Append a Markdown summary to this file (e.g. `$GITHUB_STEP_SUMMARY`).
    #[arg(long, value_name = "PATH")]
    pub summary_file: Option<PathBuf>,
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match &cli.command {
        Some(Command::Rules) => rules_list(),
        Some(Command::Rule { name }) => rule_doc(name),
        Some(Command::Inspect { file, config }) => inspect(file, config.as_deref()),
        Some(Command::Merge { reports, output_format }) => merge(reports, *output_format),
        None => check(&cli.check),
    }
}

fn fail(report: miette::Report) -> i32 {
    eprintln!("{report:?}");
    2
}

fn rules_list() -> i32 {
    let mut out = std::io::stdout().lock();
    for r in crate::rules::RULES {
        let _ = writeln!(
            out,
            "{}  {:<32} {:<8} {}",
            r.code,
            r.name,
            r.severity.as_str(),
            r.summary
        );
    }
    0
}

fn rule_doc(name: &str) -> i32 {
    match crate::rules::lookup(name) {
        Some(r) => {
            print!("{}", r.doc);
            0
        }
        None => {
            eprintln!("error: no rule named `{name}`; `qa-lint rules` lists them");
            2
        }
    }
}

fn load(start: &Path, config: Option<&Path>, schema: Option<&Path>) -> Result<(Config, Policy), miette::Report> {
    let mut config = Config::discover(start, config).map_err(|e| miette::Report::new(*e))?;
    let schema = schema.map(Path::to_path_buf).or_else(|| config.schema_path());
    let policy = Policy::load(schema.as_deref())?;
    config
        .normalize_rules(&policy.rule_names())
        .map_err(|e| miette::Report::new(*e))?;
    Ok((config, policy))
}

fn inspect(file: &Path, config: Option<&Path>) -> i32 {
    let (config, policy) = match load(file, config, None) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let checked = crate::check::check_file(file, &policy, &config, true);
    if checked.source.is_none() {
        for d in &checked.diagnostics {
            eprintln!("error: {}: {}", file.display(), d.message);
        }
        return 2;
    }
    let docs: Vec<&serde_json::Value> = checked.documents.iter().map(|d| &d.value).collect();
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, &docs);
    let _ = writeln!(out);
    0
}

fn merge(paths: &[PathBuf], format: OutputFormat) -> i32 {
    let (files, summary) = match report::merge::read(paths) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let render = RenderOptions {
        format,
        color: false,
        quiet: false,
        statistics: false,
        width: 100,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if report::render(&mut out, &files, &summary, &render)
        .and_then(|_| out.flush())
        .is_err()
    {
        return 2;
    }
    i32::from(summary.errors > 0)
}

fn check(args: &CheckArgs) -> i32 {
    let start = args.paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let (mut config, policy) = match load(&start, args.config.as_deref(), args.schema.as_deref()) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    if args.strict_sandbox {
        let exec = &mut config.exec;
        (exec.allow_network, exec.allow_subprocess, exec.allow_writes_outside) = (false, false, false);
        exec.strict_sandbox = true;
    }
    if !args.no_exec {
        match crate::exec::confine::decide(args.sandbox, args.strict_sandbox) {
            Ok((policy, warning)) => {
                if let Some(w) = warning {
                    eprintln!("{w}");
                }
                crate::exec::confine::set_policy(policy);
            }
            Err(why) => {
                eprintln!("error: {why}");
                return 2;
            }
        }
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let opts = RunOptions {
        paths: args.paths.clone(),
        jobs,
        exec: !args.no_exec,
        cache_dir: (!args.no_cache).then(|| args.cache_dir.clone()),
        shard: args.shard,
        changed_since: args.changed_since.clone(),
        progress: !args.quiet,
    };
    let (mut files, mut summary) = match pipeline::run(&opts, &config, &policy) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    if args.fix || args.diff {
        let fix_opts = crate::fix::FixOptions {
            write: args.fix,
            diff: args.diff,
            hedged: args.fix_hedged,
        };
        match crate::fix::apply(&mut files, &fix_opts, &mut std::io::stdout().lock()) {
            Ok(r) => {
                if args.fix && !args.quiet {
                    eprintln!("fixed {} claim(s) in {} file(s)", r.fixed, r.files);
                }
                for path in r.skipped {
                    eprintln!("warning: {path} changed on disk while qa-lint ran; not fixed");
                }
            }
            Err(e) => {
                eprintln!("error: cannot write fixes: {e}");
                return 2;
            }
        }
        pipeline::recount(&files, &mut summary);
        if args.diff && !args.fix {
            // Like ruff: --diff shows the change and reports nothing else.
            return 0;
        }
    }
    if let Some(path) = &args.summary_file {
        if let Err(e) = report::append_summary(path, &files, &summary) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return 2;
        }
    }
    let stdout = std::io::stdout();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let render = RenderOptions {
        format: args.output_format,
        color,
        quiet: args.quiet,
        statistics: args.statistics,
        width: 100,
    };
    let mut out = std::io::BufWriter::new(stdout.lock());
    if report::render(&mut out, &files, &summary, &render)
        .and_then(|_| out.flush())
        .is_err()
    {
        return 2;
    }
    i32::from(summary.errors > 0)
}
