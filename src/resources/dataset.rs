//! `lookoutvision_dataset`: the train or test dataset of a project, empty or from a manifest.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_lookoutvision::types::{
    DatasetDescription, DatasetGroundTruthManifest, DatasetSource, DatasetStatus, InputS3Object,
};

use super::{
    api_failure, import_how, project_name_attribute, retry_failure, s3, split_id, timestamp,
    wait_failure, Action, Limit, Subject,
};
use crate::aws::retry::{retry_conflicts, RetryError};
use crate::aws::waiter::{wait_until, Observation, Phase, WaitError};
use crate::aws::{client_token, ApiError, Client};
use crate::framework::diag::{Diagnostic, Severity};
use crate::framework::resource::{Context, Failure, Resource};
use crate::framework::schema::{Attribute, Block, NestedBlock, Schema};
use crate::framework::timeouts::{Operation, Timeouts};
use crate::framework::validate;
use crate::framework::value::{Type, Value};

const TYPE_NAME: &str = "lookoutvision_dataset";

/// The `lookoutvision_dataset` resource.
#[derive(Debug, Default)]
pub struct Dataset;

struct Key<'a> {
    project: &'a str,
    dataset_type: &'a str,
    id: String,
}

impl<'a> Key<'a> {
    fn of(value: &'a Value) -> Self {
        let project = value.get("project_name").as_str().unwrap_or_default();
        let dataset_type = value.get("dataset_type").as_str().unwrap_or_default();
        Key {
            project,
            dataset_type,
            id: format!("{project}:{dataset_type}"),
        }
    }

    fn subject(&self) -> Subject<'_> {
        Subject::Existing {
            type_name: TYPE_NAME,
            id: &self.id,
        }
    }
}

fn image_stats_type() -> Type {
    Type::object([
        ("total", Type::Number),
        ("labeled", Type::Number),
        ("normal", Type::Number),
        ("anomaly", Type::Number),
    ])
}

/// The state for `description`, keeping configuration-only values from `base`.
fn state(base: &Value, description: &DatasetDescription) -> Value {
    let key = Key::of(base);
    let count = |n: Option<i32>| n.map_or(Value::Null, |n| Value::from(i64::from(n)));
    let image_stats = description.image_stats().map_or(Value::Null, |stats| {
        Value::object([
            ("total", count(stats.total())),
            ("labeled", count(stats.labeled())),
            ("normal", count(stats.normal())),
            ("anomaly", count(stats.anomaly())),
        ])
    });
    let mut state = base.clone();
    state.set("id", key.id.clone().into());
    state.set(
        "status",
        Value::opt_string(description.status().map(DatasetStatus::as_str)),
    );
    state.set(
        "status_message",
        Value::opt_string(description.status_message()),
    );
    state.set("image_stats", image_stats);
    state.set(
        "creation_timestamp",
        timestamp(description.creation_timestamp()),
    );
    state.set(
        "last_updated_timestamp",
        timestamp(description.last_updated_timestamp()),
    );
    state
}

/// Classifies a described dataset for the create waiter.
fn creation_phase(description: &DatasetDescription) -> Phase {
    match description.status() {
        Some(DatasetStatus::CreateComplete | DatasetStatus::UpdateComplete) => Phase::Done,
        Some(DatasetStatus::CreateFailed | DatasetStatus::UpdateFailedRollbackComplete) => {
            Phase::Failed
        }
        _ => Phase::Pending,
    }
}

async fn describe(
    ctx: &Context<'_, Client>,
    key: &Key<'_>,
) -> Result<DatasetDescription, ApiError> {
    let output = ctx
        .client
        .api()
        .describe_dataset()
        .project_name(key.project)
        .dataset_type(key.dataset_type)
        .send()
        .await
        .map_err(|err| ApiError::from_sdk("DescribeDataset", err))?;
    Ok(output
        .dataset_description()
        .cloned()
        .unwrap_or_else(|| DatasetDescription::builder().build()))
}

fn observe(description: DatasetDescription, phase: Phase) -> Observation<DatasetDescription> {
    Observation {
        phase,
        status: description
            .status()
            .map_or("unknown", DatasetStatus::as_str)
            .to_owned(),
        message: description.status_message().map(str::to_owned),
        value: description,
    }
}

