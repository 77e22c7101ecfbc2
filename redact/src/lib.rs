//! # spark-redact — the redaction engine of spark-control
//!
//! This crate owns the text side of the `/scrub` → cloud model →
//! `/rehydrate` round trip: it finds personal data in text, replaces it with
//! typed, numbered placeholders, remembers the mapping in a per-conversation
//! [`Session`], and restores the values in the model's answer — also when
//! the model mangled the placeholders, when the answer arrives in chunks,
//! and inside JSON tool-call arguments. It has no HTTP, no I/O and no
//! models; the server wraps it.
//!
//! ## Use
//!
//! ```
//! use redact::{rehydrate, KnownEntity, Scrubber, Session, StreamRehydrator};
//!
//! let scrubber = Scrubber::builder()
//!     .max_input_bytes(256 * 1024)
//!     .known(KnownEntity::person("Alice Smith"))
//!     .build()?;
//! let mut session = Session::new();
//!
//! let out = scrubber.scrub("Ask Alice Smith (alice@example.com, +44 20 7946 0958).", &mut session)?;
//! assert_eq!(out.text, "Ask [PERSON_1] ([EMAIL_1], [PHONE_1]).");
//!
//! // … send out.text to the model; store session.to_json()? between turns …
//! let (answer, unknown) = rehydrate("I'll write to **[person_1]** at (EMAIL_1).", &session);
//! assert_eq!(answer, "I'll write to **Alice Smith** at alice@example.com.");
//! assert!(unknown.is_empty());
//!
//! // streamed answers: placeholders may be split across chunks
//! let mut stream = StreamRehydrator::new(&session);
//! let mut shown = stream.push("Dear [PERS");
//! shown += &stream.push("ON_1], thanks");
//! shown += &stream.finish();
//! assert_eq!(shown, "Dear Alice Smith, thanks");
//! # Ok::<(), redact::RedactError>(())
//! ```
//!
//! ## What is detected
//!
//! | placeholder | what |
//! |---|---|
//! | `[EMAIL_n]` | e-mail addresses |
//! | `[PHONE_n]` | phone numbers: `+1 (555) 123-4567`, `+44 20 7946 0958`, `555-123-4567`, `0049 30 1234567`, `020 7946 0958`, `06 12 34 56 78`; other digit groups only after a cue like "phone:" |
//! | `[SSN_n]` | US SSNs `123-45-6789` (other layouts after an SSN cue) |
//! | `[CARD_n]` | payment cards, 13–19 digits, Luhn-checked |
//! | `[IBAN_n]` | IBANs, length per country and mod-97 checked |
//! | `[IP_n]` | IPv4 and IPv6 addresses |
//! | `[URL_n]` | URLs with credentials, personal paths (`/users/NAME`, `/home/NAME`, `/~NAME`, `/@NAME`), a person's page on a social or code site (`facebook.com/NAME`, `calendly.com/NAME`, `github.com/NAME` but not `github.com/ORG/REPO`), also written without `https://`, or personal query values (`?email=`, `token=`), and home-directory file paths |
//! | `[ADDRESS_n]` | street addresses (US and UK style; German, Dutch, Nordic, French, Spanish, Catalan, Italian, Portuguese and Polish street forms) with a unit before them (`Apt 5C, …`) and a city and postcode after them (`City, ST ZIP`, `Bristol BS1 5TY`, `Toronto ON M5H 2N2`, `Dublin 2, D02 X285`, `3511 AM Utrecht`, `10115 Berlin`, `1100-048 Lisboa`, …); post-office boxes (`PO Box 4471`, `Postfach 10 20 30`, `Postbus 8123`) |
//! | `[DOB_n]` | a date in the same clause after "born", "DOB", "D.O.B.", "date of birth", "birthday", "geb.", "geboortedatum", "fødselsdato", … (`03/14/1985`, `1985-03-14`, `March 14, 1985`, `14 März 1985`, `14-Mar-1985`) |
//! | `[PERSON_n]` | caller-supplied contacts (full name, first or last name alone, aliases, any case); given names from a built-in list followed by a capitalised surname; capitalised words (or words in capitals) after titles (`Dr.`, `MR`, `M.`, `Dhr.`), greetings (`Dear`), sign-offs (`Best regards,`), headers (`From:`, `CC:` and the names listed after it, `Reported by`, `Assigned to`) and phrases (`my name is`); display names before an e-mail address (`Penelope Aldridge <…@…>`); mentions (`@mateo.ruiz`, not `@here` or code annotations such as `@Override`) |
//! | `[ORG_n]` | caller-supplied organisations; capitalised words before a legal form (Inc, LLC, Ltd, GmbH, Corp, …); a person "of" it is a person (`Dr. Alice Smith of Acme Inc.` → `Dr. [PERSON_1] of [ORG_1]`) |
//!
//! All detection is linear in the input: patterns of bounded length on
//! the `regex` crate (no backtracking), name lists looked up once per word
//! (Aho-Corasick for the few a word start cannot find), one word pass for
//! the name heuristics, and validators that look only at the
//! match and a fixed window before it. Inputs over
//! [`ScrubberConfig::max_input_bytes`] are refused with
//! [`RedactError::InputTooLarge`]. Where detections overlap, the longest
//! span wins, then the more specific kind (e-mail > URL > IBAN > card > SSN
//! > IP > DOB > phone > address > org > person).
//!
//! ## Placeholder rules
//!
//! * `[TAG_n]`: the tag names the kind, `n` numbers the entities of that
//!   kind in the session from 1, in order of first appearance; numbering
//!   continues across turns.
//! * The same value always gets the same placeholder within a session.
//!   Spellings of one entity that differ (case, formatting, a name alone)
//!   share the number and get a variant suffix: `[PERSON_1]` is the first
//!   spelling seen, `[PERSON_1.2]` the second, and so on. Every spelling is
//!   therefore restored exactly — `rehydrate(scrub(x)) == x` — while the
//!   model still sees one entity. A model that drops the suffix gets the
//!   first spelling.
//!
//! ## Consistency rule for names
//!
//! One person is one entity. A name alone (`Alice`, `Smith`) joins the
//! single person whose full name starts or ends with it; if several do, or
//! none, it is its own person. A full name joins a person known so far only
//! by its first or last name. Caller-supplied contacts link all their
//! parts and aliases. Case and whitespace differences are the same entity.
//! With [`ScrubberConfig::learn_names`] (default), names found once are
//! matched alone afterwards, in the same text and in later turns
//! (`Dr. Kowalczyk` … `Kowalczyk`). Details in [`session`](crate::Session).
//!
//! ## Rehydration
//!
//! [`rehydrate`] accepts a placeholder in any ASCII case, with spaces
//! inside the brackets, `_`/space/`-`/no separator, `[]` `()` `{}` `<>`
//! `【】` `「」` brackets, markdown-escaped (`\[PERSON\_1\]`), or bare
//! (`PERSON_1`, upper case only, whole word); markdown around it stays
//! (`**[PERSON_1]**` → `**Alice Smith**`). A variant number the session
//! does not know (`[PERSON_1.9]`) restores the entity's first spelling.
//! Unknown placeholders are left as written and returned as
//! [`UnknownPlaceholder`]s. [`rehydrate_json`] restores every string in a
//! JSON value, including JSON nested inside strings.
//!
//! ## Streaming hold-back bound
//!
//! [`StreamRehydrator`] emits every byte that cannot begin a placeholder at
//! once. It holds back only a tail that is a viable prefix of a placeholder
//! form, at most [`Session::max_placeholder_len`] bytes: brackets and
//! escapes (2 × 3) + inner spaces (2 × 2) + the longest tag (7) +
//! separator (3) + number digits + `.` + variant digits, where the digit
//! counts are one more than those of the largest number and variant in the
//! session (about 30 bytes for a typical session). Its output equals
//! [`rehydrate`] of the whole text for every way of splitting it.
//!
//! ## Integration notes
//!
//! * [`Scrubber`] is immutable and `Send + Sync`: build it once per set of
//!   known names and share it. A [`Session`] is per conversation; store it
//!   between turns with [`Session::to_json`] (it holds the personal data in
//!   clear: keep it server-side, encrypted at rest, with a TTL).
//! * Limits: [`ScrubberConfig::max_input_bytes`] (default 1 MiB) refuses
//!   larger input; [`ScrubberConfig::max_session_entities`] (default
//!   100 000) makes scrubbing fail with [`RedactError::SessionFull`]. On
//!   any error, forward nothing.
//! * Stream tool-call argument deltas (raw JSON text) through
//!   [`StreamRehydrator::json_string`] so restored values are JSON-escaped;
//!   complete tool calls go through [`rehydrate_json`].
//! * Input that already contains placeholder-shaped text (`[PERSON_1]`
//!   typed by the user) is not escaped: rehydration would replace it too.
//! * With name learning on, each call matches all person and organisation
//!   spellings of the session again, so its cost grows with the session's
//!   name count (the spellings folded and sorted into a table: ~0.6 µs per
//!   stored name per call).
//!
//! ## Modules
//!
//! `placeholder` (kinds, canonical text), `parse` (tolerant grammar),
//! `session` (vault, linking, serde), `scrub` (pipeline, config),
//! `detect/*` (one module per family of PII), `names` (gazetteer and word
//! lists), `resolve` (overlaps), `rehydrate` (text and JSON), `stream`,
//! `text` (folding, boundaries), `error`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod detect;
mod error;
mod names;
mod parse;
mod placeholder;
mod rehydrate;
mod resolve;
mod scrub;
mod session;
mod stream;
mod text;

