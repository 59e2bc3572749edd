//! Input guards that keep extraction time and memory bounded.
//!
//! html5ever scans its stack of open elements on many insertions, so a page
//! nested N levels deep costs O(N²) to parse (100,000 nested `<div>`s take
//! tens of seconds). [`limit_depth`] removes start tags (and their end tags)
//! beyond a nesting depth no real page reaches, keeping all the text, with one
//! linear scan that touches nothing on ordinary pages.
//!
//! [`prepare`] also empties what the extractor never reads (scripts other than
//! JSON-LD, styles, inline SVG, `<noscript>`, comments, image, source, input
//! and non-canonical link tags): about two thirds of a typical news page's
//! bytes, which the parser then does not have to tokenize.

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
    let name_lower = bytes[name_start..j].to_ascii_lowercase();
    // Skip attributes, honouring quotes.
    let mut quote = 0u8;
    while j < bytes.len() {
        let b = bytes[j];
        if quote != 0 {
            if b == quote {
                quote = 0;
            }
        } else if b == b'"' || b == b'\'' {
            quote = b;
        } else if b == b'>' {
            let self_closing = j > 0 && bytes[j - 1] == b'/';
            return Some(Tag { start: i, end: j + 1, name_lower, closing, self_closing });
        }
        j += 1;
    }
    None
}

/// ASCII-case-insensitive search for `needle` in `hay` from `from`, jumping
/// between occurrences of its first byte (a fast `memchr` on `str`).
fn find(text: &str, from: usize, needle: &[u8]) -> Option<usize> {
    let first = *needle.first()? as char;
    let upper = first.to_ascii_uppercase();
    let hay = text.as_bytes();
    let mut i = from;
    while i < hay.len() {
        let rest = text.get(i..)?;
        let found = if upper == first { rest.find(first) } else { rest.find([first, upper]) };
        let pos = i + found?;
        if hay.len() - pos >= needle.len() && hay[pos..pos + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(pos);
        }
        i = pos + 1;
    }
    None
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
            i = find(html, i + 4, b"-->").map(|e| e + 3).unwrap_or(bytes.len());
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
            i = find(html, i, &close).unwrap_or(bytes.len());
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

/// Empties raw-text elements the extractor ignores (and `<nav>` menus when
/// `strip_nav`: per-watch selectors may point into them) and drops comments, then
/// applies [`limit_depth`] when the page may be nested deeper than `max_depth`.
pub fn prepare(html: &str, max_depth: usize, strip_nav: bool) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let start = i + off;
        i = start + 1;
        let Some(&c) = bytes.get(i) else { break };
        if c == b'!' {
            if bytes[i..].starts_with(b"!--") {
                let end = find(html, i + 3, b"-->").map(|e| e + 3).unwrap_or(bytes.len());
                cuts.push((start, end));
                i = end;
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
            let Some(tag) = read_tag(bytes, start) else {
                i = j;
                continue;
            };
            let Some(end) = find(html, tag.end, close) else {
                break;
            };
            if name.eq_ignore_ascii_case(b"nav") && find(&html[..end], tag.end, b"<nav").is_some() {
                // Nested menus: leave them to the parser.
                i = tag.end;
                continue;
            }
            let keep = name.eq_ignore_ascii_case(b"script") && find(&html[start..tag.end], 0, b"ld+json").is_some();
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
        if drop_tag && let Some(tag) = read_tag(bytes, start) {
            // The page's own routes stay (its canonical URL and its AMP page: see `signals::canonical`).
            let keep = name.eq_ignore_ascii_case(b"link")
                && [&b"canonical"[..], b"amphtml"].iter().any(|rel| find(&html[start..tag.end], 0, rel).is_some());
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
    hay.iter().position(|&b| b == needle)
}

/// An upper-bound-ish estimate of the nesting depth, without allocating:
/// start tags of elements that hold children count up, end tags count down.
/// Only a page that scores at least `max` here gets the exact pass.
fn rough_depth(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
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
    fn prepare_empties_scripts_styles_and_comments() {
        let html = "<head><script>var a = '<div>';</script><script type=\"application/ld+json\">{\"a\":1}</script>\
                    <style>p{}</style></head><body><!-- c --><svg><path d='M0'/></svg><nav><a href=/>Home</a></nav><p>x</p></body>";
        assert_eq!(
            prepare(html, 100, true),
            "<head><script></script><script type=\"application/ld+json\">{\"a\":1}</script>\
                    <style></style></head><body><svg></svg><nav></nav><p>x</p></body>"
        );
        let deep = format!("{}t{}", "<div>".repeat(10), "</div>".repeat(10));
        assert_eq!(prepare(&deep, 4, true), format!("{}t{}", "<div>".repeat(4), "</div>".repeat(4)));
        assert!(matches!(prepare("<p>plain</p>", 4, true), Cow::Borrowed(_)));
    }

    #[test]
    fn quoted_brackets_and_comments() {
        let html = "<div title='a>b'><!-- <div><div> --><span>t</span></div>";
        assert!(matches!(limit_depth(html, 2), Cow::Borrowed(_)));
    }
}
