//! What the web-archive export and import read and write: each stored page with
//! the response head it came with, its version and the change that produced it
//! ([`ArchivedPage`]), the earlier versions an import puts before a history, and the
//! disabled watch an imported article without one belongs to.

use super::sql::{Conn, Value, params};
use super::{NewSource, NewVersion, Result, Store};
use crate::diff::{Change, EditKind};

/// A version found in an archive from before an article's first stored version.
#[derive(Debug, Clone)]
pub struct EarlierVersion<'a> {
    /// The version (its `article_id` is the article's).
    pub version: NewVersion<'a>,
    /// The change from the earlier version before it (None for the first of them).
    pub change: Option<&'a Change>,
    /// The response head of its page.
    pub response_head: Option<&'a str>,
}

/// Which stored pages to export.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    /// Only articles of this watch (source id).
    pub source_id: Option<i64>,
    /// Only versions fetched at or after (unix seconds).
    pub since: Option<i64>,
}

/// A stored page with its version and change, as the WARC export writes it.
#[derive(Debug, Clone)]
pub struct ArchivedPage {
    /// The version's row id (the cursor of the next page of rows).
    pub version_id: i64,
    /// Its article.
    pub article_id: i64,
    /// The article URL (the page was fetched from it).
    pub url: String,
    /// The article's watch.
    pub source_id: i64,
    /// 1, 2, 3…
    pub number: i64,
    /// When the page was fetched.
    pub fetched_at: i64,
    /// Hash of the extracted content.
    pub content_hash: String,
    /// The headline of the version.
    pub title: Option<String>,
    /// The page, zstd-compressed (None when raw pages are not kept).
    pub raw_html_zstd: Option<Vec<u8>>,
    /// The response head kept with it (None before Redline kept heads, or rendered by a browser).
    pub response_head: Option<String>,
    /// The version came from an imported archive.
    pub imported: bool,
    /// The change that produced the version (none for version 1).
    pub change: Option<ArchivedChange>,
}

/// The change to an exported version.
#[derive(Debug, Clone)]
pub struct ArchivedChange {
    /// Change id.
    pub id: i64,
    /// The version before.
    pub from_number: i64,
    /// Edit kinds.
    pub kinds: Vec<EditKind>,
    /// 0 to 1.
    pub significance: f64,
    /// One line for humans.
    pub summary: String,
    /// The change came from an imported archive.
    pub imported: bool,
}

impl Store {
    /// Up to `limit` stored pages after version id `after`, in version id order.
    pub fn archived_pages(&self, filter: &ExportFilter, after: i64, limit: usize) -> Result<Vec<ArchivedPage>> {
        let mut sql = String::from(
            "SELECT v.id, v.article_id, a.url, a.source_id, v.number, v.fetched_at, v.content_hash, v.title,
                    v.raw_html_zstd, v.response_head, v.imported,
                    c.id, f.number, c.kinds, c.significance, c.summary, c.imported
             FROM versions v JOIN articles a ON a.id = v.article_id
             LEFT JOIN changes c ON c.to_version = v.id LEFT JOIN versions f ON f.id = c.from_version
             WHERE v.id > ?1",
        );
        let mut args: Vec<Value> = vec![after.into(), limit.into()];
        if let Some(id) = filter.source_id {
            args.push(id.into());
            sql.push_str(&format!(" AND a.source_id = ?{}", args.len()));
        }
        if let Some(t) = filter.since {
            args.push(t.into());
            sql.push_str(&format!(" AND v.fetched_at >= ?{}", args.len()));
        }
        sql.push_str(" ORDER BY v.id LIMIT ?2");
        let rows = self.conn().query(&sql, &args)?;
        rows.iter()
            .map(|r| {
                let change_id: Option<i64> = r.get(11)?;
                let change = match change_id {
                    None => None,
                    Some(id) => {
                        let kinds: String = r.get(13)?;
                        Some(ArchivedChange {
                            id,
                            from_number: r.get(12)?,
                            kinds: serde_json::from_str(&kinds)?,
                            significance: r.get(14)?,
                            summary: r.get(15)?,
                            imported: r.get(16)?,
                        })
                    }
                };
                Ok(ArchivedPage {
                    version_id: r.get(0)?,
                    article_id: r.get(1)?,
                    url: r.get(2)?,
                    source_id: r.get(3)?,
                    number: r.get(4)?,
                    fetched_at: r.get(5)?,
                    content_hash: r.get(6)?,
                    title: r.get(7)?,
                    raw_html_zstd: r.get(8)?,
                    response_head: r.get(9)?,
                    imported: r.get(10)?,
                    change,
                })
            })
            .collect()
    }

