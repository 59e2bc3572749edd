//! The page shell, the stylesheet and small rendering helpers. Every value that
//! comes from an article, a watch or a request goes through [`escape_html`].

use std::fmt::Write;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::diff::EditKind;
use crate::text::escape_html;

/// Every edit kind, in the order lists show them.
pub const KINDS: [EditKind; 12] = [
    EditKind::Headline,
    EditKind::Byline,
    EditKind::Dates,
    EditKind::EditorsNote,
    EditKind::Correction,
    EditKind::Addition,
    EditKind::Removal,
    EditKind::Rewording,
    EditKind::Fact,
    EditKind::Typo,
    EditKind::Unannounced,
    EditKind::HeadlineTest,
];

/// The kind with this contract name.
pub fn parse_kind(s: &str) -> Option<EditKind> {
    KINDS.iter().copied().find(|k| k.as_str() == s)
}

/// A kind for people: "editor's note".
pub fn kind_label(k: EditKind) -> &'static str {
    match k {
        EditKind::Headline => "headline",
        EditKind::Byline => "byline",
        EditKind::Dates => "dates",
        EditKind::EditorsNote => "editor's note",
        EditKind::Correction => "correction",
        EditKind::Addition => "addition",
        EditKind::Removal => "removal",
        EditKind::Rewording => "rewording",
        EditKind::Fact => "fact",
        EditKind::Typo => "typo",
        EditKind::Unannounced => "unannounced",
        EditKind::HeadlineTest => "headline test",
    }
}

/// The kinds as badges.
pub fn kind_badges(kinds: &[EditKind]) -> String {
    let mut out = String::from("<span class=\"kinds\">");
    for k in kinds {
        let _ = write!(out, "<span class=\"kind kind-{}\">{}</span>", k.as_str(), escape_html(kind_label(*k)));
    }
    out.push_str("</span>");
    out
}

/// RFC 3339 (UTC) of unix seconds.
pub fn rfc3339(t: i64) -> String {
    DateTime::<Utc>::from_timestamp(t, 0).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A `<time>` element: "2026-11-26 09:14 UTC".
pub fn time(t: i64) -> String {
    let d = DateTime::<Utc>::from_timestamp(t, 0).unwrap_or_default();
    format!("<time datetime=\"{}\">{}</time>", rfc3339(t), d.format("%Y-%m-%d %H:%M UTC"))
}

/// [`time`], or a dash.
pub fn maybe_time(t: Option<i64>) -> String {
    t.map_or_else(|| "–".to_string(), time)
}

/// The host (and port) of a URL, for the outlet column and filter.
pub fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_default()
}

/// A link to an outside page: never sends the referrer, never gives the page a handle on ours.
pub fn outside_link(url: &str, text: &str) -> String {
    // Only http(s) becomes a link: a stored `javascript:` URL stays text.
    if url.starts_with("http://") || url.starts_with("https://") {
        format!("<a href=\"{}\" rel=\"noopener noreferrer nofollow\">{}</a>", escape_html(url), escape_html(text))
    } else {
        escape_html(text)
    }
}

/// The value of the cookie `name` the request carries.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// Percent-encodes a query value.
pub fn q(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A whole page.
pub fn page(title: &str, search: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<meta name=\"referrer\" content=\"no-referrer\">
<title>{title} · Redline</title>
<link rel=\"stylesheet\" href=\"/style.css\">
<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/feed.atom\" title=\"Redline: every change\">
</head>
<body>
<a class=\"skip\" href=\"#main\">Skip to the content</a>
<header class=\"top\">
<nav aria-label=\"Main\">
<a class=\"brand\" href=\"/\">Redline</a>
<a href=\"/\">Changes</a>
<a href=\"/articles\">Articles</a>
<a href=\"/watches\">Watches</a>
<a href=\"/feed.atom\">Atom</a>
</nav>
<form class=\"search\" action=\"/search\" method=\"get\" role=\"search\">
<input type=\"search\" name=\"q\" value=\"{search}\" placeholder=\"Search headlines and text\" aria-label=\"Search\">
<button type=\"submit\">Search</button>
</form>
</header>
<main id=\"main\">
{body}
</main>
<footer>Redline records every edit of the articles it watches. <a href=\"/api/changes\">JSON API</a> · <a href=\"/metrics\">metrics</a></footer>
</body>
</html>
",
        title = escape_html(title),
        search = escape_html(search),
    ))
}

/// The page of an error.
pub fn error_page(status: StatusCode, message: &str) -> Html<String> {
    let reason = status.canonical_reason().unwrap_or("Error");
    page(
        reason,
        "",
        &format!(
            "<h1>{} {}</h1>\n<p class=\"error\">{}</p>\n<p><a href=\"/\">Recent changes</a></p>",
            status.as_u16(),
            escape_html(reason),
            escape_html(message)
        ),
    )
}

/// `/style.css`: small, readable on a phone, no web fonts.
pub async fn stylesheet() -> Response {
    let mut r = STYLE.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    r
}

const STYLE: &str = r#":root { color-scheme: light dark; --fg: #1b1b1b; --bg: #fff; --muted: #666; --line: #ddd;
  --ins: #d9f5dd; --ins-fg: #0b4d1a; --del: #fde0e0; --del-fg: #8a1111; --note: #fff4cc; --accent: #b3001b; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8e8e8; --bg: #161616; --muted: #9a9a9a; --line: #333;
  --ins: #173d20; --ins-fg: #b8f0c3; --del: #4a1919; --del-fg: #ffc4c4; --note: #3d3410; --accent: #ff5a6e; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between;
  padding: .6rem 1rem; border-bottom: 3px solid var(--accent); }
