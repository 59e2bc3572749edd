//! The web UI in a real browser: Debian's headless Chromium driven through
//! chromedriver (W3C WebDriver, spoken here over `reqwest`), against a database the
//! real daemon filled by watching the simulated newsroom, plus one article whose
//! text carries `<script>` and `onerror=`.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian packages chromium
//! and chromium-driver; `scripts/test.sh` installs them). Missing, the test fails
//! and says so; it never skips. `CHROMEDRIVER` and `CHROMIUM` override the paths.
//! Screenshots go to `target/tmp/browser/` (`CARGO_TARGET_TMPDIR`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use redline::config::Config;
use redline::daemon::Daemon;
use redline::extract::Article;
use redline::newsroom::Newsroom;
use redline::store::{CheckDone, NewChange, NewSource, NewVersion, SourceKind, Store};
use redline::web::{WebOptions, WebState, serve};
use serde_json::{Value, json};

/// The W3C name of an element reference in WebDriver answers.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

fn binary(var: &str, default: &str, package: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.exists(),
        "{} not found: the browser tests need Debian's {package} package (run scripts/test.sh, which installs it, or `apt-get install -y chromium chromium-driver`), or set {var}",
        path.display()
    );
    path
}

/// chromedriver, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver() -> Driver {
    let exe = binary("CHROMEDRIVER", "/usr/bin/chromedriver", "chromium-driver");
    // A free port: bind, read, release (chromedriver binds it right after).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(&exe)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{} did not start: {e}", exe.display()));
    let driver = Driver { child, url: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("{}/status", driver.url)).await
            && let Ok(text) = r.text().await
            && serde_json::from_str::<Value>(&text).is_ok_and(|v| v["value"]["ready"] == true)
        {
            return driver;
        }
        assert!(Instant::now() < deadline, "chromedriver did not become ready on port {port} within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One WebDriver session: a headless Chromium with a fresh profile.
struct Browser {
    http: reqwest::Client,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn open(driver: &Driver) -> Browser {
        let chromium = binary("CHROMIUM", "/usr/bin/chromium", "chromium");
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=1200,1600".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let v = call(&http, reqwest::Method::POST, &format!("{}/session", driver.url), Some(caps)).await;
        let session = v["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {v}")).to_string();
        Browser { http, session: format!("{}/session/{session}", driver.url), _profile: profile }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        call(&self.http, method, &format!("{}{path}", self.session), body).await
    }

    async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    async fn find_all(&self, css: &str) -> Vec<String> {
        let v =
            self.cmd(reqwest::Method::POST, "/elements", Some(json!({"using": "css selector", "value": css}))).await;
        v.as_array()
            .unwrap_or_else(|| panic!("elements: {v}"))
            .iter()
            .map(|e| e[ELEMENT_KEY].as_str().unwrap_or_else(|| panic!("element reference: {e}")).to_string())
            .collect()
    }

    /// The first element matching `css`, waited for up to 5 s: a click's navigation may
    /// still be loading its page (seen with a form refused by the server).
    async fn find(&self, css: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let all = self.find_all(css).await;
            if let Some(first) = all.first() {
                return first.clone();
            }
            assert!(std::time::Instant::now() < deadline, "no element matches {css:?} on {}", self.url().await);
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    async fn text(&self, element: &str) -> String {
        let v = self.cmd(reqwest::Method::GET, &format!("/element/{element}/text"), None).await;
        v.as_str().unwrap().to_string()
    }

    async fn click(&self, element: &str) {
        self.cmd(reqwest::Method::POST, &format!("/element/{element}/click"), Some(json!({}))).await;
    }

    async fn url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or("").to_string()
    }

    async fn title(&self) -> String {
        self.cmd(reqwest::Method::GET, "/title", None).await.as_str().unwrap_or("").to_string()
    }

    async fn script(&self, js: &str) -> Value {
        self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": js, "args": []}))).await
    }

    /// An open alert dialog, if any (the W3C error "no such alert" means none).
    async fn alert_text(&self) -> Option<String> {
        let r = self.http.get(format!("{}/alert/text", self.session)).send().await.unwrap();
        let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        v["value"].as_str().map(str::to_string)
    }

    async fn screenshot(&self, path: &Path) {
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        std::fs::write(path, png).unwrap();
        println!("screenshot: {}", path.display());
    }

    /// Clicks `element` and waits until its page has gone (the element is stale), so that
    /// what is read next comes from the page the click led to.
    async fn click_and_leave(&self, element: &str) {
        self.click(element).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let url = format!("{}/element/{element}/name", self.session);
            let answer = self.http.get(&url).send().await.unwrap_or_else(|e| panic!("WebDriver GET {url}: {e}"));
            if !answer.status().is_success() {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "the click did not leave the page");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    async fn close(self) {
        let _ = self.http.delete(&self.session).send().await;
    }
}

async fn call(http: &reqwest::Client, method: reqwest::Method, url: &str, body: Option<Value>) -> Value {
    let mut r = http.request(method.clone(), url);
    if let Some(b) = body {
        r = r.header("content-type", "application/json").body(b.to_string());
    }
    let answer = r.send().await.unwrap_or_else(|e| panic!("WebDriver {method} {url}: {e}"));
    let status = answer.status();
    let text = answer.text().await.unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("WebDriver answered non-JSON ({e}): {text}"));
    assert!(status.is_success(), "WebDriver {method} {url} failed ({status}): {}", v["value"]);
    v["value"].clone()
}

