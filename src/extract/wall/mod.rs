//! Walls: pages served in place of the article (a cookie-consent wall, a paywall, a bot
//! challenge, a script-only app shell, a redirect to a sign-in page, a "page not found"
//! answered with 200). A wall is not a version of the article: the check that meets one
//! fails with the wall's kind and evidence, and the article's last real version stands.
//!
//! Pure: the page as served, the extracted [`Article`] and the previous version in, an
//! `Option<`[`Wall`]`>` out. No single word decides. The body must first be thin (next to
//! no article text once the wall's own prose is set aside, or collapsed: the previous body
//! is gone, the new one is less than half as long and mostly wall prose) or cut to a
//! prefix of the previous version; a page whose previous body is still there is never a
//! wall. Then each kind
//! needs at least two independent signals among: its prose in the visible text (English,
//! German, French, Spanish, Italian, Portuguese), its words in the `<title>`, its button
//! labels, its vendors' markup (consent managers, paywall platforms, bot protection), the
//! HTTP status, the URL redirected to, and the headline changing while the body collapses.

mod scan;
mod words;

use std::collections::HashSet;
use std::fmt;

use regex::Regex;

use super::Article;
use super::text::word_count;
use scan::{Scan, fold};

/// Below this many words of article text (wall prose set aside), the body is thin.
pub const THIN_WORDS: usize = 30;

/// What kind of wall a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WallKind {
    /// A cookie-consent dialog instead of the article.
    Consent,
    /// A subscription wall, or the story cut short for non-subscribers.
    Paywall,
    /// A bot check, a CAPTCHA or an "access denied" block.
    BotChallenge,
    /// A page built by scripts with no readable text in its HTML.
    AppShell,
    /// A redirect to a sign-in page.
    LoginRedirect,
    /// "Page not found" answered with a success status.
    SoftNotFound,
}

impl WallKind {
    /// Every kind, in the order ties are broken.
    pub const ALL: [WallKind; 6] = [
        WallKind::BotChallenge,
        WallKind::LoginRedirect,
        WallKind::Consent,
        WallKind::Paywall,
        WallKind::SoftNotFound,
        WallKind::AppShell,
    ];

    /// The name used in errors, logs and fixtures: `consent wall`, `paywall`, `bot
    /// challenge`, `app shell`, `login redirect`, `soft 404`.
    pub fn as_str(self) -> &'static str {
        match self {
            WallKind::Consent => "consent wall",
            WallKind::Paywall => "paywall",
            WallKind::BotChallenge => "bot challenge",
            WallKind::AppShell => "app shell",
            WallKind::LoginRedirect => "login redirect",
            WallKind::SoftNotFound => "soft 404",
        }
    }

    /// The kind named `name` (as [`WallKind::as_str`] spells it).
    pub fn from_name(name: &str) -> Option<WallKind> {
        WallKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for WallKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A recognised wall and what gave it away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wall {
    /// The kind.
    pub kind: WallKind,
    /// The signals seen, each a short phrase (`button "accept all"`).
    pub evidence: Vec<String>,
}

impl fmt::Display for Wall {
    /// `consent wall: text "we value your privacy", button "accept all"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.evidence.join(", "))
    }
}

/// The page as served.
#[derive(Debug, Clone, Copy)]
pub struct Served<'a> {
    /// The body, decoded.
    pub html: &'a str,
    /// The HTTP status.
    pub status: u16,
    /// The URL asked for.
    pub requested_url: &'a str,
    /// The URL answered from, after redirects.
    pub final_url: &'a str,
}

/// How the extracted body compares with a wall's and with the previous version's.
#[derive(Debug, Default)]
struct Shape {
    /// Words of body paragraphs that are not wall prose.
    real_words: usize,
    /// Words of the previous version's body.
    prev_words: usize,
    /// Share of the previous body's words still present, paragraph for paragraph.
    kept: f32,
    /// The body is the previous body's first paragraphs and less than half of it.
    truncated: Option<String>,
    /// The previous body is gone and the new one is less than half as long.
    collapsed: bool,
    /// Next to no article text, or collapsed into mostly wall prose.
    thin: bool,
    /// The headline moved (only with a previous version).
    headline: Option<(String, String)>,
    has_previous: bool,
}

