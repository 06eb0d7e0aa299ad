//! `lookoutvision_project` (one project by name, with its datasets and model versions) and
//! `lookoutvision_projects` (every project of the account and region).

use async_trait::async_trait;
use aws_sdk_lookoutvision::types::{DatasetMetadata, ProjectMetadata};

use super::{query, read_failure};
use crate::aws::pages::{page_size, Pages};
use crate::aws::Client;
use crate::framework::data_source::DataSource;
use crate::framework::diag::Diagnostics;
use crate::framework::resource::Context;
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::value::{Type, Value};
use crate::resources::model::{list_models, version_number};
use crate::resources::project::{
    describe_project, projects_page, ARN, CREATION_TIMESTAMP, ID, NAME,
};
use crate::resources::typed::{Object, ShapeError, Typed};
use crate::resources::{api_failure, project_name_attribute, timestamp, Action, Subject};

const PROJECT: &str = "lookoutvision_project";
const PROJECTS: &str = "lookoutvision_projects";

// The attribute names of the data sources' own attributes.
const DATASETS: &str = "datasets";
const DATASET_TYPE: &str = "dataset_type";
const STATUS: &str = "status";
const STATUS_MESSAGE: &str = "status_message";
const MODEL_VERSIONS: &str = "model_versions";
const PROJECTS_LIST: &str = "projects";
const NAMES: &str = "names";

/// The `lookoutvision_project` data source.
#[derive(Debug, Default)]
pub struct ProjectDataSource;

/// The `lookoutvision_projects` data source.
#[derive(Debug, Default)]
pub struct ProjectsDataSource;

/// What `lookoutvision_project` reports.
#[derive(Clone, Debug, PartialEq)]
struct ProjectView {
    name: String,
    arn: Option<String>,
    creation_timestamp: Option<String>,
    datasets: Vec<DatasetSummary>,
    model_versions: Vec<String>,
}

/// One element of `datasets`.
#[derive(Clone, Debug, PartialEq)]
struct DatasetSummary {
    dataset_type: Option<String>,
    status: Option<String>,
    status_message: Option<String>,
    creation_timestamp: Option<String>,
}

/// One element of `projects`.
#[derive(Clone, Debug, PartialEq)]
struct ProjectSummary {
    name: String,
    arn: Option<String>,
    creation_timestamp: Option<String>,
}

impl Typed for ProjectView {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(ProjectView {
            name: object.get(NAME)?,
            arn: object.get(ARN)?,
            creation_timestamp: object.get(CREATION_TIMESTAMP)?,
            datasets: object.get::<Option<_>>(DATASETS)?.unwrap_or_default(),
            model_versions: object.get::<Option<_>>(MODEL_VERSIONS)?.unwrap_or_default(),
        })
    }

    fn write(&self) -> Value {
        Value::object([
            (ID, self.name.write()),
            (NAME, self.name.write()),
            (ARN, self.arn.write()),
            (CREATION_TIMESTAMP, self.creation_timestamp.write()),
            (DATASETS, self.datasets.write()),
            (MODEL_VERSIONS, self.model_versions.write()),
        ])
    }
}

impl Typed for DatasetSummary {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(DatasetSummary {
            dataset_type: object.get(DATASET_TYPE)?,
            status: object.get(STATUS)?,
            status_message: object.get(STATUS_MESSAGE)?,
            creation_timestamp: object.get(CREATION_TIMESTAMP)?,
        })
    }

    fn write(&self) -> Value {
        Value::object([
            (DATASET_TYPE, self.dataset_type.write()),
            (STATUS, self.status.write()),
            (STATUS_MESSAGE, self.status_message.write()),
            (CREATION_TIMESTAMP, self.creation_timestamp.write()),
        ])
    }
}

impl DatasetSummary {
    fn of(metadata: &DatasetMetadata) -> Self {
        DatasetSummary {
            dataset_type: metadata.dataset_type().map(str::to_owned),
            status: metadata.status().map(|s| s.as_str().to_owned()),
            status_message: metadata.status_message().map(str::to_owned),
            creation_timestamp: timestamp(metadata.creation_timestamp()),
        }
    }
}

impl Typed for ProjectSummary {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(ProjectSummary {
            name: object.get(NAME)?,
            arn: object.get(ARN)?,
            creation_timestamp: object.get(CREATION_TIMESTAMP)?,
        })
    }

    fn write(&self) -> Value {
        Value::object([
            (NAME, self.name.write()),
            (ARN, self.arn.write()),
            (CREATION_TIMESTAMP, self.creation_timestamp.write()),
        ])
    }
}

impl ProjectSummary {
    fn of(metadata: &ProjectMetadata) -> Option<Self> {
        Some(ProjectSummary {
            name: metadata.project_name()?.to_owned(),
            arn: metadata.project_arn().map(str::to_owned),
            creation_timestamp: timestamp(metadata.creation_timestamp()),
        })
    }
}

/// The configuration of `lookoutvision_project`: the name.
struct ProjectQuery {
    name: String,
}

impl Typed for ProjectQuery {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        Ok(ProjectQuery {
            name: Object::of(value)?.get(NAME)?,
        })
    }

    fn write(&self) -> Value {
        Value::object([(NAME, self.name.write())])
    }
}

fn dataset_summary_type() -> Type {
    Type::object([
        (DATASET_TYPE, Type::String),
        (STATUS, Type::String),
        (STATUS_MESSAGE, Type::String),
        (CREATION_TIMESTAMP, Type::String),
    ])
}

fn project_summary_type() -> Type {
    Type::object([
        (NAME, Type::String),
        (ARN, Type::String),
        (CREATION_TIMESTAMP, Type::String),
    ])
}

