//! Read queries for the web UI, the Atom feed and the JSON API: changes,
//! articles, their timelines and the counts of `/metrics`. Watches are in
//! `watches.rs`, full-text search in `search.rs`.
//!
//! Lists are paged by keyset (`before` = the last id seen), so a page costs the
//! same at the end of a long history as at its start.

use super::changes::{CHANGE_SELECT, change_row};
use super::sql::{Row, Value, params};
use super::{ChangeRow, Result, Store};
use crate::diff::EditKind;

/// Which changes to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct ChangeFilter {
    /// Only changes carrying this kind.
    pub kind: Option<EditKind>,
    /// Only changes of articles under this watch (source id).
    pub source_id: Option<i64>,
    /// Only changes of this article.
    pub article_id: Option<i64>,
    /// Only articles on this host (`www.example.com`, port included if any).
    pub outlet: Option<String>,
    /// Recorded at or after (unix seconds).
    pub since: Option<i64>,
    /// Recorded before (unix seconds).
    pub until: Option<i64>,
    /// Only changes with a smaller id (the cursor of the next page).
    pub before: Option<i64>,
    /// Page size.
    pub limit: usize,
}

/// One change in a list: everything but the structured diff.
#[derive(Debug, Clone)]
pub struct ChangeSummary {
    /// Change id.
    pub id: i64,
    /// Its article.
    pub article_id: i64,
    /// The article URL.
    pub article_url: String,
    /// The headline of the new version.
    pub title: Option<String>,
    /// The watch the article came from.
    pub source_id: i64,
    /// That watch's URL.
    pub source_url: String,
    /// Version number before.
    pub from_number: i64,
    /// Version number after.
    pub to_number: i64,
    /// When it was recorded (unix seconds).
    pub created_at: i64,
    /// Edit kinds.
    pub kinds: Vec<EditKind>,
    /// 0 to 1.
    pub significance: f64,
    /// One line for humans.
    pub summary: String,
}

/// One article in a list.
#[derive(Debug, Clone)]
pub struct ArticleSummary {
    /// Row id.
    pub id: i64,
    /// The article URL.
    pub url: String,
    /// Its watch.
    pub source_id: i64,
    /// The watch's URL.
    pub source_url: String,
    /// The newest headline.
    pub title: Option<String>,
    /// Stored versions.
    pub versions: i64,
    /// Recorded changes.
    pub changes: i64,
    /// First seen (unix seconds).
    pub first_seen: i64,
    /// Last checked.
    pub last_checked: Option<i64>,
    /// Last changed.
    pub last_changed: Option<i64>,
    /// Next due.
    pub next_check: Option<i64>,
    /// Consecutive failures.
    pub failures: u32,
    /// The last failure.
    pub last_error: Option<String>,
    /// `active` or another state set by the daemon.
    pub state: String,
}

/// One version in an article's timeline, with the change that produced it.
#[derive(Debug, Clone)]
pub struct VersionSummary {
    /// 1, 2, 3…
    pub number: i64,
    /// When it was fetched.
    pub fetched_at: i64,
    /// Its headline.
    pub title: Option<String>,
    /// Its byline.
    pub byline: Option<String>,
    /// Its modification date as published.
    pub modified: Option<String>,
    /// The change from the version before (none for version 1).
    pub change_id: Option<i64>,
    /// That change's kinds.
    pub kinds: Vec<EditKind>,
    /// That change's significance.
    pub significance: Option<f64>,
    /// That change's summary.
    pub summary: Option<String>,
}

/// What `/metrics` reports, read from the tables.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Checks in the window by outcome (`new`, `changed`, `unchanged`, `not_modified`, `error`, `wall`, `listing`…).
    pub checks: Vec<(String, i64)>,
    /// The latest fetch-log line (unix seconds): the window is the [`METRICS_WINDOW_SECS`] before it.
    pub last_check: Option<i64>,
    /// Fetch latency: (upper bound in ms, lines at or under it), cumulative.
    pub fetch_buckets: Vec<(i64, i64)>,
    /// Fetch-log lines with a duration.
    pub fetch_count: i64,
    /// Their total duration in ms.
    pub fetch_sum_ms: i64,
    /// Stored changes.
    pub changes: i64,
    /// Stored versions.
    pub versions: i64,
    /// Watched articles.
    pub articles: i64,
    /// Enabled watches.
    pub watches_enabled: i64,
    /// Deliveries by status (`pending`, `delivered`, `failed`).
    pub deliveries: Vec<(String, i64)>,
    /// Pending deliveries already due.
    pub deliveries_due: i64,
    /// Active articles of enabled watches already due.
    pub articles_due: i64,
    /// Articles whose last check failed.
    pub articles_failing: i64,
}

