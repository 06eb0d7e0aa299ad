//! Acceptance tests of the data sources: the real terraform CLI reads projects, datasets and
//! models created behind its back (through the SDK), and never changes them.

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_lookoutvision::types::{
    DatasetGroundTruthManifest, DatasetSource, DatasetStatus, InputS3Object, ModelStatus,
    OutputConfig, S3Location, Tag,
};
use harness::{Emulator, ProviderMode, Workspace};
use serde_json::{json, Value as Json};

/// The project the examples in `examples/data-sources/` read.
const PROJECT: &str = "circuit-boards";

fn workspace(emulator: Emulator) -> Workspace {
    Workspace::with(ProviderMode::InProcess, emulator)
}

fn fast_emulator() -> Emulator {
    Emulator::start_with(&[
        "--dataset-duration",
        "200ms",
        "--training-duration",
        "300ms",
        "--hosting-duration",
        "200ms",
    ])
}

/// How many API requests the emulator has answered: the mark after which a Terraform command's
/// requests start.
fn mark(ws: &Workspace) -> usize {
    ws.emulator.requests().len()
}

/// Asserts that every API request since `mark` only read: Describe*, List* (ListTagsForResource
/// included).
fn assert_read_only_since(ws: &Workspace, mark: usize) -> Vec<String> {
    let operations: Vec<String> = ws.emulator.requests()[mark..]
        .iter()
        .map(|r| r["operation"].as_str().unwrap_or_default().to_owned())
        .collect();
    let changing: Vec<&String> = operations
        .iter()
        .filter(|op| !op.starts_with("Describe") && !op.starts_with("List"))
        .collect();
    assert!(
        changing.is_empty(),
        "a data source changed something: {changing:?} in {operations:?}"
    );
    operations
}

/// The outputs of the last apply, by name.
fn read_outputs(ws: &Workspace) -> Json {
    let run = ws.ok(&["output", "-json", "-no-color"]);
    let outputs: Json = serde_json::from_str(&run.stdout).expect("output -json prints JSON");
    let values = outputs
        .as_object()
        .expect("the outputs are an object")
        .iter()
        .map(|(name, output)| (name.clone(), output["value"].clone()))
        .collect();
    Json::Object(values)
}

fn manifest(key: &str) -> DatasetSource {
    let object = InputS3Object::builder().bucket("images").key(key).build();
    DatasetSource::builder()
        .ground_truth_manifest(
            DatasetGroundTruthManifest::builder()
                .s3_object(object)
                .build(),
        )
        .build()
}

fn output_config() -> OutputConfig {
    OutputConfig::builder()
        .s3_location(S3Location::builder().bucket("output").build())
        .build()
}

