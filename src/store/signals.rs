//! What listings say about the articles they name (issue 15): each article's
//! latest listing time (a feed's `updated`, a sitemap's `lastmod`), which makes
//! it due at once, retired or not, when it is later than its last check; and the
//! validators of each listing's last response, for a conditional GET; and the
//! other URLs of an article (`article_aliases`), folded into it so that one story
//! is one article whatever the route to it.

use super::articles::{insert_article, insert_unaliased_article};
use super::sql::{Conn, params};
use super::{Result, Store, host_key, lease_done, lease_free};

/// What became of an article whose page names another canonical URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Another article has that URL: this one is now its alias (and its row is
    /// gone, or kept as `folded` when it has versions of its own).
    Into(i64),
    /// No article had it: this one now has that URL (the old one an alias), due at once.
    Renamed,
    /// The page points back to a URL this article already left: nothing moves.
    Kept,
}

/// The article an alias belongs to.
fn alias_owner(tx: &mut Conn, url: &str) -> Result<Option<i64>> {
    tx.query_opt("SELECT article_id FROM article_aliases WHERE url = ?1", params![url])?.map(|r| r.get(0)).transpose()
}

/// The article that has `url`, as its URL or an alias.
fn article_id_of(tx: &mut Conn, url: &str) -> Result<Option<i64>> {
    match tx.query_opt("SELECT id FROM articles WHERE url = ?1", params![url])? {
        Some(r) => Ok(Some(r.get(0)?)),
        None => alias_owner(tx, url),
    }
}

fn add_alias(tx: &mut Conn, url: &str, article_id: i64, now: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO article_aliases (url, article_id, added_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (url) DO UPDATE SET article_id = ?2",
        params![url, article_id, now],
    )?;
    Ok(())
}

/// The article of a watched URL (`[[watch]] url`, `redline add`, the API), created if
/// new: under the URL without its tracking parameters, like every URL a listing names,
/// with the URL as watched kept as its alias. An article stored under the tracked URL
/// before this rule keeps it (its history is not split).
fn ensure_watched_article(tx: &mut Conn, source_id: i64, url: &str, now: i64) -> Result<()> {
    let canonical = crate::signals::canonical::strip_tracking(url);
    let own_row = tx.query_opt("SELECT 1 FROM articles WHERE url = ?1", params![url])?.is_some();
    if canonical == url || own_row {
        insert_article(tx, source_id, url, now)?;
        return Ok(());
    }
    insert_article(tx, source_id, &canonical, now)?;
    if let Some(id) = article_id_of(tx, &canonical)? {
        add_alias(tx, url, id, now)?;
    }
    Ok(())
}

/// Folds article `from` into `into`: its URL and aliases become `into`'s, and its row
/// goes (or, with versions of its own, stays as `folded`, its history kept).
fn fold_into(tx: &mut Conn, from: i64, url: &str, into: i64, now: i64, worker: &str) -> Result<()> {
    add_alias(tx, url, into, now)?;
    tx.execute("UPDATE article_aliases SET article_id = ?2 WHERE article_id = ?1", params![from, into])?;
    let versions: i64 = tx.scalar("SELECT COUNT(*) FROM versions WHERE article_id = ?1", params![from])?;
    if versions == 0 {
        tx.execute("DELETE FROM articles WHERE id = ?1", params![from])?;
    } else {
        tx.execute(
            &format!("UPDATE articles SET state = 'folded', next_check = NULL, {} WHERE id = ?1", lease_done(2)),
            params![from, worker],
        )?;
    }
    Ok(())
}

/// A child sitemap's URL, `ETag` and `Last-Modified`.
pub type ChildValidators = (String, Option<String>, Option<String>);

/// An article a listing names, with the time the listing gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedArticle {
    /// Its URL.
    pub url: String,
    /// The listing's time for it (unix seconds), if it gives one.
    pub listed_at: Option<i64>,
    /// The listing's title for it, if it gives one.
    pub title: Option<String>,
}

