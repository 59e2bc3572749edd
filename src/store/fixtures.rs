//! Test data shared by the store's unit tests.

use super::{CheckDone, NewChange, NewDelivery, NewSource, NewVersion, Result, SourceKind, Store};
use crate::diff::Change;
use crate::extract::Article;

/// A feed source.
pub(super) fn source(url: &str) -> NewSource {
    NewSource { kind: SourceKind::Feed, url: url.into(), schedule: "every 10m".into(), rules: "{}".into() }
}

/// An article with one paragraph.
pub(super) fn article(text: &str) -> Article {
    Article { title: Some("T".into()), paragraphs: vec![text.into()], ..Article::default() }
}

/// A check that ended at `at`, next due ten minutes later.
pub(super) fn done(at: i64) -> CheckDone<'static> {
    CheckDone { at, next_check: at + 600, etag: None, last_modified: None, body_hash: None }
}

/// An outbox row of `channel` first due at `next_attempt`.
pub(super) fn delivery(channel: &str, event_id: &str, next_attempt: i64) -> NewDelivery {
    NewDelivery {
        channel: channel.into(),
        event: super::ARTICLE_CHANGED,
        event_id: event_id.into(),
        payload: "{}".into(),
        next_attempt,
    }
}

/// A version of an article fetched at `at`, with no raw page and no screenshot.
pub(super) fn version<'a>(article_id: i64, at: i64, hash: &'a str, article: &'a Article) -> NewVersion<'a> {
    NewVersion { article_id, fetched_at: at, content_hash: hash, article, raw_html_zstd: None, screenshot: None }
}

/// One feed source (id 1) with one article (`https://a/1`) whose first version
/// ("one") was recorded at 10; returns the article id.
pub(super) fn with_first_version(store: &Store) -> i64 {
    store.sync_config_sources(&[source("https://a/rss")], 0).unwrap();
    let (aid, _) = store.ensure_article(1, "https://a/1", 0).unwrap();
    let v1 = article("one");
    store.record_version(&version(aid, 10, "h1", &v1), None, &done(10)).unwrap();
    aid
}

/// Records the next version of an article, with a change and these outbox rows.
pub(super) fn record_change(
    store: &Store,
    article_id: i64,
    at: i64,
    text: &str,
    deliveries: Vec<NewDelivery>,
) -> Result<(i64, Option<i64>)> {
    let change = Change { changed: true, summary: "s".into(), ..Change::default() };
    let nc = NewChange { change: &change, deliveries };
    let a = article(text);
    let hash = format!("h{at}");
    store.record_version(&version(article_id, at, &hash, &a), Some(&nc), &done(at))
}

/// Runs a test on an in-memory SQLite database, then on a fresh PostgreSQL database
/// (see [`super::pg::test_server_url`]). A PostgreSQL that does not answer fails the test:
/// `bash scripts/test.sh` starts one.
pub(crate) fn each_store(test: impl Fn(&Store)) {
    eprintln!("on SQLite");
    test(&Store::open_in_memory().unwrap());
    let server = super::pg::test_server_url();
    let db = super::pg::TestDatabase::create(&server)
        .unwrap_or_else(|e| panic!("PostgreSQL at {server} (REDLINE_TEST_POSTGRES) does not answer: {e}"));
    eprintln!("on PostgreSQL");
    let store = Store::open_url(&db.url).unwrap();
    test(&store);
}

/// Runs a test with two stores on one database, claiming as workers `w1` and `w2`:
/// an SQLite file, then a fresh PostgreSQL database.
pub(crate) fn each_shared_store(test: impl Fn(&Store, &Store)) {
    eprintln!("on SQLite");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let (one, two) = (Store::open(&path).unwrap(), Store::open(&path).unwrap());
    test(&one.with_worker("w1"), &two.with_worker("w2"));
    let server = super::pg::test_server_url();
    let db = super::pg::TestDatabase::create(&server)
        .unwrap_or_else(|e| panic!("PostgreSQL at {server} (REDLINE_TEST_POSTGRES) does not answer: {e}"));
    eprintln!("on PostgreSQL");
    let (one, two) = (Store::open_url(&db.url).unwrap(), Store::open_url(&db.url).unwrap());
    test(&one.with_worker("w1"), &two.with_worker("w2"));
}

/// One watch with one article and two versions; returns the article id.
pub(super) fn two_versions(store: &Store) -> i64 {
    let src = NewSource {
        kind: SourceKind::Feed,
        url: "https://news.example/rss".into(),
        schedule: "every 10m".into(),
        rules: "{\"name\":\"Example\"}".into(),
    };
    store.sync_config_sources(&[src], 0).unwrap();
    let (aid, _) = store.ensure_article(1, "https://news.example/a/1", 0).unwrap();
    let texts = ["The mayor spoke on Monday.", "The mayor spoke on Tuesday about zebras."];
    let mut previous: Option<Article> = None;
    for (i, t) in texts.iter().enumerate() {
        let a = Article { title: Some(format!("Headline {i}")), paragraphs: vec![t.to_string()], ..Article::default() };
        let change = previous.as_ref().map(|p| crate::diff::compare(p, &a));
        let nc = change.as_ref().map(|c| NewChange { change: c, deliveries: vec![] });
        let at = 100 * (i as i64 + 1);
        let nv = NewVersion {
            article_id: aid,
            fetched_at: at,
            content_hash: &format!("h{i}"),
            article: &a,
            raw_html_zstd: None,
            screenshot: None,
        };
        store
            .record_version(
                &nv,
                nc.as_ref(),
                &CheckDone { at, next_check: at + 600, etag: None, last_modified: None, body_hash: None },
            )
            .unwrap();
        previous = Some(a);
    }
    aid
}
