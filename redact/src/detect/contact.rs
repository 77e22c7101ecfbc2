//! E-mail addresses, identifying URLs and paths, and IP addresses.
//!
//! * E-mail: RFC-ish ASCII local part and dotted domain with a letter TLD.
//! * URL: any `scheme://…` (http, ssh, postgres, …) or `www.…` link is a
//!   candidate, but only those
//!   with credentials (`user:pass@host`), a personal path segment
//!   (`/users/NAME`, `/home/NAME`, `/profile/NAME`, `/~NAME`, …) or a
//!   personal query parameter (`?email=`, `name=`, `token=`, …) are kept.
//!   Bare filesystem paths under a home directory (`/home/NAME/…`,
//!   `/Users/NAME/…`, `C:\Users\NAME\…`) are kept too, as kind URL.
//!   Links to a person's page on a social or code site
//!   (`facebook.com/NAME`, `github.com/NAME`) are kept, also without a
//!   scheme.
//! * User names after a label (`username: jdoe`, `user: jdoe (…)`) and
//!   mentions (`@mateo.ruiz`), as kind PERSON.
//! * IPv4 (dotted quad, optional CIDR suffix) and IPv6 (validated by the
//!   standard library parser).

use super::near::Near;
use super::starts::{compile_many, scan_at, Starts};
use super::{compile, scan, scan_captures, scan_near, Candidate, Source, Verdict};
use crate::placeholder::PiiKind;
use crate::text::{char_at, char_before};
use aho_corasick::AhoCorasick;
use regex::Regex;
use std::sync::LazyLock;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?i-u)\b[a-z0-9][a-z0-9._%+\-]{0,63}@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.){1,8}[a-z]{2,24}\b",
    )
});

/// Only the start of a link; its end is found by [`token_end`].
static URL_START: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i)(?-u:\b)[a-z][a-z0-9+.\-]{1,15}://|(?-u:\b)www\."));

/// Longest [`URL_START`] match in bytes: 16 scheme chars of up to 3 bytes
/// (`(?i)` lets `K` match the Kelvin sign) and `://`.
const URL_REACH: usize = 64;

/// Positions of `://` and `www.` (any case): every link start holds one.
fn url_triggers(text: &str) -> Vec<usize> {
    static MARKS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["://", "www."])
            .ok()
    });
    match MARKS.as_ref() {
        Some(ac) => ac.find_iter(text).map(|m| m.start()).collect(),
        // cannot happen (constant patterns); search everywhere instead
        None => (0..text.len())
            .filter(|&i| text.is_char_boundary(i))
            .collect(),
    }
}

/// A home-directory path up to and including the user name segment.
static HOME_PATH: LazyLock<regex_automata::meta::Regex> = LazyLock::new(|| {
    compile_many(&[
        r#"/(?:home|Users|users)/[A-Za-z0-9._\-]{1,64}|(?-u:\b)[A-Za-z]:\\(?:Users|Documents and Settings)\\[^\\\s"'<>]+"#,
    ])
});

/// Where a [`HOME_PATH`] match can start: the `/` of `/home/`, `/Users/`,
/// `/users/`, and the drive letter before `:\Users\` or
/// `:\Documents and Settings\`. Every match begins with one of these
/// literals (case as written), so trying the pattern anchored only there
/// finds what a scan of the whole text finds.
fn home_path_starts(text: &str) -> Vec<usize> {
    const SLASH: [&str; 3] = ["/home/", "/Users/", "/users/"];
    const COLON: [&str; 2] = [":\\Users\\", ":\\Documents and Settings\\"];
    // each mark begins with `/` or `:`, found by a fast single-byte search
    let at = |i: usize, marks: &[&str]| marks.iter().any(|m| text[i..].starts_with(m));
    let slashes = text.match_indices('/').map(|(i, _)| i);
    let slashes = slashes.filter(|&i| at(i, &SLASH));
    let b = text.as_bytes();
    // the drive letter is one ASCII byte before the colon
    let colons = text.match_indices(':').map(|(i, _)| i);
    let colons = colons.filter(|&i| i > 0 && b[i - 1].is_ascii_alphabetic() && at(i, &COLON));
    let mut out: Vec<usize> = slashes.chain(colons.map(|i| i - 1)).collect();
    out.sort_unstable();
    out
}

