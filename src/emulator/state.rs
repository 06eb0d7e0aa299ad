//! The emulated account's resources and the rules for changing them.
//!
//! Projects own their datasets (at most one `train` and one `test`) and their model
//! versions, so deleting or listing under a project never needs a second lookup. The
//! whole state sits behind the emulator's single lock; methods here never block.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use super::clock::Timestamp;
use super::error::{ApiError, Resource};

/// Everything the emulated account holds, by project name.
#[derive(Debug, Clone, Default, Serialize)]
pub struct State {
    /// Projects in name order (the order ListProjects returns them in).
    #[serde(serialize_with = "values")]
    pub projects: BTreeMap<String, Project>,
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
}

/// `DatasetType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetType {
    /// The training dataset (the only one of a single-dataset project).
    Train,
    /// The test dataset.
    Test,
}

/// A project's dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    /// `DatasetType`.
    pub dataset_type: DatasetType,
    /// `CreationTimestamp`.
    pub created: Timestamp,
    /// `Status`.
    pub status: DatasetStatus,
    /// `StatusMessage`.
    pub status_message: String,
}

/// `DatasetStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DatasetStatus {
    /// `CREATE_IN_PROGRESS`: importing the manifest.
    CreateInProgress,
    /// `CREATE_COMPLETE`.
    CreateComplete,
    /// `CREATE_FAILED`.
    CreateFailed,
    /// `UPDATE_IN_PROGRESS`: applying UpdateDatasetEntries.
    UpdateInProgress,
    /// `UPDATE_COMPLETE`.
    UpdateComplete,
    /// `UPDATE_FAILED_ROLLBACK_IN_PROGRESS`.
    UpdateFailedRollbackInProgress,
    /// `UPDATE_FAILED_ROLLBACK_COMPLETE`.
    UpdateFailedRollbackComplete,
    /// `DELETE_IN_PROGRESS`.
    DeleteInProgress,
    /// `DELETE_COMPLETE`.
    DeleteComplete,
    /// `DELETE_FAILED`.
    DeleteFailed,
}

/// A model version of a project.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// `ModelVersion` (1, 2, … per project).
    pub version: u32,
    /// `ModelArn`.
    pub arn: String,
    /// `CreationTimestamp`.
    pub created: Timestamp,
    /// `Description`.
    pub description: Option<String>,
    /// `Status`.
    pub status: ModelStatus,
    /// `StatusMessage`.
    pub status_message: String,
}

/// `ModelStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

impl State {
    /// The project called `name`, or ResourceNotFoundException.
    pub fn project(&self, name: &str) -> Result<&Project, ApiError> {
        self.projects
            .get(name)
            .ok_or_else(|| project_not_found(name))
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
        };
        Ok(self.projects.entry(name.to_owned()).or_insert(project))
    }

    /// Deletes a project that has no datasets and no models (whatever their status, so
    /// also while one is still being deleted); otherwise ConflictException.
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
    use crate::emulator::clock::{Clock, ManualClock};
    use crate::emulator::error::ResourceType;

    fn state_with(name: &str) -> (State, Timestamp) {
        let now = ManualClock::default().now();
        let mut state = State::default();
        state
            .create_project(name, format!("arn:{name}"), now)
            .unwrap();
        (state, now)
    }

    #[test]
    fn duplicate_project_names_conflict() {
        let (mut state, now) = state_with("p1");
        let err = state
            .create_project("p1", "arn:p1".into(), now)
            .unwrap_err();
        assert_eq!(
            err,
            ApiError::conflict(Resource::project("p1"), "Project p1 already exists")
        );
    }

    #[test]
    fn a_project_with_a_dataset_or_a_deleting_model_cannot_be_deleted() {
        let (mut state, now) = state_with("p1");
        let project = state.projects.get_mut("p1").unwrap();
        project.datasets.insert(
            DatasetType::Train,
            Dataset {
                dataset_type: DatasetType::Train,
                created: now,
                status: DatasetStatus::CreateComplete,
                status_message: String::new(),
            },
        );
        let err = state.delete_project("p1").unwrap_err();
        assert!(
            matches!(&err, ApiError::Conflict { resource, .. } if resource.kind == ResourceType::Project)
        );

        let project = state.projects.get_mut("p1").unwrap();
        project.datasets.clear();
        project.models.insert(
            1,
            Model {
                version: 1,
                arn: "arn:model".into(),
                created: now,
                description: None,
                status: ModelStatus::Deleting,
                status_message: String::new(),
            },
        );
        assert_eq!(
            state.delete_project("p1").unwrap_err().code(),
            "ConflictException"
        );

        state.projects.get_mut("p1").unwrap().models.clear();
        assert_eq!(state.delete_project("p1").unwrap().name, "p1");
        assert_eq!(
            state.project("p1").unwrap_err().code(),
            "ResourceNotFoundException"
        );
    }

    #[test]
    fn state_dump_lists_children() {
        let (state, _) = state_with("p1");
        let dump = serde_json::to_value(&state).unwrap();
        assert_eq!(dump["projects"][0]["name"], "p1");
        assert_eq!(dump["projects"][0]["datasets"], serde_json::json!([]));
        assert_eq!(dump["projects"][0]["models"], serde_json::json!([]));
    }
}
