//! The watches as the web UI and the API see them: each with the health of its
//! articles, and the writes a person makes from the page (add, pause, resume,
//! remove). Watches from the config file are refused: the next start would undo them.

use super::sql::{Row, params};
use super::{NewSource, Result, Store};

/// A watch (source) with its health.
#[derive(Debug, Clone)]
pub struct WatchRow {
    /// Row id.
    pub id: i64,
    /// `article` or `feed`.
    pub kind: String,
    /// The watched URL.
    pub url: String,
    /// Display name from the watch rules.
    pub name: Option<String>,
    /// Schedule spec (`every 10m`, `cron …`).
    pub schedule: String,
    /// False when paused or removed.
    pub enabled: bool,
    /// Written by the config file (changed there, not through the API).
    pub from_config: bool,
    /// When it was removed (kept for its history).
    pub removed_at: Option<i64>,
    /// When it was added.
    pub created_at: i64,
    /// When the watch itself (a feed) is next due.
    pub next_check: Option<i64>,
    /// When the watch itself was last checked.
    pub last_checked: Option<i64>,
    /// The watch's last failure.
    pub last_error: Option<String>,
    /// The watch's consecutive failures.
    pub failures: u32,
    /// Articles found through it.
    pub articles: i64,
    /// Of those, articles whose last check failed.
    pub failing_articles: i64,
    /// Latest check of any of its articles.
    pub articles_last_checked: Option<i64>,
    /// Earliest next check of its articles.
    pub articles_next_check: Option<i64>,
    /// Latest change of any of its articles.
    pub last_changed: Option<i64>,
    /// The latest error of any of its articles.
    pub article_error: Option<String>,
}

/// Result of a write to a watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchUpdate {
    /// Done.
    Done,
    /// No watch with that id.
    NotFound,
    /// The watch comes from the config file, which would undo the write at the next start.
    FromConfig,
}

const WATCH_SELECT: &str = "SELECT s.id, s.kind, s.url, s.schedule, s.rules, s.enabled, s.from_config, s.removed_at,
        s.created_at, s.next_check, s.last_checked, s.last_error, s.failures,
        (SELECT COUNT(*) FROM articles a WHERE a.source_id = s.id),
        (SELECT COUNT(*) FROM articles a WHERE a.source_id = s.id AND a.failures > 0),
        (SELECT MAX(a.last_checked) FROM articles a WHERE a.source_id = s.id),
        (SELECT MIN(a.next_check) FROM articles a WHERE a.source_id = s.id AND a.state = 'active'),
        (SELECT MAX(a.last_changed) FROM articles a WHERE a.source_id = s.id),
        (SELECT a.last_error FROM articles a WHERE a.source_id = s.id AND a.last_error IS NOT NULL
            ORDER BY a.last_checked DESC LIMIT 1)
    FROM sources s";

fn watch_row(r: &Row) -> Result<WatchRow> {
    let rules: String = r.get(4)?;
    let name = serde_json::from_str::<serde_json::Value>(&rules)
        .ok()
        .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_string));
    Ok(WatchRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        url: r.get(2)?,
        name,
        schedule: r.get(3)?,
        enabled: r.get(5)?,
        from_config: r.get(6)?,
        removed_at: r.get(7)?,
        created_at: r.get(8)?,
        next_check: r.get(9)?,
        last_checked: r.get(10)?,
        last_error: r.get(11)?,
        failures: r.get(12)?,
        articles: r.get(13)?,
        failing_articles: r.get(14)?,
        articles_last_checked: r.get(15)?,
        articles_next_check: r.get(16)?,
        last_changed: r.get(17)?,
        article_error: r.get(18)?,
    })
}

impl Store {
    /// Watches not removed (and removed ones the config re-enabled), oldest first.
    pub fn watches(&self) -> Result<Vec<WatchRow>> {
        let sql = format!("{WATCH_SELECT} WHERE s.removed_at IS NULL OR s.enabled = 1 ORDER BY s.id");
        self.conn().query(&sql, &[])?.iter().map(watch_row).collect()
    }