static IPV4: LazyLock<regex_automata::meta::Regex> = LazyLock::new(|| {
    compile_many(&[
        r"(?-u)\b(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:/[0-9]{1,2})?\b",
    ])
});

static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?i-u)(?:\b[0-9a-f]{1,4}|::)[0-9a-f:]{2,41}(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3})?(?:%[0-9a-z]{1,15})?",
    )
});

/// A user name after a label: `username: jdoe`, `login=jdoe`, `user: jdoe`.
static USERNAME: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?i)(?-u:\b)(?P<cue>user[ _\-]?name|user[ _\-]?id|login|handle|account name|user)[ ]{0,2}[:=][ ]{0,2}@?(?P<name>[a-z0-9][a-z0-9._\-]{1,63})(?-u:\b)",
    )
});

/// Path segments after which the next segment names a person.
const PERSONAL_SEGMENTS: &[&str] = &[
    "users",
    "user",
    "home",
    "u",
    "profile",
    "profiles",
    "people",
    "person",
    "member",
    "members",
    "account",
    "accounts",
    "customer",
    "customers",
    "patient",
    "patients",
    "employee",
    "employees",
    "contact",
    "contacts",
    "in",
];

/// Query parameters whose value is personal or secret.
const PERSONAL_PARAMS: &[&str] = &[
    "email",
    "e-mail",
    "mail",
    "user",
    "username",
    "user_name",
    "login",
    "name",
    "fullname",
    "full_name",
    "first_name",
    "firstname",
    "last_name",
    "lastname",
    "surname",
    "phone",
    "tel",
    "mobile",
    "ssn",
    "dob",
    "birthdate",
    "address",
    "addr",
    "zip",
    "postcode",
    "token",
    "access_token",
    "id_token",
    "refresh_token",
    "key",
    "api_key",
    "apikey",
    "password",
    "pass",
    "passwd",
    "pwd",
    "secret",
    "auth",
    "session",
    "sessionid",
    "sid",
    "sig",
    "signature",
    "account",
    "iban",
    "card",
];

/// Builds this module's patterns now (see [`crate::prepare`]).
pub(crate) fn prepare() {
    LazyLock::force(&MENTION);
    LazyLock::force(&EMAIL);
    LazyLock::force(&URL_START);
    LazyLock::force(&HOME_PATH);
    LazyLock::force(&IPV4);
    LazyLock::force(&IPV6);
    LazyLock::force(&USERNAME);
}

#[cfg(test)]
pub(crate) fn detect(text: &str, kinds: &crate::KindSet, out: &mut Vec<Candidate>) {
    detect_at(text, &Starts::of(text), kinds, out);
}

