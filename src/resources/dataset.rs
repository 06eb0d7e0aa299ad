//! `lookoutvision_dataset`: the train or test dataset of a project, empty or from a manifest.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_lookoutvision::types::{
    DatasetDescription, DatasetGroundTruthManifest, DatasetSource, DatasetStatus, InputS3Object,
};

use super::identity;
use super::project::describe_project;
use super::typed::{read_value, Object, ShapeError, Typed, TIMEOUTS};
use super::unfinished::{self, NextStep};
use super::{
    api_failure, import_how, project_name_attribute, retry_failure, s3, split_id, timestamp,
    unknown_outcome, wait_failure, Action, Limit, Subject,
};
use crate::aws::retry::{retry_conflicts, retry_unanswered, RetryError};
use crate::aws::waiter::{wait_until, Observation, Phase, WaitError};
use crate::aws::{client_token, ApiError, Client};
use crate::framework::diag::{Diagnostic, Diagnostics, Severity};
use crate::framework::identity::{IdentityAttribute, IdentitySchema};
use crate::framework::list::{Found, ListRequest, ListResource, ListSink};
use crate::framework::plan::Planned;
use crate::framework::resource::{Context, Failure, Resource};
use crate::framework::schema::{Attribute, Block, NestedBlock, Schema};
use crate::framework::timeouts::{Operation, Timeouts};
use crate::framework::validate;
use crate::framework::value::{Type, Value};

const TYPE_NAME: &str = "lookoutvision_dataset";

// The attribute names, for the schema and for `DatasetState` (and the data source, which shows a
// dataset the same way).
pub(crate) const ID: &str = "id";
pub(crate) const PROJECT_NAME: &str = "project_name";
pub(crate) const DATASET_TYPE: &str = "dataset_type";
const STATUS: &str = "status";
const STATUS_MESSAGE: &str = "status_message";
const IMAGE_STATS: &str = "image_stats";
const CREATION_TIMESTAMP: &str = "creation_timestamp";
const LAST_UPDATED_TIMESTAMP: &str = "last_updated_timestamp";
const SOURCE: &str = "source";
// Inside `source`.
const BUCKET: &str = "bucket";
const KEY: &str = "key";
const VERSION_ID: &str = "version_id";
// Inside `image_stats`.
const TOTAL: &str = "total";
const LABELED: &str = "labeled";
const NORMAL: &str = "normal";
const ANOMALY: &str = "anomaly";

/// The `lookoutvision_dataset` resource.
#[derive(Debug, Default)]
pub struct Dataset;

/// A dataset as its state holds it. Its ID, `<project_name>:<dataset_type>`, is not held twice.
#[derive(Clone, Debug, PartialEq)]
struct DatasetState {
    project_name: String,
    dataset_type: String,
    source: Option<Source>,
    view: DatasetView,
    timeouts: Value,
}

/// What the service reports about a dataset: the attributes that the resource and the
/// `lookoutvision_dataset` data source show alike.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct DatasetView {
    status: Option<String>,
    status_message: Option<String>,
    image_stats: Option<ImageStats>,
    creation_timestamp: Option<String>,
    last_updated_timestamp: Option<String>,
}

/// The `source` block: the manifest a dataset is created from.
#[derive(Clone, Debug, PartialEq)]
struct Source {
    bucket: String,
    key: String,
    version_id: Option<String>,
}

/// The `image_stats` attribute.
#[derive(Clone, Debug, PartialEq)]
struct ImageStats {
    total: Option<i64>,
    labeled: Option<i64>,
    normal: Option<i64>,
    anomaly: Option<i64>,
}

impl Typed for DatasetState {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(DatasetState {
            project_name: object.get(PROJECT_NAME)?,
            dataset_type: object.get(DATASET_TYPE)?,
            source: object.get(SOURCE)?,
            view: DatasetView::read(&object)?,
            timeouts: object.get(TIMEOUTS)?,
        })
    }

    fn write(&self) -> Value {
        let identity = [
            (
                ID,
                dataset_id(&self.project_name, &self.dataset_type).write(),
            ),
            (PROJECT_NAME, self.project_name.write()),
            (DATASET_TYPE, self.dataset_type.write()),
            (SOURCE, self.source.write()),
            (TIMEOUTS, self.timeouts.write()),
        ];
        Value::object(identity.into_iter().chain(self.view.attributes()))
    }
}

