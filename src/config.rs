//! `qa-lint.toml` (or `[tool.qa-lint]` in `pyproject.toml`), found by walking up from the
//! first checked path, like ruff and typos do. No merging: the closest file wins.

use crate::parts::Cues;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    Error,
    Warning,
    Off,
}

/// How entries are kept apart (see docs/architecture.md).
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Isolation {
    /// Consecutive entries of one file share a forked child, with their state reset between
    /// them; an entry that could change process state gets a fresh child of its own.
    File,
    /// A fresh forked child for every entry (slower, the strictest).
    Entry,
    /// The default: one warm child runs the entries of many files, with what an entry can
    /// change checked and reset after it (qa_state.py); an entry that could change process
    /// state gets a fresh child, and a change that cannot be undone retires the child.
    #[default]
    Worker,
}

// Part of the document model (a file's front matter can set it too); the configuration
// names it as well.
pub use crate::entry::EntryMode;

/// Markdown extensions beyond CommonMark that change where code blocks are.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// `mkdocs` for a file that uses admonitions or content tabs, else `commonmark`.
    #[default]
    Auto,
    Commonmark,
    /// Material for MkDocs: fences indented under `!!!`/`???` admonitions and `===` tabs.
    Mkdocs,
}

/// Seconds an entry may run when no layer says otherwise: the one default (settings.rs clamps
/// whatever a layer sets).
pub const DEFAULT_TIMEOUT_SECS: f64 = 5.0;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExecConfig {
    /// `worker` (default), `file` or `entry`.
    pub isolation: Isolation,
    /// Seconds per entry.
    pub timeout: f64,
    /// Address-space limit per entry, in MiB.
    pub memory_mb: u64,
    /// A `requires=` module that is missing is an error instead of a warning.
    pub require_modules: bool,
    /// A failure that leaves claims unverified (an environment warning, code that does not
    /// run as shown) is an error: every claim must be proven.
    pub require_verified: bool,
    /// Modules every entry requires (like `requires=` on each block).
    pub requires: Vec<String>,
    pub allow_network: bool,
    pub allow_subprocess: bool,
    pub allow_writes_outside: bool,
    /// `--strict-sandbox`: every sandbox default holds whatever config and directives say.
    #[serde(skip)]
    pub strict_sandbox: bool,
}

impl Default for ExecConfig {
    fn default() -> Self {
        ExecConfig {
            isolation: Isolation::Worker,
            timeout: DEFAULT_TIMEOUT_SECS,
            memory_mb: 1024,
            require_modules: false,
            require_verified: false,
            requires: Vec::new(),
            allow_network: false,
            allow_subprocess: false,
            allow_writes_outside: false,
            strict_sandbox: false,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    /// Schema path, relative to the config file (all paths and globs: see `base_for_explicit`).
    pub schema: Option<PathBuf>,
    /// Schema for `entries = "sections"`, relative to the config file.
    pub sections_schema: Option<PathBuf>,
    /// `qa` or `sections` (a file's front matter `qa-lint: {entries: ...}` wins).
    pub entries: EntryMode,
    pub dialect: Dialect,
    /// Globs (relative to the config file) a walked file must match; empty = every Markdown file.
    pub include: Vec<String>,
    /// Globs of walked files to leave out. Files named on the command line are checked anyway,
    /// unless `force_exclude`.
    pub exclude: Vec<String>,
    /// Per-rule level: `error`, `warning` or `off`.
    pub rules: BTreeMap<String, RuleLevel>,
    /// Glob -> rule names to ignore in matching files.
    pub per_file_ignores: BTreeMap<String, Vec<String>>,
    /// `exclude` applies to files named on the command line too (`--force-exclude`): what
    /// pre-commit and editors pass is then filtered like a walked directory.
    pub force_exclude: bool,
    /// A baseline file (`--baseline`): findings it records are not reported.
    pub baseline: Option<PathBuf>,
    pub exec: ExecConfig,
    pub parts: Cues,
    /// Directory of the config file (paths and globs are relative to it).
    #[serde(skip)]
    pub root: PathBuf,
    #[serde(skip)]
    pub file: Option<PathBuf>,
    /// The config's text, for cache keys.
    #[serde(skip)]
    pub source: String,
}

/// A configuration problem, shown headed by the file it is in (not by a Rust module path),
/// with the offending text underlined and, for a misspelt name, the name probably meant.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {message}")]
pub struct ConfigError {
    pub path: String,
    pub message: String,
    pub src: miette::NamedSource<String>,
    pub span: Option<miette::SourceSpan>,
    /// "did you mean ..." when a name is close to a known one.
    pub hint: Option<String>,
}

impl ConfigError {
    fn new(path: &str, text: &str, message: String, span: Option<miette::SourceSpan>) -> Box<ConfigError> {
        let hint = suggest_for_serde_message(&message);
        Box::new(ConfigError {
            path: path.to_string(),
            src: miette::NamedSource::new(path, text.to_string()),
            message,
            span,
            hint,
        })
    }
}

impl miette::Diagnostic for ConfigError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.path))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(match &self.hint {
            Some(h) => h.clone(),
            None => "see docs/configuration.md for the keys qa-lint.toml accepts".to_string(),
        }))
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(miette::LabeledSpan::new_with_span(
            Some("here".into()),
            span,
        ))))
    }
}

