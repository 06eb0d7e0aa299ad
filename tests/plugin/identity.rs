//! Resource identity as Terraform 1.12 to 1.14 use it (Terraform 1.11, which the acceptance
//! suite runs, never calls these RPCs or reads these fields): identity schemas loaded and
//! checked, import by identity (ImportResourceState, then ReadResource and PlanResourceChange
//! carrying the identity), identities kept stable by reads, plans and applies, stored
//! identities upgraded, and bad identities refused naming what is wrong.

use lookoutvision::framework::value::{Type, Value};
use lookoutvision::proto::tfplugin6 as pb;

use crate::behind::{fast_emulator, projects, trained_project};
use crate::terraform::{
    assert_read_only_since, dynamic, errors, mark, project_config, run, Terraform,
};

const PROJECT: &str = "lookoutvision_project";
const DATASET: &str = "lookoutvision_dataset";
const MODEL: &str = "lookoutvision_model";
const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

/// A project identity; `None` leaves an attribute null, as an `import` block that omits it.
fn project_identity(name: &str, account: Option<&str>, region: Option<&str>) -> Value {
    Value::object([
        ("name", name.into()),
        ("account_id", Value::opt_string(account)),
        ("region", Value::opt_string(region)),
    ])
}

#[test]
fn identity_schemas_load_as_terraform_checks_them() {
    run(async {
        let terraform = Terraform::start().await;
        for (type_name, required) in [
            (PROJECT, &["name"][..]),
            (DATASET, &["project_name", "dataset_type"][..]),
            (MODEL, &["project_name", "model_version"][..]),
        ] {
            let identity = terraform
                .identity_schema(type_name)
                .unwrap_or_else(|| panic!("{type_name} has no identity schema"));
            assert_eq!(identity.version, 0);
            let attributes: Vec<(&str, bool)> = identity
                .identity_attributes
                .iter()
                .map(|a| (a.name.as_str(), a.required_for_import))
                .collect();
            let mut expected: Vec<(&str, bool)> =
                required.iter().map(|name| (*name, true)).collect();
            expected.extend([("account_id", false), ("region", false)]);
            assert_eq!(attributes, expected, "{type_name}");
            assert!(identity
                .identity_attributes
                .iter()
                .all(|a| !a.description.is_empty()));
        }
        // Terraform joins identities to resource schemas by type name.
        for list in terraform.list_resource_types() {
            assert!(terraform.identity_schema(&list).is_some(), "{list}");
        }
    });
}

#[test]
fn a_project_imported_by_identity_keeps_a_stable_identity() {
    let emulator = fast_emulator();
    run(async {
        projects(&emulator, ["boards".to_owned()]).await;
        let mark = mark(&emulator);
        let mut terraform = Terraform::configured(&emulator.url).await;
        let ty = terraform.identity_type(PROJECT);
        let given = dynamic(&project_identity("boards", None, None), &ty);
        let imported = terraform
            .import_by_identity(PROJECT, given, &project_config("boards"))
            .await
            .expect("the import succeeds");

        // Before its first read the provider knows the region it reaches, not the account.
        assert_eq!(
            imported.imported_identity,
            project_identity("boards", None, Some(REGION))
        );
        let full = project_identity("boards", Some(ACCOUNT), Some(REGION));
        assert_eq!(imported.identity, full);
        assert_eq!(
            imported.state.get("arn").as_str(),
            Some("arn:aws:lookoutvision:us-east-1:123456789012:project/boards")
        );
        assert!(
            imported.plan.requires_replace.is_empty(),
            "{:?}",
            imported.plan
        );
        assert_eq!(imported.planned_identity, full);

        // Later refreshes report the same identity.
        let state = dynamic(&imported.state, &terraform.resource_type(PROJECT));
        for _ in 0..2 {
            let read = terraform
                .provider
                .read_resource(pb::read_resource::Request {
                    type_name: PROJECT.to_owned(),
                    current_state: Some(state.clone()),
                    current_identity: Some(pb::ResourceIdentityData {
                        identity_data: Some(dynamic(&full, &ty)),
                    }),
                    ..Default::default()
                })
                .await
                .expect("ReadResource answers OK")
                .into_inner();
            assert!(read.diagnostics.is_empty(), "{read:?}");
            assert_eq!(
                terraform.decode_identity(PROJECT, read.new_identity.as_ref()),
                Ok(full.clone())
            );
        }
        assert_read_only_since(&emulator, mark);
    });
}

