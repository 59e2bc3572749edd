//! Normalization: the text that is shown and the key that is compared.
//!
//! [`clean`] makes display text (NFC, invisible characters dropped, whitespace collapsed);
//! [`fold`] turns display text into a comparison key (quote and dash styles unified);
//! [`Neutralizer`] blanks out noise (relative times, view counters, per-watch patterns) in keys.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use crate::text::lexicon;

/// Characters that render as nothing and only ever differ between renders of the same text.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' // soft hyphen
            | '\u{034F}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Display text: NFC, invisible characters dropped, every whitespace run one space, trimmed.
pub fn clean(s: &str) -> String {
    if s.is_ascii() {
        return collapse(s.chars());
    }
    let visible: Cow<str> = if s.chars().any(is_invisible) {
        Cow::Owned(s.chars().filter(|c| !is_invisible(*c)).collect())
    } else {
        Cow::Borrowed(s)
    };
    if is_nfc_quick(visible.chars()) == IsNormalized::Yes {
        collapse(visible.chars())
    } else {
        collapse(visible.chars().nfc())
    }
}

/// Collapses whitespace and control characters into single spaces, trimmed.
fn collapse(chars: impl Iterator<Item = char>) -> String {
    let (lower, _) = chars.size_hint();
    let mut out = String::with_capacity(lower);
    let mut space = false;
    for c in chars {
        if c.is_whitespace() || c.is_control() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

/// Maps one character of display text to its comparison form.
fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{2035}' | '\u{00B4}' | '`' | '\u{02BC}'
        | '\u{FF07}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{2036}' | '\u{00AB}' | '\u{00BB}'
        | '\u{2039}' | '\u{203A}' | '\u{FF02}' | '\u{300C}' | '\u{300D}' => "\"",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' | '\u{2043}'
        | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => "-",
        '\u{2026}' => "...",
        _ => return None,
    })
}

/// Comparison key of display text: quote, dash and ellipsis styles unified, guillemet
/// spacing dropped, runs of dashes collapsed. Case and letters are kept: they are edits.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match fold_char(c) {
            Some(r) => {
                if r == "-" && out.ends_with('-') {
                    continue;
                }
                out.push_str(r);
            }
            None if c == '-' && out.ends_with('-') => {}
            None => out.push(c),
        }
    }
    // French spacing inside guillemets: « mot » and "mot" are the same quote.
    if out.contains("\" ") || out.contains(" \"") {
        out = QUOTE_SPACE.replace_all(&out, "\"$1\"").into_owned();
    }
    out
}

static QUOTE_SPACE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#""\s+([^"]*?)\s+""#).unwrap());

/// Built-in noise: relative times ("8 hours ago", "vor 5 Minuten", "il y a 3 heures").
static RELATIVE_TIME: LazyLock<Regex> = LazyLock::new(|| {
    let unit_en = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|mos?|years?|yrs?|[smhdwy])";
    let unit_it = r"(?:second[oi]|minut[oi]|or[ae]|giorn[oi]|settiman[ae]|mes[ei]|ann[oi])";
    let unit_de = r"(?:sekunden?|minuten?|stunden?|tag(?:en)?|wochen?|monat(?:en)?|jahr(?:en)?|std\.?|min\.?)";
    let unit_fr = r"(?:secondes?|minutes?|heures?|jours?|semaines?|mois|ans?|h|min)";
    let unit_es = r"(?:segundos?|minutos?|horas?|d[ií]as?|semanas?|mes(?:es)?|a[ñn]os?|h|min)";
    let num = r"(?:\d+|an?|one|a few|few|einer?|einem|un|une|una|uno|um|uma|quelques)";
    let prefix = r"(?:(?:last\s+)?(?:updated|posted|published|edited|modified|aktualisiert|mis\s+[àa]\s+jour|actualizado|aggiornato|atualizado|publicado|publi[ée])[:\s]+)?";
    Regex::new(&format!(
        r"(?i)\b{prefix}(?:(?:about|around|over|almost)\s+)?{num}\s*{unit_en}\s+ago\b|\b{prefix}{num}\s*{unit_it}\s+fa\b|\b{prefix}vor\s+{num}\s*{unit_de}(?:\s|\b|$)|\b{prefix}il\s+y\s+a\s+{num}\s*{unit_fr}\b|\b{prefix}hace\s+{num}\s*{unit_es}\b|(?:\b{prefix})?h[aá]\s+{num}\s*(?:segundos?|minutos?|horas?|dias?|semanas?|m[eê]s(?:es)?|anos?)\b"
    ))
    .unwrap()
});

/// Built-in noise: view, read, comment and share counters, reading times.
static COUNTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b\d[\d,.\u{a0} ]*\s*[km]?\+?\s*(?:views|reads|comments|shares|likes|reactions|aufrufe|kommentare|vues|commentaires|partages|visitas|vistas|comentarios|lecturas|visualizzazioni|letture|commenti|visualiza[çc][õo]es|coment[áa]rios|leituras)\b|(?i)\b(?:viewed|read|shared)\s+\d[\d,.]*\s*[km]?\s+times\b|(?i)\b\d+\s*(?:-\s*)?(?:min(?:ute)?s?|minuten|minutos|minuti)\.?\s+(?:read|lesezeit|de\s+lecture|de\s+lectura|di\s+lettura|de\s+leitura)\b|(?i)\b(?:reading\s+time|lesezeit|temps\s+de\s+lecture|tiempo\s+de\s+lectura)[:\s]+\d+\s*(?:min(?:ute)?s?|minuten|minutos)\.?",
    )
    .unwrap()
});

/// Words a dateline may hold besides numbers and calendar words ([`lexicon::is_calendar_word`]):
/// "Updated 10:15 a.m. ET, June 12, 2025", "Aktualisiert am 12.06.2025 um 10:15 Uhr".
const DATELINE_WORDS: &[&str] = &[
    "updated",
    "update",
    "published",
    "posted",
    "last",
    "modified",
    "edited",
    "on",
    "at",
    "the",
    "of",
    "am",
    "pm",
    "a",
    "p",
    "m",
    "h",
    "aktualisiert",
    "veröffentlicht",
    "um",
    "uhr",
    "stand",
    "publié",
    "mis",
    "à",
    "jour",
    "le",
    "actualizado",
    "publicado",
    "el",
    "de",
    "del",
    "las",
    "aggiornato",
    "pubblicato",
    "il",
    "alle",
    "ore",
    "atualizado",
    "às",
    "em",
];

/// Whether a whole sentence is a dateline ("Updated: June 12, 2025, 10:15 a.m. ET"): the
/// article's dates belong to its metadata, so a dateline in the body is noise.
fn is_timestamp_line(k: &str) -> bool {
    k.len() <= 80
        && k.chars().any(|c| c.is_ascii_digit())
        && k.split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty())
            .all(|w| lexicon::is_calendar_word(w) || DATELINE_WORDS.contains(&w.to_lowercase().as_str()))
}

/// Blanks out noise in comparison keys.
#[derive(Debug, Clone, Default)]
pub struct Neutralizer<'a> {
    /// Per-watch patterns whose matches are removed.
    pub ignore: &'a [Regex],
}

impl Neutralizer<'_> {
    /// A cleaned paragraph with the matches of the per-watch patterns removed. Patterns are
    /// tried on the text as shown, then on its folded form (plain quotes and dashes).
    pub fn strip_ignored(&self, para: &str) -> String {
        let mut p = para.to_string();
        for re in self.ignore {
            if re.is_match(&p) {
                p = re.replace_all(&p, " ").into_owned();
            } else {
                let folded = fold(&p);
                if re.is_match(&folded) {
                    p = re.replace_all(&folded, " ").into_owned();
                }
            }
        }
        if p.len() == para.len() && p == para { p } else { clean(&p) }
    }

    /// The key of display text: folded, relative times and counters replaced by
    /// placeholders, whitespace collapsed. Empty when only noise remains.
    pub fn key(&self, display: &str) -> String {
        let mut k = fold(display);
        let mut replaced = false;
        if RELATIVE_TIME.is_match(&k) {
            k = RELATIVE_TIME.replace_all(&k, "\u{2039}time\u{203A}").into_owned();
            replaced = true;
        }
        if COUNTER.is_match(&k) {
            k = COUNTER.replace_all(&k, "\u{2039}count\u{203A}").into_owned();
            replaced = true;
        }
        if is_timestamp_line(&k) {
            return "\u{2039}timestamp\u{203A}".to_string();
        }
        // Display text is clean already; only a replacement can leave stray spaces.
        if replaced || k.starts_with(' ') || k.ends_with(' ') { clean(&k) } else { k }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_collapses_whitespace_and_drops_invisibles() {
        assert_eq!(clean("  a\u{00A0}\tb\n\nc\u{200B}d\u{00AD}e  "), "a b cde");
        assert_eq!(clean("e\u{0301}"), "\u{00E9}");
    }

    #[test]
    fn fold_unifies_quotes_and_dashes() {
        assert_eq!(fold("\u{201C}It\u{2019}s\u{201D} \u{2014} ok\u{2026}"), "\"It's\" - ok...");
        assert_eq!(fold("\u{00AB} mot \u{00BB}"), "\"mot\"");
        assert_eq!(fold("a--b"), "a-b");
    }

    #[test]
    fn relative_times_are_neutral() {
        let n = Neutralizer::default();
        assert_eq!(n.key("Updated 8 hours ago"), n.key("Updated 7 hours ago"));
        assert_eq!(n.key("Posted 5m ago by staff"), n.key("Posted 12m ago by staff"));
        assert_eq!(n.key("Aktualisiert vor 5 Minuten"), n.key("Aktualisiert vor 2 Stunden"));
        assert_eq!(n.key("Publié il y a 3 heures"), n.key("Publié il y a 4 heures"));
        assert_eq!(n.key("hace 2 horas"), n.key("hace 3 horas"));
        assert_ne!(n.key("The trial lasted 3 days."), n.key("The trial lasted 4 days."));
    }

    #[test]
    fn datelines_are_neutral() {
        let n = Neutralizer::default();
        assert_eq!(n.key("Updated: June 12, 2025, 10:15 a.m. ET"), n.key("Updated: June 13, 2025, 9:02 a.m. ET"));
        assert_eq!(n.key("Aktualisiert am 12.06.2025 um 10:15 Uhr"), n.key("Aktualisiert am 13.06.2025 um 09:02 Uhr"));
        assert_ne!(n.key("The vote is on June 12."), n.key("The vote is on June 13."));
    }

    #[test]
    fn counters_are_neutral() {
        let n = Neutralizer::default();
        assert_eq!(n.key("1,204 views"), n.key("1,398 views"));
        assert_eq!(n.key("12 comments"), n.key("15 comments"));
        assert_eq!(n.key("5 min read"), n.key("6 min read"));
    }

    #[test]
    fn ignore_patterns_remove_matches() {
        let ignore = [Regex::new(r"Ad ID \d+").unwrap()];
        let n = Neutralizer { ignore: &ignore };
        assert_eq!(n.strip_ignored("Text. Ad ID 123"), n.strip_ignored("Text. Ad ID 456"));
        assert_eq!(n.strip_ignored("Ad ID 9"), "");
        let ignore = [Regex::new(r#"Read more: "[^"]*""#).unwrap()];
        let n = Neutralizer { ignore: &ignore };
        assert_eq!(n.strip_ignored("Text. Read more: \u{201C}Other story\u{201D}"), "Text.");
    }
}
