//! Update, correction and clarification notices, in English, German, French, Spanish,
//! Italian and Portuguese.
//!
//! A notice is a sentence that starts with a notice marker ("Editor's note", "Correction:",
//! "Anmerkung der Redaktion", "Note de la rédaction", "Nota del editor"…) or says that the
//! article was updated or corrected ("An earlier version of this article…").

use std::sync::LazyLock;

use regex::Regex;

/// Markers that make a notice on their own, at the start of a sentence.
const STRONG: &str = r"(?:editor'?s'?\s+note|editors'\s+note|note\s+from\s+the\s+editors?|(?:a\s+)?note\s+to\s+(?:our\s+)?readers|corrections?\s+(?:and|&)\s+clarifications?|(?:an?\s+)?(?:earlier|previous|prior|original)\s+version\s+of\s+this\s+(?:article|story|report|post|piece|item|headline|column)|this\s+(?:article|story|report|post|piece)\s+(?:has\s+been|was|is\s+being|had\s+been)\s+(?:updated|corrected|amended|revised|edited|changed)|anmerkung\s+der\s+redaktion|anm\.\s*d\.\s*red\.?|hinweis\s+der\s+redaktion|in\s+einer\s+(?:früheren|vorherigen|älteren|ersten)\s+(?:version|fassung)|transparenzhinweis|richtigstellung|note\s+de\s+la\s+r[ée]daction|n\.?\s?d\.?\s?l\.?\s?r\.?|rectificatif|erratum|(?:une|dans\s+une)\s+(?:pr[ée]c[ée]dente\s+|premi[èe]re\s+)?version\s+(?:pr[ée]c[ée]dente\s+|ant[ée]rieure\s+)?de\s+cet\s+article|nota\s+del\s+(?:editor|editora|director)|nota\s+de\s+(?:la\s+)?redacci[óo]n|fe\s+de\s+err(?:at|or)as|una\s+versi[óo]n\s+(?:anterior|previa)\s+de\s+(?:este|esta)|nota\s+della\s+(?:redazione|direzione)|n\.?\s?d\.?\s?r\.?|una\s+(?:precedente\s+)?versione\s+(?:precedente\s+)?di\s+questo|nota\s+d[oa]\s+(?:editor|editora|reda[cç]+[ãa]o)|errata|uma\s+vers[ãa]o\s+anterior\s+(?:deste|desta|do|da))\b";

/// Markers that make a notice only when a colon or dash follows (perhaps after a date):
/// "Update:", "UPDATE (Nov. 3):", "Correction —".
const WEAK: &str = r"(?:updates?|updated|editor'?s\s+update|correction|corrected|clarification|aktualisierung|aktualisiert|update|nachtrag|korrektur|berichtigung|erg[äa]nzung|mise\s+[àa]\s+jour|mis\s+[àa]\s+jour|correction|pr[ée]cision|actualizaci[óo]n|actualizado|correcci[óo]n|aclaraci[óo]n|aggiornamento|aggiornato|correzione|precisazione|atuali[sz]a[çc][ãa]o|actuali[sz]a[çc][ãa]o|atualizado|corre[cç]+[ãa]o|esclarecimento)";

/// Phrases that make a notice wherever they appear in a sentence.
const ANYWHERE: &str = r"(?:this\s+(?:article|story|report|post|piece)\s+(?:has\s+been|was|have\s+been|had\s+been)\s+(?:updated|corrected|amended|revised)|(?:an?\s+)?(?:earlier|previous|prior)\s+version\s+of\s+this\s+(?:article|story|report|post|piece)|we\s+regret\s+the\s+error|(?:dieser|der)\s+(?:artikel|beitrag|text)\s+wurde\s+(?:nachträglich\s+)?(?:aktualisiert|korrigiert|ergänzt|geändert)|in\s+einer\s+(?:früheren|vorherigen)\s+(?:version|fassung)|cet\s+article\s+a\s+[ée]t[ée]\s+(?:mis\s+[àa]\s+jour|modifi[ée]|corrig[ée]|actualis[ée]|compl[ée]t[ée])|version\s+(?:pr[ée]c[ée]dente|ant[ée]rieure)\s+de\s+cet\s+article|(?:este|esta)\s+(?:art[íi]culo|texto|nota|noticia|reportaje)\s+(?:ha\s+sido|fue)\s+(?:actualizad|corregid|modificad)[oa]|una\s+versi[óo]n\s+anterior\s+de\s+(?:este|esta)|questo\s+articolo\s+[èe]\s+stato\s+(?:aggiornato|corretto|modificato|rettificato)|versione\s+precedente\s+di\s+questo\s+articolo|(?:este|esta)\s+(?:artigo|texto|reportagem|not[íi]cia|mat[ée]ria)\s+foi\s+(?:atualizad|actualizad|corrigid|alterad)[oa]|uma\s+vers[ãa]o\s+anterior\s+(?:deste|desta))";

