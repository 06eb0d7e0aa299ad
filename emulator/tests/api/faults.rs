//! Fault injection in the emulator, seen through the official AWS SDK for Rust (and raw
//! HTTP where the wire itself is the point): scripted faults armed through the admin API,
//! random faults from a seed, dropped connections and added latency.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use aws_sdk_lookoutvision::config::retry::RetryConfig;
use aws_sdk_lookoutvision::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lookoutvision::operation::delete_project::DeleteProjectError;
use aws_sdk_lookoutvision::operation::list_projects::ListProjectsError;
use aws_sdk_lookoutvision::types::ResourceType;
use aws_sdk_lookoutvision::Client;
use lookoutvision_emulator::{Config, Emulator, FaultRates, RandomFaults};
use serde_json::{json, Value};

use crate::support::{
    create_project, manual_clock_emulator, raw_http, sdk_config, test_credentials, try_raw_http,
    RawResponse,
};

/// The header of every raw request here: the API's bodies are JSON.
const JSON: (&str, &str) = ("Content-Type", "application/json");

/// An emulator on a manual clock with `faults`.
async fn emulator(faults: RandomFaults) -> Emulator {
    let config = Config {
        faults,
        ..Config::default()
    };
    manual_clock_emulator(config).await.0
}

/// Random faults from `seed` at these rates.
fn random(seed: u64, server_error: f64, throttling: f64, drop: f64) -> RandomFaults {
    RandomFaults {
        seed,
        rates: FaultRates::new(server_error, throttling, drop).unwrap(),
        ..RandomFaults::default()
    }
}

/// An SDK client that tries each call `attempts` times, backing off only briefly.
fn client(emulator: &Emulator, attempts: u32) -> Client {
    let retry = if attempts <= 1 {
        RetryConfig::disabled()
    } else {
        RetryConfig::standard()
            .with_max_attempts(attempts)
            .with_initial_backoff(Duration::from_millis(10))
            .with_max_backoff(Duration::from_millis(50))
    };
    let config = sdk_config(&emulator.url(), test_credentials())
        .retry_config(retry)
        .build();
    Client::from_conf(config)
}

/// One raw JSON request, written by hand, that must be answered.
async fn raw(address: SocketAddr, method: &str, path: &str, body: &str) -> RawResponse {
    raw_http(address, method, path, &[JSON], body).await
}

/// The status of one raw JSON request, written by hand so that a dropped connection shows
/// as it is: `None`.
async fn status_of(address: SocketAddr, method: &str, path: &str, body: &str) -> Option<u16> {
    let answer = try_raw_http(address, method, path, &[JSON], body).await;
    answer.map(|answer| answer.status)
}

/// Calls the admin API of `emulator`, asserting success; its JSON answer.
async fn admin(emulator: &Emulator, method: &str, path: &str, body: Value) -> Value {
    crate::support::admin(emulator.address(), method, path, body).await
}

async fn arm(emulator: &Emulator, fault: Value) -> Value {
    admin(emulator, "POST", "/_emulator/faults", fault).await
}

/// The projects in the emulator's state dump.
async fn project_names(emulator: &Emulator) -> Vec<String> {
    let state = admin(emulator, "GET", "/_emulator/state", Value::Null).await;
    crate::support::project_names(&state["projects"])
}

