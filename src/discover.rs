//! New article URLs from RSS and Atom feeds, sitemaps (indexes and Google News
//! sitemaps included), section pages and OPML feed lists. The parsers are pure
//! (bytes in, URLs out); [`read_listing`] fetches a listing and the sitemaps its
//! index names.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use regex::Regex;

/// An article a listing names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// Absolute http(s) URL of the article.
    pub url: String,
    /// The item's title, when the listing gives one.
    pub title: Option<String>,
    /// The latest time the listing gives the item (a feed entry's `updated` or
    /// `published`, a sitemap's `lastmod` or Google News `publication_date`): a hint
    /// that the article changed then.
    pub listed: Option<DateTime<Utc>>,
}

/// What a listing page holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// Articles.
    Articles(Vec<Discovered>),
    /// A sitemap index: more sitemaps to read.
    Sitemaps(Vec<String>),
}

/// Why a listing could not be read.
#[derive(Debug, thiserror::Error)]
#[error("not a readable RSS/Atom feed or sitemap: {0}")]
pub struct ListingError(String);

/// Most sitemaps one index may name that are read.
pub const MAX_CHILD_SITEMAPS: usize = 50;
/// Largest decompressed `.xml.gz` sitemap read (the sitemap protocol's own limit).
const MAX_GUNZIPPED_BYTES: u64 = 50 * 1024 * 1024;

/// Reads a feed or sitemap (sniffed from its content), or, when `links` is
/// given, the links of a section page that match it.
pub fn discover(body: &[u8], base_url: &str, links: Option<&Regex>) -> Result<Listing, ListingError> {
    if let Some(pattern) = links {
        return Ok(Listing::Articles(section_links(&String::from_utf8_lossy(body), base_url, pattern)));
    }
    let body = gunzip_if_needed(body)?;
    let head = String::from_utf8_lossy(&body[..body.len().min(4096)]).to_ascii_lowercase();
    if head.contains("<sitemapindex") {
        let children = locs(&String::from_utf8_lossy(&body))
            .into_iter()
            .filter_map(|loc| absolute(base_url, &loc))
            .take(MAX_CHILD_SITEMAPS)
            .collect();
        return Ok(Listing::Sitemaps(children));
    }
    if head.contains("<urlset") {
        return Ok(Listing::Articles(dedupe(sitemap_entries(&String::from_utf8_lossy(&body)).into_iter().filter_map(
            |(loc, title, listed)| absolute(base_url, &loc).map(|url| Discovered { url, title, listed }),
        ))));
    }
    articles_in_feed(&body, base_url).map(Listing::Articles)
}

/// Lists the articles of an RSS or Atom feed, resolving relative links against
/// `feed_url`. Items without an http(s) link are skipped; duplicates are dropped.
pub fn articles_in_feed(body: &[u8], feed_url: &str) -> Result<Vec<Discovered>, ListingError> {
    let feed = feed_rs::parser::Builder::new()
        .base_uri(Some(feed_url))
        .build()
        .parse(body)
        .map_err(|e| ListingError(e.to_string()))?;
    Ok(dedupe(feed.entries.into_iter().filter_map(|entry| {
        // Atom entries may carry several links; the alternate (or unlabelled) one is the article.
        let link =
            entry.links.iter().find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate")).or(entry.links.first());
        let href = match link {
            Some(l) => l.href.clone(),
            // RSS items sometimes give only a permalink guid.
            None if entry.id.starts_with("http") => entry.id.clone(),
            None => return None,
        };
        let listed = entry.updated.max(entry.published);
        absolute(feed_url, &href).map(|url| Discovered { url, title: entry.title.map(|t| t.content), listed })
    })))
}

/// The links of a section page whose absolute URL matches `pattern`.
pub fn section_links(html: &str, base_url: &str, pattern: &Regex) -> Vec<Discovered> {
    static ANCHOR: LazyLock<scraper::Selector> = LazyLock::new(|| scraper::Selector::parse("a[href]").unwrap());
    let doc = scraper::Html::parse_document(html);
    dedupe(doc.select(&ANCHOR).filter_map(|a| {
        let url = absolute(base_url, a.value().attr("href")?)?;
        let title = a.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ");
        pattern.is_match(&url).then(|| Discovered { url, title: (!title.is_empty()).then_some(title), listed: None })
    }))
}

