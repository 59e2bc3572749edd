//! The summary `redline status` prints: what is due and what fails, across
//! every table.

use super::sql::{Value, params};
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
    /// The summary `redline status` prints.
    pub fn status(&self, now: i64, failing_limit: usize) -> Result<Status> {
        let mut conn = self.conn();
        let mut one = |sql: &str, p: &[Value]| conn.scalar::<i64>(sql, p);
        let mut status = Status {
            sources: one("SELECT COUNT(*) FROM sources WHERE enabled = 1", &[])?,
            active_articles: one("SELECT COUNT(*) FROM articles WHERE state = 'active'", &[])?,
            retired_articles: one("SELECT COUNT(*) FROM articles WHERE state = 'retired'", &[])?,
            due_now: one(
                "SELECT COUNT(*) FROM articles a JOIN sources s ON s.id = a.source_id
                 WHERE s.enabled = 1 AND a.state = 'active' AND (a.next_check IS NULL OR a.next_check <= ?1)",
                params![now],
            )?,
            versions: one("SELECT COUNT(*) FROM versions", &[])?,
            changes: one("SELECT COUNT(*) FROM changes", &[])?,
            pending_deliveries: one("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'", &[])?,
            failed_deliveries: one("SELECT COUNT(*) FROM deliveries WHERE status = 'failed'", &[])?,
            ..Status::default()
        };
        status.next_due = conn
            .scalar("SELECT MIN(next_check) FROM articles WHERE state = 'active' AND next_check > ?1", params![now])?;
        // The failed outcomes are FAILED_OUTCOMES.
        let fetches = conn.query_one(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE outcome IN ('error', 'wall')) FROM fetch_log WHERE at > ?1",
            params![now - 3600],
        )?;
        status.fetches_last_hour = (fetches.get(0)?, fetches.get(1)?);
        status.failing = conn
            .query(
                "SELECT url, failures, last_error, next_check FROM sources WHERE enabled = 1 AND failures > 0
                 UNION ALL
                 SELECT url, failures, last_error, next_check FROM articles WHERE state = 'active' AND failures > 0
                 ORDER BY 2 DESC LIMIT ?1",
                params![failing_limit],
            )?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?, r.get::<Option<String>>(2)?.unwrap_or_default(), r.get(3)?)))
            .collect::<Result<_>>()?;
        Ok(status)
    }
}
