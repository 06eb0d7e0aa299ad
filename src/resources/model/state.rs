//! What a model's value holds: the schema, and the typed state built from the service's
//! description of the model. The attribute names are constants that both use.

use std::collections::BTreeMap;

use aws_sdk_lookoutvision::types::{
    ModelDescription, ModelPerformance, ModelStatus, OutputConfig, OutputS3Object, S3Location,
};

use super::describe::Described;
use super::tags::own_tags;
use super::TYPE_NAME;
use crate::framework::schema::{Attribute, Block, NestedBlock, Schema};
use crate::framework::validate;
use crate::framework::value::{Type, Value};
use crate::resources::typed::{require, Object, ShapeError, StringMap, Typed, TIMEOUTS};
use crate::resources::{project_name_attribute, s3, score, timestamp, Subject};

// The attribute names, for the schema and for `ModelState`.
pub(crate) const ID: &str = "id";
pub(crate) const PROJECT_NAME: &str = "project_name";
pub(crate) const DESCRIPTION: &str = "description";
pub(crate) const KMS_KEY_ID: &str = "kms_key_id";
pub(crate) const TAGS: &str = "tags";
pub(crate) const TAGS_ALL: &str = "tags_all";
pub(crate) const MIN_INFERENCE_UNITS: &str = "min_inference_units";
pub(crate) const MAX_INFERENCE_UNITS: &str = "max_inference_units";
pub(crate) const MODEL_VERSION: &str = "model_version";
pub(crate) const ARN: &str = "arn";
pub(crate) const STATUS: &str = "status";
pub(crate) const STATUS_MESSAGE: &str = "status_message";
pub(crate) const CREATION_TIMESTAMP: &str = "creation_timestamp";
pub(crate) const EVALUATION_END_TIMESTAMP: &str = "evaluation_end_timestamp";
pub(crate) const PERFORMANCE: &str = "performance";
pub(crate) const EVALUATION_MANIFEST: &str = "evaluation_manifest";
pub(crate) const EVALUATION_RESULT: &str = "evaluation_result";
pub(crate) const OUTPUT_CONFIG: &str = "output_config";
// Inside `performance`.
pub(crate) const F1_SCORE: &str = "f1_score";
pub(crate) const PRECISION: &str = "precision";
pub(crate) const RECALL: &str = "recall";
// Inside `evaluation_manifest`, `evaluation_result` and `output_config`.
pub(crate) const BUCKET: &str = "bucket";
pub(crate) const KEY: &str = "key";
pub(crate) const PREFIX: &str = "prefix";

/// The resource's schema.
pub(super) fn schema() -> Schema {
    let output = Block::new("Where training writes its output (evaluation manifest and results).")
        .attribute(s3::bucket(BUCKET, "The S3 bucket for the training output."))
        .attribute(s3::prefix(
            PREFIX,
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
            Attribute::computed(ID, Type::String)
                .describe("`<project_name>:<model_version>`.")
                .stable(),
        )
        .attribute(project_name_attribute(
            PROJECT_NAME,
            "The project whose datasets train the model. Changing it replaces the model.",
        ))
        .attribute(
            Attribute::optional(DESCRIPTION, Type::String)
                .describe("A description: 1 to 500 letters, digits, dots, hyphens and underscores (no spaces). Changing it replaces the model.")
                .requires_replace()
                .validate(validate::string_length(1, 500))
                .validate(validate::string_matches(
                    "[0-9A-Za-z.\\-_]*",
                    "letters, digits, dots, hyphens and underscores, without spaces",
                )),
        )
        .attribute(
            Attribute::optional(KMS_KEY_ID, Type::String)
                .describe("The KMS key that encrypts the model and its training output. Changing it replaces the model.")
                .requires_replace()
                .validate(validate::string_length(1, 2048))
                .validate(validate::string_matches(
                    "[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]*",
                    "a KMS key ID, alias or ARN",
                )),
        )
        .attribute(tag_validators(
            Attribute::optional(TAGS, Type::map(Type::String))
                .describe("Tags for the model, changed in place. Merged over the provider's `default_tags` into `tags_all`."),
        ))
        .attribute(
            Attribute::computed(TAGS_ALL, Type::map(Type::String))
                .describe("All tags of the model: the provider's `default_tags` with `tags` over them."),
        )
        .attribute(
            Attribute::optional(MIN_INFERENCE_UNITS, Type::Number)
                .describe("Host the model with at least this many inference units (1 or more). Unset means not hosted; changing it restarts hosting.")
                .validate(validate::int_between(1, 1000)),
        )
        .attribute(
            Attribute::optional(MAX_INFERENCE_UNITS, Type::Number)
                .describe("The most inference units hosting may scale to (at least `min_inference_units`). Needs `min_inference_units`.")
                .validate(validate::int_between(1, 1000)),
        )
        .attributes(reported_attributes())
        .block(NestedBlock::single(OUTPUT_CONFIG, output).required().requires_replace()),
    )
}

