//! `lookoutvision_model`: a trained model version, optionally hosted for inference.
//!
//! The model's identity is saved the moment CreateModel answers: a failed, timed-out or
//! interrupted wait leaves it in the state (tainted), so nothing is orphaned or trained twice.
//! Hosting is explicit in configuration, because a hosted model costs money until stopped.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_lookoutvision::types::{ModelDescription, ModelMetadata, ModelStatus, OutputConfig};

use super::identity::{self, ACCOUNT_FROM_ARN};
use super::typed::{read_value, Typed};
use super::{
    api_failure, check_merged_tags, import_how, retry_failure, split_id, Action, Limit, Subject,
};
use crate::aws::retry::{retry_unanswered, RetryError};
use crate::aws::{client_token, ApiError, Client};
use crate::framework::diag::{AttributePath, Diagnostic, Diagnostics};
use crate::framework::identity::{IdentityAttribute, IdentitySchema};
use crate::framework::plan::Planned;
use crate::framework::resource::{
    invalid_import_id, invalid_import_identity, Context, Failure, Resource,
};
use crate::framework::schema::Schema;
use crate::framework::timeouts::{Operation, Timeouts};
use crate::framework::value::Value;

pub(crate) mod describe;
mod lifecycle;
mod list;
pub(crate) mod state;
mod tags;
mod unfinished;

use describe::describe;
pub(crate) use describe::{describe_with_tags, list_models, status_filter, version_number};
use lifecycle::{Lifecycle, Stalled};
pub use list::ModelList;
use state::Hosting;
pub(crate) use state::{performance_type, reported_attributes, Key, ModelState, Performance};
use state::{ARN, MAX_INFERENCE_UNITS, MIN_INFERENCE_UNITS, MODEL_VERSION, PROJECT_NAME};
use tags::{plan_tags_all, tag_list, update_tags};

const TYPE_NAME: &str = "lookoutvision_model";

/// The `lookoutvision_model` resource.
#[derive(Debug, Default)]
pub struct Model;

impl Model {
    /// Turns a stalled step into a failure that keeps the model in the state, as the service
    /// last showed it (`fallback` until a wait saw it). An interruption is only a warning, and
    /// its state keeps what `planned` asks for wherever the service has not settled yet
    /// (hosting units, tags): Terraform checks that state against the plan, and a model that is
    /// intact (still training, say) must be neither tainted nor trained a second time. A
    /// failure reports `prior` as the service shows it; the next refresh corrects the rest.
    fn keep(
        prior: &ModelState,
        planned: &ModelState,
        key: &Key,
        stalled: Stalled,
        fallback: &ModelDescription,
    ) -> Failure {
        let description = stalled.last.as_ref().unwrap_or(fallback);
        let mut diagnostic = stalled.diagnostic;
        let partial = if stalled.interrupted {
            diagnostic.severity = crate::framework::diag::Severity::Warning;
            planned.interrupted(key, description)
        } else {
            prior.observed(key, description)
        };
        Failure::from(diagnostic).with_state(partial.write())
    }
}

/// The state of an existing model, and which model it is.
fn existing(value: &Value) -> Result<(ModelState, Key), Diagnostic> {
    let state: ModelState = read_value(TYPE_NAME, value)?;
    let key = Key::of(&state).map_err(|err| err.diagnostic(TYPE_NAME))?;
    Ok((state, key))
}

/// A model of `project` that the service has not numbered yet, as messages name it.
fn pending(project: &str) -> Subject<'_> {
    Subject::New {
        type_name: TYPE_NAME,
        project,
    }
}

/// The versions of `project` before this create adds one, with their statuses, for
/// [`other_versions_warning`].
async fn versions_before(
    ctx: &Context<'_, Client>,
    project: &str,
) -> Result<Vec<ModelMetadata>, Diagnostic> {
    list_models(ctx.client, project, None, usize::MAX)
        .await
        .map_err(|err| api_failure(Action::Create, pending(project), &err, None))
}

