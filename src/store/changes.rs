//! The `changes` table: one row per pair of consecutive versions, with the
//! structured diff (written by `record_version`).

use super::sql::params;
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
        self.conn()
            .query(&format!("{CHANGE_SELECT} WHERE c.article_id = ?1 ORDER BY t.number"), params![article_id])?
            .iter()
            .map(change_row)
            .collect()
    }
}

/// The columns [`change_row`] reads, for a `WHERE` to follow.
pub(super) const CHANGE_SELECT: &str = "SELECT c.id, c.article_id, f.number, t.number, c.created_at, c.diff
    FROM changes c JOIN versions f ON f.id = c.from_version JOIN versions t ON t.id = c.to_version";

pub(super) fn change_row(r: &super::sql::Row) -> Result<ChangeRow> {
    let diff: String = r.get(5)?;
    Ok(ChangeRow {
        id: r.get(0)?,
        article_id: r.get(1)?,
        from_number: r.get(2)?,
        to_number: r.get(3)?,
        created_at: r.get(4)?,
        change: serde_json::from_str(&diff)?,
    })
}
