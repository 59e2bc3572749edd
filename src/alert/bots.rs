//! What the bot and push channels (ntfy, Matrix, Mastodon, Bluesky) share: the
//! post composed when the change is committed (stored in the outbox, so every
//! retry posts the same words), the card image attached to it, the reading of
//! rate-limit headers into the outbox's retry plan, and each channel's least
//! time between two posts.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Event, SendError, Sender};
use crate::config::{ChannelConfig, ChannelKind};
use crate::diff::Change;
use crate::net::error_chain;

/// The URL a bot channel talks to (checked against the private-address rule before each send).
pub fn endpoint(bot: &ChannelConfig) -> &str {
    match &bot.kind {
        ChannelKind::Ntfy(c) => &c.url,
        ChannelKind::Matrix(c) => &c.homeserver,
        ChannelKind::Mastodon(c) => &c.instance,
        ChannelKind::Bluesky(c) => &c.service,
    }
}

impl Sender {
    /// The card of a post, for the channels that attach one (Mastodon, Bluesky): drawn
    /// from the stored change, so every retry attaches the same picture. A card that
    /// cannot be drawn leaves the post without one rather than holding it back.
    pub(super) async fn card(&self, post: &Post) -> Option<Media> {
        let change = post.change.clone()?;
        let url = post.event.data.url.clone();
        let at = chrono::DateTime::parse_from_rfc3339(&post.event.timestamp).map_or(0, |t| t.timestamp());
        let drawn = tokio::task::spawn_blocking(move || {
            crate::card::render(&crate::card::CardData::from_change(&url, at, &change))
        })
        .await;
        match drawn {
            Ok(Ok(card)) => Some(Media { png: card.png, alt: card.alt_text }),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "Card not drawn: the post goes without it.");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "Card not drawn: the post goes without it.");
                None
            }
        }
    }
}

/// A post as stored in the outbox for a bot channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    /// The headline (or the URL when there is none), on one line.
    pub title: String,
    /// The whole text, the link last, within the service's length limit.
    pub text: String,
    /// The change in the web UI (the last thing in `text`).
    pub link: String,
    /// Kinds of edit, as tags.
    pub tags: Vec<String>,
    /// The event.
    pub event: Event,
    /// The change, from which the card is drawn at send time.
    #[serde(default)]
    pub change: Option<Change>,
}

/// An image attached to a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// PNG bytes.
    pub png: Vec<u8>,
    /// Alt text.
    pub alt: String,
}

/// Composes the post of an event in at most `limit` characters: headline,
/// summary, notices, then the first added and removed sentences while they
/// fit, and always the link last.
pub fn compose(event: &Event, limit: usize) -> Post {
    let d = &event.data;
    let title = one_line(d.title.as_deref().unwrap_or(&d.url));
    let link = d.diff_url.clone();
    let kinds = super::email::headline_of_kinds(&d.kinds);
    let mut lines = vec![format!("Edited: {title}"), format!("{kinds}: {}", one_line(&d.summary))];
    lines.extend(d.notes.iter().map(|n| format!("Note: {}", one_line(n))));
    lines.extend(d.added.iter().take(2).map(|s| format!("+ {}", one_line(s))));
    lines.extend(d.removed.iter().take(2).map(|s| format!("− {}", one_line(s))));
    // The link and the newline before it always fit; lines go in whole, then the last one cut.
    let room = limit.saturating_sub(link.chars().count() + 1);
    let mut text = String::new();
    for line in lines {
        let used = text.chars().count();
        let sep = usize::from(!text.is_empty());
        if used + sep + line.chars().count() <= room {
            text.push_str(if sep == 1 { "\n" } else { "" });
            text.push_str(&line);
        } else {
            let left = room.saturating_sub(used + sep + 1);
            if left >= 12 {
                text.push_str(if sep == 1 { "\n" } else { "" });
                text.extend(line.chars().take(left));
                text.push('…');
            }
            break;
        }
    }
    text.push('\n');
    text.push_str(&link);
    let tags = d.kinds.iter().map(|k| k.as_str().to_string()).collect();
    Post { title, text, link, tags, event: event.clone(), change: None }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The delay a rate-limited answer asks for: `Retry-After` (seconds or an
/// HTTP date), else `X-RateLimit-Reset` (an RFC 3339 time, as Mastodon sends),
/// else `RateLimit-Reset` (Unix seconds, as Bluesky sends). `now` is Unix seconds.
pub fn requested_delay(headers: &reqwest::header::HeaderMap, now: i64) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let until = |at: i64| Duration::from_secs(at.saturating_sub(now).max(1) as u64);
    if let Some(v) = get("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(at) = chrono::DateTime::parse_from_rfc2822(v) {
            return Some(until(at.timestamp()));
        }
    }
    if let Some(at) = get("x-ratelimit-reset").and_then(|v| chrono::DateTime::parse_from_rfc3339(v).ok()) {
        return Some(until(at.timestamp()));
    }
    get("ratelimit-reset").and_then(|v| v.parse::<i64>().ok()).map(until)
}

