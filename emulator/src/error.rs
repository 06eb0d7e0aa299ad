//! The single error type behind every error answer the API gives.
//!
//! Each variant is one of the service's modeled exceptions (plus the one a rest-json endpoint
//! gives for a request it cannot route); [`ApiError::code`], [`ApiError::status`] and
//! [`ApiError::body`] say how it goes on the wire, so no handler formats an error itself.

use std::fmt::Display;

use axum::http::StatusCode;
use serde_json::{Map, Value};

/// The `ResourceType` member of the errors that name a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    /// A project.
    Project,
    /// A training or test dataset.
    Dataset,
    /// A model version.
    Model,
    /// A trial detection (part of the enum, never produced by the public API).
    Trial,
    /// A model packaging job.
    ModelPackageJob,
}

impl ResourceType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Project => "PROJECT",
            Self::Dataset => "DATASET",
            Self::Model => "MODEL",
            Self::Trial => "TRIAL",
            Self::ModelPackageJob => "MODEL_PACKAGE_JOB",
        }
    }
}

/// The resource an error is about: its `ResourceId` and `ResourceType` members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// What the service reports as `ResourceId` (a project name, a model version, …).
    pub id: String,
    /// What the service reports as `ResourceType`.
    pub kind: ResourceType,
}

impl Resource {
    /// The project called `name`.
    pub fn project(name: &str) -> Self {
        Self {
            id: name.to_owned(),
            kind: ResourceType::Project,
        }
    }

    /// A dataset, identified by its type (`train` or `test`): datasets have no ARN or name.
    pub fn dataset(dataset_type: impl Display) -> Self {
        Self {
            id: dataset_type.to_string(),
            kind: ResourceType::Dataset,
        }
    }

    /// A model, identified by its version as given (`3` or `latest`), or by its ARN for the
    /// tagging operations.
    pub fn model(id: impl Display) -> Self {
        Self {
            id: id.to_string(),
            kind: ResourceType::Model,
        }
    }
}

/// An error answer of the Lookout for Vision API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// `ValidationException` (400): the input broke a documented constraint or was malformed.
    #[error("ValidationException: {message}")]
    Validation {
        /// The `Message` member.
        message: String,
    },
    /// `AccessDeniedException` (403).
    #[error("AccessDeniedException: {message}")]
    AccessDenied {
        /// The `Message` member.
        message: String,
    },
    /// `ResourceNotFoundException` (404).
    #[error("ResourceNotFoundException: {message}")]
    ResourceNotFound {
        /// The `Message` member.
        message: String,
        /// The missing resource.
        resource: Resource,
    },
    /// `ConflictException` (409): the call would leave a resource in an inconsistent state.
    #[error("ConflictException: {message}")]
    Conflict {
        /// The `Message` member.
        message: String,
        /// The resource in the way.
        resource: Resource,
    },
    /// `ServiceQuotaExceededException` (402).
    #[error("ServiceQuotaExceededException: {message}")]
    ServiceQuotaExceeded {
        /// The `Message` member.
        message: String,
        /// The `QuotaCode` member.
        quota_code: String,
        /// The `ServiceCode` member.
        service_code: String,
        /// The optional `ResourceId` and `ResourceType` members.
        resource: Option<Resource>,
    },
    /// `ThrottlingException` (429).
    #[error("ThrottlingException: {message}")]
    Throttling {
        /// The `Message` member.
        message: String,
        /// Sent as the `Retry-After` header.
        retry_after_seconds: Option<u32>,
    },
    /// `InternalServerException` (500).
    #[error("InternalServerException: {message}")]
    InternalServer {
        /// The `Message` member.
        message: String,
        /// Sent as the `Retry-After` header.
        retry_after_seconds: Option<u32>,
    },
    /// `UnknownOperationException` (404): no operation has this method and path.
    ///
    /// Not part of the service model; it is what AWS's rest-json front ends answer for a
    /// request they cannot route (inferred, see `docs/guides/emulator.md`).
    #[error("UnknownOperationException: {message}")]
    UnknownOperation {
        /// The `Message` member.
        message: String,
    },
}