/// The feeds an OPML file lists (`xmlUrl` of its outlines), with their titles.
pub fn feeds_in_opml(opml: &str) -> Vec<Discovered> {
    static OUTLINE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?is)<outline\b([^>]*)>").unwrap());
    dedupe(OUTLINE.captures_iter(opml).filter_map(|c| {
        let attrs = &c[1];
        let url = attribute(attrs, "xmlUrl")?;
        let url = absolute(&url, &url)?;
        let title = attribute(attrs, "title").or_else(|| attribute(attrs, "text"));
        Some(Discovered { url, title, listed: None })
    }))
}

fn attribute(attrs: &str, name: &str) -> Option<String> {
    let re = Regex::new(&format!(r#"(?i)\b{name}\s*=\s*(?:"([^"]*)"|'([^']*)')"#)).ok()?;
    let c = re.captures(attrs)?;
    Some(unescape_xml(c.get(1).or(c.get(2))?.as_str()))
}

/// `<loc>` values of a sitemap or sitemap index.
fn locs(xml: &str) -> Vec<String> {
    sitemap_entries(xml).into_iter().map(|(loc, _, _)| loc).collect()
}

/// `(loc, news:title, latest of lastmod and news:publication_date)` of each
/// `<url>` (or `<sitemap>`) of a sitemap.
fn sitemap_entries(xml: &str) -> Vec<(String, Option<String>, Option<DateTime<Utc>>)> {
    static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?is)<(?:\w+:)?(?:url|sitemap)\b[^>]*>(.*?)</(?:\w+:)?(?:url|sitemap)>").unwrap()
    });
    static LOC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?is)<(?:\w+:)?loc>(.*?)</(?:\w+:)?loc>").unwrap());
    static TITLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?is)<news:title>(.*?)</news:title>").unwrap());
    static DATES: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?is)<(?:\w+:)?(?:lastmod|publication_date)>(.*?)</(?:\w+:)?(?:lastmod|publication_date)>")
            .unwrap()
    });
    ENTRY
        .captures_iter(xml)
        .filter_map(|entry| {
            let inner = &entry[1];
            let loc = text_of(&LOC.captures(inner)?[1]);
            let title = TITLE.captures(inner).map(|t| text_of(&t[1])).filter(|t| !t.is_empty());
            let listed = DATES.captures_iter(inner).filter_map(|d| w3c_datetime(&text_of(&d[1]))).max();
            Some((loc, title, listed))
        })
        .collect()
}

