//! Per-host politeness across every worker on one PostgreSQL database: the same
//! rules as [`super::hosts::HostLimiter`] (requests in flight per host, a least
//! delay between starts, `Retry-After` pauses), kept in the database's host rows
//! ([`crate::store::Turn`]) instead of this process's memory. A slot whose worker
//! dies expires after `hold`. robots.txt answers are shared too ([`DbRobots`]).

use std::time::Duration;

use chrono::Utc;
use tracing::warn;

use crate::store::{Db, StoreError, Turn};

/// How often a worker asks again while a host has every slot taken.
const POLL: Duration = Duration::from_millis(50);

/// The host rules, applied through the database.
#[derive(Clone)]
pub struct SharedHosts {
    db: Db,
    per_host: usize,
    delay: Duration,
    hold: Duration,
}

/// A slot held in the database; dropping it frees the slot (in the background).
pub struct SharedSlot {
    db: Db,
    slot: i64,
    host: String,
    /// The host's next start: this request's actual start plus the gap.
    next_ms: i64,
}

impl SharedHosts {
    /// `per_host` requests in flight per host across all workers, starts at least
    /// `delay` apart; a slot not freed within `hold` (its worker died) expires.
    pub fn new(db: Db, per_host: usize, delay: Duration, hold: Duration) -> SharedHosts {
        SharedHosts { db, per_host: per_host.max(1), delay, hold }
    }

    /// Waits for a free slot on `host` and for its turn; `crawl_delay` (robots.txt)
    /// replaces the configured delay when longer.
    pub async fn acquire(&self, host: &str, crawl_delay: Option<Duration>) -> Result<SharedSlot, StoreError> {
        let gap = crawl_delay.map_or(self.delay, |d| d.max(self.delay));
        let (gap_ms, hold_ms) = (millis(gap), millis(self.hold));
        loop {
            let (host_key, per_host, now_ms) = (host.to_string(), self.per_host, Utc::now().timestamp_millis());
            let turn = self.db.write(move |s| s.take_host_turn(&host_key, now_ms, per_host, gap_ms, hold_ms)).await?;
            match turn {
                Turn::Granted { slot, start_ms } => {
                    let wait = start_ms - Utc::now().timestamp_millis();
                    if wait > 0 {
                        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
                    }
                    // Woken late (a busy runtime, a slow commit): the gap counts from the actual start.
                    let next_ms = Utc::now().timestamp_millis() + gap_ms;
                    return Ok(SharedSlot { db: self.db.clone(), slot, host: host.to_string(), next_ms });
                }
                Turn::Full => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// Holds every worker's requests to `host` back for `pause` (a `Retry-After`).
    pub async fn pause(&self, host: &str, pause: Duration) {
        let (host, until) = (host.to_string(), Utc::now().timestamp_millis() + millis(pause));
        if let Err(e) = self.db.write(move |s| s.pause_host(&host, until)).await {
            warn!(error = %e, "Cannot share a host's Retry-After pause with the other workers.");
        }
    }
}

impl Drop for SharedSlot {
    fn drop(&mut self) {
        let (db, slot, host, next_ms) = (self.db.clone(), self.slot, std::mem::take(&mut self.host), self.next_ms);
        // Outside a runtime (at exit) the slot expires by itself.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = db.write(move |s| s.end_host_turn(slot, &host, next_ms)).await {
                    warn!(error = %e, "Cannot free a host slot; it expires by itself.");
                }
            });
        }
    }
}

/// The robots.txt answers of every worker, in the database (`host_robots`).
pub struct DbRobots(pub Db);

impl crate::fetch::robots::RobotsShare for DbRobots {
    fn load<'a>(
        &'a self,
        origin: &'a str,
        max_age: Duration,
    ) -> crate::fetch::robots::ShareFuture<'a, Option<(u16, Vec<u8>, Duration)>> {
        Box::pin(async move {
            let now = Utc::now().timestamp();
            let (key, since) = (origin.to_string(), now - max_age.as_secs() as i64);
            match self.0.read(move |s| s.host_robots(&key, since)).await {
                Ok(found) => {
                    found.map(|(status, body, at)| (status, body, Duration::from_secs((now - at).max(0) as u64)))
                }
                Err(e) => {
                    warn!(error = %e, "Cannot read the robots.txt other workers stored; fetching it.");
                    None
                }
            }
        })
    }

    fn save<'a>(&'a self, origin: &'a str, status: u16, body: &'a [u8]) -> crate::fetch::robots::ShareFuture<'a, ()> {
        Box::pin(async move {
            let (key, body, now) = (origin.to_string(), body.to_vec(), Utc::now().timestamp());
            if let Err(e) = self.0.write(move |s| s.save_host_robots(&key, status, &body, now)).await {
                warn!(error = %e, "Cannot share a robots.txt with the other workers.");
            }
        })
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::health::Health;
    use crate::store::Store;

    fn hosts(store: Store, per_host: usize, delay_ms: u64) -> SharedHosts {
        let db = Db::new(Arc::new(store), Arc::new(Health::default()));
        SharedHosts::new(db, per_host, Duration::from_millis(delay_ms), Duration::from_secs(60))
    }

    #[tokio::test]
    async fn a_robots_answer_one_worker_read_is_the_others_with_its_age() {
        use crate::fetch::robots::RobotsShare;
        let db = crate::store::pg::TestDatabase::create(&crate::store::pg::test_server_url()).unwrap();
        let open =
            |w: &str| DbRobots(Db::new(Arc::new(Store::open_url(&db.url).unwrap().with_worker(w)), Arc::default()));
        let (one, two) = (open("w1"), open("w2"));
        assert_eq!(two.load("http://a.example", Duration::from_secs(60)).await, None);
        one.save("http://a.example", 200, b"User-agent: *\nDisallow: /private\n").await;
        let (status, body, age) = two.load("http://a.example", Duration::from_secs(60)).await.unwrap();
        assert_eq!((status, body.as_slice()), (200, &b"User-agent: *\nDisallow: /private\n"[..]));
        assert!(age <= Duration::from_secs(2), "{age:?}");
        assert_eq!(two.load("http://b.example", Duration::from_secs(60)).await, None);
    }

    #[tokio::test]
    async fn two_workers_keep_one_request_in_flight_and_the_delay_between_them() {
        let server = crate::store::pg::test_server_url();
        let db = crate::store::pg::TestDatabase::create(&server).unwrap();
        let one = hosts(Store::open_url(&db.url).unwrap().with_worker("w1"), 1, 100);
        let two = hosts(Store::open_url(&db.url).unwrap().with_worker("w2"), 1, 100);
        let spans = Arc::new(std::sync::Mutex::new(Vec::new()));
        let run = |limits: SharedHosts| {
            let spans = Arc::clone(&spans);
            async move {
                for _ in 0..4 {
                    let slot = limits.acquire("a.example", None).await.unwrap();
                    let start = std::time::Instant::now();
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    spans.lock().unwrap().push((start, std::time::Instant::now()));
                    drop(slot);
                    // The slot is freed in the background: let it go before asking again.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        };
        tokio::join!(run(one), run(two));
        let mut spans = spans.lock().unwrap().clone();
        spans.sort();
        assert_eq!(spans.len(), 8);
        for w in spans.windows(2) {
            assert!(w[1].0 >= w[0].1, "one request in flight at a time");
            assert!(w[1].0 - w[0].0 >= Duration::from_millis(99), "starts 100 ms apart: {:?}", w[1].0 - w[0].0);
        }
    }
}
