//! Built-in name data: a gazetteer of common given names (English and
//! international, about 850, lowercase) and the word lists the person
//! heuristics use — names that are also ordinary words, titles, cue words
//! and capitalised words that are not names.
//!
//! Every list feeds one table, the lexicon, built once on first use: a
//! lowercase word maps to the set of lists it is in ([`list`] bits), so a
//! word is hashed once however many lists a caller asks about.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

/// FNV-1a: these sets hold short static keys and are probed once per word,
/// where SipHash's setup cost dominates. No untrusted keys are inserted.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Which lists a word is in: one bit per list.
pub(crate) mod list {
    /// In the given-name gazetteer.
    pub(crate) const GIVEN: u32 = 1;
    /// A given name that is also a common capitalised word.
    pub(crate) const AMBIGUOUS: u32 = 1 << 1;
    /// A capitalised word that is not a name.
    pub(crate) const STOPWORD: u32 = 1 << 2;
    pub(crate) const TITLE: u32 = 1 << 3;
    pub(crate) const OPENER: u32 = 1 << 4;
    pub(crate) const SIGNOFF: u32 = 1 << 5;
    pub(crate) const HEADER: u32 = 1 << 6;
    /// A single word after which a capitalised word is a name.
    pub(crate) const PHRASE: u32 = 1 << 7;
    pub(crate) const PARTICLE: u32 = 1 << 8;
    /// `Jean-Luc`: a given name before a hyphen. Not in the lexicon: the
    /// person heuristics work it out (see `detect::facts`).
    pub(crate) const HYPHEN_GIVEN: u32 = 1 << 9;
    // the words the multi-word cues look for
    pub(crate) const YOU: u32 = 1 << 10;
    pub(crate) const THANK: u32 = 1 << 11;
    pub(crate) const AS: u32 = 1 << 12;
    pub(crate) const KNOWN: u32 = 1 << 13;
    pub(crate) const IS: u32 = 1 << 14;
    pub(crate) const NAME: u32 = 1 << 15;
    pub(crate) const ME: u32 = 1 << 16;
    pub(crate) const CALL: u32 = 1 << 17;
    /// A given name that is an ordinary lowercase word somewhere.
    pub(crate) const LOWER_WORD: u32 = 1 << 18;
    /// A verb after which `by` or `to` takes a name: `Reported by`.
    pub(crate) const BY_VERB: u32 = 1 << 19;
    pub(crate) const BY: u32 = 1 << 20;
}

