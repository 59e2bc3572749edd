//! Body extraction on small pages written for each rule.

use super::super::dom::{Dom, Marks};
use super::visible::layout_name;
use super::*;
use scraper::Html;

fn body(src: &str) -> Body {
    let html = Html::parse_document(src);
    let dom = Dom::build(&html, &Marks::default());
    extract(&dom, &Known { title: Some("The Headline"), byline: None })
}

const P1: &str =
    "The council voted on Tuesday to close the old bridge, citing a report that found deep cracks in two of its piers.";
const P2: &str = "Engineers said repairs would take at least a year, and the detour adds twenty minutes for commuters from the east side.";
const P3: &str = "Residents, who packed the hall, asked why the report had not been published sooner; the mayor promised an inquiry.";

#[test]
fn keeps_paragraphs_drops_furniture() {
    let src = format!(
        "<body><nav><a href=/>Home</a> <a href=/news>News</a></nav>\
         <div class=sidebar><p>Updated 7 minutes ago</p><ul><li><a href=/a>Other story one here</a></li></ul></div>\
         <article><h1>The Headline</h1><p>{P1}</p><div class=ad>Advertisement</div><p>{P2}</p>\
         <div class=share-bar><a href=#>Share</a></div><h2>What comes next</h2><p>{P3}</p>\
         <p>Editor's note: this article was updated to include the mayor's response.</p></article>\
         <footer><p>Copyright 2026 The Paper, all rights reserved in every known universe.</p></footer></body>"
    );
    let b = body(&src);
    assert_eq!(
        b.paragraphs,
        [P1, P2, "What comes next", P3, "Editor's note: this article was updated to include the mayor's response."]
    );
}

#[test]
fn br_separated_text_becomes_paragraphs() {
    let src = format!("<body><div id=story>{P1}<br><br>{P2}<br>{P3}</div><div id=links><a href=/x>x</a></div></body>");
    assert_eq!(body(&src).paragraphs, [P1, P2, P3]);
}

#[test]
fn notice_in_article_footer_is_kept() {
    let src = format!(
        "<body><article><div class=body><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>\
         <footer class=article-footer><p>Correction: An earlier version of this article misstated the length of the detour.</p></footer></article></body>"
    );
    let b = body(&src);
    assert_eq!(b.paragraphs.len(), 4, "{:?}", b.paragraphs);
    assert!(b.paragraphs[3].starts_with("Correction:"));
}

#[test]
fn a_brief_needs_headline_article_markup_and_a_sentence() {
    let brief = "<body><article><h1>The Headline</h1><p>The bridge has reopened after this morning's crash.</p></article></body>";
    assert_eq!(body(brief).paragraphs, ["The bridge has reopened after this morning's crash."]);
    let unmarked = brief.replace("article>", "div>");
    assert!(body(&unmarked).paragraphs.is_empty(), "no article markup");
    let sign_in = brief.replace(
        "The bridge has reopened after this morning's crash.",
        "Please sign in to continue reading this story.",
    );
    assert!(body(&sign_in).paragraphs.is_empty(), "a sign-in page");
    let fragment = brief.replace("The bridge has reopened after this morning's crash.", "Bridge reopened");
    assert!(body(&fragment).paragraphs.is_empty(), "no sentence");
}

#[test]
fn sections_split_by_subheadings_are_one_article() {
    // One long section outscores the others; each section adds only its
    // heading to its text wrapper, so the climb looks past it.
    let long = format!("<p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P1}</p><p>{P2}</p>");
    let part = |h: &str, ps: &str| {
        format!("<div class=part><div class=head><h3>{h}</h3></div><div class=b><div class=t>{ps}</div></div></div>")
    };
    let src = format!(
        "<body><nav><a href=/>Home</a></nav><div class=page><div class=content>{}{}{}</div></div></body>",
        part("First", &format!("<p>{P3}</p><p>{P2}</p>")),
        part("Second", &long),
        part("Third", &format!("<p>{P1}</p><p>{P3}</p>")),
    );
    let b = body(&src);
    assert_eq!(b.paragraphs.first().map(String::as_str), Some("First"), "{:?}", b.paragraphs);
    assert_eq!(b.paragraphs.len(), 3 + 2 + 5 + 2, "{:?}", b.paragraphs);
}

