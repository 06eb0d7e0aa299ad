//! The crate's properties: determinism, sizes and formats, defects exactly where their masks
//! say, and the files and manifests a written set holds.

use std::collections::HashSet;
use std::fs;

use image::{ImageFormat, Rgb, RgbImage};
use serde_json::Value;

use crate::*;

fn spec(seed: u64, side: u32) -> Spec {
    Spec {
        seed,
        width: side,
        height: side,
        normal: 3,
        anomalous: 6,
        ..Spec::default()
    }
}

fn diff(a: &Rgb<u8>, b: &Rgb<u8>) -> u32 {
    a.0.iter().zip(b.0).map(|(x, y)| x.abs_diff(y) as u32).sum()
}

#[test]
fn the_same_spec_gives_the_same_bytes_and_another_seed_others() {
    for format in [Format::Png, Format::Jpeg] {
        let one = Spec {
            format,
            ..spec(1, 96)
        };
        let bytes = |s: &Spec, i| encode(&s.anomalous_part(i).image(), s.format);
        assert_eq!(bytes(&one, 0), bytes(&one.clone(), 0));
        let other = Spec {
            seed: 2,
            ..one.clone()
        };
        assert_ne!(bytes(&one, 0), bytes(&other, 0));
        assert_ne!(bytes(&one, 0), bytes(&one, 1));
        let normal = |s: &Spec, i| encode(&s.normal_part(i).image(), s.format);
        assert_eq!(normal(&one, 0), normal(&one, 0));
        assert_ne!(normal(&one, 0), normal(&one, 1));
        assert_ne!(normal(&one, 0), normal(&other, 0));
        let scratch = |seed| Part::new(seed, 96, 96, 0, Some(DefectKind::Scratch)).image();
        assert_ne!(scratch(1), scratch(2));
    }
}

#[test]
fn written_sets_are_byte_identical() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let s = Spec {
        segmentation: true,
        ..spec(5, 64)
    };
    let wa = write_set(&s, a.path(), "bkt", "p").unwrap();
    let wb = write_set(&s, b.path(), "bkt", "p").unwrap();
    assert_eq!(wa, wb);
    let keys = wa
        .images
        .iter()
        .flat_map(|i| std::iter::once(&i.key).chain(&i.mask_key))
        .chain(std::iter::once(&wa.manifest_key));
    for key in keys {
        let read = |root: &std::path::Path| fs::read(root.join("bkt").join(key)).unwrap();
        assert_eq!(read(a.path()), read(b.path()), "{key}");
    }
}

#[test]
fn images_and_masks_have_the_requested_size_and_format() {
    for (format, expected) in [
        (Format::Png, ImageFormat::Png),
        (Format::Jpeg, ImageFormat::Jpeg),
    ] {
        let s = Spec {
            width: 80,
            height: 60,
            format,
            ..spec(3, 0)
        };
        let part = s.anomalous_part(0);
        let bytes = encode(&part.image(), format);
        assert_eq!(image::guess_format(&bytes).unwrap(), expected);
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (80, 60));
        assert_eq!(decoded.color(), image::ColorType::Rgb8);
        let mask = part.mask().unwrap();
        assert_eq!(mask.dimensions(), (80, 60));
    }
    assert!(spec(3, 64).normal_part(0).mask().is_none());
}

/// Every anomalous image differs from its template exactly on its mask, and clearly; the
/// mask holds only white and the class colour.
fn check_defect(part: &Part) -> usize {
    let kind = part.defect().expect("an anomalous part");
    let (image, template, mask) = (part.image(), part.template(), part.mask().unwrap());
    let colour = Rgb(kind.rgb());
    let mut pixels = 0;
    let mut total = 0;
    for ((m, a), t) in mask.pixels().zip(image.pixels()).zip(template.pixels()) {
        if *m == colour {
            // Every masked pixel shows the defect, not only most of them.
            let d = diff(a, t);
            assert!(d >= 30, "{kind}: a masked pixel differs by {d} only");
            pixels += 1;
            total += d;
        } else {
            assert_eq!(*m, Rgb([255, 255, 255]), "{kind}: mask colours");
            assert_eq!(a, t, "{kind}: the image changed outside the mask");
        }
    }
    assert!(pixels > 0, "{kind}: empty mask");
    // The mean difference per pixel, over three channels: far above the ±4 noise.
    let mean = total / pixels as u32;
    assert!(mean >= 60, "{kind}: mean difference {mean} inside the mask");
    pixels
}

#[test]
fn defects_are_exactly_where_their_masks_are_at_every_size() {
    for side in [128, 256, 512] {
        for kind in DefectKind::ALL {
            for stream in 0..8 {
                let part = Part::new(11, side, side, stream, Some(kind));
                assert_eq!(part.defect(), Some(kind));
                let pixels = check_defect(&part);
                let share = pixels as f64 / f64::from(side * side);
                // Relative to the image: a defect covers a similar share at every size.
                assert!((0.0003..0.05).contains(&share), "{kind} at {side}: {share}");
            }
        }
    }
}

