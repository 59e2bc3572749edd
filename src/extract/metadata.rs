//! Article metadata: headline, byline, dates, canonical URL and language,
//! each taken from the best source on the page (JSON-LD, OpenGraph and
//! other meta tags, then the visible markup).

use super::elements::{element_text, in_furniture};
use super::text::{self, contains_ci};
use super::{byline, dates};
use scraper::{ElementRef, Html};
use serde_json::Value;
use std::collections::HashMap;

/// Metadata read from one page.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Meta {
    /// Headline.
    pub title: Option<String>,
    /// Authors as displayed.
    pub byline: Option<String>,
    /// Publication date, RFC 3339.
    pub published: Option<String>,
    /// Modification date, RFC 3339.
    pub modified: Option<String>,
    /// Canonical URL, absolute.
    pub canonical_url: Option<String>,
    /// Language tag.
    pub lang: Option<String>,
}

/// Everything the metadata needs, gathered in one walk over the elements.
#[derive(Default)]
struct Scan<'a> {
    metas: HashMap<String, String>,
    ld: Vec<String>,
    title: Option<String>,
    h1s: Vec<String>,
    h2s: Vec<String>,
    /// `<h1>`s in the page's masthead: the site's name, not a headline.
    mastheads: Vec<String>,
    canonical: Option<&'a str>,
    lang: Option<&'a str>,
    times: Vec<ElementRef<'a>>,
    bylines: Vec<ElementRef<'a>>,
    /// Elements whose class names an author in a compound ("the-author", "text__author",
    /// "author_name"): weaker than [`Scan::bylines`], read when those give nothing.
    author_classes: Vec<ElementRef<'a>>,
    dated: Vec<ElementRef<'a>>,
    text_dates: Vec<String>,
    /// Dates that follow a label in their own element ("Last updated:" then "Dec 12, 2025").
    labeled_dates: Vec<String>,
    date_pending: bool,
    /// How the page writes numeric dates, from its language.
    order: dates::DayMonth,
    text_byline: byline::TextByline,
    /// The first short date text anywhere on the page, outside furniture.
    first_date: Option<String>,
    /// The text before the current one and its element: a name printed just before a date.
    prev_text: Option<(&'a str, Option<ElementRef<'a>>)>,
    /// The first date was just seen: the next text may be its author's name.
    name_pending: bool,
    /// A name printed beside the first date ("Luke Kim" then "December 17, 2025").
    date_names: Vec<String>,
}

/// Follows dates in running text: the first date on the page, and a name printed just
/// before or after it (`tt` is a trimmed, non-empty text node).
fn beside_a_date<'a>(s: &mut Scan<'a>, tt: &'a str, parent: Option<ElementRef<'a>>) {
    if s.name_pending {
        if !tt.chars().any(char::is_alphanumeric) {
            // A separator ("·", "|") between the date and the name.
            return;
        }
        s.name_pending = false;
        if let Some(n) = byline::name_beside_date(tt, parent.as_ref()) {
            s.date_names.push(n);
        }
    }
    // A date with a label or a time ("Updated on May 27, 2025 09:10AM"), alone or between
    // separators ("by Amanda · Dec 20, 2025 at 3:00 am · 1 comment"), not in a sentence.
    if s.first_date.is_none()
        && dates::looks_like_date(tt)
        && let Some(d) = tt
            .split(['·', '|', '•'])
            .find(|piece| dates::looks_like_date(piece))
            .filter(|piece| text::word_count(piece) <= 7)
            .and_then(|piece| dates::visible(piece.trim(), s.order))
        && !parent.as_ref().is_some_and(in_furniture)
    {
        s.first_date = Some(d);
        match s.prev_text.take().and_then(|(t, p)| byline::name_beside_date(t, p.as_ref())) {
            Some(n) => s.date_names.push(n),
            None => s.name_pending = true,
        }
        return;
    }
    if tt.chars().any(char::is_alphanumeric) {
        s.prev_text = Some((tt, parent));
    }
}