#[test]
fn datasets_and_models_import_by_identity() {
    let emulator = fast_emulator();
    run(async {
        trained_project(&emulator, "boards", 1).await;
        let mark = mark(&emulator);
        let mut terraform = Terraform::configured(&emulator.url).await;

        let dataset = Value::object([
            ("project_name", "boards".into()),
            ("dataset_type", "train".into()),
            ("account_id", Value::Null),
            ("region", Value::Null),
        ]);
        let given = dynamic(&dataset, &terraform.identity_type(DATASET));
        let config = Value::object([
            ("project_name", "boards".into()),
            ("dataset_type", "train".into()),
        ]);
        let imported = terraform
            .import_by_identity(DATASET, given, &config)
            .await
            .expect("the dataset import succeeds");
        assert_eq!(
            imported.state.get("status").as_str(),
            Some("CREATE_COMPLETE")
        );
        let mut expected = dataset.clone();
        expected.set("region", REGION.into());
        // The service reports no ARN for a dataset, so its account stays unknown to the
        // provider (null) unless the import gives it.
        assert_eq!(imported.identity, expected);
        assert_eq!(imported.planned_identity, expected);

        let model = Value::object([
            ("project_name", "boards".into()),
            ("model_version", "1".into()),
            ("account_id", ACCOUNT.into()),
            ("region", REGION.into()),
        ]);
        let given = dynamic(&model, &terraform.identity_type(MODEL));
        let config = Value::object([
            ("project_name", "boards".into()),
            (
                "output_config",
                Value::object([("bucket", "output".into()), ("prefix", Value::Null)]),
            ),
        ]);
        let imported = terraform
            .import_by_identity(MODEL, given, &config)
            .await
            .expect("the model import succeeds");
        assert_eq!(imported.state.get("status").as_str(), Some("TRAINED"));
        assert_eq!(imported.identity, model);
        assert_eq!(imported.planned_identity, model);
        assert!(
            imported.plan.requires_replace.is_empty(),
            "{:?}",
            imported.plan
        );
        assert_read_only_since(&emulator, mark);
    });
}

#[test]
fn bad_identities_are_refused_naming_what_is_wrong() {
    let emulator = fast_emulator();
    run(async {
        projects(&emulator, ["boards".to_owned()]).await;
        let mark = mark(&emulator);
        let mut terraform = Terraform::configured(&emulator.url).await;
        let ty = terraform.identity_type(PROJECT);
        let config = project_config("boards");

        // An attribute the identity does not have (Terraform drops those, so only another
        // client sends one).
        let mut with_extra = ty.clone();
        if let Type::Object(attributes) = &mut with_extra {
            attributes.insert("project_name".into(), Type::String);
        }
        let mut extra = project_identity("boards", None, None);
        extra.set("project_name", "boards".into());
        let err = terraform
            .import_by_identity(PROJECT, dynamic(&extra, &with_extra), &config)
            .await
            .expect_err("an unknown attribute");
        assert!(
            err.starts_with("Invalid import identity for lookoutvision_project"),
            "{err}"
        );
        assert!(
            err.contains("unsupported attribute \"project_name\""),
            "{err}"
        );
        assert!(
            err.contains("has the attributes name, account_id, region"),
            "{err}"
        );

        let cases = [
            (
                project_identity_null_name(),
                "It must set `name`; it sets no value for `name`.",
            ),
            (
                project_identity("-boards", None, None),
                "starting with a letter or digit",
            ),
            (
                project_identity("boards", None, Some("eu-west-1")),
                "Import identity of lookoutvision_project does not match the provider",
            ),
            (
                project_identity("boards", Some("000000000000"), None),
                "`account_id` is \"000000000000\" in the state (or the import block that adopted \
                 the object), but the service reports \"123456789012\"",
            ),
            (
                project_identity("nowhere", None, None),
                "Cannot import non-existent remote object",
            ),
        ];
        for (identity, expected) in cases {
            let err = terraform
                .import_by_identity(PROJECT, dynamic(&identity, &ty), &config)
                .await
                .expect_err(expected);
            assert!(err.contains(expected), "{expected:?} in {err}");
        }

        let model_ty = terraform.identity_type(MODEL);
        let model = Value::object([
            ("project_name", "boards".into()),
            ("model_version", "latest".into()),
            ("account_id", Value::Null),
            ("region", Value::Null),
        ]);
        let err = terraform
            .import_by_identity(MODEL, dynamic(&model, &model_ty), &Value::Null)
            .await
            .expect_err("not a version");
        assert!(
            err.contains("`model_version` must be a whole number such as 1; got \"latest\""),
            "{err}"
        );
        assert_read_only_since(&emulator, mark);
    });
}

fn project_identity_null_name() -> Value {
    let mut identity = project_identity("x", None, None);
    identity.set("name", Value::Null);
    identity
}

