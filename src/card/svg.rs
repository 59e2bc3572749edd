//! A laid-out card as SVG (pure). Every piece of text is escaped; each run sits at the x the
//! layout measured, so the marks drawn under and through it line up with it. Removed text is
//! red on pink and struck through; added text green on pale green and underlined, so the marks
//! read without colour too.

use std::fmt::Write;

use super::font::FAMILY;
use super::layout::{Layout, Line, PAD, Role, WIDTH};
use crate::diff::SegOp;
use crate::text::escape_html;

pub(crate) const BACKGROUND: &str = "#ffffff";
pub(crate) const INK: &str = "#1a1a1a";
pub(crate) const MUTED: &str = "#5c5c5c";
/// Removed text: ink, background.
pub(crate) const DEL_INK: &str = "#9b1c1c";
pub(crate) const DEL_BACK: &str = "#fcdcdc";
/// Added text: ink, background.
pub(crate) const INS_INK: &str = "#0b5a22";
pub(crate) const INS_BACK: &str = "#d3f2da";
/// The bar down the left edge and the rule under the header.
const ACCENT: &str = "#b3261e";
const RULE: &str = "#d9d9d9";
/// How thick a strike or underline is.
const MARK: f32 = 3.0;

/// The SVG document of `layout`.
pub(crate) fn svg(layout: &Layout) -> String {
    let h = layout.height;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{h}\" viewBox=\"0 0 {WIDTH} {h}\">\n\
         <rect width=\"{WIDTH}\" height=\"{h}\" fill=\"{BACKGROUND}\"/>\n\
         <rect width=\"12\" height=\"{h}\" fill=\"{ACCENT}\"/>\n\
         <rect x=\"{PAD}\" y=\"{:.0}\" width=\"{}\" height=\"2\" fill=\"{RULE}\"/>\n",
        layout.rule,
        WIDTH as f32 - 2.0 * PAD,
    );
    for line in &layout.lines {
        line_svg(&mut out, line);
    }
    out.push_str("</svg>\n");
    out
}

fn line_svg(out: &mut String, line: &Line) {
    let (size, height, bold, _) = line.role.style();
    // Backgrounds first, then the text, then the strikes over it.
    for p in line.pieces.iter().filter(|p| p.op != SegOp::Same) {
        let back = if p.op == SegOp::Del { DEL_BACK } else { INS_BACK };
        let (x, w) = span(p.x, p.width);
        let _ = writeln!(
            out,
            "<rect x=\"{x}\" y=\"{:.0}\" width=\"{w}\" height=\"{:.0}\" fill=\"{back}\"/>",
            line.top + 3.0,
            height - 6.0
        );
    }
    let ink = match line.role {
        Role::Outlet | Role::Summary | Role::More => MUTED,
        _ => INK,
    };
    let weight = if bold { "bold" } else { "normal" };
    // No kerning: each run is then exactly as wide as the layout measured it.
    let _ = write!(
        out,
        "<text y=\"{:.1}\" font-family=\"{FAMILY}\" font-size=\"{size}\" font-weight=\"{weight}\" font-kerning=\"none\" fill=\"{ink}\" xml:space=\"preserve\">",
        line.baseline
    );
    for p in &line.pieces {
        let fill = match p.op {
            SegOp::Same => ink,
            SegOp::Del => DEL_INK,
            SegOp::Ins => INS_INK,
        };
        let _ = write!(out, "<tspan x=\"{:.1}\" fill=\"{fill}\">{}</tspan>", PAD + p.x, escape_html(&p.text));
    }
    out.push_str("</text>\n");
    for p in line.pieces.iter().filter(|p| p.op != SegOp::Same) {
        // The mark spans the words, not a space at either end of the run.
        let lead = p.text.len() - p.text.trim_start().len();
        let trail = p.text.len() - p.text.trim_end().len();
        let space = super::font::char_width(' ', size, bold);
        let width = p.width - space * (lead + trail) as f32;
        if width <= 0.0 {
            continue;
        }
        let (x, w) = span(p.x + space * lead as f32, width);
        let (y, ink) = match p.op {
            SegOp::Del => (line.baseline - size * 0.3, DEL_INK),
            _ => (line.baseline + size * 0.12, INS_INK),
        };
        let _ =
            writeln!(out, "<rect x=\"{x}\" y=\"{:.0}\" width=\"{w}\" height=\"{MARK}\" fill=\"{ink}\"/>", y.round());
    }
}

/// A run's box in whole pixels (so its colours are exact), a little wider than the text.
fn span(x: f32, width: f32) -> (i64, i64) {
    let left = (PAD + x - 2.0).floor() as i64;
    let right = (PAD + x + width + 2.0).ceil() as i64;
    (left, right - left)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::CardData;
    use crate::card::layout::layout;
    use crate::diff::Segment;

    #[test]
    fn article_text_is_escaped_everywhere() {
        let nasty = "<script>alert('x')</script> & \"quoted\" ]]> <!-- --> \u{0}\u{FFFF}";
        let data = CardData {
            outlet: nasty.into(),
            headline: nasty.into(),
            when: nasty.into(),
            summary: nasty.into(),
            paragraphs: vec![vec![
                Segment { op: SegOp::Same, text: nasty.into() },
                Segment { op: SegOp::Del, text: nasty.into() },
                Segment { op: SegOp::Ins, text: nasty.into() },
            ]],
        };
        let doc = svg(&layout(&data));
        assert!(!doc.contains("<script"), "{doc}");
        assert!(!doc.contains("'x'") && !doc.contains("\"quoted\"") && !doc.contains("<!--"));
        assert!(doc.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;"));
        assert!(!doc.contains('\u{0}') && !doc.contains('\u{FFFF}'));
        // Well-formed: the renderer's own XML parser takes it.
        let tree = resvg::usvg::Tree::from_str(&doc, &resvg::usvg::Options::default());
        assert!(tree.is_ok(), "{:?}", tree.err());
    }

    #[test]
    fn marks_are_drawn_for_removed_and_added_runs_only() {
        let data = CardData {
            outlet: "news.example".into(),
            headline: "Bridge".into(),
            when: String::new(),
            summary: String::new(),
            paragraphs: vec![vec![
                Segment { op: SegOp::Same, text: "The toll is ".into() },
                Segment { op: SegOp::Del, text: "12 ".into() },
                Segment { op: SegOp::Ins, text: "14".into() },
            ]],
        };
        let doc = svg(&layout(&data));
        // Body: one background and one mark per marked run; the legend has one of each too.
        assert_eq!(doc.matches(&format!("fill=\"{DEL_BACK}\"")).count(), 2);
        assert_eq!(doc.matches(&format!("fill=\"{INS_BACK}\"")).count(), 2);
        assert_eq!(doc.matches(&format!("height=\"{MARK}\" fill=\"{DEL_INK}\"")).count(), 2);
        assert_eq!(doc.matches(&format!("height=\"{MARK}\" fill=\"{INS_INK}\"")).count(), 2);
    }
}
