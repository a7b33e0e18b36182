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
mod script;
mod session;
mod syntax;

use super::PreparedEntry;
use crate::claims::nondet::Nondet;
use crate::claims::stubs::Stubs;
use crate::claims::{self, JudgeOptions};
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Severity};
use crate::entry::{BlockLine, CodeBlock, Entry};
use crate::examples::unverified::{Cause, Unverified};
use crate::exec::{BlockMode, BlockResult, EntryOutcome, LOST};
use crate::rules::execute::{self, Environment};
use crate::rules::Rule;
use crate::source::Span;
use observe::{line_code, without_location};
use std::collections::HashMap;

/// What judging one entry produced.
#[derive(Default)]
pub struct Judged {
    pub diagnostics: Vec<Diagnostic>,
    /// Claims (and session outputs) compared with real output: verified, true or false.
    pub claims: usize,
    /// Claims the run could not settle, by the cause that kept each one from being checked
    /// (a failure it depends on is also counted on that failure's diagnostic).
    pub unverified: Unverified,
    /// Blocks that failed where nothing said they would, in sections mode: not runnable as
    /// shown (warnings, not errors: see [`Policy`]).
    pub not_runnable: usize,
}

/// What a failure no claim depends on is, by the entry rule the page was read with.
///
/// In Q&A mode the page was written to be checked: every example is meant to run, so a block
/// that does not compile, raises, times out or crashes is an error. In sections mode (someone
/// else's Markdown) a page shows fragments, pseudo-code, code that needs a server or a file:
/// such a failure is evidence of nothing, so it is a warning, counted as *not runnable as
/// shown*, and only a false claim (or Python 2 code) is an error.
#[derive(Clone, Copy, Debug, Default)]
pub struct Policy {
    /// The page is read with `--entries sections`.
    pub sections: bool,
    /// `require-verified`: a failure that leaves claims unverified is an error in any mode.
    pub require_verified: bool,
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
    /// Functions the page leaves for its reader to write, and what calls them.
    stubs: Stubs,
    fallout: HashMap<Key, Fallout>,
    /// The diagnostic that reports a root failure.
    root_diag: HashMap<Key, usize>,
    /// Later missing-module roots folded into the entry's first one.
    alias: HashMap<Key, Key>,
    /// The cause each root failure gives the claims that depend on it.
    root_cause: HashMap<Key, Cause>,
    policy: Policy,
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

    /// A failure that no claim says will happen (an exception, a syntax error): a root whose
    /// dependent claims are not runnable as shown. Under the sections policy it is a warning.
    fn push_failure(&mut self, key: Key, d: Diagnostic) {
        let d = self.policy.failure(d);
        if self.policy.sections {
            self.out.not_runnable += 1;
        }
        self.root_cause.insert(key, Cause::NotRunnable);
        self.push_root(key, d);
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
        let d = kind.start(block.statement_span(BlockLine(line)), self.config.exec.require_modules);
        self.root_cause.insert(key, environment::cause(kind));
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
            let cause = self.root_cause.get(key).copied().unwrap_or(Cause::NotRunnable);
            self.out.unverified.add(cause, f.claims);
            let Some(&d) = self.root_diag.get(key) else {
                continue;
            };
            let d = &mut self.out.diagnostics[d];
            execute::add_fallout(d, f.claims, f.failures);
            if self.policy.require_verified && f.claims > 0 {
                d.severity = Severity::Error;
            }
        }
        self.out
    }
}

impl Policy {
    /// The severity of a failure no claim depends on.
    fn failure(self, mut d: Diagnostic) -> Diagnostic {
        if self.sections {
            d.label = format!("{}: not runnable as shown", d.label);
            d.severity(Severity::Warning)
        } else {
            d
        }
    }
}

