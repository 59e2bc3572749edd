//! The one font of the cards, bundled in the binary (DejaVu Sans, regular and bold; licence in
//! assets/fonts/): the layout measures text with its advances, and the renderer's font database
//! holds only it, so a card looks the same on every machine whatever fonts are installed.

use std::sync::{Arc, OnceLock};

use resvg::usvg::fontdb;

/// The family name the SVG asks for.
pub(crate) const FAMILY: &str = "DejaVu Sans";

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

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

    fn advance(&self, c: char) -> f32 {
        match self.charmap.map(c) {
            Some(g) => self.glyphs.advance_width(g).unwrap_or(0.0),
            // Zero-width marks and joiners take no room; anything else shows as the box.
            None if is_zero_width(c) => 0.0,
            None => self.missing,
        }
    }
}

fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{0300}'..='\u{036F}')
}

fn metrics(bold: bool) -> &'static Metrics {
    static FACES: OnceLock<(Metrics, Metrics)> = OnceLock::new();
    let (regular, bold_face) = FACES.get_or_init(|| (Metrics::parse(REGULAR), Metrics::parse(BOLD)));
    if bold { bold_face } else { regular }
}

/// The width in pixels of `text` at `size` pixels (no kerning: at most a little wider than
/// drawn, so a line measured to fit does fit).
pub(crate) fn width(text: &str, size: f32, bold: bool) -> f32 {
    let m = metrics(bold);
    text.chars().map(|c| m.advance(c)).sum::<f32>() * size / m.units_per_em
}

/// The width of one character.
pub(crate) fn char_width(c: char, size: f32, bold: bool) -> f32 {
    let m = metrics(bold);
    m.advance(c) * size / m.units_per_em
}

/// The renderer's font database: the bundled faces and nothing else.
pub(crate) fn database() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    Arc::clone(DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_data(REGULAR.to_vec());
        db.load_font_data(BOLD.to_vec());
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
        assert_eq!(db.len(), 2);
        assert!(db.faces().all(|f| f.families.iter().any(|(name, _)| name == FAMILY)));
    }

    #[test]
    fn widths_add_up_and_bold_is_wider() {
        let a = width("Redline", 32.0, false);
        assert!(a > 32.0 * 3.0 && a < 32.0 * 7.0, "{a}");
        assert!((width("Red", 32.0, false) + width("line", 32.0, false) - a).abs() < 0.01);
        assert!(width("Redline", 32.0, true) > a);
        assert_eq!(width("", 32.0, false), 0.0);
        // A character the font lacks still takes room (its box is drawn).
        assert!(char_width('漢', 32.0, false) > 5.0);
        assert_eq!(char_width('\u{200B}', 32.0, false), 0.0);
    }
}
