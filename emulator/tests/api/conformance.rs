//! Conformance of the emulator to the Lookout for Vision API, as the official AWS SDK for
//! Rust sees it. One module per operation (all 22), each a checklist:
//!
//! - `success_shape`: every documented output member is present, decoded by the SDK into
//!   its documented type, with the value the emulator documents;
//! - one test per documented error the emulator can produce for the operation, asserted
//!   through the SDK's typed error and its members (`resource_type`, `resource_id`).
//!
//! Documented errors that the emulator never produces by its own rules, and why:
//! - `AccessDeniedException`, `ThrottlingException`, `InternalServerException` (every
//!   operation): credentials are not checked and nothing is rate limited or breaks;
//! - `ServiceQuotaExceededException` of CreateDataset and TagResource: a project has at most
//!   one dataset of each type (a ConflictException), and the 200-tag limit is a
//!   ValidationException. The other four operations that declare it meet their quotas in
//!   `quotas.rs`;
//! - `ConflictException` of the read-only operations (DescribeProject, ListProjects,
//!   DescribeDataset, ListDatasetEntries, DescribeModel, ListModels, ListTagsForResource)
//!   and of TagResource and UntagResource: reading or tagging never changes a resource's
//!   lifecycle, so nothing can become inconsistent (DescribeModelPackagingJob and
//!   ListModelPackagingJobs do not document it);
//! - `ResourceNotFoundException` of CreateProject and ListProjects: they name no resource.

use aws_sdk_lookoutvision::primitives::ByteStream;
use aws_sdk_lookoutvision::types::{
    DatasetStatus, GreengrassConfiguration, ModelHostingStatus, ModelPackagingConfiguration,
    ModelPackagingJobStatus, ModelStatus, OutputConfig, ResourceType, S3Location, TargetDevice,
    TargetPlatform, TargetPlatformAccelerator, TargetPlatformArch, TargetPlatformOs,
};
use serde_json::{json, Value};

use crate::support::{
    changes, create_model, create_project, create_trainable_project, jpeg, manifest, output_config,
    png, raw_http, tag, Harness, STEP,
};

const ARN_PREFIX: &str = "arn:aws:lookoutvision:us-east-1:123456789012:";

/// The typed service error of a call that must fail.
macro_rules! service_error {
    ($call:expr) => {
        $call
            .send()
            .await
            .expect_err("the call must fail")
            .into_service_error()
    };
}

/// Asserts that a call fails with ValidationException whose message contains `$part`.
macro_rules! validation {
    ($call:expr, $error:ident, $part:expr) => {{
        let err = service_error!($call);
        assert!(err.is_validation_exception(), "{err:?}");
        let $error::ValidationException(e) = err else {
            unreachable!()
        };
        let message = e.message().unwrap_or_default();
        assert!(message.contains($part), "{:?} not in {message:?}", $part);
    }};
}

/// Asserts that a call fails with `$exception` (ResourceNotFoundException or
/// ConflictException) about the `$kind` resource `$id`.
macro_rules! resource_error {
    ($call:expr, $error:ident :: $exception:ident, $is:ident, $kind:expr, $id:expr) => {{
        let err = service_error!($call);
        assert!(err.$is(), "{err:?}");
        let $error::$exception(e) = err else {
            unreachable!()
        };
        assert_eq!(
            (e.resource_type(), e.resource_id()),
            (Some(&$kind), Some($id)),
            "{e:?}"
        );
        assert!(!e.message().unwrap_or_default().is_empty(), "{e:?}");
    }};
}

macro_rules! not_found {
    ($call:expr, $error:ident, $kind:expr, $id:expr) => {
        resource_error!(
            $call,
            $error::ResourceNotFoundException,
            is_resource_not_found_exception,
            $kind,
            $id
        )
    };
}

macro_rules! conflict {
    ($call:expr, $error:ident, $kind:expr, $id:expr) => {
        resource_error!(
            $call,
            $error::ConflictException,
            is_conflict_exception,
            $kind,
            $id
        )
    };
}

/// Asserts that a List operation rejects `maxResults` outside 1..=100, a made-up token and
/// `$foreign`, a real token issued for another list.
macro_rules! rejects_bad_paging {
    ($list:expr, $error:ident, $foreign:expr) => {{
        validation!(
            $list.max_results(0),
            $error,
            "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
        validation!(
            $list.max_results(101),
            $error,
            "Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"
        );
        validation!($list.next_token("bm9wZQ=="), $error, "Invalid nextToken");
        validation!($list.next_token($foreign), $error, "Invalid nextToken");
    }};
}

/// `value`, which the documentation says is present.
#[track_caller]
fn some<T>(member: &str, value: Option<T>) -> T {
    value.unwrap_or_else(|| panic!("{member} is missing"))
}

/// The conformance fixtures, on the shared harness (an emulator on a manual clock and an SDK
/// client pointed at it).
impl Harness {
    /// Arms a failure through the admin API (`training`, `hosting` or `packaging`).
    async fn fail_next(&self, kind: &str) {
        let path = format!("/_emulator/fail-next-{kind}");
        let answer = raw_http(self.address(), "POST", &path, &[], "").await;
        assert!(answer.head.starts_with("HTTP/1.1 200"), "{answer:?}");
        assert_eq!(answer.json()["kind"], kind);
    }

    async fn project(&self, name: &str) {
        create_project(&self.client, name).await;
    }

    /// A project with a complete, empty train dataset.
    async fn trainable(&self, name: &str) {
        create_trainable_project(&self.client, name).await;
    }

    /// Starts training a model of `project`; returns its version.
    async fn model(&self, project: &str) -> String {
        let created = create_model(&self.client, project).await;
        some("ModelMetadata", created.model_metadata())
            .model_version()
            .unwrap()
            .to_owned()
    }

    /// A trainable project `project` with a `TRAINED` model; returns its version.
    async fn trained(&self, project: &str) -> String {
        self.trainable(project).await;
        let version = self.model(project).await;
        self.step();
        version
    }

    /// A trainable project `project` with a `HOSTED` model; returns its version.
    async fn hosted(&self, project: &str) -> String {
        let version = self.trained(project).await;
        self.client
            .start_model()
            .project_name(project)
            .model_version(&version)
            .min_inference_units(1)
            .send()
            .await
            .unwrap();
        self.step();
        version
    }

    /// Starts packaging `version` of `project` into component `component` as job `job`.
    async fn package(&self, project: &str, version: &str, job: &str, component: &str) {
        self.client
            .start_model_packaging_job()
            .project_name(project)
            .model_version(version)
            .job_name(job)
            .configuration(packaging(
                greengrass(component).target_device(TargetDevice::JetsonXavier),
            ))
            .send()
            .await
            .unwrap();
    }
}

fn model_arn(project: &str, version: &str) -> String {
    format!("{ARN_PREFIX}model/{project}/{version}")
}

/// A Greengrass configuration with the required members and no target yet.
fn greengrass(
    component: &str,
) -> aws_sdk_lookoutvision::types::builders::GreengrassConfigurationBuilder {
    GreengrassConfiguration::builder()
        .s3_output_location(
            S3Location::builder()
                .bucket("edge-output")
                .prefix("components/")
                .build(),
        )
        .component_name(component)
}

fn packaging(
    greengrass: aws_sdk_lookoutvision::types::builders::GreengrassConfigurationBuilder,
) -> ModelPackagingConfiguration {
    ModelPackagingConfiguration::builder()
        .greengrass(greengrass.build())
        .build()
}

fn platform(arch: TargetPlatformArch) -> TargetPlatform {
    TargetPlatform::builder()
        .os(TargetPlatformOs::Linux)
        .arch(arch)
        .build()
}

mod create_project {
    use super::*;
    use aws_sdk_lookoutvision::operation::create_project::CreateProjectError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        let out = h
            .client
            .create_project()
            .project_name("p1")
            .send()
            .await
            .unwrap();
        let metadata = some("ProjectMetadata", out.project_metadata());
        assert_eq!(
            some("ProjectArn", metadata.project_arn()),
            format!("{ARN_PREFIX}project/p1")
        );
        assert_eq!(some("ProjectName", metadata.project_name()), "p1");
        assert_eq!(
            some("CreationTimestamp", metadata.creation_timestamp()),
            &h.now()
        );
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        validation!(
            h.client.create_project().project_name("has space"),
            CreateProjectError,
            "Value 'has space' at 'projectName' failed to satisfy constraint: Member must satisfy regular expression pattern"
        );
        validation!(
            h.client.create_project().project_name("a".repeat(256)),
            CreateProjectError,
            "at 'projectName' failed to satisfy constraint: Member must have length less than or equal to 255"
        );
        validation!(
            h.client
                .create_project()
                .project_name("p1")
                .client_token("not a token"),
            CreateProjectError,
            "Value 'not a token' at 'clientToken'"
        );
    }

    #[tokio::test]
    async fn conflict_exception() {
        let h = Harness::start().await;
        h.project("p1").await;
        conflict!(
            h.client.create_project().project_name("p1"),
            CreateProjectError,
            ResourceType::Project,
            "p1"
        );
        // A client token reused with other input.
        h.client
            .create_project()
            .project_name("p2")
            .client_token("t-1")
            .send()
            .await
            .unwrap();
        conflict!(
            h.client
                .create_project()
                .project_name("p3")
                .client_token("t-1"),
            CreateProjectError,
            ResourceType::Project,
            "p3"
        );
    }
}

