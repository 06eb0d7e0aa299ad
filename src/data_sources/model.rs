//! `lookoutvision_model` (one model version, or a project's latest with a given status) and
//! `lookoutvision_models` (a project's model versions).

use async_trait::async_trait;
use aws_sdk_lookoutvision::types::{ModelMetadata, ModelStatus};

use super::{query, read_failure};
use crate::aws::Client;
use crate::framework::data_source::{not_found, DataSource};
use crate::framework::diag::{AttributePath, Diagnostic, Diagnostics};
use crate::framework::resource::Context;
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::validate;
use crate::framework::value::{Type, Value};
use crate::resources::model::state::{
    ARN, BUCKET, CREATION_TIMESTAMP, DESCRIPTION, ID, KMS_KEY_ID, MAX_INFERENCE_UNITS,
    MIN_INFERENCE_UNITS, MODEL_VERSION, OUTPUT_CONFIG, PERFORMANCE, PREFIX, PROJECT_NAME, STATUS,
    STATUS_MESSAGE, TAGS, TAGS_ALL,
};
use crate::resources::model::{
    describe_with_tags, list_models, performance_type, reported_attributes, status_filter,
    version_number, Key, ModelState, Performance,
};
use crate::resources::typed::{Object, ShapeError, Typed, TIMEOUTS};
use crate::resources::{project_name_attribute, timestamp};

const MODEL: &str = "lookoutvision_model";
const MODELS: &str = "lookoutvision_models";

// The attribute names of `lookoutvision_models`' own attributes.
const MODELS_LIST: &str = "models";
const MODEL_VERSIONS: &str = "model_versions";

/// The `lookoutvision_model` data source.
#[derive(Debug, Default)]
pub struct ModelDataSource;

/// The `lookoutvision_models` data source.
#[derive(Debug, Default)]
pub struct ModelsDataSource;

/// The configuration of either data source: the project, and which of its models.
struct ModelQuery {
    project_name: String,
    model_version: Option<String>,
    status: Option<String>,
}

impl Typed for ModelQuery {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(ModelQuery {
            project_name: object.get(PROJECT_NAME)?,
            model_version: object.get(MODEL_VERSION)?,
            status: object.get(STATUS)?,
        })
    }

    fn write(&self) -> Value {
        Value::object([
            (PROJECT_NAME, self.project_name.write()),
            (MODEL_VERSION, self.model_version.write()),
            (STATUS, self.status.write()),
        ])
    }
}

impl ModelQuery {
    /// The status to filter on, as the SDK names it.
    fn status(&self) -> Option<ModelStatus> {
        self.status.as_deref().map(ModelStatus::from)
    }

    /// What the query looks for, as messages say it: `model with status HOSTED in project
    /// "boards"`.
    fn looked_for(&self) -> String {
        let project = &self.project_name;
        match &self.status {
            Some(status) => format!("model with status {status} in project {project:?}"),
            None => format!("model in project {project:?}"),
        }
    }
}

/// The `status` of `lookoutvision_model`: a filter that also reports the model's status.
fn status_attribute(description: &str) -> Attribute {
    Attribute {
        computed: true,
        ..status_filter(description)
    }
}

/// One element of `lookoutvision_models`' `models`.
#[derive(Clone, Debug, PartialEq)]
struct ModelSummary {
    model_version: Option<String>,
    arn: Option<String>,
    status: Option<String>,
    status_message: Option<String>,
    description: Option<String>,
    creation_timestamp: Option<String>,
    performance: Option<Performance>,
}

impl Typed for ModelSummary {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(ModelSummary {
            model_version: object.get(MODEL_VERSION)?,
            arn: object.get(ARN)?,
            status: object.get(STATUS)?,
            status_message: object.get(STATUS_MESSAGE)?,
            description: object.get(DESCRIPTION)?,
            creation_timestamp: object.get(CREATION_TIMESTAMP)?,
            performance: object.get(PERFORMANCE)?,
        })
    }

    fn write(&self) -> Value {
        Value::object([
            (MODEL_VERSION, self.model_version.write()),
            (ARN, self.arn.write()),
            (STATUS, self.status.write()),
            (STATUS_MESSAGE, self.status_message.write()),
            (DESCRIPTION, self.description.write()),
            (CREATION_TIMESTAMP, self.creation_timestamp.write()),
            (PERFORMANCE, self.performance.write()),
        ])
    }
}

impl ModelSummary {
    fn of(metadata: &ModelMetadata) -> Self {
        ModelSummary {
            model_version: metadata.model_version().map(str::to_owned),
            arn: metadata.model_arn().map(str::to_owned),
            status: metadata.status().map(|s| s.as_str().to_owned()),
            status_message: metadata.status_message().map(str::to_owned),
            description: metadata.description().map(str::to_owned),
            creation_timestamp: timestamp(metadata.creation_timestamp()),
            performance: metadata.performance().map(Performance::of),
        }
    }
}

