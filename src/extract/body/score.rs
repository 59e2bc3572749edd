//! Per-node statistics (text, links, paragraphs, commas) and the choice of
//! the subtrees that hold the article.

use super::super::dom::Dom;
use super::super::hints::{self, Hint};
use super::super::live::{self, Live};
use super::super::text;
use super::visible::{collapsed_panel, figures, hidden_story, layout_box};
use super::{Stat, is_block, outermost, subtree_text};

pub(super) struct Analysis<'d, 'a> {
    pub(super) dom: &'d Dom<'a>,
    pub(super) hints: Vec<Hint>,
    pub(super) dead: Vec<bool>,
    pub(super) in_link: Vec<bool>,
    pub(super) stat: Vec<Stat>,
    pub(super) use_hints: bool,
    pub(super) live: Option<Live>,
    /// Whether the subtree holds a `<form>`.
    pub(super) forms: Vec<bool>,
    /// Whether the node is a stream of teasers, worked out when cleaning first asks.
    pub(super) streams: std::cell::OnceCell<Vec<bool>>,
    /// Text inside block quotes under each node (hidden text left out).
    pub(super) quoted: Vec<u32>,
}

/// A post quoted in the story (a tweet, an Instagram caption) in a box named after
/// the network ("social-media-embed"): the box is mostly the quote, in plain text.
pub(super) fn embedded_post(quoted: u32, r: &Stat) -> bool {
    quoted >= 40 && quoted * 10 >= r.text * 7 && r.link_density() < 0.5
}

