//! Sentences and words.
//!
//! A rule-based sentence segmenter for news prose in English, German, French, Spanish,
//! Italian and Portuguese: it does not split after abbreviations ("Sen.", "Sept. 8"),
//! initials and initialisms ("J. K.", "U.S."), German ordinals before a month
//! ("3. Oktober"), or inside quotations that continue in lower case ("Why?" she asked).

use crate::text::lexicon;

/// Abbreviations (lower case, without the period) after which a sentence never ends,
/// besides the English month and weekday abbreviations of [`lexicon`].
const ABBREVIATIONS: &[&str] = &[
    // English titles, ranks and business forms
    "mr", "mrs", "ms", "messrs", "dr", "prof", "sr", "jr", "st", "gen", "sen", "sens", "rep", "reps", "gov", "govs",
    "lt", "col", "sgt", "capt", "cmdr", "adm", "maj", "cpl", "pvt", "pres", "supt", "det", "insp", "hon", "rev", "fr",
    "mt", "ft", "ave", "blvd", "rd", "inc", "corp", "ltd", "co", "bros", "dept", "univ", "approx", "est", "vs", "v",
    "al", "cf", "ca", "e.g", "i.e", // German
    "bzw", "vgl", "ggf", "evtl", "inkl", "zzgl", "sog", "str", "hr", "frau", "abs", "bspw", // French
    "mme", "mmes", "mlle", "mlles", "mm", "env", // Spanish
    "sra", "sras", "srta", "srs", "dña", "ud", "uds", "dra", "lic", "ing", "avda", // Italian
    "sig", "sigg", "dott", "avv", "geom", "on", "sen", // Portuguese
    "exmo", "exma", "profa",
];

/// Abbreviations that are only abbreviations before a number ("No. 5", "Art. 3").
const NUMBER_ABBREVIATIONS: &[&str] =
    &["no", "nos", "nr", "art", "p", "pp", "vol", "fig", "op", "ch", "sec", "n", "núm", "nº"];

fn is_closing(c: char) -> bool {
    matches!(c, '"' | '\'' | ')' | ']' | '\u{201D}' | '\u{2019}' | '\u{00BB}' | '\u{203A}' | '*' | '_')
}

fn is_opening(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '('
            | '['
            | '\u{201C}'
            | '\u{2018}'
            | '\u{00AB}'
            | '\u{2039}'
            | '\u{201E}'
            | '\u{00BF}'
            | '\u{00A1}'
            | '*'
            | '_'
            | '-'
            | '\u{2014}'
            | '\u{2013}'
    )
}

/// Whether a sentence may end at this boundary: `before` is the text up to a space,
/// `after` the text following it.
fn ends_sentence(before: &str, after: &str) -> bool {
    let core = before.trim_end_matches(is_closing);
    let Some(last) = core.chars().last() else {
        return false;
    };
    if !matches!(last, '.' | '!' | '?' | '\u{2026}') {
        return false;
    }
    let next = after.trim_start_matches(is_opening);
    let Some(first) = next.chars().next() else {
        return false;
    };
    let starts_upper = first.is_uppercase() || first.is_ascii_digit();
    if !starts_upper {
        return false;
    }
    if last != '.' || core.ends_with("..") {
        return true;
    }
    // The word carrying the period.
    let word = core[..core.len() - 1].rsplit(' ').next().unwrap_or("").trim_start_matches(is_opening);
    if word.is_empty() {
        return true;
    }
    let lower = word.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str())
        || lexicon::MONTH_ABBREVIATIONS_EN.iter().any(|(m, _)| *m == lower)
        || lexicon::WEEKDAY_ABBREVIATIONS_EN.contains(&lower.as_str())
    {
        return false;
    }
    let next_word: String = next.chars().take_while(|c| c.is_alphanumeric()).collect();
    if NUMBER_ABBREVIATIONS.contains(&lower.as_str()) && first.is_ascii_digit() {
        return false;
    }
    // Initials ("J. K. Rowling") and initialisms ("U.S.", "a.m.", "z.B.").
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    if word.chars().count() == 1 && word.chars().all(char::is_uppercase) {
        return false;
    }
    if word.contains('.') && letters <= 4 && word.chars().all(|c| c.is_alphabetic() || c == '.') {
        // "at 7 a.m. Witnesses said" ends a sentence; "at 5 p.m. Friday" does not.
        let clock = matches!(lower.as_str(), "a.m" | "p.m");
        // Days, months and time zones continue the sentence.
        let continues = lexicon::is_english_weekday(&next_word)
            || lexicon::is_english_month(&next_word)
            || lexicon::is_time_zone(&next_word);
        return clock && !continues;
    }
    // German ordinals: "am 3. Oktober".
    if word.len() <= 2 && word.chars().all(|c| c.is_ascii_digit()) && lexicon::is_german_month(&next_word) {
        return false;
    }
    true
}

