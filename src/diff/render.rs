//! Renderings of a [`Change`]: terminal text, unified text and the HTML redline.
//!
//! Each works from the change alone (its blocks and metadata), so a stored change renders
//! without the two articles. Article text is untrusted: the HTML rendering escapes every
//! piece of it, and the text renderings drop control characters (terminal escapes).

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

fn html_segments(out: &mut String, segs: &[Segment]) {
    for s in segs {
        match s.op {
            SegOp::Same => out.push_str(&escape_html(&s.text)),
            SegOp::Del => {
                let _ = write!(out, "<del>{}</del>", escape_html(&s.text));
            }
            SegOp::Ins => {
                let _ = write!(out, "<ins>{}</ins>", escape_html(&s.text));
            }
        }
    }
}

/// The HTML redline, for the web UI and email: a `<div class="redline">` with the summary,
/// metadata changes and every paragraph, insertions in `<ins>` and deletions in `<del>` at
/// word level. Every piece of article text is escaped.
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
    if let Some(f) = &change.headline {
        out.push_str("<h1 class=\"redline-headline\">");
        html_segments(&mut out, &diff_words(f.old.as_deref().unwrap_or(""), f.new.as_deref().unwrap_or("")));
        out.push_str("</h1>\n");
    } else if let Some(t) = &change.title {
        let _ = writeln!(out, "<h1 class=\"redline-headline\">{}</h1>", escape_html(t));
    }
    for (class, label, f) in [
        ("byline", "Byline", &change.byline),
        ("published", "Published", &change.published),
        ("modified", "Modified", &change.modified),
    ] {
        if let Some(f) = f {
            let _ = write!(out, "<p class=\"redline-{class}\">{label}: ");
            let (old, new) = (f.old.as_deref().unwrap_or(""), f.new.as_deref().unwrap_or(""));
            if class == "byline" {
                html_segments(&mut out, &diff_words(old, new));
            } else {
                let _ = write!(out, "<del>{}</del> <ins>{}</ins>", escape_html(old), escape_html(new));
            }
            out.push_str("</p>\n");
        }
    }
    for b in &change.blocks {
        match b {
            Block::Same { text } => {
                let _ = writeln!(out, "<p>{}</p>", escape_html(text));
            }
            Block::Added { text } => {
                let _ = writeln!(out, "<p class=\"added\"><ins>{}</ins></p>", escape_html(text));
            }
            Block::Removed { text } => {
                let _ = writeln!(out, "<p class=\"removed\"><del>{}</del></p>", escape_html(text));
            }
            Block::MovedOut { to, .. } => {
                let _ = writeln!(
                    out,
                    "<p class=\"moved-out\"><span class=\"redline-move\">(paragraph moved to \u{b6}{})</span></p>",
                    to + 1
                );
            }
            Block::MovedIn { text, from, .. } => {
                let _ = writeln!(
                    out,
                    "<p class=\"moved-in\">{} <span class=\"redline-move\">(moved from \u{b6}{})</span></p>",
                    escape_html(text),
                    from + 1
                );
            }
            Block::Changed { sentences, moved_from } => {
                out.push_str(if moved_from.is_some() {
                    "<p class=\"changed moved-in\">"
                } else {
                    "<p class=\"changed\">"
                });
                for (k, s) in sentences.iter().enumerate() {
                    if k > 0 {
                        out.push(' ');
                    }
                    match s {
                        SentenceOp::Same { text } => out.push_str(&escape_html(text)),
                        SentenceOp::Added { text } => {
                            let _ = write!(out, "<ins>{}</ins>", escape_html(text));
                        }
                        SentenceOp::Removed { text } => {
                            let _ = write!(out, "<del>{}</del>", escape_html(text));
                        }
                        SentenceOp::Changed { segments } => html_segments(&mut out, segments),
                    }
                }
                if let Some(from) = moved_from {
                    let _ = write!(out, " <span class=\"redline-move\">(moved from \u{b6}{})</span>", from + 1);
                }
                out.push_str("</p>\n");
            }
        }
    }
    out.push_str("</div>\n");
    out
}
