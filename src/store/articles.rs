//! The `articles` table: articles discovered one by one or in bulk, due work
//! claimed (fairly across hosts) and released, the end of each check, and
//! articles retired when their revisit plan ends.

use super::sql::{Conn, Row, params};
use super::{Result, Store, Table};

/// The politeness key of a URL: its host, with the port when one is given.
pub fn host_key(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => String::new(),
        },
        Err(_) => String::new(),
    }
}

/// A stored article, with the schedule and rules of its source.
#[derive(Debug, Clone)]
pub struct ArticleRow {
    /// Row id.
    pub id: i64,
    /// Its source.
    pub source_id: i64,
    /// The source's URL.
    pub source_url: String,
    /// The article URL.
    pub url: String,
    /// The source's schedule spec.
    pub schedule: String,
    /// The source's rules JSON.
    pub rules: String,
    /// When it is next due.
    pub next_check: Option<i64>,
    /// When it was last checked.
    pub last_checked: Option<i64>,
    /// When it last changed.
    pub last_changed: Option<i64>,
    /// Validator for conditional GET.
    pub etag: Option<String>,
    /// Validator for conditional GET.
    pub last_modified: Option<String>,
    /// Consecutive failures.
    pub failures: u32,
    /// The last failure.
    pub last_error: Option<String>,
    /// Number of stored versions.
    pub versions: i64,
    /// When it was discovered.
    pub first_seen: i64,
    /// `active`, or `retired` once its revisit plan has ended.
    pub state: String,
    /// Hash of the last body received.
    pub body_hash: Option<String>,
}

/// How an article check ended, for the `articles` row.
#[derive(Debug, Clone)]
pub struct CheckDone<'a> {
    /// When.
    pub at: i64,
    /// When it is next due.
    pub next_check: i64,
    /// New validators.
    pub etag: Option<&'a str>,
    /// New validators.
    pub last_modified: Option<&'a str>,
}

pub(crate) const ARTICLE_SELECT: &str =
    "SELECT a.id, a.source_id, s.url, a.url, s.schedule, s.rules, a.next_check, a.last_checked,
        a.last_changed, a.etag, a.last_modified, a.failures, a.last_error,
        (SELECT COUNT(*) FROM versions v WHERE v.article_id = a.id), a.first_seen, a.state, a.body_hash
    FROM articles a JOIN sources s ON s.id = a.source_id";

pub(crate) fn article_row(r: &Row) -> Result<ArticleRow> {
    Ok(ArticleRow {
        id: r.get(0)?,
        source_id: r.get(1)?,
        source_url: r.get(2)?,
        url: r.get(3)?,
        schedule: r.get(4)?,
        rules: r.get(5)?,
        next_check: r.get(6)?,
        last_checked: r.get(7)?,
        last_changed: r.get(8)?,
        etag: r.get(9)?,
        last_modified: r.get(10)?,
        failures: r.get(11)?,
        last_error: r.get(12)?,
        versions: r.get(13)?,
        first_seen: r.get(14)?,
        state: r.get(15)?,
        body_hash: r.get(16)?,
    })
}

impl Store {
    /// Adds an article under a source unless its URL is known; returns its id and whether it is new.
    pub fn ensure_article(&self, source_id: i64, url: &str, now: i64) -> Result<(i64, bool)> {
        let mut conn = self.conn();
        let inserted = insert_article(&mut conn, source_id, url, now)?;
        let id = conn.scalar("SELECT id FROM articles WHERE url = ?1", params![url])?;
        Ok((id, inserted == 1))
    }

