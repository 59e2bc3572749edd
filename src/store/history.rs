//! The reads and the one write behind browsing a story's history and managing a
//! watch from the page: the rules an article is compared with, a watch's stored
//! settings, and editing them. Plain standard SQL (`?N` placeholders only).

use super::sql::params;
use super::watches::{WatchUpdate, watch_refusal};
use super::{NewSource, Result, Store};

/// A watch as stored, for its edit form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchSettings {
    /// `article` or `feed`.
    pub kind: String,
    /// The watched URL.
    pub url: String,
    /// `every 10m` or `cron …`.
    pub schedule: String,
    /// The rules JSON.
    pub rules: String,
    /// Set by the config file (which sets it again at every start).
    pub from_config: bool,
}

impl Store {
    /// The rules JSON of the watch an article was found through (its `ignore` patterns
    /// decide how its versions compare).
    pub fn article_rules(&self, article_id: i64) -> Result<Option<String>> {
        let row = self.conn().query_opt(
            "SELECT s.rules FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.id = ?1",
            params![article_id],
        )?;
        row.map(|r| r.get(0)).transpose()
    }

    /// The stored settings of a watch that is not removed.
    pub fn watch_settings(&self, id: i64) -> Result<Option<WatchSettings>> {
        let row = self.conn().query_opt(
            "SELECT kind, url, schedule, rules, from_config FROM sources WHERE id = ?1 AND removed_at IS NULL",
            params![id],
        )?;
        row.map(|r| {
            Ok(WatchSettings {
                kind: r.get(0)?,
                url: r.get(1)?,
                schedule: r.get(2)?,
                rules: r.get(3)?,
                from_config: r.get(4)?,
            })
        })
        .transpose()
    }

    /// Replaces the schedule and rules of a watch with those of `s` (built from the same
    /// URL and kind); due at once, so the new settings apply now. Config watches are refused.
    pub fn edit_watch(&self, id: i64, s: &NewSource, now: i64) -> Result<WatchUpdate> {
        self.conn().transaction(|tx| {
            if let Some(refusal) = watch_refusal(tx, id)? {
                return Ok(refusal);
            }
            tx.execute(
                "UPDATE sources SET schedule = ?2, rules = ?3, next_check = ?4 WHERE id = ?1",
                params![id, s.schedule.as_str(), s.rules.as_str(), now],
            )?;
            Ok(WatchUpdate::Done)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SourceKind;
    use crate::store::fixtures::{each_store, source, with_first_version};

    #[test]
    fn an_article_compares_with_its_watch_rules() {
        each_store(|store| {
            let aid = with_first_version(store);
            assert_eq!(store.article_rules(aid).unwrap().as_deref(), Some("{}"));
            assert_eq!(store.article_rules(aid + 1).unwrap(), None);
        });
    }

    #[test]
    fn a_watch_is_edited_unless_the_config_owns_it() {
        each_store(|store| {
            store.sync_config_sources(&[source("https://a/rss")], 0).unwrap();
            let mine = NewSource { kind: SourceKind::Article, ..source("https://b/1") };
            let id = store.add_watch(&mine, 0).unwrap();
            let edited =
                NewSource { schedule: "every 1h".into(), rules: "{\"ignore\":[\"x\"]}".into(), ..mine.clone() };
            assert_eq!(store.edit_watch(id, &edited, 50).unwrap(), WatchUpdate::Done);
            let s = store.watch_settings(id).unwrap().unwrap();
            assert_eq!(
                (s.kind.as_str(), s.schedule.as_str(), s.rules.as_str()),
                ("article", "every 1h", "{\"ignore\":[\"x\"]}")
            );
            assert_eq!(store.watch(id).unwrap().unwrap().next_check, Some(50), "due at once");
            assert_eq!(store.edit_watch(1, &edited, 50).unwrap(), WatchUpdate::FromConfig);
            assert_eq!(store.edit_watch(99, &edited, 50).unwrap(), WatchUpdate::NotFound);
            assert!(store.watch_settings(1).unwrap().unwrap().from_config);
            store.remove_watch(id, 60).unwrap();
            assert_eq!(store.watch_settings(id).unwrap(), None);
        });
    }
}