/// Runs the contact detectors; `starts` are the digit-led start positions
/// of `text` (for IPv4).
pub(crate) fn detect_at(
    text: &str,
    starts: &Starts,
    kinds: &crate::KindSet,
    out: &mut Vec<Candidate>,
) {
    if kinds.contains(PiiKind::Email) && text.contains('@') {
        scan(&EMAIL, text, PiiKind::Email, out, |m| {
            Verdict::Accept(m.start(), m.end())
        });
    }
    if kinds.contains(PiiKind::Url) {
        // A link runs to the end of its token; a rejected link resumes the
        // search after that token (links inside it were part of the check),
        // so every byte is looked at once.
        let mut near = Near::new(url_triggers(text), URL_REACH, 0, URL_REACH);
        let mut pos = 0;
        while let Some(m) = near.find(&URL_START, text, pos) {
            let raw_end = token_end(text, m.end());
            let end = m.start() + trim_url_end(&text[m.start()..raw_end]);
            if end > m.end() && url_is_personal(&text[m.start()..end]) {
                out.push(Candidate::new(
                    m.start(),
                    end,
                    PiiKind::Url,
                    Source::Pattern,
                ));
            }
            pos = raw_end.max(m.end());
        }
        let homes = home_path_starts(text);
        scan_at(&HOME_PATH, text, &homes, PiiKind::Url, out, |m| {
            // part of a longer token (e.g. a URL handled above)?
            if char_before(text, m.start()).is_some_and(|b| b.is_alphanumeric() || b == '.') {
                return Verdict::Reject;
            }
            let raw_end = token_end(text, m.end());
            Verdict::Accept(
                m.start(),
                m.start() + trim_url_end(&text[m.start()..raw_end]),
            )
        });
    }
    if kinds.contains(PiiKind::Url) {
        bare_links(text, out);
    }
    if kinds.contains(PiiKind::Person) && text.contains('@') {
        scan(&MENTION, text, PiiKind::Person, out, |m| {
            // the handle is the match after its `@` (one byte)
            if mention_ok(text, m.start(), &m.as_str()[1..]) {
                Verdict::Accept(m.start() + 1, m.end())
            } else {
                Verdict::Reject
            }
        });
    }
    if kinds.contains(PiiKind::Person) && text.contains([':', '=']) {
        scan_captures(&USERNAME, text, PiiKind::Person, out, |c| {
            match (c.name("cue"), c.name("name")) {
                (Some(cue), Some(name))
                    if username_ok(text, cue.as_str(), name.as_str(), name.end()) =>
                {
                    Verdict::Accept(name.start(), name.end())
                }
                _ => Verdict::Reject,
            }
        });
    }
    if kinds.contains(PiiKind::Ip) {
        scan_at(&IPV4, text, &starts.ipv4, PiiKind::Ip, out, |m| {
            if ipv4_context_ok(text, m.start(), m.end()) {
                Verdict::Accept(m.start(), m.end())
            } else {
                Verdict::Reject
            }
        });
        if text.contains(':') {
            // A kept address has two colons at most 5 bytes apart: it has
            // `::` or three groups, and a group has at most 4 hex digits
            // (an embedded IPv4 part comes after the last colon). A match
            // is at most 76 bytes, so it starts within 80 bytes before the
            // first colon of such a pair.
            let colons = text
                .match_indices(':')
                .map(|(i, _)| i)
                .filter(|&i| colon_pair_at(text.as_bytes(), i))
                .collect();
            let mut near = Near::new(colons, 80, 0, 80);
            scan_near(
                &IPV6,
                &mut near,
                text,
                PiiKind::Ip,
                out,
                |m| match ipv6_prefix(m.as_str()) {
                    Some(len) => Verdict::Accept(m.start(), m.start() + len),
                    None => Verdict::Reject,
                },
            );
        }
    }
}

/// Personal links written without a scheme or `www.`
/// (`twitter.com/orrinblackwood`, `example.com/users/jdoe`), which
/// [`URL_START`] does not see: at each slash after one of [`HOST_TLDS`], the host is the
/// run of host characters before it, unless that run is part of a link
/// with a scheme, an e-mail address or a path.
fn bare_links(text: &str, out: &mut Vec<Candidate>) {
    let b = text.as_bytes();
    let mut pos = 0;
    // slashes are rare in prose: the search for them is a memchr
    for (slash, _) in text.match_indices('/') {
        let head = &b[..slash];
        let tld = HOST_TLDS.iter().find(|t| {
            head.len() >= t.len() && head[head.len() - t.len()..].eq_ignore_ascii_case(t.as_bytes())
        });
        let Some(tld) = tld else {
            continue;
        };
        let m = (slash - tld.len())..(slash + 1);
        if m.start < pos {
            continue;
        }
        let is_host = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-');
        let start = b[..m.start]
            .iter()
            .rposition(|c| !is_host(c))
            .map_or(0, |i| i + 1);
        let inside = start
            .checked_sub(1)
            .is_some_and(|i| matches!(b[i], b'/' | b'@' | b':' | b'\\'));
        if start == m.start || inside {
            continue;
        }
        let raw_end = token_end(text, m.end);
        let end = start + trim_url_end(&text[start..raw_end]);
        pos = raw_end;
        if end > m.end && url_is_personal(&format!("https://{}", &text[start..end])) {
            out.push(Candidate::new(start, end, PiiKind::Url, Source::Pattern));
        }
    }
}

