//! One `[[watch]]`: what is watched, when, and with which rules; the checks every
//! route that makes a watch shares (the config file, `redline add`, import, the API).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use super::browser::Render;
use super::request::{self, Headers, ProxyUrl, RequestSettings};
use super::{
    AlertRules, BrowserSteps, DEFAULT_EVERY, DEFAULT_REVISIT, http_url, opt_significance, parse_cron, parse_every,
    parse_regex,
};
use crate::cookies::Cookie;
use crate::diff::EditKind;
use crate::extract::ExtractRules;

/// What a watch points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One article page.
    Article(String),
    /// An RSS, Atom or sitemap URL whose items are articles to watch.
    Feed(String),
    /// A section page whose links matching the watch's `links` pattern are articles.
    Section(String),
}

impl Target {
    /// The URL watched.
    pub fn url(&self) -> &str {
        match self {
            Target::Article(u) | Target::Feed(u) | Target::Section(u) => u,
        }
    }
}

/// One step of an adaptive revisit plan: while an article is younger than
/// `until` (since publication, or since its last change), check it `every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisitStep {
    /// Age limit of this step.
    #[serde(with = "secs")]
    pub until: Duration,
    /// Interval within it.
    #[serde(with = "secs")]
    pub every: Duration,
}

mod secs {
    //! Durations stored as whole seconds in the rules JSON.
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

/// When a watch is checked.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// A fixed interval.
    Every(Duration),
    /// A cron expression (seconds field first, as the `cron` crate reads it).
    Cron(Box<cron::Schedule>),
}

impl Schedule {
    /// The form stored in the database and shown to users: `every 10m` or `cron 0 */10 * * * *`.
    pub fn to_spec(&self) -> String {
        match self {
            Schedule::Every(d) => format!("every {}", humantime::format_duration(*d)),
            Schedule::Cron(c) => format!("cron {}", c.source()),
        }
    }

    /// Parses a stored spec; a spec that no longer parses falls back to the default interval.
    pub fn from_spec_or_default(spec: &str) -> Schedule {
        Schedule::from_spec(spec).unwrap_or(Schedule::Every(DEFAULT_EVERY))
    }

    /// Parses the form written by [`Schedule::to_spec`].
    pub fn from_spec(spec: &str) -> Result<Schedule, String> {
        if let Some(rest) = spec.strip_prefix("every ") {
            parse_every(rest).map(Schedule::Every)
        } else if let Some(rest) = spec.strip_prefix("cron ") {
            parse_cron(rest).map(|c| Schedule::Cron(Box::new(c)))
        } else {
            Err(format!("unknown schedule {spec:?}"))
        }
    }
}

/// One `[[watch]]`.
#[derive(Debug, Clone)]
pub struct Watch {
    /// What is watched.
    pub target: Target,
    /// When it is checked.
    pub schedule: Schedule,
    /// How its articles are extracted and compared.
    pub rules: WatchRules,
    /// Headers, cookies and proxy of its requests (config only: never stored).
    pub request: RequestSettings,
}

/// The per-watch rules that articles discovered through a watch inherit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WatchRules {
    /// A display name.
    pub name: Option<String>,
    /// Extraction overrides.
    pub extract: ExtractRules,
    /// Regular expressions whose matches are ignored when comparing versions.
    pub ignore: Vec<String>,
    /// Which changes alert.
    pub alert: AlertRules,
    /// For a section page: the pattern article links match.
    pub links: Option<String>,
    /// How often the articles are revisited as they age; none means the watch's `every`/`cron`.
    pub revisit: Option<Vec<RevisitStep>>,
    /// `render = "browser"`: fetched by the headless browser, with these steps; none means plain HTTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub render: Option<BrowserSteps>,
}

