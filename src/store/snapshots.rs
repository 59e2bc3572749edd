//! The Internet Archive snapshot of each version (`versions.snapshot_url`),
//! written once Save Page Now has captured the page.

use super::sql::params;
use super::{Result, Store};

impl Store {
    /// Records the snapshot URL of version `number` of an article; false when there is no such version.
    pub fn set_snapshot_url(&self, article_id: i64, number: i64, url: &str) -> Result<bool> {
        let sql = "UPDATE versions SET snapshot_url = ?1 WHERE article_id = ?2 AND number = ?3";
        Ok(self.conn().execute(sql, params![url, article_id, number])? > 0)
    }

    /// The snapshot URL of version `number` of an article, once there is one.
    pub fn snapshot_url(&self, article_id: i64, number: i64) -> Result<Option<String>> {
        let sql = "SELECT snapshot_url FROM versions WHERE article_id = ?1 AND number = ?2";
        match self.conn().query_opt(sql, params![article_id, number])? {
            Some(row) => row.get(0),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::fixtures::{article, done, each_store, source, version};

    #[test]
    fn a_snapshot_url_is_kept_with_its_version() {
        each_store(|store| {
            store.sync_config_sources(&[source("https://a/rss")], 0).unwrap();
            let (aid, _) = store.ensure_article(1, "https://a/1", 0).unwrap();
            let a = article("text");
            store.record_version(&version(aid, 10, "h1", &a), None, &done(10)).unwrap();
            assert_eq!(store.snapshot_url(aid, 1).unwrap(), None);
            let url = "https://web.archive.org/web/20261201143600/https://a/1";
            assert!(store.set_snapshot_url(aid, 1, url).unwrap());
            assert_eq!(store.snapshot_url(aid, 1).unwrap().as_deref(), Some(url));
            assert!(!store.set_snapshot_url(aid, 2, url).unwrap(), "no version 2");
            assert_eq!(store.snapshot_url(aid, 2).unwrap(), None);
        });
    }
}
