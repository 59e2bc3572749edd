//! Config text: parse or a line-precise error, never a panic; errors name a line inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redline::config::{Config, ConfigError};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(ConfigError::Invalid { line, .. }) = Config::parse(text, std::path::Path::new("fuzz.toml")) {
        assert!(line >= 1 && line <= text.lines().count().max(1) + 1, "line {line} outside the file");
    }
});
