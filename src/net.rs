//! The private-address guard shared by fetch and by alert delivery.
//!
//! Targets on loopback, private, link-local or multicast addresses are refused
//! unless the config allows them: IP literals by [`check_literal`], names after
//! DNS resolution by the resolver of [`guarded_client`], so that a socket can only
//! connect to an address that passed the check.
//!
//! Through a proxy ([`guarded_proxy_client`]) the proxy resolves the target, so the
//! resolver never sees it: callers check the target with [`check_resolved`] before
//! each request (and each redirect hop). The proxy itself may be on a private or
//! loopback address: config names it explicitly, and that is the one exception.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::config::ProxyUrl;

/// Why the guard refused a target, or a guarded client could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// The URL cannot be fetched at all.
    #[error("invalid URL {0}: only absolute http and https URLs can be fetched")]
    BadUrl(String),
    /// The target is on a private network.
    #[error(
        "refused {0}: it is a loopback, private, link-local or multicast address (set [fetch] allow_private = true to permit it)"
    )]
    PrivateAddress(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The target's name could not be resolved (checked before a request through a proxy).
    #[error("cannot resolve {0}")]
    Resolve(String),
}

/// A client builder whose connections only reach public addresses (unless
/// `allow_private`) and which ignores proxy settings from the environment.
pub fn guarded_client(allow_private: bool) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder().no_proxy();
    if allow_private { builder } else { builder.dns_resolver(PublicOnlyResolver { trusted: None }) }
}

/// Like [`guarded_client`], with every request sent through `proxy` (and still none
/// through a proxy from the environment). The proxy's host is trusted even when it is
/// private: config named it. Targets must be checked with [`check_resolved`].
pub fn guarded_proxy_client(allow_private: bool, proxy: &ProxyUrl) -> Result<reqwest::ClientBuilder, NetError> {
    let all = reqwest::Proxy::all(proxy.expose())
        .map_err(|_| NetError::Client(format!("the proxy {} is not usable", proxy.shown())))?;
    // No idle connections kept to a proxy: many (tinyproxy among them) close a
    // connection after its response, and a request sent on one that is closing
    // fails with "connection closed before message completed".
    let builder = reqwest::Client::builder().no_proxy().proxy(all).pool_max_idle_per_host(0);
    Ok(if allow_private { builder } else { builder.dns_resolver(PublicOnlyResolver { trusted: proxy.host() }) })
}

/// [`check_literal`], and for a name every address it resolves to must be public
/// (unless `allow_private`): the check of a target that a proxy will resolve.
pub async fn check_resolved(url: &str, allow_private: bool) -> Result<(), NetError> {
    check_literal(url, allow_private)?;
    if allow_private {
        return Ok(());
    }
    let parsed = url::Url::parse(url).map_err(|_| NetError::BadUrl(url.to_string()))?;
    let Some(url::Host::Domain(host)) = parsed.host() else { return Ok(()) };
    let port = parsed.port_or_known_default().unwrap_or(80);
    let addrs = tokio::net::lookup_host((host, port)).await.map_err(|e| NetError::Resolve(format!("{host}: {e}")))?;
    let mut any = false;
    for addr in addrs {
        any = true;
        if !is_public(addr.ip()) {
            return Err(NetError::PrivateAddress(format!("{host} ({})", addr.ip())));
        }
    }
    if any { Ok(()) } else { Err(NetError::Resolve(format!("{host}: no address"))) }
}

/// Refuses non-http(s) URLs and private IP literals: the resolver never sees
/// IP literals, so they are checked here.
pub fn check_literal(url: &str, allow_private: bool) -> Result<(), NetError> {
    let parsed = url::Url::parse(url).map_err(|_| NetError::BadUrl(url.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(NetError::BadUrl(url.to_string()));
    }
    if !allow_private
        && let Some(ip) = literal_ip(&parsed)
        && !is_public(ip)
    {
        return Err(NetError::PrivateAddress(ip.to_string()));
    }
    Ok(())
}

fn literal_ip(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// True for addresses on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let seg = v6.segments();
            // NAT64 (64:ff9b::/96) and IPv4-compatible (::a.b.c.d) forms carry an IPv4 address.
            if (seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0; 4]) || seg[..6] == [0; 6] {
                let v4 = Ipv4Addr::new((seg[6] >> 8) as u8, seg[6] as u8, (seg[7] >> 8) as u8, seg[7] as u8);
                return !v6.is_unspecified() && !v6.is_loopback() && is_public_v4(v4);
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local
                || (seg[0] & 0xffc0) == 0xfe80 // link-local
                || (seg[0] & 0xffc0) == 0xfec0) // site-local (deprecated)
        }
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let o = v4.octets();
    !(v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_multicast()
        || v4.is_broadcast()
        || v4.is_unspecified()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // CGNAT 100.64.0.0/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || o[0] >= 240)
}

/// Resolves with the system resolver and drops every non-public address, so the
/// socket can only connect to what passed the check (no DNS-rebinding window).
/// The `trusted` host (a proxy named in config) resolves unfiltered.
struct PublicOnlyResolver {
    trusted: Option<String>,
}

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let trusted = self.trusted.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(&host));
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if trusted {
                return Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs);
            }
            let public: Vec<SocketAddr> = addrs.iter().copied().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                let shown = addrs.first().map_or(host.clone(), |a| format!("{host} ({})", a.ip()));
                return Err(Box::new(NetError::PrivateAddress(shown)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// An error and its causes on one line: "a: b: c".
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message = format!("{message}: {s}");
        source = s.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "::127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip} should be refused");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700::1111", "::ffff:93.184.216.34"] {
            assert!(is_public(ip.parse().unwrap()), "{ip} should be allowed");
        }
    }
}
