//! The `deliveries` table, the alert outbox (rows written with their change
//! by `record_version`): due rows, attempts, retries on request, and endpoints
//! disabled after a 410 Gone (`disabled_channels`).

use super::sql::{Conn, Row, Value, params};
use super::{Result, Store, lease_free};

/// What an outbox row tells: a change (webhooks, email, bots), …
pub const ARTICLE_CHANGED: &str = "article.changed";
/// … a version to submit to Save Page Now (`[archive]`), …
pub const VERSION_ARCHIVE: &str = "version.archive";
/// … or, to a webhook that was told of a change, the snapshot of its version.
pub const ARTICLE_ARCHIVED: &str = "article.archived";

/// An outbox row to write with a version (and its change, when there is one).
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// Channel name (`webhook:URL`, `email:…`).
    pub channel: String,
    /// What it tells ([`ARTICLE_CHANGED`], [`VERSION_ARCHIVE`], [`ARTICLE_ARCHIVED`]): one row
    /// per version, channel and event.
    pub event: &'static str,
    /// Stable event id.
    pub event_id: String,
    /// The exact body to send.
    pub payload: String,
    /// When it is first due (later than now for a digest).
    pub next_attempt: i64,
}

/// A stored outbox row.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    /// Row id.
    pub id: i64,
    /// Its change; none for a first version's archive submission.
    pub change_id: Option<i64>,
    /// Channel name.
    pub channel: String,
    /// Stable event id.
    pub event_id: String,
    /// The exact body to send.
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt: i64,
    /// The last failure.
    pub last_error: Option<String>,
}

pub(crate) const DELIVERY_SELECT: &str =
    "SELECT id, change_id, channel, event_id, payload, status, attempts, next_attempt, last_error FROM deliveries";

pub(crate) fn delivery_row(r: &Row) -> Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.get(0)?,
        change_id: r.get(1)?,
        channel: r.get(2)?,
        event_id: r.get(3)?,
        payload: r.get(4)?,
        status: r.get(5)?,
        attempts: r.get(6)?,
        next_attempt: r.get(7)?,
        last_error: r.get(8)?,
    })
}

/// Writes an outbox row of version `version_id` (and of its change, if any), in the
/// transaction that records them.
pub(super) fn insert(
    tx: &mut Conn,
    version_id: i64,
    change_id: Option<i64>,
    d: &NewDelivery,
    created_at: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO deliveries (version_id, change_id, event, channel, event_id, payload, next_attempt, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![version_id, change_id, d.event, &d.channel, &d.event_id, &d.payload, d.next_attempt, created_at],
    )?;
    Ok(())
}

impl Store {
    /// Pending deliveries due at `now`.
    pub fn due_deliveries(&self, now: i64, limit: usize) -> Result<Vec<DeliveryRow>> {
        let sql = format!(
            "{DELIVERY_SELECT} WHERE status = 'pending' AND next_attempt <= ?1 ORDER BY next_attempt, id LIMIT ?2"
        );
        self.conn().query(&sql, params![now, limit])?.iter().map(delivery_row).collect()
    }

    /// Claims up to `limit` pending deliveries due at `now` that no other worker
    /// holds a live lease on, leasing them to this worker until `lease_until`: while
    /// it sends them, no other worker sends them too. Locked with SKIP LOCKED on
    /// PostgreSQL, so two workers claiming at once get different rows.
    pub fn claim_due_deliveries(&self, now: i64, lease_until: i64, limit: usize) -> Result<Vec<DeliveryRow>> {
        let mut conn = self.conn();
        let sql = format!(
            "{DELIVERY_SELECT} WHERE status = 'pending' AND next_attempt <= ?1 AND {}
             ORDER BY next_attempt, id LIMIT ?2{}",
            lease_free("deliveries", 1),
            conn.skip_locked("deliveries")
        );
        conn.transaction(|tx| claim_deliveries(tx, &sql, params![now, limit], lease_until, &self.worker))
    }

    /// Claims every due and unleased pending delivery of one channel, for a digest
    /// (the rows another worker holds go in its digest, not in this one).
    pub fn claim_due_deliveries_of(&self, channel: &str, now: i64, lease_until: i64) -> Result<Vec<DeliveryRow>> {
        let mut conn = self.conn();
        let sql = format!(
            "{DELIVERY_SELECT} WHERE channel = ?1 AND status = 'pending' AND next_attempt <= ?2 AND {}
             ORDER BY id{}",
            lease_free("deliveries", 2),
            conn.skip_locked("deliveries")
        );
        conn.transaction(|tx| claim_deliveries(tx, &sql, params![channel, now], lease_until, &self.worker))
    }

