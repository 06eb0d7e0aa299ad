//! The emulator under load: requests per second for DescribeProject (a read) and CreateModel (a
//! write that adds a model each time) from 1, 8 and 64 concurrent keep-alive clients on loopback,
//! each level bounded by time (reads) or by a request count (writes), and the emulator's peak
//! memory.
//!
//! The clients are a bare hyper HTTP/1.1 client on a single-threaded runtime, so that the load
//! generator takes at most one of the machine's cores and as little of it as it can; the AWS SDK
//! would spend more on signing and retries than the emulator spends answering.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::binaries::Binaries;
use crate::emulator::{Durations, Emulator};
use crate::memory;
use crate::report::{Budget, Row, Unit};
use crate::Plan;

const PROJECT: &str = "perf-load";

/// The scenario name (`cargo bench --bench perf -- createmodel`) of the CreateModel levels
/// alone, without the reads, the crowded read and the memory figures of this section.
pub const CREATE_MODEL: &str = "createmodel";

/// What the clients ask for.
#[derive(Debug, Clone, Copy)]
enum Operation {
    DescribeProject,
    CreateModel,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::DescribeProject => "DescribeProject",
            Operation::CreateModel => "CreateModel",
        }
    }

    /// Reads change nothing, so time bounds them; writes stop at a count, so that every level
    /// ends with the same number of models.
    fn bounds(self, plan: &Plan) -> Bounds {
        match self {
            Operation::DescribeProject => Bounds {
                requests: usize::MAX,
                time: plan.read_window,
            },
            Operation::CreateModel => Bounds {
                requests: plan.write_count,
                time: plan.write_time_cap,
            },
        }
    }

    fn request(self) -> Call {
        match self {
            Operation::DescribeProject => Call::get(format!("/2020-11-20/projects/{PROJECT}")),
            // A fresh client token each time, as the SDK sends, so the emulator does its
            // idempotency bookkeeping as it would for real clients.
            Operation::CreateModel => Call::post(
                format!("/2020-11-20/projects/{PROJECT}/models"),
                r#"{"OutputConfig": {"S3Location": {"Bucket": "perf-output"}}}"#,
                StatusCode::ACCEPTED,
            )
            .with_token(),
        }
    }
}

/// One request and the status that means success.
struct Call {
    method: Method,
    path: String,
    body: &'static str,
    token: bool,
    expect: StatusCode,
}

impl Call {
    fn get(path: String) -> Call {
        Call {
            method: Method::GET,
            path,
            body: "",
            token: false,
            expect: StatusCode::OK,
        }
    }

    fn post(path: String, body: &'static str, expect: StatusCode) -> Call {
        Call {
            method: Method::POST,
            path,
            body,
            token: false,
            expect,
        }
    }

    fn with_token(self) -> Call {
        Call {
            token: true,
            ..self
        }
    }

    fn build(&self, authority: &str) -> anyhow::Result<Request<Full<Bytes>>> {
        let mut request = Request::builder()
            .method(self.method.clone())
            .uri(&self.path)
            .header(hyper::header::HOST, authority)
            .header(hyper::header::CONTENT_TYPE, "application/json");
        if self.token {
            request = request.header("x-amzn-client-token", uuid::Uuid::new_v4().to_string());
        }
        Ok(request.body(Full::new(Bytes::from_static(self.body.as_bytes())))?)
    }
}

