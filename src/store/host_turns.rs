//! Per-host politeness shared by every worker on one database: the `host_turns`
//! row of a host holds the earliest time its next request may start (the delay
//! between starts, a `Retry-After` pause), and `host_slots` holds its requests in
//! flight, each with an expiry so that a worker that dies mid-request frees its
//! slot by itself. Taking a turn reads and writes both under the host row's lock
//! (FOR UPDATE on PostgreSQL, SQLite's write lock), so two workers never both see
//! a free slot. Times are milliseconds since the epoch, from the workers' clocks.
//!
//! On PostgreSQL a turn is taken, and ended, by one call of a server-side function
//! (migration 10): one round trip each, the host row locked only while the server
//! runs it. These commit without waiting for the WAL flush (`synchronous_commit =
//! off`): other workers see them at once all the same, and a server crash can only
//! lose the last few turns, which are about requests that the crash ended anyway.
//! That spares every request two disk flushes.

use super::sql::{Engine, params};
use super::{Result, Store};

/// The answer to asking for a host's turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// A slot is held: free it with [`Store::end_host_turn`] once the request ends;
    /// the request may start at `start_ms` (now, or later to keep the delay).
    Granted {
        /// The slot's id.
        slot: i64,
        /// When the request may start.
        start_ms: i64,
    },
    /// The host has its `per_host` requests in flight: ask again shortly.
    Full,
}

impl Store {
    /// Asks for a turn at `host` at `now_ms`: granted when fewer than `per_host`
    /// unexpired slots are held, starting no sooner than the host's next start,
    /// which moves `gap_ms` past this start. The slot expires at its start plus
    /// `hold_ms` unless freed before.
    pub fn take_host_turn(&self, host: &str, now_ms: i64, per_host: usize, gap_ms: i64, hold_ms: i64) -> Result<Turn> {
        let per_host = per_host.max(1) as i64;
        let mut conn = self.conn();
        if conn.engine() == Engine::Postgres {
            // One statement: the server-side function (PostgreSQL migration 10) does what
            // the SQLite transaction below does, under the host row's lock.
            let row = conn.query_opt(
                "SELECT slot, start_ms FROM redline_take_host_turn(?1, ?2, ?3, ?4, ?5, ?6)",
                params![host, &self.worker, now_ms, per_host, gap_ms, hold_ms],
            )?;
            return Ok(match row {
                Some(r) => Turn::Granted { slot: r.get(0)?, start_ms: r.get(1)? },
                None => Turn::Full,
            });
        }
        conn.transaction(|tx| {
            tx.execute("INSERT INTO host_turns (host) VALUES (?1) ON CONFLICT (host) DO NOTHING", params![host])?;
            let next: i64 = tx.scalar("SELECT next_start_ms FROM host_turns WHERE host = ?1", params![host])?;
            tx.execute("DELETE FROM host_slots WHERE host = ?1 AND until_ms <= ?2", params![host, now_ms])?;
            let held: i64 = tx.scalar("SELECT COUNT(*) FROM host_slots WHERE host = ?1", params![host])?;
            if held >= per_host {
                return Ok(Turn::Full);
            }
            let start_ms = next.max(now_ms);
            let slot = tx.scalar(
                "INSERT INTO host_slots (host, owner, until_ms) VALUES (?1, ?2, ?3) RETURNING id",
                params![host, &self.worker, start_ms + hold_ms],
            )?;
            tx.execute(
                "UPDATE host_turns SET next_start_ms = ?2 WHERE host = ?1",
                params![host, start_ms + gap_ms.max(0)],
            )?;
            Ok(Turn::Granted { slot, start_ms })
        })
    }

    /// Frees a slot taken with [`Store::take_host_turn`] (its request ended) and moves
    /// the host's next start to at least `next_ms` (the request's actual start plus the
    /// gap: a start later than granted must not shorten the gap to the next one). One
    /// transaction: with one slot per host, the next turn sees both or neither.
    pub fn end_host_turn(&self, slot: i64, host: &str, next_ms: i64) -> Result<()> {
        let mut conn = self.conn();
        if conn.engine() == Engine::Postgres {
            conn.execute("SELECT redline_end_host_turn(?1, ?2, ?3)", params![slot, host, next_ms])?;
            return Ok(());
        }
        conn.transaction(|tx| {
            tx.execute("DELETE FROM host_slots WHERE id = ?1", params![slot])?;
            tx.execute(
                "UPDATE host_turns SET next_start_ms = ?2 WHERE host = ?1 AND next_start_ms < ?2",
                params![host, next_ms],
            )?;
            Ok(())
        })
    }

    /// Holds every worker's requests to `host` back until `until_ms` (a `Retry-After`).
    pub fn pause_host(&self, host: &str, until_ms: i64) -> Result<()> {
        self.conn().execute(
            "INSERT INTO host_turns (host, next_start_ms) VALUES (?1, ?2)
             ON CONFLICT (host) DO UPDATE SET next_start_ms =
                CASE WHEN host_turns.next_start_ms > ?2 THEN host_turns.next_start_ms ELSE ?2 END",
            params![host, until_ms],
        )?;
        Ok(())
    }

