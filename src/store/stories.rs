//! The `stories`, `story_articles` and `story_keys` tables: which story each
//! article belongs to, its fingerprint, and its LSH band keys (keyed by key and
//! day of publication), so that grouping a new article costs a few indexed
//! lookups of the time window whatever the archive's size.
//! Which story an article joins is [`crate::story::group::decide`]'s rule.

use super::sql::{Conn, Row, params};
use super::{Db, Result, Store};
use crate::extract::Article;
use crate::story;
use crate::story::Fingerprint;
use crate::story::compare::{StoryArticle, StoryVersion};
use crate::story::group::{self, Decision, Member};

/// Stories read when looking for the one a new article joins (the candidates' stories).
const MAX_CANDIDATE_STORIES: usize = 20;

/// A story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryRow {
    /// Row id.
    pub id: i64,
    /// When its first article was grouped.
    pub created_at: i64,
    /// When an article last joined it.
    pub updated_at: i64,
    /// How many articles it holds.
    pub articles: i64,
    /// How many sources (outlets) those articles come from.
    pub sources: i64,
}

/// One article of a story, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryMemberRow {
    /// The article.
    pub article_id: i64,
    /// Its story.
    pub story_id: i64,
    /// Its source.
    pub source_id: i64,
    /// The source's URL (the outlet).
    pub source_url: String,
    /// The article's URL.
    pub url: String,
    /// When it was published (or first seen).
    pub at: i64,
    /// The headline of its latest version.
    pub title: Option<String>,
    /// When Redline first saw it.
    pub first_seen: i64,
}

fn story_row(r: &Row) -> Result<StoryRow> {
    Ok(StoryRow {
        id: r.get(0)?,
        created_at: r.get(1)?,
        updated_at: r.get(2)?,
        articles: r.get(3)?,
        sources: r.get(4)?,
    })
}

const STORY_SELECT: &str = "SELECT s.id, s.created_at, s.updated_at, COUNT(sa.article_id), COUNT(DISTINCT sa.source_id)
     FROM stories s JOIN story_articles sa ON sa.story_id = s.id";

fn member_row(r: &Row) -> Result<StoryMemberRow> {
    Ok(StoryMemberRow {
        article_id: r.get(0)?,
        story_id: r.get(1)?,
        source_id: r.get(2)?,
        source_url: r.get(3)?,
        url: r.get(4)?,
        at: r.get(5)?,
        title: r.get(6)?,
        first_seen: r.get(7)?,
    })
}

/// Seconds in a day: the unit of the `day` column of `story_keys`.
const DAY: i64 = 86_400;

/// The `story_keys` day of a publication time (the same truncating division both
/// engines' SQL does, so the migration that filled the table agrees).
fn key_day(at: i64) -> i64 {
    at / DAY
}

/// The stored members of these stories published within the time window of `fp` (the
/// others can never match it), at most [`group::MAX_COMPARED`] per story, the latest
/// first; their fingerprints decoded. One indexed range per story: bounded
/// whatever a story's size.
fn members_of(conn: &mut Conn, stories: &[i64], fp: &Fingerprint, except: i64) -> Result<Vec<Member>> {
    let (lo, hi) = (fp.at - group::WINDOW_SECS, fp.at + group::WINDOW_SECS);
    let mut out = Vec::new();
    for &story in stories {
        let rows = conn.query(
            "SELECT article_id, source_id, story_id, at, shingles, entities, signatures FROM story_articles
             WHERE story_id = ?1 AND at BETWEEN ?2 AND ?3 AND article_id <> ?4 ORDER BY at DESC LIMIT ?5",
            params![story, lo, hi, except, group::MAX_COMPARED as i64],
        )?;
        for r in rows {
            let (shingles, entities): (i64, i64) = (r.get(4)?, r.get(5)?);
            let stored: String = r.get(6)?;
            // A row this build cannot read (another signature length) is skipped, not fatal.
            if let Some(fingerprint) = Fingerprint::decode(r.get(3)?, shingles as usize, entities as usize, &stored) {
                out.push(Member { article_id: r.get(0)?, source_id: r.get(1)?, story_id: r.get(2)?, fingerprint });
            }
        }
    }
    Ok(out)
}