/// Whether the `@` at `at` starts a mention of `handle`: a word of its own
/// (after a space, a line start or an opening bracket or quote, and before
/// a space, punctuation or the end: not `user@host`, not binary noise),
/// not followed by a domain (`@example.com` is a host), not a code
/// annotation ([`NOT_HANDLES`]), and at least two characters.
fn mention_ok(text: &str, at: usize, handle: &str) -> bool {
    let opens = |c: char| c.is_whitespace() || matches!(c, '(' | '[' | '{' | '"' | '\'' | '>');
    if !char_before(text, at).is_none_or(opens) {
        return false;
    }
    let closes = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ',' | ':' | ';' | '.' | '!' | '?' | ')' | ']' | '}' | '"' | '\''
            )
    };
    if !char_at(text, at + 1 + handle.len()).is_none_or(closes) {
        return false;
    }
    let lower = handle.to_ascii_lowercase();
    let first = lower.split('.').next().unwrap_or(&lower);
    if NOT_HANDLES.contains(&first) || handle.len() < 2 {
        return false;
    }
    // `@acme.com`, `@app.route`: a dotted handle ending in a TLD-like or
    // code-like part is a host or an attribute path, not a person
    match lower.rsplit_once('.') {
        Some((_, last)) => !matches!(
            last,
            "com"
                | "org"
                | "net"
                | "io"
                | "dev"
                | "app"
                | "co"
                | "de"
                | "uk"
                | "fr"
                | "nl"
                | "route"
                | "get"
                | "post"
                | "fixture"
                | "mark"
                | "command"
                | "task"
                | "setter"
                | "getter"
        ),
        None => true,
    }
}

/// Whether the colon at `i` has another colon at most 5 bytes after it.
fn colon_pair_at(b: &[u8], i: usize) -> bool {
    b[i + 1..b.len().min(i + 6)].contains(&b':')
}

/// End of the URL-ish token that continues at `from`.
fn token_end(text: &str, from: usize) -> usize {
    text[from..]
        .char_indices()
        .find(|&(_, c)| {
            c.is_whitespace()
                || matches!(
                    c,
                    '<' | '>' | '"' | '\'' | '`' | '[' | ']' | '{' | '}' | '|' | '^'
                )
        })
        .map_or(text.len(), |(i, _)| from + i)
}

