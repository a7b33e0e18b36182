//! `qa-lint rules` (every rule: code, name, default level, summary) and `qa-lint rule NAME`
//! (its doc, the same text as docs/rules/NAME.md).

use super::{Exit, Failure};
use std::io::Write;

pub fn list() -> Exit {
    let mut out = std::io::stdout().lock();
    for r in crate::rules::all() {
        let _ = writeln!(
            out,
            "{}  {:<32} {:<8} {}",
            r.code,
            r.name,
            r.severity.as_str(),
            r.summary
        );
    }
    Ok(0)
}

pub fn doc(name: &str) -> Exit {
    match crate::rules::lookup(name) {
        Some(r) => {
            print!("{}", r.doc);
            Ok(0)
        }
        None => Err(Failure::msg(format!(
            "no rule named `{name}`; `qa-lint rules` lists them"
        ))),
    }
}