/// The attributes that only the service sets, as the resource and the data sources describe
/// them.
pub(crate) fn reported_attributes() -> [Attribute; 9] {
    let s3_object_type = Type::object([(BUCKET, Type::String), (KEY, Type::String)]);
    [
        Attribute::computed(MODEL_VERSION, Type::String)
            .describe("The model's version number in the project.")
            .stable(),
        Attribute::computed(ARN, Type::String)
            .describe("The model's ARN.")
            .stable(),
        Attribute::computed(STATUS, Type::String)
            .describe("The model's status, e.g. `TRAINED` or `HOSTED`."),
        Attribute::computed(STATUS_MESSAGE, Type::String)
            .describe("The service's message about the status."),
        Attribute::computed(CREATION_TIMESTAMP, Type::String)
            .describe("When training started (RFC 3339).")
            .stable(),
        Attribute::computed(EVALUATION_END_TIMESTAMP, Type::String)
            .describe("When evaluation ended (RFC 3339)."),
        Attribute::computed(PERFORMANCE, performance_type())
            .describe("The model's evaluation scores: `f1_score`, `precision` and `recall`."),
        Attribute::computed(EVALUATION_MANIFEST, s3_object_type.clone())
            .describe("The S3 object of the evaluation manifest (`bucket`, `key`)."),
        Attribute::computed(EVALUATION_RESULT, s3_object_type)
            .describe("The S3 object of the evaluation results (`bucket`, `key`)."),
    ]
}

/// The type of the `performance` attribute.
pub(crate) fn performance_type() -> Type {
    Type::object([
        (F1_SCORE, Type::Number),
        (PRECISION, Type::Number),
        (RECALL, Type::Number),
    ])
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

/// A model as its state (or plan) holds it. Its ID, `<project_name>:<model_version>`, is not
/// held twice.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ModelState {
    pub(super) project_name: String,
    /// `None` in a create plan: the service numbers the version when it accepts the model.
    pub(super) model_version: Option<String>,
    pub(super) description: Option<String>,
    pub(super) kms_key_id: Option<String>,
    pub(super) tags: Option<StringMap>,
    pub(super) tags_all: Option<StringMap>,
    pub(super) min_inference_units: Option<i64>,
    pub(super) max_inference_units: Option<i64>,
    pub(super) arn: Option<String>,
    pub(super) status: Option<String>,
    pub(super) status_message: Option<String>,
    pub(super) creation_timestamp: Option<String>,
    pub(super) evaluation_end_timestamp: Option<String>,
    pub(super) performance: Option<Performance>,
    pub(super) evaluation_manifest: Option<S3Object>,
    pub(super) evaluation_result: Option<S3Object>,
    pub(super) output_config: Option<TrainingOutput>,
    pub(super) timeouts: Value,
}

/// The `performance` attribute: evaluation scores.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Performance {
    f1_score: Option<f64>,
    precision: Option<f64>,
    recall: Option<f64>,
}

/// The `evaluation_manifest` and `evaluation_result` attributes: an object in S3.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct S3Object {
    bucket: String,
    key: Option<String>,
}

/// The `output_config` block: where training writes its output.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TrainingOutput {
    bucket: String,
    prefix: Option<String>,
}

