//! Screenshots of rendered pages: the size cap a captured image must fit before it is
//! stored or decoded, and [`compare`], the visual comparison of two versions' screenshots.
//! Pure: bytes in, bytes out, no I/O.
//!
//! Screenshots are kept as the PNG the browser captured: re-encoding them costs a decode
//! and an encode per check for little gain (see `compare`'s notes in `README.md`).

pub mod compare;

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ImageEncoder, ImageFormat, ImageReader, Limits, RgbImage};

pub use compare::{Region, VisualDiff, compare, diff_png, highlight};

/// The widest screenshot Redline stores or decodes, in pixels.
pub const MAX_WIDTH: u32 = 1600;
/// The tallest screenshot Redline stores or decodes, in pixels: a capture should be
/// clipped to this height (a full-page capture of an endless page would be unbounded).
pub const MAX_HEIGHT: u32 = 20_000;

/// Why a screenshot cannot be stored or compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScreenshotError {
    /// The bytes are not a readable PNG.
    #[error("the screenshot is not a readable PNG image: {0}")]
    NotPng(String),
    /// Past the size cap.
    #[error(
        "the screenshot is {width}×{height} pixels, larger than Redline takes ({MAX_WIDTH}×{MAX_HEIGHT}); capture a narrower window or clip the page to that height"
    )]
    TooLarge {
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
    },
}

/// Width and height of a PNG within the size cap, read from its header (nothing is decoded).
pub fn png_size(png: &[u8]) -> Result<(u32, u32), ScreenshotError> {
    let (width, height) = ImageReader::with_format(Cursor::new(png), ImageFormat::Png)
        .into_dimensions()
        .map_err(|e| ScreenshotError::NotPng(e.to_string()))?;
    if width == 0 || height == 0 {
        return Err(ScreenshotError::NotPng(format!("it is {width}×{height} pixels")));
    }
    if width > MAX_WIDTH || height > MAX_HEIGHT {
        return Err(ScreenshotError::TooLarge { width, height });
    }
    Ok((width, height))
}

/// Decodes a PNG within the size cap to RGB (transparency is dropped: a page has none).
pub fn decode(png: &[u8]) -> Result<RgbImage, ScreenshotError> {
    png_size(png)?;
    let mut reader = ImageReader::with_format(Cursor::new(png), ImageFormat::Png);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_WIDTH);
    limits.max_image_height = Some(MAX_HEIGHT);
    reader.limits(limits);
    Ok(reader.decode().map_err(|e| ScreenshotError::NotPng(e.to_string()))?.into_rgb8())
}

/// An RGB image as PNG, compressed fast (a comparison image is made on request).
pub fn encode(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    let encoder = PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive);
    encoder
        .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgb8)
        .expect("an RGB buffer of its own size encodes into memory");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_come_from_the_header_and_oversized_images_are_refused() {
        let png = encode(&RgbImage::new(40, 30));
        assert_eq!(png_size(&png), Ok((40, 30)));
        assert_eq!(decode(&png).unwrap().dimensions(), (40, 30));
        let tall = encode(&RgbImage::new(8, MAX_HEIGHT + 1));
        assert_eq!(png_size(&tall), Err(ScreenshotError::TooLarge { width: 8, height: MAX_HEIGHT + 1 }));
        let err = decode(&tall).unwrap_err().to_string();
        assert!(err.contains("larger than Redline takes (1600×20000)"), "{err}");
        let wide = encode(&RgbImage::new(MAX_WIDTH + 1, 2));
        assert!(matches!(png_size(&wide), Err(ScreenshotError::TooLarge { .. })));
        assert!(matches!(png_size(b"GIF89a not a png"), Err(ScreenshotError::NotPng(_))));
        assert!(matches!(decode(&png[..png.len() / 2]), Err(ScreenshotError::NotPng(_))));
    }
}
