//! The `sources` table: what is watched (an article URL or a feed), from the
//! config or the command line, and when each source is next due.

use super::sql::{Row, params};
use super::{Result, Store, Table, lease_done, lease_free};

/// What a source watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// One article URL.
    Article,
    /// A feed of articles.
    Feed,
}

impl SourceKind {
    pub(super) fn as_str(self) -> &'static str {
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

const SOURCE_SELECT: &str =
    "SELECT id, kind, url, schedule, rules, enabled, next_check, last_checked, last_error, failures FROM sources";

fn source_row(r: &Row) -> Result<SourceRow> {
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

impl Store {
    /// Makes the config's watches the enabled config sources: new ones are
    /// added (due now), changed ones updated (their due time kept, so a restart
    /// causes no burst), and config sources no longer listed disabled.
    pub fn sync_config_sources(&self, sources: &[NewSource], now: i64) -> Result<()> {
        self.conn().transaction(|tx| {
            tx.execute("UPDATE sources SET enabled = 0 WHERE from_config = 1", &[])?;
            for s in sources {
                tx.execute(
                    "INSERT INTO sources (kind, url, schedule, rules, enabled, from_config, created_at, next_check)
                     VALUES (?1, ?2, ?3, ?4, 1, 1, ?5, ?5)
                     ON CONFLICT (url) DO UPDATE SET kind = ?1, schedule = ?3, rules = ?4, enabled = 1, from_config = 1",
                    params![s.kind.as_str(), &s.url, &s.schedule, &s.rules, now],
                )?;
            }
            Ok(())
        })
    }

    /// Adds (or re-enables) a source from the command line.
    pub fn add_source(&self, s: &NewSource, now: i64) -> Result<i64> {
        self.conn().scalar(
            "INSERT INTO sources (kind, url, schedule, rules, enabled, from_config, created_at, next_check)
             VALUES (?1, ?2, ?3, ?4, 1, 0, ?5, ?5)
             ON CONFLICT (url) DO UPDATE SET kind = ?1, schedule = ?3, enabled = 1
             RETURNING id",
            params![s.kind.as_str(), &s.url, &s.schedule, &s.rules, now],
        )
    }

    /// Every source, enabled or not.
    pub fn sources(&self) -> Result<Vec<SourceRow>> {
        self.conn().query(&format!("{SOURCE_SELECT} ORDER BY id"), &[])?.iter().map(source_row).collect()
    }

    /// Claims the enabled sources due at `now` (all of them if `all`) that no worker
    /// holds a live lease on, leasing them to this worker until `lease_until` and
    /// pushing their due time there, so that a crash mid-check retries them later.
    /// A listing is read by one worker at a time.
    pub fn claim_due_sources(&self, now: i64, lease_until: i64, all: bool) -> Result<Vec<SourceRow>> {
        let mut conn = self.conn();
        let sql = format!(
            "{SOURCE_SELECT} WHERE enabled = 1 AND (?2 = 1 OR next_check IS NULL OR next_check <= ?1) AND {}
             ORDER BY next_check{}",
            lease_free("sources", 1),
            conn.skip_locked("sources")
        );
        conn.transaction(|tx| {
            let rows: Vec<SourceRow> =
                tx.query(&sql, params![now, all])?.iter().map(source_row).collect::<Result<_>>()?;
            for r in &rows {
                tx.execute(
                    "UPDATE sources SET next_check = ?2, leased = 1, lease_owner = ?3, lease_until = ?2 WHERE id = ?1",
                    params![r.id, lease_until, &self.worker],
                )?;
            }
            Ok(rows)
        })
    }

    /// Records the end of a source check (its lease cleared if this worker holds it).
    pub fn finish_source(&self, id: i64, at: i64, next_check: i64, error: Option<&str>) -> Result<()> {
        self.conn().execute(
            &format!(
                "UPDATE sources SET last_checked = ?2, next_check = ?3, last_error = ?4, {},
                        failures = CASE WHEN CAST(?4 AS TEXT) IS NULL THEN 0 ELSE failures + 1 END
                 WHERE id = ?1",
                lease_done(5)
            ),
            params![id, at, next_check, error, &self.worker],
        )?;
        Ok(())
    }

    /// Makes these claimed sources due at `now` again and no longer leased (their
    /// check could not be recorded). Sources already finished, or never claimed,
    /// are left alone. Returns how many were released.
    pub fn release_sources(&self, ids: &[i64], now: i64) -> Result<usize> {
        self.release(Table::Sources, ids, now)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::fixtures::each_store;
    use crate::store::fixtures::source;

    #[test]
    fn sync_keeps_due_times_and_disables_removed_sources() {
        each_store(|store| {
            store.sync_config_sources(&[source("https://a/rss"), source("https://b/rss")], 100).unwrap();
            let claimed = store.claim_due_sources(100, 160, false).unwrap();
            assert_eq!(claimed.len(), 2);
            assert!(store.claim_due_sources(120, 180, false).unwrap().is_empty(), "leased sources are not due");
            store.finish_source(claimed[0].id, 110, 700, None).unwrap();
            store.sync_config_sources(&[source("https://a/rss")], 200).unwrap();
            let all = store.sources().unwrap();
            assert_eq!(all[0].next_check, Some(700), "a restart keeps the schedule");
            assert!(all[0].enabled && !all[1].enabled);
        });
    }

    #[test]
    fn released_sources_are_due_again_but_finished_ones_keep_their_time() {
        each_store(|store| {
            let urls = ["https://a/rss", "https://b/rss", "https://c/rss"];
            store.sync_config_sources(&urls.map(source), 100).unwrap();
            let claimed = store.claim_due_sources(100, 400, false).unwrap();
            let ids: Vec<i64> = claimed.iter().map(|s| s.id).collect();
            store.finish_source(ids[0], 110, 700, None).unwrap();
            // The first finished, the second failed to record, the third is still in flight; 99 is unknown.
            assert_eq!(store.release_sources(&[ids[0], ids[1], 99], 150).unwrap(), 1);
            assert_eq!(store.release_sources(&[ids[1]], 160).unwrap(), 0, "released once");
            let all = store.sources().unwrap();
            let due: Vec<Option<i64>> = all.iter().map(|s| s.next_check).collect();
            assert_eq!(due, vec![Some(700), Some(150), Some(400)]);
            let again = store.claim_due_sources(150, 450, false).unwrap();
            assert_eq!(again.iter().map(|s| s.id).collect::<Vec<_>>(), vec![ids[1]]);
            assert_eq!(store.release_sources(&[], 150).unwrap(), 0);
        });
    }
}