/// Fills a database the way production does: the real daemon watching the newsroom's
/// feed, once before and once after the newsroom publishes its edits.
async fn daemon_database(dir: &Path, newsroom: &Newsroom) -> Arc<Store> {
    let db = dir.join("redline.db");
    let text = format!(
        "[storage]\npath = {:?}\n\n[fetch]\nallow_private = true\n\n[[watch]]\nfeed = {:?}\nevery = \"5m\"\nname = \"The Newsroom\"\n",
        db.display().to_string(),
        newsroom.feed_url()
    );
    let path = dir.join("redline.toml");
    std::fs::write(&path, &text).unwrap();
    // A fresh daemon per pass, as `redline run --once` from cron would be.
    let pass = || async {
        let config = Config::parse(&text, &path).unwrap();
        let daemon = Arc::new(Daemon::new(config).unwrap());
        daemon.run_once().await.unwrap()
    };
    let first = pass().await;
    assert!(first.new >= 6, "the first pass stores every story: {first:?}");
    let edits = newsroom.publish_all_edits();
    assert!(edits.len() >= 4, "the newsroom has edits to publish");
    newsroom.tick(3);
    let second = pass().await;
    assert!(second.changed >= edits.len(), "the second pass records every edit: {second:?}");
    Arc::new(Store::open(&db).unwrap())
}

const XSS_TITLE: &str = "<script>document.title='pwned'</script>Mayor <b>responds</b>";
const XSS_IMG: &str = "A sign read <img src=x onerror=\"document.title='pwned';alert('img')\"> outside.";
const XSS_SCRIPT: &str = "Someone wrote <script>alert('script');window.pwned=true</script> in the guestbook.";

/// An article whose text carries markup, recorded through the store like any other.
fn add_markup_article(store: &Store) -> i64 {
    let now = chrono::Utc::now().timestamp();
    let source = NewSource {
        kind: SourceKind::Article,
        url: "http://127.0.0.1:9/news/markup".into(),
        schedule: "every 1h".into(),
        rules: "{}".into(),
    };
    let source_id = store.add_source(&source, now).unwrap();
    let (id, _) = store.ensure_article(source_id, &source.url, now).unwrap();
    let v1 = Article { title: Some(XSS_TITLE.into()), paragraphs: vec![XSS_IMG.into()], ..Article::default() };
    let v2 = Article {
        title: Some(XSS_TITLE.into()),
        paragraphs: vec![XSS_IMG.into(), XSS_SCRIPT.into()],
        ..Article::default()
    };
    let raw =
        zstd::encode_all(format!("<html><script>alert('raw')</script><p>{XSS_IMG}</p></html>").as_bytes(), 3).unwrap();
    let done = CheckDone { at: now, next_check: now + 3600, etag: None, last_modified: None, body_hash: None };
    let nv = NewVersion {
        article_id: id,
        fetched_at: now,
        content_hash: "markup-1",
        article: &v1,
        raw_html_zstd: Some(raw.clone()),
        screenshot: None,
    };
    store.record_version(&nv, None, &done).unwrap();
    let change = redline::diff::compare(&v1, &v2);
    let nc = NewChange { change: &change, deliveries: vec![] };
    let nv = NewVersion {
        article_id: id,
        fetched_at: now + 1,
        content_hash: "markup-2",
        article: &v2,
        raw_html_zstd: Some(raw),
        screenshot: None,
    };
    store.record_version(&nv, Some(&nc), &done).unwrap();
    id
}

