//! Text helpers shared across the stages: HTML escaping for the web UI, the Atom feed and
//! email (and the simulated newsroom's pages); the one notice detector used by extraction
//! and comparison; the one lexicon of month, weekday, time-zone and number words.

mod escape;
pub mod lexicon;
pub mod notice;

pub use escape::escape_html;
