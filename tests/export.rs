//! The history out and back in: `redline export --warc` after the daemon recorded the
//! simulated newsroom's edits (checked by warcio, from PyPI in a virtualenv this test
//! creates under target/), `redline import --warc` of that archive into an empty database
//! (the same versions and changes), a story's successive captures written as a crawler
//! writes them, and `export --jsonl` / `--csv` read back by Python's json and csv modules.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{open_store, redline, run_once, storage_key, write_config};
use redline::archive::warc::{Record, WarcReader, WarcWriter};
use redline::newsroom::Newsroom;
use redline::store::{Store, Table};

/// A config with only the database of `dir`.
fn store_config(dir: &Path) -> PathBuf {
    let path = dir.join("redline.toml");
    std::fs::write(&path, format!("[storage]\n{}\n", storage_key(dir))).unwrap();
    path
}

/// Runs the binary; panics with its output unless it succeeds. Returns stdout.
async fn ok(args: &[&str]) -> String {
    let out = redline(args).await;
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "redline {args:?} failed:\n{stdout}\n{stderr}");
    stdout.into_owned()
}

/// Each article's (content hashes of its versions, kinds of its changes), by URL.
type Histories = BTreeMap<String, (Vec<String>, Vec<Vec<String>>)>;

fn histories(store: &Store) -> Histories {
    let mut all = BTreeMap::new();
    for a in store.articles().unwrap() {
        let hashes = store.versions(a.id).unwrap().into_iter().map(|v| v.content_hash).collect();
        let kinds = store
            .changes(a.id)
            .unwrap()
            .into_iter()
            .map(|c| c.change.kinds.iter().map(|k| k.as_str().to_string()).collect())
            .collect();
        all.insert(a.url, (hashes, kinds));
    }
    all
}

/// The `warcio` command of a virtualenv under target/ (created and installed from PyPI on
/// first use); None only when this Python cannot make virtualenvs.
fn warcio() -> Option<PathBuf> {
    static WARCIO: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    WARCIO
        .get_or_init(|| {
            let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("warcio-venv");
            let bin = venv.join("bin");
            if !bin.join("warcio").exists() {
                let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).output();
                match made {
                    Ok(out) if out.status.success() => {}
                    other => {
                        eprintln!("SKIPPED the warcio checks: python3 -m venv is not available ({other:?})");
                        return None;
                    }
                }
                let pip = Command::new(bin.join("pip"))
                    .args(["install", "--quiet", "--disable-pip-version-check", "warcio==1.7.5"])
                    .output()
                    .unwrap();
                assert!(pip.status.success(), "pip install warcio failed: {}", String::from_utf8_lossy(&pip.stderr));
            }
            Some(bin.join("warcio"))
        })
        .clone()
}

