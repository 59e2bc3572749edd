//! Alert delivery from the outbox: Standard Webhooks (signed) and email.
//!
//! The event body is built once, when the change is committed, and stored in
//! the outbox row; every retry sends the same bytes under the same
//! `webhook-id`, so receivers can deduplicate.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub mod archive;
pub mod bluesky;
pub mod bots;
pub mod email;
pub mod mastodon;
pub mod matrix;
pub mod ntfy;
pub mod rules;
pub mod webhook;
pub mod worker;

pub use rules::{archive_row, outbox_rows, should_alert};

pub use crate::config::decode_secret;
use crate::config::{ArchiveConfig, ChannelConfig, ChannelKind, ChannelRule, Config, EmailConfig, WebhookConfig};
use crate::diff::{Change, EditKind};
use crate::net::{NetError, check_literal, guarded_client};

/// Time allowed for one delivery attempt.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);

/// Delay before each retry of a failed delivery (Standard Webhooks' schedule,
/// about three days in all); after the last one the delivery is marked failed.
pub const RETRY_DELAYS: [Duration; 9] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(14 * 3600),
    Duration::from_secs(20 * 3600),
    Duration::from_secs(24 * 3600),
];

/// The `data` of an `article.changed` event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventData {
    /// The article's URL.
    pub url: String,
    /// Its headline in the new version.
    pub title: Option<String>,
    /// The watch it came from (a feed URL, or the article URL itself).
    pub source: String,
    /// Version number before the change.
    pub from_version: i64,
    /// Version number after the change.
    pub to_version: i64,
    /// Kinds of edit.
    pub kinds: Vec<EditKind>,
    /// 0 to 1.
    pub significance: f64,
    /// One line for humans.
    pub summary: String,
    /// Notices that appeared.
    pub notes: Vec<String>,
    /// Sentences that appeared.
    pub added: Vec<String>,
    /// Sentences that vanished.
    pub removed: Vec<String>,
    /// Where the change can be seen in the web UI.
    pub diff_url: String,
}

/// An `article.changed` event, as POSTed to webhooks.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    /// Always `article.changed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When the change was recorded, RFC 3339.
    pub timestamp: String,
    /// The change.
    pub data: EventData,
}

impl Event {
    /// Builds the event for a change.
    pub fn article_changed(data: EventData, at: chrono::DateTime<chrono::Utc>) -> Event {
        Event { kind: "article.changed".into(), timestamp: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), data }
    }
}

/// Fills the event data from a change.
pub fn event_data(
    change: &Change,
    url: &str,
    title: Option<&str>,
    source: &str,
    versions: (i64, i64),
    diff_url: String,
) -> EventData {
    EventData {
        url: url.to_string(),
        title: title.map(str::to_string),
        source: source.to_string(),
        from_version: versions.0,
        to_version: versions.1,
        kinds: change.kinds.clone(),
        significance: change.significance,
        summary: change.summary.clone(),
        notes: change.notes.clone(),
        added: change.added.clone(),
        removed: change.removed.clone(),
        diff_url,
    }
}

/// A fresh event id (`msg_` + 128 random bits), fixed for every retry.
pub fn new_event_id() -> String {
    format!("msg_{:032x}", rand::random::<u128>())
}

