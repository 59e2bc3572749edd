//! One HTTP exchange: conditional GET, redirects, timeouts, a body-size cap,
//! content-type checks and charset decoding. Targets on loopback, private,
//! link-local or multicast addresses are refused unless the config allows them
//! ([`crate::net`]), checked after DNS resolution and on every redirect hop.
//! Each request carries the headers, cookies and proxy of its watch's
//! [`RequestProfile`]; there is one client per distinct proxy.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap};

use crate::config::{FetchConfig, ProxyUrl};
use crate::net::{NetError, check_literal, check_resolved, error_chain, guarded_client, guarded_proxy_client};

pub mod browser;
pub mod profile;
pub mod robots;

pub use profile::{Profiles, RequestProfile};
use robots::{RobotsCache, Rules};

/// What a fetch was for: the content types accepted differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// An HTML page.
    Html,
    /// An RSS/Atom feed (XML or JSON).
    Feed,
}

/// A conditional GET.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    /// The URL.
    pub url: &'a str,
    /// `ETag` of the last response, sent as `If-None-Match`.
    pub etag: Option<&'a str>,
    /// `Last-Modified` of the last response, sent as `If-Modified-Since`.
    pub last_modified: Option<&'a str>,
    /// The URL of the watch the request is for, whose request profile applies
    /// (None, or a watch without settings of its own: the global profile).
    pub source: Option<&'a str>,
}

/// A successful exchange.
#[derive(Debug, Clone)]
pub enum Response {
    /// `304 Not Modified`.
    NotModified {
        /// Time taken.
        elapsed: Duration,
    },
    /// A page with a body.
    Page(Page),
}

/// A fetched and decoded page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL after redirects.
    pub final_url: String,
    /// HTTP status.
    pub status: u16,
    /// The body as received (decompressed).
    pub raw: Vec<u8>,
    /// The body decoded to UTF-8.
    pub text: String,
    /// The charset used to decode it.
    pub charset: &'static str,
    /// `ETag` header.
    pub etag: Option<String>,
    /// `Last-Modified` header.
    pub last_modified: Option<String>,
    /// Time taken.
    pub elapsed: Duration,
    /// The status line and headers as received ([`response_head`]), kept with the page
    /// for web-archive export; None for a page a browser rendered.
    pub response_head: Option<String>,
}

/// A response's status line and headers as stored with its page: `HTTP/1.1 200 OK`, then
/// one `Name: value` line per header, CRLF-separated, without the blank line ending a head.
/// `Set-Cookie` is left out: a session the site hands a watch with cookies must not end up
/// in an exported archive.
pub fn response_head(version: reqwest::Version, status: reqwest::StatusCode, headers: &HeaderMap) -> String {
    let mut text =
        format!("{version:?} {} {}", status.as_u16(), status.canonical_reason().unwrap_or("")).trim_end().to_string();
    for (name, value) in headers.iter().filter(|(name, _)| *name != header::SET_COOKIE) {
        let value = String::from_utf8_lossy(value.as_bytes()).replace(['\r', '\n'], " ");
        text.push_str(&format!("\r\n{name}: {value}"));
    }
    text
}

/// Largest body of a refusal that is read (to tell a bot challenge from a plain error).
pub const MAX_ERROR_PAGE_BYTES: u64 = 512 * 1024;

/// An HTML page that came with a refusal.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    /// The page, decoded.
    pub text: String,
    /// Where it was served from, after redirects.
    pub final_url: String,
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL cannot be fetched at all.
    #[error("invalid URL {0}: only absolute http and https URLs can be fetched")]
    BadUrl(String),
    /// The target is on a private network.
    #[error(
        "refused {0}: it is a loopback, private, link-local or multicast address (set [fetch] allow_private = true to permit it)"
    )]
    PrivateAddress(String),
    /// A non-success HTTP status.
    #[error("HTTP {status}{}", via.as_ref().map(|p| format!(" (through proxy {p}; a proxy that refuses the credentials in `proxy` may answer 401 or 407)")).unwrap_or_default())]
    Status {
        /// The status.
        status: u16,
        /// `Retry-After`, in seconds, when given.
        retry_after: Option<u64>,
        /// The proxy it came through (without credentials), if any.
        via: Option<String>,
        /// The page that came with a refusal (401, 403, 429, 503) when it is HTML:
        /// a bot challenge or a sign-in wall says what it is there.
        page: Option<Box<ErrorPage>>,
    },
    /// The body was larger than allowed.
    #[error("body larger than {0} bytes; raise [fetch] max_body_bytes if the page is legitimate")]
    TooLarge(u64),
    /// The content type is not what was expected.
    #[error("content type {0:?} is not a web page")]
    ContentType(String),
    /// The exchange took too long.
    #[error("timed out")]
    Timeout,
    /// Too many redirects.
    #[error("too many redirects")]
    Redirects,
    /// robots.txt does not allow the fetch.
    #[error("robots.txt: {0}")]
    Robots(String),
    /// The proxy refused the request or could not be reached.
    #[error("proxy {proxy}: {message}")]
    Proxy {
        /// The proxy, without credentials.
        proxy: String,
        /// What went wrong and what to do.
        message: String,
    },
    /// Any other network failure.
    #[error("{0}")]
    Network(String),
}

