//! Issue 15 against a local site of this test's own writing: listing times
//! that wake retired articles, old articles on the slow tail of their plan,
//! one article per story whatever the route to it (two feeds, a `utm_` link,
//! an AMP page), and headline A/B tests.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use common::{open_store, start_receiver, storage_key, webhook};
use redline::store::Store;

/// The site's state: what each page says now, and who asked for what.
struct Site {
    /// Path → (headline, body sentence) of each article page.
    articles: Mutex<Vec<(String, String, String)>>,
    /// The sitemap's `lastmod` of `/news/old`.
    lastmod: Mutex<String>,
    /// Every request: path and query, and its `If-None-Match`.
    hits: Mutex<Vec<(String, Option<String>)>>,
    /// The `<h1>` and og:title of the A/B page, switched by the test.
    ab: Mutex<(String, String)>,
}

impl Site {
    fn hits_of(&self, path: &str) -> usize {
        self.hits.lock().unwrap().iter().filter(|(p, _)| p == path).count()
    }

    fn set_body(&self, path: &str, body: &str) {
        let mut articles = self.articles.lock().unwrap();
        articles.iter_mut().find(|a| a.0 == path).unwrap().2 = body.to_string();
    }
}

const FOUR_HUNDRED_DAYS_AGO: &str = "2025-10-27T08:00:00Z";

fn page(head: &str, headline: &str, published: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><title>{headline} | The Harbour Gazette</title>{head}
<script type="application/ld+json">{{"@type":"NewsArticle","headline":"{headline}","datePublished":"{published}"}}</script>
</head><body><nav><a href="/">Home</a></nav><article><h1>{headline}</h1>
<p>{body}</p>
<p>The harbour board will publish the full survey of the sea wall and the dredging plan at its next meeting.</p>
</article><footer>The Harbour Gazette</footer></body></html>"#
    )
}