#[test]
fn collapsed_accordion_panels_are_read() {
    let item = |q: &str, a: &str| format!("<div class=item><h3>{q}</h3><div hidden><p>{a}</p><p>{P1}</p></div></div>");
    let src = format!(
        "<body><nav><a href=/>Home</a></nav><article><p>{P1}</p><p>{P2}</p>{}{}<p>{P3}</p></article></body>",
        item("Why now?", P2),
        item("What next?", P3).replace("<h3>What next?</h3>", "<div><a role=button href=#n>What next?</a></div>"),
    );
    let b = body(&src);
    // The second toggle is a bare link, dropped as a link line; its panel stays.
    assert_eq!(b.paragraphs.len(), 2 + 3 + 2 + 1, "{:?}", b.paragraphs);
    assert_eq!(b.paragraphs[2], "Why now?");
}

#[test]
fn panels_behind_a_button_are_read() {
    // A button's own content is skipped: a bare one beside the panel, or one in the heading.
    let bare = |q: &str, a: &str| {
        format!(
            "<div class=faq-item><button aria-expanded=false>{q}</button><div hidden><p>{a}</p><p>{P1}</p></div></div>"
        )
    };
    let in_heading = |q: &str, a: &str| {
        format!("<div class=faq-item><h3><button>{q}</button></h3><div hidden><p>{a}</p><p>{P1}</p></div></div>")
    };
    for item in [bare, in_heading] {
        let src = format!(
            "<body><nav><a href=/>Home</a></nav><article><p>{P1}</p><p>{P2}</p>{}{}<p>{P3}</p></article></body>",
            item("Why now?", P2),
            item("What next?", P3),
        );
        let b = body(&src);
        assert_eq!(b.paragraphs.len(), 2 + 2 + 2 + 1, "{:?}", b.paragraphs);
        assert_eq!(b.paragraphs[3], P1);
    }
    // A short hidden box beside a button (a modal and its close button) stays hidden.
    let modal = format!(
        "<body><article><p>{P1}</p><p>{P2}</p><p>{P3}</p></article><div class=modal><button>Close</button><div hidden><p>Sign up.</p></div></div></body>"
    );
    assert_eq!(body(&modal).paragraphs.len(), 3);
}

#[test]
fn layout_words_in_a_name_are_not_furniture() {
    assert!(layout_name("w-embed", ""));
    assert!(layout_name("field field--label-hidden field__items", ""));
    assert!(layout_name("layout--right-rail", ""));
    assert!(!layout_name("elementor-hidden-tablet elementor-hidden-mobile", ""), "shown on some screens only");
    assert!(!layout_name("modal", ""));
    assert!(!layout_name("embed sidebar", ""));
    assert!(!layout_name("plain", ""), "no furniture word at all");
}

#[test]
fn a_table_of_figures_in_an_embed_box_is_kept() {
    let rows: String = ["Quanta Services", "MYR Group", "MasTec", "Rosendin Electric", "Cupertino Electric"]
        .iter()
        .enumerate()
        .map(|(k, n)| format!("<tr><td><a href=/f{k}>{n}</a></td><td>${k}.4 billion in revenue for the year</td></tr>"))
        .collect();
    let src = format!(
        "<body><nav><a href=/>Home</a></nav><article><p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P1}</p>\
         <div class=w-embed><table><tr><th>Company</th><th>Revenue</th></tr>{rows}</table></div><p>{P2}</p><p>{P3}</p></article></body>"
    );
    let b = body(&src);
    assert!(b.paragraphs.iter().any(|p| p.starts_with("MasTec")), "{:?}", b.paragraphs);
    // A weak furniture word for what the box is, not how it is laid out, still drops it.
    let b = body(&src.replace("w-embed", "modal"));
    assert!(b.paragraphs.iter().all(|p| !p.starts_with("MasTec")), "{:?}", b.paragraphs);
}

#[test]
fn running_text_in_a_clipped_box_is_kept() {
    let src = format!(
        "<body><article><p>{P1}</p><p>{P2}</p><div class='grid overflow-hidden'><h3>Why now?</h3><p>{P3}</p><p>{P2}</p><p>{P1}</p></div></article></body>"
    );
    let b = body(&src);
    assert!(b.paragraphs.iter().any(|p| p == "Why now?"), "{:?}", b.paragraphs);
}

