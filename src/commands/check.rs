//! `qa-lint [check] PATHS`: the run (settings, the pipeline, a baseline, fixes) and its report.

use super::{Exit, Failure};
use crate::config::{Dialect, EntryMode};
use crate::pipeline;
use crate::report::{self, OutputFormat, RenderOptions};
use crate::settings::{load, CommandLine, RunSettings};
use clap::ValueEnum;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

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

/// Standard input as the file to check, when the only path is `-`.
fn read_stdin(args: &CheckArgs) -> Result<Option<(PathBuf, Vec<u8>)>, String> {
    if !args.paths.iter().any(|p| p == Path::new("-")) {
        return Ok(None);
    }
    if args.paths.len() > 1 {
        return Err("`-` (standard input) cannot be combined with other paths".into());
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let name = args.stdin_filename.clone().unwrap_or_else(|| PathBuf::from("-"));
    Ok(Some((name, bytes)))
}

/// `qa-lint chek`: a first path that does not exist, names no file, and is a near miss of a
/// subcommand is a misspelt subcommand, not a file to report as unreadable.
fn misspelt_subcommand(args: &CheckArgs) -> Option<(String, &'static str)> {
    const COMMANDS: &[&str] = &["check", "inspect", "rules", "rule", "merge", "server"];
    let first = args.paths.first()?.to_str()?;
    if args.paths[0].exists() || first.contains(['/', '.', '\\']) {
        return None;
    }
    COMMANDS
        .iter()
        .find(|c| strsim::damerau_levenshtein(first, c) <= 2)
        .map(|c| (first.to_string(), *c))
}

pub fn run(args: &CheckArgs) -> Exit {
    if let Some((typed, meant)) = misspelt_subcommand(args) {
        return Err(Failure::msg(format!(
            "unrecognized subcommand '{typed}' (and no file or folder of that name)\n\n  tip: a similar subcommand exists: '{meant}'"
        )));
    }
    let stdin = read_stdin(args).map_err(Failure::msg)?;
    let start = match (&stdin, args.paths.first()) {
        (Some((name, _)), _) => name
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        (None, first) => first.cloned().unwrap_or_else(|| PathBuf::from(".")),
    };
    let (config, policy) = load(&start, args.config.as_deref(), args.schema.as_deref())?;
    let from_stdin = stdin.is_some();
    let cli = CommandLine {
        paths: args.paths.clone(),
        jobs: args.jobs,
        no_exec: args.no_exec,
        cache_dir: (!args.no_cache).then(|| args.cache_dir.clone()),
        shard: args.shard,
        changed_since: args.changed_since.clone(),
        quiet: args.quiet,
        stdin,
        entries: args.entries,
        dialect: args.dialect,
        selection: crate::select::Selection {
            select: args.select.clone(),
            extend_select: args.extend_select.clone(),
            ignore: args.ignore.clone(),
        },
        strict_sandbox: args.strict_sandbox,
        require_verified: args.require_verified,
        force_exclude: args.force_exclude,
        forbid_exec: args.forbid_exec,
        sandbox: args.sandbox,
    };
    let opts = RunSettings::resolve(&config, cli, &policy.rule_names()).map_err(Failure::msg)?;
    if args.show_settings {
        print!("{}", crate::settings::show::show(&config, &opts));
        return Ok(0);
    }
    for w in &opts.warnings {
        eprintln!("{w}");
    }
    let (mut files, mut summary) = pipeline::run(&opts, &policy).map_err(Failure::msg)?;
    if let Some(path) = &args.write_baseline {
        return match crate::baseline::write(path, &files) {
            Ok(n) => {
                eprintln!("wrote {n} finding(s) to the baseline {}", path.display());
                Ok(0)
            }
            Err(e) => Err(Failure::msg(format!("cannot write {}: {e}", path.display()))),
        };
    }
    if let Some(path) = args.baseline.clone().or_else(|| config.baseline_path()) {
        match crate::baseline::Baseline::read(&path) {
            Ok(b) => {
                summary.baseline = Some(b.apply(&mut files));
                pipeline::recount(&files, &mut summary);
            }
            Err(e) => return Err(Failure::msg(e)),
        }
    }
    // With `--fix` on standard input the fixed text is the output (as ruff does), so the
    // report goes to standard error.
    let fixed_text_on_stdout = args.fix && from_stdin;
    let mut fixes_to_show = None;
    if args.fix || args.diff {
        let fix_opts = crate::fix::FixOptions {
            write: args.fix && !from_stdin,
            diff: args.diff,
            hedged: args.fix_hedged,
            to_out: fixed_text_on_stdout,
        };
        match crate::fix::apply(&mut files, &fix_opts, &mut std::io::stdout().lock()) {
            Ok(r) => {
                if args.fix && !args.quiet {
                    eprintln!("fixed {} claim(s) in {} file(s)", r.fixed, r.files);
                }
                for path in &r.skipped {
                    eprintln!("warning: {path} changed on disk while qa-lint ran; not fixed");
                }
                for i in &r.refused {
                    eprintln!(
                        "warning: {}:{}:{}: {} not fixed: the output `{}` holds control characters; \
                         write the claim by hand (for example, claim its repr())",
                        report::escape::visible(&i.path),
                        i.line,
                        i.column,
                        i.code,
                        report::escape::visible(&i.replacement)
                    );
                }
                if args.diff && !args.fix {
                    // Like ruff: --diff shows the change and reports nothing else; it fails
                    // when there is something to change.
                    if args.show_fixes {
                        let _ = show_fixes(&mut std::io::stderr().lock(), &r.applied, false);
                    }
                    return Ok(if r.applied.is_empty() || args.exit_zero { 0 } else { 1 });
                }
                fixes_to_show = Some(r.applied);
            }
            Err(e) => return Err(Failure::msg(format!("cannot write fixes: {e}"))),
        }
        pipeline::recount(&files, &mut summary);
    }
    if let Some(path) = &args.summary_file {
        report::append_summary(path, &files, &summary)
            .map_err(|e| Failure::msg(format!("cannot write {}: {e}", path.display())))?;
    }
    let to_terminal = args.output_file.is_none() && !fixed_text_on_stdout && std::io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && !opts.env.no_color,
    };
    let render = RenderOptions {
        format: args.output_format,
        color,
        quiet: args.quiet,
        statistics: args.statistics,
        width: 100,
    };
    let stream: Box<dyn Write> = if fixed_text_on_stdout {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout().lock())
    };
    let mut sink = match report::sink::ReportSink::open(args.output_file.as_deref(), stream, args.output_format) {
        Ok(sink) => sink,
        Err(e) => {
            let path = args.output_file.as_deref().unwrap_or(Path::new("-"));
            return Err(Failure::msg(format!("cannot write {}: {e}", path.display())));
        }
    };
    let human = matches!(args.output_format, OutputFormat::Full | OutputFormat::Concise);
    let out = sink.writer();
    let written = report::render(out, &files, &summary, &render).and_then(|_| {
        if !args.show_fixes {
            return Ok(());
        }
        // Machine formats stay parseable: the list goes to standard error there.
        let (list, applied) = match fixes_to_show.take() {
            Some(applied) => (applied, true),
            None => (crate::fix::available(&files, args.fix_hedged), false),
        };
        if human {
            show_fixes(out, &list, applied)
        } else {
            show_fixes(&mut std::io::stderr().lock(), &list, applied)
        }
    });
    if let Err(e) = written.and_then(|_| sink.finish()) {
        return Err(match &args.output_file {
            Some(path) => Failure::msg(format!("cannot write {}: {e}", path.display())),
            None => Failure::Silent, // standard output closed (a pipe to `head`)
        });
    }
    if args.exit_zero {
        return Ok(0);
    }
    Ok(i32::from(summary.errors > 0))
}

/// `--show-fixes`: one line per fix, applied or available.
fn show_fixes(out: &mut dyn Write, items: &[crate::fix::FixItem], applied: bool) -> std::io::Result<()> {
    let n = items.len();
    let claims = if n == 1 { "claim" } else { "claims" };
    match (applied, n) {
        (true, _) => writeln!(out, "Fixed {n} {claims}:")?,
        (false, 0) => writeln!(out, "No fixes available.")?,
        (false, _) => writeln!(out, "{n} {claims} fixable with --fix:")?,
    }
    for i in items {
        writeln!(
            out,
            "  {}:{}:{}: {} [{}] -> `{}`",
            report::escape::visible(&i.path),
            i.line,
            i.column,
            i.code,
            i.rule,
            report::escape::visible(&i.replacement)
        )?;
    }
    Ok(())
}
