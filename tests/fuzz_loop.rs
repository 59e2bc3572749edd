//! A bounded, dependency-free fuzz loop over the same entry points as the
//! `cargo fuzz` targets in `fuzz/` (extraction, diff, feed/sitemap/section
//! discovery, config parsing, the fast HTML tokenizer), run inside the normal test build so CI needs no
//! nightly features: seeds from the golden corpus and the example config,
//! mutated (bit flips, byte insertions and deletions, splices of other seeds,
//! truncation, tag/markup injections) by a seeded PRNG. A panic fails the test
//! and the input is written to `target/fuzz-loop-<target>.bin` for a
//! regression test. Executions are counted and printed.
//!
//! `REDLINE_FUZZ_SECONDS` (default 8 per target) and `REDLINE_FUZZ_SEED` set
//! the budget and the stream.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use redline::config::{Config, ConfigError};
use redline::extract::Article;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

const TOKENS: &[&[u8]] = &[
    b"<",
    b">",
    b"</",
    b"<p>",
    b"</p>",
    b"<div>",
    b"<article>",
    b"<script>",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"&amp;",
    b"&#x0;",
    b"&#9999999;",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"\0",
    b"\"",
    b"'",
    b"=",
    b"[",
    b"]",
    b"[[",
    b"]]",
    b"{",
    b"}",
    b"\n",
    b"\r\n",
    b"\\u0000",
    b"<item>",
    b"<link>",
    b"<loc>",
    b"<urlset>",
    b"<sitemapindex>",
    b"<feed xmlns=\"http://www.w3.org/2005/Atom\">",
    b"<entry>",
    b"<rss version=\"2.0\">",
    b"<meta charset=\"utf-16\">",
    b"<meta charset=\"shift_jis\">",
    b"application/ld+json",
    b"{\"@type\":\"NewsArticle\",\"headline\":",
    b"Editor's note: ",
    b"Correction: ",
    b"Updated ",
    b" 1,234 ",
    b" p.m. ",
    b". ",
    b"every = \"",
    b"cron = \"",
    b"url = \"",
    b"[[watch]]\n",
    b"[fetch]\n",
    b"revisit = [[\"1d\", \"1s\"]]\n",
    b"1e999",
    b"-0",
    b"9999999999999999999999",
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>], max_len: usize) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(data.len() + 1);
        match rng.below(8) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => data.insert(at, rng.next() as u8),
            2 if at < data.len() => {
                let end = (at + 1 + rng.below(64)).min(data.len());
                data.drain(at..end);
            }
            3 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                let times = if rng.below(16) == 0 { 1 + rng.below(2000) } else { 1 };
                for _ in 0..times {
                    data.splice(at..at, token.iter().copied());
                }
            }
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                let to = (from + rng.below(512)).min(other.len());
                data.splice(at..at, other[from..to].iter().copied());
            }
            5 => data.truncate(at),
            6 if at < data.len() => {
                // Duplicate a slice (repeated structure).
                let end = (at + rng.below(128)).min(data.len());
                let slice = data[at..end].to_vec();
                data.splice(at..at, slice);
            }
            _ => {
                const PUNCTUATION: &[u8] = b" <>&\"'\n\t=[]{}/\\";
                data.insert(at, PUNCTUATION[rng.below(PUNCTUATION.len())])
            }
        }
    }
    data.truncate(max_len);
    data
}

/// Runs `body` on mutated inputs for the budget; returns executions.
fn fuzz(name: &str, seeds: Vec<Vec<u8>>, max_len: usize, body: impl Fn(&[u8])) -> u64 {
    let seconds: u64 = std::env::var("REDLINE_FUZZ_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let seed: u64 = std::env::var("REDLINE_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    let mut rng = Rng(seed ^ name.len() as u64);
    let started = Instant::now();
    let mut runs = 0u64;
    for s in &seeds {
        body(s);
        runs += 1;
    }
    while started.elapsed() < Duration::from_secs(seconds) {
        let input = mutate(&mut rng, &seeds, max_len);
        if catch_unwind(AssertUnwindSafe(|| body(&input))).is_err() {
            let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-loop-{name}.bin"));
            std::fs::write(&path, &input).unwrap();
            panic!("{name}: panic on a {}-byte input saved to {} (seed {seed})", input.len(), path.display());
        }
        runs += 1;
    }
    eprintln!("fuzz loop {name}: {runs} executions in {:.1} s (seed {seed})", started.elapsed().as_secs_f64());
    runs
}

fn files(dir: &str, suffix: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    for entry in walk(&root) {
        if entry.to_string_lossy().ends_with(suffix) {
            out.push(std::fs::read(entry).unwrap());
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
        }
    }
    out.sort();
    out
}

// ---- the four targets: the same bodies as fuzz/fuzz_targets/*.rs ----

fn extract_body(data: &[u8]) {
    let (html, _) = redline::fetch::decode(data, "");
    let article = redline::extract::extract(&html, Some("https://news.example/story"));
    assert_eq!(article, redline::extract::extract(&html, Some("https://news.example/story")));
    let served = redline::extract::wall::Served {
        html: &html,
        status: 403,
        requested_url: "https://news.example/story",
        final_url: "https://news.example/login?next=/story",
    };
    let _ = redline::extract::wall::classify(&served, &article, Some(&article));
}

fn article_of(bytes: &[u8]) -> Article {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.split('\n');
    let title = lines.next().filter(|t| !t.is_empty()).map(str::to_string);
    Article { title, paragraphs: lines.map(str::to_string).collect(), ..Article::default() }
}

fn diff_body(data: &[u8]) {
    let (old, new) = match data.iter().position(|b| *b == 0xFF) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b""[..]),
    };
    let (old, new) = (article_of(old), article_of(new));
    let change = redline::diff::compare(&old, &new);
    assert!((0.0..=1.0).contains(&change.significance), "significance {}", change.significance);
    assert!(!redline::diff::compare(&new, &new).changed, "an article differs from itself");
}

