//! What DetectAnomalies checks of an image before a model looks at it: that it is a PNG or a
//! JPEG, the one its `Content-Type` names, and that its size is within the service's limits.
//! [`check`] reads only the header; [`decode`] reads the pixels, for a model that looks at
//! them.

use std::io::Cursor;

use image::{ImageFormat, ImageReader};

use crate::error::ApiError;

/// The smallest width and height the service takes, in pixels (developer guide, limits).
pub const MIN_SIDE: u32 = 64;
/// The largest width and height the service takes, in pixels (developer guide, limits).
pub const MAX_SIDE: u32 = 4096;

/// An image's width and height in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimensions {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// The format a content type names, for the two the service accepts.
fn format_of(content_type: &str) -> Option<ImageFormat> {
    match content_type {
        "image/png" => Some(ImageFormat::Png),
        "image/jpeg" => Some(ImageFormat::Jpeg),
        _ => None,
    }
}

fn name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Png => "PNG",
        ImageFormat::Jpeg => "JPEG",
        _ => "an unsupported format",
    }
}

/// Reads `body`'s header and checks it against `content_type` (already known to be
/// `image/png` or `image/jpeg`) and the size limits; a ValidationException says what is wrong.
pub fn check(content_type: &str, body: &[u8]) -> Result<Dimensions, ApiError> {
    let declared = format_of(content_type).ok_or_else(|| {
        ApiError::validation(
            "content-type must be one of the following. image/jpeg, image/png".to_owned(),
        )
    })?;
    let found = match image::guess_format(body) {
        Ok(format @ (ImageFormat::Png | ImageFormat::Jpeg)) => format,
        _ => {
            return Err(ApiError::validation(format!(
                "The image is not a valid PNG or JPEG image: the body ({} bytes) does not \
                 start with a PNG or JPEG signature.",
                body.len()
            )))
        }
    };
    if found != declared {
        return Err(ApiError::validation(format!(
            "The image is {} but its content type is {content_type}: send it as {}.",
            name(found),
            match found {
                ImageFormat::Png => "image/png",
                _ => "image/jpeg",
            }
        )));
    }
    let (width, height) = ImageReader::with_format(Cursor::new(body), found)
        .into_dimensions()
        .map_err(|err| {
            ApiError::validation(format!(
                "The image could not be read as a {} image: {err}.",
                name(found)
            ))
        })?;
    let within = |side: u32| (MIN_SIDE..=MAX_SIDE).contains(&side);
    if !within(width) || !within(height) {
        return Err(ApiError::validation(format!(
            "The image is {width}x{height} pixels; width and height must each be between \
             {MIN_SIDE} and {MAX_SIDE} pixels."
        )));
    }
    Ok(Dimensions { width, height })
}

/// Decodes `body`, already accepted by [`check`] for `content_type`; a ValidationException
/// if its pixels turn out to be corrupt.
pub fn decode(content_type: &str, body: &[u8]) -> Result<image::DynamicImage, ApiError> {
    let format = format_of(content_type).unwrap_or(ImageFormat::Png);
    image::load_from_memory_with_format(body, format).map_err(|err| {
        ApiError::validation(format!(
            "The image could not be decoded as a {} image: {err}.",
            name(format)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder as _, RgbImage};

    fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let image = RgbImage::from_pixel(width, height, image::Rgb([200, 10, 10]));
        let mut bytes = Vec::new();
        match format {
            ImageFormat::Png => image::codecs::png::PngEncoder::new(&mut bytes)
                .write_image(&image, width, height, image::ExtendedColorType::Rgb8)
                .unwrap(),
            _ => image::codecs::jpeg::JpegEncoder::new(&mut bytes)
                .write_image(&image, width, height, image::ExtendedColorType::Rgb8)
                .unwrap(),
        }
        bytes
    }

    fn message(result: Result<Dimensions, ApiError>) -> String {
        result.expect_err("refused").message().to_owned()
    }

    #[test]
    fn pngs_and_jpegs_of_allowed_sizes_pass_with_their_dimensions() {
        for (format, content_type) in [
            (ImageFormat::Png, "image/png"),
            (ImageFormat::Jpeg, "image/jpeg"),
        ] {
            for (width, height) in [(64, 64), (640, 480), (4096, 64)] {
                assert_eq!(
                    check(content_type, &encoded(width, height, format)),
                    Ok(Dimensions { width, height })
                );
            }
        }
    }

    #[test]
    fn decoding_reads_the_pixels_and_refuses_a_truncated_body() {
        let png = encoded(64, 64, ImageFormat::Png);
        let image = decode("image/png", &png).unwrap();
        assert_eq!(image.to_rgb8().get_pixel(10, 10).0, [200, 10, 10]);
        // The header (and so `check`) survives, the pixel data does not.
        let truncated = &png[..png.len() / 2];
        assert!(check("image/png", truncated).is_ok());
        let text = decode("image/png", truncated)
            .unwrap_err()
            .message()
            .to_owned();
        assert!(
            text.contains("could not be decoded as a PNG image"),
            "{text}"
        );
    }

    #[test]
    fn bytes_that_are_no_image_are_refused() {
        let text = message(check("image/png", b"this is not an image"));
        assert!(text.contains("not a valid PNG or JPEG image"), "{text}");
        let gif = message(check("image/png", b"GIF89a\x01\x00\x01\x00"));
        assert!(gif.contains("not a valid PNG or JPEG image"), "{gif}");
    }

    #[test]
    fn a_format_other_than_the_content_type_is_named() {
        let text = message(check("image/png", &encoded(64, 64, ImageFormat::Jpeg)));
        assert_eq!(
            text,
            "The image is JPEG but its content type is image/png: send it as image/jpeg."
        );
    }

    #[test]
    fn sizes_outside_the_limits_are_refused_with_the_size() {
        let small = message(check("image/png", &encoded(63, 64, ImageFormat::Png)));
        assert!(small.starts_with("The image is 63x64 pixels;"), "{small}");
        let large = message(check("image/png", &encoded(4097, 64, ImageFormat::Png)));
        assert!(large.starts_with("The image is 4097x64 pixels;"), "{large}");
    }

    #[test]
    fn a_truncated_header_is_refused() {
        let png = encoded(64, 64, ImageFormat::Png);
        let text = message(check("image/png", &png[..12]));
        assert!(
            text.starts_with("The image could not be read as a PNG image"),
            "{text}"
        );
    }
}
