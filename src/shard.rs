//! `--shard K/N`: a stable subset of the entries, for CI matrices.
//!
//! An entry belongs to shard `hash(path, title, number) mod N`; problems outside any entry
//! belong to `hash(path) mod N`. The hash is blake3 of the path as given, so shards are the
//! same across runs and machines, and hashing per entry (not per file) keeps them balanced.

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
}
