//! One passing and one failing example per form of the claim grammar.

use super::super::{apply_fix, extract_claims, Claim, Observed, Severity, Verdict};
use super::*;
use crate::rules::claims::rule_of;
use crate::rules::Rule;

fn claim(src: &str) -> Claim {
    let mut cs = extract_claims(src);
    assert_eq!(cs.len(), 1, "{src:?} -> {cs:?}");
    cs.remove(0)
}

fn out(lines: &[&str]) -> Observed {
    Observed {
        outputs: lines.iter().map(|s| s.to_string()).collect(),
        ..Observed::default()
    }
}

fn repr(r: &str) -> Observed {
    Observed {
        value_repr: Some(r.to_string()),
        ..Observed::default()
    }
}

fn raised(t: &str, m: &str) -> Observed {
    Observed {
        exception: Some((t.to_string(), m.to_string())),
        ..Observed::default()
    }
}

fn j(src: &str, obs: Observed) -> Verdict {
    judge(&claim(src), &obs, &JudgeOptions::default())
}

/// Asserts a mismatch and returns the source after applying its fix.
fn fixed(src: &str, obs: Observed) -> String {
    let c = claim(src);
    let v = judge(&c, &obs, &JudgeOptions::default());
    assert_eq!(rule_of(&v), Some(Rule::OutputMismatch), "{v:?}");
    apply_fix(src, &c, v.fix().expect("a fix"))
}

#[test]
fn printed_text() {
    assert_eq!(j("print(x)  # [1, 2, 3]", out(&["[1, 2, 3]"])), Verdict::Pass);
    assert_eq!(fixed("print(x)  # [1, 2, 3]", out(&["[1, 2]"])), "print(x)  # [1, 2]");
}

#[test]
fn commentary_is_kept_by_fixes() {
    for sep in [" -> ", " — ", " – ", " -- ", "; "] {
        let src = format!("print(a is b)  # True{sep}same object");
        assert_eq!(j(&src, out(&["True"])), Verdict::Pass, "{sep}");
        let want = format!("print(a is b)  # False{sep}same object");
        assert_eq!(fixed(&src, out(&["False"])), want, "{sep}");
    }
    let src = "print(sys.getrefcount(x))  # 2 (x, plus the temporary argument to getrefcount)";
    assert_eq!(j(src, out(&["2"])), Verdict::Pass);
    assert_eq!(
        fixed(src, out(&["3"])),
        "print(sys.getrefcount(x))  # 3 (x, plus the temporary argument to getrefcount)"
    );
}

#[test]
fn fix_false_to_true_keeps_commentary() {
    let src = "print(a is b)  # False -> same object\n";
    let c = claim(src);
    let v = judge(&c, &out(&["True"]), &JudgeOptions::default());
    assert_eq!(
        v,
        Verdict::Mismatch {
            expected: "False".into(),
            actual: "True".into(),
            fix: Some("True".into()),
            hedged: false
        }
    );
    assert_eq!(
        apply_fix(src, &c, v.fix().unwrap()),
        "print(a is b)  # True -> same object\n"
    );
}

#[test]
fn actual_guided_matching_accepts_separator_in_output() {
    assert_eq!(j("print(s)  # a -> b", out(&["a -> b"])), Verdict::Pass);
    let v = j("print(s)  # a -> c", out(&["a -> b"]));
    assert_eq!(v.fix(), None, "ambiguous: commentary or output?");
}

#[test]
fn several_outputs() {
    let src = "for n in Countdown(3):\n    print(n)  # 3, 2, 1\n";
    assert_eq!(j(src, out(&["3", "2", "1"])), Verdict::Pass);
    let c = claim(src);
    let v = judge(&c, &out(&["3", "2"]), &JudgeOptions::default());
    assert_eq!(v.fix(), Some("3, 2"));
    assert_eq!(
        rule_of(&j(src, out(&["3"]))),
        Some(Rule::OutputMismatch),
        "one print is not three"
    );
}

#[test]
fn digit_wildcards() {
    let src = "process()  # took 0.0xx s — enter/exit wraps the whole call";
    assert_eq!(j(src, out(&["took 0.031s"])), Verdict::Pass);
    let v = j(src, out(&["took 0.531s"]));
    assert_eq!(rule_of(&v), Some(Rule::OutputMismatch));
    assert_eq!(v.fix(), None, "wildcards are never replaced by one run's digits");
}