/// Common given names, lowercase.
const GIVEN_NAMES: &str = "
aaliyah aaron abdul abdullah abena abigail abraham achieng adam adaeze adebayo adeline aditi aditya
adriana adrian agnes agnieszka ahmad ahmed aiden aisha akira akosua alain alan albert alberto alejandra
alejandro aleksandra alessandra alessandro alessia alex alexa alexander alexandra alexei alexey alexis
alfie alfonso alfred ali alice alicia alina alison allison alyssa amanda amara amelia amelie amélie amina
amir amira amit amy ana anastasia anders andré andrea andreas andrei andres andrés andrew andrzej
andy angela angelica angelo anil anita anja anjali ann anna annabelle anne annette annie annika anthony
antoine antonia antonio anya arjun arnav arthur arturo ashley astrid aurelie aurélie aurora ava avi
axel ayesha ayşe barbara beatrice beatriz belinda ben benedict benjamin bernard bernardo bernd bethany
betty beverly bianca birgit björn bjorn bogdan boris brandon brenda brian brianna bridget brittany
bruce bruno bryan burak caleb callum cameron camila camille carla carlos carmen carolina caroline
carolyn caroline cassandra catalina catherine cecilia celine céline charles charlie charlotte chen
cheryl chiamaka chidi chinedu chioma chloe chloé chris christina christine christopher chukwuemeka
cindy claire claudia colin connor conor constance cristina cynthia daisuke damian dan dana daniel
daniela danielle daniele dariusz david davide deborah debra deepak deepika denise dennis derek
diana diane diego dieter dimitri dmitri dmitry dominic dominik donald donna doris dorothy douglas
duncan dylan edith eduardo edward edwin ekaterina elena eleanor elif elijah elin elisa elisabeth
elizabeth ella ellen ellie elodie élodie emeka emil emilia emilie émilie emily emma emre enrique eric
erica erik erin ernesto esther ethan eugene eva evelyn evie ewa fabian fabio farah fatima fatma
federica federico felipe felix fernanda fernando filip finley finn fiona florian francesca francesco
francisco françois françoise freddie frederick freja freya fumiko gabriel gabriela gabriele gabrielle
gareth gary gavin gemma george georg gerald gerhard giada gianluca gina giovanni giulia giuseppe
gloria gonzalo gordon graham gregory greta gunther gustavo hadiza hamza hana hannah hanna hans harold
haruka haruto harvey hassan heather heidi heike heinz helen helena helga henrik henry hiroshi hiroko
hugo hui hussein hyun ian ibrahim ignacio igor ilya imran inês ines ingrid ioana irina isaac isabel
isabella isabelle isla ivan jacek jacob jacqueline jakob jakub james jamie jana janet janice janine
jasmin jason javier jayden jeffrey jennifer jenny jeremy jerome jessica jesse jing joanna joanne joao
joão joaquin joaquín joel johan johanna john jonas jonathan jorge josé jose josef joseph josephine
joshua joyce juan judith judy julia julian juliana julie julien julius jürgen jurgen justin kai
kamala kamau karen karim karin karina karl katarzyna kate katharina katherine kathleen kathryn katie
katrin kavya kayla keisha keith kelly kenji kenneth kevin khalid kiara kieran kim kimberly kirsten
klaus kofi kojo krishna kristen krzysztof kumar kwame kyle lakshmi lars laura lauren laurent layla lea
léa leah leila lena leon leonardo leonie lei liam lina linda lisa lorenzo louis louise luca lucas
lucia lucía luciana lucy luis luisa lukas luke lydia magdalena maja malik manon manuel marco marcus
margaret margarita margaux maria maría mariam mariana marie marilyn marina mario marisol marjorie
markus marta martha martin martina mary maryam mason mateo mateus mathieu matteo matthew matthias
maximilian maya megan mehmet mei melanie melissa mia michael michaela michel michelle miguel mikael
mikhail milan ming miriam mohamed mohammad mohammed monika monique muhammad mustafa nadia nancy naomi
natalia natalie natasha nathalie nathan neha nia nicholas nicola nicolas nicole niklas nikolai nina
noah noor nora norbert nour obinna oksana olga oliver olivia oluwaseun omar oscar owen pablo pamela
paolo patricia patrick paul paula pauline paulo pavel paweł pawel pedro petra philip philipp philippe
pierre piotr pooja prakash pradeep priya priyanka rachel rafael rahul raj rajesh ramesh ramón ramon
randy raphael raquel rashid raúl raul ravi rebecca renata rené renee ricardo richard rita robert
roberta roberto rodrigo rohan roland roman ronald rosalind ruth ryan sabine sabrina sachin sakura
salma samantha samir samuel sandra sanjay santiago sara sarah sasha satoshi scott sean sebastian
sebastián sergei sergey sergio shannon sharon sheila shirley shreya silvia simon simone siobhan sipho
sneha sofia sofía sophia sophie stefan stefano stella stephanie stephen steven sunil sunita susan
susanne suzanne svetlana sven sylvia sylvie takashi tamara tanya tariq tatiana teresa terrence thabo
theo theodore theresa thierry thomas tiago timothy tobias toby tomasz tommy tunde uche ulrich ursula
uwe valentina valeria vanessa vera veronica victoria vikram vincent vivek vladimir walter wanjiru
wei wendy werner william willem wojciech wolfgang xavier xiao ximena yasmin yasmine yelena yosef
yuki yuko yulia yuna yusuf yvonne zainab zara zeynep zoe zoë zofia olivier pieter bobby mai sam
samuel daan sanne joost bram femke thijs mette søren soren lotte oskar jens kristian ragnar
jane jim jimmy joe tim tony steve mike dave liz beth meg becky matt greg jeff ted fred ron phil
pete rick danny jake zach josh nate ben kathy cathy sally molly tina kristina debbie tracy stacy
lucas jose luis carlos sean shaun
will may june april august grace hope faith joy rose mark bill pat art jack frank sue dawn eve summer
autumn sky river lane chase max miles reed wade cliff glen dean drew ray guy don gene rich sandy
holly ivy iris jade pearl amber ruby lily poppy crystal violet hazel olive jasmine daisy willow sage
robin penny carol jean jan mercedes dolores angel christian victor jordan austin madison sydney paris
florence chelsea georgia virginia hunter carter cooper parker taylor clara rosa blanca pilar alma luz
paz sol bob rob nick tom harry ken ella leo mia ama
orrin hannelore rutger leopold cornelius eamon penelope declan kwabena xiomara åsa özlem ngozi ezekiel
marguerite rhys cressida desmond quentin sunniva thaddeus aoife orla gisela maarten jarrah ingeborg
benoît anton bernadette bertrand brendan caitlin casper cedric chiara christoph cormac craig dario
deirdre edmund eileen elaine elias elise eliza elliot erika ernest floris francis garrett geoffrey
gerard gertrude gideon gilbert gunnar gustav gwen hamish harald harriet hector heinrich herbert hilda
horace howard hugh humphrey irene isidore jasper joachim jocelyn juliet konrad kristin lawrence
leonard lionel ludwig magnus malcolm marcel margot marian marianne marion matilda maurice monica
moritz nathaniel neil nigel octavia olaf osvaldo otto peter phoebe quinn ralph reginald reinhard
renate rhiannon roderick roger rosemary rudolf rupert russell serena sigrid stefanie thea torsten
trevor tristan valerie wilhelm winifred yolanda zachary aarav anand femi folasade ifeoma jin nkechi
fatuma njeri otieno yaw sota yui hina ren minh linh thanh huong arash dariush farzana nasrin cem
deniz oğuz selin niamh saoirse ciara cillian oisin padraig seamus eoin ronan tadhg grainne sinead
roisin
";

