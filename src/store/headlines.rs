//! The `version_headlines` table (issue 15): every headline a version's page
//! showed, by source, as a JSON object (`{"h1": "…", "og:title": "…"}`), kept
//! beside the version rather than in its content hash.

use super::sql::params;
use super::{Result, Store};

impl Store {
    /// Keeps the headlines of version `number` of an article.
    pub fn record_headlines(&self, article_id: i64, number: i64, headlines_json: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO version_headlines (version_id, headlines)
             SELECT id, ?3 FROM versions WHERE article_id = ?1 AND number = ?2
             ON CONFLICT (version_id) DO UPDATE SET headlines = excluded.headlines",
            params![article_id, number, headlines_json],
        )?;
        Ok(())
    }

    /// The headlines of an article's latest version, if they were recorded.
    pub fn latest_headlines(&self, article_id: i64) -> Result<Option<String>> {
        let row = self.conn().query_opt(
            "SELECT h.headlines FROM versions v JOIN version_headlines h ON h.version_id = v.id
             WHERE v.article_id = ?1 ORDER BY v.number DESC LIMIT 1",
            params![article_id],
        )?;
        row.map(|r| r.get(0)).transpose()
    }

    /// `(fetched_at, headlines)` of an article's versions fetched at or after `since`, oldest first.
    pub fn headline_history(&self, article_id: i64, since: i64) -> Result<Vec<(i64, String)>> {
        let rows = self.conn().query(
            "SELECT v.fetched_at, h.headlines FROM versions v JOIN version_headlines h ON h.version_id = v.id
             WHERE v.article_id = ?1 AND v.fetched_at >= ?2 ORDER BY v.number",
            params![article_id, since],
        )?;
        rows.iter().map(|r| Ok((r.get(0)?, r.get(1)?))).collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::store::fixtures::{each_store, with_first_version};

    #[test]
    fn headlines_are_kept_per_version_and_read_back_by_time() {
        each_store(|store| {
            let id = with_first_version(store);
            assert_eq!(store.latest_headlines(id).unwrap(), None, "a version from before headlines were kept");
            store.record_headlines(id, 1, r#"{"h1":"A"}"#).unwrap();
            store.record_headlines(id, 1, r#"{"h1":"A","title":"A | Site"}"#).unwrap();
            assert_eq!(store.latest_headlines(id).unwrap().as_deref(), Some(r#"{"h1":"A","title":"A | Site"}"#));
            store.record_headlines(id, 7, r#"{"h1":"none"}"#).unwrap();
            let history = store.headline_history(id, 0).unwrap();
            assert_eq!(history.len(), 1, "no version 7: nothing kept");
            assert!(store.headline_history(id, history[0].0 + 1).unwrap().is_empty());
        });
    }
}
