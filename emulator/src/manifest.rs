//! SageMaker Ground Truth JSON Lines, as CreateDataset's manifests and UpdateDatasetEntries'
//! `Changes` hold them: one JSON object per line, each naming an image by `source-ref` and
//! labelling it through a label attribute and its `<attribute>-metadata`.
//!
//! [`read_line`] is the one reader of a line, with or without `--s3-dir`: the label rule and
//! the checks that need no S3. With `--s3-dir`, [`import`] (CreateDataset) and
//! [`check_changes`] (UpdateDatasetEntries) also check every image in the S3 directory: it
//! exists, is a PNG or JPEG, and sits in the same bucket as the others.
//!
//! An import or update either yields every entry or fails as a whole with a message for the
//! dataset's `StatusMessage`; the service does not import part of a manifest.

use std::fmt;
use std::io::BufReader;

use image::{ImageFormat, ImageReader};
use serde_json::{Map, Value};

use crate::s3dir::{ObjectError, S3Dir};
use crate::state::{Label, NewEntry, S3Object};

/// Why a manifest import fails; the message becomes the dataset's `StatusMessage`.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The manifest object itself cannot be read.
    #[error("The manifest cannot be read: {0}")]
    Manifest(#[source] ObjectError),
    /// The manifest holds no JSON Lines at all.
    #[error("The manifest s3://{bucket}/{key} has no JSON Lines")]
    Empty {
        /// The manifest's bucket.
        bucket: String,
        /// The manifest's key.
        key: String,
    },
    /// One line is wrong; `line` counts from 1, blank lines included.
    #[error("Manifest line {line}: {problem}")]
    Line {
        /// The line's number.
        line: usize,
        /// What is wrong with it.
        problem: LineProblem,
    },
    /// One line of UpdateDatasetEntries' `Changes` is wrong; `line` counts from 1, blank
    /// lines included.
    #[error("Changes line {line}: {problem}")]
    ChangesLine {
        /// The line's number.
        line: usize,
        /// What is wrong with it.
        problem: LineProblem,
    },
}

/// What is wrong with one manifest line.
#[derive(Debug, thiserror::Error)]
pub enum LineProblem {
    /// Too short or too long for a dataset entry.
    #[error("it is {0} characters long, outside 2 to {MAX_LINE_CHARS}")]
    Length(usize),
    /// Not valid JSON, or JSON that is not an object.
    #[error("it is not a JSON object")]
    NotAnObject,
    /// No `source-ref`, or one that is not an `s3://bucket/key` string.
    #[error("it has no \"source-ref\" string of the form s3://bucket/key")]
    NoSourceRef,
    /// A `*-metadata` member that is not an object.
    #[error("\"{0}\" must be an object")]
    MetadataNotObject(String),
    /// More than one label attribute, so the label would be ambiguous.
    #[error("it has more than one label attribute ({0}); a line has one")]
    SeveralLabels(String),
    /// A segmentation mask reference that is not an `s3://bucket/key` string.
    #[error("\"{0}\" must be a string of the form s3://bucket/key")]
    BadMaskRef(String),
    /// The image is in another bucket than the others (the first line's, or the dataset's).
    #[error("source-ref {uri} is in bucket {bucket}, but {of} images are in bucket {first}; all images must be in one bucket")]
    OtherBucket {
        /// The image.
        uri: String,
        /// Its bucket.
        bucket: String,
        /// The bucket of the other images.
        first: String,
        /// Whose images those are.
        of: ImagesOf,
    },
    /// An image or mask that cannot be read.
    #[error("{member} {source}")]
    Object {
        /// `source-ref` or the mask's member name.
        member: String,
        /// Why.
        source: ObjectError,
    },
    /// A file that is not the image format it must be.
    #[error("{member} {uri} is not a {expected} image")]
    Format {
        /// `source-ref` or the mask's member name.
        member: String,
        /// The object.
        uri: String,
        /// `PNG or JPEG` for images, `PNG` for masks.
        expected: &'static str,
    },
}

/// The longest dataset entry (one JSON Line), in characters: what a `DatasetEntry` may hold.
const MAX_LINE_CHARS: usize = 8192;

