//! `redline export --warc`: every stored raw page as a WARC/1.1 `response` record
//! (its target URI, fetch date, the response head it came with, payload and block
//! digests), each followed by a `metadata` record (`WARC-Concurrent-To` the
//! response) naming its Redline version and the change that produced it; a
//! `warcinfo` record first. Each record is its own gzip member.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use super::http::response_block;
use super::warc::{Record, WarcWriter, sha1_digest, warc_date};
use crate::store::{ArchivedPage, ExportFilter, Store, StoreError};

/// The `schema` of the JSON in each `metadata` record.
pub const METADATA_SCHEMA: &str = "redline.warc-metadata/1";

/// Stored pages read from the database at a time.
const PAGE_ROWS: usize = 50;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing the file failed.
    #[error("cannot write {path}: {cause}")]
    Write {
        /// The file.
        path: String,
        /// The cause (in the message, not a separate source: the CLI prints sources too).
        cause: std::io::Error,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored page cannot be decompressed.
    #[error("version {number} of {url}: its stored page is corrupt: {message}")]
    Corrupt {
        /// The article.
        url: String,
        /// The version.
        number: i64,
        /// What zstd says.
        message: String,
    },
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// `response` records (one per stored page).
    pub pages: usize,
    /// Versions left out because their raw page is not stored (`[storage] keep_raw_html = false`).
    pub without_page: usize,
}

