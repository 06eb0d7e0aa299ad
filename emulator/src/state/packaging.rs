//! Model packaging jobs: a trained model compiled into an AWS IoT Greengrass component.
//!
//! A job is a record of its project, not a resource to clean up: the API has no way to
//! delete one, so jobs never block a deletion and disappear with their project.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::lifecycle::{Outcome, Phase, Status};
use super::{find_mut, FailureKind, ModelStatus, S3Location, State, Subject};
use crate::clock::Timestamp;
use crate::error::{ApiError, Resource, ResourceType};
use crate::synthetic;

/// The longest `JobName` (the model's `ModelPackagingJobName`).
const MAX_JOB_NAME: usize = 64;

/// A model packaging job of a project.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PackagingJob {
    /// `JobName`, unique within the project.
    pub name: String,
    /// `ModelVersion`: the number of the packaged model, also when `latest` was asked for.
    pub model_version: u32,
    /// `ModelPackagingJobDescription`.
    pub description: Option<String>,
    /// `CreationTimestamp`.
    pub created: Timestamp,
    /// `Status` and `StatusMessage`; `since` is the `LastUpdatedTimestamp`.
    #[serde(flatten)]
    pub phase: Phase<PackagingStatus>,
    /// `ModelPackagingConfiguration.Greengrass`, as it was sent.
    pub configuration: GreengrassConfiguration,
    /// The component a successful job creates, fixed when the job starts (`None` when it is
    /// going to fail); [`PackagingJob::output`] shows it once the job has succeeded.
    component: Option<GreengrassOutput>,
}

/// `ModelPackagingJobStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PackagingStatus {
    /// `CREATED`: accepted, not yet running.
    Created,
    /// `RUNNING`: compiling and packaging the model.
    Running,
    /// `SUCCEEDED`: the component exists.
    Succeeded,
    /// `FAILED`.
    Failed,
}

impl Status for PackagingStatus {
    fn message(self) -> &'static str {
        match self {
            Self::Created => "The model packaging job was created",
            Self::Running => "Packaging the model",
            Self::Succeeded => "The model packaging job succeeded",
            Self::Failed => "The model packaging job failed",
        }
    }
}

/// `GreengrassConfiguration`, once validated. Exactly one of `target_device` and
/// `target_platform` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct GreengrassConfiguration {
    /// `CompilerOptions`.
    pub compiler_options: Option<String>,
    /// `TargetDevice` (`jetson_xavier`).
    pub target_device: Option<String>,
    /// `TargetPlatform`.
    pub target_platform: Option<TargetPlatform>,
    /// `S3OutputLocation`.
    pub s3_output_location: S3Location,
    /// `ComponentName`.
    pub component_name: String,
    /// `ComponentVersion`; without it the component gets `{model version}.0.0`.
    pub component_version: Option<String>,
    /// `ComponentDescription`.
    pub component_description: Option<String>,
    /// `Tags` of the component.
    pub tags: BTreeMap<String, String>,
}

/// `TargetPlatform`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TargetPlatform {
    /// `Os` (`LINUX`).
    pub os: String,
    /// `Arch` (`ARM64` or `X86_64`).
    pub arch: String,
    /// `Accelerator` (`NVIDIA`).
    pub accelerator: Option<String>,
}

/// `GreengrassOutputDetails`: the component a job created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct GreengrassOutput {
    /// `ComponentVersionArn`.
    pub component_version_arn: String,
    /// `ComponentName`.
    pub component_name: String,
    /// `ComponentVersion`.
    pub component_version: String,
}

/// The input of StartModelPackagingJob, once validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPackagingJob {
    /// `JobName`; generated when absent.
    pub name: Option<String>,
    /// `ModelVersion` as given: digits or `latest`.
    pub model_version: String,
    /// `Description`.
    pub description: Option<String>,
    /// `Configuration.Greengrass`.
    pub configuration: GreengrassConfiguration,
}

impl PackagingJob {
    /// The component, once the job has succeeded.
    pub fn output(&self) -> Option<&GreengrassOutput> {
        self.component
            .as_ref()
            .filter(|_| self.phase.status == PackagingStatus::Succeeded)
    }
}

