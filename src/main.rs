//! The `redline` command: argument parsing and wiring only.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand, ValueEnum};

use redline::config::Config;
use redline::daemon::{self, Daemon};
use redline::diff;
use redline::extract::{self, Article};
use redline::fetch::{self, Fetcher};
use redline::store::Store;
use redline::watch;

/// The config file read when --config is not given (optional).
const DEFAULT_CONFIG: &str = "redline.toml";

#[derive(Parser)]
#[command(
    name = "redline",
    version,
    about = "Watches news articles and records every edit.",
    long_about = "Redline watches news articles (one by one, or every article of a feed), stores each \
                  distinct version in SQLite, labels every edit (editor's note, headline, addition, removal, \
                  quiet rewording…) and sends alerts by signed webhook and email.\n\n\
                  Start with `redline demo`: it runs offline against a simulated newsroom.",
    after_help = "Configuration: --config PATH (default ./redline.toml if present). An annotated example is config/redline.toml."
)]
struct Cli {
    /// The TOML config file (default: ./redline.toml if it exists, else built-in defaults).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: check watched pages on schedule and send alerts until Ctrl-C or SIGTERM.
    Run {
        /// Check everything watched once, deliver the alerts, and exit (for cron).
        #[arg(long, conflicts_with = "role")]
        once: bool,
        /// The loops to run, comma-separated: check (scheduler and fetching), deliver
        /// (the outbox), web (UI and API). Default: all three.
        #[arg(long, value_name = "ROLES")]
        role: Option<redline::daemon::Roles>,
        /// This worker's name, the same across restarts (e.g. check-1): a restart then frees
        /// the leases its previous run left. Default: an id unique to this process.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// Offline showcase: a simulated newsroom on 127.0.0.1 edits its stories while Redline watches.
    Demo {
        /// Exit after this many alerts (default: run until Ctrl-C).
        #[arg(long, value_name = "N")]
        stop_after: Option<usize>,
        /// Also email each alert through this SMTP server, e.g. smtp://127.0.0.1:2525.
        #[arg(long, value_name = "URL")]
        smtp: Option<String>,
    },
    /// Extract the article (headline, byline, dates, paragraphs) from HTML files or URLs.
    Extract {
        /// The page's URL, to resolve relative links when reading a file.
        #[arg(long)]
        url: Option<String>,
        /// Output format; several inputs in JSON give one object per line.
        #[arg(long, value_enum, default_value_t = ExtractFormat::Text)]
        format: ExtractFormat,
        /// HTML files, http(s) URLs, or - for standard input.
        #[arg(required = true, value_name = "FILE|URL|-")]
        inputs: Vec<String>,
    },
    /// Extract two saved pages and show the change between them (no database).
    Compare {
        /// The older page.
        old: PathBuf,
        /// The newer page.
        new: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
    },
    /// Watch a URL (stored in the database; config watches are added at `run`).
    Add {
        #[command(flatten)]
        spec: watch::Spec,
    },
    /// Serve the web UI, Atom feeds and JSON API on their own (the daemon serves them too).
    Serve {
        /// Listen here instead of [web] listen, e.g. 127.0.0.1:9000.
        #[arg(long)]
        listen: Option<String>,
    },
    /// List watched sources and articles with their versions and health.
    List,
    /// What is due, what fails and why, and the alert queue.
    Status,
    /// Copy the whole database (`[storage]`) into another, empty one: SQLite to PostgreSQL or
    /// back. Counts and content digests of every table are compared after the copy.
    MigrateStore {
        /// The target: `postgres://user@host/db`, or an SQLite file.
        #[arg(long, value_name = "URL_OR_PATH")]
        to: String,
    },
    /// Watch every feed of an OPML file (as exported by feed readers), or rebuild
    /// articles' histories from web archives (--warc).
    Import {
        /// The OPML file.
        #[arg(required_unless_present = "warc")]
        file: Option<PathBuf>,
        /// Check interval of the feeds (default 10m).
        #[arg(long, conflicts_with = "warc")]
        every: Option<String>,
        /// WARC files (gzip or not): their page captures, per URL in date order, become
        /// versions and changes marked as imported (no alerts are sent for them).
        #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "file")]
        warc: Vec<PathBuf>,
    },
    /// Write the history out: every stored page as a web archive (WARC/1.1), or the
    /// versions and changes as JSON Lines or CSV.
    #[command(group(clap::ArgGroup::new("format").required(true)))]
    Export {
        /// Every stored raw page as a WARC `response` record with a `metadata` record naming
        /// its version and change, one gzip member per record, into this file.
        #[arg(long, value_name = "FILE.warc.gz", group = "format")]
        warc: Option<PathBuf>,
        /// Versions and changes, one JSON object per line (schema in docs/API.md).
        #[arg(long, group = "format")]
        jsonl: bool,
        /// One row per change: time, outlet, url, headline, kinds, significance, summary…
        #[arg(long, group = "format")]
        csv: bool,
        /// Only the articles of this watch (its id, as the web UI and the API show it).
        #[arg(long, value_name = "ID")]
        watch: Option<i64>,
        /// Only what was fetched or recorded from this date on: 2026-01-31 or an RFC 3339 time.
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Write the JSON Lines or CSV here instead of standard output.
        #[arg(long, short, value_name = "FILE", conflicts_with = "warc")]
        output: Option<PathBuf>,
    },
    /// Show an article's versions and changes.
    Log {
        /// The article URL.
        url: String,
    },
    /// List pending and failed alert deliveries, or send them again.
    Alerts {
        #[command(subcommand)]
        action: Option<AlertsAction>,
    },
    /// List stories across outlets (articles of different sources about one event) with their articles' URLs.
    Stories {
        /// Output format.
        #[arg(long, value_enum, default_value_t = StoriesFormat::Text)]
        format: StoriesFormat,
        /// At most this many stories, the most recently joined first.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show the change between two stored versions of an article (default: the last two).
    Diff {
        /// The article URL.
        url: String,
        /// The older version number.
        from: Option<i64>,
        /// The newer version number (default: the one after FROM, or the latest).
        to: Option<i64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
    },
    /// Draw a stored change as a PNG card: outlet, headline, the changed sentences marked.
    Card {
        /// The change id (as in the web UI's /changes/ID and the API's /api/changes).
        change_id: i64,
        /// The PNG file to write (default: standard output, unless it is a terminal).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AlertsAction {
    /// Send failed deliveries again now, with a fresh retry schedule.
    Retry {
        /// Delivery ids, as `redline alerts` lists them.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<i64>,
        /// Every pending and failed delivery (and re-enable endpoints disabled by 410 Gone).
        #[arg(long)]
        all: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExtractFormat {
    Text,
    Json,
    /// Headings, lists, quotes, code and table rows kept.
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
enum StoriesFormat {
    /// One story per paragraph: id, headline, then each article's outlet and URL.
    Text,
    /// `{"stories": [...], "next"}`, as `GET /api/stories` answers.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    /// Readable text, coloured on a terminal.
    Text,
    /// The change record as JSON.
    Json,
    /// Unified diff of the text.
    Unified,
    /// HTML redline with <ins>/<del>.
    Html,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Run { .. } | Command::Serve { .. } => "redline=info",
        _ => "redline=warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default_level.into()))
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

fn run(cli: Cli) -> Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Command::Demo { stop_after, smtp } => {
            runtime.block_on(redline::demo::run(
                redline::demo::DemoOptions { stop_after, smtp },
                daemon::shutdown_signal(),
            ))?;
        }
        Command::Extract { url, format, inputs } => {
            let config = load_config(cli.config.as_deref())?;
            runtime.block_on(extract_inputs(&config, url.as_deref(), format, &inputs))?;
        }
        Command::Compare { old, new, format } => {
            let read = |p: &Path| -> Result<Article> {
                let raw = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
                Ok(extract::extract(&fetch::decode(&raw, "").0, None))
            };
            print_change(&diff::compare(&read(&old)?, &read(&new)?), format)?;
        }
        Command::Run { once, role, name } => {
            if let Some(name) = &name {
                redline::store::check_worker_name(name).map_err(anyhow::Error::msg)?;
                anyhow::ensure!(redline::store::name_process_worker(name), "the worker id was fixed before --name");
            }
            let config = load_config(cli.config.as_deref())?;
            let roles = role.unwrap_or_default();
            if roles.web && !roles.check && !roles.deliver && !config.web.enabled {
                bail!("--role web needs the web UI on: [web] enabled = true");
            }
            let daemon = Arc::new(Daemon::new(config)?.with_roles(roles));
            if roles.check && daemon.store().sources()?.iter().all(|s| !s.enabled) {
                bail!(
                    "nothing is watched: add a [[watch]] to the config (see config/redline.toml) or run `redline add URL`"
                );
            }
            if once {
                let stats = runtime.block_on(daemon.run_once())?;
                println!(
                    "checked {} articles: {} new, {} changed, {} failed; {} alerts delivered, {} to retry",
                    stats.checked, stats.new, stats.changed, stats.failed, stats.delivered, stats.undelivered
                );
            } else {
                runtime.block_on(daemon.run(daemon::shutdown_signal()))?;
            }
        }
        Command::Add { spec } => {
            let config = load_config(cli.config.as_deref())?;
            let source = spec.source()?;
            open_store(&config)?.add_source(&source, now())?;
            println!("watching {} ({}); `redline run` checks it", source.url, source.schedule);
        }
        Command::Alerts { action: None } => list_alerts(&open_store(&load_config(cli.config.as_deref())?)?)?,
        Command::Alerts { action: Some(AlertsAction::Retry { ids, all }) } => {
            let config = load_config(cli.config.as_deref())?;
            // A running worker with the deliver role sends what is queued. Without one, this
            // command sends it: on PostgreSQL beside any checkers (outbox rows are leased, so
            // nobody sends them twice); on SQLite only when no daemon holds the file.
            let store = Arc::new(open_store(&config)?);
            let deliverer = store.live_deliverer(now())?;
            let running = redline::store::lock::holder_storage(&config.storage);
            let sqlite_held = config.storage.url.is_none() && running.is_some();
            // A SQLite daemon that has not written its heartbeat yet may well deliver.
            let holder_checks_only = sqlite_held && {
                let pid = running.map(i64::from);
                store.workers()?.iter().any(|w| Some(w.pid) == pid && !w.is_gone(now()) && !w.delivers())
            };
            let daemon = match (&deliverer, sqlite_held) {
                (None, false) => Some(Daemon::new(config.clone())?),
                _ => None,
            };
            let store = daemon.as_ref().map_or(store, |d| Arc::clone(d.store()));
            if all {
                store.enable_channels()?;
            }
            let queued = store.retry_deliveries(if all { None } else { Some(&ids) }, now())?;
            if queued == 0 {
                bail!("nothing to retry: `redline alerts` lists the pending and failed deliveries");
            }
            match (daemon, deliverer) {
                (Some(daemon), _) => {
                    let (delivered, failed) = runtime.block_on(daemon.deliver_due())?;
                    println!("{queued} queued: {delivered} delivered, {failed} failed (retried later with backoff)");
                }
                (None, Some(w)) => {
                    println!(
                        "{queued} queued; the running worker {} (pid {} on {}) sends them now",
                        w.id, w.pid, w.host
                    )
                }
                (None, None) if holder_checks_only => println!(
                    "{queued} queued, but the running daemon (pid {}) does not deliver alerts (it runs without the \
                     deliver role): they are sent once a daemon with it runs",
                    running.unwrap_or(0)
                ),
                (None, None) => {
                    println!("{queued} queued; the running daemon (pid {}) sends them now", running.unwrap_or(0))
                }
            }
        }
        Command::Serve { listen } => {
            let mut config = load_config(cli.config.as_deref())?;
            if let Some(listen) = listen {
                config.web.listen = listen;
            }
            let store = Arc::new(open_store(&config)?);
            let state = redline::web::WebState::new(store, redline::web::WebOptions::from_config(&config.web))?;
            runtime.block_on(async {
                let listener = tokio::net::TcpListener::bind(&config.web.listen)
                    .await
                    .with_context(|| format!("cannot listen on {}; pass --listen ADDR", config.web.listen))?;
                println!("Redline web UI: http://{}/ (Ctrl-C stops)", listener.local_addr()?);
                redline::web::serve(listener, state, daemon::shutdown_signal()).await?;
                anyhow::Ok(())
            })?;
        }
        Command::Status => {
            let config = load_config(cli.config.as_deref())?;
            status(&open_store(&config)?)?;
            let health = runtime.block_on(daemon_health(&config));
            println!("{health}");
        }
        Command::MigrateStore { to } => migrate_store(&load_config(cli.config.as_deref())?, &to)?,
        Command::Import { warc, .. } if !warc.is_empty() => {
            import_warc(&load_config(cli.config.as_deref())?, &warc)?;
        }
        Command::Export { warc, jsonl, csv: _, watch, since, output } => {
            let config = load_config(cli.config.as_deref())?;
            export(&open_store(&config)?, warc.as_deref(), jsonl, watch, since.as_deref(), output.as_deref())?;
        }
        Command::Import { file, every, .. } => {
            let file = file.ok_or_else(|| anyhow!("give an OPML file, or --warc FILE…"))?;
            let config = load_config(cli.config.as_deref())?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let sources = watch::opml_sources(&text, every.as_deref()).with_context(|| file.display().to_string())?;
            let Some(first) = sources.first() else {
                bail!("{} lists no feeds (no <outline xmlUrl=\"…\">)", file.display());
            };
            let schedule = first.schedule.clone();
            let store = open_store(&config)?;
            for source in &sources {
                store.add_source(source, now())?;
            }
            println!("watching {} feeds from {} ({schedule})", sources.len(), file.display());
        }
        Command::List => list(&open_store(&load_config(cli.config.as_deref())?)?)?,
        Command::Stories { format, limit } => {
            let store = open_store(&load_config(cli.config.as_deref())?)?;
            let listing = redline::web::stories_json(&store, limit.clamp(1, 10_000), 0)?;
            match format {
                StoriesFormat::Json => println!("{}", serde_json::to_string_pretty(&listing)?),
                StoriesFormat::Text => print!("{}", stories_text(&listing)),
            }
        }
        Command::Log { url } => log(&open_store(&load_config(cli.config.as_deref())?)?, &url)?,
        Command::Diff { url, from, to, format } => {
            let store = open_store(&load_config(cli.config.as_deref())?)?;
            let article = find_article(&store, &url)?;
            let latest = store.latest_version(article.id)?.ok_or_else(|| anyhow!("no version of {url} stored yet"))?;
            let (from, to) = match (from, to) {
                (Some(f), Some(t)) => (f, t),
                (Some(f), None) => (f, f + 1),
                (None, _) => (latest.number - 1, latest.number),
            };
            if from < 1 {
                bail!("{url} has only one version; there is no change to show yet");
            }
            let version = |n: i64| -> Result<Article> {
                Ok(store
                    .version(article.id, n)?
                    .ok_or_else(|| anyhow!("{url} has no version {n}; it has versions 1 to {}", latest.number))?
                    .article)
            };
            // The watch's `ignore` patterns apply, as when the daemon recorded the change.
            let rules = watch::Rules::decode(&article.rules)?;
            print_change(&diff::compare_with(&version(from)?, &version(to)?, &rules.diff), format)?;
        }
        Command::Card { change_id, output } => {
            let card = redline::card::card_from_store(&open_store(&load_config(cli.config.as_deref())?)?, change_id)?;
            write_card(&card.png, output.as_deref())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a card's PNG to `path`, or to standard output when that is not a terminal.
fn write_card(png: &[u8], path: Option<&Path>) -> Result<()> {
    use std::io::IsTerminal;
    match path {
        Some(p) if p != Path::new("-") => {
            std::fs::write(p, png).with_context(|| format!("cannot write {}", p.display()))
        }
        _ if std::io::stdout().is_terminal() => {
            bail!("standard output is a terminal: give -o FILE to write the PNG to a file")
        }
        _ => {
            let mut out = std::io::stdout().lock();
            out.write_all(png)?;
            Ok(out.flush()?)
        }
    }
}

fn load_config(path: Option<&Path>) -> Result<Config> {
    match path {
        Some(p) => Ok(Config::load(p)?),
        None if Path::new(DEFAULT_CONFIG).exists() => Ok(Config::load(Path::new(DEFAULT_CONFIG))?),
        None => Ok(Config::default()),
    }
}

fn open_store(config: &Config) -> Result<Store> {
    Ok(Store::open_storage(&config.storage)?)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn extract_inputs(config: &Config, url: Option<&str>, format: ExtractFormat, inputs: &[String]) -> Result<()> {
    let fetcher = Fetcher::new(&config.fetch)?;
    let several = inputs.len() > 1;
    let mut out = std::io::stdout().lock();
    for input in inputs {
        let (html, page_url) = if input.starts_with("http://") || input.starts_with("https://") {
            match fetcher.fetch(&fetch::Request { url: input, ..Default::default() }, fetch::Expect::Html).await? {
                fetch::Response::Page(p) => (p.text, Some(p.final_url)),
                fetch::Response::NotModified { .. } => {
                    bail!("{input}: unexpected 304 Not Modified")
                }
            }
        } else if input == "-" {
            let mut raw = Vec::new();
            std::io::stdin().read_to_end(&mut raw)?;
            (fetch::decode(&raw, "").0, url.map(str::to_string))
        } else {
            let raw = std::fs::read(input).with_context(|| format!("cannot read {input}"))?;
            (fetch::decode(&raw, "").0, url.map(str::to_string))
        };
        let article = extract::extract(&html, page_url.as_deref());
        match format {
            ExtractFormat::Json => {
                let mut value = serde_json::to_value(&article)?;
                value["text"] = article.text().into();
                if several {
                    value["file"] = input.as_str().into();
                }
                writeln!(out, "{}", serde_json::to_string(&value)?)?;
            }
            ExtractFormat::Text => {
                if several {
                    writeln!(out, "==> {input} <==")?;
                }
                writeln!(out, "{}", article_text(&article))?;
            }
            ExtractFormat::Markdown => {
                if several {
                    writeln!(out, "<!-- {input} -->\n")?;
                }
                writeln!(out, "{}", extract::markdown::render(&article))?;
            }
        }
    }
    Ok(())
}

fn article_text(a: &Article) -> String {
    let mut out = String::new();
    if let Some(t) = &a.title {
        out.push_str(&format!("# {t}\n"));
    }
    let meta: Vec<&str> = [&a.byline, &a.published, &a.modified].iter().filter_map(|f| f.as_deref()).collect();
    if !meta.is_empty() {
        out.push_str(&format!("{}\n", meta.join(" · ")));
    }
    out.push('\n');
    out.push_str(&a.text());
    out.push('\n');
    out
}

fn print_change(change: &diff::Change, format: DiffFormat) -> Result<()> {
    use std::io::IsTerminal;
    let text = match format {
        DiffFormat::Text => diff::render_text(change, std::io::stdout().is_terminal()),
        DiffFormat::Json => serde_json::to_string_pretty(change)? + "\n",
        DiffFormat::Unified => diff::render_unified(change),
        DiffFormat::Html => diff::render_html(change),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

fn find_article(store: &Store, url: &str) -> Result<redline::store::ArticleRow> {
    store
        .article_by_url(url)?
        .ok_or_else(|| anyhow!("{url} is not a stored article; `redline list` shows the ones that are"))
}

fn when(ts: Option<i64>) -> String {
    ts.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or("-".into(), |d| d.format("%Y-%m-%d %H:%M:%S").to_string())
}

fn list(store: &Store) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "SOURCES")?;
    for s in store.sources()? {
        let state = if s.enabled { "" } else { " (disabled)" };
        let error = s.last_error.map(|e| format!("  error: {e}")).unwrap_or_default();
        writeln!(
            out,
            "  {:<7} {}{}  [{}]  next {}{}",
            format!("{:?}", s.kind).to_lowercase(),
            s.url,
            state,
            s.schedule,
            when(s.next_check),
            error
        )?;
    }
    writeln!(out, "ARTICLES")?;
    for a in store.articles()? {
        let error = a.last_error.map(|e| format!("  error: {e}")).unwrap_or_default();
        writeln!(
            out,
            "  {}  versions {}  checked {}  changed {}  next {}{}",
            a.url,
            a.versions,
            when(a.last_checked),
            when(a.last_changed),
            when(a.next_check),
            error
        )?;
    }
    Ok(())
}

/// The story listing for people: each story's id and headline, then its articles.
fn stories_text(listing: &serde_json::Value) -> String {
    let mut out = String::new();
    let stories = listing["stories"].as_array().map(Vec::as_slice).unwrap_or_default();
    if stories.is_empty() {
        out.push_str("no story has articles from two sources yet\n");
    }
    for story in stories {
        out.push_str(&format!("story {}  {}\n", story["id"], story["title"].as_str().unwrap_or("")));
        for a in story["articles"].as_array().map(Vec::as_slice).unwrap_or_default() {
            out.push_str(&format!(
                "  {:<24} {}\n",
                a["outlet"].as_str().unwrap_or(""),
                a["url"].as_str().unwrap_or("")
            ));
        }
    }
    out
}

fn status(store: &Store) -> Result<()> {
    let s = store.status(now(), 20)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "sources      {} enabled", s.sources)?;
    writeln!(out, "articles     {} watched, {} retired (revisit plan ended)", s.active_articles, s.retired_articles)?;
    writeln!(out, "due now      {}   next due {}", s.due_now, when(s.next_due))?;
    writeln!(out, "history      {} versions, {} changes", s.versions, s.changes)?;
    writeln!(out, "alerts       {} pending, {} failed (`redline alerts`)", s.pending_deliveries, s.failed_deliveries)?;
    let workers = store.workers()?;
    let live = workers.iter().filter(|w| !w.is_gone(now())).count();
    if s.pending_deliveries > 0 && live > 0 && store.live_deliverer(now())?.is_none() {
        // Checkers and web replicas run, but nobody sends what waits.
        let fix = match store.engine() {
            redline::store::sql::Engine::Postgres => "start one with `redline run --role deliver`",
            redline::store::sql::Engine::Sqlite => "run the daemon with the deliver role (the default)",
        };
        writeln!(out, "             no running worker delivers them: {fix}")?;
    }
    writeln!(out, "last hour    {} fetches, {} failed", s.fetches_last_hour.0, s.fetches_last_hour.1)?;
    if !workers.is_empty() {
        writeln!(out, "WORKERS")?;
        for w in workers {
            writeln!(out, "  {}", w.status_line(now()))?;
        }
    }
    if !s.failing.is_empty() {
        writeln!(out, "FAILING")?;
        for (url, failures, error, next) in s.failing {
            writeln!(out, "  {url}  {failures}× {error}  (next try {})", when(next))?;
        }
    }
    Ok(())
}

/// `redline migrate-store --to TARGET`: refused while a daemon writes the source.
fn migrate_store(config: &Config, to: &str) -> anyhow::Result<()> {
    use std::io::{IsTerminal, Write};
    if let Some(pid) = redline::store::lock::holder_storage(&config.storage) {
        anyhow::bail!("a Redline (pid {pid}) is running on {}: stop it before copying", config.storage.describe());
    }
    let source = open_store(config)?;
    let target = if to.starts_with("postgres://") || to.starts_with("postgresql://") {
        Store::open_url(to)?
    } else {
        Store::open(std::path::Path::new(to))?
    };
    let terminal = std::io::stderr().is_terminal();
    let copied = source.copy_to(&target, &mut |table, rows| {
        if terminal {
            eprint!("\r{table}: {rows} rows\x1b[K");
            let _ = std::io::stderr().flush();
        }
    })?;
    if terminal {
        eprint!("\r\x1b[K");
    }
    for t in &copied {
        println!("{:<18} {:>9} rows  sha256 {}", t.table, t.rows, t.digest);
    }
    println!("copied {} to {to}: counts and digests match", config.storage.describe());
    println!(
        "not copied (the workers' coordination and robots.txt cache, rebuilt as the daemon runs): {}",
        redline::store::NOT_COPIED.join(", ")
    );
    Ok(())
}

/// Progress on standard error when it is a terminal, nothing otherwise (as `migrate-store`).
fn progress_line(what: &'static str) -> (impl FnMut(String), impl FnOnce()) {
    use std::io::IsTerminal;
    let terminal = std::io::stderr().is_terminal();
    let show = move |line: String| {
        if terminal {
            eprint!("\r{what}: {line}\x1b[K");
            let _ = std::io::stderr().flush();
        }
    };
    let clear = move || {
        if terminal {
            eprint!("\r\x1b[K");
        }
    };
    (show, clear)
}

/// `redline import --warc FILE…`.
fn import_warc(config: &Config, files: &[PathBuf]) -> Result<()> {
    let store = open_store(config)?;
    let (mut show, clear) = progress_line("import");
    let report =
        redline::archive::import::import(&store, files, config.storage.keep_raw_html, now(), &mut |done, all| {
            show(format!("{done}/{all} captures"))
        });
    clear();
    println!("imported {}: {}", files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "), report?);
    Ok(())
}

/// `redline export --warc FILE | --jsonl | --csv`.
fn export(
    store: &Store,
    warc: Option<&Path>,
    jsonl: bool,
    watch: Option<i64>,
    since: Option<&str>,
    output: Option<&Path>,
) -> Result<()> {
    use redline::archive::{data, export};
    if let Some(id) = watch
        && store.watch(id)?.is_none()
    {
        bail!("there is no watch {id}; the web UI's Watches page and GET /api/watches list their ids");
    }
    let since = since
        .map(|s| {
            redline::archive::warc::parse_warc_date(s)
                .ok_or_else(|| anyhow!("--since {s:?}: give a date such as 2026-01-31 or an RFC 3339 time"))
        })
        .transpose()?;
    let filter = redline::store::ExportFilter { source_id: watch, since };
    if let Some(path) = warc {
        let (mut show, clear) = progress_line("export");
        let report = export::export_warc_file(store, &filter, path, &mut |pages| show(format!("{pages} pages")));
        clear();
        let report = report?;
        let left_out = match report.without_page {
            0 => String::new(),
            n => format!("; {n} versions left out: their page was not kept ([storage] keep_raw_html)"),
        };
        println!("wrote {} pages to {}{left_out}", report.pages, path.display());
        return Ok(());
    }
    let mut out: Box<dyn Write> = match output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match jsonl {
        true => data::write_jsonl(store, &filter, &mut out)?,
        false => data::write_csv(store, &filter, &mut out)?,
    };
    out.flush()?;
    Ok(())
}

/// Whether a daemon runs on this database and what its `/healthz` says.
async fn daemon_health(config: &Config) -> String {
    let Some(pid) = redline::store::lock::holder_storage(&config.storage) else {
        return "daemon       not running\nhealth       no daemon running on this database".into();
    };
    let running = format!("daemon       running (pid {pid})");
    if !config.web.enabled {
        return format!("{running}\nhealth       unknown: the daemon's web UI is off ([web] enabled = false)");
    }
    let options = redline::web::WebOptions::from_config(&config.web);
    let client = reqwest::Client::builder().no_proxy().timeout(std::time::Duration::from_secs(5)).build();
    let mut request = match client {
        Ok(c) => c.get(format!("http://{}/healthz", config.web.listen)),
        Err(e) => return format!("{running}\nhealth       unknown: {e}"),
    };
    if let Some(token) = &options.token {
        request = request.bearer_auth(token);
    }
    match request.send().await {
        Ok(r) => {
            let healthy = r.status().is_success();
            let body = r.text().await.unwrap_or_default();
            if healthy {
                return format!("{running}\nhealth       ok");
            }
            let lines: Vec<String> = body.lines().map(|l| format!("  {l}")).collect();
            format!("{running}\nhealth       DEGRADED\n{}", lines.join("\n"))
        }
        Err(e) => format!("{running}\nhealth       unknown: its web UI at {} does not answer: {e}", config.web.listen),
    }
}

fn list_alerts(store: &Store) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for status in ["pending", "failed"] {
        let rows = store.deliveries(status)?;
        writeln!(out, "{} ({})", status.to_uppercase(), rows.len())?;
        for d in rows {
            let error = d.last_error.map(|e| format!("  last error: {e}")).unwrap_or_default();
            writeln!(
                out,
                "  #{}  {}  {}  attempts {}  next {}{}",
                d.id,
                d.channel,
                d.event_id,
                d.attempts,
                when(Some(d.next_attempt)),
                error
            )?;
        }
    }
    Ok(())
}

fn log(store: &Store, url: &str) -> Result<()> {
    let article = find_article(store, url)?;
    let changes = store.changes(article.id)?;
    let imported = store.imported_versions(article.id)?;
    let mut out = std::io::stdout().lock();
    for v in store.versions(article.id)? {
        writeln!(
            out,
            "v{}  {}  {}{}",
            v.number,
            when(Some(v.fetched_at)),
            v.article.title.as_deref().unwrap_or("(no headline)"),
            if imported.contains(&v.number) { "  (imported)" } else { "" }
        )?;
        if let Some(c) = changes.iter().find(|c| c.to_number == v.number) {
            let kinds: Vec<String> = c.change.kinds.iter().map(|k| k.as_str().to_string()).collect();
            writeln!(out, "    [{}] {}", kinds.join(", "), c.change.summary)?;
        }
    }
    Ok(())
}
