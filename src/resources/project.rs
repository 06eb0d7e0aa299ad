//! `lookoutvision_project`: a Lookout for Vision project, the container of datasets and models.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_lookoutvision::types::{ProjectDescription, ProjectMetadata};

use super::identity::{self, ACCOUNT_FROM_ARN};
use super::typed::{read_value, Object, ShapeError, Typed, TIMEOUTS};
use super::{
    api_failure, import_how, project_name_attribute, retry_failure, timestamp, unknown_outcome,
    Action, Limit, Subject,
};
use crate::aws::pages::{page_size, Page, Pages};
use crate::aws::retry::{retry_conflicts, retry_unanswered, RetryError};
use crate::aws::{client_token, ApiError, Client};
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::identity::{IdentityAttribute, IdentitySchema};
use crate::framework::list::{Found, ListRequest, ListResource, ListSink};
use crate::framework::moves::{unsupported_move, MoveSource};
use crate::framework::resource::{replace_only, Context, Failure, Resource};
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::timeouts::{Operation, Timeouts};
use crate::framework::value::{Type, Value};

const TYPE_NAME: &str = "lookoutvision_project";

/// The awscc resource a `moved` block may adopt a project from, and the schema versions it has
/// written (1 since 2021; 0 is accepted in case an early release wrote it).
const AWSCC_TYPE: &str = "awscc_lookoutvision_project";
const AWSCC_VERSIONS: std::ops::RangeInclusive<i64> = 0..=1;
/// The awscc provider, under the registries Terraform and OpenTofu name it by.
const AWSCC_ADDRESSES: [&str; 2] = [
    "registry.terraform.io/hashicorp/awscc",
    "registry.opentofu.org/hashicorp/awscc",
];
/// The awscc attribute holding the name (`id`, Cloud Control's identifier, holds it too).
const AWSCC_PROJECT_NAME: &str = "project_name";

// The attribute names, for the schema and for `ProjectState` (and the data sources that show a
// project the same way).
pub(crate) const ID: &str = "id";
pub(crate) const NAME: &str = "name";
pub(crate) const ARN: &str = "arn";
pub(crate) const CREATION_TIMESTAMP: &str = "creation_timestamp";

/// The `lookoutvision_project` resource.
#[derive(Debug, Default)]
pub struct Project;

/// A project as its state holds it. Its ID is its name, so it is not held twice.
#[derive(Clone, Debug, PartialEq)]
struct ProjectState {
    name: String,
    arn: Option<String>,
    creation_timestamp: Option<String>,
    timeouts: Value,
}

impl Typed for ProjectState {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(ProjectState {
            name: object.get(NAME)?,
            arn: object.get(ARN)?,
            creation_timestamp: object.get(CREATION_TIMESTAMP)?,
            timeouts: object.get(TIMEOUTS)?,
        })
    }

    fn write(&self) -> Value {
        Value::object([
            (ID, self.name.write()),
            (NAME, self.name.write()),
            (ARN, self.arn.write()),
            (CREATION_TIMESTAMP, self.creation_timestamp.write()),
            (TIMEOUTS, self.timeouts.write()),
        ])
    }
}

impl ProjectState {
    /// The project as DescribeProject shows it, carrying `timeouts`.
    fn described(description: &ProjectDescription, name: &str, timeouts: Value) -> Self {
        ProjectState {
            name: description
                .project_name()
                .map_or_else(|| name.to_owned(), str::to_owned),
            arn: description.project_arn().map(str::to_owned),
            creation_timestamp: timestamp(description.creation_timestamp()),
            timeouts,
        }
    }

    fn subject(&self) -> Subject<'_> {
        Subject::Existing {
            type_name: TYPE_NAME,
            id: &self.name,
        }
    }
}

