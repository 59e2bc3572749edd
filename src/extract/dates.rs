//! Date parsing: the many ways pages write a timestamp, turned into RFC 3339.
//!
//! The offset written on the page is kept (never converted), so the calendar
//! day stays the one the outlet printed. A date without a time becomes
//! midnight UTC; a time without an offset is taken as UTC.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use regex::Regex;
use scraper::ElementRef;
use std::collections::HashMap;
use std::sync::LazyLock;

use super::elements::{element_text, in_furniture};
use crate::text::lexicon;

/// Which number comes first in a numeric date written with slashes ("04/09/2025").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DayMonth {
    /// Only dates no order could misread ("31/10/2025", "10/31/2025").
    #[default]
    Unambiguous,
    /// American order ("10/03/2025" is October 3).
    MonthFirst,
    /// Everyone else's ("10/03/2025" is 10 March).
    DayFirst,
}

impl DayMonth {
    /// The order a page's language writes: month first in American English, day first in
    /// every other language and region; a bare `en` (American and British sites alike)
    /// and a page without a language read only what no order misreads.
    pub fn of_lang(lang: Option<&str>) -> Self {
        let Some(l) = lang.map(|l| l.trim().to_ascii_lowercase().replace('_', "-")).filter(|l| !l.is_empty()) else {
            return Self::Unambiguous;
        };
        match l.as_str() {
            "en" => Self::Unambiguous,
            "en-us" => Self::MonthFirst,
            _ => Self::DayFirst,
        }
    }
}

/// Parses `s` as a date and returns it in RFC 3339, or `None`.
pub fn to_rfc3339(s: &str) -> Option<String> {
    parse(s).map(|d| d.to_rfc3339())
}

/// A date as printed on the page ("April 8, 2024", "08.04.2024", "10/31/2024",
/// "2024-04-08"), in RFC 3339; cheaper than [`to_rfc3339`] on prose. `order` reads
/// numeric dates with slashes.
pub fn visible(s: &str, order: DayMonth) -> Option<String> {
    human(s, order)
        .or_else(|| date_only(s))
        .or_else(|| after_label(s).and_then(date_only))
        .and_then(plausible)
        .map(|d| d.to_rfc3339())
}

/// The text after a date label and its colon ("Last Updated: 2025-02-22").
fn after_label(s: &str) -> Option<&str> {
    let (label, rest) = s.split_once(':')?;
    is_label(label).then(|| rest.trim_start())
}

/// Parses the common machine-readable forms, then a few human ones.
pub fn parse(raw: &str) -> Option<DateTime<FixedOffset>> {
    parse_in(raw, DayMonth::Unambiguous)
}

/// [`parse`], reading numeric dates with slashes in `order`.
pub fn parse_in(raw: &str, order: DayMonth) -> Option<DateTime<FixedOffset>> {
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
    human(s, order)
}

fn date_only(s: &str) -> Option<DateTime<FixedOffset>> {
    static YMD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[^\d])").unwrap());
    let c = YMD.captures(s)?;
    midnight(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
}

fn midnight(y: i32, m: u32, d: u32) -> Option<DateTime<FixedOffset>> {
    let n = NaiveDate::from_ymd_opt(y, m, d)?.and_hms_opt(0, 0, 0)?;
    Some(Utc.from_utc_datetime(&n).fixed_offset())
}

/// "September 4, 2025", "4 September 2025", "4. September 2025", "04.09.2025",
/// "10/31/2025" (in `order`).
fn human(s: &str, order: DayMonth) -> Option<DateTime<FixedOffset>> {
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
    static SLASH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?:^|[^\d/])(\d{1,2})/(\d{1,2})/(\d{4})\b").unwrap());
    if let Some(c) = SLASH.captures(s) {
        let (a, b): (u32, u32) = (c[1].parse().ok()?, c[2].parse().ok()?);
        let month_first = match order {
            _ if a > 12 && b <= 12 => false,
            _ if b > 12 && a <= 12 => true,
            DayMonth::MonthFirst => true,
            DayMonth::DayFirst => false,
            DayMonth::Unambiguous => return None,
        };
        let (m, d) = if month_first { (a, b) } else { (b, a) };
        return midnight(c[3].parse().ok()?, m, d).and_then(plausible);
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

/// Everything a page says about its dates, as the metadata scan gathered it.
#[derive(Default)]
pub(super) struct Sources<'a, 'b> {
    /// JSON-LD `datePublished` (or `dateCreated`, `uploadDate`) and `dateModified`.
    pub ld_published: Option<&'b str>,
    pub ld_modified: Option<&'b str>,
    /// Meta tags, keys lower-cased.
    pub metas: Option<&'b HashMap<String, String>>,
    /// `<time datetime>` elements.
    pub times: &'b [ElementRef<'a>],
    /// Elements whose class says they hold a date.
    pub dated: &'b [ElementRef<'a>],
    /// Dates in the element after their own label ("Last updated:", then the date).
    pub labeled: &'b [String],
    /// Short date texts after the headline.
    pub after_headline: &'b [String],
    /// The first short date text anywhere on the page.
    pub anywhere: Option<&'b str>,
    /// The page's URL.
    pub url: Option<&'b str>,
    /// How the page writes numeric dates.
    pub order: DayMonth,
}

