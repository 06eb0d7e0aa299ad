//! An emulator of the Amazon Lookout for Vision REST-JSON API (2020-11-20) on loopback,
//! faithful enough that the AWS SDKs work against it unchanged.
//!
//! It shares no code with the provider (`terraform-provider-lookoutvision`): only the API's
//! facts, the standard library and external crates.
//!
//! Implemented: projects, datasets (with their entries), models (training, hosting,
//! DetectAnomalies), model packaging jobs, tagging, and the admin API described below.
//! Datasets, models and packaging jobs change status asynchronously, after the
//! [`Durations`] in the [`Config`]; every call first completes whatever transitions are due
//! by the clock, so nothing runs in the background. See `docs/guides/emulator.md`.
//!
//! # Starting one in-process
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use lookoutvision_emulator::{Config, Emulator};
//!
//! let emulator = Emulator::start(Config::default()).await?;
//! let endpoint = emulator.url(); // "http://127.0.0.1:PORT", for the SDK's endpoint_url
//! # let _ = endpoint;
//! emulator.stop().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Admin API
//!
//! `GET /_emulator/requests` (request log and counts), `GET /_emulator/requests/summary`
//! (counts by status and error code), `POST /_emulator/reset`, `GET /_emulator/state`,
//! `POST /_emulator/fail-next-training`, `POST /_emulator/fail-next-hosting` and
//! `POST /_emulator/fail-next-packaging` to make the next training, hosting or packaging job
//! fail, and `GET`/`POST`/`DELETE /_emulator/faults` for scripted faults; admin calls are not
//! logged as API requests, and faults never apply to them.
//!
//! # Faults, signatures and persistence
//!
//! All off by default. [`Config::faults`] injects random 500s, 429s, dropped connections and
//! latency from a seed; [`Config::credentials`] makes every API request need a valid SigV4
//! signature; [`Config::state_file`] keeps the state in a file across restarts.

#![deny(rust_2018_idioms, unused_must_use, missing_docs)]
#![forbid(unsafe_code)]

mod admin;
pub mod cli;
pub mod clock;
pub mod detector;
pub mod error;
mod faults;
mod handlers;
mod idempotency;
pub mod image;
pub mod manifest;
mod pagination;
mod persist;
pub mod quotas;
mod request;
mod request_log;
mod response;
mod routes;
pub mod s3dir;
mod service;
mod sigv4;
pub mod state;
mod synthetic;
mod training;
mod validate;

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use self::clock::{Clock, SystemClock};
pub use self::faults::{FaultConfigError, FaultRates, RandomFaults};
pub use self::persist::{PersistError, StateFile};
pub use self::quotas::Quotas;
use self::s3dir::S3Dir;
use self::service::Service;
pub use self::sigv4::Credentials;

/// Where and as whom the emulator runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The region that goes into ARNs.
    pub region: String,
    /// The 12-digit account id that goes into ARNs.
    pub account_id: String,
    /// The source of every timestamp and expiry.
    pub clock: Arc<dyn Clock>,
    /// How long each asynchronous status change takes.
    pub durations: Durations,
    /// Random faults and added latency for API requests.
    pub faults: RandomFaults,
    /// When set, every API request must carry a valid SigV4 signature made with these
    /// credentials; otherwise any signature, or none, is accepted.
    pub credentials: Option<Credentials>,
    /// When set, the state is loaded from this file and saved to it after every change.
    pub state_file: Option<StateFile>,
    /// How many of the most recent API requests the request log keeps (its counts cover all
    /// of them); `0` keeps only the counts.
    pub request_log_limit: usize,
    /// The service quotas enforced with ServiceQuotaExceededException.
    pub quotas: Quotas,
    /// When set, this directory stands for S3 and CreateDataset imports real manifests from
    /// it; otherwise manifest contents are synthesized from their location.
    pub s3_dir: Option<S3Dir>,
}