fn scan(doc: &Html) -> Scan<'_> {
    let mut s = Scan::default();
    let root = doc.root_element();
    for node in root.descendants() {
        let Some(e) = ElementRef::wrap(node) else {
            // A short text right after the headline that is a date ("April 8, 2024").
            if let Some(t) = node.value().as_text() {
                let parent = node.parent().and_then(ElementRef::wrap);
                if !s.h1s.is_empty()
                    && s.text_dates.len() < 2
                    && dates::looks_like_date(t)
                    && let Some(d) = dates::visible(text::trim(t), s.order)
                {
                    s.text_dates.push(d);
                }
                let tt = text::trim(t);
                let visible_text = !parent.is_some_and(|p| {
                    matches!(p.value().name(), "script" | "style" | "noscript" | "template" | "title")
                });
                if visible_text && !tt.is_empty() && (s.first_date.is_none() || s.name_pending) {
                    beside_a_date(&mut s, tt, parent);
                }
                if s.date_pending && !tt.is_empty() {
                    s.date_pending = false;
                    if s.labeled_dates.len() < 2
                        && dates::looks_like_date(tt)
                        && let Some(d) = dates::visible(tt, s.order)
                    {
                        s.labeled_dates.push(d);
                    }
                } else if s.labeled_dates.is_empty() && tt.len() <= 24 && dates::is_label(tt) {
                    s.date_pending = true;
                }
                // "By Jane Doe" standing alone near the top.
                if s.h1s.len() <= 2 {
                    s.text_byline.see(tt, parent);
                }
            }
            continue;
        };
        let el = e.value();
        // One pass over the attributes: `Element::attr` interns its argument.
        let (mut key, mut content, mut class, mut rel, mut itemprop) = (None, None, "", "", "");
        let (mut typ, mut href, mut datetime, mut testid, mut lang) = ("", None, None, "", None);
        for (k, v) in el.attrs() {
            match k {
                "property" => key = Some(v),
                "name" | "http-equiv" if key.is_none() => key = Some(v),
                "content" => content = Some(v),
                "class" => class = v,
                "rel" => rel = v,
                "itemprop" => itemprop = v,
                "type" => typ = v,
                "href" => href = Some(v),
                "datetime" => datetime = Some(v),
                "data-testid" => testid = v,
                _ if k.starts_with("data-") && testid.is_empty() && contains_ci(v, "author") => testid = v,
                "lang" | "xml:lang" => lang = Some(v),
                _ => {}
            }
        }
        match el.name() {
            "html" if s.lang.is_none() => {
                s.lang = lang;
                s.order = dates::DayMonth::of_lang(lang);
            }
            "meta" => {
                if let (Some(k), Some(c)) = (key.or((!itemprop.is_empty()).then_some(itemprop)), content) {
                    let c = text::collapse(c);
                    if !c.is_empty() {
                        s.metas.entry(k.to_ascii_lowercase()).or_insert(c);
                    }
                }
            }
            "script" if typ.trim().eq_ignore_ascii_case("application/ld+json") => {
                s.ld.push(e.text().collect());
            }
            "title" if s.title.is_none() => s.title = Some(element_text(&e)).filter(|t| !t.is_empty()),
            "h1" if s.h1s.len() < 5 => {
                let t = element_text(&e);
                if !t.is_empty() {
                    if in_masthead(&e) {
                        s.mastheads.push(strip_anchor_mark(&t));
                    }
                    s.h1s.push(t);
                }
            }
            "h2" if s.h2s.len() < 8 => {
                let t = element_text(&e);
                if !t.is_empty() {
                    s.h2s.push(t);
                }
            }
            "link" if s.canonical.is_none() && rel.split_whitespace().any(|x| x.eq_ignore_ascii_case("canonical")) => {
                s.canonical = href;
            }
            "time" if s.times.len() < 20 && datetime.is_some() => s.times.push(e),
            _ => {}
        }
        // Read once for the dozen class words looked for below.
        let name = text::Name::new(class);
        // Each `contains_ci` below implies a match of the class words for dates and bylines.
        if !class.is_empty()
            && s.dated.len() < 20
            && !matches!(el.name(), "html" | "body" | "main" | "article" | "section" | "time")
            && (name.contains_ci("date")
                || name.contains_ci("publish")
                || name.contains_ci("posted")
                || name.contains_ci("timestamp"))
        {
            s.dated.push(e);
        }
        // Ten of each: links to the team's pages in a menu leave room for the byline's class.
        if (s.bylines.len() < 10 || s.author_classes.len() < 10)
            && (!class.is_empty() || !rel.is_empty() || !itemprop.is_empty() || !testid.is_empty() || href.is_some())
        {
            if byline::marks_the_byline(el.name(), href, rel, itemprop, name, testid) {
                if s.bylines.len() < 10 && !in_furniture(&e) {
                    s.bylines.push(e);
                }
            } else if s.author_classes.len() < 10 && byline::names_an_author(name) && !in_furniture(&e) {
                s.author_classes.push(e);
            }
        }
    }
    s
}