header.top nav a { margin-right: .8rem; text-decoration: none; color: inherit; }
header.top nav a.brand { font-weight: 700; color: var(--accent); }
form.search { display: flex; gap: .3rem; flex: 1 1 16rem; max-width: 28rem; }
form.search input { flex: 1; min-width: 0; }
input, select, button { font: inherit; padding: .25rem .4rem; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
footer { max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: var(--muted); font-size: .85rem; }
a { color: var(--accent); }
h1 { font-size: 1.5rem; line-height: 1.25; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.muted, .meta { color: var(--muted); font-size: .9rem; }
.error { color: var(--del-fg); background: var(--del); padding: .5rem; }
form.filters { display: flex; flex-wrap: wrap; gap: .4rem .8rem; align-items: end; margin-bottom: 1rem; font-size: .9rem; }
form.filters label { display: flex; flex-direction: column; }
ol.changes, ul.plain { list-style: none; padding: 0; margin: 0; }
ol.changes li { padding: .7rem 0; border-bottom: 1px solid var(--line); }
ol.changes .title { font-weight: 600; }
.kinds { display: inline-flex; flex-wrap: wrap; gap: .25rem; }
.kind { font-size: .75rem; padding: 0 .4rem; border-radius: .6rem; border: 1px solid var(--line); white-space: nowrap; }
.kind-correction, .kind-editors_note { background: var(--note); }
.kind-unannounced { border-color: var(--accent); color: var(--accent); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
.table-wrap { overflow-x: auto; }
.shot { max-height: 85vh; overflow: auto; border: 1px solid var(--line); margin: .5rem 0 1rem; }
.shot img { display: block; width: 100%; height: auto; }
@media (min-width: 56rem) { .with-shot { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1.5rem; align-items: start; } }
ins { background: var(--ins); color: var(--ins-fg); text-decoration: none; }
del { background: var(--del); color: var(--del-fg); }
.notice { background: var(--note); padding: .5rem .7rem; border-left: 4px solid var(--accent); }
.redline p, .side td { margin: 0 0 .8rem; }
.redline p.added { border-left: 3px solid var(--ins-fg); padding-left: .5rem; }
.redline p.removed { border-left: 3px solid var(--del-fg); padding-left: .5rem; }
.move { color: var(--muted); font-style: italic; font-size: .9rem; }
table.side { table-layout: fixed; }
table.side td { width: 50%; }
.meta-changes th { width: 7rem; }
.views a, .views strong { margin-right: .6rem; }
.pager { display: flex; justify-content: space-between; margin: 1rem 0; }
pre.raw { white-space: pre-wrap; word-break: break-all; font-size: .8rem; max-height: 30rem; overflow: auto;
  border: 1px solid var(--line); padding: .5rem; }
mark { background: var(--note); color: inherit; }
.health-ok { color: var(--ins-fg); }
.health-bad { color: var(--del-fg); font-weight: 600; }
li.change.new { border-left: 4px solid var(--accent); padding-left: .5rem; }
.new-badge { font-size: .75rem; font-weight: 700; color: var(--bg); background: var(--accent); padding: 0 .35rem; border-radius: .3rem; }
p.since { background: var(--note); padding: .4rem .6rem; }
figure.arc { margin: .5rem 0 1rem; }
svg.arc { display: block; width: 100%; height: auto; max-height: 9rem; }
svg.arc .axis { stroke: var(--muted); stroke-width: 1; }
svg.arc .axis-label { fill: var(--muted); font-size: 10px; }
svg.arc .mark rect, svg.arc .mark circle { fill: var(--muted); }
svg.arc .mark.kind-first circle { fill: var(--bg); stroke: var(--fg); stroke-width: 1.5; }
svg.arc .mark.kind-headline rect, svg.arc .mark.kind-headline circle { fill: #1f5fbf; }
svg.arc .mark.kind-editors_note rect, svg.arc .mark.kind-editors_note circle,
svg.arc .mark.kind-correction rect, svg.arc .mark.kind-correction circle { fill: #c98a00; }
svg.arc .mark.kind-addition rect, svg.arc .mark.kind-addition circle { fill: var(--ins-fg); }
svg.arc .mark.kind-removal rect, svg.arc .mark.kind-removal circle,
svg.arc .mark.kind-unannounced rect, svg.arc .mark.kind-unannounced circle { fill: var(--accent); }
svg.arc .mark:focus circle, svg.arc .mark:hover circle { stroke: var(--fg); stroke-width: 2; }
ol.headlines { padding-left: 1.3rem; }
nav.edits { font-size: .9rem; margin: .3rem 0 .8rem; }
nav.edits a { display: inline-block; min-width: 1.8rem; text-align: center; }
[tabindex="0"]:focus, a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid var(--accent); outline-offset: 2px; }
form.watch-form { display: grid; gap: .5rem; max-width: 36rem; }
form.watch-form label { display: flex; flex-direction: column; }
form.watch-form label.check { display: inline-flex; flex-direction: row; gap: .25rem; margin-right: .8rem; }
form.watch-form input, form.watch-form textarea, form.watch-form select { width: 100%; }
form.watch-form label.check input { width: auto; }
textarea { font: inherit; padding: .25rem .4rem; }
fieldset { border: 1px solid var(--line); }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; }
.actions form { margin: 0; }
p.notice[role="status"] { border-left-color: var(--ins-fg); }
.skip { position: absolute; left: -999px; }
.skip:focus { left: .5rem; top: .5rem; background: var(--bg); padding: .3rem; z-index: 1; }
@media (max-width: 40rem) { table.side, table.side tbody, table.side tr, table.side td { display: block; width: 100%; }
  .hide-narrow { display: none; } }
"#;
