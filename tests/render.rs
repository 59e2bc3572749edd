//! `render = "browser"` end to end: the real `redline run --once` renders pages
//! built by scripts in Debian's headless Chromium, against a local site on
//! 127.0.0.1 (`[fetch] allow_private = true` for the site itself).
//!
//! - an article whose body a script fills in from `/api/story.json` is
//!   extracted, and after the JSON changes its edit is one recorded change;
//! - a consent dialog that replaces the article until `button#accept` is
//!   clicked is clicked away (an absent selector before it is skipped);
//! - a request of the page that robots.txt disallows never reaches the site;
//! - `[browser] path` pointing nowhere is a recorded, explanatory failure of
//!   the browser watch while a plain HTTP watch beside it works;
//! - no Chromium process and no profile folder is left once the daemon exits.
//!
//! Needs `/usr/bin/chromium` (Debian package chromium; `scripts/test.sh` installs it).
//! Missing, the test fails and says so; it never skips.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use redline::config::{BrowserConfig, BrowserSteps, FetchConfig};
use redline::fetch::browser::BrowserPool;
use redline::schedule::polite::Polite;
use redline::store::{Store, Table};

const PARAGRAPHS: [&str; 4] = [
    "The city council voted on Tuesday night to close the harbour bridge for eighteen months of repairs, after engineers found corrosion in three of its main cables.",
    "Drivers will be sent over the northern ring road, which officials expect to carry an extra twenty thousand cars a day while the work goes on.",
    "The mayor said the decision had been difficult but unavoidable, and promised a free shuttle bus for commuters who walk or cycle across the bridge today.",
    "Shop owners on the waterfront warned that the closure could cost them a third of their trade, and asked the council for help with their rents.",
];

/// The site: pages, the JSON their scripts read, and what was asked of it.
#[derive(Clone)]
struct Site {
    story: Arc<Mutex<serde_json::Value>>,
    hits: Arc<Mutex<Vec<String>>>,
    tracker_hits: Arc<AtomicUsize>,
}

const SHELL: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>City News</title></head>
<body><nav><a href="/">Home</a> <a href="/city">City</a></nav>
<main id="app"><p class="loading">Loading…</p></main>
<script>
fetch('/api/story.json').then(r => r.json()).then(story => {
  document.title = story.title;
  const article = document.createElement('article');
  article.innerHTML = '<h1></h1><p class="byline"></p>';
  article.querySelector('h1').textContent = story.title;
  article.querySelector('.byline').textContent = 'By ' + story.author;
  for (const text of story.paragraphs) {
    const p = document.createElement('p');
    p.textContent = text;
    article.appendChild(p);
  }
  document.getElementById('app').replaceChildren(article);
  // A beacon robots.txt forbids: if it got through, its answer would show in the article.
  fetch('/tracker/beacon.json').then(r => r.text()).then(t => {
    const p = document.createElement('p');
    p.textContent = 'Tracker answered: ' + t + ' and this sentence is long enough to be kept as text.';
    article.appendChild(p);
  }).catch(() => {});
});
</script></body></html>"#;

const CONSENT: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>City News</title></head>
<body><main id="app"><div id="consent" role="dialog"><h2>We value your privacy</h2>
<p>We and our 312 partners use cookies to store and access information on your device. Accept all to continue reading.</p>
<button id="reject">Manage options</button> <button id="accept">Accept all</button></div></main>
<script>
document.getElementById('accept').addEventListener('click', () => {
  fetch('/api/story.json').then(r => r.json()).then(story => {
    const article = document.createElement('article');
    article.innerHTML = '<h1></h1>';
    article.querySelector('h1').textContent = story.title + ' (consented)';
    for (const text of story.paragraphs) {
      const p = document.createElement('p');
      p.textContent = text;
      article.appendChild(p);
    }
    document.getElementById('app').replaceChildren(article);
  });
});
</script></body></html>"#;

const PLAIN: &str = r#"<!doctype html><html><head><title>Plain story</title></head><body><article><h1>Plain story</h1>
<p>This page needs no script at all: its paragraphs are in the HTML that the server sends to every reader.</p>
<p>It is checked over plain HTTP while the browser watch beside it cannot start its browser at all.</p>
</article></body></html>"#;

