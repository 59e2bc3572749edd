//! MinHash signatures of hashed sets and the LSH band keys that find
//! candidate articles with a few exact-key lookups instead of a scan.

use std::collections::BTreeSet;

/// The value of a signature slot of an empty set.
pub const EMPTY: u32 = u32::MAX;

/// How a signature is cut into bands: `bands` × `rows` slots. Two sets with Jaccard
/// similarity `j` share at least one band with probability `1 - (1 - j^rows)^bands`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Banding {
    /// Which index this is (text or entities), so that their keys never collide.
    pub tag: u8,
    /// Number of bands.
    pub bands: usize,
    /// Slots per band.
    pub rows: usize,
}

impl Banding {
    /// Slots of a signature.
    pub fn len(&self) -> usize {
        self.bands * self.rows
    }

    /// Never empty: a banding has at least one band of one row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// splitmix64's finaliser: a cheap, well-mixed permutation of `u64`.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The MinHash signature of a set of hashes: for each of `len` seeded permutations, the
/// smallest permuted value (32 bits kept). An empty set gives [`EMPTY`] everywhere.
pub fn signature(set: &BTreeSet<u64>, len: usize) -> Vec<u32> {
    let mut sig = vec![EMPTY; len];
    for &x in set {
        for (i, slot) in sig.iter_mut().enumerate() {
            let seed = mix(i as u64 + 1);
            // The low bits are never all ones in practice; EMPTY stays the "no member" mark.
            let v = (mix(x ^ seed) >> 32) as u32;
            *slot = (*slot).min(v.min(EMPTY - 1));
        }
    }
    sig
}

/// The Jaccard similarity of two sets estimated from their signatures: the share of
/// slots where both agree. 0 when either set is empty.
pub fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() || a.len() != b.len() || a[0] == EMPTY || b[0] == EMPTY {
        return 0.0;
    }
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

/// The estimated size of the intersection of two sets of sizes `n` and `m` with Jaccard `j`.
pub fn overlap(j: f64, n: usize, m: usize) -> f64 {
    j * (n + m) as f64 / (1.0 + j)
}

/// The band keys of a signature: one key per band, mixing the banding's tag, the band's
/// position and its slots, as a signed 64-bit integer (what both databases index). An
/// empty set has no keys: it must not match every other empty set.
pub fn band_keys(sig: &[u32], banding: Banding) -> Vec<i64> {
    if sig.len() != banding.len() || sig.first() == Some(&EMPTY) {
        return Vec::new();
    }
    sig.chunks(banding.rows)
        .enumerate()
        .map(|(band, rows)| {
            let mut h = mix(u64::from(banding.tag) << 56 | band as u64);
            for &r in rows {
                h = mix(h ^ u64::from(r));
            }
            h as i64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(range: std::ops::Range<u64>) -> BTreeSet<u64> {
        range.map(|x| super::super::shingles::stable_hash(&x.to_le_bytes())).collect()
    }

    #[test]
    fn the_estimate_follows_the_true_jaccard() {
        // 0..100 and 50..150: Jaccard 50/150.
        let (a, b) = (signature(&set(0..100), 256), signature(&set(50..150), 256));
        let j = jaccard(&a, &b);
        assert!((j - 1.0 / 3.0).abs() < 0.1, "{j}");
        assert_eq!(jaccard(&a, &a), 1.0);
        let c = signature(&set(1000..1100), 256);
        assert!(jaccard(&a, &c) < 0.05);
        assert!((overlap(1.0 / 3.0, 100, 100) - 50.0).abs() < 1e-9);
    }

    #[test]
    fn empty_sets_match_nothing_and_have_no_keys() {
        let empty = signature(&BTreeSet::new(), 8);
        assert!(empty.iter().all(|&v| v == EMPTY));
        assert_eq!(jaccard(&empty, &empty), 0.0);
        let banding = Banding { tag: 1, bands: 4, rows: 2 };
        assert!(band_keys(&empty, banding).is_empty());
    }

    #[test]
    fn similar_sets_share_a_band_and_different_ones_do_not() {
        let banding = Banding { tag: 1, bands: 20, rows: 3 };
        let keys = |s| band_keys(&signature(&s, banding.len()), banding);
        let (a, near, far) = (keys(set(0..100)), keys(set(5..105)), keys(set(500..600)));
        assert_eq!(a.len(), 20);
        assert!(a.iter().any(|k| near.contains(k)));
        assert!(!a.iter().any(|k| far.contains(k)));
        // Another banding of the same signature gives other keys.
        let other = Banding { tag: 2, ..banding };
        let b = band_keys(&signature(&set(0..100), other.len()), other);
        assert!(!a.iter().any(|k| b.contains(k)));
    }
}
