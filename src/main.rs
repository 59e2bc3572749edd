//! The `redline` command: argument parsing and wiring only.

/// mimalloc: extraction allocates a few thousand small blocks a page (tree nodes, attribute
/// values, text runs), and glibc's malloc and free were a tenth of its time.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;

use redline::config::Config;
use redline::daemon::{self, Daemon};
use redline::diff;
use redline::extract::{self, Article};
use redline::fetch::{self, Fetcher};
use redline::store::Store;
use redline::watch;

mod cli;

use cli::args::{AlertsAction, Cli, Command, DiffFormat, ExtractFormat, StoriesFormat};
use cli::report::{daemon_health, find_article, list, list_alerts, log, status, stories_text};

/// The config file read when --config is not given (optional).
const DEFAULT_CONFIG: &str = "redline.toml";

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Run { .. } | Command::Serve { .. } | Command::Demo { .. }) {
        return_freed_memory_at_once();
    }
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

/// Long-running commands give freed memory back to the system at once. Under hostile
/// servers (tests/hostile.rs: capped 10 MiB bodies on every tokio thread) the daemon peaked
/// at 235 MiB with mimalloc's defaults, 110 MiB with glibc's malloc and 90 MiB with this:
/// mimalloc asks for transparent huge pages, so a 2 MiB page stays resident for a few live
/// bytes, and it keeps a freed span for `purge_delay` (1 s), purging only when the freeing
/// thread next allocates. One-shot commands keep both; together they are ~4% of extraction.
fn return_freed_memory_at_once() {
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    // mimalloc.h's `mi_option_purge_delay`, the same in v2 and v3; libmimalloc-sys binds
    // mi_option_set but has no constant for this option.
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: setting an option is a store mimalloc allows at any time.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
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

pub(crate) fn now() -> i64 {
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
