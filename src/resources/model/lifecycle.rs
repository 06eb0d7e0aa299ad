//! The steps of a model's lifecycle (training, hosting, stopping, deleting) and the waits
//! between them.

use std::time::Duration;

use aws_sdk_lookoutvision::types::{ModelDescription, ModelStatus};
use tokio::time::Instant;

use super::describe::describe;
use super::state::{Hosting, Key};
use crate::aws::retry::{deadline, retry_conflicts, RetryError};
use crate::aws::waiter::{wait_until, Observation, Phase, WaitError};
use crate::aws::{client_token, ApiError, Client};
use crate::framework::diag::Diagnostic;
use crate::framework::resource::Context;
use crate::framework::timeouts::Operation;
use crate::resources::{retry_failure, wait_failure, Action, Limit};

pub(super) fn status_of(description: &ModelDescription) -> &str {
    description.status().map_or("unknown", ModelStatus::as_str)
}

/// A model operation that did not finish: what to tell the user, the model as last seen, and
/// whether Terraform interrupted it.
pub(super) struct Stalled {
    pub(super) diagnostic: Diagnostic,
    pub(super) last: Option<ModelDescription>,
    pub(super) interrupted: bool,
}

impl Stalled {
    pub(super) fn failed(diagnostic: Diagnostic) -> Self {
        Stalled {
            diagnostic,
            last: None,
            interrupted: false,
        }
    }
}

/// What the model waits for when the service refuses a change with a conflict, completing "the
/// service refuses to delete it until ...".
pub(super) const UNTIL_SETTLED: &str =
    "it has finished its current change (training, or starting or stopping hosting)";

/// The steps of the model's lifecycle, all bounded by the deadline of one Terraform operation.
pub(super) struct Lifecycle<'c, 'k> {
    ctx: &'c Context<'c, Client>,
    key: &'k Key,
    limit: Limit,
    deadline: Instant,
}

impl<'c, 'k> Lifecycle<'c, 'k> {
    pub(super) fn new(ctx: &'c Context<'c, Client>, key: &'k Key, operation: Operation) -> Self {
        Lifecycle {
            ctx,
            key,
            limit: Limit::of(operation, ctx),
            deadline: deadline(Instant::now(), ctx.timeout),
        }
    }

    fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Polls until `phase` says done; `target` and `advice` are as for [`wait_failure`].
    async fn wait(
        &self,
        action: Action,
        target: &str,
        advice: Option<&str>,
        phase: impl Fn(Option<&ModelStatus>) -> Phase,
    ) -> Result<ModelDescription, Stalled> {
        wait_until(self.remaining(), &self.ctx.cancel, || async {
            let description = describe(self.ctx.client, self.key).await?;
            Ok(Observation {
                phase: phase(description.status()),
                status: status_of(&description).to_owned(),
                message: description.status_message().map(str::to_owned),
                value: description,
            })
        })
        .await
        .map(|done| done.value)
        .map_err(|err| Stalled {
            diagnostic: wait_failure(action, self.key.subject(), self.limit, target, &err, advice),
            last: err.last_value().cloned(),
            interrupted: matches!(err, WaitError::Cancelled { .. }),
        })
    }

    pub(super) async fn trained(&self) -> Result<ModelDescription, Stalled> {
        self.wait(
            Action::Create,
            "status TRAINED",
            Some(
                "Check the project's datasets (their `image_stats`): training needs enough \
                 labeled images, both normal and anomalous.",
            ),
            |status| match status {
                Some(ModelStatus::Trained) => Phase::Done,
                Some(ModelStatus::TrainingFailed) => Phase::Failed,
                _ => Phase::Pending,
            },
        )
        .await
    }

    /// Calls a hosting operation, retrying conflicts with one client token.
    async fn hosting_call<F, Fut>(&self, action: Action, call: F) -> Result<(), Stalled>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<(), ApiError>>,
    {
        let token = client_token();
        retry_conflicts(self.remaining(), &self.ctx.cancel, || call(token.clone()))
            .await
            .map_err(|err| Stalled {
                diagnostic: retry_failure(
                    action,
                    self.key.subject(),
                    self.limit,
                    &err,
                    UNTIL_SETTLED,
                    None,
                ),
                last: None,
                interrupted: matches!(err, RetryError::Cancelled { .. }),
            })
    }

    /// Asks the service to host the model; [`Lifecycle::hosted`] waits until it is.
    pub(super) async fn start_hosting(&self, hosting: Hosting) -> Result<(), Stalled> {
        let api = &self.ctx.client.api();
        self.hosting_call(Action::Start, |token| async move {
            api.start_model()
                .project_name(&self.key.project)
                .model_version(&self.key.version)
                .min_inference_units(hosting.min)
                .set_max_inference_units(hosting.max)
                .client_token(token)
                .send()
                .await
                .map(|_| ())
                .map_err(|err| ApiError::from_sdk("StartModel", err))
        })
        .await
    }

