//! What class names, ids and short lines say about page furniture: the
//! readability-style hints, the boilerplate lines and the editor's notices.

use aho_corasick::AhoCorasick;
use regex::Regex;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use crate::text::lexicon;
pub use crate::text::notice::{is_notice, starts_with_marker as may_start_notice};

/// Class/id words that mark furniture no matter what else the name says.
const JUNK_TOKENS: &[&str] = &[
    "ad",
    "ads",
    "adv",
    "advert",
    "adverts",
    "advertisement",
    "advertising",
    "adsbygoogle",
    "adslot",
    "dfp",
    "gpt",
    "sponsor",
    "sponsored",
    "promo",
    "promotion",
    "share",
    "shares",
    "sharing",
    "sharebar",
    "social",
    "socials",
    "newsletter",
    "newsletters",
    "subscribe",
    "subscription",
    "signup",
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "related",
    "recommended",
    "recommendations",
    "outbrain",
    "taboola",
    "trending",
    "mostread",
    "popular",
    "comments",
    "comment",
    "disqus",
    "breadcrumb",
    "breadcrumbs",
    "sidebar",
    "navbar",
    "nav",
    "navigation",
    "menu",
    "footer",
    "masthead",
    "toolbar",
    "byline",
    "bio",
    "caption",
    "figcaption",
    "credit",
    "credits",
    "tags",
    "tag",
    "tagcloud",
    "topics",
    "pagination",
    "pager",
    "modal",
    "popup",
    "overlay",
    "banner",
    "rail",
    "skyscraper",
    "teaser",
    "teasers",
    "donate",
    "donation",
    "paywall",
    "print",
    "dateline",
    "timestamp",
    "meta",
    "author",
    "authors",
    "follow",
    "readmore",
    "jump",
    "hidden",
    "visually",
    "sr",
    "screen",
    "offscreen",
    "noprint",
    "header",
    "newsletter",
    "embed",
    "video",
    "audio",
    "gallery",
    "slideshow",
    "carousel",
    "login",
    "comments-area",
    "disclaimer",
    "rating",
    "reactions",
    "feedback",
    "tooltip",
    "more",
];

/// Class/id words that mark the article.
const GOOD_TOKENS: &[&str] = &[
    "article",
    "articlebody",
    "body",
    "content",
    "entry",
    "main",
    "post",
    "story",
    "text",
    "blog",
    "prose",
    "richtext",
    "paragraph",
    "postbody",
    "storybody",
    "news",
    "page",
];

/// Multi-word furniture names, matched as substrings; each hyphen may be left out
/// ("read-more", "readmore").
const JUNK_PARTS: &[&str] = &[
    "most-read",
    "most-popular",
    "more-stories",
    "read-more",
    "read-next",
    "related",
    "recommend",
    "newsletter",
    "social",
    "share",
    "sharing",
    "cookie",
    "consent",
    "sidebar",
    "comment",
    "disqus",
    "outbrain",
    "taboola",
    "adsense",
    "advert",
    "sponsor",
    "promo",
    "subscri",
    "sign-up",
    "author-bio",
    "author-info",
    "author-box",
    "author-card",
    "about-author",
    "about-the-author",
    "breadcrumb",
    "pagination",
    "skip-link",
    "toolbar",
    "also-read",
    "also-like",
    "you-may",
    "recirc",
    "engagement",
    "trending",
    "paywall",
    "app-download",
    "follow-us",
    "site-header",
    "site-footer",
    "site-nav",
    "global-nav",
    "global-header",
    "global-footer",
];

/// A comment section's names.
const COMMENTS_PARTS: &[&str] = &["comment", "disqus", "respond"];

/// Article names, matched as substrings (hyphens as written).
const GOOD_PARTS: &[&str] =
    &["article", "body", "content", "entry", "main", "post", "story", "text", "hentry", "h-entry", "prose", "blog"];

const JUNK_PART: u8 = 1;
const COMMENTS_PART: u8 = 2;
const GOOD_PART: u8 = 4;

/// All the substrings above in one automaton, with the flag each sets: one pass over
/// a name finds them all.
static NAME_PARTS: LazyLock<(AhoCorasick, Vec<u8>)> = LazyLock::new(|| {
    let mut parts: Vec<(String, u8)> = Vec::new();
    for p in JUNK_PARTS {
        // Every spelling with some of the hyphens left out.
        let pieces: Vec<&str> = p.split('-').collect();
        for mask in 0..1u32 << (pieces.len() - 1) {
            let mut s = pieces[0].to_string();
            for (k, piece) in pieces[1..].iter().enumerate() {
                if mask & (1 << k) != 0 {
                    s.push('-');
                }
                s.push_str(piece);
            }
            parts.push((s, JUNK_PART));
        }
    }
    parts.extend(COMMENTS_PARTS.iter().map(|p| (p.to_string(), COMMENTS_PART)));
    parts.extend(GOOD_PARTS.iter().map(|p| (p.to_string(), GOOD_PART)));
    let automaton = AhoCorasick::new(parts.iter().map(|p| &p.0)).expect("valid patterns");
    (automaton, parts.into_iter().map(|p| p.1).collect())
});

