//! `lookoutvision_model`: a trained model version, optionally hosted for inference.
//!
//! The model's identity is saved the moment CreateModel answers: a failed, timed-out or
//! interrupted wait leaves it in the state (tainted), so nothing is orphaned or trained twice.
//! Hosting is explicit in configuration, because a hosted model costs money until stopped.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_lookoutvision::types::{ModelDescription, ModelMetadata, ModelStatus, OutputConfig};

use super::identity::{self, ACCOUNT_FROM_ARN};
use super::typed::{read_value, StringMap, Typed};
use super::{api_failure, import_how, split_id, Action, Subject};
use crate::aws::{client_token, ApiError, Client};
use crate::framework::diag::{AttributePath, Diagnostic, Diagnostics};
use crate::framework::identity::{IdentityAttribute, IdentitySchema};
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

use describe::describe;
pub(crate) use describe::{describe_with_tags, list_models, status_filter, version_number};
use lifecycle::{Lifecycle, Stalled};
pub use list::ModelList;
pub(crate) use state::{performance_type, reported_attributes, Key, ModelState, Performance};
use state::{
    ARN, MAX_INFERENCE_UNITS, MIN_INFERENCE_UNITS, MODEL_VERSION, PROJECT_NAME, TAGS, TAGS_ALL,
};
use tags::{tag_list, update_tags};

const TYPE_NAME: &str = "lookoutvision_model";

/// The `lookoutvision_model` resource.
#[derive(Debug, Default)]
pub struct Model;

