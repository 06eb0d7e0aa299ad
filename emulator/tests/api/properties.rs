//! Properties of the emulator's lifecycle, checked after every step of random call sequences,
//! and its behaviour under concurrent calls.
//!
//! The sequences run twice over: 128 long ones straight against the state layer (fast), and
//! a smaller number through the official SDK against an emulator on a manual clock (the real
//! wire path, including pagination). Both go through [`Api`], and one [`Checker`] keeps an
//! independent account of what exists (deletions complete exactly one delete duration after
//! they were accepted) and holds the emulator to it:
//!
//! - every call answers what its documented rules say for the state it was made in (so no
//!   project is ever deleted while it has datasets or models);
//! - model versions count up from 1 per project and are never handed out again;
//! - statuses only follow the documented transitions, and a `DELETING` model never comes
//!   back;
//! - ListProjects and ListModels list exactly the projects and models that are not gone.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_lookoutvision::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lookoutvision::primitives::Blob;
use aws_sdk_lookoutvision::types::{
    GreengrassConfiguration, ModelPackagingConfiguration, OutputConfig,
    S3Location as SdkS3Location, TargetDevice,
};
use aws_sdk_lookoutvision::Client;
use lookoutvision_emulator::clock::{Clock, ManualClock, Timestamp};
use lookoutvision_emulator::error::ApiError;
use lookoutvision_emulator::manifest::read_line;
use lookoutvision_emulator::state::{
    ArmedFailure, DatasetType, FailureKind, GreengrassConfiguration as Greengrass, InferenceUnits,
    ManifestImport, NewModel, NewPackagingJob, S3Location, S3Object, State, Training,
};
use lookoutvision_emulator::{Config, Emulator};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::support::{client, create_trainable_project, manifest, raw_http, Harness};

/// Every transition takes this long (the default durations).
const TAKES: Duration = Duration::from_secs(1);
/// The project names the sequences use.
const PROJECTS: [&str; 3] = ["p0", "p1", "p2"];
/// The dataset types.
const KINDS: [&str; 2] = ["train", "test"];
/// What the admin API can make fail.
const FAILURES: [&str; 3] = ["training", "hosting", "packaging"];

/// One step of a sequence. Dataset types are indexes into [`KINDS`]. Projects are indexes
/// into [`PROJECTS`] and model versions are numbers, but both are generated as picks and
/// made concrete by [`resolve`] just before the call, so that most calls name a project
/// or a model that exists while some still name one that does not.
#[derive(Debug, Clone)]
enum Step {
    CreateProject(usize),
    DeleteProject(usize),
    CreateDataset(usize, usize, bool),
    DeleteDataset(usize, usize),
    UpdateEntries(usize, usize),
    CreateModel(usize),
    OnModel(ModelCall, usize, u32),
    DescribeModel(usize, u32),
    ArmFailure(&'static str),
    Advance(Duration),
}

/// The calls that act on one model version.
#[derive(Debug, Clone, Copy)]
enum ModelCall {
    Delete,
    Start,
    Stop,
    Package,
}

impl ModelCall {
    /// The statuses the call succeeds from; any other is a ConflictException.
    fn allowed_from(self) -> &'static [&'static str] {
        match self {
            Self::Delete => &["TRAINED", "TRAINING_FAILED", "HOSTING_FAILED", "DELETING"],
            Self::Start => &["TRAINED", "HOSTING_FAILED"],
            Self::Stop => &["HOSTED"],
            Self::Package => &["TRAINED", "HOSTED"],
        }
    }
}

/// A generated model version below this picks the `n`th model that exists (modulo their
/// number); this picks a version that does not exist.
const MODEL_PICK: u32 = 6;
/// A generated project below this picks the `n`th project that exists, if any, and this
/// and above picks a name among all of them; CreateProject always picks among all names.
const PROJECT_PICK: usize = 12;

