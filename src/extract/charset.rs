//! Bytes to text for pages that are not UTF-8: the extractor works on `&str`,
//! and [`decode`] gets there the way browsers do (byte-order mark, then the
//! HTTP `Content-Type` charset, then a `<meta>` declaration near the top,
//! then UTF-8 if the bytes are valid UTF-8, else windows-1252).

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use regex::bytes::Regex;
use std::sync::LazyLock;

/// Decodes `bytes`; `content_type` is the HTTP header, if any.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        return enc.decode_without_bom_handling(&bytes[bom..]).0.into_owned();
    }
    let declared =
        content_type.and_then(|ct| charset_in(ct.as_bytes())).or_else(|| meta_charset(&bytes[..bytes.len().min(4096)]));
    let enc = match declared {
        Some(e) => e,
        None if std::str::from_utf8(bytes).is_ok() => UTF_8,
        None => WINDOWS_1252,
    };
    // A page declared as UTF-16 but read from an ASCII-compatible document is UTF-8.
    let enc = enc.output_encoding();
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

fn charset_in(s: &[u8]) -> Option<&'static Encoding> {
    static RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"(?i)charset\s*=\s*["']?([a-zA-Z0-9_.:-]+)"#).unwrap());
    let c = RE.captures(s)?;
    Encoding::for_label(c.get(1)?.as_bytes())
}

fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    static META: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)<meta\b[^>]*>").unwrap());
    META.find_iter(head).find_map(|m| charset_in(m.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_passes_through() {
        assert_eq!(decode("Grüße".as_bytes(), None), "Grüße");
    }

    #[test]
    fn latin1_meta_declaration() {
        let mut page = b"<html><head><meta charset=\"iso-8859-1\"></head><body>Gr".to_vec();
        page.extend_from_slice(&[0xFC, 0xDF, 0x65]);
        assert!(decode(&page, None).ends_with("Grüße"));
    }

    #[test]
    fn header_wins_over_meta_and_undeclared_bytes_fall_back() {
        let page = [b'<', b'p', b'>', 0xE9, b't', 0xE9];
        assert_eq!(decode(&page, Some("text/html; charset=windows-1252")), "<p>été");
        assert_eq!(decode(&page, None), "<p>été");
    }

    #[test]
    fn bom_wins() {
        let page = [0xEF, 0xBB, 0xBF, b'o', b'k'];
        assert_eq!(decode(&page, Some("text/html; charset=latin1")), "ok");
    }
}
