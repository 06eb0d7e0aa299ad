//! A deterministic anomaly model that learns from real images, for a fixed camera looking at
//! aligned parts, as Lookout for Vision was used.
//!
//! - **Features.** Every image is turned to luma (BT.601) and area-averaged by hand onto a
//!   working grid whose longest side is at most 128 cells, keeping the aspect ratio (smaller
//!   images are used as they are).
//! - **Statistics.** Per cell, the mean and sample standard deviation of the normal training
//!   images, the deviation floored at [`STD_FLOOR`] grey levels so flat regions do not explode.
//! - **Anomaly map and score.** `|x - mean| / std` per cell, against the best fitting of the
//!   cell's own and its 8 neighbours' statistics (parts sit to within about a cell, so an
//!   edge one cell off is no anomaly), smoothed by a [1 2 1] x [1 2 1] kernel so one noisy
//!   cell does not trigger; the image's score is the map's maximum.
//! - **Threshold.** Every fifth normal image of `fit` (by position; the last one when there are
//!   2 to 4) is held out and the statistics come from the others only; they are not refitted,
//!   so the threshold is chosen for exactly the statistics that use it. With anomalous images
//!   in `fit`, the threshold maximises F1 over the held-out normals and those anomalies (the
//!   geometric mean of two neighbouring scores; ties go to the widest gap); without them it is
//!   [`MARGIN`] times the held-out normals' highest score ([`DEFAULT_THRESHOLD`] with no
//!   held-out normal).
//! - **Confidence** is in the predicted class: `1 - 0.49 exp(-3 |ln(score / threshold)|)`, in
//!   (0.5, 1], rising with the distance from the threshold.
//! - **Segmentation** (when `fit` has masks): cells whose smoothed map exceeds a pixel
//!   threshold form regions (8-connected); each region takes the class with the nearest
//!   prototype. A prototype is the mean, over its class's cells in the training masks, of four
//!   features in grey levels (deviation from the normal mean, grey level, normal mean, normal
//!   deviation); regions and prototypes weigh each cell by its unsmoothed `|x - mean| / std`.
//!   The pixel threshold is the multiple of the image threshold (0.3 to 1.5, by tenths) with
//!   the best pixel F1 on the anomalous `fit` images' masks, kept above every held-out normal's
//!   score (0.6 times the threshold without masks). Classification ignores segmentation, as
//!   the service's does.
//! - **Metrics.** Image metrics on `evaluate` (precision 0 with no predicted positive, recall
//!   0 with no anomalous image, ROC AUC 0 without both classes, average precision 0 without
//!   anomalies). Pixel metrics per class at the working resolution (a cell is of a class when
//!   at least a quarter of its pixels are), summed over the evaluate images with a mask and the
//!   normal ones without (all background); anomalous images without a mask are left out. AIOU
//!   is the mean IoU over the images where the class is labelled or found.
//!
//! Everything runs on one thread in a fixed order, so the same inputs give the same model and
//! the same answers, bit for bit.

use base64::Engine as _;
use image::{DynamicImage, GenericImageView as _, RgbaImage};
use serde::{Deserialize, Serialize};

mod metrics;
mod raster;
#[cfg(test)]
mod tests;

use self::raster::Grid;

/// The least standard deviation of a cell, in grey levels.
pub const STD_FLOOR: f32 = 3.0;
/// How far above the held-out normals' highest score the threshold sits without anomalies.
pub const MARGIN: f64 = 1.25;
/// The threshold when nothing can choose one: no held-out normal image.
pub const DEFAULT_THRESHOLD: f64 = 5.0;
/// The pixel threshold as a multiple of the image threshold when no mask can choose it.
const PIXEL_FACTOR: f64 = 0.6;
/// The number of features a region is classified by.
const FEATURES: usize = 4;

/// One labelled image, decoded.
#[derive(Debug, Clone)]
pub struct Labelled {
    /// The image.
    pub image: DynamicImage,
    /// Whether it is labelled anomalous.
    pub anomalous: bool,
    /// Its segmentation mask, if it has one.
    pub mask: Option<LabelMask>,
}

