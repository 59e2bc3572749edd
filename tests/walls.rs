//! Walls against the real binary: an article is stored, then a local server answers with
//! each wall page of `snapshots/walls/` in turn (consent walls, paywalls, bot challenges,
//! app shells, sign-in redirects, soft 404s). Each check fails with the wall's kind as its
//! reason, stores no version and alerts nobody; the article's return records nothing; a
//! real edit afterwards records exactly one change and one webhook.

mod common;

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use common::walls::{Case, cases, read};
use common::{redline, run_once, start_receiver, webhook, write_article_config};
use redline::store::{Store, Table};

/// What the site answers: `/story`, or a redirect from it to `redirect` (path and query),
/// which then serves `other`.
#[derive(Default)]
struct Site {
    story: String,
    redirect: Option<String>,
    other: String,
    /// The status `/story` is served with (200 when unset).
    status: Option<StatusCode>,
}

async fn answer(State(site): State<Arc<Mutex<Site>>>, uri: Uri) -> Response {
    let site = site.lock().unwrap();
    let asked = uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
    match (&site.redirect, uri.path()) {
        (Some(to), "/story") => (StatusCode::FOUND, [(header::LOCATION, to.clone())]).into_response(),
        (None, "/story") => (site.status.unwrap_or(StatusCode::OK), Html(site.story.clone())).into_response(),
        (Some(to), _) if to == asked => Html(site.other.clone()).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn serve(site: Arc<Mutex<Site>>) -> String {
    let app = axum::Router::new().fallback(answer).with_state(site);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/story", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walls_fail_the_check_store_nothing_and_alert_nobody() {
    let site = Arc::new(Mutex::new(Site { story: read("article_en.html"), ..Site::default() }));
    let url = serve(Arc::clone(&site)).await;
    let (hook, received) = start_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redline.db");
    let config = write_article_config(dir.path(), &url, &webhook(&hook));

    // Version 1.
    run_once(&config).await;
    let store = Store::open(&db).unwrap();
    assert_eq!(store.count(Table::Versions).unwrap(), 1);
    let stored_hash = store.latest_hash(store.articles().unwrap()[0].id).unwrap();

    // Each wall in turn, after the stored article.
    let cases = cases();
    let walls: Vec<&Case> = cases
        .iter()
        .filter(|c| c.kind != "none" && c.previous.as_deref().is_none_or(|p| p == "article_en.html"))
        .collect();
    assert!(walls.len() >= 10, "{} walls", walls.len());
    for (n, case) in walls.iter().enumerate() {
        {
            let mut site = site.lock().unwrap();
            match &case.final_url {
                Some(to) => {
                    let to = url::Url::parse(to).unwrap();
                    site.redirect = Some(format!("{}?{}", to.path(), to.query().unwrap_or("")));
                    site.other = read(&case.file);
                }
                None => {
                    site.redirect = None;
                    site.story = read(&case.file);
                }
            }
        }
        let stdout = run_once(&config).await;
        assert!(stdout.contains("1 failed"), "{}: {stdout}", case.file);
        let article = store.articles().unwrap().remove(0);
        let error = article.last_error.clone().unwrap_or_default();
        assert!(error.starts_with(&format!("{}: ", case.kind)), "{}: recorded {error:?}", case.file);
        assert_eq!(article.failures as usize, n + 1, "{}", case.file);
        assert_eq!(store.count(Table::Versions).unwrap(), 1, "{}: a wall became a version", case.file);
        assert_eq!(store.count(Table::Changes).unwrap(), 0, "{}", case.file);
        assert_eq!(store.latest_hash(article.id).unwrap(), stored_hash);
    }
    let metrics = store.metrics(chrono::Utc::now().timestamp()).unwrap();
    let walled = metrics.checks.iter().find(|(o, _)| o == "wall").map_or(0, |(_, n)| *n);
    assert_eq!(walled as usize, walls.len(), "{:?}", metrics.checks);

    // `redline status` lists the article among the failing ones, with the wall as reason.
    let out = redline(&["--config", config.to_str().unwrap(), "status"]).await;
    let status = String::from_utf8_lossy(&out.stdout);
    let last = walls.last().unwrap();
    assert!(status.contains("FAILING") && status.contains(&url), "{status}");
    assert!(status.contains(&format!("{}× {}: ", walls.len(), last.kind)), "{status}");

    // The article returns, unchanged: the same bytes, then the same content in other bytes.
    {
        let mut site = site.lock().unwrap();
        site.redirect = None;
        site.story = read("article_en.html");
    }
    run_once(&config).await;
    site.lock().unwrap().story = read("article_en.html").replace("</body>", "<!-- served by edge 7 --></body>");
    run_once(&config).await;
    assert_eq!(store.count(Table::Versions).unwrap(), 1);
    assert_eq!(store.count(Table::Changes).unwrap(), 0);
    let article = store.articles().unwrap().remove(0);
    assert_eq!((article.failures, article.last_error.as_deref()), (0, None), "the return clears the failure");
    assert!(received.lock().unwrap().is_empty(), "a wall or its return alerted");

    // A real edit: exactly one change, one webhook.
    let added = "<p>The regional court will hear a challenge to the route brought by two residents of Ropewalk Lane in September.</p>";
    site.lock().unwrap().story = read("article_en.html")
        .replace("<p>The council will publish", &format!("{added}\n<p>The council will publish"));
    let stdout = run_once(&config).await;
    assert!(stdout.contains("1 changed"), "{stdout}");
    assert_eq!(store.count(Table::Versions).unwrap(), 2);
    assert_eq!(store.count(Table::Changes).unwrap(), 1);
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one webhook for the edit");
    assert!(got[0].verified);
    let event = got[0].json();
    let added_sentences = event["data"]["added"].as_array().unwrap();
    assert!(added_sentences.iter().any(|s| s.as_str().unwrap().contains("Ropewalk Lane in September")), "{event}");
    assert_eq!(event["data"]["from_version"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_served_with_403_or_503_is_a_wall_and_a_plain_refusal_is_not() {
    let site = Arc::new(Mutex::new(Site { story: read("article_en.html"), ..Site::default() }));
    let url = serve(Arc::clone(&site)).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_article_config(dir.path(), &url, "");
    run_once(&config).await;
    let store = Store::open(&dir.path().join("redline.db")).unwrap();
    let error = || store.articles().unwrap().remove(0).last_error.unwrap_or_default();
    let challenges: Vec<Case> = cases().into_iter().filter(|c| c.kind == "bot challenge").collect();
    assert!(challenges.len() >= 3);
    for (case, status) in challenges.iter().zip([StatusCode::FORBIDDEN, StatusCode::SERVICE_UNAVAILABLE].iter().cycle())
    {
        {
            let mut site = site.lock().unwrap();
            site.story = read(&case.file);
            site.status = Some(*status);
        }
        let stdout = run_once(&config).await;
        assert!(stdout.contains("1 failed"), "{}: {stdout}", case.file);
        assert!(error().starts_with("bot challenge: "), "{} with {status}: recorded {:?}", case.file, error());
    }
    // A refusal whose page is no wall stays what it is: an HTTP error.
    {
        let mut site = site.lock().unwrap();
        site.story =
            "<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1><hr>nginx</body></html>".into();
        site.status = Some(StatusCode::FORBIDDEN);
    }
    run_once(&config).await;
    assert_eq!(error(), "HTTP 403");
    assert_eq!(store.count(Table::Versions).unwrap(), 1);
    let metrics = store.metrics(chrono::Utc::now().timestamp()).unwrap();
    let walled = metrics.checks.iter().find(|(o, _)| o == "wall").map_or(0, |(_, n)| *n);
    assert_eq!(walled as usize, challenges.len(), "{:?}", metrics.checks);
}
