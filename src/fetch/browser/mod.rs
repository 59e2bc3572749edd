//! Pages built by scripts: watches with `render = "browser"` are loaded in a
//! headless Chromium driven over the DevTools protocol (`chromiumoxide`), and
//! the rendered DOM goes to the same extractor as an HTTP page.
//!
//! - **Started lazily**: the [`BrowserPool`] exists when some watch needs it;
//!   Chromium starts at the first render, in a fresh temporary profile, and
//!   again after it crashed or was retired.
//! - **Bounded**: at most `[browser] tabs` pages render at once, each in a tab
//!   of its own that is closed afterwards; a page gets `[browser] timeout` for
//!   everything (load, waits, clicks, screenshot). A tab that does not close, or
//!   a browser whose process tree (summed from `/proc`) passes `max_memory`, is
//!   retired: new renders start a new Chromium, and the old one is killed, whole
//!   tree, as soon as the renders still using it end.
//! - **The same rules as HTTP**: every request the page makes is paused (CDP
//!   Fetch domain) and judged by [`guard`]: http(s) only, no private addresses
//!   unless `[fetch] allow_private` (names are resolved and every address
//!   checked), robots.txt; refused requests fail as `BlockedByClient`. The main
//!   document waits for its host's politeness turn and holds that slot while
//!   the page renders; the page's own subresources then count against that one
//!   slot, not against the per-host delay (a page with 30 images would
//!   otherwise take 15 s), whatever host they are on.
//! - **Stopped with the daemon**: [`BrowserPool::shutdown`] (and, failing that,
//!   dropping the pool) kills Chromium's whole process tree.

mod guard;
mod page;
pub mod procs;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chromiumoxide::browser::{Browser, BrowserConfig as LaunchConfig};
use chromiumoxide::cdp::browser_protocol::browser::CloseParams;
use futures_util::StreamExt;
use tokio::sync::{Mutex, Semaphore};
use tracing::{debug, info, warn};

use crate::config::{BrowserConfig, BrowserSteps, FetchConfig};
use crate::fetch::FetchError;
use crate::schedule::polite::Polite;

pub use guard::{Blocked, RequestGuard, addresses_allowed};
pub use page::NETWORK_IDLE;
use page::{Stage, drive};

/// The executables looked for on `PATH` when `[browser] path` is not set.
pub const CANDIDATES: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];
/// Time a tab gets to close before the browser is retired.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// A page as the browser rendered it.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// `document.documentElement.outerHTML` after scripts, waits and clicks.
    pub html: String,
    /// The URL the page ended on (after redirects and clicks).
    pub final_url: String,
    /// HTTP status of the main document.
    pub status: u16,
    /// A full-page PNG, when the watch asked for `screenshot = true`.
    pub screenshot: Option<Vec<u8>>,
    /// The page's requests that were refused (robots.txt, private address, scheme).
    pub blocked: Vec<Blocked>,
    /// Time taken, waiting for a tab and the host's turn included.
    pub elapsed: Duration,
}

/// Why a page could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// No Chromium executable.
    #[error("{0}")]
    NotFound(String),
    /// Chromium did not start.
    #[error("cannot start Chromium {path}: {message}")]
    Launch {
        /// The executable.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The page itself was refused (robots.txt, private address, scheme, or the
    /// same for a redirect of it).
    #[error("{0}")]
    Blocked(String),
    /// robots.txt could not be read, or another fetch-side failure.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The main document answered with an error status.
    #[error("HTTP {0}")]
    Status(u16),
    /// The page did not finish in time.
    #[error("the page did not finish within {after:?} while {stage} (raise [browser] timeout if it is just slow)")]
    Timeout {
        /// The limit.
        after: Duration,
        /// What the page was doing.
        stage: String,
    },
    /// The browser failed or answered nonsense.
    #[error("browser: {0}")]
    Cdp(String),
}

impl BrowserError {
    /// The HTTP status behind the failure, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            BrowserError::Status(s) => Some(*s),
            BrowserError::Fetch(FetchError::Status { status, .. }) => Some(*status),
            _ => None,
        }
    }

    /// The server's requested delay, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            BrowserError::Fetch(e) => e.retry_after(),
            _ => None,
        }
    }
}

fn cdp(e: impl std::fmt::Display) -> BrowserError {
    BrowserError::Cdp(e.to_string())
}

