//! `redline migrate-store`: a database filled the way the demo fills it (its simulated
//! newsroom, edits, webhook alerts, and what issue 15 adds: stories and their band keys,
//! an article's alias, every version's headlines) goes from SQLite to PostgreSQL and back
//! with the same counts and content digests, and the copies answer like the original.

mod common;

use common::{redline, run_once, start_receiver, webhook};
use redline::newsroom::Newsroom;
use redline::store::{Store, Table};

fn config(dir: &std::path::Path, storage: &str, feed: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join("redline.toml");
    let text = format!(
        "[storage]\n{storage}\n\n[fetch]\nallow_private = true\nper_host_delay = \"0s\"\n\n\
         [[watch]]\nfeed = {feed:?}\nevery = \"5m\"\n\n{extra}\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_history_round_trips_sqlite_postgres_sqlite() {
    let newsroom = Newsroom::start().await.unwrap();
    let (hook, _received) = start_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("redline.db");
    // One article is also watched by a tracked URL: the URL becomes its alias.
    let tracked = format!("{}?utm_source=newsletter&fbclid=x1", newsroom.article_urls()[0]);
    let extra = format!("{}\n[[watch]]\nurl = {tracked:?}\nevery = \"5m\"\n", webhook(&hook));
    let cfg = config(dir.path(), &format!("path = {:?}", sqlite.display().to_string()), &newsroom.feed_url(), &extra);
    run_once(&cfg).await;
    newsroom.publish_all_edits();
    run_once(&cfg).await;
    let original = Store::open(&sqlite).unwrap();
    assert!(original.count(Table::Changes).unwrap() > 0 && original.count(Table::Deliveries).unwrap() > 0);
    let digests = original.table_digests().unwrap();
    let rows = |table: &str| digests.iter().find(|t| t.table == table).map_or(0, |t| t.rows);
    for table in ["stories", "story_articles", "story_keys", "article_aliases", "version_headlines"] {
        assert!(rows(table) > 0, "the history to copy holds {table}: {digests:?}");
    }
    let aliased = original.alias_of(&tracked).unwrap().expect("the tracked URL is an alias");
    let story = original.story_of(aliased).unwrap().expect("the article is grouped");
    let headlines = original.latest_headlines(aliased).unwrap().expect("its headlines are recorded");
    drop(original);

    let db = redline::store::pg::TestDatabase::create(&redline::store::pg::test_server_url())
        .expect("PostgreSQL for the tests (scripts/test.sh starts one)");
    let out = redline(&["--config", cfg.to_str().unwrap(), "migrate-store", "--to", &db.url]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("counts and digests match"), "{stdout}");
    assert!(out.stderr.is_empty(), "no progress off a terminal: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(Store::open_url(&db.url).unwrap().table_digests().unwrap(), digests);

    // Back from PostgreSQL into a new SQLite file: the same history, readable and searchable.
    let back = dir.path().join("back.db");
    let pg_cfg = config(dir.path(), &format!("url = {:?}", db.url), &newsroom.feed_url(), "");
    let out = redline(&["--config", pg_cfg.to_str().unwrap(), "migrate-store", "--to", back.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let copy = Store::open(&back).unwrap();
    assert_eq!(copy.table_digests().unwrap(), digests);
    // The copy answers issue 15's questions like the original.
    assert_eq!(copy.alias_of(&tracked).unwrap(), Some(aliased));
    assert_eq!(copy.story_of(aliased).unwrap(), Some(story));
    assert_eq!(copy.latest_headlines(aliased).unwrap(), Some(headlines));
    let first = copy.articles().unwrap().into_iter().next().unwrap();
    let word = copy.latest_version(first.id).unwrap().unwrap().article.title.unwrap();
    let word =
        word.split_whitespace().find(|w| w.len() > 3 && w.chars().all(char::is_alphanumeric)).unwrap().to_string();
    let hits = copy.search(&redline::store::search::fts_query(&word).unwrap(), 10).unwrap();
    assert!(hits.iter().any(|h| h.article_id == first.id), "search finds {word:?} in the copy");

    // Into a database that holds data: refused, nothing written.
    let out = redline(&["--config", cfg.to_str().unwrap(), "migrate-store", "--to", back.to_str().unwrap()]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"), "{}", String::from_utf8_lossy(&out.stderr));
}
