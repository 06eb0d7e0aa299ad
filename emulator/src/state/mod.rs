//! The emulated account's resources and the rules for changing them.
//!
//! Projects own their datasets (at most one `train` and one `test`), their model versions
//! and their model packaging jobs, so deleting or listing under a project never needs a
//! second lookup. The
//! whole state sits behind the emulator's single lock; methods here never block.
//!
//! Datasets and models change status over time through one mechanism, [`Phase`]; the
//! emulator calls [`State::advance`] before every request so that what a caller sees always
//! matches the clock. Every change under way is also on the state's agenda, in the order it
//! completes, so advancing visits only what is due: a request costs O(log n) in the number
//! of resources, not O(n). Dataset rules live in `datasets.rs`, model rules in `models.rs`,
//! packaging job rules in `packaging.rs`.

mod datasets;
mod lifecycle;
mod models;
mod packaging;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Serialize, Serializer};

use super::clock::Timestamp;
use super::error::{ApiError, Resource};

pub use self::datasets::{
    Dataset, DatasetEntry, DatasetStatus, EntryFilter, ImageStats, Label, ManifestImport, NewEntry,
};
pub use self::lifecycle::{Advance, Outcome, Pending, Phase, Status};
pub use self::models::{
    Evaluation, InferenceUnits, Model, ModelStatus, NewModel, S3Location, S3Object, Training,
    MAX_TAGS,
};
pub use self::packaging::{
    GreengrassConfiguration, GreengrassOutput, NewPackagingJob, PackagingJob, PackagingStatus,
    TargetPlatform,
};

/// Everything the emulated account holds, by project name.
#[derive(Debug, Clone, Default, Serialize)]
pub struct State {
    /// Projects in name order (the order ListProjects returns them in).
    #[serde(serialize_with = "values")]
    pub projects: BTreeMap<String, Project>,
    /// Failures armed through the admin API, oldest first; each is used up by one training,
    /// hosting or packaging job.
    pub armed_failures: Vec<ArmedFailure>,
    /// The changes under way, by when they complete. Derived from the phases, so neither
    /// dumped nor saved.
    #[serde(skip)]
    agenda: Agenda,
}

/// What a change under way belongs to, within its project.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Subject {
    Dataset(DatasetType),
    Model(u32),
    PackagingJob(String),
}

/// Every change under way, ordered by the time it completes. An entry may outlive its change
/// (the resource was deleted, or changed again with a later time); [`State::advance`] then
/// finds nothing due and drops it.
#[derive(Debug, Clone, Default)]
struct Agenda(BTreeSet<(Timestamp, String, Subject)>);

impl Agenda {
    /// Puts a change completing at `due`, if there is one, on the agenda.
    fn schedule(&mut self, project: &str, subject: Subject, due: Option<Timestamp>) {
        if let Some(at) = due {
            self.0.insert((at, project.to_owned(), subject));
        }
    }
}

/// A resource that changes status through a [`Phase`].
trait Changing {
    type Status: Status;
    fn phase_mut(&mut self) -> &mut Phase<Self::Status>;
}

impl Changing for Dataset {
    type Status = DatasetStatus;
    fn phase_mut(&mut self) -> &mut Phase<DatasetStatus> {
        &mut self.phase
    }
}

impl Changing for Model {
    type Status = ModelStatus;
    fn phase_mut(&mut self) -> &mut Phase<ModelStatus> {
        &mut self.phase
    }
}

impl Changing for PackagingJob {
    type Status = PackagingStatus;
    fn phase_mut(&mut self) -> &mut Phase<PackagingStatus> {
        &mut self.phase
    }
}

/// A Lookout for Vision project.
#[derive(Debug, Clone, Serialize)]
pub struct Project {
    /// `ProjectName`.
    pub name: String,
    /// `ProjectArn`.
    pub arn: String,
    /// `CreationTimestamp`.
    pub created: Timestamp,
    /// The project's datasets.
    #[serde(serialize_with = "values")]
    pub datasets: BTreeMap<DatasetType, Dataset>,
    /// The project's model versions, by version number.
    #[serde(serialize_with = "values")]
    pub models: BTreeMap<u32, Model>,
    /// The project's model packaging jobs, by name (the order ListModelPackagingJobs
    /// returns them in).
    #[serde(serialize_with = "values")]
    pub packaging_jobs: BTreeMap<String, PackagingJob>,
    /// The version the next CreateModel gets; it only grows, so a deleted version's
    /// number is never handed out again.
    pub next_model_version: u32,
}

