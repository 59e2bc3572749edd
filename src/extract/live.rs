//! Live blogs: a story made of timestamped posts, newest first. The posts
//! are found by their time marks (a `<time>` element, or a short element whose
//! class names a time and whose text reads as a clock time), so that each post
//! can start with its time as a block of its own: a new post on top is then
//! an addition, not a rewrite of the page.

use super::dom::Dom;
use super::text;

/// The posts of a live blog.
#[derive(Debug, Default)]
pub struct Live {
    /// The element whose children are the posts.
    pub container: usize,
    /// Each post and its time mark, in document order.
    pub posts: Vec<(usize, usize)>,
}

/// The fewest posts that make a live blog.
const MIN_POSTS: usize = 3;
/// How far above its time mark a post may start.
const MAX_CLIMB: usize = 8;

/// Finds the live blog on the page, if there is one. `plain(i)` is the live
/// text of `i` outside links; posts need some beyond their time mark.
pub fn find(dom: &Dom, plain: impl Fn(usize) -> u32) -> Option<Live> {
    let n = dom.nodes.len();
    let marks: Vec<usize> = (0..n).filter(|&i| is_time_mark(dom, i)).collect();
    if marks.len() < MIN_POSTS {
        return None;
    }
    // For every element, the first time mark below it; for every parent, how
    // many children hold one.
    let mut mark_of = vec![usize::MAX; n];
    let mut holders = vec![0u32; n];
    for &m in &marks {
        let mut c = m;
        for _ in 0..MAX_CLIMB {
            let p = dom.nodes[c].parent;
            if p == usize::MAX {
                break;
            }
            if mark_of[c] == usize::MAX {
                mark_of[c] = m;
                holders[p] += 1;
            }
            c = p;
        }
    }
    let mut best: Option<Live> = None;
    for p in (0..n).filter(|&p| holders[p] as usize >= MIN_POSTS) {
        let mut posts = Vec::new();
        let mut others = 0;
        for c in dom.children(p) {
            let m = mark_of[c];
            if m != usize::MAX && m != c && plain(c).saturating_sub(plain(m)) >= 40 && !linked_heading(dom, c) {
                posts.push((c, m));
            } else if !dom.nodes[c].is_text() && plain(c) > 0 {
                others += 1;
            }
        }
        // Posts look alike (one tag and class): a story with a few timed
        // teasers beside it is not a live blog.
        let alike =
            |a: usize, b: usize| dom.nodes[a].tag == dom.nodes[b].tag && dom.nodes[a].class == dom.nodes[b].class;
        let most = posts.iter().map(|&(c, _)| posts.iter().filter(|&&(d, _)| alike(c, d)).count()).max().unwrap_or(0);
        if let Some(&(model, _)) =
            posts.iter().find(|&&(c, _)| posts.iter().filter(|&&(d, _)| alike(c, d)).count() == most)
        {
            others += posts.iter().filter(|&&(c, _)| !alike(c, model)).count();
            posts.retain(|&(c, _)| alike(c, model));
        }
        // Posts make most of the container; the deepest container wins a tie.
        if posts.len() >= MIN_POSTS
            && posts.len() >= others
            && best.as_ref().is_none_or(|b| posts.len() >= b.posts.len())
        {
            best = Some(Live { container: p, posts });
        }
    }
    best
}

/// The text a post's time mark contributes: as shown, or its `datetime` when
/// the page shows a relative time ("5 minutes ago") that would tick.
pub fn time_text(dom: &Dom, mark: usize) -> String {
    let shown = subtree_text(dom, mark);
    let dt = dom.nodes[mark].datetime.trim();
    let lower = shown.to_lowercase();
    let relative = lower.contains("ago") || lower.contains("just now") || !shown.bytes().any(|b| b.is_ascii_digit());
    if relative && !dt.is_empty() { dt.to_string() } else { shown }
}

