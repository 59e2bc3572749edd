//! When two articles cover the same event, and which story a new article joins.
//!
//! Two articles match when they were published within [`WINDOW_SECS`] of each other and
//! either share much of their text (agency copy, shared quotes) or share enough names and
//! numbers (independent write-ups of one event). A new article joins the story most of
//! whose members it matches; stories are never joined through one article alone (A
//! matches B, B matches C, so A and C are one story): two stories merge only when one of
//! their members matches one of the other's directly.

use super::Fingerprint;
use super::minhash::{jaccard, overlap};

/// Articles published further apart than this are not one event (three days).
pub const WINDOW_SECS: i64 = 3 * 24 * 3600;
/// Estimated shingle Jaccard from which two texts are one story.
pub const TEXT_JACCARD: f64 = 0.25;
/// Estimated share of the smaller text's shingles found in the other from which one is a
/// copy of the other (a story too).
pub const TEXT_CONTAINMENT: f64 = 0.6;
/// Estimated entity Jaccard from which two articles name the same event…
pub const ENTITY_JACCARD: f64 = 0.3;
/// …when they share at least this many names and numbers.
pub const SHARED_ENTITIES: f64 = 3.0;
/// Members of a story compared with a new article (the most recent): bounds the work.
pub const MAX_COMPARED: usize = 40;

/// How two articles match.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// The evidence, 0..1: the larger of the text and entity similarities.
    pub score: f64,
}

/// Whether two articles are about the same event.
pub fn same_event(a: &Fingerprint, b: &Fingerprint) -> Option<Match> {
    if (a.at - b.at).abs() > WINDOW_SECS {
        return None;
    }
    let text = jaccard(&a.text_sig, &b.text_sig);
    let smaller = a.shingles.min(b.shingles).max(1);
    let containment = overlap(text, a.shingles, b.shingles) / smaller as f64;
    let entities = jaccard(&a.entity_sig, &b.entity_sig);
    let shared = overlap(entities, a.entities, b.entities);
    let by_text = text >= TEXT_JACCARD || (containment >= TEXT_CONTAINMENT && text > 0.0);
    let by_entities = entities >= ENTITY_JACCARD && shared >= SHARED_ENTITIES;
    (by_text || by_entities).then_some(Match { score: text.max(containment.min(1.0)).max(entities) })
}

/// A stored article grouping compares with a new one.
#[derive(Debug, Clone)]
pub struct Member {
    /// The article.
    pub article_id: i64,
    /// Its source (the outlet).
    pub source_id: i64,
    /// Its story.
    pub story_id: i64,
    /// Its fingerprint.
    pub fingerprint: Fingerprint,
}

/// Where a new article goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A story of its own.
    New,
    /// This story; the other stories listed are merged into it.
    Join {
        /// The story the article joins.
        story_id: i64,
        /// Stories merged into it (each shares a direct match with it).
        merged: Vec<i64>,
    },
}

/// How a new article relates to one story.
struct Fit {
    story_id: i64,
    matched: usize,
    compared: usize,
    score: f64,
}

