//! Which changes alert, and the outbox rows a change that alerts becomes:
//! one per channel, its body fixed now so that every retry sends the same bytes;
//! and the archive submission every new version gets.

use chrono::{DateTime, Utc};
use tracing::debug;

use super::archive::ArchiveJob;
use super::{Event, Sender, event_data, new_event_id};
use crate::config::{AlertRules, ChannelRule};
use crate::diff::{Change, EditKind};
use crate::store::{ARTICLE_CHANGED, NewDelivery, VERSION_ARCHIVE};

/// The article a change belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Its row id, for the link into the web UI.
    pub article_id: i64,
    /// Its URL.
    pub url: &'a str,
    /// The watch it came from.
    pub source_url: &'a str,
    /// Its headline in the new version.
    pub title: Option<&'a str>,
}

/// Whether a change passes the alert rules: the watch's own, else the global
/// ones. Without a list of kinds, every change alerts except a typo-only one.
pub fn should_alert(change: &Change, watch: &AlertRules, global: &AlertRules) -> bool {
    let min = watch.min_significance.or(global.min_significance).unwrap_or(0.0);
    if change.significance < min {
        return false;
    }
    match watch.kinds.as_ref().or(global.kinds.as_ref()) {
        Some(kinds) => change.kinds.iter().any(|k| kinds.contains(k)),
        None => !change.kinds.iter().all(|k| *k == EditKind::Typo),
    }
}

/// Whether a change that passed the watch's and global rules also passes a
/// bot channel's own: its kinds (any of them) and its minimum significance.
pub fn passes_channel_rule(change: &Change, rule: &ChannelRule) -> bool {
    change.significance >= rule.min_significance.unwrap_or(0.0)
        && rule.kinds.as_ref().is_none_or(|kinds| change.kinds.iter().any(|k| kinds.contains(k)))
}

/// The outbox rows of a change: none when it does not pass the rules (the
/// watch's, else `global`), else one per channel of `sender` whose own rule it
/// passes, each with a fresh event id; a digest channel's row is first due
/// when its window closes.
pub fn outbox_rows(
    sender: &Sender,
    change: &Change,
    (watch, global): (&AlertRules, &AlertRules),
    subject: Subject<'_>,
    versions: (i64, i64),
    web_base_url: &str,
    now: DateTime<Utc>,
) -> Vec<NewDelivery> {
    if !should_alert(change, watch, global) {
        debug!(url = %subject.url, summary = %change.summary, "Change below the alert rules: recorded, not sent.");
        return Vec::new();
    }
    let diff_url = format!("{web_base_url}/articles/{}/versions/{}", subject.article_id, versions.1);
    let data = event_data(change, subject.url, subject.title, subject.source_url, versions, diff_url);
    let event = Event::article_changed(data, now);
    sender
        .channels()
        .into_iter()
        .filter(|channel| sender.channel_rule(channel).is_none_or(|rule| passes_channel_rule(change, rule)))
        .map(|channel| {
            let window = sender.digest_window(&channel).unwrap_or_default();
            NewDelivery {
                payload: sender.payload(&channel, &event, change),
                event: ARTICLE_CHANGED,
                event_id: new_event_id(),
                next_attempt: now.timestamp() + window.as_secs() as i64,
                channel,
            }
        })
        .collect()
}