impl Typed for ModelState {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(ModelState {
            project_name: object.get(PROJECT_NAME)?,
            model_version: object.get(MODEL_VERSION)?,
            description: object.get(DESCRIPTION)?,
            kms_key_id: object.get(KMS_KEY_ID)?,
            tags: object.get(TAGS)?,
            tags_all: object.get(TAGS_ALL)?,
            min_inference_units: object.get(MIN_INFERENCE_UNITS)?,
            max_inference_units: object.get(MAX_INFERENCE_UNITS)?,
            arn: object.get(ARN)?,
            status: object.get(STATUS)?,
            status_message: object.get(STATUS_MESSAGE)?,
            creation_timestamp: object.get(CREATION_TIMESTAMP)?,
            evaluation_end_timestamp: object.get(EVALUATION_END_TIMESTAMP)?,
            performance: object.get(PERFORMANCE)?,
            evaluation_manifest: object.get(EVALUATION_MANIFEST)?,
            evaluation_result: object.get(EVALUATION_RESULT)?,
            output_config: object.get(OUTPUT_CONFIG)?,
            timeouts: object.get(TIMEOUTS)?,
        })
    }

    fn write(&self) -> Value {
        let id = self
            .model_version
            .as_ref()
            .map(|version| format!("{}:{version}", self.project_name));
        Value::object([
            (ID, id.write()),
            (PROJECT_NAME, self.project_name.write()),
            (MODEL_VERSION, self.model_version.write()),
            (DESCRIPTION, self.description.write()),
            (KMS_KEY_ID, self.kms_key_id.write()),
            (TAGS, self.tags.write()),
            (TAGS_ALL, self.tags_all.write()),
            (MIN_INFERENCE_UNITS, self.min_inference_units.write()),
            (MAX_INFERENCE_UNITS, self.max_inference_units.write()),
            (ARN, self.arn.write()),
            (STATUS, self.status.write()),
            (STATUS_MESSAGE, self.status_message.write()),
            (CREATION_TIMESTAMP, self.creation_timestamp.write()),
            (
                EVALUATION_END_TIMESTAMP,
                self.evaluation_end_timestamp.write(),
            ),
            (PERFORMANCE, self.performance.write()),
            (EVALUATION_MANIFEST, self.evaluation_manifest.write()),
            (EVALUATION_RESULT, self.evaluation_result.write()),
            (OUTPUT_CONFIG, self.output_config.write()),
            (TIMEOUTS, self.timeouts.write()),
        ])
    }
}

impl Typed for Performance {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(Performance {
            f1_score: object.get(F1_SCORE)?,
            precision: object.get(PRECISION)?,
            recall: object.get(RECALL)?,
        })
    }

    fn write(&self) -> Value {
        Value::object([
            (F1_SCORE, self.f1_score.write()),
            (PRECISION, self.precision.write()),
            (RECALL, self.recall.write()),
        ])
    }
}

impl Typed for S3Object {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(S3Object {
            bucket: object.get(BUCKET)?,
            key: object.get(KEY)?,
        })
    }

    fn write(&self) -> Value {
        Value::object([(BUCKET, self.bucket.write()), (KEY, self.key.write())])
    }
}

impl Typed for TrainingOutput {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        let object = Object::of(value)?;
        Ok(TrainingOutput {
            bucket: object.get(BUCKET)?,
            prefix: object.get(PREFIX)?,
        })
    }

    fn write(&self) -> Value {
        Value::object([(BUCKET, self.bucket.write()), (PREFIX, self.prefix.write())])
    }
}

impl ModelState {
    /// Model `key`, with nothing known about it yet (as an import starts).
    pub(crate) fn identified(key: &Key) -> ModelState {
        ModelState {
            project_name: key.project.clone(),
            model_version: Some(key.version.clone()),
            description: None,
            kms_key_id: None,
            tags: None,
            tags_all: None,
            min_inference_units: None,
            max_inference_units: None,
            arn: None,
            status: None,
            status_message: None,
            creation_timestamp: None,
            evaluation_end_timestamp: None,
            performance: None,
            evaluation_manifest: None,
            evaluation_result: None,
            output_config: None,
            timeouts: Value::Null,
        }
    }

    /// The model `key` as `description` shows it. Only what the service does not report stays
    /// from this state: `tags`, `tags_all` (read sets them from the service itself), whether a
    /// maximum of inference units was asked for, and `timeouts`.
    pub(super) fn observed(&self, key: &Key, description: &ModelDescription) -> ModelState {
        self.observed_with(key, description, self.max_inference_units.is_some())
    }

