//! Where everything on a card goes (pure): text cleaned, broken into lines that fit the width
//! (between words, between CJK characters, inside a word too long for a line), the lines
//! stacked from the top, and the body cut with "…" where the card would grow past its cap.

use super::CardData;
use super::font;
use crate::diff::SegOp;

/// Card width in pixels (a phone shows it at full width, about 3 px per CSS px).
pub(crate) const WIDTH: u32 = 1200;
/// Margin on every side.
pub(crate) const PAD: f32 = 56.0;
/// The width text may take.
pub(crate) const TEXT_WIDTH: f32 = WIDTH as f32 - 2.0 * PAD;
/// Cards never grow taller than this; the body is cut to fit.
pub(crate) const MAX_HEIGHT: f32 = 2000.0;

/// What a line is, which says its size, weight and colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Outlet,
    Headline,
    Summary,
    Body,
    /// "… 12 more lines": where the body was cut.
    More,
    Legend,
}

impl Role {
    /// Font size in pixels, line height, bold, lines at most (0: no limit of its own).
    pub(crate) fn style(self) -> (f32, f32, bool, usize) {
        match self {
            Role::Outlet => (28.0, 40.0, true, 1),
            Role::Headline => (46.0, 58.0, true, 3),
            Role::Summary => (28.0, 40.0, false, 2),
            Role::Body => (32.0, 50.0, false, 0),
            Role::More | Role::Legend => (28.0, 44.0, false, 1),
        }
    }
}

/// A run of text on one line, all of one mark, `x` from the left text edge.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Piece {
    pub op: SegOp,
    pub text: String,
    pub x: f32,
    pub width: f32,
}

/// One line of a card: its box starts at `top`; `baseline` is where its text sits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub role: Role,
    pub top: f32,
    pub baseline: f32,
    pub pieces: Vec<Piece>,
}

/// A whole card, ready to be drawn.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    pub height: u32,
    pub lines: Vec<Line>,
    /// Where the rule between the header and the body is.
    pub rule: f32,
    /// Whether the body was cut.
    pub cut: bool,
}

const PARAGRAPH_GAP: f32 = 16.0;
/// Room between a removed and an added run that touch.
const MARK_GAP: f32 = 8.0;
const RULE_GAP: f32 = 24.0;

/// Lays out `data`.
pub(crate) fn layout(data: &CardData) -> Layout {
    let mut lines = Vec::new();
    let mut y = PAD - 8.0;
    let stack = |role: Role, wrapped: Vec<Vec<Piece>>, y: &mut f32, lines: &mut Vec<Line>| {
        let (size, height, _, _) = role.style();
        for pieces in wrapped {
            lines.push(Line { role, top: *y, baseline: *y + height / 2.0 + size * 0.35, pieces });
            *y += height;
        }
    };
    let header = match clean(&data.when) {
        when if when.is_empty() => data.outlet.clone(),
        when => format!("{} · {when}", data.outlet),
    };
    stack(Role::Outlet, wrap_role(Role::Outlet, &[(SegOp::Same, &header)]), &mut y, &mut lines);
    stack(Role::Headline, wrap_role(Role::Headline, &[(SegOp::Same, &data.headline)]), &mut y, &mut lines);
    if !clean(&data.summary).is_empty() {
        stack(Role::Summary, wrap_role(Role::Summary, &[(SegOp::Same, &data.summary)]), &mut y, &mut lines);
    }
    y += RULE_GAP / 2.0;
    let rule = y;
    y += RULE_GAP;

    // The body, as far as the cap allows with room kept for the "more" line and the legend.
    let (_, body_height, _, _) = Role::Body.style();
    let (_, small_height, _, _) = Role::Legend.style();
    let limit = MAX_HEIGHT - PAD - 2.0 * small_height - PARAGRAPH_GAP;
    let (size, _, bold, _) = Role::Body.style();
    let mut body: Vec<Vec<Piece>> = Vec::new();
    let mut gaps_before = Vec::new();
    let mut hidden = 0;
    let mut body_y = y;
    let paragraphs = if data.paragraphs.is_empty() {
        vec![vec![crate::diff::Segment { op: SegOp::Same, text: "No change in the text.".into() }]]
    } else {
        data.paragraphs.clone()
    };
    for (i, paragraph) in paragraphs.iter().enumerate() {
        let spans: Vec<(SegOp, &str)> = paragraph.iter().map(|s| (s.op, s.text.as_str())).collect();
        for (j, line) in wrap(&spans, TEXT_WIDTH, size, bold).into_iter().enumerate() {
            let gap = if i > 0 && j == 0 { PARAGRAPH_GAP } else { 0.0 };
            if hidden > 0 || body_y + gap + body_height > limit {
                hidden += 1;
                continue;
            }
            body_y += gap + body_height;
            gaps_before.push(gap);
            body.push(line);
        }
    }
    if hidden > 0
        && let Some(last) = body.last_mut()
    {
        ellipsize(last, TEXT_WIDTH, size, bold);
    }
    for (pieces, gap) in body.into_iter().zip(gaps_before) {
        y += gap;
        stack(Role::Body, vec![pieces], &mut y, &mut lines);
    }
    let cut = hidden > 0;
    if cut {
        let more = format!("… {hidden} more line{} on the change page", if hidden == 1 { "" } else { "s" });
        stack(Role::More, wrap_role(Role::More, &[(SegOp::Same, &more)]), &mut y, &mut lines);
    }
    y += PARAGRAPH_GAP;
    let legend = [(SegOp::Del, "struck out: removed"), (SegOp::Same, "   "), (SegOp::Ins, "underlined: added")];
    stack(Role::Legend, wrap_role(Role::Legend, &legend), &mut y, &mut lines);
    let height = (y + PAD - 8.0).ceil().min(MAX_HEIGHT) as u32;
    Layout { height, lines, rule, cut }
}