fn read_records(path: &Path) -> Vec<Record> {
    let file = std::fs::File::open(path).unwrap();
    WarcReader::new(file).unwrap().map(|r| r.expect("a readable record")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_history_passes_warcio_and_imports_into_an_empty_database_as_it_was() {
    let newsroom = Newsroom::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &newsroom.feed_url(), "");
    run_once(&config).await;
    let edits = newsroom.publish_all_edits();
    assert!(edits.len() >= 4);
    newsroom.tick(3);
    // The edits are fetched in a later second than the first versions.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    run_once(&config).await;
    let store = open_store(dir.path()).unwrap();
    let original = histories(&store);
    let versions = store.count(Table::Versions).unwrap();
    let changes = store.count(Table::Changes).unwrap();
    assert!(changes >= edits.len() as i64, "{changes} changes");

    let warc = dir.path().join("history.warc.gz");
    let config_arg = config.to_str().unwrap();
    let said = ok(&["--config", config_arg, "export", "--warc", warc.to_str().unwrap()]).await;
    assert!(said.contains(&format!("wrote {versions} pages")), "{said}");

    // Our reader: warcinfo first, then a response and its metadata per version.
    let records = read_records(&warc);
    assert_eq!(records[0].kind(), "warcinfo");
    let responses: Vec<&Record> = records.iter().filter(|r| r.kind() == "response").collect();
    assert_eq!(responses.len() as i64, versions);
    for (i, r) in records.iter().enumerate().skip(1) {
        if r.kind() == "metadata" {
            let response = &records[i - 1];
            assert_eq!(r.header("WARC-Concurrent-To"), Some(response.id()));
            let about: serde_json::Value = serde_json::from_slice(&r.block).unwrap();
            assert_eq!(about["url"].as_str(), response.target());
            assert_eq!(about["schema"], "redline.warc-metadata/1");
            assert!(about["version"].as_i64().unwrap() >= 1);
        }
    }
    let head = String::from_utf8_lossy(&responses[0].block[..200]).to_string();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.to_ascii_lowercase().contains("content-type: text/html"), "the response headers are kept: {head}");

    // warcio: every digest checks, every record is indexed.
    if let Some(warcio) = warcio() {
        let check = Command::new(&warcio).args(["check", "-v"]).arg(&warc).output().unwrap();
        let said = String::from_utf8_lossy(&check.stdout).to_string() + &String::from_utf8_lossy(&check.stderr);
        assert!(check.status.success(), "warcio check failed:\n{said}");
        assert!(said.contains("digest pass"), "{said}");
        assert!(!said.contains("digest fail") && !said.contains("not present"), "{said}");
        let index = Command::new(&warcio)
            .args(["index", "-f", "warc-type,warc-target-uri,offset"])
            .arg(&warc)
            .output()
            .unwrap();
        assert!(index.status.success(), "warcio index failed: {}", String::from_utf8_lossy(&index.stderr));
        let lines: Vec<serde_json::Value> =
            String::from_utf8(index.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), records.len());
        let indexed = lines.iter().filter(|l| l["warc-type"] == "response").count();
        assert_eq!(indexed as i64, versions);
        assert!(lines.iter().all(|l| l["offset"].as_str().is_some_and(|o| !o.is_empty())));
    }

    // Into an empty database: the same versions and changes, marked as imported.
    let empty = tempfile::tempdir().unwrap();
    let empty_config = store_config(empty.path());
    let said = ok(&["--config", empty_config.to_str().unwrap(), "import", "--warc", warc.to_str().unwrap()]).await;
    assert!(said.contains(&format!("{versions} versions recorded ({changes} changes)")), "{said}");
    let rebuilt_store = open_store(empty.path()).unwrap();
    assert_eq!(histories(&rebuilt_store), original);
    for a in rebuilt_store.articles().unwrap() {
        assert_eq!(rebuilt_store.imported_versions(a.id).unwrap().len() as i64, a.versions, "{}", a.url);
    }
    // Again: nothing new.
    let said = ok(&["--config", empty_config.to_str().unwrap(), "import", "--warc", warc.to_str().unwrap()]).await;
    assert!(said.contains("0 versions recorded"), "{said}");
    assert_eq!(rebuilt_store.count(Table::Versions).unwrap(), versions);

    // A watch and a date narrow the export; a bad date or watch is refused.
    let later = dir.path().join("later.warc.gz");
    let since =
        ok(&["--config", config_arg, "export", "--warc", later.to_str().unwrap(), "--since", "2999-01-01"]).await;
    assert!(since.contains("wrote 0 pages"), "{since}");
    let bad = redline(&["--config", config_arg, "export", "--warc", "x.warc.gz", "--since", "soon"]).await;
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--since \"soon\": give a date"), "{bad:?}");
    let bad = redline(&["--config", config_arg, "export", "--csv", "--watch", "999"]).await;
    assert!(String::from_utf8_lossy(&bad.stderr).contains("there is no watch 999"), "{bad:?}");

    // JSON Lines and CSV, read by Python.
    let jsonl = dir.path().join("history.jsonl");
    let csv = dir.path().join("changes.csv");
    ok(&["--config", config_arg, "export", "--jsonl", "-o", jsonl.to_str().unwrap()]).await;
    ok(&["--config", config_arg, "export", "--csv", "-o", csv.to_str().unwrap()]).await;
    let script = r#"