/// Where the time of one grouping went, for the bench: taking the write lock, the band
/// key lookup (with the article's current story), the candidates' members, the decision,
/// the writes. The commit is the rest of the call.
#[derive(Debug, Clone, Copy, Default)]
pub struct GroupTimings {
    /// The connection and `BEGIN IMMEDIATE`.
    pub begin: std::time::Duration,
    /// The article's current story and the stories sharing its band keys.
    pub lookup: std::time::Duration,
    /// Reading and decoding the candidate stories' members.
    pub members: std::time::Duration,
    /// [`group::decide`].
    pub decide: std::time::Duration,
    /// Candidate stories the lookup found.
    pub candidates: usize,
    /// Their members read and compared.
    pub compared: usize,
    /// The story (new, merged or touched), the article's row and its band keys written.
    pub writes: std::time::Duration,
}

/// The article's stored row: its story, and its fingerprint when this build can read it.
fn current_row(tx: &mut Conn, article_id: i64) -> Result<Option<(i64, Option<Fingerprint>)>> {
    let row = tx.query_opt(
        "SELECT story_id, at, shingles, entities, signatures FROM story_articles WHERE article_id = ?1",
        params![article_id],
    )?;
    row.map(|r| {
        let (shingles, entities): (i64, i64) = (r.get(2)?, r.get(3)?);
        let stored: String = r.get(4)?;
        Ok((r.get(0)?, Fingerprint::decode(r.get(1)?, shingles as usize, entities as usize, &stored)))
    })
    .transpose()
}

/// Replaces the article's band keys (those of `old`, its stored fingerprint) by those of
/// `new`: only the keys that differ are deleted and inserted, each by its primary key.
/// An old fingerprint this build cannot read leaves its keys behind: they only ever
/// propose a candidate, which the members' real fingerprints then judge.
fn write_keys(tx: &mut Conn, article_id: i64, old: Option<&Fingerprint>, new: &Fingerprint) -> Result<()> {
    let day = key_day(new.at);
    let new_keys = new.band_keys();
    let (gone, gone_day, kept) = match old {
        Some(old) if key_day(old.at) == day => {
            let old_keys = old.band_keys();
            (old_keys.iter().copied().filter(|k| !new_keys.contains(k)).collect(), day, old_keys)
        }
        Some(old) => (old.band_keys(), key_day(old.at), Vec::new()),
        None => (Vec::new(), day, Vec::new()),
    };
    if !gone.is_empty() {
        tx.execute(
            &format!("DELETE FROM story_keys WHERE band_key IN {} AND day = ?2 AND article_id = ?3", tx.json_ints(1)),
            params![serde_json::to_string(&gone)?, gone_day, article_id],
        )?;
    }
    let mut added: Vec<i64> = new_keys.into_iter().filter(|k| !kept.contains(k)).collect();
    added.sort_unstable();
    added.dedup();
    if !added.is_empty() {
        let sql = format!(
            "INSERT INTO story_keys (band_key, day, article_id)
             SELECT k.value, CAST(?2 AS BIGINT), CAST(?3 AS BIGINT) FROM {} AS k WHERE true
             ON CONFLICT (band_key, day, article_id) DO NOTHING",
            tx.json_ints(1)
        );
        tx.execute(&sql, params![serde_json::to_string(&added)?, day, article_id])?;
    }
    Ok(())
}

impl Store {
    /// Groups an article (of source `source_id`) by its latest fingerprint and returns its
    /// story: a story it already shares with other articles is kept; otherwise it joins
    /// the story [`group::decide`] picks among the stories of the articles sharing one of
    /// its band keys, or starts one. One transaction: a lookup of the band keys, one of the
    /// candidates' members, then the writes.
    pub fn group_article(&self, article_id: i64, source_id: i64, fp: &Fingerprint, now: i64) -> Result<i64> {
        self.group_article_timed(article_id, source_id, fp, now, &mut GroupTimings::default())
    }