#[test]
fn ellipsis_wildcard() {
    let src = "print(gen)  # <generator object f at 0x...>";
    assert_eq!(j(src, out(&["<generator object f at 0x7f00aa>"])), Verdict::Pass);
    assert_eq!(
        rule_of(&j(src, out(&["<function f at 0x7f00aa>"]))),
        Some(Rule::OutputMismatch)
    );
}

#[test]
fn approx_sizes() {
    let src = "print(sys.getsizeof(nums_list))  # ~8 MB";
    assert_eq!(j(src, out(&["8448728"])), Verdict::Pass);
    assert_eq!(j(src, out(&["8000056"])), Verdict::Pass);
    assert_eq!(fixed(src, out(&["80056"])), "print(sys.getsizeof(nums_list))  # ~80 KB");
    let src = "print(sys.getsizeof(g))  # ~200 bytes, no matter how large the range is";
    assert_eq!(j(src, out(&["208"])), Verdict::Pass);
    assert_eq!(
        fixed(src, out(&["104"])),
        "print(sys.getsizeof(g))  # ~104 bytes, no matter how large the range is"
    );
}

#[test]
fn approx_durations() {
    let src = "print(f'{t:.2f}s')  # ~1.00s";
    assert_eq!(j(src, out(&["1.00s"])), Verdict::Pass);
    assert_eq!(j(src, out(&["1.13s"])), Verdict::Pass);
    assert_eq!(fixed(src, out(&["3.01s"])), "print(f'{t:.2f}s')  # ~3.01s");
    let src = "print(results, f'{t:.2f}s')  # ['a', 'b', 'c'] ~1.00s — concurrent, not 3s";
    assert_eq!(j(src, out(&["['a', 'b', 'c'] 1.01s"])), Verdict::Pass);
    let v = j(src, out(&["['a', 'b', 'c'] 3.01s"]));
    assert_eq!((rule_of(&v), v.fix()), (Some(Rule::OutputMismatch), None));
}

#[test]
fn approx_tolerance_is_configurable() {
    let c = claim("print(n)  # ~100");
    let strict = JudgeOptions {
        rel_tolerance: 0.05,
        ..JudgeOptions::default()
    };
    assert_eq!(judge(&c, &out(&["115"]), &JudgeOptions::default()), Verdict::Pass);
    assert_eq!(rule_of(&judge(&c, &out(&["115"]), &strict)), Some(Rule::OutputMismatch));
}

#[test]
fn raises_type() {
    let src = "print(next(nums))  # raises StopIteration — the stream is exhausted";
    assert_eq!(j(src, raised("StopIteration", "")), Verdict::Pass);
    assert_eq!(
        j(src, out(&["4"])),
        Verdict::ExpectedExceptionNotRaised {
            expected: "raises StopIteration".into(),
            hedged: false
        }
    );
    assert_eq!(
        fixed(src, raised("RuntimeError", "generator raised StopIteration")),
        "print(next(nums))  # raises RuntimeError — the stream is exhausted"
    );
}

#[test]
fn raises_type_and_message() {
    let src = "int('abc')  # raises ValueError: invalid literal for int() with base 10: 'abc'";
    let msg = "invalid literal for int() with base 10: 'abc'";
    assert_eq!(j(src, raised("ValueError", msg)), Verdict::Pass);
    assert_eq!(
        fixed(src, raised("ValueError", "boom")),
        "int('abc')  # raises ValueError: boom"
    );
}

#[test]
fn a_message_cut_where_a_word_ends_is_the_message() {
    let full = "cannot import name 'power' from 'math' (unknown location)";
    let src = "from math import power  # ImportError: cannot import name 'power' (it is pow)";
    assert_eq!(j(src, raised("ImportError", full)), Verdict::Pass);
    // Cut inside a word, or another message: still wrong.
    let src = "from math import power  # ImportError: cannot import name 'pow";
    assert_eq!(
        rule_of(&j(src, raised("ImportError", full))),
        Some(Rule::OutputMismatch)
    );
    let src = "from math import power  # ImportError: cannot import name 'sqrt'";
    assert_eq!(
        rule_of(&j(src, raised("ImportError", full))),
        Some(Rule::OutputMismatch)
    );
}