/// Judge one entry's outcome.
pub fn judge_entry(
    entry: &Entry,
    prepared: &PreparedEntry,
    outcome: &EntryOutcome,
    config: &Config,
    opts: &JudgeOptions,
    policy: Policy,
) -> Judged {
    let mut out = Judged {
        diagnostics: prepared.diagnostics.clone(),
        ..Judged::default()
    };
    let first_block = |i: usize| prepared.block_map.get(i).and_then(|&b| entry.blocks.get(b));
    let mut stop_diag = None;
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
                .map_or(entry.heading_span, CodeBlock::fence_span);
            out.diagnostics
                .push(execute::entry_not_run(block, mods, config.exec.require_modules));
            let claims = (0..prepared.job.blocks.len())
                .filter_map(first_block)
                .map(claims_in)
                .sum();
            out.unverified.add(Cause::Module, claims);
            return out;
        }
        EntryOutcome::Completed(r) => r,
        EntryOutcome::TimedOut { result, stmt } => {
            let secs = prepared.job.timeout.map_or(0.0, |t| t.as_secs_f64());
            let (span, label) = stmt_span(entry, prepared, *stmt);
            stop_diag = Some(out.diagnostics.len());
            out.diagnostics
                .push(policy.failure(execute::timeout(span, secs, label)));
            result
        }
        // The CPU-time limit (entry timeout + 1 s) is a timeout by another clock.
        EntryOutcome::Crashed { result, detail, stmt } if detail.contains("SIGXCPU") => {
            let secs = prepared.job.timeout.map_or(0.0, |t| t.as_secs_f64());
            let (span, label) = stmt_span(entry, prepared, *stmt);
            stop_diag = Some(out.diagnostics.len());
            out.diagnostics
                .push(policy.failure(execute::cpu_timeout(span, secs, label)));
            result
        }
        EntryOutcome::Crashed { result, detail, stmt } => {
            let (span, label) = stmt_span(entry, prepared, *stmt);
            stop_diag = Some(out.diagnostics.len());
            out.diagnostics
                .push(policy.failure(execute::interpreter_crash(span, detail, label)));
            result
        }
    };
    // Blocks the run never reached (after a timeout or a crash): their claims are unverified.
    let unreached: usize = (result.blocks.len()..prepared.job.blocks.len())
        .filter_map(first_block)
        .map(claims_in)
        .sum();
    out.unverified.add(Cause::TimedOut, unreached);
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
        stubs: Stubs::new(),
        fallout: HashMap::new(),
        root_diag: HashMap::new(),
        alias: HashMap::new(),
        root_cause: HashMap::new(),
        policy,
        env: Vec::new(),
    };
    // The block a timeout or a crash stopped, and its diagnostic: the root of everything a
    // continuation found missing from the blocks it never finished.
    let stopped = match outcome {
        EntryOutcome::TimedOut { stmt, .. } | EntryOutcome::Crashed { stmt, .. } => stmt.map(|s| s.0),
        _ => None,
    };
    if let (Some(b), Some(d)) = (stopped, stop_diag) {
        for lost in 0..=b {
            ctx.root_diag.insert((lost, LOST), d);
            ctx.root_cause.insert((lost, LOST), Cause::TimedOut);
        }
    }
    // A block for a newer Python binds nothing here: what needs its names is for another
    // Python too, not a failure of the page (and not the timeout's, if one came later).
    let newer = |i: usize| prepared.job.blocks[i].mode == BlockMode::Lost && first_block(i).is_some_and(super::too_new);
    for i in (0..prepared.job.blocks.len()).filter(|&i| newer(i)) {
        ctx.root_diag.remove(&(i, LOST));
        ctx.root_cause.insert((i, LOST), Cause::OtherPython);
    }
    for (i, br) in result.blocks.iter().enumerate() {
        let Some(block) = first_block(i) else {
            continue;
        };
        if newer(i) {
            continue;
        }
        if Some(i) == stopped {
            ctx.out.unverified.add(Cause::TimedOut, claims_in(block));
            continue;
        }
        judge_block(&mut ctx, i, block, prepared.job.blocks[i].mode, br);
        super::expected_output::judge(block, br, &mut ctx.out);
    }
    ctx.finish()
}

/// The text right before `block` (the paragraph or list item that introduces it) calls it
/// pseudo-code.
fn said_to_be_pseudocode(entry: &Entry, block: &CodeBlock) -> bool {
    entry
        .paragraphs
        .iter()
        .rfind(|p| p.span.end <= block.span.start)
        .is_some_and(|p| {
            let t = p.text.to_lowercase();
            // In the languages the pages come in: English, Chinese, Japanese, Russian, Spanish
            // and Portuguese, French, German, Italian.
            [
                "pseudocode",
                "pseudo-code",
                "pseudo code",
                "伪代码",
                "偽代碼",
                "疑似コード",
                "псевдокод",
                "pseudocódigo",
                "pseudo-código",
                "pseudocodice",
            ]
            .iter()
            .any(|w| t.contains(w))
        })
}