static START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^(?:{STRONG}|{WEAK}(?:\s*\([^)]{{0,60}}\)|[\s,]+[^:]{{0,30}}\d[^:]{{0,12}})?\s*(?:[:\u{{2014}}\u{{2013}}|]|-\s))"
    ))
    .unwrap()
});

static ANY: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!("(?i){ANYWHERE}")).unwrap());

/// Words that say a notice admits an error.
static ADMITS_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:correct|corrig|korrig|correg|corret|correc|corre[cç]|err(?:or|ors|ed|oneous|oneously|ata|ó|ata|o|os|ou|eur|eurs|ore|ori|at|óneo|ónea|oneamente|ado|ada|ou)|mistak|misstat|misidentif|misspell|misquot|misattribut|misreport|misrepresent|misnam|wrong|incorrect|inaccura|inexact|fehler|f[äa]lsch|korrekt|irrt|berichtig|richtigstell|rectific|rettific|sbagli|equivoc|fe\s+de\s+err)",
    )
    .unwrap()
});

fn strip_lead(s: &str) -> &str {
    s.trim_start_matches(|c: char| !c.is_alphanumeric())
}

/// Whether a folded sentence is (the start of) a notice.
pub fn is_notice(sentence: &str) -> bool {
    let s = strip_lead(sentence);
    if let Some(m) = START.find(s) {
        // "Updated: Nov. 3, 2024 10:00 a.m." is a date line, not a notice: a notice says something.
        let rest = &s[m.end()..];
        return STRONG_ONLY.is_match(&s[..m.end()]) || says_something(rest);
    }
    ANY.is_match(s)
}

static STRONG_ONLY: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!("(?i)^{STRONG}")).unwrap());

const DATE_WORDS: &[&str] = &[
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
    "sept",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "gmt",
    "utc",
    "cest",
    "edt",
    "est",
    "pdt",
    "pst",
    "bst",
];

fn says_something(rest: &str) -> bool {
    rest.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 4)
        .any(|w| !DATE_WORDS.contains(&w.to_lowercase().as_str()))
}

/// Whether a notice admits an error (a correction rather than an update).
pub fn admits_error(notice: &str) -> bool {
    ADMITS_ERROR.is_match(notice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_notices_in_six_languages() {
        for s in [
            "Editor's note: This article was updated to include reactions from the White House.",
            "EDITOR'S NOTE: The story has been expanded.",
            "Update: Police said on Friday that the suspect had been released.",
            "UPDATE (Nov. 3, 10:40 a.m.): The airport has reopened.",
            "Update, 5:12 p.m. — The council approved the plan.",
            "Correction: An earlier version of this article misstated the mayor's age.",
            "Clarification: The report was commissioned by the city.",
            "An earlier version of this story misspelled the name of the school.",
            "*This article has been updated with comment from the company.",
            "Anmerkung der Redaktion: Der Artikel wurde um eine Stellungnahme ergänzt.",
            "Korrektur: In einer früheren Version hieß es, die Sitzung sei am Montag.",
            "Transparenzhinweis: Der Autor ist Mitglied des Vereins.",
            "Note de la rédaction : cet article a été mis à jour avec la réaction du ministère.",
            "Mise à jour : la préfecture a levé l'alerte.",
            "Rectificatif : une version précédente de cet article indiquait une mauvaise date.",
            "Nota del editor: Este artículo fue actualizado con declaraciones del ministerio.",
            "Fe de erratas: en una versión anterior se indicó otra fecha.",
            "Actualización: la policía confirmó dos detenidos.",
            "Nota della redazione: l'articolo è stato aggiornato.",
            "Aggiornamento: la strada è stata riaperta.",
            "Rettifica: in una versione precedente di questo articolo la data era sbagliata.",
            "Nota do editor: este texto foi atualizado às 18h.",
            "Atualização: a polícia confirmou a prisão.",
            "Correção: uma versão anterior desta reportagem errou o nome do prefeito.",
            "He said the officers were not told. This article has been updated to include his comments.",
        ] {
            assert!(is_notice(s), "not recognised: {s}");
        }
    }

    #[test]
    fn ignores_ordinary_sentences() {
        for s in [
            "Correction officers said the prison was understaffed.",
            "Updated figures show a rise in cases.",
            "Updated: Nov. 3, 2024 10:00 a.m. EST",
            "The update will arrive next week.",
            "Die Korrektur der Prognose kam spät.",
            "La mise à jour du logiciel est prévue.",
        ] {
            assert!(!is_notice(s), "wrongly recognised: {s}");
        }
    }

    #[test]
    fn tells_corrections_from_updates() {
        assert!(admits_error("Correction: An earlier version misstated the date."));
        assert!(admits_error("An earlier version of this article misspelled her name."));
        assert!(admits_error("Rettifica: la data era sbagliata."));
        assert!(admits_error("Korrektur: In einer früheren Version stand fälschlicherweise Montag."));
        assert!(!admits_error("Editor's note: this article was updated to include reactions."));
        assert!(!admits_error("Update: Police released the suspect."));
    }
}
