//! The model against generated parts: a grey disk with a central hole on a dark background,
//! jittered by up to 2 pixels, with noise; defects are a bright scratch, a dark spot and a
//! missing notch at the rim.

use std::time::Instant;

use image::{DynamicImage, GenericImageView as _, Rgb, RgbImage, Rgba, RgbaImage};

use super::*;

const BACKGROUND: f64 = 60.0;
const PART: f64 = 170.0;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Defect {
    None,
    Scratch,
    Spot,
    Notch,
}

const DEFECTS: [Defect; 3] = [Defect::Scratch, Defect::Spot, Defect::Notch];

fn class(defect: Defect) -> AnomalyClass {
    let (name, color) = match defect {
        Defect::Scratch => ("scratch", "#23A436"),
        Defect::Spot => ("spot", "#F4511E"),
        Defect::Notch | Defect::None => ("notch", "#1E88E5"),
    };
    AnomalyClass {
        name: name.to_owned(),
        color: color.to_owned(),
    }
}

/// SplitMix64: small, deterministic.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }
}

/// A generated part, its mask when `masked` and it has a defect, and the defect's centre.
struct Sample {
    labelled: Labelled,
    centre: Option<(f64, f64)>,
}

fn part(size: u32, seed: u64, defect: Defect, masked: bool) -> Sample {
    let mut rng = Rng(seed.wrapping_mul(7919).wrapping_add(17));
    let s = f64::from(size);
    let (cx, cy) = (
        s / 2.0 + rng.range(-2.0, 2.0),
        s / 2.0 + rng.range(-2.0, 2.0),
    );
    let (radius, hole) = (0.35 * s, 0.08 * s);
    let angle = rng.range(0.0, std::f64::consts::TAU);
    let (scratch_from, scratch_to, half_width) = {
        let (r, a) = (rng.range(0.12, 0.18) * s, angle + rng.range(0.5, 1.5));
        let from = (cx + r * angle.cos(), cy + r * angle.sin());
        (
            from,
            (from.0 + 0.2 * s * a.cos(), from.1 + 0.2 * s * a.sin()),
            (1.5 * s / 512.0).max(1.0),
        )
    };
    let spot = (
        cx + 0.2 * s * angle.cos(),
        cy + 0.2 * s * angle.sin(),
        0.035 * s,
    );
    let notch = (
        cx + radius * angle.cos(),
        cy + radius * angle.sin(),
        0.06 * s,
    );
    let centre = match defect {
        Defect::None => None,
        Defect::Scratch => Some((
            (scratch_from.0 + scratch_to.0) / 2.0,
            (scratch_from.1 + scratch_to.1) / 2.0,
        )),
        Defect::Spot => Some((spot.0, spot.1)),
        Defect::Notch => Some((notch.0, notch.1)),
    };
    let mut image = RgbImage::new(size, size);
    let mut mask = RgbaImage::from_pixel(size, size, Rgba([255; 4]));
    let color = rgb(&class(defect));
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let (px, py) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
        let from_centre = (px - cx).hypot(py - cy);
        let on_part = from_centre <= radius && from_centre >= hole;
        let mut value = if on_part { PART } else { BACKGROUND };
        let hit = match defect {
            Defect::None => false,
            Defect::Scratch => {
                on_part && segment_distance((px, py), scratch_from, scratch_to) <= half_width
            }
            Defect::Spot => (px - spot.0).hypot(py - spot.1) <= spot.2,
            Defect::Notch => on_part && (px - notch.0).hypot(py - notch.1) <= notch.2,
        };
        if hit {
            value = match defect {
                Defect::Scratch => 235.0,
                Defect::Spot => 25.0,
                _ => BACKGROUND,
            };
            mask.put_pixel(x, y, Rgba([color[0], color[1], color[2], 255]));
        }
        let grey = (value + rng.range(-8.0, 8.0)).clamp(0.0, 255.0) as u8;
        *pixel = Rgb([grey; 3]);
    }
    let mask = (masked && defect != Defect::None).then(|| LabelMask {
        image: mask,
        classes: vec![class(defect)],
    });
    Sample {
        labelled: Labelled {
            image: DynamicImage::ImageRgb8(image),
            anomalous: defect != Defect::None,
            mask,
        },
        centre,
    }
}

