//! The per-conversation vault: which value stands behind which placeholder.
//!
//! A [`Session`] maps values to entities and entities to placeholders. It
//! persists across calls (numbering continues) and serializes with serde to
//! a small, versioned JSON document:
//!
//! ```json
//! {"version":1,"entities":[{"kind":"PERSON","number":1,"forms":["Alice Smith","Alice"]}]}
//! ```
//!
//! Only `version` and `entities` are stored; the lookup indexes are rebuilt
//! on load, and a document that contradicts itself (duplicate numbers, empty
//! forms) is refused. **The document holds the personal data in clear** —
//! store it like the data itself.
//!
//! ## Entities, forms and the consistency rule
//!
//! An entity is one real-world value; its `forms` are the exact spellings
//! seen, first one canonical. Form `k` (from 0) is written `[TAG_N]` for
//! `k = 0` and `[TAG_N.{k+1}]` otherwise, so every spelling is restored
//! exactly while the shared number tells the model it is the same entity.
//!
//! Spellings join an entity when their *key* matches: case-folded and
//! whitespace-collapsed text for names, addresses, dates and URLs; lowercase
//! for e-mail; digits for phones (a leading `00` counts as `+`), cards and
//! SSNs; upper-case alphanumerics for IBANs; the parsed address for IPs.
//!
//! People also link by name parts:
//! * a single word (`Alice`, `Smith`) joins the one person whose multi-word
//!   spelling starts or ends with it — if exactly one does; with none or
//!   several it becomes its own person; so does a surname with particles
//!   (`De la Cruz` of `José de la Cruz Márquez`);
//! * a multi-word name joins the one person known only by a single word
//!   that is its first or last word (`Alice`, then later `Alice Smith`);
//! * caller-supplied contacts link all their parts and aliases to one person
//!   (unless a part is shared by several contacts), and are not joined to a
//!   learned namesake (`Smith` of a contact Alice Smith after `Bob Smith`).
//!
//! Organisations link by their name without the legal form, the same way:
//! `Globex` joins the one organisation seen as `Globex Corp.` or `Globex
//! B.V.` (with several, it becomes its own), and `Globex Corp.` joins the
//! organisation known so far only as `Globex`. The first word stands for
//! the name when the rest is generic (`Tessellate` for `Tessellate Systems
//! Inc.`, see `names::org_brand`). A caller-supplied
//! organisation is not joined to a learned namesake, and counts as seen
//! under its full name.

use crate::error::RedactError;
use crate::names::{org_brand, org_short_key, particle_surname};
use crate::parse::Limits;
use crate::placeholder::{decimal_digits, PiiKind, Placeholder};
use crate::text::{fold_collapsed, outer_words};
use serde::{Deserialize, Serialize};
// keys are the caller's values: per-instance random seeds (see `detect::facts`)
use foldhash::{HashMap, HashSet};

/// Current version of the serialized session document.
pub const SESSION_VERSION: u32 = 1;

const KINDS: usize = PiiKind::ALL.len();

/// One real-world value and the spellings under which it was seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// Kind of data.
    pub kind: PiiKind,
    /// Entity number within its kind (from 1).
    pub number: u32,
    /// Exact spellings seen, in order; the first is canonical.
    pub forms: Vec<String>,
}

/// How a new value should be linked (see the module docs).
#[derive(Clone, Copy, Debug)]
pub(crate) enum LinkHint<'a> {
    None,
    /// The value belongs to a caller-supplied entry whose full name has this key.
    Known {
        key: &'a str,
    },
}

/// The vault for one conversation. See the module docs for the rules.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(try_from = "SessionDoc", into = "SessionDoc")]
pub struct Session {
    entities: Vec<Entity>,
    /// Per kind (indexed by [`PiiKind::index`]): key -> entity, so a key
    /// is looked up as `&str` without building an owned tuple.
    by_key: [HashMap<String, usize>; KINDS],
    by_number: HashMap<(PiiKind, u32), usize>,
    next_number: [u32; KINDS],
    /// Folded first/last words of multi-word person forms -> entities.
    person_parts: HashMap<String, Vec<usize>>,
    /// Keys of organisation forms without their legal form -> entities.
    org_shorts: HashMap<String, Vec<usize>>,
    /// Organisations with a spelling that has a legal form.
    orgs_with_legal_form: HashSet<usize>,
    max_variants: u32,
}

