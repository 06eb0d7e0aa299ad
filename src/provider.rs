//! The `lookoutvision` provider: its configuration block, resources, data sources and list
//! resources.

use std::sync::Arc;

use async_trait::async_trait;

use crate::aws::config::{
    is_aws_region, region_rule, AssumeRoleArguments, ClientArguments, ClientError, InvalidSetting,
    SsoTokenState, WebIdentityArguments, DEFAULT_MAX_RETRIES,
};
use crate::aws::error::error_chain;
use crate::aws::http::HttpSettingsError;
use crate::aws::role::{RoleError, RoleFailure};
use crate::aws::Client;
use crate::data_sources;
use crate::framework::data_source::DataSource;
use crate::framework::diag::{AttributePath, Diagnostic, Diagnostics};
use crate::framework::list::ListResource;
use crate::framework::resource::{Provider, Resource};
use crate::framework::schema::{Attribute, Block, NestedBlock, Schema};
use crate::framework::validate;
use crate::framework::value::{Type, Value};
use crate::resources;

/// The provider's source address; configurations should always use it fully qualified so that
/// Terraform and OpenTofu resolve the same provider.
pub const SOURCE_ADDRESS: &str = "registry.terraform.io/lookoutvision/lookoutvision";

/// How API requests name this provider and its version in their User-Agent.
const USER_AGENT_APP: &str = concat!(
    "terraform-provider-lookoutvision_",
    env!("CARGO_PKG_VERSION")
);

/// The Lookout for Vision provider.
#[derive(Debug, Default)]
pub struct LookoutVisionProvider;

fn string(name: &str, description: &str) -> Attribute {
    Attribute::optional(name, Type::String).describe(description)
}

fn flag(name: &str, description: &str) -> Attribute {
    Attribute::optional(name, Type::Bool).describe(description)
}

fn files(name: &str, description: &str) -> Attribute {
    Attribute::optional(name, Type::list(Type::String))
        .describe(description)
        .validate(validate::each(validate::string_length(1, 4096)))
}

/// A string attribute of `block`, if set.
fn text(block: &Value, name: &str) -> Option<String> {
    block.get(name).as_str().map(str::to_owned)
}

