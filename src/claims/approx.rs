//! Approximate quantities: `~8 MB`, `~200 bytes`, `~1.00s`.
//!
//! Sizes and durations printed by examples vary by interpreter version and
//! machine, so an approximate claim passes when the observed number is within
//! a relative tolerance (±20% by default) of the claimed one, after both are
//! converted to a base unit (bytes, seconds). A bare observed number is read
//! both in the base unit (`sys.getsizeof` prints bytes) and in the claim's
//! unit (`print(ms)` under `# ~5 ms`). KB/MB/GB are ambiguous in the wild, so
//! both 1000 and 1024 bases are accepted unless configured otherwise.

use super::JudgeOptions;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// Which multiplier KB/MB/GB stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SizeBase {
    /// Accept either 1000 or 1024.
    Both,
    /// 1 KB = 1000 bytes.
    Decimal,
    /// 1 KB = 1024 bytes.
    Binary,
}

/// A unit an approximate claim may carry (serialized as its symbol).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// A bare number.
    #[serde(rename = "")]
    None,
    #[serde(rename = "bytes")]
    Bytes,
    KB,
    MB,
    GB,
    KiB,
    MiB,
    GiB,
    #[serde(rename = "s")]
    Seconds,
    #[serde(rename = "ms")]
    Millis,
    #[serde(rename = "us")]
    Micros,
    #[serde(rename = "ns")]
    Nanos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dimension {
    Plain,
    Size,
    Time,
}

/// A number (optionally signed, with `_` or `,`-thousands grouping, decimals
/// and exponent), anchored at the start.
pub(super) static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d[\d_]*)?(?:\.\d+)?(?:[eE][-+]?\d+)?").unwrap());

/// A unit word, anchored at the start (the caller checks what follows).
static UNIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:bytes|byte|B|KiB|MiB|GiB|KB|kB|MB|GB|seconds|second|secs|sec|s|ms|msec|us|µs|μs|ns)").unwrap()
});

impl Unit {
    /// Parses a unit word exactly.
    pub fn parse(word: &str) -> Option<Unit> {
        Some(match word {
            "bytes" | "byte" | "B" => Unit::Bytes,
            "KB" | "kB" => Unit::KB,
            "MB" => Unit::MB,
            "GB" => Unit::GB,
            "KiB" => Unit::KiB,
            "MiB" => Unit::MiB,
            "GiB" => Unit::GiB,
            "seconds" | "second" | "secs" | "sec" | "s" => Unit::Seconds,
            "ms" | "msec" => Unit::Millis,
            "us" | "µs" | "μs" => Unit::Micros,
            "ns" => Unit::Nanos,
            _ => return None,
        })
    }

    fn dimension(self) -> Dimension {
        match self {
            Unit::None => Dimension::Plain,
            Unit::Bytes | Unit::KB | Unit::MB | Unit::GB | Unit::KiB | Unit::MiB | Unit::GiB => Dimension::Size,
            _ => Dimension::Time,
        }
    }

    /// Multipliers to the base unit (several when KB/MB/GB are ambiguous).
    fn factors(self, base: SizeBase) -> Vec<f64> {
        let size = |p: i32| match base {
            SizeBase::Both => vec![1000f64.powi(p), 1024f64.powi(p)],
            SizeBase::Decimal => vec![1000f64.powi(p)],
            SizeBase::Binary => vec![1024f64.powi(p)],
        };
        match self {
            Unit::None | Unit::Bytes | Unit::Seconds => vec![1.0],
            Unit::KB => size(1),
            Unit::MB => size(2),
            Unit::GB => size(3),
            Unit::KiB => vec![1024.0],
            Unit::MiB => vec![1024f64.powi(2)],
            Unit::GiB => vec![1024f64.powi(3)],
            Unit::Millis => vec![1e-3],
            Unit::Micros => vec![1e-6],
            Unit::Nanos => vec![1e-9],
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Unit::None => "",
            Unit::Bytes => "bytes",
            Unit::KB => "KB",
            Unit::MB => "MB",
            Unit::GB => "GB",
            Unit::KiB => "KiB",
            Unit::MiB => "MiB",
            Unit::GiB => "GiB",
            Unit::Seconds => "s",
            Unit::Millis => "ms",
            Unit::Micros => "us",
            Unit::Nanos => "ns",
        }
    }
}

/// Reads a unit word at the start of `s` that is not followed by a letter;
/// returns it with its length in bytes.
pub(super) fn unit_at(s: &str) -> Option<(Unit, usize)> {
    let m = UNIT.find(s)?;
    if s[m.end()..].chars().next().is_some_and(char::is_alphanumeric) {
        return None;
    }
    Unit::parse(m.as_str()).map(|u| (u, m.end()))
}

