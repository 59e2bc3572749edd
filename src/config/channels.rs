//! The `[[channel]]` tables: edit bots and push channels (ntfy, Matrix,
//! Mastodon, Bluesky), each with its own rule of which changes it posts and a
//! least time between two posts. Tokens and passwords may be written as
//! `"${NAME}"` to read them from the environment at load; `Debug` never shows
//! them.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::{check_url, expand_env, opt_significance};
use crate::diff::EditKind;

/// A token or password from the config (or the environment). `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value, for the request that needs it only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        let text = String::deserialize(d)?;
        let value = expand_env(&text, |name| std::env::var(name).ok()).map_err(serde::de::Error::custom)?;
        if value.is_empty() {
            return Err(serde::de::Error::custom("the token or password is empty"));
        }
        Ok(Secret(value))
    }
}

/// Which changes a channel posts, over the watch's and `[alerts]` rules (a
/// change must pass both), and how far apart its posts are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelRule {
    /// Kinds this channel posts (default: every kind the global rules let through).
    pub kinds: Option<Vec<EditKind>>,
    /// Changes below this significance are not posted here.
    pub min_significance: Option<f64>,
    /// Least time between two posts of this channel.
    pub min_interval: Duration,
}

/// One `[[channel]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelConfig {
    /// Which changes it gets.
    pub rule: ChannelRule,
    /// The service and its settings.
    pub kind: ChannelKind,
}

/// A channel's service.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelKind {
    /// An ntfy topic.
    Ntfy(NtfyConfig),
    /// A Matrix room.
    Matrix(MatrixConfig),
    /// A Mastodon account.
    Mastodon(MastodonConfig),
    /// A Bluesky account.
    Bluesky(BlueskyConfig),
}

/// `type = "ntfy"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NtfyConfig {
    /// The topic URL messages are POSTed to, e.g. `https://ntfy.sh/newsroom-edits`.
    #[serde(deserialize_with = "http_url")]
    pub url: String,
    /// Access token (sent as `Authorization: Bearer`), if the topic is protected.
    pub token: Option<Secret>,
    /// Message priority 1 (min) to 5 (max); the server's default (3) when unset.
    pub priority: Option<u8>,
}

/// `type = "matrix"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixConfig {
    /// The homeserver's base URL, e.g. `https://matrix.example.org`.
    #[serde(deserialize_with = "http_url")]
    pub homeserver: String,
    /// The room id (`!abc:example.org`, or `!abc` in room version 12) the bot has joined.
    pub room: String,
    /// The bot user's access token.
    pub token: Secret,
}

/// Who may see a Mastodon status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Everyone, in public timelines.
    #[default]
    Public,
    /// Everyone, but out of public timelines.
    Unlisted,
    /// Followers only.
    Private,
    /// Mentioned users only.
    Direct,
}

impl Visibility {
    /// The API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }
}

/// `type = "mastodon"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MastodonConfig {
    /// The instance's base URL, e.g. `https://mastodon.social`.
    #[serde(deserialize_with = "http_url")]
    pub instance: String,
    /// An access token with the `write:statuses` and `write:media` scopes.
    pub token: Secret,
    /// Who sees the posts.
    #[serde(default)]
    pub visibility: Visibility,
}

/// Default Bluesky service (PDS or entryway) logged into.
pub const DEFAULT_BLUESKY_SERVICE: &str = "https://bsky.social";

/// `type = "bluesky"`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueskyConfig {
    /// The service logged into.
    #[serde(default = "default_bluesky_service", deserialize_with = "http_url")]
    pub service: String,
    /// The account's handle or DID.
    pub handle: String,
    /// An app password (Settings → App passwords), not the account password.
    pub password: Secret,
}

fn default_bluesky_service() -> String {
    DEFAULT_BLUESKY_SERVICE.to_string()
}

fn http_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let url = check_url(&String::deserialize(d)?).map_err(serde::de::Error::custom)?;
    Ok(url.trim_end_matches('/').to_string())
}

/// The keys every channel has, besides its service's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(rename = "type")]
    kind: String,
    kinds: Option<Vec<EditKind>>,
    #[serde(default, deserialize_with = "opt_significance")]
    min_significance: Option<f64>,
    #[serde(default, deserialize_with = "super::opt_duration")]
    min_interval: Option<Duration>,
}

const RULE_KEYS: [&str; 4] = ["type", "kinds", "min_significance", "min_interval"];

