//! Acceptance tests of MoveResourceState: a `moved` block adopts a project that the awscc
//! provider managed (`awscc_lookoutvision_project`), with the real terraform, without
//! replacing it or touching it.
//!
//! Terraform needs the source provider while it plans the move, although it never configures
//! it nor sends it MoveResourceState: `terraform init` adds the providers the state names to
//! the configuration's, `plan` refuses a state whose provider is not available ("Missing
//! required provider"), and the plan's renderer loads the schema of every provider in the
//! unmoved state. So the test stands awscc in: a provider built on this crate's framework that
//! declares awscc's `awscc_lookoutvision_project` schema (version 1, as awscc has written it
//! since 2021) and refuses every operation, served in the test process and attached through
//! `TF_REATTACH_PROVIDERS` beside the lookoutvision provider. Attached providers are neither
//! installed nor locked, so this runs offline, like `dev_overrides` would, without a binary
//! on disk. The last step detaches the stand-in to show that Terraform does need it.

use std::sync::Arc;

use async_trait::async_trait;
use harness::{Emulator, ProviderMode, Workspace};
use lookoutvision::framework::diag::{Diagnostic, Diagnostics};
use lookoutvision::framework::resource::{Context, Failure, Provider, Resource};
use lookoutvision::framework::schema::{Attribute, Block, Schema};
use lookoutvision::framework::value::{Type, Value};

const AWSCC: &str = "registry.terraform.io/hashicorp/awscc";

/// The stand-in for hashicorp/awscc: its `awscc_lookoutvision_project` schema and nothing else.
struct AwsccStandIn;

#[async_trait]
impl Provider for AwsccStandIn {
    type Client = ();

    fn type_name(&self) -> &'static str {
        "awscc"
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new("A stand-in for hashicorp/awscc."))
    }

    async fn configure(&self, _config: &Value) -> Result<(), Diagnostics> {
        Ok(())
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
        vec![Arc::new(AwsccProject)]
    }
}

/// `awscc_lookoutvision_project` as awscc declares it; any operation on it fails the test run.
struct AwsccProject;

fn refusal() -> Diagnostic {
    Diagnostic::error(
        "The awscc stand-in was asked to act",
        "Terraform only loads the source provider's schema during a move.",
    )
}

fn untouchable() -> Failure {
    refusal().into()
}

#[async_trait]
impl Resource<()> for AwsccProject {
    fn type_name(&self) -> &'static str {
        "awscc_lookoutvision_project"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 1,
            block: Block::new("A Lookout for Vision project, through Cloud Control.")
                .attribute(Attribute::computed("arn", Type::String))
                .attribute(Attribute::computed("id", Type::String))
                .attribute(Attribute::required("project_name", Type::String).requires_replace()),
        }
    }

    async fn create(&self, _: &Context<'_, ()>, _: &Value) -> Result<Value, Failure> {
        Err(untouchable())
    }

    async fn read(&self, _: &Context<'_, ()>, _: &Value) -> Result<Option<Value>, Failure> {
        Err(untouchable())
    }

    async fn update(&self, _: &Context<'_, ()>, _: &Value, _: &Value) -> Result<Value, Failure> {
        Err(untouchable())
    }

    async fn delete(&self, _: &Context<'_, ()>, _: &Value) -> Result<(), Failure> {
        Err(untouchable())
    }

    fn import(&self, _: &str) -> Result<Value, Diagnostic> {
        Err(refusal())
    }
}

/// A state file as Terraform 1.11 writes it for a project that awscc manages as
/// `awscc_lookoutvision_project.demo`: schema version 1, Cloud Control's `id` (the name),
/// `project_name` and `arn`.
fn awscc_state(name: &str, arn: &str) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 3,
        "lineage": "5d6d3f1e-2f7c-4c7e-9d7a-2b0c1f6e8a41",
        "outputs": {},
        "resources": [{
            "mode": "managed",
            "type": "awscc_lookoutvision_project",
            "name": "demo",
            "provider": format!("provider[\"{AWSCC}\"]"),
            "instances": [{
                "schema_version": 1,
                "attributes": {"arn": arn, "id": name, "project_name": name},
                "sensitive_attributes": []
            }]
        }],
        "check_results": null
    }))
    .expect("the state is JSON")
}

/// A workspace whose state holds the awscc project `demo` (which exists in the emulator, made
/// through the SDK as awscc would have made it), with the awscc stand-in attached.
fn adopted_from_awscc() -> Workspace {
    let mut ws = Workspace::with(ProviderMode::InProcess, Emulator::start());
    ws.block_on(async {
        ws.emulator
            .sdk()
            .create_project()
            .project_name("demo")
            .send()
            .await
            .expect("the project exists, made by awscc");
    });
    let arn = "arn:aws:lookoutvision:us-east-1:123456789012:project/demo";
    std::fs::write(
        ws.path().join("terraform.tfstate"),
        awscc_state("demo", arn),
    )
    .expect("the state file is written");
    ws.attach(AWSCC, AwsccStandIn);
    ws
}