/// Calls CreateModel, which starts training, with `output` as the planned `output_config`.
/// Returns the new model's key and the model as the service accepted it, which the state falls
/// back on until the service describes it.
async fn start_training(
    ctx: &Context<'_, Client>,
    planned: &ModelState,
    output: OutputConfig,
) -> Result<(Key, ModelDescription), Diagnostic> {
    let project = planned.project_name.as_str();
    let tags_all = planned.all_tags();
    // One token for every attempt: a CreateModel whose answer was lost is asked again, and the
    // service answers with the model it started instead of training a second one.
    let token = client_token();
    let created = retry_unanswered(ctx.timeout, &ctx.cancel, || async {
        ctx.client
            .api()
            .create_model()
            .project_name(project)
            .set_description(planned.description.clone())
            .set_kms_key_id(planned.kms_key_id.clone())
            .output_config(output.clone())
            .set_tags((!tags_all.is_empty()).then(|| tag_list(&tags_all)))
            .client_token(&token)
            .send()
            .await
            .map_err(|err| ApiError::from_sdk("CreateModel", err))
    })
    .await;
    let created = match created {
        Ok(created) => created,
        Err(RetryError::Failed(err)) => {
            let advice = (err.kind == crate::aws::ErrorKind::Validation).then_some(
                "Training needs the project's train dataset with status CREATE_COMPLETE. If \
                 the dataset is in this configuration, make the model depend on it, for \
                 example with `depends_on = [lookoutvision_dataset.train]`; otherwise check \
                 its status. If the message is about another argument, correct it and apply \
                 again.",
            );
            return Err(api_failure(Action::Create, pending(project), &err, advice));
        }
        // A model has no name to keep before the service numbers it: say how to find it.
        Err(err) => {
            return Err(retry_failure(
                Action::Create,
                pending(project),
                Limit::of(Operation::Create, ctx),
                &err,
                "it answers",
                Some(&unanswered_advice(project)),
            ))
        }
    };
    let metadata = created.model_metadata();
    let version = metadata
        .and_then(|m| m.model_version())
        .ok_or_else(|| unnumbered(project))?;
    let key = Key::new(project, version);
    tracing::info!(model = %key.id, "The service accepted the model; waiting for training to finish.");
    Ok((key, accepted(metadata)))
}

/// What to do when a CreateModel may have started a model the provider cannot name.
fn unanswered_advice(project: &str) -> String {
    format!(
        "The service may have started training a model without the provider learning its \
         version. List the project's models (for example `aws lookoutvision list-models \
         --project-name {project}`); to manage one with Terraform, {}",
        import_how(TYPE_NAME, &format!("{project}:<version>"))
    )
}

/// The error for a CreateModel answer without the new model's version: the model may exist,
/// but nothing can name it.
fn unnumbered(project: &str) -> Diagnostic {
    let err = ApiError::incomplete("CreateModel", "ModelMetadata.ModelVersion");
    api_failure(
        Action::Create,
        pending(project),
        &err,
        Some(&unanswered_advice(project)),
    )
}

/// The model as CreateModel's answer describes it.
fn accepted(metadata: Option<&ModelMetadata>) -> ModelDescription {
    ModelDescription::builder()
        .set_model_version(metadata.and_then(|m| m.model_version()).map(str::to_owned))
        .set_model_arn(metadata.and_then(|m| m.model_arn()).map(str::to_owned))
        .set_creation_timestamp(metadata.and_then(|m| m.creation_timestamp()).cloned())
        .set_description(metadata.and_then(|m| m.description()).map(str::to_owned))
        .set_status(metadata.and_then(|m| m.status()).cloned())
        .build()
}

