//! WARC/1.1 records (ISO 28500:2017): building one, writing each as its own gzip
//! member (so that tools can seek to any record), and reading records back from
//! plain, per-record gzip or whole-file gzip archives. Pure over byte streams:
//! no file or database here.

use std::io::{BufRead, BufReader, Read, Write};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

/// The version line of every record written.
pub const WARC_VERSION: &str = "WARC/1.1";

/// Largest record block read (a page archive's records are pages, not videos).
pub const MAX_BLOCK_BYTES: u64 = 64 << 20;

/// Largest header section of one record read.
const MAX_HEADER_BYTES: u64 = 64 << 10;

/// One WARC record: named fields in their order, and the block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The header fields, `Content-Length` excluded (written from the block).
    pub headers: Vec<(String, String)>,
    /// The content block.
    pub block: Vec<u8>,
}

/// Why an archive cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum WarcError {
    /// Reading failed (or the gzip stream is corrupt).
    #[error("record {record}: cannot read the archive: {cause}")]
    Io {
        /// 1-based number of the record being read.
        record: usize,
        /// The cause (in the message, not a separate source: the CLI prints sources too).
        cause: std::io::Error,
    },
    /// The bytes are not a WARC record.
    #[error("record {record}: not a WARC record: {message}")]
    Format {
        /// 1-based number of the record being read.
        record: usize,
        /// What is wrong.
        message: String,
    },
    /// The archive ends inside a record.
    #[error("record {record}: the archive is truncated (it ends inside the record)")]
    Truncated {
        /// 1-based number of the record being read.
        record: usize,
    },
}

impl Record {
    /// A record of `kind` (`response`, `metadata`…) with a fresh id, its date and
    /// target, and `Content-Type`; digests are added by [`Record::with_block_digest`].
    pub fn new(kind: &str, date: &str, target: Option<&str>, content_type: &str, block: Vec<u8>) -> Record {
        let mut headers = vec![
            ("WARC-Type".to_string(), kind.to_string()),
            ("WARC-Record-ID".to_string(), record_id()),
            ("WARC-Date".to_string(), date.to_string()),
        ];
        if let Some(uri) = target {
            headers.push(("WARC-Target-URI".into(), uri.to_string()));
        }
        headers.push(("Content-Type".into(), content_type.to_string()));
        Record { headers, block }
    }

