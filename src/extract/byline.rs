//! The byline: who wrote the article. Read from the authors the page declares (JSON-LD,
//! meta tags), its byline elements, a "By" label and the name after it, a name printed
//! beside the date, and last an organisation given as the author; cleaned of prefixes
//! ("By", "por", "von") and trailing dashes; a publisher, agency or username gives way to
//! a person the page shows.

use super::elements::in_furniture;
use super::text::{self, Name, contains_ci};
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
        // An empty text is neither a label nor a name.
        if self.name.is_some() || tt.is_empty() {
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
        } else if matches!(tt, "By" | "BY" | "Written by" | "Author:" | "Posted by" | "Von" | "Par" | "Por" | "Di")
            || is_byline_label(tt)
            // In running text ("… uunf</a> by <a>Daniel</a>") a lower-case "by" is no label:
            // a label starts its element.
            || matches!(tt, "by" | "di") && starts_its_element(tt, parent)
        {
            self.pending = true;
        } else if starts_like_byline(tt) && (!tt.starts_with("by") || starts_its_element(tt, parent)) {
            let head = without_date_tail(tt);
            let name = clean_byline(head);
            if head.len() < 60
                && BY_RE.is_match(head)
                && plausible_name(&name)
                && text::word_count(&name) <= 5
                && !parent.is_some_and(|p| in_furniture(&p))
            {
                self.name = Some(name);
            }
        }
    }
}

/// Whether `tt` is the first text of its element: in running text ("… uunf</a> by <a>Daniel
/// Bünzli</a>", "<a>Web Design</a> by New Media") a lower-case "by" starts no byline.
fn starts_its_element(tt: &str, parent: Option<ElementRef>) -> bool {
    parent.is_some_and(|p| p.text().map(str::trim).find(|t| !t.is_empty()) == Some(tt))
}

/// Whether an element's attributes mark it as the byline: a link to an author's page, a
/// `rel` or `itemprop` of "author", a class or test id naming the byline or the author (in
/// English and in the other languages of the notices).
pub(super) fn marks_the_byline(
    name: &str,
    href: Option<&str>,
    rel: &str,
    itemprop: &str,
    class: Name,
    testid: &str,
) -> bool {
    (name == "a" && href.is_some_and(author_path))
        || contains_ci(rel, "author")
        || itemprop.eq_ignore_ascii_case("author")
        || class.contains_ci("byline")
        // Each of the names below holds "aut", "firma" or "verfasser".
        || (class.contains_ci("aut") || class.contains_ci("firma") || class.contains_ci("verfasser"))
            && (class.contains_ci("author-name")
                || class.text.split_whitespace().any(|c| {
            ["author", "article-author", "firma", "autore", "autor", "auteur", "autorin", "verfasser"]
                .iter()
                .any(|name| c.eq_ignore_ascii_case(name))
                }))
        || contains_ci(testid, "byline")
        || contains_ci(testid, "author")
}

/// A text that reads as a person's name, alone in its element: two or three capitalised
/// words, not in a link (a category, a section) nor a heading nor furniture.
pub(super) fn name_beside_date(tt: &str, parent: Option<&ElementRef>) -> Option<String> {
    // "by Agatha Caleo, Candidate Representative to the Committee": the name before the title.
    let tt = match tt.split_once(", ") {
        Some((head, _)) if starts_like_byline(head) => head,
        _ => tt,
    };
    let tt = tt.strip_prefix("by ").unwrap_or(tt);
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
                        // An `<a>` without `href` is no link.
                        && (n != "a" || a.value().attr("href").is_none_or(author_path))
                })
        });
    ok.then_some(name)
}

