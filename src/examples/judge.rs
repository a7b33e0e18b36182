//! From one entry's run to diagnostics: every claim judged against what its line produced,
//! and every unclaimed exception, timeout, crash or sandbox hit reported at its line.
//!
//! One root cause gets one diagnostic: a failure that follows from an earlier one (a
//! NameError for a name a failed statement would have bound, as the runner tells in
//! `PyError::root`) is not reported; the root's diagnostic says how many claims were not
//! checked because of it. A failed import of a module that is not installed is the entry's
//! one `missing-module` warning.

use super::PreparedEntry;
use crate::claims::nondet::{self, Nondet};
use crate::claims::{self, Claim, ClaimForm, ClaimKind, JudgeOptions, Observed, Shown, Verdict};
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity};
use crate::entry::{CodeBlock, Entry};
use crate::exec::{BlockMode, BlockResult, EntryOutcome, PyError, StmtSpan};
use crate::source::Span;
use std::collections::HashMap;

/// What judging one entry produced.
#[derive(Default)]
pub struct Judged {
    pub diagnostics: Vec<Diagnostic>,
    /// Claims (and session outputs) compared with real output.
    pub claims: usize,
    /// Claims for another Python than the running one (`# 3.12+: ...`, a transcript headed
    /// `# Python 3.12+`): skipped, not failed.
    pub other_python: usize,
    /// Claims not checked because an earlier failure (a missing module, a failed statement)
    /// left their line without the names it needs; each is counted on that failure's
    /// diagnostic.
    pub unchecked: usize,
}

/// A failure, by `(job block index, index in that block's errors or session examples)`.
type Key = (usize, usize);

/// The index that names a block's syntax error (qa_stmt.py's `SYNTAX_ERROR`): the names the
/// block would have bound are missing below it.
const SYNTAX_ERROR: usize = (1 << 31) - 1;

/// What followed from one root failure.
#[derive(Default, Clone, Copy)]
struct Fallout {
    claims: usize,
    failures: usize,
}

/// Entry-wide bookkeeping while its blocks are judged in order.
struct Ctx<'a> {
    entry: &'a Entry,
    prepared: &'a PreparedEntry,
    config: &'a Config,
    opts: &'a JudgeOptions,
    out: Judged,
    python: Option<(u32, u32)>,
    nondet: Nondet,
    fallout: HashMap<Key, Fallout>,
    /// The diagnostic that reports a root failure.
    root_diag: HashMap<Key, usize>,
    /// Later missing-module roots folded into the entry's first one.
    alias: HashMap<Key, Key>,
    /// The entry's environment warnings (`missing-module`, `missing-file`, `reads-input`):
    /// rule, root, diagnostic, the names it gives.
    env: Vec<(&'static str, Key, usize, Vec<String>)>,
}

