//! Stories across outlets: `/stories`, `/stories/{id}` (every outlet's article on one
//! timeline, agency copy, each outlet's own sentences, facts added late), its Atom feed
//! `/stories/{id}/feed.atom`, and `GET /api/stories`, `GET /api/stories/{id}`.
//! Every piece of article text is escaped.

use std::fmt::Write;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::html::{host_of, outside_link, page, rfc3339, time};
use super::pages::{parse_id, parse_limit};
use super::{Failure, WebState};
use crate::store::{Store, StoreError, StoryMemberRow, StoryRow};
use crate::story::compare::{self, StoryArticle, StoryReport};
use crate::text::escape_html;

/// Stories listed need articles from this many… articles (a lone article is no story across outlets).
pub const MIN_ARTICLES: i64 = 2;

/// Paging of the story list.
#[derive(Debug, Default, Deserialize)]
pub(super) struct StoriesQuery {
    /// Page size.
    limit: Option<String>,
    /// Stories skipped.
    offset: Option<String>,
}

/// A story's headline: that of its earliest article.
fn story_title(members: &[StoryMemberRow]) -> String {
    members
        .iter()
        .find_map(|m| m.title.clone())
        .or_else(|| members.first().map(|m| m.url.clone()))
        .unwrap_or_else(|| "Story".into())
}

fn member_json(m: &StoryMemberRow) -> Value {
    json!({
        "article_id": m.article_id,
        "url": m.url,
        "title": m.title,
        "watch_id": m.source_id,
        "watch_url": m.source_url,
        "outlet": host_of(&m.source_url),
        "published": rfc3339(m.at),
        "first_seen": rfc3339(m.first_seen),
        "html_url": format!("/articles/{}", m.article_id),
    })
}

fn summary_json(story: &StoryRow, members: &[StoryMemberRow]) -> Value {
    json!({
        "id": story.id,
        "title": story_title(members),
        "created_at": rfc3339(story.created_at),
        "updated_at": rfc3339(story.updated_at),
        "sources": story.sources,
        "articles": members.iter().map(member_json).collect::<Vec<_>>(),
        "html_url": format!("/stories/{}", story.id),
        "api_url": format!("/api/stories/{}", story.id),
        "feed_url": format!("/stories/{}/feed.atom", story.id),
    })
}

/// A page of stories with their articles, as the API and `redline stories` give it.
pub fn stories_json(store: &Store, limit: usize, offset: usize) -> Result<Value, StoreError> {
    let mut out = Vec::new();
    let stories = store.stories(MIN_ARTICLES, limit, offset)?;
    for story in &stories {
        out.push(summary_json(story, &store.story_members(story.id)?));
    }
    let next = (stories.len() == limit).then(|| format!("/api/stories?limit={limit}&offset={}", offset + limit));
    Ok(json!({ "stories": out, "next": next }))
}

fn report_json(r: &StoryReport) -> Value {
    let timeline: Vec<Value> = r
        .timeline
        .iter()
        .map(|e| {
            json!({
                "at": rfc3339(e.at), "article_id": e.article_id, "url": e.url, "outlet": host_of(&e.source),
                "version": e.version, "event": e.event, "kinds": e.kinds, "title": e.title,
            })
        })
        .collect();
    let late: Vec<Value> = r
        .late_facts
        .iter()
        .map(|f| {
            json!({
                "fact": f.fact, "sentence": f.sentence, "article_id": f.article_id, "outlet": host_of(&f.source),
                "version": f.version, "at": rfc3339(f.at), "earlier_article_id": f.earlier_article_id,
                "earlier_outlet": host_of(&f.earlier_source), "earlier_at": rfc3339(f.earlier_at),
            })
        })
        .collect();
    let own: Vec<Value> = r
        .own_sentences
        .iter()
        .map(|o| json!({ "article_id": o.article_id, "outlet": host_of(&o.source), "sentences": o.sentences }))
        .collect();
    json!({
        "timeline": timeline,
        "agency_copies": r.agency_copies,
        "own_sentences": own,
        "late_facts": late,
    })
}

