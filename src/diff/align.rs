//! Alignment: paragraphs, then sentences inside changed paragraphs, then words inside
//! changed sentences. Every step uses `similar` on comparison keys under a deadline, and
//! unmatched stretches are paired by word overlap, so long articles stay near-linear.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::rc::Rc;
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};

use super::normalize::{Neutralizer, clean, fold};
use super::segment::{is_word, sentences, tokens};
use super::{SegOp, Segment};
use crate::text::notice::is_notice;

/// A sentence of a prepared version.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    /// Display text.
    pub text: String,
    /// Comparison key.
    pub key: String,
    /// This sentence or an earlier one of its paragraph is a notice.
    pub in_notice: bool,
}

/// A paragraph of a prepared version.
#[derive(Debug, Clone)]
pub(crate) struct Para {
    /// Display text: the sentences joined by spaces.
    pub text: String,
    /// Hash of the comparison key.
    pub hash: u64,
    /// Sorted hashes of the words, for similarity.
    pub bag: Vec<u64>,
    pub sents: Vec<Sent>,
}

impl Para {
    /// The number of words.
    pub fn words(&self) -> usize {
        self.bag.len()
    }
}

/// A version prepared for comparison: noise out, sentences split, keys computed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Doc {
    /// Shared: an unchanged paragraph is prepared once for both versions.
    pub paras: Vec<Rc<Para>>,
}

fn hash<T: Hash + ?Sized>(t: &T) -> u64 {
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

fn bag(key: &str) -> Vec<u64> {
    let mut b: Vec<u64> =
        key.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| hash(&w.to_lowercase())).collect();
    b.sort_unstable();
    b
}

/// Dice coefficient of two sorted word bags.
fn dice(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * common as f64 / (a.len() + b.len()) as f64
}

impl Doc {
    /// Prepares paragraphs: cleaned, split into sentences, noise blanked; paragraphs and
    /// sentences that are only noise are dropped.
    #[cfg(test)]
    pub fn build<S: AsRef<str>>(paragraphs: &[S], neutral: &Neutralizer) -> Doc {
        Doc { paras: paragraphs.iter().filter_map(|p| prepare(p.as_ref(), neutral)).map(Rc::new).collect() }
    }

    /// Prepares two versions; a paragraph of `new` whose text is in `old` byte for byte is
    /// copied instead of prepared again (most of a long article does not change).
    pub fn build_pair<S: AsRef<str>>(old: &[S], new: &[S], neutral: &Neutralizer) -> (Doc, Doc) {
        let mut seen: HashMap<&str, Option<Rc<Para>>> = HashMap::with_capacity(old.len());
        let mut o = Vec::with_capacity(old.len());
        for p in old {
            let para = seen.entry(p.as_ref()).or_insert_with(|| prepare(p.as_ref(), neutral).map(Rc::new)).clone();
            o.extend(para);
        }
        let n = new
            .iter()
            .filter_map(|p| match seen.get(p.as_ref()) {
                Some(para) => para.clone(),
                None => prepare(p.as_ref(), neutral).map(Rc::new),
            })
            .collect();
        (Doc { paras: o }, Doc { paras: n })
    }

    /// The sentence keys in reading order.
    pub fn sentence_keys(&self) -> impl Iterator<Item = &str> {
        self.paras.iter().flat_map(|p| p.sents.iter().map(|s| s.key.as_str()))
    }
}

/// Prepares one paragraph; `None` when nothing but noise is left.
fn prepare(p: &str, neutral: &Neutralizer) -> Option<Para> {
    let cleaned = neutral.strip_ignored(&clean(p));
    let mut sents = Vec::new();
    let mut in_notice = false;
    for s in sentences(&cleaned) {
        let key = neutral.key(s);
        if key.is_empty() {
            continue;
        }
        in_notice = in_notice || is_notice(&key);
        sents.push(Sent { text: s.to_string(), key, in_notice });
    }
    if sents.is_empty() {
        return None;
    }
    let text = sents.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join(" ");
    let key = sents.iter().map(|s| s.key.as_str()).collect::<Vec<_>>().join(" ");
    Some(Para { text, hash: hash(&key), bag: bag(&key), sents })
}

/// A sentence-level step inside a changed paragraph (indices into the paragraphs' sentences).
#[derive(Debug, Clone)]
pub(crate) enum SItem {
    /// Kept: the new index.
    Same(usize),
    Added(usize),
    Removed(usize),
    Changed(usize, usize, Vec<Segment>),
}

