//! Feed text to the streaming rehydrator in fuzzer-chosen chunks and check what
//! `StreamRehydrator` promises: the concatenated output (and the unknown placeholders) equal
//! one-shot `rehydrate`, however the text is split; the held-back tail never exceeds
//! `max_hold_back()` and starts with a byte that can begin a placeholder (all else is emitted
//! at once). In JSON-string mode, the output does not depend on the split either, and valid
//! JSON stays valid JSON.
//!
//! Input: byte 0 picks the session (and bit 7 the JSON-string mode), byte 1 the number of
//! chunk lengths that follow (mod 16), then one byte per chunk length; the rest is the text
//! (lossy UTF-8), whose remainder after the chunks is pushed last.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redact::{rehydrate, StreamRehydrator};
use redact_fuzz::{floor_boundary, sessions};

fuzz_target!(|data: &[u8]| {
    let (pick, n, rest) = match data {
        [a, b, rest @ ..] => (*a, *b as usize % 16, rest),
        _ => return,
    };
    let n = n.min(rest.len());
    let (lens, text) = rest.split_at(n);
    let text = String::from_utf8_lossy(text);
    let session = &sessions()[(pick & 0x7f) as usize % sessions().len()];
    let json_mode = pick & 0x80 != 0;

    let mut stream = if json_mode {
        StreamRehydrator::json_string(session)
    } else {
        StreamRehydrator::new(session)
    };
    let mut ends = Vec::with_capacity(lens.len() + 1);
    let mut at = 0;
    for &len in lens {
        at = floor_boundary(&text, at + len as usize);
        ends.push(at);
    }
    ends.push(text.len());
    let mut got = String::new();
    let mut at = 0;
    for end in ends {
        got += &stream.push(&text[at..end]);
        let held = stream.held_back();
        assert!(held <= stream.max_hold_back(), "held {held} bytes");
        assert!(held <= end, "held more than was pushed");
        if held > 0 {
            let b = text.as_bytes()[end - held];
            let may_start =
                matches!(b, b'[' | b'(' | b'{' | b'<' | b'\\' | 0xE3) || b.is_ascii_uppercase();
            assert!(may_start, "held back {:?}", &text[end - held..end]);
        }
        at = end;
    }
    got += &stream.finish();

    if json_mode {
        // the same text in one chunk
        let mut whole = StreamRehydrator::json_string(session);
        let mut once = whole.push(&text);
        once += &whole.finish();
        assert_eq!(got, once, "JSON-string stream depends on the split");
        assert_eq!(stream.unknown(), whole.unknown());
        if serde_json::from_str::<serde_json::Value>(&text).is_ok() {
            serde_json::from_str::<serde_json::Value>(&got).expect("valid JSON stays valid");
        }
    } else {
        let (expected, unknown) = rehydrate(&text, session);
        assert_eq!(got, expected, "stream differs from one-shot rehydrate");
        assert_eq!(stream.unknown(), unknown.as_slice());
    }
});
