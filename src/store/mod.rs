//! SQLite storage: sources, articles, versions, changes, the alert outbox and
//! the fetch log. Every SQL statement of Redline lives here.
//!
//! WAL: nothing committed is lost when the application crashes, and the
//! transaction that records a version, its change and its outbox rows runs
//! under `synchronous = FULL`, so it survives a power loss too. Writes use `BEGIN IMMEDIATE` so they
//! wait for the lock instead of failing. A new version, its change and the
//! change's outbox rows are written in one transaction.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::diff::Change;
use crate::extract::Article;

pub mod browse;
mod crawl;
pub use crawl::{Status, host_key};
mod outbox;

/// Schema migrations, applied in order; `user_version` counts those applied.
/// Append only: never edit or remove an entry, never drop a column.
const MIGRATIONS: &[&str] = &[
    // 1: the design's tables.
    r#"
    CREATE TABLE sources (
        id            INTEGER PRIMARY KEY,
        kind          TEXT NOT NULL CHECK (kind IN ('article', 'feed')),
        url           TEXT NOT NULL UNIQUE,
        schedule      TEXT NOT NULL,
        rules         TEXT NOT NULL DEFAULT '{}',
        enabled       INTEGER NOT NULL DEFAULT 1,
        from_config   INTEGER NOT NULL DEFAULT 0,
        created_at    INTEGER NOT NULL,
        next_check    INTEGER,
        last_checked  INTEGER,
        last_error    TEXT,
        failures      INTEGER NOT NULL DEFAULT 0,
        etag          TEXT,
        last_modified TEXT
    );
    CREATE TABLE articles (
        id            INTEGER PRIMARY KEY,
        source_id     INTEGER NOT NULL REFERENCES sources(id),
        url           TEXT NOT NULL UNIQUE,
        canonical_url TEXT,
        first_seen    INTEGER NOT NULL,
        last_checked  INTEGER,
        last_changed  INTEGER,
        next_check    INTEGER,
        etag          TEXT,
        last_modified TEXT,
        failures      INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT,
        state         TEXT NOT NULL DEFAULT 'active'
    );
    CREATE INDEX articles_due ON articles (next_check);
    CREATE TABLE versions (
        id            INTEGER PRIMARY KEY,
        article_id    INTEGER NOT NULL REFERENCES articles(id),
        number        INTEGER NOT NULL,
        fetched_at    INTEGER NOT NULL,
        content_hash  TEXT NOT NULL,
        title         TEXT,
        byline        TEXT,
        published     TEXT,
        modified      TEXT,
        lang          TEXT,
        canonical_url TEXT,
        paragraphs    TEXT NOT NULL,
        raw_html_zstd BLOB,
        UNIQUE (article_id, number)
    );
    CREATE TABLE changes (
        id            INTEGER PRIMARY KEY,
        article_id    INTEGER NOT NULL REFERENCES articles(id),
        from_version  INTEGER NOT NULL REFERENCES versions(id),
        to_version    INTEGER NOT NULL UNIQUE REFERENCES versions(id),
        created_at    INTEGER NOT NULL,
        kinds         TEXT NOT NULL,
        significance  REAL NOT NULL,
        summary       TEXT NOT NULL,
        diff          TEXT NOT NULL
    );
    CREATE INDEX changes_article ON changes (article_id);
    CREATE TABLE deliveries (
        id            INTEGER PRIMARY KEY,
        change_id     INTEGER NOT NULL REFERENCES changes(id),
        channel       TEXT NOT NULL,
        event_id      TEXT NOT NULL UNIQUE,
        payload       TEXT NOT NULL,
        status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts      INTEGER NOT NULL DEFAULT 0,
        next_attempt  INTEGER NOT NULL,
        last_error    TEXT,
        created_at    INTEGER NOT NULL,
        delivered_at  INTEGER,
        UNIQUE (change_id, channel)
    );
    CREATE INDEX deliveries_due ON deliveries (status, next_attempt);
    CREATE TABLE fetch_log (
        id            INTEGER PRIMARY KEY,
        at            INTEGER NOT NULL,
        url           TEXT NOT NULL,
        source_id     INTEGER,
        article_id    INTEGER,
        status        INTEGER,
        bytes         INTEGER,
        duration_ms   INTEGER,
        outcome       TEXT NOT NULL,
        error         TEXT
    );
    CREATE INDEX fetch_log_at ON fetch_log (at);
    "#,
    // 2: the web's reads: full-text search over versions (FTS5, external content,
    // kept in step by triggers), indexes for browsing, and removed watches kept
    // for their history.
    r#"
    CREATE VIRTUAL TABLE versions_fts USING fts5(
        title, paragraphs, content = 'versions', content_rowid = 'id'
    );
    INSERT INTO versions_fts (versions_fts) VALUES ('rebuild');
    CREATE TRIGGER versions_fts_insert AFTER INSERT ON versions BEGIN
        INSERT INTO versions_fts (rowid, title, paragraphs) VALUES (new.id, new.title, new.paragraphs);
    END;
    CREATE TRIGGER versions_fts_delete AFTER DELETE ON versions BEGIN
        INSERT INTO versions_fts (versions_fts, rowid, title, paragraphs)
        VALUES ('delete', old.id, old.title, old.paragraphs);
    END;
    CREATE TRIGGER versions_fts_update AFTER UPDATE OF title, paragraphs ON versions BEGIN
        INSERT INTO versions_fts (versions_fts, rowid, title, paragraphs)
        VALUES ('delete', old.id, old.title, old.paragraphs);
        INSERT INTO versions_fts (rowid, title, paragraphs) VALUES (new.id, new.title, new.paragraphs);
    END;
    CREATE INDEX changes_created ON changes (created_at);
    CREATE INDEX changes_browse ON changes (id, created_at, article_id, kinds);
    CREATE INDEX changes_article_time ON changes (article_id, created_at);
    -- One small partial index per edit kind: a filter by kind reads only its own changes.
    CREATE INDEX changes_kind_headline ON changes (id) WHERE kinds LIKE '%"headline"%';
    CREATE INDEX changes_kind_byline ON changes (id) WHERE kinds LIKE '%"byline"%';
    CREATE INDEX changes_kind_dates ON changes (id) WHERE kinds LIKE '%"dates"%';
    CREATE INDEX changes_kind_editors_note ON changes (id) WHERE kinds LIKE '%"editors_note"%';
    CREATE INDEX changes_kind_correction ON changes (id) WHERE kinds LIKE '%"correction"%';
    CREATE INDEX changes_kind_addition ON changes (id) WHERE kinds LIKE '%"addition"%';
    CREATE INDEX changes_kind_removal ON changes (id) WHERE kinds LIKE '%"removal"%';
    CREATE INDEX changes_kind_rewording ON changes (id) WHERE kinds LIKE '%"rewording"%';
    CREATE INDEX changes_kind_fact ON changes (id) WHERE kinds LIKE '%"fact"%';
    CREATE INDEX changes_kind_typo ON changes (id) WHERE kinds LIKE '%"typo"%';
    CREATE INDEX changes_kind_unannounced ON changes (id) WHERE kinds LIKE '%"unannounced"%';
    CREATE INDEX articles_source ON articles (source_id);
    CREATE INDEX articles_recent ON articles (COALESCE(last_changed, first_seen) DESC, id DESC);
    CREATE INDEX deliveries_change ON deliveries (change_id);
    ALTER TABLE sources ADD COLUMN removed_at INTEGER;
    "#,
    // 3: endpoints disabled after a 410 Gone.
    r#"
    CREATE TABLE disabled_channels (
        channel       TEXT PRIMARY KEY,
        disabled_at   INTEGER NOT NULL,
        reason        TEXT NOT NULL
    );
    "#,
    // 4: the hash of the last body received, so that an identical page skips extraction.
    "ALTER TABLE articles ADD COLUMN body_hash TEXT;",
    // 5: the host of each article (host[:port]), so that due work is claimed fairly across sites.
    r#"
    ALTER TABLE articles ADD COLUMN host TEXT;
    UPDATE articles SET host = lower(substr(substr(url, instr(url, '://') + 3), 1,
        instr(substr(url, instr(url, '://') + 3) || '/', '/') - 1));
    CREATE INDEX articles_host_due ON articles (host, next_check);
    "#,
    // 6: which rows a running process has claimed, so that a restart after a crash
    // takes up at once the checks the dead process left unfinished.
    r#"
    ALTER TABLE articles ADD COLUMN leased INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sources ADD COLUMN leased INTEGER NOT NULL DEFAULT 0;
    "#,
];

