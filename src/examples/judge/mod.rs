//! From one entry's run to diagnostics: every claim judged against what its line produced,
//! and every unclaimed exception, timeout, crash or sandbox hit reported at its line.
//!
//! One root cause gets one diagnostic: a failure that follows from an earlier one (a
//! NameError for a name a failed statement would have bound, as the runner tells in
//! `PyError::root`) is not reported; the root's diagnostic says how many claims were not
//! checked because of it. A failed import of a module that is not installed is the entry's
//! one `missing-module` warning.

mod environment;
mod observe;
mod session;

use super::PreparedEntry;
use crate::claims::nondet::{self, Nondet};
use crate::claims::{self, Claim, ClaimKind, JudgeOptions, Verdict};
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity};
use crate::entry::{CodeBlock, Entry};
use crate::exec::{BlockMode, BlockResult, EntryOutcome, PyError};
use crate::rules::execute::{self, Environment};
use crate::rules::{claims as wording, Rule};
use crate::source::Span;
use observe::{code_span, first_line_of_block, line_code, line_span, may_not_run, observe, without_location};
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
    /// its kind, root, diagnostic, the names it gives.
    env: Vec<(Environment, Key, usize, Vec<String>)>,
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
    fn environment(&mut self, kind: Environment, key: Key, block: &CodeBlock, line: u32, name: &str) {
        if let Some(i) = self.env.iter().position(|e| e.0 == kind) {
            let (first, d) = (self.env[i].1, self.env[i].2);
            if !name.is_empty() && !self.env[i].3.iter().any(|m| m == name) {
                self.env[i].3.push(name.to_string());
            }
            self.alias.insert(key, first);
            self.root_diag.insert(key, d);
            self.fallout(first).failures += 1;
            return;
        }
        let d = kind.start(line_span(block, line), self.config.exec.require_modules);
        let names = if name.is_empty() {
            Vec::new()
        } else {
            vec![name.to_string()]
        };
        self.env.push((kind, key, self.out.diagnostics.len(), names));
        self.push_root(key, d);
    }

    /// Writes the counts of what each root cause left unchecked into its diagnostic.
    fn finish(mut self) -> Judged {
        for (kind, _, d, names) in &self.env {
            kind.finish(&mut self.out.diagnostics[*d], names);
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
            execute::add_fallout(&mut self.out.diagnostics[d], f.claims, f.failures);
        }
        self.out
    }
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
    let span = code_span(block, claim.text_range.clone());
    let d = match verdict {
        Verdict::Mismatch {
            expected,
            actual,
            fix,
            hedged,
        } => wording::output_mismatch(span, expected, actual, *hedged, fix.as_deref()),
        Verdict::ClaimFormat { expected, actual, fix } => {
            wording::claim_format(span, expected, actual, fix.as_deref(), claim.hedged)
        }
        Verdict::Elided {
            omitted, actual, fix, ..
        } => wording::elided_output(span, *omitted, actual, fix.as_deref()),
        Verdict::QuotedString { expected, actual, fix } => {
            wording::quoted_string(span, expected, actual, fix, claim.hedged)
        }
        Verdict::ExpectedExceptionNotRaised { expected, .. } => wording::exception_not_raised(span, expected),
        Verdict::UnexpectedException { type_name, message } => execute::exception_instead_of_claim(
            line_span(block, claim.line as u32),
            type_name,
            message,
            &claim_text(claim),
        ),
        Verdict::NoOutput { .. } => wording::claim_without_output(span, &claim_text(claim)),
        Verdict::Pass | Verdict::NotAClaim => return None,
    };
    debug_assert!(verdict.rule().is_some_and(|r| d.is(r)), "{verdict:?}");
    Some(d.severity(severity(verdict)))
}

fn error_diagnostic(entry: &Entry, prepared: &PreparedEntry, block: &CodeBlock, e: &PyError) -> Diagnostic {
    let line = e.line.or(e.stmt.map(|s| s.0)).unwrap_or(1);
    let span = line_span(block, line);
    if e.is_sandbox() {
        return execute::sandbox_violation(span, &e.message);
    }
    let text = if e.message.is_empty() {
        e.type_name.clone()
    } else {
        format!("{}: {}", e.type_name, e.message)
    };
    let mut d = execute::unexpected_exception(span, &e.type_name, text);
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
            d = d.secondary(s, execute::called_from(&f.function));
        }
    }
    d
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
            out.diagnostics
                .push(execute::entry_not_run(block, mods, config.exec.require_modules));
            return out;
        }
        EntryOutcome::Completed(r) => r,
        EntryOutcome::TimedOut { result, stmt } => {
            let secs = prepared.job.timeout.map_or(0.0, |t| t.as_secs_f64());
            let (span, label) = stmt_span(entry, prepared, *stmt);
            out.diagnostics.push(execute::timeout(span, secs, label));
            result
        }
        // The CPU-time limit (entry timeout + 1 s) is a timeout by another clock.
        EntryOutcome::Crashed { result, detail, stmt } if detail.contains("SIGXCPU") => {
            let secs = prepared.job.timeout.map_or(0.0, |t| t.as_secs_f64());
            let (span, label) = stmt_span(entry, prepared, *stmt);
            out.diagnostics.push(execute::cpu_timeout(span, secs, label));
            result
        }
        EntryOutcome::Crashed { result, detail, stmt } => {
            let (span, label) = stmt_span(entry, prepared, *stmt);
            out.diagnostics.push(execute::interpreter_crash(span, detail, label));
            result
        }
    };
    if result.output_truncated {
        out.diagnostics.push(execute::output_limit(entry.heading_span));
    }
    if result.threads_left > 0 {
        out.diagnostics.push(execute::thread_left_running(
            entry.heading_span,
            result.threads_left as usize,
        ));
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
        if let Some(i) = first.filter(|&i| environment::environment(&br.errors[i], block).is_some()) {
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
                ctx.out.diagnostics.push(wording::nondeterministic(
                    span,
                    kind == nondet::Kind::SetOrder,
                    expected,
                    actual,
                ));
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
        if let Some((kind, name)) = environment::environment(e, block) {
            let line = if kind == Environment::MissingModule {
                e.stmt.map_or(e.line.unwrap_or(1), |s| s.0)
            } else {
                e.line.or(e.stmt.map(|s| s.0)).unwrap_or(1)
            };
            ctx.environment(kind, (bi, i), block, line, &name);
            continue;
        }
        if environment::deliberate_raise(block, e) {
            continue;
        }
        let d = error_diagnostic(ctx.entry, ctx.prepared, block, e);
        ctx.push_root((bi, i), d);
    }
}

fn judge_block(ctx: &mut Ctx, bi: usize, block: &CodeBlock, mode: BlockMode, br: &BlockResult) {
    if let Some(e) = &br.syntax_error {
        let line = e.line.unwrap_or(1);
        let mut span = line_span(block, line);
        if let Some(col) = e.offset {
            let s = block.line_span(line as usize);
            let at = (s.start + col.saturating_sub(1) as usize).min(s.end);
            span = Span::new(at, (at + 1).min(s.end.max(at)));
        }
        let d = execute::python_syntax_error(span, &e.type_name, without_location(&e.message));
        ctx.push_root((bi, SYNTAX_ERROR), d);
        return;
    }
    match mode {
        BlockMode::Session => session::judge_session(ctx, bi, block, br),
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
            .any(|d| d.is(Rule::SandboxViolation) && d.span == span)
        {
            ctx.out.diagnostics.push(execute::sandbox_violation(span, &v.message));
        }
    }
}