import csv, json, sys
versions = changes = 0
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    assert o["schema"] == "redline.export/1", o
    if o["type"] == "version":
        versions += 1
        for k in ("article_id", "watch_id", "url", "outlet", "number", "fetched_at", "content_hash", "title",
                  "byline", "published", "modified", "lang", "canonical_url", "paragraphs", "imported"):
            assert k in o, (k, o)
        assert isinstance(o["paragraphs"], list) and o["paragraphs"]
    else:
        assert o["type"] == "change", o
        changes += 1
        for k in ("id", "article_id", "url", "outlet", "from_version", "to_version", "created_at", "title",
                  "kinds", "significance", "summary", "notes", "added", "removed", "imported"):
            assert k in o, (k, o)
        assert o["to_version"] == o["from_version"] + 1 and o["kinds"], o
rows = list(csv.DictReader(open(sys.argv[2], newline="", encoding="utf-8")))
assert list(rows[0].keys()) == ["time", "outlet", "url", "headline", "kinds", "significance", "summary",
                                "change_id", "imported"], list(rows[0].keys())
for r in rows:
    assert r["url"].startswith("http://127.0.0.1:") and r["outlet"] in r["url"] and r["kinds"], r
    assert 0 <= float(r["significance"]) <= 1 and r["time"].endswith("Z") and r["imported"] == "false", r
print(versions, changes, len(rows))
"#;
    let python = Command::new("python3").arg("-c").arg(script).arg(&jsonl).arg(&csv).output().unwrap();
    assert!(python.status.success(), "python: {}", String::from_utf8_lossy(&python.stderr));
    assert_eq!(String::from_utf8_lossy(&python.stdout).trim(), format!("{versions} {changes} {changes}"));
    newsroom.shutdown().await;
}

/// Serves the web UI and API of `store` on 127.0.0.1; returns its base URL.
async fn serve(store: std::sync::Arc<Store>) -> String {
    use redline::web::{WebOptions, WebState, serve};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = WebState::new(store, WebOptions::default()).unwrap();
    tokio::spawn(async move { serve(listener, state, std::future::pending()).await.unwrap() });
    format!("http://{addr}")
}

/// A page of the story, as its outlet served it at one time.
fn story(headline: &str, paragraphs: &[&str]) -> String {
    let body: String = paragraphs.iter().map(|p| format!("      <p>{p}</p>\n")).collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{headline} | Coast Herald</title></head>\n\
         <body><nav><a href=\"/\">Home</a> <a href=\"/local\">Local</a></nav>\n\
         <article><h1>{headline}</h1><p class=\"byline\">By Ana Ruiz</p>\n{body}</article>\n\
         <footer>Coast Herald, all rights reserved</footer></body></html>\n"
    )
}

