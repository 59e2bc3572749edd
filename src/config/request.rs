//! The request settings of `[fetch]` and of each `[[watch]]`: headers, cookies
//! (inline or from a `cookies.txt` file) and a proxy. Their values may be
//! secrets: `"${NAME}"` is read from the environment at load, and `Debug`
//! never shows a value or a proxy's credentials.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use crate::cookies::{Cookie, parse_cookies_txt};

/// Request headers, in the order written. `Debug` shows names only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<(String, String)>);

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter().map(|(name, _)| (name, "<redacted>"))).finish()
    }
}

impl Headers {
    /// `self` with `overrides` on top: a header of the same name (any case) is replaced.
    pub fn merged(&self, overrides: &Headers) -> Headers {
        let mut merged: Vec<(String, String)> = self
            .0
            .iter()
            .filter(|(name, _)| !overrides.0.iter().any(|(o, _)| o.eq_ignore_ascii_case(name)))
            .cloned()
            .collect();
        merged.extend(overrides.0.iter().cloned());
        Headers(merged)
    }
}

/// A proxy URL (`http://`, `https://`, `socks5://` or `socks5h://`, with optional
/// credentials). `Debug` and [`ProxyUrl::shown`] hide the credentials.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ProxyUrl(String);

impl ProxyUrl {
    /// Checks a proxy URL.
    pub fn parse(text: &str) -> Result<ProxyUrl, String> {
        let url = url::Url::parse(text).map_err(|_| {
            "the proxy is not a URL; write e.g. \"http://user:pass@proxy.example:3128\" or \"socks5h://127.0.0.1:1080\""
                .to_string()
        })?;
        if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") {
            return Err(format!("proxy scheme {}: is not supported; use http, https, socks5 or socks5h", url.scheme()));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("the proxy URL has no host".into());
        }
        Ok(ProxyUrl(text.to_string()))
    }

    /// The URL, credentials included: for building the client only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL without credentials, for messages: `http://proxy.example:3128`.
    pub fn shown(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(u) => {
                let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
                format!("{}://{}{port}", u.scheme(), u.host_str().unwrap_or(""))
            }
            Err(_) => "<proxy>".into(),
        }
    }

    /// The proxy's host (which config names explicitly, so it may be private).
    pub fn host(&self) -> Option<String> {
        url::Url::parse(&self.0).ok()?.host_str().map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
    }

    /// The user name and password in the URL, percent-decoded (to scrub them from messages).
    pub fn credentials(&self) -> Vec<String> {
        let Ok(u) = url::Url::parse(&self.0) else { return Vec::new() };
        let decode = |s: &str| percent_decode(s);
        [u.username().to_string(), u.password().unwrap_or("").to_string()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .flat_map(|s| [decode(&s), s])
            .collect()
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({:?})", self.shown())
    }
}

/// A watch's own request settings (config only: never stored in the database).
#[derive(Debug, Clone, Default)]
pub struct RequestSettings {
    /// Headers sent with the watch's requests, over `[fetch] headers` of the same name.
    pub headers: Headers,
    /// Cookies: the watch's `cookies = {…}` (for its host) and its `cookies_file`.
    pub cookies: Vec<Cookie>,
    /// The `cookies_file` they came from, if any.
    pub cookies_file: Option<PathBuf>,
    /// The proxy of the watch's requests, over `[fetch] proxy`.
    pub proxy: Option<ProxyUrl>,
}

