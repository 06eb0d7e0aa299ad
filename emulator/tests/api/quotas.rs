//! Service quotas through the SDK: each operation that declares ServiceQuotaExceededException
//! answers it (402, with `QuotaCode` and `ServiceCode`) once its quota is reached, and the
//! refused call changes nothing.

use aws_sdk_lookoutvision::error::ProvideErrorMetadata as _;
use aws_sdk_lookoutvision::types::{
    GreengrassConfiguration, ModelPackagingConfiguration, ResourceType, S3Location, TargetDevice,
};
use lookoutvision_emulator::{Config, Quotas};

use crate::support::{create_model, create_project, create_trainable_project, Harness};

/// An emulator on a manual clock whose quotas are `quotas`.
async fn harness(quotas: Quotas) -> Harness {
    Harness::start_with(Config {
        quotas,
        ..Config::default()
    })
    .await
}

/// Asserts that `$call` failed with ServiceQuotaExceededException for `$code`, naming
/// `$kind` `$id`.
macro_rules! quota_exceeded {
    ($call:expr, $error:ident, $code:expr, $kind:expr, $id:expr) => {{
        let err = $call
            .send()
            .await
            .expect_err("the quota is reached")
            .into_service_error();
        let $error::ServiceQuotaExceededException(e) = &err else {
            panic!("expected ServiceQuotaExceededException, got {err:?}");
        };
        assert_eq!(e.quota_code(), Some($code), "{e:?}");
        assert_eq!(e.service_code(), Some("lookoutvision"), "{e:?}");
        assert_eq!(
            (e.resource_type(), e.resource_id()),
            (Some(&$kind), Some($id)),
            "{e:?}"
        );
        assert!(err.message().unwrap_or_default().contains($code), "{err:?}");
    }};
}

#[tokio::test]
async fn create_project_stops_at_the_project_quota() {
    use aws_sdk_lookoutvision::operation::create_project::CreateProjectError;
    let h = harness(Quotas {
        projects: 2,
        ..Quotas::default()
    })
    .await;
    create_project(&h.client, "a").await;
    create_project(&h.client, "b").await;
    quota_exceeded!(
        h.client.create_project().project_name("c"),
        CreateProjectError,
        "L-4C560001",
        ResourceType::Project,
        "c"
    );
    let listed = h.client.list_projects().send().await.unwrap();
    assert_eq!(listed.projects().len(), 2);
}

#[tokio::test]
async fn create_model_stops_at_the_version_and_training_quotas() {
    use aws_sdk_lookoutvision::operation::create_model::CreateModelError;
    let h = harness(Quotas {
        models_per_project: 2,
        concurrent_trainings: 1,
        ..Quotas::default()
    })
    .await;
    create_trainable_project(&h.client, "p1").await;
    create_trainable_project(&h.client, "p2").await;
    create_model(&h.client, "p1").await;
    // One model trains: a second training anywhere waits for it.
    quota_exceeded!(
        h.client
            .create_model()
            .project_name("p2")
            .output_config(crate::support::output_config()),
        CreateModelError,
        "L-4C560003",
        ResourceType::Project,
        "p2"
    );
    h.step();
    create_model(&h.client, "p1").await;
    h.step();
    quota_exceeded!(
        h.client
            .create_model()
            .project_name("p1")
            .output_config(crate::support::output_config()),
        CreateModelError,
        "L-4C560002",
        ResourceType::Project,
        "p1"
    );
    let models = h
        .client
        .list_models()
        .project_name("p1")
        .send()
        .await
        .unwrap();
    assert_eq!(models.models().len(), 2, "the refused call created nothing");
}

#[tokio::test]
async fn start_model_stops_at_the_inference_unit_and_running_model_quotas() {
    use aws_sdk_lookoutvision::operation::start_model::StartModelError;
    let h = harness(Quotas {
        inference_units: 3,
        running_models: 1,
        ..Quotas::default()
    })
    .await;
    create_trainable_project(&h.client, "p1").await;
    create_model(&h.client, "p1").await;
    h.step();
    create_model(&h.client, "p1").await;
    h.step();
    let start = |version: &str| {
        h.client
            .start_model()
            .project_name("p1")
            .model_version(version)
    };
    quota_exceeded!(
        start("1").min_inference_units(1_000_000),
        StartModelError,
        "L-4C560004",
        ResourceType::Model,
        "1"
    );
    quota_exceeded!(
        start("1").min_inference_units(1).max_inference_units(4),
        StartModelError,
        "L-4C560004",
        ResourceType::Model,
        "1"
    );
    start("1").min_inference_units(3).send().await.unwrap();
    quota_exceeded!(
        start("2").min_inference_units(1),
        StartModelError,
        "L-4C560005",
        ResourceType::Model,
        "2"
    );
    // A model that is already running is a conflict, not a quota matter.
    let again = start("1").min_inference_units(1).send().await;
    let err = again.expect_err("already starting").into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
}

#[tokio::test]
async fn start_model_packaging_job_stops_at_the_job_quota() {
    use aws_sdk_lookoutvision::operation::start_model_packaging_job::StartModelPackagingJobError;
    let h = harness(Quotas {
        concurrent_packaging_jobs: 1,
        ..Quotas::default()
    })
    .await;
    create_trainable_project(&h.client, "p1").await;
    create_model(&h.client, "p1").await;
    h.step();
    let job = |component: &str| {
        let greengrass = GreengrassConfiguration::builder()
            .component_name(component)
            .target_device(TargetDevice::JetsonXavier)
            .s3_output_location(S3Location::builder().bucket("output-bucket").build())
            .build();
        h.client
            .start_model_packaging_job()
            .project_name("p1")
            .model_version("1")
            .configuration(
                ModelPackagingConfiguration::builder()
                    .greengrass(greengrass)
                    .build(),
            )
    };
    job("first").send().await.unwrap();
    quota_exceeded!(
        job("second"),
        StartModelPackagingJobError,
        "L-4C560006",
        ResourceType::Model,
        "1"
    );
    h.step();
    job("second").send().await.unwrap();
}

#[tokio::test]
async fn a_missing_project_is_not_found_before_any_quota() {
    let h = harness(Quotas {
        models_per_project: 0,
        ..Quotas::default()
    })
    .await;
    create_project(&h.client, "exists").await;
    let err = h
        .client
        .create_model()
        .project_name("missing")
        .output_config(crate::support::output_config())
        .send()
        .await
        .expect_err("no such project")
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
}
