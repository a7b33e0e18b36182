//! Text that starts with a front matter fence (`---\n` + arbitrary) -> markdown::parse,
//! with the same span invariants as the markdown target.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = format!("---\n{}", String::from_utf8_lossy(data));
    qa_lint_fuzz::checks::check_markdown(&text);
});
