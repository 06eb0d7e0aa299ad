//! `--s3-dir` training: CreateModel learns from the datasets' images (generated parts with
//! drawn defects), checks the documented minimums, writes its evaluation where the service
//! does, and DetectAnomalies answers from what the model learnt, through the SDK.

use std::fs;
use std::path::{Path, PathBuf};

use aws_sdk_lookoutvision::primitives::ByteStream;
use aws_sdk_lookoutvision::types::{ModelDescription, ModelStatus, OutputConfig, S3Location};
use lookoutvision_emulator::clock::Clock as _;
use lookoutvision_emulator::s3dir::S3Dir;
use lookoutvision_emulator::{Config, StateFile};
use lookoutvision_parts::{encode, write_set, write_split, Format, Spec, Written};
use serde_json::Value;

use crate::support::{create_project, manifest, Harness};

/// The bucket of the images, the manifests and the models' output.
const BUCKET: &str = "line";
/// The side of the generated images: small, so the debug build trains quickly.
const SIDE: u32 = 128;

fn spec(seed: u64, normal: usize, anomalous: usize) -> Spec {
    Spec {
        seed,
        width: SIDE,
        height: SIDE,
        normal,
        anomalous,
        ..Spec::default()
    }
}

/// A temporary S3 directory with the bucket [`BUCKET`], and an emulator reading it.
struct Line {
    temp: tempfile::TempDir,
    harness: Harness,
    state_file: Option<PathBuf>,
}

impl Line {
    async fn start() -> Self {
        Self::start_with(None).await
    }

    /// A line whose emulator keeps its state in `state_file`.
    async fn start_with(state_file: Option<PathBuf>) -> Self {
        let temp = tempfile::tempdir().unwrap();
        fs::create_dir_all(temp.path().join(BUCKET)).unwrap();
        let harness = Self::emulator(temp.path(), state_file.as_deref()).await;
        Self {
            temp,
            harness,
            state_file,
        }
    }

    async fn emulator(s3: &Path, state_file: Option<&Path>) -> Harness {
        Harness::start_with(Config {
            s3_dir: Some(S3Dir::new(s3).unwrap()),
            state_file: state_file.map(|path| StateFile::open(path).unwrap()),
            ..Config::default()
        })
        .await
    }

    /// Stops the emulator and starts another on the same S3 directory and state file, at the
    /// same time.
    async fn restarted(mut self) -> Self {
        let next = Self::emulator(self.temp.path(), self.state_file.as_deref()).await;
        // The restarted emulator's clock goes on from where the first one was.
        next.clock.set(self.harness.clock.now());
        let previous = std::mem::replace(&mut self.harness, next);
        previous.emulator.stop().await.unwrap();
        self
    }

    fn s3(&self) -> &Path {
        self.temp.path()
    }

    fn object(&self, key: &str) -> PathBuf {
        self.s3().join(BUCKET).join(key)
    }

    /// Creates `project` with a train dataset (and a test dataset, if given) from the
    /// written sets, and lets the imports finish.
    async fn project(&self, project: &str, train: &Written, test: Option<&Written>) {
        let client = &self.harness.client;
        create_project(client, project).await;
        for (kind, set) in [("train", Some(train)), ("test", test)] {
            let Some(set) = set else { continue };
            client
                .create_dataset()
                .project_name(project)
                .dataset_type(kind)
                .dataset_source(manifest(&set.bucket, &set.manifest_key))
                .send()
                .await
                .unwrap();
        }
        self.harness.step();
    }

    /// Trains a model of `project` into `s3://{bucket}/out/` and waits until training ends.
    async fn train(&self, project: &str, bucket: &str) -> ModelDescription {
        let client = &self.harness.client;
        let output = OutputConfig::builder()
            .s3_location(S3Location::builder().bucket(bucket).prefix("out/").build())
            .build();
        client
            .create_model()
            .project_name(project)
            .output_config(output)
            .send()
            .await
            .unwrap();
        self.settled(project, ModelStatus::Training).await
    }

    /// The model once it has left `status` (training can take longer than the training
    /// duration, so the clock is stepped until it has).
    async fn settled(&self, project: &str, status: ModelStatus) -> ModelDescription {
        for _ in 0..600 {
            self.harness.step();
            let model = self
                .harness
                .client
                .describe_model()
                .project_name(project)
                .model_version("1")
                .send()
                .await
                .unwrap()
                .model_description
                .unwrap();
            if model.status() != Some(&status) {
                return model;
            }
        }
        panic!("model 1 of {project} is still {status:?}");
    }

    async fn host(&self, project: &str) {
        self.harness
            .client
            .start_model()
            .project_name(project)
            .model_version("1")
            .min_inference_units(1)
            .send()
            .await
            .unwrap();
        let model = self.settled(project, ModelStatus::StartingHosting).await;
        assert_eq!(model.status(), Some(&ModelStatus::Hosted));
    }

