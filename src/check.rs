//! The static half of the pipeline for one file: read, parse, extract, validate.
//! Pure and independent per file, so files run in parallel under rayon.

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::document::{self, EntryDocument};
use crate::entry::Document;
use crate::parts;
use crate::rules::parse as rules;
use crate::source::{ReadError, SourceFile, Span};
use crate::validate::Policies;
use std::path::{Path, PathBuf};

/// A file after the static checks: its model, documents and diagnostics so far.
pub struct CheckedFile {
    pub path: PathBuf,
    pub source: Option<SourceFile>,
    pub doc: Document,
    pub documents: Vec<EntryDocument>,
    pub diagnostics: Vec<Diagnostic>,
}

/// `keep_documents`: keep each entry's JSON document (for `inspect`); a check drops them.
pub fn check_file(path: &Path, policy: &Policies, config: &Config, keep_documents: bool) -> CheckedFile {
    check_bytes(path, None, policy, config, keep_documents)
}

/// [`check_file`] on `bytes` when given (standard input, shown as `path`) instead of the file.
pub fn check_bytes(
    path: &Path,
    bytes: Option<&[u8]>,
    policy: &Policies,
    config: &Config,
    keep_documents: bool,
) -> CheckedFile {
    let mut checked = CheckedFile {
        path: path.to_path_buf(),
        source: None,
        doc: Document::default(),
        documents: Vec::new(),
        diagnostics: Vec::new(),
    };
    let read = match bytes {
        Some(b) => SourceFile::from_bytes(path.to_path_buf(), b),
        None => SourceFile::read(path),
    };
    let source = match read {
        Ok(s) => s,
        Err(e) => {
            let mut d = rules::unreadable_file(&e);
            // Show invalid UTF-8 in context: a lossy copy keeps every offset before the bad byte.
            if let ReadError::NotUtf8 { offset, .. } = e {
                if let Some(bytes) = bytes.map(<[u8]>::to_vec).or_else(|| std::fs::read(path).ok()) {
                    let bytes = crate::source::strip_bom(&bytes);
                    let lossy = SourceFile::new(path.to_path_buf(), &String::from_utf8_lossy(bytes));
                    d.span = Span::new(offset, offset + '\u{FFFD}'.len_utf8());
                    d.label = "first invalid byte".into();
                    checked.source = Some(lossy);
                }
            }
            checked.diagnostics.push(d);
            return checked;
        }
    };
    let doc = crate::markdown::parse(&source, config.entries, config.dialect);
    if source.text.trim().is_empty() {
        checked
            .diagnostics
            .push(rules::empty_file(Span::new(0, source.text.len())));
    }
    checked.diagnostics.extend(doc.problems.iter().cloned());
    if let Some(&first) = doc.outside_blocks.first() {
        checked
            .diagnostics
            .push(rules::code_outside_entries(first, doc.outside_blocks.len()));
    }
    let policy = policy.for_mode(doc.mode);
    for entry in &doc.entries {
        let parts = parts::classify(entry, &config.parts);
        let d = document::build(&source, &doc, entry, &parts);
        checked.diagnostics.extend(policy.check(&d));
        if keep_documents {
            checked.documents.push(d);
        }
    }
    checked.source = Some(source);
    checked.doc = doc;
    checked
}
