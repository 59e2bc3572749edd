//! The byline: who wrote the article. Read from the authors the page declares (JSON-LD,
//! meta tags), its byline elements, a "By" label and the name after it, a name printed
//! beside the date, and last an organisation given as the author; cleaned of prefixes
//! ("By", "por", "von") and trailing dashes; a publisher, agency or username gives way to
//! a person the page shows.

use super::elements::in_furniture;
use super::text::{self, contains_ci};
use scraper::ElementRef;
use std::collections::HashMap;

/// "By Jane Doe" standing alone near the top: in one text, or a label ("By", "Author:")
/// in one element and the name in the next.
#[derive(Default)]
pub(super) struct TextByline {
    /// The first name found.
    pub(super) name: Option<String>,
    /// The last text was a label: the next one may be the name.
    pending: bool,
}

impl TextByline {
    /// Reads one trimmed text node; `parent` is its element.
    pub(super) fn see(&mut self, tt: &str, parent: Option<ElementRef>) {
        if self.name.is_some() {
            return;
        }
        if self.pending && !tt.is_empty() {
            // "By" in one element, the name in the next ("<span>By</span> <a>Jane Doe</a>").
            self.pending = false;
            let name = clean_byline(tt);
            let w = text::word_count(&name);
            if (2..=5).contains(&w)
                && plausible_name(&name)
                && !has_digit(&name)
                && name.split_whitespace().all(|x| x.chars().next().is_some_and(char::is_uppercase))
                && !parent.is_some_and(|p| in_furniture(&p))
            {
                self.name = Some(name);
            }
        } else if matches!(
            tt,
            "By" | "by" | "BY" | "Written by" | "Author:" | "Posted by" | "Von" | "Par" | "Por" | "Di" | "di"
        ) || is_byline_label(tt)
        {
            self.pending = true;
        } else if tt.len() < 60 && starts_like_byline(tt) && BY_RE.is_match(tt) {
            let name = clean_byline(tt);
            if plausible_name(&name) && text::word_count(&name) <= 5 && !parent.is_some_and(|p| in_furniture(&p)) {
                self.name = Some(name);
            }
        }
    }
}

/// Whether an element's attributes mark it as the byline: a link to an author's page, a
/// `rel` or `itemprop` of "author", a class or test id naming the byline or the author (in
/// English and in the other languages of the notices).
pub(super) fn marks_the_byline(
    name: &str,
    href: Option<&str>,
    rel: &str,
    itemprop: &str,
    class: &str,
    testid: &str,
) -> bool {
    (name == "a" && href.is_some_and(author_path))
        || contains_ci(rel, "author")
        || itemprop.eq_ignore_ascii_case("author")
        || contains_ci(class, "byline")
        || contains_ci(class, "author-name")
        || class.split_whitespace().any(|c| {
            ["author", "article-author", "firma", "autore", "autor", "auteur", "autorin", "verfasser"]
                .iter()
                .any(|name| c.eq_ignore_ascii_case(name))
        })
        || contains_ci(testid, "byline")
        || contains_ci(testid, "author")
}

/// A text that reads as a person's name, alone in its element: two or three capitalised
/// words, not in a link (a category, a section) nor a heading nor furniture.
pub(super) fn name_beside_date(tt: &str, parent: Option<&ElementRef>) -> Option<String> {
    // A label ("Reading Time:") or a sentence's end ("Psychological Medicine.") is no name.
    let last_word = tt.rsplit(' ').next().unwrap_or("");
    if tt.len() > 60
        || !tt.starts_with(char::is_uppercase)
        || has_digit(tt)
        || tt.ends_with(':')
        || tt.ends_with('.') && last_word.chars().count() > 3
    {
        return None;
    }
    let name = clean_byline(tt);
    let w = text::word_count(&name);
    let ok = (2..=3).contains(&w)
        && plausible_name(&name)
        && !has_digit(&name)
        && name.split_whitespace().all(|x| x.chars().next().is_some_and(char::is_uppercase))
        && parent.is_some_and(|p| {
            !in_furniture(p)
                && std::iter::once(*p).chain(p.ancestors().filter_map(ElementRef::wrap)).take(3).all(|a| {
                    let n = a.value().name();
                    !matches!(n, "h1" | "h2" | "h3" | "h4" | "title" | "button" | "label" | "option")
                        && (n != "a" || a.value().attr("href").is_some_and(author_path))
                })
        });
    ok.then_some(name)
}