/// A paragraph-level step, in display order (indices into old and new paragraphs).
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// Kept: the new index.
    Same(usize),
    Added(usize),
    Removed(usize),
    /// The old paragraph `.0` moved to new position `.1`; shown at its old place.
    MovedOut(usize, usize),
    /// The old paragraph `.0` moved to new position `.1`; shown at its new place.
    MovedIn(usize, usize),
    /// The old paragraph `.0` edited into the new paragraph `.1`; `.3` when it also moved.
    Changed(usize, usize, Vec<SItem>, bool),
}

/// Paragraphs this similar are the same paragraph edited.
const PARA_SIMILAR: f64 = 0.4;
/// A paragraph replacing exactly one paragraph is that paragraph edited when this similar.
const PARA_SIMILAR_ALONE: f64 = 0.25;
/// Sentences this similar are the same sentence edited.
const SENT_SIMILAR: f64 = 0.5;
/// A sentence replacing exactly one sentence is that sentence edited when this similar.
const SENT_SIMILAR_ALONE: f64 = 0.2;
/// Above this many cells, pairing is greedy instead of optimal.
const PAIR_DP_LIMIT: usize = 4096;

/// One step of a pairing of two runs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pair {
    Both(usize, usize),
    Old(usize),
    New(usize),
}

/// Pairs items of two runs in order, maximizing total similarity above `threshold`.
fn pair(k: usize, m: usize, sim: &dyn Fn(usize, usize) -> f64, threshold: f64) -> Vec<Pair> {
    let mut out = Vec::with_capacity(k + m);
    if k == 0 || m == 0 {
        out.extend((0..k).map(Pair::Old));
        out.extend((0..m).map(Pair::New));
        return out;
    }
    if k * m <= PAIR_DP_LIMIT {
        let w = m + 1;
        let mut score = vec![0.0f64; (k + 1) * w];
        let mut sims = vec![0.0f64; k * m];
        for i in 1..=k {
            for j in 1..=m {
                let s = sim(i - 1, j - 1);
                sims[(i - 1) * m + j - 1] = s;
                let diag = if s >= threshold { score[(i - 1) * w + j - 1] + s } else { f64::MIN };
                score[i * w + j] = diag.max(score[(i - 1) * w + j]).max(score[i * w + j - 1]);
            }
        }
        let (mut i, mut j) = (k, m);
        let mut rev = Vec::new();
        while i > 0 || j > 0 {
            if i > 0 && j > 0 {
                let s = sims[(i - 1) * m + j - 1];
                if s >= threshold && (score[i * w + j] - (score[(i - 1) * w + j - 1] + s)).abs() < 1e-9 {
                    rev.push(Pair::Both(i - 1, j - 1));
                    i -= 1;
                    j -= 1;
                    continue;
                }
            }
            if j > 0 && (i == 0 || score[i * w + j] == score[i * w + j - 1]) {
                rev.push(Pair::New(j - 1));
                j -= 1;
            } else {
                rev.push(Pair::Old(i - 1));
                i -= 1;
            }
        }
        // Within a stretch of unpaired items, removals read before additions.
        let mut pending_new = Vec::new();
        for p in rev.into_iter().rev() {
            match p {
                Pair::New(_) => pending_new.push(p),
                Pair::Old(_) => out.push(p),
                Pair::Both(..) => {
                    out.append(&mut pending_new);
                    out.push(p);
                }
            }
        }
        out.append(&mut pending_new);
        return out;
    }
    // Greedy: walk both runs, pairing when similar, else looking one step ahead.
    let (mut i, mut j) = (0, 0);
    while i < k && j < m {
        if sim(i, j) >= threshold {
            out.push(Pair::Both(i, j));
            i += 1;
            j += 1;
        } else if j + 1 < m && sim(i, j + 1) >= threshold {
            out.push(Pair::New(j));
            j += 1;
        } else {
            out.push(Pair::Old(i));
            i += 1;
        }
    }
    out.extend((i..k).map(Pair::Old));
    out.extend((j..m).map(Pair::New));
    out
}

fn deadline(budget_ms: u64) -> Option<Instant> {
    Some(Instant::now() + Duration::from_millis(budget_ms))
}