/// Meta tags that name the publication date, strongest first.
const PUBLISHED_KEYS: &[&str] = &[
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "publishdate",
    "publish-date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "dcterms.date",
    "date",
    "citation_publication_date",
    "article.published",
    "published_time",
    "og:published_time",
    "release_date",
];

/// Meta tags that name the modification date.
const MODIFIED_KEYS: &[&str] = &[
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
    "last-modified",
    "article.updated",
    "lastmod",
    "modified_time",
];

/// The publication and modification dates (RFC 3339) of a page, each from the
/// strongest source that has one.
pub(super) fn choose(s: &Sources) -> (Option<String>, Option<String>) {
    let empty = HashMap::new();
    let metas = s.metas.unwrap_or(&empty);
    let published = s
        .ld_published
        .and_then(to_rfc3339)
        .or_else(|| PUBLISHED_KEYS.iter().find_map(|k| metas.get(*k).and_then(|v| to_rfc3339(v))))
        .or_else(|| time_element(s.times, true))
        .or_else(|| other_date_meta(metas))
        // The first date the page prints, outside furniture: before a dated element
        // further down (related stories whose class names a date).
        .or_else(|| s.anywhere.map(str::to_string))
        .or_else(|| visible_date(s.dated, s.order))
        .or_else(|| s.labeled.first().cloned())
        .or_else(|| s.after_headline.first().cloned());
    let modified = s
        .ld_modified
        .and_then(to_rfc3339)
        .or_else(|| MODIFIED_KEYS.iter().find_map(|k| metas.get(*k).and_then(|v| to_rfc3339(v))))
        .or_else(|| time_element(s.times, false).filter(|m| published.as_deref() != Some(m)));
    // A JSON-LD date written for people ("Jun 24, 2025", a site builder's template field)
    // is weaker than the date the page prints: it is often the day the page was rebuilt.
    let published = match (published, s.anywhere) {
        (Some(p), Some(a)) if s.ld_published.is_some_and(for_people) && a.get(..10) != p.get(..10) => {
            Some(a.to_string())
        }
        (p, _) => p,
    };
    // A schema.org publication date the page never prints, where it prints the day it
    // was revised: the printed day.
    let published = match (published, s.anywhere) {
        (Some(p), Some(a)) if printed_beats_schema(s, metas, modified.as_deref(), &p, a) => Some(a.to_string()),
        (p, _) => p,
    };
    // A date in the URL's path is the day the outlet filed the story: it wins over a
    // timestamp whose UTC day is often the next or the previous one.
    let url_day = s.url.and_then(from_url);
    let published = url_day.clone().or(published);
    // A page that shows only one date (often "Updated …") is dated by it.
    let published = published.or(url_day).or_else(|| modified.clone());
    (published, modified)
}

/// Whether the date the page prints first (`printed`) dates it rather than the
/// schema.org `datePublished` (JSON-LD or a microdata `<meta itemprop>`) that was
/// `chosen`. A page whose publication date is only a schema.org one that it never
/// prints, beside a modification date, is most often an evergreen guide that a site
/// builder or SEO plugin keeps dated at its creation, while the page shows readers the
/// day it was last revised. A publication meta tag for sharing (`article:published_time`)
/// is the outlet's own word and keeps the schema.org date, unless it names the printed
/// day itself; so does a printed date of the same day (read in either order of day and
/// month, "09.10.2024"), or one of the other dates printed after the headline.
fn printed_beats_schema(
    s: &Sources,
    metas: &HashMap<String, String>,
    modified: Option<&str>,
    chosen: &str,
    printed: &str,
) -> bool {
    let schema = s.ld_published.or_else(|| metas.get("datepublished").map(String::as_str));
    let Some(schema) = schema.filter(|l| !for_people(l)).and_then(to_rfc3339) else {
        return false;
    };
    let day = |d: &str| d.get(..10).map(str::to_string);
    let printed_day = day(printed);
    let schema_day = day(&schema);
    let swapped =
        |d: &str| d.get(..10).filter(|d| d.len() == 10).map(|d| format!("{}-{}-{}", &d[..4], &d[8..], &d[5..7]));
    let social_says_other = ["article:published_time", "og:article:published_time"]
        .iter()
        .filter_map(|k| metas.get(*k))
        .any(|v| to_rfc3339(v).and_then(|v| day(&v)) != printed_day);
    schema == chosen
        && modified.is_some()
        && !social_says_other
        && printed_day != schema_day
        && swapped(printed) != schema_day
        && !s.after_headline.iter().chain(s.labeled).any(|d| day(d) == schema_day)
}

