//! The one lexicon of calendar, clock and number words in English, German, French,
//! Spanish, Italian and Portuguese: month and weekday names, time zones, numbers written
//! as words. Extraction (dates, datelines, notices) and comparison (sentence ends, edit
//! kinds, timestamp lines) pick the sets they need from here.
//!
//! Every word is lower case; the predicates fold case themselves.

/// English month names, January first.
pub const MONTHS_EN: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
/// German month names.
pub const MONTHS_DE: [&str; 12] = [
    "januar",
    "februar",
    "märz",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "dezember",
];
/// French month names.
pub const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
/// Spanish month names.
pub const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
/// Italian month names.
pub const MONTHS_IT: [&str; 12] = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
];
/// Portuguese month names.
pub const MONTHS_PT: [&str; 12] = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
];

/// English month abbreviations (written with a period: "Sept. 8").
pub const MONTH_ABBREVIATIONS_EN: &[(&str, u32)] = &[
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

/// Other spellings pages print: Austrian German, German abbreviations, French without accents.
const MONTH_VARIANTS: &[(&str, u32)] =
    &[("jänner", 1), ("jän", 1), ("fevrier", 2), ("maerz", 3), ("aout", 8), ("okt", 10), ("dez", 12), ("decembre", 12)];

/// Weekday names, Monday first, in the six languages.
pub const WEEKDAYS: [[&str; 7]; 6] = [
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    ["montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"],
    ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"],
    ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"],
    ["segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado", "domingo"],
];

/// English weekday abbreviations.
pub const WEEKDAY_ABBREVIATIONS_EN: &[&str] =
    &["mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"];

/// Days named relative to today.
pub const RELATIVE_DAYS: &[&str] = &["today", "yesterday", "tomorrow"];

/// Time-zone abbreviations news pages print after a clock time.
pub const TIME_ZONES: &[&str] = &[
    "et", "ct", "mt", "pt", "est", "edt", "cst", "cdt", "mst", "mdt", "pst", "pdt", "gmt", "utc", "bst", "cet", "cest",
    "mez", "mesz",
];

/// Numbers written as words.
pub const NUMBER_WORDS: &[&str] = &[
    // English
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "billion",
    "billions",
    "dozen",
    "dozens", // German
    "eins",
    "zwei",
    "drei",
    "vier",
    "fünf",
    "sechs",
    "sieben",
    "acht",
    "neun",
    "zehn",
    "zwölf",
    "hundert",
    "tausend",
    "millionen",
    "milliarden", // French
    "deux",
    "trois",
    "quatre",
    "cinq",
    "dix",
    "mille",
    "milliards", // Spanish
    "dos",
    "tres",
    "cuatro",
    "cinco",
    "diez",
    "cien",
    "mil",
    "millones", // Italian
    "tre",
    "quattro",
    "dieci",
    "cento",
    "milioni", // Portuguese
    "dois",
    "duas",
    "três",
    "quatro",
    "dez",
    "milhões",
];

/// Words of a dateline besides calendar words: "Updated 7 minutes ago", "am 3. Mai um
/// 10 Uhr", "il y a 2 heures", "10:15 a.m. Eastern Time".
pub const CLOCK_WORDS: &[&str] = &[
    "at",
    "am",
    "pm",
    "ago",
    "min",
    "mins",
    "minute",
    "minutes",
    "hour",
    "hours",
    "hr",
    "hrs",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "second",
    "seconds",
    "just",
    "now",
    "today",
    "yesterday",
    "on",
    "uhr",
    "um",
    "vor",
    "minuten",
    "stunden",
    "tagen",
    "il",
    "heures",
    "heure",
    "le",
    "à",
    "den",
    "de",
    "del",
    "el",
    "las",
    "alle",
    "ore",
    "às",
    "em",
    "eastern",
    "pacific",
    "central",
    "time",
];

fn lower(word: &str) -> std::borrow::Cow<'_, str> {
    if word.chars().any(char::is_uppercase) { word.to_lowercase().into() } else { word.into() }
}

