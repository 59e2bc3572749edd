//! Atom feeds (RFC 4287) of changes: `/feed.atom` for every watch and
//! `/watches/{id}/feed.atom` for one. Each entry is one change; its content is
//! the HTML redline (escaped into the XML), its link the version page.

use std::fmt::Write;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::html::{kind_label, rfc3339};
use super::pages::ChangesQuery;
use super::{Failure, WebState};
use crate::store::ChangeRow;
use crate::store::browse::{ChangeFilter, ChangeSummary};
use crate::text::escape_html;

/// Entries per feed.
const ENTRIES: usize = 50;

/// `/feed.atom`: the newest changes of every watch (the change-list filters apply).
pub(super) async fn feed(
    State(state): State<WebState>,
    Query(query): Query<ChangesQuery>,
) -> Result<Response, Failure> {
    let mut filter = query.filter()?;
    filter.limit = filter.limit.min(ENTRIES);
    let self_path = match query.with_before(None) {
        q if q.is_empty() => "/feed.atom".to_string(),
        q => format!("/feed.atom?{q}"),
    };
    render(&state, filter, "Redline: every change".to_string(), self_path, "/".to_string()).await
}

/// `/watches/{id}/feed.atom`: the newest changes of one watch.
pub(super) async fn watch_feed(State(state): State<WebState>, Path(watch_id): Path<i64>) -> Result<Response, Failure> {
    let watch = state.read(move |s| s.watch(watch_id)).await?;
    let watch = watch.ok_or_else(|| Failure::not_found(format!("No watch has the id {watch_id}.")))?;
    let filter = ChangeFilter { source_id: Some(watch_id), limit: ENTRIES, ..ChangeFilter::default() };
    let name = watch.name.unwrap_or(watch.url);
    render(
        &state,
        filter,
        format!("Redline: changes of {name}"),
        format!("/watches/{watch_id}/feed.atom"),
        format!("/?watch={watch_id}"),
    )
    .await
}

async fn render(
    state: &WebState,
    filter: ChangeFilter,
    title: String,
    self_path: String,
    alternate: String,
) -> Result<Response, Failure> {
    let entries = state
        .read(move |s| {
            let list = s.recent_changes(&filter)?;
            let mut out = Vec::with_capacity(list.len());
            for c in list {
                let full = s.change_by_id(c.id)?;
                out.push((c, full));
            }
            Ok(out)
        })
        .await?;
    let xml = feed_xml(state.base_url(), &title, &self_path, &alternate, &entries, super::now());
    let mut r = xml.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/atom+xml; charset=utf-8"));
    Ok(r)
}

/// The feed document. `now` dates an empty feed.
fn feed_xml(
    base: &str,
    title: &str,
    self_path: &str,
    alternate: &str,
    entries: &[(ChangeSummary, Option<ChangeRow>)],
    now: i64,
) -> String {
    let updated = entries.iter().map(|(c, _)| c.created_at).max().unwrap_or(now);
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(out, "  <id>{}</id>", escape_html(&format!("{base}{self_path}")));
    let _ = writeln!(out, "  <title>{}</title>", escape_html(title));
    let _ = writeln!(out, "  <subtitle>Edits to the articles this Redline watches.</subtitle>");
    let _ = writeln!(out, "  <updated>{}</updated>", rfc3339(updated));
    let _ = writeln!(
        out,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        escape_html(&format!("{base}{self_path}"))
    );
    let _ = writeln!(
        out,
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        escape_html(&format!("{base}{alternate}"))
    );
    let _ = writeln!(out, "  <author><name>Redline</name></author>");
    let _ = writeln!(out, "  <generator version=\"{}\">Redline</generator>", env!("CARGO_PKG_VERSION"));
    for (c, full) in entries {
        let page = format!("{base}/articles/{}/versions/{}", c.article_id, c.to_number);
        let headline = c.title.clone().unwrap_or_else(|| c.article_url.clone());
        let kinds: Vec<&str> = c.kinds.iter().map(|k| kind_label(*k)).collect();
        let entry_title = if kinds.is_empty() { headline } else { format!("{headline} ({})", kinds.join(", ")) };
        out.push_str("  <entry>\n");
        let _ = writeln!(out, "    <id>{}</id>", escape_html(&page));
        let _ = writeln!(out, "    <title type=\"text\">{}</title>", escape_html(&entry_title));
        let _ = writeln!(out, "    <updated>{}</updated>", rfc3339(c.created_at));
        let _ = writeln!(out, "    <published>{}</published>", rfc3339(c.created_at));
        let _ = writeln!(out, "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", escape_html(&page));
        if c.article_url.starts_with("http://") || c.article_url.starts_with("https://") {
            let _ = writeln!(out, "    <link rel=\"related\" href=\"{}\"/>", escape_html(&c.article_url));
        }
        for k in &c.kinds {
            let _ = writeln!(out, "    <category term=\"{}\" label=\"{}\"/>", k.as_str(), escape_html(kind_label(*k)));
        }
        let _ = writeln!(out, "    <summary type=\"text\">{}</summary>", escape_html(&c.summary));
        if let Some(full) = full {
            // type="html": the redline is escaped once more to travel as text inside the XML.
            let _ = writeln!(
                out,
                "    <content type=\"html\">{}</content>",
                escape_html(&crate::diff::render_html(&full.change))
            );
        }
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_feed_is_still_complete() {
        let xml = feed_xml("http://127.0.0.1:8080", "T & <t>", "/feed.atom", "/", &[], 0);
        assert!(xml.contains("<title>T &amp; &lt;t&gt;</title>"));
        assert!(xml.contains("<updated>1970-01-01T00:00:00Z</updated>"));
        assert!(xml.ends_with("</feed>\n"));
    }
}
