//! Security: SSRF, stored XSS, the API token, and secrets kept out of output.
//!
//! SSRF is tested for real: the test re-runs itself inside a private network
//! and mount namespace (`unshare -n -m`, root or user namespaces needed) where
//! 198.51.100.7 and 2001:db8::7 (documentation ranges, which Redline treats as
//! public) are local addresses and `/etc/hosts` names resolve to loopback and
//! private addresses. So a "public" server can redirect to a loopback one, and
//! a DNS name can point inside, exactly as an attacker would arrange, while
//! `[fetch] allow_private` stays false. Where namespaces are unavailable the
//! test says SKIPPED and the literal-address checks still run.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::IntoResponse;
use mailin_embedded::{Handler, Server, SslConfig, response};
use redline::config::FetchConfig;
use redline::fetch::{Expect, FetchError, Fetcher, Request};
use redline::net::{NetError, check_literal};

type Hits = Arc<Mutex<Vec<String>>>;

const PUBLIC_V4: &str = "198.51.100.7";
const PUBLIC_V6: &str = "2001:db8::7";

fn redline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_redline")).args(args).output().unwrap()
}

fn story(title_html: &str, extra: &str) -> String {
    format!(
        "<!doctype html><html><head><title>{title_html} | Site</title></head><body><nav><a href=\"/\">Home</a></nav>\
         <article><h1>{title_html}</h1>\
         <p>A flaw that let web pages run code in readers' browsers was patched on Tuesday, the vendor said in a \
         short statement published late in the evening.</p>\
         <p>The company urged users to update as soon as possible and said there was no evidence that the flaw \
         had been used in attacks before it was reported.</p>{extra}</article><footer>Footer</footer></body></html>"
    )
}

async fn serve(addr: &str, app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let local = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    match local.ip() {
        IpAddr::V6(ip) => format!("http://[{ip}]:{}", local.port()),
        IpAddr::V4(ip) => format!("http://{ip}:{}", local.port()),
    }
}

/// Records every request; anything reaching it from Redline with allow_private = false is an SSRF.
fn recorder(hits: Hits) -> axum::Router {
    axum::Router::new().fallback(move |uri: Uri| {
        let hits = Arc::clone(&hits);
        async move {
            hits.lock().unwrap().push(uri.to_string());
            story("Internal admin page", "")
        }
    })
}

// ---------------------------------------------------------------- SSRF

