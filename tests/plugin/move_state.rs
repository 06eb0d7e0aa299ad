//! MoveResourceState as Terraform 1.12 to 1.14 drive it, with the awscc identity those versions
//! store (Terraform 1.11, which the acceptance suite runs, sends no identity), and as OpenTofu
//! sends it (flat state, its own registry address, a configured instance).
//!
//! Terraform's order: before planning, one fresh, unconfigured target instance gets
//! GetProviderSchema, GetResourceIdentitySchemas and MoveResourceState; then the plan's
//! configured instance upgrades the moved state (UpgradeResourceState with its JSON), refreshes
//! it and plans it. Terraform also starts the source provider (awscc) to load its schema; the
//! acceptance test `move_state.rs` stands one in, which a protocol test has no use for.

use lookoutvision::framework::json;
use lookoutvision::framework::value::Value;
use lookoutvision::proto::tfplugin6 as pb;

use crate::behind::{fast_emulator, projects};
use crate::terraform::{
    assert_read_only_since, decode, dynamic, errors, mark, project_config, run, Terraform,
};

const PROJECT: &str = "lookoutvision_project";
const AWSCC: &str = "registry.terraform.io/hashicorp/awscc";
const AWSCC_PROJECT: &str = "awscc_lookoutvision_project";
const ARN: &str = "arn:aws:lookoutvision:us-east-1:123456789012:project/demo";

fn raw(json: &str) -> pb::RawState {
    pb::RawState {
        json: json.as_bytes().to_vec(),
        ..Default::default()
    }
}

/// The request Terraform makes for `moved { from = awscc_lookoutvision_project.x  to = TYPE.x }`.
fn from_awscc(
    state: &str,
    identity: Option<&str>,
    target: &str,
) -> pb::move_resource_state::Request {
    pb::move_resource_state::Request {
        source_provider_address: AWSCC.to_owned(),
        source_type_name: AWSCC_PROJECT.to_owned(),
        source_schema_version: 1,
        source_state: Some(raw(state)),
        target_type_name: target.to_owned(),
        source_private: Vec::new(),
        source_identity: identity.map(raw),
        // Terraform 1.12 to 1.15 never set it.
        source_identity_schema_version: 0,
    }
}

async fn move_to(
    terraform: &mut Terraform,
    request: pb::move_resource_state::Request,
) -> pb::move_resource_state::Response {
    terraform
        .provider
        .move_resource_state(request)
        .await
        .expect("MoveResourceState answers OK")
        .into_inner()
}

#[test]
fn an_awscc_project_moves_and_plans_no_change() {
    let emulator = fast_emulator();
    run(async {
        projects(&emulator, ["demo".to_owned()]).await;
        let created = emulator.dump()["projects"][0]["created"].clone();
        let mark = mark(&emulator);

        // The move: a fresh instance, never configured.
        let mut mover = Terraform::start().await;
        assert!(
            mover.capabilities().move_resource_state,
            "without it: Unsupported `moved` across resource types"
        );
        let moved = move_to(
            &mut mover,
            from_awscc(
                &format!(r#"{{"arn": "{ARN}", "id": "demo", "project_name": "demo"}}"#),
                Some(r#"{"account_id": "123456789012", "project_name": "demo", "region": "us-east-1"}"#),
                PROJECT,
            ),
        )
        .await;
        assert!(moved.diagnostics.is_empty(), "{moved:?}");
        let ty = mover.resource_type(PROJECT);
        let state = decode(moved.target_state.as_ref().expect("a target state"), &ty)
            .expect("Provider returned invalid value");
        assert!(!state.is_null() && state.is_wholly_known(), "{state:?}");
        assert_eq!(state.get("name").as_str(), Some("demo"));
        assert_eq!(state.get("arn").as_str(), Some(ARN));
        let identity = mover
            .decode_identity(PROJECT, moved.target_identity.as_ref())
            .expect("a wholly known identity");
        let expected_identity = Value::object([
            ("name", "demo".into()),
            ("account_id", "123456789012".into()),
            ("region", "us-east-1".into()),
        ]);
        assert_eq!(identity, expected_identity);
        assert!(emulator.requests().len() == mark, "a move calls no API");

        // The plan: Terraform stores the moved state as JSON and upgrades it first.
        let mut planner = Terraform::configured(&emulator.url).await;
        let stored = json::encode(&state, &ty).expect("a state has a JSON form");
        let upgraded = planner
            .provider
            .upgrade_resource_state(pb::upgrade_resource_state::Request {
                type_name: PROJECT.to_owned(),
                version: 0,
                raw_state: Some(raw(&stored.to_string())),
            })
            .await
            .expect("UpgradeResourceState answers OK")
            .into_inner();
        assert!(upgraded.diagnostics.is_empty(), "{upgraded:?}");
        let read = planner
            .provider
            .read_resource(pb::read_resource::Request {
                type_name: PROJECT.to_owned(),
                current_state: upgraded.upgraded_state.clone(),
                current_identity: moved.target_identity.clone(),
                ..Default::default()
            })
            .await
            .expect("ReadResource answers OK")
            .into_inner();
        assert!(read.diagnostics.is_empty(), "{read:?}");
        assert_eq!(
            planner.decode_identity(PROJECT, read.new_identity.as_ref()),
            Ok(expected_identity.clone())
        );
        let refreshed = decode(read.new_state.as_ref().expect("a state"), &ty).expect("a state");
        assert!(
            refreshed.get("creation_timestamp").as_str().is_some(),
            "{refreshed:?}"
        );

        let config = project_config("demo");
        let plan = planner
            .provider
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: PROJECT.to_owned(),
                prior_state: read.new_state.clone(),
                proposed_new_state: read.new_state.clone(),
                config: Some(dynamic(&config, &ty)),
                prior_private: read.private.clone(),
                prior_identity: read.new_identity.clone(),
                ..Default::default()
            })
            .await
            .expect("PlanResourceChange answers OK")
            .into_inner();
        assert!(plan.diagnostics.is_empty(), "{plan:?}");
        assert!(plan.requires_replace.is_empty(), "no replacement: {plan:?}");
        assert_eq!(
            plan.planned_state.map(|s| s.msgpack),
            read.new_state.map(|s| s.msgpack),
            "no change"
        );
        assert_eq!(
            planner.decode_identity(PROJECT, plan.planned_identity.as_ref()),
            Ok(expected_identity)
        );

        assert_read_only_since(&emulator, mark);
        assert_eq!(emulator.dump()["projects"][0]["created"], created);
    });
}

