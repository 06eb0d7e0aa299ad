//! Model versions: training, hosting, deletion and tags.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::lifecycle::{Outcome, Phase, Status};
use super::{find_mut, DatasetStatus, DatasetType, FailureKind, Project, State, Subject};
use crate::clock::Timestamp;
use crate::detector::Detector;
use crate::error::{ApiError, Resource};
use crate::synthetic::{self, Performance};

/// The most tags a model can carry.
pub const MAX_TAGS: usize = 200;

/// A model version of a project.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Model {
    /// `ModelVersion` (1, 2, … per project).
    pub version: u32,
    /// `ModelArn`.
    pub arn: String,
    /// `CreationTimestamp`.
    pub created: Timestamp,
    /// `Description`.
    pub description: Option<String>,
    /// `Status` and `StatusMessage`.
    #[serde(flatten)]
    pub phase: Phase<ModelStatus>,
    /// `OutputConfig.S3Location`.
    pub output: S3Location,
    /// `KmsKeyId`.
    pub kms_key_id: Option<String>,
    /// What a successful training produces, fixed when training starts (`None` when it is
    /// going to fail); [`Model::evaluation`] shows it once training is over.
    evaluation: Option<Evaluation>,
    /// The model learnt from real images (`--s3-dir`); `None` for a synthetic model, whose
    /// DetectAnomalies answers are derived from the image bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<Arc<Detector>>,
    /// `MinInferenceUnits` and `MaxInferenceUnits` of the last StartModel.
    pub inference_units: Option<InferenceUnits>,
    /// The model's tags.
    pub tags: BTreeMap<String, String>,
}

/// `ModelStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ModelStatus {
    /// `TRAINING`: the state a new model starts in.
    Training,
    /// `TRAINED`: ready to start; also where a stopped model returns to.
    Trained,
    /// `TRAINING_FAILED`.
    TrainingFailed,
    /// `STARTING_HOSTING`.
    StartingHosting,
    /// `HOSTED`: running and able to detect anomalies.
    Hosted,
    /// `HOSTING_FAILED`.
    HostingFailed,
    /// `STOPPING_HOSTING`.
    StoppingHosting,
    /// `SYSTEM_UPDATING`.
    SystemUpdating,
    /// `DELETING`: still listed until deletion finishes.
    Deleting,
}

impl Status for ModelStatus {
    fn message(self) -> &'static str {
        match self {
            Self::Training => "Training the model",
            Self::Trained => "The model is trained and not running",
            Self::TrainingFailed => "Training failed",
            Self::StartingHosting => "Starting the model",
            Self::Hosted => "The model is running",
            Self::HostingFailed => "The model failed to start",
            Self::StoppingHosting => "Stopping the model",
            Self::SystemUpdating => "Updating the model's hosting",
            Self::Deleting => "Deleting the model",
        }
    }
}

/// An S3 bucket and key prefix (`OutputConfig.S3Location`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct S3Location {
    /// `Bucket`.
    pub bucket: String,
    /// `Prefix`.
    pub prefix: Option<String>,
}

/// An S3 object (a manifest, an evaluation file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct S3Object {
    /// `Bucket`.
    pub bucket: String,
    /// `Key`.
    pub key: String,
}

/// What training writes and measures.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Evaluation {
    /// `Performance`.
    pub performance: Performance,
    /// `EvaluationManifest`.
    pub manifest: S3Object,
    /// `EvaluationResult`.
    pub result: S3Object,
    /// `EvaluationEndTimestamp`: when training finished.
    pub ended: Timestamp,
}

impl Evaluation {
    /// The evaluation of `version` of `project`, written under `output` at `ended`:
    /// `{prefix}/EvaluationManifest-{project}-{version}.json` and
    /// `{prefix}/EvaluationResult-{project}-{version}.json`.
    fn of(
        project: &str,
        version: u32,
        output: &S3Location,
        ended: Timestamp,
        performance: Performance,
    ) -> Self {
        let prefix = match output.prefix.as_deref() {
            Some(prefix) if !prefix.is_empty() && !prefix.ends_with('/') => format!("{prefix}/"),
            prefix => prefix.unwrap_or_default().to_owned(),
        };
        let object = |name: &str| S3Object {
            bucket: output.bucket.clone(),
            key: format!("{prefix}{name}-{project}-{version}.json"),
        };
        Self {
            performance,
            manifest: object("EvaluationManifest"),
            result: object("EvaluationResult"),
            ended,
        }
    }
}

