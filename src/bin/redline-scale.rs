//! Scale benchmark: serves N synthetic news articles from 127.0.0.1 and runs the
//! real `redline` binary (`run --once`) against them for several rounds, a share of
//! the articles changing between rounds; then urlwatch (optional) on the same pages.
//!
//! Per round it reports wall time, checks per second, CPU time per check (user+sys
//! of the child, from `wait4`), peak RSS of the child (`ru_maxrss`), database size
//! per article (SQLite file + WAL) and changes detected against changes expected.
//!
//! `scripts/urlwatch_bench.sh` builds it, creates the urlwatch virtualenv and runs
//! the series recorded in `docs/BENCHMARKS.md`.

/// The allocator the daemon runs with (src/main.rs says why).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use clap::Parser;
use redline::text::escape_html as escape;

#[derive(Parser, Debug, Clone)]
#[command(name = "redline-scale", about = "Redline scale benchmark (and urlwatch comparison)")]
struct Args {
    /// The redline binary to measure.
    #[arg(long, default_value = "target/release/redline")]
    redline: PathBuf,
    /// Numbers of watched articles, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
    sizes: Vec<usize>,
    /// Rounds per size: round 0 stores every article for the first time, later rounds compare.
    #[arg(long, default_value_t = 4)]
    rounds: u32,
    /// Whole series (fresh database) per size, for medians.
    #[arg(long, default_value_t = 1)]
    repeat: u32,
    /// Share of the articles edited before each round after the first.
    #[arg(long, default_value_t = 0.05)]
    change_share: f64,
    /// How articles are watched: `feeds` (section feeds of at most --feed-size items) or `urls`
    /// (one `[[watch]] url =` per article).
    #[arg(long, default_value = "feeds")]
    mode: String,
    /// Items per section feed.
    #[arg(long, default_value_t = 1000)]
    feed_size: usize,
    /// `[fetch] concurrency` of the generated config.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Serve no ETag / Last-Modified (every check downloads and extracts the page).
    #[arg(long)]
    no_etag: bool,
    /// Extra `[fetch]` lines for the generated config (raw TOML, e.g. 'per_host_delay = "0ms"').
    #[arg(long)]
    fetch_extra: Vec<String>,
    /// Do not probe for the per-host politeness keys.
    #[arg(long)]
    no_per_host_probe: bool,
    /// urlwatch executable; when set, urlwatch runs on --urlwatch-size pages after each Redline series of that size.
    #[arg(long)]
    urlwatch: Option<PathBuf>,
    /// Pages urlwatch watches (one url job each).
    #[arg(long, default_value_t = 1000)]
    urlwatch_size: usize,
    /// urlwatch filter: `none` (raw HTML, its cheapest job) or `html2text`.
    #[arg(long, default_value = "none")]
    urlwatch_filter: String,
    /// Working directory (databases, configs, logs); a fresh sub-directory per series.
    #[arg(long, default_value = "target/scale/work")]
    workdir: PathBuf,
    /// Seed of the synthetic site.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Append one JSON object per measurement to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Only serve the site (for manual runs) on this port.
    #[arg(long)]
    serve_only: Option<u16>,
    /// Keep the databases after each series.
    #[arg(long)]
    keep: bool,
}

// ---------------------------------------------------------------------------------------------
// The synthetic site
// ---------------------------------------------------------------------------------------------

/// SplitMix64: a fast, seedable, portable generator.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn mix(a: u64, b: u64, c: u64) -> u64 {
    Rng::new(a.wrapping_mul(0x100_0000_01B3) ^ b.rotate_left(21) ^ c.rotate_left(42)).next()
}