impl Ctx<'_> {
    fn fallout(&mut self, root: Key) -> &mut Fallout {
        let root = self.alias.get(&root).copied().unwrap_or(root);
        self.fallout.entry(root).or_default()
    }

    fn push_root(&mut self, key: Key, d: Diagnostic) {
        self.root_diag.insert(key, self.out.diagnostics.len());
        self.out.diagnostics.push(d);
    }

    /// A failure caused by the reader's environment rather than the example (a module that
    /// is not installed, a data file that is not there, `input()`): one warning per entry
    /// and rule, naming every module or file; later ones count on it.
    fn environment(&mut self, rule: &'static str, key: Key, block: &CodeBlock, line: u32, name: &str) {
        if let Some(i) = self.env.iter().position(|e| e.0 == rule) {
            let (first, d) = (self.env[i].1, self.env[i].2);
            if !name.is_empty() && !self.env[i].3.iter().any(|m| m == name) {
                self.env[i].3.push(name.to_string());
            }
            self.alias.insert(key, first);
            self.root_diag.insert(key, d);
            self.fallout(first).failures += 1;
            return;
        }
        let sev = if rule == "missing-module" && self.config.exec.require_modules {
            Severity::Error
        } else {
            Severity::Warning
        };
        let label = match rule {
            "missing-module" => "not installed",
            "missing-file" => "needs a file that is not there",
            "undefined-name" => "not defined here",
            _ => "reads input",
        };
        let d = Diagnostic::new(rule, line_span(block, line), String::new())
            .label(label)
            .severity(sev);
        let names = if name.is_empty() {
            Vec::new()
        } else {
            vec![name.to_string()]
        };
        self.env.push((rule, key, self.out.diagnostics.len(), names));
        self.push_root(key, d);
    }

    /// Writes the counts of what each root cause left unchecked into its diagnostic.
    fn finish(mut self) -> Judged {
        // Under --strict-sandbox (a pull request nobody has read yet) reaching past the
        // sandbox is the finding, not the reader's policy: an error.
        if self.config.exec.strict_sandbox {
            for d in &mut self.out.diagnostics {
                if d.rule == "sandbox-violation" {
                    d.severity = Severity::Error;
                }
            }
        }
        for (rule, _, d, names) in &self.env {
            let quoted: Vec<String> = names.iter().map(|m| format!("`{m}`")).collect();
            let (message, help) = match *rule {
                "missing-module" => (
                    match quoted.as_slice() {
                        [one] => format!("{one} is not installed; the statements that use it were not checked"),
                        _ => format!("modules {} are not installed; the statements that use them were not checked", quoted.join(", ")),
                    },
                    format!(
                        "install {} (e.g. `pip install {}`) to check this entry, or mark the block `requires={}`",
                        names.join(", "),
                        names.join(" "),
                        names.join(",")
                    ),
                ),
                "missing-file" => (
                    format!(
                        "the example needs {} {}, which {} not there; the statements that use {} were not checked",
                        if names.len() == 1 { "the file" } else { "the files" },
                        quoted.join(", "),
                        if names.len() == 1 { "is" } else { "are" },
                        if names.len() == 1 { "it" } else { "them" },
                    ),
                    "give the entry the file with `fixture=NAME` on the block, or create it in the example; claim `# raises FileNotFoundError` if the error is the point".to_string(),
                ),
                "undefined-name" => (
                    format!(
                        "the example uses {} {}, which {} defines: it needs context the page does not show, or it is a typo",
                        if names.len() == 1 { "the name" } else { "the names" },
                        quoted.join(", "),
                        if names.len() == 1 { "nothing above it" } else { "nothing above them" },
                    ),
                    "define it in the example (or in an earlier block of the section), or mark the block `skip` with a reason".to_string(),
                ),
                _ => (
                    "the example reads from input() or the command line, which have nothing to give here; what depends on it was not checked".to_string(),
                    "take the value from code (a variable, a function argument), or mark the block `skip` with a reason".to_string(),
                ),
            };
            let diag = &mut self.out.diagnostics[*d];
            diag.message = message;
            diag.help = Some(help);
        }
        // Fallout counted on a root before it was folded into another one moves there.
        let folded: Vec<(Key, Key)> = self.alias.iter().map(|(k, v)| (*k, *v)).collect();
        for (from, to) in folded {
            if let Some(f) = self.fallout.remove(&from) {
                let t = self.fallout.entry(to).or_default();
                t.claims += f.claims;
                t.failures += f.failures;
            }
            self.root_diag.remove(&from);
        }
        let mut keys: Vec<(&Key, &Fallout)> = self.fallout.iter().collect();
        keys.sort_by_key(|(k, _)| **k);
        for (key, f) in keys {
            self.out.unchecked += f.claims;
            let Some(&d) = self.root_diag.get(key) else {
                continue;
            };
            let mut parts = Vec::new();
            if f.claims > 0 {
                parts.push(format!(
                    "{} claim{} below {} not checked",
                    f.claims,
                    if f.claims == 1 { "" } else { "s" },
                    if f.claims == 1 { "was" } else { "were" }
                ));
            }
            if f.failures > 0 {
                parts.push(format!(
                    "{} later failure{} follow{} from it",
                    f.failures,
                    if f.failures == 1 { "" } else { "s" },
                    if f.failures == 1 { "s" } else { "" }
                ));
            }
            if !parts.is_empty() {
                let diag = &mut self.out.diagnostics[d];
                diag.message = format!("{} ({})", diag.message, parts.join("; "));
            }
        }
        self.out
    }
}

