//! A fast HTML tokenizer for the common case, feeding html5ever's own tree builder.
//!
//! html5ever's tokenizer reads tag and attribute names one character at a time
//! through its buffer queue (a few hundred instructions a character): most of the
//! parse on a news page, whose markup is mostly tags. This tokenizer reads them
//! with byte scans and hands html5ever's [`TreeBuilder`] the same tokens, so the
//! tree is the one `Html::parse_document` builds. It only knows the common case:
//! on anything else (comments, CDATA, bogus markup, legacy character references
//! without `;`, NUL bytes, a tag cut by the end of the page, escaped script
//! text…) it gives up and the page is parsed again by html5ever, from scratch.

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{Doctype, Tag, TagKind, Token, TokenSink, TokenSinkResult};
use html5ever::tree_builder::{TreeBuilder, TreeBuilderOpts, TreeSink};
use html5ever::{Attribute, LocalName, QualName, ns};
use scraper::{Html, HtmlTreeSink};

/// Parses a document as `Html::parse_document` does.
pub fn parse_document(html: &str) -> Html {
    fast(html).unwrap_or_else(|| Html::parse_document(html))
}

/// The fast path alone: `None` when the page needs html5ever's tokenizer.
pub fn fast(html: &str) -> Option<Html> {
    // html5ever drops a byte-order mark; NUL bytes have their own tokens, and so
    // does a byte-order mark further on, which matters before the body opens (in the
    // head it ends the head apart from the whitespace after it). Inside the body it is
    // text like any other: a template included with its own mark leaves one there.
    let html = html.strip_prefix('\u{feff}').unwrap_or(html);
    if memchr::memchr(0, html.as_bytes()).is_some() {
        return None;
    }
    if let Some(mark) = memchr::memmem::find(html.as_bytes(), "\u{feff}".as_bytes())
        && !opens_body(&html.as_bytes()[..mark])
    {
        return None;
    }
    // Sized once for about a node every 16 bytes (a tag or the text after it, the attributes
    // nobody reads cut by the guard), the tree is seldom copied as it grows.
    let mut doc = Html::new_document();
    doc.tree = ego_tree::Tree::with_capacity(scraper::Node::Document, html.len() / 16 + 16);
    let tb = TreeBuilder::new(HtmlTreeSink::new(doc), TreeBuilderOpts::default());
    let mut p = Parser { src: html, b: html.as_bytes(), i: 0, tb: &tb, text: String::new(), scratch: String::new() };
    p.run()?;
    let _ = tb.process_token(Token::EOFToken, 1);
    tb.end();
    Some(tb.sink.finish())
}

/// Whether `html` holds a `<body>` start tag, in any case.
fn opens_body(html: &[u8]) -> bool {
    html.windows(6).any(|w| w[..5].eq_ignore_ascii_case(b"<body") && (matches!(w[5], b'>' | b'/') || is_ws(w[5])))
}

/// How the fast path does on `html`: `Ok(true)` when it builds html5ever's tree,
/// `Ok(false)` when it leaves the page to html5ever, `Err` (the first line that
/// differs) when its tree is not `Html::parse_document`'s. Trees are compared
/// serialized, node by node (names with their namespaces, attributes in order,
/// text node boundaries, doctypes) and by quirks mode.
pub fn check(html: &str) -> Result<bool, String> {
    let Some(fast) = fast(html) else { return Ok(false) };
    let slow = Html::parse_document(html);
    if fast.quirks_mode != slow.quirks_mode {
        return Err(format!("quirks mode {:?}, html5ever {:?}", fast.quirks_mode, slow.quirks_mode));
    }
    let (a, b) = (dump(&fast), dump(&slow));
    if let Some((x, y)) = a.iter().zip(&b).find(|(x, y)| x != y) {
        return Err(format!("fast {x:?}, html5ever {y:?}"));
    }
    if a.len() != b.len() {
        return Err(format!("{} nodes, html5ever {}", a.len(), b.len()));
    }
    if fast.html() != slow.html() {
        return Err("serializations differ".to_string());
    }
    Ok(true)
}

