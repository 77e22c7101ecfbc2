//! Rehydration: tolerant forms, unknown placeholders, JSON, and streaming
//! split at every char boundary.

use redact::{
    rehydrate, rehydrate_json, rehydrate_json_str, KnownEntity, PiiKind, Scrubber, Session,
    StreamRehydrator,
};
use serde_json::{json, Value};

/// A session with a few entities, built through the public API.
fn session() -> Session {
    let s = Scrubber::builder()
        .known(KnownEntity::person("Alice Smith"))
        .known(KnownEntity::person("Bob \"Builder\" O'Neil\\"))
        .build()
        .expect("build");
    let mut session = Session::new();
    s.scrub(
        "Alice Smith <alice@example.com> met Dr. Okonkwo at 10 Downing Street. ALICE SMITH paid \
         with 4111 1111 1111 1111; Bob \"Builder\" O'Neil\\ called +44 20 7946 0958.",
        &mut session,
    )
    .expect("scrub");
    session
}

fn value(s: &Session, kind: PiiKind, n: u32) -> String {
    s.value(kind, n, None).expect("known").to_string()
}

/// Model-output samples exercising every tolerant form.
fn samples(s: &Session) -> Vec<String> {
    let p1 = s
        .placeholder_for(PiiKind::Person, "Alice Smith")
        .expect("p1");
    assert_eq!(p1.text(), "[PERSON_1]");
    vec![
        "Sure! I'll email [PERSON_1] at [EMAIL_1] today.".into(),
        "Summary: **[person_1]** met [ PERSON_2 ] at (ADDRESS_1); card {CARD_1} on file.".into(),
        "Tell <PERSON_1> and PERSON_2 that `[PHONE_1]` works; [PERSON 1]'s note.".into(),
        "Escaped: \\[PERSON\\_1\\], double [[PERSON_2]], variant [PERSON_1.2], bare PERSON_1.2."
            .into(),
        "Unknown [PERSON_9] and [IBAN_3] stay; (see above) [1] {x} <b>ok</b>.".into(),
        "日本語【PERSON_1】と「PERSON_2」です。Émile wrote: [Person-1], [PERSON1]".into(),
        "Edge: PERSON_1x PERSON_ [PERSON_] [PERSON_1 end (PERSON_2) PERSON_2".into(),
        String::new(),
        "[".into(),
        "PERSON_1".into(),
    ]
}

#[test]
fn tolerant_forms_restore() {
    let s = session();
    let a = value(&s, PiiKind::Person, 1);
    let e = value(&s, PiiKind::Email, 1);
    let (r, u) = rehydrate("Hi **[person_1]**, mail (EMAIL_1) or `[ PERSON 1 ]`.", &s);
    assert_eq!(r, format!("Hi **{a}**, mail {e} or `{a}`."));
    assert!(u.is_empty());
}

#[test]
fn unknown_placeholders_are_reported() {
    let s = session();
    let (r, u) = rehydrate("Ask [PERSON_9] or EMAIL_7 about [ip_1].", &s);
    assert_eq!(r, "Ask [PERSON_9] or EMAIL_7 about [ip_1].");
    let got: Vec<(PiiKind, u32, &str)> = u
        .iter()
        .map(|x| (x.kind, x.number, x.text.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (PiiKind::Person, 9, "[PERSON_9]"),
            (PiiKind::Email, 7, "EMAIL_7"),
            (PiiKind::Ip, 1, "[ip_1]"),
        ]
    );
}

#[test]
fn variants_restore_exact_spellings() {
    let s = session();
    let out = Scrubber::builder()
        .known(KnownEntity::person("Alice Smith"))
        .build()
        .expect("build");
    let mut s2 = s.clone();
    let text = "ALICE SMITH and Alice Smith and Smith.";
    let scrubbed = out.scrub(text, &mut s2).expect("scrub");
    assert_eq!(
        scrubbed.text,
        "[PERSON_1.2] and [PERSON_1] and [PERSON_1.3]."
    );
    assert_eq!(rehydrate(&scrubbed.text, &s2).0, text);
}

