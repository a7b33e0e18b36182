//! Settings, resolved in one place.
//!
//! A setting has layers, lowest first: the built-in defaults (the `Default`s of
//! [`crate::config`]), qa-lint.toml, the command line, then per file its front matter
//! (`qa-lint: {timeout, requires, skip}`) and per block its directives. [`RunSettings::resolve`]
//! merges the run-wide layers once, into a new value (the effective configuration,
//! [`RunSettings::config`], beside the run's own settings; the loaded config is not changed); [`FileSettings::of`] and [`plan_entry`] merge the per-entry
//! ones into an [`EntryPlan`]. Everything downstream reads those values, so no step re-derives
//! a default or clamps a value a second time (ripgrep's model: low-level flags are parsed
//! once, then turned into the one high-level value everything reads).

pub mod show;
use crate::config::{Config, Dialect, EntryMode, Isolation};
use crate::entry::{CodeBlock, Document};
use crate::exec::{Limits, Sandbox};
use crate::select::Selection;
use crate::shard::Shard;
use std::path::PathBuf;
use std::time::Duration;

/// Below this an entry cannot even start its child; above it (a day) the watchdog's deadline
/// arithmetic would overflow, and no example needs it.
const TIMEOUT_RANGE_SECS: (f64, f64) = (0.1, 86_400.0);

/// A timeout in seconds, from any layer, as the limit an entry runs under: the one clamp.
pub fn timeout(secs: f64) -> Duration {
    let (min, max) = TIMEOUT_RANGE_SECS;
    // `f64::max` and `min` drop a NaN, so `timeout = nan` in TOML becomes the shortest.
    Duration::from_secs_f64(secs.max(min).min(max))
}

/// What the command line of a check run says, as cli.rs parsed it; `None` leaves the layer
/// below (the config, then the built-in default) in force.
#[derive(Debug, Default)]
pub struct CommandLine {
    pub paths: Vec<PathBuf>,
    /// `None` or `0`: the number of cores.
    pub jobs: Option<usize>,
    pub no_exec: bool,
    /// `None` = no cache.
    pub cache_dir: Option<PathBuf>,
    pub shard: Option<Shard>,
    pub changed_since: Option<String>,
    pub quiet: bool,
    pub stdin: Option<(PathBuf, Vec<u8>)>,
    pub entries: Option<EntryMode>,
    pub dialect: Option<Dialect>,
    pub selection: Selection,
    pub strict_sandbox: bool,
    pub require_verified: bool,
    pub force_exclude: bool,
    pub forbid_exec: bool,
    /// `--sandbox`: the kernel confinement asked for.
    pub sandbox: crate::exec::confine::SandboxMode,
}

/// The settings of one run, after every run-wide layer.
pub struct RunSettings {
    pub paths: Vec<PathBuf>,
    /// Static-check threads and Python workers alike; at least 1.
    pub jobs: usize,
    pub exec: bool,
    /// `None` = no cache.
    pub cache_dir: Option<PathBuf>,
    pub shard: Option<Shard>,
    /// Only files changed since this git revision.
    pub changed_since: Option<String>,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Check this text (read from standard input) as the file named here instead of `paths`.
    pub stdin: Option<(PathBuf, Vec<u8>)>,
    /// What every entry runs under unless its own plan says otherwise.
    pub limits: Limits,
    /// `--forbid-exec`: an entry missing from the cache fails the run instead of running.
    pub forbid_exec: bool,
    /// How the workers are confined (`--sandbox`, `--strict-sandbox`, what the kernel offers).
    pub policy: crate::exec::confine::Policy,
    /// What the user should know about the settings before the run (a weaker sandbox).
    pub warnings: Vec<String>,
    /// The environment variables qa-lint reads, read once here.
    pub env: crate::environment::Environment,
    /// The effective configuration: qa-lint.toml's (or the defaults) with the command line's
    /// entry mode, dialect, rule selection and `--strict-sandbox` applied.
    pub config: Config,
}

