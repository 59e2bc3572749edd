//! The arc of a story on its article page: the form that picks any two versions, an
//! inline SVG timeline of its versions (no script), and every headline it carried.

use std::fmt::Write;

use super::html::{kind_label, time};
use crate::store::browse::VersionSummary;
use crate::text::escape_html;

/// The form that picks a pair (GET, so the result has a stable URL), with the shortcut
/// to the whole arc of the story.
pub(super) fn picker(article_id: i64, timeline: &[VersionSummary], from: i64, to: i64, side: bool) -> String {
    let latest = timeline.iter().map(|v| v.number).max().unwrap_or(1);
    let mut out = format!(
        "<form class=\"filters compare\" method=\"get\" action=\"/articles/{article_id}/compare\" aria-label=\"Compare two versions\">\n"
    );
    for (name, label, chosen) in [("from", "From version", from), ("to", "To version", to)] {
        let _ = write!(out, "<label>{label} <select name=\"{name}\">");
        for v in timeline.iter().rev() {
            let sel = if v.number == chosen { " selected" } else { "" };
            let when = chrono::DateTime::from_timestamp(v.fetched_at, 0).unwrap_or_default().format("%Y-%m-%d %H:%M");
            let _ = write!(out, "<option value=\"{0}\"{sel}>v{0} · {when}</option>", v.number);
        }
        out.push_str("</select></label>\n");
    }
    let (inline_sel, side_sel) = if side { ("", " selected") } else { (" selected", "") };
    let _ = write!(
        out,
        "<label>View <select name=\"view\"><option value=\"inline\"{inline_sel}>inline</option><option value=\"side\"{side_sel}>side by side</option></select></label>\n\
         <button type=\"submit\">Compare</button>\n\
         <a href=\"/articles/{article_id}/compare?from=1&amp;to={latest}\">First → latest</a>\n</form>\n"
    );
    out
}

/// Width and height of the timeline's drawing area (SVG user units).
const ARC_W: f64 = 600.0;
const ARC_H: f64 = 90.0;
/// Left and right margin, so that the first and last marks are whole.
const ARC_PAD: f64 = 12.0;

/// The arc of a story: its versions on a time axis, each change a bar as tall as its
/// significance, marked with its first kind, each mark a link to its version with an
/// accessible name ("Version 3, 2026-11-26 09:14 UTC: fact, rewording. 2 sentences
/// reworded"). Pure SVG, no script; colours come from the stylesheet.
pub(super) fn timeline_svg(article_id: i64, timeline: &[VersionSummary]) -> String {
    let mut versions: Vec<&VersionSummary> = timeline.iter().collect();
    versions.sort_by_key(|v| v.number);
    let (Some(first), Some(last)) = (versions.first(), versions.last()) else { return String::new() };
    let (t0, t1) = (first.fetched_at, last.fetched_at);
    let x = |t: i64| {
        if t1 == t0 { ARC_W / 2.0 } else { ARC_PAD + (t - t0) as f64 / (t1 - t0) as f64 * (ARC_W - 2.0 * ARC_PAD) }
    };
    let base = ARC_H - 20.0;
    let mut out = format!(
        "<figure class=\"arc\">\n<svg class=\"arc\" viewBox=\"0 0 {ARC_W} {ARC_H}\" role=\"group\" aria-labelledby=\"arc-title\">\n\
         <title id=\"arc-title\">The story's {} versions over time; taller marks changed more</title>\n\
         <line class=\"axis\" x1=\"{ARC_PAD}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\"/>\n",
        versions.len(),
        ARC_W - ARC_PAD
    );
    for v in &versions {
        let cx = x(v.fetched_at);
        let kind = v.kinds.first().map_or("first", |k| k.as_str());
        let significance = v.significance.unwrap_or(0.0).clamp(0.0, 1.0);
        let height = if v.number == 1 { 0.0 } else { 6.0 + significance * (base - 14.0) };
        let what = if v.number == 1 {
            "first version seen".to_string()
        } else {
            let kinds: Vec<&str> = v.kinds.iter().map(|k| kind_label(*k)).collect();
            format!("{}. {}", kinds.join(", "), v.summary.as_deref().unwrap_or(""))
        };
        let when = chrono::DateTime::from_timestamp(v.fetched_at, 0).unwrap_or_default().format("%Y-%m-%d %H:%M UTC");
        let label = escape_html(&format!("Version {}, {when}: {what}", v.number));
        let _ = writeln!(
            out,
            "<a class=\"mark kind-{kind}\" href=\"/articles/{article_id}/versions/{n}\" aria-label=\"{label}\" data-version=\"{n}\" data-significance=\"{significance:.2}\"><title>{label}</title>\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"4\" height=\"{height:.1}\"/><circle cx=\"{cx:.1}\" cy=\"{base}\" r=\"5\"/></a>",
            cx - 2.0,
            base - height,
            n = v.number,
        );
    }
    let day = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap_or_default().format("%Y-%m-%d %H:%M").to_string();
    let _ = write!(
        out,
        "<text x=\"{ARC_PAD}\" y=\"{}\" class=\"axis-label\">{}</text><text x=\"{}\" y=\"{}\" class=\"axis-label\" text-anchor=\"end\">{}</text>\n</svg>\n",
        ARC_H - 4.0,
        day(t0),
        ARC_W - ARC_PAD,
        ARC_H - 4.0,
        day(t1)
    );
    out.push_str("<figcaption class=\"meta\">Each mark is a version; its height is how much changed, its colour the first kind of edit. Marks are links.</figcaption>\n</figure>\n");
    out
}

