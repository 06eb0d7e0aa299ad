//! `lookoutvision_model`: a trained model version, optionally hosted for inference.
//!
//! The model's identity is saved the moment CreateModel answers: a failed, timed-out or
//! interrupted wait leaves it in the state (tainted), so nothing is orphaned or trained twice.
//! Hosting is explicit in configuration, because a hosted model costs money until stopped.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_lookoutvision::types::{ModelDescription, ModelStatus, OutputConfig, S3Location};

use super::{
    api_failure, import_how, project_name_attribute, s3, score, split_id, timestamp, Action,
    Subject,
};
use crate::aws::{client_token, ApiError, Client};
use crate::framework::diag::{AttributePath, Diagnostic, Diagnostics};
use crate::framework::resource::{invalid_import_id, Context, Failure, Resource};
use crate::framework::schema::{Attribute, Block, NestedBlock, Schema};
use crate::framework::timeouts::{Operation, Timeouts};
use crate::framework::validate;
use crate::framework::value::{Type, Value};

mod lifecycle;
mod tags;

use lifecycle::{describe, training_versions, Lifecycle, Stalled};
use tags::{remote_tags, tag_list, update_tags};

const TYPE_NAME: &str = "lookoutvision_model";

/// The `lookoutvision_model` resource.
#[derive(Debug, Default)]
pub struct Model;

/// Which model a value describes.
struct Key {
    project: String,
    version: String,
    id: String,
}

impl Key {
    fn new(project: &str, version: &str) -> Self {
        Key {
            project: project.to_owned(),
            version: version.to_owned(),
            id: format!("{project}:{version}"),
        }
    }

    fn of(value: &Value) -> Self {
        Key::new(
            value.get("project_name").as_str().unwrap_or_default(),
            value.get("model_version").as_str().unwrap_or_default(),
        )
    }

    fn subject(&self) -> Subject<'_> {
        Subject::Existing {
            type_name: TYPE_NAME,
            id: &self.id,
        }
    }
}

/// Requested hosting: minimum and optional maximum inference units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Hosting {
    min: i32,
    max: Option<i32>,
}

fn hosting_of(value: &Value) -> Option<Hosting> {
    let units = |name| value.get(name).as_i64().and_then(|n| i32::try_from(n).ok());
    units("min_inference_units").map(|min| Hosting {
        min,
        max: units("max_inference_units"),
    })
}

fn map_value(map: &BTreeMap<String, String>) -> Value {
    Value::Map(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::string(v.clone())))
            .collect(),
    )
}

fn s3_object(bucket: Option<&str>, key: Option<&str>) -> Value {
    match bucket {
        Some(bucket) => Value::object([("bucket", bucket.into()), ("key", Value::opt_string(key))]),
        None => Value::Null,
    }
}

/// The state for `description`; configuration-only values (timeouts) come from `base`.
fn state(
    base: &Value,
    key: &Key,
    description: &ModelDescription,
    tags: Value,
    tags_all: Value,
) -> Value {
    let mut state = base.clone();
    state.set("id", key.id.clone().into());
    state.set("project_name", key.project.clone().into());
    state.set("model_version", key.version.clone().into());
    state.set("arn", Value::opt_string(description.model_arn()));
    state.set("description", Value::opt_string(description.description()));
    state.set("kms_key_id", Value::opt_string(description.kms_key_id()));
    state.set(
        "status",
        Value::opt_string(description.status().map(ModelStatus::as_str)),
    );
    state.set(
        "status_message",
        Value::opt_string(description.status_message()),
    );
    state.set(
        "creation_timestamp",
        Value::opt_string(timestamp(description.creation_timestamp())),
    );
    state.set(
        "evaluation_end_timestamp",
        Value::opt_string(timestamp(description.evaluation_end_timestamp())),
    );
    state.set(
        "performance",
        description.performance().map_or(Value::Null, |p| {
            let score = |s| score(s).map_or(Value::Null, Value::from);
            Value::object([
                ("f1_score", score(p.f1_score())),
                ("precision", score(p.precision())),
                ("recall", score(p.recall())),
            ])
        }),
    );
    state.set(
        "evaluation_manifest",
        description
            .evaluation_manifest()
            .map_or(Value::Null, |o| s3_object(o.bucket(), o.key())),
    );
    state.set(
        "evaluation_result",
        description
            .evaluation_result()
            .map_or(Value::Null, |o| s3_object(o.bucket(), o.key())),
    );
    let location = description
        .output_config()
        .and_then(OutputConfig::s3_location);
    state.set(
        "output_config",
        location.map_or(Value::Null, |l| {
            Value::object([
                ("bucket", Value::opt_string(l.bucket())),
                ("prefix", Value::opt_string(l.prefix())),
            ])
        }),
    );
    let hosted = matches!(
        description.status(),
        Some(ModelStatus::Hosted | ModelStatus::StartingHosting)
    );
    let min = description.min_inference_units().filter(|_| hosted);
    // The service reports the maximum even when none was asked for (it equals the minimum);
    // keep it null then so that a configuration without it has no perpetual diff.
    let max = description
        .max_inference_units()
        .filter(|_| hosted)
        .filter(|max| Some(*max) != min || !base.get("max_inference_units").is_null());
    let units = |n: Option<i32>| n.map_or(Value::Null, |n| Value::from(i64::from(n)));
    state.set("min_inference_units", units(min));
    state.set("max_inference_units", units(max));
    state.set("tags", tags);
    state.set("tags_all", tags_all);
    state
}