impl From<NetError> for FetchError {
    fn from(e: NetError) -> FetchError {
        match e {
            NetError::BadUrl(u) => FetchError::BadUrl(u),
            NetError::PrivateAddress(a) => FetchError::PrivateAddress(a),
            NetError::Client(m) => FetchError::Network(m),
            e @ NetError::Resolve(_) => FetchError::Network(e.to_string()),
        }
    }
}

impl FetchError {
    /// The server's requested delay, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after: Some(s), .. } => Some(Duration::from_secs(*s)),
            _ => None,
        }
    }
}

/// HTTP clients configured from `[fetch]`, one per distinct proxy, and the
/// request profiles of the watches.
#[derive(Clone)]
pub struct Fetcher {
    /// One client per proxy (None: direct), all built by [`crate::net`]'s guarded builders.
    clients: Arc<HashMap<Option<ProxyUrl>, reqwest::Client>>,
    profiles: Arc<Profiles>,
    max_body_bytes: u64,
    max_redirects: usize,
    timeout: Duration,
    allow_private: bool,
    /// robots.txt per origin; None when `[fetch] robots = false`.
    robots: Option<Arc<RobotsCache>>,
    /// The robots.txt answers shared with other workers, when several share a database.
    robots_share: Option<Arc<dyn robots::RobotsShare>>,
}

impl Fetcher {
    /// Builds the client (connection pool, timeouts, address policy) with the global request profile.
    pub fn new(config: &FetchConfig) -> Result<Fetcher, FetchError> {
        Fetcher::with_profiles(config, Profiles::global(config)?)
    }

    /// Builds one client per proxy that `profiles` name.
    pub fn with_profiles(config: &FetchConfig, profiles: Profiles) -> Result<Fetcher, FetchError> {
        let allow_private = config.allow_private;
        let mut clients = HashMap::new();
        for proxy in profiles.proxies() {
            let builder = match &proxy {
                None => guarded_client(allow_private),
                Some(p) => guarded_proxy_client(allow_private, p)?,
            };
            let client = builder
                .user_agent(config.user_agent())
                .timeout(config.timeout)
                .connect_timeout(config.connect_timeout)
                .read_timeout(config.timeout.min(Duration::from_secs(20)))
                // Redirects are followed by `send`, which checks and dresses every hop.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| FetchError::Network(profiles.scrub(format!("cannot build the HTTP client: {e}"))))?;
            clients.insert(proxy, client);
        }
        Ok(Fetcher {
            clients: Arc::new(clients),
            profiles: Arc::new(profiles),
            max_body_bytes: config.max_body_bytes,
            max_redirects: config.max_redirects,
            timeout: config.timeout,
            allow_private,
            robots: config.robots.then(|| Arc::new(RobotsCache::default())),
            robots_share: None,
        })
    }

    /// Reads and writes robots.txt answers through `share` too (other workers' answers).
    pub fn with_robots_share(mut self, share: Arc<dyn robots::RobotsShare>) -> Fetcher {
        self.robots_share = Some(share);
        self
    }