/// Replaces each `${NAME}` in `text` by `lookup(NAME)`; an unset variable is an error naming it.
pub fn expand_env(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            return Err("`${` without a closing `}`; write \"${NAME}\" to read the environment variable NAME".into());
        };
        let name = &after[..end];
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!("${{{name}}} is not an environment variable name (letters, digits and _)"));
        }
        match lookup(name) {
            Some(value) => out.push_str(&value),
            None => return Err(format!("environment variable {name} is not set")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn from_env(text: &str) -> Result<String, String> {
    expand_env(text, |name| std::env::var(name).ok())
}

/// RFC 9110 token characters, which a header name consists of.
fn check_header(name: &str, value: &str) -> Result<(), String> {
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(tchar) {
        return Err(format!("{name:?} is not a valid header name"));
    }
    if value.chars().any(|c| (c.is_control() && c != '\t') || c == '\u{7f}') {
        return Err(format!("the value of header {name} contains a control character"));
    }
    Ok(())
}

/// A table of strings (`what` names its entries in errors), each value read
/// from the environment where it says `${NAME}`, then checked by `check`.
fn secret_table<'de, D: Deserializer<'de>>(
    d: D,
    what: &str,
    check: fn(&str, &str) -> Result<(), String>,
) -> Result<Vec<(String, String)>, D::Error> {
    let map = toml::Table::deserialize(d)?;
    let mut pairs = Vec::with_capacity(map.len());
    for (name, value) in map {
        let toml::Value::String(value) = value else {
            return Err(serde::de::Error::custom(format!("the value of {what} {name} must be a string")));
        };
        let value = from_env(&value).map_err(|e| serde::de::Error::custom(format!("{what} {name}: {e}")))?;
        check(&name, &value).map_err(serde::de::Error::custom)?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

fn check_cookie(name: &str, value: &str) -> Result<(), String> {
    let bad = |c: char| c.is_control() || c == ';' || c == '=' || c.is_whitespace();
    if name.is_empty() || name.chars().any(bad) {
        return Err(format!("{name:?} is not a valid cookie name"));
    }
    if value.chars().any(|c| c.is_control() || c == ';') {
        return Err(format!("the value of cookie {name} contains `;` or a control character"));
    }
    Ok(())
}

/// `headers = { "X-Api-Key" = "${API_KEY}" }`
pub(super) fn headers<'de, D: Deserializer<'de>>(d: D) -> Result<Headers, D::Error> {
    secret_table(d, "header", check_header).map(Headers)
}

/// `cookies = { session = "${SESSION}" }`: name and value pairs.
pub(super) fn cookie_pairs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    secret_table(d, "cookie", check_cookie)
}

/// `proxy = "http://user:${PROXY_PASSWORD}@proxy.example:3128"`
pub(super) fn opt_proxy<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ProxyUrl>, D::Error> {
    let text = String::deserialize(d)?;
    let text = from_env(&text).map_err(serde::de::Error::custom)?;
    ProxyUrl::parse(&text).map(Some).map_err(serde::de::Error::custom)
}

/// Reads and parses a cookies file; relative paths are relative to the config file's folder.
/// The error is the file and, for a malformed line, its number.
pub(super) fn load_cookies_file(
    config_path: &Path,
    file: &Path,
) -> Result<Vec<Cookie>, (PathBuf, Option<usize>, String)> {
    let path = match config_path.parent() {
        Some(dir) if file.is_relative() => dir.join(file),
        _ => file.to_path_buf(),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| (path.clone(), None, format!("cannot read it: {e}")))?;
    parse_cookies_txt(&text).map_err(|(line, message)| (path, Some(line), message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_are_substituted_or_named() {
        let lookup = |name: &str| (name == "TOKEN").then(|| "t0k".to_string());
        assert_eq!(expand_env("${TOKEN}", lookup).unwrap(), "t0k");
        assert_eq!(expand_env("Bearer ${TOKEN}!", lookup).unwrap(), "Bearer t0k!");
        assert_eq!(expand_env("plain $value", lookup).unwrap(), "plain $value");
        assert_eq!(expand_env("${MISSING}", lookup).unwrap_err(), "environment variable MISSING is not set");
        assert!(expand_env("${TOKEN", lookup).is_err());
        assert!(expand_env("${1X}", lookup).is_err());
    }

    #[test]
    fn proxy_urls_hide_their_credentials() {
        let proxy = ProxyUrl::parse("http://user:pa%40ss@proxy.example:3128").unwrap();
        assert_eq!(proxy.shown(), "http://proxy.example:3128");
        let debug = format!("{proxy:?}");
        assert!(!debug.contains("pa") && !debug.contains("user"), "{debug}");
        assert!(proxy.credentials().contains(&"pa@ss".to_string()));
        assert_eq!(proxy.host().as_deref(), Some("proxy.example"));
        assert!(ProxyUrl::parse("socks5h://127.0.0.1:1080").is_ok());
        assert!(ProxyUrl::parse("ftp://proxy.example").unwrap_err().contains("not supported"));
        assert!(ProxyUrl::parse("proxy.example:3128").is_err());
    }

    #[test]
    fn watch_headers_win_by_name() {
        let global = Headers(vec![("X-Api-Key".into(), "g".into()), ("Accept-Language".into(), "fr".into())]);
        let watch = Headers(vec![("x-api-key".into(), "w".into())]);
        let merged = global.merged(&watch);
        assert_eq!(merged.0, vec![("Accept-Language".into(), "fr".into()), ("x-api-key".into(), "w".into())]);
        assert!(!format!("{merged:?}").contains("fr"));
    }
}