/// A block-local byte range -> a span in the Markdown file.
fn code_span(block: &CodeBlock, range: std::ops::Range<usize>) -> Span {
    let to_md = |offset: usize| {
        let line_idx = block.code[..offset.min(block.code.len())].matches('\n').count();
        let line_start = block.code[..offset.min(block.code.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let skip = block.line_skips.get(line_idx).copied().unwrap_or(0);
        block
            .line_offsets
            .get(line_idx)
            .map_or(block.span.start, |s| s + (offset - line_start).saturating_sub(skip))
    };
    Span::new(to_md(range.start), to_md(range.end))
}

/// The span of the code on a 1-based block line, without leading indentation.
fn line_span(block: &CodeBlock, line: u32) -> Span {
    let text = block.code.lines().nth(line.saturating_sub(1) as usize).unwrap_or("");
    let indent = text.len() - text.trim_start().len();
    let s = block.line_span(line as usize);
    if s.is_empty() {
        block.span
    } else {
        Span::new(s.start + indent, s.end)
    }
}

/// The opening fence line of a block (where block-wide problems point).
fn first_line_of_block(block: &CodeBlock) -> Span {
    let start = block.span.start;
    let first_code_line = block.line_offsets.first().copied().unwrap_or(start);
    Span::new(start, first_code_line.saturating_sub(1).max(start))
}

/// Everything observed for the statement a claim is about.
///
/// A trailing claim sees what its own line printed, plus (on the first line of a top-level
/// statement) what code defined elsewhere printed while it ran (a decorator, an `__exit__`).
/// A claim written below a statement (`# 5`, `#> 5`, `# Output:`), or on the header of a
/// `for` or `with`, sees everything printed while that statement ran, its body included.
/// Warnings are not output. The value an assignment binds counts unless the claim is about
/// printed output only (`# Output: 3`). An exception raised and handled inside a `try:`
/// counts for an exception claim on its very line.
fn observe(result: &BlockResult, claim: &Claim, block: &CodeBlock) -> (Observed, Vec<usize>) {
    let line = claim.line as u32;
    let below = claim.form != ClaimForm::Trailing || loop_or_with_header(block, claim);
    let body = line..(claim.comment_line as u32).max(line + 1);
    let starts_stmt = |s: &Option<StmtSpan>| s.is_some_and(|(first, _)| first == line);
    let outputs = result
        .events
        .iter()
        .filter(|e| e.kind != "warning")
        .filter(|e| {
            e.line == Some(line)
                || (below && (starts_stmt(&e.stmt) || e.line.is_some_and(|l| body.contains(&l))))
                || (starts_stmt(&e.stmt) && e.line.is_none_or(|l| e.stmt.is_some_and(|(a, b)| l < a || l > b)))
        })
        .map(|e| e.text.clone())
        .collect();
    // `None` counts only for a claim of `None`: a REPL shows nothing for it.
    let claims_none = claim.text.trim() == "None";
    let value = result
        .values
        .iter()
        .filter(|v| !(v.assigned && claim.output_only))
        .find(|v| v.stmt.0 == line)
        .filter(|v| v.repr != "None" || claims_none);
    let value_repr = value.map(|v| v.repr.clone());
    let wants_exception = matches!(claim.kind, ClaimKind::Exception { .. });
    let errors: Vec<usize> = result
        .errors
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            if e.caught {
                wants_exception && e.line == Some(line)
            } else {
                e.line == Some(line) || starts_stmt(&e.stmt)
            }
        })
        .map(|(i, _)| i)
        .collect();
    // A handled exception only when nothing escaped the statement.
    let pick = errors
        .iter()
        .find(|&&i| !result.errors[i].caught)
        .or(errors.first())
        .copied();
    let exception = pick.map(|i| (result.errors[i].type_name.clone(), result.errors[i].message.clone()));
    (
        Observed {
            outputs,
            value_repr,
            exception,
            assigned: value.is_some_and(|v| v.assigned),
            value_str: value.and_then(|v| v.str.clone()),
        },
        errors,
    )
}

/// The code of a 1-based block line.
fn line_code(block: &CodeBlock, line: usize) -> &str {
    block.code.lines().nth(line.saturating_sub(1)).unwrap_or("")
}

/// Whether a line sits in a body that runs only sometimes: a `def` or `class` (until called),
/// a branch of `if`/`elif`/`else`/`except`/`while`/`match`. `for`, `with`, `try:` and `finally:` bodies
/// run when their statement does.
fn may_not_run(block: &CodeBlock, line: usize) -> bool {
    let lines: Vec<&str> = block.code.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let Some(mut level) = lines.get(line.saturating_sub(1)).map(|l| indent(l)) else {
        return false;
    };
    for l in lines[..line.saturating_sub(1)].iter().rev() {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') || indent(l) >= level {
            continue;
        }
        level = indent(l);
        let word = t.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("");
        let word = if word == "async" {
            t[5..].trim_start().split(' ').next().unwrap_or("")
        } else {
            word
        };
        if matches!(
            word,
            "def" | "class" | "if" | "elif" | "else" | "except" | "while" | "match" | "case"
        ) {
            return true;
        }
        if level == 0 {
            break;
        }
    }
    false
}

