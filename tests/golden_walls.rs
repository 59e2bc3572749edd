//! The wall corpus: every page under `snapshots/walls/` is classified as
//! `snapshots/walls/cases.toml` says (a wall kind, or `none` for a real article), and no
//! page of the extraction corpus (`snapshots/extract/`, all real articles) is a wall.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::walls::{cases, read};
use redline::extract::wall::{Served, WallKind, classify};
use redline::extract::{Article, extract};

const URL: &str = "https://news.test/story";

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots").join(name)
}

fn kind_of(html: &str, final_url: &str, previous: Option<&Article>) -> (String, String) {
    let article = extract(html, Some(URL));
    let served = Served { html, status: 200, requested_url: URL, final_url };
    match classify(&served, &article, previous) {
        Some(wall) => (wall.kind.as_str().to_string(), wall.to_string()),
        None => ("none".to_string(), format!("{} paragraphs", article.paragraphs.len())),
    }
}

fn lang(html: &str) -> Option<String> {
    let at = html.find("lang=\"")? + 6;
    Some(html[at..at + 2].to_string())
}

#[test]
fn every_wall_page_gets_its_kind_and_every_article_none() {
    let cases = cases();
    let listed: BTreeSet<&str> = cases.iter().map(|c| c.file.as_str()).collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir("walls"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".html"))
        .collect();
    assert_eq!(listed, on_disk.iter().map(String::as_str).collect(), "cases.toml and the pages disagree");
    let stored = extract(&read("article_en.html"), Some(URL));
    let mut failures = Vec::new();
    let mut by_kind: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for case in &cases {
        assert!(
            case.kind == "none" || WallKind::from_name(&case.kind).is_some(),
            "{}: kind {:?}",
            case.file,
            case.kind
        );
        let html = read(&case.file);
        let final_url = case.final_url.as_deref().unwrap_or(URL);
        let previous = case.previous.as_deref().map(|p| extract(&read(p), Some(URL)));
        let (got, why) = kind_of(&html, final_url, previous.as_ref());
        println!("{}: {why}", case.file);
        if got != case.kind {
            failures.push(format!("{}: expected {}, got {got} ({why})", case.file, case.kind));
        }
        if case.kind == "none" && case.file != "article_en.html" {
            // A different story stored before (the page was reused): still no wall.
            let (got, why) = kind_of(&html, final_url, Some(&stored));
            if got != "none" {
                failures.push(format!("{} after article_en: expected none, got {got} ({why})", case.file));
            }
        }
        if case.kind != "none" && case.previous.is_none() {
            // As the integration test serves it: after the stored article_en.html.
            let (got, why) = kind_of(&html, final_url, Some(&stored));
            if got != case.kind {
                failures.push(format!("{} after article_en: expected {}, got {got} ({why})", case.file, case.kind));
            }
        }
        by_kind.entry(case.kind.clone()).or_default().insert(lang(&html).unwrap_or_default());
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    for kind in WallKind::ALL {
        assert!(by_kind.contains_key(kind.as_str()), "no fixture of kind {kind}");
    }
    let walls = cases.iter().filter(|c| c.kind != "none").count();
    assert!(walls >= 10, "only {walls} wall pages");
    assert!(by_kind["none"].len() >= 4, "too few negative languages");
    let languages: BTreeSet<&String> = by_kind.iter().filter(|(k, _)| *k != "none").flat_map(|(_, l)| l).collect();
    for l in ["en", "de", "fr", "es", "it", "pt"] {
        assert!(languages.contains(&l.to_string()), "no wall page in {l}");
    }
}

#[test]
fn no_page_of_the_extraction_corpus_is_a_wall() {
    let mut walls = Vec::new();
    let mut pages = 0;
    for entry in std::fs::read_dir(dir("extract")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        // A case whose expected article is empty (a "page not found") is no article.
        let expected: Article =
            serde_json::from_str(&std::fs::read_to_string(path.with_extension("json")).unwrap()).unwrap();
        if expected.paragraphs.is_empty() {
            continue;
        }
        pages += 1;
        let html = std::fs::read_to_string(&path).unwrap();
        let (got, why) = kind_of(&html, URL, None);
        if got != "none" {
            walls.push(format!("{}: {why}", path.display()));
        }
    }
    assert!(pages >= 25);
    assert!(walls.is_empty(), "real articles called walls:\n{}", walls.join("\n"));
}
