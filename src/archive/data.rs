//! `redline export --jsonl` and `--csv`: the history as data for spreadsheets and
//! pandas. JSON Lines: one object per version and per change, each with
//! `"schema": "redline.export/1"` and a `"type"`; CSV (RFC 4180, header row, CRLF):
//! one row per change. docs/API.md documents both.

use std::io::Write;

use serde_json::{Value, json};

use crate::store::{ArticleRow, ChangeRow, ExportFilter, Store, StoreError, VersionRow, host_key};

/// The `schema` of every JSON Lines object.
pub const JSONL_SCHEMA: &str = "redline.export/1";

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 9] =
    ["time", "outlet", "url", "headline", "kinds", "significance", "summary", "change_id", "imported"];

/// Why a data export failed.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Writing failed.
    #[error("cannot write the export: {0}")]
    Write(#[from] std::io::Error),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One article's history, as the exports read it.
struct History {
    article: ArticleRow,
    versions: Vec<VersionRow>,
    changes: Vec<ChangeRow>,
    /// Numbers of the versions that were imported.
    imported: Vec<i64>,
    /// Ids of the changes that were imported.
    imported_changes: Vec<i64>,
}

/// Every history the filter selects, one article at a time (articles in id order).
fn each_history(
    store: &Store,
    filter: &ExportFilter,
    mut f: impl FnMut(&History) -> Result<(), DataError>,
) -> Result<usize, DataError> {
    let mut articles = store.articles()?;
    articles.retain(|a| filter.source_id.is_none_or(|id| a.source_id == id));
    articles.sort_by_key(|a| a.id);
    let since = filter.since.unwrap_or(i64::MIN);
    let mut count = 0;
    for article in articles {
        let mut versions = store.versions(article.id)?;
        versions.retain(|v| v.fetched_at >= since);
        let mut changes = store.changes(article.id)?;
        changes.retain(|c| c.created_at >= since);
        let imported = store.imported_versions(article.id)?;
        let imported_changes = store.imported_change_ids(&changes.iter().map(|c| c.id).collect::<Vec<_>>())?;
        count += versions.len() + changes.len();
        f(&History { article, versions, changes, imported, imported_changes })?;
    }
    Ok(count)
}

fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Writes one JSON object per version and per change; returns how many.
pub fn write_jsonl(store: &Store, filter: &ExportFilter, out: &mut dyn Write) -> Result<usize, DataError> {
    each_history(store, filter, |h| {
        for v in &h.versions {
            writeln!(out, "{}", version_json(h, v))?;
        }
        for c in &h.changes {
            writeln!(out, "{}", change_json(h, c))?;
        }
        Ok(())
    })
}

/// The fields of a version that the JSONL export and `GET /api/articles/{id}/versions/{n}`
/// both give, under the same names.
pub fn version_fields(v: &VersionRow) -> serde_json::Map<String, Value> {
    let a = &v.article;
    let fields = json!({
        "number": v.number,
        "fetched_at": rfc3339(v.fetched_at),
        "content_hash": v.content_hash,
        "title": a.title,
        "byline": a.byline,
        "published": a.published,
        "modified": a.modified,
        "lang": a.lang,
        "canonical_url": a.canonical_url,
        "paragraphs": a.paragraphs,
    });
    match fields {
        Value::Object(map) => map,
        _ => unreachable!("json! of an object"),
    }
}

fn version_json(h: &History, v: &VersionRow) -> Value {
    let mut out = version_fields(v);
    let own = json!({
        "schema": JSONL_SCHEMA,
        "type": "version",
        "article_id": h.article.id,
        "watch_id": h.article.source_id,
        "url": h.article.url,
        "outlet": host_key(&h.article.url),
        "imported": h.imported.contains(&v.number),
    });
    if let Value::Object(own) = own {
        out.extend(own);
    }
    Value::Object(out)
}

fn change_json(h: &History, c: &ChangeRow) -> Value {
    json!({
        "schema": JSONL_SCHEMA,
        "type": "change",
        "id": c.id,
        "article_id": h.article.id,
        "watch_id": h.article.source_id,
        "url": h.article.url,
        "outlet": host_key(&h.article.url),
        "from_version": c.from_number,
        "to_version": c.to_number,
        "created_at": rfc3339(c.created_at),
        "title": headline(h, c),
        "kinds": c.change.kinds,
        "significance": c.change.significance,
        "summary": c.change.summary,
        "notes": c.change.notes,
        "added": c.change.added,
        "removed": c.change.removed,
        "imported": h.imported_changes.contains(&c.id),
    })
}

/// The headline of the version a change produced.
fn headline<'a>(h: &'a History, c: &ChangeRow) -> Option<&'a str> {
    h.versions.iter().find(|v| v.number == c.to_number).and_then(|v| v.article.title.as_deref())
}

/// Writes the header row and one row per change, oldest first within each article;
/// returns the rows written.
pub fn write_csv(store: &Store, filter: &ExportFilter, out: &mut dyn Write) -> Result<usize, DataError> {
    write_csv_row(out, CSV_COLUMNS.iter().copied())?;
    let mut rows = 0;
    each_history(store, filter, |h| {
        for c in &h.changes {
            let kinds: Vec<&str> = c.change.kinds.iter().map(|k| k.as_str()).collect();
            let fields = [
                rfc3339(c.created_at),
                host_key(&h.article.url),
                h.article.url.clone(),
                headline(h, c).unwrap_or("").to_string(),
                kinds.join(";"),
                format!("{:.3}", c.change.significance),
                c.change.summary.clone(),
                c.id.to_string(),
                h.imported_changes.contains(&c.id).to_string(),
            ];
            write_csv_row(out, fields.iter().map(String::as_str))?;
            rows += 1;
        }
        Ok(())
    })?;
    Ok(rows)
}

/// One RFC 4180 row: a field with a comma, quote or line break is quoted, its quotes doubled.
fn write_csv_row<'a>(out: &mut dyn Write, fields: impl Iterator<Item = &'a str>) -> std::io::Result<()> {
    let line: Vec<String> = fields.map(csv_field).collect();
    write!(out, "{}\r\n", line.join(","))
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        let mut out = Vec::new();
        write_csv_row(&mut out, ["x", "y,z"].into_iter()).unwrap();
        assert_eq!(out, b"x,\"y,z\"\r\n");
    }

    #[test]
    fn an_empty_store_gives_a_header_and_no_lines() {
        let store = Store::open_in_memory().unwrap();
        let mut csv = Vec::new();
        assert_eq!(write_csv(&store, &ExportFilter::default(), &mut csv).unwrap(), 0);
        assert_eq!(String::from_utf8(csv).unwrap(), format!("{}\r\n", CSV_COLUMNS.join(",")));
        let mut jsonl = Vec::new();
        assert_eq!(write_jsonl(&store, &ExportFilter::default(), &mut jsonl).unwrap(), 0);
        assert!(jsonl.is_empty());
    }
}
