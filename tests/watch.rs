//! Watches through the binary: every route stores the same source, and
//! `redline diff` compares versions with the watch's rules, as the daemon did.

mod common;

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::response::Html;
use common::{redline, run_once};
use redline::config::{DEFAULT_REVISIT, EVERY_AND_CRON};
use redline::store::{SourceKind, Store};
use redline::watch::Rules;

fn page(reference: &str, extra: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><title>Council passes the budget</title></head><body>
<nav><a href="/">Home</a></nav><article><h1>Council passes the budget</h1>
<p>The city council approved next year's budget on Tuesday evening after a four-hour debate about school funding and road repairs (ref {reference}).</p>
<p>The mayor said the vote was close but that the plan keeps every library branch open for at least another two years.</p>
{extra}</article><footer>City Desk</footer></body></html>"#
    )
}

const REAL_EDIT: &str =
    "Opposition councillors said they would ask the regional court to review the decision next month.";

/// Serves `/story` with whatever `html` holds (anything else, robots.txt included, is a 404).
async fn serve(html: Arc<Mutex<String>>) -> String {
    let app = axum::Router::new()
        .route(
            "/story",
            axum::routing::get(|State(h): State<Arc<Mutex<String>>>| async move { Html(h.lock().unwrap().clone()) }),
        )
        .with_state(html);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/story", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn text(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_applies_the_watch_ignore_rules_and_agrees_with_the_log() {
    let html = Arc::new(Mutex::new(page("QX-1042", "")));
    let url = serve(Arc::clone(&html)).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("redline.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\npath = {:?}\n[fetch]\nallow_private = true\nper_host_delay = \"0s\"\n[[watch]]\nurl = {url:?}\nignore = [\"\\\\(ref [A-Z]{{2}}-\\\\d+\\\\)\"]\n",
            dir.path().join("redline.db").display().to_string()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    run_once(config.as_ref()).await;
    // The ignored pattern moves and a real sentence appears.
    *html.lock().unwrap() = page("ZP-7731", &format!("<p>{REAL_EDIT}</p>"));
    run_once(config.as_ref()).await;

    let json = text(&redline(&["--config", config, "diff", &url, "--format", "json"]).await);
    let change: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(change["added"], serde_json::json!([REAL_EDIT]), "{json}");
    assert_eq!(change["removed"], serde_json::json!([]), "{json}");
    let shown = text(&redline(&["--config", config, "diff", &url]).await);
    assert!(shown.contains(REAL_EDIT), "{shown}");
    let edited = |l: &&str| l.starts_with(['~', '+', '-']);
    assert!(
        !shown.lines().filter(edited).any(|l| l.contains("(ref ")),
        "the ignored text is shown as an edit:\n{shown}"
    );

    // `redline log` shows what the daemon recorded: the same kinds and summary.
    let log = text(&redline(&["--config", config, "log", &url]).await);
    let kinds: Vec<&str> = change["kinds"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
    let recorded = format!("[{}] {}", kinds.join(", "), change["summary"].as_str().unwrap());
    assert!(log.lines().any(|l| l.trim() == recorded), "log:\n{log}\ndiff: {recorded}");
}

#[tokio::test]
async fn add_import_and_config_store_the_same_feed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let config = dir.path().join("redline.toml");
    let storage = format!("[storage]\npath = {:?}\n", db.display().to_string());
    std::fs::write(&config, &storage).unwrap();
    let config = config.to_str().unwrap().to_string();

    let both =
        redline(&["--config", &config, "add", "https://news.example/a", "--every", "5m", "--cron", "0 * * * * *"])
            .await;
    assert!(!both.status.success());
    assert!(
        String::from_utf8_lossy(&both.stderr).contains(EVERY_AND_CRON),
        "{}",
        String::from_utf8_lossy(&both.stderr)
    );

    text(&redline(&["--config", &config, "add", "https://news.example/one.xml", "--feed", "--every", "15m"]).await);
    let opml = dir.path().join("feeds.opml");
    std::fs::write(&opml, r#"<opml><body><outline xmlUrl="https://news.example/two.xml"/></body></opml>"#).unwrap();
    text(&redline(&["--config", &config, "import", opml.to_str().unwrap(), "--every", "15m"]).await);
    let with_watch = format!("{storage}[[watch]]\nfeed = \"https://news.example/three.xml\"\nevery = \"15m\"\n");
    // Opening the daemon stores the config's watches.
    let parsed = redline::config::Config::parse(&with_watch, "watching.toml".as_ref()).unwrap();
    drop(redline::daemon::Daemon::new(parsed).unwrap());

    let sources = Store::open(&db).unwrap().sources().unwrap();
    assert_eq!(sources.len(), 3, "{sources:?}");
    for s in &sources {
        assert_eq!((s.kind, s.schedule.as_str()), (SourceKind::Feed, "every 15m"), "{}", s.url);
        let rules = Rules::decode(&s.rules).unwrap();
        assert_eq!(rules.revisit.as_deref(), Some(&DEFAULT_REVISIT[..]), "{}", s.url);
        assert_eq!(s.rules, sources[0].rules, "{}", s.url);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_rule_that_does_not_compile_fails_the_check_with_its_reason() {
    let url = serve(Arc::new(Mutex::new(page("QX-1042", "")))).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.db");
    let config = dir.path().join("redline.toml");
    let settings = format!("[storage]\npath = {:?}\n[fetch]\nallow_private = true\n", db.display().to_string());
    std::fs::write(&config, settings).unwrap();
    let source = redline::store::NewSource {
        kind: SourceKind::Article,
        url: url.clone(),
        schedule: "every 10m".into(),
        rules: r#"{"ignore": ["("]}"#.into(),
    };
    Store::open(&db).unwrap().add_source(&source, 0).unwrap();
    let stdout = run_once(&config).await;
    assert!(stdout.contains("1 failed"), "{stdout}");
    let article = Store::open(&db).unwrap().article_by_url(&url).unwrap().unwrap();
    let error = article.last_error.unwrap_or_default();
    assert!(error.contains("stored rules cannot be used") && error.contains("\"(\""), "{error}");
}
