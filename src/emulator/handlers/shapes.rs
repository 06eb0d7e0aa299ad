//! The API's output structures, built from the state.

use serde_json::{json, Value};

use crate::emulator::state::{Dataset, Project};

/// `ProjectMetadata`.
pub fn project_metadata(project: &Project) -> Value {
    json!({
        "ProjectArn": project.arn,
        "ProjectName": project.name,
        "CreationTimestamp": project.created,
    })
}

/// `ProjectDescription`.
pub fn project_description(project: &Project) -> Value {
    json!({
        "ProjectArn": project.arn,
        "ProjectName": project.name,
        "CreationTimestamp": project.created,
        "Datasets": project.datasets.values().map(dataset_metadata).collect::<Vec<_>>(),
    })
}

/// `DatasetMetadata`.
pub fn dataset_metadata(dataset: &Dataset) -> Value {
    json!({
        "DatasetType": dataset.dataset_type,
        "CreationTimestamp": dataset.created,
        "Status": dataset.status,
        "StatusMessage": dataset.status_message,
    })
}
