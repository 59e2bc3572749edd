//! `[storage]`: an SQLite file or a PostgreSQL URL, and how long a claim lasts.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::{duration, opt_duration};

/// Default SQLite file.
pub const DEFAULT_DB_PATH: &str = "redline.db";

/// `[storage]` as written: `path` and `url` are checked against each other.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStorage {
    path: Option<toml::Spanned<PathBuf>>,
    url: Option<toml::Spanned<String>>,
    #[serde(default = "yes")]
    keep_raw_html: bool,
    #[serde(default, deserialize_with = "opt_duration")]
    keep_screenshots: Option<Duration>,
    #[serde(default, deserialize_with = "opt_lease")]
    lease: Option<Duration>,
}

fn yes() -> bool {
    true
}

impl Default for RawStorage {
    fn default() -> Self {
        RawStorage { path: None, url: None, keep_raw_html: true, keep_screenshots: None, lease: None }
    }
}

impl RawStorage {
    /// The storage, or the offset of the key at fault and why.
    pub(super) fn check(self) -> Result<StorageConfig, (usize, String)> {
        let url = match (&self.path, self.url) {
            (Some(_), Some(url)) => {
                return Err((
                    url.span().start,
                    "set either `path` (an SQLite file) or `url` (a PostgreSQL database) in [storage], not both".into(),
                ));
            }
            (_, Some(url)) => {
                let text = url.get_ref();
                if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
                    return Err((
                        url.span().start,
                        "`url` must be a PostgreSQL URL: postgres://user@host/database".into(),
                    ));
                }
                Some(url.into_inner())
            }
            (_, None) => None,
        };
        let lease = self.lease.unwrap_or(DEFAULT_LEASE);
        Ok(StorageConfig {
            path: self.path.map_or_else(|| PathBuf::from(DEFAULT_DB_PATH), toml::Spanned::into_inner),
            url,
            keep_raw_html: self.keep_raw_html,
            keep_screenshots: self.keep_screenshots,
            lease,
        })
    }
}

/// `[storage]`
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// The SQLite file (when `url` is None).
    pub path: PathBuf,
    /// A PostgreSQL database (`postgres://user@host/db`) instead of the file; the password
    /// comes from `PGPASSWORD` or the password file (`PGPASSFILE`, `~/.pgpass`).
    pub url: Option<String>,
    /// Keep the raw HTML of each version (zstd-compressed).
    pub keep_raw_html: bool,
    /// How long screenshots are kept (`"90d"`); each article's newest always stays.
    /// None (the default): kept as long as their versions.
    pub keep_screenshots: Option<Duration>,
    /// How long a worker's claim on an article, a listing or an outbox row lasts
    /// (renewed while the work goes on); a dead worker's work is taken over after it.
    pub lease: Duration,
}

/// Default length of a claim ([`StorageConfig::lease`]).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(300);
/// The shortest claim allowed: renewals come every third of it.
pub const MIN_LEASE: Duration = Duration::from_secs(3);

impl StorageConfig {
    /// The database for messages: the file, or the URL.
    pub fn describe(&self) -> String {
        match &self.url {
            Some(url) => url.clone(),
            None => self.path.display().to_string(),
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from(DEFAULT_DB_PATH),
            url: None,
            keep_raw_html: true,
            keep_screenshots: None,
            lease: DEFAULT_LEASE,
        }
    }
}

fn opt_lease<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let lease = duration(d)?;
    if lease < MIN_LEASE {
        return Err(serde::de::Error::custom(format!(
            "a lease of {} is too short: at least {}s (it is renewed every third of it)",
            humantime::format_duration(lease),
            MIN_LEASE.as_secs()
        )));
    }
    Ok(Some(lease))
}
