//! Diff time against article length: 1,000 to 50,000 words with scattered edits.
//!
//! `cargo bench --bench diff`. Two criterion groups, `compare` (wall time) and `compare_cpu`
//! (thread CPU time, steady on a shared machine), then a growth table. The growth must stay
//! near-linear: 50,000 words at most 60 times slower than 1,000 words (`docs/BENCHMARKS.md`).

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BenchmarkId, Criterion, Throughput};
use redline::diff::compare;
use redline::extract::Article;

const WORDS: &[&str] = &[
    "the",
    "council",
    "said",
    "on",
    "Tuesday",
    "that",
    "a",
    "new",
    "plan",
    "would",
    "cost",
    "about",
    "million",
    "and",
    "residents",
    "of",
    "island",
    "ferry",
    "officials",
    "budget",
    "vote",
    "police",
    "report",
    "state",
    "city",
    "school",
    "program",
    "year",
    "week",
    "mayor",
    "board",
    "after",
    "before",
    "during",
    "while",
    "because",
    "people",
    "agency",
    "federal",
    "court",
    "judge",
    "case",
    "road",
    "bridge",
    "river",
    "water",
    "housing",
    "rent",
    "tax",
    "fund",
    "grant",
    "director",
];

/// A deterministic pseudo-random generator (no dependency needed for test data).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

fn sentence(rng: &mut Lcg) -> String {
    let n = 12 + rng.next() % 12;
    let mut words: Vec<String> = (0..n).map(|_| WORDS[rng.next() % WORDS.len()].to_string()).collect();
    words[0] = {
        let mut c = words[0].chars();
        c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
    };
    let k = rng.next() % n;
    words[k] = format!("{}", rng.next() % 1000);
    words.join(" ") + "."
}

/// An article of about `words` words in paragraphs of three or four sentences.
fn article(words: usize, seed: u64) -> Article {
    let mut rng = Lcg(seed);
    let mut paragraphs = Vec::new();
    let mut count = 0;
    while count < words {
        let p: Vec<String> = (0..3 + rng.next() % 2).map(|_| sentence(&mut rng)).collect();
        let p = p.join(" ");
        count += p.split_whitespace().count();
        paragraphs.push(p);
    }
    Article { title: Some("Benchmark story".into()), paragraphs, ..Article::default() }
}

/// The same article with edits scattered through it: a figure changed every 8th paragraph,
/// a sentence added every 20th, a paragraph removed and one added every 50th, one moved.
fn edited(a: &Article, seed: u64) -> Article {
    let mut rng = Lcg(seed);
    let mut out = a.clone();
    let n = out.paragraphs.len();
    for k in (3..n).step_by(8) {
        out.paragraphs[k] = out.paragraphs[k].replacen(" the ", " 1234 ", 1);
    }
    for k in (5..n).step_by(20) {
        let s = sentence(&mut rng);
        out.paragraphs[k].push(' ');
        out.paragraphs[k].push_str(&s);
    }
    for k in (7..n).step_by(50).rev() {
        out.paragraphs.remove(k);
        out.paragraphs.insert(k, format!("{} {}", sentence(&mut rng), sentence(&mut rng)));
        out.paragraphs.remove(k + 2);
    }
    if out.paragraphs.len() > 4 {
        let p = out.paragraphs.remove(1);
        out.paragraphs.push(p);
    }
    out
}

/// Thread CPU time: unlike wall time, not inflated when other processes share the cores.
struct ThreadCpuTime;

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec and the clock id is a constant the kernel knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu()
    }
    fn end(&self, start: Duration) -> Duration {
        thread_cpu().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanoseconds
    }
}

/// Formats nanoseconds as ns, µs, ms or s.
struct Nanoseconds;

impl ValueFormatter for Nanoseconds {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = match typical {
            t if t < 1e3 => (1.0, "ns"),
            t if t < 1e6 => (1e-3, "µs"),
            t if t < 1e9 => (1e-6, "ms"),
            _ => (1e-9, "s"),
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(&self, typical: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str {
        let per = match *throughput {
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => n as f64,
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => n as f64,
            Throughput::Bits(n) => n as f64,
        };
        let _ = typical;
        values.iter_mut().for_each(|v| *v = per * 1e9 / *v / 1e3);
        "K/s"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

const SIZES: [usize; 5] = [1_000, 5_000, 10_000, 25_000, 50_000];

fn pairs() -> Vec<(usize, Article, Article)> {
    SIZES
        .iter()
        .map(|&words| {
            let old = article(words, 42);
            let new = edited(&old, 7);
            assert!(compare(&old, &new).changed);
            (words, old, new)
        })
        .collect()
}

fn bench<M: Measurement>(c: &mut Criterion<M>, name: &str) {
    let mut group = c.benchmark_group(name);
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for (words, old, new) in pairs() {
        group.throughput(Throughput::Elements(words as u64));
        group.bench_with_input(BenchmarkId::from_parameter(words), &(old, new), |b, (o, n)| {
            b.iter(|| compare(black_box(o), black_box(n)))
        });
    }
    group.finish();
}

/// Prints the growth directly: median thread CPU time per size over interleaved rounds, and
/// each size's time relative to 1,000 words (the requirement: 50,000 words at most 60x).
fn growth_report() {
    let pairs = pairs();
    let rounds = 15;
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); pairs.len()];
    for _ in 0..rounds {
        for (k, (_, o, n)) in pairs.iter().enumerate() {
            black_box(compare(black_box(o), black_box(n))); // warm the caches for this size
            let t = thread_cpu();
            black_box(compare(black_box(o), black_box(n)));
            times[k].push(thread_cpu() - t);
        }
    }
    let medians: Vec<Duration> = times
        .iter_mut()
        .map(|t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect();
    println!("\ngrowth (median thread CPU time of {rounds} interleaved rounds):");
    for ((words, ..), m) in pairs.iter().zip(&medians) {
        let ratio = m.as_secs_f64() / medians[0].as_secs_f64();
        let per_word = m.as_nanos() as f64 / *words as f64;
        println!(
            "  {words:>6} words: {:>9.3} ms  {per_word:>6.0} ns/word  {ratio:>5.1}x of 1,000 words",
            m.as_secs_f64() * 1e3
        );
    }
}

fn main() {
    let mut wall = Criterion::default().configure_from_args();
    bench(&mut wall, "compare");
    let mut cpu = Criterion::default().with_measurement(ThreadCpuTime).configure_from_args();
    bench(&mut cpu, "compare_cpu");
    cpu.final_summary();
    // Only when benchmarking (`cargo bench`), not when `cargo test --benches` checks the bench.
    if std::env::args().any(|a| a == "--bench") {
        growth_report();
    }
}