/// The watch as written: each key is checked as it is read (so its errors
/// carry its line); the checks across keys happen in `TryFrom`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWatch {
    #[serde(default, deserialize_with = "opt_http_url")]
    url: Option<String>,
    #[serde(default, deserialize_with = "opt_http_url")]
    feed: Option<String>,
    #[serde(default, deserialize_with = "opt_http_url")]
    section: Option<String>,
    #[serde(default, deserialize_with = "opt_regex")]
    links: Option<String>,
    #[serde(default, deserialize_with = "opt_revisit")]
    revisit: Option<Vec<RevisitStep>>,
    #[serde(default, deserialize_with = "opt_every")]
    every: Option<Duration>,
    #[serde(default, deserialize_with = "opt_cron")]
    cron: Option<cron::Schedule>,
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_selector")]
    body_selector: Option<String>,
    #[serde(default, deserialize_with = "opt_selector")]
    title_selector: Option<String>,
    #[serde(default, deserialize_with = "selectors")]
    exclude_selectors: Vec<String>,
    #[serde(default, deserialize_with = "regexes")]
    ignore: Vec<String>,
    alert_kinds: Option<Vec<EditKind>>,
    #[serde(default, deserialize_with = "opt_significance")]
    alert_min_significance: Option<f64>,
    #[serde(default, deserialize_with = "request::headers")]
    headers: Headers,
    #[serde(default, deserialize_with = "request::cookie_pairs")]
    cookies: Vec<(String, String)>,
    cookies_file: Option<PathBuf>,
    #[serde(default, deserialize_with = "request::opt_proxy")]
    proxy: Option<ProxyUrl>,
    #[serde(default)]
    render: Render,
    #[serde(default, deserialize_with = "opt_selector")]
    wait_for: Option<String>,
    #[serde(default, deserialize_with = "selectors")]
    click: Vec<String>,
    #[serde(default)]
    screenshot: bool,
}

impl TryFrom<RawWatch> for Watch {
    type Error = String;

    fn try_from(raw: RawWatch) -> Result<Watch, String> {
        let target = match (raw.url, raw.feed, raw.section) {
            (Some(u), None, None) => Target::Article(u),
            (None, Some(f), None) => Target::Feed(f),
            (None, None, Some(s)) => Target::Section(s),
            (None, None, None) => {
                return Err("a watch needs `url = \"https://…\"` (one article), `feed = \"https://…/rss.xml\"` (a feed or sitemap) or `section = \"https://…/world/\"` with `links`".into());
            }
            _ => {
                return Err("a watch has one of `url` (one article), `feed` (a feed or sitemap) or `section` (a section page), not several; split it into several [[watch]] tables".into());
            }
        };
        let steps = BrowserSteps { wait_for: raw.wait_for, click: raw.click, screenshot: raw.screenshot };
        let render = match raw.render {
            Render::Browser => Some(steps),
            Render::Http if steps == BrowserSteps::default() => None,
            Render::Http => {
                return Err(
                    "`wait_for`, `click` and `screenshot` need the browser: add `render = \"browser\"` to the watch"
                        .into(),
                );
            }
        };
        let rules = WatchRules {
            name: raw.name,
            extract: ExtractRules {
                body: raw.body_selector,
                title: raw.title_selector,
                exclude: raw.exclude_selectors,
            },
            ignore: raw.ignore,
            alert: AlertRules { kinds: raw.alert_kinds, min_significance: raw.alert_min_significance },
            links: raw.links,
            revisit: raw.revisit,
            render,
        };
        let host =
            url::Url::parse(target.url()).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
        let cookies = raw.cookies.iter().map(|(name, value)| Cookie::for_host(&host, name, value)).collect();
        let mut watch = Watch::new(target, raw.every, raw.cron, rules)?;
        watch.request =
            RequestSettings { headers: raw.headers, cookies, cookies_file: raw.cookies_file, proxy: raw.proxy };
        Ok(watch)
    }
}

