//! `redline import --warc`: an article's history rebuilt from web archives (a
//! crawl's WARCs, pages saved from a web archive, a Redline export). Every page
//! capture goes, per URL in date order, through the extraction, wall check and
//! diff of a live check ([`assess`]); what is new is recorded as versions and
//! changes marked as imported. Imported history raises no alerts: it is the past.
//!
//! Every file is read before anything is written, so a damaged archive fails
//! the import with its record number and leaves the database as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::http;
use super::warc::{Record, WarcError, WarcReader, parse_warc_date};
use crate::diff::Change;
use crate::extract::{self, Article};
use crate::fetch::{self, Expect};
use crate::store::{CheckDone, EarlierVersion, NewChange, NewVersion, Provenance, Store, StoreError};
use crate::watch::{Rules, Spec};

/// One capture of a page found in an archive.
#[derive(Debug, Clone)]
pub struct Capture {
    /// `WARC-Target-URI`.
    pub url: String,
    /// `WARC-Date`, unix seconds.
    pub at: i64,
    /// The HTTP status (200 for a `resource` record).
    pub status: u16,
    /// The body's content type.
    pub content_type: String,
    /// The body, de-chunked and decompressed.
    pub body: Vec<u8>,
    /// The response's status line and headers, CRLF-separated (None for a `resource`).
    pub head: Option<String>,
}

/// Why an import failed. Nothing was written when reading failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be opened.
    #[error("cannot read {}: {cause}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The cause (in the message, not a separate source: the CLI prints sources too).
        cause: std::io::Error,
    },
    /// The file is not a readable WARC.
    #[error("{}: {cause}; nothing was imported", path.display())]
    Warc {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the record number.
        cause: WarcError,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Records read.
    pub records: usize,
    /// Page captures among them.
    pub captures: usize,
    /// Versions recorded.
    pub versions: usize,
    /// Changes recorded (versions after an article's first).
    pub changes: usize,
    /// Articles that got versions.
    pub articles: usize,
    /// Captures whose content was already the latest version's.
    pub unchanged: usize,
    /// Records not imported, counted by reason.
    pub skipped: BTreeMap<String, usize>,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} records, {} page captures: {} versions recorded ({} changes) in {} articles, {} unchanged",
            self.records, self.captures, self.versions, self.changes, self.articles, self.unchanged
        )?;
        for (reason, n) in &self.skipped {
            write!(f, "\n  skipped {n}: {reason}")?;
        }
        Ok(())
    }
}

impl ImportReport {
    fn skip(&mut self, reason: impl Into<String>) {
        *self.skipped.entry(reason.into()).or_default() += 1;
    }
}

/// One record as a capture of a page, or why it is not one (the reason is a
/// category, counted in the report).
pub fn capture(record: &Record) -> Result<Capture, String> {
    let kind = record.kind();
    let is_page = matches!(kind, "response" | "resource");
    if kind == "revisit" {
        // A revisit says "the same payload as an earlier capture": nothing new to record.
        return Err("revisit records (the same content as an earlier capture)".into());
    }
    if !is_page {
        return Err(format!("{} records (not a page)", if kind.is_empty() { "untyped" } else { kind }));
    }
    let url = record.target().filter(|u| u.starts_with("http://") || u.starts_with("https://"));
    let Some(url) = url else { return Err("records without an http(s) WARC-Target-URI".into()) };
    let Some(at) = record.header("WARC-Date").and_then(parse_warc_date) else {
        return Err("records without a readable WARC-Date".into());
    };
    let (status, content_type, body, head) = if kind == "resource" {
        let content_type = record.header("Content-Type").unwrap_or("").to_string();
        (200, content_type, record.block.clone(), None)
    } else {
        let content_type = record.header("Content-Type").unwrap_or("");
        if !content_type.is_empty() && !content_type.starts_with("application/http") {
            return Err(format!("response records of type {content_type:?} (not an HTTP response)"));
        }
        let (head, wire_body) =
            http::parse_response(&record.block).map_err(|e| format!("unreadable responses ({e})"))?;
        let body = http::decoded_body(&head, wire_body).map_err(|e| format!("unreadable responses ({e})"))?;
        let content_type = head.header("Content-Type").unwrap_or("").to_string();
        (head.status, content_type, body, Some(head.text()))
    };
    if !(200..300).contains(&status) {
        return Err(format!("responses with HTTP status {status}"));
    }
    if !fetch::content_type_allowed(&content_type, Expect::Html) {
        let mime = content_type.split(';').next().unwrap_or("").trim().to_string();
        return Err(format!("pages of type {mime} (not HTML)"));
    }
    Ok(Capture { url: url.to_string(), at, status, content_type, body, head })
}

