//! A simulated news site on 127.0.0.1 whose articles get edited on demand.
//!
//! Used by `redline demo` and by the integration tests that run the real daemon against a
//! local site. Pages look like a real newspaper CMS (nav, breaking ticker, "Most read" with
//! "N minutes ago", newsletter box, ads, comment form with CSRF token, author bio, related
//! stories, footer, JSON-LD and OpenGraph), so extraction is exercised for real: the noise
//! (ad creative id, CSRF token, sidebar times, dateline clock) changes on every request or
//! with the clock, the article text only when an edit is published.
//!
//! Routes: `/` (front page), `/feed.xml` (RSS 2.0), `/news/{slug}`; anything else is 404.
//! The site starts at round 0 (everything as first published); [`Newsroom::advance`]
//! publishes the edits one at a time, [`Newsroom::publish_all_edits`] all at once. A newly
//! published story appears (front page, feed, its URL) together with the first edit.

mod articles;
mod render;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use articles::{EditDef, Story};
use render::{Noise, Site};

/// An edit the newsroom publishes (or will publish).
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub slug: &'static str,
    /// Absolute URL of the edited article.
    pub url: String,
    pub description: &'static str,
    /// Kinds the diff engine is expected to report (at least these).
    pub expected_kinds: Vec<crate::diff::EditKind>,
}

struct State_ {
    stories: Vec<Story>,
    edits: Vec<EditDef>,
    /// How many of `edits` are published (the round, in demo order).
    published: usize,
    tick_minutes: u64,
    hits: HashMap<String, u64>,
    serial: u64,
}

struct Shared {
    state: Mutex<State_>,
    started: Instant,
    seed: u64,
    base_url: String,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State_> {
        // A panic while holding the lock cannot leave the state inconsistent; keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn edit(&self, def: &EditDef) -> Edit {
        Edit {
            slug: def.slug,
            url: format!("{}/news/{}", self.base_url, def.slug),
            description: def.description,
            expected_kinds: def.kinds.to_vec(),
        }
    }

    /// Renders with the lock held (pure CPU, no await).
    fn render<T>(&self, f: impl FnOnce(&Site, &State_) -> T) -> T {
        let mut st = self.lock();
        st.serial += 1;
        let serial = st.serial;
        let clock_minutes = self.started.elapsed().as_secs() / 60 + st.tick_minutes;
        let st = &*st;
        let published = st
            .stories
            .iter()
            .filter(|s| !s.new_in_round_1 || st.published >= 1)
            .map(|s| {
                let edited = st.edits[..st.published].iter().any(|e| e.slug == s.slug);
                (s, &s.versions[usize::from(edited)])
            })
            .collect();
        let noise = Noise {
            ad_id: format!("cr-{:08x}", mix(self.seed ^ serial) as u32),
            csrf: format!("{:016x}{:016x}", mix(self.seed.wrapping_add(serial)), mix(serial ^ !self.seed)),
            clock_minutes,
        };
        let site = Site { base_url: &self.base_url, published, noise };
        f(&site, st)
    }
}

/// splitmix64: enough to make ad ids and tokens look random and differ per request.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The running site. Serving stops on [`Newsroom::shutdown`] or drop.
pub struct Newsroom {
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Newsroom {
    /// Binds 127.0.0.1:0 and serves in a background tokio task until `shutdown` or drop.
    pub async fn start() -> std::io::Result<Newsroom> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
        let shared = Arc::new(Shared {
            state: Mutex::new(State_ {
                stories: articles::stories(),
                edits: articles::edits(),
                published: 0,
                tick_minutes: 0,
                hits: HashMap::new(),
                serial: 0,
            }),
            started: Instant::now(),
            seed: mix(nanos ^ u64::from(addr.port())),
            base_url: format!("http://{addr}"),
        });
        let app = Router::new()
            .route("/", get(front_page))
            .route("/feed.xml", get(feed))
            .route("/news/{slug}", get(article))
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(shared.clone(), count_hit))
            .with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = served.await {
                tracing::warn!("newsroom server stopped: {e}");
            }
        });
        Ok(Newsroom { shared, stop: Some(stop), task: Some(task) })
    }

    /// "http://127.0.0.1:PORT"
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// base_url + "/feed.xml"
    pub fn feed_url(&self) -> String {
        format!("{}/feed.xml", self.shared.base_url)
    }

    /// URLs of the articles currently published (in the feed), newest first.
    pub fn article_urls(&self) -> Vec<String> {
        self.shared.render(|site, _| {
            site.published.iter().map(|(s, _)| format!("{}/news/{}", site.base_url, s.slug)).collect()
        })
    }

    /// The edits not yet published, in demo order.
    pub fn pending_edits(&self) -> Vec<Edit> {
        let st = self.shared.lock();
        st.edits[st.published..].iter().map(|d| self.shared.edit(d)).collect()
    }

    /// Publishes the next pending edit (the first one also publishes the new story);
    /// None when all are published.
    pub fn advance(&self) -> Option<Edit> {
        let mut st = self.shared.lock();
        let def = st.edits.get(st.published)?;
        let edit = self.shared.edit(def);
        st.published += 1;
        Some(edit)
    }

    /// Publishes every pending edit at once (and the new story); returns them.
    pub fn publish_all_edits(&self) -> Vec<Edit> {
        let mut st = self.shared.lock();
        let out = st.edits[st.published..].iter().map(|d| self.shared.edit(d)).collect();
        st.published = st.edits.len();
        out
    }

    /// Moves the site clock on (sidebar "N minutes ago" values change) without editing any article.
    pub fn tick(&self, minutes: u32) {
        self.shared.lock().tick_minutes += u64::from(minutes);
    }

    /// Number of HTTP requests served so far for this path (e.g. "/feed.xml"; no query string).
    pub fn hits(&self, path: &str) -> u64 {
        self.shared.lock().hits.get(path).copied().unwrap_or(0)
    }

    /// Stops serving and waits (up to 5 s) for open connections to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Newsroom {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

type S = State<Arc<Shared>>;

async fn count_hit(State(shared): S, req: Request, next: Next) -> Response {
    *shared.lock().hits.entry(req.uri().path().to_string()).or_insert(0) += 1;
    next.run(req).await
}

fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn front_page(State(shared): S) -> Response {
    html(StatusCode::OK, shared.render(|site, _| render::front_page(site)))
}

async fn feed(State(shared): S) -> Response {
    let body = shared.render(|site, _| render::feed(site));
    ([(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")], body).into_response()
}

async fn article(State(shared): S, Path(slug): Path<String>) -> Response {
    shared.render(|site, _| match site.published.iter().find(|(s, _)| s.slug == slug) {
        Some((s, v)) => html(StatusCode::OK, render::article_page(site, s, v)),
        None => html(StatusCode::NOT_FOUND, render::not_found_page(site)),
    })
}

async fn not_found(State(shared): S) -> Response {
    html(StatusCode::NOT_FOUND, shared.render(|site, _| render::not_found_page(site)))
}

#[cfg(test)]
mod tests;