    /// Frees this worker's leases on these deliveries (their attempt was not made);
    /// they are due again as they were. Returns how many were freed.
    pub fn release_deliveries(&self, ids: &[i64]) -> Result<usize> {
        let mut conn = self.conn();
        let sql = format!(
            "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?2 AND id IN {}",
            conn.json_ints(1)
        );
        conn.execute(&sql, params![serde_json::to_string(ids)?, &self.worker])
    }

    /// How many pending outbox rows this worker holds a live lease on at `now`: the
    /// alerts it is delivering (for its heartbeat).
    pub fn deliveries_in_flight(&self, now: i64) -> Result<usize> {
        let count: i64 = self.conn().scalar(
            "SELECT COUNT(*) FROM deliveries WHERE lease_owner = ?1 AND lease_until > ?2 AND status = 'pending'",
            params![&self.worker, now],
        )?;
        Ok(count.max(0) as usize)
    }

    /// When the oldest pending delivery that is due at `now` was due, leaving out
    /// disabled channels: how long the outbox has been waiting, to tell when it is stuck.
    pub fn oldest_overdue_delivery(&self, now: i64) -> Result<Option<i64>> {
        self.conn().scalar(
            "SELECT MIN(next_attempt) FROM deliveries
             WHERE status = 'pending' AND next_attempt <= ?1
               AND channel NOT IN (SELECT channel FROM disabled_channels)",
            params![now],
        )
    }

    /// Deliveries by status (`pending`, `failed`, `delivered`).
    pub fn deliveries(&self, status: &str) -> Result<Vec<DeliveryRow>> {
        let sql = format!("{DELIVERY_SELECT} WHERE status = ?1 ORDER BY id");
        self.conn().query(&sql, params![status])?.iter().map(delivery_row).collect()
    }

    /// Marks a delivery done.
    pub fn delivery_succeeded(&self, id: i64, at: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?2, last_error = NULL,
                    lease_owner = NULL, lease_until = NULL
             WHERE id = ?1",
            params![id, at],
        )?;
        Ok(())
    }

    /// Records a failed attempt: retried at `next_attempt`, or failed for good when None.
    /// A row whose lease another worker has taken over (this attempt outlived the lease)
    /// is left to that worker.
    pub fn delivery_failed(&self, id: i64, next_attempt: Option<i64>, error: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = ?3,
                    status = CASE WHEN CAST(?2 AS BIGINT) IS NULL THEN 'failed' ELSE 'pending' END,
                    next_attempt = COALESCE(?2, next_attempt), lease_owner = NULL, lease_until = NULL
             WHERE id = ?1 AND (lease_owner IS NULL OR lease_owner = ?4)",
            params![id, next_attempt, error, &self.worker],
        )?;
        Ok(())
    }

    /// Sends failed (and pending) deliveries again from now with a fresh retry
    /// schedule: the ones named, or all of them, in one transaction. Returns how many were queued.
    pub fn retry_deliveries(&self, ids: Option<&[i64]>, now: i64) -> Result<usize> {
        self.conn().transaction(|tx| match ids {
            None => tx.execute(
                "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt = ?1
                 WHERE status IN ('pending', 'failed')",
                params![now],
            ),
            Some(ids) => {
                let mut queued = 0;
                for &id in ids {
                    queued += tx.execute(
                        "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt = ?2
                         WHERE id = ?1 AND status IN ('pending', 'failed')",
                        params![id, now],
                    )?;
                }
                Ok(queued)
            }
        })
    }

    /// Pending deliveries of one channel that are due, for a digest.
    pub fn due_deliveries_of(&self, channel: &str, now: i64) -> Result<Vec<DeliveryRow>> {
        let sql =
            format!("{DELIVERY_SELECT} WHERE channel = ?1 AND status = 'pending' AND next_attempt <= ?2 ORDER BY id");
        self.conn().query(&sql, params![channel, now])?.iter().map(delivery_row).collect()
    }

    /// Disables a channel (its endpoint answered 410 Gone) and fails its pending
    /// deliveries, in one transaction.
    pub fn disable_channel(&self, channel: &str, at: i64, reason: &str) -> Result<()> {
        self.conn().transaction(|tx| {
            tx.execute(
                "INSERT INTO disabled_channels (channel, disabled_at, reason) VALUES (?1, ?2, ?3)
                 ON CONFLICT (channel) DO UPDATE SET disabled_at = ?2, reason = ?3",
                params![channel, at, reason],
            )?;
            tx.execute(
                "UPDATE deliveries SET status = 'failed', last_error = ?2 WHERE channel = ?1 AND status = 'pending'",
                params![channel, format!("endpoint disabled: {reason}")],
            )?;
            Ok(())
        })
    }

    /// Why a channel is disabled, if it is.
    pub fn channel_disabled(&self, channel: &str) -> Result<Option<String>> {
        self.conn()
            .query_opt("SELECT reason FROM disabled_channels WHERE channel = ?1", params![channel])?
            .map(|r| r.get(0))
            .transpose()
    }

    /// Enables a disabled channel again (for `redline alerts retry` after the endpoint is fixed).
    pub fn enable_channels(&self) -> Result<usize> {
        self.conn().execute("DELETE FROM disabled_channels", &[])
    }
}