pub fn measure(bins: &Binaries, plan: &Plan) -> anyhow::Result<Vec<Row>> {
    let emulator = Emulator::start(&bins.emulator, &Durations::INSTANT)?;
    if !plan.wants("emulator") {
        // Only the CreateModel levels were asked for.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let writes = levels(&runtime, &emulator, Operation::CreateModel, plan)?;
        return Ok(level_rows(
            Operation::CreateModel,
            &writes,
            Some(WRITE_BUDGET),
        ));
    }
    let idle = memory::vm_hwm(emulator.pid()).context("reading the emulator's memory use")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let rss = || memory::vm_rss(emulator.pid()).context("reading the emulator's memory use");
    let reads = levels(&runtime, &emulator, Operation::DescribeProject, plan)?;
    let after_reads = rss()?;
    let writes = levels(&runtime, &emulator, Operation::CreateModel, plan)?;
    // The last CreateModel level left its models behind: one client reading now shows what a
    // request costs once the emulator holds that many resources.
    let models = writes.last().map_or(0, |(_, level)| level.requests);
    let read = Operation::DescribeProject;
    let crowded = runtime.block_on(run_level(emulator.authority(), read, 1, read.bounds(plan)))?;
    let holding = rss()?;
    let peak = memory::vm_hwm(emulator.pid()).context("reading the emulator's memory use")?;
    emulator.reset()?;
    let after_reset = rss()?;

    let mut rows = level_rows(Operation::DescribeProject, &reads, None);
    rows.extend(level_rows(
        Operation::CreateModel,
        &writes,
        Some(WRITE_BUDGET),
    ));
    if let Some(&(clients, empty)) = reads.first() {
        let ratio = crowded.rate() / empty.rate();
        rows.push(Row::new(
            format!(
                "emulator DescribeProject, 1 client, {models} models in the project ({} requests in {:.1} s)",
                crowded.requests,
                crowded.elapsed.as_secs_f64()
            ),
            Unit::PerSecond,
            crowded.rate(),
            empty.rate(),
            &format!("{}, no models", clients_label(clients)),
            Budget::Check {
                text: "ratio ≥ 0.9".to_owned(),
                pass: ratio >= 0.9,
            },
        ));
    }
    // What the memory is: connections and buffers (after the read levels, which keep no
    // state), the models and client tokens a write level leaves, and what a reset gives back.
    rows.push(Row::new(
        "emulator RSS after the DescribeProject levels (no resources, full request log)".to_owned(),
        Unit::MiB,
        after_reads as f64,
        idle as f64,
        "just started, idle",
        Budget::None,
    ));
    rows.push(Row::new(
        format!("emulator RSS holding {models} models and their client tokens"),
        Unit::MiB,
        holding as f64,
        after_reads as f64,
        "after the reads",
        Budget::None,
    ));
    rows.push(Row::new(
        "emulator RSS after a reset".to_owned(),
        Unit::MiB,
        after_reset as f64,
        holding as f64,
        "holding the models",
        Budget::None,
    ));
    // The emulator keeps every request for GET /_emulator/requests until a reset, so its memory
    // follows the most requests served between two resets.
    let most_logged = reads
        .iter()
        .chain(&writes)
        .map(|(_, level)| level.requests)
        .chain([models + crowded.requests])
        .max()
        .unwrap_or_default();
    rows.push(Row::new(
        format!("emulator peak RSS, up to {most_logged} requests logged between resets"),
        Unit::MiB,
        peak as f64,
        idle as f64,
        "just started, idle",
        Budget::None,
    ));
    Ok(rows)
}

/// The CreateModel budget: writes take the one state lock; what runs outside it (HTTP, JSON, the
/// request log) should let 8 clients get through at least twice as many as one.
const WRITE_BUDGET: (usize, f64) = (8, 2.0);

/// Runs `operation` at every client count of the plan, each from a freshly reset emulator so
/// that every level starts from the same state.
fn levels(
    runtime: &tokio::runtime::Runtime,
    emulator: &Emulator,
    operation: Operation,
    plan: &Plan,
) -> anyhow::Result<Vec<(usize, Level)>> {
    plan.load_clients
        .iter()
        .map(|&clients| {
            emulator.reset()?;
            runtime.block_on(prepare(emulator.authority()))?;
            let cpu_before = [Cpu::of(emulator.pid()), Cpu::of(std::process::id())];
            let level = runtime.block_on(run_level(
                emulator.authority(),
                operation,
                clients,
                operation.bounds(plan),
            ))?;
            let cpu_after = [Cpu::of(emulator.pid()), Cpu::of(std::process::id())];
            // Where the time went, for profiling: not part of the table.
            if let ([Some(e0), Some(g0)], [Some(e1), Some(g1)]) = (cpu_before, cpu_after) {
                let per = |ns: u64| ns as f64 / 1e3 / level.requests.max(1) as f64;
                eprintln!(
                    "perf: {} {}: {:.0}/s; per request, emulator {:.1} µs on CPU and {:.1} µs \
                     runnable but waiting, {:.2} switches; load generator {:.1} µs on CPU",
                    operation.name(),
                    clients_label(clients),
                    level.rate(),
                    per(e1.run_ns - e0.run_ns),
                    per(e1.wait_ns - e0.wait_ns),
                    (e1.slices - e0.slices) as f64 / level.requests.max(1) as f64,
                    per(g1.run_ns - g0.run_ns),
                );
            }
            Ok((clients, level))
        })
        .collect()
}

