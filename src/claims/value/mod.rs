//! Python values as reprs show them: parsing a claim or an output into a value, and comparing
//! two values the way an author means them.
//!
//! Authors write the right value in another spelling: `[1,2,3]` for `[1, 2, 3]`, `"a"` for
//! `'a'`, a set or dict in another order, `date(2020, 1, 2)` for `datetime.date(2020, 1, 2)`,
//! `<class 'D'>` for `<class '__main__.D'>`. Text comparison calls those wrong; this module
//! compares the values instead. It is deliberately stricter than Python's `==` where `==`
//! hides a real mistake: `27` is not `27.0`, `True` is not `1`, a list is not a tuple.
//!
//! The parser is written here rather than on the Python side (`ast.literal_eval`) because
//! the comparison is not Python's: names compare with or without their module qualifier,
//! `<...>` reprs compare with addresses as wildcards, and the judge must stay a pure function
//! of the claim and the observed text (it also judges outputs cached from earlier runs and
//! transcripts that doctest already compared). Anything the grammar below does not cover is
//! simply "not a value", and the claim is compared as text as before.
//!
//! Grammar (whitespace allowed between tokens):
//! ```text
//! value  := atom | '-' number | list | tuple | set | dict | call | angle | name
//! atom   := int | float | complex | string | bytes | True | False | None | Ellipsis | NotImplemented
//! call   := dotted '(' [arg (',' arg)*] [','] ')'    arg := [ident '='] value
//! angle  := '<' ... '>'   (balanced; `<class 'X'>` and `<enum 'X'>` are names)
//! name   := dotted        (only inf and nan, or as the callee of a call)
//! ```

/// A parsed value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    /// Digits with an optional `-`, no `_`, no leading zeros (`0x10` is stored as `16`).
    Int(String),
    Float(f64),
    /// `1+2j`, `2j`: kept as normalised text.
    Complex(String),
    Str(String),
    Bytes(String),
    Bool(bool),
    None,
    Ellipsis,
    NotImplemented,
    List(Vec<Value>),
    Tuple(Vec<Value>),
    Set(Vec<Value>),
    FrozenSet(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    /// `Name(args)`: a dataclass, namedtuple, `datetime.date(...)`, `Counter({...})`.
    Call {
        name: String,
        args: Vec<Value>,
        kwargs: Vec<(String, Value)>,
    },
    /// `<class 'x.Y'>`, `<enum 'Color'>`: the qualified name.
    Class(String),
    /// Any other `<...>` repr, as text with `__main__.` removed and addresses wildcarded.
    Angle(String),
    /// `...` written by the author: any value (only pattern matching can judge it).
    Any,
}

impl Value {
    /// Whether the value holds an author's `...` anywhere.
    pub fn has_any(&self) -> bool {
        match self {
            Value::Any => true,
            Value::List(v) | Value::Tuple(v) | Value::Set(v) | Value::FrozenSet(v) => v.iter().any(Value::has_any),
            Value::Dict(kv) => kv.iter().any(|(k, v)| k.has_any() || v.has_any()),
            Value::Call { args, kwargs, .. } => {
                args.iter().any(Value::has_any) || kwargs.iter().any(|(_, v)| v.has_any())
            }
            _ => false,
        }
    }

    /// A short name of the kind of value, for "same kind" checks (`True` vs `False`, a number
    /// vs a number).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Int(_) | Value::Float(_) | Value::Complex(_) => "number",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::Bool(_) => "bool",
            Value::None => "none",
            Value::List(_) | Value::Tuple(_) => "sequence",
            Value::Set(_) | Value::FrozenSet(_) => "set",
            Value::Dict(_) => "dict",
            Value::Call { .. } => "call",
            Value::Class(_) | Value::Angle(_) => "repr",
            Value::Ellipsis | Value::NotImplemented | Value::Any => "other",
        }
    }
}

/// Parses the whole of `s` as one value.
pub(super) fn parse(s: &str) -> Option<Value> {
    let mut p = Parser::new(s, false);
    p.ws();
    let v = p.value()?;
    p.ws();
    p.at_end().then_some(v)
}

/// [`parse`] for a claim: also reads `{ a: 1, b: 2 }` (bare names as dict keys).
pub(super) fn parse_claim(s: &str) -> Option<Value> {
    let mut p = Parser::new(s, true);
    p.ws();
    let v = p.value()?;
    p.ws();
    p.at_end().then_some(v)
}

/// Parses `s` as several values separated all by `, ` or all by single spaces (what
/// `print(a, b)` or a comment `# 3, 2` shows); one value is a sequence of one.
pub(super) fn parse_seq(s: &str) -> Option<Vec<Value>> {
    if let Some(v) = parse(s) {
        return Some(vec![v]);
    }
    for sep in [", ", " "] {
        let parts = super::nesting::split_top(s.trim(), sep);
        if parts.len() > 1 {
            let vals: Option<Vec<Value>> = parts.iter().map(|p| parse(p)).collect();
            if let Some(v) = vals {
                return Some(v);
            }
        }
    }
    None
}

