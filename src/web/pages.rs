//! The HTML pages: recent changes, articles, an article's timeline, a version
//! with the change that produced it, watches with their health, and search.
//! Server-rendered, no JavaScript.

use std::fmt::Write;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::html::{KINDS, cookie, host_of, kind_badges, maybe_time, outside_link, page, parse_kind, q, time};
use super::{DEFAULT_LIMIT, Failure, MAX_LIMIT, RAW_CSP, WebState};
use crate::diff::Change;
use crate::diff::render::render_html_edit_nav;
use crate::diff::{render_html_fields, render_html_inline, render_html_paragraph, render_html_side};
use crate::store::browse::ChangeFilter;
use crate::store::search::{SearchHit, fts_query};
use crate::text::escape_html;

/// Filters of the change lists, as they come in a query string (HTML forms send empty fields).
#[derive(Debug, Default, Clone, Deserialize)]
pub(super) struct ChangesQuery {
    /// An edit kind (`headline`, `editors_note`…).
    pub kind: Option<String>,
    /// A watch id.
    pub watch: Option<String>,
    /// A host (`news.example.com`).
    pub outlet: Option<String>,
    /// `YYYY-MM-DD`, RFC 3339 or unix seconds.
    pub since: Option<String>,
    /// `YYYY-MM-DD` (that whole day included), RFC 3339 or unix seconds.
    pub until: Option<String>,
    /// Cursor: changes with a smaller id.
    pub before: Option<String>,
    /// Page size, at most [`MAX_LIMIT`].
    pub limit: Option<String>,
}

pub(super) fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub(super) fn parse_id(name: &str, v: &Option<String>) -> Result<Option<i64>, Failure> {
    present(v)
        .map(|s| s.parse::<i64>().map_err(|_| Failure::bad_request(format!("`{name}` must be a number, not {s:?}"))))
        .transpose()
}

/// The page size asked for, bounded.
pub(super) fn parse_limit(v: &Option<String>) -> Result<usize, Failure> {
    Ok(parse_id("limit", v)?.map_or(DEFAULT_LIMIT, |n| n.clamp(1, MAX_LIMIT as i64) as usize))
}

/// A time bound: a day, an RFC 3339 instant or unix seconds. `end_of_day` moves a bare day to its end.
fn parse_time(name: &str, v: &Option<String>, end_of_day: bool) -> Result<Option<i64>, Failure> {
    let Some(s) = present(v) else { return Ok(None) };
    if let Ok(n) = s.parse::<i64>() {
        return Ok(Some(n));
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.timestamp()));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let start = d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp();
        return Ok(Some(if end_of_day { start + 86_400 } else { start }));
    }
    Err(Failure::bad_request(format!(
        "`{name}` must be a date (2026-11-26), an RFC 3339 time or unix seconds, not {s:?}"
    )))
}

impl ChangesQuery {
    /// The store filter.
    pub fn filter(&self) -> Result<ChangeFilter, Failure> {
        let kind = match present(&self.kind) {
            Some(k) => Some(parse_kind(k).ok_or_else(|| {
                let names: Vec<_> = KINDS.iter().map(|k| k.as_str()).collect();
                Failure::bad_request(format!("unknown kind {k:?}; kinds are {}", names.join(", ")))
            })?),
            None => None,
        };
        Ok(ChangeFilter {
            kind,
            source_id: parse_id("watch", &self.watch)?,
            article_id: None,
            outlet: present(&self.outlet).map(str::to_string),
            since: parse_time("since", &self.since, false)?,
            until: parse_time("until", &self.until, true)?,
            before: parse_id("before", &self.before)?,
            limit: parse_limit(&self.limit)?,
        })
    }