impl State {
    /// The packaging job `name` of `project`, or ResourceNotFoundException.
    pub fn packaging_job(&self, project: &str, name: &str) -> Result<&PackagingJob, ApiError> {
        self.project(project)?
            .packaging_jobs
            .get(name)
            .ok_or_else(|| {
                ApiError::not_found(
                    job_resource(name),
                    format!("Model packaging job {name} of project {project} does not exist"),
                )
            })
    }

    /// Starts packaging a `TRAINED` or `HOSTED` model of `project` into the Greengrass
    /// component that `component_arn(name, version)` names. The job is `CREATED` for the
    /// first half of `takes` and `RUNNING` for the second, then `SUCCEEDED`; or `FAILED` if
    /// that component version already exists (made by another job of the account) or a
    /// packaging failure was armed.
    ///
    /// ResourceNotFoundException without the project or the model; ConflictException when
    /// the job name is taken in the project or the model is in another status.
    pub fn start_packaging_job(
        &mut self,
        project: &str,
        new: NewPackagingJob,
        component_arn: impl FnOnce(&str, &str) -> String,
        now: Timestamp,
        takes: Duration,
    ) -> Result<&PackagingJob, ApiError> {
        let jobs = &self.project(project)?.packaging_jobs;
        if let Some(name) = new.name.as_deref().filter(|name| jobs.contains_key(*name)) {
            return Err(ApiError::conflict(
                job_resource(name),
                format!("Model packaging job {name} already exists in project {project}"),
            ));
        }
        let model = self.model(project, &new.model_version)?;
        if !matches!(
            model.phase.status,
            ModelStatus::Trained | ModelStatus::Hosted
        ) {
            // Packaging reads the trained model's artifacts, which exist only once training
            // succeeded; the service names no error for this, Conflict fits (inferred).
            return Err(super::models::busy(
                project,
                model,
                "only a TRAINED or HOSTED model can be packaged",
            ));
        }
        let version = model.version;

        let config = &new.configuration;
        let component_version = config
            .component_version
            .clone()
            .unwrap_or_else(|| format!("{version}.0.0"));
        let component = GreengrassOutput {
            component_version_arn: component_arn(&config.component_name, &component_version),
            component_name: config.component_name.clone(),
            component_version,
        };
        // Greengrass refuses a component version that exists already: the job fails, as the
        // component is only created while it runs. An armed failure is kept for a job that
        // would otherwise succeed.
        let exists = self.projects.values().any(|project| {
            project.packaging_jobs.values().any(|job| {
                job.component.as_ref().map(|c| &c.component_version_arn)
                    == Some(&component.component_version_arn)
            })
        });
        let failure = if exists {
            Some(format!(
                "Component {} version {} already exists",
                component.component_name, component.component_version
            ))
        } else {
            self.take_failure(FailureKind::Packaging, project)
        };

        let jobs = &mut find_mut(&mut self.projects, project)?.packaging_jobs;
        let name = new
            .name
            .unwrap_or_else(|| generated_name(project, version, |name| jobs.contains_key(name)));
        tracing::info!(
            project,
            job = name,
            version,
            fails = failure.is_some(),
            "model packaging started"
        );
        let (then, component) = match failure {
            Some(message) => (Outcome::fail(PackagingStatus::Failed, message), None),
            None => (Outcome::settle(PackagingStatus::Succeeded), Some(component)),
        };
        let job = PackagingJob {
            name: name.clone(),
            model_version: version,
            description: new.description,
            created: now,
            phase: Phase::changing(
                PackagingStatus::Created,
                now,
                takes / 2,
                Outcome::step(PackagingStatus::Running, now + takes, then),
            ),
            configuration: new.configuration,
            component,
        };
        self.agenda.schedule(
            project,
            Subject::PackagingJob(name.clone()),
            job.phase.due(),
        );
        Ok(jobs.entry(name).or_insert(job))
    }
}

/// A job name for version `version` of `project` that `taken` does not reject:
/// `{project}-{version}-{8 hex digits}`, with the project's `_` turned into `-` and the
/// project cut short so the name fits 64 characters. The digits are derived from the
/// project, version and attempt, so names are reproducible.
fn generated_name(project: &str, version: u32, taken: impl Fn(&str) -> bool) -> String {
    let tail = |attempt| {
        format!(
            "-{version}-{}",
            synthetic::job_suffix(project, version, attempt)
        )
    };
    let stem: String = project
        .chars()
        .map(|c| if c == '_' { '-' } else { c })
        .take(MAX_JOB_NAME - tail(0).len())
        .collect();
    (0..)
        .map(|attempt| format!("{stem}{}", tail(attempt)))
        .find(|name| !taken(name))
        .expect("some attempt gives a free name")
}