/// Whether a link goes to the site's home page.
fn home_link(href: &str) -> bool {
    let rest =
        href.strip_prefix("https://").or_else(|| href.strip_prefix("http://")).or_else(|| href.strip_prefix("//"));
    match rest {
        Some(r) => !r.trim_end_matches('/').contains('/'),
        None => href == "/",
    }
}

/// Whether metadata could read more in an `href` (as written in the page, before
/// character references are decoded) than that there is one: the parse guard empties
/// the others.
pub(super) fn href_is_read(raw: &str) -> bool {
    raw.contains('&') || byline::author_path(raw) || home_link(raw.trim())
}

/// Whether a headline sits in the page's masthead: it links to the home page, or a
/// `<header>` (or banner, masthead) outside any `<article>` or `<main>` holds it.
fn in_masthead(h: &ElementRef) -> bool {
    let links_home = h
        .descendants()
        .chain(h.ancestors().take(3))
        .filter_map(ElementRef::wrap)
        .any(|a| a.value().name() == "a" && a.value().attr("href").is_some_and(|x| home_link(x.trim())));
    if links_home {
        return true;
    }
    // A page header holds the headline too; a site's name is short.
    if text::word_count(&element_text(h)) > 4 {
        return false;
    }
    for a in h.ancestors().filter_map(ElementRef::wrap) {
        let el = a.value();
        match el.name() {
            "article" | "main" => return false,
            "header" => return true,
            _ => {}
        }
        let named = |v: Option<&str>| {
            v.is_some_and(|v| ["masthead", "banner", "site-header", "logo"].iter().any(|w| contains_ci(v, w)))
        };
        if el.attr("role") == Some("banner") || named(el.attr("id")) || named(el.attr("class")) {
            return true;
        }
    }
    false
}

/// What JSON-LD says about the article.
#[derive(Default, Debug)]
struct LdArticle {
    headline: Option<String>,
    authors: Vec<String>,
    published: Option<String>,
    modified: Option<String>,
    url: Option<String>,
    lang: Option<String>,
    publisher: Option<String>,
    /// An organisation given as the author ("Supermove"): the byline of a page that names no person.
    org_author: Option<String>,
}

const ARTICLE_TYPES: &[&str] = &[
    "Article",
    "NewsArticle",
    "BlogPosting",
    "ReportageNews",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "ReviewNewsArticle",
    "LiveBlogPosting",
    "TechArticle",
    "ScholarlyArticle",
    "Report",
    "SocialMediaPosting",
    "DiscussionForumPosting",
    "AdvertiserContentArticle",
    "SatiricalArticle",
    "Review",
    "Recipe",
    "HowTo",
    "WebPage",
    "Posting",
    "VideoObject",
];

fn type_rank(v: &Value) -> Option<usize> {
    let t = v.get("@type")?;
    let names: Vec<&str> = match t {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(|x| x.as_str()).collect(),
        _ => return None,
    };
    names.iter().filter_map(|n| ARTICLE_TYPES.iter().position(|t| t == n)).min().map(|p| match p {
        p if p < 18 => 0,
        18 | 19 => 1,
        _ => 2,
    })
}