    /// The query string of these filters with another cursor (None: the first page).
    pub fn with_before(&self, before: Option<i64>) -> String {
        let mut parts = Vec::new();
        for (name, v) in [
            ("kind", &self.kind),
            ("watch", &self.watch),
            ("outlet", &self.outlet),
            ("since", &self.since),
            ("until", &self.until),
            ("limit", &self.limit),
        ] {
            if let Some(v) = present(v) {
                parts.push(format!("{name}={}", q(v)));
            }
        }
        if let Some(b) = before {
            parts.push(format!("before={b}"));
        }
        parts.join("&")
    }
}

/// `/`: recent changes, filtered and paged.
pub(super) async fn changes(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(query): Query<ChangesQuery>,
) -> Result<Response, Failure> {
    // The last visit, remembered by the browser (no account): what came after it is marked new.
    let seen = cookie(&headers, SEEN_COOKIE).and_then(|v| v.parse::<i64>().ok());
    let filter = query.filter()?;
    let limit = filter.limit;
    let (changes, watches) = state.read(move |s| Ok((s.recent_changes(&filter)?, s.watch_names()?))).await?;
    let mut body = String::from("<h1>Recent changes</h1>\n");
    // Filters.
    body.push_str("<form class=\"filters\" method=\"get\" action=\"/\">\n<label>Kind <select name=\"kind\"><option value=\"\">any</option>");
    let selected_kind = present(&query.kind).unwrap_or("");
    for k in KINDS {
        let sel = if k.as_str() == selected_kind { " selected" } else { "" };
        let _ = write!(
            body,
            "<option value=\"{0}\"{sel}>{1}</option>",
            k.as_str(),
            escape_html(super::html::kind_label(k))
        );
    }
    body.push_str("</select></label>\n<label>Watch <select name=\"watch\"><option value=\"\">any</option>");
    let selected_watch = present(&query.watch).unwrap_or("");
    for (id, label) in &watches {
        let sel = if id.to_string() == selected_watch { " selected" } else { "" };
        let _ = write!(body, "<option value=\"{id}\"{sel}>{}</option>", escape_html(label));
    }
    let _ = write!(
        body,
        "</select></label>\n<label>Outlet <input name=\"outlet\" value=\"{}\" placeholder=\"news.example.com\" size=\"16\"></label>\n\
         <label>Since <input type=\"date\" name=\"since\" value=\"{}\"></label>\n\
         <label>Until <input type=\"date\" name=\"until\" value=\"{}\"></label>\n\
         <button type=\"submit\">Filter</button>\n</form>\n",
        escape_html(present(&query.outlet).unwrap_or("")),
        escape_html(present(&query.since).unwrap_or("")),
        escape_html(present(&query.until).unwrap_or("")),
    );
    if let Some(seen) = seen {
        let fresh = changes.iter().filter(|c| c.created_at > seen).count();
        let _ = writeln!(
            body,
            "<p class=\"since\">Your last visit: {} · {fresh} new on this page · <a href=\"/?since={seen}\">Only what is new since then</a></p>",
            time(seen)
        );
    }
    if changes.is_empty() {
        body.push_str("<p class=\"muted\">No change recorded matches. Redline records a change when a watched article is edited.</p>\n");
    }
    body.push_str("<ol class=\"changes\">\n");
    for c in &changes {
        let href = format!("/articles/{}/versions/{}", c.article_id, c.to_number);
        let title = c.title.clone().unwrap_or_else(|| c.article_url.clone());
        let host = host_of(&c.article_url);
        let fresh = seen.is_some_and(|s| c.created_at > s);
        let _ = writeln!(
            body,
            "<li class=\"change{new_class}\" id=\"change-{id}\">{new_badge}<a class=\"title\" href=\"{href}\">{title}</a><br>\n\
             <span class=\"meta\"><a href=\"/?outlet={hostq}\">{host}</a> · {when} · <a href=\"/articles/{aid}\">v{from} → v{to}</a> · {sig:.0}% changed</span><br>\n\
             {kinds} <span class=\"summary\">{summary}</span></li>",
            id = c.id,
            new_class = if fresh { " new" } else { "" },
            new_badge = if fresh { "<span class=\"new-badge\">new</span> " } else { "" },
            title = escape_html(&title),
            hostq = q(&host),
            host = escape_html(&host),
            when = time(c.created_at),
            aid = c.article_id,
            from = c.from_number,
            to = c.to_number,
            sig = c.significance * 100.0,
            kinds = kind_badges(&c.kinds),
            summary = escape_html(&c.summary),
        );
    }
    body.push_str("</ol>\n<nav class=\"pager\">");
    if query.before.as_deref().is_some_and(|b| !b.trim().is_empty()) {
        let _ = write!(body, "<a href=\"/?{}\">← Newest</a>", escape_html(&query.with_before(None)));
    } else {
        body.push_str("<span></span>");
    }
    if changes.len() == limit
        && let Some(last) = changes.last()
    {
        let _ = write!(
            body,
            "<a rel=\"next\" href=\"/?{}\">Older changes →</a>",
            escape_html(&query.with_before(Some(last.id)))
        );
    }
    body.push_str("</nav>\n");
    if let Ok(Some(id)) = parse_id("watch", &query.watch) {
        let _ = writeln!(body, "<p><a href=\"/watches/{id}/feed.atom\">Atom feed of this watch</a></p>");
    }
    let mut r = page("Recent changes", "", &body).into_response();
    let visit = format!("{SEEN_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly", super::now());
    if let Ok(v) = HeaderValue::from_str(&visit) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// The cookie that remembers when this browser last opened the change list (unix seconds).
const SEEN_COOKIE: &str = "redline_seen";

/// Query of the article list.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ArticlesQuery {
    watch: Option<String>,
    page: Option<String>,
}