    /// [`Store::group_article`], saying where its time went.
    pub fn group_article_timed(
        &self,
        article_id: i64,
        source_id: i64,
        fp: &Fingerprint,
        now: i64,
        timings: &mut GroupTimings,
    ) -> Result<i64> {
        use std::time::Instant;
        let keys = serde_json::to_string(&fp.band_keys())?;
        *timings = GroupTimings::default();
        let start = Instant::now();
        self.conn().transaction(|tx| {
            timings.begin = start.elapsed();
            let t = Instant::now();
            let current = current_row(tx, article_id)?;
            let shared = match &current {
                Some((story, _)) => tx
                    .query_opt(
                        "SELECT 1 FROM story_articles WHERE story_id = ?1 AND article_id <> ?2 LIMIT 1",
                        params![*story, article_id],
                    )?
                    .is_some(),
                None => false,
            };
            let current_story = current.as_ref().map(|(story, _)| *story);
            let story_id = match (current_story, shared) {
                (Some(story), true) => {
                    timings.lookup = t.elapsed();
                    story
                }
                _ => {
                    // The stories sharing the most band keys, among articles of the time window:
                    // a true match shares many bands, a chance collision one or two. The keys
                    // are read by (key, day): only the window's days, whatever the archive holds.
                    let sql = format!(
                        "SELECT sa.story_id FROM story_keys k JOIN story_articles sa ON sa.article_id = k.article_id
                         WHERE k.band_key IN {} AND k.day BETWEEN ?6 AND ?7 AND k.article_id <> ?2
                            AND sa.at BETWEEN ?4 AND ?5
                         GROUP BY sa.story_id ORDER BY COUNT(*) DESC, sa.story_id LIMIT ?3",
                        tx.json_ints(1)
                    );
                    let window = (fp.at - group::WINDOW_SECS, fp.at + group::WINDOW_SECS);
                    let days = (key_day(window.0), key_day(window.1));
                    let stories: Vec<i64> = tx
                        .query(
                            &sql,
                            params![
                                &keys,
                                article_id,
                                MAX_CANDIDATE_STORIES as i64,
                                window.0,
                                window.1,
                                days.0,
                                days.1
                            ],
                        )?
                        .iter()
                        .map(|r| r.get(0))
                        .collect::<Result<_>>()?;
                    timings.lookup = t.elapsed();
                    let t = Instant::now();
                    let members = members_of(tx, &stories, fp, article_id)?;
                    timings.members = t.elapsed();
                    (timings.candidates, timings.compared) = (stories.len(), members.len());
                    let t = Instant::now();
                    let decision = group::decide(fp, source_id, &members);
                    timings.decide = t.elapsed();
                    let t = Instant::now();
                    let story = match decision {
                        Decision::New => match current_story {
                            Some(story) => story,
                            None => tx.scalar(
                                "INSERT INTO stories (created_at, updated_at) VALUES (?1, ?1) RETURNING id",
                                params![now],
                            )?,
                        },
                        Decision::Join { story_id, merged } => {
                            for old in merged.iter().copied().chain(current_story) {
                                tx.execute(
                                    "UPDATE story_articles SET story_id = ?1 WHERE story_id = ?2",
                                    params![story_id, old],
                                )?;
                                tx.execute("DELETE FROM stories WHERE id = ?1", params![old])?;
                            }
                            story_id
                        }
                    };
                    timings.writes = t.elapsed();
                    story
                }
            };
            let t = Instant::now();
            tx.execute(
                "INSERT INTO story_articles (article_id, story_id, source_id, at, shingles, entities, signatures, grouped_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (article_id) DO UPDATE SET story_id = excluded.story_id, source_id = excluded.source_id,
                    at = excluded.at, shingles = excluded.shingles, entities = excluded.entities,
                    signatures = excluded.signatures, grouped_at = excluded.grouped_at",
                params![
                    article_id,
                    story_id,
                    source_id,
                    fp.at,
                    fp.shingles as i64,
                    fp.entities as i64,
                    fp.encode_signatures(),
                    now
                ],
            )?;
            write_keys(tx, article_id, current.as_ref().and_then(|(_, old)| old.as_ref()), fp)?;
            tx.execute("UPDATE stories SET updated_at = ?1 WHERE id = ?2", params![now, story_id])?;
            timings.writes += t.elapsed();
            Ok(story_id)
        })
    }

