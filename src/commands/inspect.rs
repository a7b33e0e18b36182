//! `qa-lint inspect FILE...`: the JSON documents the schema sees, one array for all files.

use super::{Exit, Failure};
use crate::config::EntryMode;
use crate::settings::{load, CommandLine, RunSettings};
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn run(files: &[PathBuf], config: Option<&Path>, entries: Option<EntryMode>) -> Exit {
    let (config, policy) = load(&files[0], config, None)?;
    // The command line's layer goes on top of the config in one place, as for a check.
    let cli = CommandLine {
        entries,
        no_exec: true,
        ..CommandLine::default()
    };
    let config = match RunSettings::resolve(&config, cli, &policy.rule_names()) {
        Ok(opts) => opts.config,
        Err(e) => return Err(Failure::msg(e)),
    };
    // One array of documents whatever the number of files: each names its `file`.
    let mut docs = Vec::new();
    let mut code = 0;
    for file in files {
        let checked = crate::check::check_file(file, &policy, &config, true);
        if checked.source.is_none() {
            for d in &checked.diagnostics {
                eprintln!("error: {}: {}", file.display(), d.message);
            }
            code = 2;
            continue;
        }
        docs.extend(checked.documents.into_iter().map(|d| d.value));
    }
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, &docs);
    let _ = writeln!(out);
    Ok(code)
}
