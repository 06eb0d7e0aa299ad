//! Acceptance tests of `lookoutvision_project`: the real terraform CLI, the provider and the
//! emulator on loopback.

use harness::{Emulator, Workspace};

fn project(label: &str, name: &str) -> String {
    format!("resource \"lookoutvision_project\" \"{label}\" {{\n  name = \"{name}\"\n}}\n")
}

#[test]
fn apply_then_plans_are_empty_and_destroy_empties_the_emulator() {
    let ws = Workspace::in_process();
    ws.write_config(&project("demo", "demo-project"));
    ws.init();
    ws.apply();

    let state = ws.resource("lookoutvision_project.demo");
    assert_eq!(state["id"], "demo-project");
    assert_eq!(state["name"], "demo-project");
    assert_eq!(
        state["arn"],
        "arn:aws:lookoutvision:us-east-1:123456789012:project/demo-project"
    );
    let created = state["creation_timestamp"]
        .as_str()
        .expect("a creation timestamp");
    assert!(
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "creation_timestamp {created:?} is not RFC 3339"
    );
    // At the precision the service keeps: milliseconds, not the float's `.819999`.
    let fraction = created
        .trim_end_matches('Z')
        .split_once('.')
        .map_or("", |(_, fraction)| fraction);
    assert!(fraction.len() <= 3, "creation_timestamp {created:?}");
    assert_eq!(ws.emulator.project_names(), ["demo-project"]);

    ws.assert_plan_empty(false);
    ws.assert_plan_empty(true);

    ws.destroy();
    assert!(ws.emulator.project_names().is_empty());
    assert!(ws.addresses().is_empty());
}

#[test]
fn import_by_name_matches_the_applied_state() {
    let ws = Workspace::in_process();
    ws.write_config(&project("demo", "imported"));
    ws.init();
    ws.apply();
    let applied = ws.resource("lookoutvision_project.demo");

    ws.ok(&["state", "rm", "lookoutvision_project.demo"]);
    assert!(ws.addresses().is_empty());

    let bad = ws.run(&[
        "import",
        "-no-color",
        "lookoutvision_project.demo",
        "not a name",
    ]);
    assert_ne!(bad.code, 0);
    // Terraform wraps the detail, so match on the text with wrapping undone.
    let output = bad.text();
    assert!(
        output.contains("Invalid import ID for lookoutvision_project"),
        "{output}"
    );
    assert!(
        output.contains("letters, digits, hyphens and underscores"),
        "{output}"
    );

    ws.ok(&[
        "import",
        "-no-color",
        "lookoutvision_project.demo",
        "imported",
    ]);
    let imported = ws.resource("lookoutvision_project.demo");
    for attribute in ["id", "name", "arn", "creation_timestamp"] {
        assert_eq!(
            imported[attribute], applied[attribute],
            "{attribute} differs after import"
        );
    }
    assert!(
        imported["timeouts"].is_null(),
        "timeouts are configuration only"
    );
    ws.assert_plan_empty(true);
}

#[test]
fn import_block_adopts_an_existing_project() {
    let ws = Workspace::in_process();
    ws.block_on(async {
        ws.emulator
            .sdk()
            .create_project()
            .project_name("pre-existing")
            .send()
            .await
            .expect("the project is created behind Terraform");
    });
    ws.write_config(&format!(
        "{}\nimport {{\n  to = lookoutvision_project.adopted\n  id = \"pre-existing\"\n}}\n",
        project("adopted", "pre-existing")
    ));
    ws.init();
    let run = ws.apply();
    assert!(run.stdout.contains("1 imported, 0 added"), "{}", run.stdout);
    assert_eq!(
        ws.emulator.count("CreateProject"),
        1,
        "only the SDK call created it"
    );
    ws.assert_plan_empty(true);
}

#[test]
fn renaming_replaces_the_project() {
    let ws = Workspace::in_process();
    ws.write_config(&project("demo", "first-name"));
    ws.init();
    ws.apply();

    ws.write_config(&project("demo", "second-name"));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.stdout.contains("forces replacement"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("1 to add, 0 to change, 1 to destroy"),
        "{}",
        plan.stdout
    );
    ws.apply();
    assert_eq!(ws.emulator.project_names(), ["second-name"]);
    assert_eq!(
        ws.resource("lookoutvision_project.demo")["id"],
        "second-name"
    );
    ws.assert_plan_empty(true);
}

#[test]
fn a_project_deleted_behind_terraforms_back_is_planned_again() {
    let ws = Workspace::in_process();
    ws.write_config(&project("demo", "vanishing"));
    ws.init();
    ws.apply();
    ws.block_on(async {
        ws.emulator
            .sdk()
            .delete_project()
            .project_name("vanishing")
            .send()
            .await
            .expect("the project is deleted behind Terraform");
    });

    let plan = ws.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(plan.code, 2, "a change is expected:\n{}", plan.all_output());
    assert!(plan.stdout.contains("will be created"), "{}", plan.stdout);
    assert!(
        plan.all_output().contains("was deleted outside Terraform"),
        "the refresh warns:\n{}",
        plan.all_output()
    );
    ws.apply();
    assert_eq!(ws.emulator.project_names(), ["vanishing"]);
}

