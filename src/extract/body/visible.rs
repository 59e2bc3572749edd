//! What of the page counts as shown: hidden stories, collapsed panels, and
//! layout boxes whose furniture-sounding names hold real content.

use super::super::dom::{Dom, Node};
use super::super::hints::{self, Hint};
use super::Stat;

/// Whether hidden element `i` holds part of the story: running text, no
/// furniture name, and right after visible running text (a collapsed rest
/// follows the part shown; a dialog or menu stands apart).
pub(super) fn hidden_story(dom: &Dom, raw: &[Stat], hints: &[Hint], i: usize) -> bool {
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
pub(super) fn collapsed_panel(dom: &Dom, all: &[Stat], hints: &[Hint], i: usize) -> bool {
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
pub(super) fn substantive(r: &Stat) -> bool {
    let plain = r.text.saturating_sub(r.links);
    (r.p >= 2 && plain >= 300 && r.link_density() < 0.3) || figures(r)
}

/// Whether a subtree is a table of figures: rows of cells with plain text
/// beside the links (a ranking whose names link to the firms, a price list),
/// not a grid of links.
pub(super) fn figures(r: &Stat) -> bool {
    r.rows >= 3 && r.text.saturating_sub(r.links) >= 150 && r.link_density() < 0.8
}

/// A box whose name only says how it is laid out ([`layout_name`]) and which holds
/// [`substantive`] matter: part of the story, whatever its furniture words.
pub(super) fn layout_box(r: &Stat, node: &Node) -> bool {
    substantive(r) && layout_name(node.class, node.id)
}

/// Whether the furniture words of a name only say how a block is laid out
/// or loaded, not what it is: a page builder's embed box ("w-embed"), a
/// collapsed or clipped box ("overflow-hidden", "label-hidden"), the column
/// beside a rail ("layout--right-rail"), a list's header. Such a box that
/// holds [`substantive`] matter is part of the story. A box hidden on some
/// screens only ("hidden-mobile") is a second copy or a side column.
pub(super) fn layout_name(class: &str, id: &str) -> bool {
    pub(super) const SOFT: &[&str] = &["embed", "hidden", "rail", "header"];
    pub(super) const SCREENS: &[&str] = &["mobile", "tablet", "desktop", "phone", "xs", "sm", "md", "lg", "xl"];
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