static LINKS: LazyLock<regex::Regex> = LazyLock::new(|| regex::Regex::new("/news/").unwrap());

fn discover_body(data: &[u8]) {
    let base = "https://news.example/feed.xml";
    let _ = redline::discover::discover(data, base, None);
    let _ = redline::discover::discover(data, base, Some(&LINKS));
    let _ = redline::discover::feeds_in_opml(&String::from_utf8_lossy(data));
}

fn config_body(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(ConfigError::Invalid { line, .. }) = Config::parse(text, Path::new("fuzz.toml")) {
        assert!(line >= 1 && line <= text.lines().count().max(1) + 1, "line {line} outside the file");
    }
}

#[test]
fn fuzz_extract() {
    let mut seeds = files("snapshots/extract", ".html");
    seeds.push(b"<html><body><article><h1>T</h1><p>Para one is long enough to count as text.</p></article>".to_vec());
    assert!(fuzz("extract", seeds, 256 * 1024, extract_body) > 0);
}

#[test]
fn fuzz_diff() {
    let mut seeds = Vec::new();
    let diff_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/diff");
    for old in walk(&diff_dir).into_iter().filter(|p| p.to_string_lossy().ends_with(".old.txt")) {
        let new = old.to_string_lossy().replace(".old.txt", ".new.txt");
        if let (Ok(a), Ok(b)) = (std::fs::read(&old), std::fs::read(&new)) {
            let mut pair = a;
            pair.push(0xFF);
            pair.extend(b);
            seeds.push(pair);
        }
    }
    seeds
        .push(b"Title\nThe mayor said 12 people.\xffTitle\nThe mayor said 13 people. Editor's note: updated.".to_vec());
    assert!(fuzz("diff", seeds, 64 * 1024, diff_body) > 0);
}

#[test]
fn fuzz_discover() {
    let seeds = vec![
        br#"<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>A</title><link>https://news.example/news/a</link><pubDate>Tue, 10 Jun 2025 04:00:00 GMT</pubDate></item></channel></rss>"#.to_vec(),
        br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><entry><title>A</title><link href="/news/a"/><updated>2025-06-10T04:00:00Z</updated></entry></feed>"#.to_vec(),
        br#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://news.example/news/a</loc><news:news><news:publication_date>2025-06-10</news:publication_date></news:news></url></urlset>"#.to_vec(),
        br#"<sitemapindex><sitemap><loc>https://news.example/s1.xml</loc></sitemap></sitemapindex>"#.to_vec(),
        br#"<html><body><a href="/news/a">A</a> <a href="https://other.example/news/b#x">B</a></body></html>"#.to_vec(),
        br#"{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"id":"1","url":"https://news.example/news/a"}]}"#.to_vec(),
        br#"<opml version="2.0"><body><outline text="x" xmlUrl="https://news.example/rss"/></body></opml>"#.to_vec(),
    ];
    assert!(fuzz("discover", seeds, 128 * 1024, discover_body) > 0);
}

#[test]
fn fuzz_config() {
    let mut seeds = files("config", ".toml");
    seeds.push(b"[[watch]]\nurl = \"https://news.example/a\"\nevery = \"5m\"\n[[webhook]]\nurl = \"https://h.example/\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n".to_vec());
    assert!(fuzz("config", seeds, 32 * 1024, config_body) > 0);
}

fn cookies_body(data: &[u8]) {
    let Ok(cookies) = redline::cookies::parse_cookies_txt(&String::from_utf8_lossy(data)) else { return };
    let url = url::Url::parse("https://news.example/premium/a").unwrap();
    if let Some(header) = redline::cookies::cookie_header(&cookies, &url, 1_800_000_000) {
        assert!(!header.contains('\n') && !header.contains('\r'), "a header line break: {header:?}");
    }
}

#[test]
fn fuzz_cookies() {
    let seeds = files("fuzz/seeds/cookies", ".txt");
    assert!(!seeds.is_empty());
    assert!(fuzz("cookies", seeds, 16 * 1024, cookies_body) > 0);
}

fn warc_body(data: &[u8]) {
    let Ok(reader) = redline::archive::warc::WarcReader::new(std::io::Cursor::new(data.to_vec())) else { return };
    for record in reader.take(64) {
        let Ok(record) = record else { return };
        if let Ok(page) = redline::archive::import::capture(&record) {
            assert!(page.url.starts_with("http"), "a capture of {:?}", page.url);
        }
    }
}

#[test]
fn fuzz_warc() {
    let mut seeds = files("fuzz/seeds/warc", ".warc");
    seeds.extend(files("fuzz/seeds/warc", ".warc.gz"));
    assert_eq!(seeds.len(), 2);
    assert!(fuzz("warc", seeds, 64 * 1024, warc_body) > 0);
}

fn parse_body(data: &[u8]) {
    let html = String::from_utf8_lossy(data);
    if let Err(why) = redline::extract::fastparse::check(&html) {
        panic!("{why}");
    }
}

#[test]
fn fuzz_parse() {
    let mut seeds = files("snapshots/extract", ".html");
    seeds.push(b"<!DOCTYPE html><html><head><title>T &amp; U</title></head><body><p class=a id='b' c=d>x<br/><img src=x.png><table><tr><td>1</table><script>a<b</script></body>".to_vec());
    assert!(fuzz("parse", seeds, 256 * 1024, parse_body) > 0);
}
