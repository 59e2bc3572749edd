//! The `changes` table: one row per pair of consecutive versions, with the
//! structured diff (written by `record_version`).

use super::{NewDelivery, Result, Store};
use crate::diff::Change;

/// A stored change.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    /// Row id.
    pub id: i64,
    /// Its article.
    pub article_id: i64,
    /// Version number before.
    pub from_number: i64,
    /// Version number after.
    pub to_number: i64,
    /// When it was recorded.
    pub created_at: i64,
    /// The structured change.
    pub change: Change,
}

/// A change to record with its version, and its outbox rows.
#[derive(Debug, Clone)]
pub struct NewChange<'a> {
    /// The change.
    pub change: &'a Change,
    /// One row per channel.
    pub deliveries: Vec<NewDelivery>,
}

impl Store {
    /// Every change of an article, oldest first.
    pub fn changes(&self, article_id: i64) -> Result<Vec<ChangeRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT c.id, c.article_id, f.number, t.number, c.created_at, c.diff
             FROM changes c JOIN versions f ON f.id = c.from_version JOIN versions t ON t.id = c.to_version
             WHERE c.article_id = ?1 ORDER BY t.number",
        )?;
        let raw: Vec<(i64, i64, i64, i64, i64, String)> = stmt
            .query_map([article_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
            .collect::<rusqlite::Result<_>>()?;
        raw.into_iter()
            .map(|(id, article_id, from_number, to_number, created_at, diff)| {
                Ok(ChangeRow {
                    id,
                    article_id,
                    from_number,
                    to_number,
                    created_at,
                    change: serde_json::from_str(&diff)?,
                })
            })
            .collect()
    }
}
