//! What the read-only commands print: `list`, `status`, `stories`, `alerts`, `log`.

use std::io::Write;

use anyhow::{Result, anyhow};

use redline::config::Config;
use redline::store::Store;

use crate::now;

pub(crate) fn find_article(store: &Store, url: &str) -> Result<redline::store::ArticleRow> {
    store
        .article_by_url(url)?
        .ok_or_else(|| anyhow!("{url} is not a stored article; `redline list` shows the ones that are"))
}

pub(crate) fn when(ts: Option<i64>) -> String {
    ts.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or("-".into(), |d| d.format("%Y-%m-%d %H:%M:%S").to_string())
}

pub(crate) fn list(store: &Store) -> Result<()> {
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
pub(crate) fn stories_text(listing: &serde_json::Value) -> String {
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

pub(crate) fn status(store: &Store) -> Result<()> {
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

/// Whether a daemon runs on this database and what its `/healthz` says.
pub(crate) async fn daemon_health(config: &Config) -> String {
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

pub(crate) fn list_alerts(store: &Store) -> Result<()> {
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

pub(crate) fn log(store: &Store, url: &str) -> Result<()> {
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
