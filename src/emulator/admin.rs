//! The admin API under `/_emulator/`, for tests to inspect, reset and steer the emulator.
//! Its calls are not API calls: they are neither logged nor given AWS headers.
//!
//! - `GET /_emulator/requests`: the request log and per-operation status counts.
//! - `POST /_emulator/reset`: forget all resources, armed failures, client tokens and logged
//!   requests.
//! - `GET /_emulator/state`: the account's resources, with every transition due by now
//!   completed.
//! - `POST /_emulator/fail-next-training` and `POST /_emulator/fail-next-hosting`, with an
//!   optional body `{"project": "...", "message": "..."}`: the next training (hosting), in
//!   that project if given, ends in `TRAINING_FAILED` (`HOSTING_FAILED`) with that message.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::json;

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

/// The admin routes, to be nested under [`PREFIX`].
pub fn router() -> Router<Arc<Service>> {
    Router::new()
        .route("/requests", get(requests))
        .route("/reset", post(reset))
        .route("/state", get(state))
        .route("/fail-next-training", post(fail_next_training))
        .route("/fail-next-hosting", post(fail_next_hosting))
        .fallback(not_found)
}

async fn requests(AxumState(service): AxumState<Arc<Service>>) -> Response {
    json_response(StatusCode::OK, &service.lock().log.to_json())
}

async fn reset(AxumState(service): AxumState<Arc<Service>>) -> StatusCode {
    service.reset();
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
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FailureRequest {
    project: Option<String>,
    message: Option<String>,
}

async fn fail_next_training(AxumState(service): AxumState<Arc<Service>>, body: Bytes) -> Response {
    arm(&service, FailureKind::Training, &body)
}

async fn fail_next_hosting(AxumState(service): AxumState<Arc<Service>>, body: Bytes) -> Response {
    arm(&service, FailureKind::Hosting, &body)
}

/// Arms a failure of `kind` as `body` describes and answers 200 with what was armed.
fn arm(service: &Service, kind: FailureKind, body: &[u8]) -> Response {
    let request = if body.iter().all(u8::is_ascii_whitespace) {
        FailureRequest::default()
    } else {
        match serde_json::from_slice::<FailureRequest>(body) {
            Ok(request) => request,
            Err(err) => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({
                        "message": format!(
                            "expected {{\"project\"?: string, \"message\"?: string}}: {err}"
                        ),
                    }),
                )
            }
        }
    };
    let default = match kind {
        FailureKind::Training => DEFAULT_TRAINING_FAILURE,
        FailureKind::Hosting => DEFAULT_HOSTING_FAILURE,
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
    service.lock().state.arm_failure(failure);
    json_response(StatusCode::OK, &body)
}

async fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({ "message": "unknown admin endpoint; see GET /_emulator/requests, POST /_emulator/reset, GET /_emulator/state, POST /_emulator/fail-next-training, POST /_emulator/fail-next-hosting" }),
    )
}