#[async_trait]
impl Resource<Client> for Project {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new(
                "A Lookout for Vision project: the container for a model's datasets and model \
                 versions. A project can only be deleted once its datasets and models are gone; \
                 the provider retries the deletion while they are still being deleted.",
            )
            .attribute(
                Attribute::computed(ID, Type::String)
                    .describe("The project name.")
                    .stable(),
            )
            .attribute(project_name_attribute(
                NAME,
                "The project name: 1 to 255 letters, digits, hyphens and underscores, starting with \
                 a letter or digit. Changing it replaces the project.",
            ))
            .attribute(
                Attribute::computed(ARN, Type::String)
                    .describe("The project's ARN.")
                    .stable(),
            )
            .attribute(
                Attribute::computed(CREATION_TIMESTAMP, Type::String)
                    .describe("When the project was created (RFC 3339).")
                    .stable(),
            ),
        )
    }

    fn timeouts(&self) -> Timeouts {
        Timeouts {
            delete: Some(Duration::from_secs(15 * 60)),
            ..Timeouts::default()
        }
    }

    async fn create(&self, ctx: &Context<'_, Client>, planned: &Value) -> Result<Value, Failure> {
        let planned: ProjectState = read_value(TYPE_NAME, planned)?;
        let name = planned.name.as_str();
        // One token for every attempt: a create whose answer was lost is asked again, and the
        // service answers with the project it created.
        let token = client_token();
        let created = retry_unanswered(ctx.timeout, &ctx.cancel, || async {
            ctx.client
                .api()
                .create_project()
                .project_name(name)
                .client_token(&token)
                .send()
                .await
                .map_err(|err| ApiError::from_sdk("CreateProject", err))
        })
        .await;
        let output = match created {
            Ok(output) => output,
            Err(RetryError::Failed(err)) => {
                let advice = err.is_conflict().then(|| {
                    format!(
                        "A project named {name:?} already exists. Choose another name, or, to \
                         manage the existing project with Terraform, {}",
                        import_how(TYPE_NAME, name)
                    )
                });
                return Err(api_failure(
                    Action::Create,
                    planned.subject(),
                    &err,
                    advice.as_deref(),
                )
                .into());
            }
            Err(err) => {
                let diag = retry_failure(
                    Action::Create,
                    planned.subject(),
                    Limit::of(Operation::Create, ctx),
                    &err,
                    "it answers",
                    None,
                );
                return Err(unknown_outcome(diag, &err, planned.write()));
            }
        };
        let metadata = output.project_metadata();
        let created = ProjectState {
            arn: metadata.and_then(|m| m.project_arn()).map(str::to_owned),
            creation_timestamp: timestamp(metadata.and_then(|m| m.creation_timestamp())),
            ..planned
        };
        Ok(created.write())
    }

    async fn read(
        &self,
        ctx: &Context<'_, Client>,
        current: &Value,
    ) -> Result<Option<Value>, Failure> {
        let current: ProjectState = read_value(TYPE_NAME, current)?;
        match describe_project(ctx.client, &current.name).await {
            Ok(description) => {
                let read =
                    ProjectState::described(&description, &current.name, current.timeouts.clone());
                Ok(Some(read.write()))
            }
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(api_failure(Action::Read, current.subject(), &err, None).into()),
        }
    }

    /// Every argument replaces the project, so Terraform never plans an update in place.
    async fn update(
        &self,
        _ctx: &Context<'_, Client>,
        _prior: &Value,
        _planned: &Value,
    ) -> Result<Value, Failure> {
        Err(replace_only(TYPE_NAME))
    }

    async fn delete(&self, ctx: &Context<'_, Client>, current: &Value) -> Result<(), Failure> {
        let current: ProjectState = read_value(TYPE_NAME, current)?;
        let name = current.name.as_str();
        let started = tokio::time::Instant::now();
        // One token for every attempt: a retried call the service already accepted is a replay.
        let token = client_token();
        let result = retry_conflicts(ctx.timeout, &ctx.cancel, || async {
            let deleted = ctx
                .client
                .api()
                .delete_project()
                .project_name(name)
                .client_token(&token)
                .send()
                .await
                .map_err(|err| ApiError::from_sdk("DeleteProject", err));
            match deleted {
                // A conflict is worth waiting out only while what blocks the deletion is being
                // deleted itself; anything else stays until someone deletes it.
                Err(conflict) if conflict.is_conflict() => {
                    match stuck_children(ctx.client, name, started.elapsed()).await {
                        Some(stuck) => Ok(Err(Blocked { conflict, stuck })),
                        None => Err(conflict),
                    }
                }
                other => other.map(|_| Ok(())),
            }
        })
        .await;
        match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(blocked)) => Err(blocked.diagnostic(&current).into()),
            // Gone, including when a replay of a delete whose answer was lost finds it gone.
            Err(RetryError::Failed(err)) if err.is_not_found() => Ok(()),
            Err(err) => Err(retry_failure(
                Action::Delete,
                current.subject(),
                Limit::of(Operation::Delete, ctx),
                &err,
                "its datasets and models are deleted",
                Some(
                    "If some of them are not managed in this configuration, delete them first \
                     (or import them, so that Terraform deletes them with the project).",
                ),
            )
            .into()),
        }
    }

    fn import(&self, id: &str) -> Result<Value, Diagnostic> {
        let imported = ProjectState {
            name: id.to_owned(),
            arn: None,
            creation_timestamp: None,
            timeouts: Value::Null,
        };
        Ok(imported.write())
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity::schema(
            [IdentityAttribute::required(NAME, "The project name.")],
            ACCOUNT_FROM_ARN,
        ))
    }

    fn identity(&self, state: &Value, client: Option<&Client>) -> Value {
        let own = [(NAME, state.get(NAME).clone())];
        Value::object(
            own.into_iter()
                .chain(identity::location(state.get(ARN), client)),
        )
    }

    fn import_identity(&self, identity: &Value) -> Result<Value, Diagnostic> {
        self.import(identity::given(identity, NAME))
    }

    /// A project managed with awscc's `awscc_lookoutvision_project` is adopted as it is: its
    /// `project_name` becomes `name`, its `arn` is kept, and the next refresh reads the rest.
    fn move_state(&self, source: &MoveSource<'_>) -> Result<Value, Diagnostic> {
        let address = source.provider_address.to_ascii_lowercase();
        if source.type_name != AWSCC_TYPE || !AWSCC_ADDRESSES.contains(&address.as_str()) {
            let supported = format!("{AWSCC_TYPE} of {}", AWSCC_ADDRESSES[0]);
            return Err(unsupported_move(TYPE_NAME, source, &[&supported]));
        }
        if !AWSCC_VERSIONS.contains(&source.schema_version) {
            return Err(Diagnostic::error(
                format!("Cannot move {AWSCC_TYPE} to {TYPE_NAME}"),
                format!(
                    "The {AWSCC_TYPE} state has schema version {}, which this provider does not \
                     know: it reads versions {} to {}, every version awscc had written when \
                     this provider was released. Import the project instead.",
                    source.schema_version,
                    AWSCC_VERSIONS.start(),
                    AWSCC_VERSIONS.end()
                ),
            ));
        }
        let name = source
            .text(AWSCC_PROJECT_NAME)
            .or_else(|| source.text(ID))
            .ok_or_else(|| {
                Diagnostic::error(
                    format!("Cannot move {AWSCC_TYPE} to {TYPE_NAME}"),
                    format!(
                        "The {AWSCC_TYPE} state has no `{AWSCC_PROJECT_NAME}` (nor `{ID}`), so \
                         the project it held is unknown. Import the project instead."
                    ),
                )
            })?;
        let moved = ProjectState {
            name: name.to_owned(),
            arn: source.text(ARN).map(str::to_owned),
            creation_timestamp: None,
            timeouts: Value::Null,
        };
        Ok(moved.write())
    }
}

