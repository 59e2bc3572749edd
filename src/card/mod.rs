//! A picture of a change: a PNG card (outlet, headline, when, the changed sentences with
//! removals struck out and additions underlined) for the web page, the CLI and the bots that
//! post edits. Drawn without a browser: an SVG laid out here, rendered by resvg with the
//! bundled font only, so a card is the same on every machine.
//!
//! - `content`: [`CardData`] from a stored change, and the alt text (pure);
//! - `layout`: line breaking and placement (pure); `svg`: the SVG document (pure);
//! - `font`: the bundled font, its metrics and the renderer's font database;
//! - here: [`render`], and [`card_for_change`] / [`card_from_store`] that read the change.

mod content;
mod font;
mod layout;
mod svg;
#[cfg(test)]
mod tests;

use crate::diff::Segment;
use crate::store::{Db, Store, StoreError};

/// A drawn card.
#[derive(Debug, Clone)]
pub struct Card {
    /// The PNG file.
    pub png: Vec<u8>,
    /// What the card shows, in words (for `alt` attributes and the bots' media descriptions).
    pub alt_text: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
}

/// What a card shows. Any text is fine: it is cleaned, escaped and wrapped when drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct CardData {
    /// The site ("news.example").
    pub outlet: String,
    /// The article's headline.
    pub headline: String,
    /// When the change was recorded, as shown ("1 Dec 2026, 14:36 UTC").
    pub when: String,
    /// One line about the change ("1 sentence reworded").
    pub summary: String,
    /// The changed passages, each a sequence of kept, removed and added runs.
    pub paragraphs: Vec<Vec<Segment>>,
}

/// Why there is no card.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// No change has this id.
    #[error("no change has the id {0}")]
    NotFound(i64),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The renderer refused the drawing (a defect: the SVG is made here).
    #[error("cannot draw the card: {0}")]
    Draw(String),
}

/// The card of `data`, drawn.
pub fn render(data: &CardData) -> Result<Card, CardError> {
    let laid = layout::layout(data);
    let doc = svg::svg(&laid);
    let options = resvg::usvg::Options {
        font_family: font::FAMILY.to_string(),
        fontdb: font::database(),
        ..resvg::usvg::Options::default()
    };
    let tree = resvg::usvg::Tree::from_str(&doc, &options).map_err(|e| CardError::Draw(e.to_string()))?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(layout::WIDTH, laid.height)
        .ok_or_else(|| CardError::Draw(format!("no {}×{} canvas", layout::WIDTH, laid.height)))?;
    resvg::render(&tree, resvg::tiny_skia::Transform::identity(), &mut pixmap.as_mut());
    let png = pixmap.encode_png().map_err(|e| CardError::Draw(e.to_string()))?;
    Ok(Card { png, alt_text: data.alt_text(), width: layout::WIDTH, height: laid.height })
}

/// The SVG of `data`'s card (what [`render`] rasterizes).
pub fn render_svg(data: &CardData) -> String {
    svg::svg(&layout::layout(data))
}

/// The card's size in pixels, without drawing it (for `<img>` attributes).
pub fn size(data: &CardData) -> (u32, u32) {
    (layout::WIDTH, layout::layout(data).height)
}

/// What the card of change `change_id` shows.
pub fn data_for_change(store: &Store, change_id: i64) -> Result<CardData, CardError> {
    let summary = store.change_summary(change_id)?.ok_or(CardError::NotFound(change_id))?;
    let row = store.change_by_id(change_id)?.ok_or(CardError::NotFound(change_id))?;
    Ok(CardData::for_row(&summary.article_url, summary.title.as_deref(), &row))
}

/// The card of change `change_id`, read and drawn on the calling thread (the CLI).
pub fn card_from_store(store: &Store, change_id: i64) -> Result<Card, CardError> {
    render(&data_for_change(store, change_id)?)
}

/// The card of change `change_id`, read and drawn on the blocking pool (the daemon, the web).
pub async fn card_for_change(db: &Db, change_id: i64) -> Result<Card, CardError> {
    let store = std::sync::Arc::clone(db.store());
    crate::store::blocking(move || card_from_store(&store, change_id)).await?
}