#[tokio::test]
async fn the_next_three_delete_project_calls_conflict_then_the_fourth_succeeds() {
    let emulator = emulator(RandomFaults::default()).await;
    let sdk = client(&emulator, 3);
    create_project(&sdk, "p1").await;
    let armed = arm(
        &emulator,
        json!({"operation": "DeleteProject", "count": 3, "error": "ConflictException",
               "message": "Project p1 is busy", "status": 409}),
    )
    .await;
    assert_eq!(armed["remaining"], 3);
    let listed = admin(&emulator, "GET", "/_emulator/faults", Value::Null).await;
    assert_eq!(listed["faults"][0]["fault"]["operation"], "DeleteProject");
    assert_eq!(listed["random"]["rate_500"], 0.0);

    for _ in 0..3 {
        let err = sdk
            .delete_project()
            .project_name("p1")
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        let DeleteProjectError::ConflictException(conflict) = err else {
            panic!("not a conflict: {err:?}");
        };
        assert_eq!(conflict.message(), Some("Project p1 is busy"));
        assert_eq!(conflict.resource_id(), Some("p1"));
        assert_eq!(conflict.resource_type(), Some(&ResourceType::Project));
    }
    // Faulted calls changed nothing: the project is still there.
    assert_eq!(project_names(&emulator).await, ["p1"]);
    sdk.delete_project()
        .project_name("p1")
        .send()
        .await
        .unwrap();
    assert!(project_names(&emulator).await.is_empty());

    let listed = admin(&emulator, "GET", "/_emulator/faults", Value::Null).await;
    assert_eq!(listed["faults"], json!([]));
    let log = admin(&emulator, "GET", "/_emulator/requests", Value::Null).await;
    let deletes: Vec<_> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["operation"] == "DeleteProject")
        .map(|r| (r["status"].clone(), r["error"].clone(), r["fault"].clone()))
        .collect();
    let conflict = (json!(409), json!("ConflictException"), json!("scripted"));
    assert_eq!(
        deletes,
        [
            conflict.clone(),
            conflict.clone(),
            conflict,
            (json!(200), Value::Null, Value::Null)
        ]
    );
    let summary = admin(&emulator, "GET", "/_emulator/requests/summary", Value::Null).await;
    assert_eq!(
        summary["errors"],
        json!({"DeleteProject": {"ConflictException": 3}})
    );
    assert_eq!(summary["total"], 5);
}

#[tokio::test]
async fn throttling_and_internal_errors_carry_retry_after_and_the_sdk_retries_them() {
    let emulator = emulator(RandomFaults::default()).await;
    arm(
        &emulator,
        json!({"operation": "ListProjects", "count": 2, "error": "ThrottlingException", "retry_after": 7}),
    )
    .await;
    let answer = raw(emulator.address(), "GET", "/2020-11-20/projects", "").await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.header("Retry-After"), Some("7"));
    assert_eq!(
        answer.header("x-amzn-ErrorType"),
        Some("ThrottlingException")
    );
    assert!(answer.header("x-amzn-RequestId").is_some());

    // The SDK reads the header into the error's RetryAfterSeconds.
    let err = client(&emulator, 1)
        .list_projects()
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let ListProjectsError::ThrottlingException(throttling) = err else {
        panic!("not throttled: {err:?}");
    };
    assert_eq!(throttling.retry_after_seconds(), Some(7));

    // An internal error without a value still says when to retry; with retries on, the SDK
    // gets through two of them.
    arm(
        &emulator,
        json!({"operation": "ListProjects", "count": 2, "error": "InternalServerException"}),
    )
    .await;
    let answer = raw(emulator.address(), "GET", "/2020-11-20/projects", "").await;
    assert_eq!(answer.status, 500);
    assert_eq!(answer.header("Retry-After"), Some("1"));
    client(&emulator, 3).list_projects().send().await.unwrap();
    let summary = admin(&emulator, "GET", "/_emulator/requests/summary", Value::Null).await;
    assert_eq!(
        summary["counts"]["ListProjects"],
        json!({"429": 2, "500": 2, "200": 1})
    );
}

