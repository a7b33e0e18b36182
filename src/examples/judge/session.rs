//! Doctest sessions (`>>>` transcripts): each example's shown output against what it printed.

use super::{environment, Ctx};
use crate::claims::nondet;
use crate::claims::{self, Shown};
use crate::entry::{BlockLine, CodeBlock};
use crate::examples::unverified::Cause;
use crate::exec::BlockResult;
use crate::rules::{claims as wording, execute};
use crate::source::Span;

/// `# Python 3.12+` (or `# Python >= 3.12`, `# Requires Python 3.12`, or a bare
/// `# Python 3.12`) on the comment lines that head a transcript: the Python its outputs are
/// for, as [`crate::examples::version_fit`] reads a version (`Requires` says "or newer").
fn transcript_version(code: &str) -> Option<crate::entry::ForPython> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        let re = format!(
            r"(?i)^#\s*(requires\s+)?python\s*(>=\s*)?(\d)\.(\d{{1,2}})(?:\.\d+)?({})?",
            crate::entry::OR_NEWER
        );
        regex::Regex::new(&re).unwrap()
    });
    for l in code.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !l.starts_with('#') {
            return None;
        }
        if let Some(c) = RE.captures(l) {
            let or_newer = c.get(1).is_some() || c.get(2).is_some() || c.get(5).is_some();
            return Some(((c[3].parse().ok()?, c[4].parse().ok()?), or_newer));
        }
    }
    None
}

/// `# Python 3.10.6`, `# python >= 3.12`, `# 3.8+` as a prompt's whole source: the Python
/// the examples after it are for.
fn version_remark(source: &str) -> Option<crate::entry::ForPython> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        let re = format!(
            r"(?i)^#\s*((?:requires\s+)?python|py)?\s*(>=\s*)?(\d)\.(\d{{1,2}})(?:\.\d+)?({})?\s*:?$",
            crate::entry::OR_NEWER
        );
        regex::Regex::new(&re).unwrap()
    });
    let c = RE.captures(source.trim())?;
    let at_least = c.get(2).is_some() || c.get(5).is_some();
    // A bare `# 3.5` may be any number; a version says `Python`, `>=` or `+`.
    if !at_least && c.get(1).is_none() {
        return None;
    }
    Some(((c[3].parse().ok()?, c[4].parse().ok()?), at_least))
}

#[cfg(test)]
#[test]
fn version_remarks() {
    assert_eq!(version_remark("# Python 3.10.6"), Some(((3, 10), false)));
    assert_eq!(version_remark("# python >= 3.12"), Some(((3, 12), true)));
    assert_eq!(version_remark("# 3.8+"), Some(((3, 8), true)));
    assert_eq!(version_remark("# Python 3.8 and later"), Some(((3, 8), true)));
    assert_eq!(version_remark("# costs 3.5 s"), None);
    assert_eq!(version_remark("# 3.5"), None);
    assert_eq!(version_remark("x = 3.10"), None);
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
    let (a, b) = (
        block.statement_span(BlockLine::new(first)),
        block.line_span(BlockLine::new(last)),
    );
    (a.start <= b.end).then(|| (Span::new(a.start, b.end), indent))
}

/// Shown output made of comment lines only: the author's remark about the prompt above.
fn remark(want: &str) -> bool {
    let mut lines = want.lines().map(str::trim).filter(|l| !l.is_empty()).peekable();
    lines.peek().is_some() && lines.all(|l| l.starts_with('#'))
}

/// The exception shown without its traceback (`ValueError: could not convert ...`), as pages
/// often abridge it: the same type (a module path on either side is ignored) and the same
/// message, up to the "Did you mean" hint newer Pythons add, or a `...` where the page cut it.
fn shows_exception(want: &str, exc: &str) -> bool {
    let ((wt, wm), (gt, gm)) = (exception_parts(last_line(want)), exception_parts(exc));
    !wt.is_empty()
        && wt == gt
        && (wm == gm
            || wm
                .strip_suffix("...")
                .is_some_and(|p| !p.is_empty() && gm.starts_with(p.trim_end())))
}

