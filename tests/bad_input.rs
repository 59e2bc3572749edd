//! Bad configuration and a hostile environment: every malformed config names
//! its line; a database from a newer Redline is refused without being touched;
//! a read-only or full disk gives a clear error and leaves a database that
//! passes `PRAGMA integrity_check` and loses nothing once space is back.
//!
//! The disk tests mount a small tmpfs in a private mount namespace
//! (`unshare -m`, needs root or user namespaces); where that is impossible they
//! say so and are skipped rather than faked.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::IntoResponse;
use redline::config::{Config, ConfigError};

fn redline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_redline")).args(args).output().unwrap()
}

/// (what is wrong, config text, the line the error must name)
fn malformed() -> Vec<(&'static str, String, usize)> {
    let watch = "[[watch]]\nurl = \"https://news.example/a\"\n";
    vec![
        ("TOML syntax: unclosed string", format!("{watch}\n[fetch]\nuser_agent = \"Redline\n"), 5),
        ("TOML syntax: missing value", format!("{watch}[fetch]\ntimeout =\n"), 4),
        ("duplicate key", format!("{watch}[fetch]\ntimeout = \"5s\"\ntimeout = \"6s\"\n"), 5),
        ("unknown table key", format!("{watch}[fetch]\nallow_privat = true\n"), 4),
        ("unknown top-level table", format!("{watch}[fetsh]\ntimeout = \"5s\"\n"), 3),
        ("wrong type", format!("{watch}[fetch]\nconcurrency = \"eight\"\n"), 4),
        ("negative number", format!("{watch}[fetch]\nmax_body_bytes = -1\n"), 4),
        ("bad duration", format!("{watch}[fetch]\ntimeout = \"soon\"\n"), 4),
        ("bad interval", "[[watch]]\nurl = \"https://news.example/a\"\nevery = \"fortnightly\"\n".into(), 3),
        ("bad cron", "\n\n[[watch]]\nurl = \"https://news.example/a\"\ncron = \"61 * * * *\"\n".into(), 5),
        ("watch URL not http", "[storage]\npath = \"x.db\"\n[[watch]]\nurl = \"file:///etc/passwd\"\n".into(), 4),
        ("watch URL not a URL", "[[watch]]\nurl = \"news.example/a\"\n".into(), 2),
        ("watch with nothing to watch", "[[watch]]\nevery = \"5m\"\n".into(), 1),
        (
            "watch with url and feed",
            "[[watch]]\nurl = \"https://a.example/\"\nfeed = \"https://a.example/rss\"\n".into(),
            1,
        ),
        ("bad regex", format!("{watch}\n[[watch]]\nurl = \"https://b.example/\"\nignore = [\"(unclosed\"]\n"), 6),
        ("webhook URL not http", format!("{watch}[[webhook]]\nurl = \"ftp://hooks.example/\"\n"), 4),
        (
            "webhook secret malformed",
            format!("{watch}[[webhook]]\nurl = \"https://hooks.example/\"\nsecret = \"whsec_not base64!\"\n"),
            5,
        ),
        (
            "SMTP URL malformed",
            format!("{watch}[[email]]\nsmtp = \"mail.example\"\nfrom = \"a@b.c\"\nto = [\"d@e.f\"]\n"),
            4,
        ),
        ("significance out of range", format!("{watch}[alerts]\nmin_significance = 2.5\n"), 4),
    ]
}

#[test]
fn every_malformed_config_names_its_line() {
    let mut wrong = Vec::new();
    for (what, text, line) in malformed() {
        match Config::parse(&text, Path::new("bad.toml")) {
            Ok(_) => wrong.push(format!("{what}: accepted")),
            Err(ConfigError::Invalid { line: got, .. }) if got == line => {}
            Err(e) => wrong.push(format!("{what}: expected line {line}, got: {e}")),
        }
    }
    assert!(wrong.is_empty(), "{} of {} cases wrong:\n{}", wrong.len(), malformed().len(), wrong.join("\n"));
}

