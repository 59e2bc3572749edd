//! The diff engine: two extracted versions in, a [`Change`] out.
//!
//! Pure: no I/O.

use serde::{Deserialize, Serialize};

use crate::extract::Article;

/// What kind of edit a change is; a change carries one or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditKind {
    Headline,
    Byline,
    Dates,
    EditorsNote,
    Correction,
    Addition,
    Removal,
    Rewording,
    Fact,
    Typo,
    Unannounced,
}

/// The change between two versions of an article.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// False when the versions are the same after normalization.
    pub changed: bool,
    /// The kinds of edit, sorted, without repeats.
    pub kinds: Vec<EditKind>,
    /// 0 (trivial) to 1 (rewritten).
    pub significance: f64,
    /// One line for humans: "Editor's note added; 2 paragraphs (85 words) added".
    pub summary: String,
    /// Update, correction or clarification notices that appeared or changed.
    pub notes: Vec<String>,
    /// Sentences that appeared.
    pub added: Vec<String>,
    /// Sentences that vanished.
    pub removed: Vec<String>,
}

/// Compares two versions.
pub fn compare(old: &Article, new: &Article) -> Change {
    let _ = (old, new);
    todo!("diff helper")
}
