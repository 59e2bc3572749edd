//! The golden diff corpus: every version pair in `snapshots/diff/` must get its expected kinds.
//!
//! Each case is three files: `<case>.old.txt` and `<case>.new.txt` (a header of `key: value`
//! lines — title, byline, published, modified, lang — a blank line, then paragraphs separated by
//! blank lines) and `<case>.expect.txt` (`kinds: a, b`, and optionally `changed`, `notes`,
//! `added`, `removed` counts, `summary`, `summary_starts` and `ignore`, a regular expression).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use redline::diff::{Change, DiffOptions, EditKind, compare_with, render_html, render_text, render_unified};
use redline::extract::Article;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/diff")
}

fn read_article(path: &Path) -> Article {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut a = Article::default();
    for line in head.lines() {
        let (k, v) = line.split_once(": ").unwrap_or_else(|| panic!("{}: bad header line {line:?}", path.display()));
        let v = Some(v.to_string());
        match k {
            "title" => a.title = v,
            "byline" => a.byline = v,
            "published" => a.published = v,
            "modified" => a.modified = v,
            "lang" => a.lang = v,
            _ => panic!("{}: unknown header {k:?}", path.display()),
        }
    }
    a.paragraphs = body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect();
    a
}

fn read_expect(path: &Path) -> BTreeMap<String, String> {
    fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_string(), v.trim().to_string())))
        .collect()
}

fn parse_kinds(s: &str) -> Vec<EditKind> {
    let mut kinds: Vec<EditKind> = s
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| {
            serde_json::from_value(serde_json::Value::String(k.to_string()))
                .unwrap_or_else(|_| panic!("unknown kind {k:?}"))
        })
        .collect();
    kinds.sort();
    kinds
}

/// Checks one case; returns what is wrong.
fn check(case: &str) -> Vec<String> {
    let dir = corpus();
    let old = read_article(&dir.join(format!("{case}.old.txt")));
    let new = read_article(&dir.join(format!("{case}.new.txt")));
    let expect = read_expect(&dir.join(format!("{case}.expect.txt")));
    let options =
        DiffOptions { ignore: expect.get("ignore").map(|p| regex::Regex::new(p).unwrap()).into_iter().collect() };
    let c = compare_with(&old, &new, &options);
    let mut wrong = Vec::new();
    let want = parse_kinds(expect.get("kinds").map_or("", String::as_str));
    if c.kinds != want {
        let shown = render_text(&c, false);
        wrong.push(format!("kinds {:?}, expected {want:?} ({})\n{shown}", c.kinds, c.summary));
    }
    let changed = expect.get("changed").map_or(!want.is_empty(), |v| v == "true");
    if c.changed != changed {
        wrong.push(format!("changed {}, expected {changed}", c.changed));
    }
    for (field, got) in [("notes", c.notes.len()), ("added", c.added.len()), ("removed", c.removed.len())] {
        if let Some(n) = expect.get(field)
            && n.parse::<usize>().ok() != Some(got)
        {
            wrong.push(format!("{field}: {got}, expected {n}"));
        }
    }
    if let Some(s) = expect.get("summary")
        && &c.summary != s
    {
        wrong.push(format!("summary {:?}, expected {s:?}", c.summary));
    }
    if let Some(s) = expect.get("summary_starts")
        && !c.summary.starts_with(s.as_str())
    {
        wrong.push(format!("summary {:?}, expected to start with {s:?}", c.summary));
    }
    // Significance: within 0..1, positive for any kind, zero for no change.
    if !(0.0..=1.0).contains(&c.significance)
        || (!c.kinds.is_empty() && c.significance <= 0.0)
        || (!c.changed && c.significance != 0.0)
    {
        wrong.push(format!("significance {}", c.significance));
    }
    // Self-sufficient: the stored JSON renders the same, and rebuilds the new body.
    let back: Change = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
    if back != c
        || render_html(&back) != render_html(&c)
        || render_text(&back, false) != render_text(&c, false)
        || render_unified(&back) != render_unified(&c)
    {
        wrong.push("does not round-trip through JSON".into());
    }
    wrong
}

#[test]
fn every_pair_gets_its_expected_kinds() {
    let mut cases: Vec<String> = fs::read_dir(corpus())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".expect.txt").map(str::to_string))
        .collect();
    cases.sort();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let failures: Vec<String> =
        cases.iter().flat_map(|case| check(case).into_iter().map(move |w| format!("{case}: {w}"))).collect();
    assert!(failures.is_empty(), "{} of {} cases wrong:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
