//! Screenshots on the web: a version's PNG, the visual comparison with the version before
//! (drawn on the blocking pool one at a time, the latest few kept), and the version page's
//! section that shows both with the changed regions counted in words.

use std::collections::VecDeque;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::html::time;
use super::{Failure, WebState};
use crate::screenshot::{ScreenshotError, VisualDiff, diff_png};
use crate::store::ScreenshotInfo;

/// Comparisons kept in memory (each holds one PNG).
const KEPT: usize = 8;

/// A comparison, or why the two screenshots cannot be compared.
type Compared = Result<(VisualDiff, Vec<u8>), ScreenshotError>;

/// Which two stored images a comparison is of: version ids and sizes.
type Key = (i64, i64, i64, i64);

/// Recent comparisons, and the one permit to draw a new one (two 1600×20000 images take
/// about 200 MB while they are compared).
pub(super) struct Comparisons {
    permit: tokio::sync::Semaphore,
    recent: Mutex<VecDeque<(Key, Arc<Compared>)>>,
}

impl Comparisons {
    pub(super) fn new() -> Comparisons {
        Comparisons { permit: tokio::sync::Semaphore::new(1), recent: Mutex::new(VecDeque::new()) }
    }

    fn cached(&self, key: Key) -> Option<Arc<Compared>> {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.iter().find(|(k, _)| *k == key).map(|(_, c)| Arc::clone(c))
    }

    fn keep(&self, key: Key, compared: Arc<Compared>) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.push_back((key, compared));
        while recent.len() > KEPT {
            recent.pop_front();
        }
    }
}

/// The screenshots of versions `number - 1` and `number`, when both exist, and their comparison.
async fn compared(
    state: &WebState,
    article_id: i64,
    number: i64,
) -> Result<Option<(ScreenshotInfo, Arc<Compared>)>, Failure> {
    if number < 2 {
        return Ok(None);
    }
    let (old, new) = state
        .read(move |s| Ok((s.screenshot_info(article_id, number - 1)?, s.screenshot_info(article_id, number)?)))
        .await?;
    let (Some(old), Some(new)) = (old, new) else { return Ok(None) };
    let key = (old.version_id, new.version_id, old.bytes, new.bytes);
    let comparisons = &state.inner.comparisons;
    if let Some(c) = comparisons.cached(key) {
        return Ok(Some((old, c)));
    }
    let _permit = comparisons
        .permit
        .acquire()
        .await
        .map_err(|_| Failure::new(StatusCode::SERVICE_UNAVAILABLE, "shutting down"))?;
    if let Some(c) = comparisons.cached(key) {
        return Ok(Some((old, c)));
    }
    let drawn = state
        .read(move |s| {
            let (a, b) = (s.screenshot_png(article_id, number - 1)?, s.screenshot_png(article_id, number)?);
            Ok(a.zip(b).map(|(a, b)| diff_png(&a, &b)))
        })
        .await?;
    // Pruned between the two reads: as if it had never been.
    let Some(drawn) = drawn else { return Ok(None) };
    let drawn = Arc::new(drawn);
    comparisons.keep(key, Arc::clone(&drawn));
    Ok(Some((old, drawn)))
}

fn png_response(png: Vec<u8>) -> Response {
    let mut r = png.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    r
}

/// `/articles/{id}/versions/{n}/screenshot.png`: the page as that version was fetched.
pub(super) async fn screenshot(
    State(state): State<WebState>,
    Path((article_id, number)): Path<(i64, i64)>,
) -> Result<Response, Failure> {
    let png = state.read(move |s| s.screenshot_png(article_id, number)).await?;
    let png = png
        .ok_or_else(|| Failure::not_found(format!("No screenshot is stored for version {number} of this article.")))?;
    Ok(png_response(png))
}

/// `/articles/{id}/versions/{n}/screenshot-diff.png`: version `n`'s screenshot with the regions
/// changed since version `n - 1` tinted and outlined.
pub(super) async fn screenshot_diff(
    State(state): State<WebState>,
    Path((article_id, number)): Path<(i64, i64)>,
) -> Result<Response, Failure> {
    let Some((_, c)) = compared(&state, article_id, number).await? else {
        return Err(Failure::not_found(format!(
            "Versions {} and {number} of this article do not both have a screenshot to compare.",
            number - 1
        )));
    };
    match c.as_ref() {
        Ok((_, png)) => Ok(png_response(png.clone())),
        Err(e) => {
            Err(Failure::new(StatusCode::UNPROCESSABLE_ENTITY, format!("The screenshots cannot be compared: {e}")))
        }
    }
}

/// The version page's screenshot section (empty when the version has none).
pub(super) async fn section(state: &WebState, article_id: i64, number: i64) -> Result<String, Failure> {
    let Some(info) = state.read(move |s| s.screenshot_info(article_id, number)).await? else {
        return Ok(String::new());
    };
    let base = format!("/articles/{article_id}/versions/{number}");
    let mut out = format!(
        "<section id=\"screenshot\" class=\"screenshot\">\n<h2>Screenshot</h2>\n\
         <p class=\"meta\">{} × {} px · {} KB · taken {}</p>\n\
         <div class=\"shot\"><a href=\"{base}/screenshot.png\"><img src=\"{base}/screenshot.png\" width=\"{}\" height=\"{}\" \
         alt=\"The page as version {number} was fetched\"></a></div>\n",
        info.width,
        info.height,
        (info.bytes + 1023) / 1024,
        time(info.taken_at),
        info.width,
        info.height,
    );
    if number > 1 {
        let previous = number - 1;
        let _ = writeln!(out, "<h3 id=\"visual\">On the page since version {previous}</h3>");
        match compared(state, article_id, number).await? {
            None => {
                let _ = writeln!(out, "<p class=\"muted\">Version {previous} has no screenshot to compare with.</p>");
            }
            Some((_, c)) => match c.as_ref() {
                Err(e) => {
                    let _ = writeln!(
                        out,
                        "<p class=\"error\">The screenshots cannot be compared: {}</p>",
                        crate::text::escape_html(&e.to_string())
                    );
                }
                Ok((d, _)) if d.regions.is_empty() => {
                    let _ = writeln!(out, "<p class=\"visual-summary\">{}.</p>", d.summary());
                }
                Ok((d, _)) => {
                    let _ = writeln!(
                        out,
                        "<p class=\"visual-summary\">{}. Changed regions are outlined in red.</p>\n\
                         <div class=\"shot\"><a href=\"{base}/screenshot-diff.png\"><img class=\"screenshot-diff\" src=\"{base}/screenshot-diff.png\" \
                         width=\"{}\" height=\"{}\" alt=\"Version {number}'s screenshot with the regions changed since version {previous} outlined\"></a></div>",
                        d.summary(),
                        d.width,
                        d.height,
                    );
                }
            },
        }
    }
    out.push_str("</section>\n");
    Ok(out)
}
