//! Keeping the emulator's state in a file across restarts (`--state-file`).
//!
//! The file holds everything a restarted emulator needs to carry on as if it had never
//! stopped: projects, datasets with their entries, models with their tags, model packaging
//! jobs, the changes under way with their absolute end times, armed failures, armed scripted
//! faults, remembered client tokens and each project's next model version. A model that was
//! `TRAINING` therefore finishes at its original time. Not kept: the request log, the random
//! fault generators (they restart from the seed) and the page-token key (tokens from before a
//! restart are rejected).
//!
//! It is rewritten after every request that changed something, atomically: written to a
//! temporary file in the same directory, flushed to disk, then renamed over the old one.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Deserializer, Serialize};

use super::clock::Timestamp;
use super::faults::ScriptedFault;
use super::idempotency::IdempotencyCache;
use super::response::Reply;
use super::state::{
    ArmedFailure, Dataset, DatasetEntry, DatasetStatus, DatasetType, Model, PackagingJob, Phase,
    Project, State,
};
use super::synthetic::Performance;

/// The layout version written into every state file; a file with another one is refused
/// rather than misread.
const FORMAT: u32 = 1;

/// Why the state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// The file exists but could not be read.
    #[error("cannot read the state file {}: {source}", path.display())]
    Read {
        /// The state file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// The file is not a state file this emulator wrote.
    #[error("the state file {} is corrupt or not a state file: {source}", path.display())]
    Corrupt {
        /// The state file.
        path: PathBuf,
        /// Where parsing failed.
        source: serde_json::Error,
    },
    /// The file was written in another layout.
    #[error(
        "the state file {} has format {found}, but this emulator reads format {FORMAT}",
        path.display()
    )]
    Format {
        /// The state file.
        path: PathBuf,
        /// The format it declares.
        found: u32,
    },
    /// The file could not be written.
    #[error("cannot write the state file {}: {source}", path.display())]
    Write {
        /// The state file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// The state could not be turned into JSON.
    #[error("cannot encode the state for {}: {source}", path.display())]
    Encode {
        /// The state file.
        path: PathBuf,
        /// What went wrong.
        source: serde_json::Error,
    },
}

/// A state file, opened and read: what it held when the emulator started, and where to keep
/// the state from then on.
#[derive(Clone)]
pub struct StateFile {
    path: PathBuf,
    loaded: Option<Arc<Saved>>,
}

impl fmt::Debug for StateFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateFile")
            .field("path", &self.path)
            .field("loaded", &self.loaded.is_some())
            .finish()
    }
}

impl StateFile {
    /// Reads the state saved at `path`, if the file exists (a missing file means starting
    /// empty), and checks that its directory can take the file: a state file that cannot be
    /// read, is corrupt or cannot be written is an error here, never a silent reset.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, PersistError> {
        let path = path.into();
        let loaded = match fs::read(&path) {
            Ok(bytes) => Some(Arc::new(parse(&path, &bytes)?)),
            Err(err) if err.kind() == io::ErrorKind::NotFound => None,
            Err(source) => return Err(PersistError::Read { path, source }),
        };
        // Fail now rather than on the first change if the directory is not writable.
        let probe = temporary_path(&path);
        File::create(&probe)
            .and_then(|_| fs::remove_file(&probe))
            .map_err(|source| PersistError::Write {
                path: path.clone(),
                source,
            })?;
        Ok(Self { path, loaded })
    }

    /// Where the state is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file held when it was opened.
    pub(super) fn loaded(&self) -> Option<&Saved> {
        self.loaded.as_deref()
    }
}

