//! Browser rendering benchmark: the same pages of the simulated newsroom
//! ([`redline::newsroom`]) checked over plain HTTP and through headless
//! Chromium (`render = "browser"`) with 2 and 4 tabs, by the daemon's own
//! check pass ([`Daemon::check_everything`]: fetch or render, extract,
//! compare, record) against a throwaway database.
//!
//! Per configuration: a warm-up pass (Chromium's start and every version 1),
//! then `--runs` passes over every page, each timed; it prints the median
//! checks per second (with the range), and the peak memory of this process
//! and of the browser's process tree, sampled from `/proc` every 20 ms
//! (proportional set size, so shared pages count once).
//!
//! `cargo run --release --bin redline-render-bench` (see `docs/BENCHMARKS.md`).

/// The allocator the daemon runs with (src/main.rs says why).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use clap::Parser;
use redline::config::Config;
use redline::daemon::Daemon;
use redline::fetch::browser::procs;
use redline::newsroom::Newsroom;
use redline::store::Store;

#[derive(Parser, Debug)]
#[command(name = "redline-render-bench", about = "Browser-rendered checks against plain HTTP checks")]
struct Args {
    /// Tab counts to measure, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "2,4")]
    tabs: Vec<usize>,
    /// Copies of each newsroom article (`?copy=N`), for more pages per pass.
    #[arg(long, default_value_t = 6)]
    copies: usize,
    /// Timed passes per configuration.
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

/// Peak memory of this process and of its children while a configuration runs.
struct Sampler {
    stop: Arc<AtomicBool>,
    total: Arc<AtomicU64>,
    children: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl Sampler {
    fn start() -> Sampler {
        let (stop, total, children): (_, Arc<AtomicU64>, Arc<AtomicU64>) =
            (Arc::new(AtomicBool::new(false)), Arc::default(), Arc::default());
        let (s, t, c) = (Arc::clone(&stop), Arc::clone(&total), Arc::clone(&children));
        let thread = std::thread::spawn(move || {
            let me = std::process::id();
            while !s.load(Ordering::Relaxed) {
                let all = procs::tree_rss(me);
                t.fetch_max(all, Ordering::Relaxed);
                c.fetch_max(all.saturating_sub(procs::memory(me)), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Sampler { stop, total, children, thread }
    }

    /// (peak of the whole tree, peak of the children), in MiB.
    fn finish(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        (self.total.load(Ordering::Relaxed) >> 20, self.children.load(Ordering::Relaxed) >> 20)
    }
}

fn config(dir: &std::path::Path, urls: &[String], tabs: Option<usize>) -> Result<Config> {
    let mut text = format!(
        "[storage]\npath = {:?}\n\n[web]\nenabled = false\n\n[fetch]\nallow_private = true\nconcurrency = 8\nper_host_concurrency = 8\nper_host_delay = \"0s\"\n\n[browser]\ntabs = {}\n\n",
        dir.join("bench.db").display().to_string(),
        tabs.unwrap_or(2),
    );
    for url in urls {
        text.push_str(&format!("[[watch]]\nurl = {url:?}\n"));
        if tabs.is_some() {
            text.push_str("render = \"browser\"\n");
        }
    }
    Ok(Config::parse(&text, std::path::Path::new("bench.toml"))?)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = Args::parse();
    let newsroom = Newsroom::start().await?;
    let urls: Vec<String> =
        newsroom.article_urls().iter().flat_map(|u| (0..args.copies).map(move |k| format!("{u}?copy={k}"))).collect();
    println!(
        "{} pages ({} newsroom articles × {}), {} timed passes each",
        urls.len(),
        urls.len() / args.copies.max(1),
        args.copies,
        args.runs
    );
    println!(
        "{:<10} {:>5} {:>14} {:>16} {:>16} {:>18}",
        "fetch", "tabs", "checks/s", "range", "peak MiB (all)", "peak MiB (browser)"
    );
    let modes = std::iter::once(None).chain(args.tabs.iter().copied().map(Some));
    for tabs in modes {
        let dir = tempfile::tempdir()?;
        let config = config(dir.path(), &urls, tabs)?;
        let store = Store::open(&config.storage.path)?;
        let daemon = Daemon::with_store(config, store)?;
        let sampler = Sampler::start();
        let warm = daemon.check_everything().await?;
        if warm.failed > 0 || warm.new != urls.len() {
            bail!("warm-up pass: {warm:?}");
        }
        let mut rates = Vec::with_capacity(args.runs);
        for _ in 0..args.runs {
            let started = Instant::now();
            let pass = daemon.check_everything().await?;
            if pass.failed > 0 {
                bail!("a pass had failures: {pass:?}");
            }
            rates.push(pass.checked as f64 / started.elapsed().as_secs_f64());
        }
        daemon.stop_browser().await;
        let (all, browser) = sampler.finish();
        let (low, high) = (rates.iter().copied().fold(f64::MAX, f64::min), rates.iter().copied().fold(0.0, f64::max));
        let rate = median(&mut rates);
        let (name, tabs) = match tabs {
            Some(t) => ("browser", t.to_string()),
            None => ("http", "-".to_string()),
        };
        println!("{name:<10} {tabs:>5} {rate:>14.1} {:>16} {all:>16} {browser:>18}", format!("{low:.1}–{high:.1}"));
    }
    newsroom.shutdown().await;
    Ok(())
}
