//! Every headline a page shows at once: the `<h1>` readers see, the og:title
//! and twitter:title social cards show, the JSON-LD `headline` and the
//! `<title>` search engines show. Recorded per version beside the content (not
//! in its hash); a change of any one is a `headline` change that names it, a
//! return to a value it had earlier the same day is a `headline_test` (an A/B
//! test), and a display headline that differs from the search one is shown.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use crate::diff::{Change, EditKind};

/// Source name → headline text, e.g. `"og:title" → "Sea wall to be rebuilt"`.
pub type Headlines = BTreeMap<String, String>;

/// The sources, in the order they are shown (`feed`: the title the article's own listing gives it).
pub const SOURCES: [&str; 6] = ["h1", "og:title", "twitter:title", "json_ld", "title", "feed"];

/// How long back a headline's earlier values count for an A/B test.
pub const TEST_WINDOW_SECS: i64 = 24 * 3600;

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The headlines of a page, by source, with the title its listing gives it
/// (`feed_title`); empty ones left out.
pub fn read(html: &str, feed_title: Option<&str>) -> Headlines {
    headlines_of(&crate::extract::parse_guarded(html), feed_title)
}

/// [`read`] of a parsed page.
pub fn headlines_of(doc: &scraper::Html, feed_title: Option<&str>) -> Headlines {
    // The article's own <h1> first: a masthead's <h1> is the site's name.
    static H1: LazyLock<[scraper::Selector; 3]> =
        LazyLock::new(|| ["article h1", "main h1", "h1"].map(|s| scraper::Selector::parse(s).unwrap()));
    static TITLE: LazyLock<scraper::Selector> =
        LazyLock::new(|| scraper::Selector::parse("head title, title").unwrap());
    static META: LazyLock<scraper::Selector> = LazyLock::new(|| scraper::Selector::parse("meta[content]").unwrap());
    static LD: LazyLock<scraper::Selector> =
        LazyLock::new(|| scraper::Selector::parse(r#"script[type="application/ld+json"]"#).unwrap());
    let mut out = Headlines::new();
    let mut put = |source: &str, text: &str| {
        let text = collapse(text);
        if !text.is_empty() && !out.contains_key(source) {
            out.insert(source.to_string(), text);
        }
    };
    if let Some(h1) = H1.iter().find_map(|selector| doc.select(selector).next()) {
        put("h1", &h1.text().collect::<String>());
    }
    if let Some(title) = doc.select(&TITLE).next() {
        put("title", &title.text().collect::<String>());
    }
    for meta in doc.select(&META) {
        let e = meta.value();
        let key = e.attr("property").or(e.attr("name")).unwrap_or("").to_ascii_lowercase();
        if key == "og:title" || key == "twitter:title" {
            put(&key, e.attr("content").unwrap_or(""));
        }
    }
    for script in doc.select(&LD) {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&script.text().collect::<String>())
            && let Some(headline) = ld_headline(&value)
        {
            put("json_ld", &headline);
        }
    }
    if let Some(title) = feed_title {
        put("feed", title);
    }
    out
}

/// The first `headline` of a JSON-LD value (an object, a list, an `@graph`).
fn ld_headline(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Object(map) => match map.get("headline") {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            _ => map.get("@graph").and_then(ld_headline),
        },
        serde_json::Value::Array(items) => items.iter().find_map(ld_headline),
        _ => None,
    }
}

/// One source whose headline changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The source (`og:title`).
    pub source: String,
    /// Its text before.
    pub from: String,
    /// Its text now.
    pub to: String,
    /// Whether `to` is a value it had earlier within [`TEST_WINDOW_SECS`]: an A/B test.
    pub test: bool,
}

/// A headline as compared: the watch's `ignore` patterns removed (a live
/// blog's "updated 10:42" in its `<title>` is noise there as in the body).
fn compared(text: &str, ignore: &[regex::Regex]) -> String {
    let kept = ignore.iter().fold(text.to_string(), |t, re| re.replace_all(&t, "").into_owned());
    collapse(&kept)
}

/// The sources whose headline differs between the last version and now (a
/// source present on only one side is not a change: templates come and go),
/// each marked as a test when it returns to a value it showed earlier that day.
/// `history` is the day's earlier versions' headlines, oldest first, with their
/// times; `ignore` the watch's noise patterns.
pub fn moved(
    previous: &Headlines,
    now: &Headlines,
    history: &[(i64, Headlines)],
    at: i64,
    ignore: &[regex::Regex],
) -> Vec<Moved> {
    SOURCES
        .iter()
        .filter_map(|source| {
            let (from, to) = (previous.get(*source)?, now.get(*source)?);
            let target = compared(to, ignore);
            if compared(from, ignore) == target || catches_up(source, &target, previous, ignore) {
                return None;
            }
            let test = history
                .iter()
                .filter(|(t, _)| at - t <= TEST_WINDOW_SECS)
                .any(|(_, h)| h.get(*source).is_some_and(|old| compared(old, ignore) == target));
            Some(Moved { source: source.to_string(), from: from.clone(), to: to.clone(), test })
        })
        .collect()
}