    /// Stories of at least `min_articles` articles, the most recently joined first, a page
    /// of `limit` after skipping `offset`.
    pub fn stories(&self, min_articles: i64, limit: usize, offset: usize) -> Result<Vec<StoryRow>> {
        let sql = format!(
            "{STORY_SELECT} GROUP BY s.id, s.created_at, s.updated_at HAVING COUNT(sa.article_id) >= ?1
             ORDER BY s.updated_at DESC, s.id DESC LIMIT ?2 OFFSET ?3"
        );
        self.conn().query(&sql, params![min_articles, limit as i64, offset as i64])?.iter().map(story_row).collect()
    }

    /// One story.
    pub fn story(&self, id: i64) -> Result<Option<StoryRow>> {
        let sql = format!("{STORY_SELECT} WHERE s.id = ?1 GROUP BY s.id, s.created_at, s.updated_at");
        self.conn().query_opt(&sql, params![id])?.as_ref().map(story_row).transpose()
    }

    /// The story an article belongs to.
    pub fn story_of(&self, article_id: i64) -> Result<Option<i64>> {
        let row =
            self.conn().query_opt("SELECT story_id FROM story_articles WHERE article_id = ?1", params![article_id])?;
        row.map(|r| r.get(0)).transpose()
    }

    /// The articles of a story, earliest published first.
    pub fn story_members(&self, story_id: i64) -> Result<Vec<StoryMemberRow>> {
        let rows = self.conn().query(
            "SELECT sa.article_id, sa.story_id, sa.source_id, s.url, a.url, sa.at,
                (SELECT v.title FROM versions v WHERE v.article_id = sa.article_id ORDER BY v.number DESC LIMIT 1),
                a.first_seen
             FROM story_articles sa JOIN articles a ON a.id = sa.article_id JOIN sources s ON s.id = sa.source_id
             WHERE sa.story_id = ?1 ORDER BY sa.at, sa.article_id",
            params![story_id],
        )?;
        rows.iter().map(member_row).collect()
    }

    /// Every article of a story with all its versions and each version's edit kinds:
    /// what [`crate::story::compare::report`] reads.
    pub fn story_articles(&self, story_id: i64) -> Result<Vec<StoryArticle>> {
        let mut out = Vec::new();
        for m in self.story_members(story_id)? {
            let changes = self.changes(m.article_id)?;
            let versions = self
                .versions(m.article_id)?
                .into_iter()
                .map(|v| {
                    let kinds = changes
                        .iter()
                        .find(|c| c.to_number == v.number)
                        .map(|c| c.change.kinds.iter().map(|k| k.as_str().to_string()).collect())
                        .unwrap_or_default();
                    StoryVersion { number: v.number, fetched_at: v.fetched_at, article: v.article, kinds }
                })
                .collect::<Vec<_>>();
            if !versions.is_empty() {
                out.push(StoryArticle { article_id: m.article_id, source: m.source_url, url: m.url, versions });
            }
        }
        Ok(out)
    }
}