async fn handle(
    State(site): State<Arc<Site>>,
    UrlPath(path): UrlPath<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let path = format!("/{path}");
    let full = uri.path_and_query().map_or(path.clone(), |p| p.to_string());
    let etag = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_string);
    site.hits.lock().unwrap().push((full, etag.clone()));
    let base = format!("http://{}", headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or(""));
    let xml = |body: String| ([(header::CONTENT_TYPE, "application/xml")], body).into_response();
    let html = |body: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    let article = |p: &str| site.articles.lock().unwrap().iter().find(|a| a.0 == p).cloned();
    match path.as_str() {
        "/sitemap.xml" => {
            let lastmod = site.lastmod.lock().unwrap().clone();
            xml(format!("<urlset><url><loc>{base}/news/old</loc><lastmod>{lastmod}</lastmod></url></urlset>"))
        }
        // The feeds answer 304 to their own ETag: conditional GET.
        "/world.xml" | "/harbour.xml" => {
            let tag = format!("\"{path}-v1\"");
            if etag.as_deref() == Some(tag.as_str()) {
                return StatusCode::NOT_MODIFIED.into_response();
            }
            let items = if path == "/world.xml" {
                format!("<item><title>Sea wall</title><link>{base}/news/sea-wall</link></item>")
            } else {
                format!(
                    "<item><title>Sea wall</title><link>{base}/news/sea-wall?utm_source=rss&amp;utm_medium=feed</link></item>
                     <item><title>Sea wall (AMP)</title><link>{base}/amp/news/sea-wall</link></item>"
                )
            };
            let rss = format!("<rss version=\"2.0\"><channel><title>T</title>{items}</channel></rss>");
            ([(header::CONTENT_TYPE, "application/rss+xml"), (header::ETAG, tag.as_str())], rss).into_response()
        }
        "/amp/news/sea-wall" => {
            let (_, headline, body) = article("/news/sea-wall").unwrap();
            let head = format!(r#"<link rel="canonical" href="{base}/news/sea-wall">"#);
            html(page(&head, &headline, "2026-11-30T08:00:00Z", &body))
        }
        "/news/sea-wall" => {
            let (_, headline, body) = article("/news/sea-wall").unwrap();
            let head = format!(r#"<link rel="amphtml" href="{base}/amp/news/sea-wall">"#);
            html(page(&head, &headline, "2026-11-30T08:00:00Z", &body))
        }
        "/news/ab" => {
            let (h1, og) = site.ab.lock().unwrap().clone();
            let head = format!(r#"<meta property="og:title" content="{og}">"#);
            let body = "The ferry timetable changes on Monday, with two extra crossings in the morning.";
            html(
                page(&head, &h1, "2026-11-30T08:00:00Z", body)
                    .replace(&format!("<title>{h1} |"), &format!("<title>{og} |")),
            )
        }
        p => match article(p) {
            Some((_, headline, body)) => html(page("", &headline, FOUR_HUNDRED_DAYS_AGO, &body)),
            None => StatusCode::NOT_FOUND.into_response(),
        },
    }
}

async fn start_site() -> (String, Arc<Site>) {
    let site = Arc::new(Site {
        articles: Mutex::new(
            ["/news/old", "/news/ancient", "/news/sea-wall"]
                .iter()
                .map(|p| {
                    let body = "The sea wall survey found cracks along 40 metres of the eastern pier last spring.";
                    (p.to_string(), format!("Sea wall survey {}", &p[6..]), body.to_string())
                })
                .collect(),
        ),
        lastmod: Mutex::new(FOUR_HUNDRED_DAYS_AGO.to_string()),
        hits: Mutex::new(Vec::new()),
        ab: Mutex::new(("Ferry timetable changes".into(), "Ferry timetable changes".into())),
    });
    let app = axum::Router::new().route("/{*path}", axum::routing::get(handle)).with_state(Arc::clone(&site));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, site)
}

/// A config of these `watches`, the web UI on `web` (an address) or off.
fn config_with_web(dir: &Path, watches: &str, web: Option<&str>) -> std::path::PathBuf {
    let path = dir.join("redline.toml");
    let db = storage_key(dir);
    let fetch = "allow_private = true\nper_host_delay = \"0s\"\nper_host_concurrency = 4";
    let web = match web {
        Some(listen) => format!("[web]\nlisten = {listen:?}"),
        None => "[web]\nenabled = false".to_string(),
    };
    std::fs::write(&path, format!("[storage]\n{db}\n\n[fetch]\n{fetch}\n\n{web}\n\n{watches}\n")).unwrap();
    path
}

fn config(dir: &Path, watches: &str) -> std::path::PathBuf {
    config_with_web(dir, watches, None)
}

/// A loopback address no one listens on now, for the daemon's web UI.
fn free_address() -> String {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    free.local_addr().unwrap().to_string()
}

/// `s` as a query-string value.
fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `redline run` in the background; stopped (SIGTERM) when dropped.
struct Daemon(Child);

impl Daemon {
    fn start(config: &Path) -> Daemon {
        let child = Command::new(env!("CARGO_BIN_EXE_redline"))
            .args(["--config", config.to_str().unwrap(), "run"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Daemon(child)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

/// Waits (up to `limit`) until `ready` holds of the store, polling every 100 ms.
async fn wait_for(dir: &Path, limit: Duration, what: &str, ready: impl Fn(&Store) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        if let Ok(store) = open_store(dir)
            && ready(&store)
        {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn changes_of(store: &Store, url: &str) -> Vec<String> {
    let Some(article) = store.article_by_url(url).unwrap() else { return Vec::new() };
    let rows = store.query_rows("SELECT kinds FROM changes WHERE article_id = ?1 ORDER BY id", &[article.id.into()]);
    rows.unwrap().iter().map(|r| r.get(0).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sitemap_lastmod_bump_wakes_a_retired_article_within_one_listing_interval() {
    let (base, site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    // A short plan: 2 s of slow tail (every second) before an old story is retired.
    let cfg = config(
        dir.path(),
        &format!("[[watch]]\nfeed = \"{base}/sitemap.xml\"\nevery = \"2s\"\nrevisit = [[\"2s\", \"1s\"]]\n"),
    );
    let _daemon = Daemon::start(&cfg);
    let url = format!("{base}/news/old");
    let retired = |s: &Store| s.article_by_url(&url).unwrap().is_some_and(|a| a.state == "retired" && a.versions == 1);
    wait_for(dir.path(), Duration::from_secs(30), "the old story is stored and retired", retired).await;
    let hits = site.hits_of("/news/old");
    assert!(hits >= 2, "first seen 400 days old, it was revisited on the slow tail before retiring: {hits} fetches");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(site.hits_of("/news/old"), hits, "retired: no longer fetched");

    // A quiet edit, announced only by the sitemap.
    site.set_body("/news/old", "The sea wall survey found cracks along 90 metres of the eastern pier last spring.");
    *site.lastmod.lock().unwrap() = chrono::Utc::now().to_rfc3339();
    let changed = |s: &Store| changes_of(s, &url).len() == 1;
    let took = wait_for(dir.path(), Duration::from_secs(20), "the edit is recorded", changed).await;
    // One listing interval (2 s), plus a scheduler tick and the check itself.
    assert!(took < Duration::from_secs(5), "recorded {took:?} after the lastmod bump");
    let store = open_store(dir.path()).unwrap();
    assert_eq!(store.article_by_url(&url).unwrap().unwrap().state, "active", "a sign of life: young again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_first_seen_400_days_old_is_rechecked_on_the_slow_tail_and_its_edit_recorded() {
    let (base, site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    // The tail of this plan: every 2 s, for a day after the last sign of life.
    let cfg = config(
        dir.path(),
        &format!("[[watch]]\nurl = \"{base}/news/ancient\"\nrevisit = [[\"1h\", \"1s\"], [\"1d\", \"2s\"]]\n"),
    );
    let _daemon = Daemon::start(&cfg);
    let url = format!("{base}/news/ancient");
    let stored = |s: &Store| s.article_by_url(&url).unwrap().is_some_and(|a| a.versions == 1);
    wait_for(dir.path(), Duration::from_secs(30), "the ancient story is stored", stored).await;
    let article = open_store(dir.path()).unwrap().article_by_url(&url).unwrap().unwrap();
    assert_eq!(article.state, "active", "not retired at first sight");
    let wait = article.next_check.unwrap() - article.last_checked.unwrap();
    assert!((1..=3).contains(&wait), "on the plan's slow tail (2 s), not its first step: {wait} s");
    site.set_body("/news/ancient", "The sea wall survey found cracks along 40 metres of the western pier last spring.");
    let changed = |s: &Store| changes_of(s, &url).len() == 1;
    wait_for(dir.path(), Duration::from_secs(15), "the edit of the ancient story is recorded", changed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_routes_of_one_story_make_one_article_fetched_once_per_check_and_alerted_once() {
    let (base, site) = start_site().await;
    let (hook, received) = start_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let watches = format!(
        "[[watch]]\nfeed = \"{base}/world.xml\"\nevery = \"1s\"\nrevisit = [[\"1d\", \"1s\"]]\n\n\
         [[watch]]\nfeed = \"{base}/harbour.xml\"\nevery = \"1s\"\nrevisit = [[\"1d\", \"1s\"]]\n\n{}",
        webhook(&hook)
    );
    let web = free_address();
    let cfg = config_with_web(dir.path(), &watches, Some(&web));
    let daemon = Daemon::start(&cfg);
    let url = format!("{base}/news/sea-wall");
    let one = |s: &Store| {
        let all = s.articles().unwrap();
        all.len() == 1
            && all[0].url == url
            && all[0].versions == 1
            && s.alias_of(&format!("{base}/amp/news/sea-wall")).unwrap().is_some()
    };
    wait_for(dir.path(), Duration::from_secs(30), "one article, the AMP route its alias", one).await;
    // The API finds it by any of its URLs, and lists its aliases.
    let web = web.as_str();
    let api = |path: String| async move {
        let body = reqwest::get(format!("http://{web}{path}")).await.unwrap().text().await.unwrap();
        serde_json::from_str::<serde_json::Value>(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
    };
    let amp = format!("{base}/amp/news/sea-wall");
    let found = api(format!("/api/articles?url={}", urlencoding(&amp))).await;
    assert_eq!(found["articles"][0]["url"], url.as_str(), "{found}");
    let tracked = api(format!("/api/articles?url={}", urlencoding(&format!("{url}?utm_source=x&fbclid=y")))).await;
    assert_eq!(tracked["articles"][0]["url"], url.as_str(), "{tracked}");
    let unknown = api(format!("/api/articles?url={}", urlencoding("not a url"))).await;
    assert_eq!(unknown["articles"], serde_json::json!([]), "{unknown}");
    let id = found["articles"][0]["id"].as_i64().unwrap();
    assert_eq!(api(format!("/api/articles/{id}")).await["aliases"], serde_json::json!([amp]));
    // Let a few checks pass: the canonical page once per check, the AMP page no more.
    let amp_hits = site.hits_of("/amp/news/sea-wall");
    assert!(amp_hits <= 1, "the AMP route was fetched {amp_hits} times");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(site.hits_of("/amp/news/sea-wall"), amp_hits, "the folded AMP route is not fetched again");
    assert!(site.hits_of("/news/sea-wall?utm_source=rss&utm_medium=feed") == 0, "the utm_ link is never fetched");
    let feed_hits: Vec<Option<String>> =
        site.hits.lock().unwrap().iter().filter(|(p, _)| p == "/world.xml").map(|(_, e)| e.clone()).collect();
    assert!(
        feed_hits.len() >= 3 && feed_hits[1..].iter().all(|e| e.as_deref() == Some("\"/world.xml-v1\"")),
        "feeds are read with a conditional GET: {feed_hits:?}"
    );

    // An edit: one change, one alert.
    site.set_body(
        "/news/sea-wall",
        "The sea wall survey found cracks along 60 metres of the eastern pier last spring.",
    );
    let changed = |s: &Store| changes_of(s, &url).len() == 1;
    wait_for(dir.path(), Duration::from_secs(15), "the edit is recorded", changed).await;
    let started = Instant::now();
    while received.lock().unwrap().is_empty() && started.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    drop(daemon);
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "alerted once");
    assert_eq!(received[0].json()["data"]["url"], url.as_str());
    let store = open_store(dir.path()).unwrap();
    assert_eq!(store.articles().unwrap().len(), 1);
    let checks = store.query_rows("SELECT COUNT(*) FROM fetch_log WHERE url = ?1", &[url.as_str().into()]).unwrap()[0]
        .get::<i64>(0)
        .unwrap();
    assert!(checks >= 4, "checked every second or so: {checks}");
    assert_eq!(site.hits_of("/news/sea-wall") as i64, checks, "one fetch of the page per check");
    // Every route finds the article: the AMP alias and the tracked link too.
    for route in [format!("{base}/amp/news/sea-wall"), format!("{url}?utm_source=rss&utm_medium=feed"), url.clone()] {
        assert_eq!(store.article_by_url(&route).unwrap().map(|a| a.url), Some(url.clone()), "{route}");
    }
    let log = common::redline(&["--config", cfg.to_str().unwrap(), "log", &format!("{base}/amp/news/sea-wall")]).await;
    assert!(log.status.success(), "{}", String::from_utf8_lossy(&log.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headline_ab_test_is_labelled_and_a_search_headline_that_differs_is_shown() {
    let (base, site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    let web = free_address();
    let watches = format!("[[watch]]\nurl = \"{base}/news/ab\"\nevery = \"1s\"\n");
    let _daemon = Daemon::start(&config_with_web(dir.path(), &watches, Some(&web)));
    let url = format!("{base}/news/ab");
    let versions = |n: i64| {
        let url = url.clone();
        move |s: &Store| s.article_by_url(&url).unwrap().is_some_and(|a| a.versions == n)
    };
    wait_for(dir.path(), Duration::from_secs(30), "version 1", versions(1)).await;
    // The social and search headline (og:title, <title>) switches to B and back to A, the <h1> stays.
    let set = |og: &str| site.ab.lock().unwrap().1 = og.to_string();
    set("Two extra morning ferries from Monday");
    wait_for(dir.path(), Duration::from_secs(15), "version 2 (B)", versions(2)).await;
    let store = open_store(dir.path()).unwrap();
    let id = store.article_by_url(&format!("{base}/news/ab")).unwrap().unwrap().id;
    // While B is up, the article page shows the display and the search headline side by side.
    let page = reqwest::get(format!("http://{web}/articles/{id}")).await.unwrap().text().await.unwrap();
    assert!(page.contains("headline-divergence") && page.contains("Two extra morning ferries from Monday"), "{page}");
    set("Ferry timetable changes");
    wait_for(dir.path(), Duration::from_secs(15), "version 3 (A again)", versions(3)).await;
    let kinds = changes_of(&open_store(dir.path()).unwrap(), &format!("{base}/news/ab"));
    assert!(kinds[0].contains("\"headline\"") && !kinds[0].contains("headline_test"), "A to B is a change: {kinds:?}");
    assert!(kinds[1].contains("\"headline_test\""), "back to A the same day is a test: {kinds:?}");
    let summary = open_store(dir.path())
        .unwrap()
        .query_rows("SELECT summary FROM changes ORDER BY id DESC LIMIT 1", &[])
        .unwrap()[0]
        .get::<String>(0)
        .unwrap();
    assert!(summary.contains("og:title headline changed"), "the change says which headline: {summary}");
}