fn tag_validators(attribute: Attribute) -> Attribute {
    const TAG_PATTERN: &str = "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*";
    const TAG_EXPLAINED: &str = "letters, digits, spaces and the characters _ . : / = + - @";
    attribute
        .validate(validate::map_at_most(200))
        .validate(validate::map_keys(validate::string_length(1, 128)))
        .validate(validate::map_keys(validate::string_matches(
            TAG_PATTERN,
            TAG_EXPLAINED,
        )))
        .validate(validate::each(validate::string_length(0, 256)))
        .validate(validate::each(validate::string_matches(
            TAG_PATTERN,
            TAG_EXPLAINED,
        )))
}

impl Model {
    /// Turns a stalled step into a failure that keeps the model's state. An interruption is only
    /// a warning: the model is intact (still training, say), and tainting it would make the
    /// next apply train a second version.
    fn keep(base: &Value, key: &Key, stalled: Stalled, fallback: &ModelDescription) -> Failure {
        let description = stalled.last.as_ref().unwrap_or(fallback);
        let partial = state(
            base,
            key,
            description,
            base.get("tags").clone(),
            base.get("tags_all").clone(),
        );
        let mut diagnostic = stalled.diagnostic;
        if stalled.interrupted {
            diagnostic.severity = crate::framework::diag::Severity::Warning;
        }
        Failure::from(diagnostic).with_state(partial)
    }
}

