//! Where a report goes: standard output, or a file written atomically when the run is over.
//!
//! A CI job that redirects the report (`qa-lint ... > report.json`) holds a file open while
//! the examples run; a snippet that reaches the file system could rename another file over it,
//! and the job would read that one. `--output-file` writes a temporary file next to the target
//! and renames it into place at the end, so whatever stood at the path during the run is
//! replaced. Both destinations go through [`CiSafe`], which keeps runner commands out of the log.

use super::escape::{CiSafe, Quoting};
use super::OutputFormat;
use std::io::Write;
use std::path::{Path, PathBuf};

enum Target {
    Stream(Box<dyn Write>),
    File {
        tmp: tempfile::NamedTempFile,
        path: PathBuf,
    },
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Target::Stream(w) => w.write(buf),
            Target::File { tmp, .. } => tmp.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Target::Stream(w) => w.flush(),
            Target::File { tmp, .. } => tmp.flush(),
        }
    }
}

/// A report being written; [`ReportSink::finish`] puts it in place.
pub struct ReportSink {
    out: std::io::BufWriter<CiSafe<Target>>,
}

impl ReportSink {
    /// To `path` (atomically), or to `stream` when there is none.
    pub fn open(path: Option<&Path>, stream: Box<dyn Write>, format: OutputFormat) -> std::io::Result<ReportSink> {
        let target = match path {
            Some(path) => {
                let dir = path
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                Target::File {
                    tmp: tempfile::NamedTempFile::new_in(dir)?,
                    path: path.to_path_buf(),
                }
            }
            None => Target::Stream(stream),
        };
        let quoting = match format {
            OutputFormat::Json | OutputFormat::JsonLines | OutputFormat::Sarif | OutputFormat::Gitlab => Quoting::Json,
            OutputFormat::Junit => Quoting::Xml,
            _ => Quoting::Text,
        };
        let safe = CiSafe::new(target, quoting);
        let safe = if format == OutputFormat::Github {
            safe.with_own_commands()
        } else {
            safe
        };
        Ok(ReportSink {
            out: std::io::BufWriter::new(safe),
        })
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        &mut self.out
    }

    /// Flushes the report and, for a file, renames it over the target path.
    pub fn finish(self) -> std::io::Result<()> {
        let mut safe = self.out.into_inner().map_err(|e| e.into_error())?;
        safe.flush()?;
        match safe.into_inner() {
            Target::Stream(_) => Ok(()),
            Target::File { tmp, path } => tmp.persist(&path).map(|_| ()).map_err(|e| e.error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_stood_at_the_path_during_the_run_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let mut sink = ReportSink::open(Some(&path), Box::new(std::io::sink()), OutputFormat::Json).unwrap();
        // What a snippet would do while the examples run: put its own file at the path.
        std::fs::write(&path, "[]").unwrap();
        writeln!(sink.writer(), "[{{\"message\": \"##[error]x\"}}]").unwrap();
        sink.finish().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[{\"message\": \"#\\u0023[error]x\"}]\n"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file is left"
        );
    }
}
