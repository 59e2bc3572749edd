//! Hostile servers: the real daemon (`redline run`) watches a set of
//! misbehaving pages next to a few well-behaved articles on another host.
//! For every fault: the daemon keeps running, the fault is recorded on the
//! article (error or, for pages that are merely badly encoded, a sane
//! version), its memory stays bounded (VmHWM of the child), and the good
//! articles keep being checked on time meanwhile.
//!
//! Faults: 500, 503 + Retry-After, 429 + Retry-After, 1 byte per second, a
//! body that never ends, 50 MB with and without Content-Length, a gzip bomb
//! (1 GiB of zeros), a redirect loop, a PDF and a PNG, a wrong declared
//! charset, invalid UTF-8, an empty 200, HTML nested 100,000 deep, and a
//! connection reset mid-body.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Hits = Arc<Mutex<Vec<(String, Instant)>>>;

/// One publication time for the whole run: a page that does not change must hash the same on every fetch.
static PUBLISHED: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339());

fn article_html(title: &str, extra: &str) -> String {
    let published = &*PUBLISHED;
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<script type="application/ld+json">{{"@type":"NewsArticle","headline":"{title}","datePublished":"{published}"}}</script>
</head><body><article><h1>{title}</h1>
<p>This is the first paragraph of the story, long enough to count as the body of an article about the town.</p>
<p>A second paragraph adds detail: the council met on Tuesday and voted on the budget for the coming year.</p>
{extra}</article></body></html>"#
    )
}

struct Hostile {
    hits: Hits,
    gzip_bomb: Vec<u8>,
}

fn html(body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body.into()).into_response()
}

async fn hostile(State(site): State<Arc<Hostile>>, UrlPath(path): UrlPath<String>) -> Response {
    site.hits.lock().unwrap().push((path.clone(), Instant::now()));
    match path.as_str() {
        "robots.txt" => StatusCode::NOT_FOUND.into_response(),
        "e500" => (StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response(),
        "slow" => {
            // One byte per second, for ever (well, an hour).
            let stream = futures_util::stream::unfold(0u32, |n| async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                (n < 3600).then(|| (Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"<")), n + 1))
            });
            html(Body::from_stream(stream))
        }
        "endless" => {
            // As fast as the socket takes it, never ending.
            let chunk = axum::body::Bytes::from("<p>and on and on and on and on and on and on</p>\n".repeat(1000));
            let stream = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            html(Body::from_stream(stream))
        }
        "big" => html(vec![b'a'; 50 * 1024 * 1024]),
        "big-chunked" => {
            let chunk = axum::body::Bytes::from(vec![b'a'; 1024 * 1024]);
            let stream = futures_util::stream::iter((0..50).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
            html(Body::from_stream(stream))
        }
        "gzip-bomb" => {
            ([(header::CONTENT_TYPE, "text/html"), (header::CONTENT_ENCODING, "gzip")], site.gzip_bomb.clone())
                .into_response()
        }
        "loop-a" => (StatusCode::FOUND, [(header::LOCATION, "/loop-b")]).into_response(),
        "loop-b" => (StatusCode::FOUND, [(header::LOCATION, "/loop-a")]).into_response(),
        "report.pdf" => {
            ([(header::CONTENT_TYPE, "application/pdf")], b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n".to_vec())
                .into_response()
        }
        "photo" => ([(header::CONTENT_TYPE, "image/png")], b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).into_response(),
        "wrong-charset" => {
            // Declared UTF-8, really windows-1252: decoding must not fail, text must survive.
            let page = article_html(
                "Caf\u{e9} owners protest",
                "<p>The caf\u{e9} owner said \u{201c}enough\u{201d} on Monday morning to reporters.</p>",
            );
            let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&page);
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], bytes.into_owned()).into_response()
        }
        "invalid-utf8" => {
            let mut page = article_html("Broken bytes", "").into_bytes();
            let at = page.windows(4).position(|w| w == b"</h1").unwrap();
            page.splice(at..at, b"\xff\xfe\xc3\x28\xa0\xa1\xe2\x82".iter().copied());
            ([(header::CONTENT_TYPE, "text/html")], page).into_response()
        }
        "empty" => html(""),
        "deep" => {
            let mut page = String::from("<!doctype html><html><body>");
            page.push_str(&"<div>".repeat(100_000));
            page.push_str(
                "<p>Deep inside, a paragraph long enough to count as the body of an article about the town.</p>",
            );
            page.push_str(&"</div>".repeat(100_000));
            page.push_str("</body></html>");
            html(page)
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// 429 and 503 pause their whole host, so each lives on a host of its own (127.0.0.2, 127.0.0.3):
/// on a shared host the first answer would rightly hold the other page back for the 120 s asked.
async fn throttling(State(hits): State<Hits>, UrlPath(path): UrlPath<String>) -> Response {
    hits.lock().unwrap().push((path.clone(), Instant::now()));
    match path.as_str() {
        "e429" => (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "120")], "slow down").into_response(),
        "e503" => (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "120")], "maintenance").into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn good(State(hits): State<Hits>, UrlPath(path): UrlPath<String>) -> Response {
    hits.lock().unwrap().push((path.clone(), Instant::now()));
    if let Some(n) = path.strip_prefix("news/") {
        return html(article_html(&format!("Good story {n}"), ""));
    }
    StatusCode::NOT_FOUND.into_response()
}