fn str_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(text::collapse(&decode_entities(s))).filter(|s| !s.is_empty()),
        Value::Array(a) => a.iter().find_map(|x| str_of(Some(x))),
        Value::Object(o) => str_of(o.get("@value").or_else(|| o.get("name")).or_else(|| o.get("@id"))),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn names(v: Option<&Value>, out: &mut Vec<String>) {
    let Some(v) = v else { return };
    match v {
        Value::String(s) => {
            let s = text::collapse(&decode_entities(s));
            if !s.is_empty() && !s.starts_with("http") {
                out.push(s);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| names(Some(x), out)),
        Value::Object(o) => {
            // Organisations ("USA TODAY") are not bylines; persons are.
            let org = o.get("@type").and_then(Value::as_str).is_some_and(|t| t.contains("Organization"));
            if let (Some(n), false) = (o.get("name"), org) {
                names(Some(n), out);
            }
        }
        _ => {}
    }
}

/// Minimal entity decoding for strings that arrive HTML-escaped inside JSON.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    static NUM: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));").unwrap());
    let s = NUM.replace_all(s, |c: &regex::Captures| {
        let n = match (c.get(1), c.get(2)) {
            (Some(h), _) => u32::from_str_radix(h.as_str(), 16).ok(),
            (_, Some(d)) => d.as_str().parse().ok(),
            _ => None,
        };
        n.and_then(char::from_u32).map(String::from).unwrap_or_default()
    });
    s.replace("&quot;", "\"")
        .replace("&bull;", "•")
        .replace("&middot;", "·")
        .replace("&mdash;", "—")
        .replace("&ndash;", "–")
        .replace("&raquo;", "»")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn parse_ld(scripts: &[String]) -> LdArticle {
    let mut best: Option<(usize, Value)> = None;
    // Persons defined once in a graph and referenced by `@id` (Yoast and co.).
    let mut persons: HashMap<String, String> = HashMap::new();
    for raw in scripts {
        let raw = raw.trim().trim_start_matches("<!--").trim_end_matches("-->").trim().trim_end_matches(';');
        let Ok(v) = serde_json::from_str::<Value>(raw) else {
            continue;
        };
        // Walk arrays and @graph without recursion.
        let mut stack = vec![v];
        let mut steps = 0;
        while let Some(v) = stack.pop() {
            steps += 1;
            if steps > 10_000 {
                break;
            }
            match v {
                Value::Array(a) => stack.extend(a.into_iter().rev()),
                Value::Object(mut o) => {
                    if let Some(g) = o.remove("@graph") {
                        stack.push(g);
                    }
                    let v = Value::Object(o);
                    if v.get("@type").and_then(Value::as_str) == Some("Person")
                        && let (Some(id), Some(name)) = (str_of(v.get("@id")), str_of(v.get("name")))
                    {
                        persons.insert(id, name);
                    }
                    if let Some(rank) = type_rank(&v) {
                        if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                            best = Some((rank, v));
                        }
                    } else if let Some(m) = v.get("mainEntity").cloned() {
                        stack.push(m);
                    }
                }
                _ => {}
            }
        }
    }
    let Some((rank, v)) = best else {
        return LdArticle::default();
    };
    let mut a = LdArticle {
        headline: str_of(v.get("headline")).or_else(|| if rank == 0 { str_of(v.get("name")) } else { None }),
        published: str_of(v.get("datePublished"))
            .or_else(|| str_of(v.get("dateCreated")))
            .or_else(|| str_of(v.get("uploadDate"))),
        modified: str_of(v.get("dateModified")),
        url: str_of(v.get("url")).or_else(|| str_of(v.get("mainEntityOfPage"))),
        lang: str_of(v.get("inLanguage")),
        publisher: str_of(v.get("publisher")),
        ..Default::default()
    };
    names(v.get("author"), &mut a.authors);
    a.org_author = match v.get("author") {
        Some(Value::Array(x)) => x.first(),
        other => other,
    }
    .filter(|o| o.get("@type").and_then(Value::as_str).is_some_and(|t| t.contains("Organization")))
    .and_then(|o| str_of(o.get("name")));
    if a.authors.is_empty() {
        names(v.get("creator"), &mut a.authors);
    }
    if a.authors.is_empty() {
        // `"author": {"@id": "…#/schema/person/1"}` or a list of them.
        let refs: Vec<&Value> = match v.get("author") {
            Some(Value::Array(x)) => x.iter().collect(),
            Some(x) => vec![x],
            None => Vec::new(),
        };
        for r in refs {
            if let Some(name) = r.get("@id").and_then(Value::as_str).and_then(|id| persons.get(id)) {
                a.authors.push(name.clone());
            }
        }
    }
    a
}

