//! Any bytes in, an article out: no panic, no hang, and the invariants the
//! rest of Redline relies on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use redline::extract;

fuzz_target!(|data: &[u8]| {
    // Split the input: an optional rules prefix (one selector per line up to a
    // NUL byte) then the page, so that selector handling is fuzzed too.
    let (rules, page) = match data.iter().position(|&b| b == 0) {
        Some(i) if i < 200 => (&data[..i], &data[i + 1..]),
        _ => (&[][..], data),
    };
    let html = String::from_utf8_lossy(page);
    let mut r = extract::ExtractRules::default();
    for (n, line) in String::from_utf8_lossy(rules).lines().enumerate() {
        match n {
            0 => r.body = Some(line.to_string()).filter(|s| !s.is_empty()),
            1 => r.title = Some(line.to_string()).filter(|s| !s.is_empty()),
            _ => r.exclude.push(line.to_string()),
        }
    }
    let (a, reason) = extract::extract_report(&html, Some("https://fuzz.redline.test/a/b"), &r);
    for p in &a.paragraphs {
        assert!(!p.is_empty(), "empty paragraph");
        assert_eq!(p.trim(), p, "untrimmed paragraph");
        assert!(!p.contains("  "), "uncollapsed whitespace");
    }
    assert!(a.paragraphs.is_empty() || reason.is_none(), "reason given with a body");
    for d in [&a.published, &a.modified].into_iter().flatten() {
        assert!(chrono::DateTime::parse_from_rfc3339(d).is_ok(), "not RFC 3339: {d}");
    }
    // Stable: the same page gives the same article.
    assert_eq!(a, extract::extract_with(&html, Some("https://fuzz.redline.test/a/b"), &r));
    // The wall classifier reads the same page, alone and after a stored version.
    let served = extract::wall::Served {
        html: &html,
        status: 200,
        requested_url: "https://fuzz.redline.test/a/b",
        final_url: "https://fuzz.redline.test/a/b?x=1",
    };
    let wall = extract::wall::classify(&served, &a, None);
    assert_eq!(wall, extract::wall::classify(&served, &a, None), "the classifier is stable");
    let _ = extract::wall::classify(&served, &extract::Article::default(), Some(&a));
});