fn model_summary_type() -> Type {
    Type::object([
        (MODEL_VERSION, Type::String),
        (ARN, Type::String),
        (STATUS, Type::String),
        (STATUS_MESSAGE, Type::String),
        (DESCRIPTION, Type::String),
        (CREATION_TIMESTAMP, Type::String),
        (PERFORMANCE, performance_type()),
    ])
}

/// The models of the queried project (with the queried status), oldest first.
async fn models(
    client: &Client,
    query: &ModelQuery,
    type_name: &'static str,
) -> Result<Vec<ModelMetadata>, Diagnostic> {
    let project = &query.project_name;
    let mut models = list_models(client, project, query.status().as_ref(), usize::MAX)
        .await
        .map_err(|err| {
            read_failure(
                type_name,
                project,
                &format!("project {project:?}"),
                "Check the project name, and that the provider's region and endpoint are the \
                 project's.",
                &err,
            )
        })?;
    models.sort_by_key(version_number);
    Ok(models)
}

/// The value of `lookoutvision_model`: the model as the service reports it, in the resource's
/// attributes, with every tag of the model as `tags`.
fn model_value(state: &ModelState) -> Value {
    let mut value = state.write();
    if let Value::Object(attributes) = &mut value {
        // The resource's own bookkeeping: the data source reports all tags as `tags`.
        attributes.remove(TAGS_ALL);
        attributes.remove(TIMEOUTS);
    }
    value
}

#[async_trait]
impl DataSource<Client> for ModelDataSource {
    fn type_name(&self) -> &'static str {
        MODEL
    }

    fn schema(&self) -> Schema {
        let output = Type::object([(BUCKET, Type::String), (PREFIX, Type::String)]);
        let reported = reported_attributes()
            .into_iter()
            .filter(|a| a.name != MODEL_VERSION && a.name != STATUS);
        Schema::new(
            Block::new(
                "Reads a Lookout for Vision model version: a given version, or the project's \
                 latest version (with a given status, if `status` is set). A model still \
                 training or starting is reported with its current status, without waiting. \
                 Fails if no model matches.",
            )
            .attribute(project_name_attribute(
                PROJECT_NAME,
                "The project whose model to read.",
            ))
            .attribute(
                Attribute::optional_computed(MODEL_VERSION, Type::String)
                    .describe(
                        "The version to read. Unset, the data source reads the latest version \
                         (the highest number), with `status` if that is set, and reports its \
                         number here.",
                    )
                    .validate(validate::string_matches(
                        "[1-9][0-9]*",
                        "a model version number such as `1`",
                    )),
            )
            .attribute(status_attribute(
                "With `model_version` unset: read the latest version with this status, e.g. \
                 `HOSTED`. Reports the model's status.",
            ))
            .attribute(
                Attribute::computed(ID, Type::String).describe("`<project_name>:<model_version>`."),
            )
            .attribute(
                Attribute::computed(DESCRIPTION, Type::String).describe("The model's description."),
            )
            .attribute(
                Attribute::computed(KMS_KEY_ID, Type::String)
                    .describe("The KMS key that encrypts the model, if one was given."),
            )
            .attribute(
                Attribute::computed(TAGS, Type::map(Type::String))
                    .describe("Every tag of the model."),
            )
            .attribute(
                Attribute::computed(MIN_INFERENCE_UNITS, Type::Number).describe(
                    "The inference units the model is hosted with; null unless it is hosted \
                     or starting to be.",
                ),
            )
            .attribute(
                Attribute::computed(MAX_INFERENCE_UNITS, Type::Number).describe(
                    "The most inference units hosting may scale to; null unless the model is \
                     hosted or starting to be.",
                ),
            )
            .attributes(reported)
            .attribute(
                Attribute::computed(OUTPUT_CONFIG, output)
                    .describe("Where training wrote its output (`bucket`, `prefix`)."),
            ),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let given = |name| {
            let value = config.get(name);
            !value.is_null() && !value.is_unknown()
        };
        if given(MODEL_VERSION) && given(STATUS) {
            diags.push(
                Diagnostic::error(
                    "Conflicting arguments model_version and status",
                    "Set model_version to read that version, or status to read the latest \
                     version with that status, not both.",
                )
                .at(AttributePath::root(MODEL_VERSION)),
            );
        }
    }

    async fn read(&self, ctx: &Context<'_, Client>, config: &Value) -> Result<Value, Diagnostics> {
        let query: ModelQuery = query(MODEL, config)?;
        let project = &query.project_name;
        let version = match &query.model_version {
            Some(version) => version.clone(),
            None => models(ctx.client, &query, MODEL)
                .await?
                .last()
                .and_then(|model| model.model_version().map(str::to_owned))
                .ok_or_else(|| {
                    not_found(
                        MODEL,
                        &query.looked_for(),
                        "The project has no such model version yet; the lookoutvision_models \
                         data source lists the versions it has.",
                    )
                })?,
        };
        let key = Key::new(project, &version);
        let described = describe_with_tags(ctx.client, &key).await.map_err(|err| {
            read_failure(
                MODEL,
                &key.id,
                &format!("model version {version} in project {project:?}"),
                "Check the project name and the version; the lookoutvision_models data source \
                 lists the versions the project has.",
                &err,
            )
        })?;
        Ok(model_value(&ModelState::reported(&key, &described)))
    }
}

