//! Article extraction: HTML in, [`Article`] out.
//!
//! Pure: no I/O, no knowledge of watches or the database.
//!
//! # Layout
//! - [`metadata`]: headline, byline, dates, canonical URL, language.
//! - `byline`: who wrote the article, from the declared authors and the visible byline (read by metadata).
//! - [`dates`]: timestamps in their many spellings, to RFC 3339.
//! - `elements`: an element's text, and whether it sits in furniture (read by metadata and dates).
//! - [`dom`]: a flat pre-order copy of the parsed page (no recursion anywhere).
//! - [`fastparse`]: a fast tokenizer for the common page, feeding html5ever's tree builder.
//! - [`guard`]: input limits that keep time bounded (nesting depth).
//! - [`hints`]: what class names and short lines say (furniture, notices).
//! - [`body`]: content scoring and paragraph flattening.
//! - [`live`]: live blogs, whose posts start with their times.
//! - [`markdown`]: the article as Markdown, from the block kinds.
//! - [`text`]: whitespace and comparison helpers.
//! - [`wall`]: consent walls, paywalls, bot challenges and other pages served instead of the article.

pub mod body;
mod byline;
pub mod dates;
pub mod dom;
mod elements;
pub mod fastparse;
pub mod guard;
pub mod hints;
pub mod live;
pub mod markdown;
pub mod metadata;
mod streamed;
pub mod text;
pub mod wall;

use scraper::{Html, Selector};
use serde::{Deserialize, Serialize};

/// One extracted article: metadata and body paragraphs in reading order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// The URL the page was fetched from (given by the caller).
    pub url: Option<String>,
    /// `<link rel=canonical>` or `og:url`, absolute.
    pub canonical_url: Option<String>,
    /// The headline.
    pub title: Option<String>,
    /// Author(s) as displayed.
    pub byline: Option<String>,
    /// Publication date, RFC 3339.
    pub published: Option<String>,
    /// Last modification date, RFC 3339.
    pub modified: Option<String>,
    /// Language tag (`en`, `de-DE`…).
    pub lang: Option<String>,
    /// Body paragraphs and subheadings, in order, whitespace-collapsed.
    pub paragraphs: Vec<String>,
    /// What each paragraph is (heading, list item, quote…), parallel to
    /// `paragraphs`. Empty in versions stored before block kinds existed, which
    /// read as all paragraphs. Layout, not content: not in [`Article::content_hash`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub block_kinds: Vec<BlockKind>,
}

/// What a body block is; only rendering ([`markdown`]) reads it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// Running text.
    #[default]
    Paragraph,
    /// An `<h2>` (or `<h1>` kept inside the body).
    Heading,
    /// An `<h3>` to `<h6>`.
    Subheading,
    /// An item of a bulleted list.
    ListItem,
    /// An item of a numbered list.
    OrderedItem,
    /// A block quote.
    Quote,
    /// Preformatted text or code.
    Code,
    /// One row of a table, cells joined by spaces.
    TableRow,
    /// The time of a live-blog post, which starts the post.
    Time,
}

impl Article {
    /// The kind of paragraph `i` (a paragraph when unknown).
    pub fn block_kind(&self, i: usize) -> BlockKind {
        self.block_kinds.get(i).copied().unwrap_or_default()
    }

    /// The paragraphs joined by blank lines.
    pub fn text(&self) -> String {
        self.paragraphs.join("\n\n")
    }