/// Whether `source` moving to `target` is the listing catching up with the page
/// rather than a new edit: the feed's title taking a headline the page already
/// showed in the last version. A listing is read on its own schedule, so one edit
/// often reaches the page a check before the feed; it is recorded once, there.
/// (Not the other way round: a page alternating its `<h1>` under a steady feed
/// title is the A/B test to report.)
fn catches_up(source: &str, target: &str, previous: &Headlines, ignore: &[regex::Regex]) -> bool {
    source == "feed"
        && SOURCES
            .iter()
            .filter(|s| **s != "feed")
            .any(|s| previous.get(*s).is_some_and(|v| compared(v, ignore) == target))
}

/// `change` with the headline sources that moved: a `headline` kind (and
/// `headline_test` for an alternation), each source named in the summary, and
/// `changed` set.
pub fn with_moved(mut change: Change, moved: &[Moved]) -> Change {
    if moved.is_empty() {
        return change;
    }
    let mut kinds = vec![EditKind::Headline];
    if moved.iter().any(|m| m.test) {
        kinds.push(EditKind::HeadlineTest);
    }
    for kind in kinds {
        if !change.kinds.contains(&kind) {
            change.kinds.push(kind);
        }
    }
    change.kinds.sort();
    let said: Vec<String> = moved
        .iter()
        .map(|m| {
            let test = if m.test { " (back to an earlier value today: an A/B test)" } else { "" };
            format!("{} headline changed: “{}” → “{}”{test}", m.source, m.from, m.to)
        })
        .collect();
    if !change.changed {
        change.summary = said.join("; ");
        change.significance = change.significance.max(0.1);
    } else {
        change.summary = format!("{}; {}", change.summary, said.join("; "));
    }
    // Not in `notes`: those are the page's own update and correction notices.
    change.changed = true;
    change
}

/// The display headline (`<h1>`) against a search or social one that says
/// something else: `(display, [(source, text)])`; None when they agree. A
/// `<title>` is compared without a trailing " | Site name".
pub fn divergence(headlines: &Headlines) -> Option<(String, Vec<(String, String)>)> {
    let display = headlines.get("h1")?;
    let key = |s: &str| s.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect::<String>();
    let shown = key(display);
    let differing: Vec<(String, String)> = ["title", "og:title", "twitter:title"]
        .iter()
        .filter_map(|source| {
            let text = headlines.get(*source)?;
            let bare = [" | ", " – ", " — ", " - "]
                .iter()
                .find_map(|sep| text.rsplit_once(sep))
                .map_or(text.as_str(), |(h, _)| h);
            (key(bare) != shown && key(text) != shown).then(|| (source.to_string(), text.clone()))
        })
        .collect();
    (!differing.is_empty()).then(|| (display.clone(), differing))
}

