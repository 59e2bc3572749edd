//! Any bytes as a `cookies.txt` file: a clear error or cookies, never a panic;
//! the Cookie header built from them is one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redline::cookies::{cookie_header, parse_cookies_txt};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(cookies) = parse_cookies_txt(&text) else { return };
    for url in ["https://news.example/premium/a", "http://www.news.example/", "https://other.example/"] {
        let url = url::Url::parse(url).unwrap();
        if let Some(header) = cookie_header(&cookies, &url, 1_800_000_000) {
            assert!(!header.contains('\n') && !header.contains('\r'), "a header line break: {header:?}");
        }
    }
});