/// Whether a class attribute has a token made of words one of which is "author" or
/// "writer" ("the-author", "text__author", "author_name", "post-writer"), not an
/// author's picture, biography or list.
pub(super) fn names_an_author(class: &str) -> bool {
    // Most classes name neither: skip splitting them into lower-cased parts.
    if !contains_ci(class, "author") && !contains_ci(class, "writer") {
        return false;
    }
    class.split_whitespace().any(|token| {
        let mut parts = token.split(['-', '_']).filter(|p| !p.is_empty()).map(|p| p.to_ascii_lowercase());
        let parts: Vec<String> = parts.by_ref().collect();
        parts.iter().any(|p| p == "author" || p == "writer")
            && !parts.iter().any(|p| {
                matches!(
                    p.as_str(),
                    "bio"
                        | "biography"
                        | "description"
                        | "desc"
                        | "about"
                        | "image"
                        | "img"
                        | "avatar"
                        | "photo"
                        | "picture"
                        | "social"
                        | "list"
                        | "more"
                        | "posts"
                        | "title"
                        | "role"
                        | "job"
                        | "position"
                )
            })
    })
}

/// Whether a link goes to an author's page.
pub(super) fn author_path(href: &str) -> bool {
    // Each path starts with a slash: look only where there is one.
    let b = href.as_bytes();
    memchr::memchr_iter(b'/', b).any(|i| {
        ["author/", "authors/", "writer/", "writers/", "profile/", "people/", "team/", "staff/", "contributor"]
            .iter()
            .any(|p| b[i + 1..].starts_with(p.as_bytes()))
    })
}

/// Whether `s` reads like a person's or a desk's name, not a placeholder,
/// a user handle or a sentence.
fn plausible_name(s: &str) -> bool {
    let words = text::word_count(s);
    let lower = s.to_lowercase();
    (1..=10).contains(&words)
        && s.chars().any(char::is_uppercase)
        && !s.contains('@')
        && !s.contains("http")
        && !matches!(
            lower.as_str(),
            "by" | "author"
                | "authors"
                | "our team"
                | "the author"
                | "admin"
                | "administrator"
                | "staff"
                | "editor"
                | "guest"
                | "unknown"
                | "anonymous"
        )
        && !(words == 1 && (s.contains('.') || s.contains('_')))
        && !lower.split(|c: char| !c.is_alphanumeric()).any(|w| NOT_IN_NAMES.contains(&w))
        && !reads_like_a_phrase(s)
}

/// Words of interface labels and phrases that no byline holds ("More about this author",
/// "Member Login", "Written By").
const NOT_IN_NAMES: &[&str] = &[
    "login",
    "log",
    "sign",
    "more",
    "about",
    "learn",
    "read",
    "view",
    "written",
    "posted",
    "random",
    "share",
    "follow",
    "menu",
    "home",
    "search",
    "contact",
    "subscribe",
    "comments",
    "reply",
    "by",
    "click",
    "here",
];

/// Words a byline may hold in lower case: name particles ("Sanne de Vries", "Jane Doe
/// and John Roe") and the desk's words ("Jane Doe, staff writer", "The Currency editors").
const PARTICLES: &[&str] = &[
    "de",
    "da",
    "di",
    "del",
    "della",
    "der",
    "den",
    "van",
    "von",
    "le",
    "la",
    "du",
    "dos",
    "das",
    "y",
    "e",
    "et",
    "and",
    "und",
    "bin",
    "al",
    "ten",
    "ter",
    "of",
    "the",
    "zu",
    "st",
    "staff",
    "writer",
    "writers",
    "editor",
    "editors",
    "team",
    "reporter",
    "correspondent",
    "contributor",
    "columnist",
];

/// A phrase rather than a name: capitalised and lower-case words mixed ("Personal
/// finance", "I review different modules").
fn reads_like_a_phrase(s: &str) -> bool {
    let words: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| w.chars().next().is_some_and(char::is_alphabetic))
        .filter(|w| !PARTICLES.contains(&w.to_lowercase().as_str()))
        .collect();
    let upper = words.iter().filter(|w| w.chars().next().is_some_and(char::is_uppercase)).count();
    upper > 0 && upper < words.len()
}

