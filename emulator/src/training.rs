//! Training on real images, when a directory stands for S3 (`--s3-dir`).
//!
//! CreateModel reads the labelled images of the project's datasets, checks the minimums the
//! developer guide documents (see [`Layout::check`]) and trains a [`Detector`] before it
//! answers: the work happens in the call, outside the state lock, as CreateDataset's
//! manifest import does. The model then reports `TRAINING` for the training duration, or
//! for as long as training took if that was longer, and ends `TRAINED` with the measured
//! performance or `TRAINING_FAILED` with the reason. Once the model exists, its evaluation
//! manifest and result are written where the service writes them ([`write_evaluation`]).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::detector::{self, AnomalyClass, Detector, LabelMask, Labelled, Report};
use crate::s3dir::S3Dir;
use crate::state::{DatasetStatus, DatasetType, Label, Model, Project, S3Location};
use crate::synthetic::Performance;

/// Labelled images of a project with only a train dataset, per class (developer guide,
/// "Creating your dataset" and "Quotas", which agree): 20 normal, 10 anomalous; a
/// segmentation project needs 20 images of each anomaly label.
const SINGLE: Minimum = Minimum {
    normal: 20,
    anomalous: 10,
    per_label: 20,
};
/// The train dataset of a project with separate datasets: 10 normal, no anomalous needed,
/// 10 of each anomaly label for segmentation.
const SEPARATE_TRAIN: Minimum = Minimum {
    normal: 10,
    anomalous: 0,
    per_label: 10,
};
/// The test dataset of a project with separate datasets: 10 normal, 10 anomalous, 10 of
/// each anomaly label for segmentation.
const SEPARATE_TEST: Minimum = Minimum {
    normal: 10,
    anomalous: 10,
    per_label: 10,
};

/// The labelled images one dataset must hold to train.
#[derive(Debug, Clone, Copy)]
struct Minimum {
    normal: usize,
    anomalous: usize,
    per_label: usize,
}

/// What training needs from the project's state: the labelled images of its datasets.
/// Unlabelled images are ignored, as the service ignores them.
#[derive(Debug, Clone)]
pub struct Plan {
    train: Vec<Item>,
    test: Option<Vec<Item>>,
}

/// One labelled image of a dataset.
#[derive(Debug, Clone)]
struct Item {
    source_ref: String,
    /// The entry's JSON Line, the base of its evaluation manifest line.
    line: String,
    anomalous: bool,
    mask: Option<MaskRef>,
}

/// A segmentation mask as a line names it.
#[derive(Debug, Clone)]
struct MaskRef {
    uri: String,
    classes: Vec<AnomalyClass>,
}

/// A training that succeeded, with what the evaluation files need.
#[derive(Debug)]
pub struct Learned {
    /// The model.
    pub detector: Detector,
    /// `Performance`.
    pub performance: Performance,
    report: Report,
    /// The lines of the images evaluated, in the report's order.
    evaluated: Vec<String>,
}

/// A training and how long it took.
#[derive(Debug)]
pub struct Attempt {
    /// The model, or the `StatusMessage` of `TRAINING_FAILED`.
    pub outcome: Result<Learned, String>,
    /// The time spent.
    pub took: Duration,
}

impl Plan {
    /// The labelled images of `project`'s datasets, if they can be trained on; `None` when
    /// CreateModel is going to refuse the call anyway (no train dataset, or one that is not
    /// complete), so no time is spent reading images.
    pub fn of(project: &Project) -> Option<Self> {
        let items = |kind| {
            let dataset = project.datasets.get(&kind)?;
            let complete = matches!(
                dataset.phase.status,
                DatasetStatus::CreateComplete | DatasetStatus::UpdateComplete
            );
            complete.then(|| {
                dataset
                    .entries
                    .iter()
                    .filter_map(|(source_ref, entry)| {
                        Some(Item {
                            source_ref: source_ref.clone(),
                            line: entry.line.clone(),
                            anomalous: entry.label? == Label::Anomaly,
                            mask: mask_ref(&entry.line),
                        })
                    })
                    .collect::<Vec<_>>()
            })
        };
        let train = items(DatasetType::Train)?;
        let test = match project.datasets.contains_key(&DatasetType::Test) {
            true => Some(items(DatasetType::Test)?),
            false => None,
        };
        Some(Self { train, test })
    }

