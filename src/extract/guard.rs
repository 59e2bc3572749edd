//! Input guards that keep extraction time and memory bounded.
//!
//! html5ever scans its stack of open elements on many insertions, so a page
//! nested N levels deep costs O(N²) to parse (100,000 nested `<div>`s take
//! tens of seconds). [`limit_depth`] removes start tags (and their end tags)
//! beyond a nesting depth no real page reaches, keeping all the text, with one
//! linear scan that touches nothing on ordinary pages.
//!
//! [`prepare`] also drops or empties what the extractor never reads (scripts other than
//! JSON-LD, styles, inline SVG, `<noscript>`, comments, image, source, input
//! and non-canonical link tags): about two thirds of a typical news page's
//! bytes, which the parser then does not have to tokenize.

use super::text::find_ci;
use std::borrow::Cow;

/// Nesting depth beyond which start tags are dropped.
pub const MAX_DEPTH: usize = 2_000;

/// Elements that never hold children.
fn is_void(name: &[u8]) -> bool {
    matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
            | b"keygen"
            | b"frame"
            | b"basefont"
            | b"isindex"
    )
}

/// Elements whose end tag is optional: they never count as nesting.
fn is_self_closing_by_parser(name: &[u8]) -> bool {
    matches!(
        name,
        b"p" | b"li"
            | b"dt"
            | b"dd"
            | b"option"
            | b"optgroup"
            | b"tr"
            | b"td"
            | b"th"
            | b"tbody"
            | b"thead"
            | b"tfoot"
            | b"colgroup"
            | b"rb"
            | b"rt"
            | b"rp"
            | b"rtc"
            | b"html"
            | b"head"
            | b"body"
    )
}

/// Elements whose content is raw text up to their end tag.
fn is_raw_text(name: &[u8]) -> bool {
    matches!(
        name,
        b"script" | b"style" | b"textarea" | b"title" | b"xmp" | b"iframe" | b"noembed" | b"noframes" | b"plaintext"
    )
}

struct Tag {
    start: usize,
    end: usize,
    name_lower: Vec<u8>,
    closing: bool,
    self_closing: bool,
}

/// Reads the tag starting at `bytes[i] == b'<'`, if it is one.
fn read_tag(bytes: &[u8], i: usize) -> Option<Tag> {
    let (end, closing, name) = tag_end(bytes, i)?;
    let self_closing = bytes[end - 2] == b'/';
    Some(Tag { start: i, end, name_lower: name.to_ascii_lowercase(), closing, self_closing })
}

/// Where the tag starting at `bytes[i] == b'<'` ends (past its `>`), whether it is
/// an end tag, and its name as written; `None` if it is not a tag.
fn tag_end(bytes: &[u8], i: usize) -> Option<(usize, bool, &[u8])> {
    let mut j = i + 1;
    let closing = bytes.get(j) == Some(&b'/');
    if closing {
        j += 1;
    }
    let name_start = j;
    while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'-' || bytes[j] == b':') {
        j += 1;
    }
    if j == name_start || !bytes[name_start].is_ascii_alphabetic() {
        return None;
    }
    let name = &bytes[name_start..j];
    // Skip attributes, honouring quoted values. A quote opens a value only
    // after `=` (as in the tokenizer); anywhere else (`class="a"" alt=…`) it is
    // part of an attribute name, and reading it as an opening quote would
    // swallow the page up to the next stray quote.
    loop {
        let off = memchr::memchr3(b'>', b'"', b'\'', &bytes[j..])?;
        j += off;
        if bytes[j] == b'>' {
            return Some((j + 1, closing, name));
        }
        let before = bytes[..j].iter().rposition(|&c| !is_space(c));
        if before.is_some_and(|b| bytes[b] == b'=') {
            j += 1 + memchr(bytes[j], &bytes[j + 1..])? + 1;
        } else {
            j += 1;
        }
    }
}