/// A storage error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
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
}

type Result<T> = std::result::Result<T, StoreError>;

/// What a source watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// One article URL.
    Article,
    /// A feed of articles.
    Feed,
}

impl SourceKind {
    fn as_str(self) -> &'static str {
        match self {
            SourceKind::Article => "article",
            SourceKind::Feed => "feed",
        }
    }
}

/// A source to create or update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSource {
    /// What it is.
    pub kind: SourceKind,
    /// Its URL.
    pub url: String,
    /// Schedule spec (`every 10m`, `cron …`).
    pub schedule: String,
    /// The watch rules as JSON.
    pub rules: String,
}

/// A stored source.
#[derive(Debug, Clone)]
pub struct SourceRow {
    /// Row id.
    pub id: i64,
    /// What it is.
    pub kind: SourceKind,
    /// Its URL.
    pub url: String,
    /// Schedule spec.
    pub schedule: String,
    /// Rules JSON.
    pub rules: String,
    /// Whether it is checked.
    pub enabled: bool,
    /// When it is next due (unix seconds).
    pub next_check: Option<i64>,
    /// When it was last checked.
    pub last_checked: Option<i64>,
    /// The last failure, cleared on success.
    pub last_error: Option<String>,
    /// Consecutive failures.
    pub failures: u32,
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

/// A stored change.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    /// Row id.
    pub id: i64,
    /// Its article.
    pub article_id: i64,
    /// Version number before.
    pub from_number: i64,
    /// Version number after.
    pub to_number: i64,
    /// When it was recorded.
    pub created_at: i64,
    /// The structured change.
    pub change: Change,
}

