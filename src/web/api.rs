//! The JSON API under `/api` (documented in `docs/API.md`). Lists are paged:
//! each answer carries `next`, the URL of the next page, or null.

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::history::CompareQuery;
use super::html::rfc3339;
use super::pages::{ChangesQuery, SearchQuery, parse_limit, snippet_text};
use super::{Failure, WebState};
use crate::store::browse::{ArticleSummary, ChangeSummary, VersionSummary};
use crate::store::search::fts_query;
use crate::store::watches::WatchRow;
use crate::watch::Spec;

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/changes", get(changes))
        .route("/changes/{change_id}", get(change))
        .route("/articles", get(articles))
        .route("/articles/{article_id}", get(article))
        .route("/articles/{article_id}/versions", get(versions))
        .route("/articles/{article_id}/compare", get(compare))
        .route("/articles/{article_id}/versions/{number}", get(version))
        .route("/watches", get(watches).post(add_watch))
        .route("/watches/{watch_id}", get(watch))
        .route("/watches/{watch_id}/edit", post(edit_watch))
        .route("/watches/{watch_id}/pause", post(pause_watch))
        .route("/watches/{watch_id}/resume", post(resume_watch))
        .route("/watches/{watch_id}/remove", post(remove_watch))
        .route("/search", get(search))
}

fn change_json(c: &ChangeSummary) -> Value {
    json!({
        "id": c.id,
        "article_id": c.article_id,
        "article_url": c.article_url,
        "title": c.title,
        "watch_id": c.source_id,
        "watch_url": c.source_url,
        "from_version": c.from_number,
        "to_version": c.to_number,
        "created_at": rfc3339(c.created_at),
        "kinds": c.kinds,
        "significance": c.significance,
        "summary": c.summary,
        "html_url": format!("/articles/{}/versions/{}", c.article_id, c.to_number),
        "api_url": format!("/api/changes/{}", c.id),
    })
}

fn article_json(a: &ArticleSummary) -> Value {
    json!({
        "id": a.id,
        "url": a.url,
        "title": a.title,
        "watch_id": a.source_id,
        "watch_url": a.source_url,
        "versions": a.versions,
        "changes": a.changes,
        "first_seen": rfc3339(a.first_seen),
        "last_checked": a.last_checked.map(rfc3339),
        "last_changed": a.last_changed.map(rfc3339),
        "next_check": a.next_check.map(rfc3339),
        "failures": a.failures,
        "last_error": a.last_error,
        "state": a.state,
        "html_url": format!("/articles/{}", a.id),
    })
}

fn version_summary_json(article_id: i64, v: &VersionSummary, imported: &[i64]) -> Value {
    json!({
        "number": v.number,
        "imported": imported.contains(&v.number),
        "fetched_at": rfc3339(v.fetched_at),
        "title": v.title,
        "byline": v.byline,
        "modified": v.modified,
        "change": v.change_id.map(|id| json!({
            "id": id,
            "kinds": v.kinds,
            "significance": v.significance,
            "summary": v.summary,
        })),
        "api_url": format!("/api/articles/{article_id}/versions/{}", v.number),
    })
}

fn watch_json(w: &WatchRow) -> Value {
    json!({
        "id": w.id,
        "kind": w.kind,
        "url": w.url,
        "name": w.name,
        "schedule": w.schedule,
        "enabled": w.enabled,
        "from_config": w.from_config,
        "removed": w.removed_at.is_some(),
        "created_at": rfc3339(w.created_at),
        "last_checked": w.last_checked.max(w.articles_last_checked).map(rfc3339),
        "next_check": w.next_check.map(rfc3339),
        "articles_next_check": w.articles_next_check.map(rfc3339),
        "last_changed": w.last_changed.map(rfc3339),
        "last_error": w.last_error,
        "failures": w.failures,
        "articles": w.articles,
        "failing_articles": w.failing_articles,
        "last_article_error": w.article_error,
    })
}