/// serde names the accepted alternatives ("unknown field `shema`, expected one of `schema`,
/// ..."); offer the closest one.
fn suggest_for_serde_message(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (word, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    crate::rules::closest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The directory an explicit `--config`'s relative paths and globs (`schema`, `include`,
/// `exclude`, `per-file-ignores`) are relative to. A file inside the project's tree, or above
/// it, keeps its own directory. A file from elsewhere (the CI recipe's trusted copy of the
/// base branch's `qa-lint.toml` in `$RUNNER_TEMP`) still describes the project: its base is the
/// project's root, the nearest directory above `start` holding `.git`, else the current
/// directory (docs/configuration.md, "Which configuration applies").
fn base_for_explicit(config_dir: &Path, start: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (dir, here) = (canon(config_dir), canon(&cwd));
    if dir.starts_with(&here) || here.starts_with(&dir) {
        return config_dir.to_path_buf();
    }
    let start = canon(start);
    start
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map_or(cwd, Path::to_path_buf)
}

impl Config {
    /// Find and load the config for `start` (a file or directory), or use `explicit`.
    pub fn discover(start: &Path, explicit: Option<&Path>) -> Result<Config, Box<ConfigError>> {
        if let Some(p) = explicit {
            let mut config = Self::load(p, false)?.unwrap_or_default();
            config.root = base_for_explicit(&config.root, start);
            return Ok(config);
        }
        let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
        let mut dir = if start.is_dir() {
            Some(start.as_path())
        } else {
            start.parent()
        };
        while let Some(d) = dir {
            for name in ["qa-lint.toml", ".qa-lint.toml", "pyproject.toml"] {
                let p = d.join(name);
                if p.is_file() {
                    if let Some(c) = Self::load(&p, name == "pyproject.toml")? {
                        return Ok(c);
                    }
                }
            }
            dir = d.parent();
        }
        Ok(Config {
            root: std::env::current_dir().unwrap_or_default(),
            ..Config::default()
        })
    }

    /// Load one file; `None` for a pyproject.toml without `[tool.qa-lint]`.
    fn load(path: &Path, pyproject: bool) -> Result<Option<Config>, Box<ConfigError>> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::new(&shown, "", e.to_string(), None))?;
        let err =
            |e: toml::de::Error| ConfigError::new(&shown, &text, e.message().to_string(), e.span().map(|r| r.into()));
        let mut config: Config = if pyproject {
            #[derive(Deserialize)]
            struct Py {
                tool: Option<Tool>,
            }
            #[derive(Deserialize)]
            struct Tool {
                #[serde(rename = "qa-lint")]
                qa_lint: Option<toml::Value>,
            }
            let py: Py = toml::from_str(&text).map_err(err)?;
            let Some(section) = py.tool.and_then(|t| t.qa_lint) else {
                return Ok(None);
            };
            section.try_into().map_err(err)?
        } else {
            toml::from_str(&text).map_err(err)?
        };
        config.root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        config.file = Some(path.to_path_buf());
        config.source = text;
        Ok(Some(config))
    }

    /// Check `[rules]` names against the known rules (registry and schema `x-rule`s); codes
    /// such as `QA101` are accepted and turned into names. A typo is an error, not a no-op.
    pub fn normalize_rules(&mut self, schema_rules: &[String]) -> Result<(), Box<ConfigError>> {
        let mut out = BTreeMap::new();
        for (key, level) in std::mem::take(&mut self.rules) {
            let name = match crate::rules::lookup(&key) {
                Some(r) => r.name.to_string(),
                None if schema_rules.contains(&key) => key,
                None => {
                    let offset = self.source.find(&key);
                    let path = self
                        .file
                        .as_ref()
                        .map_or_else(|| "<config>".into(), |p| p.display().to_string());
                    let mut e = ConfigError::new(
                        &path,
                        &self.source,
                        format!("unknown rule `{key}` in [rules] (`qa-lint rules` lists them)"),
                        offset.map(|o| (o, key.len()).into()),
                    );
                    e.hint = crate::rules::did_you_mean(&key, schema_rules);
                    return Err(e);
                }
            };
            out.insert(name, level);
        }
        self.rules = out;
        Ok(())
    }

    pub fn schema_path(&self) -> Option<PathBuf> {
        self.schema.as_ref().map(|p| self.root.join(p))
    }

    pub fn baseline_path(&self) -> Option<PathBuf> {
        self.baseline.as_ref().map(|p| self.root.join(p))
    }

    pub fn sections_schema_path(&self) -> Option<PathBuf> {
        self.sections_schema.as_ref().map(|p| self.root.join(p))
    }
}
