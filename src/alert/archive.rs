//! Archive snapshots: each new version's URL submitted to the Internet
//! Archive's Save Page Now 2 API (`POST {base}/save`, `Authorization: LOW
//! access:secret`), its job polled at `{base}/save/status/{job_id}` until the
//! capture is done, and the snapshot URL
//! (`https://web.archive.org/web/{timestamp}/{original_url}`) kept with the
//! version. A submission is an outbox row like an alert, so it gets the same
//! retries, and `429` answers are honoured. Once captured, the snapshot is
//! announced (`article.archived`) to the webhooks told of the version's change.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::SendError;
use super::bots::{json_answer, read_answer, unanswered};
use crate::config::{ArchiveConfig, WebhookConfig, WebhookFormat};
use crate::store::{ARTICLE_ARCHIVED, NewDelivery};

/// The version to capture, as stored in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveJob {
    /// The article's URL.
    pub url: String,
    /// Its row id.
    pub article_id: i64,
    /// The version's number.
    pub version: i64,
}

/// How soon a capture's status is first asked (a page already cached is done at
/// once), how often then, and for how long in one attempt.
const POLL_FIRST: Duration = Duration::from_secs(1);
const POLL_EVERY: Duration = Duration::from_secs(3);
const POLL_FOR: Duration = Duration::from_secs(120);

/// The public address of a capture.
pub fn snapshot_url(timestamp: &str, original_url: &str) -> String {
    format!("https://web.archive.org/web/{timestamp}/{original_url}")
}

/// What a status answer says.
#[derive(Debug, PartialEq, Eq)]
pub enum Status {
    /// Captured: the snapshot URL.
    Done(String),
    /// Still being captured.
    Pending,
    /// The capture failed; a later submission may work.
    Failed(String),
}

/// Reads a `/save/status/{job_id}` answer.
pub fn read_status(answer: &serde_json::Value, url: &str) -> Status {
    match answer["status"].as_str() {
        Some("success") => match answer["timestamp"].as_str() {
            Some(ts) => Status::Done(snapshot_url(ts, answer["original_url"].as_str().unwrap_or(url))),
            None => Status::Failed("success without a timestamp".into()),
        },
        Some("pending") => Status::Pending,
        _ => Status::Failed(format!(
            "{}: {}",
            answer["status_ext"].as_str().unwrap_or("error"),
            answer["message"].as_str().unwrap_or("no message")
        )),
    }
}

fn authorized(request: reqwest::RequestBuilder, config: &ArchiveConfig) -> reqwest::RequestBuilder {
    request
        .header("authorization", format!("LOW {}:{}", config.access_key.expose(), config.secret_key.expose()))
        .header("accept", "application/json")
}

/// Submits `job`'s URL and waits for its capture; returns the snapshot URL.
pub async fn capture(client: &reqwest::Client, config: &ArchiveConfig, job: &ArchiveJob) -> Result<String, SendError> {
    let what = format!("Save Page Now at {}", config.base);
    let form = url::form_urlencoded::Serializer::new(String::new()).append_pair("url", &job.url).finish();
    let request = client
        .post(format!("{}/save", config.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form);
    let response = authorized(request, config).send().await.map_err(|e| unanswered(&what, e))?;
    let answer = json_answer(&what, &read_answer(&what, response).await?)?;
    let Some(job_id) = answer["job_id"].as_str() else {
        let message = answer["message"].as_str().unwrap_or("no job id in the answer");
        return Err(SendError::Retry { message: format!("{what}: {message}"), retry_after: None });
    };
    let status_url = format!("{}/save/status/{job_id}", config.base);
    let started = tokio::time::Instant::now();
    let mut wait = POLL_FIRST;
    loop {
        tokio::time::sleep(wait).await;
        wait = POLL_EVERY;
        let response = authorized(client.get(&status_url), config).send().await.map_err(|e| unanswered(&what, e))?;
        let answer = json_answer(&what, &read_answer(&what, response).await?)?;
        match read_status(&answer, &job.url) {
            Status::Done(snapshot) => return Ok(snapshot),
            Status::Failed(message) => {
                return Err(SendError::Retry {
                    message: format!("{what}: capture failed: {message}"),
                    retry_after: None,
                });
            }
            Status::Pending if started.elapsed() > POLL_FOR => {
                return Err(SendError::Retry { message: format!("{what}: capture still pending"), retry_after: None });
            }
            Status::Pending => {}
        }
    }
}

impl super::Sender {
    /// Captures the version of an outbox row and records its snapshot URL.
    pub(super) async fn archive_version(
        &self,
        config: &ArchiveConfig,
        row: &super::Outgoing<'_>,
    ) -> Result<(), SendError> {
        let job: ArchiveJob = serde_json::from_str(row.payload)
            .map_err(|e| SendError::Permanent(format!("bad archive job in outbox: {e}")))?;
        let Some(db) = self.store.get() else {
            return Err(SendError::Permanent("archive snapshots need the daemon's database".into()));
        };
        crate::net::check_literal(&config.base, self.allow_private).map_err(|e| SendError::Permanent(e.to_string()))?;
        let channel = config.channel();
        self.spacing.wait(&channel, config.min_interval).await?;
        let captured = capture(&self.client, config, &job).await;
        self.spacing.posted(&channel);
        let snapshot = captured?;
        // Standard webhooks told of the version's change hear of its snapshot too (chat
        // webhooks, email and bots are not sent a second message).
        let hooks: Vec<String> =
            self.webhooks.iter().filter(|w| w.format == WebhookFormat::Standard).map(WebhookConfig::channel).collect();
        let now = chrono::Utc::now();
        let body = archived_event(&job, &snapshot, &self.web_base_url, now).to_string();
        db.write(move |s| {
            let told = s.channels_told_of_version(job.article_id, job.version)?;
            let announcements: Vec<NewDelivery> = told
                .into_iter()
                .filter(|channel| hooks.contains(channel))
                .map(|channel| NewDelivery {
                    channel,
                    event: ARTICLE_ARCHIVED,
                    event_id: super::new_event_id(),
                    payload: body.clone(),
                    next_attempt: now.timestamp(),
                })
                .collect();
            s.record_snapshot(job.article_id, job.version, &snapshot, &announcements, now.timestamp())
        })
        .await
        .map_err(|e| SendError::Retry { message: format!("snapshot not recorded: {e}"), retry_after: None })?;
        Ok(())
    }
}

/// The `article.archived` event: a version's Internet Archive snapshot, sent after
/// the `article.changed` event of the same version to the same webhook.
pub fn archived_event(
    job: &ArchiveJob,
    snapshot_url: &str,
    web_base_url: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    serde_json::json!({
        "type": ARTICLE_ARCHIVED,
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": {
            "url": job.url,
            "version": job.version,
            "snapshot_url": snapshot_url,
            "version_url": format!("{web_base_url}/articles/{}/versions/{}", job.article_id, job.version),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_answers_give_the_snapshot_or_the_reason() {
        let done =
            json!({ "status": "success", "timestamp": "20261201143600", "original_url": "https://n.example/a?b=1" });
        assert_eq!(
            read_status(&done, "https://n.example/a"),
            Status::Done("https://web.archive.org/web/20261201143600/https://n.example/a?b=1".into())
        );
        assert_eq!(read_status(&json!({ "status": "pending" }), "u"), Status::Pending);
        let failed = json!({ "status": "error", "status_ext": "error:too-many-daily-captures", "message": "Too many" });
        assert_eq!(read_status(&failed, "u"), Status::Failed("error:too-many-daily-captures: Too many".into()));
    }
}
