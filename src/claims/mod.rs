//! Claims: what the comments of a Python block say its code prints.
//!
//! Authors of technical Q&A annotate examples with the output they expect
//! (`print(a is b)  # True -> same object`). This module finds those comments
//! ([`extract_claims`]), decides which are claims and of what kind (the
//! grammar is in `docs/claims.md`), and compares a claim with what a run
//! observed ([`judge`]). It knows nothing about Markdown or execution: the
//! caller hands it a block's source and, per line, an [`Observed`].
//!
//! Two principles shape the design:
//! - *When the grammar cannot tell, no error.* Comments are mostly prose, so
//!   only value-looking comments ([`Strength::Strong`]) are errors when the
//!   line prints nothing; anything else is checked only against real output,
//!   and a prose-looking comment that resembles nothing printed is dropped.
//! - *Actual-guided matching.* Commentary after a claim (`-> same object`,
//!   `(x, plus ...)`) cannot be told from claim text in general, but once the
//!   output is known it can: if the output equals the comment up to a
//!   commentary boundary, the claim holds.
//!
//! The module depends on std, `regex` and `serde` only, and refers to its
//! parts through `self::`/`super::` so it can be built on its own.

mod approx;
mod exception;
mod extract;
mod grammar;
mod judge;
pub mod lexer;
mod nesting;
pub mod nondet;
mod pattern;
mod shown;
pub mod stubs;
mod value;

use serde::{Deserialize, Serialize};
use std::ops::Range;

pub use self::approx::{SizeBase, Unit};
pub use self::exception::same_details;
pub use self::extract::extract_claims;
pub use self::judge::judge;
pub use self::shown::{compare_shown, Shown};

/// One claim found in a block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// 1-based line (in the block) of the statement the claim is about: the
    /// first physical line of its logical line. For a comment-only line this
    /// is the statement it attaches to (e.g. the `with` header above it).
    pub line: usize,
    /// 1-based line of the comment itself (the first one for multi-line forms).
    pub comment_line: usize,
    /// Byte range of the comment(s) in the block, `#` included.
    pub comment: Range<usize>,
    /// Byte range of the claim text proper: what a `--fix` rewrites. Excludes
    /// markers (`Output:`, `#>`), hedges and trailing commentary.
    pub text_range: Range<usize>,
    /// The claim text proper; multi-line forms are joined with `\n` without
    /// their `#>`/`#` markers.
    pub text: String,
    /// The claim with its commentary (after markers and hedge prefix): the
    /// longest text actual-guided matching tries.
    pub full: String,
    pub kind: ClaimKind,
    pub form: ClaimForm,
    /// Written with an explicit marker (`Output:`, `=>`, `#>`).
    pub explicit: bool,
    pub hedged: bool,
    pub strength: Strength,
    /// For multi-line forms, what separates lines in a fix (`"\n    #> "`).
    pub line_prefix: Option<String>,
    /// The claim is about printed output only (`# Output: 3`, `# prints 3`, `#>`, an output
    /// block): the value an assignment binds does not count.
    #[serde(default)]
    pub output_only: bool,
    /// `# 3.12+: value`: the claim holds from this Python (major, minor) on.
    #[serde(default)]
    pub min_version: Option<(u32, u32)>,
}

/// What a claim asserts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ClaimKind {
    /// Printed text (or a REPL repr); may hold wildcards (`x` digits, `...`)
    /// and embedded approximations (`['a'] ~1.00s`).
    Output { text: String },
    /// The whole claim is `~N unit`.
    Approx { value: f64, unit: Unit },
    /// The line raises `type_name` (exact name; a dotted module path on
    /// either side is ignored), with `message` when given.
    Exception { type_name: String, message: Option<String> },
}

/// Where the claim was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClaimForm {
    /// After code on the same line.
    Trailing,
    /// A comment-only line right under the statement.
    Below,
    /// One or more `#> ...` lines under the statement (multi-line output).
    Arrow,
    /// `# Output:` followed by `# ...` lines (multi-line output).
    OutputBlock,
    /// A bare triple-quoted string right after a `print(...)` (pytest-examples).
    StringBlock,
}

impl ClaimForm {
    /// Forms whose text is a whole multi-line output.
    pub fn is_multi_line(self) -> bool {
        matches!(self, ClaimForm::Arrow | ClaimForm::OutputBlock | ClaimForm::StringBlock)
    }
}

/// How sure we are that a comment is a claim at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strength {
    /// Clearly a claim (literal value, exception, approximation, wildcard,
    /// explicit marker): a line that prints nothing is `claim-without-output`.
    Strong,
    /// Could be prose: checked only when the line produced output, and never
    /// yields `claim-without-output`.
    Weak,
}

