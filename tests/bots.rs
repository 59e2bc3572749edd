//! Edit bots and push channels, end to end: the real daemon watches the local
//! newsroom and posts its edits to Mastodon, Bluesky and ntfy servers that this
//! test serves on 127.0.0.1 and that check the documented request shapes
//! (authentication, multipart media with the card PNG, the image embed with
//! alt text, idempotency key, rate-limit answers honoured); a daemon killed
//! between posting and recording does not post twice; and a real Synapse
//! homeserver's room receives the Matrix message.

mod common;
#[path = "support/synapse.rs"]
mod synapse;

use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use common::{open_store, redline, run_once, storage_key, write_config};
use redline::newsroom::Newsroom;
use serde_json::{Value, json};
use synapse::{SYNAPSE_SECRET, matrix_call, start_synapse, synapse_python};

const MASTODON_TOKEN: &str = "mastodon-test-token";
const BLUESKY_PASSWORD: &str = "app-pass-word";
const BLUESKY_JWT: &str = "jwt-of-the-session";
const NTFY_TOKEN: &str = "tk_ntfytest";

/// How the fake services answer.
#[derive(Default)]
struct Behaviour {
    /// The first status and the first post answer 429 with a reset this far ahead.
    rate_limit_first: Option<Duration>,
    /// The first status and the first post are recorded, then answered only after this long.
    hang_first: Option<Duration>,
}

/// What the fake services received, each request already checked.
#[derive(Default)]
struct Seen {
    ntfy: Vec<(Instant, HeaderMap, String)>,
    media: Vec<(String, Vec<u8>)>,
    /// Status requests: (idempotency key, JSON body).
    status_requests: Vec<(String, Value)>,
    /// Statuses made, by idempotency key (a key seen before returns the same status, as Mastodon does).
    statuses: HashMap<String, Value>,
    logins: usize,
    blobs: usize,
    post_requests: Vec<Value>,
    /// Records made, by record key.
    records: HashMap<String, Value>,
    rate_limited: usize,
    problems: Vec<String>,
}

#[derive(Clone)]
struct Services {
    seen: Arc<Mutex<Seen>>,
    behaviour: Arc<Behaviour>,
}

impl Services {
    fn problem(&self, p: String) -> Response {
        self.seen.lock().unwrap().problems.push(p.clone());
        (StatusCode::BAD_REQUEST, p).into_response()
    }
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The parts of a multipart/form-data body: name → bytes.
fn form_parts(content_type: &str, body: &[u8]) -> Option<HashMap<String, Vec<u8>>> {
    let boundary = content_type.strip_prefix("multipart/form-data; boundary=")?;
    let delimiter = format!("--{boundary}");
    let text = body;
    let mut parts = HashMap::new();
    let positions: Vec<usize> =
        text.windows(delimiter.len()).enumerate().filter(|(_, w)| *w == delimiter.as_bytes()).map(|(i, _)| i).collect();
    for pair in positions.windows(2) {
        let part = &text[pair[0] + delimiter.len() + 2..pair[1] - 2];
        let split = part.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&part[..split]).to_string();
        let name = head.split("name=\"").nth(1)?.split('"').next()?.to_string();
        parts.insert(name, part[split + 4..].to_vec());
    }
    Some(parts)
}

fn is_png(bytes: &[u8]) -> bool {
    image::load_from_memory_with_format(bytes, image::ImageFormat::Png).is_ok_and(|i| i.width() > 100)
}

async fn ntfy(State(s): State<Services>, headers: HeaderMap, body: String) -> Response {
    if header(&headers, "authorization") != format!("Bearer {NTFY_TOKEN}") {
        return s.problem("ntfy: no bearer token".into());
    }
    if !header(&headers, "click").starts_with("http://127.0.0.1:") || header(&headers, "title").is_empty() {
        return s.problem(format!("ntfy: click and title headers expected: {headers:?}"));
    }
    s.seen.lock().unwrap().ntfy.push((Instant::now(), headers, body));
    Json(json!({ "id": "n1", "event": "message" })).into_response()
}

use axum::Json;

