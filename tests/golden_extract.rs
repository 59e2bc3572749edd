//! The extraction golden corpus: every `snapshots/extract/<case>.html` is
//! extracted and compared with `<case>.json` (the expected [`Article`]).
//! `<case>.rules.json`, when present, holds the [`ExtractRules`] to apply.
//!
//! A failing case prints a field-by-field diff, paragraphs line by line, each
//! with its block kind.
//! `REDLINE_BLESS=1 cargo test --test golden_extract` rewrites the expected
//! files from the current output: review every change before committing.

use redline::extract::{Article, ExtractRules, extract_with};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/extract")
}

fn cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus())
        .expect("snapshots/extract exists")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".html")).map(str::to_string))
        .collect();
    names.sort();
    names
}

fn field_diff(out: &mut String, name: &str, want: &Option<String>, got: &Option<String>) {
    if want != got {
        let _ = writeln!(out, "  {name}:\n    expected {want:?}\n    got      {got:?}");
    }
}

/// A readable diff of two articles; empty when they are equal.
fn diff(want: &Article, got: &Article) -> String {
    let mut out = String::new();
    field_diff(&mut out, "url", &want.url, &got.url);
    field_diff(&mut out, "canonical_url", &want.canonical_url, &got.canonical_url);
    field_diff(&mut out, "title", &want.title, &got.title);
    field_diff(&mut out, "byline", &want.byline, &got.byline);
    field_diff(&mut out, "published", &want.published, &got.published);
    field_diff(&mut out, "modified", &want.modified, &got.modified);
    field_diff(&mut out, "lang", &want.lang, &got.lang);
    if want.paragraphs != got.paragraphs || want.block_kinds != got.block_kinds {
        let _ = writeln!(out, "  paragraphs (- expected, + got):");
        let lines = |a: &Article| {
            let kinds = (0..a.paragraphs.len()).map(|i| a.block_kind(i));
            kinds.zip(&a.paragraphs).map(|(k, p)| format!("[{k:?}] {p}")).collect::<Vec<_>>().join("\n")
        };
        let (a, b) = (lines(want), lines(got));
        for change in similar::TextDiff::from_lines(&a, &b).iter_all_changes() {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            };
            let _ = write!(out, "    {sign} {}", change.value());
            if !change.value().ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn golden_corpus() {
    let dir = corpus();
    let names = cases();
    assert!(names.len() >= 25, "the corpus should hold at least 25 cases, found {}", names.len());
    let bless = std::env::var_os("REDLINE_BLESS").is_some();
    let mut failures = Vec::new();
    for name in &names {
        // Decoded as `redline extract FILE` decodes it (charset from BOM, <meta>, or a guess).
        let raw = std::fs::read(dir.join(format!("{name}.html"))).expect("readable html");
        let html = redline::fetch::decode(&raw, "").0;
        let json_path = dir.join(format!("{name}.json"));
        let want: Option<Article> =
            std::fs::read_to_string(&json_path).ok().map(|s| serde_json::from_str(&s).expect("valid expected json"));
        let rules: ExtractRules = std::fs::read_to_string(dir.join(format!("{name}.rules.json")))
            .map(|s| serde_json::from_str(&s).expect("valid rules json"))
            .unwrap_or_default();
        let url = want.as_ref().and_then(|w| w.url.clone()).unwrap_or_else(|| format!("https://redline.test/{name}"));
        let got = extract_with(&html, Some(&url), &rules);
        if bless {
            let s = serde_json::to_string_pretty(&got).expect("serialisable") + "\n";
            std::fs::write(&json_path, s).expect("writable snapshot");
            continue;
        }
        let Some(want) = want else {
            failures.push(format!("{name}: no {name}.json (run with REDLINE_BLESS=1 and review it)"));
            continue;
        };
        let d = diff(&want, &got);
        if !d.is_empty() {
            failures.push(format!("{name}:\n{d}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden cases differ:\n\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

#[test]
fn extraction_is_stable() {
    // The same page extracted twice gives the same article (no false edits).
    let dir = corpus();
    for name in cases().iter().take(10) {
        let html = std::fs::read_to_string(dir.join(format!("{name}.html"))).expect("readable html");
        let a = extract_with(&html, None, &ExtractRules::default());
        let b = extract_with(&html, None, &ExtractRules::default());
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn a_new_live_blog_post_on_top_is_an_addition() {
    // The live blog of the golden corpus, then the same page with one more post on top.
    let html = std::fs::read_to_string(corpus().join("live_blog_articles.html")).expect("readable html");
    let feed = r#"<div class="live-feed" id="liveblog-body">"#;
    let post = r#"<article class="live-post" id="post-5"><header class="live-post__header"><time datetime="2026-11-25T13:22:00+00:00">13:22 GMT</time></header>
        <p>The shadow chancellor says the budget does nothing for families facing higher mortgage payments, and calls the freeze on thresholds a stealth tax.</p></article>"#;
    assert!(html.contains(feed));
    let newer = html.replacen(feed, &format!("{feed}\n{post}"), 1);
    let rules = ExtractRules::default();
    let (old, new) = (extract_with(&html, None, &rules), extract_with(&newer, None, &rules));
    assert_eq!(new.paragraphs.len(), old.paragraphs.len() + 2, "{:?}", new.paragraphs);
    assert_eq!(new.paragraphs[..2], ["13:22 GMT".to_string(), new.paragraphs[1].clone()]);
    assert_eq!(new.paragraphs[2..], old.paragraphs[..], "the older posts are untouched");
    let change = redline::diff::compare(&old, &new);
    use redline::diff::EditKind;
    assert!(change.kinds.contains(&EditKind::Addition), "{:?}: {}", change.kinds, change.summary);
    for kind in [EditKind::Rewording, EditKind::Removal, EditKind::Fact] {
        assert!(!change.kinds.contains(&kind), "{:?}: {}", change.kinds, change.summary);
    }
}

#[test]
fn versions_stored_before_block_kinds_diff_cleanly() {
    // A stored version keeps paragraphs only (no block kinds); the first check
    // after the upgrade extracts the same page with kinds: same version, no edit.
    let dir = corpus();
    for name in ["structured_explainer", "live_blog_articles", "interview_quotes_code", "key_points_list"] {
        let html = std::fs::read_to_string(dir.join(format!("{name}.html"))).expect("readable html");
        let now = extract_with(&html, None, &ExtractRules::default());
        assert!(now.block_kinds.len() == now.paragraphs.len() && !now.block_kinds.is_empty(), "{name}");
        let mut json = serde_json::to_value(&now).unwrap();
        json.as_object_mut().unwrap().remove("block_kinds");
        let stored: Article = serde_json::from_value(json).unwrap();
        assert!(stored.block_kinds.is_empty());
        assert_eq!(stored.content_hash(), now.content_hash(), "{name}: a new hash would store a new version");
        let change = redline::diff::compare(&stored, &now);
        assert!(!change.changed && change.kinds.is_empty(), "{name}: {:?} {}", change.kinds, change.summary);
    }
}