/// Drops tags nested deeper than `max`; returns `html` untouched when no
/// element is that deep.
pub fn limit_depth(html: &str, max: usize) -> Cow<'_, str> {
    if rough_depth(html) < max {
        return Cow::Borrowed(html);
    }
    let bytes = html.as_bytes();
    // Open elements: whether each was dropped.
    let mut stack: Vec<(Vec<u8>, bool)> = Vec::new();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while let Some(off) = memchr(b'<', &bytes[i..]) {
        i += off;
        if bytes[i..].starts_with(b"<!--") {
            i = find_ci(html, i + 4, b"-->").map(|e| e + 3).unwrap_or(bytes.len());
            continue;
        }
        let Some(tag) = read_tag(bytes, i) else {
            i += 1;
            continue;
        };
        i = tag.end;
        let name = tag.name_lower.as_slice();
        if tag.closing {
            if let Some(pos) = stack.iter().rposition(|(n, _)| n == name) {
                // Everything above `pos` is implicitly closed; keep whether this one was dropped.
                let dropped = stack[pos].1;
                stack.truncate(pos);
                if dropped {
                    cuts.push((tag.start, tag.end));
                }
            }
            continue;
        }
        if is_raw_text(name) {
            let mut close = b"</".to_vec();
            close.extend_from_slice(name);
            i = find_ci(html, i, &close).unwrap_or(bytes.len());
            continue;
        }
        if is_void(name) || tag.self_closing || is_self_closing_by_parser(name) {
            continue;
        }
        let drop = stack.len() >= max;
        if drop {
            cuts.push((tag.start, tag.end));
        }
        stack.push((tag.name_lower, drop));
    }
    if cuts.is_empty() {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut last = 0;
    for (s, e) in cuts {
        out.push_str(&html[last..s]);
        last = e;
    }
    out.push_str(&html[last..]);
    Cow::Owned(out)
}

