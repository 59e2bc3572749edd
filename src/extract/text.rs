//! Text helpers shared by the extractor: whitespace collapsing and
//! normalisation of the strings read from the page.

/// Collapses every run of whitespace (including no-break and zero-width
/// spaces) into one space and trims both ends.
pub fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_collapsed(&mut out, s);
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out
}

/// Appends `s` to `out`, collapsing whitespace; never starts `out` with a
/// space and never writes two spaces in a row.
pub fn push_collapsed(out: &mut String, s: &str) {
    // Runs of kept characters are copied whole; only non-ASCII characters are decoded.
    let b = s.as_bytes();
    let (mut i, mut run) = (0, 0);
    while i < b.len() {
        let (len, space, invisible) = if b[i] < 0x80 {
            (1, is_ascii_space(b[i]), false)
        } else {
            let c = s[i..].chars().next().expect("i is a character boundary");
            (c.len_utf8(), is_space(c), is_invisible(c))
        };
        if space || invisible {
            out.push_str(&s[run..i]);
            if space && !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            run = i + len;
        }
        i += len;
    }
    out.push_str(&s[run..]);
}

/// Whitespace as the extractor sees it.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}' || c == '\u{2007}'
}

/// [`is_space`] for an ASCII byte.
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// Characters that take no room on screen.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}')
}

/// `s.trim()`, quicker on the runs of ASCII indentation between tags (the same result:
/// ASCII whitespace is whitespace, and `trim` then takes what else there is).
pub fn trim(s: &str) -> &str {
    s.trim_ascii().trim()
}

/// Number of characters that are not whitespace.
pub fn visible_len(s: &str) -> usize {
    if s.is_ascii() {
        return s.bytes().filter(|b| !is_ascii_space(*b)).count();
    }
    s.chars().filter(|c| !is_space(*c) && !is_invisible(*c)).count()
}

/// Number of words (whitespace-separated runs).
pub fn word_count(s: &str) -> usize {
    if s.is_ascii() {
        let (mut n, mut prev_space) = (0, true);
        for b in s.bytes() {
            let space = is_ascii_space(b);
            if prev_space && !space {
                n += 1;
            }
            prev_space = space;
        }
        return n;
    }
    s.split(is_space).filter(|w| !w.is_empty()).count()
}

/// Lower-cases and folds non-alphanumeric runs to one space, for comparing
/// strings loosely.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    let n = out.trim_end().len();
    out.truncate(n);
    out
}

/// The ASCII letters `s` holds, case folded, one bit each: a word with a letter
/// outside them cannot be in `s`, whatever its case.
fn letters(s: &str) -> u32 {
    s.bytes().fold(0, |set, b| {
        let l = b | 0x20;
        if l.is_ascii_lowercase() { set | 1 << (l - b'a') } else { set }
    })
}

/// A name (a class attribute) tested for many words: the letters it holds are read
/// once, and most words lack one of them and are ruled out without a search.
#[derive(Clone, Copy)]
pub struct Name<'a> {
    pub text: &'a str,
    letters: u32,
}

impl<'a> Name<'a> {
    pub fn new(text: &'a str) -> Self {
        Name { text, letters: letters(text) }
    }

    /// [`contains_ci`] on the name.
    pub fn contains_ci(&self, word: &str) -> bool {
        letters(word) & !self.letters == 0 && contains_ci(self.text, word)
    }
}

/// ASCII-case-insensitive substring test, without allocating.
pub fn contains_ci(hay: &str, needle: &str) -> bool {
    needle.is_empty() || find_ci(hay, 0, needle.as_bytes()).is_some()
}

