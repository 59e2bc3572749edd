//! Mastodon: the card uploaded by `POST /api/v2/media` (multipart, with its
//! alt text as `description`), then `POST /api/v1/statuses` with the media id,
//! the visibility setting and an `Idempotency-Key` of the outbox event id, so a
//! crash between posting and recording does not post twice (Mastodon keeps
//! the key for an hour; a longer outage may repost, which the outbox's
//! at-least-once guarantee allows).

use std::time::Duration;

use serde_json::json;

use super::SendError;
use super::bots::{JsonBody, Media, Post, json_answer, read_answer, unanswered};
use crate::config::MastodonConfig;

/// Mastodon's default status length.
pub const TEXT_LIMIT: usize = 500;

/// How often and how long an upload still being processed (202) is polled.
const MEDIA_POLLS: u32 = 10;
const MEDIA_POLL_EVERY: Duration = Duration::from_millis(500);

/// A `multipart/form-data` body: `file` (the PNG) and `description`; returns (content type, body).
pub fn media_form(media: &Media, boundary: &str) -> (String, Vec<u8>) {
    let mut body = Vec::with_capacity(media.png.len() + media.alt.len() + 400);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            media.alt
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"card.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&media.png);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The status's JSON.
pub fn status(post: &Post, media_id: Option<&str>, config: &MastodonConfig) -> serde_json::Value {
    let mut status = json!({ "status": post.text, "visibility": config.visibility.as_str() });
    if let Some(id) = media_id {
        status["media_ids"] = json!([id]);
    }
    status
}

/// Uploads the card; returns its media id once Mastodon has processed it.
async fn upload(client: &reqwest::Client, config: &MastodonConfig, media: &Media) -> Result<String, SendError> {
    let what = format!("Mastodon {} media upload", config.instance);
    // Alt text is article text: a boundary it cannot contain.
    let boundary = format!("redline-{:032x}", rand::random::<u128>());
    let (content_type, body) = media_form(media, &boundary);
    let response = client
        .post(format!("{}/api/v2/media", config.instance))
        .bearer_auth(config.token.expose())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .map_err(|e| unanswered(&what, e))?;
    let processing = response.status() == reqwest::StatusCode::ACCEPTED;
    let answer = json_answer(&what, &read_answer(&what, response).await?)?;
    let id = answer["id"]
        .as_str()
        .ok_or_else(|| SendError::Retry { message: format!("{what}: no media id in the answer"), retry_after: None })?
        .to_string();
    if processing {
        // 202: the file is still being processed; a status may not use it until GET answers 200.
        for _ in 0..MEDIA_POLLS {
            tokio::time::sleep(MEDIA_POLL_EVERY).await;
            let poll = client
                .get(format!("{}/api/v1/media/{id}", config.instance))
                .bearer_auth(config.token.expose())
                .send()
                .await
                .map_err(|e| unanswered(&what, e))?;
            if poll.status() == reqwest::StatusCode::OK {
                return Ok(id);
            }
            if poll.status() != reqwest::StatusCode::PARTIAL_CONTENT {
                read_answer(&what, poll).await?;
            }
        }
        return Err(SendError::Retry { message: format!("{what}: still processing"), retry_after: None });
    }
    Ok(id)
}

/// Posts `post` with `media` attached.
pub async fn send(
    client: &reqwest::Client,
    config: &MastodonConfig,
    event_id: &str,
    post: &Post,
    media: Option<&Media>,
) -> Result<(), SendError> {
    let media_id = match media {
        Some(m) => Some(upload(client, config, m).await?),
        None => None,
    };
    let what = format!("Mastodon {} status", config.instance);
    let response = client
        .post(format!("{}/api/v1/statuses", config.instance))
        .bearer_auth(config.token.expose())
        .header("idempotency-key", event_id)
        .json_body(&status(post, media_id.as_deref(), config))
        .send()
        .await
        .map_err(|e| unanswered(&what, e))?;
    read_answer(&what, response).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_media_form_holds_the_png_and_its_description() {
        let media = Media { png: b"\x89PNG\r\n\x1a\nrest".to_vec(), alt: "Redline of \"x\"".into() };
        let (content_type, body) = media_form(&media, "B0UND");
        assert_eq!(content_type, "multipart/form-data; boundary=B0UND");
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with("--B0UND\r\nContent-Disposition: form-data; name=\"description\""), "{text}");
        assert!(text.contains("\r\n\r\nRedline of \"x\"\r\n--B0UND\r\n"), "{text}");
        assert!(text.contains("filename=\"card.png\"\r\nContent-Type: image/png\r\n\r\n\u{FFFD}PNG"), "{text}");
        assert!(text.ends_with("rest\r\n--B0UND--\r\n"), "{text}");
    }
}