/// The exception shown is the one raised, its message worded as another Python words it
/// (the same quoted values and numbers): a format matter (see [`claims::same_details`]).
fn shows_reworded_exception(want: &str, exc: &str) -> bool {
    let ((wt, wm), (gt, gm)) = (exception_parts(last_line(want)), exception_parts(exc));
    !wt.is_empty() && wt == gt && claims::same_details(&wm, &gm)
}

fn last_line(text: &str) -> &str {
    text.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("")
}

/// `pkg.KeyError: 'x'` -> (`KeyError`, `'x'`), without what belongs to the machine or to a
/// newer Python's hints.
fn exception_parts(s: &str) -> (String, String) {
    let (t, m) = s.split_once(':').unwrap_or((s, ""));
    let t = t.trim().rsplit('.').next().unwrap_or("").to_string();
    let m = m.trim();
    let m = m.split(". Did you mean").next().unwrap_or(m).trim_end_matches('?');
    // `cannot import name 'x' from 'math' (/usr/lib/...)`: where a module lives is the
    // machine's, not the page's.
    let m = match m.rfind(" (") {
        Some(i)
            if m.ends_with(')')
                && (m[i..].contains('/') || m[i..].contains('\\') || m[i..].contains("unknown location")) =>
        {
            &m[..i]
        }
        _ => m,
    };
    (t, m.trim().to_string())
}

/// How the REPL shows a `SyntaxError` (no `Traceback` header: `  File "<stdin>", line 1`, the
/// line, a caret, then `SyntaxError: ...`), naming the type this run raised. The message is
/// not compared: its wording changes with every Python release.
fn shows_syntax_error(want: &str, exc: &str) -> bool {
    let type_of = |s: &str| s.split(':').next().unwrap_or(s).trim().to_string();
    let last = want.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    want.trim_start().starts_with("File \"") && last.contains(':') && type_of(last) == type_of(exc)
}

