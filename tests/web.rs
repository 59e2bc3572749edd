//! The web UI, the Atom feed and the JSON API over real HTTP on 127.0.0.1, against a
//! store filled through the store's own write functions: escaping, CSP, raw pages,
//! paging and filters, the token rules on every route, metrics, and the Atom feed
//! validated against the RELAX NG schema of RFC 4287 with `xmllint`.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use redline::diff::{EditKind, compare};
use redline::extract::Article;
use redline::store::{CheckDone, FetchLogEntry, NewChange, NewDelivery, NewSource, NewVersion, SourceKind, Store};
use redline::web::{WebOptions, WebState, router, serve};

const TOKEN: &str = "test-token-0123456789abcdef";

fn article(title: &str, paragraphs: &[&str]) -> Article {
    Article {
        title: Some(title.to_string()),
        byline: Some("By Ada Reporter".into()),
        paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
        ..Article::default()
    }
}

/// A synthetic screenshot: white, with a dark block at (`x`, `y`).
fn screenshot(x: u32, y: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(320, 240, |px, py| {
        let inside = (x..x + 40).contains(&px) && (y..y + 20).contains(&py);
        image::Rgb(if inside { [20, 20, 20] } else { [255, 255, 255] })
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    png
}

/// Records the versions of one article, a change between each pair, as the daemon does; the
/// first `shots.len()` versions get these screenshots.
fn record(
    store: &Store,
    source_id: i64,
    url: &str,
    versions: &[Article],
    raw: Option<&str>,
    shots: &[Vec<u8>],
    start: i64,
) -> i64 {
    let (id, _) = store.ensure_article(source_id, url, start).unwrap();
    for (i, a) in versions.iter().enumerate() {
        let at = start + 3600 * i as i64;
        let change = (i > 0).then(|| compare(&versions[i - 1], a));
        let deliveries = vec![NewDelivery {
            channel: "webhook:test".into(),
            event: redline::store::ARTICLE_CHANGED,
            event_id: format!("msg_{id}_{i}"),
            payload: "{}".into(),
            next_attempt: at,
        }];
        let nc = change.as_ref().map(|c| NewChange { change: c, deliveries: deliveries.clone() });
        let nv = NewVersion {
            article_id: id,
            fetched_at: at,
            content_hash: &format!("hash-{id}-{i}"),
            article: a,
            raw_html_zstd: raw.map(|r| zstd::encode_all(r.as_bytes(), 3).unwrap()),
            screenshot: shots.get(i).cloned(),
        };
        let done = CheckDone { at, next_check: at + 600, etag: None, last_modified: None, body_hash: None };
        store.record_version(&nv, nc.as_ref(), &done).unwrap();
    }
    id
}

const XSS_TITLE: &str = "<script>document.title='pwned'</script>Council \"budget\" & <b>vote</b>";
const XSS_IMG: &str = "Residents wrote <img src=x onerror=\"document.title='pwned'\"> on the board.";
const XSS_SCRIPT: &str = "A reader posted <script>alert('xss')</script> in the comments.";
const RAW_PAGE: &str = "<html><body><script>alert('raw')</script><p onmouseover=alert(1)>Raw</p></body></html>";

struct Fixture {
    store: Arc<Store>,
    /// The PostgreSQL database behind `store`, when the tests run on one.
    _db: Option<redline::store::pg::TestDatabase>,
    vote: i64,
    xss: i64,
}

/// Two watches (one from the config, one added by hand), a story edited twice, and an
/// article whose text carries markup and script.
fn fixture() -> Fixture {
    let (store, db) = common::scratch_store();
    let store = Arc::new(store);
    let feed = NewSource {
        kind: SourceKind::Feed,
        url: "https://news.example/rss.xml".into(),
        schedule: "every 10m".into(),
        rules: "{\"name\":\"Example Gazette\"}".into(),
    };
    store.sync_config_sources(&[feed], 1_790_000_000).unwrap();
    let v1 = article(
        "Council slashes library budget",
        &["The council voted 5 to 4 on Monday to cut the library budget.", "The mayor said the cut was painful."],
    );
    let v2 = article(
        "Council trims library budget",
        &[
            "The council voted 5 to 4 on Monday to cut the library budget.",
            "The mayor said the cut was painful.",
            "Librarians said they would protest outside City Hall on Friday.",
            "Editor's note: This article was updated to include reactions from librarians.",
        ],
    );
    let v3 = article(
        "Council trims library budget",
        &[
            "The council voted 6 to 3 on Monday to cut the library budget.",
            "The mayor said the cut was painful.",
            "Librarians said they would protest outside City Hall on Friday.",
            "Editor's note: This article was updated to include reactions from librarians.",
        ],
    );
    // Versions 1 and 2 of the vote story have screenshots (the block moved), version 3 none.
    let shots = [screenshot(20, 20), screenshot(200, 120)];
    let vote = record(&store, 1, "https://news.example/news/library-vote", &[v1, v2, v3], None, &shots, 1_790_000_000);
    let x1 = article(XSS_TITLE, &[XSS_IMG]);
    let x2 = article(XSS_TITLE, &[XSS_IMG, XSS_SCRIPT]);
    let xss = record(&store, 1, "https://news.example/news/markup", &[x1, x2], Some(RAW_PAGE), &[], 1_790_100_000);
    store
        .log_fetch(&FetchLogEntry {
            at: 1_790_000_000,
            url: "https://news.example/news/library-vote".into(),
            duration_ms: Some(120),
            outcome: "changed".into(),
            ..FetchLogEntry::default()
        })
        .unwrap();
    store
        .log_fetch(&FetchLogEntry {
            at: 1_790_000_100,
            url: "https://news.example/news/gone".into(),
            outcome: "error".into(),
            error: Some("HTTP 500".into()),
            ..FetchLogEntry::default()
        })
        .unwrap();
    Fixture { store, _db: db, vote, xss }
}

async fn start(store: Arc<Store>, options: WebOptions) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = WebState::new(store, options).unwrap();
    tokio::spawn(async move { serve(listener, state, std::future::pending()).await.unwrap() });
    format!("http://{addr}")
}

async fn start_open(store: Arc<Store>) -> String {
    start(store, WebOptions { token: Some(TOKEN.into()), ..WebOptions::default() }).await
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn get(url: &str) -> Answer {
    send(reqwest::Client::new().get(url)).await
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    Answer { status, headers, body: r.text().await.unwrap() }
}

fn json(a: &Answer) -> serde_json::Value {
    serde_json::from_str(&a.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", a.body))
}

#[tokio::test]
async fn pages_render_and_escape_every_piece_of_article_text() {
    let f = fixture();
    let base = start_open(Arc::clone(&f.store)).await;
    let pages = [
        "/".to_string(),
        "/?kind=headline".into(),
        "/articles".into(),
        format!("/articles/{}", f.xss),
        format!("/articles/{}/versions/1", f.xss),
        format!("/articles/{}/versions/2", f.xss),
        format!("/articles/{}/versions/2?view=side", f.xss),
        "/watches".into(),
        "/search?q=reader+comments".into(),
    ];
    for path in &pages {
        let a = get(&format!("{base}{path}")).await;
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        assert!(a.headers["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        let csp = a.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{path}: {csp}");
        assert_eq!(a.headers["x-content-type-options"], "nosniff");
        // The change card is the page's own image; any other would come from the article.
        let lower = a.body.to_ascii_lowercase().replace("<img class=\"change-card\" src=\"/changes/", "");
        for live in ["<script", "<img", "<b>", "onerror=\"", "<iframe", "style=\""] {
            assert!(!lower.contains(live), "{path} carries live markup {live:?}:\n{}", a.body);
        }
    }
    let change = get(&format!("{base}/articles/{}/versions/2", f.xss)).await.body;
    assert!(change.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;Council &quot;budget&quot; &amp; &lt;b&gt;vote&lt;/b&gt;"), "{change}");
    assert!(
        change
            .contains("<ins>A reader posted &lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt; in the comments.</ins>"),
        "{change}"
    );
    assert!(
        change.contains("&lt;script&gt;alert(&#39;raw&#39;)&lt;/script&gt;"),
        "the stored page shows as text: {change}"
    );
    let search = get(&format!("{base}/search?q=reader")).await.body;
    assert!(search.contains("<mark>reader</mark>") && search.contains("&lt;script&gt;"), "{search}");
}

#[tokio::test]
async fn the_change_page_shows_the_redline_the_notice_and_the_headline_apart() {
    let f = fixture();
    let base = start_open(Arc::clone(&f.store)).await;
    let a = get(&format!("{base}/articles/{}/versions/2", f.vote)).await;
    assert_eq!(a.status, 200);
    let b = &a.body;
    assert!(b.contains("<ins>Librarians said they would protest outside City Hall on Friday.</ins>"), "{b}");
    assert!(b.contains("id=\"headline-change\""), "{b}");
    assert!(
        b.contains("<del>Council slashes library budget</del>")
            && b.contains("<ins>Council trims library budget</ins>"),
        "{b}"
    );
    assert!(
        b.contains("<aside class=\"notice\"><strong>Notice:</strong> Editor&#39;s note: This article was updated"),
        "{b}"
    );
    assert!(b.contains("kind-editors_note"), "{b}");
    // The word-level fact change of version 3, inline and side by side.
    let v3 = get(&format!("{base}/articles/{}/versions/3", f.vote)).await.body;
    assert!(v3.contains("<del>5 to 4</del>") || v3.contains("<del>5</del>"), "{v3}");
    let side = get(&format!("{base}/articles/{}/versions/3?view=side", f.vote)).await.body;
    assert!(side.contains("<table class=\"side\">") && side.contains("<strong>Side by side</strong>"), "{side}");
    // Timeline, redirect of /changes/{id}, 404s.
    let timeline = get(&format!("{base}/articles/{}", f.vote)).await.body;
    assert!(timeline.contains("3 versions, 2 changes"), "{timeline}");
    let redirect = send(
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{base}/changes/1")),
    )
    .await;
    assert_eq!(redirect.status, 303);
    assert_eq!(redirect.headers["location"], format!("/articles/{}/versions/2", f.vote));
    assert_eq!(get(&format!("{base}/articles/{}/versions/9", f.vote)).await.status, 404);
    assert_eq!(get(&format!("{base}/articles/999")).await.status, 404);
    assert_eq!(get(&format!("{base}/nowhere")).await.status, 404);
}

#[tokio::test]
async fn the_raw_page_is_plain_text_in_a_sandbox() {
    let f = fixture();
    let base = start_open(Arc::clone(&f.store)).await;
    let a = get(&format!("{base}/articles/{}/versions/1/raw", f.xss)).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, RAW_PAGE);
    assert_eq!(a.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(a.headers["x-content-type-options"], "nosniff");
    let csp = a.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("sandbox") && csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(get(&format!("{base}/articles/{}/versions/1/raw", f.vote)).await.status, 404, "no page kept");
}

#[tokio::test]
async fn the_api_lists_pages_and_filters_changes() {
    let f = fixture();
    let base = start_open(Arc::clone(&f.store)).await;
    let all = json(&get(&format!("{base}/api/changes")).await);
    let changes = all["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 3);
    assert!(all["next"].is_null());
    assert!(changes[0]["id"].as_i64() > changes[1]["id"].as_i64(), "newest first");
    // Paging by cursor.
    let page1 = json(&get(&format!("{base}/api/changes?limit=2")).await);
    assert_eq!(page1["changes"].as_array().unwrap().len(), 2);
    let next = page1["next"].as_str().unwrap();
    let page2 = json(&get(&format!("{base}{next}")).await);
    assert_eq!(page2["changes"].as_array().unwrap().len(), 1);
    assert_eq!(page2["changes"][0]["id"], changes[2]["id"]);
    // Filters.
    let headline = json(&get(&format!("{base}/api/changes?kind=headline")).await);
    assert_eq!(headline["changes"].as_array().unwrap().len(), 1);
    assert_eq!(headline["changes"][0]["to_version"], 2);
    let outlet = json(&get(&format!("{base}/api/changes?outlet=elsewhere.example")).await);
    assert!(outlet["changes"].as_array().unwrap().is_empty());
    let dated = json(&get(&format!("{base}/api/changes?since=1790050000")).await);
    assert_eq!(dated["changes"].as_array().unwrap().len(), 1, "only the markup article's change is that late");
    let bad = get(&format!("{base}/api/changes?kind=gossip")).await;
    assert_eq!(bad.status, 400);
    assert!(json(&bad)["error"].as_str().unwrap().contains("unknown kind"), "{}", bad.body);
    // One change with its structured diff.
    let id = headline["changes"][0]["id"].as_i64().unwrap();
    let one = json(&get(&format!("{base}/api/changes/{id}")).await);
    assert_eq!(one["diff"]["headline"]["new"], "Council trims library budget");
    assert!(one["kinds"].as_array().unwrap().contains(&serde_json::json!(EditKind::EditorsNote.as_str())));
    assert!(one["added"].as_array().unwrap().iter().any(|s| s.as_str().unwrap().starts_with("Librarians said")));
    assert_eq!(get(&format!("{base}/api/changes/999")).await.status, 404);
    // Articles, versions, search.
    let articles = json(&get(&format!("{base}/api/articles")).await);
    assert_eq!(articles["articles"].as_array().unwrap().len(), 2);
    let versions = json(&get(&format!("{base}/api/articles/{}/versions", f.vote)).await);
    assert_eq!(versions["versions"].as_array().unwrap().len(), 3);
    let v = json(&get(&format!("{base}/api/articles/{}/versions/3", f.vote)).await);
    assert_eq!(v["paragraphs"][0], "The council voted 6 to 3 on Monday to cut the library budget.");
    let found = json(&get(&format!("{base}/api/search?q=librarians+protest")).await);
    assert_eq!(found["results"].as_array().unwrap().len(), 1);
    assert_eq!(found["results"][0]["version"], 3, "the newest matching version");
    assert_eq!(get(&format!("{base}/api/search?q=%22%22")).await.status, 400);
}

#[tokio::test]
async fn watch_writes_need_a_bearer_token_and_spare_the_config() {
    let f = fixture();
    let base = start_open(Arc::clone(&f.store)).await;
    let client = reqwest::Client::new();
    let body = r#"{"url": "https://other.example/news/story", "every": "15m", "name": "Other"}"#;
    let post = |path: &str| client.post(format!("{base}{path}")).header("content-type", "application/json");
    // No token, a wrong token, the token as Basic auth (a browser's ambient credential): refused.
    assert_eq!(send(post("/api/watches").body(body)).await.status, 401);
    assert_eq!(send(post("/api/watches").bearer_auth("wrong-token-0123456789").body(body)).await.status, 401);
    assert_eq!(send(post("/api/watches").basic_auth("x", Some(TOKEN)).body(body)).await.status, 401);
    // The token: added, due at once.
    let added = send(post("/api/watches").bearer_auth(TOKEN).body(body)).await;
    assert_eq!(added.status, 201, "{}", added.body);
    let w = json(&added);
    let id = w["watch"]["id"].as_i64().unwrap();
    assert_eq!((w["watch"]["schedule"].as_str(), w["watch"]["name"].as_str()), (Some("every 15m"), Some("Other")));
    assert_eq!(w["watch"]["enabled"], true);
    let bad = send(post("/api/watches").bearer_auth(TOKEN).body(r#"{"url": "file:///etc/passwd"}"#)).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let bad =
        send(post("/api/watches").bearer_auth(TOKEN).body(r#"{"url": "https://a.example/", "every": "soon"}"#)).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    // Pause, resume, remove.
    let paused = json(&send(post(&format!("/api/watches/{id}/pause")).bearer_auth(TOKEN)).await);
    assert_eq!(paused["watch"]["enabled"], false);
    let resumed = json(&send(post(&format!("/api/watches/{id}/resume")).bearer_auth(TOKEN)).await);
    assert_eq!(resumed["watch"]["enabled"], true);
    assert_eq!(send(post(&format!("/api/watches/{id}/remove")).bearer_auth(TOKEN)).await.status, 200);
    assert_eq!(send(post(&format!("/api/watches/{id}/remove")).bearer_auth(TOKEN)).await.status, 404);
    // The config's watch: 409, the config file owns it.
    let conflict = send(post("/api/watches/1/pause").bearer_auth(TOKEN)).await;
    assert_eq!(conflict.status, 409);
    assert!(json(&conflict)["error"].as_str().unwrap().contains("config"));
    // Writes are POST only: a GET that would change something does not exist.
    assert_eq!(get(&format!("{base}/api/watches/1/pause")).await.status, 405);
    let listed = json(&get(&format!("{base}/api/watches")).await);
    assert_eq!(listed["watches"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn without_a_token_writes_are_off() {
    let f = fixture();
    let base = start(Arc::clone(&f.store), WebOptions::default()).await;
    assert_eq!(get(&format!("{base}/api/watches")).await.status, 200, "reads are open on loopback");
    let r = send(
        reqwest::Client::new()
            .post(format!("{base}/api/watches"))
            .bearer_auth("anything-0123456789")
            .header("content-type", "application/json")
            .body(r#"{"url": "https://other.example/"}"#),
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(json(&r)["error"].as_str().unwrap().contains("token"), "{}", r.body);
}

/// Every route, with an example path; kept in step with `router` by the 404 check below.
fn every_route(f: &Fixture) -> Vec<(&'static str, String)> {
    let (a, x) = (f.vote, f.xss);
    vec![
        ("GET", "/".into()),
        ("GET", "/articles".into()),
        ("GET", format!("/articles/{a}")),
        ("GET", format!("/articles/{a}/versions/2")),
        ("GET", format!("/articles/{x}/versions/1/raw")),
        ("GET", format!("/articles/{a}/versions/1/screenshot.png")),
        ("GET", format!("/articles/{a}/versions/2/screenshot-diff.png")),
        ("GET", "/changes/1".into()),
        ("GET", "/changes/1.png".into()),
        ("GET", "/watches".into()),
        ("GET", "/watches/1/feed.atom".into()),
        ("GET", "/search?q=council".into()),
        ("GET", "/feed.atom".into()),
        ("GET", "/style.css".into()),
        ("GET", "/healthz".into()),
        ("GET", "/metrics".into()),
        ("GET", "/api/changes".into()),
        ("GET", "/api/changes/1".into()),
        ("GET", "/api/articles".into()),
        ("GET", format!("/api/articles/{a}")),
        ("GET", format!("/api/articles/{a}/versions")),
        ("GET", format!("/api/articles/{a}/versions/1")),
        ("GET", "/api/watches".into()),
        ("GET", "/api/watches/1".into()),
        ("GET", "/api/search?q=council".into()),
        ("GET", format!("/articles/{a}/compare?from=1&to=3")),
        ("GET", format!("/api/articles/{a}/compare?from=1&to=3")),
        ("GET", "/watches/1".into()),
        ("POST", "/watches".into()),
        ("POST", "/watches/1/edit".into()),
        ("POST", "/watches/1/pause".into()),
        ("POST", "/watches/1/resume".into()),
        ("POST", "/watches/1/remove".into()),
        ("POST", "/api/watches/1/edit".into()),
        ("POST", "/api/watches".into()),
        ("POST", "/api/watches/1/pause".into()),
        ("POST", "/api/watches/1/resume".into()),
        ("POST", "/api/watches/1/remove".into()),
        ("GET", "/stories".into()),
        ("GET", "/api/stories".into()),
        ("GET", "/does-not-exist".into()),
    ]
}

#[tokio::test]
async fn off_loopback_every_route_needs_the_token() {
    let f = fixture();
    // Bound (as far as the options say) to every interface; the test still connects on loopback.
    let options = WebOptions { listen: "0.0.0.0:8080".into(), token: Some(TOKEN.into()), base_url: None };
    let base = start(Arc::clone(&f.store), options).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for (method, path) in every_route(&f) {
        let url = format!("{base}{path}");
        let request = |auth: Option<bool>| {
            let r = if method == "GET" {
                client.get(&url)
            } else {
                client.post(&url).header("content-type", "application/json").body("{}")
            };
            match auth {
                None => r,
                Some(true) => r.bearer_auth(TOKEN),
                Some(false) => r.basic_auth("reader", Some(TOKEN)),
            }
        };
        let none = send(request(None)).await;
        assert_eq!(none.status, 401, "{method} {path} answered without the token: {}", none.body);
        assert!(none.headers["www-authenticate"].to_str().unwrap().starts_with("Basic"), "{method} {path}");
        let with = send(request(Some(true))).await;
        assert_ne!(with.status, 401, "{method} {path} refused the token");
        if method == "GET" {
            let basic = send(request(Some(false))).await;
            assert_ne!(basic.status, 401, "{method} {path}: a browser's Basic auth is enough to read");
            let expected = if path == "/does-not-exist" { 404 } else { 200 };
            assert!(with.status == expected || with.status == 303, "{method} {path}: {} {}", with.status, with.body);
        }
    }
}

#[tokio::test]
async fn screenshots_are_served_as_png_compared_and_listed_in_the_json() {
    let f = fixture();
    let base = start_open(Arc::clone(&f.store)).await;
    let version = |n: i64| format!("{base}/articles/{}/versions/{n}", f.vote);
    let png = |url: String| async move {
        let r = reqwest::get(&url).await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        assert_eq!(r.headers()["content-type"], "image/png", "{url}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{url}");
        assert_eq!(r.headers()["content-security-policy"], redline::web::PAGE_CSP, "{url}");
        image::load_from_memory_with_format(&r.bytes().await.unwrap(), image::ImageFormat::Png).unwrap().into_rgb8()
    };
    let shot = png(format!("{}/screenshot.png", version(2))).await;
    assert_eq!(shot.dimensions(), (320, 240));
    assert_eq!(shot.get_pixel(210, 130).0, [20, 20, 20]);
    // The comparison: version 2's image, the old and the new block outlined in red.
    let diff = png(format!("{}/screenshot-diff.png", version(2))).await;
    assert_eq!(diff.dimensions(), (320, 240));
    assert_eq!(diff.get_pixel(16, 16).0, [214, 0, 0], "the old block's place is outlined");
    assert_eq!(diff.get_pixel(300, 230).0, [255, 255, 255], "unchanged parts are as they were");
    // The page says how much changed and shows both images.
    let page = get(&version(2)).await.body;
    assert!(
        page.contains(
            "<p class=\"visual-summary\">2 changed regions, 4.0% of the page. Changed regions are outlined in red.</p>"
        ),
        "{page}"
    );
    assert!(page.contains(&format!("src=\"/articles/{}/versions/2/screenshot-diff.png\"", f.vote)), "{page}");
    assert!(
        page.contains(&format!("src=\"/articles/{}/versions/2/screenshot.png\" width=\"320\" height=\"240\"", f.vote))
    );
    let first = get(&version(1)).await.body;
    assert!(first.contains("screenshot.png") && !first.contains("screenshot-diff.png"), "{first}");
    // Version 3 has none: no section, 404 on both routes, in words.
    let third = get(&version(3)).await;
    assert!(!third.body.contains("screenshot"), "{}", third.body);
    for route in ["screenshot.png", "screenshot-diff.png"] {
        let missing = get(&format!("{}/{route}", version(3))).await;
        assert_eq!(missing.status, 404, "{route}");
        assert!(missing.body.contains("screenshot"), "{}", missing.body);
    }
    assert_eq!(get(&format!("{}/screenshot-diff.png", version(1))).await.status, 404, "nothing before version 1");
    assert_eq!(get(&format!("{base}/articles/{}/versions/1/screenshot.png", f.xss)).await.status, 404);
    // The JSON says whether there is one, and where.
    let v2 = json(&get(&format!("{base}/api/articles/{}/versions/2", f.vote)).await);
    let expected = serde_json::json!({
        "url": format!("/articles/{}/versions/2/screenshot.png", f.vote),
        "width": 320, "height": 240, "bytes": f.store.screenshot_info(f.vote, 2).unwrap().unwrap().bytes,
        "taken_at": "2026-09-21T15:13:20Z",
        "diff_url": format!("/articles/{}/versions/2/screenshot-diff.png", f.vote),
    });
    assert_eq!(v2["screenshot"], expected);
    let v1 = json(&get(&format!("{base}/api/articles/{}/versions/1", f.vote)).await);
    assert_eq!(v1["screenshot"]["diff_url"], serde_json::Value::Null);
    let v3 = json(&get(&format!("{base}/api/articles/{}/versions/3", f.vote)).await);
    assert_eq!(v3["screenshot"], serde_json::Value::Null);
}

#[tokio::test]
async fn healthz_and_metrics_report_from_the_tables() {
    let f = fixture();
    let base = start_open(Arc::clone(&f.store)).await;
    let h = get(&format!("{base}/healthz")).await;
    assert_eq!((h.status, h.body.as_str()), (200, "ok\n"));
    let m = get(&format!("{base}/metrics")).await;
    assert_eq!(m.status, 200);
    assert!(m.headers["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    for expected in [
        "redline_changes_total 3\n",
        "redline_versions 5\n",
        "redline_checks{outcome=\"changed\"} 1\n",
        "redline_check_failures 1\n",
        "redline_deliveries{status=\"pending\"} 3\n",
        "redline_delivery_queue_depth 3\n",
        "redline_fetch_duration_seconds_bucket{le=\"0.1\"} 0\n",
        "redline_fetch_duration_seconds_bucket{le=\"0.25\"} 1\n",
        "redline_fetch_duration_seconds_count 1\n",
        "# TYPE redline_fetch_duration_seconds histogram\n",
    ] {
        assert!(m.body.contains(expected), "missing {expected:?} in\n{}", m.body);
    }
}

#[tokio::test]
async fn the_router_serves_without_a_socket_too() {
    // `router` is what `serve` runs; it can be served by any axum server.
    let f = fixture();
    let app = router(WebState::new(Arc::clone(&f.store), WebOptions::default()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    assert_eq!(get(&format!("http://{addr}/healthz")).await.status, 200);
}

/// RFC 4287 Appendix B, as RELAX NG XML (the schematron rules are checked in Rust below).
const ATOM_RNG: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<grammar xmlns="http://relaxng.org/ns/structure/1.0" ns="http://www.w3.org/2005/Atom"
         datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
  <start><choice><ref name="atomFeed"/><ref name="atomEntry"/></choice></start>
  <define name="atomCommonAttributes">
    <optional><attribute name="xml:base"><ref name="atomUri"/></attribute></optional>
    <optional><attribute name="xml:lang"><ref name="atomLanguageTag"/></attribute></optional>
    <zeroOrMore><ref name="undefinedAttribute"/></zeroOrMore>
  </define>
  <define name="atomPlainTextConstruct">
    <ref name="atomCommonAttributes"/>
    <optional><attribute name="type"><choice><value>text</value><value>html</value></choice></attribute></optional>
    <text/>
  </define>
  <define name="atomXHTMLTextConstruct">
    <ref name="atomCommonAttributes"/>
    <attribute name="type"><value>xhtml</value></attribute>
    <ref name="xhtmlDiv"/>
  </define>
  <define name="atomTextConstruct">
    <choice><ref name="atomPlainTextConstruct"/><ref name="atomXHTMLTextConstruct"/></choice>
  </define>
  <define name="atomPersonConstruct">
    <ref name="atomCommonAttributes"/>
    <interleave>
      <element name="name"><text/></element>
      <optional><element name="uri"><ref name="atomUri"/></element></optional>
      <optional><element name="email"><ref name="atomEmailAddress"/></element></optional>
      <zeroOrMore><ref name="extensionElement"/></zeroOrMore>
    </interleave>
  </define>
  <define name="atomDateConstruct">
    <ref name="atomCommonAttributes"/>
    <data type="dateTime"/>
  </define>
  <define name="atomFeed">
    <element name="feed">
      <ref name="atomCommonAttributes"/>
      <interleave>
        <zeroOrMore><ref name="atomAuthor"/></zeroOrMore>
        <zeroOrMore><ref name="atomCategory"/></zeroOrMore>
        <zeroOrMore><ref name="atomContributor"/></zeroOrMore>
        <optional><ref name="atomGenerator"/></optional>
        <optional><ref name="atomIcon"/></optional>
        <ref name="atomId"/>
        <zeroOrMore><ref name="atomLink"/></zeroOrMore>
        <optional><ref name="atomLogo"/></optional>
        <optional><ref name="atomRights"/></optional>
        <optional><ref name="atomSubtitle"/></optional>
        <ref name="atomTitle"/>
        <ref name="atomUpdated"/>
        <zeroOrMore><ref name="extensionElement"/></zeroOrMore>
      </interleave>
      <zeroOrMore><ref name="atomEntry"/></zeroOrMore>
    </element>
  </define>
  <define name="atomEntry">
    <element name="entry">
      <ref name="atomCommonAttributes"/>
      <interleave>
        <zeroOrMore><ref name="atomAuthor"/></zeroOrMore>
        <zeroOrMore><ref name="atomCategory"/></zeroOrMore>
        <optional><ref name="atomContent"/></optional>
        <zeroOrMore><ref name="atomContributor"/></zeroOrMore>
        <ref name="atomId"/>
        <zeroOrMore><ref name="atomLink"/></zeroOrMore>
        <optional><ref name="atomPublished"/></optional>
        <optional><ref name="atomRights"/></optional>
        <optional><ref name="atomSource"/></optional>
        <optional><ref name="atomSummary"/></optional>
        <ref name="atomTitle"/>
        <ref name="atomUpdated"/>
        <zeroOrMore><ref name="extensionElement"/></zeroOrMore>
      </interleave>
    </element>
  </define>
  <define name="atomSource">
    <element name="source">
      <ref name="atomCommonAttributes"/>
      <interleave>
        <zeroOrMore><ref name="atomAuthor"/></zeroOrMore>
        <zeroOrMore><ref name="atomCategory"/></zeroOrMore>
        <zeroOrMore><ref name="atomContributor"/></zeroOrMore>
        <optional><ref name="atomGenerator"/></optional>
        <optional><ref name="atomIcon"/></optional>
        <optional><ref name="atomId"/></optional>
        <zeroOrMore><ref name="atomLink"/></zeroOrMore>
        <optional><ref name="atomLogo"/></optional>
        <optional><ref name="atomRights"/></optional>
        <optional><ref name="atomSubtitle"/></optional>
        <optional><ref name="atomTitle"/></optional>
        <optional><ref name="atomUpdated"/></optional>
        <zeroOrMore><ref name="extensionElement"/></zeroOrMore>
      </interleave>
    </element>
  </define>
  <define name="atomContent">
    <element name="content">
      <ref name="atomCommonAttributes"/>
      <choice>
        <group>
          <optional><attribute name="type"><choice><value>text</value><value>html</value></choice></attribute></optional>
          <text/>
        </group>
        <group>
          <attribute name="type"><value>xhtml</value></attribute>
          <ref name="xhtmlDiv"/>
        </group>
        <group>
          <attribute name="type"><ref name="atomMediaType"/></attribute>
          <zeroOrMore><choice><text/><ref name="anyElement"/></choice></zeroOrMore>
        </group>
        <group>
          <optional><attribute name="type"><ref name="atomMediaType"/></attribute></optional>
          <attribute name="src"><ref name="atomUri"/></attribute>
          <empty/>
        </group>
      </choice>
    </element>
  </define>
  <define name="atomAuthor"><element name="author"><ref name="atomPersonConstruct"/></element></define>
  <define name="atomContributor"><element name="contributor"><ref name="atomPersonConstruct"/></element></define>
  <define name="atomCategory">
    <element name="category">
      <ref name="atomCommonAttributes"/>
      <attribute name="term"><text/></attribute>
      <optional><attribute name="scheme"><ref name="atomUri"/></attribute></optional>
      <optional><attribute name="label"><text/></attribute></optional>
      <ref name="undefinedContent"/>
    </element>
  </define>
  <define name="atomGenerator">
    <element name="generator">
      <ref name="atomCommonAttributes"/>
      <optional><attribute name="uri"><ref name="atomUri"/></attribute></optional>
      <optional><attribute name="version"><text/></attribute></optional>
      <text/>
    </element>
  </define>
  <define name="atomIcon"><element name="icon"><ref name="atomCommonAttributes"/><ref name="atomUri"/></element></define>
  <define name="atomId"><element name="id"><ref name="atomCommonAttributes"/><ref name="atomUri"/></element></define>
  <define name="atomLogo"><element name="logo"><ref name="atomCommonAttributes"/><ref name="atomUri"/></element></define>
  <define name="atomLink">
    <element name="link">
      <ref name="atomCommonAttributes"/>
      <attribute name="href"><ref name="atomUri"/></attribute>
      <optional><attribute name="rel"><choice><ref name="atomNCName"/><ref name="atomUri"/></choice></attribute></optional>
      <optional><attribute name="type"><ref name="atomMediaType"/></attribute></optional>
      <optional><attribute name="hreflang"><ref name="atomLanguageTag"/></attribute></optional>
      <optional><attribute name="title"><text/></attribute></optional>
      <optional><attribute name="length"><text/></attribute></optional>
      <ref name="undefinedContent"/>
    </element>
  </define>
  <define name="atomPublished"><element name="published"><ref name="atomDateConstruct"/></element></define>
  <define name="atomRights"><element name="rights"><ref name="atomTextConstruct"/></element></define>
  <define name="atomSubtitle"><element name="subtitle"><ref name="atomTextConstruct"/></element></define>
  <define name="atomSummary"><element name="summary"><ref name="atomTextConstruct"/></element></define>
  <define name="atomTitle"><element name="title"><ref name="atomTextConstruct"/></element></define>
  <define name="atomUpdated"><element name="updated"><ref name="atomDateConstruct"/></element></define>
  <define name="atomEmailAddress"><data type="string"><param name="pattern">.+@.+</param></data></define>
  <define name="atomLanguageTag"><data type="string"><param name="pattern">[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*</param></data></define>
  <define name="atomMediaType"><data type="string"><param name="pattern">.+/.+</param></data></define>
  <define name="atomNCName"><data type="string"><param name="minLength">1</param><param name="pattern">[^:]*</param></data></define>
  <define name="atomUri"><text/></define>
  <define name="undefinedAttribute">
    <attribute>
      <anyName>
        <except>
          <name ns="http://www.w3.org/XML/1998/namespace">base</name>
          <name ns="http://www.w3.org/XML/1998/namespace">lang</name>
          <nsName ns=""/>
        </except>
      </anyName>
      <text/>
    </attribute>
  </define>
  <define name="undefinedContent">
    <zeroOrMore><choice><text/><ref name="anyForeignElement"/></choice></zeroOrMore>
  </define>
  <define name="extensionElement">
    <element>
      <anyName><except><nsName/></except></anyName>
      <zeroOrMore><choice><attribute><anyName/></attribute><text/><ref name="anyElement"/></choice></zeroOrMore>
    </element>
  </define>
  <define name="anyElement">
    <element>
      <anyName/>
      <zeroOrMore><choice><attribute><anyName/></attribute><text/><ref name="anyElement"/></choice></zeroOrMore>
    </element>
  </define>
  <define name="anyForeignElement">
    <element>
      <anyName><except><nsName/></except></anyName>
      <zeroOrMore><choice><attribute><anyName/></attribute><text/><ref name="anyElement"/></choice></zeroOrMore>
    </element>
  </define>
  <define name="xhtmlDiv">
    <element>
      <name ns="http://www.w3.org/1999/xhtml">div</name>
      <zeroOrMore><choice><attribute><anyName/></attribute><text/><ref name="anyElement"/></choice></zeroOrMore>
    </element>
  </define>
</grammar>
"#;

/// Validates with `xmllint --relaxng`; Err carries xmllint's complaint.
fn xmllint(dir: &Path, name: &str, xml: &str) -> Result<(), String> {
    let schema = dir.join("atom.rng");
    std::fs::write(&schema, ATOM_RNG).unwrap();
    let doc = dir.join(name);
    std::fs::write(&doc, xml).unwrap();
    let out =
        Command::new("xmllint").arg("--noout").arg("--relaxng").arg(&schema).arg(&doc).output().unwrap_or_else(|e| {
            panic!("xmllint could not run ({e}): install Debian's libxml2-utils (scripts/test.sh does)")
        });
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
}

#[tokio::test]
async fn the_atom_feeds_validate_against_the_rfc_4287_schema() {
    let f = fixture();
    let options =
        WebOptions { token: None, base_url: Some("https://redline.example/".into()), ..WebOptions::default() };
    let base = start(Arc::clone(&f.store), options).await;
    let dir = tempfile::tempdir().unwrap();
    // The schema is no rubber stamp: a feed without its id fails.
    let broken =
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><updated>2026-01-01T00:00:00Z</updated></feed>";
    assert!(xmllint(dir.path(), "broken.xml", broken).is_err(), "the schema accepted a feed without <id>");
    let bad_date =
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><id>urn:x</id><title>t</title><updated>yesterday</updated></feed>";
    assert!(xmllint(dir.path(), "date.xml", bad_date).is_err(), "the schema accepted a bad date");

    for (name, path, entries) in [
        ("all.xml", "/feed.atom", 3),
        ("watch.xml", "/watches/1/feed.atom", 3),
        ("kind.xml", "/feed.atom?kind=correction", 0),
    ] {
        let a = get(&format!("{base}{path}")).await;
        assert_eq!(a.status, 200, "{path}");
        assert_eq!(a.headers["content-type"], "application/atom+xml; charset=utf-8");
        if let Err(e) = xmllint(dir.path(), name, &a.body) {
            panic!("{path} is not valid Atom:\n{e}\n{}", a.body);
        }
        // The schematron rules of RFC 4287 and what feed readers rely on.
        let feed =
            feed_rs::parser::parse(a.body.as_bytes()).unwrap_or_else(|e| panic!("{path}: feed-rs refused it: {e}"));
        assert_eq!(feed.entries.len(), entries, "{path}");
        assert!(!feed.authors.is_empty(), "atom:feed without atom:author needs one in every entry");
        assert!(feed.id.starts_with("https://redline.example/"), "{}", feed.id);
        let mut ids = std::collections::HashSet::new();
        for e in &feed.entries {
            assert!(ids.insert(e.id.clone()), "duplicate entry id {}", e.id);
            assert!(url::Url::parse(&e.id).is_ok(), "entry id is not an absolute IRI: {}", e.id);
            let alternates: Vec<_> = e.links.iter().filter(|l| l.rel.as_deref() == Some("alternate")).collect();
            assert_eq!(alternates.len(), 1, "one alternate link per entry");
            assert!(alternates[0].href.starts_with("https://redline.example/articles/"), "{}", alternates[0].href);
            assert!(e.content.is_some() || e.summary.is_some());
        }
    }
    // The markup article's headline travels as text, escaped once, and reads back intact.
    let all = get(&format!("{base}/feed.atom")).await.body;
    let feed = feed_rs::parser::parse(all.as_bytes()).unwrap();
    let markup = feed.entries.iter().find(|e| e.title.as_ref().is_some_and(|t| t.content.contains("pwned"))).unwrap();
    assert!(markup.title.as_ref().unwrap().content.starts_with(XSS_TITLE), "{:?}", markup.title);
    assert!(!all.contains("<script"), "{all}");
}

#[tokio::test]
async fn any_two_versions_compare_on_the_page_and_in_the_api() {
    let f = fixture();
    let base = start_open(Arc::clone(&f.store)).await;
    let a = f.vote;
    // First → latest: the headline, the added paragraphs and the number, in one redline.
    let page = get(&format!("{base}/articles/{a}/compare?from=1&to=3")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for want in [
        "What changed from version 1 to version 3",
        "<del>Council slashes library budget</del><br><ins>Council trims library budget</ins>",
        "<del>5</del>",
        "<ins>6</ins>",
        "<ins>Librarians said they would protest outside City Hall on Friday.</ins>",
        "<aside class=\"notice\">",
        "id=\"edit-1\" tabindex=\"0\"",
        "<nav class=\"edits\" aria-label=\"Edits in the text\">",
        "<option value=\"1\" selected>",
        "<option value=\"3\" selected>",
    ] {
        assert!(page.body.contains(want), "no {want} in the compare page: {}", page.body);
    }
    let side = get(&format!("{base}/articles/{a}/compare?from=1&to=3&view=side")).await;
    assert!(side.body.contains("<table class=\"side\">") && side.body.contains("<th>Version 3</th>"), "{}", side.body);
    // The defaults are the whole arc; the pair the daemon recorded gives the daemon's change.
    let whole = get(&format!("{base}/articles/{a}/compare")).await;
    assert!(whole.body.contains("What changed from version 1 to version 3"));
    let api = json(&get(&format!("{base}/api/articles/{a}/compare?from=2&to=3")).await);
    let recorded = json(&get(&format!("{base}/api/changes/2")).await);
    assert_eq!((api["from_version"].as_i64(), api["to_version"].as_i64()), (Some(2), Some(3)));
    for key in ["kinds", "significance", "summary", "added", "removed", "diff"] {
        assert_eq!(api[key], recorded[key], "{key}");
    }
    let arc = json(&get(&format!("{base}/api/articles/{a}/compare?from=1&to=3")).await);
    let kinds: Vec<&str> = arc["kinds"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
    assert!(kinds.contains(&"headline") && kinds.contains(&"editors_note") && kinds.contains(&"fact"), "{kinds:?}");
    assert_eq!(arc["html_url"], format!("/articles/{a}/compare?from=1&to=3"));
    // Backwards is a change too; the same version twice is none.
    let back = json(&get(&format!("{base}/api/articles/{a}/compare?from=3&to=1")).await);
    assert!(back["removed"].as_array().unwrap().iter().any(|s| s.as_str().unwrap().starts_with("Librarians")));
    assert_eq!(json(&get(&format!("{base}/api/articles/{a}/compare?from=2&to=2")).await)["changed"], false);
    // Bad pairs are clear errors.
    let missing = get(&format!("{base}/api/articles/{a}/compare?from=1&to=9")).await;
    assert_eq!(missing.status, 404);
    assert!(json(&missing)["error"].as_str().unwrap().contains("no version 9 (it has 3)"), "{}", missing.body);
    assert_eq!(get(&format!("{base}/articles/{a}/compare?from=one")).await.status, 400);
    assert_eq!(get(&format!("{base}/articles/999/compare")).await.status, 404);
    // Markup in article text stays text in the compared redline too.
    let x = get(&format!("{base}/articles/{}/compare?from=1&to=2", f.xss)).await;
    assert!(!x.body.to_ascii_lowercase().contains("<script") && x.body.contains("&lt;script&gt;"), "{}", x.body);
}

#[tokio::test]
async fn the_article_page_draws_the_arc_and_lists_the_headlines() {
    let f = fixture();
    let base = start_open(Arc::clone(&f.store)).await;
    let page = get(&format!("{base}/articles/{}", f.vote)).await;
    assert_eq!(page.body.matches("<a class=\"mark ").count(), 3, "{}", page.body);
    assert!(page.body.contains("<a class=\"mark kind-headline\""), "{}", page.body);
    assert!(page.body.contains("<q>Council slashes library budget</q> <span class=\"meta\">v1,"), "{}", page.body);
    assert!(page.body.contains("<q>Council trims library budget</q> <span class=\"meta\">v2–v3,"), "{}", page.body);
    assert!(page.body.contains(&format!("action=\"/articles/{}/compare\"", f.vote)));
}

#[tokio::test]
async fn since_limits_the_list_and_the_feed_and_the_browser_remembers_the_visit() {
    let f = fixture();
    let base = start_open(Arc::clone(&f.store)).await;
    // The vote story's changes are at +3600 and +7200, the markup story's at 1_790_103_600.
    let since = 1_790_050_000;
    let listed = json(&get(&format!("{base}/api/changes?since={since}")).await);
    assert_eq!(listed["changes"].as_array().unwrap().len(), 1);
    let feed = get(&format!("{base}/feed.atom?since={since}")).await;
    assert_eq!(feed.body.matches("<entry>").count(), 1, "{}", feed.body);
    assert_eq!(get(&format!("{base}/feed.atom")).await.body.matches("<entry>").count(), 3);
    // First visit: nothing is marked, and the visit is remembered.
    let first = get(&format!("{base}/")).await;
    assert!(!first.body.contains("new-badge"));
    let cookie = first.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("redline_seen=") && cookie.contains("HttpOnly"), "{cookie}");
    // A browser that last looked at `since` sees the one newer change marked, and a link to only those.
    let back =
        send(reqwest::Client::new().get(format!("{base}/")).header("cookie", format!("redline_seen={since}"))).await;
    assert_eq!(back.body.matches("<span class=\"new-badge\">new</span>").count(), 1, "{}", back.body);
    assert!(back.body.contains(&format!("href=\"/?since={since}\"")), "{}", back.body);
    assert!(back.body.contains("1 new on this page"));
}

/// The CSRF cookie and field of a page with forms.
async fn csrf_of(client: &reqwest::Client, url: &str) -> (String, String) {
    let page = client.get(url).send().await.unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let body = page.text().await.unwrap();
    let at = body.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    (cookie, body[at..at + 32].to_string())
}

#[tokio::test]
async fn watches_are_added_edited_paused_and_removed_through_the_page_forms() {
    let f = fixture();
    let base = start(Arc::clone(&f.store), WebOptions::default()).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let (cookie, token) = csrf_of(&client, &format!("{base}/watches")).await;
    let post = |path: &str, body: String| {
        client
            .post(format!("{base}{path}"))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };
    // A bad value: the config's message, the form kept.
    let bad = send(post(
        "/watches",
        format!("csrf={token}&kind=article&url=https%3A%2F%2Fo.example%2Fa&every=soon&body_selector=main"),
    ))
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("key `every`: &quot;soon&quot; is not a duration"), "{}", bad.body);
    assert!(bad.body.contains("value=\"main\""), "the form keeps what was typed");
    // Added: a redirect to its page, due now.
    let added = send(post(
        "/watches",
        format!("csrf={token}&kind=feed&url=https%3A%2F%2Fo.example%2Frss.xml&every=15m&name=Other"),
    ))
    .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let location = added.headers["location"].to_str().unwrap().to_string();
    let id: i64 = location.trim_start_matches("/watches/").split('?').next().unwrap().parse().unwrap();
    let w = json(&get(&format!("{base}/api/watches/{id}")).await);
    assert_eq!((w["watch"]["kind"].as_str(), w["watch"]["schedule"].as_str()), (Some("feed"), Some("every 15m")));
    // Edited: schedule, ignore patterns and alert rules, read back into the form.
    let edited = send(post(
        &format!("/watches/{id}/edit"),
        format!("csrf={token}&cron=0+*%2F5+*+*+*+*&ignore=%5Cd%2B+minutes+ago&alert_kinds=correction&alert_min_significance=0.3"),
    ))
    .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    let page = get(&format!("{base}/watches/{id}")).await;
    assert!(
        page.body.contains("cron 0 */5 * * * *") && page.body.contains(">\\d+ minutes ago</textarea>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"correction\" checked"), "{}", page.body);
    let refused = send(post(&format!("/watches/{id}/edit"), format!("csrf={token}&ignore=%28"))).await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("key `ignore`: &quot;(&quot; is not a valid regular expression"), "{}", refused.body);
    // The API edits through the same builder, with the same message.
    let api = send(
        reqwest::Client::new()
            .post(format!("{base}/api/watches/{id}/edit"))
            .header("content-type", "application/json")
            .body(r#"{"ignore": ["("]}"#),
    )
    .await;
    assert_eq!(api.status, 403, "API writes still need a token set: {}", api.body);
    // Paused and resumed.
    assert_eq!(send(post(&format!("/watches/{id}/pause"), format!("csrf={token}"))).await.status, 303);
    assert_eq!(json(&get(&format!("{base}/api/watches/{id}")).await)["watch"]["enabled"], false);
    assert!(get(&format!("{base}/watches/{id}")).await.body.contains("id=\"resume\""));
    assert_eq!(send(post(&format!("/watches/{id}/resume"), format!("csrf={token}"))).await.status, 303);
    assert_eq!(json(&get(&format!("{base}/api/watches/{id}")).await)["watch"]["enabled"], true);
    // The config's watch stays the config's.
    let config = send(post("/watches/1/pause", format!("csrf={token}"))).await;
    assert_eq!(config.status, 409);
    // Without the token, with another browser's token, from another site: refused, nothing changed.
    for (body, origin) in [
        (String::new(), None),
        ("csrf=0123456789abcdef0123456789abcdef".to_string(), None),
        (format!("csrf={token}"), Some("http://evil.example")),
    ] {
        let mut r = post(&format!("/watches/{id}/remove"), body);
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        let refused = send(r).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
    }
    assert_eq!(json(&get(&format!("{base}/api/watches/{id}")).await)["watch"]["removed"], false);
    assert_eq!(send(post(&format!("/watches/{id}/remove"), format!("csrf={token}"))).await.status, 303);
    assert_eq!(get(&format!("{base}/api/watches/{id}")).await.status, 404, "nothing was recorded: deleted");
}

#[tokio::test]
async fn with_a_token_the_forms_need_it_too_and_the_api_edits_alike() {
    let f = fixture();
    let base = start_open(Arc::clone(&f.store)).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let (cookie, token) = csrf_of(&client, &format!("{base}/watches")).await;
    let form = format!("csrf={token}&kind=article&url=https%3A%2F%2Fo.example%2Fa");
    let post = || {
        client
            .post(format!("{base}/watches"))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone())
    };
    let challenged = send(post()).await;
    assert_eq!(challenged.status, 401);
    assert!(challenged.headers["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    let added = send(post().basic_auth("me", Some(TOKEN))).await;
    assert_eq!(added.status, 303, "{}", added.body);
    let id = json(&get(&format!("{base}/api/watches")).await)["watches"][1]["id"].as_i64().unwrap();
    let edit = |body: &'static str| {
        client
            .post(format!("{base}/api/watches/{id}/edit"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
    };
    let bad = send(edit(r#"{"ignore": ["("]}"#)).await;
    assert_eq!(bad.status, 400);
    assert!(
        json(&bad)["error"].as_str().unwrap().starts_with("key `ignore`: \"(\" is not a valid regular expression"),
        "{}",
        bad.body
    );
    let good = json(&send(edit(r#"{"every": "1h", "body_selector": "main"}"#)).await);
    assert_eq!(good["watch"]["schedule"], "every 1h");
    assert_eq!(send(edit(r#"{"url": "https://elsewhere.example/"}"#)).await.status, 400);
}

/// The colours of a card's removed and added runs (src/card/svg.rs).
const CARD_DEL_BACK: [u8; 3] = [0xfc, 0xdc, 0xdc];
const CARD_INS_BACK: [u8; 3] = [0xd3, 0xf2, 0xda];

#[tokio::test]
async fn a_change_card_is_served_as_png_and_shown_on_the_change_page() {
    let f = fixture();
    let base = start_open(Arc::clone(&f.store)).await;
    // Version 3 of the vote story: "5 to 4" became "6 to 3".
    let change = f.store.changes(f.vote).unwrap().into_iter().find(|c| c.to_number == 3).unwrap().id;
    let r = reqwest::get(format!("{base}/changes/{change}.png")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    let png = r.bytes().await.unwrap();
    let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap().to_rgb8();
    assert_eq!(img.width(), 1200);
    assert!(img.height() >= 400 && img.height() <= 2000, "{}", img.height());
    let count = |c: [u8; 3]| img.pixels().filter(|p| p.0 == c).count();
    assert!(
        count(CARD_DEL_BACK) > 1000 && count(CARD_INS_BACK) > 1000,
        "{} {}",
        count(CARD_DEL_BACK),
        count(CARD_INS_BACK)
    );

    // The version page shows it, with alt text that says what changed.
    let page = get(&format!("{base}/articles/{}/versions/3", f.vote)).await.body;
    let img_tag =
        format!("<img class=\"change-card\" src=\"/changes/{change}.png\" width=\"1200\" height=\"{}\"", img.height());
    assert!(page.contains(&img_tag), "{page}");
    assert!(page.contains("alt=\"Edit of an article on news.example: Council trims library budget."), "{page}");
    assert!(page.contains("Removed: “5") && page.contains("Added: “6"), "{page}");
    // The markup story's card alt text is escaped like the rest of the page.
    let xss = get(&format!("{base}/articles/{}/versions/2", f.xss)).await.body;
    assert!(xss.contains("Added: “A reader posted &lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;"), "{xss}");

    assert_eq!(get(&format!("{base}/changes/999999.png")).await.status, 404);
    assert_eq!(get(&format!("{base}/changes/abc.png")).await.status, 400);
    assert_eq!(get(&format!("{base}/changes/abc")).await.status, 400);
}