/// Aligns two prepared versions.
pub(crate) fn align(old: &Doc, new: &Doc) -> Vec<Item> {
    let ok: Vec<u64> = old.paras.iter().map(|p| p.hash).collect();
    let nk: Vec<u64> = new.paras.iter().map(|p| p.hash).collect();
    let ops = capture_diff_slices_deadline(Algorithm::Patience, &ok, &nk, deadline(500));

    // Paragraphs on neither side of an Equal: candidates for moves and edits.
    let mut old_free = Vec::new();
    let mut new_free = Vec::new();
    for op in &ops {
        match *op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete { old_index, old_len, .. } => old_free.extend(old_index..old_index + old_len),
            DiffOp::Insert { new_index, new_len, .. } => new_free.extend(new_index..new_index + new_len),
            DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                old_free.extend(old_index..old_index + old_len);
                new_free.extend(new_index..new_index + new_len);
            }
        }
    }
    // Exact moves: an unmatched old paragraph whose text reappears elsewhere unmatched.
    let mut by_hash: HashMap<u64, Vec<usize>> = HashMap::new();
    for &j in new_free.iter().rev() {
        by_hash.entry(nk[j]).or_default().push(j);
    }
    let mut moved_to: HashMap<usize, usize> = HashMap::new();
    let mut moved_from: HashMap<usize, usize> = HashMap::new();
    for &i in &old_free {
        if let Some(j) = by_hash.get_mut(&ok[i]).and_then(Vec::pop) {
            moved_to.insert(i, j);
            moved_from.insert(j, i);
        }
    }

    let mut items = Vec::with_capacity(new.paras.len() + 8);
    for op in &ops {
        let (oi, ol, ni, nl) = match *op {
            DiffOp::Equal { new_index, len, .. } => {
                items.extend((new_index..new_index + len).map(Item::Same));
                continue;
            }
            DiffOp::Delete { old_index, old_len, new_index } => (old_index, old_len, new_index, 0),
            DiffOp::Insert { old_index, new_index, new_len } => (old_index, 0, new_index, new_len),
            DiffOp::Replace { old_index, old_len, new_index, new_len } => (old_index, old_len, new_index, new_len),
        };
        let olds: Vec<usize> = (oi..oi + ol).filter(|i| !moved_to.contains_key(i)).collect();
        let news: Vec<usize> = (ni..ni + nl).filter(|j| !moved_from.contains_key(j)).collect();
        let mut moved_olds = (oi..oi + ol).filter(|i| moved_to.contains_key(i)).peekable();
        let mut moved_news = (ni..ni + nl).filter(|j| moved_from.contains_key(j)).peekable();
        let sim = |a: usize, b: usize| dice(&old.paras[olds[a]].bag, &new.paras[news[b]].bag);
        let threshold = if olds.len() == 1 && news.len() == 1 { PARA_SIMILAR_ALONE } else { PARA_SIMILAR };
        for p in pair(olds.len(), news.len(), &sim, threshold) {
            let (at_old, at_new) = match p {
                Pair::Both(a, b) => (Some(olds[a]), Some(news[b])),
                Pair::Old(a) => (Some(olds[a]), None),
                Pair::New(b) => (None, Some(news[b])),
            };
            while let Some(&i) = moved_olds.peek() {
                if at_old.is_some_and(|o| i < o) {
                    items.push(Item::MovedOut(i, moved_to[&i]));
                    moved_olds.next();
                } else {
                    break;
                }
            }
            while let Some(&j) = moved_news.peek() {
                if at_new.is_some_and(|n| j < n) {
                    items.push(Item::MovedIn(moved_from[&j], j));
                    moved_news.next();
                } else {
                    break;
                }
            }
            items.push(match (at_old, at_new) {
                (Some(i), Some(j)) => Item::Changed(i, j, align_sentences(&old.paras[i], &new.paras[j]), false),
                (Some(i), None) => Item::Removed(i),
                (None, Some(j)) => Item::Added(j),
                (None, None) => unreachable!("a pair has a side"),
            });
        }
        items.extend(moved_olds.map(|i| Item::MovedOut(i, moved_to[&i])));
        items.extend(moved_news.map(|j| Item::MovedIn(moved_from[&j], j)));
    }
    find_edited_moves(&mut items, old, new);
    items
}

/// Paragraphs this similar, one removed and one added elsewhere, are one paragraph moved and edited.
const MOVE_SIMILAR: f64 = 0.7;
/// Above this many removed × added pairs, edited moves are not looked for.
const MOVE_SEARCH_LIMIT: usize = 40_000;