mod describe_project {
    use super::*;
    use aws_sdk_lookoutvision::operation::describe_project::DescribeProjectError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        let out = h
            .client
            .describe_project()
            .project_name("p1")
            .send()
            .await
            .unwrap();
        let description = some("ProjectDescription", out.project_description());
        assert_eq!(
            some("ProjectArn", description.project_arn()),
            format!("{ARN_PREFIX}project/p1")
        );
        assert_eq!(some("ProjectName", description.project_name()), "p1");
        assert_eq!(
            some("CreationTimestamp", description.creation_timestamp()),
            &h.now()
        );
        let [dataset] = description.datasets() else {
            panic!("{description:?}")
        };
        assert_eq!(some("DatasetType", dataset.dataset_type()), "train");
        assert_eq!(
            some("CreationTimestamp", dataset.creation_timestamp()),
            &h.now()
        );
        assert_eq!(
            some("Status", dataset.status()),
            &DatasetStatus::CreateComplete
        );
        assert!(!some("StatusMessage", dataset.status_message()).is_empty());
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        validation!(
            h.client.describe_project().project_name("-leading-dash"),
            DescribeProjectError,
            "at 'projectName'"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        not_found!(
            h.client.describe_project().project_name("nope"),
            DescribeProjectError,
            ResourceType::Project,
            "nope"
        );
    }
}

mod list_projects {
    use super::*;
    use aws_sdk_lookoutvision::operation::list_projects::ListProjectsError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.project("p2").await;
        h.project("p1").await;
        let first = h
            .client
            .list_projects()
            .max_results(1)
            .send()
            .await
            .unwrap();
        let [project] = first.projects() else {
            panic!("{first:?}")
        };
        assert_eq!(some("ProjectName", project.project_name()), "p1");
        assert_eq!(
            some("ProjectArn", project.project_arn()),
            format!("{ARN_PREFIX}project/p1")
        );
        assert_eq!(
            some("CreationTimestamp", project.creation_timestamp()),
            &h.now()
        );
        let token = some("NextToken", first.next_token());
        let last = h
            .client
            .list_projects()
            .max_results(1)
            .next_token(token)
            .send()
            .await
            .unwrap();
        assert_eq!(last.projects()[0].project_name(), Some("p2"));
        assert_eq!(last.next_token(), None);
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        h.trained("p1").await;
        h.model("p1").await;
        let models = h
            .client
            .list_models()
            .project_name("p1")
            .max_results(1)
            .send()
            .await
            .unwrap();
        let foreign = some("NextToken", models.next_token()).to_owned();
        rejects_bad_paging!(h.client.list_projects(), ListProjectsError, &foreign);
    }
}

mod delete_project {
    use super::*;
    use aws_sdk_lookoutvision::operation::delete_project::DeleteProjectError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.project("p1").await;
        let out = h
            .client
            .delete_project()
            .project_name("p1")
            .send()
            .await
            .unwrap();
        assert_eq!(
            some("ProjectArn", out.project_arn()),
            format!("{ARN_PREFIX}project/p1")
        );
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        validation!(
            h.client.delete_project().project_name("a*b"),
            DeleteProjectError,
            "Value 'a*b' at 'projectName'"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        not_found!(
            h.client.delete_project().project_name("nope"),
            DeleteProjectError,
            ResourceType::Project,
            "nope"
        );
    }

    #[tokio::test]
    async fn conflict_exception() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        conflict!(
            h.client.delete_project().project_name("p1"),
            DeleteProjectError,
            ResourceType::Project,
            "p1"
        );
        // A model left without datasets still holds the project.
        h.trained("p2").await;
        h.client
            .delete_dataset()
            .project_name("p2")
            .dataset_type("train")
            .send()
            .await
            .unwrap();
        h.step();
        conflict!(
            h.client.delete_project().project_name("p2"),
            DeleteProjectError,
            ResourceType::Project,
            "p2"
        );
    }
}