#[async_trait]
impl DataSource<Client> for ModelsDataSource {
    fn type_name(&self) -> &'static str {
        MODELS
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new(
                "Lists the model versions of a Lookout for Vision project, optionally only those \
                 with a given status, reading every page of ListModels.",
            )
            .attribute(project_name_attribute(
                PROJECT_NAME,
                "The project whose models to list.",
            ))
            .attribute(status_filter(
                "List only the versions with this status, e.g. `TRAINED`.",
            ))
            .attribute(
                Attribute::computed(MODELS_LIST, Type::list(model_summary_type())).describe(
                    "The versions, oldest first: `model_version`, `arn`, `status`, \
                     `status_message`, `description`, `creation_timestamp` and `performance` \
                     (`f1_score`, `precision`, `recall`).",
                ),
            )
            .attribute(
                Attribute::computed(MODEL_VERSIONS, Type::list(Type::String))
                    .describe("The version numbers, oldest first."),
            ),
        )
    }

    async fn read(&self, ctx: &Context<'_, Client>, config: &Value) -> Result<Value, Diagnostics> {
        let query: ModelQuery = query(MODELS, config)?;
        let models = models(ctx.client, &query, MODELS).await?;
        let summaries: Vec<ModelSummary> = models.iter().map(ModelSummary::of).collect();
        let versions: Vec<String> = summaries
            .iter()
            .filter_map(|m| m.model_version.clone())
            .collect();
        Ok(Value::object([
            (PROJECT_NAME, query.project_name.write()),
            (STATUS, query.status.write()),
            (MODELS_LIST, summaries.write()),
            (MODEL_VERSIONS, versions.write()),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::model::describe::Described;
    use aws_sdk_lookoutvision::types::{ModelDescription, ModelPerformance};

    #[test]
    fn a_model_reads_into_the_data_source_schema_with_every_tag() {
        let key = Key::new("boards", "2");
        let described = Described {
            description: ModelDescription::builder()
                .model_version("2")
                .status(ModelStatus::Hosted)
                .min_inference_units(1)
                .max_inference_units(1)
                .build(),
            tags: [("team".to_owned(), "vision".to_owned())].into(),
        };
        let value = model_value(&ModelState::reported(&key, &described));
        let ty = ModelDataSource.schema().block.implied_type();
        crate::framework::msgpack::encode(&value, &ty).expect("the value fits the schema");
        assert_eq!(value.get(ID).as_str(), Some("boards:2"));
        assert_eq!(
            value.get(TAGS).get("team"),
            &Value::Null,
            "a map, not an object"
        );
        assert_eq!(value.get(TAGS).string_map()["team"], "vision");
        // The maximum shows even when it equals the minimum.
        assert_eq!(value.get(MAX_INFERENCE_UNITS).as_i64(), Some(1));
    }

    #[test]
    fn version_and_status_together_are_refused_at_the_version() {
        let config = ModelQuery {
            project_name: "boards".into(),
            model_version: Some("1".into()),
            status: Some("HOSTED".into()),
        }
        .write();
        let mut diags = Diagnostics::default();
        ModelDataSource.validate(&config, &mut diags);
        let diag = &diags.0[0];
        assert_eq!(
            diag.summary,
            "Conflicting arguments model_version and status"
        );
        assert_eq!(diag.path, Some(AttributePath::root(MODEL_VERSION)));

        let mut diags = Diagnostics::default();
        let config = Value::object([(MODEL_VERSION, "1".into()), (STATUS, Value::Unknown)]);
        ModelDataSource.validate(&config, &mut diags);
        assert!(diags.is_empty(), "an unknown status may turn out null");
    }

    #[test]
    fn the_list_of_models_fits_the_schema() {
        let summary = ModelSummary::of(
            &ModelMetadata::builder()
                .model_version("1")
                .status(ModelStatus::Trained)
                .performance(ModelPerformance::builder().f1_score(0.5).build())
                .build(),
        );
        let value = Value::object([
            (PROJECT_NAME, "boards".into()),
            (STATUS, Value::Null),
            (MODELS_LIST, vec![summary.clone()].write()),
            (MODEL_VERSIONS, vec!["1".to_owned()].write()),
        ]);
        let ty = ModelsDataSource.schema().block.implied_type();
        crate::framework::msgpack::encode(&value, &ty).expect("the value fits the schema");
        assert_eq!(ModelSummary::read(&summary.write()), Ok(summary));
    }

    #[test]
    fn what_was_looked_for_names_the_status_and_the_project() {
        let query = |status: Option<&str>| ModelQuery {
            project_name: "boards".into(),
            model_version: None,
            status: status.map(str::to_owned),
        };
        assert_eq!(
            query(Some("HOSTED")).looked_for(),
            r#"model with status HOSTED in project "boards""#
        );
        assert_eq!(query(None).looked_for(), r#"model in project "boards""#);
    }
}