/// Writes the archive to `path` (through a temporary file beside it, renamed at the end,
/// so that a failed export leaves no half archive). `progress` hears the pages written.
pub fn export_warc_file(
    store: &Store,
    filter: &ExportFilter,
    path: &Path,
    progress: &mut dyn FnMut(usize),
) -> Result<ExportReport, ExportError> {
    let shown = path.display().to_string();
    let write_error = |cause| ExportError::Write { path: shown.clone(), cause };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "redline.warc.gz".into());
    let partial = path.with_file_name(format!(".{name}.partial"));
    let file = std::fs::File::create(&partial).map_err(write_error)?;
    let written = export_warc(store, filter, &name, std::io::BufWriter::new(file), progress);
    let result = written.and_then(|(report, out)| {
        out.into_inner().map_err(|e| write_error(e.into_error()))?.sync_all().map_err(write_error)?;
        std::fs::rename(&partial, path).map_err(write_error)?;
        Ok(report)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Writes the archive onto `out`; `filename` goes into the `warcinfo` record.
pub fn export_warc<W: Write>(
    store: &Store,
    filter: &ExportFilter,
    filename: &str,
    out: W,
    progress: &mut dyn FnMut(usize),
) -> Result<(ExportReport, W), ExportError> {
    let write_error = |cause| ExportError::Write { path: filename.to_string(), cause };
    let mut writer = WarcWriter::new(out);
    let info = warcinfo(filename, chrono::Utc::now().timestamp());
    writer.write(&info).map_err(write_error)?;
    let mut report = ExportReport::default();
    let mut after = 0;
    loop {
        let rows = store.archived_pages(filter, after, PAGE_ROWS)?;
        let Some(last) = rows.last() else { break };
        after = last.version_id;
        for page in &rows {
            let Some((response, metadata)) = page_records(page, info.id())? else {
                report.without_page += 1;
                continue;
            };
            writer.write(&response).map_err(write_error)?;
            writer.write(&metadata).map_err(write_error)?;
            report.pages += 1;
            progress(report.pages);
        }
    }
    Ok((report, writer.finish().map_err(write_error)?))
}

/// The `warcinfo` record that opens the archive.
fn warcinfo(filename: &str, now: i64) -> Record {
    let fields = format!(
        "software: Redline/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\ndescription: pages of watched news articles, each with the Redline version and change it became (metadata records, {METADATA_SCHEMA})\r\n",
        env!("CARGO_PKG_VERSION")
    );
    let date = warc_date(now).unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    Record::new("warcinfo", &date, None, "application/warc-fields", fields.into_bytes())
        .with("WARC-Filename", filename)
        .with_block_digest()
}

/// A stored page's `response` record and its `metadata` record; None when the page is not stored.
pub fn page_records(page: &ArchivedPage, warcinfo_id: &str) -> Result<Option<(Record, Record)>, ExportError> {
    let Some(compressed) = &page.raw_html_zstd else { return Ok(None) };
    let body = zstd::decode_all(&compressed[..]).map_err(|e| ExportError::Corrupt {
        url: page.url.clone(),
        number: page.number,
        message: e.to_string(),
    })?;
    let date = warc_date(page.fetched_at).unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let (block, payload_at) = response_block(page.response_head.as_deref(), &body);
    let payload_digest = sha1_digest(&block[payload_at..]);
    let response = Record::new("response", &date, Some(&page.url), "application/http; msgtype=response", block)
        .with("WARC-Warcinfo-ID", warcinfo_id)
        .with("WARC-Payload-Digest", &payload_digest)
        .with_block_digest();
    let change = page.change.as_ref().map(|c| {
        json!({
            "id": c.id,
            "from_version": c.from_number,
            "to_version": page.number,
            "kinds": c.kinds,
            "significance": c.significance,
            "summary": c.summary,
            "imported": c.imported,
        })
    });
    let about = json!({
        "schema": METADATA_SCHEMA,
        "article_id": page.article_id,
        "watch_id": page.source_id,
        "url": page.url,
        "version": page.number,
        "fetched_at": date,
        "content_hash": page.content_hash,
        "title": page.title,
        "imported": page.imported,
        "change": change,
    });
    let metadata = Record::new("metadata", &date, Some(&page.url), "application/json", about.to_string().into_bytes())
        .with("WARC-Warcinfo-ID", warcinfo_id)
        .with("WARC-Concurrent-To", response.id())
        .with_block_digest();
    Ok(Some((response, metadata)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::http::parse_response;
    use crate::archive::warc::WarcReader;
    use crate::diff::EditKind;
    use crate::store::ArchivedChange;

    fn stored_page(head: Option<&str>) -> ArchivedPage {
        ArchivedPage {
            version_id: 7,
            article_id: 3,
            url: "https://news.test/a".into(),
            source_id: 1,
            number: 2,
            fetched_at: 1_796_133_789,
            content_hash: "abc".into(),
            title: Some("Headline".into()),
            raw_html_zstd: Some(zstd::encode_all(&b"<p>page</p>"[..], 3).unwrap()),
            response_head: head.map(str::to_string),
            imported: false,
            change: Some(ArchivedChange {
                id: 9,
                from_number: 1,
                kinds: vec![EditKind::Addition],
                significance: 0.25,
                summary: "one sentence added".into(),
                imported: false,
            }),
        }
    }

    #[test]
    fn a_page_becomes_a_response_and_its_metadata() {
        let page = stored_page(Some(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nX-Served-By: cache-1",
        ));
        let (response, metadata) = page_records(&page, "<urn:uuid:x>").unwrap().unwrap();
        assert_eq!(response.kind(), "response");
        assert_eq!(response.target(), Some("https://news.test/a"));
        assert_eq!(response.header("WARC-Date"), Some("2026-12-01T14:03:09Z"));
        let (head, body) = parse_response(&response.block).unwrap();
        assert_eq!(body, b"<p>page</p>");
        assert_eq!(head.header("X-Served-By"), Some("cache-1"), "the headers are kept");
        assert_eq!(head.header("Content-Encoding"), None, "the stored body is decoded");
        assert_eq!(response.header("WARC-Payload-Digest"), Some(sha1_digest(b"<p>page</p>").as_str()));
        assert_eq!(response.header("WARC-Block-Digest"), Some(sha1_digest(&response.block).as_str()));
        assert_eq!(metadata.header("WARC-Concurrent-To"), Some(response.id()));
        let about: serde_json::Value = serde_json::from_slice(&metadata.block).unwrap();
        assert_eq!(about["schema"], METADATA_SCHEMA);
        assert_eq!(about["version"], 2);
        assert_eq!(about["change"]["id"], 9);
        assert_eq!(about["change"]["kinds"][0], "addition");
        let bare = ArchivedPage { raw_html_zstd: None, ..page };
        assert!(page_records(&bare, "<urn:uuid:x>").unwrap().is_none());
        let corrupt = ArchivedPage { raw_html_zstd: Some(b"not zstd".to_vec()), ..bare };
        assert!(page_records(&corrupt, "x").unwrap_err().to_string().contains("stored page is corrupt"));
    }

    #[test]
    fn an_empty_store_exports_only_its_warcinfo() {
        let store = Store::open_in_memory().unwrap();
        let (report, bytes) =
            export_warc(&store, &ExportFilter::default(), "x.warc.gz", Vec::new(), &mut |_| {}).unwrap();
        assert_eq!(report, ExportReport::default());
        let records: Vec<Record> = WarcReader::new(std::io::Cursor::new(bytes)).unwrap().map(Result::unwrap).collect();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].kind(), "warcinfo");
        assert_eq!(records[0].header("WARC-Filename"), Some("x.warc.gz"));
    }
}
