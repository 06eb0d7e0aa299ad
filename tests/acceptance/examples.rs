//! Every example in `examples/` is formatted, applies and destroys against the emulator with
//! the real terraform CLI, so the documentation's examples cannot rot.

use std::path::{Path, PathBuf};
use std::process::Command;

use harness::{terraform_binary, Emulator, ProviderMode, Workspace};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

fn fast_emulator() -> Emulator {
    Emulator::start_with(&[
        "--dataset-duration",
        "200ms",
        "--training-duration",
        "300ms",
        "--hosting-duration",
        "200ms",
        "--delete-duration",
        "200ms",
    ])
}

fn apply_and_destroy(ws: &Workspace) {
    ws.init();
    ws.apply();
    ws.assert_plan_empty(true);
    ws.destroy();
    assert!(
        ws.emulator.project_names().is_empty(),
        "the example left objects behind"
    );
}

#[test]
fn examples_are_formatted() {
    let output = Command::new(terraform_binary())
        .args(["fmt", "-check", "-recursive", "-diff"])
        .arg(examples())
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .expect("terraform fmt runs");
    assert!(
        output.status.success(),
        "terraform fmt -check found unformatted examples:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn every_resource_example_applies_and_destroys() {
    let dirs = std::fs::read_dir(examples().join("resources")).expect("examples/resources exists");
    let mut tried = 0;
    for dir in dirs {
        let dir = dir.expect("a directory entry").path();
        let ws = Workspace::with(ProviderMode::InProcess, fast_emulator());
        ws.write_config(&read(&dir.join("resource.tf")));
        apply_and_destroy(&ws);
        tried += 1;
    }
    assert_eq!(tried, 3, "one example per resource type");
}

#[test]
fn the_provider_example_applies_against_its_endpoint() {
    let ws = Workspace::with(ProviderMode::InProcess, fast_emulator());
    let provider = read(&examples().join("provider/provider.tf"))
        .replace("http://127.0.0.1:5566", &ws.emulator.url);
    assert!(
        provider.contains(&ws.emulator.url),
        "the example names an endpoint"
    );
    ws.write_raw_config(&format!(
        "{provider}\nresource \"lookoutvision_project\" \"p\" {{\n  name = \"provider-example\"\n}}\n"
    ));
    apply_and_destroy(&ws);
}

#[test]
fn the_complete_stack_applies_with_settings_from_the_environment() {
    // The stack takes its endpoint and credentials from the environment, which the provider
    // binary inherits from terraform as it does for users.
    let mut ws = Workspace::with(crate::provider_binary(), fast_emulator());
    ws.write_raw_config(&read(&examples().join("stack/main.tf")));
    let url = ws.emulator.url.clone();
    ws.env.extend([
        ("AWS_ENDPOINT_URL_LOOKOUTVISION".to_owned(), url),
        ("AWS_ACCESS_KEY_ID".to_owned(), "example".to_owned()),
        ("AWS_SECRET_ACCESS_KEY".to_owned(), "example".to_owned()),
    ]);
    apply_and_destroy(&ws);
}

/// `examples/local-service/run.sh` generates parts, trains and hosts a model on them through
/// terraform, and asks the AWS CLI about a normal and a defective part it never saw: the
/// model must tell them apart. The script needs an AWS CLI with the lookoutvision commands
/// (`scripts/test-tools.sh` installs awscli 1.42.60 and `scripts/test.sh` points
/// LOOKOUTVISION_AWS_CLI at it); without one the script fails, and says how to get it.
#[test]
fn the_local_service_example_tells_a_normal_part_from_a_defective_one() {
    let output = Command::new("bash")
        .arg(examples().join("local-service/run.sh"))
        .env("TF_ACC_TERRAFORM_PATH", terraform_binary())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "run.sh failed:\n{stdout}\n{stderr}"
    );
    for expected in [
        "verdict: normal-part.png IsAnomalous=False",
        "verdict: defective-part.png IsAnomalous=True",
        "Done: trained, hosted, asked and destroyed",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in:\n{stdout}");
    }
}
