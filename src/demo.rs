//! `redline demo`: the simulated newsroom on 127.0.0.1, the daemon watching
//! its feed with a throwaway database, a local webhook receiver that checks
//! every signature, and each alert printed as it is raised.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use tokio::sync::mpsc;

use crate::config::{Config, EmailConfig, Schedule, Target, Watch, WatchRules, WebhookConfig, WebhookFormat};
use crate::daemon::Daemon;
use crate::health::Notice;
use crate::newsroom::Newsroom;

/// How often the demo's daemon checks the newsroom.
const CHECK_EVERY: Duration = Duration::from_secs(5);
/// How often the newsroom publishes its next edit.
const EDIT_EVERY: Duration = Duration::from_secs(12);
/// The demo webhook's secret.
const DEMO_SECRET: &str = "whsec_ZGVtby1zZWNyZXQtZm9yLXJlZGxpbmUtZGVtbw==";

/// Demo options.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// Stop after this many change alerts (runs until Ctrl-C otherwise).
    pub stop_after: Option<usize>,
    /// Also send alerts to this SMTP server (`smtp://host:port`).
    pub smtp: Option<String>,
}

/// Runs the demo until `shutdown` resolves or `stop_after` alerts were printed.
pub async fn run(options: DemoOptions, shutdown: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
    let newsroom = Newsroom::start().await?;
    let (hook_url, mut verified) = start_webhook_receiver().await?;
    let dir = tempfile::tempdir()?;
    let config = demo_config(&newsroom, dir.path().join("demo.db"), hook_url, options.smtp.clone())?;
    let web_ui = config.web.base_url();
    let token = config.web.token.clone().unwrap_or_default();
    let daemon = Arc::new(Daemon::new(config)?);
    let mut notices = daemon.subscribe();

    let mut out = std::io::stdout();
    writeln!(out, "Redline demo: a simulated newsroom is publishing at {}", newsroom.base_url())?;
    writeln!(
        out,
        "Watching its feed {} every {}s; it edits one story every {}s.",
        newsroom.feed_url(),
        CHECK_EVERY.as_secs(),
        EDIT_EVERY.as_secs()
    )?;
    writeln!(out, "Web UI: {web_ui}/  (recent changes, timelines, redlines, Atom feed)")?;
    writeln!(out, "API (docs/API.md): REDLINE={web_ui} TOKEN={token}")?;
    writeln!(out, "Database: {} (deleted at exit). Press Ctrl-C to stop.\n", dir.path().join("demo.db").display())?;
    out.flush()?;

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let runner = tokio::spawn(Arc::clone(&daemon).run(async move {
        let _ = stop_rx.await;
    }));
    let editor = tokio::spawn(edit_over_time(newsroom));
    let mut alerts = 0usize;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            notice = notices.recv() => match notice {
                Ok(Notice::FirstSeen { url, title }) => {
                    writeln!(out, "stored v1  {}  ({url})", title.unwrap_or_default())?;
                }
                Ok(Notice::Changed { url, title, versions, change }) => {
                    alerts += 1;
                    writeln!(out, "\n=== ALERT {alerts}: {} (v{} → v{})", title.unwrap_or_default(), versions.0, versions.1)?;
                    writeln!(out, "    {url}")?;
                    write!(out, "{}", crate::diff::render_text(&change, false))?;
                    writeln!(out)?;
                }
                Ok(Notice::Failed { url, error }) => writeln!(out, "check failed: {url}: {error}")?,
                Ok(Notice::Delivered { .. }) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
            Some(line) = verified.recv() => writeln!(out, "    webhook received, signature verified: {line}")?,
        }
        out.flush()?;
        if options.stop_after.is_some_and(|n| alerts >= n) {
            // Let the alert worker deliver what was just raised.
            tokio::time::sleep(Duration::from_secs(3)).await;
            while let Ok(line) = verified.try_recv() {
                writeln!(out, "    webhook received, signature verified: {line}")?;
            }
            break;
        }
    }
    let _ = stop_tx.send(());
    runner.await??;
    editor.abort();
    Ok(())
}

fn demo_config(newsroom: &Newsroom, db: PathBuf, hook_url: String, smtp: Option<String>) -> anyhow::Result<Config> {
    let mut config = Config::default();
    config.storage.path = db;
    config.fetch.allow_private = true;
    // A free port for the web UI, so that the demo never collides with a running Redline.
    config.web.listen = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string();
    // A throwaway token, printed, so that the API's write examples work against the demo.
    config.web.token = Some(format!("{:032x}", rand::random::<u128>()));
    config.watches.push(Watch {
        target: Target::Feed(newsroom.feed_url()),
        schedule: Schedule::Every(CHECK_EVERY),
        rules: WatchRules { name: Some("Simulated newsroom".into()), ..WatchRules::default() },
        request: Default::default(),
    });
    config.webhooks.push(WebhookConfig {
        url: hook_url,
        secret: Some(DEMO_SECRET.into()),
        format: WebhookFormat::Standard,
    });
    if let Some(smtp) = smtp {
        crate::config::check_smtp_url(&smtp).map_err(anyhow::Error::msg)?;
        config.emails.push(EmailConfig {
            smtp,
            from: "redline-demo@localhost".into(),
            to: vec!["desk@localhost".into()],
            username: None,
            password: None,
            digest: None,
        });
    }
    Ok(config)
}

/// Publishes one pending edit every [`EDIT_EVERY`], and moves the sidebar clock meanwhile.
async fn edit_over_time(newsroom: Newsroom) {
    let mut ticker = tokio::time::interval(EDIT_EVERY);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        newsroom.tick(1);
        newsroom.advance();
    }
}

/// A webhook endpoint on 127.0.0.1 that verifies Standard Webhooks signatures
/// and reports each verified event id.
async fn start_webhook_receiver() -> std::io::Result<(String, mpsc::UnboundedReceiver<String>)> {
    let (tx, rx) = mpsc::unbounded_channel();
    let key = crate::alert::decode_secret(DEMO_SECRET).expect("demo secret is valid");
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (tx, key) = (tx.clone(), key.clone());
            async move {
                let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                let (id, ts, sig) = (get("webhook-id"), get("webhook-timestamp"), get("webhook-signature"));
                let ts: i64 = ts.parse().unwrap_or(0);
                if !crate::alert::verify(&key, &id, ts, &body, &sig) {
                    return StatusCode::UNAUTHORIZED;
                }
                let _ = tx.send(id);
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, rx))
}
