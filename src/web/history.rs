//! Any two versions of a story compared (`/articles/{id}/compare`, and the same
//! under `/api`); the arc of the story is drawn by [`super::arc`]. The pair is diffed by the same engine, with the
//! same `ignore` rules, as the daemon diffs each step; the redline comes from the one
//! renderer, [`crate::diff::render`].

use std::fmt::Write;

use axum::extract::{Path, Query, State};
use axum::response::Html;
use serde::Deserialize;

use super::arc::picker;
use super::html::{page, time};
use super::pages::{ChangeView, change_section, parse_id};
use super::{Failure, WebState};
use crate::diff::Change;
use crate::store::VersionRow;
use crate::store::browse::{ArticleSummary, VersionSummary};
use crate::text::escape_html;
use crate::watch::Rules;

/// Query of the compare page and its API twin.
#[derive(Debug, Default, Deserialize)]
pub(super) struct CompareQuery {
    /// The older side (default: version 1).
    pub from: Option<String>,
    /// The newer side (default: the latest version).
    pub to: Option<String>,
    /// `side` for the side-by-side view.
    pub view: Option<String>,
}

/// Two versions of an article and the change between them.
pub(super) struct Compared {
    pub article: ArticleSummary,
    pub from: VersionRow,
    pub to: VersionRow,
    pub change: Change,
    /// Every version, newest first (for the pickers).
    pub timeline: Vec<VersionSummary>,
}

/// Reads the pair `query` names and diffs it on the blocking pool.
pub(super) async fn compared(state: &WebState, article_id: i64, query: &CompareQuery) -> Result<Compared, Failure> {
    let from = parse_id("from", &query.from)?;
    let to = parse_id("to", &query.to)?;
    let read = state
        .read(move |s| {
            let Some(article) = s.article_summary(article_id)? else { return Ok(None) };
            let (from, to) = (from.unwrap_or(1), to.unwrap_or(article.versions));
            let pair = (s.version(article_id, from)?, s.version(article_id, to)?);
            let rules = s.article_rules(article_id)?.unwrap_or_else(|| "{}".into());
            let timeline = s.timeline(article_id)?;
            let change = match &pair {
                (Some(a), Some(b)) => {
                    Some(Rules::decode(&rules).map(|r| crate::diff::compare_with(&a.article, &b.article, &r.diff)))
                }
                _ => None,
            };
            Ok(Some((article, (from, to), pair, change, timeline)))
        })
        .await?;
    let (article, (from_n, to_n), pair, change, timeline) =
        read.ok_or_else(|| Failure::not_found(format!("No article has the id {article_id}.")))?;
    let missing =
        |n: i64| Failure::not_found(format!("This article has no version {n} (it has {}).", article.versions));
    let (from, to) = match pair {
        (Some(a), Some(b)) => (a, b),
        (None, _) => return Err(missing(from_n)),
        (_, None) => return Err(missing(to_n)),
    };
    let change = change
        .unwrap_or_else(|| Ok(Change::default()))
        .map_err(|e| Failure::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Compared { article, from, to, change, timeline })
}

/// `/articles/{id}/compare?from=1&to=7`: the redline between any two versions.
pub(super) async fn compare(
    State(state): State<WebState>,
    Path(article_id): Path<i64>,
    Query(query): Query<CompareQuery>,
) -> Result<Html<String>, Failure> {
    let c = compared(&state, article_id, &query).await?;
    let title = c.to.article.title.clone().unwrap_or_else(|| c.article.url.clone());
    let (from, to) = (c.from.number, c.to.number);
    let base = format!("/articles/{article_id}/compare?from={from}&to={to}");
    let side = query.view.as_deref() == Some("side");
    let mut body = format!(
        "<p class=\"meta\"><a href=\"/articles/{article_id}\">← All versions of this article</a></p>\n\
         <h1>{}</h1>\n<p class=\"meta\">Version {from} ({}) compared with version {to} ({})</p>\n",
        escape_html(&title),
        time(c.from.fetched_at),
        time(c.to.fetched_at),
    );
    body.push_str(&picker(article_id, &c.timeline, from, to, side));
    body.push_str(&change_section(&ChangeView {
        from,
        to,
        change: &c.change,
        recorded: None,
        inline_href: format!("{base}#change"),
        side_href: format!("{base}&view=side#change"),
        side,
    }));
    let _ = writeln!(body, "<p><a href=\"{}\">JSON</a></p>", escape_html(&format!("/api{base}")));
    Ok(page(&format!("v{from} → v{to}: {title}"), "", &body))
}
