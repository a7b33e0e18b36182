//! The recursive-descent reader behind [`super::parse`]: one pass over the bytes, depth-capped
//! so that a claim like `[[[[...` cannot blow the stack.

use super::Value;

pub(super) struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    depth: usize,
    /// Claims only: a bare name as a dict key is that string (`{ a: 1 }`, as JavaScript
    /// writes it).
    lenient: bool,
}

const MAX_DEPTH: usize = 64;

impl<'a> Parser<'a> {
    pub(super) fn new(s: &'a str, lenient: bool) -> Self {
        Parser {
            s: s.as_bytes(),
            src: s,
            i: 0,
            depth: 0,
            lenient,
        }
    }

    pub(super) fn pos(&self) -> usize {
        self.i
    }

    pub(super) fn at_end(&self) -> bool {
        self.i == self.s.len()
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    pub(super) fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// After a value: the end, a space, or punctuation that cannot continue a value.
    /// After a value: the end, a space, or punctuation that neither continues the value nor
    /// makes it an expression (`4+16` is no value followed by commentary).
    pub(super) fn at_boundary(&self) -> bool {
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

    pub(super) fn value(&mut self) -> Option<Value> {
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