/// News agencies, whose name stands where a reporter's would.
const AGENCIES: &[&str] = &[
    "ap",
    "associated press",
    "the associated press",
    "reuters",
    "thomson reuters",
    "afp",
    "agence france-presse",
    "agence france presse",
    "dpa",
    "epd",
    "kna",
    "apa",
    "sda",
    "efe",
    "europa press",
    "ansa",
    "adnkronos",
    "lusa",
    "agência brasil",
    "upi",
    "pa",
    "pa media",
    "press association",
    "bss",
    "pti",
    "ani",
    "ians",
    "xinhua",
    "kyodo",
    "yonhap",
    "anadolu",
    "tass",
    "belga",
    "anp",
    "bloomberg",
    "cnn wire",
    "wire reports",
    "staff and agencies",
    "agencies",
];

/// Letters and digits of `s`, lower case: "USA TODAY" and "usatoday.com" compare equal.
fn compact(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// A name the page declares as its author (JSON-LD, `<meta name="author">`): also a
/// lower-case name or a username ("kirstin boatto", "stephenlega"), which visible text could not
/// be trusted to be; a person shown on the page still wins over a username (see `read`).
fn declared_name(s: &str) -> bool {
    let titled: String = s
        .split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ");
    let lower = s.to_lowercase();
    plausible_name(s)
        || (s.len() <= 40
            && lower == s
            && !matches!(lower.as_str(), "undefined" | "null" | "none" | "n/a")
            // A machine id ("mdelatorreq6vkpg2ma0ci"), not a name someone chose.
            && s.bytes().filter(u8::is_ascii_digit).count() < 3
            && !s.contains('@')
            && !s.contains("http")
            && text::word_count(s) <= 4
            && plausible_name(&titled.replace(['_', '.'], " ")))
}

/// Whether a byline names a person: not the publisher (its site name, its JSON-LD
/// publisher, its host name), not a news agency, not a username ("KatieS", "jdoe_22").
fn is_person(byline: &str, publishers: &[&str]) -> bool {
    let c = compact(byline);
    let lower = text::fold(byline).to_lowercase();
    let publisher = publishers.iter().any(|p| {
        let p = p.strip_prefix("www.").unwrap_or(p);
        let p = compact(p.rsplit_once('.').filter(|_| !p.contains(' ')).map_or(p, |(name, _)| name));
        !p.is_empty() && (c == p || c.starts_with(&p) && c.len() <= p.len() + 5)
    });
    let agency = AGENCIES.contains(&lower.trim());
    let username = !byline.trim().contains(' ')
        && (byline.chars().any(|ch| ch.is_ascii_digit() || ch == '_')
            || byline.chars().skip(1).any(char::is_uppercase)
            || !byline.chars().any(char::is_uppercase));
    !publisher && !agency && !username
}

static BY_RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"^(?:By:?|BY:?|Written by|Posted by|Story by|Words by|Von|Par|Por|Di|di|Door)\s+\p{Lu}[\p{L}.'’-]*(?:\s+\p{Lu}[\p{L}.'’-]*){0,3}(?:\s*[-–—|·])?$").unwrap()
});

/// A label printed in its own element before the author's name ("Author", "Contributors:",
/// "Article by", "by:").
fn is_byline_label(t: &str) -> bool {
    // Running text ("… written by <a>Jane Doe</a>") is not a label: a label is capitalised
    // or ends with its colon.
    if !t.starts_with(char::is_uppercase) && !t.ends_with(':') {
        return false;
    }
    let l = t.trim_end_matches(':').trim().to_lowercase();
    matches!(
        l.as_str(),
        "by" | "author"
            | "authors"
            | "written by"
            | "article by"
            | "story by"
            | "words by"
            | "contributor"
            | "contributors"
            | "posted by"
            | "von"
            | "par"
            | "por"
            | "auteur"
            | "autor"
            | "autore"
    )
}

fn starts_like_byline(t: &str) -> bool {
    ["By ", "BY ", "Written", "Posted", "Story", "Words", "Von ", "Par ", "Por ", "Di ", "di ", "Door "]
        .iter()
        .any(|p| t.starts_with(p))
}

fn join_names(names: &[String]) -> String {
    let mut uniq: Vec<String> = Vec::new();
    for n in names {
        let n = clean_byline(n);
        if !n.is_empty() && !uniq.contains(&n) {
            uniq.push(n);
        }
    }
    match uniq.len() {
        0 => String::new(),
        1 => uniq.remove(0),
        _ => {
            // "Jane Doe and John Roe", "Jane Doe, John Roe and Ann Poe": as bylines print them.
            let last = uniq.pop().unwrap_or_default();
            format!("{} and {}", uniq.join(", "), last)
        }
    }
}