impl RunSettings {
    /// The run's settings: `config` (the built-in defaults and qa-lint.toml, as loaded) with
    /// the command line on top. The loaded config is left as it is; every step reads the
    /// merged one, [`RunSettings::config`]. `schema_rules` are the rule names the schemas add,
    /// for `--select`.
    pub fn resolve(config: &Config, cli: CommandLine, schema_rules: &[String]) -> Result<RunSettings, String> {
        let mut config = config.clone();
        config.entries = cli.entries.unwrap_or(config.entries);
        config.dialect = cli.dialect.unwrap_or(config.dialect);
        cli.selection.apply(&mut config, schema_rules)?;
        config.exec.require_verified |= cli.require_verified;
        config.force_exclude |= cli.force_exclude;
        if cli.strict_sandbox {
            let exec = &mut config.exec;
            (exec.allow_network, exec.allow_subprocess, exec.allow_writes_outside) = (false, false, false);
            exec.strict_sandbox = true;
            // A pull request nobody has read yet: reaching past the sandbox is the finding, so
            // an error unless the (trusted) configuration says otherwise.
            config
                .rules
                .entry(crate::rules::Rule::SandboxViolation.name().to_string())
                .or_insert(crate::config::RuleLevel::Error);
        }
        let jobs = match cli.jobs {
            Some(n) if n > 0 => n,
            _ => crate::exec::pool::cores(),
        };
        // Confinement matters only when examples run; without a kernel that offers it the
        // run is refused (strict, `--sandbox=kernel`) or goes on with a warning.
        let (policy, warning) = if cli.no_exec {
            (
                crate::exec::confine::Policy {
                    kernel: false,
                    strict: cli.strict_sandbox,
                },
                None,
            )
        } else {
            crate::exec::confine::decide(cli.sandbox, cli.strict_sandbox)?
        };
        Ok(RunSettings {
            paths: cli.paths,
            jobs,
            exec: !cli.no_exec,
            cache_dir: cli.cache_dir,
            shard: cli.shard,
            changed_since: cli.changed_since,
            progress: !cli.quiet,
            stdin: cli.stdin,
            limits: limits(&config),
            forbid_exec: cli.forbid_exec,
            policy,
            warnings: warning.into_iter().collect(),
            env: crate::environment::Environment::read(),
            config,
        })
    }
}

/// The limits every entry runs under, from `[exec]` (also what salts the cache, so `qa-lint
/// server` reading a run's cache computes them the same way).
pub fn limits(config: &Config) -> Limits {
    Limits {
        timeout: timeout(config.exec.timeout),
        memory_bytes: config.exec.memory_mb << 20,
        reuse: config.exec.isolation != Isolation::Entry,
        ..Limits::default()
    }
}

/// A file's execution settings from its front matter (`qa-lint: {timeout, requires, skip}`).
#[derive(Debug, Default)]
pub struct FileSettings {
    timeout: Option<f64>,
    requires: Vec<String>,
    /// `skip: true` or `skip: "reason"`: none of the file's entries run.
    pub skip: bool,
}

impl FileSettings {
    pub fn of(doc: &Document) -> FileSettings {
        let Some(fm) = doc.front_matter.as_ref().and_then(|f| f.value.get("qa-lint")) else {
            return FileSettings::default();
        };
        FileSettings {
            timeout: fm.get("timeout").and_then(serde_json::Value::as_f64),
            requires: match fm.get("requires") {
                Some(serde_json::Value::String(s)) => s.split(',').map(|s| s.trim().to_string()).collect(),
                Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
                _ => Vec::new(),
            },
            skip: fm
                .get("skip")
                .is_some_and(|v| v.as_bool() == Some(true) || v.is_string()),
        }
    }
}

/// How one entry runs, after every layer.
#[derive(Debug, PartialEq)]
pub struct EntryPlan {
    pub timeout: Duration,
    /// Sorted, without duplicates.
    pub requires: Vec<String>,
    pub sandbox: Sandbox,
    /// Entries of one group may share a forked child (docs/architecture.md#isolation).
    pub group: String,
}