mod create_dataset {
    use super::*;
    use aws_sdk_lookoutvision::operation::create_dataset::CreateDatasetError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.project("p1").await;
        let out = h
            .client
            .create_dataset()
            .project_name("p1")
            .dataset_type("train")
            .dataset_source(manifest("bucket", "data/train.manifest"))
            .send()
            .await
            .unwrap();
        let metadata = some("DatasetMetadata", out.dataset_metadata());
        assert_eq!(some("DatasetType", metadata.dataset_type()), "train");
        assert_eq!(
            some("CreationTimestamp", metadata.creation_timestamp()),
            &h.now()
        );
        assert_eq!(
            some("Status", metadata.status()),
            &DatasetStatus::CreateInProgress
        );
        assert!(!some("StatusMessage", metadata.status_message()).is_empty());
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        h.project("p1").await;
        validation!(
            h.client
                .create_dataset()
                .project_name("p1")
                .dataset_type("validation"),
            CreateDatasetError,
            "Value 'validation' at 'datasetType'"
        );
        validation!(
            h.client
                .create_dataset()
                .project_name("p1")
                .dataset_type("train")
                .dataset_source(manifest("b", "/absolute")),
            CreateDatasetError,
            "at 'datasetSource.groundTruthManifest.s3Object.bucket' failed to satisfy constraint: Member must have length greater than or equal to 3"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        not_found!(
            h.client
                .create_dataset()
                .project_name("nope")
                .dataset_type("train"),
            CreateDatasetError,
            ResourceType::Project,
            "nope"
        );
    }

    #[tokio::test]
    async fn conflict_exception() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        conflict!(
            h.client
                .create_dataset()
                .project_name("p1")
                .dataset_type("train"),
            CreateDatasetError,
            ResourceType::Dataset,
            "train"
        );
    }
}

mod describe_dataset {
    use super::*;
    use aws_sdk_lookoutvision::operation::describe_dataset::DescribeDatasetError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.project("p1").await;
        let created = h.now();
        h.client
            .create_dataset()
            .project_name("p1")
            .dataset_type("test")
            .dataset_source(manifest("bucket", "test.manifest"))
            .send()
            .await
            .unwrap();
        h.step();
        let out = h
            .client
            .describe_dataset()
            .project_name("p1")
            .dataset_type("test")
            .send()
            .await
            .unwrap();
        let description = some("DatasetDescription", out.dataset_description());
        assert_eq!(some("ProjectName", description.project_name()), "p1");
        assert_eq!(some("DatasetType", description.dataset_type()), "test");
        assert_eq!(
            some("CreationTimestamp", description.creation_timestamp()),
            &created
        );
        assert_eq!(
            some("LastUpdatedTimestamp", description.last_updated_timestamp()),
            &h.now()
        );
        assert_eq!(
            some("Status", description.status()),
            &DatasetStatus::CreateComplete
        );
        assert!(!some("StatusMessage", description.status_message()).is_empty());
        let stats = some("ImageStats", description.image_stats());
        let total = some("Total", stats.total());
        assert!((20..=40).contains(&total), "{stats:?}");
        assert_eq!(
            some("Labeled", stats.labeled()),
            some("Normal", stats.normal()) + some("Anomaly", stats.anomaly())
        );
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        validation!(
            h.client
                .describe_dataset()
                .project_name("p1")
                .dataset_type("TRAIN"),
            DescribeDatasetError,
            "Value 'TRAIN' at 'datasetType' failed to satisfy constraint: Member must satisfy regular expression pattern: train|test"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        h.project("p1").await;
        not_found!(
            h.client
                .describe_dataset()
                .project_name("p1")
                .dataset_type("test"),
            DescribeDatasetError,
            ResourceType::Dataset,
            "test"
        );
        not_found!(
            h.client
                .describe_dataset()
                .project_name("p2")
                .dataset_type("test"),
            DescribeDatasetError,
            ResourceType::Project,
            "p2"
        );
    }
}

mod delete_dataset {
    use super::*;
    use aws_sdk_lookoutvision::operation::delete_dataset::DeleteDatasetError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        // The output has no members; the call succeeding is the shape.
        h.client
            .delete_dataset()
            .project_name("p1")
            .dataset_type("train")
            .send()
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        validation!(
            h.client
                .delete_dataset()
                .project_name("p1")
                .dataset_type("train")
                .client_token("x".repeat(65)),
            DeleteDatasetError,
            "at 'clientToken' failed to satisfy constraint: Member must have length less than or equal to 64"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        h.project("p1").await;
        not_found!(
            h.client
                .delete_dataset()
                .project_name("p1")
                .dataset_type("train"),
            DeleteDatasetError,
            ResourceType::Dataset,
            "train"
        );
    }

    #[tokio::test]
    async fn conflict_exception() {
        let h = Harness::start().await;
        h.project("p1").await;
        h.client
            .create_dataset()
            .project_name("p1")
            .dataset_type("train")
            .dataset_source(manifest("bucket", "train.manifest"))
            .send()
            .await
            .unwrap();
        conflict!(
            h.client
                .delete_dataset()
                .project_name("p1")
                .dataset_type("train"),
            DeleteDatasetError,
            ResourceType::Dataset,
            "train"
        );
    }
}

mod list_dataset_entries {
    use super::*;
    use aws_sdk_lookoutvision::operation::list_dataset_entries::ListDatasetEntriesError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        let lines = [
            json!({"source-ref": "s3://b/a.jpg", "anomaly-label": 0, "anomaly-label-metadata": {"class-name": "normal"}}),
            json!({"source-ref": "s3://b/b.jpg", "anomaly-label": 1, "anomaly-label-metadata": {"class-name": "anomaly"}}),
        ];
        h.client
            .update_dataset_entries()
            .project_name("p1")
            .dataset_type("train")
            .changes(changes(&lines))
            .send()
            .await
            .unwrap();
        let first = h
            .client
            .list_dataset_entries()
            .project_name("p1")
            .dataset_type("train")
            .max_results(1)
            .send()
            .await
            .unwrap();
        let [entry] = first.dataset_entries() else {
            panic!("{first:?}")
        };
        assert_eq!(serde_json::from_str::<Value>(entry).unwrap(), lines[0]);
        let last = h
            .client
            .list_dataset_entries()
            .project_name("p1")
            .dataset_type("train")
            .next_token(some("NextToken", first.next_token()))
            .send()
            .await
            .unwrap();
        assert_eq!(last.dataset_entries().len(), 1);
        assert_eq!(last.next_token(), None);
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        h.project("p1").await;
        for kind in ["train", "test"] {
            h.client
                .create_dataset()
                .project_name("p1")
                .dataset_type(kind)
                .dataset_source(manifest("bucket", "m.manifest"))
                .send()
                .await
                .unwrap();
        }
        let test_page = h
            .client
            .list_dataset_entries()
            .project_name("p1")
            .dataset_type("test")
            .max_results(1)
            .send()
            .await
            .unwrap();
        let foreign = some("NextToken", test_page.next_token()).to_owned();
        let list = || {
            h.client
                .list_dataset_entries()
                .project_name("p1")
                .dataset_type("train")
        };
        rejects_bad_paging!(list(), ListDatasetEntriesError, &foreign);
        validation!(
            list().anomaly_class("defect"),
            ListDatasetEntriesError,
            "Value 'defect' at 'anomalyClass'"
        );
        validation!(
            list().source_ref_contains(" "),
            ListDatasetEntriesError,
            "Value ' ' at 'sourceRefContains'"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        h.project("p1").await;
        not_found!(
            h.client
                .list_dataset_entries()
                .project_name("p1")
                .dataset_type("train"),
            ListDatasetEntriesError,
            ResourceType::Dataset,
            "train"
        );
    }
}