/// One line a node: its depth and what it holds.
fn dump(doc: &Html) -> Vec<String> {
    use scraper::Node;
    let mut out = Vec::new();
    let mut stack = vec![(doc.tree.root(), 0usize)];
    while let Some((n, depth)) = stack.pop() {
        let what = match n.value() {
            Node::Document => "#document".to_string(),
            Node::Fragment => "#fragment".to_string(),
            Node::Doctype(d) => format!("!doctype {:?} {:?} {:?}", &*d.name, &*d.public_id, &*d.system_id),
            Node::Comment(c) => format!("!-- {:?}", &**c),
            Node::Text(t) => format!("text {:?}", &*t.text),
            Node::Element(e) => {
                let attrs: Vec<String> = e
                    .attrs
                    .iter()
                    .map(|(k, v)| format!("{:?}:{}:{}={:?}", k.prefix.as_deref(), &*k.ns, &*k.local, &**v))
                    .collect();
                format!("<{}:{} {}>", &*e.name.ns, &*e.name.local, attrs.join(" "))
            }
            Node::ProcessingInstruction(p) => format!("?{:?} {:?}", &*p.target, &*p.data),
        };
        out.push(format!("{depth} {what}"));
        let children: Vec<_> = n.children().collect();
        stack.extend(children.into_iter().rev().map(|c| (c, depth + 1)));
    }
    out
}

type Builder = TreeBuilder<<HtmlTreeSink as TreeSink>::Handle, HtmlTreeSink>;

struct Parser<'a, 'b> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    tb: &'b Builder,
    /// Characters not yet handed to the tree builder.
    text: String,
    scratch: String,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// What the tree builder asked for after a tag.
enum Next {
    Data,
    Raw(RawKind),
}

impl Parser<'_, '_> {
    fn run(&mut self) -> Option<()> {
        let n = self.b.len();
        let mut next = Next::Data;
        while self.i < n {
            next = match next {
                Next::Data => self.data()?,
                Next::Raw(kind) => self.raw(kind)?,
            };
        }
        self.flush();
        Some(())
    }

    fn flush(&mut self) {
        if !self.text.is_empty() {
            let t = StrTendril::from_slice(&self.text);
            self.text.clear();
            let _ = self.tb.process_token(Token::CharacterTokens(t), 1);
        }
    }

    /// The data state up to and including the next tag.
    fn data(&mut self) -> Option<Next> {
        let (src, b) = (self.src, self.b);
        loop {
            let Some(off) = memchr::memchr3(b'<', b'&', b'\r', &b[self.i..]) else {
                self.text.push_str(&src[self.i..]);
                self.i = b.len();
                return Some(Next::Data);
            };
            self.text.push_str(&src[self.i..self.i + off]);
            self.i += off;
            match b[self.i] {
                b'\r' => {
                    self.text.push('\n');
                    self.i += 1;
                    if b.get(self.i) == Some(&b'\n') {
                        self.i += 1;
                    }
                }
                b'&' => {
                    let used = char_ref(&src[self.i..], &mut self.text)?;
                    self.i += used;
                }
                _ => {
                    if let Some(next) = self.markup()? {
                        return Some(next);
                    }
                }
            }
        }
    }

    /// At a `<` in data: a tag (returns what follows it), a doctype, or a literal `<` (`None`).
    fn markup(&mut self) -> Option<Option<Next>> {
        let b = self.b;
        let i = self.i;
        match b.get(i + 1) {
            Some(c) if c.is_ascii_alphabetic() => self.tag(i + 1, TagKind::StartTag).map(Some),
            Some(b'/') => match b.get(i + 2) {
                Some(c) if c.is_ascii_alphabetic() => self.tag(i + 2, TagKind::EndTag).map(Some),
                Some(b'>') => {
                    // `</>` is dropped, as a parse error: html5ever's error token ends the
                    // tree builder's "drop a newline right after <pre>" as any token does.
                    self.flush();
                    let _ = self.tb.process_token(Token::ParseError("Saw </> in data".into()), 1);
                    self.i = i + 3;
                    Some(None)
                }
                _ => None,
            },
            Some(b'!') => {
                if b.len() >= i + 9 && b[i + 2..i + 9].eq_ignore_ascii_case(b"doctype") {
                    self.doctype(i + 9)?;
                    Some(None)
                } else {
                    None
                }
            }
            Some(b'?') => None,
            None => None,
            Some(_) => {
                self.text.push('<');
                self.i = i + 1;
                Some(None)
            }
        }
    }