/// Reads the manifest `manifest` from `dir` and every image it lists.
pub fn import(dir: &S3Dir, manifest: &S3Object) -> Result<Vec<NewEntry>, ImportError> {
    let text = dir
        .read_to_string(&manifest.bucket, &manifest.key)
        .map_err(ImportError::Manifest)?;
    let mut images = Images::of(ImagesOf::Manifest, None);
    let mut entries = Vec::new();
    for (number, line) in numbered_lines(&text) {
        let entry = read_line(line)
            .and_then(|line| images.check(dir, &line).map(|()| line.entry))
            .map_err(|problem| ImportError::Line {
                line: number,
                problem,
            })?;
        entries.push(entry);
    }
    if entries.is_empty() {
        return Err(ImportError::Empty {
            bucket: manifest.bucket.clone(),
            key: manifest.key.clone(),
        });
    }
    Ok(entries)
}

/// Checks the images of UpdateDatasetEntries' `changes` (already read, with their line
/// numbers) in `dir`: each exists and has the right format, and all are in `bucket`, the
/// bucket of the dataset's images (or, for a dataset without images, of the first line).
pub fn check_changes(
    dir: &S3Dir,
    changes: &[(usize, Line)],
    bucket: Option<String>,
) -> Result<(), ImportError> {
    let mut images = Images::of(ImagesOf::Dataset, bucket);
    changes.iter().try_for_each(|(number, line)| {
        images
            .check(dir, line)
            .map_err(|problem| ImportError::ChangesLine {
                line: *number,
                problem,
            })
    })
}

/// The non-blank lines of `text`, numbered from 1 with blank lines counted: a trailing
/// newline or a blank line between entries is not an entry.
pub fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| (index + 1, line))
}

/// One JSON Line as read without looking at S3: the entry, and the masks it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The entry the line makes.
    pub entry: NewEntry,
    /// The segmentation masks: each `*-ref` member other than `source-ref`, and its URI.
    masks: Vec<(String, String)>,
}

/// Reads one JSON Line of a manifest or of UpdateDatasetEntries' `Changes`: the rules both
/// share. The line must be 2 to 8192 characters, a JSON object with a `source-ref` of the
/// form `s3://bucket/key` and at most one label attribute (see `label`); every other
/// `*-ref` member is a segmentation mask and must be such a URI too. Every member is kept in
/// the entry's line as written.
pub fn read_line(line: &str) -> Result<Line, LineProblem> {
    let line = line.trim();
    let length = line.chars().count();
    if !(2..=MAX_LINE_CHARS).contains(&length) {
        return Err(LineProblem::Length(length));
    }
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(line) else {
        return Err(LineProblem::NotAnObject);
    };
    let source_ref = fields
        .get("source-ref")
        .and_then(Value::as_str)
        .filter(|uri| split_uri(uri).is_some())
        .ok_or(LineProblem::NoSourceRef)?;
    let label = label(&fields)?;
    // Segmentation masks: any other `*-ref` member. Their metadata (`*-ref-metadata`) is
    // not checked: AWS's own getting-started manifest departs from the documented colour
    // map, and the service trained on it.
    let masks = fields
        .iter()
        .filter(|(member, _)| *member != "source-ref" && member.ends_with("-ref"))
        .map(|(member, value)| {
            value
                .as_str()
                .filter(|uri| split_uri(uri).is_some())
                .map(|uri| (member.clone(), uri.to_owned()))
                .ok_or_else(|| LineProblem::BadMaskRef(member.clone()))
        })
        .collect::<Result<_, _>>()?;
    Ok(Line {
        entry: NewEntry {
            source_ref: source_ref.to_owned(),
            line: line.to_owned(),
            label,
        },
        masks,
    })
}

/// Whose images set the one bucket they must all be in, for [`LineProblem::OtherBucket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImagesOf {
    /// CreateDataset: the manifest's first image.
    Manifest,
    /// UpdateDatasetEntries: the dataset's images.
    Dataset,
}

impl fmt::Display for ImagesOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Manifest => "the manifest's",
            Self::Dataset => "the dataset's",
        })
    }
}

/// The checks of lines' objects in the S3 directory, and the bucket their images share.
struct Images {
    of: ImagesOf,
    bucket: Option<String>,
}

impl Images {
    /// Images that must be in `bucket`, or, when it is `None`, in the first line's bucket.
    fn of(of: ImagesOf, bucket: Option<String>) -> Self {
        Self { of, bucket }
    }

    /// Checks that the image of `line` is in the bucket and is a PNG or JPEG in `dir`, and
    /// that its masks are PNGs (in any bucket).
    fn check(&mut self, dir: &S3Dir, line: &Line) -> Result<(), LineProblem> {
        let source_ref = line.entry.source_ref.as_str();
        let (bucket, _) = split_uri(source_ref).ok_or(LineProblem::NoSourceRef)?;
        match &self.bucket {
            Some(first) if first != bucket => {
                return Err(LineProblem::OtherBucket {
                    uri: source_ref.to_owned(),
                    bucket: bucket.to_owned(),
                    first: first.clone(),
                    of: self.of,
                })
            }
            Some(_) => {}
            None => self.bucket = Some(bucket.to_owned()),
        }
        check_image(
            dir,
            "source-ref",
            source_ref,
            &[ImageFormat::Png, ImageFormat::Jpeg],
        )?;
        line.masks
            .iter()
            .try_for_each(|(member, uri)| check_image(dir, member, uri, &[ImageFormat::Png]))
    }
}