/// Whether a date is written for people ("Jun 24, 2025"), not in a machine form.
fn for_people(raw: &str) -> bool {
    let s = raw.trim();
    date_only(s).is_none()
        && DateTime::parse_from_rfc2822(s).is_err()
        && s.parse::<i64>().is_err()
        && human(s, DayMonth::Unambiguous).is_some()
}

fn time_element(times: &[ElementRef], published: bool) -> Option<String> {
    let pick = |t: &ElementRef| {
        let ip = t.attr("itemprop").unwrap_or("").to_ascii_lowercase();
        let class = t.attr("class").unwrap_or("").to_ascii_lowercase();
        if published {
            ip == "datepublished" || t.attr("pubdate").is_some() || class.contains("publish")
        } else {
            ip == "datemodified" || class.contains("update") || class.contains("modif")
        }
    };
    let chosen = times.iter().find(|t| pick(t)).or(if published { times.first() } else { None })?;
    chosen.attr("datetime").and_then(to_rfc3339)
}

/// Any other meta tag that names a publication date (`cludo:date`, `sailthru.date`…).
fn other_date_meta(metas: &HashMap<String, String>) -> Option<String> {
    let mut keys: Vec<&String> = metas
        .keys()
        .filter(|k| {
            (k.contains("date") || k.contains("publish"))
                && !k.contains("modif")
                && !k.contains("updat")
                && !k.contains("expir")
        })
        .collect();
    keys.sort();
    keys.into_iter().find_map(|k| to_rfc3339(&metas[k]))
}

/// A label printed before a date in its own element ("Last updated:", "Published on").
pub(super) fn is_label(t: &str) -> bool {
    // ASCII case folding without a copy: this runs on every short text of a page.
    let l = t.trim_end_matches(':').trim();
    if l.len() > 24 {
        return false;
    }
    let l = match l.get(..5) {
        Some(head) if head.eq_ignore_ascii_case("last ") => &l[5..],
        _ => l,
    };
    let l = match l.len().checked_sub(3).and_then(|k| l.get(k..)) {
        Some(tail) if tail.eq_ignore_ascii_case(" on") => &l[..l.len() - 3],
        _ => l,
    };
    ["updated", "published", "posted", "date", "modified", "date published"].iter().any(|w| l.eq_ignore_ascii_case(w))
}

/// Cheap test before parsing: short, with a year in it.
pub(super) fn looks_like_date(t: &str) -> bool {
    let t = t.trim();
    (6..=60).contains(&t.len())
        && t.as_bytes()
            .windows(4)
            .any(|w| (w.starts_with(b"20") || w.starts_with(b"19")) && w.iter().all(u8::is_ascii_digit))
}

