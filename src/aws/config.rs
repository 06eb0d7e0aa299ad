//! Client configuration: provider arguments, their environment fallbacks, the shared config
//! files, and the SDK client they make.
//!
//! Precedence follows the AWS provider: an argument in the provider block wins, then the
//! environment variable, then the selected profile of the shared files, then the default.
//! Credentials come from the static arguments, else the chain (environment, profile, web
//! identity, container, instance metadata); `assume_role_with_web_identity` and `assume_role`
//! then exchange them with STS for a role's.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::profile::{Profile, ProfileSet};
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::os_shim_internal::{Env, Fs};

use super::budget;
use super::error::error_chain;
use super::http::{redact_url, HttpSettings, HttpSettingsError, Sourced};
use super::role::{
    find_role_error, AssumeRole, RoleError, RoleProvider, RoleRequest, WebIdentity,
    WebIdentityToken, DURATION_RANGE,
};
use crate::framework::timeouts::{format_duration, parse_duration};

/// `assume_role { ... }` as configured.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssumeRoleArguments {
    /// `role_arn`.
    pub role_arn: Option<String>,
    /// `session_name`.
    pub session_name: Option<String>,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `duration`, a Go duration such as `1h`.
    pub duration: Option<String>,
    /// `policy`.
    pub policy: Option<String>,
    /// `tags`.
    pub tags: BTreeMap<String, String>,
}

/// `assume_role_with_web_identity { ... }` as configured.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct WebIdentityArguments {
    /// `role_arn` (else `AWS_ROLE_ARN`).
    pub role_arn: Option<String>,
    /// `session_name` (else `AWS_ROLE_SESSION_NAME`).
    pub session_name: Option<String>,
    /// `web_identity_token` (sensitive).
    pub web_identity_token: Option<String>,
    /// `web_identity_token_file` (else `AWS_WEB_IDENTITY_TOKEN_FILE`).
    pub web_identity_token_file: Option<String>,
    /// `duration`.
    pub duration: Option<String>,
    /// `policy`.
    pub policy: Option<String>,
}

impl std::fmt::Debug for WebIdentityArguments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebIdentityArguments")
            .field("role_arn", &self.role_arn)
            .field("web_identity_token_set", &self.web_identity_token.is_some())
            .field("web_identity_token_file", &self.web_identity_token_file)
            .finish_non_exhaustive()
    }
}

/// The arguments of the provider block that concern the AWS client, as configured (unset is
/// `None`; environment fallbacks are applied by [`ClientArguments::resolve`]).
#[derive(Clone, Default)]
pub struct ClientArguments {
    /// `region`.
    pub region: Option<String>,
    /// `profile`.
    pub profile: Option<String>,
    /// `access_key`.
    pub access_key: Option<String>,
    /// `secret_key` (sensitive).
    pub secret_key: Option<String>,
    /// `token` (sensitive).
    pub token: Option<String>,
    /// `shared_config_files`.
    pub shared_config_files: Option<Vec<String>>,
    /// `shared_credentials_files`.
    pub shared_credentials_files: Option<Vec<String>>,
    /// `endpoints { lookoutvision = ... }`.
    pub endpoint: Option<String>,
    /// `endpoints { sts = ... }`.
    pub sts_endpoint: Option<String>,
    /// `max_retries`.
    pub max_retries: Option<i64>,
    /// `retry_mode`.
    pub retry_mode: Option<String>,
    /// `skip_credentials_validation`.
    pub skip_credentials_validation: Option<bool>,
    /// `skip_metadata_api_check`.
    pub skip_metadata_api_check: Option<bool>,
    /// `skip_region_validation`.
    pub skip_region_validation: Option<bool>,
    /// `custom_ca_bundle`.
    pub custom_ca_bundle: Option<String>,
    /// `http_proxy`.
    pub http_proxy: Option<String>,
    /// `https_proxy`.
    pub https_proxy: Option<String>,
    /// `no_proxy`.
    pub no_proxy: Option<String>,
    /// `assume_role { ... }`.
    pub assume_role: Option<AssumeRoleArguments>,
    /// `assume_role_with_web_identity { ... }`.
    pub assume_role_with_web_identity: Option<WebIdentityArguments>,
}

// Secrets must never reach a log line, so Debug shows only whether they are set, and proxy
// URLs without their passwords.
impl std::fmt::Debug for ClientArguments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientArguments")
            .field("region", &self.region)
            .field("profile", &self.profile)
            .field("access_key_set", &self.access_key.is_some())
            .field("secret_key_set", &self.secret_key.is_some())
            .field("token_set", &self.token.is_some())
            .field("endpoint", &self.endpoint)
            .field("max_retries", &self.max_retries)
            .field("retry_mode", &self.retry_mode)
            .field("http_proxy", &self.http_proxy.as_deref().map(redact_url))
            .field("https_proxy", &self.https_proxy.as_deref().map(redact_url))
            .field("assume_role", &self.assume_role)
            .field(
                "assume_role_with_web_identity",
                &self.assume_role_with_web_identity,
            )
            .finish_non_exhaustive()
    }
}

/// How the SDK retries throttling, server errors and I/O errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryMode {
    /// Exponential backoff with jitter.
    Standard,
    /// Standard, plus client-side rate limiting after throttling.
    Adaptive,
}

/// The AWS provider's default: retries are cheap next to a failed apply.
pub const DEFAULT_MAX_RETRIES: u32 = 25;

/// The profile in effect and what chose it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileChoice {
    /// The profile's name.
    pub name: String,
    /// `None` for the `profile` argument, else the environment variable that named it.
    pub env_var: Option<&'static str>,
}

/// Settings after environment fallbacks, ready to build a client.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    arguments: ClientArguments,
    /// The region, if one was given explicitly or through the environment.
    pub region: Option<String>,
    /// The profile named by the `profile` argument, `AWS_PROFILE` or `AWS_DEFAULT_PROFILE`.
    pub profile: Option<ProfileChoice>,
    /// The Lookout for Vision endpoint override, if any.
    pub endpoint: Option<String>,
    /// The STS endpoint override, if any.
    pub sts_endpoint: Option<String>,
    /// Retries set by `max_retries` or `AWS_MAX_ATTEMPTS`; else the profile's or the default.
    pub max_retries: Option<u32>,
    /// The retry mode set by `retry_mode` or `AWS_RETRY_MODE`; else the profile's or standard.
    pub retry_mode: Option<RetryMode>,
    /// Whether configuration skips resolving credentials up front.
    pub skip_credentials_validation: bool,
    /// Whether the instance metadata service is left out of the credential chain.
    pub skip_metadata_api_check: bool,
    /// Whether any region name is accepted.
    pub skip_region_validation: bool,
    /// The CA bundle and proxies.
    pub http: HttpSettings,
    /// The role to assume with the credentials found, if any.
    pub assume_role: Option<AssumeRole>,
    /// The role to assume with a web identity token, if any.
    pub web_identity: Option<WebIdentity>,
    config_files: Vec<PathBuf>,
    credentials_files: Vec<PathBuf>,
}