    /// Trains on the images in `dir`, writing nothing; `output` is where the evaluation
    /// will go, whose bucket must exist.
    pub fn train(&self, dir: &S3Dir, output: &S3Location) -> Attempt {
        let started = Instant::now();
        let outcome = self.run(dir, output);
        Attempt {
            outcome,
            took: started.elapsed(),
        }
    }

    fn run(&self, dir: &S3Dir, output: &S3Location) -> Result<Learned, String> {
        if !dir.has_bucket(&output.bucket) {
            return Err(format!(
                "The output bucket {} does not exist; create it, or name an existing bucket in \
                 the model's output configuration",
                output.bucket
            ));
        }
        let layout = Layout::of(self.test.is_some());
        layout.check("train", &self.train, None)?;
        if let Some(test) = &self.test {
            layout.check("test", test, None)?;
        }
        let train = load(dir, &self.train)?;
        let test = self
            .test
            .as_deref()
            .map(|items| load(dir, items))
            .transpose()?;
        check_dimensions(&self.train, &train, self.test.as_deref(), test.as_deref())?;
        // The training dataset decides whether the model segments.
        if self.train.iter().any(|item| item.mask.is_some()) {
            layout.check("train", &self.train, Some(&train))?;
            if let (Some(items), Some(images)) = (&self.test, &test) {
                layout.check("test", items, Some(images))?;
            }
        }
        let (fit, evaluate, evaluated_items): (Vec<Labelled>, Vec<Labelled>, Vec<&Item>) =
            match (test, &self.test) {
                (Some(test), Some(items)) => (train, test, items.iter().collect()),
                _ => {
                    let flags: Vec<bool> = self.train.iter().map(|item| item.anomalous).collect();
                    let (fit_at, evaluate_at) = detector::auto_split(&flags);
                    let mut slots: Vec<Option<Labelled>> = train.into_iter().map(Some).collect();
                    let mut take = |at: &[usize]| -> Vec<Labelled> {
                        at.iter().filter_map(|&i| slots[i].take()).collect()
                    };
                    let fit = take(&fit_at);
                    let evaluate = take(&evaluate_at);
                    let items = evaluate_at.iter().map(|&i| &self.train[i]).collect();
                    (fit, evaluate, items)
                }
            };
        let training = detector::train(&fit, &evaluate).map_err(|err| err.to_string())?;
        let report = training.report;
        Ok(Learned {
            detector: training.detector,
            performance: Performance {
                f1_score: report.f1,
                precision: report.precision,
                recall: report.recall,
            },
            evaluated: evaluated_items
                .iter()
                .map(|item| item.line.clone())
                .collect(),
            report,
        })
    }
}

/// A project's datasets, for the minimums: one train dataset, or train and test.
#[derive(Debug, Clone, Copy)]
enum Layout {
    Single,
    Separate,
}

impl Layout {
    fn of(has_test: bool) -> Self {
        if has_test {
            Self::Separate
        } else {
            Self::Single
        }
    }

    /// `TRAINING_FAILED`'s message unless the dataset `name` (its `items`) has the
    /// documented minimum of labelled images; with its decoded `images`, also of images of
    /// each anomaly label, for segmentation.
    fn check(self, name: &str, items: &[Item], images: Option<&[Labelled]>) -> Result<(), String> {
        let (minimum, layout) = match (self, name) {
            (Self::Single, _) => (SINGLE, "a project with only a train dataset"),
            (Self::Separate, "train") => (SEPARATE_TRAIN, "a project with train and test datasets"),
            (Self::Separate, _) => (SEPARATE_TEST, "a project with train and test datasets"),
        };
        let anomalous = items.iter().filter(|item| item.anomalous).count();
        let normal = items.len() - anomalous;
        if normal < minimum.normal || anomalous < minimum.anomalous {
            return Err(format!(
                "The {name} dataset has {normal} images labeled normal and {anomalous} labeled \
                 anomaly; for {layout} it needs at least {} normal and {} anomalous labeled \
                 images. Label more images and train again",
                minimum.normal, minimum.anomalous
            ));
        }
        for (label, count) in images.map(label_counts).unwrap_or_default() {
            if count < minimum.per_label {
                return Err(format!(
                    "The {name} dataset has {count} images whose mask shows only the anomaly \
                     label {label}; for {layout} a segmentation model needs at least {} for \
                     each label. Label more images and train again",
                    minimum.per_label
                ));
            }
        }
        Ok(())
    }
}

