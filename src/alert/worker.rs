//! The delivery worker: sends the outbox's due rows, channel by channel, and
//! records how each attempt ended: delivered, retried on the backoff plan,
//! failed for good, or its endpoint disabled after a 410 Gone. A digest
//! channel's due rows go out together in one mail.
//!
//! A row is marked delivered only after the receiver accepted it. When that
//! mark cannot be written (the disk is full), the worker remembers the row and
//! marks it on a later pass instead of sending it again; after a crash it is
//! sent again, with the same id and body.
//!
//! Several workers may share one outbox: each claims the rows it sends as leases
//! (owner and expiry; SKIP LOCKED on PostgreSQL), so a row is sent by one worker
//! at a time, and taken over by another only after a dead worker's lease expires.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::broadcast;
use tracing::{debug, info, warn};

use super::{Outgoing, SendError, Sender, retry_delay};
use crate::health::Notice;
use crate::store::{Db, DeliveryRow, StoreError};

/// Outbox rows read per pass.
const PASS_ROWS: usize = 500;
/// A channel starts no new batch after this long in one pass (slow endpoints
/// must not make a pass look stuck); the rest goes in the next pass.
const PASS_BUDGET: Duration = Duration::from_secs(30);

/// Sends what the outbox holds.
pub struct Worker {
    db: Db,
    sender: Arc<Sender>,
    retry_for: Duration,
    notices: broadcast::Sender<Notice>,
    /// Rows delivered whose mark could not be written yet: (row id, when).
    unmarked: Mutex<Vec<(i64, i64)>>,
    /// How long a claim on an outbox row lasts.
    lease: Duration,
}

/// How long a worker's claim on an outbox row lasts unless renewed; longer than any send.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(300);

/// What one attempt at a batch decided for each of its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by the receiver.
    Delivered,
    /// The endpoint is gone: disable it.
    Gone(String),
    /// Retry each row at the time given, or fail it for good (None).
    Failed {
        /// The error of this attempt.
        message: String,
        /// Per row: its id and its next attempt.
        plan: Vec<(i64, Option<i64>)>,
    },
}

/// The retry plan after a failed attempt at `at`: each row's next attempt on
/// the backoff schedule, never sooner than `retry_after`, or None once its
/// retries are used up (after about `retry_for`).
pub fn retry_plan(
    batch: &[DeliveryRow],
    retry_after: Option<Duration>,
    retry_for: Duration,
    at: i64,
) -> Vec<(i64, Option<i64>)> {
    batch
        .iter()
        .map(|d| {
            let next = retry_delay(d.attempts + 1, retry_after, retry_for);
            (d.id, next.map(|delay| at + delay.as_secs().max(1) as i64))
        })
        .collect()
}

impl Worker {
    /// A worker sending through `sender`.
    pub fn new(db: Db, sender: Arc<Sender>, retry_for: Duration, notices: broadcast::Sender<Notice>) -> Worker {
        Worker { db, sender, retry_for, notices, unmarked: Mutex::new(Vec::new()), lease: DEFAULT_LEASE }
    }

    /// The channels and payloads of alerts.
    pub fn sender(&self) -> &Sender {
        &self.sender
    }

    /// Claims outbox rows for `lease` at a time (default [`DEFAULT_LEASE`]): another
    /// worker takes over a row only once its lease has expired.
    pub fn with_lease(mut self, lease: Duration) -> Worker {
        self.lease = lease;
        self
    }

