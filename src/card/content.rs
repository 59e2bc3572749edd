//! What a card says about a change (pure): the outlet, the headline, when, the summary, and
//! the changed sentences as marked runs; and the same as alt text for people who cannot see it.

use chrono::{DateTime, Utc};

use super::CardData;
use super::layout::clean;
use crate::diff::{Block, Change, FieldChange, SegOp, Segment, SentenceOp};
use crate::store::ChangeRow;

/// Alt text is kept under this many characters (Mastodon takes 1500).
const ALT_MAX: usize = 1000;

impl CardData {
    /// The card of `change`, an edit of the article at `article_url` recorded at `recorded_at`
    /// (unix seconds).
    pub fn from_change(article_url: &str, recorded_at: i64, change: &Change) -> CardData {
        let headline = change
            .title
            .clone()
            .or_else(|| change.headline.as_ref().and_then(|h| h.new.clone()))
            .filter(|t| !clean(t).is_empty())
            .unwrap_or_else(|| article_url.to_string());
        CardData {
            outlet: outlet(article_url),
            headline,
            when: DateTime::<Utc>::from_timestamp(recorded_at, 0)
                .map(|d| d.format("%-d %b %Y, %H:%M UTC").to_string())
                .unwrap_or_default(),
            summary: if change.changed { change.summary.clone() } else { "No change".into() },
            paragraphs: paragraphs(change),
        }
    }

    /// The card of a stored change of the article at `article_url`; `title`, the article's
    /// headline, stands in when the change does not carry one.
    pub fn for_row(article_url: &str, title: Option<&str>, row: &ChangeRow) -> CardData {
        let mut data = CardData::from_change(article_url, row.created_at, &row.change);
        if row.change.title.is_none()
            && let Some(t) = title.filter(|t| !clean(t).is_empty())
        {
            data.headline = t.to_string();
        }
        data
    }

    /// The card in words: outlet, headline, when, summary, then what was removed and added.
    pub fn alt_text(&self) -> String {
        let mut out = format!("Edit of an article on {}: {}.", clean(&self.outlet), clean(&self.headline));
        if !self.when.is_empty() {
            out.push_str(&format!(" Recorded {}.", clean(&self.when)));
        }
        if !clean(&self.summary).is_empty() {
            out.push_str(&format!(" {}.", clean(&self.summary).trim_end_matches('.')));
        }
        for (op, label) in [(SegOp::Del, "Removed"), (SegOp::Ins, "Added")] {
            let runs: Vec<String> = self
                .paragraphs
                .iter()
                .flatten()
                .filter(|s| s.op == op)
                .map(|s| clean(&s.text))
                .filter(|t| !t.is_empty())
                .collect();
            if !runs.is_empty() {
                out.push_str(&format!(" {label}: “{}”.", runs.join("”, “")));
            }
        }
        shorten(&out, ALT_MAX)
    }
}

/// `s` cut to at most `max` characters, ending with "…" when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// The site an article is on: its host without "www.".
pub(crate) fn outlet(url: &str) -> String {
    let host = url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string));
    match host {
        Some(h) => h.strip_prefix("www.").unwrap_or(&h).to_string(),
        None => url.to_string(),
    }
}

fn run(op: SegOp, text: &str) -> Segment {
    Segment { op, text: text.to_string() }
}

/// A metadata field's move as one paragraph: "Headline: old new".
fn field(label: &str, f: &FieldChange) -> Option<Vec<Segment>> {
    if f.old == f.new {
        return None;
    }
    let mut p = vec![run(SegOp::Same, &format!("{label}: "))];
    if let Some(old) = &f.old {
        p.push(run(SegOp::Del, old));
    }
    if let Some(new) = &f.new {
        if f.old.is_some() {
            p.push(run(SegOp::Same, " "));
        }
        p.push(run(SegOp::Ins, new));
    }
    Some(p)
}

