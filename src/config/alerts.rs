//! The alert tables: `[alerts]` (which changes alert, how long a delivery is retried),
//! `[[webhook]]` and `[[email]]`. The `[[channel]]` tables are in `channels.rs`.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use super::{duration, http_url, opt_duration, opt_significance};
use crate::diff::EditKind;

/// Default time a failing delivery is retried before it is marked failed.
pub const DEFAULT_RETRY_FOR: Duration = Duration::from_secs(3 * 24 * 3600);

/// `[alerts]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Which kinds of change alert (default: all but a typo-only change).
    pub kinds: Option<Vec<EditKind>>,
    /// Changes below this significance (0 to 1) do not alert.
    #[serde(deserialize_with = "opt_significance")]
    pub min_significance: Option<f64>,
    /// How long a failing delivery is retried (with backoff) before it is marked failed.
    #[serde(deserialize_with = "duration")]
    pub retry_for: Duration,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self { kinds: None, min_significance: None, retry_for: DEFAULT_RETRY_FOR }
    }
}

impl AlertsConfig {
    /// The global rules.
    pub fn rules(&self) -> AlertRules {
        AlertRules { kinds: self.kinds.clone(), min_significance: self.min_significance }
    }
}

/// Which changes alert; unset fields fall back to `[alerts]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertRules {
    /// Kinds that alert.
    pub kinds: Option<Vec<EditKind>>,
    /// Minimum significance.
    pub min_significance: Option<f64>,
}

/// Payload style of a webhook.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// The design's `article.changed` JSON, signed per Standard Webhooks.
    #[default]
    Standard,
    /// A Slack incoming webhook (`{"text": …}` with mrkdwn links).
    Slack,
    /// A Discord webhook (`{"content": …}`).
    Discord,
    /// A Mattermost incoming webhook (`{"text": …}`).
    Mattermost,
}

/// One `[[webhook]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where events are POSTed.
    #[serde(deserialize_with = "http_url")]
    pub url: String,
    /// Standard Webhooks secret (`whsec_` + base64); events are unsigned without one.
    #[serde(default, deserialize_with = "webhook_secret")]
    pub secret: Option<String>,
    /// Payload style.
    #[serde(default)]
    pub format: WebhookFormat,
}

impl WebhookConfig {
    /// The outbox channel name of this webhook: its host and a hash of the whole
    /// URL, since the path of a chat webhook URL is itself a secret.
    pub fn channel(&self) -> String {
        use sha2::Digest;
        let host = url::Url::parse(&self.url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
        let hash = sha2::Sha256::digest(self.url.as_bytes());
        format!("webhook:{host}#{:02x}{:02x}{:02x}{:02x}", hash[0], hash[1], hash[2], hash[3])
    }
}

/// One `[[email]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// `smtp://host:port` (plain or STARTTLS) or `smtps://host:port` (implicit TLS).
    #[serde(deserialize_with = "smtp_url")]
    pub smtp: String,
    /// Sender address.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
    /// SMTP user name.
    pub username: Option<String>,
    /// SMTP password (or set `REDLINE_SMTP_PASSWORD`).
    pub password: Option<String>,
    /// Gather changes for this long and send them in one mail (e.g. "30m").
    #[serde(default, deserialize_with = "opt_duration")]
    pub digest: Option<Duration>,
}

impl EmailConfig {
    /// The outbox channel name of this email destination.
    pub fn channel(&self) -> String {
        format!("email:{}", self.to.join(","))
    }
}

fn smtp_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    check_smtp_url(&text).map_err(serde::de::Error::custom)?;
    Ok(text)
}

/// Checks an `smtp://host:port` or `smtps://host:port` URL.
pub fn check_smtp_url(text: &str) -> Result<(), String> {
    match url::Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "smtp" | "smtps") && u.host().is_some() => Ok(()),
        _ => Err(format!(
            "{text:?} is not an SMTP URL; write smtp://host:port (STARTTLS, or plain on localhost) or smtps://host:port"
        )),
    }
}

fn webhook_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    decode_secret(&text).map_err(serde::de::Error::custom)?;
    Ok(Some(text))
}

/// Decodes a Standard Webhooks secret: `whsec_` + base64; any other string is used as raw bytes.
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    match secret.strip_prefix("whsec_") {
        Some(b64) => base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| {
            format!("webhook secret after `whsec_` must be base64 ({e}); generate one with `openssl rand -base64 32`")
        }),
        None if secret.is_empty() => Err("webhook secret is empty".into()),
        None => Ok(secret.as_bytes().to_vec()),
    }
}