impl<'d, 'a> Analysis<'d, 'a> {
    pub(super) fn new(dom: &'d Dom<'a>, use_hints: bool) -> Self {
        let n = dom.nodes.len();
        let mut hints_v = vec![Hint::default(); n];
        let mut in_link = vec![false; n];
        let mut in_code = vec![false; n];
        let mut raw = vec![Stat::default(); n];
        // The same sums counting hidden elements too, to read collapsed panels.
        let mut all = vec![Stat::default(); n];
        for (i, node) in dom.nodes.iter().enumerate() {
            let parent_link = node.parent != usize::MAX && in_link[node.parent];
            in_link[i] = parent_link || node.tag == "a";
            let parent_code = node.parent != usize::MAX && in_code[node.parent];
            in_code[i] = parent_code || matches!(node.tag, "pre" | "code");
        }
        // Raw sizes, so that a name alone never drops real content.
        for i in (0..n).rev() {
            let node = &dom.nodes[i];
            if node.excluded {
                continue;
            }
            if node.is_text() {
                all[i].text = node.text_len;
                if in_link[i] {
                    all[i].links = all[i].text;
                }
            }
            if node.parent != usize::MAX {
                let s = all[i];
                all[node.parent].add(&s);
            }
            if node.hidden && use_hints {
                continue;
            }
            if node.is_text() {
                raw[i].text = node.text_len;
                if in_link[i] {
                    raw[i].links = raw[i].text;
                }
            } else if node.tag == "p" {
                raw[i].p += 1;
            } else if node.tag == "tr"
                && dom.children(i).filter(|&c| matches!(dom.nodes[c].tag, "td" | "th")).nth(1).is_some()
            {
                // A row of two or more cells: a table of figures, or a layout grid.
                raw[i].rows += 1;
            }
            if node.parent != usize::MAX {
                let s = raw[i];
                raw[node.parent].add(&s);
            }
        }
        let total = raw.first().map(|s| s.text).unwrap_or(0).max(1);
        // The page's main region, when it holds text: a site footer outside it
        // is furniture however long its legal text runs.
        let main_region = (0..n).find(|&i| {
            let node = &dom.nodes[i];
            (node.tag == "main" || node.role.eq_ignore_ascii_case("main")) && raw[i].text >= 200
        });
        // Text inside block quotes, for [`embedded_post`].
        let mut quoted = vec![0u32; n];
        for i in (0..n).rev() {
            if dom.nodes[i].tag == "blockquote" {
                quoted[i] = raw[i].text;
            }
            let p = dom.nodes[i].parent;
            if p != usize::MAX {
                quoted[p] += quoted[i];
            }
        }
        let mut dead = vec![false; n];
        for (i, node) in dom.nodes.iter().enumerate() {
            // Names matter only where there is text to keep or drop.
            if !node.is_text()
                && (raw[i].text > 0 || (node.hidden && all[i].text > 0))
                && !(node.class.is_empty() && node.id.is_empty() && node.role.is_empty())
            {
                hints_v[i] = dom.hint(i);
            }
            let parent_dead = node.parent != usize::MAX && dead[node.parent];
            // The second pass also reads hidden elements that hold the rest of
            // the story (a collapsed "read more", a streamed segment), never
            // hidden furniture (menus, dialogs).
            let hidden = node.hidden
                && (use_hints || !hidden_story(dom, &raw, &hints_v, i))
                && !collapsed_panel(dom, &all, &hints_v, i);
            if parent_dead || hidden || node.excluded {
                dead[i] = true;
                continue;
            }
            if node.is_text() {
                // A template's filler text, left in a box never written.
                dead[i] = hints::is_placeholder(node.text);
                continue;
            }
            let h = hints_v[i];
            let r = raw[i];
            let by_tag = match node.tag {
                "nav" | "aside" | "menu" | "footer" | "form" | "figcaption" | "address" | "fieldset" | "label"
                | "legend" | "dialog" => true,
                // An image and its caption; not a table of figures or a
                // quotation set in a figure (an expert's words, a testimonial).
                "figure" => r.text < 400 && !figures(&r) && !(i..node.end).any(|d| dom.nodes[d].tag == "blockquote"),
                "header" => r.text < 600,
                _ => false,
            };
            // Several real paragraphs of running text: a name is not enough to drop it.
            let content_like = r.p >= 2 && r.text.saturating_sub(r.links) >= 300 && r.link_density() < 0.3;
            let embedded_post = embedded_post(quoted[i], &r);
            let by_hint = use_hints
                && match node.tag {
                    "html" | "body" | "main" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => false,
                    // Highlighted code names its spans "comment", "tag", "meta": all of it is the code.
                    _ if node.parent != usize::MAX && in_code[node.parent] => false,
                    _ if h.comments => true,
                    "article" => h.strong && !h.good && !content_like,
                    _ if embedded_post => false,
                    _ => (h.strong && !content_like) || (h.junk && !h.good && !layout_box(&r, node)),
                };
            // Never let a name or tag drop most of the page's text.
            let site_footer =
                node.tag == "footer" && main_region.is_some_and(|m| !dom.contains(m, i) && !dom.contains(i, m));
            let guard = r.text as f32 > 0.5 * total as f32 && r.text > 500 && !site_footer;
            if (by_tag || by_hint) && !guard {
                dead[i] = true;
            }
        }
        let mut stat = vec![Stat::default(); n];
        for i in (0..n).rev() {
            if dead[i] {
                continue;
            }
            let node = &dom.nodes[i];
            if node.is_text() {
                let len = raw[i].text;
                stat[i].text = len;
                if in_link[i] {
                    stat[i].links = len;
                }
                stat[i].commas = commas(node.text);
            } else if node.tag == "p" {
                stat[i].p += 1;
            } else if node.tag == "li" {
                stat[i].li += 1;
            } else if node.tag == "tr" {
                stat[i].rows += raw[i].rows.min(1);
            }
            if node.parent != usize::MAX {
                let s = stat[i];
                stat[node.parent].add(&s);
            }
        }
        let mut forms = vec![false; n];
        for i in (0..n).rev() {
            let node = &dom.nodes[i];
            forms[i] |= node.tag == "form";
            if forms[i] && node.parent != usize::MAX {
                forms[node.parent] = true;
            }
        }
        let streams = std::cell::OnceCell::new();
        let mut an =
            Analysis { dom, hints: hints_v, dead, in_link, stat, use_hints, live: None, forms, streams, quoted };
        an.live = live::find(dom, |i| if an.dead[i] { 0 } else { an.stat[i].text.saturating_sub(an.stat[i].links) });
        an
    }