/// A trailing claim on the header of a `for` or `with` statement is about what its body
/// prints.
fn loop_or_with_header(block: &CodeBlock, claim: &Claim) -> bool {
    let start = block.code[..claim.comment.start.min(block.code.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let code = block.code[start..claim.comment.start.min(block.code.len())].trim();
    code.ends_with(':')
        && ["for ", "with ", "async for ", "async with "]
            .iter()
            .any(|k| code.starts_with(k))
}

fn severity(v: &Verdict) -> Severity {
    match v.severity() {
        Some(claims::Severity::Warning) => Severity::Warning,
        _ => Severity::Error,
    }
}

fn claim_text(c: &Claim) -> String {
    match &c.kind {
        ClaimKind::Exception {
            type_name,
            message: Some(m),
        } => format!("{type_name}: {m}"),
        ClaimKind::Exception {
            type_name,
            message: None,
        } => format!("raises {type_name}"),
        _ => c.text.clone(),
    }
}

fn verdict_diagnostic(block: &CodeBlock, claim: &Claim, verdict: &Verdict) -> Option<Diagnostic> {
    let rule = verdict.rule()?;
    let span = code_span(block, claim.text_range.clone());
    let claimed = claim_text(claim);
    let d = match verdict {
        Verdict::Mismatch {
            expected,
            actual,
            fix,
            hedged,
        } => {
            let d = Diagnostic::new(
                rule,
                span,
                if *hedged {
                    format!("hedged claim does not hold here: claimed `{expected}`, got `{actual}`")
                } else {
                    format!("output does not match the claim: claimed `{expected}`, got `{actual}`")
                },
            )
            .label(format!("actual: {actual}"));
            let how = if *hedged {
                "qa-lint --fix --fix-hedged"
            } else {
                "qa-lint --fix"
            };
            match fix {
                Some(f) => d
                    .help(format!("write `{f}` here ({how} does it)"))
                    .fix(span, f.clone(), *hedged),
                None => d.help(format!("the code prints `{actual}`; correct the claim or the code")),
            }
        }
        Verdict::ClaimFormat { expected, actual, fix } => {
            let d = Diagnostic::new(
                rule,
                span,
                format!("claim `{expected}` is the right value, written differently from the output `{actual}`"),
            )
            .label(format!("shown as: {actual}"));
            match fix {
                Some(f) => d
                    .help(format!(
                        "write `{f}`, exactly as Python shows it (qa-lint --fix does it)"
                    ))
                    .fix(span, f.clone(), claim.hedged),
                None => d.help("write the value exactly as Python shows it"),
            }
        }
        Verdict::Elided {
            omitted, actual, fix, ..
        } => {
            let d = Diagnostic::new(
                rule,
                span,
                format!(
                    "the shown output leaves out {omitted} line{} of what the code prints",
                    if *omitted == 1 { "" } else { "s" }
                ),
            )
            .label("lines left out")
            .help(format!("the code prints:\n{actual}"));
            match fix {
                Some(f) => d.fix(span, f.clone(), true),
                None => d,
            }
        }
        Verdict::QuotedString { expected, actual, fix } => Diagnostic::new(
            rule,
            span,
            format!("claim `{expected}` shows the repr of a string, but print shows `{actual}`"),
        )
        .label("print shows no quotes")
        .help(format!("write `{fix}`: print() shows a string without quotes"))
        .fix(span, fix.clone(), claim.hedged),
        Verdict::ExpectedExceptionNotRaised { expected, .. } => {
            Diagnostic::new(rule, span, format!("claimed exception `{expected}` was not raised"))
                .label("nothing raised here")
                .help("remove the claim, or change the code so that this line raises")
        }
        Verdict::UnexpectedException { type_name, message } => Diagnostic::new(
            rule,
            line_span(block, claim.line as u32),
            format!("`{type_name}: {message}` raised where the comment claims `{claimed}`"),
        )
        .label(format!("raises {type_name}"))
        .help(format!(
            "if the exception is the point, write `# raises {type_name}` (or `# {type_name}: {message}`)"
        )),
        Verdict::NoOutput { .. } => {
            Diagnostic::new(rule, span, format!("claim `{claimed}` but the line printed nothing"))
                .label("nothing printed or returned here")
                .help("print the value (`print(...)`), or remove the claim if the comment is prose")
        }
        Verdict::Pass | Verdict::NotAClaim => return None,
    };
    Some(d.severity(severity(verdict)))
}

fn error_diagnostic(entry: &Entry, prepared: &PreparedEntry, block: &CodeBlock, e: &PyError) -> Diagnostic {
    let line = e.line.or(e.stmt.map(|s| s.0)).unwrap_or(1);
    let span = line_span(block, line);
    if e.is_sandbox() {
        return Diagnostic::new("sandbox-violation", span, e.message.clone())
            .label("blocked")
            .help(SANDBOX_HELP);
    }
    let text = if e.message.is_empty() {
        e.type_name.clone()
    } else {
        format!("{}: {}", e.type_name, e.message)
    };
    let mut d = Diagnostic::new("unexpected-exception", span, text)
        .label(format!("raises {}", e.type_name))
        .help(format!(
            "if the exception is the point, claim it on this line: `# raises {}`",
            e.type_name
        ));
    // The traceback, mapped to Markdown lines (outer frames as secondary labels).
    for f in &e.traceback {
        let Some(&bi) = prepared.block_map.get(f.block) else {
            continue;
        };
        let Some(b) = entry.blocks.get(bi) else {
            continue;
        };
        let s = line_span(b, f.line);
        if s != span && d.secondary.len() < 8 {
            d = d.secondary(s, format!("called from here (in {})", f.function));
        }
    }
    d
}

/// `invalid syntax (<qa:x.md:15>, line 3)` -> `invalid syntax`: the location is the span's job.
fn without_location(message: &str) -> &str {
    match message.rfind(" (") {
        Some(i) if message.ends_with(')') && message[i..].contains(", line ") => &message[..i],
        _ => message,
    }
}

/// Judge one entry's outcome.
pub fn judge_entry(
    entry: &Entry,
    prepared: &PreparedEntry,
    outcome: &EntryOutcome,
    config: &Config,
    opts: &JudgeOptions,
) -> Judged {
    let mut out = Judged {
        diagnostics: prepared.diagnostics.clone(),
        ..Judged::default()
    };
    let first_block = |i: usize| prepared.block_map.get(i).and_then(|&b| entry.blocks.get(b));
    let result = match outcome {
        EntryOutcome::MissingModules(mods) => {
            // Point at the block that asked for the module (the first one when it came from
            // front matter).
            let asking = entry
                .blocks
                .iter()
                .find(|b| b.directives.requires.iter().any(|r| mods.contains(r)));
            let block = asking
                .or_else(|| first_block(0))
                .map_or(entry.heading_span, first_line_of_block);
            let sev = if config.exec.require_modules {
                Severity::Error
            } else {
                Severity::Warning
            };
            out.diagnostics.push(
                Diagnostic::new(
                    "missing-module",
                    block,
                    format!("entry not run: module(s) {} not installed", mods.join(", ")),
                )
                .label("requires this")
                .help(format!(
                    "install {} (e.g. `pip install {}`) to check this entry",
                    mods.join(", "),
                    mods.join(" ")
                ))
                .severity(sev),
            );
            return out;
        }
        EntryOutcome::Completed(r) => r,
        EntryOutcome::TimedOut { result, stmt } => {
            let secs = prepared.job.timeout.map_or(0.0, |t| t.as_secs_f64());
            let (span, label) = stmt_span(entry, prepared, *stmt);
            out.diagnostics.push(
                Diagnostic::new(
                    "timeout",
                    span,
                    format!("entry did not finish within {secs} s and was stopped"),
                )
                .label(label.unwrap_or_else(|| "still running here".into()))
                .help("make the example finish quickly, or raise the limit with `timeout=N` on the block"),
            );
            result
        }
        // The CPU-time limit (entry timeout + 1 s) is a timeout by another clock.
        EntryOutcome::Crashed { result, detail, stmt } if detail.contains("SIGXCPU") => {
            let secs = prepared.job.timeout.map_or(0.0, |t| t.as_secs_f64());
            let (span, label) = stmt_span(entry, prepared, *stmt);
            out.diagnostics.push(
                Diagnostic::new(
                    "timeout",
                    span,
                    format!("entry ran out of CPU time and was stopped (its timeout is {secs} s)"),
                )
                .label(label.unwrap_or_else(|| "still running here".into()))
                .help("make the example finish quickly, or raise the limit with `timeout=N` on the block"),
            );
            result
        }
        EntryOutcome::Crashed { result, detail, stmt } => {
            let (span, label) = stmt_span(entry, prepared, *stmt);
            out.diagnostics.push(
                Diagnostic::new(
                    "interpreter-crash",
                    span,
                    format!("the Python process running this entry died: {detail}"),
                )
                .label(label.unwrap_or_else(|| "running here".into()))
                .help("examples must not end the interpreter (os._exit, a segfault); remove or skip this block"),
            );
            result
        }
    };
    if result.output_truncated {
        out.diagnostics.push(
            Diagnostic::new(
                "output-limit",
                entry.heading_span,
                "the examples printed more than the output limit; later output was dropped",
            )
            .label("in this entry")
            .help("print less (claims need a line or two); the limit is 1 MiB per entry"),
        );
    }
    if result.threads_left > 0 {
        out.diagnostics.push(
            Diagnostic::new("thread-left-running", entry.heading_span, format!("{} thread(s) were still running when the examples ended", result.threads_left))
                .label("in this entry")
                .help("join the threads you start (`t.join()`), or make them daemon threads; a reader copying the example would hang"),
        );
    }
    let mut ctx = Ctx {
        entry,
        prepared,
        config,
        opts,
        out,
        python: Some(super::running_python()),
        nondet: Nondet::new(),
        fallout: HashMap::new(),
        root_diag: HashMap::new(),
        alias: HashMap::new(),
        env: Vec::new(),
    };
    for (i, br) in result.blocks.iter().enumerate() {
        let Some(block) = first_block(i) else {
            continue;
        };
        judge_block(&mut ctx, i, block, prepared.job.blocks[i].mode, br);
        super::expected_output::judge(block, br, &mut ctx.out);
    }
    ctx.finish()
}

fn stmt_span(entry: &Entry, prepared: &PreparedEntry, stmt: Option<(usize, u32, u32)>) -> (Span, Option<String>) {
    match stmt.and_then(|(b, first, _)| Some((prepared.block_map.get(b).and_then(|&i| entry.blocks.get(i))?, first))) {
        Some((block, line)) => (line_span(block, line), None),
        None => (entry.heading_span, Some("in this entry".into())),
    }
}

/// `# Python 3.12+` (or `# Python >= 3.12`, `# Requires Python 3.12`) on the comment lines
/// that head a transcript: the Python its outputs are for.
fn transcript_version(code: &str) -> Option<(u32, u32)> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)^#\s*(?:requires\s+)?python\s*(?:>=\s*)?(\d)\.(\d{1,2})\+?").unwrap()
    });
    for l in code.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !l.starts_with('#') {
            return None;
        }
        if let Some(c) = RE.captures(l) {
            return Some((c[1].parse().ok()?, c[2].parse().ok()?));
        }
    }
    None
}

