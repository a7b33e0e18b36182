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
        r"\bsys\.(?:prefix|exec_prefix|base_prefix|executable|version|platform|path)\b|",
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
    Regex::new(r"\brandom\.|\brandint\(|\brandrange\(|\bchoices?\(|\bshuffle\(|\bsample\(|\buniform\(|\bgauss\(|\bgetrandbits\(|\brandn?\(")
        .unwrap()
});
static SEED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bseed\(\s*[^)\s]|\bRandom\(\s*[^)\s]|\bdefault_rng\(\s*[^)\s]|\bRandomState\(\s*[^)\s]").unwrap()
});
static IDENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").unwrap());
static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*((?:[A-Za-z_][A-Za-z0-9_]*\s*(?::[^=]*)?,?\s*)+)(?:[-+*/%|&^@]|//|\*\*|>>|<<)?=[^=]").unwrap()
});
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
    seeded: bool,
}

/// How much of what a statement prints may change between runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Fixed,
    /// Reads an id, a hash or a CPython size: printed numbers change, truth values do not.
    Identity,
    /// Reads a clock, unseeded random numbers or the environment.
    Varies,
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
        let uses = |set: &HashSet<String>| IDENT.find_iter(code).any(|m| set.contains(m.as_str()));
        let strong = CLOCK_OR_ENV.is_match(code) || (!self.seeded && RANDOM.is_match(code)) || uses(&self.tainted);
        let nondet = strong || IDENTITY.is_match(code) || uses(&self.identity);
        if nondet {
            let names: Vec<String> = Self::targets(code, strong);
            let set = if strong { &mut self.tainted } else { &mut self.identity };
            set.extend(names);
        }
        match (strong, nondet) {
            (true, _) => Kind::Varies,
            (false, true) => Kind::Identity,
            _ => Kind::Fixed,
        }
    }

    /// The names a nondeterministic statement binds (a `def` or `class` only when `strong`).
    fn targets(code: &str, strong: bool) -> Vec<String> {
        let mut out = Vec::new();
        {
            let first = code.lines().next().unwrap_or("");
            if let Some(c) = DEF.captures(first) {
                if strong {
                    out.push(c[1].to_string());
                }
            } else if let Some(c) = ASSIGN.captures(first) {
                for name in IDENT.find_iter(&c[1]) {
                    out.push(name.as_str().to_string());
                }
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
    fn a_hash_method_does_not_taint_its_class() {
        let src = "class M:\n    def __hash__(self):\n        return hash(1)\n\nprices = {M()}\nprint(len(prices))\n";
        assert_eq!(flags(src), [true, false, false]);
    }

    #[test]
    fn taint_follows_names_defs_and_with_targets() {
        let src = "import time\nclass Timer:\n    def __exit__(self, *a):\n        print(time.time())\n\nwith Timer() as t:\n    pass\nelapsed = time.time()\ntotal = elapsed * 2\nprint(total)\nprint(3)\n";
        assert_eq!(flags(src), [false, true, true, true, true, true, false]);
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
