//! Redline watches news articles and records every edit.
//!
//! # Layout
//! One module per step of the data flow (the shared `DESIGN.md`):
//!
//! - [`config`]: the TOML model, defaults and validation with line-precise errors.
//! - [`watch`]: one builder of stored sources for the config, `redline add`, `redline
//!   import` and the API; a source's rules read back typed and compiled.
//! - [`schedule`]: when each source and article is due (intervals, cron, revisits by
//!   age, backoff) and per-host politeness.
//! - [`fetch`]: one HTTP exchange: robots.txt, timeouts, size cap, charset decoding; and
//!   [`fetch::browser`], headless Chromium for `render = "browser"` watches, every request
//!   of the page under the same robots, politeness and private-address rules.
//! - [`net`]: the SSRF guard (private-address checks, a resolver that drops them) that
//!   fetch and alert delivery build their clients with.
//! - [`discover`]: new article URLs from feeds, sitemaps, section pages and OPML.
//! - [`extract`]: HTML in, [`extract::Article`] out. Pure.
//! - [`diff`]: two articles in, [`diff::Change`] out, and its renderings: text, and the one
//!   HTML renderer that the web UI, email and Atom share. Pure.
//! - [`store`]: SQLite, one file per table (sources, articles, versions, changes, the alert
//!   outbox, the fetch log) beside `schema` (migrations, open, pragmas).
//! - [`alert`]: delivery from the outbox: signed webhooks, chat webhooks, email.
//! - [`web`]: the HTML UI, Atom feeds and JSON API (read-mostly).
//! - [`text`]: helpers for text on its way out, shared by `diff`, `web`, `alert` and
//!   [`newsroom`]: HTML escaping.
//! - [`daemon`]: wires the steps together; [`demo`] runs it against [`newsroom`], the
//!   simulated news site of the demo and the tests.

pub mod alert;
pub mod check;
pub mod config;
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
pub mod store;
pub mod text;
pub mod watch;
pub mod web;