/// Reads the metadata of `doc`; `base` resolves relative URLs.
pub fn read(doc: &Html, base: Option<&url::Url>) -> Meta {
    let sc = scan(doc);
    let metas = &sc.metas;
    let get = |keys: &[&str]| keys.iter().find_map(|k| metas.get(*k).cloned());
    let ld = parse_ld(&sc.ld);

    let site = get(&["og:site_name", "application-name", "twitter:site"]);
    let doc_title = sc.title.clone();
    let h1s = &sc.h1s;
    // Without a site name, the host stands for it in titles ("GAME CHANGER | Newegg.com").
    let host = base.and_then(url::Url::host_str).map(|h| h.strip_prefix("www.").unwrap_or(h));
    let title_site = site.as_deref().or(host);
    let title = choose_title(
        ld.headline.clone(),
        get(&["og:title", "twitter:title", "dc.title", "headline"]),
        h1s,
        &sc.mastheads,
        &sc.h2s,
        doc_title,
        title_site,
    );

    let publishers: Vec<&str> =
        [site.as_deref(), ld.publisher.as_deref(), base.and_then(url::Url::host_str)].into_iter().flatten().collect();
    let byline = byline::choose(&byline::Sources {
        ld_authors: &ld.authors,
        ld_org: ld.org_author.as_deref(),
        metas,
        elements: &sc.bylines,
        labelled: sc.text_byline.name.as_deref(),
        author_classes: &sc.author_classes,
        beside_date: sc.date_names.first().map(String::as_str),
        publishers: &publishers,
    });

    let (published, modified) = dates::choose(&dates::Sources {
        ld_published: ld.published.as_deref(),
        ld_modified: ld.modified.as_deref(),
        metas: Some(metas),
        times: &sc.times,
        dated: &sc.dated,
        labeled: &sc.labeled_dates,
        after_headline: &sc.text_dates,
        anywhere: sc.first_date.as_deref(),
        url: base.map(url::Url::as_str),
        order: sc.order,
    });

    let canonical = sc
        .canonical
        .map(str::to_string)
        .or_else(|| get(&["og:url"]))
        .or(ld.url.clone())
        .and_then(|h| absolute(h.trim(), base));

    let lang = sc
        .lang
        .map(str::to_string)
        .or_else(|| get(&["content-language", "language", "dc.language"]))
        .or_else(|| get(&["og:locale"]))
        .or(ld.lang.clone())
        .and_then(|l| normalize_lang(&l));

    Meta { title, byline, published, modified, canonical_url: canonical, lang }
}

fn absolute(href: &str, base: Option<&url::Url>) -> Option<String> {
    if href.is_empty() {
        return None;
    }
    match url::Url::parse(href) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u.to_string()),
        Ok(_) => None,
        Err(_) => base.and_then(|b| b.join(href).ok()).map(|u| u.to_string()),
    }
}

fn normalize_lang(l: &str) -> Option<String> {
    let l = l.trim().split([',', ';']).next()?.trim().replace('_', "-");
    if l.is_empty() || l.len() > 20 || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    let mut parts = l.split('-');
    let first = parts.next()?.to_ascii_lowercase();
    let rest: Vec<String> = parts.map(|p| if p.len() == 2 { p.to_ascii_uppercase() } else { p.to_string() }).collect();
    Some(std::iter::once(first).chain(rest).collect::<Vec<_>>().join("-"))
}