/// The web UI over a store on a free loopback port, stopped cleanly at the end.
struct Web {
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Web {
    async fn start(store: Arc<Store>) -> Web {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = WebState::new(store, WebOptions::default()).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Web { base, stop, server }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.server.await.unwrap().unwrap();
    }
}

fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_browses_changes_in_chromium_and_markup_stays_text() {
    let driver = start_driver().await;
    let newsroom = Newsroom::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = daemon_database(dir.path(), &newsroom).await;
    let markup = add_markup_article(&store);

    let web = Web::start(Arc::clone(&store)).await;
    let base = web.base.clone();
    let out = output_dir();
    let browser = Browser::open(&driver).await;

    // 1. Recent changes: every edit of the newsroom is listed.
    browser.goto(&format!("{base}/")).await;
    assert_eq!(browser.title().await, "Recent changes · Redline");
    let items = browser.find_all("ol.changes li.change").await;
    assert!(items.len() >= 5, "the newsroom's edits and the markup article are listed, got {}", items.len());
    browser.screenshot(&out.join("recent-changes.png")).await;

    // 2. Open the dockworkers change by its link: the added reactions are inside <ins>, the note is highlighted.
    let mut opened = false;
    for item in browser.find_all("ol.changes li.change a.title").await {
        if browser.text(&item).await.contains("ockworkers") {
            browser.click_and_leave(&item).await;
            opened = true;
            break;
        }
    }
    assert!(opened, "the dockworkers story is in the list");
    assert!(browser.url().await.contains("/versions/2"), "{}", browser.url().await);
    let inserted: Vec<String> = {
        let mut texts = Vec::new();
        for e in browser.find_all(".redline ins").await {
            texts.push(browser.text(&e).await);
        }
        texts
    };
    assert!(
        inserted.iter().any(|t| t.starts_with("Editor's note: This article was updated")),
        "the editor's note is inside <ins>: {inserted:?}"
    );
    assert!(inserted.len() >= 3, "the added reaction sentences are inside <ins>: {inserted:?}");
    let notice = browser.text(&browser.find("aside.notice").await).await;
    assert!(notice.contains("Editor's note"), "{notice}");
    browser.screenshot(&out.join("change.png")).await;

    // Readable on a phone: nothing wider than the screen.
    browser.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 390, "height": 844}))).await;
    let widths =
        browser.script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth];").await;
    let (scroll, client) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
    assert!(scroll <= client, "the change page scrolls sideways on a phone: {scroll} px of content in {client} px");
    browser.screenshot(&out.join("change-phone.png")).await;
    browser.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 1200, "height": 1600}))).await;

    // The same change side by side.
    let side = browser.find(".views a").await;
    browser.click_and_leave(&side).await;
    assert!(browser.url().await.contains("view=side"));
    assert!(!browser.find_all("table.side ins").await.is_empty());

    // 3. The headline change of the library story, shown apart from the body.
    browser.goto(&format!("{base}/?kind=headline")).await;
    let link = browser.find("ol.changes li.change a.title").await;
    browser.click_and_leave(&link).await;
    let headline = browser.text(&browser.find("#headline-change").await).await;
    assert!(headline.contains("slashes") && headline.contains("trims"), "{headline}");
    let ins = browser.text(&browser.find("#headline-change ins").await).await;
    assert!(ins.contains("trims"), "{ins}");

    // 4. An article's timeline.
    let back = browser.find("p.meta a").await;
    browser.click_and_leave(&back).await;
    assert!(!browser.find_all("table.timeline tbody tr").await.is_empty());
    browser.screenshot(&out.join("timeline.png")).await;

    // 5. Markup in article text shows as text and runs nothing.
    for path in [
        format!("/articles/{markup}/versions/2"),
        format!("/articles/{markup}/versions/2?view=side"),
        format!("/articles/{markup}"),
    ] {
        browser.goto(&format!("{base}{path}")).await;
        assert_eq!(browser.alert_text().await, None, "{path} opened an alert");
        let title = browser.title().await;
        assert!(
            title.starts_with("<script>document.title='pwned'</script>Mayor <b>responds</b>"),
            "{path}: title {title:?}"
        );
        assert!(
            // The change's own card (an image Redline draws) is the one image a version page has.
            browser.find_all("main script, main img:not(.change-card), main b").await.is_empty(),
            "{path} has live elements from article text"
        );
        let state = browser
            .script(
                "return [document.scripts.length, \
                 [...document.images].filter(i => !i.classList.contains('change-card')).length, \
                 window.pwned === undefined];",
            )
            .await;
        assert_eq!(state, json!([0, 0, true]), "{path}");
        let main = browser.text(&browser.find("main").await).await;
        assert!(main.contains("<script>document.title='pwned'</script>Mayor <b>responds</b>"), "{path}: {main}");
    }
    browser.goto(&format!("{base}/articles/{markup}/versions/2")).await;
    let main = browser.text(&browser.find("main").await).await;
    assert!(main.contains("<img src=x onerror=\"document.title='pwned';alert('img')\">"), "{main}");
    let added = browser.text(&browser.find(".redline ins").await).await;
    assert!(added.contains("<script>alert('script');window.pwned=true</script>"), "{added}");
    browser.screenshot(&out.join("markup.png")).await;
    // The stored page, opened directly: plain text in a sandbox, nothing runs.
    browser.goto(&format!("{base}/articles/{markup}/versions/2/raw")).await;
    assert_eq!(browser.alert_text().await, None, "the raw page opened an alert");
    let body = browser.text(&browser.find("body").await).await;
    assert!(body.contains("<script>alert('raw')</script>"), "{body}");
    assert_eq!(browser.script("return document.images.length;").await, json!(0));

    browser.close().await;
    web.stop().await;
    newsroom.shutdown().await;
}