const ARTICLES_PER_PAGE: usize = 50;

/// `/articles`: every article, most recently changed first.
pub(super) async fn articles(
    State(state): State<WebState>,
    Query(query): Query<ArticlesQuery>,
) -> Result<Html<String>, Failure> {
    let watch = parse_id("watch", &query.watch)?;
    let page_no = parse_id("page", &query.page)?.unwrap_or(1).max(1) as usize;
    let offset = (page_no - 1) * ARTICLES_PER_PAGE;
    let list = state.read(move |s| s.article_summaries(watch, ARTICLES_PER_PAGE, offset)).await?;
    let mut body = String::from(
        "<h1>Articles</h1>\n<div class=\"table-wrap\"><table>\n<thead><tr><th>Article</th><th>Versions</th><th class=\"hide-narrow\">Last changed</th><th class=\"hide-narrow\">Last checked</th></tr></thead>\n<tbody>\n",
    );
    for a in &list {
        let title = a.title.clone().unwrap_or_else(|| a.url.clone());
        let health = match &a.last_error {
            Some(e) if a.failures > 0 => {
                format!(" <span class=\"health-bad\" title=\"{}\">failing</span>", escape_html(e))
            }
            _ => String::new(),
        };
        let _ = writeln!(
            body,
            "<tr><td><a href=\"/articles/{}\">{}</a>{health}<br><span class=\"meta\">{}</span></td><td>{}</td><td class=\"hide-narrow\">{}</td><td class=\"hide-narrow\">{}</td></tr>",
            a.id,
            escape_html(&title),
            escape_html(&host_of(&a.url)),
            a.versions,
            maybe_time(a.last_changed),
            maybe_time(a.last_checked),
        );
    }
    body.push_str("</tbody></table></div>\n<nav class=\"pager\">");
    let watch_q = watch.map(|w| format!("watch={w}&")).unwrap_or_default();
    if page_no > 1 {
        let _ = write!(body, "<a href=\"/articles?{watch_q}page={}\">← Newer</a>", page_no - 1);
    } else {
        body.push_str("<span></span>");
    }
    if list.len() == ARTICLES_PER_PAGE {
        let _ = write!(body, "<a rel=\"next\" href=\"/articles?{watch_q}page={}\">Older →</a>", page_no + 1);
    }
    body.push_str("</nav>\n");
    Ok(page("Articles", "", &body))
}