fn step() -> impl Strategy<Value = Step> {
    let project = 0..PROJECT_PICK + PROJECTS.len();
    let kind = prop_oneof![3 => Just(0), 1 => Just(1)];
    let version = 0..=MODEL_PICK;
    let model_call = prop_oneof![
        2 => Just(ModelCall::Delete),
        2 => Just(ModelCall::Start),
        2 => Just(ModelCall::Stop),
        1 => Just(ModelCall::Package),
    ];
    prop_oneof![
        3 => project.clone().prop_map(Step::CreateProject),
        1 => project.clone().prop_map(Step::DeleteProject),
        // Mostly empty datasets, which are complete at once.
        3 => (project.clone(), kind.clone(), prop::bool::weighted(0.25))
            .prop_map(|(p, k, manifest)| Step::CreateDataset(p, k, manifest)),
        2 => (project.clone(), kind.clone()).prop_map(|(p, k)| Step::DeleteDataset(p, k)),
        1 => (project.clone(), kind).prop_map(|(p, k)| Step::UpdateEntries(p, k)),
        4 => project.clone().prop_map(Step::CreateModel),
        6 => (model_call, project.clone(), version.clone())
            .prop_map(|(call, p, v)| Step::OnModel(call, p, v)),
        1 => (project, version).prop_map(|(p, v)| Step::DescribeModel(p, v)),
        1 => prop::sample::select(FAILURES.to_vec()).prop_map(Step::ArmFailure),
        4 => (0..2500u64).prop_map(|ms| Step::Advance(Duration::from_millis(ms))),
    ]
}

/// How a call ended, reduced to what the rules predict.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Ok,
    /// CreateModel's new version.
    Version(u32),
    /// DescribeModel's status.
    Status(String),
    Validation,
    NotFound,
    Conflict,
}

impl Answer {
    fn from_code(code: Option<&str>) -> Self {
        match code {
            Some("ValidationException") => Self::Validation,
            Some("ResourceNotFoundException") => Self::NotFound,
            Some("ConflictException") => Self::Conflict,
            other => panic!("unexpected error {other:?}"),
        }
    }
}

/// The statuses of one project's resources, read from the admin state dump.
#[derive(Debug, Clone, Default, PartialEq)]
struct ProjectSnapshot {
    datasets: BTreeMap<String, String>,
    models: BTreeMap<u32, String>,
    jobs: BTreeMap<String, String>,
}

type Snapshot = BTreeMap<String, ProjectSnapshot>;

/// Reads the projects of a state dump (`GET /_emulator/state`, or the state serialized).
fn snapshot(dump: &Value) -> Snapshot {
    let statuses = |list: &Value, key: &str| -> BTreeMap<String, String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|item| {
                let id = match &item[key] {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                (id, item["status"].as_str().unwrap().to_owned())
            })
            .collect()
    };
    dump["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|project| {
            let snapshot = ProjectSnapshot {
                datasets: statuses(&project["datasets"], "dataset_type"),
                models: statuses(&project["models"], "version")
                    .into_iter()
                    .map(|(version, status)| (version.parse().unwrap(), status))
                    .collect(),
                jobs: statuses(&project["packaging_jobs"], "name"),
            };
            (project["name"].as_str().unwrap().to_owned(), snapshot)
        })
        .collect()
}

/// The emulator as the checker drives it.
trait Api {
    /// Runs one step other than [`Step::Advance`].
    fn call(&mut self, step: &Step) -> Answer;
    /// Moves the emulator's clock forward.
    fn advance(&mut self, by: Duration);
    /// The emulator's clock.
    fn now(&self) -> Timestamp;
    /// The admin state dump, as JSON.
    fn dump(&mut self) -> Value;
    /// ListProjects, every page.
    fn list_projects(&mut self) -> Vec<String>;
    /// ListModels of an existing project, every page: the versions.
    fn list_models(&mut self, project: &str) -> Vec<u32>;
}

/// What the checker knows independently of the emulator: which resources exist, when their
/// deletion was accepted, and the last version each project handed out.
#[derive(Debug, Default)]
struct Account {
    projects: BTreeMap<String, ProjectRecord>,
}

#[derive(Debug, Default)]
struct ProjectRecord {
    /// Dataset type → when its deletion was accepted.
    datasets: BTreeMap<String, Option<Timestamp>>,
    /// Version → when its deletion was accepted.
    models: BTreeMap<u32, Option<Timestamp>>,
    /// Every version CreateModel returned, including deleted ones.
    handed_out: BTreeSet<u32>,
}

/// Whether a resource whose deletion was accepted at `deleted` still exists at `now`.
fn alive(deleted: Option<Timestamp>, now: Timestamp) -> bool {
    deleted.is_none_or(|at| now < at + TAKES)
}

impl Account {
    /// Forgets what finished deleting by `now`.
    fn settle(&mut self, now: Timestamp) {
        for project in self.projects.values_mut() {
            project.datasets.retain(|_, deleted| alive(*deleted, now));
            project.models.retain(|_, deleted| alive(*deleted, now));
        }
    }

