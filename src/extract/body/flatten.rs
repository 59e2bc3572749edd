//! A chosen subtree flattened into blocks: paragraphs, headings, list items,
//! quotes, code and table rows, each with its kind.

use super::super::BlockKind;
use super::super::{live, text};
use super::is_block;
use super::score::Analysis;

/// Which nodes a flattening pass skips.
#[derive(Clone, Copy)]
pub(super) enum Mode {
    /// The article: dropped furniture out, and (`clean`) low-value containers too.
    Body { clean: bool },
    /// Anything visible outside comment sections and navigation.
    All,
}

/// One paragraph being assembled.
#[derive(Default, Debug)]
pub(super) struct Block {
    pub(super) text: String,
    pub(super) chars: u32,
    pub(super) links: u32,
    pub(super) tag: &'static str,
    pub(super) kind: BlockKind,
    pub(super) pos: usize,
}

/// The kind of a block from the elements open around its first text,
/// innermost first: a paragraph inside a list item is a list item.
pub(super) fn kind_of(open: &[(usize, &'static str)]) -> BlockKind {
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

pub(super) fn static_tag(tag: &str) -> &'static str {
    pub(super) const TAGS: &[&str] = &[
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
    /// Flattens the subtree of `root` into blocks.
    pub(super) fn blocks(&self, root: usize, mode: Mode, out: &mut Vec<Block>) {
        let dom = self.dom;
        let end = dom.nodes[root].end;
        let mut cur = Block::default();
        let mut open: Vec<(usize, &'static str)> = Vec::new();
        let posts = self.live.as_ref().map_or(&[][..], |l| &l.posts[..]);
        let mut next_post = posts.partition_point(|p| p.0 < root);
        let mut shown_mark = usize::MAX;
        let dropped = match mode {
            Mode::Body { clean: true } => self.dropped_containers(root),
            _ => Vec::new(),
        };
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
                Mode::Body { clean } => self.dead[i] || (clean && dropped[i - root]),
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

pub(super) fn flush(cur: &mut Block, out: &mut Vec<Block>) {
    let t = cur.text.trim_end().len();
    cur.text.truncate(t);
    if cur.chars > 0 {
        out.push(std::mem::take(cur));
    } else {
        *cur = Block::default();
    }
}
