//! The web UI, the Atom feed and the JSON API (axum), read-mostly.
//!
//! # Layout
//! - [`pages`](self): server-rendered HTML: recent changes, an article's timeline, a
//!   version with the change that produced it, watches with their health, search.
//! - `history`: any two versions compared, the arc of a story (an inline SVG timeline),
//!   its headline history.
//! - `manage`: watches managed from the page: the add, edit, pause, resume and remove
//!   forms, through the one watch builder, each with its CSRF token.
//! - `atom`: the Atom feeds of changes, global and per watch.
//! - `api`: the JSON API under `/api`, documented in `docs/API.md`.
//! - `shots`: a version's screenshot and the visual comparison with the version before.
//! - `cards`: `/changes/{id}.png`, the picture of a change, and its figure on the version page.
//! - `stories`: stories across outlets: their pages, Atom feeds and `/api/stories`.
//! - `ops`: `/healthz` and `/metrics` (Prometheus text format).
//! - `html`: the page shell, the stylesheet and small rendering helpers.
//!
//! # Safety
//! Every piece of article text is escaped ([`crate::text::escape_html`]); the
//! stored raw page is only ever shown escaped, or as `text/plain` under a sandboxing
//! CSP. Every response carries a strict Content-Security-Policy (no script at all),
//! `nosniff` and `frame-ancestors 'none'`. Writes are `POST` only. Under `/api` they need
//! `Authorization: Bearer <token>`; the page's forms need the token when one is set (as
//! Basic auth, which a browser sends on its own) and always their CSRF token (`manage`).
//! When the listen address is not loopback, every
//! request needs the token (as a bearer token, or as the password of HTTP Basic auth
//! so that a browser can ask for it).

mod api;
mod arc;
mod atom;
mod cards;
mod history;
mod html;
mod manage;
mod ops;
mod pages;
mod shots;
mod stories;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;

use crate::config::WebConfig;
use crate::store::{Store, StoreError};

pub use stories::stories_json;

/// The CSP of every page: no script, no plugin, no frame, styles from our origin only.
pub const PAGE_CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The CSP of the raw page (served as `text/plain`): sandboxed, nothing loads.
pub const RAW_CSP: &str = "default-src 'none'; sandbox; frame-ancestors 'none'";

/// Largest page size the lists accept.
pub const MAX_LIMIT: usize = 200;

/// Page size when none is asked for.
pub const DEFAULT_LIMIT: usize = 50;

/// How the web server is set up.
#[derive(Debug, Clone)]
pub struct WebOptions {
    /// The address it listens on (`127.0.0.1:8080`): decides whether reads need the token.
    pub listen: String,
    /// The API token (`[web] token`): needed for writes, and for everything off loopback.
    pub token: Option<String>,
    /// The address people reach it at, for absolute links in feeds (default `http://{listen}`).
    pub base_url: Option<String>,
}

impl Default for WebOptions {
    fn default() -> Self {
        WebOptions { listen: crate::config::DEFAULT_LISTEN.to_string(), token: None, base_url: None }
    }
}

impl WebOptions {
    /// The options `[web]` sets; the token falls back to `REDLINE_WEB_TOKEN`.
    pub fn from_config(web: &WebConfig) -> WebOptions {
        WebOptions {
            listen: web.listen.clone(),
            token: web.token.clone().or_else(|| std::env::var("REDLINE_WEB_TOKEN").ok()),
            base_url: web.base_url.clone(),
        }
    }
}

/// Why the web server cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebError {
    /// Listening beyond loopback with no token would publish the UI and the API.
    #[error(
        "the web UI would listen on {0}, which is not a loopback address, without a token; set `token` in [web] (every request must then carry it) or listen on 127.0.0.1"
    )]
    OpenWithoutToken(String),
    /// The token is too short to resist guessing.
    #[error("the [web] token is {0} characters long; use at least 16 random characters")]
    WeakToken(usize),
    /// The base URL is not an absolute http(s) URL.
    #[error("the web base URL {0:?} is not an absolute http(s) URL")]
    BadBaseUrl(String),
}

/// What every handler shares: the store and the options. Cheap to clone.
#[derive(Clone)]
pub struct WebState {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    store: Arc<Store>,
    /// The daemon's loops, when the daemon serves the UI (not `redline serve`).
    health: Option<Arc<crate::health::Health>>,
    /// The host names a request may carry on a loopback install (DNS rebinding).
    hosts: Vec<String>,
    token: Option<String>,
    /// Reads need the token too (the listen address is not loopback).
    closed: bool,
    base_url: String,
    /// Recent visual comparisons of screenshots.
    comparisons: Arc<shots::Comparisons>,
}

