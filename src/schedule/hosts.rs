//! Per-host politeness: at most N requests in flight to one host, and a least
//! delay between the starts of two requests (longer when robots.txt asks, or
//! after a 429/503 with `Retry-After`); and the checks in flight per host, so
//! that the scheduler claims work for other sites while one site's queue is full.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// The right to send one request to a host; dropping it frees the slot.
pub struct HostPermit {
    _slot: Slot,
}

/// Where the slot is held: this process's semaphore, or the database all workers share.
enum Slot {
    Local(#[allow(dead_code)] OwnedSemaphorePermit),
    Shared(#[allow(dead_code)] super::shared_hosts::SharedSlot),
}

impl HostPermit {
    /// A permit held in the shared database ([`super::shared_hosts`]).
    pub fn shared(slot: super::shared_hosts::SharedSlot) -> HostPermit {
        HostPermit { _slot: Slot::Shared(slot) }
    }
}

struct Host {
    slots: Arc<Semaphore>,
    /// The earliest time the next request may start.
    next_start: Mutex<Instant>,
}

/// Politeness state of every host seen.
pub struct HostLimiter {
    per_host: usize,
    delay: Duration,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

impl HostLimiter {
    /// `per_host` requests in flight per host, starts at least `delay` apart.
    pub fn new(per_host: usize, delay: Duration) -> HostLimiter {
        HostLimiter { per_host: per_host.max(1), delay, hosts: Mutex::new(HashMap::new()) }
    }

    fn host(&self, name: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(hosts.entry(name.to_string()).or_insert_with(|| {
            Arc::new(Host { slots: Arc::new(Semaphore::new(self.per_host)), next_start: Mutex::new(Instant::now()) })
        }))
    }

    /// Waits for a free slot on `host` and for its turn; `crawl_delay` (from
    /// robots.txt) replaces the configured delay when longer.
    pub async fn acquire(&self, host: &str, crawl_delay: Option<Duration>) -> HostPermit {
        let h = self.host(host);
        let slot = Arc::clone(&h.slots).acquire_owned().await.expect("host semaphores are never closed");
        let gap = crawl_delay.map_or(self.delay, |d| d.max(self.delay));
        let start = {
            let mut next = h.next_start.lock().unwrap_or_else(|p| p.into_inner());
            let start = (*next).max(Instant::now());
            *next = start + gap;
            start
        };
        tokio::time::sleep_until(start).await;
        HostPermit { _slot: Slot::Local(slot) }
    }

    /// Holds every request to `host` back for `pause` (a `Retry-After`).
    pub fn pause(&self, host: &str, pause: Duration) {
        let h = self.host(host);
        let mut next = h.next_start.lock().unwrap_or_else(|p| p.into_inner());
        *next = (*next).max(Instant::now() + pause);
    }
}

/// Checks in flight per host.
#[derive(Clone, Default)]
pub struct InFlight(Arc<Mutex<HashMap<String, usize>>>);

/// One check in flight on a host; dropping it ends it.
pub struct InFlightGuard {
    hosts: InFlight,
    host: String,
}

impl InFlight {
    /// A check on `host` starts.
    pub fn enter(&self, host: String) -> InFlightGuard {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()).entry(host.clone()).or_default() += 1;
        InFlightGuard { hosts: self.clone(), host }
    }

    /// Hosts with `limit` or more checks in flight.
    pub fn busy(&self, limit: usize) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_counts_per_host_and_forgets_finished_ones() {
        let hosts = InFlight::default();
        let a1 = hosts.enter("a.example".into());
        let a2 = hosts.enter("a.example".into());
        let _b = hosts.enter("b.example".into());
        assert_eq!(hosts.busy(2), ["a.example"]);
        let mut both = hosts.busy(1);
        both.sort();
        assert_eq!(both, ["a.example", "b.example"]);
        drop(a1);
        assert!(hosts.busy(2).is_empty());
        drop(a2);
        assert_eq!(hosts.busy(1), ["b.example"]);
        assert_eq!(hosts.0.lock().unwrap().len(), 1, "a host with nothing in flight is forgotten");
    }

    #[tokio::test(start_paused = true)]
    async fn starts_are_spaced_per_host_and_hosts_are_independent() {
        let limiter = Arc::new(HostLimiter::new(4, Duration::from_secs(1)));
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..3 {
            let _p = limiter.acquire("a.example", None).await;
            starts.push(t0.elapsed());
        }
        assert_eq!(starts, [Duration::ZERO, Duration::from_secs(1), Duration::from_secs(2)]);
        let _b = limiter.acquire("b.example", None).await;
        assert_eq!(t0.elapsed(), Duration::from_secs(2), "another host does not wait");
    }

    #[tokio::test(start_paused = true)]
    async fn slots_bound_requests_in_flight() {
        let limiter = Arc::new(HostLimiter::new(1, Duration::ZERO));
        let first = limiter.acquire("a.example", None).await;
        let l2 = Arc::clone(&limiter);
        let second = tokio::spawn(async move { l2.acquire("a.example", None).await });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!second.is_finished(), "one request in flight at a time");
        drop(first);
        tokio::time::timeout(Duration::from_secs(1), second).await.unwrap().unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn crawl_delay_and_retry_after_hold_the_host_back() {
        let limiter = HostLimiter::new(2, Duration::from_millis(100));
        let t0 = Instant::now();
        drop(limiter.acquire("a.example", Some(Duration::from_secs(3))).await);
        drop(limiter.acquire("a.example", None).await);
        assert_eq!(t0.elapsed(), Duration::from_secs(3));
        limiter.pause("a.example", Duration::from_secs(60));
        drop(limiter.acquire("a.example", None).await);
        assert_eq!(t0.elapsed(), Duration::from_secs(63));
    }
}