const SUBJECTS: &[&str] = &[
    "The city council",
    "State regulators",
    "The school board",
    "Harbor officials",
    "A coalition of residents",
    "The county executive",
    "Union leaders",
    "Hospital administrators",
    "The transit authority",
    "Federal investigators",
    "The mayor's office",
    "Local business owners",
    "Environmental groups",
    "The police department",
    "University researchers",
];
const VERBS: &[&str] = &[
    "approved",
    "rejected",
    "postponed a vote on",
    "called for a review of",
    "announced",
    "defended",
    "questioned",
    "unveiled",
    "scaled back",
    "expanded",
    "criticized",
    "endorsed",
];
const OBJECTS: &[&str] = &[
    "a $48 million plan to rebuild the waterfront",
    "new rules for short-term rentals",
    "the proposed property tax increase",
    "an audit of overtime spending",
    "a pilot program for late-night buses",
    "the contract with the sanitation workers",
    "changes to the flood insurance maps",
    "a study of lead pipes in older neighborhoods",
    "the redevelopment of the old rail yard",
    "an agreement with the state on road repairs",
    "plans for a second high school campus",
    "the budget for the public library system",
];
const TAILS: &[&str] = &[
    "on Tuesday evening",
    "after a three-hour hearing",
    "despite objections from several members",
    "according to documents reviewed by the Courier",
    "in a statement released late Wednesday",
    "following months of negotiations",
    "citing concerns about costs",
    "amid growing pressure from residents",
];
const QUOTES: &[&str] = &[
    "We owe it to the people who live here to get this right",
    "Nobody has explained where the money will come from",
    "This is the most important decision we will make this year",
    "The numbers simply do not add up",
    "We have been waiting for this for a decade",
    "It is a step in the right direction, but only a step",
];
const NAMES: &[&str] = &[
    "Maria Alvarez",
    "Daniel Okafor",
    "Priya Raman",
    "Thomas Becker",
    "Grace Liu",
    "Samuel Hart",
    "Elena Petrova",
    "James Whitfield",
    "Aisha Mensah",
    "Robert Nakamura",
];
const SECTIONS: &[&str] = &["Local", "Politics", "Business", "Education", "World", "Weather"];

fn sentence(r: &mut Rng) -> String {
    match r.below(4) {
        0 => format!("\"{},\" said {}, who has followed the issue for years.", r.pick(QUOTES), r.pick(NAMES)),
        1 => format!(
            "{} {} {}, {} residents said they were {}.",
            r.pick(SUBJECTS),
            r.pick(VERBS),
            r.pick(OBJECTS),
            ["Several", "Many", "A few", "Some"][r.below(4)],
            ["relieved", "skeptical", "surprised", "frustrated", "hopeful"][r.below(5)]
        ),
        _ => format!(
            "{} {} {} {}, and a final decision is expected by {} {}.",
            r.pick(SUBJECTS),
            r.pick(VERBS),
            r.pick(OBJECTS),
            r.pick(TAILS),
            ["March", "April", "June", "September", "November"][r.below(5)],
            1 + r.below(28)
        ),
    }
}

fn paragraph(r: &mut Rng) -> String {
    let n = 2 + r.below(3);
    (0..n).map(|_| sentence(r)).collect::<Vec<_>>().join(" ")
}

/// The site: deterministic pages from (seed, article id, round).
struct Site {
    seed: u64,
    /// Unix time the bench started; publication dates are relative to it.
    epoch: i64,
    share: f64,
    etag: bool,
    feed_size: usize,
    /// The current round: articles edited in rounds 1..=round show their edits.
    round: AtomicU32,
    requests: AtomicU64,
    not_modified: AtomicU64,
}

impl Site {
    /// Whether article `id` is edited before round `r` (r ≥ 1).
    fn edited_in(&self, id: usize, r: u32) -> bool {
        r >= 1 && (mix(self.seed, id as u64, r as u64) % 1_000_000) < (self.share * 1_000_000.0) as u64
    }

    /// Rounds (≤ `round`) in which the article was edited.
    fn edits(&self, id: usize, round: u32) -> Vec<u32> {
        (1..=round).filter(|&r| self.edited_in(id, r)).collect()
    }

    /// Articles among the first `n` edited before round `r`.
    fn expected_changes(&self, n: usize, r: u32) -> usize {
        (0..n).filter(|&id| self.edited_in(id, r)).count()
    }

    fn headline(&self, id: usize) -> String {
        let mut r = Rng::new(mix(self.seed, id as u64, 0xBEEF));
        format!("{} {} {} (No. {id})", r.pick(SUBJECTS), r.pick(VERBS), r.pick(OBJECTS))
    }

    fn etag(&self, n: usize, id: usize, rev: usize) -> String {
        format!("\"n{n}-a{id}-r{rev}\"")
    }