impl WebState {
    /// Checks the options and builds the state.
    pub fn new(store: Arc<Store>, options: WebOptions) -> Result<WebState, WebError> {
        let token = options.token.filter(|t| !t.is_empty());
        if let Some(t) = &token
            && t.chars().count() < 16
        {
            return Err(WebError::WeakToken(t.chars().count()));
        }
        let closed = !is_loopback(&options.listen);
        if closed && token.is_none() {
            return Err(WebError::OpenWithoutToken(options.listen));
        }
        let base_url = match options.base_url {
            Some(b) => {
                let ok = url::Url::parse(&b).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
                if !ok {
                    return Err(WebError::BadBaseUrl(b));
                }
                b.trim_end_matches('/').to_string()
            }
            None => format!("http://{}", options.listen),
        };
        let hosts = allowed_hosts(&options.listen, &base_url);
        let comparisons = Arc::new(shots::Comparisons::new());
        Ok(WebState { inner: Arc::new(Inner { store, health: None, hosts, token, closed, base_url, comparisons }) })
    }

    /// Reports the daemon's loops in `/healthz` and `/metrics`.
    pub fn with_health(self, health: Arc<crate::health::Health>) -> WebState {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        inner.health = Some(health);
        WebState { inner: Arc::new(inner) }
    }

    fn health(&self) -> Option<&crate::health::Health> {
        self.inner.health.as_deref()
    }

    fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Runs a store call on the blocking pool (SQLite blocks).
    async fn read<T, F>(&self, f: F) -> Result<T, Failure>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.inner.store);
        match tokio::task::spawn_blocking(move || f(&store)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "Web request failed in the store.");
                Err(Failure::new(StatusCode::INTERNAL_SERVER_ERROR, format!("the database failed: {e}")))
            }
            Err(e) => {
                tracing::error!(error = %e, "Web request panicked.");
                Err(Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))
            }
        }
    }
}

/// The hosts a loopback install answers to: its listen address and base URL,
/// `localhost` and the loopback addresses, on any port.
fn allowed_hosts(listen: &str, base_url: &str) -> Vec<String> {
    let mut hosts = vec!["localhost".to_string(), "[::1]".to_string()];
    hosts.push(host_part(listen).to_ascii_lowercase());
    if let Some(host) = url::Url::parse(base_url).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase)) {
        hosts.push(host);
    }
    hosts
}

/// `example.com` of `example.com:8080`, `[::1]` of `[::1]:8080`.
fn host_part(authority: &str) -> &str {
    match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) && !host.is_empty() => host,
        _ => authority,
    }
}

/// Whether a request's `Host` may be served: on a loopback install, a page
/// from another site that rebinds its name to 127.0.0.1 must not read the UI.
fn host_allowed(state: &WebState, headers: &HeaderMap) -> bool {
    if state.inner.closed {
        // Every request needs the token anyway.
        return true;
    }
    let Some(host) = headers.get(header::HOST) else { return true };
    let Ok(host) = host.to_str() else { return false };
    let host = host_part(host.trim()).to_ascii_lowercase();
    let loopback_ip =
        host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    loopback_ip || state.inner.hosts.contains(&host)
}

fn is_loopback(listen: &str) -> bool {
    if let Ok(addr) = listen.parse::<SocketAddr>() {
        return addr.ip().is_loopback();
    }
    if let Ok(ip) = listen.parse::<IpAddr>() {
        return ip.is_loopback();
    }
    let host = listen.rsplit_once(':').map_or(listen, |(h, _)| h);
    host.eq_ignore_ascii_case("localhost")
}

/// An error answer; rendered as an HTML page, or as `{"error": …}` under `/api`.
#[derive(Debug)]
pub(crate) struct Failure {
    status: StatusCode,
    message: String,
}

impl Failure {
    fn new(status: StatusCode, message: impl Into<String>) -> Failure {
        Failure { status, message: message.into() }
    }

    fn not_found(what: impl Into<String>) -> Failure {
        Failure::new(StatusCode::NOT_FOUND, what)
    }

    fn bad_request(what: impl Into<String>) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, what)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        // The guard turns this into JSON for /api paths (it knows the path; handlers need not).
        let mut r = (self.status, html::error_page(self.status, &self.message)).into_response();
        r.extensions_mut().insert(FailureMessage(self.message));
        r
    }
}