    /// The numbers of an article's versions that came from an imported archive.
    pub fn imported_versions(&self, article_id: i64) -> Result<Vec<i64>> {
        let rows = self.conn().query(
            "SELECT number FROM versions WHERE article_id = ?1 AND imported = 1 ORDER BY number",
            params![article_id],
        )?;
        rows.iter().map(|r| r.get(0)).collect()
    }

    /// Whether the change came from an imported archive (None: no such change).
    pub fn change_imported(&self, change_id: i64) -> Result<Option<bool>> {
        self.conn()
            .query_opt("SELECT imported FROM changes WHERE id = ?1", params![change_id])?
            .map(|r| r.get(0))
            .transpose()
    }

    /// Which of these changes came from an imported archive.
    pub fn imported_change_ids(&self, ids: &[i64]) -> Result<Vec<i64>> {
        let mut conn = self.conn();
        let sql = format!("SELECT id FROM changes WHERE imported = 1 AND id IN {} ORDER BY id", conn.json_ints(1));
        let rows = conn.query(&sql, params![serde_json::to_string(ids)?])?;
        rows.iter().map(|r| r.get(0)).collect()
    }

    /// Puts `earlier` (oldest first, all older than the article's first version) before
    /// its history, marked as imported: they become versions 1…k, the stored ones move up
    /// by k, and `into_first` is recorded as the change from the last of them to the old
    /// version 1. One durable transaction.
    pub fn prepend_versions(&self, article_id: i64, earlier: &[EarlierVersion<'_>], into_first: &Change) -> Result<()> {
        let k = earlier.len() as i64;
        let mut conn = self.conn();
        conn.durable(|conn| {
            conn.transaction(|tx| {
                let first: i64 =
                    tx.scalar("SELECT id FROM versions WHERE article_id = ?1 AND number = 1", params![article_id])?;
                // Through negative numbers: (article_id, number) stays unique after every row.
                tx.execute("UPDATE versions SET number = -number WHERE article_id = ?1", params![article_id])?;
                tx.execute("UPDATE versions SET number = ?2 - number WHERE article_id = ?1", params![article_id, k])?;
                let mut previous = None;
                for (i, e) in earlier.iter().enumerate() {
                    let v = &e.version;
                    let id = super::versions::insert_row(tx, v, i as i64 + 1, e.response_head, true)?;
                    if let (Some(change), Some(from)) = (e.change, previous) {
                        insert_imported_change(tx, article_id, from, id, v.fetched_at, change)?;
                    }
                    previous = Some(id);
                }
                if let Some(last) = previous {
                    let at: i64 = tx.scalar("SELECT fetched_at FROM versions WHERE id = ?1", params![first])?;
                    insert_imported_change(tx, article_id, last, first, at, into_first)?;
                }
                Ok(())
            })
        })
    }

    /// The id of the watch of `source.url`, created disabled when there is none: an
    /// imported article needs a watch, but importing its past does not start checking it.
    pub fn import_source(&self, source: &NewSource, now: i64) -> Result<i64> {
        self.conn().transaction(|tx| {
            if let Some(row) = tx.query_opt("SELECT id FROM sources WHERE url = ?1", params![&source.url])? {
                return row.get(0);
            }
            tx.scalar(
                "INSERT INTO sources (kind, url, schedule, rules, enabled, from_config, created_at)
                 VALUES (?1, ?2, ?3, ?4, 0, 0, ?5) RETURNING id",
                params![source.kind.as_str(), &source.url, &source.schedule, &source.rules, now],
            )
        })
    }
}

fn insert_imported_change(tx: &mut Conn, article_id: i64, from: i64, to: i64, at: i64, c: &Change) -> Result<()> {
    tx.execute(
        "INSERT INTO changes (article_id, from_version, to_version, created_at, kinds, significance, summary, diff,
                              imported)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)",
        params![
            article_id,
            from,
            to,
            at,
            serde_json::to_string(&c.kinds)?,
            c.significance,
            &c.summary,
            serde_json::to_string(c)?
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Provenance;
    use crate::store::SourceKind;
    use crate::store::fixtures::{article, done, each_store, record_change, version};

    fn article_source(url: &str) -> NewSource {
        NewSource { kind: SourceKind::Article, url: url.into(), schedule: "every 10m".into(), rules: "{}".into() }
    }

    #[test]
    fn earlier_versions_go_before_the_history_and_it_moves_up() {
        each_store(|store| {
            let sid = store.import_source(&article_source("https://a.test/2"), 5).unwrap();
            let (aid, _) = store.ensure_article(sid, "https://a.test/2", 5).unwrap();
            let live = article("live one");
            store.record_version(&version(aid, 100, "h100", &live), None, &done(100)).unwrap();
            record_change(store, aid, 200, "live two", vec![]).unwrap();
            let (old1, old2) = (article("old one"), article("old two"));
            let c12 = crate::diff::compare(&old1, &old2);
            let into_first = crate::diff::compare(&old2, &live);
            let earlier = [
                EarlierVersion {
                    version: version(aid, 10, "h10", &old1),
                    change: None,
                    response_head: Some("HTTP/1.1 200 OK"),
                },
                EarlierVersion { version: version(aid, 20, "h20", &old2), change: Some(&c12), response_head: None },
            ];
            store.prepend_versions(aid, &earlier, &into_first).unwrap();
            let versions = store.versions(aid).unwrap();
            let shown: Vec<(i64, i64, &str)> =
                versions.iter().map(|v| (v.number, v.fetched_at, v.content_hash.as_str())).collect();
            assert_eq!(shown, vec![(1, 10, "h10"), (2, 20, "h20"), (3, 100, "h100"), (4, 200, "h200")]);
            let changes = store.changes(aid).unwrap();
            let pairs: Vec<(i64, i64, i64)> =
                changes.iter().map(|c| (c.from_number, c.to_number, c.created_at)).collect();
            assert_eq!(pairs, vec![(1, 2, 20), (2, 3, 100), (3, 4, 200)]);
            assert_eq!(store.imported_versions(aid).unwrap(), vec![1, 2]);
            let ids: Vec<i64> = changes.iter().map(|c| c.id).collect();
            assert_eq!(store.imported_change_ids(&ids).unwrap(), ids[..2].to_vec());
            let pages = store.archived_pages(&ExportFilter::default(), 0, 10).unwrap();
            assert_eq!(pages.iter().find(|p| p.number == 1).unwrap().response_head.as_deref(), Some("HTTP/1.1 200 OK"));
        });
    }

    #[test]
    fn pages_come_back_with_their_head_change_and_provenance() {
        each_store(|store| {
            let sid = store.import_source(&article_source("https://a.test/1"), 5).unwrap();
            assert_eq!(store.import_source(&article_source("https://a.test/1"), 6).unwrap(), sid);
            assert!(!store.sources().unwrap()[0].enabled, "an imported watch is not checked");
            let (aid, _) = store.ensure_article(sid, "https://a.test/1", 5).unwrap();
            let one = article("one");
            let nv = crate::store::NewVersion {
                raw_html_zstd: Some(zstd::encode_all(&b"<p>one</p>"[..], 3).unwrap()),
                ..version(aid, 10, "h1", &one)
            };
            let head =
                Provenance { response_head: Some("HTTP/1.1 200 OK\r\nETag: \"1\""), imported: false, archive: None };
            assert_eq!(store.record_version_with(&nv, None, &done(10), &head).unwrap(), (1, None));
            let (n, cid) = record_change(store, aid, 20, "two", vec![]).unwrap();
            assert_eq!(n, 2);
            let imported = Provenance { response_head: None, imported: true, archive: None };
            let three = article("three");
            let change = crate::diff::compare(&article("two"), &three);
            let nc = crate::store::NewChange { change: &change, deliveries: vec![] };
            let (_, cid3) =
                store.record_version_with(&version(aid, 30, "h3", &three), Some(&nc), &done(30), &imported).unwrap();

            let all = store.archived_pages(&ExportFilter::default(), 0, 10).unwrap();
            assert_eq!(all.iter().map(|p| p.number).collect::<Vec<_>>(), vec![1, 2, 3]);
            assert_eq!(all[0].response_head.as_deref(), Some("HTTP/1.1 200 OK\r\nETag: \"1\""));
            assert_eq!(zstd::decode_all(&all[0].raw_html_zstd.clone().unwrap()[..]).unwrap(), b"<p>one</p>");
            assert!(all[0].change.is_none());
            assert_eq!(all[1].change.as_ref().unwrap().id, cid.unwrap());
            assert_eq!(all[1].change.as_ref().unwrap().from_number, 1);
            assert!(!all[1].imported && all[2].imported && all[2].change.as_ref().unwrap().imported);
            assert_eq!(store.imported_versions(aid).unwrap(), vec![3]);
            assert_eq!(store.change_imported(cid3.unwrap()).unwrap(), Some(true));
            assert_eq!(store.change_imported(cid.unwrap()).unwrap(), Some(false));
            assert_eq!(store.imported_change_ids(&[cid.unwrap(), cid3.unwrap(), 999]).unwrap(), vec![cid3.unwrap()]);
            // Paging, the watch and the date filter.
            let after = store.archived_pages(&ExportFilter::default(), all[0].version_id, 1).unwrap();
            assert_eq!(after.iter().map(|p| p.number).collect::<Vec<_>>(), vec![2]);
            let since = ExportFilter { since: Some(20), source_id: Some(sid) };
            assert_eq!(store.archived_pages(&since, 0, 10).unwrap().len(), 2);
            let other = ExportFilter { source_id: Some(sid + 100), ..Default::default() };
            assert!(store.archived_pages(&other, 0, 10).unwrap().is_empty());
        });
    }
}
