//! The one detector of update, correction and editor's notices, in English, German,
//! French, Spanish, Italian and Portuguese. Extraction keeps a notice where its
//! furniture filters would drop it; comparison turns an added notice into an edit kind.
//!
//! A notice starts with a marker ("Editor's note", "Correction:", "Anmerkung der
//! Redaktion", "Note de la rédaction", "Nota del editor"…) or says anywhere that the
//! article was updated or corrected ("An earlier version of this article…"). A weak
//! marker ("Update:") makes a notice only when words other than a date follow it:
//! "Updated: Nov. 3, 2024 10:00 a.m. EST" is a dateline.

use std::sync::LazyLock;

use regex::Regex;

use super::lexicon;

/// Markers that make a notice on their own at the start of a text.
const STRONG: &str = r"(?:editors?['’`´]?s?['’`´]?\s+notes?|note\s+from\s+the\s+editors?|(?:a\s+)?note\s+to\s+(?:our\s+)?readers|corrections?\s+(?:and|&)\s+clarifications?|(?:an?\s+)?(?:earlier|previous|prior|original)\s+version\s+of\s+this\s+(?:article|story|report|post|piece|item|headline|column)|(?:this|the)\s+(?:article|story|report|post|piece)\s+(?:has\s+been|was|is\s+being|had\s+been)\s+(?:updated|corrected|amended|revised|edited|changed|clarified)|anmerkung\s+der\s+redaktion|hinweis\s+der\s+redaktion|in\s+einer\s+(?:früheren|vorherigen|älteren|ersten)\s+(?:version|fassung)|note\s+de\s+la\s+r[ée]daction|(?:une|dans\s+une)\s+(?:pr[ée]c[ée]dente\s+|premi[èe]re\s+)?version\s+(?:pr[ée]c[ée]dente\s+|ant[ée]rieure\s+)?de\s+cet\s+article|nota\s+del\s+(?:editor|editora|director)|nota\s+de\s+(?:la\s+)?redacci[óo]n|fe\s+de\s+err(?:at|or)as|una\s+versi[óo]n\s+(?:anterior|previa)\s+de\s+(?:este|esta)|nota\s+della\s+(?:redazione|direzione)|una\s+(?:precedente\s+)?versione\s+(?:precedente\s+)?di\s+questo|nota\s+d[oa]\s+(?:editor|editora|reda[cç]+[ãa]o)|uma\s+vers[ãa]o\s+anterior\s+(?:deste|desta|do|da))(?-u:\b)";

/// Markers that make a notice only when a colon, dash or bar follows (perhaps after a
/// date or a parenthesis): "Update:", "UPDATE (Nov. 3):", "Correction —", "N.d.R.:".
/// Single words and abbreviations are here, not in [`STRONG`]: "Errata in the
/// textbook…" and "NDR berichtete…" are not notices.
const WEAK: &str = r"(?:updates?|updated|editor['’`´]?s\s+update|corrections?|corrected|clarification|aktualisierung|aktualisiert|nachtrag|korrektur|berichtigung|erg[äa]nzung|richtigstellung|transparenzhinweis|anm\.\s*d\.\s*red\.?|mise\s+[àa]\s+jour|mis\s+[àa]\s+jour|rectificatif|erratum|errata|pr[ée]cision|n\.?\s?d\.?\s?l\.?\s?r\.?|actualizaci[óo]n|actualizado|correcci[óo]n|aclaraci[óo]n|aggiornamento|aggiornato|correzione|rettifica|precisazione|n\.?\s?d\.?\s?r\.?|atuali[sz]a[çc][ãa]o|actuali[sz]a[çc][ãa]o|atualizado|corre[cç]+[ãa]o|esclarecimento)";

