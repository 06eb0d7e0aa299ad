//! Small valid images, for the files a manifest lists when the emulator reads an S3
//! directory (`--s3-dir`).

use std::io::Cursor;

/// A 64x64 PNG (the service's smallest side) whose first pixel is `seed`, so that different
/// seeds give different files.
pub fn png(seed: u8) -> Vec<u8> {
    let mut pixels = image::RgbImage::from_pixel(64, 64, image::Rgb([120, 120, 120]));
    pixels.put_pixel(0, 0, image::Rgb([seed, seed, seed]));
    let mut bytes = Cursor::new(Vec::new());
    pixels
        .write_to(&mut bytes, image::ImageFormat::Png)
        .expect("a PNG encodes in memory");
    bytes.into_inner()
}
