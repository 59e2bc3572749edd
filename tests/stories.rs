//! Stories across outlets through the real daemon: a local newsroom of five
//! outlets (five feeds) covering three events, one outlet republishing agency
//! copy under another headline, one outlet adding a fact later. After `run --once`
//! the articles must be grouped with pair precision and recall of at least 0.95,
//! the agency copy found with what changed, each outlet's own sentences shown (API
//! and page), the late fact reported, and `redline stories` list every story.
//! Every article here is text written for this test.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use common::{open_store, redline, run_once, write_config};
use redline::web::{WebOptions, WebState, serve};

/// One fixture article: outlet, slug, event, headline, paragraphs.
struct Piece {
    outlet: &'static str,
    slug: &'static str,
    event: &'static str,
    title: &'static str,
    paragraphs: Vec<&'static str>,
}

const OUTLETS: [&str; 5] = ["wire", "gazette", "herald", "post", "courier"];

const WIRE_BRIDGE: [&str; 4] = [
    "The Harbour Bridge in Port Carrow was closed to all traffic on Monday after engineers found a crack in its northern span, the Transport Authority said.",
    "Mayor Ines Okafor said about 1,200 commuters who cross the bay each morning would be carried by the Carrow Ferry Company from North Quay until further notice.",
    "Chief Engineer Samuel Reyes said repairs would take at least 14 days and cost an estimated 3,500,000 dollars.",
    "The bridge, opened in 1961, carries the main road between the two halves of the city.",
];
const GAZETTE_OWN: &str =
    "Traders on North Quay said they expected a busy fortnight as ferry passengers pass their stalls every morning.";
const HERALD_OWN: &str =
    "A spokesman for the harbour pilots declined to comment on whether shipping would be affected.";
const POST_OWN: &str = "Cyclists will be allowed to walk their bikes across the southern footway under police escort.";
const POST_LATE: &str = "The Transport Authority said the repairs would cost 3,500,000 dollars.";
const COURIER_OWN: &str = "Tickets on the extra sailings will be free for the first three days, the company said.";