/// An outbox row to write with a change.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// Channel name (`webhook:URL`, `email:…`).
    pub channel: String,
    /// Stable event id.
    pub event_id: String,
    /// The exact body to send.
    pub payload: String,
    /// When it is first due (later than now for a digest).
    pub next_attempt: i64,
}

/// A stored outbox row.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    /// Row id.
    pub id: i64,
    /// Its change.
    pub change_id: i64,
    /// Channel name.
    pub channel: String,
    /// Stable event id.
    pub event_id: String,
    /// The exact body to send.
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt: i64,
    /// The last failure.
    pub last_error: Option<String>,
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
}

/// A change to record with its version, and its outbox rows.
#[derive(Debug, Clone)]
pub struct NewChange<'a> {
    /// The change.
    pub change: &'a Change,
    /// One row per channel.
    pub deliveries: Vec<NewDelivery>,
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
    /// `new`, `changed`, `unchanged`, `not_modified`, `error`, `feed`.
    pub outcome: String,
    /// What went wrong.
    pub error: Option<String>,
}

/// The database.
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) and migrates the database file.
    pub fn open(path: &Path) -> Result<Store> {
        let name = path.display().to_string();
        Connection::open(path).map_err(StoreError::from).and_then(|conn| Store::setup(conn, &name)).map_err(|e| match e
        {
            StoreError::Sqlite(source) => StoreError::Open { path: name.clone(), hint: open_hint(path), source },
            other => other,
        })
    }

    /// An in-memory database, for tests and `compare`.
    pub fn open_in_memory() -> Result<Store> {
        Store::setup(Connection::open_in_memory()?, ":memory:")
    }

    fn setup(mut conn: Connection, name: &str) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // NORMAL loses nothing on an application crash; the transaction that
        // records a version, its change and its alerts runs under FULL (see record_version).
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn, name)?;
        Ok(Store { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back on drop).
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes the config's watches the enabled config sources: new ones are
    /// added (due now), changed ones updated (their due time kept, so a restart
    /// causes no burst), and config sources no longer listed disabled.
    pub fn sync_config_sources(&self, sources: &[NewSource], now: i64) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("UPDATE sources SET enabled = 0 WHERE from_config = 1", [])?;
        for s in sources {
            tx.execute(
                "INSERT INTO sources (kind, url, schedule, rules, enabled, from_config, created_at, next_check)
                 VALUES (?1, ?2, ?3, ?4, 1, 1, ?5, ?5)
                 ON CONFLICT (url) DO UPDATE SET kind = ?1, schedule = ?3, rules = ?4, enabled = 1, from_config = 1",
                params![s.kind.as_str(), s.url, s.schedule, s.rules, now],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Adds (or re-enables) a source from the command line.
    pub fn add_source(&self, s: &NewSource, now: i64) -> Result<i64> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO sources (kind, url, schedule, rules, enabled, from_config, created_at, next_check)
             VALUES (?1, ?2, ?3, ?4, 1, 0, ?5, ?5)
             ON CONFLICT (url) DO UPDATE SET kind = ?1, schedule = ?3, enabled = 1",
            params![s.kind.as_str(), s.url, s.schedule, s.rules, now],
        )?;
        Ok(conn.query_row("SELECT id FROM sources WHERE url = ?1", [&s.url], |r| r.get(0))?)
    }

    /// Every source, enabled or not.
    pub fn sources(&self) -> Result<Vec<SourceRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{SOURCE_SELECT} ORDER BY id"))?;
        let rows = stmt.query_map([], source_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Claims the enabled sources due at `now` (all of them if `all`), pushing
    /// their due time to `lease_until` so that a crash mid-check retries them later.
    pub fn claim_due_sources(&self, now: i64, lease_until: i64, all: bool) -> Result<Vec<SourceRow>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let rows: Vec<SourceRow> = {
            let mut stmt = tx.prepare_cached(&format!(
                "{SOURCE_SELECT} WHERE enabled = 1 AND (?2 OR next_check IS NULL OR next_check <= ?1) ORDER BY next_check"
            ))?;
            stmt.query_map(params![now, all], source_row)?.collect::<rusqlite::Result<_>>()?
        };
        for r in &rows {
            tx.execute("UPDATE sources SET next_check = ?2, leased = 1 WHERE id = ?1", params![r.id, lease_until])?;
        }
        tx.commit()?;
        Ok(rows)
    }

    /// Records the end of a source check.
    pub fn finish_source(&self, id: i64, at: i64, next_check: i64, error: Option<&str>) -> Result<()> {
        self.conn().execute(
            "UPDATE sources SET last_checked = ?2, next_check = ?3, last_error = ?4, leased = 0,
                    failures = CASE WHEN ?4 IS NULL THEN 0 ELSE failures + 1 END
             WHERE id = ?1",
            params![id, at, next_check, error],
        )?;
        Ok(())
    }

    /// Adds an article under a source unless its URL is known; returns its id and whether it is new.
    pub fn ensure_article(&self, source_id: i64, url: &str, now: i64) -> Result<(i64, bool)> {
        let conn = self.conn();
        let inserted = conn.execute(
            "INSERT INTO articles (source_id, url, first_seen, next_check, host) VALUES (?1, ?2, ?3, ?3, ?4)
             ON CONFLICT (url) DO NOTHING",
            params![source_id, url, now, host_key(url)],
        )?;
        let id = conn.query_row("SELECT id FROM articles WHERE url = ?1", [url], |r| r.get(0))?;
        Ok((id, inserted == 1))
    }

    /// Claims up to `limit` active articles of enabled sources due at `now`
    /// (every one if `all`), pushing their due time to `lease_until`.
    pub fn claim_due_articles(&self, now: i64, lease_until: i64, limit: usize, all: bool) -> Result<Vec<ArticleRow>> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let rows: Vec<ArticleRow> = {
            let mut stmt = tx.prepare_cached(&format!(
                "{ARTICLE_SELECT} WHERE s.enabled = 1 AND a.state = 'active'
                   AND (?2 OR a.next_check IS NULL OR a.next_check <= ?1)
                 ORDER BY a.next_check LIMIT ?3"
            ))?;
            stmt.query_map(params![now, all, limit as i64], article_row)?.collect::<rusqlite::Result<_>>()?
        };
        for r in &rows {
            tx.execute("UPDATE articles SET next_check = ?2, leased = 1 WHERE id = ?1", params![r.id, lease_until])?;
        }
        tx.commit()?;
        Ok(rows)
    }

    /// Every article, most recently changed first.
    pub fn articles(&self) -> Result<Vec<ArticleRow>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!("{ARTICLE_SELECT} ORDER BY COALESCE(a.last_changed, a.first_seen) DESC, a.id"))?;
        let rows = stmt.query_map([], article_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The article with this URL.
    pub fn article_by_url(&self, url: &str) -> Result<Option<ArticleRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{ARTICLE_SELECT} WHERE a.url = ?1"))?;
        Ok(stmt.query_row([url], article_row).optional()?)
    }

    /// The newest version of an article.
    pub fn latest_version(&self, article_id: i64) -> Result<Option<VersionRow>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached(&format!("{VERSION_SELECT} WHERE article_id = ?1 ORDER BY number DESC LIMIT 1"))?;
        stmt.query_row([article_id], version_row).optional()?.map(parse_version).transpose()
    }

    /// One version by number.
    pub fn version(&self, article_id: i64, number: i64) -> Result<Option<VersionRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{VERSION_SELECT} WHERE article_id = ?1 AND number = ?2"))?;
        stmt.query_row([article_id, number], version_row).optional()?.map(parse_version).transpose()
    }

    /// Every version of an article, oldest first.
    pub fn versions(&self, article_id: i64) -> Result<Vec<VersionRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{VERSION_SELECT} WHERE article_id = ?1 ORDER BY number"))?;
        let raw: Vec<_> = stmt.query_map([article_id], version_row)?.collect::<rusqlite::Result<_>>()?;
        raw.into_iter().map(parse_version).collect()
    }

    /// Every change of an article, oldest first.
    pub fn changes(&self, article_id: i64) -> Result<Vec<ChangeRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT c.id, c.article_id, f.number, t.number, c.created_at, c.diff
             FROM changes c JOIN versions f ON f.id = c.from_version JOIN versions t ON t.id = c.to_version
             WHERE c.article_id = ?1 ORDER BY t.number",
        )?;
        let raw: Vec<(i64, i64, i64, i64, i64, String)> = stmt
            .query_map([article_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
            .collect::<rusqlite::Result<_>>()?;
        raw.into_iter()
            .map(|(id, article_id, from_number, to_number, created_at, diff)| {
                Ok(ChangeRow {
                    id,
                    article_id,
                    from_number,
                    to_number,
                    created_at,
                    change: serde_json::from_str(&diff)?,
                })
            })
            .collect()
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

    /// Records a new version and, when it is not the first, its change and the
    /// change's outbox rows, all in one transaction. Returns the version number
    /// and the change id.
    pub fn record_version(
        &self,
        version: &NewVersion<'_>,
        change: Option<&NewChange<'_>>,
        done: &CheckDone<'_>,
    ) -> Result<(i64, Option<i64>)> {
        let mut conn = self.conn();
        // A change is durable even through a power loss: an alert already sent must
        // never be detected again (and sent under a new id) because its change rolled
        // back. A first version raises no alert; losing it to a power cut only means
        // it is stored again at the next check, so it skips the flush.
        if change.is_none() {
            return Store::write_version(&mut conn, version, change, done);
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        let recorded = Store::write_version(&mut conn, version, change, done);
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        recorded
    }

    fn write_version(
        conn: &mut Connection,
        version: &NewVersion<'_>,
        change: Option<&NewChange<'_>>,
        done: &CheckDone<'_>,
    ) -> Result<(i64, Option<i64>)> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let previous: Option<(i64, i64)> = tx
            .query_row(
                "SELECT id, number FROM versions WHERE article_id = ?1 ORDER BY number DESC LIMIT 1",
                [version.article_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let number = previous.map_or(1, |(_, n)| n + 1);
        let a = version.article;
        tx.execute(
            "INSERT INTO versions (article_id, number, fetched_at, content_hash, title, byline, published, modified,
                                   lang, canonical_url, paragraphs, raw_html_zstd)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                version.article_id,
                number,
                version.fetched_at,
                version.content_hash,
                a.title,
                a.byline,
                a.published,
                a.modified,
                a.lang,
                a.canonical_url,
                serde_json::to_string(&a.paragraphs)?,
                version.raw_html_zstd,
            ],
        )?;
        let version_id = tx.last_insert_rowid();
        let mut change_id = None;
        if let (Some(c), Some((previous_id, _))) = (change, previous) {
            tx.execute(
                "INSERT INTO changes (article_id, from_version, to_version, created_at, kinds, significance, summary, diff)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    version.article_id,
                    previous_id,
                    version_id,
                    version.fetched_at,
                    serde_json::to_string(&c.change.kinds)?,
                    c.change.significance,
                    c.change.summary,
                    serde_json::to_string(c.change)?,
                ],
            )?;
            let id = tx.last_insert_rowid();
            for d in &c.deliveries {
                tx.execute(
                    "INSERT INTO deliveries (change_id, channel, event_id, payload, next_attempt, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![id, d.channel, d.event_id, d.payload, d.next_attempt, version.fetched_at],
                )?;
            }
            change_id = Some(id);
        }
        tx.execute(
            "UPDATE articles SET last_checked = ?2, next_check = ?3, failures = 0, last_error = NULL, leased = 0,
                    etag = ?4, last_modified = ?5, canonical_url = COALESCE(?6, canonical_url),
                    last_changed = CASE WHEN ?7 THEN ?2 ELSE last_changed END, body_hash = NULL
             WHERE id = ?1",
            params![
                version.article_id,
                done.at,
                done.next_check,
                done.etag,
                done.last_modified,
                a.canonical_url,
                change_id.is_some()
            ],
        )?;
        tx.commit()?;
        Ok((number, change_id))
    }

    /// Pending deliveries due at `now`.
    pub fn due_deliveries(&self, now: i64, limit: usize) -> Result<Vec<DeliveryRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "{DELIVERY_SELECT} WHERE status = 'pending' AND next_attempt <= ?1 ORDER BY next_attempt, id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![now, limit as i64], delivery_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Deliveries by status (`pending`, `failed`, `delivered`).
    pub fn deliveries(&self, status: &str) -> Result<Vec<DeliveryRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{DELIVERY_SELECT} WHERE status = ?1 ORDER BY id"))?;
        let rows = stmt.query_map([status], delivery_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Marks a delivery done.
    pub fn delivery_succeeded(&self, id: i64, at: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?2, last_error = NULL
             WHERE id = ?1",
            params![id, at],
        )?;
        Ok(())
    }

    /// Records a failed attempt: retried at `next_attempt`, or failed for good when None.
    pub fn delivery_failed(&self, id: i64, next_attempt: Option<i64>, error: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = ?3,
                    status = CASE WHEN ?2 IS NULL THEN 'failed' ELSE 'pending' END,
                    next_attempt = COALESCE(?2, next_attempt)
             WHERE id = ?1",
            params![id, next_attempt, error],
        )?;
        Ok(())
    }

    /// Appends to the fetch log.
    pub fn log_fetch(&self, e: &FetchLogEntry) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO fetch_log (at, url, source_id, article_id, status, bytes, duration_ms, outcome, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                e.at,
                e.url,
                e.source_id,
                e.article_id,
                e.status,
                e.bytes.map(|b| b as i64),
                e.duration_ms.map(|d| d as i64),
                e.outcome,
                e.error
            ])?;
        Ok(())
    }

    /// Deletes fetch-log lines older than `before`.
    pub fn prune_fetch_log(&self, before: i64) -> Result<usize> {
        Ok(self.conn().execute("DELETE FROM fetch_log WHERE at < ?1", [before])?)
    }

    /// Counts rows of a table, for status output and tests.
    pub fn count(&self, table: Table) -> Result<i64> {
        Ok(self.conn().query_row(&format!("SELECT COUNT(*) FROM {}", table.name()), [], |r| r.get(0))?)
    }
}