/// Which story a new article of `source_id` joins, given the members of the stories its
/// candidates belong to (at most [`MAX_COMPARED`] per story are read). Only members of other
/// sources count as evidence: an outlet's own follow-ups do not make a story.
pub fn decide(new: &Fingerprint, source_id: i64, members: &[Member]) -> Decision {
    let mut fits: Vec<Fit> = Vec::new();
    for m in members.iter().filter(|m| m.source_id != source_id) {
        let found = same_event(new, &m.fingerprint);
        let fit = match fits.iter_mut().find(|f| f.story_id == m.story_id) {
            Some(f) => f,
            None => {
                fits.push(Fit { story_id: m.story_id, matched: 0, compared: 0, score: 0.0 });
                fits.last_mut().expect("pushed")
            }
        };
        if fit.compared >= MAX_COMPARED {
            continue;
        }
        fit.compared += 1;
        if let Some(found) = found {
            fit.matched += 1;
            fit.score += found.score;
        }
    }
    // The guard: a story is joined only when the article matches at least half of the
    // members compared, so one loose match does not pull it into an unrelated story.
    let mut eligible: Vec<&Fit> = fits.iter().filter(|f| f.matched > 0 && f.matched * 2 >= f.compared).collect();
    eligible
        .sort_by(|a, b| b.matched.cmp(&a.matched).then(b.score.total_cmp(&a.score)).then(a.story_id.cmp(&b.story_id)));
    let Some(best) = eligible.first() else {
        return Decision::New;
    };
    let in_story = |id: i64| members.iter().filter(move |m| m.story_id == id).take(MAX_COMPARED);
    let merged = eligible[1..]
        .iter()
        .filter(|other| {
            in_story(best.story_id).any(|a| {
                in_story(other.story_id)
                    .any(|b| a.source_id != b.source_id && same_event(&a.fingerprint, &b.fingerprint).is_some())
            })
        })
        .map(|f| f.story_id)
        .collect();
    Decision::Join { story_id: best.story_id, merged }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Article;
    use crate::story::fingerprint;

    fn fp(text: &str, at: i64) -> Fingerprint {
        fingerprint(&Article { paragraphs: vec![text.into()], ..Article::default() }, at)
    }

    const BRIDGE: &str = "The Harbour Bridge in Port Carrow was closed on Monday after engineers found a crack \
        in its northern span. Mayor Ines Okafor said 1,200 commuters would use ferries. The Transport Authority \
        expects repairs to take 14 days and cost 3,500,000 dollars.";
    const BRIDGE_OTHER: &str = "Commuters in Port Carrow face a fortnight of ferries: the Harbour Bridge shut \
        after a crack appeared, and the Transport Authority puts the bill at 3,500,000 dollars. Mayor Ines Okafor \
        asked 1,200 daily drivers for patience while the 14 days of work go on.";
    const ELECTION: &str = "Voters in Lake Umber re-elected Governor Talia Brandt with 58 percent on Sunday, \
        while the Green Coalition doubled its seats to 24. Turnout reached 71 percent, the Electoral Board said.";

    #[test]
    fn independent_write_ups_of_one_event_match_by_their_names_and_numbers() {
        let (a, b) = (fp(BRIDGE, 0), fp(BRIDGE_OTHER, 3600));
        assert!(same_event(&a, &b).is_some());
        assert!(same_event(&a, &fp(ELECTION, 0)).is_none());
    }

    #[test]
    fn a_copy_matches_by_its_text_and_time_bounds_every_match() {
        let copy = format!("{BRIDGE} Ferries will run every ten minutes from the old quay.");
        let (a, b) = (fp(BRIDGE, 0), fp(&copy, 60));
        assert!(same_event(&a, &b).unwrap().score > 0.6);
        assert!(same_event(&a, &fp(&copy, WINDOW_SECS + 1)).is_none());
    }

    fn member(article_id: i64, source_id: i64, story_id: i64, fingerprint: Fingerprint) -> Member {
        Member { article_id, source_id, story_id, fingerprint }
    }

    #[test]
    fn a_new_article_joins_the_story_it_matches() {
        let members = vec![member(1, 1, 10, fp(BRIDGE, 0)), member(2, 2, 20, fp(ELECTION, 0))];
        assert_eq!(decide(&fp(BRIDGE_OTHER, 10), 3, &members), Decision::Join { story_id: 10, merged: vec![] });
        assert_eq!(
            decide(&fp("A recipe for lemon cake with 250 grams of Demerara Sugar.", 0), 3, &members),
            Decision::New
        );
        // The same outlet's own article is no evidence.
        assert_eq!(decide(&fp(BRIDGE_OTHER, 10), 1, &members[..1]), Decision::New);
    }

    #[test]
    fn one_loose_match_does_not_chain_unrelated_stories() {
        // A story of three bridge articles; the newcomer matches one of them only.
        let bridge =
            vec![member(1, 1, 10, fp(ELECTION, 0)), member(2, 2, 10, fp(ELECTION, 0)), member(3, 3, 10, fp(BRIDGE, 0))];
        assert_eq!(decide(&fp(BRIDGE_OTHER, 0), 4, &bridge), Decision::New);
    }

    #[test]
    fn two_stories_merge_only_when_their_members_match_directly() {
        let newcomer = fp(BRIDGE, 0);
        let split = vec![member(1, 1, 10, fp(BRIDGE, 0)), member(2, 2, 20, fp(BRIDGE_OTHER, 0))];
        assert_eq!(decide(&newcomer, 3, &split), Decision::Join { story_id: 10, merged: vec![20] });
        // A bridging article between two unrelated stories joins one and merges nothing.
        let bridging = fp(&format!("{BRIDGE} {ELECTION}"), 0);
        let unrelated = vec![member(1, 1, 10, fp(BRIDGE, 0)), member(2, 2, 20, fp(ELECTION, 0))];
        match decide(&bridging, 3, &unrelated) {
            Decision::Join { merged, .. } => assert!(merged.is_empty()),
            Decision::New => {}
        }
    }
}