    /// Publication time: up to three days before the bench started (young articles, as a news
    /// monitor sees them; old ones would be retired from the revisit plan).
    fn published(&self, id: usize) -> i64 {
        self.epoch - 600 - (mix(self.seed, id as u64, 7) % (72 * 3600)) as i64
    }

    /// Last modification: ten minutes per edit after publication.
    fn modified(&self, id: usize, rev: usize) -> i64 {
        self.published(id) + rev as i64 * 600
    }

    fn rfc3339(t: i64) -> String {
        chrono::DateTime::from_timestamp(t, 0).expect("valid timestamp").format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    fn http_date(t: i64) -> String {
        chrono::DateTime::from_timestamp(t, 0).expect("valid timestamp").format("%a, %d %b %Y %H:%M:%S GMT").to_string()
    }

    fn article(&self, base: &str, n: usize, id: usize) -> (String, usize) {
        let round = self.round.load(Ordering::Relaxed);
        let edits = self.edits(id, round);
        let mut r = Rng::new(mix(self.seed, id as u64, 1));
        let section = r.pick(SECTIONS);
        let author = r.pick(NAMES);
        let headline = self.headline(id);
        let published = Site::rfc3339(self.published(id));
        let modified = Site::rfc3339(self.modified(id, edits.len()));
        let n_paragraphs = 5 + r.below(4);
        let mut paragraphs: Vec<String> = (0..n_paragraphs).map(|_| paragraph(&mut r)).collect();
        for &e in &edits {
            let mut er = Rng::new(mix(self.seed, id as u64, 1000 + e as u64));
            if er.below(2) == 0 {
                paragraphs.push(format!(
                    "Update: {} {} {} {}.",
                    er.pick(SUBJECTS),
                    er.pick(VERBS),
                    er.pick(OBJECTS),
                    er.pick(TAILS)
                ));
                paragraphs.push(paragraph(&mut er));
            } else {
                paragraphs.insert(
                    0,
                    format!(
                        "Editor's note: this article was updated to include a response from {} and comments from {}.",
                        er.pick(SUBJECTS).to_lowercase(),
                        er.pick(NAMES)
                    ),
                );
            }
        }
        let url = format!("{base}/{n}/news/{id}");
        let mut out = String::with_capacity(12 * 1024);
        let _ = write!(
            out,
            r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{hed} | The Harbor Ledger</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="canonical" href="{url}">
<meta property="og:type" content="article">
<meta property="og:title" content="{hed}">
<meta property="og:url" content="{url}">
<meta property="article:published_time" content="{published}">
<meta property="article:modified_time" content="{modified}">
<meta name="author" content="{author}">
<link rel="stylesheet" href="/static/site.3f9a.css">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle","headline":"{hed}","datePublished":"{published}","dateModified":"{modified}","author":[{{"@type":"Person","name":"{author}"}}]}}</script>
</head>
<body>
<header class="site-header"><a class="logo" href="/">The Harbor Ledger</a>
<nav class="primary-nav"><ul><li><a href="/">Home</a></li><li><a href="/local">Local</a></li><li><a href="/politics">Politics</a></li><li><a href="/business">Business</a></li><li><a href="/education">Education</a></li><li><a href="/world">World</a></li><li><a href="/weather">Weather</a></li><li><a href="/opinion">Opinion</a></li></ul></nav>
<a class="subscribe" href="/subscribe">Subscribe</a> <a href="/login">Log in</a></header>
<div class="ad-slot" id="ad-top"><span>Advertisement</span><img src="/ads/leader-{ad}.jpg" width="728" height="90" alt=""></div>
<main id="main">
<article class="story">
<p class="kicker"><a href="/{sec}">{section}</a></p>
<h1 class="headline">{hed}</h1>
<p class="byline">By <a rel="author" href="/staff/{id}">{author}</a></p>
<p class="dates"><time datetime="{published}">Published {published}</time></p>
<div class="article-body">
"#,
            hed = escape(&headline),
            sec = section.to_lowercase(),
            ad = id % 97,
        );
        for p in &paragraphs {
            let _ = writeln!(out, "<p>{}</p>", escape(p));
        }
        out.push_str("</div>\n</article>\n<section class=\"related\"><h2>Related stories</h2><ul>\n");
        for k in 1..=3 {
            let other = (id + k * 7919) % n.max(1);
            let _ = writeln!(out, "<li><a href=\"{base}/{n}/news/{other}\">{}</a></li>", escape(&self.headline(other)));
        }
        out.push_str(
            "</ul></section>\n</main>\n<aside class=\"sidebar\"><section class=\"most-read\"><h2>Most read</h2><ol>\n",
        );
        for k in 1..=5 {
            let other = (id * 31 + k * 104_729) % n.max(1);
            let _ = writeln!(
                out,
                "<li><a href=\"{base}/{n}/news/{other}\">{}</a> <span class=\"ago\">{} hours ago</span></li>",
                escape(&self.headline(other)),
                k + 1
            );
        }
        out.push_str(
            r#"</ol></section>
<section class="newsletter"><h2>The Morning Ledger</h2><p>The day's top stories in your inbox every weekday at 6 a.m.</p>
<form action="/newsletter" method="post"><input type="email" name="email" placeholder="you@example.com"><button>Sign up</button></form></section>
</aside>
<footer class="site-footer"><ul><li><a href="/about">About</a></li><li><a href="/contact">Contact</a></li><li><a href="/corrections">Corrections</a></li><li><a href="/privacy">Privacy</a></li></ul>
<p>&copy; 2025 The Harbor Ledger. All rights reserved.</p></footer>
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({"pageType": "article"});</script>
</body>
</html>
"#,
        );
        (out, edits.len())
    }

    fn feed(&self, base: &str, n: usize, k: usize) -> Option<String> {
        let start = k * self.feed_size;
        if start >= n {
            return None;
        }
        let end = (start + self.feed_size).min(n);
        let mut out = String::with_capacity((end - start) * 300);
        let _ = write!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>The Harbor Ledger: section {k}</title><link>{base}/</link><description>Section {k}</description>\n"
        );
        for id in start..end {
            let _ = writeln!(
                out,
                "<item><title>{}</title><link>{base}/{n}/news/{id}</link><guid isPermaLink=\"true\">{base}/{n}/news/{id}</guid><pubDate>{}</pubDate></item>",
                escape(&self.headline(id)),
                Site::http_date(self.published(id))
            );
        }
        out.push_str("</channel></rss>\n");
        Some(out)
    }
}

