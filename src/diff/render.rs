//! Renderings of a [`Change`]: terminal text, unified text and HTML.
//!
//! Each works from the change alone (its blocks and metadata), so a stored change renders
//! without the two articles. Article text is untrusted: the text renderings drop control
//! characters (terminal escapes), and the HTML ones escape every piece of it
//! ([`crate::text::escape_html`]) before wrapping it in `<ins>` or `<del>`.
//!
//! This is the one HTML renderer of changes: the web UI shows [`render_html_fields`] with
//! [`render_html_inline`] or [`render_html_side`]; email, the Atom feed and the CLI show
//! [`render_html`], made of the same parts.

use std::fmt::Write;

use super::align::diff_words;
use super::segment::sentences;
use super::{Block, Change, FieldChange, SegOp, Segment, SentenceOp};
use crate::text::escape_html;

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const STRIKE: &str = "\x1b[9m";
const UNDERLINE: &str = "\x1b[4m";
const RESET: &str = "\x1b[0m";

/// Text safe for a terminal: control characters (escape sequences included) become spaces.
fn safe(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.color { format!("{style}{text}{RESET}") } else { text.to_string() }
    }

    fn del(&self, text: &str) -> String {
        if self.color { format!("{RED}{STRIKE}{}{RESET}", safe(text)) } else { format!("[-{}-]", safe(text)) }
    }

    fn ins(&self, text: &str) -> String {
        if self.color { format!("{GREEN}{UNDERLINE}{}{RESET}", safe(text)) } else { format!("{{+{}+}}", safe(text)) }
    }

    fn segments(&self, segs: &[Segment]) -> String {
        let mut out = String::new();
        for s in segs {
            match s.op {
                SegOp::Same => out.push_str(&safe(&s.text)),
                SegOp::Del => out.push_str(&self.del(&s.text)),
                SegOp::Ins => out.push_str(&self.ins(&s.text)),
            }
        }
        out
    }

    /// A text field, word by word.
    fn field(&self, out: &mut String, label: &str, f: &FieldChange) {
        let old = f.old.as_deref().unwrap_or("");
        let new = f.new.as_deref().unwrap_or("");
        let _ = writeln!(out, "{} {}", self.paint(BOLD, label), self.segments(&diff_words(old, new)));
    }

    /// A date field, whole values.
    fn date(&self, out: &mut String, label: &str, f: &FieldChange) {
        let show = |v: &Option<String>| v.as_deref().unwrap_or("(none)").to_string();
        let _ = writeln!(out, "{} {} {}", self.paint(BOLD, label), self.del(&show(&f.old)), self.ins(&show(&f.new)));
    }
}

fn sentence_line(p: &Painter, ops: &[SentenceOp]) -> String {
    let parts: Vec<String> = ops
        .iter()
        .map(|s| match s {
            SentenceOp::Same { text } => safe(text),
            SentenceOp::Added { text } => p.ins(text),
            SentenceOp::Removed { text } => p.del(text),
            SentenceOp::Changed { segments } => p.segments(segments),
        })
        .collect();
    parts.join(" ")
}