/// Turns a removed paragraph and a similar added paragraph elsewhere into a move with edits.
fn find_edited_moves(items: &mut [Item], old: &Doc, new: &Doc) {
    let removed: Vec<(usize, usize)> = items
        .iter()
        .enumerate()
        .filter_map(|(k, it)| if let Item::Removed(i) = it { Some((k, *i)) } else { None })
        .collect();
    let added: Vec<(usize, usize)> = items
        .iter()
        .enumerate()
        .filter_map(|(k, it)| if let Item::Added(j) = it { Some((k, *j)) } else { None })
        .collect();
    if removed.is_empty() || added.is_empty() || removed.len() * added.len() > MOVE_SEARCH_LIMIT {
        return;
    }
    let mut taken = vec![false; added.len()];
    for (rk, i) in removed {
        let (op, mut best) = (&old.paras[i], None::<(f64, usize)>);
        if op.words() < 6 {
            continue;
        }
        for (a, &(_, j)) in added.iter().enumerate() {
            if taken[a] {
                continue;
            }
            let s = dice(&op.bag, &new.paras[j].bag);
            if s >= MOVE_SIMILAR && best.is_none_or(|(b, _)| s > b) {
                best = Some((s, a));
            }
        }
        if let Some((_, a)) = best {
            taken[a] = true;
            let (ak, j) = added[a];
            items[rk] = Item::MovedOut(i, j);
            items[ak] = Item::Changed(i, j, align_sentences(op, &new.paras[j]), true);
        }
    }
}

/// Aligns the sentences of two versions of a paragraph.
pub(crate) fn align_sentences(old: &Para, new: &Para) -> Vec<SItem> {
    let ok: Vec<&str> = old.sents.iter().map(|s| s.key.as_str()).collect();
    let nk: Vec<&str> = new.sents.iter().map(|s| s.key.as_str()).collect();
    let ops = capture_diff_slices_deadline(Algorithm::Myers, &ok, &nk, deadline(100));
    let mut out = Vec::new();
    for op in ops {
        match op {
            DiffOp::Equal { new_index, len, .. } => out.extend((new_index..new_index + len).map(SItem::Same)),
            DiffOp::Delete { old_index, old_len, .. } => {
                out.extend((old_index..old_index + old_len).map(SItem::Removed))
            }
            DiffOp::Insert { new_index, new_len, .. } => out.extend((new_index..new_index + new_len).map(SItem::Added)),
            DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                let ob: Vec<Vec<u64>> = (0..old_len).map(|a| bag(ok[old_index + a])).collect();
                let nb: Vec<Vec<u64>> = (0..new_len).map(|b| bag(nk[new_index + b])).collect();
                let sim = |a: usize, b: usize| dice(&ob[a], &nb[b]);
                // One sentence in place of one sentence is a rewording if they share anything.
                let threshold = if old_len == 1 && new_len == 1 { SENT_SIMILAR_ALONE } else { SENT_SIMILAR };
                for p in pair(old_len, new_len, &sim, threshold) {
                    out.push(match p {
                        Pair::Both(a, b) => {
                            let (a, b) = (old_index + a, new_index + b);
                            SItem::Changed(a, b, diff_words(&old.sents[a].text, &new.sents[b].text))
                        }
                        Pair::Old(a) => SItem::Removed(old_index + a),
                        Pair::New(b) => SItem::Added(new_index + b),
                    });
                }
            }
        }
    }
    out
}