fn operations_since(ws: &Workspace, mark: usize) -> Vec<String> {
    ws.emulator.requests()[mark..]
        .iter()
        .map(|r| r["operation"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_moved_block_adopts_an_awscc_project_without_replacing_it() {
    let mut ws = adopted_from_awscc();
    ws.write_config(
        r#"
resource "lookoutvision_project" "demo" {
  name = "demo"
}

moved {
  from = awscc_lookoutvision_project.demo
  to   = lookoutvision_project.demo
}
"#,
    );
    let before = ws.emulator.dump();
    let mark = ws.emulator.requests().len();
    ws.init();

    let plan = ws.ok(&["plan", "-no-color"]);
    let text = plan.text();
    assert!(
        text.contains("# awscc_lookoutvision_project.demo has moved to lookoutvision_project.demo"),
        "{text}"
    );
    assert!(!text.contains("must be replaced"), "{text}");
    assert!(!text.contains("will be created"), "{text}");
    assert!(
        text.contains("Plan: 0 to add, 0 to change, 0 to destroy"),
        "{text}"
    );

    let applied = ws.apply();
    assert!(
        applied
            .stdout
            .contains("Apply complete! Resources: 0 added, 0 changed, 0 destroyed"),
        "{}",
        applied.stdout
    );
    assert_eq!(ws.addresses(), ["lookoutvision_project.demo"]);
    let state = ws.resource("lookoutvision_project.demo");
    assert_eq!(state["id"], "demo");
    assert_eq!(state["name"], "demo");
    assert_eq!(
        state["arn"],
        "arn:aws:lookoutvision:us-east-1:123456789012:project/demo"
    );
    assert!(
        state["creation_timestamp"].is_string(),
        "the first refresh read the rest: {state:#}"
    );
    let stored = std::fs::read_to_string(ws.path().join("terraform.tfstate")).expect("a state");
    assert!(!stored.contains("awscc_lookoutvision_project"), "{stored}");
    ws.assert_plan_empty(true);

    // The project was only read: no create, no delete, and the emulator holds it unchanged.
    let operations = operations_since(&ws, mark);
    assert!(
        operations.iter().all(|op| op == "DescribeProject"),
        "{operations:?}"
    );
    assert_eq!(ws.emulator.dump(), before);

    // Once moved, the state no longer needs awscc.
    ws.detach(AWSCC);
    ws.assert_plan_empty(true);
}

#[test]
fn terraform_needs_the_source_provider_while_the_move_is_planned() {
    let mut ws = adopted_from_awscc();
    ws.write_config(
        "resource \"lookoutvision_project\" \"demo\" {\n  name = \"demo\"\n}\n\nmoved {\n  from = awscc_lookoutvision_project.demo\n  to   = lookoutvision_project.demo\n}\n",
    );
    ws.init();
    ws.detach(AWSCC);
    let plan = ws.run(&["plan", "-no-color"]);
    assert_ne!(plan.code, 0, "{}", plan.all_output());
    let text = plan.text();
    assert!(
        text.contains(
            "Missing required provider This state requires provider \
             registry.terraform.io/hashicorp/awscc, but that provider isn't available"
        ),
        "{text}"
    );
    assert!(ws.emulator.count("DeleteProject") == 0 && ws.emulator.count("CreateProject") == 1);
}

#[test]
fn a_move_into_another_type_is_refused_naming_what_is_supported() {
    let ws = adopted_from_awscc();
    ws.write_config(
        r#"
resource "lookoutvision_dataset" "demo" {
  project_name = "demo"
  dataset_type = "train"
}

moved {
  from = awscc_lookoutvision_project.demo
  to   = lookoutvision_dataset.demo
}
"#,
    );
    ws.init();
    let mark = ws.emulator.requests().len();
    let plan = ws.run(&["plan", "-no-color"]);
    assert_eq!(plan.code, 1, "{}", plan.all_output());
    let text = plan.text();
    assert!(
        text.contains("Error: Cannot move awscc_lookoutvision_project to lookoutvision_dataset"),
        "{text}"
    );
    assert!(
        text.contains("lookoutvision_dataset accepts no `moved` block from another resource type"),
        "{text}"
    );
    assert!(operations_since(&ws, mark).is_empty(), "nothing was called");
    assert_eq!(ws.emulator.project_names(), ["demo"]);
}