impl ChannelConfig {
    /// Reads one `[[channel]]` table: the common keys, then its type's own.
    pub fn from_table(table: toml::Table) -> Result<ChannelConfig, String> {
        let (common, own): (toml::Table, toml::Table) =
            table.into_iter().partition(|(key, _)| RULE_KEYS.contains(&key.as_str()));
        let raw: RawRule = toml::Value::Table(common).try_into().map_err(|e: toml::de::Error| {
            if e.message().contains("missing field `type`") {
                "a [[channel]] needs `type = \"ntfy\"`, \"matrix\", \"mastodon\" or \"bluesky\"".to_string()
            } else {
                e.message().to_string()
            }
        })?;
        let own = toml::Value::Table(own);
        let fail = |e: toml::de::Error| format!("[[channel]] of type {:?}: {}", raw.kind, e.message());
        let kind = match raw.kind.as_str() {
            "ntfy" => {
                let ntfy: NtfyConfig = own.try_into().map_err(fail)?;
                if ntfy.priority.is_some_and(|p| !(1..=5).contains(&p)) {
                    return Err("ntfy `priority` goes from 1 (min) to 5 (max)".into());
                }
                ChannelKind::Ntfy(ntfy)
            }
            "matrix" => {
                let matrix: MatrixConfig = own.try_into().map_err(fail)?;
                // Room ids start with `!` (since room version 12 without a `:server` part); aliases with `#`.
                if !matrix.room.starts_with('!') || matrix.room.len() < 2 {
                    return Err(format!(
                        "Matrix `room` {:?} is not a room id; write the id (\"!abc123:example.org\", in the room's settings), not an alias",
                        matrix.room
                    ));
                }
                ChannelKind::Matrix(matrix)
            }
            "mastodon" => ChannelKind::Mastodon(own.try_into().map_err(fail)?),
            "bluesky" => ChannelKind::Bluesky(own.try_into().map_err(fail)?),
            other => {
                return Err(format!(
                    "unknown channel type {other:?}; write \"ntfy\", \"matrix\", \"mastodon\" or \"bluesky\""
                ));
            }
        };
        let rule = ChannelRule {
            kinds: raw.kinds,
            min_significance: raw.min_significance,
            min_interval: raw.min_interval.unwrap_or_default(),
        };
        Ok(ChannelConfig { rule, kind })
    }

    /// The outbox channel name: the service and the account or room, never a secret.
    pub fn channel(&self) -> String {
        match &self.kind {
            ChannelKind::Ntfy(n) => format!("ntfy:{}", n.url.split_once("://").map_or(n.url.as_str(), |(_, r)| r)),
            ChannelKind::Matrix(m) => format!("matrix:{}", m.room),
            ChannelKind::Mastodon(m) => {
                use sha2::Digest;
                // Two accounts on one instance differ by their token: a hash of it tells them apart.
                let hash = sha2::Sha256::digest(m.token.expose().as_bytes());
                let host = m.instance.split_once("://").map_or(m.instance.as_str(), |(_, r)| r);
                format!("mastodon:{host}#{:02x}{:02x}{:02x}{:02x}", hash[0], hash[1], hash[2], hash[3])
            }
            ChannelKind::Bluesky(b) => format!("bluesky:{}", b.handle),
        }
    }
}

/// Default Save Page Now endpoint.
pub const DEFAULT_ARCHIVE_BASE: &str = "https://web.archive.org";
/// Default least time between two Save Page Now submissions.
pub const DEFAULT_ARCHIVE_INTERVAL: Duration = Duration::from_secs(10);

/// `[archive]`: each new version's URL submitted to the Internet Archive's
/// Save Page Now 2 API, and the snapshot URL kept with the version.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveConfig {
    /// The API's base URL.
    #[serde(default = "default_archive_base", deserialize_with = "http_url")]
    pub base: String,
    /// The S3-like access key of an archive.org account (archive.org/account/s3.php).
    pub access_key: Secret,
    /// Its secret key.
    pub secret_key: Secret,
    /// Least time between two submissions (Save Page Now limits captures per minute).
    #[serde(default = "default_archive_interval", deserialize_with = "super::duration")]
    pub min_interval: Duration,
}

fn default_archive_base() -> String {
    DEFAULT_ARCHIVE_BASE.to_string()
}

fn default_archive_interval() -> Duration {
    DEFAULT_ARCHIVE_INTERVAL
}