/// Word-level segments turning `old` into `new`: same text, deletions and insertions.
pub(crate) fn diff_words(old: &str, new: &str) -> Vec<Segment> {
    let ot = tokens(old);
    let nt = tokens(new);
    let ok: Vec<String> = ot.iter().map(|t| fold(t)).collect();
    let nk: Vec<String> = nt.iter().map(|t| fold(t)).collect();
    let ops = capture_diff_slices_deadline(Algorithm::Myers, &ok, &nk, deadline(50));
    let mut raw: Vec<(SegOp, &str)> = Vec::new();
    for op in ops {
        match op {
            DiffOp::Equal { new_index, len, .. } => {
                raw.extend(nt[new_index..new_index + len].iter().map(|t| (SegOp::Same, *t)))
            }
            DiffOp::Delete { old_index, old_len, .. } => {
                raw.extend(ot[old_index..old_index + old_len].iter().map(|t| (SegOp::Del, *t)))
            }
            DiffOp::Insert { new_index, new_len, .. } => {
                raw.extend(nt[new_index..new_index + new_len].iter().map(|t| (SegOp::Ins, *t)))
            }
            DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                raw.extend(ot[old_index..old_index + old_len].iter().map(|t| (SegOp::Del, *t)));
                raw.extend(nt[new_index..new_index + new_len].iter().map(|t| (SegOp::Ins, *t)));
            }
        }
    }
    // A lone space or punctuation mark kept between two changes reads better as changed.
    for k in 1..raw.len().saturating_sub(1) {
        if raw[k].0 == SegOp::Same && !is_word(raw[k].1) && raw[k - 1].0 != SegOp::Same && raw[k + 1].0 != SegOp::Same {
            let t = raw[k].1;
            raw[k] = (SegOp::Del, t);
            raw.insert(k + 1, (SegOp::Ins, t));
        }
    }
    // Within each run of changes, deletions first, then insertions; then merge.
    let mut out: Vec<Segment> = Vec::new();
    let mut k = 0;
    while k < raw.len() {
        if raw[k].0 == SegOp::Same {
            push(&mut out, SegOp::Same, raw[k].1);
            k += 1;
            continue;
        }
        let end = raw[k..].iter().position(|r| r.0 == SegOp::Same).map_or(raw.len(), |p| k + p);
        for (op, t) in &raw[k..end] {
            if *op == SegOp::Del {
                push(&mut out, SegOp::Del, t);
            }
        }
        for (op, t) in &raw[k..end] {
            if *op == SegOp::Ins {
                push(&mut out, SegOp::Ins, t);
            }
        }
        k = end;
    }
    out
}

fn push(out: &mut Vec<Segment>, op: SegOp, t: &str) {
    match out.last_mut() {
        Some(last) if last.op == op => last.text.push_str(t),
        _ => out.push(Segment { op, text: t.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(ps: &[&str]) -> Doc {
        Doc::build(ps, &Neutralizer::default())
    }

    #[test]
    fn moved_paragraph_is_a_move() {
        let o = doc(&["Alpha one two.", "Beta three four.", "Gamma five six.", "Delta seven eight."]);
        let n = doc(&["Beta three four.", "Gamma five six.", "Delta seven eight.", "Alpha one two."]);
        let items = align(&o, &n);
        assert!(items.iter().any(|i| matches!(i, Item::MovedOut(0, 3))));
        assert!(items.iter().any(|i| matches!(i, Item::MovedIn(0, 3))));
        assert!(!items.iter().any(|i| matches!(i, Item::Added(_) | Item::Removed(_))));
    }

    #[test]
    fn moved_and_edited_paragraph_is_a_move() {
        let o =
            doc(&["Alpha one two three four five six.", "Beta three four.", "Gamma five six.", "Delta seven eight."]);
        let n =
            doc(&["Beta three four.", "Gamma five six.", "Delta seven eight.", "Alpha one two three four five seven."]);
        let items = align(&o, &n);
        assert!(items.iter().any(|i| matches!(i, Item::MovedOut(0, 3))), "{items:?}");
        assert!(items.iter().any(|i| matches!(i, Item::Changed(0, 3, _, true))));
    }

    #[test]
    fn edited_paragraph_is_paired() {
        let o = doc(&["The council met on Monday. It voted 5-2 to approve the budget."]);
        let n = doc(&["The council met on Monday. It voted 6-1 to approve the budget."]);
        let items = align(&o, &n);
        let [Item::Changed(0, 0, s, false)] = items.as_slice() else { panic!("{items:?}") };
        assert!(matches!(s[0], SItem::Same(0)));
        assert!(matches!(s[1], SItem::Changed(1, 1, _)));
    }

    #[test]
    fn word_segments_rebuild_both_sides() {
        let segs = diff_words(
            "Officials said 12 people died on Route 9.",
            "Officials said nine people died on Route 9 Friday.",
        );
        let old: String = segs.iter().filter(|s| s.op != SegOp::Ins).map(|s| s.text.as_str()).collect();
        let new: String = segs.iter().filter(|s| s.op != SegOp::Del).map(|s| s.text.as_str()).collect();
        assert_eq!(old, "Officials said 12 people died on Route 9.");
        assert_eq!(new, "Officials said nine people died on Route 9 Friday.");
    }

    #[test]
    fn pairing_is_ordered_and_thresholded() {
        let sims = [[0.9, 0.1], [0.1, 0.2]];
        let p = pair(2, 2, &|a, b| sims[a][b], 0.5);
        assert_eq!(p, [Pair::Both(0, 0), Pair::Old(1), Pair::New(1)]);
    }
}
