//! The scrub pipeline: limit check, detectors, learned names, overlap
//! resolution, placeholder assignment.
//!
//! A [`Scrubber`] is immutable after building (its known-name automaton is
//! compiled once) and can be shared between threads; all per-conversation
//! state lives in the [`Session`] passed to [`Scrubber::scrub`].

use crate::detect::facts::FactCache;
use crate::detect::known::{NameMatcher, PatternSet};
use crate::detect::starts::Starts;
use crate::detect::{self, person, Candidate, Source};
use crate::error::RedactError;
use crate::placeholder::{PiiKind, Placeholder};
use crate::resolve::resolve;
use crate::session::{key_of, LinkHint, Session};
use crate::text::fold;
// keys come from the caller's text: per-instance random seeds (see `detect::facts`)
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::ops::Range;

/// A set of [`PiiKind`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindSet(u16);

impl KindSet {
    /// Every kind.
    pub const fn all() -> Self {
        KindSet((1 << PiiKind::ALL.len()) - 1)
    }
    /// No kind.
    pub const fn none() -> Self {
        KindSet(0)
    }
    /// This set plus `k`.
    pub const fn with(self, k: PiiKind) -> Self {
        KindSet(self.0 | (1 << k.index()))
    }
    /// This set without `k`.
    pub const fn without(self, k: PiiKind) -> Self {
        KindSet(self.0 & !(1 << k.index()))
    }
    /// Whether `k` is in the set.
    pub const fn contains(&self, k: PiiKind) -> bool {
        self.0 & (1 << k.index()) != 0
    }
}

impl Default for KindSet {
    fn default() -> Self {
        KindSet::all()
    }
}

/// Scrubber settings.
#[derive(Clone, Debug)]
pub struct ScrubberConfig {
    /// Largest input accepted by [`Scrubber::scrub`], in bytes. Larger input
    /// is refused with [`RedactError::InputTooLarge`]. Default 1 MiB.
    pub max_input_bytes: usize,
    /// Most entities a session may hold; past it scrubbing fails with
    /// [`RedactError::SessionFull`]. Default 100 000.
    pub max_session_entities: usize,
    /// Kinds to detect. Default: all.
    pub kinds: KindSet,
    /// Learn person and organisation names found in a text and match them
    /// again alone (e.g. `Smith` after `Alice Smith`), in this text and in
    /// later turns of the session. Default: on.
    pub learn_names: bool,
}

impl Default for ScrubberConfig {
    fn default() -> Self {
        ScrubberConfig {
            max_input_bytes: 1 << 20,
            max_session_entities: 100_000,
            kinds: KindSet::all(),
            learn_names: true,
        }
    }
}

/// A caller-supplied name: a known contact or organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownEntity {
    /// [`PiiKind::Person`] or [`PiiKind::Org`].
    pub kind: PiiKind,
    /// The full name, e.g. `Alice Smith` or `Globex Corporation`.
    pub name: String,
    /// Other spellings (nicknames, abbreviations).
    pub aliases: Vec<String>,
}

impl KnownEntity {
    /// A known person.
    pub fn person(name: impl Into<String>) -> Self {
        KnownEntity {
            kind: PiiKind::Person,
            name: name.into(),
            aliases: Vec::new(),
        }
    }
    /// A known organisation.
    pub fn org(name: impl Into<String>) -> Self {
        KnownEntity {
            kind: PiiKind::Org,
            name: name.into(),
            aliases: Vec::new(),
        }
    }
    /// Adds an alias.
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.aliases.push(alias.into());
        self
    }
}

/// One replacement made by [`Scrubber::scrub`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replacement {
    /// Kind of data replaced.
    pub kind: PiiKind,
    /// The placeholder written.
    pub placeholder: Placeholder,
    /// Byte range of the value in the input.
    pub original: Range<usize>,
    /// Byte range of the placeholder in the output.
    pub scrubbed: Range<usize>,
}

/// Result of [`Scrubber::scrub`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scrubbed {
    /// The text with every detected value replaced by its placeholder.
    pub text: String,
    /// What was replaced, in text order.
    pub replacements: Vec<Replacement>,
}

