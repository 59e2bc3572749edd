//! The check's steps of issue 15, the only part of [`crate::signals`] with I/O:
//! keeping one story one article (a page that names another canonical URL is
//! folded into the article of that URL, or moved to it, before anything of it
//! is recorded; the AMP route a canonical page names becomes its alias), and
//! comparing a page's headlines with the last version's.

use chrono::{DateTime, Utc};
use tracing::info;

use super::canonical::PageLinks;
use super::headlines::{self, Headlines};
use crate::check::{Ctx, Outcome};
use crate::diff::Change;
use crate::store::{ArticleRow, FetchLogEntry, Fold, StoreError};

/// Headlines as stored (JSON); unreadable ones read as none.
fn parse(json: &str) -> Headlines {
    serde_json::from_str(json).unwrap_or_default()
}

impl Ctx {
    /// Folds `article` by the links its page gave. Some(outcome) when the check
    /// ends here (the page is another route of a story: nothing of it is
    /// recorded, the fetch is logged as `folded`); None when it goes on.
    pub(crate) async fn fold_routes(
        &self,
        article: &ArticleRow,
        links: PageLinks,
        now: DateTime<Utc>,
        mut log: FetchLogEntry,
    ) -> Result<Option<Outcome>, StoreError> {
        let (id, url, at) = (article.id, article.url.clone(), now.timestamp());
        if let Some(canonical) = links.canonical.filter(|c| *c != article.url) {
            log.outcome = "folded".into();
            let target = canonical.clone();
            let fold = self
                .db
                .write(move |s| {
                    let fold = s.fold_article(id, &url, &target, at)?;
                    if fold != Fold::Kept {
                        s.log_fetch(&log)?;
                    }
                    Ok(fold)
                })
                .await?;
            match fold {
                Fold::Kept => {}
                Fold::Into(other) => {
                    info!(url = %article.url, %canonical, into = other, "Another route of a known article: folded into it.");
                    return Ok(Some(Outcome::Unchanged));
                }
                Fold::Renamed => {
                    info!(url = %article.url, %canonical, "The page names its canonical URL: the article moves there.");
                    return Ok(Some(Outcome::Unchanged));
                }
            }
        }
        if let Some(amp) = links.amp.filter(|a| *a != article.url) {
            self.db.write(move |s| s.add_aliases(id, &[amp], at)).await?;
        }
        Ok(None)
    }

    /// Whether the page's headlines say what the last version's did (true when
    /// that version has none recorded: nothing to compare).
    pub(crate) async fn same_headlines(
        &self,
        article_id: i64,
        now: &Headlines,
        ignore: &[regex::Regex],
    ) -> Result<bool, StoreError> {
        let Some(stored) = self.db.read(move |s| s.latest_headlines(article_id)).await? else { return Ok(true) };
        Ok(headlines::moved(&parse(&stored), now, &[], 0, ignore).is_empty())
    }

    /// `change` with the headline sources that moved since the last version, an
    /// alternation within the day marked as a `headline_test`.
    pub(crate) async fn with_headlines(
        &self,
        change: Change,
        article_id: i64,
        now: &Headlines,
        at: DateTime<Utc>,
        ignore: &[regex::Regex],
    ) -> Result<Change, StoreError> {
        let (at, since) = (at.timestamp(), at.timestamp() - headlines::TEST_WINDOW_SECS);
        let (latest, history) = self
            .db
            .read(move |s| Ok((s.latest_headlines(article_id)?, s.headline_history(article_id, since)?)))
            .await?;
        let Some(latest) = latest else { return Ok(change) };
        let history: Vec<(i64, Headlines)> = history.iter().map(|(t, json)| (*t, parse(json))).collect();
        Ok(headlines::with_moved(change, &headlines::moved(&parse(&latest), now, &history, at, ignore)))
    }
}
