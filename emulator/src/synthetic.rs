//! Deterministic stand-ins for what the real service computes from data the emulator never
//! sees: the images a manifest lists, a trained model's scores, an inference result, and
//! the names of packaging jobs started without one.
//!
//! Each is derived from a seed (the manifest's location, the project and version, the image
//! bytes) through FNV-1a and splitmix64, so the same input gives the same answer in every
//! run and on every platform; std's hashers promise neither.

use serde::Serialize;
use serde_json::json;

use crate::detector::{Area, Detection, Segmentation};

/// The fewest and most images a manifest-created dataset gets.
const MANIFEST_IMAGES: (u64, u64) = (20, 40);

/// A reproducible stream of pseudo-random numbers.
struct Draw(u64);

impl Draw {
    /// Seeds the stream with FNV-1a of `parts`, each followed by a separator so that
    /// `("ab", "c")` and `("a", "bc")` differ.
    fn new(parts: &[&[u8]]) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in parts.iter().flat_map(|part| part.iter().chain(&[0xff])) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        Self(hash)
    }

    /// The next number (splitmix64).
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `min..=max`.
    fn between(&mut self, min: u64, max: u64) -> u64 {
        min + self.next() % (max - min + 1)
    }

    /// A number in `min..max` with four decimals, as the double nearest to that decimal (so
    /// that it prints as `0.9318`, not `0.9318000000000001`).
    fn fraction(&mut self, min: f64, max: f64) -> f64 {
        let steps = ((max - min) * 10_000.0) as u64;
        ((min * 10_000.0).round() as u64 + self.next() % steps) as f64 / 10_000.0
    }
}

/// The JSON Lines a ground-truth manifest at `s3://bucket/key` is taken to hold: between 20
/// and 40 images next to the manifest (`s3://bucket/<key's folder>/images/NNN.jpg`), the
/// first labeled normal, the second anomalous, and of the rest about 60% normal, 25%
/// anomalous and 15% unlabeled.
pub fn manifest_lines(bucket: &str, key: &str) -> Vec<String> {
    let mut draw = Draw::new(&[bucket.as_bytes(), key.as_bytes()]);
    let folder = key.rfind('/').map_or("", |slash| &key[..=slash]);
    let count = draw.between(MANIFEST_IMAGES.0, MANIFEST_IMAGES.1);
    (0..count)
        .map(|index| {
            let source_ref = format!("s3://{bucket}/{folder}images/{index:03}.jpg");
            let class = match (index, draw.next() % 20) {
                (0, _) => Some("normal"),
                (1, _) => Some("anomaly"),
                (_, 0..=11) => Some("normal"),
                (_, 12..=16) => Some("anomaly"),
                _ => None,
            };
            let line = match class {
                Some(class) => json!({
                    "source-ref": source_ref,
                    "anomaly-label": u8::from(class == "anomaly"),
                    "anomaly-label-metadata": {
                        "class-name": class,
                        "confidence": 1,
                        "human-annotated": "yes",
                        "type": "groundtruth/image-classification",
                    },
                }),
                None => json!({ "source-ref": source_ref }),
            };
            line.to_string()
        })
        .collect()
}

/// A trained model's `Performance`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Performance {
    /// `F1Score`: the harmonic mean of precision and recall.
    pub f1_score: f64,
    /// `Precision`.
    pub precision: f64,
    /// `Recall`.
    pub recall: f64,
}

/// The scores training version `version` of `project` ends with: precision and recall in
/// [0.80, 0.99], F1 computed from them.
pub fn performance(project: &str, version: u32) -> Performance {
    let mut draw = Draw::new(&[project.as_bytes(), &version.to_be_bytes()]);
    let precision = draw.fraction(0.80, 0.99);
    let recall = draw.fraction(0.80, 0.99);
    let f1_score = (2.0 * precision * recall / (precision + recall) * 10_000.0).round() / 10_000.0;
    Performance {
        f1_score,
        precision,
        recall,
    }
}

/// Eight hex digits for the name of the `attempt`th packaging job name tried for version
/// `version` of `project`.
pub fn job_suffix(project: &str, version: u32, attempt: u64) -> String {
    let mut draw = Draw::new(&[
        project.as_bytes(),
        &version.to_be_bytes(),
        &attempt.to_be_bytes(),
    ]);
    format!("{:08x}", draw.next() >> 32)
}