    /// This model as `described`, as a refresh reads it: `tags` are the model's tags except
    /// provider `defaults` the configuration does not set itself, `tags_all` every tag.
    pub(crate) fn refreshed(
        &self,
        key: &Key,
        described: &Described,
        defaults: &BTreeMap<String, String>,
    ) -> ModelState {
        let own = own_tags(&described.tags, &self.configured_tags(), defaults);
        ModelState {
            tags: (!own.is_empty() || self.tags.is_some()).then(|| own.into()),
            tags_all: Some(described.tags.clone().into()),
            ..self.observed(key, &described.description)
        }
    }

    /// Model `key` as `described`, for a reader: every value the service reports (the maximum of
    /// inference units even when it equals the minimum), and every tag in `tags`.
    pub(crate) fn reported(key: &Key, described: &Described) -> ModelState {
        ModelState {
            tags: Some(described.tags.clone().into()),
            tags_all: Some(described.tags.clone().into()),
            ..Self::identified(key).observed_with(key, &described.description, true)
        }
    }

    /// See [`ModelState::observed`]; `max_requested` says whether a maximum of inference units
    /// equal to the minimum is shown.
    fn observed_with(
        &self,
        key: &Key,
        description: &ModelDescription,
        max_requested: bool,
    ) -> ModelState {
        let (min_inference_units, max_inference_units) = hosted_units(description, max_requested);
        ModelState {
            project_name: key.project.clone(),
            model_version: Some(key.version.clone()),
            description: description.description().map(str::to_owned),
            kms_key_id: description.kms_key_id().map(str::to_owned),
            tags: self.tags.clone(),
            tags_all: self.tags_all.clone(),
            min_inference_units,
            max_inference_units,
            arn: description.model_arn().map(str::to_owned),
            status: description.status().map(|s| s.as_str().to_owned()),
            status_message: description.status_message().map(str::to_owned),
            creation_timestamp: timestamp(description.creation_timestamp()),
            evaluation_end_timestamp: timestamp(description.evaluation_end_timestamp()),
            performance: description.performance().map(Performance::of),
            evaluation_manifest: description.evaluation_manifest().and_then(S3Object::of),
            evaluation_result: description.evaluation_result().and_then(S3Object::of),
            output_config: description
                .output_config()
                .and_then(OutputConfig::s3_location)
                .and_then(TrainingOutput::of),
            timeouts: self.timeouts.clone(),
        }
    }

    /// The model `key` as `description` shows it, for a state saved when an apply towards this
    /// planned value was interrupted. The model is intact but has not got there yet, so the
    /// arguments the service has not settled (hosting units, tags) stay as planned: Terraform
    /// checks the saved state against the plan, and the next plan reads the truth.
    pub(super) fn interrupted(&self, key: &Key, description: &ModelDescription) -> ModelState {
        ModelState {
            min_inference_units: self.min_inference_units,
            max_inference_units: self.max_inference_units,
            ..self.observed(key, description)
        }
    }

    /// The hosting this value asks for, if any.
    pub(super) fn hosting(&self) -> Option<Hosting> {
        let units = |n: Option<i64>| n.and_then(|n| i32::try_from(n).ok());
        units(self.min_inference_units).map(|min| Hosting {
            min,
            max: units(self.max_inference_units),
        })
    }

    /// The tags the configuration sets: `tags`, without null elements.
    pub(super) fn configured_tags(&self) -> BTreeMap<String, String> {
        self.tags
            .as_ref()
            .map(StringMap::strings)
            .unwrap_or_default()
    }

    /// Every tag the model should carry: `tags_all`, without null elements.
    pub(super) fn all_tags(&self) -> BTreeMap<String, String> {
        self.tags_all
            .as_ref()
            .map(StringMap::strings)
            .unwrap_or_default()
    }

    /// Where CreateModel writes the training output; a create plan always has it.
    pub(super) fn training_output(&self) -> Result<OutputConfig, ShapeError> {
        let output = require(&self.output_config, OUTPUT_CONFIG)?;
        let location = S3Location::builder()
            .bucket(&output.bucket)
            .set_prefix(output.prefix.clone())
            .build();
        Ok(OutputConfig::builder().s3_location(location).build())
    }
}

impl Performance {
    /// The scores as the service reports them.
    pub(crate) fn of(performance: &ModelPerformance) -> Self {
        Performance {
            f1_score: score(performance.f1_score()),
            precision: score(performance.precision()),
            recall: score(performance.recall()),
        }
    }
}

impl S3Object {
    /// The object, if the service names its bucket.
    fn of(object: &OutputS3Object) -> Option<Self> {
        Some(S3Object {
            bucket: object.bucket()?.to_owned(),
            key: object.key().map(str::to_owned),
        })
    }
}

