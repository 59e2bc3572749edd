//! The TOML configuration: model, defaults and validation.
//!
//! Every key has a default except what is watched. Unknown keys, a bad cron
//! expression, a watch with both `url` and `feed` and the like are errors
//! that name the file, the line and the key. No I/O beyond reading the file.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::cookies::Cookie;

mod alerts;
mod browser;
mod channels;
mod request;
mod storage;
mod watch;

pub use alerts::{
    AlertRules, AlertsConfig, DEFAULT_RETRY_FOR, EmailConfig, WebhookConfig, WebhookFormat, check_smtp_url,
    decode_secret,
};
pub use browser::{
    BrowserConfig, BrowserSteps, DEFAULT_BROWSER_MAX_MEMORY, DEFAULT_BROWSER_TABS, DEFAULT_BROWSER_TIMEOUT, parse_bytes,
};
pub use channels::{
    ArchiveConfig, BlueskyConfig, ChannelConfig, ChannelKind, ChannelRule, DEFAULT_ARCHIVE_BASE,
    DEFAULT_BLUESKY_SERVICE, MastodonConfig, MatrixConfig, NtfyConfig, Secret, Visibility,
};
pub use request::{Headers, ProxyUrl, RequestSettings, expand_env};
use storage::RawStorage;
pub use storage::{DEFAULT_DB_PATH, DEFAULT_LEASE, MIN_LEASE, StorageConfig};
use watch::RawWatch;
pub use watch::{EVERY_AND_CRON, RevisitStep, Schedule, Target, Watch, WatchRules};

/// Default address of the web UI.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default interval between two checks of a watch.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(10 * 60);
/// Default total timeout of one HTTP exchange.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on a decompressed response body.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;
/// Default number of checks in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Default number of redirects followed.
pub const DEFAULT_MAX_REDIRECTS: usize = 5;
/// Default requests in flight at once to one host.
pub const DEFAULT_PER_HOST_CONCURRENCY: usize = 2;
/// Default least time between two requests to one host.
pub const DEFAULT_PER_HOST_DELAY: Duration = Duration::from_millis(500);
/// Default revisit plan of the articles a feed lists: often while young, rarely when old.
pub const DEFAULT_REVISIT: [RevisitStep; 4] = [
    RevisitStep { until: Duration::from_secs(6 * 3600), every: Duration::from_secs(5 * 60) },
    RevisitStep { until: Duration::from_secs(2 * 24 * 3600), every: Duration::from_secs(30 * 60) },
    RevisitStep { until: Duration::from_secs(14 * 24 * 3600), every: Duration::from_secs(6 * 3600) },
    RevisitStep { until: Duration::from_secs(60 * 24 * 3600), every: Duration::from_secs(24 * 3600) },
];

/// The whole configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where versions and changes are kept.
    pub storage: StorageConfig,
    /// The web UI.
    pub web: WebConfig,
    /// HTTP fetching.
    pub fetch: FetchConfig,
    /// What is watched.
    pub watches: Vec<Watch>,
    /// Webhook channels.
    pub webhooks: Vec<WebhookConfig>,
    /// Email channels.
    pub emails: Vec<EmailConfig>,
    /// Bot and push channels (`[[channel]]`: ntfy, Matrix, Mastodon, Bluesky).
    pub channels: Vec<ChannelConfig>,
    /// Save Page Now submissions (`[archive]`), when set.
    pub archive: Option<ArchiveConfig>,
    /// Global alert rules and retry policy.
    pub alerts: AlertsConfig,
    /// The headless browser of `render = "browser"` watches.
    pub browser: BrowserConfig,
}

impl Config {
    /// True when some watch is fetched by the headless browser.
    pub fn needs_browser(&self) -> bool {
        self.watches.iter().any(|w| w.rules.render.is_some())
    }
}

