//! Many resources: `terraform apply` and `terraform destroy` of N `lookoutvision_project`s against
//! an emulator that adds no latency, set against N `terraform_data` (Terraform's built-in
//! provider, no plugin process at all), which is the least any N resources can cost. The
//! provider's peak memory is taken at the largest N.

use std::time::Duration;

use crate::binaries::Binaries;
use crate::emulator::{Durations, Emulator};
use crate::memory;
use crate::reference;
use crate::report::{Budget, Row, Unit};
use crate::stats::median;
use crate::terraform::{provider_block, Workspace};
use crate::Plan;

/// The budget for provider time over Terraform's floor, at every N.
const RATIO_BUDGET: f64 = 1.3;

/// How far the ratio may rise from the smallest to the largest N and still count as "not
/// growing": the spread between rounds on this machine is a few percent.
const GROWTH_BUDGET: f64 = 1.1;

/// The budget for the provider's peak resident set.
const RSS_BUDGET_BYTES: f64 = 30.0 * 1024.0 * 1024.0;

const FLOOR: &str = "N terraform_data";

/// Apply and destroy times of the rounds at one N.
#[derive(Default)]
struct Rounds {
    apply: Vec<Duration>,
    destroy: Vec<Duration>,
}

impl Rounds {
    fn run(&mut self, ws: &Workspace) -> anyhow::Result<()> {
        self.apply.push(ws.apply()?);
        self.destroy.push(ws.destroy()?);
        Ok(())
    }

    fn total(&self) -> Duration {
        median(&self.apply) + median(&self.destroy)
    }
}

pub fn measure(bins: &Binaries, plan: &Plan) -> anyhow::Result<Vec<Row>> {
    let emulator = Emulator::start(&bins.emulator, &Durations::INSTANT)?;
    let mut rows = Vec::new();
    let mut ratios = Vec::new();
    for &n in &plan.throughput_sizes {
        eprintln!("perf:   N = {n}");
        let floor_ws = Workspace::new(bins, &terraform_data_config(n))?;
        let reference_ws = match bins.reference_dir() {
            Some(_) => Some(Workspace::new(bins, &reference::config(n))?),
            None => None,
        };
        let ours_ws = Workspace::new(bins, &projects_config(&emulator.url, n))?;
        let (mut floor, mut reference, mut ours) =
            (Rounds::default(), Rounds::default(), Rounds::default());
        // Alternating rounds share out the background load between the sides.
        for _ in 0..plan.throughput_rounds {
            floor.run(&floor_ws)?;
            if let Some(ws) = &reference_ws {
                reference.run(ws)?;
            }
            emulator.reset()?;
            ours.run(&ours_ws)?;
        }
        for (phase, ours, floor) in [
            ("apply", &ours.apply, &floor.apply),
            ("destroy", &ours.destroy, &floor.destroy),
        ] {
            rows.push(Row::time(
                format!("{phase}, {n} lookoutvision_project"),
                Unit::Seconds,
                median(ours),
                median(floor),
                FLOOR,
                Budget::Ratio(RATIO_BUDGET),
            ));
        }
        if reference_ws.is_some() {
            rows.extend(reference_rows(n, &floor, &reference, &ours));
        }
        ratios.push((n, ours.total().as_secs_f64() / floor.total().as_secs_f64()));
    }
    if let (Some(&(small_n, small)), Some(&(large_n, large))) = (ratios.first(), ratios.last()) {
        rows.push(Row::new(
            format!("apply+destroy ratio at N = {large_n}"),
            Unit::Factor,
            large,
            small,
            &format!("the ratio at N = {small_n}"),
            Budget::Ratio(GROWTH_BUDGET),
        ));
    }
    let largest = plan
        .throughput_sizes
        .iter()
        .copied()
        .max()
        .unwrap_or_default();
    rows.extend(memory_rows(bins, &emulator, largest)?);
    Ok(rows)
}

/// The reference provider against Terraform's floor (what any plugin costs Terraform), and the
/// provider against the reference (what the provider adds to that).
fn reference_rows(n: usize, floor: &Rounds, reference: &Rounds, ours: &Rounds) -> Vec<Row> {
    let mut rows = Vec::new();
    for (phase, floor, reference, ours) in [
        ("apply", &floor.apply, &reference.apply, &ours.apply),
        ("destroy", &floor.destroy, &reference.destroy, &ours.destroy),
    ] {
        rows.push(Row::time(
            format!(
                "{phase}, {n} {} (reference: a Go provider doing nothing)",
                reference::RESOURCE_TYPE
            ),
            Unit::Seconds,
            median(reference),
            median(floor),
            FLOOR,
            Budget::None,
        ));
        rows.push(Row::time(
            format!("{phase}, {n} lookoutvision_project, against the reference"),
            Unit::Seconds,
            median(ours),
            median(reference),
            &format!("N {}", reference::RESOURCE_TYPE),
            Budget::None,
        ));
    }
    rows
}

/// The provider's peak resident set during an apply of `n` projects, against terraform's own in
/// the same apply, and the binary's size against terraform's. A separate, untimed apply: the
/// /proc scan costs some CPU, which the timed rounds should not pay.
fn memory_rows(bins: &Binaries, emulator: &Emulator, n: usize) -> anyhow::Result<Vec<Row>> {
    emulator.reset()?;
    let ws = Workspace::new(bins, &projects_config(&emulator.url, n))?;
    let peaks = memory::run_watching(&ws, &["apply", "-auto-approve"], &bins.provider)?;
    if peaks.provider == 0 {
        anyhow::bail!("no provider process was seen during the apply of {n} projects");
    }
    Ok(vec![
        Row::new(
            format!(
                "provider peak RSS, apply of {n} projects ({} processes)",
                peaks.provider_processes
            ),
            Unit::MiB,
            peaks.provider as f64,
            peaks.terraform as f64,
            "terraform's own peak RSS, same apply",
            Budget::Value(RSS_BUDGET_BYTES),
        ),
        Row::new(
            "release provider binary size",
            Unit::MiB,
            memory::file_size(&bins.provider)? as f64,
            memory::file_size(&bins.terraform)? as f64,
            "the terraform binary",
            Budget::None,
        ),
    ])
}

fn terraform_data_config(n: usize) -> String {
    format!(
        "resource \"terraform_data\" \"r\" {{\n  count = {n}\n  input = \"perf-${{count.index}}\"\n}}\n"
    )
}

fn projects_config(url: &str, n: usize) -> String {
    format!(
        "{}\nresource \"lookoutvision_project\" \"r\" {{\n  count = {n}\n  name  = \"perf-${{count.index}}\"\n}}\n",
        provider_block(url)
    )
}
