//! A measurement, not part of the engine: what one classifying pass over a text costs — the
//! floor under the "one tokenising pass" redesign that docs/BENCHMARKS.md ("Fourth look")
//! proposes for PII-dense prose.
//!
//! One table-driven loop over the bytes finds every word, digit run and capitalised word and
//! probes a hash set (~800 cue, suffix, title and name words) once per word; nothing is
//! validated. Best of 7 runs:
//!
//! ```sh
//! SCRUB_BENCH_DUMP=/tmp/texts cargo bench -p spark-redact --bench scrub   # writes dense.txt, plain.txt
//! cargo run --release -p spark-redact --example token_pass -- /tmp/texts/dense.txt
//! ```

use std::collections::HashMap;
use std::time::Instant;

/// Byte classes: other, lowercase (and any non-ASCII byte), uppercase, digit.
const OTHER: u8 = 0;
const LOWER: u8 = 1;
const UPPER: u8 = 2;
const DIGIT: u8 = 3;

const WORDS: &str =
    "born dob birth birthday birthdate geboren geb nacido nacida date of phone tel \
    mobile fax call ssn social card visa mastercard amex iban street st avenue ave road rd \
    boulevard blvd lane ln drive dr court ct place pl way terrace circle parkway highway square \
    trail crescent close row plaza mews grove gardens alley inc llc ltd limited gmbh ag corp co \
    plc sa sas sarl bv nv pty llp lp kg oy ab spa srl holdings incorporated asa as aps oyj se \
    kgaa sl ltda mr mrs ms miss dr prof sir dear hi hello regards thanks from to cc customer \
    client patient user marcus vries yuki brandt elena bello camille tanaka olga bianchi luca \
    marchetti alejandro katharina benjamin okafor durand sokolova nakamura watanabe";

/// What one pass found.
#[derive(Default)]
struct Tokens {
    words: usize,
    digit_runs: Vec<u32>,
    capitalised: Vec<(u32, u8)>,
    known: Vec<(u32, u8)>,
}

fn pass(
    text: &[u8],
    class: &[u8; 256],
    set: &HashMap<Vec<u8>, u8, foldhash::fast::RandomState>,
) -> Tokens {
    let mut t = Tokens {
        digit_runs: Vec::with_capacity(text.len() / 16),
        capitalised: Vec::with_capacity(text.len() / 16),
        known: Vec::with_capacity(text.len() / 64),
        ..Tokens::default()
    };
    let mut folded = [0u8; 32];
    let mut i = 0;
    while i < text.len() {
        let first = class[usize::from(text[i])];
        let start = i;
        match first {
            OTHER => i += 1,
            DIGIT => {
                while i < text.len() && class[usize::from(text[i])] == DIGIT {
                    i += 1;
                }
                t.digit_runs.push(start as u32);
            }
            _ => {
                let mut n = 0;
                while i < text.len() && matches!(class[usize::from(text[i])], LOWER | UPPER) {
                    if n < folded.len() {
                        folded[n] = text[i].to_ascii_lowercase();
                    }
                    n += 1;
                    i += 1;
                }
                t.words += 1;
                let len = n.min(255) as u8;
                if first == UPPER {
                    t.capitalised.push((start as u32, len));
                }
                if let Some(&k) = folded.get(..n).and_then(|w| set.get(w)) {
                    t.known.push((start as u32, k));
                }
            }
        }
    }
    t
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: token_pass FILE")?;
    let text = std::fs::read(path)?;
    let mut words: Vec<String> = WORDS.split_whitespace().map(str::to_string).collect();
    // a gazetteer's worth of entries (the engine's has about this many)
    words.extend((0..700).map(|i| format!("name{i}x")));
    let set = words
        .iter()
        .enumerate()
        .map(|(i, w)| (w.as_bytes().to_vec(), (i % 7) as u8 + 1))
        .collect();
    let mut class = [OTHER; 256];
    for b in 0..=255u8 {
        class[usize::from(b)] = match b {
            b'a'..=b'z' | 0x80..=0xff => LOWER,
            b'A'..=b'Z' => UPPER,
            b'0'..=b'9' => DIGIT,
            _ => OTHER,
        };
    }
    let mut best = f64::MAX;
    let mut found = Tokens::default();
    for _ in 0..7 {
        let started = Instant::now();
        found = std::hint::black_box(pass(&text, &class, &set));
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "{:.1} ms for {} bytes ({:.2} ns/byte): {} words, {} digit runs, {} capitalised, {} in the set",
        best * 1e3,
        text.len(),
        best * 1e9 / text.len() as f64,
        found.words,
        found.digit_runs.len(),
        found.capitalised.len(),
        found.known.len()
    );
    Ok(())
}