    async fn detect(
        &self,
        project: &str,
        png: Vec<u8>,
    ) -> Result<aws_sdk_lookoutvision::types::DetectAnomalyResult, String> {
        self.harness
            .client
            .detect_anomalies()
            .project_name(project)
            .model_version("1")
            .content_type("image/png")
            .body(ByteStream::from(png))
            .send()
            .await
            .map(|out| out.detect_anomaly_result.unwrap())
            .map_err(|err| format!("{}", aws_sdk_lookoutvision::error::DisplayErrorContext(err)))
    }
}

#[tokio::test]
async fn a_model_learns_from_the_images_and_tells_unseen_normal_parts_from_defective_ones() {
    let line = Line::start().await;
    let (train, test) = write_split(
        &spec(11, 20, 10),
        &spec(12, 10, 10),
        line.s3(),
        BUCKET,
        "parts",
    )
    .unwrap();
    line.project("brackets", &train, Some(&test)).await;
    let model = line.train("brackets", BUCKET).await;
    assert_eq!(
        model.status(),
        Some(&ModelStatus::Trained),
        "{:?}",
        model.status_message()
    );

    // Performance is measured on the test dataset, and the files say the same.
    let performance = model.performance().unwrap();
    let f1 = performance.f1_score().unwrap();
    assert!(f1 >= 0.9, "F1 {f1} on aligned generated parts");
    let result_key = model.evaluation_result().unwrap().key().unwrap();
    assert_eq!(result_key, "out/EvaluationResult-brackets-1.json");
    let result: Value =
        serde_json::from_str(&fs::read_to_string(line.object(result_key)).unwrap()).unwrap();
    let details = &result["EvaluationDetails"];
    assert_eq!(details["NumberOfTestingImages"], 20);
    assert_eq!(details["ModelArn"], model.model_arn().unwrap());
    let metrics = &result["AggregatedEvaluationResults"]["Metrics"];
    assert!((metrics["F1Score"].as_f64().unwrap() - f64::from(f1)).abs() < 1e-3);
    for metric in ["ROCAUC", "AveragePrecision", "Precision", "Recall"] {
        let value = metrics[metric].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&value), "{metric} {value}");
    }
    let manifest_key = model.evaluation_manifest().unwrap().key().unwrap();
    let lines = fs::read_to_string(line.object(manifest_key)).unwrap();
    let lines: Vec<Value> = lines
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 20);
    for entry in &lines {
        assert!(entry["source-ref"]
            .as_str()
            .unwrap()
            .contains("parts/test/"));
        let detected = &entry["anomaly-label-detected-metadata"];
        assert_eq!(detected["model-version"], "1");
        assert_eq!(detected["project-name"], "brackets");
        assert!(entry["anomaly-label-detected"].is_u64());
    }

    // Parts the model never saw: a new seed.
    line.host("brackets").await;
    let unseen = spec(99, 0, 0);
    for index in 0..3 {
        let normal = encode(&unseen.normal_part(index).image(), Format::Png);
        let verdict = line.detect("brackets", normal).await.unwrap();
        assert_eq!(
            verdict.is_anomalous(),
            Some(false),
            "normal part {index}: {verdict:?}"
        );
        assert!(verdict.confidence().unwrap() > 0.5);
        // A classification model draws no mask.
        assert!(verdict.anomaly_mask().is_none() && verdict.anomalies().is_empty());
    }
    for index in 0..6 {
        let part = unseen.anomalous_part(index);
        let defective = encode(&part.image(), Format::Png);
        let verdict = line.detect("brackets", defective).await.unwrap();
        assert_eq!(
            verdict.is_anomalous(),
            Some(true),
            "{:?} part {index}: {verdict:?}",
            part.defect()
        );
    }

    // The service takes only images of the training images' size.
    let small = encode(&spec(99, 0, 0).normal_part(0).image(), Format::Png);
    let other = Spec {
        width: 96,
        ..spec(99, 0, 0)
    };
    let other = encode(&other.normal_part(0).image(), Format::Png);
    assert!(line.detect("brackets", small).await.is_ok());
    let err = line.detect("brackets", other).await.unwrap_err();
    assert!(
        err.contains("ValidationException") && err.contains("trained on images of 128x128"),
        "{err}"
    );
}

#[tokio::test]
async fn too_few_labelled_images_fail_training_with_the_documented_minimum() {
    let line = Line::start().await;
    // One image short of a single dataset's 20 normal images.
    let single = write_set(&spec(21, 19, 10), line.s3(), BUCKET, "single").unwrap();
    line.project("single", &single, None).await;
    let model = line.train("single", BUCKET).await;
    assert_eq!(model.status(), Some(&ModelStatus::TrainingFailed));
    let message = model.status_message().unwrap();
    assert!(
        message.contains("19 images labeled normal and 10 labeled anomaly")
            && message.contains("at least 20 normal and 10 anomalous"),
        "{message}"
    );
    assert!(model.performance().is_none());

    // Separate datasets: the test dataset needs 10 anomalous images.
    let (train, test) = write_split(
        &spec(22, 10, 0),
        &spec(23, 10, 9),
        line.s3(),
        BUCKET,
        "separate",
    )
    .unwrap();
    line.project("separate", &train, Some(&test)).await;
    let model = line.train("separate", BUCKET).await;
    assert_eq!(model.status(), Some(&ModelStatus::TrainingFailed));
    let message = model.status_message().unwrap();
    assert!(
        message.starts_with("The test dataset has 10 images labeled normal and 9 labeled anomaly")
            && message.contains("train and test datasets"),
        "{message}"
    );
    // No evaluation is written for a failed training.
    assert!(!line.object("out").exists());
}