/// Merge the config, the file's front matter and the directives of the entry's `runnable`
/// blocks. `path` names the file, for the isolation group.
pub fn plan_entry<'a>(
    config: &Config,
    file: &FileSettings,
    path: String,
    runnable: impl IntoIterator<Item = &'a CodeBlock>,
) -> EntryPlan {
    let exec = &config.exec;
    let mut sandbox = Sandbox {
        allow_network: exec.allow_network,
        allow_subprocess: exec.allow_subprocess,
        allow_writes_outside: exec.allow_writes_outside,
    };
    let mut requires: Vec<String> = file.requires.iter().chain(&exec.requires).cloned().collect();
    // The largest `timeout=N` of a block sets the entry's limit (it may lower it too).
    let mut block_timeout: Option<f64> = None;
    for block in runnable {
        let d = &block.directives;
        requires.extend(d.requires.iter().cloned());
        for allow in d.allow.iter().filter(|_| !exec.strict_sandbox) {
            match allow.as_str() {
                "allow-network" => sandbox.allow_network = true,
                "allow-subprocess" => sandbox.allow_subprocess = true,
                _ => sandbox.allow_writes_outside = true,
            }
        }
        if let Some(t) = d.timeout_secs {
            block_timeout = Some(block_timeout.map_or(t, |b| b.max(t)));
        }
    }
    requires.sort();
    requires.dedup();
    let mut secs = block_timeout.or(file.timeout).unwrap_or(exec.timeout);
    // Under `--strict-sandbox` the front matter and the blocks are the pull request's: they may
    // lower the trusted configuration's timeout, never raise it. The limit that applies is
    // decided here once, so the timeout diagnostic names it.
    if exec.strict_sandbox {
        secs = secs.min(exec.timeout);
    }
    EntryPlan {
        timeout: timeout(secs),
        requires,
        sandbox,
        group: match exec.isolation {
            Isolation::Worker => "*".to_string(),
            _ => path,
        },
    }
}

