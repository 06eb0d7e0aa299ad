//! Reliability: interrupts, provider crashes, conflicts and faults, with nothing orphaned or
//! duplicated. The real terraform CLI drives the provider against the emulator.

use std::time::Duration;

use harness::{provider_children, signal, wait_for, Emulator, ProviderMode, Workspace};

const STACK: &str = r#"
resource "lookoutvision_project" "p" {
  name = "boards"
}

resource "lookoutvision_dataset" "train" {
  project_name = lookoutvision_project.p.name
  dataset_type = "train"
}

resource "lookoutvision_model" "m" {
  project_name = lookoutvision_project.p.name
  output_config {
    bucket = "output"
  }
  depends_on = [lookoutvision_dataset.train]
}
"#;

/// The addresses in the state, sorted.
fn addresses(ws: &Workspace) -> Vec<String> {
    let mut addresses = ws.addresses();
    addresses.sort();
    addresses
}

/// Asserts that the emulator holds exactly the objects the state knows about.
fn assert_state_matches_emulator(ws: &Workspace) {
    let state = ws.state();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ids = |kind: &str| -> Vec<String> {
        let mut ids: Vec<String> = resources
            .iter()
            .filter(|r| r["type"] == kind)
            .map(|r| r["values"]["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let dump = ws.emulator.dump();
    let mut projects = Vec::new();
    let mut datasets = Vec::new();
    let mut models = Vec::new();
    for project in dump["projects"].as_array().into_iter().flatten() {
        let name = project["name"].as_str().unwrap_or_default();
        projects.push(name.to_owned());
        for dataset in project["datasets"].as_array().into_iter().flatten() {
            let kind = dataset["type"]
                .as_str()
                .or(dataset["dataset_type"].as_str());
            datasets.push(format!("{name}:{}", kind.unwrap_or_default()));
        }
        for model in project["models"].as_array().into_iter().flatten() {
            models.push(format!(
                "{name}:{}",
                model["version"].to_string().trim_matches('"')
            ));
        }
    }
    projects.sort();
    datasets.sort();
    models.sort();
    assert_eq!(ids("lookoutvision_project"), projects, "projects differ");
    assert_eq!(ids("lookoutvision_dataset"), datasets, "datasets differ");
    assert_eq!(ids("lookoutvision_model"), models, "models differ");
}

#[test]
fn a_provider_killed_while_hosting_starts_is_reported_not_silently_duplicated() {
    let ws = Workspace::with(
        crate::provider_binary(),
        Emulator::start_with(&[
            "--dataset-duration",
            "0s",
            "--training-duration",
            "0s",
            "--hosting-duration",
            "8s",
            "--delete-duration",
            "0s",
        ]),
    );
    let hosted = STACK.replace(
        "  depends_on = [lookoutvision_dataset.train]",
        "  min_inference_units = 1\n  depends_on = [lookoutvision_dataset.train]",
    );
    ws.write_config(&hosted);
    let apply = ws.spawn(&["apply", "-auto-approve", "-no-color"]);
    wait_for(Duration::from_secs(60), "StartModel", || {
        ws.emulator.count("StartModel") > 0
    });
    let providers = provider_children(apply.id());
    assert!(!providers.is_empty(), "terraform runs the provider binary");
    for pid in providers {
        signal(pid, "KILL");
    }
    let output = apply.wait_with_output().expect("terraform exits");
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("plugin") || text.contains("Plugin"),
        "terraform reports the dead plugin: {text}"
    );

    // Terraform saved what completed before the crash; the model starting to host never
    // reached it.
    assert_eq!(
        addresses(&ws),
        ["lookoutvision_dataset.train", "lookoutvision_project.p"]
    );
    assert_eq!(ws.emulator.model_versions("boards"), ["1"]);

    // The next apply trains the model it manages and says loudly which version it cannot
    // know, and that it is hosted (billed).
    let run = ws.apply();
    let text = run.text();
    assert!(
        text.contains("Project \"boards\" already had other model versions"),
        "{text}"
    );
    assert!(
        text.contains("model version(s) 1 (STARTING_HOSTING). 1 of them hosted")
            || text.contains("model version(s) 1 (HOSTED). 1 of them hosted"),
        "{text}"
    );
    assert!(
        text.contains("terraform import lookoutvision_model.<name> boards:<version>"),
        "{text}"
    );
    assert_eq!(ws.resource("lookoutvision_model.m")["model_version"], "2");

    // Following the advice: import the orphan under a new resource, then destroy everything.
    ws.write_config(&format!(
        "{STACK}\nresource \"lookoutvision_model\" \"orphan\" {{\n  project_name = \"boards\"\n  output_config {{\n    bucket = \"output\"\n  }}\n}}\n"
    ));
    ws.ok(&[
        "import",
        "-no-color",
        "lookoutvision_model.orphan",
        "boards:1",
    ]);
    assert_state_matches_emulator(&ws);
    ws.destroy();
    assert!(ws.emulator.project_names().is_empty());
}

#[test]
fn the_state_matches_the_emulator_after_a_full_cycle() {
    let ws = Workspace::with(
        ProviderMode::InProcess,
        Emulator::start_with(&[
            "--dataset-duration",
            "0s",
            "--training-duration",
            "200ms",
            "--delete-duration",
            "200ms",
        ]),
    );
    ws.write_config(STACK);
    ws.init();
    ws.apply();
    assert_state_matches_emulator(&ws);
    ws.destroy();
    assert_state_matches_emulator(&ws);
}

/// Two projects, each with train and test datasets and a model; alpha's model is hosted.
fn two_stacks() -> String {
    ["alpha", "beta"]
        .iter()
        .map(|name| {
            let hosting = if *name == "alpha" {
                "  min_inference_units = 1\n"
            } else {
                ""
            };
            format!(
                r#"
resource "lookoutvision_project" "{name}" {{
  name = "{name}"
}}

resource "lookoutvision_dataset" "{name}_train" {{
  project_name = lookoutvision_project.{name}.name
  dataset_type = "train"
  source {{
    bucket = "images"
    key    = "{name}/train.manifest"
  }}
}}

resource "lookoutvision_dataset" "{name}_test" {{
  project_name = lookoutvision_project.{name}.name
  dataset_type = "test"
}}

resource "lookoutvision_model" "{name}" {{
  project_name = lookoutvision_project.{name}.name
  output_config {{
    bucket = "output"
  }}
  tags = {{
    stack = "{name}"
  }}
{hosting}  depends_on = [lookoutvision_dataset.{name}_train, lookoutvision_dataset.{name}_test]
}}
"#
            )
        })
        .collect()
}

/// The kind of fault a logged request met: `500`, `429`, `drop` (before the call ran),
/// `drop-after` (it ran, its answer was lost), or `None` when it met none.
fn fault_kind(request: &serde_json::Value) -> Option<&'static str> {
    if request["fault"].is_null() {
        return None;
    }
    Some(match request["error"].as_str() {
        Some("InternalServerException") => "500",
        Some("ThrottlingException") => "429",
        _ if request["status"].is_null() => "drop",
        _ => "drop-after",
    })
}

#[test]
fn apply_and_destroy_cycles_converge_under_every_fault_kind_at_once() {
    let ws = Workspace::with(
        ProviderMode::InProcess,
        Emulator::start_with(&[
            "--dataset-duration",
            "100ms",
            "--training-duration",
            "300ms",
            "--hosting-duration",
            "200ms",
            "--delete-duration",
            "100ms",
            "--fault-seed",
            "7",
            "--fault-rate-500",
            "0.04",
            "--fault-rate-429",
            "0.04",
            "--fault-rate-drop",
            "0.03",
            "--fault-rate-drop-after",
            "0.03",
            "--latency",
            "5ms",
            "--latency-jitter",
            "10ms",
        ]),
    );
    ws.write_config(&two_stacks());
    ws.init();
    for cycle in 1..=3 {
        let applied = ws.run(&["apply", "-auto-approve", "-no-color"]);
        assert_eq!(
            applied.code,
            0,
            "cycle {cycle} apply failed:\n{}",
            applied.text()
        );
        // The emulator's own dump, not the provider, says what exists.
        assert_state_matches_emulator(&ws);
        assert_eq!(ws.addresses().len(), 8);
        ws.assert_plan_empty(true);
        let destroyed = ws.run(&["destroy", "-auto-approve", "-no-color"]);
        assert_eq!(
            destroyed.code,
            0,
            "cycle {cycle} destroy failed:\n{}",
            destroyed.text()
        );
        assert_state_matches_emulator(&ws);
        assert!(
            ws.emulator.project_names().is_empty(),
            "cycle {cycle} left objects behind"
        );
    }
    let requests = ws.emulator.requests();
    for kind in ["500", "429", "drop", "drop-after"] {
        let met = requests
            .iter()
            .filter(|r| fault_kind(r) == Some(kind))
            .count();
        assert!(
            met >= 2,
            "only {met} {kind} faults were injected; the soak proved little"
        );
    }
    let lost_creates = requests
        .iter()
        .filter(|r| fault_kind(r) == Some("drop-after"))
        .filter(|r| {
            r["operation"]
                .as_str()
                .is_some_and(|o| o.starts_with("Create"))
        })
        .count();
    eprintln!(
        "soak: {} requests, {lost_creates} created objects whose answer was lost",
        requests.len()
    );
}

#[test]
fn an_exhausted_retry_budget_names_the_operation_resource_and_last_error() {
    let ws = Workspace::in_process();
    ws.write_raw_config(&format!(
        "{}\n{}",
        ws.provider_config_with("  max_retries = 1"),
        "resource \"lookoutvision_project\" \"p\" {\n  name = \"flaky\"\n}\n"
    ));
    ws.init();
    ws.emulator.admin_post(
        "/_emulator/faults",
        r#"{"operation": "CreateProject", "count": 10, "error": "InternalServerException", "message": "The service is having a bad day"}"#,
    );
    let run = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 1);
    let text = run.text();
    assert!(
        text.contains("Error: Failed to create lookoutvision_project \"flaky\""),
        "{text}"
    );
    assert!(
        text.contains(
            "CreateProject failed: InternalServerException: The service is having a bad day"
        ),
        "{text}"
    );
    assert!(text.contains("raise `max_retries`"), "{text}");
    assert_eq!(
        ws.emulator.count("CreateProject"),
        2,
        "one try and one retry"
    );
    assert!(ws.addresses().is_empty());
}

