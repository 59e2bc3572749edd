//! Wires the steps together: schedule → fetch → extract → diff → store → alert.
//!
//! [`Daemon::run`] is the long-running service; [`Daemon::check_everything`]
//! plus [`Daemon::deliver_due`] is `redline run --once`. Errors met while
//! checking one article are recorded on that article and never stop the loop.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, Semaphore, broadcast};
use tokio::task::JoinSet;
use tracing::{debug, error, info, warn};

use crate::alert::{self, Event, Outgoing, SendError, Sender};
use crate::config::{Config, Schedule, WatchRules};
use crate::diff::Change;
use crate::discover::{self, Discovered, Listing, ListingError};
use crate::extract::{self, Article};
use crate::fetch::{self, Expect, Fetcher, Response};
use crate::schedule::{self, hosts::HostLimiter};
use crate::store::{
    ArticleRow, CheckDone, DeliveryRow, FetchLogEntry, NewChange, NewDelivery, NewVersion, SourceKind, SourceRow,
    Store, StoreError, host_key,
};
use crate::watch::{Rules, WatchError};

/// How long a claimed check may take before another pass may claim it again.
const LEASE: Duration = Duration::from_secs(300);
/// Articles claimed at a time by `run --once`.
const PASS_BATCH: usize = 1000;
/// How often the scheduler looks for due work.
const TICK: Duration = Duration::from_secs(1);
/// How long in-flight checks may finish after a shutdown request.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Longest host-wide pause a `Retry-After` can impose.
const MAX_HOST_PAUSE: Duration = Duration::from_secs(3600);
/// How long fetch-log lines are kept.
const FETCH_LOG_RETENTION: Duration = Duration::from_secs(14 * 24 * 3600);

/// Something the daemon did that a human may want to see (the demo prints these).
#[derive(Debug, Clone)]
pub enum Notice {
    /// Version 1 of an article was stored.
    FirstSeen {
        /// The article.
        url: String,
        /// Its headline.
        title: Option<String>,
    },
    /// A change was recorded.
    Changed {
        /// The article.
        url: String,
        /// Its new headline.
        title: Option<String>,
        /// Version numbers.
        versions: (i64, i64),
        /// The change.
        change: Box<Change>,
    },
    /// An alert reached a channel.
    Delivered {
        /// Channel name.
        channel: String,
        /// Event id.
        event_id: String,
    },
    /// A check failed.
    Failed {
        /// What was fetched.
        url: String,
        /// Why.
        error: String,
    },
}

/// Counts of one pass, for `run --once` and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassStats {
    /// Articles checked.
    pub checked: usize,
    /// First versions stored.
    pub new: usize,
    /// Changes recorded.
    pub changed: usize,
    /// Checks that failed.
    pub failed: usize,
    /// Alerts delivered.
    pub delivered: usize,
    /// Alerts that failed this time (retried later).
    pub undelivered: usize,
}

impl PassStats {
    fn count(&mut self, outcome: Result<ArticleOutcome>) -> Result<()> {
        self.checked += 1;
        match outcome? {
            ArticleOutcome::New => self.new += 1,
            ArticleOutcome::Changed => self.changed += 1,
            ArticleOutcome::Unchanged => {}
            ArticleOutcome::Failed => self.failed += 1,
        }
        Ok(())
    }
}