/// `/articles/{id}`: the timeline of one article.
pub(super) async fn article(
    State(state): State<WebState>,
    Path(article_id): Path<i64>,
) -> Result<Html<String>, Failure> {
    let (article, timeline) =
        state.read(move |s| Ok((s.article_summary(article_id)?, s.timeline(article_id)?))).await?;
    let article = article.ok_or_else(|| Failure::not_found(format!("No article has the id {article_id}.")))?;
    let title = article.title.clone().unwrap_or_else(|| article.url.clone());
    let mut body = format!(
        "<h1>{}</h1>\n<p class=\"meta\">{} · watched through {} · first seen {} · last checked {} · next check {}</p>\n",
        escape_html(&title),
        outside_link(&article.url, &article.url),
        outside_link(&article.source_url, &host_of(&article.source_url)),
        time(article.first_seen),
        maybe_time(article.last_checked),
        maybe_time(article.next_check),
    );
    if let Some(e) = &article.last_error {
        let _ = writeln!(
            body,
            "<p class=\"error\">The last check failed ({} in a row): {}</p>",
            article.failures,
            escape_html(e)
        );
    }
    let _ = writeln!(body, "<h2>{} versions, {} changes</h2>", article.versions, article.changes);
    body.push_str(&super::arc::timeline_svg(article.id, &timeline));
    if article.versions > 1 {
        body.push_str(&super::arc::picker(article.id, &timeline, 1, article.versions, false));
    }
    body.push_str("<h2>Headlines</h2>\n");
    body.push_str(&super::arc::headline_history(&timeline));
    // Issue 15: a display headline that is not the search or social one.
    let stored = state.read(move |s| s.latest_headlines(article_id)).await?;
    body.push_str(&stored.as_deref().and_then(crate::signals::headlines::divergence_html).unwrap_or_default());
    body.push_str("<h2>Every version</h2>\n");
    body.push_str("<div class=\"table-wrap\"><table class=\"timeline\">\n<thead><tr><th>Version</th><th>Fetched</th><th>What changed</th></tr></thead>\n<tbody>\n");
    for v in &timeline {
        let what = match &v.summary {
            Some(summary) => format!(
                "{} {}<br><span class=\"meta\">{:.0}% changed</span>",
                kind_badges(&v.kinds),
                escape_html(summary),
                v.significance.unwrap_or(0.0) * 100.0
            ),
            None if v.number == 1 => "<span class=\"muted\">First version seen</span>".to_string(),
            None => String::new(),
        };
        let _ = writeln!(
            body,
            "<tr><td><a href=\"/articles/{}/versions/{}\">v{}</a></td><td>{}</td><td>{}<br><span class=\"meta\">{}</span></td></tr>",
            article.id,
            v.number,
            v.number,
            time(v.fetched_at),
            what,
            escape_html(v.title.as_deref().unwrap_or("")),
        );
    }
    body.push_str("</tbody></table></div>\n");
    let _ = writeln!(body, "<p><a href=\"/api/articles/{}\">JSON</a></p>", article.id);
    Ok(page(&title, "", &body))
}

/// Query of the version page.
#[derive(Debug, Default, Deserialize)]
pub(super) struct VersionQuery {
    /// `side` for the side-by-side view.
    view: Option<String>,
}

/// Raw pages longer than this are cut on the version page (the full one is at `/raw`).
const RAW_SHOWN: usize = 64 * 1024;