/// `DatasetType`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum DatasetType {
    /// The training dataset (the only one of a single-dataset project).
    Train,
    /// The test dataset.
    Test,
}

impl DatasetType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Test => "test",
        }
    }

    /// The type named by a wire value; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Train, Self::Test]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

impl fmt::Display for DatasetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which asynchronous change an armed failure breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    /// The next training ends in `TRAINING_FAILED`.
    Training,
    /// The next hosting ends in `HOSTING_FAILED`.
    Hosting,
    /// The next model packaging job ends in `FAILED`.
    Packaging,
}

/// A failure armed through the admin API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ArmedFailure {
    /// What it breaks.
    pub kind: FailureKind,
    /// Only a change in this project uses it up; `None` means any project.
    pub project: Option<String>,
    /// The `StatusMessage` the failed model shows.
    pub message: String,
}

impl State {
    /// A state holding `projects` and `armed_failures` (as restored from a file), with every
    /// change under way on the agenda.
    pub fn restore(projects: BTreeMap<String, Project>, armed_failures: Vec<ArmedFailure>) -> Self {
        let mut agenda = Agenda::default();
        for (name, project) in &projects {
            for (kind, dataset) in &project.datasets {
                agenda.schedule(name, Subject::Dataset(*kind), dataset.phase.due());
            }
            for (version, model) in &project.models {
                agenda.schedule(name, Subject::Model(*version), model.phase.due());
            }
            for (job, packaging) in &project.packaging_jobs {
                agenda.schedule(
                    name,
                    Subject::PackagingJob(job.clone()),
                    packaging.phase.due(),
                );
            }
        }
        Self {
            projects,
            armed_failures,
            agenda,
        }
    }

    /// The project called `name`, or ResourceNotFoundException.
    pub fn project(&self, name: &str) -> Result<&Project, ApiError> {
        self.projects
            .get(name)
            .ok_or_else(|| project_not_found(name))
    }

    /// The project called `name` for changing, or ResourceNotFoundException.
    pub fn project_mut(&mut self, name: &str) -> Result<&mut Project, ApiError> {
        find_mut(&mut self.projects, name)
    }

    /// Creates an empty project, or ConflictException if the name is taken.
    pub fn create_project(
        &mut self,
        name: &str,
        arn: String,
        now: Timestamp,
    ) -> Result<&Project, ApiError> {
        if self.projects.contains_key(name) {
            return Err(ApiError::conflict(
                Resource::project(name),
                format!("Project {name} already exists"),
            ));
        }
        let project = Project {
            name: name.to_owned(),
            arn,
            created: now,
            datasets: BTreeMap::new(),
            models: BTreeMap::new(),
            packaging_jobs: BTreeMap::new(),
            next_model_version: 1,
        };
        Ok(self.projects.entry(name.to_owned()).or_insert(project))
    }

    /// Deletes a project that has no datasets and no models (whatever their status, so
    /// also while one is still being deleted); otherwise ConflictException. Its packaging
    /// jobs go with it: the API cannot delete them, so they cannot block the deletion.
    pub fn delete_project(&mut self, name: &str) -> Result<Project, ApiError> {
        let project = self.project(name)?;
        if !project.datasets.is_empty() || !project.models.is_empty() {
            // AWS documents that children must be deleted first but not which error it gives;
            // ConflictException is the only modeled error that fits (inferred).
            return Err(ApiError::conflict(
                Resource::project(name),
                format!(
                    "Project {name} still has {} dataset(s) and {} model(s); delete them before deleting the project",
                    project.datasets.len(),
                    project.models.len()
                ),
            ));
        }
        self.projects
            .remove(name)
            .ok_or_else(|| project_not_found(name))
    }

    /// Completes every dataset, model and packaging job transition due by `now`, dropping
    /// what finished deleting. Only what the agenda says is due is visited.
    pub fn advance(&mut self, now: Timestamp) {
        while self.agenda.0.first().is_some_and(|(at, ..)| *at <= now) {
            let Some((_, name, subject)) = self.agenda.0.pop_first() else {
                break;
            };
            let Some(project) = self.projects.get_mut(&name) else {
                continue;
            };
            let next = match &subject {
                Subject::Dataset(kind) => step(&mut project.datasets, kind, now, &name, "dataset"),
                Subject::Model(version) => step(&mut project.models, version, now, &name, "model"),
                Subject::PackagingJob(job) => step(
                    &mut project.packaging_jobs,
                    job,
                    now,
                    &name,
                    "packaging job",
                ),
            };
            if let Some(at) = next {
                self.agenda.0.insert((at, name, subject));
            }
        }
    }