    /// The robots.txt rules of `url`'s origin, fetched (with the profile of the
    /// watch `source`) when not cached. None when robots.txt is not honoured.
    pub async fn robots_rules(&self, url: &str, source: Option<&str>) -> Result<Option<Arc<Rules>>, FetchError> {
        let Some(cache) = &self.robots else { return Ok(None) };
        let parsed = url::Url::parse(url).map_err(|_| FetchError::BadUrl(url.to_string()))?;
        let origin = robots::origin(&parsed);
        if let Some(rules) = cache.get(&origin) {
            return Ok(Some(rules));
        }
        check_literal(url, self.allow_private)?;
        let lock = cache.fetch_lock(&origin);
        let _fetching = lock.lock().await;
        // Another check may have fetched it while this one waited.
        if let Some(rules) = cache.get(&origin) {
            return Ok(Some(rules));
        }
        if let Some(share) = &self.robots_share
            && let Some((status, body, age)) = share.load(&origin, robots::ROBOTS_TTL).await
        {
            return Ok(Some(cache.put_aged(&origin, Rules::from_response(status, &body), age)));
        }
        let profile = self.profiles.get(source);
        let rules = match self.send(&format!("{origin}/robots.txt"), profile, &[]).await {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let mut body = Vec::new();
                while body.len() < robots::ROBOTS_MAX_BYTES {
                    match response.chunk().await {
                        Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                        Ok(None) => break,
                        Err(e) => {
                            let reason = self.profiles.scrub(e.to_string());
                            return Ok(Some(cache.put(&origin, Rules::DisallowAll(reason))));
                        }
                    }
                }
                let rules = Rules::from_response(status, &body);
                if let Some(share) = self.robots_share.as_ref().filter(|_| !matches!(rules, Rules::DisallowAll(_))) {
                    share.save(&origin, status, &body).await;
                }
                rules
            }
            // A refused target stays refused for its own reason, not robots'.
            Err(e @ FetchError::PrivateAddress(_)) => return Err(e),
            // So does a proxy that refuses us: the proxy is at fault, not the site.
            Err(e @ FetchError::Proxy { .. }) => return Err(e),
            Err(e) => Rules::DisallowAll(format!("robots.txt unreachable: {e}")),
        };
        Ok(Some(cache.put(&origin, rules)))
    }

    /// Sends a GET with `profile`'s headers, cookies and proxy, following redirects
    /// itself: every hop is checked against the address policy (resolved first when
    /// a proxy will resolve it) and gets the cookies that match it.
    async fn send(
        &self,
        url: &str,
        profile: &RequestProfile,
        extra: &[(header::HeaderName, &str)],
    ) -> Result<reqwest::Response, FetchError> {
        let client = self.clients.get(&profile.proxy().cloned()).expect("a client per proxy of the profiles");
        let first = url::Url::parse(url).map_err(|_| FetchError::BadUrl(url.to_string()))?;
        let hops = async {
            let mut current = first.clone();
            let mut redirects = 0;
            loop {
                match profile.proxy() {
                    Some(_) => check_resolved(current.as_str(), self.allow_private).await?,
                    None => check_literal(current.as_str(), self.allow_private)?,
                }
                let same_host = current.host_str() == first.host_str()
                    && current.port_or_known_default() == first.port_or_known_default();
                let mut get = profile.apply(client.get(current.clone()), &current, same_host);
                for (name, value) in extra {
                    get = get.header(name, *value);
                }
                let response = get.send().await.map_err(|e| self.classify(e, profile))?;
                let location = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok());
                match (response.status().as_u16(), location) {
                    (301 | 302 | 303 | 307 | 308, Some(location)) => {
                        redirects += 1;
                        if redirects > self.max_redirects {
                            return Err(FetchError::Redirects);
                        }
                        current = current.join(location).map_err(|_| FetchError::BadUrl(location.to_string()))?;
                    }
                    (407, _) if let Some(proxy) = profile.proxy() => {
                        return Err(FetchError::Proxy {
                            proxy: proxy.shown(),
                            message:
                                "HTTP 407: the proxy wants other credentials; check the user and password in `proxy`"
                                    .into(),
                        });
                    }
                    _ => return Ok(response),
                }
            }
        };
        match tokio::time::timeout(self.timeout, hops).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout),
        }
    }

    /// The request profile of the watch `source` (the global one for any other).
    pub fn profile(&self, source: Option<&str>) -> &Arc<RequestProfile> {
        self.profiles.get(source)
    }

    /// Refuses `url` when its site's robots.txt does not allow Redline there
    /// (fetched with the profile of the watch `source`).
    pub async fn robots_check(&self, url: &str, source: Option<&str>) -> Result<(), FetchError> {
        match self.robots_rules(url, source).await?.as_deref() {
            Some(Rules::DisallowAll(reason)) => Err(FetchError::Robots(reason.clone())),
            Some(r) if !r.allows(url) => Err(FetchError::Robots("disallowed for Redline".into())),
            _ => Ok(()),
        }
    }

    /// Performs one conditional GET and decodes the body.
    pub async fn fetch(&self, request: &Request<'_>, expect: Expect) -> Result<Response, FetchError> {
        let started = Instant::now();
        check_literal(request.url, self.allow_private)?;
        self.robots_check(request.url, request.source).await?;
        let mut extra = Vec::new();
        if let Some(etag) = request.etag {
            extra.push((header::IF_NONE_MATCH, etag));
        }
        if let Some(lm) = request.last_modified {
            extra.push((header::IF_MODIFIED_SINCE, lm));
        }
        let profile = self.profiles.get(request.source);
        let mut response = self.send(request.url, profile, &extra).await?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Response::NotModified { elapsed: started.elapsed() });
        }
        if !status.is_success() {
            let retry_after = retry_after_seconds(response.headers());
            let content_type = header_str(response.headers(), header::CONTENT_TYPE).unwrap_or_default();
            let refusal = matches!(status.as_u16(), 401 | 403 | 429 | 503) && content_type.contains("html");
            let page = match refusal {
                true => self.error_page(response, &content_type).await,
                false => None,
            };
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after,
                via: profile.proxy().map(ProxyUrl::shown),
                page,
            });
        }
        let headers = response.headers().clone();
        let content_type = header_str(&headers, header::CONTENT_TYPE).unwrap_or_default();
        if !content_type_allowed(&content_type, expect) {
            return Err(FetchError::ContentType(content_type));
        }
        if response.content_length().is_some_and(|n| n > self.max_body_bytes) {
            return Err(FetchError::TooLarge(self.max_body_bytes));
        }
        let final_url = response.url().to_string();
        let head = response_head(response.version(), status, &headers);
        let mut raw = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(e, profile))? {
            if raw.len() as u64 + chunk.len() as u64 > self.max_body_bytes {
                return Err(FetchError::TooLarge(self.max_body_bytes));
            }
            raw.extend_from_slice(&chunk);
        }
        let (text, charset) = decode(&raw, &content_type);
        Ok(Response::Page(Page {
            final_url,
            status: status.as_u16(),
            raw,
            text,
            charset,
            etag: header_str(&headers, header::ETAG),
            last_modified: header_str(&headers, header::LAST_MODIFIED),
            elapsed: started.elapsed(),
            response_head: Some(head),
        }))
    }

    /// The body of a refusal, up to [`MAX_ERROR_PAGE_BYTES`]; None when it cannot be read.
    async fn error_page(&self, mut response: reqwest::Response, content_type: &str) -> Option<Box<ErrorPage>> {
        let final_url = response.url().to_string();
        let mut raw = Vec::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            raw.extend_from_slice(&chunk);
            if raw.len() as u64 > MAX_ERROR_PAGE_BYTES.min(self.max_body_bytes) {
                return None;
            }
        }
        Some(Box::new(ErrorPage { text: decode(&raw, content_type).0, final_url }))
    }

    /// A reqwest error as a fetch error, without any secret of the profile in it;
    /// a failure to reach or pass the proxy names the proxy.
    fn classify(&self, e: reqwest::Error, profile: &RequestProfile) -> FetchError {
        // Through a proxy every connection is to the proxy.
        let via = profile.proxy().filter(|_| e.is_connect());
        match (classify(e), via) {
            (FetchError::Network(message), Some(proxy)) => {
                FetchError::Proxy { proxy: proxy.shown(), message: self.profiles.scrub(message) }
            }
            (FetchError::Network(message), None) => FetchError::Network(self.profiles.scrub(message)),
            (other, _) => other,
        }
    }
}

