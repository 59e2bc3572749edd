//! Crawl bookkeeping: articles discovered in bulk, articles retired when their
//! revisit plan ends, and the summary `redline status` prints.

use rusqlite::{TransactionBehavior, params};

use super::{Result, Store};

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
                "INSERT INTO articles (source_id, url, first_seen, next_check) VALUES (?1, ?2, ?3, ?3)
                 ON CONFLICT (url) DO NOTHING",
            )?;
            for url in urls {
                new += insert.execute(params![source_id, url, now])?;
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

    /// Stops revisiting an article (its revisit plan has ended); its history stays.
    pub fn retire_article(&self, article_id: i64) -> Result<()> {
        self.conn().execute("UPDATE articles SET state = 'retired', next_check = NULL WHERE id = ?1", [article_id])?;
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
    use crate::store::{NewSource, SourceKind, Store};

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
