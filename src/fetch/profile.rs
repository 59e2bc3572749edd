//! Request profiles: the headers, cookies and proxy a request is sent with.
//!
//! Built once from the config at start (`[fetch]` for everything, a `[[watch]]`'s
//! own settings on top for that watch) and kept in memory, keyed by the watch's
//! URL: the articles of a source are fetched with its profile, and a source that
//! the config does not name (`redline add`, the API) gets the global one. Nothing
//! here is written to the database, and `Debug` shows no value.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use reqwest::header::{COOKIE, HeaderMap, HeaderName, HeaderValue};

use super::FetchError;
use crate::config::{FetchConfig, Headers, ProxyUrl, Watch};
use crate::cookies::{Cookie, cookie_header};

/// Secrets shorter than this are not scrubbed from messages (they would mangle them).
const MIN_SCRUBBED_LEN: usize = 4;

/// The headers, cookies and proxy of one watch's requests.
#[derive(Clone, Default)]
pub struct RequestProfile {
    headers: HeaderMap,
    cookies: Vec<Cookie>,
    proxy: Option<ProxyUrl>,
}

impl fmt::Debug for RequestProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestProfile")
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("cookies", &self.cookies.iter().map(|c| c.name.as_str()).collect::<Vec<_>>())
            .field("proxy", &self.proxy)
            .finish()
    }
}

impl RequestProfile {
    /// A profile from checked settings; the header values are marked sensitive.
    pub fn new(headers: &Headers, cookies: Vec<Cookie>, proxy: Option<ProxyUrl>) -> Result<RequestProfile, FetchError> {
        let mut map = HeaderMap::new();
        for (name, value) in &headers.0 {
            let invalid = || FetchError::Network(format!("header {name} cannot be sent: check its name and value"));
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
            let mut value = HeaderValue::from_bytes(value.as_bytes()).map_err(|_| invalid())?;
            value.set_sensitive(true);
            map.insert(name, value);
        }
        Ok(RequestProfile { headers: map, cookies, proxy })
    }

    /// The profile of `[fetch]`.
    pub fn global(fetch: &FetchConfig) -> Result<RequestProfile, FetchError> {
        RequestProfile::new(&fetch.headers, fetch.cookies.clone(), fetch.proxy.clone())
    }

    /// The profile of a watch: its headers over the global ones of the same name,
    /// its cookies before the global ones (so its own win by name), its proxy or the global one.
    pub fn for_watch(fetch: &FetchConfig, watch: &Watch) -> Result<RequestProfile, FetchError> {
        let own = &watch.request;
        let cookies = own.cookies.iter().chain(&fetch.cookies).cloned().collect();
        let proxy = own.proxy.clone().or_else(|| fetch.proxy.clone());
        RequestProfile::new(&fetch.headers.merged(&own.headers), cookies, proxy)
    }

    /// The proxy requests go through, if any.
    pub fn proxy(&self) -> Option<&ProxyUrl> {
        self.proxy.as_ref()
    }

    /// Adds the headers (only when `url` is on the host of the first request: a
    /// redirect to another host drops them) and the cookies matching `url`.
    pub fn apply(&self, mut get: reqwest::RequestBuilder, url: &url::Url, same_host: bool) -> reqwest::RequestBuilder {
        if same_host {
            get = get.headers(self.headers.clone());
        }
        if let Some(cookies) = cookie_header(&self.cookies, url, chrono::Utc::now().timestamp())
            && let Ok(mut value) = HeaderValue::from_str(&cookies)
        {
            value.set_sensitive(true);
            get = get.header(COOKIE, value);
        }
        get
    }

    /// The headers a browser request to `url` gets on top of its own: the
    /// profile's headers when `url` is on the page's host, and the cookies that
    /// match it (one `Cookie` line).
    pub fn browser_headers(&self, url: &url::Url, same_host: bool) -> Vec<(String, String)> {
        let mut extra: Vec<(String, String)> = Vec::new();
        if same_host {
            for (name, value) in &self.headers {
                if let Ok(value) = value.to_str() {
                    extra.push((name.as_str().to_string(), value.to_string()));
                }
            }
        }
        if let Some(cookies) = cookie_header(&self.cookies, url, chrono::Utc::now().timestamp()) {
            extra.push((COOKIE.as_str().to_string(), cookies));
        }
        extra
    }

    fn secrets(&self) -> impl Iterator<Item = String> + '_ {
        let headers = self.headers.values().filter_map(|v| v.to_str().ok().map(str::to_string));
        let cookies = self.cookies.iter().map(|c| c.value.clone());
        let proxy = self.proxy.iter().flat_map(ProxyUrl::credentials);
        headers.chain(cookies).chain(proxy)
    }
}

