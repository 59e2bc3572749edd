//! From an alignment to a [`Change`]: edit kinds, notes, significance and the summary.

use std::collections::{HashMap, HashSet};

use chrono::DateTime;

use super::align::{Doc, Item, SItem, align};
use super::normalize::{Neutralizer, clean, fold};
use super::segment::{is_word, word_count};
use super::{Block, Change, DiffOptions, EditKind, FieldChange, SegOp, Segment, SentenceOp, Stats};
use crate::extract::Article;
use crate::text::lexicon;
use crate::text::notice::admits_error;

/// What an edit inside one sentence amounts to.
#[derive(Debug, Default, Clone, Copy)]
struct SentenceKinds {
    fact: bool,
    typo: bool,
    rewording: bool,
}

/// Levenshtein distance in characters, capped: returns `cap + 1` once it is exceeded.
fn edit_distance(a: &str, b: &str, cap: usize) -> usize {
    // Long stretches are never tiny edits; this keeps the quadratic table small.
    const LONGEST: usize = 200;
    let a: Vec<char> = a.chars().take(LONGEST + 1).collect();
    let b: Vec<char> = b.chars().take(LONGEST + 1).collect();
    if a.len() > LONGEST || b.len() > LONGEST || a.len().abs_diff(b.len()) > cap {
        return cap + 1;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            row_min = row_min.min(cur[j]);
        }
        if row_min > cap {
            return cap + 1;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn words(s: &str) -> Vec<&str> {
    s.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '"' | ',' | ';' | ':' | '!' | '?'))
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| is_word(w))
        .collect()
}

/// Classifies the word-level edit of one sentence. `names` is false for languages that
/// capitalise common nouns (German), where capitals say nothing about names.
fn classify_sentence(segs: &[Segment], names: bool) -> SentenceKinds {
    let mut k = SentenceKinds::default();
    let mut i = 0;
    let mut seen_word = false;
    while i < segs.len() {
        if segs[i].op == SegOp::Same {
            seen_word |= is_word(&segs[i].text);
            i += 1;
            continue;
        }
        let (mut del, mut ins) = (String::new(), String::new());
        while i < segs.len() && segs[i].op != SegOp::Same {
            match segs[i].op {
                SegOp::Del => del.push_str(&segs[i].text),
                _ => ins.push_str(&segs[i].text),
            }
            i += 1;
        }
        let (dk, ik) = (fold(del.trim()), fold(ins.trim()));
        if dk == ik {
            continue;
        }
        let (dw, iw) = (words(&dk), words(&ik));
        let numeric = |ws: &[&str]| {
            ws.iter()
                .filter(|w| w.chars().any(|c| c.is_ascii_digit()) || lexicon::is_number_word(w))
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
        };
        // A month, weekday or day name: a change to one is a change of fact, as is a number.
        let dated = |ws: &[&str]| ws.iter().any(|w| lexicon::is_date_name(w));
        let capital = |ws: &[&str], first: bool| {
            ws.iter().enumerate().any(|(n, w)| (n > 0 || !first) && w.chars().next().is_some_and(char::is_uppercase))
        };
        let distance = edit_distance(&dk.to_lowercase(), &ik.to_lowercase(), 3);
        let tiny = distance <= 2 && dw.len() <= 1 && iw.len() <= 1;
        let case_only = dk.to_lowercase() == ik.to_lowercase();
        let punctuation_only = dw.is_empty() && iw.is_empty();
        if numeric(&dw) != numeric(&iw) || (dated(&dw) || dated(&iw)) && !tiny {
            k.fact = true;
        } else if case_only || punctuation_only || tiny {
            k.typo = true;
        } else if names && (capital(&dw, !seen_word) || capital(&iw, !seen_word)) && dw.len() <= 3 && iw.len() <= 3 {
            k.fact = true;
        } else {
            k.rewording = true;
        }
        seen_word |= !iw.is_empty() || !dw.is_empty();
    }
    k
}

/// Whether two optional dates are the same instant (RFC 3339), or the same text.
fn same_date(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => match (DateTime::parse_from_rfc3339(a.trim()), DateTime::parse_from_rfc3339(b.trim())) {
            (Ok(x), Ok(y)) => x == y,
            _ => clean(a) == clean(b),
        },
        _ => false,
    }
}

