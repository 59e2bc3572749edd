//! Unit tests of [`compare`] per edit kind, and of the renderings.

use super::*;

fn art(title: &str, paragraphs: &[&str]) -> Article {
    Article {
        title: Some(title.to_string()),
        byline: Some("By Priya Natarajan".to_string()),
        published: Some("2025-06-12T11:05:00-04:00".to_string()),
        modified: Some("2025-06-12T11:05:00-04:00".to_string()),
        lang: Some("en".to_string()),
        paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
        ..Article::default()
    }
}

const BODY: &[&str] = &[
    "PORT ALDER - Commuters will get a second ferry and three new evening sailings starting July 7, the Port Alder Transit Authority announced Thursday.",
    "The expansion, approved in a 6-1 vote, will cost about $2.3 million a year, most of it covered by a U.S. Department of Transportation grant.",
    "\"For years people have told us the last boat at 6:15 p.m. simply doesn't work,\" said Marcus Bell, the authority's executive director.",
    "Fares will not change. A one-way adult ticket remains $4.50.",
];

fn with(edit: impl FnOnce(&mut Vec<String>)) -> Article {
    let mut a = art("Ferry service to add second boat", BODY);
    edit(&mut a.paragraphs);
    a
}

fn base() -> Article {
    art("Ferry service to add second boat", BODY)
}

#[test]
fn identical_is_no_change() {
    let c = compare(&base(), &base());
    assert!(!c.changed);
    assert!(c.kinds.is_empty());
    assert!(c.blocks.is_empty() && c.added.is_empty() && c.removed.is_empty());
    assert_eq!(c.significance, 0.0);
}

#[test]
fn whitespace_quotes_and_invisibles_are_no_change() {
    let new = with(|p| {
        p[2] = "\u{201C}For years  people have told us the last boat at 6:15 p.m. simply doesn\u{2019}t\u{00AD} work,\u{201D}\n said Marcus Bell, the authority\u{2019}s executive\u{200B} director.".into();
        p[0] = format!("  {}  ", p[0].replace(" - ", " \u{2014} "));
    });
    let c = compare(&base(), &new);
    assert!(!c.changed, "{c:?}");
    assert!(c.kinds.is_empty());
}

#[test]
fn paragraph_resplit_is_no_change() {
    let new = with(|p| {
        let last = p.pop().unwrap();
        let (a, b) = last.split_once(". ").unwrap();
        p.push(format!("{a}."));
        p.push(b.to_string());
    });
    assert!(!compare(&base(), &new).changed);
}

#[test]
fn relative_times_and_counters_are_no_change() {
    let old = with(|p| p.insert(0, "Updated 7 hours ago \u{b7} 1,204 views".into()));
    let new = with(|p| p.insert(0, "Updated 8 hours ago \u{b7} 1,388 views".into()));
    assert!(!compare(&old, &new).changed);
}

#[test]
fn ignore_patterns_are_no_change() {
    let old = with(|p| p.push("Story ID 88123".into()));
    let new = with(|p| p.push("Story ID 90411".into()));
    assert!(compare(&old, &new).changed);
    let opts = DiffOptions { ignore: vec![Regex::new(r"Story ID \d+").unwrap()] };
    assert!(!compare_with(&old, &new, &opts).changed);
}

#[test]
fn editors_note_with_addition() {
    let mut new = with(|p| {
        p.push("White House spokesperson Dana Reyes said the administration welcomed the expansion of service to the island.".into());
        p.push("The Iranian Foreign Ministry did not comment on the matter when reached on Friday afternoon.".into());
        p.push("Editor's note: This article was updated to include reactions from the White House and the Iranian Foreign Ministry.".into());
    });
    new.modified = Some("2025-06-12T15:00:00-04:00".into());
    let c = compare(&base(), &new);
    assert!(c.changed);
    assert_eq!(c.kinds, [EditKind::Dates, EditKind::EditorsNote, EditKind::Addition]);
    assert_eq!(c.notes.len(), 1);
    assert!(c.notes[0].starts_with("Editor's note"));
    assert_eq!(c.added.len(), 3);
    assert!(c.summary.starts_with("Editor's note added; 2 paragraphs ("), "{}", c.summary);
    assert!(c.significance > 0.2);
}

#[test]
fn notice_inside_a_paragraph_is_found() {
    let new = with(|p| p[3].push_str(" Update: The authority said on Friday that fares would rise in 2026."));
    let c = compare(&base(), &new);
    assert!(c.kinds.contains(&EditKind::EditorsNote), "{:?}", c.kinds);
    assert!(!c.kinds.contains(&EditKind::Unannounced));
    assert_eq!(c.notes, ["Update: The authority said on Friday that fares would rise in 2026."]);
}

#[test]
fn correction_admits_an_error() {
    let new = with(|p| {
        p[2] = p[2].replace("Marcus Bell", "Marcus Bello");
        p.push("Correction: An earlier version of this article misspelled the name of the executive director.".into());
    });
    let c = compare(&base(), &new);
    assert!(c.kinds.contains(&EditKind::EditorsNote));
    assert!(c.kinds.contains(&EditKind::Correction));
    assert!(c.summary.starts_with("Correction added"), "{}", c.summary);
}

