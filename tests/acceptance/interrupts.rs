//! Ctrl-C in every phase of an apply. Each test waits in the emulator's request log (or for a
//! scripted delay to be taken) until terraform is at the step it means to interrupt, sends
//! SIGINT, and checks from the saved state that the interrupt landed there: the object is kept,
//! untainted and as planned, and the next apply finishes that same object without creating a
//! second one.

use std::time::Duration;

use harness::{signal, wait_for, Emulator, ProviderMode, Workspace};

const PROJECT_AND_DATASET: &str = r#"
resource "lookoutvision_project" "p" {
  name = "line"
}

resource "lookoutvision_dataset" "train" {
  project_name = lookoutvision_project.p.name
  dataset_type = "train"
  source {
    bucket = "images"
    key    = "line/train.manifest"
  }
}
"#;

/// A project, its train dataset and a model with `extra` inside it.
fn stack(extra: &str) -> String {
    format!(
        r#"{PROJECT_AND_DATASET}
resource "lookoutvision_model" "m" {{
  project_name = lookoutvision_project.p.name
  output_config {{
    bucket = "output"
  }}
{extra}  depends_on = [lookoutvision_dataset.train]
}}
"#
    )
}

/// An emulator whose phases take what `durations` say (flag, value), the rest none.
fn emulator(durations: &[(&str, &str)]) -> Emulator {
    let mut flags = vec![
        "--dataset-duration",
        "0s",
        "--training-duration",
        "0s",
        "--hosting-duration",
        "0s",
        "--delete-duration",
        "0s",
    ];
    for (flag, value) in durations {
        let at = flags
            .iter()
            .position(|f| f == flag)
            .unwrap_or_else(|| panic!("{flag} is not a duration flag here"));
        flags[at + 1] = value;
    }
    Emulator::start_with(&flags)
}

/// Starts `terraform apply`, waits until `reached` says it is at the step named `step`, sends
/// SIGINT, and returns everything terraform printed once it exited, which it must do with a
/// failure (an interrupted run is not a finished one).
fn interrupt_apply(ws: &Workspace, step: &str, mut reached: impl FnMut() -> bool) -> String {
    let apply = ws.spawn(&["apply", "-auto-approve", "-no-color"]);
    wait_for(Duration::from_secs(60), step, &mut reached);
    signal(apply.id(), "INT");
    let output = apply.wait_with_output().expect("terraform exits");
    let printed = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !output.status.success(),
        "an interrupted apply reports failure:\n{printed}"
    );
    assert!(
        !printed.contains("inconsistent result"),
        "the saved state disagrees with the plan:\n{printed}"
    );
    printed
}

