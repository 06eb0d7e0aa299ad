//! Credentials from STS for the provider block's `assume_role` and
//! `assume_role_with_web_identity`: the role's temporary credentials, fetched when first needed
//! and again shortly before they expire.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{self, error::CredentialsError, future, ProvideCredentials};
use aws_credential_types::Credentials;
use aws_sdk_sts::error::{ProvideErrorMetadata as _, SdkError};
use aws_sdk_sts::operation::RequestId as _;

use super::error::error_chain;

/// Temporary credentials are fetched again this long before they expire.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// The shortest and longest sessions STS grants.
pub const DURATION_RANGE: (Duration, Duration) = (
    Duration::from_secs(15 * 60),
    Duration::from_secs(12 * 60 * 60),
);

/// `assume_role { ... }`: a role assumed with the credentials found before it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssumeRole {
    /// `role_arn`.
    pub role_arn: String,
    /// `session_name`; a name with the provider's and the time in it by default.
    pub session_name: Option<String>,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `duration`; STS's default (one hour) when unset.
    pub duration: Option<Duration>,
    /// `policy`: a JSON session policy.
    pub policy: Option<String>,
    /// `tags`: session tags.
    pub tags: BTreeMap<String, String>,
}

/// Where the web identity token comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum WebIdentityToken {
    /// `web_identity_token` (sensitive).
    Inline(String),
    /// `web_identity_token_file` / `AWS_WEB_IDENTITY_TOKEN_FILE`, read at every refresh (the
    /// issuer rotates it).
    File(PathBuf),
}

impl fmt::Debug for WebIdentityToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebIdentityToken::Inline(_) => f.write_str("Inline(..)"),
            WebIdentityToken::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

/// `assume_role_with_web_identity { ... }`: a role assumed with an OIDC token, no other
/// credentials needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebIdentity {
    /// `role_arn` / `AWS_ROLE_ARN`.
    pub role_arn: String,
    /// `session_name` / `AWS_ROLE_SESSION_NAME`.
    pub session_name: Option<String>,
    /// The token.
    pub token: WebIdentityToken,
    /// `duration`.
    pub duration: Option<Duration>,
    /// `policy`.
    pub policy: Option<String>,
}

/// Why STS gave no credentials for a role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleFailure {
    /// STS answered with an error.
    Refused {
        /// Its code, e.g. `AccessDenied`.
        code: Option<String>,
        /// Its message.
        message: Option<String>,
        /// The request ID.
        request_id: Option<String>,
    },
    /// No answer: connection refused, TLS, timeout.
    Unreachable(String),
    /// An answer without credentials in it.
    NoCredentials,
    /// The web identity token file cannot be read.
    TokenFile {
        /// The file.
        path: PathBuf,
        /// The operating system's words.
        reason: String,
    },
}

/// A role could not be assumed: which block, which role, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct RoleError {
    /// `assume_role` or `assume_role_with_web_identity`.
    pub block: &'static str,
    /// The role.
    pub role_arn: String,
    /// Why.
    pub failure: RoleFailure,
}

impl fmt::Display for RoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let operation = match self.block {
            "assume_role" => "AssumeRole",
            _ => "AssumeRoleWithWebIdentity",
        };
        match &self.failure {
            RoleFailure::Refused {
                code,
                message,
                request_id,
            } => {
                write!(f, "STS refused {operation} for {}", self.role_arn)?;
                if let Some(code) = code {
                    write!(f, ": {code}")?;
                }
                if let Some(message) = message {
                    write!(f, ": {message}")?;
                }
                if let Some(id) = request_id {
                    write!(f, " (request ID {id})")?;
                }
                Ok(())
            }
            RoleFailure::Unreachable(why) => {
                write!(
                    f,
                    "{operation} for {} got no answer from STS: {why}",
                    self.role_arn
                )
            }
            RoleFailure::NoCredentials => write!(
                f,
                "STS answered {operation} for {} without credentials",
                self.role_arn
            ),
            RoleFailure::TokenFile { path, reason } => write!(
                f,
                "cannot read the web identity token file {}: {reason}",
                path.display()
            ),
        }
    }
}

/// What to ask STS for.
#[derive(Clone, Debug)]
pub enum RoleRequest {
    /// AssumeRole.
    AssumeRole(AssumeRole),
    /// AssumeRoleWithWebIdentity.
    WebIdentity(WebIdentity),
}

impl RoleRequest {
    fn block(&self) -> &'static str {
        match self {
            RoleRequest::AssumeRole(_) => "assume_role",
            RoleRequest::WebIdentity(_) => "assume_role_with_web_identity",
        }
    }

    fn role_arn(&self) -> &str {
        match self {
            RoleRequest::AssumeRole(role) => &role.role_arn,
            RoleRequest::WebIdentity(role) => &role.role_arn,
        }
    }
}

/// The session name when none is configured: the provider's name and the time, as the AWS
/// SDKs make theirs, within STS's 64 characters.
pub fn default_session_name() -> String {
    let millis = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("terraform-provider-lookoutvision-{millis}")
}

fn seconds(duration: Option<Duration>) -> Option<i32> {
    duration.map(|d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX))
}

/// A credentials provider that assumes a role through `sts`.
pub struct RoleProvider {
    request: RoleRequest,
    sts: aws_sdk_sts::Client,
    cached: Mutex<Option<Credentials>>,
}

impl fmt::Debug for RoleProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleProvider")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

