//! `--shard K/N`: a stable subset of the entries, for CI matrices.
//!
//! An entry belongs to shard `hash(path, title, number) mod N`; problems outside any entry
//! belong to `hash(path) mod N`. The hash is blake3 of the path as given, so shards are the
//! same across runs and machines, and hashing per entry (not per file) keeps them balanced.

use crate::diagnostic::Diagnostic;
use crate::entry::{Document, SuppressionScope};
use crate::rules::Rule;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index.
    pub index: u64,
    pub count: u64,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let (k, n) = s.split_once('/').ok_or("expected K/N, e.g. 1/4")?;
        let k: u64 = k.trim().parse().map_err(|_| format!("bad shard index `{k}`"))?;
        let n: u64 = n.trim().parse().map_err(|_| format!("bad shard count `{n}`"))?;
        if n == 0 || k == 0 || k > n {
            return Err(format!("shard {k}/{n}: K must be between 1 and N"));
        }
        Ok(Shard { index: k - 1, count: n })
    }
}

fn bucket(parts: &[&str], count: u64) -> u64 {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(&[0]);
    }
    let bytes = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes.as_bytes()[..8]);
    u64::from_le_bytes(first) % count
}

impl Shard {
    pub fn owns_entry(&self, path: &str, title: &str, number: Option<u64>) -> bool {
        let n = number.map(|n| n.to_string()).unwrap_or_default();
        bucket(&[path, title, &n], self.count) == self.index
    }

    pub fn owns_file(&self, path: &str) -> bool {
        bucket(&[path], self.count) == self.index
    }

    /// Keep the diagnostics of the file `path` this shard reports: those inside an entry it
    /// owns (`selected[i]` says whether it owns `doc.entries[i]`), and those outside every
    /// entry when it owns the file. `exec`: the run executes examples.
    pub fn retain_owned(&self, path: &str, doc: &Document, selected: &[bool], exec: bool, diags: &mut Vec<Diagnostic>) {
        let owns_file = self.owns_file(path);
        let owns_all = selected.iter().all(|&s| s);
        let owner_of = |offset: usize| match doc
            .entries
            .iter()
            .zip(selected)
            .find(|(e, _)| offset >= e.span.start && offset < e.span.end.max(e.span.start + 1))
        {
            Some((_, &owned)) => owned,
            None => owns_file,
        };
        diags.retain(|d| {
            // An unused suppression belongs to what it targets; a file-wide one can only be
            // judged by a shard that ran every entry of the file.
            if d.is(Rule::UnusedSuppression) {
                match doc.suppressions.iter().find(|s| s.span == d.span).map(|s| &s.scope) {
                    Some(SuppressionScope::Range(r)) => return owner_of(r.end.saturating_sub(1).max(r.start)),
                    Some(SuppressionScope::File) => return owns_file && (owns_all || !exec),
                    None => {}
                }
            }
            owner_of(d.span.start)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::Shard;
    use crate::config::{Dialect, EntryMode};
    use crate::diagnostic::Diagnostic;
    use crate::rules::Rule;
    use crate::source::{SourceFile, Span};

    #[test]
    fn k_of_n_is_one_based_and_checked() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 1, count: 3 }));
        for bad in ["0/3", "4/3", "1/0", "3", "a/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_diagnostic_goes_to_exactly_the_shard_owning_its_entry_or_file() {
        let text = "# Notes\n\nintro\n\n## 1. Why A?\n\nbody a\n\n## 2. Why B?\n\nbody b\n\n## 3. Why C?\n\nbody c\n";
        let source = SourceFile::new("t.md".into(), text);
        let doc = crate::markdown::parse(&source, EntryMode::Qa, Dialect::Auto);
        assert_eq!(doc.entries.len(), 3);
        let at = |needle: &str| {
            let o = text.find(needle).unwrap();
            Diagnostic::new(Rule::OutputMismatch, Span::new(o, o + 1), needle)
        };
        let needles = ["intro", "body a", "body b", "body c"];
        let mut kept_total = 0;
        for index in 0..3 {
            let shard = Shard { index, count: 3 };
            let selected: Vec<bool> = doc
                .entries
                .iter()
                .map(|e| shard.owns_entry("t.md", &e.title.text, e.number))
                .collect();
            let mut diags: Vec<Diagnostic> = needles.iter().map(|n| at(n)).collect();
            shard.retain_owned("t.md", &doc, &selected, true, &mut diags);
            let owners = [shard.owns_file("t.md"), selected[0], selected[1], selected[2]];
            let expected: Vec<&str> = needles
                .iter()
                .zip(owners)
                .filter(|(_, o)| *o)
                .map(|(n, _)| *n)
                .collect();
            let kept: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
            assert_eq!(kept, expected, "shard {}", index + 1);
            kept_total += kept.len();
        }
        assert_eq!(kept_total, needles.len());
    }
}
