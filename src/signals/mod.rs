//! What the pages and listings of a story say beyond its text (issue 15):
//! listing times that make an article due, the canonical identity of a story
//! ([`canonical`]), every headline a page shows ([`headlines`]). Pure but for
//! `steps`, the check's steps that read and write the store.
//! Pure: values in, values out; the check and the store do the I/O.

use crate::discover::Discovered;
use crate::store::ListedArticle;

pub mod canonical;
pub mod headlines;
mod steps;

/// The articles a listing names, as the store notes them: each URL without its
/// tracking parameters, with the listing's time for it (unix seconds).
pub fn listed_articles(found: &[Discovered]) -> Vec<ListedArticle> {
    found
        .iter()
        .map(|d| ListedArticle {
            url: canonical::strip_tracking(&d.url),
            listed_at: d.listed.map(|t| t.timestamp()),
            title: d.title.clone(),
        })
        .collect()
}

/// What a fetched page says of its identity and its headlines, from one parse
/// of it: its canonical and AMP routes, and every headline it shows (with the
/// title its own listing gives it).
pub fn page_signals(
    html: &str,
    page_url: &str,
    feed_title: Option<&str>,
) -> (canonical::PageLinks, headlines::Headlines) {
    let doc = crate::extract::parse_guarded(html);
    (canonical::links_of(&doc, page_url), headlines::headlines_of(&doc, feed_title))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_times_become_unix_seconds() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z").unwrap().to_utc();
        let found = [
            Discovered { url: "https://n.example/a".into(), title: None, listed: Some(at) },
            Discovered { url: "https://n.example/b?utm_source=rss".into(), title: Some("B".into()), listed: None },
        ];
        let listed = listed_articles(&found);
        let a = ListedArticle { url: "https://n.example/a".into(), listed_at: Some(at.timestamp()), title: None };
        assert_eq!(listed[0], a);
        let b = ListedArticle { url: "https://n.example/b".into(), listed_at: None, title: Some("B".into()) };
        assert_eq!(listed[1], b, "tracking stripped, the title kept");
    }
}