/// `spans` wrapped in the style of `role`, cut to its line limit with "…".
fn wrap_role(role: Role, spans: &[(SegOp, &str)]) -> Vec<Vec<Piece>> {
    let (size, _, bold, most) = role.style();
    let mut lines = wrap(spans, TEXT_WIDTH, size, bold);
    if lines.is_empty() {
        lines.push(Vec::new());
    }
    if most > 0 && lines.len() > most {
        lines.truncate(most);
        if let Some(last) = lines.last_mut() {
            ellipsize(last, TEXT_WIDTH, size, bold);
        }
    }
    lines
}

/// Text as one line of words: whitespace and control characters (and the two code points
/// XML forbids) become single spaces; the ends are trimmed.
pub(crate) fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' {
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

/// Whether a line may break before and after `c` without a space (CJK ideographs, kana,
/// Hangul, full-width forms).
fn breaks_around(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11FF}' | '\u{2E80}'..='\u{A4CF}' | '\u{AC00}'..='\u{D7AF}'
        | '\u{F900}'..='\u{FAFF}' | '\u{FE30}'..='\u{FE4F}' | '\u{FF00}'..='\u{FFEF}'
        | '\u{20000}'..='\u{3FFFD}')
}

/// A word, or the space before one, with its mark.
enum Token<'a> {
    Space(SegOp),
    Word(SegOp, &'a str),
}

fn tokens(op: SegOp, text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c == ' ' || breaks_around(c) {
            if let Some(s) = start.take() {
                out.push(Token::Word(op, &text[s..i]));
            }
            out.push(if c == ' ' { Token::Space(op) } else { Token::Word(op, &text[i..i + c.len_utf8()]) });
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(Token::Word(op, &text[s..]));
    }
    out
}

/// Lines being filled.
struct Filler {
    max: f32,
    size: f32,
    bold: bool,
    lines: Vec<Vec<Piece>>,
    line: Vec<Piece>,
    x: f32,
    space: Option<SegOp>,
}

impl Filler {
    fn place(&mut self, op: SegOp, text: &str, width: f32) {
        match self.line.last_mut() {
            Some(last) if last.op == op => {
                last.text.push_str(text);
                last.width += width;
            }
            _ => self.line.push(Piece { op, text: text.to_string(), x: self.x, width }),
        }
        self.x += width;
    }

    fn break_line(&mut self) {
        self.lines.push(std::mem::take(&mut self.line));
        self.x = 0.0;
        self.space = None;
    }