async fn wait_for_dataset(sdk: &aws_sdk_lookoutvision::Client, project: &str, kind: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let described = sdk
            .describe_dataset()
            .project_name(project)
            .dataset_type(kind)
            .send()
            .await
            .expect("the dataset is described");
        let status = described.dataset_description().and_then(|d| d.status());
        if status == Some(&DatasetStatus::CreateComplete) {
            return;
        }
        assert!(Instant::now() < deadline, "{kind} is still {status:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for_model(
    sdk: &aws_sdk_lookoutvision::Client,
    project: &str,
    version: &str,
    wanted: ModelStatus,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let described = sdk
            .describe_model()
            .project_name(project)
            .model_version(version)
            .send()
            .await
            .expect("the model is described");
        let status = described.model_description().and_then(|d| d.status());
        if status == Some(&wanted) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "model {version} is still {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates, through the SDK, project `circuit-boards` and its train dataset from a manifest
/// (importing for the emulator's dataset duration).
async fn create_project_importing_a_train_manifest(sdk: &aws_sdk_lookoutvision::Client) {
    sdk.create_project()
        .project_name(PROJECT)
        .send()
        .await
        .expect("the project is created");
    sdk.create_dataset()
        .project_name(PROJECT)
        .dataset_type("train")
        .dataset_source(manifest("train.manifest"))
        .send()
        .await
        .expect("the train dataset is created");
}

/// Creates, through the SDK, what the examples read: project `circuit-boards` with a train
/// dataset from a manifest and an empty test dataset, model 1 hosted with 1 to 2 inference
/// units (tagged `team`), model 2 trained. Then `extra` more projects, named `extra-000`....
fn create_stack_outside_terraform(ws: &Workspace, extra: usize) {
    ws.block_on(async {
        let sdk = ws.emulator.sdk();
        create_project_importing_a_train_manifest(&sdk).await;
        sdk.create_dataset()
            .project_name(PROJECT)
            .dataset_type("test")
            .send()
            .await
            .expect("the test dataset is created");
        wait_for_dataset(&sdk, PROJECT, "train").await;
        sdk.create_model()
            .project_name(PROJECT)
            .output_config(output_config())
            .tags(Tag::builder().key("team").value("vision").build())
            .send()
            .await
            .expect("model 1 is created");
        wait_for_model(&sdk, PROJECT, "1", ModelStatus::Trained).await;
        sdk.start_model()
            .project_name(PROJECT)
            .model_version("1")
            .min_inference_units(1)
            .max_inference_units(2)
            .send()
            .await
            .expect("model 1 starts");
        wait_for_model(&sdk, PROJECT, "1", ModelStatus::Hosted).await;
        sdk.create_model()
            .project_name(PROJECT)
            .output_config(output_config())
            .send()
            .await
            .expect("model 2 is created");
        wait_for_model(&sdk, PROJECT, "2", ModelStatus::Trained).await;
        for i in 0..extra {
            sdk.create_project()
                .project_name(format!("extra-{i:03}"))
                .send()
                .await
                .expect("an extra project is created");
        }
    });
}

/// Every example of `examples/data-sources/`, in one configuration.
fn data_source_examples() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data-sources");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("examples/data-sources exists")
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), 5, "one example per data source: {dirs:?}");
    dirs.iter()
        .map(|dir| {
            std::fs::read_to_string(dir.join("data-source.tf"))
                .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_examples_read_a_stack_made_outside_terraform_and_change_nothing() {
    let ws = workspace(fast_emulator());
    // 105 projects: ListProjects answers 100 at most, so the project list takes two pages.
    create_stack_outside_terraform(&ws, 104);
    let before = ws.emulator.dump();
    ws.write_config(&data_source_examples());
    ws.init();

    let mark = mark(&ws);
    let run = ws.apply();
    assert!(
        run.stdout
            .contains("Resources: 0 added, 0 changed, 0 destroyed"),
        "{}",
        run.stdout
    );
    let operations = assert_read_only_since(&ws, mark);
    let list_projects = operations.iter().filter(|op| *op == "ListProjects").count();
    assert_eq!(list_projects, 2, "two pages of projects: {operations:?}");
    assert_eq!(ws.emulator.dump(), before, "the emulator's objects changed");

    let outputs = read_outputs(&ws);
    assert_eq!(
        outputs["boards_datasets"],
        json!({"train": "CREATE_COMPLETE", "test": "CREATE_COMPLETE"})
    );
    assert_eq!(outputs["boards_model_versions"], json!(["1", "2"]));
    let names = outputs["project_names"]
        .as_array()
        .expect("a list of names");
    assert_eq!(names.len(), 105);
    assert_eq!(names[0], PROJECT, "sorted by name");
    assert_eq!(outputs["train_status"], "CREATE_COMPLETE");
    assert!(
        outputs["train_labeled_images"].as_i64().unwrap_or(0) > 0,
        "{outputs:#}"
    );
    let serving = &outputs["serving_model"];
    assert_eq!(serving["version"], "1", "the latest hosted version");
    assert_eq!(
        serving["arn"],
        "arn:aws:lookoutvision:us-east-1:123456789012:model/circuit-boards/1"
    );
    let f1 = serving["f1_score"].as_f64().expect("an F1 score");
    assert!(f1 > 0.0 && f1 < 1.0, "{serving}");
    assert_eq!(outputs["trained_versions"], json!(["2"]));

    // A second read changes nothing either, and the plan stays empty.
    ws.assert_plan_empty(true);
    assert_read_only_since(&ws, mark);
}

#[test]
fn a_model_by_version_reports_its_hosting_and_tags() {
    let ws = workspace(fast_emulator());
    create_stack_outside_terraform(&ws, 0);
    ws.write_config(&format!(
        r#"
data "lookoutvision_model" "first" {{
  project_name  = "{PROJECT}"
  model_version = "1"
}}

data "lookoutvision_model" "latest" {{
  project_name = "{PROJECT}"
}}

data "lookoutvision_models" "all" {{
  project_name = "{PROJECT}"
}}

output "first" {{
  value = data.lookoutvision_model.first
}}

output "latest" {{
  value = data.lookoutvision_model.latest
}}

output "all" {{
  value = data.lookoutvision_models.all.models
}}
"#
    ));
    ws.init();
    let mark = mark(&ws);
    ws.apply();
    assert_read_only_since(&ws, mark);

    let outputs = read_outputs(&ws);
    let first = &outputs["first"];
    assert_eq!(first["id"], "circuit-boards:1");
    assert_eq!(first["status"], "HOSTED");
    assert_eq!(first["min_inference_units"], 1);
    assert_eq!(first["max_inference_units"], 2);
    assert_eq!(first["tags"], json!({"team": "vision"}));
    assert_eq!(first["output_config"]["bucket"], "output");
    assert!(first["evaluation_manifest"]["key"].is_string(), "{first:#}");

    let latest = &outputs["latest"];
    assert_eq!(latest["model_version"], "2");
    assert_eq!(latest["status"], "TRAINED");
    assert!(latest["min_inference_units"].is_null(), "not hosted");
    assert_eq!(latest["tags"], json!({}));

    let all = outputs["all"].as_array().expect("a list of models");
    let versions: Vec<&Json> = all.iter().map(|m| &m["model_version"]).collect();
    assert_eq!(versions, [&json!("1"), &json!("2")]);
    assert_eq!(all[0]["status"], "HOSTED");
    assert!(all[1]["performance"]["precision"].is_number(), "{all:#?}");
}

#[test]
fn objects_still_changing_are_reported_with_their_status_without_waiting() {
    // A dataset importing its manifest for an hour.
    let ws = workspace(Emulator::start_with(&["--dataset-duration", "1h"]));
    ws.block_on(async {
        let sdk = ws.emulator.sdk();
        create_project_importing_a_train_manifest(&sdk).await;
    });
    ws.write_config(&format!(
        "data \"lookoutvision_dataset\" \"train\" {{\n  project_name = \"{PROJECT}\"\n  dataset_type = \"train\"\n}}\n\ndata \"lookoutvision_project\" \"p\" {{\n  name = \"{PROJECT}\"\n}}\n\noutput \"dataset\" {{\n  value = data.lookoutvision_dataset.train\n}}\n\noutput \"project\" {{\n  value = data.lookoutvision_project.p.datasets\n}}\n"
    ));
    ws.init();
    let started = Instant::now();
    ws.apply();
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "the read waited"
    );
    let outputs = read_outputs(&ws);
    assert_eq!(outputs["dataset"]["status"], "CREATE_IN_PROGRESS");
    assert_eq!(outputs["project"][0]["status"], "CREATE_IN_PROGRESS");

    // A model training for an hour.
    let ws = workspace(Emulator::start_with(&[
        "--dataset-duration",
        "100ms",
        "--training-duration",
        "1h",
    ]));
    ws.block_on(async {
        let sdk = ws.emulator.sdk();
        create_project_importing_a_train_manifest(&sdk).await;
        wait_for_dataset(&sdk, PROJECT, "train").await;
        sdk.create_model()
            .project_name(PROJECT)
            .output_config(output_config())
            .send()
            .await
            .expect("the model is created");
    });
    ws.write_config(&format!(
        "data \"lookoutvision_model\" \"m\" {{\n  project_name  = \"{PROJECT}\"\n  model_version = \"1\"\n}}\n\noutput \"model\" {{\n  value = data.lookoutvision_model.m\n}}\n"
    ));
    ws.init();
    let mark = mark(&ws);
    let started = Instant::now();
    ws.apply();
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "the read waited"
    );
    let operations = assert_read_only_since(&ws, mark);
    assert_eq!(
        operations
            .iter()
            .filter(|op| *op == "DescribeModel")
            .count(),
        1,
        "one look, no polling: {operations:?}"
    );
    let outputs = read_outputs(&ws);
    assert_eq!(outputs["model"]["status"], "TRAINING");
    assert!(outputs["model"]["performance"].is_null(), "{outputs:#}");
}

