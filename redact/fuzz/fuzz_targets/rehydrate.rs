//! Rehydrate arbitrary text (model output) against sessions with mappings: no panic; every
//! reported unknown placeholder is the text at its offset, in order; text without any byte
//! that can start a placeholder comes back unchanged; and JSON restores to valid JSON.
//!
//! Input: byte 0 picks the session, the rest is the text (lossy UTF-8).
#![no_main]

use libfuzzer_sys::fuzz_target;
use redact::{rehydrate, rehydrate_json_str};
use redact_fuzz::sessions;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let session = &sessions()[pick as usize % sessions().len()];
    let text = String::from_utf8_lossy(rest);

    let (out, unknown) = rehydrate(&text, session);
    let mut end = 0;
    for u in &unknown {
        assert!(
            u.offset >= end,
            "unknown placeholders out of order: {unknown:?}"
        );
        assert_eq!(
            text.get(u.offset..u.offset + u.text.len()),
            Some(u.text.as_str())
        );
        end = u.offset + u.text.len();
    }
    let may_start =
        |b: u8| matches!(b, b'[' | b'(' | b'{' | b'<' | b'\\' | 0xE3) || b.is_ascii_uppercase();
    if !text.bytes().any(may_start) {
        assert_eq!(out, text);
    }

    if let Ok((json, _)) = rehydrate_json_str(&text, session) {
        serde_json::from_str::<serde_json::Value>(&json).expect("rehydrated JSON is valid");
    }
});
