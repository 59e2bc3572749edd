//! The article body: furniture out, content scoring in the readability
//! tradition (text density, link density, class/id hints, sibling merging),
//! then the chosen subtrees flattened into paragraphs.
//!
//! Every pass is a loop over the flat [`Dom`]; nothing recurses.
//!
//! - `score`: per-node statistics and the choice of the article's roots.
//! - `visible`: what counts as shown, and which layout boxes hold content.
//! - `flatten`: a chosen subtree into paragraphs with their kinds.
//! - `clean`: which containers inside the chosen body are furniture.
//! - `bio`: the author's bio closing a story.

mod bio;
mod clean;
mod flatten;
mod score;
#[cfg(test)]
mod tests;
mod visible;

use super::BlockKind;
use super::dom::Dom;
use super::hints;
use super::text;
use flatten::{Block, Mode};
use score::Analysis;

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
    fn sub(&mut self, o: &Stat) {
        self.text = self.text.saturating_sub(o.text);
        self.links = self.links.saturating_sub(o.links);
        self.commas = self.commas.saturating_sub(o.commas);
        self.p = self.p.saturating_sub(o.p);
        self.li = self.li.saturating_sub(o.li);
        self.rows = self.rows.saturating_sub(o.rows);
    }
    fn link_density(&self) -> f32 {
        if self.text == 0 { 0.0 } else { self.links as f32 / self.text as f32 }
    }
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

/// The text of `i`'s subtree, as written (no collapsing).
fn subtree_text(dom: &Dom, i: usize) -> String {
    dom.nodes[i..dom.nodes[i].end].iter().filter(|t| t.is_text()).map(|t| t.text).collect()
}

/// What the metadata already says, so the body does not repeat it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Known<'a> {
    /// The headline.
    pub title: Option<&'a str>,
    /// The byline.
    pub byline: Option<&'a str>,
}

/// The headline and byline folded ([`text::fold`]) once for the filters of every block.
struct Folded {
    /// The folded headline and the length of the headline as written.
    title: Option<(String, usize)>,
    /// The folded byline and its word count.
    byline: Option<(String, usize)>,
}

impl Folded {
    fn of(known: &Known) -> Folded {
        Folded {
            title: known.title.map(|t| (text::fold(t), t.len())),
            byline: known.byline.map(|by| (text::fold(by), text::word_count(by))),
        }
    }
}

/// Whether a block survives the paragraph filters.
fn keep_block(b: &Block, known: &Folded) -> bool {
    if b.kind == BlockKind::Time {
        return true;
    }
    if hints::may_start_notice(&b.text) && hints::is_notice(&b.text) {
        return true;
    }
    if b.tag == "h1" {
        return false;
    }
    if let Some((t, n)) = &known.title {
        let (n, m) = (*n, b.text.len());
        if m <= 2 * n && n <= 2 * m && *t == text::fold(&b.text) {
            return false;
        }
    }
    let words = text::word_count(&b.text);
    if let Some((fb, by_words)) = known.byline.as_ref().filter(|_| words <= 12) {
        // A credit line: the author's name and a word or two ("Jane Doe, staff writer").
        if !fb.is_empty() && words <= by_words + 3 && text::fold(&b.text).contains(fb.as_str()) {
            return false;
        }
    }
    let ld = if b.chars == 0 { 0.0 } else { b.links as f32 / b.chars as f32 };
    // Mostly links: a teaser or a list of links, unless plenty of plain text
    // remains (a paragraph with an inline hover card). Inside the article a
    // subheading that is wholly a link to its section, or a table row whose
    // first cell links to its subject, is still content ("Related: …" is not).
    let plain = b.chars.saturating_sub(b.links);
    let linked_content =
        (b.kind == BlockKind::Subheading && plain == 0) || (b.kind == BlockKind::TableRow && plain >= 3);
    if ld > 0.5 && plain < 150 && !linked_content {
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
    let folded = Folded::of(known);
    let mut kept: Vec<Block> = blocks.into_iter().filter(|b| keep_block(b, &folded)).collect();
    while kept.last().is_some_and(|b| is_heading(b.tag)) {
        kept.pop();
    }
    drop_repeats(&mut kept);
    drop_references(&mut kept);
    bio::drop_bio(&mut kept, known.byline);
    rescue_notices(&an, &roots, &mut kept);
    // Only whether 15 words are reached matters: count until they are.
    let mut words = 0;
    for b in &kept {
        words += text::word_count(&b.text);
        if words >= 15 {
            break;
        }
    }
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

/// Drops the list of references under its heading ("References", "Article
/// Sources", "Bibliography"): works the story cites, not the story (footnotes
/// stay: they often carry prose of their own).
/// The list runs to the next heading or the end.
fn drop_references(kept: &mut Vec<Block>) {
    use std::sync::LazyLock;
    static HEAD: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)^\W*(?:article |list of )?(?:references?|sources|sources and references|references and (?:notes|sources)|citations?|works cited|bibliography|quellen|quellenangaben|einzelnachweise|literatur|références|bibliographie|referencias|bibliografía|fuentes|bibliografia|fonti)\W*$",
        )
        .expect("valid regex")
    });
    let Some(at) = kept.iter().position(|b| text::word_count(&b.text) <= 4 && HEAD.is_match(&b.text)) else {
        return;
    };
    let end = kept[at + 1..].iter().position(|b| is_heading(b.tag)).map_or(kept.len(), |e| at + 1 + e);
    kept.drain(at..end);
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