fn classify(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout;
    }
    // Errors raised by the resolver come back wrapped.
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        if let Some(n) = s.downcast_ref::<NetError>() {
            return n.clone().into();
        }
        source = s.source();
    }
    FetchError::Network(error_chain(&e))
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// `Retry-After` as seconds (delta form, or an HTTP date).
fn retry_after_seconds(headers: &HeaderMap) -> Option<u64> {
    let value = header_str(headers, header::RETRY_AFTER)?;
    if let Ok(secs) = value.trim().parse::<u64>() {
        return Some(secs);
    }
    let when = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    Some((when.timestamp() - chrono::Utc::now().timestamp()).max(0) as u64)
}

/// Whether a response of `content_type` is what the fetch was for (no type at all is allowed).
pub fn content_type_allowed(content_type: &str, expect: Expect) -> bool {
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime.is_empty() {
        return true;
    }
    match expect {
        Expect::Html => matches!(mime.as_str(), "text/html" | "application/xhtml+xml" | "text/plain"),
        Expect::Feed => {
            mime.contains("xml")
                || mime.contains("rss")
                || mime.contains("atom")
                || mime.contains("json")
                || mime.starts_with("text/")
        }
    }
}

/// Decodes a body: the HTTP header's charset, then a BOM, then `<meta charset>`
/// in the first 1024 bytes, then UTF-8 if valid, then a statistical guess.
pub fn decode(raw: &[u8], content_type: &str) -> (String, &'static str) {
    let from_header = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("charset=").or_else(|| p.trim().strip_prefix("CHARSET=")))
        .find_map(|label| encoding_rs::Encoding::for_label(label.trim_matches('"').as_bytes()));
    // Bytes that are valid UTF-8 (and not plain ASCII) are UTF-8 whatever a <meta>
    // says: templates keep a legacy declaration long after their pages moved.
    // An HTTP header or a BOM still wins.
    let from_meta = || match meta_charset(&raw[..raw.len().min(1024)]) {
        Some(meta) if meta != encoding_rs::UTF_8 && !raw.is_ascii() && std::str::from_utf8(raw).is_ok() => {
            Some(encoding_rs::UTF_8)
        }
        other => other,
    };
    let encoding =
        encoding_rs::Encoding::for_bom(raw).map(|(e, _)| e).or(from_header).or_else(from_meta).unwrap_or_else(|| {
            if std::str::from_utf8(raw).is_ok() {
                encoding_rs::UTF_8
            } else {
                let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
                detector.feed(raw, true);
                detector.guess(None, chardetng::Utf8Detection::Allow)
            }
        });
    // A page declaring UTF-16 in a meta tag is really ASCII-compatible (WHATWG).
    let encoding = if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        if encoding_rs::Encoding::for_bom(raw).is_some() { encoding } else { encoding_rs::UTF_8 }
    } else {
        encoding
    };
    let (text, used, _) = encoding.decode(raw);
    (text.into_owned(), used.name())
}