impl DatasetView {
    /// The dataset as `description` shows it.
    pub(crate) fn of(description: &DatasetDescription) -> Self {
        let count = |n: Option<i32>| n.map(i64::from);
        DatasetView {
            status: description
                .status()
                .map(|status| status.as_str().to_owned()),
            status_message: description.status_message().map(str::to_owned),
            image_stats: description.image_stats().map(|stats| ImageStats {
                total: count(stats.total()),
                labeled: count(stats.labeled()),
                normal: count(stats.normal()),
                anomaly: count(stats.anomaly()),
            }),
            creation_timestamp: timestamp(description.creation_timestamp()),
            last_updated_timestamp: timestamp(description.last_updated_timestamp()),
        }
    }

    fn read(object: &Object<'_>) -> Result<Self, ShapeError> {
        Ok(DatasetView {
            status: object.get(STATUS)?,
            status_message: object.get(STATUS_MESSAGE)?,
            image_stats: object.get(IMAGE_STATS)?,
            creation_timestamp: object.get(CREATION_TIMESTAMP)?,
            last_updated_timestamp: object.get(LAST_UPDATED_TIMESTAMP)?,
        })
    }

    /// The attributes and their values.
    pub(crate) fn attributes(&self) -> [(&'static str, Value); 5] {
        [
            (STATUS, self.status.write()),
            (STATUS_MESSAGE, self.status_message.write()),
            (IMAGE_STATS, self.image_stats.write()),
            (CREATION_TIMESTAMP, self.creation_timestamp.write()),
            (LAST_UPDATED_TIMESTAMP, self.last_updated_timestamp.write()),
        ]
    }

    /// The schema of the attributes.
    pub(crate) fn schema_attributes() -> [Attribute; 5] {
        [
            Attribute::computed(STATUS, Type::String)
                .describe("The dataset's status, e.g. `CREATE_COMPLETE`."),
            Attribute::computed(STATUS_MESSAGE, Type::String)
                .describe("The service's message about the status."),
            Attribute::computed(IMAGE_STATS, image_stats_type())
                .describe("Image counts: `total`, `labeled`, `normal` and `anomaly`."),
            Attribute::computed(CREATION_TIMESTAMP, Type::String)
                .describe("When the dataset was created (RFC 3339).")
                .stable(),
            Attribute::computed(LAST_UPDATED_TIMESTAMP, Type::String)
                .describe("When the dataset last changed (RFC 3339)."),
        ]
    }
}

/// The `lookoutvision_dataset` list resource: the datasets of a project.
#[derive(Debug, Default)]
pub struct DatasetList;

#[async_trait]
impl ListResource<Client> for DatasetList {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("Lists the datasets (train and test) of a project.").attribute(
                project_name_attribute(PROJECT_NAME, "The project whose datasets to list."),
            ),
        )
    }

    async fn list(
        &self,
        ctx: &Context<'_, Client>,
        request: &ListRequest,
        sink: &mut ListSink,
    ) -> Result<(), Diagnostics> {
        let project: String = Object::of(&request.config)
            .and_then(|config| config.get(PROJECT_NAME))
            .map_err(|err| err.diagnostic(TYPE_NAME))?;
        let failed = |err: ApiError| {
            let subject = Subject::Listing {
                type_name: TYPE_NAME,
                project: Some(&project),
            };
            api_failure(Action::List, subject, &err, None)
        };
        // DescribeProject names the project's datasets; there is no ListDatasets.
        let description = describe_project(ctx.client, &project)
            .await
            .map_err(failed)?;
        for metadata in description.datasets() {
            let Some(dataset_type) = metadata.dataset_type() else {
                continue;
            };
            let mut state = DatasetState::identified(&project, dataset_type);
            if request.include_resource {
                match describe_dataset(ctx.client, &project, dataset_type).await {
                    Ok(description) => state = state.observed(&description),
                    // Deleted since the project was described.
                    Err(err) if err.is_not_found() => continue,
                    Err(err) => return Err(failed(err).into()),
                }
            }
            let found = Found {
                state: state.write(),
                display_name: dataset_id(&project, dataset_type),
            };
            if !sink.push(found).await {
                break;
            }
        }
        Ok(())
    }
}

