//! Getting the history in and out in the formats archives and researchers read:
//! web archives (WARC/1.1) out and in, and the versions and changes as JSON
//! Lines and CSV.
//!
//! - [`warc`]: the record format, a writer (one gzip member per record) and a reader. Pure.
//! - [`http`]: the HTTP response inside a `response` record. Pure.
//! - [`export`]: `redline export --warc`; [`import`]: `redline import --warc`, through
//!   the extraction and diff of live checks.
//! - [`data`]: `redline export --jsonl` and `--csv`.

pub mod data;
pub mod export;
pub mod http;
pub mod import;
pub mod warc;