impl Store {
    /// An article source's own article, created if new (under its URL without tracking
    /// parameters, the watched URL kept as its alias), and the source marked checked
    /// until `next`: one transaction.
    pub fn ensure_source_article(&self, source_id: i64, url: &str, now: i64, next: i64) -> Result<()> {
        self.conn().transaction(|tx| {
            ensure_watched_article(tx, source_id, url, now)?;
            tx.execute(
                &format!(
                    "UPDATE sources SET last_checked = ?2, next_check = ?3, last_error = NULL, failures = 0, {}
                     WHERE id = ?1",
                    lease_done(4)
                ),
                params![source_id, now, next, &self.worker],
            )?;
            Ok(())
        })
    }

    /// Adds the articles a listing names under `source_id`, in one transaction, and
    /// notes their listing times. An article whose listing time is later than its
    /// last check is made due at `now` and active again (a retired one included),
    /// unless a worker is checking it right now. A time in the future counts as
    /// `now`. Returns how many articles are new.
    pub fn note_listing(&self, source_id: i64, listed: &[ListedArticle], now: i64) -> Result<usize> {
        self.conn().transaction(|tx| {
            let mut new = 0;
            for item in listed {
                // A known alias (an AMP route, a URL the article left) stands for its article.
                let aliased = tx.query_opt(
                    "SELECT a.url FROM article_aliases al JOIN articles a ON a.id = al.article_id WHERE al.url = ?1",
                    params![&item.url],
                )?;
                let url: String = match aliased {
                    Some(r) => r.get(0)?,
                    None => {
                        new += insert_unaliased_article(tx, source_id, &item.url, now)?;
                        item.url.clone()
                    }
                };
                if let Some(title) = &item.title {
                    // Only the article's own listing: two feeds titling it differently are no headline change.
                    tx.execute(
                        "UPDATE articles SET listed_title = ?2
                         WHERE url = ?1 AND source_id = ?3 AND (listed_title IS NULL OR listed_title <> ?2)",
                        params![&url, title, source_id],
                    )?;
                }
                let Some(at) = item.listed_at.map(|t| t.min(now)) else { continue };
                tx.execute(
                    "UPDATE articles SET listed_at = ?2 WHERE url = ?1 AND (listed_at IS NULL OR listed_at < ?2)",
                    params![&url, at],
                )?;
                // Even a time noted before: a check that began before it may have missed its edit.
                tx.execute(
                    &format!(
                        "UPDATE articles SET state = 'active', next_check = ?3
                         WHERE url = ?1 AND last_checked IS NOT NULL AND last_checked < ?2
                           AND (state <> 'active' OR next_check IS NULL OR next_check > ?3) AND {}",
                        lease_free("articles", 3)
                    ),
                    params![&url, at, now],
                )?;
            }
            Ok(new)
        })
    }

    /// Article `id`, fetched at `url`, names `canonical` as its URL: folds it into
    /// the article that has that URL, or moves it there. One transaction.
    pub fn fold_article(&self, id: i64, url: &str, canonical: &str, now: i64) -> Result<Fold> {
        self.conn().transaction(|tx| {
            if alias_owner(tx, canonical)? == Some(id) {
                return Ok(Fold::Kept);
            }
            match article_id_of(tx, canonical)? {
                Some(other) if other != id => {
                    fold_into(tx, id, url, other, now, &self.worker)?;
                    Ok(Fold::Into(other))
                }
                Some(_) => Ok(Fold::Kept),
                None => {
                    tx.execute(
                        &format!(
                            "UPDATE articles SET url = ?2, host = ?3, next_check = ?4, etag = NULL,
                                    last_modified = NULL, body_hash = NULL, {}
                             WHERE id = ?1",
                            lease_done(5)
                        ),
                        params![id, canonical, host_key(canonical), now, &self.worker],
                    )?;
                    add_alias(tx, url, id, now)?;
                    Ok(Fold::Renamed)
                }
            }
        })
    }

    /// Other routes article `id`'s page names (its AMP page): kept as its aliases, and
    /// an article listed under one of them, not yet checked, folded into it.
    pub fn add_aliases(&self, id: i64, urls: &[String], now: i64) -> Result<()> {
        self.conn().transaction(|tx| {
            for url in urls {
                match article_id_of(tx, url)? {
                    Some(other) if other == id => {}
                    Some(other) => {
                        let versions: i64 =
                            tx.scalar("SELECT COUNT(*) FROM versions WHERE article_id = ?1", params![other])?;
                        // An article with a history of its own is not taken over by another page's say-so.
                        if versions == 0 {
                            fold_into(tx, other, url, id, now, &self.worker)?;
                        }
                    }
                    None => add_alias(tx, url, id, now)?,
                }
            }
            Ok(())
        })
    }