    /// Reads a tag whose name starts at `j` and hands it to the tree builder.
    fn tag(&mut self, mut j: usize, kind: TagKind) -> Option<Next> {
        let (src, b) = (self.src, self.b);
        let n = b.len();
        let name_start = j;
        while j < n && !is_ws(b[j]) && b[j] != b'/' && b[j] != b'>' {
            j += 1;
        }
        if j >= n {
            return None;
        }
        let name = lower(&src[name_start..j]);
        let mut attrs: Vec<Attribute> = Vec::new();
        let mut dup = false;
        let mut self_closing = false;
        loop {
            while j < n && is_ws(b[j]) {
                j += 1;
            }
            if j >= n {
                return None;
            }
            match b[j] {
                b'>' => {
                    j += 1;
                    break;
                }
                b'/' => {
                    if b.get(j + 1) == Some(&b'>') {
                        self_closing = true;
                        j += 2;
                        break;
                    }
                    j += 1;
                    continue;
                }
                _ => {}
            }
            let an = j;
            j += 1;
            while j < n && !is_ws(b[j]) && !matches!(b[j], b'/' | b'>' | b'=') {
                j += 1;
            }
            let aname = LocalName::from(&*lower(&src[an..j]));
            while j < n && is_ws(b[j]) {
                j += 1;
            }
            if j >= n {
                return None;
            }
            let mut value = StrTendril::new();
            let mut close_now = false;
            if b[j] == b'=' {
                j += 1;
                while j < n && is_ws(b[j]) {
                    j += 1;
                }
                if j >= n {
                    return None;
                }
                match b[j] {
                    q @ (b'"' | b'\'') => {
                        let close = j + 1 + memchr::memchr(q, &b[j + 1..])?;
                        value = self.attr_value(&src[j + 1..close])?;
                        j = close + 1;
                    }
                    b'>' => {
                        close_now = true;
                        j += 1;
                    }
                    _ => {
                        let vs = j;
                        while j < n && !is_ws(b[j]) && b[j] != b'>' {
                            j += 1;
                        }
                        value = self.attr_value(&src[vs..j])?;
                    }
                }
            }
            if attrs.iter().any(|a| a.name.local == aname) {
                dup = true;
            } else {
                attrs.push(Attribute { name: QualName::new(None, ns!(), aname), value });
            }
            if close_now {
                break;
            }
        }
        self.i = j;
        self.flush();
        let tag = Tag { kind, name: LocalName::from(&*name), self_closing, attrs, had_duplicate_attributes: dup };
        match self.tb.process_token(Token::TagToken(tag), 1) {
            TokenSinkResult::Continue | TokenSinkResult::Script(_) | TokenSinkResult::EncodingIndicator(_) => {
                Some(Next::Data)
            }
            TokenSinkResult::RawData(k @ (RawKind::Rcdata | RawKind::Rawtext | RawKind::ScriptData)) => {
                Some(Next::Raw(k))
            }
            _ => None,
        }
        .map(|next| {
            if let Next::Raw(_) = next {
                self.scratch = name.into_owned();
            }
            next
        })
    }

    fn attr_value(&mut self, raw: &str) -> Option<StrTendril> {
        if !raw.as_bytes().iter().any(|&c| c == b'&' || c == b'\r') {
            return Some(StrTendril::from_slice(raw));
        }
        let mut out = String::with_capacity(raw.len());
        decode(raw, &mut out)?;
        Some(StrTendril::from_slice(&out))
    }