/// The flags of the [`NAME_PARTS`] found in a lower-cased name.
fn name_parts(lower: &str) -> u8 {
    let (automaton, flags) = &*NAME_PARTS;
    let mut found = 0;
    for m in automaton.find_overlapping_iter(lower) {
        found |= flags[m.pattern().as_usize()];
        if found == JUNK_PART | COMMENTS_PART | GOOD_PART {
            break;
        }
    }
    found
}

/// FNV-1a: class words are short, and SipHash costs more than the look-up.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A [`HashMap`] hasher for short strings.
pub type FnvBuild = BuildHasherDefault<Fnv>;

/// Hint carried by one element's class, id and role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Hint {
    /// A furniture word appears.
    pub junk: bool,
    /// An article word appears.
    pub good: bool,
    /// A furniture name that no article word can rescue ("share-bar", "most-read").
    pub strong: bool,
    /// A comment section.
    pub comments: bool,
}

/// Reads the hint of an element from its `class`, `id` and `role`/`itemprop`.
pub fn hint(class: &str, id: &str, role: &str) -> Hint {
    // One look-up a token: bit 1 for furniture words, bit 2 for article words.
    static WORDS: LazyLock<HashMap<&'static str, u8, FnvBuild>> = LazyLock::new(|| {
        let mut m = HashMap::default();
        for w in JUNK_TOKENS {
            *m.entry(*w).or_insert(0) |= 1;
        }
        for w in GOOD_TOKENS {
            *m.entry(*w).or_insert(0) |= 2;
        }
        m
    });
    let mut h = Hint::default();
    if class.is_empty() && id.is_empty() && role.is_empty() {
        return h;
    }
    let class = without_style_utilities(class);
    for s in [&*class, id] {
        if s.is_empty() {
            continue;
        }
        // Most names are lower-case ASCII already: no copy then.
        let lower: Cow<'_, str> =
            if s.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) { s.to_lowercase().into() } else { s.into() };
        for t in lower.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()) {
            if let Some(&bits) = WORDS.get(t) {
                h.junk |= bits & 1 != 0;
                h.good |= bits & 2 != 0;
            }
        }
        let parts = name_parts(&lower);
        if parts & JUNK_PART != 0 {
            h.junk = true;
            h.strong = true;
        }
        h.comments |= parts & COMMENTS_PART != 0;
        h.good |= parts & GOOD_PART != 0;
    }
    const FURNITURE_ROLES: [&str; 11] = [
        "navigation",
        "banner",
        "contentinfo",
        "complementary",
        "search",
        "menu",
        "menubar",
        "dialog",
        "alertdialog",
        "toolbar",
        "tablist",
    ];
    if FURNITURE_ROLES.iter().any(|r| role.eq_ignore_ascii_case(r)) {
        h.junk = true;
        h.strong = true;
    } else if ["main", "article", "articlebody"].iter().any(|r| role.eq_ignore_ascii_case(r)) {
        h.good = true;
    }
    h
}

/// `class` without utility-first CSS names ("text-lg", "text-gray-700", "lg:flex"):
/// they say how an element looks, not what it is, and "text-…" would read as an
/// article word on every styled heading and teaser.
fn without_style_utilities(class: &str) -> Cow<'_, str> {
    if !class.contains("text-") && !class.contains(':') && !class.contains("overflow") {
        return Cow::Borrowed(class);
    }
    Cow::Owned(class.split_ascii_whitespace().filter(|name| !is_style_utility(name)).collect::<Vec<_>>().join(" "))
}

