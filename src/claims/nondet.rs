//! Which statements print something that changes from run to run.
//!
//! A claim on `print(time.perf_counter() - t0)` or `random.randint(1, 6)` cannot hold on the
//! reader's machine the way it is written: a mismatch there is a `nondeterministic-claim`
//! warning, not an error (unless the claim was written loosely, with `~` or a wildcard). The
//! check is lexical and errs on the side of "deterministic": it looks for calls of clocks,
//! unseeded `random`, `id()`, `uuid`, `secrets`, `os.urandom`, `sys.prefix`, `os.getcwd()`
//! and the like, and follows names through assignments (`elapsed = time.time() - t0`), `def`
//! and `class` bodies (a `Timer` whose `__exit__` reads a clock) and `with ... as` targets.
//! `random` counts as seeded from the first `random.seed(...)` / `np.random.seed(...)` /
//! `Random(n)` / `default_rng(n)` of the entry on.

use super::lexer::{scan, LineKind};
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

static CLOCK_OR_ENV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"\b(?:perf_counter(?:_ns)?|monotonic(?:_ns)?|process_time(?:_ns)?|thread_time(?:_ns)?|",
        r"default_timer|timeit|localtime|gmtime|ctime|asctime|utcnow|fromtimestamp)\b|",
        r"\btime\.time(?:_ns)?\b|\btime\(\)|\.now\(|\.today\(|\bdatetime\.now\b|",
        r"\buuid[14]\(|\bsecrets\.|\burandom\(|\btoken_(?:hex|bytes|urlsafe)\(|",
        r"\bsys\.(?:prefix|exec_prefix|base_prefix|executable|version|version_info|hexversion|implementation|platform|path)\b|",
        r"\bplatform\.|\bos\.getcwd\(|\bPath\.cwd\(|",
        r"\bgetpass\.getuser\(|\bsocket\.gethostname\(|\bos\.cpu_count\(|\bcpu_count\(|",
        r"\btracemalloc\.|\bresource\.getrusage\(|\bpsutil\.",
    ))
    .unwrap()
});
/// Object identities, (string) hashes and CPython's sizes and reference counts: they differ
/// between runs or Python versions where they are printed, but a comparison of them
/// (`id(a) == id(b)`) is decided by the code, and a class whose `__hash__` calls `hash()` is
/// not therefore a clock.
static IDENTITY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bid\(|\bhash\(|\bgetsizeof\(|\bgetrefcount\(|\bgetp?pid\(").unwrap());
static RANDOM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\brandom\.|\brandint\(|\brandrange\(|\bchoices?\(|\bshuffle\(|\bsample\(|\buniform\(|\bgauss\(|\bgetrandbits\(|\brand(?:om|n)?\(")
        .unwrap()
});
static SEED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bseed\(\s*[^)\s]|\bRandom\(\s*[^)\s]|\bdefault_rng\(\s*[^)\s]|\bRandomState\(\s*[^)\s]").unwrap()
});
/// What builds a set, whose iteration order is not the order anything was written in.
static SETS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:frozen)?set\(|\.(?:union|intersection|difference|symmetric_difference)\(").unwrap()
});
static SLEEP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bsleep\(").unwrap());
/// A name (shared with stubs.rs, which follows names the same way).
pub(super) static IDENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").unwrap());
/// The targets of an assignment statement's first line (annotations and augmented forms too).
static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*((?:[A-Za-z_][A-Za-z0-9_]*\s*(?::[^=]*)?,?\s*)+)(?:[-+*/%|&^@]|//|\*\*|>>|<<)?=[^=]").unwrap()
});
/// The names an assignment's first line binds: its targets, not their annotations
/// (`x: int = f()` binds `x`, `t: Dict[str, int] = f()` binds `t`, `a, b = f()` both).
pub(super) fn assigned_names(line: &str) -> Vec<String> {
    let Some(c) = ASSIGN.captures(line) else {
        return Vec::new();
    };
    super::nesting::split_top(&c[1], ",")
        .into_iter()
        .flat_map(|target| IDENT.find_iter(target.split(':').next().unwrap_or("")))
        .map(|m| m.as_str().to_string())
        .collect()
}
static DEF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_][A-Za-z0-9_]*)").unwrap());
static AS_TARGET: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bas\s+([A-Za-z_][A-Za-z0-9_]*)").unwrap());
static FOR_TARGET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:async\s+)?for\s+([A-Za-z_][A-Za-z0-9_, ]*)\s+in\b").unwrap());

/// The nondeterminism state of one entry, fed its blocks in order.
#[derive(Debug, Default)]
pub struct Nondet {
    /// Names holding what a clock, random numbers or the environment gave.
    tainted: HashSet<String>,
    /// Names holding an id, a hash or a size.
    identity: HashSet<String>,
    /// Names holding a set, or what was made from one (and functions that build one).
    from_sets: HashSet<String>,
    seeded: bool,
    /// The entry has called (or defined code that calls) `sleep()` so far.
    sleeps: bool,
}

/// How much of what a statement prints may change between runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Fixed,
    /// Uses a set: a list made from it comes in the set's order, which Python does not
    /// promise (and which changes between runs for strings).
    SetOrder,
    /// Reads an id, a hash or a CPython size: printed numbers change, truth values do not.
    Identity,
    /// Reads a clock, unseeded random numbers or the environment.
    Varies,
    /// Reads a clock in an entry that sleeps: how long it took is mostly what the code asked
    /// for, so a loose claim (`~0.3 s`) is judged.
    Paced,
}

/// Top-level statements of a block: `(first line, last line, kind)`, 1-based.
pub type Statements = Vec<(usize, usize, Kind)>;

impl Nondet {
    pub fn new() -> Nondet {
        Nondet::default()
    }

    /// Reads one block of Python (statements at its smallest indentation) and tells, per
    /// statement, whether what it prints may change between runs.
    pub fn block(&mut self, source: &str) -> Statements {
        let sc = scan(source);
        let code_lines: Vec<_> = sc
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Code && !l.inside)
            .collect();
        let base = code_lines.iter().map(|l| l.indent).min().unwrap_or(0);
        let mut starts: Vec<usize> = code_lines
            .iter()
            .filter(|l| l.indent == base && !is_clause(&source[l.start + l.indent..l.code_end]))
            .map(|l| l.number)
            .collect();
        starts.dedup();
        let mut out = Vec::with_capacity(starts.len());
        for (k, &first) in starts.iter().enumerate() {
            let last = starts.get(k + 1).map_or(sc.lines.len(), |&n| n - 1);
            let mut code = String::new();
            for l in &sc.lines[first - 1..last] {
                if l.kind == LineKind::Code {
                    code.push_str(&source[l.start..l.code_end]);
                    code.push('\n');
                }
            }
            let last_code = (first..=last)
                .rev()
                .find(|&n| sc.line(n).is_some_and(|l| l.kind == LineKind::Code))
                .unwrap_or(first);
            out.push((first, last_code, self.statement(&code)));
        }
        out
    }

    /// One `>>>` example (its source without prompts).
    pub fn example(&mut self, source: &str) -> Kind {
        self.statement(source)
    }

    fn statement(&mut self, code: &str) -> Kind {
        if SEED.is_match(code) {
            self.seeded = true;
        }
        self.sleeps |= SLEEP.is_match(code);
        let uses = |set: &HashSet<String>| IDENT.find_iter(code).any(|m| set.contains(m.as_str()));
        let strong = CLOCK_OR_ENV.is_match(code) || (!self.seeded && RANDOM.is_match(code)) || uses(&self.tainted);
        let nondet = strong || IDENTITY.is_match(code) || uses(&self.identity);
        if nondet {
            let names: Vec<String> = Self::targets(code, strong);
            let set = if strong { &mut self.tainted } else { &mut self.identity };
            set.extend(names);
        }
        let sets = SETS.is_match(code) || uses(&self.from_sets);
        if sets {
            self.from_sets.extend(Self::targets(code, true));
        }
        match (strong, nondet) {
            (true, _) if self.sleeps => Kind::Paced,
            (true, _) => Kind::Varies,
            (false, true) => Kind::Identity,
            _ if sets => Kind::SetOrder,
            _ => Kind::Fixed,
        }
    }

    /// The names a nondeterministic statement binds (a `class` only when `strong`).
    fn targets(code: &str, strong: bool) -> Vec<String> {
        let mut out = Vec::new();
        {
            let first = code.lines().next().unwrap_or("");
            if let Some(c) = DEF.captures(first) {
                // A function that returns an id or a size passes it on; a class whose
                // `__hash__` calls `hash()` does not.
                if strong || !first.trim_start().starts_with("class") {
                    out.push(c[1].to_string());
                }
            } else {
                out.extend(assigned_names(first));
            }
            if let Some(c) = FOR_TARGET.captures(first) {
                for name in IDENT.find_iter(&c[1]) {
                    out.push(name.as_str().to_string());
                }
            }
            for c in AS_TARGET.captures_iter(first) {
                out.push(c[1].to_string());
            }
        }
        out
    }
}

fn is_clause(code: &str) -> bool {
    ["else", "elif", "except", "finally"].iter().any(|k| {
        code.strip_prefix(k)
            .is_some_and(|r| r.starts_with([':', ' ', '(', '*']))
    })
}

/// Whether a mismatch between a claim and what this run printed (`got`) on a statement of
/// this kind is about output that changes between runs, so a `nondeterministic-claim`
/// warning rather than an error. `claim` is the claim's text, `comment` the whole comment.
///
/// - A statement that reads a clock or unseeded random numbers: always for an exact claim;
///   for a loose one (`~0.07 s`, `0.0xx`) when this run's number is within ten times of the
///   claimed one: `~0.07 s` was timed on the author's machine, which is not this one, but no
///   machine makes a thousand additions take `1.xxx s`.
/// - A clock in an entry that sleeps, or an id, hash or size: unless the claim is written
///   loosely (the sleep, not the machine, sets the time), or is a truth value the code
///   decides (`id(a) == id(b)  # True`).
/// - A statement that uses a set: when the claim shows the same items as a list in another
///   order (`list(set(...))`).
/// - Any other statement whose output shows today's date where the claim shows another: the
///   clock was read where the lexical check could not follow it (a mixin's method, a library).
pub fn mismatch_varies(kind: Kind, claim: &str, comment: &str, got: &str) -> bool {
    let truth = |s: &str| matches!(s.trim(), "True" | "False" | "None");
    match kind {
        Kind::Varies => !(super::is_loose(claim) || super::is_loose(comment)) || same_magnitude(claim, got),
        Kind::Identity | Kind::Paced => {
            !(super::is_loose(claim) || super::is_loose(comment) || truth(claim) && truth(got))
        }
        Kind::SetOrder if super::value::permutation(claim, got) => true,
        Kind::Fixed | Kind::SetOrder => {
            let today = today();
            today.iter().any(|d| got.contains(d.as_str())) && !today.iter().any(|d| claim.contains(d.as_str()))
        }
    }
}

/// Whether the first numbers of `claim` and `got` are within a factor of ten (an `x` digit
/// of the claim counts as 5), or the claim's is zero.
fn same_magnitude(claim: &str, got: &str) -> bool {
    static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[0-9x]*\.?[0-9x]+").unwrap());
    let first = |s: &str| {
        NUMBER
            .find_iter(s)
            .find(|m| m.as_str().bytes().any(|b| b.is_ascii_digit()))
            .and_then(|m| m.as_str().replace('x', "5").parse::<f64>().ok())
    };
    match (first(claim), first(got)) {
        // `~0 s`, `0 to 0.999...`: a zero has no magnitude to be wrong by.
        (Some(0.0), Some(_)) => true,
        (Some(c), Some(g)) if c > 0.0 && g > 0.0 => (0.1..=10.0).contains(&(g / c)),
        _ => false,
    }
}

/// Today's date as `YYYY-MM-DD` wherever the reader is: the UTC date and the days either
/// side of it, one of which is the local date in every time zone (offsets stay within a day).
fn today() -> Vec<String> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = i64::try_from(secs / 86_400).unwrap_or(0);
    [day, day - 1, day + 1].into_iter().map(civil_date).collect()
}

/// Days since 1970-01-01 -> `YYYY-MM-DD` (proleptic Gregorian; H. Hinnant's civil_from_days).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The kind of the statement `(first..=last)` holding `line`.
pub fn at(stmts: &Statements, line: usize) -> Kind {
    stmts
        .iter()
        .find(|(a, b, _)| (*a..=*b).contains(&line))
        .map_or(Kind::Fixed, |s| s.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(src: &str) -> Vec<bool> {
        Nondet::new()
            .block(src)
            .into_iter()
            .map(|s| s.2 != Kind::Fixed)
            .collect()
    }

    #[test]
    fn clocks_random_and_ids() {
        assert_eq!(
            flags("import time\nt0 = time.perf_counter()\nx = 1\nprint(time.perf_counter() - t0)\nprint(x)\n"),
            [false, true, false, true, false]
        );
        assert_eq!(flags("import random\nprint(random.randint(1, 6))\n"), [false, true]);
        assert_eq!(
            flags("import random\nrandom.seed(1)\nprint(random.randint(1, 6))\n"),
            [false, false, false],
            "a seeded random is deterministic"
        );
        assert_eq!(flags("a = []\nprint(id(a))\nprint(a)\n"), [false, true, false]);
        assert_eq!(flags("import os\nprint(os.getcwd())\n"), [false, true]);
    }

    #[test]
    fn an_annotation_is_not_a_name_the_clock_taints() {
        // `t: float = time.time()` binds `t`, not `float`: a later `float(...)` is fixed.
        assert_eq!(
            flags("import time\nt: float = time.time()\nprint(float('1.5'))\nprint(t)\n"),
            [false, true, false, true]
        );
        assert_eq!(
            super::assigned_names("m: Dict[str, int] = f()"),
            ["m"],
            "a comma inside an annotation"
        );
        assert_eq!(super::assigned_names("a, b = f()"), ["a", "b"]);
    }

    #[test]
    fn a_hash_method_does_not_taint_its_class() {
        let src = "class M:\n    def __hash__(self):\n        return hash(1)\n\nprices = {M()}\nprint(len(prices))\n";
        assert_eq!(flags(src), [true, false, false]);
    }

    #[test]
    fn a_function_returning_a_size_passes_it_on() {
        let s = Nondet::new().block("import sys\ndef size(o):\n    return sys.getsizeof(o)\n\nprint(size({}))\n");
        assert_eq!(s.last().map(|s| s.2), Some(Kind::Identity));
    }

    #[test]
    fn taint_follows_names_defs_and_with_targets() {
        let src = "import time\nclass Timer:\n    def __exit__(self, *a):\n        print(time.time())\n\nwith Timer() as t:\n    pass\nelapsed = time.time()\ntotal = elapsed * 2\nprint(total)\nprint(3)\n";
        assert_eq!(flags(src), [false, true, true, true, true, true, false]);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_794), "2026-12-07");
        assert_eq!(civil_date(-1), "1969-12-31");
    }

    #[test]
    fn todays_date_in_the_output_is_a_clock_read() {
        let d = today();
        assert!(!d.is_empty() && d[0].len() == 10, "{d:?}");
        let got = format!("{{'created_at': '{}T06:00:00'}}", d[0]);
        assert!(mismatch_varies(Kind::Fixed, "{'created_at': '2020-...'}", "", &got));
        assert!(!mismatch_varies(
            Kind::Fixed,
            "{'created_at': '2020-...'}",
            "",
            "{'created_at': '2020-01-01'}"
        ));
        assert!(
            !mismatch_varies(Kind::Fixed, &got, "", &got.replace("06:00", "07:00")),
            "the claim has today's date: judged"
        );
    }

    #[test]
    fn loose_claims() {
        use super::super::is_loose;
        assert!(is_loose("~0.5 s"));
        assert!(is_loose("0.0xx"));
        assert!(is_loose("<object at ...>"));
        assert!(!is_loose("0x10"));
        assert!(!is_loose("3"));
    }

    #[test]
    fn a_loose_claim_on_a_clock_still_varies() {
        assert!(mismatch_varies(Kind::Varies, "~0.07s", "~0.07s", "0.31"));
        assert!(
            !mismatch_varies(Kind::Varies, "took 1.xxx s", "took 1.xxx s", "took 0.000s"),
            "no machine is that slow"
        );
        assert!(!mismatch_varies(Kind::Varies, "~0.07s", "~0.07s", "2.5"));
        assert!(
            mismatch_varies(Kind::Varies, "0.5", "0.5", "0.93"),
            "an exact claim on a clock varies"
        );
        assert!(!mismatch_varies(Kind::Identity, "0x...", "0x...", "0x7f"));
        assert!(!mismatch_varies(Kind::Identity, "True", "True", "False"));
        assert!(mismatch_varies(Kind::Identity, "140230", "140230", "140299"));
        assert!(!mismatch_varies(Kind::Paced, "~1.0s", "~1.0s", "0.3s"));
        assert!(mismatch_varies(Kind::Paced, "1.0s", "1.0s", "0.3s"));
    }

    #[test]
    fn a_list_made_from_a_set_comes_in_its_order() {
        let s = Nondet::new()
            .block("def union(a, b):\n    return list(set(a + b))\n\nprint(union([2], [1]))\nprint([2, 1])\n");
        assert_eq!(
            s.iter().map(|s| s.2).collect::<Vec<_>>(),
            [Kind::SetOrder, Kind::SetOrder, Kind::Fixed]
        );
        assert!(mismatch_varies(Kind::SetOrder, "[2, 1]", "", "[1, 2]"));
        assert!(
            !mismatch_varies(Kind::SetOrder, "[2, 3]", "", "[1, 2]"),
            "other items: judged"
        );
        assert!(
            !mismatch_varies(Kind::Fixed, "[2, 1]", "", "[1, 2]"),
            "a list's own order: judged"
        );
    }

    #[test]
    fn a_clock_after_a_sleep_is_paced() {
        let kinds = |src: &str| Nondet::new().block(src).into_iter().map(|s| s.2).collect::<Vec<_>>();
        assert_eq!(
            kinds("import time\nt0 = time.time()\ntime.sleep(0.1)\nprint(time.time() - t0)\n"),
            [Kind::Fixed, Kind::Varies, Kind::Fixed, Kind::Paced]
        );
        assert_eq!(
            kinds("import timeit\nprint(timeit.timeit('1+1'))\n").last(),
            Some(&Kind::Varies)
        );
    }

    #[test]
    fn statement_spans() {
        let s = Nondet::new().block("for i in range(3):\n    print(i)\n\nprint(1)\n");
        assert_eq!(s, [(1, 2, Kind::Fixed), (4, 4, Kind::Fixed)]);
        assert_eq!(at(&s, 2), Kind::Fixed);
        let s = Nondet::new().block("a = []\nprint(id(a))\nimport time\nprint(time.time())\n");
        assert_eq!(
            s.iter().map(|s| s.2).collect::<Vec<_>>(),
            [Kind::Fixed, Kind::Identity, Kind::Fixed, Kind::Varies]
        );
    }
}
