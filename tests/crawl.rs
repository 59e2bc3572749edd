//! The crawler's manners and reach against a local site: robots.txt, per-host
//! limits, Retry-After, conditional GET, private-address refusal, a restart
//! that resumes the schedule, sitemaps and section pages, adaptive revisits.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use common::{open_store, redline, run_once, storage_key};
use redline::store::Table;

/// What the site saw.
#[derive(Default)]
struct Site {
    /// (path, when, If-None-Match) of every request.
    hits: Mutex<Vec<(String, Instant, Option<String>)>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Site {
    fn hits_of(&self, path: &str) -> Vec<(Instant, Option<String>)> {
        self.hits.lock().unwrap().iter().filter(|h| h.0 == path).map(|h| (h.1, h.2.clone())).collect()
    }

    fn article_hits(&self) -> usize {
        self.hits.lock().unwrap().iter().filter(|h| h.0.starts_with("/news/")).count()
    }
}

fn article_html(n: usize, published: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><title>Story {n} | Local Site</title>
<script type="application/ld+json">{{"@type":"NewsArticle","headline":"Story number {n}","datePublished":"{published}"}}</script>
</head><body><nav><a href="/">Home</a></nav><article><h1>Story number {n}</h1>
<p>This is the first paragraph of story {n}, long enough to count as the body of an article about the town.</p>
<p>A second paragraph adds detail: the council met on Tuesday and voted on the budget for the coming year.</p>
</article><footer>Local Site</footer></body></html>"#
    )
}

async fn handle(State(site): State<Arc<Site>>, UrlPath(path): UrlPath<String>, headers: HeaderMap) -> Response {
    let path = format!("/{path}");
    let etag = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_string);
    site.hits.lock().unwrap().push((path.clone(), Instant::now(), etag.clone()));
    let now_in_flight = site.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    site.max_in_flight.fetch_max(now_in_flight, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    site.in_flight.fetch_sub(1, Ordering::SeqCst);
    let base = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1").to_string();
    let html = |body: String| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    let xml = |body: String| ([(header::CONTENT_TYPE, "application/xml")], body).into_response();
    let hours_ago = |h: i64| (chrono::Utc::now() - chrono::Duration::hours(h)).to_rfc3339();
    match path.as_str() {
        "/robots.txt" => "User-agent: *\nDisallow: /news/private\n".into_response(),
        "/busy" => (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "120")], "slow down").into_response(),
        "/static" => html(article_html(9, "2026-11-01T08:00:00Z")),
        "/report.pdf" => ([(header::CONTENT_TYPE, "application/pdf")], "%PDF-1.4").into_response(),
        "/etag" => {
            if etag.as_deref() == Some("\"v1\"") {
                return StatusCode::NOT_MODIFIED.into_response();
            }
            ([(header::ETAG, "\"v1\""), (header::CONTENT_TYPE, "text/html")], article_html(0, &hours_ago(1)))
                .into_response()
        }
        "/sitemap-index.xml" => {
            xml(format!("<sitemapindex><sitemap><loc>http://{base}/sitemap-1.xml</loc></sitemap></sitemapindex>"))
        }
        "/sitemap-1.xml" => xml(format!(
            "<urlset><url><loc>http://{base}/news/1</loc></url><url><loc>http://{base}/news/2</loc></url></urlset>"
        )),
        "/section" => html(format!(
            "<nav><a href=\"/about\">About</a></nav><a href=\"/news/3\">Three</a> <a href=\"http://{base}/news/4#c\">Four</a>"
        )),
        "/feed.xml" => xml(format!(
            "<rss version=\"2.0\"><channel><title>T</title>\
             <item><link>http://{base}/news/young</link></item>\
             <item><link>http://{base}/news/month-old</link></item>\
             <item><link>http://{base}/news/ancient</link></item></channel></rss>"
        )),
        "/news/young" => html(article_html(10, &hours_ago(1))),
        "/news/month-old" => html(article_html(11, &hours_ago(30 * 24))),
        "/news/ancient" => html(article_html(12, &hours_ago(400 * 24))),
        p if p.starts_with("/news/") => {
            let n = p.trim_start_matches("/news/").trim_start_matches("private").parse().unwrap_or(0);
            html(article_html(n, &hours_ago(2)))
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn start_site() -> (String, Arc<Site>) {
    let site = Arc::new(Site::default());
    let app = axum::Router::new().route("/{*path}", axum::routing::get(handle)).with_state(Arc::clone(&site));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, site)
}

fn config(dir: &Path, fetch: &str, watches: &str) -> std::path::PathBuf {
    let path = dir.join("redline.toml");
    let db = storage_key(dir);
    std::fs::write(&path, format!("[storage]\n{db}\n\n[fetch]\n{fetch}\n\n{watches}\n")).unwrap();
    path
}

