//! What metadata and dates read of a parsed element: its text, and whether it sits
//! in page furniture.

use scraper::ElementRef;

/// The text of an element, runs of whitespace folded to one space. A line break
/// or a block inside it separates words ("WEEKEND<br>CODING" is two words).
pub fn element_text(e: &ElementRef) -> String {
    use ego_tree::iter::Edge;
    let mut s = String::new();
    for edge in e.traverse() {
        let (Edge::Open(n) | Edge::Close(n)) = edge;
        match n.value() {
            scraper::Node::Text(t) if matches!(edge, Edge::Open(_)) => s.push_str(t),
            scraper::Node::Element(el) if matches!(el.name(), "br" | "p" | "div" | "li") => s.push(' '),
            _ => {}
        }
    }
    super::text::collapse(&s)
}

/// Whether an element sits in page furniture whose names are not the article's byline:
/// a sidebar, a gallery, related stories, comments, the footer.
pub fn in_furniture(e: &ElementRef) -> bool {
    static NAMES: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)sidebar|related|gallery|slideshow|carousel|comment|recommend|popular|trending|read-?next|more-?stories|teaser|newsletter|promo",
        )
        .unwrap()
    });
    // A name token says what the element is; "has-sidebar" or "comments-open" (WordPress's
    // <body> classes), layout wrappers ("content-sidebar-wrap"), modifiers
    // ("article--sidebar-right") and utility classes ("md:[grid-area:sidebar]") only say
    // what the page holds around it.
    let furniture = |v: &str| {
        v.split_whitespace().any(|t| {
            NAMES.is_match(t)
                && !t.contains([':', '[', '(', '='])
                && !t.contains("--")
                && !["wrap", "layout", "grid", "container", "content-"].iter().any(|p| t.contains(p))
                && !["has-", "with-", "no-", "show-", "single-"].iter().any(|p| t.starts_with(p))
                && !["-open", "-closed", "-enabled", "-active", "-template"].iter().any(|p| t.ends_with(p))
        })
    };
    std::iter::once(*e).chain(e.ancestors().filter_map(ElementRef::wrap)).any(|a| {
        let el = a.value();
        // One pass over the attributes: `Element::attr` interns its argument.
        !matches!(el.name(), "html" | "body" | "main" | "article")
            && (matches!(el.name(), "aside" | "nav")
                || el.attrs().any(|(k, v)| matches!(k, "class" | "id") && furniture(v)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_blocks_separate_words() {
        let html = scraper::Html::parse_fragment(
            "<h1> WEEKEND<br>CODING<br> <span>AGENT</span><div>Now</div>in <b>b</b>old</h1>",
        );
        let h1 = html.select(&scraper::Selector::parse("h1").unwrap()).next().unwrap();
        assert_eq!(element_text(&h1), "WEEKEND CODING AGENT Now in bold");
    }
}
