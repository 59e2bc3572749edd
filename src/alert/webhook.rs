//! Webhook delivery: the design's JSON signed per Standard Webhooks, or a
//! readable message for Slack-, Discord- and Mattermost-style incoming webhooks.

use std::time::Duration;

use serde_json::json;

use super::{Event, SendError, decode_secret, sign};
use crate::config::{WebhookConfig, WebhookFormat};
use crate::net::error_chain;

/// Longest message a Discord webhook accepts.
const DISCORD_LIMIT: usize = 2000;

/// The body POSTed to a webhook for an event.
pub fn payload(format: WebhookFormat, event: &Event) -> String {
    match format {
        WebhookFormat::Standard => serde_json::to_string(event).expect("event serializes"),
        WebhookFormat::Slack | WebhookFormat::Mattermost => json!({ "text": chat_text(event, true) }).to_string(),
        WebhookFormat::Discord => {
            let mut text = chat_text(event, false);
            if text.chars().count() > DISCORD_LIMIT {
                text = text.chars().take(DISCORD_LIMIT - 1).collect::<String>() + "…";
            }
            json!({ "content": text }).to_string()
        }
    }
}

/// A short message: headline, link, summary, notices and the first added/removed sentences.
fn chat_text(event: &Event, slack_links: bool) -> String {
    let d = &event.data;
    let title = d.title.as_deref().unwrap_or(&d.url);
    let mut out = if slack_links {
        // Slack's mrkdwn treats <, > and & as control characters.
        let safe = title.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        format!("*<{}|{}>*\n{}", d.url, safe, d.summary)
    } else {
        format!("**{}**\n{}\n{}", title, d.url, d.summary)
    };
    for note in &d.notes {
        out.push_str(&format!("\n> {note}"));
    }
    for s in d.added.iter().take(3) {
        out.push_str(&format!("\n+ {s}"));
    }
    for s in d.removed.iter().take(3) {
        out.push_str(&format!("\n- {s}"));
    }
    out.push_str(&format!("\n{}", d.diff_url));
    out
}

/// A webhook URL as shown in errors, logs and listings: scheme, host and port
/// only, since the path of a chat webhook URL is its secret.
pub fn shown(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}/…",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "(webhook URL)".into(),
    }
}

/// One POST. 2xx is success; 410 disables the endpoint; redirects are not followed.
pub async fn send(client: &reqwest::Client, hook: &WebhookConfig, event_id: &str, body: &str) -> Result<(), SendError> {
    let timestamp = chrono::Utc::now().timestamp();
    let mut request = client
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("webhook-id", event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .body(body.to_string());
    if let Some(secret) = &hook.secret {
        let key = decode_secret(secret).map_err(SendError::Permanent)?;
        request = request.header("webhook-signature", sign(&key, event_id, timestamp, body.as_bytes()));
    }
    let response = request.send().await.map_err(|e| SendError::Retry {
        message: format!("POST {} failed: {}", shown(&hook.url), error_chain(&e.without_url())),
        retry_after: None,
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    if status == reqwest::StatusCode::GONE {
        return Err(SendError::Gone(format!("{} answered 410 Gone", shown(&hook.url))));
    }
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let what = if status.is_redirection() { " (redirects are not followed)" } else { "" };
    Err(SendError::Retry {
        message: format!("{} answered HTTP {}{what}", shown(&hook.url), status.as_u16()),
        retry_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::EventData;
    use crate::diff::EditKind;

    fn event() -> Event {
        let data = EventData {
            url: "https://news.example/a".into(),
            title: Some("Fees <rise> & fall".into()),
            source: "s".into(),
            from_version: 1,
            to_version: 2,
            kinds: vec![EditKind::Addition],
            significance: 0.3,
            summary: "1 paragraph (12 words) added".into(),
            notes: vec![],
            added: vec!["x".repeat(3000)],
            removed: vec![],
            diff_url: "http://127.0.0.1:8080/articles/1/versions/2".into(),
        };
        Event::article_changed(data, chrono::Utc::now())
    }

    #[test]
    fn shown_urls_hide_the_path() {
        assert_eq!(shown("https://hooks.slack.com/services/T000/B000/XXXX"), "https://hooks.slack.com/…");
        assert_eq!(shown("http://127.0.0.1:9000/hook?key=1"), "http://127.0.0.1:9000/…");
    }

    #[test]
    fn chat_formats_are_readable_and_bounded() {
        let slack: serde_json::Value = serde_json::from_str(&payload(WebhookFormat::Slack, &event())).unwrap();
        let text = slack["text"].as_str().unwrap();
        assert!(text.starts_with("*<https://news.example/a|Fees &lt;rise&gt; &amp; fall>*"), "{text}");
        let discord: serde_json::Value = serde_json::from_str(&payload(WebhookFormat::Discord, &event())).unwrap();
        assert!(discord["content"].as_str().unwrap().chars().count() <= DISCORD_LIMIT);
        let e = event();
        let standard: Event = serde_json::from_str(&payload(WebhookFormat::Standard, &e)).unwrap();
        assert_eq!(standard, e);
    }
}