async fn serve(State(site): State<Site>, uri: Uri) -> Response {
    let path = uri.path().to_string();
    site.hits.lock().unwrap().push(path.clone());
    let html = |body: &'static str| ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    match path.as_str() {
        "/robots.txt" => "User-agent: *\nDisallow: /tracker/\n".into_response(),
        "/story" => html(SHELL),
        "/consent" => html(CONSENT),
        "/plain" => html(PLAIN),
        "/api/story.json" => axum::Json(site.story.lock().unwrap().clone()).into_response(),
        p if p.starts_with("/tracker/") => {
            site.tracker_hits.fetch_add(1, Ordering::SeqCst);
            "LEAKED".into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn start_site() -> (String, Site) {
    let site = Site {
        story: Arc::new(Mutex::new(serde_json::json!({
            "title": "Harbour bridge to close for repairs",
            "author": "Ana Ruiz",
            "paragraphs": PARAGRAPHS,
        }))),
        hits: Arc::default(),
        tracker_hits: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(serve).with_state(site.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, site)
}

fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "{} not found: the render tests need Debian's chromium package (run scripts/test.sh, or `apt-get install -y chromium`), or set CHROMIUM",
        path.display()
    );
    path
}

fn write_config(dir: &Path, browser: &str, watches: &str) -> PathBuf {
    let storage = format!("[storage]\npath = {:?}\n", dir.join("redline.db").display().to_string());
    let fetch = "[fetch]\nallow_private = true\nper_host_delay = \"0s\"\n";
    let sections = [storage.as_str(), "[web]\nenabled = false\n", fetch, &format!("[browser]\n{browser}\n"), watches];
    let path = dir.join("redline.toml");
    std::fs::write(&path, sections.join("\n")).unwrap();
    path
}

/// Runs `redline run --once` with a marker in its environment (inherited by every
/// process it starts) and its temporary folder in `dir`; returns stdout and stderr.
async fn run_once(config: &Path, marker: &str, tmp: &Path) -> (String, String) {
    let (config, marker, tmp) = (config.to_path_buf(), marker.to_string(), tmp.to_path_buf());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_redline"))
            .args(["--config", config.to_str().unwrap(), "run", "--once"])
            .env("REDLINE_RENDER_TEST", &marker)
            .env("TMPDIR", &tmp)
            .env("RUST_LOG", "redline=info")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string());
    assert!(out.status.success(), "run --once failed: {stdout}\n{stderr}");
    (stdout, stderr)
}

/// Processes still running (not zombies) whose environment carries `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let needle = format!("REDLINE_RENDER_TEST={marker}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else { continue };
        if environ.split(|b| *b == 0).any(|v| v == needle.as_bytes()) {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z'));
            if !zombie {
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                found.push(format!("{pid}: {}", String::from_utf8_lossy(&cmdline).replace('\0', " ")));
            }
        }
    }
    found
}

fn assert_nothing_left(marker: &str, tmp: &Path) {
    let left = processes_with(marker);
    assert!(left.is_empty(), "processes left after the daemon exited: {left:#?}");
    let profiles: Vec<_> = std::fs::read_dir(tmp)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("redline-chromium-"))
        .collect();
    assert!(profiles.is_empty(), "browser profiles left in {}: {profiles:?}", tmp.display());
}