/// Reads a number at the start of `s`; returns its value, its length and its
/// count of decimals.
pub(super) fn number_at(s: &str) -> Option<(f64, usize, usize)> {
    let m = NUMBER.find(s)?;
    let text = m.as_str();
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let clean: String = text.chars().filter(|&c| c != '_' && c != ',').collect();
    let value: f64 = clean.parse().ok()?;
    let mantissa = clean.split(['e', 'E']).next().unwrap_or("");
    let decimals = mantissa.split_once('.').map_or(0, |(_, d)| d.len());
    Some((value, m.end(), decimals))
}

/// A claimed approximate quantity, as written.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Quantity {
    pub value: f64,
    pub unit: Unit,
    /// Decimals written in the claim (`1.00` -> 2): half a unit of the last
    /// digit is always tolerated, so `~0.5 s` still means something near 0.
    pub decimals: usize,
    /// The unit as the author spelled it (`B`, `bytes`, `µs`).
    pub unit_text: String,
    /// A space between number and unit.
    pub spaced: bool,
}

impl Quantity {
    /// Whether an observed number (with its unit, if printed) is close
    /// enough to this claim.
    pub fn accepts(&self, actual: f64, actual_unit: Option<Unit>, opts: &JudgeOptions) -> bool {
        let claimed = self.unit.factors(opts.size_base);
        let half_digit = 0.5 * 10f64.powi(-(self.decimals as i32));
        let observed: Vec<f64> = match actual_unit {
            Some(u) if self.unit == Unit::None => vec![actual * u.factors(opts.size_base)[0]],
            Some(u) if u.dimension() != self.unit.dimension() => return false,
            Some(u) => u.factors(opts.size_base).iter().map(|f| actual * f).collect(),
            None => {
                let mut v = vec![actual];
                v.extend(claimed.iter().map(|f| actual * f));
                v
            }
        };
        // A measured duration only ever grows under load (a busy CI machine runs a 0.1 s sleep
        // in 0.2 s), so time claims accept up to `time_slack` times the claim above it.
        let slow_ok = self.unit.dimension() == Dimension::Time;
        claimed.iter().any(|f| {
            let c = self.value * f;
            let tol = (opts.rel_tolerance * c.abs()).max(half_digit * f);
            let upper = if slow_ok {
                (c * opts.time_slack).max(c + tol)
            } else {
                c + tol
            };
            observed
                .iter()
                .any(|a| *a >= c - tol * (1.0 + 1e-9) && *a <= upper * (1.0 + 1e-9))
        })
    }

    /// A fix for this claim given an observed value already in base units:
    /// `~` plus the value in the claim's unit, or in a better-sized unit of
    /// the same dimension when the claim's would read as 0 or >= 1000.
    pub fn rewrite(&self, base_value: f64, opts: &JudgeOptions) -> String {
        let f = self.unit.factors(opts.size_base)[0];
        let in_unit = base_value / f;
        let sep = if self.spaced { " " } else { "" };
        let shown = format!("{:.*}", self.decimals, in_unit);
        let zeroish = shown.trim_start_matches(['-', '0', '.']).is_empty();
        if self.unit == Unit::None || (!zeroish && in_unit.abs() < 1000.0) {
            return format!("~{shown}{sep}{}", self.unit_text);
        }
        let ladder: &[Unit] = match (self.unit.dimension(), self.unit) {
            (Dimension::Time, _) => &[Unit::Nanos, Unit::Micros, Unit::Millis, Unit::Seconds],
            (_, Unit::KiB | Unit::MiB | Unit::GiB) => &[Unit::Bytes, Unit::KiB, Unit::MiB, Unit::GiB],
            _ => &[Unit::Bytes, Unit::KB, Unit::MB, Unit::GB],
        };
        let base = if matches!(opts.size_base, SizeBase::Binary) {
            SizeBase::Binary
        } else {
            SizeBase::Decimal
        };
        let mut best = ladder[0];
        for &u in ladder {
            if base_value.abs() / u.factors(base)[0] >= 1.0 {
                best = u;
            }
        }
        let v = base_value / best.factors(base)[0];
        let decimals = if v.abs() >= 10.0 { 0 } else { 1 };
        let text = if best == Unit::Bytes && self.unit_text == "B" {
            "B"
        } else {
            best.symbol()
        };
        format!("~{v:.decimals$}{sep}{text}")
    }

    /// Converts an observed number to base units, for [`Quantity::rewrite`].
    /// A bare number is read the way that is closer to the claim (as base
    /// units, or in the claim's unit), mirroring [`Quantity::accepts`].
    pub fn observed_base(&self, actual: f64, actual_unit: Option<Unit>, opts: &JudgeOptions) -> f64 {
        if let Some(u) = actual_unit {
            return actual * u.factors(opts.size_base)[0];
        }
        let f = self.unit.factors(opts.size_base)[0];
        let claimed = (self.value * f).abs().max(f64::MIN_POSITIVE);
        let distance = |v: f64| (v.abs().max(f64::MIN_POSITIVE) / claimed).ln().abs();
        if distance(actual * f) < distance(actual) {
            actual * f
        } else {
            actual
        }
    }
}

