//! Execution fixtures: snapshot tests of the real binary's `full` output for every file under
//! `fixtures/claims` (one passing and one failing file per claim form of docs/claims.md),
//! `fixtures/hostile` (a hostile entry next to a healthy one) and `fixtures/directives`.
//!
//! Besides the snapshot, every file is checked against [`expected`]: the exact set of
//! diagnostics (rule, severity, line) it must produce. A line is named by a unique piece of
//! its text, so the table survives edits above it. Files not in the table must be clean
//! (exit 0, `0 errors, 0 warnings`).

mod common;
use common::{rel, root, settings, Finding, Severity};
use std::collections::BTreeSet;
use std::path::Path;

/// A secret in the parent's environment: examples must not see it (the worker scrubs its env).
const SECRET_VAR: &str = "QA_LINT_TEST_SECRET";

/// `qa-lint --no-cache ARGS` from the repository root, with a secret in the env.
fn qa(args: &[&str]) -> common::Output {
    let args: Vec<&str> = std::iter::once("--no-cache").chain(args.iter().copied()).collect();
    common::qa_in_env(&root(), &args, &[(SECRET_VAR, "hunter2-must-not-leak")])
}

const E: char = 'E';
const W: char = 'W';

/// Expected diagnostics per fixture: (severity, rule, needle). The needle is a substring of
/// exactly one line of the file; with a leading `=` it must equal the whole (trimmed) line.
fn expected(file: &str) -> Vec<(char, &'static str, &'static str)> {
    const MM: &str = "output-mismatch";
    match file {
        // ---------------------------------------------------------------- claims
        "claims/approximations-fail.md" => vec![
            (E, MM, "print(sys.getsizeof(list(range(10_000))))  # ~8 MB"),
            (E, MM, "# ~200 bytes, no matter how large"),
            (E, MM, "# ~1.0s"),
        ],
        "claims/attribution-fail.md" => vec![
            (E, MM, "shout(\"hi\")  # hi"),
            (E, MM, "print(add(2, 3))  # 5"),
            (E, MM, "# Output: opened"),
            (E, MM, "shout(None)  # raises TypeError"),
        ],
        "claims/comment-only-line-fail.md" => vec![(E, MM, "# took 1.xxx s"), (E, MM, "=# 499501")],
        "claims/commentary-fail.md" => vec![
            (E, MM, "# False -> same object"),
            (E, MM, "# True — a new list"),
            (E, MM, "# 2 (a single element, nothing more)"),
            (E, MM, "print(a == [2])  # True; equality compares contents"),
        ],
        "claims/exceptions-fail.md" => vec![
            (E, MM, "with base 16"),
            (E, MM, "# raises IndexError"),
            (E, MM, "# raises LookupError"),
            (
                E,
                "expected-exception-not-raised",
                "next(iter([4]))  # raises StopIteration",
            ),
            (E, "unexpected-exception", "print({\"a\": 1}[\"k\"])  # 3"),
            (E, MM, "# TypeError: 'list' object does not support item assignment"),
        ],
        "claims/expression-repr-fail.md" => vec![
            (E, MM, "sorted(nums)  # [3, 2, 1]"),
            (E, MM, "nums == [3, 1, 2]  # False"),
            (E, MM, "len(nums)  # 4"),
        ],
        "claims/hash-arrow-lines-fail.md" => vec![(E, MM, "=#> 44"), (E, MM, "=#> 0")],
        "claims/hedged-fail.md" => vec![
            (W, MM, "# Usually False in CPython"),
            (W, MM, "# Often True"),
            (W, MM, "# 258 in CPython"),
        ],
        "claims/output-marker-fail.md" => vec![
            (E, MM, "# Output: goodbye"),
            (E, MM, "# => bye"),
            (E, MM, "=# Output: hi"),
            (E, "claim-without-output", "quiet = 1  # Output: 1"),
            // An Output block is reported at its first output line.
            (E, MM, "=# a"),
        ],
        // Issue 13: equal values written differently are warnings; other types and other values
        // stay errors.
        "claims/value-format-fail.md" => vec![
            (W, "claim-format", "# [1,2,3]"),
            (W, "claim-format", "# {'a': 1, 'b': 2}"),
            (W, "claim-format", "=print(3, 2)  # 3, 2"),
            (W, "claim-format", "\"Py\".upper()  # PY"),
            (W, "claim-format", "# date(2020, 10, 20)"),
            (W, "claim-format", "# <class 'Point'>"),
            (W, "claim-format", "# 0.6667"),
            (W, "claim-format", "# { a: 1, b: 2 }"),
            (W, "claim-format", ">>> type(1j)"),
            // The state a method left its list in, claimed in the wrong order.
            (E, MM, "fruits.append(\"fig\")  # ['apple', 'fig', 'pear']"),
            (E, MM, "print(54 / 2)  # 27"),
            (E, MM, "print([1, 2, 3])  # [1, 2]"),
            (E, MM, "print(True)  # 1"),
            (E, MM, "total = 2 + 2  # 5"),
        ],
        // One root cause, one diagnostic: the environment is a warning, a failure an error,
        // and nothing that follows from either is reported.
        "claims/root-cause-fail.md" => vec![
            (W, "missing-module", "import qa_lint_missing_package as pkg"),
            (W, "missing-file", "with open(\"scores.csv\") as f:"),
            (E, "unexpected-exception", "rate = 10 / 0"),
            (W, "reads-input", "name = input(\"Your name? \")"),
            (E, "python-syntax-error", "def greet(name)"),
            (W, "undefined-name", "shuffle(deck)"),
            // A near miss of a defined name is a typo: an error, with "Did you mean".
            (E, "unexpected-exception", "print(total + 1)  # 11"),
            (W, "undefined-name", "from .shapes import Circle"),
        ],
        "claims/prose-commentary-fail.md" => vec![
            (E, MM, "print(3 < 2)  # True - because the comparison holds"),
            (E, MM, "print(2)  # 3; three items"),
            (E, MM, "print(len(\"ab\"))  # 3 chars"),
            (E, MM, "print(1 > 2)  # True, because 3 is greater than 2"),
            (E, MM, "print(4)  # 5 again"),
        ],
        "claims/nondeterminism-fail.md" => vec![
            (W, "nondeterministic-claim", "print(random.randint(1, 9))  # 10"),
            (W, "nondeterministic-claim", "print(round(elapsed))  # 2"),
            (W, "nondeterministic-claim", "print(id(object()) % 7)  # 9"),
            (W, "nondeterministic-claim", "\"/home/reader\")  # True"),
            (W, "nondeterministic-claim", "print(Stamped().stamp())  # 1999-12-31"),
            (W, "nondeterministic-claim", "print(size({}))  # 1"),
            (
                W,
                "nondeterministic-claim",
                "print(merged([30, 10], [20]))  # [30, 10, 20]",
            ),
            (W, "nondeterministic-claim", ">>> time.time() < 0"),
            (E, MM, "print(sys.getsizeof([]) > 1000)  # True"),
            // A loose timing more than ten times off: no machine is that much slower.
            (E, MM, "# ~9.0 s"),
            (E, MM, "print(id(a) == id(a))  # False"),
        ],
        "claims/runner-fixes-fail.md" => vec![
            (E, "expected-exception-not-raised", "int(\"12\")  # raises ValueError"),
            (E, MM, "answer = 6 * 7  # 41"),
            (E, MM, "print(old())  # 41"),
        ],
        // Issue 12: the markers people write, pytest-examples' string form, transcripts in a
        // python fence, and claims for this Python.
        "claims/output-conventions-fail.md" => vec![
            (E, MM, "# output -> 4"),
            (E, MM, "# prints 4"),
            (E, MM, "# → 4"),
            (E, MM, "# returns 4"),
            (E, MM, "=# 4"),
            (E, MM, "print(shout(\"hi\"))  # prints \"shouting\", returns hi"),
            // One print of two lines, its first line claimed: lines left out, a warning.
            (W, MM, "print(greeting)  # Hello there"),
            // A string block is reported at its first output line.
            (E, MM, "=0"),
            // The same items in another order: a list's order is part of its value.
            (E, MM, "=["),
            (E, MM, ">>> double(4)"),
            (E, MM, "# 3.8+: 4"),
        ],
        "claims/plain-print-fail.md" => vec![(E, MM, "# ['pear', 'plum']"), (E, MM, "# 21")],
        "claims/prose-fail.md" => vec![
            // An assignment's claim is about the value it binds (99, not 100); `append`
            // returns None, so its claim is about the list it changed (99 first, not 1).
            (E, MM, "nums[0] = 99  # 100"),
            (E, MM, "nums.append(4)  # [1, 2, 3, 4]"),
            (E, MM, "# Hello, Bob!"),
        ],
        // Session mismatches are reported at the `>>>` line of the example.
        "claims/pycon-session-fail.md" => vec![
            (E, MM, ">>> list(xs)"),
            (E, MM, ">>> len(xs) * 2"),
            (E, "unexpected-exception", ">>> 1 / 0"),
            // A session copied from a terminal, with its shell prompt and banner.
            (E, MM, ">>> 2 ** 10"),
        ],
        "claims/quoted-string-fail.md" => vec![
            (W, "claim-quoted-string", "=print(add.__name__)  # 'add'"),
            (W, "claim-quoted-string", "# 'add' — preserved by the def statement"),
            (W, "claim-quoted-string", "# 'a', 'b'"),
        ],
        "claims/several-outputs-fail.md" => vec![(E, MM, "# 3, 2"), (E, MM, "# 0, 1, 2")],
        // A name another entry defines is not defined here: `undefined-name`, a warning (qa-lint
        // cannot tell a fragment from a typo).
        "claims/shared-names-fail.md" => vec![(E, MM, "# 15"), (W, "undefined-name", "print(square(2))  # 4")],
        "claims/wildcards-fail.md" => vec![
            (E, MM, "# took 0.0xx s"),
            (E, MM, "print(gen)  # <generator object gen at 0x...>"),
            (E, MM, "# x.xx"),
            (E, MM, "print(hex(17))  # 0x10"),
            (E, MM, "# https://docs.python.org/3.12/tutorial/"),
        ],
        // ---------------------------------------------------------------- hostile
        "hostile/while-true.md" => vec![(E, "timeout", "=while True:")],
        // The CPU-time limit (SIGXCPU) is a timeout, not a crash.
        "hostile/cpu-limit.md" => vec![(E, "timeout", "=while True:")],
        "hostile/sleep.md" => vec![(E, "timeout", "time.sleep(100)")],
        // An exit is no claim: a warning in any mode (an exit with status 0 says nothing).
        "hostile/sys-exit.md" => vec![(W, "unexpected-exception", "sys.exit(3)")],
        "hostile/os-exit.md" => vec![(E, "interpreter-crash", "os._exit(1)")],
        "hostile/segfault.md" => vec![(E, "interpreter-crash", "ctypes.string_at(0)")],
        "hostile/huge-allocation.md" => vec![(E, "unexpected-exception", "b\"x\" * 2**40")],
        "hostile/fork-loop.md" => vec![(W, "sandbox-violation", "os.fork()")],
        // The deepest frame is the primary location; the call line is a secondary label.
        "hostile/recursion.md" => vec![(E, "unexpected-exception", "return down(n + 1)")],
        // qa-lint gives examples no input: an interactive example is a warning.
        "hostile/input.md" => vec![(W, "reads-input", "input(\"name? \")")],
        "hostile/socket-connect.md" => vec![(W, "sandbox-violation", "socket.create_connection")],
        "hostile/write-outside.md" => vec![(W, "sandbox-violation", "open('/tmp/qa-lint-escape.txt', 'w')")],
        // A thread left running and output past the limit are warnings on the entry heading.
        "hostile/endless-thread.md" => vec![(
            W,
            "thread-left-running",
            "## 1. What Happens When an Example Misbehaves (a thread that never ends)?",
        )],
        "hostile/print-gigabyte.md" => vec![(
            W,
            "output-limit",
            "## 1. What Happens When an Example Misbehaves (printing a gigabyte)?",
        )],
        // stdout-none, environ-secret: survived, nothing to report.
        // ---------------------------------------------------------------- directives
        "directives/skip-fail.md" => vec![(W, "undefined-name", "print(undefined_name + 1)  # 43")],
        "directives/compile-only-fail.md" => vec![(E, "python-syntax-error", "def broken(:")],
        "directives/timeout-fail.md" => vec![(E, "timeout", "time.sleep(30)")],
        "directives/front-matter-fail.md" => vec![(E, "timeout", "time.sleep(30)")],
        // The entry is not run at all (its broken second block is not reported): one warning at
        // the opening fence of its first block, the one that declares `requires=`.
        "directives/requires-fail.md" => vec![(W, "missing-module", "@19")],
        "directives/fixture-fail.md" => vec![
            // Reported at the opening fence of the block the directive comment applies to.
            (E, "missing-fixture", "@28"),
            // A data file that is not there is the reader's environment: one warning.
            (W, "missing-file", "with open(\"missing.txt\") as f:"),
        ],
        "directives/file-block-fail.md" => {
            vec![(E, MM, "# 500"), (W, "missing-file", "with open(\"data.txt\") as log:")]
        }
        "directives/fresh-fail.md" => vec![(W, "undefined-name", "print(secret)  # 41")],
        _ => vec![],
    }
}

