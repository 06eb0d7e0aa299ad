//! `lookoutvision-emulator`: the Lookout for Vision API emulator as a process.
//!
//! Prints `listening on http://HOST:PORT` as its first line on stdout once it accepts
//! connections, logs to stderr when asked to (`--log-level`, or a plain level in
//! `RUST_LOG`), and exits cleanly on SIGTERM or SIGINT. Optionally it injects faults
//! (`--fault-*`, `--latency*`), checks SigV4 signatures (`--access-key`/`--secret-key`) and
//! keeps its state in a file (`--state-file`).
#![deny(rust_2018_idioms, unused_must_use)]
#![forbid(unsafe_code)]

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::error::ErrorKind;
use clap::{CommandFactory as _, Parser};
use lookoutvision::emulator::clock::{parse_duration, SystemClock};
use lookoutvision::emulator::{
    serve_with_shutdown, Config, Credentials, Durations, FaultRates, RandomFaults, StateFile,
};
use tokio::net::TcpListener;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::Layer;

/// Emulates the Amazon Lookout for Vision API on a local address.
#[derive(Debug, Parser)]
#[command(name = "lookoutvision-emulator", version)]
struct Cli {
    /// Address to listen on; port 0 picks a free port (the first stdout line tells which).
    #[arg(long, default_value = "127.0.0.1:5566")]
    listen: String,
    /// Region used in ARNs.
    #[arg(long, default_value = "us-east-1", value_parser = parse_region)]
    region: String,
    /// Account id used in ARNs (12 digits).
    #[arg(long, default_value = "123456789012", value_parser = parse_account_id)]
    account_id: String,
    /// Log to stderr at this level or above: off, error, warn, info (one line per request),
    /// debug or trace. Defaults to a plain level in RUST_LOG, else off.
    #[arg(long)]
    log_level: Option<LevelFilter>,
    /// How long a dataset stays CREATE_IN_PROGRESS (manifest import) or UPDATE_IN_PROGRESS,
    /// e.g. 500ms, 1s, 2m, 1m30s; 0s means the next request sees it complete.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    dataset_duration: Duration,
    /// How long a model stays TRAINING.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    training_duration: Duration,
    /// How long a model stays STARTING_HOSTING or STOPPING_HOSTING.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    hosting_duration: Duration,
    /// How long a model stays DELETING, and a dataset DELETE_IN_PROGRESS, before it is gone.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    delete_duration: Duration,
    /// How long a dataset stays DELETE_IN_PROGRESS, when it should differ from
    /// --delete-duration (for example to measure a slow model deletion alone).
    #[arg(long, value_parser = parse_duration)]
    dataset_delete_duration: Option<Duration>,
    /// How long a model packaging job takes: CREATED for the first half, RUNNING for the
    /// second, then SUCCEEDED (or FAILED when armed).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    packaging_duration: Duration,
    /// Seeds the random faults and the latency jitter: the same seed and the same sequence
    /// of requests give the same faults.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
    /// Probability (0..1) that an API request is answered 500 InternalServerException.
    #[arg(long = "fault-rate-500", default_value_t = 0.0, value_parser = parse_probability)]
    fault_rate_500: f64,
    /// Probability (0..1) that an API request is answered 429 ThrottlingException.
    #[arg(long = "fault-rate-429", default_value_t = 0.0, value_parser = parse_probability)]
    fault_rate_429: f64,
    /// Probability (0..1) that an API request's connection is closed without an answer. The
    /// three rates may add up to at most 1.
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability)]
    fault_rate_drop: f64,
    /// A fixed delay added before every API request is handled (admin calls excluded).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    latency: Duration,
    /// Up to this much more delay per API request, drawn uniformly from the seeded generator.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    latency_jitter: Duration,
    /// Require every API request to be SigV4-signed with this access key id (needs
    /// --secret-key). Without both, any signature or none is accepted.
    #[arg(long, requires = "secret_key")]
    access_key: Option<String>,
    /// The secret access key that goes with --access-key.
    #[arg(long, requires = "access_key")]
    secret_key: Option<String>,
    /// Load the state from this file at start (if it exists) and save it there, atomically,
    /// after every change. A file that cannot be read or parsed stops the emulator.
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// How many of the most recent API requests GET /_emulator/requests keeps (its counts
    /// cover all of them); 0 keeps only the counts.
    #[arg(long, default_value_t = 10_000)]
    request_log_limit: usize,
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let level = cli
        .log_level
        .or_else(|| {
            std::env::var("RUST_LOG")
                .ok()
                .and_then(|value| value.trim().parse().ok())
        })
        .unwrap_or(LevelFilter::OFF);
    if level != LevelFilter::OFF {
        let subscriber = tracing_subscriber::registry().with(StderrLayer.with_filter(level));
        tracing::subscriber::set_global_default(subscriber)
            .context("installing the log subscriber")?;
    }

    let rates = FaultRates::new(cli.fault_rate_500, cli.fault_rate_429, cli.fault_rate_drop)
        .unwrap_or_else(|err| Cli::command().error(ErrorKind::ValueValidation, err).exit());
    // Opened before the address is announced: a bad state file must stop the emulator
    // before anyone starts using it.
    let state_file = cli
        .state_file
        .map(StateFile::open)
        .transpose()
        .context("opening the state file")?;

    // Handlers go in before the address is announced, so a signal sent right after reading
    // it shuts down cleanly instead of killing the process.
    let shutdown = shutdown_signal().context("installing signal handlers")?;
    let listener = TcpListener::bind(&cli.listen)
        .await
        .with_context(|| format!("binding {}", cli.listen))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{address}")?;
    stdout.flush()?;
    drop(stdout);

    let config = Config {
        region: cli.region,
        account_id: cli.account_id,
        clock: Arc::new(SystemClock),
        durations: Durations {
            dataset: cli.dataset_duration,
            training: cli.training_duration,
            hosting: cli.hosting_duration,
            delete: cli.delete_duration,
            dataset_delete: cli.dataset_delete_duration.unwrap_or(cli.delete_duration),
            packaging: cli.packaging_duration,
        },
        faults: RandomFaults {
            seed: cli.fault_seed,
            rates,
            latency: cli.latency,
            jitter: cli.latency_jitter,
        },
        // clap's `requires` makes these come as a pair.
        credentials: cli
            .access_key
            .zip(cli.secret_key)
            .map(|(key, secret)| Credentials::new(key, secret)),
        state_file,
        request_log_limit: cli.request_log_limit,
    };
    serve_with_shutdown(listener, config, shutdown)
        .await
        .context("serving")?;
    tracing::info!("emulator stopped");
    Ok(())
}

/// Completes on the first SIGTERM or SIGINT.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        let name = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        };
        tracing::info!(signal = name, "shutting down");
    })
}

/// Completes on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
}

/// Writes each event as one line to stderr: `TIME LEVEL target: message key=value ...`.
struct StderrLayer;

impl<S: Subscriber> Layer<S> for StderrLayer {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut line = format!("{now} {} {}:", metadata.level(), metadata.target());
        event.record(&mut LineWriter(&mut line));
        eprintln!("{line}");
    }
}

/// Appends an event's fields to a log line.
struct LineWriter<'a>(&'a mut String);

impl Visit for LineWriter<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // Writing to a String cannot fail.
        let _ = if field.name() == "message" {
            write!(self.0, " {value:?}")
        } else {
            write!(self.0, " {}={value:?}", field.name())
        };
    }
}
