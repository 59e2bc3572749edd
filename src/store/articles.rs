//! The `articles` table: articles discovered one by one or in bulk, due work
//! claimed (fairly across hosts) and released, the end of each check, and
//! articles retired when their revisit plan ends.

use super::sql::{Conn, Engine, Row, Value, params};
use super::{FetchLogEntry, Result, Store, Table, lease_done, lease_free};

/// The politeness key of a URL: its host, with the port when one is given.
pub fn host_key(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => String::new(),
        },
        Err(_) => String::new(),
    }
}

/// A stored article, with the schedule and rules of its source.
#[derive(Debug, Clone)]
pub struct ArticleRow {
    /// Row id.
    pub id: i64,
    /// Its source.
    pub source_id: i64,
    /// The source's URL.
    pub source_url: String,
    /// The article URL.
    pub url: String,
    /// The source's schedule spec.
    pub schedule: String,
    /// The source's rules JSON.
    pub rules: String,
    /// When it is next due.
    pub next_check: Option<i64>,
    /// When it was last checked.
    pub last_checked: Option<i64>,
    /// When it last changed.
    pub last_changed: Option<i64>,
    /// Validator for conditional GET.
    pub etag: Option<String>,
    /// Validator for conditional GET.
    pub last_modified: Option<String>,
    /// Consecutive failures.
    pub failures: u32,
    /// The last failure.
    pub last_error: Option<String>,
    /// Number of stored versions.
    pub versions: i64,
    /// When it was discovered.
    pub first_seen: i64,
    /// `active`, or `retired` once its revisit plan has ended.
    pub state: String,
    /// Hash of the last body received.
    pub body_hash: Option<String>,
    /// The latest time a listing gave it (unix seconds), a hint that it changed then.
    pub listed_at: Option<i64>,
    /// The title its own listing (feed, sitemap) last gave it.
    pub listed_title: Option<String>,
}

/// How an article check ended, for the `articles` row.
#[derive(Debug, Clone)]
pub struct CheckDone<'a> {
    /// When.
    pub at: i64,
    /// When it is next due.
    pub next_check: i64,
    /// New validators.
    pub etag: Option<&'a str>,
    /// New validators.
    pub last_modified: Option<&'a str>,
    /// The hash of the body as received: the next identical body skips extraction.
    pub body_hash: Option<&'a str>,
}

pub(crate) const ARTICLE_SELECT: &str =
    "SELECT a.id, a.source_id, s.url, a.url, s.schedule, s.rules, a.next_check, a.last_checked,
        a.last_changed, a.etag, a.last_modified, a.failures, a.last_error,
        (SELECT COUNT(*) FROM versions v WHERE v.article_id = a.id), a.first_seen, a.state, a.body_hash,
        a.listed_at, a.listed_title
    FROM articles a JOIN sources s ON s.id = a.source_id";

pub(crate) fn article_row(r: &Row) -> Result<ArticleRow> {
    Ok(ArticleRow {
        id: r.get(0)?,
        source_id: r.get(1)?,
        source_url: r.get(2)?,
        url: r.get(3)?,
        schedule: r.get(4)?,
        rules: r.get(5)?,
        next_check: r.get(6)?,
        last_checked: r.get(7)?,
        last_changed: r.get(8)?,
        etag: r.get(9)?,
        last_modified: r.get(10)?,
        failures: r.get(11)?,
        last_error: r.get(12)?,
        versions: r.get(13)?,
        first_seen: r.get(14)?,
        state: r.get(15)?,
        body_hash: r.get(16)?,
        listed_at: r.get(17)?,
        listed_title: r.get(18)?,
    })
}

impl Store {
    /// Adds an article under a source unless its URL is known; returns its id and whether it is new.
    pub fn ensure_article(&self, source_id: i64, url: &str, now: i64) -> Result<(i64, bool)> {
        let mut conn = self.conn();
        let inserted = insert_article(&mut conn, source_id, url, now)?;
        let id = conn.scalar("SELECT id FROM articles WHERE url = ?1", params![url])?;
        Ok((id, inserted == 1))
    }

