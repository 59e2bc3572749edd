//! Copying a whole database into an empty one, SQLite to PostgreSQL or back
//! (`redline migrate-store`): every table, in the order its foreign keys need,
//! row ids kept, in one transaction on the target; then each table's row count
//! and content digest compared on both sides.

use sha2::{Digest, Sha256};

use super::sql::{Conn, Engine, Row, Value};
use super::{Result, Store, StoreError};

/// A table to copy: its name, its key (rows are read in key order, a page at a time) and
/// every column, the same on both engines.
struct TableSpec {
    name: &'static str,
    key: &'static str,
    columns: &'static [&'static str],
    /// Whether `key` is an identity column whose sequence must move past the copied ids.
    identity: bool,
}

/// Every table, parents before children.
const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "sources",
        key: "id",
        columns: &[
            "id",
            "kind",
            "url",
            "schedule",
            "rules",
            "enabled",
            "from_config",
            "created_at",
            "next_check",
            "last_checked",
            "last_error",
            "failures",
            "etag",
            "last_modified",
            "removed_at",
            "leased",
            "lease_owner",
            "lease_until",
        ],
        identity: true,
    },
    TableSpec {
        name: "articles",
        key: "id",
        columns: &[
            "id",
            "source_id",
            "url",
            "canonical_url",
            "first_seen",
            "last_checked",
            "last_changed",
            "next_check",
            "etag",
            "last_modified",
            "failures",
            "last_error",
            "state",
            "body_hash",
            "host",
            "leased",
            "lease_owner",
            "lease_until",
            "listed_at",
            "listed_title",
        ],
        identity: true,
    },
    TableSpec {
        name: "versions",
        key: "id",
        columns: &[
            "id",
            "article_id",
            "number",
            "fetched_at",
            "content_hash",
            "title",
            "byline",
            "published",
            "modified",
            "lang",
            "canonical_url",
            "paragraphs",
            "raw_html_zstd",
            "response_head",
            "imported",
        ],
        identity: true,
    },
    TableSpec {
        name: "changes",
        key: "id",
        columns: &[
            "id",
            "article_id",
            "from_version",
            "to_version",
            "created_at",
            "kinds",
            "significance",
            "summary",
            "diff",
            "imported",
        ],
        identity: true,
    },
    TableSpec {
        name: "deliveries",
        key: "id",
        columns: &[
            "id",
            "version_id",
            "change_id",
            "event",
            "channel",
            "event_id",
            "payload",
            "status",
            "attempts",
            "next_attempt",
            "last_error",
            "created_at",
            "delivered_at",
        ],
        identity: true,
    },
    TableSpec {
        name: "fetch_log",
        key: "id",
        columns: &["id", "at", "url", "source_id", "article_id", "status", "bytes", "duration_ms", "outcome", "error"],
        identity: true,
    },
    TableSpec {
        name: "disabled_channels",
        key: "channel",
        columns: &["channel", "disabled_at", "reason"],
        identity: false,
    },
    TableSpec {
        name: "screenshots",
        key: "version_id",
        columns: &["version_id", "taken_at", "width", "height", "bytes", "png"],
        identity: false,
    },
    TableSpec { name: "article_aliases", key: "url", columns: &["url", "article_id", "added_at"], identity: false },
    TableSpec { name: "version_headlines", key: "version_id", columns: &["version_id", "headlines"], identity: false },
];

/// Rows read (and written) at a time.
const PAGE: usize = 500;

/// One copied table: its rows and its content digest, equal on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    /// The table.
    pub table: &'static str,
    /// Rows copied.
    pub rows: i64,
    /// SHA-256 over every row's values, whatever order an engine returns them in.
    pub digest: String,
}

/// One page of `spec` after the key `after` (from the start when None).
fn page(conn: &mut Conn, spec: &TableSpec, after: Option<&Value>) -> Result<Vec<Row>> {
    let columns = spec.columns.join(", ");
    let (name, key) = (spec.name, spec.key);
    match after {
        None => conn.query(&format!("SELECT {columns} FROM {name} ORDER BY {key} LIMIT {PAGE}"), &[]),
        Some(k) => conn.query(
            &format!("SELECT {columns} FROM {name} WHERE {key} > ?1 ORDER BY {key} LIMIT {PAGE}"),
            std::slice::from_ref(k),
        ),
    }
}

/// Calls `each` with every page of a table, in key order.
fn pages(store: &Store, spec: &TableSpec, mut each: impl FnMut(&[Row]) -> Result<()>) -> Result<()> {
    let mut after: Option<Value> = None;
    loop {
        // The source's lock is taken a page at a time.
        let rows = page(&mut store.conn(), spec, after.as_ref())?;
        if rows.is_empty() {
            return Ok(());
        }
        each(&rows)?;
        if rows.len() < PAGE {
            return Ok(());
        }
        after = Some(rows[rows.len() - 1].0[0].clone());
    }
}