/// The whole state entry of `address` (its values and whether it is tainted).
fn entry(ws: &Workspace, address: &str) -> serde_json::Value {
    let state = ws.state();
    state["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|resources| resources.iter().find(|r| r["address"] == address))
        .cloned()
        .unwrap_or_else(|| panic!("{address} is not in the state: {state:#}"))
}

/// Asserts that `address` is in the state, untainted, and returns its values.
fn kept(ws: &Workspace, address: &str) -> serde_json::Value {
    let entry = entry(ws, address);
    assert_ne!(entry["tainted"], true, "{address} was tainted: {entry:#}");
    entry["values"].clone()
}

/// Whether the emulator has answered `operation` and then at least one `poll` after it: the
/// provider is waiting on what `operation` started.
fn waiting_after(ws: &Workspace, operation: &str, poll: &str) -> bool {
    let requests = ws.emulator.requests();
    requests
        .iter()
        .position(|r| {
            r["operation"] == operation
                && r["status"]
                    .as_u64()
                    .is_some_and(|s| (200..300).contains(&s))
        })
        .is_some_and(|at| requests[at..].iter().any(|r| r["operation"] == poll))
}

#[test]
fn ctrl_c_while_a_hosted_model_trains_keeps_it_as_planned_and_the_next_apply_hosts_it() {
    let ws = Workspace::with(
        ProviderMode::InProcess,
        emulator(&[("--training-duration", "6s")]),
    );
    ws.write_config(&stack(
        "  min_inference_units = 1\n  tags = {\n    team = \"vision\"\n  }\n",
    ));
    ws.init();
    interrupt_apply(&ws, "the training wait", || {
        waiting_after(&ws, "CreateModel", "DescribeModel")
    });

    let model = kept(&ws, "lookoutvision_model.m");
    assert_eq!(model["status"], "TRAINING", "interrupted while training");
    assert_eq!(
        model["min_inference_units"], 1,
        "the planned hosting is kept"
    );
    assert_eq!(model["tags"]["team"], "vision", "the planned tags are kept");
    assert_eq!(ws.emulator.count("StartModel"), 0);

    // The next plan shows the unfinished change; the apply waits for it and hosts the model.
    let plan = ws.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(plan.code, 2, "a change is planned:\n{}", plan.all_output());
    assert!(
        plan.stdout.contains("will be updated in-place"),
        "{}",
        plan.stdout
    );
    ws.apply();
    assert_eq!(ws.emulator.count("CreateModel"), 1, "no second training");
    assert_eq!(ws.emulator.count("StartModel"), 1);
    let model = kept(&ws, "lookoutvision_model.m");
    assert_eq!(model["status"], "HOSTED");
    assert_eq!(ws.emulator.model_versions("line"), ["1"]);
    ws.assert_plan_empty(true);
    ws.destroy();
}

#[test]
fn ctrl_c_while_hosting_starts_keeps_the_model_and_the_next_apply_waits_for_it() {
    let ws = Workspace::with(
        ProviderMode::InProcess,
        emulator(&[("--hosting-duration", "6s")]),
    );
    ws.write_config(&stack("  min_inference_units = 1\n"));
    ws.init();
    interrupt_apply(&ws, "the hosting wait", || {
        waiting_after(&ws, "StartModel", "DescribeModel")
    });

    let model = kept(&ws, "lookoutvision_model.m");
    assert_eq!(
        model["status"], "STARTING_HOSTING",
        "interrupted while starting"
    );
    assert_eq!(model["min_inference_units"], 1);

    ws.apply();
    assert_eq!(ws.emulator.count("CreateModel"), 1, "no second training");
    assert_eq!(
        ws.emulator.count("StartModel"),
        1,
        "hosting was started once"
    );
    assert_eq!(kept(&ws, "lookoutvision_model.m")["status"], "HOSTED");
    ws.assert_plan_empty(true);
    ws.destroy();
}

#[test]
fn ctrl_c_while_hosting_changes_keeps_the_new_units_and_the_next_apply_finishes() {
    let ws = Workspace::with(
        ProviderMode::InProcess,
        emulator(&[("--hosting-duration", "4s")]),
    );
    ws.write_config(&stack("  min_inference_units = 1\n"));
    ws.init();
    ws.apply();

    // 1 -> 2 units: the model is stopped, then started again; interrupted while it stops.
    ws.write_config(&stack("  min_inference_units = 2\n"));
    interrupt_apply(&ws, "the stop wait", || {
        waiting_after(&ws, "StopModel", "DescribeModel")
    });
    let model = kept(&ws, "lookoutvision_model.m");
    assert_eq!(
        model["status"], "STOPPING_HOSTING",
        "interrupted while stopping"
    );
    assert_eq!(
        model["min_inference_units"], 2,
        "the planned units are kept"
    );

    ws.apply();
    assert_eq!(ws.emulator.count("StopModel"), 1);
    assert_eq!(
        ws.emulator.count("StartModel"),
        2,
        "started at 1, then at 2"
    );
    let described = ws.block_on(
        ws.emulator
            .sdk()
            .describe_model()
            .project_name("line")
            .model_version("1")
            .send(),
    );
    let described = described.expect("the model is described");
    let model = described.model_description().expect("a description");
    assert_eq!(model.status().map(|s| s.as_str()), Some("HOSTED"));
    assert_eq!(model.min_inference_units(), Some(2));
    ws.assert_plan_empty(true);
    ws.destroy();
}

#[test]
fn ctrl_c_during_a_tag_update_converges_on_the_next_apply() {
    let ws = Workspace::with(ProviderMode::InProcess, emulator(&[]));
    ws.write_config(&stack("  tags = {\n    team = \"vision\"\n  }\n"));
    ws.init();
    ws.apply();

    ws.write_config(&stack("  tags = {\n    team = \"quality\"\n  }\n"));
    ws.emulator.admin_post(
        "/_emulator/faults",
        r#"{"operation": "TagResource", "count": 1, "delay": "3s"}"#,
    );
    interrupt_apply(&ws, "the delayed TagResource call", || {
        ws.emulator.armed_faults() == 0
    });
    kept(&ws, "lookoutvision_model.m");

    ws.apply();
    assert_eq!(ws.emulator.count("CreateModel"), 1, "updated in place");
    let tags = ws.block_on(
        ws.emulator
            .sdk()
            .list_tags_for_resource()
            .resource_arn("arn:aws:lookoutvision:us-east-1:123456789012:model/line/1")
            .send(),
    );
    let tags = tags.expect("the tags are listed");
    let team: Vec<_> = tags
        .tags()
        .iter()
        .filter(|t| t.key() == Some("team"))
        .filter_map(|t| t.value())
        .collect();
    assert_eq!(team, ["quality"]);
    ws.assert_plan_empty(true);
    ws.destroy();
}

#[test]
fn ctrl_c_while_a_dataset_imports_keeps_it_and_the_next_apply_does_not_import_twice() {
    let ws = Workspace::with(
        ProviderMode::InProcess,
        emulator(&[("--dataset-duration", "6s")]),
    );
    ws.write_config(&stack(""));
    ws.init();
    interrupt_apply(&ws, "the dataset import wait", || {
        waiting_after(&ws, "CreateDataset", "DescribeDataset")
    });
    let dataset = kept(&ws, "lookoutvision_dataset.train");
    assert_eq!(
        dataset["status"], "CREATE_IN_PROGRESS",
        "interrupted while importing"
    );
    assert_eq!(ws.emulator.count("CreateModel"), 0);

    ws.apply();
    assert_eq!(ws.emulator.count("CreateDataset"), 1, "imported once");
    assert_eq!(ws.emulator.count("CreateModel"), 1);
    assert_eq!(
        kept(&ws, "lookoutvision_dataset.train")["status"],
        "CREATE_COMPLETE"
    );
    ws.assert_plan_empty(true);
    ws.destroy();
}

#[test]
fn a_training_that_fails_after_an_interrupt_is_planned_for_replacement() {
    let ws = Workspace::with(
        ProviderMode::InProcess,
        emulator(&[("--training-duration", "4s")]),
    );
    ws.write_config(&stack(""));
    ws.init();
    ws.emulator
        .admin_post("/_emulator/fail-next-training", "{}");
    interrupt_apply(&ws, "the training wait", || {
        waiting_after(&ws, "CreateModel", "DescribeModel")
    });
    assert_eq!(kept(&ws, "lookoutvision_model.m")["status"], "TRAINING");

    // Nobody watched the training fail; the next plan must not call the model converged.
    wait_for(Duration::from_secs(30), "the training to fail", || {
        ws.emulator.dump()["projects"][0]["models"][0]["status"] == "TRAINING_FAILED"
    });
    let plan = ws.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(plan.code, 2, "a change is planned:\n{}", plan.all_output());
    assert!(
        plan.stdout
            .contains("lookoutvision_model.m must be replaced"),
        "{}",
        plan.stdout
    );
    ws.apply();
    assert_eq!(
        ws.emulator.model_versions("line"),
        ["2"],
        "the failed version was replaced"
    );
    assert_eq!(kept(&ws, "lookoutvision_model.m")["status"], "TRAINED");
    ws.assert_plan_empty(true);
    ws.destroy();
}

#[test]
fn ctrl_c_during_a_create_call_saves_what_the_service_answered() {
    let ws = Workspace::in_process();
    ws.write_config("resource \"lookoutvision_project\" \"p\" {\n  name = \"slow\"\n}\n");
    ws.init();
    ws.emulator.admin_post(
        "/_emulator/faults",
        r#"{"operation": "CreateProject", "count": 1, "delay": "2s"}"#,
    );
    // The fault is disarmed when the call arrives: terraform is then waiting on it.
    interrupt_apply(&ws, "the delayed CreateProject call", || {
        ws.emulator.armed_faults() == 0
    });
    // The answer came within the grace a call in flight gets, so the project is saved.
    let project = kept(&ws, "lookoutvision_project.p");
    assert!(
        project["arn"].is_string(),
        "the answer was saved: {project:#}"
    );

    ws.apply();
    assert_eq!(ws.emulator.project_names(), ["slow"]);
    assert_eq!(ws.emulator.count("CreateProject"), 1, "created once");
    ws.assert_plan_empty(true);
}

#[test]
fn ctrl_c_during_a_destroy_is_finished_by_the_next_destroy() {
    let ws = Workspace::with(
        ProviderMode::InProcess,
        emulator(&[("--delete-duration", "4s")]),
    );
    ws.write_config(&stack(""));
    ws.init();
    ws.apply();

    let destroy = ws.spawn(&["destroy", "-auto-approve", "-no-color"]);
    wait_for(Duration::from_secs(60), "the model deletion wait", || {
        waiting_after(&ws, "DeleteModel", "DescribeModel")
    });
    signal(destroy.id(), "INT");
    let exit = destroy.wait_with_output().expect("terraform exits");
    assert!(
        !exit.status.success(),
        "an interrupted destroy reports failure"
    );
    // Interrupted while the model was being deleted: it and its parents are still recorded.
    assert!(ws.addresses().contains(&"lookoutvision_model.m".to_owned()));
    assert_eq!(ws.emulator.count("DeleteProject"), 0);

    // The model is still DELETING: the next destroy waits it out and removes the rest.
    ws.destroy();
    assert!(ws.emulator.project_names().is_empty());
    assert!(ws.addresses().is_empty());
}
