//! Page rendering for the simulated newsroom: full newspaper pages with all the furniture
//! (nav, ticker, "Most read", newsletter box, ads, comment form, related stories, footer),
//! plus the RSS feed.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, FixedOffset};

use super::articles::{Layout, Story, Version};

pub(crate) const SITE_NAME: &str = "The Port Alder Courier";

/// The site clock at start-up; it moves with real time and `tick`.
const CLOCK_START: &str = "2025-06-12T11:30:00-04:00";

/// What changes on every request or with the clock, never with an edit.
pub(crate) struct Noise {
    pub ad_id: String,
    pub csrf: String,
    /// Minutes the site clock has moved since start.
    pub clock_minutes: u64,
}

/// Everything a page needs besides the story itself.
pub(crate) struct Site<'a> {
    pub base_url: &'a str,
    /// Currently published stories with their current versions, newest first.
    pub published: Vec<(&'a Story, &'a Version)>,
    pub noise: Noise,
}

impl Site<'_> {
    fn url(&self, slug: &str) -> String {
        format!("{}/news/{}", self.base_url, slug)
    }
}

pub(crate) use crate::text::escape_html as escape;

/// Story times are written relative to [`CLOCK_START`]; the site moves them so
/// that its clock starts at the real time the process first served a page: the
/// stories are hours old, as a live newsroom's are, whenever the demo runs.
static SHIFT: std::sync::LazyLock<Duration> = std::sync::LazyLock::new(|| {
    let start = DateTime::parse_from_rfc3339(CLOCK_START).expect("valid clock start");
    chrono::Utc::now().with_timezone(start.offset()) - start
});

/// A story time, moved to the site's real clock.
fn parse(ts: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(ts).expect("valid RFC 3339 in story data") + *SHIFT
}

/// A story time as RFC 3339, moved to the site's real clock.
pub(crate) fn shifted(ts: &str) -> String {
    parse(ts).to_rfc3339()
}

/// "June 12, 2025, 7:40 a.m. ET"
fn human_date(ts: &str) -> String {
    let t = parse(ts);
    format!("{}, {} ET", t.format("%B %-d, %Y"), clock_time(t))
}

fn clock_time(t: DateTime<FixedOffset>) -> String {
    t.format("%-I:%M %p").to_string().replace("AM", "a.m.").replace("PM", "p.m.")
}

pub(crate) fn ago(minutes: u64) -> String {
    match minutes {
        0 => "just now".to_string(),
        1 => "1 minute ago".to_string(),
        2..=59 => format!("{minutes} minutes ago"),
        60..=119 => "1 hour ago".to_string(),
        _ => format!("{} hours ago", minutes / 60),
    }
}

fn head(out: &mut String, title: &str, extra: &str) {
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/css/courier.4f2a91.css">
<link rel="alternate" type="application/rss+xml" title="{site}" href="/feed.xml">
{extra}<script async src="/static/js/analytics.js"></script>
</head>
"#,
        title = escape(title),
        site = SITE_NAME,
    );
}

fn site_header(out: &mut String, site: &Site) {
    let now = parse(CLOCK_START) + Duration::minutes(site.noise.clock_minutes as i64);
    let _ = write!(
        out,
        r##"<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
<div class="masthead"><a href="/" class="logo">{SITE_NAME}</a>
<span class="dateline">{date} &middot; {time}</span>
<a class="subscribe-button" href="/subscribe">Subscribe for $1</a> <a class="login" href="/login">Log in</a></div>
<nav class="primary-nav" aria-label="Sections"><ul>
<li><a href="/">Home</a></li><li><a href="/section/local">Local</a></li><li><a href="/section/politics">Politics</a></li><li><a href="/section/business">Business</a></li><li><a href="/section/education">Education</a></li><li><a href="/section/world">World</a></li><li><a href="/section/weather">Weather</a></li><li><a href="/section/opinion">Opinion</a></li><li><a href="/obituaries">Obituaries</a></li>
</ul></nav>
</header>
<div class="breaking-ticker" role="marquee" aria-live="polite"><span class="ticker-label">Breaking</span><ul>
<li><a href="/live/council-budget">Live: City Council budget session continues</a></li>
<li>Fog advisory for the river valley lifted at 9 a.m.</li>
<li>Orioles-Red Sox game postponed; doubleheader Saturday</li>
</ul></div>
<div class="ad-slot ad-leaderboard" id="ad-top" data-slot="leaderboard" data-creative-id="{ad}"><span class="ad-label">Advertisement</span><a href="https://ads.example.net/click?cr={ad}" rel="sponsored nofollow"><img src="/static/ads/{ad}.jpg" width="728" height="90" alt="Sponsored"></a></div>
"##,
        date = now.format("%A, %B %-d, %Y"),
        time = clock_time(now),
        ad = site.noise.ad_id,
    );
}

