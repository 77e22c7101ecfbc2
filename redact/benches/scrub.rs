//! Scrub throughput (plain harness): `cargo bench --bench scrub`.
//!
//! Prints MB/s on PII-dense prose and on plain prose, MB/s of rehydration,
//! and time against input size (1, 4, 16 MB; best of 18, 6 and 3 runs) as
//! ratios to the 1 MB time —
//! linear work shows ratios near 4 and 16.
//!
//! With `SCRUB_BENCH_DUMP=<dir>`, the two 4 MB texts it measures are also written there
//! (`dense.txt`, `plain.txt`), so that `scripts/bench-redact.sh` can time a Python baseline
//! (Presidio) on exactly the same input.

use redact::{rehydrate, Scrubber, ScrubberConfig, Session};
use std::hint::black_box;
use std::time::{Duration, Instant};

const MB: usize = 1 << 20;

const FIRST: &[&str] = &[
    "Alice",
    "Priya",
    "Marcus",
    "Elena",
    "Jonas",
    "Aisha",
    "Kenji",
    "Daniel",
    "Sophie",
    "Gregory",
    "Katharina",
    "Camille",
    "Alejandro",
    "Luca",
    "Pieter",
    "Hiroshi",
    "Yuki",
    "Fatima",
    "Olga",
    "Benjamin",
];
const LAST: &[&str] = &[
    "Smith",
    "Raman",
    "Oyelaran",
    "Sokolova",
    "Lindqvist",
    "Bello",
    "Watanabe",
    "Okafor",
    "Marchetti",
    "Albright",
    "Brandt",
    "Durand",
    "Ruiz",
    "Bianchi",
    "Vries",
    "Nakamura",
    "Tanaka",
    "Zahra",
    "Ivanova",
    "Oduya",
];
const STREETS: &[&str] = &[
    "Maple Grove Lane",
    "Harbour Road",
    "Elm Street",
    "Sycamore Court",
    "Lakeview Blvd",
];

const PLAIN: &[&str] = &[
    "The quarterly review covered latency, error budgets and the migration plan for the storage tier.",
    "We agreed to ship version 4.2.1 on Friday after the load test passes at 1,200 requests per second.",
    "Costs rose by 12.5% in Q3, mostly from egress; the team will revisit caching before November.",
    "The meeting is on May 5 at 3pm in room 101 and the agenda has seven items, including hiring.",
    "Please keep the runbook current: restart order, health checks, and the rollback steps matter most.",
    "Throughput stayed flat while p99 latency improved from 420 ms to 250 ms after the index change.",
];

/// Deterministic PRNG.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.next() % xs.len()]
    }
}

fn dense_sentence(r: &mut Rng, out: &mut String) {
    let (f, l) = (r.pick(FIRST), r.pick(LAST));
    let n = r.next() % 10_000;
    match r.next() % 6 {
        0 => out.push_str(&format!(
            "Please call {f} {l} at +44 20 7946 {n:04} or write to {}.{}{n}@example.com about the renewal. ",
            f.to_lowercase(),
            l.to_lowercase()
        )),
        1 => out.push_str(&format!(
            "Customer: {f} {l}, DOB: 03/{:02}/1985, ships to {} {}, Apt 4B, Columbus, OH 43215. ",
            n % 28 + 1,
            n % 9000 + 10,
            r.pick(STREETS)
        )),
        2 => out.push_str(&format!(
            "Dr. {l} reviewed the claim; refund to DE89 3704 0044 0532 0130 00 from card 4111 1111 1111 1111. "
        )),
        3 => out.push_str(&format!(
            "Login from 203.0.113.{} by {f} failed; SSN 219-09-{n:04} was on the form, phone 555-014-{n:04}. ",
            n % 250
        )),
        4 => out.push_str(&format!(
            "Dear {f}, thanks for visiting Acme Robotics Inc. yesterday. {l} will follow up by Friday. "
        )),
        _ => out.push_str(&format!(
            "The VPN URL https://admin:pw{n}@vpn.example.net/x leaked; {f} {l} rotated it at 10:{:02}. ",
            n % 60
        )),
    }
}

fn corpus(bytes: usize, dense: bool, seed: u64) -> String {
    let mut r = Rng(seed);
    let mut s = String::with_capacity(bytes + 256);
    while s.len() < bytes {
        if dense {
            dense_sentence(&mut r, &mut s);
        } else {
            s.push_str(r.pick(PLAIN));
            s.push(' ');
        }
        if r.next().is_multiple_of(8) {
            s.push('\n');
        }
    }
    s
}

fn scrubber() -> Scrubber {
    Scrubber::new(ScrubberConfig {
        max_input_bytes: 64 * MB,
        max_session_entities: usize::MAX,
        ..ScrubberConfig::default()
    })
}

/// Best of `runs` timings of one scrub of `text` with a fresh session.
fn time_scrub(s: &Scrubber, text: &str, runs: usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut reps = 0;
    for _ in 0..runs {
        let mut session = Session::new();
        let t = Instant::now();
        let out = s.scrub(black_box(text), &mut session).expect("scrub");
        best = best.min(t.elapsed());
        reps = out.replacements.len();
        black_box(out);
    }
    (best, reps)
}

fn mbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / MB as f64 / d.as_secs_f64()
}

fn main() {
    let s = scrubber();
    // warm up lazily compiled patterns
    let _ = time_scrub(&s, &corpus(64 * 1024, true, 1), 1);

    println!("== scrub throughput (4 MB inputs, best of 3)");
    for (label, dense) in [("PII-dense prose", true), ("plain prose", false)] {
        let text = corpus(4 * MB, dense, 7);
        if let Some(dir) = std::env::var_os("SCRUB_BENCH_DUMP") {
            let name = if dense { "dense.txt" } else { "plain.txt" };
            std::fs::write(std::path::Path::new(&dir).join(name), &text).expect("dump the text");
        }
        let (d, reps) = time_scrub(&s, &text, 3);
        println!(
            "{label:>16}: {:>7.2} MB/s  ({:.0} ms, {reps} replacements, {:.1} per KB)",
            mbps(text.len(), d),
            d.as_secs_f64() * 1e3,
            reps as f64 / (text.len() as f64 / 1024.0)
        );
    }

    println!("== rehydrate throughput (PII-dense, 4 MB of scrubbed text)");
    {
        let text = corpus(4 * MB, true, 7);
        let mut session = Session::new();
        let out = s.scrub(&text, &mut session).expect("scrub");
        let t = Instant::now();
        let (back, _) = rehydrate(black_box(&out.text), &session);
        let d = t.elapsed();
        assert_eq!(back, text);
        println!("{:>16}: {:>7.2} MB/s", "rehydrate", mbps(out.text.len(), d));
    }

    println!("== linearity: time vs input size (mixed prose, 1 in 4 sentences PII-dense)");
    let mut base = None;
    for size in [1, 4, 16] {
        let mut r = Rng(99);
        let mut text = String::with_capacity(size * MB + 256);
        while text.len() < size * MB {
            if r.next().is_multiple_of(4) {
                dense_sentence(&mut r, &mut text);
            } else {
                text.push_str(r.pick(PLAIN));
                text.push(' ');
            }
        }
        let (d, _) = time_scrub(&s, &text, 16 / size + 2);
        let b = *base.get_or_insert(d.as_secs_f64());
        println!(
            "{size:>4} MB: {:>8.0} ms  {:>7.2} MB/s  time ratio vs 1 MB: {:>5.2} (linear = {size})",
            d.as_secs_f64() * 1e3,
            mbps(text.len(), d),
            d.as_secs_f64() / b
        );
    }
}