/// The inference units StartModel asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct InferenceUnits {
    /// `MinInferenceUnits`.
    pub min: u32,
    /// `MaxInferenceUnits`.
    pub max: Option<u32>,
}

/// What training a new model is going to end in.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Training {
    /// Scores derived from the project and version (no S3 directory).
    #[default]
    Synthetic,
    /// A model learnt from the datasets' images, and how it performed.
    Learned {
        /// The model.
        detector: Arc<Detector>,
        /// Its measured `Performance`.
        performance: Performance,
    },
    /// Training cannot succeed, for this reason (the `StatusMessage`).
    Failed(String),
}

/// The input of CreateModel, once validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewModel {
    /// `Description`.
    pub description: Option<String>,
    /// `OutputConfig.S3Location`.
    pub output: S3Location,
    /// `KmsKeyId`.
    pub kms_key_id: Option<String>,
    /// `Tags`, at most [`MAX_TAGS`].
    pub tags: BTreeMap<String, String>,
    /// What training ends in.
    pub training: Training,
}

impl Model {
    /// The evaluation, once the model has been trained successfully.
    pub fn evaluation(&self) -> Option<&Evaluation> {
        self.evaluation
            .as_ref()
            .filter(|_| self.phase.status != ModelStatus::Training)
    }

    /// The evaluation training is going to end with, already while it trains (to write its
    /// files); `None` when training is going to fail.
    pub fn evaluation_planned(&self) -> Option<&Evaluation> {
        self.evaluation.as_ref()
    }

    /// Adds `tags`, replacing the values of keys it already has; ValidationException if that
    /// would leave more than [`MAX_TAGS`].
    pub fn tag(&mut self, tags: BTreeMap<String, String>) -> Result<(), ApiError> {
        let total = self
            .tags
            .keys()
            .chain(tags.keys())
            .collect::<BTreeSet<_>>()
            .len();
        if total > MAX_TAGS {
            return Err(ApiError::validation(format!(
                "Resource {} would have {total} tags; at most {MAX_TAGS} are allowed",
                self.arn
            )));
        }
        self.tags.extend(tags);
        Ok(())
    }

    /// Removes the tags with these keys; keys it does not have are ignored.
    pub fn untag(&mut self, keys: &[String]) {
        for key in keys {
            self.tags.remove(key);
        }
    }
}

impl State {
    /// Version `version` (digits or `latest`) of `project`'s models, or
    /// ResourceNotFoundException. `latest` is the highest version not being deleted.
    pub fn model(&self, project: &str, version: &str) -> Result<&Model, ApiError> {
        let models = &self.project(project)?.models;
        resolve(models, version)
            .and_then(|number| models.get(&number))
            .ok_or_else(|| model_not_found(project, version))
    }

    fn model_mut(&mut self, project: &str, version: &str) -> Result<&mut Model, ApiError> {
        let models = &mut self.project_mut(project)?.models;
        resolve(models, version)
            .and_then(|number| models.get_mut(&number))
            .ok_or_else(|| model_not_found(project, version))
    }

    /// Starts training the next version of `project`'s model, named by `arn(version)`: it is
    /// `TRAINING` for `takes`, then `TRAINED` with its evaluation, or `TRAINING_FAILED` if a
    /// training failure was armed. ValidationException unless the train dataset (and the
    /// test dataset, if there is one) is complete.
    pub fn create_model(
        &mut self,
        project: &str,
        new: NewModel,
        arn: impl FnOnce(u32) -> String,
        now: Timestamp,
        takes: Duration,
    ) -> Result<&Model, ApiError> {
        ensure_trainable(self.project(project)?)?;
        let failure = self.take_failure(FailureKind::Training, project);
        let project_ref = find_mut(&mut self.projects, project)?;
        let version = project_ref.next_model_version;
        project_ref.next_model_version += 1;
        tracing::info!(
            project,
            version,
            fails = failure.is_some(),
            "training started"
        );
        let ended = now + takes;
        let trained = |performance| {
            let evaluation = Evaluation::of(project, version, &new.output, ended, performance);
            (Outcome::settle(ModelStatus::Trained), Some(evaluation))
        };
        let (then, evaluation, detector) = match (failure, new.training) {
            (Some(message), _) | (None, Training::Failed(message)) => (
                Outcome::fail(ModelStatus::TrainingFailed, message),
                None,
                None,
            ),
            (None, Training::Synthetic) => {
                let (then, evaluation) = trained(synthetic::performance(project, version));
                (then, evaluation, None)
            }
            (
                None,
                Training::Learned {
                    detector,
                    performance,
                },
            ) => {
                let (then, evaluation) = trained(performance);
                (then, evaluation, Some(detector))
            }
        };
        let model = Model {
            version,
            arn: arn(version),
            created: now,
            description: new.description,
            phase: Phase::changing(ModelStatus::Training, now, takes, then),
            output: new.output,
            kms_key_id: new.kms_key_id,
            evaluation,
            detector,
            inference_units: None,
            tags: new.tags,
        };
        self.agenda
            .schedule(project, Subject::Model(version), model.phase.due());
        Ok(project_ref.models.entry(version).or_insert(model))
    }

