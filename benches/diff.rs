//! Diff time against article length: 1,000 to 50,000 words with scattered edits.
//!
//! `cargo bench --bench diff`. The growth must stay near-linear: 50,000 words at most
//! 60 times slower than 1,000 words (see `docs/BENCHMARKS.md`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use redline::diff::compare;
use redline::extract::Article;

const WORDS: &[&str] = &[
    "the", "council", "said", "on", "Tuesday", "that", "a", "new", "plan", "would", "cost", "about",
    "million", "and", "residents", "of", "island", "ferry", "officials", "budget", "vote", "police",
    "report", "state", "city", "school", "program", "year", "week", "mayor", "board", "after",
    "before", "during", "while", "because", "people", "agency", "federal", "court", "judge", "case",
    "road", "bridge", "river", "water", "housing", "rent", "tax", "fund", "grant", "director",
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

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("compare");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for words in [1_000, 5_000, 10_000, 25_000, 50_000] {
        let old = article(words, 42);
        let new = edited(&old, 7);
        assert!(compare(&old, &new).changed);
        group.throughput(Throughput::Elements(words as u64));
        group.bench_with_input(BenchmarkId::from_parameter(words), &(old, new), |b, (o, n)| {
            b.iter(|| compare(black_box(o), black_box(n)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
