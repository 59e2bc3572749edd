//! When each source and article is due: fixed intervals and cron expressions,
//! jitter, and backoff after failures. Pure: the caller passes the clock.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::{RevisitStep, Schedule};

pub mod hosts;
pub mod polite;
pub mod shared_hosts;

/// First delay after a failed check; doubles with each consecutive failure.
pub const FAILURE_BACKOFF_BASE: Duration = Duration::from_secs(60);
/// Longest delay after failures.
pub const FAILURE_BACKOFF_MAX: Duration = Duration::from_secs(6 * 3600);

/// When a check that just succeeded at `now` is next due. `jitter` in [0, 1)
/// spreads checks of the same interval over ±5% so they do not arrive together.
pub fn next_check(schedule: &Schedule, now: DateTime<Utc>, jitter: f64) -> DateTime<Utc> {
    match schedule {
        Schedule::Every(every) => now + to_chrono(every.mul_f64(0.95 + jitter * 0.1)),
        Schedule::Cron(cron) => cron.after(&now).next().unwrap_or(now + chrono::Duration::days(1)),
    }
}

/// When an article on an adaptive plan is next due: the interval of the first
/// step its age is under, age counted from publication or from its last change
/// (an edited article is young again). None once it is older than the last step.
pub fn next_revisit(
    plan: &[RevisitStep],
    born: DateTime<Utc>,
    last_changed: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    jitter: f64,
) -> Option<DateTime<Utc>> {
    let since = last_changed.map_or(born, |c| c.max(born));
    let age = (now - since).to_std().unwrap_or_default();
    let step = plan.iter().find(|s| age < s.until)?;
    Some(now + to_chrono(step.every.mul_f64(0.95 + jitter * 0.1)))
}

/// What the revisit policy needs to know of an article.
#[derive(Debug, Clone, Copy)]
pub struct ArticleAge {
    /// When it was discovered.
    pub first_seen: DateTime<Utc>,
    /// Its publication date, when the page gives one.
    pub published: Option<DateTime<Utc>>,
    /// When it last changed (now, if this check found a change).
    pub last_changed: Option<DateTime<Utc>>,
    /// The latest time a listing gave it (a feed's `updated`, a sitemap's `lastmod`).
    pub listed: Option<DateTime<Utc>>,
}

impl ArticleAge {
    /// The last sign of life: discovery, a change, or a listing time.
    fn last_sign_of_life(&self) -> DateTime<Utc> {
        self.first_seen.max(self.last_changed.unwrap_or(self.first_seen)).max(self.listed.unwrap_or(self.first_seen))
    }
}

/// When an article is next due after a check at `now`: on its watch's revisit
/// plan by age (from publication or discovery, whichever is earlier, or from its
/// last sign of life: a change or a newer listing time makes it young again),
/// else on the watch's `every`/`cron`.
///
/// An article older than the whole plan stays on the plan's slow tail (its last
/// interval) until it has shown no sign of life (discovery, change, listing time)
/// for as long as the plan's last age: an article first seen old is revisited
/// for that long before it is retired. None once that stretch has passed.
pub fn next_due(
    schedule: &Schedule,
    revisit: Option<&[RevisitStep]>,
    age: ArticleAge,
    now: DateTime<Utc>,
    jitter: f64,
) -> Option<DateTime<Utc>> {
    let Some(plan) = revisit else {
        return Some(next_check(schedule, now, jitter));
    };
    let born = age.published.map_or(age.first_seen, |p| p.min(age.first_seen));
    let young_since = age.last_changed.max(age.listed);
    if let Some(next) = next_revisit(plan, born, young_since, now, jitter) {
        return Some(next);
    }
    let tail = plan.last()?;
    let quiet = (now - age.last_sign_of_life()).to_std().unwrap_or_default();
    (quiet < tail.until).then(|| now + to_chrono(tail.every.mul_f64(0.95 + jitter * 0.1)))
}