    /// Starts deleting a model; it is listed as `DELETING` for `takes`, then gone. A repeat
    /// while it is being deleted changes nothing. ConflictException while it is training,
    /// starting, running or stopping.
    pub fn delete_model(
        &mut self,
        project: &str,
        version: &str,
        now: Timestamp,
        takes: Duration,
    ) -> Result<&Model, ApiError> {
        let model = self.model_mut(project, version)?;
        let number = model.version;
        match model.phase.status {
            ModelStatus::Deleting => {}
            ModelStatus::Trained | ModelStatus::TrainingFailed | ModelStatus::HostingFailed => {
                model
                    .phase
                    .change(ModelStatus::Deleting, now, takes, Outcome::Gone);
                let due = model.phase.due();
                self.agenda.schedule(project, Subject::Model(number), due);
            }
            ModelStatus::Training
            | ModelStatus::StartingHosting
            | ModelStatus::Hosted
            | ModelStatus::StoppingHosting
            | ModelStatus::SystemUpdating => {
                return Err(busy(
                    project,
                    model,
                    "stop it or wait for it to settle before deleting it",
                ))
            }
        }
        // By number: `latest` no longer names a model being deleted.
        self.model(project, &number.to_string())
    }

    /// Starts hosting a `TRAINED` (or `HOSTING_FAILED`) model with `units`: it is
    /// `STARTING_HOSTING` for `takes`, then `HOSTED`, or `HOSTING_FAILED` if a hosting
    /// failure was armed. ConflictException from any other status; `admit` (a quota check)
    /// has its say once the model is known to be startable.
    pub fn start_model(
        &mut self,
        project: &str,
        version: &str,
        units: InferenceUnits,
        now: Timestamp,
        takes: Duration,
        admit: impl FnOnce(&State) -> Result<(), ApiError>,
    ) -> Result<ModelStatus, ApiError> {
        let model = self.model(project, version)?;
        if !matches!(
            model.phase.status,
            ModelStatus::Trained | ModelStatus::HostingFailed
        ) {
            return Err(busy(
                project,
                model,
                "only a TRAINED model (or one whose hosting failed) can be started",
            ));
        }
        admit(self)?;
        let failure = self.take_failure(FailureKind::Hosting, project);
        let model = self.model_mut(project, version)?;
        tracing::info!(
            project,
            version = model.version,
            fails = failure.is_some(),
            "hosting started"
        );
        let then = match failure {
            Some(message) => Outcome::fail(ModelStatus::HostingFailed, message),
            None => Outcome::settle(ModelStatus::Hosted),
        };
        model.inference_units = Some(units);
        model
            .phase
            .change(ModelStatus::StartingHosting, now, takes, then);
        let (number, status, due) = (model.version, model.phase.status, model.phase.due());
        self.agenda.schedule(project, Subject::Model(number), due);
        Ok(status)
    }

    /// Stops a `HOSTED` model: it is `STOPPING_HOSTING` for `takes`, then `TRAINED` again.
    /// ConflictException from any other status.
    pub fn stop_model(
        &mut self,
        project: &str,
        version: &str,
        now: Timestamp,
        takes: Duration,
    ) -> Result<ModelStatus, ApiError> {
        let model = self.model_mut(project, version)?;
        if model.phase.status != ModelStatus::Hosted {
            return Err(busy(project, model, "only a HOSTED model can be stopped"));
        }
        model.phase.change(
            ModelStatus::StoppingHosting,
            now,
            takes,
            Outcome::settle(ModelStatus::Trained),
        );
        let (number, status, due) = (model.version, model.phase.status, model.phase.due());
        self.agenda.schedule(project, Subject::Model(number), due);
        Ok(status)
    }