/// Given names that are also common capitalised words (months, virtues,
/// places, verbs): they count as names only with a surname after them or
/// a cue before them.
const AMBIGUOUS: &str = "
will may june april august grace hope faith joy rose mark bill pat art jack frank sue dawn eve summer
autumn sky river lane chase max miles reed wade cliff glen dean drew ray guy don gene rich sandy
holly ivy iris jade pearl amber ruby lily poppy crystal violet hazel olive jasmine daisy willow sage
robin penny carol jean jan mercedes dolores angel christian victor jordan austin madison sydney paris
florence chelsea georgia virginia victoria charlotte hunter carter cooper parker taylor mason clara
rosa blanca pilar alma luz paz sol santiago kim lee milan maya aurora mai
";

/// Given names that are ordinary lowercase words in some language; they
/// are never matched in lowercase.
const LOWER_WORDS: &str = "
bob rob nick tom harry ken ella leo mia ama claire marie pierre victor sue pat don art bill will
may mark jack frank grace hope faith joy rose dawn eve max miles guy ray gene rich angel christian
dean drew chase lane reed wade cliff glen sandy holly ivy iris jade pearl amber ruby lily poppy
crystal violet hazel olive jasmine daisy willow sage robin penny carol jean jan sol paz luz alma rosa
blanca clara pilar kai hana nia nora lina gina vera nina lea kate dana sasha ian sara anna ann eva
emil mai mei ming hui wei lei yuki jing chen kim sky river summer autumn june april august
aurora bianca gloria sakura maya milan stella josh sally molly mike peter roger rosemary marian
hector ralph
";

/// Titles before a surname: `Mr. Okafor`, `Dr Chen`.
const TITLES: &str = "
mr mrs ms miss mx dr prof professor sir dame lord lady herr frau mme mlle madame monsieur sr sra srta
señor señora senor senora dott dottoressa sig signor signora rev reverend fr father sister brother
capt captain sgt sergeant lt lieutenant col colonel officer detective det judge senator nurse
ssa ing mag attorney lawyer counsel advocate notary doctor coach pastor rabbi imam bishop inspector
constable mayor governor minister m dhr mevr mevrouw heer
";

/// Openers: the name follows on the same line (`Dear Okafor,`, `Hi Tom`).
const OPENERS: &str = "dear hi hello hey hiya greetings attn attention bonjour cher chère chers hola estimado estimada querido querida gentile caro cara ciao hallo liebe lieber geehrte geehrter hej hoi beste olá prezado prezada";