    /// Sends every pending delivery that is due and that no other worker is sending;
    /// returns (delivered, failed this time). A store error ends the pass; what it did
    /// not record is due again (once its lease expires, for the rows it had claimed).
    pub async fn deliver_due(&self) -> Result<(usize, usize), StoreError> {
        self.mark_unmarked().await?;
        let now = Utc::now().timestamp();
        let lease_until = now + self.lease.as_secs().max(1) as i64;
        let skip: HashSet<i64> = self.lock_unmarked().iter().map(|(id, _)| *id).collect();
        // Rows delivered but not yet marked stay claimed by this worker: nobody sends them again.
        // Claims are not reported to health as writes: claiming no due row commits nothing
        // and passes on a full disk, which would tell /healthz and systemd's watchdog that
        // the store is well. A failed claim still fails the pass (logged and counted).
        let due = self.db.read(move |s| s.claim_due_deliveries(now, lease_until, PASS_ROWS)).await?;
        let mut batches: Vec<Vec<DeliveryRow>> = Vec::new();
        let mut digests: BTreeMap<String, Vec<DeliveryRow>> = BTreeMap::new();
        for d in due.into_iter().filter(|d| !skip.contains(&d.id)) {
            match self.sender.digest_window(&d.channel) {
                None => batches.push(vec![d]),
                Some(_) => digests.entry(d.channel.clone()).or_default().push(d),
            }
        }
        // A digest takes every due row of its channel, beyond this pass's first rows.
        for (channel, mut rows) in digests {
            let more = self.db.read(move |s| s.claim_due_deliveries_of(&channel, now, lease_until)).await?;
            rows.extend(more.into_iter().filter(|d| !skip.contains(&d.id)));
            rows.sort_by_key(|d| d.id);
            batches.push(rows);
        }
        // Channels go in parallel, so that one slow endpoint holds back only its own alerts;
        // within a channel, alerts go in the order they were raised.
        let mut by_channel: BTreeMap<String, Vec<Vec<DeliveryRow>>> = BTreeMap::new();
        for mut batch in batches.into_iter().filter(|b| !b.is_empty()) {
            batch.sort_by_key(|d| d.id);
            by_channel.entry(batch[0].channel.clone()).or_default().push(batch);
        }
        for batches in by_channel.values_mut() {
            batches.sort_by_key(|b| b[0].id);
        }
        let started = tokio::time::Instant::now();
        let channels = by_channel.into_values().map(|batches| async move {
            let (mut delivered, mut failed) = (0, 0);
            let mut left = Vec::new();
            for batch in batches {
                if started.elapsed() > PASS_BUDGET {
                    left.extend(batch.iter().map(|d| d.id));
                    continue;
                }
                if self.deliver_batch(&batch).await? {
                    delivered += batch.len();
                } else {
                    failed += batch.len();
                }
            }
            // Rows this pass had no time for are free for any worker again.
            if !left.is_empty() {
                self.db.write(move |s| s.release_deliveries(&left)).await?;
            }
            Ok::<_, StoreError>((delivered, failed))
        });
        let mut totals = (0, 0);
        let mut first_error = None;
        for result in futures_util::future::join_all(channels).await {
            match result {
                Ok((d, f)) => totals = (totals.0 + d, totals.1 + f),
                Err(e) => first_error = first_error.or(Some(e)),
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(totals),
        }
    }

    /// One attempt at a batch of rows of one channel; true when delivered.
    async fn deliver_batch(&self, batch: &[DeliveryRow]) -> Result<bool, StoreError> {
        let channel = batch[0].channel.clone();
        let lookup = channel.clone();
        let result = match self.db.read(move |s| s.channel_disabled(&lookup)).await? {
            Some(reason) => Err(SendError::Permanent(format!("endpoint disabled: {reason}"))),
            None => {
                let outgoing: Vec<Outgoing<'_>> =
                    batch.iter().map(|d| Outgoing { event_id: &d.event_id, payload: &d.payload }).collect();
                self.sender.send(&channel, &outgoing).await
            }
        };
        let at = Utc::now().timestamp();
        let outcome = match result {
            Ok(()) => Outcome::Delivered,
            Err(SendError::Gone(reason)) => Outcome::Gone(reason),
            Err(e) => {
                // Only a temporary failure is retried; a permanent one fails every row for good.
                let plan = match &e {
                    SendError::Retry { retry_after, .. } => retry_plan(batch, *retry_after, self.retry_for, at),
                    _ => batch.iter().map(|d| (d.id, None)).collect(),
                };
                Outcome::Failed { message: e.to_string(), plan }
            }
        };
        self.record(batch, &channel, outcome, at).await
    }

    async fn record(
        &self,
        batch: &[DeliveryRow],
        channel: &str,
        outcome: Outcome,
        at: i64,
    ) -> Result<bool, StoreError> {
        let ids: Vec<i64> = batch.iter().map(|d| d.id).collect();
        match outcome {
            Outcome::Delivered => {
                for d in batch {
                    debug!(channel = %d.channel, event_id = %d.event_id, "Alert delivered.");
                    let _ = self
                        .notices
                        .send(Notice::Delivered { channel: d.channel.clone(), event_id: d.event_id.clone() });
                }
                self.lock_unmarked().extend(ids.iter().map(|id| (*id, at)));
                self.mark_unmarked().await?;
                Ok(true)
            }
            Outcome::Gone(reason) => {
                warn!(%channel, %reason, "Endpoint answered 410 Gone: disabled; `redline alerts retry --all` enables it again.");
                let channel = channel.to_string();
                self.db
                    .write(move |s| {
                        ids.iter()
                            .try_for_each(|id| s.delivery_failed(*id, None, &format!("{reason}: endpoint disabled")))?;
                        s.disable_channel(&channel, at, &reason)
                    })
                    .await?;
                Ok(false)
            }
            Outcome::Failed { message, plan } => {
                for (d, (_, next)) in batch.iter().zip(&plan) {
                    if next.is_none() {
                        warn!(channel = %d.channel, event_id = %d.event_id, error = %message, "Alert failed for good.");
                    } else {
                        info!(channel = %d.channel, event_id = %d.event_id, error = %message, "Alert will be retried.");
                    }
                }
                self.db
                    .write(move |s| plan.iter().try_for_each(|(id, next)| s.delivery_failed(*id, *next, &message)))
                    .await?;
                Ok(false)
            }
        }
    }

    /// Marks delivered the rows sent earlier whose mark could not be written.
    async fn mark_unmarked(&self) -> Result<(), StoreError> {
        let pending: Vec<(i64, i64)> = self.lock_unmarked().clone();
        if pending.is_empty() {
            return Ok(());
        }
        let marked = pending.clone();
        self.db.write(move |s| marked.iter().try_for_each(|(id, at)| s.delivery_succeeded(*id, *at))).await?;
        self.lock_unmarked().retain(|row| !pending.contains(row));
        Ok(())
    }

    fn lock_unmarked(&self) -> std::sync::MutexGuard<'_, Vec<(i64, i64)>> {
        self.unmarked.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, attempts: u32) -> DeliveryRow {
        DeliveryRow {
            id,
            change_id: Some(1),
            channel: "webhook:h#0".into(),
            event_id: format!("msg_{id}"),
            payload: "{}".into(),
            status: "pending".into(),
            attempts,
            next_attempt: 0,
            last_error: None,
        }
    }

    #[test]
    fn the_retry_plan_backs_off_per_row_and_gives_up_at_the_end() {
        let days = Duration::from_secs(3 * 24 * 3600);
        let at = 1_000_000;
        let plan = retry_plan(&[row(1, 0), row(2, 3), row(3, 9)], None, days, at);
        let (first, fourth) = (plan[0].1.unwrap() - at, plan[1].1.unwrap() - at);
        assert!((4..=6).contains(&first), "first retry after about 5 s: {first}");
        assert!((6480..=7920).contains(&fourth), "fourth retry after about 2 h: {fourth}");
        assert_eq!(plan[2], (3, None), "the tenth attempt is the last");
        let slow = retry_plan(&[row(1, 0)], Some(Duration::from_secs(600)), days, at);
        assert_eq!(slow[0].1, Some(at + 600), "Retry-After wins when longer");
        let short = retry_plan(&[row(1, 6)], None, Duration::from_secs(24 * 3600), at);
        assert_eq!(short[0].1, None, "retry_for of a day ends the plan sooner");
    }
}