/// Length of the longest prefix of `s` that is a value sequence (values separated by `, `
/// or spaces) followed by a word boundary, and that sequence. `28 bytes` -> (2, [28]).
pub(super) fn prefix(s: &str) -> Option<(usize, Vec<Value>)> {
    let mut p = Parser::new(s, false);
    let mut vals = Vec::new();
    let mut end = 0;
    loop {
        match p.value() {
            Some(v) if p.at_boundary() => {
                vals.push(v);
                end = p.pos();
            }
            _ => break,
        }
        // A separator (`, ` or one space), then another value.
        p.eat(b','); // optional
        let separated = p.eat(b' ');
        if !separated {
            break;
        }
        if p.peek().is_none_or(|c| c == b' ') {
            break;
        }
    }
    (!vals.is_empty()).then_some((end, vals))
}

/// Equal values (see the module doc for what "equal" means here). `None` when either side
/// holds an author's `...`: only pattern matching can tell.
pub(super) fn same(a: &Value, b: &Value) -> Option<bool> {
    if a.has_any() || b.has_any() {
        return None;
    }
    Some(eq(a, b))
}

/// Two sequences of values, element by element.
pub(super) fn same_seq(a: &[Value], b: &[Value]) -> Option<bool> {
    if a.iter().chain(b).any(Value::has_any) {
        return None;
    }
    Some(a.len() == b.len() && a.iter().zip(b).all(|(x, y)| eq(x, y)))
}

fn eq(a: &Value, b: &Value) -> bool {
    use Value::*;
    match (a, b) {
        // A link names the version of the library that printed it (see `pattern::Seg::Version`).
        (Str(x), Str(y)) => {
            x == y || x.contains("://") && super::pattern::mask_url_versions(x) == super::pattern::mask_url_versions(y)
        }
        (Int(x), Int(y)) | (Complex(x), Complex(y)) | (Bytes(x), Bytes(y)) => x == y,
        (Float(x), Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Bool(x), Bool(y)) => x == y,
        (None, None) | (Ellipsis, Ellipsis) | (NotImplemented, NotImplemented) => true,
        (List(x), List(y)) | (Tuple(x), Tuple(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| eq(p, q)),
        (Set(x), Set(y)) | (FrozenSet(x), FrozenSet(y)) => same_bag(x, y),
        (Dict(x), Dict(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| y.iter().any(|(k2, v2)| eq(k, k2) && eq(v, v2)))
                && y.iter().all(|(k, _)| x.iter().any(|(k2, _)| eq(k, k2)))
        }
        (
            Call {
                name: n1,
                args: a1,
                kwargs: k1,
            },
            Call {
                name: n2,
                args: a2,
                kwargs: k2,
            },
        ) => {
            same_name(n1, n2)
                && a1.len() == a2.len()
                && a1.iter().zip(a2).all(|(p, q)| eq(p, q))
                && k1.len() == k2.len()
                && k1.iter().all(|(n, v)| k2.iter().any(|(m, w)| n == m && eq(v, w)))
        }
        (Class(x), Class(y)) => same_name(x, y),
        (Angle(x), Angle(y)) => same_angle(x, y),
        _ => false,
    }
}

/// Two lists (or tuples) with the same items in another order, as a set's iteration order
/// gives them.
pub(super) fn permutation(a: &str, b: &str) -> bool {
    match (parse(a), parse(b)) {
        (Some(Value::List(x)), Some(Value::List(y))) | (Some(Value::Tuple(x)), Some(Value::Tuple(y))) => {
            !x.iter().zip(&y).all(|(p, q)| eq(p, q)) && same_bag(&x, &y)
        }
        _ => false,
    }
}

fn same_bag(x: &[Value], y: &[Value]) -> bool {
    if x.len() != y.len() {
        return false;
    }
    let mut used = vec![false; y.len()];
    x.iter().all(|v| {
        let hit = (0..y.len()).find(|&j| !used[j] && eq(v, &y[j]));
        hit.map(|j| used[j] = true).is_some()
    })
}

/// `date` and `datetime.date`, `D` and `__main__.D`: equal when the dotted components of one
/// end the other's.
pub(super) fn same_name(a: &str, b: &str) -> bool {
    let parts = |s: &str| -> Vec<String> {
        let v: Vec<String> = s.split('.').map(str::to_string).collect();
        match v.first().map(String::as_str) {
            Some("__main__") if v.len() > 1 => v[1..].to_vec(),
            _ => v,
        }
    };
    let (x, y) = (parts(a), parts(b));
    let n = x.len().min(y.len());
    n > 0 && x[x.len() - n..] == y[y.len() - n..]
}

/// `<function f at 0x7f...>` reprs: equal up to `__main__.` qualifiers and addresses.
fn same_angle(a: &str, b: &str) -> bool {
    normal_angle(a) == normal_angle(b)
}

/// Removes `__main__.` and replaces every `0x` + hex digits by `0x?`.
pub(super) fn normal_angle(s: &str) -> String {
    let s = s.replace("__main__.", "");
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'0' && b.get(i + 1) == Some(&b'x') && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let mut j = i + 2;
            while j < b.len() && b[j].is_ascii_hexdigit() {
                j += 1;
            }
            if j > i + 2 {
                out.push_str("0x?");
                i = j;
                continue;
            }
        }
        let c = s[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

mod parser;
use parser::Parser;

#[cfg(test)]
mod tests;