/// An error that stops the daemon (a single bad article never does).
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Fetch(#[from] fetch::FetchError),
    /// The alert client could not be built.
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
    /// The `[web]` settings are unsafe or invalid.
    #[error(transparent)]
    Web(#[from] crate::web::WebError),
    /// A blocking task panicked.
    #[error("internal task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

type Result<T> = std::result::Result<T, DaemonError>;

/// The running parts: configuration, database, HTTP clients.
pub struct Daemon {
    config: Arc<Config>,
    store: Arc<Store>,
    fetcher: Fetcher,
    sender: Sender,
    hosts: HostLimiter,
    notices: broadcast::Sender<Notice>,
    outbox_ready: Notify,
}

impl Daemon {
    /// Opens the database and makes the config's watches its sources.
    pub fn new(config: Config) -> Result<Daemon> {
        let store = Store::open(&config.storage.path)?;
        Daemon::with_store(config, store)
    }

    /// Like [`Daemon::new`] with an already opened store.
    pub fn with_store(config: Config, store: Store) -> Result<Daemon> {
        let sources = crate::watch::config_sources(&config);
        let now = Utc::now().timestamp();
        store.sync_config_sources(&sources, now)?;
        let released = store.release_leases(now)?;
        if released > 0 {
            info!(released, "Checks left unfinished by a previous run are due again.");
        }
        let fetcher = Fetcher::new(&config.fetch)?;
        let sender = Sender::new(&config)?;
        let (notices, _) = broadcast::channel(1024);
        let hosts = HostLimiter::new(config.fetch.per_host_concurrency, config.fetch.per_host_delay);
        Ok(Daemon {
            config: Arc::new(config),
            store: Arc::new(store),
            fetcher,
            sender,
            hosts,
            notices,
            outbox_ready: Notify::new(),
        })
    }

    /// The database.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Receives what the daemon does from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }

    fn notify(&self, notice: Notice) {
        // Nobody listening is fine.
        let _ = self.notices.send(notice);
    }

    async fn db<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> std::result::Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        Ok(tokio::task::spawn_blocking(move || f(&store)).await??)
    }

    /// Checks every enabled source and article once, whatever their due time:
    /// feeds first, so that the articles they list are checked in the same pass.
    pub async fn check_everything(self: &Arc<Self>) -> Result<PassStats> {
        let now = Utc::now().timestamp();
        let lease = now + LEASE.as_secs() as i64;
        let sources = self.db(move |s| s.claim_due_sources(now, lease, true)).await?;
        self.check_sources(sources).await;
        let mut stats = PassStats::default();
        let permits = Arc::new(Semaphore::new(self.config.fetch.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        // In batches, in id order: every article exactly once, without holding them all in memory.
        let mut after = 0;
        loop {
            let batch = self.db(move |s| s.claim_articles_after(after, lease, PASS_BATCH)).await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            for article in batch {
                let permit = Arc::clone(&permits).acquire_owned().await.expect("semaphore open");
                let me = Arc::clone(self);
                tasks.spawn(async move {
                    let _permit = permit;
                    me.check_article(article).await
                });
                while let Some(done) = tasks.try_join_next() {
                    stats.count(done?)?;
                }
            }
        }
        while let Some(done) = tasks.join_next().await {
            stats.count(done?)?;
        }
        Ok(stats)
    }

    async fn check_sources(self: &Arc<Self>, sources: Vec<SourceRow>) {
        let mut tasks = JoinSet::new();
        let limit = self.config.fetch.concurrency.max(1);
        for source in sources {
            // Bounded like article checks: 100,000 url watches must not become 100,000 tasks.
            while tasks.len() >= limit {
                tasks.join_next().await;
            }
            let me = Arc::clone(self);
            tasks.spawn(async move {
                if let Err(e) = me.check_source(&source).await {
                    warn!(url = %source.url, error = %e, "Source check failed.");
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// A feed, sitemap or section source lists articles; an article source is its own article.
    async fn check_source(&self, source: &SourceRow) -> Result<()> {
        let now = Utc::now();
        let ts = now.timestamp();
        let schedule = Schedule::from_spec_or_default(&source.schedule);
        let (id, url) = (source.id, source.url.clone());
        if source.kind == SourceKind::Article {
            // Article sources are their own single article; the article row carries the schedule.
            let next = ts + 24 * 3600;
            self.db(move |s| s.ensure_source_article(id, &url, ts, next)).await?;
            return Ok(());
        }
        let mut log = FetchLogEntry { at: ts, url: source.url.clone(), source_id: Some(id), ..Default::default() };
        let outcome = match Rules::decode(&source.rules) {
            Ok(rules) => self.read_listing(&source.url, rules.links.as_ref(), &mut log).await,
            Err(e) => Err(e.into()),
        };
        match outcome {
            Ok(found) => {
                let next = schedule::next_check(&schedule, now, rand::random()).timestamp();
                log.outcome = "listing".into();
                let count = found.len();
                let new = self
                    .db(move |s| {
                        let new = s.ensure_articles(id, found.iter().map(|d| d.url.as_str()), ts)?;
                        s.finish_source(id, ts, next, None)?;
                        s.log_fetch(&log)?;
                        Ok(new)
                    })
                    .await?;
                debug!(url = %source.url, listed = count, new, "Listing checked.");
            }
            Err(e) => {
                let error = e.to_string();
                let next = schedule::next_retry(source.failures + 1, e.retry_after(), now, rand::random()).timestamp();
                warn!(url = %source.url, %error, "Listing check failed.");
                self.notify(Notice::Failed { url: source.url.clone(), error: error.clone() });
                log.outcome = "error".into();
                log.error = Some(error.clone());
                self.db(move |s| {
                    s.finish_source(id, ts, next, Some(&error))?;
                    s.log_fetch(&log)
                })
                .await?;
            }
        }
        Ok(())
    }

    /// The articles a feed, sitemap (following one level of sitemap index) or section page lists.
    async fn read_listing(
        &self,
        url: &str,
        links: Option<&regex::Regex>,
        log: &mut FetchLogEntry,
    ) -> std::result::Result<Vec<Discovered>, ListingFailure> {
        let expect = if links.is_some() { Expect::Html } else { Expect::Feed };
        let page = match self.polite_fetch(&fetch::Request { url, ..Default::default() }, expect).await? {
            Response::Page(page) => page,
            Response::NotModified { .. } => return Ok(Vec::new()),
        };
        log.status = Some(page.status);
        log.bytes = Some(page.raw.len());
        log.duration_ms = Some(page.elapsed.as_millis() as u64);
        match discover::discover(&page.raw, &page.final_url, links)? {
            Listing::Articles(found) => Ok(found),
            Listing::Sitemaps(children) => {
                let mut found = Vec::new();
                for child in children {
                    let request = fetch::Request { url: &child, ..Default::default() };
                    match self.polite_fetch(&request, Expect::Feed).await {
                        Ok(Response::Page(p)) => match discover::discover(&p.raw, &p.final_url, None) {
                            Ok(Listing::Articles(more)) => found.extend(more),
                            Ok(Listing::Sitemaps(_)) => debug!(%child, "Nested sitemap index skipped."),
                            Err(e) => warn!(%child, error = %e, "Child sitemap unreadable."),
                        },
                        Ok(Response::NotModified { .. }) => {}
                        Err(e) => warn!(%child, error = %e, "Child sitemap fetch failed."),
                    }
                }
                Ok(found)
            }
        }
    }

    /// One fetch under the host's politeness rules: robots.txt (and its crawl
    /// delay), the per-host limits, and a host-wide pause after `Retry-After`.
    async fn polite_fetch(
        &self,
        request: &fetch::Request<'_>,
        expect: Expect,
    ) -> std::result::Result<Response, fetch::FetchError> {
        let host = host_key(request.url);
        let crawl_delay = self.fetcher.robots_rules(request.url).await?.and_then(|r| r.crawl_delay());
        let _permit = self.hosts.acquire(&host, crawl_delay).await;
        let result = self.fetcher.fetch(request, expect).await;
        if let Err(e @ fetch::FetchError::Status { status: 429 | 503, .. }) = &result
            && let Some(pause) = e.retry_after()
        {
            self.hosts.pause(&host, pause.min(MAX_HOST_PAUSE));
        }
        result
    }

    /// Fetches, extracts and compares one article, and records what it found.
    async fn check_article(&self, article: ArticleRow) -> Result<ArticleOutcome> {
        let now = Utc::now();
        let request = fetch::Request {
            url: &article.url,
            etag: article.etag.as_deref(),
            last_modified: article.last_modified.as_deref(),
        };
        let mut log = FetchLogEntry {
            at: now.timestamp(),
            url: article.url.clone(),
            article_id: Some(article.id),
            ..Default::default()
        };
        let rules = match Rules::decode(&article.rules) {
            Ok(rules) => rules,
            Err(e) => return self.record_failure(&article, now, e.to_string(), None, log).await,
        };
        let page = match self.polite_fetch(&request, Expect::Html).await {
            Ok(Response::Page(page)) => page,
            Ok(Response::NotModified { elapsed }) => {
                log.status = Some(304);
                log.duration_ms = Some(elapsed.as_millis() as u64);
                log.outcome = "not_modified".into();
                let next = self.next_due(&article, &rules, None, false, now);
                self.record_unchanged(&article, next, now, Seen::default(), log).await?;
                return Ok(ArticleOutcome::Unchanged);
            }
            Err(e) => {
                let retry_after = e.retry_after();
                if let fetch::FetchError::Status { status, .. } = e {
                    log.status = Some(status);
                }
                return self.record_failure(&article, now, e.to_string(), retry_after, log).await;
            }
        };
        log.status = Some(page.status);
        log.bytes = Some(page.raw.len());
        log.duration_ms = Some(page.elapsed.as_millis() as u64);
        let seen = Seen {
            etag: page.etag.clone(),
            last_modified: page.last_modified.clone(),
            body_hash: Some(sha256_hex(&page.raw)),
        };
        // The very same bytes as last time: nothing to extract.
        if article.body_hash.is_some() && article.body_hash == seen.body_hash {
            log.outcome = "same_body".into();
            let next = self.next_due(&article, &rules, None, false, now);
            self.record_unchanged(&article, next, now, seen, log).await?;
            return Ok(ArticleOutcome::Unchanged);
        }

        let (html, url, extract_rules) = (page.text.clone(), article.url.clone(), rules.extract.clone());
        let extracted =
            tokio::task::spawn_blocking(move || extract::extract_with(&html, Some(&url), &extract_rules)).await?;
        if extracted.paragraphs.is_empty() {
            // An error page or a half-rendered page must not become a version that "removes" everything.
            return self.record_failure(&article, now, "no article text found on the page".into(), None, log).await;
        }
        let hash = content_hash(&extracted);
        let id = article.id;
        let unchanged_next = self.next_due(&article, &rules, extracted.published.as_deref(), false, now);
        // Most checks find the same content: compare hashes before loading the stored version.
        if self.db(move |s| s.latest_hash(id)).await?.as_deref() == Some(hash.as_str()) {
            log.outcome = "unchanged".into();
            self.record_unchanged(&article, unchanged_next, now, seen, log).await?;
            return Ok(ArticleOutcome::Unchanged);
        }
        let latest = self.db(move |s| s.latest_version(id)).await?;
        let change = match &latest {
            None => None,
            Some(previous) => {
                let change = crate::diff::compare_with(&previous.article, &extracted, &rules.diff);
                if !change.changed {
                    // Only noise moved (a re-render, an ignored pattern): nothing to record.
                    log.outcome = "unchanged".into();
                    self.record_unchanged(&article, unchanged_next, now, seen, log).await?;
                    return Ok(ArticleOutcome::Unchanged);
                }
                Some(change)
            }
        };
        let raw_html_zstd =
            if self.config.storage.keep_raw_html { zstd::encode_all(&page.raw[..], 3).ok() } else { None };
        let from_version = latest.as_ref().map_or(0, |v| v.number);
        let deliveries = match &change {
            Some(c) => self.outbox_rows(&article, &rules, &extracted, c, (from_version, from_version + 1), now),
            None => Vec::new(),
        };
        let next = self.next_due(&article, &rules, extracted.published.as_deref(), change.is_some(), now);
        let next_check = next.unwrap_or(now.timestamp());
        log.outcome = if change.is_some() { "changed" } else { "new" }.into();
        let extracted_for_db = extracted.clone();
        let change_for_db = change.clone();
        let at = now.timestamp();
        let (number, _) = self
            .db(move |s| {
                let version = NewVersion {
                    article_id: id,
                    fetched_at: at,
                    content_hash: &hash,
                    article: &extracted_for_db,
                    raw_html_zstd,
                };
                let new_change = change_for_db.as_ref().map(|c| NewChange { change: c, deliveries });
                let done = CheckDone {
                    at,
                    next_check,
                    etag: seen.etag.as_deref(),
                    last_modified: seen.last_modified.as_deref(),
                };
                let recorded = s.record_version(&version, new_change.as_ref(), &done)?;
                if next.is_none() {
                    s.retire_article(id)?;
                }
                s.log_fetch(&log)?;
                Ok(recorded)
            })
            .await?;
        match change {
            None => {
                info!(url = %article.url, "First version stored.");
                self.notify(Notice::FirstSeen { url: article.url.clone(), title: extracted.title });
                Ok(ArticleOutcome::New)
            }
            Some(change) => {
                info!(url = %article.url, version = number, summary = %change.summary, "Change recorded.");
                self.outbox_ready.notify_one();
                self.notify(Notice::Changed {
                    url: article.url.clone(),
                    title: extracted.title,
                    versions: (number - 1, number),
                    change: Box::new(change),
                });
                Ok(ArticleOutcome::Changed)
            }
        }
    }

    /// One outbox row per channel; the body is fixed now so every retry sends the same bytes.
    fn outbox_rows(
        &self,
        article: &ArticleRow,
        rules: &WatchRules,
        new: &Article,
        change: &Change,
        versions: (i64, i64),
        now: DateTime<Utc>,
    ) -> Vec<NewDelivery> {
        if !alert::should_alert(change, &rules.alert, &self.config.alerts.rules()) {
            debug!(url = %article.url, summary = %change.summary, "Change below the alert rules: recorded, not sent.");
            return Vec::new();
        }
        let diff_url = format!("{}/articles/{}/versions/{}", self.config.web.base_url(), article.id, versions.1);
        let data =
            alert::event_data(change, &article.url, new.title.as_deref(), &article.source_url, versions, diff_url);
        let event = Event::article_changed(data, now);
        self.sender
            .channels()
            .into_iter()
            .map(|channel| {
                let window = self.sender.digest_window(&channel).unwrap_or_default();
                NewDelivery {
                    payload: self.sender.payload(&channel, &event, change),
                    event_id: alert::new_event_id(),
                    next_attempt: now.timestamp() + window.as_secs() as i64,
                    channel,
                }
            })
            .collect()
    }

    /// When an article is next due: its watch's revisit plan by age (from
    /// publication or discovery, whichever is earlier, or from its last change),
    /// else the watch's `every`/`cron`. None when the plan has ended.
    fn next_due(
        &self,
        article: &ArticleRow,
        rules: &WatchRules,
        published: Option<&str>,
        changed_now: bool,
        now: DateTime<Utc>,
    ) -> Option<i64> {
        let jitter = rand::random();
        let Some(plan) = &rules.revisit else {
            let schedule = Schedule::from_spec_or_default(&article.schedule);
            return Some(schedule::next_check(&schedule, now, jitter).timestamp());
        };
        let first_seen = DateTime::from_timestamp(article.first_seen, 0).unwrap_or(now);
        let published = published.and_then(|p| DateTime::parse_from_rfc3339(p).ok()).map(|p| p.with_timezone(&Utc));
        let born = published.map_or(first_seen, |p| p.min(first_seen));
        let last_changed =
            if changed_now { Some(now) } else { article.last_changed.and_then(|t| DateTime::from_timestamp(t, 0)) };
        schedule::next_revisit(plan, born, last_changed, now, jitter).map(|t| t.timestamp())
    }

    async fn record_unchanged(
        &self,
        article: &ArticleRow,
        next: Option<i64>,
        now: DateTime<Utc>,
        seen: Seen,
        log: FetchLogEntry,
    ) -> Result<()> {
        let id = article.id;
        let at = now.timestamp();
        let next_check = next.unwrap_or(at);
        self.db(move |s| {
            let done =
                CheckDone { at, next_check, etag: seen.etag.as_deref(), last_modified: seen.last_modified.as_deref() };
            s.record_unchanged(id, &done, seen.body_hash.as_deref())?;
            if next.is_none() {
                s.retire_article(id)?;
            }
            s.log_fetch(&log)
        })
        .await
    }

    async fn record_failure(
        &self,
        article: &ArticleRow,
        now: DateTime<Utc>,
        error: String,
        retry_after: Option<Duration>,
        mut log: FetchLogEntry,
    ) -> Result<ArticleOutcome> {
        warn!(url = %article.url, %error, "Check failed.");
        self.notify(Notice::Failed { url: article.url.clone(), error: error.clone() });
        let next = schedule::next_retry(article.failures + 1, retry_after, now, rand::random()).timestamp();
        let (id, at) = (article.id, now.timestamp());
        log.outcome = "error".into();
        log.error = Some(error.clone());
        self.db(move |s| {
            s.record_failure(id, at, next, &error)?;
            s.log_fetch(&log)
        })
        .await?;
        Ok(ArticleOutcome::Failed)
    }

    /// Sends every pending delivery that is due; returns (delivered, failed this time).
    /// The due rows of a digest channel go out together in one mail.
    pub async fn deliver_due(&self) -> Result<(usize, usize)> {
        let now = Utc::now().timestamp();
        let due = self.db(move |s| s.due_deliveries(now, 500)).await?;
        let mut batches: Vec<Vec<DeliveryRow>> = Vec::new();
        let mut digests = std::collections::HashSet::new();
        for d in due {
            if self.sender.digest_window(&d.channel).is_none() {
                batches.push(vec![d]);
            } else if digests.insert(d.channel.clone()) {
                let channel = d.channel.clone();
                batches.push(self.db(move |s| s.due_deliveries_of(&channel, now)).await?);
            }
        }
        // Channels go in parallel, so that one slow endpoint holds back only its own alerts;
        // within a channel, alerts go in the order they were raised.
        let mut by_channel: std::collections::BTreeMap<String, Vec<Vec<DeliveryRow>>> = Default::default();
        for batch in batches {
            by_channel.entry(batch[0].channel.clone()).or_default().push(batch);
        }
        let channels = by_channel.into_values().map(|batches| async move {
            let (mut delivered, mut failed) = (0, 0);
            for batch in batches {
                if self.deliver_batch(&batch).await? {
                    delivered += batch.len();
                } else {
                    failed += batch.len();
                }
            }
            Ok::<_, DaemonError>((delivered, failed))
        });
        let mut totals = (0, 0);
        for result in futures_util::future::join_all(channels).await {
            let (d, f) = result?;
            totals = (totals.0 + d, totals.1 + f);
        }
        Ok(totals)
    }

    /// One attempt at a batch of rows of one channel; true when delivered.
    async fn deliver_batch(&self, batch: &[DeliveryRow]) -> Result<bool> {
        let channel = batch[0].channel.clone();
        let ids: Vec<i64> = batch.iter().map(|d| d.id).collect();
        let lookup = channel.clone();
        let result = match self.db(move |s| s.channel_disabled(&lookup)).await? {
            Some(reason) => Err(SendError::Permanent(format!("endpoint disabled: {reason}"))),
            None => {
                let outgoing: Vec<Outgoing<'_>> =
                    batch.iter().map(|d| Outgoing { event_id: &d.event_id, payload: &d.payload }).collect();
                self.sender.send(&channel, &outgoing).await
            }
        };
        let at = Utc::now().timestamp();
        match result {
            Ok(()) => {
                self.db(move |s| ids.iter().try_for_each(|id| s.delivery_succeeded(*id, at))).await?;
                for d in batch {
                    debug!(channel = %d.channel, event_id = %d.event_id, "Alert delivered.");
                    self.notify(Notice::Delivered { channel: d.channel.clone(), event_id: d.event_id.clone() });
                }
                Ok(true)
            }
            Err(SendError::Gone(reason)) => {
                warn!(%channel, %reason, "Endpoint answered 410 Gone: disabled; `redline alerts retry --all` enables it again.");
                self.db(move |s| {
                    ids.iter()
                        .try_for_each(|id| s.delivery_failed(*id, None, &format!("{reason}: endpoint disabled")))?;
                    s.disable_channel(&channel, at, &reason)
                })
                .await?;
                Ok(false)
            }
            Err(e) => {
                let retry_after = match &e {
                    SendError::Retry { retry_after, .. } => Some(*retry_after),
                    _ => None,
                };
                let message = e.to_string();
                let retry_for = self.config.alerts.retry_for;
                let plan: Vec<(i64, Option<i64>)> = batch
                    .iter()
                    .map(|d| {
                        let next = retry_after.and_then(|ra| alert::retry_delay(d.attempts + 1, ra, retry_for));
                        (d.id, next.map(|delay| at + delay.as_secs().max(1) as i64))
                    })
                    .collect();
                for (d, (_, next)) in batch.iter().zip(&plan) {
                    if next.is_none() {
                        warn!(channel = %d.channel, event_id = %d.event_id, error = %message, "Alert failed for good.");
                    } else {
                        info!(channel = %d.channel, event_id = %d.event_id, error = %message, "Alert will be retried.");
                    }
                }
                self.db(move |s| plan.iter().try_for_each(|(id, next)| s.delivery_failed(*id, *next, &message)))
                    .await?;
                Ok(false)
            }
        }
    }

    /// `run --once`: every source and article once, then every due alert.
    pub async fn run_once(self: &Arc<Self>) -> Result<PassStats> {
        let mut stats = self.check_everything().await?;
        let (delivered, undelivered) = self.deliver_due().await?;
        stats.delivered = delivered;
        stats.undelivered = undelivered;
        Ok(stats)
    }

    /// The daemon: checks what is due, delivers alerts, until `shutdown` resolves.
    /// In-flight checks get [`SHUTDOWN_GRACE`] to finish; what is cut off is
    /// retried after its lease, and nothing is half-written (each write is one transaction).
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()>) -> Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let web = self.start_web(stop_rx.clone()).await?;
        let scheduler = tokio::spawn(Arc::clone(&self).schedule_loop(stop_rx.clone()));
        let alerts = tokio::spawn(Arc::clone(&self).alert_loop(stop_rx));
        shutdown.await;
        info!("Shutting down.");
        let _ = stop_tx.send(true);
        let (a, b) = tokio::join!(scheduler, alerts);
        if let Some(web) = web {
            let _ = web.await;
        }
        a??;
        b??;
        Ok(())
    }

    /// Starts the web UI when enabled. A bad `[web]` setting stops the daemon;
    /// a busy port only costs the UI (checks and alerts go on), and is logged.
    async fn start_web(
        &self,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<Option<tokio::task::JoinHandle<std::io::Result<()>>>> {
        let web = &self.config.web;
        if !web.enabled {
            return Ok(None);
        }
        let state = crate::web::WebState::new(Arc::clone(&self.store), crate::web::WebOptions::from_config(web))?;
        let listener = match tokio::net::TcpListener::bind(&web.listen).await {
            Ok(l) => l,
            Err(e) => {
                error!(listen = %web.listen, error = %e, "Web UI not started: cannot listen; set [web] listen, or enabled = false.");
                return Ok(None);
            }
        };
        let shutdown = async move {
            let _ = stop.changed().await;
        };
        Ok(Some(tokio::spawn(crate::web::serve(listener, state, shutdown))))
    }

    async fn schedule_loop(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) -> Result<()> {
        let concurrency = self.config.fetch.concurrency.max(1);
        let permits = Arc::new(Semaphore::new(concurrency));
        let mut tasks: JoinSet<Result<ArticleOutcome>> = JoinSet::new();
        let mut ticker = tokio::time::interval(TICK);
        // Without Skip a stalled runtime would fire a burst of ticks.
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut last_prune = 0;
        let busy_hosts = InFlight::default();
        let mut listings = JoinSet::new();
        loop {
            // Listings are looked for on the tick; articles also as soon as a check ends,
            // so that throughput is not capped at `concurrency` checks per tick.
            let ticked = tokio::select! {
                _ = ticker.tick() => true,
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    log_task_error(done);
                    false
                }
                _ = stop.changed() => break,
            };
            while let Some(done) = tasks.try_join_next() {
                log_task_error(done);
            }
            let now = Utc::now().timestamp();
            let lease = now + LEASE.as_secs() as i64;
            let sources =
                if ticked { self.db(move |s| s.claim_due_sources(now, lease, false)).await? } else { Vec::new() };
            if !sources.is_empty() {
                // Listings are read beside the article checks: a slow feed holds back nothing.
                let me = Arc::clone(&self);
                listings.spawn(async move { me.check_sources(sources).await });
            }
            while listings.try_join_next().is_some() {}
            let free = permits.available_permits();
            if free == 0 {
                continue;
            }
            let per_host = self.config.fetch.per_host_concurrency.max(1);
            let busy = busy_hosts.busy(per_host);
            let claimed = self.db(move |s| s.claim_due_articles_fair(now, lease, free, per_host, &busy)).await?;
            for article in claimed {
                let permit = Arc::clone(&permits).acquire_owned().await.expect("semaphore open");
                let host = busy_hosts.enter(host_key(&article.url));
                let me = Arc::clone(&self);
                tasks.spawn(async move {
                    let _permits = (permit, host);
                    me.check_article(article).await
                });
            }
            if now - last_prune > 3600 {
                last_prune = now;
                let before = now - FETCH_LOG_RETENTION.as_secs() as i64;
                self.db(move |s| s.prune_fetch_log(before)).await?;
            }
        }
        let drain = async {
            while let Some(done) = tasks.join_next().await {
                log_task_error(done);
            }
            while listings.join_next().await.is_some() {}
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
            warn!(grace = ?SHUTDOWN_GRACE, "Checks still running at shutdown were cut off; they will be redone.");
        }
        Ok(())
    }

    async fn alert_loop(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) -> Result<()> {
        loop {
            if let Err(e) = self.deliver_due().await {
                warn!(error = %e, "Alert delivery pass failed.");
            }
            tokio::select! {
                _ = self.outbox_ready.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = stop.changed() => return Ok(()),
            }
        }
    }
}

fn log_task_error(done: std::result::Result<Result<ArticleOutcome>, tokio::task::JoinError>) {
    match done {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => warn!(error = %e, "Check could not be recorded."),
        Err(e) => warn!(error = %e, "Check task failed."),
    }
}

/// Checks in flight per host, so that the scheduler claims work for other sites
/// while one site's queue is full.
#[derive(Clone, Default)]
struct InFlight(Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>);

/// One check in flight on a host; dropping it ends it.
struct InFlightGuard {
    hosts: InFlight,
    host: String,
}

impl InFlight {
    fn enter(&self, host: String) -> InFlightGuard {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()).entry(host.clone()).or_default() += 1;
        InFlightGuard { hosts: self.clone(), host }
    }

    /// Hosts with `limit` or more checks in flight.
    fn busy(&self, limit: usize) -> Vec<String> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.iter().filter(|(_, n)| **n >= limit).map(|(h, _)| h.clone()).collect()
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let mut map = self.hosts.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.host) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.host);
            }
        }
    }
}

