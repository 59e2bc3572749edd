//! New article URLs from RSS and Atom feeds. Pure: bytes in, URLs out.

/// An article a feed lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// Absolute http(s) URL of the article.
    pub url: String,
    /// The feed item's title.
    pub title: Option<String>,
}

/// Why a feed could not be read.
#[derive(Debug, thiserror::Error)]
#[error("not a readable RSS or Atom feed: {0}")]
pub struct FeedError(String);

/// Lists the articles of an RSS or Atom feed, resolving relative links against
/// `feed_url`. Items without an http(s) link are skipped; duplicates are dropped.
pub fn articles_in_feed(body: &[u8], feed_url: &str) -> Result<Vec<Discovered>, FeedError> {
    let feed = feed_rs::parser::Builder::new()
        .base_uri(Some(feed_url))
        .build()
        .parse(body)
        .map_err(|e| FeedError(e.to_string()))?;
    let base = url::Url::parse(feed_url).ok();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for entry in feed.entries {
        // Atom entries may carry several links; the alternate (or unlabelled) one is the article.
        let link = entry
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or(entry.links.first());
        let href = match link {
            Some(l) => l.href.clone(),
            // RSS items sometimes give only a permalink guid.
            None if entry.id.starts_with("http") => entry.id.clone(),
            None => continue,
        };
        let resolved = match &base {
            Some(b) => b.join(href.trim()),
            None => url::Url::parse(href.trim()),
        };
        let Ok(mut url) = resolved else { continue };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        url.set_fragment(None);
        if seen.insert(url.to_string()) {
            out.push(Discovered {
                url: url.to_string(),
                title: entry.title.map(|t| t.content),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let found = articles_in_feed(atom, "https://n.example/atom").unwrap();
        assert_eq!(found[0].url, "https://n.example/e");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(articles_in_feed(b"<html><body>not a feed</body></html>", "https://x/").is_err());
    }
}
