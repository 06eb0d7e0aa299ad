//! The emulator's project operations, driven through the official AWS SDK for Rust (and raw
//! HTTP where the SDK cannot show the wire), against emulators started in-process on
//! ephemeral loopback ports, plus one run of the built binary.

use std::time::Duration;

use aws_sdk_lookoutvision::error::ProvideErrorMetadata;
use aws_sdk_lookoutvision::operation::RequestId;
use aws_sdk_lookoutvision::types::ResourceType;
use lookoutvision_emulator::clock::Clock;
use serde_json::{json, Value};

use crate::support::{client, create_project, raw_http, EmulatorProcess, Harness, RawResponse};

const ARN_PREFIX: &str = "arn:aws:lookoutvision:us-east-1:123456789012:project/";

/// These tests' calls, on the shared harness (an emulator on a manual clock, and an SDK
/// client pointed at it).
impl Harness {
    async fn create(&self, name: &str) {
        create_project(&self.client, name).await;
    }

    async fn http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> RawResponse {
        raw_http(self.address(), method, path, headers, body).await
    }
}

#[tokio::test]
async fn create_describe_list_delete_round_trip() {
    let h = Harness::start().await;
    let created_at = h.clock.now().epoch_seconds();

    let created = h
        .client
        .create_project()
        .project_name("widgets")
        .send()
        .await
        .unwrap();
    assert!(created.request_id().is_some());
    let metadata = created.project_metadata().unwrap();
    assert_eq!(metadata.project_name(), Some("widgets"));
    assert_eq!(
        metadata.project_arn(),
        Some(format!("{ARN_PREFIX}widgets").as_str())
    );
    assert_eq!(
        metadata.creation_timestamp().unwrap().as_secs_f64(),
        created_at
    );

    h.clock.advance(Duration::from_secs(5));
    let described = h
        .client
        .describe_project()
        .project_name("widgets")
        .send()
        .await
        .unwrap();
    let description = described.project_description().unwrap();
    assert_eq!(description.project_arn(), metadata.project_arn());
    assert_eq!(
        description.creation_timestamp(),
        metadata.creation_timestamp()
    );
    assert!(description.datasets().is_empty());

    let listed = h.client.list_projects().send().await.unwrap();
    assert_eq!(listed.projects(), std::slice::from_ref(metadata));
    assert_eq!(listed.next_token(), None);

    let deleted = h
        .client
        .delete_project()
        .project_name("widgets")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.project_arn(), metadata.project_arn());
    let err = h
        .client
        .describe_project()
        .project_name("widgets")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert!(h
        .client
        .list_projects()
        .send()
        .await
        .unwrap()
        .projects()
        .is_empty());
}

#[tokio::test]
async fn wire_shapes_use_epoch_seconds_and_list_datasets() {
    let h = Harness::start().await;
    h.clock.advance(Duration::from_millis(389));
    let created = h
        .http(
            "POST",
            "/2020-11-20/projects",
            &[],
            r#"{"ProjectName":"p1"}"#,
        )
        .await;
    assert_eq!(created.status, 200);
    assert_eq!(created.header("content-type"), Some("application/json"));
    assert!(
        created
            .header("x-amzn-RequestId")
            .is_some_and(|id| id.len() == 36),
        "{created:?}"
    );
    assert_eq!(
        created.json(),
        json!({"ProjectMetadata": {"ProjectArn": format!("{ARN_PREFIX}p1"), "ProjectName": "p1", "CreationTimestamp": 1704067200.389}})
    );
    let described = h.http("GET", "/2020-11-20/projects/p1", &[], "").await;
    assert_eq!(
        described.json()["ProjectDescription"]["Datasets"],
        json!([])
    );
    let deleted = h.http("DELETE", "/2020-11-20/projects/p1", &[], "").await;
    assert_eq!(
        (deleted.status, deleted.json()),
        (200, json!({"ProjectArn": format!("{ARN_PREFIX}p1")}))
    );
}