pub(super) fn judge_session(ctx: &mut Ctx, bi: usize, block: &CodeBlock, br: &BlockResult) {
    use crate::examples::{version_fit, VersionFit};
    // The transcript's own heading comment, and a label above it, name its Python.
    let fits: Vec<VersionFit> = [transcript_version(&block.code), block.for_python]
        .into_iter()
        .flatten()
        .map(version_fit)
        .collect();
    if fits.contains(&VersionFit::Elsewhere) {
        let shown = br.session.iter().filter(|ex| !ex.want.trim().is_empty()).count();
        ctx.out.unverified.add(Cause::OtherPython, shown);
        return;
    }
    let older_transcript = fits.contains(&VersionFit::Older);
    // `>>> # Python 3.10`: the examples after it, up to the next such label, show what that
    // Python does.
    let labels: Vec<(u32, crate::entry::ForPython)> = (1u32..)
        .zip(block.code.lines())
        .filter_map(|(n, l)| Some((n, version_remark(l.trim_start().strip_prefix(">>>")?)?)))
        .collect();
    for (k, ex) in br.session.iter().enumerate() {
        let labelled = labels
            .iter()
            .rev()
            .find(|(n, _)| *n < ex.line)
            .map(|l| version_fit(l.1));
        if labelled == Some(VersionFit::Elsewhere) {
            if !ex.want.trim().is_empty() {
                ctx.out.unverified.add(Cause::OtherPython, 1);
            }
            continue;
        }
        // A prompt's own label says more than the transcript's heading.
        let older = labelled.map_or(older_transcript, |fit| fit == VersionFit::Older);
        let kind = ctx.nondet.example(&ex.source);
        // `%timeit f()`, `!pip install x`: IPython's syntax, not Python's; `exit()` leaves the
        // terminal the session was copied from. Nothing to judge.
        let source = ex.source.trim();
        if source.starts_with(['%', '!']) || matches!(source, "exit()" | "quit()" | "exit" | "quit") {
            continue;
        }
        // `# No AssertionError is raised` under a prompt that shows nothing: a remark.
        if remark(&ex.want) && ex.got.trim().is_empty() && ex.exception.is_none() {
            continue;
        }
        if let Some(root) = ex.root {
            if !ex.want.trim().is_empty() {
                ctx.fallout(root).claims += 1;
            } else {
                ctx.fallout(root).failures += 1;
            }
            continue;
        }
        // The environment, unless the page shows that very exception (`Traceback ... NameError`).
        let shown_type = |w: &str| {
            let last = w.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
            last.split(':')
                .next()
                .unwrap_or("")
                .rsplit('.')
                .next()
                .unwrap_or("")
                .to_string()
        };
        let raised_type = ex.exception.as_deref().map(&shown_type);
        if !ex.want.trim_start().starts_with("Traceback") || raised_type.is_some_and(|t| t != shown_type(&ex.want)) {
            if let Some((kind, name)) = environment::session_environment(ex) {
                ctx.environment(kind, (bi, k), block, ex.line, &name);
                continue;
            }
        }
        // A prompt under which the page shows nothing, whose line printed or echoed a value: the
        // author left the output out (a REPL would show it); that is no claim of "nothing".
        if ex.want.trim().is_empty() && ex.exception.is_none() && !ex.got.trim().is_empty() {
            continue;
        }
        ctx.out.claims += 1;
        if ex.ok {
            continue;
        }
        let (want, got) = (ex.want.trim_end(), ex.got.trim_end());
        let span = block.statement_span(BlockLine(ex.line));
        let d = match &ex.exception {
            Some(exc) if exc.contains("qa-lint sandbox:") => execute::sandbox_violation(span, exc),
            // The exception shown (with or without its traceback) is the one raised, up to
            // details that belong to the machine (a module's path) or to a newer Python's hints.
            Some(exc) if shows_syntax_error(want, exc) || shows_exception(want, exc) => continue,
            Some(exc)
                if exc.starts_with("SyntaxError")
                    && super::syntax::newer_syntax(&ex.source)
                        .is_some_and(|v| ctx.python.is_some_and(|have| have < v)) =>
            {
                ctx.out.claims -= 1;
                ctx.out.unverified.add(Cause::OtherPython, 1);
                continue;
            }
            Some(exc) if exc.starts_with("SyntaxError") && !want.starts_with("Traceback") => {
                let message = exc.split_once(": ").map_or("", |(_, m)| m);
                let line_of = |s: &str| s.lines().next().unwrap_or("").to_string();
                match super::syntax::python2_form(&line_of(&ex.source), message) {
                    Some(form) => execute::python2_code(span, form),
                    None => execute::exception_in_session(span, exc, want),
                }
            }
            Some(exc) if shows_reworded_exception(want, exc) => {
                wording::session_format(span, last_line(want), exc, exc, None)
            }
            Some(exc) if !want.starts_with("Traceback") => execute::exception_in_session(span, exc, want),
            Some(_) => wording::session_mismatch(span, want, got),
            None => match claims::compare_shown(want, got, ctx.opts) {
                Shown::Pass => continue,
                Shown::OtherPython => {
                    ctx.out.claims -= 1;
                    ctx.out.unverified.add(Cause::OtherPython, 1);
                    continue;
                }
                Shown::Placeholder => {
                    ctx.out.claims -= 1;
                    ctx.out.unverified.add(Cause::Placeholder, 1);
                    continue;
                }
                Shown::Format { fix } => {
                    let at = want_span(block, ex.line, &ex.source, &ex.want);
                    wording::session_format(span, want, got, &fix, at)
                }
                Shown::Mismatch if nondet::mismatch_varies(kind, want, want, got) => {
                    ctx.out.claims -= 1;
                    ctx.out.unverified.add(Cause::Nondeterministic, 1);
                    wording::nondeterministic(span, kind == nondet::Kind::SetOrder, want, got)
                }
                Shown::Mismatch => match super::syntax::python2_output(want, got) {
                    Some(form) => execute::python2_output(span, form, got, None),
                    None => wording::session_mismatch(span, want, got),
                },
            },
        };
        // Shown by an older Python: output (or an exception) different from this Python's is
        // no evidence against the page. An exception where the page shows none, Python 2 and
        // the warnings stay what they are: an example that crashes on a newer Python is rot.
        if older && d.rule == crate::rules::Rule::OutputMismatch.name() {
            ctx.out.claims -= 1;
            ctx.out.unverified.add(Cause::OtherPython, 1);
            if ex.exception.is_some() {
                ctx.root_cause.insert((bi, k), Cause::OtherPython); // what follows from it
            }
            continue;
        }
        if ex.exception.is_some() {
            ctx.push_root((bi, k), d);
        } else {
            ctx.out.diagnostics.push(d);
        }
    }
}

