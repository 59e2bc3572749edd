//! Full-text search over headlines and text: FTS5 on SQLite, PostgreSQL's text
//! search otherwise, from the words a person typed.

use super::schema::PG_SEARCH_DOCUMENT;
use super::sql::{Engine, params};
use super::{Result, Store};

/// A full-text search hit: the newest matching version of one article.
#[derive(Debug, Clone)]
pub struct SearchHit {
    /// Its article.
    pub article_id: i64,
    /// The article URL.
    pub url: String,
    /// The matching version.
    pub number: i64,
    /// When it was fetched.
    pub fetched_at: i64,
    /// Its headline.
    pub title: Option<String>,
    /// Matching text, the matches between U+E000 and U+E001, paragraphs as stored (JSON).
    pub snippet: String,
}

impl Store {
    /// Full-text search over headlines and text: the newest matching version of
    /// each article, newest first. FTS5 on SQLite, PostgreSQL's text search (the
    /// `simple` configuration: no stemming, as FTS5's default tokenizer) otherwise.
    pub fn search(&self, query: &SearchQuery, limit: usize) -> Result<Vec<SearchHit>> {
        let mut conn = self.conn();
        // Several versions of one article match alike: read a few pages' worth, keep each article's newest.
        let rows = match conn.engine() {
            Engine::Sqlite => conn.query(
                "SELECT v.article_id, a.url, v.number, v.fetched_at, v.title,
                        snippet(versions_fts, -1, char(57344), char(57345), '…', 24)
                 FROM versions_fts JOIN versions v ON v.id = versions_fts.rowid JOIN articles a ON a.id = v.article_id
                 WHERE versions_fts MATCH ?1 ORDER BY versions_fts.rowid DESC LIMIT ?2",
                params![query.fts5(), limit * 8],
            )?,
            Engine::Postgres => conn.query(
                &format!(
                    "SELECT v.article_id, a.url, v.number, v.fetched_at, v.title,
                            ts_headline('simple', COALESCE(v.title, '') || ' ' || v.paragraphs, q, ?3)
                     FROM versions v JOIN articles a ON a.id = v.article_id, to_tsquery('simple', ?1) q
                     WHERE {PG_SEARCH_DOCUMENT} @@ q ORDER BY v.id DESC LIMIT ?2"
                ),
                params![
                    query.tsquery(),
                    limit * 8,
                    "StartSel=\u{e000}, StopSel=\u{e001}, MaxWords=24, MinWords=12, MaxFragments=1, FragmentDelimiter=…"
                ],
            )?,
        };
        let mut seen = std::collections::HashSet::new();
        let mut hits = Vec::new();
        for r in &rows {
            let hit = SearchHit {
                article_id: r.get(0)?,
                url: r.get(1)?,
                number: r.get(2)?,
                fetched_at: r.get(3)?,
                title: r.get(4)?,
                snippet: r.get(5)?,
            };
            if seen.insert(hit.article_id) {
                hits.push(hit);
                if hits.len() == limit {
                    break;
                }
            }
        }
        Ok(hits)
    }
}

/// What a person searches for: words, all required, the last one as a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    words: Vec<String>,
}

impl SearchQuery {
    /// As an FTS5 query: each word quoted (so FTS5 operators and punctuation are
    /// plain text), the last one as a prefix.
    pub fn fts5(&self) -> String {
        let quoted: Vec<String> = self.words.iter().map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect();
        format!("{}*", quoted.join(" "))
    }

    /// As a PostgreSQL `to_tsquery`: the letters and digits of each word as terms
    /// joined by `&` (nothing else is left to be an operator), the last one as a prefix.
    pub fn tsquery(&self) -> String {
        let terms: Vec<&str> =
            self.words.iter().flat_map(|w| w.split(|c: char| !c.is_alphanumeric())).filter(|t| !t.is_empty()).collect();
        format!("{}:*", terms.join(" & "))
    }
}

/// Turns what a person typed into a search: its words (letters, digits, inner `'`
/// and `-`), at most 16. None when nothing searchable is left.
pub fn fts_query(text: &str) -> Option<SearchQuery> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .map(|w| w.trim_matches(|c: char| c == '\'' || c == '-'))
        .filter(|w| !w.is_empty())
        .take(16)
        .map(str::to_string)
        .collect();
    (!words.is_empty()).then_some(SearchQuery { words })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::{each_store, two_versions};

    #[test]
    fn search_finds_the_newest_matching_version_and_survives_operators() {
        each_store(|store| {
            let aid = two_versions(store);
            let q = fts_query("mayor").unwrap();
            let hits = store.search(&q, 10).unwrap();
            assert_eq!(hits.len(), 1, "one hit per article");
            assert_eq!((hits[0].article_id, hits[0].number), (aid, 2));
            assert!(hits[0].snippet.contains('\u{e000}'), "{}", hits[0].snippet);
            assert!(store.search(&fts_query("zebra").unwrap(), 10).unwrap().len() == 1, "prefix match");
            assert!(store.search(&fts_query("AND OR NEAR( \"x").unwrap(), 10).unwrap().is_empty());
            assert_eq!(fts_query("  ;; "), None);
        });
    }
}
