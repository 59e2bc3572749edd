//! One story's outlets side by side: every article's first sighting and edits on
//! one timeline, agency copy (an article that is a near-copy of another) with what
//! the republisher changed, the sentences only one outlet has, and the facts (a
//! number, a name) one outlet added after another outlet already had them.

use std::collections::BTreeSet;

use serde::Serialize;

use super::shingles::{entities, shingles, words};
use crate::diff::{self, normalize, segment};
use crate::extract::Article;

/// Share of the copy's shingles found in the original from which it is agency copy.
pub const COPY_CONTAINMENT: f64 = 0.7;
/// Share of a sentence's words another outlet's sentence must have for the two to be "the same".
pub const SENTENCE_OVERLAP: f64 = 0.6;

/// One version of a story's article.
#[derive(Debug, Clone)]
pub struct StoryVersion {
    /// 1, 2, 3…
    pub number: i64,
    /// When it was fetched, Unix seconds.
    pub fetched_at: i64,
    /// The extracted article.
    pub article: Article,
    /// The edit kinds of the change that made it (empty for version 1).
    pub kinds: Vec<String>,
}

/// One outlet's article in a story, its versions oldest first (at least one).
#[derive(Debug, Clone)]
pub struct StoryArticle {
    /// The article.
    pub article_id: i64,
    /// Its outlet (the source's URL or name).
    pub source: String,
    /// The article's URL.
    pub url: String,
    /// Its versions.
    pub versions: Vec<StoryVersion>,
}

impl StoryArticle {
    fn latest(&self) -> Option<&StoryVersion> {
        self.versions.last()
    }
}

/// One entry of the story's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    /// When, Unix seconds.
    pub at: i64,
    /// The article.
    pub article_id: i64,
    /// Its outlet.
    pub source: String,
    /// Its URL.
    pub url: String,
    /// The version recorded.
    pub version: i64,
    /// `first_seen` for version 1, `edit` after.
    pub event: &'static str,
    /// The edit's kinds (empty when first seen).
    pub kinds: Vec<String>,
    /// The headline of that version.
    pub title: Option<String>,
}

/// An article that is a near-copy of another, and what its publisher changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgencyCopy {
    /// The article copied (seen first).
    pub original: i64,
    /// The near-copy.
    pub copy: i64,
    /// Share of the copy's shingles found in the original, 0..1.
    pub containment: f64,
    /// The original's headline, when the copy changed it.
    pub headline_from: Option<String>,
    /// The copy's headline, when it changed it.
    pub headline_to: Option<String>,
    /// Sentences the copy added.
    pub added: Vec<String>,
    /// Sentences of the original the copy left out.
    pub removed: Vec<String>,
}

/// The sentences of one outlet's latest version that no other outlet has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnSentences {
    /// The article.
    pub article_id: i64,
    /// Its outlet.
    pub source: String,
    /// The sentences.
    pub sentences: Vec<String>,
}

/// A fact (number or name) an outlet added in an edit after another outlet already had it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LateFact {
    /// The fact, lowercased as matched ("1200", "harbour bridge").
    pub fact: String,
    /// The sentence of the late outlet that carries it.
    pub sentence: String,
    /// The outlet that added it late, its article and the version and time of the edit.
    pub article_id: i64,
    /// Its outlet.
    pub source: String,
    /// The version that added it.
    pub version: i64,
    /// When, Unix seconds.
    pub at: i64,
    /// The article that had it first.
    pub earlier_article_id: i64,
    /// Its outlet.
    pub earlier_source: String,
    /// When that outlet had it (the fetch of its first version with it).
    pub earlier_at: i64,
}

/// Everything the story page and API show besides the list of articles.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoryReport {
    /// First sightings and edits of every article, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Near-copies.
    pub agency_copies: Vec<AgencyCopy>,
    /// Each outlet's own sentences (outlets with none are left out).
    pub own_sentences: Vec<OwnSentences>,
    /// Facts added after another outlet had them.
    pub late_facts: Vec<LateFact>,
}

/// Compares the outlets of one story.
pub fn report(articles: &[StoryArticle]) -> StoryReport {
    StoryReport {
        timeline: timeline(articles),
        agency_copies: agency_copies(articles),
        own_sentences: own_sentences(articles),
        late_facts: late_facts(articles),
    }
}

