//! React's streamed HTML, put back in reading order.
//!
//! A server-rendered React page streams each part that was still loading as a
//! `<div hidden id="S:…">` at the end of the body, and a script moves it to its
//! placeholder: `<template id="B:…">` (a Suspense boundary, `$RC("B:…","S:…")`) or
//! `<template id="P:…">` (a segment, `$RS("S:…","P:…")`). Left at the end, the
//! article text they carry falls outside the article's container.

use scraper::{Html, Node};
use std::collections::HashMap;

/// Whether the page streams segments at all (a cheap test on the raw page).
pub(super) fn streams(raw: &str) -> bool {
    memchr::memmem::find(raw.as_bytes(), b"<div hidden id=\"S:").is_some()
}

/// The fallback of React's pending Suspense boundary whose `<!--$?-->` ends at `from`: from past its
/// `<template id="B:…"></template>` placeholder to past the `<!--/$-->` closing it (nested boundaries
/// inside the fallback have their own). `None` when the page does not have that shape.
pub(super) fn pending_fallback(bytes: &[u8], from: usize) -> Option<(usize, usize)> {
    let rest = &bytes[from..];
    if !rest.starts_with(b"<template id=\"B:") {
        return None;
    }
    let start = from + memchr::memmem::find(rest, b"</template>")? + b"</template>".len();
    let mut depth = 0usize;
    let mut at = start;
    loop {
        let c = at + memchr::memmem::find(&bytes[at..], b"<!--")?;
        let tail = &bytes[c..];
        if tail.starts_with(b"<!--/$-->") {
            if depth == 0 {
                return Some((start, c + b"<!--/$-->".len()));
            }
            depth -= 1;
        } else if tail.starts_with(b"<!--$") {
            depth += 1;
        }
        at = c + 4;
    }
}

/// Placeholder id → segment id, read from the page's `$RC` and `$RS` calls
/// (the two counters React numbers them with need not agree).
pub fn placements(raw: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (call, placeholder_first) in [("$RC(\"", true), ("$RS(\"", false)] {
        for at in memchr::memmem::find_iter(raw.as_bytes(), call.as_bytes()) {
            let Some((a, b)) = two_strings(&raw[at + call.len() - 1..]) else { continue };
            let (placeholder, segment) = if placeholder_first { (a, b) } else { (b, a) };
            map.insert(placeholder.to_string(), segment.to_string());
        }
    }
    map
}

/// The two string arguments at the start of `s`: `"a","b"`.
fn two_strings(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_prefix('"')?;
    let (a, rest) = s.split_once('"')?;
    let rest = rest.strip_prefix(',')?.trim_start().strip_prefix('"')?;
    let (b, _) = rest.split_once('"')?;
    let short = |x: &str| x.len() <= 16 && !x.contains(['<', '>']);
    (short(a) && short(b)).then_some((a, b))
}

/// The segment that belongs at placeholder `id`: the one the page's scripts name,
/// else the one with the same number (the scripts may have been left out).
fn segment_of(id: &str, named: &HashMap<String, String>) -> String {
    named.get(id).cloned().unwrap_or_else(|| format!("S:{}", &id[2..]))
}

/// Moves each streamed segment of `doc` to just before its placeholder.
/// `raw` is the page as fetched (its scripts name the placements).
pub fn place_segments(raw: &str, doc: &mut Html) {
    if !streams(raw) {
        return;
    }
    let mut segments = HashMap::new();
    let mut placeholders = Vec::new();
    for node in doc.tree.nodes() {
        let Node::Element(el) = node.value() else { continue };
        let id = el.id().unwrap_or("");
        match el.name() {
            "div" if id.starts_with("S:") && el.attr("hidden").is_some() => {
                segments.insert(id.to_string(), node.id());
            }
            "template" if id.starts_with("B:") || id.starts_with("P:") => {
                placeholders.push((id.to_string(), node.id()))
            }
            _ => {}
        }
    }
    if segments.is_empty() {
        return;
    }
    let named = placements(raw);
    for (id, at) in placeholders {
        let Some(seg) = segments.remove(&segment_of(&id, &named)) else { continue };
        // A segment never moves inside itself (a hostile page could ask for it).
        let Some(place) = doc.tree.get(at) else { continue };
        if place.parent().is_none() || place.ancestors().any(|a| a.id() == seg) {
            continue;
        }
        if let Some(mut place) = doc.tree.get_mut(at) {
            place.insert_id_before(seg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placements_read_both_calls() {
        let raw = r#"<script>$RC=function(b,c){};$RC("B:0","S:2");$RS("S:3","P:3")</script>"#;
        let map = placements(raw);
        assert_eq!(map.get("B:0").map(String::as_str), Some("S:2"));
        assert_eq!(map.get("P:3").map(String::as_str), Some("S:3"));
        assert_eq!(map.len(), 2);
    }

    #[test]
    fn unnamed_placeholders_take_the_same_number() {
        assert_eq!(segment_of("B:a", &HashMap::new()), "S:a");
    }

    fn body_text(doc: &Html) -> String {
        let sel = scraper::Selector::parse("body").unwrap();
        doc.select(&sel).next().unwrap().text().collect::<Vec<_>>().join("|")
    }

    #[test]
    fn segments_move_to_their_placeholders() {
        let raw = r#"<body><main><p>one</p><template id="B:0"></template><p>three</p></main>
<div hidden id="S:0"><p>two</p><template id="P:1"></template></div><div hidden id="S:1"><p>inner</p></div></body>"#;
        let mut doc = Html::parse_document(raw);
        place_segments(raw, &mut doc);
        let main = scraper::Selector::parse("main").unwrap();
        let text: String = doc.select(&main).next().unwrap().text().collect();
        assert_eq!(text, "onetwoinnerthree");
    }

    #[test]
    fn a_segment_never_moves_into_itself() {
        let raw = r#"<body><div hidden id="S:0"><p>a</p><template id="B:0"></template></div></body>"#;
        let mut doc = Html::parse_document(raw);
        place_segments(raw, &mut doc);
        assert_eq!(body_text(&doc), "a");
    }
}