#[test]
fn streaming_equals_batch_at_every_split() {
    let s = session();
    for text in samples(&s) {
        let (expected, _) = rehydrate(&text, &s);
        let bounds: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect();
        for &k in &bounds {
            let mut st = StreamRehydrator::new(&s);
            let mut out = st.push(&text[..k]);
            assert!(st.held_back() <= st.max_hold_back());
            out += &st.push(&text[k..]);
            assert!(st.held_back() <= st.max_hold_back());
            out += &st.finish();
            assert_eq!(out, expected, "split at {k} of {text:?}");
        }
        // and one char per chunk
        let mut st = StreamRehydrator::new(&s);
        let mut out = String::new();
        for (i, c) in text.char_indices() {
            out += &st.push(&text[i..i + c.len_utf8()]);
            assert!(
                st.held_back() <= st.max_hold_back(),
                "held {} in {text:?}",
                st.held_back()
            );
        }
        out += &st.finish();
        assert_eq!(out, expected, "char by char: {text:?}");
        assert_eq!(st.unknown(), rehydrate(&text, &s).1.as_slice());
    }
}

#[test]
fn streaming_emits_non_placeholder_text_immediately() {
    let s = session();
    let mut st = StreamRehydrator::new(&s);
    // nothing here can start a placeholder: all of it comes out at once
    assert_eq!(st.push("the answer is 42, see"), "the answer is 42, see");
    assert_eq!(st.held_back(), 0);
    // a bracket might: it is held, and released as soon as it can't be one
    assert_eq!(st.push(" ["), " ");
    assert_eq!(st.held_back(), 1);
    assert_eq!(st.push("1]"), "[1]");
    assert_eq!(st.push(" (PERS"), " ");
    assert_eq!(st.push("ONAL)"), "(PERSONAL)");
    assert_eq!(st.held_back(), 0);
    assert!(s.max_placeholder_len() < 40, "{}", s.max_placeholder_len());
}

#[test]
fn json_tool_call_arguments() {
    let s = session();
    let a = value(&s, PiiKind::Person, 1);
    let bob = value(&s, PiiKind::Person, 3);
    assert!(bob.contains('"') && bob.contains('\\'), "{bob}");
    let call = json!({
        "type": "function",
        "function": {
            "name": "send_email",
            "arguments": "{\"to\":\"[EMAIL_1]\",\"cc\":[\"PERSON_3\"],\"body\":\"Hi **[person_1]**,\\nsee {\\\"k\\\": 1}\",\"meta\":\"{\\\"who\\\":\\\"[PERSON_3]\\\"}\"}"
        },
        "[PERSON_1]": ["[PHONE_1]", 7, null, {"n": "(PERSON_2)"}]
    });
    let (r, u) = rehydrate_json(&call, &s);
    assert!(u.is_empty(), "{u:?}");
    let args: Value = serde_json::from_str(r["function"]["arguments"].as_str().expect("str"))
        .expect("valid JSON");
    assert_eq!(args["to"], value(&s, PiiKind::Email, 1));
    assert_eq!(args["cc"][0], bob);
    assert_eq!(args["body"], format!("Hi **{a}**,\nsee {{\"k\": 1}}"));
    let meta: Value =
        serde_json::from_str(args["meta"].as_str().expect("str")).expect("nested JSON");
    assert_eq!(meta["who"], bob);
    assert_eq!(r[a.as_str()][0], value(&s, PiiKind::Phone, 1));
    assert_eq!(r[a.as_str()][3]["n"], value(&s, PiiKind::Person, 2));
    // whole document through text
    let text = serde_json::to_string(&call).expect("ser");
    let (back, _) = rehydrate_json_str(&text, &s).expect("json");
    assert_eq!(serde_json::from_str::<Value>(&back).expect("valid"), r);
    // unchanged nested strings keep their exact formatting
    let v = json!({"arguments": "{ \"a\" : 1 }"});
    assert_eq!(rehydrate_json(&v, &s).0, v);
}

#[test]
fn json_string_stream_keeps_json_valid() {
    let s = session();
    let bob = value(&s, PiiKind::Person, 3);
    let raw = "{\"to\":\"[PERSON_3]\",\"note\":\"(PERSON_3) and [EMAIL_1]\"}";
    for k in (0..=raw.len()).filter(|&i| raw.is_char_boundary(i)) {
        let mut st = StreamRehydrator::json_string(&s);
        let mut out = st.push(&raw[..k]);
        out += &st.push(&raw[k..]);
        out += &st.finish();
        let v: Value = serde_json::from_str(&out).expect("valid JSON at every split");
        assert_eq!(v["to"], bob);
    }
}

#[test]
fn owned_stream_is_static() {
    fn needs_static(_: &StreamRehydrator<'static>) {}
    let st = StreamRehydrator::owned(session());
    needs_static(&st);
}

#[test]
fn engine_types_are_thread_safe() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Scrubber>();
    send_sync::<Session>();
    send_sync::<StreamRehydrator<'static>>();
    assert!(redact::gazetteer_len() >= 500);
}