impl Model {
    /// Turns a stalled step into a failure that keeps the model's state. An interruption is only
    /// a warning: the model is intact (still training, say), and tainting it would make the
    /// next apply train a second version.
    fn keep(
        base: &ModelState,
        key: &Key,
        stalled: Stalled,
        fallback: &ModelDescription,
    ) -> Failure {
        let description = stalled.last.as_ref().unwrap_or(fallback);
        let partial = base.observed(key, description);
        let mut diagnostic = stalled.diagnostic;
        if stalled.interrupted {
            diagnostic.severity = crate::framework::diag::Severity::Warning;
        }
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

/// The versions of `project` that are training before this create starts one, for
/// [`already_training_warning`].
async fn others_training(
    ctx: &Context<'_, Client>,
    project: &str,
) -> Result<Vec<String>, Diagnostic> {
    let training = list_models(
        ctx.client,
        project,
        Some(&ModelStatus::Training),
        usize::MAX,
    )
    .await
    .map_err(|err| api_failure(Action::Create, pending(project), &err, None))?;
    Ok(training
        .iter()
        .filter_map(|model| model.model_version().map(str::to_owned))
        .collect())
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
    let created = ctx
        .client
        .api()
        .create_model()
        .project_name(project)
        .set_description(planned.description.clone())
        .set_kms_key_id(planned.kms_key_id.clone())
        .output_config(output)
        .set_tags((!tags_all.is_empty()).then(|| tag_list(&tags_all)))
        // The SDK reuses this token across its own retries, so a retried request that
        // already reached the service does not start a second training.
        .client_token(client_token())
        .send()
        .await
        .map_err(|err| {
            let err = ApiError::from_sdk("CreateModel", err);
            let advice = (err.kind == crate::aws::ErrorKind::Validation).then_some(
                "Training needs the project's train dataset with status CREATE_COMPLETE. If \
                 the dataset is in this configuration, make the model depend on it, for \
                 example with `depends_on = [lookoutvision_dataset.train]`; otherwise check \
                 its status. If the message is about another argument, correct it and apply \
                 again.",
            );
            api_failure(Action::Create, pending(project), &err, advice)
        })?;
    let metadata = created.model_metadata();
    let version = metadata.and_then(|m| m.model_version()).unwrap_or_default();
    let key = Key::new(project, version);
    tracing::info!(model = %key.id, "The service accepted the model; waiting for training to finish.");
    Ok((key, accepted(metadata)))
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

/// The warning for a create that found other versions of the project `training`, if it did.
/// A model has no name, so one whose creation never reached the state (the provider or
/// Terraform died) cannot be recognised, only pointed out.
fn already_training_warning(key: &Key, training: &[String]) -> Option<Diagnostic> {
    if training.is_empty() {
        return None;
    }
    let project = &key.project;
    let versions = training.join(", ");
    Some(Diagnostic::warning(
        format!("Other models of project {project:?} were already training"),
        format!(
            "When {} was created, model version(s) {versions} of project {project:?} were \
             still training. If one of them was started by an earlier Terraform run that \
             stopped before saving it (for example because the provider crashed), Terraform \
             does not manage it, and the same model is trained and billed twice: delete that \
             version, or, to manage it with Terraform, {}",
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

    fn modify_plan(&self, client: Option<&Client>, planned: &mut Value) {
        let Some(client) = client else { return };
        let tags = planned.get(TAGS);
        if tags.is_unknown() || !tags.is_wholly_known() {
            planned.set(TAGS_ALL, Value::Unknown);
            return;
        }
        let mut all = client.default_tags.clone();
        all.extend(tags.string_map());
        planned.set(TAGS_ALL, StringMap::from(all).write());
    }

    async fn create(&self, ctx: &Context<'_, Client>, planned: &Value) -> Result<Value, Failure> {
        let planned: ModelState = read_value(TYPE_NAME, planned)?;
        let output = planned
            .training_output()
            .map_err(|err| err.diagnostic(TYPE_NAME))?;
        let already_training = others_training(ctx, &planned.project_name).await?;
        let (key, accepted) = start_training(ctx, &planned, output).await?;

        // The model exists from here on: a step that stalls keeps it in the state.
        let lifecycle = Lifecycle::new(ctx, &key, Operation::Create);
        let keep = |stalled| Self::keep(&planned, &key, stalled, &accepted);
        let mut description = lifecycle.trained().await.map_err(keep)?;
        if let Some(hosting) = planned.hosting() {
            lifecycle.start_hosting(hosting).await.map_err(keep)?;
            description = lifecycle.hosted().await.map_err(keep)?;
        }
        let created = planned.observed(&key, &description).write();
        match already_training_warning(&key, &already_training) {
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
        let keep = |stalled| Self::keep(&prior, &key, stalled, &current);
        update_tags(
            ctx,
            &key,
            prior.arn.as_deref(),
            &prior.all_tags(),
            &planned.all_tags(),
        )
        .await
        .map_err(|diag| Self::keep(&prior, &key, Stalled::failed(diag), &current))?;

        let (have, want) = (prior.hosting(), planned.hosting());
        let description = if have == want {
            describe(ctx.client, &key)
                .await
                .map_err(|err| api_failure(Action::Update, key.subject(), &err, None))?
        } else {
            lifecycle
                .rehost(have, want, current.clone())
                .await
                .map_err(keep)?
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
                Ok(_) => lifecycle.settled().await?,
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
    fn other_trainings_are_a_warning_that_names_them() {
        let key = Key::new("boards", "3");
        assert!(already_training_warning(&key, &[]).is_none());
        let warning =
            already_training_warning(&key, &["1".to_owned(), "2".to_owned()]).expect("a warning");
        assert_eq!(warning.severity, crate::framework::diag::Severity::Warning);
        assert_eq!(
            warning.summary,
            r#"Other models of project "boards" were already training"#
        );
        assert!(warning.detail.contains(r#"When lookoutvision_model "boards:3" was created, model version(s) 1, 2 of project "boards""#), "{warning:?}");
        assert!(
            warning
                .detail
                .contains("terraform import lookoutvision_model.<name> boards:<version>"),
            "{warning:?}"
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
    fn plan_merges_default_tags_under_resource_tags() {
        let client = Client::new(
            aws_sdk_lookoutvision::Config::builder()
                .behavior_version(aws_sdk_lookoutvision::config::BehaviorVersion::latest())
                .build(),
            [
                ("owner".into(), "platform".into()),
                ("team".into(), "core".into()),
            ]
            .into(),
        );
        let mut planned = Value::object([(
            "tags",
            Value::Map([("team".to_owned(), Value::string("vision"))].into()),
        )]);
        Model.modify_plan(Some(&client), &mut planned);
        assert_eq!(
            planned.get(TAGS_ALL),
            &Value::Map(
                [
                    ("owner".to_owned(), Value::string("platform")),
                    ("team".to_owned(), Value::string("vision")),
                ]
                .into()
            )
        );
        planned.set(TAGS, Value::Unknown);
        Model.modify_plan(Some(&client), &mut planned);
        assert_eq!(planned.get(TAGS_ALL), &Value::Unknown);

        // One unknown element makes the merge unknown; other unknowns are left alone.
        planned.set(
            TAGS,
            Value::Map([("team".to_owned(), Value::Unknown)].into()),
        );
        planned.set(MODEL_VERSION, Value::Unknown);
        Model.modify_plan(Some(&client), &mut planned);
        assert_eq!(planned.get(TAGS_ALL), &Value::Unknown);
        assert_eq!(planned.get(MODEL_VERSION), &Value::Unknown);
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