    /// Adds the articles a listing names, in one transaction; returns how many are new.
    pub fn ensure_articles<'a>(
        &self,
        source_id: i64,
        urls: impl IntoIterator<Item = &'a str>,
        now: i64,
    ) -> Result<usize> {
        self.conn().transaction(|tx| {
            let mut new = 0;
            for url in urls {
                new += insert_article(tx, source_id, url, now)?;
            }
            Ok(new)
        })
    }

    /// Claims up to `limit` active articles of enabled sources due at `now`
    /// (every one if `all`) and not leased (or whose lease has expired), leasing
    /// them to this worker and pushing their due time to `lease_until`.
    pub fn claim_due_articles(&self, now: i64, lease_until: i64, limit: usize, all: bool) -> Result<Vec<ArticleRow>> {
        let mut conn = self.conn();
        let sql = format!(
            "{ARTICLE_SELECT} WHERE s.enabled = 1 AND a.state = 'active'
               AND (?2 = 1 OR a.next_check IS NULL OR a.next_check <= ?1) AND {}
             ORDER BY a.next_check LIMIT ?3{}",
            lease_free("a", 1),
            conn.skip_locked("a")
        );
        conn.transaction(|tx| claim(tx, &sql, params![now, all, limit], lease_until, &self.worker))
    }

    /// Claims up to `limit` due articles fairly across hosts: at most `per_host`
    /// from any one host counting the articles any worker holds a live lease on
    /// there (checks in flight), none from the hosts in `busy` (already at their
    /// limit), most overdue first and, among equally due ones, one host after the
    /// other. A site with a long backlog cannot hold back the others, and workers
    /// do not claim more of a host than its limit lets them fetch. (The leases are
    /// counted from the leased rows of the host, an index of their own.)
    ///
    /// The candidates are ranked first, then locked: on PostgreSQL a candidate
    /// another worker is claiming at that moment is skipped. SQLite ranks every due
    /// article with a window function (one process claims at a time); PostgreSQL,
    /// where every worker claims several times a second, walks the hosts that have
    /// active articles and reads only the first `per_host` due ones of each from the
    /// index, so a claim costs the number of hosts, not the size of the backlog.
    /// Both give the same candidates in the same order.
    pub fn claim_due_articles_fair(
        &self,
        now: i64,
        lease_until: i64,
        limit: usize,
        per_host: usize,
        busy: &[String],
    ) -> Result<Vec<ArticleRow>> {
        let busy_json = serde_json::to_string(busy)?;
        let mut conn = self.conn();
        let held = |host: &str| {
            format!(
                "(SELECT COUNT(*) FROM articles l
                  WHERE l.host = {host} AND l.lease_owner IS NOT NULL AND l.lease_until > ?1 AND l.next_check > ?1)"
            )
        };
        let ranked = match conn.engine() {
            Engine::Sqlite => format!(
                "SELECT id, next_check, rank FROM (
                    SELECT a2.id, a2.host, a2.next_check,
                           ROW_NUMBER() OVER (PARTITION BY a2.host ORDER BY a2.next_check, a2.id) AS rank
                    FROM articles a2 JOIN sources s2 ON s2.id = a2.source_id
                    WHERE s2.enabled = 1 AND a2.state = 'active'
                      AND (a2.next_check IS NULL OR a2.next_check <= ?1) AND {}
                      AND COALESCE(a2.host, '') NOT IN {}
                ) ranked
                WHERE rank <= ?3 AND rank + {} <= ?3",
                lease_free("a2", 1),
                conn.json_texts(4),
                held("ranked.host"),
            ),
            // A loose index scan: the next host after each one, then its first due rows.
            Engine::Postgres => format!(
                "WITH RECURSIVE hosts (host) AS (
                    SELECT MIN(host) FROM articles WHERE state = 'active'
                    UNION ALL
                    SELECT (SELECT MIN(n.host) FROM articles n WHERE n.state = 'active' AND n.host > hosts.host)
                    FROM hosts WHERE hosts.host IS NOT NULL
                 )
                 SELECT d.id, d.next_check, d.rank
                 FROM hosts h
                 CROSS JOIN LATERAL (SELECT {} AS n) held
                 CROSS JOIN LATERAL (
                    SELECT a2.id, a2.next_check, ROW_NUMBER() OVER (ORDER BY a2.next_check, a2.id) AS rank
                    FROM articles a2 JOIN sources s2 ON s2.id = a2.source_id
                    WHERE a2.host = h.host AND a2.state = 'active' AND s2.enabled = 1
                      AND (a2.next_check IS NULL OR a2.next_check <= ?1) AND {}
                    ORDER BY a2.next_check, a2.id LIMIT ?3
                 ) d
                 WHERE h.host IS NOT NULL AND h.host NOT IN {} AND d.rank + held.n <= ?3",
                held("h.host"),
                lease_free("a2", 1),
                conn.json_texts(4),
            ),
        };
        let sql = format!(
            "{ARTICLE_SELECT} WHERE a.id IN (
                SELECT id FROM ({ranked}) candidates ORDER BY next_check, rank LIMIT ?2
             ) AND {} ORDER BY a.next_check{}",
            // Checked again on the locked row: a lease taken since the ranking read is seen.
            lease_free("a", 1),
            conn.skip_locked("a")
        );
        conn.transaction(|tx| claim(tx, &sql, params![now, limit, per_host, busy_json], lease_until, &self.worker))
    }

    /// Claims up to `limit` active articles of enabled sources with an id above
    /// `after`, in id order, whatever their due time (for `run --once`), leaving
    /// out those another worker holds a live lease on at `now`.
    pub fn claim_articles_after(
        &self,
        after: i64,
        now: i64,
        lease_until: i64,
        limit: usize,
    ) -> Result<Vec<ArticleRow>> {
        let mut conn = self.conn();
        let sql = format!(
            "{ARTICLE_SELECT} WHERE s.enabled = 1 AND a.state = 'active' AND a.id > ?1 AND {}
             ORDER BY a.id LIMIT ?2{}",
            lease_free("a", 3),
            conn.skip_locked("a")
        );
        conn.transaction(|tx| claim(tx, &sql, params![after, limit, now], lease_until, &self.worker))
    }

    /// Makes every leased row due now and frees it, whoever holds it: only for a
    /// process that holds the database alone ([`super::lock::DbLock`]), which knows
    /// that every lease belongs to a process that crashed or was killed mid-check.
    /// Without that lock nothing is released at start: an expired lease is taken
    /// over by whichever worker claims next. The three tables (and the outbox's
    /// leases) in one transaction.
    pub fn release_leases(&self, now: i64) -> Result<usize> {
        self.conn().transaction(|tx| {
            let mut released = 0;
            for table in ["articles", "sources"] {
                released += tx.execute(
                    &format!(
                        "UPDATE {table} SET next_check = ?1, leased = 0, lease_owner = NULL, lease_until = NULL
                         WHERE leased = 1 OR lease_owner IS NOT NULL"
                    ),
                    params![now],
                )?;
            }
            // Outbox rows keep their due time: only their lease goes.
            released += tx.execute(
                "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL",
                &[],
            )?;
            Ok(released)
        })
    }

    /// Makes these claimed articles due at `now` again and no longer leased (their
    /// check could not be recorded). Articles already finished, never claimed, or
    /// whose lease another worker has taken over, are left alone. Returns how many
    /// were released.
    pub fn release_articles(&self, ids: &[i64], now: i64) -> Result<usize> {
        self.release(Table::Articles, ids, now)
    }

    /// Stops revisiting an article (its revisit plan has ended); its history stays.
    pub fn retire_article(&self, article_id: i64) -> Result<()> {
        self.conn().execute(
            &format!("UPDATE articles SET state = 'retired', next_check = NULL, {} WHERE id = ?1", lease_done(2)),
            params![article_id, &self.worker],
        )?;
        Ok(())
    }

    /// Every article, most recently changed first.
    pub fn articles(&self) -> Result<Vec<ArticleRow>> {
        let sql = format!("{ARTICLE_SELECT} ORDER BY COALESCE(a.last_changed, a.first_seen) DESC, a.id");
        self.conn().query(&sql, &[])?.iter().map(article_row).collect()
    }

    /// The article with this URL, or with it as an alias (issue 15), tried as
    /// given and then without its tracking parameters.
    pub fn article_by_url(&self, url: &str) -> Result<Option<ArticleRow>> {
        let stripped = crate::signals::canonical::strip_tracking(url);
        for url in [url, stripped.as_str()] {
            let sql = format!(
                "{ARTICLE_SELECT} WHERE a.url = ?1
                 UNION ALL {ARTICLE_SELECT} JOIN article_aliases al ON al.article_id = a.id WHERE al.url = ?1"
            );
            if let Some(row) = self.conn().query_opt(&sql, params![url])? {
                return article_row(&row).map(Some);
            }
        }
        Ok(None)
    }

    /// Records a check that found no new content.
    /// (Checks record with their log line: [`Store::record_unchanged_logged`].)
    #[cfg(test)]
    pub fn record_unchanged(&self, article_id: i64, done: &CheckDone<'_>) -> Result<()> {
        self.conn().execute(&unchanged_sql(), &self.unchanged_params(article_id, done))?;
        Ok(())
    }

    /// [`Store::record_unchanged`] and its fetch-log line, as one commit.
    pub fn record_unchanged_logged(&self, article_id: i64, done: &CheckDone<'_>, log: &FetchLogEntry) -> Result<()> {
        self.update_logged(&unchanged_sql(), self.unchanged_params(article_id, done), log)
    }

    /// Records a failed check.
    /// (Checks record with their log line: [`Store::record_failure_logged`].)
    #[cfg(test)]
    pub fn record_failure(&self, article_id: i64, at: i64, next_check: i64, error: &str) -> Result<()> {
        self.conn().execute(&failure_sql(), &self.failure_params(article_id, at, next_check, error))?;
        Ok(())
    }

    /// [`Store::record_failure`] and its fetch-log line, as one commit.
    pub fn record_failure_logged(
        &self,
        article_id: i64,
        at: i64,
        next_check: i64,
        error: &str,
        log: &FetchLogEntry,
    ) -> Result<()> {
        self.update_logged(&failure_sql(), self.failure_params(article_id, at, next_check, error), log)
    }

    fn unchanged_params(&self, article_id: i64, done: &CheckDone<'_>) -> Vec<Value> {
        params![article_id, done.at, done.next_check, done.etag, done.last_modified, done.body_hash, &self.worker]
            .to_vec()
    }

    fn failure_params(&self, article_id: i64, at: i64, next_check: i64, error: &str) -> Vec<Value> {
        params![article_id, at, next_check, error, &self.worker].to_vec()
    }
}

