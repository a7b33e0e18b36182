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
    let mut p = Parser {
        s: s.as_bytes(),
        src: s,
        i: 0,
        depth: 0,
        lenient: false,
    };
    p.ws();
    let v = p.value()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

/// [`parse`] for a claim: also reads `{ a: 1, b: 2 }` (bare names as dict keys).
pub(super) fn parse_claim(s: &str) -> Option<Value> {
    let mut p = Parser {
        s: s.as_bytes(),
        src: s,
        i: 0,
        depth: 0,
        lenient: true,
    };
    p.ws();
    let v = p.value()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

/// Parses `s` as several values separated all by `, ` or all by single spaces (what
/// `print(a, b)` or a comment `# 3, 2` shows); one value is a sequence of one.
pub(super) fn parse_seq(s: &str) -> Option<Vec<Value>> {
    if let Some(v) = parse(s) {
        return Some(vec![v]);
    }
    for sep in [", ", " "] {
        let parts = super::grammar::split_top(s.trim(), sep);
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
    let mut p = Parser {
        s: s.as_bytes(),
        src: s,
        i: 0,
        depth: 0,
        lenient: false,
    };
    let mut vals = Vec::new();
    let mut end = 0;
    loop {
        match p.value() {
            Some(v) if p.at_boundary() => {
                vals.push(v);
                end = p.i;
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
        (Int(x), Int(y)) | (Complex(x), Complex(y)) | (Str(x), Str(y)) | (Bytes(x), Bytes(y)) => x == y,
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

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    depth: usize,
    /// Claims only: a bare name as a dict key is that string (`{ a: 1 }`, as JavaScript
    /// writes it).
    lenient: bool,
}

const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// After a value: the end, a space, or punctuation that cannot continue a value.
    /// After a value: the end, a space, or punctuation that neither continues the value nor
    /// makes it an expression (`4+16` is no value followed by commentary).
    fn at_boundary(&self) -> bool {
        let next_is_end = |k: usize| self.s.get(self.i + k).is_none_or(|c| c.is_ascii_whitespace());
        match self.peek() {
            None => true,
            Some(b'.') => next_is_end(1),
            Some(c) if b"+-*/%=<>^|&@~".contains(&c) => false,
            Some(b' ') => {
                // `4 + 16 = 20`: an operator after the space is an expression too.
                let rest = &self.s[self.i..];
                let t = rest.iter().position(|c| *c != b' ').map_or(&rest[..0], |k| &rest[k..]);
                let op = t.first().is_some_and(|c| b"+-*/%=<>^|&@".contains(c));
                let operand = t.get(1).is_some_and(|c| c.is_ascii_digit() || *c == b'=')
                    || (t.get(1) == Some(&b' ') && t.get(2).is_some_and(|c| c.is_ascii_digit()));
                !(op && (operand || t.first() == Some(&b'=')))
            }
            Some(c) => !(c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80),
        }
    }

    fn value(&mut self) -> Option<Value> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let v = self.value_inner();
        self.depth -= 1;
        v
    }

    fn value_inner(&mut self) -> Option<Value> {
        let c = self.peek()?;
        match c {
            b'[' => {
                self.i += 1;
                let items = self.items(b']')?;
                Some(Value::List(items.0))
            }
            b'(' => {
                self.i += 1;
                let (items, trailing_comma) = self.items(b')')?;
                if items.len() == 1 && !trailing_comma {
                    // A parenthesised value: `(1+2j)`, `(5)`.
                    return items.into_iter().next();
                }
                Some(Value::Tuple(items))
            }
            b'{' => self.brace(),
            b'<' => self.angle(),
            b'\'' | b'"' => self.string(false).map(Value::Str),
            b'-' | b'+' => {
                self.i += 1;
                let v = self.number()?;
                let neg = c == b'-';
                Some(match v {
                    Value::Int(d) if neg && d != "0" => Value::Int(format!("-{d}")),
                    Value::Float(f) if neg => Value::Float(-f),
                    Value::Complex(t) if neg => Value::Complex(format!("-{t}")),
                    other => other,
                })
            }
            b'.' if self.s[self.i..].starts_with(b"...") => {
                self.i += 3;
                Some(Value::Any)
            }
            c if c.is_ascii_digit() || c == b'.' => self.number(),
            c if c.is_ascii_alphabetic() || c == b'_' => self.word(),
            _ if self.src[self.i..].starts_with('…') => {
                self.i += '…'.len_utf8();
                Some(Value::Any)
            }
            _ => None,
        }
    }

    /// Items up to `close`; returns them and whether a comma ended the list.
    fn items(&mut self, close: u8) -> Option<(Vec<Value>, bool)> {
        let mut items = Vec::new();
        self.ws();
        if self.eat(close) {
            return Some((items, false));
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            if self.eat(close) {
                return Some((items, false));
            }
            if !self.eat(b',') {
                return None;
            }
            self.ws();
            if self.eat(close) {
                return Some((items, true));
            }
        }
    }

    /// A dict key: a value, or (lenient) a bare name followed by `:`.
    fn key(&mut self) -> Option<Value> {
        let start = self.i;
        if let Some(v) = self.value() {
            return Some(v);
        }
        self.i = start;
        if !self.lenient {
            return None;
        }
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
            self.i += 1;
        }
        let name = &self.src[start..self.i];
        let save = self.i;
        self.ws();
        let ok = !name.is_empty() && !name.as_bytes()[0].is_ascii_digit() && self.peek() == Some(b':');
        self.i = save;
        ok.then(|| Value::Str(name.to_string()))
    }

    fn brace(&mut self) -> Option<Value> {
        self.i += 1;
        self.ws();
        if self.eat(b'}') {
            return Some(Value::Dict(Vec::new()));
        }
        let first = self.key()?;
        self.ws();
        if self.eat(b':') {
            let mut pairs = Vec::new();
            let mut key = first;
            loop {
                self.ws();
                let v = self.value()?;
                pairs.push((key, v));
                self.ws();
                if self.eat(b'}') {
                    return Some(Value::Dict(pairs));
                }
                if !self.eat(b',') {
                    return None;
                }
                self.ws();
                if self.eat(b'}') {
                    return Some(Value::Dict(pairs));
                }
                key = self.key()?;
                self.ws();
                if !self.eat(b':') {
                    return None;
                }
            }
        }
        let mut items = vec![first];
        loop {
            self.ws();
            if self.eat(b'}') {
                return Some(Value::Set(items));
            }
            if !self.eat(b',') {
                return None;
            }
            self.ws();
            if self.eat(b'}') {
                return Some(Value::Set(items));
            }
            items.push(self.value()?);
        }
    }

    fn angle(&mut self) -> Option<Value> {
        let start = self.i;
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            match c {
                b'<' => depth += 1,
                b'>' => {
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        let text = &self.src[start..self.i];
                        return Some(angle_value(text));
                    }
                }
                b'\'' | b'"' => {
                    self.string(false)?;
                    continue;
                }
                b'\n' => return None,
                _ => {}
            }
            self.i += 1;
        }
        None
    }

    /// A string literal at `self.i` (prefixes are handled by `word`); returns its value.
    fn string(&mut self, raw: bool) -> Option<String> {
        let q = self.peek()?;
        let triple = self.s[self.i..].starts_with(&[q, q, q]);
        self.i += if triple { 3 } else { 1 };
        let mut out = String::new();
        loop {
            let c = self.peek()?;
            if c == q && (!triple || self.s[self.i..].starts_with(&[q, q, q])) {
                self.i += if triple { 3 } else { 1 };
                return Some(out);
            }
            if c == b'\n' && !triple {
                return None;
            }
            if c == b'\\' && !raw {
                self.i += 1;
                let e = self.peek()?;
                self.i += 1;
                match e {
                    b'n' => out.push('\n'),
                    b't' => out.push('\t'),
                    b'r' => out.push('\r'),
                    b'0' => out.push('\0'),
                    b'a' => out.push('\x07'),
                    b'b' => out.push('\x08'),
                    b'f' => out.push('\x0c'),
                    b'v' => out.push('\x0b'),
                    b'\\' | b'\'' | b'"' => out.push(e as char),
                    b'\n' => {}
                    b'x' | b'u' | b'U' => {
                        let n = match e {
                            b'x' => 2,
                            b'u' => 4,
                            _ => 8,
                        };
                        let hex = self.src.get(self.i..self.i + n)?;
                        let code = u32::from_str_radix(hex, 16).ok()?;
                        out.push(char::from_u32(code)?);
                        self.i += n;
                    }
                    _ => {
                        out.push('\\');
                        self.i -= 1;
                    }
                }
                continue;
            }
            let ch = self.src[self.i..].chars().next()?;
            out.push(ch);
            self.i += ch.len_utf8();
        }
    }

    fn number(&mut self) -> Option<Value> {
        let rest = &self.src[self.i..];
        let b = rest.as_bytes();
        // 0x / 0o / 0b integers.
        if b.len() > 2 && b[0] == b'0' && matches!(b[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B') {
            let radix = match b[1] {
                b'x' | b'X' => 16,
                b'o' | b'O' => 8,
                _ => 2,
            };
            let digits: String = rest[2..]
                .chars()
                .take_while(|c| c.is_digit(radix) || *c == '_')
                .collect();
            if digits.is_empty() {
                return None;
            }
            self.i += 2 + digits.len();
            let v = u128::from_str_radix(&digits.replace('_', ""), radix).ok()?;
            return Some(Value::Int(v.to_string()));
        }
        let mut j = 0;
        let mut float = false;
        while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'_') {
            j += 1;
        }
        if j < b.len() && b[j] == b'.' && !rest[j..].starts_with("...") {
            float = true;
            j += 1;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'_') {
                j += 1;
            }
        }
        if j == 0 || (j == 1 && b[0] == b'.') {
            return None;
        }
        if j < b.len() && matches!(b[j], b'e' | b'E') {
            let mut k = j + 1;
            if k < b.len() && matches!(b[k], b'+' | b'-') {
                k += 1;
            }
            if k < b.len() && b[k].is_ascii_digit() {
                while k < b.len() && b[k].is_ascii_digit() {
                    k += 1;
                }
                float = true;
                j = k;
            }
        }
        let text = rest[..j].replace('_', "");
        if j < b.len() && matches!(b[j], b'j' | b'J') {
            self.i += j + 1;
            return Some(Value::Complex(format!("{}j", trim_number(&text))));
        }
        // `1+2j`: a complex written as a sum.
        if j < b.len() && matches!(b[j], b'+' | b'-') {
            let save = self.i;
            self.i += j + 1;
            if let Some(Value::Complex(im)) = self.number() {
                let sign = b[j] as char;
                return Some(Value::Complex(format!("{}{sign}{im}", trim_number(&text))));
            }
            self.i = save;
        }
        self.i += j;
        if float {
            return text.parse::<f64>().ok().map(Value::Float);
        }
        let t = text.trim_start_matches('0');
        Some(Value::Int(if t.is_empty() { "0".into() } else { t.to_string() }))
    }

    fn word(&mut self) -> Option<Value> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        {
            if self.peek() == Some(b'.')
                && self
                    .s
                    .get(self.i + 1)
                    .is_none_or(|c| !(c.is_ascii_alphabetic() || *c == b'_'))
            {
                break;
            }
            self.i += 1;
        }
        let w = &self.src[start..self.i];
        // String prefixes: b'..', r'..', rb'..', u'..'.
        if w.len() <= 2 && matches!(self.peek(), Some(b'\'' | b'"')) {
            let lower = w.to_ascii_lowercase();
            if lower.chars().all(|c| matches!(c, 'b' | 'r' | 'u')) {
                let raw = lower.contains('r');
                let s = self.string(raw)?;
                return Some(if lower.contains('b') {
                    Value::Bytes(s)
                } else {
                    Value::Str(s)
                });
            }
        }
        match w {
            "True" => return Some(Value::Bool(true)),
            "False" => return Some(Value::Bool(false)),
            "None" => return Some(Value::None),
            "Ellipsis" => return Some(Value::Ellipsis),
            "NotImplemented" => return Some(Value::NotImplemented),
            "inf" => return Some(Value::Float(f64::INFINITY)),
            "nan" => return Some(Value::Float(f64::NAN)),
            _ => {}
        }
        if self.peek() != Some(b'(') {
            return None;
        }
        self.i += 1;
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        loop {
            self.ws();
            if self.eat(b')') {
                break;
            }
            // `name=value`?
            let save = self.i;
            let ks = self.i;
            while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
                self.i += 1;
            }
            let key = &self.src[ks..self.i];
            self.ws();
            if !key.is_empty() && self.peek() == Some(b'=') && self.s.get(self.i + 1) != Some(&b'=') {
                self.i += 1;
                self.ws();
                kwargs.push((key.to_string(), self.value()?));
            } else {
                self.i = save;
                args.push(self.value()?);
            }
            self.ws();
            if self.eat(b')') {
                break;
            }
            if !self.eat(b',') {
                return None;
            }
        }
        Some(normal_call(w, args, kwargs))
    }
}