/// A segmentation mask as labelled: the mask image (same size as the image) and the classes
/// its colours stand for.
#[derive(Debug, Clone)]
pub struct LabelMask {
    /// The mask: each anomalous pixel in its class's colour, the rest white.
    pub image: RgbaImage,
    /// The classes the mask's colours stand for.
    pub classes: Vec<AnomalyClass>,
}

/// An anomaly class of a segmentation model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnomalyClass {
    /// The class's name.
    pub name: String,
    /// Its colour in masks, `#RRGGBB` in upper case.
    pub color: String,
}

/// Why a model could not be trained; the messages read as a model's `StatusMessage`.
#[derive(Debug, thiserror::Error)]
pub enum TrainingError {
    /// The training images include no normal image.
    #[error("The training dataset has no normal images to learn from.")]
    NoNormalImages,
    /// The images are 0 pixels wide or high.
    #[error("The images are empty: {width}x{height} pixels.")]
    Empty {
        /// The images' width.
        width: u32,
        /// The images' height.
        height: u32,
    },
    /// An image's size differs from the first training image's.
    #[error(
        "All images must have the same dimensions: the first training image is \
         {expected_width}x{expected_height} but {set} image {index} is {width}x{height}."
    )]
    Dimensions {
        /// `training` or `test`.
        set: &'static str,
        /// The image's position in its set.
        index: usize,
        /// The first training image's width.
        expected_width: u32,
        /// The first training image's height.
        expected_height: u32,
        /// The image's width.
        width: u32,
        /// The image's height.
        height: u32,
    },
    /// A mask's size differs from its image's.
    #[error("The mask of {set} image {index} is {width}x{height}, not the image's size.")]
    MaskDimensions {
        /// `training` or `test`.
        set: &'static str,
        /// The image's position in its set.
        index: usize,
        /// The mask's width.
        width: u32,
        /// The mask's height.
        height: u32,
    },
    /// A class's colour is not `#RRGGBB`.
    #[error("The anomaly class {name} has the color {color:?}, which is not of the form #RRGGBB.")]
    Color {
        /// The class's name.
        name: String,
        /// Its colour as given.
        color: String,
    },
    /// More anomaly classes than a model takes.
    #[error("The training masks name {0} anomaly classes; a model takes at most 255.")]
    TooManyClasses(usize),
}

/// A trained model and its evaluation.
#[derive(Debug, Clone)]
pub struct Training {
    /// The model.
    pub detector: Detector,
    /// How it did on the evaluation images.
    pub report: Report,
}

/// A model's evaluation, as the service's evaluation manifest and model performance report it.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The number of `fit` images.
    pub training_images: usize,
    /// The number of `evaluate` images.
    pub testing_images: usize,
    /// Precision of the anomalous class on `evaluate`.
    pub precision: f64,
    /// Recall of the anomalous class on `evaluate`.
    pub recall: f64,
    /// F1 score of the anomalous class on `evaluate`.
    pub f1: f64,
    /// The area under the ROC curve of the scores on `evaluate`.
    pub roc_auc: f64,
    /// The average precision of the scores on `evaluate`.
    pub average_precision: f64,
    /// Segmentation models only, one per anomaly class: pixel-level Precision, Recall,
    /// F1Score, AIOU (mean IoU).
    pub pixel_classes: Vec<PixelClassMetrics>,
    /// One per `evaluate` image, in order: the prediction.
    pub tested: Vec<Verdict>,
}

/// The pixel-level figures of one anomaly class.
#[derive(Debug, Clone, PartialEq)]
pub struct PixelClassMetrics {
    /// The class's name.
    pub class_name: String,
    /// Pixel precision.
    pub precision: f64,
    /// Pixel recall.
    pub recall: f64,
    /// Pixel F1 score.
    pub f1: f64,
    /// The mean, over images where the class is labelled or found, of its IoU.
    pub aiou: f64,
}