    /// Records what an accepted call changed.
    fn record(&mut self, step: &Step, answer: &Answer, now: Timestamp) {
        let accepted = matches!(answer, Answer::Ok | Answer::Version(_));
        if !accepted {
            return;
        }
        let project = |index: usize| PROJECTS[index].to_owned();
        match step {
            Step::CreateProject(p) => {
                self.projects.insert(project(*p), ProjectRecord::default());
            }
            Step::DeleteProject(p) => {
                self.projects.remove(&project(*p));
            }
            Step::CreateDataset(p, k, _) => {
                self.projects
                    .get_mut(&project(*p))
                    .unwrap()
                    .datasets
                    .insert(KINDS[*k].to_owned(), None);
            }
            Step::DeleteDataset(p, k) => {
                let deleted = self
                    .projects
                    .get_mut(&project(*p))
                    .unwrap()
                    .datasets
                    .get_mut(KINDS[*k])
                    .unwrap();
                // A repeated delete keeps the first one's end time.
                deleted.get_or_insert(now);
            }
            Step::CreateModel(p) => {
                let Answer::Version(version) = answer else {
                    unreachable!()
                };
                let record = self.projects.get_mut(&project(*p)).unwrap();
                assert!(
                    record.handed_out.insert(*version),
                    "version {version} was handed out twice"
                );
                record.models.insert(*version, None);
            }
            Step::OnModel(ModelCall::Delete, p, v) => {
                let deleted = self
                    .projects
                    .get_mut(&project(*p))
                    .unwrap()
                    .models
                    .get_mut(v)
                    .unwrap();
                deleted.get_or_insert(now);
            }
            _ => {}
        }
    }
}

/// What the documented rules say `step` answers in the state `before` (taken at the same
/// clock time as the call) of `account`.
fn expected(step: &Step, before: &Snapshot, account: &Account) -> Answer {
    let project = |p: usize| before.get(PROJECTS[p]);
    let complete = |status: &str| status.ends_with("_COMPLETE");
    let model = |p: usize, v: &u32| project(p).and_then(|project| project.models.get(v));
    match step {
        Step::CreateProject(p) => match project(*p) {
            Some(_) => Answer::Conflict,
            None => Answer::Ok,
        },
        Step::DeleteProject(p) => match project(*p) {
            None => Answer::NotFound,
            Some(project) if !project.datasets.is_empty() || !project.models.is_empty() => {
                Answer::Conflict
            }
            Some(_) => Answer::Ok,
        },
        Step::CreateDataset(p, k, _) => match project(*p) {
            None => Answer::NotFound,
            Some(project) if project.datasets.contains_key(KINDS[*k]) => Answer::Conflict,
            Some(_) => Answer::Ok,
        },
        Step::DeleteDataset(p, k) => {
            let Some(project) = project(*p) else {
                return Answer::NotFound;
            };
            let busy_model = project
                .models
                .values()
                .any(|status| status == "TRAINING" || status == "DELETING");
            match project.datasets.get(KINDS[*k]).map(String::as_str) {
                None => Answer::NotFound,
                Some("DELETE_IN_PROGRESS") => Answer::Ok,
                Some(status) if !complete(status) || busy_model => Answer::Conflict,
                Some(_) => Answer::Ok,
            }
        }
        Step::UpdateEntries(p, k) => {
            match project(*p).map(|project| project.datasets.get(KINDS[*k])) {
                None | Some(None) => Answer::NotFound,
                Some(Some(status)) if complete(status) => Answer::Ok,
                Some(Some(_)) => Answer::Conflict,
            }
        }
        Step::CreateModel(p) => {
            let Some(project) = project(*p) else {
                return Answer::NotFound;
            };
            let train_ready = project.datasets.get("train").is_some_and(|s| complete(s));
            let test_ready = project.datasets.get("test").is_none_or(|s| complete(s));
            if train_ready && test_ready {
                // Versions count up from 1 per project, never reusing a deleted one's.
                let last = account.projects[PROJECTS[*p]].handed_out.last();
                Answer::Version(last.map_or(1, |last| last + 1))
            } else {
                Answer::Validation
            }
        }
        Step::OnModel(call, p, v) => match model(*p, v) {
            None => Answer::NotFound,
            Some(status) if call.allowed_from().contains(&status.as_str()) => Answer::Ok,
            Some(_) => Answer::Conflict,
        },
        Step::DescribeModel(p, v) => match model(*p, v) {
            None => Answer::NotFound,
            Some(status) => Answer::Status(status.clone()),
        },
        Step::ArmFailure(_) => Answer::Ok,
        Step::Advance(_) => unreachable!("the clock is not an API call"),
    }
}