/// The file as written, before the checks across keys.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    storage: RawStorage,
    web: WebConfig,
    fetch: FetchConfig,
    watch: Vec<toml::Spanned<RawWatch>>,
    webhook: Vec<WebhookConfig>,
    email: Vec<EmailConfig>,
    channel: Vec<toml::Spanned<toml::Table>>,
    archive: Option<ArchiveConfig>,
    alerts: AlertsConfig,
    browser: BrowserConfig,
}

/// `[web]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Serve the web UI from `redline run`.
    pub enabled: bool,
    /// Address the web UI listens on.
    pub listen: String,
    /// Token for the API's writes, and for every request when `listen` is not loopback
    /// (or set `REDLINE_WEB_TOKEN`).
    pub token: Option<String>,
    /// The address people reach the UI at, for links in alerts and feeds (default `http://{listen}`).
    pub base_url: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self { enabled: true, listen: DEFAULT_LISTEN.to_string(), token: None, base_url: None }
    }
}

impl WebConfig {
    /// The base of links into the web UI.
    pub fn base_url(&self) -> String {
        self.base_url.clone().unwrap_or_else(|| format!("http://{}", self.listen)).trim_end_matches('/').to_string()
    }
}

/// `[fetch]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchConfig {
    /// Permit loopback and private-network targets (off by default: SSRF).
    pub allow_private: bool,
    /// Total time allowed for one exchange, body included.
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    /// Time allowed to connect.
    #[serde(deserialize_with = "duration")]
    pub connect_timeout: Duration,
    /// Largest decompressed body accepted, in bytes.
    pub max_body_bytes: u64,
    /// Checks in flight at once.
    pub concurrency: usize,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
    /// Requests in flight at once to one host.
    pub per_host_concurrency: usize,
    /// Least time between the starts of two requests to one host (a robots.txt
    /// `Crawl-delay` lengthens it, up to a minute).
    #[serde(deserialize_with = "duration")]
    pub per_host_delay: Duration,
    /// Honour robots.txt.
    pub robots: bool,
    /// A URL or address where site owners can reach whoever runs this Redline;
    /// it goes into the User-Agent.
    pub contact: Option<String>,
    /// Sent as `User-Agent` (default: Redline's name, version and `contact`).
    pub user_agent: Option<String>,
    /// Headers sent with every request (a watch's `headers` win by name); values may be `"${ENV}"`.
    #[serde(deserialize_with = "request::headers")]
    pub headers: Headers,
    /// A Netscape `cookies.txt` whose cookies go with every request they match.
    pub cookies_file: Option<PathBuf>,
    /// The cookies read from `cookies_file` at load.
    #[serde(skip)]
    pub cookies: Vec<Cookie>,
    /// The proxy of every request (a watch's `proxy` wins): http, https, socks5 or socks5h.
    #[serde(deserialize_with = "request::opt_proxy")]
    pub proxy: Option<ProxyUrl>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            concurrency: DEFAULT_CONCURRENCY,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            per_host_concurrency: DEFAULT_PER_HOST_CONCURRENCY,
            per_host_delay: DEFAULT_PER_HOST_DELAY,
            robots: true,
            contact: None,
            user_agent: None,
            headers: Headers::default(),
            cookies_file: None,
            cookies: Vec::new(),
            proxy: None,
        }
    }
}

impl FetchConfig {
    /// The User-Agent sent: the configured one, or Redline's name, version and contact.
    pub fn user_agent(&self) -> String {
        if let Some(ua) = &self.user_agent {
            return ua.clone();
        }
        let contact = self.contact.as_deref().unwrap_or("https://github.com/redline-news/redline");
        format!("Redline/{} (news edit monitor; +{contact})", env!("CARGO_PKG_VERSION"))
    }
}