/// What a state file holds, in the owned form it is read into.
#[derive(Debug)]
pub(super) struct Saved {
    /// The region the ARNs in it were made for.
    pub region: String,
    /// The account the ARNs in it were made for.
    pub account_id: String,
    /// The resources.
    pub state: State,
    /// Remembered client tokens.
    pub tokens: IdempotencyCache<Reply>,
    /// Armed scripted faults.
    pub faults: Vec<ScriptedFault>,
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Saved, PersistError> {
    let corrupt = |source| PersistError::Corrupt {
        path: path.to_owned(),
        source,
    };
    // The format is checked first, so a future layout is reported as such and not as
    // whatever field it happens to trip over.
    #[derive(Deserialize)]
    struct Header {
        format: u32,
    }
    let header: Header = serde_json::from_slice(bytes).map_err(corrupt)?;
    if header.format != FORMAT {
        return Err(PersistError::Format {
            path: path.to_owned(),
            found: header.format,
        });
    }
    let snapshot: Snapshot<'static> = serde_json::from_slice(bytes).map_err(corrupt)?;
    Ok(Saved {
        region: snapshot.region.into_owned(),
        account_id: snapshot.account_id.into_owned(),
        state: snapshot.state.into_state(),
        tokens: snapshot.tokens.into_owned(),
        faults: snapshot.faults.into_owned(),
    })
}

/// The state file's layout. It borrows when writing (the state is encoded under the
/// emulator's lock without copying dataset entries) and owns when reading.
#[derive(Serialize, Deserialize)]
struct Snapshot<'a> {
    format: u32,
    region: Cow<'a, str>,
    account_id: Cow<'a, str>,
    state: StateRecord<'a>,
    tokens: Cow<'a, IdempotencyCache<Reply>>,
    faults: Cow<'a, [ScriptedFault]>,
}

/// [`State`] with its maps as lists and dataset entries in full: the admin state dump that
/// `State`'s own serialization produces shows only how many entries there are.
#[derive(Serialize, Deserialize)]
struct StateRecord<'a> {
    projects: Vec<ProjectRecord<'a>>,
    armed_failures: Cow<'a, [ArmedFailure]>,
}

#[derive(Serialize, Deserialize)]
struct ProjectRecord<'a> {
    name: Cow<'a, str>,
    arn: Cow<'a, str>,
    created: Timestamp,
    next_model_version: u32,
    datasets: Vec<DatasetRecord<'a>>,
    models: Vec<Cow<'a, Model>>,
    packaging_jobs: Vec<Cow<'a, PackagingJob>>,
}

#[derive(Serialize, Deserialize)]
struct DatasetRecord<'a> {
    dataset_type: DatasetType,
    created: Timestamp,
    phase: Cow<'a, Phase<DatasetStatus>>,
    entries: Cow<'a, BTreeMap<String, DatasetEntry>>,
}

impl<'a> StateRecord<'a> {
    fn of(state: &'a State) -> Self {
        Self {
            projects: state.projects.values().map(ProjectRecord::of).collect(),
            armed_failures: Cow::Borrowed(&state.armed_failures),
        }
    }

    fn into_state(self) -> State {
        State::restore(
            self.projects
                .into_iter()
                .map(|project| (project.name.clone().into_owned(), project.into_project()))
                .collect(),
            self.armed_failures.into_owned(),
        )
    }
}

impl<'a> ProjectRecord<'a> {
    fn of(project: &'a Project) -> Self {
        Self {
            name: Cow::Borrowed(&project.name),
            arn: Cow::Borrowed(&project.arn),
            created: project.created,
            next_model_version: project.next_model_version,
            datasets: project
                .datasets
                .values()
                .map(|dataset| DatasetRecord {
                    dataset_type: dataset.dataset_type,
                    created: dataset.created,
                    phase: Cow::Borrowed(&dataset.phase),
                    entries: Cow::Borrowed(&dataset.entries),
                })
                .collect(),
            models: project.models.values().map(Cow::Borrowed).collect(),
            packaging_jobs: project.packaging_jobs.values().map(Cow::Borrowed).collect(),
        }
    }

    fn into_project(self) -> Project {
        Project {
            name: self.name.into_owned(),
            arn: self.arn.into_owned(),
            created: self.created,
            datasets: self
                .datasets
                .into_iter()
                .map(|dataset| {
                    let dataset = Dataset {
                        dataset_type: dataset.dataset_type,
                        created: dataset.created,
                        phase: dataset.phase.into_owned(),
                        entries: dataset.entries.into_owned(),
                    };
                    (dataset.dataset_type, dataset)
                })
                .collect(),
            models: self
                .models
                .into_iter()
                .map(|model| (model.version, model.into_owned()))
                .collect(),
            packaging_jobs: self
                .packaging_jobs
                .into_iter()
                .map(|job| (job.name.clone(), job.into_owned()))
                .collect(),
            next_model_version: self.next_model_version,
        }
    }
}