#[test]
fn the_command_line_shows_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    for (what, text, line) in malformed().into_iter().take(6) {
        let path = dir.path().join("redline.toml");
        std::fs::write(&path, &text).unwrap();
        let out = redline(&["--config", path.to_str().unwrap(), "run", "--once"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{what}: accepted");
        assert!(err.contains(&format!("redline.toml:{line}:")), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
}

#[test]
fn a_database_from_a_newer_redline_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.db");
    drop(redline::store::Store::open(&db).unwrap());
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let config = dir.path().join("redline.toml");
    std::fs::write(
        &config,
        format!("[storage]\npath = {:?}\n[[watch]]\nurl = \"https://news.example/a\"\n", db.display().to_string()),
    )
    .unwrap();
    for args in [&["run", "--once"][..], &["status"], &["list"]] {
        let mut all = vec!["--config", config.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = redline(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} accepted a newer schema");
        assert!(err.contains("schema version 99") && err.contains("newer than this Redline knows"), "{args:?}: {err}");
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 99);
    assert_eq!(std::fs::read(&db).unwrap(), before, "the newer database was modified");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.db");
    std::fs::write(&db, "this is a text file, not SQLite\n".repeat(200)).unwrap();
    let config = dir.path().join("redline.toml");
    std::fs::write(&config, format!("[storage]\npath = {:?}\n", db.display().to_string())).unwrap();
    let out = redline(&["--config", config.to_str().unwrap(), "status"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("not a database"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

// ---- read-only and full disks ----

static PUBLISHED: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339());

/// Articles of about 40 KB of text that does not compress, so a small disk fills up.
async fn start_site(articles: usize) -> String {
    async fn page(
        State(n): State<Arc<usize>>,
        UrlPath(path): UrlPath<String>,
        headers: axum::http::HeaderMap,
    ) -> axum::response::Response {
        let base = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
        if path == "feed.xml" {
            let items: String = (0..*n).map(|i| format!("<item><link>http://{base}/news/{i}</link></item>")).collect();
            let xml =
                format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>");
            return ([(header::CONTENT_TYPE, "application/rss+xml")], xml).into_response();
        }
        let i: u64 = path.trim_start_matches("news/").parse().unwrap_or(0);
        let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut words = |k: usize| -> String {
            (0..k)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    format!("w{:x}", x % 0xffffff)
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let paragraphs: String = (0..60).map(|_| format!("<p>The council said {}.</p>\n", words(80))).collect();
        let published = &*PUBLISHED;
        let html = format!(
            "<!doctype html><html><head><title>Story {i}</title><script type=\"application/ld+json\">\
             {{\"@type\":\"NewsArticle\",\"headline\":\"Story {i}\",\"datePublished\":\"{published}\"}}</script></head>\
             <body><article><h1>Story {i}</h1>{paragraphs}</article></body></html>"
        );
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
    }
    let app = axum::Router::new().route("/{*path}", axum::routing::get(page)).with_state(Arc::new(articles));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://127.0.0.1:{port}")
}

fn mount_namespaces_work() -> bool {
    let probe = tempfile::tempdir().unwrap();
    Command::new("unshare")
        .args(["-m", "sh", "-c", &format!("mount -t tmpfs -o size=64k tmpfs {}", probe.path().display())])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `script` (sh) in a private mount namespace; returns its output.
fn in_mount_namespace(script: &str) -> Output {
    Command::new("unshare").args(["-m", "sh", "-c", script]).output().unwrap()
}

fn config_for(dir: &Path, db: &Path, feed: &str) -> PathBuf {
    let path = dir.join("redline.toml");
    std::fs::write(
        &path,
        format!(
            "[storage]\npath = {:?}\n[web]\nenabled = false\n[fetch]\nallow_private = true\nrobots = false\n\
             per_host_delay = \"0s\"\nper_host_concurrency = 8\n[[watch]]\nfeed = {feed:?}\n",
            db.display().to_string()
        ),
    )
    .unwrap();
    path
}

fn integrity(db: &Path) -> (String, i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    let versions: i64 = conn.query_row("SELECT COUNT(*) FROM versions", [], |r| r.get(0)).unwrap();
    (check, versions)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_gives_a_clear_error_and_no_corruption() {
    if !mount_namespaces_work() {
        eprintln!("SKIPPED: cannot mount a tmpfs in a private mount namespace here (unshare -m)");
        return;
    }
    let articles = 60;
    let feed = format!("{}/feed.xml", start_site(articles).await);
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("disk");
    let saved = dir.path().join("saved");
    std::fs::create_dir_all(&mnt).unwrap();
    std::fs::create_dir_all(&saved).unwrap();
    let db = mnt.join("redline.db");
    let config = config_for(dir.path(), &db, &feed);
    let bin = env!("CARGO_BIN_EXE_redline");
    // 60 articles of ~40 KB each (plus their raw HTML) on a 1 MiB disk; then the disk grows to 64 MiB.
    let script = format!(
        "set -u; mount -t tmpfs -o size=1m tmpfs {mnt}; \
         {bin} --config {config} run --once > {saved}/out1 2> {saved}/err1; echo $? > {saved}/rc1; \
         cp {mnt}/redline.db* {saved}/ 2>/dev/null; mkdir -p {saved}/full && cp {mnt}/redline.db* {saved}/full/; \
         mount -o remount,size=64m {mnt}; \
         {bin} --config {config} run --once > {saved}/out2 2> {saved}/err2; echo $? > {saved}/rc2; \
         mkdir -p {saved}/after && cp {mnt}/redline.db* {saved}/after/",
        mnt = mnt.display(),
        saved = saved.display(),
        config = config.display(),
    );
    let out = tokio::task::spawn_blocking(move || in_mount_namespace(&script)).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = |f: &str| std::fs::read_to_string(saved.join(f)).unwrap_or_default();
    let (rc1, err1, out1) = (read("rc1"), read("err1"), read("out1"));
    eprintln!("full disk: exit {} stdout {:?}\nstderr (last lines): {}", rc1.trim(), out1.trim(), tail(&err1, 3));
    assert!(!err1.contains("panicked"), "{err1}");
    assert!(err1.contains("full") || err1.contains("No space"), "the operator is not told the disk is full: {err1}");
    let (check, stored_when_full) = integrity(&saved.join("full/redline.db"));
    assert_eq!(check, "ok", "database damaged by the full disk");
    assert!((stored_when_full as usize) < articles, "the disk was meant to fill up");
    let (rc2, err2) = (read("rc2"), read("err2"));
    assert_eq!(rc2.trim(), "0", "once space is back the run succeeds: {err2}");
    let (check, stored) = integrity(&saved.join("after/redline.db"));
    assert_eq!(check, "ok");
    assert_eq!(stored as usize, articles, "every article stored once space is back ({stored_when_full} before)");
}

/// What a run on a read-only disk did: (exit code of `run --once`, its stderr, stderr of `status`,
/// integrity_check, versions) — None when mount namespaces are unavailable.
async fn read_only_scenario() -> Option<(String, String, String, String, i64)> {
    if !mount_namespaces_work() {
        eprintln!("SKIPPED: cannot mount a tmpfs in a private mount namespace here (unshare -m)");
        return None;
    }
    let feed = format!("{}/feed.xml", start_site(5).await);
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("disk");
    let saved = dir.path().join("saved");
    std::fs::create_dir_all(&mnt).unwrap();
    std::fs::create_dir_all(&saved).unwrap();
    let db = mnt.join("redline.db");
    let config = config_for(dir.path(), &db, &feed);
    let bin = env!("CARGO_BIN_EXE_redline");
    let script = format!(
        "set -u; mount -t tmpfs -o size=64m tmpfs {mnt}; \
         {bin} --config {config} run --once > {saved}/out1 2> {saved}/err1; echo $? > {saved}/rc1; \
         mount -o remount,ro {mnt}; \
         {bin} --config {config} run --once > {saved}/out2 2> {saved}/err2; echo $? > {saved}/rc2; \
         {bin} --config {config} status > {saved}/out3 2> {saved}/err3; echo $? > {saved}/rc3; \
         cp {mnt}/redline.db* {saved}/",
        mnt = mnt.display(),
        saved = saved.display(),
        config = config.display(),
    );
    let out = tokio::task::spawn_blocking(move || in_mount_namespace(&script)).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = |f: &str| std::fs::read_to_string(saved.join(f)).unwrap_or_default();
    assert_eq!(read("rc1").trim(), "0", "{}", read("err1"));
    let (rc2, err2, err3) = (read("rc2").trim().to_string(), read("err2"), read("err3"));
    eprintln!("read-only disk: run --once exit {rc2}: {}", tail(&err2, 2));
    eprintln!("read-only disk: status exit {}: {}", read("rc3").trim(), tail(&err3, 2));
    let (check, versions) = integrity(&saved.join("redline.db"));
    Some((rc2, err2, err3, check, versions))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_disk_fails_cleanly_without_corruption() {
    let Some((rc, err, status_err, check, versions)) = read_only_scenario().await else { return };
    assert_ne!(rc, "0", "a run on a read-only disk cannot succeed");
    assert!(err.starts_with("error:") || err.contains("\nerror:"), "{err}");
    assert!(!err.contains("panicked") && !status_err.contains("panicked"), "{err}{status_err}");
    assert_eq!(check, "ok");
    assert_eq!(versions, 5, "the versions written before stay");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_disk_is_named_as_the_cause() {
    let Some((_, err, status_err, _, _)) = read_only_scenario().await else { return };
    for e in [&err, &status_err] {
        assert!(e.contains("read-only") || e.contains("readonly"), "the operator is not told why: {e}");
        assert!(e.contains("redline.db"), "the operator is not told which file: {e}");
    }
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