/// The warning for a create that found other versions of the project (`before`, as ListModels
/// showed them), hosted ones first because they are billed. A model has no name, so one whose
/// creation never reached the state (the provider or Terraform died) cannot be recognised, only
/// pointed out: every version this resource does not hold is named, whatever its status.
fn other_versions_warning(key: &Key, before: &[ModelMetadata]) -> Option<Diagnostic> {
    if before.is_empty() {
        return None;
    }
    let mut others: Vec<_> = before
        .iter()
        .map(|model| {
            let status = model.status().cloned();
            let version = model.model_version().unwrap_or("(no version)");
            let rank = match status {
                Some(ModelStatus::Hosted | ModelStatus::SystemUpdating) => 0,
                Some(ModelStatus::StartingHosting | ModelStatus::StoppingHosting) => 1,
                Some(ModelStatus::Training) => 2,
                _ => 3,
            };
            let status = status.as_ref().map_or("unknown", ModelStatus::as_str);
            (rank, format!("{version} ({status})"))
        })
        .collect();
    others.sort_by_key(|(rank, _)| *rank);
    let hosted = others.iter().filter(|(rank, _)| *rank <= 1).count();
    let listed = others
        .into_iter()
        .map(|(_, version)| version)
        .collect::<Vec<_>>()
        .join(", ");
    let project = &key.project;
    let billed = if hosted > 0 {
        format!(" {hosted} of them hosted, which is billed until it is stopped.")
    } else {
        String::new()
    };
    Some(Diagnostic::warning(
        format!("Project {project:?} already had other model versions"),
        format!(
            "When {} was created, project {project:?} already had model version(s) \
             {listed}.{billed} If Terraform manages them elsewhere in this configuration, \
             nothing needs doing. If one was started by an earlier Terraform run that stopped \
             before saving it (for example because the provider was killed), Terraform does not \
             manage it, and the same model may be trained, hosted and billed twice: stop and \
             delete that version, or, to manage it with Terraform, {}",
            key.subject(),
            import_how(TYPE_NAME, &format!("{project}:<version>"))
        ),
    ))
}

