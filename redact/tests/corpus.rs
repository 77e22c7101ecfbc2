//! Golden leak test: every text under tests/corpus/ is scrubbed and none of
//! the PII strings listed for it in manifest.json may survive (compared
//! case-insensitively, as whole words); rehydration must restore the text
//! byte for byte.

use redact::{rehydrate, KnownEntity, Scrubber, Session};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Deserialize)]
struct Entry {
    file: String,
    pii: Vec<String>,
    #[serde(default)]
    known_people: Vec<String>,
    #[serde(default)]
    known_orgs: Vec<String>,
    #[serde(default)]
    unchanged: bool,
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn load() -> Vec<(Entry, String)> {
    let manifest = std::fs::read_to_string(corpus_dir().join("manifest.json"))
        .expect("tests/corpus/manifest.json is readable");
    let entries: Vec<Entry> = serde_json::from_str(&manifest).expect("manifest is valid JSON");
    entries
        .into_iter()
        .map(|e| {
            let text = std::fs::read_to_string(corpus_dir().join(&e.file))
                .unwrap_or_else(|err| panic!("{}: {err}", e.file));
            (e, text)
        })
        .collect()
}

/// `"Name|alias|alias"` from the manifest.
fn known(spec: &str, make: fn(String) -> KnownEntity) -> KnownEntity {
    let mut parts = spec.split('|');
    let mut k = make(parts.next().unwrap_or_default().to_string());
    for a in parts {
        k = k.alias(a);
    }
    k
}

fn known_of(e: &Entry) -> Vec<KnownEntity> {
    let people = e.known_people.iter().map(|p| known(p, KnownEntity::person));
    let orgs = e.known_orgs.iter().map(|o| known(o, KnownEntity::org));
    people.chain(orgs).collect()
}

fn scrubber(e: &Entry) -> Scrubber {
    Scrubber::builder()
        .known_all(known_of(e))
        .build()
        .expect("scrubber builds")
}

/// Case-insensitive, whole-word occurrence of `needle` in `hay`.
fn leaks(hay: &str, needle: &str) -> bool {
    let h = hay.to_lowercase();
    let n = needle.to_lowercase();
    h.match_indices(&n).any(|(i, m)| {
        let before = h[..i].chars().next_back();
        let after = h[i + m.len()..].chars().next();
        let glued = |c: Option<char>, edge: Option<char>| {
            c.is_some_and(|c| c.is_alphanumeric()) && edge.is_some_and(|e| e.is_alphanumeric())
        };
        !glued(before, n.chars().next()) && !glued(after, n.chars().next_back())
    })
}

#[test]
fn corpus_has_enough_texts() {
    let all = load();
    assert!(all.len() >= 30, "only {} corpus texts", all.len());
    let pii: usize = all.iter().map(|(e, _)| e.pii.len()).sum();
    assert!(pii >= 200, "only {pii} PII strings");
}

#[test]
fn golden_zero_leaks_and_exact_round_trip() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (e, text) in load() {
        let mut session = Session::new();
        let out = match scrubber(&e).scrub(&text, &mut session) {
            Ok(o) => o,
            Err(err) => {
                failures.push(format!("{}: scrub failed: {err}", e.file));
                continue;
            }
        };
        for p in &e.pii {
            checked += 1;
            if leaks(&out.text, p) {
                failures.push(format!("{}: LEAK {p:?}", e.file));
            }
        }
        if e.unchanged && out.text != text {
            failures.push(format!(
                "{}: expected no change, got:\n{}",
                e.file, out.text
            ));
        }
        let (back, unknown) = rehydrate(&out.text, &session);
        if back != text {
            failures.push(format!("{}: round trip differs:\n{back}", e.file));
        }
        if !unknown.is_empty() {
            failures.push(format!("{}: unknown placeholders {unknown:?}", e.file));
        }
        // the session survives serialization
        let json = session.to_json().expect("session serializes");
        let restored = Session::from_json(&json).expect("session deserializes");
        if rehydrate(&out.text, &restored).0 != text {
            failures.push(format!("{}: round trip via stored session differs", e.file));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn whole_corpus_as_one_conversation() {
    // all texts through one session and scrubber: numbering continues,
    // learned names carry over, and every turn still round-trips exactly
    let all = load();
    let known: Vec<KnownEntity> = all.iter().flat_map(|(e, _)| known_of(e)).collect();
    let s = Scrubber::builder()
        .known_all(known)
        .build()
        .expect("builds");
    let mut session = Session::new();
    let mut scrubbed = Vec::new();
    for (e, text) in &all {
        let out = s.scrub(text, &mut session).expect("scrub");
        for p in &e.pii {
            assert!(
                !leaks(&out.text, p),
                "{}: leak {p:?} in shared session",
                e.file
            );
        }
        scrubbed.push(out.text);
    }
    // rehydrate every turn with the final session (later turns only add)
    for ((e, text), s) in all.iter().zip(&scrubbed) {
        assert_eq!(&rehydrate(s, &session).0, text, "{}", e.file);
    }
}

#[test]
fn leak_matcher_is_word_bounded() {
    assert!(leaks("Call Alice now", "alice"));
    assert!(!leaks("Call [PERSON_1] now", "alice"));
    assert!(!leaks("Malice", "alice"));
    assert!(leaks("x +1 555 y", "+1 555"));
}
