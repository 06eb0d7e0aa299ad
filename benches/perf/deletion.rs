//! Destroy of a full stack (project, train and test datasets, hosted model, as in
//! examples/stack) against emulators whose model deletion takes D seconds and every other
//! change (dataset deletions included) none.
//! The stack is applied untimed; only the destroy is timed. A destroy with D = 0 in the same run
//! gives the fixed cost of the command.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::binaries::Binaries;
use crate::emulator::{Durations, Emulator};
use crate::report::{Budget, Row, Unit};
use crate::stats::median;
use crate::terraform::{provider_block, Workspace};
use crate::Plan;

/// What the destroy may take beyond D.
const SLACK: Duration = Duration::from_secs(1);

pub fn measure(bins: &Binaries, plan: &Plan) -> anyhow::Result<Vec<Row>> {
    let cases: Vec<u64> = std::iter::once(0)
        .chain(plan.delete_secs.iter().copied())
        .collect();
    let mut destroys: BTreeMap<u64, Vec<Duration>> = BTreeMap::new();
    for _ in 0..plan.lifecycle_rounds {
        for &d in &cases {
            destroys.entry(d).or_default().push(destroy_stack(bins, d)?);
        }
    }

    let base = median(&destroys[&0]);
    let mut rows = Vec::new();
    for &d in &plan.delete_secs {
        let deletion = Duration::from_secs(d);
        let took = median(&destroys[&d]);
        rows.push(Row::time(
            format!("destroy of the full stack, model deletion takes {d} s"),
            Unit::Seconds,
            took,
            deletion,
            "D",
            Budget::Value((deletion + SLACK).as_secs_f64()),
        ));
        rows.push(Row::time(
            format!(
                "same, minus the destroy with a 0 s model deletion ({:.2} s)",
                base.as_secs_f64()
            ),
            Unit::Seconds,
            took.saturating_sub(base),
            deletion,
            "D",
            Budget::None,
        ));
    }
    Ok(rows)
}

/// Applies the stack against a fresh emulator whose deletions take `d` seconds, then times its
/// destroy.
fn destroy_stack(bins: &Binaries, d: u64) -> anyhow::Result<Duration> {
    let delete = format!("{d}s");
    let emulator = Emulator::start(
        &bins.emulator,
        &Durations {
            delete: &delete,
            ..Durations::INSTANT
        },
    )?;
    let ws = Workspace::new(bins, &stack_config(&emulator.url))?;
    ws.apply()?;
    ws.destroy()
}

fn stack_config(url: &str) -> String {
    format!(
        r#"{}
resource "lookoutvision_project" "p" {{
  name = "perf-destroy"
}}

resource "lookoutvision_dataset" "train" {{
  project_name = lookoutvision_project.p.name
  dataset_type = "train"
  source {{
    bucket = "perf-images"
    key    = "train.manifest"
  }}
}}

resource "lookoutvision_dataset" "test" {{
  project_name = lookoutvision_project.p.name
  dataset_type = "test"
  source {{
    bucket = "perf-images"
    key    = "test.manifest"
  }}
}}

resource "lookoutvision_model" "m" {{
  project_name        = lookoutvision_project.p.name
  min_inference_units = 1
  output_config {{
    bucket = "perf-output"
  }}
  tags = {{
    team = "perf"
  }}
  depends_on = [lookoutvision_dataset.train, lookoutvision_dataset.test]
}}
"#,
        provider_block(url)
    )
}