fn sidebar(out: &mut String, site: &Site) {
    out.push_str("<aside class=\"sidebar\">\n<section class=\"most-read\"><h2>Most read</h2><ol>\n");
    let mut ranked: Vec<_> = site.published.clone();
    ranked.sort_by_key(|(s, _)| s.most_read_minutes);
    for (s, v) in ranked.iter().take(5) {
        let _ = writeln!(
            out,
            r#"<li><a href="{url}">{hed}</a> <span class="time-ago">{ago}</span></li>"#,
            url = escape(&site.url(s.slug)),
            hed = escape(&v.headline),
            ago = ago(s.most_read_minutes + site.noise.clock_minutes),
        );
    }
    let _ = write!(
        out,
        r#"</ol></section>
<section class="newsletter-signup"><h2>The Morning Courier</h2><p>Get the day's top stories from Port Alder in your inbox every weekday at 6 a.m.</p>
<form action="/newsletters/subscribe" method="post"><label for="nl-email">Email address</label><input id="nl-email" type="email" name="email" placeholder="you@example.com" required><button type="submit">Sign up</button></form>
<p class="fine-print">By signing up you agree to our <a href="/terms">Terms of Service</a> and <a href="/privacy">Privacy Policy</a>.</p></section>
<div class="ad-slot ad-rail" id="ad-rail" data-slot="rail" data-creative-id="{ad}"><span class="ad-label">Advertisement</span><a href="https://ads.example.net/click?cr={ad}&amp;slot=rail" rel="sponsored nofollow"><img src="/static/ads/{ad}-300x250.jpg" width="300" height="250" alt="Sponsored"></a><small class="ad-ref">Ad ID {ad}</small></div>
</aside>
"#,
        ad = site.noise.ad_id,
    );
}

fn footer(out: &mut String) {
    let _ = write!(
        out,
        r#"<footer class="site-footer">
<nav aria-label="Footer"><ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact the newsroom</a></li><li><a href="/corrections">Corrections policy</a></li><li><a href="/ethics">Ethics</a></li><li><a href="/careers">Careers</a></li><li><a href="/advertise">Advertise</a></li></ul></nav>
<p>&copy; 2025 {SITE_NAME}, 200 Harbor St., Port Alder. All rights reserved.</p>
<p>Use of this site constitutes acceptance of our User Agreement and Privacy Policy. Do not sell or share my personal information.</p>
</footer>
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"pageType": "article"}});</script>
</body>
</html>
"#
    );
}

fn json_ld(site: &Site, story: &Story, v: &Version) -> String {
    let value = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": site.url(story.slug)},
        "headline": v.headline,
        "description": story.dek,
        "articleSection": story.section,
        "datePublished": shifted(story.published),
        "dateModified": shifted(v.modified),
        "author": [{"@type": "Person", "name": story.author, "url": format!("{}/staff/{}", site.base_url, slugify(story.author))}],
        "publisher": {"@type": "Organization", "name": SITE_NAME, "logo": {"@type": "ImageObject", "url": format!("{}/static/img/logo.png", site.base_url)}},
        "isAccessibleForFree": true,
    });
    // "</" cannot occur in our data, but keep the script block safe regardless.
    serde_json::to_string_pretty(&value).expect("json").replace("</", "<\\/")
}

fn slugify(name: &str) -> String {
    name.to_lowercase().replace(' ', "-")
}

