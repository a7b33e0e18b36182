//! The environment variables qa-lint reads, read once, where a run's settings are resolved
//! (`settings::RunSettings::resolve`); every step is handed what it needs from here. Those that
//! give a flag its default (`QA_LINT_OUTPUT_FORMAT`, `QA_LINT_CACHE_DIR`, `QA_LINT_SANDBOX`,
//! `QA_LINT_FORBID_EXEC`) are read by clap with the flags. The worker process reads its own
//! environment (the one the pool gives it) when it starts CPython. docs/configuration.md lists
//! them all.

use std::ffi::OsString;

/// The strict cache's MAC key (`--strict-sandbox`, see cache.rs).
pub const CACHE_KEY_VAR: &str = "QA_LINT_CACHE_KEY";

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Environment {
    /// `VIRTUAL_ENV`: the environment whose packages the examples import; handed to the
    /// workers and salted into the cache keys.
    pub virtual_env: Option<OsString>,
    /// `QA_LINT_CACHE_KEY`, when set and not empty.
    pub cache_key: Option<String>,
    /// `QA_LINT_SPARE=0|1`: whether workers fork their next child ahead (the bench's
    /// before/after); unset: only when a core is left over.
    pub spare: Option<bool>,
    /// `QA_LINT_EXEC_TRACE`: the supervisor logs every fork, reuse and retirement to stderr,
    /// and what each step of confining a child took.
    pub exec_trace: Option<OsString>,
    /// `NO_COLOR`, set and not empty: no colour under `--color auto`.
    pub no_color: bool,
    /// `QA_LINT_CACHE_DIR`, for `qa-lint server` (the command line's `--cache-dir` default is
    /// clap's).
    pub cache_dir: Option<OsString>,
}

impl Environment {
    pub fn read() -> Environment {
        Environment {
            virtual_env: std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty()),
            cache_key: std::env::var(CACHE_KEY_VAR).ok().filter(|k| !k.is_empty()),
            spare: std::env::var("QA_LINT_SPARE").ok().map(|v| v != "0"),
            exec_trace: std::env::var_os("QA_LINT_EXEC_TRACE"),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            cache_dir: std::env::var_os("QA_LINT_CACHE_DIR").filter(|v| !v.is_empty()),
        }
    }
}
