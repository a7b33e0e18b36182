//! Arbitrary Python-ish source -> claims::extract_claims: ranges inside the source on char
//! boundaries; apply_fix re-extracts the same number of claims, the fix exactly at the range.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (seed, rest) = data.split_first().map_or((0, &[][..]), |(s, r)| (*s, r));
    let code = String::from_utf8_lossy(rest);
    qa_lint_fuzz::checks::check_claims(&code, seed);
});