/// After an explicit label (`username:`) any handle counts. After a plain
/// `user:` (also a chat role label) only a lowercase handle that has a
/// digit or `._-` in it, or stands alone before `(`, `,` or a line end.
fn username_ok(text: &str, cue: &str, name: &str, end: usize) -> bool {
    if crate::names::is_stopword(&name.to_lowercase()) {
        return false;
    }
    if !cue.eq_ignore_ascii_case("user") {
        return true;
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return false;
    }
    let marked = name.contains(|c: char| c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    let rest = text[end..].trim_start_matches(' ');
    marked || rest.is_empty() || rest.starts_with(['(', ',', ';', '\n', '\r'])
}

/// Drops trailing sentence punctuation and an unbalanced closing paren.
fn trim_url_end(s: &str) -> usize {
    // the brackets are counted once; dropping a `)` lowers its count
    let opens = s.matches('(').count();
    let mut closes = s.matches(')').count();
    let mut end = s.len();
    while let Some(c) = s[..end].chars().next_back() {
        let drop = match c {
            '.' | ',' | ';' | ':' | '!' | '?' | '*' | '_' => true,
            ')' => opens < closes,
            _ => false,
        };
        if !drop {
            break;
        }
        if c == ')' {
            closes -= 1;
        }
        end -= c.len_utf8();
    }
    end
}

/// Sites where the first path segment is a person's page
/// (`facebook.com/maria.gonzalez.9081`, `calendly.com/jane-okafor`).
const SOCIAL_HOSTS: &[&str] = &[
    "facebook.com",
    "fb.com",
    "twitter.com",
    "x.com",
    "instagram.com",
    "tiktok.com",
    "threads.net",
    "linkedin.com",
    "calendly.com",
    "t.me",
    "wa.me",
    "vk.com",
    "pinterest.com",
    "snapchat.com",
    "venmo.com",
    "paypal.me",
    "cash.app",
    "linktr.ee",
    "about.me",
    "keybase.io",
    "behance.net",
    "dribbble.com",
    "soundcloud.com",
    "flickr.com",
    "tumblr.com",
    "xing.com",
];

/// Code hosts: a single path segment is a profile (`github.com/orrinb`);
/// two are a project (`github.com/rust-lang/regex`), which is not personal.
const CODE_HOSTS: &[&str] = &[
    "github.com",
    "gitlab.com",
    "bitbucket.org",
    "codeberg.org",
    "sourcehut.org",
];

/// First path segments of those sites that are pages of the site, not of a
/// person.
const SITE_PAGES: &[&str] = &[
    "about",
    "help",
    "login",
    "signup",
    "settings",
    "search",
    "explore",
    "features",
    "pricing",
    "topics",
    "marketplace",
    "orgs",
    "organizations",
    "groups",
    "pages",
    "events",
    "watch",
    "hashtag",
    "share",
    "sharer",
    "sharer.php",
    "intent",
    "home",
    "policies",
    "legal",
    "privacy",
    "terms",
    "docs",
    "blog",
    "company",
    "jobs",
    "careers",
    "enterprise",
    "sponsors",
    "trending",
    "notifications",
    "messages",
    "i",
    "feed",
    "status",
    "download",
    "apps",
    "developers",
];

/// Whether `host` (as written after the scheme, lower-case) and path
/// segments `segs` are a person's page on a social or code site.
fn is_profile(host: &str, segs: &[&str]) -> bool {
    let host = host.split(':').next().unwrap_or(host);
    let host = ["www.", "m.", "mobile."]
        .iter()
        .find_map(|p| host.strip_prefix(p))
        .unwrap_or(host);
    let Some(first) = segs.first() else {
        return false;
    };
    if SITE_PAGES.contains(first) {
        return false;
    }
    SOCIAL_HOSTS.contains(&host) || (CODE_HOSTS.contains(&host) && segs.len() == 1)
}

/// The top-level domains of [`SOCIAL_HOSTS`] and [`CODE_HOSTS`], with the
/// dot before them: a link written without `https://` is looked for only
/// where a slash follows one of them (see [`bare_links`]).
const HOST_TLDS: &[&str] = &[
    ".com", ".me", ".net", ".org", ".io", ".ee", ".app", ".social",
];

/// A mention `@handle` (Slack, GitHub, social media), not an e-mail's `@`
/// and not a code annotation; the handle without its `@` is the name.
static MENTION: LazyLock<Regex> =
    LazyLock::new(|| compile(r"@[A-Za-z][A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]+)*"));

/// Words after `@` that are not people: channel-wide mentions and common
/// annotations and at-rules of code.
const NOT_HANDLES: &[&str] = &[
    "here",
    "channel",
    "everyone",
    "all",
    "team",
    "override",
    "param",
    "return",
    "returns",
    "throws",
    "throw",
    "deprecated",
    "media",
    "import",
    "keyframes",
    "font-face",
    "supports",
    "property",
    "staticmethod",
    "classmethod",
    "dataclass",
    "interface",
    "implementation",
    "end",
    "test",
    "before",
    "after",
    "inject",
    "component",
    "injectable",
    "input",
    "output",
    "app",
    "pytest",
    "author",
    "since",
    "see",
    "version",
    "type",
    "types",
    "example",
    "link",
    "todo",
    "fixme",
    "latest",
    "next",
    "beta",
    "types",
    "tailwind",
    "apply",
    "layer",
    "use",
    "extend",
    "mixin",
    "include",
    "if",
    "else",
    "each",
    "charset",
    "namespace",
    "page",
    "container",
    "autowired",
    "nullable",
    "nonnull",
    "notnull",
    "transactional",
    "service",
    "repository",
    "controller",
    "restcontroller",
    "bean",
    "configuration",
    "value",
    "getmapping",
    "postmapping",
    "requestmapping",
    "suppresswarnings",
    "functionalinterface",
    "entity",
    "table",
    "column",
    "id",
    "data",
    "builder",
    "getter",
    "setter",
    "jsonproperty",
    "override",
    "async",
    "published",
];

/// Whether a URL carries credentials or identifies a person.
pub(crate) fn url_is_personal(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let after_scheme = lower
        .find("://")
        .map_or(lower.as_str(), |p| &lower[p + 3..]);
    let auth_end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    if after_scheme[..auth_end].contains('@') {
        return true;
    }
    let rest = &after_scheme[auth_end..];
    let (path, query) = match rest.find(['?', '#']) {
        Some(q) => (&rest[..q], &rest[q + 1..]),
        None => (rest, ""),
    };
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if is_profile(&after_scheme[..auth_end], &segs) {
        return true;
    }
    for (i, seg) in segs.iter().enumerate() {
        if seg.starts_with('~') && seg.len() > 1 {
            return true;
        }
        if seg.contains('@') {
            return true;
        }
        if PERSONAL_SEGMENTS.contains(seg) && i + 1 < segs.len() {
            return true;
        }
    }
    query.split(['&', ';', '#']).any(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        !v.is_empty() && (PERSONAL_PARAMS.contains(&k) || v.contains("%40") || v.contains('@'))
    })
}