impl Failure {
    /// The refusal of a write to a watch (the API's and the page forms'), or `None` when it was done.
    pub(crate) fn refusal(outcome: crate::store::watches::WatchUpdate, watch_id: i64) -> Option<Failure> {
        use crate::store::watches::WatchUpdate;
        match outcome {
            WatchUpdate::Done => None,
            WatchUpdate::NotFound => Some(Failure::not_found(format!("no watch has the id {watch_id}"))),
            WatchUpdate::FromConfig => Some(Failure::new(
                StatusCode::CONFLICT,
                "this watch comes from the config file, which sets it again at every start: change it there",
            )),
        }
    }
}

#[derive(Clone)]
struct FailureMessage(String);

/// The whole application, for tests and for [`serve`].
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(pages::changes))
        .route("/articles", get(pages::articles))
        .route("/articles/{article_id}", get(pages::article))
        .route("/articles/{article_id}/compare", get(history::compare))
        .route("/articles/{article_id}/versions/{number}", get(pages::version))
        .route("/articles/{article_id}/versions/{number}/raw", get(pages::raw))
        .route("/articles/{article_id}/versions/{number}/screenshot.png", get(shots::screenshot))
        .route("/articles/{article_id}/versions/{number}/screenshot-diff.png", get(shots::screenshot_diff))
        .route("/changes/{change_id}", get(change_or_card))
        .route("/watches", get(manage::watches).post(manage::add))
        .route("/watches/{watch_id}", get(manage::watch))
        .route("/watches/{watch_id}/edit", post(manage::edit))
        .route("/watches/{watch_id}/pause", post(manage::pause))
        .route("/watches/{watch_id}/resume", post(manage::resume))
        .route("/watches/{watch_id}/remove", post(manage::remove))
        .route("/watches/{watch_id}/feed.atom", get(atom::watch_feed))
        .route("/search", get(pages::search))
        .route("/stories", get(stories::list))
        .route("/stories/{story_id}", get(stories::story))
        .route("/stories/{story_id}/feed.atom", get(stories::feed))
        .route("/api/stories", get(stories::api_list))
        .route("/api/stories/{story_id}", get(stories::api_story))
        .route("/feed.atom", get(atom::feed))
        .route("/style.css", get(html::stylesheet))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .nest("/api", api::router())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// Serves the application on `listener` until `shutdown` completes, then
/// finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: WebState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "Web UI listening.");
    }
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}

async fn not_found() -> Failure {
    Failure::not_found("There is no page at this address.")
}

/// Authentication, then the security headers and JSON errors on every answer.
async fn guard(State(state): State<WebState>, request: Request, next: Next) -> Response {
    let api = request.uri().path() == "/api" || request.uri().path().starts_with("/api/");
    let write = !matches!(*request.method(), Method::GET | Method::HEAD);
    let refusal = if host_allowed(&state, request.headers()) {
        authorize(&state, request.headers(), write, api)
    } else {
        Some(
            Failure::new(
                StatusCode::FORBIDDEN,
                "this Redline answers only to its own address, localhost and loopback addresses (Host header refused)",
            )
            .into_response(),
        )
    };
    let mut response = match refusal {
        Some(refusal) => refusal,
        None => next.run(request).await,
    };
    if api && let Some(FailureMessage(message)) = response.extensions_mut().remove::<FailureMessage>() {
        let status = response.status();
        let challenge = response.headers().get(header::WWW_AUTHENTICATE).cloned();
        response = (status, axum::Json(serde_json::json!({ "error": message }))).into_response();
        if let Some(c) = challenge {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, c);
        }
    }
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    headers.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    response
}

/// None when the request may go on; otherwise the refusal. A write outside `/api` is a
/// page's form: the browser may send the token as Basic auth (it does so on its own, on
/// any site's behalf, which is why each form handler also checks its CSRF token); with no
/// token set, only a loopback install gets this far.
fn authorize(state: &WebState, headers: &HeaderMap, write: bool, api: bool) -> Option<Response> {
    let given = presented_token(headers);
    let token = state.inner.token.as_deref();
    let matches = |bearer_only: bool| match (token, &given) {
        (Some(t), Some((g, bearer))) => (*bearer || !bearer_only) && constant_time_eq(t.as_bytes(), g.as_bytes()),
        _ => false,
    };
    if write && !api {
        if token.is_some() && !matches(false) {
            return Some(unauthorized("changing a watch needs this Redline's token (as the password)"));
        }
        return None;
    }
    if write {
        if token.is_none() {
            return Some(
                Failure::new(
                    StatusCode::FORBIDDEN,
                    "writes through the API need a token: set `token` in the [web] section of the config",
                )
                .into_response(),
            );
        }
        // Bearer only: a browser never sends it by itself, so a cross-site form cannot write.
        if !matches(true) {
            return Some(unauthorized("this write needs the header `Authorization: Bearer <token>`"));
        }
        return None;
    }
    if state.inner.closed && !matches(false) {
        return Some(unauthorized("this Redline needs its token: send `Authorization: Bearer <token>`"));
    }
    None
}