/// `set()` and `frozenset({...})` are sets; other calls stay calls.
fn normal_call(name: &str, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> Value {
    match (name, args.as_slice(), kwargs.is_empty()) {
        ("set", [], true) => Value::Set(Vec::new()),
        ("frozenset", [], true) => Value::FrozenSet(Vec::new()),
        ("frozenset", [Value::Set(v)], true) => Value::FrozenSet(v.clone()),
        _ => Value::Call {
            name: name.to_string(),
            args,
            kwargs,
        },
    }
}

fn angle_value(text: &str) -> Value {
    for kind in ["<class '", "<enum '"] {
        if let Some(rest) = text.strip_prefix(kind) {
            if let Some(name) = rest.strip_suffix("'>") {
                if !name.contains(['\'', ' ']) {
                    return Value::Class(name.to_string());
                }
            }
        }
    }
    Value::Angle(text.to_string())
}

fn trim_number(t: &str) -> String {
    match t.parse::<f64>() {
        Ok(f) if t.contains(['.', 'e', 'E']) => format!("{f}"),
        _ => {
            let s = t.trim_start_matches('0');
            if s.is_empty() {
                "0".into()
            } else {
                s.to_string()
            }
        }
    }
}

#[cfg(test)]
#[path = "value_tests.rs"]
mod tests;
