//! The `redline` command's parts: its arguments and what its read-only commands print.

pub(crate) mod args;
pub(crate) mod report;
