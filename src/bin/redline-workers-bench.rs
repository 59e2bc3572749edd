//! Checks per second with 1, 2 and 4 `redline run` workers on one PostgreSQL
//! database, and one worker on PostgreSQL against one on SQLite, on the same pages.
//!
//! A local site (127.0.0.1, one port per host so that per-host politeness spreads)
//! answers every request after `--latency-ms` (100 by default): the figure then
//! measures how well workers share the work, not this machine's cores. Each series
//! gets a fresh database: `redline run --once` stores every article first (not
//! measured), then every article is made due and K workers run until the site has
//! served every article once more; checks per second = article requests / the time
//! between the first and the last of them, read on the site's side. The workers are
//! then stopped with SIGTERM.
//!
//! ```sh
//! cargo build --release --bin redline --bin redline-workers-bench
//! target/release/redline-workers-bench --articles 800 --hosts 16 --workers 1,2,4
//! ```
//! PostgreSQL from `--postgres` or REDLINE_TEST_POSTGRES (default
//! postgres://root@127.0.0.1:5432/test); one fresh database per series.

/// The allocator the daemon runs with (src/main.rs says why).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use redline::store::Store;
use redline::store::pg::TestDatabase;

struct Args {
    redline: PathBuf,
    articles: usize,
    hosts: usize,
    latency: Duration,
    workers: Vec<usize>,
    concurrency: usize,
    postgres: String,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        redline: std::env::current_exe()?.with_file_name("redline"),
        articles: 800,
        hosts: 16,
        latency: Duration::from_millis(100),
        workers: vec![1, 2, 4],
        concurrency: 8,
        postgres: redline::store::pg::test_server_url(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--redline" => args.redline = PathBuf::from(value()?),
            "--articles" => args.articles = value()?.parse()?,
            "--hosts" => args.hosts = value()?.parse()?,
            "--latency-ms" => args.latency = Duration::from_millis(value()?.parse()?),
            "--concurrency" => args.concurrency = value()?.parse()?,
            "--postgres" => args.postgres = value()?,
            "--workers" => {
                args.workers = value()?.split(',').map(str::parse).collect::<Result<_, _>>()?;
            }
            other => bail!(
                "unknown option {other}: --articles N --hosts N --latency-ms MS --workers 1,2,4 --concurrency N \
                 --postgres URL --redline PATH"
            ),
        }
    }
    if args.articles == 0 || args.hosts == 0 || args.workers.contains(&0) {
        bail!("--articles, --hosts and every --workers count must be at least 1");
    }
    Ok(args)
}

/// The site: its latency, and when each article request was answered.
struct Site {
    latency: Duration,
    per_host: usize,
    served: Mutex<Vec<Instant>>,
}

