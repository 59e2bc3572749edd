//! The real `redline` binary against the simulated newsroom on 127.0.0.1, with a
//! local webhook receiver that verifies every Standard Webhooks signature.

mod common;

/// A received webhook with its parsed event.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    verified: bool,
    body: Vec<u8>,
    event: Event,
}

fn events(received: &std::sync::Mutex<Vec<common::Received>>) -> Vec<Got> {
    let received = received.lock().unwrap();
    received
        .iter()
        .map(|r| Got {
            id: r.id.clone(),
            verified: r.verified,
            body: r.body.clone(),
            event: serde_json::from_slice(&r.body).expect("an Event"),
        })
        .collect()
}

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use common::{open_store, redline, run_once, start_receiver, start_receiver_on, webhook, write_config};
use redline::alert::Event;
use redline::newsroom::Newsroom;
use redline::store::Table;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_recorded_once_with_their_kinds_and_signed_webhooks() {
    let newsroom = Newsroom::start().await.unwrap();
    let (hook, received) = start_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &newsroom.feed_url(), &webhook(&hook));
    let first_articles = newsroom.article_urls();
    assert!(first_articles.len() >= 6);

    // Round 0: every article is stored as version 1; nobody is alerted.
    run_once(&config).await;
    let store = open_store(dir.path()).unwrap();
    assert_eq!(store.count(Table::Articles).unwrap(), first_articles.len() as i64);
    assert_eq!(store.count(Table::Versions).unwrap(), first_articles.len() as i64);
    assert_eq!(store.count(Table::Changes).unwrap(), 0);
    assert!(received.lock().unwrap().is_empty());

    // Only noise moves: sidebar times, the ad creative, the CSRF token.
    newsroom.tick(47);
    run_once(&config).await;
    assert_eq!(store.count(Table::Versions).unwrap(), first_articles.len() as i64, "noise created a version");
    assert_eq!(store.count(Table::Changes).unwrap(), 0);
    assert!(received.lock().unwrap().is_empty());

    // Round 1: the newsroom edits its stories (and publishes one new story).
    let edits = newsroom.publish_all_edits();
    assert!(edits.len() >= 4);
    newsroom.tick(3);
    let stdout = run_once(&config).await;
    assert!(stdout.contains(&format!("{} changed", edits.len())), "{stdout}");

    let mut kinds_by_url = HashMap::new();
    for article in store.articles().unwrap() {
        let changes = store.changes(article.id).unwrap();
        if let Some(edit) = edits.iter().find(|e| e.url == article.url) {
            assert_eq!(changes.len(), 1, "{}: expected exactly one change, got {changes:?}", edit.slug);
            let kinds: BTreeSet<_> = changes[0].change.kinds.iter().copied().collect();
            for expected in &edit.expected_kinds {
                assert!(
                    kinds.contains(expected),
                    "{}: {:?} missing from {kinds:?} ({})",
                    edit.slug,
                    expected,
                    edit.description
                );
            }
            kinds_by_url.insert(article.url.clone(), kinds);
        } else {
            assert!(changes.is_empty(), "{} was not edited but recorded {changes:?}", article.url);
        }
    }
    assert_eq!(kinds_by_url.len(), edits.len());
    assert_eq!(store.count(Table::Articles).unwrap(), first_articles.len() as i64 + 1, "the new story was discovered");

    // One signed webhook per change, with the change's kinds.
    let got = events(&received);
    assert_eq!(got.len(), edits.len(), "{got:#?}");
    let ids: BTreeSet<_> = got.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids.len(), got.len(), "webhook ids are unique");
    for r in &got {
        assert!(r.verified, "signature of {} did not verify", r.id);
        assert_eq!(r.event.kind, "article.changed");
        let kinds: BTreeSet<_> = r.event.data.kinds.iter().copied().collect();
        assert_eq!(Some(&kinds), kinds_by_url.get(&r.event.data.url), "{:?}", r.event.data);
        assert_eq!((r.event.data.from_version, r.event.data.to_version), (1, 2));
        assert!(!r.event.data.summary.is_empty());
    }
    let note = got
        .iter()
        .find(|r| r.event.data.notes.iter().any(|n| n.starts_with("Editor's note: This article was updated")))
        .expect("the editor's note reached the webhook");
    assert!(note.event.data.added.len() >= 3, "the note and the added reactions: {:?}", note.event.data.added);
    let correction = got.iter().find(|r| r.event.data.notes.iter().any(|n| n.starts_with("Correction:"))).unwrap();
    assert!(correction.event.data.kinds.contains(&redline::diff::EditKind::Correction));

    // Checking again finds nothing new and sends nothing.
    newsroom.tick(10);
    run_once(&config).await;
    assert_eq!(store.count(Table::Changes).unwrap(), edits.len() as i64);
    assert_eq!(received.lock().unwrap().len(), edits.len());

    // The CLI shows the history.
    let edited = &edits[0].url;
    let log = redline(&["--config", config.to_str().unwrap(), "log", edited]).await;
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(log.contains("v1") && log.contains("v2"), "{log}");
    let diff = redline(&["--config", config.to_str().unwrap(), "diff", edited, "--format", "json"]).await;
    assert!(diff.status.success());
    let change: serde_json::Value = serde_json::from_slice(&diff.stdout).unwrap();
    assert_eq!(change["changed"], true);
    newsroom.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_is_down_gets_the_alert_later_with_the_same_id() {
    let newsroom = Newsroom::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on this port yet: bind, learn the port, and close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let hook = format!("http://127.0.0.1:{port}/hook");
    let config = write_config(dir.path(), &newsroom.feed_url(), &webhook(&hook));
    run_once(&config).await;
    let edits = newsroom.publish_all_edits();
    let stdout = run_once(&config).await;
    assert!(stdout.contains(&format!("0 alerts delivered, {} to retry", edits.len())), "{stdout}");
    let store = open_store(dir.path()).unwrap();
    let pending = store.deliveries("pending").unwrap();
    assert_eq!(pending.len(), edits.len());
    assert!(pending.iter().all(|d| d.attempts == 1 && d.last_error.is_some()));

    // The endpoint comes back; after the first retry delay (5 s ± 10%) the next pass delivers.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let (_, received) = start_receiver_on(listener, Arc::new(|_| (StatusCode::OK, Duration::ZERO)));
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let stdout = run_once(&config).await;
    assert!(stdout.contains(&format!("{} alerts delivered, 0 to retry", edits.len())), "{stdout}");
    let got = events(&received);
    assert_eq!(got.len(), pending.len());
    for d in &pending {
        let r = got.iter().find(|r| r.id == d.event_id).expect("delivered under the id chosen at first");
        assert!(r.verified);
        assert_eq!(r.body, d.payload.as_bytes(), "the retry sends the same body");
    }
    assert!(store.deliveries("pending").unwrap().is_empty());
    newsroom.shutdown().await;
}
