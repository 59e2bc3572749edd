//! Storage on SQLite or PostgreSQL: sources, articles, versions, changes, the
//! alert outbox and the fetch log. Every SQL statement of Redline lives here,
//! written once against the backend-neutral layer in [`sql`]; the rules (what is
//! due, how claims are fair across hosts, what a version write contains) are
//! Rust shared by both engines.
//!
//! On SQLite:
//! WAL: nothing committed is lost when the application crashes, and the
//! transaction that records a version, its change and its outbox rows runs
//! under `synchronous = FULL`, so it survives a power loss too. Writes use `BEGIN IMMEDIATE` so they
//! wait for the lock instead of failing. A new version, its change and the
//! change's outbox rows are written in one transaction.
//!
//! # Layout
//! One file per table, its row types beside it:
//!
//! - `sql`: the value type, rows, [`sql::Conn`] over either engine and the dialect differences;
//!   `pg`: the PostgreSQL connection (tokio-postgres), its password lookup.
//! - `schema`: the append-only migrations of each engine, opening a database, the pragmas.
//! - `sources`: what is watched ([`SourceRow`]) and when each source is due.
//! - `articles`: [`ArticleRow`], discovery, claiming due work fairly across hosts ([`host_key`]),
//!   the end of each check.
//! - `versions`: [`VersionRow`] and [`Store::record_version`], the transaction that writes a
//!   version with its change and outbox rows.
//! - `screenshots`: one PNG per version ([`ScreenshotInfo`]), written with the version,
//!   pruned by age.
//! - `changes`: [`ChangeRow`]; `deliveries`: the alert outbox ([`DeliveryRow`]); `fetch_log`.
//! - `stories`: stories across outlets: membership, fingerprints, LSH band keys ([`StoryRow`]).
//! - `signals`: listing times and validators, an article's other URLs (`article_aliases`,
//!   [`Fold`]); `headlines`: every headline of each version (issue 15).
//! - `status`: the summary `redline status` prints; [`browse`]: the web's reads.
//! - `fault`: [`StoreFault`], what kind of machine trouble a [`StoreError`] is (full, read-only,
//!   locked, I/O); [`lock`]: one daemon per database file ([`lock::DbLock`]).
//! - `archive`: what the WARC export and import read and write ([`ArchivedPage`]).
//! - `snapshots`: the Internet Archive snapshot URL of each version.

use std::sync::{Mutex, MutexGuard};

mod archive;
mod articles;
pub mod browse;
mod db;
mod snapshots;
pub use db::{Db, blocking};
mod changes;
mod copy;
mod deliveries;
mod fault;
mod fetch_log;
#[cfg(test)]
mod fixtures;
mod headlines;
pub mod history;
mod host_turns;
mod leases;
pub mod lock;
pub mod pg;
mod schema;
mod screenshots;
pub mod search;
mod signals;
mod sources;
pub mod sql;
mod status;
mod stories;
mod value;
mod versions;
pub mod watches;
mod workers;

pub use archive::{ArchivedChange, ArchivedPage, EarlierVersion, ExportFilter};
pub use articles::{ArticleRow, CheckDone, host_key};
pub use changes::{ChangeRow, NewChange};
pub use copy::{NOT_COPIED, TableCopy};
pub use deliveries::{ARTICLE_ARCHIVED, ARTICLE_CHANGED, DeliveryRow, NewDelivery, VERSION_ARCHIVE};
pub use fault::StoreFault;
pub use fetch_log::{FAILED_OUTCOMES, FetchLogEntry};
pub use host_turns::Turn;
pub use leases::LeaseCounts;
pub use lock::{DbLock, LockError};
pub use screenshots::ScreenshotInfo;
pub use signals::{Fold, ListedArticle};
pub use sources::{NewSource, SourceKind, SourceRow};
pub use status::Status;
pub use stories::{GroupTimings, StoryMemberRow, StoryRow};
pub use versions::{NewVersion, Provenance, VersionRow};
pub use workers::{WorkerRow, check_worker_name, host_name, name_process_worker, process_worker_id};

