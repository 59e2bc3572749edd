//! ntfy: one POST to the topic URL, the text as body and the headline, tags
//! and link in ntfy's headers (non-ASCII headlines RFC 2047-encoded, which
//! ntfy decodes).

use base64::Engine as _;

use super::SendError;
use super::bots::{Post, read_answer, unanswered};
use crate::config::NtfyConfig;

/// Characters of a message: ntfy takes 4096 bytes before it turns a message into
/// an attachment, and a character takes up to four.
pub const TEXT_LIMIT: usize = 1000;

/// A header value ntfy reads back as `text`: as is when plain ASCII, else
/// `=?UTF-8?B?…?=`.
pub fn header_text(text: &str) -> String {
    if text.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) {
        text.to_string()
    } else {
        format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(text.as_bytes()))
    }
}

/// One POST of `post` to the topic.
pub async fn send(client: &reqwest::Client, config: &NtfyConfig, post: &Post) -> Result<(), SendError> {
    let what = format!("ntfy {}", super::webhook::shown(&config.url));
    let mut request = client
        .post(&config.url)
        .header("content-type", "text/plain; charset=utf-8")
        .header("title", header_text(&post.title))
        .header("tags", post.tags.join(","))
        .header("click", &post.link)
        .body(post.text.clone());
    if let Some(priority) = config.priority {
        request = request.header("priority", priority.to_string());
    }
    if let Some(token) = &config.token {
        request = request.bearer_auth(token.expose());
    }
    let response = request.send().await.map_err(|e| unanswered(&what, e))?;
    read_answer(&what, response).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_carry_unicode_encoded() {
        assert_eq!(header_text("Fees rise"), "Fees rise");
        assert_eq!(header_text("Gebühren"), "=?UTF-8?B?R2Viw7xocmVu?=");
        assert!(header_text("a\nb").starts_with("=?UTF-8?B?"), "no raw control characters in a header");
    }
}
