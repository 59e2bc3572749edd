//! Redline watches news articles and records every edit.
//!
//! # Layout
//! One module per step of the data flow (see `docs/DESIGN.md`):
//!
//! - [`config`]: the TOML model, defaults and validation with line-precise errors.
//! - [`schedule`]: when each source and article is due (intervals, cron).
//! - [`fetch`]: one HTTP exchange: timeouts, size cap, charset decoding.
//! - [`discover`]: new article URLs from feeds.
//! - [`extract`]: HTML in, [`extract::Article`] out. Pure.
//! - [`diff`]: two articles in, [`diff::Change`] out. Pure.
//! - [`store`]: SQLite: sources, articles, versions, changes, the alert outbox, the fetch log.
//! - [`alert`]: delivery from the outbox (signed webhooks).
//! - [`daemon`]: wires the steps together; [`newsroom`] is the simulated news site of the demo and tests.

pub mod alert;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod diff;
pub mod discover;
pub mod extract;
pub mod fetch;
pub mod newsroom;
pub mod schedule;
pub mod store;
pub mod web;
