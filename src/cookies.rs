//! Cookies sent with requests: the Netscape `cookies.txt` format that browser
//! export extensions write, and the matching browsers do (domain, path, secure,
//! expiry). Pure: text in, cookies out; a URL in, a `Cookie` header out.
//!
//! Values are secrets: [`Cookie`]'s `Debug` shows names only.

use std::fmt;

/// One cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct Cookie {
    /// The domain, without a leading dot.
    pub domain: String,
    /// Sent to subdomains of `domain` too (a leading dot, or `TRUE` in the file).
    pub include_subdomains: bool,
    /// The path prefix it is sent for.
    pub path: String,
    /// Sent over https only.
    pub secure: bool,
    /// Unix time after which it is not sent; None for a session cookie (never expires here).
    pub expires: Option<i64>,
    /// The name.
    pub name: String,
    /// The value.
    pub value: String,
}

impl fmt::Debug for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cookie")
            .field("domain", &self.domain)
            .field("include_subdomains", &self.include_subdomains)
            .field("path", &self.path)
            .field("secure", &self.secure)
            .field("expires", &self.expires)
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .finish()
    }
}

impl Cookie {
    /// A cookie for `host` and its subdomains, any path, http and https, never expiring:
    /// what a watch's `cookies = { name = "value" }` means. A leading `www.` is dropped
    /// from the host, so that `www.example.com` and `example.com` share it.
    pub fn for_host(host: &str, name: &str, value: &str) -> Cookie {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let domain = host.strip_prefix("www.").unwrap_or(&host).to_string();
        Cookie {
            domain,
            include_subdomains: true,
            path: "/".into(),
            secure: false,
            expires: None,
            name: name.into(),
            value: value.into(),
        }
    }

    /// Whether a browser would send this cookie to `url` at unix time `now`.
    pub fn matches(&self, url: &url::Url, now: i64) -> bool {
        let Some(host) = url.host_str() else { return false };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let domain = self.domain.to_ascii_lowercase();
        let domain_ok = host == domain
            || (self.include_subdomains && host.len() > domain.len() && host.ends_with(&format!(".{domain}")));
        domain_ok
            && path_matches(&self.path, url.path())
            && (!self.secure || url.scheme() == "https")
            && self.expires.is_none_or(|t| t > now)
    }
}

/// RFC 6265 §5.1.4: the cookie path is the request path, or a prefix of it ending at a `/`.
fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    let cookie_path = if cookie_path.is_empty() { "/" } else { cookie_path };
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}

/// Parses a Netscape `cookies.txt`: seven tab-separated fields per line (domain,
/// include-subdomains flag, path, secure flag, expiry as unix time with 0 for a
/// session cookie, name, value). Blank lines and `#` comments are skipped; the
/// `#HttpOnly_` prefix of a domain marks an HTTP-only cookie, which is a cookie
/// like any other here. A malformed line is an error with its 1-based number.
pub fn parse_cookies_txt(text: &str) -> Result<Vec<Cookie>, (usize, String)> {
    let mut cookies = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let line = line.trim_end_matches('\r');
        let line = match line.strip_prefix("#HttpOnly_") {
            Some(rest) => rest,
            None if line.trim().is_empty() || line.trim_start().starts_with('#') => continue,
            None => line,
        };
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != 7 {
            return Err((
                number,
                format!(
                    "expected 7 tab-separated fields (domain, subdomains, path, secure, expiry, name, value), found {}",
                    fields.len()
                ),
            ));
        }
        let flag = |field: &str, what: &str| match field.to_ascii_uppercase().as_str() {
            "TRUE" => Ok(true),
            "FALSE" => Ok(false),
            _ => Err((number, format!("the {what} field is {field:?}; write TRUE or FALSE"))),
        };
        let include_subdomains = flag(fields[1], "include-subdomains")?;
        let secure = flag(fields[3], "secure")?;
        let expiry: i64 = fields[4]
            .trim()
            .parse()
            .map_err(|_| (number, format!("the expiry field is {:?}; write a unix time, or 0", fields[4])))?;
        let domain = fields[0].trim();
        if domain.trim_start_matches('.').is_empty() {
            return Err((number, "the domain field is empty".into()));
        }
        if fields[5].is_empty() {
            return Err((number, "the name field is empty".into()));
        }
        // A control character or a `;` would break the Cookie header (or smuggle another one in).
        let unsafe_char = |c: char| c.is_control() || c == ';';
        if fields[5].contains(unsafe_char) || fields[5].contains(['=', ' ']) || fields[6].contains(unsafe_char) {
            return Err((
                number,
                "the name or value holds a control character, `;`, or (in the name) `=` or a space".into(),
            ));
        }
        cookies.push(Cookie {
            include_subdomains: include_subdomains || domain.starts_with('.'),
            domain: domain.trim_start_matches('.').to_ascii_lowercase(),
            path: if fields[2].is_empty() { "/".into() } else { fields[2].to_string() },
            secure,
            expires: (expiry > 0).then_some(expiry),
            name: fields[5].to_string(),
            value: fields[6].to_string(),
        });
    }
    Ok(cookies)
}

