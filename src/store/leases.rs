//! This worker's own leases, across the three tables that have them (articles,
//! listings, outbox rows) and its host slots (requests in flight): renewed while long work goes on, so that no other
//! worker takes it over mid-way, and freed at a clean shutdown. A worker never
//! frees another's lease: a dead worker's leases expire by themselves.

use super::sql::params;
use super::{Result, Store};

/// What renewing or releasing touched, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeaseCounts {
    /// Articles.
    pub articles: usize,
    /// Listings (sources).
    pub listings: usize,
    /// Outbox rows.
    pub deliveries: usize,
}

impl LeaseCounts {
    /// Every lease counted.
    pub fn total(&self) -> usize {
        self.articles + self.listings + self.deliveries
    }
}

impl Store {
    /// Extends every lease this worker still holds to `until`. An article's or a
    /// listing's due time moves with its lease (a claim set both), so that the work
    /// of a worker that dies is due when its lease expires. A lease another worker has
    /// taken over is no longer this worker's and is not touched.
    pub fn renew_leases(&self, until: i64) -> Result<LeaseCounts> {
        self.conn().transaction(|tx| {
            let mut counts = LeaseCounts::default();
            for (table, count) in [("articles", &mut counts.articles), ("sources", &mut counts.listings)] {
                *count = tx.execute(
                    &format!("UPDATE {table} SET lease_until = ?2, next_check = ?2 WHERE lease_owner = ?1"),
                    params![&self.worker, until],
                )?;
            }
            counts.deliveries = tx.execute(
                "UPDATE deliveries SET lease_until = ?2 WHERE lease_owner = ?1",
                params![&self.worker, until],
            )?;
            // Host slots of requests in flight too: a dead worker's slot frees itself like its leases.
            tx.execute("UPDATE host_slots SET until_ms = ?2 WHERE owner = ?1", params![&self.worker, until * 1000])?;
            Ok(counts)
        })
    }

    /// Whether a worker other than this one holds a live lease on article `id` at `now`:
    /// this worker's own lease lapsed and the article was taken over.
    pub fn leased_by_another(&self, id: i64, now: i64) -> Result<bool> {
        let others: i64 = self.conn().scalar(
            "SELECT COUNT(*) FROM articles WHERE id = ?1 AND lease_owner <> ?2 AND lease_until > ?3",
            params![id, &self.worker, now],
        )?;
        Ok(others > 0)
    }

    /// Frees every lease this worker holds, making its articles and listings due at
    /// `now` (their checks were cut off) and its outbox rows due as they were: for a
    /// clean shutdown. Other workers' leases stay as they are.
    pub fn release_own_leases(&self, now: i64) -> Result<LeaseCounts> {
        self.conn().transaction(|tx| {
            let mut counts = LeaseCounts::default();
            for (table, count) in [("articles", &mut counts.articles), ("sources", &mut counts.listings)] {
                *count = tx.execute(
                    &format!(
                        "UPDATE {table} SET next_check = ?2, leased = 0, lease_owner = NULL, lease_until = NULL
                         WHERE lease_owner = ?1"
                    ),
                    params![&self.worker, now],
                )?;
            }
            counts.deliveries = tx.execute(
                "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?1",
                params![&self.worker],
            )?;
            tx.execute("DELETE FROM host_slots WHERE owner = ?1", params![&self.worker])?;
            Ok(counts)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::LeaseCounts;
    use crate::store::fixtures::{delivery, each_shared_store, record_change, with_first_version};
    use crate::store::sql::params;

    #[test]
    fn a_live_lease_of_another_worker_is_seen_and_an_expired_one_is_not() {
        each_shared_store(|w1, w2| {
            let aid = with_first_version(w1);
            let claimed = w2.claim_due_articles(100_000, 100_500, 10, true).unwrap();
            assert_eq!(claimed.len(), 1);
            assert!(w1.leased_by_another(aid, 100_100).unwrap(), "w2's live lease");
            assert!(!w2.leased_by_another(aid, 100_100).unwrap(), "its own lease is not another's");
            assert!(!w1.leased_by_another(aid, 100_500).unwrap(), "an expired lease holds nothing");
        });
    }

    #[test]
    fn a_worker_renews_and_releases_only_its_own_leases() {
        each_shared_store(|w1, w2| {
            let aid = with_first_version(w1);
            let rows = (0..4).map(|n| delivery(&format!("webhook:h{n}"), &format!("m{n}"), 20)).collect();
            record_change(w1, aid, 20, "two", rows).unwrap();
            let mine = w1.claim_due_deliveries(100, 400, 2).unwrap();
            let theirs = w2.claim_due_deliveries(100, 400, 10).unwrap();
            assert_eq!((mine.len(), theirs.len()), (2, 2), "the rest goes to the second worker");
            let article = w2.claim_due_articles(100_000, 400, 10, true).unwrap();
            assert_eq!(article.len(), 1);

            let renewed = w1.renew_leases(900).unwrap();
            assert_eq!(renewed, LeaseCounts { articles: 0, listings: 0, deliveries: 2 });
            let until = |id: i64| -> Option<i64> {
                w1.query_rows("SELECT lease_until FROM deliveries WHERE id = ?1", params![id]).unwrap()[0]
                    .get(0)
                    .unwrap()
            };
            assert_eq!(until(mine[0].id), Some(900));
            assert_eq!(until(theirs[0].id), Some(400), "the other worker's lease is not renewed");

            let released = w1.release_own_leases(500).unwrap();
            assert_eq!(released.total(), 2);
            assert_eq!(until(mine[0].id), None);
            assert_eq!(until(theirs[0].id), Some(400), "nor released");
            // What w1 let go is claimable again by anyone; w2's rows stay w2's until 400.
            let again = w1.claim_due_deliveries(300, 600, 10).unwrap();
            let again: Vec<i64> = again.iter().map(|d| d.id).collect();
            assert_eq!(again, mine.iter().map(|d| d.id).collect::<Vec<_>>());
            assert_eq!(w2.release_own_leases(500).unwrap(), LeaseCounts { articles: 1, listings: 0, deliveries: 2 });
        });
    }
}
