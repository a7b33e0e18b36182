//! Running an entry's Python examples and turning the results into diagnostics.
//!
//! This module is the glue between the Markdown model ([`crate::entry`]), the worker pool
//! ([`crate::exec`]) and the claim grammar ([`crate::claims`]): it builds one job per entry
//! (its runnable blocks in order, its fixture files, its limits), runs the jobs, and judges
//! every claim against what the run observed ([`judge`]).

pub mod continuation;
mod expected_output;
mod judge;
pub mod page_session;
mod transcript;
pub mod unverified;

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::entry::{BlockKind, Document, Entry};
use crate::exec::{BlockJob, BlockMode, EntryJob, EntryOutcome};
use crate::settings::{self, FileSettings};
use crate::source::SourceFile;
use std::path::Path;

pub use judge::{judge_entry, Judged, Policy};

/// In [`PreparedEntry::block_map`]: a block of another entry, run first and not judged here.
pub const NOT_JUDGED: usize = usize::MAX;

/// One entry's job and how its blocks map back to the entry.
pub struct PreparedEntry {
    pub job: EntryJob,
    /// `job.blocks[i]` is `entry.blocks[block_map[i]]`.
    pub block_map: Vec<usize>,
    /// Problems found while preparing (a missing fixture file).
    pub diagnostics: Vec<Diagnostic>,
}

/// Build the job for one entry, or `None` when it has nothing to run. Its limits, requirements
/// and sandbox come from [`settings::plan_entry`]; this adds the blocks and fixture files.
///
/// `prelude`: transcripts of earlier sections this entry continues ([`page_session`]); they
/// run first and are not judged here (their own entry judges them).
pub fn prepare(
    file: &SourceFile,
    doc: &Document,
    entry: &Entry,
    config: &Config,
    prelude: &[&crate::entry::CodeBlock],
) -> Option<PreparedEntry> {
    let file_settings = FileSettings::of(doc);
    if file_settings.skip {
        return None;
    }
    let mut job = EntryJob::default();
    let mut block_map = Vec::new();
    for block in prelude {
        job.blocks.push(BlockJob {
            filename: format!("<qa:{}:{}>", file.display_path(), file.line_col(block.span.start).line),
            source: transcript::with_continuation_prompts(&block.code),
            mode: BlockMode::Session,
            fresh_namespace: false,
        });
        block_map.push(NOT_JUDGED);
    }
    let mut diagnostics = Vec::new();
    let base_dir = file
        .path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    for (i, block) in entry.blocks.iter().enumerate() {
        let d = &block.directives;
        if let Some(name) = &d.file {
            job.files.push((name.clone(), block.code.as_bytes().to_vec()));
        }
        for fixture in &d.fixtures {
            // A fixture comes from the project: an absolute path, or one that leaves both the
            // project root and the Markdown file's folder (`../../etc`, `/proc/self/environ`),
            // would hand a pull request any file the CI job can read.
            let inside = |root: &Path| {
                let Ok(full) = std::fs::canonicalize(base_dir.join(fixture)) else {
                    return true; // a missing file is reported as missing below
                };
                std::fs::canonicalize(root).is_ok_and(|root| full.starts_with(root))
            };
            if Path::new(fixture).is_absolute() || !(inside(&config.root) || inside(base_dir)) {
                diagnostics.push(crate::rules::execute::fixture_outside_project(block.span, fixture));
                continue;
            }
            match std::fs::read(base_dir.join(fixture)) {
                Ok(bytes) => {
                    let name = Path::new(fixture)
                        .file_name()
                        .map_or(fixture.clone(), |n| n.to_string_lossy().into_owned());
                    job.files.push((name, bytes));
                }
                Err(e) => diagnostics.push(crate::rules::execute::fixture_unreadable(
                    block.span,
                    fixture,
                    &e,
                    &base_dir.join(fixture),
                )),
            }
        }
        let kind = block.kind();
        // An unclosed fence swallowed the rest of the file: it is reported, not run.
        if kind == BlockKind::Other || d.skip.is_some() || block.unterminated {
            continue;
        }
        let mode = match (kind, d.compile_only) {
            // For a newer Python: not run, but what it would bind is marked, so that a later
            // block needing it is for another Python too, not a failure (judge/mod.rs).
            _ if too_new(block) => BlockMode::Lost,
            (_, true) => BlockMode::CompileOnly,
            // A file the page names and a later block imports: a module, not session code.
            (BlockKind::Python, _)
                if d.file.as_deref().is_some_and(|name| {
                    crate::markdown::file_blocks::imported(name, entry.blocks[i + 1..].iter().map(|b| b.code.as_str()))
                }) =>
            {
                BlockMode::CompileOnly
            }
            (BlockKind::Session, _) => BlockMode::Session,
            _ => BlockMode::Exec,
        };
        let line = file.line_col(block.span.start).line;
        job.blocks.push(BlockJob {
            // The file name, not the path as typed: `./content` and `content` share cache keys.
            filename: format!(
                "<qa:{}:{}>",
                file.path
                    .file_name()
                    .map_or_else(|| file.display_path(), |n| n.to_string_lossy().into_owned()),
                line
            ),
            source: match mode {
                BlockMode::Session => transcript::with_continuation_prompts(&block.code),
                _ => block.code.clone(),
            },
            mode,
            fresh_namespace: d.fresh,
        });
        block_map.push(i);
    }
    if job.blocks[prelude.len()..].iter().all(|b| b.mode == BlockMode::Lost) {
        return None;
    }
    let plan = settings::plan_entry(
        config,
        &file_settings,
        file.display_path(),
        block_map.iter().filter_map(|&i| entry.blocks.get(i)),
    );
    job.timeout = Some(plan.timeout);
    job.requires = plan.requires;
    job.sandbox = plan.sandbox;
    job.group = plan.group;
    Some(PreparedEntry {
        job,
        block_map,
        diagnostics,
    })
}