/// Phrases that make a notice wherever they appear.
const ANYWHERE: &str = r"(?:this\s+(?:article|story|report|post|piece)\s+(?:has\s+been|was|have\s+been|had\s+been)\s+(?:updated|corrected|amended|revised|clarified)|(?:an?\s+)?(?:earlier|previous|prior)\s+version\s+of\s+this\s+(?:article|story|report|post|piece)|we\s+regret\s+the\s+error|(?:dieser|der)\s+(?:artikel|beitrag|text)\s+wurde\s+(?:nachträglich\s+)?(?:aktualisiert|korrigiert|ergänzt|geändert)|in\s+einer\s+(?:früheren|vorherigen)\s+(?:version|fassung)|cet\s+article\s+a\s+[ée]t[ée]\s+(?:mis\s+[àa]\s+jour|modifi[ée]|corrig[ée]|actualis[ée]|compl[ée]t[ée])|version\s+(?:pr[ée]c[ée]dente|ant[ée]rieure)\s+de\s+cet\s+article|(?:este|esta)\s+(?:art[íi]culo|texto|nota|noticia|reportaje)\s+(?:ha\s+sido|fue)\s+(?:actualizad|corregid|modificad)[oa]|una\s+versi[óo]n\s+anterior\s+de\s+(?:este|esta)|questo\s+articolo\s+[èe]\s+stato\s+(?:aggiornato|corretto|modificato|rettificato)|versione\s+precedente\s+di\s+questo\s+articolo|(?:este|esta)\s+(?:artigo|texto|reportagem|not[íi]cia|mat[ée]ria)\s+foi\s+(?:atualizad|actualizad|corrigid|alterad)[oa]|uma\s+vers[ãa]o\s+anterior\s+(?:deste|desta))";

/// A marker at the start of a text; group 1 is set when the marker is a strong one.
static START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^(?:({STRONG})|{WEAK}(?:\s*\([^)]{{0,60}}\)|[\s,]+[^:]{{0,30}}\d[^:]{{0,12}})?\s*(?:[:\u{{2014}}\u{{2013}}|]|-\s))"
    ))
    .unwrap()
});

static ANY: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!("(?i){ANYWHERE}")).unwrap());

/// Words that say a notice admits an error.
static ADMITS_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:correct|corrig|korrig|correg|corret|correc|corre[cç]|err(?:or|ors|ed|oneous|oneously|ata|ó|o|os|ou|eur|eurs|ore|ori|at|óneo|ónea|oneamente|ado|ada)|mistak|misstat|misidentif|misspell|misquot|misattribut|misreport|misrepresent|misnam|wrong|incorrect|inaccura|inexact|fehler|f[äa]lsch|korrekt|irrt|berichtig|richtigstell|rectific|rettific|sbagli|equivoc|fe\s+de\s+err)",
    )
    .unwrap()
});

fn strip_lead(s: &str) -> &str {
    s.trim_start_matches(|c: char| !c.is_alphanumeric())
}

/// Whether what follows a weak marker says something: two words that are not a date.
fn says_something(rest: &str) -> bool {
    rest.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 2)
        .filter(|w| !lexicon::is_when_word(w))
        .nth(1)
        .is_some()
}

/// Whether a text (a block, a sentence, folded or not) is a notice.
pub fn is_notice(text: &str) -> bool {
    let s = strip_lead(text);
    if let Some(c) = START.captures(s) {
        let m = c.get(0).expect("group 0 is the match");
        if c.get(1).is_some() || says_something(&s[m.end()..]) {
            return true;
        }
    }
    ANY.is_match(s)
}

