//! Alerts always arrive as promised: signed webhooks through outages, 410s and
//! crashes; email (multipart, escaped redline, digests) through a real SMTP
//! server running in the test process; alert rules.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::{open_store, redline, run_once, start_receiver, start_receiver_on, storage_key, webhook, write_config};
use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use redline::newsroom::Newsroom;
use redline::store::Table;

/// Mails received by the in-process SMTP server, raw.
type Inbox = Arc<Mutex<Vec<Vec<u8>>>>;

#[derive(Clone)]
struct Collector {
    inbox: Inbox,
    current: Vec<u8>,
}

impl Handler for Collector {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        self.current.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.inbox.lock().unwrap().push(std::mem::take(&mut self.current));
        response::OK
    }
}

/// Starts an SMTP server on 127.0.0.1; returns its `smtp://` URL and the inbox.
fn start_smtp() -> (String, Inbox) {
    let inbox: Inbox = Arc::new(Mutex::new(Vec::new()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let mut server = Server::new(Collector { inbox: Arc::clone(&inbox), current: Vec::new() });
    server.with_name("test.local").with_ssl(SslConfig::None).unwrap().with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (url, inbox)
}

fn email(smtp: &str, extra: &str) -> String {
    format!("[[email]]\nsmtp = {smtp:?}\nfrom = \"redline@test.local\"\nto = [\"desk@test.local\"]\n{extra}\n")
}

/// A one-article site whose story is edited when `version` is bumped; the
/// added text shows markup as text, as a story about web security would.
async fn start_site(version: Arc<AtomicUsize>) -> String {
    let app = axum::Router::new()
        .route(
            "/feed.xml",
            axum::routing::get(|| async {
                let body = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Site</title>
                    <item><title>Browser flaw</title><link>/story</link></item></channel></rss>"#;
                ([("content-type", "application/rss+xml")], body)
            }),
        )
        .route(
            "/story",
            axum::routing::get(move || {
                let edited = version.load(Ordering::SeqCst) > 0;
                async move {
                    let extra = if edited {
                        "<p>Researchers showed that a comment such as &lt;script&gt;alert(1)&lt;/script&gt; or \
                         &lt;img src=x onerror=alert(2)&gt; ran in readers' browsers.</p>\
                         <p>Editor's note: This article was updated to include the researchers' findings.</p>"
                    } else {
                        ""
                    };
                    axum::response::Html(format!(
                        "<html><head><title>Browser flaw <b>patched</b> | Site</title></head><body>\
                         <nav><a href=\"/\">Home</a></nav><article><h1>Browser flaw &lt;b&gt;patched&lt;/b&gt;</h1>\
                         <p>A flaw that let web pages run code in readers' browsers was patched on Tuesday, the \
                         vendor said in a short statement published late in the evening.</p>\
                         <p>The company urged users to update as soon as possible and said there was no evidence \
                         that the flaw had been used in attacks before it was reported.</p>{extra}</article>\
                         <footer>Site footer</footer></body></html>"
                    ))
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn parse(raw: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default().parse(raw).expect("a parsable mail")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_is_multipart_with_an_escaped_redline() {
    let version = Arc::new(AtomicUsize::new(0));
    let site = start_site(Arc::clone(&version)).await;
    let (smtp, inbox) = start_smtp();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &format!("{site}/feed.xml"), &email(&smtp, ""));
    run_once(&config).await;
    assert!(inbox.lock().unwrap().is_empty(), "version 1 alerts nobody");

    version.store(1, Ordering::SeqCst);
    run_once(&config).await;
    let mails = inbox.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    let mail = parse(&mails[0]);
    assert_eq!(mail.subject(), Some("[Redline] Edited: Browser flaw <b>patched</b> — editor's note added"));
    let text = mail.body_text(0).unwrap();
    assert!(text.contains("<script>alert(1)</script>"), "the text part shows the text as written: {text}");
    let html = mail.body_html(0).unwrap();
    assert!(html.contains("<ins"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    assert!(html.contains("Browser flaw &lt;b&gt;patched&lt;/b&gt;"), "{html}");
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>"), "{html}");

    let store = open_store(dir.path()).unwrap();
    let delivered = store.deliveries("delivered").unwrap();
    assert_eq!(delivered.len(), 1);
    assert_eq!(mail.message_id(), Some(format!("{}@redline", delivered[0].event_id).as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_sends_all_recent_changes_in_one_mail() {
    let newsroom = Newsroom::start().await.unwrap();
    let (smtp, inbox) = start_smtp();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &newsroom.feed_url(), &email(&smtp, "digest = \"3s\""));
    run_once(&config).await;
    let edits = newsroom.publish_all_edits();
    run_once(&config).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    run_once(&config).await;
    let mails = inbox.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "one digest");
    let mail = parse(&mails[0]);
    assert_eq!(mail.subject().unwrap(), format!("[Redline] {} articles edited", edits.len()));
    let text = mail.body_text(0).unwrap();
    assert_eq!(text.matches("[Redline] Edited:").count(), edits.len(), "{text}");
    newsroom.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_format_is_a_readable_message() {
    let newsroom = Newsroom::start().await.unwrap();
    let (hook, received) = start_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &newsroom.feed_url(), &format!("{}format = \"slack\"\n", webhook(&hook)));
    run_once(&config).await;
    let edits = newsroom.publish_all_edits();
    run_once(&config).await;
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), edits.len());
    for r in &got {
        let text = r.json()["text"].as_str().unwrap().to_string();
        assert!(text.starts_with("*<http://127.0.0.1:"), "{text}");
        assert!(r.verified);
    }
    newsroom.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_disables_the_endpoint_until_retried() {
    let newsroom = Newsroom::start().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let answer: common::Answer =
        Arc::new(|n| (if n == 0 { StatusCode::GONE } else { StatusCode::NO_CONTENT }, Duration::ZERO));
    let (hook, received) = start_receiver_on(listener, answer);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &newsroom.feed_url(), &webhook(&hook));
    let config_arg = config.to_str().unwrap();
    run_once(&config).await;
    let edits = newsroom.publish_all_edits();
    run_once(&config).await;
    assert_eq!(received.lock().unwrap().len(), 1, "nothing more is sent after a 410");
    let store = open_store(dir.path()).unwrap();
    let failed = store.deliveries("failed").unwrap();
    assert_eq!(failed.len(), edits.len());
    assert!(failed.iter().all(|d| d.last_error.as_deref().unwrap_or("").contains("410")), "{failed:?}");
    let listing = redline(&["--config", config_arg, "alerts"]).await;
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains(&format!("FAILED ({})", edits.len())), "{listing}");

    let retry = redline(&["--config", config_arg, "alerts", "retry", "--all"]).await;
    let out = String::from_utf8_lossy(&retry.stdout);
    assert!(out.contains(&format!("{n} queued: {n} delivered", n = edits.len())), "{out}");
    assert_eq!(received.lock().unwrap().len(), 1 + edits.len());
    newsroom.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_rules_choose_which_changes_alert() {
    let newsroom = Newsroom::start().await.unwrap();
    let (hook, received) = start_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let rules = format!("[alerts]\nkinds = [\"headline\"]\n\n{}", webhook(&hook));
    let config = write_config(dir.path(), &newsroom.feed_url(), &rules);
    run_once(&config).await;
    let edits = newsroom.publish_all_edits();
    run_once(&config).await;
    let store = open_store(dir.path()).unwrap();
    assert_eq!(store.count(Table::Changes).unwrap(), edits.len() as i64, "every change is recorded");
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "only the headline change alerts");
    let kinds = got[0].json()["data"]["kinds"].clone();
    assert!(kinds.as_array().unwrap().iter().any(|k| k == "headline"), "{kinds}");
    newsroom.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_down_for_two_attempts_gets_every_event_once_per_id() {
    let newsroom = Newsroom::start().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let edits_count = newsroom.pending_edits().len();
    let answer: common::Answer = Arc::new(move |n| {
        (if n < 2 * edits_count { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK }, Duration::ZERO)
    });
    let (hook, received) = start_receiver_on(listener, answer);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &newsroom.feed_url(), &webhook(&hook));
    let config_arg = config.to_str().unwrap();
    run_once(&config).await;
    newsroom.publish_all_edits();
    run_once(&config).await; // attempt 1: 503
    redline(&["--config", config_arg, "alerts", "retry", "--all"]).await; // attempt 2: 503
    let out = redline(&["--config", config_arg, "alerts", "retry", "--all"]).await; // attempt 3: 200
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{edits_count} delivered")));

    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 3 * edits_count);
    let mut bodies: HashMap<String, BTreeSet<Vec<u8>>> = HashMap::new();
    for r in &got {
        assert!(r.verified);
        bodies.entry(r.id.clone()).or_default().insert(r.body.clone());
    }
    assert_eq!(bodies.len(), edits_count, "one id per event, kept across retries");
    assert!(bodies.values().all(|b| b.len() == 1), "every retry sends the same body");
    let successes: Vec<&String> = got.iter().filter(|r| r.status == 200).map(|r| &r.id).collect();
    assert_eq!(successes.iter().collect::<BTreeSet<_>>().len(), edits_count, "each event succeeds exactly once");
    assert_eq!(successes.len(), edits_count);
    newsroom.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_killed_before_sending_delivers_after_restart() {
    let newsroom = Newsroom::start().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    // The first request hangs: the daemon has committed its changes and is mid-send when it is killed.
    let answer: common::Answer =
        Arc::new(
            |n| if n == 0 { (StatusCode::OK, Duration::from_secs(120)) } else { (StatusCode::OK, Duration::ZERO) },
        );
    let (hook, received) = start_receiver_on(listener, answer);
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[storage]\n{}\n[fetch]\nallow_private = true\nper_host_delay = \"0s\"\n[[watch]]\nfeed = {:?}\nevery = \"1s\"\nrevisit = [[\"1d\", \"1s\"]]\n{}",
        storage_key(dir.path()),
        newsroom.feed_url(),
        webhook(&hook)
    );
    let config = dir.path().join("redline.toml");
    std::fs::write(&config, text).unwrap();
    // Named: its restart (the `--once` below, same name) frees what the killed run held at
    // once; on PostgreSQL another worker would wait for the leases to expire.
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_redline"))
        .args(["--config", config.to_str().unwrap(), "run", "--name", "killed-worker"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let count = |table| open_store(dir.path()).and_then(|s| s.count(table)).unwrap_or(0);
    let articles = newsroom.article_urls().len() as i64;
    wait_for(|| count(Table::Versions) >= articles).await;
    let edits = newsroom.publish_all_edits();
    wait_for(|| !received.lock().unwrap().is_empty()).await;
    daemon.kill().unwrap(); // SIGKILL
    daemon.wait().unwrap();

    let store = open_store(dir.path()).unwrap();
    let changes = store.count(Table::Changes).unwrap();
    assert!(changes >= 1, "at least the change being sent was committed");
    let again = redline(&["--config", config.to_str().unwrap(), "run", "--once", "--name", "killed-worker"]).await;
    assert!(again.status.success(), "run --once failed: {}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(store.count(Table::Changes).unwrap(), edits.len() as i64);
    let delivered = store.deliveries("delivered").unwrap();
    assert_eq!(delivered.len(), edits.len(), "every change delivered after the restart");
    let got = received.lock().unwrap().clone();
    for d in &delivered {
        let sends: Vec<_> = got.iter().filter(|r| r.id == d.event_id).collect();
        assert!(!sends.is_empty());
        assert!(sends.iter().all(|r| r.body == d.payload.as_bytes() && r.verified), "same id, same body");
    }
    assert!(got[1..].iter().any(|r| r.id == got[0].id), "the interrupted event is resent under its id");
    newsroom.shutdown().await;
}

async fn wait_for(mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < Duration::from_secs(60), "condition not met within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn the_demo_sends_its_alerts_to_an_smtp_server_given_on_the_command_line() {
    let (smtp, inbox) = start_smtp();
    let out = Command::new("timeout")
        .args(["60", env!("CARGO_BIN_EXE_redline"), "demo", "--stop-after", "1", "--smtp", &smtp])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mails = inbox.lock().unwrap().clone();
    assert!(!mails.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    let mail = parse(&mails[0]);
    assert!(mail.subject().unwrap().starts_with("[Redline] Edited: "), "{:?}", mail.subject());
}