#[test]
fn bare_exception_form() {
    let src = "point[0] = 99  # TypeError: 'tuple' object does not support item assignment";
    let msg = "'tuple' object does not support item assignment";
    assert_eq!(j(src, raised("TypeError", msg)), Verdict::Pass);
    assert_eq!(fixed(src, raised("KeyError", "0")), "point[0] = 99  # KeyError: 0");
    assert_eq!(
        rule_of(&j(src, Observed::default())),
        Some(Rule::ExpectedExceptionNotRaised)
    );
}

#[test]
fn exception_types_are_exact_but_module_paths_are_ignored() {
    let src = "json.loads('x')  # raises json.JSONDecodeError";
    assert_eq!(j(src, raised("JSONDecodeError", "Expecting value")), Verdict::Pass);
    assert_eq!(
        rule_of(&j("d['k']  # raises LookupError", raised("KeyError", "'k'"))),
        Some(Rule::OutputMismatch)
    );
}

#[test]
fn unexpected_exception() {
    assert_eq!(
        j("print(d['k'])  # 3", raised("KeyError", "'k'")),
        Verdict::UnexpectedException {
            type_name: "KeyError".into(),
            message: "'k'".into()
        }
    );
    assert_eq!(
        j("f()  # blocks the loop", raised("KeyError", "'k'")),
        Verdict::NotAClaim
    );
}

#[test]
fn hedged_claims_are_warnings() {
    let src = "print(a is b)  # Often True in CPython";
    assert_eq!(j(src, out(&["True"])), Verdict::Pass);
    let v = j(src, out(&["False"]));
    assert_eq!(v.severity(), Some(Severity::Warning));
    let c = claim(src);
    assert_eq!(
        apply_fix(src, &c, v.fix().unwrap()),
        "print(a is b)  # Often False in CPython"
    );
    assert_eq!(j("print(x)  # 3", out(&["4"])).severity(), Some(Severity::Error));
}

#[test]
fn expression_statement_repr() {
    assert_eq!(j("a == b  # True", repr("True")), Verdict::Pass);
    assert_eq!(j("add.__name__  # 'add'", repr("'add'")), Verdict::Pass);
    assert_eq!(fixed("a == b  # True", repr("False")), "a == b  # False");
    assert_eq!(j("x.sort()  # None", repr("None")), Verdict::Pass);
    assert_eq!(
        j("x.sort()  # [1, 2]", repr("None")),
        Verdict::NoOutput { hedged: false }
    );
}

#[test]
fn quoted_string_is_a_warning_with_exact_fix() {
    let src = "print(add.__name__)  # 'add' — preserved because of @wraps";
    let c = claim(src);
    let v = judge(&c, &out(&["add"]), &JudgeOptions::default());
    assert_eq!(
        v,
        Verdict::QuotedString {
            expected: "'add'".into(),
            actual: "add".into(),
            fix: "add".into()
        }
    );
    assert_eq!(
        (rule_of(&v), v.severity()),
        (Some(Rule::ClaimQuotedString), Some(Severity::Warning))
    );
    assert_eq!(
        apply_fix(src, &c, v.fix().unwrap()),
        "print(add.__name__)  # add — preserved because of @wraps"
    );
    assert_eq!(
        rule_of(&j("print(s)  # \"add\"", out(&["add"]))),
        Some(Rule::ClaimQuotedString)
    );
    assert_eq!(j("print(add.__name__)  # 'add'", out(&["'add'"])), Verdict::Pass);
    assert_eq!(
        j("print(f.__name__)  # 'add'", out(&["wrapper"])).fix(),
        Some("wrapper")
    );
    assert_eq!(
        j("for s in x: print(s)  # 'a', 'b'", out(&["a", "b"])).fix(),
        Some("a, b")
    );
}

#[test]
fn arrow_lines() {
    let src = "print(1)\n#> 1\n";
    assert_eq!(j(src, out(&["1"])), Verdict::Pass);
    assert_eq!(fixed(src, out(&["2"])), "print(1)\n#> 2\n");
    let src = "print('a\\nb')\n#> a\n#> b\n";
    assert_eq!(j(src, out(&["a\nb"])), Verdict::Pass);
    assert_eq!(j(src, out(&["a", "b"])), Verdict::Pass);
    assert_eq!(fixed(src, out(&["a", "", "c"])), "print('a\\nb')\n#> a\n#>\n#> c\n");
}