    /// Id and display name (or URL) of every listed watch, for filter menus: no health columns.
    pub fn watch_names(&self) -> Result<Vec<(i64, String)>> {
        let rows = self
            .conn()
            .query("SELECT id, url, rules FROM sources WHERE removed_at IS NULL OR enabled = 1 ORDER BY id", &[])?;
        rows.iter()
            .map(|r| {
                let (id, url, rules): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
                let name = serde_json::from_str::<serde_json::Value>(&rules)
                    .ok()
                    .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_string));
                Ok((id, name.unwrap_or(url)))
            })
            .collect()
    }

    /// One watch, removed or not.
    pub fn watch(&self, id: i64) -> Result<Option<WatchRow>> {
        self.conn()
            .query_opt(&format!("{WATCH_SELECT} WHERE s.id = ?1"), params![id])?
            .as_ref()
            .map(watch_row)
            .transpose()
    }

    /// Adds a watch from the API, or re-enables (and un-removes) the one with that URL. Due at once.
    pub fn add_watch(&self, s: &NewSource, now: i64) -> Result<i64> {
        self.conn().scalar(
            "INSERT INTO sources (kind, url, schedule, rules, enabled, from_config, created_at, next_check)
             VALUES (?1, ?2, ?3, ?4, 1, 0, ?5, ?5)
             ON CONFLICT (url) DO UPDATE SET kind = ?1, schedule = ?3, enabled = 1, removed_at = NULL,
                 next_check = ?5
             RETURNING id",
            params![s.kind.as_str(), &s.url, &s.schedule, &s.rules, now],
        )
    }

    /// Pauses (`enabled = false`) or resumes a watch. Config watches are refused.
    pub fn set_watch_enabled(&self, id: i64, enabled: bool, now: i64) -> Result<WatchUpdate> {
        self.conn().transaction(|tx| {
            if let Some(refusal) = watch_refusal(tx, id)? {
                return Ok(refusal);
            }
            // A resumed watch is due at once.
            tx.execute(
                "UPDATE sources SET enabled = ?2, next_check = CASE WHEN ?4 = 1 THEN ?3 ELSE next_check END
                 WHERE id = ?1",
                params![id, enabled, now, enabled],
            )?;
            Ok(WatchUpdate::Done)
        })
    }

    /// Removes a watch: deleted when nothing was recorded through it, otherwise
    /// disabled and hidden with its history kept. Config watches are refused.
    pub fn remove_watch(&self, id: i64, now: i64) -> Result<WatchUpdate> {
        self.conn().transaction(|tx| {
            let found = tx.query_opt(
                "SELECT from_config, removed_at, (SELECT COUNT(*) FROM articles a WHERE a.source_id = s.id)
                 FROM sources s WHERE id = ?1",
                params![id],
            )?;
            let found: Option<(bool, Option<i64>, i64)> =
                found.map(|r| Ok::<_, super::StoreError>((r.get(0)?, r.get(1)?, r.get(2)?))).transpose()?;
            Ok(match found {
                None | Some((_, Some(_), _)) => WatchUpdate::NotFound,
                Some((true, _, _)) => WatchUpdate::FromConfig,
                Some((false, None, 0)) => {
                    tx.execute("DELETE FROM sources WHERE id = ?1", params![id])?;
                    WatchUpdate::Done
                }
                Some((false, None, _)) => {
                    tx.execute("UPDATE sources SET enabled = 0, removed_at = ?2 WHERE id = ?1", params![id, now])?;
                    WatchUpdate::Done
                }
            })
        })
    }
}

/// Why the page or the API may not change watch `id` (unknown, removed, or owned by the
/// config file), or `None` when it may.
pub(super) fn watch_refusal(tx: &mut super::sql::Conn, id: i64) -> Result<Option<WatchUpdate>> {
    let found = tx.query_opt("SELECT from_config, removed_at FROM sources WHERE id = ?1", params![id])?;
    let found: Option<(bool, Option<i64>)> =
        found.map(|r| Ok::<_, super::StoreError>((r.get(0)?, r.get(1)?))).transpose()?;
    Ok(match found {
        None | Some((_, Some(_))) => Some(WatchUpdate::NotFound),
        Some((true, _)) => Some(WatchUpdate::FromConfig),
        Some((false, None)) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SourceKind;
    use crate::store::fixtures::{each_store, two_versions};

    #[test]
    fn watches_are_added_paused_and_removed_but_config_ones_are_refused() {
        each_store(|store| {
            two_versions(store);
            assert_eq!(store.set_watch_enabled(1, false, 5).unwrap(), WatchUpdate::FromConfig);
            assert_eq!(store.remove_watch(1, 5).unwrap(), WatchUpdate::FromConfig);
            let s = NewSource {
                kind: SourceKind::Article,
                url: "https://x.example/a".into(),
                schedule: "every 5m".into(),
                rules: "{}".into(),
            };
            let id = store.add_watch(&s, 10).unwrap();
            assert_eq!(store.set_watch_enabled(id, false, 11).unwrap(), WatchUpdate::Done);
            assert!(!store.watch(id).unwrap().unwrap().enabled);
            assert_eq!(store.remove_watch(id, 12).unwrap(), WatchUpdate::Done);
            assert!(store.watch(id).unwrap().is_none(), "a watch without history is deleted");
            assert_eq!(store.remove_watch(id, 12).unwrap(), WatchUpdate::NotFound);
            let w = store.watches().unwrap();
            assert_eq!(w.len(), 1);
            assert_eq!((w[0].articles, w[0].name.as_deref()), (1, Some("Example")));
        });
    }
}
