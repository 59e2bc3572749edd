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

fn article_html(n: usize) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><title>Story {n} | Bench News</title>
<script type="application/ld+json">{{"@type":"NewsArticle","headline":"Story {n}","datePublished":"2026-12-01T06:00:00Z"}}</script>
</head><body><article><h1>Story {n}</h1>
<p>The first paragraph of story {n} says what happened at the port on Monday morning, in enough words to be a body.</p>
<p>The second paragraph of story {n} adds who said what, and when the next meeting of the harbour board will be.</p>
</article></body></html>"#
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
            site.served.lock().unwrap_or_else(|p| p.into_inner()).push(Instant::now());
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], article_html(n)).into_response()
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

/// One series: store every article with `run --once`, make them due, run `k` workers
/// until every article was served once more; returns checks per second.
async fn series(args: &Args, site: &Arc<Site>, config: &Path, store: &Store, k: usize) -> Result<(f64, usize)> {
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
    stop(workers);
    let served = site.served.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let span = served[served.len() - 1] - served[0];
    Ok((served.len() as f64 / span.as_secs_f64().max(1e-3), served.len()))
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
        let (rate, checks) = series(&args, &site, &config, &store, k).await?;
        let base = *one.get_or_insert(rate);
        println!("{:<12} {k:>8} {checks:>10} {rate:>12.1} {:>9.2}", "postgresql", rate / base);
    }
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("redline.db");
    let config = write_config(dir.path(), &format!("path = {:?}", db.display().to_string()), &addrs, args.concurrency)?;
    let store = Store::open(&db)?;
    let (rate, checks) = series(&args, &site, &config, &store, 1).await?;
    let base = one.unwrap_or(rate);
    println!("{:<12} {:>8} {checks:>10} {rate:>12.1} {:>9.2}", "sqlite", 1, rate / base);
    Ok(())
}
