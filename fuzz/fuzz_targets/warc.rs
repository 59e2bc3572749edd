//! Any bytes as a web archive (plain or gzip): records or a clear error, never a panic;
//! every record read goes through the import's reading of a page capture (HTTP head,
//! chunked and compressed bodies) too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redline::archive::import::capture;
use redline::archive::warc::WarcReader;

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = WarcReader::new(std::io::Cursor::new(data.to_vec())) else { return };
    for record in reader.take(64) {
        let Ok(record) = record else { return };
        if let Ok(page) = capture(&record) {
            assert!(page.url.starts_with("http"), "a capture of {:?}", page.url);
        }
    }
});
