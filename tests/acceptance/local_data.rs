//! Datasets imported from real manifests and images, and models trained on them: the
//! emulator reads a local directory as S3 (`--s3-dir`), so a bad manifest line or too few
//! labelled images fail the apply the way the service would.

use std::fs;
use std::path::Path;

use harness::images::png;
use harness::{Emulator, ProviderMode, Workspace};
use lookoutvision_parts::manifest::classification_line;

const DATASET: &str = r#"
resource "lookoutvision_project" "p" {
  name = "boards"
}

resource "lookoutvision_dataset" "train" {
  project_name = lookoutvision_project.p.name
  dataset_type = "train"
  source {
    bucket = "manifests"
    key    = "train.manifest"
  }
}
"#;

/// One classification line labelling `s3://images/{image}` anomalous or normal.
fn line(image: &str, anomalous: bool) -> String {
    classification_line(&format!("s3://images/{image}"), anomalous)
}

fn write_manifest(s3: &Path, lines: &[String]) {
    fs::write(s3.join("manifests/train.manifest"), lines.join("\n") + "\n").unwrap();
}

/// The state entry (values and flags) of `address`.
fn entry(ws: &Workspace, address: &str) -> serde_json::Value {
    let state = ws.state();
    state["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|resources| resources.iter().find(|r| r["address"] == address))
        .cloned()
        .unwrap_or_else(|| panic!("{address} is not in the state: {state:#}"))
}

#[test]
fn a_bad_manifest_line_taints_the_dataset_and_the_fixed_manifest_replaces_it() {
    let temp = tempfile::tempdir().unwrap();
    let s3 = temp.path();
    fs::create_dir_all(s3.join("images")).unwrap();
    fs::create_dir_all(s3.join("manifests")).unwrap();
    for (seed, name) in [(1, "good-1.png"), (2, "good-2.png"), (3, "bad-1.png")] {
        fs::write(s3.join("images").join(name), png(seed)).unwrap();
    }
    let mut lines = vec![
        line("good-1.png", false),
        line("good-2.png", false),
        line("missing.png", true),
    ];
    write_manifest(s3, &lines);

    let emulator = Emulator::start_with(&[
        "--s3-dir",
        s3.to_str().unwrap(),
        "--dataset-duration",
        "200ms",
        "--delete-duration",
        "200ms",
    ]);
    let ws = Workspace::with(ProviderMode::InProcess, emulator);
    ws.write_config(DATASET);
    ws.init();

    let failed = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(failed.code, 0, "{}", failed.all_output());
    // Terraform wraps the detail, so match on the text with wrapping undone.
    let output = failed.text();
    assert!(output.contains("CREATE_FAILED"), "{output}");
    assert!(
        output.contains("Manifest line 3: source-ref s3://images/missing.png does not exist"),
        "{output}"
    );
    let dataset = entry(&ws, "lookoutvision_dataset.train");
    assert_eq!(dataset["tainted"], true, "{dataset:#}");
    assert_eq!(dataset["values"]["status"], "CREATE_FAILED", "{dataset:#}");

    lines[2] = line("bad-1.png", true);
    write_manifest(s3, &lines);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.stdout.contains("is tainted, so must be replaced"),
        "{}",
        plan.stdout
    );
    ws.apply();
    let dataset = entry(&ws, "lookoutvision_dataset.train");
    assert_ne!(dataset["tainted"], true, "{dataset:#}");
    assert_eq!(dataset["values"]["status"], "CREATE_COMPLETE");
    assert_eq!(
        dataset["values"]["image_stats"],
        serde_json::json!({"total": 3, "labeled": 3, "normal": 2, "anomaly": 1})
    );
    // Replaced: the failed dataset was deleted and a new one imported.
    let succeeded = |operation: &str| {
        ws.emulator
            .requests()
            .iter()
            .filter(|r| {
                r["operation"] == operation && r["status"].as_u64().is_some_and(|s| s < 300)
            })
            .count()
    };
    assert_eq!(
        (succeeded("CreateDataset"), succeeded("DeleteDataset")),
        (2, 1)
    );
    ws.assert_plan_empty(true);
}

