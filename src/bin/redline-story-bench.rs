//! Story grouping benchmark: the cost of grouping one new article into its story
//! (fingerprint, then the LSH lookups and writes of `Store::group_article`) with
//! 10,000 and 100,000 articles already stored. It must stay flat as the archive grows:
//! grouping reads the few articles sharing a band key, never every article.
//!
//! Synthetic articles come from word lists in this file: events of one to five
//! articles from different outlets, each article a few sentences of random common
//! words with the event's names and numbers, published within hours of each other.
//! Prints figures; asserts nothing about time. Recorded in `docs/BENCHMARKS.md`:
//!
//! ```text
//! cargo run --release --bin redline-story-bench -- --sizes 10000,100000
//! ```

/// The allocator the daemon runs with (src/main.rs says why).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use redline::extract::Article;
use redline::store::{GroupTimings, NewSource, SourceKind, Store};
use redline::story::{self, Fingerprint};

#[derive(Parser, Debug)]
#[command(name = "redline-story-bench", about = "Cost of grouping a new article into its story")]
struct Args {
    /// Stored articles at which to measure, comma separated, ascending.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    sizes: Vec<usize>,
    /// New articles grouped (and timed) at each size.
    #[arg(long, default_value_t = 500)]
    probes: usize,
    /// Outlets (sources) the articles come from.
    #[arg(long, default_value_t = 50)]
    outlets: usize,
    /// The SQLite file (default: a temporary one).
    #[arg(long)]
    db: Option<PathBuf>,
    /// An SQLite pragma set after the store opened, `NAME=VALUE` (e.g. `cache_size=-65536`),
    /// to compare with the store's own settings; repeatable.
    #[arg(long)]
    pragma: Vec<String>,
}

const WORDS: &[&str] = &[
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "on",
    "for",
    "with",
    "after",
    "before",
    "over",
    "under",
    "said",
    "told",
    "city",
    "council",
    "plan",
    "week",
    "year",
    "month",
    "night",
    "morning",
    "report",
    "police",
    "court",
    "school",
    "road",
    "river",
    "market",
    "price",
    "water",
    "power",
    "union",
    "strike",
    "vote",
    "budget",
    "tax",
    "rail",
    "train",
    "bus",
    "airport",
    "hospital",
    "doctor",
    "nurse",
    "patient",
    "teacher",
    "student",
    "farmer",
    "crop",
    "storm",
    "flood",
    "fire",
    "heat",
    "snow",
    "wind",
    "bridge",
    "tunnel",
    "port",
    "ship",
    "factory",
    "worker",
    "job",
    "wage",
    "rent",
    "house",
    "home",
    "street",
    "park",
    "museum",
    "film",
    "music",
    "team",
    "match",
    "game",
    "season",
    "coach",
    "player",
    "fans",
    "stadium",
    "minister",
    "party",
    "leader",
    "election",
    "campaign",
    "inquiry",
    "judge",
    "lawyer",
    "trial",
    "prison",
    "charge",
    "fine",
    "ban",
    "law",
    "rule",
    "deal",
    "talks",
    "company",
    "bank",
    "share",
    "profit",
    "loss",
    "sale",
    "shop",
    "store",
    "online",
    "phone",
    "data",
    "privacy",
    "officials",
    "residents",
    "experts",
    "critics",
    "group",
    "members",
    "families",
    "children",
    "people",
    "closed",
    "opened",
    "rose",
    "fell",
    "grew",
    "cut",
    "raised",
    "warned",
    "promised",
    "denied",
    "confirmed",
    "announced",
    "expected",
    "planned",
    "rejected",
    "approved",
    "delayed",
    "cancelled",
    "launched",
    "ended",
    "new",
    "old",
    "local",
    "national",
    "public",
    "private",
    "major",
    "small",
    "large",
    "early",
    "late",
    "first",
    "last",
    "next",
    "second",
    "third",
    "several",
    "many",
    "few",
    "more",
    "less",
    "most",
    "about",
    "nearly",
];
const FIRST: &[&str] = &[
    "Ines", "Samuel", "Talia", "Marco", "Helen", "Omar", "Greta", "Tomas", "Amara", "Felix", "Nadia", "Victor", "Lena",
    "Ravi", "Sofia", "Kenji", "Aisha", "Pavel", "Maya", "Diego", "Hana", "Lucas", "Zara", "Ivan",
];
const LAST: &[&str] = &[
    "Okafor", "Reyes", "Brandt", "Vidal", "Park", "Haddad", "Lund", "Novak", "Mensah", "Keller", "Rossi", "Sato",
    "Costa", "Weber", "Ortiz", "Nilsen", "Kowalski", "Dubois", "Fischer", "Moreau", "Silva", "Tanaka", "Ahmed",
];
const PLACE: &[&str] = &[
    "Carrow",
    "Umber",
    "Ashby",
    "Lenn",
    "Dunmore",
    "Kestrel",
    "Marlow",
    "Thorne",
    "Wexley",
    "Brackham",
    "Elsby",
    "Fenwick",
    "Gorse",
    "Halden",
    "Ivybridge",
    "Jesmond",
    "Kirkby",
    "Larkin",
    "Moorfield",
    "Northam",
];
const PLACE_KIND: &[&str] = &["Port", "Lake", "North", "Upper", "Fort", "Saint", "West", "Glen"];