/// Every version of every article, oldest first.
pub fn timeline(articles: &[StoryArticle]) -> Vec<TimelineEntry> {
    let mut out: Vec<TimelineEntry> = articles
        .iter()
        .flat_map(|a| {
            a.versions.iter().map(|v| TimelineEntry {
                at: v.fetched_at,
                article_id: a.article_id,
                source: a.source.clone(),
                url: a.url.clone(),
                version: v.number,
                event: if v.number <= 1 { "first_seen" } else { "edit" },
                kinds: v.kinds.clone(),
                title: v.article.title.clone(),
            })
        })
        .collect();
    out.sort_by_key(|e| (e.at, e.article_id, e.version));
    out
}

/// The body's sentences, cleaned.
fn sentences(article: &Article) -> Vec<String> {
    article
        .paragraphs
        .iter()
        .flat_map(|p| segment::sentences(&normalize::clean(p)).into_iter().map(str::to_string).collect::<Vec<_>>())
        .filter(|s| !words(s).is_empty())
        .collect()
}

fn body_text(article: &Article) -> String {
    article.paragraphs.join("\n")
}

/// Share of `part`'s shingles found in `whole`.
fn containment(part: &BTreeSet<u64>, whole: &BTreeSet<u64>) -> f64 {
    if part.is_empty() {
        return 0.0;
    }
    part.intersection(whole).count() as f64 / part.len() as f64
}

/// Pairs where the later-seen article's body is mostly the earlier one's, compared exactly.
pub fn agency_copies(articles: &[StoryArticle]) -> Vec<AgencyCopy> {
    let latest: Vec<(&StoryArticle, &StoryVersion, BTreeSet<u64>)> =
        articles.iter().filter_map(|a| a.latest().map(|v| (a, v, shingles(&body_text(&v.article))))).collect();
    // Who came first: the stated publication time, else the first sighting (the wire's
    // story is often seen after its republication, when both are seen in one pass).
    let first_seen = |a: &StoryArticle| {
        let first = a.versions.first();
        let seen = first.map_or(i64::MAX, |v| v.fetched_at);
        (first.and_then(|v| super::published_at(&v.article)).unwrap_or(seen), seen)
    };
    let mut out = Vec::new();
    for (i, (copy, copy_v, copy_set)) in latest.iter().enumerate() {
        // The original: the earliest-seen other article the copy is mostly made of.
        let original = latest
            .iter()
            .enumerate()
            .filter(|(j, (orig, _, _))| {
                *j != i
                    && orig.source != copy.source
                    && (first_seen(orig), orig.article_id) < (first_seen(copy), copy.article_id)
            })
            .map(|(_, (orig, v, set))| (orig, v, containment(copy_set, set)))
            .filter(|(_, _, c)| *c >= COPY_CONTAINMENT)
            .min_by_key(|(orig, _, _)| (first_seen(orig), orig.article_id));
        let Some((orig, orig_v, share)) = original else {
            continue;
        };
        let change = diff::compare(&orig_v.article, &copy_v.article);
        let (headline_from, headline_to) = match change.headline {
            Some(h) => (h.old, h.new),
            None => (None, None),
        };
        out.push(AgencyCopy {
            original: orig.article_id,
            copy: copy.article_id,
            containment: (share * 1000.0).round() / 1000.0,
            headline_from,
            headline_to,
            added: change.added,
            removed: change.removed,
        });
    }
    out
}

/// The set of lowercase words of a sentence.
fn word_set(s: &str) -> BTreeSet<String> {
    words(s).into_iter().collect()
}

/// Whether `sentence` (as a word set) is mostly found in one of `others`.
fn has_similar(sentence: &BTreeSet<String>, others: &[BTreeSet<String>]) -> bool {
    others.iter().any(|o| {
        let shared = sentence.intersection(o).count() as f64;
        shared / sentence.len().max(1) as f64 >= SENTENCE_OVERLAP && shared / o.len().max(1) as f64 >= SENTENCE_OVERLAP
    })
}