/// The 1-based line a needle names in `text` (`@N` names line N directly).
fn line_of(text: &str, needle: &str, file: &str) -> u32 {
    if let Some(n) = needle.strip_prefix('@') {
        return n.parse().unwrap();
    }
    let hits: Vec<u32> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| match needle.strip_prefix('=') {
            Some(whole) => l.trim() == whole,
            None => l.contains(needle),
        })
        .map(|(i, _)| i as u32 + 1)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "{file}: needle {needle:?} must name exactly one line, found {hits:?}"
    );
    hits[0]
}

/// Every diagnostic of one folder's fixtures, from one `--output-format json` run of the
/// folder: what a file reports must not depend on the files checked with it.
fn folder_report(folder: &str) -> Vec<Finding> {
    let out = qa(&["--output-format", "json", folder]);
    assert!(
        out.code == 0 || out.code == 1,
        "{folder}: exit {}\n{}",
        out.code,
        out.stderr
    );
    common::report(&out)
}

/// (severity, rule, line) of every diagnostic of `path` in `report`.
fn found(report: &[Finding], path: &str) -> BTreeSet<(char, String, u32)> {
    report
        .iter()
        .filter(|f| f.path == path)
        .map(|f| {
            let sev = if f.severity == Severity::Error { E } else { W };
            (sev, f.rule.clone(), f.line as u32)
        })
        .collect()
}

