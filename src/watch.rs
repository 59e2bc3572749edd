//! A watch has one owner: every route that adds one (a config `[[watch]]`,
//! `redline add`, `redline import`, `POST /api/watches`) builds its stored
//! source here, through the same checks and defaults ([`config::Watch::new`]:
//! `every` and `cron` exclude each other, neither means every 10 minutes, a
//! feed gets the default revisit plan). The same module reads a source's rules
//! back from the store, typed and compiled once ([`Rules::decode`]).
//!
//! The checks sit in [`config::Watch::new`] rather than here because the config
//! file reports them with the line of the `[[watch]]`, and `config` imports no
//! stage; every other route reaches them only through [`Spec`].

use std::ops::Deref;

use regex::Regex;
use serde::Deserialize;

use crate::config::{self, Config, Target, Watch, WatchRules};
use crate::diff::DiffOptions;
use crate::store::{NewSource, SourceKind};

/// Why a watch cannot be added, or its stored rules cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchError {
    /// What was asked is not a valid watch (bad URL, interval, cron, both `every` and `cron`…).
    #[error("{0}")]
    Invalid(String),
    /// The rules stored with a source do not decode or do not compile.
    #[error("the watch's stored rules cannot be used: {0}; fix the watch (config or `redline add`) and restart")]
    Rules(String),
}

/// A watch as `redline add` (its arguments), `redline import` (one feed of the
/// file) and `POST /api/watches` (its JSON body) ask for it, before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The article or feed URL.
    pub url: String,
    /// The URL is an RSS/Atom feed or a sitemap: watch every article it lists.
    #[arg(long)]
    #[serde(default)]
    pub feed: bool,
    /// Check interval, e.g. 10m (default 10m).
    #[arg(long)]
    pub every: Option<String>,
    /// Cron expression instead of an interval, e.g. "0 */15 * * * *".
    #[arg(long)]
    pub cron: Option<String>,
    /// A display name.
    #[arg(skip)]
    pub name: Option<String>,
}

impl Spec {
    /// Checks the spec and applies the defaults every route shares.
    pub fn watch(&self) -> Result<Watch, WatchError> {
        let invalid = WatchError::Invalid;
        let url = config::check_url(&self.url).map_err(invalid)?;
        let target = if self.feed { Target::Feed(url) } else { Target::Article(url) };
        let every = self.every.as_deref().map(config::parse_every).transpose().map_err(invalid)?;
        let cron = self.cron.as_deref().map(config::parse_cron).transpose().map_err(invalid)?;
        let name = self.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
        Watch::new(target, every, cron, WatchRules { name, ..WatchRules::default() }).map_err(invalid)
    }

    /// The source to store.
    pub fn source(&self) -> Result<NewSource, WatchError> {
        self.watch().map(|w| source(&w))
    }
}

/// The keys of one `[[watch]]` table that the web page's forms (and `POST
/// /api/watches/{id}/edit`) may set: what is watched, its schedule, extraction
/// selectors, `ignore` patterns and alert rules. Headers, cookies, proxies and the
/// browser stay in the config file.
pub const FORM_KEYS: [&str; 11] = [
    "url",
    "feed",
    "name",
    "every",
    "cron",
    "body_selector",
    "title_selector",
    "exclude_selectors",
    "ignore",
    "alert_kinds",
    "alert_min_significance",
];

/// A watch given as the keys of one config `[[watch]]` table (the web form's fields, at
/// most [`FORM_KEYS`]), read by the config's own parser: every check, default and message
/// is the config's, without the file's line and column.
pub fn from_table(table: toml::Table) -> Result<NewSource, WatchError> {
    if let Some(key) = table.keys().find(|k| !FORM_KEYS.contains(&k.as_str())) {
        return Err(WatchError::Invalid(format!("`{key}` cannot be set here: set it in the config file")));
    }
    let mut doc = toml::Table::new();
    doc.insert("watch".into(), toml::Value::Array(vec![toml::Value::Table(table)]));
    let text = toml::to_string(&doc).map_err(|e| WatchError::Invalid(e.to_string()))?;
    match Config::parse(&text, std::path::Path::new("the form")) {
        Ok(mut config) => {
            config.watches.pop().map(|w| source(&w)).ok_or_else(|| WatchError::Invalid("no watch was given".into()))
        }
        Err(config::ConfigError::Invalid { key, message, .. }) => Err(WatchError::Invalid(format!("{key}{message}"))),
        Err(e) => Err(WatchError::Invalid(e.to_string())),
    }
}

