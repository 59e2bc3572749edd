//! Date parsing: the many ways pages write a timestamp, turned into RFC 3339.
//!
//! The offset written on the page is kept (never converted), so the calendar
//! day stays the one the outlet printed. A date without a time becomes
//! midnight UTC; a time without an offset is taken as UTC.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use regex::Regex;
use std::sync::LazyLock;

use crate::text::lexicon;

/// Parses `s` as a date and returns it in RFC 3339, or `None`.
pub fn to_rfc3339(s: &str) -> Option<String> {
    parse(s).map(|d| d.to_rfc3339())
}

/// A date as printed on the page ("April 8, 2024", "08.04.2024",
/// "2024-04-08"), in RFC 3339; cheaper than [`to_rfc3339`] on prose.
pub fn visible(s: &str) -> Option<String> {
    human(s).or_else(|| date_only(s)).and_then(plausible).map(|d| d.to_rfc3339())
}

/// Parses the common machine-readable forms, then a few human ones.
pub fn parse(raw: &str) -> Option<DateTime<FixedOffset>> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 80 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return plausible(d);
    }
    // "2025-09-04T10:00:00.123+0000", "2025-09-04 10:00:00 +01:00" and friends.
    let t = s.replacen(' ', "T", 1);
    for f in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f %z"] {
        if let Ok(d) = DateTime::parse_from_str(&t, f) {
            return plausible(d);
        }
    }
    let t2 = t.trim_end_matches('Z').trim_end_matches(" UTC").trim_end_matches(" GMT");
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y/%m/%dT%H:%M:%S"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t2, f) {
            return plausible(Utc.from_utc_datetime(&n).fixed_offset());
        }
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return plausible(d);
    }
    if let Some(d) = date_only(s) {
        return plausible(d);
    }
    if let Ok(secs) = s.parse::<i64>() {
        // Unix seconds or milliseconds.
        let secs = if secs > 100_000_000_000 { secs / 1000 } else { secs };
        return DateTime::from_timestamp(secs, 0).map(|d| d.fixed_offset()).and_then(plausible);
    }
    human(s)
}

fn date_only(s: &str) -> Option<DateTime<FixedOffset>> {
    static YMD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b").unwrap());
    let c = YMD.captures(s)?;
    midnight(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
}

fn midnight(y: i32, m: u32, d: u32) -> Option<DateTime<FixedOffset>> {
    let n = NaiveDate::from_ymd_opt(y, m, d)?.and_hms_opt(0, 0, 0)?;
    Some(Utc.from_utc_datetime(&n).fixed_offset())
}

/// "September 4, 2025", "4 September 2025", "4. September 2025", "04.09.2025".
fn human(s: &str) -> Option<DateTime<FixedOffset>> {
    static MDY: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\b([a-zäéû]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b").unwrap());
    static DMY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(\d{1,2})(?:st|nd|rd|th|er)?\.?\s+([a-zäéû]{3,10})\.?,?\s+(\d{4})\b").unwrap()
    });
    static NUM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b").unwrap());
    if let Some(c) = MDY.captures(s)
        && let Some(m) = lexicon::month(&c[1])
    {
        return midnight(c[3].parse().ok()?, m, c[2].parse().ok()?).and_then(plausible);
    }
    if let Some(c) = DMY.captures(s)
        && let Some(m) = lexicon::month(&c[2])
    {
        return midnight(c[3].parse().ok()?, m, c[1].parse().ok()?).and_then(plausible);
    }
    if let Some(c) = NUM.captures(s) {
        return midnight(c[3].parse().ok()?, c[2].parse().ok()?, c[1].parse().ok()?).and_then(plausible);
    }
    None
}

/// Rejects dates no news page carries (placeholders such as 1970 or 0001).
fn plausible(d: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
    use chrono::Datelike;
    (1995..=2100).contains(&d.year()).then_some(d)
}

/// A date found in a URL path such as `/2025/09/04/slug`.
pub fn from_url(url: &str) -> Option<String> {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|-|\b)").unwrap());
    let c = RE.captures(url)?;
    midnight(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?).and_then(plausible).map(|d| d.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_forms() {
        assert_eq!(to_rfc3339("2025-09-04T10:30:00+02:00").unwrap(), "2025-09-04T10:30:00+02:00");
        assert_eq!(to_rfc3339("2025-09-04T10:30:00.123+0200").unwrap(), "2025-09-04T10:30:00.123+02:00");
        assert_eq!(to_rfc3339("2025-09-04T10:30:00Z").unwrap(), "2025-09-04T10:30:00+00:00");
        assert_eq!(to_rfc3339("2025-09-04 10:30:00").unwrap(), "2025-09-04T10:30:00+00:00");
        assert_eq!(to_rfc3339("2025-09-04").unwrap(), "2025-09-04T00:00:00+00:00");
        assert_eq!(to_rfc3339("Thu, 04 Sep 2025 10:30:00 GMT").unwrap(), "2025-09-04T10:30:00+00:00");
    }

    #[test]
    fn human_forms() {
        assert_eq!(to_rfc3339("September 4, 2025").unwrap(), "2025-09-04T00:00:00+00:00");
        assert_eq!(to_rfc3339("4. September 2025").unwrap(), "2025-09-04T00:00:00+00:00");
        assert_eq!(to_rfc3339("4 septembre 2025").unwrap(), "2025-09-04T00:00:00+00:00");
        assert_eq!(to_rfc3339("04.09.2025").unwrap(), "2025-09-04T00:00:00+00:00");
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(to_rfc3339("yesterday"), None);
        assert_eq!(to_rfc3339("1970-01-01T00:00:00Z"), None);
        assert_eq!(to_rfc3339(""), None);
    }

    #[test]
    fn url_dates() {
        assert_eq!(from_url("https://x.test/2025/09/04/slug").unwrap(), "2025-09-04T00:00:00+00:00");
        assert_eq!(from_url("https://x.test/news/slug"), None);
    }
}
