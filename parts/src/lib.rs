//! Deterministic image sets of the kind Amazon Lookout for Vision was used on: a fixed
//! camera looking at aligned manufactured parts (a steel flange with a bore, a groove and
//! six bolt holes), some of them defective, with SageMaker Ground Truth manifests.
//!
//! For the demo script, the benchmark, the emulator's tests and the provider's acceptance
//! tests. The same [`Spec`] always gives byte-identical files; no RNG crate is involved (a
//! SplitMix64 stream, and no trigonometry, whose results depend on the platform's libm).
//!
//! ```no_run
//! use lookoutvision_parts::{write_set, Spec};
//!
//! let spec = Spec { seed: 7, normal: 20, anomalous: 10, ..Spec::default() };
//! let written = write_set(&spec, "/tmp/s3".as_ref(), "bucket", "parts")?;
//! println!("{}", written.manifest_uri()); // s3://bucket/parts/train.manifest
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! A normal part varies only a little: a translation of at most ~1% of the side, the
//! lighting gradient's strength and per-pixel noise. An anomalous part carries one defect
//! ([`DefectKind`]) chosen by the seed, sized relative to the image.

#![deny(rust_2018_idioms, unused_must_use, missing_docs)]
#![forbid(unsafe_code)]

pub mod manifest;
mod part;
mod rng;
mod set;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io::{self, Cursor};

use image::codecs::jpeg::JpegEncoder;
use image::{ImageFormat, RgbImage};

pub use part::Part;
pub use set::{write_set, write_split, Written, WrittenImage};

/// The encoding of the images (masks are always PNG).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// PNG, lossless: an anomalous image differs from its template exactly on its mask.
    #[default]
    Png,
    /// Baseline JPEG at quality 90.
    Jpeg,
}

impl Format {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpg",
        }
    }

    /// The format a file name's extension names (`png`, `jpg`, `jpeg`, any case).
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "png" => Some(Format::Png),
            "jpg" | "jpeg" => Some(Format::Jpeg),
            _ => None,
        }
    }
}

/// The three kinds of defect, each a segmentation class with its own colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DefectKind {
    /// A thin dark or bright line across the face.
    Scratch,
    /// A dark or rust-coloured blob on the face.
    Spot,
    /// A notch at the rim: part of the part is missing.
    Missing,
}

impl DefectKind {
    /// Every kind, in the order the seed chooses among them.
    pub const ALL: [DefectKind; 3] = [DefectKind::Scratch, DefectKind::Spot, DefectKind::Missing];

    /// The segmentation class name (`[a-zA-Z0-9]+`).
    pub fn class_name(self) -> &'static str {
        match self {
            DefectKind::Scratch => "scratch",
            DefectKind::Spot => "spot",
            DefectKind::Missing => "missing",
        }
    }

    /// The class colour in masks and colour maps, `#RRGGBB` in upper case.
    pub fn hex_color(self) -> &'static str {
        match self {
            DefectKind::Scratch => "#23A436",
            DefectKind::Spot => "#D62728",
            DefectKind::Missing => "#1F77B4",
        }
    }

    /// The class colour as RGB bytes.
    pub fn rgb(self) -> [u8; 3] {
        let hex = &self.hex_color()[1..];
        let byte = |i: usize| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex colour");
        [byte(0), byte(1), byte(2)]
    }
}

impl fmt::Display for DefectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.class_name())
    }
}

/// What to generate: a set of `normal` and `anomalous` images of `width` x `height` pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Every image, defect and noise pixel follows from it.
    pub seed: u64,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Number of normal images.
    pub normal: usize,
    /// Number of anomalous images.
    pub anomalous: usize,
    /// Encoding of the images.
    pub format: Format,
    /// Whether to write a mask per anomalous image and segmentation manifest lines.
    pub segmentation: bool,
}

impl Default for Spec {
    /// 256 x 256 PNG, 20 normal and 10 anomalous images, classification only, seed 0.
    fn default() -> Self {
        Spec {
            seed: 0,
            width: 256,
            height: 256,
            normal: 20,
            anomalous: 10,
            format: Format::Png,
            segmentation: false,
        }
    }
}

impl Spec {
    /// The normal part number `index` of the set (any index, not only below `normal`).
    pub fn normal_part(&self, index: usize) -> Part {
        Part::new(
            self.seed,
            self.width,
            self.height,
            stream(false, index),
            None,
        )
    }

    /// The anomalous part number `index`, its defect's kind chosen by the seed.
    pub fn anomalous_part(&self, index: usize) -> Part {
        let stream = stream(true, index);
        let kind = DefectKind::ALL[rng::Rng::new(self.seed ^ rng::mix(!stream)).below(3) as usize];
        Part::new(self.seed, self.width, self.height, stream, Some(kind))
    }
}

/// Normal and anomalous parts draw from separate streams.
fn stream(anomalous: bool, index: usize) -> u64 {
    (u64::from(anomalous) << 63) | index as u64
}

/// Encodes an image as `format`.
pub fn encode(image: &RgbImage, format: Format) -> Vec<u8> {
    let mut bytes = Vec::new();
    let result = match format {
        Format::Png => image.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png),
        Format::Jpeg => image.write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, 90)),
    };
    // Encoding an in-memory RGB8 image into a Vec cannot fail.
    result.expect("encoding an RGB image in memory");
    bytes
}

/// An I/O error for a file that could not be written, naming it.
fn io_context(path: &std::path::Path, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}