mod update_dataset_entries {
    use super::*;
    use aws_sdk_lookoutvision::operation::update_dataset_entries::UpdateDatasetEntriesError;

    fn update(h: &Harness, line: Value) -> aws_sdk_lookoutvision::operation::update_dataset_entries::builders::UpdateDatasetEntriesFluentBuilder{
        h.client
            .update_dataset_entries()
            .project_name("p1")
            .dataset_type("train")
            .changes(changes(&[line]))
    }

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        let out = update(&h, json!({"source-ref": "s3://b/a.jpg"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            some("Status", out.status()),
            &DatasetStatus::UpdateInProgress
        );
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        validation!(
            update(&h, json!({"anomaly-label": 1})),
            UpdateDatasetEntriesError,
            "Line 1 of 'changes' is not a valid dataset entry"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        h.project("p1").await;
        not_found!(
            update(&h, json!({"source-ref": "s3://b/a.jpg"})),
            UpdateDatasetEntriesError,
            ResourceType::Dataset,
            "train"
        );
    }

    #[tokio::test]
    async fn conflict_exception() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        update(&h, json!({"source-ref": "s3://b/a.jpg"}))
            .send()
            .await
            .unwrap();
        conflict!(
            update(&h, json!({"source-ref": "s3://b/b.jpg"})),
            UpdateDatasetEntriesError,
            ResourceType::Dataset,
            "train"
        );
    }
}

mod create_model {
    use super::*;
    use aws_sdk_lookoutvision::operation::create_model::CreateModelError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        let out = h
            .client
            .create_model()
            .project_name("p1")
            .description("first-model")
            .output_config(output_config())
            .kms_key_id("alias/key")
            .tags(tag("team", "vision"))
            .send()
            .await
            .unwrap();
        let metadata = some("ModelMetadata", out.model_metadata());
        assert_eq!(
            some("CreationTimestamp", metadata.creation_timestamp()),
            &h.now()
        );
        assert_eq!(some("ModelVersion", metadata.model_version()), "1");
        assert_eq!(some("ModelArn", metadata.model_arn()), model_arn("p1", "1"));
        assert_eq!(some("Description", metadata.description()), "first-model");
        assert_eq!(some("Status", metadata.status()), &ModelStatus::Training);
        assert!(!some("StatusMessage", metadata.status_message()).is_empty());
        // Performance is documented to appear once training has finished.
        assert_eq!(metadata.performance(), None);
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        h.project("p1").await;
        validation!(
            h.client
                .create_model()
                .project_name("p1")
                .description("has space")
                .output_config(output_config()),
            CreateModelError,
            "Value 'has space' at 'description'"
        );
        validation!(
            h.client
                .create_model()
                .project_name("p1")
                .output_config(OutputConfig::builder().build()),
            CreateModelError,
            "Value null at 'outputConfig.s3Location' failed to satisfy constraint: Member must not be null"
        );
        validation!(
            h.client
                .create_model()
                .project_name("p1")
                .output_config(output_config())
                .tags(tag("bad*key", "v")),
            CreateModelError,
            "Value 'bad*key' at 'tags.1.member.key'"
        );
        // Valid input, but the project has no train dataset.
        validation!(
            h.client
                .create_model()
                .project_name("p1")
                .output_config(output_config()),
            CreateModelError,
            "has no train dataset"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        not_found!(
            h.client
                .create_model()
                .project_name("nope")
                .output_config(output_config()),
            CreateModelError,
            ResourceType::Project,
            "nope"
        );
    }

    #[tokio::test]
    async fn conflict_exception() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        let create = || {
            h.client
                .create_model()
                .project_name("p1")
                .output_config(output_config())
                .client_token("model-token")
        };
        create().send().await.unwrap();
        conflict!(
            create().description("other"),
            CreateModelError,
            ResourceType::Project,
            "p1"
        );
    }
}

mod describe_model {
    use super::*;
    use aws_sdk_lookoutvision::operation::describe_model::DescribeModelError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        let created = h.now();
        h.client
            .create_model()
            .project_name("p1")
            .description("described")
            .output_config(output_config())
            .kms_key_id("alias/key")
            .send()
            .await
            .unwrap();
        h.step();
        let trained = h.now();
        h.client
            .start_model()
            .project_name("p1")
            .model_version("1")
            .min_inference_units(1)
            .max_inference_units(2)
            .send()
            .await
            .unwrap();
        let out = h
            .client
            .describe_model()
            .project_name("p1")
            .model_version("latest")
            .send()
            .await
            .unwrap();
        let d = some("ModelDescription", out.model_description());
        assert_eq!(some("ModelVersion", d.model_version()), "1");
        assert_eq!(some("ModelArn", d.model_arn()), model_arn("p1", "1"));
        assert_eq!(some("CreationTimestamp", d.creation_timestamp()), &created);
        assert_eq!(some("Description", d.description()), "described");
        assert_eq!(some("Status", d.status()), &ModelStatus::StartingHosting);
        assert!(!some("StatusMessage", d.status_message()).is_empty());
        let performance = some("Performance", d.performance());
        for score in [
            some("F1Score", performance.f1_score()),
            some("Recall", performance.recall()),
            some("Precision", performance.precision()),
        ] {
            assert!((0.0..=1.0).contains(&score), "{performance:?}");
        }
        let output_config = some("OutputConfig", d.output_config());
        let location = some("OutputConfig.S3Location", output_config.s3_location());
        assert_eq!(
            (location.bucket(), location.prefix()),
            (Some("model-output"), Some("runs/"))
        );
        for (member, object, name) in [
            (
                "EvaluationManifest",
                d.evaluation_manifest(),
                "EvaluationManifest",
            ),
            (
                "EvaluationResult",
                d.evaluation_result(),
                "EvaluationResult",
            ),
        ] {
            let object = some(member, object);
            assert_eq!(object.bucket(), Some("model-output"));
            assert_eq!(some("Key", object.key()), format!("runs/{name}-p1-1.json"));
        }
        assert_eq!(
            some("EvaluationEndTimestamp", d.evaluation_end_timestamp()),
            &trained
        );
        assert_eq!(some("KmsKeyId", d.kms_key_id()), "alias/key");
        assert_eq!(some("MinInferenceUnits", d.min_inference_units()), 1);
        assert_eq!(some("MaxInferenceUnits", d.max_inference_units()), 2);
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        validation!(
            h.client
                .describe_model()
                .project_name("p1")
                .model_version("0"),
            DescribeModelError,
            "Value '0' at 'modelVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: ([1-9][0-9]*|latest)"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        h.project("p1").await;
        for version in ["7", "latest"] {
            not_found!(
                h.client
                    .describe_model()
                    .project_name("p1")
                    .model_version(version),
                DescribeModelError,
                ResourceType::Model,
                version
            );
        }
    }
}

