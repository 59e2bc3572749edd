//! The visual comparison of two screenshots of one article.
//!
//! The images are aligned at their top-left corner. The new one is cut into a grid of
//! [`CELL`]×[`CELL`] pixel cells; a cell has changed when the mean absolute difference of
//! its pixels' red, green and blue values (0–255) from the old image exceeds [`THRESHOLD`],
//! or when it reaches past the old image (the page grew). Changed cells that touch, edge or
//! corner, make one region; regions whose rectangles overlap are merged. Past
//! [`MAX_REGIONS`], the changed cells are outlined as horizontal bands instead, so a noisy
//! page still yields a readable picture. The old image's part below the new one (the page
//! shrank) has nothing to outline in the new image: [`VisualDiff::old_height`] tells it.

use image::{Rgb, RgbImage};

use super::{ScreenshotError, decode, encode};

/// Side of a grid cell, in pixels.
pub const CELL: u32 = 16;
/// Mean absolute difference per colour channel (0–255) above which a cell has changed:
/// two fully changed pixels of a cell's 256, or a faint shift over all of it, but not
/// anti-aliasing noise of one or two levels.
pub const THRESHOLD: f64 = 2.0;
/// Regions outlined one by one; more become bands.
pub const MAX_REGIONS: usize = 256;

/// A changed rectangle of the new image, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Region {
    fn overlaps(&self, o: &Region) -> bool {
        self.x < o.x + o.width && o.x < self.x + self.width && self.y < o.y + o.height && o.y < self.y + self.height
    }

    fn union(&self, o: &Region) -> Region {
        let (x, y) = (self.x.min(o.x), self.y.min(o.y));
        let right = (self.x + self.width).max(o.x + o.width);
        let bottom = (self.y + self.height).max(o.y + o.height);
        Region { x, y, width: right - x, height: bottom - y }
    }
}

/// What differs between two screenshots.
#[derive(Debug, Clone, PartialEq)]
pub struct VisualDiff {
    /// Size of the new image (the regions are in its pixels).
    pub width: u32,
    /// Height of the new image.
    pub height: u32,
    /// Width of the old image.
    pub old_width: u32,
    /// Height of the old image.
    pub old_height: u32,
    /// The changed regions, top to bottom.
    pub regions: Vec<Region>,
    /// Pixels of the new image in changed cells.
    pub changed_pixels: u64,
}

impl VisualDiff {
    /// Nothing changed.
    pub fn is_unchanged(&self) -> bool {
        self.changed_pixels == 0 && (self.width, self.height) == (self.old_width, self.old_height)
    }

    /// Share of the new image in changed cells, 0 to 1.
    pub fn changed_fraction(&self) -> f64 {
        self.changed_pixels as f64 / (self.width as f64 * self.height as f64).max(1.0)
    }

    /// One line for people: "3 changed regions, 4.2% of the page; the page is 120 px taller".
    pub fn summary(&self) -> String {
        let mut s = match self.regions.len() {
            0 => "No visible change".to_string(),
            1 => format!("1 changed region, {} of the page", percent(self.changed_fraction())),
            n => format!("{n} changed regions, {} of the page", percent(self.changed_fraction())),
        };
        if self.height != self.old_height {
            let (d, word) = if self.height > self.old_height {
                (self.height - self.old_height, "taller")
            } else {
                (self.old_height - self.height, "shorter")
            };
            s.push_str(&format!("; the page is {d} px {word}"));
        }
        if self.width != self.old_width {
            s.push_str(&format!("; the page was {} px wide, now {} px", self.old_width, self.width));
        }
        s
    }
}

fn percent(f: f64) -> String {
    if f > 0.0 && f < 0.001 { "under 0.1%".to_string() } else { format!("{:.1}%", f * 100.0) }
}