/// A provider argument (or its environment variable) holds a value the client cannot use.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct InvalidSetting {
    /// The provider argument concerned, as a path (`assume_role.duration`).
    pub argument: &'static str,
    /// The environment variable the value came from, when it did.
    pub env_var: Option<&'static str>,
    /// What is wrong and what is accepted.
    pub message: String,
}

/// The environment, read through a lookup function (the process environment, or a map in tests).
struct Environment<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Environment<'_> {
    /// The value of the first of `names` that is set and not empty, with the name it came from.
    fn first(&self, names: &[&'static str]) -> Option<(String, &'static str)> {
        names.iter().find_map(|name| {
            (self.0)(name)
                .filter(|value| !value.is_empty())
                .map(|value| (value, *name))
        })
    }

    /// The value of the first of `names` that is set and not empty.
    fn value(&self, names: &[&'static str]) -> Option<String> {
        self.first(names).map(|(value, _)| value)
    }

    /// `argument`, else the first of the variables `names`, with where it came from.
    fn sourced(
        &self,
        argument: &Option<String>,
        names: &[&'static str],
    ) -> Option<Sourced<String>> {
        match argument {
            Some(value) => Some(Sourced {
                value: value.clone(),
                env_var: None,
            }),
            None => self.first(names).map(|(value, var)| Sourced {
                value,
                env_var: Some(var),
            }),
        }
    }
}

/// Whether `region` looks like a region of one of AWS's partitions (the same patterns the
/// SDKs' endpoint rules use), e.g. `us-east-1`, `cn-north-1`, `us-gov-west-1`.
pub fn is_aws_region(region: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    PATTERN
        .get_or_init(|| {
            regex::Regex::new(
                "^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|eu-isoe|us-isof|eusc-de)-[a-z]+-[0-9]+$",
            )
            .expect("a valid pattern")
        })
        .is_match(region)
}

/// What a region that is not an AWS region is told, with the way out.
pub fn region_rule(region: &str) -> String {
    format!(
        "region must be an AWS region name such as `us-east-1`; got {region:?}. For an emulator \
         or an endpoint with region names of its own, set `skip_region_validation = true`."
    )
}

impl ClientArguments {
    /// Applies the environment fallbacks, reading variables through `env`.
    pub fn resolve(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ClientSettings, InvalidSetting> {
        let env = Environment(&env);
        let max_retries = self.max_retries(&env)?;
        let retry_mode = self.retry_mode(&env)?;
        self.check_static_credentials()?;
        let skip_region_validation = self.skip_region_validation.unwrap_or(false);
        let region = env.sourced(&self.region, &["AWS_REGION", "AWS_DEFAULT_REGION"]);
        if let Some(Sourced { value, env_var }) = &region {
            if !skip_region_validation && !is_aws_region(value) {
                return Err(InvalidSetting {
                    argument: "region",
                    env_var: *env_var,
                    message: region_rule(value),
                });
            }
        }
        let profile = env
            .sourced(&self.profile, &["AWS_PROFILE", "AWS_DEFAULT_PROFILE"])
            .map(|Sourced { value, env_var }| ProfileChoice {
                name: value,
                env_var,
            });
        Ok(ClientSettings {
            arguments: self.clone(),
            region: region.map(|r| r.value),
            profile,
            endpoint: or_env(
                &self.endpoint,
                &env,
                &["AWS_ENDPOINT_URL_LOOKOUTVISION", "AWS_ENDPOINT_URL"],
            ),
            sts_endpoint: or_env(&self.sts_endpoint, &env, &["AWS_ENDPOINT_URL_STS"]),
            max_retries,
            retry_mode,
            skip_credentials_validation: self.skip_credentials_validation.unwrap_or(false),
            skip_metadata_api_check: self.skip_metadata_api_check(&env),
            skip_region_validation,
            http: HttpSettings {
                ca_bundle: env
                    .sourced(&self.custom_ca_bundle, &["AWS_CA_BUNDLE"])
                    .map(|s| Sourced {
                        value: PathBuf::from(s.value),
                        env_var: s.env_var,
                    }),
                http_proxy: env.sourced(&self.http_proxy, &["HTTP_PROXY", "http_proxy"]),
                https_proxy: env.sourced(&self.https_proxy, &["HTTPS_PROXY", "https_proxy"]),
                no_proxy: env.sourced(&self.no_proxy, &["NO_PROXY", "no_proxy"]),
            },
            assume_role: self.assume_role()?,
            web_identity: self.web_identity(&env)?,
            config_files: files(&self.shared_config_files, &env, "AWS_CONFIG_FILE"),
            credentials_files: files(
                &self.shared_credentials_files,
                &env,
                "AWS_SHARED_CREDENTIALS_FILE",
            ),
        })
    }

    /// `max_retries`, else AWS_MAX_ATTEMPTS (which counts the first attempt too); `None` leaves
    /// the choice to the profile.
    fn max_retries(&self, env: &Environment<'_>) -> Result<Option<u32>, InvalidSetting> {
        match (self.max_retries, env.first(&["AWS_MAX_ATTEMPTS"])) {
            (Some(n), _) => u32::try_from(n).map(Some).map_err(|_| InvalidSetting {
                argument: "max_retries",
                env_var: None,
                message: format!("max_retries must be a whole number of at least 0; got {n}."),
            }),
            (None, Some((attempts, var))) => {
                parse_attempts(&attempts)
                    .map(Some)
                    .ok_or_else(|| InvalidSetting {
                        argument: "max_retries",
                        env_var: Some(var),
                        message: format!(
                            "{var} must be a whole number of at least 1; got {attempts:?}."
                        ),
                    })
            }
            (None, None) => Ok(None),
        }
    }

    /// `retry_mode`, else AWS_RETRY_MODE; `None` leaves the choice to the profile.
    fn retry_mode(&self, env: &Environment<'_>) -> Result<Option<RetryMode>, InvalidSetting> {
        let Some(Sourced { value, env_var }) = env.sourced(&self.retry_mode, &["AWS_RETRY_MODE"])
        else {
            return Ok(None);
        };
        parse_retry_mode(&value)
            .map(Some)
            .ok_or_else(|| InvalidSetting {
                argument: "retry_mode",
                env_var,
                message: format!(
                    "{} must be `standard` or `adaptive`; got {value:?}.",
                    env_var.unwrap_or("retry_mode")
                ),
            })
    }

    /// `skip_metadata_api_check`, else whether AWS_EC2_METADATA_DISABLED is `true`.
    fn skip_metadata_api_check(&self, env: &Environment<'_>) -> bool {
        self.skip_metadata_api_check.unwrap_or_else(|| {
            env.value(&["AWS_EC2_METADATA_DISABLED"])
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        })
    }

    /// Static credentials come whole: an access key with its secret key, and a session token
    /// only with both.
    fn check_static_credentials(&self) -> Result<(), InvalidSetting> {
        match (&self.access_key, &self.secret_key) {
            (Some(_), None) => return Err(missing_pair("secret_key", "access_key")),
            (None, Some(_)) => return Err(missing_pair("access_key", "secret_key")),
            _ => {}
        }
        if self.token.is_some() && self.access_key.is_none() {
            return Err(missing_pair("access_key", "token"));
        }
        Ok(())
    }

    fn assume_role(&self) -> Result<Option<AssumeRole>, InvalidSetting> {
        let Some(block) = &self.assume_role else {
            return Ok(None);
        };
        let role_arn = block.role_arn.clone().ok_or_else(|| InvalidSetting {
            argument: "assume_role.role_arn",
            env_var: None,
            message: "assume_role needs role_arn: the ARN of the role to assume.".to_owned(),
        })?;
        Ok(Some(AssumeRole {
            role_arn,
            session_name: block.session_name.clone(),
            external_id: block.external_id.clone(),
            duration: session_duration(&block.duration, "assume_role.duration")?,
            policy: block.policy.clone(),
            tags: block.tags.clone(),
        }))
    }

    fn web_identity(&self, env: &Environment<'_>) -> Result<Option<WebIdentity>, InvalidSetting> {
        let Some(block) = &self.assume_role_with_web_identity else {
            return Ok(None);
        };
        let role_arn = env
            .sourced(&block.role_arn, &["AWS_ROLE_ARN"])
            .ok_or_else(|| InvalidSetting {
                argument: "assume_role_with_web_identity.role_arn",
                env_var: None,
                message: "assume_role_with_web_identity needs role_arn (or AWS_ROLE_ARN): the ARN \
                          of the role to assume."
                    .to_owned(),
            })?
            .value;
        let token = match (&block.web_identity_token, &block.web_identity_token_file) {
            (Some(_), Some(_)) => {
                return Err(InvalidSetting {
                    argument: "assume_role_with_web_identity.web_identity_token",
                    env_var: None,
                    message: "set web_identity_token or web_identity_token_file, not both."
                        .to_owned(),
                })
            }
            (Some(token), None) => WebIdentityToken::Inline(token.clone()),
            (None, file) => WebIdentityToken::File(PathBuf::from(
                env.sourced(file, &["AWS_WEB_IDENTITY_TOKEN_FILE"])
                    .ok_or_else(|| InvalidSetting {
                        argument: "assume_role_with_web_identity.web_identity_token_file",
                        env_var: None,
                        message: "assume_role_with_web_identity needs web_identity_token, or \
                                  web_identity_token_file (or AWS_WEB_IDENTITY_TOKEN_FILE) \
                                  naming the file that holds the token."
                            .to_owned(),
                    })?
                    .value,
            )),
        };
        Ok(Some(WebIdentity {
            role_arn,
            session_name: env
                .sourced(&block.session_name, &["AWS_ROLE_SESSION_NAME"])
                .map(|s| s.value),
            token,
            duration: session_duration(&block.duration, "assume_role_with_web_identity.duration")?,
            policy: block.policy.clone(),
        }))
    }
}

/// A session `duration` (Go syntax), within what STS grants.
fn session_duration(
    value: &Option<String>,
    argument: &'static str,
) -> Result<Option<Duration>, InvalidSetting> {
    let Some(text) = value else {
        return Ok(None);
    };
    let (min, max) = DURATION_RANGE;
    match parse_duration(text) {
        Ok(duration) if (min..=max).contains(&duration) => Ok(Some(duration)),
        _ => Err(InvalidSetting {
            argument,
            env_var: None,
            message: format!(
                "{argument} must be a duration from {} to {} such as \"1h\" or \"45m\"; got {text:?}.",
                format_duration(min),
                format_duration(max)
            ),
        }),
    }
}

/// `AWS_MAX_ATTEMPTS` or a profile's `max_attempts` (which count the first attempt) as retries.
fn parse_attempts(text: &str) -> Option<u32> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|a| *a >= 1)
        .map(|a| a - 1)
}

fn parse_retry_mode(text: &str) -> Option<RetryMode> {
    match text.trim() {
        "standard" => Some(RetryMode::Standard),
        "adaptive" => Some(RetryMode::Adaptive),
        _ => None,
    }
}

/// `argument`, else the first of the environment variables `names` that is set.
fn or_env(
    argument: &Option<String>,
    env: &Environment<'_>,
    names: &[&'static str],
) -> Option<String> {
    argument.clone().or_else(|| env.value(names))
}

/// Shared files: the `argument`'s paths, else the one in environment variable `var`, else none
/// (aws-config then uses its default files).
fn files(argument: &Option<Vec<String>>, env: &Environment<'_>, var: &'static str) -> Vec<PathBuf> {
    match argument {
        Some(paths) => paths.iter().map(PathBuf::from).collect(),
        None => env.value(&[var]).map(PathBuf::from).into_iter().collect(),
    }
}

fn missing_pair(missing: &'static str, given: &str) -> InvalidSetting {
    InvalidSetting {
        argument: missing,
        env_var: None,
        message: format!(
            "{given} is set but {missing} is not: static credentials need both access_key and secret_key."
        ),
    }
}

/// What the token cache of an IAM Identity Center profile holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SsoTokenState {
    /// No cached token: the user never signed in (or signed out).
    Missing,
    /// The token expired at this time (RFC 3339).
    Expired(String),
    /// A token that has not expired; the sign-in failed for another reason.
    Current,
    /// The cache file exists but cannot be read as a token.
    Unreadable(String),
}

/// The client could not be built. Every variant names the setting, file or profile concerned;
/// none holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No region anywhere.
    #[error("no AWS region is configured: set `region` in the provider block, or AWS_REGION")]
    NoRegion,
    /// The CA bundle or a proxy setting is unusable.
    #[error(transparent)]
    Http(#[from] HttpSettingsError),
    /// A shared config or credentials file cannot be parsed.
    #[error("cannot read the shared config files ({files}): {reason}")]
    SharedFiles {
        /// The files read.
        files: String,
        /// The parser's words.
        reason: String,
    },
    /// The selected profile is in none of the shared files.
    #[error("the profile {:?} is not in the shared files ({files})", profile.name)]
    UnknownProfile {
        /// The profile and what named it.
        profile: ProfileChoice,
        /// The files read.
        files: String,
        /// The profiles they do hold.
        known: Vec<String>,
    },
    /// A setting of the selected profile is unusable.
    #[error("the profile {profile:?} sets {key} = {value:?}, but {rule}")]
    ProfileSetting {
        /// The profile.
        profile: String,
        /// The setting, e.g. `max_attempts`.
        key: &'static str,
        /// Its value.
        value: String,
        /// What is accepted.
        rule: String,
        /// The files read.
        files: String,
    },
    /// The selected profile holds no way to get credentials, and nothing else gave any.
    #[error("the profile {:?} has no credentials", profile.name)]
    ProfileWithoutCredentials {
        /// The profile.
        profile: ProfileChoice,
        /// The files read.
        files: String,
        /// What the SDK reported.
        source: CredentialsError,
    },
    /// An IAM Identity Center profile could not sign in with its cached token.
    #[error("the profile {profile:?} could not sign in through IAM Identity Center")]
    SsoSignIn {
        /// The profile.
        profile: String,
        /// The token cache file.
        cache_file: PathBuf,
        /// What it holds.
        state: SsoTokenState,
        /// What the SDK reported.
        source: CredentialsError,
    },
    /// STS gave no credentials for a role.
    #[error(transparent)]
    Role(RoleError),
    /// The credential chain found nothing usable.
    #[error("no valid credential sources found")]
    NoCredentials(#[source] CredentialsError),
}

/// The shared files, parsed once: for the profile's retry settings and for diagnosing
/// credential failures.
struct SharedProfiles {
    set: ProfileSet,
    /// The profile in effect ("default" unless one was named).
    selected: String,
    /// The files read, for messages.
    files: String,
}

impl SharedProfiles {
    fn profile(&self) -> Option<&Profile> {
        self.set.get_profile(&self.selected)
    }

    fn setting(&self, key: &str) -> Option<&str> {
        self.profile().and_then(|p| p.get(key))
    }

    fn invalid(&self, key: &'static str, value: &str, rule: String) -> ClientError {
        ClientError::ProfileSetting {
            profile: self.selected.clone(),
            key,
            value: value.to_owned(),
            rule,
            files: self.files.clone(),
        }
    }
}

/// The keys through which a profile gets credentials; a profile with none of them has none.
const CREDENTIAL_KEYS: &[&str] = &[
    "aws_access_key_id",
    "role_arn",
    "credential_process",
    "credential_source",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "sso_account_id",
    "login_session",
];

/// The home directory the AWS tools use (`~` in the shared files' default paths).
fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// Where `aws sso login` caches the token for a session name (or, for the older profile form,
/// a start URL): `~/.aws/sso/cache/SHA1HEX.json`, as aws-config reads it.
pub fn sso_cache_file(home: &std::path::Path, identifier: &str) -> PathBuf {
    use sha1::Digest as _;
    let digest = sha1::Sha1::digest(identifier.as_bytes());
    home.join(".aws/sso/cache")
        .join(format!("{}.json", hex_lower(&digest)))
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the token cache file holds, read without keeping the token.
pub fn sso_token_state(cache_file: &std::path::Path, now: SystemTime) -> SsoTokenState {
    let text = match std::fs::read_to_string(cache_file) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return SsoTokenState::Missing,
        Err(err) => return SsoTokenState::Unreadable(err.to_string()),
    };
    let expires_at = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|json| json.get("expiresAt")?.as_str().map(str::to_owned));
    let Some(expires_at) = expires_at else {
        return SsoTokenState::Unreadable("it has no `expiresAt`".to_owned());
    };
    match time::OffsetDateTime::parse(&expires_at, &time::format_description::well_known::Rfc3339) {
        Ok(at) if SystemTime::from(at) <= now => SsoTokenState::Expired(expires_at),
        Ok(_) => SsoTokenState::Current,
        Err(err) => SsoTokenState::Unreadable(format!("its expiresAt is not a time: {err}")),
    }
}

/// How the SDK retries, after the profile's settings are known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retries {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Standard or adaptive.
    pub mode: RetryMode,
}