/// A synthetic page screenshot: a header bar, grey text lines, and a blue box at `box_y`.
fn page_screenshot(box_y: u32, lines: u32) -> Vec<u8> {
    let (w, h) = (800, 200 + lines * 24);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let rgb = if y < 60 {
            [179, 0, 27]
        } else if (box_y..box_y + 120).contains(&y) && (500..760).contains(&x) {
            [40, 90, 200]
        } else if y > 100 && (y - 100) % 24 < 10 && (40..460).contains(&x) && (y - 100) / 24 < lines {
            [70, 70, 70]
        } else {
            [255, 255, 255]
        };
        image::Rgb(rgb)
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    png
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_shows_its_screenshot_and_the_visual_comparison_in_chromium() {
    let driver = start_driver().await;
    let store = Arc::new(Store::open_in_memory().unwrap());
    let now = chrono::Utc::now().timestamp();
    let source = NewSource {
        kind: SourceKind::Article,
        url: "http://127.0.0.1:9/news/rendered".into(),
        schedule: "every 1h".into(),
        rules: "{}".into(),
    };
    let source_id = store.add_source(&source, now).unwrap();
    let (id, _) = store.ensure_article(source_id, &source.url, now).unwrap();
    let v1 = Article {
        title: Some("Harbour strike ends".into()),
        paragraphs: vec!["Talks ended.".into()],
        ..Article::default()
    };
    let v2 = Article {
        title: Some("Harbour strike ends".into()),
        paragraphs: vec!["Talks ended.".into(), "Ships sailed at dawn.".into()],
        ..Article::default()
    };
    let done = CheckDone { at: now, next_check: now + 3600, etag: None, last_modified: None, body_hash: None };
    // Version 2: the box moved down and the text grew by three lines (a taller page).
    let shots = [page_screenshot(140, 10), page_screenshot(300, 13)];
    let nv = NewVersion {
        article_id: id,
        fetched_at: now,
        content_hash: "r1",
        article: &v1,
        raw_html_zstd: None,
        screenshot: Some(shots[0].clone()),
    };
    store.record_version(&nv, None, &done).unwrap();
    let change = redline::diff::compare(&v1, &v2);
    let nc = NewChange { change: &change, deliveries: vec![] };
    let nv =
        NewVersion { fetched_at: now + 1, content_hash: "r2", article: &v2, screenshot: Some(shots[1].clone()), ..nv };
    store.record_version(&nv, Some(&nc), &done).unwrap();

    let web = Web::start(Arc::clone(&store)).await;
    let base = web.base.clone();
    let out = output_dir();
    let browser = Browser::open(&driver).await;

    // Both images of version 2 load (decoded by Chromium under the page's CSP).
    browser.goto(&format!("{base}/articles/{id}/versions/2")).await;
    let loaded = "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth, i.naturalHeight]);";
    let mut images = browser.script(loaded).await;
    for _ in 0..50 {
        if images.as_array().unwrap().iter().all(|i| i[1] == true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        images = browser.script(loaded).await;
    }
    // The change's card comes first, with the change section.
    let card = store.change_to_version(id, 2).unwrap().unwrap().id;
    let (card_w, card_h) = redline::card::size(&redline::card::data_for_change(&store, card).unwrap());
    assert_eq!(
        images,
        json!([
            [format!("/changes/{card}.png"), true, card_w, card_h],
            [format!("/articles/{id}/versions/2/screenshot.png"), true, 800, 512],
            [format!("/articles/{id}/versions/2/screenshot-diff.png"), true, 800, 512],
        ]),
        "the card and both screenshots load"
    );
    let summary = browser.text(&browser.find("p.visual-summary").await).await;
    assert!(
        summary.contains("changed region")
            && summary.ends_with("the page is 72 px taller. Changed regions are outlined in red."),
        "{summary}"
    );
    // Beside the text on a wide window: the screenshot's column starts level with the text.
    let tops = browser
        .script("return [document.getElementById('text').getBoundingClientRect().top, document.getElementById('screenshot').getBoundingClientRect().top];")
        .await;
    assert_eq!(tops[0], tops[1], "text and screenshot side by side: {tops}");
    browser.screenshot(&out.join("screenshot-version.png")).await;
    // The comparison image opened alone: version 2's page with red outlines.
    browser.goto(&format!("{base}/articles/{id}/versions/2/screenshot-diff.png")).await;
    browser.screenshot(&out.join("screenshot-diff.png")).await;
    // Version 1 shows its screenshot and nothing to compare with.
    browser.goto(&format!("{base}/articles/{id}/versions/1")).await;
    let images = browser.script(loaded).await;
    assert_eq!(images.as_array().unwrap().len(), 1, "{images}");
    // On a phone, nothing is wider than the screen.
    browser.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 390, "height": 844}))).await;
    browser.goto(&format!("{base}/articles/{id}/versions/2")).await;
    let widths =
        browser.script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth];").await;
    assert!(widths[0].as_i64() <= widths[1].as_i64(), "the version page scrolls sideways on a phone: {widths}");
    browser.screenshot(&out.join("screenshot-version-phone.png")).await;

    browser.close().await;
    web.stop().await;
}

