//! Scrub arbitrary text in two turns of one session and check what the crate promises:
//! no panic; each replacement names the placeholder written at its output range and the
//! session maps that placeholder back to the exact input bytes; the output is the input with
//! those ranges swapped (so its size is bounded); the same input scrubs the same way twice;
//! `rehydrate(scrub(x)) == x` for input without placeholder-shaped text, also after a later
//! turn grew the session; and streaming the scrubbed text gives the one-shot result.
//!
//! Input: byte 0 picks the scrubber, byte 1 where the text is cut into two turns, the rest
//! is the text (lossy UTF-8).
#![no_main]

use libfuzzer_sys::fuzz_target;
use redact::{rehydrate, RedactError, Scrubbed, Scrubber, Session, StreamRehydrator};
use redact_fuzz::{floor_boundary, placeholder_free, scrubbers};

fuzz_target!(|data: &[u8]| {
    let (pick, cut, text) = match data {
        [a, b, rest @ ..] => (*a as usize, *b as usize, String::from_utf8_lossy(rest)),
        _ => return,
    };
    let scrubber = &scrubbers()[pick % scrubbers().len()];
    let cut = floor_boundary(&text, text.len() * cut / 255);
    let (t1, t2) = text.split_at(cut);

    let mut session = Session::new();
    let Some(out1) = scrub_checked(scrubber, t1, &mut session) else {
        return;
    };
    // deterministic: a fresh session gives the same text
    let again = scrubber
        .scrub(t1, &mut Session::new())
        .expect("second scrub");
    assert_eq!(again, out1, "scrub is not deterministic");
    if placeholder_free(t1, &session) {
        assert_eq!(rehydrate(&out1.text, &session).0, t1, "round trip, turn 1");
    }

    let Some(out2) = scrub_checked(scrubber, t2, &mut session) else {
        return;
    };
    if placeholder_free(t2, &session) {
        assert_eq!(rehydrate(&out2.text, &session).0, t2, "round trip, turn 2");
    }
    // a later turn never changes what earlier placeholders stand for
    if placeholder_free(t1, &session) {
        assert_eq!(rehydrate(&out1.text, &session).0, t1, "turn 1 after turn 2");
    }

    // the scrubbed text streamed in 7-byte chunks restores as in one go
    let (expected, unknown) = rehydrate(&out2.text, &session);
    let mut stream = StreamRehydrator::new(&session);
    let mut got = String::new();
    let mut at = 0;
    while at < out2.text.len() {
        let mut end = floor_boundary(&out2.text, at + 7);
        if end == at {
            end = at + out2.text[at..].chars().next().map_or(1, char::len_utf8);
        }
        got += &stream.push(&out2.text[at..end]);
        assert!(stream.held_back() <= stream.max_hold_back());
        at = end;
    }
    got += &stream.finish();
    assert_eq!(got, expected, "stream of scrubbed text");
    assert_eq!(stream.unknown(), unknown.as_slice());
});

/// Scrubs `text` and checks the result against `text` and the session; `None` when the
/// input is over the scrubber's limit (refused without touching the session).
fn scrub_checked(scrubber: &Scrubber, text: &str, session: &mut Session) -> Option<Scrubbed> {
    let before = session.len();
    let out = match scrubber.scrub(text, session) {
        Ok(out) => out,
        Err(RedactError::InputTooLarge { .. }) => {
            assert!(text.len() > scrubber.config().max_input_bytes);
            assert_eq!(session.len(), before, "a refused input changed the session");
            return None;
        }
        Err(e) => panic!("scrub failed: {e}"),
    };
    // the output is the input with each replacement's range swapped for its placeholder
    let mut rebuilt = String::with_capacity(out.text.len());
    let mut last = 0;
    for r in &out.replacements {
        assert!(
            last <= r.original.start && r.original.start < r.original.end,
            "replacement ranges overlap, are out of order or empty: {:?}",
            out.replacements
        );
        rebuilt.push_str(&text[last..r.original.start]);
        assert_eq!(r.scrubbed.start, rebuilt.len());
        let ph = r.placeholder.text();
        rebuilt.push_str(&ph);
        assert_eq!(&out.text[r.scrubbed.clone()], ph);
        assert_eq!(r.kind, r.placeholder.kind);
        let value = session.value(r.kind, r.placeholder.number, Some(r.placeholder.variant));
        assert_eq!(
            value,
            Some(&text[r.original.clone()]),
            "session value of {ph}"
        );
        last = r.original.end;
    }
    rebuilt.push_str(&text[last..]);
    assert_eq!(rebuilt, out.text);
    assert!(out.text.len() <= text.len() + out.replacements.len() * session.max_placeholder_len());
    Some(out)
}
