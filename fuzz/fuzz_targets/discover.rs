//! Feeds, sitemaps (and sitemap indexes), and section pages: any bytes must parse or fail cleanly.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use regex::Regex;

static LINKS: LazyLock<Regex> = LazyLock::new(|| Regex::new("/news/").unwrap());

fuzz_target!(|data: &[u8]| {
    let base = "https://news.example/feed.xml";
    let _ = redline::discover::discover(data, base, None);
    let _ = redline::discover::discover(data, base, Some(&LINKS));
    let _ = redline::discover::feeds_in_opml(&String::from_utf8_lossy(data));
});