#[test]
fn what_the_state_lacks_comes_from_the_awscc_identity() {
    run(async {
        let mut terraform = Terraform::start().await;
        // No ARN (awscc wrote one, but an edited or partial state may lack it).
        let moved = move_to(
            &mut terraform,
            from_awscc(
                r#"{"project_name": "demo"}"#,
                Some(r#"{"account_id": "123456789012", "project_name": "demo", "region": "eu-west-1"}"#),
                PROJECT,
            ),
        )
        .await;
        assert!(moved.diagnostics.is_empty(), "{moved:?}");
        let identity = terraform
            .decode_identity(PROJECT, moved.target_identity.as_ref())
            .expect("an identity");
        assert_eq!(identity.get("account_id").as_str(), Some("123456789012"));
        assert_eq!(identity.get("region").as_str(), Some("eu-west-1"));
    });
}

#[test]
fn opentofu_moves_a_flat_state_under_its_own_registry_address() {
    let emulator = fast_emulator();
    run(async {
        // OpenTofu moves inside the plan walk, on the configured instance, with no identity.
        let mut terraform = Terraform::configured(&emulator.url).await;
        let request = pb::move_resource_state::Request {
            source_provider_address: "registry.opentofu.org/hashicorp/awscc".to_owned(),
            source_state: Some(pb::RawState {
                flatmap: [
                    ("id".to_owned(), "demo".to_owned()),
                    ("project_name".to_owned(), "demo".to_owned()),
                    ("arn".to_owned(), ARN.to_owned()),
                ]
                .into(),
                ..Default::default()
            }),
            source_identity: None,
            ..from_awscc("", None, PROJECT)
        };
        let moved = move_to(&mut terraform, request).await;
        assert!(moved.diagnostics.is_empty(), "{moved:?}");
        let state = decode(
            moved.target_state.as_ref().expect("a state"),
            &terraform.resource_type(PROJECT),
        )
        .expect("a project state");
        assert_eq!(state.get("arn").as_str(), Some(ARN));
    });
}

#[test]
fn any_other_source_is_refused_naming_the_one_supported() {
    run(async {
        let mut terraform = Terraform::start().await;
        let state = format!(r#"{{"arn": "{ARN}", "id": "demo", "project_name": "demo"}}"#);
        let supported = "can only be moved from awscc_lookoutvision_project of \
                         registry.terraform.io/hashicorp/awscc";
        let cases = [
            (
                pb::move_resource_state::Request {
                    source_provider_address: "registry.terraform.io/hashicorp/aws".to_owned(),
                    source_type_name: "aws_rekognition_project".to_owned(),
                    ..from_awscc(&state, None, PROJECT)
                },
                "Cannot move aws_rekognition_project to lookoutvision_project",
                supported,
            ),
            (
                pb::move_resource_state::Request {
                    source_type_name: "awscc_lookoutequipment_project".to_owned(),
                    ..from_awscc(&state, None, PROJECT)
                },
                "Cannot move awscc_lookoutequipment_project to lookoutvision_project",
                supported,
            ),
            (
                pb::move_resource_state::Request {
                    source_schema_version: 2,
                    ..from_awscc(&state, None, PROJECT)
                },
                "Cannot move awscc_lookoutvision_project to lookoutvision_project",
                "schema version 2",
            ),
            (
                from_awscc(&state, None, "lookoutvision_dataset"),
                "Cannot move awscc_lookoutvision_project to lookoutvision_dataset",
                "lookoutvision_dataset accepts no `moved` block from another resource type",
            ),
            (
                from_awscc(r#"{"project_name": "-demo"}"#, None, PROJECT),
                "Cannot move awscc_lookoutvision_project to lookoutvision_project",
                "starting with a letter or digit",
            ),
        ];
        for (request, summary, detail) in cases {
            let response = move_to(&mut terraform, request).await;
            assert_eq!(errors(&response.diagnostics), [summary]);
            assert!(
                response.diagnostics[0].detail.contains(detail),
                "{detail:?} in {:?}",
                response.diagnostics[0].detail
            );
            assert!(response.target_state.is_none());
        }
    });
}