/// Rejects dotted quads that are part of longer dotted numbers (versions,
/// OIDs) or explicitly labelled versions.
fn ipv4_context_ok(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    if start >= 2 && b[start - 1] == b'.' && b[start - 2].is_ascii_digit() {
        return false;
    }
    if end + 1 < b.len() && b[end] == b'.' && b[end + 1].is_ascii_digit() {
        return false;
    }
    if matches!(char_before(text, start), Some('v' | 'V')) {
        return false;
    }
    let before = text.get(start.saturating_sub(9)..start).unwrap_or("");
    !before.to_ascii_lowercase().contains("version")
        && !matches!(char_at(text, end), Some('-') if text[end..].starts_with("-rc"))
}

/// Longest prefix of a candidate that is a plausible IPv6 address.
fn ipv6_prefix(s: &str) -> Option<usize> {
    let mut end = s.len();
    for _ in 0..3 {
        let cand = &s[..end];
        let addr = cand.split('%').next().unwrap_or(cand);
        if addr.parse::<std::net::Ipv6Addr>().is_ok() && ipv6_plausible(addr) {
            return Some(end);
        }
        let t = cand.trim_end_matches(':');
        if t.len() == cand.len() {
            break;
        }
        end = t.len();
    }
    None
}

/// Excludes code-like tokens (`abc::def`) and tiny forms (`::1`).
fn ipv6_plausible(addr: &str) -> bool {
    let groups = addr.split(':').filter(|g| !g.is_empty()).count();
    let has_digit = addr.bytes().any(|b| b.is_ascii_digit());
    has_digit && (groups >= 3 || (groups == 2 && addr.contains("::") && addr.len() >= 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(PiiKind, String)> {
        crate::detect::test_support::found_resolved(text, detect)
    }

    /// The positions the home-path and IPv6 searches are limited to cover
    /// every match they keep: each char boundary where the pattern matches
    /// is checked against the prefilter.
    #[test]
    fn prefilters_cover_every_kept_match() {
        use regex_automata::{Anchored, Input};
        for text in crate::detect::test_support::prefilter_texts() {
            let homes = home_path_starts(&text);
            let b = text.as_bytes();
            for (i, _) in text.char_indices() {
                let at = Input::new(&text).range(i..).anchored(Anchored::Yes);
                if HOME_PATH.search(&at).is_some() {
                    assert!(homes.contains(&i), "home path at {i} in {text:?}");
                }
                let Some(m) = IPV6.find_at(&text, i).filter(|m| m.start() == i) else {
                    continue;
                };
                let Some(len) = ipv6_prefix(m.as_str()) else {
                    continue;
                };
                let pair = (i..i + len).any(|c| b[c] == b':' && colon_pair_at(b, c));
                assert!(pair, "IPv6 {:?} has no colon pair", &text[i..i + len]);
            }
        }
    }

    #[test]
    fn emails() {
        let f = found("Mail alice.smith+crm@example.co.uk or <bob@mail.example.org>.");
        assert!(f.contains(&(PiiKind::Email, "alice.smith+crm@example.co.uk".into())));
        assert!(f.contains(&(PiiKind::Email, "bob@mail.example.org".into())));
        assert!(found("a@a.a@a.a@").is_empty());
    }

    #[test]
    fn urls() {
        let f =
            found("See https://admin:hunter2@db.internal:5432/x, and https://example.com/docs.");
        assert_eq!(
            f,
            vec![(
                PiiKind::Url,
                "https://admin:hunter2@db.internal:5432/x".into()
            )]
        );
        assert!(url_is_personal("https://github.com/users/jdoe/repos"));
        assert!(url_is_personal("https://x.com/reset?email=a%40b.com"));
        assert!(url_is_personal("http://host/~mkowalski/cv.pdf"));
        assert!(!url_is_personal("https://docs.rs/regex/latest/regex/"));
        assert!(url_is_personal(
            "https://www.facebook.com/maria.gonzalez.9081"
        ));
        assert!(url_is_personal("https://calendly.com/jane-okafor/30min"));
        assert!(url_is_personal("https://github.com/orrinb"));
        assert!(!url_is_personal("https://github.com/rust-lang/regex"));
        assert!(!url_is_personal(
            "https://www.facebook.com/groups/gardening"
        ));
        assert!(!url_is_personal("https://twitter.com/"));
        let f = found("Logs in /home/jsmith/.config/app.log and C:\\Users\\MariaG\\Desktop");
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].1, "/home/jsmith/.config/app.log");
        assert_eq!(f[1].1, "C:\\Users\\MariaG\\Desktop");
    }

    /// A schemeless link is looked for only after one of [`HOST_TLDS`]:
    /// every listed site must end with one.
    #[test]
    fn host_tlds_cover_the_listed_sites() {
        for host in SOCIAL_HOSTS.iter().chain(CODE_HOSTS) {
            assert!(
                HOST_TLDS.iter().any(|t| host.ends_with(t)),
                "{host} ends with none of HOST_TLDS"
            );
        }
    }

    #[test]
    fn bare_profiles_and_mentions() {
        let f = found(
            "See twitter.com/orrinblackwood, github.com/orrinb and github.com/rust-lang/regex; \
             book at calendly.com/jane-okafor, mastodon.social/@hemi. Mail jo@github.com/x",
        );
        let urls: Vec<&str> = f
            .iter()
            .filter(|(k, _)| *k == PiiKind::Url)
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(
            urls,
            vec![
                "twitter.com/orrinblackwood",
                "github.com/orrinb",
                "calendly.com/jane-okafor",
                "mastodon.social/@hemi"
            ]
        );
        let people = |t: &str| -> Vec<String> {
            found(t)
                .into_iter()
                .filter(|(k, _)| *k == PiiKind::Person)
                .map(|(_, v)| v)
                .collect()
        };
        assert_eq!(
            people("@mateo.ruiz: thanks (@rchowdhury), cc @here"),
            vec!["mateo.ruiz", "rchowdhury"]
        );
        assert!(people("mail a@b.io, @Override, @app.route('/'), @acme.com, @ 5pm").is_empty());
        assert!(people("@Autowired private Repo r; @Nullable String x;").is_empty());
    }

    #[test]
    fn usernames() {
        let f = found("Affected user: mkowalski (Marta), login=j.doe42; User: Hallo, user: yes");
        let names: Vec<&str> = f.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(names, vec!["mkowalski", "j.doe42"]);
    }

    #[test]
    fn ips() {
        let f = found(
            "Server 192.168.10.24 and 2001:db8:85a3::8a2e:370:7334, fe80::1ff:fe23:4567:890a.",
        );
        let ips: Vec<&str> = f.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            ips,
            vec![
                "192.168.10.24",
                "2001:db8:85a3::8a2e:370:7334",
                "fe80::1ff:fe23:4567:890a"
            ]
        );
        assert!(found("version 1.2.3.4 and v10.0.0.1 and 1.2.3.4.5").is_empty());
        assert!(found("use std::fmt; at 12:30:45, mac 00:1a:2b:3c:4d:5e, abc::def").is_empty());
    }
}