const MODEL: &str = r#"
resource "lookoutvision_project" "p" {
  name = "brackets"
}

resource "lookoutvision_dataset" "train" {
  project_name = lookoutvision_project.p.name
  dataset_type = "train"
  source {
    bucket = "line"
    key    = "parts/train/train.manifest"
  }
}

resource "lookoutvision_dataset" "test" {
  project_name = lookoutvision_project.p.name
  dataset_type = "test"
  source {
    bucket = "line"
    key    = "TEST_KEY"
  }
}

resource "lookoutvision_model" "m" {
  project_name = lookoutvision_project.p.name
  output_config {
    bucket = "line"
    prefix = "out/"
  }
  depends_on = [lookoutvision_dataset.train, lookoutvision_dataset.test]
}
"#;

/// Generated parts of 96x96 pixels: `normal` and `anomalous` of them, from `seed`.
fn parts(seed: u64, normal: usize, anomalous: usize) -> lookoutvision_parts::Spec {
    lookoutvision_parts::Spec {
        seed,
        width: 96,
        height: 96,
        normal,
        anomalous,
        ..lookoutvision_parts::Spec::default()
    }
}

#[test]
fn a_model_short_of_labelled_images_fails_training_and_is_retrained_once_they_are_there() {
    let temp = tempfile::tempdir().unwrap();
    let s3 = temp.path();
    fs::create_dir_all(s3.join("line")).unwrap();
    // A test dataset one anomalous image short of the documented 10, and one that has them.
    let (_, short) =
        lookoutvision_parts::write_split(&parts(1, 10, 0), &parts(2, 10, 9), s3, "line", "parts")
            .unwrap();
    let (_, full) =
        lookoutvision_parts::write_split(&parts(1, 10, 0), &parts(3, 10, 10), s3, "line", "more")
            .unwrap();
    let emulator = Emulator::start_with(&[
        "--s3-dir",
        s3.to_str().unwrap(),
        "--dataset-duration",
        "100ms",
        "--training-duration",
        "100ms",
        "--delete-duration",
        "100ms",
    ]);
    let ws = Workspace::with(ProviderMode::InProcess, emulator);
    ws.write_config(&MODEL.replace("TEST_KEY", &short.manifest_key));
    ws.init();

    let failed = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(failed.code, 0, "{}", failed.all_output());
    let output = failed.text();
    assert!(output.contains("TRAINING_FAILED"), "{output}");
    assert!(
        output.contains("The test dataset has 10 images labeled normal and 9 labeled anomaly"),
        "{output}"
    );
    let model = entry(&ws, "lookoutvision_model.m");
    assert_eq!(model["tainted"], true, "{model:#}");
    assert_eq!(model["values"]["status"], "TRAINING_FAILED", "{model:#}");

    // With the missing image labelled (a new test manifest), the next apply replaces the
    // test dataset and the failed model, and the model learns.
    ws.write_config(&MODEL.replace("TEST_KEY", &full.manifest_key));
    ws.apply();
    let model = entry(&ws, "lookoutvision_model.m");
    assert_ne!(model["tainted"], true, "{model:#}");
    assert_eq!(model["values"]["status"], "TRAINED", "{model:#}");
    assert_eq!(model["values"]["model_version"], "2", "{model:#}");
    let f1 = model["values"]["performance"]["f1_score"].as_f64().unwrap();
    assert!(f1 >= 0.9, "F1 {f1}: {model:#}");
    let result_key = model["values"]["evaluation_result"]["key"]
        .as_str()
        .unwrap();
    assert_eq!(result_key, "out/EvaluationResult-brackets-2.json");
    let result: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(s3.join("line").join(result_key)).unwrap())
            .unwrap();
    assert_eq!(result["EvaluationDetails"]["NumberOfTestingImages"], 20);
    ws.assert_plan_empty(true);
    ws.destroy();
}