/// The `lookoutvision_project` list resource: every project of the provider's account and
/// region, page by page.
#[derive(Debug, Default)]
pub struct ProjectList;

#[async_trait]
impl ListResource<Client> for ProjectList {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new(
            "Lists every project in the provider's account and region. The `config` block takes \
             no arguments.",
        ))
    }

    async fn list(
        &self,
        ctx: &Context<'_, Client>,
        _request: &ListRequest,
        sink: &mut ListSink,
    ) -> Result<(), Diagnostics> {
        let mut pages = Pages::new();
        while !sink.is_done() {
            let size = page_size(sink.remaining());
            let Some(page) = pages
                .next(|token| projects_page(ctx.client, token, size))
                .await
            else {
                break;
            };
            let page = page.map_err(|err| {
                let subject = Subject::Listing {
                    type_name: TYPE_NAME,
                    project: None,
                };
                api_failure(Action::List, subject, &err, None)
            })?;
            for metadata in &page {
                let Some(name) = metadata.project_name() else {
                    continue;
                };
                // What a read after an import gives: ListProjects tells all DescribeProject does.
                let state = ProjectState {
                    name: name.to_owned(),
                    arn: metadata.project_arn().map(str::to_owned),
                    creation_timestamp: timestamp(metadata.creation_timestamp()),
                    timeouts: Value::Null,
                };
                let found = Found {
                    state: state.write(),
                    display_name: name.to_owned(),
                };
                if !sink.push(found).await {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

/// How long a project's deletion waits out children that are not being deleted before it names
/// them. Terraform deletes the children it manages before their project, but it deletes a child
/// that names its project by a literal string (not a reference) at the same time as the project:
/// its deletion starts within moments.
const UNDELETED_GRACE: Duration = Duration::from_secs(10);

/// A child of a project that keeps the project from being deleted and is not being deleted.
#[derive(Debug, PartialEq, Eq)]
struct Child {
    /// `dataset "train"` or `model version 2`.
    what: String,
    /// Its import ID.
    id: String,
    /// The resource type that imports it.
    type_name: &'static str,
    /// Its status.
    status: String,
}

/// A deletion refused while the project holds children that nobody is deleting.
struct Blocked {
    conflict: ApiError,
    stuck: Vec<Child>,
}

impl Blocked {
    fn diagnostic(&self, project: &ProjectState) -> Diagnostic {
        let name = &project.name;
        let list: Vec<String> = self
            .stuck
            .iter()
            .map(|child| {
                format!(
                    "  - {} of project {name:?} (status {}), not managed by this configuration \
                     (or not being destroyed with it): terraform import {}.<name> {}",
                    child.what, child.status, child.type_name, child.id
                )
            })
            .collect();
        Diagnostic::error(
            format!(
                "Cannot delete {}: it holds objects nobody is deleting",
                project.subject()
            ),
            format!(
                "{} The project still holds:\n{}\nThe service deletes a project only once its \
                 datasets and models are gone, and these are not being deleted, so waiting would \
                 not help. Delete them (or import them with the commands above into this \
                 configuration, so that Terraform deletes them with the project), then run the \
                 command again.",
                super::sentence(self.conflict.to_string()),
                list.join("\n")
            ),
        )
    }
}

/// The children of project `name` that keep it from being deleted and are not being deleted,
/// once `waited` is past [`UNDELETED_GRACE`]; `None` while every child is being deleted (or
/// the children cannot be read, when the conflict is simply retried).
async fn stuck_children(client: &Client, name: &str, waited: Duration) -> Option<Vec<Child>> {
    use aws_sdk_lookoutvision::types::{DatasetStatus, ModelStatus};
    if waited < UNDELETED_GRACE {
        return None;
    }
    let description = describe_project(client, name).await.ok()?;
    let models = crate::resources::model::list_models(client, name, None, usize::MAX)
        .await
        .ok()?;
    let datasets = description.datasets().iter().filter_map(|dataset| {
        let kind = dataset.dataset_type()?;
        let status = dataset.status()?;
        (*status != DatasetStatus::DeleteInProgress).then(|| Child {
            what: format!("dataset {kind:?}"),
            id: format!("{name}:{kind}"),
            type_name: "lookoutvision_dataset",
            status: status.as_str().to_owned(),
        })
    });
    let models = models.iter().filter_map(|model| {
        let version = model.model_version()?;
        let status = model.status()?;
        (*status != ModelStatus::Deleting).then(|| Child {
            what: format!("model version {version}"),
            id: format!("{name}:{version}"),
            type_name: "lookoutvision_model",
            status: status.as_str().to_owned(),
        })
    });
    let stuck: Vec<Child> = datasets.chain(models).collect();
    (!stuck.is_empty()).then_some(stuck)
}

/// DescribeProject: project `name` as the service describes it.
pub(crate) async fn describe_project(
    client: &Client,
    name: &str,
) -> Result<ProjectDescription, ApiError> {
    let output = client
        .api()
        .describe_project()
        .project_name(name)
        .send()
        .await
        .map_err(|err| ApiError::from_sdk("DescribeProject", err))?;
    Ok(output
        .project_description()
        .cloned()
        .unwrap_or_else(|| ProjectDescription::builder().project_name(name).build()))
}

/// One page of ListProjects: at most `size` projects after `token`.
pub(crate) async fn projects_page(
    client: &Client,
    token: Option<String>,
    size: i32,
) -> Result<Page<ProjectMetadata>, ApiError> {
    let output = client
        .api()
        .list_projects()
        .set_next_token(token)
        .max_results(size)
        .send()
        .await
        .map_err(|err| ApiError::from_sdk("ListProjects", err))?;
    Ok((
        output.projects().to_vec(),
        output.next_token().map(str::to_owned),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> Value {
        Value::object([
            (ID, "demo".into()),
            (NAME, "demo".into()),
            (
                ARN,
                "arn:aws:lookoutvision:us-east-1:123456789012:project/demo".into(),
            ),
            (CREATION_TIMESTAMP, "2025-01-02T03:04:05Z".into()),
            (TIMEOUTS, Value::object([("delete", "5m".into())])),
        ])
    }

    #[test]
    fn state_round_trips_through_the_typed_model() {
        let state = ProjectState::read(&stored()).expect("a complete state");
        assert_eq!(state.name, "demo");
        assert_eq!(
            state.creation_timestamp.as_deref(),
            Some("2025-01-02T03:04:05Z")
        );
        assert_eq!(state.write(), stored());
    }

    #[test]
    fn a_missing_name_is_an_error_not_an_empty_name() {
        let mut value = stored();
        value.set(NAME, Value::Null);
        let err = ProjectState::read(&value).expect_err("no name");
        assert_eq!(err.to_string(), "`name` is null");
        let diag = read_value::<ProjectState>(TYPE_NAME, &value).expect_err("no name");
        assert_eq!(
            diag.summary,
            "Invalid value of lookoutvision_project: `name` is null"
        );
    }

    #[test]
    fn a_create_plan_reads_with_its_computed_attributes_unknown() {
        let planned = Value::object([
            (ID, Value::Unknown),
            (NAME, "demo".into()),
            (ARN, Value::Unknown),
            (CREATION_TIMESTAMP, Value::Unknown),
            (TIMEOUTS, Value::Null),
        ]);
        let state = ProjectState::read(&planned).expect("a plan");
        assert_eq!((state.name.as_str(), state.arn), ("demo", None));
    }

    #[test]
    fn the_identity_is_the_name_and_where_the_arn_says() {
        let identity = Project.identity(&stored(), None);
        assert_eq!(
            identity,
            Value::object([
                (NAME, "demo".into()),
                (identity::ACCOUNT_ID, "123456789012".into()),
                (identity::REGION, "us-east-1".into()),
            ])
        );
        let imported = Project
            .import_identity(&Value::object([(NAME, "demo".into())]))
            .expect("any name");
        assert_eq!(imported, Project.import("demo").expect("any name"));
    }

    fn awscc(
        address: &str,
        type_name: &str,
        version: i64,
        state: &serde_json::Value,
    ) -> Result<Value, Diagnostic> {
        Project.move_state(&MoveSource {
            provider_address: address,
            type_name,
            schema_version: version,
            state,
            identity: None,
        })
    }

    #[test]
    fn an_awscc_project_moves_with_its_name_and_arn() {
        let arn = "arn:aws:lookoutvision:us-east-1:123456789012:project/demo";
        let stored =
            serde_json::json!({"arn": arn, "id": "demo", "project_name": "demo", "new": 1});
        for (address, version) in [(AWSCC_ADDRESSES[0], 1), (AWSCC_ADDRESSES[1], 0)] {
            let moved = awscc(address, AWSCC_TYPE, version, &stored).expect("an awscc project");
            let state = ProjectState::read(&moved).expect("a project state");
            assert_eq!(state.name, "demo");
            assert_eq!(state.arn.as_deref(), Some(arn));
            assert_eq!(moved.get(ID).as_str(), Some("demo"));
        }
        // Without project_name, Cloud Control's id holds the name.
        let moved = awscc(
            AWSCC_ADDRESSES[0],
            AWSCC_TYPE,
            1,
            &serde_json::json!({"id": "x"}),
        )
        .expect("an id");
        assert_eq!(moved.get(NAME).as_str(), Some("x"));
    }

    #[test]
    fn other_sources_are_refused_naming_the_one_supported() {
        let stored = serde_json::json!({"project_name": "demo"});
        let err = awscc(
            "registry.terraform.io/hashicorp/aws",
            "aws_rekognition_project",
            0,
            &stored,
        )
        .expect_err("not awscc");
        assert_eq!(
            err.summary,
            "Cannot move aws_rekognition_project to lookoutvision_project"
        );
        assert!(err.detail.contains(
            "can only be moved from awscc_lookoutvision_project of \
             registry.terraform.io/hashicorp/awscc"
        ));
        let err = awscc(AWSCC_ADDRESSES[0], AWSCC_TYPE, 2, &stored).expect_err("a newer version");
        assert!(err.detail.contains("schema version 2"), "{err:?}");
        let err = awscc(
            AWSCC_ADDRESSES[0],
            AWSCC_TYPE,
            1,
            &serde_json::json!({"arn": "a"}),
        )
        .expect_err("no name");
        assert!(err.detail.contains("no `project_name`"), "{err:?}");
    }

    #[test]
    fn import_fills_the_identity_and_leaves_the_rest_null() {
        let imported = Project.import("demo").expect("any name");
        let state = ProjectState::read(&imported).expect("an imported state");
        assert_eq!(imported.get(ID).as_str(), Some("demo"));
        assert_eq!(state.name, "demo");
        assert!(state.arn.is_none() && state.timeouts.is_null());
    }
}