    /// Adds the articles a listing names, in one transaction; returns how many are new.
    pub fn ensure_articles<'a>(
        &self,
        source_id: i64,
        urls: impl IntoIterator<Item = &'a str>,
        now: i64,
    ) -> Result<usize> {
        self.conn().transaction(|tx| {
            let mut new = 0;
            for url in urls {
                new += insert_article(tx, source_id, url, now)?;
            }
            Ok(new)
        })
    }

    /// An article source's own article, created if new, and the source marked
    /// checked until `next`: one transaction.
    pub fn ensure_source_article(&self, source_id: i64, url: &str, now: i64, next: i64) -> Result<()> {
        self.conn().transaction(|tx| {
            insert_article(tx, source_id, url, now)?;
            tx.execute(
                "UPDATE sources SET last_checked = ?2, next_check = ?3, last_error = NULL, failures = 0, leased = 0
                 WHERE id = ?1",
                params![source_id, now, next],
            )?;
            Ok(())
        })
    }

    /// Claims up to `limit` active articles of enabled sources due at `now`
    /// (every one if `all`), pushing their due time to `lease_until`.
    pub fn claim_due_articles(&self, now: i64, lease_until: i64, limit: usize, all: bool) -> Result<Vec<ArticleRow>> {
        let sql = format!(
            "{ARTICLE_SELECT} WHERE s.enabled = 1 AND a.state = 'active'
               AND (?2 = 1 OR a.next_check IS NULL OR a.next_check <= ?1)
             ORDER BY a.next_check LIMIT ?3"
        );
        self.conn().transaction(|tx| claim(tx, &sql, params![now, all, limit], lease_until))
    }

    /// Claims up to `limit` due articles fairly across hosts: at most `per_host`
    /// from any one host, none from the hosts in `busy` (already at their limit),
    /// most overdue first. A site with a long backlog cannot hold back the others.
    pub fn claim_due_articles_fair(
        &self,
        now: i64,
        lease_until: i64,
        limit: usize,
        per_host: usize,
        busy: &[String],
    ) -> Result<Vec<ArticleRow>> {
        let busy_json = serde_json::to_string(busy)?;
        let mut conn = self.conn();
        let sql = format!(
            "{ARTICLE_SELECT} WHERE a.id IN (
                SELECT id FROM (
                    SELECT a2.id, a2.next_check,
                           ROW_NUMBER() OVER (PARTITION BY a2.host ORDER BY a2.next_check, a2.id) AS rank
                    FROM articles a2 JOIN sources s2 ON s2.id = a2.source_id
                    WHERE s2.enabled = 1 AND a2.state = 'active'
                      AND (a2.next_check IS NULL OR a2.next_check <= ?1)
                      AND COALESCE(a2.host, '') NOT IN {}
                ) ranked WHERE rank <= ?3 ORDER BY next_check LIMIT ?2
             ) ORDER BY a.next_check",
            conn.json_texts(4)
        );
        conn.transaction(|tx| claim(tx, &sql, params![now, limit, per_host, busy_json], lease_until))
    }

    /// Claims up to `limit` active articles of enabled sources with an id above
    /// `after`, in id order, whatever their due time (for `run --once`).
    pub fn claim_articles_after(&self, after: i64, lease_until: i64, limit: usize) -> Result<Vec<ArticleRow>> {
        let sql =
            format!("{ARTICLE_SELECT} WHERE s.enabled = 1 AND a.state = 'active' AND a.id > ?1 ORDER BY a.id LIMIT ?2");
        self.conn().transaction(|tx| claim(tx, &sql, params![after, limit], lease_until))
    }

    /// Makes every row a previous process claimed and never finished due now
    /// (it crashed or was killed mid-check). Only one process may use a database
    /// ([`super::lock::DbLock`]).
    /// Both tables in one transaction.
    pub fn release_leases(&self, now: i64) -> Result<usize> {
        self.conn().transaction(|tx| {
            let articles =
                tx.execute("UPDATE articles SET next_check = ?1, leased = 0 WHERE leased = 1", params![now])?;
            let sources =
                tx.execute("UPDATE sources SET next_check = ?1, leased = 0 WHERE leased = 1", params![now])?;
            Ok(articles + sources)
        })
    }

    /// Makes these claimed articles due at `now` again and no longer leased (their
    /// check could not be recorded). Articles already finished, or never claimed,
    /// are left alone. Returns how many were released.
    pub fn release_articles(&self, ids: &[i64], now: i64) -> Result<usize> {
        self.release(Table::Articles, ids, now)
    }

    /// Stops revisiting an article (its revisit plan has ended); its history stays.
    pub fn retire_article(&self, article_id: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE articles SET state = 'retired', next_check = NULL, leased = 0 WHERE id = ?1",
            params![article_id],
        )?;
        Ok(())
    }

    /// Every article, most recently changed first.
    pub fn articles(&self) -> Result<Vec<ArticleRow>> {
        let sql = format!("{ARTICLE_SELECT} ORDER BY COALESCE(a.last_changed, a.first_seen) DESC, a.id");
        self.conn().query(&sql, &[])?.iter().map(article_row).collect()
    }

    /// The article with this URL.
    pub fn article_by_url(&self, url: &str) -> Result<Option<ArticleRow>> {
        self.conn()
            .query_opt(&format!("{ARTICLE_SELECT} WHERE a.url = ?1"), params![url])?
            .as_ref()
            .map(article_row)
            .transpose()
    }

    /// Records a check that found no new content.
    /// `body_hash`, the hash of the body as received, lets the next identical body skip extraction.
    pub fn record_unchanged(&self, article_id: i64, done: &CheckDone<'_>, body_hash: Option<&str>) -> Result<()> {
        self.conn().execute(
            "UPDATE articles SET last_checked = ?2, next_check = ?3, failures = 0, last_error = NULL, leased = 0,
                    etag = COALESCE(?4, etag), last_modified = COALESCE(?5, last_modified),
                    body_hash = COALESCE(?6, body_hash)
             WHERE id = ?1",
            params![article_id, done.at, done.next_check, done.etag, done.last_modified, body_hash],
        )?;
        Ok(())
    }

    /// Records a failed check.
    pub fn record_failure(&self, article_id: i64, at: i64, next_check: i64, error: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE articles SET last_checked = ?2, next_check = ?3, failures = failures + 1, last_error = ?4, leased = 0
             WHERE id = ?1",
            params![article_id, at, next_check, error],
        )?;
        Ok(())
    }
}