fn shape(article: &Article, previous: Option<&Article>) -> Shape {
    let (real, wall): (Vec<String>, Vec<String>) = article
        .paragraphs
        .iter()
        .map(|p| fold(p))
        .partition(|p| spoken(&words::ANY_RE, p).next().is_none() && !words::CONSENT_LABEL_RE.is_match(p));
    let real_words = real.iter().map(|p| word_count(p)).sum();
    let wall_words: usize = wall.iter().map(|p| word_count(p)).sum();
    let mut s = Shape { real_words, ..Shape::default() };
    if let Some(prev) = previous {
        s.has_previous = true;
        let before: Vec<String> = prev.paragraphs.iter().map(|p| fold(p)).collect();
        s.prev_words = before.iter().map(|p| word_count(p)).sum();
        let now: HashSet<String> = article.paragraphs.iter().map(|p| fold(p)).collect();
        let kept: usize = before.iter().filter(|p| now.contains(*p)).map(|p| word_count(p)).sum();
        s.kept = if s.prev_words == 0 { 0.0 } else { kept as f32 / s.prev_words as f32 };
        let halved = real_words * 2 <= s.prev_words;
        if halved && before.len() >= 2 && s.prev_words >= 60 && !real.is_empty() && is_prefix(&real, &before) {
            s.truncated = Some(format!(
                "body cut to the first {} of {} paragraphs ({real_words} of {} words)",
                real.len(),
                before.len(),
                s.prev_words
            ));
        }
        s.collapsed = halved && s.truncated.is_none() && s.kept < 0.3;
        let (was, is) = (fold(prev.title.as_deref().unwrap_or("")), fold(article.title.as_deref().unwrap_or("")));
        if was != is {
            s.headline = Some((prev.title.clone().unwrap_or_default(), article.title.clone().unwrap_or_default()));
        }
    }
    // A collapse alone may be an editor cutting the story to a brief: the wall's prose
    // must then make up most of what is left.
    s.thin = s.real_words < THIN_WORDS || (s.collapsed && wall_words >= s.real_words);
    s
}

/// Whether `now` is the start of `before`: the same paragraphs, the last one perhaps cut.
fn is_prefix(now: &[String], before: &[String]) -> bool {
    if now.len() > before.len() {
        return false;
    }
    let last = now.len() - 1;
    now.iter().zip(before).enumerate().all(|(i, (n, b))| {
        if n == b {
            return true;
        }
        let cut = n.trim_end_matches(['…', '.', ' ']);
        i == last && cut.chars().count() >= 20 && b.starts_with(cut)
    })
}

/// One kind's case: its signals, counted by independent source.
struct Case {
    kind: WallKind,
    evidence: Vec<String>,
    sources: usize,
}

impl Case {
    fn new(kind: WallKind) -> Case {
        Case { kind, evidence: Vec::new(), sources: 0 }
    }
    fn add(&mut self, evidence: Option<String>) -> bool {
        match evidence {
            Some(e) => {
                self.evidence.push(e);
                self.sources += 1;
                true
            }
            None => false,
        }
    }
}

/// Whether a match sits between quotation marks: an article quoting a wall ("the banner
/// reads „Alle akzeptieren“") is reported speech, not the wall itself.
fn quoted(text: &str, m: &regex::Match<'_>) -> bool {
    const QUOTES: &[char] = &['"', '“', '”', '„', '«', '»', '‹', '›'];
    let before = text[..m.start()].chars().rev().take(2);
    let after = text[m.end()..].chars().take(3);
    before.chain(after).any(|c| QUOTES.contains(&c))
}