/// Splits a cleaned paragraph (single spaces) into sentences. Joining the result with
/// single spaces gives the paragraph back.
pub fn sentences(p: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in p.match_indices(' ') {
        if ends_sentence(&p[start..i], &p[i + 1..]) {
            out.push(&p[start..i]);
            start = i + 1;
        }
    }
    if start < p.len() {
        out.push(&p[start..]);
    }
    out
}

/// Splits text into word, whitespace and punctuation tokens; concatenated, they give the text
/// back. Words keep inner apostrophes, hyphens, periods and commas ("don't", "U.S.", "1,000").
pub fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let mut j = i + 1;
        if c.is_alphanumeric() {
            while j < chars.len() {
                let d = chars[j].1;
                if d.is_alphanumeric() {
                    j += 1;
                } else if matches!(d, '\'' | '\u{2019}' | '-' | '.' | ',' | '\u{2011}')
                    && j + 1 < chars.len()
                    && chars[j + 1].1.is_alphanumeric()
                    && (d != ',' || (chars[j - 1].1.is_ascii_digit() && chars[j + 1].1.is_ascii_digit()))
                {
                    j += 2;
                } else if d == '.'
                    && chars[j - 1].1.is_alphabetic()
                    && i + 1 < j
                    && chars[..j].iter().rev().take(3).any(|x| x.1 == '.')
                {
                    // Closing period of an initialism: "U.S."
                    j += 1;
                    break;
                } else {
                    break;
                }
            }
        } else if c.is_whitespace() {
            while j < chars.len() && chars[j].1.is_whitespace() {
                j += 1;
            }
        }
        let end = if j < chars.len() { chars[j].0 } else { s.len() };
        out.push(&s[start..end]);
        i = j;
    }
    out
}

/// Whether a token is a word (has a letter or digit).
pub fn is_word(t: &str) -> bool {
    t.chars().any(char::is_alphanumeric)
}

/// The number of words in a text.
pub fn word_count(s: &str) -> usize {
    s.split_whitespace().filter(|w| is_word(w)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_plain_sentences() {
        assert_eq!(sentences("One. Two! Three? Four"), ["One.", "Two!", "Three?", "Four"]);
    }

    #[test]
    fn survives_abbreviations_and_initialisms() {
        let p = "The U.S. Senate met on Sept. 8 with Sen. Jane Doe. Dr. J. K. Smith of Acme Inc. spoke at 5 p.m. Friday. It ended at 7 p.m. Guests left.";
        assert_eq!(
            sentences(p),
            [
                "The U.S. Senate met on Sept. 8 with Sen. Jane Doe.",
                "Dr. J. K. Smith of Acme Inc. spoke at 5 p.m. Friday.",
                "It ended at 7 p.m.",
                "Guests left."
            ]
        );
    }

    #[test]
    fn survives_quotes() {
        let p = "\u{201C}Why now?\u{201D} she asked. \u{201C}We waited.\u{201D} He left. \"Stop,\" he said.";
        assert_eq!(
            sentences(p),
            ["\u{201C}Why now?\u{201D} she asked.", "\u{201C}We waited.\u{201D}", "He left.", "\"Stop,\" he said."]
        );
    }

    #[test]
    fn german_ordinals_and_numbers() {
        assert_eq!(sentences("Am 3. Oktober kam er. Nr. 5 blieb."), ["Am 3. Oktober kam er.", "Nr. 5 blieb."]);
    }

    #[test]
    fn tokens_rebuild_text() {
        let s = "The U.S. paid $1,000.50 - don't ask, well-known (sic).";
        let t = tokens(s);
        assert_eq!(t.concat(), s);
        assert!(t.contains(&"U.S."));
        assert!(t.contains(&"1,000.50"));
        assert!(t.contains(&"don't"));
        assert!(t.contains(&"well-known"));
    }
}
