//! Datasets: creation (empty or from a manifest), their entries, updates and deletion.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Serialize, Serializer};

use super::lifecycle::{Outcome, Phase, Status};
use super::{find_mut, DatasetType, ModelStatus, S3Object, State, Subject};
use crate::clock::Timestamp;
use crate::error::{ApiError, Resource};
use crate::{manifest, synthetic};

/// A project's dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    /// `DatasetType`.
    pub dataset_type: DatasetType,
    /// `CreationTimestamp`.
    pub created: Timestamp,
    /// `Status` and `StatusMessage`; `since` is the `LastUpdatedTimestamp`.
    #[serde(flatten)]
    pub phase: Phase<DatasetStatus>,
    /// The images, by `source-ref` (the order ListDatasetEntries returns them in); the
    /// state dump shows only how many there are.
    #[serde(rename = "entry_count", serialize_with = "count")]
    pub entries: BTreeMap<String, DatasetEntry>,
}

/// `DatasetStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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

impl Status for DatasetStatus {
    fn message(self) -> &'static str {
        match self {
            Self::CreateInProgress => "Creating the dataset",
            Self::CreateComplete => "Dataset created",
            Self::CreateFailed => "Dataset creation failed",
            Self::UpdateInProgress => "Updating the dataset",
            Self::UpdateComplete => "Dataset updated",
            Self::UpdateFailedRollbackInProgress => "Dataset update failed; rolling back",
            Self::UpdateFailedRollbackComplete => "Dataset update failed; rolled back",
            Self::DeleteInProgress => "Deleting the dataset",
            Self::DeleteComplete => "Dataset deleted",
            Self::DeleteFailed => "Dataset deletion failed",
        }
    }
}

/// Where the entries of a dataset created from a manifest come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestImport {
    /// No S3 directory: entries derived from the manifest's location (see `synthetic`).
    Synthetic(S3Object),
    /// The manifest as read from the S3 directory.
    Read(Vec<NewEntry>),
    /// The manifest could not be imported, for this reason (the `StatusMessage`).
    Failed(String),
}

/// One JSON Line read from a manifest or from UpdateDatasetEntries' `Changes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// `source-ref`, the image's S3 URI, which identifies the entry.
    pub source_ref: String,
    /// The line itself.
    pub line: String,
    /// Its label, if it has one.
    pub label: Option<Label>,
}

impl NewEntry {
    /// The entry as stored when written at `now`.
    fn written(self, now: Timestamp) -> (String, DatasetEntry) {
        let entry = DatasetEntry {
            line: self.line,
            label: self.label,
            written: now,
        };
        (self.source_ref, entry)
    }
}

/// One image of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DatasetEntry {
    /// The JSON Line as given (or as synthesized for a manifest), returned by
    /// ListDatasetEntries.
    pub line: String,
    /// Its label, if it has one.
    pub label: Option<Label>,
    /// When it was added or last replaced; what `createdBefore`/`createdAfter` compare.
    pub written: Timestamp,
}

/// An image's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// Labeled normal (`anomaly-label` 0).
    Normal,
    /// Labeled anomalous (`anomaly-label` 1).
    Anomaly,
}

/// `DatasetImageStats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImageStats {
    /// `Total`.
    pub total: usize,
    /// `Labeled`.
    pub labeled: usize,
    /// `Normal`.
    pub normal: usize,
    /// `Anomaly`.
    pub anomaly: usize,
}

/// The ListDatasetEntries filters; every one that is set must match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EntryFilter<'a> {
    /// `labeled`: whether the entry has a label.
    pub labeled: Option<bool>,
    /// `anomalyClass`: the entry's label.
    pub class: Option<Label>,
    /// `sourceRefContains`: a substring of the `source-ref`.
    pub source_ref_contains: Option<&'a str>,
    /// `createdBefore`: written strictly before.
    pub created_before: Option<Timestamp>,
    /// `createdAfter`: written strictly after.
    pub created_after: Option<Timestamp>,
}

