//! Copying a whole database into an empty one, SQLite to PostgreSQL or back
//! (`redline migrate-store`): every table, in the order its foreign keys need,
//! row ids kept, in one transaction on the target; then each table's row count
//! and content digest compared on both sides.

use sha2::{Digest, Sha256};

use super::sql::{Conn, Engine, Row, Value};
use super::{Result, Store, StoreError};

/// A table to copy: its name, its key (rows are read in key order, a page at a time; the
/// key's columns come first in `columns`) and every column, the same on both engines.
struct TableSpec {
    name: &'static str,
    key: &'static [&'static str],
    columns: &'static [&'static str],
    /// Whether `key` is an identity column whose sequence must move past the copied ids.
    identity: bool,
}

/// Every table, parents before children.
const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "sources",
        key: &["id"],
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
        key: &["id"],
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
        key: &["id"],
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
            "snapshot_url",
        ],
        identity: true,
    },
    TableSpec {
        name: "changes",
        key: &["id"],
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
        key: &["id"],
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
            "lease_owner",
            "lease_until",
        ],
        identity: true,
    },
    TableSpec {
        name: "fetch_log",
        key: &["id"],
        columns: &["id", "at", "url", "source_id", "article_id", "status", "bytes", "duration_ms", "outcome", "error"],
        identity: true,
    },
    TableSpec {
        name: "disabled_channels",
        key: &["channel"],
        columns: &["channel", "disabled_at", "reason"],
        identity: false,
    },
    TableSpec {
        name: "screenshots",
        key: &["version_id"],
        columns: &["version_id", "taken_at", "width", "height", "bytes", "png"],
        identity: false,
    },
    TableSpec { name: "article_aliases", key: &["url"], columns: &["url", "article_id", "added_at"], identity: false },
    TableSpec {
        name: "version_headlines",
        key: &["version_id"],
        columns: &["version_id", "headlines"],
        identity: false,
    },
    TableSpec { name: "stories", key: &["id"], columns: &["id", "created_at", "updated_at"], identity: true },
    TableSpec {
        name: "story_articles",
        key: &["article_id"],
        columns: &["article_id", "story_id", "source_id", "at", "shingles", "entities", "signatures", "grouped_at"],
        identity: false,
    },
    TableSpec {
        name: "story_keys",
        key: &["band_key", "day", "article_id"],
        columns: &["band_key", "day", "article_id"],
        identity: false,
    },
    TableSpec {
        name: "sitemap_validators",
        key: &["source_id", "url"],
        columns: &["source_id", "url", "etag", "last_modified"],
        identity: false,
    },
];

/// Tables not copied: coordination between the workers of a running daemon, rebuilt
/// by the daemon on the target as it runs (the next start each host allows and its
/// requests in flight, the workers' heartbeats) and a cache of each origin's
/// robots.txt, fetched again when it is missing. None of them is history.
pub const NOT_COPIED: &[&str] = &["host_turns", "host_slots", "host_robots", "workers"];

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

/// One page of `spec` after the key `after` (from the start when None), in key order.
fn page(conn: &mut Conn, spec: &TableSpec, after: Option<&[Value]>) -> Result<Vec<Row>> {
    let columns = spec.columns.join(", ");
    let (name, key) = (spec.name, spec.key.join(", "));
    match after {
        None => conn.query(&format!("SELECT {columns} FROM {name} ORDER BY {key} LIMIT {PAGE}"), &[]),
        Some(k) => {
            // A row value comparison, `(a, b) > (?1, ?2)`: both engines read it from the key's index.
            let marks: Vec<String> = (1..=k.len()).map(|i| format!("?{i}")).collect();
            conn.query(
                &format!(
                    "SELECT {columns} FROM {name} WHERE ({key}) > ({}) ORDER BY {key} LIMIT {PAGE}",
                    marks.join(", ")
                ),
                k,
            )
        }
    }
}