/// A sitemap date (W3C Datetime: `2026-01-01`, `2026-01-01T10:00Z`,
/// `2026-01-01T10:00:00+01:00`…); a bare date is midnight UTC.
fn w3c_datetime(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // Minutes without seconds are allowed by the W3C profile, not by RFC 3339.
    let zoned = s.strip_suffix('Z').map_or_else(|| s.to_string(), |t| format!("{t}+00:00"));
    if let Ok(t) = DateTime::parse_from_str(&zoned, "%Y-%m-%dT%H:%M%:z") {
        return Some(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

/// Element text: CDATA unwrapped, entities decoded, whitespace trimmed.
fn text_of(raw: &str) -> String {
    let raw = raw.trim();
    match raw.strip_prefix("<![CDATA[").and_then(|r| r.strip_suffix("]]>")) {
        Some(cdata) => cdata.trim().to_string(),
        None => unescape_xml(raw),
    }
}

fn unescape_xml(s: &str) -> String {
    static ENTITY: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);").unwrap());
    ENTITY
        .replace_all(s, |c: &regex::Captures<'_>| {
            let e = &c[1];
            match e {
                "amp" => "&".to_string(),
                "lt" => "<".to_string(),
                "gt" => ">".to_string(),
                "quot" => "\"".to_string(),
                "apos" => "'".to_string(),
                _ => {
                    let code = match e.strip_prefix("#x") {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => e[1..].parse().ok(),
                    };
                    code.and_then(char::from_u32).map_or_else(|| c[0].to_string(), String::from)
                }
            }
        })
        .into_owned()
}

fn gunzip_if_needed(body: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, ListingError> {
    if !body.starts_with(&[0x1f, 0x8b]) {
        return Ok(body.into());
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(MAX_GUNZIPPED_BYTES)
        .read_to_end(&mut out)
        .map_err(|e| ListingError(format!("bad gzip: {e}")))?;
    Ok(out.into())
}

/// Resolves `href` against `base`; only http(s), without fragment.
fn absolute(base: &str, href: &str) -> Option<String> {
    let resolved = match url::Url::parse(base) {
        Ok(b) => b.join(href.trim()),
        Err(_) => url::Url::parse(href.trim()),
    };
    let mut url = resolved.ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    Some(url.to_string())
}

fn dedupe(items: impl Iterator<Item = Discovered>) -> Vec<Discovered> {
    let mut seen = HashSet::new();
    items.filter(|d| seen.insert(d.url.clone())).collect()
}

/// Why a listing could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The listing could not be fetched.
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    /// It was fetched but is not a listing.
    #[error(transparent)]
    Listing(#[from] ListingError),
}

impl ReadError {
    /// The server's requested delay, if it gave one.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            ReadError::Fetch(e) => e.retry_after(),
            ReadError::Listing(_) => None,
        }
    }
}

/// The validators of a listing's last response, sent back for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag`, sent as `If-None-Match`.
    pub etag: Option<String>,
    /// `Last-Modified`, sent as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

/// The listing page as fetched, for the fetch log and the next conditional GET.
#[derive(Debug, Clone, Default)]
pub struct ListingFetch {
    /// HTTP status (304 when the listing had not changed).
    pub status: Option<u16>,
    /// The validators the response gave, to be stored for the next read.
    pub validators: Validators,
    /// Body size.
    pub bytes: Option<usize>,
    /// Time taken.
    pub elapsed: Option<std::time::Duration>,
    /// When the listing was a sitemap index: each child sitemap it names and the
    /// validators to send when that child is next read (the response's, or the previous
    /// ones when the child answered 304 or could not be read).
    pub children: Vec<(String, Validators)>,
}

/// The articles a feed, sitemap (following one level of sitemap index) or
/// section page lists, fetched with a conditional GET on `previous`; a 304
/// lists nothing new. The child sitemaps of an index are fetched with a
/// conditional GET each, on their validators in `previous_children` (by URL). The
/// fetch's figures are kept in `fetched` whether or not the listing could be read.
pub async fn read_listing(
    polite: &crate::schedule::polite::Polite,
    url: &str,
    links: Option<&Regex>,
    previous: &Validators,
    previous_children: &HashMap<String, Validators>,
    fetched: &mut ListingFetch,
) -> Result<Vec<Discovered>, ReadError> {
    use crate::fetch::{Expect, Request, Response};
    let expect = if links.is_some() { Expect::Html } else { Expect::Feed };
    // The listing and its child sitemaps are fetched with the request profile of the watch `url`.
    let request = Request {
        url,
        etag: previous.etag.as_deref(),
        last_modified: previous.last_modified.as_deref(),
        source: Some(url),
    };
    let page = match polite.fetch(&request, expect).await? {
        Response::Page(page) => page,
        Response::NotModified { elapsed } => {
            *fetched = ListingFetch {
                status: Some(304),
                validators: previous.clone(),
                bytes: None,
                elapsed: Some(elapsed),
                children: Vec::new(),
            };
            return Ok(Vec::new());
        }
    };
    *fetched = ListingFetch {
        status: Some(page.status),
        validators: Validators { etag: page.etag.clone(), last_modified: page.last_modified.clone() },
        bytes: Some(page.raw.len()),
        elapsed: Some(page.elapsed),
        children: Vec::new(),
    };
    match discover(&page.raw, &page.final_url, links)? {
        Listing::Articles(found) => Ok(found),
        Listing::Sitemaps(children) => {
            // An index may stay the same while its sitemaps change: it is always read in full.
            fetched.validators = Validators::default();
            let mut found = Vec::new();
            for child in children {
                let before = previous_children.get(&child).cloned().unwrap_or_default();
                let request = Request {
                    url: &child,
                    etag: before.etag.as_deref(),
                    last_modified: before.last_modified.as_deref(),
                    source: Some(url),
                };
                // What the child's next read sends: its new validators once it is read.
                let mut after = before.clone();
                match polite.fetch(&request, Expect::Feed).await {
                    Ok(Response::Page(p)) => match discover(&p.raw, &p.final_url, None) {
                        Ok(Listing::Articles(more)) => {
                            found.extend(more);
                            after = Validators { etag: p.etag.clone(), last_modified: p.last_modified.clone() };
                        }
                        Ok(Listing::Sitemaps(_)) => tracing::debug!(%child, "Nested sitemap index skipped."),
                        Err(e) => tracing::warn!(%child, error = %e, "Child sitemap unreadable."),
                    },
                    // Unchanged since its last read: the articles it lists are known already.
                    Ok(Response::NotModified { .. }) => tracing::debug!(%child, "Child sitemap not modified."),
                    Err(e) => tracing::warn!(%child, error = %e, "Child sitemap fetch failed."),
                }
                fetched.children.push((child, after));
            }
            Ok(found)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(listing: Listing) -> Vec<String> {
        match listing {
            Listing::Articles(a) => a.into_iter().map(|d| d.url).collect(),
            Listing::Sitemaps(s) => s,
        }
    }

    #[test]
    fn rss_items_become_absolute_urls() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
            <item><title>One</title><link>https://news.example/a#top</link></item>
            <item><title>Two</title><link>/b</link></item>
            <item><title>Dup</title><link>https://news.example/a</link></item>
            <item><title>Mail</title><link>mailto:x@y</link></item>
            </channel></rss>"#;
        let found = articles_in_feed(rss, "https://news.example/feed.xml").unwrap();
        let urls: Vec<_> = found.iter().map(|d| d.url.as_str()).collect();
        assert_eq!(urls, ["https://news.example/a", "https://news.example/b"]);
        assert_eq!(found[0].title.as_deref(), Some("One"));
    }

    #[test]
    fn atom_alternate_links() {
        let atom = br#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
            <title>T</title><id>urn:x</id><updated>2026-01-01T00:00:00Z</updated>
            <entry><title>E</title><id>urn:e</id><updated>2026-01-01T00:00:00Z</updated>
            <link rel="self" href="https://n.example/e.json"/><link rel="alternate" href="https://n.example/e"/></entry>
            </feed>"#;
        assert_eq!(urls(discover(atom, "https://n.example/atom", None).unwrap()), ["https://n.example/e"]);
    }

    #[test]
    fn sitemaps_indexes_and_google_news() {
        let index = br#"<?xml version="1.0" encoding="UTF-8"?>
            <sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <sitemap><loc>https://n.example/sitemap-1.xml</loc></sitemap>
            <sitemap><loc> /sitemap-2.xml.gz </loc><lastmod>2026-01-01</lastmod></sitemap></sitemapindex>"#;
        assert_eq!(
            discover(index, "https://n.example/sitemap.xml", None).unwrap(),
            Listing::Sitemaps(vec![
                "https://n.example/sitemap-1.xml".into(),
                "https://n.example/sitemap-2.xml.gz".into()
            ])
        );
        let news = br#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
            <url><loc>https://n.example/a?x=1&amp;y=2</loc><news:news><news:title><![CDATA[Floods & storms]]></news:title></news:news></url>
            <url><loc>https://n.example/b</loc></url></urlset>"#;
        match discover(news, "https://n.example/news.xml", None).unwrap() {
            Listing::Articles(a) => {
                assert_eq!(a[0].url, "https://n.example/a?x=1&y=2");
                assert_eq!(a[0].title.as_deref(), Some("Floods & storms"));
                assert_eq!(a[1].url, "https://n.example/b");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn listing_times_from_feeds_and_sitemaps() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let rss = br#"<rss version="2.0"><channel><title>T</title>
            <item><title>One</title><link>https://n.example/a</link><pubDate>Tue, 01 Dec 2026 09:00:00 GMT</pubDate></item>
            <item><title>Two</title><link>https://n.example/b</link></item></channel></rss>"#;
        let found = articles_in_feed(rss, "https://n.example/rss").unwrap();
        assert_eq!((found[0].listed, found[1].listed), (Some(at("2026-12-01T09:00:00Z")), None));
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:x</id>
            <updated>2026-12-01T00:00:00Z</updated><entry><title>E</title><id>urn:e</id>
            <published>2026-11-01T00:00:00Z</published><updated>2026-12-01T08:30:00+01:00</updated>
            <link href="https://n.example/e"/></entry></feed>"#;
        let found = articles_in_feed(atom, "https://n.example/atom").unwrap();
        assert_eq!(found[0].listed, Some(at("2026-12-01T07:30:00Z")), "the later of updated and published");
        let sitemap = br#"<urlset xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
            <url><loc>https://n.example/1</loc><lastmod>2026-12-01</lastmod></url>
            <url><loc>https://n.example/2</loc><lastmod>2026-12-01T10:15+02:00</lastmod></url>
            <url><loc>https://n.example/3</loc><lastmod>2025-01-01T00:00:00Z</lastmod>
              <news:news><news:publication_date>2026-12-01T11:00:00Z</news:publication_date></news:news></url>
            <url><loc>https://n.example/4</loc><lastmod>yesterday</lastmod></url></urlset>"#;
        let listed: Vec<_> = match discover(sitemap, "https://n.example/s.xml", None).unwrap() {
            Listing::Articles(a) => a.into_iter().map(|d| d.listed).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            listed,
            [
                Some(at("2026-12-01T00:00:00Z")),
                Some(at("2026-12-01T08:15:00Z")),
                Some(at("2026-12-01T11:00:00Z")),
                None
            ]
        );
    }

    #[test]
    fn gzipped_sitemap() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"<urlset><url><loc>https://n.example/z</loc></url></urlset>").unwrap();
        let body = gz.finish().unwrap();
        assert_eq!(urls(discover(&body, "https://n.example/s.xml.gz", None).unwrap()), ["https://n.example/z"]);
    }

    #[test]
    fn section_page_links_matching_the_pattern() {
        let html = r#"<nav><a href="/world/">World</a></nav><main>
            <a href="/world/2026/03/02/tram-line-opens">Tram line opens</a>
            <a href="https://n.example/world/2026/03/01/river-floods#comments">River floods</a>
            <a href="/about">About</a></main>"#;
        let pattern = Regex::new(r"/world/\d{4}/").unwrap();
        let found = section_links(html, "https://n.example/world/", &pattern);
        let got: Vec<_> = found.iter().map(|d| (d.url.as_str(), d.title.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("https://n.example/world/2026/03/02/tram-line-opens", Some("Tram line opens")),
                ("https://n.example/world/2026/03/01/river-floods", Some("River floods")),
            ]
        );
    }

    #[test]
    fn opml_feed_lists() {
        let opml = r#"<?xml version="1.0"?><opml version="2.0"><head><title>Feeds</title></head><body>
            <outline text="News"><outline type="rss" text="World &amp; more" xmlUrl="https://n.example/world.xml"/>
            <outline type="rss" title='Tech' xmlUrl='https://t.example/rss'/></outline>
            <outline text="Folder only"/></body></opml>"#;
        let feeds = feeds_in_opml(opml);
        assert_eq!(feeds.len(), 2);
        assert_eq!(feeds[0].title.as_deref(), Some("World & more"));
        assert_eq!(feeds[1].url, "https://t.example/rss");
    }

    /// A site with a sitemap index naming two children: `s1.xml` answers 304 to its
    /// `ETag`, `s2.xml` to its `Last-Modified`; `s1.xml` lists one more article from
    /// version 2 on. Every request's path, `If-None-Match` and `If-Modified-Since` is kept.
    struct Sitemaps {
        base: String,
        s1_version: std::sync::atomic::AtomicU32,
        hits: std::sync::Mutex<Vec<Hit>>,
    }

    /// A request's path, `If-None-Match` and `If-Modified-Since`.
    type Hit = (String, Option<String>, Option<String>);

    const S2_MODIFIED: &str = "Tue, 01 Dec 2026 10:00:00 GMT";

    async fn sitemap_site() -> std::sync::Arc<Sitemaps> {
        use axum::http::{HeaderMap, StatusCode, header};
        use axum::response::IntoResponse;
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let site = std::sync::Arc::new(Sitemaps {
            base: format!("http://{}", listener.local_addr().unwrap()),
            s1_version: 1.into(),
            hits: Default::default(),
        });
        let state = std::sync::Arc::clone(&site);
        let handler = move |uri: axum::http::Uri, headers: HeaderMap| {
            let site = std::sync::Arc::clone(&state);
            async move {
                let header = |name| headers.get(name).and_then(|v: &axum::http::HeaderValue| v.to_str().ok());
                let (etag, since) = (header(header::IF_NONE_MATCH), header(header::IF_MODIFIED_SINCE));
                site.hits.lock().unwrap().push((uri.path().into(), etag.map(Into::into), since.map(Into::into)));
                let xml = [(header::CONTENT_TYPE, "application/xml")];
                let base = &site.base;
                match uri.path() {
                    "/index.xml" => (
                        xml,
                        format!(
                            "<sitemapindex><sitemap><loc>{base}/s1.xml</loc></sitemap>\
                             <sitemap><loc>{base}/s2.xml</loc></sitemap></sitemapindex>"
                        ),
                    )
                        .into_response(),
                    "/s1.xml" => {
                        let version = site.s1_version.load(Ordering::SeqCst);
                        let tag = format!("\"s1-v{version}\"");
                        if etag == Some(tag.as_str()) {
                            return StatusCode::NOT_MODIFIED.into_response();
                        }
                        let mut urls = format!("<url><loc>{base}/a</loc></url>");
                        if version > 1 {
                            urls.push_str(&format!("<url><loc>{base}/c</loc></url>"));
                        }
                        let headers = [(header::CONTENT_TYPE, "application/xml".to_string()), (header::ETAG, tag)];
                        (headers, format!("<urlset>{urls}</urlset>")).into_response()
                    }
                    "/s2.xml" => {
                        if since == Some(S2_MODIFIED) {
                            return StatusCode::NOT_MODIFIED.into_response();
                        }
                        let headers = [(header::CONTENT_TYPE, "application/xml"), (header::LAST_MODIFIED, S2_MODIFIED)];
                        (headers, format!("<urlset><url><loc>{base}/b</loc></url></urlset>")).into_response()
                    }
                    _ => StatusCode::NOT_FOUND.into_response(),
                }
            }
        };
        let app = axum::Router::new().fallback(handler);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        site
    }

    #[tokio::test]
    async fn child_sitemaps_are_read_with_a_conditional_get_each() {
        use crate::config::FetchConfig;
        let site = sitemap_site().await;
        let config = FetchConfig {
            allow_private: true,
            robots: false,
            per_host_delay: std::time::Duration::ZERO,
            ..FetchConfig::default()
        };
        let polite = crate::schedule::polite::Polite::new(&config).unwrap();
        let index = format!("{}/index.xml", site.base);
        let read = |children: HashMap<String, Validators>| {
            let (polite, index) = (&polite, &index);
            async move {
                let mut fetched = ListingFetch::default();
                let found =
                    read_listing(polite, index, None, &Validators::default(), &children, &mut fetched).await.unwrap();
                let urls: Vec<String> = found.into_iter().map(|d| d.url).collect();
                (urls, fetched.children)
            }
        };
        let hits = |from: usize| site.hits.lock().unwrap()[from..].to_vec();
        let (s1, s2) = (format!("{}/s1.xml", site.base), format!("{}/s2.xml", site.base));

        // First read: no validators to send; both children read in full, their validators kept.
        let (urls, children) = read(HashMap::new()).await;
        assert_eq!(urls, [format!("{}/a", site.base), format!("{}/b", site.base)]);
        let v1 = Validators { etag: Some("\"s1-v1\"".into()), last_modified: None };
        let v2 = Validators { etag: None, last_modified: Some(S2_MODIFIED.into()) };
        assert_eq!(children, [(s1.clone(), v1.clone()), (s2.clone(), v2.clone())]);
        assert!(hits(0).iter().all(|(_, etag, since)| etag.is_none() && since.is_none()), "{:?}", hits(0));

        // Second read: each child is asked with its own validators and answers 304, which
        // lists nothing and keeps the validators.
        let seen = site.hits.lock().unwrap().len();
        let (urls, again) = read(children.into_iter().collect()).await;
        assert!(urls.is_empty(), "{urls:?}");
        assert_eq!(again, [(s1.clone(), v1.clone()), (s2.clone(), v2.clone())]);
        let asked = hits(seen);
        assert_eq!(
            asked,
            [
                ("/index.xml".to_string(), None, None),
                ("/s1.xml".to_string(), Some("\"s1-v1\"".to_string()), None),
                ("/s2.xml".to_string(), None, Some(S2_MODIFIED.to_string())),
            ],
            "the index is read in full, each child conditionally"
        );

        // s1 changes: it is read again (new ETag kept), s2 still answers 304.
        site.s1_version.store(2, std::sync::atomic::Ordering::SeqCst);
        let (urls, third) = read(again.into_iter().collect()).await;
        assert_eq!(urls, [format!("{}/a", site.base), format!("{}/c", site.base)]);
        let v1_2 = Validators { etag: Some("\"s1-v2\"".into()), last_modified: None };
        assert_eq!(third, [(s1, v1_2), (s2, v2)]);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(discover(b"<html><body>not a feed</body></html>", "https://x/", None).is_err());
    }
}