/// Whether a resource may go from status `from` to `to` between two looks, a step apart.
/// `None` is "absent".
fn allowed(from: Option<&str>, to: Option<&str>) -> bool {
    if from == to {
        return true;
    }
    matches!(
        (from, to),
        // Models.
        (None, Some("TRAINING"))
            | (Some("TRAINING"), Some("TRAINED" | "TRAINING_FAILED"))
            | (Some("TRAINED"), Some("STARTING_HOSTING" | "DELETING"))
            | (Some("TRAINING_FAILED"), Some("DELETING"))
            | (Some("STARTING_HOSTING"), Some("HOSTED" | "HOSTING_FAILED"))
            | (Some("HOSTED"), Some("STOPPING_HOSTING"))
            | (Some("STOPPING_HOSTING"), Some("TRAINED"))
            | (Some("HOSTING_FAILED"), Some("STARTING_HOSTING" | "DELETING"))
            | (Some("DELETING"), None)
            // Datasets.
            | (None, Some("CREATE_COMPLETE" | "CREATE_IN_PROGRESS"))
            | (Some("CREATE_IN_PROGRESS"), Some("CREATE_COMPLETE"))
            | (Some("CREATE_COMPLETE" | "UPDATE_COMPLETE"), Some("UPDATE_IN_PROGRESS" | "DELETE_IN_PROGRESS"))
            | (Some("UPDATE_IN_PROGRESS"), Some("UPDATE_COMPLETE"))
            | (Some("DELETE_IN_PROGRESS"), None)
            // Packaging jobs; a clock step can cross both of a job's transitions.
            | (None, Some("CREATED"))
            | (Some("CREATED"), Some("RUNNING" | "SUCCEEDED" | "FAILED"))
            | (Some("RUNNING"), Some("SUCCEEDED" | "FAILED"))
    )
}

/// Asserts that every resource of `before` and `after` moved along an allowed transition.
fn check_transitions<K: Ord + std::fmt::Debug>(
    what: &str,
    before: &BTreeMap<K, String>,
    after: &BTreeMap<K, String>,
) {
    let keys: BTreeSet<_> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let (from, to) = (
            before.get(key).map(String::as_str),
            after.get(key).map(String::as_str),
        );
        assert!(allowed(from, to), "{what} {key:?}: {from:?} -> {to:?}");
    }
}

/// `step` with its picks replaced by a project and a version of `before` (see
/// [`PROJECT_PICK`] and [`MODEL_PICK`]). Projects the call can apply to are preferred: one
/// without the dataset for CreateDataset, with it for the other dataset calls, with its
/// datasets complete for CreateModel, with models for the model calls, and one without
/// datasets (but maybe with models) for DeleteProject. A version that does not exist is the
/// one after the project's last.
fn resolve(step: &Step, before: &Snapshot) -> Step {
    let project = |pick: usize, fits: &dyn Fn(&ProjectSnapshot) -> bool| {
        if pick >= PROJECT_PICK {
            return (pick - PROJECT_PICK) % PROJECTS.len();
        }
        let existing: Vec<usize> = (0..PROJECTS.len())
            .filter(|p| before.contains_key(PROJECTS[*p]))
            .collect();
        let fitting: Vec<usize> = existing
            .iter()
            .copied()
            .filter(|p| fits(&before[PROJECTS[*p]]))
            .collect();
        let pool = [fitting, existing, (0..PROJECTS.len()).collect()]
            .into_iter()
            .find(|pool| !pool.is_empty())
            .unwrap_or_default();
        pool[pick % pool.len()]
    };
    let has = |k: usize| move |project: &ProjectSnapshot| project.datasets.contains_key(KINDS[k]);
    let model = |p: usize, pick: u32| {
        let p = project(p, &|project| !project.models.is_empty());
        let versions: Vec<u32> = before
            .get(PROJECTS[p])
            .map(|project| project.models.keys().copied().collect())
            .unwrap_or_default();
        let version = match versions.last() {
            Some(_) if pick < MODEL_PICK => versions[pick as usize % versions.len()],
            last => last.map_or(1, |last| last + 1),
        };
        (p, version)
    };
    match *step {
        Step::CreateProject(pick) => Step::CreateProject(pick % PROJECTS.len()),
        Step::DeleteProject(p) => {
            Step::DeleteProject(project(p, &|project| project.datasets.is_empty()))
        }
        Step::CreateDataset(p, k, manifest) => {
            Step::CreateDataset(project(p, &|project| !has(k)(project)), k, manifest)
        }
        Step::DeleteDataset(p, k) => Step::DeleteDataset(project(p, &has(k)), k),
        Step::UpdateEntries(p, k) => Step::UpdateEntries(project(p, &has(k)), k),
        Step::CreateModel(p) => Step::CreateModel(project(p, &|project| {
            let complete = |kind| project.datasets.get(kind).map(|s| s.ends_with("_COMPLETE"));
            complete("train") == Some(true) && complete("test") != Some(false)
        })),
        Step::OnModel(call, p, pick) => {
            let (p, version) = model(p, pick);
            Step::OnModel(call, p, version)
        }
        Step::DescribeModel(p, pick) => {
            let (p, version) = model(p, pick);
            Step::DescribeModel(p, version)
        }
        ref other @ (Step::ArmFailure(_) | Step::Advance(_)) => other.clone(),
    }
}