fn pieces(post_updated: bool) -> Vec<Piece> {
    let mut post_bridge = vec![
        "Engineers closed the Harbour Bridge in Port Carrow on Monday after spotting a crack beneath the northern span.",
        "Mayor Ines Okafor said the Carrow Ferry Company would add boats from North Quay for the 1,200 commuters affected.",
        "Chief Engineer Samuel Reyes expects the closure to last 14 days while crews inspect every girder.",
        POST_OWN,
    ];
    if post_updated {
        post_bridge.push(POST_LATE);
    }
    vec![
        Piece {
            outlet: "wire",
            slug: "bridge-closed",
            event: "bridge",
            title: "Harbour Bridge closed after engineers find crack",
            paragraphs: WIRE_BRIDGE.to_vec(),
        },
        Piece {
            outlet: "gazette",
            slug: "carrow-bridge-shut",
            event: "bridge",
            title: "Carrow bridge shut: ferries for a fortnight",
            paragraphs: vec![WIRE_BRIDGE[0], WIRE_BRIDGE[1], WIRE_BRIDGE[2], GAZETTE_OWN],
        },
        Piece {
            outlet: "herald",
            slug: "bridge-crack",
            event: "bridge",
            title: "Crack in northern span shuts Harbour Bridge",
            paragraphs: vec![
                "Commuters in Port Carrow face weeks of disruption: the Harbour Bridge shut on Monday when a crack was found in the northern span.",
                "The Transport Authority put the repair bill at 3,500,000 dollars and said the work would last 14 days, according to Chief Engineer Samuel Reyes.",
                "Mayor Ines Okafor asked the 1,200 daily drivers for patience and pointed them to the Carrow Ferry Company boats leaving North Quay.",
                HERALD_OWN,
            ],
        },
        Piece {
            outlet: "post",
            slug: "bridge",
            event: "bridge",
            title: "Port Carrow loses its bridge for two weeks",
            paragraphs: post_bridge,
        },
        Piece {
            outlet: "courier",
            slug: "ferries",
            event: "bridge",
            title: "Ferries replace Harbour Bridge traffic",
            paragraphs: vec![
                "The Carrow Ferry Company began extra sailings from North Quay on Monday after the Harbour Bridge was closed.",
                "The Transport Authority said a crack in the northern span needs 14 days of work costing 3,500,000 dollars.",
                "Mayor Ines Okafor said 1,200 commuters would be affected in Port Carrow.",
                COURIER_OWN,
            ],
        },
        Piece {
            outlet: "wire",
            slug: "election",
            event: "election",
            title: "Brandt re-elected governor of Lake Umber",
            paragraphs: vec![
                "Governor Talia Brandt won a second term in Lake Umber on Sunday with 58 percent of the vote, the Electoral Board said.",
                "The Green Coalition doubled its seats in the assembly to 24, while the Liberty Party under Marco Vidal fell to 31.",
                "Turnout reached 71 percent, with 312,000 ballots cast across the province.",
                "Observers from the regional assembly reported no irregularities at polling stations.",
            ],
        },
        Piece {
            outlet: "herald",
            slug: "election",
            event: "election",
            title: "Lake Umber returns Brandt as Greens surge",
            paragraphs: vec![
                "Voters in Lake Umber gave Governor Talia Brandt 58 percent on Sunday, according to the Electoral Board.",
                "The Green Coalition now holds 24 seats and the Liberty Party of Marco Vidal holds 31.",
                "Some 312,000 people voted, a turnout of 71 percent.",
                "Brandt promised to build a new rail line to the northern valleys in her victory speech.",
            ],
        },
        Piece {
            outlet: "post",
            slug: "election",
            event: "election",
            title: "Brandt wins again in Lake Umber",
            paragraphs: vec![
                "Governor Talia Brandt secured 58 percent of the vote in Lake Umber, the Electoral Board announced on Sunday.",
                "Turnout was 71 percent. The Green Coalition won 24 seats.",
                "Marco Vidal, whose Liberty Party dropped to 31 seats, conceded shortly after midnight as 312,000 votes were counted.",
                "Markets in the provincial capital were closed for the vote and reopen on Tuesday.",
            ],
        },
        Piece {
            outlet: "gazette",
            slug: "mill-fire",
            event: "fire",
            title: "Fire guts Dunmore Textile Works",
            paragraphs: vec![
                "A fire destroyed most of the Dunmore Textile Works in Ashby Vale overnight, and 60 firefighters fought the blaze for 11 hours.",
                "Fire Chief Helen Park said all 150 workers on the night shift were evacuated safely.",
                "Ashby Vale Council warned residents near the River Lenn to keep windows closed because of the smoke.",
                "The mill, which makes blankets for hospitals, was sold to new owners last spring.",
            ],
        },
        Piece {
            outlet: "courier",
            slug: "mill-fire",
            event: "fire",
            title: "Ashby Vale mill fire: 150 workers escape",
            paragraphs: vec![
                "All 150 night-shift workers escaped when fire swept through the Dunmore Textile Works in Ashby Vale, Fire Chief Helen Park said.",
                "It took 60 firefighters 11 hours to bring the flames under control.",
                "Ashby Vale Council told people living by the River Lenn to stay indoors.",
                "Police have opened an inquiry into the cause of the fire.",
            ],
        },
        Piece {
            outlet: "herald",
            slug: "mill-fire",
            event: "fire",
            title: "Dunmore Textile Works destroyed by overnight blaze",
            paragraphs: vec![
                "Fire Chief Helen Park praised the 60 firefighters who battled the Dunmore Textile Works fire in Ashby Vale for 11 hours.",
                "The 150 workers on shift were evacuated before the roof collapsed.",
                "Smoke drifted over the River Lenn, and Ashby Vale Council advised residents to shut their windows.",
                "The owners said they hoped to rebuild the mill within a year.",
            ],
        },
    ]
}

/// The page of an article; `now` dates it (the site's start).
fn page(p: &Piece, now: i64) -> String {
    let body: String = p.paragraphs.iter().map(|t| format!("<p>{t}</p>\n")).collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} | {o}</title>\
         <meta property=\"og:title\" content=\"{t}\"><meta property=\"article:published_time\" content=\"{published}\">\
         </head><body><header><nav><a href=\"/{o}/\">{o} home</a></nav></header>\
         <article><h1>{t}</h1>\n{body}</article><footer>All rights reserved by the {o}.</footer></body></html>",
        t = p.title,
        o = p.outlet,
        // The agency published first.
        published = published_at(now, if p.outlet == "wire" { 3 } else { 1 }),
    )
}