/// The article page's note on a divergence in the latest version's stored
/// headlines (JSON), as HTML; None when they agree or none were kept.
pub fn divergence_html(headlines_json: &str) -> Option<String> {
    use crate::text::escape_html;
    let headlines: Headlines = serde_json::from_str(headlines_json).ok()?;
    let (display, others) = divergence(&headlines)?;
    let mut out = format!(
        "<div class=\"headline-divergence\"><p>The page shows one headline and gives search engines or social cards another:</p>\n<ul><li>shown (<code>h1</code>): {}</li>\n",
        escape_html(&display)
    );
    for (source, text) in others {
        out.push_str(&format!("<li><code>{}</code>: {}</li>\n", escape_html(&source), escape_html(&text)));
    }
    out.push_str("</ul></div>\n");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Headlines {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn every_source_is_read() {
        let html = r#"<html><head><title>Sea wall | Gazette</title>
            <meta property="og:title" content="Sea wall to be rebuilt">
            <meta name="twitter:title" content=" Sea wall:  rebuild ">
            <script type="application/ld+json">{"@graph":[{"@type":"WebPage"},{"@type":"NewsArticle","headline":"Harbour sea wall"}]}</script>
            </head><body><header><h1>Gazette</h1></header><article><h1>Sea wall cracks</h1></article></body></html>"#;
        let got = read(html, Some(" Sea wall:\n cracks "));
        let want = h(&[
            ("h1", "Sea wall cracks"),
            ("og:title", "Sea wall to be rebuilt"),
            ("twitter:title", "Sea wall: rebuild"),
            ("json_ld", "Harbour sea wall"),
            ("title", "Sea wall | Gazette"),
            ("feed", "Sea wall: cracks"),
        ]);
        assert_eq!(got, want);
        assert!(read("<p>nothing</p>", None).is_empty());
        assert!(read(r#"<script type="application/ld+json">{not json</script>"#, Some(" ")).is_empty());
    }

    #[test]
    fn a_return_to_an_earlier_value_the_same_day_is_a_test() {
        let (a, b) = (h(&[("h1", "A"), ("og:title", "X")]), h(&[("h1", "B"), ("og:title", "X")]));
        // A at 0, B at 100: a plain change.
        assert_eq!(
            moved(&a, &b, &[(0, a.clone())], 100, &[]),
            [Moved { source: "h1".into(), from: "A".into(), to: "B".into(), test: false }]
        );
        // Back to A at 200: it showed A earlier today.
        let back = moved(&b, &a, &[(0, a.clone()), (100, b.clone())], 200, &[]);
        assert!(back[0].test, "{back:?}");
        // Back to A two days later: a plain change again.
        assert!(!moved(&b, &a, &[(0, a.clone()), (100, b.clone())], 3 * 86_400, &[])[0].test);
        // A source that appears or goes is not a change.
        assert!(moved(&a, &h(&[("h1", "A")]), &[], 10, &[]).is_empty());
        // What the watch ignores is no change.
        let live = |t: &str| h(&[("title", t)]);
        let ignore = [regex::Regex::new(r"updated \d+:\d+").unwrap()];
        assert!(
            moved(&live("Storm live, updated 10:42"), &live("Storm live, updated 10:47"), &[], 10, &ignore).is_empty()
        );
        assert_eq!(moved(&live("Storm live, updated 10:42"), &live("Storm: live"), &[], 10, &ignore).len(), 1);
    }

    #[test]
    fn moved_headlines_make_or_extend_a_change() {
        let m = [Moved { source: "og:title".into(), from: "A".into(), to: "B".into(), test: true }];
        let change = with_moved(Change::default(), &m);
        assert!(change.changed);
        assert_eq!(change.kinds, [EditKind::Headline, EditKind::HeadlineTest]);
        assert!(change.summary.starts_with("og:title headline changed: “A” → “B”"), "{}", change.summary);
        let body = Change {
            changed: true,
            kinds: vec![EditKind::Fact],
            summary: "1 fact changed".into(),
            ..Default::default()
        };
        let both = with_moved(body, &m[..]);
        assert_eq!(both.kinds, [EditKind::Headline, EditKind::Fact, EditKind::HeadlineTest]);
        assert!(both.summary.starts_with("1 fact changed; og:title"), "{}", both.summary);
        assert_eq!(with_moved(Change::default(), &[]), Change::default());
    }

    #[test]
    fn a_search_headline_that_says_something_else_is_a_divergence() {
        let same =
            h(&[("h1", "Sea wall cracks"), ("title", "Sea wall cracks | Gazette"), ("og:title", "Sea Wall Cracks")]);
        assert_eq!(divergence(&same), None);
        let seo = h(&[("h1", "Sea wall cracks"), ("title", "Harbour wall collapse fears | Gazette")]);
        assert_eq!(
            divergence(&seo),
            Some(("Sea wall cracks".into(), vec![("title".into(), "Harbour wall collapse fears | Gazette".into())]))
        );
        assert_eq!(divergence(&h(&[("title", "T")])), None, "no display headline");
        let html = divergence_html(r#"{"h1":"Sea <wall>","og:title":"Harbour wall"}"#).unwrap();
        assert!(html.contains("Sea &lt;wall&gt;") && html.contains("<code>og:title</code>: Harbour wall"), "{html}");
        assert_eq!(divergence_html(r#"{"h1":"A","title":"A | Site"}"#), None);
        assert_eq!(divergence_html("not json"), None);
    }

    #[test]
    fn a_feed_title_catching_up_with_the_page_is_not_another_edit() {
        let before = h(&[("h1", "Sea wall to be rebuilt"), ("feed", "Sea wall may be rebuilt")]);
        let now = h(&[("h1", "Sea wall to be rebuilt"), ("feed", "Sea wall to be rebuilt")]);
        assert!(moved(&before, &now, &[], 0, &[]).is_empty());
        // A feed title the page never showed is an edit of its own.
        let now = h(&[("h1", "Sea wall to be rebuilt"), ("feed", "Sea wall rebuilt by March")]);
        assert_eq!(moved(&before, &now, &[], 0, &[]).len(), 1);
        // The page's <h1> alternating under a steady feed title is still seen.
        let before = h(&[("h1", "B"), ("feed", "A")]);
        let now = h(&[("h1", "A"), ("feed", "A")]);
        assert_eq!(moved(&before, &now, &[], 0, &[]).len(), 1);
    }
}