/// The claims a block makes (comments, output blocks, transcript outputs), for counting those
/// a run could not settle.
fn claims_in(block: &CodeBlock) -> usize {
    let shown = usize::from(block.expected_output.is_some());
    shown
        + match block.kind() {
            crate::entry::BlockKind::Session => session::shown_outputs(&block.code),
            _ => claims::extract_claims(&block.code)
                .iter()
                .filter(|c| c.strength == claims::Strength::Strong)
                .count(),
        }
}

fn stmt_span(entry: &Entry, prepared: &PreparedEntry, stmt: Option<(usize, u32, u32)>) -> (Span, Option<String>) {
    match stmt.and_then(|(b, first, _)| Some((prepared.block_map.get(b).and_then(|&i| entry.blocks.get(i))?, first))) {
        Some((block, line)) => (block.statement_span(BlockLine(line)), None),
        None => (entry.heading_span, Some("in this entry".into())),
    }
}

fn judge_block(ctx: &mut Ctx, bi: usize, block: &CodeBlock, mode: BlockMode, br: &BlockResult) {
    if let Some(e) = &br.syntax_error {
        let line = e.line.unwrap_or(1);
        let mut span = block.statement_span(BlockLine(line));
        if let Some(col) = e.offset {
            let s = block.line_span(BlockLine(line));
            let at = (s.start + col.saturating_sub(1) as usize).min(s.end);
            span = Span::new(at, (at + 1).min(s.end.max(at)));
        }
        // Syntax a newer Python reads (`class Box[T]:` on 3.11): for another Python.
        if syntax::newer_syntax(&block.code).is_some_and(|v| ctx.python.is_some_and(|have| have < v)) {
            ctx.out.unverified.add(Cause::OtherPython, claims_in(block));
            return;
        }
        // Output the page labels as Python 2's (`**Output (Python 2.x):**`): written for
        // Python 2 on purpose, and shown as such.
        if block
            .expected_output
            .as_ref()
            .and_then(|o| o.python)
            .is_some_and(|p| p.0 .0 < 3)
        {
            ctx.out.unverified.add(Cause::OtherPython, claims_in(block));
            return;
        }
        ctx.out.unverified.add(Cause::NotRunnable, claims_in(block));
        let message = without_location(&e.message);
        // A block the page itself calls pseudo-code is not meant to compile.
        if said_to_be_pseudocode(ctx.entry, block) {
            let d = execute::python_syntax_error(span, &e.type_name, message);
            ctx.push_failure((bi, SYNTAX_ERROR), d);
            return;
        }
        match syntax::python2_form(line_code(block, line as usize), message) {
            // Python 2 is wrong on a Python 3 page whatever the page was written for.
            Some(form) => {
                let d = execute::python2_code(block.statement_span(BlockLine(line)), form);
                ctx.root_cause.insert((bi, SYNTAX_ERROR), Cause::NotRunnable);
                ctx.push_root((bi, SYNTAX_ERROR), d);
            }
            // A slip of the pen in complete code is evidence in any mode.
            None if syntax::is_slip(&block.code, line, message) && e.repairable != Some(false) => {
                let d = execute::python_syntax_error(span, &e.type_name, message);
                ctx.root_cause.insert((bi, SYNTAX_ERROR), Cause::NotRunnable);
                ctx.push_root((bi, SYNTAX_ERROR), d);
            }
            None => {
                let d = execute::python_syntax_error(span, &e.type_name, message);
                ctx.push_failure((bi, SYNTAX_ERROR), d);
            }
        }
        return;
    }
    match mode {
        BlockMode::Session => session::judge_session(ctx, bi, block, br),
        // Compiled, never run: its comments describe a run that did not happen.
        BlockMode::CompileOnly => {}
        // Never run here: the run that reached it was judged already.
        BlockMode::Lost => {}
        BlockMode::Exec => script::judge_claims(ctx, bi, block, br),
    }
    for v in &br.sandbox_violations {
        let line = v.line.or(v.stmt.map(|s| s.0)).unwrap_or(1);
        let span = block.statement_span(BlockLine(line));
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