fn source_of(planned: &Value) -> Option<DatasetSource> {
    let source = planned.get("source");
    let bucket = source.get("bucket").as_str()?;
    let mut object = InputS3Object::builder()
        .bucket(bucket)
        .key(source.get("key").as_str().unwrap_or_default());
    if let Some(version) = source.get("version_id").as_str() {
        object = object.version_id(version);
    }
    let manifest = DatasetGroundTruthManifest::builder()
        .s3_object(object.build())
        .build();
    Some(
        DatasetSource::builder()
            .ground_truth_manifest(manifest)
            .build(),
    )
}

#[async_trait]
impl Resource<Client> for Dataset {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let source = Block::new("A manifest file in Amazon S3 (SageMaker Ground Truth format) that lists the images and their labels. Without it the dataset is created empty.")
            .attribute(s3::bucket("bucket", "The S3 bucket holding the manifest."))
            .attribute(s3::key("key", "The manifest's object key."))
            .attribute(
                Attribute::optional("version_id", Type::String)
                    .describe("The manifest object's version, for a versioned bucket.")
                    .validate(validate::string_length(1, 1024)),
            );
        Schema::new(
            Block::new(
                "A dataset of a Lookout for Vision project: the `train` dataset a model learns \
                 from, or the optional `test` dataset it is evaluated on. Creation waits until \
                 the service has imported the manifest.",
            )
            .attribute(
                Attribute::computed("id", Type::String)
                    .describe("`<project_name>:<dataset_type>`.")
                    .stable(),
            )
            .attribute(project_name_attribute(
                "project_name",
                "The project the dataset belongs to. Changing it replaces the dataset.",
            ))
            .attribute(
                Attribute::required("dataset_type", Type::String)
                    .describe("`train` or `test` (lower case). Changing it replaces the dataset.")
                    .requires_replace()
                    .validate(validate::one_of(&["train", "test"])),
            )
            .attribute(
                Attribute::computed("status", Type::String)
                    .describe("The dataset's status, e.g. `CREATE_COMPLETE`."),
            )
            .attribute(
                Attribute::computed("status_message", Type::String)
                    .describe("The service's message about the status."),
            )
            .attribute(
                Attribute::computed("image_stats", image_stats_type())
                    .describe("Image counts: `total`, `labeled`, `normal` and `anomaly`."),
            )
            .attribute(
                Attribute::computed("creation_timestamp", Type::String)
                    .describe("When the dataset was created (RFC 3339).")
                    .stable(),
            )
            .attribute(
                Attribute::computed("last_updated_timestamp", Type::String)
                    .describe("When the dataset last changed (RFC 3339)."),
            )
            .block(NestedBlock::single("source", source).requires_replace()),
        )
    }

    fn timeouts(&self) -> Timeouts {
        Timeouts {
            create: Some(Duration::from_secs(60 * 60)),
            delete: Some(Duration::from_secs(30 * 60)),
            ..Timeouts::default()
        }
    }

    async fn create(&self, ctx: &Context<'_, Client>, planned: &Value) -> Result<Value, Failure> {
        let key = Key::of(planned);
        let mut request = ctx
            .client
            .api()
            .create_dataset()
            .project_name(key.project)
            .dataset_type(key.dataset_type)
            .client_token(client_token());
        if let Some(source) = source_of(planned) {
            request = request.dataset_source(source);
        }
        request.send().await.map_err(|err| {
            let err = ApiError::from_sdk("CreateDataset", err);
            let advice = err.is_conflict().then(|| {
                format!(
                    "Project {:?} already has a {} dataset, or one is still being deleted. If \
                     it is being deleted, apply again once it is gone. To manage the existing \
                     one with Terraform, {}",
                    key.project,
                    key.dataset_type,
                    import_how(TYPE_NAME, &key.id)
                )
            });
            api_failure(Action::Create, key.subject(), &err, advice.as_deref())
        })?;

        // The dataset exists from here on: any failure below keeps it in the state (tainted).
        let waited = wait_until(ctx.timeout, &ctx.cancel, || async {
            let description = describe(ctx, &key).await?;
            let phase = creation_phase(&description);
            Ok(observe(description, phase))
        })
        .await;
        match waited {
            Ok(done) => Ok(state(planned, &done.value)),
            Err(err) => {
                let partial = match err.last_value() {
                    Some(last) => state(planned, last),
                    None => state(planned, &DatasetDescription::builder().build()),
                };
                let mut diag = wait_failure(
                    Action::Create,
                    key.subject(),
                    Limit::of(Operation::Create, ctx),
                    "status CREATE_COMPLETE",
                    &err,
                    Some(
                        "Check that the manifest named in `source` exists, that the service may \
                         read it and its images, and that it lists valid, labeled images.",
                    ),
                );
                // Interrupted, the dataset is intact and still importing: keep it untainted.
                if matches!(err, WaitError::Cancelled { .. }) {
                    diag.severity = Severity::Warning;
                }
                Err(Failure::from(diag).with_state(partial))
            }
        }
    }

    fn unobservable(&self) -> &'static [&'static str] {
        // DescribeDataset does not say which manifest a dataset was created from.
        &["source"]
    }

    /// Only reached after an import, to record the configured `source`: every other
    /// argument forces replacement.
    async fn update(
        &self,
        ctx: &Context<'_, Client>,
        _prior: &Value,
        planned: &Value,
    ) -> Result<Value, Failure> {
        let key = Key::of(planned);
        let description = describe(ctx, &key)
            .await
            .map_err(|err| api_failure(Action::Update, key.subject(), &err, None))?;
        Ok(state(planned, &description))
    }

    async fn read(
        &self,
        ctx: &Context<'_, Client>,
        current: &Value,
    ) -> Result<Option<Value>, Failure> {
        let key = Key::of(current);
        match describe(ctx, &key).await {
            Ok(description) if description.status() == Some(&DatasetStatus::DeleteInProgress) => {
                Ok(None)
            }
            Ok(description) => Ok(Some(state(current, &description))),
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(api_failure(Action::Read, key.subject(), &err, None).into()),
        }
    }

    async fn delete(&self, ctx: &Context<'_, Client>, current: &Value) -> Result<(), Failure> {
        let key = Key::of(current);
        let started = tokio::time::Instant::now();
        let token = client_token();
        let deleted = retry_conflicts(ctx.timeout, &ctx.cancel, || async {
            ctx.client
                .api()
                .delete_dataset()
                .project_name(key.project)
                .dataset_type(key.dataset_type)
                .client_token(&token)
                .send()
                .await
                .map_err(|err| ApiError::from_sdk("DeleteDataset", err))
        })
        .await;
        match deleted {
            Ok(_) => {}
            Err(RetryError::Failed(err)) if err.is_not_found() => return Ok(()),
            Err(err) => {
                return Err(retry_failure(
                    Action::Delete,
                    key.subject(),
                    Limit::of(Operation::Delete, ctx),
                    &err,
                    "it has finished importing and no model of the project is training or \
                     being deleted",
                    None,
                )
                .into())
            }
        }
        let remaining = ctx.timeout.saturating_sub(started.elapsed());
        wait_until(remaining, &ctx.cancel, || async {
            match describe(ctx, &key).await {
                Err(err) if err.is_not_found() => {
                    Ok(observe(DatasetDescription::builder().build(), Phase::Done))
                }
                Err(err) => Err(err),
                Ok(description) => {
                    let phase = match description.status() {
                        Some(DatasetStatus::DeleteFailed) => Phase::Failed,
                        _ => Phase::Pending,
                    };
                    Ok(observe(description, phase))
                }
            }
        })
        .await
        .map(|_| ())
        .map_err(|err| {
            wait_failure(
                Action::Delete,
                key.subject(),
                Limit::of(Operation::Delete, ctx),
                "the dataset to be gone",
                &err,
                Some("Run the command again to retry the deletion."),
            )
            .into()
        })
    }

    fn import(&self, id: &str) -> Result<Value, Diagnostic> {
        let (project, dataset_type) =
            split_id(TYPE_NAME, id, "<project_name>:<train|test>", "boards:train")?;
        Ok(Value::object([
            ("id", id.into()),
            ("project_name", project.into()),
            ("dataset_type", dataset_type.into()),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids_name_a_project_and_a_type() {
        let state = Dataset.import("boards:train").expect("a valid ID");
        assert_eq!(state.get("project_name").as_str(), Some("boards"));
        assert_eq!(state.get("dataset_type").as_str(), Some("train"));
        for bad in ["boards", "boards:", ":train", "a:b:c"] {
            assert!(Dataset.import(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn creation_waits_for_complete_and_fails_on_failure_states() {
        let with = |status| DatasetDescription::builder().status(status).build();
        assert_eq!(
            creation_phase(&with(DatasetStatus::CreateInProgress)),
            Phase::Pending
        );
        assert_eq!(
            creation_phase(&with(DatasetStatus::CreateComplete)),
            Phase::Done
        );
        assert_eq!(
            creation_phase(&with(DatasetStatus::CreateFailed)),
            Phase::Failed
        );
    }
}