/// Calls `each` with every page of a table, in key order.
fn pages(store: &Store, spec: &TableSpec, mut each: impl FnMut(&[Row]) -> Result<()>) -> Result<()> {
    let mut after: Option<Vec<Value>> = None;
    loop {
        // The source's lock is taken a page at a time.
        let rows = page(&mut store.conn(), spec, after.as_deref())?;
        if rows.is_empty() {
            return Ok(());
        }
        each(&rows)?;
        if rows.len() < PAGE {
            return Ok(());
        }
        after = Some(rows[rows.len() - 1].0[..spec.key.len()].to_vec());
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
                            spec.name, spec.key[0]
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
        // Issue 15's history: a story and its band keys, an alias, headlines, a child sitemap's validators.
        let article = crate::extract::Article {
            paragraphs: vec!["The Harbour Bridge in Port Carrow closed.".into()],
            ..Default::default()
        };
        let story = sqlite.group_article(aid, 1, &crate::story::fingerprint(&article, 100), 50).unwrap();
        sqlite.ensure_source_article(1, "https://a/1?utm_source=x", 60, 70).unwrap();
        sqlite.record_headlines(aid, 2, r#"{"h1":"Two","og:title":"Two!"}"#).unwrap();
        let child = ("https://a/s1.xml".to_string(), Some("\"e1\"".to_string()), None);
        sqlite.set_sitemap_validators(1, std::slice::from_ref(&child)).unwrap();
        let db = TestDatabase::create(&test_server_url()).unwrap();
        let postgres = Store::open_url(&db.url).unwrap();
        let mut heard = Vec::new();
        let there = sqlite.copy_to(&postgres, &mut |table, rows| heard.push((table.to_string(), rows))).unwrap();
        assert!(heard.contains(&("versions".to_string(), 2)), "{heard:?}");
        let keys = crate::story::fingerprint(&article, 100).band_keys().len() as i64;
        // sources, articles, versions, changes, deliveries, disabled_channels; aliases,
        // headlines, stories, story_articles, story_keys, sitemap_validators.
        assert_eq!(there.iter().map(|t| t.rows).sum::<i64>(), 1 + 1 + 2 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + keys + 1);
        // Ids go on after the copied ones, and the copy reads like the original.
        record_change(&postgres, aid, 40, "three", vec![delivery("webhook:x", "m2", 40)]).unwrap();
        assert_eq!(postgres.versions(aid).unwrap().len(), 3);
        let back = Store::open_in_memory().unwrap();
        let again = postgres.copy_to(&back, &mut |_, _| {}).unwrap();
        assert_eq!(again, back.table_digests().unwrap());
        assert_eq!(back.latest_version(aid).unwrap().unwrap().article.paragraphs, vec!["three"]);
        assert_eq!(back.story_of(aid).unwrap(), Some(story));
        assert_eq!(back.alias_of("https://a/1?utm_source=x").unwrap(), Some(aid));
        assert_eq!(back.sitemap_validators(1).unwrap(), [child]);
        assert!(back.headline_history(aid, 0).unwrap().iter().any(|(_, h)| h.contains("Two!")));
        // Into a database that holds data: refused.
        let err = sqlite.copy_to(&back, &mut |_, _| {}).unwrap_err().to_string();
        assert!(err.contains("not empty") && err.contains("rows in sources"), "{err}");
    }

    #[test]
    fn every_table_and_column_is_copied_or_said_not_to_be() {
        let store = Store::open_in_memory().unwrap();
        let names = |sql: &str| -> Vec<String> {
            store.query_rows(sql, &[]).unwrap().iter().map(|r| r.get(0).unwrap()).collect()
        };
        // The full-text index (`versions_fts` and its shadow tables) is rebuilt from the versions.
        let tables = names(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             AND name NOT LIKE 'versions_fts%' ORDER BY name",
        );
        for table in &tables {
            if NOT_COPIED.contains(&table.as_str()) {
                continue;
            }
            let spec = TABLES.iter().find(|s| s.name == table).unwrap_or_else(|| panic!("{table} is not copied"));
            let mut columns = names(&format!("SELECT name FROM pragma_table_info('{table}') ORDER BY name"));
            let mut copied: Vec<String> = spec.columns.iter().map(|c| c.to_string()).collect();
            assert_eq!(&copied[..spec.key.len()], spec.key, "{table}: the key's columns come first");
            columns.sort();
            copied.sort();
            assert_eq!(columns, copied, "{table}: every column is copied");
        }
        assert!(TABLES.iter().all(|t| tables.contains(&t.name.to_string())));
    }
}