fn namespaces_work() -> bool {
    Command::new("unshare")
        .args(["-n", "-m", "sh", "-c", &format!("ip link set lo up && ip addr add {PUBLIC_V4}/32 dev lo")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn ssrf_in_a_private_network_namespace() {
    if !namespaces_work() {
        eprintln!("SKIPPED: no network namespace (unshare -n -m); the literal-address test still runs");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(
        &hosts,
        format!(
            "127.0.0.1 localhost\n::1 localhost ip6-localhost\n{PUBLIC_V4} public.test\n{PUBLIC_V6} public6.test\n\
             127.0.0.1 loop.test\n10.0.0.5 intranet.test\n169.254.169.254 metadata.test\n::1 loop6.test\n\
             ::ffff:127.0.0.1 mapped.test\n{PUBLIC_V4} mixed.test\n127.0.0.1 mixed.test\n"
        ),
    )
    .unwrap();
    let exe = std::env::current_exe().unwrap();
    let script = format!(
        "set -e; ip link set lo up; ip addr add {PUBLIC_V4}/32 dev lo; ip -6 addr add {PUBLIC_V6}/128 dev lo nodad; \
         mount --bind {hosts} /etc/hosts; \
         exec {exe} --exact ssrf_inside_the_namespace --ignored --nocapture --test-threads 1",
        hosts = hosts.display(),
        exe = exe.display()
    );
    let out =
        Command::new("unshare").args(["-n", "-m", "sh", "-c", &script]).env("REDLINE_IN_NETNS", "1").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert!(out.status.success(), "inside the namespace:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the inner test did not run: {stdout}");
}

async fn expect_refused(fetcher: &Fetcher, url: &str, failures: &mut Vec<String>) {
    match fetcher.fetch(&Request { url, ..Default::default() }, Expect::Html).await {
        Err(FetchError::PrivateAddress(_)) | Err(FetchError::BadUrl(_)) => {}
        // A redirect to a non-http scheme is not followed at all: the 302 itself is the failure.
        Err(FetchError::Status { status: 302, .. }) if url.ends_with("/to-file") => {}
        Err(e) => {
            // Refused for another reason (e.g. nothing listens there): acceptable only if it says so.
            let message = e.to_string();
            if !message.contains("refused") {
                failures.push(format!("{url}: not refused as private but failed with: {message}"));
            }
        }
        Ok(_) => failures.push(format!("{url}: FETCHED")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by ssrf_in_a_private_network_namespace inside unshare -n -m"]
async fn ssrf_inside_the_namespace() {
    assert_eq!(
        std::env::var("REDLINE_IN_NETNS").as_deref(),
        Ok("1"),
        "run through ssrf_in_a_private_network_namespace"
    );
    // Internal services: loopback v4 and v6. Every hit is an SSRF.
    let inside: Hits = Arc::default();
    let loop4 = serve("127.0.0.1:0", recorder(Arc::clone(&inside))).await;
    let loop6 = serve("[::1]:0", recorder(Arc::clone(&inside))).await;
    let p4 = loop4.rsplit(':').next().unwrap().to_string();
    let p6 = loop6.rsplit(':').next().unwrap().to_string();
    // The attacker's "public" server redirects inward.
    let version = Arc::new(AtomicUsize::new(0));
    let redirects: HashMap<&str, String> = HashMap::from([
        ("/to-loopback", format!("http://127.0.0.1:{p4}/secret")),
        ("/to-loopback-name", format!("http://loop.test:{p4}/secret")),
        ("/to-localhost", format!("http://localhost:{p4}/secret")),
        ("/to-v6", format!("http://[::1]:{p6}/secret")),
        ("/to-mapped", format!("http://[::ffff:127.0.0.1]:{p4}/secret")),
        ("/to-decimal", format!("http://2130706433:{p4}/secret")),
        ("/to-zero", format!("http://0.0.0.0:{p4}/secret")),
        ("/to-metadata", "http://169.254.169.254/latest/meta-data/".to_string()),
        ("/to-metadata-name", "http://metadata.test/latest/meta-data/".to_string()),
        ("/to-file", "file:///etc/passwd".to_string()),
        ("/to-relative-trick", format!("//127.0.0.1:{p4}/secret")),
    ]);
    let redirects = Arc::new(redirects);
    let public_app = {
        let (redirects, version) = (Arc::clone(&redirects), Arc::clone(&version));
        axum::Router::new().fallback(move |uri: Uri| {
            let (redirects, version) = (Arc::clone(&redirects), Arc::clone(&version));
            async move {
                if let Some(target) = redirects.get(uri.path()) {
                    return (StatusCode::FOUND, [(header::LOCATION, target.clone())]).into_response();
                }
                match uri.path() {
                    "/robots.txt" => StatusCode::NOT_FOUND.into_response(),
                    "/ok" => axum::response::Html(story(
                        "Public story",
                        &"<p>An update paragraph that makes this version differ from the one before it.</p>"
                            .repeat(version.load(Ordering::SeqCst)),
                    ))
                    .into_response(),
                    _ => StatusCode::NOT_FOUND.into_response(),
                }
            }
        })
    };
    let public = serve(&format!("{PUBLIC_V4}:0"), public_app.clone()).await;
    let q = public.rsplit(':').next().unwrap().to_string();
    let public6 = serve(&format!("[{PUBLIC_V6}]:0"), public_app).await;

    let fetcher = Fetcher::new(&FetchConfig { robots: false, ..FetchConfig::default() }).unwrap();
    // Positive controls: the setup really serves public pages.
    for url in [format!("{public}/ok"), format!("http://public.test:{q}/ok"), format!("{public6}/ok")] {
        let got = fetcher.fetch(&Request { url: &url, ..Default::default() }, Expect::Html).await;
        assert!(got.is_ok(), "control {url}: {:?}", got.err());
    }
    // A name with a public and a private address: only the public one is used.
    let mixed =
        fetcher.fetch(&Request { url: &format!("http://mixed.test:{q}/ok"), ..Default::default() }, Expect::Html).await;
    assert!(mixed.is_ok(), "mixed.test: {:?}", mixed.err());

    let mut failures = Vec::new();
    let direct = [
        format!("http://127.0.0.1:{p4}/secret"),
        format!("http://127.1:{p4}/secret"),
        format!("http://2130706433:{p4}/secret"),
        format!("http://0x7f000001:{p4}/secret"),
        format!("http://0177.0.0.1:{p4}/secret"),
        format!("http://0.0.0.0:{p4}/secret"),
        format!("http://[::1]:{p6}/secret"),
        format!("http://[::ffff:127.0.0.1]:{p4}/secret"),
        format!("http://[::ffff:7f00:1]:{p4}/secret"),
        format!("http://[::127.0.0.1]:{p4}/secret"),
        format!("http://[64:ff9b::7f00:1]:{p4}/secret"),
        format!("http://[0:0:0:0:0:ffff:127.0.0.1]:{p4}/secret"),
        format!("http://localhost:{p4}/secret"),
        format!("http://LOCALHOST:{p4}/secret"),
        format!("http://loop.test:{p4}/secret"),
        format!("http://loop6.test:{p6}/secret"),
        format!("http://mapped.test:{p4}/secret"),
        "http://intranet.test/".to_string(),
        "http://metadata.test/latest/meta-data/".to_string(),
        "http://10.0.0.1/".to_string(),
        "http://172.16.0.1/".to_string(),
        "http://192.168.1.1/".to_string(),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://100.64.0.1/".to_string(),
        "http://[fe80::1]/".to_string(),
        "http://[fc00::1]/".to_string(),
        "http://[fd00:ec2::254]/".to_string(),
        "http://224.0.0.1/".to_string(),
        "http://255.255.255.255/".to_string(),
        format!("http://127.0.0.1:{p4}\\@public.test:{q}/ok"),
        format!("http://public.test:{q}@127.0.0.1:{p4}/secret"),
        "file:///etc/passwd".to_string(),
        format!("gopher://127.0.0.1:{p4}/_GET"),
        format!("ftp://127.0.0.1:{p4}/"),
    ];
    for url in &direct {
        expect_refused(&fetcher, url, &mut failures).await;
    }
    for path in redirects.keys() {
        expect_refused(&fetcher, &format!("{public}{path}"), &mut failures).await;
        expect_refused(&fetcher, &format!("http://public.test:{q}{path}"), &mut failures).await;
    }
    eprintln!(
        "SSRF: {} direct forms and {} redirect forms refused; {} requests reached loopback",
        direct.len(),
        redirects.len() * 2,
        inside.lock().unwrap().len()
    );
    assert!(failures.is_empty(), "SSRF not refused:\n{}", failures.join("\n"));
    assert!(inside.lock().unwrap().is_empty(), "requests reached the inside: {:?}", inside.lock().unwrap());

    // The real daemon, allow_private = false: watches and a webhook that point inside.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.db");
    let mut text = format!(
        "[storage]\npath = {:?}\n[web]\nenabled = false\n[fetch]\nper_host_delay = \"0s\"\n\
         [[webhook]]\nurl = \"http://127.0.0.1:{p4}/hook\"\n[[webhook]]\nurl = \"http://loop.test:{p4}/hook\"\n",
        db.display().to_string()
    );
    let watched = [
        format!("http://public.test:{q}/ok"),
        format!("http://public.test:{q}/to-loopback"),
        format!("http://loop.test:{p4}/secret"),
    ];
    for url in &watched {
        text.push_str(&format!("[[watch]]\nurl = {url:?}\n"));
    }
    let config = dir.path().join("redline.toml");
    std::fs::write(&config, text).unwrap();
    let run = |config: &Path| {
        let out = redline(&["--config", config.to_str().unwrap(), "run", "--once"]);
        (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    };
    let (ok, output) = run(&config);
    if ok {
        version.store(1, Ordering::SeqCst);
        let (ok2, output2) = run(&config);
        assert!(ok2, "{output2}");
        let conn = rusqlite::Connection::open(&db).unwrap();
        let errors: Vec<(String, Option<String>)> = conn
            .prepare("SELECT url, last_error FROM articles ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (url, error) in &errors {
            if url.ends_with("/ok") {
                assert!(error.is_none(), "{url}: {error:?}");
            } else {
                assert!(error.as_deref().unwrap_or("").contains("refused"), "{url}: {error:?}");
            }
        }
        let changes: i64 = conn.query_row("SELECT COUNT(*) FROM changes", [], |r| r.get(0)).unwrap();
        assert_eq!(changes, 1, "the public story changed once");
        let delivered: i64 =
            conn.query_row("SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'", [], |r| r.get(0)).unwrap();
        assert_eq!(delivered, 0, "a webhook pointing inside was delivered");
    } else {
        // Refusing a config whose webhook points inside is fine too, if it says why.
        assert!(output.contains("private") || output.contains("loopback"), "{output}");
    }
    assert!(inside.lock().unwrap().is_empty(), "the daemon reached the inside: {:?}", inside.lock().unwrap());
}

#[test]
fn private_literals_are_refused_without_any_network() {
    for url in [
        "http://127.0.0.1/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[::10.0.0.1]/",
        "http://10.1.2.3/",
        "http://172.31.255.255/",
        "http://192.168.0.1/",
        "http://169.254.169.254/",
        "http://100.100.100.200/",
        "http://[fe80::1%25eth0]/",
        "http://[fd00::1]/",
        "http://[ff02::1]/",
        "http://240.0.0.1/",
    ] {
        let refused = check_literal(url, false);
        assert!(matches!(refused, Err(NetError::PrivateAddress(_)) | Err(NetError::BadUrl(_))), "{url}: {refused:?}");
        assert!(check_literal(url, true).is_ok() || url.contains('%'), "{url} with allow_private");
    }
    for url in [
        "file:///etc/passwd",
        "gopher://example.com/",
        "ftp://example.com/",
        "data:text/html,hi",
        "javascript:alert(1)",
    ] {
        assert!(matches!(check_literal(url, true), Err(NetError::BadUrl(_))), "{url}");
    }
    for url in ["http://93.184.216.34/", "http://[2606:4700::1111]/", "https://example.com/"] {
        assert!(check_literal(url, false).is_ok(), "{url}");
    }
}

// ---------------------------------------------------------------- stored XSS

/// Markup an attacker puts into a story as text (entity-escaped in the page, so it is text after extraction).
const PAYLOADS: &[(&str, &str)] = &[
    ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)"),
    ("&lt;img src=x onerror=alert(2)&gt;", "<img src=x"),
    ("&lt;a href=\"javascript:alert(3)\"&gt;click&lt;/a&gt;", "<a href=\"javascript:"),
    ("&quot;&gt;&lt;svg onload=alert(4)&gt;", "<svg onload"),
    ("]]&gt;&lt;/content&gt;&lt;script&gt;alert(5)&lt;/script&gt;", "<script>alert(5)"),
    ("&lt;/title&gt;&lt;iframe src=//evil.example&gt;", "<iframe"),
];

#[derive(Clone)]
struct Collector {
    inbox: Arc<Mutex<Vec<Vec<u8>>>>,
    current: Vec<u8>,
}

impl Handler for Collector {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> mailin_embedded::Response {
        self.current.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        self.inbox.lock().unwrap().push(std::mem::take(&mut self.current));
        response::OK
    }
}

fn start_smtp() -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let inbox = Arc::new(Mutex::new(Vec::new()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let mut server = Server::new(Collector { inbox: Arc::clone(&inbox), current: Vec::new() });
    server.with_name("test.local").with_ssl(SslConfig::None).unwrap().with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (url, inbox)
}

async fn xss_site(version: Arc<AtomicUsize>) -> String {
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let v = version.load(Ordering::SeqCst);
        async move {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
            match uri.path() {
                "/robots.txt" => StatusCode::NOT_FOUND.into_response(),
                "/feed.xml" => (
                    [(header::CONTENT_TYPE, "application/rss+xml")],
                    format!("<rss version=\"2.0\"><channel><title>x</title><item><link>http://{host}/story</link></item></channel></rss>"),
                )
                    .into_response(),
                "/story" => {
                    let title: String = format!("Mayor {} resigns", PAYLOADS[0].0) + PAYLOADS[5].0;
                    let mut extra = String::new();
                    if v > 0 {
                        for (p, _) in PAYLOADS {
                            extra.push_str(&format!("<p>Researchers showed that a comment such as {p} ran in browsers.</p>"));
                        }
                        extra.push_str("<p>Editor's note: This article was updated to include the researchers' findings.</p>");
                    }
                    axum::response::Html(story(&title, &extra)).into_response()
                }
                _ => StatusCode::NOT_FOUND.into_response(),
            }
        }
    });
    serve("127.0.0.1:0", app).await
}

fn assert_no_markup(place: &str, text: &str) {
    for (_, raw) in PAYLOADS {
        assert!(!text.contains(raw), "{place}: live markup {raw:?} in\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn article_text_and_titles_never_become_markup_in_the_ui_the_atom_feed_or_email() {
    let version = Arc::new(AtomicUsize::new(0));
    let site = xss_site(Arc::clone(&version)).await;
    let (smtp, inbox) = start_smtp();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.db");
    let config = dir.path().join("redline.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\npath = {:?}\n[web]\nenabled = false\n[fetch]\nallow_private = true\nper_host_delay = \"0s\"\n\
             [[watch]]\nfeed = \"{site}/feed.xml\"\n[[email]]\nsmtp = {smtp:?}\nfrom = \"r@test.local\"\nto = [\"d@test.local\"]\n",
            db.display().to_string()
        ),
    )
    .unwrap();
    for v in 0..2 {
        version.store(v, Ordering::SeqCst);
        let out = tokio::task::spawn_blocking({
            let c = config.clone();
            move || redline(&["--config", c.to_str().unwrap(), "run", "--once"])
        })
        .await
        .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    // The stored text holds the markup as text: the attack really went in.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (title, paragraphs): (String, String) = conn
        .query_row("SELECT title, paragraphs FROM versions ORDER BY id DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert!(title.contains("<script>alert(1)</script>"), "{title}");
    assert!(paragraphs.contains("<img src=x onerror=alert(2)>"), "{paragraphs}");

    // Email: the HTML part has no live markup.
    let mails = inbox.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "one alert mail");
    let mail = mail_parser::MessageParser::default().parse(&mails[0]).unwrap();
    let html = mail.body_html(0).expect("an HTML part").to_string();
    assert_no_markup("email HTML part", &html);
    if let Some(subject) = mail.subject() {
        // A subject is plain text; it is fine for it to show the text as written.
        assert!(!subject.contains('\n'), "header injection in subject: {subject:?}");
    }

    // Web UI and Atom feeds, served from the same database.
    let store = Arc::new(redline::store::Store::open(&db).unwrap());
    let state = redline::web::WebState::new(store, redline::web::WebOptions::default()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, redline::web::router(state)).await.unwrap() });
    let (article_id, change_id, source_id): (i64, i64, i64) = conn
        .query_row(
            "SELECT c.article_id, c.id, a.source_id FROM changes c JOIN articles a ON a.id = c.article_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let client = reqwest::Client::new();
    let pages = [
        "/".to_string(),
        "/articles".into(),
        format!("/articles/{article_id}"),
        format!("/articles/{article_id}/versions/1"),
        format!("/articles/{article_id}/versions/2"),
        format!("/changes/{change_id}"),
        "/watches".into(),
        "/search?q=alert".into(),
        "/search?q=%3Cscript%3Ealert(9)%3C/script%3E".into(),
    ];
    for page in &pages {
        let r = client.get(format!("{base}{page}")).send().await.unwrap();
        assert!(r.status().is_success(), "{page}: {}", r.status());
        let csp = r.headers().get(header::CONTENT_SECURITY_POLICY).map(|v| v.to_str().unwrap().to_string());
        assert!(csp.is_some_and(|c| c.contains("script-src") || c.contains("default-src")), "{page}: no CSP");
        let body = r.text().await.unwrap();
        assert_no_markup(page, &body);
        assert!(!body.contains("<script>alert(9)"), "{page}: reflected query");
    }
    // The raw snapshot is served as text (or escaped), never as live HTML.
    let raw = client.get(format!("{base}/articles/{article_id}/versions/2/raw")).send().await.unwrap();
    let ct = raw.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let nosniff = raw.headers().get(header::X_CONTENT_TYPE_OPTIONS).is_some();
    let body = raw.text().await.unwrap();
    assert!(ct.starts_with("text/plain") && nosniff || !body.contains("<script>alert(1)"), "raw page {ct}: {body}");
    // Atom: decode each text construct; HTML ones must carry no live markup after decoding.
    for feed_path in ["/feed.atom".to_string(), format!("/watches/{source_id}/feed.atom")] {
        let xml = client.get(format!("{base}{feed_path}")).send().await.unwrap().text().await.unwrap();
        let feed =
            feed_rs::parser::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{feed_path} does not parse: {e}\n{xml}"));
        assert!(!feed.entries.is_empty(), "{feed_path}: no entries");
        for entry in &feed.entries {
            let mut constructs = Vec::new();
            if let Some(t) = &entry.title {
                constructs.push(("title", t.content_type.to_string(), t.content.clone()));
            }
            if let Some(s) = &entry.summary {
                constructs.push(("summary", s.content_type.to_string(), s.content.clone()));
            }
            if let Some(c) = &entry.content {
                constructs.push(("content", c.content_type.to_string(), c.body.clone().unwrap_or_default()));
            }
            for (name, ctype, decoded) in constructs {
                if ctype.contains("html") {
                    assert_no_markup(&format!("{feed_path} {name} ({ctype})"), &decoded);
                }
            }
        }
    }
}

// ---------------------------------------------------------------- API token

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_writes_need_the_exact_bearer_token() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(redline::store::Store::open(&dir.path().join("r.db")).unwrap());
    let token = "s3cr3t-token-0123456789abcdef";
    let options = redline::web::WebOptions { token: Some(token.into()), ..Default::default() };
    let state = redline::web::WebState::new(Arc::clone(&store), options).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, redline::web::router(state)).await.unwrap() });
    let client = reqwest::Client::new();
    let add = |auth: Option<String>| {
        let mut r = client
            .post(format!("{base}/api/watches"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(r#"{"url": "https://news.example/a"}"#);
        if let Some(a) = auth {
            r = r.header(header::AUTHORIZATION, a);
        }
        r.send()
    };
    let basic = |password: &str| {
        use base64::Engine;
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("redline:{password}")))
    };
    let last_char_wrong = format!("{}X", &token[..token.len() - 1]);
    let refused = [
        ("no token", None),
        ("empty bearer", Some("Bearer ".to_string())),
        ("wrong token", Some("Bearer nope".to_string())),
        ("same length, last character wrong", Some(format!("Bearer {last_char_wrong}"))),
        ("prefix of the token", Some(format!("Bearer {}", &token[..10]))),
        ("token plus a suffix", Some(format!("Bearer {token}x"))),
        ("token in Basic auth (a browser could replay it cross-site)", Some(basic(token))),
        ("lower-case scheme with wrong token", Some(format!("bearer {last_char_wrong}"))),
    ];
    for (what, auth) in refused {
        let r = add(auth).await.unwrap();
        assert!(matches!(r.status().as_u16(), 401 | 403), "{what}: {}", r.status());
    }
    assert!(store.sources().unwrap().is_empty(), "a refused write changed the database");
    // Every other write route refuses too.
    for path in ["/api/watches/1/pause", "/api/watches/1/resume", "/api/watches/1/remove"] {
        let r = client.post(format!("{base}{path}")).send().await.unwrap();
        assert!(matches!(r.status().as_u16(), 401 | 403), "{path}: {}", r.status());
    }
    // GET never writes: a state change on GET would be CSRF.
    for path in ["/api/watches/1/pause", "/api/watches/1/remove"] {
        let r = client.get(format!("{base}{path}")).send().await.unwrap();
        assert!(!r.status().is_success(), "GET {path}: {}", r.status());
    }
    let r = add(Some(format!("Bearer {token}"))).await.unwrap();
    assert!(r.status().is_success(), "the right token: {}", r.status());
    assert_eq!(store.sources().unwrap().len(), 1);
}

// ---------------------------------------------------------------- secrets

/// Runs the daemon with every kind of secret configured and every delivery failing, then the
/// listing commands; returns the leaks found as (secret kind, where, line).
async fn secret_leaks() -> Vec<(&'static str, String)> {
    let version = Arc::new(AtomicUsize::new(0));
    let site = xss_site(Arc::clone(&version)).await;
    // A chat webhook whose URL path is the secret, answering 500 so that errors get logged.
    let chat_hits: Hits = Arc::default();
    let chat = serve(
        "127.0.0.1:0",
        axum::Router::new()
            .fallback(move |State(h): State<Hits>, uri: Uri| async move {
                h.lock().unwrap().push(uri.to_string());
                (StatusCode::INTERNAL_SERVER_ERROR, "boom")
            })
            .with_state(Arc::clone(&chat_hits)),
    )
    .await;
    // A port nobody listens on: a connection error (reqwest errors like to print URLs).
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let secret_body = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let chat_path_secret = "XOXB9f8e7d6c5b4a3";
    let closed_path_secret = "T0PSECRETPATHq1w2e3";
    let smtp_password = "smtp-pa55word-Zq8";
    let web_token = "web-token-5up3rs3cr3t-42";
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.db");
    let config = dir.path().join("redline.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\npath = {db:?}\n[web]\nenabled = false\ntoken = {web_token:?}\n\
             [fetch]\nallow_private = true\nper_host_delay = \"0s\"\n\
             [[watch]]\nfeed = \"{site}/feed.xml\"\n\
             [[webhook]]\nurl = \"{chat}/services/T000/B000/{chat_path_secret}\"\nformat = \"slack\"\n\
             [[webhook]]\nurl = \"http://127.0.0.1:{closed}/hooks/{closed_path_secret}\"\nsecret = {secret:?}\n\
             [[email]]\nsmtp = \"smtp://127.0.0.1:{closed}\"\nfrom = \"r@test.local\"\nto = [\"d@test.local\"]\n\
             username = \"redline\"\npassword = {smtp_password:?}\n",
            db = db.display().to_string()
        ),
    )
    .unwrap();
    let c = config.to_str().unwrap().to_string();
    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut capture = |what: &str, args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_redline"));
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        outputs.push((
            what.to_string(),
            String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
        ));
    };
    let trace = [("RUST_LOG", "trace"), ("NO_COLOR", "1")];
    for v in 0..2 {
        version.store(v, Ordering::SeqCst);
        let args = ["--config", c.as_str(), "run", "--once"];
        tokio::task::block_in_place(|| capture(&format!("run --once #{v} (trace)"), &args, &trace));
    }
    tokio::task::block_in_place(|| {
        capture("status", &["--config", &c, "status"], &[]);
        capture("alerts", &["--config", &c, "alerts"], &[]);
        capture("alerts retry --all (trace)", &["--config", &c, "alerts", "retry", "--all"], &trace);
        capture("list", &["--config", &c, "list"], &[]);
    });
    assert!(!chat_hits.lock().unwrap().is_empty(), "the chat webhook was tried");
    let everything: String = outputs.iter().map(|(w, o)| format!("=== {w}\n{o}\n")).collect();
    assert!(everything.contains("HTTP 500") || everything.contains("500"), "errors were logged:\n{everything}");
    let mut leaks = Vec::new();
    let secrets = [
        ("webhook signing secret", secret),
        ("webhook signing secret", secret_body),
        ("webhook URL path", chat_path_secret),
        ("webhook URL path", closed_path_secret),
        ("SMTP password", smtp_password),
        ("web token", web_token),
    ];
    for (what, out) in &outputs {
        for (kind, s) in secrets {
            if out.contains(s) {
                let line = out.lines().find(|l| l.contains(s)).unwrap_or("");
                leaks.push((kind, format!("{what}: {line}")));
            }
        }
    }
    leaks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_secrets_passwords_and_tokens_never_appear_in_logs_status_or_listings() {
    let leaks: Vec<String> = secret_leaks()
        .await
        .into_iter()
        .filter(|(k, _)| *k != "webhook URL path")
        .map(|(k, l)| format!("{k}: {l}"))
        .collect();
    assert!(leaks.is_empty(), "secrets printed:\n{}", leaks.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_url_paths_never_appear_in_logs_or_listings() {
    let leaks: Vec<String> = secret_leaks()
        .await
        .into_iter()
        .filter(|(k, _)| *k == "webhook URL path")
        .map(|(k, l)| format!("{k}: {l}"))
        .collect();
    assert!(leaks.is_empty(), "secret webhook URLs printed:\n{}", leaks.join("\n"));
}
