//! The HTTP half of a WARC `response` record: the status line and headers that
//! Redline keeps with each stored page ([`crate::fetch::response_head`]), turned into a record block, and a block
//! read back into its status, headers and decoded body. Pure.

use std::io::Read;

/// Largest decoded body accepted from an archived response (as `[fetch] max_body_bytes`' cap).
pub const MAX_BODY_BYTES: u64 = 64 << 20;

/// A response's status line and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The status line, `HTTP/1.1 200 OK`.
    pub line: String,
    /// The status code.
    pub status: u16,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The head as Redline stores it: the status line and one `Name: value` line per
    /// header, CRLF-separated.
    pub fn text(&self) -> String {
        let mut text = self.line.clone();
        for (name, value) in &self.headers {
            text.push_str(&format!("\r\n{name}: {value}"));
        }
        text
    }

    /// A header's value (names compare without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Headers that describe how the body travelled rather than the body: the stored body is
/// the decoded one, so they are dropped and `Content-Length` is written anew.
const TRANSFER_HEADERS: [&str; 3] = ["content-encoding", "transfer-encoding", "content-length"];

/// The block of a `response` record for a stored page: its stored head (a plain
/// `200 OK` with an HTML content type when none was kept), the transfer headers replaced
/// by the body's real length, a blank line, the body. Returns the block and where the
/// payload starts in it.
pub fn response_block(head: Option<&str>, body: &[u8]) -> (Vec<u8>, usize) {
    let head = head.filter(|h| h.starts_with("HTTP/")).unwrap_or("HTTP/1.1 200 OK\r\nContent-Type: text/html");
    let mut out = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        let name = line.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
        if i > 0 && (line.trim().is_empty() || TRANSFER_HEADERS.contains(&name.as_str())) {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let offset = out.len();
    let mut block = out.into_bytes();
    block.extend_from_slice(body);
    (block, offset)
}

/// Splits a `response` block into its head and its body as archived (still chunked or
/// compressed if the archive kept it so).
pub fn parse_response(block: &[u8]) -> Result<(Head, &[u8]), String> {
    let (head_end, body_start) = match find(block, b"\r\n\r\n") {
        Some(i) => (i, i + 4),
        None => match find(block, b"\n\n") {
            Some(i) => (i, i + 2),
            None => return Err("the HTTP response has no end of headers".into()),
        },
    };
    let head = String::from_utf8_lossy(&block[..head_end]);
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.split_whitespace();
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
        return Err(format!("{:?} is not an HTTP status line", shown(status_line)));
    };
    if !version.starts_with("HTTP/") {
        return Err(format!("{:?} is not an HTTP status line", shown(status_line)));
    }
    let status = code.parse().map_err(|_| format!("{:?} is not an HTTP status", shown(code)))?;
    let mut headers = Vec::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    Ok((Head { line: status_line.trim().to_string(), status, headers }, &block[body_start..]))
}

/// The body as the server meant it: de-chunked and decompressed as its headers say
/// (crawlers such as wget and warcio keep bodies as they came over the wire).
pub fn decoded_body(head: &Head, body: &[u8]) -> Result<Vec<u8>, String> {
    let chunked = head.header("Transfer-Encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    let body = if chunked { dechunk(body)? } else { body.to_vec() };
    let encoding = head.header("Content-Encoding").unwrap_or("").trim().to_ascii_lowercase();
    let limit = |r: &mut dyn Read| -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        r.take(MAX_BODY_BYTES + 1).read_to_end(&mut out).map_err(|e| format!("cannot decompress the body: {e}"))?;
        match out.len() as u64 > MAX_BODY_BYTES {
            true => Err(format!("the decompressed body is larger than {MAX_BODY_BYTES} bytes")),
            false => Ok(out),
        }
    };
    match encoding.as_str() {
        "" | "identity" => Ok(body),
        "gzip" | "x-gzip" => limit(&mut flate2::read::MultiGzDecoder::new(&body[..])),
        "deflate" => match body.first() {
            // zlib-wrapped, as the standard says; raw deflate, as some servers send.
            Some(b) if b & 0x0f == 8 => limit(&mut flate2::read::ZlibDecoder::new(&body[..])),
            _ => limit(&mut flate2::read::DeflateDecoder::new(&body[..])),
        },
        other => Err(format!("Content-Encoding {other:?} is not supported (gzip and deflate are)")),
    }
}