/// The Save Page Now submission of a new version (first or not, whatever the alert
/// rules), when `[archive]` is set.
pub fn archive_row(sender: &Sender, subject: Subject<'_>, version: i64, now: DateTime<Utc>) -> Option<NewDelivery> {
    let channel = sender.archive_channel()?;
    let job = ArchiveJob { url: subject.url.to_string(), article_id: subject.article_id, version };
    Some(NewDelivery {
        channel,
        event: VERSION_ARCHIVE,
        event_id: new_event_id(),
        payload: serde_json::to_string(&job).expect("job serializes"),
        next_attempt: now.timestamp(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_rules() {
        let change =
            |kinds: Vec<EditKind>, significance| Change { changed: true, kinds, significance, ..Change::default() };
        let none = AlertRules::default();
        assert!(should_alert(&change(vec![EditKind::Addition], 0.2), &none, &none));
        assert!(!should_alert(&change(vec![EditKind::Typo], 0.01), &none, &none), "typo-only is quiet by default");
        let notes_only =
            AlertRules { kinds: Some(vec![EditKind::EditorsNote, EditKind::Correction]), min_significance: None };
        assert!(!should_alert(&change(vec![EditKind::Addition], 0.5), &none, &notes_only));
        assert!(should_alert(&change(vec![EditKind::EditorsNote], 0.5), &none, &notes_only));
        let watch = AlertRules { kinds: Some(vec![EditKind::Typo]), min_significance: Some(0.0) };
        assert!(should_alert(&change(vec![EditKind::Typo], 0.01), &watch, &notes_only), "the watch's rules win");
        let strict = AlertRules { kinds: None, min_significance: Some(0.3) };
        assert!(!should_alert(&change(vec![EditKind::Addition], 0.2), &strict, &none));
    }

    #[test]
    fn bot_channels_post_only_what_their_rule_lets_through() {
        let toml = "[[webhook]]\nurl = \"https://hooks.example/a\"\n[[channel]]\ntype = \"ntfy\"\nurl = \"https://ntfy.example/t\"\nkinds = [\"correction\"]\n[[channel]]\ntype = \"matrix\"\nhomeserver = \"https://m.example\"\nroom = \"!r:m.example\"\ntoken = \"t\"\nmin_significance = 0.5\n";
        let config = crate::config::Config::parse(toml, std::path::Path::new("t.toml")).unwrap();
        let sender = Sender::new(&config).unwrap();
        let subject = Subject { article_id: 1, url: "https://e.com/a", source_url: "https://e.com/a", title: None };
        let none = AlertRules::default();
        let now = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let channels = |kinds: Vec<EditKind>, significance: f64| -> Vec<String> {
            let change = Change { changed: true, kinds, significance, ..Change::default() };
            outbox_rows(&sender, &change, (&none, &none), subject, (1, 2), "http://x", now)
                .into_iter()
                .map(|r| r.channel)
                .collect()
        };
        assert_eq!(channels(vec![EditKind::Addition], 0.2), ["webhook:hooks.example#f318d4b4"]);
        assert_eq!(channels(vec![EditKind::Correction, EditKind::Addition], 0.2).len(), 2, "ntfy gets corrections");
        assert_eq!(
            channels(vec![EditKind::Addition], 0.6),
            ["webhook:hooks.example#f318d4b4", "matrix:!r:m.example"],
            "Matrix gets significant changes"
        );
        let rows = outbox_rows(
            &sender,
            &Change { changed: true, kinds: vec![EditKind::Correction], significance: 0.9, ..Change::default() },
            (&none, &none),
            subject,
            (1, 2),
            "http://x",
            now,
        );
        let post: crate::alert::bots::Post = serde_json::from_str(&rows[1].payload).unwrap();
        assert!(post.text.ends_with("http://x/articles/1/versions/2"), "{}", post.text);
        assert!(post.change.is_none(), "ntfy attaches no card: no change kept for one");
    }

    #[test]
    fn a_change_that_alerts_gets_one_row_per_channel_with_its_own_id() {
        let toml = "[[webhook]]\nurl = \"https://hooks.example/a\"\n[[email]]\nsmtp = \"smtp://127.0.0.1:2525\"\nfrom = \"r@example.com\"\nto = [\"d@example.com\"]\ndigest = \"30m\"\n";
        let config = crate::config::Config::parse(toml, std::path::Path::new("t.toml")).unwrap();
        let sender = Sender::new(&config).unwrap();
        let change = Change { changed: true, kinds: vec![EditKind::Headline], significance: 0.4, ..Change::default() };
        let subject =
            Subject { article_id: 7, url: "https://e.com/a", source_url: "https://e.com/rss", title: Some("T") };
        let none = AlertRules::default();
        let now = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let rows = outbox_rows(&sender, &change, (&none, &none), subject, (1, 2), "http://127.0.0.1:8080", now);
        assert_eq!(rows.len(), 2);
        assert_ne!(rows[0].event_id, rows[1].event_id);
        assert!(rows[0].payload.contains("http://127.0.0.1:8080/articles/7/versions/2"), "{}", rows[0].payload);
        assert_eq!(rows[0].next_attempt, 1_000_000, "a webhook is due at once");
        assert_eq!(rows[1].next_attempt, 1_000_000 + 1800, "a digest waits for its window");
        let typo = Change { kinds: vec![EditKind::Typo], ..change };
        assert!(outbox_rows(&sender, &typo, (&none, &none), subject, (1, 2), "http://x", now).is_empty());
    }
}