/// For each anomaly label of the masks, the images whose mask shows that label alone (the
/// only ones the service counts toward a label's minimum).
fn label_counts(images: &[Labelled]) -> Vec<(String, usize)> {
    let mut labels: Vec<(String, usize)> = Vec::new();
    for mask in images.iter().filter_map(|image| image.mask.as_ref()) {
        for class in &mask.classes {
            if !labels.iter().any(|(name, _)| *name == class.name) {
                labels.push((class.name.clone(), 0));
            }
        }
        let shown = shown_classes(mask);
        if let [only] = shown.as_slice() {
            if let Some((_, count)) = labels.iter_mut().find(|(name, _)| name == only) {
                *count += 1;
            }
        }
    }
    labels
}

/// The classes whose colour some opaque pixel of the mask has.
fn shown_classes(mask: &LabelMask) -> Vec<String> {
    let mut colours = BTreeSet::new();
    for pixel in mask.image.pixels() {
        let [r, g, b, a] = pixel.0;
        if a > 0 {
            colours.insert(format!("#{r:02X}{g:02X}{b:02X}"));
        }
    }
    mask.classes
        .iter()
        .filter(|class| colours.contains(&class.color))
        .map(|class| class.name.clone())
        .collect()
}

/// The segmentation mask a line names: its one `*-ref` member other than `source-ref`, and
/// the anomaly classes of the colour map in that member's `-metadata` (the background entry
/// left out). Lines without a mask are classification lines.
fn mask_ref(line: &str) -> Option<MaskRef> {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(line) else {
        return None;
    };
    let (member, uri) = fields
        .iter()
        .find(|(member, _)| *member != "source-ref" && member.ends_with("-ref"))?;
    let colour_map = fields
        .get(&format!("{member}-metadata"))
        .and_then(|metadata| metadata.get("internal-color-map"))
        .and_then(Value::as_object);
    let classes = colour_map
        .into_iter()
        .flat_map(Map::values)
        .filter_map(|entry| {
            let name = entry.get("class-name")?.as_str()?;
            let color = entry.get("hex-color")?.as_str()?.to_ascii_uppercase();
            let background = name.eq_ignore_ascii_case("background") || color == "#FFFFFF";
            (!background).then(|| AnomalyClass {
                name: name.to_owned(),
                color,
            })
        })
        .collect();
    Some(MaskRef {
        uri: uri.as_str()?.to_owned(),
        classes,
    })
}

/// Decodes the images (and masks) of `items`, in order, on as many threads as the machine
/// has cores; the first that cannot be read is named in the error.
fn load(dir: &S3Dir, items: &[Item]) -> Result<Vec<Labelled>, String> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|item| load_one(dir, item)).collect()))
            .collect();
        let mut loaded = Vec::with_capacity(items.len());
        for worker in workers {
            let part: Result<Vec<Labelled>, String> = worker
                .join()
                .unwrap_or_else(|_| Err("An image could not be decoded".to_owned()));
            loaded.extend(part?);
        }
        Ok(loaded)
    })
}

fn load_one(dir: &S3Dir, item: &Item) -> Result<Labelled, String> {
    let image = decode(dir, &item.source_ref)?;
    let mask = match &item.mask {
        None => None,
        Some(mask) => {
            let decoded = decode(dir, &mask.uri)?;
            if decoded.width() != image.width() || decoded.height() != image.height() {
                return Err(format!(
                    "The mask {} is {}x{} but its image {} is {}x{}; a mask must have its \
                     image's dimensions",
                    mask.uri,
                    decoded.width(),
                    decoded.height(),
                    item.source_ref,
                    image.width(),
                    image.height()
                ));
            }
            Some(LabelMask {
                image: decoded.to_rgba8(),
                classes: mask.classes.clone(),
            })
        }
    };
    Ok(Labelled {
        image,
        anomalous: item.anomalous,
        mask,
    })
}