    /// Text of a raw-text element (its start tag's name is in `scratch`) up to its end tag.
    fn raw(&mut self, kind: RawKind) -> Option<Next> {
        let (src, b) = (self.src, self.b);
        let name = std::mem::take(&mut self.scratch);
        let nb = name.as_bytes();
        let start = self.i;
        let mut k = start;
        let end = loop {
            let Some(off) = memchr::memchr(b'<', &b[k..]) else { break None };
            let p = k + off;
            if b.get(p + 1) == Some(&b'/')
                && b.len() >= p + 2 + nb.len()
                && b[p + 2..p + 2 + nb.len()].eq_ignore_ascii_case(nb)
                && b.get(p + 2 + nb.len()).is_some_and(|&c| is_ws(c) || c == b'/' || c == b'>')
            {
                break Some(p);
            }
            k = p + 1;
        };
        let stop = end.unwrap_or(b.len());
        let body = &src[start..stop];
        if matches!(kind, RawKind::ScriptData) && body.contains("<!--") {
            return None;
        }
        if matches!(kind, RawKind::Rcdata) {
            decode(body, &mut self.text)?;
        } else {
            push_normalized(body, &mut self.text);
        }
        match end {
            None => {
                self.i = b.len();
                Some(Next::Data)
            }
            Some(p) => self.tag(p + 2, TagKind::EndTag),
        }
    }

    /// `<!DOCTYPE` read up to `j`: the common forms only.
    fn doctype(&mut self, mut j: usize) -> Option<()> {
        let (src, b) = (self.src, self.b);
        let n = b.len();
        let skip = |j: &mut usize| {
            let s = *j;
            while *j < n && is_ws(b[*j]) {
                *j += 1;
            }
            *j > s
        };
        if !skip(&mut j) {
            return None;
        }
        let ns = j;
        while j < n && !is_ws(b[j]) && b[j] != b'>' {
            j += 1;
        }
        if j == ns || j >= n {
            return None;
        }
        let name = lower(&src[ns..j]).into_owned();
        skip(&mut j);
        let quoted = |j: &mut usize| -> Option<StrTendril> {
            let q = *b.get(*j)?;
            if q != b'"' && q != b'\'' {
                return None;
            }
            let close = *j + 1 + memchr::memchr(q, &b[*j + 1..])?;
            let s = &src[*j + 1..close];
            if s.contains(['>', '\r']) {
                return None;
            }
            *j = close + 1;
            Some(StrTendril::from_slice(s))
        };
        let (mut public_id, mut system_id) = (None, None);
        if b.get(j) != Some(&b'>') {
            if b.len() < j + 6 {
                return None;
            }
            let kw = &b[j..j + 6];
            j += 6;
            if !skip(&mut j) {
                return None;
            }
            if kw.eq_ignore_ascii_case(b"public") {
                public_id = Some(quoted(&mut j)?);
                if skip(&mut j) && b.get(j) != Some(&b'>') {
                    system_id = Some(quoted(&mut j)?);
                }
            } else if kw.eq_ignore_ascii_case(b"system") {
                system_id = Some(quoted(&mut j)?);
            } else {
                return None;
            }
            skip(&mut j);
            if b.get(j) != Some(&b'>') {
                return None;
            }
        }
        self.i = j + 1;
        self.flush();
        let dt = Doctype { name: Some(StrTendril::from_slice(&name)), public_id, system_id, force_quirks: false };
        let _ = self.tb.process_token(Token::DoctypeToken(dt), 1);
        Some(())
    }
}

/// ASCII lower case, as the tokenizer folds names.
fn lower(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|c| c.is_ascii_uppercase()) { s.to_ascii_lowercase().into() } else { s.into() }
}

/// Appends `s` with CR LF and lone CR turned into LF.
fn push_normalized(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(p) = rest.find('\r') {
        out.push_str(&rest[..p]);
        out.push('\n');
        rest = &rest[p + 1..];
        if let Some(r) = rest.strip_prefix('\n') {
            rest = r;
        }
    }
    out.push_str(rest);
}

/// Appends `s` with character references decoded and line ends normalized.
fn decode(s: &str, out: &mut String) -> Option<()> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(off) = memchr::memchr2(b'&', b'\r', &b[i..]) {
        out.push_str(&s[i..i + off]);
        i += off;
        if b[i] == b'\r' {
            out.push('\n');
            i += 1;
            if b.get(i) == Some(&b'\n') {
                i += 1;
            }
        } else {
            i += char_ref(&s[i..], out)?;
        }
    }
    out.push_str(&s[i..]);
    Some(())
}