/// `GET /api/changes`: newest first, with the change-list filters.
async fn changes(State(state): State<WebState>, Query(query): Query<ChangesQuery>) -> Result<Json<Value>, Failure> {
    let filter = query.filter()?;
    let limit = filter.limit;
    let (list, imported) = state
        .read(move |s| {
            let list = s.recent_changes(&filter)?;
            let imported = s.imported_change_ids(&list.iter().map(|c| c.id).collect::<Vec<_>>())?;
            Ok((list, imported))
        })
        .await?;
    let next = (list.len() == limit)
        .then(|| list.last().map(|c| format!("/api/changes?{}", query.with_before(Some(c.id)))))
        .flatten();
    let changes: Vec<Value> = list
        .iter()
        .map(|c| {
            let mut v = change_json(c);
            v["imported"] = json!(imported.contains(&c.id));
            v
        })
        .collect();
    Ok(Json(json!({ "changes": changes, "next": next })))
}

/// `GET /api/changes/{id}`: one change with its structured diff.
async fn change(State(state): State<WebState>, Path(change_id): Path<i64>) -> Result<Json<Value>, Failure> {
    let (summary, full, imported) = state
        .read(move |s| Ok((s.change_summary(change_id)?, s.change_by_id(change_id)?, s.change_imported(change_id)?)))
        .await?;
    let (Some(summary), Some(full)) = (summary, full) else {
        return Err(Failure::not_found(format!("no change has the id {change_id}")));
    };
    let mut v = change_json(&summary);
    v["notes"] = json!(full.change.notes);
    v["added"] = json!(full.change.added);
    v["removed"] = json!(full.change.removed);
    v["imported"] = json!(imported.unwrap_or(false));
    v["diff"] = serde_json::to_value(&full.change).unwrap_or(Value::Null);
    Ok(Json(v))
}

#[derive(Debug, Default, Deserialize)]
struct ArticlesQuery {
    watch: Option<i64>,
    limit: Option<String>,
    offset: Option<usize>,
    /// The article with this URL, or with it as an alias (issue 15).
    url: Option<String>,
}

/// `GET /api/articles`: most recently changed first, paged by offset.
async fn articles(State(state): State<WebState>, Query(query): Query<ArticlesQuery>) -> Result<Json<Value>, Failure> {
    if let Some(url) = query.url.clone() {
        let found = state
            .read(move |s| match s.article_by_url(&url)? {
                Some(a) => s.article_summary(a.id),
                None => Ok(None),
            })
            .await?;
        return Ok(Json(json!({ "articles": found.iter().map(article_json).collect::<Vec<_>>(), "next": null })));
    }
    let limit = parse_limit(&query.limit)?;
    let offset = query.offset.unwrap_or(0);
    let watch = query.watch;
    let list = state.read(move |s| s.article_summaries(watch, limit, offset)).await?;
    let next = (list.len() == limit).then(|| {
        let w = watch.map(|w| format!("watch={w}&")).unwrap_or_default();
        format!("/api/articles?{w}limit={limit}&offset={}", offset + limit)
    });
    Ok(Json(json!({ "articles": list.iter().map(article_json).collect::<Vec<_>>(), "next": next })))
}

/// `GET /api/articles/{id}`: the article and its versions, newest first.
async fn article(State(state): State<WebState>, Path(article_id): Path<i64>) -> Result<Json<Value>, Failure> {
    let (a, timeline, imported) = state
        .read(move |s| Ok((s.article_summary(article_id)?, s.timeline(article_id)?, s.imported_versions(article_id)?)))
        .await?;
    let a = a.ok_or_else(|| Failure::not_found(format!("no article has the id {article_id}")))?;
    let mut v = article_json(&a);
    v["aliases"] = json!(state.read(move |s| s.aliases(article_id)).await?);
    v["versions_list"] =
        json!(timeline.iter().map(|t| version_summary_json(article_id, t, &imported)).collect::<Vec<_>>());
    Ok(Json(v))
}

