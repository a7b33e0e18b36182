//! Baseline for `bench/run.sh`: the cost of pulldown-cmark alone on the same bytes qa-lint reads.
//!
//! `cargo build --release --example bare_parse`, then
//! `target/release/examples/bare_parse FILE...`: reads each file and runs
//! `pulldown_cmark::Parser` (with the options qa-lint uses, offsets included) over it, counting
//! events. Prints the file count and the event total, so the parse cannot be optimised away.

use pulldown_cmark::{Options, Parser};

fn main() {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let (mut files, mut events) = (0usize, 0usize);
    for path in std::env::args_os().skip(1) {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}: {e}", path.to_string_lossy());
                std::process::exit(2);
            }
        };
        events += Parser::new_ext(&text, opts).into_offset_iter().count();
        files += 1;
    }
    println!("{files} files, {events} events");
}