#[tokio::test]
async fn a_dropped_connection_is_a_dispatch_failure_that_sdk_retries_get_past() {
    let emulator = emulator(RandomFaults::default()).await;
    arm(
        &emulator,
        json!({"operation": "CreateProject", "drop": true}),
    )
    .await;
    let err = client(&emulator, 1)
        .create_project()
        .project_name("p1")
        .send()
        .await
        .unwrap_err();
    let SdkError::DispatchFailure(failure) = &err else {
        panic!("not a dispatch failure: {err:?}");
    };
    // hyper reports the connection closed before any response (IncompleteMessage), which the
    // SDK's connector files as a transient connection error: the kind its retries cover.
    let kind = failure.as_connector_error().and_then(|e| e.as_other());
    assert_eq!(format!("{kind:?}"), "Some(TransientError)", "{failure:?}");
    assert!(
        format!("{failure:?}").contains("IncompleteMessage"),
        "{failure:?}"
    );
    assert!(project_names(&emulator).await.is_empty());

    // With retries the call goes through, once.
    arm(
        &emulator,
        json!({"operation": "CreateProject", "count": 2, "drop": true}),
    )
    .await;
    client(&emulator, 3)
        .create_project()
        .project_name("p1")
        .send()
        .await
        .unwrap();
    assert_eq!(project_names(&emulator).await, ["p1"]);
    let log = admin(&emulator, "GET", "/_emulator/requests", Value::Null).await;
    let statuses: Vec<_> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["status"].clone(), r["fault"].clone()))
        .collect();
    let dropped = (Value::Null, json!("scripted"));
    assert_eq!(
        statuses,
        [
            dropped.clone(),
            dropped.clone(),
            dropped,
            (json!(200), Value::Null)
        ]
    );
    assert_eq!(
        log["counts"]["CreateProject"],
        json!({"dropped": 3, "200": 1})
    );
}

#[tokio::test]
async fn a_call_dropped_after_it_ran_changed_the_state_and_its_token_replays_the_answer() {
    let emulator = emulator(RandomFaults::default()).await;
    arm(
        &emulator,
        json!({"operation": "CreateProject", "drop": true, "after": true}),
    )
    .await;
    let sdk = client(&emulator, 1);
    let token = "lost-answer-token";
    let err = sdk
        .create_project()
        .project_name("p1")
        .client_token(token)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    // The service acted although the caller heard nothing.
    assert_eq!(project_names(&emulator).await, ["p1"]);

    // Asking again with the same token gets the first answer; without it, a conflict.
    let replayed = sdk
        .create_project()
        .project_name("p1")
        .client_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replayed.project_metadata().and_then(|m| m.project_name()),
        Some("p1")
    );
    let err = sdk
        .create_project()
        .project_name("p1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.into_service_error().code(), Some("ConflictException"));

    let log = admin(&emulator, "GET", "/_emulator/requests", Value::Null).await;
    let first = &log["requests"][0];
    assert_eq!(
        (&first["status"], &first["fault"]),
        (&json!(200), &json!("scripted")),
        "the log shows the answer that was not delivered: {first}"
    );
}

#[tokio::test]
async fn random_drops_after_the_call_run_it_and_are_refused_above_one_in_total() {
    let emulator = emulator(RandomFaults {
        seed: 3,
        rates: FaultRates::new(0.0, 0.0, 0.0)
            .and_then(|rates| rates.with_drop_after(1.0))
            .unwrap(),
        ..RandomFaults::default()
    })
    .await;
    let err = client(&emulator, 1)
        .create_project()
        .project_name("every-answer-lost")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    assert_eq!(project_names(&emulator).await, ["every-answer-lost"]);
    assert!(FaultRates::new(0.5, 0.0, 0.0)
        .and_then(|rates| rates.with_drop_after(0.6))
        .is_err());
}

#[tokio::test]
async fn after_without_drop_is_refused_when_armed() {
    let emulator = emulator(RandomFaults::default()).await;
    let answer = raw(
        emulator.address(),
        "POST",
        "/_emulator/faults",
        &json!({"operation": "CreateProject", "after": true, "delay": "1s"}).to_string(),
    )
    .await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(
        answer.json()["message"],
        r#""after" goes with "drop": true"#,
        "{answer:?}"
    );
}

/// The outcome of `n` raw ListProjects calls: status, or `None` for a dropped connection.
async fn outcomes(emulator: &Emulator, n: usize) -> Vec<Option<u16>> {
    let mut outcomes = Vec::new();
    for _ in 0..n {
        let status = status_of(emulator.address(), "GET", "/2020-11-20/projects", "").await;
        outcomes.push(status);
    }
    outcomes
}