    /// How many models are changing towards, or through, `status` (such as `TRAINING`): read
    /// from the agenda, so it costs what is under way, not what exists.
    pub fn models_changing_to(&self, status: ModelStatus) -> usize {
        self.under_way(|project, subject| match subject {
            Subject::Model(version) => project
                .models
                .get(version)
                .is_some_and(|model| model.phase.status == status),
            _ => false,
        })
    }

    /// How many model packaging jobs are created or running (not yet finished).
    pub fn packaging_jobs_in_progress(&self) -> usize {
        self.under_way(|project, subject| match subject {
            Subject::PackagingJob(name) => project
                .packaging_jobs
                .get(name)
                .is_some_and(|job| job.phase.is_changing()),
            _ => false,
        })
    }

    /// How many distinct resources on the agenda `counts` says yes to.
    fn under_way(&self, counts: impl Fn(&Project, &Subject) -> bool) -> usize {
        let distinct: BTreeSet<(&str, &Subject)> = self
            .agenda
            .0
            .iter()
            .filter(|(_, name, subject)| {
                self.projects
                    .get(name)
                    .is_some_and(|project| counts(project, subject))
            })
            .map(|(_, name, subject)| (name.as_str(), subject))
            .collect();
        distinct.len()
    }

    /// Arms a failure for the next training, hosting or packaging job (in `project`, if
    /// given).
    pub fn arm_failure(&mut self, failure: ArmedFailure) {
        self.armed_failures.push(failure);
    }

    /// Uses up the oldest armed failure of `kind` that applies to `project`, returning its
    /// message.
    fn take_failure(&mut self, kind: FailureKind, project: &str) -> Option<String> {
        let index = self.armed_failures.iter().position(|failure| {
            failure.kind == kind && failure.project.as_deref().is_none_or(|p| p == project)
        })?;
        Some(self.armed_failures.remove(index).message)
    }
}

/// The project called `name` in `projects`, for changing: a borrow of the projects alone, so
/// that the agenda can be written while it is held.
fn find_mut<'p>(
    projects: &'p mut BTreeMap<String, Project>,
    name: &str,
) -> Result<&'p mut Project, ApiError> {
    projects
        .get_mut(name)
        .ok_or_else(|| project_not_found(name))
}

/// Advances the resource `key` of `items` (if it still exists) to `now`, dropping it when its
/// deletion completed; returns when its next change is due, if it has one.
fn step<K: Ord + fmt::Display, R: Changing>(
    items: &mut BTreeMap<K, R>,
    key: &K,
    now: Timestamp,
    project: &str,
    resource: &str,
) -> Option<Timestamp> {
    let advance = items.get_mut(key)?.phase_mut().advance(now);
    if !keep(advance, project, resource, key) {
        items.remove(key);
        return None;
    }
    items.get_mut(key)?.phase_mut().due()
}

/// Logs what [`Phase::advance`] did to one resource and says whether to keep it.
fn keep<S: Status>(
    advance: Advance<S>,
    project: &str,
    resource: &str,
    id: impl fmt::Display,
) -> bool {
    match advance {
        Advance::Unchanged => true,
        Advance::Settled(status) => {
            let status = status.wire_name();
            tracing::info!(project, resource, id = %id, status, "transition completed");
            true
        }
        Advance::Gone => {
            tracing::info!(project, resource, id = %id, "deletion completed");
            false
        }
    }
}

fn project_not_found(name: &str) -> ApiError {
    ApiError::not_found(
        Resource::project(name),
        format!("Project {name} does not exist"),
    )
}