/// What a response said about the page, kept to make the next check cheaper.
#[derive(Debug, Default)]
struct Seen {
    etag: Option<String>,
    last_modified: Option<String>,
    body_hash: Option<String>,
}

/// Why a listing could not be read.
#[derive(Debug, thiserror::Error)]
enum ListingFailure {
    #[error(transparent)]
    Fetch(#[from] fetch::FetchError),
    #[error(transparent)]
    Listing(#[from] ListingError),
    #[error(transparent)]
    Rules(#[from] WatchError),
}

impl ListingFailure {
    fn retry_after(&self) -> Option<Duration> {
        match self {
            ListingFailure::Fetch(e) => e.retry_after(),
            ListingFailure::Listing(_) | ListingFailure::Rules(_) => None,
        }
    }
}

/// How one article check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArticleOutcome {
    New,
    Changed,
    Unchanged,
    Failed,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Hash of what a version is made of: two fetches with the same hash are the same version.
pub fn content_hash(article: &Article) -> String {
    let mut h = Sha256::new();
    for field in [&article.title, &article.byline, &article.published, &article.modified] {
        h.update(field.as_deref().unwrap_or("").as_bytes());
        h.update([0]);
    }
    for p in &article.paragraphs {
        h.update(p.as_bytes());
        h.update([1]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