/// HTML's whitespace between attributes.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Whether extraction reads an attribute: the element's names and hiding flags
/// (`dom`), and what metadata looks at (meta tags, links, dates, bylines, language).
fn attr_is_read(name: &[u8], value: &[u8]) -> bool {
    const READ: [&[u8]; 19] = [
        b"class",
        b"id",
        b"role",
        b"itemprop",
        b"datetime",
        b"hidden",
        b"aria-hidden",
        b"property",
        b"name",
        b"http-equiv",
        b"content",
        b"rel",
        b"type",
        b"href",
        b"data-testid",
        b"lang",
        b"xml:lang",
        b"pubdate",
        b"charset",
    ];
    // Folded once into a small buffer, then one `match` (longer names are never read).
    let mut buf = [0u8; 16];
    if name.len() <= buf.len() {
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        if READ.contains(&&*lower) {
            return true;
        }
    }
    if name.eq_ignore_ascii_case(b"style") {
        // `dom::style_hides` only looks further at styles holding one of these.
        return contains(value, b"none") || contains(value, b"hidden");
    }
    // Metadata reads a `data-` attribute naming the author ("data-component=author").
    name.len() > 5
        && name[..5].eq_ignore_ascii_case(b"data-")
        && value.windows(6).any(|w| w.eq_ignore_ascii_case(b"author"))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Reads the attributes of a start tag from `j`, just past its name, as the HTML
/// tokenizer does, and cuts those [`attr_is_read`] rejects (each with the blanks
/// after it). Returns the index past the tag's `>`, or `None` if it never closes.
fn strip_attributes(bytes: &[u8], mut j: usize, cuts: &mut Vec<(usize, usize)>) -> Option<usize> {
    let n = bytes.len();
    loop {
        while j < n && (is_space(bytes[j]) || bytes[j] == b'/') {
            if bytes[j] == b'/' && bytes.get(j + 1) == Some(&b'>') {
                return Some(j + 2);
            }
            j += 1;
        }
        if j >= n {
            return None;
        }
        if bytes[j] == b'>' {
            return Some(j + 1);
        }
        let name_start = j;
        j += 1;
        while j < n && !is_space(bytes[j]) && !matches!(bytes[j], b'/' | b'>' | b'=') {
            j += 1;
        }
        let name = &bytes[name_start..j];
        let mut k = j;
        while k < n && is_space(bytes[k]) {
            k += 1;
        }
        let value = if k < n && bytes[k] == b'=' {
            k += 1;
            while k < n && is_space(bytes[k]) {
                k += 1;
            }
            if k < n && (bytes[k] == b'"' || bytes[k] == b'\'') {
                let close = memchr(bytes[k], &bytes[k + 1..])?;
                j = k + 2 + close;
                &bytes[k + 1..k + 1 + close]
            } else {
                let vs = k;
                while k < n && !is_space(bytes[k]) && bytes[k] != b'>' {
                    k += 1;
                }
                j = k;
                &bytes[vs..k]
            }
        } else {
            &bytes[j..j]
        };
        if name.eq_ignore_ascii_case(b"href")
            && !std::str::from_utf8(value).is_ok_and(super::metadata::href_is_read)
            && !value.is_empty()
        {
            // Links are read for where they go only when that is an author's or the
            // home page; otherwise being a link is enough: `href=".."` becomes `href`.
            cuts.push((name_start + name.len(), j));
        } else if !attr_is_read(name, value) {
            let mut e = j;
            while e < n && is_space(bytes[e]) {
                e += 1;
            }
            cuts.push((name_start, e));
            j = e;
        }
    }
}

/// Empties raw-text elements the extractor ignores (and `<nav>` menus when
/// `strip_nav`: per-watch selectors may point into them) and drops comments, then
/// applies [`limit_depth`] when the page may be nested deeper than `max_depth`.
/// With `strip_attrs` (no per-watch selector at all), attributes extraction never
/// reads go too: tags and their attributes are most of the tokenizer's work.
pub fn prepare(html: &str, max_depth: usize, strip_nav: bool, strip_attrs: bool) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut streams: Option<bool> = None;
    let mut i = 0;
    while let Some(off) = memchr(b'<', &bytes[i..]) {
        let start = i + off;
        i = start + 1;
        let Some(&c) = bytes.get(i) else { break };
        if c == b'!' {
            if bytes[i..].starts_with(b"!--") {
                let end = find_ci(html, i + 3, b"-->").map(|e| e + 3).unwrap_or(bytes.len());
                cuts.push((start, end));
                i = end;
                // A pending React boundary's fallback ("Loading…") gives way to its streamed segment.
                if &bytes[start..end] == b"<!--$?-->"
                    && *streams.get_or_insert_with(|| super::streamed::streams(html))
                    && let Some((from, to)) = super::streamed::pending_fallback(bytes, end)
                {
                    cuts.push((from, to));
                    i = to;
                }
            }
            continue;
        }
        if c == b'/' {
            depth = depth.saturating_sub(1);
            continue;
        }
        if !c.is_ascii_alphabetic() {
            continue;
        }
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
            j += 1;
        }
        let name = &bytes[i..j];
        let raw = if name.eq_ignore_ascii_case(b"script") {
            Some(&b"</script"[..])
        } else if name.eq_ignore_ascii_case(b"style") {
            Some(&b"</style"[..])
        } else if name.eq_ignore_ascii_case(b"svg") {
            Some(&b"</svg"[..])
        } else if name.eq_ignore_ascii_case(b"noscript") {
            Some(&b"</noscript"[..])
        } else if strip_nav && name.eq_ignore_ascii_case(b"nav") {
            // Menus: never article text, often a tenth of the markup.
            Some(&b"</nav"[..])
        } else {
            None
        };
        if let Some(close) = raw {
            let Some((tag_end, _, _)) = tag_end(bytes, start) else {
                i = j;
                continue;
            };
            let tag = Tag {
                start,
                end: tag_end,
                name_lower: Vec::new(),
                closing: false,
                self_closing: bytes[tag_end - 2] == b'/',
            };
            let Some(end) = find_ci(html, tag.end, close) else {
                break;
            };
            if name.eq_ignore_ascii_case(b"nav") && find_ci(&html[..end], tag.end, b"<nav").is_some() {
                // Nested menus: leave them to the parser.
                i = tag.end;
                continue;
            }
            let keep = name.eq_ignore_ascii_case(b"script") && find_ci(&html[start..tag.end], 0, b"ld+json").is_some();
            // Scripts, styles and `<noscript>`s go whole, end tag and all: the parser
            // then has no element to build, and nothing reads them.
            let gt = end + close.len() + bytes[end + close.len()..].iter().take_while(|b| is_space(**b)).count();
            let whole = !name.eq_ignore_ascii_case(b"svg") && !name.eq_ignore_ascii_case(b"nav");
            if !keep && whole && !tag.self_closing && bytes.get(gt) == Some(&b'>') {
                cuts.push((start, gt + 1));
                i = gt + 1;
                continue;
            }
            if !keep && end > tag.end && !tag.self_closing {
                cuts.push((tag.end, end));
            }
            i = end + close.len();
            continue;
        }
        // Void elements the extractor never reads: drop the whole tag (image
        // tags with their `srcset`s are a tenth of what remains of a page).
        let drop_tag = name.eq_ignore_ascii_case(b"img")
            || name.eq_ignore_ascii_case(b"source")
            || name.eq_ignore_ascii_case(b"input")
            || name.eq_ignore_ascii_case(b"link");
        if drop_tag && let Some((end, _, _)) = tag_end(bytes, start) {
            let tag = Tag { start, end, name_lower: Vec::new(), closing: false, self_closing: false };
            // The page's own routes stay (its canonical URL and its AMP page: see `signals::canonical`).
            let keep = name.eq_ignore_ascii_case(b"link")
                && [&b"canonical"[..], b"amphtml"].iter().any(|rel| find_ci(&html[start..tag.end], 0, rel).is_some());
            if name.eq_ignore_ascii_case(b"img") {
                // A bare `<img>` stays: where the images are tells a gallery from a story.
                cuts.push((start + 4, tag.end - 1));
            } else if !keep {
                cuts.push((start, tag.end));
            }
            i = tag.end;
            continue;
        }
        let lower: &[u8] = if name.len() <= 10 && name.iter().all(u8::is_ascii_lowercase) { name } else { b"x" };
        if !is_void(lower) && !is_self_closing_by_parser(lower) && !is_raw_text(lower) {
            depth += 1;
            max = max.max(depth);
        }
        i = j;
        if strip_attrs {
            // The whole name, as the tokenizer reads it ("amp-img", "o:p").
            let mut k = j;
            while k < bytes.len() && !is_space(bytes[k]) && !matches!(bytes[k], b'/' | b'>') {
                k += 1;
            }
            let Some(end) = strip_attributes(bytes, k, &mut cuts) else { break };
            i = end;
            let raw_name = &bytes[start + 1..k];
            let raw_text = [&b"title"[..], b"textarea", b"xmp", b"iframe", b"noembed", b"noframes", b"plaintext"];
            if raw_text.iter().any(|r| raw_name.eq_ignore_ascii_case(r)) {
                // A title's or textarea's text is not markup: leave it whole.
                let mut close = b"</".to_vec();
                close.extend_from_slice(&bytes[start + 1..k]);
                i = find_ci(html, end, &close).unwrap_or(bytes.len());
            }
        }
    }
    let stripped: Cow<'_, str> = if cuts.is_empty() {
        Cow::Borrowed(html)
    } else {
        let mut out = String::with_capacity(html.len());
        let mut last = 0;
        for (s, e) in cuts {
            if s >= last {
                out.push_str(&html[last..s]);
                last = e;
            }
        }
        out.push_str(&html[last.min(html.len())..]);
        Cow::Owned(out)
    };
    if max < max_depth {
        return stripped;
    }
    match limit_depth(&stripped, max_depth) {
        Cow::Borrowed(_) => stripped,
        Cow::Owned(o) => Cow::Owned(o),
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

/// An upper-bound-ish estimate of the nesting depth, without allocating:
/// start tags of elements that hold children count up, end tags count down.
/// Only a page that scores at least `max` here gets the exact pass.
fn rough_depth(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = memchr(b'<', &bytes[i..]) {
        i += off + 1;
        let Some(&c) = bytes.get(i) else { break };
        if c == b'/' {
            depth = depth.saturating_sub(1);
        } else if c.is_ascii_alphabetic() {
            let mut j = i;
            while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
                j += 1;
            }
            let name = &bytes[i..j];
            let lower: &[u8] = if name.len() <= 10 && name.iter().all(u8::is_ascii_lowercase) {
                name
            } else {
                // Rare: upper-case or long names are counted as nesting.
                b"x"
            };
            if !is_void(lower) && !is_self_closing_by_parser(lower) && !is_raw_text(lower) {
                depth += 1;
                max = max.max(depth);
            }
            i = j;
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_are_untouched() {
        let html = "<div><p>a<p>b<ul><li>x<li>y</ul><br><img src=x></div><script>if (a<b) {}</script>";
        assert!(matches!(limit_depth(html, 3), Cow::Borrowed(_)));
    }

    #[test]
    fn deep_tags_are_dropped_text_kept() {
        let html = format!("{}text{}", "<div>".repeat(10), "</div>".repeat(10));
        let out = limit_depth(&html, 4);
        assert_eq!(out, format!("{}text{}", "<div>".repeat(4), "</div>".repeat(4)));
    }

    #[test]
    fn pending_react_fallbacks_go_when_segments_stream() {
        let page = r#"<p>a</p><!--$?--><template id="B:0"></template><div>Loading<!--$--><i>x</i><!--/$--></div><!--/$--><p>b</p><div hidden id="S:0"><p>c</p></div>"#;
        let out = prepare(page, MAX_DEPTH, false, false);
        assert_eq!(out, r#"<p>a</p><template id="B:0"></template><p>b</p><div hidden id="S:0"><p>c</p></div>"#);
        // Without a streamed segment the fallback is all the page has: it stays.
        let alone = r#"<!--$?--><template id="B:0"></template><div>Loading</div><!--/$-->"#;
        assert_eq!(prepare(alone, MAX_DEPTH, false, false), r#"<template id="B:0"></template><div>Loading</div>"#);
    }

    #[test]
    fn prepare_empties_scripts_styles_and_comments() {
        let html = "<head><script>var a = '<div>';</script><script type=\"application/ld+json\">{\"a\":1}</script>\
                    <style>p{}</style></head><body><!-- c --><svg><path d='M0'/></svg><nav><a href=/>Home</a></nav><p>x</p></body>";
        assert_eq!(
            prepare(html, 100, true, false),
            "<head><script type=\"application/ld+json\">{\"a\":1}</script>\
                    </head><body><svg></svg><nav></nav><p>x</p></body>"
        );
        let deep = format!("{}t{}", "<div>".repeat(10), "</div>".repeat(10));
        assert_eq!(prepare(&deep, 4, true, false), format!("{}t{}", "<div>".repeat(4), "</div>".repeat(4)));
        assert!(matches!(prepare("<p>plain</p>", 4, true, false), Cow::Borrowed(_)));
    }

    #[test]
    fn a_stray_quote_after_a_value_does_not_swallow_the_page() {
        // `""` ends the value and starts an attribute name: the image ends at its own `>`.
        let html = r#"<p>a</p><img class="logo"" alt="x"><p>kept</p><p title="q">"quoted"</p>"#;
        assert_eq!(prepare(html, 100, false, false), r#"<p>a</p><img><p>kept</p><p title="q">"quoted"</p>"#);
        // A quote after `=`, spaces between, still opens a value that may hold `>`.
        let spaced = r#"<img alt = "a>b"><p>t</p>"#;
        assert_eq!(prepare(spaced, 100, false, false), "<img><p>t</p>");
    }

    #[test]
    fn unread_attributes_go_read_ones_stay() {
        let html = "<html lang=en><head><title>a <b x=1> c</title><meta property=\"og:title\" content='T'></head>\
                    <body><div data-track=\"x y\" class=\"story\" onclick=go() style=\"color:red\">\
                    <amp-img layout=fill></amp-img><span data-role=Author hidden/>t</div>\
                    <a href=/x target=_blank>l</a><p style='display: none' tabindex=1>h</p></body>";
        assert_eq!(
            prepare(html, 100, true, true),
            "<html lang=en><head><title>a <b x=1> c</title><meta property=\"og:title\" content='T'></head>\
                    <body><div class=\"story\" >\
                    <amp-img ></amp-img><span data-role=Author hidden/>t</div>\
                    <a href >l</a><p style='display: none' >h</p></body>"
        );
        assert_eq!(prepare(html, 100, true, false).len(), html.len(), "only with strip_attrs");
        let links = "<a href=\"/\">h</a><a href='/author/jo'>j</a><a href=\"https://e.com/news/a?b&amp;c\">q</a><a href=\"https://e.com/news/x\">x</a>";
        assert_eq!(
            prepare(links, 100, true, true),
            "<a href=\"/\">h</a><a href='/author/jo'>j</a><a href=\"https://e.com/news/a?b&amp;c\">q</a><a href>x</a>"
        );
        // Attributes run together, or a tag that never closes, leave a well-formed rest.
        assert_eq!(prepare("<div x=\"1\"class=a y>t", 100, true, true), "<div class=a >t");
        assert_eq!(prepare("<p>a</p><div x=\"1", 100, true, true), "<p>a</p><div x=\"1");
    }

    #[test]
    fn quoted_brackets_and_comments() {
        let html = "<div title='a>b'><!-- <div><div> --><span>t</span></div>";
        assert!(matches!(limit_depth(html, 2), Cow::Borrowed(_)));
    }
}