mod list_models {
    use super::*;
    use aws_sdk_lookoutvision::operation::list_models::ListModelsError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.trained("p1").await;
        h.model("p1").await;
        let first = h
            .client
            .list_models()
            .project_name("p1")
            .max_results(1)
            .send()
            .await
            .unwrap();
        let [model] = first.models() else {
            panic!("{first:?}")
        };
        assert_eq!(some("ModelVersion", model.model_version()), "1");
        assert_eq!(some("ModelArn", model.model_arn()), model_arn("p1", "1"));
        assert!(some("CreationTimestamp", model.creation_timestamp()).secs() > 0);
        assert_eq!(some("Status", model.status()), &ModelStatus::Trained);
        assert!(!some("StatusMessage", model.status_message()).is_empty());
        let performance = some("Performance", model.performance());
        assert!(some("F1Score", performance.f1_score()) > 0.0);
        let last = h
            .client
            .list_models()
            .project_name("p1")
            .max_results(1)
            .next_token(some("NextToken", first.next_token()))
            .send()
            .await
            .unwrap();
        assert_eq!(last.models()[0].model_version(), Some("2"));
        assert_eq!(last.models()[0].status(), Some(&ModelStatus::Training));
        assert_eq!(last.next_token(), None);
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        h.trained("p1").await;
        h.model("p1").await;
        h.trained("p2").await;
        h.model("p2").await;
        let other_project = h
            .client
            .list_models()
            .project_name("p2")
            .max_results(1)
            .send()
            .await
            .unwrap();
        let foreign = some("NextToken", other_project.next_token()).to_owned();
        rejects_bad_paging!(
            h.client.list_models().project_name("p1"),
            ListModelsError,
            &foreign
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        not_found!(
            h.client.list_models().project_name("nope"),
            ListModelsError,
            ResourceType::Project,
            "nope"
        );
    }
}

mod delete_model {
    use super::*;
    use aws_sdk_lookoutvision::operation::delete_model::DeleteModelError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        let version = h.trained("p1").await;
        let out = h
            .client
            .delete_model()
            .project_name("p1")
            .model_version(&version)
            .send()
            .await
            .unwrap();
        assert_eq!(some("ModelArn", out.model_arn()), model_arn("p1", "1"));
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        validation!(
            h.client
                .delete_model()
                .project_name("p1")
                .model_version("latest"),
            DeleteModelError,
            "Value 'latest' at 'modelVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: ([1-9][0-9]*)"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        h.project("p1").await;
        not_found!(
            h.client
                .delete_model()
                .project_name("p1")
                .model_version("9"),
            DeleteModelError,
            ResourceType::Model,
            "9"
        );
    }

    #[tokio::test]
    async fn conflict_exception() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        let version = h.model("p1").await;
        conflict!(
            h.client
                .delete_model()
                .project_name("p1")
                .model_version(&version),
            DeleteModelError,
            ResourceType::Model,
            "1"
        );
    }
}

mod start_model {
    use super::*;
    use aws_sdk_lookoutvision::operation::start_model::StartModelError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        let version = h.trained("p1").await;
        let out = h
            .client
            .start_model()
            .project_name("p1")
            .model_version(&version)
            .min_inference_units(1)
            .send()
            .await
            .unwrap();
        assert_eq!(
            some("Status", out.status()),
            &ModelHostingStatus::StartingHosting
        );
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        let start = || h.client.start_model().project_name("p1").model_version("1");
        validation!(
            start().min_inference_units(0),
            StartModelError,
            "Value '0' at 'minInferenceUnits' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
        validation!(
            start().min_inference_units(3).max_inference_units(2),
            StartModelError,
            "Value '2' at 'maxInferenceUnits'"
        );
        validation!(
            start(),
            StartModelError,
            "Value null at 'minInferenceUnits' failed to satisfy constraint: Member must not be null"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        h.project("p1").await;
        not_found!(
            h.client
                .start_model()
                .project_name("p1")
                .model_version("latest")
                .min_inference_units(1),
            StartModelError,
            ResourceType::Model,
            "latest"
        );
    }

    #[tokio::test]
    async fn conflict_exception() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        let version = h.model("p1").await;
        conflict!(
            h.client
                .start_model()
                .project_name("p1")
                .model_version(&version)
                .min_inference_units(1),
            StartModelError,
            ResourceType::Model,
            "1"
        );
    }
}

mod stop_model {
    use super::*;
    use aws_sdk_lookoutvision::operation::stop_model::StopModelError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        let version = h.hosted("p1").await;
        let out = h
            .client
            .stop_model()
            .project_name("p1")
            .model_version(&version)
            .send()
            .await
            .unwrap();
        assert_eq!(
            some("Status", out.status()),
            &ModelHostingStatus::StoppingHosting
        );
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        validation!(
            h.client.stop_model().project_name("p1").model_version("v1"),
            StopModelError,
            "Value 'v1' at 'modelVersion'"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        not_found!(
            h.client
                .stop_model()
                .project_name("nope")
                .model_version("1"),
            StopModelError,
            ResourceType::Project,
            "nope"
        );
    }

    #[tokio::test]
    async fn conflict_exception() {
        let h = Harness::start().await;
        let version = h.trained("p1").await;
        conflict!(
            h.client
                .stop_model()
                .project_name("p1")
                .model_version(&version),
            StopModelError,
            ResourceType::Model,
            "1"
        );
    }
}

mod detect_anomalies {
    use super::*;
    use aws_sdk_lookoutvision::operation::detect_anomalies::DetectAnomaliesError;