#[test]
fn explicit_markers() {
    assert_eq!(
        j("print(x)  # Output: hello world", out(&["hello world"])),
        Verdict::Pass
    );
    assert_eq!(
        fixed("print(x)  # Output: hello world", out(&["hello there"])),
        "print(x)  # Output: hello there"
    );
    assert_eq!(j("print(x)\n# => done\n", out(&["done"])), Verdict::Pass);
    assert_eq!(
        j("print(x)\n# => done\n", Observed::default()),
        Verdict::NoOutput { hedged: false }
    );
}

#[test]
fn output_block() {
    let src = "print(1)\nprint(2)\n# Output:\n# 1\n# 2\n";
    let c = claim(src);
    assert_eq!(c.line, 2);
    assert_eq!(
        rule_of(&judge(&c, &out(&["2"]), &JudgeOptions::default())),
        Some(Rule::OutputMismatch)
    );
    let src = "for i in (1, 2):\n    print(i)\n# Output:\n# 1\n# 2\n";
    assert_eq!(j(src, out(&["1", "2"])), Verdict::Pass);
    assert_eq!(
        fixed(src, out(&["1", "3"])),
        "for i in (1, 2):\n    print(i)\n# Output:\n# 1\n# 3\n"
    );
}

#[test]
fn comment_only_line_under_statement() {
    let src = "with Timer() as t:\n    sum(range(1_000_000))\n# took 0.0xx s\n";
    assert_eq!(j(src, out(&["took 0.042s"])), Verdict::Pass);
    assert_eq!(rule_of(&j(src, out(&["took 1.042s"]))), Some(Rule::OutputMismatch));
    assert_eq!(j(src, Observed::default()), Verdict::NoOutput { hedged: false });
}

#[test]
fn prose_is_not_a_claim() {
    assert_eq!(
        j("nums[0] = 99  # fine, lists are mutable", Observed::default()),
        Verdict::NotAClaim
    );
    assert_eq!(
        j("time.sleep(5)  # blocks the event loop", repr("None")),
        Verdict::NotAClaim
    );
    assert_eq!(
        j(
            "with timed():  # still works as a normal context manager too",
            out(&["took 0.041s"])
        ),
        Verdict::NotAClaim
    );
    let src = "print(f\"two threads: {dt:.2f}s\")\n# Roughly the same as running cpu_task() twice in a row — the threads\n# spend their time contending for the GIL, not running in parallel.\n";
    assert!(extract_claims(src).is_empty());
}

#[test]
fn weak_claims_that_resemble_output_are_checked() {
    assert_eq!(
        j("print(greet('Bob'))  # Hello, Bob!", out(&["Hello, Bob!"])),
        Verdict::Pass
    );
    assert_eq!(
        rule_of(&j("print(greet('Bob'))  # Hello, Bob!", out(&["Hello, Alice!"]))),
        Some(Rule::OutputMismatch)
    );
    assert_eq!(
        rule_of(&j("print(name)  # Alice", out(&["Bob"]))),
        Some(Rule::OutputMismatch)
    );
    assert_eq!(
        j(
            "print(x is y)  # True because both names are one object",
            out(&["True"])
        ),
        Verdict::Pass
    );
}

#[test]
fn strong_claim_without_output() {
    assert_eq!(
        j("x = compute()  # 42", Observed::default()),
        Verdict::NoOutput { hedged: false }
    );
    let v = j("x = compute()  # Usually 42", Observed::default());
    assert_eq!(
        (rule_of(&v), v.severity()),
        (Some(Rule::ClaimWithoutOutput), Some(Severity::Warning))
    );
}

#[test]
fn string_with_hash_is_not_a_claim_source() {
    let src = "print('# 5')  # # 5";
    assert_eq!(j(src, out(&["# 5"])), Verdict::Pass);
    assert!(extract_claims("s = 'x  # 5'\n").is_empty());
}