#[derive(Serialize, Deserialize)]
struct SessionDoc {
    version: u32,
    entities: Vec<Entity>,
}

impl From<Session> for SessionDoc {
    fn from(s: Session) -> Self {
        SessionDoc {
            version: SESSION_VERSION,
            entities: s.entities,
        }
    }
}

impl TryFrom<SessionDoc> for Session {
    type Error = RedactError;
    fn try_from(doc: SessionDoc) -> Result<Self, Self::Error> {
        if doc.version != SESSION_VERSION {
            return Err(RedactError::InvalidSession(format!(
                "unsupported version {}",
                doc.version
            )));
        }
        let mut s = Session::default();
        for e in doc.entities {
            if e.number == 0 || e.forms.is_empty() || e.forms.iter().any(|f| f.is_empty()) {
                return Err(RedactError::InvalidSession(format!(
                    "entity {}_{} has no number or an empty form",
                    e.kind, e.number
                )));
            }
            if s.by_number.contains_key(&(e.kind, e.number)) {
                return Err(RedactError::InvalidSession(format!(
                    "duplicate entity {}_{}",
                    e.kind, e.number
                )));
            }
            let idx = s.entities.len();
            s.by_number.insert((e.kind, e.number), idx);
            let slot = &mut s.next_number[e.kind.index()];
            *slot = (*slot).max(e.number.saturating_add(1));
            s.max_variants = s.max_variants.max(e.forms.len() as u32);
            for f in &e.forms {
                let key = key_of(e.kind, f);
                s.index_parts(e.kind, idx, &key);
                s.by_key[e.kind.index()].entry(key).or_insert(idx);
            }
            s.entities.push(e);
        }
        Ok(s)
    }
}

impl Session {
    /// An empty session.
    pub fn new() -> Self {
        Session::default()
    }

    /// Number of entities stored.
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    /// True when nothing has been stored yet.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// All entities, in order of first appearance.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// The text a placeholder stands for. An unknown variant of a known
    /// entity resolves to the canonical spelling.
    pub fn value(&self, kind: PiiKind, number: u32, variant: Option<u32>) -> Option<&str> {
        let e = &self.entities[*self.by_number.get(&(kind, number))?];
        let v = variant.unwrap_or(1).max(1) as usize;
        e.forms
            .get(v - 1)
            .or_else(|| e.forms.first())
            .map(String::as_str)
    }

    /// The placeholder already assigned to this exact value, if any.
    pub fn placeholder_for(&self, kind: PiiKind, value: &str) -> Option<Placeholder> {
        let idx = *self.by_key[kind.index()].get(&key_of(kind, value))?;
        let e = &self.entities[idx];
        let pos = e.forms.iter().position(|f| f == value)?;
        Some(Placeholder {
            kind,
            number: e.number,
            variant: pos as u32 + 1,
        })
    }

    /// Serializes to the JSON document described in the module docs.
    pub fn to_json(&self) -> Result<String, RedactError> {
        Ok(serde_json::to_string(self)?)
    }

    /// Loads a session from [`Session::to_json`] output.
    pub fn from_json(json: &str) -> Result<Self, RedactError> {
        Ok(serde_json::from_str(json)?)
    }

    /// Upper bound in bytes on any placeholder form the rehydrator accepts
    /// for this session — the most a [`crate::StreamRehydrator`] holds back.
    pub fn max_placeholder_len(&self) -> usize {
        self.limits().max_form_len()
    }

    /// Parser limits: one digit more than the largest number in use, so
    /// hallucinated numbers just above the range are still reported.
    pub(crate) fn limits(&self) -> Limits {
        let max_num = self.next_number.iter().copied().max().unwrap_or(1);
        Limits {
            num_digits: decimal_digits(max_num).clamp(1, 9) + 1,
            variant_digits: decimal_digits(self.max_variants.max(1)).clamp(1, 8) + 1,
        }
    }

