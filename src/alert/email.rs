//! Email delivery over SMTP (lettre): multipart plain text + HTML, the HTML
//! being the diff engine's escaped redline. The message is composed when the
//! change is committed and stored in the outbox, so a retry sends the same mail.

use lettre::message::MultiPart;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use super::{DELIVERY_TIMEOUT, Event, SendError};
use crate::config::EmailConfig;
use crate::diff::{Change, EditKind};
use crate::text::escape_html;

/// A composed mail, as stored in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailPayload {
    /// Subject line.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part (every piece of article text escaped).
    pub html: String,
}

/// `[Redline] Edited: <headline> — editor's note added`.
pub fn subject(event: &Event) -> String {
    let title = event.data.title.as_deref().unwrap_or(&event.data.url);
    format!("[Redline] Edited: {} — {}", one_line(title), headline_of_kinds(&event.data.kinds))
}

/// The most telling kind, in words: what an editor scanning a subject wants first.
pub(crate) fn headline_of_kinds(kinds: &[EditKind]) -> &'static str {
    const ORDER: [(EditKind, &str); 12] = [
        (EditKind::Correction, "correction added"),
        (EditKind::EditorsNote, "editor's note added"),
        (EditKind::HeadlineTest, "headline A/B test"),
        (EditKind::Headline, "headline changed"),
        (EditKind::Unannounced, "unannounced change"),
        (EditKind::Fact, "fact changed"),
        (EditKind::Addition, "text added"),
        (EditKind::Removal, "text removed"),
        (EditKind::Rewording, "reworded"),
        (EditKind::Byline, "byline changed"),
        (EditKind::Dates, "dates changed"),
        (EditKind::Typo, "typo fixed"),
    ];
    ORDER.iter().find(|(k, _)| kinds.contains(k)).map_or("edited", |(_, words)| words)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Composes the mail for one change.
pub fn compose(event: &Event, change: &Change) -> EmailPayload {
    EmailPayload { subject: subject(event), text: text_body(event), html: html_body(event, change) }
}

fn text_body(event: &Event) -> String {
    let d = &event.data;
    let mut out = format!("{}\n{}\n\n{}\n", d.title.as_deref().unwrap_or(""), d.url, d.summary);
    for note in &d.notes {
        out.push_str(&format!("\nNotice: {note}\n"));
    }
    for s in &d.added {
        out.push_str(&format!("\n+ {s}"));
    }
    for s in &d.removed {
        out.push_str(&format!("\n- {s}"));
    }
    out.push_str(&format!("\n\nVersions {} → {}: {}\n", d.from_version, d.to_version, d.diff_url));
    out
}

fn html_body(event: &Event, change: &Change) -> String {
    let d = &event.data;
    format!(
        "<h2>{title}</h2>\n<p><a href=\"{url}\">{url}</a></p>\n{redline}\n<p><a href=\"{diff}\">Versions {from} → {to} in Redline</a></p>\n",
        title = escape_html(d.title.as_deref().unwrap_or("")),
        url = escape_html(&d.url),
        redline = crate::diff::render_html(change),
        diff = escape_html(&d.diff_url),
        from = d.from_version,
        to = d.to_version,
    )
}

/// Several mails in one, for a digest channel.
pub fn digest(mails: &[EmailPayload]) -> EmailPayload {
    if let [single] = mails {
        return single.clone();
    }
    let mut text = String::new();
    let mut html = String::new();
    for m in mails {
        text.push_str(&format!("== {}\n\n{}\n", m.subject, m.text));
        html.push_str(&format!("<section>\n<h1>{}</h1>\n{}</section>\n<hr>\n", escape_html(&m.subject), m.html));
    }
    EmailPayload { subject: format!("[Redline] {} articles edited", mails.len()), text, html }
}

/// Sends one mail; the Message-ID derives from the event id, so a resend is recognisable.
pub async fn send(config: &EmailConfig, event_id: &str, mail: &EmailPayload) -> Result<(), SendError> {
    let permanent = |what: &str, e: &dyn std::fmt::Display| SendError::Permanent(format!("email {what}: {e}"));
    let mut builder = Message::builder()
        .from(config.from.parse().map_err(|e| permanent("from address", &e))?)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{event_id}@redline>")));
    for to in &config.to {
        builder = builder.to(to.parse().map_err(|e| permanent("to address", &e))?);
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
        .map_err(|e| permanent("message", &e))?;
    let transport = transport(config).map_err(|e| permanent("transport", &e))?;
    transport
        .send(message)
        .await
        .map_err(|e| SendError::Retry { message: format!("SMTP {} failed: {e}", config.smtp), retry_after: None })?;
    Ok(())
}

fn transport(config: &EmailConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    let url = url::Url::parse(&config.smtp).expect("validated at load");
    let host = url.host_str().unwrap_or("localhost").trim_matches(['[', ']']).to_string();
    let local = matches!(host.as_str(), "localhost" | "127.0.0.1" | "::1");
    let mut builder = match url.scheme() {
        "smtps" => AsyncSmtpTransport::<Tokio1Executor>::relay(&host)?,
        // Plain SMTP only to this machine; anything else must use STARTTLS.
        _ if local => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host)?,
    };
    if let Some(port) = url.port() {
        builder = builder.port(port);
    }
    let password = config.password.clone().or_else(|| std::env::var("REDLINE_SMTP_PASSWORD").ok());
    if let (Some(user), Some(password)) = (config.username.clone(), password) {
        builder = builder.credentials(Credentials::new(user, password));
    }
    Ok(builder.timeout(Some(DELIVERY_TIMEOUT)).build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::EventData;

    fn event(title: &str, kinds: Vec<EditKind>) -> Event {
        let data = EventData {
            url: "https://news.example/a".into(),
            title: Some(title.into()),
            source: "https://news.example/rss".into(),
            from_version: 1,
            to_version: 2,
            kinds,
            significance: 0.4,
            summary: "Editor's note added".into(),
            notes: vec!["Editor's note: <b>updated</b>".into()],
            added: vec!["A <script>alert(1)</script> sentence.".into()],
            removed: vec![],
            diff_url: "http://127.0.0.1:8080/articles/1/versions/2".into(),
        };
        Event::article_changed(data, chrono::Utc::now())
    }

    #[test]
    fn subject_names_the_headline_and_the_most_telling_kind() {
        let e = event("Port strike\n ends", vec![EditKind::Addition, EditKind::EditorsNote]);
        assert_eq!(subject(&e), "[Redline] Edited: Port strike ends — editor's note added");
        let e = event("X", vec![EditKind::Typo]);
        assert!(subject(&e).ends_with("typo fixed"));
    }

    #[test]
    fn html_escapes_article_text() {
        let e = event("<img src=x onerror=alert(1)>", vec![EditKind::Addition]);
        let mail = compose(&e, &Change::default());
        assert!(!mail.html.contains("<img"), "{}", mail.html);
        assert!(mail.html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    }

    #[test]
    fn a_digest_joins_mails() {
        let a = compose(&event("A", vec![EditKind::Headline]), &Change::default());
        let b = compose(&event("B", vec![EditKind::Removal]), &Change::default());
        assert_eq!(digest(std::slice::from_ref(&a)), a);
        let d = digest(&[a, b]);
        assert_eq!(d.subject, "[Redline] 2 articles edited");
        assert!(d.text.contains("Edited: A") && d.text.contains("Edited: B"));
    }
}
