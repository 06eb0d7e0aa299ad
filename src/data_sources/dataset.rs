//! `lookoutvision_dataset`: one dataset of a project, by type.

use async_trait::async_trait;

use super::{query, read_failure};
use crate::aws::Client;
use crate::framework::data_source::DataSource;
use crate::framework::diag::Diagnostics;
use crate::framework::resource::Context;
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::value::{Type, Value};
use crate::resources::dataset::{
    dataset_id, dataset_type_attribute, describe_dataset, DatasetView, DATASET_TYPE, ID,
    PROJECT_NAME,
};
use crate::resources::project_name_attribute;
use crate::resources::typed::{Object, ShapeError, Typed};

const DATASET: &str = "lookoutvision_dataset";

/// The `lookoutvision_dataset` data source.
#[derive(Debug, Default)]
pub struct DatasetDataSource;

/// The configuration: which dataset.
struct DatasetQuery {
    project_name: String,
    dataset_type: String,
}

impl Typed for DatasetQuery {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(DatasetQuery {
            project_name: object.get(PROJECT_NAME)?,
            dataset_type: object.get(DATASET_TYPE)?,
        })
    }

    fn write(&self) -> Value {
        Value::object([
            (PROJECT_NAME, self.project_name.write()),
            (DATASET_TYPE, self.dataset_type.write()),
        ])
    }
}

/// The data source's value: the dataset named, as the service shows it.
fn value(query: &DatasetQuery, view: &DatasetView) -> Value {
    let id = dataset_id(&query.project_name, &query.dataset_type);
    let named = [
        (ID, id.write()),
        (PROJECT_NAME, query.project_name.write()),
        (DATASET_TYPE, query.dataset_type.write()),
    ];
    Value::object(named.into_iter().chain(view.attributes()))
}

#[async_trait]
impl DataSource<Client> for DatasetDataSource {
    fn type_name(&self) -> &'static str {
        DATASET
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new(
                "Reads the train or test dataset of a Lookout for Vision project: its status, the \
                 service's status message and its image counts. A dataset still importing its \
                 manifest is reported as it is (for example `CREATE_IN_PROGRESS`), without \
                 waiting. Fails if the project has no such dataset.",
            )
            .attribute(project_name_attribute(
                PROJECT_NAME,
                "The project the dataset belongs to.",
            ))
            .attribute(dataset_type_attribute("`train` or `test` (lower case)."))
            .attribute(
                Attribute::computed(ID, Type::String).describe("`<project_name>:<dataset_type>`."),
            )
            .attributes(DatasetView::schema_attributes()),
        )
    }

    async fn read(&self, ctx: &Context<'_, Client>, config: &Value) -> Result<Value, Diagnostics> {
        let query: DatasetQuery = query(DATASET, config)?;
        let (project, dataset_type) = (&query.project_name, &query.dataset_type);
        let description = describe_dataset(ctx.client, project, dataset_type)
            .await
            .map_err(|err| {
                read_failure(
                    DATASET,
                    &dataset_id(project, dataset_type),
                    &format!("{dataset_type} dataset in project {project:?}"),
                    "Check the project name and the dataset type: the project may not exist, or \
                     may have no such dataset yet.",
                    &err,
                )
            })?;
        Ok(value(&query, &DatasetView::of(&description)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_lookoutvision::types::{DatasetDescription, DatasetStatus};

    #[test]
    fn a_dataset_still_importing_is_shown_as_it_is() {
        let query = DatasetQuery {
            project_name: "boards".into(),
            dataset_type: "train".into(),
        };
        let description = DatasetDescription::builder()
            .status(DatasetStatus::CreateInProgress)
            .status_message("Importing.")
            .build();
        let value = value(&query, &DatasetView::of(&description));
        let ty = DatasetDataSource.schema().block.implied_type();
        crate::framework::msgpack::encode(&value, &ty).expect("the value fits the schema");
        assert_eq!(value.get(ID).as_str(), Some("boards:train"));
        assert_eq!(value.get("status").as_str(), Some("CREATE_IN_PROGRESS"));
        assert!(value.get("image_stats").is_null());
    }
}
