//! The PostgreSQL side of the SQL layer: a tokio-postgres connection driven by
//! a small runtime the connection owns, statements prepared once and cached,
//! `?N` placeholders rewritten to `$N`, and [`Value`] sent and read whatever
//! the column's exact type (INT4 or INT8, TEXT or JSON…).
//!
//! The store's API is synchronous. The connection's socket is served by the
//! runtime's own worker thread; a call only waits for the answer ([`wait`]),
//! so it works on any thread, a plain one, tokio's blocking pool or (like a
//! SQLite call) an async worker, and never needs a runtime of the caller's.
//!
//! The password comes from the URL, else `PGPASSWORD`, else the password file
//! (`PGPASSFILE`, by default `~/.pgpass`), as libpq does.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::str::FromStr;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use bytes::BytesMut;
use tokio_postgres::config::Host;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{Client, Config, NoTls, Statement};

use super::value::{Row, Value};
use super::{Result, StoreError};

type BoxError = Box<dyn std::error::Error + Sync + Send>;

/// One PostgreSQL session.
pub struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// Serves the socket; shut down (without waiting) when the connection goes.
    runtime: Option<tokio::runtime::Runtime>,
    /// `user@host:port/db`, for messages (never the password).
    target: String,
}

impl Drop for PgConn {
    fn drop(&mut self) {
        // Dropping a runtime may not block inside an async context; this never does.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Waits for a future on this thread. The futures of a tokio-postgres client only
/// exchange messages with the connection task (which the runtime's worker runs),
/// so they need no runtime here.
fn wait<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(v) => return v,
            // A spurious wake-up only polls once more.
            Poll::Pending => std::thread::park(),
        }
    }
}

/// The URL parsed, with the password filled in from the environment or the password file.
pub fn config(url: &str) -> std::result::Result<Config, String> {
    let mut config = Config::from_str(url).map_err(|e| format!("not a PostgreSQL URL ({e})"))?;
    if config.get_user().is_none() {
        let user = std::env::var("PGUSER").or_else(|_| std::env::var("USER")).unwrap_or_else(|_| "postgres".into());
        config.user(user);
    }
    if config.get_hosts().is_empty() {
        config.host("localhost");
    }
    if config.get_password().is_none() {
        if let Ok(password) = std::env::var("PGPASSWORD") {
            config.password(password);
        } else if let Some(password) = passfile_password(&config) {
            config.password(password);
        }
    }
    Ok(config)
}

/// `user@host:port/db` of a configuration.
pub fn target(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("");
    format!("{user}@{host}:{port}/{}", config.get_dbname().unwrap_or(user))
}

fn passfile_password(config: &Config) -> Option<String> {
    let path = match std::env::var_os("PGPASSFILE") {
        Some(p) => std::path::PathBuf::from(p),
        None => std::path::PathBuf::from(std::env::var_os("HOME")?).join(".pgpass"),
    };
    let text = std::fs::read_to_string(path).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        _ => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let user = config.get_user().unwrap_or("");
    let db = config.get_dbname().unwrap_or(user);
    pgpass_lookup(&text, [&host, &port, db, user])
}

/// The password of the first line of a `.pgpass` file matching host, port,
/// database and user (`*` matches anything; `\:` and `\\` are escapes).
pub fn pgpass_lookup(text: &str, wanted: [&str; 4]) -> Option<String> {
    text.lines().filter(|l| !l.trim_start().starts_with('#')).find_map(|line| {
        let fields = pgpass_fields(line);
        if fields.len() != 5 {
            return None;
        }
        let matches = fields[..4].iter().zip(wanted).all(|(f, w)| f == "*" || f == w);
        matches.then(|| fields[4].clone())
    })
}

fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().expect("never empty").extend(chars.next()),
            ':' => fields.push(String::new()),
            c => fields.last_mut().expect("never empty").push(c),
        }
    }
    fields
}

/// `?1` placeholders as `$1`, outside quoted strings and identifiers.
pub fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '?') if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