/// "By Jane Doe" and "Jane Doe" are the same byline; so are "Von", "Par", "Por", "Di", "De".
fn byline_key(s: &str) -> String {
    let k = fold(&clean(s));
    let lower = k.to_lowercase();
    for prefix in ["by ", "von ", "par ", "por ", "di ", "de ", "da ", "do "] {
        if lower.starts_with(prefix) {
            return k[prefix.len()..].trim().to_string();
        }
    }
    k
}

fn field_change(old: &Option<String>, new: &Option<String>) -> Option<FieldChange> {
    let key = |v: &Option<String>| v.as_deref().map(|s| fold(&clean(s))).filter(|s| !s.is_empty());
    (key(old) != key(new)).then(|| FieldChange { old: old.as_deref().map(clean), new: new.as_deref().map(clean) })
}

fn byline_change(old: &Option<String>, new: &Option<String>) -> Option<FieldChange> {
    let key = |v: &Option<String>| v.as_deref().map(byline_key).filter(|s| !s.is_empty());
    (key(old) != key(new)).then(|| FieldChange { old: old.as_deref().map(clean), new: new.as_deref().map(clean) })
}

fn date_change(old: &Option<String>, new: &Option<String>) -> Option<FieldChange> {
    (!same_date(old, new)).then(|| FieldChange { old: old.clone(), new: new.clone() })
}

/// A body sentence that appeared or vanished.
struct Piece {
    key: String,
    text: String,
    words: usize,
    /// The paragraph, when the whole paragraph appeared or vanished.
    para: Option<usize>,
}

impl Piece {
    fn new(s: &super::align::Sent, para: Option<usize>) -> Piece {
        Piece { key: s.key.clone(), text: s.text.clone(), words: word_count(&s.text), para }
    }
}

/// Nets out sentences that vanished in one place and appeared in another (a paragraph split
/// differently, a sentence moved): they are moves, not additions and removals. Then counts.
fn net_moves(t: &mut Tally) {
    let mut vanished_at: HashMap<&str, Vec<usize>> = HashMap::new();
    for (k, p) in t.vanished.iter().enumerate().rev() {
        vanished_at.entry(p.key.as_str()).or_default().push(k);
    }
    let mut moved_a = vec![false; t.appeared.len()];
    let mut moved_v = vec![false; t.vanished.len()];
    for (k, p) in t.appeared.iter().enumerate() {
        if let Some(v) = vanished_at.get_mut(p.key.as_str()).and_then(Vec::pop) {
            moved_a[k] = true;
            moved_v[v] = true;
        }
    }
    let drop_one = |list: &mut Vec<String>, text: &str| {
        if let Some(pos) = list.iter().position(|x| x == text) {
            list.remove(pos);
        }
    };
    let s = &mut t.stats;
    let mut paras = HashSet::new();
    for (p, moved) in t.appeared.iter().zip(&moved_a) {
        if *moved {
            s.sentences_moved += 1;
            drop_one(&mut t.added, &p.text);
        } else if let Some(j) = p.para {
            paras.insert(j);
            s.words_added += p.words;
        } else {
            s.sentences_added += 1;
        }
    }
    s.paragraphs_added = paras.len();
    paras.clear();
    for (p, moved) in t.vanished.iter().zip(&moved_v) {
        if *moved {
            drop_one(&mut t.removed, &p.text);
        } else if let Some(i) = p.para {
            paras.insert(i);
            s.words_removed += p.words;
        } else {
            s.sentences_removed += 1;
        }
    }
    s.paragraphs_removed = paras.len();
}

/// What the walk over the alignment collects.
#[derive(Default)]
struct Tally {
    /// Body sentences that appeared, before sentences that only moved are netted out.
    appeared: Vec<Piece>,
    /// Body sentences that vanished, likewise.
    vanished: Vec<Piece>,
    added: Vec<String>,
    removed: Vec<String>,
    notes: Vec<String>,
    note_added: bool,
    note_changed: bool,
    note_removed: bool,
    stats: Stats,
    rewordings: usize,
}

impl Tally {
    fn note_from(&mut self, doc: &Doc, j: usize) {
        let text =
            doc.paras[j].sents.iter().filter(|s| s.in_notice).map(|s| s.text.as_str()).collect::<Vec<_>>().join(" ");
        if !text.is_empty() && !self.notes.contains(&text) {
            self.notes.push(text);
        }
    }
}