/// Plain text for the terminal: the summary, metadata changes, then the changed paragraphs
/// with one paragraph of context; `color` adds ANSI colours (use it when stdout is a TTY).
pub fn render_text(change: &Change, color: bool) -> String {
    let p = Painter { color };
    let mut out = String::new();
    if !change.changed {
        out.push_str("No change.\n");
        return out;
    }
    let kinds: Vec<&str> = change.kinds.iter().map(|k| k.as_str()).collect();
    let _ = writeln!(out, "{}", p.paint(BOLD, &safe(&change.summary)));
    let _ = writeln!(out, "kinds: {}; significance {:.2}", kinds.join(", "), change.significance);
    for (label, f) in [("Headline:", &change.headline), ("Byline:", &change.byline)] {
        if let Some(f) = f {
            p.field(&mut out, label, f);
        }
    }
    for (label, f) in [("Published:", &change.published), ("Modified:", &change.modified)] {
        if let Some(f) = f {
            p.date(&mut out, label, f);
        }
    }
    for n in &change.notes {
        let _ = writeln!(out, "{} {}", p.paint(YELLOW, "Note:"), safe(n));
    }
    let changed: Vec<bool> = change.blocks.iter().map(|b| !matches!(b, Block::Same { .. })).collect();
    let mut elided = false;
    for (k, b) in change.blocks.iter().enumerate() {
        let near = changed[k] || (k > 0 && changed[k - 1]) || changed.get(k + 1).copied().unwrap_or(false);
        if !near {
            if !elided {
                out.push_str(&p.paint(DIM, "  \u{2026}\n"));
                elided = true;
            }
            continue;
        }
        elided = false;
        out.push('\n');
        let line = match b {
            Block::Same { text } => format!("  {}", safe(text)),
            Block::Added { text } => p.paint(GREEN, &format!("+ {}", safe(text))),
            Block::Removed { text } => p.paint(RED, &format!("- {}", safe(text))),
            Block::Changed { sentences, moved_from } => {
                let moved =
                    moved_from.map(|f| p.paint(YELLOW, &format!(" (moved from \u{b6}{})", f + 1))).unwrap_or_default();
                format!("~ {}{moved}", sentence_line(&p, sentences))
            }
            Block::MovedOut { to, .. } => p.paint(YELLOW, &format!("< (paragraph moved to \u{b6}{})", to + 1)),
            Block::MovedIn { text, from, .. } => {
                format!("{} {}", p.paint(YELLOW, &format!("> (moved from \u{b6}{})", from + 1)), safe(text))
            }
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// One line of the unified rendering.
struct Line {
    tag: char,
    text: String,
}

fn lines_of(text: &str, tag: char, out: &mut Vec<Line>) {
    for s in sentences(text) {
        out.push(Line { tag, text: safe(s) });
    }
}

/// Unified text, one sentence per line and a blank line between paragraphs, in hunks with
/// three lines of context, like `diff -u`.
pub fn render_unified(change: &Change) -> String {
    let mut out = String::from("--- old\n+++ new\n");
    if !change.changed {
        return out;
    }
    for (label, f) in [
        ("headline", &change.headline),
        ("byline", &change.byline),
        ("published", &change.published),
        ("modified", &change.modified),
    ] {
        if let Some(f) = f {
            let _ = writeln!(out, "@@ {label} @@");
            if let Some(o) = &f.old {
                let _ = writeln!(out, "-{}", safe(o));
            }
            if let Some(n) = &f.new {
                let _ = writeln!(out, "+{}", safe(n));
            }
        }
    }
    let mut lines: Vec<Line> = Vec::new();
    let (mut seen_old, mut seen_new) = (false, false);
    for b in &change.blocks {
        // A blank line separates paragraphs on each side that has paragraphs on both sides of it.
        let (has_old, has_new) = (b.old_text().is_some(), b.new_text().is_some());
        let tag = match (has_old && seen_old, has_new && seen_new) {
            (true, true) => Some(' '),
            (true, false) => Some('-'),
            (false, true) => Some('+'),
            (false, false) => None,
        };
        if let Some(tag) = tag {
            lines.push(Line { tag, text: String::new() });
        }
        seen_old |= has_old;
        seen_new |= has_new;
        match b {
            Block::Same { text } => lines_of(text, ' ', &mut lines),
            Block::Added { text } | Block::MovedIn { text, .. } => lines_of(text, '+', &mut lines),
            Block::Removed { text } | Block::MovedOut { text, .. } => lines_of(text, '-', &mut lines),
            Block::Changed { moved_from: Some(_), .. } => lines_of(&b.new_text().unwrap_or_default(), '+', &mut lines),
            Block::Changed { sentences, .. } => {
                for s in sentences {
                    match s {
                        SentenceOp::Same { text } => lines.push(Line { tag: ' ', text: safe(text) }),
                        SentenceOp::Added { text } => lines.push(Line { tag: '+', text: safe(text) }),
                        SentenceOp::Removed { text } => lines.push(Line { tag: '-', text: safe(text) }),
                        SentenceOp::Changed { .. } => {
                            lines.push(Line { tag: '-', text: safe(&s.old_text().unwrap_or_default()) });
                            lines.push(Line { tag: '+', text: safe(&s.new_text().unwrap_or_default()) });
                        }
                    }
                }
            }
        }
    }
    // Hunks: changed lines with up to three lines of context around them.
    const CONTEXT: usize = 3;
    let mut keep = vec![false; lines.len()];
    for (k, l) in lines.iter().enumerate() {
        if l.tag != ' ' {
            let end = (k + CONTEXT + 1).min(lines.len());
            keep[k.saturating_sub(CONTEXT)..end].fill(true);
        }
    }
    let (mut old_no, mut new_no) = (1usize, 1usize);
    let mut k = 0;
    while k < lines.len() {
        if !keep[k] {
            match lines[k].tag {
                '-' => old_no += 1,
                '+' => new_no += 1,
                _ => {
                    old_no += 1;
                    new_no += 1;
                }
            }
            k += 1;
            continue;
        }
        let end = keep[k..].iter().position(|x| !x).map_or(lines.len(), |p| k + p);
        let hunk = &lines[k..end];
        let old_len = hunk.iter().filter(|l| l.tag != '+').count();
        let new_len = hunk.iter().filter(|l| l.tag != '-').count();
        let _ = writeln!(out, "@@ -{old_no},{old_len} +{new_no},{new_len} @@");
        for l in hunk {
            let _ = writeln!(out, "{}{}", l.tag, l.text);
        }
        old_no += old_len;
        new_no += new_len;
        k = end;
    }
    out
}

/// Which words of a change one HTML view shows: both sides (the inline redline), or one
/// column of the side-by-side view.
#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    Inline,
    Old,
    New,
}

impl View {
    fn shows(self, op: SegOp) -> bool {
        matches!((self, op), (_, SegOp::Same) | (View::Inline, _) | (View::Old, SegOp::Del) | (View::New, SegOp::Ins))
    }
}

/// Article text in `<ins>`, escaped first.
fn ins(text: &str) -> String {
    format!("<ins>{}</ins>", escape_html(text))
}

/// Article text in `<del>`, escaped first.
fn del(text: &str) -> String {
    format!("<del>{}</del>", escape_html(text))
}

/// The words of an edited sentence that `view` shows.
fn segments_html(segs: &[Segment], view: View) -> String {
    let mut out = String::new();
    for s in segs.iter().filter(|s| view.shows(s.op)) {
        match s.op {
            SegOp::Same => out.push_str(&escape_html(&s.text)),
            SegOp::Ins => out.push_str(&ins(&s.text)),
            SegOp::Del => out.push_str(&del(&s.text)),
        }
    }
    out
}

/// The sentences of an edited paragraph that `view` shows, a space apart; `lead` (a move
/// label) comes first.
fn sentences_html(lead: Option<String>, ops: &[SentenceOp], view: View) -> String {
    let parts: Vec<String> = lead
        .into_iter()
        .chain(ops.iter().filter_map(|s| match s {
            SentenceOp::Same { text } => Some(escape_html(text)),
            SentenceOp::Added { text } => view.shows(SegOp::Ins).then(|| ins(text)),
            SentenceOp::Removed { text } => view.shows(SegOp::Del).then(|| del(text)),
            SentenceOp::Changed { segments } => Some(segments_html(segments, view)),
        }))
        .collect();
    parts.join(" ")
}

/// A note on a moved paragraph, `n` being 0-based: `<span class="move">(moved from ¶3)</span>`.
fn move_note(words: &str, n: usize, tail: &str) -> String {
    format!("<span class=\"move\">({words} \u{b6}{}{tail})</span>", n + 1)
}

/// The ` class="…"` of a paragraph: `class`, plus `notice` when `text` (its new text) is an
/// update or correction notice.
fn class_attr(class: &str, text: Option<&str>) -> String {
    let notice = text.is_some_and(|t| crate::text::notice::is_notice(&super::normalize::fold(t)));
    match (class, notice) {
        ("", false) => String::new(),
        ("", true) => " class=\"notice\"".to_string(),
        (c, false) => format!(" class=\"{c}\""),
        (c, true) => format!(" class=\"{c} notice\""),
    }
}

/// One paragraph of article text: `<p>`, of class `notice` when it is a notice.
pub fn render_html_paragraph(text: &str) -> String {
    format!("<p{}>{}</p>\n", class_attr("", Some(text)), escape_html(text))
}

/// The `id` and `tabindex` of the `n`th edited paragraph (1-based): Tab moves from one
/// edit to the next without a script, and `#edit-n` links to it.
fn anchor(n: usize) -> String {
    format!(" id=\"edit-{n}\" tabindex=\"0\"")
}

/// Numbers the edited blocks of a change (1-based) as they come; `None` for unchanged
/// paragraphs, or for every block when `on` is false.
struct Anchors {
    on: bool,
    next: usize,
}

impl Anchors {
    fn of(&mut self, b: &Block) -> String {
        if !self.on || matches!(b, Block::Same { .. }) {
            return String::new();
        }
        self.next += 1;
        anchor(self.next)
    }
}

/// The paragraphs of the inline redline, without the wrapping `<div>`; `anchors` gives
/// each edited paragraph its [`anchor`].
fn blocks_inline(out: &mut String, change: &Change, anchors: bool) {
    let mut anchors = Anchors { on: anchors, next: 0 };
    for b in &change.blocks {
        let new_text = b.new_text();
        let id = anchors.of(b);
        let class = |c: &str| format!("{}{id}", class_attr(c, new_text.as_deref()));
        match b {
            Block::Same { text } => out.push_str(&render_html_paragraph(text)),
            Block::Added { text } => {
                let _ = writeln!(out, "<p{}>{}</p>", class("added"), ins(text));
            }
            Block::Removed { text } => {
                let _ = writeln!(out, "<p{}>{}</p>", class("removed"), del(text));
            }
            Block::MovedOut { to, .. } => {
                let _ = writeln!(out, "<p{}>{}</p>", class("moved-out"), move_note("paragraph moved to", *to, ""));
            }
            Block::MovedIn { text, from, .. } => {
                let _ = writeln!(
                    out,
                    "<p{}>{} {}</p>",
                    class("moved-in"),
                    escape_html(text),
                    move_note("moved from", *from, "")
                );
            }
            Block::Changed { sentences, moved_from } => {
                let lead = moved_from.map(|f| move_note("moved from", f, ", and edited"));
                let c = if moved_from.is_some() { "changed moved-in" } else { "changed" };
                let _ = writeln!(out, "<p{}>{}</p>", class(c), sentences_html(lead, sentences, View::Inline));
            }
        }
    }
}

/// Links to every edited paragraph of the web views (`#edit-1`, `#edit-2`…), a
/// `<nav class="edits">` with an accessible name; empty when the body did not change.
pub fn render_html_edit_nav(change: &Change) -> String {
    let edits = change.blocks.iter().filter(|b| !matches!(b, Block::Same { .. })).count();
    if edits == 0 {
        return String::new();
    }
    let mut out = String::from("<nav class=\"edits\" aria-label=\"Edits in the text\">Edits:");
    for n in 1..=edits {
        let _ = write!(out, " <a href=\"#edit-{n}\" aria-label=\"Edit {n} of {edits}\">{n}</a>");
    }
    out.push_str("</nav>\n");
    out
}

/// The body as one redline, for the web UI: a `<div class="redline">` of every paragraph,
/// insertions in `<ins>` and deletions in `<del>`, word level inside edited sentences;
/// paragraphs of class `added`, `removed`, `changed`, `moved-in`, `moved-out`, and `notice`
/// for update and correction notices; each edited paragraph carries `id="edit-N"` and
/// `tabindex="0"` (see [`render_html_edit_nav`]). Every piece of article text is escaped.
pub fn render_html_inline(change: &Change) -> String {
    let mut out = String::from("<div class=\"redline\">\n");
    blocks_inline(&mut out, change, true);
    out.push_str("</div>\n");
    out
}

/// The body in two columns, a `<table class="side">` headed `old` and `new`: the old
/// version with its deletions, the new with its insertions, a row a paragraph (of class
/// `notice` for notices), each edited row with `id="edit-N"` and `tabindex="0"`. Every
/// piece of article text is escaped.
pub fn render_html_side(change: &Change, old: &str, new: &str) -> String {
    let mut out = format!(
        "<div class=\"table-wrap\"><table class=\"side\">\n<thead><tr><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
        escape_html(old),
        escape_html(new)
    );
    let mut anchors = Anchors { on: true, next: 0 };
    for b in &change.blocks {
        let id = anchors.of(b);
        let (left, right) = match b {
            Block::Same { text } => (escape_html(text), escape_html(text)),
            Block::Added { text } => (String::new(), ins(text)),
            Block::Removed { text } => (del(text), String::new()),
            Block::MovedOut { text, to, .. } => {
                (format!("{} {}", escape_html(text), move_note("moved to", *to, "")), String::new())
            }
            Block::MovedIn { text, from, .. } => {
                (String::new(), format!("{} {}", escape_html(text), move_note("moved from", *from, "")))
            }
            Block::Changed { sentences, moved_from } => (
                sentences_html(moved_from.map(|f| move_note("was", f, "")), sentences, View::Old),
                sentences_html(moved_from.map(|f| move_note("moved from", f, "")), sentences, View::New),
            ),
        };
        let class = class_attr("", b.new_text().as_deref());
        let _ = writeln!(out, "<tr{class}{id}><td>{left}</td><td>{right}</td></tr>");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// The headline and metadata changes, a `<table class="meta-changes">` with a row each
/// (`id="headline-change"`, `byline-change`, `published-change`, `modified-change`): the
/// old value in `<del>`, the new in `<ins>`. Empty when none changed.
pub fn render_html_fields(change: &Change) -> String {
    let fields = [
        ("headline", "Headline", &change.headline),
        ("byline", "Byline", &change.byline),
        ("published", "Published", &change.published),
        ("modified", "Modified", &change.modified),
    ];
    if fields.iter().all(|(_, _, f)| f.is_none()) {
        return String::new();
    }
    let mut out = String::from("<div class=\"table-wrap\"><table class=\"meta-changes\"><tbody>\n");
    for (id, label, f) in fields {
        if let Some(f) = f {
            let _ = writeln!(
                out,
                "<tr id=\"{id}-change\"><th>{label}</th><td>{}<br>{}</td></tr>",
                del(f.old.as_deref().unwrap_or("(none)")),
                ins(f.new.as_deref().unwrap_or("(none)")),
            );
        }
    }
    out.push_str("</tbody></table></div>\n");
    out
}

/// The whole HTML redline, for email, the Atom feed and `redline diff --format html`: a
/// `<div class="redline">` with the summary, the kinds, the headline, the metadata changes
/// ([`render_html_fields`]) and the paragraphs as in [`render_html_inline`]. Every piece of
/// article text is escaped.
pub fn render_html(change: &Change) -> String {
    let mut out = String::from("<div class=\"redline\">\n");
    let summary = if change.changed { change.summary.as_str() } else { "No change" };
    let _ = writeln!(out, "<p class=\"redline-summary\">{}</p>", escape_html(summary));
    if !change.kinds.is_empty() {
        out.push_str("<ul class=\"redline-kinds\">");
        for k in &change.kinds {
            let _ = write!(out, "<li class=\"kind-{0}\">{0}</li>", k.as_str());
        }
        out.push_str("</ul>\n");
    }
    if let Some(t) = &change.title {
        let _ = writeln!(out, "<h1 class=\"redline-headline\">{}</h1>", escape_html(t));
    }
    out.push_str(&render_html_fields(change));
    blocks_inline(&mut out, change, false);
    out.push_str("</div>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::compare;
    use crate::extract::Article;

    fn seg(op: SegOp, text: &str) -> Segment {
        Segment { op, text: text.into() }
    }

    fn text(s: &str) -> String {
        s.to_string()
    }

    /// Markup and entity text in every place a change carries article text.
    fn hostile() -> Change {
        Change {
            changed: true,
            title: Some(text("<script>alert('t')</script>")),
            headline: Some(FieldChange { old: Some(text("<b>Old</b>")), new: Some(text("&lt;a href&gt; new")) }),
            blocks: vec![
                Block::Same { text: text("Keep &lt;a href&gt; as text.") },
                Block::Added { text: text("<script>alert(1)</script>") },
                Block::Removed { text: text("<img src=x onerror=alert(1)>") },
                Block::Changed {
                    sentences: vec![SentenceOp::Changed {
                        segments: vec![
                            seg(SegOp::Same, "Was "),
                            seg(SegOp::Del, "<b>5</b>"),
                            seg(SegOp::Ins, "<img src=x onerror=alert(2)>"),
                        ],
                    }],
                    moved_from: None,
                },
            ],
            ..Change::default()
        }
    }

    #[test]
    fn every_view_escapes_article_text_before_marking_it() {
        let c = hostile();
        let inline = render_html_inline(&c);
        let side = render_html_side(&c, "Version 1", "<i>Version 2</i>");
        for h in [&inline, &side, &render_html(&c), &render_html_fields(&c)] {
            for live in ["<script", "<img", "<b>", "<i>", "<a "] {
                assert!(!h.contains(live), "live {live} in {h}");
            }
        }
        let fields = render_html_fields(&c);
        let wants: [(&str, &[&str]); 3] = [
            (
                &inline,
                &[
                    "<p>Keep &amp;lt;a href&amp;gt; as text.</p>",
                    "<p class=\"added\" id=\"edit-1\" tabindex=\"0\"><ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins></p>",
                    "<p class=\"removed\" id=\"edit-2\" tabindex=\"0\"><del>&lt;img src=x onerror=alert(1)&gt;</del></p>",
                    "<p class=\"changed\" id=\"edit-3\" tabindex=\"0\">Was <del>&lt;b&gt;5&lt;/b&gt;</del><ins>&lt;img src=x onerror=alert(2)&gt;</ins></p>",
                ],
            ),
            (
                &side,
                &[
                    "<th>&lt;i&gt;Version 2&lt;/i&gt;</th>",
                    "<tr><td>Keep &amp;lt;a href&amp;gt; as text.</td><td>Keep &amp;lt;a href&amp;gt; as text.</td></tr>",
                    "<tr id=\"edit-1\" tabindex=\"0\"><td></td><td><ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins></td></tr>",
                    "<tr id=\"edit-2\" tabindex=\"0\"><td><del>&lt;img src=x onerror=alert(1)&gt;</del></td><td></td></tr>",
                    "<tr id=\"edit-3\" tabindex=\"0\"><td>Was <del>&lt;b&gt;5&lt;/b&gt;</del></td><td>Was <ins>&lt;img src=x onerror=alert(2)&gt;</ins></td></tr>",
                ],
            ),
            (
                &fields,
                &[
                    "<tr id=\"headline-change\"><th>Headline</th><td><del>&lt;b&gt;Old&lt;/b&gt;</del><br><ins>&amp;lt;a href&amp;gt; new</ins></td></tr>",
                ],
            ),
        ];
        for (html, wants) in wants {
            for want in wants {
                assert!(html.contains(want), "no {want} in {html}");
            }
        }
        assert!(
            render_html(&c)
                .contains("<h1 class=\"redline-headline\">&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;</h1>")
        );
    }

    #[test]
    fn moved_added_and_removed_paragraphs_have_their_tags() {
        let c = Change {
            changed: true,
            blocks: vec![
                Block::MovedOut { text: text("Moved."), from: 0, to: 2 },
                Block::Added { text: text("Editor's note: This article was updated.") },
                Block::MovedIn { text: text("Moved."), from: 0, to: 2 },
                Block::Changed {
                    sentences: vec![SentenceOp::Same { text: text("A.") }, SentenceOp::Added { text: text("B.") }],
                    moved_from: Some(3),
                },
                Block::Removed { text: text("Gone.") },
            ],
            ..Change::default()
        };
        let inline = render_html_inline(&c);
        for want in [
            "<p class=\"moved-out\" id=\"edit-1\" tabindex=\"0\"><span class=\"move\">(paragraph moved to \u{b6}3)</span></p>",
            "<p class=\"added notice\" id=\"edit-2\" tabindex=\"0\"><ins>Editor&#39;s note: This article was updated.</ins></p>",
            "<p class=\"moved-in\" id=\"edit-3\" tabindex=\"0\">Moved. <span class=\"move\">(moved from \u{b6}1)</span></p>",
            "<p class=\"changed moved-in\" id=\"edit-4\" tabindex=\"0\"><span class=\"move\">(moved from \u{b6}4, and edited)</span> A. <ins>B.</ins></p>",
            "<p class=\"removed\" id=\"edit-5\" tabindex=\"0\"><del>Gone.</del></p>",
        ] {
            assert!(inline.contains(want), "no {want} in {inline}");
        }
        let side = render_html_side(&c, "Version 1", "Version 2");
        for want in [
            "<tr id=\"edit-1\" tabindex=\"0\"><td>Moved. <span class=\"move\">(moved to \u{b6}3)</span></td><td></td></tr>",
            "<tr class=\"notice\" id=\"edit-2\" tabindex=\"0\"><td></td><td><ins>Editor&#39;s note: This article was updated.</ins></td></tr>",
            "<tr id=\"edit-3\" tabindex=\"0\"><td></td><td>Moved. <span class=\"move\">(moved from \u{b6}1)</span></td></tr>",
            "<tr id=\"edit-4\" tabindex=\"0\"><td><span class=\"move\">(was \u{b6}4)</span> A.</td><td><span class=\"move\">(moved from \u{b6}4)</span> A. <ins>B.</ins></td></tr>",
            "<tr id=\"edit-5\" tabindex=\"0\"><td><del>Gone.</del></td><td></td></tr>",
        ] {
            assert!(side.contains(want), "no {want} in {side}");
        }
        // The full redline of email and Atom has the same paragraphs, without the page's anchors.
        let mut plain = String::new();
        blocks_inline(&mut plain, &c, false);
        assert!(render_html(&c).contains(&plain) && !render_html(&c).contains("edit-1"));
        let unanchored = (1..=5).fold(inline.clone(), |html, n| html.replace(&anchor(n), ""));
        assert_eq!(format!("<div class=\"redline\">\n{plain}</div>\n"), unanchored);
        let nav = render_html_edit_nav(&c);
        assert!(
            nav.contains("<a href=\"#edit-5\" aria-label=\"Edit 5 of 5\">5</a>") && !nav.contains("edit-6"),
            "{nav}"
        );
        assert_eq!(render_html_edit_nav(&Change::default()), "");
    }

    #[test]
    fn a_compared_change_escapes_and_marks_words() {
        let old = Article { paragraphs: vec![text("The vote was 5 to 4.")], ..Default::default() };
        let new = Article {
            paragraphs: vec![text("The vote was 6 to 3."), text("<img src=x onerror=alert(1)> joined.")],
            ..Default::default()
        };
        let ch = compare(&old, &new);
        let html = render_html_inline(&ch);
        assert!(html.contains("<ins>&lt;img src=x onerror=alert(1)&gt; joined.</ins>"), "{html}");
        assert!(html.contains("<del>5") && !html.contains("<img"), "{html}");
        let side = render_html_side(&ch, "Version 1", "Version 2");
        assert!(side.contains("<del>") && side.contains("<ins>"), "{side}");
    }
}