/// The colour of anomalous pixels in a mask, as `PixelAnomaly.Color` reports it.
pub const ANOMALY_COLOR: &str = "#23A436";
/// The colour of normal pixels in a mask.
pub const BACKGROUND_COLOR: &str = "#FFFFFF";
/// The side of the square anomaly mask, in pixels.
const MASK_SIDE: usize = 32;

/// The verdict on `image`: anomalous for about half of all inputs, with a confidence in
/// [0.50, 0.99]; an anomalous image gets a 32×32 PNG mask with one [`ANOMALY_COLOR`]
/// rectangle on [`BACKGROUND_COLOR`], and the rectangle's share of the pixels as its area,
/// so mask and numbers agree.
pub fn detect(image: &[u8]) -> Detection {
    let mut draw = Draw::new(&[image]);
    let is_anomalous = draw.next() % 2 == 1;
    let confidence = draw.fraction(0.50, 0.99);
    let segmentation = is_anomalous.then(|| {
        let side = MASK_SIDE as u64;
        let (width, height) = (draw.between(2, side / 2), draw.between(2, side / 2));
        let (left, top) = (
            draw.between(0, side - width),
            draw.between(0, side - height),
        );
        let inside = |x: usize, y: usize| {
            let (x, y) = (x as u64, y as u64);
            (left..left + width).contains(&x) && (top..top + height).contains(&y)
        };
        let fraction = (width * height) as f64 / (side * side) as f64;
        let area = |name: &str, color: &str, fraction| Area {
            name: name.to_owned(),
            color: color.to_owned(),
            fraction,
        };
        Segmentation {
            mask_png: png_mask(inside),
            areas: vec![
                area("background", BACKGROUND_COLOR, 1.0 - fraction),
                area("anomaly", ANOMALY_COLOR, fraction),
            ],
        }
    });
    Detection {
        anomalous: is_anomalous,
        confidence,
        segmentation,
    }
}

