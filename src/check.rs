//! One check, the work the scheduler hands out: a listing read for the
//! articles it names, or an article fetched, extracted, compared with its last
//! version and recorded (with the outbox rows of its change, in the same
//! transaction).
//!
//! What goes wrong with the site (a 500, a timeout, a page with no article) is
//! recorded on the article or listing and is not an error here. A store error
//! is returned: nothing of the check was written, and the caller makes the
//! work due again.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, broadcast};
use tracing::{debug, info, warn};

use crate::alert::{self, Sender, rules::Subject};
use crate::config::{Config, Schedule};
use crate::discover::{self, ListingFetch};
use crate::extract;
use crate::fetch::browser::BrowserPool;
use crate::fetch::{self, Expect, Page, Response};
use crate::health::Notice;
use crate::schedule::{self, ArticleAge, polite::Polite};
use crate::store::{
    ArticleRow, CheckDone, Db, FetchLogEntry, NewChange, NewVersion, Provenance, SourceKind, SourceRow, StoreError,
    blocking,
};
use crate::watch::Rules;

/// What a check needs: the config, the store, the polite HTTP client, the
/// alert channels (to build outbox rows) and whom to tell.
pub struct Ctx {
    /// The configuration.
    pub config: Arc<Config>,
    /// The store.
    pub db: Db,
    /// HTTP under each host's politeness rules.
    pub polite: Polite,
    /// The alert channels.
    pub sender: Arc<Sender>,
    /// Onlookers (the demo).
    pub notices: broadcast::Sender<Notice>,
    /// Woken when a change with alerts was recorded.
    pub outbox_ready: Arc<Notify>,
    /// Headless Chromium, when some watch has `render = "browser"`.
    pub browser: Option<Arc<BrowserPool>>,
}

/// How one article check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Version 1 stored.
    New,
    /// A change recorded.
    Changed,
    /// Nothing new.
    Unchanged,
    /// The check failed (recorded on the article).
    Failed,
    /// Not checked: another worker holds the article's lease (ours lapsed while it waited).
    Skipped,
}

/// What a response said about the page, kept to make the next check cheaper.
#[derive(Debug, Default)]
struct Seen {
    etag: Option<String>,
    last_modified: Option<String>,
    body_hash: Option<String>,
}

impl Ctx {
    fn notify(&self, notice: Notice) {
        // Nobody listening is fine.
        let _ = self.notices.send(notice);
    }

    /// Reads a feed, sitemap or section source and adds the articles it lists;
    /// an article source gets its one article row.
    pub async fn check_source(&self, source: &SourceRow, rules: Result<Arc<Rules>, String>) -> Result<(), StoreError> {
        let now = Utc::now();
        let ts = now.timestamp();
        let (id, url) = (source.id, source.url.clone());
        if source.kind == SourceKind::Article {
            // The article row carries the schedule; this only makes sure it exists.
            let next = ts + 24 * 3600;
            return self.db.write(move |s| s.ensure_source_article(id, &url, ts, next)).await;
        }
        let mut log = FetchLogEntry { at: ts, url: url.clone(), source_id: Some(id), ..Default::default() };
        let mut fetched = ListingFetch::default();
        let ((etag, last_modified), children) =
            self.db.read(move |s| Ok((s.source_validators(id)?, s.sitemap_validators(id)?))).await?;
        let previous = discover::Validators { etag, last_modified };
        let had_children = !children.is_empty();
        let children = children
            .into_iter()
            .map(|(child, etag, last_modified)| (child, discover::Validators { etag, last_modified }))
            .collect();
        let outcome = match &rules {
            Ok(rules) => {
                discover::read_listing(&self.polite, &url, rules.links.as_ref(), &previous, &children, &mut fetched)
                    .await
                    .map_err(|e| (e.to_string(), e.retry_after()))
            }
            Err(e) => Err((e.clone(), None)),
        };
        log.status = fetched.status;
        log.bytes = fetched.bytes;
        log.duration_ms = fetched.elapsed.map(|d| d.as_millis() as u64);
        match outcome {
            Ok(found) => {
                let schedule = Schedule::from_spec_or_default(&source.schedule);
                let next = schedule::next_check(&schedule, now, rand::random()).timestamp();
                log.outcome = if fetched.status == Some(304) { "not_modified" } else { "listing" }.into();
                let count = found.len();
                let validators = fetched.validators;
                let children: Vec<_> =
                    fetched.children.into_iter().map(|(child, v)| (child, v.etag, v.last_modified)).collect();
                let new = self
                    .db
                    .write(move |s| {
                        let new = s.note_listing(id, &crate::signals::listed_articles(&found), ts)?;
                        let (etag, modified) = (validators.etag.as_deref(), validators.last_modified.as_deref());
                        s.set_source_validators(id, etag, modified)?;
                        // A feed (or a sitemap that never was an index) writes nothing here.
                        if had_children || !children.is_empty() {
                            s.set_sitemap_validators(id, &children)?;
                        }
                        s.finish_source(id, ts, next, None)?;
                        s.log_fetch(&log)?;
                        Ok(new)
                    })
                    .await?;
                debug!(%url, listed = count, new, "Listing checked.");
            }
            Err((error, retry_after)) => {
                let next = schedule::next_retry(source.failures + 1, retry_after, now, rand::random()).timestamp();
                warn!(%url, %error, "Listing check failed.");
                self.notify(Notice::Failed { url: url.clone(), error: error.clone() });
                log.outcome = "error".into();
                log.error = Some(error.clone());
                self.db
                    .write(move |s| {
                        s.finish_source(id, ts, next, Some(&error))?;
                        s.log_fetch(&log)
                    })
                    .await?;
            }
        }
        Ok(())
    }