/// The changed sentences, one paragraph per changed paragraph, in reading order; metadata
/// moves first. A change stored without blocks shows its removed and added sentences.
fn paragraphs(change: &Change) -> Vec<Vec<Segment>> {
    let mut out: Vec<Vec<Segment>> = [
        ("Headline", &change.headline),
        ("Byline", &change.byline),
        ("Published", &change.published),
        ("Modified", &change.modified),
    ]
    .into_iter()
    .filter_map(|(label, f)| f.as_ref().and_then(|f| field(label, f)))
    .collect();
    for block in &change.blocks {
        match block {
            Block::Added { text } => out.push(vec![run(SegOp::Ins, text)]),
            Block::Removed { text } => out.push(vec![run(SegOp::Del, text)]),
            Block::Changed { sentences, .. } => {
                let mut p: Vec<Segment> = Vec::new();
                for s in sentences {
                    let runs = match s {
                        SentenceOp::Same { .. } => continue,
                        SentenceOp::Added { text } => vec![run(SegOp::Ins, text)],
                        SentenceOp::Removed { text } => vec![run(SegOp::Del, text)],
                        SentenceOp::Changed { segments } => segments.clone(),
                    };
                    if !p.is_empty() {
                        p.push(run(SegOp::Same, " "));
                    }
                    p.extend(runs);
                }
                if !p.is_empty() {
                    out.push(p);
                }
            }
            Block::Same { .. } | Block::MovedOut { .. } | Block::MovedIn { .. } => {}
        }
    }
    if change.blocks.is_empty() {
        out.extend(change.removed.iter().map(|s| vec![run(SegOp::Del, s)]));
        out.extend(change.added.iter().map(|s| vec![run(SegOp::Ins, s)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change() -> Change {
        Change {
            changed: true,
            summary: "1 sentence reworded".into(),
            title: Some("Bridge closes".into()),
            headline: Some(FieldChange { old: Some("Bridge may close".into()), new: Some("Bridge closes".into()) }),
            blocks: vec![
                Block::Same { text: "Unchanged paragraph.".into() },
                Block::Changed {
                    sentences: vec![
                        SentenceOp::Same { text: "Kept.".into() },
                        SentenceOp::Changed {
                            segments: vec![
                                run(SegOp::Same, "The toll is "),
                                run(SegOp::Del, "12"),
                                run(SegOp::Ins, "14"),
                            ],
                        },
                        SentenceOp::Added { text: "Police said more.".into() },
                    ],
                    moved_from: None,
                },
                Block::Added { text: "A new paragraph.".into() },
                Block::Removed { text: "An old paragraph.".into() },
            ],
            ..Change::default()
        }
    }

    #[test]
    fn only_changed_sentences_are_shown_with_their_marks() {
        let data = CardData::from_change("https://www.news.example/a/1", 1_795_000_000, &change());
        assert_eq!(data.outlet, "news.example");
        assert_eq!(data.headline, "Bridge closes");
        assert!(data.when.ends_with("UTC"), "{}", data.when);
        let ops: Vec<Vec<(SegOp, &str)>> =
            data.paragraphs.iter().map(|p| p.iter().map(|s| (s.op, s.text.as_str())).collect()).collect();
        assert_eq!(
            ops,
            vec![
                vec![
                    (SegOp::Same, "Headline: "),
                    (SegOp::Del, "Bridge may close"),
                    (SegOp::Same, " "),
                    (SegOp::Ins, "Bridge closes")
                ],
                vec![
                    (SegOp::Same, "The toll is "),
                    (SegOp::Del, "12"),
                    (SegOp::Ins, "14"),
                    (SegOp::Same, " "),
                    (SegOp::Ins, "Police said more."),
                ],
                vec![(SegOp::Ins, "A new paragraph.")],
                vec![(SegOp::Del, "An old paragraph.")],
            ]
        );
    }

    #[test]
    fn alt_text_says_what_was_removed_and_added_and_is_bounded() {
        let data = CardData::from_change("https://news.example/a/1", 1_795_000_000, &change());
        let alt = data.alt_text();
        assert!(alt.starts_with("Edit of an article on news.example: Bridge closes. Recorded "), "{alt}");
        assert!(alt.contains("Removed: “Bridge may close”, “12”, “An old paragraph.”."), "{alt}");
        assert!(alt.contains("Added: “Bridge closes”, “14”, “Police said more.”, “A new paragraph.”."), "{alt}");
        let mut long = change();
        long.blocks = vec![Block::Added { text: "word ".repeat(1000) }];
        let alt = CardData::from_change("https://news.example/a/1", 0, &long).alt_text();
        assert_eq!(alt.chars().count(), ALT_MAX);
        assert!(alt.ends_with('…'));
    }

    #[test]
    fn a_change_without_blocks_shows_its_sentence_lists() {
        let c =
            Change { changed: true, removed: vec!["Gone.".into()], added: vec!["New.".into()], ..Change::default() };
        let data = CardData::from_change("not a url", 0, &c);
        assert_eq!(data.outlet, "not a url");
        assert_eq!(data.headline, "not a url");
        assert_eq!(data.paragraphs, vec![vec![run(SegOp::Del, "Gone.")], vec![run(SegOp::Ins, "New.")]]);
    }
}