    /// The other URLs of an article, oldest first.
    pub fn aliases(&self, article_id: i64) -> Result<Vec<String>> {
        let rows = self.conn().query(
            "SELECT url FROM article_aliases WHERE article_id = ?1 ORDER BY added_at, url",
            params![article_id],
        )?;
        rows.iter().map(|r| r.get(0)).collect()
    }

    /// The id of the article an alias belongs to.
    pub fn alias_of(&self, url: &str) -> Result<Option<i64>> {
        alias_owner(&mut self.conn(), url)
    }

    /// The `ETag` and `Last-Modified` of a listing's last full response.
    pub fn source_validators(&self, source_id: i64) -> Result<(Option<String>, Option<String>)> {
        let row = self.conn().query_opt("SELECT etag, last_modified FROM sources WHERE id = ?1", params![source_id])?;
        match row {
            Some(r) => Ok((r.get(0)?, r.get(1)?)),
            None => Ok((None, None)),
        }
    }

    /// Keeps a listing's validators for its next conditional GET (None clears one).
    pub fn set_source_validators(&self, source_id: i64, etag: Option<&str>, last_modified: Option<&str>) -> Result<()> {
        self.conn().execute(
            "UPDATE sources SET etag = ?2, last_modified = ?3 WHERE id = ?1",
            params![source_id, etag, last_modified],
        )?;
        Ok(())
    }