#[test]
fn hidden_menus_and_short_tips_stay_hidden() {
    // A menu after its button is links; a tooltip after a heading is short.
    let src = format!(
        "<body><article><p>{P1}</p><p>{P2}</p><button>Menu</button><div hidden><p>{}</p></div>\
         <h3>Note</h3><div hidden><p>Tap to copy.</p></div><p>{P3}</p></article></body>",
        (0..12).map(|k| format!("<a href=/s{k}>Section number {k}</a> ")).collect::<String>()
    );
    let b = body(&src);
    assert!(b.paragraphs.iter().all(|p| !p.contains("Section number") && !p.contains("Tap to")), "{:?}", b.paragraphs);
    assert!(b.paragraphs.iter().any(|p| p == P3), "{:?}", b.paragraphs);
}

#[test]
fn highlighted_code_keeps_its_comment_spans() {
    let src = format!(
        "<body><article><p>{P1}</p><p>{P2}</p><pre><code><span class=hljs-comment># undo the last commit</span>\ngit reset HEAD~1</code></pre><p>{P3}</p></article></body>"
    );
    let b = body(&src);
    assert!(b.paragraphs.iter().any(|p| p.contains("# undo the last commit")), "{:?}", b.paragraphs);
}

fn blocks_of(texts: &[&str]) -> Vec<Block> {
    let chars = |t: &str| t.chars().count() as u32;
    texts.iter().map(|t| Block { text: t.to_string(), chars: chars(t), ..Block::default() }).collect()
}

#[test]
fn a_repeated_copy_of_the_article_is_dropped() {
    let long = |n: usize| format!("{} {n}", "word ".repeat(55).trim_end());
    let (a, b, c) = (long(1), long(2), long(3));
    let mut kept = blocks_of(&[&a, &b, &c, "Unique ending.", &a, &b, &c]);
    drop_repeats(&mut kept);
    let texts: Vec<&str> = kept.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(texts, [a.as_str(), b.as_str(), c.as_str(), "Unique ending."]);
}

#[test]
fn repeated_labels_and_short_runs_stay() {
    let long = format!("{} end", "word ".repeat(45).trim_end());
    // Labels of a timetable repeat, and one long paragraph quoted again is not a copy.
    let texts = ["Line 4", "Every 10 minutes", "First bus 05:30", "Line 9", "Every 10 minutes", "First bus 05:30"];
    let mut kept = blocks_of(&texts);
    drop_repeats(&mut kept);
    assert_eq!(kept.len(), 6);
    let mut kept = blocks_of(&[&long, "Short line one here.", &long, "Short line one here.", "Other."]);
    drop_repeats(&mut kept);
    assert_eq!(kept.len(), 5);
}

#[test]
fn no_article_gives_reason() {
    let b = body("<body><nav><a href=/a>A</a><a href=/b>B</a></nav><p>Hi</p></body>");
    assert!(b.paragraphs.is_empty());
    assert!(b.reason.is_some());
}

#[test]
fn deep_nesting_is_fine() {
    let depth = 100_000;
    let src = format!("<body>{}<p>{P1}</p><p>{P2}</p>{}</body>", "<div>".repeat(depth), "</div>".repeat(depth));
    let src = super::super::guard::limit_depth(&src, super::super::guard::MAX_DEPTH);
    let html = Html::parse_document(&src);
    let dom = Dom::build(&html, &Marks::default());
    let b = extract(&dom, &Known::default());
    assert_eq!(b.paragraphs, [P1, P2]);
}

/// A block of `plain` text followed by `link` text.
fn linked_block(kind: BlockKind, plain: &str, link: &str) -> Block {
    let links = text::visible_len(link) as u32;
    let chars = text::visible_len(plain) as u32 + links;
    Block { text: format!("{plain}{link}"), chars, links, tag: "h3", kind, pos: 0 }
}