/// `/articles/{id}/versions/{n}`: one version and the change that produced it.
pub(super) async fn version(
    State(state): State<WebState>,
    Path((article_id, number)): Path<(i64, i64)>,
    Query(query): Query<VersionQuery>,
) -> Result<Html<String>, Failure> {
    let (article, version, change, raw) = state
        .read(move |s| {
            Ok((
                s.article_summary(article_id)?,
                s.version(article_id, number)?,
                s.change_to_version(article_id, number)?,
                s.raw_html_zstd(article_id, number)?,
            ))
        })
        .await?;
    let article = article.ok_or_else(|| Failure::not_found(format!("No article has the id {article_id}.")))?;
    let version = version.ok_or_else(|| {
        Failure::not_found(format!("This article has no version {number} (it has {}).", article.versions))
    })?;
    let a = &version.article;
    let title = a.title.clone().unwrap_or_else(|| article.url.clone());
    let side = query.view.as_deref() == Some("side");
    let base = format!("/articles/{article_id}/versions/{number}");
    let mut body = format!(
        "<p class=\"meta\"><a href=\"/articles/{article_id}\">← All versions of this article</a></p>\n<h1>{}</h1>\n\
         <p class=\"meta\">Version {number} of {} · fetched {} · {}</p>\n",
        escape_html(&title),
        article.versions,
        time(version.fetched_at),
        outside_link(&article.url, &host_of(&article.url)),
    );
    if state.read(move |s| s.imported_versions(article_id)).await?.contains(&number) {
        body.push_str(
            "<p class=\"meta imported\">Imported from a web archive (<code>redline import --warc</code>): \
             the date is the archive's capture date, not a check by Redline.</p>\n",
        );
    }
    body.push_str("<nav class=\"pager\">");
    if number > 1 {
        let _ = write!(body, "<a href=\"/articles/{article_id}/versions/{}\">← Version {}</a>", number - 1, number - 1);
    } else {
        body.push_str("<span></span>");
    }
    if number < article.versions {
        let _ = write!(body, "<a href=\"/articles/{article_id}/versions/{}\">Version {} →</a>", number + 1, number + 1);
    }
    body.push_str("</nav>\n");
    if let Some(snapshot) = state.read(move |s| s.snapshot_url(article_id, number)).await? {
        let link = escape_html(&snapshot);
        let _ = writeln!(body, "<p class=\"snapshot\">Internet Archive snapshot: <a href=\"{link}\">{link}</a></p>");
    }
    match &change {
        Some(c) => {
            body.push_str(&change_section(&ChangeView {
                from: c.from_number,
                to: c.to_number,
                change: &c.change,
                recorded: Some(c.created_at),
                inline_href: format!("{base}#change"),
                side_href: format!("{base}?view=side#change"),
                side,
            }));
            body.push_str(&super::cards::section(&article.url, a.title.as_deref(), c));
        }
        None if number == 1 => body
            .push_str("<p class=\"muted\">The first version Redline saw: there is nothing before it to compare.</p>\n"),
        None => body.push_str("<p class=\"muted\">No change is recorded for this version.</p>\n"),
    }
    // The version itself, its screenshot beside it.
    let shot = super::shots::section(&state, article_id, number).await?;
    if !shot.is_empty() {
        body.push_str("<div class=\"with-shot\">\n");
    }
    let _ = writeln!(body, "<section id=\"text\" class=\"version-text\">\n<h2>Text of version {number}</h2>");
    body.push_str("<div class=\"table-wrap\"><table class=\"meta-fields\"><tbody>\n");
    for (label, value) in [
        ("Headline", &a.title),
        ("Byline", &a.byline),
        ("Published", &a.published),
        ("Modified", &a.modified),
        ("Language", &a.lang),
        ("Canonical", &a.canonical_url),
    ] {
        if let Some(v) = value {
            let _ = writeln!(body, "<tr><th>{label}</th><td>{}</td></tr>", escape_html(v));
        }
    }
    body.push_str("</tbody></table></div>\n<div class=\"paragraphs\">\n");
    for p in &a.paragraphs {
        body.push_str(&render_html_paragraph(p));
    }
    body.push_str("</div>\n</section>\n");
    if !shot.is_empty() {
        body.push_str(&shot);
        body.push_str("</div>\n");
    }
    // The stored page, as text only.
    if let Some(z) = raw {
        let text = decompress(&z);
        let shown = cut(&text, RAW_SHOWN);
        let _ = writeln!(
            body,
            "<section id=\"raw\"><h2>Stored page</h2>\n<details><summary>Source of the page as fetched ({} bytes), shown as text</summary>\n<pre class=\"raw\">{}{}</pre></details>\n\
             <p><a href=\"{base}/raw\">Whole source as plain text</a></p></section>",
            text.len(),
            escape_html(shown),
            if shown.len() < text.len() { "\n…" } else { "" },
        );
    }
    let _ = writeln!(body, "<p><a href=\"/api/articles/{article_id}/versions/{number}\">JSON</a></p>");
    Ok(page(&title, "", &body))
}