#[tokio::test]
async fn random_faults_from_the_same_seed_repeat_exactly() {
    let faults = random(42, 0.2, 0.2, 0.2);
    let first = outcomes(&emulator(faults).await, 40).await;
    let second = outcomes(&emulator(faults).await, 40).await;
    assert_eq!(first, second);
    for expected in [Some(200), Some(429), Some(500), None] {
        assert!(
            first.contains(&expected),
            "{expected:?} never happened: {first:?}"
        );
    }
    let other_seed = outcomes(&emulator(random(43, 0.2, 0.2, 0.2)).await, 40).await;
    assert_ne!(first, other_seed);

    // Reset starts the sequence over.
    let emulator = emulator(faults).await;
    let before = outcomes(&emulator, 10).await;
    admin(&emulator, "POST", "/_emulator/reset", Value::Null).await;
    assert_eq!(outcomes(&emulator, 10).await, before);
}

#[tokio::test]
async fn randomly_faulted_requests_change_no_state() {
    let emulator = emulator(random(7, 0.3, 0.2, 0.2)).await;
    let mut created = Vec::new();
    for i in 0..30 {
        let name = format!("p{i:02}");
        let body = json!({ "ProjectName": name }).to_string();
        let status = status_of(emulator.address(), "POST", "/2020-11-20/projects", &body).await;
        if status == Some(200) {
            created.push(name);
        }
    }
    assert!(!created.is_empty() && created.len() < 30, "{created:?}");
    assert_eq!(project_names(&emulator).await, created);
    let log = admin(&emulator, "GET", "/_emulator/requests", Value::Null).await;
    for record in log["requests"].as_array().unwrap() {
        let faulted = record["status"] != 200;
        assert_eq!(record["fault"] == "random", faulted, "{record}");
    }
}

#[tokio::test]
async fn latency_and_scripted_delays_add_at_least_their_time() {
    let latency = Duration::from_millis(150);
    let emulator = emulator(RandomFaults {
        latency,
        jitter: Duration::from_millis(20),
        ..RandomFaults::default()
    })
    .await;
    let sdk = client(&emulator, 1);
    let started = Instant::now();
    sdk.list_projects().send().await.unwrap();
    assert!(started.elapsed() >= latency, "{:?}", started.elapsed());

    arm(
        &emulator,
        json!({"operation": "DescribeProject", "delay": "200ms", "error": "ResourceNotFoundException"}),
    )
    .await;
    let started = Instant::now();
    let err = sdk
        .describe_project()
        .project_name("p1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(started.elapsed() >= latency + Duration::from_millis(200));
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_eq!(
        err.message(),
        Some("ResourceNotFoundException injected for DescribeProject")
    );
}

#[tokio::test]
async fn bad_faults_are_refused_and_delete_disarms_everything() {
    let emulator = emulator(RandomFaults::default()).await;
    let answer = raw(
        emulator.address(),
        "POST",
        "/_emulator/faults",
        r#"{"operation": "DeleteProject", "error": "ConflictException", "status": 500}"#,
    )
    .await;
    assert_eq!(answer.status, 400);
    let message: Value = serde_json::from_str(&answer.body).unwrap();
    assert!(
        message["message"]
            .as_str()
            .unwrap()
            .contains("HTTP 409, not 500"),
        "{message}"
    );
    arm(
        &emulator,
        json!({"operation": "ListModels", "drop": true, "project": "p1"}),
    )
    .await;
    arm(
        &emulator,
        json!({"operation": "StopModel", "error": "AccessDeniedException"}),
    )
    .await;
    let cleared = admin(&emulator, "DELETE", "/_emulator/faults", Value::Null).await;
    assert_eq!(cleared, json!({"cleared": 2}));
    let listed = admin(&emulator, "GET", "/_emulator/faults", Value::Null).await;
    assert_eq!(listed["faults"], json!([]));
}