/// The `Cookie` header for `url` at unix time `now`: the cookies that match, longer
/// paths first (RFC 6265 §5.4), one per name (the first given wins); None when none match.
pub fn cookie_header(cookies: &[Cookie], url: &url::Url, now: i64) -> Option<String> {
    let mut matching: Vec<(usize, &Cookie)> = cookies.iter().enumerate().filter(|(_, c)| c.matches(url, now)).collect();
    // Stable: among equal path lengths the order given stays.
    matching.sort_by_key(|(i, c)| (std::cmp::Reverse(c.path.len()), *i));
    let mut seen = std::collections::HashSet::new();
    let pairs: Vec<String> = matching
        .into_iter()
        .filter(|(_, c)| seen.insert(c.name.as_str()))
        .map(|(_, c)| format!("{}={}", c.name, c.value))
        .collect();
    (!pairs.is_empty()).then(|| pairs.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_that_would_break_the_header_is_a_malformed_line() {
        for bad in [
            "e.com\tFALSE\t/\tFALSE\t0\tsid\tabc\rdef",
            "e.com\tFALSE\t/\tFALSE\t0\tsid\ta;b=c",
            "e.com\tFALSE\t/\tFALSE\t0\ts id\tv",
        ] {
            let err = parse_cookies_txt(&format!("# Netscape HTTP Cookie File\n{bad}\n")).unwrap_err();
            assert_eq!(err.0, 2, "{bad:?}: {err:?}");
        }
        assert!(parse_cookies_txt("e.com\tFALSE\t/\tFALSE\t0\tsid\tv=1%20x\r\n").is_ok(), "a CRLF file is fine");
    }

    fn url(u: &str) -> url::Url {
        url::Url::parse(u).unwrap()
    }

    const FILE: &str = "# Netscape HTTP Cookie File\n\
        # https://curl.se/docs/http-cookies.html\n\
        \n\
        .news.example\tTRUE\t/\tFALSE\t0\tsession\tabc123\n\
        #HttpOnly_paper.example\tFALSE\t/account\tTRUE\t4102444800\tauth\ts3cret\n\
        old.example\tFALSE\t/\tFALSE\t1000\tgone\tx\n";

    #[test]
    fn parses_comments_httponly_and_flags() {
        let cookies = parse_cookies_txt(FILE).unwrap();
        assert_eq!(cookies.len(), 3);
        assert_eq!(cookies[0].domain, "news.example");
        assert!(cookies[0].include_subdomains);
        assert_eq!(cookies[0].expires, None);
        assert_eq!(cookies[1].domain, "paper.example");
        assert!(!cookies[1].include_subdomains && cookies[1].secure);
        assert_eq!(cookies[1].path, "/account");
        assert_eq!(cookies[2].expires, Some(1000));
    }

    #[test]
    fn a_malformed_line_names_its_number() {
        let (line, message) = parse_cookies_txt("# c\n\nnews.example\tTRUE\t/\n").unwrap_err();
        assert_eq!(line, 3);
        assert!(message.contains("7 tab-separated fields"), "{message}");
        let (line, message) = parse_cookies_txt("a.example\tyes\t/\tFALSE\t0\tn\tv\n").unwrap_err();
        assert_eq!(line, 1);
        assert!(message.contains("TRUE or FALSE"), "{message}");
        assert!(parse_cookies_txt("a.example\tTRUE\t/\tFALSE\tsoon\tn\tv\n").is_err());
    }

    #[test]
    fn matching_follows_domain_path_secure_and_expiry() {
        let cookies = parse_cookies_txt(FILE).unwrap();
        let now = 2_000_000_000;
        let (session, auth, gone) = (&cookies[0], &cookies[1], &cookies[2]);
        assert!(session.matches(&url("http://news.example/a"), now));
        assert!(session.matches(&url("https://www.news.example/a"), now));
        assert!(!session.matches(&url("https://badnews.example/a"), now));
        assert!(auth.matches(&url("https://paper.example/account/x"), now));
        assert!(auth.matches(&url("https://paper.example/account"), now));
        assert!(!auth.matches(&url("https://paper.example/accounts"), now), "path prefix must end at a slash");
        assert!(!auth.matches(&url("http://paper.example/account"), now), "secure only over https");
        assert!(!auth.matches(&url("https://sub.paper.example/account"), now), "host-only cookie");
        assert!(!auth.matches(&url("https://paper.example/account"), 4102444800), "expired");
        assert!(!gone.matches(&url("http://old.example/"), now));
    }

    #[test]
    fn header_puts_longer_paths_first_and_one_value_per_name() {
        let mut cookies = vec![Cookie::for_host("www.site.example", "a", "1")];
        cookies.push(Cookie { path: "/news".into(), ..Cookie::for_host("site.example", "b", "2") });
        cookies.push(Cookie::for_host("site.example", "a", "shadowed"));
        let header = cookie_header(&cookies, &url("http://site.example/news/x"), 0).unwrap();
        assert_eq!(header, "b=2; a=1");
        assert_eq!(cookie_header(&cookies, &url("http://other.example/"), 0), None);
    }

    #[test]
    fn debug_hides_values() {
        let shown = format!("{:?}", Cookie::for_host("e.com", "session", "topsecret"));
        assert!(!shown.contains("topsecret") && shown.contains("session"), "{shown}");
    }
}
