//! The article as Markdown: headline, a line of byline and dates, then the
//! body with its headings, lists, quotes, code and table rows as their kinds say.

use super::{Article, BlockKind};

/// Renders `a` as Markdown. Versions without block kinds render as plain paragraphs.
pub fn render(a: &Article) -> String {
    let mut out = String::new();
    if let Some(t) = &a.title {
        out.push_str("# ");
        out.push_str(&escape_inline(t));
        out.push_str("\n\n");
    }
    let meta: Vec<&str> = [&a.byline, &a.published, &a.modified].iter().filter_map(|f| f.as_deref()).collect();
    if !meta.is_empty() {
        out.push('*');
        out.push_str(&escape_inline(&meta.join(" · ")));
        out.push_str("*\n\n");
    }
    let mut prev: Option<BlockKind> = None;
    let mut number = 0;
    for (i, p) in a.paragraphs.iter().enumerate() {
        let kind = a.block_kind(i);
        // Items of one list, rows of one table and lines of one quote stay together.
        let joined = prev == Some(kind)
            && matches!(kind, BlockKind::ListItem | BlockKind::OrderedItem | BlockKind::TableRow | BlockKind::Quote);
        if prev.is_some() {
            out.push_str(if joined && kind == BlockKind::Quote {
                "\n>\n"
            } else if joined {
                "\n"
            } else {
                "\n\n"
            });
        }
        number = if joined { number + 1 } else { 1 };
        match kind {
            BlockKind::Paragraph => out.push_str(&escape_start(p)),
            BlockKind::Heading => push_prefixed(&mut out, "## ", p),
            BlockKind::Subheading => push_prefixed(&mut out, "### ", p),
            BlockKind::ListItem => push_prefixed(&mut out, "- ", p),
            BlockKind::OrderedItem => push_prefixed(&mut out, &format!("{number}. "), p),
            BlockKind::Quote => push_prefixed(&mut out, "> ", p),
            BlockKind::TableRow => {
                out.push_str(&escape_start(p));
                // A hard line break keeps the rows apart.
                out.push_str("  ");
            }
            BlockKind::Time => {
                out.push_str("**");
                out.push_str(&escape_inline(p));
                out.push_str("**");
            }
            BlockKind::Code => {
                let fence = if p.contains("```") { "~~~~" } else { "```" };
                out.push_str(fence);
                out.push('\n');
                out.push_str(p);
                out.push('\n');
                out.push_str(fence);
            }
        }
        prev = Some(kind);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn push_prefixed(out: &mut String, prefix: &str, text: &str) {
    out.push_str(prefix);
    out.push_str(&escape_inline(text));
}

/// Backslashes before characters that would start emphasis, code or links.
fn escape_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Like [`escape_inline`], and also a start that would read as a heading,
/// quote, list item or rule.
fn escape_start(s: &str) -> String {
    let s = escape_inline(s);
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let numbered = digits > 0 && matches!(s.as_bytes().get(digits), Some(b'.' | b')'));
    if s.starts_with(['#', '>', '-', '+', '=', '|']) {
        format!("\\{s}")
    } else if numbered {
        format!("{}\\{}", &s[..digits], &s[digits..])
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(blocks: &[(BlockKind, &str)]) -> Article {
        Article {
            title: Some("Rent cap explained".into()),
            byline: Some("Annelies de Vries".into()),
            paragraphs: blocks.iter().map(|b| b.1.to_string()).collect(),
            block_kinds: blocks.iter().map(|b| b.0).collect(),
            ..Article::default()
        }
    }

    #[test]
    fn kinds_become_markdown() {
        use BlockKind::*;
        let a = article(&[
            (Paragraph, "The cap starts in July."),
            (Heading, "Who is covered?"),
            (ListItem, "Flats"),
            (ListItem, "Rooms"),
            (OrderedItem, "Find your rent."),
            (OrderedItem, "Apply the formula."),
            (Quote, "It ends the letters."),
            (Code, "new = old * 1.03"),
            (Subheading, "Checking"),
            (TableRow, "Rent Rise"),
            (TableRow, "€900 €38"),
            (Time, "13:05 GMT"),
        ]);
        let want = "# Rent cap explained\n\n*Annelies de Vries*\n\nThe cap starts in July.\n\n## Who is covered?\n\n\
                    - Flats\n- Rooms\n\n1. Find your rent.\n2. Apply the formula.\n\n> It ends the letters.\n\n\
                    ```\nnew = old * 1.03\n```\n\n### Checking\n\nRent Rise  \n€900 €38  \n\n**13:05 GMT**\n";
        assert_eq!(render(&a), want);
    }

    #[test]
    fn old_versions_without_kinds_are_paragraphs() {
        let a = Article { paragraphs: vec!["One.".into(), "# Two".into(), "3. Three".into()], ..Article::default() };
        assert_eq!(render(&a), "One.\n\n\\# Two\n\n3\\. Three\n");
    }

    #[test]
    fn markup_characters_in_text_are_escaped() {
        let a = article(&[(BlockKind::ListItem, "use *care* with [links]")]);
        assert!(render(&a).ends_with("- use \\*care\\* with \\[links\\]\n"), "{}", render(&a));
    }
}
