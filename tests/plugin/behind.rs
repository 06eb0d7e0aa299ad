//! Objects made behind Terraform's back, through the SDK, for the protocol tests to import, list
//! and move: projects, a trained model with its train dataset.

use std::time::{Duration, Instant};

use aws_sdk_lookoutvision::types::{
    DatasetGroundTruthManifest, DatasetSource, DatasetStatus, InputS3Object, ModelStatus,
    OutputConfig, S3Location,
};
use harness::Emulator;

/// An emulator whose datasets and trainings finish at once.
pub fn fast_emulator() -> Emulator {
    Emulator::start_with(&["--dataset-duration", "0s", "--training-duration", "0s"])
}

/// Creates the projects named.
pub async fn projects(emulator: &Emulator, names: impl IntoIterator<Item = String>) {
    let sdk = emulator.sdk();
    for name in names {
        sdk.create_project()
            .project_name(&name)
            .send()
            .await
            .unwrap_or_else(|err| panic!("project {name} is not created: {err:?}"));
    }
}

/// Creates project `project` with a train dataset (from a manifest) and an empty test dataset,
/// then trains `models` model versions (1, 2, ...) with output in bucket `output`.
pub async fn trained_project(emulator: &Emulator, project: &str, models: usize) {
    projects(emulator, [project.to_owned()]).await;
    let sdk = emulator.sdk();
    let manifest = InputS3Object::builder()
        .bucket("images")
        .key("train.manifest")
        .build();
    sdk.create_dataset()
        .project_name(project)
        .dataset_type("train")
        .dataset_source(
            DatasetSource::builder()
                .ground_truth_manifest(
                    DatasetGroundTruthManifest::builder()
                        .s3_object(manifest)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("the train dataset is created");
    sdk.create_dataset()
        .project_name(project)
        .dataset_type("test")
        .send()
        .await
        .expect("the test dataset is created");
    settle(|| async {
        let described = sdk
            .describe_dataset()
            .project_name(project)
            .dataset_type("train")
            .send()
            .await
            .expect("the dataset is described");
        described.dataset_description().and_then(|d| d.status())
            == Some(&DatasetStatus::CreateComplete)
    })
    .await;
    for version in 1..=models {
        let output = OutputConfig::builder()
            .s3_location(S3Location::builder().bucket("output").build())
            .build();
        sdk.create_model()
            .project_name(project)
            .output_config(output)
            .send()
            .await
            .expect("the model is created");
        settle(|| async {
            let described = sdk
                .describe_model()
                .project_name(project)
                .model_version(version.to_string())
                .send()
                .await
                .expect("the model is described");
            described.model_description().and_then(|d| d.status()) == Some(&ModelStatus::Trained)
        })
        .await;
    }
}

/// Polls `done` until it holds, for at most 20 s.
async fn settle<F, Fut>(done: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done().await {
        assert!(Instant::now() < deadline, "the emulator did not settle");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