#[tokio::test]
async fn list_pages_through_every_project_in_name_order() {
    let h = Harness::start().await;
    for name in ["e", "c", "a", "d", "b"] {
        h.create(name).await;
    }
    let mut names = Vec::new();
    let mut page_sizes = Vec::new();
    let mut token = None;
    loop {
        let page = h
            .client
            .list_projects()
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        page_sizes.push(page.projects().len());
        names.extend(
            page.projects()
                .iter()
                .map(|p| p.project_name().unwrap().to_owned()),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    assert_eq!(page_sizes, [2, 2, 1]);

    // The SDK's own paginator gets the same answer.
    let all: Vec<_> = h
        .client
        .list_projects()
        .into_paginator()
        .page_size(3)
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
    let requests = h.admin("GET", "/_emulator/requests").await;
    assert_eq!(requests["counts"]["ListProjects"]["200"], 5);
}

#[tokio::test]
async fn max_results_outside_1_to_100_is_a_validation_error() {
    let h = Harness::start().await;
    for max_results in [0, 101] {
        let err = h
            .client
            .list_projects()
            .max_results(max_results)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(err.is_validation_exception(), "{err:?}");
        assert!(
            err.message()
                .unwrap()
                .contains(&format!("Value '{max_results}' at 'maxResults'")),
            "{err:?}"
        );
    }
    assert!(h
        .client
        .list_projects()
        .max_results(100)
        .send()
        .await
        .is_ok());
}

#[tokio::test]
async fn foreign_or_made_up_next_tokens_are_rejected() {
    let h = Harness::start().await;
    let other = Harness::start().await;
    for name in ["a", "b"] {
        h.create(name).await;
        other.create(name).await;
    }
    let foreign = other
        .client
        .list_projects()
        .max_results(1)
        .send()
        .await
        .unwrap()
        .next_token()
        .unwrap()
        .to_owned();
    for token in [foreign.as_str(), "AAAAAAAAAAAAAAAA", "bad-token!"] {
        let err = h
            .client
            .list_projects()
            .next_token(token)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(err.is_validation_exception(), "{token}: {err:?}");
        assert!(err.message().unwrap().contains("nextToken"), "{err:?}");
    }
}

#[tokio::test]
async fn invalid_names_are_validation_errors_naming_field_and_constraint() {
    let h = Harness::start().await;
    let err = h
        .client
        .create_project()
        .project_name("has space")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    assert_eq!(
        err.message(),
        Some(
            "1 validation error detected: Value 'has space' at 'projectName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [a-zA-Z0-9][a-zA-Z0-9_\\-]*"
        )
    );

    let long = "a".repeat(256);
    let err = h
        .client
        .describe_project()
        .project_name(&long)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception());
    assert!(
        err.message()
            .unwrap()
            .ends_with("Member must have length less than or equal to 255"),
        "{err:?}"
    );

    let err = h
        .client
        .create_project()
        .project_name("ok")
        .client_token("not_valid")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        err.message().unwrap().contains("at 'clientToken'"),
        "{err:?}"
    );

    let missing = h.http("POST", "/2020-11-20/projects", &[], "{}").await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.header("x-amzn-ErrorType"),
        Some("ValidationException")
    );
    assert_eq!(
        missing.json()["Message"],
        "1 validation error detected: Value null at 'projectName' failed to satisfy constraint: Member must not be null"
    );

    let malformed = h
        .http("POST", "/2020-11-20/projects", &[], r#"{"ProjectName": "#)
        .await;
    assert_eq!(
        (malformed.status, malformed.header("x-amzn-ErrorType")),
        (400, Some("ValidationException"))
    );
    assert!(
        malformed.json()["Message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{malformed:?}"
    );
    assert!(h.admin("GET", "/_emulator/state").await["projects"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn duplicate_names_conflict() {
    let h = Harness::start().await;
    h.create("p1").await;
    let err = h
        .client
        .create_project()
        .project_name("p1")
        .send()
        .await
        .unwrap_err();
    let request_id = err
        .as_service_error()
        .and_then(RequestId::request_id)
        .map(str::to_owned);
    assert!(request_id.is_some());
    match err.into_service_error() {
        aws_sdk_lookoutvision::operation::create_project::CreateProjectError::ConflictException(
            e,
        ) => {
            assert_eq!(e.message(), Some("Project p1 already exists"));
            assert_eq!(e.resource_id(), Some("p1"));
            assert_eq!(e.resource_type(), Some(&ResourceType::Project));
        }
        other => panic!("expected ConflictException, got {other:?}"),
    }
}

#[tokio::test]
async fn missing_projects_are_not_found_with_resource_id_and_type() {
    let h = Harness::start().await;
    let err = h
        .client
        .describe_project()
        .project_name("ghost")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match err {
        aws_sdk_lookoutvision::operation::describe_project::DescribeProjectError::ResourceNotFoundException(e) => {
            assert_eq!((e.resource_id(), e.resource_type()), (Some("ghost"), Some(&ResourceType::Project)));
        }
        other => panic!("expected ResourceNotFoundException, got {other:?}"),
    }
    let err = h
        .client
        .delete_project()
        .project_name("ghost")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match err {
        aws_sdk_lookoutvision::operation::delete_project::DeleteProjectError::ResourceNotFoundException(e) => {
            assert_eq!((e.resource_id(), e.resource_type()), (Some("ghost"), Some(&ResourceType::Project)));
            assert_eq!(e.message(), Some("Project ghost does not exist"));
        }
        other => panic!("expected ResourceNotFoundException, got {other:?}"),
    }
}

#[tokio::test]
async fn a_repeated_client_token_replays_the_first_answer_and_acts_once() {
    let h = Harness::start().await;
    let first = h
        .client
        .create_project()
        .project_name("p1")
        .client_token("token-1")
        .send()
        .await
        .unwrap();
    h.clock.advance(Duration::from_secs(60));
    let again = h
        .client
        .create_project()
        .project_name("p1")
        .client_token("token-1")
        .send()
        .await
        .unwrap();
    assert_eq!(again.project_metadata(), first.project_metadata());

    let deleted = h
        .client
        .delete_project()
        .project_name("p1")
        .client_token("token-1")
        .send()
        .await
        .unwrap();
    let deleted_again = h
        .client
        .delete_project()
        .project_name("p1")
        .client_token("token-1")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted_again.project_arn(), deleted.project_arn());

    let log = h.admin("GET", "/_emulator/requests").await;
    let replayed: Vec<_> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["replayed"].as_bool().unwrap())
        .collect();
    assert_eq!(replayed, [false, true, false, true]);
    assert_eq!(log["requests"][1]["client_token"], "token-1");
    assert_eq!(
        log["counts"],
        json!({"CreateProject": {"200": 2}, "DeleteProject": {"200": 2}})
    );
    assert!(h.admin("GET", "/_emulator/state").await["projects"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_client_token_reused_with_different_input_conflicts() {
    let h = Harness::start().await;
    h.client
        .create_project()
        .project_name("p1")
        .client_token("token-1")
        .send()
        .await
        .unwrap();
    let err = h
        .client
        .create_project()
        .project_name("p2")
        .client_token("token-1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
    assert!(err.message().unwrap().contains("token-1"), "{err:?}");
    // Tokens are per operation: the same token on DeleteProject is a new call.
    h.client
        .delete_project()
        .project_name("p1")
        .client_token("token-1")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn unknown_routes_and_methods_are_unknown_operations() {
    let h = Harness::start().await;
    for (method, path) in [
        ("GET", "/nope"),
        ("PUT", "/2020-11-20/projects"),
        ("GET", "/2020-11-20/projects/a/b/c"),
    ] {
        let response = h.http(method, path, &[], "").await;
        assert_eq!(response.status, 404, "{method} {path}");
        assert_eq!(
            response.header("x-amzn-ErrorType"),
            Some("UnknownOperationException")
        );
        assert!(response.header("x-amzn-RequestId").is_some());
        assert!(response.json()["Message"].as_str().unwrap().contains(path));
    }
    let log = h.admin("GET", "/_emulator/requests").await;
    assert_eq!(log["counts"], json!({"UnknownOperation": {"404": 3}}));
    assert_eq!(log["requests"][0]["error"], "UnknownOperationException");
}

#[tokio::test]
async fn signed_and_unsigned_requests_are_both_accepted() {
    let h = Harness::start().await;
    let unsigned = h.http("GET", "/2020-11-20/projects", &[], "").await;
    let signed = h
        .http("GET", "/2020-11-20/projects", &[("Authorization", "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/lookoutvision/aws4_request, SignedHeaders=host, Signature=00")], "")
        .await;
    assert_eq!((unsigned.status, signed.status), (200, 200));
    assert_eq!(signed.json(), json!({"Projects": []}));
}

#[tokio::test]
async fn request_log_counts_every_api_call_but_no_admin_call_and_reset_clears_all() {
    let h = Harness::start().await;
    h.create("p1").await;
    let _ = h
        .client
        .create_project()
        .project_name("p1")
        .send()
        .await
        .unwrap_err();
    let _ = h
        .client
        .describe_project()
        .project_name("nope")
        .send()
        .await
        .unwrap_err();
    h.admin("GET", "/_emulator/state").await;

    let log = h.admin("GET", "/_emulator/requests").await;
    assert_eq!(
        log["counts"],
        json!({"CreateProject": {"200": 1, "409": 1}, "DescribeProject": {"404": 1}})
    );
    let first = &log["requests"][0];
    assert_eq!(
        (
            first["operation"].as_str(),
            first["status"].as_u64(),
            &first["error"]
        ),
        (Some("CreateProject"), Some(200), &Value::Null)
    );
    assert_eq!(log["requests"][1]["error"], "ConflictException");
    assert_eq!(log["requests"][1]["message"], "Project p1 already exists");

    let state = h.admin("GET", "/_emulator/state").await;
    assert_eq!(state["account_id"], "123456789012");
    assert_eq!(state["projects"][0]["name"], "p1");
    assert_eq!(state["projects"][0]["datasets"], json!([]));

    h.admin("POST", "/_emulator/reset").await;
    assert_eq!(
        h.admin("GET", "/_emulator/requests").await,
        json!({"requests": [], "counts": {}})
    );
    assert_eq!(
        h.admin("GET", "/_emulator/state").await["projects"],
        json!([])
    );
    h.create("p1").await;
}

#[tokio::test]
async fn concurrent_calls_never_lose_updates() {
    let h = Harness::start().await;
    let distinct = (0..16).map(|i| {
        let client = h.client.clone();
        tokio::spawn(async move {
            client
                .create_project()
                .project_name(format!("p{i:02}"))
                .send()
                .await
        })
    });
    for task in distinct.collect::<Vec<_>>() {
        task.await.unwrap().unwrap();
    }
    let same_name = (0..8).map(|_| {
        let client = h.client.clone();
        tokio::spawn(async move {
            client
                .create_project()
                .project_name("contested")
                .send()
                .await
        })
    });
    let mut successes = 0;
    for task in same_name.collect::<Vec<_>>() {
        match task.await.unwrap() {
            Ok(_) => successes += 1,
            Err(err) => assert!(err.into_service_error().is_conflict_exception()),
        }
    }
    assert_eq!(successes, 1);
    let all: Vec<_> = h
        .client
        .list_projects()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 17);
}

#[tokio::test]
async fn the_binary_announces_its_port_serves_and_exits_on_sigterm() {
    let emulator =
        EmulatorProcess::start(&["--region", "eu-west-1", "--account-id", "111122223333"]);
    let url = emulator.url.clone();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert!(url.starts_with("http://127.0.0.1:") && port != 0, "{url}");

    let created = client(&url)
        .create_project()
        .project_name("p1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.project_metadata().unwrap().project_arn(),
        Some("arn:aws:lookoutvision:eu-west-1:111122223333:project/p1")
    );

    // End the process this test started, by its own id.
    let exit = emulator.terminate();
    assert!(exit.success(), "{exit:?}");
}
