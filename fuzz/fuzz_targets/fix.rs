//! Arbitrary Markdown -> a claim of a Python block fixed in the Markdown the way --fix maps
//! it -> re-parse: same entries/blocks, the block's code equals the code-level apply_fix.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (seed, rest) = data.split_first().map_or((0, &[][..]), |(s, r)| (*s, r));
    let text = String::from_utf8_lossy(rest);
    qa_lint_fuzz::checks::check_fix(&text, seed);
});
