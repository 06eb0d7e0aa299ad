//! The admin API under `/_emulator/`, for tests to inspect, reset and steer the emulator.
//! Its calls are not API calls: they are neither logged nor given AWS headers, and neither
//! signatures nor faults apply to them.
//!
//! - `GET /_emulator/requests`: the request log (the most recent entries) and per-operation
//!   status counts; `GET /_emulator/requests/summary`: the totals and the counts per status
//!   and per error code.
//! - `POST /_emulator/reset`: forget all resources, armed failures and faults, client tokens
//!   and logged requests.
//! - `GET /_emulator/state`: the account's resources, with every transition due by now
//!   completed.
//! - `POST /_emulator/fail-next-training` and `POST /_emulator/fail-next-hosting`, with an
//!   optional body `{"project": "...", "message": "..."}`: the next training (hosting), in
//!   that project if given, ends in `TRAINING_FAILED` (`HOSTING_FAILED`) with that message.
//!   `POST /_emulator/fail-next-packaging` does the same for a model packaging job (`FAILED`).
//! - `POST /_emulator/faults` arms a scripted fault ([`FaultSpec`]); `GET` lists the armed
//!   ones and the random fault settings; `DELETE` disarms them all.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::faults::FaultSpec;
use super::response::json_response;
use super::service::Service;
use super::state::{ArmedFailure, FailureKind, State};

/// The path prefix of the admin API.
pub const PREFIX: &str = "/_emulator";

/// The `StatusMessage` of a training failure armed without a message.
const DEFAULT_TRAINING_FAILURE: &str =
    "Training failed: the dataset does not have enough labeled anomalous images";
/// The `StatusMessage` of a hosting failure armed without a message.
const DEFAULT_HOSTING_FAILURE: &str =
    "Hosting failed: there was not enough capacity to start the model";
/// The `StatusMessage` of a packaging failure armed without a message.
const DEFAULT_PACKAGING_FAILURE: &str =
    "Packaging failed: the model could not be compiled for the target";

/// The admin routes, to be nested under [`PREFIX`].
pub fn router() -> Router<Arc<Service>> {
    Router::new()
        .route("/requests", get(requests))
        .route("/requests/summary", get(requests_summary))
        .route("/reset", post(reset))
        .route("/state", get(state))
        .route("/fail-next-training", post(fail_next_training))
        .route("/fail-next-hosting", post(fail_next_hosting))
        .route("/fail-next-packaging", post(fail_next_packaging))
        .route(
            "/faults",
            get(list_faults).post(arm_fault).delete(clear_faults),
        )
        .fallback(not_found)
}

async fn requests(AxumState(service): AxumState<Arc<Service>>) -> Response {
    json_response(StatusCode::OK, &service.lock().log.to_json())
}

async fn requests_summary(AxumState(service): AxumState<Arc<Service>>) -> Response {
    json_response(StatusCode::OK, &service.lock().log.summary())
}

async fn reset(AxumState(service): AxumState<Arc<Service>>) -> StatusCode {
    let before = service.revision();
    service.reset();
    service.save_changes_since(before).await;
    tracing::info!("emulator reset");
    StatusCode::NO_CONTENT
}

#[derive(Serialize)]
struct StateDump<'a> {
    region: &'a str,
    account_id: &'a str,
    #[serde(flatten)]
    state: &'a State,
}

async fn state(AxumState(service): AxumState<Arc<Service>>) -> Response {
    // Advanced like any API call, so the dump shows what DescribeModel would.
    let (inner, _) = service.lock_current();
    let dump = StateDump {
        region: &service.config.region,
        account_id: &service.config.account_id,
        state: &inner.state,
    };
    match serde_json::to_value(&dump) {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(err) => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({ "message": err.to_string() }),
        ),
    }
}

/// The optional body of the fail-next endpoints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FailureRequest {
    project: Option<String>,
    message: Option<String>,
}

async fn fail_next_training(AxumState(service): AxumState<Arc<Service>>, body: Bytes) -> Response {
    arm_failure(&service, FailureKind::Training, &body).await
}

