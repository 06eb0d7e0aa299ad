//! The `lookoutvision_model` list resource: the model versions of a project, optionally only
//! those with a given status.

use async_trait::async_trait;
use aws_sdk_lookoutvision::types::ModelStatus;

use super::describe::{describe_with_tags, list_models, status_filter};
use super::state::{Key, ModelState, PROJECT_NAME, STATUS};
use super::TYPE_NAME;
use crate::aws::{ApiError, Client};
use crate::framework::diag::Diagnostics;
use crate::framework::list::{Found, ListRequest, ListResource, ListSink};
use crate::framework::resource::Context;
use crate::framework::schema::{Block, Schema};
use crate::framework::value::Value;
use crate::resources::typed::{Object, ShapeError, Typed};
use crate::resources::{api_failure, project_name_attribute, Action, Subject};

/// The `lookoutvision_model` list resource.
#[derive(Debug, Default)]
pub struct ModelList;

/// A list block's `config`.
struct ModelListConfig {
    project_name: String,
    status: Option<String>,
}

impl Typed for ModelListConfig {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(ModelListConfig {
            project_name: object.get(PROJECT_NAME)?,
            status: object.get(STATUS)?,
        })
    }

    fn write(&self) -> Value {
        Value::object([
            (PROJECT_NAME, self.project_name.write()),
            (STATUS, self.status.write()),
        ])
    }
}

#[async_trait]
impl ListResource<Client> for ModelList {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(
            Block::new("Lists the model versions of a project.")
                .attribute(project_name_attribute(
                    PROJECT_NAME,
                    "The project whose models to list.",
                ))
                .attribute(status_filter(
                    "List only the versions with this status, e.g. `HOSTED`.",
                )),
        )
    }

    async fn list(
        &self,
        ctx: &Context<'_, Client>,
        request: &ListRequest,
        sink: &mut ListSink,
    ) -> Result<(), Diagnostics> {
        let config =
            ModelListConfig::read(&request.config).map_err(|err| err.diagnostic(TYPE_NAME))?;
        let project = config.project_name.as_str();
        let failed = |err: ApiError| {
            let subject = Subject::Listing {
                type_name: TYPE_NAME,
                project: Some(project),
            };
            api_failure(Action::List, subject, &err, None)
        };
        let status = config.status.as_deref().map(ModelStatus::from);
        let models = list_models(ctx.client, project, status.as_ref(), sink.remaining())
            .await
            .map_err(failed)?;
        for metadata in &models {
            let Some(version) = metadata.model_version() else {
                continue;
            };
            let key = Key::new(project, version);
            let state = if request.include_resource {
                // What a read after an import gives.
                match describe_with_tags(ctx.client, &key).await {
                    Ok(described) => ModelState::identified(&key).refreshed(
                        &key,
                        &described,
                        &ctx.client.default_tags,
                    ),
                    // Deleted since it was listed.
                    Err(err) if err.is_not_found() => continue,
                    Err(err) => return Err(failed(err).into()),
                }
            } else {
                // The identity needs the ARN, which the listing has.
                ModelState {
                    arn: metadata.model_arn().map(str::to_owned),
                    ..ModelState::identified(&key)
                }
            };
            let found = Found {
                state: state.write(),
                display_name: key.id.clone(),
            };
            if !sink.push(found).await {
                break;
            }
        }
        Ok(())
    }
}
