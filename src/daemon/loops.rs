//! The daemon's loops, each a [`Pass`] the supervisor runs: the article
//! scheduler, the listing reader, the delivery worker, the pruner and the
//! heartbeat that tells other workers and `redline status` what this one does.
//!
//! Work whose recording failed (the store refused a write) is handed back:
//! its row is made due again on the next pass that can write.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Interval, MissedTickBehavior};
use tracing::{debug, info, warn};

use super::supervisor::Pass;
use crate::alert::worker::Worker;
use crate::check::{Ctx, Outcome};
use crate::health::Health;
use crate::schedule::hosts::InFlight;
use crate::store::{ArticleRow, Db, SourceRow, Store, StoreError, host_key};
use crate::watch::Rules;

/// How often the scheduler and the listing reader look for due work.
pub const TICK: Duration = Duration::from_secs(1);
/// How often the delivery worker looks at the outbox without being woken.
pub const DELIVERY_TICK: Duration = Duration::from_secs(2);
/// How often old fetch-log lines are pruned.
pub const PRUNE_TICK: Duration = Duration::from_secs(3600);
/// How often this worker's heartbeat row is written.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// How long fetch-log lines are kept.
const FETCH_LOG_RETENTION: Duration = Duration::from_secs(14 * 24 * 3600);

/// A ticker that skips missed ticks: a stalled runtime must not fire a burst.
pub fn ticker(every: Duration) -> Interval {
    let mut t = tokio::time::interval(every);
    t.set_missed_tick_behavior(MissedTickBehavior::Skip);
    t
}

/// What the loops are doing now, for the heartbeat row: checks and listing reads in flight.
#[derive(Debug, Default)]
pub struct Activity {
    checks: AtomicUsize,
    listings: AtomicUsize,
}

/// Counts one unit of work in flight while it lives.
pub struct Busy(Arc<Activity>, fn(&Activity) -> &AtomicUsize, usize);

impl Activity {
    /// Counts `n` article checks until the guard drops.
    pub fn checking(self: &Arc<Self>, n: usize) -> Busy {
        Busy::new(self, |a| &a.checks, n)
    }

    /// Counts `n` listing reads until the guard drops.
    pub fn reading(self: &Arc<Self>, n: usize) -> Busy {
        Busy::new(self, |a| &a.listings, n)
    }

    /// "checking 3 articles, reading 1 listing, delivering 2 alerts" (`delivering`:
    /// the outbox rows this worker holds), or "idle".
    pub fn describe(&self, delivering: usize) -> String {
        describe(self.checks.load(Ordering::Relaxed), self.listings.load(Ordering::Relaxed), delivering)
    }
}

impl Busy {
    fn new(activity: &Arc<Activity>, counter: fn(&Activity) -> &AtomicUsize, n: usize) -> Busy {
        counter(activity).fetch_add(n, Ordering::Relaxed);
        Busy(Arc::clone(activity), counter, n)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        (self.1)(&self.0).fetch_sub(self.2, Ordering::Relaxed);
    }
}

/// The `doing` text of a heartbeat: article checks and listing reads in flight, and
/// the alerts being delivered.
pub fn describe(checks: usize, listings: usize, deliveries: usize) -> String {
    let plural = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    let parts: Vec<String> =
        [(checks, "checking", "article"), (listings, "reading", "listing"), (deliveries, "delivering", "alert")]
            .into_iter()
            .filter(|(n, ..)| *n > 0)
            .map(|(n, verb, noun)| format!("{verb} {}", plural(n, noun)))
            .collect();
    match parts.is_empty() {
        true => "idle".to_string(),
        false => parts.join(", "),
    }
}

/// Ids whose check could not be recorded, to be made due again.
pub type Orphans = Arc<Mutex<Vec<i64>>>;

fn give_back(orphans: &Orphans, ids: Vec<i64>) {
    orphans.lock().unwrap_or_else(|p| p.into_inner()).extend(ids);
}