/// The span of a session example's shown output (the lines after its source), and the
/// indentation of its `>>>`.
fn want_span(block: &CodeBlock, line: u32, source: &str, want: &str) -> Option<(Span, String)> {
    let first = line as usize + source.lines().count().max(1);
    let n = want.trim_end_matches('\n').lines().count();
    if n == 0 {
        return None;
    }
    let last = first + n - 1;
    let prompt = block.code.lines().nth(line.saturating_sub(1) as usize)?;
    let indent = prompt[..prompt.len() - prompt.trim_start().len()].to_string();
    let (a, b) = (line_span(block, first as u32), block.line_span(last));
    (a.start <= b.end).then(|| (Span::new(a.start, b.end), indent))
}

fn judge_session(ctx: &mut Ctx, bi: usize, block: &CodeBlock, br: &BlockResult) {
    if let (Some(need), Some(have)) = (transcript_version(&block.code), ctx.python) {
        if have < need {
            ctx.out.other_python += br.session.iter().filter(|ex| !ex.want.trim().is_empty()).count();
            return;
        }
    }
    for (k, ex) in br.session.iter().enumerate() {
        let kind = ctx.nondet.example(&ex.source);
        if let Some(root) = ex.root {
            if !ex.want.trim().is_empty() {
                ctx.fallout(root).claims += 1;
            } else {
                ctx.fallout(root).failures += 1;
            }
            continue;
        }
        if !ex.want.trim_start().starts_with("Traceback") {
            if let Some((rule, name)) = session_environment(ex) {
                ctx.environment(rule, (bi, k), block, ex.line, &name);
                continue;
            }
        }
        ctx.out.claims += 1;
        if ex.ok {
            continue;
        }
        let (want, got) = (ex.want.trim_end(), ex.got.trim_end());
        let span = line_span(block, ex.line);
        let d = match &ex.exception {
            Some(exc) if exc.contains("qa-lint sandbox:") => {
                Diagnostic::new("sandbox-violation", span, exc.clone()).label("blocked").help(SANDBOX_HELP)
            }
            Some(exc) if !want.starts_with("Traceback") => {
                Diagnostic::new("unexpected-exception", span, format!("`{exc}` raised where the session shows `{want}`"))
                    .label("raises")
                    .help("if the exception is the point, show it as doctest does: `Traceback (most recent call last):` then `...` then the exception line")
            }
            Some(_) => mismatch_diagnostic(span, want, got),
            None => match claims::compare_shown(want, got, ctx.opts) {
                Shown::Pass => continue,
                Shown::Format { fix } => {
                    let d = Diagnostic::new(
                        "claim-format",
                        span,
                        format!("the session shows `{want}`: the right value, written differently from `{got}`"),
                    )
                    .label(format!("shown as: {got}"))
                    .severity(Severity::Warning);
                    match want_span(block, ex.line, &ex.source, &ex.want) {
                        Some((ws, indent)) => d
                            .help(format!("show `{fix}`, exactly as Python prints it (qa-lint --fix does it)"))
                            .fix(ws, fix.replace('\n', &format!("\n{indent}")), false),
                        None => d.help(format!("show `{fix}`, exactly as Python prints it")),
                    }
                }
                Shown::Mismatch if nondet::mismatch_varies(kind, want, want, got) => {
                    nondeterministic_diagnostic(span, kind, want, got)
                }
                Shown::Mismatch => mismatch_diagnostic(span, want, got),
            },
        };
        if ex.exception.is_some() {
            ctx.push_root((bi, k), d);
        } else {
            ctx.out.diagnostics.push(d);
        }
    }
}