/// The UPDATE of a check that found no new content ([`Store::unchanged_params`]).
fn unchanged_sql() -> String {
    format!(
        "UPDATE articles SET last_checked = ?2, next_check = ?3, failures = 0, last_error = NULL, {},
                etag = COALESCE(?4, etag), last_modified = COALESCE(?5, last_modified),
                body_hash = COALESCE(?6, body_hash)
         WHERE id = ?1",
        lease_done(7)
    )
}

/// The UPDATE of a failed check ([`Store::failure_params`]).
fn failure_sql() -> String {
    format!(
        "UPDATE articles SET last_checked = ?2, next_check = ?3, failures = failures + 1, last_error = ?4, {}
         WHERE id = ?1",
        lease_done(5)
    )
}

/// Adds an article unless its URL is known (as an article or an alias of one);
/// returns 1 if it is new, else 0.
pub(super) fn insert_article(conn: &mut Conn, source_id: i64, url: &str, now: i64) -> Result<usize> {
    if conn.query_opt("SELECT 1 FROM article_aliases WHERE url = ?1", params![url])?.is_some() {
        return Ok(0);
    }
    insert_unaliased_article(conn, source_id, url, now)
}

/// [`insert_article`] of a URL known not to be an alias.
pub(super) fn insert_unaliased_article(conn: &mut Conn, source_id: i64, url: &str, now: i64) -> Result<usize> {
    conn.execute(
        "INSERT INTO articles (source_id, url, first_seen, next_check, host) VALUES (?1, ?2, ?3, ?3, ?4)
         ON CONFLICT (url) DO NOTHING",
        params![source_id, url, now, host_key(url)],
    )
}