impl PgConn {
    /// Connects; `application_name` tells the server (and `pg_stat_activity`) who this is.
    pub fn connect(config: &Config, application_name: &str) -> Result<PgConn> {
        let mut config = config.clone();
        config.application_name(application_name);
        let target = target(&config);
        let open = |source| StoreError::PgOpen { target: target.clone(), source };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("redline-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Value(format!("cannot start the PostgreSQL runtime: {e}")))?;
        let (client, connection) = wait(runtime.spawn(async move { config.connect(NoTls).await }))
            .map_err(|e| StoreError::Value(format!("the PostgreSQL connection task failed: {e}")))?
            .map_err(open)?;
        runtime.spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(%error, "PostgreSQL connection closed.");
            }
        });
        let mut conn = PgConn { client, statements: HashMap::new(), runtime: Some(runtime), target: target.clone() };
        // Warnings such as "there is no transaction in progress" are not the log's business.
        conn.batch("SET client_min_messages = error").map_err(|e| match e {
            StoreError::Postgres(source) => open(source),
            other => other,
        })?;
        Ok(conn)
    }

    /// `user@host:port/db`.
    pub fn target(&self) -> &str {
        &self.target
    }

    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let statement = wait(self.client.prepare(&dollar_placeholders(sql)))?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    pub(super) fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize> {
        let statement = self.statement(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as _).collect();
        let n = wait(self.client.execute(&statement, &refs))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    pub(super) fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as _).collect();
        let rows = wait(self.client.query(&statement, &refs))?;
        rows.iter()
            .map(|r| (0..r.len()).map(|i| r.try_get::<_, Value>(i)).collect::<std::result::Result<_, _>>().map(Row))
            .collect::<std::result::Result<_, _>>()
            .map_err(StoreError::from)
    }

    pub(super) fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(wait(self.client.batch_execute(sql))?)
    }
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match (self, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Int(i), &Type::INT8) => i.to_sql(ty, out),
            (Value::Int(i), &Type::INT4) => i32::try_from(*i)?.to_sql(ty, out),
            (Value::Int(i), &Type::INT2) => i16::try_from(*i)?.to_sql(ty, out),
            (Value::Int(i), &Type::BOOL) => (*i != 0).to_sql(ty, out),
            #[allow(clippy::cast_precision_loss)]
            (Value::Int(i), &Type::FLOAT8) => (*i as f64).to_sql(ty, out),
            (Value::Real(f), &Type::FLOAT8) => f.to_sql(ty, out),
            #[allow(clippy::cast_possible_truncation)]
            (Value::Real(f), &Type::FLOAT4) => (*f as f32).to_sql(ty, out),
            (Value::Text(s), &Type::TEXT | &Type::VARCHAR | &Type::NAME | &Type::BPCHAR | &Type::JSON) => {
                s.as_str().to_sql(ty, out)
            }
            (Value::Blob(b), &Type::BYTEA) => b.as_slice().to_sql(ty, out),
            (v, ty) => Err(format!("cannot send {v:?} as a PostgreSQL {ty}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Value, BoxError> {
        Ok(match *ty {
            Type::VOID => Value::Null,
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => Value::Blob(Vec::<u8>::from_sql(ty, raw)?),
            Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR | Type::JSON | Type::UNKNOWN => {
                Value::Text(String::from_sql(ty, raw)?)
            }
            _ => return Err(format!("a column of type {ty} cannot be read (cast it to BIGINT or TEXT)").into()),
        })
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Value, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// The PostgreSQL server the tests use: `REDLINE_TEST_POSTGRES`, by default the local one.
pub fn test_server_url() -> String {
    std::env::var("REDLINE_TEST_POSTGRES").unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into())
}

/// A fresh, empty PostgreSQL database for one test, dropped (with its sessions) when this goes.
pub struct TestDatabase {
    admin: PgConn,
    name: String,
    /// Its URL.
    pub url: String,
}

impl TestDatabase {
    /// Creates one on the server at `server_url` (any database there the user may connect to).
    pub fn create(server_url: &str) -> Result<TestDatabase> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let mut admin = PgConn::connect(&config(server_url).map_err(StoreError::Value)?, "redline tests")?;
        drop_stale_databases(&mut admin)?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let name = format!("redline_test_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        admin.batch(&format!("CREATE DATABASE {name} TEMPLATE template0"))?;
        let mut url = url::Url::parse(server_url).map_err(|e| StoreError::Value(format!("{server_url}: {e}")))?;
        url.set_path(&name);
        Ok(TestDatabase { admin, name, url: url.to_string() })
    }
}

/// Drops the test databases of test processes that are gone (a test killed midway, or
/// databases kept for a whole test process), once per process.
fn drop_stale_databases(admin: &mut PgConn) -> Result<()> {
    static DONE: std::sync::Once = std::sync::Once::new();
    let mut outcome = Ok(());
    DONE.call_once(|| {
        outcome = (|| {
            let rows = admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'redline_test_%'", &[])?;
            for row in rows {
                let name: String = row.get(0)?;
                let pid = name.trim_start_matches("redline_test_").split('_').next().unwrap_or("");
                if !std::path::Path::new("/proc").join(pid).exists() {
                    admin.batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
                }
            }
            Ok(())
        })();
    });
    outcome
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = self.admin.batch(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rewritten_outside_quotes() {
        assert_eq!(
            dollar_placeholders("SELECT ?1, '?2', \"a?3\" WHERE x = ?12"),
            "SELECT $1, '?2', \"a?3\" WHERE x = $12"
        );
        assert_eq!(dollar_placeholders("a = ? AND 'it''s ?1'"), "a = ? AND 'it''s ?1'");
    }

    #[test]
    fn pgpass_lines_match_by_field_with_wildcards_and_escapes() {
        let text = "# comment\nother:5432:*:root:nope\n127.0.0.1:*:test:root:se\\:cret\n*:*:*:*:any\n";
        assert_eq!(pgpass_lookup(text, ["127.0.0.1", "5432", "test", "root"]).as_deref(), Some("se:cret"));
        assert_eq!(pgpass_lookup(text, ["other", "5432", "x", "root"]).as_deref(), Some("nope"));
        assert_eq!(pgpass_lookup(text, ["h", "1", "d", "u"]).as_deref(), Some("any"));
        assert_eq!(pgpass_lookup("h:1:d:u\n", ["h", "1", "d", "u"]), None, "four fields is no line");
    }

    #[test]
    fn a_url_without_password_names_its_target() {
        let c = config("postgres://alice@db.example:6000/news").unwrap();
        assert_eq!(target(&c), "alice@db.example:6000/news");
        assert!(config("postgres://a@b:notaport/x").unwrap_err().contains("not a PostgreSQL URL"));
    }
}