    /// Fetches, extracts and compares one article, and records what it found.
    pub async fn check_article(
        &self,
        article: ArticleRow,
        rules: Result<Arc<Rules>, String>,
    ) -> Result<Outcome, StoreError> {
        let now = Utc::now();
        let mut log = FetchLogEntry {
            at: now.timestamp(),
            url: article.url.clone(),
            article_id: Some(article.id),
            ..Default::default()
        };
        let rules = match rules {
            Ok(rules) => rules,
            Err(e) => return self.record_failure(&article, now, e, None, log).await,
        };
        let (response, screenshot) = match self.fetch_article(&article, &rules).await {
            Ok(Some(fetched)) => fetched,
            Ok(None) => {
                debug!(url = %article.url, "Another worker holds the article's lease; not checked here.");
                return Ok(Outcome::Skipped);
            }
            Err(failure) => {
                log.status = failure.status;
                // A 403 or 503 is often a bot challenge: name it as the wall it is.
                if let (Some(status), Some(page)) = (failure.status, &failure.page)
                    && let Some(wall) = refusal_wall(status, page, &article.url).await?
                {
                    return self.record_wall(&article, now, &wall, failure.retry_after, log).await;
                }
                return self.record_failure(&article, now, failure.error, failure.retry_after, log).await;
            }
        };
        let page = match response {
            Response::Page(page) => page,
            Response::NotModified { elapsed } => {
                log.status = Some(304);
                log.duration_ms = Some(elapsed.as_millis() as u64);
                log.outcome = "not_modified".into();
                let next = next_due(&article, &rules, None, false, now);
                self.record_unchanged(&article, next, now, Seen::default(), log).await?;
                return Ok(Outcome::Unchanged);
            }
        };
        log.status = Some(page.status);
        log.bytes = Some(page.raw.len());
        log.duration_ms = Some(page.elapsed.as_millis() as u64);
        let seen = Seen {
            etag: page.etag.clone(),
            last_modified: page.last_modified.clone(),
            body_hash: Some(body_hash(&page.raw, &article.rules)),
        };
        // The very same bytes as last time: nothing to extract.
        if article.body_hash.is_some() && article.body_hash == seen.body_hash {
            log.outcome = "same_body".into();
            let next = next_due(&article, &rules, None, false, now);
            self.record_unchanged(&article, next, now, seen, log).await?;
            return Ok(Outcome::Unchanged);
        }

        let (html, url, extract_rules) = (page.text.clone(), article.url.clone(), rules.extract.clone());
        let (page_url, feed_title) = (page.final_url.clone(), article.listed_title.clone());
        // The page's text comes back with the article, for the wall check below.
        let (extracted, (links, headlines), html) = blocking(move || {
            let signals = crate::signals::page_signals(&html, &page_url, feed_title.as_deref());
            (extract::extract_with(&html, Some(&url), &extract_rules), signals, html)
        })
        .await?;
        let hash = extracted.content_hash();
        let id = article.id;
        let unchanged_next = next_due(&article, &rules, extracted.published.as_deref(), false, now);
        // Most checks find the same content: compare hashes before loading the stored version.
        // (An empty body never matches: no version is ever stored without text.)
        if !extracted.paragraphs.is_empty()
            && self.db.read(move |s| s.latest_hash(id)).await?.as_deref() == Some(hash.as_str())
            && self.same_headlines(id, &headlines, &rules.diff.ignore).await?
        {
            log.outcome = "unchanged".into();
            self.record_unchanged(&article, unchanged_next, now, seen, log).await?;
            return Ok(Outcome::Unchanged);
        }
        let latest = self.db.read(move |s| s.latest_version(id)).await?;
        // A consent wall, paywall, bot challenge… served instead of the article is a failed
        // check, not a version: the last real version stands, and its return records nothing.
        let (final_url, requested, status) = (page.final_url.clone(), article.url.clone(), page.status);
        let (wall, extracted, latest) = blocking(move || {
            let served =
                extract::wall::Served { html: &html, status, requested_url: &requested, final_url: &final_url };
            let wall = extract::wall::classify(&served, &extracted, latest.as_ref().map(|v| &v.article));
            (wall, extracted, latest)
        })
        .await?;
        if let Some(wall) = wall {
            return self.record_wall(&article, now, &wall, None, log).await;
        }
        if extracted.paragraphs.is_empty() {
            // An error page or a half-rendered page must not become a version that "removes" everything.
            return self.record_failure(&article, now, "no article text found on the page".into(), None, log).await;
        }
        // Another route of a story (an AMP page, a tracked link) records nothing of its own.
        if let Some(outcome) = self.fold_routes(&article, links, now, log.clone()).await? {
            return Ok(outcome);
        }
        let change = match &latest {
            None => None,
            Some(previous) => {
                let change = crate::diff::compare_with(&previous.article, &extracted, &rules.diff);
                let change = self.with_headlines(change, id, &headlines, now, &rules.diff.ignore).await?;
                if !change.changed {
                    // Only noise moved (a re-render, an ignored pattern): nothing to record.
                    log.outcome = "unchanged".into();
                    self.record_unchanged(&article, unchanged_next, now, seen, log).await?;
                    return Ok(Outcome::Unchanged);
                }
                Some(change)
            }
        };
        let raw_html_zstd =
            if self.config.storage.keep_raw_html { zstd::encode_all(&page.raw[..], 3).ok() } else { None };
        let response_head = page.response_head.clone();
        let from_version = latest.as_ref().map_or(0, |v| v.number);
        let versions = (from_version, from_version + 1);
        let subject = Subject {
            article_id: id,
            url: &article.url,
            source_url: &article.source_url,
            title: extracted.title.as_deref(),
        };
        let deliveries = match &change {
            Some(c) => {
                let rules = (&rules.alert, &self.config.alerts.rules());
                alert::outbox_rows(&self.sender, c, rules, subject, versions, &self.config.web.base_url(), now)
            }
            None => Vec::new(),
        };
        let archive = alert::archive_row(&self.sender, subject, versions.1, now);
        let next = next_due(&article, &rules, extracted.published.as_deref(), change.is_some(), now);
        let next_check = next.unwrap_or(now.timestamp());
        log.outcome = if change.is_some() { "changed" } else { "new" }.into();
        let extracted_for_db = extracted.clone();
        let headlines_json = serde_json::to_string(&headlines).unwrap_or_default();
        let change_for_db = change.clone();
        let at = now.timestamp();
        let (number, _) = self
            .db
            .write(move |s| {
                let version = NewVersion {
                    article_id: id,
                    fetched_at: at,
                    content_hash: &hash,
                    article: &extracted_for_db,
                    raw_html_zstd,
                    screenshot,
                };
                let new_change = change_for_db.as_ref().map(|c| NewChange { change: c, deliveries });
                let done = CheckDone {
                    at,
                    next_check,
                    etag: seen.etag.as_deref(),
                    last_modified: seen.last_modified.as_deref(),
                    body_hash: seen.body_hash.as_deref(),
                };
                let provenance = Provenance { response_head: response_head.as_deref(), imported: false, archive };
                let recorded = s.record_version_with(&version, new_change.as_ref(), &done, &provenance)?;
                s.record_headlines(id, recorded.0, &headlines_json)?;
                if next.is_none() {
                    s.retire_article(id)?;
                }
                s.log_fetch(&log)?;
                Ok(recorded)
            })
            .await?;
        // A derived index: a failure is logged and counted, and the version stands.
        self.db.group_story(id, article.source_id, extracted.clone(), article.first_seen, at).await;
        match change {
            None => {
                info!(url = %article.url, "First version stored.");
                self.notify(Notice::FirstSeen { url: article.url.clone(), title: extracted.title });
                Ok(Outcome::New)
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
                Ok(Outcome::Changed)
            }
        }
    }