/// Runs `steps` against `api`, checking every property after each.
fn check(api: &mut dyn Api, steps: &[Step]) {
    let mut account = Account::default();
    let mut before = snapshot(&api.dump());
    for step in steps {
        let step = &resolve(step, &before);
        let answer = match step {
            Step::Advance(by) => {
                api.advance(*by);
                None
            }
            step => Some(api.call(step)),
        };
        let now = api.now();
        if let Some(answer) = &answer {
            assert_eq!(
                answer,
                &expected(step, &before, &account),
                "{step:?} in {before:?}"
            );
            account.record(step, answer, now);
        }
        account.settle(now);

        let after = snapshot(&api.dump());
        let names: Vec<_> = account.projects.keys().cloned().collect();
        assert_eq!(
            after.keys().cloned().collect::<Vec<_>>(),
            names,
            "after {step:?}"
        );
        assert_eq!(api.list_projects(), names, "ListProjects after {step:?}");
        for (name, record) in &account.projects {
            let project = &after[name];
            let live: Vec<u32> = record.models.keys().copied().collect();
            assert_eq!(
                project.models.keys().copied().collect::<Vec<_>>(),
                live,
                "{name} after {step:?}"
            );
            assert_eq!(
                api.list_models(name),
                live,
                "ListModels of {name} after {step:?}"
            );
            assert_eq!(
                project.datasets.keys().collect::<Vec<_>>(),
                record.datasets.keys().collect::<Vec<_>>(),
                "{name} after {step:?}"
            );
        }
        let none = ProjectSnapshot::default();
        for name in PROJECTS {
            let (old, new) = (before.get(name), after.get(name));
            // A project is only ever deleted empty, so only its jobs go with it.
            if new.is_none() {
                if let Some(old) = old {
                    assert!(old.datasets.is_empty() && old.models.is_empty(), "{old:?}");
                }
                continue;
            }
            let (old, new) = (old.unwrap_or(&none), new.unwrap_or(&none));
            check_transitions("model", &old.models, &new.models);
            check_transitions("dataset", &old.datasets, &new.datasets);
            check_transitions("packaging job", &old.jobs, &new.jobs);
        }
        before = after;
    }
}

/// The state layer itself, on a manual clock: no HTTP, so long sequences are cheap.
struct StateApi {
    state: State,
    clock: ManualClock,
    config: Config,
}

impl StateApi {
    fn new() -> Self {
        Self {
            state: State::default(),
            clock: ManualClock::default(),
            config: Config::default(),
        }
    }
}

/// The JSON Line UpdateEntries steps send.
const ENTRY: &str = r#"{"source-ref": "s3://bucket/images/extra.jpg", "anomaly-label": 1, "anomaly-label-metadata": {"class-name": "anomaly"}}"#;

fn answer<T>(result: Result<T, ApiError>) -> Answer {
    match result {
        Ok(_) => Answer::Ok,
        Err(err) => Answer::from_code(Some(err.code())),
    }
}

