//! Importing a SageMaker Ground Truth manifest from the S3 directory (`--s3-dir`), as
//! CreateDataset does: one JSON object per line, each naming an image by `source-ref` and
//! labelling it through a label attribute and its `<attribute>-metadata`. Every image must
//! exist, be a PNG or JPEG, and sit in the same bucket as the others.
//!
//! The import either yields every entry or fails as a whole with a message for the
//! dataset's `StatusMessage`; the service does not import part of a manifest.

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
}

/// What is wrong with one manifest line.
#[derive(Debug, thiserror::Error)]
pub enum LineProblem {
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
    /// The image is in another bucket than the first line's.
    #[error("source-ref {uri} is in bucket {bucket}, but the manifest's images are in bucket {first}; all images must be in one bucket")]
    OtherBucket {
        /// The image.
        uri: String,
        /// Its bucket.
        bucket: String,
        /// The bucket of the first image.
        first: String,
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

/// Reads the manifest `manifest` from `dir` and every image it lists.
pub fn import(dir: &S3Dir, manifest: &S3Object) -> Result<Vec<NewEntry>, ImportError> {
    let text = dir
        .read_to_string(&manifest.bucket, &manifest.key)
        .map_err(ImportError::Manifest)?;
    let mut first_bucket: Option<String> = None;
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        // A trailing newline or a blank line between entries is not an entry.
        if line.trim().is_empty() {
            continue;
        }
        let failed = |problem| ImportError::Line {
            line: index + 1,
            problem,
        };
        let entry = read_line(dir, line, &mut first_bucket).map_err(failed)?;
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

/// Reads one non-blank line; `first_bucket` is the images' bucket once the first line set it.
fn read_line(
    dir: &S3Dir,
    line: &str,
    first_bucket: &mut Option<String>,
) -> Result<NewEntry, LineProblem> {
    let line = line.trim();
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(line) else {
        return Err(LineProblem::NotAnObject);
    };
    let source_ref = fields
        .get("source-ref")
        .and_then(Value::as_str)
        .ok_or(LineProblem::NoSourceRef)?;
    let (bucket, _) = split_uri(source_ref).ok_or(LineProblem::NoSourceRef)?;
    let label = label(&fields)?;
    match first_bucket {
        Some(first) if first != bucket => {
            return Err(LineProblem::OtherBucket {
                uri: source_ref.to_owned(),
                bucket: bucket.to_owned(),
                first: first.clone(),
            })
        }
        Some(_) => {}
        None => *first_bucket = Some(bucket.to_owned()),
    }
    check_image(
        dir,
        "source-ref",
        source_ref,
        &[ImageFormat::Png, ImageFormat::Jpeg],
    )?;
    // Segmentation masks: any other `*-ref` member. Their metadata (`*-ref-metadata`) is
    // not checked: AWS's own getting-started manifest departs from the documented colour
    // map, and the service trained on it.
    for (member, value) in &fields {
        if member == "source-ref" || !member.ends_with("-ref") {
            continue;
        }
        let uri = value
            .as_str()
            .filter(|uri| split_uri(uri).is_some())
            .ok_or_else(|| LineProblem::BadMaskRef(member.clone()))?;
        check_image(dir, member, uri, &[ImageFormat::Png])?;
    }
    Ok(NewEntry {
        source_ref: source_ref.to_owned(),
        line: line.to_owned(),
        label,
    })
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
fn split_uri(uri: &str) -> Option<(&str, &str)> {
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
