//! The drawn card: decoded back, its size and its marks' colours checked, and compared with
//! the golden image under snapshots/cards/ (tolerant to anti-aliasing and hinting: a pixel
//! counts as different past a channel difference of 64, and under 1 % of pixels may differ).
//! `REDLINE_BLESS=1 cargo test --lib card::` rewrites the golden image; review it.

use super::svg::{DEL_BACK, DEL_INK, INS_BACK, INS_INK};
use super::*;
use crate::diff::SegOp;

fn seg(op: SegOp, text: &str) -> Segment {
    Segment { op, text: text.to_string() }
}

/// A card with everything that is hard: marks in a sentence, a whole added paragraph,
/// markup in the text, a word longer than a line, CJK, and a long headline.
fn sample() -> CardData {
    CardData {
        outlet: "news.example".into(),
        headline: "Council trims the library budget after a <b>late</b> vote & a protest".into(),
        when: "1 Dec 2026, 14:36 UTC".into(),
        summary: "Editor's note added; 1 sentence reworded; 1 paragraph (9 words) added".into(),
        paragraphs: vec![
            vec![
                seg(SegOp::Same, "The council voted "),
                seg(SegOp::Del, "5 to 4"),
                seg(SegOp::Ins, "6 to 3"),
                seg(SegOp::Same, " on Monday to cut the library budget by a third."),
            ],
            vec![seg(SegOp::Ins, "Librarians said they would protest outside City Hall on Friday.")],
            vec![seg(SegOp::Del, "The mayor's office said \"no comment\" <script>alert('x')</script>.")],
            vec![seg(SegOp::Same, "Source: "), seg(SegOp::Ins, &"https://news.example/".repeat(6))],
            vec![seg(SegOp::Ins, "市議会は月曜日、図書館の予算を三分の一削減することを可決した。")],
        ],
    }
}

fn decode(png: &[u8]) -> image::RgbaImage {
    image::load_from_memory_with_format(png, image::ImageFormat::Png).expect("the card is a PNG").to_rgba8()
}

fn rgb(hex: &str) -> [u8; 3] {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap();
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

fn count(img: &image::RgbaImage, hex: &str) -> usize {
    let want = rgb(hex);
    img.pixels().filter(|p| p.0[..3] == want).count()
}

#[test]
fn the_png_has_the_size_said_and_the_marks_in_their_colours() {
    let data = sample();
    let card = render(&data).unwrap();
    let img = decode(&card.png);
    assert_eq!((img.width(), img.height()), (card.width, card.height));
    assert_eq!((card.width, card.height), size(&data));
    assert_eq!(card.width, 1200);
    assert!(card.height > 600 && card.height < 2000, "{}", card.height);
    // Removed and added runs sit on their backgrounds, struck out and underlined.
    assert!(count(&img, DEL_BACK) > 5_000, "{}", count(&img, DEL_BACK));
    assert!(count(&img, INS_BACK) > 20_000, "{}", count(&img, INS_BACK));
    assert!(count(&img, DEL_INK) > 300, "{}", count(&img, DEL_INK));
    assert!(count(&img, INS_INK) > 1_000, "{}", count(&img, INS_INK));
    // Text was drawn: dark pixels outside the marks.
    let dark = img.pixels().filter(|p| p.0[..3].iter().all(|&c| c < 60)).count();
    assert!(dark > 5_000, "{dark}");
    // Nothing is drawn in the right margin: every line wrapped inside the card.
    let margin = img.width() - 40..img.width();
    for y in 0..img.height() {
        for x in margin.clone() {
            assert_eq!(img.get_pixel(x, y).0, [255, 255, 255, 255], "ink at ({x}, {y})");
        }
    }
    assert!(card.alt_text.contains("Removed: “5 to 4”"), "{}", card.alt_text);
}

#[test]
fn a_huge_change_is_cut_at_the_cap() {
    let mut data = sample();
    data.paragraphs = (0..300).map(|_| sample().paragraphs[0].clone()).collect();
    let card = render(&data).unwrap();
    let img = decode(&card.png);
    assert_eq!(img.height(), card.height);
    assert!(card.height <= 2000 && card.height > 1800, "{}", card.height);
    assert!(render_svg(&data).contains("more lines on the change page"));
}

/// The share of pixels of `a` and `b` that differ past anti-aliasing; `None` when their
/// sizes differ.
fn share_differing(a: &image::RgbaImage, b: &image::RgbaImage) -> Option<f64> {
    if a.dimensions() != b.dimensions() {
        return None;
    }
    let differing = a
        .pixels()
        .zip(b.pixels())
        .filter(|(p, q)| p.0.iter().zip(q.0.iter()).any(|(x, y)| x.abs_diff(*y) > 64))
        .count();
    Some(differing as f64 / (a.width() * a.height()) as f64)
}

#[test]
fn the_card_matches_the_golden_image() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/cards/sample.png");
    let card = render(&sample()).unwrap();
    if std::env::var_os("REDLINE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &card.png).unwrap();
        return;
    }
    let golden = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with REDLINE_BLESS=1 and review it)", path.display()));
    let (want, got) = (decode(&golden), decode(&card.png));
    let share = share_differing(&want, &got)
        .unwrap_or_else(|| panic!("the card is {:?}, the golden image {:?}", got.dimensions(), want.dimensions()));
    assert!(
        share < 0.01,
        "{:.2} % of the pixels differ from {} (REDLINE_BLESS=1 rewrites it after review)",
        share * 100.0,
        path.display()
    );
}

#[test]
fn the_golden_comparison_notices_a_real_edit() {
    // The tolerance hides anti-aliasing, not words: another headline differs past it.
    let a = decode(&render(&sample()).unwrap().png);
    let mut other = sample();
    other.headline = "A different headline entirely, set in the same bold face as before".into();
    let b = decode(&render(&other).unwrap().png);
    let share = share_differing(&a, &b).expect("both headlines take two lines");
    assert!(share >= 0.01, "{share}");
}