impl Api for StateApi {
    fn call(&mut self, step: &Step) -> Answer {
        let now = self.clock.now();
        self.state.advance(now);
        let config = &self.config;
        let state = &mut self.state;
        let kind = |k: usize| DatasetType::parse(KINDS[k]).unwrap();
        match *step {
            Step::CreateProject(p) => {
                answer(state.create_project(PROJECTS[p], config.project_arn(PROJECTS[p]), now))
            }
            Step::DeleteProject(p) => answer(state.delete_project(PROJECTS[p])),
            Step::CreateDataset(p, k, manifest) => {
                let manifest = manifest.then(|| {
                    ManifestImport::Synthetic(S3Object {
                        bucket: "bucket".into(),
                        key: "train.manifest".into(),
                    })
                });
                answer(state.create_dataset(PROJECTS[p], kind(k), manifest, now, TAKES))
            }
            Step::DeleteDataset(p, k) => {
                answer(state.delete_dataset(PROJECTS[p], kind(k), now, TAKES))
            }
            Step::UpdateEntries(p, k) => {
                let entries = vec![read_line(ENTRY).unwrap().entry];
                answer(state.update_dataset_entries(PROJECTS[p], kind(k), Ok(entries), now, TAKES))
            }
            Step::CreateModel(p) => {
                let new = NewModel {
                    description: None,
                    output: S3Location {
                        bucket: "out".into(),
                        prefix: None,
                    },
                    kms_key_id: None,
                    tags: BTreeMap::new(),
                    training: Training::Synthetic,
                };
                let arn = |version| config.model_arn(PROJECTS[p], version);
                match state.create_model(PROJECTS[p], new, arn, now, TAKES) {
                    Ok(model) => Answer::Version(model.version),
                    Err(err) => answer::<()>(Err(err)),
                }
            }
            Step::OnModel(ModelCall::Delete, p, v) => {
                answer(state.delete_model(PROJECTS[p], &v.to_string(), now, TAKES))
            }
            Step::OnModel(ModelCall::Start, p, v) => {
                let units = InferenceUnits { min: 1, max: None };
                answer(state.start_model(
                    PROJECTS[p],
                    &v.to_string(),
                    units,
                    now,
                    TAKES,
                    |_| Ok(()),
                ))
            }
            Step::OnModel(ModelCall::Stop, p, v) => {
                answer(state.stop_model(PROJECTS[p], &v.to_string(), now, TAKES))
            }
            Step::OnModel(ModelCall::Package, p, v) => {
                let new = NewPackagingJob {
                    name: None,
                    model_version: v.to_string(),
                    description: None,
                    configuration: Greengrass {
                        target_device: Some("jetson_xavier".into()),
                        s3_output_location: S3Location {
                            bucket: "out".into(),
                            prefix: None,
                        },
                        component_name: format!("{}-component", PROJECTS[p]),
                        ..Greengrass::default()
                    },
                };
                let arn = |name: &str, version: &str| format!("arn:{name}:{version}");
                answer(state.start_packaging_job(PROJECTS[p], new, arn, now, TAKES))
            }
            Step::DescribeModel(p, v) => match state.model(PROJECTS[p], &v.to_string()) {
                Ok(model) => Answer::Status(status_name(&model.phase.status)),
                Err(err) => answer::<()>(Err(err)),
            },
            Step::ArmFailure(kind) => {
                let kind = match kind {
                    "training" => FailureKind::Training,
                    "hosting" => FailureKind::Hosting,
                    _ => FailureKind::Packaging,
                };
                state.arm_failure(ArmedFailure {
                    kind,
                    project: None,
                    message: "armed".into(),
                });
                Answer::Ok
            }
            Step::Advance(_) => unreachable!("the clock is not an API call"),
        }
    }

    fn advance(&mut self, by: Duration) {
        self.clock.advance(by);
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    fn dump(&mut self) -> Value {
        self.state.advance(self.clock.now());
        serde_json::to_value(&self.state).unwrap()
    }

    fn list_projects(&mut self) -> Vec<String> {
        self.state.advance(self.clock.now());
        self.state.projects.keys().cloned().collect()
    }

    fn list_models(&mut self, project: &str) -> Vec<u32> {
        self.state.advance(self.clock.now());
        self.state
            .project(project)
            .unwrap()
            .models
            .keys()
            .copied()
            .collect()
    }
}

/// A status's wire name.
fn status_name(status: &impl serde::Serialize) -> String {
    serde_json::to_value(status)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// An emulator on a manual clock, driven through the SDK (the admin API over plain HTTP).
struct SdkApi<'r> {
    runtime: &'r Runtime,
    emulator: Option<Emulator>,
    address: SocketAddr,
    clock: Arc<ManualClock>,
    client: Client,
}

impl<'r> SdkApi<'r> {
    fn start(runtime: &'r Runtime) -> Self {
        let Harness {
            emulator,
            clock,
            client,
        } = runtime.block_on(Harness::start());
        Self {
            runtime,
            address: emulator.address(),
            emulator: Some(emulator),
            clock,
            client,
        }
    }

