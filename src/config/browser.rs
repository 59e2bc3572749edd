//! `[browser]` and the per-watch browser keys: the headless Chromium that
//! renders `render = "browser"` watches, and what it does on each page.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use super::duration;

/// Default number of pages the browser renders at once.
pub const DEFAULT_BROWSER_TABS: usize = 2;
/// Default time one page may take in the browser, clicks and screenshot included.
pub const DEFAULT_BROWSER_TIMEOUT: Duration = Duration::from_secs(30);
/// Default memory the browser's processes may use together before it is restarted.
pub const DEFAULT_BROWSER_MAX_MEMORY: u64 = 1 << 30;

/// `[browser]`: the headless Chromium that renders `render = "browser"` watches.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrowserConfig {
    /// The Chromium executable (default: `chromium`, `chromium-browser` or `google-chrome` on `PATH`).
    pub path: Option<PathBuf>,
    /// Pages rendered at once (each in its own tab).
    pub tabs: usize,
    /// Time allowed for one page: load, waits, clicks and screenshot.
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    /// Resident memory of the browser's whole process tree (bytes, or "1GiB", "512MiB")
    /// past which the browser is restarted.
    #[serde(deserialize_with = "byte_size")]
    pub max_memory: u64,
    /// Extra command-line arguments for Chromium.
    pub args: Vec<String>,
}

impl Default for BrowserConfig {
    fn default() -> Self {
        let (tabs, timeout, max_memory) = (DEFAULT_BROWSER_TABS, DEFAULT_BROWSER_TIMEOUT, DEFAULT_BROWSER_MAX_MEMORY);
        Self { path: None, tabs, timeout, max_memory, args: Vec::new() }
    }
}

/// What a watch with `render = "browser"` does in the browser before extraction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BrowserSteps {
    /// Wait until this CSS selector matches (instead of waiting for the network to go idle).
    pub wait_for: Option<String>,
    /// CSS selectors clicked in order (consent dialogs); an absent one is skipped.
    pub click: Vec<String>,
    /// Capture a full-page PNG after rendering.
    pub screenshot: bool,
}

/// How a watch's pages are fetched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Render {
    /// One HTTP exchange.
    #[default]
    Http,
    /// The headless browser of `[browser]`, scripts run.
    Browser,
}

/// Parses a size in bytes: `1073741824`, `"1GiB"`, `"512MiB"`, `"800MB"`, `"64KiB"`.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = (text[..split].trim(), text[split..].trim());
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1 << 10,
        "m" | "mb" => 1000 * 1000,
        "mib" => 1 << 20,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => 1 << 30,
        _ => return Err(format!("{text:?} is not a size; write e.g. \"1GiB\", \"512MiB\" or a number of bytes")),
    };
    match number.parse::<f64>() {
        Ok(n) if n > 0.0 => Ok((n * scale as f64) as u64),
        _ => Err(format!("{text:?} is not a size; write e.g. \"1GiB\", \"512MiB\" or a number of bytes")),
    }
}

fn byte_size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Bytes(u64),
        Text(String),
    }
    match Size::deserialize(d)? {
        Size::Bytes(0) => Err(serde::de::Error::custom("a size of 0 bytes leaves nothing to run in")),
        Size::Bytes(n) => Ok(n),
        Size::Text(t) => parse_bytes(&t).map_err(serde::de::Error::custom),
    }
}
