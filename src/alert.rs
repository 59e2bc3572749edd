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

use crate::config::{Config, EmailConfig, WebhookConfig};
use crate::diff::{Change, EditKind};

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
        Event {
            kind: "article.changed".into(),
            timestamp: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            data,
        }
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

/// Decodes a Standard Webhooks secret: `whsec_` + base64; any other string is used as raw bytes.
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, String> {
    match secret.strip_prefix("whsec_") {
        Some(b64) => BASE64
            .decode(b64)
            .map_err(|e| format!("webhook secret after `whsec_` must be base64 ({e}); generate one with `openssl rand -base64 32`")),
        None if secret.is_empty() => Err("webhook secret is empty".into()),
        None => Ok(secret.as_bytes().to_vec()),
    }
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
    signature_header
        .split(' ')
        .any(|candidate| constant_time_eq(candidate.as_bytes(), expected.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The delay before retry number `attempts` (1-based), or None once retries are exhausted.
/// A `Retry-After` from the receiver wins when it is longer.
pub fn retry_delay(attempts: u32, retry_after: Option<Duration>) -> Option<Duration> {
    let base = *RETRY_DELAYS.get(attempts.checked_sub(1)? as usize)?;
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
    /// Do not try again (410 Gone, channel removed from the config…).
    #[error("{0}")]
    Permanent(String),
}

/// Sends outbox rows to the channels named in the config.
pub struct Sender {
    client: reqwest::Client,
    webhooks: Vec<WebhookConfig>,
    emails: Vec<EmailConfig>,
    allow_private: bool,
}

impl Sender {
    /// Builds a sender for the config's channels.
    pub fn new(config: &Config) -> Result<Sender, crate::fetch::FetchError> {
        let client = crate::fetch::guarded_client(config.fetch.allow_private)
            .timeout(DELIVERY_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(&config.fetch.user_agent)
            .build()
            .map_err(|e| crate::fetch::FetchError::Network(e.to_string()))?;
        Ok(Sender {
            client,
            webhooks: config.webhooks.clone(),
            emails: config.emails.clone(),
            allow_private: config.fetch.allow_private,
        })
    }

    /// The channels (outbox names) that receive every change.
    pub fn channels(&self) -> Vec<String> {
        self.webhooks
            .iter()
            .map(WebhookConfig::channel)
            .chain(self.emails.iter().map(EmailConfig::channel))
            .collect()
    }

    /// One attempt to deliver `body` (an [`Event`] as JSON) under `event_id`.
    pub async fn send(&self, channel: &str, event_id: &str, body: &str) -> Result<(), SendError> {
        if let Some(hook) = self.webhooks.iter().find(|w| w.channel() == channel) {
            return self.send_webhook(hook, event_id, body).await;
        }
        if let Some(email) = self.emails.iter().find(|e| e.channel() == channel) {
            return crate::alert::email::send(email, event_id, body).await;
        }
        Err(SendError::Permanent(format!(
            "channel {channel} is no longer in the config"
        )))
    }

    async fn send_webhook(
        &self,
        hook: &WebhookConfig,
        event_id: &str,
        body: &str,
    ) -> Result<(), SendError> {
        crate::fetch::check_literal(&hook.url, self.allow_private)
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        let timestamp = chrono::Utc::now().timestamp();
        let mut request = self
            .client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("webhook-id", event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .body(body.to_string());
        if let Some(secret) = &hook.secret {
            let key = decode_secret(secret).map_err(SendError::Permanent)?;
            request = request.header(
                "webhook-signature",
                sign(&key, event_id, timestamp, body.as_bytes()),
            );
        }
        let response = request.send().await.map_err(|e| SendError::Retry {
            message: format!("POST {} failed: {}", hook.url, error_chain(&e)),
            retry_after: None,
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        if status == reqwest::StatusCode::GONE {
            return Err(SendError::Permanent(format!(
                "{} answered 410 Gone: endpoint disabled",
                hook.url
            )));
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        Err(SendError::Retry {
            message: format!("{} answered HTTP {}", hook.url, status.as_u16()),
            retry_after,
        })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message = format!("{message}: {s}");
        source = s.source();
    }
    message
}

pub mod email {
    //! Email delivery over SMTP (lettre): plain text plus HTML.

    use lettre::message::MultiPart;
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    use super::{DELIVERY_TIMEOUT, Event, SendError};
    use crate::config::EmailConfig;

    /// Subject line: `[Redline] Edited: <headline> — <summary>`.
    pub fn subject(event: &Event) -> String {
        let title = event.data.title.as_deref().unwrap_or(&event.data.url);
        format!("[Redline] Edited: {title} — {}", event.data.summary)
    }

    /// The plain-text body.
    pub fn text_body(event: &Event) -> String {
        let d = &event.data;
        let mut out = format!(
            "{}\n{}\n\n{}\n",
            d.title.as_deref().unwrap_or(""),
            d.url,
            d.summary
        );
        for note in &d.notes {
            out.push_str(&format!("\nNotice: {note}\n"));
        }
        for s in &d.added {
            out.push_str(&format!("\n+ {s}"));
        }
        for s in &d.removed {
            out.push_str(&format!("\n- {s}"));
        }
        out.push_str(&format!(
            "\n\nVersions {} → {}: {}\n",
            d.from_version, d.to_version, d.diff_url
        ));
        out
    }

    /// The HTML body; every piece of article text is escaped.
    pub fn html_body(event: &Event) -> String {
        let d = &event.data;
        let esc = escape_html;
        let mut out = format!(
            "<h2>{}</h2><p><a href=\"{}\">{}</a></p><p>{}</p>",
            esc(d.title.as_deref().unwrap_or("")),
            esc(&d.url),
            esc(&d.url),
            esc(&d.summary)
        );
        for note in &d.notes {
            out.push_str(&format!("<p><strong>Notice:</strong> {}</p>", esc(note)));
        }
        for s in &d.added {
            out.push_str(&format!("<p><ins>{}</ins></p>", esc(s)));
        }
        for s in &d.removed {
            out.push_str(&format!("<p><del>{}</del></p>", esc(s)));
        }
        out.push_str(&format!(
            "<p><a href=\"{}\">See the whole change</a></p>",
            esc(&d.diff_url)
        ));
        out
    }

    /// Escapes text for HTML element content and attribute values.
    pub fn escape_html(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
        }
        out
    }

    /// Sends one event by mail; the Message-ID derives from the event id.
    pub async fn send(config: &EmailConfig, event_id: &str, body: &str) -> Result<(), SendError> {
        let event: Event = serde_json::from_str(body)
            .map_err(|e| SendError::Permanent(format!("bad event in outbox: {e}")))?;
        let permanent = |what: &str, e: &dyn std::fmt::Display| {
            SendError::Permanent(format!("email {what}: {e}"))
        };
        let mut builder = Message::builder()
            .from(
                config
                    .from
                    .parse()
                    .map_err(|e| permanent("from address", &e))?,
            )
            .subject(subject(&event))
            .message_id(Some(format!("<{event_id}@redline>")));
        for to in &config.to {
            builder = builder.to(to.parse().map_err(|e| permanent("to address", &e))?);
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                text_body(&event),
                html_body(&event),
            ))
            .map_err(|e| permanent("message", &e))?;
        let transport = transport(config).map_err(|e| permanent("transport", &e))?;
        transport
            .send(message)
            .await
            .map_err(|e| SendError::Retry {
                message: format!("SMTP {} failed: {e}", config.smtp),
                retry_after: None,
            })?;
        Ok(())
    }

    fn transport(
        config: &EmailConfig,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
        let url = url::Url::parse(&config.smtp).expect("validated at load");
        let host = url.host_str().unwrap_or("localhost").to_string();
        let local = matches!(host.as_str(), "localhost" | "127.0.0.1" | "::1" | "[::1]");
        let mut builder = match url.scheme() {
            "smtps" => AsyncSmtpTransport::<Tokio1Executor>::relay(&host)?,
            _ if local => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host)?,
        };
        if let Some(port) = url.port() {
            builder = builder.port(port);
        }
        let password = config
            .password
            .clone()
            .or_else(|| std::env::var("REDLINE_SMTP_PASSWORD").ok());
        if let (Some(user), Some(password)) = (config.username.clone(), password) {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(builder.timeout(Some(DELIVERY_TIMEOUT)).build())
    }
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
        assert!(verify(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            body,
            &format!("v1,bogus {sig}")
        ));
        assert!(!verify(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265331,
            body,
            &sig
        ));
    }

    #[test]
    fn secrets() {
        assert!(decode_secret("whsec_not base64!").is_err());
        assert!(decode_secret("").is_err());
        assert_eq!(decode_secret("plain").unwrap(), b"plain");
    }

    #[test]
    fn retries_are_bounded_and_honour_retry_after() {
        assert!(retry_delay(0, None).is_none());
        let first = retry_delay(1, None).unwrap();
        assert!(first >= Duration::from_millis(4500) && first <= Duration::from_millis(5500));
        assert!(retry_delay(9, None).unwrap() > Duration::from_secs(20 * 3600));
        assert!(retry_delay(10, None).is_none());
        assert_eq!(
            retry_delay(1, Some(Duration::from_secs(60))),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn event_ids_are_unique() {
        let a = new_event_id();
        assert!(a.starts_with("msg_") && a.len() == 36);
        assert_ne!(a, new_event_id());
    }
}
