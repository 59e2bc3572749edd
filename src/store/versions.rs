//! The `versions` table: one row per distinct extracted content of an
//! article, and `record_version`, the one transaction that writes a version,
//! its change, the change's outbox rows and the version's screenshot together (under
//! `synchronous = FULL`).

use super::sql::{Conn, Row, params};
use super::{CheckDone, NewChange, NewDelivery, Result, Store, screenshots};
use crate::extract::Article;

/// Where a version's page came from, and the web archive's copy to be made of it,
/// written in the transaction of the version.
#[derive(Debug, Clone, Default)]
pub struct Provenance<'a> {
    /// The response's status line and headers, CRLF-separated (see `archive::http::head_text`).
    pub response_head: Option<&'a str>,
    /// The page came from `redline import --warc`, not from a check.
    pub imported: bool,
    /// The version's Save Page Now submission (an outbox row of the version, first or not).
    pub archive: Option<NewDelivery>,
}

impl Provenance<'_> {
    /// Writes onto version `number` of the article and the change to it.
    pub(super) fn write(&self, tx: &mut Conn, article_id: i64, number: i64, fetched_at: i64) -> Result<()> {
        if let Some(job) = &self.archive {
            let ids = tx.query_opt(
                "SELECT v.id, c.id FROM versions v LEFT JOIN changes c ON c.to_version = v.id
                 WHERE v.article_id = ?1 AND v.number = ?2",
                params![article_id, number],
            )?;
            if let Some(row) = ids {
                super::deliveries::insert(tx, row.get(0)?, row.get(1)?, job, fetched_at)?;
            }
        }
        if self.response_head.is_none() && !self.imported {
            return Ok(());
        }
        tx.execute(
            "UPDATE versions SET response_head = ?3, imported = ?4 WHERE article_id = ?1 AND number = ?2",
            params![article_id, number, self.response_head, self.imported],
        )?;
        if self.imported {
            tx.execute(
                "UPDATE changes SET imported = 1
                 WHERE to_version = (SELECT id FROM versions WHERE article_id = ?1 AND number = ?2)",
                params![article_id, number],
            )?;
        }
        Ok(())
    }
}

/// A stored version.
#[derive(Debug, Clone)]
pub struct VersionRow {
    /// Row id.
    pub id: i64,
    /// Its article.
    pub article_id: i64,
    /// 1, 2, 3… per article.
    pub number: i64,
    /// When it was fetched.
    pub fetched_at: i64,
    /// Hash of the extracted content.
    pub content_hash: String,
    /// The extracted article.
    pub article: Article,
}

/// A new version to record.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// Its article.
    pub article_id: i64,
    /// When it was fetched.
    pub fetched_at: i64,
    /// Hash of the extracted content.
    pub content_hash: &'a str,
    /// The extracted article.
    pub article: &'a Article,
    /// The raw page, zstd-compressed.
    pub raw_html_zstd: Option<Vec<u8>>,
    /// A full-page screenshot as PNG, at most [`crate::screenshot::MAX_WIDTH`] ×
    /// [`crate::screenshot::MAX_HEIGHT`] pixels (a bigger or unreadable one is not stored).
    pub screenshot: Option<Vec<u8>>,
}

const VERSION_SELECT: &str =
    "SELECT id, article_id, number, fetched_at, content_hash, title, byline, published, modified,
        lang, canonical_url, paragraphs FROM versions";

fn version_row(r: &Row) -> Result<VersionRow> {
    let article = Article {
        url: None,
        canonical_url: r.get(10)?,
        title: r.get(5)?,
        byline: r.get(6)?,
        published: r.get(7)?,
        modified: r.get(8)?,
        lang: r.get(9)?,
        paragraphs: Vec::new(),
        block_kinds: Vec::new(),
    };
    let row = VersionRow {
        id: r.get(0)?,
        article_id: r.get(1)?,
        number: r.get(2)?,
        fetched_at: r.get(3)?,
        content_hash: r.get(4)?,
        article,
    };
    let paragraphs: String = r.get(11)?;
    let mut row = row;
    row.article.paragraphs = serde_json::from_str(&paragraphs)?;
    Ok(row)
}

impl Store {
    /// The newest version of an article.
    pub fn latest_version(&self, article_id: i64) -> Result<Option<VersionRow>> {
        let sql = format!("{VERSION_SELECT} WHERE article_id = ?1 ORDER BY number DESC LIMIT 1");
        self.conn().query_opt(&sql, params![article_id])?.as_ref().map(version_row).transpose()
    }