/// A prediction for one image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Whether the image is predicted anomalous.
    pub anomalous: bool,
    /// Confidence in the predicted class, in (0.5, 1].
    pub confidence: f64,
}

/// What a model finds in one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Whether the image is anomalous.
    pub anomalous: bool,
    /// Confidence in the predicted class, in (0.5, 1].
    pub confidence: f64,
    /// Segmentation models only.
    pub segmentation: Option<Segmentation>,
}

/// A segmentation model's answer for one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Segmentation {
    /// PNG bytes, same size as the input: background white #FFFFFF, anomalous pixels in their
    /// class colour.
    pub mask_png: Vec<u8>,
    /// First `background` with colour "#FFFFFF", then one entry per class found (not per
    /// instance); fractions 0..=1 of the image area that sum to 1.0. If nothing is found,
    /// only background with 1.0.
    pub areas: Vec<Area>,
}

/// The part of an image one class covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// The class's name (`background` for the rest).
    pub name: String,
    /// Its colour, `#RRGGBB`.
    pub color: String,
    /// The fraction of the image's pixels.
    pub fraction: f64,
}

/// Splits a single dataset for training and evaluation, as the service does for a project
/// without a test dataset (the ratio is undocumented). Per class, by position within the
/// class: every fifth image (the 5th, 10th, ...) is evaluated, about 80/20; a class of 2 to 4
/// images has its last one evaluated, a class of 1 image is only trained on. Returns (fit
/// indices, evaluate indices) into `anomalous`, each ascending.
pub fn auto_split(anomalous: &[bool]) -> (Vec<usize>, Vec<usize>) {
    let (mut fit, mut evaluate) = (Vec::new(), Vec::new());
    for class in [false, true] {
        let members: Vec<usize> = (0..anomalous.len())
            .filter(|&i| anomalous[i] == class)
            .collect();
        for (ordinal, &index) in members.iter().enumerate() {
            let held = if members.len() >= 5 {
                ordinal % 5 == 4
            } else {
                members.len() >= 2 && ordinal + 1 == members.len()
            };
            if held {
                evaluate.push(index)
            } else {
                fit.push(index)
            }
        }
    }
    fit.sort_unstable();
    evaluate.sort_unstable();
    (fit, evaluate)
}

/// Trains on `fit` (normal images give the per-pixel statistics; some held out of `fit`
/// choose the threshold together with any anomalous images of `fit`) and evaluates on
/// `evaluate`. See the module's documentation for how.
pub fn train(fit: &[Labelled], evaluate: &[Labelled]) -> Result<Training, TrainingError> {
    let first = fit.first().ok_or(TrainingError::NoNormalImages)?;
    let (width, height) = first.image.dimensions();
    if width == 0 || height == 0 {
        return Err(TrainingError::Empty { width, height });
    }
    for (set, images) in [("training", fit), ("test", evaluate)] {
        check_sizes(set, images, (width, height))?;
    }
    let classes = classes_of(fit)?;
    let normals: Vec<usize> = (0..fit.len()).filter(|&i| !fit[i].anomalous).collect();
    if normals.is_empty() {
        return Err(TrainingError::NoNormalImages);
    }
    let grid = Grid::new(width, height);
    let work: Vec<Vec<f32>> = fit.iter().map(|l| grid.luma(&l.image)).collect();

    let held = hold_out(normals.len());
    let learned: Vec<&[f32]> = normals
        .iter()
        .enumerate()
        .filter(|&(k, _)| !held(k))
        .map(|(_, &i)| work[i].as_slice())
        .collect();
    let held_out: Vec<usize> = normals
        .iter()
        .enumerate()
        .filter(|&(k, _)| held(k))
        .map(|(_, &i)| i)
        .collect();
    let (mean, std) = statistics(&learned, grid.cells());
    let mut model = Model {
        width,
        height,
        mean: Plane(mean),
        std: Plane(std),
        threshold: 1.0,
        pixel_threshold: 1.0,
        prototypes: Vec::new(),
        classes,
    };

    let maps: Vec<Option<Vec<f32>>> = (0..fit.len())
        .map(|i| (fit[i].anomalous || held_out.contains(&i)).then(|| model.map(&grid, &work[i])))
        .collect();
    let score_of = |i: usize| maps[i].as_deref().map_or(0.0, score);
    let normal_scores: Vec<f64> = held_out.iter().map(|&i| score_of(i)).collect();
    let anomalies: Vec<usize> = (0..fit.len()).filter(|&i| fit[i].anomalous).collect();
    let anomaly_scores: Vec<f64> = anomalies.iter().map(|&i| score_of(i)).collect();
    model.threshold = choose_threshold(&normal_scores, &anomaly_scores);

    if model.is_segmentation() {
        // The anomalous training images with a mask, at the working resolution.
        let masked: Vec<(usize, Vec<u8>)> = anomalies
            .iter()
            .filter_map(|&i| Some((i, model.truth(&grid, fit[i].mask.as_ref()?))))
            .collect();
        let bound = normal_scores.iter().copied().fold(0.0, f64::max);
        model.pixel_threshold = choose_pixel_threshold(model.threshold, bound, &masked, |i| {
            maps[i].as_deref().unwrap_or(&[])
        });
        model.prototypes = model.prototypes_from(&masked, &work);
    }
    let detector = Detector(model);
    let report = detector.evaluate(&grid, evaluate, fit.len());
    Ok(Training { detector, report })
}