#[test]
fn exception_name_that_is_printed_is_an_output_claim() {
    let claims = extract_claims("print(type(e).__name__)  # KeyError\n");
    let observed = Observed {
        outputs: vec!["KeyError".into()],
        ..Observed::default()
    };
    assert_eq!(judge(&claims[0], &observed, &JudgeOptions::default()), Verdict::Pass);
    let wrong = Observed {
        outputs: vec!["ValueError".into()],
        ..Observed::default()
    };
    assert!(matches!(
        judge(&claims[0], &wrong, &JudgeOptions::default()),
        Verdict::Mismatch { .. }
    ));
    let raises = extract_claims("print(1)  # raises KeyError\n");
    let printed = Observed {
        outputs: vec!["1".into()],
        ..Observed::default()
    };
    assert!(matches!(
        judge(&raises[0], &printed, &JudgeOptions::default()),
        Verdict::ExpectedExceptionNotRaised { .. }
    ));
}

#[test]
fn durations_may_come_out_slower_but_not_faster() {
    let c = claim("print(took)  # ~0.10s");
    let opts = JudgeOptions::default();
    assert_eq!(judge(&c, &out(&["0.19s"]), &opts), Verdict::Pass, "a loaded machine");
    assert_eq!(
        rule_of(&judge(&c, &out(&["0.25s"]), &opts)),
        Some(Rule::OutputMismatch),
        "past 2x"
    );
    assert_eq!(
        rule_of(&judge(&c, &out(&["0.05s"]), &opts)),
        Some(Rule::OutputMismatch),
        "faster than claimed"
    );
    let size = claim("print(n)  # ~100 bytes");
    assert_eq!(
        rule_of(&judge(&size, &out(&["150"]), &opts)),
        Some(Rule::OutputMismatch),
        "sizes stay symmetric"
    );
}

#[test]
fn values_written_differently_are_format_warnings() {
    let v = j("print(x)  # [1,2,3]", out(&["[1, 2, 3]"]));
    assert_eq!(rule_of(&v), Some(Rule::ClaimFormat));
    assert_eq!(v.severity(), Some(Severity::Warning));
    assert_eq!(v.fix(), Some("[1, 2, 3]"));
    assert_eq!(
        j("print(s)  # {'b', 'a'}", out(&["{'a', 'b'}"])),
        Verdict::Pass,
        "set order varies"
    );
    assert_eq!(
        rule_of(&j("print(d)  # {'b': 1, 'a': 2}", out(&["{'a': 2, 'b': 1}"]))),
        Some(Rule::ClaimFormat)
    );
    assert_eq!(rule_of(&j("x.upper()  # PY", repr("'PY'"))), Some(Rule::ClaimFormat));
    assert_eq!(
        rule_of(&j("print(x)  # 27", out(&["27.0"]))),
        Some(Rule::OutputMismatch)
    );
    assert_eq!(
        rule_of(&j("print(x)  # [1, 2]", out(&["[1, 2, 3]"]))),
        Some(Rule::OutputMismatch)
    );
}

#[test]
fn a_value_claim_names_the_value_of_a_labelled_line() {
    assert_eq!(j("print('Sum:', s)  # 3", out(&["Sum: 3"])), Verdict::Pass);
    let v = j("print('Sum:', s)  # 4", out(&["Sum: 3"]));
    assert_eq!(v.fix(), Some("3"));
    assert_eq!(
        rule_of(&j("print(a, b)  # 2", out(&["1 2"]))),
        Some(Rule::OutputMismatch)
    );
}

#[test]
fn the_label_print_was_given_names_the_value_after_it() {
    let obs = |text: &str| Observed {
        outputs: vec![text.to_string()],
        print_label: Some("1 is not 2".into()),
        ..Observed::default()
    };
    assert_eq!(
        j("print('1 is not 2', x)  # True", obs("1 is not 2 True")),
        Verdict::Pass
    );
    assert_eq!(
        rule_of(&j("print('1 is not 2', x)  # False", obs("1 is not 2 True"))),
        Some(Rule::OutputMismatch)
    );
}

#[test]
fn a_label_with_numbers_in_it_still_names_one_value() {
    assert_eq!(
        j("print('4 is 2 ** 2:', x)  # True", out(&["4 is 2 ** 2: True"])),
        Verdict::Pass
    );
    assert_eq!(
        rule_of(&j("print('4 is 2 ** 2:', x)  # False", out(&["4 is 2 ** 2: True"]))),
        Some(Rule::OutputMismatch)
    );
}

