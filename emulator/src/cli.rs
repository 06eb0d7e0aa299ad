//! The emulator's command line: every flag of `lookoutvision-emulator`, and how the flags
//! become a [`Config`]. In the library so that tests can start an in-process emulator with
//! exactly the flags a user would pass.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

use crate::clock::{parse_duration, SystemClock};
use crate::faults::{FaultConfigError, FaultRates, RandomFaults};
use crate::persist::{PersistError, StateFile};
use crate::s3dir::{S3Dir, S3DirError};
use crate::sigv4::Credentials;
use crate::{Config, Durations, Quotas};

use tracing::level_filters::LevelFilter;

/// Emulates the Amazon Lookout for Vision API on a local address.
#[derive(Debug, Parser)]
#[command(name = "lookoutvision-emulator", version)]
pub struct Options {
    /// Address to listen on; port 0 picks a free port (the first stdout line tells which).
    #[arg(long, default_value = "127.0.0.1:5566")]
    pub listen: String,
    /// Region used in ARNs.
    #[arg(long, default_value = "us-east-1", value_parser = parse_region)]
    pub region: String,
    /// Account id used in ARNs (12 digits).
    #[arg(long, default_value = "123456789012", value_parser = parse_account_id)]
    pub account_id: String,
    /// Log to stderr at this level or above: off, error, warn, info (one line per request),
    /// debug or trace. Defaults to a plain level in RUST_LOG, else off.
    #[arg(long)]
    pub log_level: Option<LevelFilter>,
    /// How long a dataset stays CREATE_IN_PROGRESS (manifest import) or UPDATE_IN_PROGRESS,
    /// e.g. 500ms, 1s, 2m, 1m30s; 0s means the next request sees it complete.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub dataset_duration: Duration,
    /// How long a model stays TRAINING at least (with --s3-dir, training on the images can
    /// take longer, and then it stays TRAINING as long as that took).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub training_duration: Duration,
    /// How long a model stays STARTING_HOSTING or STOPPING_HOSTING.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub hosting_duration: Duration,
    /// How long a model stays DELETING, and a dataset DELETE_IN_PROGRESS, before it is gone.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub delete_duration: Duration,
    /// How long a dataset stays DELETE_IN_PROGRESS, when it should differ from
    /// --delete-duration (for example to measure a slow model deletion alone).
    #[arg(long, value_parser = parse_duration)]
    pub dataset_delete_duration: Option<Duration>,
    /// How long a model packaging job takes: CREATED for the first half, RUNNING for the
    /// second, then SUCCEEDED (or FAILED when armed).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub packaging_duration: Duration,
    /// Seeds the random faults and the latency jitter: the same seed and the same sequence
    /// of requests give the same faults.
    #[arg(long, default_value_t = 0)]
    pub fault_seed: u64,
    /// Probability (0..1) that an API request is answered 500 InternalServerException.
    #[arg(long = "fault-rate-500", default_value_t = 0.0, value_parser = parse_probability)]
    pub fault_rate_500: f64,
    /// Probability (0..1) that an API request is answered 429 ThrottlingException.
    #[arg(long = "fault-rate-429", default_value_t = 0.0, value_parser = parse_probability)]
    pub fault_rate_429: f64,
    /// Probability (0..1) that an API request's connection is closed without an answer,
    /// before it runs.
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability)]
    pub fault_rate_drop: f64,
    /// Probability (0..1) that an API request runs (and changes what it changes) but its
    /// connection is then closed without the answer, as when a network fails after the
    /// service acted. The four rates may add up to at most 1.
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability)]
    pub fault_rate_drop_after: f64,
    /// A fixed delay added before every API request is handled (admin calls excluded).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub latency: Duration,
    /// Up to this much more delay per API request, drawn uniformly from the seeded generator.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub latency_jitter: Duration,
    /// Require every API request to be SigV4-signed with this access key id (needs
    /// --secret-key). Without both, any signature or none is accepted.
    #[arg(long, requires = "secret_key")]
    pub access_key: Option<String>,
    /// The secret access key that goes with --access-key.
    #[arg(long, requires = "access_key")]
    pub secret_key: Option<String>,
    /// Load the state from this file at start (if it exists) and save it there, atomically,
    /// after every change. A file that cannot be read or parsed stops the emulator.
    #[arg(long)]
    pub state_file: Option<PathBuf>,
    /// How many of the most recent API requests GET /_emulator/requests keeps (its counts
    /// cover all of them); 0 keeps only the counts.
    #[arg(long, default_value_t = 10_000)]
    pub request_log_limit: usize,
    /// Quota: projects in the account (CreateProject answers 402
    /// ServiceQuotaExceededException beyond it).
    #[arg(long, default_value_t = Quotas::default().projects)]
    pub quota_projects: usize,
    /// Quota: model versions in one project, including those being deleted (CreateModel).
    #[arg(long, default_value_t = Quotas::default().models_per_project)]
    pub quota_models_per_project: usize,
    /// Quota: models training at the same time in the account (CreateModel).
    #[arg(long, default_value_t = Quotas::default().concurrent_trainings)]
    pub quota_concurrent_trainings: usize,
    /// Quota: inference units one model may be started with, minimum or maximum (StartModel).
    #[arg(long, default_value_t = Quotas::default().inference_units)]
    pub quota_inference_units: u32,
    /// Quota: models starting, running or stopping at the same time in the account
    /// (StartModel).
    #[arg(long, default_value_t = Quotas::default().running_models)]
    pub quota_running_models: usize,
    /// Quota: model packaging jobs in progress at the same time in the account
    /// (StartModelPackagingJob).
    #[arg(long, default_value_t = Quotas::default().concurrent_packaging_jobs)]
    pub quota_packaging_jobs: usize,
    /// A directory standing for S3: s3://bucket/key is DIR/bucket/key. CreateDataset then
    /// imports the manifest and checks its images there, CreateModel trains on the images
    /// and writes its evaluation there, and DetectAnomalies answers from what the model
    /// learnt; without it, manifest contents, scores and answers are synthesized.
    #[arg(long, value_name = "DIR")]
    pub s3_dir: Option<PathBuf>,
}