/// For each outlet, the sentences of its latest version no other outlet's latest version has.
pub fn own_sentences(articles: &[StoryArticle]) -> Vec<OwnSentences> {
    let per_article: Vec<Vec<(String, BTreeSet<String>)>> = articles
        .iter()
        .map(|a| {
            a.latest().map_or_else(Vec::new, |v| {
                sentences(&v.article).into_iter().map(|s| (word_set(&s), s)).map(|(w, s)| (s, w)).collect()
            })
        })
        .collect();
    let mut out = Vec::new();
    for (i, a) in articles.iter().enumerate() {
        let others: Vec<BTreeSet<String>> = articles
            .iter()
            .enumerate()
            .filter(|(j, b)| *j != i && b.source != a.source)
            .flat_map(|(j, _)| per_article[j].iter().map(|(_, w)| w.clone()))
            .collect();
        let own: Vec<String> =
            per_article[i].iter().filter(|(_, w)| !has_similar(w, &others)).map(|(s, _)| s.clone()).collect();
        if !own.is_empty() {
            out.push(OwnSentences { article_id: a.article_id, source: a.source.clone(), sentences: own });
        }
    }
    out
}

/// The first sentence of an article that names `fact`.
fn sentence_with(article: &Article, fact: &str) -> Option<String> {
    sentences(article).into_iter().find(|s| entities(s).contains(fact))
}