/// Every headline the story carried, oldest first, with the versions and time it first
/// appeared: `<ol class="headlines">`.
pub(super) fn headline_history(timeline: &[VersionSummary]) -> String {
    let mut versions: Vec<&VersionSummary> = timeline.iter().collect();
    versions.sort_by_key(|v| v.number);
    // Runs of the same headline: (headline, first version, last version, first seen).
    let mut runs: Vec<(Option<&str>, i64, i64, i64)> = Vec::new();
    for v in versions {
        match runs.last_mut() {
            Some(run) if run.0 == v.title.as_deref() => run.2 = v.number,
            _ => runs.push((v.title.as_deref(), v.number, v.number, v.fetched_at)),
        }
    }
    let mut out = String::from("<ol class=\"headlines\">\n");
    for (title, first, last, at) in runs {
        let range = if first == last { format!("v{first}") } else { format!("v{first}–v{last}") };
        let _ = writeln!(
            out,
            "<li><q>{}</q> <span class=\"meta\">{range}, from {}</span></li>",
            escape_html(title.unwrap_or("(no headline)")),
            time(at)
        );
    }
    out.push_str("</ol>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::EditKind;

    fn v(number: i64, at: i64, title: &str, kinds: &[EditKind], significance: f64) -> VersionSummary {
        VersionSummary {
            number,
            fetched_at: at,
            title: Some(title.into()),
            byline: None,
            modified: None,
            change_id: (number > 1).then_some(number),
            kinds: kinds.to_vec(),
            significance: (number > 1).then_some(significance),
            summary: (number > 1).then(|| format!("summary <{number}>")),
        }
    }

    fn story() -> Vec<VersionSummary> {
        // Newest first, as the store gives them.
        vec![
            v(4, 4000, "B & <c>", &[EditKind::Fact], 0.1),
            v(3, 3000, "B & <c>", &[EditKind::Headline, EditKind::Addition], 0.5),
            v(2, 1000, "A", &[EditKind::Typo], 0.0),
            v(1, 0, "A", &[], 0.0),
        ]
    }

    #[test]
    fn the_arc_marks_every_version_in_time_order_and_escapes_summaries() {
        let svg = timeline_svg(7, &story());
        assert_eq!(svg.matches("<a class=\"mark").count(), 4);
        let first = svg.find("data-version=\"1\"").unwrap();
        let last = svg.find("data-version=\"4\"").unwrap();
        assert!(first < last, "oldest first");
        assert!(svg.contains("<a class=\"mark kind-headline\" href=\"/articles/7/versions/3\" aria-label=\"Version 3, 1970-01-01 00:50 UTC: headline, addition. summary &lt;3&gt;\""), "{svg}");
        assert!(svg.contains("aria-label=\"Version 1, 1970-01-01 00:00 UTC: first version seen\""), "{svg}");
        // Version 1 at the left edge, version 4 at the right; the bigger change is taller.
        assert!(svg.contains("<circle cx=\"12.0\"") && svg.contains("<circle cx=\"588.0\""), "{svg}");
        let height = |n: i64| {
            let at = svg.find(&format!("data-version=\"{n}\"")).unwrap();
            let rest = &svg[at..];
            let h = &rest[rest.find("height=\"").unwrap() + 8..];
            h[..h.find('"').unwrap()].parse::<f64>().unwrap()
        };
        assert!(height(3) > height(4) && height(4) > height(2) && height(1) == 0.0);
        assert!(!svg.contains("<script") && !svg.contains("<c>"));
        assert_eq!(timeline_svg(7, &[]), "");
        assert!(timeline_svg(7, &story()[3..]).contains("cx=\"300.0\""), "one version sits in the middle");
    }

    #[test]
    fn headlines_are_listed_once_per_run_oldest_first() {
        let list = headline_history(&story());
        assert_eq!(list.matches("<li>").count(), 2, "{list}");
        let a = list.find("<q>A</q> <span class=\"meta\">v1–v2").unwrap();
        let b = list.find("<q>B &amp; &lt;c&gt;</q> <span class=\"meta\">v3–v4").unwrap();
        assert!(a < b, "{list}");
    }
}
