//! Words, word shingles and named entities of an article's text, hashed with a
//! hash that never changes between builds (the hashes are stored).

use std::collections::BTreeSet;

/// Words per shingle.
pub const SHINGLE_WORDS: usize = 3;

/// FNV-1a, 64 bits: stable across builds and platforms, unlike `DefaultHasher`.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The words of a text, lowercased; digit groups lose their separators ("1,200" is "1200").
pub fn words(text: &str) -> Vec<String> {
    raw_words(text).into_iter().map(|w| w.to_lowercase()).collect()
}

/// The words of a text as written (case kept), separators inside numbers dropped.
fn raw_words(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            word.push(c);
            continue;
        }
        let between_digits = matches!(c, ',' | '.')
            && word.chars().last().is_some_and(|p| p.is_ascii_digit())
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        let inner_apostrophe =
            matches!(c, '\'' | '\u{2019}') && !word.is_empty() && chars.get(i + 1).is_some_and(|n| n.is_alphabetic());
        if between_digits || inner_apostrophe {
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The hashes of every run of [`SHINGLE_WORDS`] consecutive words (one shingle of all the
/// words when there are fewer), without repeats.
pub fn shingles(text: &str) -> BTreeSet<u64> {
    let words = words(text);
    if words.is_empty() {
        return BTreeSet::new();
    }
    if words.len() < SHINGLE_WORDS {
        return BTreeSet::from([stable_hash(words.join(" ").as_bytes())]);
    }
    words.windows(SHINGLE_WORDS).map(|w| stable_hash(w.join(" ").as_bytes())).collect()
}

/// Capitalised words that start a name only by position, not by being a name.
const LEADING_NOISE: &[&str] = &[
    "A", "An", "The", "In", "On", "At", "But", "And", "Or", "If", "When", "After", "Before", "He", "She", "It", "They",
    "We", "This", "That", "These", "Those", "Its", "His", "Her", "Their", "Our", "By", "For", "From", "With", "As",
    "Of", "To", "Mr", "Mrs", "Ms", "Dr",
];

/// Lowercase words allowed inside a name ("Bank of England", "Isle of Man").
const NAME_JOINERS: &[&str] = &["of", "de", "del", "la", "van", "von", "der"];

/// Named entities of a text, lowercased: runs of two or more capitalised words
/// ("Harbour Bridge", "Bank of England") and numbers of two digits or more ("1200", "2026").
pub fn entities(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for clause in clauses(text) {
        names_and_numbers(&raw_words(clause), &mut out);
    }
    out
}

/// The text cut at punctuation, so that a name never runs across a sentence or clause
/// ("… in Port Carrow. Mayor Ines Okafor …" are two names). A period or comma between
/// digits is part of a number, not a cut.
fn clauses(text: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &(at, c)) in chars.iter().enumerate() {
        let in_number = matches!(c, '.' | ',')
            && i > 0
            && chars[i - 1].1.is_ascii_digit()
            && chars.get(i + 1).is_some_and(|n| n.1.is_ascii_digit());
        let cut = matches!(
            c,
            '.' | ','
                | ';'
                | ':'
                | '!'
                | '?'
                | '('
                | ')'
                | '"'
                | '\n'
                | '\u{201c}'
                | '\u{201d}'
                | '\u{2014}'
                | '\u{2013}'
        );
        if cut && !in_number {
            out.push(&text[start..at]);
            start = at + c.len_utf8();
        }
    }
    out.push(&text[start..]);
    out
}

/// Adds the names (runs of capitalised words) and numbers of one clause's words.
fn names_and_numbers(words: &[String], out: &mut BTreeSet<String>) {
    let capitalised = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    let mut run: Vec<&str> = Vec::new();
    let flush = |run: &mut Vec<&str>, out: &mut BTreeSet<String>| {
        while run.last().is_some_and(|w| NAME_JOINERS.contains(w)) {
            run.pop();
        }
        while run.first().is_some_and(|w| LEADING_NOISE.contains(w)) {
            run.remove(0);
        }
        if run.len() >= 2 {
            out.insert(run.join(" ").to_lowercase());
        }
        run.clear();
    };
    for w in words {
        if w.chars().filter(char::is_ascii_digit).count() >= 2 && w.chars().all(|c| c.is_ascii_digit()) {
            flush(&mut run, out);
            out.insert(w.clone());
        } else if capitalised(w) || (!run.is_empty() && NAME_JOINERS.contains(&w.as_str())) {
            run.push(w);
        } else {
            flush(&mut run, out);
        }
    }
    flush(&mut run, out);
}

/// The hashes of a set of entities.
pub fn entity_hashes(entities: &BTreeSet<String>) -> BTreeSet<u64> {
    entities.iter().map(|e| stable_hash(e.as_bytes())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercased_and_numbers_keep_their_digits() {
        assert_eq!(
            words("The toll rose to 1,200, officials said."),
            ["the", "toll", "rose", "to", "1200", "officials", "said"]
        );
        assert_eq!(words("Don't panic: 3.5 metres"), ["dont", "panic", "35", "metres"]);
        assert!(words("  ... ").is_empty());
    }

    #[test]
    fn shingles_are_runs_of_words_and_stable() {
        let s = shingles("one two three four");
        assert_eq!(s.len(), 2);
        assert!(s.contains(&stable_hash(b"one two three")));
        assert!(s.contains(&stable_hash(b"two three four")));
        // Case and punctuation do not make a different shingle.
        assert_eq!(shingles("One, two; THREE four!"), s);
        assert_eq!(shingles("short text").len(), 1);
        assert!(shingles("").is_empty());
        // The hash is fixed: the stored bands depend on it.
        assert_eq!(stable_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn entities_are_multi_word_names_and_numbers() {
        let e = entities(
            "The Harbour Bridge in Port Carrow closed after 1,200 people crossed. The Bank of England said 3 times.",
        );
        assert!(e.contains("harbour bridge"), "{e:?}");
        assert!(e.contains("port carrow"), "{e:?}");
        assert!(e.contains("bank of england"), "{e:?}");
        assert!(e.contains("1200"), "{e:?}");
        // One digit is not a fact worth matching on; a lone capitalised word is not a name.
        assert!(!e.contains("3"), "{e:?}");
        assert!(!e.iter().any(|x| x == "the"), "{e:?}");
        assert_eq!(entities("nothing capitalised here").len(), 0);
        // Punctuation ends a name; a separator inside a number does not.
        let e = entities("It opened in Port Carrow. Mayor Ines Okafor spoke; Lake Umber voted 3,500,000 times.");
        assert_eq!(e, BTreeSet::from(["port carrow", "mayor ines okafor", "lake umber", "3500000"].map(String::from)));
    }
}
