//! SigV4 checking in the emulator, against the official AWS SDK for Rust's own signer: the
//! signatures it computes (including over percent-encoded ARNs in paths, repeated query keys
//! and binary bodies) are accepted, and wrong, unknown, missing or mistimed ones are refused
//! with the errors the SDK parses.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_lookoutvision::config::http::HttpResponse;
use aws_sdk_lookoutvision::config::retry::RetryConfig;
use aws_sdk_lookoutvision::config::Credentials as SdkCredentials;
use aws_sdk_lookoutvision::error::ProvideErrorMetadata;
use aws_sdk_lookoutvision::error::SdkError;
use aws_sdk_lookoutvision::primitives::{ByteStream, DateTime};
use aws_sdk_lookoutvision::types::Tag;
use aws_sdk_lookoutvision::Client;
use lookoutvision_emulator::clock::{ManualClock, Timestamp};
use lookoutvision_emulator::{Config, Credentials, Emulator};
use serde_json::{json, Value};

use crate::support::{
    changes, create_tagged_model, create_trainable_project, instant_durations, raw_http,
    sdk_config, tag,
};

const ACCESS_KEY: &str = "AKIDEMULATOR";
const SECRET_KEY: &str = "emulator/secret+key";

/// An emulator that checks signatures against [`ACCESS_KEY`] and [`SECRET_KEY`], on the
/// system clock (the SDK signs with real time) unless `clock` says otherwise, with every
/// transition instant.
async fn emulator(clock: Option<Arc<ManualClock>>) -> Emulator {
    let mut config = Config {
        credentials: Some(Credentials::new(ACCESS_KEY, SECRET_KEY)),
        durations: instant_durations(),
        ..Config::default()
    };
    if let Some(clock) = clock {
        config.clock = clock;
    }
    Emulator::start(config).await.unwrap()
}

/// An SDK client signing with `key` and `secret` (and `token` as session token), trying each
/// call `attempts` times.
fn client(
    emulator: &Emulator,
    key: &str,
    secret: &str,
    token: Option<&str>,
    attempts: u32,
) -> Client {
    let credentials = SdkCredentials::new(key, secret, token.map(str::to_owned), None, "test");
    let config = sdk_config(&emulator.url(), credentials)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(10)),
        )
        .build();
    Client::from_conf(config)
}

fn signed(emulator: &Emulator) -> Client {
    client(emulator, ACCESS_KEY, SECRET_KEY, None, 1)
}

/// The error code and HTTP status of a failed call.
fn code_and_status<E: ProvideErrorMetadata>(
    err: &SdkError<E, HttpResponse>,
) -> (Option<String>, Option<u16>) {
    let code = err
        .as_service_error()
        .and_then(|e| e.code())
        .map(str::to_owned);
    (code, err.raw_response().map(|r| r.status().as_u16()))
}

/// One unsigned HTTP/1.1 exchange: status, `x-amzn-ErrorType`, and the JSON body.
async fn raw(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Option<String>, Value) {
    let answer = raw_http(address, method, path, headers, "").await;
    let error_type = answer.header("x-amzn-ErrorType").map(str::to_owned);
    (answer.status, error_type, answer.json_or_null())
}

async fn request_log(emulator: &Emulator) -> Value {
    raw(emulator.address(), "GET", "/_emulator/requests", &[])
        .await
        .2
}

#[tokio::test]
async fn the_sdk_signer_is_accepted_across_operations_paths_queries_and_bodies() {
    let emulator = emulator(None).await;
    let sdk = signed(&emulator);
    create_trainable_project(&sdk, "p1").await;
    sdk.update_dataset_entries()
        .project_name("p1")
        .dataset_type("train")
        .changes(changes(&[
            json!({"source-ref": "s3://bucket/a b/1.jpg", "anomaly-label": 0, "anomaly-label-metadata": {"class-name": "normal"}}),
            json!({"source-ref": "s3://bucket/a b/2.jpg", "anomaly-label": 1, "anomaly-label-metadata": {"class-name": "anomaly"}}),
        ]))
        .send()
        .await
        .unwrap();
    // Query values with spaces, colons and booleans.
    let entries = sdk
        .list_dataset_entries()
        .project_name("p1")
        .dataset_type("train")
        .labeled(true)
        .source_ref_contains("a b/")
        .after_creation_date(DateTime::from_secs(0))
        .max_results(5)
        .send()
        .await
        .unwrap();
    assert_eq!(entries.dataset_entries().len(), 2);

    let created = create_tagged_model(&sdk, "p1").await;
    let arn = created
        .model_metadata()
        .and_then(|m| m.model_arn())
        .unwrap()
        .to_owned();

    // The ARN travels percent-encoded in the path (signed encoded twice), and UntagResource
    // repeats its query key.
    for (key, value) in [("a", "1"), ("b c", "2"), ("d", "3")] {
        sdk.tag_resource()
            .resource_arn(&arn)
            .tags(tag(key, value))
            .send()
            .await
            .unwrap();
    }
    sdk.untag_resource()
        .resource_arn(&arn)
        .tag_keys("a")
        .tag_keys("b c")
        .send()
        .await
        .unwrap();
    let tags = sdk
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = tags.tags().iter().map(Tag::key).collect();
    assert_eq!(keys, [Some("d"), Some("team")]);

    sdk.start_model()
        .project_name("p1")
        .model_version("1")
        .min_inference_units(1)
        .send()
        .await
        .unwrap();
    // A binary body from memory is signed over its hash; one streamed from a file is signed
    // as UNSIGNED-PAYLOAD.
    let image = crate::support::png(7);
    sdk.detect_anomalies()
        .project_name("p1")
        .model_version("1")
        .content_type("image/png")
        .body(ByteStream::from(image.clone()))
        .send()
        .await
        .unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &image).unwrap();
    sdk.detect_anomalies()
        .project_name("p1")
        .model_version("latest")
        .content_type("image/png")
        .body(ByteStream::from_path(file.path()).await.unwrap())
        .send()
        .await
        .unwrap();

    // Temporary credentials add a signed x-amz-security-token.
    let temporary = client(&emulator, ACCESS_KEY, SECRET_KEY, Some("session-token"), 1);
    let projects = temporary
        .list_projects()
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(projects.projects().len(), 1);

    let log = request_log(&emulator).await;
    let refused: Vec<_> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"].as_u64() != Some(200) && r["status"].as_u64() != Some(202))
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
}