/// Sign-offs: the name may follow on the next line (`Best regards,\nAlice`).
const SIGNOFFS: &str = "thanks thank thx cheers regards sincerely best love yours cordially respectfully warmly wishes cordialement amitiés bises saludos atentamente saluti cordiali grüße grüßen grüsse gruß gruss groeten abraços";

/// Header words that take a name after a colon: `From: Alice`.
const HEADER_CUES: &str = "from to cc bcc attn contact name customer client patient employee user assignee assigned owner reporter requester caller candidate tenant guest recipient sender author signed agent rep representative applicant member buyer seller driver passenger witness attendees attendee participants participant panel panelists moderator speaker speakers host organizer organiser cardholder holder beneficiary insured policyholder claimant interviewer interviewee present approver reviewer";

/// Verbs after which `by` or `to` takes a name (`Reported by`, `Assigned
/// to`): a header cue without the colon.
const BY_VERBS: &str = "reported approved prepared submitted signed created requested reviewed written sent escalated handled authored assigned delegated forwarded reassigned referred raised opened closed filed logged entered updated edited modified";

/// Capitalised words that are not names; they stop name extension and are
/// never captured after a cue.
const STOPWORDS: &str = "
the a an and or but if in on at to for from of with by as is are was were be been being i we you he she
it they me my our your his her their its this that these those there here what when where who whom
why how which hi hello dear thanks thank please yes no not ok okay team all everyone everybody folks
guys friends colleagues sir madam customer valued hiring manager world support sales admin
administrator both again so also just then than too very can could would should shall might
must do does did has have had get got let new old next last first final re fwd fw subject note notes
meeting agenda update summary action item items today tomorrow yesterday tonight morning afternoon
evening monday tuesday wednesday thursday friday saturday sunday january february march
july september october november december mon tue wed thu fri sat sun jan feb mar apr jun jul
aug sep sept oct nov dec street st avenue ave road rd boulevard blvd lane drive dr court place way
inc llc ltd gmbh corp co plc company group holdings university college school hospital bank city
county state north south east west central general department office ceo cto cfo vp hr it api pm am
mr mrs ms prof regards best cheers sincerely love yours hey via per re ticket issue order invoice
account project client user users admin service services system team's everyone's
ask tell call ping meet see message invite remind send give told asked called met saw emailed
thanked spoke talked wrote contacted i'm i’m i'll i’ll i've i’ve i'd i’d sure oops yes yeah
welcome sorry great good fine right well
station airport museum theatre theater opera cathedral tech institute foundation academy
texas california florida ohio arizona oregon nevada utah colorado illinois michigan minnesota
wisconsin iowa kansas missouri kentucky tennessee alabama louisiana oklahoma arkansas
massachusetts connecticut maryland pennsylvania canada mexico germany spain italy scotland
japan australia brazil
";

/// Surname particles that may sit between capitalised name parts.
const PARTICLES: &str =
    "van von der den de del della da di du la le dos das bin binti al el ben ter ten y e zu";

/// Single words after which a capitalised word is a name.
const PHRASE_CUES: &str = "named m'appelle m’appelle llamo heiße heisse chiamo aka alias chamo";

/// Every list with its bit, and the cue words that are a list of one.
const LISTS: &[(&str, u32)] = &[
    (GIVEN_NAMES, list::GIVEN),
    (AMBIGUOUS, list::AMBIGUOUS),
    (LOWER_WORDS, list::LOWER_WORD),
    (TITLES, list::TITLE),
    (OPENERS, list::OPENER),
    (SIGNOFFS, list::SIGNOFF),
    (HEADER_CUES, list::HEADER),
    (STOPWORDS, list::STOPWORD),
    (PARTICLES, list::PARTICLE),
    (PHRASE_CUES, list::PHRASE),
    ("you", list::YOU),
    ("thank", list::THANK),
    ("as", list::AS),
    ("known", list::KNOWN),
    ("is", list::IS),
    ("name", list::NAME),
    ("me", list::ME),
    ("call", list::CALL),
    (BY_VERBS, list::BY_VERB),
    ("by to", list::BY),
];

/// Lowercase word → its [`list`] bits.
static LEXICON: LazyLock<HashMap<&'static str, u32, BuildHasherDefault<Fnv>>> =
    LazyLock::new(|| {
        let mut map = HashMap::default();
        for &(words, bit) in LISTS {
            for w in words.split_whitespace() {
                *map.entry(w).or_insert(0) |= bit;
            }
        }
        map
    });