/// "By Jane Doe | Staff writer" → "Jane Doe | Staff writer" → "Jane Doe".
fn clean_byline(s: &str) -> String {
    let mut s = text::collapse(s);
    for p in [
        "By: ",
        "BY: ",
        "Written By ",
        "By ",
        "by ",
        "BY ",
        "Von ",
        "von ",
        "Par ",
        "par ",
        "Por ",
        "por ",
        "POR ",
        "Di ",
        "di ",
        "DI ",
        "de ",
        "Door ",
        "door ",
        "Written by ",
        "Story by ",
        "Words by ",
        "Reporting by ",
        "Text: ",
        "Posted by ",
        "Author: ",
        "Autor: ",
        // A caption beside the name ("Author" above "Isaiah Shelton").
        "Author ",
        "Authors ",
    ] {
        if let Some(r) = s.strip_prefix(p) {
            s = r.trim().to_string();
        }
    }
    s.trim_matches(|c: char| matches!(c, '|' | '-' | '–' | '—' | ',' | '·' | '/') || c.is_whitespace()).to_string()
}

fn visible_byline(candidates: &[ElementRef]) -> Option<String> {
    for e in candidates {
        let t = text::collapse(&e.text().collect::<String>());
        if t.len() > 200 {
            continue;
        }
        let t = clean_byline(&t);
        let words = text::word_count(&t);
        if (1..=8).contains(&words)
            && t.chars().next().is_some_and(char::is_alphabetic)
            && plausible_name(&t)
            && !has_digit(&t)
        {
            return Some(t);
        }
        // "Dec. 19, 2025 · Niko Matsakis": the piece that is a name.
        for piece in t.split(['·', '|', '•', '—', '–']) {
            let p = clean_byline(piece);
            let w = text::word_count(&p);
            if (2..=4).contains(&w)
                && !has_digit(&p)
                && plausible_name(&p)
                && p.split_whitespace().all(|x| x.chars().next().is_some_and(char::is_uppercase))
            {
                return Some(p);
            }
        }
    }
    None
}

fn has_digit(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_digit())
}

/// Where a page may name its author, from the strongest source to the weakest.
pub(super) struct Sources<'a> {
    /// JSON-LD's authors, persons.
    pub(super) ld_authors: &'a [String],
    /// JSON-LD's author when it is an organisation.
    pub(super) ld_org: Option<&'a str>,
    /// The page's meta tags, keys lower case.
    pub(super) metas: &'a HashMap<String, String>,
    /// Elements marked as the byline ([`marks_the_byline`]).
    pub(super) elements: &'a [ElementRef<'a>],
    /// A "By Jane Doe" text ([`TextByline`]).
    pub(super) labelled: Option<&'a str>,
    /// Elements whose class names an author in a compound ([`names_an_author`]).
    pub(super) author_classes: &'a [ElementRef<'a>],
    /// A name printed beside the page's first date.
    pub(super) beside_date: Option<&'a str>,
    /// The site's name, the JSON-LD publisher, the host: not persons.
    pub(super) publishers: &'a [&'a str],
}