/// Makes the orphans due again with `release`; kept for the next pass when the store refuses.
async fn release(
    db: &Db,
    orphans: &Orphans,
    release: fn(&Store, &[i64], i64) -> Result<usize, StoreError>,
    now: i64,
) -> Result<usize, StoreError> {
    let ids = std::mem::take(&mut *orphans.lock().unwrap_or_else(|p| p.into_inner()));
    if ids.is_empty() {
        return Ok(0);
    }
    let count = ids.len();
    let kept = ids.clone();
    match db.write(move |s| release(s, &ids, now)).await {
        Ok(_) => Ok(count),
        Err(e) => {
            give_back(orphans, kept);
            Err(e)
        }
    }
}

/// The watch rules of one pass, each decoded and compiled once.
#[derive(Default)]
pub struct RulesCache(HashMap<String, Result<Arc<Rules>, String>>);

impl RulesCache {
    /// The compiled rules of a stored rules JSON, or why it cannot be read.
    pub fn get(&mut self, json: &str) -> Result<Arc<Rules>, String> {
        self.0
            .entry(json.to_string())
            .or_insert_with(|| Rules::decode(json).map(Arc::new).map_err(|e| e.to_string()))
            .clone()
    }
}

/// Claims due articles and checks them, `concurrency` at a time, fairly across hosts.
///
/// Claims go in batches: up to `concurrency` articles wait claimed (leased) beside
/// the checks in flight, and the next claim is made once fewer than half of that
/// wait, so a claim, a committed transaction, is made every few checks rather than
/// at each one. What waits is leased like what runs: renewed, freed at a clean stop,
/// taken over by another worker only once expired.
pub struct Scheduler {
    ctx: Arc<Ctx>,
    health: Arc<Health>,
    concurrency: usize,
    queue: VecDeque<ArticleRow>,
    permits: Arc<Semaphore>,
    checks: JoinSet<(i64, Result<Outcome, StoreError>)>,
    in_flight: InFlight,
    orphans: Orphans,
    ticker: Interval,
    activity: Arc<Activity>,
}

impl Scheduler {
    /// A scheduler over `ctx`'s store, counting its checks in `activity`.
    pub fn new(ctx: Arc<Ctx>, health: Arc<Health>, activity: Arc<Activity>) -> Scheduler {
        let concurrency = ctx.config.fetch.concurrency.max(1);
        Scheduler {
            ctx,
            health,
            concurrency,
            queue: VecDeque::new(),
            permits: Arc::new(Semaphore::new(concurrency)),
            checks: JoinSet::new(),
            in_flight: InFlight::default(),
            orphans: Orphans::default(),
            ticker: ticker(TICK),
            activity,
        }
    }

    fn finished(&mut self, done: Result<(i64, Result<Outcome, StoreError>), tokio::task::JoinError>) {
        match done {
            Ok((_, Ok(_))) => {}
            Ok((id, Err(e))) => {
                warn!(article = id, error = %e, "Check could not be recorded; it is due again once the store accepts writes.");
                self.health.loop_error("scheduler", &e.to_string());
                give_back(&self.orphans, vec![id]);
            }
            Err(e) => {
                // The task's id is lost with the panic; its lease makes it due again.
                warn!(error = %e, "Check task failed.");
                self.health.loop_error("scheduler", &e.to_string());
            }
        }
    }

    /// Lets the checks in flight finish (up to `grace`).
    pub async fn drain(mut self, grace: Duration) {
        let drain = async {
            while let Some(done) = self.checks.join_next().await {
                self.finished(done);
            }
        };
        if tokio::time::timeout(grace, drain).await.is_err() {
            warn!(?grace, "Checks still running at shutdown were cut off; they will be redone.");
        }
    }
}

impl Pass for Scheduler {
    type Error = StoreError;

    async fn wait(&mut self) {
        // Articles are looked for on the tick and as soon as a check ends, so
        // that throughput is not capped at `concurrency` checks per tick.
        tokio::select! {
            _ = self.ticker.tick() => {}
            Some(done) = self.checks.join_next(), if !self.checks.is_empty() => self.finished(done),
        }
        while let Some(done) = self.checks.try_join_next() {
            self.finished(done);
        }
    }

