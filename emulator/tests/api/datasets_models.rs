//! The emulator's datasets, models, DetectAnomalies and tagging, driven through the official
//! AWS SDK for Rust against emulators started in-process on a manual clock, so every
//! asynchronous transition is stepped through without sleeping. The admin API is called
//! over plain HTTP.

use std::process::Stdio;
use std::time::Duration;

use aws_sdk_lookoutvision::error::ProvideErrorMetadata;
use aws_sdk_lookoutvision::operation::create_dataset::CreateDatasetError;
use aws_sdk_lookoutvision::operation::delete_dataset::DeleteDatasetError;
use aws_sdk_lookoutvision::operation::delete_model::DeleteModelError;
use aws_sdk_lookoutvision::operation::delete_project::DeleteProjectError;
use aws_sdk_lookoutvision::operation::detect_anomalies::DetectAnomaliesError;
use aws_sdk_lookoutvision::operation::start_model::StartModelError;
use aws_sdk_lookoutvision::operation::stop_model::StopModelError;
use aws_sdk_lookoutvision::operation::update_dataset_entries::UpdateDatasetEntriesError;
use aws_sdk_lookoutvision::primitives::{Blob, ByteStream, DateTime};
use aws_sdk_lookoutvision::types::{
    DatasetStatus, ModelHostingStatus, ModelStatus, OutputConfig, ResourceType, S3Location,
};
use lookoutvision_emulator::clock::Clock;
use lookoutvision_emulator::Config;
use serde_json::{json, Value};

use crate::support::{
    changes, create_model, create_project, create_trainable_project, emulator_command,
    instant_durations, manifest, output_config, png, tag, EmulatorProcess, Harness,
};

const MODEL_ARN_PREFIX: &str = "arn:aws:lookoutvision:us-east-1:123456789012:model/";

/// The service error of a call that must fail.
macro_rules! service_error {
    ($call:expr) => {
        $call.send().await.unwrap_err().into_service_error()
    };
}

/// Asserts that a call fails with ConflictException about a `$kind` resource; returns the
/// message.
macro_rules! conflict {
    ($call:expr, $variant:path, $kind:expr) => {{
        let err = service_error!($call);
        assert!(err.is_conflict_exception(), "{err:?}");
        match err {
            $variant(e) => {
                assert_eq!(e.resource_type(), Some(&$kind), "{e:?}");
                e.message().unwrap_or_default().to_owned()
            }
            other => unreachable!("{other:?}"),
        }
    }};
}

/// These tests' fixtures, on the shared harness (an emulator on a manual clock, and an SDK
/// client pointed at it).
impl Harness {
    /// A project with a complete, empty train dataset, ready for training.
    async fn trainable_project(&self, name: &str) {
        create_trainable_project(&self.client, name).await;
    }

    /// Starts training a model with the usual output location; returns its version.
    async fn create_model(&self, project: &str) -> String {
        let created = create_model(&self.client, project).await;
        let metadata = created.model_metadata().unwrap();
        assert_eq!(metadata.status(), Some(&ModelStatus::Training));
        metadata.model_version().unwrap().to_owned()
    }

    async fn model_status(&self, project: &str, version: &str) -> ModelStatus {
        let described = self
            .client
            .describe_model()
            .project_name(project)
            .model_version(version)
            .send()
            .await
            .unwrap();
        described
            .model_description()
            .unwrap()
            .status()
            .unwrap()
            .clone()
    }

    async fn dataset_status(&self, project: &str, kind: &str) -> DatasetStatus {
        let described = self
            .client
            .describe_dataset()
            .project_name(project)
            .dataset_type(kind)
            .send()
            .await
            .unwrap();
        described
            .dataset_description()
            .unwrap()
            .status()
            .unwrap()
            .clone()
    }
}