fn arguments(config: &Value) -> ClientArguments {
    let list = |name: &str| {
        let value = config.get(name);
        (!value.is_null()).then(|| {
            value
                .elements()
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
    };
    let endpoint = |service: &str| text(config.get("endpoints"), service);
    let assume_role = config.get("assume_role");
    let web_identity = config.get("assume_role_with_web_identity");
    ClientArguments {
        region: text(config, "region"),
        profile: text(config, "profile"),
        access_key: text(config, "access_key"),
        secret_key: text(config, "secret_key"),
        token: text(config, "token"),
        shared_config_files: list("shared_config_files"),
        shared_credentials_files: list("shared_credentials_files"),
        endpoint: endpoint("lookoutvision"),
        sts_endpoint: endpoint("sts"),
        max_retries: config.get("max_retries").as_i64(),
        retry_mode: text(config, "retry_mode"),
        skip_credentials_validation: config.get("skip_credentials_validation").as_bool(),
        skip_metadata_api_check: config.get("skip_metadata_api_check").as_bool(),
        skip_region_validation: config.get("skip_region_validation").as_bool(),
        custom_ca_bundle: text(config, "custom_ca_bundle"),
        http_proxy: text(config, "http_proxy"),
        https_proxy: text(config, "https_proxy"),
        no_proxy: text(config, "no_proxy"),
        assume_role: (!assume_role.is_null()).then(|| AssumeRoleArguments {
            role_arn: text(assume_role, "role_arn"),
            session_name: text(assume_role, "session_name"),
            external_id: text(assume_role, "external_id"),
            duration: text(assume_role, "duration"),
            policy: text(assume_role, "policy"),
            tags: assume_role.get("tags").string_map(),
        }),
        assume_role_with_web_identity: (!web_identity.is_null()).then(|| WebIdentityArguments {
            role_arn: text(web_identity, "role_arn"),
            session_name: text(web_identity, "session_name"),
            web_identity_token: text(web_identity, "web_identity_token"),
            web_identity_token_file: text(web_identity, "web_identity_token_file"),
            duration: text(web_identity, "duration"),
            policy: text(web_identity, "policy"),
        }),
    }
}

/// The attribute path of a dotted argument name such as `assume_role.duration`.
fn path_of(argument: &str) -> AttributePath {
    let mut parts = argument.split('.');
    let first = AttributePath::root(parts.next().unwrap_or(argument));
    parts.fold(first, |path, part| path.attribute(part))
}

/// A provider argument, or the environment variable it fell back to, holds a bad value.
fn invalid_setting(invalid: &InvalidSetting) -> Diagnostic {
    match invalid.env_var {
        // The configuration is not at fault, so the message points at no attribute.
        Some(var) => Diagnostic::error(
            format!("Invalid environment variable {var}"),
            format!(
                "{} Correct or unset {var}, or set `{}` in the provider block, which \
                 takes precedence.",
                invalid.message, invalid.argument
            ),
        ),
        None => Diagnostic::error(
            format!("Invalid value for {}", invalid.argument),
            invalid.message.clone(),
        )
        .at(path_of(invalid.argument)),
    }
}

/// Where a setting came from, for a message: `custom_ca_bundle`, or `AWS_CA_BUNDLE`.
fn origin(argument: &str, env_var: Option<&'static str>) -> String {
    match env_var {
        Some(var) => format!("the environment variable {var} (the fallback of `{argument}`)"),
        None => format!("`{argument}`"),
    }
}

/// A setting's diagnostic points at the attribute only when the value came from it.
fn at_argument(diag: Diagnostic, argument: &str, env_var: Option<&'static str>) -> Diagnostic {
    match env_var {
        Some(_) => diag,
        None => diag.at(path_of(argument)),
    }
}

/// What the user sees when the client cannot be built: the setting, file or profile at fault
/// and what to do. None of these carries a secret.
fn client_error(err: &ClientError) -> Diagnostic {
    match err {
        ClientError::NoRegion => Diagnostic::error(
            "No AWS region configured",
            "Set `region` in the provider block (for the emulator any region works, such as \
             \"us-east-1\"), the AWS_REGION environment variable, or `region` in the profile.",
        )
        .at(AttributePath::root("region")),
        ClientError::Http(HttpSettingsError::UnreadableCaBundle { env_var, .. })
        | ClientError::Http(HttpSettingsError::InvalidCaBundle { env_var, .. }) => at_argument(
            Diagnostic::error(
                "Cannot use the custom CA bundle",
                format!(
                    "{}, named by {}. Point it at a readable PEM file holding the CA \
                     certificates to trust (for example the CA that issued the endpoint's \
                     certificate), or unset it to trust only the system's certificates.",
                    capitalised(&err.to_string()),
                    origin("custom_ca_bundle", *env_var)
                ),
            ),
            "custom_ca_bundle",
            *env_var,
        ),
        ClientError::Http(HttpSettingsError::InvalidProxy {
            argument, env_var, ..
        }) => at_argument(
            Diagnostic::error(
                format!("Invalid proxy URL in {}", env_var.unwrap_or(argument)),
                format!(
                    "{}, named by {}. Give the proxy as http://HOST:PORT (or https://, \
                     with user:password@ if it needs them).",
                    capitalised(&err.to_string()),
                    origin(argument, *env_var)
                ),
            ),
            argument,
            *env_var,
        ),
        ClientError::SharedFiles { .. } => Diagnostic::error(
            "Cannot read the shared config files",
            format!(
                "{}. Correct the file, or point `shared_config_files` and \
                 `shared_credentials_files` (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE) at \
                 other files.",
                capitalised(&err.to_string())
            ),
        ),
        ClientError::UnknownProfile {
            profile,
            files,
            known,
        } => {
            let known = if known.is_empty() {
                "They hold no profile.".to_owned()
            } else {
                format!("They hold: {}.", known.join(", "))
            };
            let diag = Diagnostic::error(
                format!("Profile {:?} not found", profile.name),
                format!(
                    "The profile {:?}, named by {}, is not in the shared config files ({files}). \
                     {known} Correct the name, add the profile (`aws configure --profile {}`), \
                     or point `shared_config_files` (AWS_CONFIG_FILE) at the file that holds it.",
                    profile.name,
                    profile_origin(profile.env_var),
                    profile.name
                ),
            );
            at_argument(diag, "profile", profile.env_var)
        }
        ClientError::ProfileSetting {
            profile,
            key,
            files,
            ..
        } => Diagnostic::error(
            format!("Invalid {key} in profile {profile:?}"),
            format!(
                "{}. Correct it in the shared config files ({files}){}.",
                capitalised(&err.to_string()),
                match *key {
                    "region" => ", or set `region` in the provider block".to_owned(),
                    "max_attempts" =>
                        ", or set `max_retries` in the provider block, which takes precedence"
                            .to_owned(),
                    "retry_mode" =>
                        ", or set `retry_mode` in the provider block, which takes precedence"
                            .to_owned(),
                    _ => String::new(),
                }
            ),
        ),
        ClientError::ProfileWithoutCredentials { profile, files, .. } => at_argument(
            Diagnostic::error(
                format!("Profile {:?} has no credentials", profile.name),
                format!(
                    "The profile {:?}, named by {}, is in the shared config files ({files}) but \
                     gives no credentials, and no other source did. Add credentials to it \
                     (`aws_access_key_id` and `aws_secret_access_key`, `role_arn` with \
                     `source_profile`, `sso_session`, or `credential_process`), or choose a \
                     profile that has them.",
                    profile.name,
                    profile_origin(profile.env_var)
                ),
            ),
            "profile",
            profile.env_var,
        ),
        ClientError::SsoSignIn {
            profile,
            cache_file,
            state,
            source,
        } => {
            let cache = cache_file.display();
            let problem = match state {
                SsoTokenState::Missing => {
                    format!("there is no cached sign-in token ({cache} does not exist)")
                }
                SsoTokenState::Expired(at) => {
                    format!("its cached sign-in token expired at {at} ({cache})")
                }
                SsoTokenState::Unreadable(why) => {
                    format!("its cached sign-in token cannot be read ({cache}: {why})")
                }
                SsoTokenState::Current => {
                    format!("IAM Identity Center did not accept its cached sign-in token ({cache})")
                }
            };
            Diagnostic::error(
                format!("Profile {profile:?}: IAM Identity Center sign-in needed"),
                format!(
                    "The profile {profile:?} gets credentials through IAM Identity Center \
                     (SSO), but {problem}. Sign in again with `aws sso login --profile \
                     {profile}`, then run Terraform again.\n\nThe AWS SDK reported: {}",
                    error_chain(source)
                ),
            )
        }
        ClientError::Role(role) => role_error(role),
        ClientError::NoCredentials(source) => Diagnostic::error(
            "No valid credential sources found",
            // The cause comes last: the SDK lists every source it tried on indented
            // lines, which Terraform prints as they are.
            format!(
                "The provider could not find AWS credentials. Set `access_key` and \
                 `secret_key` (for the emulator any values work), a `profile`, or the \
                 AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables; or set \
                 `skip_credentials_validation = true` to resolve them only when needed.\n\n\
                 The AWS SDK reported: {}",
                error_chain(source)
            ),
        ),
    }
}

fn profile_origin(env_var: Option<&'static str>) -> String {
    match env_var {
        Some(var) => format!("the environment variable {var}"),
        None => "`profile`".to_owned(),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// STS gave no credentials for the role of `assume_role` or `assume_role_with_web_identity`.
fn role_error(role: &RoleError) -> Diagnostic {
    let advice = match (&role.failure, role.block) {
        (RoleFailure::Refused { .. }, "assume_role") => {
            "Check `role_arn`, that the role's trust policy lets the source credentials (the \
             provider's credentials before the role) assume it, and `external_id`, `duration` \
             (at most the role's maximum session duration), `policy` and `tags` (the trust \
             policy must allow sts:TagSession)."
        }
        (RoleFailure::Refused { .. }, _) => {
            "Check `role_arn`, that the role's trust policy accepts tokens of this identity \
             provider (issuer and audience), that the token has not expired, and `duration` (at \
             most the role's maximum session duration)."
        }
        (RoleFailure::Unreachable(_), _) => {
            "Check the network path to STS: `endpoints { sts }` (or AWS_ENDPOINT_URL_STS), \
             `region`, the proxy settings and `custom_ca_bundle`."
        }
        (RoleFailure::NoCredentials, _) => "Check that `endpoints { sts }` points at STS.",
        (RoleFailure::TokenFile { .. }, _) => {
            "Point `web_identity_token_file` (or AWS_WEB_IDENTITY_TOKEN_FILE) at the file the \
             identity provider writes the token to, or give the token in `web_identity_token`."
        }
    };
    let attribute = match role.failure {
        RoleFailure::TokenFile { .. } => "web_identity_token_file",
        _ => "role_arn",
    };
    let diag = Diagnostic::error(
        format!("Cannot assume role {}", role.role_arn),
        format!("{}. {advice}", capitalised(&role.to_string())),
    );
    // The attribute is only in the configuration when it came from it (not AWS_ROLE_ARN).
    diag.at(AttributePath::root(role.block).attribute(attribute))
}

#[async_trait]
impl Provider for LookoutVisionProvider {
    type Client = Client;

    fn type_name(&self) -> &'static str {
        "lookoutvision"
    }

    fn schema(&self) -> Schema {
        let endpoints = Block::new("Custom service endpoints, for example the Lookout for Vision emulator.")
            .attribute(
                string(
                    "lookoutvision",
                    "The Lookout for Vision endpoint URL, e.g. `http://127.0.0.1:4566` for the \
                     emulator. Environment: `AWS_ENDPOINT_URL_LOOKOUTVISION`, then `AWS_ENDPOINT_URL`.",
                )
                .validate(validate::http_url()),
            )
            .attribute(
                string(
                    "sts",
                    "The STS endpoint URL, where `assume_role` and \
                     `assume_role_with_web_identity` get the role's credentials. Environment: \
                     `AWS_ENDPOINT_URL_STS`. Default: the region's STS endpoint.",
                )
                .validate(validate::http_url()),
            );
        let duration = |what: &str| {
            string(
                "duration",
                &format!(
                    "How long the {what} session lasts, as a duration from `15m` to `12h` (at \
                     most the role's maximum session duration), e.g. `\"1h\"`. Default: `1h`."
                ),
            )
            .validate(validate::duration())
        };
        let policy = string(
            "policy",
            "A JSON IAM policy that further limits the session's permissions (for example from \
             `jsonencode()` or an `aws_iam_policy_document` data source).",
        )
        .validate(validate::string_length(1, 2048));
        let session_name = |env: &str| {
            string(
                "session_name",
                &format!(
                    "The session name, which CloudTrail records. {env}Default: \
                     `terraform-provider-lookoutvision-` and the time in milliseconds."
                ),
            )
            .validate(validate::string_matches(
                "[A-Za-z0-9_+=,.@-]{2,64}",
                "2 to 64 letters, digits and the characters +=,.@_-",
            ))
        };
        let role_arn = |required: bool, env: &str| {
            let description = format!("The ARN of the role to assume. {env}");
            let attribute = if required {
                Attribute::required("role_arn", Type::String)
            } else {
                Attribute::optional("role_arn", Type::String)
            };
            attribute
                .describe(description)
                .validate(validate::string_matches(
                    "arn:[A-Za-z0-9_+=/,.@-]+:iam::[0-9]{12}:role/[A-Za-z0-9_+=/,.@-]+",
                    "a role ARN such as `arn:aws:iam::123456789012:role/deploy`",
                ))
        };
        let assume_role = Block::new(
            "A role to assume with the credentials found (static, environment or profile), \
             through STS's AssumeRole: every API call then signs with the role's temporary \
             credentials, renewed before they expire.",
        )
        .attribute(role_arn(true, ""))
        .attribute(session_name(""))
        .attribute(
            string(
                "external_id",
                "The external ID the role's trust policy asks for.",
            )
            .validate(validate::string_matches(
                "[A-Za-z0-9_+=,.@:/-]{2,1224}",
                "2 to 1224 letters, digits and the characters +=,.@:/_-",
            )),
        )
        .attribute(duration("assumed role's"))
        .attribute(policy.clone())
        .attribute(
            Attribute::optional("tags", Type::map(Type::String))
                .describe("Session tags (the role's trust policy must allow `sts:TagSession`).")
                .validate(validate::map_at_most(50)),
        );
        let web_identity = Block::new(
            "A role to assume with an OpenID Connect token (for example from a CI system or \
             Kubernetes), through STS's AssumeRoleWithWebIdentity; no other credentials are \
             needed. Set `web_identity_token` or `web_identity_token_file`.",
        )
        .attribute(role_arn(false, "Environment: `AWS_ROLE_ARN`."))
        .attribute(session_name("Environment: `AWS_ROLE_SESSION_NAME`. "))
        .attribute(
            string("web_identity_token", "The OpenID Connect token itself.")
                .sensitive()
                .validate(validate::string_length(4, 20000)),
        )
        .attribute(
            string(
                "web_identity_token_file",
                "The file holding the token, read again whenever the role's credentials are \
                 renewed. Environment: `AWS_WEB_IDENTITY_TOKEN_FILE`.",
            )
            .validate(validate::string_length(1, 4096)),
        )
        .attribute(duration("web identity"))
        .attribute(policy);
        Schema::new(
            Block::new(
                "The Lookout for Vision provider manages projects, datasets and models of Amazon \
                 Lookout for Vision, or of the `lookoutvision-emulator` that stands in for the \
                 service since AWS closed it on 2025-10-31.",
            )
            .attribute(string(
                    "region",
                    "The AWS region, e.g. `us-east-1`. Environment: `AWS_REGION`, then \
                     `AWS_DEFAULT_REGION`; then the profile's `region`.",
            ))
            .attribute(flag(
                "skip_region_validation",
                "Accept a region name that is not one of AWS's (for an emulator or an \
                 endpoint with region names of its own). Default: `false`.",
            ))
            .attribute(string(
                "profile",
                "The named profile in the shared configuration files, including profiles that \
                 sign in through IAM Identity Center (SSO) with the token `aws sso login` \
                 caches. Environment: `AWS_PROFILE`, then `AWS_DEFAULT_PROFILE`. Default: \
                 `default`.",
            ))
            .attribute(
                string(
                    "access_key",
                    "The access key ID for static credentials (with `secret_key`). Environment: `AWS_ACCESS_KEY_ID`.",
                )
                .validate(validate::string_length(1, 128)),
            )
            .attribute(
                string(
                    "secret_key",
                    "The secret access key for static credentials. Environment: `AWS_SECRET_ACCESS_KEY`.",
                )
                .sensitive()
                .validate(validate::string_length(1, 1024)),
            )
            .attribute(
                string(
                    "token",
                    "The session token for temporary static credentials. Environment: `AWS_SESSION_TOKEN`.",
                )
                .sensitive(),
            )
            .attribute(files(
                "shared_config_files",
                "Paths of shared configuration files. Environment: `AWS_CONFIG_FILE`. Default: `~/.aws/config`.",
            ))
            .attribute(files(
                "shared_credentials_files",
                "Paths of shared credentials files. Environment: `AWS_SHARED_CREDENTIALS_FILE`. Default: `~/.aws/credentials`.",
            ))
            .attribute(
                Attribute::optional("max_retries", Type::Number)
                    .describe(format!(
                        "How many times a throttled, failed or unanswered API request is retried. \
                         Environment: `AWS_MAX_ATTEMPTS` (which counts the first attempt too); \
                         then the profile's `max_attempts` (likewise). Default: \
                         `{DEFAULT_MAX_RETRIES}`."
                    ))
                    .validate(validate::int_between(0, 100)),
            )
            .attribute(
                string(
                    "retry_mode",
                    "`standard` or `adaptive` (standard plus client-side rate limiting). \
                     Environment: `AWS_RETRY_MODE`; then the profile's `retry_mode`. Default: \
                     `standard`.",
                )
                .validate(validate::one_of(&["standard", "adaptive"])),
            )
            .attribute(
                string(
                    "custom_ca_bundle",
                    "Path of a PEM file of CA certificates trusted, besides the system's, for \
                     HTTPS to every AWS endpoint the provider calls (for example an emulator \
                     behind TLS, or a proxy that inspects TLS). Environment: `AWS_CA_BUNDLE`.",
                )
                .validate(validate::string_length(1, 4096)),
            )
            .attribute(
                string(
                    "http_proxy",
                    "URL of the proxy for `http://` requests, e.g. `http://proxy:3128` \
                     (`http://user:password@proxy:3128` if it needs them). Environment: \
                     `HTTP_PROXY`, then `http_proxy`.",
                )
                .validate(validate::http_url()),
            )
            .attribute(
                string(
                    "https_proxy",
                    "URL of the proxy for `https://` requests, reached with CONNECT. \
                     Environment: `HTTPS_PROXY`, then `https_proxy`.",
                )
                .validate(validate::http_url()),
            )
            .attribute(
                string(
                    "no_proxy",
                    "Comma-separated hosts reached without a proxy: names (`localhost`), \
                     domains with their subdomains (`.example.com`), IP addresses or CIDR ranges \
                     (`10.0.0.0/8`), or `*`. Environment: `NO_PROXY`, then `no_proxy`.",
                )
                .validate(validate::string_length(1, 4096)),
            )
            .attribute(flag(
                "skip_credentials_validation",
                "Skip resolving credentials when the provider is configured; they are then \
                 resolved on the first API call. Default: `false`.",
            ))
            .attribute(flag(
                "skip_requesting_account_id",
                "Accepted for compatibility with AWS provider configurations. This provider never \
                 requests the account ID: every ARN it needs comes from the service.",
            ))
            .attribute(flag(
                "skip_metadata_api_check",
                "Leave the EC2 instance metadata service out of the credential chain. \
                 Environment: `AWS_EC2_METADATA_DISABLED`. Default: `false`.",
            ))
            .block(NestedBlock::single("assume_role", assume_role))
            .block(NestedBlock::single(
                "assume_role_with_web_identity",
                web_identity,
            ))
            .block(NestedBlock::single("endpoints", endpoints))
            .block(NestedBlock::single(
                "default_tags",
                Block::new("Tags added to every taggable resource (models) this provider manages.")
                    .attribute(
                        Attribute::optional("tags", Type::map(Type::String))
                            .describe("The tags. A resource's own `tags` win for the same key.")
                            .validate(validate::map_at_most(200)),
                    ),
            )),
        )
    }

    /// A region in the configuration must be an AWS region unless `skip_region_validation`
    /// says otherwise (one in the environment or a profile is checked when configuring).
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let skip = config.get("skip_region_validation");
        if skip.is_unknown() || skip.as_bool() == Some(true) {
            return;
        }
        if let Some(region) = config.get("region").as_str() {
            if !is_aws_region(region) {
                diags.push(
                    Diagnostic::error("Invalid value for region", region_rule(region))
                        .at(AttributePath::root("region")),
                );
            }
        }
    }

    async fn configure(&self, config: &Value) -> Result<Client, Diagnostics> {
        if !config.is_wholly_known() {
            return Err(Diagnostic::error(
                "Provider configuration depends on values not yet known",
                "The lookoutvision provider block uses values that are only known after apply. \
                 Use values known at plan time (variables, locals or literals), or apply the \
                 resources they come from first with -target.",
            )
            .into());
        }
        let settings = arguments(config)
            .resolve(|name| std::env::var(name).ok())
            .map_err(|invalid| Diagnostics::from(invalid_setting(&invalid)))?;
        let api_config = settings
            .build(USER_AGENT_APP)
            .await
            .map_err(|err| Diagnostics::from(client_error(&err)))?;
        tracing::debug!(
            endpoint = settings.endpoint.as_deref().unwrap_or("(default)"),
            "The provider is configured."
        );
        let default_tags = config.get("default_tags").get("tags").string_map();
        Ok(Client::new(api_config, default_tags))
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Client>>> {
        vec![
            Arc::new(resources::Project),
            Arc::new(resources::Dataset),
            Arc::new(resources::Model),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Client>>> {
        vec![
            Arc::new(data_sources::ProjectDataSource),
            Arc::new(data_sources::ProjectsDataSource),
            Arc::new(data_sources::DatasetDataSource),
            Arc::new(data_sources::ModelDataSource),
            Arc::new(data_sources::ModelsDataSource),
        ]
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource<Client>>> {
        vec![
            Arc::new(resources::ProjectList),
            Arc::new(resources::DatasetList),
            Arc::new(resources::ModelList),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_read_from_the_provider_block() {
        let config = Value::object([
            ("region", "eu-west-1".into()),
            ("access_key", "a".into()),
            ("secret_key", "s".into()),
            ("max_retries", 2i64.into()),
            ("shared_config_files", Value::List(vec!["/tmp/c".into()])),
            (
                "endpoints",
                Value::object([("lookoutvision", "http://127.0.0.1:1".into())]),
            ),
        ]);
        let args = arguments(&config);
        assert_eq!(args.region.as_deref(), Some("eu-west-1"));
        assert_eq!(args.max_retries, Some(2));
        assert_eq!(args.endpoint.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(args.shared_config_files, Some(vec!["/tmp/c".to_owned()]));
        assert_eq!(args.shared_credentials_files, None);
    }

    #[test]
    fn invalid_arguments_are_reported_with_their_path() {
        let config = Value::object([
            ("region", "US-EAST-1".into()),
            ("retry_mode", "legacy".into()),
            ("max_retries", Value::number(-1i64)),
            (
                "endpoints",
                Value::object([("lookoutvision", "localhost:4566".into())]),
            ),
        ]);
        let mut diags = Diagnostics::default();
        LookoutVisionProvider.schema().block.validate(
            &config,
            &AttributePath::default(),
            &mut diags,
        );
        LookoutVisionProvider.validate(&config, &mut diags);
        let mut paths: Vec<String> = diags
            .iter()
            .map(|d| d.path.as_ref().unwrap().to_string())
            .collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "endpoints.lookoutvision",
                "max_retries",
                "region",
                "retry_mode"
            ]
        );
    }

    #[test]
    fn any_region_passes_with_skip_region_validation() {
        let check = |config: Value| {
            let mut diags = Diagnostics::default();
            LookoutVisionProvider.validate(&config, &mut diags);
            diags.iter().map(|d| d.detail.clone()).collect::<Vec<_>>()
        };
        let errors = check(Value::object([("region", "emulator".into())]));
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].contains("skip_region_validation = true"),
            "{errors:?}"
        );
        assert!(check(Value::object([
            ("region", "emulator".into()),
            ("skip_region_validation", true.into()),
        ]))
        .is_empty());
        assert!(check(Value::object([("region", "eu-west-1".into())])).is_empty());
    }

    #[test]
    fn nested_arguments_are_read_and_pointed_at() {
        let config = Value::object([
            (
                "assume_role",
                Value::object([
                    ("role_arn", "arn:aws:iam::123456789012:role/r".into()),
                    ("duration", "1h".into()),
                    ("tags", Value::Map([("team".to_owned(), "v".into())].into())),
                ]),
            ),
            (
                "endpoints",
                Value::object([("sts", "http://127.0.0.1:2".into())]),
            ),
            ("http_proxy", "http://p:1".into()),
        ]);
        let args = arguments(&config);
        let role = args.assume_role.expect("the block is read");
        assert_eq!(
            role.role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/r")
        );
        assert_eq!(role.tags["team"], "v");
        assert_eq!(args.sts_endpoint.as_deref(), Some("http://127.0.0.1:2"));
        assert_eq!(args.http_proxy.as_deref(), Some("http://p:1"));
        assert!(args.assume_role_with_web_identity.is_none());
        assert_eq!(
            path_of("assume_role.duration").to_string(),
            "assume_role.duration"
        );
    }

    #[test]
    fn client_errors_name_what_to_fix_and_where() {
        use crate::aws::config::ProfileChoice;
        let profile = ProfileChoice {
            name: "staging".into(),
            env_var: Some("AWS_PROFILE"),
        };
        let unknown = client_error(&ClientError::UnknownProfile {
            profile: profile.clone(),
            files: "/home/u/.aws/config".into(),
            known: vec!["dev".into()],
        });
        assert_eq!(unknown.summary, "Profile \"staging\" not found");
        for part in [
            "AWS_PROFILE",
            "/home/u/.aws/config",
            "They hold: dev.",
            "aws configure --profile staging",
        ] {
            assert!(unknown.detail.contains(part), "{part}: {}", unknown.detail);
        }
        assert!(
            unknown.path.is_none(),
            "the environment, not the configuration, is at fault"
        );

        let bundle = client_error(&ClientError::Http(HttpSettingsError::UnreadableCaBundle {
            path: "/etc/missing.pem".into(),
            env_var: None,
            reason: "No such file or directory (os error 2)".into(),
        }));
        assert_eq!(
            bundle.path.as_ref().map(ToString::to_string).as_deref(),
            Some("custom_ca_bundle")
        );
        assert!(
            bundle.detail.contains("/etc/missing.pem"),
            "{}",
            bundle.detail
        );
        assert!(bundle.detail.contains("PEM file"), "{}", bundle.detail);

        let sso = client_error(&ClientError::SsoSignIn {
            profile: "sso".into(),
            cache_file: "/home/u/.aws/sso/cache/abc.json".into(),
            state: SsoTokenState::Expired("2020-01-01T00:00:00Z".into()),
            source: aws_credential_types::provider::error::CredentialsError::not_loaded("expired"),
        });
        for part in [
            "expired at 2020-01-01T00:00:00Z",
            "aws sso login --profile sso",
            "abc.json",
        ] {
            assert!(sso.detail.contains(part), "{part}: {}", sso.detail);
        }

        let role = client_error(&ClientError::Role(RoleError {
            block: "assume_role",
            role_arn: "arn:aws:iam::123456789012:role/deploy".into(),
            failure: RoleFailure::Refused {
                code: Some("AccessDenied".into()),
                message: Some("no".into()),
                request_id: None,
            },
        }));
        assert_eq!(
            role.path.as_ref().map(ToString::to_string).as_deref(),
            Some("assume_role.role_arn")
        );
        assert!(role.detail.contains("trust policy"), "{}", role.detail);
    }
}