/// Builder for [`Scrubber`].
#[derive(Clone, Debug, Default)]
pub struct ScrubberBuilder {
    config: ScrubberConfig,
    known: Vec<KnownEntity>,
}

impl ScrubberBuilder {
    /// Sets the input limit in bytes.
    pub fn max_input_bytes(mut self, n: usize) -> Self {
        self.config.max_input_bytes = n;
        self
    }
    /// Sets the session entity limit.
    pub fn max_session_entities(mut self, n: usize) -> Self {
        self.config.max_session_entities = n;
        self
    }
    /// Sets the kinds to detect.
    pub fn kinds(mut self, kinds: KindSet) -> Self {
        self.config.kinds = kinds;
        self
    }
    /// Turns name learning on or off.
    pub fn learn_names(mut self, on: bool) -> Self {
        self.config.learn_names = on;
        self
    }
    /// Replaces the whole configuration.
    pub fn config(mut self, config: ScrubberConfig) -> Self {
        self.config = config;
        self
    }
    /// Adds a known person or organisation.
    pub fn known(mut self, entity: KnownEntity) -> Self {
        self.known.push(entity);
        self
    }
    /// Adds many known people or organisations.
    pub fn known_all(mut self, entities: impl IntoIterator<Item = KnownEntity>) -> Self {
        self.known.extend(entities);
        self
    }
    /// Compiles the known-name matcher. Work is linear in the total length
    /// of the names.
    pub fn build(self) -> Result<Scrubber, RedactError> {
        let mut set = PatternSet::default();
        let mut known_keys = Vec::with_capacity(self.known.len());
        for (i, k) in self.known.iter().enumerate() {
            if !matches!(k.kind, PiiKind::Person | PiiKind::Org) {
                return Err(RedactError::UnsupportedKnownKind(k.kind));
            }
            if !k.name.chars().any(char::is_alphabetic) {
                return Err(RedactError::BadKnownName {
                    kind: k.kind,
                    name: k.name.clone(),
                });
            }
            let owner = u32::try_from(i)
                .map_err(|_| RedactError::Matcher("too many known names".into()))?;
            set.add_name(k.kind, &k.name, Some(owner));
            for a in &k.aliases {
                set.add_name(k.kind, a, Some(owner));
            }
            known_keys.push(key_of(k.kind, &k.name));
        }
        Ok(Scrubber {
            config: self.config,
            known: set.build()?,
            known_keys,
        })
    }
}

/// The scrubbing engine. Build once (per set of known names), use for many
/// sessions. See the crate docs for what it detects.
#[derive(Clone, Debug, Default)]
pub struct Scrubber {
    config: ScrubberConfig,
    known: NameMatcher,
    known_keys: Vec<String>,
}

impl Scrubber {
    /// A builder with default settings and no known names.
    pub fn builder() -> ScrubberBuilder {
        ScrubberBuilder::default()
    }