fn segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let t = (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
    (p.0 - a.0 - t * dx).hypot(p.1 - a.1 - t * dy)
}

/// `normal` normal parts then `defective` defective ones (the defects in turn), from `seed`.
fn dataset(size: u32, seed: u64, normal: usize, defective: usize, masked: bool) -> Vec<Labelled> {
    let normals = (0..normal).map(|i| part(size, seed + i as u64, Defect::None, masked));
    let defects =
        (0..defective).map(|i| part(size, seed + 100_000 + i as u64, DEFECTS[i % 3], masked));
    normals.chain(defects).map(|s| s.labelled).collect()
}

fn picked(images: &[Labelled], indices: &[usize]) -> Vec<Labelled> {
    indices.iter().map(|&i| images[i].clone()).collect()
}

const SIZE: u32 = 160;

#[test]
fn separates_normal_from_defective_parts_on_held_out_images() {
    let all = dataset(SIZE, 1, 60, 24, false);
    let (fit, _) = auto_split(&all.iter().map(|l| l.anomalous).collect::<Vec<_>>());
    let evaluate = dataset(SIZE, 50_000, 30, 30, false);
    let training = train(&picked(&all, &fit), &evaluate).expect("trains");
    let report = &training.report;
    assert!(!training.detector.is_segmentation());
    assert_eq!(
        (
            report.training_images,
            report.testing_images,
            report.tested.len()
        ),
        (fit.len(), 60, 60)
    );
    assert!(report.f1 >= 0.9, "F1 {report:?}");
    assert!(
        report.roc_auc >= 0.95 && report.average_precision >= 0.9,
        "{report:?}"
    );
    assert!(report.pixel_classes.is_empty());
    // Each kind of defect is found, not only the easy ones.
    let mut found = [0; 3];
    for (i, verdict) in report.tested.iter().enumerate().skip(30) {
        found[(i - 30) % 3] += usize::from(verdict.anomalous);
    }
    for (defect, count) in DEFECTS.iter().zip(found) {
        assert!(count >= 9, "{defect:?} found {count} times of 10");
    }
}

#[test]
fn learns_from_normal_images_alone() {
    let fit = dataset(SIZE, 1, 50, 0, false);
    let evaluate = dataset(SIZE, 50_000, 30, 30, false);
    let report = train(&fit, &evaluate).expect("trains").report;
    assert!(report.f1 >= 0.9, "{report:?}");
}

#[test]
fn training_and_detection_are_deterministic() {
    let all = dataset(SIZE, 3, 30, 9, true);
    let evaluate = dataset(SIZE, 70_000, 5, 6, true);
    let (a, b) = (
        train(&all, &evaluate).expect("trains"),
        train(&all, &evaluate).expect("trains"),
    );
    assert_eq!(a.detector, b.detector);
    assert_eq!(a.report, b.report);
    let image = &evaluate[7].image;
    assert_eq!(a.detector.detect(image), b.detector.detect(image));
    assert_eq!(a.detector.detect(image), a.detector.detect(image));
}