    async fn pass(&mut self) -> Result<(), StoreError> {
        let now = Utc::now().timestamp();
        let released = release(&self.ctx.db, &self.orphans, Store::release_articles, now).await?;
        if released > 0 {
            info!(checks = released, "Checks that could not be recorded are due again.");
        }
        let mut rules = RulesCache::default();
        self.start_queued(&mut rules);
        let free = self.permits.available_permits();
        let Some(want) = claim_size(self.concurrency, free, self.queue.len()) else { return Ok(()) };
        let lease = now + self.ctx.config.storage.lease.as_secs() as i64;
        let per_host = self.ctx.config.fetch.per_host_concurrency.max(1);
        let busy = self.in_flight.busy(per_host);
        let mut claimed =
            self.ctx.db.write(move |s| s.claim_due_articles_fair(now, lease, want, per_host, &busy)).await?;
        // An article whose lease lapsed while it waited here can come back to this
        // worker: the claim renewed its lease, and the queued copy is enough. (One in
        // flight is claimed again only once its check has recorded and made it due:
        // that copy must run, or the lease would hold the article until it expires.)
        claimed.retain(|a| !self.queue.iter().any(|q| q.id == a.id));
        self.queue.extend(claimed);
        self.start_queued(&mut rules);
        Ok(())
    }
}

impl Scheduler {
    /// Starts claimed articles while a permit is free.
    fn start_queued(&mut self, rules: &mut RulesCache) {
        while !self.queue.is_empty() {
            let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else { return };
            let article = self.queue.pop_front().expect("not empty");
            let host = self.in_flight.enter(host_key(&article.url));
            let ctx = Arc::clone(&self.ctx);
            let article_rules = rules.get(&article.rules);
            let busy = self.activity.checking(1);
            self.checks.spawn(async move {
                let _held = (permit, host, busy);
                let id = article.id;
                (id, ctx.check_article(article, article_rules).await)
            });
        }
    }
}

/// How many articles to claim with `free` permits and `queued` articles claimed
/// and waiting: enough to fill the permits and leave `concurrency` waiting, once
/// fewer than half that wait beyond the free permits; None when enough wait.
pub fn claim_size(concurrency: usize, free: usize, queued: usize) -> Option<usize> {
    let (spare, low) = (concurrency.max(1), concurrency.max(1).div_ceil(2));
    match queued < free + low {
        true => Some(free + spare - queued),
        false => None,
    }
}

/// Claims due listings (feeds, sitemaps, section pages) and reads them beside
/// the article checks, so that a slow feed holds back nothing.
pub struct Listings {
    ctx: Arc<Ctx>,
    health: Arc<Health>,
    reads: JoinSet<()>,
    orphans: Orphans,
    ticker: Interval,
    activity: Arc<Activity>,
}

impl Listings {
    /// A listing reader over `ctx`'s store, counting its reads in `activity`.
    pub fn new(ctx: Arc<Ctx>, health: Arc<Health>, activity: Arc<Activity>) -> Listings {
        Listings { ctx, health, reads: JoinSet::new(), orphans: Orphans::default(), ticker: ticker(TICK), activity }
    }

    /// Lets the reads in flight finish (up to `grace`).
    pub async fn drain(mut self, grace: Duration) {
        if tokio::time::timeout(grace, async { while self.reads.join_next().await.is_some() {} }).await.is_err() {
            warn!(?grace, "Listing reads still running at shutdown were cut off; they will be redone.");
        }
    }
}

