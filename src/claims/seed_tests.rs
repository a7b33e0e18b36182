//! End to end on the comments of a real article (shared/seeds): what is a
//! claim, about which line, and how it fares against CPython's real output.

use super::*;
use crate::rules::Rule;

const BLOCK: &str = r#"nums = [1, 2, 3]
nums[0] = 99  # fine, lists are mutable
a = 10
b = 10
print(a is b)  # Often True in CPython
x = []
print(sys.getrefcount(x))  # 2 (x, plus the temporary argument to getrefcount)
it = iter([1, 2, 3])
print(next(it))  # raises StopIteration — the stream is exhausted
for n in Countdown(3):
    print(n)  # 3, 2, 1
print(list(it))  # [] -> the iterator is now exhausted
print(sys.getsizeof(nums_list))  # ~8 MB
print(add.__name__)  # 'add' — preserved because of @wraps
with Timer() as t:
    sum(range(1_000_000))
# took 0.0xx s
time.sleep(5)  # blocks the event loop
print(f"two threads: {time.perf_counter() - start:.2f}s")
# Roughly the same as running cpu_task() twice in a row — the threads
# spend their time contending for the GIL, not running in parallel.
items = [1, 2, 3]  # iterable
"#;

fn by_line(line: usize) -> Claim {
    extract_claims(BLOCK)
        .into_iter()
        .find(|c| c.line == line)
        .unwrap_or_else(|| panic!("no claim on line {line}"))
}

fn obs(outputs: &[&str]) -> Observed {
    Observed {
        outputs: outputs.iter().map(|s| s.to_string()).collect(),
        ..Observed::default()
    }
}

#[test]
fn seed_claims_are_found_on_the_right_lines() {
    let got: Vec<(usize, String, Strength)> = extract_claims(BLOCK)
        .into_iter()
        .map(|c| (c.line, c.text, c.strength))
        .collect();
    let want = [
        (2, "fine, lists are mutable", Strength::Weak),
        (5, "True", Strength::Strong),
        (7, "2", Strength::Strong),
        (9, "raises StopIteration", Strength::Strong),
        (11, "3, 2, 1", Strength::Strong),
        (12, "[]", Strength::Strong),
        (13, "~8 MB", Strength::Strong),
        (14, "'add'", Strength::Strong),
        (15, "took 0.0xx s", Strength::Strong),
        (18, "blocks the event loop", Strength::Weak),
        (22, "iterable", Strength::Weak),
    ];
    let want: Vec<(usize, String, Strength)> = want.iter().map(|(l, t, s)| (*l, t.to_string(), *s)).collect();
    assert_eq!(got, want);
    assert!(by_line(5).hedged);
}

#[test]
fn seed_claims_against_cpython_output() {
    let o = JudgeOptions::default();
    let nothing = Observed::default();
    let cases: Vec<(usize, Observed, Option<Rule>)> = vec![
        (2, nothing.clone(), None),
        (5, obs(&["True"]), None),
        (7, obs(&["2"]), None),
        (
            9,
            Observed {
                exception: Some(("StopIteration".into(), String::new())),
                ..Observed::default()
            },
            None,
        ),
        (11, obs(&["3", "2", "1"]), None),
        (12, obs(&["[]"]), None),
        (13, obs(&["8448728"]), None),
        (14, obs(&["add"]), Some(Rule::ClaimQuotedString)),
        (15, obs(&["took 0.021s"]), None),
        (
            18,
            Observed {
                value_repr: Some("None".into()),
                ..Observed::default()
            },
            None,
        ),
        (22, nothing, None),
    ];
    for (line, observed, rule) in cases {
        let v = judge(&by_line(line), &observed, &o);
        assert_eq!(crate::rules::claims::rule_of(&v), rule, "line {line}: {v:?}");
    }
}

#[test]
fn verdicts_serialize_for_reports() {
    let v = Verdict::Mismatch {
        expected: "1".into(),
        actual: "2".into(),
        fix: Some("2".into()),
        hedged: false,
    };
    let json = serde_json::to_string(&v).unwrap();
    assert!(json.contains("\"verdict\":\"mismatch\""), "{json}");
    let c = serde_json::to_value(by_line(13)).unwrap();
    assert_eq!(c["kind"]["type"], "approx");
    assert_eq!(c["kind"]["unit"], "MB");
}

#[test]
fn judge_options_deserialize_with_defaults() {
    let o: JudgeOptions = serde_json::from_str(r#"{"rel-tolerance": 0.1}"#).unwrap();
    assert_eq!(o.rel_tolerance, 0.1);
    assert_eq!(o.size_base, SizeBase::Both);
}
