//! One fetch under a host's politeness rules: robots.txt (and its crawl delay),
//! the per-host limits, and a host-wide pause after a `Retry-After`. With several
//! workers on one database the limits and pauses are the database's
//! ([`super::shared_hosts`]), so they hold across all workers.

use std::time::Duration;

use crate::config::FetchConfig;
use crate::fetch::{self, Expect, FetchError, Fetcher, Profiles, Response};
use crate::schedule::hosts::{HostLimiter, HostPermit};
use crate::schedule::shared_hosts::{DbRobots, SharedHosts};
use crate::store::{Db, host_key};

/// Longest host-wide pause a `Retry-After` can impose.
pub const MAX_HOST_PAUSE: Duration = Duration::from_secs(3600);

/// The HTTP client and the politeness state of every host.
pub struct Polite {
    fetcher: Fetcher,
    hosts: HostLimiter,
    /// The limits every worker shares, when several may run on the database.
    shared: Option<SharedHosts>,
}

impl Polite {
    /// Builds the client and the host limits from `[fetch]`.
    pub fn new(config: &FetchConfig) -> Result<Polite, FetchError> {
        Polite::with_profiles(config, Profiles::global(config)?)
    }

    /// Like [`Polite::new`], with the watches' request profiles.
    pub fn with_profiles(config: &FetchConfig, profiles: Profiles) -> Result<Polite, FetchError> {
        Ok(Polite {
            fetcher: Fetcher::with_profiles(config, profiles)?,
            hosts: HostLimiter::new(config.per_host_concurrency, config.per_host_delay),
            shared: None,
        })
    }

    /// Keeps the per-host limits and the robots.txt answers in `db`, shared with every
    /// worker on it; a slot
    /// whose worker dies expires after `hold` (the lease length; renewed with the leases).
    pub fn shared(mut self, config: &FetchConfig, db: Db, hold: Duration) -> Polite {
        self.fetcher = self.fetcher.with_robots_share(std::sync::Arc::new(DbRobots(db.clone())));
        self.shared = Some(SharedHosts::new(db, config.per_host_concurrency, config.per_host_delay, hold));
        self
    }

    /// The headers, cookies and proxy of the watch `source`.
    pub fn profile(&self, source: Option<&str>) -> &std::sync::Arc<fetch::RequestProfile> {
        self.fetcher.profile(source)
    }

    /// Refuses `url` when robots.txt does not allow it (the requests a browser page makes).
    pub async fn robots_check(&self, url: &str) -> Result<(), FetchError> {
        self.fetcher.robots_check(url, None).await
    }

    /// Waits for `url`'s host's turn (its robots.txt crawl delay included) without
    /// fetching: a browser page's main document holds this while it renders.
    /// robots.txt is read with the profile of the watch `source`.
    pub async fn turn(&self, url: &str, source: Option<&str>) -> Result<HostPermit, FetchError> {
        let crawl_delay = self.fetcher.robots_rules(url, source).await?.and_then(|r| r.crawl_delay());
        if let Some(shared) = &self.shared {
            match shared.acquire(&host_key(url), crawl_delay).await {
                Ok(slot) => return Ok(HostPermit::shared(slot)),
                // The check itself cannot be recorded either then; this process's limits still hold.
                Err(e) => tracing::warn!(error = %e, "Shared host limits unavailable; this worker's own apply."),
            }
        }
        Ok(self.hosts.acquire(&host_key(url), crawl_delay).await)
    }

    /// Waits for the host's turn, fetches, and pauses the host when it asks to slow down.
    pub async fn fetch(&self, request: &fetch::Request<'_>, expect: Expect) -> Result<Response, FetchError> {
        let _permit = self.turn(request.url, request.source).await?;
        self.fetch_in_turn(request, expect).await
    }

    /// Fetches while the caller holds the host's turn ([`Polite::turn`]), and pauses the
    /// host when it asks to slow down.
    pub async fn fetch_in_turn(&self, request: &fetch::Request<'_>, expect: Expect) -> Result<Response, FetchError> {
        let result = self.fetcher.fetch(request, expect).await;
        if let Err(e @ FetchError::Status { status: 429 | 503, .. }) = &result
            && let Some(pause) = e.retry_after()
        {
            self.hosts.pause(&host_key(request.url), pause.min(MAX_HOST_PAUSE));
            if let Some(shared) = &self.shared {
                shared.pause(&host_key(request.url), pause.min(MAX_HOST_PAUSE)).await;
            }
        }
        result
    }
}