    /// How many models are starting, running, stopping or being updated, in every project:
    /// the models that hold inference units.
    pub fn running_models(&self) -> usize {
        self.projects
            .values()
            .flat_map(|project| project.models.values())
            .filter(|model| {
                matches!(
                    model.phase.status,
                    ModelStatus::StartingHosting
                        | ModelStatus::Hosted
                        | ModelStatus::StoppingHosting
                        | ModelStatus::SystemUpdating
                )
            })
            .count()
    }

    /// A model that can detect anomalies: ConflictException unless it is `HOSTED`.
    pub fn hosted_model(&self, project: &str, version: &str) -> Result<&Model, ApiError> {
        let model = self.model(project, version)?;
        if model.phase.status != ModelStatus::Hosted {
            return Err(busy(
                project,
                model,
                "start it and wait for HOSTED before detecting anomalies",
            ));
        }
        Ok(model)
    }

    /// The model with ARN `arn`, or ResourceNotFoundException (also for any ARN that is not
    /// a model's: only models can be tagged).
    pub fn model_by_arn(&self, arn: &str) -> Result<&Model, ApiError> {
        let (project, version) = split_model_arn(arn).ok_or_else(|| arn_not_found(arn))?;
        self.projects
            .get(project)
            .and_then(|project| project.models.get(&version))
            .filter(|model| model.arn == arn)
            .ok_or_else(|| arn_not_found(arn))
    }

    /// [`State::model_by_arn`], for changing its tags.
    pub fn model_by_arn_mut(&mut self, arn: &str) -> Result<&mut Model, ApiError> {
        let (project, version) = split_model_arn(arn).ok_or_else(|| arn_not_found(arn))?;
        self.projects
            .get_mut(project)
            .and_then(|project| project.models.get_mut(&version))
            .filter(|model| model.arn == arn)
            .ok_or_else(|| arn_not_found(arn))
    }
}

/// The version number `version` names: itself, or for `latest` the highest version that
/// is not being deleted (a deleting model is on its way out, so `latest` moves past it).
fn resolve(models: &BTreeMap<u32, Model>, version: &str) -> Option<u32> {
    if version == "latest" {
        models
            .values()
            .rev()
            .find(|model| model.phase.status != ModelStatus::Deleting)
            .map(|model| model.version)
    } else {
        version.parse().ok()
    }
}

/// ValidationException unless every dataset training reads is complete.
fn ensure_trainable(project: &Project) -> Result<(), ApiError> {
    let name = &project.name;
    let ready = |kind| {
        project.datasets.get(&kind).map(|dataset| {
            matches!(
                dataset.phase.status,
                DatasetStatus::CreateComplete | DatasetStatus::UpdateComplete
            )
        })
    };
    match (ready(DatasetType::Train), ready(DatasetType::Test)) {
        (None, _) => Err(ApiError::validation(format!(
            "Project {name} has no train dataset; create one before training a model"
        ))),
        (Some(false), _) | (_, Some(false)) => Err(ApiError::validation(format!(
            "The datasets of project {name} must be CREATE_COMPLETE or UPDATE_COMPLETE before training a model"
        ))),
        _ => Ok(()),
    }
}

/// `(project, version)` from `arn:aws:lookoutvision:{region}:{account}:model/{project}/{version}`.
fn split_model_arn(arn: &str) -> Option<(&str, u32)> {
    let (_, path) = arn.split_once(":model/")?;
    let (project, version) = path.rsplit_once('/')?;
    Some((project, version.parse().ok()?))
}

/// ConflictException: `model` is in a status that does not allow the call.
pub(super) fn busy(project: &str, model: &Model, advice: &str) -> ApiError {
    ApiError::conflict(
        Resource::model(model.version),
        format!(
            "Model version {} of project {project} is {}; {advice}",
            model.version,
            model.phase.status.wire_name()
        ),
    )
}

fn model_not_found(project: &str, version: &str) -> ApiError {
    ApiError::not_found(
        Resource::model(version),
        format!("Model version {version} of project {project} does not exist"),
    )
}