/// The byline of a page.
pub(super) fn choose(s: &Sources) -> Option<String> {
    let metas = s.metas;
    let byline = if !s.ld_authors.is_empty() && declared_name(&join_names(s.ld_authors)) {
        Some(join_names(s.ld_authors))
    } else {
        [
            "author",
            "article:author",
            "dc.creator",
            "parsely-author",
            "sailthru.author",
            "byl",
            "citation_author",
            "twitter:creator",
        ]
        .iter()
        .find_map(|k| metas.get(*k).cloned())
        .or_else(|| {
            // Yoast's "Written by" twitter label.
            (metas.get("twitter:label1").is_some_and(|l| l.eq_ignore_ascii_case("written by")))
                .then(|| metas.get("twitter:data1").cloned())
                .flatten()
        })
        .map(|a| clean_byline(&a))
        .filter(|a| declared_name(a))
        .or_else(|| visible_byline(s.elements))
        .or_else(|| s.labelled.map(str::to_string))
        .or_else(|| visible_byline(s.author_classes))
        .or_else(|| s.beside_date.map(str::to_string))
        .or_else(|| s.ld_org.map(str::to_string).filter(|a| declared_name(a)))
    };
    // A publisher, a news agency or a username where the page shows a person's byline: the person.
    match byline {
        Some(b) if !is_person(&b, s.publishers) => visible_byline(s.elements)
            .into_iter()
            .chain(s.labelled.map(str::to_string))
            .find(|v| is_person(v, s.publishers) && text::word_count(v) >= 2)
            .or(Some(b)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byline_labels_stand_alone_and_running_text_is_no_label() {
        for label in ["Author", "Authors:", "Written by", "Article by", "by:", "Contributors:", "Por"] {
            assert!(is_byline_label(label), "{label}");
        }
        for text in ["written by", "by", "Authority", "Share this article", "Author of three books"] {
            assert!(!is_byline_label(text), "{text}");
        }
    }

    #[test]
    fn a_name_beside_the_date_is_two_or_three_capitalised_words_in_plain_text() {
        let doc = scraper::Html::parse_document(
            "<article><p id=plain>x</p><h2 id=heading>x</h2><a id=link href=\"/section/city\">x</a></article>",
        );
        let by_id = |id: &str| doc.select(&scraper::Selector::parse(&format!("#{id}")).unwrap()).next().unwrap();
        let plain = by_id("plain");
        assert_eq!(name_beside_date("Maria Lopez", Some(&plain)).as_deref(), Some("Maria Lopez"));
        assert_eq!(name_beside_date("Jean Paul Sartre", Some(&plain)).as_deref(), Some("Jean Paul Sartre"));
        for not_a_name in ["Reading Time:", "Psychological Medicine.", "Maria", "Updated 3 hours ago", "the city desk"]
        {
            assert_eq!(name_beside_date(not_a_name, Some(&plain)), None, "{not_a_name}");
        }
        // A heading or a section link is no byline.
        assert_eq!(name_beside_date("Maria Lopez", Some(&by_id("heading"))), None);
        assert_eq!(name_beside_date("Maria Lopez", Some(&by_id("link"))), None);
        assert_eq!(name_beside_date("Maria Lopez", None), None);
    }

    #[test]
    fn byline_prefixes_of_other_languages_and_trailing_dashes_go() {
        for (raw, name) in [
            ("Por María Fernández —", "María Fernández"),
            ("di Giulia Benedetti -", "Giulia Benedetti"),
            ("par Claire Dubois", "Claire Dubois"),
            ("von Jonas Weber |", "Jonas Weber"),
            ("de Ana Souza", "Ana Souza"),
            ("Door Sanne de Vries", "Sanne de Vries"),
            ("De Niro Lopes", "De Niro Lopes"),
        ] {
            assert_eq!(clean_byline(raw), name, "{raw}");
        }
    }

    #[test]
    fn publishers_agencies_and_usernames_are_not_persons() {
        let publishers = ["Riverbend Daily", "www.usatoday.com"];
        assert!(!is_person("Riverbend Daily", &publishers));
        assert!(!is_person("USA TODAY", &publishers));
        assert!(!is_person("Reuters", &publishers));
        assert!(!is_person("The Associated Press", &publishers));
        assert!(!is_person("KMaddox", &publishers));
        assert!(!is_person("jdoe_22", &publishers));
        assert!(is_person("Amara Okafor", &publishers));
        assert!(is_person("Krystyna", &publishers));
    }

    #[test]
    fn labels_and_phrases_are_not_names() {
        for s in
            ["More about this author", "Member Login", "Written By", "Learn More", "Personal finance", "Random post"]
        {
            assert!(!plausible_name(s), "{s}");
        }
        for s in ["Sanne de Vries", "Jane Doe and John Roe", "Holly Wilgus, E-RYT 200", "Podium Staff"] {
            assert!(plausible_name(s), "{s}");
        }
    }

    #[test]
    fn author_links() {
        for (href, author) in
            [("https://e.com/author/jo", true), ("/a/contributors/x", true), ("author/jo", false), ("/authorx/", false)]
        {
            assert_eq!(author_path(href), author, "{href}");
        }
    }

    #[test]
    fn a_compound_author_class_names_an_author_not_a_picture_or_biography() {
        assert!(names_an_author("card text__author") && names_an_author("author_name"));
        assert!(!names_an_author("author-bio") && !names_an_author("authority") && !names_an_author("author-avatar"));
    }
}