/// Facts an article gained in an edit that another outlet's article already had in a
/// version fetched earlier.
pub fn late_facts(articles: &[StoryArticle]) -> Vec<LateFact> {
    let facts: Vec<Vec<BTreeSet<String>>> = articles
        .iter()
        .map(|a| a.versions.iter().map(|v| entities(&super::article_text(&v.article))).collect())
        .collect();
    let mut out = Vec::new();
    for (i, a) in articles.iter().enumerate() {
        for (n, pair) in a.versions.windows(2).enumerate() {
            let (before, after) = (&facts[i][n], &facts[i][n + 1]);
            for fact in after.difference(before) {
                let earliest = articles
                    .iter()
                    .enumerate()
                    .filter(|(j, b)| *j != i && b.source != a.source)
                    .flat_map(|(j, b)| {
                        b.versions
                            .iter()
                            .zip(&facts[j])
                            .filter(|(v, f)| v.fetched_at < pair[1].fetched_at && f.contains(fact))
                            .map(move |(v, _)| (v.fetched_at, b))
                    })
                    .min_by_key(|(at, b)| (*at, b.article_id));
                let Some((earlier_at, earlier)) = earliest else {
                    continue;
                };
                out.push(LateFact {
                    fact: fact.clone(),
                    sentence: sentence_with(&pair[1].article, fact).unwrap_or_default(),
                    article_id: a.article_id,
                    source: a.source.clone(),
                    version: pair[1].number,
                    at: pair[1].fetched_at,
                    earlier_article_id: earlier.article_id,
                    earlier_source: earlier.source.clone(),
                    earlier_at,
                });
            }
        }
    }
    out.sort_by_key(|f| (f.at, f.article_id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(number: i64, at: i64, title: &str, paragraphs: &[&str], kinds: &[&str]) -> StoryVersion {
        StoryVersion {
            number,
            fetched_at: at,
            article: Article {
                title: Some(title.into()),
                paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
                ..Article::default()
            },
            kinds: kinds.iter().map(|k| k.to_string()).collect(),
        }
    }

    fn article(id: i64, source: &str, versions: Vec<StoryVersion>) -> StoryArticle {
        StoryArticle { article_id: id, source: source.into(), url: format!("http://{source}/{id}"), versions }
    }

    const WIRE: [&str; 3] = [
        "The Harbour Bridge in Port Carrow was closed on Monday after engineers found a crack in its northern span.",
        "Mayor Ines Okafor said ferries would carry commuters across the bay until repairs are done.",
        "The Transport Authority expects the work to take two weeks.",
    ];

    #[test]
    fn a_republished_wire_story_is_agency_copy_with_its_changes() {
        let wire = article(1, "wire", vec![version(1, 10, "Bridge closed after crack found", &WIRE, &[])]);
        let mut copied: Vec<&str> = WIRE[..2].to_vec();
        copied.push("Local traders fear a quiet fortnight on the quay.");
        let copy =
            article(2, "gazette", vec![version(1, 20, "Carrow bridge shut: ferries for two weeks", &copied, &[])]);
        let own = article(
            3,
            "herald",
            vec![version(
                1,
                5,
                "Crack closes Harbour Bridge",
                &["Engineers in Port Carrow shut the Harbour Bridge, the city's main crossing, on Monday morning."],
                &[],
            )],
        );
        let copies = agency_copies(&[wire.clone(), copy.clone(), own]);
        assert_eq!(copies.len(), 1, "{copies:?}");
        let c = &copies[0];
        assert_eq!((c.original, c.copy), (1, 2));
        assert!(c.containment >= COPY_CONTAINMENT, "{c:?}");
        assert_eq!(c.headline_from.as_deref(), Some("Bridge closed after crack found"));
        assert_eq!(c.headline_to.as_deref(), Some("Carrow bridge shut: ferries for two weeks"));
        assert_eq!(c.added, ["Local traders fear a quiet fortnight on the quay."]);
        assert_eq!(c.removed, [WIRE[2]]);
        // Independent write-ups are not copies, whichever came first.
        assert!(
            agency_copies(&[
                wire,
                article(4, "post", vec![version(1, 30, "x", &["Ferries, not cars, for Port Carrow."], &[])])
            ])
            .is_empty()
        );
    }

    #[test]
    fn the_earlier_publication_is_the_original_even_when_seen_later() {
        let mut wire = article(1, "wire", vec![version(1, 50, "Bridge closed after crack found", &WIRE, &[])]);
        let mut copy = article(2, "gazette", vec![version(1, 20, "Carrow bridge shut", &WIRE, &[])]);
        wire.versions[0].article.published = Some("2026-11-30T07:00:00Z".into());
        copy.versions[0].article.published = Some("2026-11-30T09:00:00Z".into());
        let copies = agency_copies(&[copy, wire]);
        assert_eq!(copies.iter().map(|c| (c.original, c.copy)).collect::<Vec<_>>(), [(1, 2)]);
    }

    #[test]
    fn each_outlet_keeps_the_sentences_nobody_else_has() {
        let a = article(1, "wire", vec![version(1, 10, "t", &WIRE, &[])]);
        let b = article(
            2,
            "herald",
            vec![version(1, 10, "t", &[WIRE[0], "A spokesman for the harbour pilots declined to comment."], &[])],
        );
        let own = own_sentences(&[a, b]);
        assert_eq!(own.len(), 2, "{own:?}");
        assert_eq!(own[0].sentences, [WIRE[1], WIRE[2]]);
        assert_eq!(own[1].sentences, ["A spokesman for the harbour pilots declined to comment."]);
    }

    #[test]
    fn a_fact_added_after_another_outlet_had_it_is_reported() {
        let first = article(
            1,
            "wire",
            vec![version(1, 100, "t", &["Repairs will cost 3,500,000 dollars, the Transport Authority said."], &[])],
        );
        let late = article(
            2,
            "herald",
            vec![
                version(1, 50, "t", &["The bridge is shut."], &[]),
                version(
                    2,
                    200,
                    "t",
                    &["The bridge is shut.", "Repairs are put at 3,500,000 dollars by the Transport Authority."],
                    &["addition"],
                ),
            ],
        );
        let facts = late_facts(&[first.clone(), late.clone()]);
        let names: Vec<&str> = facts.iter().map(|f| f.fact.as_str()).collect();
        assert_eq!(names, ["3500000", "transport authority"], "{facts:?}");
        let f = &facts[0];
        assert_eq!((f.article_id, f.version, f.at, f.earlier_article_id, f.earlier_at), (2, 2, 200, 1, 100));
        assert_eq!(f.sentence, "Repairs are put at 3,500,000 dollars by the Transport Authority.");
        // The outlet that had it first did not add it "late".
        assert!(facts.iter().all(|f| f.article_id == 2));
        // Had the other outlet reported it only afterwards, nothing is late.
        let mut after = first;
        after.versions[0].fetched_at = 300;
        assert!(late_facts(&[after, late]).is_empty());
    }

    #[test]
    fn the_timeline_holds_every_version_in_time_order() {
        let a = article(1, "wire", vec![version(1, 10, "a", &WIRE, &[]), version(2, 40, "a2", &WIRE, &["headline"])]);
        let b = article(2, "herald", vec![version(1, 20, "b", &WIRE, &[])]);
        let t = timeline(&[a, b]);
        let seen: Vec<(i64, i64, &str)> = t.iter().map(|e| (e.at, e.article_id, e.event)).collect();
        assert_eq!(seen, [(10, 1, "first_seen"), (20, 2, "first_seen"), (40, 1, "edit")]);
        assert_eq!(t[2].kinds, ["headline"]);
        assert_eq!(t[2].title.as_deref(), Some("a2"));
    }
}
