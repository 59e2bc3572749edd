//! Bluesky (AT Protocol): `com.atproto.server.createSession` (kept in memory
//! until it expires), `com.atproto.repo.uploadBlob` of the card, then
//! `com.atproto.repo.createRecord` of an `app.bsky.feed.post` with an
//! `app.bsky.embed.images` embed (alt text) and a link facet. The record key
//! is derived from the outbox event id, so a retry after a crash names the
//! same record: the repository refuses a second one, which counts as delivered.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::json;
use sha2::Digest;

use super::SendError;
use super::bots::{JsonBody, Media, Post, json_answer, read_answer, unanswered};
use crate::config::BlueskyConfig;

/// Bluesky's post length (graphemes; the post is composed within as many characters).
pub const TEXT_LIMIT: usize = 300;

const TID_ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// The record key of the post of `event_id` recorded at `timestamp` (Unix
/// seconds): a valid TID (53 bits of microseconds, 10 of clock id, in
/// base32-sortable) whose sub-second digits and clock id come from a hash of
/// the id, so the same event always gets the same key.
pub fn record_key(event_id: &str, timestamp: i64) -> String {
    let hash = sha2::Sha256::digest(event_id.as_bytes());
    let h = u64::from_be_bytes(hash[..8].try_into().expect("8 bytes"));
    let micros = (timestamp.max(0) as u64) * 1_000_000 + h % 1_000_000;
    let mut n = ((micros & ((1 << 53) - 1)) << 10) | ((h >> 20) & 0x3ff);
    let mut key = [0u8; 13];
    for slot in key.iter_mut().rev() {
        *slot = TID_ALPHABET[(n & 31) as usize];
        n >>= 5;
    }
    String::from_utf8(key.to_vec()).expect("ASCII")
}

/// The `app.bsky.feed.post` record: text, the link facet (UTF-8 byte offsets), the image embed.
pub fn record(post: &Post, blob: Option<&serde_json::Value>, alt: &str) -> serde_json::Value {
    let mut record = json!({
        "$type": "app.bsky.feed.post",
        "text": post.text,
        "createdAt": post.event.timestamp,
    });
    if let Some(start) = post.text.rfind(&post.link) {
        record["facets"] = json!([{
            "index": { "byteStart": start, "byteEnd": start + post.link.len() },
            "features": [{ "$type": "app.bsky.richtext.facet#link", "uri": post.link }],
        }]);
    }
    if let Some(blob) = blob {
        record["embed"] = json!({ "$type": "app.bsky.embed.images", "images": [{ "alt": alt, "image": blob }] });
    }
    record
}

/// A logged-in session.
#[derive(Debug, Clone)]
struct Session {
    did: String,
    access_jwt: String,
}

/// The sessions of each Bluesky account, reused while they last (logins are rate-limited hard).
#[derive(Debug, Default)]
pub struct Sessions {
    by_handle: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    fn get(&self, handle: &str) -> Option<Session> {
        self.by_handle.lock().unwrap_or_else(|p| p.into_inner()).get(handle).cloned()
    }

    fn put(&self, handle: &str, session: Option<Session>) {
        let mut all = self.by_handle.lock().unwrap_or_else(|p| p.into_inner());
        match session {
            Some(s) => all.insert(handle.to_string(), s),
            None => all.remove(handle),
        };
    }
}

async fn login(client: &reqwest::Client, config: &BlueskyConfig) -> Result<Session, SendError> {
    let what = format!("Bluesky login of {} at {}", config.handle, config.service);
    let response = client
        .post(format!("{}/xrpc/com.atproto.server.createSession", config.service))
        .json_body(&json!({ "identifier": config.handle, "password": config.password.expose() }))
        .send()
        .await
        .map_err(|e| unanswered(&what, e))?;
    let answer = json_answer(&what, &read_answer(&what, response).await?)?;
    match (answer["did"].as_str(), answer["accessJwt"].as_str()) {
        (Some(did), Some(jwt)) => Ok(Session { did: did.to_string(), access_jwt: jwt.to_string() }),
        _ => Err(SendError::Retry { message: format!("{what}: no did or accessJwt in the answer"), retry_after: None }),
    }
}

/// How one call with a session ended.
enum Called {
    Done(Vec<u8>),
    /// The record key is taken: this post was made by an earlier attempt.
    AlreadyThere,
    /// The session is no longer valid: log in again.
    Expired,
}

async fn call(what: &str, request: reqwest::RequestBuilder) -> Result<Called, SendError> {
    let response = request.send().await.map_err(|e| unanswered(what, e))?;
    let status = response.status();
    if status == reqwest::StatusCode::BAD_REQUEST || status == reqwest::StatusCode::UNAUTHORIZED {
        let body = response.bytes().await.unwrap_or_default();
        let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let error = answer["error"].as_str().unwrap_or("");
        let message = answer["message"].as_str().unwrap_or("").to_ascii_lowercase();
        if matches!(error, "ExpiredToken" | "InvalidToken") {
            return Ok(Called::Expired);
        }
        if message.contains("already exists") || error.ends_with("AlreadyExists") {
            return Ok(Called::AlreadyThere);
        }
        let detail: String = String::from_utf8_lossy(&body).chars().take(300).collect();
        return Err(SendError::Retry {
            message: format!("{what} answered HTTP {}: {detail}", status.as_u16()),
            retry_after: None,
        });
    }
    read_answer(what, response).await.map(Called::Done)
}