/// Encodes what [`Saved`] describes, borrowing it.
pub(super) fn encode(
    region: &str,
    account_id: &str,
    state: &State,
    tokens: &IdempotencyCache<Reply>,
    faults: &[ScriptedFault],
) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&Snapshot {
        format: FORMAT,
        region: Cow::Borrowed(region),
        account_id: Cow::Borrowed(account_id),
        state: StateRecord::of(state),
        tokens: Cow::Borrowed(tokens),
        faults: Cow::Borrowed(faults),
    })
}

/// Writes encoded snapshots to the state file, newest wins.
#[derive(Debug)]
pub(super) struct Writer {
    path: PathBuf,
    /// The revision of the state last written; also serializes writers.
    written: Mutex<u64>,
}

impl Writer {
    /// A writer for `file`.
    pub fn new(file: &StateFile) -> Self {
        Self {
            path: file.path.clone(),
            written: Mutex::new(0),
        }
    }

    /// The file written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes`, the state at `revision`, unless a later revision is already on disk
    /// (concurrent requests can finish encoding out of order). Blocks on file I/O.
    pub fn write(&self, revision: u64, bytes: &[u8]) -> Result<(), PersistError> {
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        if *written >= revision {
            return Ok(());
        }
        write_atomically(&self.path, bytes).map_err(|source| PersistError::Write {
            path: self.path.clone(),
            source,
        })?;
        *written = revision;
        Ok(())
    }
}

/// Replaces `path` with `bytes` so that a crash at any moment leaves either the old or the new
/// file: write a temporary file beside it, flush it to disk, rename it over, and flush the
/// directory so the rename itself is durable.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temporary = temporary_path(path);
    let result = (|| {
        let mut file = File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    })();
    if result.is_err() {
        // Best effort: the write already failed, and that error is the one to report.
        let _ = fs::remove_file(&temporary);
    }
    result?;
    #[cfg(unix)]
    if let Some(directory) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        File::open(directory)?.sync_all()?;
    }
    Ok(())
}

/// `.NAME.PID.N.tmp` beside `path`: in the same directory, so the rename never crosses file
/// systems, and unique to this process and write, so two writers never share one.
fn temporary_path(path: &Path) -> PathBuf {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map_or_else(|| "state".into(), |name| name.to_string_lossy());
    let write = WRITES.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{write}.tmp", std::process::id()))
}

