//! Property tests of the diff engine: a text against itself is no change, whitespace-only
//! rewrites are no change, and the added and removed sentences rebuild the new text from the old.

use std::collections::HashMap;

use proptest::prelude::*;
use redline::diff::normalize::clean;
use redline::diff::segment::sentences;
use redline::diff::{Change, compare, render_html, render_text, render_unified};
use redline::extract::Article;

const WORDS: &[&str] = &[
    "harbor",
    "council",
    "ferry",
    "budget",
    "voted",
    "island",
    "residents",
    "said",
    "would",
    "plan",
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "for",
    "with",
    "after",
    "before",
    "school",
    "teachers",
    "police",
    "bridge",
    "river",
    "tuesday",
    "money",
    "state",
    "grant",
    "director",
    "program",
    "wind",
    "storm",
    "crews",
    "power",
    "lines",
    "twelve",
    "nine",
    "42",
    "2025",
    "$4.50",
    "people",
    "houses",
];

fn sentence() -> impl Strategy<Value = String> {
    (prop::collection::vec(prop::sample::select(WORDS), 3..14), prop::sample::select(&[".", "!", "?"][..])).prop_map(
        |(words, end)| {
            let mut s = words.join(" ");
            if let Some(first) = s.get(..1) {
                s = first.to_uppercase() + &s[1..];
            }
            s + end
        },
    )
}

fn paragraph() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(sentence(), 1..5)
}

fn body() -> impl Strategy<Value = Vec<Vec<String>>> {
    prop::collection::vec(paragraph(), 1..12)
}

fn article(paras: &[Vec<String>]) -> Article {
    Article {
        title: Some("A story".into()),
        paragraphs: paras.iter().map(|p| p.join(" ")).collect(),
        ..Article::default()
    }
}

/// An edit of a body: what it does is chosen by `op`, where by `at`.
#[derive(Debug, Clone)]
struct Edit {
    op: u8,
    at: usize,
    sub: usize,
    text: String,
}

fn edit() -> impl Strategy<Value = Edit> {
    (0u8..7, any::<usize>(), any::<usize>(), sentence()).prop_map(|(op, at, sub, text)| Edit { op, at, sub, text })
}

fn apply(body: &mut Vec<Vec<String>>, e: &Edit) {
    let n = body.len();
    let i = e.at % n.max(1);
    match e.op {
        0 => body.insert(e.at % (n + 1), vec![e.text.clone()]),
        1 if n > 1 => {
            body.remove(i);
        }
        2 if n > 0 => {
            let k = e.sub % (body[i].len() + 1);
            body[i].insert(k, e.text.clone());
        }
        3 if n > 0 && body[i].len() > 1 => {
            let k = e.sub % body[i].len();
            body[i].remove(k);
        }
        4 if n > 0 => {
            // Change one word of one sentence.
            let k = e.sub % body[i].len();
            let mut words: Vec<String> = body[i][k].split(' ').map(str::to_string).collect();
            let w = e.sub % words.len();
            words[w] = if w == 0 { "Nobody".into() } else { "nothing".into() };
            body[i][k] = words.join(" ") + if w + 1 == words.len() { "." } else { "" };
        }
        5 if n > 1 => {
            let p = body.remove(i);
            body.insert(e.sub % n, p);
        }
        _ if n > 0 => {
            let k = e.sub % body[i].len();
            body[i][k] = e.text.clone();
        }
        _ => {}
    }
}

fn multiset(items: impl IntoIterator<Item = String>) -> HashMap<String, i64> {
    let mut m = HashMap::new();
    for s in items {
        *m.entry(s).or_insert(0) += 1;
    }
    m.retain(|_, v| *v != 0);
    m
}

fn all_sentences(a: &Article) -> Vec<String> {
    a.paragraphs.iter().flat_map(|p| sentences(&clean(p)).into_iter().map(str::to_string).collect::<Vec<_>>()).collect()
}

fn assert_well_formed(c: &Change) {
    assert!((0.0..=1.0).contains(&c.significance));
    let mut sorted = c.kinds.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, c.kinds);
    let back: Change = serde_json::from_str(&serde_json::to_string(c).unwrap()).unwrap();
    assert_eq!(&back, c);
    let _ = (render_text(c, true), render_unified(c), render_html(c));
}

/// Rewrites the whitespace of a text: every space becomes one of several whitespace runs,
/// and some invisible characters and padding are added.
fn rewrite_whitespace(s: &str, seeds: &[u8]) -> String {
    let runs = [" ", "  ", "\t", "\n", " \n ", "\u{a0}", "\u{2009}", " \u{200b}", "\r\n"];
    let mut out = String::from(runs[seeds.first().copied().unwrap_or(0) as usize % runs.len()]);
    for (k, part) in s.split(' ').enumerate() {
        if k > 0 {
            out.push_str(runs[seeds.get(k % seeds.len().max(1)).copied().unwrap_or(0) as usize % runs.len()]);
        }
        out.push_str(part);
    }
    out.push_str(" \n");
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_text_against_itself_is_no_change(b in body()) {
        let a = article(&b);
        let c = compare(&a, &a);
        prop_assert!(!c.changed);
        prop_assert!(c.kinds.is_empty() && c.added.is_empty() && c.removed.is_empty());
        assert_well_formed(&c);
    }

    #[test]
    fn whitespace_only_rewrites_are_no_change(b in body(), seeds in prop::collection::vec(any::<u8>(), 1..16)) {
        let old = article(&b);
        let mut new = old.clone();
        new.paragraphs = old.paragraphs.iter().map(|p| rewrite_whitespace(p, &seeds)).collect();
        let c = compare(&old, &new);
        prop_assert!(!c.changed, "{}", c.summary);
        prop_assert!(c.kinds.is_empty());
    }

    #[test]
    fn added_and_removed_sentences_rebuild_the_new_text(b in body(), edits in prop::collection::vec(edit(), 1..6)) {
        let old = article(&b);
        let mut nb = b.clone();
        for e in &edits {
            apply(&mut nb, e);
        }
        let new = article(&nb);
        let c = compare(&old, &new);
        assert_well_formed(&c);
        let (o, n) = (all_sentences(&old), all_sentences(&new));
        // new = old - removed + added, as multisets of sentences.
        let mut rebuilt = multiset(o.clone());
        for s in &c.removed {
            let v = rebuilt.entry(s.clone()).or_insert(0);
            *v -= 1;
            prop_assert!(*v >= 0, "removed sentence {s:?} was not in the old text");
        }
        for s in &c.added {
            *rebuilt.entry(s.clone()).or_insert(0) += 1;
        }
        rebuilt.retain(|_, v| *v != 0);
        prop_assert_eq!(rebuilt, multiset(n.clone()));
        if c.changed && !c.blocks.is_empty() {
            // The blocks alone give both bodies back, in order.
            let clean_all = |a: &Article| a.paragraphs.iter().map(|p| clean(p)).collect::<Vec<_>>();
            prop_assert_eq!(c.new_paragraphs(), clean_all(&new));
            prop_assert_eq!(c.old_paragraphs(), clean_all(&old));
        }
        prop_assert_eq!(c.changed, o != n, "changed iff the sentence sequence differs");
    }

    #[test]
    fn arbitrary_text_never_panics(old in prop::collection::vec(".{0,200}", 0..6), new in prop::collection::vec(".{0,200}", 0..6)) {
        let a = Article { paragraphs: old, ..Article::default() };
        let b = Article { paragraphs: new, ..Article::default() };
        assert_well_formed(&compare(&a, &b));
    }
}