impl EntryFilter<'_> {
    /// Whether the entry at `source_ref` passes every filter that is set.
    pub fn matches(&self, source_ref: &str, entry: &DatasetEntry) -> bool {
        self.labeled
            .is_none_or(|labeled| labeled == entry.label.is_some())
            && self.class.is_none_or(|class| entry.label == Some(class))
            && self
                .source_ref_contains
                .is_none_or(|part| source_ref.contains(part))
            && self.created_before.is_none_or(|at| entry.written < at)
            && self.created_after.is_none_or(|at| entry.written > at)
    }
}

impl Dataset {
    /// `ImageStats`, counted from the entries.
    pub fn image_stats(&self) -> ImageStats {
        self.entries
            .values()
            .fold(ImageStats::default(), |stats, entry| ImageStats {
                total: stats.total + 1,
                labeled: stats.labeled + usize::from(entry.label.is_some()),
                normal: stats.normal + usize::from(entry.label == Some(Label::Normal)),
                anomaly: stats.anomaly + usize::from(entry.label == Some(Label::Anomaly)),
            })
    }
}

impl State {
    /// The `kind` dataset of `project`, or ResourceNotFoundException.
    pub fn dataset(&self, project: &str, kind: DatasetType) -> Result<&Dataset, ApiError> {
        self.project(project)?
            .datasets
            .get(&kind)
            .ok_or_else(|| dataset_not_found(project, kind))
    }

    fn dataset_mut(&mut self, project: &str, kind: DatasetType) -> Result<&mut Dataset, ApiError> {
        self.project_mut(project)?
            .datasets
            .get_mut(&kind)
            .ok_or_else(|| dataset_not_found(project, kind))
    }

    /// Creates the `kind` dataset of `project`: empty and complete at once without a
    /// manifest; with one, `CREATE_IN_PROGRESS` for `takes`, holding the imported entries,
    /// then `CREATE_COMPLETE`, or `CREATE_FAILED` with no entries when the import failed
    /// (see `docs/guides/emulator.md`). ConflictException while a dataset of that type
    /// exists, even one being deleted.
    pub fn create_dataset(
        &mut self,
        project: &str,
        kind: DatasetType,
        manifest: Option<ManifestImport>,
        now: Timestamp,
        takes: Duration,
    ) -> Result<&Dataset, ApiError> {
        let datasets = &mut find_mut(&mut self.projects, project)?.datasets;
        if let Some(existing) = datasets.get(&kind) {
            let why = if existing.phase.status == DatasetStatus::DeleteInProgress {
                "is still being deleted"
            } else {
                "already exists"
            };
            return Err(ApiError::conflict(
                Resource::dataset(kind),
                format!("The {kind} dataset of project {project} {why}"),
            ));
        }
        let (phase, entries) = match manifest {
            None => (
                Phase::new(DatasetStatus::CreateComplete, now),
                BTreeMap::new(),
            ),
            Some(import) => {
                let (entries, then) = match import {
                    ManifestImport::Synthetic(manifest) => {
                        let lines = synthetic::manifest_lines(&manifest.bucket, &manifest.key);
                        let entries = lines
                            .iter()
                            .filter_map(|line| manifest::read_line(line).ok())
                            .map(|line| line.entry)
                            .collect();
                        (entries, Outcome::settle(DatasetStatus::CreateComplete))
                    }
                    ManifestImport::Read(entries) => {
                        (entries, Outcome::settle(DatasetStatus::CreateComplete))
                    }
                    ManifestImport::Failed(message) => (
                        Vec::new(),
                        Outcome::fail(DatasetStatus::CreateFailed, message),
                    ),
                };
                let entries = entries
                    .into_iter()
                    .map(|entry| entry.written(now))
                    .collect();
                let phase = Phase::changing(DatasetStatus::CreateInProgress, now, takes, then);
                (phase, entries)
            }
        };
        self.agenda
            .schedule(project, Subject::Dataset(kind), phase.due());
        let dataset = Dataset {
            dataset_type: kind,
            created: now,
            phase,
            entries,
        };
        Ok(datasets.entry(kind).or_insert(dataset))
    }