#[test]
fn a_missing_object_is_an_error_naming_what_was_looked_for() {
    let ws = workspace(fast_emulator());
    ws.block_on(async {
        let sdk = ws.emulator.sdk();
        sdk.create_project()
            .project_name("empty")
            .send()
            .await
            .expect("the project is created");
    });
    ws.write_config(
        r#"
data "lookoutvision_project" "nowhere" {
  name = "nowhere"
}

data "lookoutvision_dataset" "test" {
  project_name = "empty"
  dataset_type = "test"
}

data "lookoutvision_model" "version" {
  project_name  = "empty"
  model_version = "7"
}

data "lookoutvision_model" "hosted" {
  project_name = "empty"
  status       = "HOSTED"
}

data "lookoutvision_models" "nowhere" {
  project_name = "nowhere"
}
"#,
    );
    ws.init();
    let mark = mark(&ws);
    let plan = ws.run(&["plan", "-no-color"]);
    assert_eq!(plan.code, 1, "{}", plan.all_output());
    let text = plan.text();
    for expected in [
        r#"Error: lookoutvision_project: no project "nowhere""#,
        r#"Error: lookoutvision_dataset: no test dataset in project "empty""#,
        r#"Error: lookoutvision_model: no model version 7 in project "empty""#,
        r#"Error: lookoutvision_model: no model with status HOSTED in project "empty""#,
        r#"Error: lookoutvision_models: no project "nowhere""#,
        r#"with data.lookoutvision_dataset.test"#,
        "Check the project name and the dataset type",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    assert_read_only_since(&ws, mark);
}

#[test]
fn a_model_version_and_a_status_together_fail_at_plan_without_api_calls() {
    let ws = Workspace::in_process();
    ws.write_config(
        "data \"lookoutvision_model\" \"m\" {\n  project_name  = \"p\"\n  model_version = \"1\"\n  status        = \"HOSTED\"\n}\n",
    );
    ws.init();
    let plan = ws.run(&["plan", "-no-color"]);
    assert_eq!(plan.code, 1, "{}", plan.all_output());
    let text = plan.text();
    assert!(
        text.contains("Error: Conflicting arguments model_version and status"),
        "{text}"
    );
    assert!(
        text.contains("model_version = \"1\""),
        "points at the argument: {text}"
    );
    assert!(ws.emulator.requests().is_empty(), "no API call may be made");
}

#[test]
fn the_schema_command_shows_the_data_sources() {
    let ws = Workspace::in_process();
    ws.write_config("");
    ws.init();
    let run = ws.ok(&["providers", "schema", "-json"]);
    let schema: Json = serde_json::from_str(&run.stdout).expect("providers schema -json is JSON");
    let provider = &schema["provider_schemas"]["registry.terraform.io/lookoutvision/lookoutvision"];
    let data_sources = provider["data_source_schemas"]
        .as_object()
        .expect("data source schemas");
    let mut names: Vec<&str> = data_sources.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "lookoutvision_dataset",
            "lookoutvision_model",
            "lookoutvision_models",
            "lookoutvision_project",
            "lookoutvision_projects"
        ]
    );
    let model = &data_sources["lookoutvision_model"]["block"]["attributes"];
    assert_eq!(model["project_name"]["required"], true);
    assert_eq!(model["model_version"]["optional"], true);
    assert_eq!(model["model_version"]["computed"], true);
    assert_eq!(model["performance"]["computed"], true);
    assert_eq!(
        data_sources["lookoutvision_project"]["block"]["attributes"]["datasets"]["type"],
        json!(["list", ["object", {
            "creation_timestamp": "string",
            "dataset_type": "string",
            "status": "string",
            "status_message": "string"
        }]])
    );
    assert!(ws.emulator.requests().is_empty(), "no API call may be made");
}