/// Where `needle` first occurs in `hay` at or after byte `from`, ASCII case ignored
/// (`None` for an empty needle), without allocating.
pub fn find_ci(hay: &str, from: usize, needle: &[u8]) -> Option<usize> {
    let h = hay.as_bytes();
    let &first = needle.first()?;
    let last = h.len().checked_sub(needle.len())?;
    // Jump between places where the first byte is, in either case.
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut i = from;
    while i <= last {
        let window = &h[i..=last];
        let off = if lo == up { memchr::memchr(lo, window) } else { memchr::memchr2(lo, up, window) };
        let p = i + off?;
        if h[p..p + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(p);
        }
        i = p + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_ignores_ascii_case_and_skips_lone_brackets() {
        let js = "if (a<b && c</ d) { s = '</scr' + 'ipt>' } </SCRIPT> x --> y";
        assert_eq!(find_ci(js, 0, b"</script"), js.find("</SCRIPT"));
        assert_eq!(find_ci(js, 0, b"-->"), js.find("-->"));
        assert_eq!(find_ci(js, 0, b"ipt>"), js.find("ipt>"));
        assert_eq!(find_ci(js, 0, b"IPT>"), js.find("ipt>"));
        assert_eq!(find_ci(js, 50, b"</script"), None);
        assert_eq!(find_ci(js, 500, b"y"), None);
        assert_eq!(find_ci("", 0, b"</p"), None);
        assert_eq!(find_ci("abc", 0, b""), None);
        assert!(contains_ci("abc", "") && contains_ci("xAbC", "abc") && !contains_ci("ab", "abc"));
    }

    #[test]
    fn a_name_rules_out_words_by_their_letters_in_any_case() {
        let class = Name::new("Article-BYLINE wrap_1");
        assert!(class.contains_ci("byline") && class.contains_ci("article-b"));
        assert!(!class.contains_ci("date"), "no d");
        assert!(!class.contains_ci("lineby"), "all its letters, not the word");
        assert_eq!(letters("[]-_ 09\u{e9}"), 0);
        assert_eq!(letters("AZaz"), letters("az"));
    }

    #[test]
    fn collapse_folds_runs_and_trims() {
        assert_eq!(collapse("  a\n\t b\u{a0}\u{a0}c  "), "a b c");
        assert_eq!(collapse("x\u{200b}y"), "xy");
        assert_eq!(collapse(" \n "), "");
        for t in ["a b", " \t\x0b\x0cx\r\ny ", "", "  ", "\u{a0}é b", "a\u{200b} b"] {
            assert_eq!(word_count(t), t.split(is_space).filter(|w| !w.is_empty()).count(), "{t:?}");
            assert_eq!(visible_len(t), t.chars().filter(|c| !is_space(*c) && !is_invisible(*c)).count(), "{t:?}");
        }
    }

    #[test]
    fn push_collapsed_is_the_char_by_char_definition() {
        let by_chars = |out: &mut String, s: &str| {
            for c in s.chars() {
                if is_space(c) {
                    if !out.is_empty() && !out.ends_with(' ') {
                        out.push(' ');
                    }
                } else if !is_invisible(c) {
                    out.push(c);
                }
            }
        };
        for (start, t) in [
            ("", "  a\n\t b\u{a0}\u{a0}c  "),
            ("x", " y"),
            ("x ", " y "),
            ("", "\u{200b} \u{200b}é\u{ad}ü\u{2009}z\u{3000}"),
            ("", "\x0b\x0cq\u{85}r"),
            ("", ""),
        ] {
            let (mut a, mut b) = (start.to_string(), start.to_string());
            push_collapsed(&mut a, t);
            by_chars(&mut b, t);
            assert_eq!(a, b, "{t:?}");
        }
    }

    #[test]
    fn push_collapsed_joins_pieces() {
        let mut s = String::new();
        push_collapsed(&mut s, " Hello ");
        push_collapsed(&mut s, " world");
        assert_eq!(s, "Hello world");
    }

    #[test]
    fn counts() {
        assert_eq!(visible_len(" a b "), 2);
        assert_eq!(word_count(" one  two\nthree "), 3);
        assert_eq!(fold("Hello, World! — Now"), "hello world now");
    }
}