#[async_trait]
impl Resource<Client> for Model {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        state::schema()
    }

    fn timeouts(&self) -> Timeouts {
        Timeouts {
            create: Some(Duration::from_secs(24 * 60 * 60)),
            update: Some(Duration::from_secs(60 * 60)),
            delete: Some(Duration::from_secs(60 * 60)),
        }
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let (min, max) = (
            config.get(MIN_INFERENCE_UNITS),
            config.get(MAX_INFERENCE_UNITS),
        );
        if max.is_null() || max.is_unknown() || min.is_unknown() {
            return;
        }
        let path = AttributePath::root(MAX_INFERENCE_UNITS);
        match (min.as_i64(), max.as_i64()) {
            (None, _) => diags.push(
                Diagnostic::error(
                    "Invalid value for max_inference_units",
                    "max_inference_units needs min_inference_units: set min_inference_units to host the model.",
                )
                .at(path),
            ),
            (Some(min), Some(max)) if max < min => diags.push(
                Diagnostic::error(
                    "Invalid value for max_inference_units",
                    format!("max_inference_units must be at least min_inference_units ({min}); got {max}."),
                )
                .at(path),
            ),
            _ => {}
        }
    }

    fn modify_plan(
        &self,
        client: Option<&Client>,
        prior: &Value,
        plan: &mut Planned,
        diags: &mut Diagnostics,
    ) {
        if let Some(client) = client {
            plan_tags_all(&client.default_tags, &mut plan.state);
            check_merged_tags(&plan.state, diags);
        }
        unfinished::plan(prior, plan);
    }

    async fn create(&self, ctx: &Context<'_, Client>, planned: &Value) -> Result<Value, Failure> {
        let planned: ModelState = read_value(TYPE_NAME, planned)?;
        let output = planned
            .training_output()
            .map_err(|err| err.diagnostic(TYPE_NAME))?;
        let before = versions_before(ctx, &planned.project_name).await?;
        let (key, accepted) = start_training(ctx, &planned, output).await?;

        // The model exists from here on: a step that stalls keeps it in the state.
        let lifecycle = Lifecycle::new(ctx, &key, Operation::Create);
        let keep = |stalled| Self::keep(&planned, &planned, &key, stalled, &accepted);
        let mut description = lifecycle.trained().await.map_err(keep)?;
        if let Some(hosting) = planned.hosting() {
            lifecycle.start_hosting(hosting).await.map_err(keep)?;
            description = lifecycle.hosted().await.map_err(keep)?;
        }
        let created = planned.observed(&key, &description).write();
        match other_versions_warning(&key, &before) {
            None => Ok(created),
            Some(warning) => Err(Failure::from(warning).with_state(created)),
        }
    }

    async fn read(
        &self,
        ctx: &Context<'_, Client>,
        current: &Value,
    ) -> Result<Option<Value>, Failure> {
        let (current, key) = existing(current)?;
        match describe_with_tags(ctx.client, &key).await {
            Ok(d) if d.description.status() == Some(&ModelStatus::Deleting) => Ok(None),
            Ok(described) => Ok(Some(
                current
                    .refreshed(&key, &described, &ctx.client.default_tags)
                    .write(),
            )),
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(api_failure(Action::Read, key.subject(), &err, None).into()),
        }
    }

    async fn update(
        &self,
        ctx: &Context<'_, Client>,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, Failure> {
        let (prior, key) = existing(prior)?;
        let planned: ModelState = read_value(TYPE_NAME, planned)?;
        let lifecycle = Lifecycle::new(ctx, &key, Operation::Update);
        let current = describe(ctx.client, &key)
            .await
            .map_err(|err| api_failure(Action::Update, key.subject(), &err, None))?;
        let keep =
            |stalled, seen: &ModelDescription| Self::keep(&prior, &planned, &key, stalled, seen);
        // A model the state recorded mid-change (an interrupted apply) is waited for first, as
        // the plan announced; one whose training failed meanwhile cannot be updated.
        let current = if unfinished::is_changing(current.status()) {
            lifecycle
                .settled(Action::Update)
                .await
                .map_err(|stalled| keep(stalled, &current))?
        } else {
            current
        };
        if current.status() == Some(&ModelStatus::TrainingFailed) {
            return Err(keep(
                Stalled::failed(unfinished::training_failed(&key, &current)),
                &current,
            ));
        }
        update_tags(
            ctx,
            &key,
            prior.arn.as_deref(),
            &prior.all_tags(),
            &planned.all_tags(),
        )
        .await
        .map_err(|diag| keep(Stalled::failed(diag), &current))?;

        // What runs now, not what the prior state says: a model whose hosting failed or was
        // never started (an interrupted create) is started.
        let have = Hosting::running(&current, planned.max_inference_units.is_some());
        let want = planned.hosting();
        let description = if have == want {
            current
        } else {
            lifecycle
                .rehost(have, want, current.clone())
                .await
                .map_err(|stalled| keep(stalled, &current))?
        };
        Ok(planned.observed(&key, &description).write())
    }

    async fn delete(&self, ctx: &Context<'_, Client>, current: &Value) -> Result<(), Failure> {
        let (_, key) = existing(current)?;
        let lifecycle = Lifecycle::new(ctx, &key, Operation::Delete);
        let result = async {
            let settled = match describe(ctx.client, &key).await {
                Err(err) if err.is_not_found() => return Ok(()),
                Err(err) => {
                    return Err(Stalled::failed(api_failure(
                        Action::Delete,
                        key.subject(),
                        &err,
                        None,
                    )))
                }
                Ok(d) if d.status() == Some(&ModelStatus::Deleting) => {
                    return lifecycle.gone().await
                }
                Ok(_) => lifecycle.settled(Action::Delete).await?,
            };
            if settled.status() == Some(&ModelStatus::Hosted) {
                tracing::info!(model = %key.id, "Stopping the hosted model before deleting it.");
                lifecycle.stop().await?;
            }
            lifecycle.delete().await
        }
        .await;
        result.map_err(|stalled| Failure::from(stalled.diagnostic))
    }

    fn import(&self, id: &str) -> Result<Value, Diagnostic> {
        let (project, version) =
            split_id(TYPE_NAME, id, "<project_name>:<model_version>", "boards:1")?;
        check_version(version).map_err(|problem| {
            invalid_import_id(
                TYPE_NAME,
                &format!("The model version after the colon {problem}"),
            )
        })?;
        Ok(ModelState::identified(&Key::new(project, version)).write())
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity::schema(
            [
                IdentityAttribute::required(
                    PROJECT_NAME,
                    "The project whose datasets trained the model.",
                ),
                IdentityAttribute::required(
                    MODEL_VERSION,
                    "The model's version number in the project, e.g. `1`.",
                ),
            ],
            ACCOUNT_FROM_ARN,
        ))
    }

    fn identity(&self, state: &Value, client: Option<&Client>) -> Value {
        let own = [
            (PROJECT_NAME, state.get(PROJECT_NAME).clone()),
            (MODEL_VERSION, state.get(MODEL_VERSION).clone()),
        ];
        Value::object(
            own.into_iter()
                .chain(identity::location(state.get(ARN), client)),
        )
    }

    fn import_identity(&self, identity: &Value) -> Result<Value, Diagnostic> {
        let version = identity::given(identity, MODEL_VERSION);
        check_version(version).map_err(|problem| {
            invalid_import_identity(TYPE_NAME, &format!("`{MODEL_VERSION}` {problem}"))
        })?;
        let key = Key::new(identity::given(identity, PROJECT_NAME), version);
        Ok(ModelState::identified(&key).write())
    }
}

