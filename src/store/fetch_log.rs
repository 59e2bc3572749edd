//! The `fetch_log` table: one line per fetch, with bounded retention.

use super::sql::{Engine, Value, params};
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
        self.conn().execute(&insert_sql(1), &log_params(e))?;
        Ok(())
    }

    /// Runs `update` (an UPDATE ending a check, its parameters numbered from 1) and
    /// appends `log` to the fetch log, as one commit: on PostgreSQL one statement (the
    /// update as a data-modifying WITH: one round trip, one WAL flush), on SQLite one
    /// transaction. A check's result and its log line were two commits before.
    pub(super) fn update_logged(&self, update: &str, mut params: Vec<Value>, log: &FetchLogEntry) -> Result<()> {
        let mut conn = self.conn();
        let first_log_param = params.len() + 1;
        if conn.engine() == Engine::Postgres {
            params.extend(log_params(log));
            conn.execute(&format!("WITH done AS ({update}) {}", insert_sql(first_log_param)), &params)?;
            return Ok(());
        }
        conn.transaction(|tx| {
            tx.execute(update, &params)?;
            tx.execute(&insert_sql(1), &log_params(log))?;
            Ok(())
        })
    }

    /// Deletes fetch-log lines older than `before`.
    pub fn prune_fetch_log(&self, before: i64) -> Result<usize> {
        self.conn().execute("DELETE FROM fetch_log WHERE at < ?1", params![before])
    }
}

/// The INSERT of one fetch-log line, its nine parameters numbered from `first`.
fn insert_sql(first: usize) -> String {
    let values: Vec<String> = (first..first + 9).map(|n| format!("?{n}")).collect();
    format!(
        "INSERT INTO fetch_log (at, url, source_id, article_id, status, bytes, duration_ms, outcome, error)
         VALUES ({})",
        values.join(", ")
    )
}

/// The parameters of [`insert_sql`].
fn log_params(e: &FetchLogEntry) -> Vec<Value> {
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
    ]
    .to_vec()
}
