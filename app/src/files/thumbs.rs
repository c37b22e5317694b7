//! Thumbnails of images, made on a blocking thread (never on the async
//! runtime), one at a time, with decode limits: an image over
//! `MAX_PIXELS`, or whose decoding would allocate more than `MAX_ALLOC`, is
//! refused before its pixels are decoded — a decompression bomb costs a
//! header read, not the server's memory.

use std::io::Cursor;

use image::{ImageReader, Limits, imageops::FilterType};

/// Largest image decoded, in pixels (a 24-megapixel camera photo).
pub const MAX_PIXELS: u64 = 24_000_000;
/// Most memory one decode may take.
pub const MAX_ALLOC: u64 = 192 * 1024 * 1024;
/// Thumbnails fit in this box.
pub const BOX: u32 = 480;

/// An image's thumbnail: PNG bytes and the original's size.
pub struct Thumb {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ThumbError {
    #[error("This image is too large to show ({0} megapixels; at most 24).")]
    TooLarge(u64),
    #[error("This image could not be read.")]
    Unreadable,
}

/// Makes the thumbnail of the image file at `path` (blocking).
pub fn make(path: &std::path::Path) -> Result<Thumb, ThumbError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(50_000);
    limits.max_image_height = Some(50_000);
    limits.max_alloc = Some(MAX_ALLOC);
    let open = || -> Result<ImageReader<_>, ThumbError> {
        let mut reader = ImageReader::open(path)
            .and_then(|r| r.with_guessed_format())
            .map_err(|_| ThumbError::Unreadable)?;
        reader.limits(limits.clone());
        Ok(reader)
    };
    let (width, height) = open()?
        .into_dimensions()
        .map_err(|_| ThumbError::Unreadable)?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(ThumbError::TooLarge(pixels.div_ceil(1_000_000)));
    }
    let image = open()?.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => ThumbError::TooLarge(pixels.div_ceil(1_000_000)),
        _ => ThumbError::Unreadable,
    })?;
    let small = if width > BOX || height > BOX {
        image.resize(BOX, BOX, FilterType::Triangle)
    } else {
        image
    };
    let mut png = Vec::new();
    small
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|_| ThumbError::Unreadable)?;
    Ok(Thumb { png, width, height })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        image::RgbImage::new(width, height)
            .save_with_format(file.path(), image::ImageFormat::Png)
            .unwrap();
        file
    }

    #[test]
    fn a_thumbnail_fits_the_box_and_keeps_the_aspect() {
        let t = make(png(1200, 600).path()).unwrap();
        assert_eq!((t.width, t.height), (1200, 600));
        let small = image::load_from_memory(&t.png).unwrap();
        assert_eq!((small.width(), small.height()), (480, 240));
    }

    #[test]
    fn a_bomb_is_refused_from_its_header() {
        // 6000 × 6000 of one colour: tiny on disk, 36 megapixels decoded.
        let t = make(png(6000, 6000).path());
        assert!(matches!(t, Err(ThumbError::TooLarge(36))), "{:?}", t.err());
    }
}