#[tokio::test]
async fn datasets_are_created_updated_listed_and_deleted_through_their_lifecycle() {
    let h = Harness::start().await;
    create_project(&h.client, "p1").await;
    let created_at = h.clock.now().epoch_seconds();

    // Without a source the dataset is complete at once; with a manifest it imports.
    let test = h
        .client
        .create_dataset()
        .project_name("p1")
        .dataset_type("test")
        .send()
        .await
        .unwrap();
    assert_eq!(
        test.dataset_metadata().unwrap().status(),
        Some(&DatasetStatus::CreateComplete)
    );
    let train = h
        .client
        .create_dataset()
        .project_name("p1")
        .dataset_type("train")
        .dataset_source(manifest("bucket", "data/train.manifest"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        train.dataset_metadata().unwrap().status(),
        Some(&DatasetStatus::CreateInProgress)
    );
    let message = conflict!(
        h.client
            .create_dataset()
            .project_name("p1")
            .dataset_type("train"),
        CreateDatasetError::ConflictException,
        ResourceType::Dataset
    );
    assert_eq!(message, "The train dataset of project p1 already exists");

    let project = h
        .client
        .describe_project()
        .project_name("p1")
        .send()
        .await
        .unwrap();
    let listed: Vec<_> = project
        .project_description()
        .unwrap()
        .datasets()
        .iter()
        .map(|d| (d.dataset_type().unwrap(), d.status().unwrap().clone()))
        .collect();
    assert_eq!(
        listed,
        [
            ("train", DatasetStatus::CreateInProgress),
            ("test", DatasetStatus::CreateComplete)
        ]
    );

    h.step();
    let described = h
        .client
        .describe_dataset()
        .project_name("p1")
        .dataset_type("train")
        .send()
        .await
        .unwrap();
    let description = described.dataset_description().unwrap();
    assert_eq!(description.status(), Some(&DatasetStatus::CreateComplete));
    assert_eq!(description.project_name(), Some("p1"));
    assert_eq!(
        description.last_updated_timestamp().unwrap().as_secs_f64(),
        created_at + 1.0
    );
    let stats = description.image_stats().unwrap();
    let (total, labeled, normal, anomaly) = (
        stats.total().unwrap(),
        stats.labeled().unwrap(),
        stats.normal().unwrap(),
        stats.anomaly().unwrap(),
    );
    assert!((20..=40).contains(&total), "{stats:?}");
    assert!(
        normal > 0 && anomaly > 0 && labeled == normal + anomaly,
        "{stats:?}"
    );

    // Paging walks every entry; each filter narrows the list.
    let count = |list: aws_sdk_lookoutvision::operation::list_dataset_entries::builders::ListDatasetEntriesFluentBuilder| async move {
        let entries: Vec<String> = list
            .project_name("p1")
            .dataset_type("train")
            .into_paginator()
            .page_size(7)
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .unwrap();
        entries.len() as i32
    };
    assert_eq!(count(h.client.list_dataset_entries()).await, total);
    assert_eq!(
        count(h.client.list_dataset_entries().labeled(true)).await,
        labeled
    );
    assert_eq!(
        count(h.client.list_dataset_entries().labeled(false)).await,
        total - labeled
    );
    assert_eq!(
        count(h.client.list_dataset_entries().anomaly_class("anomaly")).await,
        anomaly
    );
    assert_eq!(
        count(
            h.client
                .list_dataset_entries()
                .source_ref_contains("images/00")
        )
        .await,
        10
    );

    // An update replaces entries by source-ref and adds new ones.
    h.clock.advance(Duration::from_secs(5));
    let updated = h
        .client
        .update_dataset_entries()
        .project_name("p1")
        .dataset_type("train")
        .changes(changes(&[
            json!({"source-ref": "s3://bucket/data/images/000.jpg", "anomaly-label": 1, "anomaly-label-metadata": {"class-name": "anomaly"}}),
            json!({"source-ref": "s3://bucket/data/new/extra.jpg"}),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), Some(&DatasetStatus::UpdateInProgress));
    assert_eq!(
        h.dataset_status("p1", "train").await,
        DatasetStatus::UpdateInProgress
    );
    let message = conflict!(
        h.client
            .update_dataset_entries()
            .project_name("p1")
            .dataset_type("train")
            .changes(changes(&[json!({"source-ref": "s3://bucket/x.jpg"})])),
        UpdateDatasetEntriesError::ConflictException,
        ResourceType::Dataset
    );
    assert!(message.contains("UPDATE_IN_PROGRESS"), "{message}");
    h.step();
    let described = h
        .client
        .describe_dataset()
        .project_name("p1")
        .dataset_type("train")
        .send()
        .await
        .unwrap();
    let description = described.dataset_description().unwrap();
    assert_eq!(description.status(), Some(&DatasetStatus::UpdateComplete));
    let stats = description.image_stats().unwrap();
    assert_eq!(
        (
            stats.total(),
            stats.labeled(),
            stats.normal(),
            stats.anomaly()
        ),
        (
            Some(total + 1),
            Some(labeled),
            Some(normal - 1),
            Some(anomaly + 1)
        )
    );
    let since = DateTime::from_secs_f64(created_at + 2.0);
    assert_eq!(
        count(h.client.list_dataset_entries().after_creation_date(since)).await,
        2
    );
    assert_eq!(
        count(h.client.list_dataset_entries().before_creation_date(since)).await,
        total - 1
    );

    let err = service_error!(h
        .client
        .update_dataset_entries()
        .project_name("p1")
        .dataset_type("train")
        .changes(Blob::new(
            "{\"source-ref\":\"s3://bucket/ok.jpg\"}\nnot json\n"
        )));
    assert!(err.is_validation_exception(), "{err:?}");
    assert!(
        err.message().unwrap().contains("Line 2 of 'changes'"),
        "{err:?}"
    );

    // Deleting takes the delete duration; the type cannot be re-created meanwhile.
    h.client
        .delete_dataset()
        .project_name("p1")
        .dataset_type("test")
        .send()
        .await
        .unwrap();
    assert_eq!(
        h.dataset_status("p1", "test").await,
        DatasetStatus::DeleteInProgress
    );
    let message = conflict!(
        h.client
            .create_dataset()
            .project_name("p1")
            .dataset_type("test"),
        CreateDatasetError::ConflictException,
        ResourceType::Dataset
    );
    assert!(message.contains("still being deleted"), "{message}");
    h.step();
    let err = service_error!(h
        .client
        .describe_dataset()
        .project_name("p1")
        .dataset_type("test"));
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let project = h
        .client
        .describe_project()
        .project_name("p1")
        .send()
        .await
        .unwrap();
    assert_eq!(project.project_description().unwrap().datasets().len(), 1);
    h.client
        .create_dataset()
        .project_name("p1")
        .dataset_type("test")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn models_train_host_detect_stop_and_are_deleted_without_reusing_versions() {
    let h = Harness::start().await;
    create_project(&h.client, "p1").await;
    let err = service_error!(h
        .client
        .create_model()
        .project_name("p1")
        .output_config(output_config()));
    assert!(err.is_validation_exception(), "{err:?}");
    assert!(
        err.message().unwrap().contains("no train dataset"),
        "{err:?}"
    );
    h.client
        .create_dataset()
        .project_name("p1")
        .dataset_type("train")
        .send()
        .await
        .unwrap();

    let created_at = h.clock.now().epoch_seconds();
    let created = h
        .client
        .create_model()
        .project_name("p1")
        .description("first-model")
        .output_config(output_config())
        .tags(tag("team", "vision"))
        .send()
        .await
        .unwrap();
    let metadata = created.model_metadata().unwrap();
    assert_eq!(metadata.model_version(), Some("1"));
    assert_eq!(
        metadata.model_arn(),
        Some(format!("{MODEL_ARN_PREFIX}p1/1").as_str())
    );
    assert_eq!(metadata.description(), Some("first-model"));
    assert_eq!(metadata.performance(), None);
    assert_eq!(h.create_model("p1").await, "2");

    // Nothing but waiting is allowed while training.
    conflict!(
        h.client
            .delete_model()
            .project_name("p1")
            .model_version("1"),
        DeleteModelError::ConflictException,
        ResourceType::Model
    );
    conflict!(
        h.client
            .start_model()
            .project_name("p1")
            .model_version("1")
            .min_inference_units(1),
        StartModelError::ConflictException,
        ResourceType::Model
    );
    conflict!(
        h.client
            .delete_dataset()
            .project_name("p1")
            .dataset_type("train"),
        DeleteDatasetError::ConflictException,
        ResourceType::Dataset
    );

    h.step();
    let described = h
        .client
        .describe_model()
        .project_name("p1")
        .model_version("1")
        .send()
        .await
        .unwrap();
    let model = described.model_description().unwrap();
    assert_eq!(model.status(), Some(&ModelStatus::Trained));
    let performance = model.performance().unwrap();
    for score in [
        performance.f1_score(),
        performance.precision(),
        performance.recall(),
    ] {
        assert!(score.is_some_and(|s| s > 0.0 && s < 1.0), "{performance:?}");
    }
    let manifest = model.evaluation_manifest().unwrap();
    assert_eq!(
        (manifest.bucket(), manifest.key()),
        (
            Some("model-output"),
            Some("runs/EvaluationManifest-p1-1.json")
        )
    );
    assert_eq!(
        model.evaluation_result().unwrap().key(),
        Some("runs/EvaluationResult-p1-1.json")
    );
    assert_eq!(
        model.evaluation_end_timestamp().unwrap().as_secs_f64(),
        created_at + 1.0
    );
    assert_eq!(
        model
            .output_config()
            .unwrap()
            .s3_location()
            .unwrap()
            .prefix(),
        Some("runs/")
    );
    // The same project and version always score the same.
    let again = h
        .client
        .describe_model()
        .project_name("p1")
        .model_version("1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.model_description().unwrap().performance(),
        Some(performance)
    );

    // ListModels pages by version; `latest` is the highest.
    let pages: Vec<_> = h
        .client
        .list_models()
        .project_name("p1")
        .into_paginator()
        .page_size(1)
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let versions: Vec<_> = pages
        .iter()
        .flat_map(|page| page.models())
        .map(|m| m.model_version().unwrap())
        .collect();
    assert_eq!((pages.len(), versions), (2, vec!["1", "2"]));
    assert_eq!(h.model_status("p1", "latest").await, ModelStatus::Trained);
    let latest = h
        .client
        .describe_model()
        .project_name("p1")
        .model_version("latest")
        .send()
        .await
        .unwrap();
    assert_eq!(
        latest.model_description().unwrap().model_version(),
        Some("2")
    );

    // Hosting.
    let started = h
        .client
        .start_model()
        .project_name("p1")
        .model_version("1")
        .min_inference_units(1)
        .max_inference_units(3)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), Some(&ModelHostingStatus::StartingHosting));
    let image = png(0);
    let detect = |bytes: Vec<u8>| {
        h.client
            .detect_anomalies()
            .project_name("p1")
            .model_version("1")
            .content_type("image/png")
            .body(ByteStream::from(bytes))
    };
    let message = conflict!(
        detect(image.clone()),
        DetectAnomaliesError::ConflictException,
        ResourceType::Model
    );
    assert!(message.contains("STARTING_HOSTING"), "{message}");
    h.step();
    let described = h
        .client
        .describe_model()
        .project_name("p1")
        .model_version("1")
        .send()
        .await
        .unwrap();
    let model = described.model_description().unwrap();
    assert_eq!(model.status(), Some(&ModelStatus::Hosted));
    assert_eq!(
        (model.min_inference_units(), model.max_inference_units()),
        (Some(1), Some(3))
    );
    conflict!(
        h.client
            .delete_model()
            .project_name("p1")
            .model_version("1"),
        DeleteModelError::ConflictException,
        ResourceType::Model
    );

    // Detection is a function of the image bytes.
    let mut seen = (None, None);
    for i in 0..16u8 {
        let mut bytes = image.clone();
        bytes.push(i);
        let first = detect(bytes.clone()).send().await.unwrap();
        let second = detect(bytes).send().await.unwrap();
        let result = first.detect_anomaly_result().unwrap();
        assert_eq!(Some(result), second.detect_anomaly_result());
        assert_eq!(result.source().unwrap().r#type(), Some("direct"));
        let confidence = result.confidence().unwrap();
        assert!((0.5..1.0).contains(&confidence), "{result:?}");
        if result.is_anomalous() == Some(true) {
            let areas: Vec<_> = result
                .anomalies()
                .iter()
                .map(|a| {
                    (
                        a.name().unwrap(),
                        a.pixel_anomaly().unwrap().total_percentage_area().unwrap(),
                    )
                })
                .collect();
            assert_eq!(
                (areas[0].0, areas[1].0),
                ("background", "anomaly"),
                "{areas:?}"
            );
            assert!((areas[0].1 + areas[1].1 - 1.0).abs() < 1e-6, "{areas:?}");
            assert!(result
                .anomaly_mask()
                .unwrap()
                .as_ref()
                .starts_with(b"\x89PNG\r\n\x1a\n"));
            seen.0 = Some(i);
        } else {
            assert!(result.anomalies().is_empty() && result.anomaly_mask().is_none());
            seen.1 = Some(i);
        }
    }
    assert!(seen.0.is_some() && seen.1.is_some(), "{seen:?}");
    let err = service_error!(h
        .client
        .detect_anomalies()
        .project_name("p1")
        .model_version("1")
        .content_type("image/gif")
        .body(ByteStream::from(image.clone())));
    assert!(err.is_validation_exception(), "{err:?}");

    // Stopping returns the model to TRAINED.
    let stopped = h
        .client
        .stop_model()
        .project_name("p1")
        .model_version("1")
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status(), Some(&ModelHostingStatus::StoppingHosting));
    conflict!(
        h.client.stop_model().project_name("p1").model_version("1"),
        StopModelError::ConflictException,
        ResourceType::Model
    );
    h.step();
    assert_eq!(h.model_status("p1", "1").await, ModelStatus::Trained);
    conflict!(
        h.client.stop_model().project_name("p1").model_version("1"),
        StopModelError::ConflictException,
        ResourceType::Model
    );

    // Deleting: DELETING while listed, then gone; DeleteProject waits for it.
    let err = service_error!(h
        .client
        .delete_model()
        .project_name("p1")
        .model_version("latest"));
    assert!(err.is_validation_exception(), "{err:?}");
    let deleted = h
        .client
        .delete_model()
        .project_name("p1")
        .model_version("2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.model_arn(),
        Some(format!("{MODEL_ARN_PREFIX}p1/2").as_str())
    );
    let listed = h
        .client
        .list_models()
        .project_name("p1")
        .send()
        .await
        .unwrap();
    let statuses: Vec<_> = listed
        .models()
        .iter()
        .map(|m| m.status().unwrap().clone())
        .collect();
    assert_eq!(statuses, [ModelStatus::Trained, ModelStatus::Deleting]);
    assert_eq!(
        h.client
            .describe_model()
            .project_name("p1")
            .model_version("latest")
            .send()
            .await
            .unwrap()
            .model_description()
            .unwrap()
            .model_version(),
        Some("1")
    );
    h.step();
    let err = service_error!(h
        .client
        .describe_model()
        .project_name("p1")
        .model_version("2"));
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_eq!(h.create_model("p1").await, "3");
    h.step();

    h.client
        .delete_dataset()
        .project_name("p1")
        .dataset_type("train")
        .send()
        .await
        .unwrap();
    for version in ["1", "3"] {
        h.client
            .delete_model()
            .project_name("p1")
            .model_version(version)
            .send()
            .await
            .unwrap();
    }
    let message = conflict!(
        h.client.delete_project().project_name("p1"),
        DeleteProjectError::ConflictException,
        ResourceType::Project
    );
    assert!(message.contains("1 dataset(s) and 2 model(s)"), "{message}");
    h.step();
    h.client
        .delete_project()
        .project_name("p1")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn model_tags_are_managed_through_the_percent_encoded_arn() {
    let h = Harness::start().await;
    h.trainable_project("p1").await;
    h.client
        .create_model()
        .project_name("p1")
        .output_config(output_config())
        .tags(tag("team", "vision"))
        .tags(tag("cost-center", "42"))
        .send()
        .await
        .unwrap();
    let arn = format!("{MODEL_ARN_PREFIX}p1/1");
    let client = &h.client;
    let tags = |arn: String| async move {
        let listed = client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .unwrap();
        listed
            .tags()
            .iter()
            .map(|t| format!("{}={}", t.key().unwrap(), t.value().unwrap()))
            .collect::<Vec<_>>()
    };
    assert_eq!(tags(arn.clone()).await, ["cost-center=42", "team=vision"]);

    h.client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("team", "ml"))
        .tags(tag("stage", ""))
        .send()
        .await
        .unwrap();
    h.client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("cost-center")
        .tag_keys("not-there")
        .send()
        .await
        .unwrap();
    assert_eq!(tags(arn.clone()).await, ["stage=", "team=ml"]);

    // The ARN travelled as one percent-encoded path segment.
    let (_, log) = h.admin_answer("GET", "/_emulator/requests", "").await;
    let paths: Vec<_> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["operation"] == "UntagResource")
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        paths[0].starts_with("/2020-11-20/tags/arn%3Aaws%3Alookoutvision%3Aus-east-1%3A123456789012%3Amodel%2Fp1%2F1?"),
        "{paths:?}"
    );
    assert!(
        paths[0].contains("tagKeys=cost-center&tagKeys=not-there"),
        "{paths:?}"
    );

    for unknown in [
        format!("{MODEL_ARN_PREFIX}p1/2"),
        "arn:aws:lookoutvision:us-east-1:123456789012:project/p1".to_owned(),
    ] {
        let err = service_error!(h.client.list_tags_for_resource().resource_arn(&unknown));
        assert!(err.is_resource_not_found_exception(), "{unknown}: {err:?}");
    }
    let err = service_error!(h
        .client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("bad*key", "x")));
    assert!(err.is_validation_exception(), "{err:?}");
    assert!(
        err.message().unwrap().contains("'tags.1.member.key'"),
        "{err:?}"
    );
    let mut too_many = h.client.tag_resource().resource_arn(&arn);
    for i in 0..199 {
        too_many = too_many.tags(tag(&format!("k{i}"), "v"));
    }
    let err = service_error!(too_many);
    assert!(err.is_validation_exception(), "{err:?}");
    assert!(err.message().unwrap().contains("at most 200"), "{err:?}");
    assert_eq!(tags(arn).await.len(), 2);
}