/// The sources of `redline import`: every feed an OPML file lists, each checked
/// on `every` (default 10m) and named by its outline's title.
pub fn opml_sources(opml: &str, every: Option<&str>) -> Result<Vec<NewSource>, WatchError> {
    crate::discover::feeds_in_opml(opml)
        .into_iter()
        .map(|feed| {
            let every = every.map(str::to_string);
            Spec { url: feed.url, feed: true, every, cron: None, name: feed.title }.source()
        })
        .collect()
}

/// The stored form of a checked watch.
pub fn source(watch: &Watch) -> NewSource {
    NewSource {
        kind: match watch.target {
            Target::Article(_) => SourceKind::Article,
            Target::Feed(_) | Target::Section(_) => SourceKind::Feed,
        },
        url: watch.target.url().to_string(),
        schedule: watch.schedule.to_spec(),
        rules: serde_json::to_string(&watch.rules).expect("watch rules serialize"),
    }
}

/// The sources of the config's `[[watch]]` tables (already checked when the config was read).
pub fn config_sources(config: &Config) -> Vec<NewSource> {
    config.watches.iter().map(source).collect()
}

/// A source's rules as the daemon and the CLI use them: the [`WatchRules`]
/// (by `Deref`) with their patterns compiled.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    rules: WatchRules,
    /// For a section page: the pattern article links match.
    pub links: Option<Regex>,
    /// How versions are compared (the compiled `ignore` patterns).
    pub diff: DiffOptions,
}

impl Rules {
    /// Decodes the rules JSON stored with a source and compiles its patterns.
    pub fn decode(json: &str) -> Result<Rules, WatchError> {
        let rules: WatchRules = serde_json::from_str(json).map_err(|e| WatchError::Rules(e.to_string()))?;
        Rules::compile(rules)
    }

    /// Compiles the patterns of `rules`.
    pub fn compile(rules: WatchRules) -> Result<Rules, WatchError> {
        let ignore = rules.ignore.iter().map(|p| config::parse_regex(p)).collect::<Result<Vec<_>, _>>();
        let links = rules.links.as_deref().map(config::parse_regex).transpose();
        let (ignore, links) = (ignore.map_err(WatchError::Rules)?, links.map_err(WatchError::Rules)?);
        Ok(Rules { rules, links, diff: DiffOptions { ignore } })
    }
}

impl Deref for Rules {
    type Target = WatchRules;

