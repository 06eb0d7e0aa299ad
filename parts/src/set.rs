//! Writing a set under a directory laid out as S3 (`DIR/bucket/key`, what the emulator's
//! `--s3-dir` reads).

use std::fs;
use std::io;
use std::path::Path;

use crate::{encode, io_context, manifest, DefectKind, Format, Spec};

/// One image of a written set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenImage {
    /// The image's key in the bucket.
    pub key: String,
    /// Whether it is labelled `anomaly`.
    pub anomalous: bool,
    /// Its defect, for anomalous images.
    pub defect: Option<DefectKind>,
    /// Its mask's key, for anomalous images of a segmentation set.
    pub mask_key: Option<String>,
}

/// A written set: its manifest and its images, in manifest order (normal images first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The bucket of the manifest and the images.
    pub bucket: String,
    /// The manifest's key.
    pub manifest_key: String,
    /// Every image, in the manifest's order.
    pub images: Vec<WrittenImage>,
}

impl Written {
    /// The manifest's `s3://bucket/key` URI, as CreateDataset takes it.
    pub fn manifest_uri(&self) -> String {
        s3_uri(&self.bucket, &self.manifest_key)
    }
}

/// Writes the set `spec` for a project with a single dataset: images as
/// `s3_dir/bucket/prefix/images/{normal,anomaly}-NNN.{png,jpg}`, masks (segmentation sets)
/// as `.../masks/anomaly-NNN.png` and the manifest as `.../train.manifest`.
pub fn write_set(spec: &Spec, s3_dir: &Path, bucket: &str, prefix: &str) -> io::Result<Written> {
    write_dataset(spec, s3_dir, bucket, prefix, "train")
}

/// Writes two sets for a project with separate datasets: `train` under `prefix/train/`
/// (manifest `prefix/train/train.manifest`) and `test` under `prefix/test/` (manifest
/// `prefix/test/test.manifest`). Give them different seeds, or the test images repeat the
/// training images.
pub fn write_split(
    train: &Spec,
    test: &Spec,
    s3_dir: &Path,
    bucket: &str,
    prefix: &str,
) -> io::Result<(Written, Written)> {
    Ok((
        write_dataset(train, s3_dir, bucket, &join(prefix, "train"), "train")?,
        write_dataset(test, s3_dir, bucket, &join(prefix, "test"), "test")?,
    ))
}

fn write_dataset(
    spec: &Spec,
    s3_dir: &Path,
    bucket: &str,
    prefix: &str,
    name: &str,
) -> io::Result<Written> {
    let put = |key: &str, bytes: &[u8]| {
        let path = s3_dir.join(bucket).join(key);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| io_context(parent, e))?;
        }
        fs::write(&path, bytes).map_err(|e| io_context(&path, e))
    };
    let ext = spec.format.extension();
    let parts = (0..spec.normal)
        .map(|i| (format!("normal-{i:03}"), spec.normal_part(i)))
        .chain((0..spec.anomalous).map(|i| (format!("anomaly-{i:03}"), spec.anomalous_part(i))));
    let mut images = Vec::with_capacity(spec.normal + spec.anomalous);
    let mut lines = String::new();
    for (stem, part) in parts {
        let key = join(prefix, &format!("images/{stem}.{ext}"));
        put(&key, &encode(&part.image(), spec.format))?;
        let defect = part.defect();
        let source_ref = s3_uri(bucket, &key);
        let mut mask_key = None;
        let line = match (spec.segmentation, defect, part.mask()) {
            (true, Some(kind), Some(mask)) => {
                let key = join(prefix, &format!("masks/{stem}.png"));
                put(&key, &encode(&mask, Format::Png))?;
                let classes = [(kind.class_name(), kind.hex_color())];
                let line = manifest::segmentation_line(
                    &source_ref,
                    true,
                    Some((&s3_uri(bucket, &key), &classes)),
                );
                mask_key = Some(key);
                line
            }
            (true, ..) => manifest::segmentation_line(&source_ref, defect.is_some(), None),
            (false, ..) => manifest::classification_line(&source_ref, defect.is_some()),
        };
        lines.push_str(&line);
        lines.push('\n');
        images.push(WrittenImage {
            key,
            anomalous: defect.is_some(),
            defect,
            mask_key,
        });
    }
    let manifest_key = join(prefix, &format!("{name}.manifest"));
    put(&manifest_key, lines.as_bytes())?;
    Ok(Written {
        bucket: bucket.to_owned(),
        manifest_key,
        images,
    })
}

/// `prefix/rest`, without empty segments or doubled slashes.
fn join(prefix: &str, rest: &str) -> String {
    match prefix.trim_matches('/') {
        "" => rest.to_owned(),
        p => format!("{p}/{rest}"),
    }
}

fn s3_uri(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}