    fn word(&mut self, op: SegOp, word: &str) {
        let w = font::width(word, self.size, self.bold);
        let space = self.space.take().filter(|_| !self.line.is_empty());
        let mut space_w = if space.is_some() { font::char_width(' ', self.size, self.bold) } else { 0.0 };
        // A removal right before an addition ("5 to 4" "6 to 3") keeps a little room between.
        let abutting = space.is_none() && self.line.last().is_some_and(|l| l.op != op && l.op != SegOp::Same);
        if abutting && op != SegOp::Same {
            space_w = MARK_GAP;
        }
        if self.x + space_w + w <= self.max {
            match space {
                Some(space_op) => self.place(space_op, " ", space_w),
                None => self.x += space_w,
            }
            self.place(op, word, w);
            return;
        }
        if !self.line.is_empty() {
            self.break_line();
        }
        if w <= self.max {
            self.place(op, word, w);
            return;
        }
        // Longer than a whole line: broken where the line ends.
        let mut buf = [0u8; 4];
        for c in word.chars() {
            let cw = font::char_width(c, self.size, self.bold);
            if self.x + cw > self.max && !self.line.is_empty() {
                self.break_line();
            }
            self.place(op, c.encode_utf8(&mut buf), cw);
        }
    }
}

/// Marked text broken into lines no wider than `max` pixels at `size`.
pub(crate) fn wrap(spans: &[(SegOp, &str)], max: f32, size: f32, bold: bool) -> Vec<Vec<Piece>> {
    let mut f = Filler { max, size, bold, lines: Vec::new(), line: Vec::new(), x: 0.0, space: None };
    for (i, (op, text)) in spans.iter().enumerate() {
        // A span's edges are word boundaries only where it has spaces there: "re" + "wording"
        // stays one word; the space at a cleaned span's ends is kept as a token.
        let lead = text.starts_with(|c: char| c.is_whitespace()) && i > 0;
        let trail = text.ends_with(|c: char| c.is_whitespace());
        let cleaned = clean(text);
        if lead {
            f.space = Some(*op);
        }
        for token in tokens(*op, &cleaned) {
            match token {
                Token::Space(op) => f.space = Some(op),
                Token::Word(op, w) => f.word(op, w),
            }
        }
        if trail && !cleaned.is_empty() {
            f.space = Some(*op);
        }
    }
    if !f.line.is_empty() {
        f.lines.push(f.line);
    }
    f.lines
}