    fn detect(
        h: &Harness,
        content_type: &str,
        image: &[u8],
    ) -> aws_sdk_lookoutvision::operation::detect_anomalies::builders::DetectAnomaliesFluentBuilder
    {
        h.client
            .detect_anomalies()
            .project_name("p1")
            .model_version("1")
            .content_type(content_type)
            .body(ByteStream::from(image.to_vec()))
    }

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.hosted("p1").await;
        // About half of all images are anomalous: look at both kinds.
        let mut seen = (false, false);
        for n in 0..32u8 {
            let out = detect(&h, "image/png", &png(n)).send().await.unwrap();
            let result = some("DetectAnomalyResult", out.detect_anomaly_result());
            let source = some("Source", result.source());
            assert_eq!(some("Source.Type", source.r#type()), "direct");
            assert!((0.5..1.0).contains(&some("Confidence", result.confidence())));
            if some("IsAnomalous", result.is_anomalous()) {
                seen.0 = true;
                let names: Vec<_> = result.anomalies().iter().map(|a| a.name()).collect();
                assert_eq!(names, [Some("background"), Some("anomaly")]);
                let pixel = some("PixelAnomaly", result.anomalies()[1].pixel_anomaly());
                assert!(some("TotalPercentageArea", pixel.total_percentage_area()) > 0.0);
                assert_eq!(some("Color", pixel.color()), "#23A436");
                let mask = some("AnomalyMask", result.anomaly_mask());
                assert!(mask.as_ref().starts_with(b"\x89PNG"));
            } else {
                seen.1 = true;
                assert!(result.anomalies().is_empty() && result.anomaly_mask().is_none());
            }
        }
        assert_eq!(seen, (true, true));
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        validation!(
            detect(&h, "image/gif", b"GIF89a"),
            DetectAnomaliesError,
            "Value 'image/gif' at 'contentType'"
        );
        // The image itself is read once the model is known to be hosted.
        h.hosted("p1").await;
        validation!(
            detect(&h, "image/png", b"\x89PNG\r\n\x1a\nnot really an image"),
            DetectAnomaliesError,
            "The image could not be read as a PNG image"
        );
        validation!(
            detect(&h, "image/png", b"plain text"),
            DetectAnomaliesError,
            "The image is not a valid PNG or JPEG image"
        );
        validation!(
            detect(&h, "image/png", &jpeg(1)),
            DetectAnomaliesError,
            "The image is JPEG but its content type is image/png: send it as image/jpeg."
        );
        let mut tiny = std::io::Cursor::new(Vec::new());
        image::RgbImage::new(32, 32)
            .write_to(&mut tiny, image::ImageFormat::Png)
            .unwrap();
        validation!(
            detect(&h, "image/png", tiny.get_ref()),
            DetectAnomaliesError,
            "The image is 32x32 pixels; width and height must each be between 64 and 4096 pixels."
        );
        let ok = detect(&h, "image/jpeg", &jpeg(1)).send().await;
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        not_found!(
            detect(&h, "image/jpeg", b"\xff\xd8"),
            DetectAnomaliesError,
            ResourceType::Model,
            "1"
        );
    }

    #[tokio::test]
    async fn conflict_exception() {
        let h = Harness::start().await;
        h.trained("p1").await;
        conflict!(
            detect(&h, "image/jpeg", b"\xff\xd8"),
            DetectAnomaliesError,
            ResourceType::Model,
            "1"
        );
    }
}

mod start_model_packaging_job {
    use super::*;
    use aws_sdk_lookoutvision::operation::start_model_packaging_job::builders::StartModelPackagingJobFluentBuilder;
    use aws_sdk_lookoutvision::operation::start_model_packaging_job::StartModelPackagingJobError;

    fn start(
        h: &Harness,
        configuration: ModelPackagingConfiguration,
    ) -> StartModelPackagingJobFluentBuilder {
        h.client
            .start_model_packaging_job()
            .project_name("p1")
            .model_version("latest")
            .configuration(configuration)
    }

    fn device() -> ModelPackagingConfiguration {
        packaging(greengrass("component").target_device(TargetDevice::JetsonXavier))
    }

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.trained("p1").await;
        let named = start(&h, device()).job_name("job-1").send().await.unwrap();
        assert_eq!(some("JobName", named.job_name()), "job-1");
        // Without a JobName the emulator makes one up: `{project}-{version}-{8 hex digits}`.
        let generated = start(
            &h,
            packaging(
                greengrass("component")
                    .component_version("2.0.0")
                    .target_platform(platform(TargetPlatformArch::X8664)),
            ),
        )
        .send()
        .await
        .unwrap();
        let name = some("JobName", generated.job_name());
        let suffix = name.strip_prefix("p1-1-").unwrap();
        assert!(
            suffix.len() == 8 && suffix.chars().all(|c| c.is_ascii_hexdigit()),
            "{name}"
        );
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        h.trained("p1").await;
        let both = packaging(
            greengrass("component")
                .target_device(TargetDevice::JetsonXavier)
                .target_platform(platform(TargetPlatformArch::Arm64)),
        );
        let neither = packaging(greengrass("component"));
        for configuration in [both, neither] {
            validation!(
                start(&h, configuration),
                StartModelPackagingJobError,
                "Value at 'configuration.greengrass' failed to satisfy constraint: Member must set exactly one of targetDevice and targetPlatform"
            );
        }
        validation!(
            start(
                &h,
                packaging(
                    greengrass("component")
                        .target_device(TargetDevice::JetsonXavier)
                        .compiler_options("--fast")
                )
            ),
            StartModelPackagingJobError,
            "Value at 'configuration.greengrass.compilerOptions' failed to satisfy constraint: Member must not be set together with targetDevice"
        );
        let nvidia = TargetPlatform::builder()
            .os(TargetPlatformOs::Linux)
            .arch(TargetPlatformArch::Arm64)
            .accelerator(TargetPlatformAccelerator::Nvidia)
            .build();
        validation!(
            start(
                &h,
                packaging(greengrass("component").target_platform(nvidia))
            ),
            StartModelPackagingJobError,
            "Member must set gpu-code, trt-ver, cuda-ver for the NVIDIA accelerator"
        );
        validation!(
            start(
                &h,
                packaging(
                    greengrass("component")
                        .target_device(TargetDevice::from("jetson_nano"))
                )
            ),
            StartModelPackagingJobError,
            "Value 'jetson_nano' at 'configuration.greengrass.targetDevice' failed to satisfy constraint: Member must satisfy enum value set: [jetson_xavier]"
        );
        validation!(
            start(&h, device()).job_name("job_1"),
            StartModelPackagingJobError,
            "Value 'job_1' at 'jobName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-]+"
        );
        validation!(
            start(&h, device()).description(""),
            StartModelPackagingJobError,
            "Value '' at 'description' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        // Both descriptions have the model's pattern, not just its length.
        validation!(
            start(&h, device()).description("bad!"),
            StartModelPackagingJobError,
            "Value 'bad!' at 'description' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_. ()':,;?]+"
        );
        validation!(
            start(
                &h,
                packaging(
                    greengrass("component")
                        .target_device(TargetDevice::JetsonXavier)
                        .component_description("bad!")
                )
            ),
            StartModelPackagingJobError,
            "Value 'bad!' at 'configuration.greengrass.componentDescription' failed to satisfy constraint: Member must satisfy regular expression pattern"
        );
        validation!(
            start(
                &h,
                packaging(
                    greengrass("has space")
                        .target_device(TargetDevice::JetsonXavier)
                        .component_version("1")
                )
            ),
            StartModelPackagingJobError,
            "Value '1' at 'configuration.greengrass.componentVersion'"
        );
        validation!(
            start(&h, device()).model_version("0"),
            StartModelPackagingJobError,
            "Value '0' at 'modelVersion'"
        );
        validation!(
            h.client
                .start_model_packaging_job()
                .project_name("p1")
                .model_version("1")
                .configuration(ModelPackagingConfiguration::builder().build()),
            StartModelPackagingJobError,
            "Value null at 'configuration.greengrass' failed to satisfy constraint: Member must not be null"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        not_found!(
            start(&h, device()),
            StartModelPackagingJobError,
            ResourceType::Project,
            "p1"
        );
        h.trainable("p1").await;
        not_found!(
            start(&h, device()).model_version("5"),
            StartModelPackagingJobError,
            ResourceType::Model,
            "5"
        );
    }

    #[tokio::test]
    async fn conflict_exception() {
        let h = Harness::start().await;
        h.trained("p1").await;
        start(&h, device())
            .job_name("job-1")
            .client_token("pack-token")
            .send()
            .await
            .unwrap();
        conflict!(
            start(&h, device()).job_name("job-1"),
            StartModelPackagingJobError,
            ResourceType::ModelPackageJob,
            "job-1"
        );
        // The client token names the first call; other input with it conflicts.
        conflict!(
            start(&h, device())
                .job_name("job-2")
                .client_token("pack-token"),
            StartModelPackagingJobError,
            ResourceType::Project,
            "p1"
        );
        // A model that is still training has nothing to package.
        h.model("p1").await;
        conflict!(
            start(&h, device()).model_version("2"),
            StartModelPackagingJobError,
            ResourceType::Model,
            "2"
        );
    }
}

mod describe_model_packaging_job {
    use super::*;
    use aws_sdk_lookoutvision::operation::describe_model_packaging_job::DescribeModelPackagingJobError;
    use aws_sdk_lookoutvision::types::ModelPackagingDescription;