/// Cheap test on the start of a text node: does it begin with a notice marker? The
/// rest of the notice may sit in the following nodes of its block.
pub fn starts_with_marker(text: &str) -> bool {
    let s = strip_lead(text);
    if !s.starts_with(|c: char| c.is_alphabetic()) {
        return false;
    }
    let mut end = s.len().min(160);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    START.is_match(&s[..end])
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
            "Editor’s note: this article was updated to include reactions from the ministry.",
            "EDITOR'S NOTE: The story has been expanded.",
            "Update: Police said on Friday that the suspect had been released.",
            "UPDATE (Nov. 3, 10:40 a.m.): The airport has reopened.",
            "Update, 5:12 p.m. — The council approved the plan.",
            "Update, Nov. 25: The company has since responded to our questions.",
            "Correction: An earlier version of this article misstated the mayor's age.",
            "Clarification: The report was commissioned by the city.",
            "An earlier version of this story misspelled the name of the school.",
            "*This article has been updated with comment from the company.",
            "The story has been updated with comment from the police.",
            "Anmerkung der Redaktion: Der Artikel wurde um eine Stellungnahme ergänzt.",
            "Korrektur: In einer früheren Version hieß es, die Sitzung sei am Montag.",
            "Transparenzhinweis: Der Autor ist Mitglied des Vereins.",
            "Anm. d. Red.: Der Text wurde um eine Stellungnahme ergänzt.",
            "Note de la rédaction : cet article a été mis à jour avec la réaction du ministère.",
            "Mise à jour : la préfecture a levé l'alerte.",
            "Rectificatif : une version précédente de cet article indiquait une mauvaise date.",
            "Nota del editor: Este artículo fue actualizado con declaraciones del ministerio.",
            "Fe de erratas: en una versión anterior se indicó otra fecha.",
            "Actualización: la policía confirmó dos detenidos.",
            "Nota della redazione: l'articolo è stato aggiornato.",
            "Aggiornamento: la strada è stata riaperta.",
            "Rettifica: la data del concerto era sbagliata.",
            "Nota do editor: este texto foi atualizado às 18h.",
            "Atualização: a polícia confirmou a prisão.",
            "Correção: uma versão anterior desta reportagem errou o nome do prefeito.",
            "He said the officers were not told. This article has been updated to include his comments.",
        ] {
            assert!(is_notice(s), "not recognised: {s}");
        }
    }

    #[test]
    fn ignores_ordinary_sentences_and_datelines() {
        for s in [
            "Correction officers said the prison was understaffed.",
            "Updated figures show a rise in cases.",
            "Updated: Nov. 3, 2024 10:00 a.m. EST",
            "Updated: Nov 25, 2026 at 10:14 a.m. ET",
            "Updated 7 minutes ago",
            "Aktualisiert: 3. Mai 2025, 10:15 Uhr",
            "Update",
            "The update will arrive next week.",
            "Die Korrektur der Prognose kam spät.",
            "La mise à jour du logiciel est prévue.",
        ] {
            assert!(!is_notice(s), "wrongly recognised: {s}");
        }
    }

    /// Texts on which the extractor's and the comparer's detectors used to disagree.
    #[test]
    fn settles_the_old_disagreements() {
        // Only the comparer knew Spanish, Italian and Portuguese markers.
        assert!(is_notice("Nota del editor: Este artículo fue actualizado a las 18.00."));
        assert!(is_notice("Nota della redazione: il testo è stato aggiornato con la replica del sindaco."));
        // The extractor asked for four words after "Update:"; two that are not a date are enough.
        assert!(is_notice("Update: Police released him."));
        // The comparer took a leading broadcaster's name or a single word for a marker.
        assert!(!is_notice("NDR berichtete am Montag über den Streik in Hamburg."));
        assert!(!is_notice("Errata in the first edition were corrected by hand."));
        assert!(is_notice("N.d.R.: l'intervista è stata raccolta prima delle elezioni."));
        // The extractor took any "Note:" for an editor's note.
        assert!(!is_notice("Note: prices include VAT and delivery."));
        // A strong marker is a notice even when what it says is short.
        assert!(is_notice("This article has been updated."));
    }

    #[test]
    fn markers_at_the_start_of_a_text_node() {
        assert!(starts_with_marker("Update, Aug. 3, 6:45 a.m.:"));
        assert!(starts_with_marker("Editor's note"));
        assert!(starts_with_marker("  — Correction: "));
        assert!(!starts_with_marker("Correction officers said"));
        assert!(!starts_with_marker("12 updates"));
        assert!(!starts_with_marker(""));
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
