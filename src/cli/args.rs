//! The command line: every command and its options.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use redline::watch;

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
pub(crate) struct Cli {
    /// The TOML config file (default: ./redline.toml if it exists, else built-in defaults).
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
pub(crate) enum AlertsAction {
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
pub(crate) enum ExtractFormat {
    Text,
    Json,
    /// Headings, lists, quotes, code and table rows kept.
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum StoriesFormat {
    /// One story per paragraph: id, headline, then each article's outlet and URL.
    Text,
    /// `{"stories": [...], "next"}`, as `GET /api/stories` answers.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum DiffFormat {
    /// Readable text, coloured on a terminal.
    Text,
    /// The change record as JSON.
    Json,
    /// Unified diff of the text.
    Unified,
    /// HTML redline with <ins>/<del>.
    Html,
}