    /// The article's page: one conditional GET, or (`render = "browser"`) the
    /// DOM Chromium rendered, with the screenshot the watch asked for.
    async fn fetch_article(
        &self,
        article: &ArticleRow,
        rules: &Rules,
    ) -> Result<Option<(Response, Option<Vec<u8>>)>, FetchFailure> {
        let Some(steps) = &rules.render else {
            let request = fetch::Request {
                url: &article.url,
                etag: article.etag.as_deref(),
                last_modified: article.last_modified.as_deref(),
                source: Some(&article.source_url),
            };
            let fetched = async {
                let _turn = self.polite.turn(request.url, request.source).await?;
                // The host's turn can take long with several workers; if this worker's lease
                // lapsed meanwhile and another took the article over, the check is theirs.
                if self.leased_elsewhere(article.id).await {
                    return Ok(None);
                }
                self.polite.fetch_in_turn(&request, Expect::Html).await.map(Some)
            };
            return match fetched.await {
                Ok(response) => Ok(response.map(|r| (r, None))),
                Err(e) => {
                    let (error, retry_after) = (e.to_string(), e.retry_after());
                    let (status, page) = match e {
                        fetch::FetchError::Status { status, page, .. } => (Some(status), page),
                        _ => (None, None),
                    };
                    Err(FetchFailure { error, status, retry_after, page })
                }
            };
        };
        let Some(browser) = &self.browser else {
            let error = "the watch has render = \"browser\" but this daemon started without the browser (the watch is not in its config); restart it".to_string();
            return Err(FetchFailure { error, status: None, retry_after: None, page: None });
        };
        let rendered =
            browser.render(&self.polite, &article.url, Some(&article.source_url), steps).await.map_err(|e| {
                FetchFailure { status: e.status(), retry_after: e.retry_after(), error: e.to_string(), page: None }
            })?;
        if let Some(first) = rendered.blocked.first() {
            let refused = rendered.blocked.len();
            info!(url = %article.url, refused, first = %first.url, reason = %first.reason, "Requests of the page refused.");
        }
        let page = Page {
            final_url: rendered.final_url,
            status: rendered.status,
            raw: rendered.html.as_bytes().to_vec(),
            text: rendered.html,
            charset: "UTF-8",
            etag: None,
            last_modified: None,
            elapsed: rendered.elapsed,
            response_head: None,
        };
        Ok(Some((Response::Page(page), rendered.screenshot)))
    }