/// One story: its row, members and the comparison of its outlets.
type StoryView = (StoryRow, Vec<StoryMemberRow>, Vec<StoryArticle>);

async fn load(state: &WebState, story_id: i64) -> Result<(StoryRow, Vec<StoryMemberRow>, StoryReport), Failure> {
    let view: Option<StoryView> = state
        .read(move |s| {
            let Some(story) = s.story(story_id)? else { return Ok(None) };
            Ok(Some((story, s.story_members(story_id)?, s.story_articles(story_id)?)))
        })
        .await?;
    let (story, members, articles) =
        view.ok_or_else(|| Failure::not_found(format!("No story has the id {story_id}.")))?;
    // The comparison is CPU work over a handful of articles: off the async threads.
    let report = tokio::task::spawn_blocking(move || compare::report(&articles))
        .await
        .map_err(|_| Failure::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal error"))?;
    Ok((story, members, report))
}

/// `GET /api/stories`.
pub(super) async fn api_list(
    State(state): State<WebState>,
    Query(query): Query<StoriesQuery>,
) -> Result<Json<Value>, Failure> {
    let limit = parse_limit(&query.limit)?;
    let offset = parse_id("offset", &query.offset)?.unwrap_or(0).max(0) as usize;
    Ok(Json(state.read(move |s| stories_json(s, limit, offset)).await?))
}

/// `GET /api/stories/{id}`.
pub(super) async fn api_story(
    State(state): State<WebState>,
    Path(story_id): Path<i64>,
) -> Result<Json<Value>, Failure> {
    let (story, members, report) = load(&state, story_id).await?;
    let mut out = summary_json(&story, &members);
    if let (Some(o), Value::Object(r)) = (out.as_object_mut(), report_json(&report)) {
        o.extend(r);
    }
    Ok(Json(out))
}

/// `/stories`.
pub(super) async fn list(
    State(state): State<WebState>,
    Query(query): Query<StoriesQuery>,
) -> Result<Html<String>, Failure> {
    let limit = parse_limit(&query.limit)?;
    let offset = parse_id("offset", &query.offset)?.unwrap_or(0).max(0) as usize;
    let stories = state
        .read(move |s| {
            let mut out = Vec::new();
            for story in s.stories(MIN_ARTICLES, limit, offset)? {
                let members = s.story_members(story.id)?;
                out.push((story, members));
            }
            Ok(out)
        })
        .await?;
    let mut body = String::from("<h1>Stories across outlets</h1>\n");
    if stories.is_empty() {
        body.push_str("<p class=\"muted\">No story is covered by two articles yet.</p>\n");
    }
    body.push_str("<ol class=\"changes\">\n");
    for (story, members) in &stories {
        let outlets: Vec<String> = members.iter().map(|m| escape_html(&host_of(&m.source_url))).collect();
        let _ = writeln!(
            body,
            "<li><a class=\"title\" href=\"/stories/{}\">{}</a><br><span class=\"meta\">{} articles from {} outlets ({}) · updated {}</span></li>",
            story.id,
            escape_html(&story_title(members)),
            members.len(),
            story.sources,
            outlets.join(", "),
            time(story.updated_at),
        );
    }
    body.push_str("</ol>\n");
    if stories.len() == limit {
        let _ =
            writeln!(body, "<p class=\"pager\"><a href=\"/stories?offset={}\">Older stories</a></p>", offset + limit);
    }
    body.push_str("<p><a href=\"/api/stories\">JSON</a></p>\n");
    Ok(page("Stories", "", &body))
}

/// `/stories/{id}`.
pub(super) async fn story(State(state): State<WebState>, Path(story_id): Path<i64>) -> Result<Html<String>, Failure> {
    let (story, members, report) = load(&state, story_id).await?;
    let title = story_title(&members);
    let mut body = format!(
        "<h1>{}</h1>\n<p class=\"meta\">{} articles from {} outlets · <a href=\"/stories/{}/feed.atom\">Atom</a> · <a href=\"/api/stories/{}\">JSON</a></p>\n",
        escape_html(&title),
        members.len(),
        story.sources,
        story.id,
        story.id
    );
    body.push_str("<h2>Articles</h2>\n<div class=\"table-wrap\"><table>\n<thead><tr><th>Outlet</th><th>Headline</th><th>Published</th><th>First seen</th></tr></thead>\n<tbody>\n");
    for m in &members {
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td><a href=\"/articles/{}\">{}</a> <span class=\"meta\">{}</span></td><td>{}</td><td>{}</td></tr>",
            escape_html(&host_of(&m.source_url)),
            m.article_id,
            escape_html(m.title.as_deref().unwrap_or(&m.url)),
            outside_link(&m.url, "page"),
            time(m.at),
            time(m.first_seen),
        );
    }
    body.push_str("</tbody></table></div>\n");
    body.push_str(&report_html(&report));
    Ok(page(&title, "", &body))
}