async fn media(State(s): State<Services>, headers: HeaderMap, body: Bytes) -> Response {
    if header(&headers, "authorization") != format!("Bearer {MASTODON_TOKEN}") {
        return s.problem("media: no bearer token".into());
    }
    let Some(parts) = form_parts(header(&headers, "content-type"), &body) else {
        return s.problem(format!("media: not multipart: {}", header(&headers, "content-type")));
    };
    let (Some(file), Some(description)) = (parts.get("file"), parts.get("description")) else {
        return s.problem(format!("media: file and description expected, got {:?}", parts.keys()));
    };
    if !is_png(file) {
        return s.problem("media: the file is not a PNG card".into());
    }
    let description = String::from_utf8_lossy(description).to_string();
    let mut seen = s.seen.lock().unwrap();
    seen.media.push((description, file.clone()));
    let id = format!("media{}", seen.media.len());
    Json(json!({ "id": id, "type": "image" })).into_response()
}

async fn statuses(State(s): State<Services>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if header(&headers, "authorization") != format!("Bearer {MASTODON_TOKEN}") {
        return s.problem("status: no bearer token".into());
    }
    let key = header(&headers, "idempotency-key").to_string();
    if !key.starts_with("msg_") || body["visibility"] != "unlisted" {
        return s.problem(format!("status: idempotency key and visibility expected: {key:?} {body}"));
    }
    let media_id = body["media_ids"][0].as_str().unwrap_or("").to_string();
    let first = {
        let mut seen = s.seen.lock().unwrap();
        if !seen.media.iter().enumerate().any(|(i, _)| media_id == format!("media{}", i + 1)) {
            drop(seen);
            return s.problem(format!("status: unknown media id {media_id:?}"));
        }
        seen.status_requests.push((key.clone(), body.clone()));
        seen.status_requests.len() == 1
    };
    if first && let Some(ahead) = s.behaviour.rate_limit_first {
        s.seen.lock().unwrap().rate_limited += 1;
        let reset = chrono::Utc::now() + ahead;
        return (StatusCode::TOO_MANY_REQUESTS, [("x-ratelimit-reset", reset.to_rfc3339())], "slow down")
            .into_response();
    }
    let status = {
        let mut seen = s.seen.lock().unwrap();
        let n = seen.statuses.len();
        seen.statuses
            .entry(key)
            .or_insert_with(|| json!({ "id": format!("{}", 100 + n), "content": body["status"] }))
            .clone()
    };
    if first && let Some(hang) = s.behaviour.hang_first {
        tokio::time::sleep(hang).await;
    }
    Json(status).into_response()
}

async fn create_session(State(s): State<Services>, Json(body): Json<Value>) -> Response {
    if body["identifier"] != "desk.test" || body["password"] != BLUESKY_PASSWORD {
        return s.problem(format!("createSession: wrong credentials {body}"));
    }
    s.seen.lock().unwrap().logins += 1;
    Json(json!({ "did": "did:plc:desk", "handle": "desk.test", "accessJwt": BLUESKY_JWT, "refreshJwt": "r" }))
        .into_response()
}

async fn upload_blob(State(s): State<Services>, headers: HeaderMap, body: Bytes) -> Response {
    if header(&headers, "authorization") != format!("Bearer {BLUESKY_JWT}")
        || header(&headers, "content-type") != "image/png"
    {
        return s.problem("uploadBlob: bearer and image/png expected".into());
    }
    if !is_png(&body) {
        return s.problem("uploadBlob: not a PNG".into());
    }
    s.seen.lock().unwrap().blobs += 1;
    let blob =
        json!({ "$type": "blob", "ref": { "$link": "bafkreicard" }, "mimeType": "image/png", "size": body.len() });
    Json(json!({ "blob": blob })).into_response()
}