/// Checks one fixture: its `full` output (the snapshot), and the diagnostics `report` (its
/// folder's JSON run) holds for it against [`expected`].
fn check_file(path: &Path, report: &[Finding]) -> String {
    let p = rel(path);
    let key = p.strip_prefix("fixtures/").unwrap_or(&p).to_string();
    let text = std::fs::read_to_string(path).unwrap();
    let out = qa(&[&p]);
    assert!(
        out.code == 0 || out.code == 1,
        "{p}: exit {} (usage/internal error)\n{}",
        out.code,
        out.stderr
    );
    assert!(
        !out.stdout.contains("interpreter-crash") || key.starts_with("hostile/"),
        "{p}:\n{}",
        out.stdout
    );
    let want: BTreeSet<(char, String, u32)> = expected(&key)
        .into_iter()
        .map(|(s, r, n)| (s, r.to_string(), line_of(&text, n, &p)))
        .collect();
    let got = found(report, &p);
    assert_eq!(
        got, want,
        "{p}: diagnostics (severity, rule, line) differ; output:\n{}",
        out.stdout
    );
    if want.is_empty() {
        assert_eq!(out.code, 0, "{p} should pass:\n{}", out.stdout);
        assert!(
            out.stdout.starts_with("0 errors, 0 warnings"),
            "{p} should be clean:\n{}",
            out.stdout
        );
        assert!(!key.ends_with("-fail.md"), "{p}: a -fail file must report something");
    } else {
        assert!(!key.ends_with("-pass.md"), "{p}: a -pass file must not be in the table");
        let errors = want.iter().any(|(s, _, _)| *s == E);
        assert_eq!(out.code, i32::from(errors), "{p}: exit code\n{}", out.stdout);
    }
    out.stdout
}

