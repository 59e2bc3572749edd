//! Shared pieces of the integration tests: a webhook receiver that verifies
//! Standard Webhooks signatures, config files, and running the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use redline::alert::{decode_secret, verify};
use redline::store::Store;
use redline::store::pg::TestDatabase;

pub mod walls;

/// The secret every test webhook uses.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A webhook request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`.
    pub id: String,
    /// Whether `webhook-signature` verified.
    pub verified: bool,
    /// The raw body.
    pub body: Vec<u8>,
    /// The status answered.
    pub status: u16,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }
}

/// How the receiver answers the n-th request (0-based).
pub type Answer = Arc<dyn Fn(usize) -> (StatusCode, Duration) + Send + Sync>;

/// Starts a receiver answering 200 to everything.
pub async fn start_receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    start_receiver_on(listener, Arc::new(|_| (StatusCode::OK, Duration::ZERO)))
}

/// Starts a receiver on `listener` answering per `answer`.
pub fn start_receiver_on(listener: tokio::net::TcpListener, answer: Answer) -> (String, Arc<Mutex<Vec<Received>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&received);
    let key = decode_secret(SECRET).unwrap();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (sink, key, answer) = (Arc::clone(&sink), key.clone(), Arc::clone(&answer));
            async move {
                let get = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                let id = get("webhook-id");
                let ts: i64 = get("webhook-timestamp").parse().unwrap_or(0);
                let verified = verify(&key, &id, ts, &body, &get("webhook-signature"));
                let n = sink.lock().unwrap().len();
                let (status, delay) = answer(n);
                sink.lock().unwrap().push(Received { id, verified, body: body.to_vec(), status: status.as_u16() });
                tokio::time::sleep(delay).await;
                status
            }
        }),
    );
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

/// Whether these tests run on PostgreSQL (`REDLINE_TEST_STORE=postgres`) rather than SQLite.
pub fn on_postgres() -> bool {
    match std::env::var("REDLINE_TEST_STORE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("REDLINE_TEST_STORE={other}: use postgres or sqlite"),
    }
}

/// The PostgreSQL databases of this process's tests, one per test folder, kept while it runs
/// (a later test process drops them: see `TestDatabase`).
fn databases() -> &'static Mutex<std::collections::HashMap<PathBuf, TestDatabase>> {
    static DATABASES: std::sync::OnceLock<Mutex<std::collections::HashMap<PathBuf, TestDatabase>>> =
        std::sync::OnceLock::new();
    DATABASES.get_or_init(Default::default)
}

fn fresh_database() -> TestDatabase {
    let server = redline::store::pg::test_server_url();
    TestDatabase::create(&server).unwrap_or_else(|e| {
        panic!("REDLINE_TEST_STORE=postgres but PostgreSQL at {server} (REDLINE_TEST_POSTGRES) does not answer: {e}")
    })
}

/// The URL of the PostgreSQL database of the test working in `dir`, created on first use.
fn database_url(dir: &Path) -> String {
    let mut all = databases().lock().unwrap();
    all.entry(dir.to_path_buf()).or_insert_with(fresh_database).url.clone()
}

/// The `[storage]` key naming the database of the test working in `dir`: `path` to its
/// file, or `url` of its own PostgreSQL database when [`on_postgres`].
pub fn storage_key(dir: &Path) -> String {
    if on_postgres() {
        // Short leases: a killed worker's work is taken over (by its restart, a new worker id) in seconds.
        format!("url = {:?}\nlease = \"5s\"", database_url(dir))
    } else {
        format!("path = {:?}", dir.join("redline.db").display().to_string())
    }
}

/// Opens the database of the test working in `dir` (see [`storage_key`]).
pub fn open_store(dir: &Path) -> Result<Store, redline::store::StoreError> {
    if on_postgres() { Store::open_url(&database_url(dir)) } else { Store::open(&dir.join("redline.db")) }
}

/// A store of its own for one test: in memory, or a fresh PostgreSQL database (dropped with the guard).
pub fn scratch_store() -> (Store, Option<TestDatabase>) {
    if on_postgres() {
        let db = fresh_database();
        (Store::open_url(&db.url).unwrap(), Some(db))
    } else {
        (Store::open_in_memory().unwrap(), None)
    }
}

/// Writes a config watching `feed` into `dir`, with `extra` TOML appended.
pub fn write_config(dir: &Path, feed: &str, extra: &str) -> PathBuf {
    let path = dir.join("redline.toml");
    let text = format!(
        "[storage]\n{db}\n\n[fetch]\nallow_private = true\nper_host_concurrency = 4\nper_host_delay = \"0s\"\n\n[[watch]]\nfeed = {feed:?}\nevery = \"5m\"\n\n{extra}\n",
        db = storage_key(dir),
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Writes a config watching the one article `url` into `dir`, with `extra` TOML appended.
pub fn write_article_config(dir: &Path, url: &str, extra: &str) -> PathBuf {
    let path = dir.join("redline.toml");
    let text = format!(
        "[storage]\n{db}\n\n[fetch]\nallow_private = true\nper_host_delay = \"0s\"\n\n[[watch]]\nurl = {url:?}\n\n{extra}\n",
        db = storage_key(dir),
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// A `[[webhook]]` table.
pub fn webhook(url: &str) -> String {
    format!("[[webhook]]\nurl = {url:?}\nsecret = {SECRET:?}\n")
}

/// Runs the binary off the async runtime's threads (the test servers live there).
pub async fn redline(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || Command::new(env!("CARGO_BIN_EXE_redline")).args(&args).output().unwrap())
        .await
        .unwrap()
}

/// `redline --config CONFIG run --once`, which must succeed; returns stdout.
pub async fn run_once(config: &Path) -> String {
    let out = redline(&["--config", config.to_str().unwrap(), "run", "--once"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "run --once failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}