/// Separators between a headline and the site's or section's name in a title.
const SEPS: &[&str] = &[" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " » ", " // ", " / "];

/// A heading without the parts that are the site's name ("Headline – Artlyst").
fn without_site_parts(t: &str, site: Option<&str>) -> String {
    let Some(fsite) = site.map(text::fold).filter(|s| !s.is_empty()) else {
        return t.to_string();
    };
    for sep in SEPS {
        let parts: Vec<&str> = t.split(sep).collect();
        let kept: Vec<&str> = parts.iter().copied().filter(|p| text::fold(p) != fsite).collect();
        if !kept.is_empty() && kept.len() < parts.len() {
            return kept.join(sep);
        }
    }
    t.to_string()
}

/// Splits "Headline | Site" style titles and drops the site part.
fn strip_site(t: &str, site: Option<&str>) -> String {
    let fsite = site.map(text::fold).unwrap_or_default();
    for sep in SEPS {
        if !t.contains(sep) {
            continue;
        }
        let parts: Vec<&str> = t.split(sep).collect();
        if !fsite.is_empty() {
            let kept: Vec<&str> = parts
                .iter()
                .copied()
                .filter(|p| {
                    let f = text::fold(p);
                    f != fsite && !fsite.contains(&f) || f.len() > fsite.len() + 20
                })
                .collect();
            if !kept.is_empty() && kept.len() < parts.len() {
                return kept.join(sep);
            }
        }
        // The longest part, if it clearly dominates, is the headline.
        let first = parts[0];
        let last = parts[parts.len() - 1];
        if text::word_count(first) >= 3 && text::word_count(last) <= 4 {
            return parts[..parts.len() - 1].join(sep);
        }
        if text::word_count(last) >= 3 && text::word_count(first) <= 3 {
            return parts[1..].join(sep);
        }
    }
    t.to_string()
}

/// A headline without the permalink mark a documentation or blog theme appends
/// to it ("Title¶", "Title #", "Title 🔗"); "C#" keeps its mark.
fn strip_anchor_mark(t: &str) -> String {
    let mut t = t.trim();
    loop {
        let before = t;
        t = t.trim_end_matches(['¶', '§', '🔗', '⚓']).trim_end();
        if let Some(rest) = t.strip_suffix(" #") {
            t = rest.trim_end();
        }
        if t == before {
            return t.to_string();
        }
    }
}

/// Whether a heading names the site or a section rather than the story: it sits in
/// the page's masthead (a link to the home page, a `<header>` outside the article), it
/// is the site's name (perhaps with a word such as "beta" or "Blog"), or it is a later
/// part of the document title ("Health Center" in "Sleep better - Health Center - The
/// Daily") after a longer first part.
fn names_the_site(h: &str, masthead: bool, doc_title: Option<&str>, site: Option<&str>) -> bool {
    let f = text::fold(h);
    if f.is_empty() {
        return false;
    }
    if let Some(site) = site.map(text::fold).filter(|s| !s.is_empty())
        && (f == site || f.starts_with(&site) && text::word_count(&f) <= text::word_count(&site) + 2)
    {
        return true;
    }
    let parts =
        |sep: &str| -> Vec<String> { doc_title.map(|t| t.split(sep).map(text::fold).collect()).unwrap_or_default() };
    // The first part of the title ("Headline | Site") is the headline, wherever its heading sits.
    if SEPS.iter().any(|sep| parts(sep).first() == Some(&f)) {
        return false;
    }
    if masthead && text::word_count(&f) <= 6 {
        return true;
    }
    SEPS.iter().any(|sep| {
        let parts = parts(sep);
        parts.len() >= 2 && parts[1..].contains(&f) && text::word_count(&parts[0]) > text::word_count(&f)
    })
}

/// Characters that separate a headline from the site's or section's name in a title.
const SEP_CHARS: &[char] = &['|', '-', '–', '—', ':', '·', '•', '»', '/'];

/// The document title without the site or section name `name` at its start, end or
/// between separators ("Field Notes Weekly: Counting swifts", "davidbau.com Vibe Coding").
fn without_name(title: &str, name: &str) -> String {
    let trim = |s: &str| s.trim_matches(|c: char| c.is_whitespace() || SEP_CHARS.contains(&c)).to_string();
    let n = name.len();
    if title.len() > n && title.get(..n).is_some_and(|p| p.eq_ignore_ascii_case(name)) {
        return trim(&title[n..]);
    }
    if title.len() > n && title.get(title.len() - n..).is_some_and(|p| p.eq_ignore_ascii_case(name)) {
        return trim(&title[..title.len() - n]);
    }
    // A middle part: "Sleep better - Health Center - The Daily".
    for sep in SEPS {
        let parts: Vec<&str> = title.split(sep).collect();
        if parts.len() >= 3 && parts[1..parts.len() - 1].iter().any(|p| p.trim().eq_ignore_ascii_case(name)) {
            return parts.into_iter().filter(|p| !p.trim().eq_ignore_ascii_case(name)).collect::<Vec<_>>().join(sep);
        }
    }
    title.to_string()
}

fn choose_title(
    ld: Option<String>,
    og: Option<String>,
    h1s: &[String],
    mastheads: &[String],
    h2s: &[String],
    doc_title: Option<String>,
    site: Option<&str>,
) -> Option<String> {
    // "Headline – Artlyst - Artlyst": the site's name may stand twice.
    let clean = |s: Option<String>| {
        s.map(|t| strip_site(&strip_site(&strip_anchor_mark(&decode_entities(&t)), site), site))
            .filter(|t| !t.is_empty())
    };
    let raw_doc_title = doc_title.as_deref().map(decode_entities);
    // Headings that name the site or a section are not the headline; the title loses them too.
    let ld = clean(ld);
    let og = clean(og);
    // A heading the article's own metadata calls the headline is one, wherever it sits.
    let claimed: Vec<String> = [&ld, &og].into_iter().flatten().map(|t| text::fold(t)).collect();
    let (h1s, site_names): (Vec<String>, Vec<String>) =
        h1s.iter().map(|h| without_site_parts(&strip_anchor_mark(h), site)).filter(|h| !h.is_empty()).partition(|h| {
            claimed.contains(&text::fold(h))
                || !names_the_site(h, mastheads.contains(h), raw_doc_title.as_deref(), site)
        });
    let h1s = &h1s;
    let doc_title = match (site_names.first(), raw_doc_title) {
        (Some(name), Some(t)) => clean(Some(without_name(&t, name))),
        (_, t) => clean(t),
    };
    // A visible <h1> (or, failing that, <h2>) that agrees with a metadata title is the headline as shown.
    let metas: Vec<String> = [&ld, &og, &doc_title].into_iter().flatten().map(|t| text::fold(t)).collect();
    let agrees = |h: &String| {
        let f = text::fold(h);
        // Or the start of one ("Headline: subtitle"), or its end ("Garnix Blog: Headline").
        !f.is_empty() && metas.iter().any(|m| *m == f || (f.len() > 15 && (m.starts_with(&f) || m.ends_with(&f))))
    };
    if let Some(h) = h1s.iter().find(|h| agrees(h)) {
        return Some(h.clone());
    }
    // An <h2> only when it is the metadata title itself: pages have many.
    if let Some(h) = h2s.iter().map(|h| strip_anchor_mark(h)).find(|h| metas.contains(&text::fold(h))) {
        return Some(h);
    }
    // Otherwise the page's one headline-like <h1> is what readers see; the
    // metadata titles are often written for search engines.
    let headline_like = |h: &&String| (3..=40).contains(&text::word_count(h));
    if h1s.len() <= 2
        && let Some(h) = h1s.iter().find(headline_like)
    {
        return Some(h.clone());
    }
    ld.or(og).or_else(|| h1s.first().cloned()).or(doc_title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_that_name_the_site_or_a_section() {
        let title = Some("Why a regular bedtime matters - Health Center - Northfield Post");
        assert!(names_the_site("Health Center", false, title, None));
        assert!(names_the_site("Northfield Post", false, title, None));
        assert!(!names_the_site("Why a regular bedtime matters", false, title, None));
        assert!(names_the_site("Lakeshore Courier beta", false, None, Some("Lakeshore Courier")));
        assert!(names_the_site("Field Notes Weekly", true, None, None));
        assert_eq!(without_name("Field Notes Weekly: Counting swifts", "Field Notes Weekly"), "Counting swifts");
        assert_eq!(without_name("davidbau.com Vibe Coding", "davidbau.com"), "Vibe Coding");
        assert_eq!(
            without_name("Sleep better - Health Center - The Daily", "Health Center"),
            "Sleep better - The Daily"
        );
    }

    #[test]
    fn home_links() {
        assert!(home_link("https://e.com/") && home_link("/") && !home_link("https://e.com/news/a"));
        assert!(href_is_read(" / ") && href_is_read("/x?a&amp;b") && !href_is_read("/news/2024/story"));
    }

    #[test]
    fn permalink_marks_leave_the_headline() {
        assert_eq!(strip_anchor_mark("Ferry timetable changes¶"), "Ferry timetable changes");
        assert_eq!(strip_anchor_mark("New bus lane opens #"), "New bus lane opens");
        assert_eq!(strip_anchor_mark("Section 3 § "), "Section 3");
        assert_eq!(strip_anchor_mark("Why we moved to C#"), "Why we moved to C#");
    }

    fn meta(src: &str) -> Meta {
        let base = url::Url::parse("https://news.example/world/story").unwrap();
        read(&Html::parse_document(src), Some(&base))
    }

    #[test]
    fn json_ld_wins() {
        let m = meta(
            r#"<html lang="en-us"><head><title>Bridge closes | The Daily</title>
            <script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"The Daily"},
            {"@type":"NewsArticle","headline":"Bridge closes after cracks found","datePublished":"2026-11-25T08:00:00+01:00",
             "dateModified":"2026-11-25T10:30:00+01:00","author":[{"@type":"Person","name":"Ana Ruiz"},{"@type":"Person","name":"Tom Lee"}]}]}</script>
            <link rel="canonical" href="/world/bridge-closes"></head><body><h1>Bridge closes after cracks found</h1></body></html>"#,
        );
        assert_eq!(m.title.as_deref(), Some("Bridge closes after cracks found"));
        assert_eq!(m.byline.as_deref(), Some("Ana Ruiz and Tom Lee"));
        assert_eq!(m.published.as_deref(), Some("2026-11-25T08:00:00+01:00"));
        assert_eq!(m.modified.as_deref(), Some("2026-11-25T10:30:00+01:00"));
        assert_eq!(m.canonical_url.as_deref(), Some("https://news.example/world/bridge-closes"));
        assert_eq!(m.lang.as_deref(), Some("en-US"));
    }

    #[test]
    fn meta_tags_and_title_suffix() {
        let m = meta(
            r#"<head><title>Council approves budget - Springfield Gazette</title>
            <meta property="og:site_name" content="Springfield Gazette">
            <meta property="og:locale" content="fr_FR">
            <meta name="author" content="By Lea Martin">
            <meta property="article:published_time" content="2026-11-20T07:15:00Z"></head><body></body>"#,
        );
        assert_eq!(m.title.as_deref(), Some("Council approves budget"));
        assert_eq!(m.byline.as_deref(), Some("Lea Martin"));
        assert_eq!(m.published.as_deref(), Some("2026-11-20T07:15:00+00:00"));
        assert_eq!(m.lang.as_deref(), Some("fr-FR"));
        assert_eq!(m.canonical_url, None);
    }

    #[test]
    fn a_date_after_its_own_label_element_dates_a_page_without_metadata() {
        let m = meta(
            "<html><body><div><span>Last updated:</span><span>Dec 12, 2025</span></div>\
             <h1>Choosing an agency</h1><p>Text.</p></body></html>",
        );
        assert_eq!(m.published.as_deref(), Some("2025-12-12T00:00:00+00:00"));
        assert!(dates::is_label("Published on"));
        assert!(!dates::is_label("Updated daily with the news"));
    }

    #[test]
    fn visible_markup_fallbacks() {
        let m = meta(
            r#"<body><h1>Storm hits coast</h1><span class="byline">By Sam Ortiz</span>
            <time datetime="2026-10-01T12:00:00-04:00">Oct 1</time></body>"#,
        );
        assert_eq!(m.title.as_deref(), Some("Storm hits coast"));
        assert_eq!(m.byline.as_deref(), Some("Sam Ortiz"));
        assert_eq!(m.published.as_deref(), Some("2026-10-01T12:00:00-04:00"));
    }

    #[test]
    fn a_compound_author_class_names_the_byline_when_nothing_stronger_does() {
        let m = meta(
            r#"<body><h1>Tides of the bay</h1><div class="post-header"><div class="caption">Author</div>
            <div class="the-author">Mira Okafor</div></div>
            <div class="author_bio-text">Mira Okafor writes about the coast and has for ten years.</div></body>"#,
        );
        assert_eq!(m.byline.as_deref(), Some("Mira Okafor"));
        let m = meta(
            r#"<body><h1>Tides</h1><span class="byline">By Sam Ortiz</span><p class="text__author">Jo Bell</p></body>"#,
        );
        assert_eq!(m.byline.as_deref(), Some("Sam Ortiz"));
    }

    #[test]
    fn a_declared_lower_case_name_or_username_is_kept_unless_a_person_is_shown() {
        let m = meta(r#"<head><meta name="author" content="kirstin boatto"></head><body><h1>Rain</h1></body>"#);
        assert_eq!(m.byline.as_deref(), Some("kirstin boatto"));
        let m = meta(r#"<head><meta name="author" content="stephenlega"></head><body><h1>Rain</h1></body>"#);
        assert_eq!(m.byline.as_deref(), Some("stephenlega"));
        let m = meta(
            r#"<head><meta name="author" content="stephenlega"></head><body><h1>Rain</h1>
            <span class="byline">By Ana Ruiz</span></body>"#,
        );
        assert_eq!(m.byline.as_deref(), Some("Ana Ruiz"));
        for junk in ["undefined", "mdelatorreq6vkpg2ma0ci", "admin"] {
            let m = meta(&format!(r#"<head><meta name="author" content="{junk}"></head><body><h1>Rain</h1></body>"#));
            assert_eq!(m.byline, None, "{junk}");
        }
    }

    #[test]
    fn the_byline_readers_see_wins_over_a_site_account() {
        // The declared author is the site's team: the person the byline shows.
        let m = meta(
            r#"<head><meta property="og:site_name" content="Tiger Data"><meta name="author" content="Team Tiger Data">
            </head><body><h1>Query plans</h1><p>Text.</p><p>Written by <a href="/x">Paulinho Giovannini</a></p></body>"#,
        );
        assert_eq!(m.byline.as_deref(), Some("Paulinho Giovannini"));
        // The declared author is another person than the one two bylines agree on.
        let m = meta(
            r#"<head><meta name="author" content="Luke Daigle"></head><body><h1>Legal challenges</h1>
            <p>November 3, 2023</p><div class="by-div"><p>By: Paul Fenaroli</p></div><p>Text.</p></body>"#,
        );
        assert_eq!(m.byline.as_deref(), Some("Paul Fenaroli"));
        // One visible byline alone does not overrule the declared author.
        let m = meta(
            r#"<head><meta name="author" content="Luke Daigle"></head><body><h1>Legal challenges</h1>
            <p>Text.</p><div><p>By: Paul Fenaroli</p></div></body>"#,
        );
        assert_eq!(m.byline.as_deref(), Some("Luke Daigle"));
    }
}