    /// Text directly inside `i` (not inside child elements' blocks).
    pub(super) fn direct_text(&self, i: usize) -> u32 {
        let mut sum = 0;
        for c in self.dom.children(i) {
            let node = &self.dom.nodes[c];
            if self.dead[c] {
                continue;
            }
            if node.is_text() || !is_block(node.tag) {
                sum += self.stat[c].text;
            }
        }
        sum
    }

    /// Readability scoring; returns the chosen subtrees in document order.
    pub(super) fn choose(&self, title: Option<&str>) -> Vec<usize> {
        let dom = self.dom;
        let n = dom.nodes.len();
        let mut score = vec![0f32; n];
        let mut cand = vec![false; n];
        let (mut list, mut list_items) = (usize::MAX, 0);
        for i in 0..n {
            let node = &dom.nodes[i];
            if self.dead[i] || node.is_text() {
                continue;
            }
            let len = match node.tag {
                "p" | "pre" | "td" | "blockquote" => self.stat[i].text,
                "div" | "section" | "article" | "main" | "span" | "font" | "center" => self.direct_text(i),
                // Items of running text (key points, release notes) count as
                // paragraphs of the list's container; menus and link lists do not.
                "li" if self.stat[i].p == 0
                    && self.stat[i].link_density() < 0.3
                    && self.stat[i].text >= 60
                    && self.direct_text(i) * 5 >= self.stat[i].text * 4
                    && self.list_made(node.parent) =>
                {
                    self.stat[i].text
                }
                _ => continue,
            };
            if len < 25 {
                continue;
            }
            let commas = match node.tag {
                "p" | "pre" | "td" => self.stat[i].commas,
                "li" => self.stat[i].commas.min(2),
                _ => 0,
            };
            let ld = self.stat[i].link_density();
            let mut content = (1.0 + commas as f32 + (len as f32 / 100.0).min(3.0)) * (1.0 - ld);
            // A lone paragraph beside an image is a caption: a gallery's slides
            // must not outscore the story.
            let p = node.parent;
            if self.is_caption(i) {
                content *= 0.25;
            }
            // A list item weighs half a paragraph, and only the first items of
            // a list count: a long list of references is not the story.
            if node.tag == "li" {
                list_items = if list == p { list_items + 1 } else { 1 };
                list = p;
                if list_items > 10 {
                    continue;
                }
                content *= 0.5;
            }
            let mut a = match node.tag {
                "p" | "pre" | "td" | "blockquote" => node.parent,
                "li" => dom.nodes.get(node.parent).map_or(usize::MAX, |l| l.parent),
                _ => i,
            };
            let mut level = 0;
            while a != usize::MAX && level < 5 {
                let an = &dom.nodes[a];
                if an.tag == "html" {
                    break;
                }
                if !cand[a] {
                    cand[a] = true;
                    score[a] = self.base_score(a);
                }
                let div = match level {
                    0 => 1.0,
                    1 => 2.0,
                    l => l as f32 * 3.0,
                };
                score[a] += content / div;
                a = an.parent;
                level += 1;
            }
        }
        for i in 0..n {
            if cand[i] {
                score[i] *= 1.0 - self.stat[i].link_density();
            }
        }
        let mut ranked: Vec<usize> = (0..n).filter(|&i| cand[i]).collect();
        ranked.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
        let Some(&first) = ranked.first() else {
            return Vec::new();
        };
        // Several stories on the page (an infinite scroll, a stream of next
        // articles): the one headed by the page's headline is the article.
        let (stories, headed) = self.stories(title);
        let first = headed.and_then(|s| ranked.iter().copied().find(|&c| self.dom.contains(s, c))).unwrap_or(first);
        let other_story = |p: usize, top: usize| {
            stories.iter().any(|&s| dom.contains(p, s) && !dom.contains(s, top) && !dom.contains(top, s))
        };
        // One long paragraph (a reader's comment, a bio) against a container of
        // many blocks that scores nearly as well: the container is the story.
        let blocks = |c: usize| self.stat[c].p + self.stat[c].li;
        let first = match ranked.iter().skip(1).take(4).copied().find(|&c| {
            blocks(first) <= 1
                && blocks(c) >= 4
                && score[c] >= 0.75 * score[first]
                && !dom.contains(c, first)
                && !dom.contains(first, c)
        }) {
            Some(c) if headed.is_none() => c,
            _ => first,
        };
        let mut top = first;
        let top_score = score[top];
        // Several strong candidates under one ancestor: take the ancestor.
        let alternatives: Vec<usize> =
            ranked.iter().skip(1).take(4).copied().filter(|&c| score[c] >= 0.75 * top_score).collect();
        if alternatives.len() >= 3 {
            let mut p = dom.nodes[top].parent;
            while p != usize::MAX && dom.nodes[p].tag != "body" && dom.nodes[p].tag != "html" && !other_story(p, top) {
                let inside = alternatives.iter().filter(|&&c| dom.contains(p, c)).count();
                if inside >= 3 {
                    top = p;
                    break;
                }
                p = dom.nodes[p].parent;
            }
        }
        // Climb while the parent scores about as well.
        let mut last = score[top];
        let mut p = dom.nodes[top].parent;
        while p != usize::MAX && dom.nodes[p].tag != "body" && dom.nodes[p].tag != "html" {
            if !cand[p] {
                p = dom.nodes[p].parent;
                continue;
            }
            if score[p] < last / 3.0 || other_story(p, top) {
                break;
            }
            if score[p] > last {
                top = p;
                break;
            }
            last = score[p];
            p = dom.nodes[p].parent;
        }
        // A lone child: its parent is the real container.
        loop {
            let p = dom.nodes[top].parent;
            if p == usize::MAX || matches!(dom.nodes[p].tag, "body" | "html") {
                break;
            }
            let live: Vec<usize> = dom.children(p).filter(|&c| !self.dead[c] && self.stat[c].text > 0).collect();
            if live.len() == 1 {
                top = p;
            } else {
                break;
            }
        }
        // The article split over several containers: climb while an ancestor
        // (up to four levels up) adds many more plain paragraphs and few
        // links. Looking past the parent matters where each part sits in its
        // own section with its subheading: the section adds only the heading,
        // the paragraphs it lacks are in the sections beside it.
        // Further up, only through a section that has twins beside it (same
        // tag and class): the article's parts nested deep, one box each.
        let (reach, far_reach) = (4, 8);
        'climb: loop {
            let mut p = top;
            for level in 0..far_reach {
                let child = p;
                p = dom.nodes[p].parent;
                if p == usize::MAX || matches!(dom.nodes[p].tag, "body" | "html") || other_story(p, top) {
                    break 'climb;
                }
                if level >= reach && !self.has_twin(child) {
                    continue;
                }
                let (t, q) = (self.stat[top], self.stat[p]);
                let plain = |s: Stat| s.text.saturating_sub(s.links);
                let more = q.p >= t.p + 3 + self.captions(p) && plain(q) as f32 > 1.3 * plain(t) as f32;
                if q.link_density() < 0.2 && more {
                    top = p;
                    continue 'climb;
                }
            }
            break;
        }
        let mut roots = self.merge_siblings(top, &score, &cand);
        roots.retain(|&r| r == top || !stories.iter().any(|&s| dom.contains(r, s) || dom.contains(s, r)));
        roots
    }

    /// Whether a live sibling of `c` has the same tag and class and paragraphs
    /// of its own: one of a run of like sections.
    pub(super) fn has_twin(&self, c: usize) -> bool {
        let dom = self.dom;
        let (tag, class, parent) = (dom.nodes[c].tag, dom.nodes[c].class, dom.nodes[c].parent);
        !class.is_empty()
            && parent != usize::MAX
            && dom.children(parent).any(|d| {
                d != c && !self.dead[d] && dom.nodes[d].tag == tag && dom.nodes[d].class == class && self.stat[d].p >= 1
            })
    }

    /// Whole stories, one after another: `<article>` elements (outermost) with
    /// a headline (`<h1>`, `<h2>`) and running text of their own, and the one
    /// headed by `title`. None unless there are two and one is the page's
    /// (the items of a listicle have smaller headings, and none is the page's).
    pub(super) fn stories(&self, title: Option<&str>) -> (Vec<usize>, Option<usize>) {
        let dom = self.dom;
        let Some(title) = title else { return (Vec::new(), None) };
        let headlines = |s: usize| (s..dom.nodes[s].end).filter(|&i| matches!(dom.nodes[i].tag, "h1" | "h2"));
        let all = (0..dom.nodes.len()).filter(|&i| {
            dom.nodes[i].tag == "article"
                && !self.dead[i]
                && self.stat[i].p >= 2
                && self.stat[i].text >= 300
                && headlines(i).next().is_some()
        });
        let stories = outermost(dom, all);
        let folded = text::fold(title);
        let headed =
            stories.iter().copied().find(|&s| headlines(s).any(|h| text::fold(&subtree_text(dom, h)) == folded));
        match headed {
            Some(h) if stories.len() >= 2 => (stories, Some(h)),
            _ => (Vec::new(), None),
        }
    }

    /// Whether paragraph `i` is a caption: alone beside an image (a gallery's slide).
    pub(super) fn is_caption(&self, i: usize) -> bool {
        let p = self.dom.nodes[i].parent;
        self.dom.nodes[i].tag == "p" && p != usize::MAX && self.dom.nodes[p].media && self.stat[p].p <= 1
    }

    /// Live captions under `i`.
    pub(super) fn captions(&self, i: usize) -> u32 {
        (i..self.dom.nodes[i].end).filter(|&c| !self.dead[c] && self.is_caption(c)).count() as u32
    }

    /// Whether the container of `list` is made of list items more than of
    /// paragraphs (key points, release notes), where the items are the text.
    pub(super) fn list_made(&self, list: usize) -> bool {
        let Some(c) = self.dom.nodes.get(list).map(|l| l.parent).filter(|&c| c != usize::MAX) else {
            return false;
        };
        let st = self.stat[c];
        st.li >= 2 * st.p + 2
    }

    pub(super) fn base_score(&self, i: usize) -> f32 {
        let tag = self.dom.nodes[i].tag;
        let base = match tag {
            "div" | "article" | "main" | "section" => 5.0,
            "pre" | "td" | "blockquote" => 3.0,
            "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
            _ => 0.0,
        };
        let extra =
            if tag == "article" || self.dom.nodes[i].role.eq_ignore_ascii_case("articlebody") { 10.0 } else { 0.0 };
        base + extra + hints::weight(self.hints[i])
    }

    pub(super) fn merge_siblings(&self, top: usize, score: &[f32], cand: &[bool]) -> Vec<usize> {
        let dom = self.dom;
        let parent = dom.nodes[top].parent;
        if parent == usize::MAX {
            return vec![top];
        }
        let threshold = (score[top] * 0.2).max(10.0);
        let top_class = dom.nodes[top].class;
        let mut out = Vec::new();
        for c in dom.children(parent) {
            if c == top {
                out.push(c);
                continue;
            }
            let node = &dom.nodes[c];
            if self.dead[c] || node.is_text() {
                continue;
            }
            let mut bonus = 0.0;
            if !top_class.is_empty() && node.class == top_class {
                bonus = score[top] * 0.2;
            }
            if cand[c] && score[c] + bonus >= threshold {
                out.push(c);
                continue;
            }
            if node.tag == "p" {
                let st = self.stat[c];
                let ld = st.link_density();
                // Readability: a long paragraph with few links, or a short one with none.
                if (st.text > 80 && ld < 0.25) || (st.text > 0 && st.text <= 80 && ld == 0.0) {
                    out.push(c);
                }
            }
        }
        out
    }
}

/// Commas in a text, Latin, CJK and Arabic: a byte scan for the ASCII one, the others
/// looked for only in text that has non-ASCII characters.
fn commas(text: &str) -> u32 {
    let mut n = memchr::memchr_iter(b',', text.as_bytes()).count();
    if !text.is_ascii() {
        n += text.matches(['，', '、', '،']).count();
    }
    n as u32
}

#[cfg(test)]
mod tests {
    #[test]
    fn commas_of_every_script_are_counted() {
        for t in ["a, b, c", "", "甲，乙、丙", "واحد، اثنان, three", "no commas"] {
            let by_chars = t.chars().filter(|c| matches!(c, ',' | '，' | '、' | '،')).count() as u32;
            assert_eq!(super::commas(t), by_chars, "{t:?}");
        }
        assert_eq!(super::commas("甲，乙、丙, d"), 3);
    }
}
