//! `cargo bench --bench perf`: measures the provider against Terraform's own floor and prints a
//! table; a full run also rewrites the generated section of `docs/guides/performance.md`.
//!
//! The machine this runs on is small and shared, so every figure is set against a baseline
//! measured in the same run (a trivial process, Terraform's built-in `terraform_data`, a training
//! that takes no time, one client), with the absolute numbers beside it. Nothing here asserts a
//! timing: budgets are reported as pass/fail in the table and the exit code only says whether the
//! measurements could be taken.
//!
//! `PERF_QUICK=1` runs the same measurements with smaller sizes as a smoke test; it prints the
//! table but leaves the documentation alone, since its figures are not the ones to publish.
//!
//! Arguments after `--` pick what to measure by name (see [`SCENARIOS`]), for instance
//! `cargo bench --bench perf -- createmodel` for the CreateModel levels alone. A run that
//! measures only some of the figures also prints its table and leaves the documentation alone.
//! `PERF_EMULATOR=PATH` measures the emulator binary at PATH instead of the one built from the
//! tree (to set a saved build against a change, run by run); such a run leaves it alone too.

mod binaries;
mod deletion;
mod emulator;
mod emulator_load;
mod handshake;
mod machine;
mod memory;
mod mtls;
mod reference;
mod report;
mod stats;
mod terraform;
mod throughput;
mod waiting;

use std::path::Path;
use std::time::{Duration, Instant};

use report::Row;

/// How much of everything to run.
pub struct Plan {
    /// `PERF_QUICK=1`: smaller sizes, no documentation written.
    pub quick: bool,
    /// Provider starts timed for the handshake figures.
    pub handshake_runs: usize,
    /// Resource counts for the throughput comparison; memory is sampled at the largest.
    pub throughput_sizes: Vec<usize>,
    /// Apply/destroy rounds per size (medians are reported).
    pub throughput_rounds: usize,
    /// Training durations (seconds) for the waiting figures.
    pub training_secs: Vec<u64>,
    /// Model deletion durations (seconds) for the destroy figures.
    pub delete_secs: Vec<u64>,
    /// Rounds of every waiting and destroy case (medians are reported).
    pub lifecycle_rounds: usize,
    /// Concurrent clients for the emulator load figures.
    pub load_clients: Vec<usize>,
    /// How long each DescribeProject level runs (reads change nothing, so time bounds them).
    pub read_window: Duration,
    /// CreateModel requests per level: each adds a model, so every level stops at the same
    /// count and ends with the same state.
    pub write_count: usize,
    /// Longest time a CreateModel level may take before it stops short of `write_count`.
    pub write_time_cap: Duration,
    /// The scenario names given as arguments; empty measures everything.
    pub only: Vec<String>,
}

impl Plan {
    /// Whether the scenario `name` (one of [`SCENARIOS`]) is to be measured.
    pub fn wants(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|only| only == name)
    }

    /// Whether every figure is measured, so that the table may replace the published one.
    fn complete(&self) -> bool {
        self.only.is_empty()
    }

    fn from_env() -> Plan {
        let quick = std::env::var("PERF_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
        if quick {
            Plan {
                quick,
                handshake_runs: 10,
                throughput_sizes: vec![20, 100],
                throughput_rounds: 1,
                training_secs: vec![2],
                delete_secs: vec![3],
                lifecycle_rounds: 1,
                load_clients: vec![1, 8, 64],
                read_window: Duration::from_secs(1),
                write_count: 2_000,
                write_time_cap: Duration::from_secs(5),
                only: Vec::new(),
            }
        } else {
            Plan {
                quick,
                handshake_runs: 50,
                throughput_sizes: vec![100, 500],
                throughput_rounds: 5,
                training_secs: vec![2, 8],
                delete_secs: vec![3, 6],
                lifecycle_rounds: 3,
                load_clients: vec![1, 8, 64],
                read_window: Duration::from_secs(3),
                write_count: 10_000,
                write_time_cap: Duration::from_secs(20),
                only: Vec::new(),
            }
        }
    }
}

/// The groups of measurements, in the order of the table: what they are called on the command
/// line (each name in [`SCENARIOS`] that selects them) and in the progress lines.
type Measure = fn(&binaries::Binaries, &Plan) -> anyhow::Result<Vec<Row>>;
const SECTIONS: [(&[&str], &str, Measure); 5] = [
    (&["handshake"], "handshake", handshake::measure),
    (
        &["throughput"],
        "throughput and memory",
        throughput::measure,
    ),
    (&["waiting"], "waiting for training", waiting::measure),
    (
        &["destroy"],
        "destroy with slow deletion",
        deletion::measure,
    ),
    (
        &["emulator", emulator_load::CREATE_MODEL],
        "emulator under load",
        emulator_load::measure,
    ),
];

/// The names the command line may pick measurements by: one per section, plus `createmodel`,
/// the emulator's CreateModel levels without the rest of its section.
const SCENARIOS: [&str; 6] = [
    "handshake",
    "throughput",
    "waiting",
    "destroy",
    "emulator",
    emulator_load::CREATE_MODEL,
];

/// The scenario names among the arguments (cargo adds `--bench` and may add other flags).
fn scenarios_from_args() -> anyhow::Result<Vec<String>> {
    let names: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .map(|arg| arg.to_lowercase())
        .collect();
    if let Some(unknown) = names
        .iter()
        .find(|name| !SCENARIOS.contains(&name.as_str()))
    {
        anyhow::bail!(
            "perf: no scenario is called {unknown:?}; the scenarios are {}",
            SCENARIOS.join(", ")
        );
    }
    Ok(names)
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs bench targets too, with
    // no such flag, and must not spend minutes measuring (or rewrite the docs): there, building
    // is the check.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!(
            "perf: not run because this is `cargo test`; measure with `cargo bench --bench perf`"
        );
        return Ok(());
    }
    let started = Instant::now();
    let plan = Plan {
        only: scenarios_from_args()?,
        ..Plan::from_env()
    };
    let bins = binaries::prepare()?;
    let machine = machine::describe(&bins.terraform)?;
    eprintln!("perf: {}", machine.summary());

    let mut rows: Vec<Row> = Vec::new();
    for (names, name, measure) in SECTIONS {
        if !names.iter().any(|scenario| plan.wants(scenario)) {
            continue;
        }
        // A full run takes minutes, so say what is under way.
        eprintln!("perf: measuring {name} ...");
        let section_started = Instant::now();
        let measured =
            measure(&bins, &plan).map_err(|err| err.context(format!("measuring {name}")))?;
        eprintln!("perf: {name} took {:.0?}", section_started.elapsed());
        rows.extend(measured);
    }

    let finished = machine::Load::now()?;
    let generated = report::generated_section(&machine, &finished, &plan, &rows, started.elapsed());
    println!("\n{generated}");
    if plan.quick {
        eprintln!("perf: PERF_QUICK run; docs/guides/performance.md was left unchanged");
    } else if !plan.complete() {
        eprintln!(
            "perf: only {} measured; docs/guides/performance.md was left unchanged",
            plan.only.join(", ")
        );
    } else if std::env::var_os("PERF_EMULATOR").is_some() {
        eprintln!("perf: PERF_EMULATOR run; docs/guides/performance.md was left unchanged");
    } else {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/guides/performance.md");
        report::write_docs(&docs, &generated)?;
        eprintln!("perf: wrote {}", docs.display());
    }
    Ok(())
}