/// Turns an answer into the body on 2xx, else the attempt's error: 410 Gone
/// disables the channel; every other status is retried, after the delay the
/// service asks for when it gives one.
pub async fn read_answer(what: &str, response: reqwest::Response) -> Result<Vec<u8>, SendError> {
    let status = response.status();
    let delay = requested_delay(response.headers(), chrono::Utc::now().timestamp());
    let body = response.bytes().await.map_err(|e| SendError::Retry {
        message: format!("{what}: reading the answer failed: {e}"),
        retry_after: None,
    })?;
    if status.is_success() {
        return Ok(body.to_vec());
    }
    let detail: String = String::from_utf8_lossy(&body).chars().take(300).collect();
    if status == reqwest::StatusCode::GONE {
        return Err(SendError::Gone(format!("{what} answered 410 Gone")));
    }
    Err(SendError::Retry { message: format!("{what} answered HTTP {}: {detail}", status.as_u16()), retry_after: delay })
}

/// A JSON request body (reqwest is built without its `json` feature).
pub trait JsonBody {
    /// `self` with `body` as JSON.
    fn json_body(self, body: &serde_json::Value) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, body: &serde_json::Value) -> Self {
        self.header("content-type", "application/json").body(body.to_string())
    }
}

/// The error of a request that got no answer.
pub fn unanswered(what: &str, e: reqwest::Error) -> SendError {
    SendError::Retry { message: format!("{what} failed: {}", error_chain(&e.without_url())), retry_after: None }
}

/// The JSON of an answer, or a retryable error naming what was expected.
pub fn json_answer(what: &str, body: &[u8]) -> Result<serde_json::Value, SendError> {
    serde_json::from_slice(body)
        .map_err(|e| SendError::Retry { message: format!("{what}: the answer is not JSON: {e}"), retry_after: None })
}

/// Longest wait for a channel's spacing inside one delivery pass; a longer one
/// puts the post back in the outbox for later.
const SPACING_WAIT: Duration = Duration::from_secs(20);

/// The least time between two posts of each channel (kept in memory: a restart
/// starts afresh).
#[derive(Debug, Default)]
pub struct Spacing {
    last: Mutex<HashMap<String, tokio::time::Instant>>,
}

impl Spacing {
    /// Waits until `channel` may post again, or answers how long is left when that is long.
    pub async fn wait(&self, channel: &str, interval: Duration) -> Result<(), SendError> {
        if interval.is_zero() {
            return Ok(());
        }
        let ready = self.lock().get(channel).map(|at| *at + interval);
        if let Some(ready) = ready {
            let left = ready.saturating_duration_since(tokio::time::Instant::now());
            if left > SPACING_WAIT {
                return Err(SendError::Retry {
                    message: format!("posts of {channel} are kept {}s apart", interval.as_secs()),
                    retry_after: Some(left),
                });
            }
            tokio::time::sleep_until(ready).await;
        }
        Ok(())
    }

