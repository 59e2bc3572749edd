//! Wires the steps together and keeps them running: the scheduler, the
//! listing reader, the delivery worker, the pruner and the web UI each run
//! under a supervisor ([`supervisor::supervise`]) that logs, counts and backs
//! off after a failed pass and never lets a loop end before shutdown.
//!
//! [`Daemon::run`] is the long-running service; [`Daemon::run_once`] is
//! `redline run --once`. Only start-up ends the process with an error: an
//! invalid config, a database that cannot be opened or is newer than this
//! Redline, another daemon already running on its SQLite file, or a worker of
//! the same `--name` running on its PostgreSQL database.
//!
//! On PostgreSQL any number of daemons (workers) share one database; each runs
//! the loops of its roles ([`Roles`]) and renews its leases ([`loops::Renew`]).

mod loops;
pub mod roles;
pub mod supervisor;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Notify, Semaphore, broadcast, watch};
use tokio::task::JoinSet;
use tracing::{error, info, warn};

use crate::alert::{Sender, worker::Worker};
use crate::check::{Ctx, Outcome};
use crate::config::Config;
use crate::fetch::browser::BrowserPool;
use crate::health::{Health, Notice};
use crate::schedule::polite::Polite;
use crate::store::{Db, DbLock, Store, StoreError};
use loops::{Activity, Delivery, HEARTBEAT, Heartbeat, Listings, Prune, Renew, RulesCache, Scheduler};
use supervisor::{Backoff, supervise};

pub use loops::{DELIVERY_TICK, TICK};
pub use roles::Roles;

/// Articles claimed at a time by `run --once`.
const PASS_BATCH: usize = 1000;
/// How long in-flight checks may finish after a shutdown request.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

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
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::New => self.new += 1,
            Outcome::Changed => self.changed += 1,
            Outcome::Unchanged => {}
            Outcome::Failed => self.failed += 1,
            Outcome::Skipped => return,
        }
        self.checked += 1;
    }
}