/// `v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// Checks a `webhook-signature` header (several space-separated signatures allowed)
/// in constant time; what a receiver does, kept here for tests and documentation.
pub fn verify(key: &[u8], id: &str, timestamp: i64, body: &[u8], signature_header: &str) -> bool {
    let expected = sign(key, id, timestamp, body);
    signature_header.split(' ').any(|candidate| constant_time_eq(candidate.as_bytes(), expected.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The delay before retry number `attempts` (1-based), or None once retries are
/// exhausted: after the schedule's end, or once its delays add up to more than
/// `retry_for`. A `Retry-After` from the receiver wins when it is longer.
pub fn retry_delay(attempts: u32, retry_after: Option<Duration>, retry_for: Duration) -> Option<Duration> {
    let index = attempts.checked_sub(1)? as usize;
    let base = *RETRY_DELAYS.get(index)?;
    if RETRY_DELAYS[..=index].iter().sum::<Duration>() > retry_for {
        return None;
    }
    // ±10% jitter so that a recovering endpoint is not hit by every retry at once.
    let jitter = 0.9 + rand::random::<f64>() * 0.2;
    let delay = base.mul_f64(jitter);
    Some(retry_after.map_or(delay, |r| r.max(delay)))
}

/// How a delivery attempt ended.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Try again later.
    #[error("{message}")]
    Retry {
        /// What happened.
        message: String,
        /// The receiver's requested delay.
        retry_after: Option<Duration>,
    },
    /// The endpoint answered 410 Gone: it is disabled, nothing more is sent to it.
    #[error("{0}: endpoint disabled")]
    Gone(String),
    /// Do not try again (channel removed from the config, bad address…).
    #[error("{0}")]
    Permanent(String),
}

/// One outbox row to send.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// Stable event id.
    pub event_id: &'a str,
    /// The stored body.
    pub payload: &'a str,
}

/// Sends outbox rows to the channels named in the config.
pub struct Sender {
    client: reqwest::Client,
    webhooks: Vec<WebhookConfig>,
    emails: Vec<EmailConfig>,
    bots: Vec<ChannelConfig>,
    spacing: bots::Spacing,
    sessions: bluesky::Sessions,
    archive: Option<ArchiveConfig>,
    /// The web UI's address, for the links in `article.archived` events.
    web_base_url: String,
    /// Where Save Page Now snapshot URLs are recorded (set by the daemon).
    store: std::sync::OnceLock<crate::store::Db>,
    allow_private: bool,
}

impl Sender {
    /// Builds a sender for the config's channels.
    pub fn new(config: &Config) -> Result<Sender, NetError> {
        let client = guarded_client(config.fetch.allow_private)
            .timeout(DELIVERY_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(config.fetch.user_agent())
            .build()
            .map_err(|e| NetError::Client(e.to_string()))?;
        Ok(Sender {
            client,
            webhooks: config.webhooks.clone(),
            emails: config.emails.clone(),
            bots: config.channels.clone(),
            spacing: bots::Spacing::default(),
            sessions: bluesky::Sessions::default(),
            archive: config.archive.clone(),
            web_base_url: config.web.base_url(),
            store: std::sync::OnceLock::new(),
            allow_private: config.fetch.allow_private,
        })
    }

    /// The channels (outbox names) that receive every change.
    pub fn channels(&self) -> Vec<String> {
        let webhooks = self.webhooks.iter().map(WebhookConfig::channel);
        let emails = self.emails.iter().map(EmailConfig::channel);
        webhooks.chain(emails).chain(self.bots.iter().map(ChannelConfig::channel)).collect()
    }

    /// The outbox channel of Save Page Now submissions, when `[archive]` is set.
    pub fn archive_channel(&self) -> Option<String> {
        self.archive.as_ref().map(ArchiveConfig::channel)
    }

    /// Gives the sender the database, where it records archive snapshots.
    pub fn attach_store(&self, db: crate::store::Db) {
        let _ = self.store.set(db);
    }

    /// A bot channel's own rule of which changes it posts (webhooks and email have none).
    pub fn channel_rule(&self, channel: &str) -> Option<&ChannelRule> {
        self.bot(channel).map(|b| &b.rule)
    }

    fn bot(&self, channel: &str) -> Option<&ChannelConfig> {
        self.bots.iter().find(|b| b.channel() == channel)
    }

    /// For a digest channel, how long changes are gathered before one mail goes out.
    pub fn digest_window(&self, channel: &str) -> Option<Duration> {
        self.emails.iter().find(|e| e.channel() == channel).and_then(|e| e.digest)
    }

    /// The exact body stored in the outbox for `channel`.
    pub fn payload(&self, channel: &str, event: &Event, change: &Change) -> String {
        if let Some(hook) = self.webhooks.iter().find(|w| w.channel() == channel) {
            return webhook::payload(hook.format, event);
        }
        if let Some(bot) = self.bot(channel) {
            return bot_payload(bot, event, change);
        }
        serde_json::to_string(&email::compose(event, change)).expect("mail serializes")
    }

    /// One attempt to deliver `batch` (one row, or a digest's rows) to `channel`.
    pub async fn send(&self, channel: &str, batch: &[Outgoing<'_>]) -> Result<(), SendError> {
        let Some(first) = batch.first() else { return Ok(()) };
        if let Some(hook) = self.webhooks.iter().find(|w| w.channel() == channel) {
            check_literal(&hook.url, self.allow_private).map_err(|e| SendError::Permanent(e.to_string()))?;
            return webhook::send(&self.client, hook, first.event_id, first.payload).await;
        }
        if let Some(config) = self.emails.iter().find(|e| e.channel() == channel) {
            let mails = batch
                .iter()
                .map(|o| serde_json::from_str::<email::EmailPayload>(o.payload))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| SendError::Permanent(format!("bad mail in outbox: {e}")))?;
            return email::send(config, first.event_id, &email::digest(&mails)).await;
        }
        if let Some(bot) = self.bot(channel) {
            let post: bots::Post = serde_json::from_str(first.payload)
                .map_err(|e| SendError::Permanent(format!("bad post in outbox: {e}")))?;
            check_literal(bots::endpoint(bot), self.allow_private).map_err(|e| SendError::Permanent(e.to_string()))?;
            self.spacing.wait(channel, bot.rule.min_interval).await?;
            let media = match bot.kind {
                ChannelKind::Mastodon(_) | ChannelKind::Bluesky(_) => self.card(&post).await,
                ChannelKind::Ntfy(_) | ChannelKind::Matrix(_) => None,
            };
            let client = &self.client;
            let sent = match &bot.kind {
                ChannelKind::Ntfy(c) => ntfy::send(client, c, &post).await,
                ChannelKind::Matrix(c) => matrix::send(client, c, first.event_id, &post).await,
                ChannelKind::Mastodon(c) => mastodon::send(client, c, first.event_id, &post, media.as_ref()).await,
                ChannelKind::Bluesky(c) => {
                    bluesky::send(client, &self.sessions, c, first.event_id, &post, media.as_ref()).await
                }
            };
            // A refused attempt counts too: the service saw a request.
            self.spacing.posted(channel);
            return sent;
        }
        if let Some(config) = self.archive.as_ref().filter(|a| a.channel() == channel) {
            return self.archive_version(config, first).await;
        }
        Err(SendError::Permanent(format!("channel {channel} is no longer in the config")))
    }
}

/// The body stored in the outbox for a bot channel: the post within the service's length limit.
fn bot_payload(bot: &ChannelConfig, event: &Event, change: &Change) -> String {
    let limit = match bot.kind {
        ChannelKind::Ntfy(_) => ntfy::TEXT_LIMIT,
        ChannelKind::Matrix(_) => matrix::TEXT_LIMIT,
        ChannelKind::Mastodon(_) => mastodon::TEXT_LIMIT,
        ChannelKind::Bluesky(_) => bluesky::TEXT_LIMIT,
    };
    // Only the channels that attach the card keep the change it is drawn from.
    let card = matches!(bot.kind, ChannelKind::Mastodon(_) | ChannelKind::Bluesky(_));
    let post = bots::Post { change: card.then(|| change.clone()), ..bots::compose(event, limit) };
    serde_json::to_string(&post).expect("post serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example in the Standard Webhooks specification.
        let key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(verify(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, &format!("v1,bogus {sig}")));
        assert!(!verify(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body, &sig));
    }

    #[test]
    fn retries_are_bounded_and_honour_retry_after() {
        let days = Duration::from_secs(4 * 24 * 3600);
        assert!(retry_delay(0, None, days).is_none());
        let first = retry_delay(1, None, days).unwrap();
        assert!(first >= Duration::from_millis(4500) && first <= Duration::from_millis(5500));
        assert!(retry_delay(9, None, days).unwrap() > Duration::from_secs(20 * 3600));
        assert!(retry_delay(10, None, days).is_none());
        assert_eq!(retry_delay(1, Some(Duration::from_secs(60)), days), Some(Duration::from_secs(60)));
        // Giving up after a day: 5 s + 5 min + 30 min + 2 h + 5 h + 10 h fit, 14 h more does not.
        let day = Duration::from_secs(24 * 3600);
        assert!(retry_delay(6, None, day).is_some());
        assert!(retry_delay(7, None, day).is_none());
    }

    #[test]
    fn event_ids_are_unique() {
        let a = new_event_id();
        assert!(a.starts_with("msg_") && a.len() == 36);
        assert_ne!(a, new_event_id());
    }
}