/// At a `&`: appends what it stands for and returns how many bytes it took;
/// `None` for the cases left to html5ever (legacy names without `;`, odd numbers).
fn char_ref(s: &str, out: &mut String) -> Option<usize> {
    let b = s.as_bytes();
    match b.get(1) {
        Some(b'#') => {
            let hex = matches!(b.get(2), Some(b'x' | b'X'));
            let ds = if hex { 3 } else { 2 };
            let mut j = ds;
            while j < b.len() && (if hex { b[j].is_ascii_hexdigit() } else { b[j].is_ascii_digit() }) {
                j += 1;
            }
            if j == ds || j - ds > 7 || b.get(j) != Some(&b';') {
                return None;
            }
            let v = u32::from_str_radix(&s[ds..j], if hex { 16 } else { 10 }).ok()?;
            let ok = matches!(v, 0x09 | 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFDCF | 0xFDF0..=0x10FFFF)
                && (v & 0xFFFE) != 0xFFFE;
            if !ok {
                return None;
            }
            out.push(char::from_u32(v)?);
            Some(j + 1)
        }
        Some(c) if c.is_ascii_alphanumeric() => {
            let mut j = 1;
            while j < b.len() && b[j].is_ascii_alphanumeric() {
                j += 1;
            }
            let name = &s[1..j];
            let entities = &html5ever::data::NAMED_ENTITIES;
            if b.get(j) == Some(&b';')
                && let Some(&(c1, c2)) = entities.get(&s[1..=j])
                && c1 != 0
            {
                out.push(char::from_u32(c1)?);
                if c2 != 0 {
                    out.push(char::from_u32(c2)?);
                }
                return Some(j + 1);
            }
            // A prefix that is an entity without `;` ("&amp", "&notit"): html5ever's rules.
            if (1..=name.len()).any(|k| entities.get(&name[..k]).is_some_and(|&(c1, _)| c1 != 0)) {
                return None;
            }
            out.push('&');
            Some(1)
        }
        _ => {
            out.push('&');
            Some(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(src: &str) {
        let fast = fast(src).expect("fast path");
        let slow = Html::parse_document(src);
        assert_eq!(fast.html(), slow.html(), "{src}");
        assert_eq!(fast.quirks_mode, slow.quirks_mode, "{src}");
    }

    #[test]
    fn trees_match_html5ever() {
        same("<!DOCTYPE html><html lang=en><head><title>A &amp; B</title></head><body><p class=\"x\">t</body>");
        same(
            "<!doctype html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\"><table><p>x<td>y</table>",
        );
        same("<p>a<b>b<i>c</b>d</i>e</p><p>f &lt; g &#233; &#x1F600; &copy; h&i a<3 </> x</p>");
        same(
            "<div a=1 b='2' c=\"3\" d e=x/><br/><img src=a.png/ ><input disabled=\"\">\r\n<a href='?a=1&b=2'>l</a></div>",
        );
        same(
            "<div class=a class=b ID=c>x</div><DIV>y</DIV><svg viewBox=\"0 0 1 1\"><foreignObject>z</foreignObject></svg>",
        );
        same("<script>if (a<b) { x = '</scr' + 'ipt>' }</script><style>p>a{}</style><textarea>\n&amp;<b></textarea>");
        same("<title>x</title  ><noscript><p>n</p></noscript><iframe src=x><p></iframe><xmp><b></xmp>");
        same("<table><tr><td>1<td>2</table><select><option>a<option>b</select><pre>\nx</pre>");
        same("<p x=\"a\"y=\"b\">t</p><p/x>u</p>");
        same("");
        same("text only");
        // A byte-order mark inside the body (an included template's) is text.
        for src in [
            "<html><head><title>t</title></head><body><p>x</p>\u{feff}\n<div>y\u{feff}z</div></body>",
            "<body><pre></>\n<p>x</p>",
            "<BODY class=a>\u{feff}<table><tr><td>\u{feff}\n</table></body>\u{feff}\n",
        ] {
            assert_eq!(check(src), Ok(true), "{src:?}");
        }
    }

    #[test]
    fn unusual_input_falls_back() {
        for src in [
            "<!-- c --><p>x</p>",
            "<p>&amp x</p>",
            "<p>x\0</p>",
            "<p class=\"x",
            "<?xml version=1?><p>",
            "<script><!-- x --></script>",
            "</ x>",
            // Found by the fuzz loop: in the head, html5ever ends the head at the mark
            // and keeps the newline after it apart.
            "<html><head><meta charset=\"utf-8\">\u{feff}\n<title>t</title></head><body><p>x</p>",
            "<p>x</p>\u{feff}\n<div>y</div>",
        ] {
            assert!(fast(src).is_none(), "{src}");
            let _ = parse_document(src);
        }
    }

    use proptest::prelude::*;

    const NAMES: &[&str] = &[
        "p",
        "div",
        "a",
        "br",
        "img",
        "table",
        "tr",
        "td",
        "tbody",
        "ul",
        "li",
        "script",
        "style",
        "textarea",
        "title",
        "pre",
        "svg",
        "math",
        "template",
        "select",
        "option",
        "head",
        "body",
        "html",
        "foo",
        "x-y",
        "P",
        "DiV",
        "ScRiPt",
        "TITLE",
        "Svg",
        "iframe",
        "noscript",
        "xmp",
        "plaintext",
        "foreignObject",
        "mi",
        "desc",
        "input",
        "hr",
        "meta",
        "link",
        "frameset",
        "caption",
        "colgroup",
        "form",
        "button",
        "h1",
        "b",
        "i",
        "listing",
        "noembed",
        "annotation-xml",
        "path",
        "tagé",
    ];
    const ATTR_NAMES: &[&str] = &[
        "class",
        "id",
        "href",
        "src",
        "CLASS",
        "x",
        "data-a",
        "xlink:href",
        "viewBox",
        "definitionURL",
        "é",
        "\"",
        "'",
        "<",
    ];
    const VALUES: &[&str] = &[
        "", "a", "a b", "<", ">", "=", "/", "a/b", "&amp;", "&amp", "&ampx", "&lt;&gt;", "&#65;", "&#x41;", "&#0;",
        "&#xD800;", "&#128;", "&notin;", "&notit;", "&copy", "é", "\r\n", "'", "\"", "`", "&", "&;", "&#;", "&#x;",
    ];
    /// Text the fast path reads.
    const TEXTS: &[&str] = &[
        "text",
        " ",
        "\n",
        "\r\n",
        "\r",
        "\t",
        "&amp;",
        "&AMP;",
        "&copy;",
        "&notin;",
        "&#65;",
        "&#x41;",
        "&#X41;",
        "&#128;",
        "&#x1F600;",
        "&",
        "&;",
        "&zz;",
        "&zz",
        "&a1b",
        "<",
        ">",
        "< ",
        "<3",
        "</>",
        "é",
        "日本",
        "\u{feff}",
        "\u{fffd}",
        "]]>",
        "--",
        "=",
        "\"",
        "'",
        "/",
        "x\u{c}y",
        "\u{1}",
        "\u{7f}",
        "\u{fdd0}",
        "&#12;",
    ];
    /// Text it mostly leaves to html5ever.
    const ODD_TEXTS: &[&str] = &[
        "\u{feff}",
        "\u{feff}\n",
        "&amp",
        "&copy",
        "&notit;",
        "&#065",
        "&#x;",
        "&#;",
        "&#0;",
        "&#x110000;",
        "&#xFFFE;",
        "&#9999999999;",
        "&#13;",
        "&#x80;",
        "&#x9F;",
        "</",
        "</ x>",
        "<!",
        "<!-- c -->",
        "<!---->",
        "<!-->",
        "<![CDATA[x]]>",
        "<?x?>",
        "\0",
        "<!-",
        "<!--",
        "-->",
        "<script><!--",
        "<a",
        "<a b=\"",
    ];
    const DOCTYPES: &[&str] = &[
        "<!DOCTYPE html>",
        "<!doctype html>",
        "<!DocType HTML >",
        "<!DOCTYPE>",
        "<!DOCTYPEhtml>",
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\">",
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">",
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">",
        "<!DOCTYPE html PUBLIC '-//W3C//DTD XHTML 1.0 Transitional//EN' 'x'>",
        "<!DOCTYPE html SYSTEM \"about:legacy-compat\">",
        "<!DOCTYPE html PUBLIC \"\">",
        "<!DOCTYPE html PUBLIC>",
        "<!DOCTYPE html SYSTEM>",
        "<!DOCTYPE html PUBLIC \"a\"\"b\">",
        "<!DOCTYPE html bogus>",
        "<!DOCTYPE foo>",
        "<!DOCTYPE html PUBLIC \"a>b\">",
        "<!DOCTYPE html PUBLIC \"-//IETF//DTD HTML//\" >",
        "<!DOCTYPE html SYSTEM \"http://www.ibm.com/data/dtd/v11/ibmxhtml1-transitional.dtd\">",
    ];

    fn pick(list: &'static [&'static str]) -> impl Strategy<Value = String> {
        proptest::sample::select(list).prop_map(str::to_string)
    }

    fn attr() -> impl Strategy<Value = String> {
        let ws = pick(&[" ", "  ", "\n", "\t", "", "\r\n", "/", " / "]);
        (ws, pick(ATTR_NAMES), 0..6usize, pick(VALUES)).prop_map(|(ws, n, form, v)| match form {
            0 => format!("{ws}{n}"),
            1 => format!("{ws}{n}={v}"),
            2 => format!("{ws}{n}=\"{v}\""),
            3 => format!("{ws}{n}='{v}'"),
            4 => format!("{ws}{n} = \"{v}\""),
            _ => format!("{ws}{n}="),
        })
    }

    fn tag() -> impl Strategy<Value = String> {
        (pick(NAMES), proptest::collection::vec(attr(), 0..4), 0..8usize, pick(&["", " ", "\n"])).prop_map(
            |(n, attrs, form, ws)| {
                let a = attrs.concat();
                match form {
                    0..=2 => format!("<{n}{a}{ws}>"),
                    3 => format!("<{n}{a}{ws}/>"),
                    4 | 5 => format!("</{n}{ws}>"),
                    6 => format!("</{n}{a}>"),
                    _ => format!("<{n}{a}"),
                }
            },
        )
    }

    fn document() -> impl Strategy<Value = String> {
        let piece = |odd: u32| {
            prop_oneof![
                4 => tag(),
                3 => pick(TEXTS),
                odd => pick(ODD_TEXTS),
                odd / 2 => pick(DOCTYPES),
                odd / 2 => "[a-zé<>&#;/ ]{0,8}",
            ]
        };
        let pieces = prop_oneof![
            1 => proptest::collection::vec(piece(2), 0..40),
            3 => proptest::collection::vec(piece(0), 0..40),
        ];
        (pieces, any::<proptest::sample::Index>(), 0..6usize).prop_map(|(pieces, cut, whether)| {
            let mut s = if whether == 1 { String::from("<!DOCTYPE html>") } else { String::new() };
            s.push_str(&pieces.concat());
            if whether == 0 && !s.is_empty() {
                let mut at = cut.index(s.len() + 1);
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                s.truncate(at);
            }
            s
        })
    }

    /// Most generated documents take the fast path (else the property says little).
    #[test]
    fn generated_documents_mostly_take_the_fast_path() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = document();
        let fast = (0..500).filter(|_| check(&strategy.new_tree(&mut runner).unwrap().current()) == Ok(true)).count();
        eprintln!("{fast} of 500 generated documents took the fast path");
        assert!(fast >= 100, "{fast} of 500");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        /// The fast path builds html5ever's tree or leaves the page to html5ever.
        #[test]
        fn fast_path_is_html5ever(src in document()) {
            if let Err(why) = check(&src) {
                prop_assert!(false, "{why} on {src:?}");
            }
        }
    }
}
