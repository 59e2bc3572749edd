//! The change card on the web: `/changes/{id}.png`, and the figure on the version page that
//! shows it with its alt text. Cards are drawn on the blocking pool, two at a time at most
//! (a tall one takes a fraction of a second of CPU).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::{Failure, WebState};
use crate::card::{self, CardData, CardError};
use crate::store::ChangeRow;
use crate::text::escape_html;

/// Cards being drawn at once, across the process.
static DRAWING: Semaphore = Semaphore::const_new(2);

pub(super) async fn card_png(state: &WebState, id: i64) -> Result<Response, Failure> {
    let _permit = DRAWING
        .acquire()
        .await
        .map_err(|_| Failure::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "shutting down"))?;
    let drawn = state
        .read(move |s| match card::card_from_store(s, id) {
            Err(CardError::Store(e)) => Err(e),
            other => Ok(other),
        })
        .await?;
    let card = match drawn {
        Ok(card) => card,
        Err(CardError::NotFound(_)) => return Err(Failure::not_found(format!("No change has the id {id}."))),
        Err(e) => {
            tracing::error!(error = %e, change = id, "Cannot draw a change card.");
            return Err(Failure::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()));
        }
    };
    let mut r = card.png.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    // A recorded change does not change: its card may be kept a day.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400"));
    Ok(r)
}

/// The version page's figure of the card of `row` (the change that made the version).
pub(super) fn section(article_url: &str, title: Option<&str>, row: &ChangeRow) -> String {
    let data = CardData::for_row(article_url, title, row);
    let (width, height) = card::size(&data);
    let id = row.id;
    format!(
        "<section id=\"card\" class=\"card\">\n<h3>This change as a picture</h3>\n\
         <div class=\"shot\"><a href=\"/changes/{id}.png\"><img class=\"change-card\" src=\"/changes/{id}.png\" \
         width=\"{width}\" height=\"{height}\" alt=\"{}\"></a></div>\n\
         <p class=\"meta\">PNG, {width} × {height} px, for sharing: <a href=\"/changes/{id}.png\">/changes/{id}.png</a></p>\n</section>\n",
        escape_html(&data.alt_text()),
    )
}