/// Adds an article unless its URL is known; returns 1 if it is new, else 0.
fn insert_article(conn: &mut Conn, source_id: i64, url: &str, now: i64) -> Result<usize> {
    conn.execute(
        "INSERT INTO articles (source_id, url, first_seen, next_check, host) VALUES (?1, ?2, ?3, ?3, ?4)
         ON CONFLICT (url) DO NOTHING",
        params![source_id, url, now, host_key(url)],
    )
}

/// Inside a transaction: reads the articles `sql` selects and leases them until `lease_until`.
fn claim(tx: &mut Conn, sql: &str, params: &[super::sql::Value], lease_until: i64) -> Result<Vec<ArticleRow>> {
    let rows: Vec<ArticleRow> = tx.query(sql, params)?.iter().map(article_row).collect::<Result<_>>()?;
    for r in &rows {
        tx.execute("UPDATE articles SET next_check = ?2, leased = 1 WHERE id = ?1", params![r.id, lease_until])?;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use crate::store::fixtures::each_store;
    use crate::store::{NewSource, SourceKind, host_key};

    #[test]
    fn fair_claims_take_a_few_per_host_and_skip_busy_hosts() {
        each_store(|store| {
            let source = NewSource {
                kind: SourceKind::Feed,
                url: "https://a.example/rss".into(),
                schedule: "every 10m".into(),
                rules: "{}".into(),
            };
            store.sync_config_sources(&[source], 0).unwrap();
            let many: Vec<String> = (0..50).map(|n| format!("https://a.example/{n}")).collect();
            store.ensure_articles(1, many.iter().map(String::as_str), 10).unwrap();
            store.ensure_articles(1, ["https://b.example/1", "http://c.example:8080/1"], 20).unwrap();
            let claimed = store.claim_due_articles_fair(100, 400, 10, 2, &[]).unwrap();
            let hosts: Vec<String> = claimed.iter().map(|a| host_key(&a.url)).collect();
            assert_eq!(hosts.iter().filter(|h| *h == "a.example").count(), 2, "{hosts:?}");
            assert!(hosts.contains(&"b.example".to_string()) && hosts.contains(&"c.example:8080".to_string()));
            let again = store.claim_due_articles_fair(100, 400, 10, 2, &["a.example".to_string()]).unwrap();
            assert!(again.is_empty(), "leased rows and busy hosts are skipped: {again:?}");
        });
    }

    #[test]
    fn bulk_discovery_retirement_and_status() {
        each_store(|store| {
            let source = NewSource {
                kind: SourceKind::Feed,
                url: "https://n.example/rss".into(),
                schedule: "every 10m".into(),
                rules: "{}".into(),
            };
            store.sync_config_sources(&[source], 0).unwrap();
            let urls = ["https://n.example/a", "https://n.example/b", "https://n.example/a"];
            assert_eq!(store.ensure_articles(1, urls, 100).unwrap(), 2);
            assert_eq!(store.ensure_articles(1, ["https://n.example/b", "https://n.example/c"], 200).unwrap(), 1);
            let status = store.status(150, 10).unwrap();
            assert_eq!((status.active_articles, status.due_now), (3, 2));
            store.retire_article(1).unwrap();
            store.record_failure(2, 160, 500, "HTTP 503").unwrap();
            let status = store.status(300, 10).unwrap();
            assert_eq!((status.active_articles, status.retired_articles, status.due_now), (2, 1, 1));
            assert_eq!(status.next_due, Some(500));
            assert_eq!(status.failing, vec![("https://n.example/b".to_string(), 1, "HTTP 503".to_string(), Some(500))]);
            assert!(store.claim_due_articles(10_000, 10_300, 10, true).unwrap().iter().all(|a| a.id != 1));
        });
    }

    #[test]
    fn released_articles_are_due_again_but_finished_ones_keep_their_time() {
        each_store(|store| {
            store.sync_config_sources(&[crate::store::fixtures::source("https://a.example/rss")], 0).unwrap();
            store
                .ensure_articles(1, ["https://a.example/1", "https://a.example/2", "https://a.example/3"], 10)
                .unwrap();
            let ids: Vec<i64> = store.claim_due_articles(100, 400, 10, false).unwrap().iter().map(|a| a.id).collect();
            assert_eq!(ids.len(), 3);
            store.record_failure(ids[0], 110, 900, "HTTP 503").unwrap();
            // The first finished, the second could not be recorded, the third is still in flight; 99 is unknown.
            assert_eq!(store.release_articles(&[ids[0], ids[1], 99], 150).unwrap(), 1);
            assert_eq!(store.release_articles(&[ids[1]], 160).unwrap(), 0, "released once");
            let due: Vec<Option<i64>> = ids
                .iter()
                .map(|&id| store.articles().unwrap().into_iter().find(|a| a.id == id).unwrap().next_check)
                .collect();
            assert_eq!(due, vec![Some(900), Some(150), Some(400)]);
            let again = store.claim_due_articles(150, 450, 10, false).unwrap();
            assert_eq!(again.iter().map(|a| a.id).collect::<Vec<_>>(), vec![ids[1]]);
            // A crash afterwards still releases the rest in one go.
            assert_eq!(store.release_leases(500).unwrap(), 2);
        });
    }
}