/// A storage error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error("database error: {}", pg_text(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// The PostgreSQL server could not be reached or refused the session.
    #[error("cannot open the database {target}: {}", pg_text(.source))]
    PgOpen {
        /// `user@host:port/db`.
        target: String,
        /// The cause.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A stored value is not of the type the code reads (or no row came back).
    #[error("unexpected stored value: {0}")]
    Value(String),
    /// The database file could not be opened or prepared.
    #[error("cannot open the database {path}: {source}{hint}")]
    Open {
        /// The file.
        path: String,
        /// What the file system says, when it explains the failure.
        hint: String,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored JSON value could not be read.
    #[error("corrupt stored value: {0}")]
    Json(#[from] serde_json::Error),
    /// The file was written by a newer Redline.
    #[error(
        "the database {path} has schema version {found}, newer than this Redline knows ({known}); upgrade Redline or use another database"
    )]
    TooNew {
        /// The file.
        path: String,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// The call was cancelled before it ran: the process is shutting down.
    #[error("the database call was cancelled: Redline is shutting down")]
    Cancelled,
}

/// A PostgreSQL error with the server's message and detail when it sent one
/// (tokio-postgres's own text is only "db error").
fn pg_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_string(),
        },
        None => e.to_string(),
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// The database.
pub struct Store {
    conn: Mutex<sql::Conn>,
    /// The worker id this store's claims are leased to ([`workers::process_worker_id`]).
    worker: String,
}

impl Store {
    fn from_conn(conn: sql::Conn) -> Store {
        Store { conn: Mutex::new(conn), worker: workers::process_worker_id().to_string() }
    }

    /// The same store claiming under another worker id: for tests that play several workers.
    pub fn with_worker(mut self, id: &str) -> Store {
        self.worker = id.to_string();
        self
    }

    /// The worker id this store's claims are leased to.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    fn conn(&self) -> MutexGuard<'_, sql::Conn> {
        // A panic while holding the lock leaves the database consistent (transactions roll back).
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Which engine holds the data.
    pub fn engine(&self) -> sql::Engine {
        self.conn().engine()
    }

    /// What the operating system said at SQLite's latest failed system call
    /// ("read-only file system", "no space left on device"): SQLite itself only
    /// says "disk I/O error".
    pub fn os_error(&self) -> Option<std::io::Error> {
        let conn = self.conn();
        let sqlite = conn.sqlite()?;
        // SAFETY: the handle is valid while the connection is borrowed, and
        // sqlite3_system_errno only reads a field of it.
        let errno = unsafe { rusqlite::ffi::sqlite3_system_errno(sqlite.handle()) };
        (errno != 0).then(|| std::io::Error::from_raw_os_error(errno))
    }

    /// Runs one query and returns its rows: for tests and tools that read what no method
    /// reads. Written in SQL both engines accept, with `?1` placeholders.
    pub fn query_rows(&self, sql: &str, params: &[sql::Value]) -> Result<Vec<sql::Row>> {
        self.conn().query(sql, params)
    }

    /// Counts rows of a table, for status output and tests.
    pub fn count(&self, table: Table) -> Result<i64> {
        self.conn().scalar(&format!("SELECT COUNT(*) FROM {}", table.name()), &[])
    }

    /// Makes the rows of `table` (articles or sources) with these ids that this
    /// worker still holds due at `now` and no longer leased; one statement. A row
    /// whose lease another worker has taken over is left to that worker.
    fn release(&self, table: Table, ids: &[i64], now: i64) -> Result<usize> {
        let mut conn = self.conn();
        let sql = format!(
            "UPDATE {} SET next_check = ?2, leased = 0, lease_owner = NULL, lease_until = NULL
             WHERE lease_owner = ?3 AND id IN {}",
            table.name(),
            conn.json_ints(1)
        );
        conn.execute(&sql, sql::params![serde_json::to_string(ids)?, now, &self.worker])
    }
}

/// SQL for "the row `alias` is free to claim at parameter `now`": no lease, or one
/// that has expired (its worker died or hung), which the claimer takes over.
fn lease_free(alias: &str, now: usize) -> String {
    format!("({alias}.lease_until IS NULL OR {alias}.lease_until <= ?{now})")
}

/// The SET clauses that end a check: the lease is cleared only when the worker bound
/// to parameter `worker` holds it; a lease another worker has taken over stays its own.
/// (Every right-hand side reads the row as it was before the update, on both engines.)
fn lease_done(worker: usize) -> String {
    format!(
        "leased = CASE WHEN lease_owner = ?{worker} THEN 0 ELSE leased END,
         lease_until = CASE WHEN lease_owner = ?{worker} THEN NULL ELSE lease_until END,
         lease_owner = NULLIF(lease_owner, ?{worker})"
    )
}

/// Tables that can be counted.
#[derive(Debug, Clone, Copy)]
pub enum Table {
    /// `sources`
    Sources,
    /// `articles`
    Articles,
    /// `versions`
    Versions,
    /// `changes`
    Changes,
    /// `deliveries`
    Deliveries,
    /// `fetch_log`
    FetchLog,
    /// `screenshots`
    Screenshots,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Sources => "sources",
            Table::Articles => "articles",
            Table::Versions => "versions",
            Table::Changes => "changes",
            Table::Deliveries => "deliveries",
            Table::FetchLog => "fetch_log",
            Table::Screenshots => "screenshots",
        }
    }
}