#[test]
fn linked_subheadings_and_rows_are_kept_teasers_are_not() {
    let known = Folded::of(&Known::default());
    let heading = linked_block(BlockKind::Subheading, "", "Lift the plant out");
    assert!(keep_block(&heading, &known), "a subheading wholly a link to its section");
    let teaser = linked_block(BlockKind::Subheading, "Related: ", "The best pens for journaling this year");
    assert!(!keep_block(&teaser, &known), "a teaser with a label beside its link");
    let row = linked_block(BlockKind::TableRow, " $8.2bn 2.9%", "Rivermouth Water Company (RVW)");
    assert!(row.links * 2 > row.chars && keep_block(&row, &known), "a row whose first cell links to its subject");
    let links_only = linked_block(BlockKind::TableRow, "", "Next page Previous page");
    assert!(!keep_block(&links_only, &known), "a row of links only");
    let line = linked_block(BlockKind::Paragraph, "", "Lift the plant out");
    assert!(!keep_block(&line, &known), "a lone linked line is still a teaser");
}

#[test]
fn a_guide_item_keeps_its_text_once_its_links_are_out() {
    // Each item of a round-up: a paragraph, a list of figures and a list of
    // further links. The links go; the rest is the story.
    let item = |name: &str| {
        format!(
            "<div class=item><div class=item-content><h2>1. <a href=/{name}>{name} School</a></h2>\
             <div><p>{name} is known for its ties to industry, a curriculum broader than most, and a campus that \
             combines access to the city with a relaxed college town setting, which students praise.</p></div>\
             <ul class=stats><li>Location: Boston</li><li>Class size: 930</li><li>Acceptance rate: 14%</li></ul></div>\
             <div class=item-links><h4>More:</h4><ul><li><a href=/{name}/essay>Best strategies for the {name} essay</a></li>\
             <li><a href=/{name}/interview>Guide to the {name} interview questions</a></li>\
             <li><a href=/{name}/cost>What the {name} programme costs in all</a></li></ul></div></div>"
        )
    };
    let src = format!(
        "<body><article class=entry-content><h1>The Headline</h1><p>{P1}</p><p>{P2}</p>{}{}{}<p>{P3}</p></article></body>",
        item("Harbor"),
        item("Hill"),
        item("Lake")
    );
    let b = body(&src);
    assert_eq!(b.paragraphs[0], P1, "{:#?}", b.paragraphs);
    for name in ["Harbor", "Hill", "Lake"] {
        assert!(b.paragraphs.iter().any(|p| p.starts_with(&format!("{name} is known"))), "{:#?}", b.paragraphs);
    }
    assert!(b.paragraphs.iter().any(|p| p == "Class size: 930"), "{:?}", b.paragraphs);
    assert!(!b.paragraphs.iter().any(|p| p.contains("essay")), "{:?}", b.paragraphs);
    // A box that is mostly links with a label left over is still furniture.
    let links = "<div class=more-box><h4>Popular now</h4><ul><li><a href=/a>The first other story of the day</a></li>\
                 <li><a href=/b>The second other story of the day</a></li><li><a href=/c>The third other story</a></li></ul></div>";
    let src = format!("<body><article><h1>The Headline</h1><p>{P1}</p><p>{P2}</p>{links}<p>{P3}</p></article></body>");
    assert_eq!(body(&src).paragraphs, [P1, P2, P3]);
}

#[test]
fn an_embedded_post_is_part_of_the_story_a_share_bar_is_not() {
    let tweet = "<div class=social-media-embed><blockquote class=twitter-tweet><p>The bridge closing adds half an hour \
                 to my commute, and nobody asked us: <a href=https://t.co/x>https://t.co/x</a></p>\
                 — Jo Rider (@jorider) <a href=https://twitter.com/jorider/status/1>March 3, 2026</a></blockquote></div>";
    let share = "<div class=social-share><a href=/fb>Share on Facebook</a> <a href=/x>Share on X</a></div>";
    let src =
        format!("<body><article><h1>The Headline</h1><p>{P1}</p>{tweet}<p>{P2}</p>{share}<p>{P3}</p></article></body>");
    let b = body(&src);
    assert!(b.paragraphs.iter().any(|p| p.starts_with("The bridge closing adds")), "{:#?}", b.paragraphs);
    assert!(b.paragraphs.iter().any(|p| p.contains("(@jorider)")), "{:#?}", b.paragraphs);
    assert!(!b.paragraphs.iter().any(|p| p.contains("Share on")), "{:#?}", b.paragraphs);
}