fn mismatch_diagnostic(span: Span, want: &str, got: &str) -> Diagnostic {
    Diagnostic::new(
        "output-mismatch",
        span,
        format!("session output does not match: expected `{want}`, got `{got}`"),
    )
    .label(format!("actual: {got}"))
    .help(format!("the shown output should be:\n{got}"))
}

fn nondeterministic_diagnostic(span: Span, kind: nondet::Kind, claimed: &str, got: &str) -> Diagnostic {
    let got = got.lines().next().unwrap_or("");
    let (label, help) = match kind {
        nondet::Kind::SetOrder => (
            "comes in a set's order",
            "show it sorted (`sorted(...)`), or claim the set itself: Python does not promise a set's order",
        ),
        _ => (
            "reads a clock, random numbers, an id or the environment",
            "claim it loosely (`~0.5 s`, `0.xx`, `...`), seed the random generator, or print something that does not change",
        ),
    };
    Diagnostic::new(
        "nondeterministic-claim",
        span,
        format!("claim `{claimed}` is about output that changes between runs (this run got `{got}`)"),
    )
    .label(label)
    .help(help)
    .severity(Severity::Warning)
}

fn judge_claims(ctx: &mut Ctx, bi: usize, block: &CodeBlock, br: &BlockResult) {
    let stmts = ctx.nondet.block(&block.code);
    let mut consumed = vec![false; br.errors.len()];
    for claim in claims::extract_claims(&block.code) {
        if let (Some(need), Some(have)) = (claim.min_version, ctx.python) {
            if have < need {
                ctx.out.other_python += 1;
                continue;
            }
        }
        let (observed, errors) = observe(br, &claim, block);
        let first = errors.iter().copied().find(|&i| !br.errors[i].caught);
        // A line that failed only because of an earlier failure: not checked, counted there.
        if let Some(root) = first.and_then(|i| br.errors[i].root) {
            ctx.fallout(root).claims += 1;
            for &i in &errors {
                consumed[i] = true;
            }
            continue;
        }
        if let Some(i) = first.filter(|&i| environment(&br.errors[i], block).is_some()) {
            if !matches!(claim.kind, ClaimKind::Exception { .. }) {
                // The environment warning below reports the line; the claim was not checked.
                ctx.fallout((bi, i)).claims += 1;
                continue;
            }
        }
        let mut observed = observed;
        let code = line_code(block, claim.line);
        observed.assigned |= claims::assigns(code);
        let mut verdict = claims::judge(&claim, &observed, ctx.opts);
        // A line in a function body, or in a branch that may not have run, that shows nothing:
        // nobody knows whether it ran, so its claim is not checked.
        if matches!(verdict, Verdict::NoOutput { .. }) && may_not_run(block, claim.line) {
            verdict = Verdict::NotAClaim;
        }
        let kind = nondet::at(&stmts, claim.line);
        if verdict != Verdict::NotAClaim {
            ctx.out.claims += 1;
            for &i in &errors {
                consumed[i] = true;
            }
        }
        if let Verdict::Mismatch { expected, actual, .. } = &verdict {
            // A hedged claim (`Usually 48 in CPython`) already says it may not hold: its
            // mismatch stays the hedged warning it is.
            if nondet::mismatch_varies(kind, expected, &claim.full, actual) && !claim.hedged {
                let span = code_span(block, claim.text_range.clone());
                ctx.out
                    .diagnostics
                    .push(nondeterministic_diagnostic(span, kind, expected, actual));
                continue;
            }
        }
        let changes = !matches!(kind, nondet::Kind::Fixed | nondet::Kind::SetOrder);
        if changes && matches!(verdict, Verdict::ClaimFormat { .. }) {
            verdict = Verdict::Pass; // the exact text would not hold on the next run either
        }
        if let Some(d) = verdict_diagnostic(block, &claim, &verdict) {
            match first {
                Some(i) => ctx.push_root((bi, i), d),
                None => ctx.out.diagnostics.push(d),
            }
        }
    }
    for (i, e) in br.errors.iter().enumerate() {
        if consumed[i] || e.caught {
            continue;
        }
        if let Some(root) = e.root {
            ctx.fallout(root).failures += 1;
            continue;
        }
        if let Some((rule, name)) = environment(e, block) {
            let line = if rule == "missing-module" {
                e.stmt.map_or(e.line.unwrap_or(1), |s| s.0)
            } else {
                e.line.or(e.stmt.map(|s| s.0)).unwrap_or(1)
            };
            ctx.environment(rule, (bi, i), block, line, &name);
            continue;
        }
        if deliberate_raise(block, e) {
            continue;
        }
        let d = error_diagnostic(ctx.entry, ctx.prepared, block, e);
        ctx.push_root((bi, i), d);
    }
}

