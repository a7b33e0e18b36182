use super::super::Unit;
use super::*;

fn core(text: &str) -> String {
    let p = parse(text).unwrap();
    text[p.core].to_string()
}

#[test]
fn commentary_separators_are_cut() {
    assert_eq!(core("True -> same object"), "True");
    assert_eq!(core("'add' — preserved because of @wraps"), "'add'");
    assert_eq!(core("1 – one"), "1");
    assert_eq!(core("[] -- empty"), "[]");
    assert_eq!(core("3; see above"), "3");
    assert_eq!(core("2 (x, plus the temporary argument to getrefcount)"), "2");
    assert_eq!(core("~200 bytes, no matter how large the range is"), "~200 bytes");
    assert_eq!(
        core("['a', 'b', 'c'] ~1.00s — concurrent, not 3s"),
        "['a', 'b', 'c'] ~1.00s"
    );
}

#[test]
fn separators_inside_values_are_not_cuts() {
    assert_eq!(core("'a -> b'"), "'a -> b'");
    assert_eq!(core("(1, 2)"), "(1, 2)");
    assert_eq!(core("[1, (x, plus)]"), "[1, (x, plus)]");
    assert_eq!(core("point (1, 2)"), "point (1, 2)", "no words inside: not commentary");
    assert_eq!(core("it's True -> yes"), "it's True");
}

#[test]
fn hedges() {
    let p = parse("Often True in CPython").unwrap();
    assert!(p.hedged);
    assert_eq!(p.kind, ClaimKind::Output { text: "True".into() });
    assert_eq!(p.strength, Strength::Strong);
    assert!(parse("Usually 3").unwrap().hedged);
    assert!(parse("may be False").unwrap().hedged);
    assert!(parse("True on CPython 3.12 -> interning").unwrap().hedged);
    assert!(!parse("True").unwrap().hedged);
    assert!(!parse("Oftentimes").unwrap().hedged);
}

#[test]
fn exception_forms() {
    let exc = |s: &str| match parse(s).unwrap().kind {
        ClaimKind::Exception { type_name, message } => (type_name, message),
        k => panic!("{s}: {k:?}"),
    };
    assert_eq!(
        exc("raises StopIteration — the stream is exhausted"),
        ("StopIteration".into(), None)
    );
    assert_eq!(exc("raises ValueError: bad"), ("ValueError".into(), Some("bad".into())));
    assert_eq!(
        exc("TypeError: 'tuple' object does not support item assignment"),
        (
            "TypeError".into(),
            Some("'tuple' object does not support item assignment".into())
        )
    );
    assert_eq!(exc("ZeroDivisionError"), ("ZeroDivisionError".into(), None));
    assert_eq!(
        exc("raises json.JSONDecodeError"),
        ("json.JSONDecodeError".into(), None)
    );
    assert_eq!(core("raises KeyError if the key is missing"), "raises KeyError");
    assert!(matches!(
        parse("raises an error").unwrap().kind,
        ClaimKind::Output { .. }
    ));
    assert!(matches!(
        parse("Error: disk full").unwrap().kind,
        ClaimKind::Output { .. }
    ));
}

#[test]
fn approx_kind() {
    let p = parse("~8 MB").unwrap();
    assert_eq!(
        p.kind,
        ClaimKind::Approx {
            value: 8.0,
            unit: Unit::MB
        }
    );
    assert_eq!(p.strength, Strength::Strong);
    assert!(matches!(parse("~ 1.00s").unwrap().kind, ClaimKind::Approx { .. }));
}

#[test]
fn strength() {
    let s = |t: &str| parse(t).unwrap().strength;
    for strong in [
        "True",
        "None",
        "-3.5",
        "1e-3",
        "'add'",
        "b'x'",
        "[1, 2, 3]",
        "{'a': 1}",
        "<class 'int'>",
        "Point(x=1, y=2)",
        "3, 2, 1",
        "'a', 'b'",
        "took 0.0xx s",
        "~8 MB",
        "raises KeyError",
        "0.0xx",
    ] {
        assert_eq!(s(strong), Strength::Strong, "{strong}");
    }
    for weak in [
        "fine, lists are mutable",
        "blocks the event loop",
        "iterable",
        "5 seconds",
        "Hello, world",
        "Roughly the same as running cpu_task() twice in a row — the threads",
        "note the parentheses: decorate with an instance",
    ] {
        assert_eq!(s(weak), Strength::Weak, "{weak}");
    }
}

#[test]
fn pragmas_and_empty_are_not_claims() {
    for p in [
        "",
        "   ",
        "noqa: E501",
        "type: ignore",
        "pragma: no cover",
        "-*- coding: utf-8 -*-",
        "%%",
    ] {
        assert!(parse(p).is_none(), "{p}");
    }
}

#[test]
fn candidates_cover_every_boundary() {
    assert_eq!(candidates("True -> same object"), ["True", "True -> same object"]);
    assert_eq!(
        candidates("True because both are one"),
        ["True", "True because both are one"]
    );
    assert_eq!(candidates("3, 2, 1"), ["3, 2, 1"], "a value list is never cut");
    assert_eq!(candidates("True in CPython"), ["True"]);
}

#[test]
fn quoting_helpers() {
    assert_eq!(quoted("'add'"), Some("add"));
    assert_eq!(quoted("\"a b\""), Some("a b"));
    assert_eq!(quoted("b'x'"), Some("x"));
    assert_eq!(quoted("'a', 'b'"), None);
    assert_eq!(split_top("[1, 2], 'a, b', 3", ", "), ["[1, 2]", "'a, b'", "3"]);
}

#[test]
fn space_separated_values_are_value_like() {
    assert!(is_value_like("11 [20, 30] 40"));
    assert!(is_value_like("1 2 3"));
    assert!(!is_value_like("fine, lists are mutable"));
    assert!(!is_value_like("still works as a normal context manager too"));
}

#[test]
fn new_separators_and_value_prefixes() {
    assert_eq!(core("True - because it holds"), "True");
    assert_eq!(core("None  <- BUG! should use sorted()"), "None");
    assert_eq!(core("None ← a bug"), "None");
    assert_eq!(core("28 bytes (bool is an int)"), "28");
    assert_eq!(core("True, because 3 is greater than 2"), "True");
    assert_eq!(core("2 again"), "2");
    assert_eq!(core("False!"), "False");
    assert_eq!(parse("2 again").unwrap().strength, Strength::Weak);
    assert_eq!(parse("28 bytes").unwrap().strength, Strength::Weak);
    assert_eq!(parse("True, because 3 > 2").unwrap().strength, Strength::Strong);
    assert_eq!(parse("(name, age, role)").unwrap().strength, Strength::Weak);
    assert_eq!(parse("Multiprocessing is ~4x faster").unwrap().strength, Strength::Weak);
    assert_eq!(parse("took 0.0xx s").unwrap().strength, Strength::Strong);
    assert_eq!(parse("4+16 = 20").unwrap().strength, Strength::Weak);
}