/// A dataset's ID: `<project_name>:<dataset_type>`.
pub(crate) fn dataset_id(project: &str, dataset_type: &str) -> String {
    format!("{project}:{dataset_type}")
}

/// The required `dataset_type` argument: `train` or `test`.
pub(crate) fn dataset_type_attribute(description: &str) -> Attribute {
    Attribute::required(DATASET_TYPE, Type::String)
        .describe(description)
        .requires_replace()
        .validate(validate::one_of(&["train", "test"]))
}

impl Typed for Source {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(Source {
            bucket: object.get(BUCKET)?,
            key: object.get(KEY)?,
            version_id: object.get(VERSION_ID)?,
        })
    }

    fn write(&self) -> Value {
        Value::object([
            (BUCKET, self.bucket.write()),
            (KEY, self.key.write()),
            (VERSION_ID, self.version_id.write()),
        ])
    }
}

impl Typed for ImageStats {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(ImageStats {
            total: object.get(TOTAL)?,
            labeled: object.get(LABELED)?,
            normal: object.get(NORMAL)?,
            anomaly: object.get(ANOMALY)?,
        })
    }

    fn write(&self) -> Value {
        Value::object([
            (TOTAL, self.total.write()),
            (LABELED, self.labeled.write()),
            (NORMAL, self.normal.write()),
            (ANOMALY, self.anomaly.write()),
        ])
    }
}

fn image_stats_type() -> Type {
    Type::object([
        (TOTAL, Type::Number),
        (LABELED, Type::Number),
        (NORMAL, Type::Number),
        (ANOMALY, Type::Number),
    ])
}

impl DatasetState {
    /// The `dataset_type` dataset of `project`, with nothing known about it yet (as an import
    /// starts).
    fn identified(project: &str, dataset_type: &str) -> DatasetState {
        DatasetState {
            project_name: project.to_owned(),
            dataset_type: dataset_type.to_owned(),
            source: None,
            view: DatasetView::default(),
            timeouts: Value::Null,
        }
    }

    /// This dataset as `description` shows it; the arguments and `timeouts` stay.
    fn observed(&self, description: &DatasetDescription) -> DatasetState {
        DatasetState {
            view: DatasetView::of(description),
            ..self.clone()
        }
    }
}

impl Source {
    /// The manifest as CreateDataset takes it.
    fn to_sdk(&self) -> DatasetSource {
        let object = InputS3Object::builder()
            .bucket(&self.bucket)
            .key(&self.key)
            .set_version_id(self.version_id.clone());
        let manifest = DatasetGroundTruthManifest::builder()
            .s3_object(object.build())
            .build();
        DatasetSource::builder()
            .ground_truth_manifest(manifest)
            .build()
    }
}

/// Which dataset a state describes.
struct Key<'a> {
    project: &'a str,
    dataset_type: &'a str,
    id: String,
}

impl<'a> Key<'a> {
    fn of(state: &'a DatasetState) -> Self {
        let (project, dataset_type) = (&state.project_name, &state.dataset_type);
        Key {
            project,
            dataset_type,
            id: dataset_id(project, dataset_type),
        }
    }

    fn subject(&self) -> Subject<'_> {
        Subject::Existing {
            type_name: TYPE_NAME,
            id: &self.id,
        }
    }
}

/// What to do when CreateDataset meets a conflict: the project already has a dataset of this
/// type (one per type is the service's rule, so a replacement cannot be created before the
/// dataset it replaces is deleted), or one is being deleted.
fn already_has_one(key: &Key<'_>) -> String {
    format!(
        "Project {project:?} already has a {kind} dataset, or one is still being deleted: a \
         project holds one dataset of each type. If this create replaces a dataset and the \
         resource sets `lifecycle {{ create_before_destroy = true }}`, remove that setting: \
         the replacement can only be created once the old dataset is deleted. If a dataset is \
         being deleted, apply again once it is gone. If the existing dataset is not managed by \
         Terraform, delete it, or, to manage it, {import}",
        project = key.project,
        kind = key.dataset_type,
        import = import_how(TYPE_NAME, &key.id)
    )
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
    describe_dataset(ctx.client, key.project, key.dataset_type).await
}