#[test]
fn confidence_is_in_the_predicted_class() {
    let fit = dataset(SIZE, 5, 40, 12, false);
    let detector = train(&fit, &[]).expect("trains").detector;
    let normal = detector.detect(&part(SIZE, 90_001, Defect::None, false).labelled.image);
    assert!(
        !normal.anomalous && normal.confidence > 0.8 && normal.confidence <= 1.0,
        "{normal:?}"
    );
    assert!(normal.segmentation.is_none());
    let spot = detector.detect(&part(SIZE, 90_002, Defect::Spot, false).labelled.image);
    assert!(
        spot.anomalous && spot.confidence > 0.8 && spot.confidence <= 1.0,
        "{spot:?}"
    );
    // A part painted over entirely is further from normal than a spot: more confident.
    let blank = DynamicImage::ImageRgb8(RgbImage::from_pixel(SIZE, SIZE, Rgb([250; 3])));
    let worst = detector.detect(&blank);
    assert!(
        worst.anomalous && worst.confidence > spot.confidence,
        "{worst:?}"
    );
    for seed in 0..10 {
        let detection = detector.detect(
            &part(SIZE, 91_000 + seed, DEFECTS[seed as usize % 3], false)
                .labelled
                .image,
        );
        assert!(detection.confidence > 0.5 && detection.confidence <= 1.0);
    }
}

#[test]
fn auto_split_keeps_both_classes_on_both_sides_and_is_deterministic() {
    let labels: Vec<bool> = (0..50).map(|i| i % 7 == 3).collect();
    let (fit, evaluate) = auto_split(&labels);
    assert_eq!(auto_split(&labels), (fit.clone(), evaluate.clone()));
    let mut every: Vec<usize> = fit.iter().chain(&evaluate).copied().collect();
    every.sort_unstable();
    assert_eq!(every, (0..50).collect::<Vec<_>>());
    for side in [&fit, &evaluate] {
        assert!(
            side.iter().any(|&i| labels[i]) && side.iter().any(|&i| !labels[i]),
            "{side:?}"
        );
    }
    // 43 normal, 7 anomalous: every fifth of each class.
    assert_eq!(evaluate.len(), 43 / 5 + 7 / 5);
    // Small classes still reach both sides; one image of a class stays in training.
    let (fit, evaluate) = auto_split(&[false, true, false, true]);
    assert_eq!((fit, evaluate), (vec![0, 1], vec![2, 3]));
    assert_eq!(auto_split(&[false, false, true]), (vec![0, 2], vec![1]));
    assert_eq!(auto_split(&[]), (vec![], vec![]));
}

#[test]
fn segmentation_finds_the_defect_class_where_the_defect_is() {
    let fit = dataset(SIZE, 11, 40, 18, true);
    let evaluate = dataset(SIZE, 60_000, 6, 9, true);
    let training = train(&fit, &evaluate).expect("trains");
    let detector = &training.detector;
    assert!(detector.is_segmentation());
    let names: Vec<&str> = detector.classes().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["scratch", "spot", "notch"]);
    let pixel_names: Vec<&str> = training
        .report
        .pixel_classes
        .iter()
        .map(|p| p.class_name.as_str())
        .collect();
    assert_eq!(pixel_names, names);
    for metrics in &training.report.pixel_classes {
        assert!(metrics.aiou > 0.4 && metrics.f1 > 0.6, "{metrics:?}");
    }

    for (seed, defect) in [
        (80_001, Defect::Spot),
        (80_002, Defect::Notch),
        (80_003, Defect::Scratch),
    ] {
        let sample = part(SIZE, seed, defect, false);
        let detection = detector.detect(&sample.labelled.image);
        assert!(detection.anomalous, "{defect:?}");
        let segmentation = detection
            .segmentation
            .expect("a segmentation model segments");
        let mask =
            image::load_from_memory_with_format(&segmentation.mask_png, image::ImageFormat::Png)
                .expect("a PNG");
        assert_eq!(mask.dimensions(), (SIZE, SIZE));
        let wanted = class(defect);
        assert_eq!(segmentation.areas[0].name, "background");
        assert_eq!(segmentation.areas[0].color, "#FFFFFF");
        assert!(
            segmentation
                .areas
                .iter()
                .any(|a| a.name == wanted.name && a.color == wanted.color),
            "{defect:?}: {:?}",
            segmentation.areas
        );
        let total: f64 = segmentation.areas.iter().map(|a| a.fraction).sum();
        assert!(
            (total - 1.0).abs() < 1e-9
                && segmentation
                    .areas
                    .iter()
                    .all(|a| (0.0..=1.0).contains(&a.fraction))
        );
        // The class's pixels in the mask are around the defect.
        let color = rgb(&wanted);
        let mask = mask.to_rgb8();
        let found: Vec<(f64, f64)> = mask
            .enumerate_pixels()
            .filter(|(_, _, p)| p.0 == color)
            .map(|(x, y, _)| (f64::from(x), f64::from(y)))
            .collect();
        let area = found.len() as f64 / f64::from(SIZE * SIZE);
        let fraction = segmentation
            .areas
            .iter()
            .find(|a| a.name == wanted.name)
            .map(|a| a.fraction);
        assert_eq!(fraction, Some(area));
        let n = found.len() as f64;
        let (mx, my) = (
            found.iter().map(|p| p.0).sum::<f64>() / n,
            found.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let (dx, dy) = sample.centre.expect("a defect");
        assert!(
            (mx - dx).hypot(my - dy) < 0.08 * f64::from(SIZE),
            "{defect:?} found at ({mx}, {my}), made at ({dx}, {dy})"
        );
    }

    let normal = detector.detect(&part(SIZE, 80_100, Defect::None, false).labelled.image);
    let areas = normal.segmentation.expect("segments").areas;
    assert_eq!(areas.len(), 1, "{areas:?}");
    assert_eq!(
        (areas[0].name.as_str(), areas[0].fraction),
        ("background", 1.0)
    );
}