/// A short visible date ("Jun 08, 2023 • 11 Minute Read") in an element
/// whose class says it holds one.
fn visible_date(candidates: &[ElementRef], order: DayMonth) -> Option<String> {
    candidates.iter().filter(|e| !in_furniture(e)).find_map(|e| {
        let t = element_text(e);
        (t.len() <= 100).then(|| parse_in(&t, order).map(|d| d.to_rfc3339())).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_dates_are_read_in_the_order_of_the_page_language() {
        assert_eq!(DayMonth::of_lang(Some("en-US")), DayMonth::MonthFirst);
        assert_eq!(DayMonth::of_lang(Some("en_gb")), DayMonth::DayFirst);
        assert_eq!(DayMonth::of_lang(Some("fr")), DayMonth::DayFirst);
        assert_eq!(DayMonth::of_lang(Some("en")), DayMonth::Unambiguous);
        assert_eq!(DayMonth::of_lang(None), DayMonth::Unambiguous);
        let day = |s, order| visible(s, order).map(|d| d[..10].to_string());
        // What no order misreads is read whatever the language.
        assert_eq!(day("Posted 10/31/2025", DayMonth::Unambiguous).as_deref(), Some("2025-10-31"));
        assert_eq!(day("Posted 31/10/2025", DayMonth::Unambiguous).as_deref(), Some("2025-10-31"));
        // An ambiguous one only in a known order.
        assert_eq!(day("Posted 10/03/2025", DayMonth::Unambiguous), None);
        assert_eq!(day("Posted 10/03/2025", DayMonth::MonthFirst).as_deref(), Some("2025-10-03"));
        assert_eq!(day("Posted 10/03/2025", DayMonth::DayFirst).as_deref(), Some("2025-03-10"));
        // Part of a longer number or a path is no date.
        assert_eq!(day("ref 1/10/03/2025", DayMonth::DayFirst), None);
    }

    #[test]
    fn dates_written_for_people_are_told_from_machine_forms() {
        assert!(for_people("Jun 24, 2025"));
        assert!(for_people(" 24 June 2025 "));
        assert!(!for_people("2025-06-24"));
        assert!(!for_people("2025-06-24T08:00:00Z"));
        assert!(!for_people("Tue, 24 Jun 2025 08:00:00 GMT"));
        assert!(!for_people("1750752000"));
        assert!(!for_people("soon"));
    }

    #[test]
    fn a_printed_date_beats_a_schema_date_the_page_never_prints() {
        let metas = HashMap::new();
        let page = |ld_published, ld_modified, metas| Sources {
            ld_published,
            ld_modified,
            metas: Some(metas),
            anywhere: Some("2025-09-04T00:00:00+00:00"),
            ..Default::default()
        };
        let day = |s: &Sources| choose(s).0.map(|d| d[..10].to_string());
        // "Last updated: Sep 4, 2025" printed; JSON-LD dates the guide at its creation.
        let guide = page(Some("2024-04-10T19:30:39+00:00"), Some("2025-09-04T10:00:00+00:00"), &metas);
        assert_eq!(day(&guide).as_deref(), Some("2025-09-04"));
        // Without a modification date the JSON-LD date stands.
        assert_eq!(day(&page(Some("2024-04-10T19:30:39+00:00"), None, &metas)).as_deref(), Some("2024-04-10"));
        // So it does beside a sharing meta tag that names another day.
        let mut social = HashMap::new();
        social.insert("article:published_time".to_string(), "2024-04-10T19:30:39+00:00".to_string());
        let shared = page(Some("2024-04-10T19:30:39+00:00"), Some("2025-09-04T10:00:00+00:00"), &social);
        assert_eq!(day(&shared).as_deref(), Some("2024-04-10"));
        // A sharing meta tag that names the printed day sides with it.
        let mut social_agrees = HashMap::new();
        social_agrees.insert("article:published_time".to_string(), "2025-09-04T18:06:00Z".to_string());
        let agreed = page(Some("2018-04-03T16:50:31Z"), Some("2025-09-04T18:06:00Z"), &social_agrees);
        assert_eq!(day(&agreed).as_deref(), Some("2025-09-04"));
        // The same day with day and month swapped ("04.09.2025" read the other way) is no other date.
        let swapped = page(Some("2025-04-09T16:07:00Z"), Some("2025-11-25T17:47:39Z"), &metas);
        assert_eq!(day(&swapped).as_deref(), Some("2025-04-09"));
        // Nor is a schema date printed after the headline beside the first printed one.
        let after = ["2025-09-04T00:00:00+00:00".to_string(), "2025-12-19T00:00:00+00:00".to_string()];
        let printed = Sources {
            ld_published: Some("2025-12-19T01:00:00+05:30"),
            after_headline: &after,
            ..page(None, Some("2025-12-19T01:00:00+05:30"), &metas)
        };
        assert_eq!(day(&printed).as_deref(), Some("2025-12-19"));
        // A microdata `<meta itemprop="datePublished">` is read like JSON-LD.
        let mut micro = HashMap::new();
        micro.insert("datepublished".to_string(), "2024-05-09 00:00:00 +0000".to_string());
        micro.insert("datemodified".to_string(), "2025-09-04 00:00:00 +0000".to_string());
        assert_eq!(day(&page(None, None, &micro)).as_deref(), Some("2025-09-04"));
    }

    #[test]
    fn an_iso_date_after_a_label_is_read() {
        assert_eq!(
            visible("Last Updated: 2025-02-22", DayMonth::Unambiguous).as_deref(),
            Some("2025-02-22T00:00:00+00:00")
        );
        assert_eq!(
            visible("Published: 2025-02-22", DayMonth::Unambiguous).as_deref(),
            Some("2025-02-22T00:00:00+00:00")
        );
        assert_eq!(visible("Issue: 2025-02-22", DayMonth::Unambiguous), None);
    }

    #[test]
    fn a_day_in_the_url_path_is_read() {
        assert_eq!(from_url("https://x.example/2025/12/18/slug").as_deref(), Some("2025-12-18T00:00:00+00:00"));
        assert_eq!(from_url("https://x.example/news/2025-06-04-slug").as_deref(), Some("2025-06-04T00:00:00+00:00"));
        assert_eq!(from_url("https://x.example/2025/13/40/slug"), None);
        assert_eq!(from_url("https://x.example/news/12345"), None);
    }

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