/// The configuration and schema for files under `start`, found as `check` finds them.
pub fn load(
    start: &std::path::Path,
    config: Option<&std::path::Path>,
    schema: Option<&std::path::Path>,
) -> Result<(Config, crate::validate::Policies), miette::Report> {
    let mut config = Config::discover(start, config).map_err(|e| miette::Report::new(*e))?;
    let schema = schema
        .map(std::path::Path::to_path_buf)
        .or_else(|| config.schema_path());
    let policy = crate::validate::Policies::load(schema.as_deref(), config.sections_schema_path().as_deref())?;
    config
        .normalize_rules(&policy.rule_names())
        .map_err(|e| miette::Report::new(*e))?;
    Ok((config, policy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::CodeBlock;

    fn block(timeout: f64, requires: &[&str], allow: &[&str]) -> CodeBlock {
        CodeBlock {
            directives: crate::entry::Directives {
                timeout_secs: Some(timeout),
                requires: requires.iter().map(|s| s.to_string()).collect(),
                allow: allow.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            },
            ..CodeBlock::default()
        }
    }

    #[test]
    fn each_layer_overrides_the_one_below() {
        let mut config = Config::default();
        let file = FileSettings::default();
        let plan = plan_entry(&config, &file, "a.md".into(), []);
        assert_eq!(
            plan.timeout,
            Duration::from_secs_f64(crate::config::DEFAULT_TIMEOUT_SECS)
        );
        config.exec.timeout = 2.0;
        config.exec.requires = vec!["json".into()];
        assert_eq!(
            plan_entry(&config, &file, "a.md".into(), []).timeout,
            Duration::from_secs(2)
        );
        let file = FileSettings {
            timeout: Some(3.0),
            requires: vec!["csv".into(), "json".into()],
            skip: false,
        };
        let plan = plan_entry(&config, &file, "a.md".into(), []);
        assert_eq!(
            (plan.timeout, plan.requires.clone()),
            (Duration::from_secs(3), vec!["csv".into(), "json".into()])
        );
        // The largest block timeout wins, even below the file's.
        let blocks = [block(1.0, &["re"], &[]), block(0.5, &[], &["allow-network"])];
        let plan = plan_entry(&config, &file, "a.md".into(), &blocks);
        assert_eq!(plan.timeout, Duration::from_secs(1));
        assert_eq!(plan.requires, ["csv", "json", "re"]);
        assert!(plan.sandbox.allow_network && !plan.sandbox.allow_subprocess);
        // The default (`worker` isolation) groups every file; `file` isolation one file.
        assert_eq!(plan.group, "*");
        config.exec.isolation = Isolation::File;
        assert_eq!(plan_entry(&config, &file, "a.md".into(), &blocks).group, "a.md");
        // Strict runs ignore a block's allowances.
        config.exec.strict_sandbox = true;
        let plan = plan_entry(&config, &file, "a.md".into(), &blocks);
        assert!(!plan.sandbox.allow_network);
    }

    #[test]
    fn a_timeout_is_clamped_once_whatever_its_layer_says() {
        assert_eq!(timeout(0.0), Duration::from_millis(100));
        assert_eq!(timeout(f64::NAN), Duration::from_millis(100));
        assert_eq!(timeout(f64::INFINITY), Duration::from_secs(86_400));
        assert_eq!(timeout(2.5), Duration::from_millis(2500));
    }

    #[test]
    fn jobs_zero_means_the_cores_for_threads_and_workers_alike() {
        let cli = |jobs| CommandLine {
            jobs,
            ..CommandLine::default()
        };
        let cores = crate::exec::pool::cores();
        let config = Config::default();
        assert_eq!(RunSettings::resolve(&config, cli(Some(0)), &[]).unwrap().jobs, cores);
        assert_eq!(RunSettings::resolve(&config, cli(None), &[]).unwrap().jobs, cores);
        assert_eq!(RunSettings::resolve(&config, cli(Some(3)), &[]).unwrap().jobs, 3);
    }

    #[test]
    fn strict_sandbox_turns_every_allowance_off_in_the_effective_config_only() {
        let mut config = Config::default();
        config.exec.allow_network = true;
        config.exec.allow_writes_outside = true;
        let cli = CommandLine {
            strict_sandbox: true,
            ..CommandLine::default()
        };
        let e = RunSettings::resolve(&config, cli, &[]).unwrap().config.exec;
        assert!(e.strict_sandbox && !e.allow_network && !e.allow_subprocess && !e.allow_writes_outside);
        assert!(
            config.exec.allow_network && !config.exec.strict_sandbox,
            "the loaded config changed"
        );
    }

    #[test]
    fn the_command_line_wins_over_the_config_which_wins_over_the_defaults() {
        let defaults = RunSettings::resolve(&Config::default(), CommandLine::default(), &[]).unwrap();
        assert_eq!(defaults.config.entries, Config::default().entries);
        let mut file = Config {
            entries: EntryMode::Sections,
            ..Config::default()
        };
        file.rules.insert("timeout".into(), crate::config::RuleLevel::Warning);
        let from_file = RunSettings::resolve(&file, CommandLine::default(), &[]).unwrap();
        assert_eq!(from_file.config.entries, EntryMode::Sections);
        let cli = CommandLine {
            entries: Some(EntryMode::Qa),
            selection: Selection {
                ignore: vec!["timeout".into()],
                ..Selection::default()
            },
            ..CommandLine::default()
        };
        let both = RunSettings::resolve(&file, cli, &[]).unwrap();
        assert_eq!(both.config.entries, EntryMode::Qa);
        assert_eq!(both.config.rules.get("timeout"), Some(&crate::config::RuleLevel::Off));
        assert_eq!(file.entries, EntryMode::Sections, "the loaded config changed");
        assert_eq!(file.rules.get("timeout"), Some(&crate::config::RuleLevel::Warning));
    }
}