/// Compares two versions.
pub(crate) fn compare(old: &Article, new: &Article, options: &DiffOptions) -> Change {
    let neutral = Neutralizer { ignore: &options.ignore };
    let (o, n) = Doc::build_pair(&old.paragraphs, &new.paragraphs, &neutral);
    let names = !new.lang.as_deref().unwrap_or("").to_lowercase().starts_with("de");

    let mut change = Change {
        title: new.title.as_deref().map(clean),
        headline: field_change(&old.title, &new.title),
        byline: byline_change(&old.byline, &new.byline),
        published: date_change(&old.published, &new.published),
        modified: date_change(&old.modified, &new.modified),
        ..Change::default()
    };
    let mut t = Tally::default();
    t.stats.old_words = o.paras.iter().map(|p| p.words()).sum();
    t.stats.new_words = n.paras.iter().map(|p| p.words()).sum();
    // A body whose sentences are all the same (perhaps re-split into paragraphs) is unchanged.
    let body_changed = !o.sentence_keys().eq(n.sentence_keys());
    if body_changed {
        let items = align(&o, &n);
        change.blocks = walk(&items, &o, &n, names, &mut t);
        net_moves(&mut t);
    }

    let mut kinds = Vec::new();
    let s = &t.stats;
    if change.headline.is_some() {
        kinds.push(EditKind::Headline);
    }
    if change.byline.is_some() {
        kinds.push(EditKind::Byline);
    }
    if change.published.is_some() || change.modified.is_some() {
        kinds.push(EditKind::Dates);
    }
    let note = t.note_added || t.note_changed;
    if note {
        kinds.push(EditKind::EditorsNote);
    }
    let correction = note && t.notes.iter().any(|n| admits_error(&fold(n)));
    if correction {
        kinds.push(EditKind::Correction);
    }
    if s.paragraphs_added + s.sentences_added > 0 {
        kinds.push(EditKind::Addition);
    }
    if s.paragraphs_removed + s.sentences_removed > 0 || t.note_removed {
        kinds.push(EditKind::Removal);
    }
    if t.rewordings > 0 {
        kinds.push(EditKind::Rewording);
    }
    if s.facts > 0 {
        kinds.push(EditKind::Fact);
    }
    if s.typos > 0 {
        kinds.push(EditKind::Typo);
    }
    let substantive = kinds
        .iter()
        .any(|k| matches!(k, EditKind::Addition | EditKind::Removal | EditKind::Rewording | EditKind::Fact));
    if substantive && !note && change.modified.is_none() {
        kinds.push(EditKind::Unannounced);
    }
    kinds.sort();
    kinds.dedup();

    change.changed = !kinds.is_empty() || s.paragraphs_moved + s.sentences_moved > 0;
    if !change.changed {
        change.blocks.clear();
        change.summary = "No change".to_string();
        change.stats = t.stats;
        return change;
    }
    change.significance = significance(&kinds, &t.stats, change.headline.is_some());
    change.summary = summary(&kinds, &t, correction, change.modified.is_some() || change.published.is_some());
    change.kinds = kinds;
    change.notes = t.notes;
    change.added = t.added;
    change.removed = t.removed;
    change.stats = t.stats;
    change
}