/// Reads `sources`, [`crate::config::FetchConfig::concurrency`] at a time.
/// Those whose outcome could not be recorded go to `orphans`, and the first
/// such store error is returned once every read has ended.
pub async fn check_sources(
    ctx: &Arc<Ctx>,
    health: &Arc<Health>,
    sources: Vec<SourceRow>,
    orphans: &Orphans,
) -> Result<(), StoreError> {
    let mut tasks = JoinSet::new();
    let limit = ctx.config.fetch.concurrency.max(1);
    let mut rules = RulesCache::default();
    let mut first_error = None;
    let mut finished = |done: Option<Result<Result<(), StoreError>, tokio::task::JoinError>>| {
        if let Some(Ok(Err(e))) = done {
            first_error.get_or_insert(e);
        }
    };
    for source in sources {
        // Bounded like article checks: 100,000 url watches must not become 100,000 tasks.
        while tasks.len() >= limit {
            finished(tasks.join_next().await);
        }
        let (ctx, orphans, health) = (Arc::clone(ctx), Arc::clone(orphans), Arc::clone(health));
        let source_rules = rules.get(&source.rules);
        tasks.spawn(async move {
            let recorded = ctx.check_source(&source, source_rules).await;
            if let Err(e) = &recorded {
                warn!(url = %source.url, error = %e, "Listing check could not be recorded; it is due again once the store accepts writes.");
                health.loop_error("listings", &e.to_string());
                give_back(&orphans, vec![source.id]);
            }
            recorded
        });
    }
    while let Some(done) = tasks.join_next().await {
        finished(Some(done));
    }
    first_error.map_or(Ok(()), Err)
}

impl Pass for Listings {
    type Error = StoreError;

    async fn wait(&mut self) {
        self.ticker.tick().await;
        while self.reads.try_join_next().is_some() {}
    }

    async fn pass(&mut self) -> Result<(), StoreError> {
        let now = Utc::now().timestamp();
        release(&self.ctx.db, &self.orphans, Store::release_sources, now).await?;
        let lease = now + self.ctx.config.storage.lease.as_secs() as i64;
        let sources = self.ctx.db.write(move |s| s.claim_due_sources(now, lease, false)).await?;
        if !sources.is_empty() {
            let (ctx, health, orphans) = (Arc::clone(&self.ctx), Arc::clone(&self.health), Arc::clone(&self.orphans));
            let _busy = self.activity.reading(sources.len());
            self.reads.spawn(async move {
                let _busy = _busy;
                // Each failure was logged, counted and handed back already.
                let _ = check_sources(&ctx, &health, sources, &orphans).await;
            });
        }
        Ok(())
    }
}

/// Delivers due alerts, woken by new changes or its tick.
pub struct Delivery {
    /// The worker.
    pub worker: Arc<Worker>,
    /// Woken when a change with alerts was recorded.
    pub ready: Arc<tokio::sync::Notify>,
}

impl Pass for Delivery {
    type Error = StoreError;

    async fn wait(&mut self) {
        tokio::select! {
            _ = self.ready.notified() => {}
            _ = tokio::time::sleep(DELIVERY_TICK) => {}
        }
    }

    async fn pass(&mut self) -> Result<(), StoreError> {
        let (delivered, failed) = self.worker.deliver_due().await?;
        if delivered + failed > 0 {
            debug!(delivered, failed, "Delivery pass done.");
        }
        Ok(())
    }
}

/// Prunes the fetch log, and screenshots past `[storage] keep_screenshots`.
pub struct Prune {
    /// The store.
    pub ctx: Arc<Ctx>,
    /// Its tick.
    pub ticker: Interval,
}

impl Pass for Prune {
    type Error = StoreError;

    async fn wait(&mut self) {
        self.ticker.tick().await;
    }

    async fn pass(&mut self) -> Result<(), StoreError> {
        let before = Utc::now().timestamp() - FETCH_LOG_RETENTION.as_secs() as i64;
        let pruned = self.ctx.db.write(move |s| s.prune_fetch_log(before)).await?;
        debug!(pruned, "Fetch log pruned.");
        let now = Utc::now().timestamp();
        let pruned = self.ctx.db.write(move |s| s.prune_workers(now)).await?;
        debug!(pruned, "Rows of workers gone for a day pruned.");
        if let Some(keep) = self.ctx.config.storage.keep_screenshots {
            let before = Utc::now().timestamp() - keep.as_secs() as i64;
            let pruned = self.ctx.db.write(move |s| s.prune_screenshots(before)).await?;
            debug!(pruned, "Screenshots pruned.");
        }
        Ok(())
    }
}