impl RoleProvider {
    /// A provider asking `sts` (configured with the source credentials, if the request needs
    /// any) for the role in `request`.
    pub fn new(request: RoleRequest, sts: aws_sdk_sts::Client) -> Self {
        RoleProvider {
            request,
            sts,
            cached: Mutex::default(),
        }
    }

    fn error(&self, failure: RoleFailure) -> RoleError {
        RoleError {
            block: self.request.block(),
            role_arn: self.request.role_arn().to_owned(),
            failure,
        }
    }

    fn failure<E>(err: SdkError<E, aws_sdk_sts::config::http::HttpResponse>) -> RoleFailure
    where
        E: aws_sdk_sts::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        match &err {
            SdkError::ServiceError(_) => RoleFailure::Refused {
                code: err.code().map(str::to_owned),
                message: err.message().map(str::to_owned),
                request_id: err.request_id().map(str::to_owned),
            },
            SdkError::DispatchFailure(failure) => RoleFailure::Unreachable(
                failure
                    .as_connector_error()
                    .map_or_else(|| error_chain(&err), |c| error_chain(c)),
            ),
            _ => RoleFailure::Unreachable(error_chain(&err)),
        }
    }

    async fn assume(&self) -> Result<Credentials, RoleError> {
        let answer = match &self.request {
            RoleRequest::AssumeRole(role) => {
                let mut call = self
                    .sts
                    .assume_role()
                    .role_arn(&role.role_arn)
                    .role_session_name(
                        role.session_name
                            .clone()
                            .unwrap_or_else(default_session_name),
                    )
                    .set_external_id(role.external_id.clone())
                    .set_duration_seconds(seconds(role.duration))
                    .set_policy(role.policy.clone());
                for (key, value) in &role.tags {
                    let tag = aws_sdk_sts::types::Tag::builder()
                        .key(key)
                        .value(value)
                        .build()
                        .map_err(|err| self.error(RoleFailure::Unreachable(err.to_string())))?;
                    call = call.tags(tag);
                }
                call.send()
                    .await
                    .map(|out| out.credentials)
                    .map_err(|err| self.error(Self::failure(err)))?
            }
            RoleRequest::WebIdentity(role) => {
                let token = match &role.token {
                    WebIdentityToken::Inline(token) => token.clone(),
                    WebIdentityToken::File(path) => std::fs::read_to_string(path)
                        .map(|token| token.trim().to_owned())
                        .map_err(|err| {
                            self.error(RoleFailure::TokenFile {
                                path: path.clone(),
                                reason: err.to_string(),
                            })
                        })?,
                };
                self.sts
                    .assume_role_with_web_identity()
                    .role_arn(&role.role_arn)
                    .role_session_name(
                        role.session_name
                            .clone()
                            .unwrap_or_else(default_session_name),
                    )
                    .web_identity_token(token)
                    .set_duration_seconds(seconds(role.duration))
                    .set_policy(role.policy.clone())
                    .send()
                    .await
                    .map(|out| out.credentials)
                    .map_err(|err| self.error(Self::failure(err)))?
            }
        };
        let credentials = answer.ok_or_else(|| self.error(RoleFailure::NoCredentials))?;
        Ok(Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            Some(credentials.session_token().to_owned()),
            SystemTime::try_from(*credentials.expiration()).ok(),
            "AssumeRoleProvider",
        ))
    }

    /// The cached credentials while they are good for a while yet, else new ones. Terraform
    /// validates the credentials and then calls the API in the same process: one STS call.
    async fn credentials(&self) -> provider::Result {
        let fresh = |credentials: &Credentials| {
            credentials.expiry().is_none_or(|expiry| {
                expiry
                    .duration_since(SystemTime::now())
                    .is_ok_and(|left| left > REFRESH_BEFORE_EXPIRY)
            })
        };
        if let Some(cached) = self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .filter(fresh)
        {
            return Ok(cached);
        }
        let credentials = self
            .assume()
            .await
            .map_err(CredentialsError::provider_error)?;
        *self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(credentials.clone());
        Ok(credentials)
    }
}

impl ProvideCredentials for RoleProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.credentials())
    }
}

/// The role error somewhere in a credentials error's chain, if a role provider failed.
pub fn find_role_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a RoleError> {
    std::iter::successors(Some(err), |e| e.source()).find_map(|e| e.downcast_ref::<RoleError>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_session_names_fit_sts_rules() {
        let name = default_session_name();
        assert!((2..=64).contains(&name.len()), "{name}");
        assert!(name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c)));
    }

    #[test]
    fn a_web_identity_token_never_shows_in_debug_output() {
        let role = WebIdentity {
            role_arn: "arn:aws:iam::123456789012:role/ci".into(),
            session_name: None,
            token: WebIdentityToken::Inline("eyJhbGciOiJSUzI1NiJ9.secret".into()),
            duration: None,
            policy: None,
        };
        assert!(!format!("{role:?}").contains("secret"));
    }

    #[test]
    fn role_errors_say_what_sts_said_and_are_found_in_chains() {
        let err = RoleError {
            block: "assume_role",
            role_arn: "arn:aws:iam::123456789012:role/deploy".into(),
            failure: RoleFailure::Refused {
                code: Some("AccessDenied".into()),
                message: Some("not authorized to perform sts:AssumeRole".into()),
                request_id: Some("req-1".into()),
            },
        };
        assert_eq!(
            err.to_string(),
            "STS refused AssumeRole for arn:aws:iam::123456789012:role/deploy: AccessDenied: \
             not authorized to perform sts:AssumeRole (request ID req-1)"
        );
        let wrapped = CredentialsError::provider_error(err.clone());
        assert_eq!(find_role_error(&wrapped), Some(&err));
    }
}