/// Whether the `k`-th normal image of `count` is held out to choose the threshold.
fn hold_out(count: usize) -> impl Fn(usize) -> bool {
    move |k| {
        if count >= 5 {
            k % 5 == 4
        } else {
            count >= 2 && k + 1 == count
        }
    }
}

fn check_sizes(
    set: &'static str,
    images: &[Labelled],
    (width, height): (u32, u32),
) -> Result<(), TrainingError> {
    for (index, labelled) in images.iter().enumerate() {
        let (w, h) = labelled.image.dimensions();
        if (w, h) != (width, height) {
            return Err(TrainingError::Dimensions {
                set,
                index,
                expected_width: width,
                expected_height: height,
                width: w,
                height: h,
            });
        }
        if let Some(mask) = &labelled.mask {
            if mask.image.dimensions() != (width, height) {
                let (width, height) = mask.image.dimensions();
                return Err(TrainingError::MaskDimensions {
                    set,
                    index,
                    width,
                    height,
                });
            }
            for class in &mask.classes {
                parse_color(class)?;
            }
        }
    }
    Ok(())
}

/// The classes of `fit`'s masks, by name in order of first appearance, colours in upper case.
fn classes_of(fit: &[Labelled]) -> Result<Vec<AnomalyClass>, TrainingError> {
    let mut classes: Vec<AnomalyClass> = Vec::new();
    for class in fit
        .iter()
        .filter_map(|l| l.mask.as_ref())
        .flat_map(|m| &m.classes)
    {
        if !classes.iter().any(|c| c.name == class.name) {
            let [r, g, b] = parse_color(class)?;
            classes.push(AnomalyClass {
                name: class.name.clone(),
                color: format!("#{r:02X}{g:02X}{b:02X}"),
            });
        }
    }
    if classes.len() > 255 {
        return Err(TrainingError::TooManyClasses(classes.len()));
    }
    Ok(classes)
}

fn parse_color(class: &AnomalyClass) -> Result<[u8; 3], TrainingError> {
    let bad = || TrainingError::Color {
        name: class.name.clone(),
        color: class.color.clone(),
    };
    let hex = class
        .color
        .strip_prefix('#')
        .filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(bad)?;
    let channel = |at: usize| u8::from_str_radix(&hex[at..at + 2], 16).map_err(|_| bad());
    Ok([channel(0)?, channel(2)?, channel(4)?])
}

/// A colour already checked by [`parse_color`] (when training, or deserialising a model).
fn rgb(class: &AnomalyClass) -> [u8; 3] {
    parse_color(class).unwrap_or_default()
}

