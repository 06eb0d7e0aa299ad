//! `--s3-dir`: CreateDataset importing real Ground Truth manifests from a local directory
//! through the SDK, their images checked, ImageStats counted from the manifest, and every
//! failure ending the import in CREATE_FAILED with a message naming the line.

use std::fs;
use std::path::{Path, PathBuf};

use aws_sdk_lookoutvision::types::{DatasetDescription, DatasetStatus};
use lookoutvision_emulator::s3dir::S3Dir;
use lookoutvision_emulator::Config;
use serde_json::{json, Value};

use crate::support::{create_project, jpeg, manifest, png, Harness};

/// A temporary directory holding the S3 directory (`s3/`) and, beside it, a PNG that no
/// manifest may reach (`secret.png`).
struct Bucketed {
    temp: tempfile::TempDir,
}

impl Bucketed {
    /// Bucket `images` with `normal-1.png`, `normal-2.png`, `anomaly.jpg`, `unlabelled.png`
    /// and `notes.txt`; bucket `elsewhere` with `other.png`; bucket `manifests`, empty.
    fn new() -> Self {
        let temp = tempfile::tempdir().unwrap();
        let s3 = temp.path().join("s3");
        for bucket in ["images", "elsewhere", "manifests"] {
            fs::create_dir_all(s3.join(bucket)).unwrap();
        }
        let images = s3.join("images");
        fs::write(images.join("normal-1.png"), png(1)).unwrap();
        fs::write(images.join("normal-2.png"), png(2)).unwrap();
        fs::write(images.join("anomaly.jpg"), jpeg(3)).unwrap();
        fs::write(images.join("unlabelled.png"), png(4)).unwrap();
        fs::write(images.join("notes.txt"), "not an image").unwrap();
        fs::write(s3.join("elsewhere/other.png"), png(5)).unwrap();
        fs::write(temp.path().join("secret.png"), png(6)).unwrap();
        Self { temp }
    }

    fn s3(&self) -> PathBuf {
        self.temp.path().join("s3")
    }

    fn outside(&self) -> &Path {
        self.temp.path()
    }

    /// Writes `lines` as the manifest `s3://manifests/{name}`.
    fn manifest(&self, name: &str, lines: &[String]) {
        fs::write(
            self.s3().join("manifests").join(name),
            lines.join("\n") + "\n",
        )
        .unwrap();
    }

    /// An emulator on a manual clock reading this S3 directory.
    async fn emulator(&self) -> Harness {
        Harness::start_with(Config {
            s3_dir: Some(S3Dir::new(self.s3()).unwrap()),
            ..Config::default()
        })
        .await
    }
}

/// A classification line labelling `source_ref` with `class` under the documented
/// attribute (whose number the service ignores).
fn labelled(source_ref: &str, class: &str) -> String {
    json!({
        "source-ref": source_ref,
        "anomaly-label": 1,
        "anomaly-label-metadata": {
            "class-name": class,
            "human-annotated": "yes",
            "type": "groundtruth/image-classification",
        },
    })
    .to_string()
}

/// The four good lines: two normal, one anomaly, one with a class name that is neither.
fn good_lines() -> Vec<String> {
    vec![
        labelled("s3://images/normal-1.png", "normal"),
        labelled("s3://images/anomaly.jpg", "anomaly"),
        labelled("s3://images/normal-2.png", "normal"),
        labelled("s3://images/unlabelled.png", "scratched"),
    ]
}

impl Harness {
    /// Creates project `project` with a train dataset from `s3://manifests/{key}`, lets the
    /// import finish, and describes the dataset.
    async fn import(&self, project: &str, key: &str) -> DatasetDescription {
        create_project(&self.client, project).await;
        let created = self
            .client
            .create_dataset()
            .project_name(project)
            .dataset_type("train")
            .dataset_source(manifest("manifests", key))
            .send()
            .await
            .unwrap();
        assert_eq!(
            created.dataset_metadata().unwrap().status(),
            Some(&DatasetStatus::CreateInProgress)
        );
        self.step();
        self.client
            .describe_dataset()
            .project_name(project)
            .dataset_type("train")
            .send()
            .await
            .unwrap()
            .dataset_description()
            .unwrap()
            .clone()
    }
}