    async fn describe(h: &Harness, job: &str) -> ModelPackagingDescription {
        let out = h
            .client
            .describe_model_packaging_job()
            .project_name("p1")
            .job_name(job)
            .send()
            .await
            .unwrap();
        some(
            "ModelPackagingDescription",
            out.model_packaging_description().cloned(),
        )
    }

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.trained("p1").await;
        let created = h.now();
        h.client
            .start_model_packaging_job()
            .project_name("p1")
            .model_version("latest")
            .job_name("job-1")
            .description("First edge build")
            .configuration(packaging(
                greengrass("com.example.model")
                    .target_platform(
                        TargetPlatform::builder()
                            .os(TargetPlatformOs::Linux)
                            .arch(TargetPlatformArch::Arm64)
                            .accelerator(TargetPlatformAccelerator::Nvidia)
                            .build(),
                    )
                    .compiler_options(
                        r#"{"gpu-code": "sm_72", "trt-ver": "7.1.3", "cuda-ver": "10.2"}"#,
                    )
                    .component_description("The model")
                    .tags(tag("team", "edge")),
            ))
            .send()
            .await
            .unwrap();

        // CREATED for the first half of the packaging duration, RUNNING for the second.
        let d = describe(&h, "job-1").await;
        assert_eq!(
            some("Status", d.status()),
            &ModelPackagingJobStatus::Created
        );
        assert_eq!(d.model_packaging_output_details(), None);
        h.clock.advance(STEP / 2);
        let d = describe(&h, "job-1").await;
        assert_eq!(
            some("Status", d.status()),
            &ModelPackagingJobStatus::Running
        );
        assert_eq!(d.model_packaging_output_details(), None);
        h.clock.advance(STEP / 2);

        let d = describe(&h, "job-1").await;
        assert_eq!(some("JobName", d.job_name()), "job-1");
        assert_eq!(some("ProjectName", d.project_name()), "p1");
        assert_eq!(some("ModelVersion", d.model_version()), "1");
        assert_eq!(
            some(
                "ModelPackagingJobDescription",
                d.model_packaging_job_description()
            ),
            "First edge build"
        );
        assert_eq!(
            some("ModelPackagingMethod", d.model_packaging_method()),
            "Greengrass"
        );
        assert_eq!(
            some("Status", d.status()),
            &ModelPackagingJobStatus::Succeeded
        );
        assert!(!some("StatusMessage", d.status_message()).is_empty());
        assert_eq!(some("CreationTimestamp", d.creation_timestamp()), &created);
        assert_eq!(
            some("LastUpdatedTimestamp", d.last_updated_timestamp()),
            &h.now()
        );
        let configuration = some(
            "ModelPackagingConfiguration",
            d.model_packaging_configuration(),
        );
        let config = some(
            "ModelPackagingConfiguration.Greengrass",
            configuration.greengrass(),
        );
        assert_eq!(config.component_name(), Some("com.example.model"));
        assert_eq!(config.component_description(), Some("The model"));
        assert_eq!(config.component_version(), None, "echoed as sent");
        assert_eq!(config.target_device(), None);
        let target = some("TargetPlatform", config.target_platform());
        assert_eq!(target.os(), Some(&TargetPlatformOs::Linux));
        assert_eq!(target.arch(), Some(&TargetPlatformArch::Arm64));
        assert_eq!(
            target.accelerator(),
            Some(&TargetPlatformAccelerator::Nvidia)
        );
        assert!(some("CompilerOptions", config.compiler_options()).contains("sm_72"));
        let location = some("S3OutputLocation", config.s3_output_location());
        assert_eq!(
            (location.bucket(), location.prefix()),
            (Some("edge-output"), Some("components/"))
        );
        assert_eq!(config.tags(), [tag("team", "edge")]);
        let details = some(
            "ModelPackagingOutputDetails",
            d.model_packaging_output_details(),
        );
        let output = some(
            "ModelPackagingOutputDetails.Greengrass",
            details.greengrass(),
        );
        assert_eq!(
            some("ComponentVersionArn", output.component_version_arn()),
            "arn:aws:greengrass:us-east-1:123456789012:components:com.example.model:versions:1.0.0"
        );
        assert_eq!(
            some("ComponentName", output.component_name()),
            "com.example.model"
        );
        assert_eq!(
            some("ComponentVersion", output.component_version()),
            "1.0.0"
        );
    }

