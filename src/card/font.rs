//! The fonts of the cards, bundled in the binary (licences in assets/fonts/): DejaVu Sans,
//! regular and bold, and Droid Sans Fallback for what DejaVu lacks (CJK). The layout measures
//! text with their advances, picking the face the renderer falls back to, and the renderer's
//! font database holds only them, so a card looks the same on every machine.

use std::sync::{Arc, OnceLock};

use resvg::usvg::fontdb;

/// The family name the SVG asks for.
pub(crate) const FAMILY: &str = "DejaVu Sans";

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
static FALLBACK: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallback.ttf");

/// Advance widths of one face, in font units.
struct Metrics {
    charmap: skrifa::charmap::Charmap<'static>,
    glyphs: skrifa::metrics::GlyphMetrics<'static>,
    units_per_em: f32,
    /// What a character the font lacks takes (its "missing glyph" box, which is what is drawn).
    missing: f32,
}

impl Metrics {
    fn parse(data: &'static [u8]) -> Metrics {
        use skrifa::MetadataProvider;
        use skrifa::instance::{LocationRef, Size};
        // The bundled font is checked by the unit tests: a parse failure is a build defect.
        let font = skrifa::FontRef::new(data).expect("the bundled font parses");
        let glyphs = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        let units_per_em = f32::from(font.metrics(Size::unscaled(), LocationRef::default()).units_per_em);
        let missing = glyphs.advance_width(skrifa::GlyphId::NOTDEF).unwrap_or(0.0);
        Metrics { charmap: font.charmap(), glyphs, units_per_em, missing }
    }

    /// The advance of `c`, when this face has it.
    fn advance(&self, c: char) -> Option<f32> {
        self.charmap.map(c).map(|g| self.glyphs.advance_width(g).unwrap_or(0.0) * 1000.0 / self.units_per_em)
    }
}

/// The advance of `c` in thousandths of an em: DejaVu's, else the fallback face's (as the
/// renderer falls back), else nothing for zero-width marks and DejaVu's box for the rest.
fn advance(faces: &Faces, c: char, bold: bool) -> f32 {
    let main = if bold { &faces.bold } else { &faces.regular };
    main.advance(c)
        .or_else(|| faces.fallback.advance(c))
        .unwrap_or_else(|| if is_zero_width(c) { 0.0 } else { main.missing * 1000.0 / main.units_per_em })
}

fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{0300}'..='\u{036F}')
}

struct Faces {
    regular: Metrics,
    bold: Metrics,
    fallback: Metrics,
}

fn faces() -> &'static Faces {
    static FACES: OnceLock<Faces> = OnceLock::new();
    FACES.get_or_init(|| Faces {
        regular: Metrics::parse(REGULAR),
        bold: Metrics::parse(BOLD),
        fallback: Metrics::parse(FALLBACK),
    })
}

/// The width in pixels of `text` at `size` pixels (no kerning, as drawn).
pub(crate) fn width(text: &str, size: f32, bold: bool) -> f32 {
    let f = faces();
    text.chars().map(|c| advance(f, c, bold)).sum::<f32>() * size / 1000.0
}

/// The width of one character.
pub(crate) fn char_width(c: char, size: f32, bold: bool) -> f32 {
    advance(faces(), c, bold) * size / 1000.0
}

/// The renderer's font database: the bundled faces and nothing else.
pub(crate) fn database() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    Arc::clone(DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_data(REGULAR.to_vec());
        db.load_font_data(BOLD.to_vec());
        db.load_font_data(FALLBACK.to_vec());
        db.set_sans_serif_family(FAMILY);
        Arc::new(db)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_faces_parse_and_are_the_only_fonts() {
        let db = database();
        assert_eq!(db.len(), 3);
        let dejavu = db.faces().filter(|f| f.families.iter().any(|(name, _)| name == FAMILY)).count();
        assert_eq!(dejavu, 2);
    }

    #[test]
    fn widths_add_up_and_bold_is_wider() {
        let a = width("Redline", 32.0, false);
        assert!(a > 32.0 * 3.0 && a < 32.0 * 7.0, "{a}");
        assert!((width("Red", 32.0, false) + width("line", 32.0, false) - a).abs() < 0.01);
        assert!(width("Redline", 32.0, true) > a);
        assert_eq!(width("", 32.0, false), 0.0);
        // CJK comes from the fallback face: a full em each; a character no face has still
        // takes room (its box is drawn).
        assert!((char_width('漢', 32.0, false) - 32.0).abs() < 0.5, "{}", char_width('漢', 32.0, false));
        assert!(char_width('\u{10FFFD}', 32.0, false) > 5.0);
        assert_eq!(char_width('\u{200B}', 32.0, false), 0.0);
    }
}
