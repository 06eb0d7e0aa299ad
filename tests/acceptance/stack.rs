//! Acceptance tests of datasets and models: full stacks, in-place changes, conflicts, failures
//! and interrupts, with the real terraform CLI against the provider and the emulator.

use std::time::Duration;

use harness::{Emulator, ProviderMode, Workspace};

const DEFAULT_TAGS: &str = "  default_tags {\n    tags = {\n      owner = \"platform\"\n    }\n  }";

const PROJECT_AND_DATASETS: &str = r#"
resource "lookoutvision_project" "p" {
  name = "boards"
}

resource "lookoutvision_dataset" "train" {
  project_name = lookoutvision_project.p.name
  dataset_type = "train"
  source {
    bucket = "images"
    key    = "train.manifest"
  }
}

resource "lookoutvision_dataset" "test" {
  project_name = lookoutvision_project.p.name
  dataset_type = "test"
}
"#;

/// The model resource; `extra` goes inside it.
fn model(extra: &str, depends_on_datasets: bool) -> String {
    let depends_on = if depends_on_datasets {
        "  depends_on = [lookoutvision_dataset.train, lookoutvision_dataset.test]\n"
    } else {
        ""
    };
    format!(
        r#"
resource "lookoutvision_model" "m" {{
  project_name = lookoutvision_project.p.name
  description  = "first-model"
  output_config {{
    bucket = "output"
    prefix = "models/"
  }}
{extra}{depends_on}}}
"#
    )
}

/// A project with train and test datasets and a model that depends on them.
fn stack(model_extra: &str) -> String {
    format!("{PROJECT_AND_DATASETS}{}", model(model_extra, true))
}

fn fast_emulator() -> Emulator {
    fast_emulator_with(&[])
}

/// [`fast_emulator`] with `extra` flags.
fn fast_emulator_with(extra: &[&str]) -> Emulator {
    let fast = [
        "--dataset-duration",
        "300ms",
        "--training-duration",
        "500ms",
        "--hosting-duration",
        "300ms",
        "--delete-duration",
        "300ms",
    ];
    Emulator::start_with(&[&fast[..], extra].concat())
}

fn workspace(emulator: Emulator) -> Workspace {
    Workspace::with(ProviderMode::InProcess, emulator)
}

fn write(ws: &Workspace, provider_extra: &str, resources: &str) {
    ws.write_raw_config(&format!(
        "{}\n{resources}",
        ws.provider_config_with(provider_extra)
    ));
}

#[test]
fn full_stack_applies_updates_in_place_and_destroys_cleanly() {
    let ws = workspace(fast_emulator());
    let hosted = "  min_inference_units = 1\n  tags = {\n    team = \"quality\"\n  }\n";
    write(&ws, DEFAULT_TAGS, &stack(hosted));
    ws.init();
    ws.apply();

    let train = ws.resource("lookoutvision_dataset.train");
    assert_eq!(train["id"], "boards:train");
    assert_eq!(train["status"], "CREATE_COMPLETE");
    assert!(
        train["image_stats"]["total"].as_i64().unwrap_or(0) > 0,
        "{train:#}"
    );
    let test = ws.resource("lookoutvision_dataset.test");
    assert_eq!(test["status"], "CREATE_COMPLETE");

    let model = ws.resource("lookoutvision_model.m");
    assert_eq!(model["id"], "boards:1");
    assert_eq!(model["model_version"], "1");
    assert_eq!(model["status"], "HOSTED");
    assert_eq!(model["min_inference_units"], 1);
    assert_eq!(
        model["arn"],
        "arn:aws:lookoutvision:us-east-1:123456789012:model/boards/1"
    );
    let f1 = model["performance"]["f1_score"]
        .as_f64()
        .expect("an F1 score");
    assert!(f1 > 0.0 && f1 < 1.0, "{model:#}");
    assert!(
        model["evaluation_manifest"]["bucket"] == "output",
        "{model:#}"
    );
    assert_eq!(model["tags"], serde_json::json!({"team": "quality"}));
    assert_eq!(
        model["tags_all"],
        serde_json::json!({"team": "quality", "owner": "platform"})
    );

    ws.assert_plan_empty(false);
    ws.assert_plan_empty(true);

    // Tags change in place.
    let retagged =
        "  min_inference_units = 1\n  tags = {\n    team = \"vision\"\n    cost = \"ml\"\n  }\n";
    write(&ws, DEFAULT_TAGS, &stack(retagged));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    ws.apply();
    assert_eq!(
        ws.emulator.count("CreateModel"),
        1,
        "a tag change must not retrain"
    );
    assert_eq!(
        ws.resource("lookoutvision_model.m")["tags_all"],
        serde_json::json!({"team": "vision", "cost": "ml", "owner": "platform"})
    );
    ws.assert_plan_empty(true);

    // Changing the inference units stops and starts hosting again.
    let scaled = "  min_inference_units = 2\n  max_inference_units = 3\n  tags = {\n    team = \"vision\"\n    cost = \"ml\"\n  }\n";
    write(&ws, DEFAULT_TAGS, &stack(scaled));
    ws.apply();
    let model = ws.resource("lookoutvision_model.m");
    assert_eq!(model["status"], "HOSTED");
    assert_eq!(model["min_inference_units"], 2);
    assert_eq!(model["max_inference_units"], 3);
    assert_eq!(ws.emulator.count("StopModel"), 1);
    assert_eq!(ws.emulator.count("StartModel"), 2);
    ws.assert_plan_empty(true);

    // Removing hosting stops the model.
    write(
        &ws,
        DEFAULT_TAGS,
        &stack("  tags = {\n    team = \"vision\"\n    cost = \"ml\"\n  }\n"),
    );
    ws.apply();
    let model = ws.resource("lookoutvision_model.m");
    assert_eq!(model["status"], "TRAINED");
    assert!(model["min_inference_units"].is_null());
    assert_eq!(ws.emulator.count("StopModel"), 2);
    ws.assert_plan_empty(true);
    assert_eq!(ws.emulator.count("CreateModel"), 1);

    ws.destroy();
    assert!(ws.emulator.project_names().is_empty());
    assert!(ws.addresses().is_empty());
}