/// The month (1–12) a word names, in any of the six languages, full, abbreviated
/// ("Sept.") or in a variant spelling; a trailing period is ignored.
pub fn month(word: &str) -> Option<u32> {
    let w = lower(word);
    let w = w.trim_end_matches('.');
    let full = [MONTHS_EN, MONTHS_DE, MONTHS_FR, MONTHS_ES, MONTHS_IT, MONTHS_PT];
    full.iter()
        .find_map(|names| names.iter().position(|n| *n == w))
        .map(|i| i as u32 + 1)
        .or_else(|| MONTH_ABBREVIATIONS_EN.iter().chain(MONTH_VARIANTS).find(|(n, _)| *n == w).map(|&(_, m)| m))
}

/// Whether a word is a German month name ("3. Oktober" is a date, not a sentence end).
pub fn is_german_month(word: &str) -> bool {
    let w = lower(word);
    MONTHS_DE.contains(&w.as_ref()) || w == "jänner"
}

/// Whether a word is an English month name or abbreviation.
pub fn is_english_month(word: &str) -> bool {
    let w = lower(word);
    MONTHS_EN.contains(&w.as_ref()) || MONTH_ABBREVIATIONS_EN.iter().any(|(n, _)| *n == w)
}

/// Whether a word is a full weekday name in any of the six languages.
pub fn is_weekday(word: &str) -> bool {
    let w = lower(word);
    WEEKDAYS.iter().any(|days| days.contains(&w.as_ref()))
}

/// Whether a word is an English weekday, full or abbreviated.
pub fn is_english_weekday(word: &str) -> bool {
    let w = lower(word);
    WEEKDAYS[0].contains(&w.as_ref()) || WEEKDAY_ABBREVIATIONS_EN.contains(&w.as_ref())
}

/// Whether a word is a time-zone abbreviation.
pub fn is_time_zone(word: &str) -> bool {
    TIME_ZONES.contains(&lower(word).as_ref())
}

/// Whether a word names a day or a month: a month, a weekday, "today", "yesterday".
pub fn is_date_name(word: &str) -> bool {
    month(word).is_some() || is_weekday(word) || RELATIVE_DAYS.contains(&lower(word).as_ref())
}

/// Whether a word only says when: a month or weekday (full or abbreviated) or a time zone.
pub fn is_calendar_word(word: &str) -> bool {
    month(word).is_some() || is_weekday(word) || is_english_weekday(word) || is_time_zone(word)
}

/// Whether a word only says when: a calendar word or a clock word ("ago", "Uhr", "heures").
pub fn is_when_word(word: &str) -> bool {
    is_calendar_word(word) || CLOCK_WORDS.contains(&lower(word).as_ref())
}

/// Whether a word is a number written out ("three", "zwölf", "milhões").
pub fn is_number_word(word: &str) -> bool {
    NUMBER_WORDS.contains(&lower(word).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_in_every_language_and_form() {
        for (w, m) in [
            ("September", 9),
            ("Sept.", 9),
            ("sep", 9),
            ("Oktober", 10),
            ("okt", 10),
            ("Jänner", 1),
            ("août", 8),
            ("aout", 8),
            ("diciembre", 12),
            ("maggio", 5),
            ("março", 3),
            ("MAI", 5),
        ] {
            assert_eq!(month(w), Some(m), "{w}");
        }
        assert_eq!(month("monday"), None);
        assert_eq!(month("mayor"), None);
    }

    #[test]
    fn weekdays_zones_and_numbers() {
        assert!(is_weekday("Mittwoch") && is_weekday("sábado") && is_weekday("quinta-feira") && is_weekday("domenica"));
        assert!(!is_weekday("sun") && is_english_weekday("Sun") && is_english_weekday("thurs"));
        assert!(is_time_zone("EDT") && is_time_zone("mesz") && !is_time_zone("eat"));
        assert!(is_number_word("Twelve") && is_number_word("milhões") && !is_number_word("tent"));
        assert!(is_date_name("yesterday") && is_date_name("Dezember") && !is_date_name("wed"));
        assert!(is_calendar_word("wed") && is_calendar_word("GMT") && !is_calendar_word("mayor"));
    }

    #[test]
    fn language_subsets() {
        assert!(is_german_month("Oktober") && is_german_month("jänner") && !is_german_month("octobre"));
        assert!(is_english_month("Sept") && is_english_month("december") && !is_english_month("dezember"));
    }
}
