//! Readability's conditional cleaning: which containers inside the chosen body
//! are furniture (link lists, sign-up boxes, streams of other stories' teasers).

use super::super::dom::Dom;
use super::super::hints;
use super::score::{Analysis, embedded_post};
use super::visible::{figures, layout_box};
use super::{Stat, subtree_text};

impl Analysis<'_, '_> {
    /// Whether list `i` comes right after a paragraph of running text, which
    /// leads into it ("Many patches were sent for review:"): the list is
    /// part of the story however many of its items link out (the products
    /// of a round-up, the sources of a report). A list under a heading alone
    /// ("Related") is still judged by its links.
    pub(super) fn introduced(&self, i: usize) -> bool {
        let dom = self.dom;
        let p = dom.nodes[i].parent;
        if p == usize::MAX {
            return false;
        }
        let before = dom
            .children(p)
            .take_while(|&c| c != i)
            .filter(|&c| !dom.nodes[c].is_text() && !self.dead[c] && self.stat[c].text > 0)
            .last();
        before.is_some_and(|b| dom.nodes[b].tag == "p" && self.stat[b].link_density() < 0.3)
    }

    /// The containers inside the body chosen at `root` that cleaning drops,
    /// by offset from `root`. Inner ones are judged first, as in Readability,
    /// and what they drop no longer counts against the box around them.
    pub(super) fn dropped_containers(&self, root: usize) -> Vec<bool> {
        let dom = self.dom;
        let end = dom.nodes[root].end;
        let mut removed = vec![Stat::default(); end - root];
        let mut dropped = vec![false; end - root];
        for i in (root + 1..end).rev() {
            if self.dead[i] || dom.nodes[i].is_text() {
                continue;
            }
            let mut st = self.stat[i];
            st.sub(&removed[i - root]);
            // A box may be story once its dropped parts are out (an item of
            // a guide without its links), but one that was furniture as a
            // whole, and whose dropped parts were most of it, stays furniture.
            let full = self.stat[i];
            let drop =
                self.drop_container(i, root, st) || (st.text * 2 < full.text && self.drop_container(i, root, full));
            if drop {
                dropped[i - root] = true;
                let mut a = dom.nodes[i].parent;
                while a != usize::MAX && a >= root {
                    removed[a - root].add(&st);
                    a = dom.nodes[a].parent;
                }
            }
        }
        dropped
    }

    /// Readability's conditional cleaning of containers inside the body
    /// chosen at `root`; `st` is what is left of the container's statistics
    /// once its own dropped containers are out.
    fn drop_container(&self, i: usize, root: usize, st: Stat) -> bool {
        let node = &self.dom.nodes[i];
        if !matches!(
            node.tag,
            "div"
                | "section"
                | "ul"
                | "ol"
                | "table"
                | "dl"
                | "aside"
                | "header"
                | "footer"
                | "form"
                | "figure"
                | "nav"
        ) {
            return false;
        }
        // Teasers after the story, never the page's list of stories itself:
        // the rest of the body holds as much text as the stream.
        let rest = self.stat[root].text.saturating_sub(st.text);
        let streams = self.streams.get_or_init(|| teaser_streams(self.dom, &self.dead, &self.stat));
        if streams[i] && rest >= st.text && rest >= 1000 {
            return true;
        }
        let h = self.hints[i];
        let w = hints::weight(h);
        if w < 0.0 && self.use_hints && !layout_box(&st, node) && !embedded_post(self.quoted[i], &st) {
            return true;
        }
        if st.commas >= 10 || figures(&st) {
            return false;
        }
        // A sign-up or search box: a form and a line or two asking to use it
        // (a calculator's table of figures stays, above).
        if self.forms[i] && matches!(node.tag, "div" | "section" | "aside") && st.text < 500 && st.p <= 2 {
            return true;
        }
        let ld = st.link_density();
        let list = matches!(node.tag, "ul" | "ol");
        if list {
            return ld > 0.5 && !self.introduced(i);
        }
        if st.li > st.p + 2 && ld > 0.2 {
            return true;
        }
        if w < 25.0 && ld > 0.33 && st.text < 2000 {
            return true;
        }
        w >= 25.0 && ld > 0.5
    }
}

/// A stream of teasers for other stories: three or more like children (same
/// tag), each a headline that is wholly a link with at most a short excerpt
/// in plain text beside it, that make most of the container's text. A
/// story's own subheadings are not links; its list of linked product cards
/// carries more than an excerpt each.
fn teaser_streams(dom: &Dom, dead: &[bool], stat: &[Stat]) -> Vec<bool> {
    const MIN_ITEMS: usize = 3;
    const MAX_PLAIN: u32 = 500;
    let n = dom.nodes.len();
    // Whether the live subtree holds a heading that is all link, and not a
    // question (an FAQ's toggles are links too).
    let mut linked_head = vec![false; n];
    for i in (0..n).rev() {
        let node = &dom.nodes[i];
        if dead[i] || node.is_text() {
            continue;
        }
        if matches!(node.tag, "h2" | "h3" | "h4" | "h5" | "h6")
            && stat[i].text > 0
            && stat[i].links == stat[i].text
            && !subtree_text(dom, i).trim_end().ends_with('?')
        {
            linked_head[i] = true;
        }
        if linked_head[i] && node.parent != usize::MAX {
            linked_head[node.parent] = true;
        }
    }
    let teaser = |c: usize| {
        let node = &dom.nodes[c];
        let st = stat[c];
        !dead[c]
            && !node.is_text()
            && !matches!(node.tag, "h2" | "h3" | "h4" | "h5" | "h6")
            && linked_head[c]
            && st.p <= 2
            && st.text.saturating_sub(st.links) < MAX_PLAIN
    };
    let mut out = vec![false; n];
    for i in 0..n {
        if dead[i] || dom.nodes[i].is_text() || !linked_head[i] || stat[i].text == 0 {
            continue;
        }
        let mut tags: Vec<(&str, usize, u32)> = Vec::new();
        for c in dom.children(i) {
            if !teaser(c) {
                continue;
            }
            let tag = dom.nodes[c].tag;
            match tags.iter_mut().find(|t| t.0 == tag) {
                Some(t) => {
                    t.1 += 1;
                    t.2 += stat[c].text;
                }
                None => tags.push((tag, 1, stat[c].text)),
            }
        }
        out[i] = tags.iter().any(|&(_, k, text)| k >= MIN_ITEMS && text * 10 >= stat[i].text * 7);
    }
    out
}