    /// Whether another worker holds a live lease on the article. A failed read says no:
    /// the check goes on, as it would have without this look.
    async fn leased_elsewhere(&self, id: i64) -> bool {
        let now = Utc::now().timestamp();
        self.db.read(move |s| s.leased_by_another(id, now)).await.unwrap_or(false)
    }

    async fn record_unchanged(
        &self,
        article: &ArticleRow,
        next: Option<i64>,
        now: DateTime<Utc>,
        seen: Seen,
        log: FetchLogEntry,
    ) -> Result<(), StoreError> {
        let id = article.id;
        let at = now.timestamp();
        let next_check = next.unwrap_or(at);
        self.db
            .write(move |s| {
                let done = CheckDone {
                    at,
                    next_check,
                    etag: seen.etag.as_deref(),
                    last_modified: seen.last_modified.as_deref(),
                    body_hash: seen.body_hash.as_deref(),
                };
                // The result and its log line in one commit; a plan that has ended retires
                // the article after (a crash in between only checks it once more).
                s.record_unchanged_logged(id, &done, &log)?;
                if next.is_none() {
                    s.retire_article(id)?;
                }
                Ok(())
            })
            .await
    }

    async fn record_failure(
        &self,
        article: &ArticleRow,
        now: DateTime<Utc>,
        error: String,
        retry_after: Option<Duration>,
        log: FetchLogEntry,
    ) -> Result<Outcome, StoreError> {
        warn!(url = %article.url, %error, "Check failed.");
        self.record_failed(article, now, error, retry_after, log, "error").await
    }