#[test]
fn destroying_a_hosted_model_stops_it_first() {
    let ws = workspace(fast_emulator());
    write(&ws, "", &stack("  min_inference_units = 1\n"));
    ws.init();
    ws.apply();
    ws.destroy();
    let requests = ws.emulator.requests();
    let position = |operation: &str| {
        requests
            .iter()
            .position(|r| {
                r["operation"] == operation && r["status"].as_u64().is_some_and(|s| s < 300)
            })
            .unwrap_or_else(|| panic!("no successful {operation}"))
    };
    assert!(position("StopModel") < position("DeleteModel"));
    assert!(ws.emulator.project_names().is_empty());
}

#[test]
fn destroy_outlasts_conflicts_while_the_model_trains_and_deletes() {
    // The datasets and the model depend only on the project, so terraform deletes them in
    // parallel. The model is still training (its create timed out), so the dataset deletes
    // meet conflicts through the training and then through the model's slow deletion.
    let ws = workspace(Emulator::start_with(&[
        "--dataset-duration",
        "0s",
        "--training-duration",
        "4s",
        "--delete-duration",
        "2s",
    ]));
    write(&ws, "", PROJECT_AND_DATASETS);
    ws.init();
    ws.apply();
    // Training needs the complete train dataset, so the model comes second; from then on
    // nothing orders it against the datasets.
    let impatient = model("  timeouts {\n    create = \"1s\"\n  }\n", false);
    write(&ws, "", &format!("{PROJECT_AND_DATASETS}{impatient}"));
    let timed_out = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(timed_out.code, 0);
    assert!(
        timed_out
            .text()
            .contains("Timed out creating lookoutvision_model \"boards:1\""),
        "{}",
        timed_out.text()
    );
    assert!(
        timed_out.text().contains("the last status was TRAINING"),
        "{}",
        timed_out.text()
    );
    assert!(
        timed_out
            .text()
            .contains(r#"set `timeouts { create = "..." }` in its resource block to more than 1s"#),
        "{}",
        timed_out.text()
    );

    ws.destroy();
    assert!(
        ws.emulator
            .count_errors("DeleteDataset", "ConflictException")
            > 0,
        "the race was not exercised: {:#?}",
        ws.emulator.requests()
    );
    assert_eq!(ws.emulator.count("CreateModel"), 1);
    assert!(ws.emulator.project_names().is_empty());
    assert!(ws.addresses().is_empty());
}

#[test]
fn project_delete_retries_while_a_model_deleted_elsewhere_is_going() {
    let ws = workspace(Emulator::start_with(&[
        "--dataset-duration",
        "0s",
        "--training-duration",
        "0s",
        "--delete-duration",
        "2s",
    ]));
    ws.write_config("resource \"lookoutvision_project\" \"p\" {\n  name = \"shared\"\n}\n");
    ws.init();
    ws.apply();
    // Someone else trains a model in the project and deletes it; it stays DELETING for 2s.
    ws.block_on(async {
        let sdk = ws.emulator.sdk();
        sdk.create_dataset()
            .project_name("shared")
            .dataset_type("train")
            .send()
            .await
            .expect("dataset");
        let output = aws_sdk_lookoutvision::types::OutputConfig::builder()
            .s3_location(
                aws_sdk_lookoutvision::types::S3Location::builder()
                    .bucket("out")
                    .build(),
            )
            .build();
        sdk.create_model()
            .project_name("shared")
            .output_config(output)
            .send()
            .await
            .expect("model");
        sdk.delete_dataset()
            .project_name("shared")
            .dataset_type("train")
            .send()
            .await
            .expect("delete dataset");
        sdk.delete_model()
            .project_name("shared")
            .model_version("1")
            .send()
            .await
            .expect("delete model");
    });
    ws.destroy();
    assert!(
        ws.emulator
            .count_errors("DeleteProject", "ConflictException")
            > 0
    );
    assert!(ws.emulator.project_names().is_empty());
}

#[test]
fn training_failure_taints_the_model_and_the_next_apply_replaces_it() {
    let ws = workspace(fast_emulator());
    write(&ws, "", &stack(""));
    ws.init();
    ws.emulator.admin_post(
        "/_emulator/fail-next-training",
        r#"{"message": "Not enough anomalous images in the training dataset"}"#,
    );
    let failed = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(failed.code, 0);
    // Terraform wraps the detail, so match on the text with wrapping undone.
    let output = failed.text();
    assert!(output.contains("TRAINING_FAILED"), "{output}");
    assert!(
        output.contains("Not enough anomalous images in the training dataset"),
        "{output}"
    );

    let state = ws.state();
    let model = state["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == "lookoutvision_model.m"))
        .cloned()
        .expect("the failed model stays in the state");
    assert_eq!(model["tainted"], true, "{model:#}");
    assert_eq!(model["values"]["status"], "TRAINING_FAILED");
    assert_eq!(
        ws.emulator.model_versions("boards"),
        ["1"],
        "the state knows every model"
    );

    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.stdout.contains("is tainted, so must be replaced"),
        "{}",
        plan.stdout
    );
    ws.apply();
    let model = ws.resource("lookoutvision_model.m");
    assert_eq!(model["status"], "TRAINED");
    assert_eq!(model["model_version"], "2");
    assert_eq!(
        ws.emulator.model_versions("boards"),
        ["2"],
        "the failed version was deleted"
    );
    ws.destroy();
}

#[test]
fn a_model_and_dataset_deleted_behind_terraforms_back_are_planned_again_and_import_matches() {
    let ws = workspace(fast_emulator());
    write(&ws, "", &stack("  tags = {\n    team = \"quality\"\n  }\n"));
    ws.init();
    ws.apply();
    let applied = ws.resource("lookoutvision_model.m");
    let applied_train = ws.resource("lookoutvision_dataset.train");

    // Import both resources back and compare.
    ws.ok(&[
        "state",
        "rm",
        "lookoutvision_model.m",
        "lookoutvision_dataset.train",
    ]);
    ws.ok(&["import", "-no-color", "lookoutvision_model.m", "boards:1"]);
    ws.ok(&[
        "import",
        "-no-color",
        "lookoutvision_dataset.train",
        "boards:train",
    ]);
    let imported = ws.resource("lookoutvision_model.m");
    for attribute in [
        "id",
        "arn",
        "model_version",
        "description",
        "status",
        "performance",
        "output_config",
        "tags",
        "tags_all",
        "creation_timestamp",
    ] {
        assert_eq!(
            imported[attribute], applied[attribute],
            "model {attribute} differs after import"
        );
    }
    let imported_train = ws.resource("lookoutvision_dataset.train");
    for attribute in ["id", "status", "image_stats", "creation_timestamp"] {
        assert_eq!(
            imported_train[attribute], applied_train[attribute],
            "dataset {attribute} differs after import"
        );
    }
    // The service does not report a dataset's manifest: the next apply records the
    // configured one in place rather than replacing the dataset.
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("lookoutvision_dataset.train will be updated in-place"),
        "{}",
        plan.stdout
    );
    ws.apply();
    assert_eq!(
        ws.resource("lookoutvision_dataset.train")["source"],
        applied_train["source"]
    );
    assert_eq!(
        ws.emulator.count("CreateDataset"),
        2,
        "nothing was recreated"
    );
    ws.assert_plan_empty(true);

    // Delete the test dataset and the model behind terraform's back (the dataset first: it
    // cannot go while the model is being deleted); the next plan creates both again.
    ws.block_on(async {
        ws.emulator
            .sdk()
            .delete_dataset()
            .project_name("boards")
            .dataset_type("test")
            .send()
            .await
            .expect("deleted behind terraform");
    });
    ws.block_on(async {
        ws.emulator
            .sdk()
            .delete_model()
            .project_name("boards")
            .model_version("1")
            .send()
            .await
            .expect("deleted behind terraform");
    });
    std::thread::sleep(Duration::from_millis(400));
    let plan = ws.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(plan.code, 2, "{}", plan.all_output());
    assert!(
        plan.all_output().contains("was deleted outside Terraform"),
        "{}",
        plan.all_output()
    );
    for created in ["lookoutvision_model.m", "lookoutvision_dataset.test"] {
        assert!(
            plan.stdout.contains(&format!("{created} will be created")),
            "{}",
            plan.stdout
        );
    }
    ws.apply();
    assert_eq!(ws.resource("lookoutvision_model.m")["model_version"], "2");
    ws.destroy();
}

