use super::render::shifted;
use super::*;
use crate::diff::EditKind;
use chrono::DateTime;

async fn get(url: &str) -> (u16, String, String) {
    let resp = reqwest::get(url).await.expect("request");
    let status = resp.status().as_u16();
    let ctype =
        resp.headers().get(reqwest::header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, ctype, resp.text().await.expect("body"))
}

/// The article proper as a reader sees it: headline, modified date and body paragraphs.
fn story_text(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let meta = |p: &str| {
        doc.select(&sel(&format!("meta[property=\"{p}\"]")))
            .next()
            .and_then(|m| m.value().attr("content"))
            .unwrap_or_default()
            .to_string()
    };
    let mut out = vec![meta("og:title"), meta("article:modified_time")];
    out.extend(doc.select(&sel(".article-body > p, .story-body > p")).map(|p| p.text().collect::<String>()));
    out.join("\n")
}

/// Blanks out what is allowed to change between two requests of an unedited page.
fn strip_noise(html: &str) -> String {
    let rules = [
        (r"cr-[0-9a-f]{8}", "cr-X"),
        (r#"name="csrf_token" value="[0-9a-f]{32}""#, "CSRF"),
        (r"(just now|\d+ minutes? ago|\d+ hours? ago)", "AGO"),
        (r#"<span class="dateline">[^<]*</span>"#, "DATELINE"),
    ];
    let mut s = html.to_string();
    for (re, to) in rules {
        s = regex::Regex::new(re).unwrap().replace_all(&s, to).into_owned();
    }
    s
}

fn slug_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

#[tokio::test]
async fn serves_front_page_articles_feed_and_404() {
    let site = Newsroom::start().await.unwrap();
    let base = site.base_url();
    assert!(base.starts_with("http://127.0.0.1:"));

    let (status, ctype, body) = get(&format!("{base}/")).await;
    assert_eq!(status, 200);
    assert_eq!(ctype, "text/html; charset=utf-8");
    let urls = site.article_urls();
    assert_eq!(urls.len(), 8);
    for u in &urls {
        assert!(body.contains(&format!("href=\"{u}\"")), "front page lists {u}");
    }

    let url = urls.iter().find(|u| u.ends_with("/dockworkers-ratify-deal-ending-port-strike")).unwrap();
    let (status, ctype, page) = get(url).await;
    assert_eq!(status, 200);
    assert_eq!(ctype, "text/html; charset=utf-8");
    for needle in [
        "<link rel=\"canonical\" href=\"",
        "\"@type\": \"NewsArticle\"",
        "<meta property=\"og:title\" content=\"Dockworkers ratify deal ending 11-day port strike\">",
        &format!("<meta property=\"article:published_time\" content=\"{}\">", shifted("2025-06-12T07:40:00-04:00")),
        "class=\"breaking-ticker\"",
        "<h2>Most read</h2>",
        "class=\"newsletter-signup\"",
        "name=\"csrf_token\"",
        "class=\"author-bio\"",
        "<h2>Related stories</h2>",
        "<footer class=\"site-footer\">",
        "minutes ago",
    ] {
        assert!(page.contains(needle), "article page lacks {needle}");
    }
    assert!(page.contains(&format!("<link rel=\"canonical\" href=\"{url}\">")));
    // The other markup style.
    let (_, _, page) = get(&format!("{base}/news/council-library-budget-vote")).await;
    assert!(page.contains("<div class=\"story-body\">") && !page.contains("<article"));

    let (status, _, feed) = get(&site.feed_url()).await;
    assert_eq!(status, 200);
    assert!(feed.starts_with("<?xml") && feed.contains("<rss version=\"2.0\""));
    assert_eq!(feed.matches("<item>").count(), urls.len());
    for u in &urls {
        assert!(feed.contains(&format!("<link>{u}</link>")));
        assert!(feed.contains(&format!("<guid isPermaLink=\"true\">{u}</guid>")));
    }
    let pub_date = DateTime::parse_from_rfc3339(&shifted("2025-06-12T07:40:00-04:00")).unwrap().to_rfc2822();
    assert!(feed.contains(&format!("<pubDate>{pub_date}</pubDate>")), "{feed}");

    assert_eq!(get(&format!("{base}/nope")).await.0, 404);
    assert_eq!(get(&format!("{base}/news/no-such-story")).await.0, 404);
    assert_eq!(get(&format!("{base}/news/ferry-service-expands-to-gull-island")).await.0, 404);

    assert_eq!(site.hits("/feed.xml"), 1);
    assert_eq!(site.hits("/"), 1);
    assert_eq!(site.hits("/nope"), 1);
    assert_eq!(site.hits("/news/dockworkers-ratify-deal-ending-port-strike"), 1);
    site.shutdown().await;
}

#[tokio::test]
async fn publish_all_edits_changes_exactly_the_edited_articles() {
    let site = Newsroom::start().await.unwrap();
    let before_urls = site.article_urls();
    let mut before = HashMap::new();
    for u in &before_urls {
        before.insert(u.clone(), story_text(&get(u).await.2));
    }

    let edits = site.publish_all_edits();
    assert_eq!(edits.len(), 5);
    assert!(site.pending_edits().is_empty());
    assert!(site.advance().is_none());
    assert!(site.publish_all_edits().is_empty());
    assert_eq!(edits[0].expected_kinds, vec![EditKind::EditorsNote, EditKind::Addition]);

    let after_urls = site.article_urls();
    assert_eq!(after_urls.len(), before_urls.len() + 1);
    let new: Vec<_> = after_urls.iter().filter(|u| !before_urls.contains(u)).collect();
    assert_eq!(new.len(), 1);
    assert_eq!(slug_of(new[0]), "ferry-service-expands-to-gull-island");
    let feed = get(&site.feed_url()).await.2;
    assert!(feed.contains(&format!("<link>{}</link>", new[0])));
    assert_eq!(get(new[0]).await.0, 200);

    let mut changed = Vec::new();
    for u in &before_urls {
        let text = story_text(&get(u).await.2);
        if text != before[u] {
            changed.push(u.clone());
        }
        let edit = edits.iter().find(|e| &e.url == u);
        match slug_of(u) {
            "dockworkers-ratify-deal-ending-port-strike" => {
                assert!(text.ends_with("Editor's note: This article was updated to include reactions from the mayor's office and the port authority."));
                assert!(text.contains("Raymond Cho") && !before[u].contains("Raymond Cho"));
            }
            "council-library-budget-vote" => {
                assert!(text.starts_with("City Council trims library budget"));
                let body = |t: &str| t.lines().skip(2).collect::<Vec<_>>().join("\n");
                assert_eq!(body(&text), body(&before[u]));
            }
            "route-9-fog-pileup" => {
                assert!(text.contains("At least 9 people") && before[u].contains("At least 12 people"));
                assert_eq!(text.lines().nth(1), before[u].lines().nth(1), "dateModified unchanged");
            }
            "lincoln-elementary-reading-scores" => {
                assert!(text.ends_with("She is Ana Ruiz, not Ana Ruiz-Soto."));
                assert!(text.contains("Principal Ana Ruiz credited"));
            }
            _ => {}
        }
        if let Some(e) = edit {
            assert!(!e.expected_kinds.is_empty(), "{}", e.slug);
        }
    }
    let mut edited: Vec<_> = edits.iter().map(|e| e.url.clone()).collect();
    edited.sort();
    changed.sort();
    assert_eq!(changed, edited);
    site.shutdown().await;
}

#[tokio::test]
async fn advance_publishes_one_edit_at_a_time_in_demo_order() {
    let site = Newsroom::start().await.unwrap();
    let pending = site.pending_edits();
    assert_eq!(pending.len(), 5);
    assert!(pending.iter().all(|e| e.url == format!("{}/news/{}", site.base_url(), e.slug)));
    let first = site.advance().unwrap();
    assert_eq!(first, pending[0]);
    assert_eq!(site.pending_edits(), pending[1..].to_vec());
    assert_eq!(site.article_urls().len(), 9, "the new story appears with the first edit");
    let page = get(&first.url).await.2;
    assert!(page.contains("Editor&#39;s note: This article was updated"));
    assert!(page.contains(&shifted("2025-06-12T10:15:00-04:00")));
    // The next edit is not visible yet.
    let page = get(&pending[1].url).await.2;
    assert!(page.contains("slashes library budget"));
    for e in &pending[1..] {
        assert_eq!(site.advance().as_ref(), Some(e));
    }
    assert!(site.advance().is_none());
    site.shutdown().await;
}

#[tokio::test]
async fn unedited_page_differs_only_in_noise() {
    let site = Newsroom::start().await.unwrap();
    let url = format!("{}/news/un-talks-on-mekong-water-sharing", site.base_url());
    let a = get(&url).await.2;
    let b = get(&url).await.2;
    assert_ne!(a, b, "ad id and CSRF token change per request");
    assert_eq!(strip_noise(&a), strip_noise(&b));
    assert_eq!(story_text(&a), story_text(&b));

    let ago = |html: &str| {
        regex::Regex::new(r"\d+ (minutes?|hours?) ago")
            .unwrap()
            .find_iter(html)
            .map(|m| m.as_str().to_string())
            .collect::<Vec<_>>()
    };
    site.tick(7);
    let c = get(&url).await.2;
    assert_ne!(ago(&b), ago(&c), "sidebar times move with the clock");
    assert_eq!(strip_noise(&b), strip_noise(&c));
    assert_eq!(story_text(&b), story_text(&c));
    site.shutdown().await;
}

#[test]
fn ago_reads_like_a_newspaper() {
    assert_eq!(render::ago(1), "1 minute ago");
    assert_eq!(render::ago(7), "7 minutes ago");
    assert_eq!(render::ago(95), "1 hour ago");
    assert_eq!(render::ago(430), "7 hours ago");
}