#[test]
fn grey_images_read_the_same_in_every_pixel_format() {
    let fit = dataset(SIZE, 31, 20, 3, true);
    let detector = train(&fit, &[]).expect("trains").detector;
    let rgb = part(SIZE, 32, Defect::Notch, false).labelled.image;
    let detections: Vec<Detection> = [
        DynamicImage::ImageLuma8(rgb.to_luma8()),
        DynamicImage::ImageLumaA8(rgb.to_luma_alpha8()),
        DynamicImage::ImageRgba8(rgb.to_rgba8()),
        DynamicImage::ImageRgb16(rgb.to_rgb16()),
        rgb,
    ]
    .iter()
    .map(|image| detector.detect(image))
    .collect();
    assert!(detections[0].anomalous);
    assert!(
        detections.iter().all(|d| *d == detections[0]),
        "{detections:?}"
    );
}

#[test]
fn detector_survives_a_serde_round_trip() {
    let fit = dataset(SIZE, 21, 20, 6, true);
    let detector = train(&fit, &[]).expect("trains").detector;
    let json = serde_json::to_string(&detector).expect("serialises");
    let back: Detector = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, detector);
    let image = &part(SIZE, 5, Defect::Spot, false).labelled.image;
    assert_eq!(back.detect(image), detector.detect(image));

    // A model whose statistics do not fit its size is refused.
    let mut value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    value["mean"] = serde_json::Value::String("AAAAAA==".to_owned());
    assert!(serde_json::from_value::<Detector>(value).is_err());
}

