//! Service errors, classified by their modeled type, with what a user needs to act on them.

use std::fmt;

use aws_sdk_lookoutvision::config::http::HttpResponse;
use aws_sdk_lookoutvision::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lookoutvision::operation::RequestId;
use aws_sdk_lookoutvision::Error as ServiceError;

/// What kind of failure an API call met, by the service's modeled error types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// `ResourceNotFoundException` (404).
    NotFound,
    /// `ConflictException` (409): the resource is in a state that does not allow the call yet.
    Conflict,
    /// `ValidationException` (400).
    Validation,
    /// `AccessDeniedException` (403).
    AccessDenied,
    /// `ServiceQuotaExceededException` (402).
    QuotaExceeded,
    /// `ThrottlingException` (429), after the SDK's own retries.
    Throttling,
    /// `InternalServerException` (500), after the SDK's own retries.
    Internal,
    /// The request never reached the endpoint: the connection could not be made (refused, no
    /// route, a name that does not resolve, a failed TLS handshake, a connect timeout). Nothing
    /// was sent, so the service did nothing.
    Unreachable,
    /// The request was sent but its answer was lost: the connection dropped, the answer timed
    /// out or could not be read. The service may or may not have acted; a mutating call settles
    /// it by asking again with the same client token (see [`super::retry`]).
    NoAnswer,
    /// Anything else (an unmodeled error code or a response the SDK could not read).
    Other,
}

/// A failed Lookout for Vision call: the operation, the service's code and message, and the
/// request ID that AWS support would ask for.
#[derive(Clone, Debug, thiserror::Error)]
pub struct ApiError {
    /// The API operation, e.g. `DeleteProject`.
    pub operation: &'static str,
    /// The classified failure.
    pub kind: ErrorKind,
    /// The service's error code, e.g. `ConflictException`.
    pub code: Option<String>,
    /// The service's own message.
    pub message: Option<String>,
    /// The request ID, when a response arrived.
    pub request_id: Option<String>,
    /// The HTTP status, when a response arrived.
    pub status: Option<u16>,
}

impl ApiError {
    /// Classifies an SDK error of `operation`.
    pub fn from_sdk<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        ServiceError: From<SdkError<E, HttpResponse>>,
    {
        let request_id = err.request_id().map(str::to_owned);
        // Errors without a service answer carry their cause in the source chain: the SDK's own
        // message ("io error", "response error") alone tells the user nothing.
        let (transport, own_message) = match &err {
            SdkError::DispatchFailure(failure) => match failure.as_connector_error() {
                Some(connector) => {
                    let kind = if super::http::never_connected(connector) {
                        ErrorKind::Unreachable
                    } else {
                        ErrorKind::NoAnswer
                    };
                    (Some(kind), Some(unreached(connector)))
                }
                None => (
                    Some(ErrorKind::Unreachable),
                    Some("the request could not be sent".to_owned()),
                ),
            },
            SdkError::TimeoutError(_) => (
                Some(ErrorKind::NoAnswer),
                Some(format!("no answer in time: {}", error_chain(&err))),
            ),
            SdkError::ResponseError(_) => (Some(ErrorKind::NoAnswer), Some(error_chain(&err))),
            SdkError::ConstructionFailure(_) => (None, Some(error_chain(&err))),
            _ => (None, None),
        };
        let status = match &err {
            SdkError::ServiceError(context) => Some(context.raw().status().as_u16()),
            SdkError::ResponseError(context) => Some(context.raw().status().as_u16()),
            _ => None,
        };
        let service: ServiceError = err.into();
        let kind = match transport {
            Some(kind) => kind,
            None => match &service {
                ServiceError::ResourceNotFoundException(_) => ErrorKind::NotFound,
                ServiceError::ConflictException(_) => ErrorKind::Conflict,
                ServiceError::ValidationException(_) => ErrorKind::Validation,
                ServiceError::AccessDeniedException(_) => ErrorKind::AccessDenied,
                ServiceError::ServiceQuotaExceededException(_) => ErrorKind::QuotaExceeded,
                ServiceError::ThrottlingException(_) => ErrorKind::Throttling,
                ServiceError::InternalServerException(_) => ErrorKind::Internal,
                _ => ErrorKind::Other,
            },
        };
        ApiError {
            operation,
            kind,
            code: service.code().map(str::to_owned),
            message: own_message.or_else(|| service.message().map(str::to_owned)),
            request_id,
            status,
        }
    }

    /// The error for an answer of `operation` without `field`, which the provider needs (the
    /// API declares every field optional, so its absence is checked rather than assumed).
    pub fn incomplete(operation: &'static str, field: &str) -> Self {
        ApiError {
            operation,
            kind: ErrorKind::Other,
            code: None,
            message: Some(format!("the service's answer has no `{field}`")),
            request_id: None,
            status: None,
        }
    }

    /// Whether the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// Whether the resource is busy with another change.
    pub fn is_conflict(&self) -> bool {
        self.kind == ErrorKind::Conflict
    }

    /// Whether the request was sent but its answer lost, so that the service may have acted.
    pub fn is_unanswered(&self) -> bool {
        self.kind == ErrorKind::NoAnswer
    }
}