/// A value's bytes for the digest: a type tag, a length, the content.
fn feed(hasher: &mut Sha256, v: &Value) {
    let (tag, bytes): (u8, Vec<u8>) = match v {
        Value::Null => (0, Vec::new()),
        Value::Int(i) => (1, i.to_le_bytes().to_vec()),
        Value::Real(f) => (2, f.to_bits().to_le_bytes().to_vec()),
        Value::Text(s) => (3, s.as_bytes().to_vec()),
        Value::Blob(b) => (4, b.clone()),
    };
    hasher.update([tag]);
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(&bytes);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// The row count and content digest of every table, for comparing two databases.
    pub fn table_digests(&self) -> Result<Vec<TableCopy>> {
        TABLES.iter().map(|spec| self.table_digest(spec)).collect()
    }

    fn table_digest(&self, spec: &TableSpec) -> Result<TableCopy> {
        // Row digests sorted: the two engines may order text keys differently.
        let mut rows: Vec<[u8; 32]> = Vec::new();
        pages(self, spec, |page| {
            for row in page {
                let mut h = Sha256::new();
                row.0.iter().for_each(|v| feed(&mut h, v));
                rows.push(h.finalize().into());
            }
            Ok(())
        })?;
        rows.sort_unstable();
        let mut all = Sha256::new();
        rows.iter().for_each(|r| all.update(r));
        Ok(TableCopy { table: spec.name, rows: rows.len() as i64, digest: hex(&all.finalize()) })
    }

    /// Copies every table into `target`, which must be empty, in one transaction there, then
    /// checks that every table has the same rows and digest on both sides. `progress` hears
    /// each table's name and the rows copied so far.
    pub fn copy_to(&self, target: &Store, progress: &mut dyn FnMut(&str, i64)) -> Result<Vec<TableCopy>> {
        let filled: Vec<String> = TABLES
            .iter()
            .map(|t| Ok((t.name, target.conn().scalar::<i64>(&format!("SELECT COUNT(*) FROM {}", t.name), &[])?)))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(t, n)| format!("{n} rows in {t}"))
            .collect();
        if !filled.is_empty() {
            return Err(StoreError::Value(format!(
                "the target database is not empty ({}): migrate-store copies into an empty one",
                filled.join(", ")
            )));
        }
        let mut target_conn = target.conn();
        target_conn.transaction(|tx| {
            for spec in TABLES {
                let placeholders: Vec<String> = (1..=spec.columns.len()).map(|i| format!("?{i}")).collect();
                let insert = format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    spec.name,
                    spec.columns.join(", "),
                    placeholders.join(", ")
                );
                let mut copied = 0;
                pages(self, spec, |page| {
                    for row in page {
                        tx.execute(&insert, &row.0)?;
                    }
                    copied += page.len() as i64;
                    progress(spec.name, copied);
                    Ok(())
                })?;
                if spec.identity && tx.engine() == Engine::Postgres {
                    // Explicit ids leave the identity's sequence behind: move it past them.
                    tx.query(
                        &format!(
                            "SELECT setval(pg_get_serial_sequence('{0}', '{1}'), COALESCE(MAX({1}), 0) + 1, false) FROM {0}",
                            spec.name, spec.key
                        ),
                        &[],
                    )?;
                }
            }
            Ok(())
        })?;
        drop(target_conn);
        let source = self.table_digests()?;
        let copied = target.table_digests()?;
        for (s, t) in source.iter().zip(&copied) {
            if s != t {
                return Err(StoreError::Value(format!(
                    "{} differs after the copy: {} rows ({}) here, {} rows ({}) there",
                    s.table, s.rows, s.digest, t.rows, t.digest
                )));
            }
        }
        Ok(source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::{delivery, record_change, with_first_version};
    use crate::store::pg::{TestDatabase, test_server_url};

    #[test]
    fn a_database_round_trips_through_postgres_with_the_same_digests() {
        let sqlite = Store::open_in_memory().unwrap();
        let aid = with_first_version(&sqlite);
        record_change(&sqlite, aid, 20, "two", vec![delivery("webhook:x", "m1", 20)]).unwrap();
        sqlite.disable_channel("email:gone", 30, "410 Gone").unwrap();
        let db = TestDatabase::create(&test_server_url()).unwrap();
        let postgres = Store::open_url(&db.url).unwrap();
        let mut heard = Vec::new();
        let there = sqlite.copy_to(&postgres, &mut |table, rows| heard.push((table.to_string(), rows))).unwrap();
        assert!(heard.contains(&("versions".to_string(), 2)), "{heard:?}");
        assert_eq!(there.iter().map(|t| t.rows).sum::<i64>(), 1 + 1 + 2 + 1 + 1 + 1);
        // Ids go on after the copied ones, and the copy reads like the original.
        record_change(&postgres, aid, 40, "three", vec![delivery("webhook:x", "m2", 40)]).unwrap();
        assert_eq!(postgres.versions(aid).unwrap().len(), 3);
        let back = Store::open_in_memory().unwrap();
        let again = postgres.copy_to(&back, &mut |_, _| {}).unwrap();
        assert_eq!(again, back.table_digests().unwrap());
        assert_eq!(back.latest_version(aid).unwrap().unwrap().article.paragraphs, vec!["three"]);
        // Into a database that holds data: refused.
        let err = sqlite.copy_to(&back, &mut |_, _| {}).unwrap_err().to_string();
        assert!(err.contains("not empty") && err.contains("rows in sources"), "{err}");
    }
}
