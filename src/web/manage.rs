//! Watches managed from the page: the list with its add form, one watch's health and
//! settings, and the form posts that add, edit, pause, resume and remove a watch.
//!
//! Every form is built through the one watch builder ([`crate::watch::from_table`]: the
//! config's own checks and messages) and carries a CSRF token: the value of this
//! browser's `redline_csrf` cookie (random, `HttpOnly`, `SameSite=Strict`), which a post
//! must repeat in its `csrf` field; a post whose `Origin` is another site is refused too.
//! When a token is set in `[web]`, the guard also asks for it (HTTP Basic) before a form
//! post reaches these handlers. No script anywhere: each action is a plain form.

use std::fmt::Write;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::html::{KINDS, cookie, kind_label, maybe_time, outside_link, page};
use super::{Failure, WebState, constant_time_eq};
use crate::config::WatchRules;
use crate::store::history::WatchSettings;
use crate::store::watches::WatchRow;
use crate::store::{NewSource, SourceKind};
use crate::text::escape_html;

/// The cookie that holds this browser's CSRF token.
const CSRF_COOKIE: &str = "redline_csrf";

/// This browser's CSRF token (from its cookie), or a new one with the `Set-Cookie` that gives it.
fn csrf_token(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    if let Some(t) = cookie(headers, CSRF_COOKIE).filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return (t.to_string(), None);
    }
    let token = format!("{:032x}", rand::random::<u128>());
    let set = HeaderValue::from_str(&format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict")).ok();
    (token, set)
}

/// A page that holds forms: the token's cookie goes with it when the browser had none.
fn with_csrf(html: String, set_cookie: Option<HeaderValue>, status: StatusCode) -> Response {
    let mut r = (status, axum::response::Html(html)).into_response();
    if let Some(c) = set_cookie {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

/// The hidden field every form carries.
fn csrf_field(token: &str) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", escape_html(token))
}

/// Refuses a post without this browser's token, or sent from another site's page.
fn check_post(headers: &HeaderMap, form: &Form) -> Result<(), Failure> {
    // Our pages send no referrer, so the browser's `Origin` on their posts is "null": only
    // a real origin is compared; the token decides either way.
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()).filter(|o| *o != "null") {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        let same = url::Url::parse(origin).ok().is_some_and(|u| {
            let authority = match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
                None => u.host_str().unwrap_or("").to_string(),
            };
            authority.eq_ignore_ascii_case(host)
        });
        if !same {
            return Err(Failure::new(StatusCode::FORBIDDEN, "this form was sent from another site's page: refused"));
        }
    }
    let expected = cookie(headers, CSRF_COOKIE).unwrap_or("");
    let given = form.one("csrf");
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "this form has no valid CSRF token (it expired or came from elsewhere): reload the page and send it again",
        ));
    }
    Ok(())
}