/// A full article page.
pub(crate) fn article_page(site: &Site, story: &Story, v: &Version) -> String {
    let url = site.url(story.slug);
    let meta = format!(
        r#"<meta name="description" content="{dek}">
<meta name="author" content="{author}">
<link rel="canonical" href="{url}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{SITE_NAME}">
<meta property="og:title" content="{hed}">
<meta property="og:description" content="{dek}">
<meta property="og:url" content="{url}">
<meta property="og:image" content="{base}/static/img/{slug}.jpg">
<meta property="article:published_time" content="{published}">
<meta property="article:modified_time" content="{modified}">
<meta property="article:author" content="{author}">
<meta property="article:section" content="{section}">
<meta name="twitter:card" content="summary_large_image">
<script type="application/ld+json">
{ld}
</script>
"#,
        dek = escape(story.dek),
        author = escape(story.author),
        url = escape(&url),
        hed = escape(&v.headline),
        base = site.base_url,
        slug = story.slug,
        published = shifted(story.published),
        modified = shifted(v.modified),
        section = escape(story.section),
        ld = json_ld(site, story, v),
    );
    let mut out = String::with_capacity(24 * 1024);
    head(&mut out, &format!("{} | {}", v.headline, SITE_NAME), &meta);
    site_header(&mut out, site);
    let related: Vec<_> = site.published.iter().filter(|(s, _)| s.slug != story.slug).take(3).collect();
    match story.layout {
        Layout::Semantic => semantic_story(&mut out, site, story, v),
        Layout::StoryBody => story_body(&mut out, site, story, v, related.first().copied()),
    }
    author_box(&mut out, story);
    out.push_str("<section class=\"related-stories\"><h2>Related stories</h2><ul>\n");
    for (s, rv) in &related {
        let _ = writeln!(
            out,
            r#"<li><a href="{}">{}</a> <span class="section">{}</span></li>"#,
            escape(&site.url(s.slug)),
            escape(&rv.headline),
            escape(s.section)
        );
    }
    out.push_str("</ul></section>\n");
    let _ = write!(
        out,
        r#"<section class="comments" id="comments"><h2>Join the conversation</h2>
<p class="comment-policy">Comments are moderated and may take up to an hour to appear. Please keep it civil.</p>
<form class="comment-form" action="/comments/{slug}" method="post">
<input type="hidden" name="csrf_token" value="{csrf}">
<label for="comment-body">Your comment</label><textarea id="comment-body" name="body" rows="4"></textarea>
<button type="submit">Post comment</button></form></section>
"#,
        slug = story.slug,
        csrf = site.noise.csrf,
    );
    out.push_str(match story.layout {
        Layout::Semantic => "</main>\n",
        Layout::StoryBody => "</div></div>\n",
    });
    sidebar(&mut out, site);
    footer(&mut out);
    out
}

fn dates_line(story: &Story, v: &Version, time_tag: bool) -> String {
    let mut line = if time_tag {
        format!(
            r#"<time class="published" datetime="{}">{}</time>"#,
            shifted(story.published),
            human_date(story.published)
        )
    } else {
        format!("Published {}", human_date(story.published))
    };
    if v.modified != story.published {
        if time_tag {
            let _ = write!(
                line,
                r#" <span class="updated">Updated <time class="modified" datetime="{}">{}</time></span>"#,
                shifted(v.modified),
                human_date(v.modified)
            );
        } else {
            let _ = write!(line, " | Updated {}", human_date(v.modified));
        }
    }
    line
}

fn semantic_story(out: &mut String, site: &Site, story: &Story, v: &Version) {
    let _ = write!(
        out,
        r#"<main id="main" class="layout-article">
<article class="story" data-story-id="{slug}">
<header class="story-header">
<p class="kicker"><a href="/section/{sec_slug}">{section}</a></p>
<h1 class="headline">{hed}</h1>
<p class="dek">{dek}</p>
<p class="byline">By <a rel="author" href="{base}/staff/{author_slug}">{author}</a></p>
<p class="story-dates">{dates}</p>
</header>
<figure class="lead-image"><img src="/static/img/{slug}.jpg" alt=""><figcaption>Photo: {SITE_NAME} staff</figcaption></figure>
<div class="article-body">
"#,
        slug = story.slug,
        sec_slug = story.section.to_lowercase(),
        section = escape(story.section),
        hed = escape(&v.headline),
        dek = escape(story.dek),
        base = site.base_url,
        author_slug = slugify(story.author),
        author = escape(story.author),
        dates = dates_line(story, v, true),
    );
    for p in &v.paragraphs {
        let _ = writeln!(out, "<p>{}</p>", escape(p));
    }
    out.push_str("</div>\n</article>\n");
}