#[test]
fn headline_only() {
    let mut new = base();
    new.title = Some("Ferry service to add a second boat".into());
    let c = compare(&base(), &new);
    assert_eq!(c.kinds, [EditKind::Headline]);
    assert_eq!(c.headline.as_ref().unwrap().new.as_deref(), Some("Ferry service to add a second boat"));
    assert!(c.blocks.is_empty());
    assert_eq!(c.summary, "Headline changed");
}

#[test]
fn byline_only() {
    let mut new = base();
    new.byline = Some("By Priya Natarajan and Tom Hale".into());
    assert_eq!(compare(&base(), &new).kinds, [EditKind::Byline]);
}

#[test]
fn dates_only() {
    let mut new = base();
    new.modified = Some("2025-06-13T09:00:00-04:00".into());
    let c = compare(&base(), &new);
    assert_eq!(c.kinds, [EditKind::Dates]);
    assert!(c.significance <= 0.05);
}

#[test]
fn same_instant_is_not_a_date_change() {
    let mut new = base();
    new.published = Some("2025-06-12T15:05:00Z".into());
    assert!(!compare(&base(), &new).changed);
}

#[test]
fn removal_unannounced() {
    let new = with(|p| {
        p.remove(2);
    });
    let c = compare(&base(), &new);
    assert_eq!(c.kinds, [EditKind::Removal, EditKind::Unannounced]);
    assert_eq!(c.removed.len(), 1);
    assert!(c.summary.starts_with("1 paragraph (2"), "{}", c.summary);
}

#[test]
fn removal_with_modified_date_is_announced() {
    let mut new = with(|p| {
        p.remove(2);
    });
    new.modified = Some("2025-06-13T09:00:00-04:00".into());
    assert_eq!(compare(&base(), &new).kinds, [EditKind::Dates, EditKind::Removal]);
}

#[test]
fn fact_change() {
    let new = with(|p| p[1] = p[1].replace("6-1 vote", "5-2 vote"));
    let c = compare(&base(), &new);
    assert_eq!(c.kinds, [EditKind::Fact, EditKind::Unannounced]);
    assert_eq!(c.added.len(), 1);
    assert_eq!(c.removed.len(), 1);
}

#[test]
fn typo_fix() {
    let old = with(|p| p[3] = p[3].replace("change", "chnage"));
    let c = compare(&old, &base());
    assert_eq!(c.kinds, [EditKind::Typo]);
    assert!(c.significance <= 0.05);
    assert_eq!(c.summary, "1 typo fixed");
}

#[test]
fn rewording() {
    let new = with(|p| p[3] = p[3].replace("Fares will not change.", "Fares will stay where they are for now."));
    let c = compare(&base(), &new);
    assert_eq!(c.kinds, [EditKind::Rewording, EditKind::Unannounced]);
}

#[test]
fn sentence_addition_inside_paragraph() {
    let new = with(|p| p[3].push_str(" Children under 12 ride free on weekends."));
    let c = compare(&base(), &new);
    assert_eq!(c.kinds, [EditKind::Addition, EditKind::Unannounced]);
    assert_eq!(c.added, ["Children under 12 ride free on weekends."]);
    assert!(c.removed.is_empty());
}

#[test]
fn moved_paragraph() {
    let new = with(|p| {
        let x = p.remove(1);
        p.push(x);
    });
    let c = compare(&base(), &new);
    assert!(c.changed);
    assert!(c.kinds.is_empty());
    assert!(c.added.is_empty() && c.removed.is_empty());
    assert_eq!(c.summary, "1 paragraph moved");
}

#[test]
fn blocks_rebuild_both_bodies_and_round_trip() {
    let mut new = with(|p| {
        p[1] = p[1].replace("6-1", "5-2");
        p.remove(3);
        p.insert(0, "A new lede paragraph about the ferry.".into());
        let x = p.remove(1);
        p.push(x);
    });
    new.title = Some("Ferry to add boat".into());
    let c = compare(&base(), &new);
    assert_eq!(c.new_paragraphs(), new.paragraphs);
    assert_eq!(c.old_paragraphs(), base().paragraphs);
    let json = serde_json::to_string(&c).unwrap();
    let back: Change = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
    assert_eq!(render_html(&back), render_html(&c));
}

#[test]
fn contract_json_fields() {
    let new = with(|p| p[1] = p[1].replace("6-1", "5-2"));
    let v = serde_json::to_value(compare(&base(), &new)).unwrap();
    for f in ["changed", "kinds", "significance", "summary", "notes", "added", "removed"] {
        assert!(v.get(f).is_some(), "missing {f}");
    }
    assert_eq!(v["kinds"], serde_json::json!(["fact", "unannounced"]));
    // A change stored before the extra fields existed still reads.
    let old: Change = serde_json::from_str(
        r#"{"changed":true,"kinds":["typo"],"significance":0.1,"summary":"s","notes":[],"added":[],"removed":[]}"#,
    )
    .unwrap();
    assert_eq!(old.kinds, [EditKind::Typo]);
}

