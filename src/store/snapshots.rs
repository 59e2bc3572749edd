//! The Internet Archive snapshot of each version (`versions.snapshot_url`),
//! written once Save Page Now has captured the page, with the `article.archived`
//! outbox rows that announce it to the webhooks told of the version's change.

use super::sql::params;
use super::{ARTICLE_CHANGED, NewDelivery, Result, Store};

impl Store {
    /// Records the snapshot URL of version `number` of an article; false when there is no such version.
    pub fn set_snapshot_url(&self, article_id: i64, number: i64, url: &str) -> Result<bool> {
        self.record_snapshot(article_id, number, url, &[], 0)
    }

    /// Records the snapshot URL of version `number` of an article and, in the same
    /// transaction, the outbox rows that announce it (`article.archived`). The first
    /// snapshot recorded stays (a capture retried after a crash announces nothing new),
    /// and a row whose version, channel and event are already in the outbox is not
    /// written again. False when there is no such version.
    pub fn record_snapshot(
        &self,
        article_id: i64,
        number: i64,
        url: &str,
        announcements: &[NewDelivery],
        now: i64,
    ) -> Result<bool> {
        let mut conn = self.conn();
        conn.transaction(|tx| {
            let ids = tx.query_opt(
                "SELECT v.id, c.id FROM versions v LEFT JOIN changes c ON c.to_version = v.id
                 WHERE v.article_id = ?1 AND v.number = ?2",
                params![article_id, number],
            )?;
            let Some(ids) = ids else { return Ok(false) };
            let (version_id, change_id): (i64, Option<i64>) = (ids.get(0)?, ids.get(1)?);
            tx.execute(
                "UPDATE versions SET snapshot_url = COALESCE(snapshot_url, ?2) WHERE id = ?1",
                params![version_id, url],
            )?;
            for d in announcements {
                let exists: Option<i64> = tx.scalar(
                    "SELECT MAX(id) FROM deliveries WHERE version_id = ?1 AND channel = ?2 AND event = ?3",
                    params![version_id, &d.channel, d.event],
                )?;
                if exists.is_none() {
                    super::deliveries::insert(tx, version_id, change_id, d, now)?;
                }
            }
            Ok(true)
        })
    }

    /// The channels told of the change to version `number` of an article (its
    /// `article.changed` rows), whatever became of them.
    pub fn channels_told_of_version(&self, article_id: i64, number: i64) -> Result<Vec<String>> {
        let sql = "SELECT d.channel FROM deliveries d JOIN versions v ON v.id = d.version_id
                   WHERE v.article_id = ?1 AND v.number = ?2 AND d.event = ?3 ORDER BY d.id";
        self.conn().query(sql, params![article_id, number, ARTICLE_CHANGED])?.iter().map(|r| r.get(0)).collect()
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
    use crate::store::fixtures::{article, delivery, done, each_store, source, version};
    use crate::store::{ARTICLE_ARCHIVED, NewChange, NewDelivery, Provenance, VERSION_ARCHIVE};

    #[test]
    fn a_first_version_is_archived_and_a_snapshot_is_announced_once_to_the_channels_told_of_its_change() {
        each_store(|store| {
            store.sync_config_sources(&[source("https://a/rss")], 0).unwrap();
            let (aid, _) = store.ensure_article(1, "https://a/1", 0).unwrap();
            let job = |id: &str| NewDelivery { event: VERSION_ARCHIVE, ..delivery("archive:ia", id, 10) };
            let with_job = |id: &str| Provenance { archive: Some(job(id)), ..Provenance::default() };
            let (one, two) = (article("one"), article("two"));
            store.record_version_with(&version(aid, 10, "h1", &one), None, &done(10), &with_job("a1")).unwrap();
            assert_eq!(store.deliveries("pending").unwrap()[0].change_id, None, "a first version's job has no change");
            let change = crate::diff::compare(&one, &two);
            let told = NewChange { change: &change, deliveries: vec![delivery("webhook:h", "c2", 20)] };
            store.record_version_with(&version(aid, 20, "h2", &two), Some(&told), &done(20), &with_job("a2")).unwrap();
            assert_eq!(store.channels_told_of_version(aid, 2).unwrap(), ["webhook:h"]);
            assert!(store.channels_told_of_version(aid, 1).unwrap().is_empty());
            let announce = |id: &str| vec![NewDelivery { event: ARTICLE_ARCHIVED, ..delivery("webhook:h", id, 30) }];
            assert!(
                store
                    .record_snapshot(aid, 2, "https://web.archive.org/web/1/https://a/1", &announce("s1"), 30)
                    .unwrap()
            );
            // A capture retried after a crash: the first snapshot stays, nothing more is announced.
            assert!(
                store
                    .record_snapshot(aid, 2, "https://web.archive.org/web/2/https://a/1", &announce("s2"), 40)
                    .unwrap()
            );
            assert_eq!(
                store.snapshot_url(aid, 2).unwrap().as_deref(),
                Some("https://web.archive.org/web/1/https://a/1")
            );
            let pending = store.deliveries("pending").unwrap();
            let ids: Vec<&str> = pending.iter().map(|d| d.event_id.as_str()).collect();
            assert_eq!(ids, ["a1", "c2", "a2", "s1"]);
            assert_eq!(pending[3].change_id, pending[1].change_id, "the announcement belongs to the change");
            assert!(
                !store.record_snapshot(aid, 3, "https://web.archive.org/web/3/x", &[], 50).unwrap(),
                "no version 3"
            );
        });
    }

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