fn decode(dir: &S3Dir, uri: &str) -> Result<image::DynamicImage, String> {
    let cannot = |why: String| format!("The image {uri} cannot be used for training: {why}");
    let (bucket, key) = uri
        .strip_prefix("s3://")
        .and_then(|path| path.split_once('/'))
        .ok_or_else(|| cannot("it is not an s3://bucket/key URI".to_owned()))?;
    let path = dir
        .resolve(bucket, key)
        .map_err(|err| cannot(err.to_string()))?;
    let bytes = std::fs::read(path).map_err(|err| cannot(err.to_string()))?;
    image::load_from_memory(&bytes).map_err(|err| cannot(err.to_string()))
}

/// `TRAINING_FAILED`'s message unless every image has the first one's dimensions, as the
/// service requires of all images of a project.
fn check_dimensions(
    train_items: &[Item],
    train: &[Labelled],
    test_items: Option<&[Item]>,
    test: Option<&[Labelled]>,
) -> Result<(), String> {
    let items = train_items.iter().chain(test_items.unwrap_or_default());
    let images = train.iter().chain(test.unwrap_or_default());
    let mut pairs = items.zip(images);
    let Some((first_item, first)) = pairs.next() else {
        return Ok(());
    };
    let size = (first.image.width(), first.image.height());
    for (item, labelled) in pairs {
        let found = (labelled.image.width(), labelled.image.height());
        if found != size {
            return Err(format!(
                "The image {} is {}x{} but {} is {}x{}; all images of a project must have the \
                 same dimensions",
                item.source_ref, found.0, found.1, first_item.source_ref, size.0, size.1
            ));
        }
    }
    Ok(())
}

/// Writes `model`'s evaluation manifest and result, as `learned` measured them, to the
/// objects its evaluation names.
pub fn write_evaluation(
    dir: &S3Dir,
    project: &str,
    model: &Model,
    learned: &Learned,
) -> Result<(), String> {
    let Some(evaluation) = model.evaluation_planned() else {
        return Ok(());
    };
    let ended = rfc3339(evaluation.ended);
    let report = &learned.report;
    let mut metrics = json!({
        "ROCAUC": report.roc_auc,
        "AveragePrecision": report.average_precision,
        "Precision": report.precision,
        "Recall": report.recall,
        "F1Score": report.f1,
    });
    if !report.pixel_classes.is_empty() {
        metrics["PixelAnomalyClassMetrics"] = report
            .pixel_classes
            .iter()
            .map(|class| {
                json!({
                    "Precision": class.precision,
                    "Recall": class.recall,
                    "F1Score": class.f1,
                    "AIOU": class.aiou,
                    "ClassName": class.class_name,
                })
            })
            .collect();
    }
    let result = json!({
        "Version": 1,
        "EvaluationDetails": {
            "ModelArn": model.arn,
            "EvaluationEndTimestamp": ended,
            "NumberOfTrainingImages": report.training_images,
            "NumberOfTestingImages": report.testing_images,
        },
        "AggregatedEvaluationResults": { "Metrics": metrics },
    });
    let mut manifest = String::new();
    for (line, verdict) in learned.evaluated.iter().zip(&report.tested) {
        let mut fields = match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(fields)) => fields,
            _ => Map::new(),
        };
        fields.insert(
            "anomaly-label-detected".to_owned(),
            json!(u8::from(verdict.anomalous)),
        );
        fields.insert(
            "anomaly-label-detected-metadata".to_owned(),
            json!({
                "class-name": if verdict.anomalous { "anomaly" } else { "normal" },
                "confidence": verdict.confidence,
                "type": "groundtruth/image-classification",
                "human-annotated": "no",
                "creation-date": ended,
                "job-name": "training-job/anomaly-detection",
                "model-arn": model.arn,
                "project-name": project,
                "model-version": model.version.to_string(),
            }),
        );
        manifest.push_str(&Value::Object(fields).to_string());
        manifest.push('\n');
    }
    let write = |object: &crate::state::S3Object, bytes: &[u8]| {
        dir.write(&object.bucket, &object.key, bytes)
            .map_err(|err| err.to_string())
    };
    write(&evaluation.manifest, manifest.as_bytes())?;
    write(&evaluation.result, result.to_string().as_bytes())
}