#[test]
fn the_seed_chooses_every_kind_of_defect() {
    let s = Spec {
        anomalous: 30,
        ..spec(0, 64)
    };
    let kinds: HashSet<_> = (0..s.anomalous)
        .map(|i| s.anomalous_part(i).defect().unwrap())
        .collect();
    assert_eq!(kinds.len(), 3);
}

#[test]
fn normal_parts_vary_only_a_little() {
    let s = spec(4, 256);
    let a = s.normal_part(0).image();
    let b = s.normal_part(1).image();
    assert_ne!(a, b);
    // The same part, shifted by at most 2 px each way: most pixels nearly agree.
    let close = a
        .pixels()
        .zip(b.pixels())
        .filter(|(x, y)| diff(x, y) <= 40)
        .count();
    assert!(close as f64 > 0.9 * f64::from(256 * 256), "{close}");
    // And the part is on the image: its centre is steel, its corner background.
    let centre_ring = a.get_pixel(128 + 45, 128);
    let corner = a.get_pixel(2, 2);
    assert!(
        centre_ring.0[0] > 100 && corner.0[0] < 80,
        "{centre_ring:?} {corner:?}"
    );
}

#[test]
fn class_colours_are_distinct_upper_case_hex() {
    let colours: HashSet<_> = DefectKind::ALL.iter().map(|k| k.hex_color()).collect();
    assert_eq!(colours.len(), 3);
    for kind in DefectKind::ALL {
        let hex = kind.hex_color();
        assert!(hex.len() == 7 && hex.starts_with('#'), "{hex}");
        assert!(hex[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
        assert_ne!(kind.rgb(), [255, 255, 255]);
        assert!(kind.class_name().chars().all(|c| c.is_ascii_alphanumeric()));
    }
    assert_eq!(DefectKind::Scratch.rgb(), [0x23, 0xA4, 0x36]);
}

fn manifest_lines(root: &std::path::Path, w: &Written) -> Vec<Value> {
    let text = fs::read_to_string(root.join(&w.bucket).join(&w.manifest_key)).unwrap();
    assert!(text.ends_with('\n'));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_segmentation_set_is_laid_out_as_s3_with_its_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let s = Spec {
        segmentation: true,
        ..spec(8, 64)
    };
    let w = write_set(&s, dir.path(), "bkt", "/data/").unwrap();
    assert_eq!(w.manifest_uri(), "s3://bkt/data/train.manifest");
    assert_eq!(w.images.len(), 9);
    assert_eq!(w.images[0].key, "data/images/normal-000.png");
    assert_eq!(w.images[3].key, "data/images/anomaly-000.png");
    assert_eq!(
        w.images[3].mask_key.as_deref(),
        Some("data/masks/anomaly-000.png")
    );
    let lines = manifest_lines(dir.path(), &w);
    assert_eq!(lines.len(), 9);
    for (line, image) in lines.iter().zip(&w.images) {
        assert_eq!(line["source-ref"], format!("s3://bkt/{}", image.key));
        assert!(dir.path().join("bkt").join(&image.key).is_file());
        let class = line["anomaly-label-metadata"]["class-name"]
            .as_str()
            .unwrap();
        assert_eq!(class, if image.anomalous { "anomaly" } else { "normal" });
        assert_eq!(image.anomalous, image.defect.is_some());
        match (&image.mask_key, image.defect) {
            (Some(mask), Some(kind)) => {
                assert_eq!(line["anomaly-mask-ref"], format!("s3://bkt/{mask}"));
                let map = &line["anomaly-mask-ref-metadata"]["internal-color-map"];
                assert_eq!(map["1"]["class-name"], kind.class_name());
                assert_eq!(map["1"]["hex-color"], kind.hex_color());
                let bytes = fs::read(dir.path().join("bkt").join(mask)).unwrap();
                assert_eq!(image::guess_format(&bytes).unwrap(), ImageFormat::Png);
                let mask: RgbImage = image::load_from_memory(&bytes).unwrap().to_rgb8();
                assert!(mask.pixels().any(|p| p.0 == kind.rgb()));
            }
            (None, None) => assert!(line.get("anomaly-mask-ref").is_none()),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_split_writes_two_classification_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let train = Spec {
        format: Format::Jpeg,
        ..spec(1, 48)
    };
    let test = Spec {
        seed: 2,
        normal: 2,
        anomalous: 1,
        ..train.clone()
    };
    let (a, b) = write_split(&train, &test, dir.path(), "bkt", "").unwrap();
    assert_eq!(a.manifest_uri(), "s3://bkt/train/train.manifest");
    assert_eq!(b.manifest_uri(), "s3://bkt/test/test.manifest");
    assert_eq!(b.images[2].key, "test/images/anomaly-000.jpg");
    assert_eq!(manifest_lines(dir.path(), &a).len(), 9);
    let lines = manifest_lines(dir.path(), &b);
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l.get("anomaly-mask-ref").is_none()));
    assert_eq!(lines[2]["anomaly-label"], 1);
    assert!(!dir.path().join("bkt/test/masks").exists());
    let read =
        |w: &Written, i: usize| fs::read(dir.path().join("bkt").join(&w.images[i].key)).unwrap();
    assert_ne!(read(&a, 0), read(&b, 0));
}