/// Article `n`: its own words (a pseudo-random draw seeded by `n`), so that story
/// grouping sees 6,400 different events, not one story told 6,400 times. `nonce`
/// changes the bytes of every response (as a real page's tokens and timestamps do)
/// and not the article, so that every check extracts and finds it unchanged.
fn article_html(n: usize, nonce: usize) -> String {
    const WORDS: [&str; 48] = [
        "harbour",
        "council",
        "river",
        "school",
        "budget",
        "mayor",
        "bridge",
        "court",
        "strike",
        "storm",
        "hospital",
        "railway",
        "election",
        "farmers",
        "museum",
        "police",
        "market",
        "teachers",
        "airport",
        "library",
        "factory",
        "festival",
        "drought",
        "tunnel",
        "union",
        "senate",
        "ferry",
        "clinic",
        "stadium",
        "orchestra",
        "wildfire",
        "pension",
        "tariff",
        "vaccine",
        "housing",
        "transit",
        "quarry",
        "glacier",
        "refinery",
        "vineyard",
        "archive",
        "satellite",
        "reservoir",
        "cathedral",
        "brewery",
        "lighthouse",
        "observatory",
        "shipyard",
    ];
    let mut seed = (n as u64).wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    let mut words = |count: usize| {
        (0..count)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                WORDS[(seed >> 33) as usize % WORDS.len()]
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (first, second) = (words(24), words(24));
    format!(
        r#"<!doctype html><html lang="en"><head><title>Story {n} | Bench News</title>
<script type="application/ld+json">{{"@type":"NewsArticle","headline":"Story {n}","datePublished":"2026-12-01T06:00:00Z"}}</script>
</head><body><article><h1>Story {n}</h1>
<p>The first paragraph of story {n} says what happened: {first}.</p>
<p>The second paragraph of story {n} adds who said what: {second}.</p>
</article><!-- response {nonce} --></body></html>"#
    )
}

async fn handle(
    State((site, host)): State<(Arc<Site>, usize)>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    tokio::time::sleep(site.latency).await;
    let base = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1").to_string();
    if path == "feed.xml" {
        let items: String = (0..site.per_host)
            .map(|k| host * site.per_host + k)
            .map(|n| format!("<item><title>Story {n}</title><link>http://{base}/news/{n}</link></item>"))
            .collect();
        let xml = format!("<rss version=\"2.0\"><channel><title>Bench</title>{items}</channel></rss>");
        return ([(header::CONTENT_TYPE, "application/rss+xml")], xml).into_response();
    }
    match path.strip_prefix("news/").and_then(|n| n.parse::<usize>().ok()) {
        Some(n) => {
            let nonce = {
                let mut served = site.served.lock().unwrap_or_else(|p| p.into_inner());
                served.push(Instant::now());
                served.len()
            };
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], article_html(n, nonce)).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// One listener per host (the host key includes the port).
async fn start_site(site: &Arc<Site>, hosts: usize) -> Result<Vec<SocketAddr>> {
    let mut addrs = Vec::new();
    for host in 0..hosts {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        addrs.push(listener.local_addr()?);
        let app =
            axum::Router::new().route("/{*path}", axum::routing::get(handle)).with_state((Arc::clone(site), host));
        tokio::spawn(async move { axum::serve(listener, app).await });
    }
    Ok(addrs)
}

fn write_config(dir: &Path, storage: &str, addrs: &[SocketAddr], concurrency: usize) -> Result<PathBuf> {
    let feeds: String =
        addrs.iter().map(|a| format!("[[watch]]\nfeed = \"http://{a}/feed.xml\"\nevery = \"1h\"\n\n")).collect();
    let text = format!(
        "[storage]\n{storage}\n\n[web]\nenabled = false\n\n[fetch]\nallow_private = true\nrobots = false\n\
         concurrency = {concurrency}\nper_host_concurrency = 4\nper_host_delay = \"0ms\"\ntimeout = \"10s\"\n\n{feeds}"
    );
    let path = dir.join("redline.toml");
    std::fs::write(&path, text)?;
    Ok(path)
}

fn redline(args: &Args, config: &Path) -> Command {
    let mut cmd = Command::new(&args.redline);
    cmd.arg("--config").arg(config).env("RUST_LOG", "redline=warn").stdout(Stdio::null());
    cmd
}

/// Stops the workers with SIGTERM and waits for them.
fn stop(workers: Vec<Child>) {
    for mut w in workers {
        // SAFETY: kill only sends a signal to a child this process started.
        unsafe { libc::kill(w.id() as i32, libc::SIGTERM) };
        let _ = w.wait();
    }
}

/// CPU seconds (user and system) a process has used, from `/proc/PID/stat`; None
/// when it is gone or there is no `/proc`.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces) in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf only reads a system constant.
    Some(ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64)
}

/// The machine's busy and total CPU seconds (every core), from `/proc/stat`.
fn machine_cpu() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<f64> = stat.lines().next()?.split_whitespace().skip(1).filter_map(|t| t.parse().ok()).collect();
    let total: f64 = ticks.iter().sum();
    // idle and iowait are the 4th and 5th fields.
    let idle = ticks.get(3)? + ticks.get(4).unwrap_or(&0.0);
    // SAFETY: sysconf only reads a system constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(((total - idle) / hz, total / hz))
}

/// Where a series' time went: CPU seconds of the workers, of their PostgreSQL
/// server processes, of this process (the site), of the whole machine, and the
/// transactions the database committed.
#[derive(Default, Clone, Copy)]
struct Usage {
    workers: f64,
    backends: f64,
    bench: f64,
    busy: f64,
    total: f64,
    commits: f64,
}

impl Usage {
    /// Now, for the `workers` processes and the server processes serving `store`'s database.
    fn sample(workers: &[Child], store: &Store) -> Usage {
        let backends = store
            .query_rows("SELECT pid FROM pg_stat_activity WHERE datname = current_database()", &[])
            .map(|rows| rows.iter().filter_map(|r| r.get::<i64>(0).ok()).collect::<Vec<_>>())
            .unwrap_or_default();
        let (busy, total) = machine_cpu().unwrap_or_default();
        Usage {
            workers: workers.iter().filter_map(|w| cpu_seconds(w.id())).sum(),
            backends: backends.iter().filter_map(|&pid| cpu_seconds(pid as u32)).sum(),
            bench: cpu_seconds(std::process::id()).unwrap_or(0.0),
            busy,
            total,
            commits: commits(store),
        }
    }

    /// The same, with the commits counted once the workers are gone (a server process
    /// reports its counts to the statistics at most once a second, and when it ends).
    async fn with_final_commits(mut self, store: &Store) -> Usage {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        self.commits = commits(store);
        self
    }

    fn since(self, before: Usage) -> Usage {
        Usage {
            workers: self.workers - before.workers,
            backends: self.backends - before.backends,
            bench: self.bench - before.bench,
            busy: self.busy - before.busy,
            total: self.total - before.total,
            commits: self.commits - before.commits,
        }
    }
}

