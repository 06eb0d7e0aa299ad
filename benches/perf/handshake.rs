//! Start-up: from starting the provider binary with Terraform's environment to its handshake line,
//! and to the first `GetProviderSchema` answered over mutual TLS. Terraform starts the provider
//! once per phase (plan alone starts three), so this is paid several times per command.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use base64::Engine as _;
use lookoutvision::proto::plugin::grpc_controller_client::GrpcControllerClient;
use lookoutvision::proto::plugin::Empty;
use lookoutvision::proto::tfplugin6::get_provider_schema;
use lookoutvision::proto::tfplugin6::provider_client::ProviderClient;
use rustls::pki_types::CertificateDer;
use tokio::runtime::Runtime;

use crate::binaries::Binaries;
use crate::mtls::{self, ClientIdentity};
use crate::report::{Budget, Row, Unit};
use crate::stats::quantile;
use crate::Plan;

const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// The budget for the handshake line.
const LINE_BUDGET: Duration = Duration::from_millis(10);

/// How long a provider may take to exit after go-plugin's Shutdown (Terraform kills it after 2 s).
const EXIT_LIMIT: Duration = Duration::from_secs(5);

/// When one start reached each milestone, counted from the spawn.
struct Start {
    line: Duration,
    schema: Duration,
}

pub fn measure(bins: &Binaries, plan: &Plan) -> anyhow::Result<Vec<Row>> {
    let client = ClientIdentity::terraform_like();
    // One untimed round first: the first start after a build reads the binary from disk, which
    // no later start in Terraform's life does.
    spawn_trivial()?;
    start_provider(&bins.provider, &client)?;

    let (mut trivial, mut line, mut schema) = (Vec::new(), Vec::new(), Vec::new());
    // Interleaved, so that the baseline sees the same background load as the provider.
    for _ in 0..plan.handshake_runs {
        trivial.push(spawn_trivial()?);
        let start = start_provider(&bins.provider, &client)?;
        line.push(start.line);
        schema.push(start.schema);
    }

    let mut rows = Vec::new();
    for (metric, samples, budget) in [
        ("provider start to handshake line", &line, Some(LINE_BUDGET)),
        (
            "provider start to first GetProviderSchema over mTLS",
            &schema,
            None,
        ),
    ] {
        for (name, q) in [("median", 0.5), ("p90", 0.9)] {
            rows.push(Row::time(
                format!("{metric}, {name} of {}", samples.len()),
                Unit::Millis,
                quantile(samples, q),
                quantile(&trivial, q),
                &format!("spawn and reap /bin/true, {name}"),
                budget.map_or(Budget::None, |max| Budget::Value(max.as_secs_f64())),
            ));
        }
    }
    Ok(rows)
}

/// Spawns and reaps `/bin/true` with the same stdio and environment handling as the provider:
/// the floor of starting any process on this machine.
fn spawn_trivial() -> anyhow::Result<Duration> {
    let started = Instant::now();
    let status = Command::new("/bin/true")
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .status()
        .context("running /bin/true")?;
    let elapsed = started.elapsed();
    if !status.success() {
        bail!("/bin/true failed: {status}");
    }
    Ok(elapsed)
}

/// Starts the provider as Terraform does, times the handshake line and the first schema call
/// over mutual TLS, then shuts it down through go-plugin's controller and reaps it.
fn start_provider(provider: &Path, client: &ClientIdentity) -> anyhow::Result<Start> {
    // A runtime per start, dropped before reaping: dropping it closes the client connection, as
    // Terraform closes its own right after Shutdown, and the provider drains connections before
    // it exits.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    let mut child = Command::new(provider)
        .env_clear()
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", &client.pem)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", provider.display()))?;
    let mut line = String::new();
    let read = child
        .stdout
        .take()
        .map(|stdout| BufReader::new(stdout).read_line(&mut line));
    let to_line = started.elapsed();
    let outcome = match read {
        Some(Ok(n)) if n > 0 => talk(&line, client, &runtime, started),
        _ => Err(anyhow::anyhow!("the provider printed no handshake line")),
    };
    drop(runtime);
    let reaped = reap(child);
    let to_schema = outcome?;
    reaped?;
    Ok(Start {
        line: to_line,
        schema: to_schema,
    })
}

/// Connects to the announced socket, asks for the schema (timed from `started`) and sends
/// Shutdown.
fn talk(
    line: &str,
    client: &ClientIdentity,
    runtime: &Runtime,
    started: Instant,
) -> anyhow::Result<Duration> {
    let (socket, server_cert) = parse_handshake(line)?;
    runtime.block_on(async {
        let channel = mtls::connect(&socket, server_cert, client).await?;
        ProviderClient::new(channel.clone())
            .get_provider_schema(get_provider_schema::Request::default())
            .await
            .context("GetProviderSchema")?;
        let to_schema = started.elapsed();
        GrpcControllerClient::new(channel)
            .shutdown(Empty {})
            .await
            .context("Shutdown")?;
        Ok(to_schema)
    })
}

/// The socket path and server certificate of `1|6|unix|PATH|grpc|CERT`.
fn parse_handshake(line: &str) -> anyhow::Result<(String, CertificateDer<'static>)> {
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    let [_, "6", "unix", socket, "grpc", cert] = fields[..] else {
        bail!("unexpected handshake line {line:?} (expected protocol 6 on a unix socket)");
    };
    let der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(cert)
        .with_context(|| format!("the CERT field of {line:?} is not unpadded base64"))?;
    Ok((socket.to_owned(), CertificateDer::from(der)))
}

/// Waits for the provider to exit after Shutdown, killing it if it does not.
fn reap(mut child: Child) -> anyhow::Result<()> {
    let deadline = Instant::now() + EXIT_LIMIT;
    while Instant::now() < deadline {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill();
    let _ = child.wait();
    bail!("the provider did not exit within {EXIT_LIMIT:?} of Shutdown")
}
