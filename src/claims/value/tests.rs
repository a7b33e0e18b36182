use super::*;

fn v(s: &str) -> Value {
    parse(s).unwrap_or_else(|| panic!("not a value: {s}"))
}

fn same_text(a: &str, b: &str) -> bool {
    same(&v(a), &v(b)) == Some(true)
}

#[test]
fn literals() {
    assert_eq!(v("27"), Value::Int("27".into()));
    assert_eq!(v("-3"), Value::Int("-3".into()));
    assert_eq!(v("1_000"), Value::Int("1000".into()));
    assert_eq!(v("0x10"), Value::Int("16".into()));
    assert_eq!(v("27.0"), Value::Float(27.0));
    assert_eq!(v("1e3"), Value::Float(1000.0));
    assert_eq!(v("'a\\'b'"), Value::Str("a'b".into()));
    assert_eq!(v("b'ab'"), Value::Bytes("ab".into()));
    assert_eq!(v("True"), Value::Bool(true));
    assert_eq!(v("None"), Value::None);
    assert!(matches!(v("(1+2j)"), Value::Complex(_)));
    assert!(parse("hello").is_none(), "a bare word is not a value");
    assert!(parse("O(n)").is_none(), "a call of names is not a value");
    assert!(parse("(name, age, role)").is_none());
    assert!(parse("[1, 2").is_none());
}

#[test]
fn written_differently_is_equal() {
    assert!(same_text("[1,2,3]", "[1, 2, 3]"));
    assert!(same_text("\"Python\"", "'Python'"));
    assert!(same_text("{3, 1, 2}", "{1, 2, 3}"));
    assert!(same_text("{'b': 2, 'a': 1}", "{'a': 1, 'b': 2}"));
    assert!(same_text("date(2020, 10, 20)", "datetime.date(2020, 10, 20)"));
    assert!(same_text("<class 'D'>", "<class '__main__.D'>"));
    assert!(same_text(
        "(<class 'D'>, <class 'object'>)",
        "(<class '__main__.D'>, <class 'object'>)"
    ));
    assert!(same_text("Point(y=2, x=1)", "Point(x=1, y=2)"));
    assert!(same_text(
        "<function f at 0x10a3b2c40>",
        "<function f at 0x7f3a2b1c0d90>"
    ));
    assert!(same_text("set()", "set()"));
    assert!(same_text("frozenset({2, 1})", "frozenset({1, 2})"));
    assert!(same_text("1000.0", "1e3"));
}

#[test]
fn different_values_stay_different() {
    assert!(!same_text("27", "27.0"), "an int is not a float");
    assert!(!same_text("[1, 2]", "[1, 2, 3]"));
    assert!(!same_text("True", "1"));
    assert!(!same_text("[1, 2]", "(1, 2)"));
    assert!(!same_text("{1, 2}", "{1, 2, 3}"));
    assert!(!same_text("{'a': 1}", "{'a': 2}"));
    assert!(!same_text("date(2020, 1, 2)", "time(2020, 1, 2)"));
    assert!(!same_text("'1'", "1"));
    assert!(!same_text("<class 'A'>", "<class 'B'>"));
    assert!(!same_text("x.D(1)", "y.D(1)"));
}

#[test]
fn wildcards_are_left_to_patterns() {
    assert_eq!(same(&v("[1, ...]"), &v("[1, 2]")), None);
}

#[test]
fn sequences_and_prefixes() {
    assert_eq!(parse_seq("3, 2").map(|v| v.len()), Some(2));
    assert_eq!(parse_seq("3 2").map(|v| v.len()), Some(2));
    assert_eq!(parse_seq("3 apples"), None);
    assert_eq!(prefix("28 bytes").map(|(n, _)| n), Some(2));
    assert_eq!(prefix("True, because 3 > 2").map(|(n, v)| (n, v.len())), Some((4, 1)));
    assert_eq!(prefix("3, 2 again").map(|(n, v)| (n, v.len())), Some((4, 2)));
    assert_eq!(prefix("1st place"), None);
    assert_eq!(prefix("False!").map(|(n, _)| n), Some(5));
    assert_eq!(prefix("hello"), None);
}

#[test]
fn deep_nesting_is_bounded() {
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    assert!(parse(&deep).is_none());
}

#[test]
fn names() {
    assert!(same_name("date", "datetime.date"));
    assert!(same_name("__main__.D", "D"));
    assert!(!same_name("a.D", "b.D"));
    assert_eq!(normal_angle("<f at 0x7fab12>"), "<f at 0x?>");
}

#[test]
fn an_expression_is_not_a_value_prefix() {
    assert_eq!(prefix("4+16+36 = 56"), None);
    assert_eq!(prefix("4 + 16 = 20"), None);
    assert_eq!(prefix("False. Then more").map(|(n, _)| n), Some(5));
    assert_eq!(
        prefix("3 - the count").map(|(n, _)| n),
        Some(1),
        "a dash then words is commentary"
    );
}

#[test]
fn a_claim_may_write_dict_keys_as_bare_names() {
    assert!(parse("{ a: 1 }").is_none());
    let c = parse_claim("{ a: 1, b: 2 }").unwrap();
    assert_eq!(same(&c, &v("{'a': 1, 'b': 2}")), Some(true));
    assert!(parse_claim("{ 1a: 1 }").is_none());
}

/// Arbitrary text never panics the parser (a tiny deterministic fuzz over value-ish bytes).
#[test]
fn arbitrary_text_never_panics() {
    let alphabet: Vec<char> = "[](){}<>'\"\\,:=.-+_ 0123456789abxjeE…éTrueFalsNon\n\t#~"
        .chars()
        .collect();
    let mut x: u64 = 0x2545F4914F6CDD1D;
    for _ in 0..20_000 {
        let mut s = String::new();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = (x % 24) as usize;
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push(alphabet[(x % alphabet.len() as u64) as usize]);
        }
        let _ = parse(&s);
        let _ = parse_claim(&s);
        let _ = parse_seq(&s);
        let _ = prefix(&s);
        let _ = super::super::grammar::parse(&s);
        let _ = super::super::extract::extract_claims(&format!("print(1)  # {s}\n"));
    }
}