/// A utility class name: a variant ("md:hidden", "hover:underline"), an overflow rule
/// or a text style (size, alignment, colour: "text-2xl", "text-center", "text-fl-lg",
/// "text-slate-500").
fn is_style_utility(name: &str) -> bool {
    const STYLES: &[&str] = &[
        "xs",
        "sm",
        "md",
        "lg",
        "xl",
        "base",
        "left",
        "center",
        "right",
        "justify",
        "start",
        "end",
        "wrap",
        "nowrap",
        "balance",
        "pretty",
        "ellipsis",
        "clip",
        "white",
        "black",
        "gray",
        "grey",
        "slate",
        "zinc",
        "neutral",
        "stone",
        "red",
        "orange",
        "amber",
        "yellow",
        "lime",
        "green",
        "emerald",
        "teal",
        "cyan",
        "sky",
        "blue",
        "indigo",
        "violet",
        "purple",
        "fuchsia",
        "pink",
        "rose",
        "primary",
        "secondary",
        "muted",
        "inherit",
        "current",
        "transparent",
        "surface",
        "accent",
    ];
    let is_size = |w: &str| STYLES.contains(&w) || w.ends_with("xl") || w.bytes().all(|b| b.is_ascii_digit());
    if name.contains(':') {
        return true;
    }
    // How a box clips or scrolls ("overflow-hidden", "sc-overflow--hidden",
    // "overflow-x-auto"), not whether it is shown.
    if name.contains("overflow") && ["hidden", "auto", "scroll", "visible", "clip"].iter().any(|s| name.ends_with(s)) {
        return true;
    }
    let Some(rest) = name.strip_prefix("text-") else { return false };
    let mut words = rest.split('-');
    let first = words.next().unwrap_or("");
    let last = rest.rsplit('-').next().unwrap_or("");
    first.starts_with('[') || is_size(first) || is_size(last)
}

/// Readability's class weight: +25 for article words, -25 for furniture words.
pub fn weight(h: Hint) -> f32 {
    let mut w = 0.0;
    if h.good {
        w += 25.0;
    }
    if h.junk {
        w -= 25.0;
    }
    w
}

/// Whether a text is a template's placeholder ("Lorem ipsum dolor sit amet").
pub fn is_placeholder(text: &str) -> bool {
    let t = text.trim_start();
    t.get(..11).is_some_and(|p| p.eq_ignore_ascii_case("lorem ipsum"))
}

/// Relative times ("7 minutes ago", "vor 3 Stunden", "il y a 2 heures").
static AGO_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:\d+|an?|one)\s*(?:s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|weeks?|months?|years?)\s+ago\b|\bvor\s+\d+\s+(?:sekunden|minuten|stunden|tagen|wochen)\b|\bil\s+y\s+a\s+\d+\s+(?:secondes?|minutes?|heures?|jours?)\b|\bjust now\b",
    )
    .unwrap()
});

/// "4 minute read", "Lesezeit: 3 Minuten".
static READ_TIME_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b\d+\s*(?:-\s*)?(?:min|mins|minutes?)\.?\s+(?:read|lesen|de lecture)\b|\blesezeit\b|\btemps de lecture\b|\breading time\b")
        .unwrap()
});

/// Calls to action: two of these in one short line make it a promo.
static PROMO_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:subscribe|subscribing|subscription|sign up|signup|newsletters?|in your inbox|inbox|follow us|download (?:our|the) app|support (?:our|independent) journalism|click here|free trial|unlimited access|abonnieren|newsletter|abonnez-vous|inscrivez-vous)\b")
        .unwrap()
});

/// Short lines that are furniture whatever element they sit in.
static BOILER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\W*(?:advertisement|anzeige|publicité|werbung|sponsored(?: content)?|ad|skip (?:to|ad)(?-u:\b).*|share(?: this)?(?: article| story| on \w+)?|teilen|partager|print|drucken|imprimer|email|e-mail|tweet|facebook|twitter|linkedin|whatsapp|copy link|link copied|comments?|\d+ comments?|view comments|show comments|leave a (?:comment|reply).*|related(?: articles| stories| content| posts| coverage)?|more (?:on|from|stories|news)(?-u:\b).*|most (?:read|popular|viewed|shared)|read more(?-u:\b).*|read next(?-u:\b).*|continue reading(?-u:\b).*|weiterlesen|lire aussi.*|lire la suite.*|mehr zum thema.*|zum thema|sign up(?-u:\b).*|subscribe(?-u:\b).*|abonnieren.*|follow us(?-u:\b).*|newsletter|listen to (?:this )?article.*|(?:\d+ )?min(?:ute)?s? read|\d+ min(?:ute)? read|reading time.*|photo:.*|image:.*|credit:.*|foto:.*|bild:.*|source:.*|getty images|reuters|afp|ap photo.*|all rights reserved.*|©.*|copyright(?-u:\b).*|back to top|top|loading\.*|please enable javascript.*|we use cookies.*|accept(?: all)?(?: cookies)?|topics?:.*|tags?:.*|themen:.*|filed under:?.*|posted in(?-u:\b).*|categories:.*|see also:?.*|also read:?.*|recommended.*|trending.*|you (?:may|might) also like.*|click here.*)\W*$",
    )
    .unwrap()
});

/// A byline or dateline standing alone ("By Jane Doe", "Von Max Muster").
static BYLINE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:By|BY|by|Von|VON|Par|PAR|Written by|Posted by|Story by|Reporting by)\s+\p{Lu}").unwrap()
});