fn job_resource(name: &str) -> Resource {
    Resource {
        id: name.to_owned(),
        kind: ResourceType::ModelPackageJob,
    }
}

#[cfg(test)]
mod tests {
    use super::super::models::tests::{settle, train, trainable, TAKES};
    use super::super::ArmedFailure;
    use super::*;
    use crate::clock::{Clock, ManualClock};

    fn job(name: Option<&str>, component_version: Option<&str>) -> NewPackagingJob {
        NewPackagingJob {
            name: name.map(str::to_owned),
            model_version: "latest".to_owned(),
            description: None,
            configuration: GreengrassConfiguration {
                target_device: Some("jetson_xavier".into()),
                s3_output_location: S3Location {
                    bucket: "out".into(),
                    prefix: None,
                },
                component_name: "component".into(),
                component_version: component_version.map(str::to_owned),
                ..GreengrassConfiguration::default()
            },
        }
    }

    fn arn(name: &str, version: &str) -> String {
        format!("arn:gg:{name}:{version}")
    }

    fn start(
        state: &mut State,
        clock: &ManualClock,
        new: NewPackagingJob,
    ) -> Result<String, ApiError> {
        state
            .start_packaging_job("p1", new, arn, clock.now(), TAKES)
            .map(|job| job.name.clone())
    }

    /// A state whose project p1 has a trained model 1.
    fn trained() -> (State, ManualClock) {
        let (mut state, clock) = trainable();
        train(&mut state, &clock);
        settle(&mut state, &clock);
        (state, clock)
    }

    fn status(state: &State, name: &str) -> (PackagingStatus, String) {
        let job = state.packaging_job("p1", name).unwrap();
        (job.phase.status, job.phase.status_message.clone())
    }

    #[test]
    fn a_job_is_created_then_running_then_succeeded_with_its_component() {
        let (mut state, clock) = trained();
        let started = clock.now();
        let name = start(&mut state, &clock, job(Some("job-1"), None)).unwrap();
        let job = state.packaging_job("p1", &name).unwrap();
        assert_eq!((job.model_version, job.created), (1, started));
        assert_eq!(job.phase.status, PackagingStatus::Created);
        assert_eq!(job.output(), None);

        clock.advance(TAKES / 2);
        state.advance(clock.now());
        let job = state.packaging_job("p1", &name).unwrap();
        assert_eq!(job.phase.status, PackagingStatus::Running);
        assert_eq!(job.phase.since, started + TAKES / 2);
        assert_eq!(job.output(), None);

        clock.advance(TAKES / 2);
        state.advance(clock.now());
        let job = state.packaging_job("p1", &name).unwrap();
        assert_eq!(job.phase.status, PackagingStatus::Succeeded);
        assert_eq!(job.phase.since, started + TAKES);
        // Without a ComponentVersion the component gets `{model version}.0.0`.
        assert_eq!(
            job.output(),
            Some(&GreengrassOutput {
                component_version_arn: "arn:gg:component:1.0.0".into(),
                component_name: "component".into(),
                component_version: "1.0.0".into(),
            })
        );
        assert_eq!(job.configuration.component_version, None);
    }

    #[test]
    fn only_trained_or_hosted_models_of_existing_projects_can_be_packaged() {
        let (mut state, clock) = trainable();
        let err = start(&mut state, &clock, job(None, None)).unwrap_err();
        assert!(
            matches!(&err, ApiError::ResourceNotFound { resource, .. } if resource.kind == ResourceType::Model),
            "{err:?}"
        );
        train(&mut state, &clock);
        let err = start(&mut state, &clock, job(None, None)).unwrap_err();
        assert!(
            matches!(&err, ApiError::Conflict { resource, .. } if resource.kind == ResourceType::Model),
            "{err:?}"
        );
        assert!(err.message().contains("is TRAINING"), "{err:?}");
        let err = state
            .start_packaging_job("nope", job(None, None), arn, clock.now(), TAKES)
            .unwrap_err();
        assert!(
            matches!(&err, ApiError::ResourceNotFound { resource, .. } if resource.kind == ResourceType::Project),
            "{err:?}"
        );

        settle(&mut state, &clock);
        let units = super::super::InferenceUnits { min: 1, max: None };
        state
            .start_model("p1", "1", units, clock.now(), TAKES, |_| Ok(()))
            .unwrap();
        assert_eq!(
            start(&mut state, &clock, job(None, None))
                .unwrap_err()
                .code(),
            "ConflictException"
        );
        settle(&mut state, &clock);
        assert!(start(&mut state, &clock, job(None, None)).is_ok());
    }