impl Retries {
    /// The SDK's retry configuration: `max_retries` after the first attempt, backing off at
    /// most 20 s.
    pub fn config(&self) -> RetryConfig {
        match self.mode {
            RetryMode::Standard => RetryConfig::standard(),
            RetryMode::Adaptive => RetryConfig::adaptive(),
        }
        .with_max_attempts(self.max_retries.saturating_add(1))
        .with_max_backoff(Duration::from_secs(20))
    }
}

impl ClientSettings {
    fn profile_files(&self) -> Option<ProfileFiles> {
        if self.config_files.is_empty() && self.credentials_files.is_empty() {
            return None;
        }
        let mut builder = ProfileFiles::builder()
            .include_default_config_file(self.config_files.is_empty())
            .include_default_credentials_file(self.credentials_files.is_empty());
        for path in &self.config_files {
            builder = builder.with_file(ProfileFileKind::Config, path);
        }
        for path in &self.credentials_files {
            builder = builder.with_file(ProfileFileKind::Credentials, path);
        }
        Some(builder.build())
    }

    /// The shared files read, for messages: the configured ones, else the defaults.
    fn files_shown(&self) -> String {
        let home = home().map(|h| h.display().to_string());
        let default = |name: &str| match &home {
            Some(home) => format!("{home}/.aws/{name}"),
            None => format!("~/.aws/{name}"),
        };
        let config: Vec<String> = if self.config_files.is_empty() {
            vec![default("config")]
        } else {
            self.config_files
                .iter()
                .map(|p| p.display().to_string())
                .collect()
        };
        let credentials: Vec<String> = if self.credentials_files.is_empty() {
            vec![default("credentials")]
        } else {
            self.credentials_files
                .iter()
                .map(|p| p.display().to_string())
                .collect()
        };
        config
            .into_iter()
            .chain(credentials)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Parses the shared files; a profile named explicitly must be in them.
    async fn load_profiles(&self) -> Result<SharedProfiles, ClientError> {
        let files = self.files_shown();
        let selected = self
            .profile
            .as_ref()
            .map_or_else(|| "default".to_owned(), |p| p.name.clone());
        let set = aws_config::profile::load(
            &Fs::real(),
            &Env::real(),
            &self.profile_files().unwrap_or_default(),
            Some(selected.clone().into()),
        )
        .await
        .map_err(|err| ClientError::SharedFiles {
            files: files.clone(),
            reason: error_chain(&err),
        })?;
        if let Some(choice) = &self.profile {
            if set.get_profile(&choice.name).is_none() {
                let mut known: Vec<String> = set.profiles().map(str::to_owned).collect();
                known.sort();
                return Err(ClientError::UnknownProfile {
                    profile: choice.clone(),
                    files,
                    known,
                });
            }
        }
        Ok(SharedProfiles {
            set,
            selected,
            files,
        })
    }

    /// Retries: the provider block or environment, else the profile's `max_attempts` and
    /// `retry_mode`, else the defaults.
    fn retries(&self, profiles: &SharedProfiles) -> Result<Retries, ClientError> {
        let max_retries = match self.max_retries {
            Some(n) => n,
            None => match profiles.setting("max_attempts") {
                Some(text) => parse_attempts(text).ok_or_else(|| {
                    profiles.invalid(
                        "max_attempts",
                        text,
                        "max_attempts must be a whole number of at least 1 (it counts the first attempt)".to_owned(),
                    )
                })?,
                None => DEFAULT_MAX_RETRIES,
            },
        };
        let mode = match self.retry_mode {
            Some(mode) => mode,
            None => match profiles.setting("retry_mode") {
                Some(text) => parse_retry_mode(text).ok_or_else(|| {
                    profiles.invalid(
                        "retry_mode",
                        text,
                        "retry_mode must be `standard` or `adaptive`".to_owned(),
                    )
                })?,
                None => RetryMode::Standard,
            },
        };
        Ok(Retries { max_retries, mode })
    }

    /// The credential chain in the AWS provider's order: static arguments; else environment,
    /// shared files, web identity, container, and instance metadata (unless skipped); every
    /// source on the provider's HTTP client.
    fn chain(&self, provider_config: &ProviderConfig) -> SharedCredentialsProvider {
        use aws_config::{ecs, environment, imds, profile, web_identity_token};
        if let (Some(access_key), Some(secret_key)) =
            (&self.arguments.access_key, &self.arguments.secret_key)
        {
            return SharedCredentialsProvider::new(Credentials::new(
                access_key,
                secret_key,
                self.arguments.token.clone(),
                None,
                "provider-arguments",
            ));
        }
        let mut files =
            profile::ProfileFileCredentialsProvider::builder().configure(provider_config);
        if let Some(choice) = &self.profile {
            files = files.profile_name(&choice.name);
        }
        if let Some(profile_files) = self.profile_files() {
            files = files.profile_files(profile_files);
        }
        let chain = CredentialsProviderChain::first_try(
            "Environment",
            environment::EnvironmentVariableCredentialsProvider::new(),
        )
        .or_else("Profile", files.build())
        .or_else(
            "WebIdentityToken",
            web_identity_token::WebIdentityTokenCredentialsProvider::builder()
                .configure(provider_config)
                .build(),
        )
        .or_else(
            "EcsContainer",
            ecs::EcsCredentialsProvider::builder()
                .configure(provider_config)
                .build(),
        );
        SharedCredentialsProvider::new(if self.skip_metadata_api_check {
            chain
        } else {
            chain.or_else(
                "Ec2InstanceMetadata",
                imds::credentials::ImdsCredentialsProvider::builder()
                    .configure(provider_config)
                    .build(),
            )
        })
    }

    /// An STS client on the provider's HTTP client and region, signing with `source` (none
    /// for AssumeRoleWithWebIdentity), at `endpoints.sts` when set. Credential calls retry
    /// as the SDKs' credential providers do (three attempts), not `max_retries` times.
    fn sts(
        &self,
        shared: &SdkConfig,
        source: Option<SharedCredentialsProvider>,
    ) -> aws_sdk_sts::Client {
        let mut config =
            aws_sdk_sts::config::Builder::from(shared).retry_config(RetryConfig::standard());
        config.set_credentials_provider(source);
        if let Some(endpoint) = &self.sts_endpoint {
            config = config.endpoint_url(endpoint);
        }
        aws_sdk_sts::Client::from_conf(config.build())
    }

    /// The credentials every API call signs with: the chain's, or a role's.
    fn credentials(&self, shared: &SdkConfig, http: SharedHttpClient) -> SharedCredentialsProvider {
        let provider_config = ProviderConfig::default()
            .with_http_client(http)
            .with_region(shared.region().cloned());
        let mut credentials = match &self.web_identity {
            Some(role) => SharedCredentialsProvider::new(RoleProvider::new(
                RoleRequest::WebIdentity(role.clone()),
                self.sts(shared, None),
            )),
            None => self.chain(&provider_config),
        };
        if let Some(role) = &self.assume_role {
            credentials = SharedCredentialsProvider::new(RoleProvider::new(
                RoleRequest::AssumeRole(role.clone()),
                self.sts(shared, Some(credentials)),
            ));
        }
        credentials
    }

    /// Turns a failed credential resolution into what the user must fix: the role STS
    /// refused, the Identity Center sign-in to renew, or the profile without credentials.
    fn diagnose(&self, err: CredentialsError, profiles: &SharedProfiles) -> ClientError {
        if let Some(role) = find_role_error(&err) {
            return ClientError::Role(role.clone());
        }
        let Some(profile) = profiles.profile() else {
            return ClientError::NoCredentials(err);
        };
        // The token cache is named after the session (or, in the older form, the start URL).
        let sso = profile
            .get("sso_session")
            .or_else(|| profile.get("sso_start_url"));
        if let (Some(identifier), Some(home)) = (sso, home()) {
            let cache_file = sso_cache_file(&home, identifier);
            return ClientError::SsoSignIn {
                profile: profiles.selected.clone(),
                state: sso_token_state(&cache_file, SystemTime::now()),
                cache_file,
                source: err,
            };
        }
        match &self.profile {
            Some(choice) if !CREDENTIAL_KEYS.iter().any(|key| profile.get(key).is_some()) => {
                ClientError::ProfileWithoutCredentials {
                    profile: choice.clone(),
                    files: profiles.files.clone(),
                    source: err,
                }
            }
            _ => ClientError::NoCredentials(err),
        }
    }

    /// Builds the Lookout for Vision client configuration, naming the caller as `app` in every
    /// request's User-Agent (e.g. `terraform-provider-lookoutvision_0.1.0`; invalid names are
    /// left out). Unless credential validation is skipped, the credentials are resolved once
    /// here (a role assumed) so that a missing credential fails at plan time.
    pub async fn build(&self, app: &str) -> Result<aws_sdk_lookoutvision::Config, ClientError> {
        let profiles = self.load_profiles().await?;
        let retries = self.retries(&profiles)?;
        let http = self.http.client()?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http.clone())
            .retry_config(retries.config())
            .no_credentials();
        if let Ok(app) = aws_config::AppName::new(app.to_owned()) {
            loader = loader.app_name(app);
        }
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(&profile.name);
        }
        if let Some(files) = self.profile_files() {
            loader = loader.profile_files(files);
        }
        let shared = loader.load().await;
        let Some(region) = shared.region() else {
            return Err(ClientError::NoRegion);
        };
        // A region from the arguments or the environment was checked when they were resolved.
        if self.region.is_none() && !self.skip_region_validation && !is_aws_region(region.as_ref())
        {
            return Err(profiles.invalid("region", region.as_ref(), region_rule(region.as_ref())));
        }
        let credentials = self.credentials(&shared, http);
        if !self.skip_credentials_validation {
            credentials
                .provide_credentials()
                .await
                .map_err(|err| self.diagnose(err, &profiles))?;
        }
        tracing::debug!(
            region = %region,
            profile = profiles.selected.as_str(),
            max_retries = retries.max_retries,
            retry_mode = ?retries.mode,
            assume_role = self.assume_role.as_ref().map(|r| r.role_arn.as_str()),
            web_identity_role = self.web_identity.as_ref().map(|r| r.role_arn.as_str()),
            ca_bundle = self.http.ca_bundle.as_ref().map(|b| b.value.display().to_string()),
            http_proxy = self.http.http_proxy.as_ref().map(|p| redact_url(&p.value)),
            https_proxy = self.http.https_proxy.as_ref().map(|p| redact_url(&p.value)),
            "The AWS client is configured."
        );
        let mut config = aws_sdk_lookoutvision::config::Builder::from(&shared)
            .credentials_provider(credentials)
            .timeout_config(budget::timeouts())
            .interceptor(budget::UnansweredBudget::new(budget::UNANSWERED_BUDGET));
        if let Some(endpoint) = &self.endpoint {
            config = config.endpoint_url(endpoint);
        }
        Ok(config.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn arguments_win_over_environment() {
        let args = ClientArguments {
            region: Some("eu-west-1".into()),
            endpoint: Some("http://127.0.0.1:1".into()),
            sts_endpoint: Some("http://127.0.0.1:3".into()),
            profile: Some("ci".into()),
            http_proxy: Some("http://arg:1".into()),
            ..Default::default()
        };
        let settings = args
            .resolve(env(&[
                ("AWS_REGION", "us-east-1"),
                ("AWS_ENDPOINT_URL_LOOKOUTVISION", "http://127.0.0.1:2"),
                ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:4"),
                ("AWS_PROFILE", "other"),
                ("HTTP_PROXY", "http://env:1"),
            ]))
            .unwrap();
        assert_eq!(settings.region.as_deref(), Some("eu-west-1"));
        assert_eq!(settings.endpoint.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(settings.sts_endpoint.as_deref(), Some("http://127.0.0.1:3"));
        assert_eq!(
            settings.profile,
            Some(ProfileChoice {
                name: "ci".into(),
                env_var: None
            })
        );
        assert_eq!(
            settings.http.http_proxy,
            Some(Sourced {
                value: "http://arg:1".into(),
                env_var: None
            })
        );
    }

    #[test]
    fn environment_fills_what_arguments_leave_unset() {
        let settings = ClientArguments::default()
            .resolve(env(&[
                ("AWS_DEFAULT_REGION", "us-west-2"),
                ("AWS_ENDPOINT_URL", "http://generic"),
                ("AWS_ENDPOINT_URL_LOOKOUTVISION", "http://specific"),
                ("AWS_ENDPOINT_URL_STS", "http://sts"),
                ("AWS_MAX_ATTEMPTS", "4"),
                ("AWS_RETRY_MODE", "adaptive"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
                ("AWS_DEFAULT_PROFILE", "ci"),
                ("AWS_CA_BUNDLE", "/etc/ca.pem"),
                ("http_proxy", "http://lower:1"),
                ("HTTPS_PROXY", "http://upper:2"),
                ("https_proxy", "http://lower:2"),
                ("no_proxy", "localhost"),
            ]))
            .unwrap();
        assert_eq!(settings.region.as_deref(), Some("us-west-2"));
        assert_eq!(settings.endpoint.as_deref(), Some("http://specific"));
        assert_eq!(settings.sts_endpoint.as_deref(), Some("http://sts"));
        assert_eq!(settings.max_retries, Some(3));
        assert_eq!(settings.retry_mode, Some(RetryMode::Adaptive));
        assert!(settings.skip_metadata_api_check);
        assert_eq!(
            settings.profile,
            Some(ProfileChoice {
                name: "ci".into(),
                env_var: Some("AWS_DEFAULT_PROFILE")
            })
        );
        let sourced = |value: &str, var| {
            Some(Sourced {
                value: value.to_owned(),
                env_var: Some(var),
            })
        };
        assert_eq!(
            settings.http.ca_bundle,
            Some(Sourced {
                value: PathBuf::from("/etc/ca.pem"),
                env_var: Some("AWS_CA_BUNDLE")
            })
        );
        assert_eq!(
            settings.http.http_proxy,
            sourced("http://lower:1", "http_proxy")
        );
        assert_eq!(
            settings.http.https_proxy,
            sourced("http://upper:2", "HTTPS_PROXY")
        );
        assert_eq!(settings.http.no_proxy, sourced("localhost", "no_proxy"));
    }

    #[test]
    fn aws_profile_wins_over_aws_default_profile() {
        let settings = ClientArguments::default()
            .resolve(env(&[("AWS_PROFILE", "a"), ("AWS_DEFAULT_PROFILE", "b")]))
            .unwrap();
        assert_eq!(settings.profile.unwrap().env_var, Some("AWS_PROFILE"));
    }

    #[test]
    fn defaults_leave_retries_to_the_profile_and_then_the_aws_provider() {
        let settings = ClientArguments::default().resolve(env(&[])).unwrap();
        assert_eq!(settings.max_retries, None);
        assert_eq!(settings.retry_mode, None);
        assert!(!settings.skip_credentials_validation);
        assert!(!settings.skip_metadata_api_check);
        assert!(!settings.skip_region_validation);
        assert_eq!(settings.http, HttpSettings::default());
    }

    #[test]
    fn bad_environment_values_name_the_variable_and_argument() {
        let err = ClientArguments::default()
            .resolve(env(&[("AWS_RETRY_MODE", "legacy")]))
            .unwrap_err();
        assert_eq!(err.argument, "retry_mode");
        assert_eq!(err.env_var, Some("AWS_RETRY_MODE"));
        assert!(err
            .message
            .contains("AWS_RETRY_MODE must be `standard` or `adaptive`"));

        let err = ClientArguments::default()
            .resolve(env(&[("AWS_MAX_ATTEMPTS", "zero")]))
            .unwrap_err();
        assert_eq!(err.argument, "max_retries");
    }

    #[test]
    fn regions_must_be_aws_regions_unless_validation_is_skipped() {
        for region in [
            "us-east-1",
            "eu-central-2",
            "cn-north-1",
            "us-gov-west-1",
            "ap-southeast-5",
        ] {
            assert!(is_aws_region(region), "{region}");
        }
        for region in ["US-EAST-1", "", "emulator", "moon-base-1", "us-east"] {
            assert!(!is_aws_region(region), "{region}");
        }
        let args = ClientArguments {
            region: Some("emulator".into()),
            ..Default::default()
        };
        let err = args.resolve(env(&[])).unwrap_err();
        assert_eq!((err.argument, err.env_var), ("region", None));
        assert!(
            err.message.contains("skip_region_validation = true"),
            "{err}"
        );
        let err = ClientArguments::default()
            .resolve(env(&[("AWS_REGION", "local")]))
            .unwrap_err();
        assert_eq!(err.env_var, Some("AWS_REGION"));
        let skipped = ClientArguments {
            skip_region_validation: Some(true),
            ..args
        };
        assert_eq!(
            skipped.resolve(env(&[])).unwrap().region.as_deref(),
            Some("emulator")
        );
    }

    #[test]
    fn empty_variables_count_as_unset_and_the_first_set_name_wins() {
        let lookup = env(&[("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "eu-central-1")]);
        let env = Environment(&lookup);
        assert_eq!(
            env.first(&["AWS_REGION", "AWS_DEFAULT_REGION"]),
            Some(("eu-central-1".to_owned(), "AWS_DEFAULT_REGION"))
        );
        assert_eq!(env.value(&["AWS_PROFILE"]), None);
    }

    #[test]
    fn shared_files_come_from_the_argument_or_one_variable() {
        let lookup = env(&[("AWS_CONFIG_FILE", "/env/config")]);
        let env = Environment(&lookup);
        let argument = Some(vec!["/a".to_owned(), "/b".to_owned()]);
        assert_eq!(
            files(&argument, &env, "AWS_CONFIG_FILE"),
            [PathBuf::from("/a"), PathBuf::from("/b")]
        );
        assert_eq!(
            files(&None, &env, "AWS_CONFIG_FILE"),
            [PathBuf::from("/env/config")]
        );
        assert!(files(&None, &env, "AWS_SHARED_CREDENTIALS_FILE").is_empty());
    }

    #[test]
    fn max_retries_come_from_the_argument_or_attempts_minus_one() {
        let with = |max_retries: Option<i64>, vars: &[(&str, &str)]| {
            ClientArguments {
                max_retries,
                ..Default::default()
            }
            .max_retries(&Environment(&env(vars)))
        };
        assert_eq!(with(Some(0), &[("AWS_MAX_ATTEMPTS", "9")]), Ok(Some(0)));
        assert_eq!(with(None, &[("AWS_MAX_ATTEMPTS", "1")]), Ok(Some(0)));
        assert_eq!(with(None, &[]), Ok(None));
        let err = with(Some(-1), &[]).unwrap_err();
        assert_eq!((err.argument, err.env_var), ("max_retries", None));
        let err = with(None, &[("AWS_MAX_ATTEMPTS", "0")]).unwrap_err();
        assert_eq!(err.env_var, Some("AWS_MAX_ATTEMPTS"));
    }

    /// Shared files with `config` as the config file, and the settings selecting `profile`.
    fn with_profile(config: &str, profile: Option<&str>) -> (tempfile::TempDir, ClientSettings) {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("config");
        std::fs::write(&path, config).expect("a config file");
        let credentials = dir.path().join("credentials");
        std::fs::write(&credentials, "").expect("a credentials file");
        let settings = ClientArguments {
            profile: profile.map(str::to_owned),
            shared_config_files: Some(vec![path.display().to_string()]),
            shared_credentials_files: Some(vec![credentials.display().to_string()]),
            ..Default::default()
        }
        .resolve(env(&[]))
        .unwrap();
        (dir, settings)
    }

    #[tokio::test]
    async fn the_profile_sets_retries_unless_the_provider_block_or_environment_does() {
        let config = "[profile ci]\nmax_attempts = 3\nretry_mode = adaptive\n";
        let (_dir, mut settings) = with_profile(config, Some("ci"));
        let profiles = settings.load_profiles().await.unwrap();
        assert_eq!(
            settings.retries(&profiles).unwrap(),
            Retries {
                max_retries: 2,
                mode: RetryMode::Adaptive
            }
        );
        settings.max_retries = Some(7);
        settings.retry_mode = Some(RetryMode::Standard);
        assert_eq!(
            settings.retries(&profiles).unwrap(),
            Retries {
                max_retries: 7,
                mode: RetryMode::Standard
            }
        );

        let (_dir, settings) = with_profile("[default]\nregion = us-east-1\n", None);
        let profiles = settings.load_profiles().await.unwrap();
        assert_eq!(
            settings.retries(&profiles).unwrap(),
            Retries {
                max_retries: DEFAULT_MAX_RETRIES,
                mode: RetryMode::Standard
            }
        );

        let (_dir, settings) = with_profile("[profile ci]\nmax_attempts = many\n", Some("ci"));
        let profiles = settings.load_profiles().await.unwrap();
        let err = settings.retries(&profiles).unwrap_err();
        assert!(
            matches!(
                &err,
                ClientError::ProfileSetting {
                    key: "max_attempts",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn an_unknown_profile_is_refused_naming_the_files_and_the_known_profiles() {
        let (dir, settings) = with_profile("[profile dev]\n[profile prod]\n", Some("staging"));
        let Err(ClientError::UnknownProfile {
            profile,
            files,
            known,
        }) = settings.load_profiles().await
        else {
            panic!("the profile was found");
        };
        assert_eq!(profile.name, "staging");
        assert!(files.contains(&dir.path().join("config").display().to_string()));
        assert_eq!(known, ["dev", "prod"]);
    }

    #[test]
    fn retries_count_the_first_attempt_and_saturate() {
        let retries = |max_retries, mode| Retries { max_retries, mode }.config();
        assert_eq!(retries(3, RetryMode::Standard).max_attempts(), 4);
        assert_eq!(
            retries(u32::MAX, RetryMode::Standard).max_attempts(),
            u32::MAX
        );
        assert_eq!(
            retries(1, RetryMode::Adaptive).mode(),
            aws_config::retry::RetryMode::Adaptive
        );
    }

    #[test]
    fn a_token_needs_an_access_key() {
        let args = ClientArguments {
            token: Some("session".into()),
            ..Default::default()
        };
        assert_eq!(
            args.check_static_credentials().unwrap_err().argument,
            "access_key"
        );
    }

    #[test]
    fn half_a_key_pair_is_an_error_naming_the_missing_half() {
        let args = ClientArguments {
            access_key: Some("AKIA".into()),
            ..Default::default()
        };
        assert_eq!(args.resolve(env(&[])).unwrap_err().argument, "secret_key");
    }

    #[test]
    fn roles_take_their_settings_and_check_durations() {
        let args = ClientArguments {
            assume_role: Some(AssumeRoleArguments {
                role_arn: Some("arn:aws:iam::123456789012:role/deploy".into()),
                duration: Some("1h30m".into()),
                tags: BTreeMap::from([("team".into(), "vision".into())]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let role = args.resolve(env(&[])).unwrap().assume_role.unwrap();
        assert_eq!(role.duration, Some(Duration::from_secs(5400)));
        assert_eq!(role.tags["team"], "vision");

        for bad in ["5m", "13h", "soon"] {
            let mut args = args.clone();
            args.assume_role.as_mut().unwrap().duration = Some(bad.into());
            let err = args.resolve(env(&[])).unwrap_err();
            assert_eq!(err.argument, "assume_role.duration");
            assert!(err.message.contains("from 15m0s to 12h0m0s"), "{err}");
        }
    }

    #[test]
    fn web_identity_falls_back_to_the_sdk_variables_and_wants_one_token() {
        let args = ClientArguments {
            assume_role_with_web_identity: Some(WebIdentityArguments::default()),
            ..Default::default()
        };
        let err = args.resolve(env(&[])).unwrap_err();
        assert_eq!(err.argument, "assume_role_with_web_identity.role_arn");
        let role = args
            .resolve(env(&[
                ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci"),
                ("AWS_ROLE_SESSION_NAME", "ci-run"),
                ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
            ]))
            .unwrap()
            .web_identity
            .unwrap();
        assert_eq!(role.role_arn, "arn:aws:iam::123456789012:role/ci");
        assert_eq!(role.session_name.as_deref(), Some("ci-run"));
        assert_eq!(role.token, WebIdentityToken::File("/var/run/token".into()));

        let both = ClientArguments {
            assume_role_with_web_identity: Some(WebIdentityArguments {
                role_arn: Some("arn:aws:iam::123456789012:role/ci".into()),
                web_identity_token: Some("t".into()),
                web_identity_token_file: Some("/f".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(both
            .resolve(env(&[]))
            .unwrap_err()
            .message
            .contains("not both"));
        let none = ClientArguments {
            assume_role_with_web_identity: Some(WebIdentityArguments {
                role_arn: Some("arn:aws:iam::123456789012:role/ci".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            none.resolve(env(&[])).unwrap_err().argument,
            "assume_role_with_web_identity.web_identity_token_file"
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let args = ClientArguments {
            access_key: Some("AKIAEXAMPLE".into()),
            secret_key: Some("very-secret".into()),
            token: Some("session-token".into()),
            https_proxy: Some("http://me:proxy-password@proxy:3128".into()),
            assume_role_with_web_identity: Some(WebIdentityArguments {
                web_identity_token: Some("oidc-token".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let shown = format!("{args:?}");
        for secret in [
            "very-secret",
            "session-token",
            "AKIAEXAMPLE",
            "proxy-password",
            "oidc-token",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn the_sso_cache_file_is_named_as_aws_config_names_it() {
        // The SHA-1 of the session name, as `aws sso login` names the file.
        let file = sso_cache_file(std::path::Path::new("/home/someuser"), "dev-scopes");
        assert_eq!(
            file,
            PathBuf::from(
                "/home/someuser/.aws/sso/cache/75e4d41276d8bd17f85986fc6cccef29fd725ce3.json"
            )
        );
    }

    #[test]
    fn the_sso_token_state_is_read_without_the_token() {
        let dir = tempfile::tempdir().expect("a directory");
        let file = dir.path().join("token.json");
        let now = SystemTime::now();
        assert_eq!(sso_token_state(&file, now), SsoTokenState::Missing);
        std::fs::write(
            &file,
            r#"{"accessToken": "t", "expiresAt": "2020-01-01T00:00:00Z"}"#,
        )
        .expect("a token");
        assert_eq!(
            sso_token_state(&file, now),
            SsoTokenState::Expired("2020-01-01T00:00:00Z".into())
        );
        std::fs::write(
            &file,
            r#"{"accessToken": "t", "expiresAt": "2999-01-01T00:00:00Z"}"#,
        )
        .expect("a token");
        assert_eq!(sso_token_state(&file, now), SsoTokenState::Current);
        std::fs::write(&file, "{}").expect("a token");
        assert!(matches!(
            sso_token_state(&file, now),
            SsoTokenState::Unreadable(_)
        ));
    }

    #[tokio::test]
    async fn static_credentials_build_a_configuration_without_network() {
        let (_dir, mut settings) = with_profile("", None);
        settings.arguments.access_key = Some("test".into());
        settings.arguments.secret_key = Some("test".into());
        settings.region = Some("us-east-1".into());
        settings.endpoint = Some("http://127.0.0.1:9".into());
        let config = settings.build("tests_1.0").await.unwrap();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("us-east-1"));
        assert_eq!(config.app_name().map(|a| a.as_ref()), Some("tests_1.0"));
    }
}
