//! `redline card`: the real binary draws a change the daemon recorded from the simulated
//! newsroom on 127.0.0.1, to a file and to standard output; an unknown id is a clear error.

mod common;

use common::{open_store, redline, run_once, write_config};
use redline::newsroom::Newsroom;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_command_writes_the_png_of_a_recorded_change() {
    let newsroom = Newsroom::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &newsroom.feed_url(), "");
    run_once(&config).await;
    newsroom.publish_all_edits();
    run_once(&config).await;
    let store = open_store(dir.path()).unwrap();
    let article = store.article_summaries(None, 100, 0).unwrap().into_iter().find(|a| a.versions > 1).unwrap();
    let change = store.changes(article.id).unwrap().pop().unwrap();
    let id = change.id.to_string();
    let config = config.to_str().unwrap();

    let file = dir.path().join("card.png");
    let out = redline(&["--config", config, "card", &id, "-o", file.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    let png = std::fs::read(&file).unwrap();
    let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap();
    assert_eq!(img.width(), 1200);
    assert!(img.height() > 300 && img.height() <= 2000, "{}", img.height());

    // Standard output is a pipe here, so the PNG goes there; the same card.
    let piped = redline(&["--config", config, "card", &id]).await;
    assert!(piped.status.success(), "{}", String::from_utf8_lossy(&piped.stderr));
    assert_eq!(piped.stdout, png);

    let missing = redline(&["--config", config, "card", "999999"]).await;
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("no change has the id 999999"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    newsroom.shutdown().await;
}
