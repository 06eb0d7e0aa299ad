//! Waiting: how much longer than the service the provider takes to notice a training has ended.
//! A small stack (project, train dataset, model) is applied against emulators whose training takes
//! T seconds and 0 seconds; the difference, divided by T, is the waiter's overshoot. Every other
//! change takes no time, so the difference is the training wait alone.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::binaries::Binaries;
use crate::emulator::{Durations, Emulator};
use crate::report::{Budget, Row, Unit};
use crate::stats::median;
use crate::terraform::{provider_block, Workspace};
use crate::Plan;

/// The budget for (apply with T − apply with 0) / T.
const OVERSHOOT_BUDGET: f64 = 1.15;

/// The waiter's schedule as documented: the pause after waiting `e` is e/8, at least 200 ms and
/// at most 30 s.
const MIN_PAUSE: f64 = 0.2;
const MAX_PAUSE: f64 = 30.0;

/// How far the DescribeModel count may stray from the schedule's: a poll's own latency can move
/// the last poll to either side of the training's end.
const POLL_TOLERANCE: u64 = 2;

pub fn measure(bins: &Binaries, plan: &Plan) -> anyhow::Result<Vec<Row>> {
    let cases: Vec<u64> = std::iter::once(0)
        .chain(plan.training_secs.iter().copied())
        .collect();
    let mut applies: BTreeMap<u64, Vec<Duration>> = BTreeMap::new();
    let mut polls: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for _ in 0..plan.lifecycle_rounds {
        for &t in &cases {
            let (took, describes) = apply_stack(bins, t)?;
            applies.entry(t).or_default().push(took);
            polls.entry(t).or_default().push(describes);
        }
    }

    let base = median(&applies[&0]);
    let base_polls = median(&polls[&0]);
    let mut rows = Vec::new();
    for &t in &plan.training_secs {
        let extra = median(&applies[&t]).saturating_sub(base);
        rows.push(Row::time(
            format!("apply with {t} s training, minus the same with 0 s"),
            Unit::Seconds,
            extra,
            Duration::from_secs(t),
            "T",
            Budget::Ratio(OVERSHOOT_BUDGET),
        ));
        // The 0 s apply already includes the schedule's first (immediate) poll.
        let expected = base_polls + scheduled_polls(t as f64) - 1;
        let measured = median(&polls[&t]);
        rows.push(Row::new(
            format!("DescribeModel calls, {t} s training"),
            Unit::Count,
            measured as f64,
            base_polls as f64,
            "with 0 s training",
            Budget::Check {
                text: format!("{expected} ± {POLL_TOLERANCE} by the waiter's schedule"),
                pass: measured.abs_diff(expected) <= POLL_TOLERANCE,
            },
        ));
    }
    Ok(rows)
}

/// Applies the stack against a fresh emulator whose training takes `t` seconds; returns the
/// apply's time and how many DescribeModel calls it made.
fn apply_stack(bins: &Binaries, t: u64) -> anyhow::Result<(Duration, u64)> {
    let training = format!("{t}s");
    let emulator = Emulator::start(
        &bins.emulator,
        &Durations {
            training: &training,
            ..Durations::INSTANT
        },
    )?;
    let ws = Workspace::new(bins, &stack_config(&emulator.url))?;
    let took = ws.apply()?;
    Ok((took, emulator.count("DescribeModel")?))
}

/// How many polls the documented schedule makes for a change that takes `t` seconds, the first
/// one included, assuming polls take no time.
fn scheduled_polls(t: f64) -> u64 {
    let (mut elapsed, mut polls) = (0.0, 1);
    while elapsed < t {
        elapsed += (elapsed / 8.0).clamp(MIN_PAUSE, MAX_PAUSE);
        polls += 1;
    }
    polls
}

fn stack_config(url: &str) -> String {
    format!(
        r#"{}
resource "lookoutvision_project" "p" {{
  name = "perf-waiting"
}}

resource "lookoutvision_dataset" "train" {{
  project_name = lookoutvision_project.p.name
  dataset_type = "train"
  source {{
    bucket = "perf-images"
    key    = "train.manifest"
  }}
}}

resource "lookoutvision_model" "m" {{
  project_name = lookoutvision_project.p.name
  output_config {{
    bucket = "perf-output"
  }}
  depends_on = [lookoutvision_dataset.train]
}}
"#,
        provider_block(url)
    )
}
