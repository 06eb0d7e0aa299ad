//! List resources as `terraform query` (Terraform 1.14) uses them, which Terraform 1.11 cannot
//! run: list schemas published beside identity schemas, list configs validated as Terraform
//! sends them, results streamed with identities (and objects when asked for) up to the limit,
//! errors as events, and a list cut short by StopProvider. No list changes anything.

use std::time::Duration;

use lookoutvision::framework::value::Value;
use lookoutvision::proto::tfplugin6 as pb;

use crate::behind::{fast_emulator, projects, trained_project};
use crate::grpc::within;
use crate::terraform::{assert_read_only_since, dynamic, errors, mark, run, Terraform};

const PROJECT: &str = "lookoutvision_project";
const DATASET: &str = "lookoutvision_dataset";
const MODEL: &str = "lookoutvision_model";

fn in_project(project: &str) -> Value {
    Value::object([("project_name", project.into())])
}

fn models_with(project: &str, status: Option<&str>) -> Value {
    Value::object([
        ("project_name", project.into()),
        ("status", Value::opt_string(status)),
    ])
}

fn names(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("p{i:03}")).collect()
}

#[test]
fn list_schemas_are_the_config_blocks_of_types_with_identities() {
    run(async {
        let mut terraform = Terraform::start().await;
        assert_eq!(terraform.list_resource_types(), [DATASET, MODEL, PROJECT]);
        assert_eq!(
            terraform.list_config_type(PROJECT),
            lookoutvision::framework::value::Type::object([])
        );
        let metadata = terraform
            .provider
            .get_metadata(pb::get_metadata::Request {})
            .await
            .expect("GetMetadata answers OK")
            .into_inner();
        let mut lists: Vec<&str> = metadata
            .list_resources
            .iter()
            .map(|l| l.type_name.as_str())
            .collect();
        lists.sort_unstable();
        assert_eq!(lists, [DATASET, MODEL, PROJECT]);
    });
}

#[test]
fn list_configs_are_validated_as_terraform_sends_them() {
    run(async {
        // The validate walk: an unconfigured instance.
        let mut terraform = Terraform::start().await;
        assert!(terraform
            .validate_list(DATASET, &in_project("boards"))
            .await
            .is_empty());
        // Values not known yet are not judged.
        assert!(terraform
            .validate_list(DATASET, &Value::object([("project_name", Value::Unknown)]))
            .await
            .is_empty());

        let bad_name = terraform
            .validate_list(DATASET, &in_project("bad name"))
            .await;
        assert_eq!(errors(&bad_name), ["Invalid value for project_name"]);
        assert!(bad_name[0]
            .detail
            .contains("letters, digits, hyphens and underscores"));
        let at = &bad_name[0].attribute.as_ref().expect("a path").steps[0];
        assert_eq!(
            at.selector,
            Some(pb::attribute_path::step::Selector::AttributeName(
                "project_name".into()
            ))
        );

        let bad_status = terraform
            .validate_list(MODEL, &models_with("boards", Some("RUNNING")))
            .await;
        assert_eq!(errors(&bad_status), ["Invalid value for status"]);
        assert!(bad_status[0].detail.contains("one of `TRAINING`"));

        // Terraform 1.13 sends a null config when the block is left out.
        let missing = terraform
            .provider
            .validate_list_resource_config(pb::validate_list_resource_config::Request {
                type_name: DATASET.to_owned(),
                config: Some(dynamic(&Value::Null, &terraform.list_config_type(DATASET))),
                ..Default::default()
            })
            .await
            .expect("ValidateListResourceConfig answers OK")
            .into_inner();
        assert_eq!(
            errors(&missing.diagnostics),
            ["Invalid value for project_name"]
        );
        assert!(missing.diagnostics[0]
            .detail
            .contains("project_name is required, but it is null"));
    });
}

