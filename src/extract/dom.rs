//! A flat, pre-order copy of the parsed page that the body extractor works on.
//!
//! Every subtree is a contiguous index range `i..end[i]`, so walks are loops
//! over ranges, never recursion: a page nested 100,000 levels deep costs the
//! same stack as a flat one.

use super::hints::{self, FnvBuild, Hint};
use super::text;
use scraper::{Html, Node as HtmlNode};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

/// Elements whose content is never article text.
fn skipped(tag: &str) -> bool {
    matches!(
        tag,
        "head"
            | "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "math"
            | "iframe"
            | "object"
            | "embed"
            | "canvas"
            | "video"
            | "audio"
            | "select"
            | "option"
            | "button"
            | "input"
            | "textarea"
            | "link"
            | "meta"
            | "title"
            | "map"
            | "dialog"
            | "picture"
            | "source"
            | "img"
            | "amp-img"
            | "amp-ad"
            | "amp-analytics"
    )
}

/// One node of the flat copy: an element or a text run.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    /// Element name, lower-case; empty for text.
    pub tag: &'a str,
    /// Text of a text node; empty for elements.
    pub text: &'a str,
    /// Characters of `text` that are not whitespace ([`text::visible_len`]), counted once here
    /// as every pass of the body reads it.
    pub text_len: u32,
    /// `class` attribute.
    pub class: &'a str,
    /// `id` attribute.
    pub id: &'a str,
    /// Parent index; `usize::MAX` for the root.
    pub parent: usize,
    /// One past the last index of this node's subtree.
    pub end: usize,
    /// Nesting depth below the root.
    pub depth: u32,
    /// Hidden by the page (`hidden`, `display:none`, `aria-hidden`).
    pub hidden: bool,
    /// Matched one of the caller's exclude selectors.
    pub excluded: bool,
    /// Matched the caller's body selector.
    pub body_hit: bool,
    /// `role` or `itemprop` attribute, for hints.
    pub role: &'a str,
    /// `datetime` attribute (of `<time>`), for live-blog post times.
    pub datetime: &'a str,
    /// Has an image or video as a direct child (which is not copied).
    pub media: bool,
    /// Holds a `<button>` as a child (a button's own content is skipped, so the
    /// toggle of an accordion panel shows only here).
    pub button: bool,
}

impl Node<'_> {
    /// Whether this is a text node.
    pub fn is_text(&self) -> bool {
        self.tag.is_empty()
    }
}

/// The flat page.
pub struct Dom<'a> {
    /// Nodes in document order.
    pub nodes: Vec<Node<'a>>,
    /// [`hints::hint`] of each (class, id, role) already read: the same names recur on a
    /// page, and the body reads them once a pass.
    hint_cache: RefCell<HashMap<(&'a str, &'a str, &'a str), Hint, FnvBuild>>,
}

/// Elements marked by the caller's rules, keyed by [`key`].
#[derive(Default)]
pub struct Marks {
    /// Subtrees to drop.
    pub exclude: HashSet<usize>,
    /// Elements holding the body.
    pub body: HashSet<usize>,
}

/// A stable key for a parsed node: its address inside the parsed tree, which
/// never moves once parsing is done (avoids depending on `ego_tree` for its id type).
pub fn key(node: &HtmlNode) -> usize {
    std::ptr::from_ref(node) as usize
}

/// The attributes the extractor reads, in one pass over the element's
/// attributes (`Element::attr` interns its argument on every call).
#[derive(Default)]
struct Attrs<'a> {
    class: &'a str,
    id: &'a str,
    role: &'a str,
    datetime: &'a str,
    hidden: bool,
}

fn read_attrs(el: &scraper::node::Element) -> Attrs<'_> {
    let mut a = Attrs::default();
    let mut itemprop = "";
    for (k, v) in el.attrs() {
        match k {
            "class" => a.class = v,
            "id" => a.id = v,
            "role" => a.role = v,
            "itemprop" => itemprop = v,
            "datetime" => a.datetime = v,
            "hidden" => a.hidden = true,
            "aria-hidden" => a.hidden |= v.trim() == "true",
            "style" => a.hidden |= style_hides(v),
            _ => {}
        }
    }
    if a.role.is_empty() {
        a.role = itemprop;
    }
    // React's streamed HTML parks each finished segment in `<div hidden
    // id="S:…">` until a script moves it into place: it is content.
    if a.hidden && a.id.starts_with("S:") {
        a.hidden = false;
    }
    a
}

fn style_hides(style: &str) -> bool {
    if !style.contains("none") && !style.contains("hidden") {
        return false;
    }
    let s: String = style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase();
    s.contains("display:none") || s.contains("visibility:hidden")
}

