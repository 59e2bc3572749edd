//! The `fetch_log` table: one line per fetch, with bounded retention.

use super::sql::params;
use super::{Result, Store};

/// The outcomes of failed checks: `wall` is a failure whose page was a wall.
pub const FAILED_OUTCOMES: [&str; 2] = ["error", "wall"];

/// One line of the fetch log.
#[derive(Debug, Clone, Default)]
pub struct FetchLogEntry {
    /// When.
    pub at: i64,
    /// What was fetched.
    pub url: String,
    /// Its source, for feeds.
    pub source_id: Option<i64>,
    /// Its article.
    pub article_id: Option<i64>,
    /// HTTP status.
    pub status: Option<u16>,
    /// Body size.
    pub bytes: Option<usize>,
    /// Time taken.
    pub duration_ms: Option<u64>,
    /// `new`, `changed`, `unchanged`, `same_body`, `not_modified`, `listing`, `error`, or
    /// `wall` (a consent wall, paywall, bot challenge… served instead of the article).
    pub outcome: String,
    /// What went wrong.
    pub error: Option<String>,
}

impl Store {
    /// Appends to the fetch log.
    pub fn log_fetch(&self, e: &FetchLogEntry) -> Result<()> {
        self.conn().execute(
            "INSERT INTO fetch_log (at, url, source_id, article_id, status, bytes, duration_ms, outcome, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                e.at,
                &e.url,
                e.source_id,
                e.article_id,
                e.status,
                e.bytes,
                e.duration_ms.map(|d| i64::try_from(d).unwrap_or(i64::MAX)),
                &e.outcome,
                e.error.as_deref()
            ],
        )?;
        Ok(())
    }

    /// Deletes fetch-log lines older than `before`.
    pub fn prune_fetch_log(&self, before: i64) -> Result<usize> {
        self.conn().execute("DELETE FROM fetch_log WHERE at < ?1", params![before])
    }
}
