//! The store's SQL layer: one value type, rows with typed getters, and a
//! connection to SQLite or PostgreSQL that runs the same statements.
//!
//! Every table module is written once against [`Conn`], in SQL that both
//! engines accept, with `?1`-style placeholders (rewritten to `$1` for
//! PostgreSQL). The few things the two engines spell differently live here:
//! placeholders, id lists ([`Conn::json_ints`]), transactions (`BEGIN IMMEDIATE`
//! on SQLite), durable commits ([`Conn::durable`]) and the schema version.

use rusqlite::types::{ToSqlOutput, ValueRef};

use super::pg::PgConn;
pub(crate) use super::value::params;
pub use super::value::{FromValue, Row, Value};
use super::{Result, StoreError};

/// Which engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// An SQLite file (or memory).
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// A connection to either engine.
pub enum Conn {
    /// SQLite.
    Sqlite(rusqlite::Connection),
    /// PostgreSQL.
    Postgres(PgConn),
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn sqlite_value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn sqlite_rows(conn: &rusqlite::Connection, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let width = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(Row((0..width).map(|i| r.get_ref(i).map(sqlite_value)).collect::<rusqlite::Result<_>>()?));
    }
    Ok(out)
}

impl Conn {
    /// The engine behind this connection.
    pub fn engine(&self) -> Engine {
        match self {
            Conn::Sqlite(_) => Engine::Sqlite,
            Conn::Postgres(_) => Engine::Postgres,
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas, the OS error).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Conn::Sqlite(c) => Some(c),
            Conn::Postgres(_) => None,
        }
    }

    /// Runs one statement; returns how many rows it changed.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize> {
        match self {
            Conn::Sqlite(c) => Ok(c.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params))?),
            Conn::Postgres(c) => c.execute(sql, params),
        }
    }

    /// Runs one query; returns every row.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        match self {
            Conn::Sqlite(c) => sqlite_rows(c, sql, params),
            Conn::Postgres(c) => c.query(sql, params),
        }
    }

    /// The first row of a query, if any.
    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The first row of a query, which must have one.
    pub fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row> {
        self.query_opt(sql, params)?.ok_or_else(|| StoreError::Value("the query returned no row".into()))
    }

    /// The first column of the first row.
    pub fn scalar<T: FromValue>(&mut self, sql: &str, params: &[Value]) -> Result<T> {
        self.query_one(sql, params)?.get(0)
    }

    /// Runs several statements with no parameters (migrations).
    pub fn batch(&mut self, sql: &str) -> Result<()> {
        match self {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Postgres(c) => c.batch(sql),
        }
    }

    /// Runs `f` in one transaction: committed when it returns Ok, rolled back
    /// otherwise. On SQLite the write lock is taken at the start (`BEGIN
    /// IMMEDIATE`), so a writer waits for it instead of failing halfway.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        self.batch(match self.engine() {
            Engine::Sqlite => "BEGIN IMMEDIATE",
            Engine::Postgres => "BEGIN",
        })?;
        // A panic inside `f` leaves the transaction open: the guard rolls it back.
        let mut guard = Rollback(Some(self));
        let conn = guard.0.as_deref_mut().expect("set above");
        let outcome = f(conn).and_then(|value| conn.batch("COMMIT").map(|()| value));
        if outcome.is_ok() {
            guard.0 = None;
        }
        outcome
    }

    /// Runs `f` (a transaction) so that its commit survives a power loss: on SQLite
    /// under `synchronous = FULL`, back to NORMAL afterwards whatever the outcome;
    /// PostgreSQL's commits are flushed anyway.
    pub fn durable<T>(&mut self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        if self.engine() == Engine::Postgres {
            return f(self);
        }
        self.batch("PRAGMA synchronous = FULL")?;
        let outcome = f(self);
        // No transaction is open now, so the level may change. The write's outcome is what
        // the caller gets: a commit is not reported as a failure because the restore failed
        // (the connection then stays on FULL, slower but safe, until the next durable write).
        let _ = self.batch("PRAGMA synchronous = NORMAL");
        outcome
    }

    /// SQL for the set of integers in the JSON array bound to parameter `n` (`[1, 2]`),
    /// for `id IN (…)`: one statement whatever the length of the list.
    pub fn json_ints(&self, n: usize) -> String {
        match self.engine() {
            Engine::Sqlite => format!("(SELECT value FROM json_each(?{n}))"),
            Engine::Postgres => {
                format!("(SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(?{n} AS JSON)))")
            }
        }
    }

    /// The suffix of a claim's SELECT that locks the rows of `table` it reads, skipping
    /// rows another transaction holds: PostgreSQL's `FOR UPDATE OF … SKIP LOCKED`, so
    /// that two workers claiming at once never wait for each other nor get the same
    /// row. Empty on SQLite, where `BEGIN IMMEDIATE` already lets one writer in at a time.
    pub fn skip_locked(&self, table: &str) -> String {
        match self.engine() {
            Engine::Sqlite => String::new(),
            Engine::Postgres => format!(" FOR UPDATE OF {table} SKIP LOCKED"),
        }
    }

    /// SQL for the set of strings in the JSON array bound to parameter `n`.
    pub fn json_texts(&self, n: usize) -> String {
        match self.engine() {
            Engine::Sqlite => format!("(SELECT value FROM json_each(?{n}))"),
            Engine::Postgres => format!("(SELECT value FROM json_array_elements_text(CAST(?{n} AS JSON)))"),
        }
    }
}