    /// Starts deleting the `kind` dataset of `project`; it is gone after `takes`. A repeat
    /// while it is being deleted changes nothing. ConflictException while it is being
    /// created or updated, or while a model of the project is training or being deleted.
    pub fn delete_dataset(
        &mut self,
        project: &str,
        kind: DatasetType,
        now: Timestamp,
        takes: Duration,
    ) -> Result<(), ApiError> {
        // Training reads the datasets, and a model being deleted still refers to them
        // [inferred]: both make the deletion an inconsistent change.
        let busy = self
            .project(project)?
            .models
            .values()
            .find(|model| {
                matches!(
                    model.phase.status,
                    ModelStatus::Training | ModelStatus::Deleting
                )
            })
            .map(|model| (model.version, model.phase.status));
        let dataset = self.dataset_mut(project, kind)?;
        if dataset.phase.status == DatasetStatus::DeleteInProgress {
            return Ok(());
        }
        ensure_settled(dataset, project)?;
        if let Some((version, status)) = busy {
            let doing = if status == ModelStatus::Training {
                "training"
            } else {
                "being deleted"
            };
            return Err(ApiError::conflict(
                Resource::dataset(kind),
                format!("The {kind} dataset of project {project} cannot be deleted while model version {version} is {doing}"),
            ));
        }
        dataset
            .phase
            .change(DatasetStatus::DeleteInProgress, now, takes, Outcome::Gone);
        let due = dataset.phase.due();
        self.agenda.schedule(project, Subject::Dataset(kind), due);
        Ok(())
    }

    /// Applies UpdateDatasetEntries' `changes` to the `kind` dataset of `project`, which is
    /// `UPDATE_IN_PROGRESS` for `takes`. Read changes (`Ok`) are added at once, replacing the
    /// entries with the same `source-ref` (a later one wins over an earlier), and the update
    /// ends in `UPDATE_COMPLETE`. Changes whose import failed (`Err`, the `StatusMessage`)
    /// never touch the entries: the update goes `UPDATE_FAILED_ROLLBACK_IN_PROGRESS` for
    /// another `takes`, then `UPDATE_FAILED_ROLLBACK_COMPLETE`, both showing the message.
    /// ConflictException while the dataset is being created, updated or deleted.
    pub fn update_dataset_entries(
        &mut self,
        project: &str,
        kind: DatasetType,
        changes: Result<Vec<NewEntry>, String>,
        now: Timestamp,
        takes: Duration,
    ) -> Result<DatasetStatus, ApiError> {
        let dataset = self.dataset_mut(project, kind)?;
        ensure_settled(dataset, project)?;
        let then = match changes {
            Ok(entries) => {
                // Entries take effect at once; only the status reports the update as under way.
                dataset
                    .entries
                    .extend(entries.into_iter().map(|entry| entry.written(now)));
                Outcome::settle(DatasetStatus::UpdateComplete)
            }
            Err(message) => Outcome::fail_through(
                DatasetStatus::UpdateFailedRollbackInProgress,
                message,
                now + takes * 2,
                DatasetStatus::UpdateFailedRollbackComplete,
            ),
        };
        dataset
            .phase
            .change(DatasetStatus::UpdateInProgress, now, takes, then);
        let (status, due) = (dataset.phase.status, dataset.phase.due());
        self.agenda.schedule(project, Subject::Dataset(kind), due);
        Ok(status)
    }
}

/// ConflictException unless `dataset` has no change under way.
fn ensure_settled(dataset: &Dataset, project: &str) -> Result<(), ApiError> {
    if !dataset.phase.is_changing() {
        return Ok(());
    }
    let kind = dataset.dataset_type;
    Err(ApiError::conflict(
        Resource::dataset(kind),
        format!(
            "The {kind} dataset of project {project} is {}; try again when it has finished",
            dataset.phase.status.wire_name()
        ),
    ))
}

fn dataset_not_found(project: &str, kind: DatasetType) -> ApiError {
    ApiError::not_found(
        Resource::dataset(kind),
        format!("The {kind} dataset of project {project} does not exist"),
    )
}