/// Renews this worker's leases every third of their length, so that a check or a
/// delivery that takes long is not taken over by another worker mid-way.
pub struct Renew {
    /// The store.
    pub db: Db,
    /// The length of a lease.
    pub lease: Duration,
    /// Its tick.
    pub ticker: Interval,
}

impl Pass for Renew {
    type Error = StoreError;

    async fn wait(&mut self) {
        self.ticker.tick().await;
    }

    async fn pass(&mut self) -> Result<(), StoreError> {
        let until = Utc::now().timestamp() + self.lease.as_secs() as i64;
        // Like the outbox's claims, not a write health counts: renewing no lease commits
        // nothing and would pass on a full disk.
        let renewed = self.db.read(move |s| s.renew_leases(until)).await?;
        if renewed.total() > 0 {
            debug!(?renewed, "Leases renewed.");
        }
        Ok(())
    }
}

/// Writes this worker's heartbeat row: its roles and what it is doing.
pub struct Heartbeat {
    /// The store.
    pub db: Db,
    /// What the loops are doing.
    pub activity: Arc<Activity>,
    /// The loops this worker runs, comma-separated.
    pub roles: String,
    /// Whether it delivers alerts (then the outbox rows it holds are what it delivers).
    pub delivers: bool,
    /// When it started.
    pub started_at: i64,
    /// Its tick.
    pub ticker: Interval,
}

impl Pass for Heartbeat {
    type Error = StoreError;

    async fn wait(&mut self) {
        self.ticker.tick().await;
    }

    async fn pass(&mut self) -> Result<(), StoreError> {
        let now = Utc::now().timestamp();
        let delivering = match self.delivers {
            true => self.db.read(move |s| s.deliveries_in_flight(now)).await?,
            false => 0,
        };
        let (roles, started, doing) = (self.roles.clone(), self.started_at, self.activity.describe(delivering));
        self.db.write(move |s| s.heartbeat(&roles, started, now, &doing)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_wait_until_half_the_spare_articles_are_started_then_refill() {
        assert_eq!(claim_size(8, 8, 0), Some(16), "at start: the permits and as many waiting");
        assert_eq!(claim_size(8, 0, 8), None);
        assert_eq!(claim_size(8, 0, 4), None, "half the spare still waits");
        assert_eq!(claim_size(8, 0, 3), Some(5));
        assert_eq!(claim_size(8, 2, 5), Some(5), "free permits count too");
        assert_eq!(claim_size(1, 1, 0), Some(2));
        assert_eq!(claim_size(1, 0, 1), None);
        assert_eq!(claim_size(1, 0, 0), Some(1));
        assert_eq!(claim_size(0, 0, 0), Some(1), "a concurrency of 0 is 1");
    }

    #[test]
    fn activity_counts_work_in_flight_and_describes_it() {
        let activity = Arc::new(Activity::default());
        assert_eq!(activity.describe(0), "idle");
        let one = activity.checking(1);
        let more = activity.checking(2);
        assert_eq!(activity.describe(0), "checking 3 articles");
        let listing = activity.reading(1);
        assert_eq!(activity.describe(0), "checking 3 articles, reading 1 listing");
        assert_eq!(activity.describe(2), "checking 3 articles, reading 1 listing, delivering 2 alerts");
        drop((one, more));
        assert_eq!(activity.describe(0), "reading 1 listing");
        drop(listing);
        assert_eq!(activity.describe(0), "idle");
        assert_eq!(activity.describe(1), "delivering 1 alert");
        assert_eq!(describe(1, 0, 0), "checking 1 article");
        assert_eq!(describe(0, 2, 0), "reading 2 listings");
        assert_eq!(describe(1, 0, 3), "checking 1 article, delivering 3 alerts");
    }
}