/// An RFC 3339 time `hours` before `now`: the articles are fresh whenever the test runs.
fn published_at(now: i64, hours: i64) -> String {
    let at = chrono::DateTime::from_timestamp(now - hours * 3600, 0).unwrap();
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn feed(base: &str, outlet: &str, all: &[Piece]) -> String {
    let items: String = all
        .iter()
        .filter(|p| p.outlet == outlet)
        .map(|p| format!("<item><title>{}</title><link>{base}/{outlet}/{}</link></item>", p.title, p.slug))
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{outlet}</title><link>{base}/{outlet}/</link>{items}</channel></rss>"
    )
}

/// The newsroom: which version of the fixture it serves.
#[derive(Clone)]
struct Site {
    base: Arc<Mutex<String>>,
    post_updated: Arc<Mutex<bool>>,
    /// When the site started, Unix seconds: every page's publication time derives from it.
    started: i64,
}

async fn serve_path(
    State(site): State<Site>,
    Path((outlet, slug)): Path<(String, String)>,
) -> axum::response::Response {
    let all = pieces(*site.post_updated.lock().unwrap());
    if slug == "rss.xml" {
        let base = site.base.lock().unwrap().clone();
        return ([(header::CONTENT_TYPE, "application/rss+xml")], feed(&base, &outlet, &all)).into_response();
    }
    match all.iter().find(|p| p.outlet == outlet && p.slug == slug) {
        Some(p) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page(p, site.started)).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn start_site() -> (String, Site) {
    let site = Site {
        base: Arc::new(Mutex::new(String::new())),
        post_updated: Arc::new(Mutex::new(false)),
        started: chrono::Utc::now().timestamp(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    *site.base.lock().unwrap() = base.clone();
    let app = axum::Router::new().route("/{outlet}/{slug}", axum::routing::get(serve_path)).with_state(site.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, site)
}

/// Precision and recall over pairs of articles: the truth's pairs (same event) against
/// the grouping's (same story).
fn pair_scores(truth: &BTreeMap<String, &str>, story_of: &BTreeMap<String, i64>) -> (f64, f64) {
    let urls: Vec<&String> = truth.keys().collect();
    let (mut both, mut predicted, mut actual) = (0, 0, 0);
    for (i, a) in urls.iter().enumerate() {
        for b in &urls[i + 1..] {
            let same_event = truth[*a] == truth[*b];
            let same_story = story_of.get(*a).is_some() && story_of.get(*a) == story_of.get(*b);
            both += usize::from(same_event && same_story);
            predicted += usize::from(same_story);
            actual += usize::from(same_event);
        }
    }
    (both as f64 / predicted.max(1) as f64, both as f64 / actual.max(1) as f64)
}

async fn get_text(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_outlets_three_events_are_grouped_with_agency_copy_and_own_sentences() {
    let (base, site) = start_site().await;
    let dir = tempfile::tempdir().unwrap();
    let others: String =
        OUTLETS[1..].iter().map(|o| format!("[[watch]]\nfeed = \"{base}/{o}/rss.xml\"\nevery = \"5m\"\n\n")).collect();
    let config = write_config(dir.path(), &format!("{base}/{}/rss.xml", OUTLETS[0]), &others);
    run_once(&config).await;
    // Round 2: the post adds the cost the wire, the herald and the courier had from the start.
    *site.post_updated.lock().unwrap() = true;
    // Fetch times are whole seconds: the edit must be seen in a later second than the
    // first round's pages, or "after another outlet had it" cannot be told.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    run_once(&config).await;

    let store = Arc::new(open_store(dir.path()).unwrap());
    let truth: BTreeMap<String, &str> =
        pieces(true).iter().map(|p| (format!("{base}/{}/{}", p.outlet, p.slug), p.event)).collect();
    let mut story_of = BTreeMap::new();
    for url in truth.keys() {
        let article = store.article_by_url(url).unwrap().unwrap_or_else(|| panic!("{url} was not recorded"));
        assert!(article.versions >= 1, "{url}");
        if let Some(story) = store.story_of(article.id).unwrap() {
            story_of.insert(url.clone(), story);
        }
    }
    let (precision, recall) = pair_scores(&truth, &story_of);
    assert!(precision >= 0.95 && recall >= 0.95, "precision {precision}, recall {recall}: {story_of:?}");
    let stories: BTreeSet<i64> = story_of.values().copied().collect();
    assert_eq!(stories.len(), 3, "{story_of:?}");

    // The API and the page of the bridge story.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let web = format!("http://{}", listener.local_addr().unwrap());
    let state = WebState::new(Arc::clone(&store), WebOptions::default()).unwrap();
    tokio::spawn(async move { serve(listener, state, std::future::pending()).await.unwrap() });
    let bridge = story_of[&format!("{base}/wire/bridge-closed")];
    let (status, body) = get_text(&format!("{web}/api/stories/{bridge}")).await;
    assert_eq!(status, 200, "{body}");
    let api: serde_json::Value = serde_json::from_str(&body).unwrap();
    let id_of = |slug: &str| store.article_by_url(&format!("{base}/{slug}")).unwrap().unwrap().id;
    let (wire, gazette, post) =
        (id_of("wire/bridge-closed"), id_of("gazette/carrow-bridge-shut"), id_of("post/bridge"));
    assert_eq!(api["articles"].as_array().unwrap().len(), 5, "{api:#}");
    let copies = api["agency_copies"].as_array().unwrap();
    assert_eq!(copies.len(), 1, "{api:#}");
    assert_eq!((copies[0]["original"].as_i64(), copies[0]["copy"].as_i64()), (Some(wire), Some(gazette)));
    assert_eq!(copies[0]["headline_from"], "Harbour Bridge closed after engineers find crack");
    assert_eq!(copies[0]["headline_to"], "Carrow bridge shut: ferries for a fortnight");
    assert_eq!(copies[0]["added"], serde_json::json!([GAZETTE_OWN]));
    assert_eq!(copies[0]["removed"], serde_json::json!([WIRE_BRIDGE[3]]));
    let own: Vec<String> = api["own_sentences"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["sentences"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()))
        .collect();
    for sentence in [GAZETTE_OWN, HERALD_OWN, POST_OWN, COURIER_OWN, WIRE_BRIDGE[3]] {
        assert!(own.iter().any(|s| s == sentence), "{sentence:?} is not among the own sentences: {own:#?}");
    }
    // Shared facts are nobody's own.
    assert!(!own.iter().any(|s| s == WIRE_BRIDGE[0]), "{own:#?}");
    let late = api["late_facts"].as_array().unwrap();
    assert!(
        late.iter().any(|f| f["article_id"].as_i64() == Some(post) && f["fact"] == "3500000" && f["version"] == 2),
        "{api:#}"
    );
    let timeline = api["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 6, "five first sightings and the post's edit: {api:#}");
    assert!(timeline.iter().any(|e| e["event"] == "edit" && e["article_id"].as_i64() == Some(post)));

    let (status, html) = get_text(&format!("{web}/stories/{bridge}")).await;
    assert_eq!(status, 200);
    for sentence in [GAZETTE_OWN, HERALD_OWN, POST_OWN, COURIER_OWN] {
        assert!(html.contains(sentence), "the page lacks {sentence:?}");
    }
    assert!(html.contains("Carrow bridge shut: ferries for a fortnight"));
    let (status, atom) = get_text(&format!("{web}/stories/{bridge}/feed.atom")).await;
    assert_eq!(status, 200);
    assert_eq!(atom.matches("<entry>").count(), 6, "{atom}");
    let (status, _) = get_text(&format!("{web}/stories/99999")).await;
    assert_eq!(status, 404);

    // The CLI lists the three stories with every article's URL.
    let out = redline(&["--config", config.to_str().unwrap(), "stories", "--format", "json"]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let urls: BTreeSet<String> = listed["stories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["articles"].as_array().unwrap().iter().map(|a| a["url"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(listed["stories"].as_array().unwrap().len(), 3);
    assert_eq!(urls, truth.keys().cloned().collect::<BTreeSet<_>>());
    let text = redline(&["--config", config.to_str().unwrap(), "stories"]).await;
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains(&format!("{base}/gazette/carrow-bridge-shut")), "{text}");
}
