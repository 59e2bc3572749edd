//! The schema and the connection: the append-only migrations, opening a
//! database file (with a hint when its folder is missing, read-only or full)
//! and the pragmas every connection runs under.

use std::path::Path;

use rusqlite::Connection;

use super::pg::PgConn;
use super::sql::{Conn, Engine, params};
use super::{Result, Store, StoreError};

mod postgres;
mod sqlite;

use postgres::PG_MIGRATIONS;
use sqlite::MIGRATIONS;

/// The text PostgreSQL's full-text search indexes for a version (`versions_search`):
/// a query must use this very expression for the index to serve it.
pub(crate) const PG_SEARCH_DOCUMENT: &str = "to_tsvector('simple', COALESCE(v.title, '') || ' ' || v.paragraphs)";

/// The key of the advisory lock that serialises migrations on PostgreSQL ("redline" in ASCII).
const PG_MIGRATION_LOCK: i64 = 0x0072_6564_6c69_6e65;

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

    /// Opens and migrates the PostgreSQL database at `url` (`postgres://user@host/db`; the
    /// password from the environment or the password file, see [`super::pg`]).
    pub fn open_url(url: &str) -> Result<Store> {
        let config = super::pg::config(url).map_err(StoreError::Value)?;
        let mut conn = Conn::Postgres(PgConn::connect(&config, &format!("redline {}", std::process::id()))?);
        let name = super::pg::target(&config);
        migrate(&mut conn, &name)?;
        Ok(Store::from_conn(conn))
    }

    /// Opens the database a config's `[storage]` names: its `url` if set, else its file.
    pub fn open_storage(storage: &crate::config::StorageConfig) -> Result<Store> {
        match &storage.url {
            Some(url) => Store::open_url(url),
            None => Store::open(&storage.path),
        }
    }

    /// An in-memory database, for tests and `compare`.
    pub fn open_in_memory() -> Result<Store> {
        Store::setup(Connection::open_in_memory()?, ":memory:")
    }

    fn setup(conn: Connection, name: &str) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // NORMAL loses nothing on an application crash; the transaction that
        // records a version, its change and its alerts runs under FULL (see record_version).
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A page cache of up to 64 MiB (SQLite's default is 2 MiB), taken only as pages are
        // read: story grouping's band key lookups and inserts land on random pages of a
        // table that grows with the archive (issue 15), and stay in memory instead of
        // going back to the file. Statements are prepared once: the store runs more
        // distinct statements than rusqlite's default cache of 16 holds.
        conn.pragma_update(None, "cache_size", -64 * 1024)?;
        conn.set_prepared_statement_cache_capacity(128);
        let mut conn = Conn::Sqlite(conn);
        migrate(&mut conn, name)?;
        Ok(Store::from_conn(conn))
    }
}

/// How many migrations the database has applied: SQLite's `user_version`, PostgreSQL's
/// `redline_schema` row (0 while the table does not exist). Reads only.
pub(super) fn schema_version(conn: &mut Conn) -> Result<i64> {
    match conn.engine() {
        Engine::Sqlite => conn.scalar("PRAGMA user_version", &[]),
        Engine::Postgres => {
            let exists: bool =
                conn.scalar("SELECT CASE WHEN to_regclass('redline_schema') IS NULL THEN 0 ELSE 1 END", &[])?;
            if !exists {
                return Ok(0);
            }
            Ok(conn.scalar::<Option<i64>>("SELECT MAX(version) FROM redline_schema", &[])?.unwrap_or(0))
        }
    }
}

fn set_schema_version(conn: &mut Conn, version: i64) -> Result<()> {
    match conn.engine() {
        Engine::Sqlite => conn.batch(&format!("PRAGMA user_version = {version}")),
        Engine::Postgres => {
            conn.execute("DELETE FROM redline_schema", &[])?;
            conn.execute("INSERT INTO redline_schema (version) VALUES (?1)", params![version]).map(drop)
        }
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
            " (the file is read-only for this user)".to_string()
        }
        Ok(_) => String::new(),
    }
}

