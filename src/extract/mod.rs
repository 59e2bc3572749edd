//! Article extraction: HTML in, [`Article`] out.
//!
//! Pure: no I/O, no knowledge of watches or the database.
//!
//! # Layout
//! - [`metadata`]: headline, byline, dates, canonical URL, language.
//! - [`dates`]: timestamps in their many spellings, to RFC 3339.
//! - [`dom`]: a flat pre-order copy of the parsed page (no recursion anywhere).
//! - [`guard`]: input limits that keep time bounded (nesting depth).
//! - [`hints`]: what class names and short lines say (furniture, notices).
//! - [`body`]: content scoring and paragraph flattening.
//! - [`text`]: whitespace and comparison helpers.

pub mod body;
pub mod dates;
pub mod dom;
pub mod guard;
pub mod hints;
pub mod metadata;
pub mod text;

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
}

impl Article {
    /// The paragraphs joined by blank lines.
    pub fn text(&self) -> String {
        self.paragraphs.join("\n\n")
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

/// Like [`extract_with`], and also says why the body is empty when it is.
pub fn extract_report(html: &str, url: Option<&str>, rules: &ExtractRules) -> (Article, Option<String>) {
    let html = cut(html, MAX_HTML_BYTES);
    let html = guard::limit_depth(html, guard::MAX_DEPTH);
    let doc = Html::parse_document(&html);
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