    /// The `ETag` and `Last-Modified` of each child sitemap of a sitemap index source,
    /// by URL, as [`Store::set_sitemap_validators`] last kept them.
    pub fn sitemap_validators(&self, source_id: i64) -> Result<Vec<ChildValidators>> {
        let rows = self.conn().query(
            "SELECT url, etag, last_modified FROM sitemap_validators WHERE source_id = ?1 ORDER BY url",
            params![source_id],
        )?;
        rows.iter().map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).collect()
    }

    /// Keeps the validators of the child sitemaps a sitemap index source names now, for
    /// their next conditional GET; children it no longer names are forgotten (so a feed
    /// keeps none). One transaction.
    pub fn set_sitemap_validators(&self, source_id: i64, children: &[ChildValidators]) -> Result<()> {
        self.conn().transaction(|tx| {
            tx.execute("DELETE FROM sitemap_validators WHERE source_id = ?1", params![source_id])?;
            for (url, etag, last_modified) in children {
                tx.execute(
                    "INSERT INTO sitemap_validators (source_id, url, etag, last_modified) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (source_id, url) DO UPDATE SET etag = excluded.etag,
                        last_modified = excluded.last_modified",
                    params![source_id, url.as_str(), etag.as_deref(), last_modified.as_deref()],
                )?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ListedArticle;
    use crate::store::fixtures::{done, each_store, source};

    fn listed(url: &str, at: Option<i64>) -> ListedArticle {
        ListedArticle { url: url.to_string(), listed_at: at, title: None }
    }

    #[test]
    fn a_listing_time_after_the_last_check_makes_a_retired_article_due_at_once() {
        each_store(|store| {
            store.sync_config_sources(&[source("https://a.example/sitemap.xml")], 0).unwrap();
            let (one, two) = ("https://a.example/1", "https://a.example/2");
            assert_eq!(store.note_listing(1, &[listed(one, Some(50)), listed(two, None)], 100).unwrap(), 2);
            let claimed = store.claim_due_articles(100, 400, 10, false).unwrap();
            assert_eq!(claimed.len(), 2);
            assert_eq!(claimed.iter().find(|a| a.url == one).unwrap().listed_at, Some(50));
            for a in &claimed {
                store.record_unchanged(a.id, &done(200)).unwrap();
                store.retire_article(a.id).unwrap();
            }
            // The same time again, or one before the check: nothing to do.
            store.note_listing(1, &[listed(one, Some(150)), listed(two, None)], 300).unwrap();
            assert!(store.claim_due_articles(300, 600, 10, true).unwrap().is_empty(), "both stay retired");
            // A lastmod after the check: due now, active again; a future time counts as now.
            assert_eq!(store.note_listing(1, &[listed(one, Some(9_999))], 400).unwrap(), 0);
            let due = store.claim_due_articles(400, 700, 10, false).unwrap();
            assert_eq!(due.iter().map(|a| (a.url.as_str(), a.listed_at)).collect::<Vec<_>>(), [(one, Some(400))]);
            // While it is being checked, a newer time is noted but its lease is left alone.
            store.note_listing(1, &[listed(one, Some(450))], 450).unwrap();
            let row = store.article_by_url(one).unwrap().unwrap();
            assert_eq!((row.next_check, row.listed_at), (Some(700), Some(450)));
        });
    }

    #[test]
    fn other_routes_fold_into_one_article_and_find_it() {
        use super::Fold;
        each_store(|store| {
            store.sync_config_sources(&[source("https://n.example/rss")], 0).unwrap();
            let (page, amp, old) = ("https://n.example/a", "https://n.example/amp/a", "https://n.example/a-draft");
            store.note_listing(1, &[listed(page, None), listed(amp, None), listed(old, None)], 10).unwrap();
            let id = |url: &str| store.article_by_url(url).unwrap().map(|a| a.id);
            let (page_id, amp_id, old_id) = (id(page).unwrap(), id(amp).unwrap(), id(old).unwrap());
            // The AMP page names the canonical one: folded into it, its row gone (no versions).
            assert_eq!(store.fold_article(amp_id, amp, page, 20).unwrap(), Fold::Into(page_id));
            assert_eq!(store.articles().unwrap().len(), 2);
            assert_eq!(id(amp), Some(page_id), "the alias finds the article");
            assert_eq!(id("https://n.example/a?utm_source=x&fbclid=y"), Some(page_id), "so does a tracked link");
            // Listed again under the alias: no new article, and its listing time goes to the article.
            assert_eq!(store.note_listing(1, &[listed(amp, Some(15))], 30).unwrap(), 0);
            assert_eq!(store.article_by_url(page).unwrap().unwrap().listed_at, Some(15));
            // A page naming a canonical URL nobody has: the article moves there, due at once.
            let moved = "https://n.example/a-final";
            assert_eq!(store.fold_article(old_id, old, moved, 40).unwrap(), Fold::Renamed);
            let row = store.article_by_url(old).unwrap().unwrap();
            assert_eq!((row.id, row.url.as_str(), row.next_check), (old_id, moved, Some(40)));
            // …and its page pointing back to the URL it left changes nothing.
            assert_eq!(store.fold_article(old_id, moved, old, 50).unwrap(), Fold::Kept);
            // A canonical page naming its AMP route: an alias; a listed, unchecked article there is folded.
            store.note_listing(1, &[listed("https://n.example/amp/a-final", None)], 60).unwrap();
            store.add_aliases(old_id, &["https://n.example/amp/a-final".to_string()], 70).unwrap();
            assert_eq!(store.articles().unwrap().len(), 2);
            assert_eq!(store.aliases(old_id).unwrap(), [old, "https://n.example/amp/a-final"]);
            assert_eq!(store.alias_of(amp).unwrap(), Some(page_id));
        });
    }

    #[test]
    fn the_title_an_articles_own_listing_gives_it_is_kept() {
        each_store(|store| {
            store.sync_config_sources(&[source("https://a.example/rss"), source("https://b.example/rss")], 0).unwrap();
            let titled = |url: &str, title: &str| ListedArticle {
                url: url.to_string(),
                listed_at: None,
                title: Some(title.to_string()),
            };
            store.note_listing(1, &[titled("https://a.example/1", "Sea wall cracks")], 10).unwrap();
            store.note_listing(2, &[titled("https://a.example/1", "Cracks in the sea wall")], 20).unwrap();
            let row = store.article_by_url("https://a.example/1").unwrap().unwrap();
            assert_eq!(
                row.listed_title.as_deref(),
                Some("Sea wall cracks"),
                "another feed's title is not its headline"
            );
            store.note_listing(1, &[titled("https://a.example/1", "Sea wall to be rebuilt")], 30).unwrap();
            let row = store.article_by_url("https://a.example/1").unwrap().unwrap();
            assert_eq!(row.listed_title.as_deref(), Some("Sea wall to be rebuilt"));
        });
    }

    #[test]
    fn listing_validators_are_kept_per_source() {
        each_store(|store| {
            store.sync_config_sources(&[source("https://a.example/rss")], 0).unwrap();
            assert_eq!(store.source_validators(1).unwrap(), (None, None));
            store.set_source_validators(1, Some("\"v1\""), Some("Tue, 01 Dec 2026 10:00:00 GMT")).unwrap();
            let (etag, modified) = store.source_validators(1).unwrap();
            assert_eq!((etag.as_deref(), modified.as_deref()), (Some("\"v1\""), Some("Tue, 01 Dec 2026 10:00:00 GMT")));
            store.set_source_validators(1, None, None).unwrap();
            assert_eq!(store.source_validators(1).unwrap(), (None, None));
        });
    }

    #[test]
    fn a_watched_url_loses_its_tracking_parameters_and_is_kept_as_an_alias() {
        each_store(|store| {
            let watched = "https://a.example/news/1?utm_source=newsletter&id=7&fbclid=abc#top";
            store.sync_config_sources(&[source(watched)], 0).unwrap();
            store.ensure_source_article(1, watched, 0, 10).unwrap();
            store.ensure_source_article(1, watched, 20, 30).unwrap();
            let all = store.articles().unwrap();
            assert_eq!(all.iter().map(|a| a.url.as_str()).collect::<Vec<_>>(), ["https://a.example/news/1?id=7"]);
            assert_eq!(store.alias_of(watched).unwrap(), Some(all[0].id));
            assert_eq!(store.article_by_url(watched).unwrap().unwrap().id, all[0].id);
            // A feed naming the clean URL, or another tracked route to it, finds the same article.
            let new = store.note_listing(1, &crate::signals::listed_articles(&[discovered(watched)]), 40).unwrap();
            assert_eq!((new, store.articles().unwrap().len()), (0, 1));
            // A URL without tracking parameters is stored as is, and has no alias.
            store.ensure_source_article(1, "https://a.example/news/2?id=8", 0, 10).unwrap();
            assert_eq!(store.alias_of("https://a.example/news/2?id=8").unwrap(), None);
            assert!(store.article_by_url("https://a.example/news/2?id=8").unwrap().is_some());
        });
    }

    fn discovered(url: &str) -> crate::discover::Discovered {
        crate::discover::Discovered { url: url.to_string(), title: None, listed: None }
    }

    #[test]
    fn an_article_stored_under_a_tracked_url_before_keeps_it() {
        each_store(|store| {
            let watched = "https://a.example/news/1?utm_campaign=x";
            store.sync_config_sources(&[source(watched)], 0).unwrap();
            store.ensure_articles(1, [watched], 0).unwrap();
            store.ensure_source_article(1, watched, 10, 20).unwrap();
            let all = store.articles().unwrap();
            assert_eq!(all.iter().map(|a| a.url.as_str()).collect::<Vec<_>>(), [watched], "no second article");
        });
    }

    #[test]
    fn child_sitemap_validators_are_kept_per_child_url_and_replaced_whole() {
        each_store(|store| {
            store.sync_config_sources(&[source("https://a.example/sitemap.xml")], 0).unwrap();
            assert!(store.sitemap_validators(1).unwrap().is_empty());
            let child =
                |n: u8, etag: Option<&str>| (format!("https://a.example/s{n}.xml"), etag.map(str::to_string), None);
            store.set_sitemap_validators(1, &[child(1, Some("\"a\"")), child(2, None)]).unwrap();
            assert_eq!(store.sitemap_validators(1).unwrap(), [child(1, Some("\"a\"")), child(2, None)]);
            // The index now names s2 and s3 only: s1 is forgotten.
            store.set_sitemap_validators(1, &[child(2, Some("\"b\"")), child(3, None)]).unwrap();
            assert_eq!(store.sitemap_validators(1).unwrap(), [child(2, Some("\"b\"")), child(3, None)]);
        });
    }
}