#[test]
fn a_created_project_gets_an_identity_that_plans_and_reads_keep() {
    let emulator = fast_emulator();
    run(async {
        let mut terraform = Terraform::configured(&emulator.url).await;
        let ty = terraform.resource_type(PROJECT);
        let config = project_config("fresh");
        let plan = terraform
            .provider
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: PROJECT.to_owned(),
                prior_state: Some(dynamic(&Value::Null, &ty)),
                proposed_new_state: Some(dynamic(&config, &ty)),
                config: Some(dynamic(&config, &ty)),
                ..Default::default()
            })
            .await
            .expect("PlanResourceChange answers OK")
            .into_inner();
        // A create may plan unknowns in its identity: the account comes with the ARN.
        let planned = plan.planned_identity.clone().expect("a planned identity");
        let planned_value = crate::terraform::decode(
            planned.identity_data.as_ref().expect("identity data"),
            &terraform.identity_type(PROJECT),
        )
        .expect("an identity of the identity type");
        assert_eq!(planned_value.get("name").as_str(), Some("fresh"));
        assert_eq!(planned_value.get("account_id"), &Value::Unknown);

        let applied = terraform
            .provider
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: PROJECT.to_owned(),
                prior_state: Some(dynamic(&Value::Null, &ty)),
                planned_state: plan.planned_state.clone(),
                config: Some(dynamic(&config, &ty)),
                planned_private: plan.planned_private.clone(),
                planned_identity: Some(planned),
                ..Default::default()
            })
            .await
            .expect("ApplyResourceChange answers OK")
            .into_inner();
        assert!(errors(&applied.diagnostics).is_empty(), "{applied:?}");
        let identity = terraform
            .decode_identity(PROJECT, applied.new_identity.as_ref())
            .expect("a wholly known identity");
        assert_eq!(
            identity,
            project_identity("fresh", Some(ACCOUNT), Some(REGION))
        );

        let read = terraform
            .provider
            .read_resource(pb::read_resource::Request {
                type_name: PROJECT.to_owned(),
                current_state: applied.new_state.clone(),
                current_identity: applied.new_identity.clone(),
                ..Default::default()
            })
            .await
            .expect("ReadResource answers OK")
            .into_inner();
        assert_eq!(
            terraform.decode_identity(PROJECT, read.new_identity.as_ref()),
            Ok(identity.clone())
        );
        let state = crate::terraform::decode(read.new_state.as_ref().expect("a state"), &ty)
            .expect("a project state");
        let unchanged = terraform
            .provider
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: PROJECT.to_owned(),
                prior_state: read.new_state.clone(),
                proposed_new_state: read.new_state.clone(),
                config: Some(dynamic(&config, &ty)),
                prior_identity: read.new_identity.clone(),
                ..Default::default()
            })
            .await
            .expect("PlanResourceChange answers OK")
            .into_inner();
        assert_eq!(
            terraform.decode_identity(PROJECT, unchanged.planned_identity.as_ref()),
            Ok(identity)
        );
        assert_eq!(
            unchanged.planned_state.map(|s| s.msgpack),
            Some(dynamic(&state, &ty).msgpack)
        );
        assert_eq!(emulator.count("CreateProject"), 1);
    });
}

#[test]
fn stored_identities_upgrade_only_from_versions_that_exist() {
    run(async {
        let terraform = Terraform::start().await;
        let upgrade = |version: i64, json: &'static str| {
            let mut provider = terraform.provider.clone();
            async move {
                provider
                    .upgrade_resource_identity(pb::upgrade_resource_identity::Request {
                        type_name: PROJECT.to_owned(),
                        version,
                        raw_identity: Some(pb::RawState {
                            json: json.as_bytes().to_vec(),
                            ..Default::default()
                        }),
                    })
                    .await
                    .expect("UpgradeResourceIdentity answers OK")
                    .into_inner()
            }
        };
        let current = upgrade(
            0,
            r#"{"name": "boards", "account_id": "123456789012", "region": "us-east-1"}"#,
        )
        .await;
        assert!(current.diagnostics.is_empty(), "{current:?}");
        let newer = upgrade(1, r#"{"name": "boards"}"#).await;
        assert_eq!(
            errors(&newer.diagnostics),
            ["Identity written by a newer provider"]
        );
        let unknown = upgrade(0, r#"{"name": "boards", "project_name": "boards"}"#).await;
        assert!(
            unknown.diagnostics[0]
                .detail
                .contains("unsupported attribute \"project_name\""),
            "{unknown:?}"
        );
        let upgraded = terraform
            .decode_identity(PROJECT, current.upgraded_identity.as_ref())
            .expect("a wholly known identity");
        assert_eq!(
            upgraded,
            project_identity("boards", Some(ACCOUNT), Some(REGION))
        );
    });
}