impl Watch {
    /// A watch with the checks and defaults every route shares (the config, `redline add`,
    /// `redline import`, the API; see `crate::watch`): `every` and `cron` exclude each other
    /// and neither means [`DEFAULT_EVERY`]; `links` goes with a section page only; a feed or
    /// section page without a `revisit` plan of its own gets [`DEFAULT_REVISIT`].
    pub fn new(
        target: Target,
        every: Option<Duration>,
        cron: Option<cron::Schedule>,
        mut rules: WatchRules,
    ) -> Result<Watch, String> {
        match (&target, &rules.links) {
            (Target::Section(_), None) => {
                return Err("a `section` watch needs `links`, a regular expression that article URLs match, e.g. links = \"/world/\\\\d{4}/\"".into());
            }
            (Target::Article(_) | Target::Feed(_), Some(_)) => {
                return Err("`links` applies to `section` watches only".into());
            }
            _ => {}
        }
        if rules.revisit.is_none() && !matches!(target, Target::Article(_)) {
            rules.revisit = Some(DEFAULT_REVISIT.to_vec());
        }
        let schedule = match (every, cron) {
            (Some(_), Some(_)) => return Err(EVERY_AND_CRON.into()),
            (Some(e), None) => Schedule::Every(e),
            (None, Some(c)) => Schedule::Cron(Box::new(c)),
            (None, None) => Schedule::Every(DEFAULT_EVERY),
        };
        Ok(Watch { target, schedule, rules, request: RequestSettings::default() })
    }
}

/// The error of a watch given both `every` and `cron`, whichever route it came by.
pub const EVERY_AND_CRON: &str = "a watch has either `every` or `cron`, not both";

fn opt_http_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    http_url(d).map(Some)
}

fn opt_regex<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let pattern = String::deserialize(d)?;
    parse_regex(&pattern).map_err(serde::de::Error::custom)?;
    Ok(Some(pattern))
}

/// `revisit = [["6h", "5m"], ["2d", "30m"]]`: while younger than the first, check every the second.
fn opt_revisit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<RevisitStep>>, D::Error> {
    let pairs = Vec::<(String, String)>::deserialize(d)?;
    let mut steps = Vec::with_capacity(pairs.len());
    for (until, every) in &pairs {
        let step = RevisitStep {
            until: parse_every(until).map_err(serde::de::Error::custom)?,
            every: parse_every(every).map_err(serde::de::Error::custom)?,
        };
        if steps.last().is_some_and(|prev: &RevisitStep| prev.until >= step.until) {
            return Err(serde::de::Error::custom("`revisit` ages must grow: [[\"6h\", \"5m\"], [\"2d\", \"30m\"], …]"));
        }
        steps.push(step);
    }
    if steps.is_empty() {
        return Err(serde::de::Error::custom("`revisit` needs at least one [age, interval] pair"));
    }
    Ok(Some(steps))
}

fn opt_every<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    parse_every(&String::deserialize(d)?).map(Some).map_err(serde::de::Error::custom)
}

fn opt_cron<'de, D: Deserializer<'de>>(d: D) -> Result<Option<cron::Schedule>, D::Error> {
    parse_cron(&String::deserialize(d)?).map(Some).map_err(serde::de::Error::custom)
}

fn check_selector(selector: &str) -> Result<(), String> {
    scraper::Selector::parse(selector).map(|_| ()).map_err(|e| format!("{selector:?} is not a valid CSS selector: {e}"))
}

fn opt_selector<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let selector = String::deserialize(d)?;
    check_selector(&selector).map_err(serde::de::Error::custom)?;
    Ok(Some(selector))
}

fn selectors<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let list = Vec::<String>::deserialize(d)?;
    list.iter().try_for_each(|s| check_selector(s)).map_err(serde::de::Error::custom)?;
    Ok(list)
}

fn regexes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let list = Vec::<String>::deserialize(d)?;
    for pattern in &list {
        parse_regex(pattern).map_err(serde::de::Error::custom)?;
    }
    Ok(list)
}