/// `Performance` lives in the synthetic-content module, which only derives `Serialize`; a
/// model's evaluation has to be read back from the state file too.
impl<'de> Deserialize<'de> for Performance {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Scores {
            f1_score: f64,
            precision: f64,
            recall: f64,
        }
        let scores = Scores::deserialize(deserializer)?;
        Ok(Self {
            f1_score: scores.f1_score,
            precision: scores.precision,
            recall: scores.recall,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::routes::Operation;
    use crate::state::ModelStatus;
    use crate::state::{
        FailureKind, GreengrassConfiguration, Label, ManifestImport, NewEntry, NewModel,
        NewPackagingJob, PackagingStatus, S3Location, S3Object, Training,
    };
    use serde_json::json;
    use std::time::Duration;

    /// A state with one of everything: a project whose train dataset (from a manifest) is
    /// being updated, a trained model, a model in training with tags, and an armed failure.
    fn busy_state(clock: &ManualClock) -> State {
        let mut state = State::default();
        let takes = Duration::from_secs(2);
        let manifest = S3Object {
            bucket: "b".into(),
            key: "m/manifest.json".into(),
        };
        state
            .create_project("p1", "arn:p1".into(), clock.now())
            .unwrap();
        state
            .create_dataset(
                "p1",
                DatasetType::Train,
                Some(ManifestImport::Synthetic(manifest)),
                clock.now(),
                Duration::ZERO,
            )
            .unwrap();
        state.advance(clock.now());
        let model = |tags: &[(&str, &str)]| NewModel {
            training: Training::Synthetic,
            description: Some("d".into()),
            output: S3Location {
                bucket: "b".into(),
                prefix: Some("out".into()),
            },
            kms_key_id: None,
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let arn = |v: u32| format!("arn:model/p1/{v}");
        state
            .create_model("p1", model(&[]), arn, clock.now(), Duration::ZERO)
            .unwrap();
        state.advance(clock.now());
        state
            .create_model("p1", model(&[("team", "vision")]), arn, clock.now(), takes)
            .unwrap();
        let job = NewPackagingJob {
            name: Some("job-1".into()),
            model_version: "1".into(),
            description: None,
            configuration: GreengrassConfiguration {
                target_device: Some("jetson_xavier".into()),
                s3_output_location: S3Location {
                    bucket: "b".into(),
                    prefix: None,
                },
                component_name: "component".into(),
                ..GreengrassConfiguration::default()
            },
        };
        let component_arn = |name: &str, version: &str| format!("arn:component:{name}:{version}");
        state
            .start_packaging_job("p1", job, component_arn, clock.now(), takes)
            .unwrap();
        let line =
            r#"{"source-ref": "s3://b/new.jpg", "l": 1, "l-metadata": {"class-name": "anomaly"}}"#;
        let entry = crate::manifest::read_line(line).unwrap().entry;
        state
            .update_dataset_entries(
                "p1",
                DatasetType::Train,
                Ok(vec![entry]),
                clock.now(),
                takes,
            )
            .unwrap();
        state.arm_failure(ArmedFailure {
            kind: FailureKind::Hosting,
            project: None,
            message: "no".into(),
        });
        state
    }

    fn saved(bytes: &[u8]) -> Saved {
        parse(Path::new("test.json"), bytes).unwrap()
    }

    #[test]
    fn everything_round_trips_and_pending_changes_keep_their_end_times() {
        let clock = ManualClock::default();
        let state = busy_state(&clock);
        let mut tokens = IdempotencyCache::default();
        tokens.record(
            Operation::CreateProject,
            "t1",
            json!({"p": 1}),
            Reply::ok(json!({"ok": true})),
            clock.now(),
        );
        let faults = vec![ScriptedFault {
            fault: serde_json::from_value(json!({"operation": "DeleteProject", "drop": true}))
                .unwrap(),
            remaining: 1,
        }];
        let bytes = encode("us-east-1", "123456789012", &state, &tokens, &faults).unwrap();
        let mut restored = saved(&bytes);

        assert_eq!(restored.region, "us-east-1");
        assert_eq!(restored.faults, faults);
        // Same dump, same entries, same token answers.
        let dump = |state: &State| serde_json::to_value(state).unwrap();
        assert_eq!(dump(&restored.state), dump(&state));
        let entries = |state: &State| {
            state.project("p1").unwrap().datasets[&DatasetType::Train]
                .entries
                .clone()
        };
        assert_eq!(entries(&restored.state), entries(&state));
        assert_eq!(
            serde_json::to_value(&restored.tokens).unwrap(),
            serde_json::to_value(&tokens).unwrap()
        );
        // Encoding the restored state gives the same bytes: nothing was lost or reordered.
        assert_eq!(
            encode(
                &restored.region,
                &restored.account_id,
                &restored.state,
                &restored.tokens,
                &restored.faults
            )
            .unwrap(),
            bytes
        );

        // The training in progress finishes at its original time, with its evaluation.
        clock.advance(Duration::from_secs(2));
        restored.state.advance(clock.now());
        let trained = restored.state.model("p1", "2").unwrap();
        assert_eq!(trained.phase.status, ModelStatus::Trained);
        assert_eq!(trained.phase.since, clock.now());
        assert!(trained.evaluation().is_some());
        assert_eq!(restored.state.project("p1").unwrap().next_model_version, 3);
        // The packaging job went through RUNNING to SUCCEEDED at its own time.
        let job = restored.state.packaging_job("p1", "job-1").unwrap();
        assert_eq!(job.phase.status, PackagingStatus::Succeeded);
        assert_eq!(job.phase.since, clock.now());
        assert!(job.output().is_some());
    }

    #[test]
    fn imported_manifests_round_trip_with_their_lines_labels_and_failures() {
        let clock = ManualClock::default();
        let mut state = State::default();
        state
            .create_project("p1", "arn:p1".into(), clock.now())
            .unwrap();
        // The label must be kept, not read again from the line.
        let line = r#"{"source-ref":"s3://b/a.png","auto-label":0,"auto-label-metadata":{"class-name":"anomaly"}}"#;
        let entry = NewEntry {
            source_ref: "s3://b/a.png".into(),
            line: line.into(),
            label: Some(Label::Anomaly),
        };
        let takes = Duration::from_secs(2);
        let imports = [
            (DatasetType::Train, ManifestImport::Read(vec![entry])),
            (
                DatasetType::Test,
                ManifestImport::Failed("Manifest line 2: it is not a JSON object".into()),
            ),
        ];
        for (kind, import) in imports {
            state
                .create_dataset("p1", kind, Some(import), clock.now(), takes)
                .unwrap();
        }
        let bytes = encode(
            "us-east-1",
            "123456789012",
            &state,
            &IdempotencyCache::default(),
            &[],
        )
        .unwrap();
        let mut restored = saved(&bytes).state;

        clock.advance(takes);
        restored.advance(clock.now());
        let datasets = &restored.project("p1").unwrap().datasets;
        let train = &datasets[&DatasetType::Train];
        assert_eq!(train.phase.status, DatasetStatus::CreateComplete);
        assert_eq!(train.entries["s3://b/a.png"].line, line);
        assert_eq!(train.image_stats().anomaly, 1);
        let test = &datasets[&DatasetType::Test];
        assert_eq!(test.phase.status, DatasetStatus::CreateFailed);
        assert_eq!(
            test.phase.status_message,
            "Manifest line 2: it is not a JSON object"
        );
        assert!(test.entries.is_empty());

        // A failed update, saved while it rolls back, completes the rollback at its time
        // with its message and the entries as they were.
        let message = "Changes line 1: source-ref s3://b/x.png does not exist";
        restored
            .update_dataset_entries(
                "p1",
                DatasetType::Train,
                Err(message.into()),
                clock.now(),
                takes,
            )
            .unwrap();
        clock.advance(takes);
        restored.advance(clock.now());
        let bytes = encode(
            "us-east-1",
            "123456789012",
            &restored,
            &IdempotencyCache::default(),
            &[],
        )
        .unwrap();
        let mut again = saved(&bytes).state;
        let train =
            |state: &State| state.project("p1").unwrap().datasets[&DatasetType::Train].clone();
        assert_eq!(
            train(&again).phase.status,
            DatasetStatus::UpdateFailedRollbackInProgress
        );
        assert_eq!(train(&again).phase.status_message, message);
        clock.advance(takes);
        again.advance(clock.now());
        let rolled_back = train(&again);
        assert_eq!(
            rolled_back.phase.status,
            DatasetStatus::UpdateFailedRollbackComplete
        );
        assert_eq!(rolled_back.phase.status_message, message);
        assert_eq!(rolled_back.entries["s3://b/a.png"].line, line);
        assert_eq!(rolled_back.entries.len(), 1);
    }

    #[test]
    fn corrupt_and_foreign_files_are_errors_naming_the_file() {
        let path = Path::new("/somewhere/state.json");
        let err = parse(path, b"{not json").unwrap_err();
        assert!(matches!(err, PersistError::Corrupt { .. }));
        assert!(err.to_string().contains("/somewhere/state.json"), "{err}");
        let err = parse(path, br#"{"format": 99}"#).unwrap_err();
        assert!(err.to_string().contains("format 99"), "{err}");
        let err = parse(path, br#"{"format": 1, "region": "us-east-1"}"#).unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
    }

    #[test]
    fn opening_reads_existing_files_and_refuses_bad_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert!(StateFile::open(&path).unwrap().loaded().is_none());

        let clock = ManualClock::default();
        let bytes = encode(
            "us-east-1",
            "123456789012",
            &busy_state(&clock),
            &IdempotencyCache::default(),
            &[],
        )
        .unwrap();
        let file = StateFile::open(&path).unwrap();
        Writer::new(&file).write(1, &bytes).unwrap();
        let reopened = StateFile::open(&path).unwrap();
        assert_eq!(reopened.loaded().unwrap().state.projects.len(), 1);
        // Only the state file is left behind: no temporary files.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["state.json"]);

        fs::write(&path, b"garbage").unwrap();
        assert!(matches!(
            StateFile::open(&path),
            Err(PersistError::Corrupt { .. })
        ));
        let missing_dir = dir.path().join("nope").join("state.json");
        assert!(matches!(
            StateFile::open(missing_dir),
            Err(PersistError::Write { .. })
        ));
    }

    #[test]
    fn older_revisions_never_overwrite_newer_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let writer = Writer::new(&StateFile::open(&path).unwrap());
        writer.write(2, b"new").unwrap();
        writer.write(1, b"old").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
    }
}
