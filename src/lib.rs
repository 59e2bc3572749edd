//! Redline watches news articles and records every edit.
//!
//! # Layout
//! One module per step of the data flow (the shared `DESIGN.md`):
//!
//! - [`config`]: the TOML model, defaults and validation with line-precise errors.
//! - [`watch`]: one builder of stored sources for the config, `redline add`, `redline
//!   import` and the API; a source's rules read back typed and compiled.
//! - [`schedule`]: when each source and article is due (intervals, cron, revisits by
//!   age, backoff), per-host politeness and the checks in flight per host.
//! - [`fetch`]: one HTTP exchange: robots.txt, timeouts, size cap, charset decoding, and
//!   the request profiles (headers, cookies, proxy) of the config's watches; and
//!   [`fetch::browser`], headless Chromium for `render = "browser"` watches, every request
//!   of the page under the same robots, politeness and private-address rules.
//! - [`cookies`]: the `cookies.txt` format and browser cookie matching. Pure.
//! - [`net`]: the SSRF guard (private-address checks, a resolver that drops them) that
//!   fetch and alert delivery build their clients with.
//! - [`discover`]: new article URLs from feeds, sitemaps (and their indexes), section
//!   pages and OPML.
//! - [`extract`]: HTML in, [`extract::Article`] out. Pure.
//! - [`diff`]: two articles in, [`diff::Change`] out, and its renderings: text, and the one
//!   HTML renderer that the web UI, email and Atom share. Pure.
//! - [`screenshot`]: the size cap of a page screenshot and the visual comparison of two
//!   (changed 16 px cells merged into regions, drawn outlined). Pure.
//! - [`store`]: SQLite, one file per table (sources, articles, versions, changes, the alert
//!   outbox, the fetch log) beside `schema` (migrations, open, pragmas).
//! - [`check`]: one check, the unit of work: a listing read, or an article fetched,
//!   extracted, compared and recorded with its outbox rows.
//! - [`card`]: a picture of a change: an SVG card laid out with the bundled font and drawn
//!   to PNG by resvg, for the web page, `redline card` and the bots.
//! - [`alert`]: the alert rules, the outbox worker (retry plan, 410, digests), signed
//!   webhooks, chat webhooks, email.
//! - [`web`]: the HTML UI, Atom feeds and JSON API (read-mostly).
//! - [`text`]: text helpers shared across the stages: HTML escaping (`diff`, `web`, `alert`,
//!   [`newsroom`]), the one notice detector and the one lexicon of month, weekday,
//!   time-zone and number words (`extract` and `diff`). Pure.
//! - [`health`]: what each loop last did and whether the daemon is healthy (`/healthz`,
//!   `/metrics`, `status`, the systemd watchdog).
//! - [`daemon`]: wiring only: each loop under a supervisor that backs off and never
//!   gives up, one daemon per database, systemd readiness; [`demo`] runs it against
//!   [`newsroom`], the simulated news site of the demo and the tests.

pub mod alert;
pub mod card;
pub mod check;
pub mod config;
pub mod cookies;
pub mod daemon;
pub mod demo;
pub mod diff;
pub mod discover;
pub mod extract;
pub mod fetch;
pub mod health;
pub mod net;
pub mod newsroom;
pub mod schedule;
pub mod screenshot;
pub mod store;
pub mod text;
pub mod watch;
pub mod web;