/// Compares two screenshots (see the module notes for how).
pub fn compare(old: &RgbImage, new: &RgbImage) -> VisualDiff {
    let (nw, nh) = new.dimensions();
    let (ow, oh) = old.dimensions();
    let (w, h) = (nw.min(ow), nh.min(oh));
    let cols = nw.div_ceil(CELL) as usize;
    let rows = nh.div_ceil(CELL) as usize;
    let mut changed = vec![false; cols * rows];
    let (old_raw, new_raw) = (old.as_raw(), new.as_raw());
    let chunk = (CELL * 3) as usize;
    let mut sums = vec![0u64; cols];
    for cy in 0..rows {
        let y0 = cy as u32 * CELL;
        let y1 = (y0 + CELL).min(nh);
        sums.iter_mut().for_each(|s| *s = 0);
        for y in y0..y1.min(h) {
            let o = &old_raw[(y * ow * 3) as usize..][..(w * 3) as usize];
            let n = &new_raw[(y * nw * 3) as usize..][..(w * 3) as usize];
            for (s, (a, b)) in sums.iter_mut().zip(o.chunks(chunk).zip(n.chunks(chunk))) {
                *s += a.iter().zip(b).map(|(p, q)| u32::from(p.abs_diff(*q))).sum::<u32>() as u64;
            }
        }
        for cx in 0..cols {
            let x0 = cx as u32 * CELL;
            let x1 = (x0 + CELL).min(nw);
            let outside = x1 > w || y1 > h;
            let samples = u64::from((x1 - x0) * (y1 - y0) * 3);
            changed[cy * cols + cx] = outside || sums[cx] as f64 > THRESHOLD * samples as f64;
        }
    }
    let mut changed_pixels = 0u64;
    for cy in 0..rows {
        for cx in 0..cols {
            if changed[cy * cols + cx] {
                let r = cell_rect(cx, cy, cx, cy, nw, nh);
                changed_pixels += u64::from(r.width) * u64::from(r.height);
            }
        }
    }
    let regions = regions(&changed, cols, rows, nw, nh);
    VisualDiff { width: nw, height: nh, old_width: ow, old_height: oh, regions, changed_pixels }
}

/// The pixel rectangle of the cells from (`cx0`, `cy0`) to (`cx1`, `cy1`), inclusive.
fn cell_rect(cx0: usize, cy0: usize, cx1: usize, cy1: usize, width: u32, height: u32) -> Region {
    let (x, y) = (cx0 as u32 * CELL, cy0 as u32 * CELL);
    let right = ((cx1 as u32 + 1) * CELL).min(width);
    let bottom = ((cy1 as u32 + 1) * CELL).min(height);
    Region { x, y, width: right - x, height: bottom - y }
}