/// Whether `post` has a heading that links elsewhere: a teaser of another
/// story ("more posts" with dates), not a post of this one.
fn linked_heading(dom: &Dom, post: usize) -> bool {
    let is_heading = |t: &str| matches!(t, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
    (post..dom.nodes[post].end).any(|i| {
        let tag = dom.nodes[i].tag;
        (is_heading(tag) && dom.nodes[i..dom.nodes[i].end].iter().any(|d| d.tag == "a"))
            || (tag == "a" && dom.nodes[i..dom.nodes[i].end].iter().any(|d| is_heading(d.tag)))
    })
}

fn subtree_text(dom: &Dom, i: usize) -> String {
    let mut out = String::new();
    for node in &dom.nodes[i..dom.nodes[i].end] {
        if node.is_text() {
            text::push_collapsed(&mut out, node.text);
        }
    }
    let n = out.trim_end().len();
    out.truncate(n);
    out
}

fn is_time_mark(dom: &Dom, i: usize) -> bool {
    let node = &dom.nodes[i];
    // The size test first: it is cheaper than reading the class.
    if node.is_text() || node.end == i + 1 || node.end - i > 8 {
        return false;
    }
    let named = node.tag == "time" || contains_ascii_ci(node.class, "time");
    if !named {
        return false;
    }
    let t = subtree_text(dom, i);
    if t.is_empty() || t.chars().count() > 40 {
        return false;
    }
    node.tag == "time" || has_clock(&t)
}

/// A clock time: one or two digits, `:` `.` or `h`, two digits.
fn has_clock(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).any(|k| {
        let before = k == 0 || !b[k - 1].is_ascii_digit();
        let d1 = b[k].is_ascii_digit();
        let sep = if d1 && b.get(k + 1).is_some_and(u8::is_ascii_digit) { k + 2 } else { k + 1 };
        before
            && d1
            && b.get(sep).is_some_and(|c| matches!(c, b':' | b'.' | b'h'))
            && b.get(sep + 1).is_some_and(u8::is_ascii_digit)
            && b.get(sep + 2).is_some_and(u8::is_ascii_digit)
            && !b.get(sep + 3).is_some_and(u8::is_ascii_digit)
    })
}

fn contains_ascii_ci(hay: &str, needle: &str) -> bool {
    hay.len() >= needle.len() && hay.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::super::dom::{Dom, Marks};
    use super::*;
    use scraper::Html;

    fn live(src: &str) -> Option<(Vec<String>, usize)> {
        let html = Html::parse_document(src);
        let dom = Dom::build(&html, &Marks::default());
        let plain = |i: usize| {
            let n = &dom.nodes[i];
            dom.nodes[i..n.end].iter().filter(|t| t.is_text()).map(|t| text::visible_len(t.text) as u32).sum()
        };
        find(&dom, plain).map(|l| (l.posts.iter().map(|&(_, m)| time_text(&dom, m)).collect(), l.posts.len()))
    }

    const POST: &str = "The council has just confirmed that the bridge will stay closed until Monday morning.";

    #[test]
    fn posts_are_found_by_their_times() {
        let src = format!(
            "<body><div class=feed>\
             <div class=post><span class=post-time>14:05</span><p>{POST}</p></div>\
             <div class=post><span class=post-time>12:40</span><p>{POST}</p></div>\
             <div class=post><time datetime='2026-01-01T09:00:00Z'>2 hours ago</time><p>{POST}</p></div>\
             </div></body>"
        );
        let (times, n) = live(&src).expect("a live blog");
        assert_eq!(n, 3);
        assert_eq!(times, ["14:05", "12:40", "2026-01-01T09:00:00Z"]);
    }

    #[test]
    fn a_list_of_timed_links_or_two_posts_is_not_a_live_blog() {
        let links = "<li><time>10:00</time> <a href=/a>Bridge closed</a></li>".repeat(5);
        assert!(live(&format!("<body><ul>{links}</ul></body>")).is_none());
        let two = format!("<div><time>10:00</time><p>{POST}</p></div>").repeat(2);
        assert!(live(&format!("<body><div>{two}</div></body>")).is_none());
    }

    #[test]
    fn clock_times() {
        for yes in ["13:05 GMT", "4:15 p.m.", "9h30", "at 10.45"] {
            assert!(has_clock(yes), "{yes}");
        }
        for no in ["2026", "1:5", "123:456", "page 3"] {
            assert!(!has_clock(no), "{no}");
        }
    }
}