    /// Hash of what a version is made of (headline, byline, dates, paragraphs):
    /// two fetches with the same hash are the same version.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for field in [&self.title, &self.byline, &self.published, &self.modified] {
            h.update(field.as_deref().unwrap_or("").as_bytes());
            h.update([0]);
        }
        for p in &self.paragraphs {
            h.update(p.as_bytes());
            h.update([1]);
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Per-watch overrides for sites where generic extraction is not enough.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractRules {
    /// CSS selector of the element(s) holding the body.
    pub body: Option<String>,
    /// CSS selector of the headline element.
    pub title: Option<String>,
    /// CSS selectors of elements to drop before extraction.
    pub exclude: Vec<String>,
}

/// Extracts the article from `html`; `url` resolves relative links.
pub fn extract(html: &str, url: Option<&str>) -> Article {
    extract_with(html, url, &ExtractRules::default())
}

/// Extracts with per-watch overrides.
pub fn extract_with(html: &str, url: Option<&str>, rules: &ExtractRules) -> Article {
    extract_report(html, url, rules).0
}

/// Pages larger than this are cut (at a character boundary) before parsing,
/// which bounds time and memory; no article runs this long.
pub const MAX_HTML_BYTES: usize = 8 * 1024 * 1024;

/// Parses a page as extraction does, cut at [`MAX_HTML_BYTES`] and with nesting past
/// [`guard::MAX_DEPTH`] flattened, for the other readers of a page (its links, its
/// headlines): a hostile page (100,000 nested elements) costs them no more than it costs
/// extraction. Scripts other than JSON-LD, styles and comments are left out, as there.
pub fn parse_guarded(html: &str) -> Html {
    fastparse::parse_document(&guard::prepare(cut(html, MAX_HTML_BYTES), guard::MAX_DEPTH, false, false))
}

/// Like [`extract_with`], and also says why the body is empty when it is.
pub fn extract_report(html: &str, url: Option<&str>, rules: &ExtractRules) -> (Article, Option<String>) {
    let raw = cut(html, MAX_HTML_BYTES);
    let strip_nav = rules.body.is_none() && rules.title.is_none();
    // Attributes are only cut when no selector of the caller's could name them.
    let strip_attrs = strip_nav && rules.exclude.is_empty();
    let html = guard::prepare(raw, guard::MAX_DEPTH, strip_nav, strip_attrs);
    let mut doc = fastparse::parse_document(&html);
    // The raw page: its scripts, which the guard empties, say where each segment goes.
    streamed::place_segments(raw, &mut doc);
    let base = url.and_then(|u| url::Url::parse(u).ok());
    let meta = metadata::read(&doc, base.as_ref());
    let mut marks = dom::Marks::default();
    for s in &rules.exclude {
        match Selector::parse(s) {
            Ok(sel) => marks.exclude.extend(doc.select(&sel).map(|e| dom::key((*e).value()))),
            Err(_) => {
                tracing::debug!(selector = %s, "Ignoring an exclude selector that does not parse.")
            }
        }
    }
    let mut reason = None;
    if let Some(s) = &rules.body {
        match Selector::parse(s) {
            Ok(sel) => {
                marks.body.extend(doc.select(&sel).map(|e| dom::key((*e).value())));
                if marks.body.is_empty() {
                    reason = Some(format!("the body selector `{s}` matched nothing"));
                }
            }
            Err(_) => reason = Some(format!("the body selector `{s}` does not parse")),
        }
    }
    let title = rules
        .title
        .as_deref()
        .and_then(|s| Selector::parse(s).ok())
        .and_then(|sel| doc.select(&sel).next().map(|e| text::collapse(&e.text().collect::<String>())))
        .filter(|t| !t.is_empty())
        .or(meta.title);
    let body = if reason.is_some() {
        body::Body::default()
    } else {
        let flat = dom::Dom::build(&doc, &marks);
        body::extract(&flat, &body::Known { title: title.as_deref(), byline: meta.byline.as_deref() })
    };
    let reason = reason.or(body.reason.map(str::to_string));
    let article = Article {
        url: url.map(str::to_string),
        canonical_url: meta.canonical_url,
        title,
        byline: meta.byline,
        published: meta.published,
        modified: meta.modified,
        lang: meta.lang,
        paragraphs: body.paragraphs,
        block_kinds: body.kinds,
    };
    (article, reason)
}

/// `s` cut to at most `max` bytes, at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_hash_moves_with_content_and_nothing_else() {
        let a =
            Article { title: Some("A".into()), paragraphs: vec!["One.".into(), "Two.".into()], ..Article::default() };
        let same = Article { url: Some("https://e.com/a".into()), lang: Some("en".into()), ..a.clone() };
        assert_eq!(a.content_hash(), same.content_hash(), "url and lang are not content");
        let joined = Article { paragraphs: vec!["One.Two.".into()], ..a.clone() };
        assert_ne!(a.content_hash(), joined.content_hash(), "paragraph breaks are content");
        let moved = Article { title: None, byline: Some("A".into()), ..a.clone() };
        assert_ne!(a.content_hash(), moved.content_hash(), "fields are kept apart");
        assert_eq!(a.content_hash().len(), 64);
    }

    const PAGE: &str = r#"<html lang="en"><head><title>Ferry fares rise | Coast News</title>
        <meta property="og:site_name" content="Coast News"></head><body>
        <nav><a href="/">Home</a></nav>
        <article><h1>Ferry fares rise</h1>
        <div class="body"><p>Ferry fares on the island routes will rise by six percent in April, the operator said on Friday, blaming fuel costs.</p>
        <p class="promo-inline">Get our morning briefing, free, every weekday, straight to your inbox.</p>
        <p>Season tickets for islanders are frozen at last year's price until the end of the summer timetable.</p></div>
        <span class="ticker">Updated 7 minutes ago</span></article></body></html>"#;

    #[test]
    fn extracts_metadata_and_body() {
        let a = extract(PAGE, Some("https://coast.test/ferry"));
        assert_eq!(a.url.as_deref(), Some("https://coast.test/ferry"));
        assert_eq!(a.title.as_deref(), Some("Ferry fares rise"));
        assert_eq!(a.lang.as_deref(), Some("en"));
        assert_eq!(a.paragraphs.len(), 2, "{:?}", a.paragraphs);
        assert!(a.text().contains("\n\nSeason tickets"));
    }

    #[test]
    fn rules_override_body_title_and_exclude() {
        let rules = ExtractRules {
            body: Some("div.body".into()),
            title: Some("nav a".into()),
            exclude: vec!["p:first-child".into()],
        };
        let a = extract_with(PAGE, None, &rules);
        assert_eq!(a.title.as_deref(), Some("Home"));
        assert_eq!(a.paragraphs.len(), 1, "{:?}", a.paragraphs);
        assert!(a.paragraphs[0].starts_with("Season tickets"));
    }

    #[test]
    fn bad_or_missing_body_selector_is_reported() {
        let rules = ExtractRules { body: Some("div[".into()), ..Default::default() };
        let (a, reason) = extract_report(PAGE, None, &rules);
        assert!(a.paragraphs.is_empty());
        assert!(reason.unwrap().contains("does not parse"));
        let rules = ExtractRules { body: Some(".nothing-here".into()), ..Default::default() };
        let (_, reason) = extract_report(PAGE, None, &rules);
        assert!(reason.unwrap().contains("matched nothing"));
    }

    #[test]
    fn empty_and_garbage_input() {
        for src in ["", "<", "<<<>>>", "\u{0}\u{feff}", "<html><body></body></html>", "<p>hi"] {
            let (a, reason) = extract_report(src, None, &ExtractRules::default());
            assert!(a.paragraphs.is_empty(), "{src:?}");
            assert!(reason.is_some(), "{src:?}");
        }
    }

    #[test]
    fn very_deep_nesting_is_bounded() {
        let depth = 100_000;
        let src = format!(
            "<body>{}<p>{}</p>{}</body>",
            "<div><span>".repeat(depth),
            "The harbour master said the new pontoon will open in May, a year late. ".repeat(3),
            "</span></div>".repeat(depth)
        );
        let start = std::time::Instant::now();
        let a = extract(&src, None);
        assert_eq!(a.paragraphs.len(), 1);
        assert!(start.elapsed().as_secs() < 60);
    }

    #[test]
    fn ticking_timestamps_change_nothing() {
        let page = |n: u32| {
            format!(
                r#"<html><body><div class="layout"><aside><p>Updated {n} minutes ago</p><a href="/x">Other story</a></aside>
                <article><h1>Harbour wall repaired</h1><div class="meta">Updated {n} hours ago</div>
                <p>The harbour wall damaged in the January storm has been repaired, the port authority said on Monday, ahead of the summer season.</p>
                <span class="ts">{n} min ago</span>
                <p>Work cost 2.3 million euros and took eleven weeks, two weeks longer than planned because of high tides in March.</p>
                <p>Editor's note: this article was updated to include the cost of the repairs.</p></article></div></body></html>"#
            )
        };
        let a = extract(&page(7), None);
        assert_eq!(a.paragraphs.len(), 3, "{:?}", a.paragraphs);
        assert!(a.paragraphs[2].starts_with("Editor's note:"));
        for n in [8, 23, 59] {
            assert_eq!(a, extract(&page(n), None), "minute {n}");
        }
    }

    #[test]
    fn cut_respects_char_boundaries() {
        assert_eq!(cut("aé", 2), "a");
        assert_eq!(cut("abc", 10), "abc");
    }
}