    /// Records a post of `channel` now.
    pub fn posted(&self, channel: &str) {
        self.lock().insert(channel.to_string(), tokio::time::Instant::now());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, tokio::time::Instant>> {
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::alert::EventData;
    use crate::diff::EditKind;

    pub(crate) fn event(title: &str, added: Vec<String>) -> Event {
        let data = EventData {
            url: "https://news.example/a".into(),
            title: Some(title.into()),
            source: "https://news.example/rss".into(),
            from_version: 1,
            to_version: 2,
            kinds: vec![EditKind::EditorsNote, EditKind::Addition],
            significance: 0.4,
            summary: "1 paragraph (12 words) added".into(),
            notes: vec!["This article was updated.".into()],
            added,
            removed: vec!["The minister declined to comment.".into()],
            diff_url: "http://127.0.0.1:8080/articles/1/versions/2".into(),
        };
        Event::article_changed(data, chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap())
    }

    #[test]
    fn posts_fit_the_limit_and_end_with_the_link() {
        let post = compose(&event("Fees  rise\nagain", vec!["Wörter ".repeat(200)]), 300);
        assert!(post.text.chars().count() <= 300, "{}", post.text.chars().count());
        assert!(post.text.starts_with("Edited: Fees rise again\neditor's note added: 1 paragraph"), "{}", post.text);
        assert!(post.text.ends_with("\nhttp://127.0.0.1:8080/articles/1/versions/2"), "{}", post.text);
        assert!(post.text.contains("Note: This article was updated."));
        assert!(post.text.contains('…'), "the long sentence is cut: {}", post.text);
        assert_eq!(post.tags, ["editors_note", "addition"]);
        let short = compose(&event("T", vec!["Short.".into()]), 500);
        assert!(short.text.contains("+ Short.\n− The minister declined to comment.\nhttp://"), "{}", short.text);
    }

    #[test]
    fn rate_limit_headers_become_delays() {
        use reqwest::header::{HeaderMap, HeaderValue};
        let now = 1_800_000_000;
        let with = |name: &'static str, value: &str| {
            let mut h = HeaderMap::new();
            h.insert(name, HeaderValue::from_str(value).unwrap());
            requested_delay(&h, now)
        };
        assert_eq!(with("retry-after", "120"), Some(Duration::from_secs(120)));
        let http_date = chrono::DateTime::from_timestamp(now + 30, 0).unwrap().to_rfc2822();
        assert_eq!(with("retry-after", &http_date), Some(Duration::from_secs(30)));
        let rfc3339 = chrono::DateTime::from_timestamp(now + 300, 0).unwrap().to_rfc3339();
        assert_eq!(with("x-ratelimit-reset", &rfc3339), Some(Duration::from_secs(300)));
        assert_eq!(with("ratelimit-reset", &(now + 45).to_string()), Some(Duration::from_secs(45)));
        assert_eq!(with("ratelimit-reset", &(now - 45).to_string()), Some(Duration::from_secs(1)), "a past reset");
        assert_eq!(requested_delay(&HeaderMap::new(), now), None);
    }

    #[tokio::test(start_paused = true)]
    async fn spacing_waits_briefly_and_defers_long_waits() {
        let spacing = Spacing::default();
        spacing.wait("c", Duration::from_secs(10)).await.unwrap();
        spacing.posted("c");
        let start = tokio::time::Instant::now();
        spacing.wait("c", Duration::from_secs(10)).await.unwrap();
        assert_eq!(start.elapsed().as_secs(), 10);
        spacing.posted("c");
        match spacing.wait("c", Duration::from_secs(600)).await {
            Err(SendError::Retry { retry_after: Some(left), .. }) => assert!(left > Duration::from_secs(590)),
            other => panic!("{other:?}"),
        }
        spacing.wait("other", Duration::from_secs(600)).await.unwrap();
    }
}