/// The timeline, agency copy, own sentences and late facts of a story, escaped.
fn report_html(r: &StoryReport) -> String {
    let mut body = String::from("<h2>Timeline</h2>\n<ol class=\"changes story-timeline\">\n");
    for e in &r.timeline {
        let what =
            if e.event == "first_seen" { "first seen".to_string() } else { format!("edit: {}", e.kinds.join(", ")) };
        let _ = writeln!(
            body,
            "<li>{} · <strong>{}</strong> · <a href=\"/articles/{}/versions/{}\">v{}</a> {} <span class=\"meta\">{}</span></li>",
            time(e.at),
            escape_html(&host_of(&e.source)),
            e.article_id,
            e.version,
            e.version,
            escape_html(&what),
            escape_html(e.title.as_deref().unwrap_or("")),
        );
    }
    body.push_str("</ol>\n<h2>Agency copy</h2>\n");
    if r.agency_copies.is_empty() {
        body.push_str("<p class=\"muted\">No article is a near-copy of another.</p>\n");
    }
    for c in &r.agency_copies {
        let _ = writeln!(
            body,
            "<section class=\"agency-copy\"><p><a href=\"/articles/{}\">Article {}</a> is a near-copy ({:.0}% of its text) of <a href=\"/articles/{}\">article {}</a>.</p>",
            c.copy,
            c.copy,
            c.containment * 100.0,
            c.original,
            c.original
        );
        if let (Some(from), Some(to)) = (&c.headline_from, &c.headline_to) {
            let _ = writeln!(
                body,
                "<p>Headline changed: <del>{}</del> → <ins>{}</ins></p>",
                escape_html(from),
                escape_html(to)
            );
        }
        for s in &c.added {
            let _ = writeln!(body, "<p class=\"added\">Added: <ins>{}</ins></p>", escape_html(s));
        }
        for s in &c.removed {
            let _ = writeln!(body, "<p class=\"removed\">Left out: <del>{}</del></p>", escape_html(s));
        }
        body.push_str("</section>\n");
    }
    body.push_str("<h2>Only one outlet has</h2>\n");
    for o in &r.own_sentences {
        let _ = writeln!(
            body,
            "<h3>{} <span class=\"meta\">(<a href=\"/articles/{}\">article {}</a>)</span></h3>\n<ul class=\"own-sentences\">",
            escape_html(&host_of(&o.source)),
            o.article_id,
            o.article_id
        );
        for s in &o.sentences {
            let _ = writeln!(body, "<li>{}</li>", escape_html(s));
        }
        body.push_str("</ul>\n");
    }
    body.push_str("<h2>Facts added after another outlet had them</h2>\n");
    if r.late_facts.is_empty() {
        body.push_str("<p class=\"muted\">None.</p>\n");
    }
    body.push_str("<ul class=\"late-facts\">\n");
    for f in &r.late_facts {
        let _ = writeln!(
            body,
            "<li><strong>{}</strong> added “{}” in v{} at {}; {} had it since {}: {}</li>",
            escape_html(&host_of(&f.source)),
            escape_html(&f.fact),
            f.version,
            time(f.at),
            escape_html(&host_of(&f.earlier_source)),
            time(f.earlier_at),
            escape_html(&f.sentence),
        );
    }
    body.push_str("</ul>\n");
    body
}