fn arn_not_found(arn: &str) -> ApiError {
    ApiError::not_found(
        Resource::model(arn),
        format!("Resource {arn} does not exist"),
    )
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::tests::state_with;
    use super::super::{ArmedFailure, ManifestImport};
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::error::ResourceType;

    pub(in crate::state) const TAKES: Duration = Duration::from_secs(30);
    const UNITS: InferenceUnits = InferenceUnits { min: 1, max: None };

    /// A state whose project p1 has a complete train dataset.
    pub(in crate::state) fn trainable() -> (State, ManualClock) {
        let (mut state, clock) = state_with("p1");
        state
            .create_dataset("p1", DatasetType::Train, None, clock.now(), TAKES)
            .unwrap();
        (state, clock)
    }

    /// The least a CreateModel asks for: an output bucket, and nothing else.
    pub(in crate::state) fn plain_model() -> NewModel {
        NewModel {
            training: Training::Synthetic,
            description: None,
            output: S3Location {
                bucket: "out".into(),
                prefix: None,
            },
            kms_key_id: None,
            tags: BTreeMap::new(),
        }
    }

    /// Starts training the next model of p1; returns its version.
    pub(in crate::state) fn train(state: &mut State, clock: &ManualClock) -> u32 {
        let new = NewModel {
            training: Training::Synthetic,
            description: Some("first".into()),
            output: S3Location {
                bucket: "out".into(),
                prefix: Some("models".into()),
            },
            kms_key_id: None,
            tags: BTreeMap::from([("team".to_owned(), "vision".to_owned())]),
        };
        state
            .create_model(
                "p1",
                new,
                |v| format!("arn:aws:lookoutvision:r:a:model/p1/{v}"),
                clock.now(),
                TAKES,
            )
            .unwrap()
            .version
    }

    /// Moves the clock past one transition and applies it.
    pub(in crate::state) fn settle(state: &mut State, clock: &ManualClock) {
        clock.advance(TAKES);
        state.advance(clock.now());
    }

    fn status(state: &State, version: &str) -> ModelStatus {
        state.model("p1", version).unwrap().phase.status
    }

    fn conflict_type(err: ApiError) -> ResourceType {
        match err {
            ApiError::Conflict { resource, .. } => resource.kind,
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[test]
    fn training_needs_complete_datasets() {
        let (mut state, clock) = state_with("p1");
        let err = state
            .create_model("p1", plain_model(), |v| v.to_string(), clock.now(), TAKES)
            .unwrap_err();
        assert!(err.message().contains("has no train dataset"), "{err:?}");

        let manifest = S3Object {
            bucket: "b".into(),
            key: "m".into(),
        };
        state
            .create_dataset("p1", DatasetType::Train, None, clock.now(), TAKES)
            .unwrap();
        state
            .create_dataset(
                "p1",
                DatasetType::Test,
                Some(ManifestImport::Synthetic(manifest)),
                clock.now(),
                TAKES,
            )
            .unwrap();
        let err = state
            .create_model("p1", plain_model(), |v| v.to_string(), clock.now(), TAKES)
            .unwrap_err();
        assert_eq!(err.code(), "ValidationException");
        assert!(err.message().contains("CREATE_COMPLETE"), "{err:?}");
        settle(&mut state, &clock);
        assert_eq!(
            state
                .create_model("p1", plain_model(), |v| v.to_string(), clock.now(), TAKES)
                .unwrap()
                .version,
            1
        );
    }

    #[test]
    fn training_ends_trained_with_an_evaluation_at_the_training_time() {
        let (mut state, clock) = trainable();
        let started = clock.now();
        assert_eq!(train(&mut state, &clock), 1);
        let model = state.model("p1", "1").unwrap();
        assert_eq!(model.phase.status, ModelStatus::Training);
        assert_eq!(model.evaluation(), None);

        settle(&mut state, &clock);
        let model = state.model("p1", "1").unwrap();
        assert_eq!(model.phase.status, ModelStatus::Trained);
        let evaluation = model.evaluation().unwrap();
        assert_eq!(evaluation.performance, synthetic::performance("p1", 1));
        assert_eq!(evaluation.ended, started + TAKES);
        assert_eq!(
            (
                evaluation.manifest.bucket.as_str(),
                evaluation.manifest.key.as_str()
            ),
            ("out", "models/EvaluationManifest-p1-1.json")
        );
        assert_eq!(evaluation.result.key, "models/EvaluationResult-p1-1.json");
    }

    #[test]
    fn an_armed_training_failure_ends_in_training_failed_with_its_message() {
        let (mut state, clock) = trainable();
        state.arm_failure(ArmedFailure {
            kind: FailureKind::Training,
            project: Some("p1".into()),
            message: "too few anomalies".into(),
        });
        train(&mut state, &clock);
        assert!(state.armed_failures.is_empty());
        settle(&mut state, &clock);
        let model = state.model("p1", "1").unwrap();
        assert_eq!(model.phase.status, ModelStatus::TrainingFailed);
        assert_eq!(model.phase.status_message, "too few anomalies");
        assert_eq!(model.evaluation(), None);
        // The failure was used up: the next training succeeds.
        train(&mut state, &clock);
        settle(&mut state, &clock);
        assert_eq!(status(&state, "2"), ModelStatus::Trained);
    }

    #[test]
    fn versions_are_never_reused_and_latest_skips_deleting_models() {
        let (mut state, clock) = trainable();
        assert_eq!(train(&mut state, &clock), 1);
        assert_eq!(train(&mut state, &clock), 2);
        assert_eq!(state.model("p1", "latest").unwrap().version, 2);
        settle(&mut state, &clock);
        state.delete_model("p1", "2", clock.now(), TAKES).unwrap();
        assert_eq!(status(&state, "2"), ModelStatus::Deleting);
        assert_eq!(state.model("p1", "latest").unwrap().version, 1);
        settle(&mut state, &clock);
        assert_eq!(
            state.model("p1", "2").unwrap_err().code(),
            "ResourceNotFoundException"
        );
        assert_eq!(train(&mut state, &clock), 3);
        state.delete_model("p1", "1", clock.now(), TAKES).unwrap();
        settle(&mut state, &clock);
        state.delete_model("p1", "3", clock.now(), TAKES).unwrap();
        let err = state.model("p1", "latest").unwrap_err();
        assert!(
            matches!(&err, ApiError::ResourceNotFound { resource, .. } if resource.id == "latest"),
            "{err:?}"
        );
        settle(&mut state, &clock);
        assert_eq!(train(&mut state, &clock), 4);
    }

    #[test]
    fn hosting_starts_and_stops_through_its_transitions() {
        let (mut state, clock) = trainable();
        train(&mut state, &clock);
        settle(&mut state, &clock);
        let units = InferenceUnits {
            min: 1,
            max: Some(3),
        };
        let started = state
            .start_model("p1", "latest", units, clock.now(), TAKES, |_| Ok(()))
            .unwrap();
        assert_eq!(started, ModelStatus::StartingHosting);
        assert_eq!(state.model("p1", "1").unwrap().inference_units, Some(units));
        assert_eq!(
            conflict_type(state.hosted_model("p1", "1").unwrap_err()),
            ResourceType::Model
        );
        settle(&mut state, &clock);
        assert_eq!(state.hosted_model("p1", "1").unwrap().version, 1);

        let err = state
            .start_model("p1", "1", UNITS, clock.now(), TAKES, |_| Ok(()))
            .unwrap_err();
        assert!(err.message().contains("is HOSTED"), "{err:?}");
        assert_eq!(
            state.stop_model("p1", "1", clock.now(), TAKES).unwrap(),
            ModelStatus::StoppingHosting
        );
        assert_eq!(
            conflict_type(state.stop_model("p1", "1", clock.now(), TAKES).unwrap_err()),
            ResourceType::Model
        );
        settle(&mut state, &clock);
        let model = state.model("p1", "1").unwrap();
        assert_eq!(model.phase.status, ModelStatus::Trained);
        assert_eq!(model.inference_units, Some(units));
        assert!(model.evaluation().is_some());
    }

    #[test]
    fn an_armed_hosting_failure_ends_in_hosting_failed_and_the_model_can_start_again() {
        let (mut state, clock) = trainable();
        train(&mut state, &clock);
        settle(&mut state, &clock);
        state.arm_failure(ArmedFailure {
            kind: FailureKind::Hosting,
            project: None,
            message: "no capacity".into(),
        });
        state
            .start_model("p1", "1", UNITS, clock.now(), TAKES, |_| Ok(()))
            .unwrap();
        settle(&mut state, &clock);
        let model = state.model("p1", "1").unwrap();
        assert_eq!(
            (model.phase.status, model.phase.status_message.as_str()),
            (ModelStatus::HostingFailed, "no capacity")
        );
        assert_eq!(
            conflict_type(state.stop_model("p1", "1", clock.now(), TAKES).unwrap_err()),
            ResourceType::Model
        );
        state
            .start_model("p1", "1", UNITS, clock.now(), TAKES, |_| Ok(()))
            .unwrap();
        settle(&mut state, &clock);
        assert_eq!(status(&state, "1"), ModelStatus::Hosted);
    }

    #[test]
    fn busy_or_running_models_cannot_be_deleted_and_a_repeat_delete_changes_nothing() {
        let (mut state, clock) = trainable();
        train(&mut state, &clock);
        let err = state
            .delete_model("p1", "1", clock.now(), TAKES)
            .unwrap_err();
        assert!(err.message().contains("is TRAINING"), "{err:?}");
        settle(&mut state, &clock);
        state
            .start_model("p1", "1", UNITS, clock.now(), TAKES, |_| Ok(()))
            .unwrap();
        for expected in ["STARTING_HOSTING", "HOSTED"] {
            let err = state
                .delete_model("p1", "1", clock.now(), TAKES)
                .unwrap_err();
            assert!(err.message().contains(expected), "{err:?}");
            assert_eq!(conflict_type(err), ResourceType::Model);
            settle(&mut state, &clock);
        }
        state.stop_model("p1", "1", clock.now(), TAKES).unwrap();
        assert!(state
            .delete_model("p1", "1", clock.now(), TAKES)
            .unwrap_err()
            .message()
            .contains("STOPPING_HOSTING"));
        settle(&mut state, &clock);

        let deleted = state.delete_model("p1", "1", clock.now(), TAKES).unwrap();
        assert_eq!(deleted.arn, "arn:aws:lookoutvision:r:a:model/p1/1");
        clock.advance(TAKES / 2);
        state.delete_model("p1", "1", clock.now(), TAKES).unwrap();
        assert_eq!(
            state.delete_project("p1").unwrap_err().code(),
            "ConflictException"
        );
        clock.advance(TAKES / 2);
        state.advance(clock.now());
        assert!(state.project("p1").unwrap().models.is_empty());
    }

    #[test]
    fn tags_are_found_by_arn_and_limited_to_200() {
        let (mut state, clock) = trainable();
        train(&mut state, &clock);
        let arn = "arn:aws:lookoutvision:r:a:model/p1/1";
        assert_eq!(state.model_by_arn(arn).unwrap().tags["team"], "vision");
        for unknown in [
            "arn:aws:lookoutvision:r:a:model/p1/2",
            "arn:aws:lookoutvision:x:a:model/p1/1",
            "arn:aws:lookoutvision:r:a:project/p1",
            "nonsense",
        ] {
            let err = state.model_by_arn(unknown).unwrap_err();
            assert!(
                matches!(&err, ApiError::ResourceNotFound { resource, .. } if resource.id == unknown),
                "{err:?}"
            );
        }

        let model = state.model_by_arn_mut(arn).unwrap();
        let many: BTreeMap<_, _> = (0..199).map(|i| (format!("k{i}"), String::new())).collect();
        model.tag(many).unwrap();
        assert_eq!(model.tags.len(), 200);
        // Replacing a value does not count as another tag; a new key would.
        model
            .tag(BTreeMap::from([("team".into(), "ml".into())]))
            .unwrap();
        let err = model
            .tag(BTreeMap::from([("one-more".into(), String::new())]))
            .unwrap_err();
        assert_eq!(err.code(), "ValidationException");
        model.untag(&["team".into(), "absent".into()]);
        assert_eq!(model.tags.len(), 199);
    }

    #[test]
    fn the_state_dump_shows_models_with_status_and_tags() {
        let (mut state, clock) = trainable();
        train(&mut state, &clock);
        let dump = serde_json::to_value(&state).unwrap();
        let model = &dump["projects"][0]["models"][0];
        assert_eq!(model["version"], 1);
        assert_eq!(model["status"], "TRAINING");
        assert_eq!(model["tags"], serde_json::json!({"team": "vision"}));
        assert_eq!(dump["projects"][0]["next_model_version"], 2);
    }
}