/// The label of a line: the `class-name` in the metadata of its label attribute (a member
/// `K` with a `K-metadata` object). `normal` and `anomaly` label the image; any other
/// class name, or no label attribute, leaves it unlabelled. The attribute's own value
/// (`anomaly-label: 1`) is not read: the service decides by `class-name`, and AWS's samples
/// number the classes both ways.
fn label(fields: &Map<String, Value>) -> Result<Option<Label>, LineProblem> {
    let mut found = Vec::new();
    for (member, value) in fields {
        let Some(attribute) = member.strip_suffix("-metadata") else {
            continue;
        };
        // `*-ref-metadata` describes a mask, not a label.
        if attribute.ends_with("-ref") || !fields.contains_key(attribute) {
            continue;
        }
        let metadata = value
            .as_object()
            .ok_or_else(|| LineProblem::MetadataNotObject(member.clone()))?;
        found.push((
            attribute,
            metadata.get("class-name").and_then(Value::as_str),
        ));
    }
    match found.as_slice() {
        [] => Ok(None),
        [(_, class)] => Ok(match *class {
            Some("normal") => Some(Label::Normal),
            Some("anomaly") => Some(Label::Anomaly),
            _ => None,
        }),
        several => Err(LineProblem::SeveralLabels(
            several
                .iter()
                .map(|(attribute, _)| *attribute)
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

/// `s3://bucket/key` as its bucket and key, both non-empty.
pub fn split_uri(uri: &str) -> Option<(&str, &str)> {
    let (bucket, key) = uri.strip_prefix("s3://")?.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then_some((bucket, key))
}

/// Checks that `uri` (already known to split) exists in `dir` and its header is one of
/// `formats`; only the header is read.
fn check_image(
    dir: &S3Dir,
    member: &str,
    uri: &str,
    formats: &[ImageFormat],
) -> Result<(), LineProblem> {
    let (bucket, key) = split_uri(uri).ok_or_else(|| LineProblem::BadMaskRef(member.to_owned()))?;
    let object_error = |source| LineProblem::Object {
        member: member.to_owned(),
        source,
    };
    let file = dir.open(bucket, key).map_err(object_error)?;
    let wrong_format = || LineProblem::Format {
        member: member.to_owned(),
        uri: uri.to_owned(),
        expected: if formats.len() == 1 {
            "PNG"
        } else {
            "PNG or JPEG"
        },
    };
    let reader = ImageReader::new(BufReader::new(file))
        .with_guessed_format()
        .map_err(|source| {
            object_error(ObjectError::Unreadable {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                source,
            })
        })?;
    if !reader
        .format()
        .is_some_and(|format| formats.contains(&format))
    {
        return Err(wrong_format());
    }
    // A signature followed by garbage is no image either; the dimensions sit in the header.
    reader.into_dimensions().map_err(|_| wrong_format())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder as _, RgbImage};
    use std::fs;

    /// A small image in `format`.
    fn encoded(format: ImageFormat) -> Vec<u8> {
        let image = RgbImage::from_pixel(8, 8, image::Rgb([200, 10, 10]));
        let mut bytes = Vec::new();
        let color = image::ExtendedColorType::Rgb8;
        match format {
            ImageFormat::Png => image::codecs::png::PngEncoder::new(&mut bytes)
                .write_image(&image, 8, 8, color)
                .unwrap(),
            _ => image::codecs::jpeg::JpegEncoder::new(&mut bytes)
                .write_image(&image, 8, 8, color)
                .unwrap(),
        }
        bytes
    }

    /// An S3 directory with `img/a.png`, `img/b.jpg`, `img/mask.png`, `img/a.txt` in bucket
    /// `img` and `other/c.png`, and `manifest` at `s3://m/train.manifest`.
    fn setup(manifest: &str) -> (tempfile::TempDir, S3Dir, S3Object) {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        for dir in ["img", "other", "m"] {
            fs::create_dir(root.join(dir)).unwrap();
        }
        fs::write(root.join("img/a.png"), encoded(ImageFormat::Png)).unwrap();
        fs::write(root.join("img/mask.png"), encoded(ImageFormat::Png)).unwrap();
        fs::write(root.join("img/b.jpg"), encoded(ImageFormat::Jpeg)).unwrap();
        fs::write(root.join("img/a.txt"), "plain text").unwrap();
        fs::write(root.join("other/c.png"), encoded(ImageFormat::Png)).unwrap();
        fs::write(root.join("m/train.manifest"), manifest).unwrap();
        let dir = S3Dir::new(root).unwrap();
        let object = S3Object {
            bucket: "m".into(),
            key: "train.manifest".into(),
        };
        (temp, dir, object)
    }

    fn run(manifest: &str) -> Result<Vec<NewEntry>, String> {
        let (_temp, dir, object) = setup(manifest);
        import(&dir, &object).map_err(|err| err.to_string())
    }

    const NORMAL: &str = r#"{"source-ref":"s3://img/a.png","anomaly-label":1,"anomaly-label-metadata":{"class-name":"normal","human-annotated":"yes","type":"groundtruth/image-classification"}}"#;
    const ANOMALY: &str = r#"{"source-ref":"s3://img/b.jpg","auto-label":0,"auto-label-metadata":{"class-name":"anomaly"}}"#;

    #[test]
    fn labels_come_from_the_class_name_of_any_label_attribute() {
        let other_class =
            r#"{"source-ref":"s3://img/mask.png","l":1,"l-metadata":{"class-name":"cracked"}}"#;
        let manifest = format!("{NORMAL}\n\n{ANOMALY}\r\n{other_class}\n");
        let entries = run(&manifest).unwrap();
        let labels: Vec<_> = entries
            .iter()
            .map(|e| (e.source_ref.as_str(), e.label))
            .collect();
        assert_eq!(
            labels,
            [
                ("s3://img/a.png", Some(Label::Normal)),
                ("s3://img/b.jpg", Some(Label::Anomaly)),
                ("s3://img/mask.png", None),
            ]
        );
        assert_eq!(entries[0].line, NORMAL);
    }

    #[test]
    fn segmentation_masks_are_checked_and_their_metadata_is_not() {
        let line = r##"{"source-ref":"s3://img/a.png","anomaly-label":1,"anomaly-label-metadata":{"class-name":"anomaly"},"anomaly-mask-ref":"s3://other/c.png","anomaly-mask-ref-metadata":{"internal-color-map":{"0":{"class-name":"cracked","hex-color":"#23A436"}},"creation-date":"Mon Aug 22 2022 13:52:52 GMT-0700"}}"##;
        assert_eq!(run(line).unwrap()[0].label, Some(Label::Anomaly));
        let jpeg_mask = line.replace("s3://other/c.png", "s3://img/b.jpg");
        assert_eq!(
            run(&jpeg_mask).unwrap_err(),
            "Manifest line 1: anomaly-mask-ref s3://img/b.jpg is not a PNG image"
        );
        let missing = line.replace("s3://other/c.png", "s3://other/none.png");
        assert_eq!(
            run(&missing).unwrap_err(),
            "Manifest line 1: anomaly-mask-ref s3://other/none.png does not exist"
        );
    }

    #[test]
    fn each_problem_names_its_line() {
        for (bad, message) in [
            ("not json", "it is not a JSON object"),
            ("[1]", "it is not a JSON object"),
            (r#"{"anomaly-label":1}"#, "it has no \"source-ref\" string of the form s3://bucket/key"),
            (r#"{"source-ref":"s3://img"}"#, "it has no \"source-ref\" string"),
            (r#"{"source-ref":"s3://img/a.txt"}"#, "source-ref s3://img/a.txt is not a PNG or JPEG image"),
            (r#"{"source-ref":"s3://img/none.png"}"#, "source-ref s3://img/none.png does not exist"),
            (r#"{"source-ref":"s3://img/../m/x.png"}"#, "source-ref s3://img/../m/x.png is not a valid object name"),
            (
                r#"{"source-ref":"s3://other/c.png"}"#,
                "source-ref s3://other/c.png is in bucket other, but the manifest's images are in bucket img",
            ),
            (r#"{"source-ref":"s3://img/a.png","l":1,"l-metadata":"normal"}"#, "\"l-metadata\" must be an object"),
            (
                r#"{"source-ref":"s3://img/a.png","a":1,"a-metadata":{},"b":0,"b-metadata":{}}"#,
                "it has more than one label attribute (a, b)",
            ),
            (r#"{"source-ref":"s3://img/a.png","m-ref":7}"#, "\"m-ref\" must be a string"),
        ] {
            let manifest = format!("{NORMAL}\n\n{bad}\n{ANOMALY}");
            let err = run(&manifest).unwrap_err();
            assert!(err.starts_with(&format!("Manifest line 3: {message}")), "{bad}: {err}");
        }
    }

    #[test]
    fn one_reader_decides_labels_by_class_name_without_s3() {
        let label = |line: &str| read_line(line).map(|line| line.entry.label);
        let labelled = |attribute: &str, number: u8, class: &str| {
            format!(
                r#"{{"source-ref":"s3://b/k","{attribute}":{number},"{attribute}-metadata":{{"class-name":"{class}"}}}}"#
            )
        };
        // The number is ignored: AWS's samples use `auto-label` with 1 for normal.
        assert_eq!(
            label(&labelled("auto-label", 1, "normal")).unwrap(),
            Some(Label::Normal)
        );
        assert_eq!(
            label(&labelled("anomaly-label", 0, "anomaly")).unwrap(),
            Some(Label::Anomaly)
        );
        assert_eq!(
            label(&labelled("anomaly-label", 7, "scratch")).unwrap(),
            None
        );
        // A number without metadata, or metadata without the attribute, is no label attribute.
        assert_eq!(
            label(r#"{"source-ref":"s3://b/k","anomaly-label":1}"#).unwrap(),
            None
        );
        assert_eq!(
            label(r#"{"source-ref":"s3://b/k","anomaly-label-metadata":{"class-name":"anomaly"}}"#)
                .unwrap(),
            None
        );
        let line = read_line(&format!("  {}\r", labelled("l", 1, "normal"))).unwrap();
        assert_eq!(line.entry.line, labelled("l", 1, "normal"));
        for (bad, message) in [
            ("x", "it is 1 characters long, outside 2 to 8192"),
            ("{]", "it is not a JSON object"),
            (r#"{"source-ref":"b/k"}"#, "it has no \"source-ref\""),
            (r#"{"source-ref":"s3://b/"}"#, "it has no \"source-ref\""),
            (
                r#"{"source-ref":"s3://b/k","m-ref":"x"}"#,
                "\"m-ref\" must be a string",
            ),
        ] {
            let err = read_line(bad).unwrap_err().to_string();
            assert!(err.starts_with(message), "{bad}: {err}");
        }
        let long = format!(
            r#"{{"source-ref":"s3://b/{}"}}"#,
            "k".repeat(MAX_LINE_CHARS)
        );
        assert!(matches!(read_line(&long), Err(LineProblem::Length(_))));
    }

    #[test]
    fn changes_are_checked_against_the_dataset_bucket_naming_their_line() {
        let (_temp, dir, _) = setup("");
        let changes = |lines: &[&str]| -> Vec<(usize, Line)> {
            lines
                .iter()
                .enumerate()
                .map(|(index, line)| (index + 1, read_line(line).unwrap()))
                .collect()
        };
        let good = changes(&[NORMAL, ANOMALY]);
        assert!(check_changes(&dir, &good, Some("img".into())).is_ok());
        assert!(check_changes(&dir, &good, None).is_ok());
        let other = r#"{"source-ref":"s3://other/c.png"}"#;
        assert_eq!(
            check_changes(&dir, &good, Some("other".into()))
                .unwrap_err()
                .to_string(),
            "Changes line 1: source-ref s3://img/a.png is in bucket img, but the dataset's \
             images are in bucket other; all images must be in one bucket"
        );
        // An empty dataset takes the first line's bucket.
        assert_eq!(
            check_changes(&dir, &changes(&[NORMAL, other]), None)
                .unwrap_err()
                .to_string(),
            "Changes line 2: source-ref s3://other/c.png is in bucket other, but the dataset's \
             images are in bucket img; all images must be in one bucket"
        );
        let missing = r#"{"source-ref":"s3://img/none.png"}"#;
        assert_eq!(
            check_changes(&dir, &changes(&[NORMAL, ANOMALY, missing]), None)
                .unwrap_err()
                .to_string(),
            "Changes line 3: source-ref s3://img/none.png does not exist"
        );
    }

    #[test]
    fn a_missing_or_empty_manifest_fails_naming_the_object() {
        let (_temp, dir, _) = setup("");
        let missing = S3Object {
            bucket: "m".into(),
            key: "none.manifest".into(),
        };
        assert_eq!(
            import(&dir, &missing).unwrap_err().to_string(),
            "The manifest cannot be read: s3://m/none.manifest does not exist"
        );
        assert_eq!(
            run("\n\n").unwrap_err(),
            "The manifest s3://m/train.manifest has no JSON Lines"
        );
    }
}