/// splitmix64: a reproducible stream of pseudo-random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// One synthetic article: its outlet, URL, publication time and text.
struct Synthetic {
    source: usize,
    url: String,
    article: Article,
    at: i64,
}

/// The articles of one event: one to five outlets, the event's names and numbers in each.
fn event(rng: &mut Rng, n: usize, outlets: usize, at: i64, tag: &str) -> Vec<Synthetic> {
    let mut names: Vec<String> = (0..4).map(|_| format!("{} {}", rng.pick(FIRST), rng.pick(LAST))).collect();
    names.extend((0..2).map(|_| format!("{} {}", rng.pick(PLACE_KIND), rng.pick(PLACE))));
    names.extend((0..3).map(|_| (10 + rng.below(999_990)).to_string()));
    let first = rng.below(outlets);
    (0..n)
        .map(|k| {
            let source = (first + k * 7) % outlets;
            let paragraphs = (0..3)
                .map(|_| {
                    (0..2)
                        .map(|_| {
                            let mut words: Vec<&str> = (0..12).map(|_| rng.pick(WORDS)).collect();
                            let name = names[rng.below(names.len())].clone();
                            let at = rng.below(words.len());
                            let mut sentence = words.drain(..at).collect::<Vec<_>>().join(" ");
                            sentence.push_str(&format!(" {name} {}.", words.join(" ")));
                            sentence
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            let title = format!("{} {} {}", names[0], rng.pick(WORDS), rng.pick(WORDS));
            Synthetic {
                source,
                url: format!("https://outlet{source}.example/{tag}/{k}"),
                article: Article { title: Some(title), paragraphs, ..Article::default() },
                at: at + rng.below(6 * 3600) as i64,
            }
        })
        .collect()
}

/// Events until `count` articles, published over a year from `start`.
fn articles(rng: &mut Rng, count: usize, outlets: usize, start: i64, tag: &str) -> Vec<Synthetic> {
    let mut out = Vec::with_capacity(count + 5);
    let mut e = 0;
    while out.len() < count {
        let at = start + (out.len() as i64 * 365 * 86_400) / count.max(1) as i64;
        let size = 1 + rng.below(5);
        out.extend(event(rng, size, outlets, at, &format!("{tag}{e}")));
        e += 1;
    }
    out.truncate(count);
    out
}

/// The frames the WAL holds now: `mxFrame` of the wal-index header, at byte 16 of the
/// `-shm` file in native byte order (SQLite's file format, section 4.2). A commit
/// appends one frame per page it changed; a checkpoint resets the count.
fn wal_frames(db: &std::path::Path) -> Option<u32> {
    let mut shm = db.as_os_str().to_owned();
    shm.push("-shm");
    let head = std::fs::read(shm).ok()?;
    Some(u32::from_ne_bytes(head.get(16..20)?.try_into().ok()?))
}

/// Percentile of sorted microseconds.
fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() -> Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let path = args.db.clone().unwrap_or_else(|| dir.path().join("stories.db"));
    let store = Store::open(&path).with_context(|| path.display().to_string())?;
    for pragma in &args.pragma {
        store.query_rows(&format!("PRAGMA {pragma}"), &[])?;
    }
    let cache: i64 = store.query_rows("PRAGMA cache_size", &[])?[0].get(0)?;
    let mmap: i64 = store.query_rows("PRAGMA mmap_size", &[])?.first().map_or(Ok(0), |r| r.get(0))?;
    let sources: Vec<NewSource> = (0..args.outlets)
        .map(|i| NewSource {
            kind: SourceKind::Feed,
            url: format!("https://outlet{i}.example/rss"),
            schedule: "every 10m".into(),
            rules: "{}".into(),
        })
        .collect();
    store.sync_config_sources(&sources, 0)?;
    let source_ids: Vec<i64> = store.sources()?.iter().map(|s| s.id).collect();
    let mut rng = Rng(15);
    let start = 1_767_225_600; // 2026-01-01
    let largest = args.sizes.iter().copied().max().unwrap_or(0);
    let mut stored = 0usize;
    let mut archive = articles(&mut rng, largest, args.outlets, start, "a").into_iter();
    println!(
        "outlets {}  probes per size {}  database {}  cache_size {cache}  mmap_size {mmap}",
        args.outlets,
        args.probes,
        path.display()
    );
    for &size in &args.sizes {
        let load: Vec<Synthetic> = archive.by_ref().take(size.saturating_sub(stored)).collect();
        let t = Instant::now();
        group_all(&store, &source_ids, &load)?;
        stored += load.len();
        let loaded = t.elapsed();
        // Probes: half new events, half later articles of stored events (same names).
        let mut probes = articles(&mut rng, args.probes / 2, args.outlets, start, &format!("p{size}-"));
        let mut followers = Vec::new();
        for (i, a) in load.iter().enumerate().step_by((load.len() / (args.probes / 2).max(1)).max(1)) {
            let mut copy = Article { title: a.article.title.clone(), ..Article::default() };
            copy.paragraphs = a.article.paragraphs.iter().rev().cloned().collect();
            let source = (a.source + 1) % args.outlets;
            followers.push(Synthetic {
                source,
                url: format!("{}/follow{size}-{i}", a.url),
                article: copy,
                at: a.at + 600,
            });
        }
        probes.extend(followers.into_iter().take(args.probes - probes.len()));
        ensure(&store, &source_ids, &probes)?;
        let (mut fp_us, mut group_us) = (Vec::new(), Vec::new());
        let mut phases: [Vec<f64>; 6] = Default::default();
        let mut joined = 0;
        let (mut frames, mut resets) = (Vec::new(), 0);
        let (mut candidates, mut compared) = (Vec::new(), Vec::new());
        for p in &probes {
            let before = wal_frames(&path);
            let id = article_id(&store, &p.url)?;
            let t = Instant::now();
            let fp = story::fingerprint(&p.article, p.at);
            fp_us.push(t.elapsed().as_secs_f64() * 1e6);
            let t = Instant::now();
            let mut timings = GroupTimings::default();
            let story = store.group_article_timed(id, source_ids[p.source], &fp, p.at, &mut timings)?;
            let total = t.elapsed();
            match (before, wal_frames(&path)) {
                (Some(b), Some(a)) if a >= b => frames.push(f64::from(a - b)),
                _ => resets += 1,
            }
            group_us.push(total.as_secs_f64() * 1e6);
            candidates.push(timings.candidates as f64);
            compared.push(timings.compared as f64);
            let parts = [timings.begin, timings.lookup, timings.members, timings.decide, timings.writes];
            let commit = total.saturating_sub(parts.iter().sum());
            for (v, d) in phases.iter_mut().zip(parts.iter().chain([&commit])) {
                v.push(d.as_secs_f64() * 1e6);
            }
            joined += usize::from(store.story_members(story)?.len() > 1);
        }
        stored += probes.len();
        fp_us.sort_by(f64::total_cmp);
        group_us.sort_by(f64::total_cmp);
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        println!(
            "stored {size:>7} (loaded in {:.1} s, {:.0} articles/s)  grouping one article: fingerprint mean {:.0} µs, \
             store mean {:.0} µs p50 {:.0} p95 {:.0} p99 {:.0}; {} of {} probes joined a story",
            loaded.as_secs_f64(),
            load.len() as f64 / loaded.as_secs_f64().max(1e-9),
            mean(&fp_us),
            mean(&group_us),
            pct(&group_us, 0.5),
            pct(&group_us, 0.95),
            pct(&group_us, 0.99),
            joined,
            probes.len(),
        );
        for v in phases.iter_mut().chain([&mut frames, &mut candidates, &mut compared]) {
            v.sort_by(f64::total_cmp);
        }
        let [begin, lookup, members, decide, writes, commit] = &phases;
        println!(
            "    where it goes (p50 / p95 µs): begin {:.0} / {:.0}, band key lookup {:.0} / {:.0}, \
             members {:.0} / {:.0}, decision {:.0} / {:.0}, writes {:.0} / {:.0}, commit {:.0} / {:.0}",
            pct(begin, 0.5),
            pct(begin, 0.95),
            pct(lookup, 0.5),
            pct(lookup, 0.95),
            pct(members, 0.5),
            pct(members, 0.95),
            pct(decide, 0.5),
            pct(decide, 0.95),
            pct(writes, 0.5),
            pct(writes, 0.95),
            pct(commit, 0.5),
            pct(commit, 0.95),
        );
        println!(
            "    candidate stories p50 {:.0} p95 {:.0}, their members compared p50 {:.0} p95 {:.0}",
            pct(&candidates, 0.5),
            pct(&candidates, 0.95),
            pct(&compared, 0.5),
            pct(&compared, 0.95)
        );
        if !frames.is_empty() {
            println!(
                "    WAL frames per commit p50 {:.0} p95 {:.0}; {resets} of {} commits ended with the WAL reset \
                 (a checkpoint)",
                pct(&frames, 0.5),
                pct(&frames, 0.95),
                probes.len()
            );
        }
    }
    let bands: i64 = store.query_rows("SELECT COUNT(*) FROM story_keys", &[])?[0].get(0)?;
    let stories: i64 = store.query_rows("SELECT COUNT(*) FROM stories", &[])?[0].get(0)?;
    println!("band keys stored {bands}, stories {stories}");
    Ok(())
}

/// Creates the article rows, one transaction per outlet.
fn ensure(store: &Store, source_ids: &[i64], articles: &[Synthetic]) -> Result<()> {
    for (i, &sid) in source_ids.iter().enumerate() {
        store.ensure_articles(sid, articles.iter().filter(|a| a.source == i).map(|a| a.url.as_str()), 0)?;
    }
    Ok(())
}

fn article_id(store: &Store, url: &str) -> Result<i64> {
    Ok(store.article_by_url(url)?.with_context(|| format!("{url} has no row"))?.id)
}

/// Creates and groups the articles, in order.
fn group_all(store: &Store, source_ids: &[i64], articles: &[Synthetic]) -> Result<()> {
    ensure(store, source_ids, articles)?;
    for a in articles {
        let fp: Fingerprint = story::fingerprint(&a.article, a.at);
        store.group_article(article_id(store, &a.url)?, source_ids[a.source], &fp, a.at)?;
    }
    Ok(())
}