#[test]
fn the_first_line_of_one_multi_line_print_is_a_claim_with_lines_left_out() {
    let v = j("print(text)  # Hello there", out(&["Hello there\nsecond line"]));
    assert!(matches!(v, Verdict::Elided { omitted: 1, .. }), "{v:?}");
    assert_eq!(v.severity(), Some(Severity::Warning));
    // Another first line, or one line of a loop's several prints: judged as usual.
    let v = j("print(text)  # Hello here", out(&["Hello there\nsecond line"]));
    assert_eq!(v.severity(), Some(Severity::Error));
    let v = j("print(i)  # 0", out(&["0", "1"]));
    assert_eq!(v.severity(), Some(Severity::Error));
    // A call whose function printed both lines: the first one, claimed, leaves the other out.
    let called = Observed {
        printed_by_callees: 2,
        ..out(&["0", "1"])
    };
    let v = j("show()  # 0", called);
    assert!(matches!(v, Verdict::Elided { omitted: 1, .. }), "{v:?}");
}

#[test]
fn an_output_with_lines_left_out_is_a_warning() {
    let src = "print(e)\n#> error for User\n#>   bad value\n";
    let v = j(
        src,
        out(&["error for User\n  bad value\n    see https://example.org/x"]),
    );
    assert!(matches!(v, Verdict::Elided { omitted: 1, .. }), "{v:?}");
    assert_eq!(v.severity(), Some(Severity::Warning));
    let v = j(
        src,
        out(&["error for User\n  good value\n    see https://example.org/x"]),
    );
    assert_eq!(v.severity(), Some(Severity::Error));
}

#[test]
fn assignments_compare_the_bound_value() {
    let assigned = |r: &str| Observed {
        value_repr: Some(r.to_string()),
        assigned: true,
        ..Observed::default()
    };
    assert_eq!(j("x = f()  # 3", assigned("3")), Verdict::Pass);
    assert_eq!(rule_of(&j("x = f()  # 4", assigned("3"))), Some(Rule::OutputMismatch));
    assert_eq!(
        j("x = [1, 2, 3]  # 3 elements", assigned("[1, 2, 3]")),
        Verdict::NotAClaim
    );
    assert_eq!(j("x = big()  # ~8 MB", assigned("[0, 1]")), Verdict::NotAClaim);
}

#[test]
fn words_beside_a_repr_or_a_phrase_without_spaces_are_no_claim_of_it() {
    assert!(!resembles("Complex number", "<class 'complex'>"));
    assert!(!resembles("满足第一个条件", "A是正数"));
    assert!(resembles("你好", "你们好"));
    assert!(resembles("Alice", "Bob"));
}

#[test]
fn a_range_in_words_names_the_first_and_last_lines_of_a_loop() {
    let lines = out(&["0", "1", "2"]);
    for claim in [
        "print(i)  # 0 to 2",
        "print(i)  # 0 bis 2",
        "print(i)  # 0..2",
        "print(i)  # 0 - 2",
    ] {
        assert_eq!(rule_of(&j(claim, lines.clone())), None, "{claim}");
    }
    assert_eq!(
        rule_of(&j("print(i)  # 0 to 5", lines.clone())),
        Some(Rule::OutputMismatch)
    );
    // Two values joined by "and" name two lines, not a range: the middle one is missing.
    assert_eq!(rule_of(&j("print(i)  # 0 and 2", lines)), Some(Rule::OutputMismatch));
}

#[test]
fn a_reworded_message_keeps_its_details_and_another_message_is_a_mismatch() {
    use crate::claims::same_details;
    assert!(same_details(
        "local variable 'n' referenced before assignment",
        "cannot access local variable 'n' where it is not associated with a value"
    ));
    assert!(same_details("integer division or modulo by zero", "division by zero"));
    assert!(!same_details(
        "local variable 'm' referenced before assignment",
        "cannot access local variable 'n' where it is not associated with a value"
    ));
    assert!(!same_details("Insufficient funds", "Amount must be positive"));
    assert!(!same_details("base 16", "base 10"));
}