#[tokio::test]
async fn armed_failures_end_training_and_hosting_in_their_failed_states() {
    let h = Harness::start().await;
    h.trainable_project("p1").await;
    h.trainable_project("p2").await;

    let (status, armed) = h
        .admin_answer(
            "POST",
            "/_emulator/fail-next-training",
            r#"{"project": "p1", "message": "Not enough anomalous images"}"#,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        armed,
        json!({"kind": "training", "project": "p1", "message": "Not enough anomalous images"})
    );
    // Scoped to p1: training in p2 is unaffected.
    assert_eq!(h.create_model("p2").await, "1");
    assert_eq!(h.create_model("p1").await, "1");
    h.step();
    assert_eq!(h.model_status("p2", "1").await, ModelStatus::Trained);
    let described = h
        .client
        .describe_model()
        .project_name("p1")
        .model_version("1")
        .send()
        .await
        .unwrap();
    let model = described.model_description().unwrap();
    assert_eq!(model.status(), Some(&ModelStatus::TrainingFailed));
    assert_eq!(model.status_message(), Some("Not enough anomalous images"));
    assert_eq!(model.performance(), None);
    conflict!(
        h.client
            .start_model()
            .project_name("p1")
            .model_version("1")
            .min_inference_units(1),
        StartModelError::ConflictException,
        ResourceType::Model
    );
    // A failed model can be deleted; the failure was used up.
    h.client
        .delete_model()
        .project_name("p1")
        .model_version("1")
        .send()
        .await
        .unwrap();
    assert_eq!(h.create_model("p1").await, "2");
    h.step();
    assert_eq!(h.model_status("p1", "2").await, ModelStatus::Trained);

    let (status, armed) = h
        .admin_answer("POST", "/_emulator/fail-next-hosting", "")
        .await;
    assert_eq!((status, armed["project"].clone()), (200, Value::Null));
    h.client
        .start_model()
        .project_name("p1")
        .model_version("2")
        .min_inference_units(1)
        .send()
        .await
        .unwrap();
    h.step();
    let described = h
        .client
        .describe_model()
        .project_name("p1")
        .model_version("2")
        .send()
        .await
        .unwrap();
    let model = described.model_description().unwrap();
    assert_eq!(model.status(), Some(&ModelStatus::HostingFailed));
    assert_eq!(model.status_message(), armed["message"].as_str());
    conflict!(
        h.client.stop_model().project_name("p1").model_version("2"),
        StopModelError::ConflictException,
        ResourceType::Model
    );
    // Hosting can be retried after a failure.
    h.client
        .start_model()
        .project_name("p1")
        .model_version("2")
        .min_inference_units(1)
        .send()
        .await
        .unwrap();
    h.step();
    assert_eq!(h.model_status("p1", "2").await, ModelStatus::Hosted);

    let (status, body) = h
        .admin_answer(
            "POST",
            "/_emulator/fail-next-training",
            r#"{"projet": "typo"}"#,
        )
        .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn start_model_and_create_model_inputs_are_validated() {
    let h = Harness::start().await;
    h.trainable_project("p1").await;
    let version = h.create_model("p1").await;
    h.step();
    for (min, max, expected) in [
        (0, None, "Value '0' at 'minInferenceUnits'"),
        (2, Some(1), "Value '1' at 'maxInferenceUnits' failed to satisfy constraint: Member must be greater than or equal to minInferenceUnits (2)"),
        (1, Some(0), "Value '0' at 'maxInferenceUnits'"),
    ] {
        let err = service_error!(h
            .client
            .start_model()
            .project_name("p1")
            .model_version(&version)
            .min_inference_units(min)
            .set_max_inference_units(max));
        assert!(err.is_validation_exception(), "{err:?}");
        assert!(err.message().unwrap().contains(expected), "{err:?}");
    }
    let err = service_error!(h.client.start_model().project_name("p1").model_version("1"));
    assert!(
        err.message()
            .unwrap()
            .contains("Value null at 'minInferenceUnits'"),
        "{err:?}"
    );

    let err = service_error!(h
        .client
        .create_model()
        .project_name("p1")
        .description("has spaces")
        .output_config(
            OutputConfig::builder()
                .s3_location(S3Location::builder().bucket("b").build())
                .build()
        ));
    assert!(err.is_validation_exception(), "{err:?}");
    let message = err.message().unwrap();
    assert!(
        message.starts_with("2 validation errors detected: Value 'has spaces' at 'description'"),
        "{message}"
    );
    assert!(
        message.contains("Value 'b' at 'outputConfig.s3Location.bucket'"),
        "{message}"
    );
    let err = service_error!(h.client.create_model().project_name("p1"));
    assert!(
        err.message()
            .unwrap()
            .contains("Value null at 'outputConfig'"),
        "{err:?}"
    );

    let err = service_error!(h
        .client
        .describe_model()
        .project_name("p1")
        .model_version("0"));
    assert!(err.is_validation_exception(), "{err:?}");
    let err = service_error!(h
        .client
        .describe_model()
        .project_name("p1")
        .model_version("9"));
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    // Failed calls train nothing: the next version is still 2.
    assert_eq!(h.create_model("p1").await, "2");
}

#[tokio::test]
async fn the_state_dump_advances_lazily_and_the_request_log_covers_every_operation() {
    let h = Harness::start().await;
    h.trainable_project("p1").await;
    h.client
        .create_dataset()
        .project_name("p1")
        .dataset_type("test")
        .dataset_source(manifest("bucket", "test.manifest"))
        .send()
        .await
        .unwrap();
    h.step();
    h.create_model("p1").await;

    let (_, state) = h.admin_answer("GET", "/_emulator/state", "").await;
    let project = &state["projects"][0];
    assert_eq!(project["datasets"][0]["dataset_type"], "train");
    assert_eq!(project["datasets"][0]["entry_count"], 0);
    assert_eq!(project["datasets"][1]["status"], "CREATE_COMPLETE");
    assert!(project["datasets"][1]["entry_count"].as_u64().unwrap() >= 20);
    assert_eq!(project["models"][0]["status"], "TRAINING");

    // No API call in between: the dump itself sees the training finish.
    h.step();
    let (_, state) = h.admin_answer("GET", "/_emulator/state", "").await;
    let model = &state["projects"][0]["models"][0];
    assert_eq!(
        (model["version"].clone(), model["status"].clone()),
        (json!(1), json!("TRAINED"))
    );
    assert_eq!(model["tags"], json!({}));

    let (_, log) = h.admin_answer("GET", "/_emulator/requests", "").await;
    assert_eq!(
        log["counts"],
        json!({"CreateProject": {"200": 1}, "CreateDataset": {"202": 2}, "CreateModel": {"202": 1}})
    );
}

#[tokio::test]
async fn zero_durations_mean_the_next_request_sees_the_final_state() {
    let h = Harness::start_with(Config {
        durations: instant_durations(),
        ..Config::default()
    })
    .await;
    create_project(&h.client, "p1").await;
    let created = h
        .client
        .create_dataset()
        .project_name("p1")
        .dataset_type("train")
        .dataset_source(manifest("bucket", "train.manifest"))
        .send()
        .await
        .unwrap();
    // The answer itself still shows where the change started.
    assert_eq!(
        created.dataset_metadata().unwrap().status(),
        Some(&DatasetStatus::CreateInProgress)
    );
    assert_eq!(
        h.dataset_status("p1", "train").await,
        DatasetStatus::CreateComplete
    );
    let version = h.create_model("p1").await;
    assert_eq!(h.model_status("p1", &version).await, ModelStatus::Trained);
    h.client
        .start_model()
        .project_name("p1")
        .model_version(&version)
        .min_inference_units(1)
        .send()
        .await
        .unwrap();
    assert_eq!(h.model_status("p1", &version).await, ModelStatus::Hosted);
    h.client
        .stop_model()
        .project_name("p1")
        .model_version(&version)
        .send()
        .await
        .unwrap();
    h.client
        .delete_model()
        .project_name("p1")
        .model_version(&version)
        .send()
        .await
        .unwrap();
    let listed = h
        .client
        .list_models()
        .project_name("p1")
        .send()
        .await
        .unwrap();
    assert!(listed.models().is_empty());
}

#[tokio::test]
async fn the_binary_takes_transition_durations_from_its_flags() {
    let bad = emulator_command(&["--training-duration", "5x"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!bad.success());

    let emulator = EmulatorProcess::start(&[
        "--dataset-duration",
        "0s",
        "--training-duration",
        "0s",
        "--hosting-duration",
        "2m",
        "--delete-duration",
        "500ms",
    ]);
    let client = emulator.client();
    create_trainable_project(&client, "p1").await;
    create_model(&client, "p1").await;
    let described = client
        .describe_model()
        .project_name("p1")
        .model_version("1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.model_description().unwrap().status(),
        Some(&ModelStatus::Trained)
    );
    client
        .start_model()
        .project_name("p1")
        .model_version("1")
        .min_inference_units(1)
        .send()
        .await
        .unwrap();
    let described = client
        .describe_model()
        .project_name("p1")
        .model_version("1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.model_description().unwrap().status(),
        Some(&ModelStatus::StartingHosting)
    );

    // End the process this test started, by its own id.
    emulator.terminate();
}

#[tokio::test]
async fn dataset_deletion_can_be_timed_apart_from_model_deletion() {
    let emulator = crate::support::EmulatorProcess::start(&[
        "--dataset-duration",
        "0s",
        "--training-duration",
        "0s",
        "--delete-duration",
        "30s",
        "--dataset-delete-duration",
        "0s",
    ]);
    let client = emulator.client();
    crate::support::create_project(&client, "timed").await;
    client
        .create_dataset()
        .project_name("timed")
        .dataset_type("train")
        .send()
        .await
        .expect("an empty dataset");
    client
        .create_model()
        .project_name("timed")
        .output_config(crate::support::output_config())
        .send()
        .await
        .expect("a model");
    client
        .delete_model()
        .project_name("timed")
        .model_version("1")
        .send()
        .await
        .expect("the model deletion starts");
    let model = client
        .describe_model()
        .project_name("timed")
        .model_version("1")
        .send()
        .await
        .expect("the model is still there");
    assert_eq!(
        model
            .model_description()
            .and_then(|d| d.status())
            .map(|s| s.as_str()),
        Some("DELETING"),
        "the model takes --delete-duration"
    );
    // A dataset cannot go while a model of its project is being deleted; a fresh project's
    // dataset shows the dataset's own, separate duration.
    crate::support::create_project(&client, "other").await;
    client
        .create_dataset()
        .project_name("other")
        .dataset_type("train")
        .send()
        .await
        .expect("an empty dataset");
    client
        .delete_dataset()
        .project_name("other")
        .dataset_type("train")
        .send()
        .await
        .expect("the dataset deletion starts");
    let gone = client
        .describe_dataset()
        .project_name("other")
        .dataset_type("train")
        .send()
        .await
        .expect_err("the dataset is gone at once");
    assert!(gone.into_service_error().is_resource_not_found_exception());
    emulator.kill();
}