/// Changed cells into rectangles: connected groups, overlapping boxes merged; bands past the cap.
fn regions(changed: &[bool], cols: usize, rows: usize, width: u32, height: u32) -> Vec<Region> {
    let mut seen = vec![false; changed.len()];
    let mut boxes = Vec::new();
    let mut stack = Vec::new();
    for start in 0..changed.len() {
        if !changed[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut x0, mut y0, mut x1, mut y1) = (start % cols, start / cols, start % cols, start / cols);
        while let Some(i) = stack.pop() {
            let (cx, cy) = (i % cols, i / cols);
            (x0, y0, x1, y1) = (x0.min(cx), y0.min(cy), x1.max(cx), y1.max(cy));
            for ny in cy.saturating_sub(1)..=(cy + 1).min(rows - 1) {
                for nx in cx.saturating_sub(1)..=(cx + 1).min(cols - 1) {
                    let j = ny * cols + nx;
                    if changed[j] && !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        boxes.push(cell_rect(x0, y0, x1, y1, width, height));
        if boxes.len() > MAX_REGIONS {
            return bands(changed, cols, rows, width, height);
        }
    }
    // Boxes of separate groups may overlap (an L beside a dot): merge until none do.
    let mut merged = true;
    while merged {
        merged = false;
        'outer: for i in 0..boxes.len() {
            for j in i + 1..boxes.len() {
                if boxes[i].overlaps(&boxes[j]) {
                    boxes[i] = boxes[i].union(&boxes[j]);
                    boxes.swap_remove(j);
                    merged = true;
                    break 'outer;
                }
            }
        }
    }
    boxes.sort_by_key(|r| (r.y, r.x));
    boxes
}

/// Runs of rows with changed cells, each as wide as its changed cells reach.
fn bands(changed: &[bool], cols: usize, rows: usize, width: u32, height: u32) -> Vec<Region> {
    let mut out = Vec::new();
    let mut run: Option<(usize, usize, usize)> = None; // first row, min col, max col
    for cy in 0..=rows {
        let span = (cy < rows)
            .then(|| {
                let row = &changed[cy * cols..(cy + 1) * cols];
                Some((row.iter().position(|c| *c)?, row.iter().rposition(|c| *c)?))
            })
            .flatten();
        match (span, run) {
            (Some((a, b)), Some((first, lo, hi))) => run = Some((first, lo.min(a), hi.max(b))),
            (Some((a, b)), None) => run = Some((cy, a, b)),
            (None, Some((first, lo, hi))) => {
                out.push(cell_rect(lo, first, hi, cy - 1, width, height));
                run = None;
            }
            (None, None) => {}
        }
    }
    out
}

/// Tint of a changed region, and its outline.
const TINT: [u8; 3] = [255, 48, 48];
const OUTLINE: [u8; 3] = [214, 0, 0];
/// Outline thickness, in pixels.
const BORDER: u32 = 3;

/// The new image with the changed regions tinted red and outlined.
pub fn highlight(new: &RgbImage, diff: &VisualDiff) -> RgbImage {
    let mut out = new.clone();
    for r in &diff.regions {
        for y in r.y..r.y + r.height {
            for x in r.x..r.x + r.width {
                let edge =
                    x < r.x + BORDER || y < r.y + BORDER || x + BORDER >= r.x + r.width || y + BORDER >= r.y + r.height;
                let p = out.get_pixel_mut(x, y);
                *p = if edge {
                    Rgb(OUTLINE)
                } else {
                    Rgb([0, 1, 2].map(|c| ((u16::from(p.0[c]) * 3 + u16::from(TINT[c])) / 4) as u8))
                };
            }
        }
    }
    out
}

/// Compares two PNG screenshots and draws the comparison as a PNG: the decode, [`compare`],
/// [`highlight`] and the encode together. Refuses images past the size cap before decoding.
pub fn diff_png(old_png: &[u8], new_png: &[u8]) -> Result<(VisualDiff, Vec<u8>), ScreenshotError> {
    let (old, new) = (decode(old_png)?, decode(new_png)?);
    let diff = compare(&old, &new);
    drop(old);
    let png = encode(&highlight(&new, &diff));
    Ok((diff, png))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screenshot::{MAX_HEIGHT, png_size};

    /// A page-like image: white, grey "text lines" every 24 px.
    fn page(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            if y % 24 < 10 && x > 20 && x < width - 20 { Rgb([60, 60, 60]) } else { Rgb([255, 255, 255]) }
        })
    }

    fn paint(img: &mut RgbImage, x0: u32, y0: u32, w: u32, h: u32, colour: [u8; 3]) {
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                img.put_pixel(x, y, Rgb(colour));
            }
        }
    }

    #[test]
    fn equal_images_have_no_regions() {
        let a = page(300, 200);
        let d = compare(&a, &a.clone());
        assert!(d.is_unchanged(), "{d:?}");
        assert!(d.regions.is_empty());
        assert_eq!(d.summary(), "No visible change");
        assert_eq!(highlight(&a, &d), a);
    }

    #[test]
    fn a_changed_block_is_found_where_the_images_differ() {
        let old = page(320, 400);
        let mut new = old.clone();
        paint(&mut new, 100, 150, 40, 30, [0, 90, 200]);
        // Noise of one level everywhere is not a change.
        let mut noisy = old.clone();
        noisy.pixels_mut().for_each(|p| p.0[0] = p.0[0].saturating_sub(1));
        paint(&mut noisy, 100, 150, 40, 30, [0, 90, 200]);
        for img in [&new, &noisy] {
            let d = compare(&old, img);
            // Cells of 16 px: x 96..144, y 144..192.
            assert_eq!(d.regions, vec![Region { x: 96, y: 144, width: 48, height: 48 }], "{d:?}");
            assert_eq!(d.changed_pixels, 48 * 48);
            assert!(d.summary().starts_with("1 changed region, 1.8% of the page"), "{}", d.summary());
        }
        // Two far-apart edits are two regions, top to bottom.
        paint(&mut new, 10, 380, 8, 8, [255, 0, 0]);
        let d = compare(&old, &new);
        assert_eq!(d.regions.len(), 2, "{d:?}");
        assert_eq!(d.regions[1], Region { x: 0, y: 368, width: 32, height: 32 });
        // The drawing tints inside and outlines the edge; the rest is untouched.
        let drawn = highlight(&new, &d);
        assert_eq!(drawn.get_pixel(96, 144).0, OUTLINE);
        assert_ne!(drawn.get_pixel(120, 170), new.get_pixel(120, 170));
        assert_eq!(drawn.get_pixel(200, 50), new.get_pixel(200, 50));
    }

    #[test]
    fn different_heights_compare_the_overlap_and_mark_the_rest() {
        let old = page(200, 300);
        let taller = page(200, 340);
        let d = compare(&old, &taller);
        // Rows 288..300 are in both images but the cell row 288..304 reaches past the old one.
        assert_eq!(d.regions, vec![Region { x: 0, y: 288, width: 200, height: 52 }], "{d:?}");
        assert!(d.summary().ends_with("the page is 40 px taller"), "{}", d.summary());
        let d = compare(&taller, &old);
        assert!(d.regions.is_empty(), "{d:?}");
        assert!(!d.is_unchanged());
        assert_eq!(d.summary(), "No visible change; the page is 40 px shorter");
        // Different widths: the strip past the old width has changed.
        let white = |w| RgbImage::from_pixel(w, 64, Rgb([255, 255, 255]));
        let d = compare(&white(180), &white(200));
        assert_eq!(d.regions, vec![Region { x: 176, y: 0, width: 24, height: 64 }], "{d:?}");
    }

    #[test]
    fn noise_everywhere_becomes_bands() {
        let old = RgbImage::new(640, 640);
        // A changed cell every other cell in both directions: 20 × 20 separate groups.
        let mut new = old.clone();
        for cy in (0..40).step_by(2) {
            for cx in (0..40).step_by(2) {
                paint(&mut new, cx * 16, cy * 16, 16, 16, [255, 255, 255]);
            }
        }
        let d = compare(&old, &new);
        assert_eq!(d.regions.len(), 20, "one band per changed row of cells: {:?}", &d.regions[..3]);
        assert_eq!(d.regions[1], Region { x: 0, y: 32, width: 624, height: 16 });
        assert_eq!(d.changed_pixels, 20 * 20 * 256);
    }

    #[test]
    fn the_png_comparison_decodes_draws_and_refuses_oversized_images() {
        let old = page(120, 90);
        let mut new = old.clone();
        paint(&mut new, 0, 0, 16, 16, [0, 0, 0]);
        let (d, png) = diff_png(&encode(&old), &encode(&new)).unwrap();
        assert_eq!(d.regions, vec![Region { x: 0, y: 0, width: 16, height: 16 }]);
        assert_eq!(png_size(&png), Ok((120, 90)));
        let huge = encode(&RgbImage::new(4, MAX_HEIGHT + 10));
        let err = diff_png(&encode(&old), &huge).unwrap_err();
        assert!(matches!(err, ScreenshotError::TooLarge { width: 4, .. }), "{err}");
    }
}