/// A [`MASK_SIDE`]-square RGB PNG, anomalous where `inside` says so. Written by hand, with
/// an uncompressed ("stored") deflate block, because the mask is small and the crate has no
/// image encoder.
fn png_mask(inside: impl Fn(usize, usize) -> bool) -> Vec<u8> {
    let rgb = |hex: &str| {
        let channel = |at: usize| u8::from_str_radix(&hex[at..at + 2], 16).unwrap_or(0);
        [channel(1), channel(3), channel(5)]
    };
    let (anomaly, background) = (rgb(ANOMALY_COLOR), rgb(BACKGROUND_COLOR));
    let mut pixels = Vec::with_capacity(MASK_SIDE * (1 + 3 * MASK_SIDE));
    for y in 0..MASK_SIDE {
        pixels.push(0); // filter type: none
        for x in 0..MASK_SIDE {
            pixels.extend(if inside(x, y) { anomaly } else { background });
        }
    }
    // zlib: header, one final stored block (length, its complement, data), Adler-32.
    let length = u16::try_from(pixels.len()).expect("a 32x32 mask fits one stored block");
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend(length.to_le_bytes());
    zlib.extend((!length).to_le_bytes());
    zlib.extend(&pixels);
    zlib.extend(adler32(&pixels).to_be_bytes());

    let side = (MASK_SIDE as u32).to_be_bytes();
    // Width, height, 8 bits per channel, truecolour, deflate, no filter, no interlace.
    let header = [&side[..], &side[..], &[8, 2, 0, 0, 0]].concat();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", &header), (b"IDAT", &zlib), (b"IEND", &Vec::new())] {
        let length = u32::try_from(data.len()).expect("chunks are small");
        png.extend(length.to_be_bytes());
        png.extend(kind);
        png.extend(data);
        png.extend(crc32(kind.iter().chain(data)).to_be_bytes());
    }
    png
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32<'a>(bytes: impl IntoIterator<Item = &'a u8>) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Adler-32, as zlib streams end with it.
fn adler32(bytes: &[u8]) -> u32 {
    let (a, b) = bytes.iter().fold((1u32, 0u32), |(a, b), byte| {
        let a = (a + u32::from(*byte)) % 65_521;
        (a, (b + a) % 65_521)
    });
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_are_deterministic_sized_and_labeled_both_ways() {
        let lines = manifest_lines("bucket", "data/train.manifest");
        assert_eq!(lines, manifest_lines("bucket", "data/train.manifest"));
        assert_ne!(lines, manifest_lines("bucket", "data/test.manifest"));
        assert!((20..=40).contains(&lines.len()), "{}", lines.len());
        let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(first["source-ref"], "s3://bucket/data/images/000.jpg");
        assert_eq!(first["anomaly-label"], 0);
        assert!(lines[1].contains(r#""anomaly-label":1"#));
        for (bucket, key) in [("a", "m"), ("b", "x/y/z.manifest"), ("c", "q")] {
            let n = manifest_lines(bucket, key).len();
            assert!((20..=40).contains(&n), "{bucket}/{key}: {n}");
        }
        // A manifest at the bucket's root has its images under `images/`.
        assert!(manifest_lines("b", "k")[0].contains(r#""source-ref":"s3://b/images/000.jpg""#));
    }

    #[test]
    fn performance_is_deterministic_in_range_and_consistent() {
        let p = performance("widgets", 1);
        assert_eq!(p, performance("widgets", 1));
        assert_ne!(p, performance("widgets", 2));
        for value in [p.f1_score, p.precision, p.recall] {
            assert!((0.8..0.99).contains(&value), "{p:?}");
        }
        let f1 = 2.0 * p.precision * p.recall / (p.precision + p.recall);
        assert!((p.f1_score - f1).abs() < 0.0001, "{p:?}");
    }

    #[test]
    fn scores_print_with_at_most_four_decimals() {
        let decimals = |value: f64| {
            let text = serde_json::to_string(&value).unwrap();
            text.split_once('.')
                .map_or(0, |(_, fraction)| fraction.len())
        };
        for version in 1..200 {
            let p = performance("widgets", version);
            for value in [p.f1_score, p.precision, p.recall] {
                assert!(decimals(value) <= 4, "{value} in {p:?}");
            }
            let d = detect(&version.to_be_bytes());
            assert!(decimals(d.confidence) <= 4, "{d:?}");
        }
    }

    #[test]
    fn detection_is_deterministic_and_the_mask_matches_the_area() {
        let results: Vec<_> = (0..32u8).map(|i| detect(&[i; 8])).collect();
        assert_eq!(results[3], detect(&[3; 8]));
        assert!(results.iter().any(|d| d.anomalous));
        assert!(results.iter().any(|d| !d.anomalous));
        for d in &results {
            assert!((0.5..0.99).contains(&d.confidence), "{d:?}");
            assert_eq!(d.anomalous, d.segmentation.is_some());
        }
        let segmentation = results
            .iter()
            .find_map(|d| d.segmentation.as_ref())
            .unwrap();
        let area = segmentation.areas[1].fraction;
        assert!(area > 0.0 && area < 1.0);
        assert_eq!(segmentation.areas[0].fraction, 1.0 - area);
        let pixels = decode_stored_png(&segmentation.mask_png);
        let anomalous = pixels.iter().filter(|p| **p == [0x23, 0xa4, 0x36]).count();
        assert_eq!(anomalous as f64 / (32.0 * 32.0), area);
    }

    /// Walks the chunks, checking every CRC, and returns the pixels of the stored block.
    fn decode_stored_png(png: &[u8]) -> Vec<[u8; 3]> {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let mut at = 8;
        let mut kinds = Vec::new();
        let mut idat = Vec::new();
        while at < png.len() {
            let length = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let body = &png[at + 4..at + 8 + length];
            let crc =
                u32::from_be_bytes(png[at + 8 + length..at + 12 + length].try_into().unwrap());
            assert_eq!(crc32(body), crc);
            kinds.push(String::from_utf8(body[..4].to_vec()).unwrap());
            if &body[..4] == b"IDAT" {
                idat = body[4..].to_vec();
            }
            at += 12 + length;
        }
        assert_eq!(kinds, ["IHDR", "IDAT", "IEND"]);
        let data = &idat[7..idat.len() - 4];
        assert_eq!(adler32(data).to_be_bytes(), idat[idat.len() - 4..]);
        data.chunks(1 + 3 * 32)
            .flat_map(|row| row[1..].chunks(3).map(|p| [p[0], p[1], p[2]]))
            .collect()
    }

    #[test]
    fn job_suffixes_are_eight_hex_digits_that_differ_per_attempt() {
        let first = job_suffix("p1", 1, 0);
        assert_eq!(first, job_suffix("p1", 1, 0));
        assert_eq!(first.len(), 8);
        assert!(first.chars().all(|c| c.is_ascii_hexdigit()), "{first}");
        assert_ne!(first, job_suffix("p1", 1, 1));
        assert_ne!(first, job_suffix("p1", 2, 0));
    }

    #[test]
    fn checksums_match_their_reference_values() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }
}