impl TrainingOutput {
    /// The output location, if the service names its bucket.
    fn of(location: &S3Location) -> Option<Self> {
        Some(TrainingOutput {
            bucket: location.bucket()?.to_owned(),
            prefix: location.prefix().map(str::to_owned),
        })
    }
}

/// The inference units of a model as its state shows them: none unless it is hosted (or
/// starting to be). `max_requested` says whether the configuration sets a maximum.
fn hosted_units(description: &ModelDescription, max_requested: bool) -> (Option<i64>, Option<i64>) {
    let hosted = matches!(
        description.status(),
        Some(ModelStatus::Hosted | ModelStatus::StartingHosting | ModelStatus::SystemUpdating)
    );
    let min = description.min_inference_units().filter(|_| hosted);
    // The service reports the maximum even when none was asked for (it equals the minimum);
    // keep it null then so that a configuration without it has no perpetual diff.
    let max = description
        .max_inference_units()
        .filter(|_| hosted)
        .filter(|max| Some(*max) != min || max_requested);
    (min.map(i64::from), max.map(i64::from))
}

/// Requested hosting: minimum and optional maximum inference units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Hosting {
    pub(super) min: i32,
    pub(super) max: Option<i32>,
}

impl Hosting {
    /// The hosting the model `description` runs with: none unless it is hosted. `max_requested`
    /// is as for [`ModelState::observed`].
    pub(super) fn running(description: &ModelDescription, max_requested: bool) -> Option<Hosting> {
        let (min, max) = hosted_units(description, max_requested);
        let units = |n: Option<i64>| n.and_then(|n| i32::try_from(n).ok());
        units(min).map(|min| Hosting {
            min,
            max: units(max),
        })
    }
}

/// Which model a value describes.
pub(crate) struct Key {
    pub(crate) project: String,
    pub(crate) version: String,
    pub(crate) id: String,
}

impl Key {
    pub(crate) fn new(project: &str, version: &str) -> Self {
        Key {
            project: project.to_owned(),
            version: version.to_owned(),
            id: format!("{project}:{version}"),
        }
    }

    /// The model `state` describes, which must have its version.
    pub(super) fn of(state: &ModelState) -> Result<Self, ShapeError> {
        let version = require(&state.model_version, MODEL_VERSION)?;
        Ok(Key::new(&state.project_name, version))
    }