/// The outputs a transcript shows (prompts followed by output lines), counted without running
/// it: the claims of a transcript the run never reached.
pub(super) fn shown_outputs(code: &str) -> usize {
    // A prompt (with its `...` lines) followed by a non-blank line shows an output.
    let mut n = 0;
    let mut after_prompt = false;
    for line in code.lines().map(str::trim) {
        match line {
            l if l.starts_with(">>>") => after_prompt = true,
            l if l.starts_with("...") => {}
            "" => after_prompt = false,
            _ => {
                n += usize::from(after_prompt);
                after_prompt = false;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    #[test]
    fn remarks_and_the_repls_syntax_errors() {
        assert!(super::remark("# No AssertionError is raised\n"));
        assert!(!super::remark("3\n# then 4\n"));
        assert!(!super::remark(""));
        let shown = "  File \"<stdin>\", line 1\n    print(r\"\\\")\n           ^\nSyntaxError: EOL while scanning string literal\n";
        assert!(super::shows_syntax_error(
            shown,
            "SyntaxError: unterminated string literal (detected at line 1)"
        ));
        assert!(!super::shows_syntax_error(
            shown,
            "IndentationError: expected an indented block"
        ));
        assert!(!super::shows_syntax_error("SyntaxError: x\n", "SyntaxError: x"));
    }

    #[test]
    fn exceptions_shown_without_their_traceback() {
        use super::shows_exception;
        let exc = "ValueError: could not convert string to float: 'x'";
        assert!(shows_exception(
            "ValueError: could not convert string to float: 'x'\n",
            exc
        ));
        assert!(shows_exception("ValueError: could not convert ...", exc));
        assert!(shows_exception("cattrs.errors.Bad: no", "Bad: no"));
        assert!(shows_exception(
            "AttributeError: 'Yo' object has no attribute '__honey'",
            "AttributeError: 'Yo' object has no attribute '__honey'. Did you mean: '_Yo__honey'?"
        ));
        assert!(!shows_exception("ValueError: another message", exc));
        assert!(shows_exception(
            "Traceback (most recent call last):\n  File \"<stdin>\", line 1, in <module>\nImportError: cannot import name 'power' from 'math'",
            "ImportError: cannot import name 'power' from 'math' (/usr/lib/python3.11/lib-dynload/math.so)"
        ));
        assert!(!shows_exception(
            "TypeError: could not convert string to float: 'x'",
            exc
        ));
    }

    #[test]
    fn outputs_a_transcript_shows() {
        let t = ">>> for n in range(2):\n...     print(n)\n0\n1\n>>> x = 1\n\n>>> x\n1\n";
        assert_eq!(super::shown_outputs(t), 2);
    }

    #[test]
    fn versions() {
        for (code, version) in [
            ("# Python 3.8+\n>>> 1\n1\n", Some(((3, 8), true))),
            ("# Requires Python 3.10\n>>> 1\n", Some(((3, 10), true))),
            ("# Python 3.8\n>>> 1\n1\n", Some(((3, 8), false))),
            ("# Python 3.8 or newer\n>>> 1\n", Some(((3, 8), true))),
            ("# Python 3.8.10\n>>> 1\n", Some(((3, 8), false))),
            (">>> 1\n# Python 3.8+\n", None),
        ] {
            assert_eq!(super::transcript_version(code), version, "{code:?}");
        }
    }
}
