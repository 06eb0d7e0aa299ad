//! `lookoutvision_project`: a Lookout for Vision project, the container of datasets and models.

use std::time::Duration;

use async_trait::async_trait;

use super::{api_failure, project_name_attribute, retry_failure, timestamp, Subject};
use crate::aws::retry::retry_conflicts;
use crate::aws::{client_token, ApiError, Client};
use crate::framework::diag::Diagnostic;
use crate::framework::resource::{Context, Failure, Resource};
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::timeouts::Timeouts;
use crate::framework::value::{Type, Value};

const TYPE_NAME: &str = "lookoutvision_project";

/// The `lookoutvision_project` resource.
#[derive(Debug, Default)]
pub struct Project;

fn subject(state: &Value) -> Subject<'_> {
    Subject {
        type_name: TYPE_NAME,
        id: state.get("name").as_str().unwrap_or_default(),
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
        let subject = subject(planned);
        let output = ctx
            .client
            .api
            .create_project()
            .project_name(subject.id)
            .client_token(client_token())
            .send()
            .await
            .map_err(|err| {
                let err = ApiError::from_sdk("CreateProject", err);
                let advice = err.is_conflict().then(|| {
                    format!(
                        "A project named {0:?} already exists. To manage it with Terraform, import it:\n  \
                         terraform import {TYPE_NAME}.<name> {0}\nor add an import block:\n  \
                         import {{\n    to = {TYPE_NAME}.<name>\n    id = \"{0}\"\n  }}",
                        subject.id
                    )
                });
                api_failure("creating", subject, &err, advice.as_deref())
            })?;
        let metadata = output.project_metadata();
        Ok(state(
            subject.id,
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
        let subject = subject(current);
        let output = match ctx
            .client
            .api
            .describe_project()
            .project_name(subject.id)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) => {
                let err = ApiError::from_sdk("DescribeProject", err);
                if err.is_not_found() {
                    return Ok(None);
                }
                return Err(api_failure("reading", subject, &err, None).into());
            }
        };
        let description = output.project_description();
        Ok(Some(state(
            description
                .and_then(|d| d.project_name())
                .unwrap_or(subject.id),
            description.and_then(|d| d.project_arn()),
            timestamp(description.and_then(|d| d.creation_timestamp())),
            current.get("timeouts").clone(),
        )))
    }

    async fn delete(&self, ctx: &Context<'_, Client>, current: &Value) -> Result<(), Failure> {
        let subject = subject(current);
        // One token for every attempt: a retried call the service already accepted is a replay.
        let token = client_token();
        let result = retry_conflicts(ctx.timeout, &ctx.cancel, || async {
            ctx.client
                .api
                .delete_project()
                .project_name(subject.id)
                .client_token(&token)
                .send()
                .await
                .map_err(|err| ApiError::from_sdk("DeleteProject", err))
        })
        .await;
        match result {
            Ok(_) => Ok(()),
            Err(crate::aws::retry::RetryError::Failed(err)) if err.is_not_found() => Ok(()),
            Err(err) => Err(retry_failure(
                "deleting",
                subject,
                &err,
                "The project still has datasets or models, or they are still being deleted. Delete \
                 them first (or let Terraform delete them in the same run), or raise \
                 `timeouts { delete = ... }` on the project.",
            )
            .into()),
        }
    }

    fn import(&self, id: &str) -> Result<Value, Diagnostic> {
        Ok(state(id, None, Value::Null, Value::Null))
    }
}