/// `GET /api/articles/{id}/versions`: its versions, newest first.
async fn versions(State(state): State<WebState>, Path(article_id): Path<i64>) -> Result<Json<Value>, Failure> {
    let (a, timeline, imported) = state
        .read(move |s| Ok((s.article_summary(article_id)?, s.timeline(article_id)?, s.imported_versions(article_id)?)))
        .await?;
    if a.is_none() {
        return Err(Failure::not_found(format!("no article has the id {article_id}")));
    }
    let versions: Vec<Value> = timeline.iter().map(|t| version_summary_json(article_id, t, &imported)).collect();
    Ok(Json(json!({ "versions": versions })))
}

/// `GET /api/articles/{id}/versions/{n}`: the extracted text of one version and the change to it.
async fn version(
    State(state): State<WebState>,
    Path((article_id, number)): Path<(i64, i64)>,
) -> Result<Json<Value>, Failure> {
    let (v, c, shot, previous_shot, imported, snapshot_url) = state
        .read(move |s| {
            Ok((
                s.version(article_id, number)?,
                s.change_to_version(article_id, number)?,
                s.screenshot_info(article_id, number)?,
                s.screenshot_info(article_id, number - 1)?,
                s.imported_versions(article_id)?.contains(&number),
                s.snapshot_url(article_id, number)?,
            ))
        })
        .await?;
    let v = v.ok_or_else(|| Failure::not_found(format!("article {article_id} has no version {number}")))?;
    let base = format!("/articles/{article_id}/versions/{number}");
    let screenshot = shot.map(|i| {
        json!({
            "url": format!("{base}/screenshot.png"),
            "width": i.width,
            "height": i.height,
            "bytes": i.bytes,
            "taken_at": rfc3339(i.taken_at),
            "diff_url": previous_shot.is_some().then(|| format!("{base}/screenshot-diff.png")),
        })
    });
    let mut out = crate::archive::data::version_fields(&v);
    let own = json!({
        "article_id": article_id,
        "change_id": c.map(|c| c.id),
        "imported": imported,
        "html_url": format!("/articles/{article_id}/versions/{number}"),
        "raw_url": format!("/articles/{article_id}/versions/{number}/raw"),
        "screenshot": screenshot,
        "snapshot_url": snapshot_url,
    });
    if let Value::Object(own) = own {
        out.extend(own);
    }
    Ok(Json(Value::Object(out)))
}

/// `GET /api/articles/{id}/compare?from=1&to=7`: the change between any two versions,
/// computed by the diff engine (the fields of `redline compare --format json`, plus `diff`).
async fn compare(
    State(state): State<WebState>,
    Path(article_id): Path<i64>,
    Query(query): Query<CompareQuery>,
) -> Result<Json<Value>, Failure> {
    let c = super::history::compared(&state, article_id, &query).await?;
    let (from, to) = (c.from.number, c.to.number);
    let ch = &c.change;
    Ok(Json(json!({
        "article_id": article_id,
        "from_version": from,
        "to_version": to,
        "from_fetched_at": rfc3339(c.from.fetched_at),
        "to_fetched_at": rfc3339(c.to.fetched_at),
        "changed": ch.changed,
        "kinds": ch.kinds,
        "significance": ch.significance,
        "summary": ch.summary,
        "notes": ch.notes,
        "added": ch.added,
        "removed": ch.removed,
        "diff": serde_json::to_value(ch).unwrap_or(Value::Null),
        "html_url": format!("/articles/{article_id}/compare?from={from}&to={to}"),
    })))
}