#[test]
fn long_runs_of_conflicts_are_outlasted_and_fail_clearly_after_the_timeout() {
    let ws = Workspace::with(
        ProviderMode::InProcess,
        Emulator::start_with(&[
            "--dataset-duration",
            "0s",
            "--training-duration",
            "0s",
            "--delete-duration",
            "0s",
        ]),
    );
    ws.write_config(STACK);
    ws.init();
    ws.apply();
    for operation in ["DeleteProject", "DeleteDataset", "DeleteModel"] {
        ws.emulator.admin_post(
            "/_emulator/faults",
            &format!(r#"{{"operation": "{operation}", "count": 12, "error": "ConflictException", "message": "Scripted conflict"}}"#),
        );
    }
    ws.destroy();
    for operation in ["DeleteProject", "DeleteDataset", "DeleteModel"] {
        assert_eq!(
            ws.emulator.count_errors(operation, "ConflictException"),
            12,
            "{operation}"
        );
    }
    assert!(ws.emulator.project_names().is_empty());

    // A conflict that outlasts the delete timeout fails clearly, and keeps the project.
    ws.write_config(&format!(
        "{}\n",
        "resource \"lookoutvision_project\" \"p\" {\n  name = \"stuck\"\n  timeouts {\n    delete = \"2s\"\n  }\n}"
    ));
    ws.apply();
    ws.emulator.admin_post(
        "/_emulator/faults",
        r#"{"operation": "DeleteProject", "count": 1000, "error": "ConflictException", "message": "Project stuck still has a model being deleted"}"#,
    );
    let run = ws.run(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 1);
    let text = run.text();
    assert!(
        text.contains("Timed out deleting lookoutvision_project \"stuck\""),
        "{text}"
    );
    assert!(
        text.contains("ConflictException: Project stuck still has a model being deleted"),
        "{text}"
    );
    assert!(text.contains(r#"timeouts { delete = "..." }"#), "{text}");
    assert_eq!(
        addresses(&ws),
        ["lookoutvision_project.p"],
        "the project stays in the state"
    );
    assert_state_matches_emulator(&ws);
}

#[test]
fn the_provider_rides_out_an_emulator_restart_mid_apply() {
    let state_dir = tempfile::tempdir().expect("a state directory");
    let state_file = state_dir.path().join("emulator.json");
    let mut ws = Workspace::with(
        ProviderMode::InProcess,
        Emulator::start_with(&[
            "--dataset-duration",
            "0s",
            "--training-duration",
            "3s",
            "--delete-duration",
            "0s",
            "--state-file",
            state_file.to_str().expect("a UTF-8 path"),
        ]),
    );
    ws.write_config(STACK);
    ws.init();
    let apply = ws.spawn(&["apply", "-auto-approve", "-no-color"]);
    wait_for(Duration::from_secs(60), "CreateModel", || {
        ws.emulator.count("CreateModel") > 0
    });
    // Killed mid-training; the provider's polls meet refused connections until it is back.
    ws.emulator.restart();
    let output = apply.wait_with_output().expect("terraform exits");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the apply did not converge:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("Apply complete! Resources: 3 added"),
        "{stdout}"
    );
    assert_eq!(
        ws.emulator.model_versions("boards"),
        ["1"],
        "one training, kept across the restart"
    );
    assert_state_matches_emulator(&ws);
}