#[test]
fn an_invalid_name_fails_at_plan_naming_the_attribute_without_api_calls() {
    let ws = Workspace::in_process();
    ws.write_config(&project("demo", "-starts-with-a-hyphen"));
    ws.init();
    let plan = ws.run(&["plan", "-no-color"]);
    assert_eq!(plan.code, 1, "{}", plan.all_output());
    let output = plan.all_output();
    assert!(output.contains("Invalid value for name"), "{output}");
    assert!(
        output.contains(r#"got "-starts-with-a-hyphen""#),
        "{output}"
    );
    assert!(
        output.contains(r#"in resource "lookoutvision_project" "demo""#),
        "{output}"
    );

    ws.write_config(&project("demo", &"n".repeat(256)));
    let output = ws.run(&["plan", "-no-color"]).all_output();
    assert!(
        output.contains("between 1 and 255 characters long"),
        "{output}"
    );

    assert!(ws.emulator.requests().is_empty(), "no API call may be made");
}

#[test]
fn creating_an_existing_name_says_so_and_shows_the_import_command() {
    let ws = Workspace::in_process();
    ws.block_on(async {
        ws.emulator
            .sdk()
            .create_project()
            .project_name("taken")
            .send()
            .await
            .expect("the project is created behind Terraform");
    });
    ws.write_config(&project("demo", "taken"));
    ws.init();
    let run = ws.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 1);
    let output = run.all_output();
    assert!(
        output.contains(r#"Error: Failed to create lookoutvision_project "taken""#),
        "{output}"
    );
    assert!(output.contains("ConflictException"), "{output}");
    assert!(
        output.contains("terraform import lookoutvision_project.<name> taken"),
        "{output}"
    );
    assert!(
        ws.addresses().is_empty(),
        "nothing was created, so nothing is in the state"
    );
}

#[test]
fn invalid_provider_arguments_fail_at_plan_naming_them() {
    let ws = Workspace::in_process();
    let config = ws.provider_config().replace(
        "region     = \"us-east-1\"",
        "region     = \"us-east-1\"\n  retry_mode = \"legacy\"\n  max_retries = -1",
    );
    ws.write_raw_config(&format!("{config}\n{}", project("demo", "p")));
    ws.init();
    let output = ws.run(&["plan", "-no-color"]).all_output();
    assert!(output.contains("Invalid value for retry_mode"), "{output}");
    assert!(output.contains("one of `standard`, `adaptive`"), "{output}");
    assert!(output.contains("Invalid value for max_retries"), "{output}");
    assert!(ws.emulator.requests().is_empty());
}

#[test]
fn the_endpoint_can_come_from_the_environment_variable() {
    // The binary inherits terraform's environment, as it does for users.
    let mut ws = Workspace::with(crate::provider_binary(), Emulator::start());
    let config = ws
        .provider_config()
        .replace(&format!("lookoutvision = \"{}\"", ws.emulator.url), "");
    ws.write_raw_config(&format!("{config}\n{}", project("demo", "from-env")));
    ws.env.push((
        "AWS_ENDPOINT_URL_LOOKOUTVISION".into(),
        ws.emulator.url.clone(),
    ));
    ws.apply();
    assert_eq!(ws.emulator.project_names(), ["from-env"]);
    ws.destroy();
}

#[test]
fn the_built_binary_serves_terraform_over_automtls() {
    let ws = Workspace::with(crate::provider_binary(), Emulator::start());
    ws.write_config(&project("demo", "over-mtls"));
    let run = ws.apply();
    assert!(
        run.stdout.contains("Apply complete! Resources: 1 added"),
        "{}",
        run.stdout
    );
    assert_eq!(ws.emulator.project_names(), ["over-mtls"]);
    ws.assert_plan_empty(true);
    ws.destroy();
    assert!(ws.emulator.project_names().is_empty());
}

#[test]
fn a_service_quota_is_named_and_nothing_is_half_created() {
    let ws = Workspace::with(
        harness::ProviderMode::InProcess,
        Emulator::start_with(&["--quota-projects", "1"]),
    );
    ws.write_config(&format!(
        "{}{}",
        project("first", "first-project"),
        project("second", "second-project")
    ));
    ws.init();
    let run = ws.run(&["apply", "-auto-approve", "-no-color", "-parallelism=1"]);
    assert_ne!(run.code, 0, "the second project is over the quota");
    let text = run.text();
    assert!(text.contains("ServiceQuotaExceededException"), "{text}");
    assert!(text.contains("quota code L-4C560001"), "{text}");
    assert!(text.contains("ask for a higher service quota"), "{text}");

    // Exactly what the service created is in the state: one project, on both sides.
    let in_state: Vec<String> = ws
        .addresses()
        .into_iter()
        .map(|address| ws.resource(&address)["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(in_state.len(), 1, "{in_state:?}");
    assert_eq!(ws.emulator.project_names(), in_state);

    ws.destroy();
    assert!(ws.emulator.project_names().is_empty());
}
