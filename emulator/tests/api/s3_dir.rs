//! `--s3-dir`: CreateDataset importing real Ground Truth manifests from a local directory
//! through the SDK, their images checked, ImageStats counted from the manifest, and every
//! failure ending the import in CREATE_FAILED with a message naming the line; and
//! UpdateDatasetEntries checking its images the same way, a failure rolling the update back.

use std::fs;
use std::path::{Path, PathBuf};

use aws_sdk_lookoutvision::primitives::Blob;
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
    /// Bucket `images` with `normal-1.png`, `normal-2.png`, `anomaly.jpg`, `unlabelled.png`,
    /// `extra.png` and `notes.txt`; bucket `elsewhere` with `other.png`; bucket `manifests`,
    /// empty.
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
        fs::write(images.join("extra.png"), png(7)).unwrap();
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

    /// Describes the train dataset of `project`.
    async fn train(&self, project: &str) -> DatasetDescription {
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

    /// Every entry of the train dataset of `project`.
    async fn entries(&self, project: &str) -> Vec<String> {
        self.client
            .list_dataset_entries()
            .project_name(project)
            .dataset_type("train")
            .send()
            .await
            .unwrap()
            .dataset_entries()
            .to_vec()
    }

    /// UpdateDatasetEntries on the train dataset of `project` with `lines` as its changes;
    /// the call itself must succeed.
    async fn update(&self, project: &str, lines: &[String]) {
        let updated = self
            .client
            .update_dataset_entries()
            .project_name(project)
            .dataset_type("train")
            .changes(Blob::new(lines.join("\n")))
            .send()
            .await
            .unwrap();
        assert_eq!(updated.status(), Some(&DatasetStatus::UpdateInProgress));
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

/// `s3://images/{image}` labelled `class` under `auto-label`, numbered as AWS's samples
/// number it: 1 for normal, 0 for anomaly.
fn auto_labelled(image: &str, class: &str) -> String {
    json!({
        "source-ref": format!("s3://images/{image}"),
        "auto-label": u8::from(class == "normal"),
        "auto-label-metadata": {"class-name": class},
    })
    .to_string()
}

#[tokio::test]
async fn an_update_checks_its_images_and_labels_by_class_name() {
    let dir = Bucketed::new();
    dir.manifest("train.manifest", &good_lines());
    let h = dir.emulator().await;
    h.import("p1", "train.manifest").await;

    // Replaces the unlabelled image's entry, adds one with a PNG mask.
    let replacement = auto_labelled("unlabelled.png", "normal");
    let mut added: Value = serde_json::from_str(&auto_labelled("extra.png", "anomaly")).unwrap();
    added["anomaly-mask-ref"] = json!("s3://elsewhere/other.png");
    let added = added.to_string();
    h.update("p1", &[replacement.clone(), String::new(), added.clone()])
        .await;
    assert_eq!(
        h.train("p1").await.status(),
        Some(&DatasetStatus::UpdateInProgress)
    );
    h.step();
    let dataset = h.train("p1").await;
    assert_eq!(dataset.status(), Some(&DatasetStatus::UpdateComplete));
    let stats = dataset.image_stats().unwrap();
    assert_eq!(
        (
            stats.total(),
            stats.labeled(),
            stats.normal(),
            stats.anomaly()
        ),
        (Some(5), Some(5), Some(3), Some(2))
    );
    let entries = h.entries("p1").await;
    assert!(entries.contains(&replacement), "{entries:?}");
    assert!(entries.contains(&added), "{entries:?}");
    assert!(!entries.contains(&good_lines()[3]), "{entries:?}");
}

#[tokio::test]
async fn each_bad_change_rolls_the_update_back_naming_its_line() {
    let dir = Bucketed::new();
    dir.manifest("train.manifest", &good_lines());
    let h = dir.emulator().await;
    let mut masked: Value = serde_json::from_str(&auto_labelled("extra.png", "anomaly")).unwrap();
    masked["anomaly-mask-ref"] = json!("s3://images/anomaly.jpg");
    let cases = [
        (
            auto_labelled("missing.png", "normal"),
            "Changes line 3: source-ref s3://images/missing.png does not exist",
        ),
        (
            auto_labelled("notes.txt", "anomaly"),
            "Changes line 3: source-ref s3://images/notes.txt is not a PNG or JPEG image",
        ),
        (
            labelled("s3://elsewhere/other.png", "normal"),
            "Changes line 3: source-ref s3://elsewhere/other.png is in bucket elsewhere, but \
             the dataset's images are in bucket images; all images must be in one bucket",
        ),
        (
            masked.to_string(),
            "Changes line 3: anomaly-mask-ref s3://images/anomaly.jpg is not a PNG image",
        ),
        (
            labelled("s3://images/../secret.png", "normal"),
            "Changes line 3: source-ref s3://images/../secret.png is not a valid object name: \
             the key must not have a `..` segment",
        ),
    ];
    for (index, (line, message)) in cases.iter().enumerate() {
        let project = format!("p{index}");
        h.import(&project, "train.manifest").await;
        let before = h.entries(&project).await;
        let changes = [
            auto_labelled("extra.png", "normal"),
            String::new(),
            line.clone(),
        ];
        h.update(&project, &changes).await;
        let seen = |dataset: DatasetDescription| {
            (
                dataset.status().cloned(),
                dataset.status_message().map(str::to_owned),
            )
        };
        assert_eq!(
            h.train(&project).await.status(),
            Some(&DatasetStatus::UpdateInProgress),
            "{line}"
        );
        h.step();
        assert_eq!(
            seen(h.train(&project).await),
            (
                Some(DatasetStatus::UpdateFailedRollbackInProgress),
                Some(message.to_string())
            ),
            "{line}"
        );
        h.step();
        let dataset = h.train(&project).await;
        assert_eq!(
            seen(dataset.clone()),
            (
                Some(DatasetStatus::UpdateFailedRollbackComplete),
                Some(message.to_string())
            ),
            "{line}"
        );
        // Nothing of the update was applied, not even its good first line.
        assert_eq!(h.entries(&project).await, before, "{line}");
        assert_eq!(dataset.image_stats().unwrap().total(), Some(4), "{line}");
    }

    // Once rolled back, the dataset takes a corrected update.
    h.update("p0", &[auto_labelled("extra.png", "normal")])
        .await;
    h.step();
    assert_eq!(
        h.train("p0").await.status(),
        Some(&DatasetStatus::UpdateComplete)
    );
    assert_eq!(h.train("p0").await.image_stats().unwrap().total(), Some(5));
}

#[tokio::test]
async fn lines_that_are_no_entries_are_still_refused_by_the_call() {
    let dir = Bucketed::new();
    dir.manifest("train.manifest", &good_lines());
    let h = dir.emulator().await;
    h.import("p1", "train.manifest").await;
    let err = h
        .client
        .update_dataset_entries()
        .project_name("p1")
        .dataset_type("train")
        .changes(Blob::new(format!(
            "{}\nnot json",
            auto_labelled("missing.png", "normal")
        )))
        .send()
        .await
        .unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    let message = err.meta().message().unwrap_or_default().to_owned();
    assert!(
        message
            .contains("Line 2 of 'changes' is not a valid dataset entry: it is not a JSON object"),
        "{message}"
    );
    // Refused synchronously: the dataset was never updating.
    assert_eq!(
        h.train("p1").await.status(),
        Some(&DatasetStatus::CreateComplete)
    );
}
