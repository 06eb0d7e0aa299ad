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

use anyhow::Context as _;
use clap::error::ErrorKind;
use clap::{CommandFactory as _, Parser as _};
use lookoutvision_emulator::cli::{Options, OptionsError};
use lookoutvision_emulator::serve_with_shutdown;
use tokio::net::TcpListener;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::Layer;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let level = options
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

    let listen = options.listen.clone();
    // Built (and the state file opened) before the address is announced: a bad state file
    // must stop the emulator before anyone starts using it.
    let config = match options.config() {
        Ok(config) => config,
        Err(OptionsError::Faults(err)) => Options::command()
            .error(ErrorKind::ValueValidation, err)
            .exit(),
        Err(err) => return Err(err.into()),
    };

    // Handlers go in before the address is announced, so a signal sent right after reading
    // it shuts down cleanly instead of killing the process.
    let shutdown = shutdown_signal().context("installing signal handlers")?;
    let listener = TcpListener::bind(&listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{address}")?;
    stdout.flush()?;
    drop(stdout);

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