/// Per-cell mean and floored sample standard deviation, summed in f64 in image order.
fn statistics(images: &[&[f32]], cells: usize) -> (Vec<f32>, Vec<f32>) {
    let (mut sum, mut squares) = (vec![0f64; cells], vec![0f64; cells]);
    for image in images {
        for ((s, q), &x) in sum.iter_mut().zip(squares.iter_mut()).zip(image.iter()) {
            *s += f64::from(x);
            *q += f64::from(x) * f64::from(x);
        }
    }
    let n = images.len() as f64;
    let mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
    let std = sum
        .iter()
        .zip(&squares)
        .map(|(s, q)| {
            let variance = if images.len() < 2 {
                0.0
            } else {
                ((q - s * s / n) / (n - 1.0)).max(0.0)
            };
            (variance.sqrt() as f32).max(STD_FLOOR)
        })
        .collect();
    (mean, std)
}

/// An image's score: its smoothed anomaly map's maximum.
fn score(map: &[f32]) -> f64 {
    f64::from(map.iter().copied().fold(0.0, f32::max))
}

/// The threshold: F1-maximal over held-out normals and anomalies when there are both, else a
/// margin above the normals.
fn choose_threshold(normals: &[f64], anomalies: &[f64]) -> f64 {
    let above_normals = normals
        .iter()
        .copied()
        .reduce(f64::max)
        .map_or(DEFAULT_THRESHOLD, |max| {
            (max * MARGIN).max(f64::MIN_POSITIVE)
        });
    if normals.is_empty() || anomalies.is_empty() {
        return above_normals;
    }
    let mut all: Vec<(f64, bool)> = normals
        .iter()
        .map(|&s| (s, false))
        .chain(anomalies.iter().map(|&s| (s, true)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let positive = |t: f64| -> (usize, usize) {
        let predicted = all.iter().filter(|&&(s, _)| s > t);
        let (mut tp, mut fp) = (0, 0);
        for &(_, anomalous) in predicted {
            if anomalous {
                tp += 1
            } else {
                fp += 1
            }
        }
        (tp, fp)
    };
    let (mut best, mut best_f1, mut best_gap) = (above_normals, -1.0, -1.0);
    for pair in all.windows(2) {
        let (low, high) = (pair[0].0.max(1e-6), pair[1].0.max(1e-6));
        if high <= low {
            continue;
        }
        let t = (low * high).sqrt();
        let (tp, fp) = positive(t);
        let (_, _, f1) = metrics::precision_recall_f1(tp, fp, anomalies.len() - tp);
        let gap = (high / low).ln();
        if f1 > best_f1 || (f1 == best_f1 && gap > best_gap) {
            (best, best_f1, best_gap) = (t, f1, gap);
        }
    }
    // Flagging every calibration image may beat every split (all anomalies below the normals).
    let lowest = all[0].0;
    let (tp, fp) = positive(lowest * 0.5);
    if metrics::precision_recall_f1(tp, fp, anomalies.len() - tp).2 > best_f1 {
        best = (lowest * 0.5).max(f64::MIN_POSITIVE);
    }
    best
}

/// The pixel threshold with the best pixel F1 (any class against background) on the masked
/// anomalous training images, above `bound`.
fn choose_pixel_threshold<'a>(
    threshold: f64,
    bound: f64,
    masked: &[(usize, Vec<u8>)],
    map: impl Fn(usize) -> &'a [f32],
) -> f64 {
    let fallback = (threshold * PIXEL_FACTOR).max(bound);
    let mut best: Option<(f64, f64)> = None;
    for tenth in 3..=15 {
        let t = threshold * f64::from(tenth) / 10.0;
        if masked.is_empty() || t <= bound {
            continue;
        }
        let mut tally = metrics::PixelTally::default();
        for (i, truth) in masked {
            let truth: Vec<u8> = truth.iter().map(|&l| u8::from(l > 0)).collect();
            let predicted: Vec<u8> = map(*i)
                .iter()
                .map(|&z| u8::from(f64::from(z) > t))
                .collect();
            tally.add(&truth, &predicted, 1);
        }
        let f1 = tally.figures().2;
        if best.is_none_or(|(_, b)| f1 > b) {
            best = Some((t, f1));
        }
    }
    best.map_or(fallback, |(t, _)| t)
}

/// An f32 plane, serialised as base64 of its little-endian bytes.
#[derive(Debug, Clone, PartialEq)]
struct Plane(Vec<f32>);

impl Serialize for Plane {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = self.0.iter().flat_map(|v| v.to_le_bytes()).collect();
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

impl<'de> Deserialize<'de> for Plane {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)?;
        if bytes.len() % 4 != 0 {
            return Err(serde::de::Error::custom(
                "a plane's length is not a multiple of 4 bytes",
            ));
        }
        Ok(Plane(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        ))
    }
}