/// DescribeDataset: the `dataset_type` dataset of `project` as the service describes it.
pub(crate) async fn describe_dataset(
    client: &Client,
    project: &str,
    dataset_type: &str,
) -> Result<DatasetDescription, ApiError> {
    let output = client
        .api()
        .describe_dataset()
        .project_name(project)
        .dataset_type(dataset_type)
        .send()
        .await
        .map_err(|err| ApiError::from_sdk("DescribeDataset", err))?;
    output
        .dataset_description()
        .cloned()
        .ok_or_else(|| ApiError::incomplete("DescribeDataset", "DatasetDescription"))
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

/// Waits until dataset `key` has imported its manifest and returns its state, `planned` as the
/// service then shows it. A failed or timed-out import keeps the dataset in the state (tainted
/// after a create; the next plan replaces a `CREATE_FAILED` dataset). Interrupted, the dataset
/// is intact and still importing: it is kept untainted and the next apply waits for it.
async fn imported(
    ctx: &Context<'_, Client>,
    key: &Key<'_>,
    planned: &DatasetState,
    operation: Operation,
) -> Result<Value, Failure> {
    let waited = wait_until(ctx.timeout, &ctx.cancel, || async {
        let description = describe(ctx, key).await?;
        let phase = creation_phase(&description);
        Ok(observe(description, phase))
    })
    .await;
    let err = match waited {
        Ok(done) => return Ok(planned.observed(&done.value).write()),
        Err(err) => err,
    };
    let partial = match err.last_value() {
        Some(last) => planned.observed(last),
        None => planned.clone(),
    };
    let action = match operation {
        Operation::Create => Action::Create,
        Operation::Update | Operation::Delete => Action::Update,
    };
    let mut diag = wait_failure(
        action,
        key.subject(),
        Limit::of(operation, ctx),
        "status CREATE_COMPLETE",
        &err,
        Some(
            "Check that the manifest named in `source` exists, that the service may read it \
             and its images, and that it lists valid, labeled images. A dataset whose import \
             failed is replaced by the next apply.",
        ),
    );
    if matches!(err, WaitError::Cancelled { .. }) {
        diag.severity = Severity::Warning;
    }
    Err(Failure::from(diag).with_state(partial.write()))
}

/// What the next apply must do for a dataset recorded with `status`: wait for an import still
/// under way, replace one that failed.
fn next_step(status: Option<&str>) -> NextStep {
    match status.map(DatasetStatus::from) {
        Some(DatasetStatus::CreateInProgress) => NextStep::Finish,
        Some(DatasetStatus::CreateFailed) => NextStep::Replace,
        _ => NextStep::Nothing,
    }
}

/// The attributes an import sets when it ends, its status first.
const IMPORT_OUTCOME: [&str; 4] = [STATUS, STATUS_MESSAGE, IMAGE_STATS, LAST_UPDATED_TIMESTAMP];

#[async_trait]
impl Resource<Client> for Dataset {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let source = Block::new("A manifest file in Amazon S3 (SageMaker Ground Truth format) that lists the images and their labels. Without it the dataset is created empty.")
            .attribute(s3::bucket(BUCKET, "The S3 bucket holding the manifest."))
            .attribute(s3::key(KEY, "The manifest's object key."))
            .attribute(
                Attribute::optional(VERSION_ID, Type::String)
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
                Attribute::computed(ID, Type::String)
                    .describe("`<project_name>:<dataset_type>`.")
                    .stable(),
            )
            .attribute(project_name_attribute(
                PROJECT_NAME,
                "The project the dataset belongs to. Changing it replaces the dataset.",
            ))
            .attribute(dataset_type_attribute(
                "`train` or `test` (lower case). Changing it replaces the dataset.",
            ))
            .attributes(DatasetView::schema_attributes())
            .block(NestedBlock::single(SOURCE, source).requires_replace()),
        )
    }

    fn timeouts(&self) -> Timeouts {
        Timeouts {
            create: Some(Duration::from_secs(60 * 60)),
            // An update only finishes an import an interrupted create left under way.
            update: Some(Duration::from_secs(60 * 60)),
            delete: Some(Duration::from_secs(30 * 60)),
        }
    }

    async fn create(&self, ctx: &Context<'_, Client>, planned: &Value) -> Result<Value, Failure> {
        let planned: DatasetState = read_value(TYPE_NAME, planned)?;
        let key = Key::of(&planned);
        // One token for every attempt: a create whose answer was lost is asked again, and the
        // service answers with the dataset it created.
        let token = client_token();
        let created = retry_unanswered(ctx.timeout, &ctx.cancel, || async {
            ctx.client
                .api()
                .create_dataset()
                .project_name(key.project)
                .dataset_type(key.dataset_type)
                .set_dataset_source(planned.source.as_ref().map(Source::to_sdk))
                .client_token(&token)
                .send()
                .await
                .map_err(|err| ApiError::from_sdk("CreateDataset", err))
        })
        .await;
        match created {
            Ok(_) => {}
            Err(RetryError::Failed(err)) => {
                let advice = err.is_conflict().then(|| already_has_one(&key));
                return Err(
                    api_failure(Action::Create, key.subject(), &err, advice.as_deref()).into(),
                );
            }
            Err(err) => {
                let diag = retry_failure(
                    Action::Create,
                    key.subject(),
                    Limit::of(Operation::Create, ctx),
                    &err,
                    "it answers",
                    None,
                );
                let identified = planned.observed(&DatasetDescription::builder().build());
                return Err(unknown_outcome(diag, &err, identified.write()));
            }
        }

        // The dataset exists from here on: any failure below keeps it in the state.
        imported(ctx, &key, &planned, Operation::Create).await
    }

    fn unobservable(&self) -> &'static [&'static str] {
        // DescribeDataset does not say which manifest a dataset was created from.
        &[SOURCE]
    }

    /// Every argument forces replacement, so this is reached only to record the configured
    /// `source` after an import, or to finish an import an interrupted apply left under way
    /// (as the plan announced).
    async fn update(
        &self,
        ctx: &Context<'_, Client>,
        _prior: &Value,
        planned: &Value,
    ) -> Result<Value, Failure> {
        let planned: DatasetState = read_value(TYPE_NAME, planned)?;
        let key = Key::of(&planned);
        let description = describe(ctx, &key)
            .await
            .map_err(|err| api_failure(Action::Update, key.subject(), &err, None))?;
        if next_step(description.status().map(DatasetStatus::as_str)) == NextStep::Finish {
            return imported(ctx, &key, &planned, Operation::Update).await;
        }
        Ok(planned.observed(&description).write())
    }

    fn modify_plan(
        &self,
        _client: Option<&Client>,
        prior: &Value,
        plan: &mut Planned,
        _diags: &mut Diagnostics,
    ) {
        if !prior.is_null() {
            let step = next_step(prior.get(STATUS).as_str());
            unfinished::plan(step, &IMPORT_OUTCOME, plan);
        }
    }

    async fn read(
        &self,
        ctx: &Context<'_, Client>,
        current: &Value,
    ) -> Result<Option<Value>, Failure> {
        let current: DatasetState = read_value(TYPE_NAME, current)?;
        let key = Key::of(&current);
        match describe(ctx, &key).await {
            Ok(description) if description.status() == Some(&DatasetStatus::DeleteInProgress) => {
                Ok(None)
            }
            Ok(description) => Ok(Some(current.observed(&description).write())),
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(api_failure(Action::Read, key.subject(), &err, None).into()),
        }
    }

    async fn delete(&self, ctx: &Context<'_, Client>, current: &Value) -> Result<(), Failure> {
        let current: DatasetState = read_value(TYPE_NAME, current)?;
        let key = Key::of(&current);
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
        Ok(DatasetState::identified(project, dataset_type).write())
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity::schema(
            [
                IdentityAttribute::required(PROJECT_NAME, "The project the dataset belongs to."),
                IdentityAttribute::required(DATASET_TYPE, "`train` or `test`."),
            ],
            "The AWS account of the dataset. The service reports no ARN for a dataset, so the \
             provider cannot tell the account: it keeps the one an import by identity gave, and \
             is null otherwise.",
        ))
    }

    fn identity(&self, state: &Value, client: Option<&Client>) -> Value {
        let own = [
            (PROJECT_NAME, state.get(PROJECT_NAME).clone()),
            (DATASET_TYPE, state.get(DATASET_TYPE).clone()),
        ];
        // No ARN: the provider's region, and an account it cannot tell.
        Value::object(
            own.into_iter()
                .chain(identity::location(&Value::Null, client)),
        )
    }

    fn import_identity(&self, identity: &Value) -> Result<Value, Diagnostic> {
        let project = identity::given(identity, PROJECT_NAME);
        let dataset_type = identity::given(identity, DATASET_TYPE);
        Ok(DatasetState::identified(project, dataset_type).write())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids_name_a_project_and_a_type() {
        let imported = Dataset.import("boards:train").expect("a valid ID");
        assert_eq!(imported.get(ID).as_str(), Some("boards:train"));
        let state = DatasetState::read(&imported).expect("an imported state");
        assert_eq!(state.project_name, "boards");
        assert_eq!(state.dataset_type, "train");
        for bad in ["boards", "boards:", ":train", "a:b:c"] {
            assert!(Dataset.import(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn the_identity_names_the_project_and_type_and_not_the_account() {
        let identity = Dataset.identity(&stored(), None);
        assert_eq!(
            identity,
            Value::object([
                (PROJECT_NAME, "boards".into()),
                (DATASET_TYPE, "train".into()),
                (identity::ACCOUNT_ID, Value::Null),
                (identity::REGION, Value::Null),
            ])
        );
        let imported = Dataset
            .import_identity(&identity)
            .expect("any project and type");
        assert_eq!(
            imported,
            Dataset.import("boards:train").expect("a valid ID")
        );
    }

    fn stored() -> Value {
        Value::object([
            (ID, "boards:train".into()),
            (PROJECT_NAME, "boards".into()),
            (DATASET_TYPE, "train".into()),
            (
                SOURCE,
                Value::object([
                    (BUCKET, "images".into()),
                    (KEY, "train.manifest".into()),
                    (VERSION_ID, Value::Null),
                ]),
            ),
            (STATUS, "CREATE_COMPLETE".into()),
            (STATUS_MESSAGE, "Dataset created.".into()),
            (
                IMAGE_STATS,
                Value::object([
                    (TOTAL, 30i64.into()),
                    (LABELED, 30i64.into()),
                    (NORMAL, 20i64.into()),
                    (ANOMALY, 10i64.into()),
                ]),
            ),
            (CREATION_TIMESTAMP, "2025-01-02T03:04:05Z".into()),
            (LAST_UPDATED_TIMESTAMP, "2025-01-02T03:05:00Z".into()),
            (TIMEOUTS, Value::object([("create", "2h".into())])),
        ])
    }

    #[test]
    fn state_round_trips_through_the_typed_model() {
        let state = DatasetState::read(&stored()).expect("a complete state");
        assert_eq!(
            state.source.as_ref().map(|s| s.key.as_str()),
            Some("train.manifest")
        );
        assert_eq!(
            state.view.image_stats.as_ref().and_then(|s| s.anomaly),
            Some(10)
        );
        assert_eq!(state.write(), stored());
    }

    #[test]
    fn missing_identity_or_manifest_key_is_an_error_not_an_empty_string() {
        let mut value = stored();
        value.set(DATASET_TYPE, Value::Null);
        let err = DatasetState::read(&value).expect_err("no type");
        assert_eq!(err.to_string(), "`dataset_type` is null");

        let mut value = stored();
        value.set(SOURCE, Value::object([(BUCKET, "images".into())]));
        let err = DatasetState::read(&value).expect_err("no key");
        assert_eq!(err.to_string(), "`source.key` is null");
    }

    #[test]
    fn observing_the_service_keeps_the_arguments_and_replaces_the_rest() {
        let planned = DatasetState::read(&stored()).expect("a complete state");
        let observed = planned.observed(
            &DatasetDescription::builder()
                .status(DatasetStatus::CreateInProgress)
                .build(),
        );
        assert_eq!(observed.view.status.as_deref(), Some("CREATE_IN_PROGRESS"));
        assert_eq!(observed.view.image_stats, None);
        assert_eq!(observed.view.creation_timestamp, None);
        assert_eq!(observed.source, planned.source);
        assert_eq!(observed.timeouts, planned.timeouts);
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
