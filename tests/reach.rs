//! Reach: request headers and cookies (config, `cookies = {…}`, a cookies.txt
//! file, `${ENV}` secrets) open pages that answer 401 without them; checks go
//! through real proxies (tinyproxy with Basic auth, microsocks with a user and
//! password) and a refusing proxy is a recorded failure; a private target stays
//! refused through a proxy; no secret is ever printed or stored.
//!
//! Everything runs on 127.0.0.1: the real `redline` binary against local sites
//! and proxies started here (scripts/test.sh installs tinyproxy and microsocks).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use redline::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const API_KEY: &str = "k3y-global-6f1d2a";
const WATCH_KEY: &str = "k3y-watch-93be07";
const SESSION: &str = "sess-inline-4c8e11";
const FILE_COOKIE: &str = "sess-file-a7d3f0";
const PROXY_PASS: &str = "pr0xy-pass-5e2b9c";

/// One request as the site saw it.
#[derive(Debug, Clone)]
struct Hit {
    path: String,
    peer: SocketAddr,
    via: Option<String>,
    cookie: Option<String>,
}

type Hits = Arc<Mutex<Vec<Hit>>>;

fn story(title: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><title>{title}</title></head><body><article><h1>{title}</h1>
<p>The first paragraph of this story is long enough to count as the body of an article about the harbour.</p>
<p>A second paragraph adds detail: the harbour board met on Monday and approved the dredging plan.</p>
</article></body></html>"#
    )
}

async fn handle(
    State(hits): State<Hits>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let path = uri.path().to_string();
    hits.lock().unwrap().push(Hit { path: path.clone(), peer, via: get("via"), cookie: get("cookie") });
    let cookie = get("cookie").unwrap_or_default();
    let has_cookie = |pair: &str| cookie.split("; ").any(|c| c == pair);
    let allowed = match path.as_str() {
        "/robots.txt" => return StatusCode::NOT_FOUND.into_response(),
        "/api/story" => get("x-api-key").as_deref() == Some(API_KEY),
        "/override/story" => get("x-api-key").as_deref() == Some(WATCH_KEY),
        "/session/story" => has_cookie(&format!("session={SESSION}")),
        "/members/story" => has_cookie(&format!("auth={FILE_COOKIE}")),
        _ => true,
    };
    if !allowed {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    }
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], story(&format!("Story at {path}"))).into_response()
}

/// A site on its own port (its own origin, so its robots.txt is its own).
async fn start_site(hits: &Hits) -> String {
    let app = axum::Router::new().fallback(handle).with_state(Arc::clone(hits));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap()
    });
    base
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn write_config(dir: &Path, fetch: &str, watches: &str) -> PathBuf {
    let path = dir.join("redline.toml");
    let db = dir.join("redline.db").display().to_string();
    let text = format!(
        "[storage]\npath = {db:?}\n\n[web]\nenabled = false\n\n[fetch]\nper_host_delay = \"0s\"\ntimeout = \"10s\"\n{fetch}\n\n{watches}\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// The secrets reach the daemon through the environment only.
fn secret_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("REACH_API_KEY", API_KEY),
        ("REACH_WATCH_KEY", WATCH_KEY),
        ("REACH_SESSION", SESSION),
        ("REACH_PROXY_PASS", PROXY_PASS),
        ("RUST_LOG", "redline=debug"),
    ]
}

/// Runs the binary off the async runtime's threads, with the secrets in its environment.
async fn redline(config: &Path, args: &[&str]) -> Output {
    let mut all = vec!["--config".to_string(), config.display().to_string()];
    all.extend(args.iter().map(|s| s.to_string()));
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_redline")).args(&all).envs(secret_env()).output().unwrap()
    })
    .await
    .unwrap()
}