/// Every page capture of one archive file; the records that are not are counted in `report`.
pub fn read_file(path: &Path, report: &mut ImportReport) -> Result<Vec<Capture>, ImportError> {
    let file = std::fs::File::open(path).map_err(|cause| ImportError::Open { path: path.into(), cause })?;
    let reader = WarcReader::new(file).map_err(|cause| ImportError::Warc { path: path.into(), cause })?;
    let mut captures = Vec::new();
    for record in reader {
        let record = record.map_err(|cause| ImportError::Warc { path: path.into(), cause })?;
        report.records += 1;
        match capture(&record) {
            Ok(c) => captures.push(c),
            Err(reason) => report.skip(reason),
        }
    }
    if report.records == 0 {
        let cause = WarcError::Format { record: 1, message: "the file is empty".into() };
        return Err(ImportError::Warc { path: path.into(), cause });
    }
    Ok(captures)
}

/// What a capture is to an article's history, decided as a live check decides.
#[derive(Debug, Clone)]
pub enum Assessment {
    /// A version to record, with its change from the latest (None: the first version).
    Version {
        /// The extracted article.
        article: Box<Article>,
        /// Its content hash.
        hash: String,
        /// The change from the latest version.
        change: Option<Box<Change>>,
    },
    /// The latest version's content, or only noise moved.
    Unchanged,
    /// A consent wall, paywall or bot challenge stood in for the article.
    Wall(String),
    /// No article text on the page.
    Empty,
}

/// The steps of a live check after the fetch (see `check::Ctx::check_article`): extract
/// with the watch's rules, the same-hash shortcut, the wall check, the empty-page guard and
/// the diff with the watch's `ignore` patterns.
pub fn assess(html: &str, url: &str, status: u16, latest: Option<(&str, &Article)>, rules: &Rules) -> Assessment {
    let extracted = extract::extract_with(html, Some(url), &rules.extract);
    let hash = extracted.content_hash();
    if !extracted.paragraphs.is_empty() && latest.is_some_and(|(h, _)| h == hash) {
        return Assessment::Unchanged;
    }
    let served = extract::wall::Served { html, status, requested_url: url, final_url: url };
    if let Some(wall) = extract::wall::classify(&served, &extracted, latest.map(|(_, a)| a)) {
        return Assessment::Wall(wall.kind.to_string());
    }
    if extracted.paragraphs.is_empty() {
        return Assessment::Empty;
    }
    let change = match latest {
        None => None,
        Some((_, previous)) => {
            let change = crate::diff::compare_with(previous, &extracted, &rules.diff);
            if !change.changed {
                return Assessment::Unchanged;
            }
            Some(Box::new(change))
        }
    };
    Assessment::Version { article: Box::new(extracted), hash, change }
}

/// Imports the captures of `paths` into `store`, per URL in date order: those older than
/// the article's first stored version go before it (the stored versions move up), those
/// newer than its newest after it; captures in between are skipped (a history already
/// recorded is not rewritten, and re-importing the same archive adds nothing). `keep_raw` stores each
/// page (`[storage] keep_raw_html`); `progress` hears (captures done, of all).
pub fn import(
    store: &Store,
    paths: &[PathBuf],
    keep_raw: bool,
    now: i64,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let mut by_url: BTreeMap<String, Vec<Capture>> = BTreeMap::new();
    for path in paths {
        for c in read_file(path, &mut report)? {
            by_url.entry(c.url.clone()).or_default().push(c);
        }
    }
    report.captures = by_url.values().map(Vec::len).sum();
    let mut done = 0;
    for (url, mut captures) in by_url {
        // Stable: captures of the same second keep the order of the files and records.
        captures.sort_by_key(|c| c.at);
        let count = captures.len();
        import_url(store, &url, captures, keep_raw, now, &mut report)?;
        done += count;
        progress(done, report.captures);
    }
    Ok(report)
}