async fn fail_next_hosting(AxumState(service): AxumState<Arc<Service>>, body: Bytes) -> Response {
    arm_failure(&service, FailureKind::Hosting, &body).await
}

async fn fail_next_packaging(AxumState(service): AxumState<Arc<Service>>, body: Bytes) -> Response {
    arm_failure(&service, FailureKind::Packaging, &body).await
}

/// Arms a failure of `kind` as `body` describes and answers 200 with what was armed.
async fn arm_failure(service: &Service, kind: FailureKind, body: &[u8]) -> Response {
    let request: FailureRequest =
        match json_body(body, r#"{"project"?: string, "message"?: string}"#) {
            Ok(request) => request,
            Err(message) => return bad_request(message),
        };
    let default = match kind {
        FailureKind::Training => DEFAULT_TRAINING_FAILURE,
        FailureKind::Hosting => DEFAULT_HOSTING_FAILURE,
        FailureKind::Packaging => DEFAULT_PACKAGING_FAILURE,
    };
    let failure = ArmedFailure {
        kind,
        project: request.project,
        message: request.message.unwrap_or_else(|| default.to_owned()),
    };
    tracing::info!(
        kind = ?kind,
        project = ?failure.project,
        message = %failure.message,
        "failure armed"
    );
    let body = json!(failure);
    let before = service.revision();
    service.change(|inner| inner.state.arm_failure(failure));
    service.save_changes_since(before).await;
    json_response(StatusCode::OK, &body)
}

async fn list_faults(AxumState(service): AxumState<Arc<Service>>) -> Response {
    let armed = json!(service.lock().faults.armed());
    json_response(
        StatusCode::OK,
        &json!({ "faults": armed, "random": service.config.faults.to_json() }),
    )
}

/// Arms the scripted fault `body` describes; answers 200 with it and its remaining count,
/// or 400 saying what is wrong with it.
async fn arm_fault(AxumState(service): AxumState<Arc<Service>>, body: Bytes) -> Response {
    const SHAPE: &str = r#"a fault such as {"operation": "DeleteProject", "count": 3, "error": "ConflictException"}"#;
    let fault: FaultSpec = match json_body(&body, SHAPE) {
        Ok(fault) => fault,
        Err(message) => return bad_request(message),
    };
    // Checked before taking the lock, so a refused fault counts as no change.
    if let Err(invalid) = fault.check() {
        return bad_request(invalid.to_string());
    }
    let before = service.revision();
    let armed = service.change(|inner| inner.faults.arm(fault).map(|armed| json!(armed)));
    match armed {
        Ok(armed) => {
            service.save_changes_since(before).await;
            tracing::info!(fault = %armed, "fault armed");
            json_response(StatusCode::OK, &armed)
        }
        Err(invalid) => bad_request(invalid.to_string()),
    }
}

async fn clear_faults(AxumState(service): AxumState<Arc<Service>>) -> Response {
    let before = service.revision();
    let cleared = service.change(|inner| inner.faults.clear());
    service.save_changes_since(before).await;
    tracing::info!(cleared, "faults cleared");
    json_response(StatusCode::OK, &json!({ "cleared": cleared }))
}

/// `body` as JSON of `T` (an empty body counts as `{}`), or the 400 message naming the
/// `expected` shape and what is wrong.
fn json_body<T: DeserializeOwned>(body: &[u8], expected: &str) -> Result<T, String> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|err| format!("expected {expected}: {err}"))
}

/// A 400 answer with `message`.
fn bad_request(message: String) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({ "message": message }))
}

async fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({ "message": "unknown admin endpoint; see GET /_emulator/requests, POST /_emulator/reset, GET /_emulator/state, POST /_emulator/fail-next-training, POST /_emulator/fail-next-hosting, POST /_emulator/fail-next-packaging, GET/POST/DELETE /_emulator/faults, GET /_emulator/requests/summary" }),
    )
}