/// Every watch's profile, keyed by the watch's URL, and the global one.
#[derive(Clone, Default)]
pub struct Profiles {
    global: Arc<RequestProfile>,
    by_source: HashMap<String, Arc<RequestProfile>>,
    /// Every secret value, longest first, to scrub from messages.
    secrets: Arc<Vec<String>>,
}

impl fmt::Debug for Profiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profiles").field("global", &self.global).field("by_source", &self.by_source).finish()
    }
}

impl Profiles {
    /// The global profile only.
    pub fn global(fetch: &FetchConfig) -> Result<Profiles, FetchError> {
        Profiles::from_config(fetch, &[])
    }

    /// The global profile and one per watch that has request settings of its own.
    pub fn from_config(fetch: &FetchConfig, watches: &[Watch]) -> Result<Profiles, FetchError> {
        let global = Arc::new(RequestProfile::global(fetch)?);
        let mut by_source = HashMap::new();
        for watch in watches {
            let own = &watch.request;
            if own.headers.0.is_empty() && own.cookies.is_empty() && own.proxy.is_none() {
                continue;
            }
            by_source.insert(watch.target.url().to_string(), Arc::new(RequestProfile::for_watch(fetch, watch)?));
        }
        let mut secrets: Vec<String> = std::iter::once(&global)
            .chain(by_source.values())
            .flat_map(|p| p.secrets().collect::<Vec<_>>())
            .filter(|s| s.len() >= MIN_SCRUBBED_LEN)
            .collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Ok(Profiles { global, by_source, secrets: Arc::new(secrets) })
    }

    /// The profile of the watch whose URL is `source`; the global one for any other.
    pub fn get(&self, source: Option<&str>) -> &Arc<RequestProfile> {
        source.and_then(|s| self.by_source.get(s)).unwrap_or(&self.global)
    }

    /// Every distinct proxy named (None for direct requests).
    pub fn proxies(&self) -> Vec<Option<ProxyUrl>> {
        let mut proxies: Vec<Option<ProxyUrl>> = vec![None];
        for profile in std::iter::once(&self.global).chain(self.by_source.values()) {
            if !proxies.contains(&profile.proxy) {
                proxies.push(profile.proxy.clone());
            }
        }
        proxies
    }

    /// `message` with every header value, cookie value and proxy credential replaced.
    pub fn scrub(&self, message: String) -> String {
        let mut message = message;
        for secret in self.secrets.iter() {
            if message.contains(secret.as_str()) {
                message = message.replace(secret.as_str(), "<redacted>");
            }
        }
        message
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;

    fn config(text: &str) -> Config {
        Config::parse(text, Path::new("redline.toml")).unwrap()
    }

    #[test]
    fn watches_get_their_own_settings_over_the_global_ones() {
        let c = config(
            "[fetch]\nheaders = { \"X-Api-Key\" = \"global-key\", \"Accept-Language\" = \"fr\" }\nproxy = \"http://u:proxypass@proxy.example:3128\"\n\
             [[watch]]\nurl = \"https://paper.example/a\"\nheaders = { \"x-api-key\" = \"watch-key\" }\ncookies = { session = \"cookie-value\" }\nproxy = \"socks5h://127.0.0.1:1080\"\n\
             [[watch]]\nurl = \"https://other.example/b\"\n",
        );
        let profiles = Profiles::from_config(&c.fetch, &c.watches).unwrap();
        let own = profiles.get(Some("https://paper.example/a"));
        assert_eq!(own.headers["x-api-key"], "watch-key");
        assert_eq!(own.headers["accept-language"], "fr");
        assert_eq!(own.proxy().unwrap().shown(), "socks5h://127.0.0.1:1080");
        let url = url::Url::parse("https://www.paper.example/a").unwrap();
        assert_eq!(cookie_header(&own.cookies, &url, 0).as_deref(), Some("session=cookie-value"));
        let global = profiles.get(Some("https://other.example/b"));
        assert_eq!(global.headers["x-api-key"], "global-key");
        assert!(Arc::ptr_eq(global, profiles.get(None)));
        assert_eq!(profiles.proxies().len(), 3);
        let shown = format!("{profiles:?}");
        for secret in ["global-key", "watch-key", "cookie-value", "proxypass"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
            assert_eq!(profiles.scrub(format!("failed: {secret}!")), "failed: <redacted>!");
        }
    }
}
