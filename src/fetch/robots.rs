//! robots.txt (RFC 9309): fetched once per origin and cached for up to a day.
//! A 4xx means everything is allowed; a 5xx or a network error means nothing
//! is, until the file can be read (retried after a few minutes).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use texting_robots::Robot;

/// The product token matched against `User-agent` lines.
pub const ROBOTS_AGENT: &str = "Redline";
/// How long a robots.txt that was read is trusted (RFC 9309: at most 24 h).
pub const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long an unreachable robots.txt keeps its origin closed before it is tried again.
pub const ROBOTS_RETRY: Duration = Duration::from_secs(5 * 60);
/// Bytes of robots.txt parsed (RFC 9309 asks for at least 500 KiB).
pub const ROBOTS_MAX_BYTES: usize = 512 * 1024;
/// Longest crawl delay honoured.
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

/// What an origin's robots.txt says.
#[derive(Debug)]
pub enum Rules {
    /// No usable file (4xx): everything allowed.
    AllowAll,
    /// Unreachable (5xx, network): nothing allowed for now.
    DisallowAll(String),
    /// A parsed file.
    Parsed(Box<Robot>),
}

impl Rules {
    /// Interprets a robots.txt response.
    pub fn from_response(status: u16, body: &[u8]) -> Rules {
        match status {
            200..=299 => {
                let body = &body[..body.len().min(ROBOTS_MAX_BYTES)];
                match Robot::new(ROBOTS_AGENT, body) {
                    Ok(robot) => Rules::Parsed(Box::new(robot)),
                    // An unparsable file says nothing we can honour.
                    Err(_) => Rules::AllowAll,
                }
            }
            400..=499 => Rules::AllowAll,
            _ => Rules::DisallowAll(format!("robots.txt answered HTTP {status}")),
        }
    }

    /// Whether `url` may be fetched.
    pub fn allows(&self, url: &str) -> bool {
        match self {
            Rules::AllowAll => true,
            Rules::DisallowAll(_) => false,
            Rules::Parsed(robot) => robot.allowed(url),
        }
    }

    /// The `Crawl-delay` for us, capped.
    pub fn crawl_delay(&self) -> Option<Duration> {
        match self {
            Rules::Parsed(robot) => robot
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f32(d).min(MAX_CRAWL_DELAY)),
            _ => None,
        }
    }
}

/// Where the robots.txt answers of other workers are kept (the database): read
/// before fetching one, written after, so that several workers on one database
/// fetch each origin's robots.txt about once a day between them and decide alike.
/// Only answers that were read are shared (a 2xx or a 4xx), never an unreachable one.
pub trait RobotsShare: Send + Sync {
    /// The answer stored for `origin` no older than `max_age`: its status, body and age.
    fn load<'a>(&'a self, origin: &'a str, max_age: Duration) -> ShareFuture<'a, Option<(u16, Vec<u8>, Duration)>>;
    /// Stores the answer just read for `origin`.
    fn save<'a>(&'a self, origin: &'a str, status: u16, body: &'a [u8]) -> ShareFuture<'a, ()>;
}

/// What a [`RobotsShare`] method returns.
pub type ShareFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Cached robots.txt per origin (`scheme://host:port`).
#[derive(Default)]
pub struct RobotsCache {
    entries: Mutex<HashMap<String, (Instant, std::sync::Arc<Rules>)>>,
    /// One lock per origin, so that concurrent checks fetch its robots.txt once.
    fetching: Mutex<HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
}

impl RobotsCache {
    /// The lock to hold while fetching an origin's robots.txt.
    pub fn fetch_lock(&self, origin: &str) -> std::sync::Arc<tokio::sync::Mutex<()>> {
        let mut fetching = self.fetching.lock().unwrap_or_else(|p| p.into_inner());
        std::sync::Arc::clone(fetching.entry(origin.to_string()).or_default())
    }

    /// The cached rules for an origin, if still fresh.
    pub fn get(&self, origin: &str) -> Option<std::sync::Arc<Rules>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (at, rules) = entries.get(origin)?;
        let ttl = if matches!(**rules, Rules::DisallowAll(_)) { ROBOTS_RETRY } else { ROBOTS_TTL };
        (at.elapsed() < ttl).then(|| std::sync::Arc::clone(rules))
    }

    /// Stores the rules for an origin.
    pub fn put(&self, origin: &str, rules: Rules) -> std::sync::Arc<Rules> {
        self.put_aged(origin, rules, Duration::ZERO)
    }

    /// Stores rules read `age` ago (by another worker): they expire that much sooner.
    pub fn put_aged(&self, origin: &str, rules: Rules, age: Duration) -> std::sync::Arc<Rules> {
        let rules = std::sync::Arc::new(rules);
        let read_at = Instant::now().checked_sub(age).unwrap_or_else(Instant::now);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.insert(origin.to_string(), (read_at, std::sync::Arc::clone(&rules)));
        rules
    }
}

/// `scheme://host[:port]` of a URL, the key robots.txt applies to.
pub fn origin(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_status_codes() {
        let txt = b"User-agent: *\nDisallow: /private\n\nUser-agent: Redline\nDisallow: /drafts/\nCrawl-delay: 2\n";
        let rules = Rules::from_response(200, txt);
        assert!(!rules.allows("https://news.example/drafts/story"));
        assert!(rules.allows("https://news.example/private/ok-for-redline"), "our group replaces the * group");
        assert_eq!(rules.crawl_delay(), Some(Duration::from_secs(2)));
        assert!(Rules::from_response(404, b"").allows("https://news.example/anything"));
        assert!(!Rules::from_response(503, b"").allows("https://news.example/anything"));
    }

    #[test]
    fn crawl_delay_is_capped() {
        let rules = Rules::from_response(200, b"User-agent: *\nCrawl-delay: 86400\n");
        assert_eq!(rules.crawl_delay(), Some(MAX_CRAWL_DELAY));
    }

    #[test]
    fn cache_expires_unreachable_entries_sooner() {
        let cache = RobotsCache::default();
        cache.put("https://a.example", Rules::AllowAll);
        assert!(cache.get("https://a.example").is_some());
        cache.put_aged("https://c.example", Rules::AllowAll, ROBOTS_TTL - Duration::from_secs(60));
        assert!(cache.get("https://c.example").is_some(), "read by another worker 23 h 59 min ago");
        cache.put_aged("https://d.example", Rules::AllowAll, ROBOTS_TTL);
        assert!(cache.get("https://d.example").is_none(), "a day old");
        assert!(cache.get("https://b.example").is_none());
    }
}