fn parse_region(value: &str) -> Result<String, String> {
    let valid = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    valid
        .then(|| value.to_owned())
        .ok_or_else(|| "expected a region such as us-east-1".to_owned())
}

fn parse_probability(value: &str) -> Result<f64, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=1.0).contains(p))
        .ok_or_else(|| "expected a probability between 0 and 1, such as 0.05".to_owned())
}

fn parse_account_id(value: &str) -> Result<String, String> {
    let valid = value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit());
    valid
        .then(|| value.to_owned())
        .ok_or_else(|| "expected 12 digits".to_owned())
}

/// Why a set of flags cannot become a [`Config`].
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    /// The fault rates add up to more than 1.
    #[error(transparent)]
    Faults(#[from] FaultConfigError),
    /// `--state-file` names a file that cannot be read, parsed or written.
    #[error("opening the state file: {0}")]
    StateFile(#[from] PersistError),
    /// `--s3-dir` names no readable directory.
    #[error(transparent)]
    S3Dir(#[from] S3DirError),
}

impl Options {
    /// The configuration these flags describe, on the system clock. Opens the state file, so
    /// that a bad one stops the emulator before it announces its address.
    pub fn config(self) -> Result<Config, OptionsError> {
        let rates = FaultRates::new(
            self.fault_rate_500,
            self.fault_rate_429,
            self.fault_rate_drop,
        )?
        .with_drop_after(self.fault_rate_drop_after)?;
        let state_file = self.state_file.map(StateFile::open).transpose()?;
        let s3_dir = self.s3_dir.map(S3Dir::new).transpose()?;
        Ok(Config {
            region: self.region,
            account_id: self.account_id,
            clock: Arc::new(SystemClock),
            durations: Durations {
                dataset: self.dataset_duration,
                training: self.training_duration,
                hosting: self.hosting_duration,
                delete: self.delete_duration,
                dataset_delete: self.dataset_delete_duration.unwrap_or(self.delete_duration),
                packaging: self.packaging_duration,
            },
            faults: RandomFaults {
                seed: self.fault_seed,
                rates,
                latency: self.latency,
                jitter: self.latency_jitter,
            },
            // clap's `requires` makes these come as a pair.
            credentials: self
                .access_key
                .zip(self.secret_key)
                .map(|(key, secret)| Credentials::new(key, secret)),
            state_file,
            request_log_limit: self.request_log_limit,
            quotas: Quotas {
                projects: self.quota_projects,
                models_per_project: self.quota_models_per_project,
                concurrent_trainings: self.quota_concurrent_trainings,
                inference_units: self.quota_inference_units,
                running_models: self.quota_running_models,
                concurrent_packaging_jobs: self.quota_packaging_jobs,
            },
            s3_dir,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(args: &[&str]) -> Options {
        Options::try_parse_from(
            std::iter::once("lookoutvision-emulator").chain(args.iter().copied()),
        )
        .expect("the flags parse")
    }

    #[test]
    fn no_flags_give_the_default_configuration() {
        let config = options(&[]).config().expect("a configuration");
        let default = Config::default();
        assert_eq!(config.durations, default.durations);
        assert_eq!(config.region, default.region);
        assert_eq!(config.account_id, default.account_id);
        assert_eq!(config.request_log_limit, default.request_log_limit);
        assert_eq!(config.quotas, default.quotas);
        assert!(config.credentials.is_none() && config.state_file.is_none());
        assert!(config.s3_dir.is_none());
    }

    #[test]
    fn the_s3_directory_must_exist() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().to_str().unwrap();
        let config = options(&["--s3-dir", dir])
            .config()
            .expect("a configuration");
        assert_eq!(
            config.s3_dir.map(|s3| s3.root().to_owned()),
            Some(temp.path().canonicalize().unwrap())
        );
        let missing = format!("{dir}/missing");
        let err = options(&["--s3-dir", &missing])
            .config()
            .expect_err("no directory");
        assert!(matches!(err, OptionsError::S3Dir(_)), "{err}");
        assert!(err.to_string().contains(&missing), "{err}");
    }

    #[test]
    fn dataset_deletion_takes_the_delete_duration_unless_given_its_own() {
        let shared = options(&["--delete-duration", "3s"])
            .config()
            .expect("a configuration");
        assert_eq!(shared.durations.dataset_delete, Duration::from_secs(3));
        let own = options(&[
            "--delete-duration",
            "3s",
            "--dataset-delete-duration",
            "250ms",
        ])
        .config()
        .expect("a configuration");
        assert_eq!(own.durations.delete, Duration::from_secs(3));
        assert_eq!(own.durations.dataset_delete, Duration::from_millis(250));
    }

    #[test]
    fn fault_rates_adding_up_to_more_than_one_are_refused() {
        let err = options(&["--fault-rate-500", "0.6", "--fault-rate-drop", "0.6"])
            .config()
            .expect_err("rates above 1 in total");
        assert!(matches!(err, OptionsError::Faults(_)), "{err}");
    }

    #[test]
    fn a_secret_key_needs_an_access_key() {
        let err = Options::try_parse_from(["lookoutvision-emulator", "--secret-key", "s"])
            .expect_err("half a key pair");
        assert!(err.to_string().contains("--access-key"), "{err}");
    }
}