#[test]
fn projects_are_listed_page_by_page_up_to_the_limit() {
    let emulator = fast_emulator();
    run(async {
        projects(&emulator, names(5)).await;
        let mark = mark(&emulator);
        let mut terraform = Terraform::configured(&emulator.url).await;

        let listed = terraform.list(PROJECT, &Value::object([]), false, 2).await;
        assert!(listed.diagnostics.is_empty(), "{listed:?}");
        let shown: Vec<&str> = listed
            .results
            .iter()
            .map(|r| r.display_name.as_str())
            .collect();
        assert_eq!(shown, ["p000", "p001"]);
        assert_eq!(emulator.count("ListProjects"), 1, "one page of two");
        assert!(
            listed.results.iter().all(|r| r.state.is_null()),
            "not asked for"
        );

        // Each result is what an import by that identity gives.
        let mut importer = Terraform::configured(&emulator.url).await;
        let first = &listed.results[0];
        let imported = importer
            .import_by_identity(
                PROJECT,
                dynamic(&first.identity, &importer.identity_type(PROJECT)),
                &Value::object([("name", "p000".into())]),
            )
            .await
            .expect("a listed identity imports");
        assert_eq!(imported.identity, first.identity);

        let everything = terraform.list(PROJECT, &Value::object([]), true, 100).await;
        assert_eq!(everything.results.len(), 5);
        assert_eq!(everything.results[0].state, imported.state);

        let before = emulator.count("ListProjects");
        let none = terraform.list(PROJECT, &Value::object([]), false, 0).await;
        assert!(
            none.results.is_empty() && none.diagnostics.is_empty(),
            "{none:?}"
        );
        assert_eq!(
            emulator.count("ListProjects"),
            before,
            "limit 0 reads nothing"
        );
        assert_read_only_since(&emulator, mark);
    });
}

#[test]
fn a_limit_past_a_page_reads_only_what_it_needs() {
    let emulator = fast_emulator();
    run(async {
        projects(&emulator, names(250)).await;
        let mut terraform = Terraform::configured(&emulator.url).await;
        let listed = terraform
            .list(PROJECT, &Value::object([]), false, 150)
            .await;
        assert!(listed.diagnostics.is_empty(), "{listed:?}");
        assert_eq!(listed.results.len(), 150);
        assert_eq!(listed.results[149].display_name, "p149");
        // A page of 100, then one of the 50 still wanted; never the third.
        assert_eq!(emulator.count("ListProjects"), 2);
    });
}

#[test]
fn datasets_and_models_of_a_project_are_listed() {
    let emulator = fast_emulator();
    run(async {
        trained_project(&emulator, "boards", 2).await;
        let mark = mark(&emulator);
        let mut terraform = Terraform::configured(&emulator.url).await;

        let datasets = terraform
            .list(DATASET, &in_project("boards"), true, 100)
            .await;
        assert!(datasets.diagnostics.is_empty(), "{datasets:?}");
        let mut shown: Vec<&str> = datasets
            .results
            .iter()
            .map(|r| r.display_name.as_str())
            .collect();
        shown.sort_unstable();
        assert_eq!(shown, ["boards:test", "boards:train"]);
        for result in &datasets.results {
            assert_eq!(result.identity.get("project_name").as_str(), Some("boards"));
            assert_eq!(result.identity.get("region").as_str(), Some("us-east-1"));
            assert_eq!(result.state.get("status").as_str(), Some("CREATE_COMPLETE"));
        }

        let trained = terraform
            .list(MODEL, &models_with("boards", Some("TRAINED")), true, 100)
            .await;
        assert!(trained.diagnostics.is_empty(), "{trained:?}");
        let versions: Vec<&str> = trained
            .results
            .iter()
            .map(|r| r.display_name.as_str())
            .collect();
        assert_eq!(versions, ["boards:1", "boards:2"]);
        let model = &trained.results[1];
        assert_eq!(
            model.identity,
            Value::object([
                ("project_name", "boards".into()),
                ("model_version", "2".into()),
                ("account_id", "123456789012".into()),
                ("region", "us-east-1".into()),
            ])
        );
        assert_eq!(model.state.get("status").as_str(), Some("TRAINED"));
        assert!(
            matches!(
                model.state.get("performance").get("f1_score"),
                Value::Number(_)
            ),
            "the full state, as a read gives it: {:?}",
            model.state
        );

        // Nothing hosted: no results, and no error either.
        let hosted = terraform
            .list(MODEL, &models_with("boards", Some("HOSTED")), false, 100)
            .await;
        assert!(
            hosted.results.is_empty() && hosted.diagnostics.is_empty(),
            "{hosted:?}"
        );
        assert_read_only_since(&emulator, mark);
    });
}