#[tokio::test]
async fn training_into_a_bucket_that_does_not_exist_fails_naming_it() {
    let line = Line::start().await;
    let set = write_set(&spec(31, 20, 10), line.s3(), BUCKET, "parts").unwrap();
    line.project("brackets", &set, None).await;
    let model = line.train("brackets", "no-such-bucket").await;
    assert_eq!(model.status(), Some(&ModelStatus::TrainingFailed));
    let message = model.status_message().unwrap();
    assert!(
        message.contains("The output bucket no-such-bucket does not exist"),
        "{message}"
    );
}

#[tokio::test]
async fn a_single_dataset_is_split_for_evaluation_and_segmentation_models_draw_masks() {
    let line = Line::start().await;
    // Enough anomalous images that each of the three defect kinds has 20 of its own.
    let segmentation = Spec {
        segmentation: true,
        ..spec(41, 30, 90)
    };
    let set = write_set(&segmentation, line.s3(), BUCKET, "seg").unwrap();
    line.project("masks", &set, None).await;
    let model = line.train("masks", BUCKET).await;
    assert_eq!(
        model.status(),
        Some(&ModelStatus::Trained),
        "{:?}",
        model.status_message()
    );
    let result_key = model.evaluation_result().unwrap().key().unwrap();
    let result: Value =
        serde_json::from_str(&fs::read_to_string(line.object(result_key)).unwrap()).unwrap();
    let details = &result["EvaluationDetails"];
    let (training, testing) = (
        details["NumberOfTrainingImages"].as_u64().unwrap(),
        details["NumberOfTestingImages"].as_u64().unwrap(),
    );
    assert_eq!(training + testing, 120, "{details}");
    assert!(testing > 0 && testing < training, "{details}");
    let classes = result["AggregatedEvaluationResults"]["Metrics"]["PixelAnomalyClassMetrics"]
        .as_array()
        .expect("pixel metrics for a segmentation model");
    let mut names: Vec<&str> = classes
        .iter()
        .map(|class| class["ClassName"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["missing", "scratch", "spot"]);

    line.host("masks").await;
    let unseen = Spec {
        segmentation: true,
        ..spec(77, 0, 0)
    };
    let part = unseen.anomalous_part(0);
    let verdict = line
        .detect("masks", encode(&part.image(), Format::Png))
        .await
        .unwrap();
    assert_eq!(verdict.is_anomalous(), Some(true), "{verdict:?}");
    let anomalies = verdict.anomalies();
    assert_eq!(anomalies[0].name(), Some("background"));
    let names: Vec<_> = anomalies.iter().filter_map(|a| a.name()).collect();
    assert!(names.len() >= 2, "{names:?}");
    let total: f32 = anomalies
        .iter()
        .map(|a| a.pixel_anomaly().unwrap().total_percentage_area().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 0.01, "areas sum to {total}");
    let mask = image::load_from_memory(verdict.anomaly_mask().unwrap().as_ref()).unwrap();
    assert_eq!((mask.width(), mask.height()), (SIDE, SIDE));
}

#[tokio::test]
async fn a_restarted_emulator_answers_from_the_model_it_saved() {
    let state = tempfile::tempdir().unwrap();
    let line = Line::start_with(Some(state.path().join("state.json"))).await;
    let set = write_set(&spec(51, 20, 10), line.s3(), BUCKET, "parts").unwrap();
    line.project("saved", &set, None).await;
    let model = line.train("saved", BUCKET).await;
    assert_eq!(model.status(), Some(&ModelStatus::Trained));
    line.host("saved").await;
    let unseen = spec(98, 0, 0);
    let defective = encode(&unseen.anomalous_part(0).image(), Format::Png);
    let normal = encode(&unseen.normal_part(0).image(), Format::Png);
    let before = (
        line.detect("saved", defective.clone()).await.unwrap(),
        line.detect("saved", normal.clone()).await.unwrap(),
    );
    assert_eq!(before.0.is_anomalous(), Some(true), "{before:?}");
    assert_eq!(before.1.is_anomalous(), Some(false), "{before:?}");

    let line = line.restarted().await;
    let after = (
        line.detect("saved", defective).await.unwrap(),
        line.detect("saved", normal).await.unwrap(),
    );
    assert_eq!(after, before);
}
