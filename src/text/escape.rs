//! HTML escaping for the web UI, the Atom feed and email (and the simulated newsroom's pages).

/// Text safe inside HTML (and XML) text and inside quoted attribute values: `&`, `<`, `>`,
/// `"` and `'` become entities; control characters other than newline and tab become spaces.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn markup_quotes_and_controls_are_neutralised() {
        assert_eq!(
            escape_html("<a href=\"x\" title='y'>&amp;</a>\u{1b}[2J\n\t"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt; [2J\n\t"
        );
    }
}