/// The chunks of a chunked body, joined.
fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = find(body, b"\r\n") else {
            return Err("a chunked body ends inside a chunk size line".into());
        };
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size =
            usize::from_str_radix(size_text, 16).map_err(|_| format!("{:?} is not a chunk size", shown(size_text)))?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if size > body.len() || out.len() + size > MAX_BODY_BYTES as usize {
            return Err("a chunked body is truncated".into());
        }
        out.extend_from_slice(&body[..size]);
        body = body[size..].strip_prefix(b"\r\n").unwrap_or(&body[size..]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn shown(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_stored_head_becomes_a_block_with_the_real_length() {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\nETag: \"x\"";
        let (block, offset) = response_block(Some(head), b"<p>body</p>");
        let text = String::from_utf8(block.clone()).unwrap();
        assert_eq!(
            text,
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nETag: \"x\"\r\nContent-Length: 11\r\n\r\n<p>body</p>"
        );
        assert_eq!(&block[offset..], b"<p>body</p>");
        let (parsed, body) = parse_response(&block).unwrap();
        assert_eq!(parsed.status, 200);
        assert_eq!(parsed.header("etag"), Some("\"x\""));
        assert_eq!(body, b"<p>body</p>");
        assert_eq!(
            parsed.text(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nETag: \"x\"\r\nContent-Length: 11"
        );
        let (block, _) = response_block(None, b"x");
        assert!(block.starts_with(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1\r\n\r\n"));
    }

    #[test]
    fn wire_bodies_are_dechunked_and_decompressed() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"<p>hello</p>").unwrap();
        let gz = gz.finish().unwrap();
        let mut chunked = format!("{:x}\r\n", 5).into_bytes();
        chunked.extend_from_slice(&gz[..5]);
        chunked.extend_from_slice(format!("\r\n{:x};ext=1\r\n", gz.len() - 5).as_bytes());
        chunked.extend_from_slice(&gz[5..]);
        chunked.extend_from_slice(b"\r\n0\r\n\r\n");
        let head = Head {
            line: "HTTP/1.1 200 OK".into(),
            status: 200,
            headers: vec![("Transfer-Encoding".into(), "chunked".into()), ("Content-Encoding".into(), "gzip".into())],
        };
        assert_eq!(decoded_body(&head, &chunked).unwrap(), b"<p>hello</p>");
        let plain = Head { line: String::new(), status: 200, headers: vec![] };
        assert_eq!(decoded_body(&plain, b"as is").unwrap(), b"as is");
    }

    #[test]
    fn broken_responses_are_clear_errors() {
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nno end").unwrap_err().contains("no end of headers"));
        assert!(parse_response(b"hello there\r\n\r\n").unwrap_err().contains("not an HTTP status line"));
        assert!(parse_response(b"HTTP/1.1 abc\r\n\r\n").unwrap_err().contains("not an HTTP status"));
        let chunked =
            Head { line: String::new(), status: 200, headers: vec![("Transfer-Encoding".into(), "chunked".into())] };
        assert!(decoded_body(&chunked, b"zz\r\nab").unwrap_err().contains("not a chunk size"));
        assert!(decoded_body(&chunked, b"10\r\nab").unwrap_err().contains("truncated"));
        assert!(decoded_body(&chunked, b"2\r\nab").unwrap_err().contains("ends inside"));
        let gz = Head { line: String::new(), status: 200, headers: vec![("Content-Encoding".into(), "gzip".into())] };
        assert!(decoded_body(&gz, b"not gzip").unwrap_err().contains("cannot decompress"));
        let br = Head { line: String::new(), status: 200, headers: vec![("Content-Encoding".into(), "br".into())] };
        assert!(decoded_body(&br, b"x").unwrap_err().contains("not supported"));
    }
}
