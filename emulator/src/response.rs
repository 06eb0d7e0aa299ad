//! How an answer goes on the wire: status, the AWS headers and a JSON body; or, for an
//! injected connection drop, no answer at all.

use std::io;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::clock::Timestamp;
use super::error::ApiError;

/// The header carrying the request id on every answer.
pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";
/// The header carrying the error code on error answers.
pub const ERROR_TYPE_HEADER: &str = "x-amzn-errortype";
/// The `Retry-After` every 429 and 500 carries when its error names no other value.
pub const DEFAULT_RETRY_AFTER_SECONDS: u32 = 1;

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// The operation's documented success status.
    #[serde(with = "status_code")]
    pub status: StatusCode,
    /// The JSON body.
    pub body: Value,
    /// Whether this is the remembered answer to an earlier call with the same client token
    /// (only reported in the request log, never on the wire).
    pub replayed: bool,
}

impl Reply {
    /// A `200 OK` answer.
    pub fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body,
            replayed: false,
        }
    }

    /// A `202 Accepted` answer, for operations that start an asynchronous change;
    /// `Value::Null` sends no body at all.
    pub fn accepted(body: Value) -> Self {
        Self {
            status: StatusCode::ACCEPTED,
            ..Self::ok(body)
        }
    }
}

/// An error answer as it goes on the wire, whichever part of the emulator refused the call
/// (an operation's [`ApiError`], or the SigV4 check with codes the service model lacks).
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorAnswer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The error code, sent as `x-amzn-ErrorType`.
    pub code: &'static str,
    /// The `Message` member, repeated here for the request log.
    pub message: String,
    /// The JSON body.
    pub body: Value,
    /// The `Retry-After` header, if the error names one.
    pub retry_after_seconds: Option<u32>,
}

impl From<&ApiError> for ErrorAnswer {
    fn from(err: &ApiError) -> Self {
        Self {
            status: err.status(),
            code: err.code(),
            message: err.message().to_owned(),
            body: err.body(),
            retry_after_seconds: err.retry_after_seconds(),
        }
    }
}

impl From<ApiError> for ErrorAnswer {
    fn from(err: ApiError) -> Self {
        Self::from(&err)
    }
}

/// Renders an answer, tagging it with `request_id` and with `now` (the emulator's clock) as
/// its `Date`: the SDKs measure clock skew from that header, so it must agree with the clock
/// the SigV4 check uses.
pub fn render(outcome: &Result<Reply, ErrorAnswer>, request_id: &str, now: Timestamp) -> Response {
    let mut response = match outcome {
        Ok(reply) if reply.body.is_null() => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = reply.status;
            response
        }
        Ok(reply) => json_response(reply.status, &reply.body),
        Err(err) => json_response(err.status, &err.body),
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    if let Ok(value) = HeaderValue::from_str(&now.http_date()) {
        headers.insert(header::DATE, value);
    }
    if let Err(err) = outcome {
        headers.insert(ERROR_TYPE_HEADER, HeaderValue::from_static(err.code));
        // The model binds RetryAfterSeconds to this header for throttling and internal
        // errors; sending it on every such answer lets clients rely on it.
        let retry_after = match err.status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::INTERNAL_SERVER_ERROR => Some(
                err.retry_after_seconds
                    .unwrap_or(DEFAULT_RETRY_AFTER_SECONDS),
            ),
            _ => err.retry_after_seconds,
        };
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
    response
}

/// A "response" that makes hyper close the connection without sending anything: its body
/// fails on the first poll, and hyper, which buffers the head until it has body bytes to
/// flush with it, abandons the connection instead. Clients see the connection closed before
/// any response, as from a network failure.
pub fn dropped() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, _>(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "connection dropped by fault injection",
        ))
    });
    Response::new(Body::from_stream(failing))
}

/// A response with `body` as `application/json`.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A [`StatusCode`] as its number, for remembered replies in the state file.
mod status_code {
    use axum::http::StatusCode;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(status: &StatusCode, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u16(status.as_u16())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<StatusCode, D::Error> {
        StatusCode::from_u16(u16::deserialize(deserializer)?).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::error::Resource;
    use serde_json::json;

    fn now() -> Timestamp {
        ManualClock::default().now()
    }

    #[test]
    fn errors_carry_code_request_id_and_date_headers() {
        let outcome = Err(ErrorAnswer::from(ApiError::not_found(
            Resource::project("p"),
            "Project p does not exist",
        )));
        let response = render(&outcome, "req-1", now());
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            response.headers()[ERROR_TYPE_HEADER],
            "ResourceNotFoundException"
        );
        assert_eq!(response.headers()[REQUEST_ID_HEADER], "req-1");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(
            response.headers()[header::DATE],
            "Mon, 01 Jan 2024 00:00:00 GMT"
        );
        assert!(response.headers().get(header::RETRY_AFTER).is_none());
    }

    #[test]
    fn every_429_and_500_has_retry_after_defaulting_to_one_second() {
        let cases = [
            (
                ApiError::Throttling {
                    message: "slow down".into(),
                    retry_after_seconds: Some(3),
                },
                "3",
            ),
            (
                ApiError::Throttling {
                    message: "slow down".into(),
                    retry_after_seconds: None,
                },
                "1",
            ),
            (
                ApiError::InternalServer {
                    message: "oops".into(),
                    retry_after_seconds: None,
                },
                "1",
            ),
        ];
        for (err, expected) in cases {
            let response = render(&Err(err.into()), "req-2", now());
            assert_eq!(response.headers()[header::RETRY_AFTER], expected);
        }
    }

    #[test]
    fn a_null_body_is_sent_as_no_body() {
        let response = render(&Ok(Reply::accepted(Value::Null)), "req-4", now());
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert!(response.headers().get(header::CONTENT_TYPE).is_none());
        assert_eq!(response.headers()[REQUEST_ID_HEADER], "req-4");
    }

    #[test]
    fn successes_have_no_error_type() {
        let response = render(&Ok(Reply::ok(json!({}))), "req-3", now());
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get(ERROR_TYPE_HEADER).is_none());
    }

    #[test]
    fn replies_round_trip_through_json() {
        let reply = Reply::accepted(json!({"Status": "STARTING_HOSTING"}));
        let json = serde_json::to_value(&reply).unwrap();
        assert_eq!(json["status"], 202);
        assert_eq!(serde_json::from_value::<Reply>(json).unwrap(), reply);
    }
}