    /// Returns the placeholder for `surface`, creating an entity or a new
    /// spelling when needed.
    pub(crate) fn intern(
        &mut self,
        kind: PiiKind,
        surface: &str,
        hint: LinkHint<'_>,
        max_entities: usize,
    ) -> Result<Placeholder, RedactError> {
        let key = key_of(kind, surface);
        let by_key = &self.by_key[kind.index()];
        let exact = by_key.get(&key).copied();
        let found = exact
            .or_else(|| match hint {
                LinkHint::Known { key: k } => by_key.get(k).copied(),
                LinkHint::None => None,
            })
            .or_else(|| match (kind, hint) {
                // a caller's contact is theirs, not a learned namesake
                (PiiKind::Person, LinkHint::None) => self.link_person(&key),
                (PiiKind::Org, LinkHint::None) => self.link_org(&key),
                _ => None,
            });
        let idx = match found {
            Some(i) => i,
            None => {
                if self.entities.len() >= max_entities {
                    return Err(RedactError::SessionFull {
                        limit: max_entities,
                    });
                }
                let slot = &mut self.next_number[kind.index()];
                let number = (*slot).max(1);
                *slot = number.saturating_add(1);
                let idx = self.entities.len();
                self.entities.push(Entity {
                    kind,
                    number,
                    forms: Vec::new(),
                });
                self.by_number.insert((kind, number), idx);
                if let LinkHint::Known { key: k } = hint {
                    self.by_key[kind.index()]
                        .entry(k.to_string())
                        .or_insert(idx);
                    // its full name counts as seen: `Globex` joins it, `Globex
                    // GmbH` (another company) does not
                    self.index_parts(kind, idx, k);
                }
                idx
            }
        };
        let e = &mut self.entities[idx];
        let pos = match e.forms.iter().position(|f| f == surface) {
            Some(p) => p,
            None => {
                e.forms.push(surface.to_string());
                let pos = e.forms.len() - 1;
                self.max_variants = self.max_variants.max(e.forms.len() as u32);
                self.index_parts(kind, idx, &key);
                pos
            }
        };
        if exact.is_none() {
            self.by_key[kind.index()].entry(key).or_insert(idx);
        }
        let e = &self.entities[idx];
        Ok(Placeholder {
            kind,
            number: e.number,
            variant: pos as u32 + 1,
        })
    }

    /// Records the parts a new form of entity `idx` (by its `key`) links by:
    /// the first and last word of a multi-word person form, the name of an
    /// organisation without its legal form. Each form is recorded once,
    /// when it is added (or loaded).
    fn index_parts(&mut self, kind: PiiKind, idx: usize, key: &str) {
        match kind {
            PiiKind::Person => {
                if let Some((first, last)) = outer_words(key) {
                    add_part(&mut self.person_parts, first, idx);
                    add_part(&mut self.person_parts, last, idx);
                }
                if let Some(surname) = particle_surname(key) {
                    add_part(&mut self.person_parts, surname, idx);
                }
            }
            PiiKind::Org => {
                if let Some(short) = org_short_key(key) {
                    add_part(&mut self.org_shorts, short, idx);
                    if let Some(brand) = org_brand(short) {
                        add_part(&mut self.org_shorts, brand, idx);
                    }
                    self.orgs_with_legal_form.insert(idx);
                }
            }
            _ => {}
        }
    }

    /// An organisation for a new key: the one whose name this is without
    /// its legal form (`Globex` after `Globex Corp.`), if exactly one such;
    /// or, for a name with a legal form, the one known so far only by the
    /// name without it (`Globex Corp.` after `Globex`).
    fn link_org(&self, key: &str) -> Option<usize> {
        match org_short_key(key) {
            None => match self.org_shorts.get(key).map(Vec::as_slice) {
                Some([one]) => Some(*one),
                _ => None,
            },
            Some(short) => {
                let by_key = &self.by_key[PiiKind::Org.index()];
                let &i = by_key
                    .get(short)
                    .or_else(|| by_key.get(org_brand(short)?))?;
                (!self.orgs_with_legal_form.contains(&i)).then_some(i)
            }
        }
    }