    /// One version by number.
    pub fn version(&self, article_id: i64, number: i64) -> Result<Option<VersionRow>> {
        let sql = format!("{VERSION_SELECT} WHERE article_id = ?1 AND number = ?2");
        self.conn().query_opt(&sql, params![article_id, number])?.as_ref().map(version_row).transpose()
    }

    /// Every version of an article, oldest first.
    pub fn versions(&self, article_id: i64) -> Result<Vec<VersionRow>> {
        let sql = format!("{VERSION_SELECT} WHERE article_id = ?1 ORDER BY number");
        self.conn().query(&sql, params![article_id])?.iter().map(version_row).collect()
    }

    /// The content hash of an article's newest version.
    pub fn latest_hash(&self, article_id: i64) -> Result<Option<String>> {
        self.conn()
            .query_opt(
                "SELECT content_hash FROM versions WHERE article_id = ?1 ORDER BY number DESC LIMIT 1",
                params![article_id],
            )?
            .map(|r| r.get(0))
            .transpose()
    }

    /// Records a new version and, when it is not the first, its change and the
    /// change's outbox rows, all in one transaction. Returns the version number
    /// and the change id.
    pub fn record_version(
        &self,
        version: &NewVersion<'_>,
        change: Option<&NewChange<'_>>,
        done: &CheckDone<'_>,
    ) -> Result<(i64, Option<i64>)> {
        self.record_version_with(version, change, done, &Provenance::default())
    }

    /// [`Store::record_version`], with where the page came from written in the same transaction.
    pub fn record_version_with(
        &self,
        version: &NewVersion<'_>,
        change: Option<&NewChange<'_>>,
        done: &CheckDone<'_>,
        provenance: &Provenance<'_>,
    ) -> Result<(i64, Option<i64>)> {
        let write = |tx: &mut Conn| {
            let written = write_version(tx, version, change, done, &self.worker)?;
            provenance.write(tx, version.article_id, written.0, version.fetched_at)?;
            Ok(written)
        };
        let mut conn = self.conn();
        // A change is durable even through a power loss: an alert already sent must
        // never be detected again (and sent under a new id) because its change rolled
        // back. A first version raises no alert; losing it to a power cut only means
        // it is stored again at the next check, so it skips the flush.
        if change.is_none() {
            return conn.transaction(write);
        }
        conn.durable(|conn| conn.transaction(write))
    }
}

/// Writes the `versions` row of `version` as number `number`; returns its id.
pub(super) fn insert_row(
    tx: &mut Conn,
    version: &NewVersion<'_>,
    number: i64,
    response_head: Option<&str>,
    imported: bool,
) -> Result<i64> {
    let a = version.article;
    tx.scalar(
        "INSERT INTO versions (article_id, number, fetched_at, content_hash, title, byline, published, modified,
                               lang, canonical_url, paragraphs, raw_html_zstd, response_head, imported)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) RETURNING id",
        params![
            version.article_id,
            number,
            version.fetched_at,
            version.content_hash,
            a.title.as_deref(),
            a.byline.as_deref(),
            a.published.as_deref(),
            a.modified.as_deref(),
            a.lang.as_deref(),
            a.canonical_url.as_deref(),
            serde_json::to_string(&a.paragraphs)?,
            version.raw_html_zstd.as_deref(),
            response_head,
            imported,
        ],
    )
}