/// Answers with headers and half the declared body, then resets the connection.
async fn start_resetter() -> (String, Hits) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits: Hits = Arc::default();
    let sink = Arc::clone(&hits);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let sink = Arc::clone(&sink);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                sink.lock().unwrap().push((request.lines().next().unwrap_or("").to_string(), Instant::now()));
                if request.starts_with("GET /robots.txt") {
                    let _ = socket.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").await;
                    return;
                }
                let page = article_html("Reset story", "");
                let head =
                    format!("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n", page.len() * 2);
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&page.as_bytes()[..page.len() / 2]).await;
                tokio::time::sleep(Duration::from_millis(200)).await;
                // SO_LINGER 0: close sends RST instead of FIN.
                #[allow(deprecated)]
                let _ = socket.set_linger(Some(Duration::ZERO));
                drop(socket);
            });
        }
    });
    (base, hits)
}

async fn serve(addr: &str, app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// 1 GiB of zeros, gzip-compressed (about 1 MB), made with the system gzip when present.
fn gzip_bomb() -> Vec<u8> {
    let out = Command::new("sh")
        .args(["-c", "head -c 1073741824 /dev/zero | gzip -1"])
        .output()
        .ok()
        .filter(|o| o.status.success() && !o.stdout.is_empty());
    if let Some(out) = out {
        return out.stdout;
    }
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        enc.write_all(&zeros).unwrap();
    }
    enc.finish().unwrap()
}

fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn article_errors(db: &Path) -> HashMap<String, (Option<String>, i64)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT a.url, a.last_error, (SELECT COUNT(*) FROM versions v WHERE v.article_id = a.id) FROM articles a",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_servers_are_recorded_while_good_articles_stay_on_time() {
    let hostile_hits: Hits = Arc::default();
    let site = Arc::new(Hostile { hits: Arc::clone(&hostile_hits), gzip_bomb: gzip_bomb() });
    let bomb_len = site.gzip_bomb.len();
    let bad =
        serve("127.0.0.1:0", axum::Router::new().route("/{*path}", axum::routing::get(hostile)).with_state(site)).await;
    let throttle_hits: Hits = Arc::default();
    let throttled_router =
        || axum::Router::new().route("/{*path}", axum::routing::get(throttling)).with_state(Arc::clone(&throttle_hits));
    let throttled_429 = serve("127.0.0.2:0", throttled_router()).await;
    let throttled_503 = serve("127.0.0.3:0", throttled_router()).await;
    let good_hits: Hits = Arc::default();
    let good_base = serve(
        "127.0.0.1:0",
        axum::Router::new().route("/{*path}", axum::routing::get(good)).with_state(Arc::clone(&good_hits)),
    )
    .await
    // Another host name, so the hostile host's politeness limits do not apply to it.
    .replace("127.0.0.1", "localhost");
    let (reset_base, reset_hits) = start_resetter().await;

    let faults: Vec<(&str, String)> = vec![
        ("500", format!("{bad}/e500")),
        ("1 byte/s", format!("{bad}/slow")),
        ("never-ending body", format!("{bad}/endless")),
        ("50 MB body", format!("{bad}/big")),
        ("50 MB chunked body", format!("{bad}/big-chunked")),
        ("gzip bomb", format!("{bad}/gzip-bomb")),
        ("redirect loop", format!("{bad}/loop-a")),
        ("PDF", format!("{bad}/report.pdf")),
        ("image", format!("{bad}/photo")),
        ("wrong charset", format!("{bad}/wrong-charset")),
        ("invalid UTF-8", format!("{bad}/invalid-utf8")),
        ("empty 200", format!("{bad}/empty")),
        ("100,000-deep HTML", format!("{bad}/deep")),
        ("429 + Retry-After", format!("{throttled_429}/e429")),
        ("503 + Retry-After", format!("{throttled_503}/e503")),
        ("reset mid-body", format!("{reset_base}/reset")),
    ];
    let goods: Vec<String> = (0..3).map(|n| format!("{good_base}/news/{n}")).collect();

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.db");
    let mut text = format!(
        "[storage]\npath = {:?}\n[web]\nenabled = false\n[fetch]\nallow_private = true\nrobots = false\n\
         timeout = \"5s\"\nconcurrency = 24\nper_host_concurrency = 24\nper_host_delay = \"0s\"\n",
        db.display().to_string()
    );
    for (_, url) in &faults {
        text.push_str(&format!("[[watch]]\nurl = {url:?}\nevery = \"3s\"\n"));
    }
    for url in &goods {
        text.push_str(&format!("[[watch]]\nurl = {url:?}\nevery = \"1s\"\n"));
    }
    // The same faults behind feed watches: a listing that trickles, never ends, or is not a feed.
    let feeds = [
        ("feed at 1 byte/s", format!("{bad}/slow?feed"), "timed out"),
        ("endless feed", format!("{bad}/endless?feed"), "body larger than"),
        ("gzip-bomb feed", format!("{bad}/gzip-bomb?feed"), "body larger than"),
        ("feed nested 100,000 deep", format!("{bad}/deep?feed"), "feed"),
    ];
    for (_, url, _) in &feeds {
        text.push_str(&format!("[[watch]]\nfeed = {url:?}\nevery = \"3s\"\n"));
    }
    let config = dir.path().join("redline.toml");
    std::fs::write(&config, text).unwrap();

    let log = dir.path().join("daemon.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_redline"))
        .args(["--config", config.to_str().unwrap(), "run"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id();
    let started = Instant::now();
    let run_for = Duration::from_secs(25);
    let mut peak_kib = 0;
    while started.elapsed() < run_for {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let alive = child.try_wait().unwrap().is_none();
        assert!(alive, "the daemon died: {}", std::fs::read_to_string(&log).unwrap_or_default());
        peak_kib = peak_kib.max(vm_hwm_kib(pid));
    }
    Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    let err = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "daemon exit {status}: {err}");
    assert!(!err.contains("panicked"), "{err}");

    let rows = article_errors(&db);
    let mut report = Vec::new();
    for (name, url) in &faults {
        let (error, versions) = rows.get(url).cloned().unwrap_or_else(|| panic!("{name}: {url} never checked"));
        let outcome = match (&error, versions) {
            (Some(e), _) => format!("error: {e}"),
            (None, v) if v > 0 => format!("{v} version(s)"),
            (None, _) => panic!("{name}: neither an error nor a version recorded"),
        };
        report.push(format!("{name:>20}: {outcome}"));
        let e = error.clone().unwrap_or_default();
        match *name {
            "500" => assert!(e.contains("HTTP 500"), "{name}: {e}"),
            "429 + Retry-After" => assert!(e.contains("HTTP 429"), "{name}: {e}"),
            "503 + Retry-After" => assert!(e.contains("HTTP 503"), "{name}: {e}"),
            "1 byte/s" => assert!(e.contains("timed out"), "{name}: {e}"),
            "never-ending body" | "50 MB body" | "50 MB chunked body" | "gzip bomb" => {
                assert!(e.contains("body larger than") || e.contains("timed out"), "{name}: {e}")
            }
            "redirect loop" => assert!(e.contains("redirect"), "{name}: {e}"),
            "PDF" | "image" => assert!(e.contains("content type"), "{name}: {e}"),
            "empty 200" => assert!(e.contains("no article text"), "{name}: {e}"),
            "reset mid-body" => assert!(!e.is_empty(), "{name}: a truncated body must not become a version"),
            "wrong charset" | "invalid UTF-8" => {
                // Fetched every 3 s, the same bytes each time: one version, not one per fetch.
                assert_eq!(versions, 1, "{name}: a badly encoded page is one article version ({e})")
            }
            // The deep page: either its text (the depth guard keeps it) or a recorded error; never a crash.
            _ => {}
        }
    }
    // The wrongly declared page decodes without losing its text.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let paragraphs: String = conn
        .query_row(
            "SELECT v.paragraphs FROM versions v JOIN articles a ON a.id = v.article_id WHERE a.url = ?1",
            [format!("{bad}/wrong-charset")],
            |r| r.get(0),
        )
        .unwrap();
    assert!(paragraphs.contains("owner said"), "{paragraphs}");
    let deep: String = conn
        .query_row(
            "SELECT COALESCE((SELECT v.paragraphs FROM versions v WHERE v.article_id = a.id), a.last_error) FROM articles a WHERE a.url = ?1",
            [format!("{bad}/deep")],
            |r| r.get(0),
        )
        .unwrap();
    report.push(format!("deep page recorded as: {}", deep.chars().take(80).collect::<String>()));

    // Retry-After: one request, then the host is left alone for the 120 s asked.
    for (name, url, expected) in &feeds {
        let error: Option<String> =
            conn.query_row("SELECT last_error FROM sources WHERE url = ?1", [url], |r| r.get(0)).unwrap();
        let error = error.unwrap_or_else(|| panic!("{name}: no error recorded on the source"));
        assert!(error.contains(expected), "{name}: {error}");
        report.push(format!("{name:>20}: error: {error}"));
    }
    let throttled_hits = throttle_hits.lock().unwrap().clone();
    for path in ["e429", "e503"] {
        let n = throttled_hits.iter().filter(|(p, _)| p == path).count();
        assert_eq!(n, 1, "{path} fetched {n} times within 25 s despite Retry-After: 120");
    }
    // The good articles were checked about every second throughout.
    let good = good_hits.lock().unwrap().clone();
    for n in 0..3 {
        let path = format!("news/{n}");
        let times: Vec<Instant> = good.iter().filter(|(p, _)| *p == path).map(|(_, t)| *t).collect();
        assert!(times.len() >= 10, "{path} checked only {} times in 25 s", times.len());
        let worst = times.windows(2).map(|w| w[1] - w[0]).max().unwrap();
        report.push(format!("good article {n}: {} checks, longest gap {worst:?}", times.len()));
        assert!(worst < Duration::from_secs(5), "{path}: a gap of {worst:?} between checks while hostile pages hang");
    }
    assert!(!reset_hits.lock().unwrap().is_empty());
    let hostile_requests = hostile_hits.lock().unwrap().len();
    // Memory: 50 MB bodies, a 1 GiB gzip bomb and a never-ending stream, capped at 10 MiB each.
    report.push(format!(
        "daemon peak RSS (VmHWM) {} MiB over {run_for:?}; {hostile_requests} hostile requests; gzip bomb {bomb_len} bytes",
        peak_kib / 1024
    ));
    eprintln!("hostile servers:\n{}", report.join("\n"));
    assert!(peak_kib > 0, "VmHWM unreadable");
    assert!(peak_kib < 200 * 1024, "peak RSS {} MiB: memory not bounded", peak_kib / 1024);
}