/// An error that stops the daemon: only start-up and `run --once` have them.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another daemon runs on the database.
    #[error(transparent)]
    Locked(#[from] crate::store::LockError),
    /// A worker of this name runs already.
    #[error("a worker named {name:?} is already running (host {host}, pid {pid}); give each worker its own --name")]
    NameTaken {
        /// The name.
        name: String,
        /// Where it runs.
        host: String,
        /// Its pid there.
        pid: i64,
    },
    /// The HTTP client could not be built.
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    /// The alert client could not be built.
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
    /// The `[web]` settings are unsafe or invalid.
    #[error(transparent)]
    Web(#[from] crate::web::WebError),
    /// A task panicked.
    #[error("internal task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

type Result<T> = std::result::Result<T, DaemonError>;

/// The running parts: what checks and deliveries need, and the health of it all.
pub struct Daemon {
    ctx: Arc<Ctx>,
    worker: Arc<Worker>,
    health: Arc<Health>,
    /// The web UI's state, when it is enabled.
    web: Option<crate::web::WebState>,
    /// Held while the daemon lives: one daemon per database.
    _lock: Option<DbLock>,
    /// The loops [`Daemon::run`] runs.
    roles: Roles,
}

/// Connections a daemon opens to a PostgreSQL database (see [`Db::with_pool`]).
pub const PG_CONNECTIONS: usize = 4;

impl Daemon {
    /// Takes the database's lock (one daemon per database), opens it and makes
    /// the config's watches its sources.
    pub fn new(config: Config) -> Result<Daemon> {
        let lock = DbLock::acquire_storage(&config.storage)?;
        let store = Store::open_storage(&config.storage)?;
        // The web UI reads through a connection of its own: a write waiting for
        // a lock (or a full disk) must not hold back /healthz.
        let web_store = Arc::new(Store::open_storage(&config.storage)?);
        let mut daemon = Daemon::build(config, store, Some(web_store))?;
        daemon._lock = Some(lock);
        Ok(daemon)
    }

    /// Like [`Daemon::new`] with an already opened store (and no lock).
    pub fn with_store(config: Config, store: Store) -> Result<Daemon> {
        Daemon::build(config, store, None)
    }

    fn build(config: Config, store: Store, web_store: Option<Arc<Store>>) -> Result<Daemon> {
        let now = Utc::now().timestamp();
        store.sync_config_sources(&crate::watch::config_sources(&config), now)?;
        // On SQLite a daemon holds its database alone (the file lock), so every lease left
        // is a dead run's: free them now rather than when they expire. On PostgreSQL other
        // workers may be running: a dead worker's leases expire by themselves, and this
        // worker (a new id) holds none yet.
        if store.engine() == crate::store::sql::Engine::Sqlite {
            let released = store.release_leases(now)?;
            if released > 0 {
                info!(released, "Checks left unfinished by a previous run are due again.");
            }
        } else {
            release_previous_run(&store, now)?;
        }
        let store = Arc::new(store);
        let health = Arc::new(Health::default());
        // Unsafe [web] settings stop the daemon at start, not at the first web start.
        let web = match config.web.enabled {
            true => Some(
                crate::web::WebState::new(
                    web_store.unwrap_or_else(|| Arc::clone(&store)),
                    crate::web::WebOptions::from_config(&config.web),
                )?
                .with_health(Arc::clone(&health)),
            ),
            false => None,
        };
        // On PostgreSQL the checks in flight share a few connections (each its own
        // transactions); SQLite writes one at a time anyway.
        let mut more = Vec::new();
        if let Some(url) = config.storage.url.as_deref() {
            for _ in 1..PG_CONNECTIONS {
                more.push(Arc::new(Store::open_url(url)?.with_worker(store.worker())));
            }
        }
        let db = Db::with_pool(store, more, Arc::clone(&health));
        let sender = Arc::new(Sender::new(&config)?);
        sender.attach_store(db.clone());
        let (notices, _) = broadcast::channel(1024);
        let worker = Worker::new(db.clone(), Arc::clone(&sender), config.alerts.retry_for, notices.clone())
            .with_lease(config.storage.lease);
        // Built only when a watch needs it; Chromium itself starts at the first render.
        let browser = config.needs_browser().then(|| Arc::new(BrowserPool::new(&config.browser, &config.fetch)));
        let ctx = Ctx {
            polite: shared_limits(
                Polite::with_profiles(
                    &config.fetch,
                    crate::fetch::Profiles::from_config(&config.fetch, &config.watches)?,
                )?,
                &config,
                &db,
            ),
            browser,
            config: Arc::new(config),
            db,
            sender,
            notices,
            outbox_ready: Arc::new(Notify::new()),
        };
        Ok(Daemon { ctx: Arc::new(ctx), worker: Arc::new(worker), health, web, _lock: None, roles: Roles::ALL })
    }

    /// Runs only these loops (`redline run --role`); every one by default.
    pub fn with_roles(mut self, roles: Roles) -> Daemon {
        self.roles = roles;
        self
    }

    /// The database.
    pub fn store(&self) -> &Arc<Store> {
        self.ctx.db.store()
    }

    /// The health of the loops and the store.
    pub fn health(&self) -> &Arc<Health> {
        &self.health
    }

    /// Receives what the daemon does from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.ctx.notices.subscribe()
    }

    /// Checks every enabled source and article once, whatever their due time:
    /// listings first, so that the articles they list are checked in the same pass.
    /// A store error ends the pass with that error.
    pub async fn check_everything(&self) -> Result<PassStats> {
        let now = Utc::now().timestamp();
        let lease = now + self.ctx.config.storage.lease.as_secs() as i64;
        let sources = self.ctx.db.write(move |s| s.claim_due_sources(now, lease, true)).await?;
        loops::check_sources(&self.ctx, &self.health, sources, &loops::Orphans::default()).await?;
        let mut stats = PassStats::default();
        let permits = Arc::new(Semaphore::new(self.ctx.config.fetch.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        let mut rules = RulesCache::default();
        // In batches, in id order: every article exactly once, without holding them all in memory.
        let mut after = 0;
        loop {
            let batch = self.ctx.db.write(move |s| s.claim_articles_after(after, now, lease, PASS_BATCH)).await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            for article in batch {
                let permit = Arc::clone(&permits).acquire_owned().await.expect("semaphore open");
                let (ctx, article_rules) = (Arc::clone(&self.ctx), rules.get(&article.rules));
                tasks.spawn(async move {
                    let _permit = permit;
                    ctx.check_article(article, article_rules).await
                });
                while let Some(done) = tasks.try_join_next() {
                    stats.count(done??);
                }
            }
        }
        while let Some(done) = tasks.join_next().await {
            stats.count(done??);
        }
        Ok(stats)
    }

    /// Sends every due alert once; returns (delivered, failed this time).
    pub async fn deliver_due(&self) -> Result<(usize, usize)> {
        Ok(self.worker.deliver_due().await?)
    }

    /// `run --once`: every source and article once, then every due alert.
    pub async fn run_once(&self) -> Result<PassStats> {
        let checked = self.check_everything().await;
        self.stop_browser().await;
        let mut stats = checked?;
        let (mut delivered, mut undelivered) = self.deliver_due().await?;
        // A delivery can raise another (a snapshot's `article.archived` once Save Page
        // Now is done): those go in a second pass.
        if delivered > 0 {
            let (more, failed) = self.deliver_due().await?;
            delivered += more;
            undelivered += failed;
        }
        stats.delivered = delivered;
        stats.undelivered = undelivered;
        Ok(stats)
    }

    /// Stops Chromium and its processes, if it runs (a later check starts it again).
    pub async fn stop_browser(&self) {
        if let Some(browser) = &self.ctx.browser {
            browser.shutdown().await;
        }
    }

    /// The daemon: every loop under its supervisor until `shutdown` resolves.
    /// In-flight checks get [`SHUTDOWN_GRACE`] to finish; what is cut off is
    /// redone later, and nothing is half-written (each write is one transaction).
    pub async fn run(self: Arc<Self>, shutdown: impl Future<Output = ()>) -> Result<()> {
        let (stop_tx, stop) = watch::channel(false);
        let health = &self.health;
        let ctx = &self.ctx;
        let activity = Arc::new(Activity::default());
        let roles = self.roles;
        // A role left out is a loop that is not started (None), so it registers no health either.
        let scheduler = async {
            let scheduler = Scheduler::new(Arc::clone(ctx), Arc::clone(health), Arc::clone(&activity));
            if !roles.check {
                return None;
            }
            Some(supervise("scheduler", TICK * 30, health, stop.clone(), scheduler).await)
        };
        let listings = async {
            let listings = Listings::new(Arc::clone(ctx), Arc::clone(health), Arc::clone(&activity));
            if !roles.check {
                return None;
            }
            Some(supervise("listings", TICK * 60, health, stop.clone(), listings).await)
        };
        let heartbeat = Heartbeat {
            db: ctx.db.clone(),
            activity: Arc::clone(&activity),
            roles: self.roles(),
            delivers: roles.deliver,
            started_at: Utc::now().timestamp(),
            ticker: loops::ticker(HEARTBEAT),
        };
        let heartbeat = supervise("heartbeat", HEARTBEAT * 6, health, stop.clone(), heartbeat);
        let delivery = async {
            let delivery = Delivery { worker: Arc::clone(&self.worker), ready: Arc::clone(&ctx.outbox_ready) };
            if roles.deliver {
                supervise("delivery", DELIVERY_TICK * 30, health, stop.clone(), delivery).await;
            }
        };
        let lease = ctx.config.storage.lease;
        let renew = Renew { db: ctx.db.clone(), lease, ticker: loops::ticker(lease / 3) };
        let renew = supervise("leases", lease, health, stop.clone(), renew);
        let prune = Prune { ctx: Arc::clone(ctx), ticker: loops::ticker(loops::PRUNE_TICK) };
        let prune = supervise("prune", loops::PRUNE_TICK * 3, health, stop.clone(), prune);
        let web = self.serve_web(stop.clone());
        let watchdog = systemd_watchdog(Arc::clone(health), stop.clone());
        notify_systemd(&[sd_notify::NotifyState::Ready]);
        let work = async { tokio::join!(scheduler, listings, delivery, prune, web, watchdog, heartbeat, renew) };
        tokio::pin!(work);
        tokio::select! {
            _ = shutdown => {}
            _ = &mut work => unreachable!("loops end only after the stop signal"),
        }
        info!("Shutting down.");
        notify_systemd(&[sd_notify::NotifyState::Stopping]);
        let _ = stop_tx.send(true);
        let (scheduler, listings, ..) = (&mut work).await;
        let drain_checks = async {
            if let Some(s) = scheduler {
                s.drain(SHUTDOWN_GRACE).await;
            }
        };
        let drain_reads = async {
            if let Some(l) = listings {
                l.drain(SHUTDOWN_GRACE).await;
            }
        };
        tokio::join!(drain_checks, drain_reads);
        self.stop_browser().await;
        // What this worker still holds (checks cut off, alerts not sent) is free for the others
        // now rather than when its leases expire.
        let now = Utc::now().timestamp();
        match self.ctx.db.write(move |s| s.release_own_leases(now)).await {
            Ok(released) if released.total() > 0 => info!(?released, "Work left unfinished is free for other workers."),
            Ok(_) => {}
            Err(e) => warn!(error = %e, "Cannot release this worker's leases; they expire by themselves."),
        }
        // A clean exit takes the heartbeat row with it; a killed worker's row goes stale instead.
        if let Err(e) = self.ctx.db.write(|s| s.remove_worker()).await {
            warn!(error = %e, "Cannot remove this worker's heartbeat row; it shows as gone in a minute.");
        }
        Ok(())
    }

    /// The loops this worker runs, for its heartbeat row.
    fn roles(&self) -> String {
        self.roles.running(self.web.is_some()).to_string()
    }

    /// Serves the web UI while enabled; a port that cannot be bound is retried
    /// with backoff (checks and alerts go on meanwhile).
    async fn serve_web(&self, mut stop: watch::Receiver<bool>) {
        let config = &self.ctx.config.web;
        let Some(state) = self.web.as_ref().filter(|_| self.roles.web) else { return };
        self.health.register("web", Duration::MAX);
        let mut backoff = Backoff::new(supervisor::BACKOFF_BASE, supervisor::BACKOFF_CAP);
        while !*stop.borrow() {
            let error = match tokio::net::TcpListener::bind(&config.listen).await {
                Ok(listener) => {
                    backoff.reset();
                    self.health.pass_ok("web");
                    let mut until = stop.clone();
                    let shutdown = async move {
                        let _ = until.wait_for(|stopped| *stopped).await;
                    };
                    match crate::web::serve(listener, state.clone(), shutdown).await {
                        Ok(()) => continue,
                        Err(e) => format!("web server failed: {e}"),
                    }
                }
                Err(e) => format!("cannot listen on {}: {e}; set [web] listen, or enabled = false", config.listen),
            };
            self.health.loop_error("web", &error);
            let wait = backoff.next(rand::random());
            error!(%error, retry_in = ?wait, "Web UI down; retrying.");
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// A named worker (`--name`) restarting on PostgreSQL frees the leases its previous
/// run left, and only those: other workers' leases expire by themselves. A row of its
/// name that another live process holds stops the start instead.
fn release_previous_run(store: &Store, now: i64) -> Result<()> {
    if let Some(row) = store.own_worker_row()? {
        let alive = |pid: i64| {
            // SAFETY: signal 0 only asks whether the process exists.
            i32::try_from(pid).is_ok_and(|p| unsafe { libc::kill(p, 0) } == 0)
        };
        let me = i64::from(std::process::id());
        if row.held_by_another(now, &crate::store::host_name(), me, alive) {
            return Err(DaemonError::NameTaken { name: row.id, host: row.host, pid: row.pid });
        }
    }
    let released = store.release_own_leases(now)?;
    if released.total() > 0 {
        info!(?released, "Work this worker's previous run left unfinished is due again.");
    }
    Ok(())
}

/// On PostgreSQL, where several workers may run, per-host limits live in the database.
fn shared_limits(polite: Polite, config: &Config, db: &Db) -> Polite {
    if db.store().engine() != crate::store::sql::Engine::Postgres {
        return polite;
    }
    // A slot is held for a lease, renewed with the leases while its request runs: a dead
    // worker's slot frees itself when its leases expire.
    polite.shared(&config.fetch, db.clone(), config.storage.lease)
}

/// Tells systemd (when it started us with `NOTIFY_SOCKET`) about our state.
fn notify_systemd(states: &[sd_notify::NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(states) {
        warn!(error = %e, "Cannot notify systemd.");
    }
}

/// Feeds systemd's watchdog (`WatchdogSec=`) at half its period, but only
/// while every loop is healthy: a wedged daemon is then restarted by systemd.
async fn systemd_watchdog(health: Arc<Health>, mut stop: watch::Receiver<bool>) {
    let Some(period) = sd_notify::watchdog_enabled() else { return };
    let mut ticker = loops::ticker(period / 2);
    let mut last_status = String::new();
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => return,
        }
        let problems = health.problems();
        let status = if problems.is_empty() { "healthy".to_string() } else { problems.join("; ") };
        if status != last_status {
            notify_systemd(&[sd_notify::NotifyState::Status(&status)]);
            last_status = status;
        }
        if problems.is_empty() {
            notify_systemd(&[sd_notify::NotifyState::Watchdog]);
        }
    }
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