fn import_url(
    store: &Store,
    url: &str,
    captures: Vec<Capture>,
    keep_raw: bool,
    now: i64,
    report: &mut ImportReport,
) -> Result<(), ImportError> {
    let article = match store.article_by_url(url)? {
        Some(a) => a,
        None => {
            let spec = Spec { url: url.to_string(), ..Spec::default() };
            let Ok(source) = spec.source() else {
                captures.iter().for_each(|_| report.skip("captures of URLs that cannot be watched"));
                return Ok(());
            };
            let source_id = store.import_source(&source, now)?;
            store.ensure_article(source_id, url, now)?;
            store.article_by_url(url)?.ok_or_else(|| StoreError::Value(format!("article {url} vanished")))?
        }
    };
    let rules = match Rules::decode(&article.rules) {
        Ok(r) => r,
        Err(e) => {
            // As a live check of it would fail: nothing is extracted under rules that do not compile.
            captures
                .iter()
                .for_each(|_| report.skip(format!("captures of {url}, whose watch rules are invalid ({e})")));
            return Ok(());
        }
    };
    let mut latest = store.latest_version(article.id)?;
    let mut recorded = false;
    // Captures from before the first stored version go before the history.
    let first_at = match &latest {
        Some(_) => store.version(article.id, 1)?.map(|v| v.fetched_at),
        None => None,
    };
    let (earlier, captures): (Vec<Capture>, Vec<Capture>) =
        captures.into_iter().partition(|c| first_at.is_some_and(|first| c.at < first));
    if !earlier.is_empty() {
        recorded = import_earlier(store, &article, url, earlier, &rules, keep_raw, report)?;
        latest = store.latest_version(article.id)?;
    }
    let mut appended = false;
    let mut last_checked = article.last_checked.unwrap_or(0);
    for c in captures {
        // Once this import has appended a version, the captures after it (sorted) follow it,
        // even within the same second as it.
        if !appended && latest.as_ref().is_some_and(|v| c.at <= v.fetched_at) {
            report.skip("captures within the article's stored history (from its first to its newest version)");
            continue;
        }
        let html = fetch::decode(&c.body, &c.content_type).0;
        let previous = latest.as_ref().map(|v| (v.content_hash.as_str(), &v.article));
        let (article_now, hash, change) = match assess(&html, url, c.status, previous, &rules) {
            Assessment::Version { article, hash, change } => (article, hash, change),
            Assessment::Unchanged => {
                report.unchanged += 1;
                continue;
            }
            Assessment::Wall(kind) => {
                report.skip(format!("captures of a {kind} instead of the article"));
                continue;
            }
            Assessment::Empty => {
                report.skip("captures with no article text");
                continue;
            }
        };
        last_checked = last_checked.max(c.at);
        let version = NewVersion {
            article_id: article.id,
            fetched_at: c.at,
            content_hash: &hash,
            article: &article_now,
            raw_html_zstd: if keep_raw { zstd::encode_all(&c.body[..], 3).ok() } else { None },
            screenshot: None,
        };
        let new_change = change.as_deref().map(|change| NewChange { change, deliveries: Vec::new() });
        // The article's schedule is the live checks' business: it stays as it was.
        let done = CheckDone {
            at: last_checked,
            next_check: article.next_check.unwrap_or(now),
            etag: None,
            last_modified: None,
            // Imported bytes are not what the site serves now: the next check extracts.
            body_hash: None,
        };
        let provenance = Provenance { response_head: c.head.as_deref(), imported: true, archive: None };
        let (number, _) = store.record_version_with(&version, new_change.as_ref(), &done, &provenance)?;
        report.versions += 1;
        report.changes += usize::from(change.is_some());
        (recorded, appended) = (true, true);
        latest = Some(crate::store::VersionRow {
            id: 0,
            article_id: article.id,
            number,
            fetched_at: c.at,
            content_hash: hash,
            article: *article_now,
        });
    }
    report.articles += usize::from(recorded);
    Ok(())
}