/// What a request that got no answer from the endpoint met: the endpoint (which the HTTP
/// client names, see [`super::http::EndpointFailure`]), the cause, and a hint when the cause is
/// a known mistake.
fn unreached(connector: &(dyn std::error::Error + 'static)) -> String {
    let chain = || std::iter::successors(Some(connector), |e| e.source());
    // The connector error's own text ("io error") says nothing: start at the endpoint.
    let text = match chain().find_map(|e| e.downcast_ref::<super::http::EndpointFailure>()) {
        Some(failure) => error_chain(failure),
        None => format!("could not reach the endpoint: {}", error_chain(connector)),
    };
    let hint = if is_untrusted_certificate(connector) {
        UNTRUSTED_CERTIFICATE
    } else if is_plain_http_answer(connector) {
        PLAIN_HTTP
    } else {
        ""
    };
    format!("{text}{hint}")
}

/// What an answer from a server whose certificate is not trusted adds to the message.
pub const UNTRUSTED_CERTIFICATE: &str = ". The endpoint's TLS certificate is not trusted: set \
    `custom_ca_bundle` (or AWS_CA_BUNDLE) to a PEM file holding the CA that issued it";

/// What an `https://` endpoint that answers in plain HTTP adds to the message.
pub const PLAIN_HTTP: &str = ". The endpoint did not answer in TLS: it may serve plain HTTP \
    (as `lookoutvision-emulator` does). If it does, write its URL with `http://` in \
    `endpoints { lookoutvision = \"...\" }` (or AWS_ENDPOINT_URL_LOOKOUTVISION)";

/// `err` and its causes. An `io::Error`'s own `source()` skips the error it wraps, so the chain
/// goes through `get_ref()` there.
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| match e.downcast_ref::<std::io::Error>() {
        Some(io) => io
            .get_ref()
            .map(|inner| inner as &(dyn std::error::Error + 'static)),
        None => e.source(),
    })
}

/// Whether `err` or one of its causes is a server certificate that TLS refused.
pub fn is_untrusted_certificate(err: &(dyn std::error::Error + 'static)) -> bool {
    causes(err).any(|e| {
        matches!(
            e.downcast_ref::<rustls::Error>(),
            Some(rustls::Error::InvalidCertificate(_))
        )
    })
}

/// Whether `err` or one of its causes is TLS meeting something that is not TLS: a server that
/// answers a TLS greeting in plain HTTP, or that closes the connection on it.
pub fn is_plain_http_answer(err: &(dyn std::error::Error + 'static)) -> bool {
    causes(err).any(|e| {
        matches!(
            e.downcast_ref::<rustls::Error>(),
            Some(rustls::Error::InvalidMessage(_))
        ) || e.to_string() == "tls handshake eof"
    })
}

/// `err` and its sources on one line, e.g. "io error: tcp connect error: Connection refused".
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    for cause in std::iter::successors(err.source(), |e| e.source()) {
        let cause = cause.to_string();
        // Some errors already include their source's message; say it once.
        if !text.ends_with(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.operation)?;
        match (&self.code, &self.message) {
            (Some(code), Some(message)) => write!(f, ": {code}: {message}")?,
            (Some(code), None) => write!(f, ": {code}")?,
            (None, Some(message)) => write!(f, ": {message}")?,
            (None, None) => write!(f, " with no error message")?,
        }
        match (self.status, &self.request_id) {
            (Some(status), Some(id)) => write!(f, " (HTTP {status}, request ID {id})"),
            (Some(status), None) => write!(f, " (HTTP {status})"),
            (None, Some(id)) => write!(f, " (request ID {id})"),
            (None, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(kind: ErrorKind, code: Option<&str>, message: Option<&str>) -> ApiError {
        ApiError {
            operation: "DeleteProject",
            kind,
            code: code.map(str::to_owned),
            message: message.map(str::to_owned),
            request_id: Some("req-1".into()),
            status: Some(409),
        }
    }

    #[test]
    fn display_names_operation_code_message_and_request() {
        let err = error(ErrorKind::Conflict, Some("ConflictException"), Some("busy"));
        assert_eq!(
            err.to_string(),
            "DeleteProject failed: ConflictException: busy (HTTP 409, request ID req-1)"
        );
        assert!(err.is_conflict() && !err.is_not_found());
    }

    #[test]
    fn an_unreachable_endpoint_is_reported_with_its_cause() {
        use aws_sdk_lookoutvision::error::ConnectorError;
        use aws_sdk_lookoutvision::operation::describe_project::DescribeProjectError;

        let refused =
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let sdk: SdkError<DescribeProjectError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(refused)));
        let err = ApiError::from_sdk("DescribeProject", sdk);
        assert_eq!(err.kind, ErrorKind::Unreachable);
        assert_eq!(
            err.to_string(),
            "DescribeProject failed: could not reach the endpoint: io error: Connection refused"
        );
    }

    #[test]
    fn display_without_code_or_message_still_reads() {
        let err = error(ErrorKind::Other, None, None);
        assert_eq!(
            err.to_string(),
            "DeleteProject failed with no error message (HTTP 409, request ID req-1)"
        );
    }

    #[test]
    fn an_untrusted_certificate_is_recognised_through_io_errors() {
        let refused = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let wrapped = std::io::Error::new(std::io::ErrorKind::InvalidData, refused);
        assert!(is_untrusted_certificate(&wrapped));
        let other = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(!is_untrusted_certificate(&other));
    }
}