    /// One admin call; the JSON body of its 200 answer.
    async fn admin(&self, method: &str, path: &str) -> Value {
        let answer = raw_http(self.address, method, path, &[], "").await;
        assert!(answer.head.starts_with("HTTP/1.1 200"), "{answer:?}");
        answer.json()
    }
}

impl Drop for SdkApi<'_> {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            let _ = self.runtime.block_on(emulator.stop());
        }
    }
}

fn sdk_answer<T, E: ProvideErrorMetadata, R>(result: Result<T, SdkError<E, R>>) -> Answer {
    match result {
        Ok(_) => Answer::Ok,
        Err(err) => Answer::from_code(err.code()),
    }
}

impl Api for SdkApi<'_> {
    fn call(&mut self, step: &Step) -> Answer {
        let c = &self.client;
        let version = |v: &u32| v.to_string();
        self.runtime.block_on(async {
            match step {
                Step::CreateProject(p) => {
                    sdk_answer(c.create_project().project_name(PROJECTS[*p]).send().await)
                }
                Step::DeleteProject(p) => {
                    sdk_answer(c.delete_project().project_name(PROJECTS[*p]).send().await)
                }
                Step::CreateDataset(p, k, with_manifest) => {
                    let source = with_manifest.then(|| manifest("bucket", "train.manifest"));
                    let call = c
                        .create_dataset()
                        .project_name(PROJECTS[*p])
                        .dataset_type(KINDS[*k])
                        .set_dataset_source(source);
                    sdk_answer(call.send().await)
                }
                Step::DeleteDataset(p, k) => sdk_answer(
                    c.delete_dataset()
                        .project_name(PROJECTS[*p])
                        .dataset_type(KINDS[*k])
                        .send()
                        .await,
                ),
                Step::UpdateEntries(p, k) => sdk_answer(
                    c.update_dataset_entries()
                        .project_name(PROJECTS[*p])
                        .dataset_type(KINDS[*k])
                        .changes(Blob::new(ENTRY))
                        .send()
                        .await,
                ),
                Step::CreateModel(p) => {
                    let output = OutputConfig::builder()
                        .s3_location(SdkS3Location::builder().bucket("out").build())
                        .build();
                    let created = c
                        .create_model()
                        .project_name(PROJECTS[*p])
                        .output_config(output)
                        .send()
                        .await;
                    match created {
                        Ok(out) => {
                            let metadata = out.model_metadata().unwrap();
                            Answer::Version(metadata.model_version().unwrap().parse().unwrap())
                        }
                        Err(err) => sdk_answer::<(), _, _>(Err(err)),
                    }
                }
                Step::OnModel(ModelCall::Delete, p, v) => sdk_answer(
                    c.delete_model()
                        .project_name(PROJECTS[*p])
                        .model_version(version(v))
                        .send()
                        .await,
                ),
                Step::OnModel(ModelCall::Start, p, v) => sdk_answer(
                    c.start_model()
                        .project_name(PROJECTS[*p])
                        .model_version(version(v))
                        .min_inference_units(1)
                        .send()
                        .await,
                ),
                Step::OnModel(ModelCall::Stop, p, v) => sdk_answer(
                    c.stop_model()
                        .project_name(PROJECTS[*p])
                        .model_version(version(v))
                        .send()
                        .await,
                ),
                Step::OnModel(ModelCall::Package, p, v) => {
                    let greengrass = GreengrassConfiguration::builder()
                        .target_device(TargetDevice::JetsonXavier)
                        .s3_output_location(SdkS3Location::builder().bucket("out").build())
                        .component_name(format!("{}-component", PROJECTS[*p]))
                        .build();
                    let configuration = ModelPackagingConfiguration::builder()
                        .greengrass(greengrass)
                        .build();
                    sdk_answer(
                        c.start_model_packaging_job()
                            .project_name(PROJECTS[*p])
                            .model_version(version(v))
                            .configuration(configuration)
                            .send()
                            .await,
                    )
                }
                Step::DescribeModel(p, v) => {
                    let described = c
                        .describe_model()
                        .project_name(PROJECTS[*p])
                        .model_version(version(v))
                        .send()
                        .await;
                    match described {
                        Ok(out) => {
                            let status = out.model_description().unwrap().status().unwrap();
                            Answer::Status(status.as_str().to_owned())
                        }
                        Err(err) => sdk_answer::<(), _, _>(Err(err)),
                    }
                }
                Step::ArmFailure(kind) => {
                    self.admin("POST", &format!("/_emulator/fail-next-{kind}"))
                        .await;
                    Answer::Ok
                }
                Step::Advance(_) => unreachable!("the clock is not an API call"),
            }
        })
    }

    fn advance(&mut self, by: Duration) {
        self.clock.advance(by);
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    fn dump(&mut self) -> Value {
        self.runtime.block_on(self.admin("GET", "/_emulator/state"))
    }

    fn list_projects(&mut self) -> Vec<String> {
        let list = self.client.list_projects().into_paginator().page_size(2);
        let projects: Vec<_> = self
            .runtime
            .block_on(list.items().send().collect::<Result<_, _>>())
            .unwrap();
        projects
            .iter()
            .map(|project| project.project_name().unwrap().to_owned())
            .collect()
    }

    fn list_models(&mut self, project: &str) -> Vec<u32> {
        let list = self
            .client
            .list_models()
            .project_name(project)
            .into_paginator()
            .page_size(2);
        let models: Vec<_> = self
            .runtime
            .block_on(list.items().send().collect::<Result<_, _>>())
            .unwrap();
        models
            .iter()
            .map(|model| model.model_version().unwrap().parse().unwrap())
            .collect()
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(ProptestConfig {
        cases,
        // Shrunk failures are reported in the panic message; no regression files.
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

#[test]
fn random_sequences_keep_the_lifecycle_invariants_in_the_state_layer() {
    runner(128)
        .run(&prop::collection::vec(step(), 30..=60), |steps| {
            check(&mut StateApi::new(), &steps);
            Ok(())
        })
        .unwrap();
}

#[test]
fn random_sequences_keep_the_lifecycle_invariants_through_the_sdk() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runner(32)
        .run(&prop::collection::vec(step(), 30..=50), |steps| {
            check(&mut SdkApi::start(&runtime), &steps);
            Ok(())
        })
        .unwrap();
}

mod concurrency {
    use super::*;
    use aws_sdk_lookoutvision::types::ProjectMetadata;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_create_models_get_distinct_versions_1_to_64() {
        let emulator = Emulator::start(Config::default()).await.unwrap();
        let client = client(&emulator.url());
        create_trainable_project(&client, "p1").await;
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let client = client.clone();
                tokio::spawn(async move {
                    let output = OutputConfig::builder()
                        .s3_location(SdkS3Location::builder().bucket("out").build())
                        .build();
                    let created = client
                        .create_model()
                        .project_name("p1")
                        .output_config(output)
                        .client_token(format!("model-{i}"))
                        .send()
                        .await
                        .unwrap();
                    created
                        .model_metadata()
                        .unwrap()
                        .model_version()
                        .unwrap()
                        .parse::<u32>()
                        .unwrap()
                })
            })
            .collect();
        let mut versions = BTreeSet::new();
        for task in tasks {
            assert!(
                versions.insert(task.await.unwrap()),
                "a version was handed out twice"
            );
        }
        assert_eq!(versions, (1..=64).collect());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_create_projects_of_distinct_names_all_land() {
        let emulator = Emulator::start(Config::default()).await.unwrap();
        let client = client(&emulator.url());
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let client = client.clone();
                tokio::spawn(async move {
                    client
                        .create_project()
                        .project_name(format!("p{i:02}"))
                        .send()
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let listed: Vec<String> = client
            .list_projects()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .unwrap()
            .iter()
            .map(|project| project.project_name().unwrap().to_owned())
            .collect();
        assert_eq!(
            listed,
            (0..64).map(|i| format!("p{i:02}")).collect::<Vec<_>>()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_identical_create_projects_with_one_token_create_one_and_answer_alike() {
        let emulator = Emulator::start(Config::default()).await.unwrap();
        let client = client(&emulator.url());
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move {
                    client
                        .create_project()
                        .project_name("shared")
                        .client_token("same-token")
                        .send()
                        .await
                        .unwrap()
                        .project_metadata()
                        .cloned()
                        .unwrap()
                })
            })
            .collect();
        let mut answers: Vec<ProjectMetadata> = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap());
        }
        assert!(
            answers.iter().all(|answer| answer == &answers[0]),
            "{answers:?}"
        );
        let listed = client.list_projects().send().await.unwrap();
        assert_eq!(listed.projects(), [answers[0].clone()]);
    }
}