/// What running the claimed line produced (plain data filled by the caller).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    /// One entry per print call made while the statement ran, trailing
    /// newline dropped.
    pub outputs: Vec<String>,
    /// `repr()` of the value of an expression statement, like a REPL shows.
    pub value_repr: Option<String>,
    /// `(type name, str(exception))` when the statement raised.
    pub exception: Option<(String, String)>,
    /// `value_repr` is the value an assignment bound (`x = f()  # 3`), not a REPL echo.
    #[serde(default)]
    pub assigned: bool,
    /// `str()` of the value when it differs from its repr (`2000-01-01` for a `date`).
    #[serde(default)]
    pub value_str: Option<String>,
    /// What a `print` shows first when its first argument is a plain string literal and more
    /// arguments follow (`print('1 is not 2', x)` -> `1 is not 2`): the label of the line.
    #[serde(default)]
    pub print_label: Option<String>,
    /// How many of `outputs`, at their start, code defined elsewhere printed while the
    /// statement ran (a function it calls), before the line's own output.
    #[serde(default)]
    pub printed_by_callees: usize,
}

/// Knobs for [`judge`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct JudgeOptions {
    /// Relative tolerance of `~` claims (0.20 = ±20%).
    pub rel_tolerance: f64,
    /// Which multiplier KB/MB/GB mean (KiB/MiB/GiB are always 1024-based).
    pub size_base: SizeBase,
    /// Durations may come out up to this many times the claim (slow machines), never less
    /// than the claim minus the tolerance.
    pub time_slack: f64,
}

impl Default for JudgeOptions {
    fn default() -> Self {
        JudgeOptions {
            rel_tolerance: 0.20,
            size_base: SizeBase::Both,
            time_slack: 2.0,
        }
    }
}

/// Severity a verdict deserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Error,
    Warning,
}

/// The outcome of comparing one claim with what was observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    /// `fix` is the exact replacement for [`Claim::text_range`], when one can
    /// be written safely (not for wildcard patterns, nor multi-line output
    /// in a one-line comment).
    Mismatch {
        expected: String,
        actual: String,
        fix: Option<String>,
        hedged: bool,
    },
    /// The claimed value equals the observed one but is written differently (`[1,2]` for
    /// `[1, 2]`, `"a"` for `'a'`, another dict order, a name without its module): a warning,
    /// with the exact text as the fix when it fits the comment.
    ClaimFormat {
        expected: String,
        actual: String,
        fix: Option<String>,
    },
    /// A multi-line claim shows the output with `omitted` whole lines left out (every line it
    /// shows is there, in order): a warning, with the whole output as the fix.
    Elided {
        expected: String,
        actual: String,
        fix: Option<String>,
        omitted: usize,
    },
    /// The claim is a quoted string whose unquoted text was printed: a
    /// warning (many authors write the repr), with the exact fix.
    QuotedString {
        expected: String,
        actual: String,
        fix: String,
    },
    ExpectedExceptionNotRaised {
        expected: String,
        hedged: bool,
    },
    UnexpectedException {
        type_name: String,
        message: String,
    },
    /// A strong claim on a statement that produced nothing.
    NoOutput {
        hedged: bool,
    },
    /// A weak claim that turned out to be prose.
    NotAClaim,
}

impl Verdict {
    /// Error, or warning for hedged claims and quoted strings.
    pub fn severity(&self) -> Option<Severity> {
        let hedged = match self {
            Verdict::Pass | Verdict::NotAClaim => return None,
            Verdict::QuotedString { .. } | Verdict::ClaimFormat { .. } | Verdict::Elided { .. } => true,
            Verdict::UnexpectedException { .. } => false,
            Verdict::Mismatch { hedged, .. }
            | Verdict::ExpectedExceptionNotRaised { hedged, .. }
            | Verdict::NoOutput { hedged } => *hedged,
        };
        Some(if hedged { Severity::Warning } else { Severity::Error })
    }

    /// The replacement text for the claim's `text_range`, if any.
    pub fn fix(&self) -> Option<&str> {
        match self {
            Verdict::Mismatch { fix, .. } => fix.as_deref(),
            Verdict::QuotedString { fix, .. } => Some(fix),
            Verdict::ClaimFormat { fix, .. } | Verdict::Elided { fix, .. } => fix.as_deref(),
            _ => None,
        }
    }
}

/// Whether a line of code assigns (`x = ...`, `x += ...`, `x: int = ...`) at its top level.
pub fn assigns(code: &str) -> bool {
    let b = code.as_bytes();
    let mut hit = false;
    nesting::walk_top(code, |i, depth| {
        if depth == 0 && b[i] == b'=' && !hit {
            let prev = i.checked_sub(1).map(|j| b[j]);
            let next = b.get(i + 1).copied();
            if next != Some(b'=') && !matches!(prev, Some(b'=' | b'!' | b'<' | b'>')) {
                hit = true;
            }
        }
    });
    hit && !code.trim_start().starts_with("lambda")
}

/// Whether a claim text was written loosely on purpose: `x` digit wildcards, `...`, or a
/// `~` approximation.
pub fn is_loose(text: &str) -> bool {
    let p = pattern::Pattern::compile(text);
    p.wildcards || p.approx
}

/// `source` with the claim's text range replaced by `fix` (what `--fix`
/// writes; commentary around the claim is kept).
pub fn apply_fix(source: &str, claim: &Claim, fix: &str) -> String {
    let mut out = String::with_capacity(source.len() + fix.len());
    out.push_str(&source[..claim.text_range.start]);
    out.push_str(fix);
    out.push_str(&source[claim.text_range.end..]);
    out
}

#[cfg(test)]
#[path = "seed_tests.rs"]
mod seed_tests;