fn write_version(
    tx: &mut Conn,
    version: &NewVersion<'_>,
    change: Option<&NewChange<'_>>,
    done: &CheckDone<'_>,
    worker: &str,
) -> Result<(i64, Option<i64>)> {
    let previous: Option<(i64, i64)> = tx
        .query_opt(
            "SELECT id, number FROM versions WHERE article_id = ?1 ORDER BY number DESC LIMIT 1",
            params![version.article_id],
        )?
        .map(|r| Ok::<_, super::StoreError>((r.get(0)?, r.get(1)?)))
        .transpose()?;
    let number = previous.map_or(1, |(_, n)| n + 1);
    let a = version.article;
    let version_id = insert_row(tx, version, number, None, false)?;
    if let Some(png) = &version.screenshot {
        screenshots::insert(tx, version_id, version.fetched_at, png)?;
    }
    let mut change_id = None;
    if let (Some(c), Some((previous_id, _))) = (change, previous) {
        let id: i64 = tx.scalar(
            "INSERT INTO changes (article_id, from_version, to_version, created_at, kinds, significance, summary, diff)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
            params![
                version.article_id,
                previous_id,
                version_id,
                version.fetched_at,
                serde_json::to_string(&c.change.kinds)?,
                c.change.significance,
                &c.change.summary,
                serde_json::to_string(c.change)?,
            ],
        )?;
        for d in &c.deliveries {
            super::deliveries::insert(tx, version_id, Some(id), d, version.fetched_at)?;
        }
        change_id = Some(id);
    }
    tx.execute(
        &format!(
            "UPDATE articles SET last_checked = ?2, next_check = ?3, failures = 0, last_error = NULL, {},
                    etag = ?4, last_modified = ?5, canonical_url = COALESCE(?6, canonical_url),
                    last_changed = CASE WHEN ?7 = 1 THEN ?2 ELSE last_changed END, body_hash = ?9
             WHERE id = ?1",
            super::lease_done(8)
        ),
        params![
            version.article_id,
            done.at,
            done.next_check,
            done.etag,
            done.last_modified,
            a.canonical_url.as_deref(),
            change_id.is_some(),
            worker,
            done.body_hash
        ],
    )?;
    Ok((number, change_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::Change;
    use crate::store::fixtures::each_store;
    use crate::store::fixtures::{article, delivery, done, record_change, source, version, with_first_version};
    use crate::store::{NewDelivery, StoreFault, Table};

    fn synchronous(store: &Store) -> i64 {
        store.conn().sqlite().unwrap().query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_change_and_its_deliveries_are_written_together() {
        each_store(|store| {
            store.sync_config_sources(&[source("https://a/rss")], 0).unwrap();
            let (aid, new) = store.ensure_article(1, "https://a/1", 0).unwrap();
            assert!(new);
            assert!(!store.ensure_article(1, "https://a/1", 0).unwrap().1);
            let v1 = article("one");
            let nv = version(aid, 10, "h1", &v1);
            assert_eq!(store.record_version(&nv, None, &done(10)).unwrap(), (1, None));
            let (n, cid) = record_change(store, aid, 20, "two", vec![delivery("webhook:x", "msg_1", 20)]).unwrap();
            assert_eq!(n, 2);
            assert!(cid.is_some());
            assert_eq!(store.latest_version(aid).unwrap().unwrap().article.paragraphs, vec!["two"]);
            assert_eq!(store.changes(aid).unwrap()[0].to_number, 2);
            let due = store.due_deliveries(20, 10).unwrap();
            assert_eq!(due.len(), 1);
            store.delivery_failed(due[0].id, Some(30), "down").unwrap();
            assert!(store.due_deliveries(25, 10).unwrap().is_empty());
            store.delivery_succeeded(due[0].id, 31).unwrap();
            assert_eq!(store.deliveries("delivered").unwrap()[0].attempts, 2);
        });
    }

    #[test]
    fn failed_outbox_write_rolls_back_the_version() {
        each_store(|store| {
            let aid = with_first_version(store);
            let change = Change::default();
            let dup = delivery("webhook:x", "same", 20);
            let nc = NewChange {
                change: &change,
                deliveries: vec![dup.clone(), NewDelivery { channel: "email:y".into(), ..dup }],
            };
            let v2 = article("two");
            let nv = version(aid, 20, "h2", &v2);
            assert!(store.record_version(&nv, Some(&nc), &done(20)).is_err());
            assert_eq!(store.count(Table::Versions).unwrap(), 1);
            assert_eq!(store.count(Table::Changes).unwrap(), 0);
        });
    }

    #[test]
    fn a_full_disk_rolls_back_the_whole_change_and_restores_normal_sync() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("r.db")).unwrap();
        let aid = with_first_version(&store);
        assert_eq!(synchronous(&store), 1, "NORMAL");
        // Cap the file at its current size: the next write that needs a page is SQLITE_FULL.
        let pages: i64 = store.conn().scalar("PRAGMA page_count", &[]).unwrap();
        store.conn().sqlite().unwrap().pragma_update(None, "max_page_count", pages).unwrap();
        let big = "word ".repeat(50_000);
        let err = record_change(&store, aid, 20, &big, vec![delivery("webhook:x", "msg_1", 20)]).unwrap_err();
        assert_eq!(err.fault(), Some(StoreFault::Full), "{err}");
        assert_eq!(synchronous(&store), 1, "a failed write must not leave the connection on FULL");
        assert_eq!(store.count(Table::Versions).unwrap(), 1);
        assert_eq!(store.count(Table::Changes).unwrap(), 0);
        assert_eq!(store.count(Table::Deliveries).unwrap(), 0);
        assert_eq!(store.article_by_url("https://a/1").unwrap().unwrap().last_checked, Some(10));
        // Room again: the same change records.
        store.conn().sqlite().unwrap().pragma_update(None, "max_page_count", 1_000_000).unwrap();
        assert_eq!(record_change(&store, aid, 30, &big, vec![delivery("webhook:x", "msg_1", 30)]).unwrap().0, 2);
        assert_eq!(synchronous(&store), 1);
    }
}