fn url_watches(base: &str, paths: &[&str], extra: &str) -> String {
    paths.iter().map(|p| format!("[[watch]]\nurl = \"{base}{p}\"\n{extra}\n")).collect()
}

/// The outcome of every fetch-log line of an article, oldest first.
fn article_outcomes(dir: &Path) -> Vec<String> {
    let rows = open_store(dir)
        .unwrap()
        .query_rows("SELECT outcome FROM fetch_log WHERE article_id IS NOT NULL ORDER BY id", &[])
        .unwrap();
    rows.iter().map(|r| r.get(0).unwrap()).collect()
}

fn article_error(dir: &Path, url: &str) -> Option<String> {
    open_store(dir).unwrap().article_by_url(url).unwrap().unwrap().last_error
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_is_honoured() {
    let (base, site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    let watches = url_watches(&base, &["/news/private7", "/news/1"], "");
    let cfg = config(dir.path(), "allow_private = true\nper_host_delay = \"0s\"", &watches);
    run_once(&cfg).await;
    assert!(site.hits_of("/news/private7").is_empty(), "a disallowed page was fetched");
    assert_eq!(site.hits_of("/news/1").len(), 1);
    assert_eq!(site.hits_of("/robots.txt").len(), 1, "robots.txt is read once and cached");
    let error = article_error(dir.path(), &format!("{base}/news/private7")).unwrap();
    assert!(error.contains("robots.txt"), "{error}");

    // With robots = false the page is fetched.
    let cfg = config(dir.path(), "allow_private = true\nper_host_delay = \"0s\"\nrobots = false", &watches);
    run_once(&cfg).await;
    assert_eq!(site.hits_of("/news/private7").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_host_limits_space_requests_and_bound_concurrency() {
    let (base, site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<String> = (1..=6).map(|n| format!("/news/{n}")).collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let fetch = "allow_private = true\nconcurrency = 8\nper_host_concurrency = 1\nper_host_delay = \"300ms\"";
    let cfg = config(dir.path(), fetch, &url_watches(&base, &paths, ""));
    run_once(&cfg).await;
    assert_eq!(site.max_in_flight.load(Ordering::SeqCst), 1, "one request at a time to the host");
    let mut starts: Vec<Instant> =
        site.hits.lock().unwrap().iter().filter(|h| h.0.starts_with("/news/")).map(|h| h.1).collect();
    starts.sort();
    assert_eq!(starts.len(), 6);
    for pair in starts.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= Duration::from_millis(290), "requests {gap:?} apart, less than the 300 ms asked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_and_content_types_are_recorded() {
    let (base, _site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "allow_private = true\nper_host_delay = \"0s\"",
        &url_watches(&base, &["/busy", "/report.pdf"], ""),
    );
    run_once(&cfg).await;
    let store = open_store(dir.path()).unwrap();
    let busy = store.article_by_url(&format!("{base}/busy")).unwrap().unwrap();
    assert_eq!(busy.last_error.as_deref(), Some("HTTP 429"));
    let wait = busy.next_check.unwrap() - busy.last_checked.unwrap();
    assert!(wait >= 120, "Retry-After: 120 honoured, next check in {wait} s");
    let pdf = store.article_by_url(&format!("{base}/report.pdf")).unwrap().unwrap();
    assert!(pdf.last_error.unwrap().contains("application/pdf"));
    assert_eq!(store.count(Table::Versions).unwrap(), 0, "nothing parsed from a PDF");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_get_makes_an_unchanged_page_cost_a_304() {
    let (base, site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "allow_private = true\nper_host_delay = \"0s\"", &url_watches(&base, &["/etag"], ""));
    run_once(&cfg).await;
    run_once(&cfg).await;
    let hits = site.hits_of("/etag");
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].1, None);
    assert_eq!(hits[1].1.as_deref(), Some("\"v1\""), "the second request is conditional");
    let outcomes = article_outcomes(dir.path());
    assert_eq!(outcomes, ["new", "not_modified"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_body_again_costs_no_extraction() {
    let (base, _site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg =
        config(dir.path(), "allow_private = true\nper_host_delay = \"0s\"", &url_watches(&base, &["/static"], ""));
    for _ in 0..3 {
        run_once(&cfg).await;
    }
    let outcomes = article_outcomes(dir.path());
    // A version keeps the hash of the body it was extracted from: the same bytes again are not extracted.
    assert_eq!(outcomes, ["new", "same_body", "same_body"]);
    // A changed rule reads the same bytes again.
    let ruled = config(
        dir.path(),
        "allow_private = true\nper_host_delay = \"0s\"",
        &url_watches(&base, &["/static"], "ignore = [\"(?i)advertisement\"]"),
    );
    run_once(&ruled).await;
    run_once(&ruled).await;
    assert_eq!(article_outcomes(dir.path())[3..], ["unchanged", "same_body"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_addresses_are_refused_unless_allowed() {
    let (base, site) = start_site().await;
    let port = base.rsplit(':').next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let targets = [
        format!("http://127.0.0.1:{port}/news/1"),
        format!("http://localhost:{port}/news/2"),
        format!("http://[::ffff:127.0.0.1]:{port}/news/3"),
        format!("http://[::1]:{port}/news/4"),
        format!("http://0.0.0.0:{port}/news/5"),
    ];
    let watches: String = targets.iter().map(|t| format!("[[watch]]\nurl = \"{t}\"\n")).collect();
    let cfg = config(dir.path(), "", &watches);
    run_once(&cfg).await;
    assert_eq!(site.article_hits(), 0, "no private target was contacted");
    assert!(site.hits_of("/robots.txt").is_empty());
    for t in &targets {
        let stored = url::Url::parse(t).unwrap().to_string();
        let error = article_error(dir.path(), &stored).unwrap_or_default();
        assert!(error.contains("refused") && error.contains("allow_private"), "{t}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sitemaps_and_section_pages_discover_articles() {
    let (base, _site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    let watches = format!(
        "[[watch]]\nfeed = \"{base}/sitemap-index.xml\"\n\n[[watch]]\nsection = \"{base}/section\"\nlinks = \"/news/\\\\d+$\"\n"
    );
    let cfg = config(dir.path(), "allow_private = true\nper_host_delay = \"0s\"", &watches);
    run_once(&cfg).await;
    let store = open_store(dir.path()).unwrap();
    let mut urls: Vec<String> = store.articles().unwrap().into_iter().map(|a| a.url).collect();
    urls.sort();
    let expected: Vec<String> = (1..=4).map(|n| format!("{base}/news/{n}")).collect();
    assert_eq!(urls, expected);
    assert_eq!(store.count(Table::Versions).unwrap(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn young_articles_are_revisited_often_and_old_ones_rarely() {
    let (base, _site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "allow_private = true\nper_host_delay = \"0s\"",
        &format!("[[watch]]\nfeed = \"{base}/feed.xml\"\n"),
    );
    run_once(&cfg).await;
    let store = open_store(dir.path()).unwrap();
    let article = |slug: &str| store.article_by_url(&format!("{base}/news/{slug}")).unwrap().unwrap();
    let wait = |slug: &str| {
        let a = article(slug);
        a.next_check.unwrap() - a.last_checked.unwrap()
    };
    assert!((285..=315).contains(&wait("young")), "an hour-old story is revisited in ~5 min: {}", wait("young"));
    assert!((82_000..=91_000).contains(&wait("month-old")), "a month-old story daily: {}", wait("month-old"));
    // Issue 15: first seen past the plan's 60 days, it is on the plan's slow tail (daily), not retired.
    assert_eq!(article("ancient").state, "active", "an old story first seen now is still watched");
    assert!((82_000..=91_000).contains(&wait("ancient")), "an old story first seen now: daily: {}", wait("ancient"));
    let status = redline(&["--config", cfg.to_str().unwrap(), "status"]).await;
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("3 watched, 0 retired"), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_resumes_the_schedule_without_rechecking() {
    let (base, site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    let paths = ["/news/1", "/news/2", "/news/3"];
    let cfg = config(
        dir.path(),
        "allow_private = true\nper_host_delay = \"0s\"",
        &url_watches(&base, &paths, "every = \"1h\""),
    );
    let daemon = || {
        Command::new(env!("CARGO_BIN_EXE_redline"))
            .args(["--config", cfg.to_str().unwrap(), "run"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let stop = |mut child: std::process::Child| {
        Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(child.wait().unwrap().success());
    };
    let first = daemon();
    let started = Instant::now();
    while site.article_hits() < paths.len() {
        assert!(started.elapsed() < Duration::from_secs(30), "first checks did not happen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop(first);
    let before = site.article_hits();
    assert_eq!(before, paths.len());

    let second = daemon();
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop(second);
    assert_eq!(site.article_hits(), before, "the restart re-checked articles that were not due");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opml_import_watches_every_feed() {
    let (base, _site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    let opml = dir.path().join("feeds.opml");
    std::fs::write(
        &opml,
        format!(
            "<opml version=\"2.0\"><body><outline text=\"Local\" type=\"rss\" xmlUrl=\"{base}/feed.xml\"/>\
             <outline text=\"Maps\" type=\"rss\" xmlUrl=\"{base}/sitemap-index.xml\"/></body></opml>"
        ),
    )
    .unwrap();
    let cfg = config(dir.path(), "allow_private = true\nper_host_delay = \"0s\"", "");
    let out = redline(&["--config", cfg.to_str().unwrap(), "import", opml.to_str().unwrap(), "--every", "15m"]).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("watching 2 feeds"), "{out:?}");
    run_once(&cfg).await;
    let store = open_store(dir.path()).unwrap();
    assert_eq!(store.count(Table::Articles).unwrap(), 5, "3 from the feed, 2 from the sitemap");
}