/// When a check that failed for the `failures`-th time in a row is retried:
/// exponential backoff with ±10% jitter, never sooner than the server asked.
pub fn next_retry(failures: u32, retry_after: Option<Duration>, now: DateTime<Utc>, jitter: f64) -> DateTime<Utc> {
    let exponent = failures.saturating_sub(1).min(16);
    let backoff = FAILURE_BACKOFF_BASE.saturating_mul(1 << exponent).min(FAILURE_BACKOFF_MAX);
    let delay = backoff.mul_f64(0.9 + jitter * 0.2).max(retry_after.unwrap_or_default());
    now + to_chrono(delay)
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(365))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_cron;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn every_adds_the_interval_within_jitter() {
        let now = at("2026-01-01T00:00:00Z");
        let s = Schedule::Every(Duration::from_secs(600));
        assert_eq!(next_check(&s, now, 0.5), at("2026-01-01T00:10:00Z"));
        assert_eq!(next_check(&s, now, 0.0), at("2026-01-01T00:09:30Z"));
    }

    #[test]
    fn cron_gives_the_next_matching_time() {
        let s = Schedule::Cron(Box::new(parse_cron("0 */15 * * * *").unwrap()));
        assert_eq!(next_check(&s, at("2026-01-01T10:07:12Z"), 0.3), at("2026-01-01T10:15:00Z"));
    }

    #[test]
    fn revisits_slow_down_with_age_and_speed_up_after_a_change() {
        let plan = crate::config::DEFAULT_REVISIT;
        let born = at("2026-01-01T00:00:00Z");
        let next = |now: &str, changed: Option<&str>| {
            next_revisit(&plan, born, changed.map(at), at(now), 0.5).map(|t| (t - at(now)).num_minutes())
        };
        assert_eq!(next("2026-01-01T01:00:00Z", None), Some(5));
        assert_eq!(next("2026-01-01T07:00:00Z", None), Some(30));
        assert_eq!(next("2026-01-05T00:00:00Z", None), Some(6 * 60));
        assert_eq!(next("2026-02-01T00:00:00Z", None), Some(24 * 60));
        assert_eq!(next("2026-03-15T00:00:00Z", None), None, "retired after 60 days");
        assert_eq!(next("2026-01-05T00:00:00Z", Some("2026-01-04T23:00:00Z")), Some(5), "young again after a change");
    }

    #[test]
    fn next_due_follows_the_plan_from_the_earlier_of_publication_and_discovery() {
        let every = Schedule::Every(Duration::from_secs(600));
        let plan = crate::config::DEFAULT_REVISIT;
        let now = at("2026-01-10T00:00:00Z");
        let minutes = |t: Option<DateTime<Utc>>| t.map(|t| (t - now).num_minutes());
        let age = |published: Option<&str>, changed: Option<&str>| ArticleAge {
            first_seen: at("2026-01-09T23:00:00Z"),
            published: published.map(at),
            last_changed: changed.map(at),
            listed: None,
        };
        assert_eq!(minutes(next_due(&every, None, age(None, None), now, 0.5)), Some(10), "no plan: the interval");
        assert_eq!(minutes(next_due(&every, Some(&plan), age(None, None), now, 0.5)), Some(5), "seen an hour ago");
        let old = age(Some("2026-01-02T00:00:00Z"), None);
        assert_eq!(minutes(next_due(&every, Some(&plan), old, now, 0.5)), Some(6 * 60), "published 8 days ago");
        let ancient = age(Some("2025-06-01T00:00:00Z"), None);
        assert_eq!(
            minutes(next_due(&every, Some(&plan), ancient, now, 0.5)),
            Some(24 * 60),
            "first seen old: the tail"
        );
        let edited = age(Some("2025-06-01T00:00:00Z"), Some("2026-01-09T23:30:00Z"));
        assert_eq!(minutes(next_due(&every, Some(&plan), edited, now, 0.5)), Some(5), "young again after a change");
    }

    #[test]
    fn an_article_first_seen_old_stays_on_the_slow_tail_until_a_quiet_stretch_and_signs_of_life_make_it_young() {
        let every = Schedule::Every(Duration::from_secs(600));
        let plan = crate::config::DEFAULT_REVISIT;
        let first_seen = at("2026-01-01T00:00:00Z");
        // Published 400 days before it was first seen.
        let published = Some(at("2024-11-28T00:00:00Z"));
        let age = |changed: Option<&str>, listed: Option<&str>| ArticleAge {
            first_seen,
            published,
            last_changed: changed.map(at),
            listed: listed.map(at),
        };
        let next = |now: &str, age: ArticleAge| {
            next_due(&every, Some(&plan), age, at(now), 0.5).map(|t| (t - at(now)).num_minutes())
        };
        assert_eq!(next("2026-01-01T00:00:00Z", age(None, None)), Some(24 * 60), "the slow tail at first sight");
        assert_eq!(next("2026-02-25T00:00:00Z", age(None, None)), Some(24 * 60), "55 quiet days: still watched");
        assert_eq!(next("2026-03-02T00:00:00Z", age(None, None)), None, "60 quiet days: retired");
        // A listing time a week ago: young again (the plan's third step), and retirement postponed.
        let listed = age(None, Some("2026-02-23T00:00:00Z"));
        assert_eq!(next("2026-03-02T00:00:00Z", listed), Some(6 * 60), "a newer listing time: young again");
        let changed = age(Some("2026-03-01T23:00:00Z"), None);
        assert_eq!(next("2026-03-02T00:00:00Z", changed), Some(5), "a change: young again");
        // An old listing time (before discovery) is no sign of life.
        assert_eq!(next("2026-03-02T00:00:00Z", age(None, Some("2025-05-01T00:00:00Z"))), None);
        // Articles born on the plan retire exactly as before: at the end of the plan.
        let fresh = ArticleAge { first_seen, published: None, last_changed: None, listed: None };
        assert_eq!(next("2026-02-25T00:00:00Z", fresh), Some(24 * 60));
        assert_eq!(next("2026-03-02T00:00:00Z", fresh), None);
    }

    #[test]
    fn backoff_doubles_caps_and_honours_retry_after() {
        let now = at("2026-01-01T00:00:00Z");
        assert_eq!(next_retry(1, None, now, 0.5), at("2026-01-01T00:01:00Z"));
        assert_eq!(next_retry(3, None, now, 0.5), at("2026-01-01T00:04:00Z"));
        assert_eq!(next_retry(40, None, now, 0.5), at("2026-01-01T06:00:00Z"));
        assert_eq!(next_retry(1, Some(Duration::from_secs(3600)), now, 0.5), at("2026-01-01T01:00:00Z"));
    }
}