#[test]
fn training_refuses_what_it_cannot_learn_from() {
    let normal = part(SIZE, 1, Defect::None, false).labelled;
    let smaller = part(SIZE - 8, 2, Defect::None, false).labelled;
    let error = train(&[normal.clone(), smaller.clone()], &[]).expect_err("sizes differ");
    assert!(
        matches!(
            error,
            TrainingError::Dimensions {
                set: "training",
                index: 1,
                width: 152,
                ..
            }
        ),
        "{error}"
    );
    let error = train(std::slice::from_ref(&normal), &[smaller]).expect_err("sizes differ");
    assert!(
        error.to_string().contains("test image 0 is 152x152"),
        "{error}"
    );

    let anomalous = part(SIZE, 3, Defect::Spot, true).labelled;
    let error = train(std::slice::from_ref(&anomalous), &[]).expect_err("nothing normal");
    assert!(matches!(error, TrainingError::NoNormalImages), "{error}");
    assert!(matches!(
        train(&[], &[]),
        Err(TrainingError::NoNormalImages)
    ));

    let mut bad_mask = anomalous.clone();
    bad_mask.mask.as_mut().expect("masked").image = RgbaImage::new(10, 10);
    assert!(matches!(
        train(&[normal.clone(), bad_mask], &[]),
        Err(TrainingError::MaskDimensions { .. })
    ));
    let mut bad_color = anomalous;
    bad_color.mask.as_mut().expect("masked").classes[0].color = "#+F0000".to_owned();
    assert!(matches!(
        train(&[normal, bad_color], &[]),
        Err(TrainingError::Color { .. })
    ));
}

#[test]
fn metrics_edge_cases() {
    assert_eq!(metrics::precision_recall_f1(0, 0, 3), (0.0, 0.0, 0.0));
    assert_eq!(metrics::roc_auc(&[true, true], &[1.0, 2.0]), 0.0);
    assert_eq!(
        metrics::roc_auc(&[false, true, false, true], &[1.0, 2.0, 2.0, 3.0]),
        0.875
    );
    assert_eq!(
        metrics::average_precision(&[false, false], &[1.0, 2.0]),
        0.0
    );
    assert_eq!(
        metrics::average_precision(&[true, false, true], &[3.0, 2.0, 1.0]),
        0.5 + 0.5 * 2.0 / 3.0
    );
}

/// Timings in release mode: `cargo test --release -p lookoutvision-emulator --lib detector --
/// --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run in release mode"]
fn measure_training_and_detection() {
    let all = dataset(512, 7, 320, 80, false);
    let (fit, evaluate) = auto_split(&all.iter().map(|l| l.anomalous).collect::<Vec<_>>());
    let (fit, evaluate) = (picked(&all, &fit), picked(&all, &evaluate));
    let started = Instant::now();
    let training = train(&fit, &evaluate).expect("trains");
    let elapsed = started.elapsed();
    let r = &training.report;
    println!(
        "train 512x512: {} fit + {} evaluate images in {elapsed:?}; precision {:.3} recall {:.3} F1 {:.3} AUC {:.3} AP {:.3} threshold {:.2}",
        fit.len(),
        evaluate.len(),
        r.precision,
        r.recall,
        r.f1,
        r.roc_auc,
        r.average_precision,
        training.detector.threshold()
    );
    let fresh = dataset(512, 500_000, 100, 99, false);
    let report = train(&fit, &fresh).expect("trains").report;
    println!("fresh 512x512 parts (100 normal, 99 defective): precision {:.3} recall {:.3} F1 {:.3} AUC {:.3}", report.precision, report.recall, report.f1, report.roc_auc);

    let masked = dataset(512, 9, 200, 60, true);
    let fresh = dataset(512, 600_000, 30, 30, true);
    let training = train(&masked, &fresh).expect("trains");
    println!(
        "segmentation 512x512: F1 {:.3}; pixel {:?}",
        training.report.f1, training.report.pixel_classes
    );

    let big = dataset(1024, 11, 30, 9, true);
    let detector = train(&big, &[]).expect("trains").detector;
    for (name, image) in [
        ("normal", &big[0].image),
        (
            "spot",
            &part(1024, 700_000, Defect::Spot, false).labelled.image,
        ),
    ] {
        let started = Instant::now();
        let runs = 20;
        let mut found = false;
        for _ in 0..runs {
            found = detector.detect(image).anomalous;
        }
        println!(
            "detect 1024x1024 {name} (anomalous {found}), segmentation with mask PNG: {:?} each",
            started.elapsed() / runs
        );
    }
}