/// What a [`Detector`] is made of, as it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Model {
    width: u32,
    height: u32,
    /// Per working cell, the normal images' mean grey level.
    mean: Plane,
    /// Per working cell, their standard deviation, floored.
    std: Plane,
    threshold: f64,
    pixel_threshold: f64,
    /// Empty for a classification model.
    classes: Vec<AnomalyClass>,
    /// Per class, the mean features of its training pixels (none without any).
    prototypes: Vec<Option<[f64; FEATURES]>>,
}

/// A trained model. Serialises to JSON (the statistics as base64 of f32 little-endian);
/// deserialising checks the parts fit together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Model", into = "Model")]
pub struct Detector(Model);

impl From<Detector> for Model {
    fn from(detector: Detector) -> Model {
        detector.0
    }
}

impl TryFrom<Model> for Detector {
    type Error = String;

    fn try_from(model: Model) -> Result<Detector, String> {
        if model.width == 0 || model.height == 0 {
            return Err("a detector's dimensions must not be 0".to_owned());
        }
        let cells = Grid::new(model.width, model.height).cells();
        if model.mean.0.len() != cells || model.std.0.len() != cells {
            return Err(format!(
                "a {}x{} detector has {cells} cells of statistics",
                model.width, model.height
            ));
        }
        let finite = model.mean.0.iter().all(|v| v.is_finite())
            && model.std.0.iter().all(|v| v.is_finite() && *v > 0.0);
        let thresholds = [model.threshold, model.pixel_threshold]
            .iter()
            .all(|t| t.is_finite() && *t > 0.0);
        if !finite || !thresholds {
            return Err(
                "a detector's statistics and thresholds must be finite and positive".to_owned(),
            );
        }
        if model.prototypes.len() != model.classes.len() || model.classes.len() > 255 {
            return Err("a detector has one prototype per class, at most 255".to_owned());
        }
        for class in &model.classes {
            parse_color(class).map_err(|e| e.to_string())?;
        }
        Ok(Detector(model))
    }
}

impl Model {
    fn is_segmentation(&self) -> bool {
        !self.classes.is_empty()
    }

    /// The smoothed anomaly map of a working-resolution image.
    fn map(&self, grid: &Grid, work: &[f32]) -> Vec<f32> {
        grid.smooth(&grid.deviation(work, &self.mean.0, &self.std.0))
    }

    fn verdict(&self, score: f64) -> Verdict {
        let distance = (score.max(1e-9) / self.threshold).ln().abs();
        Verdict {
            anomalous: score > self.threshold,
            confidence: 1.0 - 0.49 * (-3.0 * distance).exp(),
        }
    }

    fn features(&self, work: &[f32], cell: usize) -> [f64; FEATURES] {
        let (x, m, s) = (
            f64::from(work[cell]),
            f64::from(self.mean.0[cell]),
            f64::from(self.std.0[cell]),
        );
        [x - m, x, m, s]
    }

    fn colors(&self) -> Vec<[u8; 3]> {
        self.classes.iter().map(rgb).collect()
    }

