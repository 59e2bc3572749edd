//! Matrix: the client-server API's `PUT /rooms/{room}/send/m.room.message/{txnId}`
//! with the outbox event id as transaction id, so that a resend after a crash
//! is deduplicated by the homeserver. Plain body plus an HTML body in which
//! every piece of article text is escaped.

use serde_json::json;

use super::SendError;
use super::bots::{JsonBody, Post, read_answer, unanswered};
use crate::config::MatrixConfig;
use crate::text::escape_html;

/// Longest text posted to a room (events are capped at 64 KiB in all).
pub const TEXT_LIMIT: usize = 8000;

/// The message event's content.
pub fn content(post: &Post) -> serde_json::Value {
    json!({ "msgtype": "m.text", "body": post.text, "format": "org.matrix.custom.html", "formatted_body": html(post) })
}

/// The HTML body: a linked bold headline, then the post's lines (the link line dropped), escaped.
pub fn html(post: &Post) -> String {
    let link = escape_html(&post.link);
    let mut out = format!("<p><a href=\"{link}\"><strong>{}</strong></a></p>", escape_html(&post.title));
    let lines: Vec<&str> = post.text.lines().skip(1).filter(|l| *l != post.link).collect();
    if !lines.is_empty() {
        let body: Vec<String> = lines.iter().map(|l| escape_html(l)).collect();
        out.push_str(&format!("<p>{}</p>", body.join("<br>")));
    }
    out
}

/// The request URL for room `room` and transaction `txn_id`, each percent-encoded as one path segment.
pub fn send_url(homeserver: &str, room: &str, txn_id: &str) -> Result<reqwest::Url, SendError> {
    let mut url = reqwest::Url::parse(homeserver)
        .map_err(|e| SendError::Permanent(format!("homeserver {homeserver:?} is not a URL: {e}")))?;
    url.path_segments_mut()
        .map_err(|_| SendError::Permanent(format!("homeserver {homeserver:?} cannot have a path")))?
        .pop_if_empty()
        .extend(["_matrix", "client", "v3", "rooms", room, "send", "m.room.message", txn_id]);
    Ok(url)
}

/// One PUT of `post` into the room.
pub async fn send(
    client: &reqwest::Client,
    config: &MatrixConfig,
    event_id: &str,
    post: &Post,
) -> Result<(), SendError> {
    let what = format!("Matrix room {} on {}", config.room, config.homeserver);
    let url = send_url(&config.homeserver, &config.room, event_id)?;
    let response = client
        .put(url)
        .bearer_auth(config.token.expose())
        .json_body(&content(post))
        .send()
        .await
        .map_err(|e| unanswered(&what, e))?;
    read_answer(&what, response).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::bots::{compose, tests::event};

    #[test]
    fn the_html_body_escapes_article_text() {
        let post = compose(&event("<script>alert(1)</script> & co", vec!["<b>bold</b> claim".into()]), TEXT_LIMIT);
        let c = content(&post);
        let html = c["formatted_body"].as_str().unwrap();
        assert!(html.contains("<strong>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</strong>"), "{html}");
        assert!(html.contains("+ &lt;b&gt;bold&lt;/b&gt; claim"), "{html}");
        assert!(!html.contains("<script>") && !html.contains("<b>"), "{html}");
        assert!(c["body"].as_str().unwrap().contains("<b>bold</b>"), "the plain body is plain text");
    }

    #[test]
    fn room_ids_and_transaction_ids_are_one_path_segment_each() {
        let url = send_url("http://127.0.0.1:8008/", "!abc:local/x", "msg_1").unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8008/_matrix/client/v3/rooms/!abc:local%2Fx/send/m.room.message/msg_1"
        );
    }
}
