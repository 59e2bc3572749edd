//! The article body: furniture out, content scoring in the readability
//! tradition (text density, link density, class/id hints, sibling merging),
//! then the chosen subtrees flattened into paragraphs.
//!
//! Every pass is a loop over the flat [`Dom`]; nothing recurses.

use super::BlockKind;
use super::dom::{Dom, Node};
use super::hints::{self, Hint};
use super::live::{self, Live};
use super::text;

/// The body and, when there is none, why.
#[derive(Debug, Default)]
pub struct Body {
    /// Paragraphs in reading order.
    pub paragraphs: Vec<String>,
    /// The kind of each paragraph.
    pub kinds: Vec<BlockKind>,
    /// Why no article was found (only when `paragraphs` is empty).
    pub reason: Option<&'static str>,
}

/// Block-level elements: each starts a new paragraph.
fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "center"
            | "dd"
            | "details"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "li"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "thead"
            | "tfoot"
            | "tr"
            | "caption"
            | "ul"
            | "legend"
            | "br"
            | "amp-story"
            | "frameset"
            | "noframes"
    )
}

fn is_heading(tag: &str) -> bool {
    matches!(tag, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// FNV-1a: the hint cache hashes short class strings, where SipHash's
/// setup dominates.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvBuild = std::hash::BuildHasherDefault<Fnv>;

/// Per-node sums over the live (not dropped) part of each subtree.
#[derive(Default, Clone, Copy)]
struct Stat {
    text: u32,
    links: u32,
    commas: u32,
    p: u32,
    li: u32,
    /// Table rows with two or more cells.
    rows: u32,
}

impl Stat {
    fn add(&mut self, o: &Stat) {
        self.text += o.text;
        self.links += o.links;
        self.commas += o.commas;
        self.p += o.p;
        self.li += o.li;
        self.rows += o.rows;
    }
    fn link_density(&self) -> f32 {
        if self.text == 0 { 0.0 } else { self.links as f32 / self.text as f32 }
    }
}

/// The text of `i`'s subtree, as written (no collapsing).
fn subtree_text(dom: &Dom, i: usize) -> String {
    dom.nodes[i..dom.nodes[i].end].iter().filter(|t| t.is_text()).map(|t| t.text).collect()
}

/// Whether hidden element `i` holds part of the story: running text, no
/// furniture name, and right after visible running text (a collapsed rest
/// follows the part shown; a dialog or menu stands apart).
fn hidden_story(dom: &Dom, raw: &[Stat], hints: &[Hint], i: usize) -> bool {
    let (r, h) = (raw[i], hints[i]);
    let running = r.p >= 2 && r.text.saturating_sub(r.links) >= 300 && r.link_density() < 0.3;
    if !running || h.strong || h.comments || (h.junk && !h.good) || dom.nodes[i].parent == usize::MAX {
        return false;
    }
    let before = dom.children(dom.nodes[i].parent).take_while(|&c| c != i);
    let shown = before.filter(|&c| !dom.nodes[c].hidden && raw[c].text > 0).last();
    shown.is_some_and(|c| {
        let tag = dom.nodes[c].tag;
        matches!(tag, "p" | "h2" | "h3" | "h4" | "blockquote" | "ul" | "ol")
            || (matches!(tag, "div" | "section") && raw[c].p >= 1)
    })
}

/// Whether hidden element `i` is the collapsed panel of an accordion (a
/// guide's steps, a review's sections, an FAQ's answers): running text right
/// after the heading or button that opens it. The page shows it on a click,
/// and it reads as part of the story.
fn collapsed_panel(dom: &Dom, all: &[Stat], hints: &[Hint], i: usize) -> bool {
    let (r, h) = (all[i], hints[i]);
    let p = dom.nodes[i].parent;
    if p == usize::MAX || h.strong || h.comments || (h.junk && !h.good) {
        return false;
    }
    if r.text.saturating_sub(r.links) < 120 || r.link_density() >= 0.3 {
        return false;
    }
    // The element just before it (the toggle) is a heading, or holds a button;
    // short, as a toggle is. A bare `<button>` is no node (its content is
    // skipped): it shows as the panel's parent holding one.
    let holds_button = |c: usize| (c..dom.nodes[c].end).any(|d| dom.nodes[d].button);
    let before = dom
        .children(p)
        .take_while(|&c| c != i)
        .filter(|&c| !dom.nodes[c].is_text() && (all[c].text > 0 || holds_button(c)))
        .last();
    let Some(t) = before else {
        return dom.nodes[p].button;
    };
    let node = &dom.nodes[t];
    let toggle = matches!(node.tag, "h2" | "h3" | "h4" | "h5" | "h6" | "dt" | "summary")
        || (t..node.end).any(|c| dom.nodes[c].button || dom.nodes[c].role.eq_ignore_ascii_case("button"));
    toggle && !node.hidden && all[t].text <= 200
}

/// Whether a subtree holds article matter: several paragraphs of running
/// text, or a table of figures.
fn substantive(r: &Stat) -> bool {
    let plain = r.text.saturating_sub(r.links);
    (r.p >= 2 && plain >= 300 && r.link_density() < 0.3) || figures(r)
}

/// Whether a subtree is a table of figures: rows of cells with plain text
/// beside the links (a ranking whose names link to the firms, a price list),
/// not a grid of links.
fn figures(r: &Stat) -> bool {
    r.rows >= 3 && r.text.saturating_sub(r.links) >= 150 && r.link_density() < 0.8
}

/// A box whose name only says how it is laid out ([`layout_name`]) and which holds
/// [`substantive`] matter: part of the story, whatever its furniture words.
fn layout_box(r: &Stat, node: &Node) -> bool {
    substantive(r) && layout_name(node.class, node.id)
}

/// Whether the furniture words of a name only say how a block is laid out
/// or loaded, not what it is: a page builder's embed box ("w-embed"), a
/// collapsed or clipped box ("overflow-hidden", "label-hidden"), the column
/// beside a rail ("layout--right-rail"), a list's header. Such a box that
/// holds [`substantive`] matter is part of the story. A box hidden on some
/// screens only ("hidden-mobile") is a second copy or a side column.
fn layout_name(class: &str, id: &str) -> bool {
    const SOFT: &[&str] = &["embed", "hidden", "rail", "header"];
    const SCREENS: &[&str] = &["mobile", "tablet", "desktop", "phone", "xs", "sm", "md", "lg", "xl"];
    let mut soft = false;
    for s in [class, id] {
        let lower = s.to_ascii_lowercase();
        for word in lower.split_ascii_whitespace() {
            let tokens: Vec<&str> = word.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).collect();
            for (k, t) in tokens.iter().enumerate() {
                if hints::hint(t, "", "").junk {
                    let screen = |j: usize| tokens.get(j).is_some_and(|n| SCREENS.contains(n));
                    if !SOFT.contains(t) || (*t == "hidden" && (screen(k + 1) || (k > 0 && screen(k - 1)))) {
                        return false;
                    }
                    soft = true;
                }
            }
        }
    }
    soft
}

/// Which nodes a flattening pass skips.
#[derive(Clone, Copy)]
enum Mode {
    /// The article: dropped furniture out, and (`clean`) low-value containers too.
    Body { clean: bool },
    /// Anything visible outside comment sections and navigation.
    All,
}

/// One paragraph being assembled.
#[derive(Default, Debug)]
struct Block {
    text: String,
    chars: u32,
    links: u32,
    tag: &'static str,
    kind: BlockKind,
    pos: usize,
}

/// The kind of a block from the elements open around its first text,
/// innermost first: a paragraph inside a list item is a list item.
fn kind_of(open: &[(usize, &'static str)]) -> BlockKind {
    for (k, &(_, tag)) in open.iter().enumerate().rev() {
        match tag {
            "h1" | "h2" => return BlockKind::Heading,
            "h3" | "h4" | "h5" | "h6" => return BlockKind::Subheading,
            "pre" => return BlockKind::Code,
            "tr" | "table" => return BlockKind::TableRow,
            "blockquote" => return BlockKind::Quote,
            "li" => {
                let ordered = open[..k].iter().rev().find(|o| matches!(o.1, "ol" | "ul")).is_some_and(|o| o.1 == "ol");
                return if ordered { BlockKind::OrderedItem } else { BlockKind::ListItem };
            }
            _ => {}
        }
    }
    BlockKind::Paragraph
}

struct Analysis<'d, 'a> {
    dom: &'d Dom<'a>,
    hints: Vec<Hint>,
    dead: Vec<bool>,
    in_link: Vec<bool>,
    stat: Vec<Stat>,
    use_hints: bool,
    live: Option<Live>,
}

fn static_tag(tag: &str) -> &'static str {
    const TAGS: &[&str] = &[
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "blockquote",
        "pre",
        "td",
        "th",
        "dd",
        "dt",
        "div",
        "section",
        "article",
        "main",
        "figure",
        "figcaption",
        "header",
        "footer",
        "aside",
        "nav",
        "caption",
        "address",
        "summary",
        "body",
        "form",
        "table",
        "tr",
        "ul",
        "ol",
        "dl",
    ];
    TAGS.iter().find(|t| **t == tag).copied().unwrap_or("div")
}

impl<'d, 'a> Analysis<'d, 'a> {
    fn new(dom: &'d Dom<'a>, use_hints: bool) -> Self {
        let n = dom.nodes.len();
        let mut hints_v = vec![Hint::default(); n];
        let mut in_link = vec![false; n];
        let mut in_code = vec![false; n];
        let mut cache: std::collections::HashMap<(&str, &str, &str), Hint, FnvBuild> = Default::default();
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
                all[i].text = text::visible_len(node.text) as u32;
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
                raw[i].text = text::visible_len(node.text) as u32;
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
        let mut dead = vec![false; n];
        for (i, node) in dom.nodes.iter().enumerate() {
            // Names matter only where there is text to keep or drop.
            if !node.is_text()
                && (raw[i].text > 0 || (node.hidden && all[i].text > 0))
                && !(node.class.is_empty() && node.id.is_empty() && node.role.is_empty())
            {
                let key = (node.class, node.id, node.role);
                hints_v[i] = *cache.entry(key).or_insert_with(|| hints::hint(node.class, node.id, node.role));
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
                continue;
            }
            let h = hints_v[i];
            let r = raw[i];
            let by_tag = match node.tag {
                "nav" | "aside" | "menu" | "footer" | "form" | "figcaption" | "address" | "fieldset" | "label"
                | "legend" | "dialog" => true,
                "figure" => r.text < 400,
                "header" => r.text < 600,
                _ => false,
            };
            // Several real paragraphs of running text: a name is not enough to drop it.
            let content_like = r.p >= 2 && r.text.saturating_sub(r.links) >= 300 && r.link_density() < 0.3;
            let by_hint = use_hints
                && match node.tag {
                    "html" | "body" | "main" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => false,
                    // Highlighted code names its spans "comment", "tag", "meta": all of it is the code.
                    _ if node.parent != usize::MAX && in_code[node.parent] => false,
                    _ if h.comments => true,
                    "article" => h.strong && !h.good && !content_like,
                    _ => (h.strong && !content_like) || (h.junk && !h.good && !layout_box(&r, node)),
                };
            // Never let a name or tag drop most of the page's text.
            let guard = r.text as f32 > 0.5 * total as f32 && r.text > 500;
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
                stat[i].commas = node.text.chars().filter(|c| matches!(c, ',' | '，' | '、' | '،')).count() as u32;
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
        let mut an = Analysis { dom, hints: hints_v, dead, in_link, stat, use_hints, live: None };
        an.live = live::find(dom, |i| if an.dead[i] { 0 } else { an.stat[i].text.saturating_sub(an.stat[i].links) });
        an
    }

    /// Text directly inside `i` (not inside child elements' blocks).
    fn direct_text(&self, i: usize) -> u32 {
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
    fn choose(&self, title: Option<&str>) -> Vec<usize> {
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
        let reach = 4;
        'climb: loop {
            let mut p = top;
            for _ in 0..reach {
                p = dom.nodes[p].parent;
                if p == usize::MAX || matches!(dom.nodes[p].tag, "body" | "html") || other_story(p, top) {
                    break 'climb;
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

    /// Whole stories, one after another: `<article>` elements (outermost) with
    /// a headline (`<h1>`, `<h2>`) and running text of their own, and the one
    /// headed by `title`. None unless there are two and one is the page's
    /// (the items of a listicle have smaller headings, and none is the page's).
    fn stories(&self, title: Option<&str>) -> (Vec<usize>, Option<usize>) {
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
    fn is_caption(&self, i: usize) -> bool {
        let p = self.dom.nodes[i].parent;
        self.dom.nodes[i].tag == "p" && p != usize::MAX && self.dom.nodes[p].media && self.stat[p].p <= 1
    }

    /// Live captions under `i`.
    fn captions(&self, i: usize) -> u32 {
        (i..self.dom.nodes[i].end).filter(|&c| !self.dead[c] && self.is_caption(c)).count() as u32
    }

    /// Whether the container of `list` is made of list items more than of
    /// paragraphs (key points, release notes), where the items are the text.
    fn list_made(&self, list: usize) -> bool {
        let Some(c) = self.dom.nodes.get(list).map(|l| l.parent).filter(|&c| c != usize::MAX) else {
            return false;
        };
        let st = self.stat[c];
        st.li >= 2 * st.p + 2
    }

    fn base_score(&self, i: usize) -> f32 {
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

    fn merge_siblings(&self, top: usize, score: &[f32], cand: &[bool]) -> Vec<usize> {
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

    /// Readability's conditional cleaning of containers inside the body.
    fn drop_container(&self, i: usize) -> bool {
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
        let st = self.stat[i];
        let h = self.hints[i];
        let w = hints::weight(h);
        if w < 0.0 && self.use_hints && !layout_box(&st, node) {
            return true;
        }
        if st.commas >= 10 || figures(&st) {
            return false;
        }
        let ld = st.link_density();
        let list = matches!(node.tag, "ul" | "ol");
        if list {
            return ld > 0.5;
        }
        if st.li > st.p + 2 && ld > 0.2 {
            return true;
        }
        if w < 25.0 && ld > 0.33 && st.text < 2000 {
            return true;
        }
        w >= 25.0 && ld > 0.5
    }

    /// Flattens the subtree of `root` into blocks.
    fn blocks(&self, root: usize, mode: Mode, out: &mut Vec<Block>) {
        let dom = self.dom;
        let end = dom.nodes[root].end;
        let mut cur = Block::default();
        let mut open: Vec<(usize, &'static str)> = Vec::new();
        let posts = self.live.as_ref().map_or(&[][..], |l| &l.posts[..]);
        let mut next_post = posts.partition_point(|p| p.0 < root);
        let mut shown_mark = usize::MAX;
        let mut i = root;
        while i < end {
            while let Some(&(e, _)) = open.last() {
                if e <= i {
                    open.pop();
                    flush(&mut cur, out);
                } else {
                    break;
                }
            }
            let node = &dom.nodes[i];
            let skip = match mode {
                Mode::All => node.hidden || node.excluded || node.tag == "nav" || self.hints[i].comments,
                Mode::Body { clean } => self.dead[i] || (clean && i != root && self.drop_container(i)),
            };
            if skip {
                i = node.end;
                continue;
            }
            while posts.get(next_post).is_some_and(|p| p.0 < i) {
                next_post += 1;
            }
            if let Some(&(post, mark)) = posts.get(next_post).filter(|p| p.0 == i) {
                // A live-blog post starts with its time, as a block of its own.
                flush(&mut cur, out);
                let text = live::time_text(dom, mark);
                let chars = text::visible_len(&text) as u32;
                out.push(Block { text, chars, links: 0, tag: "time", kind: BlockKind::Time, pos: post });
                next_post += 1;
                shown_mark = mark;
            }
            if i == shown_mark {
                i = node.end;
                continue;
            }
            if node.is_text() {
                if cur.text.is_empty() {
                    cur.tag = open.last().map(|o| o.1).unwrap_or("div");
                    cur.kind = kind_of(&open);
                    cur.pos = i;
                }
                let before = cur.text.len();
                text::push_collapsed(&mut cur.text, node.text);
                let added =
                    if self.dead[i] { text::visible_len(&cur.text[before..]) as u32 } else { self.stat[i].text };
                cur.chars += added;
                if self.in_link[i] {
                    cur.links += added;
                }
                i += 1;
                continue;
            }
            if node.tag == "br" || node.tag == "hr" {
                flush(&mut cur, out);
            } else if node.tag == "td" || node.tag == "th" {
                // Cells of one row make one line.
                if !cur.text.is_empty() && !cur.text.ends_with(' ') {
                    cur.text.push(' ');
                }
            } else if is_block(node.tag) {
                flush(&mut cur, out);
                open.push((node.end, static_tag(node.tag)));
            }
            i += 1;
        }
        flush(&mut cur, out);
    }
}

fn flush(cur: &mut Block, out: &mut Vec<Block>) {
    let t = cur.text.trim_end().len();
    cur.text.truncate(t);
    if cur.chars > 0 {
        out.push(std::mem::take(cur));
    } else {
        *cur = Block::default();
    }
}

/// What the metadata already says, so the body does not repeat it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Known<'a> {
    /// The headline.
    pub title: Option<&'a str>,
    /// The byline.
    pub byline: Option<&'a str>,
}

/// Whether a block survives the paragraph filters.
fn keep_block(b: &Block, known: &Known) -> bool {
    if b.kind == BlockKind::Time {
        return true;
    }
    if hints::may_start_notice(&b.text) && hints::is_notice(&b.text) {
        return true;
    }
    if b.tag == "h1" {
        return false;
    }
    if let Some(t) = known.title {
        let (n, m) = (t.len(), b.text.len());
        if m <= 2 * n && n <= 2 * m && text::fold(t) == text::fold(&b.text) {
            return false;
        }
    }
    let words = text::word_count(&b.text);
    if let Some(by) = known.byline.filter(|_| words <= 12) {
        // A credit line: the author's name and a word or two ("Jane Doe, staff writer").
        let (f, fb) = (text::fold(&b.text), text::fold(by));
        if !fb.is_empty() && words <= 12 && f.contains(&fb) && words <= text::word_count(by) + 3 {
            return false;
        }
    }
    let ld = if b.chars == 0 { 0.0 } else { b.links as f32 / b.chars as f32 };
    // Mostly links: a teaser or a list of links, unless plenty of plain text
    // remains (a paragraph with an inline hover card).
    if ld > 0.5 && b.chars.saturating_sub(b.links) < 150 {
        return false;
    }
    // A row of figures or a line of code is content where a lone line would be furniture.
    matches!(b.kind, BlockKind::TableRow | BlockKind::Code) || !hints::is_boilerplate(&b.text, words)
}

/// Extracts the body from the flat page. `forced` holds the nodes of the
/// caller's body selector, if any.
pub fn extract(dom: &Dom, known: &Known) -> Body {
    if dom.nodes.is_empty() {
        return Body { paragraphs: Vec::new(), kinds: Vec::new(), reason: Some("the page is empty") };
    }
    let first = attempt(dom, known, true);
    let len = |b: &Body| b.paragraphs.iter().map(|p| text::visible_len(p)).sum::<usize>();
    if len(&first) >= 800 {
        return first;
    }
    // Readability's second pass: names can lie; try again trusting only tags.
    let second = attempt(dom, known, false);
    if 2 * len(&second) > 3 * len(&first).max(100) { second } else { first }
}

fn attempt(dom: &Dom, known: &Known, use_hints: bool) -> Body {
    let an = Analysis::new(dom, use_hints);
    let forced: Vec<usize> = outermost(dom, (0..dom.nodes.len()).filter(|&i| dom.nodes[i].body_hit));
    let (mut roots, clean) = if forced.is_empty() { (an.choose(known.title), true) } else { (forced, false) };
    // Part of a live blog chosen: the blog is all its posts.
    if let Some(l) = &an.live
        && !roots.is_empty()
        && roots.iter().all(|&r| r != l.container && dom.contains(l.container, r))
    {
        roots = vec![l.container];
    }
    if roots.is_empty() {
        return Body {
            paragraphs: Vec::new(),
            kinds: Vec::new(),
            reason: Some("no block of text long enough to be an article"),
        };
    }
    let mut blocks = Vec::new();
    for &r in &roots {
        an.blocks(r, Mode::Body { clean }, &mut blocks);
    }
    let mut kept: Vec<Block> = blocks.into_iter().filter(|b| keep_block(b, known)).collect();
    while kept.last().is_some_and(|b| is_heading(b.tag)) {
        kept.pop();
    }
    drop_repeats(&mut kept);
    rescue_notices(&an, &roots, &mut kept);
    let words: usize = kept.iter().map(|b| text::word_count(&b.text)).sum();
    if words < 15 && !kept.iter().any(|b| hints::is_notice(&b.text)) && !is_brief(dom, &kept, known) {
        return Body { paragraphs: Vec::new(), kinds: Vec::new(), reason: Some("too little text for an article") };
    }
    let kinds = kept.iter().map(|b| b.kind).collect();
    Body { paragraphs: kept.into_iter().map(|b| b.text).collect(), kinds, reason: None }
}

/// Drops a run of blocks that repeats blocks already kept: the article
/// printed twice (one copy per screen size, a tab strip and its panels).
/// Repeated labels of a table or a plan ("Meal 1", "Eat every 2–3 hours")
/// stay: the run must hold real paragraphs.
fn drop_repeats(kept: &mut Vec<Block>) {
    const MIN_RUN: usize = 3;
    const MIN_WORDS: usize = 150;
    const LONG_WORDS: usize = 40;
    let mut seen = std::collections::HashSet::new();
    let repeated: Vec<bool> = kept.iter().map(|b| b.kind != BlockKind::Time && !seen.insert(b.text.as_str())).collect();
    let mut drop = vec![false; kept.len()];
    let mut i = 0;
    while i < kept.len() {
        let mut j = i;
        while j < kept.len() && repeated[j] {
            j += 1;
        }
        let words: Vec<usize> = kept[i..j].iter().map(|b| text::word_count(&b.text)).collect();
        let long = words.iter().filter(|&&w| w >= LONG_WORDS).count();
        if j - i >= MIN_RUN && words.iter().sum::<usize>() >= MIN_WORDS && long >= 2 {
            drop[i..j].iter_mut().for_each(|d| *d = true);
        }
        i = j.max(i + 1);
    }
    let mut k = 0;
    kept.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
}

/// A short story that is still a story: a brief or a one-line update. Length
/// alone cannot tell it from an error or sign-in page, so it takes a headline
/// shown on the page, the body inside article markup, and a real sentence.
fn is_brief(dom: &Dom, kept: &[Block], known: &Known) -> bool {
    use std::sync::LazyLock;
    static NOT_A_STORY: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)\b(?:not found|404|an error (?:has )?occurred|sign in|log ?in|sign up|subscribe|register|access denied|forbidden|unavailable|no longer available|page you|could not be found|cannot be found|does ?n[o']t exist|try again|enable javascript|accept cookies)\b",
        )
        .expect("valid regex")
    });
    let Some(title) = known.title.filter(|t| !NOT_A_STORY.is_match(t)) else {
        return false;
    };
    let sentence = |b: &Block| {
        let t = b.text.trim_end_matches(['"', '\'', '”', '’', '»', ')']);
        b.kind == BlockKind::Paragraph
            && text::word_count(&b.text) >= 6
            && t.ends_with(['.', '!', '?'])
            && b.text.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || !c.is_alphanumeric())
            && b.links * 4 < b.chars
    };
    let Some(said) = kept.iter().find(|b| sentence(b)) else {
        return false;
    };
    if kept.iter().any(|b| NOT_A_STORY.is_match(&b.text)) {
        return false;
    }
    let article_markup = |i: usize| {
        let node = &dom.nodes[i];
        node.tag == "article"
            || node.role.eq_ignore_ascii_case("articlebody")
            || node.role.eq_ignore_ascii_case("article")
    };
    // The sentence sits inside an element marked as the article.
    let mut a = said.pos;
    let mut marked = false;
    while a != usize::MAX && !marked {
        marked = article_markup(a);
        a = dom.nodes[a].parent;
    }
    let folded = text::fold(title);
    let headline_shown = (0..dom.nodes.len())
        .filter(|&i| matches!(dom.nodes[i].tag, "h1" | "h2"))
        .any(|i| text::fold(&subtree_text(dom, i)) == folded);
    marked && headline_shown
}

/// Keeps editor's notes and corrections that sit outside the chosen
/// container (an article `<footer>`, a "correction" box) next to it.
fn rescue_notices(an: &Analysis, roots: &[usize], kept: &mut Vec<Block>) {
    let dom = an.dom;
    // Only notices near the article: inside the parent or grandparent of a chosen subtree.
    let mut scopes: Vec<(usize, usize)> = roots
        .iter()
        .map(|&r| {
            let p = dom.nodes[r].parent;
            let gp = if p == usize::MAX { p } else { dom.nodes[p].parent };
            let scope = if gp != usize::MAX && dom.nodes[gp].tag != "html" {
                gp
            } else if p != usize::MAX {
                p
            } else {
                r
            };
            (scope, dom.nodes[scope].end)
        })
        .collect();
    scopes.sort_unstable();
    scopes.dedup();
    let mut done_until = 0;
    let mut found = Vec::new();
    for (scope, end) in scopes {
        let mut i = scope.max(done_until);
        while i < end {
            let node = &dom.nodes[i];
            if node.hidden || node.excluded || node.tag == "nav" || an.hints[i].comments {
                i = node.end;
                continue;
            }
            if node.is_text() && hints::may_start_notice(node.text) {
                // The enclosing block holds the whole notice.
                let mut b = node.parent;
                while b != usize::MAX && !is_block(dom.nodes[b].tag) {
                    b = dom.nodes[b].parent;
                }
                if b != usize::MAX {
                    an.blocks(b, Mode::All, &mut found);
                    i = dom.nodes[b].end;
                    continue;
                }
            }
            i += 1;
        }
        done_until = done_until.max(end);
    }
    for b in found {
        if !hints::is_notice(&b.text) || kept.iter().any(|k| k.text.contains(&b.text)) {
            continue;
        }
        let at = kept.iter().position(|k| k.pos > b.pos).unwrap_or(kept.len());
        kept.insert(at, b);
    }
}

/// The members of `it` that have no ancestor in it.
fn outermost(dom: &Dom, it: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for i in it {
        if out.last().is_some_and(|&l| dom.contains(l, i)) {
            continue;
        }
        out.push(i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::dom::{Dom, Marks};
    use super::*;
    use scraper::Html;

    fn body(src: &str) -> Body {
        let html = Html::parse_document(src);
        let dom = Dom::build(&html, &Marks::default());
        extract(&dom, &Known { title: Some("The Headline"), byline: None })
    }

    const P1: &str = "The council voted on Tuesday to close the old bridge, citing a report that found deep cracks in two of its piers.";
    const P2: &str = "Engineers said repairs would take at least a year, and the detour adds twenty minutes for commuters from the east side.";
    const P3: &str = "Residents, who packed the hall, asked why the report had not been published sooner; the mayor promised an inquiry.";

    #[test]
    fn keeps_paragraphs_drops_furniture() {
        let src = format!(
            "<body><nav><a href=/>Home</a> <a href=/news>News</a></nav>\
             <div class=sidebar><p>Updated 7 minutes ago</p><ul><li><a href=/a>Other story one here</a></li></ul></div>\
             <article><h1>The Headline</h1><p>{P1}</p><div class=ad>Advertisement</div><p>{P2}</p>\
             <div class=share-bar><a href=#>Share</a></div><h2>What comes next</h2><p>{P3}</p>\
             <p>Editor's note: this article was updated to include the mayor's response.</p></article>\
             <footer><p>Copyright 2026 The Paper, all rights reserved in every known universe.</p></footer></body>"
        );
        let b = body(&src);
        assert_eq!(
            b.paragraphs,
            [P1, P2, "What comes next", P3, "Editor's note: this article was updated to include the mayor's response."]
        );
    }

    #[test]
    fn br_separated_text_becomes_paragraphs() {
        let src =
            format!("<body><div id=story>{P1}<br><br>{P2}<br>{P3}</div><div id=links><a href=/x>x</a></div></body>");
        assert_eq!(body(&src).paragraphs, [P1, P2, P3]);
    }

    #[test]
    fn notice_in_article_footer_is_kept() {
        let src = format!(
            "<body><article><div class=body><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>\
             <footer class=article-footer><p>Correction: An earlier version of this article misstated the length of the detour.</p></footer></article></body>"
        );
        let b = body(&src);
        assert_eq!(b.paragraphs.len(), 4, "{:?}", b.paragraphs);
        assert!(b.paragraphs[3].starts_with("Correction:"));
    }

    #[test]
    fn a_brief_needs_headline_article_markup_and_a_sentence() {
        let brief = "<body><article><h1>The Headline</h1><p>The bridge has reopened after this morning's crash.</p></article></body>";
        assert_eq!(body(brief).paragraphs, ["The bridge has reopened after this morning's crash."]);
        let unmarked = brief.replace("article>", "div>");
        assert!(body(&unmarked).paragraphs.is_empty(), "no article markup");
        let sign_in = brief.replace(
            "The bridge has reopened after this morning's crash.",
            "Please sign in to continue reading this story.",
        );
        assert!(body(&sign_in).paragraphs.is_empty(), "a sign-in page");
        let fragment = brief.replace("The bridge has reopened after this morning's crash.", "Bridge reopened");
        assert!(body(&fragment).paragraphs.is_empty(), "no sentence");
    }

    #[test]
    fn sections_split_by_subheadings_are_one_article() {
        // One long section outscores the others; each section adds only its
        // heading to its text wrapper, so the climb looks past it.
        let long = format!("<p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P1}</p><p>{P2}</p>");
        let part = |h: &str, ps: &str| {
            format!(
                "<div class=part><div class=head><h3>{h}</h3></div><div class=b><div class=t>{ps}</div></div></div>"
            )
        };
        let src = format!(
            "<body><nav><a href=/>Home</a></nav><div class=page><div class=content>{}{}{}</div></div></body>",
            part("First", &format!("<p>{P3}</p><p>{P2}</p>")),
            part("Second", &long),
            part("Third", &format!("<p>{P1}</p><p>{P3}</p>")),
        );
        let b = body(&src);
        assert_eq!(b.paragraphs.first().map(String::as_str), Some("First"), "{:?}", b.paragraphs);
        assert_eq!(b.paragraphs.len(), 3 + 2 + 5 + 2, "{:?}", b.paragraphs);
    }

    #[test]
    fn collapsed_accordion_panels_are_read() {
        let item =
            |q: &str, a: &str| format!("<div class=item><h3>{q}</h3><div hidden><p>{a}</p><p>{P1}</p></div></div>");
        let src = format!(
            "<body><nav><a href=/>Home</a></nav><article><p>{P1}</p><p>{P2}</p>{}{}<p>{P3}</p></article></body>",
            item("Why now?", P2),
            item("What next?", P3).replace("<h3>What next?</h3>", "<div><a role=button href=#n>What next?</a></div>"),
        );
        let b = body(&src);
        // The second toggle is a bare link, dropped as a link line; its panel stays.
        assert_eq!(b.paragraphs.len(), 2 + 3 + 2 + 1, "{:?}", b.paragraphs);
        assert_eq!(b.paragraphs[2], "Why now?");
    }

    #[test]
    fn panels_behind_a_button_are_read() {
        // A button's own content is skipped: a bare one beside the panel, or one in the heading.
        let bare = |q: &str, a: &str| {
            format!(
                "<div class=faq-item><button aria-expanded=false>{q}</button><div hidden><p>{a}</p><p>{P1}</p></div></div>"
            )
        };
        let in_heading = |q: &str, a: &str| {
            format!("<div class=faq-item><h3><button>{q}</button></h3><div hidden><p>{a}</p><p>{P1}</p></div></div>")
        };
        for item in [bare, in_heading] {
            let src = format!(
                "<body><nav><a href=/>Home</a></nav><article><p>{P1}</p><p>{P2}</p>{}{}<p>{P3}</p></article></body>",
                item("Why now?", P2),
                item("What next?", P3),
            );
            let b = body(&src);
            assert_eq!(b.paragraphs.len(), 2 + 2 + 2 + 1, "{:?}", b.paragraphs);
            assert_eq!(b.paragraphs[3], P1);
        }
        // A short hidden box beside a button (a modal and its close button) stays hidden.
        let modal = format!(
            "<body><article><p>{P1}</p><p>{P2}</p><p>{P3}</p></article><div class=modal><button>Close</button><div hidden><p>Sign up.</p></div></div></body>"
        );
        assert_eq!(body(&modal).paragraphs.len(), 3);
    }

    #[test]
    fn layout_words_in_a_name_are_not_furniture() {
        assert!(layout_name("w-embed", ""));
        assert!(layout_name("field field--label-hidden field__items", ""));
        assert!(layout_name("layout--right-rail", ""));
        assert!(!layout_name("elementor-hidden-tablet elementor-hidden-mobile", ""), "shown on some screens only");
        assert!(!layout_name("modal", ""));
        assert!(!layout_name("embed sidebar", ""));
        assert!(!layout_name("plain", ""), "no furniture word at all");
    }

    #[test]
    fn a_table_of_figures_in_an_embed_box_is_kept() {
        let rows: String = ["Quanta Services", "MYR Group", "MasTec", "Rosendin Electric", "Cupertino Electric"]
            .iter()
            .enumerate()
            .map(|(k, n)| {
                format!("<tr><td><a href=/f{k}>{n}</a></td><td>${k}.4 billion in revenue for the year</td></tr>")
            })
            .collect();
        let src = format!(
            "<body><nav><a href=/>Home</a></nav><article><p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P1}</p>\
             <div class=w-embed><table><tr><th>Company</th><th>Revenue</th></tr>{rows}</table></div><p>{P2}</p><p>{P3}</p></article></body>"
        );
        let b = body(&src);
        assert!(b.paragraphs.iter().any(|p| p.starts_with("MasTec")), "{:?}", b.paragraphs);
        // A weak furniture word for what the box is, not how it is laid out, still drops it.
        let b = body(&src.replace("w-embed", "modal"));
        assert!(b.paragraphs.iter().all(|p| !p.starts_with("MasTec")), "{:?}", b.paragraphs);
    }

    #[test]
    fn running_text_in_a_clipped_box_is_kept() {
        let src = format!(
            "<body><article><p>{P1}</p><p>{P2}</p><div class='grid overflow-hidden'><h3>Why now?</h3><p>{P3}</p><p>{P2}</p><p>{P1}</p></div></article></body>"
        );
        let b = body(&src);
        assert!(b.paragraphs.iter().any(|p| p == "Why now?"), "{:?}", b.paragraphs);
    }

    #[test]
    fn hidden_menus_and_short_tips_stay_hidden() {
        // A menu after its button is links; a tooltip after a heading is short.
        let src = format!(
            "<body><article><p>{P1}</p><p>{P2}</p><button>Menu</button><div hidden><p>{}</p></div>\
             <h3>Note</h3><div hidden><p>Tap to copy.</p></div><p>{P3}</p></article></body>",
            (0..12).map(|k| format!("<a href=/s{k}>Section number {k}</a> ")).collect::<String>()
        );
        let b = body(&src);
        assert!(
            b.paragraphs.iter().all(|p| !p.contains("Section number") && !p.contains("Tap to")),
            "{:?}",
            b.paragraphs
        );
        assert!(b.paragraphs.iter().any(|p| p == P3), "{:?}", b.paragraphs);
    }

    #[test]
    fn highlighted_code_keeps_its_comment_spans() {
        let src = format!(
            "<body><article><p>{P1}</p><p>{P2}</p><pre><code><span class=hljs-comment># undo the last commit</span>\ngit reset HEAD~1</code></pre><p>{P3}</p></article></body>"
        );
        let b = body(&src);
        assert!(b.paragraphs.iter().any(|p| p.contains("# undo the last commit")), "{:?}", b.paragraphs);
    }

    fn blocks_of(texts: &[&str]) -> Vec<Block> {
        let chars = |t: &str| t.chars().count() as u32;
        texts.iter().map(|t| Block { text: t.to_string(), chars: chars(t), ..Block::default() }).collect()
    }

    #[test]
    fn a_repeated_copy_of_the_article_is_dropped() {
        let long = |n: usize| format!("{} {n}", "word ".repeat(55).trim_end());
        let (a, b, c) = (long(1), long(2), long(3));
        let mut kept = blocks_of(&[&a, &b, &c, "Unique ending.", &a, &b, &c]);
        drop_repeats(&mut kept);
        let texts: Vec<&str> = kept.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, [a.as_str(), b.as_str(), c.as_str(), "Unique ending."]);
    }

    #[test]
    fn repeated_labels_and_short_runs_stay() {
        let long = format!("{} end", "word ".repeat(45).trim_end());
        // Labels of a timetable repeat, and one long paragraph quoted again is not a copy.
        let texts = ["Line 4", "Every 10 minutes", "First bus 05:30", "Line 9", "Every 10 minutes", "First bus 05:30"];
        let mut kept = blocks_of(&texts);
        drop_repeats(&mut kept);
        assert_eq!(kept.len(), 6);
        let mut kept = blocks_of(&[&long, "Short line one here.", &long, "Short line one here.", "Other."]);
        drop_repeats(&mut kept);
        assert_eq!(kept.len(), 5);
    }

    #[test]
    fn no_article_gives_reason() {
        let b = body("<body><nav><a href=/a>A</a><a href=/b>B</a></nav><p>Hi</p></body>");
        assert!(b.paragraphs.is_empty());
        assert!(b.reason.is_some());
    }

    #[test]
    fn deep_nesting_is_fine() {
        let depth = 100_000;
        let src = format!("<body>{}<p>{P1}</p><p>{P2}</p>{}</body>", "<div>".repeat(depth), "</div>".repeat(depth));
        let src = super::super::guard::limit_depth(&src, super::super::guard::MAX_DEPTH);
        let html = Html::parse_document(&src);
        let dom = Dom::build(&html, &Marks::default());
        let b = extract(&dom, &Known::default());
        assert_eq!(b.paragraphs, [P1, P2]);
    }
}