    fn link_person(&self, key: &str) -> Option<usize> {
        // a name part: a single word, or a surname with particles
        if let Some([one]) = self.person_parts.get(key).map(Vec::as_slice) {
            return Some(*one);
        }
        let (first, last) = outer_words(key)?;
        let mut hits = Vec::new();
        for w in [first, last] {
            if let Some(&i) = self.by_key[PiiKind::Person.index()].get(w) {
                let single_only = self.entities[i]
                    .forms
                    .iter()
                    .all(|f| !f.trim().contains(char::is_whitespace));
                if single_only && !hits.contains(&i) {
                    hits.push(i);
                }
            }
        }
        match hits.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// All person and org spellings, for learning names across turns.
    pub(crate) fn name_forms(&self) -> impl Iterator<Item = (PiiKind, &str)> {
        self.entities
            .iter()
            .filter(|e| matches!(e.kind, PiiKind::Person | PiiKind::Org))
            .flat_map(|e| e.forms.iter().map(move |f| (e.kind, f.as_str())))
    }
}

/// Adds entity `idx` under `part` (once).
fn add_part(parts: &mut HashMap<String, Vec<usize>>, part: &str, idx: usize) {
    match parts.get_mut(part) {
        Some(v) if v.contains(&idx) => {}
        Some(v) => v.push(idx),
        None => {
            parts.insert(part.to_string(), vec![idx]);
        }
    }
}

/// The matching key of a value of `kind` (see the module docs).
pub(crate) fn key_of(kind: PiiKind, value: &str) -> String {
    match kind {
        PiiKind::Email => value.trim().to_lowercase(),
        PiiKind::Phone => {
            // a leading "00" is the international prefix, as "+" is
            let digits = if value.trim_start().starts_with("00") {
                value.trim_start().get(2..).unwrap_or("")
            } else {
                value
            };
            ascii_key(digits, u8::is_ascii_digit)
        }
        PiiKind::Card | PiiKind::Ssn => ascii_key(value, u8::is_ascii_digit),
        PiiKind::Iban => {
            let mut k = ascii_key(value, u8::is_ascii_alphanumeric);
            k.make_ascii_uppercase();
            k
        }
        PiiKind::Ip => {
            let v = value.trim();
            let bare = v.split('/').next().unwrap_or(v);
            match bare.parse::<std::net::IpAddr>() {
                Ok(ip) => ip.to_string(),
                Err(_) => v.to_lowercase(),
            }
        }
        PiiKind::Person | PiiKind::Org => {
            let mut k = fold_collapsed(value);
            let kept = k.trim_end_matches(['.', ',']).len();
            k.truncate(kept);
            k
        }
        PiiKind::Url | PiiKind::Address | PiiKind::Dob => fold_collapsed(value),
    }
}

/// The ASCII bytes of `value` that `keep` accepts, in one allocation.
fn ascii_key(value: &str, keep: fn(&u8) -> bool) -> String {
    let mut k = String::with_capacity(value.len());
    k.extend(value.bytes().filter(keep).map(char::from));
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ph(s: &mut Session, kind: PiiKind, v: &str) -> String {
        s.intern(kind, v, LinkHint::None, usize::MAX)
            .map(|p| p.text())
            .unwrap_or_default()
    }

    #[test]
    fn organisations_link_by_their_name_without_legal_form() {
        let mut s = Session::new();
        assert_eq!(ph(&mut s, PiiKind::Org, "Globex Corp."), "[ORG_1]");
        assert_eq!(ph(&mut s, PiiKind::Org, "GLOBEX"), "[ORG_1.2]");
        // the other way round
        assert_eq!(ph(&mut s, PiiKind::Org, "Initech"), "[ORG_2]");
        assert_eq!(ph(&mut s, PiiKind::Org, "Initech, Inc."), "[ORG_2.2]");
        // ... but only while it is known by its short name alone
        assert_eq!(ph(&mut s, PiiKind::Org, "Initech GmbH"), "[ORG_3]");
        // two organisations share the short name: it links to neither
        assert_eq!(ph(&mut s, PiiKind::Org, "Hooli Ltd"), "[ORG_4]");
        assert_eq!(ph(&mut s, PiiKind::Org, "Hooli AG"), "[ORG_5]");
        assert_eq!(ph(&mut s, PiiKind::Org, "Hooli"), "[ORG_6]");
        // legal forms with dots link too (keys lose trailing dots)
        assert_eq!(ph(&mut s, PiiKind::Org, "Umbrella B.V."), "[ORG_7]");
        assert_eq!(ph(&mut s, PiiKind::Org, "Umbrella"), "[ORG_7.2]");
        assert_eq!(ph(&mut s, PiiKind::Org, "Vandelay Intl."), "[ORG_8]");
        assert_eq!(ph(&mut s, PiiKind::Org, "Vandelay Intl. Inc"), "[ORG_8.2]");
        // and by the first word when the rest is generic
        assert_eq!(
            ph(&mut s, PiiKind::Org, "Tessellate Systems Inc."),
            "[ORG_9]"
        );
        assert_eq!(ph(&mut s, PiiKind::Org, "Tessellate"), "[ORG_9.2]");
        assert_eq!(ph(&mut s, PiiKind::Org, "Kestrel"), "[ORG_10]");
        assert_eq!(ph(&mut s, PiiKind::Org, "Kestrel Data Ltd"), "[ORG_10.2]");
        // the links hold in a session loaded from its document
        let mut back = Session::from_json(&s.to_json().unwrap_or_default()).unwrap_or_default();
        assert_eq!(ph(&mut back, PiiKind::Org, "globex"), "[ORG_1.3]");
        assert_eq!(ph(&mut back, PiiKind::Org, "Hooli"), "[ORG_6]");
    }

    #[test]
    fn a_known_organisation_keeps_its_own_entity() {
        let mut s = Session::new();
        assert_eq!(ph(&mut s, PiiKind::Org, "Globex GmbH"), "[ORG_1]");
        let known = LinkHint::Known { key: "globex corp" };
        let globex = s.intern(PiiKind::Org, "Globex", known, usize::MAX);
        assert_eq!(globex.map(|p| p.text()).unwrap_or_default(), "[ORG_2]");
        // the known full name was seen: another company's name does not join it
        assert_eq!(ph(&mut s, PiiKind::Org, "Globex Ltd"), "[ORG_3]");
    }

    #[test]
    fn a_known_person_keeps_their_own_entity() {
        let mut s = Session::new();
        assert_eq!(ph(&mut s, PiiKind::Person, "Bob Smith"), "[PERSON_1]");
        let known = LinkHint::Known { key: "alice smith" };
        let smith = s.intern(PiiKind::Person, "Smith", known, usize::MAX);
        assert_eq!(smith.map(|p| p.text()).unwrap_or_default(), "[PERSON_2]");
        let alice = s.intern(PiiKind::Person, "Alice", known, usize::MAX);
        assert_eq!(alice.map(|p| p.text()).unwrap_or_default(), "[PERSON_2.2]");
        // a learned name still joins the contact it names in full
        assert_eq!(ph(&mut s, PiiKind::Person, "Alice Smith"), "[PERSON_2.3]");
    }

    #[test]
    fn same_value_same_placeholder_and_numbering() {
        let mut s = Session::new();
        assert_eq!(ph(&mut s, PiiKind::Email, "a@x.com"), "[EMAIL_1]");
        assert_eq!(ph(&mut s, PiiKind::Email, "b@x.com"), "[EMAIL_2]");
        assert_eq!(ph(&mut s, PiiKind::Email, "a@x.com"), "[EMAIL_1]");
        assert_eq!(ph(&mut s, PiiKind::Email, "A@X.com"), "[EMAIL_1.2]");
        assert_eq!(ph(&mut s, PiiKind::Phone, "+44 20 7946 0958"), "[PHONE_1]");
        assert_eq!(
            ph(&mut s, PiiKind::Phone, "0044 20 7946 0958"),
            "[PHONE_1.2]"
        );
        assert_eq!(s.value(PiiKind::Email, 1, Some(2)), Some("A@X.com"));
        assert_eq!(s.value(PiiKind::Email, 1, Some(9)), Some("a@x.com"));
        assert_eq!(s.value(PiiKind::Email, 3, None), None);
    }

    #[test]
    fn person_linking_rule() {
        let mut s = Session::new();
        assert_eq!(ph(&mut s, PiiKind::Person, "Alice Smith"), "[PERSON_1]");
        assert_eq!(ph(&mut s, PiiKind::Person, "Alice"), "[PERSON_1.2]");
        assert_eq!(ph(&mut s, PiiKind::Person, "Smith"), "[PERSON_1.3]");
        assert_eq!(ph(&mut s, PiiKind::Person, "ALICE SMITH"), "[PERSON_1.4]");
        // Bob first, then Bob Jones joins him
        assert_eq!(ph(&mut s, PiiKind::Person, "Bob"), "[PERSON_2]");
        assert_eq!(ph(&mut s, PiiKind::Person, "Bob Jones"), "[PERSON_2.2]");
        // a second Alice makes a bare "Alice" ambiguous from now on
        assert_eq!(ph(&mut s, PiiKind::Person, "Alice Brown"), "[PERSON_3]");
        assert_eq!(ph(&mut s, PiiKind::Person, "Alice"), "[PERSON_1.2]");
        assert_eq!(ph(&mut s, PiiKind::Person, "Brown"), "[PERSON_3.2]");
        // a surname with particles joins the person too
        assert_eq!(
            ph(&mut s, PiiKind::Person, "José Antonio de la Cruz Márquez"),
            "[PERSON_4]"
        );
        assert_eq!(ph(&mut s, PiiKind::Person, "De la Cruz"), "[PERSON_4.2]");
    }

    #[test]
    fn ambiguous_part_is_its_own_person() {
        let mut s = Session::new();
        ph(&mut s, PiiKind::Person, "Alice Smith");
        ph(&mut s, PiiKind::Person, "Alice Brown");
        assert_eq!(ph(&mut s, PiiKind::Person, "Alice"), "[PERSON_3]");
    }

    #[test]
    fn serde_round_trip_continues_numbering() {
        let mut s = Session::new();
        ph(&mut s, PiiKind::Person, "Alice Smith");
        ph(&mut s, PiiKind::Person, "Alice");
        ph(&mut s, PiiKind::Ip, "10.0.0.1");
        let json = s.to_json().unwrap_or_default();
        assert!(json.starts_with("{\"version\":1,\"entities\":["));
        let mut t = Session::from_json(&json).unwrap_or_default();
        assert_eq!(t.len(), 2);
        assert_eq!(ph(&mut t, PiiKind::Person, "Smith"), "[PERSON_1.3]");
        assert_eq!(ph(&mut t, PiiKind::Person, "Carol King"), "[PERSON_2]");
        assert_eq!(ph(&mut t, PiiKind::Ip, "10.0.0.2"), "[IP_2]");
    }

    #[test]
    fn invalid_documents_are_refused() {
        for bad in [
            r#"{"version":2,"entities":[]}"#,
            r#"{"version":1,"entities":[{"kind":"PERSON","number":1,"forms":[]}]}"#,
            r#"{"version":1,"entities":[{"kind":"PERSON","number":0,"forms":["a"]}]}"#,
            r#"{"version":1,"entities":[{"kind":"IP","number":1,"forms":["a"]},{"kind":"IP","number":1,"forms":["b"]}]}"#,
        ] {
            assert!(Session::from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn session_full() {
        let mut s = Session::new();
        assert!(s.intern(PiiKind::Ip, "1.1.1.1", LinkHint::None, 1).is_ok());
        assert!(s.intern(PiiKind::Ip, "1.1.1.1", LinkHint::None, 1).is_ok());
        assert!(matches!(
            s.intern(PiiKind::Ip, "2.2.2.2", LinkHint::None, 1),
            Err(RedactError::SessionFull { limit: 1 })
        ));
    }
}
