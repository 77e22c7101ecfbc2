//! Fixtures shared by the fuzz targets in `fuzz_targets/`: scrubbers with known names,
//! sessions with mappings of different shapes, and the precondition of the round trip.
//!
//! Each target reads its first byte(s) as choices (which scrubber or session, where to cut)
//! and the rest as text, decoded lossily, so that any byte string is a valid input and the
//! seeds in `corpus/<target>/` stay readable.

use redact::{rehydrate, KindSet, KnownEntity, PiiKind, Scrubber, ScrubberConfig, Session};
use std::sync::OnceLock;

/// Names the `scrub` target's scrubbers know: ASCII, quotes and a backslash, non-ASCII,
/// an alias, and an organisation.
pub fn known_entities() -> Vec<KnownEntity> {
    vec![
        KnownEntity::person("Alice Smith").alias("Ally"),
        KnownEntity::person("Bob \"Builder\" O'Neil\\"),
        KnownEntity::person("Zoë Ångström"),
        KnownEntity::person("王伟"),
        KnownEntity::org("Globex Corporation").alias("Globex"),
    ]
}

/// The scrubbers the `scrub` target picks from: everything on with the known names; name
/// learning off; and only a few kinds enabled.
pub fn scrubbers() -> &'static [Scrubber] {
    static S: OnceLock<Vec<Scrubber>> = OnceLock::new();
    S.get_or_init(|| {
        let build = |b: redact::ScrubberBuilder| b.known_all(known_entities()).build();
        vec![
            build(Scrubber::builder()).expect("scrubber"),
            build(Scrubber::builder().learn_names(false)).expect("scrubber"),
            build(
                Scrubber::builder().kinds(
                    KindSet::none()
                        .with(PiiKind::Person)
                        .with(PiiKind::Email)
                        .with(PiiKind::Phone),
                ),
            )
            .expect("scrubber"),
            Scrubber::new(ScrubberConfig::default()),
        ]
    })
}

/// Sessions the rehydrate targets restore against: a small one with variants and values
/// holding quotes and backslashes; a large one (three-digit numbers, two-digit variants);
/// an empty one.
pub fn sessions() -> &'static [Session] {
    static S: OnceLock<Vec<Session>> = OnceLock::new();
    S.get_or_init(|| {
        let scrubber = &scrubbers()[0];
        let mut small = Session::new();
        scrubber
            .scrub(
                "Alice Smith <alice@example.com> met Dr. Okonkwo at 10 Downing Street. \
                 ALICE SMITH paid with 4111 1111 1111 1111; Bob \"Builder\" O'Neil\\ called \
                 +44 20 7946 0958 from 10.0.0.1. Zoë Ångström, 王伟 and Globex Corporation \
                 (https://u:p@vpn.example.net/x) were born 03/14/1985. Ally and Smith agreed.",
                &mut small,
            )
            .expect("scrub small");
        let mut large = Session::new();
        let mut text = String::new();
        for i in 0..150 {
            text.push_str(&format!(
                "mail u{i}@example.com or 10.1.{}.{} ",
                i / 200,
                i % 200
            ));
        }
        // twelve spellings of one person: variants up to 12
        for v in [
            "Alice Smith",
            "ALICE SMITH",
            "alice smith",
            "Smith",
            "SMITH",
            "smith",
            "Alice",
            "ALICE",
            "alice",
            "Ally",
            "ALLY",
            "ally",
        ] {
            text.push_str(v);
            text.push_str(" said hi. ");
        }
        scrubber.scrub(&text, &mut large).expect("scrub large");
        vec![small, large, Session::new()]
    })
}

/// Whether the round trip `rehydrate(scrub(text)) == text` is promised for `text`: the crate
/// docs say input that already holds placeholder-shaped text is not escaped. That covers any
/// placeholder form `text` holds on its own (restored or reported as unknown by `rehydrate`),
/// and also a bare form (`PERSON_1`, `PERSON\_1`) glued to a neighbour that scrubbing then
/// replaces by a bracketed placeholder, which ends the glue (`PERSON_1alice@x.io` has no
/// placeholder; `PERSON_1[EMAIL_1]` has).
pub fn placeholder_free(text: &str, session: &Session) -> bool {
    let (back, unknown) = rehydrate(text, session);
    back == text && unknown.is_empty() && !has_bare_tag(text)
}

/// `TAG_d` or `TAG\_d` in upper case anywhere, word boundaries aside.
fn has_bare_tag(text: &str) -> bool {
    PiiKind::ALL.iter().any(|k| {
        let tag = k.tag();
        text.match_indices(tag).any(|(i, _)| {
            let rest = &text.as_bytes()[i + tag.len()..];
            let rest = rest
                .strip_prefix(b"\\_")
                .or_else(|| rest.strip_prefix(b"_"));
            rest.and_then(|r| r.first()).is_some_and(u8::is_ascii_digit)
        })
    })
}

/// The largest char boundary of `s` not above `i`.
pub fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