    /// A scrubber with `config` and no known names.
    pub fn new(config: ScrubberConfig) -> Self {
        Scrubber {
            config,
            ..Scrubber::default()
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &ScrubberConfig {
        &self.config
    }

    /// Replaces every detected value in `text` by its placeholder, recording
    /// new values in `session`.
    ///
    /// Fails without touching `session` when `text` is over the input limit.
    /// On [`RedactError::SessionFull`] the session may hold values from this
    /// call; the text must not be forwarded.
    pub fn scrub(&self, text: &str, session: &mut Session) -> Result<Scrubbed, RedactError> {
        let limit = self.config.max_input_bytes;
        if text.len() > limit {
            return Err(RedactError::InputTooLarge {
                len: text.len(),
                limit,
            });
        }
        let chosen = self.detect(text, session)?;
        let mut out = String::with_capacity(text.len() + chosen.len() * 8);
        let mut replacements = Vec::with_capacity(chosen.len());
        let mut last = 0;
        // Interning a value again returns what it returned the first time
        // and changes nothing (its key and spelling are then recorded, and
        // entries are only ever added), so each distinct value is interned
        // once per call: most values in a text recur.
        let mut interned: HashMap<(PiiKind, &str), Placeholder> =
            HashMap::with_capacity(chosen.len());
        for c in chosen {
            let value = &text[c.start..c.end];
            let ph = match interned.get(&(c.kind, value)) {
                Some(ph) => *ph,
                None => {
                    let hint = match c.source {
                        Source::Known(i) => self
                            .known_keys
                            .get(i as usize)
                            .map_or(LinkHint::None, |k| LinkHint::Known { key: k }),
                        _ => LinkHint::None,
                    };
                    let max = self.config.max_session_entities;
                    let ph = session.intern(c.kind, value, hint, max)?;
                    interned.insert((c.kind, value), ph);
                    ph
                }
            };
            out.push_str(&text[last..c.start]);
            let at = out.len();
            ph.push_to(&mut out);
            replacements.push(Replacement {
                kind: c.kind,
                placeholder: ph,
                original: c.start..c.end,
                scrubbed: at..out.len(),
            });
            last = c.end;
        }
        out.push_str(&text[last..]);
        Ok(Scrubbed {
            text: out,
            replacements,
        })
    }

    /// All detectors, then learned names, then resolution.
    fn detect(&self, text: &str, session: &Session) -> Result<Vec<Candidate>, RedactError> {
        let kinds = &self.config.kinds;
        let mut cands = Vec::new();
        let starts = Starts::of(text).pruned(text);
        detect::contact::detect_at(text, &starts, kinds, &mut cands);
        detect::number::detect_at(text, &starts, kinds, &mut cands);
        let names = kinds.contains(PiiKind::Person) || kinds.contains(PiiKind::Org);
        // the case-folded text, for the birth cues and the name automatons
        let mut folded: Option<String> = None;
        if kinds.contains(PiiKind::Dob) {
            let f = folded.get_or_insert_with(|| fold(text));
            detect::dob::detect(text, f, kinds, &mut cands);
        }
        detect::address::detect_at(text, &starts, kinds, &mut cands);
        detect::org::detect(text, kinds, &mut cands);
        // what is known about each word, shared by the person heuristics
        // and the first-name step below
        let facts = FactCache::default();
        if kinds.contains(PiiKind::Person) {
            let words = person::words(text);
            person::detect(text, &words, &facts, &mut cands);
        }
        if !names {
            return Ok(resolve(cands));
        }
        if !self.known.is_empty() {
            let f = folded.get_or_insert_with(|| fold(text));
            let before = cands.len();
            self.known.find(text, f, false, &mut cands);
            drop_disabled(&mut cands, before, kinds);
        }
        if self.config.learn_names {
            // Names found so far in this text plus those of earlier turns,
            // matched again on their own ("Smith" after "Alice Smith").
            // each distinct spelling once: adding a learned name again
            // changes nothing, and most names recur
            let mut seen: HashSet<(PiiKind, &str)> = HashSet::with_capacity(cands.len());
            let mut learned = PatternSet::default();
            for (kind, form) in session.name_forms() {
                if seen.insert((kind, form)) {
                    learned.add_name(kind, form, None);
                }
            }
            for c in &cands {
                if matches!(c.kind, PiiKind::Person | PiiKind::Org) {
                    let form = &text[c.start..c.end];
                    if seen.insert((c.kind, form)) {
                        learned.add_name(c.kind, form, None);
                    }
                }
            }
            if !learned.is_empty() {
                let m = learned.build_for(text.len())?;
                let f = folded.get_or_insert_with(|| fold(text));
                let before = cands.len();
                m.find(text, f, true, &mut cands);
                drop_disabled(&mut cands, before, kinds);
            }
        }
        if kinds.contains(PiiKind::Person) {
            // "Rutger Vos" once "Vos" is known: take the first name along
            let extra: Vec<Candidate> = cands
                .iter()
                .filter(|c| {
                    c.kind == PiiKind::Person
                        && matches!(c.source, Source::Learned | Source::Known(_))
                        && !text[c.start..c.end].contains(char::is_whitespace)
                })
                .filter_map(|c| {
                    person::first_name_before(text, c.start, c.end, &facts)
                        .map(|s| Candidate::new(s, c.end, PiiKind::Person, Source::Learned))
                })
                .collect();
            cands.extend(extra);
        }
        Ok(resolve(cands))
    }
}

/// Removes candidates of disabled kinds added since `from`.
fn drop_disabled(cands: &mut Vec<Candidate>, from: usize, kinds: &KindSet) {
    let mut i = from;
    while i < cands.len() {
        if kinds.contains(cands[i].kind) {
            i += 1;
        } else {
            cands.swap_remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kindset() {
        let k = KindSet::none().with(PiiKind::Email).with(PiiKind::Ip);
        assert!(k.contains(PiiKind::Email) && k.contains(PiiKind::Ip));
        assert!(!k.contains(PiiKind::Person));
        assert!(!k.without(PiiKind::Ip).contains(PiiKind::Ip));
        assert!(PiiKind::ALL.iter().all(|&x| KindSet::all().contains(x)));
    }

    #[test]
    fn learned_surname_takes_first_name_along() {
        let s = Scrubber::default();
        let mut sess = Session::new();
        let out = s
            .scrub(
                "Rutger Vos joined. Mr. Vos owns logistics. Ask Vos.",
                &mut sess,
            )
            .map(|o| o.text)
            .unwrap_or_default();
        assert_eq!(
            out,
            "[PERSON_1] joined. Mr. [PERSON_1.2] owns logistics. Ask [PERSON_1.2]."
        );
    }

    #[test]
    fn input_limit() {
        let s = Scrubber::builder().max_input_bytes(10).build();
        let s = s.unwrap_or_default();
        let mut sess = Session::new();
        match s.scrub("01234567890", &mut sess) {
            Err(RedactError::InputTooLarge { len: 11, limit: 10 }) => {}
            other => panic!("unexpected {other:?}"),
        }
        assert!(sess.is_empty());
    }

    #[test]
    fn known_and_learned_names_link() {
        let s = Scrubber::builder()
            .known(KnownEntity::person("Alice Smith").alias("Ally"))
            .build()
            .unwrap_or_default();
        let mut sess = Session::new();
        let out = s
            .scrub(
                "Ally wrote to SMITH. Later Alice Smith and alice smith met Zygmunt.",
                &mut sess,
            )
            .map(|o| o.text)
            .unwrap_or_default();
        assert_eq!(
            out,
            "[PERSON_1] wrote to [PERSON_1.2]. Later [PERSON_1.3] and [PERSON_1.4] met Zygmunt."
        );
        let out2 = s
            .scrub("Dr. Kowalczyk met Smith; Kowalczyk agreed.", &mut sess)
            .map(|o| o.text)
            .unwrap_or_default();
        assert_eq!(out2, "Dr. [PERSON_2] met [PERSON_1.5]; [PERSON_2] agreed.");
        let out3 = s
            .scrub("Kowalczyk again", &mut sess)
            .map(|o| o.text)
            .unwrap_or_default();
        assert_eq!(out3, "[PERSON_2] again");
    }

    #[test]
    fn a_known_contact_is_not_a_learned_namesake() {
        let s = Scrubber::builder()
            .known(KnownEntity::person("Alice Smith"))
            .build()
            .unwrap_or_default();
        let mut sess = Session::new();
        let out = s
            .scrub("Bob Smith met us; then Smith called.", &mut sess)
            .map(|o| o.text)
            .unwrap_or_default();
        assert_eq!(out, "[PERSON_1] met us; then [PERSON_2] called.");
        assert_eq!(sess.value(PiiKind::Person, 2, None), Some("Smith"));
    }

    #[test]
    fn surnames_with_particles_are_learned_whole() {
        let s = Scrubber::default();
        let mut sess = Session::new();
        let out = s
            .scrub(
                "Cliente: José Antonio de la Cruz Márquez. De la Cruz pidió hablar \
                 desde la cima de la cruz. \
                 Dr. Ludwig von Hohenberg called; later von Hohenberg asked.",
                &mut sess,
            )
            .map(|o| o.text)
            .unwrap_or_default();
        assert_eq!(
            out,
            "Cliente: [PERSON_1]. [PERSON_1.2] pidió hablar \
             desde la cima de la cruz. \
             Dr. [PERSON_2] called; later [PERSON_2.2] asked."
        );
    }
}