    /// Adds a field.
    pub fn with(mut self, name: &str, value: &str) -> Record {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds `WARC-Block-Digest` (SHA-1 of the whole block).
    pub fn with_block_digest(self) -> Record {
        let digest = sha1_digest(&self.block);
        self.with("WARC-Block-Digest", &digest)
    }

    /// The value of a field (names compare without case); the first if repeated.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// `WARC-Type`.
    pub fn kind(&self) -> &str {
        self.header("WARC-Type").unwrap_or("")
    }

    /// `WARC-Record-ID`.
    pub fn id(&self) -> &str {
        self.header("WARC-Record-ID").unwrap_or("")
    }

    /// `WARC-Target-URI`, without the angle brackets some writers of WARC/1.0 put around it.
    pub fn target(&self) -> Option<&str> {
        self.header("WARC-Target-URI").map(|u| u.trim().trim_start_matches('<').trim_end_matches('>'))
    }

    /// The record as written: version line, fields, `Content-Length`, block and the two CRLFs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.block.len() + 512);
        out.extend_from_slice(WARC_VERSION.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &self.headers {
            // A field value never spans lines here: a newline in a value would start a field.
            let value = value.replace(['\r', '\n'], " ");
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", self.block.len()).as_bytes());
        out.extend_from_slice(&self.block);
        out.extend_from_slice(b"\r\n\r\n");
        out
    }
}

/// Writes records, each its own gzip member.
pub struct WarcWriter<W: Write> {
    out: W,
}

impl<W: Write> WarcWriter<W> {
    /// A writer onto `out`.
    pub fn new(out: W) -> WarcWriter<W> {
        WarcWriter { out }
    }

    /// Appends one record as a gzip member.
    pub fn write(&mut self, record: &Record) -> std::io::Result<()> {
        let mut gz = GzEncoder::new(&mut self.out, Compression::default());
        gz.write_all(&record.to_bytes())?;
        gz.finish()?;
        Ok(())
    }

    /// Flushes and returns the output.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// `sha1:` and the base32 SHA-1 of `bytes`, as warcio and Heritrix write digests.
pub fn sha1_digest(bytes: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    format!("sha1:{}", data_encoding::BASE32.encode(&Sha1::digest(bytes)))
}

/// A fresh `<urn:uuid:…>` record id (random, version 4).
pub fn record_id() -> String {
    let bytes: [u8; 16] = rand::random();
    format!("<urn:uuid:{}>", uuid::Builder::from_random_bytes(bytes).into_uuid())
}

/// A unix time as a WARC date (`2026-12-01T14:03:09Z`); None outside chrono's range.
pub fn warc_date(unix: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(unix, 0).map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// A WARC date (W3C-DTF: a full timestamp, fractional seconds allowed; or only a day,
/// as some tools write) as unix seconds.
pub fn parse_warc_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(d.timestamp());
    }
    let day = text.get(..10).filter(|_| text.len() == 10 || text.len() == 11 && text.ends_with('Z'))?;
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

/// Reads records one after the other from an archive: plain, or gzip (one member per
/// record or one for the whole file: the gzip magic number decides).
pub struct WarcReader {
    input: Box<dyn BufRead>,
    /// 1-based number of the next record.
    next: usize,
    /// After an error or the end: nothing more is read.
    done: bool,
}

impl WarcReader {
    /// A reader of `input`, gzip or not.
    pub fn new(input: impl Read + 'static) -> Result<WarcReader, WarcError> {
        let mut buffered = BufReader::new(input);
        let head = buffered.fill_buf().map_err(|cause| WarcError::Io { record: 1, cause })?;
        let gzip = head.starts_with(&[0x1f, 0x8b]);
        let input: Box<dyn BufRead> = match gzip {
            true => Box::new(BufReader::new(MultiGzDecoder::new(buffered))),
            false => Box::new(buffered),
        };
        Ok(WarcReader { input, next: 1, done: false })
    }

    fn read_record(&mut self) -> Result<Option<Record>, WarcError> {
        let record = self.next;
        let io = |cause: std::io::Error| match cause.kind() {
            std::io::ErrorKind::UnexpectedEof => WarcError::Truncated { record },
            _ => WarcError::Io { record, cause },
        };
        let format = |message: String| WarcError::Format { record, message };
        // Blank lines between records are tolerated (some writers add more than two CRLFs).
        let version = loop {
            let line = read_line(&mut self.input, MAX_HEADER_BYTES).map_err(io)?;
            match line {
                None => return Ok(None),
                Some(l) if l.trim().is_empty() => continue,
                Some(l) => break l,
            }
        };
        let version = version.trim_end();
        if !version.starts_with("WARC/1.") {
            let shown: String = version.chars().take(40).collect();
            let binary = shown.chars().any(|c| c == char::REPLACEMENT_CHARACTER || (c.is_control() && c != '\t'));
            let found = if binary { "binary data".to_string() } else { format!("{shown:?}") };
            return Err(format(format!("expected a version line WARC/1.0 or WARC/1.1, found {found}")));
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut header_bytes = 0u64;
        loop {
            let Some(line) = read_line(&mut self.input, MAX_HEADER_BYTES).map_err(io)? else {
                return Err(WarcError::Truncated { record });
            };
            header_bytes += line.len() as u64;
            if header_bytes > MAX_HEADER_BYTES {
                return Err(format(format!("its header is larger than {MAX_HEADER_BYTES} bytes")));
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                break;
            }
            if line.starts_with([' ', '\t']) {
                // A continuation of the previous field's value.
                match headers.last_mut() {
                    Some((_, value)) => value.push_str(&format!(" {}", line.trim())),
                    None => return Err(format("the header starts with a continuation line".into())),
                }
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                let shown: String = line.chars().take(40).collect();
                return Err(format(format!("header line {shown:?} has no colon")));
            };
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
        let length = headers
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
            .map(|i| headers.remove(i).1)
            .ok_or_else(|| format("it has no Content-Length".into()))?;
        let length: u64 = length.parse().map_err(|_| format(format!("Content-Length {length:?} is not a number")))?;
        if length > MAX_BLOCK_BYTES {
            return Err(format(format!("its block of {length} bytes is larger than {MAX_BLOCK_BYTES}")));
        }
        // The length is the file's word: memory grows with what is really there.
        let mut block = Vec::with_capacity(length.min(1 << 20) as usize);
        (&mut self.input).take(length).read_to_end(&mut block).map_err(io)?;
        if (block.len() as u64) < length {
            return Err(WarcError::Truncated { record });
        }
        self.next += 1;
        Ok(Some(Record { headers, block }))
    }
}

impl Iterator for WarcReader {
    type Item = Result<Record, WarcError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let read = self.read_record().transpose();
        if !matches!(read, Some(Ok(_))) {
            self.done = true;
        }
        read
    }
}

/// One line (with its line end) of at most `limit` bytes, lossily as UTF-8; None at
/// the end of the input.
fn read_line(input: &mut dyn BufRead, limit: u64) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    input.take(limit).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(block: &[u8]) -> Record {
        Record::new("resource", "2026-01-02T03:04:05Z", Some("https://a.test/x"), "text/html", block.to_vec())
            .with_block_digest()
    }

    fn read_all(bytes: Vec<u8>) -> Vec<Result<Record, WarcError>> {
        WarcReader::new(std::io::Cursor::new(bytes)).unwrap().collect()
    }

    #[test]
    fn digests_are_base32_sha1_as_warcio_writes_them() {
        // SHA-1("abc") = a9993e36…; its base32 is the well-known value below.
        assert_eq!(sha1_digest(b"abc"), "sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5");
        assert_eq!(sha1_digest(b""), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
    }

    #[test]
    fn a_record_has_the_layout_of_the_standard() {
        let r = record(b"<p>hi</p>");
        let text = String::from_utf8(r.to_bytes()).unwrap();
        assert!(text.starts_with("WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:"), "{text}");
        assert!(text.contains("\r\nContent-Length: 9\r\n\r\n<p>hi</p>\r\n\r\n"), "{text}");
        assert!(text.contains("WARC-Block-Digest: sha1:"));
        let id = r.id();
        assert!(id.len() == "<urn:uuid:>".len() + 36 && id.as_bytes()[24] == b'4', "{id}");
        assert_ne!(record(b"x").id(), record(b"x").id());
    }

    #[test]
    fn records_read_back_from_gzip_members_whole_gzip_and_plain() {
        let (a, b) = (record(b"first"), record(b"second\r\n\r\nwith blank lines"));
        let mut members = WarcWriter::new(Vec::new());
        members.write(&a).unwrap();
        members.write(&b).unwrap();
        let members = members.finish().unwrap();
        let plain = [a.to_bytes(), b.to_bytes()].concat();
        let mut whole = GzEncoder::new(Vec::new(), Compression::fast());
        whole.write_all(&plain).unwrap();
        let whole = whole.finish().unwrap();
        for bytes in [members, plain, whole] {
            let read: Vec<Record> = read_all(bytes).into_iter().map(Result::unwrap).collect();
            assert_eq!(read, vec![a.clone(), b.clone()]);
            assert_eq!(read[1].target(), Some("https://a.test/x"));
        }
    }

    #[test]
    fn warc_1_0_fields_with_brackets_and_continuations_are_read() {
        let text = "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: <http://a.test/>\r\nX-Note: one\r\n two\r\nContent-Length: 2\r\n\r\nok\r\n\r\n";
        let r = read_all(text.into()).pop().unwrap().unwrap();
        assert_eq!(r.target(), Some("http://a.test/"));
        assert_eq!(r.header("x-note"), Some("one two"));
        assert_eq!(r.block, b"ok");
    }

    #[test]
    fn bad_input_is_a_clear_error_and_reading_stops() {
        let good = record(b"abc").to_bytes();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"<html>not an archive</html>".to_vec(), "record 1: not a WARC record: expected a version line"),
            (b"\x00\x01\xffjunk\r\n".to_vec(), "WARC/1.1, found binary data"),
            (good[..good.len() - 10].to_vec(), "record 1: the archive is truncated"),
            ([good.clone(), b"WARC/1.1\r\nWARC-Type: x\r\n".to_vec()].concat(), "record 2: the archive is truncated"),
            (b"WARC/1.1\r\nWARC-Type: x\r\n\r\n".to_vec(), "has no Content-Length"),
            (b"WARC/1.1\r\nContent-Length: lots\r\n\r\n".to_vec(), "\"lots\" is not a number"),
            (b"WARC/1.1\r\nContent-Length: 99999999999\r\n\r\n".to_vec(), "larger than"),
            (b"WARC/1.1\r\nno colon here\r\n\r\n".to_vec(), "has no colon"),
            (format!("WARC/1.1\r\nX: {}\r\n", "a".repeat(70_000)).into_bytes(), "larger than"),
        ];
        for (bytes, expected) in cases {
            let read = read_all(bytes);
            let err = read.iter().find_map(|r| r.as_ref().err()).expect("an error");
            assert!(err.to_string().contains(expected), "{err} lacks {expected:?}");
            assert!(read.last().unwrap().is_err(), "nothing is read after an error");
        }
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&good).unwrap();
        let gz = gz.finish().unwrap();
        let err = read_all(gz[..gz.len() / 2].to_vec()).pop().unwrap().unwrap_err();
        assert!(matches!(err, WarcError::Truncated { record: 1 } | WarcError::Io { .. }), "{err}");
        let mut garbage = gz.clone();
        garbage[12] ^= 0xff;
        garbage[20] ^= 0xff;
        assert!(read_all(garbage).iter().any(Result::is_err));
        assert!(read_all(Vec::new()).is_empty());
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(warc_date(0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(parse_warc_date("2026-12-01T14:03:09Z"), Some(1_796_133_789));
        assert_eq!(parse_warc_date("2026-12-01T14:03:09.123456Z"), Some(1_796_133_789));
        assert_eq!(parse_warc_date("2026-12-01"), Some(1_796_083_200));
        assert_eq!(parse_warc_date("yesterday"), None);
    }
}