    pub(crate) fn subject(&self) -> Subject<'_> {
        Subject::Existing {
            type_name: TYPE_NAME,
            id: &self.id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> Value {
        let map = |pairs: &[(&str, &str)]| {
            Value::Map(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Value::string(*v)))
                    .collect(),
            )
        };
        Value::object([
            (ID, "boards:1".into()),
            (PROJECT_NAME, "boards".into()),
            (MODEL_VERSION, "1".into()),
            (DESCRIPTION, "first".into()),
            (KMS_KEY_ID, Value::Null),
            (TAGS, map(&[("team", "vision")])),
            (TAGS_ALL, map(&[("owner", "platform"), ("team", "vision")])),
            (MIN_INFERENCE_UNITS, 1i64.into()),
            (MAX_INFERENCE_UNITS, 3i64.into()),
            (
                ARN,
                "arn:aws:lookoutvision:us-east-1:123456789012:model/boards/1".into(),
            ),
            (STATUS, "HOSTED".into()),
            (STATUS_MESSAGE, "Hosting succeeded.".into()),
            (CREATION_TIMESTAMP, "2025-01-02T03:04:05Z".into()),
            (EVALUATION_END_TIMESTAMP, "2025-01-02T04:00:00Z".into()),
            (
                PERFORMANCE,
                Value::object([
                    (F1_SCORE, 0.85.into()),
                    (PRECISION, 1i64.into()),
                    (RECALL, Value::Null),
                ]),
            ),
            (
                EVALUATION_MANIFEST,
                Value::object([(BUCKET, "out".into()), (KEY, "eval/manifest".into())]),
            ),
            (EVALUATION_RESULT, Value::Null),
            (
                OUTPUT_CONFIG,
                Value::object([(BUCKET, "out".into()), (PREFIX, Value::Null)]),
            ),
            (TIMEOUTS, Value::object([("create", "2h".into())])),
        ])
    }

    #[test]
    fn state_round_trips_through_the_typed_model() {
        let state = ModelState::read(&stored()).expect("a complete state");
        assert_eq!(state.model_version.as_deref(), Some("1"));
        assert_eq!(
            state.hosting(),
            Some(Hosting {
                min: 1,
                max: Some(3)
            })
        );
        assert_eq!(state.all_tags().len(), 2);
        assert_eq!(state.write(), stored());
    }

    #[test]
    fn missing_identity_is_an_error_not_an_empty_string() {
        let mut value = stored();
        value.set(PROJECT_NAME, Value::Null);
        let err = ModelState::read(&value).expect_err("no project");
        assert_eq!(err.to_string(), "`project_name` is null");

        let mut value = stored();
        value.set(MODEL_VERSION, Value::Null);
        let state = ModelState::read(&value).expect("a version is computed");
        let err = Key::of(&state).err().expect("no version");
        assert_eq!(err.to_string(), "`model_version` is null");

        let mut value = stored();
        value.set(OUTPUT_CONFIG, Value::object([(PREFIX, "p/".into())]));
        let err = ModelState::read(&value).expect_err("no bucket");
        assert_eq!(err.to_string(), "`output_config.bucket` is null");
    }

    #[test]
    fn a_create_plan_reads_and_builds_the_request() {
        let mut planned = stored();
        for computed in [
            ID,
            MODEL_VERSION,
            ARN,
            STATUS,
            STATUS_MESSAGE,
            CREATION_TIMESTAMP,
            EVALUATION_END_TIMESTAMP,
            PERFORMANCE,
            EVALUATION_MANIFEST,
            EVALUATION_RESULT,
        ] {
            planned.set(computed, Value::Unknown);
        }
        let plan = ModelState::read(&planned).expect("a plan");
        assert_eq!(
            (plan.model_version.as_ref(), plan.arn.as_ref()),
            (None, None)
        );
        let output = plan.training_output().expect("an output block");
        let location = output.s3_location().expect("a location");
        assert_eq!((location.bucket(), location.prefix()), (Some("out"), None));

        let without = ModelState {
            output_config: None,
            ..plan
        };
        let err = without.training_output().expect_err("no output block");
        assert_eq!(err.to_string(), "`output_config` is null");
    }

    #[test]
    fn observing_the_service_keeps_tags_and_timeouts() {
        let base = ModelState::read(&stored()).expect("a complete state");
        let key = Key::new("boards", "1");
        let observed = base.observed(
            &key,
            &ModelDescription::builder()
                .status(ModelStatus::Trained)
                .min_inference_units(1)
                .build(),
        );
        assert_eq!(observed.tags, base.tags);
        assert_eq!(observed.tags_all, base.tags_all);
        assert_eq!(observed.timeouts, base.timeouts);
        assert_eq!(observed.status.as_deref(), Some("TRAINED"));
        // Not hosted, so no units; and nothing the service did not report.
        assert_eq!(observed.min_inference_units, None);
        assert_eq!(observed.description, None);
        assert_eq!(observed.output_config, None);
        assert_eq!(observed.write().get(ID).as_str(), Some("boards:1"));
    }

    #[test]
    fn inference_units_show_only_while_hosted_and_the_maximum_only_when_asked_for() {
        let model = |status, min, max| {
            ModelDescription::builder()
                .status(status)
                .min_inference_units(min)
                .max_inference_units(max)
                .build()
        };
        let hosted = model(ModelStatus::Hosted, 2, 2);
        assert_eq!(hosted_units(&hosted, false), (Some(2), None));
        assert_eq!(hosted_units(&hosted, true), (Some(2), Some(2)));
        let scaled = model(ModelStatus::StartingHosting, 2, 4);
        assert_eq!(hosted_units(&scaled, false), (Some(2), Some(4)));
        let trained = model(ModelStatus::Trained, 2, 4);
        assert_eq!(hosted_units(&trained, true), (None, None));
    }

    #[test]
    fn scores_keep_their_decimal_form() {
        let performance = ModelPerformance::builder()
            .f1_score(0.85)
            .precision(1.0)
            .build();
        let written = Performance::of(&performance).write();
        assert_eq!(written.get(F1_SCORE), &Value::from(0.85));
        assert_eq!(written.get(PRECISION), &Value::from(1i64));
        assert!(written.get(RECALL).is_null());
    }
}
