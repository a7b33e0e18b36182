//! Claims a run could not settle, counted by cause.
//!
//! The verdict model (docs/claims.md, "The verdict"): an error needs evidence, a claim that
//! ran the way the page means it, with everything it depends on, and was false. A claim the
//! run cannot settle is *not verified*, never passed and never failed, and it is counted under
//! the one root cause that kept it from being checked, so that a clean report still says how
//! much of the page was proven.

use std::collections::BTreeMap;

/// Why a claim was not verified. The order is the order of the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// A name, module or object the page uses but does not define (tutorial context, a
    /// fragment of a larger program).
    Context,
    /// Its code does not run as shown (it does not compile, or a statement it depends on
    /// failed where nothing said it would).
    NotRunnable,
    /// A module that is not installed here.
    Module,
    /// A data file the reader is meant to have.
    File,
    /// The network.
    Network,
    /// Standard input, a terminal, the command line or an environment variable.
    Input,
    /// The run did not finish within the time limit (or crashed) before the claim's line.
    TimedOut,
    /// The value differs from run to run (the clock, random, addresses, set order).
    Nondeterministic,
    /// A claim for another Python than the one running.
    OtherPython,
    /// The page shows a placeholder (`?`, `...`) where the output would be.
    Placeholder,
}

impl Cause {
    /// The summary's words for `n` claims of this cause ("20 need context the page does not
    /// show").
    pub fn phrase(self, n: usize) -> String {
        let one = n == 1;
        let what = match self {
            Cause::Context => {
                if one {
                    "needs context the page does not show"
                } else {
                    "need context the page does not show"
                }
            }
            Cause::NotRunnable => {
                if one {
                    "is in code that does not run as shown"
                } else {
                    "are in code that does not run as shown"
                }
            }
            Cause::Module => {
                if one {
                    "needs a module that is not installed"
                } else {
                    "need modules that are not installed"
                }
            }
            Cause::File => {
                if one {
                    "needs a file that is not there"
                } else {
                    "need files that are not there"
                }
            }
            Cause::Network => {
                if one {
                    "needs the network"
                } else {
                    "need the network"
                }
            }
            Cause::Input => {
                if one {
                    "needs input, a terminal or the environment"
                } else {
                    "need input, a terminal or the environment"
                }
            }
            Cause::TimedOut => "did not run before a timeout or crash",
            Cause::Nondeterministic => {
                if one {
                    "varies from run to run"
                } else {
                    "vary from run to run"
                }
            }
            Cause::Placeholder => {
                if one {
                    "shows a placeholder, not an output"
                } else {
                    "show a placeholder, not an output"
                }
            }
            Cause::OtherPython => {
                if one {
                    "is for another Python"
                } else {
                    "are for another Python"
                }
            }
        };
        format!("{n} {what}")
    }
}

/// Claims not verified, by cause.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Unverified(pub BTreeMap<Cause, usize>);

impl Unverified {
    pub fn add(&mut self, cause: Cause, n: usize) {
        if n > 0 {
            *self.0.entry(cause).or_default() += n;
        }
    }

    pub fn merge(&mut self, other: &Unverified) {
        for (&c, &n) in &other.0 {
            self.add(c, n);
        }
    }

    pub fn total(&self) -> usize {
        self.0.values().sum()
    }

    pub fn get(&self, cause: Cause) -> usize {
        self.0.get(&cause).copied().unwrap_or(0)
    }

    /// "37 not verified: 20 need context the page does not show, 9 need the network"; empty
    /// when every claim was verified.
    pub fn line(&self) -> String {
        if self.total() == 0 {
            return String::new();
        }
        let parts: Vec<String> = self.0.iter().map(|(c, &n)| c.phrase(n)).collect();
        format!("{} not verified: {}", self.total(), parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_each_cause_in_a_fixed_order() {
        let mut u = Unverified::default();
        u.add(Cause::Network, 9);
        u.add(Cause::Context, 20);
        u.add(Cause::Nondeterministic, 1);
        u.add(Cause::Module, 0);
        assert_eq!(
            u.line(),
            "30 not verified: 20 need context the page does not show, 9 need the network, 1 varies from run to run"
        );
        assert_eq!(Unverified::default().line(), "");
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"context":20,"network":9,"nondeterministic":1}"#
        );
    }
}