    #[test]
    fn job_names_are_unique_per_project_and_generated_when_absent() {
        let (mut state, clock) = trained();
        start(&mut state, &clock, job(Some("job-1"), Some("1.0.0"))).unwrap();
        let err = start(&mut state, &clock, job(Some("job-1"), Some("2.0.0"))).unwrap_err();
        assert_eq!(
            err,
            ApiError::conflict(
                job_resource("job-1"),
                "Model packaging job job-1 already exists in project p1"
            )
        );
        let first = start(&mut state, &clock, job(None, Some("3.0.0"))).unwrap();
        let second = start(&mut state, &clock, job(None, Some("4.0.0"))).unwrap();
        assert_ne!(first, second);
        for name in [&first, &second] {
            assert!(name.starts_with("p1-1-"), "{name}");
            assert_eq!(name.len(), "p1-1-".len() + 8, "{name}");
        }
        let err = state.packaging_job("p1", "job-2").unwrap_err();
        assert!(
            matches!(&err, ApiError::ResourceNotFound { resource, .. } if resource.id == "job-2" && resource.kind == ResourceType::ModelPackageJob),
            "{err:?}"
        );
    }

    #[test]
    fn generated_names_fit_the_name_constraint_for_any_project_name() {
        let project = format!("a_{}", "b".repeat(250));
        let name = generated_name(&project, 1_234_567_890, |_| false);
        assert_eq!(name.len(), MAX_JOB_NAME);
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{name}"
        );
        assert!(name.starts_with("a-bbb"), "{name}");
        let taken = generated_name("p", 1, |_| false);
        assert_ne!(generated_name("p", 1, |name| name == taken), taken);
    }

    #[test]
    fn a_component_version_that_exists_or_an_armed_failure_makes_the_job_fail() {
        let (mut state, clock) = trained();
        let done = start(&mut state, &clock, job(Some("done"), None)).unwrap();
        state.arm_failure(ArmedFailure {
            kind: FailureKind::Packaging,
            project: Some("p1".into()),
            message: "compiler crashed".into(),
        });
        // The same component version again fails, and leaves the armed failure alone.
        let again = start(&mut state, &clock, job(Some("again"), None)).unwrap();
        assert_eq!(state.armed_failures.len(), 1);
        let armed = start(&mut state, &clock, job(Some("armed"), Some("2.0.0"))).unwrap();
        assert!(state.armed_failures.is_empty());
        settle(&mut state, &clock);
        assert_eq!(status(&state, &done).0, PackagingStatus::Succeeded);
        assert_eq!(
            status(&state, &again),
            (
                PackagingStatus::Failed,
                "Component component version 1.0.0 already exists".to_owned()
            )
        );
        assert_eq!(
            status(&state, &armed),
            (PackagingStatus::Failed, "compiler crashed".to_owned())
        );
        assert_eq!(state.packaging_job("p1", &armed).unwrap().output(), None);
    }

    #[test]
    fn jobs_do_not_block_deletions_and_go_with_their_project() {
        let (mut state, clock) = trained();
        start(&mut state, &clock, job(Some("job-1"), None)).unwrap();
        state.delete_model("p1", "1", clock.now(), TAKES).unwrap();
        settle(&mut state, &clock);
        assert_eq!(status(&state, "job-1").0, PackagingStatus::Succeeded);
        state
            .delete_dataset("p1", super::super::DatasetType::Train, clock.now(), TAKES)
            .unwrap();
        settle(&mut state, &clock);
        state.delete_project("p1").unwrap();
        assert_eq!(
            state.packaging_job("p1", "job-1").unwrap_err().code(),
            "ResourceNotFoundException"
        );
    }
}