async fn create_record(State(s): State<Services>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if header(&headers, "authorization") != format!("Bearer {BLUESKY_JWT}") {
        return s.problem("createRecord: no bearer".into());
    }
    let record = &body["record"];
    let image = &record["embed"]["images"][0];
    let text = record["text"].as_str().unwrap_or("");
    let facet = &record["facets"][0];
    let (start, end) =
        (facet["index"]["byteStart"].as_u64().unwrap_or(0), facet["index"]["byteEnd"].as_u64().unwrap_or(0));
    let linked = text.get(start as usize..end as usize).unwrap_or("");
    let checks = [
        (body["repo"] == "did:plc:desk" && body["collection"] == "app.bsky.feed.post", "repo and collection"),
        (record["$type"] == "app.bsky.feed.post" && text.chars().count() <= 300, "a post of 300 characters at most"),
        (record["embed"]["$type"] == "app.bsky.embed.images", "an image embed"),
        (image["alt"].as_str().is_some_and(|a| a.chars().count() > 20), "alt text"),
        (image["image"]["ref"]["$link"] == "bafkreicard", "the uploaded blob"),
        (linked.starts_with("http://127.0.0.1:") && facet["features"][0]["uri"] == linked, "a link facet"),
        (body["rkey"].as_str().is_some_and(|k| k.len() == 13), "a TID record key"),
    ];
    if let Some((_, what)) = checks.iter().find(|(ok, _)| !ok) {
        return s.problem(format!("createRecord: {what} expected: {body}"));
    }
    let rkey = body["rkey"].as_str().unwrap().to_string();
    let (first, exists) = {
        let mut seen = s.seen.lock().unwrap();
        seen.post_requests.push(body.clone());
        (seen.post_requests.len() == 1, seen.records.contains_key(&rkey))
    };
    if first && let Some(ahead) = s.behaviour.rate_limit_first {
        s.seen.lock().unwrap().rate_limited += 1;
        let reset = (chrono::Utc::now() + ahead).timestamp().to_string();
        let answer = json!({ "error": "RateLimitExceeded", "message": "Rate Limit Exceeded" });
        return (StatusCode::TOO_MANY_REQUESTS, [("ratelimit-reset", reset)], Json(answer)).into_response();
    }
    if exists {
        // What the reference PDS answers today for a record key already taken.
        let answer = json!({ "error": "InternalServerError", "message": "Internal Server Error" });
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(answer)).into_response();
    }
    s.seen.lock().unwrap().records.insert(rkey.clone(), record.clone());
    if first && let Some(hang) = s.behaviour.hang_first {
        tokio::time::sleep(hang).await;
    }
    Json(json!({ "uri": format!("at://did:plc:desk/app.bsky.feed.post/{rkey}"), "cid": "bafyrecord" })).into_response()
}

async fn get_record(State(s): State<Services>, Query(q): Query<HashMap<String, String>>) -> Response {
    let seen = s.seen.lock().unwrap();
    match q.get("rkey").and_then(|k| seen.records.get(k)) {
        Some(record) => Json(json!({ "value": record })).into_response(),
        None => (StatusCode::BAD_REQUEST, Json(json!({ "error": "RecordNotFound" }))).into_response(),
    }
}