/// Inside a transaction: reads the articles `sql` selects and leases them to
/// `worker` until `lease_until`, their due time pushed there too (so that the
/// check of a worker that dies is due again when its lease expires).
fn claim(
    tx: &mut Conn,
    sql: &str,
    params: &[super::sql::Value],
    lease_until: i64,
    worker: &str,
) -> Result<Vec<ArticleRow>> {
    let rows: Vec<ArticleRow> = tx.query(sql, params)?.iter().map(article_row).collect::<Result<_>>()?;
    if rows.is_empty() {
        return Ok(rows);
    }
    // One statement for the whole batch: a round trip per claim, not per article.
    let ids = serde_json::to_string(&rows.iter().map(|r| r.id).collect::<Vec<_>>())?;
    let sql = format!(
        "UPDATE articles SET next_check = ?2, leased = 1, lease_owner = ?3, lease_until = ?2 WHERE id IN {}",
        tx.json_ints(1)
    );
    tx.execute(&sql, params![ids, lease_until, worker])?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::store::fixtures::{each_shared_store, each_store};
    use crate::store::{Store, sql::params};

    /// Who holds the lease of an article, and until when.
    fn lease_of(store: &Store, id: i64) -> (Option<String>, Option<i64>) {
        let rows =
            store.query_rows("SELECT lease_owner, lease_until FROM articles WHERE id = ?1", params![id]).unwrap();
        (rows[0].get(0).unwrap(), rows[0].get(1).unwrap())
    }

    #[test]
    fn two_workers_claiming_at_once_never_get_the_same_row() {
        each_shared_store(|w1, w2| {
            let urls: Vec<String> = (0..120).map(|n| format!("https://h{}.example/{n}", n % 6)).collect();
            let sources: Vec<_> =
                (0..6).map(|h| crate::store::fixtures::source(&format!("https://h{h}.example/rss"))).collect();
            w1.sync_config_sources(&sources, 0).unwrap();
            w1.ensure_articles(1, urls.iter().map(String::as_str), 10).unwrap();
            // Each worker claims in small batches until nothing is left: one the fair way, one plainly.
            let start = std::sync::Barrier::new(2);
            let claims = |store: &Store, fair: bool| {
                let (mut articles, mut listings) = (Vec::new(), Vec::new());
                start.wait();
                loop {
                    // A pause between batches, as a worker checks what it claimed: the two interleave.
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    let batch = match fair {
                        true => store.claim_due_articles_fair(100, 400, 5, 2, &[]).unwrap(),
                        false => store.claim_due_articles(100, 400, 3, false).unwrap(),
                    };
                    listings.extend(store.claim_due_sources(100, 400, false).unwrap().into_iter().map(|s| s.id));
                    if batch.is_empty() {
                        return (articles, listings);
                    }
                    articles.extend(batch.into_iter().map(|a| a.id));
                }
            };
            let ((a1, s1), (a2, s2)) = std::thread::scope(|scope| {
                let one = scope.spawn(|| claims(w1, true));
                let two = scope.spawn(|| claims(w2, false));
                (one.join().unwrap(), two.join().unwrap())
            });
            let (set1, set2): (BTreeSet<i64>, BTreeSet<i64>) =
                (a1.iter().copied().collect(), a2.iter().copied().collect());
            assert_eq!(set1.len() + set2.len(), a1.len() + a2.len(), "a worker claimed a row twice");
            assert!(set1.is_disjoint(&set2), "both claimed {:?}", set1.intersection(&set2).collect::<Vec<_>>());
            assert_eq!(set1.len() + set2.len(), 120, "every due article claimed once");
            assert!(!set1.is_empty() && !set2.is_empty(), "both workers got work: {} and {}", set1.len(), set2.len());
            let listings: BTreeSet<i64> = s1.iter().chain(&s2).copied().collect();
            assert_eq!((listings.len(), s1.len() + s2.len()), (6, 6), "each listing read by one worker");
            let owners = w1.query_rows("SELECT DISTINCT lease_owner FROM articles ORDER BY 1", &[]).unwrap();
            let owners: Vec<String> = owners.iter().map(|r| r.get(0).unwrap()).collect();
            assert_eq!(owners, vec!["w1".to_string(), "w2".to_string()]);
        });
    }

    #[test]
    fn a_dead_workers_lease_is_taken_over_only_once_expired() {
        each_shared_store(|w1, w2| {
            w1.sync_config_sources(&[crate::store::fixtures::source("https://a.example/rss")], 0).unwrap();
            w1.ensure_articles(1, ["https://a.example/1"], 10).unwrap();
            let id = w1.claim_due_articles(100, 400, 10, false).unwrap()[0].id;
            assert_eq!(lease_of(w1, id), (Some("w1".into()), Some(400)));
            // w1 dies. Its lease holds until 400, even for a claim of everything.
            assert!(w2.claim_due_articles(399, 699, 10, true).unwrap().is_empty());
            assert!(w2.claim_due_articles_fair(399, 699, 10, 2, &[]).unwrap().is_empty());
            assert!(w2.claim_articles_after(0, 399, 699, 10).unwrap().is_empty());
            let taken = w2.claim_due_articles_fair(400, 700, 10, 2, &[]).unwrap();
            assert_eq!(taken.iter().map(|a| a.id).collect::<Vec<_>>(), vec![id], "expired: taken over");
            assert_eq!(lease_of(w2, id), (Some("w2".into()), Some(700)));
            // w1 was only slow: its late result is recorded, but the lease stays w2's,
            // and w1 cannot hand back what it no longer holds.
            w1.record_failure(id, 450, 900, "HTTP 503").unwrap();
            assert_eq!(lease_of(w1, id), (Some("w2".into()), Some(700)));
            assert_eq!(w1.release_articles(&[id], 460).unwrap(), 0);
            assert_eq!(w2.release_articles(&[id], 470).unwrap(), 1);
            assert_eq!(lease_of(w2, id), (None, None));
            let again = w1.claim_due_articles(470, 770, 10, false).unwrap();
            assert_eq!(again.len(), 1);
            w1.record_unchanged(id, &crate::store::fixtures::done(480)).unwrap();
            assert_eq!(lease_of(w1, id), (None, None), "the owner's finish clears its lease");
        });
    }
    use crate::store::{NewSource, SourceKind, host_key};

    #[test]
    fn fair_claims_count_every_workers_leases_at_a_host_and_take_hosts_in_turn() {
        each_shared_store(|w1, w2| {
            let sources: Vec<_> = ["a", "b", "c"]
                .iter()
                .map(|h| crate::store::fixtures::source(&format!("https://{h}.example/rss")))
                .collect();
            w1.sync_config_sources(&sources, 0).unwrap();
            for (source, host) in [(1, "a"), (2, "b"), (3, "c")] {
                let urls: Vec<String> = (0..10).map(|n| format!("https://{host}.example/{n}")).collect();
                w1.ensure_articles(source, urls.iter().map(String::as_str), 10).unwrap();
            }
            // Equally due: one host after the other, not the first host's articles first.
            let first = w1.claim_due_articles_fair(100, 400, 3, 2, &[]).unwrap();
            let mut hosts: Vec<String> = first.iter().map(|a| host_key(&a.url)).collect();
            hosts.sort();
            assert_eq!(hosts, ["a.example", "b.example", "c.example"]);
            // w1 holds one article of each host: w2 gets one more of each, up to the limit of 2.
            let second = w2.claim_due_articles_fair(100, 400, 10, 2, &[]).unwrap();
            let mut hosts: Vec<String> = second.iter().map(|a| host_key(&a.url)).collect();
            hosts.sort();
            assert_eq!(hosts, ["a.example", "b.example", "c.example"], "w1's leases count at w2");
            assert!(w1.claim_due_articles_fair(100, 400, 10, 2, &[]).unwrap().is_empty(), "every host at its limit");
            // A check ends: its host has room again, for either worker.
            w2.record_unchanged(second[0].id, &crate::store::fixtures::done(150)).unwrap();
            let again = w1.claim_due_articles_fair(150, 450, 10, 2, &[]).unwrap();
            assert_eq!(again.iter().map(|a| host_key(&a.url)).collect::<Vec<_>>(), vec![host_key(&second[0].url)]);
            // Expired leases (a dead worker's) no longer count.
            let after = w2.claim_due_articles_fair(400, 700, 10, 2, &[]).unwrap();
            let count = |host: &str| after.iter().filter(|a| host_key(&a.url) == host).count();
            let busy = host_key(&second[0].url);
            assert_eq!(count(&busy), 1, "w1's live lease still counts there: {after:?}");
            assert_eq!(after.len(), 5, "two at each of the other hosts: {after:?}");
        });
    }

    #[test]
    fn fair_claims_pass_over_retired_articles_and_hosts_with_nothing_due() {
        each_store(|store| {
            let sources: Vec<_> = ["a", "b", "c"]
                .iter()
                .map(|h| crate::store::fixtures::source(&format!("https://{h}.example/rss")))
                .collect();
            store.sync_config_sources(&sources, 0).unwrap();
            let urls = |host: &str, n: usize| (0..n).map(|k| format!("https://{host}.example/{k}")).collect::<Vec<_>>();
            store.ensure_articles(1, urls("a", 6).iter().map(String::as_str), 10).unwrap();
            store.ensure_articles(2, urls("b", 3).iter().map(String::as_str), 500).unwrap();
            store.ensure_articles(3, urls("c", 4).iter().map(String::as_str), 20).unwrap();
            // The first three of a retired: the next three of a are its candidates.
            for a in
                store.claim_due_articles_fair(100, 200, 3, 3, &[]).unwrap().iter().filter(|a| a.url.contains("//a."))
            {
                store.retire_article(a.id).unwrap();
            }
            let claimed = store.claim_due_articles_fair(300, 400, 10, 3, &[]).unwrap();
            let mut urls: Vec<&str> = claimed.iter().map(|a| a.url.as_str()).collect();
            urls.sort();
            // b is due only at 500; c's last article is over its limit of 3 with none leased.
            assert_eq!(urls.iter().filter(|u| u.contains("//b.")).count(), 0, "{urls:?}");
            assert_eq!(urls.iter().filter(|u| u.contains("//c.")).count(), 3, "{urls:?}");
            let a: Vec<&&str> = urls.iter().filter(|u| u.contains("//a.")).collect();
            assert_eq!(a.len(), 3, "{urls:?}");
            assert!(store.claim_due_articles_fair(300, 400, 10, 3, &[]).unwrap().is_empty(), "a and c at their limit");
        });
    }

    #[test]
    fn fair_claims_take_a_few_per_host_and_skip_busy_hosts() {
        each_store(|store| {
            let source = NewSource {
                kind: SourceKind::Feed,
                url: "https://a.example/rss".into(),
                schedule: "every 10m".into(),
                rules: "{}".into(),
            };
            store.sync_config_sources(&[source], 0).unwrap();
            let many: Vec<String> = (0..50).map(|n| format!("https://a.example/{n}")).collect();
            store.ensure_articles(1, many.iter().map(String::as_str), 10).unwrap();
            store.ensure_articles(1, ["https://b.example/1", "http://c.example:8080/1"], 20).unwrap();
            let claimed = store.claim_due_articles_fair(100, 400, 10, 2, &[]).unwrap();
            let hosts: Vec<String> = claimed.iter().map(|a| host_key(&a.url)).collect();
            assert_eq!(hosts.iter().filter(|h| *h == "a.example").count(), 2, "{hosts:?}");
            assert!(hosts.contains(&"b.example".to_string()) && hosts.contains(&"c.example:8080".to_string()));
            let again = store.claim_due_articles_fair(100, 400, 10, 2, &["a.example".to_string()]).unwrap();
            assert!(again.is_empty(), "leased rows and busy hosts are skipped: {again:?}");
        });
    }

    #[test]
    fn bulk_discovery_retirement_and_status() {
        each_store(|store| {
            let source = NewSource {
                kind: SourceKind::Feed,
                url: "https://n.example/rss".into(),
                schedule: "every 10m".into(),
                rules: "{}".into(),
            };
            store.sync_config_sources(&[source], 0).unwrap();
            let urls = ["https://n.example/a", "https://n.example/b", "https://n.example/a"];
            assert_eq!(store.ensure_articles(1, urls, 100).unwrap(), 2);
            assert_eq!(store.ensure_articles(1, ["https://n.example/b", "https://n.example/c"], 200).unwrap(), 1);
            let status = store.status(150, 10).unwrap();
            assert_eq!((status.active_articles, status.due_now), (3, 2));
            store.retire_article(1).unwrap();
            store.record_failure(2, 160, 500, "HTTP 503").unwrap();
            let status = store.status(300, 10).unwrap();
            assert_eq!((status.active_articles, status.retired_articles, status.due_now), (2, 1, 1));
            assert_eq!(status.next_due, Some(500));
            assert_eq!(status.failing, vec![("https://n.example/b".to_string(), 1, "HTTP 503".to_string(), Some(500))]);
            assert!(store.claim_due_articles(10_000, 10_300, 10, true).unwrap().iter().all(|a| a.id != 1));
        });
    }

    #[test]
    fn released_articles_are_due_again_but_finished_ones_keep_their_time() {
        each_store(|store| {
            store.sync_config_sources(&[crate::store::fixtures::source("https://a.example/rss")], 0).unwrap();
            store
                .ensure_articles(1, ["https://a.example/1", "https://a.example/2", "https://a.example/3"], 10)
                .unwrap();
            let ids: Vec<i64> = store.claim_due_articles(100, 400, 10, false).unwrap().iter().map(|a| a.id).collect();
            assert_eq!(ids.len(), 3);
            store.record_failure(ids[0], 110, 900, "HTTP 503").unwrap();
            // The first finished, the second could not be recorded, the third is still in flight; 99 is unknown.
            assert_eq!(store.release_articles(&[ids[0], ids[1], 99], 150).unwrap(), 1);
            assert_eq!(store.release_articles(&[ids[1]], 160).unwrap(), 0, "released once");
            let due: Vec<Option<i64>> = ids
                .iter()
                .map(|&id| store.articles().unwrap().into_iter().find(|a| a.id == id).unwrap().next_check)
                .collect();
            assert_eq!(due, vec![Some(900), Some(150), Some(400)]);
            let again = store.claim_due_articles(150, 450, 10, false).unwrap();
            assert_eq!(again.iter().map(|a| a.id).collect::<Vec<_>>(), vec![ids[1]]);
            // A crash afterwards still releases the rest in one go.
            assert_eq!(store.release_leases(500).unwrap(), 2);
        });
    }
}