struct AppState {
    site: Arc<Site>,
    base: String,
}

fn base_of(headers: &HeaderMap, fallback: &str) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| format!("http://{h}"))
        .unwrap_or_else(|| fallback.to_string())
}

async fn article_handler(
    State(state): State<Arc<AppState>>,
    UrlPath((n, id)): UrlPath<(usize, usize)>,
    headers: HeaderMap,
) -> Response {
    let site = &state.site;
    site.requests.fetch_add(1, Ordering::Relaxed);
    if id >= n {
        return (StatusCode::NOT_FOUND, "no such article").into_response();
    }
    let round = site.round.load(Ordering::Relaxed);
    let rev = site.edits(id, round).len();
    let etag = site.etag(n, id, rev);
    if site.etag && headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        site.not_modified.fetch_add(1, Ordering::Relaxed);
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, HeaderValue::from_str(&etag).expect("etag"))])
            .into_response();
    }
    let (body, _) = site.article(&base_of(&headers, &state.base), n, id);
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    if site.etag {
        let h = response.headers_mut();
        h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("etag"));
        h.insert(header::LAST_MODIFIED, HeaderValue::from_str(&Site::http_date(site.modified(id, rev))).expect("date"));
    }
    response
}

async fn feed_handler(
    State(state): State<Arc<AppState>>,
    UrlPath((n, k)): UrlPath<(usize, String)>,
    headers: HeaderMap,
) -> Response {
    let site = &state.site;
    site.requests.fetch_add(1, Ordering::Relaxed);
    let Some(k) = k.strip_suffix(".xml").and_then(|k| k.parse::<usize>().ok()) else {
        return (StatusCode::NOT_FOUND, "no such feed").into_response();
    };
    match site.feed(&base_of(&headers, &state.base), n, k) {
        Some(body) => ([(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")], body).into_response(),
        None => (StatusCode::NOT_FOUND, "no such feed").into_response(),
    }
}

async fn robots() -> &'static str {
    "User-agent: *\nAllow: /\n"
}

/// Starts the site on a background runtime; returns its address.
fn start_server(site: Arc<Site>, port: u16) -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let state = Arc::new(AppState { site, base: format!("http://{addr}") });
    std::thread::spawn(move || {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("server runtime");
        runtime.block_on(async move {
            let app = Router::new()
                .route("/robots.txt", get(robots))
                .route("/{n}/news/{id}", get(article_handler))
                .route("/{n}/feed/{k}", get(feed_handler))
                .with_state(state);
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, app).await.expect("server");
        });
    });
    Ok(addr)
}