/// Checks that `version` is a model version number; the error completes "The model version
/// ...".
fn check_version(version: &str) -> Result<(), String> {
    let numeric = !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit());
    if numeric && !version.starts_with('0') {
        Ok(())
    } else {
        Err(format!(
            "must be a whole number such as 1; got {version:?}."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids_name_a_project_and_a_numeric_version() {
        let imported = Model.import("boards:12").expect("a valid ID");
        assert_eq!(imported.get(PROJECT_NAME).as_str(), Some("boards"));
        assert_eq!(imported.get(MODEL_VERSION).as_str(), Some("12"));
        assert_eq!(imported.get("id").as_str(), Some("boards:12"));
        for bad in ["boards", "boards:latest", "boards:01", ":1", "boards:1:2"] {
            let err = Model.import(bad).expect_err(bad);
            assert!(err.summary.contains("Invalid import ID"), "{bad}: {err:?}");
        }
    }

    #[test]
    fn an_identity_import_needs_a_numeric_version() {
        let identity = |version: &str| {
            Value::object([
                (PROJECT_NAME, "boards".into()),
                (MODEL_VERSION, version.into()),
            ])
        };
        let imported = Model
            .import_identity(&identity("12"))
            .expect("a valid version");
        assert_eq!(imported, Model.import("boards:12").expect("a valid ID"));
        let err = Model
            .import_identity(&identity("latest"))
            .expect_err("not a number");
        assert_eq!(
            err.summary,
            "Invalid import identity for lookoutvision_model"
        );
        assert!(
            err.detail
                .starts_with("`model_version` must be a whole number such as 1; got \"latest\"."),
            "{err:?}"
        );
    }

    #[test]
    fn the_identity_follows_the_arn_and_is_unknown_until_the_model_exists() {
        let planned = Value::object([
            (PROJECT_NAME, "boards".into()),
            (MODEL_VERSION, Value::Unknown),
            (ARN, Value::Unknown),
        ]);
        let identity = Model.identity(&planned, None);
        assert_eq!(identity.get(MODEL_VERSION), &Value::Unknown);
        assert_eq!(identity.get(identity::ACCOUNT_ID), &Value::Unknown);
        let created = Value::object([
            (PROJECT_NAME, "boards".into()),
            (MODEL_VERSION, "1".into()),
            (
                ARN,
                "arn:aws:lookoutvision:us-east-1:123456789012:model/boards/1".into(),
            ),
        ]);
        let identity = Model.identity(&created, None);
        assert!(identity.is_wholly_known(), "{identity:?}");
        assert_eq!(
            identity.get(identity::ACCOUNT_ID).as_str(),
            Some("123456789012")
        );
    }

    #[test]
    fn every_other_version_is_named_in_the_warning_hosted_first() {
        let key = Key::new("boards", "4");
        assert!(other_versions_warning(&key, &[]).is_none());
        let version = |number: &str, status: ModelStatus| {
            ModelMetadata::builder()
                .model_version(number)
                .status(status)
                .build()
        };
        let before = [
            version("1", ModelStatus::TrainingFailed),
            version("2", ModelStatus::Training),
            version("3", ModelStatus::StartingHosting),
            version("5", ModelStatus::Hosted),
        ];
        let warning = other_versions_warning(&key, &before).expect("a warning");
        assert_eq!(warning.severity, crate::framework::diag::Severity::Warning);
        assert_eq!(
            warning.summary,
            r#"Project "boards" already had other model versions"#
        );
        assert!(
            warning.detail.contains(
                r#"When lookoutvision_model "boards:4" was created, project "boards" already had model version(s) 5 (HOSTED), 3 (STARTING_HOSTING), 2 (TRAINING), 1 (TRAINING_FAILED). 2 of them hosted"#
            ),
            "{warning:?}"
        );
        assert!(
            warning
                .detail
                .contains("terraform import lookoutvision_model.<name> boards:<version>"),
            "{warning:?}"
        );
        let trained =
            other_versions_warning(&key, &[version("1", ModelStatus::Trained)]).expect("a warning");
        assert!(!trained.detail.contains("hosted, which"), "{trained:?}");
    }

    #[test]
    fn a_create_model_answer_without_a_version_is_an_error_naming_the_field() {
        let diag = unnumbered("boards");
        assert_eq!(diag.severity, crate::framework::diag::Severity::Error);
        assert!(
            diag.detail.contains("ModelMetadata.ModelVersion"),
            "{diag:?}"
        );
        assert!(
            diag.detail.contains("list-models --project-name boards"),
            "{diag:?}"
        );
    }

    #[test]
    fn the_accepted_model_is_what_create_model_answered() {
        let metadata = ModelMetadata::builder()
            .model_version("3")
            .model_arn("arn:model/boards/3")
            .status(ModelStatus::Training)
            .build();
        let model = accepted(Some(&metadata));
        assert_eq!(model.model_version(), Some("3"));
        assert_eq!(model.model_arn(), Some("arn:model/boards/3"));
        assert_eq!(model.status(), Some(&ModelStatus::Training));
        assert_eq!(accepted(None), ModelDescription::builder().build());
    }

    #[test]
    fn maximum_units_need_a_minimum_no_larger() {
        let check = |min: Value, max: Value| {
            let mut diags = Diagnostics::default();
            Model.validate(
                &Value::object([("min_inference_units", min), ("max_inference_units", max)]),
                &mut diags,
            );
            diags.iter().map(|d| d.detail.clone()).collect::<Vec<_>>()
        };
        assert!(check(2i64.into(), 3i64.into()).is_empty());
        assert!(check(2i64.into(), Value::Null).is_empty());
        assert!(check(3i64.into(), 2i64.into())[0].contains("at least min_inference_units (3)"));
        assert!(check(Value::Null, 2i64.into())[0].contains("needs min_inference_units"));
        assert!(check(Value::Unknown, 2i64.into()).is_empty());
    }
}