impl Db {
    /// Groups the article of a version just recorded into its story (its fingerprint
    /// from `article`, dated by its publication time or else `first_seen`). Never fails
    /// the check: grouping is an index built beside the versions, so a failure is logged
    /// and counted ([`story::GROUPING_FAILURES`]) and the version stands.
    pub async fn group_story(&self, article_id: i64, source_id: i64, article: Article, first_seen: i64, now: i64) {
        let outcome = self
            .write(move |s| {
                let fp = story::fingerprint(&article, story::published_at(&article).unwrap_or(first_seen));
                s.group_article(article_id, source_id, &fp, now)
            })
            .await;
        if let Err(error) = outcome {
            story::count_failure();
            tracing::warn!(article_id, %error, "Story grouping failed; the version is recorded.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, each_store};
    use crate::extract::Article;
    use crate::story::fingerprint;

    const BRIDGE: &str = "The Harbour Bridge in Port Carrow was closed on Monday after engineers found a crack \
        in its northern span. Mayor Ines Okafor said 1,200 commuters would use ferries. The Transport Authority \
        expects repairs to take 14 days and cost 3,500,000 dollars.";
    const BRIDGE_OTHER: &str = "Commuters in Port Carrow face a fortnight of ferries: the Harbour Bridge shut \
        after a crack appeared, and the Transport Authority puts the bill at 3,500,000 dollars. Mayor Ines Okafor \
        asked 1,200 daily drivers for patience while the 14 days of work go on.";
    const ELECTION: &str = "Voters in Lake Umber re-elected Governor Talia Brandt with 58 percent on Sunday, \
        while the Green Coalition doubled its seats to 24. Turnout reached 71 percent, the Electoral Board said.";

    fn fp(text: &str) -> crate::story::Fingerprint {
        fingerprint(&Article { paragraphs: vec![text.into()], ..Article::default() }, 1000)
    }

    /// Three sources; articles 1..=4: bridge (source 1), election (2), bridge (3), election copy (3).
    fn newsroom(store: &super::Store) -> Vec<i64> {
        let sources: Vec<_> = ["http://a/rss", "http://b/rss", "http://c/rss"].map(fixtures::source).to_vec();
        store.sync_config_sources(&sources, 0).unwrap();
        let ids: Vec<i64> = [(1, "http://a/1"), (2, "http://b/1"), (3, "http://c/1"), (3, "http://c/2")]
            .iter()
            .map(|(s, u)| store.ensure_article(*s, u, 0).unwrap().0)
            .collect();
        ids
    }

    #[test]
    fn articles_of_one_event_share_a_story_and_others_do_not() {
        each_store(|store| {
            let ids = newsroom(store);
            let bridge = store.group_article(ids[0], 1, &fp(BRIDGE), 10).unwrap();
            let election = store.group_article(ids[1], 2, &fp(ELECTION), 11).unwrap();
            assert_ne!(bridge, election);
            assert_eq!(store.group_article(ids[2], 3, &fp(BRIDGE_OTHER), 12).unwrap(), bridge);
            assert_eq!(store.group_article(ids[3], 3, &fp(ELECTION), 13).unwrap(), election);
            // Grouping again (a new version) keeps the story.
            assert_eq!(store.group_article(ids[2], 3, &fp(BRIDGE_OTHER), 14).unwrap(), bridge);
            assert_eq!(store.story_of(ids[2]).unwrap(), Some(bridge));
            let listed = store.stories(2, 10, 0).unwrap();
            assert_eq!(
                listed.iter().map(|s| (s.id, s.articles, s.sources)).collect::<Vec<_>>(),
                [(bridge, 2, 2), (election, 2, 2)]
            );
            let members = store.story_members(bridge).unwrap();
            assert_eq!(members.iter().map(|m| m.url.as_str()).collect::<Vec<_>>(), ["http://a/1", "http://c/1"]);
            assert_eq!(members[1].source_url, "http://c/rss");
            let bands: i64 = store.query_rows("SELECT COUNT(*) FROM story_keys", &[]).unwrap()[0].get(0).unwrap();
            assert_eq!(bands as usize, 4 * fp(BRIDGE).band_keys().len());
            assert!(store.story(election).unwrap().is_some());
            assert_eq!(store.stories(2, 10, 1).unwrap().len(), 1);
            assert!(store.stories(3, 10, 0).unwrap().is_empty());
            assert!(store.story(9999).unwrap().is_none());
        });
    }

    #[test]
    fn a_lone_article_that_later_matches_moves_into_the_story() {
        each_store(|store| {
            let ids = newsroom(store);
            let bridge = store.group_article(ids[0], 1, &fp(BRIDGE), 10).unwrap();
            let alone = store.group_article(ids[2], 3, &fp(ELECTION), 11).unwrap();
            assert_ne!(alone, bridge);
            // Its next version is about the bridge: it joins, and its empty story goes.
            assert_eq!(store.group_article(ids[2], 3, &fp(BRIDGE_OTHER), 12).unwrap(), bridge);
            assert!(store.story(alone).unwrap().is_none());
        });
    }

    #[test]
    fn a_regrouped_article_keeps_one_set_of_band_keys_dated_by_its_publication() {
        each_store(|store| {
            let ids = newsroom(store);
            let keys = || -> Vec<(i64, i64)> {
                let rows = store
                    .query_rows(
                        "SELECT band_key, day FROM story_keys WHERE article_id = ?1 ORDER BY band_key",
                        &[ids[0].into()],
                    )
                    .unwrap();
                rows.iter().map(|r| (r.get(0).unwrap(), r.get(1).unwrap())).collect()
            };
            let expected = |fp: &crate::story::Fingerprint| {
                let mut k: Vec<(i64, i64)> = fp.band_keys().into_iter().map(|k| (k, fp.at / 86_400)).collect();
                k.sort_unstable();
                k.dedup();
                k
            };
            let first = fp(BRIDGE);
            store.group_article(ids[0], 1, &first, 10).unwrap();
            assert_eq!(keys(), expected(&first));
            // A new version with other text: its keys replace the old ones, same day.
            let second = fp(BRIDGE_OTHER);
            store.group_article(ids[0], 1, &second, 20).unwrap();
            assert_eq!(keys(), expected(&second));
            // Its publication time moves two days on: the keys move to that day.
            let mut moved = fp(BRIDGE_OTHER);
            moved.at += 2 * 86_400;
            store.group_article(ids[0], 1, &moved, 30).unwrap();
            assert_eq!(keys(), expected(&moved));
            assert!(keys().iter().all(|&(_, day)| day == 2));
            // The same fingerprint again changes nothing.
            store.group_article(ids[0], 1, &moved, 40).unwrap();
            assert_eq!(keys(), expected(&moved));
        });
    }

    #[test]
    fn articles_published_too_far_apart_are_not_one_story() {
        each_store(|store| {
            let ids = newsroom(store);
            let first = store.group_article(ids[0], 1, &fp(BRIDGE), 10).unwrap();
            let mut later = fp(BRIDGE);
            later.at += crate::story::group::WINDOW_SECS + 1;
            assert_ne!(store.group_article(ids[2], 3, &later, 11).unwrap(), first);
        });
    }

    #[tokio::test]
    async fn a_failed_grouping_is_counted_and_loses_no_version() {
        let store = std::sync::Arc::new(super::Store::open_in_memory().unwrap());
        let aid = fixtures::with_first_version(&store);
        store.conn().batch("DROP TABLE story_keys").unwrap();
        let health = std::sync::Arc::new(crate::health::Health::default());
        let db = super::Db::new(std::sync::Arc::clone(&store), std::sync::Arc::clone(&health));
        let before = crate::story::GROUPING_FAILURES.load(std::sync::atomic::Ordering::Relaxed);
        let article = Article { paragraphs: vec![BRIDGE.into()], ..Article::default() };
        db.group_story(aid, 1, article, 10, 20).await;
        assert!(crate::story::GROUPING_FAILURES.load(std::sync::atomic::Ordering::Relaxed) > before);
        // The transaction rolled back whole: no half-grouped article, the version intact.
        assert_eq!(store.story_of(aid).unwrap(), None);
        assert_eq!(store.versions(aid).unwrap().len(), 1);
    }

    #[test]
    fn a_story_lists_its_articles_with_their_versions() {
        each_store(|store| {
            let aid = fixtures::with_first_version(store);
            fixtures::record_change(store, aid, 20, "two", vec![]).unwrap();
            let story = store.group_article(aid, 1, &fp(BRIDGE), 30).unwrap();
            let articles = store.story_articles(story).unwrap();
            assert_eq!(articles.len(), 1);
            let numbers: Vec<(i64, i64)> = articles[0].versions.iter().map(|v| (v.number, v.fetched_at)).collect();
            assert_eq!(numbers, [(1, 10), (2, 20)]);
            assert_eq!(articles[0].versions[1].article.paragraphs, ["two"]);
            assert_eq!(articles[0].source, "https://a/rss");
        });
    }
}
