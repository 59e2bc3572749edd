//! What the daemon's long-running loops last did, and whether the daemon is
//! healthy: `/healthz`, `/metrics`, `redline status` and the systemd watchdog
//! all read the same [`Health`]. Also the [`Notice`]s the daemon broadcasts to
//! whoever watches it (the demo prints them).
//!
//! A loop is unhealthy when it has not completed a pass within its bound (a
//! few of its ticks); the store is unhealthy from a failed write until the next
//! write that succeeds. Time is read from tokio's clock, so tests can pause it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::diff::Change;

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

/// The health of every loop and of the store's writes.
#[derive(Debug, Default)]
pub struct Health {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    loops: BTreeMap<&'static str, LoopState>,
    store: StoreState,
}

#[derive(Debug)]
struct LoopState {
    /// Longest time between two completed passes before the loop counts as stuck.
    bound: Duration,
    /// When the loop started, for a loop that has not completed a pass yet.
    started: Instant,
    /// When the last pass completed.
    last_pass: Option<Instant>,
    /// The same, in unix seconds, for `/metrics`.
    last_pass_unix: Option<i64>,
    /// Errors counted since start.
    errors: u64,
    /// The latest error, cleared by a completed pass.
    last_error: Option<String>,
}

#[derive(Debug, Default)]
struct StoreState {
    /// Failed writes since start.
    write_errors: u64,
    /// Since when writes fail; None once one succeeds.
    failing_since: Option<Instant>,
    /// The latest write error.
    last_error: Option<String>,
}

/// One loop's figures, for `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopReport {
    /// The loop's name (`scheduler`, `listings`, `delivery`, `prune`, `web`).
    pub name: &'static str,
    /// When its last pass completed, in unix seconds.
    pub last_pass: Option<i64>,
    /// Errors counted since start.
    pub errors: u64,
}

impl Health {
    /// A loop starts; it must complete a pass at least every `bound`.
    pub fn register(&self, name: &'static str, bound: Duration) {
        let mut state = self.lock();
        state.loops.entry(name).or_insert(LoopState {
            bound,
            started: Instant::now(),
            last_pass: None,
            last_pass_unix: None,
            errors: 0,
            last_error: None,
        });
    }

    /// A loop completed a pass.
    pub fn pass_ok(&self, name: &'static str) {
        let mut state = self.lock();
        if let Some(l) = state.loops.get_mut(name) {
            l.last_pass = Some(Instant::now());
            l.last_pass_unix = Some(chrono::Utc::now().timestamp());
            l.last_error = None;
        }
    }

    /// A loop met an error (a failed pass, or one failed piece of its work).
    pub fn loop_error(&self, name: &'static str, error: &str) {
        let mut state = self.lock();
        if let Some(l) = state.loops.get_mut(name) {
            l.errors += 1;
            l.last_error = Some(error.to_string());
        }
    }

    /// A store write succeeded: the store accepts writes.
    pub fn write_ok(&self) {
        let mut state = self.lock();
        state.store.failing_since = None;
    }

    /// A store write failed.
    pub fn write_failed(&self, error: &str) {
        let mut state = self.lock();
        let store = &mut state.store;
        store.write_errors += 1;
        store.failing_since.get_or_insert_with(Instant::now);
        store.last_error = Some(error.to_string());
    }

    /// Failed store writes since start.
    pub fn write_errors(&self) -> u64 {
        self.lock().store.write_errors
    }

    /// What is wrong, one line per problem (`"<part>: <problem>"`); empty when healthy.
    pub fn problems(&self) -> Vec<String> {
        let state = self.lock();
        let now = Instant::now();
        let mut problems = Vec::new();
        if let Some(since) = state.store.failing_since {
            let error = state.store.last_error.as_deref().unwrap_or("unknown error");
            problems.push(format!("store: writes failing for {}: {error}", human(now - since)));
        }
        for (name, l) in &state.loops {
            let since = l.last_pass.unwrap_or(l.started);
            if now - since > l.bound {
                let error = l.last_error.as_deref().unwrap_or("no error recorded");
                problems.push(format!("{name}: no pass completed for {}: {error}", human(now - since)));
            }
        }
        problems
    }

    /// Every loop's figures.
    pub fn loops(&self) -> Vec<LoopReport> {
        let state = self.lock();
        state.loops.iter().map(|(name, l)| LoopReport { name, last_pass: l.last_pass_unix, errors: l.errors }).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `12 s`, `4 min`, `3 h`: how long something has lasted, for people.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..120 => format!("{secs} s"),
        120..7200 => format!("{} min", secs / 60),
        _ => format!("{} h", secs / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_loop_is_stuck_after_its_bound_and_well_again_after_a_pass() {
        let health = Health::default();
        health.register("scheduler", Duration::from_secs(30));
        assert!(health.problems().is_empty());
        tokio::time::advance(Duration::from_secs(20)).await;
        health.loop_error("scheduler", "database or disk is full");
        assert!(health.problems().is_empty(), "within its bound");
        tokio::time::advance(Duration::from_secs(220)).await;
        assert_eq!(health.problems(), ["scheduler: no pass completed for 4 min: database or disk is full"]);
        health.pass_ok("scheduler");
        assert!(health.problems().is_empty());
        let report = health.loops();
        assert_eq!(report[0].errors, 1);
        assert!(report[0].last_pass.is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn store_writes_fail_until_one_succeeds() {
        let health = Health::default();
        health.write_failed("database or disk is full");
        tokio::time::advance(Duration::from_secs(12)).await;
        health.write_failed("database or disk is full");
        assert_eq!(health.problems(), ["store: writes failing for 12 s: database or disk is full"]);
        health.write_ok();
        assert!(health.problems().is_empty());
        assert_eq!(health.write_errors(), 2);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human(Duration::from_secs(5)), "5 s");
        assert_eq!(human(Duration::from_secs(240)), "4 min");
        assert_eq!(human(Duration::from_secs(3 * 3600 + 5)), "3 h");
    }
}
