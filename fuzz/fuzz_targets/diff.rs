//! Two arbitrary articles (split on a 0xFF byte; lines are paragraphs, the first line the title):
//! compare must not panic, and an article compared with itself never changes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redline::extract::Article;

fn article(bytes: &[u8]) -> Article {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split('\n');
    let title = lines.next().filter(|t| !t.is_empty()).map(str::to_string);
    Article { title, paragraphs: lines.map(str::to_string).collect(), ..Article::default() }
}

fuzz_target!(|data: &[u8]| {
    let (old, new) = match data.iter().position(|b| *b == 0xFF) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b""[..]),
    };
    let (old, new) = (article(old), article(new));
    let change = redline::diff::compare(&old, &new);
    assert!((0.0..=1.0).contains(&change.significance), "significance {}", change.significance);
    assert!(!redline::diff::compare(&new, &new).changed, "an article differs from itself");
});
