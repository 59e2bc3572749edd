//! The rules every request a rendered page makes goes through, as HTTP fetches
//! do: http and https only, no private or loopback targets (unless `[fetch]
//! allow_private`), robots.txt. The browser pauses each request (CDP Fetch
//! domain) until [`RequestGuard::judge`] lets it continue or fails it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::fetch::RequestProfile;
use crate::net::{self, NetError};
use crate::schedule::polite::Polite;

/// A request the guard refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    /// The URL requested.
    pub url: String,
    /// Why it was refused.
    pub reason: String,
}

/// Judges the requests of one page; caches each host's addresses for the page's life.
pub struct RequestGuard<'a> {
    polite: &'a Polite,
    allow_private: bool,
    /// The watch's headers and cookies, and the page's host: headers go to that host only.
    profile: Option<(Arc<RequestProfile>, url::Url)>,
    resolved: Mutex<HashMap<(String, u16), Result<(), NetError>>>,
    blocked: Mutex<Vec<Blocked>>,
}

impl<'a> RequestGuard<'a> {
    /// A guard for one page.
    pub fn new(polite: &'a Polite, allow_private: bool) -> RequestGuard<'a> {
        RequestGuard { polite, allow_private, profile: None, resolved: Mutex::default(), blocked: Mutex::default() }
    }

    /// Requests of the page `page_url` carry `profile`'s headers (to the page's own
    /// host) and the cookies that match each of them, as HTTP fetches do.
    pub fn with_profile(mut self, profile: Arc<RequestProfile>, page_url: &str) -> RequestGuard<'a> {
        self.profile = url::Url::parse(page_url).ok().map(|u| (profile, u));
        self
    }

    /// The headers to add to a request for `url` (none without a profile).
    pub fn extra_headers(&self, url: &str) -> Vec<(String, String)> {
        let (Some((profile, page)), Ok(url)) = (&self.profile, url::Url::parse(url)) else { return Vec::new() };
        let same_host =
            url.host_str() == page.host_str() && url.port_or_known_default() == page.port_or_known_default();
        profile.browser_headers(&url, same_host)
    }

    /// Ok when the request may go on; the reason otherwise (also remembered, see [`Self::blocked`]).
    pub async fn judge(&self, url: &str) -> Result<(), String> {
        let verdict = self.verdict(url).await;
        if let Err(reason) = &verdict {
            let blocked = Blocked { url: url.to_string(), reason: reason.clone() };
            self.blocked.lock().unwrap_or_else(|p| p.into_inner()).push(blocked);
        }
        verdict
    }

    async fn verdict(&self, url: &str) -> Result<(), String> {
        net::check_literal(url, self.allow_private).map_err(|e| e.to_string())?;
        let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
        if let (Some(url::Host::Domain(host)), false) = (parsed.host(), self.allow_private) {
            let key = (host.to_string(), parsed.port_or_known_default().unwrap_or(80));
            let cached = self.resolved.lock().unwrap_or_else(|p| p.into_inner()).get(&key).cloned();
            let verdict = match cached {
                Some(v) => v,
                None => {
                    let verdict = match tokio::net::lookup_host((key.0.as_str(), key.1)).await {
                        Ok(addrs) => addresses_allowed(&key.0, &addrs.map(|a| a.ip()).collect::<Vec<_>>()),
                        Err(e) => Err(NetError::Client(format!("cannot resolve {}: {e}", key.0))),
                    };
                    self.resolved.lock().unwrap_or_else(|p| p.into_inner()).insert(key, verdict.clone());
                    verdict
                }
            };
            verdict.map_err(|e| e.to_string())?;
        }
        self.polite.robots_check(url).await.map_err(|e| e.to_string())
    }

    /// The requests refused so far.
    pub fn blocked(&self) -> Vec<Blocked> {
        self.blocked.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A name may be requested only when every address it resolves to is public:
/// the browser connects to whichever it likes, so one private address is enough to refuse.
pub fn addresses_allowed(host: &str, addrs: &[IpAddr]) -> Result<(), NetError> {
    match addrs.iter().find(|ip| !net::is_public(**ip)) {
        Some(ip) => Err(NetError::PrivateAddress(format!("{host} ({ip})"))),
        None if addrs.is_empty() => Err(NetError::Client(format!("cannot resolve {host}: no address"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FetchConfig;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn one_private_address_refuses_the_name() {
        assert!(addresses_allowed("news.example", &ips(&["93.184.216.34", "2606:4700::1111"])).is_ok());
        for bad in [&["127.0.0.1"][..], &["93.184.216.34", "10.0.0.7"], &["::ffff:192.168.0.1"], &["169.254.169.254"]] {
            let err = addresses_allowed("evil.example", &ips(bad)).unwrap_err();
            assert!(matches!(err, NetError::PrivateAddress(ref a) if a.starts_with("evil.example (")), "{err}");
        }
        assert!(addresses_allowed("nothing.example", &[]).is_err());
    }

    #[tokio::test]
    async fn literals_schemes_and_local_names_are_judged_before_any_request() {
        let polite = Polite::new(&FetchConfig { robots: false, ..FetchConfig::default() }).unwrap();
        let guard = RequestGuard::new(&polite, false);
        for url in ["http://127.0.0.1:9/x.js", "http://[::1]/", "http://10.1.2.3/", "http://localhost:8080/api"] {
            let reason = guard.judge(url).await.unwrap_err();
            assert!(reason.contains("loopback, private"), "{url}: {reason}");
        }
        for url in ["file:///etc/passwd", "ftp://news.example/x", "chrome://settings"] {
            assert!(guard.judge(url).await.unwrap_err().contains("only absolute http and https"), "{url}");
        }
        assert_eq!(guard.blocked().len(), 7);
        let open = RequestGuard::new(&polite, true);
        assert!(open.judge("http://127.0.0.1:9/x.js").await.is_ok());
        assert!(open.judge("file:///etc/passwd").await.is_err());
    }
}