/// Rolls back the transaction of a [`Conn::transaction`] that did not commit.
struct Rollback<'a>(Option<&'a mut Conn>);

impl Drop for Rollback<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            // Nothing more can be done about a failed rollback: the connection reports
            // the open transaction at its next BEGIN.
            let _ = conn.batch("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::pg::{self, TestDatabase};

    /// A table on SQLite and one on a fresh PostgreSQL database (kept alive by the guard).
    fn both() -> Vec<(Conn, Option<TestDatabase>)> {
        let mut sqlite = Conn::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        sqlite.batch("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, x REAL, s TEXT, b BLOB)").unwrap();
        let db = TestDatabase::create(&pg::test_server_url())
            .expect("PostgreSQL for the tests (scripts/test.sh starts one)");
        let config = pg::config(&db.url).unwrap();
        let mut postgres = Conn::Postgres(PgConn::connect(&config, "redline tests").unwrap());
        postgres
            .batch(
                "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n BIGINT,
                 x DOUBLE PRECISION, s TEXT, b BYTEA)",
            )
            .unwrap();
        vec![(sqlite, None), (postgres, Some(db))]
    }

    #[test]
    fn values_round_trip_and_wrong_types_are_errors() {
        for (mut conn, _db) in both() {
            let id: i64 = conn
                .scalar(
                    "INSERT INTO t (n, x, s, b) VALUES (?1, ?2, ?3, ?4) RETURNING id",
                    params![7_i64, 0.5, "text", &b"\x00\x01"[..]],
                )
                .unwrap();
            let row =
                conn.query_one("SELECT n, x, s, b, NULL, COUNT(*) OVER () FROM t WHERE id = ?1", params![id]).unwrap();
            assert_eq!(row.get::<i64>(0).unwrap(), 7);
            assert_eq!(row.get::<f64>(1).unwrap(), 0.5);
            assert_eq!(row.get::<String>(2).unwrap(), "text");
            assert_eq!(row.get::<Vec<u8>>(3).unwrap(), vec![0, 1]);
            assert_eq!(row.get::<Option<String>>(4).unwrap(), None);
            assert_eq!(row.get::<i64>(5).unwrap(), 1);
            let err = row.get::<i64>(2).unwrap_err().to_string();
            assert!(err.contains("column 2") && err.contains("Text"), "{err}");
            assert!(row.get::<i64>(9).is_err());
            // A NULL binds to any column's type, a boolean to an integer column.
            let none: Option<i64> = None;
            conn.execute("UPDATE t SET s = ?1, x = ?2 WHERE id = ?3", params![none, none, id]).unwrap();
            conn.execute("UPDATE t SET n = ?1 WHERE id = ?2", params![true, id]).unwrap();
            let row = conn.query_one("SELECT n, s, x FROM t", &[]).unwrap();
            assert_eq!((row.get::<i64>(0).unwrap(), row.get::<Option<String>>(1).unwrap()), (1, None));
        }
    }

    #[test]
    fn a_failed_transaction_rolls_back_and_the_connection_goes_on() {
        for (mut conn, _db) in both() {
            let failed: Result<()> = conn.transaction(|tx| {
                tx.execute("INSERT INTO t (n) VALUES (1)", &[])?;
                tx.execute("INSERT INTO nowhere VALUES (1)", &[])?;
                Ok(())
            });
            assert!(failed.is_err());
            assert_eq!(conn.scalar::<i64>("SELECT COUNT(*) FROM t", &[]).unwrap(), 0);
            conn.transaction(|tx| tx.execute("INSERT INTO t (n) VALUES (2)", &[])).unwrap();
            assert_eq!(conn.scalar::<i64>("SELECT COUNT(*) FROM t", &[]).unwrap(), 1);
            let id: i64 = conn.scalar("SELECT id FROM t", &[]).unwrap();
            let sql = format!("SELECT COUNT(*) FROM t WHERE id IN {}", conn.json_ints(1));
            assert_eq!(conn.scalar::<i64>(&sql, params![format!("[{id}, 99]")]).unwrap(), 1);
            let sql = format!("SELECT COUNT(*) FROM t WHERE 'b' IN {}", conn.json_texts(1));
            assert_eq!(conn.scalar::<i64>(&sql, params![r#"["a", "b"]"#]).unwrap(), 1);
        }
    }
}