impl<'a> Dom<'a> {
    /// Copies the `<body>` (or the whole document) of `html`.
    pub fn build(html: &'a Html, marks: &Marks) -> Dom<'a> {
        // The copy holds at most the parsed tree's nodes: one allocation.
        let mut nodes: Vec<Node<'a>> = Vec::with_capacity(html.tree.values().len());
        let root = html.tree.root();
        // Path of (scraper node, arena index or MAX when not copied).
        let mut path: Vec<usize> = Vec::new();
        let mut cur = root.first_child();
        let mut parent = usize::MAX;
        while let Some(n) = cur {
            let mut descend = false;
            match n.value() {
                HtmlNode::Element(el) => {
                    let tag = el.name();
                    if parent != usize::MAX && matches!(tag, "img" | "picture" | "video" | "amp-img") {
                        nodes[parent].media = true;
                    }
                    if parent != usize::MAX && tag == "button" {
                        nodes[parent].button = true;
                    }
                    if !skipped(tag) {
                        let idx = nodes.len();
                        let depth = path.len() as u32;
                        let at = read_attrs(el);
                        nodes.push(Node {
                            tag,
                            text: "",
                            text_len: 0,
                            class: at.class,
                            id: at.id,
                            role: at.role,
                            datetime: at.datetime,
                            media: false,
                            button: false,
                            parent,
                            end: idx + 1,
                            depth,
                            hidden: at.hidden,
                            excluded: !marks.exclude.is_empty() && marks.exclude.contains(&key(n.value())),
                            body_hit: !marks.body.is_empty() && marks.body.contains(&key(n.value())),
                        });
                        if n.has_children() {
                            descend = true;
                            path.push(idx);
                            parent = idx;
                        }
                    }
                }
                HtmlNode::Text(t) => {
                    let idx = nodes.len();
                    nodes.push(Node {
                        tag: "",
                        text: &t.text,
                        text_len: text::visible_len(&t.text) as u32,
                        class: "",
                        id: "",
                        role: "",
                        datetime: "",
                        media: false,
                        button: false,
                        parent,
                        end: idx + 1,
                        depth: path.len() as u32,
                        hidden: false,
                        excluded: false,
                        body_hit: false,
                    });
                }
                _ => {}
            }
            if descend {
                cur = n.first_child();
                continue;
            }
            // Move to the next sibling, closing finished ancestors.
            let mut m = n;
            loop {
                if let Some(s) = m.next_sibling() {
                    cur = Some(s);
                    break;
                }
                match m.parent() {
                    Some(p) if p.id() != root.id() => {
                        if let HtmlNode::Element(el) = p.value()
                            && !skipped(el.name())
                        {
                            let idx = path.pop().expect("path tracks open elements");
                            nodes[idx].end = nodes.len();
                            parent = path.last().copied().unwrap_or(usize::MAX);
                        }
                        m = p;
                    }
                    _ => {
                        cur = None;
                        break;
                    }
                }
            }
        }
        while let Some(idx) = path.pop() {
            nodes[idx].end = nodes.len();
        }
        Dom { nodes, hint_cache: RefCell::default() }
    }

    /// The hint of element `i`'s class, id and role, read once per distinct triple.
    pub fn hint(&self, i: usize) -> Hint {
        let n = &self.nodes[i];
        let key = (n.class, n.id, n.role);
        *self.hint_cache.borrow_mut().entry(key).or_insert_with(|| hints::hint(n.class, n.id, n.role))
    }

    /// Children of `i`, in order.
    pub fn children(&self, i: usize) -> Children<'_, 'a> {
        Children { dom: self, next: i + 1, end: self.nodes[i].end }
    }

    /// Whether `a` is `d` or one of its ancestors.
    pub fn contains(&self, a: usize, d: usize) -> bool {
        a <= d && d < self.nodes[a].end
    }
}

/// Iterator over the children of one node.
pub struct Children<'d, 'a> {
    dom: &'d Dom<'a>,
    next: usize,
    end: usize,
}

impl Iterator for Children<'_, '_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        if self.next >= self.end {
            return None;
        }
        let i = self.next;
        self.next = self.dom.nodes[i].end;
        Some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_subtrees() {
        let html = Html::parse_document("<body><div id=a><p>x<b>y</b></p><p>z</p></div><script>s</script></body>");
        let dom = Dom::build(&html, &Marks::default());
        let tags: Vec<&str> = dom.nodes.iter().map(|n| if n.is_text() { n.text } else { n.tag }).collect();
        assert_eq!(tags, ["html", "body", "div", "p", "x", "b", "y", "p", "z"]);
        let div = 2;
        assert_eq!(dom.nodes[div].end, 9);
        assert_eq!(dom.children(div).collect::<Vec<_>>(), [3, 7]);
        assert!(dom.contains(div, 6));
        assert_eq!(dom.nodes[6].parent, 5);
    }

    #[test]
    fn deep_nesting_needs_no_stack() {
        let depth = 100_000;
        let src = format!("{}deep{}", "<span>".repeat(depth), "</span>".repeat(depth));
        let html = Html::parse_document(&src);
        let dom = Dom::build(&html, &Marks::default());
        assert!(dom.nodes.len() > 1000);
        assert_eq!(dom.nodes[0].end, dom.nodes.len());
    }

    #[test]
    fn hidden_elements_are_flagged() {
        let html = Html::parse_document("<div style='display: none'>a</div><div hidden>b</div><div>c</div>");
        let dom = Dom::build(&html, &Marks::default());
        let flags: Vec<bool> = dom.nodes.iter().filter(|n| n.tag == "div").map(|n| n.hidden).collect();
        assert_eq!(flags, [true, true, false]);
    }
}