    /// A mask at the working resolution in this model's labels (0 background, `c + 1` for
    /// class `c`); colours of classes the model does not know count as background.
    fn truth(&self, grid: &Grid, mask: &LabelMask) -> Vec<u8> {
        let colors: Vec<[u8; 3]> = mask.classes.iter().map(rgb).collect();
        let relabel: Vec<u8> = mask
            .classes
            .iter()
            .map(|c| {
                self.classes
                    .iter()
                    .position(|m| m.name == c.name)
                    .map_or(0, |i| i as u8 + 1)
            })
            .collect();
        let local = grid.mask_labels(&mask.image, &colors);
        local
            .iter()
            .map(|&l| {
                if l == 0 {
                    0
                } else {
                    relabel[usize::from(l) - 1]
                }
            })
            .collect()
    }

    /// The mean features of `cells` (of a working-resolution image each), each weighted by its
    /// deviation in standard deviations, so cells a region takes in only through smoothing
    /// weigh little; none without cells.
    fn weighted_features<'w>(
        &self,
        cells: impl Iterator<Item = (&'w [f32], usize)>,
    ) -> Option<[f64; FEATURES]> {
        let (mut sum, mut total, mut any) = ([0f64; FEATURES], 0.0, false);
        for (work, cell) in cells {
            let features = self.features(work, cell);
            let weight = features[0].abs() / features[3] + 1e-6;
            for (s, f) in sum.iter_mut().zip(features) {
                *s += weight * f;
            }
            total += weight;
            any = true;
        }
        any.then(|| sum.map(|s| s / total))
    }

    /// Per class, the weighted mean features of its pixels in the masked training images, in
    /// image then cell order.
    fn prototypes_from(
        &self,
        masked: &[(usize, Vec<u8>)],
        work: &[Vec<f32>],
    ) -> Vec<Option<[f64; FEATURES]>> {
        (1..=self.classes.len())
            .map(|label| {
                self.weighted_features(masked.iter().flat_map(|(i, truth)| {
                    let image = work[*i].as_slice();
                    truth
                        .iter()
                        .enumerate()
                        .filter(move |&(_, &l)| usize::from(l) == label)
                        .map(move |(cell, _)| (image, cell))
                }))
            })
            .collect()
    }

    /// The working-resolution labels: regions of the map above the pixel threshold, each of
    /// the class with the nearest prototype (the first class when none has one).
    fn segment(&self, grid: &Grid, work: &[f32], map: &[f32]) -> Vec<u8> {
        let (w, h) = (grid.work_width, grid.work_height);
        let above = |cell: usize| f64::from(map[cell]) > self.pixel_threshold;
        let mut labels = vec![0u8; map.len()];
        let mut seen = vec![false; map.len()];
        let (mut region, mut stack) = (Vec::new(), Vec::new());
        for start in 0..map.len() {
            if seen[start] || !above(start) {
                continue;
            }
            region.clear();
            seen[start] = true;
            stack.push(start);
            while let Some(cell) = stack.pop() {
                region.push(cell);
                let (x, y) = (cell % w, cell / w);
                for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                    for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                        let next = ny * w + nx;
                        if !seen[next] && above(next) {
                            seen[next] = true;
                            stack.push(next);
                        }
                    }
                }
            }
            let mean = self
                .weighted_features(region.iter().map(|&cell| (work, cell)))
                .unwrap_or_default();
            let mut class = 0;
            let mut nearest = f64::INFINITY;
            for (c, prototype) in self.prototypes.iter().enumerate() {
                if let Some(p) = prototype {
                    let distance: f64 = p.iter().zip(&mean).map(|(a, b)| (a - b) * (a - b)).sum();
                    if distance < nearest {
                        (class, nearest) = (c, distance);
                    }
                }
            }
            for &cell in &region {
                labels[cell] = class as u8 + 1;
            }
        }
        labels
    }
}

impl Detector {
    /// The training images' width and height.
    pub fn dimensions(&self) -> (u32, u32) {
        (self.0.width, self.0.height)
    }

    /// Whether the model segments (it was trained with masks naming anomaly classes).
    pub fn is_segmentation(&self) -> bool {
        self.0.is_segmentation()
    }