/// Snapshot settings: the Python version and object addresses vary by machine.
fn exec_settings() -> insta::Settings {
    let mut s = settings();
    s.add_filter(r"0x[0-9a-f]{6,16}", "0x[ADDR]");
    // What a nondeterministic line printed this run.
    s.add_filter(r"this run got `[^`]*`", "this run got `[VARIES]`");
    s
}

#[test]
fn claims_fixtures() {
    let _guard = exec_settings().bind_to_scope();
    let report = folder_report("fixtures/claims");
    insta::glob!("../fixtures/claims", "*.md", |path| {
        insta::assert_snapshot!(check_file(path, &report));
    });
}

#[test]
fn hostile_fixtures() {
    let escape = Path::new("/tmp/qa-lint-escape.txt");
    let _ = std::fs::remove_file(escape);
    let _guard = exec_settings().bind_to_scope();
    let report = folder_report("fixtures/hostile");
    insta::glob!("../fixtures/hostile", "*.md", |path| {
        insta::assert_snapshot!(check_file(path, &report));
    });
    assert!(!escape.exists(), "a snippet wrote outside its working directory");
}

#[test]
fn directives_fixtures() {
    let _guard = exec_settings().bind_to_scope();
    let report = folder_report("fixtures/directives");
    insta::glob!("../fixtures/directives", "*.md", |path| {
        insta::assert_snapshot!(check_file(path, &report));
    });
}

/// Every claim form has both a passing and a failing file.
#[test]
fn claims_fixtures_come_in_pairs() {
    let dir = root().join("fixtures/claims");
    let names: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .collect();
    assert!(names.len() >= 30, "{names:?}");
    for n in &names {
        let (form, other) = if let Some(f) = n.strip_suffix("-pass.md") {
            (f, format!("{f}-fail.md"))
        } else if let Some(f) = n.strip_suffix("-fail.md") {
            (f, format!("{f}-pass.md"))
        } else {
            panic!("{n}: claims fixtures are named <form>-pass.md / <form>-fail.md");
        };
        assert!(names.contains(&other), "claim form {form} lacks {other}");
    }
}

/// The whole hostile folder in one run: nothing leaks and the run stays fast.
#[test]
fn hostile_folder_in_one_run() {
    let t = std::time::Instant::now();
    let out = qa(&["--output-format", "json", "fixtures/hostile"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let findings = common::report(&out);
    let all = out.stdout.to_lowercase();
    assert!(!all.contains("hunter2"), "the parent's secret reached an example");
    let n = findings.len();
    assert_eq!(n, 14, "{}", out.stdout);
    assert!(t.elapsed().as_secs() < 30, "hostile folder took {:?}", t.elapsed());
}