impl ApiError {
    /// A `ValidationException` with `message`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::Validation {
            message: message.into(),
        }
    }

    /// A `ResourceNotFoundException` about `resource`.
    pub fn not_found(resource: Resource, message: impl Into<String>) -> Self {
        Self::ResourceNotFound {
            message: message.into(),
            resource,
        }
    }

    /// A `ConflictException` about `resource`.
    pub fn conflict(resource: Resource, message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            resource,
        }
    }

    /// The error code, sent as the `x-amzn-ErrorType` header.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "ValidationException",
            Self::AccessDenied { .. } => "AccessDeniedException",
            Self::ResourceNotFound { .. } => "ResourceNotFoundException",
            Self::Conflict { .. } => "ConflictException",
            Self::ServiceQuotaExceeded { .. } => "ServiceQuotaExceededException",
            Self::Throttling { .. } => "ThrottlingException",
            Self::InternalServer { .. } => "InternalServerException",
            Self::UnknownOperation { .. } => "UnknownOperationException",
        }
    }

    /// The HTTP status the service documents for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation { .. } => StatusCode::BAD_REQUEST,
            Self::AccessDenied { .. } => StatusCode::FORBIDDEN,
            Self::ResourceNotFound { .. } | Self::UnknownOperation { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::ServiceQuotaExceeded { .. } => StatusCode::PAYMENT_REQUIRED,
            Self::Throttling { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::InternalServer { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `Message` member.
    pub fn message(&self) -> &str {
        match self {
            Self::Validation { message }
            | Self::AccessDenied { message }
            | Self::ResourceNotFound { message, .. }
            | Self::Conflict { message, .. }
            | Self::ServiceQuotaExceeded { message, .. }
            | Self::Throttling { message, .. }
            | Self::InternalServer { message, .. }
            | Self::UnknownOperation { message } => message,
        }
    }

    /// The value of the `Retry-After` header, for the errors that carry one.
    pub fn retry_after_seconds(&self) -> Option<u32> {
        match self {
            Self::Throttling {
                retry_after_seconds,
                ..
            }
            | Self::InternalServer {
                retry_after_seconds,
                ..
            } => *retry_after_seconds,
            _ => None,
        }
    }

    /// The JSON body: `Message` plus whichever other members the error's shape has.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("Message".into(), self.message().into());
        let resource = match self {
            Self::ResourceNotFound { resource, .. } | Self::Conflict { resource, .. } => {
                Some(resource)
            }
            Self::ServiceQuotaExceeded {
                resource,
                quota_code,
                service_code,
                ..
            } => {
                body.insert("QuotaCode".into(), quota_code.as_str().into());
                body.insert("ServiceCode".into(), service_code.as_str().into());
                resource.as_ref()
            }
            _ => None,
        };
        if let Some(resource) = resource {
            body.insert("ResourceId".into(), resource.id.as_str().into());
            body.insert("ResourceType".into(), resource.kind.as_str().into());
        }
        Value::Object(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resource_errors_carry_id_and_type() {
        let err = ApiError::conflict(Resource::project("p1"), "Project p1 already exists");
        assert_eq!(err.code(), "ConflictException");
        assert_eq!(err.status(), StatusCode::CONFLICT);
        assert_eq!(
            err.body(),
            json!({"Message": "Project p1 already exists", "ResourceId": "p1", "ResourceType": "PROJECT"})
        );
    }

    #[test]
    fn quota_errors_carry_their_codes_and_plain_errors_only_a_message() {
        let quota = ApiError::ServiceQuotaExceeded {
            message: "too many".into(),
            quota_code: "L-1".into(),
            service_code: "lookoutvision".into(),
            resource: None,
        };
        assert_eq!(quota.status(), StatusCode::PAYMENT_REQUIRED);
        assert_eq!(
            quota.body(),
            json!({"Message": "too many", "QuotaCode": "L-1", "ServiceCode": "lookoutvision"})
        );
        assert_eq!(
            ApiError::validation("bad").body(),
            json!({"Message": "bad"})
        );
    }
}