/// A `response` record as a crawler writes it: the body gzip-compressed and chunked, as
/// it came over the wire.
fn crawled(url: &str, date: &str, html: &str) -> Record {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(html.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let mut block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for chunk in gz.chunks(100) {
        block.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        block.extend_from_slice(chunk);
        block.extend_from_slice(b"\r\n");
    }
    block.extend_from_slice(b"0\r\n\r\n");
    Record::new("response", date, Some(url), "application/http; msgtype=response", block).with_block_digest()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storys_successive_captures_become_its_history_with_the_right_kinds() {
    let url = "https://coastherald.test/local/ferry-fares";
    let first = story(
        "Ferry fares to rise in spring",
        &[
            "Ferry fares between the island and the mainland will rise by 12 percent in April, the port authority said on Monday.",
            "A return ticket for an adult will cost 18 dollars, up from 16 dollars.",
            "The authority said fuel costs had doubled since the last increase in 2022.",
        ],
    );
    let second = story(
        "Ferry fares to rise by 15 percent in spring",
        &[
            "Ferry fares between the island and the mainland will rise by 15 percent in April, the port authority said on Monday.",
            "A return ticket for an adult will cost 18 dollars, up from 16 dollars.",
            "The authority said fuel costs had doubled since the last increase in 2022.",
        ],
    );
    let third = story(
        "Ferry fares to rise by 15 percent in spring",
        &[
            "Ferry fares between the island and the mainland will rise by 15 percent in April, the port authority said on Monday.",
            "A return ticket for an adult will cost 18 dollars, up from 16 dollars.",
            "The authority said fuel costs had doubled since the last increase in 2022.",
            "Correction: An earlier version of this article misstated the size of the increase. It is 15 percent, not 12 percent.",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    // One archive file per capture, as separate crawls leave them, given out of order;
    // the middle one plain, the others gzip per record.
    let mut files = Vec::new();
    for (name, date, html, gzip) in [
        ("c3.warc.gz", "2026-03-03T08:00:00Z", &third, true),
        ("c1.warc.gz", "2026-03-01T08:00:00Z", &first, true),
        ("c2.warc", "2026-03-02T08:00:00.250Z", &second, false),
    ] {
        let record = crawled(url, date, html);
        let bytes = match gzip {
            true => {
                let mut w = WarcWriter::new(Vec::new());
                w.write(&record).unwrap();
                w.finish().unwrap()
            }
            false => record.to_bytes(),
        };
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        files.push(path.to_str().unwrap().to_string());
    }
    let config = store_config(dir.path());
    let mut args = vec!["--config", config.to_str().unwrap(), "import", "--warc"];
    args.extend(files.iter().map(String::as_str));
    let said = ok(&args).await;
    assert!(said.contains("3 versions recorded (2 changes) in 1 articles"), "{said}");
    let store = open_store(dir.path()).unwrap();
    let article = store.article_by_url(url).unwrap().unwrap();
    let versions = store.versions(article.id).unwrap();
    let titles: Vec<&str> = versions.iter().map(|v| v.article.title.as_deref().unwrap()).collect();
    assert_eq!(titles, ["Ferry fares to rise in spring", "Ferry fares to rise by 15 percent in spring", titles[1]]);
    assert_eq!(versions[1].fetched_at - versions[0].fetched_at, 24 * 3600);
    let changes = store.changes(article.id).unwrap();
    let kinds = |i: usize| changes[i].change.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>();
    assert!(kinds(0).contains(&"headline") && kinds(0).contains(&"fact"), "{:?}", kinds(0));
    assert!(kinds(1).contains(&"correction") && kinds(1).contains(&"editors_note"), "{:?}", kinds(1));
    assert_eq!(store.imported_versions(article.id).unwrap(), vec![1, 2, 3]);
    // The log shows it like any history; nothing is watched because of the import.
    let log = ok(&["--config", config.to_str().unwrap(), "log", url]).await;
    assert!(log.contains("v3") && log.contains("correction") && log.contains("(imported)"), "{log}");
    assert!(store.sources().unwrap().iter().all(|s| !s.enabled));

    // The JSON API and the version page say the history was imported.
    let store = std::sync::Arc::new(store);
    let base = serve(std::sync::Arc::clone(&store)).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let get = |path: String| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let changes: serde_json::Value = serde_json::from_str(&get("/api/changes".into()).await).unwrap();
    assert!(changes["changes"].as_array().unwrap().iter().all(|c| c["imported"] == true), "{changes}");
    let id = changes["changes"][0]["id"].as_i64().unwrap();
    let change: serde_json::Value = serde_json::from_str(&get(format!("/api/changes/{id}")).await).unwrap();
    assert_eq!(change["imported"], true);
    let aid = article.id;
    let version: serde_json::Value =
        serde_json::from_str(&get(format!("/api/articles/{aid}/versions/2")).await).unwrap();
    assert_eq!(version["imported"], true);
    let listed: serde_json::Value = serde_json::from_str(&get(format!("/api/articles/{aid}/versions")).await).unwrap();
    assert!(listed["versions"].as_array().unwrap().iter().all(|v| v["imported"] == true), "{listed}");
    let html = get(format!("/articles/{aid}/versions/2")).await;
    assert!(html.contains("Imported from a web archive"), "{html}");

    // A damaged archive: a clear error, no panic, nothing written.
    let broken = dir.path().join("broken.warc.gz");
    let whole = std::fs::read(dir.path().join("c1.warc.gz")).unwrap();
    std::fs::write(&broken, &whole[..whole.len() / 2]).unwrap();
    let out = redline(&["--config", config.to_str().unwrap(), "import", "--warc", broken.to_str().unwrap()]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("broken.warc.gz: record 1:"), "{stderr}");
    assert!(stderr.contains("nothing was imported") && !stderr.contains("panicked"), "{stderr}");
    assert_eq!(store.count(Table::Versions).unwrap(), 3);
}