/// `/stories/{id}/feed.atom`: one entry per first sighting and edit of the story's articles.
pub(super) async fn feed(State(state): State<WebState>, Path(story_id): Path<i64>) -> Result<Response, Failure> {
    let (story, members, report) = load(&state, story_id).await?;
    let xml = feed_xml(state.base_url(), &story, &story_title(&members), &report);
    let mut r = xml.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/atom+xml; charset=utf-8"));
    Ok(r)
}

fn feed_xml(base: &str, story: &StoryRow, title: &str, report: &StoryReport) -> String {
    let self_url = format!("{base}/stories/{}/feed.atom", story.id);
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(out, "  <id>{}</id>", escape_html(&self_url));
    let _ = writeln!(out, "  <title>{}</title>", escape_html(&format!("Redline story: {title}")));
    let _ = writeln!(out, "  <updated>{}</updated>", rfc3339(story.updated_at));
    let _ = writeln!(out, "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>", escape_html(&self_url));
    let _ = writeln!(
        out,
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        escape_html(&format!("{base}/stories/{}", story.id))
    );
    let _ = writeln!(out, "  <author><name>Redline</name></author>");
    for e in report.timeline.iter().rev() {
        let link = format!("{base}/articles/{}/versions/{}", e.article_id, e.version);
        let what = if e.event == "first_seen" { "first seen".to_string() } else { e.kinds.join(", ") };
        let headline = e.title.as_deref().unwrap_or(&e.url);
        out.push_str("  <entry>\n");
        let _ = writeln!(out, "    <id>{}</id>", escape_html(&link));
        let _ = writeln!(
            out,
            "    <title type=\"text\">{}</title>",
            escape_html(&format!("{}: {headline} ({what})", host_of(&e.source)))
        );
        let _ = writeln!(out, "    <updated>{}</updated>", rfc3339(e.at));
        let _ = writeln!(out, "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", escape_html(&link));
        let _ = writeln!(out, "    <summary type=\"text\">{}</summary>", escape_html(&format!("{what}: {}", e.url)));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::compare::TimelineEntry;

    fn report() -> StoryReport {
        StoryReport {
            timeline: vec![TimelineEntry {
                at: 60,
                article_id: 7,
                source: "http://wire.test/rss".into(),
                url: "http://wire.test/a?x=<1>".into(),
                version: 2,
                event: "edit",
                kinds: vec!["headline".into()],
                title: Some("Bridge <b>closed</b> & more".into()),
            }],
            agency_copies: vec![compare::AgencyCopy {
                original: 1,
                copy: 7,
                containment: 0.9,
                headline_from: Some("<script>x</script>".into()),
                headline_to: Some("B & C".into()),
                added: vec!["<img src=x>".into()],
                removed: vec![],
            }],
            own_sentences: vec![compare::OwnSentences {
                article_id: 7,
                source: "http://wire.test/rss".into(),
                sentences: vec!["A <i>quote</i>.".into()],
            }],
            late_facts: vec![],
        }
    }

    #[test]
    fn the_story_feed_and_page_escape_every_piece_of_article_text() {
        let story = StoryRow { id: 3, created_at: 0, updated_at: 60, articles: 2, sources: 2 };
        let xml = feed_xml("http://127.0.0.1:8080", &story, "T <&>", &report());
        assert!(xml.contains("<title>Redline story: T &lt;&amp;&gt;</title>"), "{xml}");
        assert!(xml.contains("wire.test: Bridge &lt;b&gt;closed&lt;/b&gt; &amp; more (headline)"), "{xml}");
        assert!(xml.contains("/articles/7/versions/2"));
        assert!(!xml.contains("<b>"));
        let html = report_html(&report());
        assert!(
            html.contains("&lt;script&gt;") && html.contains("&lt;img src=x&gt;") && html.contains("A &lt;i&gt;quote")
        );
        assert!(!html.contains("<script>") && !html.contains("<img") && !html.contains("<i>"));
    }
}
