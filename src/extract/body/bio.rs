//! The author's bio at the end of a story ("Jane Doe is a staff writer…"): about
//! the writer, not the story, and rewritten on its own schedule.

use super::flatten::Block;

/// How many closing paragraphs may hold the bio.
const TAIL: usize = 3;

/// The names in a byline ("Jane Doe and John Roe" → both); a name has two words
/// or more, so a lone first name or an outlet's one-word name never matches.
pub fn byline_names(byline: &str) -> Vec<&str> {
    byline
        .split([',', '&', ';'])
        .flat_map(|part| part.split(" and "))
        .map(str::trim)
        .filter(|name| name.split_whitespace().count() >= 2)
        .collect()
}

/// Whether `text` opens as a bio of one of `names`: "Jane Doe is …",
/// "(Jane Doe is …", "About the author: Jane Doe is …".
pub fn opens_bio(text: &str, names: &[&str]) -> bool {
    let t = text.trim_start().trim_start_matches('(');
    let t = strip_prefix_ci(t, "about the author:").unwrap_or(t).trim_start();
    names.iter().any(|name| t.strip_prefix(name).is_some_and(|rest| rest.starts_with(" is ")))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

/// A heading that only announces the bio ("About the author", "Contributor").
fn is_bio_heading(text: &str) -> bool {
    let t = text.trim().trim_end_matches(':').to_lowercase();
    matches!(
        t.as_str(),
        "about the author"
            | "about the authors"
            | "about the writer"
            | "author"
            | "authors"
            | "contributor"
            | "written by"
    )
}

/// Where the closing bio starts in `texts` (with the heading announcing it), never at the first paragraph.
pub fn bio_start(texts: &[&str], names: &[&str]) -> Option<usize> {
    let from = texts.len().saturating_sub(TAIL).max(1);
    let at = (from..texts.len()).find(|&i| opens_bio(texts[i], names))?;
    Some(if is_bio_heading(texts[at - 1]) && at > 1 { at - 1 } else { at })
}

/// Drops the author's bio, and what follows it, from the end of the story.
pub(super) fn drop_bio(kept: &mut Vec<Block>, byline: Option<&str>) {
    let names = byline.map(byline_names).unwrap_or_default();
    if names.is_empty() {
        return;
    }
    let texts: Vec<&str> = kept.iter().map(|b| b.text.as_str()).collect();
    if let Some(at) = bio_start(&texts, &names) {
        kept.truncate(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_byline() {
        assert_eq!(byline_names("Jane Doe and John Roe, Reuters"), vec!["Jane Doe", "John Roe"]);
        assert!(byline_names("Staff").is_empty());
    }

    #[test]
    fn a_bio_opens_with_the_name_and_is() {
        let names = ["Jane Doe"];
        assert!(opens_bio("Jane Doe is a staff writer covering transport.", &names));
        assert!(opens_bio("(Jane Doe is an attorney at Smith & Co.)", &names));
        assert!(opens_bio("About the author: Jane Doe is a photographer.", &names));
        assert!(!opens_bio("Jane Doe said the plan was late.", &names));
        assert!(!opens_bio("John Roe is the mayor.", &names));
    }

    #[test]
    fn the_bio_goes_with_its_heading_only_at_the_end() {
        let names = ["Jane Doe"];
        let story = ["Lead.", "Body.", "More.", "About the author", "Jane Doe is a writer.", "Follow her."];
        assert_eq!(bio_start(&story, &names), Some(3));
        // Early in the story the same sentence is the story's.
        let early = ["Lead.", "Jane Doe is a writer.", "Body.", "More.", "Close.", "End."];
        assert_eq!(bio_start(&early, &names), None);
        assert_eq!(bio_start(&["Jane Doe is a writer."], &names), None);
    }
}