/// Whether the post with record key `rkey` is in the account's repository.
async fn record_exists(client: &reqwest::Client, config: &BlueskyConfig, session: &Session, rkey: &str) -> bool {
    let Ok(mut url) = reqwest::Url::parse(&format!("{}/xrpc/com.atproto.repo.getRecord", config.service)) else {
        return false;
    };
    url.query_pairs_mut()
        .append_pair("repo", &session.did)
        .append_pair("collection", "app.bsky.feed.post")
        .append_pair("rkey", rkey);
    let answer = client.get(url).bearer_auth(&session.access_jwt).send().await;
    answer.is_ok_and(|r| r.status().is_success())
}

/// Posts `post` (with `media` as an image embed) under a record key from `event_id`.
pub async fn send(
    client: &reqwest::Client,
    sessions: &Sessions,
    config: &BlueskyConfig,
    event_id: &str,
    post: &Post,
    media: Option<&Media>,
) -> Result<(), SendError> {
    let timestamp = chrono::DateTime::parse_from_rfc3339(&post.event.timestamp).map_or(0, |t| t.timestamp());
    let rkey = record_key(event_id, timestamp);
    // A stored session may have expired: on that answer, log in once more and start over.
    for fresh in [false, true] {
        let session = match sessions.get(&config.handle).filter(|_| !fresh) {
            Some(s) => s,
            None => {
                let s = login(client, config).await?;
                sessions.put(&config.handle, Some(s.clone()));
                s
            }
        };
        let blob = match media {
            None => None,
            Some(m) => {
                let what = format!("Bluesky blob upload of {}", config.handle);
                let request = client
                    .post(format!("{}/xrpc/com.atproto.repo.uploadBlob", config.service))
                    .bearer_auth(&session.access_jwt)
                    .header("content-type", "image/png")
                    .body(m.png.clone());
                match call(&what, request).await? {
                    Called::Done(body) => Some(json_answer(&what, &body)?["blob"].clone()),
                    Called::Expired => {
                        sessions.put(&config.handle, None);
                        continue;
                    }
                    Called::AlreadyThere => None,
                }
            }
        };
        let what = format!("Bluesky post of {}", config.handle);
        let body = json!({
            "repo": session.did,
            "collection": "app.bsky.feed.post",
            "rkey": rkey,
            "record": record(post, blob.as_ref(), media.map_or("", |m| m.alt.as_str())),
        });
        let request = client
            .post(format!("{}/xrpc/com.atproto.repo.createRecord", config.service))
            .bearer_auth(&session.access_jwt)
            .json_body(&body);
        match call(&what, request).await {
            Ok(Called::Done(_) | Called::AlreadyThere) => return Ok(()),
            Ok(Called::Expired) => sessions.put(&config.handle, None),
            // Some servers answer 500 for a record key already taken: a record there is this post.
            Err(e) => {
                return match record_exists(client, config, &session, &rkey).await {
                    true => Ok(()),
                    false => Err(e),
                };
            }
        }
    }
    Err(SendError::Retry {
        message: format!("Bluesky session of {} expired right after login", config.handle),
        retry_after: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::bots::{compose, tests::event};

    #[test]
    fn record_keys_are_stable_valid_tids() {
        let key = record_key("msg_0123", 1_800_000_000);
        assert_eq!(key, record_key("msg_0123", 1_800_000_000));
        assert_ne!(key, record_key("msg_0124", 1_800_000_000));
        assert_eq!(key.len(), 13);
        // A TID's first character has its top bit clear: one of 234567abcdefghij.
        assert!(b"234567abcdefghij".contains(&key.as_bytes()[0]), "{key}");
        assert!(key.bytes().all(|b| TID_ALPHABET.contains(&b)), "{key}");
        assert!(record_key("msg_0123", 1_900_000_000) > key, "later events sort later");
    }

    #[test]
    fn the_record_links_the_change_and_embeds_the_card() {
        let post = compose(&event("Zölle steigen", vec!["Ein Satz.".into()]), TEXT_LIMIT);
        let blob = json!({ "$type": "blob", "ref": { "$link": "bafkrei" }, "mimeType": "image/png", "size": 10 });
        let r = record(&post, Some(&blob), "alt words");
        let facet = &r["facets"][0];
        let (start, end) = (facet["index"]["byteStart"].as_u64().unwrap(), facet["index"]["byteEnd"].as_u64().unwrap());
        assert_eq!(&post.text.as_bytes()[start as usize..end as usize], post.link.as_bytes(), "UTF-8 byte offsets");
        assert_eq!(facet["features"][0]["uri"], post.link.as_str());
        assert_eq!(r["embed"]["$type"], "app.bsky.embed.images");
        assert_eq!(r["embed"]["images"][0]["alt"], "alt words");
        assert_eq!(r["embed"]["images"][0]["image"], blob);
        assert_eq!(r["createdAt"], "2027-01-15T08:00:00Z");
    }
}