#[test]
fn html_escapes_article_text() {
    let evil = "<script>alert('x')</script> & \"quoted\" <img src=x onerror=alert(1)>";
    let mut new = with(|p| {
        p[1] = p[1].replace("6-1", "<b>5-2</b>");
        p.push(evil.into());
    });
    new.title = Some("<iframe src=javascript:alert(1)>".into());
    new.byline = Some("By <svg onload=alert(1)>".into());
    let h = render_html(&compare(&base(), &new));
    for bad in ["<script", "<img", "<iframe", "<svg", "<b>"] {
        assert!(!h.contains(bad), "unescaped {bad} in {h}");
    }
    assert!(h.contains("&lt;script&gt;"));
    assert!(h.contains("<ins>"));
    assert!(h.contains("<del>"));
}

#[test]
fn text_renderings_show_words_and_strip_escapes() {
    let new = with(|p| p[1] = p[1].replace("6-1", "5-2\u{1b}[2J"));
    let c = compare(&base(), &new);
    let t = render_text(&c, false);
    assert!(t.contains("[-6-1-]{+5-2"), "{t}");
    assert!(!t.contains('\u{1b}'));
    let colored = render_text(&c, true);
    assert!(colored.contains("\x1b[32m"));
    let u = render_unified(&c);
    assert!(u.starts_with("--- old\n+++ new\n@@ -"));
    assert!(u.contains("\n-The expansion, approved in a 6-1 vote"));
    assert!(u.contains("\n+The expansion, approved in a 5-2"));
    assert!(!u.contains('\u{1b}'));
}

#[test]
fn no_change_renders() {
    let c = compare(&base(), &base());
    assert_eq!(render_text(&c, false), "No change.\n");
    assert!(render_html(&c).contains("No change"));
    assert_eq!(render_unified(&c), "--- old\n+++ new\n");
}

#[test]
fn pathological_inputs_finish() {
    // One 12,000-word sentence against its words reversed, and one paragraph of 600
    // sentences against a different one: the deadlines and caps keep these bounded.
    let words: Vec<String> = (0..12_000).map(|k| format!("w{}", k % 997)).collect();
    let old = Article { paragraphs: vec![words.join(" ")], ..Article::default() };
    let mut rev = words.clone();
    rev.reverse();
    let new = Article { paragraphs: vec![rev.join(" ")], ..Article::default() };
    let start = std::time::Instant::now();
    let c = compare(&old, &new);
    assert!(c.changed);
    let sentences = |seed: usize| -> String {
        (0..600).map(|k| format!("Sentence {} about item {}.", k * seed, k)).collect::<Vec<_>>().join(" ")
    };
    let old = Article { paragraphs: vec![sentences(1)], ..Article::default() };
    let new = Article { paragraphs: vec![sentences(3)], ..Article::default() };
    assert!(compare(&old, &new).changed);
    assert!(start.elapsed() < std::time::Duration::from_secs(60), "{:?}", start.elapsed());
}

#[test]
fn resplit_paragraph_with_an_edit_elsewhere_moves_sentences() {
    // The last paragraph is split in two (a sentence "moves" to a new paragraph) and a figure
    // changes elsewhere: only the figure is an edit.
    let new = with(|p| {
        p[1] = p[1].replace("6-1", "5-2");
        let last = p.pop().unwrap();
        let (a, b) = last.split_once(". ").unwrap();
        p.push(format!("{a}."));
        p.push(b.to_string());
    });
    let c = compare(&base(), &new);
    assert_eq!(c.kinds, [EditKind::Fact, EditKind::Unannounced], "{}", c.summary);
    assert_eq!(c.added.len(), 1);
    assert_eq!(c.removed.len(), 1);
}

#[test]
fn sentence_moved_between_paragraphs() {
    let new = with(|p| {
        let moved = "A one-way adult ticket remains $4.50.";
        p[3] = p[3].replace(&format!(" {moved}"), "");
        p[0] = format!("{} {moved}", p[0]);
    });
    let c = compare(&base(), &new);
    assert!(c.changed);
    assert!(c.kinds.is_empty(), "{:?}", c.kinds);
    assert_eq!(c.stats.sentences_moved, 1);
    assert_eq!(c.summary, "1 sentence moved");
}

#[test]
fn unified_separates_paragraphs_per_side() {
    let new = with(|p| p.insert(2, "A new paragraph about the ferry schedule.".into()));
    let u = render_unified(&compare(&base(), &new));
    assert!(u.contains("\n+\n+A new paragraph about the ferry schedule.\n \n"), "{u}");
    // One hunk: old has 3 context paragraphs around it (lines 3..), new has two more lines.
    let header = u.lines().find(|l| l.starts_with("@@ -")).unwrap();
    let nums: Vec<usize> =
        header.split(|c: char| !c.is_ascii_digit()).filter(|x| !x.is_empty()).map(|x| x.parse().unwrap()).collect();
    assert_eq!(nums[3], nums[1] + 2, "{header}");
}