fn latest_text(store: &Store, url: &str) -> (String, String) {
    let article = store.article_by_url(url).unwrap().unwrap_or_else(|| panic!("{url} not stored"));
    let version = store.latest_version(article.id).unwrap().unwrap_or_else(|| {
        panic!("{url}: no version; last error: {:?}", article.last_error);
    });
    let text = version.article.text();
    (version.article.title.unwrap_or_default(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_built_pages_are_rendered_clicked_and_guarded() {
    let path = chromium();
    let (base, site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let (story, consent) = (format!("{base}/story"), format!("{base}/consent"));
    let watches = format!(
        "[[watch]]\nurl = {story:?}\nrender = \"browser\"\n\n[[watch]]\nurl = {consent:?}\nrender = \"browser\"\nclick = [\"button#not-there\", \"button#accept\"]\nwait_for = \"article p\"\nscreenshot = true\n"
    );
    let config = write_config(
        dir.path(),
        &format!("path = {:?}\ntabs = 2\ntimeout = \"20s\"", path.display().to_string()),
        &watches,
    );
    let marker = format!("render-{}", std::process::id());

    let (stdout, stderr) = run_once(&config, &marker, &tmp).await;
    assert!(stdout.contains("checked 2 articles: 2 new, 0 changed, 0 failed"), "{stdout}\n{stderr}");
    assert_nothing_left(&marker, &tmp);
    let store = Store::open(&dir.path().join("redline.db")).unwrap();

    // The script's article, not the shell's "Loading…".
    let (title, text) = latest_text(&store, &story);
    assert_eq!(title, "Harbour bridge to close for repairs");
    for p in PARAGRAPHS {
        assert!(text.contains(p), "missing {p:?} in {text:?}");
    }
    assert!(!text.contains("Loading"), "{text}");
    // robots.txt forbids /tracker/: the browser's request was refused before it left.
    assert!(!text.contains("Tracker answered"), "{text}");
    assert_eq!(site.tracker_hits.load(Ordering::SeqCst), 0, "hits: {:?}", site.hits.lock().unwrap());
    assert!(stderr.contains("Requests of the page refused") && stderr.contains("/tracker/beacon.json"), "{stderr}");

    // The consent dialog was clicked away: the article, not the wall.
    let (title, text) = latest_text(&store, &consent);
    assert_eq!(title, "Harbour bridge to close for repairs (consented)");
    assert!(text.contains(PARAGRAPHS[2]), "{text}");
    assert!(!text.contains("We value your privacy") && !text.contains("312 partners"), "{text}");

    // The newsroom edits the story through its JSON: one change, on each page that shows it.
    let added = "Late on Tuesday the council added that the bridge would reopen to pedestrians after six months.";
    site.story.lock().unwrap()["paragraphs"].as_array_mut().unwrap().push(added.into());
    let (stdout, stderr) = run_once(&config, &marker, &tmp).await;
    assert!(stdout.contains("checked 2 articles: 0 new, 2 changed, 0 failed"), "{stdout}\n{stderr}");
    assert_nothing_left(&marker, &tmp);
    for url in [&story, &consent] {
        let article = store.article_by_url(url).unwrap().unwrap();
        let changes = store.changes(article.id).unwrap();
        assert_eq!(changes.len(), 1, "{url}: {changes:?}");
        assert!(changes[0].change.added.iter().any(|s| s.contains("reopen to pedestrians")), "{:?}", changes[0].change);
        assert!(changes[0].change.removed.is_empty(), "{:?}", changes[0].change);
    }

    // The watch with `screenshot = true` keeps a PNG per stored version, and the other none.
    let consent_id = store.article_by_url(&consent).unwrap().unwrap().id;
    for number in [1, 2] {
        let info = store.screenshot_info(consent_id, number).unwrap().expect("a screenshot per version");
        let png = store.screenshot_png(consent_id, number).unwrap().unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() as i64 == info.bytes, "version {number}");
        assert!(info.width > 0 && info.height > 0);
    }
    let story_id = store.article_by_url(&story).unwrap().unwrap().id;
    assert!(store.screenshot_info(story_id, 1).unwrap().is_none(), "no screenshot where none was asked for");

    // Nothing moved: nothing recorded.
    let (stdout, _) = run_once(&config, &marker, &tmp).await;
    assert!(stdout.contains("0 new, 0 changed, 0 failed"), "{stdout}");
    assert_eq!(store.count(Table::Changes).unwrap(), 2);
    assert_eq!(site.tracker_hits.load(Ordering::SeqCst), 0);
    assert_nothing_left(&marker, &tmp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_chromium_the_browser_watch_fails_clearly_and_the_rest_works() {
    let (base, _site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    let (story, plain) = (format!("{base}/story"), format!("{base}/plain"));
    let watches = format!("[[watch]]\nurl = {story:?}\nrender = \"browser\"\n\n[[watch]]\nurl = {plain:?}\n");
    let config = write_config(dir.path(), "path = \"/nowhere/chromium\"", &watches);
    let (stdout, _) = run_once(&config, &format!("missing-{}", std::process::id()), dir.path()).await;
    assert!(stdout.contains("checked 2 articles: 1 new, 0 changed, 1 failed"), "{stdout}");
    let store = Store::open(&dir.path().join("redline.db")).unwrap();
    let failed = store.article_by_url(&story).unwrap().unwrap();
    let error = failed.last_error.unwrap_or_default();
    assert!(error.starts_with("no Chromium found at /nowhere/chromium"), "{error}");
    assert!(error.contains("apt install chromium") && error.contains("[browser] path"), "{error}");
    assert_eq!(latest_text(&store, &plain).0, "Plain story");
}

/// The library's API: the page's bytes as a PNG beside the DOM, and the refused requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_returns_the_screenshot_and_the_refused_requests() {
    let path = chromium();
    let (base, _site) = start_site().await;
    let fetch =
        FetchConfig { allow_private: true, per_host_delay: std::time::Duration::ZERO, ..FetchConfig::default() };
    let polite = Polite::new(&fetch).unwrap();
    let pool = BrowserPool::new(&BrowserConfig { path: Some(path), ..BrowserConfig::default() }, &fetch);
    let steps = BrowserSteps { wait_for: Some("article p".into()), click: vec![], screenshot: true };
    let page = pool.render(&polite, &format!("{base}/story"), None, &steps).await.unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.final_url, format!("{base}/story"));
    assert!(page.html.contains(PARAGRAPHS[0]), "{}", page.html);
    let png = page.screenshot.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000, "{} bytes", png.len());
    assert!(
        page.blocked.iter().any(|b| b.url.ends_with("/tracker/beacon.json") && b.reason.contains("robots.txt")),
        "{:?}",
        page.blocked
    );
    assert!(pool.peak_memory() > 0);
    let missing = pool.render(&polite, &format!("{base}/missing"), None, &BrowserSteps::default()).await.unwrap_err();
    assert_eq!(missing.to_string(), "HTTP 404");
    pool.shutdown().await;
    assert_eq!(pool.memory().await, 0);
}

/// Answers 401 unless the request carries the watch's key and session cookie.
async fn gated(headers: axum::http::HeaderMap, uri: Uri) -> Response {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if get("x-api-key") != "k-123" || !get("cookie").split("; ").any(|c| c == "session=s-456") {
        return (StatusCode::UNAUTHORIZED, "a key and a session, please").into_response();
    }
    match uri.path() {
        "/gated" => {
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], SHELL.replace("/api/story.json", "/api/gated.json"))
                .into_response()
        }
        "/api/gated.json" => axum::Json(serde_json::json!({
            "title": "Members learn the harbour bridge will close",
            "author": "Ana Ruiz",
            "paragraphs": PARAGRAPHS,
        }))
        .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_watch_sends_its_headers_and_cookies_with_the_page_and_its_requests() {
    let path = chromium();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/gated", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().fallback(gated)).await.unwrap() });
    let browser = format!("path = {:?}\ntabs = 1\ntimeout = \"20s\"", path.display().to_string());
    let marker = format!("gated-{}", std::process::id());
    for (settings, expected) in [
        ("headers = { \"X-Api-Key\" = \"k-123\" }\ncookies = { session = \"s-456\" }\n", "1 new, 0 changed, 0 failed"),
        ("", "0 new, 0 changed, 1 failed"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        let watch = format!("[[watch]]\nurl = {url:?}\nrender = \"browser\"\nwait_for = \"article p\"\n{settings}");
        let config = write_config(dir.path(), &browser, &watch);
        let (stdout, stderr) = run_once(&config, &marker, &tmp).await;
        assert!(stdout.contains(expected), "{settings:?}: {stdout}\n{stderr}");
        assert_nothing_left(&marker, &tmp);
        let store = Store::open(&dir.path().join("redline.db")).unwrap();
        if settings.is_empty() {
            let article = store.article_by_url(&url).unwrap().unwrap();
            assert_eq!(article.last_error.as_deref(), Some("HTTP 401"), "without the key and cookie");
        } else {
            // The script's own request for the JSON carried them too: its paragraphs are there.
            let (title, text) = latest_text(&store, &url);
            assert_eq!(title, "Members learn the harbour bridge will close");
            assert!(text.contains(PARAGRAPHS[1]), "{text}");
            assert!(!stderr.contains("k-123") && !stderr.contains("s-456"), "a secret in the log: {stderr}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_past_its_memory_bound_is_replaced() {
    let path = chromium();
    let (base, _site) = start_site().await;
    let fetch =
        FetchConfig { allow_private: true, per_host_delay: std::time::Duration::ZERO, ..FetchConfig::default() };
    let polite = Polite::new(&fetch).unwrap();
    // 1 MiB: any Chromium is past it after its first page.
    let config = BrowserConfig { path: Some(path), max_memory: 1 << 20, ..BrowserConfig::default() };
    let pool = BrowserPool::new(&config, &fetch);
    let steps = BrowserSteps { wait_for: Some("article p".into()), ..BrowserSteps::default() };
    let url = format!("{base}/story");
    let first = pool.render(&polite, &url, None, &steps).await.unwrap();
    assert!(first.html.contains(PARAGRAPHS[0]));
    assert_eq!(pool.restarts(), 1, "the browser over its bound is retired after the page");
    // The next page gets a new Chromium (retired again: it too is past 1 MiB).
    let second = pool.render(&polite, &url, None, &steps).await.unwrap();
    assert!(second.html.contains(PARAGRAPHS[0]));
    assert_eq!(pool.restarts(), 2);
    pool.shutdown().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while pool.memory().await > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(pool.memory().await, 0, "no Chromium left after shutdown");
}