/// A posted form: its fields in order, repeated names kept (the kind checkboxes).
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &[u8]) -> Form {
        Form(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`, trimmed ("" when absent).
    fn one(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.trim())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).collect()
    }
}

/// The settings fields of the watch forms, as typed (kept on a refusal, so nothing is lost).
#[derive(Debug, Default, Clone)]
struct Fields {
    /// `article` or `feed` (a feed or a sitemap).
    kind: String,
    url: String,
    name: String,
    every: String,
    cron: String,
    body_selector: String,
    title_selector: String,
    /// One selector a line.
    exclude_selectors: String,
    /// One pattern a line.
    ignore: String,
    alert_kinds: Vec<String>,
    alert_min_significance: String,
}

impl Fields {
    fn from_form(f: &Form) -> Fields {
        Fields {
            kind: f.one("kind").to_string(),
            url: f.one("url").to_string(),
            name: f.one("name").to_string(),
            every: f.one("every").to_string(),
            cron: f.one("cron").to_string(),
            body_selector: f.one("body_selector").to_string(),
            title_selector: f.one("title_selector").to_string(),
            exclude_selectors: f.one("exclude_selectors").to_string(),
            ignore: f.one("ignore").to_string(),
            alert_kinds: f.all("alert_kinds").into_iter().filter(|k| !k.is_empty()).collect(),
            alert_min_significance: f.one("alert_min_significance").to_string(),
        }
    }

    /// The fields of a stored watch (rules that do not decode show as empty).
    fn from_stored(s: &WatchSettings) -> Fields {
        let rules: WatchRules = serde_json::from_str(&s.rules).unwrap_or_default();
        let (every, cron) = match s.schedule.split_once(' ') {
            Some(("every", e)) => (e.to_string(), String::new()),
            Some(("cron", c)) => (String::new(), c.to_string()),
            _ => (String::new(), String::new()),
        };
        Fields {
            kind: s.kind.clone(),
            url: s.url.clone(),
            name: rules.name.unwrap_or_default(),
            every,
            cron,
            body_selector: rules.extract.body.unwrap_or_default(),
            title_selector: rules.extract.title.unwrap_or_default(),
            exclude_selectors: rules.extract.exclude.join("\n"),
            ignore: rules.ignore.join("\n"),
            alert_kinds: rules.alert.kinds.unwrap_or_default().iter().map(|k| k.as_str().to_string()).collect(),
            alert_min_significance: rules.alert.min_significance.map(|m| m.to_string()).unwrap_or_default(),
        }
    }

    /// The `[[watch]]` table these fields write: empty fields are left to the defaults.
    fn table(&self) -> toml::Table {
        use toml::Value;
        let mut t = toml::Table::new();
        let target = if self.kind == "feed" { "feed" } else { "url" };
        t.insert(target.into(), Value::String(self.url.clone()));
        for (key, v) in [
            ("name", &self.name),
            ("every", &self.every),
            ("cron", &self.cron),
            ("body_selector", &self.body_selector),
            ("title_selector", &self.title_selector),
        ] {
            if !v.is_empty() {
                t.insert(key.into(), Value::String(v.clone()));
            }
        }
        for (key, v) in [("exclude_selectors", &self.exclude_selectors), ("ignore", &self.ignore)] {
            let lines: Vec<Value> =
                v.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| Value::String(l.into())).collect();
            if !lines.is_empty() {
                t.insert(key.into(), Value::Array(lines));
            }
        }
        if !self.alert_kinds.is_empty() {
            t.insert("alert_kinds".into(), Value::Array(self.alert_kinds.iter().cloned().map(Value::String).collect()));
        }
        if !self.alert_min_significance.is_empty() {
            // Not a number: passed on as text, so that the config's own message explains.
            let v = self
                .alert_min_significance
                .parse::<f64>()
                .map_or_else(|_| Value::String(self.alert_min_significance.clone()), Value::Float);
            t.insert("alert_min_significance".into(), v);
        }
        t
    }

    /// The source these fields describe, through the one watch builder.
    fn source(&self) -> Result<NewSource, String> {
        crate::watch::from_table(self.table()).map_err(|e| e.to_string())
    }
}

/// The settings inputs, each with its label; `new` adds the URL and its kind.
fn fields_html(f: &Fields, new: bool) -> String {
    let mut out = String::new();
    let text = |out: &mut String, name: &str, label: &str, value: &str, hint: &str| {
        let _ = writeln!(
            out,
            "<label>{label} <input name=\"{name}\" value=\"{}\" placeholder=\"{}\"></label>",
            escape_html(value),
            escape_html(hint)
        );
    };
    if new {
        let _ = writeln!(
            out,
            "<label>URL <input name=\"url\" type=\"url\" required value=\"{}\" placeholder=\"https://news.example/story\"></label>",
            escape_html(&f.url)
        );
        let feed = if f.kind == "feed" { " selected" } else { "" };
        let _ = writeln!(
            out,
            "<label>It is <select name=\"kind\"><option value=\"article\">one article</option><option value=\"feed\"{feed}>a feed or a sitemap (every article it lists)</option></select></label>"
        );
    }
    text(&mut out, "name", "Name", &f.name, "optional");
    text(&mut out, "every", "Check every", &f.every, "10m");
    text(&mut out, "cron", "or on a cron schedule", &f.cron, "0 */15 * * * *");
    text(&mut out, "body_selector", "Body selector", &f.body_selector, "article .story");
    text(&mut out, "title_selector", "Headline selector", &f.title_selector, "h1.headline");
    for (name, label, value, hint) in [
        ("exclude_selectors", "Leave out (one CSS selector a line)", &f.exclude_selectors, ".related"),
        ("ignore", "Ignore text matching (one regular expression a line)", &f.ignore, "\\d+ minutes ago"),
    ] {
        let _ = writeln!(
            out,
            "<label>{label} <textarea name=\"{name}\" rows=\"2\" placeholder=\"{}\">{}</textarea></label>",
            escape_html(hint),
            escape_html(value)
        );
    }
    out.push_str("<fieldset><legend>Alert only on these kinds (none: every kind)</legend>");
    for k in KINDS {
        let checked = if f.alert_kinds.iter().any(|a| a == k.as_str()) { " checked" } else { "" };
        let _ = write!(
            out,
            "<label class=\"check\"><input type=\"checkbox\" name=\"alert_kinds\" value=\"{}\"{checked}> {}</label>",
            k.as_str(),
            escape_html(kind_label(k))
        );
    }
    out.push_str("</fieldset>\n");
    text(&mut out, "alert_min_significance", "Alert from significance (0 to 1)", &f.alert_min_significance, "0.1");
    out
}

/// The latest check of a watch or its articles, and the next one due.
fn health(w: &WatchRow) -> (Option<i64>, Option<i64>) {
    let last = w.last_checked.max(w.articles_last_checked);
    let next = match (w.kind.as_str(), w.next_check, w.articles_next_check) {
        ("feed", Some(a), Some(b)) => Some(a.min(b)),
        (_, a, b) => a.or(b),
    };
    (last, next)
}

/// `/watches`: every watch with its health, and the form that adds one.
pub(super) async fn watches(State(state): State<WebState>, headers: HeaderMap) -> Result<Response, Failure> {
    let list = state.read(|s| s.watches()).await?;
    let (token, set_cookie) = csrf_token(&headers);
    Ok(with_csrf(watches_page(&list, &token, &Fields::default(), None), set_cookie, StatusCode::OK))
}

fn watches_page(list: &[WatchRow], token: &str, fields: &Fields, error: Option<&str>) -> String {
    let mut body = String::from(
        "<h1>Watches</h1>\n<div class=\"table-wrap\"><table class=\"watches\">\n<thead><tr><th>Watch</th><th>State</th><th>Articles</th>\
         <th>Last check</th><th>Next check</th><th>Last error</th></tr></thead>\n<tbody>\n",
    );
    for w in list {
        let label = w.name.clone().unwrap_or_else(|| w.url.clone());
        let state_label = if w.enabled { "<span class=\"health-ok\">watching</span>" } else { "paused" };
        let error = w.last_error.as_ref().or(w.article_error.as_ref());
        let health_cell = match error {
            Some(e) => format!("<span class=\"health-bad\">{}</span>", escape_html(e)),
            None => "<span class=\"health-ok\">none</span>".to_string(),
        };
        let (last, next) = health(w);
        let _ = writeln!(
            body,
            "<tr id=\"watch-{id}\"><td><a class=\"watch-link\" href=\"/watches/{id}\">{label}</a><br><span class=\"meta\">{link} · {kind} · {schedule}{config} · <a href=\"/?watch={id}\">changes</a> · <a href=\"/watches/{id}/feed.atom\">Atom</a></span></td>\
             <td>{state_label}</td><td><a href=\"/articles?watch={id}\">{articles}</a>{failing}</td><td>{last}</td><td>{next}</td><td>{health_cell}</td></tr>",
            id = w.id,
            label = escape_html(&label),
            link = outside_link(&w.url, "open"),
            kind = escape_html(&w.kind),
            schedule = escape_html(&w.schedule),
            config = if w.from_config { " · from the config" } else { "" },
            articles = w.articles,
            failing = if w.failing_articles > 0 {
                format!(" <span class=\"health-bad\">({} failing)</span>", w.failing_articles)
            } else {
                String::new()
            },
            last = maybe_time(last),
            next = maybe_time(next),
        );
    }
    body.push_str("</tbody></table></div>\n<h2 id=\"add\">Add a watch</h2>\n");
    if let Some(e) = error {
        let _ = writeln!(body, "<p class=\"error\" role=\"alert\">{}</p>", escape_html(e));
    }
    let _ = write!(
        body,
        "<form class=\"watch-form\" method=\"post\" action=\"/watches\" aria-label=\"Add a watch\">\n{}\n{}<button type=\"submit\">Add the watch</button>\n</form>\n\
         <p class=\"muted\">The same settings as a <code>[[watch]]</code> of the config file, with the same checks. The JSON API (<code>/api/watches</code>) and <code>redline add</code> add watches too.</p>\n",
        csrf_field(token),
        fields_html(fields, true),
    );
    page("Watches", "", &body).0
}

/// `POST /watches`: adds the watch the form describes (due at once), or shows the form
/// again with the builder's message.
pub(super) async fn add(State(state): State<WebState>, headers: HeaderMap, body: Bytes) -> Result<Response, Failure> {
    let form = Form::parse(&body);
    check_post(&headers, &form)?;
    let fields = Fields::from_form(&form);
    let source = match fields.source() {
        Ok(s) => s,
        Err(message) => {
            let list = state.read(|s| s.watches()).await?;
            let (token, set_cookie) = csrf_token(&headers);
            let html = watches_page(&list, &token, &fields, Some(&message));
            return Ok(with_csrf(html, set_cookie, StatusCode::BAD_REQUEST));
        }
    };
    let now = super::now();
    let id = state.read(move |s| s.add_watch(&source, now)).await?;
    tracing::info!(watch = id, "Watch added from the page.");
    Ok(Redirect::to(&format!("/watches/{id}?done=added")).into_response())
}

/// Query of a watch page: what the last form did.
#[derive(Debug, Default, Deserialize)]
pub(super) struct WatchQuery {
    done: Option<String>,
}

/// `/watches/{id}`: one watch's health, its articles, its settings and its actions.
pub(super) async fn watch(
    State(state): State<WebState>,
    Path(watch_id): Path<i64>,
    headers: HeaderMap,
    Query(query): Query<WatchQuery>,
) -> Result<Response, Failure> {
    let flash = match query.done.as_deref() {
        Some("added") => Some("Watch added: its first check is due now."),
        Some("edited") => Some("Settings saved: they apply from the next check, due now."),
        Some("paused") => Some("Paused: no check runs until you resume it."),
        Some("resumed") => Some("Resumed: a check is due now."),
        _ => None,
    };
    watch_answer(&state, watch_id, &headers, None, flash.map(|f| (f, false)), StatusCode::OK).await
}

/// The watch page; `fields` replaces the stored settings in the form (a refused edit),
/// `message` is a notice or (true) an error.
async fn watch_answer(
    state: &WebState,
    watch_id: i64,
    headers: &HeaderMap,
    fields: Option<Fields>,
    message: Option<(&str, bool)>,
    status: StatusCode,
) -> Result<Response, Failure> {
    let (w, settings, articles) = state
        .read(move |s| {
            Ok((s.watch(watch_id)?, s.watch_settings(watch_id)?, s.article_summaries(Some(watch_id), 20, 0)?))
        })
        .await?;
    let w = w.ok_or_else(|| Failure::not_found(format!("No watch has the id {watch_id}.")))?;
    let (token, set_cookie) = csrf_token(headers);
    let label = w.name.clone().unwrap_or_else(|| w.url.clone());
    let (last, next) = health(&w);
    let state_label = match (w.removed_at, w.enabled) {
        (Some(_), _) => "removed (its history stays browsable)",
        (None, true) => "watching",
        (None, false) => "paused",
    };
    let mut body = format!(
        "<p class=\"meta\"><a href=\"/watches\">← All watches</a></p>\n<h1>{}</h1>\n<p class=\"meta\">{} · {} · {}</p>\n",
        escape_html(&label),
        outside_link(&w.url, &w.url),
        escape_html(&w.kind),
        escape_html(&w.schedule),
    );
    if let Some((text, error)) = message {
        let class = if error { "error" } else { "notice" };
        let _ = writeln!(
            body,
            "<p class=\"{class}\" role=\"{}\">{}</p>",
            if error { "alert" } else { "status" },
            escape_html(text)
        );
    }
    let error = w.last_error.as_ref().or(w.article_error.as_ref());
    let _ = writeln!(
        body,
        "<h2>Health</h2>\n<div class=\"table-wrap\"><table class=\"health\"><tbody>\n\
         <tr><th>State</th><td id=\"watch-state\">{state_label}</td></tr>\n\
         <tr><th>Last check</th><td id=\"last-check\">{}</td></tr>\n\
         <tr><th>Next check due</th><td id=\"next-check\">{}</td></tr>\n\
         <tr><th>Last error</th><td id=\"last-error\">{}</td></tr>\n\
         <tr><th>Articles</th><td>{} ({} failing)</td></tr>\n</tbody></table></div>",
        maybe_time(last),
        if w.enabled { maybe_time(next) } else { "– (paused)".to_string() },
        error.map_or_else(|| "none".to_string(), |e| format!("<span class=\"health-bad\">{}</span>", escape_html(e))),
        w.articles,
        w.failing_articles,
    );
    if !articles.is_empty() {
        body.push_str("<h2>Articles</h2>\n<ul class=\"plain articles\">\n");
        for a in &articles {
            let title = a.title.clone().unwrap_or_else(|| a.url.clone());
            let _ = writeln!(
                body,
                "<li><a href=\"/articles/{}\">{}</a> <span class=\"meta\">{} versions · last changed {}</span></li>",
                a.id,
                escape_html(&title),
                a.versions,
                maybe_time(a.last_changed)
            );
        }
        let _ = writeln!(body, "</ul>\n<p><a href=\"/articles?watch={watch_id}\">Every article of this watch</a></p>");
    }
    match (&settings, w.from_config) {
        (_, true) => body.push_str(
            "<p class=\"muted\">This watch comes from the config file, which sets it again at every start: change, pause or remove it there.</p>\n",
        ),
        (None, _) => {}
        (Some(stored), false) => {
            let csrf = csrf_field(&token);
            let (action, button) = if w.enabled { ("pause", "Pause") } else { ("resume", "Resume") };
            let _ = write!(
                body,
                "<h2>Actions</h2>\n<div class=\"actions\">\
                 <form method=\"post\" action=\"/watches/{watch_id}/{action}\">{csrf}<button type=\"submit\" id=\"{action}\">{button} this watch</button></form>\
                 <form method=\"post\" action=\"/watches/{watch_id}/remove\">{csrf}<button type=\"submit\" id=\"remove\">Remove this watch</button></form></div>\n\
                 <h2 id=\"settings\">Settings</h2>\n<form class=\"watch-form\" method=\"post\" action=\"/watches/{watch_id}/edit\" aria-label=\"Settings of this watch\">\n{csrf}\n{}<button type=\"submit\">Save the settings</button>\n</form>\n",
                fields_html(&fields.unwrap_or_else(|| Fields::from_stored(stored)), false),
            );
        }
    }
    let _ = writeln!(
        body,
        "<p><a href=\"/api/watches/{watch_id}\">JSON</a> · <a href=\"/watches/{watch_id}/feed.atom\">Atom</a></p>"
    );
    Ok(with_csrf(page(&label, "", &body).0, set_cookie, status))
}

/// `POST /watches/{id}/edit`: new schedule, selectors, ignore and alert rules.
pub(super) async fn edit(
    State(state): State<WebState>,
    Path(watch_id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let form = Form::parse(&body);
    check_post(&headers, &form)?;
    let stored = state.read(move |s| s.watch_settings(watch_id)).await?;
    let stored = stored.ok_or_else(|| Failure::not_found(format!("No watch has the id {watch_id}.")))?;
    // What is watched stays; the rest is the form's.
    let fields = Fields { kind: stored.kind.clone(), url: stored.url.clone(), ..Fields::from_form(&form) };
    let source = match fields.source() {
        Ok(s) if s.kind == source_kind(&stored.kind) => s,
        Ok(_) => return Err(Failure::bad_request("a watch cannot change between article and feed: add a new one")),
        Err(message) => {
            let refused = Some((message.as_str(), true));
            return watch_answer(&state, watch_id, &headers, Some(fields), refused, StatusCode::BAD_REQUEST).await;
        }
    };
    let now = super::now();
    let outcome = state.read(move |s| s.edit_watch(watch_id, &source, now)).await?;
    if let Some(f) = Failure::refusal(outcome, watch_id) {
        return Err(f);
    }
    Ok(Redirect::to(&format!("/watches/{watch_id}?done=edited")).into_response())
}

fn source_kind(stored: &str) -> SourceKind {
    if stored == "feed" { SourceKind::Feed } else { SourceKind::Article }
}

async fn set_enabled(
    state: WebState,
    watch_id: i64,
    headers: HeaderMap,
    body: Bytes,
    enabled: bool,
) -> Result<Response, Failure> {
    check_post(&headers, &Form::parse(&body))?;
    let now = super::now();
    let outcome = state.read(move |s| s.set_watch_enabled(watch_id, enabled, now)).await?;
    if let Some(f) = Failure::refusal(outcome, watch_id) {
        return Err(f);
    }
    let done = if enabled { "resumed" } else { "paused" };
    Ok(Redirect::to(&format!("/watches/{watch_id}?done={done}")).into_response())
}

/// `POST /watches/{id}/pause`.
pub(super) async fn pause(
    State(state): State<WebState>,
    Path(watch_id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    set_enabled(state, watch_id, headers, body, false).await
}

/// `POST /watches/{id}/resume`: due at once.
pub(super) async fn resume(
    State(state): State<WebState>,
    Path(watch_id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    set_enabled(state, watch_id, headers, body, true).await
}

/// `POST /watches/{id}/remove`: stops watching; recorded history stays browsable.
pub(super) async fn remove(
    State(state): State<WebState>,
    Path(watch_id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    check_post(&headers, &Form::parse(&body))?;
    let now = super::now();
    let outcome = state.read(move |s| s.remove_watch(watch_id, now)).await?;
    if let Some(f) = Failure::refusal(outcome, watch_id) {
        return Err(f);
    }
    Ok(Redirect::to("/watches").into_response())
}

/// `POST /api/watches/{id}/edit`: the JSON twin of the settings form (the same keys as a
/// `[[watch]]`: `every`, `cron`, `name`, selectors, `ignore`, `alert_*`).
pub(super) async fn api_edit(state: &WebState, watch_id: i64, body: serde_json::Value) -> Result<WatchRow, Failure> {
    let mut table: toml::Table = serde_json::from_value(body).map_err(|e| {
        Failure::bad_request(format!(
            "the body must be a JSON object of watch settings like {{\"every\": \"15m\"}}: {e}"
        ))
    })?;
    let stored = state.read(move |s| s.watch_settings(watch_id)).await?;
    let stored = stored.ok_or_else(|| Failure::not_found(format!("no watch has the id {watch_id}")))?;
    if table.contains_key("url") || table.contains_key("feed") {
        return Err(Failure::bad_request("what a watch watches cannot change: add a new watch"));
    }
    let target = if stored.kind == "feed" { "feed" } else { "url" };
    table.insert(target.into(), toml::Value::String(stored.url.clone()));
    let source = crate::watch::from_table(table).map_err(|e| Failure::bad_request(e.to_string()))?;
    let now = super::now();
    let (outcome, w) = state.read(move |s| Ok((s.edit_watch(watch_id, &source, now)?, s.watch(watch_id)?))).await?;
    if let Some(f) = Failure::refusal(outcome, watch_id) {
        return Err(f);
    }
    w.ok_or_else(|| Failure::not_found(format!("no watch has the id {watch_id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_become_the_config_table() {
        let form = Form::parse(
            b"csrf=x&kind=feed&url=https%3A%2F%2Fnews.example%2Frss.xml&every=+15m+&cron=&ignore=%5Cd%2B+min%0D%0A%0D%0Aago&alert_kinds=correction&alert_kinds=fact&alert_min_significance=0.2",
        );
        let f = Fields::from_form(&form);
        let t = f.table();
        assert_eq!(t.get("feed").and_then(|v| v.as_str()), Some("https://news.example/rss.xml"));
        assert_eq!(t.get("every").and_then(|v| v.as_str()), Some("15m"));
        assert!(!t.contains_key("cron") && !t.contains_key("url"));
        assert_eq!(t.get("ignore").and_then(|v| v.as_array()).map(Vec::len), Some(2));
        assert_eq!(t.get("alert_min_significance").and_then(|v| v.as_float()), Some(0.2));
        let source = f.source().unwrap();
        assert_eq!((source.kind, source.schedule.as_str()), (SourceKind::Feed, "every 15m"));
        // Stored and shown again, the settings are the same.
        let stored = WatchSettings {
            kind: "feed".into(),
            url: source.url.clone(),
            schedule: source.schedule.clone(),
            rules: source.rules.clone(),
            from_config: false,
        };
        let again = Fields::from_stored(&stored);
        assert_eq!(again.source().unwrap(), source);
        assert_eq!(again.alert_kinds, vec!["correction", "fact"]);
        let bad = Fields { alert_min_significance: "lots".into(), ..again };
        assert!(bad.source().unwrap_err().contains("alert_min_significance"), "{:?}", bad.source());
    }

    #[test]
    fn a_post_needs_the_browser_token_and_our_origin() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        let token = "0123456789abcdef0123456789abcdef";
        let form = Form::parse(format!("csrf={token}").as_bytes());
        assert!(check_post(&h, &form).is_err(), "no cookie");
        h.insert(header::COOKIE, HeaderValue::from_str(&format!("a=b; {CSRF_COOKIE}={token}")).unwrap());
        assert!(check_post(&h, &form).is_ok());
        assert_eq!(csrf_token(&h), (token.to_string(), None));
        assert!(check_post(&h, &Form::parse(b"csrf=wrong")).is_err());
        assert!(check_post(&h, &Form::parse(b"")).is_err());
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:8080"));
        assert!(check_post(&h, &form).is_ok());
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(check_post(&h, &form).is_ok(), "our no-referrer pages post with a null origin");
        assert!(check_post(&h, &Form::parse(b"csrf=wrong")).is_err());
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        let refused = check_post(&h, &form).unwrap_err();
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let (fresh, cookie) = csrf_token(&HeaderMap::new());
        assert_eq!(fresh.len(), 32);
        assert!(cookie.unwrap().to_str().unwrap().contains("SameSite=Strict"));
    }
}