impl ArchiveConfig {
    /// The outbox channel name of the archive.
    pub fn channel(&self) -> String {
        format!("archive:{}", self.base.split_once("://").map_or(self.base.as_str(), |(_, r)| r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(text: &str) -> Result<ChannelConfig, String> {
        ChannelConfig::from_table(text.parse::<toml::Table>().unwrap())
    }

    #[test]
    fn each_type_reads_its_keys_and_the_common_rule() {
        let c = channel("type = \"ntfy\"\nurl = \"https://ntfy.example/edits\"\nkinds = [\"correction\"]\nmin_significance = 0.2\nmin_interval = \"1m\"\n").unwrap();
        assert_eq!(c.rule.kinds, Some(vec![EditKind::Correction]));
        assert_eq!(c.rule.min_significance, Some(0.2));
        assert_eq!(c.rule.min_interval, Duration::from_secs(60));
        assert_eq!(c.channel(), "ntfy:ntfy.example/edits");
        let m = channel(
            "type = \"mastodon\"\ninstance = \"https://m.example/\"\ntoken = \"abc\"\nvisibility = \"unlisted\"\n",
        )
        .unwrap();
        let ChannelKind::Mastodon(mastodon) = &m.kind else { panic!("{m:?}") };
        assert_eq!((mastodon.instance.as_str(), mastodon.visibility), ("https://m.example", Visibility::Unlisted));
        assert!(m.channel().starts_with("mastodon:m.example#"));
        assert!(!format!("{m:?}").contains("abc"), "the token is not shown");
        let b = channel("type = \"bluesky\"\nhandle = \"desk.example\"\npassword = \"p\"\n").unwrap();
        let ChannelKind::Bluesky(bluesky) = &b.kind else { panic!() };
        assert_eq!(bluesky.service, DEFAULT_BLUESKY_SERVICE);
    }

    #[test]
    fn secrets_come_from_the_environment() {
        // SAFETY: a variable of this test alone.
        unsafe { std::env::set_var("REDLINE_TEST_MATRIX_TOKEN", "syt_secret") };
        let c = channel("type = \"matrix\"\nhomeserver = \"http://127.0.0.1:8008\"\nroom = \"!r:local\"\ntoken = \"${REDLINE_TEST_MATRIX_TOKEN}\"\n").unwrap();
        let ChannelKind::Matrix(m) = &c.kind else { panic!() };
        assert_eq!(m.token.expose(), "syt_secret");
        let err = channel(
            "type = \"matrix\"\nhomeserver = \"http://h\"\nroom = \"!r:h\"\ntoken = \"${REDLINE_TEST_UNSET_TOKEN}\"\n",
        )
        .unwrap_err();
        assert!(err.contains("REDLINE_TEST_UNSET_TOKEN is not set"), "{err}");
    }

    #[test]
    fn the_archive_has_defaults_and_reads_keys_from_the_environment() {
        // SAFETY: variables of this test alone.
        unsafe { std::env::set_var("REDLINE_TEST_IA_SECRET", "s3cr3t") };
        let text = "access_key = \"k\"\nsecret_key = \"${REDLINE_TEST_IA_SECRET}\"\n";
        let a: ArchiveConfig = toml::from_str(text).unwrap();
        assert_eq!((a.base.as_str(), a.min_interval), (DEFAULT_ARCHIVE_BASE, DEFAULT_ARCHIVE_INTERVAL));
        assert_eq!(a.secret_key.expose(), "s3cr3t");
        assert_eq!(a.channel(), "archive:web.archive.org");
        assert!(toml::from_str::<ArchiveConfig>("access_key = \"k\"\n").is_err(), "both keys are needed");
    }

    #[test]
    fn mistakes_are_explained() {
        let cases = [
            ("url = \"https://n.example/t\"\n", "needs `type"),
            ("type = \"irc\"\n", "unknown channel type \"irc\""),
            ("type = \"ntfy\"\nurl = \"https://n.example/t\"\ntopic = \"x\"\n", "unknown field `topic`"),
            ("type = \"ntfy\"\nurl = \"https://n.example/t\"\npriority = 9\n", "from 1 (min) to 5"),
            ("type = \"matrix\"\nhomeserver = \"https://h\"\nroom = \"#news:h\"\ntoken = \"t\"\n", "not a room id"),
            ("type = \"mastodon\"\ninstance = \"ftp://m\"\ntoken = \"t\"\n", "only http and https"),
            ("type = \"mastodon\"\ninstance = \"https://m\"\ntoken = \"\"\n", "empty"),
            ("type = \"ntfy\"\nurl = \"https://n.example/t\"\nmin_interval = \"soon\"\n", "not a duration"),
        ];
        for (text, expected) in cases {
            let err = channel(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