    #[tokio::test]
    async fn an_armed_failure_ends_the_job_failed_with_its_message() {
        let h = Harness::start().await;
        let version = h.trained("p1").await;
        h.fail_next("packaging").await;
        h.package("p1", &version, "job-1", "component").await;
        h.step();
        let d = describe(&h, "job-1").await;
        assert_eq!(some("Status", d.status()), &ModelPackagingJobStatus::Failed);
        assert_eq!(
            d.status_message(),
            Some("Packaging failed: the model could not be compiled for the target")
        );
        assert_eq!(d.model_packaging_output_details(), None);
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        validation!(
            h.client
                .describe_model_packaging_job()
                .project_name("p1")
                .job_name("a".repeat(65)),
            DescribeModelPackagingJobError,
            "at 'jobName' failed to satisfy constraint: Member must have length less than or equal to 64"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        h.project("p1").await;
        not_found!(
            h.client
                .describe_model_packaging_job()
                .project_name("p1")
                .job_name("job-9"),
            DescribeModelPackagingJobError,
            ResourceType::ModelPackageJob,
            "job-9"
        );
    }
}

mod list_model_packaging_jobs {
    use super::*;
    use aws_sdk_lookoutvision::operation::list_model_packaging_jobs::ListModelPackagingJobsError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        let version = h.trained("p1").await;
        h.package("p1", &version, "job-b", "component-b").await;
        h.package("p1", &version, "job-a", "component-a").await;
        let first = h
            .client
            .list_model_packaging_jobs()
            .project_name("p1")
            .max_results(1)
            .send()
            .await
            .unwrap();
        let [job] = first.model_packaging_jobs() else {
            panic!("{first:?}")
        };
        assert_eq!(some("JobName", job.job_name()), "job-a");
        assert_eq!(some("ProjectName", job.project_name()), "p1");
        assert_eq!(some("ModelVersion", job.model_version()), "1");
        assert_eq!(
            some("ModelPackagingMethod", job.model_packaging_method()),
            "Greengrass"
        );
        assert_eq!(
            some("Status", job.status()),
            &ModelPackagingJobStatus::Created
        );
        assert!(!some("StatusMessage", job.status_message()).is_empty());
        assert_eq!(
            some("CreationTimestamp", job.creation_timestamp()),
            &h.now()
        );
        assert_eq!(
            some("LastUpdatedTimestamp", job.last_updated_timestamp()),
            &h.now()
        );
        // No description was given, so none is listed.
        assert_eq!(job.model_packaging_job_description(), None);
        let last = h
            .client
            .list_model_packaging_jobs()
            .project_name("p1")
            .next_token(some("NextToken", first.next_token()))
            .send()
            .await
            .unwrap();
        let names: Vec<_> = last
            .model_packaging_jobs()
            .iter()
            .map(|j| j.job_name())
            .collect();
        assert_eq!(names, [Some("job-b")]);
        assert_eq!(last.next_token(), None);
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        h.project("p0").await;
        h.project("p1").await;
        let projects = h
            .client
            .list_projects()
            .max_results(1)
            .send()
            .await
            .unwrap();
        let foreign = some("NextToken", projects.next_token()).to_owned();
        rejects_bad_paging!(
            h.client.list_model_packaging_jobs().project_name("p1"),
            ListModelPackagingJobsError,
            &foreign
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        not_found!(
            h.client.list_model_packaging_jobs().project_name("nope"),
            ListModelPackagingJobsError,
            ResourceType::Project,
            "nope"
        );
    }
}

mod tag_resource {
    use super::*;
    use aws_sdk_lookoutvision::operation::tag_resource::TagResourceError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        let version = h.trained("p1").await;
        // The output has no members; the tag shows up in ListTagsForResource.
        h.client
            .tag_resource()
            .resource_arn(model_arn("p1", &version))
            .tags(tag("team", "vision"))
            .send()
            .await
            .unwrap();
        let listed = h
            .client
            .list_tags_for_resource()
            .resource_arn(model_arn("p1", &version))
            .send()
            .await
            .unwrap();
        assert_eq!(listed.tags(), [tag("team", "vision")]);
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        let version = h.trained("p1").await;
        let arn = model_arn("p1", &version);
        validation!(
            h.client
                .tag_resource()
                .resource_arn(&arn)
                .tags(tag("bad*key", "v")),
            TagResourceError,
            "Value 'bad*key' at 'tags.1.member.key'"
        );
        // AWS reserves the `aws:` prefix, in any case, for its own tags.
        validation!(
            h.client
                .tag_resource()
                .resource_arn(&arn)
                .tags(tag("team", "v"))
                .tags(tag("AWS:team", "v")),
            TagResourceError,
            "Value 'AWS:team' at 'tags.2.member.key' failed to satisfy constraint: Member must not begin with the reserved prefix 'aws:'"
        );
        // CreateModel's tags follow the same rule, and nothing is created.
        use aws_sdk_lookoutvision::operation::create_model::CreateModelError;
        validation!(
            h.client
                .create_model()
                .project_name("p1")
                .output_config(output_config())
                .tags(tag("aws:cost-center", "1")),
            CreateModelError,
            "Value 'aws:cost-center' at 'tags.1.member.key' failed to satisfy constraint: Member must not begin with the reserved prefix 'aws:'"
        );
        let models = h
            .client
            .list_models()
            .project_name("p1")
            .send()
            .await
            .unwrap();
        assert_eq!(models.models().len(), 1, "only the trained model exists");
        let tags = |range: std::ops::Range<usize>| {
            range
                .map(|i| tag(&format!("k{i}"), "v"))
                .collect::<Vec<_>>()
        };
        validation!(
            h.client
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(tags(0..201))),
            TagResourceError,
            "Value with length 201 at 'tags' failed to satisfy constraint: Member must have length less than or equal to 200"
        );
        // 200 tags per model: the limit is a ValidationException, not a quota.
        h.client
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(tags(0..200)))
            .send()
            .await
            .unwrap();
        validation!(
            h.client
                .tag_resource()
                .resource_arn(&arn)
                .tags(tag("one-more", "v")),
            TagResourceError,
            "would have 201 tags; at most 200 are allowed"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        h.project("p1").await;
        let project_arn = format!("{ARN_PREFIX}project/p1");
        not_found!(
            h.client
                .tag_resource()
                .resource_arn(&project_arn)
                .tags(tag("k", "v")),
            TagResourceError,
            ResourceType::Model,
            project_arn.as_str()
        );
    }
}

mod untag_resource {
    use super::*;
    use aws_sdk_lookoutvision::operation::untag_resource::UntagResourceError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        h.client
            .create_model()
            .project_name("p1")
            .output_config(output_config())
            .tags(tag("a", "1"))
            .tags(tag("b", "2"))
            .send()
            .await
            .unwrap();
        let arn = model_arn("p1", "1");
        h.client
            .untag_resource()
            .resource_arn(&arn)
            .tag_keys("a")
            .tag_keys("absent")
            .send()
            .await
            .unwrap();
        let listed = h
            .client
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.tags(), [tag("b", "2")]);
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        validation!(
            h.client
                .untag_resource()
                .resource_arn(model_arn("p1", "1"))
                .tag_keys("k".repeat(129)),
            UntagResourceError,
            "at 'tagKeys.1.member' failed to satisfy constraint: Member must have length less than or equal to 128"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        let arn = model_arn("p1", "1");
        not_found!(
            h.client.untag_resource().resource_arn(&arn).tag_keys("k"),
            UntagResourceError,
            ResourceType::Model,
            arn.as_str()
        );
    }
}

mod list_tags_for_resource {
    use super::*;
    use aws_sdk_lookoutvision::operation::list_tags_for_resource::ListTagsForResourceError;

    #[tokio::test]
    async fn success_shape() {
        let h = Harness::start().await;
        h.trainable("p1").await;
        h.client
            .create_model()
            .project_name("p1")
            .output_config(output_config())
            .tags(tag("team", "vision"))
            .send()
            .await
            .unwrap();
        let out = h
            .client
            .list_tags_for_resource()
            .resource_arn(model_arn("p1", "1"))
            .send()
            .await
            .unwrap();
        let [listed] = out.tags() else {
            panic!("{out:?}")
        };
        assert_eq!(
            (some("Key", listed.key()), some("Value", listed.value())),
            ("team", "vision")
        );
    }

    #[tokio::test]
    async fn validation_exception() {
        let h = Harness::start().await;
        validation!(
            h.client
                .list_tags_for_resource()
                .resource_arn("a".repeat(1012)),
            ListTagsForResourceError,
            "at 'resourceArn' failed to satisfy constraint: Member must have length less than or equal to 1011"
        );
    }

    #[tokio::test]
    async fn resource_not_found_exception() {
        let h = Harness::start().await;
        let arn = "arn:aws:lookoutvision:eu-west-1:123456789012:model/p1/1";
        not_found!(
            h.client.list_tags_for_resource().resource_arn(arn),
            ListTagsForResourceError,
            ResourceType::Model,
            arn
        );
    }
}
