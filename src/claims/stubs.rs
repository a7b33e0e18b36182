//! Which statements call code the page leaves for its reader to write.
//!
//! An exercise gives a class whose methods are `pass` ("your implementation here") and then
//! the calls with the values a finished solution prints (`print(stats.mean())  # 29.2`).
//! Run as shown, every call returns `None`: the comment is the target of the exercise, not a
//! claim about the code on the page, so a mismatch there is not evidence. A **stub** is a
//! `def` whose body holds nothing but `pass`, `...`, a docstring or
//! `raise NotImplementedError`, under a name no other `def` of the entry implements (an
//! abstract `area()` with a real `Circle.area()` beside it is an interface, not a gap).
//! Like [`super::nondet`], the check is lexical and follows names through assignments.

use super::lexer::{scan, LineKind};
use super::nondet::{assigned_names, IDENT};
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

static DEF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:async\s+)?def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(").unwrap());
/// What follows the colon that closes a `def` header on the same line (`def area(self): pass`
/// -> `pass`): the first `:` outside brackets and strings, so that annotations and defaults
/// (`other: "Point"`, `prefix="INFO: "`) are not taken for a body.
fn inline_body(header: &str) -> Option<&str> {
    let parts = super::nesting::split_top(header, ":");
    let rest = header.get(parts.first()?.len() + 1..)?.trim();
    (parts.len() > 1 && !rest.is_empty()).then_some(rest)
}

static CALLED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(").unwrap());

/// The stub state of one entry, fed its blocks in order.
#[derive(Debug, Default)]
pub struct Stubs {
    /// Names defined only as stubs so far.
    stubs: HashSet<String>,
    /// Names defined with a real body somewhere in the entry so far.
    implemented: HashSet<String>,
    /// Names bound from what a stub returned.
    tainted: HashSet<String>,
}

/// A body line that does nothing: what an exercise leaves for the reader.
fn idle(line: &str) -> bool {
    let t = line.trim();
    t == "pass"
        || t == "..."
        || t.starts_with("raise NotImplementedError")
        || t.starts_with(['"', '\''])
        || t.starts_with("r\"")
        || t.starts_with("r'")
}

impl Stubs {
    pub fn new() -> Stubs {
        Stubs::default()
    }

    /// Reads one block: remembers its stubs and implementations, and gives the 1-based lines
    /// of its statements that call a stub (or use what one returned).
    pub fn block(&mut self, source: &str) -> HashSet<usize> {
        let sc = scan(source);
        let line = |n: usize| &source[sc.lines[n].start..sc.lines[n].code_end];
        for (i, l) in sc.lines.iter().enumerate() {
            if l.kind != LineKind::Code || l.inside {
                continue;
            }
            let Some(c) = DEF.captures(line(i)) else { continue };
            let name = c[1].to_string();
            // The header may run over lines: the body starts after its last line.
            let mut end = i;
            while sc.lines[end].continues && end + 1 < sc.lines.len() {
                end += 1;
            }
            let header: String = (i..=end).map(line).collect::<Vec<_>>().join(" ");
            let body: Vec<&str> = match inline_body(&header) {
                Some(b) => vec![b],
                None => sc.lines[end + 1..]
                    .iter()
                    .enumerate()
                    .take_while(|(_, b)| b.kind != LineKind::Code || b.inside || b.indent > l.indent)
                    .filter(|(_, b)| b.kind == LineKind::Code && !b.inside)
                    .map(|(k, _)| line(end + 1 + k))
                    .collect(),
            };
            if !body.is_empty() && body.iter().all(|b| idle(b)) {
                if !self.implemented.contains(&name) {
                    self.stubs.insert(name);
                }
            } else {
                self.stubs.remove(&name);
                self.implemented.insert(name);
            }
        }
        let mut out = HashSet::new();
        if self.stubs.is_empty() {
            return out;
        }
        for (i, l) in sc.lines.iter().enumerate() {
            if l.kind != LineKind::Code || l.inside || DEF.is_match(line(i)) {
                continue;
            }
            // The whole logical line: a call may sit on a continuation line.
            let mut code = line(i).to_string();
            let mut k = i;
            while sc.lines[k].continues && k + 1 < sc.lines.len() {
                k += 1;
                code.push(' ');
                code.push_str(line(k));
            }
            let calls_stub = CALLED.captures_iter(&code).any(|c| self.stubs.contains(&c[1]));
            let uses_taint = IDENT.find_iter(&code).any(|m| self.tainted.contains(m.as_str()));
            if calls_stub || uses_taint {
                out.insert(l.number);
                self.tainted.extend(assigned_names(&code));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Stubs;

    const NONE: Vec<usize> = Vec::new();

    fn lines(blocks: &[&str]) -> Vec<Vec<usize>> {
        let mut s = Stubs::new();
        blocks
            .iter()
            .map(|b| {
                let mut v: Vec<usize> = s.block(b).into_iter().collect();
                v.sort();
                v
            })
            .collect()
    }

    #[test]
    fn calls_of_stubs_and_what_they_return() {
        let class = "class Tally:\n    def total(self):\n        # yours\n        pass\n    def size(self): ...\n";
        let uses = "t = Tally()\nprint(t.total())  # 12\nn = t.size()\nprint(n + 1)  # 4\nprint(len([1]))  # 1\n";
        assert_eq!(lines(&[class, uses]), [NONE, vec![2, 3, 4]]);
    }

    #[test]
    fn an_implemented_name_is_an_interface_not_a_gap() {
        let base = "class Shape:\n    def area(self):\n        raise NotImplementedError\n";
        let real = "class Square(Shape):\n    def area(self):\n        return 4\nprint(Square().area())  # 4\n";
        assert_eq!(lines(&[base, real]), [NONE, NONE]);
        // A docstring and `pass` is still a stub; real code after a docstring is not.
        let doc = "def f():\n    \"\"\"Later.\"\"\"\n    pass\nprint(f())  # 3\n";
        assert_eq!(lines(&[doc]), [vec![4]]);
        let done = "def g():\n    \"\"\"Now.\"\"\"\n    return 3\nprint(g())  # 3\n";
        assert_eq!(lines(&[done]), [NONE]);
        // A colon in an annotation or a default is not the end of the header.
        let typed =
            "class P:\n    def dist(self, other: \"P\") -> float:\n        return 5.0\nprint(P().dist(P()))  # 6.0\n";
        assert_eq!(lines(&[typed]), [NONE]);
        let default = "def log(msg, prefix=\"INFO: \"): return prefix + msg\nprint(log('x'))  # y\n";
        assert_eq!(lines(&[default]), [NONE]);
    }
}