#[tokio::test]
async fn a_good_manifest_imports_with_its_image_stats_and_lines() {
    let dir = Bucketed::new();
    dir.manifest("train.manifest", &good_lines());
    let h = dir.emulator().await;

    let dataset = h.import("p1", "train.manifest").await;
    assert_eq!(dataset.status(), Some(&DatasetStatus::CreateComplete));
    let stats = dataset.image_stats().unwrap();
    assert_eq!(
        (
            stats.total(),
            stats.labeled(),
            stats.normal(),
            stats.anomaly()
        ),
        (Some(4), Some(3), Some(2), Some(1))
    );

    let entries = h
        .client
        .list_dataset_entries()
        .project_name("p1")
        .dataset_type("train")
        .send()
        .await
        .unwrap();
    let mut expected = good_lines();
    expected
        .sort_by_key(|line| serde_json::from_str::<Value>(line).unwrap()["source-ref"].to_string());
    assert_eq!(entries.dataset_entries(), expected);
    let anomalies = h
        .client
        .list_dataset_entries()
        .project_name("p1")
        .dataset_type("train")
        .anomaly_class("anomaly")
        .send()
        .await
        .unwrap();
    assert_eq!(anomalies.dataset_entries(), [good_lines()[1].clone()]);
}

#[tokio::test]
async fn each_bad_line_fails_the_import_naming_its_line() {
    let dir = Bucketed::new();
    let secret = dir.outside().join("secret.png");
    std::os::unix::fs::symlink(&secret, dir.s3().join("images/link.png")).unwrap();
    let cases = [
        (
            "{\"source-ref\": \"s3://images/normal-2.png\"".to_owned(),
            "Manifest line 3: it is not a JSON object",
        ),
        (
            labelled("s3://images/missing.png", "normal"),
            "Manifest line 3: source-ref s3://images/missing.png does not exist",
        ),
        (
            labelled("s3://elsewhere/other.png", "normal"),
            "Manifest line 3: source-ref s3://elsewhere/other.png is in bucket elsewhere, but the \
             manifest's images are in bucket images; all images must be in one bucket",
        ),
        (
            labelled("s3://images/notes.txt", "anomaly"),
            "Manifest line 3: source-ref s3://images/notes.txt is not a PNG or JPEG image",
        ),
        (
            labelled("s3://images/../secret.png", "normal"),
            "Manifest line 3: source-ref s3://images/../secret.png is not a valid object name: \
             the key must not have a `..` segment",
        ),
        (
            labelled("s3://images//etc/passwd", "normal"),
            "Manifest line 3: source-ref s3://images//etc/passwd is not a valid object name: \
             the key must be a relative path",
        ),
        (
            labelled("s3://images/link.png", "normal"),
            "Manifest line 3: source-ref s3://images/link.png leads outside the S3 directory",
        ),
    ];
    for (index, (line, _)) in cases.iter().enumerate() {
        let mut lines = good_lines();
        lines.insert(2, line.clone());
        dir.manifest(&format!("bad-{index}.manifest"), &lines);
    }
    let h = dir.emulator().await;

    for (index, (line, message)) in cases.iter().enumerate() {
        let project = format!("p{index}");
        let dataset = h.import(&project, &format!("bad-{index}.manifest")).await;
        assert_eq!(
            dataset.status(),
            Some(&DatasetStatus::CreateFailed),
            "{line}"
        );
        assert_eq!(dataset.status_message(), Some(*message), "{line}");
        // A failed import holds none of the manifest's images.
        assert_eq!(dataset.image_stats().unwrap().total(), Some(0), "{line}");
    }
}

#[tokio::test]
async fn a_missing_or_unreachable_manifest_fails_the_import_naming_the_object() {
    let dir = Bucketed::new();
    fs::write(
        dir.outside().join("outside.manifest"),
        good_lines().join("\n"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        dir.outside().join("outside.manifest"),
        dir.s3().join("manifests/link.manifest"),
    )
    .unwrap();
    let h = dir.emulator().await;
    for (project, key, message) in [
        (
            "p1",
            "absent.manifest",
            "The manifest cannot be read: s3://manifests/absent.manifest does not exist",
        ),
        (
            "p2",
            "../../outside.manifest",
            "The manifest cannot be read: s3://manifests/../../outside.manifest is not a valid \
             object name: the key must not have a `..` segment",
        ),
        (
            "p3",
            "link.manifest",
            "The manifest cannot be read: s3://manifests/link.manifest leads outside the S3 \
             directory",
        ),
    ] {
        let dataset = h.import(project, key).await;
        assert_eq!(
            dataset.status(),
            Some(&DatasetStatus::CreateFailed),
            "{key}"
        );
        assert_eq!(dataset.status_message(), Some(message), "{key}");
    }
}
