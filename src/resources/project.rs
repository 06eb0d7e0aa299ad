//! `lookoutvision_project`: a Lookout for Vision project, the container of datasets and models.

use std::time::Duration;

use async_trait::async_trait;

use super::{
    api_failure, import_how, project_name_attribute, retry_failure, timestamp, Action, Limit,
    Subject,
};
use crate::aws::retry::{retry_conflicts, RetryError};
use crate::aws::{client_token, ApiError, Client};
use crate::framework::diag::Diagnostic;
use crate::framework::resource::{replace_only, Context, Failure, Resource};
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::timeouts::{Operation, Timeouts};
use crate::framework::value::{Type, Value};

const TYPE_NAME: &str = "lookoutvision_project";

/// The `lookoutvision_project` resource.
#[derive(Debug, Default)]
pub struct Project;

fn name(state: &Value) -> &str {
    state.get("name").as_str().unwrap_or_default()
}

fn subject(state: &Value) -> Subject<'_> {
    Subject::Existing {
        type_name: TYPE_NAME,
        id: name(state),
    }
}

fn state(name: &str, arn: Option<&str>, created: Value, timeouts: Value) -> Value {
    Value::object([
        ("id", name.into()),
        ("name", name.into()),
        ("arn", Value::opt_string(arn)),
        ("creation_timestamp", created),
        ("timeouts", timeouts),
    ])
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
                Attribute::computed("id", Type::String)
                    .describe("The project name.")
                    .stable(),
            )
            .attribute(project_name_attribute(
                "name",
                "The project name: 1 to 255 letters, digits, hyphens and underscores, starting with \
                 a letter or digit. Changing it replaces the project.",
            ))
            .attribute(
                Attribute::computed("arn", Type::String)
                    .describe("The project's ARN.")
                    .stable(),
            )
            .attribute(
                Attribute::computed("creation_timestamp", Type::String)
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
        let name = name(planned);
        let output = ctx
            .client
            .api()
            .create_project()
            .project_name(name)
            .client_token(client_token())
            .send()
            .await
            .map_err(|err| {
                let err = ApiError::from_sdk("CreateProject", err);
                let advice = err.is_conflict().then(|| {
                    format!(
                        "A project named {name:?} already exists. Choose another name, or, to \
                         manage the existing project with Terraform, {}",
                        import_how(TYPE_NAME, name)
                    )
                });
                api_failure(Action::Create, subject(planned), &err, advice.as_deref())
            })?;
        let metadata = output.project_metadata();
        Ok(state(
            name,
            metadata.and_then(|m| m.project_arn()),
            timestamp(metadata.and_then(|m| m.creation_timestamp())),
            planned.get("timeouts").clone(),
        ))
    }

    async fn read(
        &self,
        ctx: &Context<'_, Client>,
        current: &Value,
    ) -> Result<Option<Value>, Failure> {
        let name = name(current);
        let output = match ctx
            .client
            .api()
            .describe_project()
            .project_name(name)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) => {
                let err = ApiError::from_sdk("DescribeProject", err);
                if err.is_not_found() {
                    return Ok(None);
                }
                return Err(api_failure(Action::Read, subject(current), &err, None).into());
            }
        };
        let description = output.project_description();
        Ok(Some(state(
            description.and_then(|d| d.project_name()).unwrap_or(name),
            description.and_then(|d| d.project_arn()),
            timestamp(description.and_then(|d| d.creation_timestamp())),
            current.get("timeouts").clone(),
        )))
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
        let name = name(current);
        // One token for every attempt: a retried call the service already accepted is a replay.
        let token = client_token();
        let result = retry_conflicts(ctx.timeout, &ctx.cancel, || async {
            ctx.client
                .api()
                .delete_project()
                .project_name(name)
                .client_token(&token)
                .send()
                .await
                .map_err(|err| ApiError::from_sdk("DeleteProject", err))
        })
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(RetryError::Failed(err)) if err.is_not_found() => Ok(()),
            Err(err) => Err(retry_failure(
                Action::Delete,
                subject(current),
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
        Ok(state(id, None, Value::Null, Value::Null))
    }
}