    /// The anomaly classes, in order of first appearance in the training masks; empty for a
    /// classification model.
    pub fn classes(&self) -> &[AnomalyClass] {
        &self.0.classes
    }

    /// The decision threshold on the image score.
    pub fn threshold(&self) -> f64 {
        self.0.threshold
    }

    /// Looks at one image. The caller has already checked `image`'s dimensions equal
    /// [`dimensions`](Self::dimensions).
    pub fn detect(&self, image: &DynamicImage) -> Detection {
        let grid = Grid::new(self.0.width, self.0.height);
        let work = grid.luma(image);
        let map = self.0.map(&grid, &work);
        let Verdict {
            anomalous,
            confidence,
        } = self.0.verdict(score(&map));
        let segmentation = self.is_segmentation().then(|| {
            let labels = self.0.segment(&grid, &work, &map);
            Segmentation {
                mask_png: grid.mask_png(&labels, &self.0.colors()),
                areas: self.areas(&grid, &labels),
            }
        });
        Detection {
            anomalous,
            confidence,
            segmentation,
        }
    }

    /// The background first, then each class found, as fractions of the image's pixels.
    fn areas(&self, grid: &Grid, labels: &[u8]) -> Vec<Area> {
        let mut pixels = vec![0usize; self.0.classes.len() + 1];
        for (cell, &label) in labels.iter().enumerate() {
            pixels[usize::from(label)] += grid.area(cell);
        }
        let total = (grid.width * grid.height) as f64;
        let background = Area {
            name: "background".to_owned(),
            color: "#FFFFFF".to_owned(),
            fraction: pixels[0] as f64 / total,
        };
        let found = self
            .0
            .classes
            .iter()
            .zip(&pixels[1..])
            .filter(|&(_, &count)| count > 0)
            .map(|(class, &count)| Area {
                name: class.name.clone(),
                color: class.color.clone(),
                fraction: count as f64 / total,
            });
        std::iter::once(background).chain(found).collect()
    }

    /// Predicts every `evaluate` image and computes the report.
    fn evaluate(&self, grid: &Grid, evaluate: &[Labelled], training_images: usize) -> Report {
        let model = &self.0;
        let mut tallies: Vec<metrics::PixelTally> = model
            .classes
            .iter()
            .map(|_| metrics::PixelTally::default())
            .collect();
        let (mut tested, mut scores) = (Vec::new(), Vec::new());
        for labelled in evaluate {
            let work = grid.luma(&labelled.image);
            let map = model.map(grid, &work);
            scores.push(score(&map));
            tested.push(model.verdict(score(&map)));
            if !model.is_segmentation() {
                continue;
            }
            let truth = match &labelled.mask {
                Some(mask) => Some(model.truth(grid, mask)),
                None if !labelled.anomalous => Some(vec![0; grid.cells()]),
                None => None,
            };
            if let Some(truth) = truth {
                let predicted = model.segment(grid, &work, &map);
                for (c, tally) in tallies.iter_mut().enumerate() {
                    tally.add(&truth, &predicted, c as u8 + 1);
                }
            }
        }
        let actual: Vec<bool> = evaluate.iter().map(|l| l.anomalous).collect();
        let predicted: Vec<bool> = tested.iter().map(|v| v.anomalous).collect();
        let (precision, recall, f1) = metrics::classification(&actual, &predicted);
        let pixel_classes = model
            .classes
            .iter()
            .zip(&tallies)
            .map(|(class, tally)| {
                let (precision, recall, f1, aiou) = tally.figures();
                PixelClassMetrics {
                    class_name: class.name.clone(),
                    precision,
                    recall,
                    f1,
                    aiou,
                }
            })
            .collect();
        Report {
            training_images,
            testing_images: evaluate.len(),
            precision,
            recall,
            f1,
            roc_auc: metrics::roc_auc(&actual, &scores),
            average_precision: metrics::average_precision(&actual, &scores),
            pixel_classes,
            tested,
        }
    }
}
