//! The Lookout for Vision resources, one module each, and what they share: user-facing error
//! messages, timestamp and name conventions.

use aws_sdk_lookoutvision::primitives::{DateTime, DateTimeFormat};

use crate::aws::retry::RetryError;
use crate::aws::waiter::WaitError;
use crate::aws::{ApiError, ErrorKind};
use crate::framework::diag::Diagnostic;
use crate::framework::schema::Attribute;
use crate::framework::validate;
use crate::framework::value::{Type, Value};

pub mod dataset;
pub mod model;
pub mod project;

pub use dataset::Dataset;
pub use model::Model;
pub use project::Project;

/// A resource instance as messages name it: type and ID, e.g. `lookoutvision_project "demo"`.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    /// The resource type.
    pub type_name: &'static str,
    /// The resource's ID.
    pub id: &'a str,
}

impl std::fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?}", self.type_name, self.id)
    }
}

/// What to do about an error of this kind, when nothing more specific applies.
fn generic_advice(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::AccessDenied => {
            "Check that the credentials allow this Lookout for Vision action in this region."
        }
        ErrorKind::Throttling | ErrorKind::Internal => {
            "The SDK already retried this; run the command again, or raise `max_retries` in the provider block."
        }
        ErrorKind::Transport => {
            "Check the endpoint (provider `endpoints.lookoutvision`, AWS_ENDPOINT_URL_LOOKOUTVISION) and that the service or emulator is reachable."
        }
        ErrorKind::QuotaExceeded => "Delete unused resources or ask for a higher service quota.",
        ErrorKind::Validation => "Correct the argument the service names and apply again.",
        ErrorKind::NotFound | ErrorKind::Conflict | ErrorKind::Other => {
            "Run the command again; if it keeps failing, check the resource in the service."
        }
    }
}

/// The diagnostic for a failed API call while `action` (e.g. "creating") a resource.
pub fn api_failure(
    action: &str,
    subject: Subject<'_>,
    err: &ApiError,
    advice: Option<&str>,
) -> Diagnostic {
    Diagnostic::error(
        format!("Error {action} {subject}"),
        format!("{err}.\n\n{}", advice.unwrap_or(generic_advice(err.kind))),
    )
}

/// The diagnostic for a call retried on conflicts that still failed.
pub fn retry_failure(
    action: &str,
    subject: Subject<'_>,
    err: &RetryError,
    advice: &str,
) -> Diagnostic {
    match err {
        RetryError::Failed(api) => api_failure(action, subject, api, None),
        RetryError::TimedOut { last, attempts, waited } => Diagnostic::error(
            format!("Timed out {action} {subject}"),
            format!(
                "The service still refused after {attempts} attempts over {}s. Last answer: {last}.\n\n{advice}",
                waited.as_secs()
            ),
        ),
        RetryError::Cancelled { last } => Diagnostic::error(
            format!("Interrupted while {action} {subject}"),
            format!(
                "Terraform was asked to stop before the operation finished{}. Run the command again to finish it.",
                last.as_ref().map(|l| format!(" (last answer: {l})")).unwrap_or_default()
            ),
        ),
    }
}

/// The diagnostic for a wait that did not reach `target` (e.g. "status TRAINED").
pub fn wait_failure<T>(
    action: &str,
    subject: Subject<'_>,
    target: &str,
    err: &WaitError<T>,
    advice: &str,
) -> Diagnostic {
    match err {
        WaitError::Failed(observation) => Diagnostic::error(
            format!("Error {action} {subject}: status {}", observation.status),
            format!(
                "The service reports status {} instead of {target}{}.\n\n{advice}",
                observation.status,
                observation
                    .message
                    .as_ref()
                    .map(|m| format!(", with the message: {m}"))
                    .unwrap_or_default()
            ),
        ),
        WaitError::TimedOut { last, waited } => Diagnostic::error(
            format!("Timed out {action} {subject}"),
            format!(
                "Still waiting for {target} after {}s; the last status was {}. Raise the \
                 `timeouts` of the resource if the service needs longer, then apply again.",
                waited.as_secs(),
                last.as_ref().map_or("unknown", |o| o.status.as_str())
            ),
        ),
        WaitError::Cancelled { last } => Diagnostic::error(
            format!("Interrupted while {action} {subject}"),
            format!(
                "Terraform was asked to stop while waiting for {target} (last status: {}). The \
                 resource is kept in the state; run the command again to finish.",
                last.as_ref().map_or("unknown", |o| o.status.as_str())
            ),
        ),
        WaitError::Api(api) => api_failure(action, subject, api, None),
    }
}

/// A number attribute from the service's 32-bit float, without float noise (0.85, not
/// 0.8500000238418579).
pub fn score(value: Option<f32>) -> Value {
    value
        .and_then(|v| v.to_string().parse::<f64>().ok())
        .map_or(Value::Null, Value::from)
}

/// A timestamp attribute: RFC 3339 in UTC.
pub fn timestamp(time: Option<&DateTime>) -> Value {
    Value::opt_string(time.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()))
}

/// A required, replacement-forcing project name attribute, validated as the API constrains it.
pub fn project_name_attribute(name: &str, description: &str) -> Attribute {
    Attribute::required(name, Type::String)
        .describe(description)
        .requires_replace()
        .validate(validate::string_length(1, 255))
        .validate(validate::string_matches(
            "[a-zA-Z0-9][a-zA-Z0-9_\\-]*",
            "letters, digits, hyphens and underscores, starting with a letter or digit",
        ))
}

/// Splits a composite import ID `a:b`, explaining the expected `format` when it does not fit.
pub fn split_id<'a>(
    type_name: &str,
    id: &'a str,
    format: &str,
) -> Result<(&'a str, &'a str), Diagnostic> {
    id.split_once(':')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains(':'))
        .ok_or_else(|| {
            Diagnostic::error(
                format!("Invalid import ID for {type_name}"),
                format!("The import ID must look like {format}; got {id:?}."),
            )
        })
}

/// S3 location attributes, validated as the API constrains them.
pub mod s3 {
    use crate::framework::schema::Attribute;
    use crate::framework::validate;
    use crate::framework::value::Type;

    const KEY_PATTERN: &str = "([a-zA-Z0-9!_.*'()-][/a-zA-Z0-9!_.*'()-]*)?";
    const KEY_EXPLAINED: &str = "letters, digits, and the characters ! _ . * ' ( ) - and /";

    /// A required bucket name.
    pub fn bucket(name: &str, description: &str) -> Attribute {
        Attribute::required(name, Type::String)
            .describe(description)
            .validate(validate::string_length(3, 63))
            .validate(validate::string_matches(
                "[0-9A-Za-z.\\-_]*",
                "letters, digits, dots, hyphens and underscores",
            ))
    }

    /// A required object key.
    pub fn key(name: &str, description: &str) -> Attribute {
        Attribute::required(name, Type::String)
            .describe(description)
            .validate(validate::string_length(1, 1024))
            .validate(validate::string_matches(KEY_PATTERN, KEY_EXPLAINED))
    }

    /// An optional key prefix.
    pub fn prefix(name: &str, description: &str) -> Attribute {
        Attribute::optional(name, Type::String)
            .describe(description)
            .validate(validate::string_length(0, 1024))
            .validate(validate::string_matches(KEY_PATTERN, KEY_EXPLAINED))
    }
}