/// The wall's own words in `text`: matches of `re` that are not quoted.
fn spoken<'t>(re: &'t Regex, text: &'t str) -> impl Iterator<Item = regex::Match<'t>> + 't {
    re.find_iter(text).filter(move |m| !quoted(text, m))
}

fn phrase(re: &Regex, text: &str, what: &str) -> Option<String> {
    spoken(re, text).next().map(|m| format!("{what} \"{}\"", m.as_str()))
}

/// A phrase of the visible text other than the one the title says (the `<h1>` repeating
/// the `<title>` is one signal, not two).
fn other_phrase(re: &Regex, scan: &Scan) -> Option<String> {
    let in_title = spoken(re, &scan.title).next().map(|m| m.as_str());
    spoken(re, &scan.text).find(|m| Some(m.as_str()) != in_title).map(|m| format!("text \"{}\"", m.as_str()))
}

fn label(re: &Regex, scan: &Scan) -> Option<String> {
    scan.labels.iter().find(|l| re.is_match(l)).map(|l| format!("button \"{l}\""))
}

fn vendor(table: &[(&'static str, Regex)], html: &str, what: &str) -> Option<String> {
    let names: Vec<&str> = table.iter().filter(|(_, re)| re.is_match(html)).map(|(name, _)| *name).collect();
    (!names.is_empty()).then(|| format!("{what} ({})", names.join(", ")))
}

fn collapse_evidence(shape: &Shape) -> Option<String> {
    let (was, is) = shape.headline.as_ref().filter(|_| shape.thin && shape.real_words * 2 <= shape.prev_words)?;
    Some(format!(
        "headline changed from \"{was}\" to \"{is}\" while the body fell to {} words (was {})",
        shape.real_words, shape.prev_words
    ))
}

fn same_page(a: &str, b: &str) -> bool {
    let norm = |u: &str| u.split('#').next().unwrap_or("").trim_end_matches('/').to_ascii_lowercase();
    norm(a) == norm(b)
}

/// Whether the page served is a wall rather than the article, and which.
pub fn classify(served: &Served<'_>, article: &Article, previous: Option<&Article>) -> Option<Wall> {
    use std::sync::LazyLock;
    static CONSENT: LazyLock<Vec<(&str, Regex)>> = LazyLock::new(|| words::compile(words::CONSENT_VENDORS));
    static PAYWALL: LazyLock<Vec<(&str, Regex)>> = LazyLock::new(|| words::compile(words::PAYWALL_VENDORS));
    static BOT: LazyLock<Vec<(&str, Regex)>> = LazyLock::new(|| words::compile(words::BOT_VENDORS));

    let shape = shape(article, previous);
    if shape.has_previous && shape.kept >= 0.8 {
        // The article is all there, whatever is laid over it.
        return None;
    }
    let redirected = !same_page(served.requested_url, served.final_url);
    let to_login = redirected
        && words::LOGIN_URL_RE.is_match(served.final_url)
        && !words::LOGIN_URL_RE.is_match(served.requested_url);
    if !shape.thin && shape.truncated.is_none() && !to_login {
        return None;
    }
    let html = super::cut(served.html, super::MAX_HTML_BYTES);
    let scan = scan::scan(html);
    let mut cases = Vec::new();

    if shape.thin {
        let mut c = Case::new(WallKind::Consent);
        let text = c.add(phrase(&words::CONSENT_RE, &scan.text, "text"));
        let button = c.add(label(&words::CONSENT_LABEL_RE, &scan));
        let markup = c.add(vendor(&CONSENT, html, "consent manager markup"));
        c.add(collapse_evidence(&shape));
        if (button || (text && markup)) && c.sources >= 2 {
            cases.push(c);
        }

        let mut c = Case::new(WallKind::BotChallenge);
        let title = c.add(phrase(&words::BOT_RE, &scan.title, "title"));
        let text = c.add(other_phrase(&words::BOT_RE, &scan));
        let markup = c.add(vendor(&BOT, html, "bot protection markup"));
        c.add(matches!(served.status, 401 | 403 | 429 | 503).then(|| format!("HTTP {}", served.status)));
        if (title || text || markup) && c.sources >= 2 {
            cases.push(c);
        }

        let mut c = Case::new(WallKind::SoftNotFound);
        let title = c.add(phrase(&words::NOT_FOUND_RE, &scan.title, "title"));
        let text = c.add(other_phrase(&words::NOT_FOUND_RE, &scan));
        let path = url::Url::parse(served.final_url).ok().map(|u| u.path().to_string()).unwrap_or_default();
        c.add(if redirected && path.trim_end_matches('/').is_empty() {
            Some("redirected to the home page".to_string())
        } else {
            words::NOT_FOUND_URL_RE.is_match(&path).then(|| format!("URL {path}"))
        });
        c.add(collapse_evidence(&shape));
        if (title || text) && c.sources >= 2 {
            cases.push(c);
        }

        let readable = scan.words();
        if shape.real_words < 15 && readable < 20 && scan.scripts > 0 {
            let mut c = Case::new(WallKind::AppShell);
            c.evidence.push(format!("no readable text ({readable} words)"));
            c.add(words::MOUNT_RE.find(html).map(|m| format!("mount point {}", m.as_str())));
            c.add(
                phrase(&words::NEEDS_SCRIPT_RE, &scan.noscript, "noscript")
                    .or_else(|| phrase(&words::NEEDS_SCRIPT_RE, &scan.text, "text")),
            );
            let share = scan.script_bytes * 100 / html.len().max(1);
            c.add(
                (scan.scripts >= 3 || share >= 50).then(|| format!("{} scripts, {share}% of the page", scan.scripts)),
            );
            if c.sources >= 2 {
                cases.push(c);
            }
        }
    }

    if shape.thin || shape.truncated.is_some() {
        let mut c = Case::new(WallKind::Paywall);
        let found: Vec<&str> = {
            let mut seen: Vec<&str> = Vec::new();
            for m in spoken(&words::PAYWALL_RE, &scan.text) {
                if !seen.contains(&m.as_str()) {
                    seen.push(m.as_str());
                }
            }
            seen
        };
        if let Some(first) = found.first() {
            c.add(Some(format!("text \"{first}\"")));
        }
        if let Some(second) = found.get(1) {
            c.add(Some(format!("text \"{second}\"")));
        }
        let flag = PAYWALL.first().is_some_and(|(_, re)| re.is_match(html));
        c.add(vendor(&PAYWALL, html, "paywall markup"));
        let cut = c.add(shape.truncated.clone());
        c.add(collapse_evidence(&shape));
        // A story cut short is also what an editor trimming it looks like, on a site whose
        // every page carries the subscription prompt: two paywall signs besides the cut.
        let needed = if cut { 3 } else { 2 };
        if (!found.is_empty() || flag) && c.sources >= needed {
            cases.push(c);
        }
    }

    if to_login {
        let mut c = Case::new(WallKind::LoginRedirect);
        c.add(Some(format!("redirected to {}", served.final_url)));
        c.add(scan.password.then(|| "password field".to_string()));
        c.add(
            phrase(&words::SIGN_IN_RE, &scan.title, "title").or_else(|| {
                scan.labels.iter().find(|l| words::SIGN_IN_RE.is_match(l)).map(|l| format!("button \"{l}\""))
            }),
        );
        if c.sources >= 2 {
            cases.push(c);
        }
    }

    let rank = |k: WallKind| WallKind::ALL.iter().position(|x| *x == k).unwrap_or(usize::MAX);
    let best = cases.into_iter().min_by_key(|c| (std::cmp::Reverse(c.sources), rank(c.kind)))?;
    Some(Wall { kind: best.kind, evidence: best.evidence })
}

#[cfg(test)]
mod tests;