/// `POST /api/watches/{id}/edit`: new settings (the keys of a `[[watch]]`), checked as the config checks them.
async fn edit_watch(
    State(state): State<WebState>,
    Path(watch_id): Path<i64>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, Failure> {
    let Json(body) = body.map_err(|e| {
        Failure::bad_request(format!("the body must be JSON like {{\"every\": \"15m\"}}: {}", e.body_text()))
    })?;
    let w = super::manage::api_edit(&state, watch_id, body).await?;
    Ok(Json(json!({ "watch": watch_json(&w) })))
}

/// `GET /api/watches`.
async fn watches(State(state): State<WebState>) -> Result<Json<Value>, Failure> {
    let list = state.read(|s| s.watches()).await?;
    Ok(Json(json!({ "watches": list.iter().map(watch_json).collect::<Vec<_>>() })))
}

/// `GET /api/watches/{id}`.
async fn watch(State(state): State<WebState>, Path(watch_id): Path<i64>) -> Result<Json<Value>, Failure> {
    let w = state.read(move |s| s.watch(watch_id)).await?;
    let w = w.ok_or_else(|| Failure::not_found(format!("no watch has the id {watch_id}")))?;
    Ok(Json(json!({ "watch": watch_json(&w) })))
}

/// `POST /api/watches`: adds a watch (or re-enables the one with that URL); 201.
async fn add_watch(
    State(state): State<WebState>,
    body: Result<Json<Spec>, JsonRejection>,
) -> Result<Response, Failure> {
    let Json(body) = body.map_err(|e| {
        Failure::bad_request(format!(
            "the body must be JSON like {{\"url\": \"https://…\", \"every\": \"10m\"}}: {}",
            e.body_text()
        ))
    })?;
    // The body is a watch spec: the same checks and defaults as the config and the CLI.
    let source = body.source().map_err(|e| Failure::bad_request(e.to_string()))?;
    let now = super::now();
    let w = state
        .read(move |s| {
            let id = s.add_watch(&source, now)?;
            s.watch(id)
        })
        .await?;
    let w = w.ok_or_else(|| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "the watch vanished as it was added"))?;
    tracing::info!(watch = %w.url, "Watch added through the API.");
    Ok((StatusCode::CREATED, Json(json!({ "watch": watch_json(&w) }))).into_response())
}

async fn set_enabled(state: WebState, watch_id: i64, enabled: bool) -> Result<Json<Value>, Failure> {
    let now = super::now();
    let (outcome, w) =
        state.read(move |s| Ok((s.set_watch_enabled(watch_id, enabled, now)?, s.watch(watch_id)?))).await?;
    if let Some(f) = Failure::refusal(outcome, watch_id) {
        return Err(f);
    }
    let w = w.ok_or_else(|| Failure::not_found(format!("no watch has the id {watch_id}")))?;
    Ok(Json(json!({ "watch": watch_json(&w) })))
}

/// `POST /api/watches/{id}/pause`.
async fn pause_watch(State(state): State<WebState>, Path(watch_id): Path<i64>) -> Result<Json<Value>, Failure> {
    set_enabled(state, watch_id, false).await
}

/// `POST /api/watches/{id}/resume`: checked again at once.
async fn resume_watch(State(state): State<WebState>, Path(watch_id): Path<i64>) -> Result<Json<Value>, Failure> {
    set_enabled(state, watch_id, true).await
}

/// `POST /api/watches/{id}/remove`: stops watching; recorded history stays browsable.
async fn remove_watch(State(state): State<WebState>, Path(watch_id): Path<i64>) -> Result<Json<Value>, Failure> {
    let now = super::now();
    let outcome = state.read(move |s| s.remove_watch(watch_id, now)).await?;
    if let Some(f) = Failure::refusal(outcome, watch_id) {
        return Err(f);
    }
    Ok(Json(json!({ "removed": watch_id })))
}

/// `GET /api/search?q=`: the newest matching version of each article.
async fn search(State(state): State<WebState>, Query(query): Query<SearchQuery>) -> Result<Json<Value>, Failure> {
    let text = query.q.clone().unwrap_or_default();
    let fts = fts_query(&text).ok_or_else(|| Failure::bad_request("`q` needs at least one word"))?;
    let limit = parse_limit(&query.limit)?;
    let hits = state.read(move |s| s.search(&fts, limit)).await?;
    let results: Vec<Value> = hits
        .iter()
        .map(|h| {
            json!({
                "article_id": h.article_id,
                "url": h.url,
                "version": h.number,
                "fetched_at": rfc3339(h.fetched_at),
                "title": h.title,
                "snippet": snippet_text(&h.snippet).replace(['\u{e000}', '\u{e001}'], ""),
                "html_url": format!("/articles/{}/versions/{}", h.article_id, h.number),
            })
        })
        .collect();
    Ok(Json(json!({ "results": results })))
}
