//! Ordinary prose must come through the scrubber unchanged: years, amounts,
//! versions, dates, times, room numbers, measurements, code.

use redact::{Scrubber, Session};

fn unchanged(text: &str) {
    let s = Scrubber::default();
    let mut session = Session::new();
    let out = s.scrub(text, &mut session).expect("scrub");
    assert_eq!(out.text, text, "changed: {:?}", out.replacements);
    assert!(session.is_empty());
}

#[test]
fn the_reference_sentence() {
    unchanged("The meeting is on May 5 at 3pm in room 101, version 2.4.1, total $1,234.56");
}

#[test]
fn numbers_dates_and_versions() {
    for t in [
        "Revenue grew from $12.5M in 2019 to $48.1M in 2023, a 3.8x increase.",
        "Between 2019-2023 we shipped 1 234 567 units; Q3 2024 guidance is 450,000.",
        "Deploy 10.4.2 then 10.4.3-rc1; rollback to v9.12.0 if p99 latency > 250 ms.",
        "The invoice dated 2024-05-05 (05/05/2024) is due on 04.06.2024 at 17:30.",
        "Call the meeting to order at 9:15; 14 of 20 members present (70%).",
        "Set timeout=30000 and retries=5; port 8080, pid 44123, exit code 137.",
        "Coordinates 48.8566, 2.3522 and elevation 35 m; temperature -3.5 °C.",
        "Order #10023456 shipped in 3 boxes weighing 2.5 kg, 1.75 kg and 0.9 kg.",
        "Python 3.12.1, Rust 1.95.0, Node 20.20.2 and Postgres 15.18 are supported.",
        "ISBN 978-3-16-148410-0 is cited on pages 112-118 of the 2nd edition.",
        "Room 4.12, floor 3, building B; the lab holds 16 GPUs with 80 GB each.",
        "Error E1102 at line 2045, column 17; see RFC 7231 section 6.5.1.",
        "Prices: 19,99 € statt 24,99 €; Lieferung in 3-5 Werktagen.",
        "The 1990s and 2000s saw 4 recessions; unemployment peaked at 10.0% in 2009.",
    ] {
        unchanged(t);
    }
}

#[test]
fn capitalised_words_that_are_not_names() {
    for t in [
        "May I ask whether the Will is valid? Grace periods end in June.",
        "The Board met on Monday. Summer sales beat Spring; March was slow.",
        "Hi Team, please review the Q3 Plan before Friday. Thanks, The Platform Group",
        "Dear Customer, your Order has shipped. Regards, Support",
        "Apple, Microsoft and Google announced results. NASA and the EU agreed.",
        "We walked 5 miles down the road and had 3 big dogs with us.",
        "use std::fmt; fn main() { let x = a::b(); } // see crate::session",
        "The Rust Book, chapter 7, covers Packages and Crates.",
    ] {
        unchanged(t);
    }
}

#[test]
fn urls_without_personal_data_stay() {
    unchanged(
        "Docs at https://docs.rs/regex/latest/regex/ and https://example.com/pricing?plan=pro.",
    );
    unchanged("Mirror: www.example.org/downloads/v2.4.1/ (see /usr/local/bin and /etc/hosts).");
}

#[test]
fn ip_lookalikes_stay() {
    unchanged("Versions 1.2.3.4.5 and v10.0.0.1; OID 1.3.6.1.4.1 and build 2.0.0.12-rc.");
    unchanged("MAC 00:1a:2b:3c:4d:5e, time 12:30:45, ratio 16:9, Rust path a::b::c.");
}