    /// A wall is a failure like any other (the same backoff: a wall that stays up is
    /// asked for less and less often), logged with outcome `wall`.
    async fn record_wall(
        &self,
        article: &ArticleRow,
        now: DateTime<Utc>,
        wall: &extract::wall::Wall,
        retry_after: Option<Duration>,
        log: FetchLogEntry,
    ) -> Result<Outcome, StoreError> {
        warn!(url = %article.url, kind = %wall.kind, evidence = %wall.evidence.join(", "), "A wall was served instead of the article.");
        self.record_failed(article, now, wall.to_string(), retry_after, log, "wall").await
    }

    async fn record_failed(
        &self,
        article: &ArticleRow,
        now: DateTime<Utc>,
        error: String,
        retry_after: Option<Duration>,
        mut log: FetchLogEntry,
        outcome: &str,
    ) -> Result<Outcome, StoreError> {
        self.notify(Notice::Failed { url: article.url.clone(), error: error.clone() });
        let next = schedule::next_retry(article.failures + 1, retry_after, now, rand::random()).timestamp();
        let (id, at) = (article.id, now.timestamp());
        log.outcome = outcome.into();
        log.error = Some(error.clone());
        self.db.write(move |s| s.record_failure_logged(id, at, next, &error, &log)).await?;
        Ok(Outcome::Failed)
    }
}

/// The wall a refusal's page shows (a bot challenge, a sign-in page), if it is one.
async fn refusal_wall(
    status: u16,
    page: &fetch::ErrorPage,
    url: &str,
) -> Result<Option<extract::wall::Wall>, StoreError> {
    let (html, final_url, requested) = (page.text.clone(), page.final_url.clone(), url.to_string());
    blocking(move || {
        let article = extract::extract(&html, Some(&requested));
        let served = extract::wall::Served { html: &html, status, requested_url: &requested, final_url: &final_url };
        extract::wall::classify(&served, &article, None)
    })
    .await
}

/// Why the page could not be had: recorded on the article.
struct FetchFailure {
    error: String,
    status: Option<u16>,
    retry_after: Option<Duration>,
    /// The HTML that came with a refusal, to tell a bot challenge from a plain error.
    page: Option<Box<fetch::ErrorPage>>,
}

/// When the article is next due after this check (None: its revisit plan has ended).
fn next_due(
    article: &ArticleRow,
    rules: &Rules,
    published: Option<&str>,
    changed_now: bool,
    now: DateTime<Utc>,
) -> Option<i64> {
    let schedule = Schedule::from_spec_or_default(&article.schedule);
    let age = ArticleAge {
        first_seen: DateTime::from_timestamp(article.first_seen, 0).unwrap_or(now),
        published: published.and_then(|p| DateTime::parse_from_rfc3339(p).ok()).map(|p| p.with_timezone(&Utc)),
        last_changed: if changed_now {
            Some(now)
        } else {
            article.last_changed.and_then(|t| DateTime::from_timestamp(t, 0))
        },
        listed: article.listed_at.and_then(|t| DateTime::from_timestamp(t, 0)),
    };
    schedule::next_due(&schedule, rules.revisit.as_deref(), age, now, rand::random()).map(|t| t.timestamp())
}

/// The hash that lets the same bytes skip extraction: of the body as received, the
/// watch's rules and this Redline's version, so that a changed rule (a selector, an
/// ignore pattern) or an upgraded extractor reads the page again.
fn body_hash(raw: &[u8], rules: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(raw)
        .chain_update([0])
        .chain_update(rules.as_bytes())
        .chain_update([0])
        .chain_update(env!("CARGO_PKG_VERSION"))
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