/// Inside a transaction: reads the deliveries `sql` selects and leases them to `worker`
/// until `lease_until` (their due time stays: a lease that expires makes them claimable again).
fn claim_deliveries(
    tx: &mut Conn,
    sql: &str,
    params: &[Value],
    lease_until: i64,
    worker: &str,
) -> Result<Vec<DeliveryRow>> {
    let rows: Vec<DeliveryRow> = tx.query(sql, params)?.iter().map(delivery_row).collect::<Result<_>>()?;
    let ids: Vec<i64> = rows.iter().map(|d| d.id).collect();
    if !ids.is_empty() {
        let set = format!("UPDATE deliveries SET lease_owner = ?2, lease_until = ?3 WHERE id IN {}", tx.json_ints(1));
        tx.execute(&set, params![serde_json::to_string(&ids)?, worker, lease_until])?;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use crate::store::fixtures::each_store;
    use crate::store::fixtures::{delivery, each_shared_store, record_change, with_first_version};

    #[test]
    fn the_alerts_in_flight_are_the_live_pending_rows_this_worker_holds() {
        each_shared_store(|w1, w2| {
            let aid = with_first_version(w1);
            let rows = (0..5).map(|n| delivery(&format!("webhook:h{n}"), &format!("m{n}"), 20)).collect();
            record_change(w1, aid, 20, "two", rows).unwrap();
            assert_eq!(w1.deliveries_in_flight(100).unwrap(), 0, "nothing claimed yet");
            let mine = w1.claim_due_deliveries(100, 400, 3).unwrap();
            w2.claim_due_deliveries(100, 400, 1).unwrap();
            assert_eq!((w1.deliveries_in_flight(100).unwrap(), w2.deliveries_in_flight(100).unwrap()), (3, 1));
            w1.delivery_succeeded(mine[0].id, 110).unwrap();
            assert_eq!(w1.deliveries_in_flight(110).unwrap(), 2, "a delivered row is no longer in flight");
            assert_eq!(w1.deliveries_in_flight(400).unwrap(), 0, "an expired lease is nobody's work");
        });
    }

    #[test]
    fn the_oldest_overdue_delivery_leaves_out_future_done_and_disabled_ones() {
        each_store(|store| {
            let aid = with_first_version(store);
            assert_eq!(store.oldest_overdue_delivery(1_000).unwrap(), None, "empty outbox");
            let rows = vec![
                delivery("webhook:gone", "m1", 20),
                delivery("webhook:ok", "m2", 30),
                delivery("email:digest", "m3", 5_000),
            ];
            record_change(store, aid, 20, "two", rows).unwrap();
            assert_eq!(store.oldest_overdue_delivery(10).unwrap(), None, "nothing due yet");
            assert_eq!(store.oldest_overdue_delivery(1_000).unwrap(), Some(20));
            store.disable_channel("webhook:gone", 40, "410 Gone").unwrap();
            assert_eq!(store.oldest_overdue_delivery(1_000).unwrap(), Some(30));
            let ok = store.due_deliveries_of("webhook:ok", 1_000).unwrap();
            store.delivery_succeeded(ok[0].id, 50).unwrap();
            assert_eq!(store.oldest_overdue_delivery(1_000).unwrap(), None, "the digest is not due");
            assert_eq!(store.oldest_overdue_delivery(6_000).unwrap(), Some(5_000));
            // Pending rows written for a channel after it was disabled do not count either.
            record_change(store, aid, 60, "three", vec![delivery("webhook:gone", "m4", 60)]).unwrap();
            assert_eq!(store.oldest_overdue_delivery(1_000).unwrap(), None);
        });
    }
}