#[async_trait]
impl DataSource<Client> for ProjectDataSource {
    fn type_name(&self) -> &'static str {
        PROJECT
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new(
                "Reads a Lookout for Vision project by name: its ARN, its datasets with their \
                 statuses, and its model versions. Fails if the project does not exist.",
            )
            .attribute(project_name_attribute(
                NAME,
                "The project name: 1 to 255 letters, digits, hyphens and underscores, starting \
                 with a letter or digit.",
            ))
            .attribute(Attribute::computed(ID, Type::String).describe("The project name."))
            .attribute(Attribute::computed(ARN, Type::String).describe("The project's ARN."))
            .attribute(
                Attribute::computed(CREATION_TIMESTAMP, Type::String)
                    .describe("When the project was created (RFC 3339)."),
            )
            .attribute(
                Attribute::computed(DATASETS, Type::list(dataset_summary_type())).describe(
                    "The project's datasets: `dataset_type` (`train` or `test`), `status`, \
                     `status_message` and `creation_timestamp`. A dataset that is still \
                     importing shows its current status.",
                ),
            )
            .attribute(
                Attribute::computed(MODEL_VERSIONS, Type::list(Type::String))
                    .describe("The versions of the project's models, oldest first."),
            ),
        )
    }

    async fn read(&self, ctx: &Context<'_, Client>, config: &Value) -> Result<Value, Diagnostics> {
        let ProjectQuery { name } = query(PROJECT, config)?;
        let missing = |err| {
            read_failure(
                PROJECT,
                &name,
                &format!("project {name:?}"),
                "Check the name, and that the provider's region and endpoint are the project's; \
                 the lookoutvision_projects data source lists the projects there.",
                &err,
            )
        };
        let description = describe_project(ctx.client, &name).await.map_err(missing)?;
        let mut models = list_models(ctx.client, &name, None, usize::MAX)
            .await
            .map_err(missing)?;
        models.sort_by_key(version_number);
        let view = ProjectView {
            arn: description.project_arn().map(str::to_owned),
            creation_timestamp: timestamp(description.creation_timestamp()),
            datasets: description
                .datasets()
                .iter()
                .map(DatasetSummary::of)
                .collect(),
            model_versions: models
                .iter()
                .filter_map(|m| m.model_version().map(str::to_owned))
                .collect(),
            name,
        };
        Ok(view.write())
    }
}

#[async_trait]
impl DataSource<Client> for ProjectsDataSource {
    fn type_name(&self) -> &'static str {
        PROJECTS
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new(
                "Lists every Lookout for Vision project in the provider's account and region, \
                 reading every page of ListProjects.",
            )
            .attribute(
                Attribute::computed(PROJECTS_LIST, Type::list(project_summary_type())).describe(
                    "The projects, by name: `name`, `arn` and `creation_timestamp` (RFC 3339).",
                ),
            )
            .attribute(
                Attribute::computed(NAMES, Type::list(Type::String))
                    .describe("The project names, in order."),
            ),
        )
    }

    async fn read(&self, ctx: &Context<'_, Client>, _config: &Value) -> Result<Value, Diagnostics> {
        let mut pages = Pages::new();
        let mut projects = Vec::new();
        let size = page_size(usize::MAX);
        while let Some(page) = pages
            .next(|token| projects_page(ctx.client, token, size))
            .await
        {
            let page = page.map_err(|err| {
                let subject = Subject::Listing {
                    type_name: PROJECTS,
                    project: None,
                };
                api_failure(Action::List, subject, &err, None)
            })?;
            projects.extend(page.iter().filter_map(ProjectSummary::of));
        }
        projects.sort_by(|a, b| a.name.cmp(&b.name));
        let names: Vec<String> = projects.iter().map(|p| p.name.clone()).collect();
        Ok(Value::object([
            (PROJECTS_LIST, projects.write()),
            (NAMES, names.write()),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_lookoutvision::types::DatasetStatus;

    #[test]
    fn the_value_fits_the_schema_and_round_trips() {
        let view = ProjectView {
            name: "boards".into(),
            arn: Some("arn:aws:lookoutvision:us-east-1:123456789012:project/boards".into()),
            creation_timestamp: Some("2025-01-02T03:04:05Z".into()),
            datasets: vec![DatasetSummary::of(
                &DatasetMetadata::builder()
                    .dataset_type("train")
                    .status(DatasetStatus::CreateInProgress)
                    .build(),
            )],
            model_versions: vec!["1".into(), "2".into()],
        };
        let value = view.write();
        let ty = ProjectDataSource.schema().block.implied_type();
        crate::framework::msgpack::encode(&value, &ty).expect("the value fits the schema");
        assert_eq!(ProjectView::read(&value), Ok(view));
        assert_eq!(value.get(ID).as_str(), Some("boards"));
        assert_eq!(
            value.get(DATASETS).elements()[0].get(STATUS).as_str(),
            Some("CREATE_IN_PROGRESS")
        );
    }

    #[test]
    fn the_list_of_projects_fits_the_schema() {
        let summary = ProjectSummary::of(&ProjectMetadata::builder().project_name("a").build())
            .expect("a named project");
        let value = Value::object([
            (PROJECTS_LIST, vec![summary.clone()].write()),
            (NAMES, vec!["a".to_owned()].write()),
        ]);
        let ty = ProjectsDataSource.schema().block.implied_type();
        crate::framework::msgpack::encode(&value, &ty).expect("the value fits the schema");
        assert_eq!(ProjectSummary::read(&summary.write()), Ok(summary));
    }
}