fn unauthorized(message: &str) -> Response {
    let mut r = Failure::new(StatusCode::UNAUTHORIZED, message).into_response();
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Redline\", charset=\"UTF-8\""));
    r
}

/// The token from `Authorization: Bearer …` (true) or the password of Basic auth (false).
fn presented_token(headers: &HeaderMap) -> Option<(String, bool)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some((rest.trim().to_string(), true));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_, password) = text.split_once(':')?;
        return Some((password.to_string(), false));
    }
    None
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Unix seconds now.
fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `/changes/{id}` (the change's version page) and `/changes/{id}.png` (its card): one route,
/// as the router cannot tell a parameter from a parameter with a suffix.
async fn change_or_card(State(state): State<WebState>, Path(raw): Path<String>) -> Result<Response, Failure> {
    let (id, png) = match raw.strip_suffix(".png") {
        Some(id) => (id, true),
        None => (raw.as_str(), false),
    };
    let id: i64 = id.parse().map_err(|_| {
        Failure::bad_request(format!("A change id is a number, not {:?}.", raw.chars().take(40).collect::<String>()))
    })?;
    if png {
        cards::card_png(&state, id).await
    } else {
        pages::change(State(state), Path(id)).await.map(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_are_recognised() {
        assert!(is_loopback("127.0.0.1:8080"));
        assert!(is_loopback("[::1]:8080"));
        assert!(is_loopback("localhost:8080"));
        assert!(!is_loopback("0.0.0.0:8080"));
        assert!(!is_loopback("192.168.1.2:80"));
        assert!(!is_loopback("example.com:80"));
    }

    #[test]
    fn an_open_address_needs_a_strong_token() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        let open = WebOptions { listen: "0.0.0.0:8080".into(), ..WebOptions::default() };
        assert!(matches!(WebState::new(Arc::clone(&store), open.clone()), Err(WebError::OpenWithoutToken(_))));
        let weak = WebOptions { token: Some("short".into()), ..open.clone() };
        assert!(matches!(WebState::new(Arc::clone(&store), weak), Err(WebError::WeakToken(5))));
        let good = WebOptions { token: Some("0123456789abcdef0123".into()), ..open };
        assert!(WebState::new(store, good).is_ok());
    }

    #[test]
    fn only_its_own_hosts_are_served_on_loopback() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        let options = WebOptions {
            listen: "127.0.0.1:8080".into(),
            base_url: Some("https://redline.example.org/".into()),
            ..WebOptions::default()
        };
        let state = WebState::new(Arc::clone(&store), options).unwrap();
        let allowed = |host: Option<&str>| {
            let mut h = HeaderMap::new();
            if let Some(host) = host {
                h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
            }
            host_allowed(&state, &h)
        };
        for ok in ["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080", "127.0.0.2", "redline.example.org"] {
            assert!(allowed(Some(ok)), "{ok}");
        }
        assert!(allowed(None), "HTTP/1.0 without Host");
        for bad in ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example:8080"] {
            assert!(!allowed(Some(bad)), "{bad}");
        }
        let open = WebOptions {
            listen: "0.0.0.0:80".into(),
            token: Some("0123456789abcdef0123".into()),
            ..WebOptions::default()
        };
        let state = WebState::new(store, open).unwrap();
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("redline.example.net"));
        assert!(host_allowed(&state, &h), "off loopback the token guards every request");
    }

    #[test]
    fn tokens_are_read_from_bearer_and_basic() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(presented_token(&h), Some(("abc".into(), true)));
        // "user:secret"
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic dXNlcjpzZWNyZXQ="));
        assert_eq!(presented_token(&h), Some(("secret".into(), false)));
        assert!(
            constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd") && !constant_time_eq(b"a", b"ab")
        );
    }
}