    pub(super) async fn hosted(&self) -> Result<ModelDescription, Stalled> {
        self.wait(
            Action::Start,
            "status HOSTED",
            Some(&hosting_failed_advice(self.limit.operation)),
            |status| match status {
                Some(ModelStatus::Hosted) => Phase::Done,
                Some(ModelStatus::HostingFailed) => Phase::Failed,
                _ => Phase::Pending,
            },
        )
        .await
    }

    /// Changes hosting from `have` to `want`, which differ: stops the model if it is hosted, then
    /// starts it if it should be. Returns the model as last seen, `current` if neither ran.
    pub(super) async fn rehost(
        &self,
        have: Option<Hosting>,
        want: Option<Hosting>,
        current: ModelDescription,
    ) -> Result<ModelDescription, Stalled> {
        let mut description = current;
        if have.is_some() {
            description = self.stop().await?;
        }
        if let Some(hosting) = want {
            self.start_hosting(hosting).await?;
            description = self.hosted().await?;
        }
        Ok(description)
    }

    pub(super) async fn stop(&self) -> Result<ModelDescription, Stalled> {
        let api = &self.ctx.client.api();
        self.hosting_call(Action::Stop, |token| async move {
            api.stop_model()
                .project_name(&self.key.project)
                .model_version(&self.key.version)
                .client_token(token)
                .send()
                .await
                .map(|_| ())
                .map_err(|err| ApiError::from_sdk("StopModel", err))
        })
        .await?;
        self.stopped().await
    }

    async fn stopped(&self) -> Result<ModelDescription, Stalled> {
        self.wait(
            Action::Stop,
            "status TRAINED (hosting stopped)",
            None,
            |status| match status {
                Some(ModelStatus::Trained) => Phase::Done,
                _ => Phase::Pending,
            },
        )
        .await
    }

    /// Waits out training and hosting transitions, returning the settled model; `action` is
    /// what waits, for messages.
    pub(super) async fn settled(&self, action: Action) -> Result<ModelDescription, Stalled> {
        self.wait(
            action,
            "the model to finish its current change (training, or starting or stopping hosting)",
            None,
            |status| match status {
                Some(
                    ModelStatus::Training
                    | ModelStatus::StartingHosting
                    | ModelStatus::StoppingHosting
                    | ModelStatus::SystemUpdating,
                ) => Phase::Pending,
                _ => Phase::Done,
            },
        )
        .await
    }

    pub(super) async fn gone(&self) -> Result<(), Stalled> {
        wait_until(self.remaining(), &self.ctx.cancel, || async {
            match describe(self.ctx.client, self.key).await {
                Err(err) if err.is_not_found() => Ok(Observation {
                    phase: Phase::Done,
                    status: "gone".to_owned(),
                    message: None,
                    value: (),
                }),
                Err(err) => Err(err),
                Ok(description) => Ok(Observation {
                    phase: Phase::Pending,
                    status: status_of(&description).to_owned(),
                    message: description.status_message().map(str::to_owned),
                    value: (),
                }),
            }
        })
        .await
        .map(|_| ())
        .map_err(|err: WaitError<()>| {
            Stalled::failed(wait_failure(
                Action::Delete,
                self.key.subject(),
                self.limit,
                "the model to be gone",
                &err,
                None,
            ))
        })
    }

    pub(super) async fn delete(&self) -> Result<(), Stalled> {
        let token = client_token();
        let deleted = retry_conflicts(self.remaining(), &self.ctx.cancel, || async {
            self.ctx
                .client
                .api()
                .delete_model()
                .project_name(&self.key.project)
                .model_version(&self.key.version)
                .client_token(&token)
                .send()
                .await
                .map_err(|err| ApiError::from_sdk("DeleteModel", err))
        })
        .await;
        match deleted {
            Ok(_) => self.gone().await,
            Err(RetryError::Failed(err)) if err.is_not_found() => Ok(()),
            Err(err) => Err(Stalled::failed(retry_failure(
                Action::Delete,
                self.key.subject(),
                self.limit,
                &err,
                UNTIL_SETTLED,
                None,
            ))),
        }
    }
}

/// What to do when hosting fails during `operation`.
fn hosting_failed_advice(operation: Operation) -> String {
    let check = "Check `min_inference_units`, `max_inference_units` and the account's quota of \
                 inference units, then apply again.";
    // A failed create taints the model, so the next apply would train it again.
    match operation {
        Operation::Create => format!(
            "The model itself trained: to keep it rather than train a new one, run \
             `terraform untaint` with its address (shown above). {check}"
        ),
        Operation::Update | Operation::Delete => check.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hosting_failure_during_create_points_to_untaint() {
        let create = hosting_failed_advice(Operation::Create);
        assert!(create.starts_with("The model itself trained"), "{create}");
        assert!(create.contains("`terraform untaint`"), "{create}");
        let update = hosting_failed_advice(Operation::Update);
        assert!(
            update.starts_with("Check `min_inference_units`"),
            "{update}"
        );
        assert!(!update.contains("untaint"), "{update}");
        assert!(create.ends_with(&update), "{create}");
    }
}