/// Whether a class attribute has a token made of words one of which is "author" or
/// "writer" ("the-author", "text__author", "author_name", "post-writer"), not an
/// author's picture, biography or list.
pub(super) fn names_an_author(class: Name) -> bool {
    // Most classes name neither: skip splitting them into lower-cased parts.
    if !class.contains_ci("author") && !class.contains_ci("writer") {
        return false;
    }
    class.text.split_whitespace().any(|token| {
        let parts = class_words(token);
        parts.iter().any(|p| matches!(p.as_str(), "author" | "authors" | "writer"))
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

/// The words of a class token, lower case: split at dashes and underscores and where a
/// capital follows a small letter ("blog_author-text", "authorName").
fn class_words(token: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in token.chars() {
        if (c == '-' || c == '_' || (prev_lower && c.is_ascii_uppercase())) && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        if c != '-' && c != '_' {
            word.push(c.to_ascii_lowercase());
        }
        prev_lower = c.is_ascii_lowercase();
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Whether a link goes to an author's page.
pub(super) fn author_path(href: &str) -> bool {
    // Each path starts with a slash: look only where there is one.
    let b = href.as_bytes();
    memchr::memchr_iter(b'/', b).any(|i| {
        // The first letters of the paths below, tried before the paths themselves.
        matches!(b.get(i + 1), Some(b'a' | b'w' | b'p' | b't' | b's' | b'c'))
            && [
                "author/",
                "authors/",
                "writer/",
                "writers/",
                "profile/",
                "profiles/",
                "people/",
                "team/",
                "staff/",
                "contributor",
            ]
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
    "name",
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
    "for",
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
        // Or the publisher with a word ("Team Tiger Data", "Podium Staff").
        !p.is_empty() && c.contains(&p) && c.len() <= p.len() + 5
    });
    let agency = AGENCIES.contains(&lower.trim())
        // The site's account ("NOC Admin", "Site Administrator").
        || lower.split_whitespace().any(|w| matches!(w, "admin" | "administrator" | "webmaster"));
    let username = !byline.trim().contains(' ')
        && (byline.chars().any(|ch| ch.is_ascii_digit() || ch == '_')
            || byline.chars().skip(1).any(char::is_uppercase)
            || !byline.chars().any(char::is_uppercase));
    !publisher && !agency && !username
}

static BY_RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"^(?:By:?|BY:?|by:?|Written by|Posted by|Story by|Words by|Von|Par|Por|Di|di|Door)\s+\p{Lu}[\p{L}.'’-]*(?:\s+\p{Lu}[\p{L}.'’-]*){0,3}(?:\s*[-–—|·])?$").unwrap()
});

/// A label printed in its own element before the author's name ("Author", "Contributors:",
/// "Article by", "by:").
fn is_byline_label(t: &str) -> bool {
    // Running text ("… written by <a>Jane Doe</a>") is not a label: a label is capitalised
    // or ends with its colon.
    if !t.starts_with(char::is_uppercase) && !t.ends_with(':') {
        return false;
    }
    let core = t.trim_end_matches(':').trim();
    // Every label below is short or ends so (lower-casing folds no other letter to these):
    // most texts need no lower-cased copy.
    if core.len() > 12
        && !core.get(core.len().saturating_sub(10)..).is_some_and(|end| end.eq_ignore_ascii_case("written by"))
    {
        return false;
    }
    let l = core.to_lowercase();
    // "Article written by:", "This post was written by".
    (l.ends_with(" written by") && text::word_count(&l) <= 5)
        || matches!(
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
    [
        "By ", "BY ", "by ", "By:", "by:", "Written", "Posted", "Story", "Words", "Von ", "Par ", "Por ", "Di ", "di ",
        "Door ",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

/// A byline text without the date printed after it ("by: Ziyi Xu, Dec 17, 2025").
fn without_date_tail(t: &str) -> &str {
    match t.split_once([',', '·', '|', '•']) {
        Some((head, tail)) if has_digit(tail) && !has_digit(head) => head.trim_end(),
        _ => t,
    }
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
        "by: ",
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
    // "Niko Matsakis on behalf of the Vision Doc group": the person.
    if let Some((who, _)) = s.split_once(" on behalf of ") {
        s = who.to_string();
    }
    s.trim_matches(|c: char| matches!(c, '|' | '-' | '–' | '—' | ',' | '·' | '/' | ':') || c.is_whitespace())
        .to_string()
}

/// The first name the byline elements show.
fn visible_byline(candidates: &[ElementRef]) -> Option<String> {
    visible_names(candidates).next()
}

/// The name each byline element shows, in page order.
fn visible_names<'a>(candidates: &'a [ElementRef<'a>]) -> impl Iterator<Item = String> + 'a {
    candidates.iter().filter(|e| !in_running_text(e)).filter_map(shown_name)
}

/// The name a byline element shows: all its text, or one piece of it ("Dec. 19, 2025 ·
/// Niko Matsakis"), or one of its lines ("Craig McCarthy" above "Last updated on 17
/// December 2025").
fn shown_name(e: &ElementRef) -> Option<String> {
    let t = text::collapse(&e.text().collect::<String>());
    if t.len() <= 200 {
        let t = clean_byline(&t);
        let words = text::word_count(&t);
        if (1..=8).contains(&words)
            && t.chars().next().is_some_and(char::is_alphabetic)
            && plausible_name(&t)
            && !has_digit(&t)
        {
            return Some(t);
        }
        if let Some(p) = t.split(['·', '|', '•', '—', '–']).map(clean_byline).find(|p| capitalised_name(p)) {
            return Some(p);
        }
    }
    // An author's box: the name on a line of its own, before the biography.
    // The first line of two words or more is the name, or the box is not an author's (a
    // related story's card, its headline first).
    e.text().map(clean_byline).find(|t| text::word_count(t) >= 2).filter(|t| capitalised_name(t))
}

/// Two to four capitalised words that read as a name ("Niko Matsakis", "Lisa D. Ellis").
fn capitalised_name(p: &str) -> bool {
    (2..=4).contains(&text::word_count(p))
        && !has_digit(p)
        && plausible_name(p)
        && p.split_whitespace().all(|x| x.chars().next().is_some_and(char::is_uppercase))
}

/// A declared name followed by the person's title ("Benjamin Johnson, Sr. Director of
/// Operations, Atlas Van Lines"): the name.
fn name_before_title(s: &str) -> Option<String> {
    s.split_once(", ").map(|(name, _)| name).filter(|name| capitalised_name(name)).map(str::to_string)
}

/// Whether an author's link sits in running text ("As <a>Dr. Stacy Ogbeide</a>, a
/// psychologist, explains…"): a source quoted, not the byline.
fn in_running_text(e: &ElementRef) -> bool {
    e.value().name() == "a"
        && e.parent().and_then(ElementRef::wrap).is_some_and(|p| {
            // A sentence's words around it, not a byline's "by" and "min read".
            matches!(p.value().name(), "p" | "li" | "blockquote")
                && p.text().flat_map(str::split_whitespace).filter(|w| w.starts_with(char::is_lowercase)).count() > 10
        })
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
    let declared = if !s.ld_authors.is_empty() && declared_name(&join_names(s.ld_authors)) {
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
        .and_then(|a| if declared_name(&a) { Some(a) } else { name_before_title(&a) })
    };
    // What the page shows, strongest first.
    let shown: Vec<String> = [
        visible_byline(s.elements),
        s.labelled.map(str::to_string),
        visible_byline(s.author_classes),
        s.beside_date.map(str::to_string),
    ]
    .into_iter()
    .flatten()
    .collect();
    let person = |v: &String| is_person(v, s.publishers) && text::word_count(v) >= 2;
    let byline = declared
        .or_else(|| shown.first().cloned())
        .or_else(|| s.ld_org.map(str::to_string).filter(|a| declared_name(a)))?;
    if !is_person(&byline, s.publishers) {
        // A publisher, a news agency or a username where the page shows a person's byline: the person.
        // The author classes only when they name one person (not a list of stories' cards).
        let classes: Vec<String> = visible_names(s.author_classes).collect();
        let one_person = classes.iter().all(|c| *c == classes[0]);
        return visible_names(s.elements)
            .chain(s.labelled.map(str::to_string))
            .chain(classes.into_iter().filter(|_| one_person))
            .find(person)
            .or(Some(byline));
    }
    // Two of the page's bylines that agree on another person than the declared one (the
    // account that uploaded the post, a site-wide default): the person readers see.
    let same = |a: &str, b: &str| {
        let (a, b) = (compact(a), compact(b));
        a.contains(&b) || b.contains(&a)
    };
    match shown.iter().find(|v| person(v) && capitalised_name(v)) {
        Some(v) if shown.iter().filter(|x| same(x, v)).count() >= 2 && !shown.iter().any(|x| same(x, &byline)) => {
            Some(v.clone())
        }
        _ => Some(byline),
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

    fn names(class: &str) -> bool {
        names_an_author(Name::new(class))
    }

    #[test]
    fn a_compound_author_class_names_an_author_not_a_picture_or_biography() {
        assert!(names("card text__author") && names("author_name"));
        assert!(!names("author-bio") && !names("authority") && !names("author-avatar"));
    }

    /// The name [`TextByline`] finds in a page's text nodes.
    fn text_byline(html: &str) -> Option<String> {
        let doc = scraper::Html::parse_document(html);
        let mut t = TextByline::default();
        for node in doc.root_element().descendants() {
            if let Some(text) = node.value().as_text() {
                t.see(text.trim(), node.parent().and_then(ElementRef::wrap));
            }
        }
        t.name
    }

    #[test]
    fn a_lower_case_by_starts_its_element_and_a_date_after_the_name_goes() {
        assert_eq!(text_byline("<div><span>by</span> <a>Jane Doe</a></div>").as_deref(), Some("Jane Doe"));
        assert_eq!(text_byline("<p><a href=/x>by Meaghan Weeden</a></p>").as_deref(), Some("Meaghan Weeden"));
        assert_eq!(text_byline("<p>by: Ziyi Xu, Dec 17, 2025</p>").as_deref(), Some("Ziyi Xu"));
        // Running text: a library "by" its author, a credit in the footer.
        assert_eq!(text_byline("<p>I cloned <a>uutf</a> and <a>uunf</a> by <span>Daniel Bunzli</span>.</p>"), None);
        assert_eq!(text_byline("<p><a href=/x>Nonprofit Web Design</a> by New Media Campaigns</p>"), None);
        assert!(is_byline_label("Article written by:") && !is_byline_label("Nobody here has ever written by hand"));
    }

    #[test]
    fn class_words_split_at_dashes_underscores_and_capitals() {
        assert_eq!(class_words("blog_author-text"), ["blog", "author", "text"]);
        assert_eq!(class_words("authorName"), ["author", "name"]);
        assert!(names("authorWrapper flex-row") && names("content-hub-hero__content-authors"));
        assert!(!names("authorImage") && !names("AUTHORITY"));
    }

    #[test]
    fn a_name_before_its_title_or_its_group() {
        assert_eq!(
            name_before_title("Benjamin Johnson, Sr. Director of Operations, Atlas Van Lines").as_deref(),
            Some("Benjamin Johnson")
        );
        assert_eq!(name_before_title("Smith"), None);
        assert_eq!(clean_byline("Niko Matsakis on behalf of the Vision Doc group"), "Niko Matsakis");
        assert_eq!(clean_byline("David Gracey:"), "David Gracey");
        let doc = scraper::Html::parse_document("<p id=p>x</p>");
        let p = doc.select(&scraper::Selector::parse("#p").unwrap()).next().unwrap();
        assert_eq!(
            name_beside_date("by Agatha Caleo, Candidate Representative to the Committee", Some(&p)).as_deref(),
            Some("Agatha Caleo")
        );
    }

    #[test]
    fn the_sites_account_or_team_is_no_person() {
        let publishers = ["Tiger Data"];
        assert!(!is_person("Team Tiger Data", &publishers));
        assert!(!is_person("NOC Admin", &publishers));
        assert!(is_person("Paulinho Giovannini", &publishers));
    }

    #[test]
    fn an_author_box_shows_its_name_first_and_a_card_its_headline() {
        let doc = scraper::Html::parse_document(
            "<div id=box><h4>Bence Kovacs</h4><p>Bence is a software developer who builds audio tools and \
             writes about user interfaces, pipelines and the craft of shipping plugins for musicians.</p></div>\
             <div id=card><h3>Introducing the growth collective for small firms</h3><div>Stacy Edgar</div></div>\
             <p id=prose>As <a id=quoted href=/profiles/ogbeide>Dr. Stacy Ogbeide</a>, a psychologist with the \
             university health service, explains, the key to lasting weight loss is to build habits slowly.</p>\
             <p>by <a id=byline href=/author/amanda>Amanda</a> · Dec 20, 2025 at 3:00 am · one comment so far</p>",
        );
        let by_id = |id: &str| doc.select(&scraper::Selector::parse(&format!("#{id}")).unwrap()).next().unwrap();
        assert_eq!(shown_name(&by_id("box")).as_deref(), Some("Bence Kovacs"));
        assert_eq!(shown_name(&by_id("card")), None);
        assert!(in_running_text(&by_id("quoted")) && !in_running_text(&by_id("byline")));
    }
}