impl Browser {
    async fn attribute(&self, element: &str, name: &str) -> Option<String> {
        let v = self.cmd(reqwest::Method::GET, &format!("/element/{element}/attribute/{name}"), None).await;
        v.as_str().map(str::to_string)
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{e}/clear"), Some(json!({}))).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{e}/value"), Some(json!({"text": text}))).await;
    }

    async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.find_all(css).await {
            out.push(self.text(&e).await);
        }
        out
    }

    /// Presses Tab up to `presses` times; the ids of the elements that got the focus.
    async fn tab_through(&self, presses: usize) -> Vec<String> {
        let mut ids = Vec::new();
        for _ in 0..presses {
            let keys = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
                {"type": "keyDown", "value": "\u{E004}"}, {"type": "keyUp", "value": "\u{E004}"}]}]});
            self.cmd(reqwest::Method::POST, "/actions", Some(keys)).await;
            let id = self.script("return document.activeElement ? document.activeElement.id : '';").await;
            ids.push(id.as_str().unwrap_or("").to_string());
        }
        ids
    }
}

/// A story of five versions recorded through the store: the headline changes at v3, a
/// paragraph is added at v2 and a correction at v5, numbers move at v4.
fn five_versions(store: &Store) -> i64 {
    let now = chrono::Utc::now().timestamp() - 5 * 3600;
    let source = NewSource {
        kind: SourceKind::Article,
        url: "http://127.0.0.1:9/news/ferry".into(),
        schedule: "every 1h".into(),
        rules: "{}".into(),
    };
    let source_id = store.add_source(&source, now).unwrap();
    let (id, _) = store.ensure_article(source_id, &source.url, now).unwrap();
    let base = ["The ferry service will stop on Friday, the operator said.", "About 40 crew members are affected."];
    let mut texts: Vec<Vec<String>> = vec![base.iter().map(|s| s.to_string()).collect()];
    let mut v2 = texts[0].clone();
    v2.push("Passengers were told to use the bridge instead.".into());
    let mut v4 = v2.clone();
    v4[1] = "About 55 crew members are affected.".into();
    let mut v5 = v4.clone();
    v5.push("Correction: An earlier version of this article misstated the number of crew members.".into());
    texts.extend([v2.clone(), v2, v4, v5]);
    let titles = [
        "Ferry service to stop",
        "Ferry service to stop",
        "Ferry service to end on Friday",
        "Ferry service to end on Friday",
        "Ferry service to end on Friday",
    ];
    let articles: Vec<Article> = texts
        .into_iter()
        .zip(titles)
        .enumerate()
        .map(|(i, (paragraphs, title))| Article {
            title: Some(title.into()),
            // v3 also moves the modified date, so that it differs from v2.
            modified: Some(format!("2026-11-0{}T09:00:00Z", 1 + i / 2)),
            paragraphs,
            ..Article::default()
        })
        .collect();
    for (i, a) in articles.iter().enumerate() {
        let at = now + 3600 * i as i64;
        let change = (i > 0).then(|| redline::diff::compare(&articles[i - 1], a));
        let nc = change.as_ref().map(|c| NewChange { change: c, deliveries: vec![] });
        let hash = format!("ferry-{i}");
        let nv = NewVersion {
            article_id: id,
            fetched_at: at,
            content_hash: &hash,
            article: a,
            raw_html_zstd: None,
            screenshot: None,
        };
        let done = CheckDone { at, next_check: at + 3600, etag: None, last_modified: None, body_hash: None };
        store.record_version(&nv, nc.as_ref(), &done).unwrap();
    }
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_reads_the_arc_of_a_story_and_compares_any_two_versions_in_chromium() {
    let driver = start_driver().await;
    let store = Arc::new(Store::open_in_memory().unwrap());
    let id = five_versions(&store);
    let web = Web::start(Arc::clone(&store)).await;
    let base = web.base.clone();
    let out = output_dir();
    let browser = Browser::open(&driver).await;

    // The arc: five marks, oldest first, each named by its version and the kinds of its change.
    browser.goto(&format!("{base}/articles/{id}")).await;
    let marks = browser.find_all("svg.arc a.mark").await;
    assert_eq!(marks.len(), 5, "one mark per version");
    let mut labels = Vec::new();
    for m in &marks {
        labels.push(browser.attribute(m, "aria-label").await.unwrap_or_default());
    }
    assert!(labels[0].starts_with("Version 1, ") && labels[0].ends_with("first version seen"), "{labels:?}");
    assert!(labels[1].starts_with("Version 2, ") && labels[1].contains("addition"), "{labels:?}");
    assert!(labels[2].starts_with("Version 3, ") && labels[2].contains("headline"), "{labels:?}");
    assert!(labels[3].starts_with("Version 4, ") && labels[3].contains("fact"), "{labels:?}");
    assert!(labels[4].starts_with("Version 5, ") && labels[4].contains("correction"), "{labels:?}");
    // Drawn left to right in time, the bigger change taller.
    let boxes = browser
        .script("return Array.from(document.querySelectorAll('svg.arc a.mark circle')).map(c => c.getBoundingClientRect().left);")
        .await;
    let xs: Vec<f64> = boxes.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "marks in time order: {xs:?}");
    let headlines = browser.texts("ol.headlines li").await;
    assert_eq!(headlines.len(), 2, "{headlines:?}");
    assert!(
        headlines[0].starts_with("“Ferry service to stop” v1–v2") || headlines[0].contains("Ferry service to stop"),
        "{headlines:?}"
    );
    assert!(headlines[1].contains("Ferry service to end on Friday") && headlines[1].contains("v3–v5"), "{headlines:?}");
    assert_eq!(browser.script("return document.scripts.length;").await, json!(0));
    browser.screenshot(&out.join("arc.png")).await;
    // A mark is a link to its version.
    browser.click_and_leave(&marks[2]).await;
    assert!(browser.url().await.ends_with(&format!("/articles/{id}/versions/3")), "{}", browser.url().await);

    // Pick versions 2 and 4 in the form: the number moved and the headline changed, nothing else.
    browser.goto(&format!("{base}/articles/{id}")).await;
    browser.click(&browser.find("form.compare select[name=from] option[value='2']").await).await;
    browser.click(&browser.find("form.compare select[name=to] option[value='4']").await).await;
    browser.click_and_leave(&browser.find("form.compare button").await).await;
    assert!(browser.url().await.contains(&format!("/articles/{id}/compare?from=2&to=4")), "{}", browser.url().await);
    assert_eq!(browser.title().await, "v2 → v4: Ferry service to end on Friday · Redline");
    let ins = browser.texts(".redline ins").await;
    let del = browser.texts(".redline del").await;
    assert_eq!(
        (ins.as_slice(), del.as_slice()),
        (["55"].map(String::from).as_slice(), ["40"].map(String::from).as_slice()),
        "body edits"
    );
    let headline = browser.text(&browser.find("#headline-change").await).await;
    assert!(headline.contains("stop") && headline.contains("end on Friday"), "{headline}");
    // Keyboard: Tab reaches the edit in the text.
    let focused = browser.tab_through(40).await;
    assert!(focused.iter().any(|f| f == "edit-1"), "Tab never reached the edit: {focused:?}");
    browser.screenshot(&out.join("compare.png")).await;

    // First → latest, side by side: the added paragraphs in the new column, the old number in the old.
    browser.click_and_leave(&browser.find("form.compare a").await).await;
    browser.click_and_leave(&browser.find(".views a").await).await;
    assert!(browser.url().await.contains("from=1&to=5&view=side"), "{}", browser.url().await);
    let new_column = browser.texts("table.side td:nth-child(2) ins").await;
    assert!(new_column.iter().any(|t| t.starts_with("Passengers were told")), "{new_column:?}");
    assert!(new_column.iter().any(|t| t.starts_with("Correction:")), "{new_column:?}");
    let old_column = browser.texts("table.side td:nth-child(1) del").await;
    assert_eq!(old_column, vec!["40".to_string()]);
    // Readable on a phone.
    browser.cmd(reqwest::Method::POST, "/window/rect", Some(json!({"width": 390, "height": 844}))).await;
    let widths =
        browser.script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth];").await;
    assert!(widths[0].as_i64() <= widths[1].as_i64(), "the compare page scrolls sideways on a phone: {widths}");
    browser.goto(&format!("{base}/articles/{id}")).await;
    let widths =
        browser.script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth];").await;
    assert!(widths[0].as_i64() <= widths[1].as_i64(), "the article page scrolls sideways on a phone: {widths}");
    browser.screenshot(&out.join("arc-phone.png")).await;

    browser.close().await;
    web.stop().await;
}