/// Parses `~N unit` / `≈N unit` at the start of `s`; returns the quantity and
/// the bytes consumed.
pub(super) fn quantity_at(s: &str) -> Option<(Quantity, usize)> {
    let rest = s.strip_prefix('~').or_else(|| s.strip_prefix('≈'))?;
    let tilde = s.len() - rest.len();
    let lead = rest.len() - rest.trim_start_matches(' ').len();
    if lead > 1 {
        return None;
    }
    let (value, nlen, decimals) = number_at(&rest[lead..])?;
    let mut used = tilde + lead + nlen;
    let after = &s[used..];
    let gap = after.len() - after.trim_start_matches(' ').len();
    let (unit, unit_text, spaced) = match unit_at(&after[gap..]) {
        Some((u, ulen)) if gap <= 1 => {
            let text = after[gap..gap + ulen].to_string();
            used += gap + ulen;
            (u, text, gap == 1)
        }
        _ => {
            if after.chars().next().is_some_and(char::is_alphanumeric) {
                return None;
            }
            (Unit::None, String::new(), false)
        }
    };
    let q = Quantity {
        value,
        unit,
        decimals,
        unit_text,
        spaced,
    };
    Some((q, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        quantity_at(s).unwrap().0
    }

    #[test]
    fn parses_quantities() {
        let a = q("~8 MB");
        assert_eq!((a.value, a.unit, a.spaced), (8.0, Unit::MB, true));
        let b = q("~1.00s");
        assert_eq!((b.value, b.unit, b.decimals), (1.0, Unit::Seconds, 2));
        assert_eq!(q("≈ 200 bytes").unit, Unit::Bytes);
        assert_eq!(q("~3").unit, Unit::None);
        assert!(quantity_at("~about").is_none());
        assert!(quantity_at("~5 meters").is_some_and(|(q, n)| q.unit == Unit::None && n == 2));
    }

    #[test]
    fn tolerance_and_conversions() {
        let o = JudgeOptions::default();
        let mb = q("~8 MB");
        assert!(mb.accepts(8_000_056.0, None, &o));
        assert!(mb.accepts(8_448_728.0, None, &o));
        assert!(!mb.accepts(5_000_000.0, None, &o));
        assert!(mb.accepts(7.9, Some(Unit::MiB), &o));
        assert!(!mb.accepts(8.0, Some(Unit::Seconds), &o));
        let s = q("~1.00s");
        assert!(s.accepts(1.0123, Some(Unit::Seconds), &o));
        assert!(s.accepts(1003.0, Some(Unit::Millis), &o));
        assert!(!s.accepts(3.01, Some(Unit::Seconds), &o));
        let ms = q("~5 ms");
        assert!(ms.accepts(5.4, None, &o), "bare number read in the claim's unit");
        assert!(ms.accepts(0.0052, None, &o), "bare number read in seconds");
    }

    #[test]
    fn size_base_is_configurable() {
        let kb = q("~100 KB");
        let both = JudgeOptions::default();
        let dec = JudgeOptions {
            size_base: SizeBase::Decimal,
            rel_tolerance: 0.01,
            ..JudgeOptions::default()
        };
        let bin = JudgeOptions {
            size_base: SizeBase::Binary,
            rel_tolerance: 0.01,
            ..JudgeOptions::default()
        };
        assert!(kb.accepts(102_400.0, None, &both));
        assert!(kb.accepts(100_000.0, None, &dec));
        assert!(!kb.accepts(102_400.0, None, &dec));
        assert!(kb.accepts(102_400.0, None, &bin));
    }

    #[test]
    fn half_last_digit_is_always_tolerated() {
        let o = JudgeOptions::default();
        assert!(q("~0 s").accepts(0.3, None, &o));
        assert!(!q("~0.0 s").accepts(0.3, None, &o));
    }

    #[test]
    fn rewrites_in_a_readable_unit() {
        let o = JudgeOptions::default();
        assert_eq!(q("~8 MB").rewrite(2_100_000.0, &o), "~2 MB");
        assert_eq!(q("~8 MB").rewrite(104.0, &o), "~104 bytes");
        assert_eq!(q("~1.00s").rewrite(3.014, &o), "~3.01s");
        assert_eq!(q("~200 B").rewrite(104.0, &o), "~104 B");
        assert_eq!(q("~2 s").rewrite(0.004, &o), "~4.0 ms");
    }
}
