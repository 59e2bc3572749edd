//! Any bytes in: the fast tokenizer (`extract::fastparse`) builds the tree
//! `Html::parse_document` builds, or leaves the page to html5ever.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    if let Err(why) = redline::extract::fastparse::check(&html) {
        panic!("{why}");
    }
});