#[test]
fn list_errors_are_events_and_leave_no_results() {
    let emulator = fast_emulator();
    run(async {
        let mut terraform = Terraform::configured(&emulator.url).await;
        let invalid = terraform
            .list(DATASET, &in_project("bad name"), false, 100)
            .await;
        assert_eq!(invalid.errors(), ["Invalid value for project_name"]);
        assert!(invalid.results.is_empty());
        assert!(
            emulator.requests().is_empty(),
            "an invalid config reaches no API"
        );

        let nowhere = terraform
            .list(MODEL, &models_with("nowhere", None), false, 100)
            .await;
        assert_eq!(
            nowhere.errors(),
            ["Failed to list lookoutvision_model in project \"nowhere\""]
        );
        assert!(nowhere.diagnostics[0]
            .detail
            .contains("ResourceNotFoundException"));
        assert!(nowhere.results.is_empty());
    });
}

#[test]
fn stop_provider_cuts_a_list_short() {
    let emulator = fast_emulator();
    run(async {
        projects(&emulator, names(250)).await;
        // The first page comes at once; every later one takes 3 s.
        emulator.admin_post(
            "/_emulator/faults",
            r#"{"operation": "ListProjects", "count": 10, "delay": "3s", "path_contains": "nextToken"}"#,
        );
        let mark = mark(&emulator);
        let mut terraform = Terraform::configured(&emulator.url).await;
        let mut provider = terraform.provider.clone();
        let mut stream = provider
            .list_resource(pb::list_resource::Request {
                type_name: PROJECT.to_owned(),
                config: Some(dynamic(
                    &Value::object([]),
                    &terraform.list_config_type(PROJECT),
                )),
                include_resource_object: false,
                limit: 1000,
            })
            .await
            .expect("ListResource answers OK")
            .into_inner();
        let first = within(
            Duration::from_secs(10),
            "the first result",
            stream.message(),
        )
        .await
        .expect("no transport error")
        .expect("an event");
        assert_eq!(first.display_name, "p000");

        // Ctrl-C: Terraform sends StopProvider while the list runs.
        let stop = terraform
            .provider
            .clone()
            .stop_provider(pb::stop_provider::Request {})
            .await
            .expect("StopProvider answers OK")
            .into_inner();
        assert_eq!(stop.error, "");

        let rest = within(
            Duration::from_secs(2),
            "the list ending before the delayed page",
            terraform.consume(PROJECT, stream, false, 1000),
        )
        .await;
        assert_eq!(
            rest.errors(),
            ["Interrupted while listing lookoutvision_project"],
            "{rest:?}"
        );
        assert!(
            rest.results.len() < 249,
            "cut short: {}",
            rest.results.len()
        );
        tokio::time::sleep(Duration::from_millis(3500)).await;
        assert!(
            emulator.count("ListProjects") <= 2,
            "no page is read after the stop"
        );
        assert_read_only_since(&emulator, mark);

        // The stop re-armed: the same instance lists again (a first page, not delayed).
        let listed = terraform.list(PROJECT, &Value::object([]), false, 3).await;
        assert_eq!(listed.results.len(), 3, "{listed:?}");
    });
}
