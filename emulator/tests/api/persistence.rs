//! The emulator's state file: the binary is killed with SIGKILL and restarted on the same
//! file, and carries on where it stopped (a training finishes at its original time, model
//! versions continue, client tokens still replay); a corrupt file stops it at start; and
//! every change is on disk before it is answered.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_lookoutvision::operation::create_project::CreateProjectOutput;
use aws_sdk_lookoutvision::types::ModelStatus;
use aws_sdk_lookoutvision::Client;
use lookoutvision_emulator::{Config, StateFile};
use serde_json::{json, Value};

use crate::support::{
    admin, client, create_tagged_model, emulator_command, manifest, manual_clock_emulator,
    project_names, wait_for_exit, EmulatorProcess,
};

async fn create_project(client: &Client, name: &str, token: &str) -> CreateProjectOutput {
    client
        .create_project()
        .project_name(name)
        .client_token(token)
        .send()
        .await
        .unwrap()
}

async fn entry_count(client: &Client) -> usize {
    let entries: Vec<String> = client
        .list_dataset_entries()
        .project_name("p1")
        .dataset_type("train")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    entries.len()
}

async fn create_model(client: &Client) -> (String, i64) {
    let created = create_tagged_model(client, "p1").await;
    let metadata = created.model_metadata().unwrap();
    let created_at = metadata.creation_timestamp().unwrap().to_millis().unwrap();
    (metadata.model_version().unwrap().to_owned(), created_at)
}

#[tokio::test]
async fn a_killed_emulator_resumes_from_its_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let path_arg = path.to_str().unwrap();
    let args = [
        "--state-file",
        path_arg,
        "--training-duration",
        "2s",
        "--dataset-duration",
        "0s",
    ];

    let first = EmulatorProcess::start(&args);
    let sdk = first.client();
    let created = create_project(&sdk, "p1", "token-p1").await;
    sdk.create_dataset()
        .project_name("p1")
        .dataset_type("train")
        .dataset_source(manifest("bucket", "data/manifest.json"))
        .send()
        .await
        .unwrap();
    let entries = entry_count(&sdk).await;
    assert!(entries >= 20, "{entries}");
    let (version, created_at) = create_model(&sdk).await;
    assert_eq!(version, "1");
    first
        .admin(
            "POST",
            "/_emulator/fail-next-hosting",
            json!({"project": "p1"}),
        )
        .await;
    first
        .admin(
            "POST",
            "/_emulator/faults",
            json!({"operation": "StopModel", "error": "ConflictException"}),
        )
        .await;
    first.kill();

    let second = EmulatorProcess::start(&args);
    let sdk = second.client();
    // The training under way when the process died finishes at its original time.
    let deadline = Instant::now() + Duration::from_secs(10);
    let model = loop {
        let described = sdk
            .describe_model()
            .project_name("p1")
            .model_version("1")
            .send()
            .await
            .unwrap();
        let model = described.model_description().unwrap().clone();
        if model.status() != Some(&ModelStatus::Training) {
            break model;
        }
        assert!(Instant::now() < deadline, "still training");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(model.status(), Some(&ModelStatus::Trained));
    let ended = model
        .evaluation_end_timestamp()
        .unwrap()
        .to_millis()
        .unwrap();
    assert_eq!(ended, created_at + 2_000);

    assert_eq!(entry_count(&sdk).await, entries);
    let tags = sdk
        .list_tags_for_resource()
        .resource_arn(model.model_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].key(), Some("team"));
    // A client token from before the restart still replays (the project exists, so running
    // the call again would be a conflict).
    let replayed = create_project(&sdk, "p1", "token-p1").await;
    assert_eq!(replayed.project_metadata(), created.project_metadata());
    // Versions continue.
    assert_eq!(create_model(&sdk).await.0, "2");

    let state = second.admin("GET", "/_emulator/state", Value::Null).await;
    assert_eq!(
        state["armed_failures"],
        json!([{"kind": "hosting", "project": "p1",
                "message": "Hosting failed: there was not enough capacity to start the model"}])
    );
    let faults = second.admin("GET", "/_emulator/faults", Value::Null).await;
    assert_eq!(faults["faults"][0]["fault"]["operation"], "StopModel");
    let log = second
        .admin("GET", "/_emulator/requests", Value::Null)
        .await;
    let create = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["operation"] == "CreateProject")
        .unwrap();
    assert_eq!(create["replayed"], true);
    second.kill();

    // Nothing but the state file is left in its directory.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names, ["state.json"]);
}

#[test]
fn a_corrupt_state_file_stops_the_emulator_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, b"{\"format\": 1, \"projects\": [").unwrap();
    let mut child = emulator_command(&["--state-file"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status =
        wait_for_exit(&mut child, Duration::from_secs(10)).expect("the emulator kept running");
    assert!(!status.success());
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(stdout, "", "announced an address despite the bad file");
    assert!(
        stderr.contains(path.to_str().unwrap()) && stderr.contains("corrupt"),
        "{stderr}"
    );
    // The file is left as it was, for someone to look at.
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"{\"format\": 1, \"projects\": ["
    );
}

/// The project names in the state file at `path`.
fn saved_projects(path: &Path) -> Vec<String> {
    let saved: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    project_names(&saved["state"]["projects"])
}

#[tokio::test]
async fn every_change_is_saved_before_it_is_answered_and_reads_save_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let start = || async {
        let config = Config {
            state_file: Some(StateFile::open(&path).unwrap()),
            ..Config::default()
        };
        manual_clock_emulator(config).await.0
    };
    let emulator = start().await;
    assert!(!path.exists(), "nothing changed yet");
    let sdk = client(&emulator.url());
    create_project(&sdk, "p1", "t1").await;
    assert_eq!(saved_projects(&path), ["p1"]);
    create_project(&sdk, "p2", "t2").await;
    assert_eq!(saved_projects(&path), ["p1", "p2"]);

    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    sdk.list_projects().send().await.unwrap();
    sdk.describe_project()
        .project_name("p1")
        .send()
        .await
        .unwrap();
    sdk.delete_project()
        .project_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );

    sdk.delete_project()
        .project_name("p1")
        .send()
        .await
        .unwrap();
    assert_eq!(saved_projects(&path), ["p2"]);
    emulator.stop().await.unwrap();

    // A second emulator on the same file starts where the first stopped; reset empties both
    // it and the file.
    let emulator = start().await;
    let names: Vec<_> = client(&emulator.url())
        .list_projects()
        .send()
        .await
        .unwrap()
        .projects()
        .iter()
        .filter_map(|p| p.project_name().map(str::to_owned))
        .collect();
    assert_eq!(names, ["p2"]);
    admin(emulator.address(), "POST", "/_emulator/reset", Value::Null).await;
    assert!(saved_projects(&path).is_empty());
}
