//! One linear pass over the raw HTML that keeps what a wall shows: the `<title>`, the
//! visible text, the labels of buttons and links, what `<noscript>` says, and how much of
//! the page is script. No tree is built, so nesting costs nothing.

use crate::extract::text;

/// Visible text kept for phrase matching; walls say what they are early.
const MAX_TEXT: usize = 256 * 1024;

/// Button and link texts longer than this are prose, not labels.
const MAX_LABEL_WORDS: usize = 6;

/// What the page shows, folded (lower case, straight apostrophes, single spaces).
#[derive(Debug, Default)]
pub struct Scan {
    /// The `<title>`.
    pub title: String,
    /// Text outside scripts, styles, `<title>` and `<noscript>`.
    pub text: String,
    /// Whole texts of buttons, links and submit inputs (short ones only).
    pub labels: Vec<String>,
    /// Text inside `<noscript>`.
    pub noscript: String,
    /// `<script>` elements.
    pub scripts: usize,
    /// Bytes inside `<script>` elements.
    pub script_bytes: usize,
    /// A password field.
    pub password: bool,
}

impl Scan {
    /// Words of visible text.
    pub fn words(&self) -> usize {
        text::word_count(&self.text)
    }
}

/// Lower case, straight apostrophes, one space between words.
pub fn fold(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| match c {
            '’' | '‘' | '`' | 'ʼ' => '\'',
            c => c,
        })
        .collect();
    text::collapse(&s.to_lowercase())
}

/// The value of attribute `name` inside one tag's source.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find(name).map(|p| p + from) {
        from = p + name.len();
        let before_ok = p == 0 || lower.as_bytes()[p - 1].is_ascii_whitespace();
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let start = tag.len() - rest.len() + 1;
        let value = tag[start..].trim_start();
        let offset = tag.len() - value.len();
        return Some(match value.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let inner = &tag[offset + 1..];
                &inner[..inner.find(q).unwrap_or(inner.len())]
            }
            _ => &tag[offset..offset + value.find(|c: char| c.is_whitespace() || c == '>').unwrap_or(value.len())],
        });
    }
    None
}

/// Decodes the character references walls use (numeric ones and the common names).
fn decode(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let window = &rest.as_bytes()[1..rest.len().min(12)];
        let end = window.iter().position(|b| *b == b';').map(|e| e + 1);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = if let Some(num) = name.strip_prefix('#') {
                let n = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse().ok(),
                };
                n.and_then(char::from_u32)
            } else {
                Some(match name {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" | "rsquo" | "lsquo" => '\'',
                    "nbsp" => ' ',
                    "hellip" => '…',
                    "eacute" => 'é',
                    "egrave" => 'è',
                    "agrave" => 'à',
                    "ecirc" => 'ê',
                    "ccedil" => 'ç',
                    "atilde" => 'ã',
                    "otilde" => 'õ',
                    "aacute" => 'á',
                    "iacute" => 'í',
                    "oacute" => 'ó',
                    "uacute" => 'ú',
                    "ntilde" => 'ñ',
                    "auml" => 'ä',
                    "ouml" => 'ö',
                    "uuml" => 'ü',
                    "szlig" => 'ß',
                    _ => return None,
                })
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

/// Where text goes while scanning.
#[derive(Clone, Copy, PartialEq)]
enum Into {
    Text,
    Title,
    Noscript,
}

/// Reads `html` once.
pub fn scan(html: &str) -> Scan {
    let bytes = html.as_bytes();
    let mut out = Scan::default();
    let (mut text, mut title, mut noscript) = (String::new(), String::new(), String::new());
    let mut into = Into::Text;
    // Where the text of the open button or link starts.
    let mut label: Option<(&'static str, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        let Some(lt) = html[i..].find('<').map(|p| p + i) else {
            push_text(&html[i..], into, &mut text, &mut title, &mut noscript);
            break;
        };
        push_text(&html[i..lt], into, &mut text, &mut title, &mut noscript);
        if bytes[lt..].starts_with(b"<!--") {
            i = text::find_ci(html, lt + 4, b"-->").map_or(bytes.len(), |e| e + 3);
            continue;
        }
        let Some(gt) = html[lt..].find('>').map(|p| p + lt) else { break };
        let tag = &html[lt + 1..gt];
        i = gt + 1;
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        // Every tag separates words.
        if into == Into::Text && !text.ends_with(' ') {
            text.push(' ');
        }
        match (name.as_str(), closing) {
            ("script" | "style" | "template", false) => {
                let close = format!("</{name}");
                let end = text::find_ci(html, i, close.as_bytes()).unwrap_or(bytes.len());
                if name == "script" {
                    out.scripts += 1;
                    out.script_bytes += end - i;
                }
                i = end;
            }
            ("title", false) => into = Into::Title,
            ("noscript", false) => into = Into::Noscript,
            ("title" | "noscript", true) => into = Into::Text,
            ("button", false) => label = Some(("button", text.len())),
            ("a", false) if label.is_none() => label = Some(("a", text.len())),
            ("button" | "a", true) => {
                if let Some((open, start)) = label
                    && open == name
                {
                    push_label(&mut out.labels, text.get(start..).unwrap_or(""));
                    label = None;
                }
            }
            ("input", false) => {
                let kind = attr(tag, "type").unwrap_or("").to_ascii_lowercase();
                match kind.as_str() {
                    "password" => out.password = true,
                    "submit" | "button" => push_label(&mut out.labels, attr(tag, "value").unwrap_or("")),
                    _ => {}
                }
            }
            _ => {}
        }
        if text.len() > MAX_TEXT {
            break;
        }
    }
    out.text = fold(&text);
    out.title = fold(&title);
    out.noscript = fold(&noscript);
    out
}

fn push_text(raw: &str, into: Into, text: &mut String, title: &mut String, noscript: &mut String) {
    if raw.is_empty() {
        return;
    }
    let target = match into {
        Into::Text => text,
        Into::Title => title,
        Into::Noscript => noscript,
    };
    decode(raw, target);
}

fn push_label(labels: &mut Vec<String>, raw: &str) {
    let label = fold(raw);
    if !label.is_empty() && text::word_count(&label) <= MAX_LABEL_WORDS {
        labels.push(label);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_title_text_labels_and_script_weight() {
        let s = scan(
            r#"<html><head><title>Just a moment&hellip;</title><script>var x = "<b>not text</b>";</script></head>
            <body><!-- <p>hidden</p> --><h1>We value your privacy</h1><p>We &amp; our partners</p>
            <button class="x">Accept&nbsp;all</button><a href="/more">Read the whole story about the council vote</a>
            <input type="submit" value="Tout refuser"><input type=password name=p>
            <noscript>Please enable JavaScript</noscript></body></html>"#,
        );
        assert_eq!(s.title, "just a moment…");
        assert!(s.text.contains("we value your privacy we & our partners accept all"), "{}", s.text);
        assert!(!s.text.contains("not text") && !s.text.contains("hidden"), "{}", s.text);
        assert_eq!(s.labels, ["accept all", "tout refuser"]);
        assert_eq!(s.noscript, "please enable javascript");
        assert_eq!(s.scripts, 1);
        assert!(s.script_bytes > 10);
        assert!(s.password);
    }

    #[test]
    fn broken_markup_ends_the_scan() {
        for src in ["", "<", "<script>never closed", "<!-- open", "a &#xFFFFFFFF; b &bogus; c"] {
            let s = scan(src);
            assert!(s.text.len() <= src.len() + 1, "{src:?}");
        }
        assert_eq!(scan("a &#xFFFFFFFF; b").text, "a &#xffffffff; b");
    }
}