/// A capture from before an article's first stored version, as it goes into the history.
struct Earlier {
    capture: Capture,
    article: Article,
    hash: String,
    change: Option<Change>,
}

/// Puts the captures older than the article's first version before it, each judged
/// against the one before it, the last against the old version 1 (a last capture with
/// that version's content is that version, seen earlier: it adds nothing). Returns
/// whether anything was recorded.
fn import_earlier(
    store: &Store,
    article: &crate::store::ArticleRow,
    url: &str,
    captures: Vec<Capture>,
    rules: &Rules,
    keep_raw: bool,
    report: &mut ImportReport,
) -> Result<bool, ImportError> {
    let Some(first) = store.version(article.id, 1)? else { return Ok(false) };
    let mut found: Vec<Earlier> = Vec::new();
    for capture in captures {
        let html = fetch::decode(&capture.body, &capture.content_type).0;
        let previous = found.last().map(|f| (f.hash.as_str(), &f.article));
        match assess(&html, url, capture.status, previous, rules) {
            Assessment::Version { article, hash, change } => {
                found.push(Earlier { capture, article: *article, hash, change: change.map(|c| *c) })
            }
            Assessment::Unchanged => report.unchanged += 1,
            Assessment::Wall(kind) => report.skip(format!("captures of a {kind} instead of the article")),
            Assessment::Empty => report.skip("captures with no article text"),
        }
    }
    let into_first = loop {
        let Some(last) = found.last() else { return Ok(false) };
        if last.hash != first.content_hash {
            let change = crate::diff::compare_with(&last.article, &first.article, &rules.diff);
            if change.changed {
                break change;
            }
        }
        found.pop();
        report.unchanged += 1;
    };
    let raws: Vec<Option<Vec<u8>>> =
        found.iter().map(|f| if keep_raw { zstd::encode_all(&f.capture.body[..], 3).ok() } else { None }).collect();
    let earlier: Vec<EarlierVersion<'_>> = found
        .iter()
        .zip(raws)
        .map(|(f, raw_html_zstd)| EarlierVersion {
            version: NewVersion {
                article_id: article.id,
                fetched_at: f.capture.at,
                content_hash: &f.hash,
                article: &f.article,
                raw_html_zstd,
                screenshot: None,
            },
            change: f.change.as_ref(),
            response_head: f.capture.head.as_deref(),
        })
        .collect();
    store.prepend_versions(article.id, &earlier, &into_first)?;
    // Each earlier version brings one change: from the one before it, or into the old first.
    report.versions += earlier.len();
    report.changes += earlier.len();
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::warc::WarcWriter;

    fn page(headline: &str, paragraphs: &[&str]) -> String {
        let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
        format!(
            "<html><head><title>{headline}</title></head><body><article><h1>{headline}</h1>{body}</article></body></html>"
        )
    }

    fn response(url: &str, date: &str, status: &str, body: &str) -> Record {
        let block = format!("HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{body}");
        Record::new("response", date, Some(url), "application/http; msgtype=response", block.into_bytes())
    }

    #[test]
    fn records_become_captures_or_counted_reasons() {
        let ok = capture(&response("https://a.test/s", "2026-01-01T00:00:00Z", "200 OK", "<p>x</p>")).unwrap();
        assert_eq!((ok.url.as_str(), ok.at, ok.status), ("https://a.test/s", 1_767_225_600, 200));
        assert_eq!(ok.body, b"<p>x</p>");
        assert!(ok.head.unwrap().starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/html"));
        let resource =
            Record::new("resource", "2026-01-01", Some("https://a.test/r"), "text/html", b"<p>r</p>".to_vec());
        assert_eq!(capture(&resource).unwrap().head, None);
        let cases = [
            (response("https://a.test/s", "2026-01-01T00:00:00Z", "404 Not Found", "x"), "HTTP status 404"),
            (response("ftp://a.test/s", "2026-01-01T00:00:00Z", "200 OK", "x"), "without an http(s)"),
            (response("https://a.test/s", "soon", "200 OK", "x"), "readable WARC-Date"),
            (Record::new("warcinfo", "2026-01-01", None, "application/warc-fields", vec![]), "warcinfo records"),
            (Record::new("revisit", "2026-01-01", Some("https://a.test/"), "x", vec![]), "revisit"),
            (Record::new("resource", "2026-01-01", Some("https://a.test/i"), "image/png", vec![1]), "image/png"),
            (
                Record::new("response", "2026-01-01", Some("https://a.test/"), "application/http", b"junk".to_vec()),
                "unreadable",
            ),
        ];
        for (record, reason) in cases {
            let got = capture(&record).unwrap_err();
            assert!(got.contains(reason), "{got} lacks {reason}");
        }
    }

    #[test]
    fn successive_captures_become_a_history_with_kinds_and_nothing_twice() {
        let dir = tempfile::tempdir().unwrap();
        let url = "https://news.test/2026/harbour-bridge";
        let first = page(
            "Harbour bridge to close for repairs",
            &[
                "The harbour bridge will close for six weeks from Monday, the city council said on Tuesday.",
                "Engineers found corrosion in two of the main cables during an inspection in March.",
            ],
        );
        let second = page(
            "Harbour bridge to close for repairs",
            &[
                "The harbour bridge will close for eight weeks from Monday, the city council said on Tuesday.",
                "Engineers found corrosion in two of the main cables during an inspection in March.",
                "Ferries will run every fifteen minutes while the bridge is shut, the transport office said.",
            ],
        );
        let mut w = WarcWriter::new(Vec::new());
        // Written out of order, with a capture of the same page, an error page and a non-page.
        w.write(&response(url, "2026-03-02T10:00:00Z", "200 OK", &second)).unwrap();
        w.write(&response(url, "2026-03-01T10:00:00Z", "200 OK", &first)).unwrap();
        w.write(&response(url, "2026-03-01T12:00:00Z", "200 OK", &first)).unwrap();
        w.write(&response(url, "2026-03-03T10:00:00Z", "503 Service Unavailable", "busy")).unwrap();
        w.write(&Record::new("warcinfo", "2026-03-01T00:00:00Z", None, "application/warc-fields", vec![])).unwrap();
        let path = dir.path().join("crawl.warc.gz");
        std::fs::write(&path, w.finish().unwrap()).unwrap();

        let store = Store::open_in_memory().unwrap();
        let mut heard = Vec::new();
        let report = import(&store, std::slice::from_ref(&path), true, 100, &mut |d, n| heard.push((d, n))).unwrap();
        assert_eq!((report.records, report.captures, report.versions, report.changes), (5, 3, 2, 1), "{report}");
        assert_eq!((report.unchanged, report.articles), (1, 1));
        assert_eq!(heard, vec![(3, 3)]);
        let article = store.article_by_url(url).unwrap().unwrap();
        let versions = store.versions(article.id).unwrap();
        assert_eq!(versions.iter().map(|v| v.fetched_at).collect::<Vec<_>>(), vec![1_772_359_200, 1_772_445_600]);
        let change = &store.changes(article.id).unwrap()[0].change;
        let kinds: Vec<&str> = change.kinds.iter().map(|k| k.as_str()).collect();
        assert!(kinds.contains(&"fact") && kinds.contains(&"addition"), "{kinds:?}");
        assert_eq!(store.imported_versions(article.id).unwrap(), vec![1, 2]);
        assert!(!store.sources().unwrap()[0].enabled, "importing does not start watching");
        // The same archive again: everything is already there.
        let again = import(&store, &[path], true, 200, &mut |_, _| {}).unwrap();
        assert_eq!(again.versions, 0);
        assert_eq!(store.versions(article.id).unwrap().len(), 2);
    }

    #[test]
    fn captures_from_before_the_watch_go_before_its_history() {
        let dir = tempfile::tempdir().unwrap();
        let url = "https://news.test/2026/budget";
        let text = |n: &str| {
            vec![
                format!("The council approved a budget of {n} million dollars for the coming year on Thursday night."),
                "Most of the money goes to schools, roads and the new library on the east side of town.".to_string(),
            ]
        };
        let pages: Vec<String> = ["40", "42", "45"]
            .iter()
            .map(|n| page("Council passes budget", &text(n).iter().map(String::as_str).collect::<Vec<_>>()))
            .collect();
        let write = |name: &str, captures: &[(&str, &String)]| {
            let mut w = WarcWriter::new(Vec::new());
            for (date, html) in captures {
                w.write(&response(url, date, "200 OK", html)).unwrap();
            }
            let path = dir.path().join(name);
            std::fs::write(&path, w.finish().unwrap()).unwrap();
            path
        };
        let store = Store::open_in_memory().unwrap();
        // What Redline saw itself: the 45 million version, on 5 March.
        let watched = write("watched.warc.gz", &[("2026-03-05T00:00:00Z", &pages[2])]);
        import(&store, &[watched], true, 0, &mut |_, _| {}).unwrap();
        let aid = store.article_by_url(url).unwrap().unwrap().id;
        // A crawl from before: 40 million, 42 million, then 45 million again on 4 March (the same as v1).
        let crawl = write(
            "crawl.warc.gz",
            &[
                ("2026-03-01T00:00:00Z", &pages[0]),
                ("2026-03-02T00:00:00Z", &pages[1]),
                ("2026-03-04T00:00:00Z", &pages[2]),
            ],
        );
        let report = import(&store, std::slice::from_ref(&crawl), true, 0, &mut |_, _| {}).unwrap();
        assert_eq!((report.versions, report.changes, report.unchanged), (2, 2, 1), "{report}");
        let versions = store.versions(aid).unwrap();
        let firsts: Vec<String> = versions.iter().map(|v| v.article.paragraphs[0].clone()).collect();
        assert!(firsts[0].contains(" 40 ") && firsts[1].contains(" 42 ") && firsts[2].contains(" 45 "), "{firsts:?}");
        let changes = store.changes(aid).unwrap();
        assert_eq!(changes.iter().map(|c| (c.from_number, c.to_number)).collect::<Vec<_>>(), vec![(1, 2), (2, 3)]);
        assert!(changes.iter().all(|c| c.change.kinds.iter().any(|k| k.as_str() == "fact")), "{changes:?}");
        assert_eq!(store.imported_versions(aid).unwrap(), vec![1, 2, 3], "v1 came from an import too");
        // Again: nothing new.
        assert_eq!(import(&store, &[crawl], true, 0, &mut |_, _| {}).unwrap().versions, 0);
        assert_eq!(store.versions(aid).unwrap().len(), 3);
    }

    #[test]
    fn a_damaged_archive_fails_with_its_record_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let good = response("https://a.test/1", "2026-01-01T00:00:00Z", "200 OK", &page("A", &["Some text here."]));
        let mut bytes = good.to_bytes();
        bytes.extend_from_slice(b"WARC/1.1\r\nContent-Length: 500\r\n\r\nshort");
        let path = dir.path().join("bad.warc");
        std::fs::write(&path, bytes).unwrap();
        let store = Store::open_in_memory().unwrap();
        let err = import(&store, std::slice::from_ref(&path), true, 0, &mut |_, _| {}).unwrap_err();
        assert!(err.to_string().contains("bad.warc: record 2: the archive is truncated"), "{err}");
        assert_eq!(store.count(crate::store::Table::Versions).unwrap(), 0);
        std::fs::write(&path, b"").unwrap();
        let err = import(&store, std::slice::from_ref(&path), true, 0, &mut |_, _| {}).unwrap_err();
        assert!(err.to_string().contains("the file is empty"), "{err}");
        let err = import(&store, &[dir.path().join("missing.warc")], true, 0, &mut |_, _| {}).unwrap_err();
        assert!(err.to_string().contains("cannot read"), "{err}");
    }
}
