//! Outcomes are resolved, not guessed: calls whose answer was lost are asked again with their
//! client token, an endpoint that is down, hung or spoken to in the wrong protocol fails in
//! bounded time naming its URL, and a refusal that waiting cannot fix fails at once, naming
//! what to do. The real terraform CLI drives the provider against the emulator.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use harness::{Emulator, ProviderMode, Workspace};

const PROJECT_AND_DATASET: &str = r#"
resource "lookoutvision_project" "p" {
  name = "boards"
}

resource "lookoutvision_dataset" "train" {
  project_name = lookoutvision_project.p.name
  dataset_type = "train"
}
"#;

/// A workspace whose provider never retries in the SDK (`max_retries = 0`), so that only the
/// provider's own handling of lost answers can save a call.
fn without_sdk_retries() -> Workspace {
    let ws = Workspace::with(
        ProviderMode::InProcess,
        Emulator::start_with(&["--dataset-duration", "0s", "--delete-duration", "0s"]),
    );
    ws.write_raw_config(&format!(
        "{}\n{PROJECT_AND_DATASET}",
        ws.provider_config_with("  max_retries = 0")
    ));
    ws.init();
    ws
}

/// Arms `count` drop-after faults on `operation`: the call runs, then its answer is lost.
fn lose_answers(ws: &Workspace, operation: &str, count: u32) {
    ws.emulator.admin_post(
        "/_emulator/faults",
        &format!(
            r#"{{"operation": "{operation}", "count": {count}, "drop": true, "after": true}}"#
        ),
    );
}

#[test]
fn creates_whose_answers_are_lost_are_asked_again_and_saved_once() {
    let ws = without_sdk_retries();
    lose_answers(&ws, "CreateProject", 2);
    lose_answers(&ws, "CreateDataset", 1);
    ws.apply();

    // Each object once, in the emulator and in the state.
    assert_eq!(ws.emulator.project_names(), ["boards"]);
    let sdk = ws.emulator.sdk();
    let project = ws
        .block_on(sdk.describe_project().project_name("boards").send())
        .expect("the project exists");
    let datasets = project
        .project_description()
        .map(|d| d.datasets().to_vec())
        .unwrap_or_default();
    assert_eq!(datasets.len(), 1, "{datasets:?}");
    assert_eq!(
        ws.emulator.count("CreateProject"),
        3,
        "two lost answers, then one"
    );
    assert_eq!(
        ws.emulator.count("CreateDataset"),
        2,
        "one lost answer, then one"
    );
    assert_eq!(
        ws.resource("lookoutvision_project.p")["arn"],
        project
            .project_description()
            .and_then(|d| d.project_arn())
            .expect("an ARN")
    );
    assert_eq!(
        ws.resource("lookoutvision_dataset.train")["status"],
        "CREATE_COMPLETE"
    );
    ws.assert_plan_empty(true);
}

#[test]
fn a_model_whose_create_answer_is_lost_is_trained_once() {
    let ws = without_sdk_retries();
    ws.write_raw_config(&format!(
        "{}\n{PROJECT_AND_DATASET}{}",
        ws.provider_config_with("  max_retries = 0"),
        r#"
resource "lookoutvision_model" "m" {
  project_name = lookoutvision_project.p.name
  output_config {
    bucket = "output"
  }
  depends_on = [lookoutvision_dataset.train]
}
"#
    ));
    lose_answers(&ws, "CreateModel", 1);
    let applied = ws.apply();
    assert_eq!(
        ws.emulator.count("CreateModel"),
        2,
        "one lost answer, then one"
    );
    assert_eq!(ws.emulator.model_versions("boards"), ["1"], "one training");
    assert_eq!(ws.resource("lookoutvision_model.m")["model_version"], "1");
    assert!(
        !applied.stdout.contains("other model versions"),
        "the repeat is not mistaken for a stray version:\n{}",
        applied.stdout
    );
    ws.assert_plan_empty(true);
}

#[test]
fn deletes_whose_answers_are_lost_are_finished() {
    let ws = without_sdk_retries();
    ws.apply();
    lose_answers(&ws, "DeleteDataset", 1);
    lose_answers(&ws, "DeleteProject", 1);
    ws.destroy();
    assert!(ws.emulator.project_names().is_empty());
    assert!(ws.addresses().is_empty());
    assert_eq!(
        ws.emulator.count("DeleteProject"),
        2,
        "one lost answer, then one"
    );
}

/// Writes `resources` under a provider block aimed at `endpoint`.
fn write_config_at(ws: &Workspace, endpoint: &str, resources: &str) {
    ws.write_raw_config(&format!(
        "{}\n{resources}",
        ws.provider_config_at(endpoint, "")
    ));
}

/// Plans a data source against `endpoint`, which must fail; returns what terraform printed.
fn failed_plan_at(ws: &Workspace, endpoint: &str) -> String {
    write_config_at(ws, endpoint, "data \"lookoutvision_projects\" \"all\" {}\n");
    ws.init();
    let run = ws.run(&["plan", "-no-color"]);
    assert_eq!(run.code, 1, "{}", run.all_output());
    run.text()
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
    listener.local_addr().expect("an address").port()
}

