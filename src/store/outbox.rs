//! The alert outbox beyond one row at a time: retries on request, and
//! endpoints disabled after a 410 Gone.

use rusqlite::{OptionalExtension, params};

use super::{DELIVERY_SELECT, DeliveryRow, Result, Store, delivery_row};

impl Store {
    /// Sends failed (and pending) deliveries again from now with a fresh retry
    /// schedule: the ones named, or all of them. Returns how many were queued.
    pub fn retry_deliveries(&self, ids: Option<&[i64]>, now: i64) -> Result<usize> {
        let conn = self.conn();
        let mut queued = 0;
        match ids {
            None => {
                queued += conn.execute(
                    "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt = ?1
                     WHERE status IN ('pending', 'failed')",
                    [now],
                )?;
            }
            Some(ids) => {
                for id in ids {
                    queued += conn.execute(
                        "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt = ?2
                         WHERE id = ?1 AND status IN ('pending', 'failed')",
                        params![id, now],
                    )?;
                }
            }
        }
        Ok(queued)
    }

    /// Pending deliveries of one channel that are due, for a digest.
    pub fn due_deliveries_of(&self, channel: &str, now: i64) -> Result<Vec<DeliveryRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "{DELIVERY_SELECT} WHERE channel = ?1 AND status = 'pending' AND next_attempt <= ?2 ORDER BY id"
        ))?;
        let rows = stmt.query_map(params![channel, now], delivery_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Disables a channel (its endpoint answered 410 Gone) and fails its pending deliveries.
    pub fn disable_channel(&self, channel: &str, at: i64, reason: &str) -> Result<()> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO disabled_channels (channel, disabled_at, reason) VALUES (?1, ?2, ?3)
             ON CONFLICT (channel) DO UPDATE SET disabled_at = ?2, reason = ?3",
            params![channel, at, reason],
        )?;
        conn.execute(
            "UPDATE deliveries SET status = 'failed', last_error = ?2 WHERE channel = ?1 AND status = 'pending'",
            params![channel, format!("endpoint disabled: {reason}")],
        )?;
        Ok(())
    }

    /// Why a channel is disabled, if it is.
    pub fn channel_disabled(&self, channel: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT reason FROM disabled_channels WHERE channel = ?1", [channel], |r| r.get(0))
            .optional()?)
    }

    /// Enables a disabled channel again (for `redline alerts retry` after the endpoint is fixed).
    pub fn enable_channels(&self) -> Result<usize> {
        Ok(self.conn().execute("DELETE FROM disabled_channels", [])?)
    }
}