fn decompress(z: &[u8]) -> String {
    match zstd::decode_all(z) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => format!("(the stored page could not be decompressed: {e})"),
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `/articles/{id}/versions/{n}/raw`: the stored page as `text/plain`, sandboxed.
pub(super) async fn raw(
    State(state): State<WebState>,
    Path((article_id, number)): Path<(i64, i64)>,
) -> Result<Response, Failure> {
    let raw = state.read(move |s| s.raw_html_zstd(article_id, number)).await?;
    let z = raw.ok_or_else(|| Failure::not_found("No page source is stored for this version."))?;
    let mut r = decompress(&z).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(RAW_CSP));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    Ok(r)
}

/// `/changes/{id}`: the version page of the change.
pub(super) async fn change(State(state): State<WebState>, Path(change_id): Path<i64>) -> Result<Redirect, Failure> {
    let c = state.read(move |s| s.change_summary(change_id)).await?;
    let c = c.ok_or_else(|| Failure::not_found(format!("No change has the id {change_id}.")))?;
    Ok(Redirect::to(&format!("/articles/{}/versions/{}", c.article_id, c.to_number)))
}

/// A change as a page shows it: between which versions, when it was recorded (None when
/// computed for the page), and the links of its two views.
pub(super) struct ChangeView<'a> {
    pub from: i64,
    pub to: i64,
    pub change: &'a Change,
    pub recorded: Option<i64>,
    pub inline_href: String,
    pub side_href: String,
    pub side: bool,
}

/// The change section of a version or compare page: summary, notices, metadata apart,
/// then the body, with links to each edit (Tab also moves from edit to edit).
pub(super) fn change_section(v: &ChangeView<'_>) -> String {
    let ch = v.change;
    let when = match v.recorded {
        Some(t) => format!("Recorded {}", time(t)),
        None => "Compared now by the diff engine".to_string(),
    };
    let mut out = format!(
        "<section id=\"change\" class=\"change\">\n<h2>What changed from version {} to version {}</h2>\n\
         <p>{} <span class=\"summary\">{}</span></p>\n<p class=\"meta\">{when} · {:.0}% changed</p>\n",
        v.from,
        v.to,
        kind_badges(&ch.kinds),
        escape_html(if ch.changed { &ch.summary } else { "No change" }),
        ch.significance * 100.0,
    );
    for note in &ch.notes {
        let _ = writeln!(out, "<aside class=\"notice\"><strong>Notice:</strong> {}</aside>", escape_html(note));
    }
    let fields = render_html_fields(ch);
    if !fields.is_empty() {
        out.push_str("<h3>Headline and metadata</h3>\n");
        out.push_str(&fields);
    }
    if ch.blocks.is_empty() {
        out.push_str("<p class=\"muted\">The text did not change.</p>\n");
    } else {
        out.push_str("<h3>Text</h3>\n<p class=\"views\">");
        if v.side {
            let _ = write!(out, "<a href=\"{}\">Inline</a> <strong>Side by side</strong>", escape_html(&v.inline_href));
        } else {
            let _ = write!(out, "<strong>Inline</strong> <a href=\"{}\">Side by side</a>", escape_html(&v.side_href));
        }
        out.push_str("</p>\n");
        out.push_str(&render_html_edit_nav(ch));
        if v.side {
            let (from, to) = (format!("Version {}", v.from), format!("Version {}", v.to));
            out.push_str(&render_html_side(ch, &from, &to));
        } else {
            out.push_str(&render_html_inline(ch));
        }
    }
    out.push_str("</section>\n");
    out
}