#[test]
fn an_endpoint_that_is_down_fails_plan_and_destroy_naming_its_url() {
    let ws = Workspace::in_process();
    ws.write_config("resource \"lookoutvision_project\" \"p\" {\n  name = \"boards\"\n}\n");
    ws.init();
    ws.apply();

    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    write_config_at(
        &ws,
        &endpoint,
        "resource \"lookoutvision_project\" \"p\" {\n  name = \"boards\"\n}\n",
    );
    for command in [
        &["plan", "-no-color"][..],
        &["destroy", "-auto-approve", "-no-color"][..],
    ] {
        let run = ws.run(command);
        assert_eq!(run.code, 1, "{command:?}: {}", run.all_output());
        let text = run.text();
        assert!(
            text.contains("Failed to read lookoutvision_project \"boards\""),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "DescribeProject failed: could not connect to {endpoint}"
            )),
            "{command:?}: {text}"
        );
        assert!(
            text.contains("The provider tried to connect for 20s"),
            "{text}"
        );
    }
    assert_eq!(
        ws.emulator.project_names(),
        ["boards"],
        "nothing was deleted"
    );
}

#[test]
fn an_https_url_aimed_at_the_http_emulator_says_to_write_http() {
    let ws = Workspace::in_process();
    let endpoint = format!("https://{}", ws.emulator.address());
    let text = failed_plan_at(&ws, &endpoint);
    assert!(
        text.contains(&format!(
            "ListProjects failed: could not connect to {endpoint}"
        )),
        "{text}"
    );
    assert!(
        text.contains("The endpoint did not answer in TLS"),
        "{text}"
    );
    assert!(text.contains("write its URL with `http://`"), "{text}");
}

/// A loopback endpoint that accepts connections and never answers; it holds them until dropped.
struct Hung {
    port: u16,
    _held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Hung {
    fn start() -> Hung {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
        let port = listener.local_addr().expect("an address").port();
        let held = Arc::new(Mutex::new(Vec::new()));
        let holder = held.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                holder.lock().expect("not poisoned").push(stream);
            }
        });
        Hung { port, _held: held }
    }
}

#[test]
fn a_hung_endpoint_fails_plan_naming_its_url() {
    let hung = Hung::start();
    let ws = Workspace::in_process();
    let endpoint = format!("http://127.0.0.1:{}", hung.port);
    let text = failed_plan_at(&ws, &endpoint);
    assert!(
        text.contains(&format!("ListProjects failed: no answer from {endpoint}")),
        "{text}"
    );
    assert!(text.contains("timeout"), "{text}");
}

#[test]
fn a_project_blocked_by_a_dataset_nobody_deletes_fails_naming_it() {
    let ws = Workspace::with(
        ProviderMode::InProcess,
        Emulator::start_with(&["--dataset-duration", "0s", "--delete-duration", "0s"]),
    );
    ws.write_config("resource \"lookoutvision_project\" \"p\" {\n  name = \"x\"\n}\n");
    ws.init();
    ws.apply();
    let sdk = ws.emulator.sdk();
    ws.block_on(
        sdk.create_dataset()
            .project_name("x")
            .dataset_type("train")
            .send(),
    )
    .expect("a dataset outside Terraform");

    let run = ws.run(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 1, "{}", run.all_output());
    let text = run.text();
    assert!(
        text.contains(
            "Cannot delete lookoutvision_project \"x\": it holds objects nobody is deleting"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "dataset \"train\" of project \"x\" (status CREATE_COMPLETE), not managed by this \
             configuration"
        ),
        "{text}"
    );
    assert!(
        text.contains("terraform import lookoutvision_dataset.<name> x:train"),
        "{text}"
    );
    assert!(!text.contains("Timed out"), "{text}");
    assert_eq!(ws.addresses(), ["lookoutvision_project.p"]);

    // Following the advice: the dataset deleted, the destroy finishes.
    ws.block_on(
        sdk.delete_dataset()
            .project_name("x")
            .dataset_type("train")
            .send(),
    )
    .expect("the dataset is deleted");
    ws.destroy();
    assert!(ws.emulator.project_names().is_empty());
}

#[test]
fn replacing_a_dataset_before_destroying_it_names_the_one_dataset_per_type_rule() {
    let ws = Workspace::with(
        ProviderMode::InProcess,
        Emulator::start_with(&["--dataset-duration", "0s", "--delete-duration", "0s"]),
    );
    let dataset = |key: &str| {
        format!(
            r#"
resource "lookoutvision_project" "p" {{
  name = "boards"
}}

resource "lookoutvision_dataset" "train" {{
  project_name = lookoutvision_project.p.name
  dataset_type = "train"
  source {{
    bucket = "images"
    key    = "{key}"
  }}
  lifecycle {{
    create_before_destroy = true
  }}
}}
"#
        )
    };
    ws.write_config(&dataset("v1.manifest"));
    ws.init();
    ws.apply();
    ws.write_config(&dataset("v2.manifest"));
    let run = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 1, "{}", run.all_output());
    let text = run.text();
    assert!(
        text.contains("a project holds one dataset of each type"),
        "{text}"
    );
    assert!(
        text.contains("`lifecycle { create_before_destroy = true }`, remove that setting"),
        "{text}"
    );
}