#[tokio::test]
async fn a_wrong_secret_is_an_invalid_signature_and_changes_nothing() {
    let emulator = emulator(None).await;
    let err = client(&emulator, ACCESS_KEY, "not-the-secret", None, 3)
        .create_project()
        .project_name("p1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_status(&err),
        (Some("InvalidSignatureException".to_owned()), Some(403))
    );
    assert!(
        err.message()
            .unwrap()
            .starts_with("The request signature we calculated does not match"),
        "{err:?}"
    );
    let log = request_log(&emulator).await;
    // Not retried (the clocks agree, so it is no skew), and nothing was created.
    assert_eq!(log["counts"], json!({"CreateProject": {"403": 1}}));
    assert_eq!(log["requests"][0]["error"], "InvalidSignatureException");
    let state = raw(emulator.address(), "GET", "/_emulator/state", &[])
        .await
        .2;
    assert_eq!(state["projects"], json!([]));
}

#[tokio::test]
async fn an_unknown_access_key_is_an_unrecognized_client() {
    let emulator = emulator(None).await;
    let err = client(&emulator, "AKIDSOMEONEELSE", SECRET_KEY, None, 1)
        .list_projects()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_status(&err),
        (Some("UnrecognizedClientException".to_owned()), Some(403))
    );
    assert_eq!(
        err.message(),
        Some("The security token included in the request is invalid.")
    );
}

#[tokio::test]
async fn missing_or_malformed_signatures_are_refused_but_admin_calls_need_none() {
    let emulator = emulator(None).await;
    let address = emulator.address();
    let (status, code, body) = raw(address, "GET", "/2020-11-20/projects", &[]).await;
    assert_eq!(
        (status, code.as_deref(), body["Message"].as_str()),
        (
            403,
            Some("MissingAuthenticationTokenException"),
            Some("Missing Authentication Token")
        )
    );
    // Also for requests that match no operation.
    let (status, code, _) = raw(address, "GET", "/nowhere", &[]).await;
    assert_eq!(
        (status, code.as_deref()),
        (403, Some("MissingAuthenticationTokenException"))
    );

    let (status, code, _) = raw(
        address,
        "GET",
        "/2020-11-20/projects",
        &[("Authorization", "Basic dXNlcjpwYXNz")],
    )
    .await;
    assert_eq!(
        (status, code.as_deref()),
        (400, Some("IncompleteSignatureException"))
    );

    // A well-formed header with a made-up signature.
    let now = time::OffsetDateTime::now_utc();
    let amz_date = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{}/us-east-1/lookoutvision/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature={}",
        &amz_date[..8],
        "0".repeat(64)
    );
    let (status, code, _) = raw(
        address,
        "GET",
        "/2020-11-20/projects",
        &[("Authorization", &authorization), ("X-Amz-Date", &amz_date)],
    )
    .await;
    assert_eq!(
        (status, code.as_deref()),
        (403, Some("InvalidSignatureException"))
    );

    let (status, _, log) = raw(address, "GET", "/_emulator/requests", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        log["counts"],
        json!({"ListProjects": {"400": 1, "403": 2}, "UnknownOperation": {"403": 1}})
    );
}

#[tokio::test]
async fn a_skewed_clock_is_refused_and_the_sdk_learns_the_skew_from_the_date_header() {
    // The emulator's clock runs an hour behind the machine's.
    let behind = time::OffsetDateTime::now_utc() - Duration::from_secs(3600);
    let clock = Arc::new(ManualClock::new(Timestamp::new(behind)));
    let emulator = emulator(Some(clock)).await;

    let no_retries = signed(&emulator);
    let err = no_retries.list_projects().send().await.unwrap_err();
    assert_eq!(
        code_and_status(&err),
        (Some("InvalidSignatureException".to_owned()), Some(403))
    );
    assert!(
        err.message()
            .unwrap()
            .starts_with("Signature not yet current: "),
        "{err:?}"
    );
    // The answer's Date header comes from the emulator's clock; the SDK measures the skew
    // from it (more than its 4-minute threshold) and signs the client's later calls in the
    // emulator's time. (aws-sdk-lookoutvision 1.87 registers the skew interceptor but not
    // the classifier that would retry the failed call itself.)
    no_retries.list_projects().send().await.unwrap();
    let log = request_log(&emulator).await;
    let statuses: Vec<_> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [403, 200]);
}