/// The check counts and the latency histogram of `/metrics` cover the fetch log of this
/// many seconds up to its latest line: cheap through the `at` index however long the log
/// is kept, and still meaningful for `redline serve` over a database no daemon writes.
pub const METRICS_WINDOW_SECS: i64 = 3600;

/// Fetch latency bucket bounds in milliseconds.
pub const FETCH_BUCKETS_MS: [i64; 10] = [50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

const CHANGE_SUMMARY_SELECT: &str = "SELECT c.id, c.article_id, a.url, t.title, a.source_id, s.url, f.number, t.number,
        c.created_at, c.kinds, c.significance, c.summary
    FROM changes c JOIN articles a ON a.id = c.article_id JOIN sources s ON s.id = a.source_id
    JOIN versions f ON f.id = c.from_version JOIN versions t ON t.id = c.to_version";

fn change_summary_row(r: &Row) -> Result<ChangeSummary> {
    let kinds: String = r.get(9)?;
    Ok(ChangeSummary {
        id: r.get(0)?,
        article_id: r.get(1)?,
        article_url: r.get(2)?,
        title: r.get(3)?,
        source_id: r.get(4)?,
        source_url: r.get(5)?,
        from_number: r.get(6)?,
        to_number: r.get(7)?,
        created_at: r.get(8)?,
        kinds: parse_kinds(&kinds)?,
        significance: r.get(10)?,
        summary: r.get(11)?,
    })
}

fn parse_kinds(json: &str) -> Result<Vec<EditKind>> {
    Ok(serde_json::from_str(json)?)
}

const ARTICLE_SUMMARY_SELECT: &str = "SELECT a.id, a.url, a.source_id, s.url,
        (SELECT v.title FROM versions v WHERE v.article_id = a.id ORDER BY v.number DESC LIMIT 1),
        (SELECT COUNT(*) FROM versions v WHERE v.article_id = a.id),
        (SELECT COUNT(*) FROM changes c WHERE c.article_id = a.id),
        a.first_seen, a.last_checked, a.last_changed, a.next_check, a.failures, a.last_error, a.state
    FROM articles a JOIN sources s ON s.id = a.source_id";

fn article_summary_row(r: &Row) -> Result<ArticleSummary> {
    Ok(ArticleSummary {
        id: r.get(0)?,
        url: r.get(1)?,
        source_id: r.get(2)?,
        source_url: r.get(3)?,
        title: r.get(4)?,
        versions: r.get(5)?,
        changes: r.get(6)?,
        first_seen: r.get(7)?,
        last_checked: r.get(8)?,
        last_changed: r.get(9)?,
        next_check: r.get(10)?,
        failures: r.get(11)?,
        last_error: r.get(12)?,
        state: r.get(13)?,
    })
}

impl Store {
    /// Changes matching a filter, newest (highest id) first.
    pub fn recent_changes(&self, f: &ChangeFilter) -> Result<Vec<ChangeSummary>> {
        // The filters run on the narrow `changes_browse` index (and the articles' indexes) in
        // a subquery; only the page's rows are then joined and read in full.
        let mut inner = String::from("SELECT id FROM changes WHERE 1 = 1");
        let mut args: Vec<Value> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, value: Value| {
            args.push(value);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        // With a kind, the kind's partial index (`changes_kind_*`, whose WHERE is this very
        // LIKE, hence the literal) drives the scan: `+` keeps the other columns' indexes out.
        let col = |name: &str| if f.kind.is_some() { format!("+{name}") } else { name.to_string() };
        if let Some(k) = f.kind {
            // A fixed name from `EditKind`, never user text.
            inner.push_str(&format!(" AND kinds LIKE '%\"{}\"%'", k.as_str()));
        }
        if let Some(id) = f.article_id {
            arg(&mut inner, &format!(" AND {} = ?", col("article_id")), Value::from(id));
        }
        if let Some(id) = f.source_id {
            arg(
                &mut inner,
                &format!(" AND {} IN (SELECT id FROM articles WHERE source_id = ?)", col("article_id")),
                Value::from(id),
            );
        }
        if let Some(host) = &f.outlet {
            let host = host.to_ascii_lowercase().replace(['%', '_', '\\'], "");
            arg(
                &mut inner,
                &format!(" AND {} IN (SELECT id FROM articles WHERE url LIKE ?", col("article_id")),
                Value::from(format!("http://{host}/%")),
            );
            arg(&mut inner, " OR url LIKE ?)", Value::from(format!("https://{host}/%")));
        }
        if let Some(t) = f.since {
            arg(&mut inner, &format!(" AND {} >= ?", col("created_at")), Value::from(t));
        }
        if let Some(t) = f.until {
            arg(&mut inner, &format!(" AND {} < ?", col("created_at")), Value::from(t));
        }
        if let Some(id) = f.before {
            arg(&mut inner, " AND id < ?", Value::from(id));
        }
        arg(&mut inner, " ORDER BY id DESC LIMIT ?", Value::from(f.limit));
        let sql = format!("{CHANGE_SUMMARY_SELECT} WHERE c.id IN ({inner}) ORDER BY c.id DESC");
        self.conn().query(&sql, &args)?.iter().map(change_summary_row).collect()
    }

    /// One change, in the form lists show.
    pub fn change_summary(&self, id: i64) -> Result<Option<ChangeSummary>> {
        let sql = format!("{CHANGE_SUMMARY_SELECT} WHERE c.id = ?1");
        self.conn().query_opt(&sql, params![id])?.as_ref().map(change_summary_row).transpose()
    }

    /// One change with its structured diff.
    pub fn change_by_id(&self, id: i64) -> Result<Option<ChangeRow>> {
        self.change_where("c.id = ?1", params![id])
    }

    /// The change that produced version `number` of an article.
    pub fn change_to_version(&self, article_id: i64, number: i64) -> Result<Option<ChangeRow>> {
        self.change_where("c.article_id = ?1 AND t.number = ?2", params![article_id, number])
    }

    fn change_where(&self, clause: &str, params: &[Value]) -> Result<Option<ChangeRow>> {
        self.conn().query_opt(&format!("{CHANGE_SELECT} WHERE {clause}"), params)?.as_ref().map(change_row).transpose()
    }

    /// Articles, most recently changed (or first seen) first; `offset` rows skipped.
    pub fn article_summaries(
        &self,
        source_id: Option<i64>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<ArticleSummary>> {
        let sql = format!(
            "{ARTICLE_SUMMARY_SELECT} WHERE a.id IN (
                 SELECT id FROM articles WHERE (CAST(?1 AS BIGINT) IS NULL OR source_id = ?1)
                 ORDER BY COALESCE(last_changed, first_seen) DESC, id DESC LIMIT ?2 OFFSET ?3)
             ORDER BY COALESCE(a.last_changed, a.first_seen) DESC, a.id DESC"
        );
        self.conn().query(&sql, params![source_id, limit, offset])?.iter().map(article_summary_row).collect()
    }

    /// One article.
    pub fn article_summary(&self, id: i64) -> Result<Option<ArticleSummary>> {
        let sql = format!("{ARTICLE_SUMMARY_SELECT} WHERE a.id = ?1");
        self.conn().query_opt(&sql, params![id])?.as_ref().map(article_summary_row).transpose()
    }

    /// Every version of an article with the change that produced it, newest first.
    pub fn timeline(&self, article_id: i64) -> Result<Vec<VersionSummary>> {
        let rows = self.conn().query(
            "SELECT v.number, v.fetched_at, v.title, v.byline, v.modified, c.id, c.kinds, c.significance, c.summary
             FROM versions v LEFT JOIN changes c ON c.to_version = v.id
             WHERE v.article_id = ?1 ORDER BY v.number DESC",
            params![article_id],
        )?;
        rows.iter()
            .map(|r| {
                let kinds: Option<String> = r.get(6)?;
                Ok(VersionSummary {
                    number: r.get(0)?,
                    fetched_at: r.get(1)?,
                    title: r.get(2)?,
                    byline: r.get(3)?,
                    modified: r.get(4)?,
                    change_id: r.get(5)?,
                    kinds: kinds.as_deref().map(parse_kinds).transpose()?.unwrap_or_default(),
                    significance: r.get(7)?,
                    summary: r.get(8)?,
                })
            })
            .collect()
    }

    /// The stored raw page of a version, zstd-compressed (None when not kept).
    pub fn raw_html_zstd(&self, article_id: i64, number: i64) -> Result<Option<Vec<u8>>> {
        let row = self.conn().query_opt(
            "SELECT raw_html_zstd FROM versions WHERE article_id = ?1 AND number = ?2",
            params![article_id, number],
        )?;
        Ok(row.map(|r| r.get::<Option<Vec<u8>>>(0)).transpose()?.flatten())
    }

    /// Counts for `/metrics`.
    pub fn metrics(&self, now: i64) -> Result<Metrics> {
        let mut conn = self.conn();
        let mut m = Metrics { last_check: conn.scalar("SELECT MAX(at) FROM fetch_log", &[])?, ..Metrics::default() };
        let from = m.last_check.unwrap_or(0) - METRICS_WINDOW_SECS;
        // One pass over the window: counts, latency sum and buckets per outcome, summed here.
        let buckets: String =
            FETCH_BUCKETS_MS.iter().map(|b| format!(", COUNT(*) FILTER (WHERE duration_ms <= {b})")).collect();
        let rows = conn.query(
            &format!(
                "SELECT outcome, COUNT(*), COUNT(duration_ms), CAST(COALESCE(SUM(duration_ms), 0) AS BIGINT){buckets}
                 FROM fetch_log WHERE at > ?1 GROUP BY outcome ORDER BY outcome"
            ),
            params![from],
        )?;
        let mut counts = vec![0; FETCH_BUCKETS_MS.len()];
        for r in &rows {
            m.checks.push((r.get(0)?, r.get(1)?));
            m.fetch_count += r.get::<i64>(2)?;
            m.fetch_sum_ms += r.get::<i64>(3)?;
            for (i, total) in counts.iter_mut().enumerate() {
                *total += r.get::<i64>(i + 4)?;
            }
        }
        m.fetch_buckets = FETCH_BUCKETS_MS.iter().copied().zip(counts).collect();
        let mut one = |sql: &str, p: &[Value]| conn.scalar::<i64>(sql, p);
        m.changes = one("SELECT COUNT(*) FROM changes", &[])?;
        m.versions = one("SELECT COUNT(*) FROM versions", &[])?;
        m.articles = one("SELECT COUNT(*) FROM articles", &[])?;
        m.watches_enabled = one("SELECT COUNT(*) FROM sources WHERE enabled = 1", &[])?;
        m.deliveries_due =
            one("SELECT COUNT(*) FROM deliveries WHERE status = 'pending' AND next_attempt <= ?1", params![now])?;
        m.articles_due = one(
            "SELECT COUNT(*) FROM articles a JOIN sources s ON s.id = a.source_id
             WHERE s.enabled = 1 AND a.state = 'active' AND (a.next_check IS NULL OR a.next_check <= ?1)",
            params![now],
        )?;
        m.articles_failing = one("SELECT COUNT(*) FROM articles WHERE failures > 0", &[])?;
        // Delivered rows pile up; pending and failed ones are few: count those through the
        // (status, next_attempt) index and derive the delivered count from the total.
        let total = one("SELECT COUNT(*) FROM deliveries", &[])?;
        let pending = one("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'", &[])?;
        let failed = one("SELECT COUNT(*) FROM deliveries WHERE status = 'failed'", &[])?;
        m.deliveries = vec![
            ("delivered".to_string(), total - pending - failed),
            ("failed".to_string(), failed),
            ("pending".to_string(), pending),
        ];
        Ok(m)
    }

    /// A cheap query that proves the database answers, for `/healthz`: the schema version.
    pub fn ping(&self) -> Result<i64> {
        super::schema::schema_version(&mut self.conn())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::{each_store, two_versions};

    #[test]
    fn changes_filter_and_page() {
        each_store(|store| {
            let aid = two_versions(store);
            let all = store.recent_changes(&ChangeFilter { limit: 10, ..Default::default() }).unwrap();
            assert_eq!(all.len(), 1);
            assert_eq!((all[0].from_number, all[0].to_number, all[0].article_id), (1, 2, aid));
            assert_eq!(all[0].title.as_deref(), Some("Headline 1"));
            assert!(all[0].kinds.contains(&EditKind::Headline));
            let by_outlet = |o: &str| {
                store
                    .recent_changes(&ChangeFilter { outlet: Some(o.into()), limit: 10, ..Default::default() })
                    .unwrap()
                    .len()
            };
            assert_eq!(by_outlet("news.example"), 1);
            assert_eq!(by_outlet("other.example"), 0);
            let none = ChangeFilter { kind: Some(EditKind::Correction), limit: 10, ..Default::default() };
            assert!(store.recent_changes(&none).unwrap().is_empty());
            let before = ChangeFilter { before: Some(all[0].id), limit: 10, ..Default::default() };
            assert!(store.recent_changes(&before).unwrap().is_empty());
            let since = ChangeFilter { since: Some(201), limit: 10, ..Default::default() };
            assert!(store.recent_changes(&since).unwrap().is_empty());
            let tl = store.timeline(aid).unwrap();
            assert_eq!(tl.iter().map(|v| v.number).collect::<Vec<_>>(), vec![2, 1]);
            assert!(tl[0].change_id.is_some() && tl[1].change_id.is_none());
            assert_eq!(store.change_to_version(aid, 2).unwrap().unwrap().id, all[0].id);
        });
    }

    #[test]
    fn metrics_count_the_tables() {
        each_store(|store| {
            two_versions(store);
            store
                .log_fetch(&crate::store::FetchLogEntry {
                    at: 1,
                    url: "u".into(),
                    duration_ms: Some(70),
                    outcome: "changed".into(),
                    ..Default::default()
                })
                .unwrap();
            let m = store.metrics(1000).unwrap();
            assert_eq!((m.changes, m.versions, m.articles), (1, 2, 1));
            assert_eq!(m.checks, vec![("changed".to_string(), 1)]);
            assert_eq!(m.fetch_buckets[0], (50, 0));
            assert_eq!(m.fetch_buckets[1], (100, 1));
            assert_eq!(m.articles_due, 1);
        });
    }
}
