//! How an answer goes on the wire: status, the AWS headers and a JSON body.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::error::ApiError;

/// The header carrying the request id on every answer.
pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";
/// The header carrying the error code on error answers.
pub const ERROR_TYPE_HEADER: &str = "x-amzn-errortype";

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The operation's documented success status.
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

/// Renders an answer, tagging it with `request_id`.
pub fn render(outcome: &Result<Reply, ApiError>, request_id: &str) -> Response {
    let mut response = match outcome {
        Ok(reply) if reply.body.is_null() => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = reply.status;
            response
        }
        Ok(reply) => json_response(reply.status, &reply.body),
        Err(err) => json_response(err.status(), &err.body()),
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, value);
    }
    if let Err(err) = outcome {
        headers.insert(ERROR_TYPE_HEADER, HeaderValue::from_static(err.code()));
        if let Some(seconds) = err.retry_after_seconds() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
    response
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::error::Resource;
    use serde_json::json;

    #[test]
    fn errors_carry_code_and_request_id_headers() {
        let outcome = Err(ApiError::not_found(
            Resource::project("p"),
            "Project p does not exist",
        ));
        let response = render(&outcome, "req-1");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            response.headers()[ERROR_TYPE_HEADER],
            "ResourceNotFoundException"
        );
        assert_eq!(response.headers()[REQUEST_ID_HEADER], "req-1");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    }

    #[test]
    fn retry_after_is_a_header() {
        let outcome = Err(ApiError::Throttling {
            message: "slow down".into(),
            retry_after_seconds: Some(3),
        });
        let response = render(&outcome, "req-2");
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "3");
    }

    #[test]
    fn a_null_body_is_sent_as_no_body() {
        let response = render(&Ok(Reply::accepted(Value::Null)), "req-4");
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert!(response.headers().get(header::CONTENT_TYPE).is_none());
        assert_eq!(response.headers()[REQUEST_ID_HEADER], "req-4");
    }

    #[test]
    fn successes_have_no_error_type() {
        let response = render(&Ok(Reply::ok(json!({}))), "req-3");
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get(ERROR_TYPE_HEADER).is_none());
    }
}