/// `raise RuntimeError("...")` (or a bare re-`raise` in an `except`) written in the example's
/// own top-level code: the author meant the exception, so it is no unexpected one.
fn deliberate_raise(block: &CodeBlock, e: &PyError) -> bool {
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
    top_level && (raises(line) || reraises)
}

/// A failure the reader's environment causes: the rule that reports it, and the module or
/// file it names.
fn environment(e: &PyError, block: &CodeBlock) -> Option<(&'static str, String)> {
    if let Some(m) = &e.missing_module {
        return Some(("missing-module", m.clone()));
    }
    // argparse exits with 2 when the command line lacks what it needs: qa-lint gives none.
    if e.type_name == "SystemExit"
        && e.message == "2"
        && e.line
            .is_some_and(|l| line_code(block, l as usize).contains("parse_args("))
    {
        return Some(("reads-input", String::new()));
    }
    // `from .models import User`: a module of a package the page does not show.
    if e.type_name == "ImportError" && e.message.starts_with("attempted relative import") {
        let code = e.line.map_or("", |l| line_code(block, l as usize)).trim_start();
        let module = code
            .strip_prefix("from ")
            .and_then(|r| r.split_whitespace().next())
            .filter(|m| m.starts_with('.'));
        return Some(("undefined-name", module.unwrap_or(".").to_string()));
    }
    env_of(&e.type_name, &e.message)
}