/// Literals one of which every match of [`AGO_RE`], [`READ_TIME_RE`] and [`PROMO_RE`]
/// holds, in that order: without `\b`, which sends those to a slow engine on non-ASCII
/// text, they rule out most blocks cheaply.
static PREFILTERS: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    [
        r"(?i)ago|vor|y\s+a|just now",
        r"(?i)min|lesezeit|temps de lecture|reading time",
        r"(?i)subscri|sign up|signup|newsletter|inbox|follow us|download|support|click here|free trial|unlimited access|abonn|inscrivez",
    ]
    .map(|p| Regex::new(p).unwrap())
});

/// Whether a short block is furniture: a relative time, a share prompt, a
/// caption credit, a lone byline.
pub fn is_boilerplate(text: &str, words: usize) -> bool {
    if words <= 12 && BOILER_RE.is_match(text) {
        return true;
    }
    let [ago, read_time, promo] = &*PREFILTERS;
    if words <= 10 && ago.is_match(text) && AGO_RE.is_match(text) {
        return true;
    }
    if words <= 14 && read_time.is_match(text) && READ_TIME_RE.is_match(text) {
        return true;
    }
    if words <= 25 && promo.is_match(text) && PROMO_RE.find_iter(text).count() >= 2 {
        return true;
    }
    if words <= 8 && BYLINE_RE.is_match(text) && !text.ends_with('.') {
        return true;
    }
    if words <= 12 && !text.chars().any(|c| c.is_alphabetic()) {
        return true;
    }
    words <= 14 && is_dateline(text)
}

/// A line that is only a publication or update stamp.
fn is_dateline(text: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:published|posted|updated|last updated|modified|veröffentlicht|aktualisiert|stand|publié|mis à jour|le)\b[\s:,]*").unwrap()
    });
    let Some(m) = RE.find(text) else {
        return text.split_whitespace().count() <= 6
            && text.bytes().any(|b| b.is_ascii_digit())
            && super::dates::parse(text).is_some();
    };
    let rest = &text[m.end()..];
    rest.split(|c: char| !c.is_alphabetic()).filter(|w| w.chars().count() >= 2 && !lexicon::is_when_word(w)).count()
        <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_from_names() {
        assert!(hint("share-bar", "", "").junk);
        assert!(hint("c-newsletter__box", "", "").junk);
        assert!(hint("", "most-read", "").junk);
        assert!(hint("ad", "", "").junk);
        assert!(!hint("headline", "", "").junk);
        assert!(!hint("shadow", "", "").junk);
        assert!(hint("article-body", "", "").good);
        assert!(hint("", "", "navigation").junk);
        assert!(hint("", "", "articleBody").good);
        // Utility classes style text; they do not name it.
        assert!(!hint("text-fl-lg font-medium c-wysiwyg", "", "").good);
        assert!(!hint("text-gray-700 md:text-xl", "", "").good);
        assert!(hint("text-formatted field--name-body", "", "").good);
        assert!(hint("article-text text-lg", "", "").good);
        // Multi-word names with or without their hyphens; comment sections; article names.
        for name in ["readmore", "read-more", "about-theauthor", "abouttheauthor", "site-nav", "x-sidebar-y"] {
            assert!(hint(name, "", "").strong, "{name}");
        }
        assert!(!hint("read_more_x", "", "").strong && !hint("about-a-author", "", "").strong);
        assert!(hint("", "respond", "").comments && hint("disqus_thread", "", "").comments);
        assert!(hint("h-entry", "", "").good && !hint("hentr", "", "").good);
        // Clipping is layout: a collapsed blurb is not hidden furniture; a menu still is.
        assert!(!hint("grid overflow-hidden transition-all", "", "").junk);
        assert!(!hint("callout sc-overflow--hidden", "", "").junk);
        assert!(hint("overflow-menu", "", "").junk);
        assert!(hint("visually-hidden", "", "").junk);
    }

    #[test]
    fn boilerplate_lines() {
        assert!(is_boilerplate("Updated 7 minutes ago", 4));
        assert!(is_boilerplate("Advertisement", 1));
        assert!(is_boilerplate("Share this article", 3));
        assert!(is_boilerplate("By Jane Doe", 3));
        assert!(is_boilerplate("Published: 25 November 2026, 10:14", 5));
        assert!(is_boilerplate("vor 3 Stunden", 3));
        assert!(is_boilerplate("Get the latest updates right in your inbox. Subscribe to our newsletters.", 12));
        assert!(!is_boilerplate("By the time the council met, the money was gone.", 10));
        assert!(!is_boilerplate("The mayor resigned on Tuesday.", 5));
    }

    #[test]
    fn placeholder_text() {
        assert!(is_placeholder("  Lorem ipsum dolor sit amet, consectetur adipiscing elit."));
        assert!(is_placeholder("Lorem Ipsum"));
        assert!(!is_placeholder("The phrase lorem ipsum comes from Cicero."));
        assert!(!is_placeholder("Lorem"));
    }
}