/// Why a database may not open: a folder that is missing, read-only or full.
fn open_hint(path: &Path) -> String {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return format!(" (the folder {} does not exist)", dir.display());
    }
    match tempfile::tempfile_in(dir) {
        Err(e) if e.raw_os_error() == Some(30) => {
            format!(" (the folder {} is on a read-only file system)", dir.display())
        }
        Err(e) if e.raw_os_error() == Some(28) => format!(" (the disk holding {} is full)", dir.display()),
        Err(e) => format!(" (the folder {} is read-only or not writable: {e})", dir.display()),
        Ok(_) if path.exists() && std::fs::OpenOptions::new().append(true).open(path).is_err() => {
            format!(" (the file is read-only for this user)")
        }
        Ok(_) => String::new(),
    }
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
        }
    }
}

fn migrate(conn: &mut Connection, name: &str) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew { path: name.to_string(), found: version, known });
    }
    for sql in &MIGRATIONS[version as usize..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", known)?;
    tx.commit()?;
    Ok(())
}

const SOURCE_SELECT: &str =
    "SELECT id, kind, url, schedule, rules, enabled, next_check, last_checked, last_error, failures FROM sources";

fn source_row(r: &Row<'_>) -> rusqlite::Result<SourceRow> {
    let kind: String = r.get(1)?;
    Ok(SourceRow {
        id: r.get(0)?,
        kind: if kind == "feed" { SourceKind::Feed } else { SourceKind::Article },
        url: r.get(2)?,
        schedule: r.get(3)?,
        rules: r.get(4)?,
        enabled: r.get(5)?,
        next_check: r.get(6)?,
        last_checked: r.get(7)?,
        last_error: r.get(8)?,
        failures: r.get(9)?,
    })
}

