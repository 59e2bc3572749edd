//! Crawl bookkeeping: articles discovered in bulk, articles retired when their
//! revisit plan ends, and the summary `redline status` prints.

use rusqlite::{TransactionBehavior, params};

use super::{ARTICLE_SELECT, ArticleRow, Result, Store, article_row};

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

/// What is due and what fails, for `redline status`.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// Enabled sources.
    pub sources: i64,
    /// Articles being revisited.
    pub active_articles: i64,
    /// Articles whose revisit plan has ended.
    pub retired_articles: i64,
    /// Articles due now.
    pub due_now: i64,
    /// When the next article is due after now.
    pub next_due: Option<i64>,
    /// Versions stored.
    pub versions: i64,
    /// Changes recorded.
    pub changes: i64,
    /// Deliveries waiting to be sent.
    pub pending_deliveries: i64,
    /// Deliveries that failed for good.
    pub failed_deliveries: i64,
    /// Fetches in the last hour, and how many failed.
    pub fetches_last_hour: (i64, i64),
    /// Failing sources and articles: URL, consecutive failures, last error, next try.
    pub failing: Vec<(String, u32, String, Option<i64>)>,
}

impl Store {
    /// Adds the articles a listing names, in one transaction; returns how many are new.
    pub fn ensure_articles<'a>(
        &self,
        source_id: i64,
        urls: impl IntoIterator<Item = &'a str>,
        now: i64,
    ) -> Result<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut new = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO articles (source_id, url, first_seen, next_check, host) VALUES (?1, ?2, ?3, ?3, ?4)
                 ON CONFLICT (url) DO NOTHING",
            )?;
            for url in urls {
                new += insert.execute(params![source_id, url, now, host_key(url)])?;
            }
        }
        tx.commit()?;
        Ok(new)
    }

    /// The content hash of an article's newest version.
    pub fn latest_hash(&self, article_id: i64) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn()
            .prepare_cached("SELECT content_hash FROM versions WHERE article_id = ?1 ORDER BY number DESC LIMIT 1")?
            .query_row([article_id], |r| r.get(0))
            .optional()?)
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
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let busy_json = serde_json::to_string(busy)?;
        let rows: Vec<ArticleRow> = {
            let mut stmt = tx.prepare_cached(&format!(
                "{ARTICLE_SELECT} WHERE a.id IN (
                    SELECT id FROM (
                        SELECT a2.id, a2.next_check,
                               ROW_NUMBER() OVER (PARTITION BY a2.host ORDER BY a2.next_check, a2.id) AS rank
                        FROM articles a2 JOIN sources s2 ON s2.id = a2.source_id
                        WHERE s2.enabled = 1 AND a2.state = 'active'
                          AND (a2.next_check IS NULL OR a2.next_check <= ?1)
                          AND COALESCE(a2.host, '') NOT IN (SELECT value FROM json_each(?4))
                    ) WHERE rank <= ?3 ORDER BY next_check LIMIT ?2
                 ) ORDER BY a.next_check"
            ))?;
            stmt.query_map(params![now, limit as i64, per_host as i64, busy_json], article_row)?
                .collect::<rusqlite::Result<_>>()?
        };
        for r in &rows {
            tx.execute("UPDATE articles SET next_check = ?2, leased = 1 WHERE id = ?1", params![r.id, lease_until])?;
        }
        tx.commit()?;
        Ok(rows)
    }

    /// Claims up to `limit` active articles of enabled sources with an id above
    /// `after`, in id order, whatever their due time (for `run --once`).
    pub fn claim_articles_after(&self, after: i64, lease_until: i64, limit: usize) -> Result<Vec<ArticleRow>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let rows: Vec<ArticleRow> = {
            let mut stmt = tx.prepare_cached(&format!(
                "{ARTICLE_SELECT} WHERE s.enabled = 1 AND a.state = 'active' AND a.id > ?1 ORDER BY a.id LIMIT ?2"
            ))?;
            stmt.query_map(params![after, limit as i64], article_row)?.collect::<rusqlite::Result<_>>()?
        };
        for r in &rows {
            tx.execute("UPDATE articles SET next_check = ?2, leased = 1 WHERE id = ?1", params![r.id, lease_until])?;
        }
        tx.commit()?;
        Ok(rows)
    }

    /// An article source's own article, created if new, and the source marked
    /// checked until `next`: one transaction.
    pub fn ensure_source_article(&self, source_id: i64, url: &str, now: i64, next: i64) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached(
            "INSERT INTO articles (source_id, url, first_seen, next_check, host) VALUES (?1, ?2, ?3, ?3, ?4)
             ON CONFLICT (url) DO NOTHING",
        )?
        .execute(params![source_id, url, now, host_key(url)])?;
        tx.prepare_cached(
            "UPDATE sources SET last_checked = ?2, next_check = ?3, last_error = NULL, failures = 0, leased = 0 WHERE id = ?1",
        )?
        .execute(params![source_id, now, next])?;
        tx.commit()?;
        Ok(())
    }

    /// Makes every row a previous process claimed and never finished due now
    /// (it crashed or was killed mid-check). Only one process may use a database.
    pub fn release_leases(&self, now: i64) -> Result<usize> {
        let conn = self.conn();
        let articles = conn.execute("UPDATE articles SET next_check = ?1, leased = 0 WHERE leased = 1", [now])?;
        let sources = conn.execute("UPDATE sources SET next_check = ?1, leased = 0 WHERE leased = 1", [now])?;
        Ok(articles + sources)
    }

    /// Stops revisiting an article (its revisit plan has ended); its history stays.
    pub fn retire_article(&self, article_id: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE articles SET state = 'retired', next_check = NULL, leased = 0 WHERE id = ?1",
            [article_id],
        )?;
        Ok(())
    }

    /// The summary `redline status` prints.
    pub fn status(&self, now: i64, failing_limit: usize) -> Result<Status> {
        let conn = self.conn();
        let one = |sql: &str, p: &[&dyn rusqlite::ToSql]| conn.query_row(sql, p, |r| r.get::<_, i64>(0));
        let mut status = Status {
            sources: one("SELECT COUNT(*) FROM sources WHERE enabled = 1", &[])?,
            active_articles: one("SELECT COUNT(*) FROM articles WHERE state = 'active'", &[])?,
            retired_articles: one("SELECT COUNT(*) FROM articles WHERE state = 'retired'", &[])?,
            due_now: one(
                "SELECT COUNT(*) FROM articles a JOIN sources s ON s.id = a.source_id
                 WHERE s.enabled = 1 AND a.state = 'active' AND (a.next_check IS NULL OR a.next_check <= ?1)",
                &[&now],
            )?,
            next_due: conn.query_row(
                "SELECT MIN(next_check) FROM articles WHERE state = 'active' AND next_check > ?1",
                [now],
                |r| r.get(0),
            )?,
            versions: one("SELECT COUNT(*) FROM versions", &[])?,
            changes: one("SELECT COUNT(*) FROM changes", &[])?,
            pending_deliveries: one("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'", &[])?,
            failed_deliveries: one("SELECT COUNT(*) FROM deliveries WHERE status = 'failed'", &[])?,
            fetches_last_hour: conn.query_row(
                "SELECT COUNT(*), COALESCE(SUM(outcome = 'error'), 0) FROM fetch_log WHERE at > ?1",
                [now - 3600],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?,
            failing: Vec::new(),
        };
        let mut stmt = conn.prepare_cached(
            "SELECT url, failures, last_error, next_check FROM sources WHERE enabled = 1 AND failures > 0
             UNION ALL
             SELECT url, failures, last_error, next_check FROM articles WHERE state = 'active' AND failures > 0
             ORDER BY 2 DESC LIMIT ?1",
        )?;
        status.failing = stmt
            .query_map([failing_limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<String>>(2)?.unwrap_or_default(), r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(status)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{NewSource, SourceKind, Store, host_key};

    #[test]
    fn fair_claims_take_a_few_per_host_and_skip_busy_hosts() {
        let store = Store::open_in_memory().unwrap();
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
    }

    #[test]
    fn bulk_discovery_retirement_and_status() {
        let store = Store::open_in_memory().unwrap();
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
    }
}