fn story_body(out: &mut String, site: &Site, story: &Story, v: &Version, read_more: Option<&(&Story, &Version)>) {
    let _ = write!(
        out,
        r#"<div id="content" class="page-content"><div class="story-wrap cms-template-7">
<div class="story-meta"><span class="section-label">{section}</span></div>
<div class="story-headline" role="heading" aria-level="1">{hed}</div>
<div class="story-standfirst">{dek}</div>
<div class="story-byline">By <span class="author-name">{author}</span> | {dates}</div>
<div class="story-share"><a href="/share/email">Email</a> <a href="/share/facebook">Share</a> <a href="/share/x">Post</a> <span class="comment-count">Comments</span></div>
<div class="story-body">
"#,
        section = escape(story.section),
        hed = escape(&v.headline),
        dek = escape(story.dek),
        author = escape(story.author),
        dates = dates_line(story, v, false),
    );
    for (i, p) in v.paragraphs.iter().enumerate() {
        let _ = writeln!(out, "<p>{}</p>", escape(p));
        if i == 1 {
            let _ = writeln!(
                out,
                r#"<div class="ad-slot ad-inline" data-slot="inline" data-creative-id="{}"><span class="ad-label">Advertisement</span></div>"#,
                site.noise.ad_id
            );
        }
        if let (3, Some((s, rv))) = (i, read_more) {
            let _ = writeln!(
                out,
                r#"<div class="read-more"><strong>Read more:</strong> <a href="{}">{}</a></div>"#,
                escape(&site.url(s.slug)),
                escape(&rv.headline)
            );
        }
    }
    out.push_str("</div>\n");
}

fn author_box(out: &mut String, story: &Story) {
    let _ = writeln!(
        out,
        r#"<div class="author-bio"><img src="/static/img/staff/{slug}.jpg" alt="{author}" width="64" height="64"><div class="author-bio-text"><p class="author-bio-name">{author}</p><p>{bio}</p><a href="mailto:{slug}@portaldercourier.example">Email the reporter</a></div></div>"#,
        slug = slugify(story.author),
        author = escape(story.author),
        bio = escape(story.author_bio),
    );
}

/// The front page: every published story, newest first.
pub(crate) fn front_page(site: &Site) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let meta = format!(
        "<link rel=\"canonical\" href=\"{}/\">\n<meta property=\"og:type\" content=\"website\">\n<meta property=\"og:site_name\" content=\"{SITE_NAME}\">\n",
        site.base_url
    );
    head(&mut out, &format!("{SITE_NAME} | Port Alder news, weather and sports"), &meta);
    site_header(&mut out, site);
    out.push_str("<main id=\"main\" class=\"layout-front\"><h1 class=\"visually-hidden\">Top stories</h1>\n<ul class=\"story-list\">\n");
    for (s, v) in &site.published {
        let _ = writeln!(
            out,
            r#"<li class="story-card"><span class="section">{section}</span> <h2><a href="{url}">{hed}</a></h2><p class="dek">{dek}</p><p class="byline">By {author} &middot; <time datetime="{published}">{when}</time></p></li>"#,
            section = escape(s.section),
            url = escape(&site.url(s.slug)),
            hed = escape(&v.headline),
            dek = escape(s.dek),
            author = escape(s.author),
            published = shifted(s.published),
            when = human_date(s.published),
        );
    }
    out.push_str("</ul></main>\n");
    sidebar(&mut out, site);
    footer(&mut out);
    out
}

/// A 404 page with the usual chrome.
pub(crate) fn not_found_page(site: &Site) -> String {
    let mut out = String::new();
    head(&mut out, &format!("Page not found | {SITE_NAME}"), "");
    site_header(&mut out, site);
    out.push_str("<main id=\"main\"><h1>Page not found</h1><p>Sorry, we couldn't find that page. Try the <a href=\"/\">home page</a>.</p></main>\n");
    footer(&mut out);
    out
}

/// RSS 2.0 of the published stories.
pub(crate) fn feed(site: &Site) -> String {
    let last = site.published.iter().map(|(_, v)| parse(v.modified)).max().unwrap_or_else(|| parse(CLOCK_START));
    let mut out = String::with_capacity(8 * 1024);
    let _ = write!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>{SITE_NAME}</title>
<link>{base}/</link>
<description>Latest news from Port Alder and beyond</description>
<language>en-us</language>
<lastBuildDate>{last}</lastBuildDate>
<atom:link href="{base}/feed.xml" rel="self" type="application/rss+xml"/>
"#,
        base = site.base_url,
        last = last.to_rfc2822(),
    );
    for (s, v) in &site.published {
        let url = escape(&site.url(s.slug));
        let _ = write!(
            out,
            r#"<item>
<title>{hed}</title>
<link>{url}</link>
<guid isPermaLink="true">{url}</guid>
<pubDate>{date}</pubDate>
<dc:creator>{author}</dc:creator>
<category>{section}</category>
<description>{dek}</description>
</item>
"#,
            hed = escape(&v.headline),
            date = parse(s.published).to_rfc2822(),
            author = escape(s.author),
            section = escape(s.section),
            dek = escape(s.dek),
        );
    }
    out.push_str("</channel>\n</rss>\n");
    out
}
