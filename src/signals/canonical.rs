//! One story, one article, whatever the route to it: tracking parameters
//! stripped from every URL a listing names ([`TRACKING_PARAMETERS`], documented
//! in docs/API.md), and the links a page gives to its own identity
//! (`rel=canonical`, `og:url`, `rel=amphtml`) read so that an AMP or tracked
//! route folds into the article of its canonical URL.

use std::sync::LazyLock;

/// Query parameters that only say how a reader arrived, removed from article
/// URLs. A name ending in `*` is a prefix.
pub const TRACKING_PARAMETERS: &[&str] = &[
    "utm_*",
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "ocid",
    "cmpid",
    "ncid",
    "smid",
    "ito",
    "at_medium",
    "at_campaign",
    "ref_src",
];

fn is_tracking(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    TRACKING_PARAMETERS.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == *p,
    })
}

/// The URL without its tracking parameters and fragment; the other parameters
/// keep their order and spelling. A URL that does not parse is returned as is.
pub fn strip_tracking(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else { return url.to_string() };
    parsed.set_fragment(None);
    if let Some(query) = parsed.query() {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| !is_tracking(pair.split('=').next().unwrap_or(pair)))
            .collect();
        let kept = kept.join("&");
        parsed.set_query((!kept.is_empty()).then_some(kept.as_str()));
    }
    parsed.to_string()
}

/// What a page says about its own identity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageLinks {
    /// Its canonical URL (`rel=canonical`, else `og:url`), tracking parameters stripped.
    pub canonical: Option<String>,
    /// Its AMP version (`rel=amphtml`), tracking parameters stripped.
    pub amp: Option<String>,
}

/// Reads `rel=canonical`, `og:url` and `rel=amphtml` from a page fetched at
/// `page_url`. A link to another site (other than `www.`/`amp.`/`m.` of the
/// same one), or to the site's home page, is ignored: a page cannot fold
/// itself into someone else's article, nor every page into one.
pub fn page_links(html: &str, page_url: &str) -> PageLinks {
    links_of(&crate::extract::parse_guarded(html), page_url)
}

/// [`page_links`] of a parsed page.
pub fn links_of(doc: &scraper::Html, page_url: &str) -> PageLinks {
    static LINKS: LazyLock<scraper::Selector> =
        LazyLock::new(|| scraper::Selector::parse("link[rel][href], meta[property][content]").unwrap());
    let Ok(base) = url::Url::parse(page_url) else { return PageLinks::default() };
    let (mut canonical, mut og_url, mut amp) = (None, None, None);
    for element in doc.select(&LINKS) {
        let e = element.value();
        let has_rel =
            |want: &str| e.attr("rel").is_some_and(|r| r.split_whitespace().any(|x| x.eq_ignore_ascii_case(want)));
        if e.name() == "link" && has_rel("canonical") && canonical.is_none() {
            canonical = e.attr("href").and_then(|h| same_site(&base, h));
        } else if e.name() == "link" && has_rel("amphtml") && amp.is_none() {
            amp = e.attr("href").and_then(|h| same_site(&base, h));
        } else if e.name() == "meta"
            && e.attr("property").is_some_and(|p| p.eq_ignore_ascii_case("og:url"))
            && og_url.is_none()
        {
            og_url = e.attr("content").and_then(|h| same_site(&base, h));
        }
    }
    PageLinks { canonical: canonical.or(og_url), amp }
}

/// `href` resolved against `base`, tracking stripped, if it names an article page of the same site.
fn same_site(base: &url::Url, href: &str) -> Option<String> {
    let target = base.join(href.trim()).ok()?;
    if !matches!(target.scheme(), "http" | "https") || target.path() == "/" {
        return None;
    }
    let site = |u: &url::Url| {
        let host = u.host_str().unwrap_or("").to_ascii_lowercase();
        let bare = ["www.", "amp.", "m."].iter().find_map(|p| host.strip_prefix(p).map(str::to_string));
        (bare.unwrap_or(host), u.port_or_known_default())
    };
    (site(&target) == site(base)).then(|| strip_tracking(target.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_parameters_go_and_the_others_stay_in_order() {
        let cases = [
            ("https://n.example/a?utm_source=rss&utm_medium=feed", "https://n.example/a"),
            ("https://n.example/a?id=7&fbclid=XYZ&page=2#comments", "https://n.example/a?id=7&page=2"),
            ("https://n.example/a?UTM_Campaign=x&gclid=1&mc_cid=2&mc_eid=3", "https://n.example/a"),
            ("https://n.example/a?utmost=1", "https://n.example/a?utmost=1"),
            ("https://n.example/a?q=a%26b&_ga=1", "https://n.example/a?q=a%26b"),
            ("https://n.example/a", "https://n.example/a"),
            ("not a url", "not a url"),
        ];
        for (given, want) in cases {
            assert_eq!(strip_tracking(given), want, "{given}");
        }
    }

    #[test]
    fn a_page_names_its_canonical_and_amp_routes_on_its_own_site_only() {
        let amp_page = r#"<html><head><link rel="canonical" href="/world/story?utm_source=amp">
            <meta property="og:url" content="https://n.example/other"></head></html>"#;
        let links = page_links(amp_page, "https://n.example/amp/world/story");
        assert_eq!(links.canonical.as_deref(), Some("https://n.example/world/story"));
        let page = r#"<head><meta property="og:url" content="https://www.n.example/world/story">
            <link rel="amphtml" href="https://amp.n.example/world/story"></head>"#;
        let links = page_links(page, "https://n.example/world/story");
        assert_eq!(
            links.canonical.as_deref(),
            Some("https://www.n.example/world/story"),
            "og:url when no rel=canonical"
        );
        assert_eq!(links.amp.as_deref(), Some("https://amp.n.example/world/story"));
        let hostile = r#"<link rel="canonical" href="https://elsewhere.example/x"><link rel="amphtml" href="/">"#;
        assert_eq!(page_links(hostile, "https://n.example/a"), PageLinks::default());
        assert_eq!(page_links("<p>no head</p>", "not a url"), PageLinks::default());
    }
}
