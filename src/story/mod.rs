//! Stories across outlets: articles of different sources about the same event,
//! grouped by text similarity and shared names, and what the outlets' versions
//! of one story say differently.
//!
//! Pure: no I/O. The store persists each article's [`Fingerprint`] and its band
//! keys, looks up the articles sharing a band (a few indexed lookups, never a
//! scan of every pair) and lets [`group::decide`] say which story the article joins.
//!
//! # Layout
//! - [`shingles`]: words, 3-word shingles, named entities (multi-word names, numbers), a stable hash.
//! - [`minhash`]: MinHash signatures, Jaccard estimates, LSH band keys.
//! - [`group`]: when two articles cover the same event, and which story a new article joins
//!   (with the guard against chaining unrelated stories).
//! - [`compare`]: one story's outlets side by side: the timeline, agency copy and what the
//!   republisher changed, sentences only one outlet has, facts one outlet added after another.

pub mod compare;
pub mod group;
pub mod minhash;
pub mod shingles;

use std::sync::atomic::{AtomicU64, Ordering};

use crate::extract::Article;
use minhash::Banding;

/// The text index: 20 bands of 3 slots (candidates from a Jaccard of about 0.37 up), for
/// articles with few names (see [`Fingerprint::band_keys`]).
pub const TEXT_BANDING: Banding = Banding { tag: 1, bands: 20, rows: 3 };
/// The entity index: 16 bands of 2 slots (candidates from a Jaccard of about 0.25 up).
pub const ENTITY_BANDING: Banding = Banding { tag: 2, bands: 16, rows: 2 };

/// Grouping attempts that failed (the version was recorded anyway), since the process started.
pub static GROUPING_FAILURES: AtomicU64 = AtomicU64::new(0);

/// Counts one failed grouping.
pub fn count_failure() {
    GROUPING_FAILURES.fetch_add(1, Ordering::Relaxed);
}

/// What grouping knows of an article: the signatures of its shingles and of its
/// entities, their sizes, and when it was published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// When the article was published (or first seen), Unix seconds.
    pub at: i64,
    /// How many distinct shingles the text has.
    pub shingles: usize,
    /// MinHash of the shingles ([`TEXT_BANDING`] slots).
    pub text_sig: Vec<u32>,
    /// How many distinct entities the text has.
    pub entities: usize,
    /// MinHash of the entities ([`ENTITY_BANDING`] slots).
    pub entity_sig: Vec<u32>,
}

/// The whole text grouping reads: the headline and the body.
pub fn article_text(article: &Article) -> String {
    let mut text = article.title.clone().unwrap_or_default();
    for p in &article.paragraphs {
        text.push('\n');
        text.push_str(p);
    }
    text
}

/// An article's fingerprint; `at` is its publication time, or when it was first seen.
pub fn fingerprint(article: &Article, at: i64) -> Fingerprint {
    let text = article_text(article);
    let shingles = shingles::shingles(&text);
    let entities = shingles::entity_hashes(&shingles::entities(&text));
    Fingerprint {
        at,
        shingles: shingles.len(),
        text_sig: minhash::signature(&shingles, TEXT_BANDING.len()),
        entities: entities.len(),
        entity_sig: minhash::signature(&entities, ENTITY_BANDING.len()),
    }
}

/// From this many names and numbers an article is indexed by them alone (see
/// [`Fingerprint::band_keys`]); it is also what [`group::same_event`] needs shared.
pub const ENTITY_KEYS_FROM: usize = 3;

impl Fingerprint {
    /// The band keys an article is stored and looked up under. Its entity keys always;
    /// its text keys only when it has fewer than [`ENTITY_KEYS_FROM`] names and numbers.
    /// A copy shares all of its original's names and an independent write-up many, so the
    /// entity index finds them; the text index is for articles too poor in names to be
    /// found that way. That halves the keys of a typical article (16 instead of 36), and
    /// with them the lookups and writes of grouping it.
    pub fn band_keys(&self) -> Vec<i64> {
        let mut keys = minhash::band_keys(&self.entity_sig, ENTITY_BANDING);
        if self.entities < ENTITY_KEYS_FROM {
            keys.extend(minhash::band_keys(&self.text_sig, TEXT_BANDING));
        }
        keys
    }

    /// The signatures as stored: hexadecimal slots, text then entities, separated by `/`.
    pub fn encode_signatures(&self) -> String {
        let hex = |s: &[u32]| s.iter().map(|v| format!("{v:08x}")).collect::<String>();
        format!("{}/{}", hex(&self.text_sig), hex(&self.entity_sig))
    }

    /// Reads what [`Fingerprint::encode_signatures`] wrote; `None` when it is not that.
    pub fn decode(at: i64, shingles: usize, entities: usize, stored: &str) -> Option<Fingerprint> {
        let (text, ent) = stored.split_once('/')?;
        let slots = |s: &str, n: usize| -> Option<Vec<u32>> {
            if s.len() != n * 8 || !s.is_ascii() {
                return None;
            }
            (0..n).map(|i| u32::from_str_radix(&s[i * 8..i * 8 + 8], 16).ok()).collect()
        };
        Some(Fingerprint {
            at,
            shingles,
            text_sig: slots(text, TEXT_BANDING.len())?,
            entities,
            entity_sig: slots(ent, ENTITY_BANDING.len())?,
        })
    }
}

/// The publication time of an article in Unix seconds, when it states one in RFC 3339.
pub fn published_at(article: &Article) -> Option<i64> {
    let published = article.published.as_deref()?;
    chrono::DateTime::parse_from_rfc3339(published).ok().map(|d| d.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_round_trips_through_its_stored_form() {
        let a = Article {
            title: Some("Harbour Bridge closed".into()),
            paragraphs: vec!["The Harbour Bridge in Port Carrow closed on Monday after 1,200 people crossed.".into()],
            ..Article::default()
        };
        let fp = fingerprint(&a, 100);
        assert!(fp.shingles > 5 && fp.entities >= 3, "{fp:?}");
        assert_eq!(fp.band_keys().len(), ENTITY_BANDING.bands, "rich in names: the entity index only");
        let poor = fingerprint(
            &Article { paragraphs: vec!["the bridge closed after a crack was found".into()], ..Article::default() },
            100,
        );
        assert!(poor.entities < ENTITY_KEYS_FROM, "{poor:?}");
        assert_eq!(
            poor.band_keys().len(),
            TEXT_BANDING.bands + minhash::band_keys(&poor.entity_sig, ENTITY_BANDING).len()
        );
        let back = Fingerprint::decode(100, fp.shingles, fp.entities, &fp.encode_signatures()).unwrap();
        assert_eq!(back, fp);
        assert!(Fingerprint::decode(100, 1, 1, "zz/zz").is_none());
        assert!(Fingerprint::decode(100, 1, 1, "no slash").is_none());
        assert!(Fingerprint::decode(100, 1, 1, "é").is_none());
    }

    #[test]
    fn the_publication_time_is_read_from_rfc3339() {
        let a = Article { published: Some("2026-03-01T10:00:00Z".into()), ..Article::default() };
        assert_eq!(published_at(&a), Some(1_772_359_200));
        assert_eq!(published_at(&Article { published: Some("yesterday".into()), ..Article::default() }), None);
    }
}
