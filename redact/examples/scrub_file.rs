//! Scrubs the files given on the command line and prints the result
//! (a debugging aid: `cargo run --example scrub_file -- FILE…`).
use redact::{Scrubber, Session};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scrubber = Scrubber::default();
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path)?;
        let mut session = Session::new();
        let out = scrubber.scrub(&text, &mut session)?;
        println!("=== {path}\n{}", out.text);
    }
    Ok(())
}
