//! The admin API under `/_emulator/`, for tests to inspect and reset the emulator.
//! Its calls are not API calls: they are neither logged nor given AWS headers.
//!
//! - `GET /_emulator/requests`: the request log and per-operation status counts.
//! - `POST /_emulator/reset`: forget all resources, client tokens and logged requests.
//! - `GET /_emulator/state`: the account's resources.

use std::sync::Arc;

use axum::extract::State as AxumState;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use serde_json::json;

use super::response::json_response;
use super::service::Service;
use super::state::State;

/// The path prefix of the admin API.
pub const PREFIX: &str = "/_emulator";

/// The admin routes, to be nested under [`PREFIX`].
pub fn router() -> Router<Arc<Service>> {
    Router::new()
        .route("/requests", get(requests))
        .route("/reset", post(reset))
        .route("/state", get(state))
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
    let inner = service.lock();
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

async fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({ "message": "unknown admin endpoint; see GET /_emulator/requests, POST /_emulator/reset, GET /_emulator/state" }),
    )
}