    /// The robots.txt answer a worker stored for `origin` at `fetched_at` or later:
    /// (status, body, when it was read).
    pub fn host_robots(&self, origin: &str, fetched_at: i64) -> Result<Option<(u16, Vec<u8>, i64)>> {
        let row = self.conn().query_opt(
            "SELECT status, body, fetched_at FROM host_robots WHERE origin = ?1 AND fetched_at >= ?2",
            params![origin, fetched_at],
        )?;
        row.map(|r| Ok((r.get::<i64>(0)?.clamp(0, 999) as u16, r.get(1)?, r.get(2)?))).transpose()
    }

    /// Stores the robots.txt answer read for `origin` at `now`.
    pub fn save_host_robots(&self, origin: &str, status: u16, body: &[u8], now: i64) -> Result<()> {
        self.conn().execute(
            "INSERT INTO host_robots (origin, status, body, fetched_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (origin) DO UPDATE SET status = ?2, body = ?3, fetched_at = ?4",
            params![origin, i64::from(status), body.to_vec(), now],
        )?;
        Ok(())
    }

    /// When the next request to `host` may start, if a worker has asked for its turn.
    pub fn host_next_start(&self, host: &str) -> Result<Option<i64>> {
        self.conn()
            .query_opt("SELECT next_start_ms FROM host_turns WHERE host = ?1", params![host])?
            .map(|r| r.get(0))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::Turn;
    use crate::store::fixtures::{each_shared_store, each_store};

    fn slot(turn: Turn) -> (i64, i64) {
        match turn {
            Turn::Granted { slot, start_ms } => (slot, start_ms),
            Turn::Full => panic!("expected a turn"),
        }
    }

    #[test]
    fn turns_keep_the_delay_and_the_slot_count_and_expire() {
        each_store(|store| {
            let (first, start) = slot(store.take_host_turn("a.example", 1_000, 2, 500, 10_000).unwrap());
            assert_eq!(start, 1_000);
            let (_, start) = slot(store.take_host_turn("a.example", 1_010, 2, 500, 10_000).unwrap());
            assert_eq!(start, 1_500, "the second start waits for the delay");
            assert_eq!(store.take_host_turn("a.example", 1_020, 2, 500, 10_000).unwrap(), Turn::Full);
            let (_, other) = slot(store.take_host_turn("b.example", 1_020, 2, 500, 10_000).unwrap());
            assert_eq!(other, 1_020, "hosts are independent");
            // Its request started late (at 1_200): the next start moves to 1_700, not earlier.
            store.end_host_turn(first, "a.example", 1_700).unwrap();
            assert_eq!(store.host_next_start("a.example").unwrap(), Some(2_000), "already later");
            let (_, start) = slot(store.take_host_turn("a.example", 1_030, 2, 500, 10_000).unwrap());
            assert_eq!(start, 2_000);
            assert_eq!(store.take_host_turn("a.example", 1_040, 2, 500, 10_000).unwrap(), Turn::Full);
            // A dead worker's slots expire at their start plus the hold.
            assert_eq!(store.take_host_turn("a.example", 11_499, 2, 500, 10_000).unwrap(), Turn::Full);
            let (_, start) = slot(store.take_host_turn("a.example", 11_500, 2, 500, 10_000).unwrap());
            assert_eq!(start, 11_500);
            // A Retry-After pause moves the next start later, never earlier.
            store.pause_host("a.example", 60_000).unwrap();
            store.pause_host("a.example", 20_000).unwrap();
            assert_eq!(store.host_next_start("a.example").unwrap(), Some(60_000));
            store.pause_host("c.example", 5_000).unwrap();
            assert_eq!(store.host_next_start("c.example").unwrap(), Some(5_000));
            assert_eq!(store.host_next_start("d.example").unwrap(), None);
        });
    }

    #[test]
    fn robots_answers_are_shared_while_fresh() {
        each_store(|store| {
            assert_eq!(store.host_robots("http://a.example", 0).unwrap(), None);
            store.save_host_robots("http://a.example", 200, b"User-agent: *\nDisallow: /x\n", 100).unwrap();
            store.save_host_robots("http://a.example", 404, b"", 200).unwrap();
            assert_eq!(store.host_robots("http://a.example", 150).unwrap(), Some((404, Vec::new(), 200)));
            assert_eq!(store.host_robots("http://a.example", 201).unwrap(), None, "too old");
        });
    }

    #[test]
    fn two_workers_asking_at_once_never_exceed_one_slot() {
        each_shared_store(|w1, w2| {
            let start = std::sync::Barrier::new(2);
            let ask = |store: &crate::store::Store| {
                start.wait();
                let mut granted = Vec::new();
                for n in 0..40 {
                    if let Turn::Granted { slot, start_ms } = store.take_host_turn("h", n, 1, 100, 1_000_000).unwrap() {
                        granted.push(start_ms);
                        store.end_host_turn(slot, "h", start_ms + 100).unwrap();
                    }
                }
                granted
            };
            let (one, two) = std::thread::scope(|s| {
                let one = s.spawn(|| ask(w1));
                let two = s.spawn(|| ask(w2));
                (one.join().unwrap(), two.join().unwrap())
            });
            let mut starts: Vec<i64> = one.into_iter().chain(two).collect();
            starts.sort();
            assert!(!starts.is_empty());
            assert!(starts.windows(2).all(|w| w[1] - w[0] >= 100), "starts 100 ms apart across workers: {starts:?}");
        });
    }
}
