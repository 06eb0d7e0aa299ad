//! Reliability: interrupts, provider crashes, conflicts and faults, with nothing orphaned or
//! duplicated. The real terraform CLI drives the provider against the emulator.

mod support;

use std::time::{Duration, Instant};

use support::{provider_children, signal, wait_for, Emulator, ProviderMode, Workspace};

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
fn an_interrupted_destroy_is_finished_by_the_next_one() {
    let ws = Workspace::with(
        ProviderMode::InProcess,
        Emulator::start_with(&[
            "--dataset-duration",
            "0s",
            "--training-duration",
            "0s",
            "--delete-duration",
            "4s",
        ]),
    );
    ws.write_config(STACK);
    ws.init();
    ws.apply();

    let mut destroy = ws.spawn(&["destroy", "-auto-approve", "-no-color"]);
    wait_for(Duration::from_secs(60), "DeleteModel", || {
        ws.emulator.count("DeleteModel") > 0
    });
    signal(destroy.id(), "INT");
    let exit = destroy.wait().expect("terraform exits");
    assert!(!exit.success(), "an interrupted destroy reports failure");

    // The model is still DELETING: the next destroy waits it out and removes the rest.
    ws.destroy();
    assert!(ws.emulator.project_names().is_empty());
    assert!(ws.addresses().is_empty());
}

#[test]
fn a_provider_killed_while_training_is_reported_not_silently_duplicated() {
    let ws = Workspace::with(
        ProviderMode::Binary,
        Emulator::start_with(&[
            "--dataset-duration",
            "0s",
            "--training-duration",
            "8s",
            "--delete-duration",
            "0s",
        ]),
    );
    ws.write_config(STACK);
    let apply = ws.spawn(&["apply", "-auto-approve", "-no-color"]);
    wait_for(Duration::from_secs(60), "CreateModel", || {
        ws.emulator.count("CreateModel") > 0
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

    // Terraform saved what completed before the crash; the training model never reached it.
    assert_eq!(
        addresses(&ws),
        ["lookoutvision_dataset.train", "lookoutvision_project.p"]
    );
    assert_eq!(ws.emulator.model_versions("boards"), ["1"]);

    // The next apply trains the model it manages and says loudly which version it cannot know.
    let run = ws.apply();
    let text = run.text();
    assert!(
        text.contains("Other models of project \"boards\" were already training"),
        "{text}"
    );
    assert!(
        text.contains("terraform import lookoutvision_model.<name> boards:<version>"),
        "{text}"
    );
    assert!(
        text.contains("model version(s) 1 of project \"boards\""),
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
    let started = Instant::now();
    ws.apply();
    assert_state_matches_emulator(&ws);
    ws.destroy();
    assert_state_matches_emulator(&ws);
    assert!(started.elapsed() < Duration::from_secs(120));
}