/// Serializes a map as the list of its values, which reads better in the admin state dump.
fn values<K, V: Serialize, S: Serializer>(
    map: &BTreeMap<K, V>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(map.values())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::error::ResourceType;
    use std::time::Duration;

    /// A state with project `name` and the clock it runs on.
    pub(super) fn state_with(name: &str) -> (State, ManualClock) {
        let clock = ManualClock::default();
        let mut state = State::default();
        state
            .create_project(name, format!("arn:{name}"), clock.now())
            .unwrap();
        (state, clock)
    }

    #[test]
    fn duplicate_project_names_conflict() {
        let (mut state, clock) = state_with("p1");
        let err = state
            .create_project("p1", "arn:p1".into(), clock.now())
            .unwrap_err();
        assert_eq!(
            err,
            ApiError::conflict(Resource::project("p1"), "Project p1 already exists")
        );
    }

    #[test]
    fn a_project_with_a_dataset_or_a_deleting_dataset_cannot_be_deleted() {
        let (mut state, clock) = state_with("p1");
        let takes = Duration::from_secs(5);
        state
            .create_dataset("p1", DatasetType::Train, None, clock.now(), takes)
            .unwrap();
        let err = state.delete_project("p1").unwrap_err();
        assert!(
            matches!(&err, ApiError::Conflict { resource, .. } if resource.kind == ResourceType::Project)
        );

        state
            .delete_dataset("p1", DatasetType::Train, clock.now(), takes)
            .unwrap();
        clock.advance(takes - Duration::from_millis(1));
        state.advance(clock.now());
        assert_eq!(
            state.delete_project("p1").unwrap_err().code(),
            "ConflictException"
        );

        clock.advance(Duration::from_millis(1));
        state.advance(clock.now());
        assert_eq!(state.delete_project("p1").unwrap().name, "p1");
        assert_eq!(
            state.project("p1").unwrap_err().code(),
            "ResourceNotFoundException"
        );
    }

    #[test]
    fn armed_failures_are_used_once_oldest_first_and_scoped_to_their_project() {
        let mut state = State::default();
        let arm = |project: Option<&str>, message: &str| ArmedFailure {
            kind: FailureKind::Training,
            project: project.map(str::to_owned),
            message: message.to_owned(),
        };
        state.arm_failure(arm(Some("p2"), "only p2"));
        state.arm_failure(arm(None, "anyone"));
        assert_eq!(state.take_failure(FailureKind::Hosting, "p1"), None);
        assert_eq!(
            state.take_failure(FailureKind::Training, "p1").as_deref(),
            Some("anyone")
        );
        assert_eq!(state.take_failure(FailureKind::Training, "p1"), None);
        assert_eq!(
            state.take_failure(FailureKind::Training, "p2").as_deref(),
            Some("only p2")
        );
        assert!(state.armed_failures.is_empty());
    }

    #[test]
    fn the_agenda_completes_changes_in_due_order_and_survives_a_restore() {
        let (mut state, clock) = state_with("p1");
        let (slow, fast) = (Duration::from_secs(10), Duration::from_secs(2));
        state
            .create_dataset("p1", DatasetType::Train, None, clock.now(), fast)
            .unwrap();
        state
            .update_dataset_entries("p1", DatasetType::Train, Ok(Vec::new()), clock.now(), slow)
            .unwrap();
        state
            .create_dataset("p1", DatasetType::Test, None, clock.now(), fast)
            .unwrap();
        state
            .update_dataset_entries("p1", DatasetType::Test, Ok(Vec::new()), clock.now(), fast)
            .unwrap();
        let status = |state: &State, kind| state.projects["p1"].datasets[&kind].phase.status;

        clock.advance(fast);
        state.advance(clock.now());
        assert_eq!(
            status(&state, DatasetType::Test),
            DatasetStatus::UpdateComplete
        );
        assert_eq!(
            status(&state, DatasetType::Train),
            DatasetStatus::UpdateInProgress
        );

        // A state rebuilt from its parts (as from a file) still completes what is under way.
        let mut restored = State::restore(state.projects.clone(), Vec::new());
        clock.advance(slow);
        restored.advance(clock.now());
        assert_eq!(
            status(&restored, DatasetType::Train),
            DatasetStatus::UpdateComplete
        );
        assert!(restored.agenda.0.is_empty(), "{:?}", restored.agenda);
    }

    #[test]
    fn a_deleted_resource_leaves_nothing_due() {
        let (mut state, clock) = state_with("p1");
        let takes = Duration::from_secs(1);
        state
            .create_dataset("p1", DatasetType::Train, None, clock.now(), takes)
            .unwrap();
        state
            .delete_dataset("p1", DatasetType::Train, clock.now(), takes)
            .unwrap();
        clock.advance(takes);
        state.advance(clock.now());
        assert!(state.projects["p1"].datasets.is_empty());
        assert!(state.agenda.0.is_empty(), "{:?}", state.agenda);
    }

    #[test]
    fn state_dump_lists_children() {
        let (state, _) = state_with("p1");
        let dump = serde_json::to_value(&state).unwrap();
        assert_eq!(dump["projects"][0]["name"], "p1");
        assert_eq!(dump["projects"][0]["datasets"], serde_json::json!([]));
        assert_eq!(dump["projects"][0]["models"], serde_json::json!([]));
        assert_eq!(dump["projects"][0]["packaging_jobs"], serde_json::json!([]));
        assert_eq!(dump["projects"][0]["next_model_version"], 1);
        assert_eq!(dump["armed_failures"], serde_json::json!([]));
    }
}