#[async_trait]
impl Resource<Client> for Model {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let s3_object_type = Type::object([("bucket", Type::String), ("key", Type::String)]);
        let output =
            Block::new("Where training writes its output (evaluation manifest and results).")
                .attribute(s3::bucket(
                    "bucket",
                    "The S3 bucket for the training output.",
                ))
                .attribute(s3::prefix(
                    "prefix",
                    "The key prefix for the training output.",
                ));
        Schema::new(
            Block::new(
                "A Lookout for Vision model version, trained from the project's datasets. Creation \
                 waits until training ends (up to 24 hours on the real service). Setting \
                 `min_inference_units` hosts the model for inference, which is billed until it \
                 is stopped; removing it stops the model. A hosted model is stopped before it is \
                 deleted.",
            )
            .attribute(
                Attribute::computed("id", Type::String)
                    .describe("`<project_name>:<model_version>`.")
                    .stable(),
            )
            .attribute(project_name_attribute(
                "project_name",
                "The project whose datasets train the model. Changing it replaces the model.",
            ))
            .attribute(
                Attribute::optional("description", Type::String)
                    .describe("A description: 1 to 500 letters, digits, dots, hyphens and underscores (no spaces). Changing it replaces the model.")
                    .requires_replace()
                    .validate(validate::string_length(1, 500))
                    .validate(validate::string_matches(
                        "[0-9A-Za-z.\\-_]*",
                        "letters, digits, dots, hyphens and underscores, without spaces",
                    )),
            )
            .attribute(
                Attribute::optional("kms_key_id", Type::String)
                    .describe("The KMS key that encrypts the model and its training output. Changing it replaces the model.")
                    .requires_replace()
                    .validate(validate::string_length(1, 2048))
                    .validate(validate::string_matches(
                        "[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]*",
                        "a KMS key ID, alias or ARN",
                    )),
            )
            .attribute(tag_validators(
                Attribute::optional("tags", Type::map(Type::String))
                    .describe("Tags for the model, changed in place. Merged over the provider's `default_tags` into `tags_all`."),
            ))
            .attribute(
                Attribute::computed("tags_all", Type::map(Type::String))
                    .describe("All tags of the model: the provider's `default_tags` with `tags` over them."),
            )
            .attribute(
                Attribute::optional("min_inference_units", Type::Number)
                    .describe("Host the model with at least this many inference units (1 or more). Unset means not hosted; changing it restarts hosting.")
                    .validate(validate::int_between(1, 1000)),
            )
            .attribute(
                Attribute::optional("max_inference_units", Type::Number)
                    .describe("The most inference units hosting may scale to (at least `min_inference_units`). Needs `min_inference_units`.")
                    .validate(validate::int_between(1, 1000)),
            )
            .attribute(Attribute::computed("model_version", Type::String).describe("The model's version number in the project.").stable())
            .attribute(Attribute::computed("arn", Type::String).describe("The model's ARN.").stable())
            .attribute(Attribute::computed("status", Type::String).describe("The model's status, e.g. `TRAINED` or `HOSTED`."))
            .attribute(Attribute::computed("status_message", Type::String).describe("The service's message about the status."))
            .attribute(Attribute::computed("creation_timestamp", Type::String).describe("When training started (RFC 3339).").stable())
            .attribute(Attribute::computed("evaluation_end_timestamp", Type::String).describe("When evaluation ended (RFC 3339)."))
            .attribute(
                Attribute::computed(
                    "performance",
                    Type::object([("f1_score", Type::Number), ("precision", Type::Number), ("recall", Type::Number)]),
                )
                .describe("The model's evaluation scores: `f1_score`, `precision` and `recall`."),
            )
            .attribute(Attribute::computed("evaluation_manifest", s3_object_type.clone()).describe("The S3 object of the evaluation manifest (`bucket`, `key`)."))
            .attribute(Attribute::computed("evaluation_result", s3_object_type).describe("The S3 object of the evaluation results (`bucket`, `key`)."))
            .block(NestedBlock::single("output_config", output).required().requires_replace()),
        )
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
            config.get("min_inference_units"),
            config.get("max_inference_units"),
        );
        if max.is_null() || max.is_unknown() || min.is_unknown() {
            return;
        }
        let path = AttributePath::root("max_inference_units");
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
        let tags = planned.get("tags");
        if tags.is_unknown() || !tags.is_wholly_known() {
            planned.set("tags_all", Value::Unknown);
            return;
        }
        let mut all = client.default_tags.clone();
        all.extend(tags.string_map());
        planned.set("tags_all", map_value(&all));
    }

    async fn create(&self, ctx: &Context<'_, Client>, planned: &Value) -> Result<Value, Failure> {
        let project = planned.get("project_name").as_str().unwrap_or_default();
        let output = planned.get("output_config");
        let mut location =
            S3Location::builder().bucket(output.get("bucket").as_str().unwrap_or_default());
        if let Some(prefix) = output.get("prefix").as_str() {
            location = location.prefix(prefix);
        }
        let tags_all = planned.get("tags_all").string_map();
        let pending = Subject::New {
            type_name: TYPE_NAME,
            project,
        };
        let already_training = training_versions(ctx, project)
            .await
            .map_err(|err| api_failure(Action::Create, pending, &err, None))?;
        let created = ctx
            .client
            .api()
            .create_model()
            .project_name(project)
            .set_description(planned.get("description").as_str().map(str::to_owned))
            .set_kms_key_id(planned.get("kms_key_id").as_str().map(str::to_owned))
            .output_config(
                OutputConfig::builder()
                    .s3_location(location.build())
                    .build(),
            )
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
                api_failure(Action::Create, pending, &err, advice)
            })?;
        let metadata = created.model_metadata();
        let version = metadata.and_then(|m| m.model_version()).unwrap_or_default();
        let key = Key::new(project, version);
        tracing::info!(model = %key.id, "The service accepted the model; waiting for training to finish.");
        let first = ModelDescription::builder()
            .set_model_version(metadata.and_then(|m| m.model_version()).map(str::to_owned))
            .set_model_arn(metadata.and_then(|m| m.model_arn()).map(str::to_owned))
            .set_creation_timestamp(metadata.and_then(|m| m.creation_timestamp()).cloned())
            .set_description(metadata.and_then(|m| m.description()).map(str::to_owned))
            .set_status(metadata.and_then(|m| m.status()).cloned())
            .build();

        let lifecycle = Lifecycle::new(ctx, &key, Operation::Create);
        let keep = |stalled| Self::keep(planned, &key, stalled, &first);
        let mut description = lifecycle.trained().await.map_err(keep)?;
        if let Some(hosting) = hosting_of(planned) {
            description = lifecycle.start(hosting).await.map_err(keep)?;
        }
        let created = state(
            planned,
            &key,
            &description,
            planned.get("tags").clone(),
            planned.get("tags_all").clone(),
        );
        if already_training.is_empty() {
            return Ok(created);
        }
        // Completed, with a warning: a model has no name, so one whose creation never reached
        // the state (the provider or Terraform died) cannot be recognised, only pointed out.
        let versions = already_training.join(", ");
        let warning = Diagnostic::warning(
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
        );
        Err(Failure::from(warning).with_state(created))
    }

    async fn read(
        &self,
        ctx: &Context<'_, Client>,
        current: &Value,
    ) -> Result<Option<Value>, Failure> {
        let key = Key::of(current);
        let description = match describe(ctx, &key).await {
            Ok(d) if d.status() == Some(&ModelStatus::Deleting) => return Ok(None),
            Ok(d) => d,
            Err(err) if err.is_not_found() => return Ok(None),
            Err(err) => return Err(api_failure(Action::Read, key.subject(), &err, None).into()),
        };
        let arn = description.model_arn().unwrap_or_default();
        let remote = remote_tags(ctx, arn)
            .await
            .map_err(|err| api_failure(Action::Read, key.subject(), &err, None))?;
        // `tags` holds what the configuration owns: everything except provider defaults that
        // the resource does not set itself.
        let configured = current.get("tags").string_map();
        let own: BTreeMap<String, String> = remote
            .iter()
            .filter(|(k, v)| {
                configured.contains_key(*k) || ctx.client.default_tags.get(*k) != Some(*v)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let tags = if own.is_empty() && current.get("tags").is_null() {
            Value::Null
        } else {
            map_value(&own)
        };
        Ok(Some(state(
            current,
            &key,
            &description,
            tags,
            map_value(&remote),
        )))
    }

    async fn update(
        &self,
        ctx: &Context<'_, Client>,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, Failure> {
        let key = Key::of(prior);
        let lifecycle = Lifecycle::new(ctx, &key, Operation::Update);
        let arn = prior.get("arn").as_str().unwrap_or_default();
        let current = describe(ctx, &key)
            .await
            .map_err(|err| api_failure(Action::Update, key.subject(), &err, None))?;
        let keep = |stalled| Self::keep(prior, &key, stalled, &current);
        update_tags(
            ctx,
            &key,
            arn,
            &prior.get("tags_all").string_map(),
            &planned.get("tags_all").string_map(),
        )
        .await
        .map_err(|diag| Self::keep(prior, &key, Stalled::failed(diag), &current))?;

        let mut description = current.clone();
        let (have, want) = (hosting_of(prior), hosting_of(planned));
        if have != want {
            if have.is_some() {
                description = lifecycle.stop().await.map_err(keep)?;
            }
            if let Some(hosting) = want {
                description = lifecycle.start(hosting).await.map_err(keep)?;
            }
        } else {
            description = describe(ctx, &key)
                .await
                .map_err(|err| api_failure(Action::Update, key.subject(), &err, None))?;
        }
        Ok(state(
            planned,
            &key,
            &description,
            planned.get("tags").clone(),
            planned.get("tags_all").clone(),
        ))
    }

    async fn delete(&self, ctx: &Context<'_, Client>, current: &Value) -> Result<(), Failure> {
        let key = Key::of(current);
        let lifecycle = Lifecycle::new(ctx, &key, Operation::Delete);
        let result = async {
            let settled = match describe(ctx, &key).await {
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
        if !version.bytes().all(|b| b.is_ascii_digit()) || version.starts_with('0') {
            return Err(invalid_import_id(
                TYPE_NAME,
                &format!(
                    "The model version after the colon must be a whole number such as 1; got \
                     {version:?}."
                ),
            ));
        }
        Ok(Value::object([
            ("id", id.into()),
            ("project_name", project.into()),
            ("model_version", version.into()),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids_name_a_project_and_a_numeric_version() {
        let state = Model.import("boards:12").expect("a valid ID");
        assert_eq!(state.get("project_name").as_str(), Some("boards"));
        assert_eq!(state.get("model_version").as_str(), Some("12"));
        for bad in ["boards", "boards:latest", "boards:01", ":1", "boards:1:2"] {
            let err = Model.import(bad).expect_err(bad);
            assert!(err.summary.contains("Invalid import ID"), "{bad}: {err:?}");
        }
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
            planned.get("tags_all"),
            &Value::Map(
                [
                    ("owner".to_owned(), Value::string("platform")),
                    ("team".to_owned(), Value::string("vision")),
                ]
                .into()
            )
        );
        planned.set("tags", Value::Unknown);
        Model.modify_plan(Some(&client), &mut planned);
        assert_eq!(planned.get("tags_all"), &Value::Unknown);
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
