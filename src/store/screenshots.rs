//! The `screenshots` table: one PNG per stored version of a watch with `screenshot = true`,
//! written in the version's own transaction ([`Store::record_version`]), read by the web
//! UI, and pruned by age (`[storage] keep_screenshots`), never an article's newest.

use super::sql::{Conn, params};
use super::{Result, Store};
use crate::screenshot::png_size;

/// A stored screenshot, without its image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenshotInfo {
    /// Its version (row id).
    pub version_id: i64,
    /// When it was taken (the version's fetch time, unix seconds).
    pub taken_at: i64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Size of the PNG in bytes.
    pub bytes: i64,
}

/// Stores the screenshot of a version inside the version's transaction. One that is not a
/// PNG within the size cap is left out (and logged): the version itself is what matters.
pub(super) fn insert(tx: &mut Conn, version_id: i64, taken_at: i64, png: &[u8]) -> Result<()> {
    match png_size(png) {
        Ok((width, height)) => {
            tx.execute(
                "INSERT INTO screenshots (version_id, taken_at, width, height, bytes, png) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![version_id, taken_at, width, height, png.len(), png],
            )?;
        }
        Err(error) => tracing::warn!(version_id, %error, "Screenshot not stored."),
    }
    Ok(())
}

const BY_VERSION: &str = "FROM screenshots s JOIN versions v ON v.id = s.version_id
    WHERE v.article_id = ?1 AND v.number = ?2";

impl Store {
    /// The screenshot of version `number` of an article, without its image.
    pub fn screenshot_info(&self, article_id: i64, number: i64) -> Result<Option<ScreenshotInfo>> {
        let sql = format!("SELECT s.version_id, s.taken_at, s.width, s.height, s.bytes {BY_VERSION}");
        self.conn()
            .query_opt(&sql, params![article_id, number])?
            .map(|r| {
                Ok(ScreenshotInfo {
                    version_id: r.get(0)?,
                    taken_at: r.get(1)?,
                    width: r.get(2)?,
                    height: r.get(3)?,
                    bytes: r.get(4)?,
                })
            })
            .transpose()
    }

    /// The PNG of version `number` of an article.
    pub fn screenshot_png(&self, article_id: i64, number: i64) -> Result<Option<Vec<u8>>> {
        self.conn()
            .query_opt(&format!("SELECT s.png {BY_VERSION}"), params![article_id, number])?
            .map(|r| r.get(0))
            .transpose()
    }

    /// Deletes the screenshots taken before `before` (unix seconds), except that of each
    /// article's newest version: the page as it looks now stays, to compare the next one
    /// with. Returns how many went.
    pub fn prune_screenshots(&self, before: i64) -> Result<usize> {
        self.conn().execute(
            "DELETE FROM screenshots WHERE taken_at < ?1 AND EXISTS (
                SELECT 1 FROM versions v JOIN versions later ON later.article_id = v.article_id AND later.number > v.number
                WHERE v.id = screenshots.version_id)",
            params![before],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screenshot::{MAX_HEIGHT, encode};
    use crate::store::fixtures::each_store;
    use crate::store::fixtures::{article, done, source, version};
    use crate::store::{NewVersion, Table};
    use image::RgbImage;

    /// Records versions of one article at these times, each with this screenshot.
    fn record(store: &Store, article_id: i64, times: &[i64], png: &[u8]) {
        for &at in times {
            let a = article(&format!("text at {at}"));
            let hash = format!("h{at}");
            let nv = NewVersion { screenshot: Some(png.to_vec()), ..version(article_id, at, &hash, &a) };
            store.record_version(&nv, None, &done(at)).unwrap();
        }
    }

    #[test]
    fn a_screenshot_is_stored_with_its_version_and_a_bad_one_is_left_out() {
        each_store(|store| {
            store.sync_config_sources(&[source("https://a/rss")], 0).unwrap();
            let (aid, _) = store.ensure_article(1, "https://a/1", 0).unwrap();
            let png = encode(&RgbImage::new(64, 48));
            record(store, aid, &[10], &png);
            let info = store.screenshot_info(aid, 1).unwrap().unwrap();
            assert_eq!((info.width, info.height, info.bytes, info.taken_at), (64, 48, png.len() as i64, 10));
            assert_eq!(store.screenshot_png(aid, 1).unwrap(), Some(png));
            // Not a PNG, or past the cap: the version is stored, the image is not.
            record(store, aid, &[20], b"not a png");
            record(store, aid, &[30], &encode(&RgbImage::new(2, MAX_HEIGHT + 1)));
            assert_eq!(store.count(Table::Versions).unwrap(), 3);
            assert_eq!(store.count(Table::Screenshots).unwrap(), 1);
            assert_eq!(store.screenshot_info(aid, 2).unwrap(), None);
            assert_eq!(store.screenshot_png(aid, 9).unwrap(), None);
        });
    }

    #[test]
    fn pruning_removes_old_screenshots_but_never_an_articles_newest() {
        each_store(|store| {
            store.sync_config_sources(&[source("https://a/rss")], 0).unwrap();
            let (a, _) = store.ensure_article(1, "https://a/1", 0).unwrap();
            let (b, _) = store.ensure_article(1, "https://a/2", 0).unwrap();
            let png = encode(&RgbImage::new(8, 8));
            record(store, a, &[100, 200, 300], &png);
            record(store, b, &[100], &png);
            // Before 250: a's versions 1 and 2 go; a's 3 is newer, b's 1 is its newest.
            assert_eq!(store.prune_screenshots(250).unwrap(), 2);
            let kept = |aid, n| store.screenshot_info(aid, n).unwrap().is_some();
            assert_eq!((kept(a, 1), kept(a, 2), kept(a, 3), kept(b, 1)), (false, false, true, true));
            assert_eq!(store.count(Table::Versions).unwrap(), 4, "versions stay");
            // Even long after, the newest of each stays.
            assert_eq!(store.prune_screenshots(10_000).unwrap(), 0);
            assert_eq!(store.count(Table::Screenshots).unwrap(), 2);
        });
    }
}
