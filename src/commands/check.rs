//! `qa-lint [check] PATHS`: the run (settings, the pipeline, a baseline, fixes) and its report.

use super::{Exit, Failure};
use crate::cli::{CheckArgs, ColorChoice};
use crate::pipeline;
use crate::report::{self, OutputFormat, RenderOptions};
use crate::settings::{load, CommandLine, RunSettings};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

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