/// Serializes a map as its size.
fn count<K, V, S: Serializer>(map: &BTreeMap<K, V>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(map.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::super::models::tests::plain_model;
    use super::super::tests::state_with;
    use super::*;
    use crate::clock::{Clock, ManualClock};

    const TAKES: Duration = Duration::from_secs(10);

    fn manifest() -> S3Object {
        S3Object {
            bucket: "bucket".into(),
            key: "data/train.manifest".into(),
        }
    }

    fn status(state: &State, kind: DatasetType) -> DatasetStatus {
        state.dataset("p1", kind).unwrap().phase.status
    }

    #[test]
    fn an_empty_dataset_is_complete_at_once() {
        let (mut state, clock) = state_with("p1");
        let dataset = state
            .create_dataset("p1", DatasetType::Test, None, clock.now(), TAKES)
            .unwrap();
        assert_eq!(dataset.phase.status, DatasetStatus::CreateComplete);
        assert_eq!(dataset.image_stats(), ImageStats::default());
    }

    #[test]
    fn a_manifest_dataset_imports_for_the_dataset_duration_with_synthetic_entries() {
        let (mut state, clock) = state_with("p1");
        let created = clock.now();
        state
            .create_dataset(
                "p1",
                DatasetType::Train,
                Some(ManifestImport::Synthetic(manifest())),
                created,
                TAKES,
            )
            .unwrap();
        assert_eq!(
            status(&state, DatasetType::Train),
            DatasetStatus::CreateInProgress
        );
        let lines = synthetic::manifest_lines("bucket", "data/train.manifest");
        let stats = state
            .dataset("p1", DatasetType::Train)
            .unwrap()
            .image_stats();
        assert_eq!(stats.total, lines.len());
        assert!(stats.normal > 0 && stats.anomaly > 0);
        assert_eq!(stats.labeled, stats.normal + stats.anomaly);

        clock.advance(TAKES);
        state.advance(clock.now());
        let dataset = state.dataset("p1", DatasetType::Train).unwrap();
        assert_eq!(dataset.phase.status, DatasetStatus::CreateComplete);
        assert_eq!(dataset.phase.status_message, "Dataset created");
        assert_eq!(
            (dataset.created, dataset.phase.since),
            (created, created + TAKES)
        );
    }

    #[test]
    fn a_second_dataset_of_a_type_conflicts_even_while_the_first_is_deleted() {
        let (mut state, clock) = state_with("p1");
        let now = clock.now();
        state
            .create_dataset("p1", DatasetType::Train, None, now, TAKES)
            .unwrap();
        state
            .create_dataset("p1", DatasetType::Test, None, now, TAKES)
            .unwrap();
        let err = state
            .create_dataset("p1", DatasetType::Train, None, now, TAKES)
            .unwrap_err();
        assert_eq!(
            err,
            ApiError::conflict(
                Resource::dataset("train"),
                "The train dataset of project p1 already exists"
            )
        );

        state
            .delete_dataset("p1", DatasetType::Train, now, TAKES)
            .unwrap();
        assert_eq!(
            status(&state, DatasetType::Train),
            DatasetStatus::DeleteInProgress
        );
        let err = state
            .create_dataset("p1", DatasetType::Train, None, now, TAKES)
            .unwrap_err();
        assert!(err.message().contains("still being deleted"), "{err:?}");
        // Deleting again while it is deleted changes nothing, not even the end time.
        clock.advance(TAKES / 2);
        state
            .delete_dataset("p1", DatasetType::Train, clock.now(), TAKES)
            .unwrap();
        clock.advance(TAKES / 2);
        state.advance(clock.now());
        assert_eq!(
            state.dataset("p1", DatasetType::Train).unwrap_err().code(),
            "ResourceNotFoundException"
        );
        state
            .create_dataset("p1", DatasetType::Train, None, clock.now(), TAKES)
            .unwrap();
    }

    #[test]
    fn datasets_that_are_changing_or_needed_by_training_cannot_be_updated_or_deleted() {
        let (mut state, clock) = state_with("p1");
        let now = clock.now();
        state
            .create_dataset(
                "p1",
                DatasetType::Train,
                Some(ManifestImport::Synthetic(manifest())),
                now,
                TAKES,
            )
            .unwrap();
        for err in [
            state
                .delete_dataset("p1", DatasetType::Train, now, TAKES)
                .unwrap_err(),
            state
                .update_dataset_entries("p1", DatasetType::Train, Ok(vec![]), now, TAKES)
                .unwrap_err(),
        ] {
            assert_eq!(err.code(), "ConflictException");
            assert!(err.message().contains("is CREATE_IN_PROGRESS"), "{err:?}");
        }

        clock.advance(TAKES);
        state.advance(clock.now());
        state
            .create_model(
                "p1",
                plain_model(),
                |v| format!("arn:{v}"),
                clock.now(),
                TAKES,
            )
            .unwrap();
        let err = state
            .delete_dataset("p1", DatasetType::Train, clock.now(), TAKES)
            .unwrap_err();
        assert!(
            err.message().contains("model version 1 is training"),
            "{err:?}"
        );
        clock.advance(TAKES);
        state.advance(clock.now());
        state.delete_model("p1", "1", clock.now(), TAKES).unwrap();
        let err = state
            .delete_dataset("p1", DatasetType::Train, clock.now(), TAKES)
            .unwrap_err();
        assert!(
            err.message().contains("model version 1 is being deleted"),
            "{err:?}"
        );
        clock.advance(TAKES);
        state.advance(clock.now());
        state
            .delete_dataset("p1", DatasetType::Train, clock.now(), TAKES)
            .unwrap();
    }

    /// The entry `line` makes, read by the one line reader.
    fn entry(line: &str) -> NewEntry {
        manifest::read_line(line).unwrap().entry
    }

    /// `s3://b/{n}.png` labelled `class` (`auto-label`'s number is ignored: 1 may be normal).
    fn labelled(n: u8, class: &str) -> String {
        format!(
            r#"{{"source-ref":"s3://b/{n}.png","auto-label":1,"auto-label-metadata":{{"class-name":"{class}"}}}}"#
        )
    }

    #[test]
    fn updates_replace_entries_by_source_ref_and_complete_after_the_dataset_duration() {
        let (mut state, clock) = state_with("p1");
        state
            .create_dataset("p1", DatasetType::Train, None, clock.now(), TAKES)
            .unwrap();
        let changes = [
            r#"{"source-ref":"s3://b/1.png"}"#.to_owned(),
            labelled(2, "anomaly"),
        ];
        let entries = changes.iter().map(|l| entry(l)).collect();
        let status = state
            .update_dataset_entries("p1", DatasetType::Train, Ok(entries), clock.now(), TAKES)
            .unwrap();
        assert_eq!(status, DatasetStatus::UpdateInProgress);
        clock.advance(TAKES);
        state.advance(clock.now());
        let replacement = labelled(1, "normal");
        state
            .update_dataset_entries(
                "p1",
                DatasetType::Train,
                Ok(vec![entry(&replacement)]),
                clock.now(),
                Duration::ZERO,
            )
            .unwrap();
        state.advance(clock.now());
        let dataset = state.dataset("p1", DatasetType::Train).unwrap();
        assert_eq!(dataset.phase.status, DatasetStatus::UpdateComplete);
        assert_eq!(
            dataset.image_stats(),
            ImageStats {
                total: 2,
                labeled: 2,
                normal: 1,
                anomaly: 1
            }
        );
        assert_eq!(dataset.entries["s3://b/1.png"].line, replacement);
        assert_eq!(dataset.entries["s3://b/1.png"].written, clock.now());
    }

    #[test]
    fn a_failed_update_rolls_back_leaving_the_entries_as_they_were() {
        let (mut state, clock) = state_with("p1");
        state
            .create_dataset("p1", DatasetType::Train, None, clock.now(), TAKES)
            .unwrap();
        let first = labelled(1, "normal");
        state
            .update_dataset_entries(
                "p1",
                DatasetType::Train,
                Ok(vec![entry(&first)]),
                clock.now(),
                Duration::ZERO,
            )
            .unwrap();
        state.advance(clock.now());
        let before = state
            .dataset("p1", DatasetType::Train)
            .unwrap()
            .entries
            .clone();

        let message = "Changes line 2: source-ref s3://b/9.png does not exist";
        let status = state
            .update_dataset_entries(
                "p1",
                DatasetType::Train,
                Err(message.to_owned()),
                clock.now(),
                TAKES,
            )
            .unwrap();
        assert_eq!(status, DatasetStatus::UpdateInProgress);
        let look = |state: &State| {
            let dataset = state.dataset("p1", DatasetType::Train).unwrap();
            assert_eq!(dataset.entries, before);
            (dataset.phase.status, dataset.phase.status_message.clone())
        };
        assert_eq!(look(&state).0, DatasetStatus::UpdateInProgress);
        clock.advance(TAKES);
        state.advance(clock.now());
        assert_eq!(
            look(&state),
            (
                DatasetStatus::UpdateFailedRollbackInProgress,
                message.to_owned()
            )
        );
        // Still changing: another update waits for the rollback.
        let err = state
            .update_dataset_entries("p1", DatasetType::Train, Ok(vec![]), clock.now(), TAKES)
            .unwrap_err();
        assert!(
            err.message().contains("UPDATE_FAILED_ROLLBACK_IN_PROGRESS"),
            "{err:?}"
        );
        clock.advance(TAKES);
        state.advance(clock.now());
        assert_eq!(
            look(&state),
            (
                DatasetStatus::UpdateFailedRollbackComplete,
                message.to_owned()
            )
        );
        state
            .update_dataset_entries("p1", DatasetType::Train, Ok(vec![]), clock.now(), TAKES)
            .unwrap();
    }

    #[test]
    fn filters_combine() {
        let clock = ManualClock::default();
        let read = |line: &str| entry(line).written(clock.now()).1;
        let normal = read(
            r#"{"source-ref":"s3://b/good/1","anomaly-label":0,"anomaly-label-metadata":{"class-name":"normal"}}"#,
        );
        clock.advance(TAKES);
        let unlabeled = read(r#"{"source-ref":"s3://b/new/2"}"#);
        let all = EntryFilter::default();
        assert!(all.matches("s3://b/good/1", &normal) && all.matches("s3://b/new/2", &unlabeled));
        let labeled_normal = EntryFilter {
            labeled: Some(true),
            class: Some(Label::Normal),
            ..EntryFilter::default()
        };
        assert!(labeled_normal.matches("s3://b/good/1", &normal));
        assert!(!labeled_normal.matches("s3://b/new/2", &unlabeled));
        let unlabeled_only = EntryFilter {
            labeled: Some(false),
            ..EntryFilter::default()
        };
        assert!(!unlabeled_only.matches("s3://b/good/1", &normal));
        let containing = EntryFilter {
            source_ref_contains: Some("new/"),
            ..EntryFilter::default()
        };
        assert!(!containing.matches("s3://b/good/1", &normal));
        assert!(containing.matches("s3://b/new/2", &unlabeled));
        let before = EntryFilter {
            created_before: Some(unlabeled.written),
            ..EntryFilter::default()
        };
        assert!(before.matches("", &normal) && !before.matches("", &unlabeled));
        let after = EntryFilter {
            created_after: Some(normal.written),
            ..EntryFilter::default()
        };
        assert!(!after.matches("", &normal) && after.matches("", &unlabeled));
    }

    #[test]
    fn the_state_dump_shows_status_and_entry_count() {
        let (mut state, clock) = state_with("p1");
        state
            .create_dataset(
                "p1",
                DatasetType::Train,
                Some(ManifestImport::Synthetic(manifest())),
                clock.now(),
                TAKES,
            )
            .unwrap();
        let dump = serde_json::to_value(&state).unwrap();
        let dataset = &dump["projects"][0]["datasets"][0];
        assert_eq!(dataset["dataset_type"], "train");
        assert_eq!(dataset["status"], "CREATE_IN_PROGRESS");
        let count = synthetic::manifest_lines("bucket", "data/train.manifest").len();
        assert_eq!(dataset["entry_count"], count);
        assert_eq!(
            dataset["pending"]["then"]["settle"]["status"],
            "CREATE_COMPLETE"
        );
    }
}