/// Finds the Chromium executable: `[browser] path` (a bare name is looked up
/// on `PATH`), else the first of [`CANDIDATES`] on `PATH`.
pub fn find_chromium(configured: Option<&Path>) -> Result<PathBuf, BrowserError> {
    const HOW: &str = "install it (Debian: apt install chromium) or set [browser] path";
    let on_path = |name: &Path| -> Option<PathBuf> {
        let paths = std::env::var_os("PATH")?;
        std::env::split_paths(&paths).map(|dir| dir.join(name)).find(|p| is_executable(p))
    };
    match configured {
        Some(p) if p.components().count() == 1 && !p.is_absolute() => on_path(p)
            .ok_or_else(|| BrowserError::NotFound(format!("no Chromium found at {} on PATH; {HOW}", p.display()))),
        Some(p) if is_executable(p) => Ok(p.to_path_buf()),
        Some(p) => Err(BrowserError::NotFound(format!("no Chromium found at {}; {HOW} to it", p.display()))),
        None => CANDIDATES.iter().find_map(|name| on_path(Path::new(name))).ok_or_else(|| {
            BrowserError::NotFound(format!("no Chromium found on PATH (looked for {}); {HOW}", CANDIDATES.join(", ")))
        }),
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The arguments Chromium always gets: headless, no first-run or background
/// traffic (on a closed network it would otherwise keep calling home), no GPU,
/// frames in one process so that the page's Fetch interception sees their requests.
const ARGS: &[&str] = &[
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-breakpad",
    "--disable-client-side-phishing-detection",
    "--safebrowsing-disable-auto-update",
    "--metrics-recording-only",
    "--password-store=basic",
    "--use-mock-keychain",
    "--disable-dev-shm-usage",
    "--disable-hang-monitor",
    "--disable-prompt-on-repost",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--disable-site-isolation-trials",
    "--disable-features=Translate,MediaRouter,OptimizationHints,IsolateOrigins,site-per-process",
    "--hide-scrollbars",
    "--mute-audio",
];

/// A running Chromium; dropping it kills its process tree.
struct Running {
    browser: Browser,
    pid: u32,
    handler: tokio::task::JoinHandle<()>,
    dead: Arc<AtomicBool>,
    _profile: tempfile::TempDir,
}

impl Running {
    fn usable(&self) -> bool {
        !self.dead.load(Ordering::Relaxed) && procs::alive(self.pid)
    }

    /// Asks Chromium to quit, then kills whatever of its tree is left.
    async fn stop(&self) {
        let tree = procs::tree(self.pid);
        let _ = tokio::time::timeout(Duration::from_secs(1), self.browser.execute(CloseParams::default())).await;
        let deadline = Instant::now() + Duration::from_secs(1);
        while tree.iter().any(|p| procs::alive(*p)) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        procs::kill_all(&tree);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handler.abort();
        procs::kill_tree(self.pid);
        // Reap the main process now, so that it leaves no zombie behind.
        if let Some(child) = self.browser.get_mut_child() {
            for _ in 0..50 {
                if !matches!(child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Headless Chromium for `render = "browser"` watches: a bounded pool of tabs.
pub struct BrowserPool {
    config: BrowserConfig,
    allow_private: bool,
    user_agent: String,
    tabs: Semaphore,
    running: Mutex<Option<Arc<Running>>>,
    peak_memory: AtomicU64,
    restarts: AtomicU64,
}

impl BrowserPool {
    /// A pool under `[browser]`, judging requests by `[fetch]`; Chromium starts at the first render.
    pub fn new(config: &BrowserConfig, fetch: &FetchConfig) -> BrowserPool {
        BrowserPool {
            config: config.clone(),
            allow_private: fetch.allow_private,
            user_agent: fetch.user_agent(),
            tabs: Semaphore::new(config.tabs.max(1)),
            running: Mutex::new(None),
            peak_memory: AtomicU64::new(0),
            restarts: AtomicU64::new(0),
        }
    }

    /// Resident memory of the browser's processes now, in bytes (0 when not running).
    pub async fn memory(&self) -> u64 {
        self.running.lock().await.as_ref().map_or(0, |r| procs::tree_rss(r.pid))
    }

    /// The most the browser's processes used together, as measured after each page.
    pub fn peak_memory(&self) -> u64 {
        self.peak_memory.load(Ordering::Relaxed)
    }

    /// How many times a browser was retired (memory, a stuck tab) or found dead.
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    /// Loads `url` in a tab, runs the watch's `steps`, and returns the rendered DOM.
    /// The page's requests carry the headers and cookies of the watch `source`.
    pub async fn render(
        &self,
        polite: &Polite,
        url: &str,
        source: Option<&str>,
        steps: &BrowserSteps,
    ) -> Result<Rendered, BrowserError> {
        let started = Instant::now();
        let profile = std::sync::Arc::clone(polite.profile(source));
        let guard = RequestGuard::new(polite, self.allow_private).with_profile(profile, url);
        // The page itself: refused before any browser work, with the plain reason.
        guard.judge(url).await.map_err(BrowserError::Blocked)?;
        let _tab = self.tabs.acquire().await.expect("the tab semaphore is never closed");
        let _host = polite.turn(url, source).await?;
        let running = self.running().await?;
        let page = match tokio::time::timeout(self.config.timeout, running.browser.new_page("about:blank")).await {
            Ok(Ok(page)) => page,
            failed => {
                let why = failed
                    .map_or_else(|_| "timed out".to_string(), |e| e.err().map(|e| e.to_string()).unwrap_or_default());
                self.retire(&running, &format!("it could not open a tab ({why})")).await;
                return Err(BrowserError::Cdp(format!("cannot open a tab: {why}")));
            }
        };
        let stage = Stage::new("loading the page");
        let outcome = tokio::time::timeout(self.config.timeout, drive(&page, &guard, url, steps, &stage)).await;
        // A fresh tab per page: closing it is the tab's restart. One that will not close takes the browser with it.
        match tokio::time::timeout(CLOSE_TIMEOUT, page.close()).await {
            Ok(Ok(())) => {}
            _ => self.retire(&running, "a tab did not close").await,
        }
        self.check_memory(&running).await;
        let mut rendered = match outcome {
            Ok(result) => result?,
            Err(_) => return Err(BrowserError::Timeout { after: self.config.timeout, stage: stage.get() }),
        };
        rendered.blocked = guard.blocked();
        rendered.elapsed = started.elapsed();
        Ok(rendered)
    }

    /// The running browser, started when there is none (or it died).
    async fn running(&self) -> Result<Arc<Running>, BrowserError> {
        let mut slot = self.running.lock().await;
        if let Some(running) = slot.as_ref() {
            if running.usable() {
                return Ok(Arc::clone(running));
            }
            warn!("Chromium has exited; starting it again.");
            self.restarts.fetch_add(1, Ordering::Relaxed);
            *slot = None;
        }
        let running = Arc::new(self.launch().await?);
        *slot = Some(Arc::clone(&running));
        Ok(running)
    }

    async fn launch(&self) -> Result<Running, BrowserError> {
        let path = find_chromium(self.config.path.as_deref())?;
        let launch_error = |message: String| BrowserError::Launch { path: path.display().to_string(), message };
        let profile = tempfile::Builder::new()
            .prefix("redline-chromium-")
            .tempdir()
            .map_err(|e| launch_error(format!("cannot create a profile folder: {e}")))?;
        let mut builder = LaunchConfig::builder()
            .chrome_executable(&path)
            .new_headless_mode()
            .disable_default_args()
            .user_data_dir(profile.path())
            .request_timeout(self.config.timeout)
            .launch_timeout(Duration::from_secs(30))
            .args(ARGS.iter().map(|a| a.to_string()))
            .arg(format!("--user-agent={}", self.user_agent))
            .args(self.config.args.iter().cloned());
        // SAFETY: geteuid(2) reads the process's credentials and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            // Chromium refuses to run its sandbox as root.
            builder = builder.no_sandbox();
        }
        let config = builder.build().map_err(launch_error)?;
        let (mut browser, mut handler) = Browser::launch(config).await.map_err(|e| launch_error(e.to_string()))?;
        let pid = browser.get_mut_child().and_then(|c| c.as_mut_inner().id()).unwrap_or(0);
        let dead = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&dead);
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                if let Err(e) = event {
                    debug!(error = %e, "Browser connection.");
                }
            }
            flag.store(true, Ordering::Relaxed);
        });
        info!(path = %path.display(), pid, "Chromium started.");
        Ok(Running { browser, pid, handler, dead, _profile: profile })
    }

    /// Takes `running` out of service: new renders start another browser; this
    /// one is killed when the renders still using it are done.
    async fn retire(&self, running: &Arc<Running>, why: &str) {
        let mut slot = self.running.lock().await;
        if slot.as_ref().is_some_and(|r| Arc::ptr_eq(r, running)) {
            warn!(why, "Restarting Chromium.");
            self.restarts.fetch_add(1, Ordering::Relaxed);
            *slot = None;
        }
    }

    async fn check_memory(&self, running: &Arc<Running>) {
        let rss = procs::tree_rss(running.pid);
        self.peak_memory.fetch_max(rss, Ordering::Relaxed);
        if rss > self.config.max_memory {
            let why = format!("its processes use {} MiB, above [browser] max_memory", rss >> 20);
            self.retire(running, &why).await;
        }
    }

    /// Stops the browser and every process it started (the daemon is stopping).
    pub async fn shutdown(&self) {
        let running = self.running.lock().await.take();
        if let Some(running) = running {
            running.stop().await;
            info!("Chromium stopped.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chromium_is_looked_for_where_configured_then_on_path() {
        let nowhere = find_chromium(Some(Path::new("/nowhere/chromium"))).unwrap_err().to_string();
        assert!(nowhere.starts_with("no Chromium found at /nowhere/chromium;"), "{nowhere}");
        assert!(nowhere.contains("apt install chromium") && nowhere.contains("[browser] path"), "{nowhere}");
        let missing = find_chromium(Some(Path::new("no-such-browser-here"))).unwrap_err().to_string();
        assert!(missing.contains("no-such-browser-here on PATH"), "{missing}");
        assert_eq!(find_chromium(Some(Path::new("/bin/sh"))).unwrap(), Path::new("/bin/sh"));
        assert!(find_chromium(Some(Path::new("sh"))).unwrap().ends_with("sh"));
    }
}