fn meta_charset(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let at = head.find("charset=")?;
    let rest = head[at + 8..].trim_start_matches(['"', '\'', ' ']);
    let label: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    encoding_rs::Encoding::for_label(label.as_bytes())
}

/// Shares one fetcher between tasks.
pub type SharedFetcher = Arc<Fetcher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_head_keeps_the_headers_but_not_the_cookies_set() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "text/html; charset=utf-8".parse().unwrap());
        headers.insert(header::SET_COOKIE, "session=secret".parse().unwrap());
        headers.insert(header::ETAG, "\"v1\"".parse().unwrap());
        let head = response_head(reqwest::Version::HTTP_11, reqwest::StatusCode::OK, &headers);
        assert_eq!(head, "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\netag: \"v1\"");
    }

    #[test]
    fn utf8_bytes_win_over_a_contradicting_meta_but_not_over_the_header() {
        let page = "<meta charset=\"iso-8859-1\"><p>Café crème à Zürich</p>".as_bytes();
        assert_eq!(decode(page, ""), ("<meta charset=\"iso-8859-1\"><p>Café crème à Zürich</p>".into(), "UTF-8"));
        let (text, used) = decode(page, "text/html; charset=iso-8859-1");
        assert_eq!(used, "windows-1252", "the HTTP header wins");
        assert!(text.contains("CafÃ©"), "{text}");
        let latin1 = b"<meta charset=\"iso-8859-1\"><p>caf\xe9</p>";
        assert_eq!(decode(latin1, "").0, "<meta charset=\"iso-8859-1\"><p>café</p>", "real Latin-1 stays Latin-1");
    }

    #[test]
    fn charset_from_header_bom_and_meta() {
        let latin1 = b"<p>caf\xe9</p>";
        assert_eq!(decode(latin1, "text/html; charset=iso-8859-1").0, "<p>café</p>");
        let meta = b"<html><head><meta charset=\"windows-1252\"></head><p>\x93quoted\x94</p>";
        assert!(decode(meta, "text/html").0.contains("\u{201c}quoted\u{201d}"));
        let bom = b"\xef\xbb\xbf<p>\xc3\xa9</p>";
        assert_eq!(decode(bom, "text/html; charset=iso-8859-1"), ("<p>é</p>".to_string(), "UTF-8"));
        assert_eq!(decode("<p>é</p>".as_bytes(), "text/html").1, "UTF-8");
    }

    #[test]
    fn content_types() {
        assert!(content_type_allowed("text/html; charset=utf-8", Expect::Html));
        assert!(content_type_allowed("", Expect::Html));
        assert!(!content_type_allowed("application/pdf", Expect::Html));
        assert!(!content_type_allowed("image/png", Expect::Html));
        assert!(content_type_allowed("application/rss+xml", Expect::Feed));
    }
}