/// The transactions the database has committed (its statistics).
fn commits(store: &Store) -> f64 {
    store
        .query_rows("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", &[])
        .ok()
        .and_then(|rows| rows.first().and_then(|r| r.get::<i64>(0).ok()))
        .unwrap_or(0) as f64
}

/// One series: store every article with `run --once`, make them due, run `k` workers
/// until every article was served once more; returns checks per second, the checks,
/// and (PostgreSQL) where the time went while the workers ran.
async fn series(
    args: &Args,
    site: &Arc<Site>,
    config: &Path,
    store: &Store,
    k: usize,
) -> Result<(f64, usize, Option<(Usage, f64)>)> {
    let seed = redline(args, config).args(["run", "--once"]).stderr(Stdio::null()).status()?;
    if !seed.success() {
        bail!("redline run --once failed: {seed}");
    }
    let stored = store.count(redline::store::Table::Versions)?;
    if stored < args.articles as i64 {
        bail!("only {stored} of {} articles stored by the seeding run", args.articles);
    }
    store.query_rows("UPDATE articles SET next_check = 0", &[])?;
    site.served.lock().unwrap_or_else(|p| p.into_inner()).clear();
    let workers: Vec<Child> = (0..k)
        .map(|_| redline(args, config).arg("run").arg("--role").arg("check").stderr(Stdio::null()).spawn())
        .collect::<Result<_, _>>()?;
    let postgres = store.engine() == redline::store::sql::Engine::Postgres;
    // The workers' own connections come up within the first claims: sampled again below.
    let before = postgres.then(|| Usage::sample(&workers, store));
    let started = Instant::now();
    loop {
        let served = site.served.lock().unwrap_or_else(|p| p.into_inner()).len();
        if served >= args.articles {
            break;
        }
        if started.elapsed() > Duration::from_secs(300) {
            stop(workers);
            bail!("{served} of {} articles checked after 300 s", args.articles);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let wall = started.elapsed().as_secs_f64();
    let after = postgres.then(|| Usage::sample(&workers, store));
    stop(workers);
    let usage = match (before, after) {
        (Some(before), Some(after)) => Some((after.with_final_commits(store).await.since(before), wall)),
        _ => None,
    };
    let served = site.served.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let span = served[served.len() - 1] - served[0];
    Ok((served.len() as f64 / span.as_secs_f64().max(1e-3), served.len(), usage))
}

/// One line on where a series' time went: CPU per check and in cores, commits per check.
fn print_usage(usage: Usage, wall: f64, checks: usize) {
    let per_check = |s: f64| s / checks.max(1) as f64 * 1e6;
    let cores = |s: f64| s / wall.max(1e-3);
    println!(
        "    cpu per check: workers {:.0} µs, their postgres {:.0} µs, site {:.0} µs; cores used: workers {:.2}, \
         postgres {:.2}, site {:.2}, machine {:.2} of {:.0}; commits per check {:.2}",
        per_check(usage.workers),
        per_check(usage.backends),
        per_check(usage.bench),
        cores(usage.workers),
        cores(usage.backends),
        cores(usage.bench),
        cores(usage.busy),
        usage.total / wall.max(1e-3),
        usage.commits / checks.max(1) as f64,
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let per_host = args.articles.div_ceil(args.hosts);
    let site = Arc::new(Site { latency: args.latency, per_host, served: Mutex::new(Vec::new()) });
    let addrs = start_site(&site, args.hosts).await?;
    let articles = per_host * args.hosts;
    let args = Args { articles, ..args };
    println!(
        "{articles} articles on {} hosts, {} ms per response, [fetch] concurrency {} per worker, per_host_concurrency 4",
        args.hosts,
        args.latency.as_millis(),
        args.concurrency
    );
    println!("{:<12} {:>8} {:>10} {:>12} {:>9}", "store", "workers", "checks", "checks/s", "× one");
    let mut one = None;
    for &k in &args.workers {
        let db = TestDatabase::create(&args.postgres).context("PostgreSQL (--postgres / REDLINE_TEST_POSTGRES)")?;
        let dir = tempfile::tempdir()?;
        let config = write_config(dir.path(), &format!("url = {:?}", db.url), &addrs, args.concurrency)?;
        let store = Store::open_url(&db.url)?;
        let (rate, checks, usage) = series(&args, &site, &config, &store, k).await?;
        let base = *one.get_or_insert(rate);
        println!("{:<12} {k:>8} {checks:>10} {rate:>12.1} {:>9.2}", "postgresql", rate / base);
        if let Some((usage, wall)) = usage {
            print_usage(usage, wall, checks);
        }
    }
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("redline.db");
    let config = write_config(dir.path(), &format!("path = {:?}", db.display().to_string()), &addrs, args.concurrency)?;
    let store = Store::open(&db)?;
    let (rate, checks, _) = series(&args, &site, &config, &store, 1).await?;
    let base = one.unwrap_or(rate);
    println!("{:<12} {:>8} {checks:>10} {rate:>12.1} {:>9.2}", "sqlite", 1, rate / base);
    Ok(())
}