/// `run --once`, which must succeed (failed checks are recorded, not fatal); returns stderr.
async fn run_once(config: &Path) -> String {
    let out = redline(config, &["run", "--once"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "run --once failed:\n{}\n{stderr}", String::from_utf8_lossy(&out.stdout));
    stderr
}

fn store(dir: &Path) -> Store {
    Store::open(&dir.join("redline.db")).unwrap()
}

/// The number of versions stored for `url`, and its last error.
fn outcome(dir: &Path, url: &str) -> (usize, Option<String>) {
    let store = store(dir);
    let article = store.article_by_url(url).unwrap().unwrap_or_else(|| panic!("no article row for {url}"));
    (store.versions(article.id).unwrap().len(), article.last_error)
}

/// Greps everything Redline shows for the secrets: the daemon's stderr, `redline
/// status`, `redline list`, the API's `/api/watches`, and the database file itself.
async fn assert_no_secret_shown(dir: &Path, config: &Path, daemon_stderr: &str, secrets: &[&str]) {
    let mut shown = vec![("daemon stderr".to_string(), daemon_stderr.to_string())];
    for command in ["status", "list"] {
        let out = redline(config, &[command]).await;
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        shown.push((format!("redline {command}"), text));
    }
    let state = redline::web::WebState::new(
        Arc::new(store(dir)),
        redline::web::WebOptions::from_config(&redline::config::WebConfig::default()),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(redline::web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let api = reqwest::get(format!("http://{addr}/api/watches")).await.unwrap();
    assert!(api.status().is_success(), "/api/watches: {}", api.status());
    let api = api.text().await.unwrap();
    assert!(api.contains("/story"), "the API lists the watches: {api}");
    shown.push(("/api/watches".into(), api));
    let _ = stop.send(());
    let _ = server.await;
    let mut db = Vec::new();
    for suffix in ["", "-wal"] {
        db.extend(std::fs::read(dir.join(format!("redline.db{suffix}"))).unwrap_or_default());
    }
    shown.push(("the database".into(), String::from_utf8_lossy(&db).to_string()));
    for (place, text) in &shown {
        for secret in secrets {
            assert!(!text.contains(secret), "secret {secret:?} appears in {place}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_and_cookies_open_pages_that_answer_401_without_them() {
    let hits = Hits::default();
    let base = start_site(&hits).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cookies.txt"),
        format!(
            "# Netscape HTTP Cookie File\n# exported by a browser extension\n\n\
             #HttpOnly_127.0.0.1\tFALSE\t/members\tFALSE\t0\tauth\t{FILE_COOKIE}\n\
             127.0.0.1\tFALSE\t/\tTRUE\t0\tsecure_only\tnot-over-http\n\
             127.0.0.1\tFALSE\t/\tFALSE\t1000\texpired\tlong-gone\n\
             127.0.0.1\tFALSE\t/elsewhere\tFALSE\t0\tother_path\tnot-here\n"
        ),
    )
    .unwrap();
    let fetch =
        "allow_private = true\nheaders = { \"X-Api-Key\" = \"${REACH_API_KEY}\" }\ncookies_file = \"cookies.txt\"";
    let watches = format!(
        "[[watch]]\nurl = \"{base}/api/story\"\n\n\
         [[watch]]\nurl = \"{base}/override/story\"\nheaders = {{ \"x-api-key\" = \"${{REACH_WATCH_KEY}}\" }}\n\n\
         [[watch]]\nurl = \"{base}/session/story\"\ncookies = {{ session = \"${{REACH_SESSION}}\" }}\n\n\
         [[watch]]\nurl = \"{base}/members/story\"\n\n\
         [[watch]]\nurl = \"{base}/session/other\"\n"
    );
    let config = write_config(dir.path(), fetch, &watches);
    let stderr = run_once(&config).await;

    for path in ["/api/story", "/override/story", "/session/story", "/members/story"] {
        let (versions, error) = outcome(dir.path(), &format!("{base}{path}"));
        assert_eq!((versions, error.as_deref()), (1, None), "{path} read with its header or cookie");
    }
    // The inline cookie belongs to its own watch only.
    let cookie_of = |path: &str| hits.lock().unwrap().iter().find(|h| h.path == path).and_then(|h| h.cookie.clone());
    assert_eq!(cookie_of("/session/other"), None);
    // Only the file's cookie that matches by path, scheme and expiry went out.
    assert_eq!(cookie_of("/members/story").as_deref(), Some(format!("auth={FILE_COOKIE}").as_str()));
    assert_eq!(cookie_of("/session/story").as_deref(), Some(format!("session={SESSION}").as_str()));

    // Without them, the same pages are recorded failures.
    let bare = tempfile::tempdir().unwrap();
    let config_bare =
        write_config(bare.path(), "allow_private = true", &format!("[[watch]]\nurl = \"{base}/api/story\"\n"));
    run_once(&config_bare).await;
    let (versions, error) = outcome(bare.path(), &format!("{base}/api/story"));
    assert_eq!((versions, error.as_deref()), (0, Some("HTTP 401")));

    assert_no_secret_shown(dir.path(), &config, &stderr, &[API_KEY, WATCH_KEY, SESSION, FILE_COOKIE]).await;
}

/// A proxy process, killed on drop.
struct Proxy {
    child: Child,
    port: u16,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn installed(program: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {program}")]).output().is_ok_and(|o| o.status.success())
}

/// Starts `program` (quiet) and waits until it listens on `port`.
async fn spawn_proxy(program: &str, args: &[&str], port: u16) -> Proxy {
    assert!(installed(program), "{program} is missing: apt-get install {program} (scripts/test.sh does)");
    let child = Command::new(program).args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let proxy = Proxy { child, port };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return proxy;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{program} does not listen on port {port}");
}

/// tinyproxy in the foreground, asking for Basic auth, with its log in `dir`.
async fn tinyproxy(dir: &Path) -> Proxy {
    let port = free_port();
    let conf = dir.join("tinyproxy.conf");
    std::fs::write(
        &conf,
        format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{log}\"\nLogLevel Info\nMaxClients 20\n\
             Allow 127.0.0.1\nBasicAuth redline {PROXY_PASS}\n",
            log = dir.join("tinyproxy.log").display()
        ),
    )
    .unwrap();
    spawn_proxy("tinyproxy", &["-d", "-c", &conf.display().to_string()], port).await
}

/// microsocks with a user and password, its outgoing connections bound to 127.0.0.2:
/// a request the site sees from 127.0.0.2 came through it.
async fn microsocks() -> Proxy {
    let port = free_port();
    let args = ["-i", "127.0.0.1", "-p", &port.to_string(), "-u", "redline", "-P", PROXY_PASS, "-b", "127.0.0.2"];
    spawn_proxy("microsocks", &args, port).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_go_through_http_and_socks5_proxies_and_a_refusing_proxy_is_a_recorded_failure() {
    let dir = tempfile::tempdir().unwrap();
    let http = tinyproxy(dir.path()).await;
    let socks = microsocks().await;
    let hits = Hits::default();
    // One origin per proxy, so that each robots.txt is fetched through its watch's proxy.
    let mut bases = Vec::new();
    for _ in 0..6 {
        bases.push(start_site(&hits).await);
    }
    let closed_port = free_port();
    let (hp, sp) = (http.port, socks.port);
    let proxies = [
        format!("http://redline:${{REACH_PROXY_PASS}}@127.0.0.1:{hp}"),
        format!("socks5h://redline:${{REACH_PROXY_PASS}}@127.0.0.1:{sp}"),
        format!("socks5://redline:${{REACH_PROXY_PASS}}@127.0.0.1:{sp}"),
        format!("http://redline:wrong-password@127.0.0.1:{hp}"),
        format!("socks5h://redline:wrong-password@127.0.0.1:{sp}"),
        format!("http://redline:${{REACH_PROXY_PASS}}@127.0.0.1:{closed_port}"),
    ];
    let watches: String = proxies
        .iter()
        .zip(&bases)
        .map(|(proxy, base)| format!("[[watch]]\nurl = \"{base}/story\"\nproxy = \"{proxy}\"\n\n"))
        .collect();
    let config = write_config(dir.path(), "allow_private = true", &watches);
    let stderr = run_once(&config).await;

    // tinyproxy: the site saw its Via header on the article and on robots.txt.
    let (versions, error) = outcome(dir.path(), &format!("{}/story", bases[0]));
    assert_eq!((versions, error.as_deref()), (1, None), "through tinyproxy");
    let tinyproxy_log = std::fs::read_to_string(dir.path().join("tinyproxy.log")).unwrap_or_default();
    assert!(tinyproxy_log.contains(&format!("{}/story", bases[0])), "tinyproxy logged the request:\n{tinyproxy_log}");
    // microsocks: the site saw the connections come from 127.0.0.2, where only microsocks connects from.
    for base in &bases[1..3] {
        let (versions, error) = outcome(dir.path(), &format!("{base}/story"));
        assert_eq!((versions, error.as_deref()), (1, None), "through microsocks: {base}");
    }
    let site_hits = hits.lock().unwrap().clone();
    let via_http_hits: Vec<&Hit> = site_hits.iter().filter(|h| h.via.is_some()).collect();
    assert!(
        via_http_hits.iter().any(|h| h.path == "/story") && via_http_hits.iter().any(|h| h.path == "/robots.txt"),
        "tinyproxy's Via header on the article and robots.txt: {site_hits:?}"
    );
    assert!(via_http_hits.iter().all(|h| h.via.as_deref().unwrap().contains("tinyproxy")), "{via_http_hits:?}");
    let from_socks = site_hits.iter().filter(|h| h.peer.ip().to_string() == "127.0.0.2").count();
    // Two sites, each asked for robots.txt and the story, all through microsocks.
    assert_eq!(from_socks, 4, "requests through microsocks: {site_hits:?}");
    assert!(
        site_hits.iter().all(|h| h.via.is_some() || h.peer.ip().to_string() == "127.0.0.2"),
        "every request went through a proxy: {site_hits:?}"
    );

    // Refusing proxies: recorded failed checks with a clear error, nothing stored.
    // tinyproxy 1.11 answers wrong Basic credentials with a 401 (others with a 407).
    let expect = [
        ("wrong-http", format!("HTTP 401 (through proxy http://127.0.0.1:{hp}")),
        ("wrong-socks", format!("proxy socks5h://127.0.0.1:{sp}: ")),
        ("closed", format!("proxy http://127.0.0.1:{closed_port}: ")),
    ];
    for ((name, needle), base) in expect.iter().zip(&bases[3..]) {
        let (versions, error) = outcome(dir.path(), &format!("{base}/story"));
        let error = error.unwrap_or_else(|| panic!("{name}: no error recorded"));
        assert_eq!(versions, 0, "{name}");
        assert!(error.starts_with(&needle[..]), "{name}: {error}");
        eprintln!("{name}: {error}");
    }
    assert_no_secret_shown(dir.path(), &config, &stderr, &[PROXY_PASS, "wrong-password"]).await;
}

/// A stand-in proxy on `localhost` that records the request line of every
/// connection and answers each with a story (or a 407 when `refuse`).
async fn recording_proxy(refuse: bool) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&asked);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).to_string();
                log.lock().unwrap().push(head.lines().next().unwrap_or("").to_string());
                let body = story("Public story through the proxy");
                let status = if refuse { "407 Proxy Authentication Required" } else { "200 OK" };
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (port, asked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_target_through_a_proxy_is_refused_before_the_proxy_is_asked() {
    let hits = Hits::default();
    let base = start_site(&hits).await;
    let site_port = base.rsplit(':').next().unwrap();
    let (proxy_port, asked) = recording_proxy(false).await;
    let dir = tempfile::tempdir().unwrap();
    // The proxy is on loopback, under a name: allowed because the config names it.
    let fetch = format!("allow_private = false\nrobots = false\nproxy = \"http://localhost:{proxy_port}\"");
    let private = [
        format!("http://127.0.0.1:{site_port}/literal"),
        format!("http://localhost:{site_port}/name"),
        // The form the url crate writes ::ffff:127.0.0.1 in.
        format!("http://[::ffff:7f00:1]:{site_port}/mapped"),
    ];
    let public = "http://93.184.216.34/public-story";
    let watches: String =
        private.iter().chain([&public.to_string()]).map(|u| format!("[[watch]]\nurl = \"{u}\"\n\n")).collect();
    let config = write_config(dir.path(), &fetch, &watches);
    run_once(&config).await;

    for url in &private {
        let (versions, error) = outcome(dir.path(), url);
        let error = error.unwrap_or_default();
        assert_eq!(versions, 0, "{url}");
        assert!(error.starts_with("refused"), "{url}: {error}");
    }
    // The control: a public target does go through the loopback proxy.
    let (versions, error) = outcome(dir.path(), public);
    assert_eq!((versions, error.as_deref()), (1, None), "public target through the proxy");
    let asked = asked.lock().unwrap().clone();
    assert_eq!(asked, vec![format!("GET {public} HTTP/1.1")], "only the public target reached the proxy");
    assert!(hits.lock().unwrap().is_empty(), "the private site was reached: {:?}", hits.lock().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_answering_407_is_a_failed_check_that_names_it() {
    let (port, asked) = recording_proxy(true).await;
    let dir = tempfile::tempdir().unwrap();
    let fetch = format!("robots = false\nproxy = \"http://redline:${{REACH_PROXY_PASS}}@localhost:{port}\"");
    let url = "http://93.184.216.34/behind-a-proxy";
    let config = write_config(dir.path(), &fetch, &format!("[[watch]]\nurl = \"{url}\"\n"));
    let stderr = run_once(&config).await;
    let (versions, error) = outcome(dir.path(), url);
    assert_eq!(versions, 0);
    let error = error.unwrap_or_default();
    assert!(error.starts_with(&format!("proxy http://localhost:{port}: HTTP 407")), "{error}");
    assert_eq!(asked.lock().unwrap().len(), 1);
    assert!(!stderr.contains(PROXY_PASS) && !error.contains(PROXY_PASS));
}