/// A free loopback port (bound, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_adds_pauses_and_guards_a_watch_from_the_page_in_chromium() {
    let driver = start_driver().await;
    let newsroom = Newsroom::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let text = format!(
        "[storage]\npath = {:?}\n\n[web]\nlisten = \"127.0.0.1:{port}\"\n\n[fetch]\nallow_private = true\n",
        dir.path().join("redline.db").display().to_string()
    );
    let config = Config::parse(&text, &dir.path().join("redline.toml")).unwrap();
    let daemon = Arc::new(Daemon::new(config).unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(Arc::clone(&daemon).run(async move {
        let _ = stopped.await;
    }));
    let base = format!("http://127.0.0.1:{port}");
    let out = output_dir();
    let browser = Browser::open(&driver).await;
    let story = newsroom.article_urls()[0].clone();
    let path = url::Url::parse(&story).unwrap().path().to_string();

    // Add the article through the form, checked every second.
    let mut opened = false;
    for _ in 0..50 {
        browser.goto(&format!("{base}/watches")).await;
        if browser.title().await == "Watches · Redline" {
            opened = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(opened, "the daemon's web UI answered");
    browser.type_into("form.watch-form input[name=url]", &story).await;
    browser.type_into("form.watch-form input[name=every]", "1s").await;
    browser.type_into("form.watch-form input[name=name]", "Ferry desk").await;
    browser.click_and_leave(&browser.find("form.watch-form button").await).await;
    if !browser.url().await.contains("?done=added") {
        panic!("not added ({}): {}", browser.url().await, browser.text(&browser.find("main").await).await);
    }
    assert_eq!(browser.title().await, "Ferry desk · Redline");
    // Its first version appears on the watch page, then on the article's.
    let mut article = None;
    for _ in 0..100 {
        browser.goto(&browser.url().await).await;
        // Listed once the source is read; its first version follows with the article's first check.
        let items = browser.texts("ul.articles li").await;
        if items.iter().any(|t| t.contains(" 1 versions")) {
            article = Some(browser.find("ul.articles a").await);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let article = article.expect("the first version appeared within 20 s");
    let watch_page = browser.url().await;
    browser.click_and_leave(&article).await;
    let h2 = browser.texts("main h2").await;
    assert!(h2.iter().any(|t| t.starts_with("1 versions")), "{h2:?}");
    assert_eq!(browser.find_all("svg.arc a.mark").await.len(), 1);
    browser.screenshot(&out.join("watch-first-version.png")).await;

    // Checks run every second…
    let before = newsroom.hits(&path);
    let deadline = Instant::now() + Duration::from_secs(20);
    while newsroom.hits(&path) < before + 2 {
        assert!(Instant::now() < deadline, "the watch was not checked again within 20 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // …until it is paused from its page.
    browser.goto(&watch_page).await;
    browser.click_and_leave(&browser.find("button#pause").await).await;
    assert!(browser.url().await.contains("?done=paused"), "{}", browser.url().await);
    assert_eq!(browser.text(&browser.find("#watch-state").await).await, "paused");
    tokio::time::sleep(Duration::from_secs(2)).await; // a check in flight finishes
    let paused_at = newsroom.hits(&path);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(newsroom.hits(&path), paused_at, "a paused watch is not checked");
    assert!(!browser.find_all("button#resume").await.is_empty());
    browser.screenshot(&out.join("watch-paused.png")).await;

    // A form without its CSRF token is refused, and changes nothing.
    browser.script("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove()); return 0;").await;
    browser.click_and_leave(&browser.find("button#resume").await).await;
    let main = browser.text(&browser.find("main").await).await;
    assert!(main.starts_with("403 Forbidden") && main.contains("no valid CSRF token"), "{main}");
    browser.goto(&watch_page).await;
    assert_eq!(browser.text(&browser.find("#watch-state").await).await, "paused");
    assert_eq!(newsroom.hits(&path), paused_at);
    // A refused setting shows the config's message beside the form.
    browser.type_into("form.watch-form input[name=every]", "soon").await;
    browser.click_and_leave(&browser.find("form.watch-form button").await).await;
    let main = browser.text(&browser.find("main").await).await;
    let error = browser.texts("p.error[role=alert]").await.pop().unwrap_or_else(|| panic!("no error shown: {main}"));
    assert!(error.starts_with("key `every`: \"soon\" is not a duration"), "{error}");
    assert_eq!(browser.script("return document.scripts.length;").await, json!(0));

    browser.close().await;
    let _ = stop.send(());
    running.await.unwrap().unwrap();
    newsroom.shutdown().await;
}