/// One row per level, against the first level (one client); `budget` is a client count and
/// the least ratio to the first level it must reach.
fn level_rows(
    operation: Operation,
    levels: &[(usize, Level)],
    budget: Option<(usize, f64)>,
) -> Vec<Row> {
    let Some(&(base_clients, base)) = levels.first() else {
        return Vec::new();
    };
    levels
        .iter()
        .map(|&(clients, level)| {
            Row::new(
                format!(
                    "emulator {}, {} ({} requests in {:.1} s)",
                    operation.name(),
                    clients_label(clients),
                    level.requests,
                    level.elapsed.as_secs_f64()
                ),
                Unit::PerSecond,
                level.rate(),
                base.rate(),
                &clients_label(base_clients),
                match budget {
                    Some((at, least)) if at == clients => Budget::Check {
                        text: format!("ratio ≥ {least}"),
                        pass: level.rate() / base.rate() >= least,
                    },
                    _ => Budget::None,
                },
            )
        })
        .collect()
}

fn clients_label(clients: usize) -> String {
    format!("{clients} client{}", if clients == 1 { "" } else { "s" })
}

/// CPU time of a process over all its threads, from `/proc/PID/task/*/schedstat`.
#[derive(Debug, Clone, Copy)]
struct Cpu {
    /// Time on a CPU.
    run_ns: u64,
    /// Time runnable but waiting for a CPU.
    wait_ns: u64,
    /// Times it was put on a CPU.
    slices: u64,
}

impl Cpu {
    /// The sum over the threads of `pid` that are alive now, or `None` where /proc cannot say.
    fn of(pid: u32) -> Option<Cpu> {
        let mut total = Cpu {
            run_ns: 0,
            wait_ns: 0,
            slices: 0,
        };
        for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
            let Ok(text) = std::fs::read_to_string(task.ok()?.path().join("schedstat")) else {
                continue;
            };
            let fields: Vec<u64> = text
                .split_whitespace()
                .filter_map(|field| field.parse().ok())
                .collect();
            let [run, wait, slices] = fields[..] else {
                return None;
            };
            total.run_ns += run;
            total.wait_ns += wait;
            total.slices += slices;
        }
        Some(total)
    }
}

/// When a level stops: after `requests` answers or at `time`, whichever comes first.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    requests: usize,
    time: Duration,
}

/// What one level achieved.
#[derive(Debug, Clone, Copy)]
struct Level {
    requests: usize,
    elapsed: Duration,
}

impl Level {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// The project and a complete train dataset (no manifest, so complete at once) CreateModel needs.
async fn prepare(authority: &str) -> anyhow::Result<()> {
    let mut sender = connect(authority).await?;
    let project_body = r#"{"ProjectName": "perf-load"}"#;
    exchange(
        &mut sender,
        authority,
        &Call::post("/2020-11-20/projects".into(), project_body, StatusCode::OK),
    )
    .await?;
    let dataset = Call::post(
        format!("/2020-11-20/projects/{PROJECT}/datasets"),
        r#"{"DatasetType": "train"}"#,
        StatusCode::ACCEPTED,
    );
    exchange(&mut sender, authority, &dataset).await
}

/// Runs `clients` connections, each sending one request after another, until `bounds` stop
/// them.
async fn run_level(
    authority: &str,
    operation: Operation,
    clients: usize,
    bounds: Bounds,
) -> anyhow::Result<Level> {
    let issued = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + bounds.time;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (authority, issued, limit) =
                (authority.to_owned(), issued.clone(), bounds.requests);
            tokio::spawn(async move {
                let mut sender = connect(&authority).await?;
                let mut done = 0;
                while issued.fetch_add(1, Ordering::Relaxed) < limit && Instant::now() < deadline {
                    exchange(&mut sender, &authority, &operation.request()).await?;
                    done += 1;
                }
                anyhow::Ok(done)
            })
        })
        .collect();
    let mut requests = 0;
    for task in tasks {
        requests += task.await.context("a load client panicked")??;
    }
    Ok(Level {
        requests,
        elapsed: started.elapsed(),
    })
}

/// A keep-alive HTTP/1.1 connection.
async fn connect(authority: &str) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(authority)
        .await
        .context("connecting to the emulator")?;
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// Sends `call` and reads the whole answer, which must have the expected status.
async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    authority: &str,
    call: &Call,
) -> anyhow::Result<()> {
    sender.ready().await?;
    let response = sender.send_request(call.build(authority)?).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    if status != call.expect {
        bail!(
            "{} {} answered {status}: {}",
            call.method,
            call.path,
            String::from_utf8_lossy(&body)
        );
    }
    Ok(())
}