/// Starts the fake Mastodon instance, Bluesky PDS and ntfy server on one port.
async fn start_services(behaviour: Behaviour) -> (String, Arc<Mutex<Seen>>) {
    let services = Services { seen: Arc::default(), behaviour: Arc::new(behaviour) };
    let seen = Arc::clone(&services.seen);
    let app = axum::Router::new()
        .route("/ntfy/edits", axum::routing::post(ntfy))
        .route("/api/v2/media", axum::routing::post(media))
        .route("/api/v1/statuses", axum::routing::post(statuses))
        .route("/xrpc/com.atproto.server.createSession", axum::routing::post(create_session))
        .route("/xrpc/com.atproto.repo.uploadBlob", axum::routing::post(upload_blob))
        .route("/xrpc/com.atproto.repo.createRecord", axum::routing::post(create_record))
        .route("/xrpc/com.atproto.repo.getRecord", axum::routing::get(get_record))
        .with_state(services);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

fn mastodon(base: &str) -> String {
    format!(
        "[[channel]]\ntype = \"mastodon\"\ninstance = {base:?}\ntoken = {MASTODON_TOKEN:?}\nvisibility = \"unlisted\"\n"
    )
}

fn bluesky(base: &str, extra: &str) -> String {
    format!(
        "[[channel]]\ntype = \"bluesky\"\nservice = {base:?}\nhandle = \"desk.test\"\npassword = {BLUESKY_PASSWORD:?}\n{extra}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_send_the_documented_requests_and_honour_rate_limits() {
    let newsroom = Newsroom::start().await.unwrap();
    let (base, seen) =
        start_services(Behaviour { rate_limit_first: Some(Duration::from_secs(600)), ..Behaviour::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    // SAFETY: read by the daemon this test starts; the name is this test's own.
    unsafe { std::env::set_var("REDLINE_TEST_NTFY_TOKEN", NTFY_TOKEN) };
    let channels = format!(
        "{}{}[[channel]]\ntype = \"ntfy\"\nurl = \"{base}/ntfy/edits\"\ntoken = \"${{REDLINE_TEST_NTFY_TOKEN}}\"\nmin_interval = \"1s\"\n",
        mastodon(&base),
        bluesky(&base, "kinds = [\"headline\"]"),
    );
    let config = write_config(dir.path(), &newsroom.feed_url(), &channels);
    run_once(&config).await;
    let edits = newsroom.publish_all_edits();
    let started = chrono::Utc::now().timestamp();
    run_once(&config).await;
    {
        let seen = seen.lock().unwrap();
        assert!(seen.problems.is_empty(), "{:?}", seen.problems);
        assert_eq!(seen.ntfy.len(), edits.len(), "ntfy gets every change");
        assert_eq!(seen.rate_limited, 2, "the first status and the first post were refused with 429");
        assert_eq!(seen.statuses.len(), edits.len() - 1, "the other statuses went out");
        assert!(seen.records.is_empty(), "the one headline change's post waits for the reset");
        assert_eq!(seen.logins, 1);
        let times: Vec<Instant> = seen.ntfy.iter().map(|(at, _, _)| *at).collect();
        assert!(times.windows(2).all(|w| w[1] - w[0] >= Duration::from_millis(950)), "ntfy posts are 1 s apart");
        let (_, headers, text) = &seen.ntfy[0];
        assert!(text.contains("\nhttp://127.0.0.1:"), "{text}");
        assert!(!header(headers, "tags").is_empty());
        for (alt, _) in &seen.media {
            assert!(alt.chars().count() > 20, "the card's alt text is its description: {alt:?}");
        }
    }
    let store = open_store(dir.path()).unwrap();
    let pending = store.deliveries("pending").unwrap();
    assert_eq!(pending.len(), 2, "{pending:?}");
    for d in &pending {
        assert!(d.next_attempt >= started + 590, "the reset is honoured: {} vs {started}", d.next_attempt);
        assert!(d.last_error.as_deref().unwrap_or("").contains("429"), "{:?}", d.last_error);
    }
    let retry = redline(&["--config", config.to_str().unwrap(), "alerts", "retry", "--all"]).await;
    assert!(
        String::from_utf8_lossy(&retry.stdout).contains("2 delivered"),
        "{}",
        String::from_utf8_lossy(&retry.stdout)
    );
    {
        let seen = seen.lock().unwrap();
        assert!(seen.problems.is_empty(), "{:?}", seen.problems);
        assert_eq!(seen.statuses.len(), edits.len());
        assert_eq!(seen.records.len(), 1);
        let keys: HashSet<&String> = seen.status_requests.iter().map(|(k, _)| k).collect();
        assert_eq!(keys.len(), edits.len(), "one idempotency key per change");
    }
    newsroom.shutdown().await;
}

async fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < Duration::from_secs(90), "{what}: not within 90 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_killed_between_posting_and_recording_does_not_post_twice() {
    let newsroom = Newsroom::start().await.unwrap();
    let (base, seen) =
        start_services(Behaviour { hang_first: Some(Duration::from_secs(300)), ..Behaviour::default() }).await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[storage]\n{}\n[fetch]\nallow_private = true\nper_host_delay = \"0s\"\n[[watch]]\nfeed = {:?}\nevery = \"1s\"\nrevisit = [[\"1d\", \"1s\"]]\n{}{}",
        storage_key(dir.path()),
        newsroom.feed_url(),
        mastodon(&base),
        bluesky(&base, ""),
    );
    let config = dir.path().join("redline.toml");
    std::fs::write(&config, text).unwrap();
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_redline"))
        .args(["--config", config.to_str().unwrap(), "run"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let versions =
        |dir: &std::path::Path| open_store(dir).and_then(|s| s.count(redline::store::Table::Versions)).unwrap_or(0);
    let articles = newsroom.article_urls().len() as i64;
    wait_for("first versions", || versions(dir.path()) >= articles).await;
    let edits = newsroom.publish_all_edits();
    // Both services have made the post and hold their answer: the daemon has not recorded it.
    wait_for("first posts", || {
        let seen = seen.lock().unwrap();
        !seen.statuses.is_empty() && !seen.records.is_empty()
    })
    .await;
    daemon.kill().unwrap(); // SIGKILL
    daemon.wait().unwrap();
    let store = open_store(dir.path()).unwrap();
    assert!(store.deliveries("pending").unwrap().len() >= 2, "the posts being answered are not marked delivered");

    run_once(&config).await;
    // Under load, an attempt the killed daemon made may have timed out and be due a few seconds
    // from now: send what is left at once.
    redline(&["--config", config.to_str().unwrap(), "alerts", "retry", "--all"]).await;
    let delivered = store.deliveries("delivered").unwrap();
    let left: Vec<_> =
        store.deliveries("pending").unwrap().into_iter().chain(store.deliveries("failed").unwrap()).collect();
    assert_eq!(delivered.len(), 2 * edits.len(), "every change posted to both after the restart: {left:?}");
    {
        let seen = seen.lock().unwrap();
        assert!(seen.problems.is_empty(), "{:?}", seen.problems);
        assert_eq!(seen.statuses.len(), edits.len(), "one status per change, though one was sent twice");
        assert_eq!(seen.records.len(), edits.len(), "one Bluesky post per change, though one was sent twice");
        let first_key = &seen.status_requests[0].0;
        assert!(seen.status_requests[1..].iter().any(|(k, _)| k == first_key), "the interrupted status was resent");
        let first_rkey = &seen.post_requests[0]["rkey"];
        assert!(seen.post_requests[1..].iter().any(|p| &p["rkey"] == first_rkey), "the interrupted post was resent");
    }
    newsroom.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matrix_room_on_a_real_synapse_receives_each_change_once() {
    let started = Instant::now();
    let synapse = start_synapse().await;
    eprintln!("Synapse ready after {:.1} s", started.elapsed().as_secs_f64());
    let python = synapse_python();
    let registered = Command::new(&python)
        .args(["-m", "synapse._scripts.register_new_matrix_user", "-u", "redline", "-p", "bot-password", "--no-admin"])
        .args(["-k", SYNAPSE_SECRET, &synapse.base])
        .output()
        .unwrap();
    assert!(registered.status.success(), "{}", String::from_utf8_lossy(&registered.stderr));
    let login = json!({ "type": "m.login.password", "identifier": { "type": "m.id.user", "user": "redline" }, "password": "bot-password" });
    let session =
        matrix_call(reqwest::Method::POST, format!("{}/_matrix/client/v3/login", synapse.base), None, Some(login))
            .await;
    let token = session["access_token"].as_str().unwrap().to_string();
    let room = matrix_call(
        reqwest::Method::POST,
        format!("{}/_matrix/client/v3/createRoom", synapse.base),
        Some(&token),
        Some(json!({ "name": "Edits" })),
    )
    .await;
    let room_id = room["room_id"].as_str().unwrap().to_string();

    let newsroom = Newsroom::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let channel = format!(
        "[[channel]]\ntype = \"matrix\"\nhomeserver = {:?}\nroom = {room_id:?}\ntoken = {token:?}\n",
        synapse.base
    );
    let config = write_config(dir.path(), &newsroom.feed_url(), &channel);
    run_once(&config).await;
    let edits = newsroom.publish_all_edits();
    run_once(&config).await;
    let store = open_store(dir.path()).unwrap();
    let delivered = store.deliveries("delivered").unwrap();
    assert_eq!(delivered.len(), edits.len());

    // A resend after a crash uses the same transaction id: the homeserver answers with the same event.
    let post: Value = serde_json::from_str(&delivered[0].payload).unwrap();
    let encoded_room = room_id.replace('!', "%21").replace(':', "%3A");
    let resend = format!(
        "{}/_matrix/client/v3/rooms/{encoded_room}/send/m.room.message/{}",
        synapse.base, delivered[0].event_id
    );
    let content = json!({ "msgtype": "m.text", "body": post["text"] });
    matrix_call(reqwest::Method::PUT, resend, Some(&token), Some(content)).await;

    let messages = matrix_call(
        reqwest::Method::GET,
        format!("{}/_matrix/client/v3/rooms/{encoded_room}/messages?dir=b&limit=100", synapse.base),
        Some(&token),
        None,
    )
    .await;
    let texts: Vec<&Value> = messages["chunk"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "m.room.message")
        .map(|e| &e["content"])
        .collect();
    assert_eq!(texts.len(), edits.len(), "one message per change, the resend deduplicated: {messages}");
    for content in texts {
        assert!(content["body"].as_str().unwrap().starts_with("Edited: "), "{content}");
        assert_eq!(content["format"], "org.matrix.custom.html");
        assert!(content["formatted_body"].as_str().unwrap().starts_with("<p><a href=\"http://127.0.0.1:"), "{content}");
    }
    eprintln!("Matrix test done after {:.1} s", started.elapsed().as_secs_f64());
    newsroom.shutdown().await;
}

/// What the fake Save Page Now saw: (authorization, accept, submitted URL).
type Submissions = Arc<Mutex<Vec<(String, String, String)>>>;

/// A Save Page Now 2 API: `POST /save` gives a job, whose status is a success (the first job's
/// after one pending answer). The very first submission is refused with 429 and a
/// `Retry-After` of ten minutes, as the service does past its rate.
async fn start_save_page_now() -> (String, Submissions) {
    let seen: Submissions = Arc::default();
    let polls: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let refused = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let save = {
        let seen = Arc::clone(&seen);
        move |headers: HeaderMap, body: String| {
            let (seen, refused) = (Arc::clone(&seen), Arc::clone(&refused));
            async move {
                if !refused.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    let answer = Json(json!({ "status": "error", "message": "You have already reached the limit" }));
                    return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "600")], answer).into_response();
                }
                let url = url::form_urlencoded::parse(body.as_bytes())
                    .find(|(k, _)| k == "url")
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default();
                let mut seen = seen.lock().unwrap();
                seen.push((header(&headers, "authorization").into(), header(&headers, "accept").into(), url.clone()));
                Json(json!({ "url": url, "job_id": format!("spn2-{}", seen.len()) })).into_response()
            }
        }
    };
    let status = {
        let seen = Arc::clone(&seen);
        move |axum::extract::Path(job): axum::extract::Path<String>| {
            let (seen, polls) = (Arc::clone(&seen), Arc::clone(&polls));
            async move {
                let n: usize = job.trim_start_matches("spn2-").parse().unwrap_or(0);
                let url = seen.lock().unwrap().get(n.wrapping_sub(1)).map(|s| s.2.clone()).unwrap_or_default();
                let mut polls = polls.lock().unwrap();
                let count = polls.entry(job.clone()).or_default();
                *count += 1;
                // The first capture takes a while, as real ones do; the others are quick.
                if *count == 1 && n == 1 {
                    return Json(json!({ "status": "pending", "job_id": job }));
                }
                Json(
                    json!({ "status": "success", "job_id": job, "timestamp": format!("2026120114360{n}"), "original_url": url }),
                )
            }
        }
    };
    let app = axum::Router::new()
        .route("/save", axum::routing::post(save))
        .route("/save/status/{job}", axum::routing::get(status));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_new_version_gets_an_archive_snapshot_linked_from_its_page() {
    let newsroom = Newsroom::start().await.unwrap();
    let (base, seen) = start_save_page_now().await;
    let dir = tempfile::tempdir().unwrap();
    // SAFETY: read by the daemon this test starts; the name is this test's own.
    unsafe { std::env::set_var("REDLINE_TEST_IA_SECRET", "ia-secret") };
    let archive = format!(
        "[archive]\nbase = {base:?}\naccess_key = \"ia-access\"\nsecret_key = \"${{REDLINE_TEST_IA_SECRET}}\"\nmin_interval = \"0s\"\n"
    );
    let (hook, received) = common::start_receiver().await;
    let config = write_config(dir.path(), &newsroom.feed_url(), &format!("{archive}\n{}", common::webhook(&hook)));
    let started = chrono::Utc::now().timestamp();
    run_once(&config).await;
    let first_versions = newsroom.article_urls().len();
    assert_eq!(seen.lock().unwrap().len(), first_versions - 1, "the refused submission waits");
    let pending = open_store(dir.path()).unwrap().deliveries("pending").unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert!(pending[0].next_attempt >= started + 590, "Retry-After is honoured: {pending:?}");
    assert!(pending[0].last_error.as_deref().unwrap_or("").contains("429"), "{pending:?}");
    redline(&["--config", config.to_str().unwrap(), "alerts", "retry", "--all"]).await;
    assert_eq!(seen.lock().unwrap().len(), first_versions, "every first version is submitted");
    assert!(received.lock().unwrap().is_empty(), "a first version raises no webhook, its snapshot none either");
    let edits = newsroom.publish_all_edits();
    assert!(!edits.is_empty());
    run_once(&config).await;
    let seen = seen.lock().unwrap().clone();
    let store = Arc::new(open_store(dir.path()).unwrap());
    let versions = store.count(redline::store::Table::Versions).unwrap() as usize;
    assert!(versions > first_versions);
    assert_eq!(seen.len(), versions, "one submission per new version");
    for (authorization, accept, url) in &seen {
        assert_eq!(authorization, "LOW ia-access:ia-secret");
        assert_eq!(accept, "application/json");
        assert!(url.starts_with(&newsroom.base_url()), "{url}");
    }
    let delivered: Vec<_> =
        store.deliveries("delivered").unwrap().into_iter().filter(|d| d.channel.starts_with("archive:")).collect();
    assert_eq!(delivered.len(), versions);
    // Each article.changed the webhook got is followed by its version's article.archived,
    // under an id of its own, with the snapshot the version page links.
    let events: Vec<(String, Value)> = received.lock().unwrap().iter().map(|r| (r.id.clone(), r.json())).collect();
    let changed: Vec<&Value> = events.iter().filter(|(_, e)| e["type"] == "article.changed").map(|(_, e)| e).collect();
    let archived: Vec<&Value> =
        events.iter().filter(|(_, e)| e["type"] == "article.archived").map(|(_, e)| e).collect();
    assert!(!changed.is_empty());
    assert_eq!(archived.len(), changed.len(), "one article.archived per article.changed: {events:?}");
    assert_eq!(events.iter().map(|(id, _)| id).collect::<HashSet<_>>().len(), events.len(), "ids are distinct");
    for c in &changed {
        let (url, version) = (&c["data"]["url"], &c["data"]["to_version"]);
        let a = archived
            .iter()
            .find(|a| a["data"]["url"] == *url && a["data"]["version"] == *version)
            .unwrap_or_else(|| panic!("no article.archived for {url} v{version}: {events:?}"));
        let article = delivered
            .iter()
            .map(|d| serde_json::from_str::<Value>(&d.payload).unwrap())
            .find(|job| job["url"] == *url)
            .map(|job| job["article_id"].as_i64().unwrap())
            .unwrap();
        let stored = store.snapshot_url(article, version.as_i64().unwrap()).unwrap().unwrap();
        assert_eq!(a["data"]["snapshot_url"], stored.as_str());
        assert!(
            a["data"]["version_url"].as_str().unwrap().ends_with(&format!("/articles/{article}/versions/{version}"))
        );
    }
    let web = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = redline::web::WebState::new(Arc::clone(&store), redline::web::WebOptions::default()).unwrap();
        tokio::spawn(async move { redline::web::serve(listener, state, std::future::pending()).await.unwrap() });
        format!("http://{addr}")
    };
    for d in &delivered {
        let job: Value = serde_json::from_str(&d.payload).unwrap();
        let (article, version) = (job["article_id"].as_i64().unwrap(), job["version"].as_i64().unwrap());
        let snapshot = store.snapshot_url(article, version).unwrap().expect("a snapshot URL is stored");
        assert!(snapshot.starts_with("https://web.archive.org/web/2026120114360"), "{snapshot}");
        assert!(snapshot.ends_with(job["url"].as_str().unwrap()), "{snapshot}");
        let page =
            reqwest::get(format!("{web}/articles/{article}/versions/{version}")).await.unwrap().text().await.unwrap();
        assert!(page.contains(&format!("<a href=\"{snapshot}\">")), "the version page links the snapshot");
        let api: Value =
            reqwest::get(format!("{web}/api/articles/{article}/versions/{version}")).await.unwrap().json_text().await;
        assert_eq!(api["snapshot_url"], snapshot.as_str());
    }
    newsroom.shutdown().await;
}

trait JsonText {
    async fn json_text(self) -> Value;
}

impl JsonText for reqwest::Response {
    async fn json_text(self) -> Value {
        serde_json::from_str(&self.text().await.unwrap()).unwrap()
    }
}