/// Query of the search page.
#[derive(Debug, Default, Deserialize)]
pub(super) struct SearchQuery {
    /// What to look for.
    pub q: Option<String>,
    /// Page size.
    pub limit: Option<String>,
}

/// The snippet of a hit as HTML: escaped, the matches in `<mark>`, the stored JSON punctuation gone.
pub(super) fn snippet_html(hit: &SearchHit) -> String {
    escape_html(&snippet_text(&hit.snippet)).replace('\u{e000}', "<mark>").replace('\u{e001}', "</mark>")
}

/// The snippet as text (paragraphs are stored as a JSON list; FTS5 cuts it anywhere).
pub(super) fn snippet_text(s: &str) -> String {
    let s = s.trim_start_matches("[\"").trim_end_matches("\"]");
    s.replace("\",\"", " ¶ ").replace("\\\"", "\"").replace("\\\\", "\\")
}

/// `/search?q=`: full-text search over headlines and text.
pub(super) async fn search(
    State(state): State<WebState>,
    Query(query): Query<SearchQuery>,
) -> Result<Html<String>, Failure> {
    let text = query.q.clone().unwrap_or_default();
    let limit = parse_limit(&query.limit)?;
    let mut body = String::from("<h1>Search</h1>\n");
    match fts_query(&text) {
        None => body.push_str("<p class=\"muted\">Type words to find in headlines and article text.</p>\n"),
        Some(fts) => {
            let hits = state.read(move |s| s.search(&fts, limit)).await?;
            let _ = writeln!(
                body,
                "<p class=\"meta\">{} articles match “{}”.</p>\n<ol class=\"changes\">",
                hits.len(),
                escape_html(&text)
            );
            for h in &hits {
                let title = h.title.clone().unwrap_or_else(|| h.url.clone());
                let _ = writeln!(
                    body,
                    "<li><a class=\"title\" href=\"/articles/{aid}/versions/{n}\">{title}</a><br><span class=\"meta\">{host} · version {n} · {when}</span><br><span class=\"snippet\">{snippet}</span></li>",
                    aid = h.article_id,
                    n = h.number,
                    title = escape_html(&title),
                    host = escape_html(&host_of(&h.url)),
                    when = time(h.fetched_at),
                    snippet = snippet_html(h),
                );
            }
            body.push_str("</ol>\n");
        }
    }
    Ok(page("Search", &text, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_leniently_and_refuse_nonsense() {
        let q = ChangesQuery {
            kind: Some("".into()),
            watch: Some(" 3 ".into()),
            until: Some("2026-11-26".into()),
            ..Default::default()
        };
        let f = q.filter().unwrap();
        assert_eq!((f.kind, f.source_id, f.limit), (None, Some(3), DEFAULT_LIMIT));
        assert_eq!(f.until, Some(1_795_651_200 + 86_400));
        let bad = ChangesQuery { kind: Some("gossip".into()), ..Default::default() };
        assert!(bad.filter().unwrap_err().message.contains("editors_note"));
        let bad = ChangesQuery { since: Some("yesterday".into()), ..Default::default() };
        assert!(bad.filter().is_err());
        assert_eq!(
            ChangesQuery { outlet: Some("a b".into()), ..Default::default() }.with_before(Some(9)),
            "outlet=a+b&before=9"
        );
    }

    #[test]
    fn snippets_are_escaped_before_the_marks_go_in() {
        let hit = SearchHit {
            article_id: 1,
            url: String::new(),
            number: 1,
            fetched_at: 0,
            title: None,
            snippet: "[\"<script>\u{e000}alert\u{e001}(1)</script>\",\"next\"]".into(),
        };
        assert_eq!(snippet_html(&hit), "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt; ¶ next");
    }
}