fn migrate(conn: &mut Conn, name: &str) -> Result<()> {
    let migrations = match conn.engine() {
        Engine::Sqlite => MIGRATIONS,
        Engine::Postgres => PG_MIGRATIONS,
    };
    let known = migrations.len() as i64;
    let too_new = |found| StoreError::TooNew { path: name.to_string(), found, known };
    // Up to date: no write lock taken, so a database that is full, read-only or
    // locked by a writer still opens for reading.
    let current = schema_version(conn)?;
    if current > known {
        return Err(too_new(current));
    }
    if current == known {
        return Ok(());
    }
    conn.transaction(|tx| {
        if tx.engine() == Engine::Postgres {
            // Held to the commit: a second process migrating at the same time waits here.
            tx.execute("SELECT pg_advisory_xact_lock(?1)", params![PG_MIGRATION_LOCK])?;
            tx.batch("CREATE TABLE IF NOT EXISTS redline_schema (version BIGINT NOT NULL)")?;
        }
        // Read again under the lock: another process may have migrated meanwhile.
        let version = schema_version(tx)?;
        if version > known {
            return Err(too_new(version));
        }
        for sql in &migrations[version as usize..] {
            tx.batch(sql)?;
        }
        set_schema_version(tx, known)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    /// A database file as a Redline that knew only the first `version` migrations left it.
    fn database_at(path: &std::path::Path, version: usize) -> Connection {
        let conn = Connection::open(path).unwrap();
        for sql in &MIGRATIONS[..version] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", version as i64).unwrap();
        conn
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
    fn a_version_7_lease_gets_an_owner_and_an_expiry_and_expires_like_any_other() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let conn = database_at(&path, 7);
        // A check leased until 400 by a run before leases had owners, and a free article.
        conn.execute_batch(
            "INSERT INTO sources (kind, url, schedule, created_at) VALUES ('feed', 'https://a/rss', 'every 10m', 0);
             INSERT INTO articles (source_id, url, first_seen, next_check, leased) VALUES (1, 'https://a/1', 0, 400, 1);
             INSERT INTO articles (source_id, url, first_seen, next_check) VALUES (1, 'https://a/2', 0, 100);",
        )
        .unwrap();
        drop(conn);
        let store = Store::open(&path).unwrap();
        let leases = store.query_rows("SELECT lease_owner, lease_until FROM articles ORDER BY id", &[]).unwrap();
        assert_eq!(leases[0].get::<Option<i64>>(1).unwrap(), Some(400));
        assert!(leases[0].get::<Option<String>>(0).unwrap().is_some());
        assert_eq!(leases[1].get::<Option<String>>(0).unwrap(), None);
        let ids = |rows: Vec<crate::store::ArticleRow>| rows.iter().map(|a| a.id).collect::<Vec<_>>();
        assert_eq!(ids(store.claim_due_articles(399, 999, 10, true).unwrap()), vec![2]);
        assert_eq!(ids(store.claim_due_articles(400, 999, 10, true).unwrap()), vec![1]);
        assert!(store.workers().unwrap().is_empty(), "the workers table is there");
    }

    #[test]
    fn a_version_6_database_gains_the_screenshots_table_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        // A database as Redline with six migrations left it, with one stored version.
        let conn = database_at(&path, 6);
        conn.execute_batch(
            "INSERT INTO sources (kind, url, schedule, created_at) VALUES ('article', 'https://a/1', 'every 10m', 0);
             INSERT INTO articles (source_id, url, first_seen) VALUES (1, 'https://a/1', 0);
             INSERT INTO versions (article_id, number, fetched_at, content_hash, title, paragraphs)
             VALUES (1, 1, 5, 'h', 'Old', '[\"kept\"]');",
        )
        .unwrap();
        drop(conn);
        let store = Store::open(&path).unwrap();
        let version: i64 = store.conn().scalar("PRAGMA user_version", &[]).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let old = store.version(1, 1).unwrap().unwrap();
        assert_eq!((old.article.title.as_deref(), old.article.paragraphs.clone()), (Some("Old"), vec!["kept".into()]));
        assert_eq!(store.screenshot_info(1, 1).unwrap(), None);
        // The new table takes rows, and they go with their version.
        let png = crate::screenshot::encode(&image::RgbImage::new(3, 2));
        store
            .conn()
            .execute(
                "INSERT INTO screenshots (version_id, taken_at, width, height, bytes, png) VALUES (?1, 5, 3, 2, ?2, ?3)",
                params![old.id, png.len(), png],
            )
            .unwrap();
        assert_eq!(store.screenshot_info(1, 1).unwrap().map(|i| (i.width, i.height)), Some((3, 2)));
        store.conn().execute("DELETE FROM versions WHERE id = ?1", params![old.id]).unwrap();
        assert_eq!(store.count(crate::store::Table::Screenshots).unwrap(), 0, "ON DELETE CASCADE");
    }

    #[test]
    fn a_version_13_outbox_row_gets_its_version_and_its_event() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let conn = database_at(&path, 13);
        conn.execute_batch(
            "INSERT INTO sources (kind, url, schedule, created_at) VALUES ('article', 'https://a/1', 'every 10m', 0);
             INSERT INTO articles (source_id, url, first_seen) VALUES (1, 'https://a/1', 0);
             INSERT INTO versions (article_id, number, fetched_at, content_hash, paragraphs) VALUES (1, 1, 5, 'a', '[]');
             INSERT INTO versions (article_id, number, fetched_at, content_hash, paragraphs) VALUES (1, 2, 6, 'b', '[]');
             INSERT INTO changes (article_id, from_version, to_version, created_at, kinds, significance, summary, diff)
             VALUES (1, 1, 2, 6, '[]', 0.5, 's', '{}');
             INSERT INTO deliveries (change_id, channel, event_id, payload, next_attempt, created_at, lease_owner)
             VALUES (1, 'webhook:h', 'm1', '{}', 6, 6, 'w1');
             INSERT INTO deliveries (change_id, channel, event_id, payload, next_attempt, created_at)
             VALUES (1, 'archive:web.archive.org', 'm2', '{}', 6, 6);",
        )
        .unwrap();
        drop(conn);
        let store = Store::open(&path).unwrap();
        let rows = store
            .conn()
            .query("SELECT version_id, change_id, event, lease_owner FROM deliveries ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap(), r.get(3).unwrap()))
            .collect::<Vec<(i64, Option<i64>, String, Option<String>)>>();
        assert_eq!(
            rows,
            [(2, Some(1), "article.changed".into(), Some("w1".into())), (2, Some(1), "version.archive".into(), None)]
        );
        assert_eq!(store.deliveries("pending").unwrap().len(), 2);
    }

    #[test]
    fn postgres_migrates_once_and_refuses_a_newer_schema() {
        let db = crate::store::pg::TestDatabase::create(&crate::store::pg::test_server_url()).unwrap();
        drop(Store::open_url(&db.url).unwrap());
        let store = Store::open_url(&db.url).unwrap();
        assert_eq!(store.ping().unwrap(), PG_MIGRATIONS.len() as i64);
        assert_eq!(store.conn().scalar::<i64>("SELECT COUNT(*) FROM redline_schema", &[]).unwrap(), 1);
        store.conn().execute("UPDATE redline_schema SET version = 99", &[]).unwrap();
        drop(store);
        let err = Store::open_url(&db.url).err().unwrap().to_string();
        let known = format!("schema version 99, newer than this Redline knows ({})", PG_MIGRATIONS.len());
        assert!(err.contains(&known), "{err}");
        assert!(err.contains("root@127.0.0.1:5432/redline_test_") || err.contains("/redline_test_"), "{err}");
    }

    #[test]
    fn postgres_calls_work_on_plain_threads_the_blocking_pool_and_async_workers() {
        let db = crate::store::pg::TestDatabase::create(&crate::store::pg::test_server_url()).unwrap();
        let store = std::sync::Arc::new(Store::open_url(&db.url).unwrap());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let on_pool = std::sync::Arc::clone(&store);
        let pooled = runtime.block_on(async move {
            // An async worker thread first (a blocking call there is a SQLite call's behaviour too)…
            let inline = on_pool.ping().unwrap();
            // …then tokio's blocking pool, where the daemon's store calls run.
            let pooled = crate::store::blocking(move || on_pool.ping()).await.unwrap().unwrap();
            inline + pooled
        });
        let plain = std::thread::spawn(move || store.ping().unwrap()).join().unwrap();
        let known = PG_MIGRATIONS.len() as i64;
        assert_eq!((pooled, plain), (2 * known, known));
        // A store dropped inside an async context shuts its runtime down without blocking.
        let store = Store::open_url(&db.url).unwrap();
        runtime.block_on(async move { drop(store) });
    }
}