/// The [`list`] bits of lowercase word `lower` (0 for most words).
pub(crate) fn lists_of(lower: &str) -> u32 {
    if !FILTER.may_contain(lower) {
        return 0;
    }
    LEXICON.get(lower).copied().unwrap_or(0)
}

/// A 64 Ki-bit filter over the lexicon keyed by length, first two and
/// last byte: most words of prose are turned away by one bit test, before
/// hashing. No false negatives (every word's bit is set). Built at compile
/// time, so a probe needs no lazy initialisation.
struct Filter([u64; 1 << 10]);

impl Filter {
    const fn slot(w: &[u8]) -> usize {
        let (Some(&a), Some(&z)) = (w.first(), w.last()) else {
            return 0;
        };
        let b = if w.len() > 1 { w[1] } else { 0 };
        let key = a as u32 | (b as u32) << 8 | (z as u32) << 16 | (w.len() as u32) << 24;
        (key.wrapping_mul(0x9E37_79B1) >> 16) as usize
    }
    const fn new(lists: &[(&str, u32)]) -> Self {
        let mut bits = [0u64; 1 << 10];
        let mut n = 0;
        while n < lists.len() {
            Self::add(&mut bits, lists[n].0);
            n += 1;
        }
        Filter(bits)
    }
    /// Sets the bits of the whitespace-separated words of `words`.
    const fn add(bits: &mut [u64; 1 << 10], words: &str) {
        let b = words.as_bytes();
        let mut i = 0;
        while i < b.len() {
            // one whitespace-separated word: b[i..j]
            if b[i].is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < b.len() && !b[j].is_ascii_whitespace() {
                j += 1;
            }
            let (_, rest) = b.split_at(i);
            let (word, _) = rest.split_at(j - i);
            let slot = Self::slot(word);
            bits[slot / 64] |= 1 << (slot % 64);
            i = j;
        }
    }
    fn may_contain(&self, w: &str) -> bool {
        let i = Self::slot(w.as_bytes());
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
}

static FILTER: Filter = Filter::new(LISTS);
/// The filter over the gazetteer alone: the person heuristics ask about
/// every lowercase word of four letters or more, and most of them are
/// prose that the full filter would let through (`with`, `that`, `have`).
static GIVEN_FILTER: Filter = Filter::new(&[(GIVEN_NAMES, list::GIVEN)]);

/// Number of distinct given names in the gazetteer.
pub fn gazetteer_len() -> usize {
    LEXICON
        .values()
        .filter(|&&bits| bits & list::GIVEN != 0)
        .count()
}

/// The surname that starts at a name's particles (`de la cruz` in `josé
/// antonio de la cruz márquez`, `van der berg` in `mary ann van der
/// berg`): from the first particle after the first word through the word
/// after the particles. `name` is folded with single spaces; `None` when
/// it has no such particle or starts with one (it is all surname).
pub(crate) fn particle_surname(name: &str) -> Option<&str> {
    let first_end = name.find(' ')?;
    if lists_of(&name[..first_end]) & list::PARTICLE != 0 {
        return None;
    }
    let mut at = first_end + 1;
    let mut start = None;
    while at < name.len() {
        let end = name[at..].find(' ').map_or(name.len(), |i| at + i);
        let particle = lists_of(&name[at..end]) & list::PARTICLE != 0;
        match (start, particle) {
            (None, true) => start = Some(at),
            (Some(s), false) => return Some(&name[s..end]),
            _ => {}
        }
        at = end + 1;
    }
    None
}

/// `lower` is in the given-name gazetteer.
pub(crate) fn is_given_name(lower: &str) -> bool {
    GIVEN_FILTER.may_contain(lower) && lists_of(lower) & list::GIVEN != 0
}
/// May be matched in lowercase text.
pub(crate) fn lowercase_ok(lower: &str) -> bool {
    lists_of(lower) & (list::LOWER_WORD | list::AMBIGUOUS) == 0 && lower.chars().count() >= 4
}
/// A capitalised word that is not a name.
pub(crate) fn is_stopword(lower: &str) -> bool {
    lists_of(lower) & list::STOPWORD != 0
}

/// Legal-form suffixes removed to get an organisation's short name.
const ORG_SUFFIXES: &[&str] = &[
    "inc",
    "inc.",
    "llc",
    "ltd",
    "ltd.",
    "limited",
    "gmbh",
    "ag",
    "corp",
    "corp.",
    "corporation",
    "co.",
    "plc",
    "s.a.",
    "sa",
    "sas",
    "sarl",
    "b.v.",
    "bv",
    "n.v.",
    "nv",
    "pty",
    "llp",
    "lp",
    "kg",
    "oy",
    "ab",
    "s.p.a.",
    "spa",
    "srl",
    "holdings",
    "incorporated",
    "as",
    "asa",
    "a/s",
    "aps",
    "oyj",
    "se",
    "kgaa",
    "sl",
    "ltda",
];

/// An organisation's name without its legal form (`acme widgets` for
/// `acme widgets, inc.`), given its folded, whitespace-collapsed name; `None`
/// when it has no legal form or too little is left (under three chars,
/// counting a space a lone comma leaves).
pub(crate) fn org_short_name(folded: &str) -> Option<&str> {
    strip_legal_form(folded, false)
}

/// [`org_short_name`] of a session key, which has lost its trailing dots
/// (`acme b.v` for `Acme B.V.`): a legal form counts with or without its
/// final dot, and the short name's own trailing dots go too (`acme intl`
/// for `Acme Intl. Inc`, as for `Acme Intl.`).
pub(crate) fn org_short_key(key: &str) -> Option<&str> {
    strip_legal_form(key, true).map(|short| short.trim_end_matches('.'))
}

/// Generic words that end organisation names: `Tessellate Systems`,
/// `Pemberton & Sons`, `Kestrel Data Services` are called `Tessellate`,
/// `Pemberton`, `Kestrel` for short.
const ORG_NOUNS: &[&str] = &[
    "systems",
    "system",
    "robotics",
    "technologies",
    "technology",
    "tech",
    "solutions",
    "group",
    "labs",
    "lab",
    "laboratories",
    "partners",
    "consulting",
    "consultants",
    "capital",
    "software",
    "analytics",
    "logistics",
    "foods",
    "marine",
    "media",
    "pharma",
    "pharmaceuticals",
    "energy",
    "services",
    "industries",
    "international",
    "global",
    "enterprises",
    "ventures",
    "networks",
    "digital",
    "data",
    "security",
    "health",
    "healthcare",
    "medical",
    "insurance",
    "investments",
    "properties",
    "realty",
    "construction",
    "engineering",
    "manufacturing",
    "motors",
    "airlines",
    "trading",
    "brands",
    "studios",
    "games",
    "communications",
    "telecom",
    "associates",
    "sons",
    "brothers",
    "bros",
    "&",
    "and",
];

/// First words that are too common to stand for one organisation.
const COMMON_BRAND_WORDS: &[&str] = &[
    "united",
    "global",
    "international",
    "national",
    "american",
    "british",
    "european",
    "royal",
    "premier",
    "standard",
    "advanced",
    "digital",
    "modern",
    "smart",
    "green",
    "blue",
    "red",
    "black",
    "white",
    "golden",
    "silver",
    "pacific",
    "atlantic",
    "western",
    "eastern",
    "northern",
    "southern",
    "metro",
    "urban",
    "prime",
    "apex",
    "summit",
    "pioneer",
    "allied",
    "integrated",
    "applied",
    "creative",
    "strategic",
    "total",
    "universal",
    "continental",
    "federal",
    "local",
    "quality",
    "express",
    "direct",
    "online",
    "data",
    "health",
    "energy",
    "security",
];

/// The distinctive first word of an organisation's short name
/// ([`org_short_name`]) when the rest is generic (see [`ORG_NOUNS`]):
/// `tessellate` for `tessellate systems`. `None` when nothing generic
/// ends the name, or the word left is short, a known word of the lexicon
/// (a given name, a stopword, …) or too common (`united logistics`).
pub(crate) fn org_brand(short: &str) -> Option<&str> {
    let mut brand = short;
    while let Some((rest, last)) = brand.rsplit_once(' ') {
        if !ORG_NOUNS.contains(&last) {
            break;
        }
        brand = rest.trim_end();
    }
    let distinctive = brand.len() < short.len()
        && !brand.contains(' ')
        && brand.chars().count() >= 4
        && lists_of(brand) == 0
        && !COMMON_BRAND_WORDS.contains(&brand);
    distinctive.then_some(brand)
}

/// See [`org_short_name`]; with `dotless`, a legal form may lack its final
/// dot.
fn strip_legal_form(name: &str, dotless: bool) -> Option<&str> {
    let is_legal_form = |word: &str| {
        ORG_SUFFIXES.contains(&word)
            || (dotless
                && ORG_SUFFIXES
                    .iter()
                    .any(|form| form.strip_suffix('.') == Some(word)))
    };
    let mut short = name;
    // drop trailing legal-form words, each with the commas after it
    while let Some((rest, last)) = short.rsplit_once(' ') {
        if !is_legal_form(last.trim_end_matches(',')) {
            break;
        }
        short = rest;
    }
    if short.len() == name.len() {
        return None;
    }
    let short = short.trim_end_matches(',');
    // a lone comma before the legal form (`acme , inc`) leaves a space
    (short.chars().count() >= 3).then_some(short.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_short_names() {
        assert_eq!(org_short_name("acme widgets, inc."), Some("acme widgets"));
        assert_eq!(org_short_name("globex corp"), Some("globex"));
        assert_eq!(org_short_name("maersk a/s"), Some("maersk"));
        assert_eq!(org_short_name("zyxqo , inc"), Some("zyxqo"));
        assert_eq!(org_short_name("hooli holdings ltd"), Some("hooli"));
        assert_eq!(
            org_short_name("ab , inc"),
            Some("ab"),
            "three chars with the space"
        );
        for none in ["acme widgets", "acme,", "inc", "xy inc"] {
            assert_eq!(org_short_name(none), None, "{none}");
        }
        // session keys lose trailing dots
        assert_eq!(org_short_name("acme b.v"), None);
        assert_eq!(org_short_key("acme b.v"), Some("acme"));
        assert_eq!(org_short_key("acme s.p.a"), Some("acme"));
        assert_eq!(org_short_key("acme intl. inc"), Some("acme intl"));
        assert_eq!(org_short_key("acme widgets"), None);
    }

    #[test]
    fn particle_surnames() {
        for (name, surname) in [
            ("josé antonio de la cruz márquez", Some("de la cruz")),
            ("mary ann van der berg", Some("van der berg")),
            ("ludwig von hohenberg", Some("von hohenberg")),
            ("de la cruz", None),
            ("alice smith", None),
            ("alice van", None),
        ] {
            assert_eq!(particle_surname(name), surname, "{name}");
        }
    }

    #[test]
    fn org_brands() {
        for (short, brand) in [
            ("tessellate systems", "tessellate"),
            ("pemberton & sons", "pemberton"),
            ("acme robotics", "acme"),
            ("kestrel data services", "kestrel"),
        ] {
            assert_eq!(org_brand(short), Some(brand), "{short}");
        }
        for none in [
            "tessellate",
            "acme widgets",
            "united logistics",
            "alice logistics",
            "general motors",
            "bank of nordvik",
            "abc systems",
            "blue river analytics",
        ] {
            assert_eq!(org_brand(none), None, "{none}");
        }
    }

    #[test]
    fn lists_are_consistent() {
        assert!(gazetteer_len() >= 500, "{}", gazetteer_len());
        for w in AMBIGUOUS.split_whitespace() {
            assert!(!lowercase_ok(w), "{w}");
        }
        for w in GIVEN_NAMES.split_whitespace() {
            assert_eq!(w, w.to_lowercase(), "{w}");
        }
        assert!(is_given_name("alice") && is_given_name("priya") && is_given_name("josé"));
        let ambiguous = |w| lists_of(w) & list::AMBIGUOUS != 0;
        assert!(ambiguous("may") && !ambiguous("alice"));
        assert!(is_stopword("the") && lists_of("named") & list::PHRASE != 0);
        assert_eq!(lists_of("dr"), list::TITLE | list::STOPWORD);
        // every word of every list is found, through the filter
        for &(words, bit) in LISTS {
            for w in words.split_whitespace() {
                assert!(lists_of(w) & bit != 0, "{w}");
            }
        }
        assert!(lowercase_ok("alice") && !lowercase_ok("bob") && !lowercase_ok("ian"));
    }
}