fn session_environment(ex: &crate::exec::SessionExample) -> Option<(&'static str, String)> {
    if let Some(m) = &ex.missing_module {
        return Some(("missing-module", m.clone()));
    }
    let (t, m) = ex
        .exception
        .as_deref()?
        .split_once(": ")
        .unwrap_or((ex.exception.as_deref()?, ""));
    env_of(t.rsplit('.').next().unwrap_or(t), m)
}

fn env_of(type_name: &str, message: &str) -> Option<(&'static str, String)> {
    match type_name {
        "FileNotFoundError" => {
            let name = message.strip_prefix("[Errno 2] No such file or directory: ")?;
            let name = name.trim_matches(|c| c == '\'' || c == '"');
            Some(("missing-file", name.to_string()))
        }
        "EOFError" if message == "EOF when reading a line" => Some(("reads-input", String::new())),
        // A name nothing defines, with no near miss (`x` for `X` stays an error): a fragment
        // that needs context the page does not show, or a typo qa-lint cannot tell from one.
        "NameError" if !message.contains("Did you mean") => {
            let name = message.strip_prefix("name '")?.split('\'').next()?;
            Some(("undefined-name", name.to_string()))
        }
        _ => None,
    }
}

const SANDBOX_HELP: &str = "examples may not use the network, start processes or write outside their directory; allow it with `allow-network`, `allow-subprocess` or `allow-writes` on the block, or in qa-lint.toml [exec]";

fn judge_block(ctx: &mut Ctx, bi: usize, block: &CodeBlock, mode: BlockMode, br: &BlockResult) {
    if let Some(e) = &br.syntax_error {
        let line = e.line.unwrap_or(1);
        let mut span = line_span(block, line);
        if let Some(col) = e.offset {
            let s = block.line_span(line as usize);
            let at = (s.start + col.saturating_sub(1) as usize).min(s.end);
            span = Span::new(at, (at + 1).min(s.end.max(at)));
        }
        let d = Diagnostic::new(
            "python-syntax-error",
            span,
            format!("{}: {}", e.type_name, without_location(&e.message)),
        )
        .label("does not compile")
        .help("fix the code; for a deliberately broken example mark the block `skip` with a reason");
        ctx.push_root((bi, SYNTAX_ERROR), d);
        return;
    }
    match mode {
        BlockMode::Session => judge_session(ctx, bi, block, br),
        // Compiled, never run: its comments describe a run that did not happen.
        BlockMode::CompileOnly => {}
        BlockMode::Exec => judge_claims(ctx, bi, block, br),
    }
    for v in &br.sandbox_violations {
        let line = v.line.or(v.stmt.map(|s| s.0)).unwrap_or(1);
        let span = line_span(block, line);
        if !ctx
            .out
            .diagnostics
            .iter()
            .any(|d| d.rule == "sandbox-violation" && d.span == span)
        {
            ctx.out.diagnostics.push(
                Diagnostic::new("sandbox-violation", span, v.message.clone())
                    .label("blocked")
                    .help(SANDBOX_HELP),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(transcript_version("# Python 3.8+\n>>> 1\n1\n"), Some((3, 8)));
        assert_eq!(transcript_version(">>> 1\n# Python 3.8+\n"), None);
    }
}