impl Default for Config {
    /// `us-east-1`, account `123456789012`, the system clock, default [`Durations`], no
    /// faults, no signature checks, no state file, a request log of 10,000 entries, the
    /// default [`Quotas`] and no S3 directory (synthetic manifests).
    fn default() -> Self {
        Self {
            region: "us-east-1".to_owned(),
            account_id: "123456789012".to_owned(),
            clock: Arc::new(SystemClock),
            durations: Durations::default(),
            faults: RandomFaults::default(),
            credentials: None,
            state_file: None,
            request_log_limit: 10_000,
            quotas: Quotas::default(),
            s3_dir: None,
        }
    }
}

/// How long each asynchronous status change takes, by the emulator's clock. A zero duration
/// means the very next request already sees the final status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Durations {
    /// Importing a manifest (CreateDataset) or applying UpdateDatasetEntries.
    pub dataset: Duration,
    /// Training a model (CreateModel).
    pub training: Duration,
    /// Starting (StartModel) or stopping (StopModel) hosting.
    pub hosting: Duration,
    /// Deleting a model.
    pub delete: Duration,
    /// Deleting a dataset.
    pub dataset_delete: Duration,
    /// A model packaging job: `CREATED` for the first half, `RUNNING` for the second.
    pub packaging: Duration,
}

impl Default for Durations {
    /// One second each: long enough to observe the in-progress status, short enough for tests
    /// on the system clock.
    fn default() -> Self {
        let second = Duration::from_secs(1);
        Self {
            dataset: second,
            training: second,
            hosting: second,
            delete: second,
            dataset_delete: second,
            packaging: second,
        }
    }
}

impl Config {
    /// `arn:aws:lookoutvision:{region}:{account}:project/{name}`.
    pub fn project_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:lookoutvision:{}:{}:project/{name}",
            self.region, self.account_id
        )
    }

    /// `arn:aws:lookoutvision:{region}:{account}:model/{project}/{version}`.
    pub fn model_arn(&self, project: &str, version: u32) -> String {
        format!(
            "arn:aws:lookoutvision:{}:{}:model/{project}/{version}",
            self.region, self.account_id
        )
    }
}

/// The emulator as an axum router: the admin API under `/_emulator/`, the AWS API elsewhere.
pub fn router(config: Config) -> Router {
    Router::new()
        .nest(admin::PREFIX, admin::router())
        .fallback(service::handle_api)
        .with_state(Arc::new(Service::new(config)))
}

/// Serves the emulator on `listener` until the process ends.
pub async fn serve(listener: TcpListener, config: Config) -> io::Result<()> {
    serve_with_shutdown(listener, config, std::future::pending()).await
}

/// Serves the emulator on `listener` until `shutdown` completes, then finishes the requests
/// in flight and returns.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    tracing::info!(
        address = %listener.local_addr()?,
        region = %config.region,
        account_id = %config.account_id,
        durations = ?config.durations,
        faults = ?config.faults,
        signatures_checked = config.credentials.is_some(),
        state_file = ?config.state_file.as_ref().map(StateFile::path),
        request_log_limit = config.request_log_limit,
        quotas = ?config.quotas,
        s3_dir = ?config.s3_dir.as_ref().map(S3Dir::root),
        "emulator serving"
    );
    axum::serve(listener, router(config))
        .with_graceful_shutdown(shutdown)
        .await
}

/// An emulator running in the background of the current tokio runtime, on an ephemeral
/// loopback port. Dropping it shuts the server down.
#[derive(Debug)]
pub struct Emulator {
    address: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

impl Emulator {
    /// Binds `127.0.0.1:0` and starts serving there.
    pub async fn start(config: Config) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let (shutdown, stop) = oneshot::channel::<()>();
        // The server stops on an explicit stop and also when the sender is dropped with the handle.
        let task = tokio::spawn(serve_with_shutdown(listener, config, async move {
            let _ = stop.await;
        }));
        Ok(Self {
            address,
            shutdown,
            task,
        })
    }

    /// The address the emulator listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The endpoint URL to give an SDK: `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Stops the server and waits until it has finished.
    pub async fn stop(self) -> io::Result<()> {
        // An error only means the server already stopped on its own.
        let _ = self.shutdown.send(());
        self.task.await.map_err(io::Error::other)?
    }
}