/// Walks the alignment: builds the blocks and tallies what changed.
fn walk(items: &[Item], o: &Doc, n: &Doc, names: bool, t: &mut Tally) -> Vec<Block> {
    let mut blocks = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Item::Same(j) => blocks.push(Block::Same { text: n.paras[*j].text.clone() }),
            Item::Added(j) => {
                let p = &n.paras[*j];
                let whole = !p.sents.iter().any(|s| s.in_notice);
                for s in &p.sents {
                    t.added.push(s.text.clone());
                    if !s.in_notice {
                        t.appeared.push(Piece::new(s, whole.then_some(*j)));
                    }
                }
                t.stats.churn += p.words();
                if !whole {
                    t.note_added = true;
                    t.note_from(n, *j);
                }
                blocks.push(Block::Added { text: p.text.clone() });
            }
            Item::Removed(i) => {
                let p = &o.paras[*i];
                let whole = !p.sents.iter().any(|s| s.in_notice);
                for s in &p.sents {
                    t.removed.push(s.text.clone());
                    if !s.in_notice {
                        t.vanished.push(Piece::new(s, whole.then_some(*i)));
                    }
                }
                t.stats.churn += p.words();
                if !whole {
                    t.note_removed = true;
                }
                blocks.push(Block::Removed { text: p.text.clone() });
            }
            Item::MovedOut(i, j) => blocks.push(Block::MovedOut { text: o.paras[*i].text.clone(), from: *i, to: *j }),
            Item::MovedIn(i, j) => {
                t.stats.paragraphs_moved += 1;
                blocks.push(Block::MovedIn { text: n.paras[*j].text.clone(), from: *i, to: *j });
            }
            Item::Changed(i, j, sitems, moved) => {
                t.stats.paragraphs_moved += usize::from(*moved);
                let (op, np) = (&o.paras[*i], &n.paras[*j]);
                let old_has_note = op.sents.iter().any(|s| s.in_notice);
                let mut note_touched = false;
                let mut ops = Vec::with_capacity(sitems.len());
                for si in sitems {
                    match si {
                        SItem::Same(b) => ops.push(SentenceOp::Same { text: np.sents[*b].text.clone() }),
                        SItem::Added(b) => {
                            let s = &np.sents[*b];
                            t.added.push(s.text.clone());
                            t.stats.churn += word_count(&s.text);
                            if s.in_notice {
                                note_touched = true;
                            } else {
                                t.appeared.push(Piece::new(s, None));
                            }
                            ops.push(SentenceOp::Added { text: s.text.clone() });
                        }
                        SItem::Removed(a) => {
                            let s = &op.sents[*a];
                            t.removed.push(s.text.clone());
                            t.stats.churn += word_count(&s.text);
                            if s.in_notice {
                                note_touched = true;
                            } else {
                                t.vanished.push(Piece::new(s, None));
                            }
                            ops.push(SentenceOp::Removed { text: s.text.clone() });
                        }
                        SItem::Changed(a, b, segs) => {
                            let (os, ns) = (&op.sents[*a], &np.sents[*b]);
                            t.removed.push(os.text.clone());
                            t.added.push(ns.text.clone());
                            t.stats.churn +=
                                segs.iter().filter(|s| s.op != SegOp::Same).map(|s| word_count(&s.text)).sum::<usize>();
                            if ns.in_notice || os.in_notice {
                                note_touched = true;
                            } else {
                                let k = classify_sentence(segs, names);
                                t.stats.sentences_changed += 1;
                                t.stats.facts += usize::from(k.fact);
                                t.stats.typos += usize::from(k.typo && !k.fact && !k.rewording);
                                t.rewordings += usize::from(k.rewording);
                            }
                            ops.push(SentenceOp::Changed { segments: segs.clone() });
                        }
                    }
                }
                if note_touched {
                    let new_has_note = np.sents.iter().any(|s| s.in_notice);
                    match (old_has_note, new_has_note) {
                        (_, true) => {
                            if old_has_note {
                                t.note_changed = true;
                            } else {
                                t.note_added = true;
                            }
                            t.note_from(n, *j);
                        }
                        (true, false) => t.note_removed = true,
                        (false, false) => {}
                    }
                }
                blocks.push(Block::Changed { sentences: ops, moved_from: moved.then_some(*i) });
            }
        }
    }
    blocks
}