#[test]
fn bad_dataset_and_model_arguments_fail_at_plan_without_api_calls() {
    let ws = workspace(fast_emulator());
    let cases: [(&str, String, &str); 5] = [
        (
            "dataset_type",
            stack("").replace("dataset_type = \"train\"", "dataset_type = \"TRAIN\""),
            "one of `train`, `test`",
        ),
        (
            "description",
            stack("").replace("first-model", "first model"),
            "without spaces",
        ),
        (
            "min_inference_units",
            stack("  min_inference_units = 0\n"),
            "a whole number from 1 to 1000",
        ),
        (
            "max_inference_units",
            stack("  min_inference_units = 3\n  max_inference_units = 2\n"),
            "at least min_inference_units (3)",
        ),
        (
            "output_config.bucket",
            stack("").replace("bucket = \"output\"", "bucket = \"o\""),
            "between 3 and 63 characters",
        ),
    ];
    ws.write_config(&cases[0].1);
    ws.init();
    for (attribute, config, rule) in cases {
        ws.write_config(&config);
        let plan = ws.run(&["plan", "-no-color"]);
        let output = plan.text();
        assert_eq!(plan.code, 1, "{attribute}: {output}");
        assert!(
            output.contains(&format!("Invalid value for {attribute}")),
            "{attribute}: {output}"
        );
        assert!(output.contains(rule), "{attribute}: {output}");
    }
    assert!(ws.emulator.requests().is_empty(), "no API call may be made");
}

#[test]
fn an_inference_unit_quota_is_named_and_the_trained_model_is_kept_in_the_state() {
    let ws = workspace(fast_emulator_with(&["--quota-inference-units", "2"]));
    write(&ws, "", &stack("  min_inference_units = 5\n"));
    ws.init();
    let run = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(run.code, 0, "5 inference units are over the quota");
    let text = run.text();
    assert!(text.contains("quota code L-4C560004"), "{text}");
    assert!(text.contains("ask for a higher service quota"), "{text}");

    // The model the service trained is in the state, and nothing else was made.
    let model = ws.resource("lookoutvision_model.m");
    assert_eq!(ws.emulator.model_versions("boards"), ["1"]);
    assert_eq!(model["model_version"], "1", "{model:#}");

    // Within the quota, the next apply converges on one model version.
    write(&ws, "", &stack("  min_inference_units = 2\n"));
    ws.apply();
    let model = ws.resource("lookoutvision_model.m");
    assert_eq!(model["status"], "HOSTED", "{model:#}");
    assert_eq!(ws.emulator.model_versions("boards").len(), 1);
    ws.destroy();
    assert!(ws.emulator.project_names().is_empty());
}
