//! The diff engine: two extracted versions in, a [`Change`] out.
//!
//! Pure: no I/O.
//!
//! # Layout
//! - [`normalize`]: display text and comparison keys; noise (relative times, counters,
//!   per-watch `ignore` patterns) blanked out of keys.
//! - [`segment`]: the sentence segmenter and the word tokenizer.
//! - notices (update, correction, editor's note) are told by [`crate::text::notice`], the
//!   detector extraction uses too.
//! - `align`: paragraphs, then sentences, then words, with `similar`; moves.
//! - `classify`: edit kinds, significance and the one-line summary.
//! - [`render`]: terminal text, unified text and HTML (the redline, inline or side by side).
//!
//! A [`Change`] carries, besides the contract fields, everything needed to render it
//! without the two articles: the metadata changes and the paragraph, sentence and word
//! operations in [`Change::blocks`].

mod align;
mod classify;
pub mod normalize;
pub mod render;
pub mod segment;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::extract::Article;

pub use render::{
    render_html, render_html_fields, render_html_inline, render_html_paragraph, render_html_side, render_text,
    render_unified,
};

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
    /// A headline that went back to a value it had earlier the same day: an A/B test (issue 15).
    HeadlineTest,
}

impl EditKind {
    /// The contract name ("editors_note").
    pub fn as_str(self) -> &'static str {
        match self {
            EditKind::Headline => "headline",
            EditKind::Byline => "byline",
            EditKind::Dates => "dates",
            EditKind::EditorsNote => "editors_note",
            EditKind::Correction => "correction",
            EditKind::Addition => "addition",
            EditKind::Removal => "removal",
            EditKind::Rewording => "rewording",
            EditKind::Fact => "fact",
            EditKind::Typo => "typo",
            EditKind::Unannounced => "unannounced",
            EditKind::HeadlineTest => "headline_test",
        }
    }
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
    /// The headline of the new version (for rendering headers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The headline, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<FieldChange>,
    /// The byline, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byline: Option<FieldChange>,
    /// The publication date, when it moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<FieldChange>,
    /// The modification date, when it moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<FieldChange>,
    /// Counts behind the summary and significance.
    #[serde(default)]
    pub stats: Stats,
    /// The body, paragraph by paragraph, in reading order of the new version (removed and
    /// moved-away paragraphs at their old places). Empty when the body did not change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<Block>,
}

/// A metadata field before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The old value.
    pub old: Option<String>,
    /// The new value.
    pub new: Option<String>,
}

/// Counts of what changed in the body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    /// Words in the old body.
    pub old_words: usize,
    /// Words in the new body.
    pub new_words: usize,
    /// Whole paragraphs added (notices excluded).
    pub paragraphs_added: usize,
    /// Words in those paragraphs.
    pub words_added: usize,
    /// Whole paragraphs removed (notices excluded).
    pub paragraphs_removed: usize,
    /// Words in those paragraphs.
    pub words_removed: usize,
    /// Paragraphs moved unchanged.
    pub paragraphs_moved: usize,
    /// Sentences added inside kept paragraphs (notices excluded).
    pub sentences_added: usize,
    /// Sentences removed from kept paragraphs (notices excluded).
    pub sentences_removed: usize,
    /// Sentences that vanished in one place and appeared unchanged in another.
    pub sentences_moved: usize,
    /// Sentences edited in place (notices excluded).
    pub sentences_changed: usize,
    /// Edited sentences where a number, date or name changed.
    pub facts: usize,
    /// Edited sentences with only tiny character-level fixes.
    pub typos: usize,
    /// Words inserted plus words deleted, over the whole body.
    pub churn: usize,
}