pub use error::RedactError;
pub use names::gazetteer_len;
pub use placeholder::{PiiKind, Placeholder};
pub use rehydrate::{rehydrate, rehydrate_json, rehydrate_json_str, Escape, UnknownPlaceholder};
pub use scrub::{
    KindSet, KnownEntity, Replacement, Scrubbed, Scrubber, ScrubberBuilder, ScrubberConfig,
};
pub use session::{Entity, Session, SESSION_VERSION};
pub use stream::StreamRehydrator;

/// A text with one value of every kind, scrubbed by [`prepare`] to run
/// every detector's per-call path once.
const PREPARE_SAMPLE: &str = "Dear Dr. Alice Smith (born 03/04/1985) of Acme GmbH: mail alice@example.com \
or call +1 555 123 4567; SSN 123-45-6789, card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, \
host 192.168.1.1, link https://alice:secret@example.com/x, at 742 Evergreen Terrace, Springfield, IL 62704.";

/// Compiles the engine's patterns now. Each is otherwise compiled on first
/// use, which makes the first scrub of a process about a tenth of a second
/// slower than the next; a server calls this at start, off its request path.
pub fn prepare() {
    detect::prepare();
    let mut session = Session::new();
    let _ = Scrubber::default().scrub(PREPARE_SAMPLE, &mut session);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample reaches every detector: one value of each kind is found.
    #[test]
    fn prepare_sample_holds_every_kind() {
        prepare();
        let out = Scrubber::default().scrub(PREPARE_SAMPLE, &mut Session::new());
        let kinds: Vec<PiiKind> = out
            .map(|o| o.replacements.iter().map(|r| r.kind).collect())
            .unwrap_or_default();
        for kind in PiiKind::ALL {
            assert!(kinds.contains(&kind), "no {kind:?} in {kinds:?}");
        }
    }
}