/// Ends `line` with "…", dropping characters from its end until that fits in `max`.
pub(crate) fn ellipsize(line: &mut Vec<Piece>, max: f32, size: f32, bold: bool) {
    let dots = font::char_width('…', size, bold);
    while let Some(last) = line.last_mut() {
        if last.x + last.width + dots <= max && !last.text.ends_with(' ') {
            break;
        }
        match last.text.pop() {
            Some(c) => last.width -= font::char_width(c, size, bold),
            None => {
                line.pop();
            }
        }
        if line.last().is_some_and(|p| p.text.is_empty()) {
            line.pop();
        }
    }
    let x = line.last().map_or(0.0, |p| p.x + p.width);
    line.push(Piece { op: SegOp::Same, text: "…".into(), x, width: dots });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(line: &[Piece]) -> String {
        line.iter().map(|p| p.text.as_str()).collect()
    }

    fn fits(lines: &[Vec<Piece>], max: f32) {
        for line in lines {
            let end = line.last().map_or(0.0, |p| p.x + p.width);
            assert!(end <= max + 0.01, "{end} > {max}: {:?}", text_of(line));
        }
    }

    #[test]
    fn words_wrap_at_spaces_within_the_width() {
        let text = "The council voted on Tuesday to close the old bridge to all traffic until repairs are done.";
        let lines = wrap(&[(SegOp::Same, text)], 400.0, 32.0, false);
        assert!(lines.len() > 2, "{lines:?}");
        fits(&lines, 400.0);
        let rejoined: Vec<String> = lines.iter().map(|l| text_of(l)).collect();
        assert_eq!(rejoined.join(" "), text);
        assert!(rejoined.iter().all(|l| !l.starts_with(' ') && !l.ends_with(' ')));
    }

    #[test]
    fn marks_stay_on_their_words_and_pieces_sit_end_to_end() {
        let spans = [(SegOp::Same, "The toll was "), (SegOp::Del, "12"), (SegOp::Ins, "14"), (SegOp::Same, " people.")];
        let lines = wrap(&spans, TEXT_WIDTH, 32.0, false);
        assert_eq!(lines.len(), 1);
        let ops: Vec<(SegOp, &str)> = lines[0].iter().map(|p| (p.op, p.text.as_str())).collect();
        assert_eq!(
            ops,
            [(SegOp::Same, "The toll was "), (SegOp::Del, "12"), (SegOp::Ins, "14"), (SegOp::Same, " people.")]
        );
        // End to end, but for a little room between the removal and the addition.
        for pair in lines[0].windows(2) {
            let gap = if pair[0].op == SegOp::Del && pair[1].op == SegOp::Ins { MARK_GAP } else { 0.0 };
            assert!((pair[0].x + pair[0].width + gap - pair[1].x).abs() < 0.01, "{pair:?}");
        }
    }

    #[test]
    fn a_word_longer_than_the_line_is_broken_inside() {
        let word = "x".repeat(400);
        let lines = wrap(&[(SegOp::Ins, &word)], 300.0, 32.0, false);
        assert!(lines.len() > 3);
        fits(&lines, 300.0);
        assert_eq!(lines.iter().map(|l| text_of(l)).collect::<String>(), word);
    }

    #[test]
    fn cjk_breaks_between_characters() {
        let text = "東京都は火曜日に新しい条例を可決し、来年から施行すると発表した。".repeat(4);
        let lines = wrap(&[(SegOp::Same, &text)], 500.0, 32.0, false);
        assert!(lines.len() > 2);
        fits(&lines, 500.0);
        assert_eq!(lines.iter().map(|l| text_of(l)).collect::<String>(), text);
    }

    #[test]
    fn whitespace_and_controls_are_cleaned() {
        assert_eq!(clean("  a\n\tb\u{1b}[c \u{FFFF} d  "), "a b [c d");
        let lines = wrap(&[(SegOp::Same, "a\n\n   b")], 500.0, 32.0, false);
        assert_eq!(text_of(&lines[0]), "a b");
        assert!(wrap(&[(SegOp::Same, " \n ")], 500.0, 32.0, false).is_empty());
    }

    #[test]
    fn ellipsis_fits_the_line() {
        let mut lines = wrap(&[(SegOp::Same, &"word ".repeat(60))], 600.0, 32.0, false);
        let last = &mut lines[0];
        ellipsize(last, 600.0, 32.0, false);
        assert!(text_of(last).ends_with("word…"), "{}", text_of(last));
        fits(&lines[..1], 600.0);
    }

    fn data(paragraphs: usize) -> CardData {
        CardData {
            outlet: "news.example".into(),
            headline: "Council closes the old bridge ".repeat(10),
            when: "1 Dec 2026, 14:36 UTC".into(),
            summary: "Sentence reworded".into(),
            paragraphs: (0..paragraphs)
                .map(|i| {
                    vec![
                        crate::diff::Segment { op: SegOp::Same, text: format!("Paragraph {i} says ") },
                        crate::diff::Segment { op: SegOp::Del, text: "twelve".into() },
                        crate::diff::Segment { op: SegOp::Ins, text: "fourteen".into() },
                        crate::diff::Segment { op: SegOp::Same, text: " people were hurt.".into() },
                    ]
                })
                .collect(),
        }
    }

    #[test]
    fn the_card_grows_with_its_body_up_to_the_cap() {
        let short = layout(&data(1));
        let longer = layout(&data(5));
        assert!(longer.height > short.height && !longer.cut);
        let headline = short.lines.iter().filter(|l| l.role == Role::Headline).count();
        assert_eq!(headline, 3, "the headline is cut to three lines");
        assert!(text_of(&short.lines.iter().rfind(|l| l.role == Role::Headline).unwrap().pieces).ends_with('…'));

        let huge = layout(&data(500));
        assert!(huge.cut);
        assert!(huge.height <= MAX_HEIGHT as u32);
        let more = huge.lines.iter().find(|l| l.role == Role::More).unwrap();
        assert!(text_of(&more.pieces).starts_with("… "));
        let last_body = huge.lines.iter().rfind(|l| l.role == Role::Body).unwrap();
        assert!(text_of(&last_body.pieces).ends_with('…'));
        assert!(huge.lines.iter().all(|l| l.top + 50.0 <= huge.height as f32));
    }

    #[test]
    fn an_empty_change_still_has_a_body_line() {
        let l = layout(&CardData { paragraphs: Vec::new(), ..data(0) });
        let body: Vec<String> = l.lines.iter().filter(|l| l.role == Role::Body).map(|l| text_of(&l.pieces)).collect();
        assert_eq!(body, ["No change in the text."]);
    }
}