/// How output a page shows for a Python version is judged on the Python qa-lint runs. One
/// meaning wherever a page names a version (an output label, a transcript's heading comment,
/// a `>>> # Python 3.10` prompt): `3.8+` (`>= 3.8`, `3.8 or newer`) is what 3.8 and every
/// newer Python show; a bare `3.8` is what Python 3.8 showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionFit {
    /// Shown for this Python: judged as any output.
    Holds,
    /// Shown by an older Python 3: judged, and output that matches is verified; but a
    /// difference is no evidence against the page (that Python may have shown it), so it is
    /// counted as not verified, for another Python.
    Older,
    /// For a newer Python, or another major version: not judged here.
    Elsewhere,
}

/// How output shown for `version` (and newer ones, `or_newer`) is judged here.
pub fn version_fit((version, or_newer): crate::entry::ForPython) -> VersionFit {
    let running = running_python();
    if running.0 != version.0 || running < version {
        VersionFit::Elsewhere
    } else if running == version || or_newer {
        VersionFit::Holds
    } else {
        VersionFit::Older
    }
}

/// The Python that runs the examples, as (major, minor): the one the binary was built against
/// (a virtualenv must be of the same minor version, see docs/architecture.md), or in the wheel
/// the interpreter qa-lint is installed in.
pub fn running_python() -> (u32, u32) {
    let version = crate::exec::python_version_hint();
    let mut numbers = version
        .rsplit(' ')
        .next()
        .unwrap_or("")
        .split('.')
        .map(|n| n.parse().unwrap_or(0));
    (numbers.next().unwrap_or(3), numbers.next().unwrap_or(0))
}

/// A block marked for a newer Python (`requires="3.12"`) is skipped, never run and failed.
fn too_new(block: &crate::entry::CodeBlock) -> bool {
    block.directives.min_python.is_some_and(|v| v > running_python())
}

/// Runnable blocks of these entries that are skipped because they need a newer Python.
pub fn blocks_for_newer_python<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> usize {
    entries
        .into_iter()
        .flat_map(|e| &e.blocks)
        .filter(|b| b.kind() != BlockKind::Other && b.directives.skip.is_none() && !b.unterminated && too_new(b))
        .count()
}

/// Is this outcome a pass with nothing to say (used by the cache and the summary)?
pub fn blocks_run(outcome: &EntryOutcome) -> usize {
    match outcome {
        EntryOutcome::Completed(r)
        | EntryOutcome::TimedOut { result: r, .. }
        | EntryOutcome::Crashed { result: r, .. } => r.blocks.len(),
        EntryOutcome::MissingModules(_) => 0,
    }
}

/// What the examples of one file came to, judged: its diagnostics and its share of the run's
/// counts. Stored whole in the cache ([`crate::cache::Cache::file_key`]), so an unchanged file
/// is neither run nor judged again.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct FileExamples {
    pub diagnostics: Vec<Diagnostic>,
    /// Entries run (or taken from the cache).
    pub entries: usize,
    pub claims: usize,
    pub unverified: unverified::Unverified,
    pub not_runnable: usize,
    pub blocks_run: usize,
}

impl FileExamples {
    /// Adds one entry's judged outcome.
    pub fn add(&mut self, judged: Judged, outcome: &EntryOutcome) {
        self.entries += 1;
        self.claims += judged.claims;
        self.unverified.merge(&judged.unverified);
        self.not_runnable += judged.not_runnable;
        self.blocks_run += blocks_run(outcome);
        self.diagnostics.extend(judged.diagnostics);
    }
}