// ---------------------------------------------------------------------------------------------
// Child processes: wall time, CPU time and peak RSS of exactly that child (wait4)
// ---------------------------------------------------------------------------------------------

#[repr(C)]
#[derive(Default)]
struct Timeval {
    tv_sec: i64,
    tv_usec: i64,
}

#[repr(C)]
#[derive(Default)]
struct Rusage {
    ru_utime: Timeval,
    ru_stime: Timeval,
    ru_maxrss: i64,
    rest: [i64; 13],
}

unsafe extern "C" {
    fn wait4(pid: i32, status: *mut i32, options: i32, rusage: *mut Rusage) -> i32;
}

struct Measured {
    wall: Duration,
    user: Duration,
    sys: Duration,
    peak_rss_kb: u64,
    success: bool,
    stdout: String,
}

fn measure(mut cmd: Command, stderr_to: &Path) -> Result<Measured> {
    let stderr = std::fs::File::create(stderr_to)?;
    let stdout_path = stderr_to.with_extension("out");
    let stdout = std::fs::File::create(&stdout_path)?;
    cmd.stdout(Stdio::from(stdout)).stderr(Stdio::from(stderr)).stdin(Stdio::null());
    let start = Instant::now();
    let child = cmd.spawn().with_context(|| format!("cannot start {cmd:?}"))?;
    let pid = child.id() as i32;
    let mut status = 0i32;
    let mut usage = Rusage::default();
    // SAFETY: `usage` and `status` are valid for writes; the child is ours and not yet reaped.
    let rc = unsafe { wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    if rc != pid {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    std::mem::forget(child);
    let tv = |t: &Timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    Ok(Measured {
        wall,
        user: tv(&usage.ru_utime),
        sys: tv(&usage.ru_stime),
        peak_rss_kb: usage.ru_maxrss as u64,
        success: (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0,
        stdout: std::fs::read_to_string(&stdout_path).unwrap_or_default(),
    })
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
}

/// Parses "checked N articles: A new, B changed, C failed; …".
fn parse_stats(out: &str) -> Option<(usize, usize, usize, usize)> {
    let line = out.lines().find(|l| l.starts_with("checked "))?;
    let nums: Vec<usize> =
        line.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect();
    Some((*nums.first()?, *nums.get(1)?, *nums.get(2)?, *nums.get(3)?))
}

// ---------------------------------------------------------------------------------------------
// The series
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Row {
    tool: &'static str,
    n: usize,
    rep: u32,
    round: u32,
    /// The first run over the pages (everything new), as opposed to a compare run.
    first: bool,
    checked: usize,
    wall: f64,
    cpu: f64,
    rss_mb: f64,
    db_bytes: u64,
    new: usize,
    changed: usize,
    failed: usize,
    expected: usize,
}

impl Row {
    fn per_sec(&self) -> f64 {
        self.checked as f64 / self.wall
    }
    fn cpu_ms_per_check(&self) -> f64 {
        self.cpu * 1000.0 / self.checked.max(1) as f64
    }
    fn print(&self) {
        println!(
            "{:<8} {:>7} {:>3} {:>5} {:>8} {:>9.2} {:>10.0} {:>9.3} {:>9.1} {:>9.0} {:>6} {:>7} {:>8} {:>6}",
            self.tool,
            self.n,
            self.rep,
            self.round,
            self.checked,
            self.wall,
            self.per_sec(),
            self.cpu_ms_per_check(),
            self.rss_mb,
            self.db_bytes as f64 / self.n as f64,
            self.new,
            self.changed,
            self.expected,
            self.failed
        );
    }
    fn json(&self) -> String {
        serde_json::json!({
            "tool": self.tool, "n": self.n, "rep": self.rep, "round": self.round, "checked": self.checked,
            "wall_s": self.wall, "checks_per_s": self.per_sec(), "cpu_s": self.cpu,
            "cpu_ms_per_check": self.cpu_ms_per_check(), "peak_rss_mb": self.rss_mb,
            "db_bytes": self.db_bytes, "db_bytes_per_article": self.db_bytes as f64 / self.n as f64,
            "new": self.new, "changed": self.changed, "expected": self.expected, "failed": self.failed,
        })
        .to_string()
    }
}

fn header() {
    println!(
        "{:<8} {:>7} {:>3} {:>5} {:>8} {:>9} {:>10} {:>9} {:>9} {:>9} {:>6} {:>7} {:>8} {:>6}",
        "tool",
        "N",
        "rep",
        "round",
        "checked",
        "wall_s",
        "checks/s",
        "cpu_ms/ck",
        "rss_MB",
        "db_B/art",
        "new",
        "changed",
        "expected",
        "failed"
    );
}

/// Which of the per-host keys this redline accepts (unknown keys are config errors).
fn probe_fetch_keys(args: &Args, dir: &Path, addr: SocketAddr) -> Result<Vec<String>> {
    let candidates = [format!("per_host_concurrency = {}", args.concurrency), "per_host_delay = \"0ms\"".to_string()];
    let mut accepted = Vec::new();
    for line in candidates {
        let config = dir.join("probe.toml");
        std::fs::write(
            &config,
            format!(
                "[storage]\npath = \"{}\"\n[fetch]\nallow_private = true\n{line}\n[[watch]]\nurl = \"http://{addr}/1/news/0\"\n",
                dir.join("probe.db").display()
            ),
        )?;
        let out = Command::new(&args.redline).arg("--config").arg(&config).arg("list").output()?;
        if out.status.success() {
            accepted.push(line);
        } else {
            eprintln!("note: redline rejects `{line}`: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        for f in ["probe.db", "probe.db-wal", "probe.db-shm"] {
            let _ = std::fs::remove_file(dir.join(f));
        }
    }
    Ok(accepted)
}

fn write_config(args: &Args, dir: &Path, addr: SocketAddr, n: usize, fetch_lines: &[String]) -> Result<PathBuf> {
    let mut c = String::with_capacity(n * 60 + 512);
    let _ = writeln!(c, "[storage]\npath = \"{}\"\n", dir.join("redline.db").display());
    let _ = writeln!(c, "[web]\nlisten = \"127.0.0.1:0\"\n");
    let _ = writeln!(c, "[fetch]\nallow_private = true\nconcurrency = {}", args.concurrency);
    for l in fetch_lines.iter().chain(&args.fetch_extra) {
        let _ = writeln!(c, "{l}");
    }
    c.push('\n');
    match args.mode.as_str() {
        "feeds" => {
            for k in 0..n.div_ceil(args.feed_size) {
                let _ = writeln!(c, "[[watch]]\nfeed = \"http://{addr}/{n}/feed/{k}.xml\"\n");
            }
        }
        "urls" => {
            for id in 0..n {
                let _ = writeln!(c, "[[watch]]\nurl = \"http://{addr}/{n}/news/{id}\"\n");
            }
        }
        other => bail!("unknown --mode {other}: feeds or urls"),
    }
    let path = dir.join("redline.toml");
    std::fs::write(&path, c)?;
    Ok(path)
}

fn redline_series(
    args: &Args,
    site: &Site,
    addr: SocketAddr,
    n: usize,
    rep: u32,
    fetch_lines: &[String],
    json: &mut Option<std::fs::File>,
) -> Result<Vec<Row>> {
    let dir = args.workdir.join(format!("redline-{}-{n}-{rep}", args.mode));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let config = write_config(args, &dir, addr, n, fetch_lines)?;
    let mut rows = Vec::new();
    for round in 0..args.rounds {
        site.round.store(round, Ordering::SeqCst);
        let expected = if round == 0 { n } else { site.expected_changes(n, round) };
        let mut cmd = Command::new(&args.redline);
        cmd.arg("--config").arg(&config).args(["run", "--once"]);
        let m = measure(cmd, &dir.join(format!("round{round}.log")))?;
        if !m.success {
            bail!("redline failed in round {round} (N={n}); see {}", dir.join(format!("round{round}.log")).display());
        }
        let (checked, new, changed, failed) =
            parse_stats(&m.stdout).with_context(|| format!("no 'checked …' line in redline's output: {}", m.stdout))?;
        let db = dir.join("redline.db");
        let db_bytes = file_size(&db) + file_size(&db.with_extension("db-wal"));
        let row = Row {
            tool: "redline",
            n,
            rep,
            round,
            first: round == 0,
            checked,
            wall: m.wall.as_secs_f64(),
            cpu: (m.user + m.sys).as_secs_f64(),
            rss_mb: m.peak_rss_kb as f64 / 1024.0,
            db_bytes,
            new,
            changed,
            failed,
            expected,
        };
        row.print();
        if let Some(f) = json {
            writeln!(f, "{}", row.json())?;
        }
        rows.push(row);
    }
    if !args.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(rows)
}

fn urlwatch_series(
    args: &Args,
    exe: &Path,
    site: &Site,
    addr: SocketAddr,
    rep: u32,
    json: &mut Option<std::fs::File>,
) -> Result<Vec<Row>> {
    let n = args.urlwatch_size;
    let dir = args.workdir.join(format!("urlwatch-{n}-{rep}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut urls = String::with_capacity(n * 80);
    for id in 0..n {
        if id > 0 {
            urls.push_str("---\n");
        }
        let _ = writeln!(urls, "name: a{id}\nurl: http://{addr}/{n}/news/{id}");
        if args.urlwatch_filter != "none" {
            let _ = writeln!(urls, "filter:\n  - {}", args.urlwatch_filter);
        }
    }
    std::fs::write(dir.join("urls.yaml"), urls)?;
    std::fs::write(
        dir.join("urlwatch.yaml"),
        "display:\n  new: true\n  error: true\n  unchanged: false\n  empty-diff: true\nreport:\n  stdout:\n    enabled: true\n    color: false\n",
    )?;
    let mut rows = Vec::new();
    // Run 0 stores every page, run 1 compares after the usual share of edits.
    let base_round = args.rounds;
    for run in 0..2u32 {
        let round = base_round + run;
        site.round.store(round, Ordering::SeqCst);
        // urlwatch's run 0 sees every page for the first time; run 1 sees edits made since run 0.
        let expected = if run == 0 {
            n
        } else {
            (0..n).filter(|&id| site.edits(id, round).len() != site.edits(id, round - 1).len()).count()
        };
        let mut cmd = Command::new(exe);
        cmd.arg("--urls")
            .arg(dir.join("urls.yaml"))
            .arg("--config")
            .arg(dir.join("urlwatch.yaml"))
            .arg("--cache")
            .arg(dir.join("cache.db"))
            .arg("--hooks")
            .arg(dir.join("hooks.py"))
            .env("HOME", &dir);
        let m = measure(cmd, &dir.join(format!("run{run}.log")))?;
        let new = m.stdout.lines().filter(|l| l.contains(". NEW: ")).count();
        let changed = m.stdout.lines().filter(|l| l.contains(". CHANGED: ")).count();
        let failed = m.stdout.lines().filter(|l| l.contains(". ERROR: ")).count();
        let db_bytes = file_size(&dir.join("cache.db")) + file_size(&dir.join("cache.db-wal"));
        let row = Row {
            tool: "urlwatch",
            n,
            rep,
            round,
            first: run == 0,
            checked: n,
            wall: m.wall.as_secs_f64(),
            cpu: (m.user + m.sys).as_secs_f64(),
            rss_mb: m.peak_rss_kb as f64 / 1024.0,
            db_bytes,
            new,
            changed,
            failed,
            expected,
        };
        row.print();
        if let Some(f) = json {
            writeln!(f, "{}", row.json())?;
        }
        rows.push(row);
    }
    if !args.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(rows)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let site = Arc::new(Site {
        seed: args.seed,
        epoch: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64,
        share: args.change_share,
        etag: !args.no_etag,
        feed_size: args.feed_size.max(1),
        round: AtomicU32::new(0),
        requests: AtomicU64::new(0),
        not_modified: AtomicU64::new(0),
    });
    if let Some(port) = args.serve_only {
        let addr = start_server(Arc::clone(&site), port)?;
        println!("serving on http://{addr}/{{N}}/news/{{id}} and http://{addr}/{{N}}/feed/{{k}}.xml; Ctrl-C stops");
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    if !args.redline.exists() {
        bail!("{} not found: cargo build --release --bin redline", args.redline.display());
    }
    std::fs::create_dir_all(&args.workdir)?;
    let addr = start_server(Arc::clone(&site), 0)?;
    let fetch_lines = if args.no_per_host_probe { Vec::new() } else { probe_fetch_keys(&args, &args.workdir, addr)? };
    let mut json = match &args.json {
        Some(p) => Some(std::fs::OpenOptions::new().create(true).append(true).open(p)?),
        None => None,
    };
    println!(
        "# redline-scale: server http://{addr}, mode {}, concurrency {}, change share {}, etag {}, rounds {}, repeat {}, fetch extra {:?}",
        args.mode,
        args.concurrency,
        args.change_share,
        !args.no_etag,
        args.rounds,
        args.repeat,
        fetch_lines.iter().chain(&args.fetch_extra).collect::<Vec<_>>()
    );
    header();
    let mut all: Vec<Row> = Vec::new();
    let mut ratios: Vec<(f64, f64)> = Vec::new();
    for &n in &args.sizes {
        for rep in 0..args.repeat {
            let rows = redline_series(&args, &site, addr, n, rep, &fetch_lines, &mut json)?;
            if let Some(exe) = args.urlwatch.as_ref().filter(|_| n == args.urlwatch_size) {
                let uw = urlwatch_series(&args, exe, &site, addr, rep, &mut json)?;
                let red_steady = median(rows.iter().filter(|r| r.round > 0).map(Row::per_sec).collect());
                let red_first = rows[0].per_sec();
                ratios.push((red_first / uw[0].per_sec(), red_steady / uw[1].per_sec()));
                all.extend(uw);
            }
            all.extend(rows);
        }
    }
    println!("\n# medians (first round = every article stored for the first time; later rounds compare)");
    println!(
        "{:<8} {:>7} {:>6} {:>10} {:>10} {:>9} {:>9} {:>11} {:>13}",
        "tool", "N", "rounds", "wall_s", "checks/s", "cpu_ms/ck", "rss_MB", "db_B/art", "changed/exp"
    );
    let mut keys: Vec<(&str, usize)> = all.iter().map(|r| (r.tool, r.n)).collect();
    keys.dedup();
    keys.sort();
    keys.dedup();
    for (tool, n) in keys {
        for first in [true, false] {
            let sel: Vec<&Row> = all.iter().filter(|r| r.tool == tool && r.n == n && r.first == first).collect();
            if sel.is_empty() {
                continue;
            }
            let m = |f: &dyn Fn(&Row) -> f64| median(sel.iter().map(|r| f(r)).collect());
            let changed: usize = sel.iter().map(|r| if first { r.new } else { r.changed }).sum();
            let expected: usize = sel.iter().map(|r| r.expected).sum();
            println!(
                "{:<8} {:>7} {:>6} {:>10.2} {:>10.0} {:>9.3} {:>9.1} {:>11.0} {:>13}",
                tool,
                n,
                if first { "first" } else { "later" },
                m(&|r| r.wall),
                m(&Row::per_sec),
                m(&Row::cpu_ms_per_check),
                sel.iter().map(|r| r.rss_mb).fold(0.0, f64::max),
                m(&|r| r.db_bytes as f64 / r.n as f64),
                format!("{changed}/{expected}"),
            );
        }
    }
    if !ratios.is_empty() {
        let first = median(ratios.iter().map(|r| r.0).collect());
        let later = median(ratios.iter().map(|r| r.1).collect());
        println!(
            "\n# redline/urlwatch checks per second on the same {} pages (median of {} series): first run {:.1}x, compare run {:.1}x",
            args.urlwatch_size,
            ratios.len(),
            first,
            later
        );
    }
    println!(
        "# server: {} requests, {} answered 304",
        site.requests.load(Ordering::Relaxed),
        site.not_modified.load(Ordering::Relaxed)
    );
    Ok(())
}