/// `2025-01-01T00:00:00.000Z`.
fn rfc3339(at: crate::clock::Timestamp) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.datetime().format(format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(anomalous: bool) -> Item {
        Item {
            source_ref: "s3://b/k.png".into(),
            line: "{}".into(),
            anomalous,
            mask: None,
        }
    }

    fn items(normal: usize, anomalous: usize) -> Vec<Item> {
        (0..normal + anomalous).map(|i| item(i >= normal)).collect()
    }

    /// A 4x4 mask painted `colors` (one per pixel row), or transparent where `None`.
    fn masked(colors: &[Option<[u8; 3]>], classes: &[(&str, &str)]) -> Labelled {
        let mut image = image::RgbaImage::new(4, 4);
        for (y, color) in colors.iter().enumerate() {
            for x in 0..4 {
                let pixel = color.map_or([0, 0, 0, 0], |[r, g, b]| [r, g, b, 255]);
                image.put_pixel(x, y as u32, image::Rgba(pixel));
            }
        }
        Labelled {
            image: image::DynamicImage::new_rgb8(4, 4),
            anomalous: true,
            mask: Some(LabelMask {
                image,
                classes: classes
                    .iter()
                    .map(|(name, color)| AnomalyClass {
                        name: (*name).into(),
                        color: (*color).into(),
                    })
                    .collect(),
            }),
        }
    }

    #[test]
    fn each_layout_checks_its_documented_minimums() {
        let single = Layout::of(false);
        assert!(single.check("train", &items(20, 10), None).is_ok());
        let short = single.check("train", &items(20, 9), None).unwrap_err();
        assert!(short.contains("20 normal and 10 anomalous"), "{short}");
        let separate = Layout::of(true);
        // A separate train dataset needs no anomalous image, its test dataset 10.
        assert!(separate.check("train", &items(10, 0), None).is_ok());
        assert!(separate.check("train", &items(9, 0), None).is_err());
        assert!(separate.check("test", &items(10, 10), None).is_ok());
        let test = separate.check("test", &items(10, 9), None).unwrap_err();
        assert!(
            test.starts_with("The test dataset has 10 images labeled normal and 9 labeled"),
            "{test}"
        );
    }

    #[test]
    fn only_masks_showing_one_label_count_toward_it() {
        let green = Some([0x23, 0xA4, 0x36]);
        let red = Some([0xD6, 0x27, 0x28]);
        let classes = [("scratch", "#23A436"), ("spot", "#D62728")];
        let images = vec![
            masked(&[green, None, None, None], &classes),
            masked(&[green, red, None, None], &classes),
            masked(&[None, None, red, red], &classes),
        ];
        assert_eq!(
            label_counts(&images),
            [("scratch".to_owned(), 1), ("spot".to_owned(), 1)]
        );
        let images: Vec<Labelled> = (0..10)
            .map(|_| masked(&[green, None, None, None], &classes))
            .collect();
        let err = Layout::of(true)
            .check("train", &items(10, 10), Some(&images))
            .unwrap_err();
        assert!(
            err.contains("0 images whose mask shows only the anomaly label spot"),
            "{err}"
        );
    }

    #[test]
    fn a_mask_reference_brings_its_colour_map_without_the_background() {
        let line = r##"{"source-ref":"s3://b/a.png","anomaly-mask-ref":"s3://b/m.png","anomaly-mask-ref-metadata":{"internal-color-map":{"0":{"class-name":"BACKGROUND","hex-color":"#ffffff"},"1":{"class-name":"cracked","hex-color":"#23a436"}}}}"##;
        let mask = mask_ref(line).unwrap();
        assert_eq!(mask.uri, "s3://b/m.png");
        assert_eq!(
            mask.classes,
            [AnomalyClass {
                name: "cracked".into(),
                color: "#23A436".into()
            }]
        );
        assert!(mask_ref(r#"{"source-ref":"s3://b/a.png"}"#).is_none());
    }
}
