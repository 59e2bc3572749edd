//! Read queries for the web UI, the Atom feed and the JSON API, and the few
//! writes the API makes to watches (add, pause, resume, remove).
//!
//! Lists are paged by keyset (`before` = the last id seen), so a page costs the
//! same at the end of a long history as at its start.

use super::changes::{CHANGE_SELECT, change_row};
use super::schema::PG_SEARCH_DOCUMENT;
use super::sql::{Engine, Row, Value, params};
use super::{ChangeRow, NewSource, Result, Store};
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

/// A full-text search hit: the newest matching version of one article.
#[derive(Debug, Clone)]
pub struct SearchHit {
    /// Its article.
    pub article_id: i64,
    /// The article URL.
    pub url: String,
    /// The matching version.
    pub number: i64,
    /// When it was fetched.
    pub fetched_at: i64,
    /// Its headline.
    pub title: Option<String>,
    /// Matching text, the matches between U+E000 and U+E001, paragraphs as stored (JSON).
    pub snippet: String,
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

    /// Full-text search over headlines and text: the newest matching version of
    /// each article, newest first. FTS5 on SQLite, PostgreSQL's text search (the
    /// `simple` configuration: no stemming, as FTS5's default tokenizer) otherwise.
    pub fn search(&self, query: &SearchQuery, limit: usize) -> Result<Vec<SearchHit>> {
        let mut conn = self.conn();
        // Several versions of one article match alike: read a few pages' worth, keep each article's newest.
        let rows = match conn.engine() {
            Engine::Sqlite => conn.query(
                "SELECT v.article_id, a.url, v.number, v.fetched_at, v.title,
                        snippet(versions_fts, -1, char(57344), char(57345), '…', 24)
                 FROM versions_fts JOIN versions v ON v.id = versions_fts.rowid JOIN articles a ON a.id = v.article_id
                 WHERE versions_fts MATCH ?1 ORDER BY versions_fts.rowid DESC LIMIT ?2",
                params![query.fts5(), limit * 8],
            )?,
            Engine::Postgres => conn.query(
                &format!(
                    "SELECT v.article_id, a.url, v.number, v.fetched_at, v.title,
                            ts_headline('simple', COALESCE(v.title, '') || ' ' || v.paragraphs, q, ?3)
                     FROM versions v JOIN articles a ON a.id = v.article_id, to_tsquery('simple', ?1) q
                     WHERE {PG_SEARCH_DOCUMENT} @@ q ORDER BY v.id DESC LIMIT ?2"
                ),
                params![
                    query.tsquery(),
                    limit * 8,
                    "StartSel=\u{e000}, StopSel=\u{e001}, MaxWords=24, MinWords=12, MaxFragments=1, FragmentDelimiter=…"
                ],
            )?,
        };
        let mut seen = std::collections::HashSet::new();
        let mut hits = Vec::new();
        for r in &rows {
            let hit = SearchHit {
                article_id: r.get(0)?,
                url: r.get(1)?,
                number: r.get(2)?,
                fetched_at: r.get(3)?,
                title: r.get(4)?,
                snippet: r.get(5)?,
            };
            if seen.insert(hit.article_id) {
                hits.push(hit);
                if hits.len() == limit {
                    break;
                }
            }
        }
        Ok(hits)
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

/// What a person searches for: words, all required, the last one as a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    words: Vec<String>,
}

impl SearchQuery {
    /// As an FTS5 query: each word quoted (so FTS5 operators and punctuation are
    /// plain text), the last one as a prefix.
    pub fn fts5(&self) -> String {
        let quoted: Vec<String> = self.words.iter().map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect();
        format!("{}*", quoted.join(" "))
    }

    /// As a PostgreSQL `to_tsquery`: the letters and digits of each word as terms
    /// joined by `&` (nothing else is left to be an operator), the last one as a prefix.
    pub fn tsquery(&self) -> String {
        let terms: Vec<&str> =
            self.words.iter().flat_map(|w| w.split(|c: char| !c.is_alphanumeric())).filter(|t| !t.is_empty()).collect();
        format!("{}:*", terms.join(" & "))
    }
}

/// Turns what a person typed into a search: its words (letters, digits, inner `'`
/// and `-`), at most 16. None when nothing searchable is left.
pub fn fts_query(text: &str) -> Option<SearchQuery> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .map(|w| w.trim_matches(|c: char| c == '\'' || c == '-'))
        .filter(|w| !w.is_empty())
        .take(16)
        .map(str::to_string)
        .collect();
    (!words.is_empty()).then_some(SearchQuery { words })
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
    use crate::extract::Article;
    use crate::store::fixtures::each_store;
    use crate::store::{CheckDone, NewChange, NewVersion, SourceKind};

    /// One watch with one article and two versions; returns the article id.
    fn history(store: &Store) -> i64 {
        let src = NewSource {
            kind: SourceKind::Feed,
            url: "https://news.example/rss".into(),
            schedule: "every 10m".into(),
            rules: "{\"name\":\"Example\"}".into(),
        };
        store.sync_config_sources(&[src], 0).unwrap();
        let (aid, _) = store.ensure_article(1, "https://news.example/a/1", 0).unwrap();
        let texts = ["The mayor spoke on Monday.", "The mayor spoke on Tuesday about zebras."];
        let mut previous: Option<Article> = None;
        for (i, t) in texts.iter().enumerate() {
            let a =
                Article { title: Some(format!("Headline {i}")), paragraphs: vec![t.to_string()], ..Article::default() };
            let change = previous.as_ref().map(|p| crate::diff::compare(p, &a));
            let nc = change.as_ref().map(|c| NewChange { change: c, deliveries: vec![] });
            let at = 100 * (i as i64 + 1);
            let nv = NewVersion {
                article_id: aid,
                fetched_at: at,
                content_hash: &format!("h{i}"),
                article: &a,
                raw_html_zstd: None,
                screenshot: None,
            };
            store
                .record_version(
                    &nv,
                    nc.as_ref(),
                    &CheckDone { at, next_check: at + 600, etag: None, last_modified: None, body_hash: None },
                )
                .unwrap();
            previous = Some(a);
        }
        aid
    }

    #[test]
    fn changes_filter_and_page() {
        each_store(|store| {
            let aid = history(store);
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
    fn search_finds_the_newest_matching_version_and_survives_operators() {
        each_store(|store| {
            let aid = history(store);
            let q = fts_query("mayor").unwrap();
            let hits = store.search(&q, 10).unwrap();
            assert_eq!(hits.len(), 1, "one hit per article");
            assert_eq!((hits[0].article_id, hits[0].number), (aid, 2));
            assert!(hits[0].snippet.contains('\u{e000}'), "{}", hits[0].snippet);
            assert!(store.search(&fts_query("zebra").unwrap(), 10).unwrap().len() == 1, "prefix match");
            assert!(store.search(&fts_query("AND OR NEAR( \"x").unwrap(), 10).unwrap().is_empty());
            assert_eq!(fts_query("  ;; "), None);
        });
    }

    #[test]
    fn watches_are_added_paused_and_removed_but_config_ones_are_refused() {
        each_store(|store| {
            history(store);
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

    #[test]
    fn metrics_count_the_tables() {
        each_store(|store| {
            history(store);
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