/// A configuration error, with where it is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}. Pass --config PATH, or create it from config/redline.toml")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid, at a known place.
    #[error("{path}:{line}:{column}: {key}{message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// "key `cron`: " (or "in `[[watch]]`: "), or empty.
        key: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A `cookies_file` cannot be read, or has a malformed line.
    #[error("{}{}: {message} (the cookies_file named in {})", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), config.display())]
    CookiesFile {
        /// The config file naming it.
        config: PathBuf,
        /// The cookies file.
        file: PathBuf,
        /// The 1-based line at fault, if one is.
        line: Option<usize>,
        /// What is wrong and what to do.
        message: String,
    },
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Config::parse(&text, path)
    }

    /// Parses and validates config text; `path` only names the source in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |offset: usize, message: &str| {
            let (line, column) = line_column(text, offset);
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                key: key_on_line(text, line),
                message: message.trim_end().to_string(),
            }
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| invalid(e.span().map_or(0, |s| s.start), e.message()))?;
        let cookies_file = |file: &Path| {
            request::load_cookies_file(path, file).map_err(|(file, line, message)| ConfigError::CookiesFile {
                config: path.to_path_buf(),
                file,
                line,
                message,
            })
        };
        let storage = raw.storage.check().map_err(|(offset, message)| invalid(offset, &message))?;
        let mut watches = Vec::with_capacity(raw.watch.len());
        let global_proxy = raw.fetch.proxy.is_some();
        for spanned in raw.watch {
            let start = spanned.span().start;
            let mut watch = Watch::try_from(spanned.into_inner()).map_err(|m| invalid(start, &m))?;
            // Chromium would connect directly: a proxy that is there for privacy must not be bypassed.
            if watch.rules.render.is_some() && (global_proxy || watch.request.proxy.is_some()) {
                return Err(invalid(
                    start,
                    "a `render = \"browser\"` watch cannot go through a proxy yet (`proxy` here or in [fetch]): Chromium would connect directly; drop `render` or the proxy",
                ));
            }
            if let Some(file) = &watch.request.cookies_file {
                let from_file = cookies_file(file)?;
                watch.request.cookies.extend(from_file);
            }
            watches.push(watch);
        }
        let mut fetch = raw.fetch;
        if let Some(file) = &fetch.cookies_file {
            fetch.cookies = cookies_file(file)?;
        }
        let channels = raw
            .channel
            .into_iter()
            .map(|t| {
                let start = t.span().start;
                ChannelConfig::from_table(t.into_inner()).map_err(|m| invalid(start, &m))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Config {
            storage,
            web: raw.web,
            fetch,
            watches,
            webhooks: raw.webhook,
            emails: raw.email,
            channels,
            archive: raw.archive,
            alerts: raw.alerts,
            browser: raw.browser,
        })
    }
}

/// `key `name`: ` for a `name = value` line, `in [table]: ` for a table header.
fn key_on_line(text: &str, line: usize) -> String {
    let content = text.lines().nth(line - 1).unwrap_or("").trim();
    if content.starts_with('[') {
        return format!("in {content}: ");
    }
    match content.split_once('=') {
        Some((key, _)) if !key.trim().is_empty() => format!("key `{}`: ", key.trim()),
        _ => String::new(),
    }
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Parses `10m`, `1h 30m`, `45s`; at least one second.
pub fn parse_every(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text.trim())
        .map_err(|e| format!("{text:?} is not a duration ({e}); write e.g. \"30s\", \"10m\" or \"2h\""))?;
    if d < Duration::from_secs(1) {
        return Err(format!("{text:?} is shorter than one second"));
    }
    Ok(d)
}

/// Parses a cron expression; five-field expressions get a leading seconds field of `0`.
pub fn parse_cron(text: &str) -> Result<cron::Schedule, String> {
    let fields = text.split_whitespace().count();
    let full = if fields == 5 { format!("0 {text}") } else { text.to_string() };
    cron::Schedule::from_str(&full).map_err(|e| {
        format!("{text:?} is not a valid cron expression ({e}); write e.g. \"0 */10 * * * *\" (sec min hour day month weekday)")
    })
}