    fn deref(&self) -> &WatchRules {
        &self.rules
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use clap::Parser;

    use super::*;

    /// The arguments of `redline add`, as main.rs flattens them.
    #[derive(Parser)]
    struct Add {
        #[command(flatten)]
        spec: Spec,
    }

    fn from_config(watch: &str) -> Result<NewSource, String> {
        let config =
            Config::parse(&format!("[[watch]]\n{watch}"), Path::new("redline.toml")).map_err(|e| e.to_string())?;
        Ok(config_sources(&config).remove(0))
    }

    fn from_add(args: &[&str]) -> Result<NewSource, WatchError> {
        let add = Add::try_parse_from(std::iter::once("add").chain(args.iter().copied())).expect("arguments parse");
        add.spec.source()
    }

    fn from_api(body: &str) -> Result<NewSource, WatchError> {
        serde_json::from_str::<Spec>(body).expect("body parses").source()
    }

    fn from_import(opml: &str, every: Option<&str>) -> Result<NewSource, WatchError> {
        opml_sources(opml, every).map(|mut sources| sources.remove(0))
    }

    const OPML: &str = r#"<opml><body><outline xmlUrl="https://news.example/rss.xml"/></body></opml>"#;

    #[test]
    fn a_feed_gets_the_same_source_and_revisit_plan_from_every_route() {
        let config = from_config("feed = \"https://news.example/rss.xml\"\nevery = \"15m\"\n").unwrap();
        let add = from_add(&["https://news.example/rss.xml", "--feed", "--every", "15m"]).unwrap();
        let api = from_api(r#"{"url": "https://news.example/rss.xml", "feed": true, "every": "15m"}"#).unwrap();
        let import = from_import(OPML, Some("15m")).unwrap();
        for other in [&add, &api, &import] {
            assert_eq!(other, &config);
        }
        assert_eq!(config.kind, SourceKind::Feed);
        assert_eq!(config.schedule, "every 15m");
        let rules = Rules::decode(&config.rules).unwrap();
        assert_eq!(rules.revisit.as_deref(), Some(&config::DEFAULT_REVISIT[..]));
    }

    #[test]
    fn an_article_gets_the_default_interval_and_no_revisit_plan() {
        let config = from_config("url = \"https://news.example/a\"\n").unwrap();
        assert_eq!(from_add(&["https://news.example/a"]).unwrap(), config);
        assert_eq!(from_api(r#"{"url": "https://news.example/a"}"#).unwrap(), config);
        assert_eq!(config.schedule, "every 10m");
        assert!(Rules::decode(&config.rules).unwrap().revisit.is_none());
    }

    #[test]
    fn every_and_cron_together_is_the_same_error_everywhere() {
        let expected = WatchError::Invalid(config::EVERY_AND_CRON.into());
        let config = from_config("url = \"https://news.example/a\"\nevery = \"5m\"\ncron = \"0 * * * * *\"\n");
        assert!(config.unwrap_err().ends_with(config::EVERY_AND_CRON));
        assert_eq!(
            from_add(&["https://news.example/a", "--every", "5m", "--cron", "0 * * * * *"]),
            Err(expected.clone())
        );
        let body = r#"{"url": "https://news.example/a", "every": "5m", "cron": "0 * * * * *"}"#;
        assert_eq!(from_api(body), Err(expected));
    }

    #[test]
    fn bad_values_give_the_config_messages() {
        let add = from_add(&["https://news.example/a", "--cron", "61 * * * * *"]).unwrap_err().to_string();
        let config = from_config("url = \"https://news.example/a\"\ncron = \"61 * * * * *\"\n").unwrap_err();
        assert!(config.ends_with(&add), "{config} / {add}");
        let api = from_api(r#"{"url": "ftp://news.example/a"}"#).unwrap_err().to_string();
        assert!(api.contains("only http and https"), "{api}");
        assert!(from_import(r#"<opml><outline xmlUrl="https://e.com/rss"/></opml>"#, Some("0s")).is_err());
    }

    fn from_form(pairs: &[(&str, toml::Value)]) -> Result<NewSource, WatchError> {
        from_table(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    #[test]
    fn a_form_gets_the_config_source_and_the_config_messages() {
        let text = |s: &str| toml::Value::String(s.into());
        let config = from_config(
            "feed = \"https://news.example/rss.xml\"\nevery = \"15m\"\nignore = [\"\\\\d+ min\"]\nalert_kinds = [\"correction\"]\n",
        )
        .unwrap();
        let form = from_form(&[
            ("feed", text("https://news.example/rss.xml")),
            ("every", text("15m")),
            ("ignore", toml::Value::Array(vec![text("\\d+ min")])),
            ("alert_kinds", toml::Value::Array(vec![text("correction")])),
        ])
        .unwrap();
        assert_eq!(form, config);
        let bad = from_form(&[("url", text("https://news.example/a")), ("body_selector", text("p[["))]).unwrap_err();
        let config = from_config("url = \"https://news.example/a\"\nbody_selector = \"p[[\"\n").unwrap_err();
        assert!(config.ends_with(&bad.to_string()), "{config} / {bad}");
        assert!(bad.to_string().starts_with("key `body_selector`: \"p[[\" is not a valid CSS selector"), "{bad}");
        let both =
            from_form(&[("url", text("https://news.example/a")), ("every", text("5m")), ("cron", text("0 * * * * *"))]);
        assert_eq!(both.unwrap_err().to_string(), format!("in [[watch]]: {}", config::EVERY_AND_CRON));
        let sneaky = from_form(&[("url", text("https://news.example/a")), ("cookies_file", text("/etc/shadow"))]);
        assert!(sneaky.unwrap_err().to_string().contains("`cookies_file` cannot be set here"));
    }

    #[test]
    fn a_blank_name_is_no_name() {
        let named = from_api(r#"{"url": "https://news.example/a", "name": " Story "}"#).unwrap();
        assert_eq!(Rules::decode(&named.rules).unwrap().name.as_deref(), Some("Story"));
        let blank = from_api(r#"{"url": "https://news.example/a", "name": "  "}"#).unwrap();
        assert_eq!(blank, from_add(&["https://news.example/a"]).unwrap());
    }

    #[test]
    fn stored_rules_decode_typed_or_fail_clearly() {
        let rules = Rules::decode(r#"{"ignore": ["\\d+ minutes ago"], "links": "/world/"}"#).unwrap();
        assert_eq!(rules.diff.ignore.len(), 1);
        assert!(rules.links.as_ref().is_some_and(|l| l.is_match("https://e.com/world/x")));
        assert!(Rules::decode("{}").unwrap().diff.ignore.is_empty());
        let bad_pattern = Rules::decode(r#"{"ignore": ["("]}"#).unwrap_err().to_string();
        assert!(bad_pattern.contains("\"(\" is not a valid regular expression"), "{bad_pattern}");
        let bad_json = Rules::decode(r#"{"ignore": "not a list"}"#).unwrap_err().to_string();
        assert!(bad_json.contains("stored rules cannot be used"), "{bad_json}");
        assert!(Rules::decode("not json").is_err());
    }
}
