//! `qa-lint merge REPORT...`: the JSON reports of shards as one report, in any format.

use super::{Exit, Failure};
use crate::report::{self, OutputFormat, RenderOptions};
use std::path::{Path, PathBuf};

pub fn run(paths: &[PathBuf], format: OutputFormat, output_file: Option<&Path>) -> Exit {
    let (files, summary) = report::merge::read(paths).map_err(Failure::msg)?;
    let render = RenderOptions {
        format,
        color: false,
        quiet: false,
        statistics: false,
        width: 100,
    };
    let mut sink = match report::sink::ReportSink::open(output_file, Box::new(std::io::stdout().lock()), format) {
        Ok(sink) => sink,
        Err(e) => {
            return Err(Failure::msg(format!(
                "cannot write {}: {e}",
                output_file.unwrap_or(Path::new("-")).display()
            )))
        }
    };
    if report::render(sink.writer(), &files, &summary, &render)
        .and_then(|_| sink.finish())
        .is_err()
    {
        return Err(Failure::Silent);
    }
    Ok(i32::from(summary.errors > 0))
}
