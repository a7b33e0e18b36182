//! Arbitrary text -> SourceFile::new + markdown::parse: every span of every entry, block,
//! problem and suppression lies inside the text on char boundaries; block line offsets
//! point at their code lines.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    qa_lint_fuzz::checks::check_markdown(&text);
});