pub(crate) const ARTICLE_SELECT: &str =
    "SELECT a.id, a.source_id, s.url, a.url, s.schedule, s.rules, a.next_check, a.last_checked,
        a.last_changed, a.etag, a.last_modified, a.failures, a.last_error,
        (SELECT COUNT(*) FROM versions v WHERE v.article_id = a.id), a.first_seen, a.state, a.body_hash
    FROM articles a JOIN sources s ON s.id = a.source_id";

pub(crate) fn article_row(r: &Row<'_>) -> rusqlite::Result<ArticleRow> {
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

const VERSION_SELECT: &str =
    "SELECT id, article_id, number, fetched_at, content_hash, title, byline, published, modified,
        lang, canonical_url, paragraphs FROM versions";

type RawVersion = (VersionRow, String);

fn version_row(r: &Row<'_>) -> rusqlite::Result<RawVersion> {
    let article = Article {
        url: None,
        canonical_url: r.get(10)?,
        title: r.get(5)?,
        byline: r.get(6)?,
        published: r.get(7)?,
        modified: r.get(8)?,
        lang: r.get(9)?,
        paragraphs: Vec::new(),
    };
    let row = VersionRow {
        id: r.get(0)?,
        article_id: r.get(1)?,
        number: r.get(2)?,
        fetched_at: r.get(3)?,
        content_hash: r.get(4)?,
        article,
    };
    Ok((row, r.get(11)?))
}

fn parse_version((mut row, paragraphs): RawVersion) -> Result<VersionRow> {
    row.article.paragraphs = serde_json::from_str(&paragraphs)?;
    Ok(row)
}

pub(crate) const DELIVERY_SELECT: &str =
    "SELECT id, change_id, channel, event_id, payload, status, attempts, next_attempt, last_error FROM deliveries";

pub(crate) fn delivery_row(r: &Row<'_>) -> rusqlite::Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.get(0)?,
        change_id: r.get(1)?,
        channel: r.get(2)?,
        event_id: r.get(3)?,
        payload: r.get(4)?,
        status: r.get(5)?,
        attempts: r.get(6)?,
        next_attempt: r.get(7)?,
        last_error: r.get(8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(url: &str) -> NewSource {
        NewSource { kind: SourceKind::Feed, url: url.into(), schedule: "every 10m".into(), rules: "{}".into() }
    }

    fn article(text: &str) -> Article {
        Article { title: Some("T".into()), paragraphs: vec![text.into()], ..Article::default() }
    }

    fn done(at: i64) -> CheckDone<'static> {
        CheckDone { at, next_check: at + 600, etag: None, last_modified: None }
    }

    #[test]
    fn migrating_twice_is_harmless_and_newer_schemas_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        drop(Store::open(&path).unwrap());
        drop(Store::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(&path).err().unwrap().to_string();
        assert!(err.contains("newer than this Redline knows"), "{err}");
    }

    #[test]
    fn sync_keeps_due_times_and_disables_removed_sources() {
        let store = Store::open_in_memory().unwrap();
        store.sync_config_sources(&[source("https://a/rss"), source("https://b/rss")], 100).unwrap();
        let claimed = store.claim_due_sources(100, 160, false).unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(store.claim_due_sources(120, 180, false).unwrap().is_empty(), "leased sources are not due");
        store.finish_source(claimed[0].id, 110, 700, None).unwrap();
        store.sync_config_sources(&[source("https://a/rss")], 200).unwrap();
        let all = store.sources().unwrap();
        assert_eq!(all[0].next_check, Some(700), "a restart keeps the schedule");
        assert!(all[0].enabled && !all[1].enabled);
    }

    #[test]
    fn a_change_and_its_deliveries_are_written_together() {
        let store = Store::open_in_memory().unwrap();
        store.sync_config_sources(&[source("https://a/rss")], 0).unwrap();
        let (aid, new) = store.ensure_article(1, "https://a/1", 0).unwrap();
        assert!(new);
        assert!(!store.ensure_article(1, "https://a/1", 0).unwrap().1);
        let v1 = article("one");
        let nv = NewVersion { article_id: aid, fetched_at: 10, content_hash: "h1", article: &v1, raw_html_zstd: None };
        assert_eq!(store.record_version(&nv, None, &done(10)).unwrap(), (1, None));
        let v2 = article("two");
        let change = Change { changed: true, summary: "s".into(), ..Change::default() };
        let nc = NewChange {
            change: &change,
            deliveries: vec![NewDelivery {
                channel: "webhook:x".into(),
                event_id: "msg_1".into(),
                payload: "{}".into(),
                next_attempt: 20,
            }],
        };
        let nv = NewVersion { article_id: aid, fetched_at: 20, content_hash: "h2", article: &v2, raw_html_zstd: None };
        let (n, cid) = store.record_version(&nv, Some(&nc), &done(20)).unwrap();
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
    }

    #[test]
    fn failed_outbox_write_rolls_back_the_version() {
        let store = Store::open_in_memory().unwrap();
        store.sync_config_sources(&[source("https://a/rss")], 0).unwrap();
        let (aid, _) = store.ensure_article(1, "https://a/1", 0).unwrap();
        let v1 = article("one");
        let nv = NewVersion { article_id: aid, fetched_at: 10, content_hash: "h1", article: &v1, raw_html_zstd: None };
        store.record_version(&nv, None, &done(10)).unwrap();
        let change = Change::default();
        let dup = NewDelivery {
            channel: "webhook:x".into(),
            event_id: "same".into(),
            payload: "{}".into(),
            next_attempt: 20,
        };
        let nc = NewChange {
            change: &change,
            deliveries: vec![dup.clone(), NewDelivery { channel: "email:y".into(), ..dup }],
        };
        let v2 = article("two");
        let nv = NewVersion { article_id: aid, fetched_at: 20, content_hash: "h2", article: &v2, raw_html_zstd: None };
        assert!(store.record_version(&nv, Some(&nc), &done(20)).is_err());
        assert_eq!(store.count(Table::Versions).unwrap(), 1);
        assert_eq!(store.count(Table::Changes).unwrap(), 0);
    }
}