/// Compiles an `ignore` or `links` pattern.
pub fn parse_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(pattern).map_err(|e| format!("{pattern:?} is not a valid regular expression: {e}"))
}

/// Checks that a URL is absolute http(s).
pub fn check_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url.to_string()),
        other => Err(format!("{text:?}: only http and https URLs can be watched, not {other}:")),
    }
}

fn http_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    check_url(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text)
        .map_err(|e| serde::de::Error::custom(format!("{text:?} is not a duration ({e}); write e.g. \"30s\"")))
}

fn opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration(d).map(Some)
}

/// A significance threshold, from 0 to 1.
pub(super) fn opt_significance<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let value = f64::deserialize(d)?;
    if !(0.0..=1.0).contains(&value) {
        return Err(serde::de::Error::custom(format!("{value} is not a significance; use a number from 0 to 1")));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("redline.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_for_everything_but_watches() {
        let c = parse("[[watch]]\nurl = \"https://example.com/a\"\n").unwrap();
        assert_eq!(c.storage.path, PathBuf::from(DEFAULT_DB_PATH));
        assert_eq!(c.web.listen, DEFAULT_LISTEN);
        assert!(!c.fetch.allow_private);
        assert_eq!(c.watches.len(), 1);
        assert!(matches!(c.watches[0].schedule, Schedule::Every(d) if d == DEFAULT_EVERY));
        assert_eq!(c.watches[0].target, Target::Article("https://example.com/a".into()));
        assert_eq!(c.storage.keep_screenshots, None);
        assert_eq!(c.storage.lease, DEFAULT_LEASE);
        let c = parse("[storage]\nlease = \"20s\"\n").unwrap();
        assert_eq!(c.storage.lease, Duration::from_secs(20));
        let err = parse("[storage]\nlease = \"1s\"\n").unwrap_err().to_string();
        assert!(err.contains("too short") && err.contains(":2:"), "{err}");
        let c = parse("[storage]\nkeep_screenshots = \"90d\"\n").unwrap();
        assert_eq!(c.storage.keep_screenshots, Some(Duration::from_secs(90 * 86_400)));
        let err = parse("[storage]\nkeep_screenshots = \"ninety\"\n").unwrap_err();
        assert!(err.contains("not a duration"), "{err}");
    }

    #[test]
    fn storage_is_a_file_or_a_postgres_url_never_both() {
        let c = parse("[storage]\nurl = \"postgres://news@db.example/redline\"\n").unwrap();
        assert_eq!(c.storage.url.as_deref(), Some("postgres://news@db.example/redline"));
        assert_eq!(c.storage.describe(), "postgres://news@db.example/redline");
        assert_eq!(parse("").unwrap().storage.url, None);
        let err = parse("[storage]\npath = \"r.db\"\nurl = \"postgres://a@b/c\"\n").unwrap_err();
        assert!(err.starts_with("redline.toml:3:") && err.contains("key `url`") && err.contains("not both"), "{err}");
        let err = parse("[storage]\nurl = \"mysql://a@b/c\"\n").unwrap_err();
        assert!(err.starts_with("redline.toml:2:") && err.contains("PostgreSQL URL"), "{err}");
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let err = parse("[fetch]\nallow_private = true\ntimeuot = \"5s\"\n").unwrap_err();
        assert!(err.starts_with("redline.toml:3:"), "{err}");
        assert!(err.contains("timeuot"), "{err}");
    }

    #[test]
    fn bad_cron_names_line() {
        let err = parse("[[watch]]\nurl = \"https://example.com/a\"\n\n[[watch]]\nfeed = \"https://example.com/rss\"\ncron = \"61 * * * * *\"\n")
            .unwrap_err();
        assert!(err.contains("cron expression"), "{err}");
        let line: usize = err.split(':').nth(1).unwrap().parse().unwrap();
        assert!((4..=6).contains(&line), "{err}");
    }

    #[test]
    fn url_and_feed_together_is_an_error() {
        let err = parse("\n[[watch]]\nurl = \"https://e.com/a\"\nfeed = \"https://e.com/rss\"\n").unwrap_err();
        assert!(err.contains("not several"), "{err}");
        assert!(err.starts_with("redline.toml:2:") || err.starts_with("redline.toml:3:"), "{err}");
    }

    #[test]
    fn non_http_scheme_is_refused() {
        let err = parse("[[watch]]\nurl = \"file:///etc/passwd\"\n").unwrap_err();
        assert!(err.contains("only http and https"), "{err}");
    }

    #[test]
    fn five_field_cron_and_every() {
        let c = parse("[[watch]]\nfeed = \"https://e.com/rss\"\ncron = \"*/5 * * * *\"\n[[watch]]\nurl = \"https://e.com/a\"\nevery = \"90s\"\n").unwrap();
        assert!(matches!(c.watches[0].schedule, Schedule::Cron(_)));
        assert!(matches!(c.watches[1].schedule, Schedule::Every(d) if d == Duration::from_secs(90)));
    }

    #[test]
    fn schedule_spec_round_trips() {
        for spec in ["every 10m", "cron 0 */10 * * * *"] {
            assert_eq!(Schedule::from_spec(spec).unwrap().to_spec(), spec);
        }
    }

    #[test]
    fn bad_webhook_secret_and_selector() {
        let err = parse("[[webhook]]\nurl = \"https://h.example/x\"\nsecret = \"whsec_???\"\n").unwrap_err();
        assert!(err.starts_with("redline.toml:3:"), "{err}");
        let err = parse("[[watch]]\nurl = \"https://e.com/a\"\nbody_selector = \"div[\"\n").unwrap_err();
        assert!(err.contains("CSS selector"), "{err}");
    }

    #[test]
    fn secrets() {
        assert!(decode_secret("whsec_not base64!").is_err());
        assert!(decode_secret("").is_err());
        assert_eq!(decode_secret("plain").unwrap(), b"plain");
    }

    #[test]
    fn request_settings_read_env_and_cookie_files() {
        // SAFETY: this test alone uses these variable names.
        unsafe { std::env::set_var("REDLINE_TEST_KEY", "from-env") };
        let c = parse("[fetch]\nheaders = { \"X-Api-Key\" = \"${REDLINE_TEST_KEY}\" }\n").unwrap();
        assert_eq!(c.fetch.headers.0, vec![("X-Api-Key".to_string(), "from-env".to_string())]);
        assert!(!format!("{c:?}").contains("from-env"));
        let err = parse("[[watch]]\nurl = \"https://e.com/a\"\ncookies = { session = \"${REDLINE_TEST_UNSET}\" }\n")
            .unwrap_err();
        assert!(err.starts_with("redline.toml:3:") && err.contains("key `cookies`"), "{err}");
        assert!(err.contains("REDLINE_TEST_UNSET is not set"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cookies.txt"), "# Netscape HTTP Cookie File\n\ne.com\tFALSE\t/\n").unwrap();
        let config = dir.path().join("redline.toml");
        let text = "[[watch]]\nurl = \"https://e.com/a\"\ncookies_file = \"cookies.txt\"\n";
        let err = Config::parse(text, &config).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}:3: expected 7", dir.path().join("cookies.txt").display())), "{err}");
        std::fs::write(dir.path().join("cookies.txt"), "e.com\tFALSE\t/\tFALSE\t0\tsid\tv\n").unwrap();
        let c = Config::parse(text, &config).unwrap();
        assert_eq!(c.watches[0].request.cookies[0].name, "sid");
        let err = parse("[fetch]\ncookies_file = \"/nonexistent/cookies.txt\"\n").unwrap_err();
        assert!(err.contains("/nonexistent/cookies.txt: cannot read it"), "{err}");
        let err = parse("[fetch]\nproxy = \"ftp://p.example\"\n").unwrap_err();
        assert!(err.starts_with("redline.toml:2:") && err.contains("not supported"), "{err}");
    }

    #[test]
    fn browser_section_and_watch_keys() {
        let c = parse("[[watch]]\nurl = \"https://e.com/a\"\n").unwrap();
        assert_eq!(c.browser, BrowserConfig::default());
        assert!(!c.needs_browser() && c.watches[0].rules.render.is_none());
        let c = parse(
            "[browser]\npath = \"/usr/bin/chromium\"\ntabs = 4\ntimeout = \"20s\"\nmax_memory = \"512MiB\"\nargs = [\"--lang=en\"]\n\n[[watch]]\nurl = \"https://e.com/a\"\nrender = \"browser\"\nwait_for = \"article p\"\nclick = [\"button#accept\"]\nscreenshot = true\n",
        )
        .unwrap();
        assert_eq!(c.browser.tabs, 4);
        assert_eq!(c.browser.timeout, Duration::from_secs(20));
        assert_eq!(c.browser.max_memory, 512 << 20);
        assert_eq!(c.browser.path.as_deref(), Some(Path::new("/usr/bin/chromium")));
        assert!(c.needs_browser());
        let steps = c.watches[0].rules.render.clone().unwrap();
        assert_eq!(steps.wait_for.as_deref(), Some("article p"));
        assert_eq!(steps.click, ["button#accept"]);
        assert!(steps.screenshot);
        // A browser watch without steps is still a browser watch.
        let c = parse("[[watch]]\nurl = \"https://e.com/a\"\nrender = \"browser\"\n").unwrap();
        assert_eq!(c.watches[0].rules.render, Some(BrowserSteps::default()));
        let err = parse("[[watch]]\nurl = \"https://e.com/a\"\nclick = [\"#ok\"]\n").unwrap_err();
        assert!(err.contains("render = \"browser\""), "{err}");
        for proxied in [
            "[fetch]\nproxy = \"http://p.example:3128\"\n[[watch]]\nurl = \"https://e.com/a\"\nrender = \"browser\"\n",
            "[[watch]]\nurl = \"https://e.com/a\"\nrender = \"browser\"\nproxy = \"socks5://p.example:1080\"\n",
        ] {
            let err = parse(proxied).unwrap_err();
            assert!(err.contains("cannot go through a proxy"), "{err}");
        }
        let err = parse("[[watch]]\nurl = \"https://e.com/a\"\nrender = \"chrome\"\n").unwrap_err();
        assert!(err.starts_with("redline.toml:3:"), "{err}");
        let err =
            parse("[[watch]]\nurl = \"https://e.com/a\"\nrender = \"browser\"\nwait_for = \"div[\"\n").unwrap_err();
        assert!(err.contains("CSS selector"), "{err}");
        let err = parse("[browser]\nmax_memory = \"lots\"\n").unwrap_err();
        assert!(err.contains("not a size"), "{err}");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("1GiB"), Ok(1 << 30));
        assert_eq!(parse_bytes("1.5 GiB"), Ok(3 << 29));
        assert_eq!(parse_bytes("800MB"), Ok(800_000_000));
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert!(parse_bytes("0").is_err() && parse_bytes("1 TB").is_err() && parse_bytes("GiB").is_err());
    }

    #[test]
    fn example_config_is_valid() {
        let text = include_str!("../config/redline.toml");
        let c = parse(text).unwrap();
        assert!(!c.watches.is_empty());
        assert_eq!(c.browser, BrowserConfig::default());
        let browser = c.watches.iter().find_map(|w| w.rules.render.as_ref()).expect("a browser watch in the example");
        assert!(browser.wait_for.is_some() && !browser.click.is_empty() && browser.screenshot);
    }
}