/// One paragraph of the rendered body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Block {
    /// Unchanged.
    Same { text: String },
    /// New paragraph.
    Added { text: String },
    /// Paragraph gone.
    Removed { text: String },
    /// Paragraph edited: its sentences. `moved_from` is set (0-based old position) when the
    /// paragraph was also moved; its old place then holds a [`Block::MovedOut`].
    Changed {
        sentences: Vec<SentenceOp>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        moved_from: Option<usize>,
    },
    /// Paragraph moved away from here (old position `from`) to new position `to` (0-based).
    MovedOut { text: String, from: usize, to: usize },
    /// Paragraph moved here (new position `to`) from old position `from` (0-based).
    MovedIn { text: String, from: usize, to: usize },
}

/// One sentence of an edited paragraph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum SentenceOp {
    /// Unchanged.
    Same { text: String },
    /// New sentence.
    Added { text: String },
    /// Sentence gone.
    Removed { text: String },
    /// Sentence edited: word-level segments.
    Changed { segments: Vec<Segment> },
}

/// A run of text inside an edited sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Kept, inserted or deleted.
    pub op: SegOp,
    /// The text, spaces included.
    pub text: String,
}

/// What happened to a [`Segment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegOp {
    Same,
    Ins,
    Del,
}

impl SentenceOp {
    /// The sentence in the old version, if it was there.
    pub fn old_text(&self) -> Option<String> {
        match self {
            SentenceOp::Same { text } | SentenceOp::Removed { text } => Some(text.clone()),
            SentenceOp::Added { .. } => None,
            SentenceOp::Changed { segments } => {
                Some(segments.iter().filter(|s| s.op != SegOp::Ins).map(|s| s.text.as_str()).collect())
            }
        }
    }

    /// The sentence in the new version, if it is there.
    pub fn new_text(&self) -> Option<String> {
        match self {
            SentenceOp::Same { text } | SentenceOp::Added { text } => Some(text.clone()),
            SentenceOp::Removed { .. } => None,
            SentenceOp::Changed { segments } => {
                Some(segments.iter().filter(|s| s.op != SegOp::Del).map(|s| s.text.as_str()).collect())
            }
        }
    }
}

fn join_sentences(ops: &[SentenceOp], f: impl Fn(&SentenceOp) -> Option<String>) -> Option<String> {
    let parts: Vec<String> = ops.iter().filter_map(f).collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

impl Block {
    /// The paragraph in the old version, if it was there (at this place).
    pub fn old_text(&self) -> Option<String> {
        match self {
            Block::Same { text } | Block::Removed { text } | Block::MovedOut { text, .. } => Some(text.clone()),
            Block::Added { .. } | Block::MovedIn { .. } => None,
            // A paragraph moved and edited was at its old place (a `MovedOut`), not here.
            Block::Changed { moved_from: Some(_), .. } => None,
            Block::Changed { sentences, .. } => join_sentences(sentences, SentenceOp::old_text),
        }
    }

    /// The paragraph in the new version, if it is there (at this place).
    pub fn new_text(&self) -> Option<String> {
        match self {
            Block::Same { text } | Block::Added { text } | Block::MovedIn { text, .. } => Some(text.clone()),
            Block::Removed { .. } | Block::MovedOut { .. } => None,
            Block::Changed { sentences, .. } => join_sentences(sentences, SentenceOp::new_text),
        }
    }
}

impl Change {
    /// The new body as compared (normalized, noise dropped), rebuilt from the blocks.
    pub fn new_paragraphs(&self) -> Vec<String> {
        self.blocks.iter().filter_map(Block::new_text).collect()
    }

    /// The old body as compared, rebuilt from the blocks.
    pub fn old_paragraphs(&self) -> Vec<String> {
        self.blocks.iter().filter_map(Block::old_text).collect()
    }
}

/// Per-watch comparison options.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Patterns whose matches are noise: removed before comparing.
    pub ignore: Vec<Regex>,
}

/// Compares two versions.
pub fn compare(old: &Article, new: &Article) -> Change {
    compare_with(old, new, &DiffOptions::default())
}

/// Compares two versions with per-watch options.
pub fn compare_with(old: &Article, new: &Article, options: &DiffOptions) -> Change {
    classify::compare(old, new, options)
}

#[cfg(test)]
mod tests;