/// 0 (trivial) to 1 (rewritten): the share of words that changed, on a square-root scale so
/// that a changed sentence in a long article still registers, plus weight for what matters.
fn significance(kinds: &[EditKind], s: &Stats, headline: bool) -> f64 {
    let total = (s.old_words + s.new_words).max(1) as f64;
    let share = (s.churn as f64 / total).min(1.0);
    let mut v = share.sqrt() * 0.7;
    for k in kinds {
        v += match k {
            EditKind::Headline if headline => 0.2,
            EditKind::Byline => 0.05,
            EditKind::Dates => 0.01,
            EditKind::EditorsNote => 0.1,
            EditKind::Correction => 0.2,
            EditKind::Fact => 0.2,
            EditKind::Unannounced => 0.1,
            EditKind::Addition | EditKind::Removal => 0.05,
            _ => 0.0,
        };
    }
    let only_minor = kinds.iter().all(|k| matches!(k, EditKind::Typo | EditKind::Dates));
    if only_minor {
        v = v.min(0.05);
    }
    (v.clamp(0.0, 1.0) * 1000.0).round() / 1000.0
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The one-line summary: "Editor's note added; 3 paragraphs (142 words) added".
fn summary(kinds: &[EditKind], t: &Tally, correction: bool, dates_moved: bool) -> String {
    let s = &t.stats;
    let mut parts: Vec<String> = Vec::new();
    if kinds.contains(&EditKind::Headline) {
        parts.push("headline changed".into());
    }
    if kinds.contains(&EditKind::Byline) {
        parts.push("byline changed".into());
    }
    let label = if correction { "correction" } else { "editor's note" };
    if t.note_added {
        parts.push(format!("{label} added"));
    } else if t.note_changed {
        parts.push(format!("{label} changed"));
    }
    if t.note_removed && !t.note_added && !t.note_changed {
        parts.push("editor's note removed".into());
    }
    if s.paragraphs_added > 0 {
        parts.push(format!(
            "{} ({}) added",
            plural(s.paragraphs_added, "paragraph", "paragraphs"),
            plural(s.words_added, "word", "words")
        ));
    }
    if s.sentences_added > 0 {
        parts.push(format!("{} added", plural(s.sentences_added, "sentence", "sentences")));
    }
    if s.paragraphs_removed > 0 {
        parts.push(format!(
            "{} ({}) removed",
            plural(s.paragraphs_removed, "paragraph", "paragraphs"),
            plural(s.words_removed, "word", "words")
        ));
    }
    if s.sentences_removed > 0 {
        parts.push(format!("{} removed", plural(s.sentences_removed, "sentence", "sentences")));
    }
    if s.facts > 0 {
        parts.push(format!("{} changed in {}", "figures or names", plural(s.facts, "sentence", "sentences")));
    }
    if t.rewordings > 0 {
        parts.push(format!("{} reworded", plural(t.rewordings, "sentence", "sentences")));
    }
    if s.typos > 0 {
        parts.push(format!("{} fixed", plural(s.typos, "typo", "typos")));
    }
    if s.paragraphs_moved > 0 {
        parts.push(format!("{} moved", plural(s.paragraphs_moved, "paragraph", "paragraphs")));
    }
    if s.sentences_moved > 0 {
        parts.push(format!("{} moved", plural(s.sentences_moved, "sentence", "sentences")));
    }
    if dates_moved {
        parts.push("dates changed".into());
    }
    if kinds.contains(&EditKind::Unannounced) {
        parts.push("no notice, modified date unchanged".into());
    }
    let mut line = parts.join("; ");
    if let Some(first) = line.get(..1) {
        line = first.to_uppercase() + &line[1..];
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(old: &str, new: &str) -> SentenceKinds {
        classify_sentence(&super::super::align::diff_words(old, new), true)
    }

    #[test]
    fn number_change_is_fact() {
        let k = segs("Twelve people died, 12 in cars.", "Twelve people died, 9 in cars.");
        assert!(k.fact && !k.typo && !k.rewording);
    }

    #[test]
    fn name_change_is_fact() {
        let k = segs("The plan was drafted by Ellen Ward.", "The plan was drafted by Martin Okafor.");
        assert!(k.fact, "{k:?}");
    }

    #[test]
    fn spelling_fix_is_typo() {
        let k = segs("The goverment said so.", "The government said so.");
        assert!(k.typo && !k.fact && !k.rewording);
    }

    #[test]
    fn new_wording_is_rewording() {
        let k = segs("Police said the driver fled the scene.", "Police said the driver left the area on foot.");
        assert!(k.rewording && !k.fact);
    }

    #[test]
    fn byline_prefix_is_not_a_change() {
        assert!(byline_change(&Some("By Jane Doe".into()), &Some("Jane  Doe".into())).is_none());
        assert!(byline_change(&Some("Von Jonas Berger".into()), &Some("Jonas Berger".into())).is_none());
        assert!(byline_change(&Some("By Jane Doe".into()), &Some("By Jane Doe and Tom Hale".into())).is_some());
    }

    #[test]
    fn edit_distance_caps() {
        assert_eq!(edit_distance("kitten", "sitting", 5), 3);
        assert_eq!(edit_distance("a", "abcdefgh", 2), 3);
    }

    #[test]
    fn dates_compare_as_instants() {
        assert!(same_date(&Some("2025-06-12T15:05:00Z".into()), &Some("2025-06-12T11:05:00-04:00".into())));
        assert!(!same_date(&Some("2025-06-12T15:05:00Z".into()), &None));
    }
}
