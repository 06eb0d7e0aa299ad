//! Client configuration: provider arguments, their environment fallbacks, and the SDK client.
//!
//! Precedence follows the AWS provider: an argument in the provider block wins, then the
//! environment variable, then what aws-config finds in shared files, containers and instance
//! metadata.

use std::path::PathBuf;
use std::time::Duration;

use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};

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
    /// `max_retries`.
    pub max_retries: Option<i64>,
    /// `retry_mode`.
    pub retry_mode: Option<String>,
    /// `skip_credentials_validation`.
    pub skip_credentials_validation: Option<bool>,
    /// `skip_metadata_api_check`.
    pub skip_metadata_api_check: Option<bool>,
}

// Secrets must never reach a log line, so Debug shows only whether they are set.
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

/// Settings after environment fallbacks, ready to build a client.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    arguments: ClientArguments,
    /// The region, if one was given explicitly or through the environment.
    pub region: Option<String>,
    /// The profile, if any.
    pub profile: Option<String>,
    /// The endpoint override, if any.
    pub endpoint: Option<String>,
    /// How many times the SDK retries a retryable failure.
    pub max_retries: u32,
    /// Standard or adaptive retries.
    pub retry_mode: RetryMode,
    /// Whether configuration skips resolving credentials up front.
    pub skip_credentials_validation: bool,
    /// Whether the instance metadata service is left out of the credential chain.
    pub skip_metadata_api_check: bool,
    config_files: Vec<PathBuf>,
    credentials_files: Vec<PathBuf>,
}

/// A provider argument (or its environment variable) holds a value the client cannot use.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct InvalidSetting {
    /// The provider argument concerned.
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
        Ok(ClientSettings {
            arguments: self.clone(),
            region: or_env(&self.region, &env, &["AWS_REGION", "AWS_DEFAULT_REGION"]),
            profile: or_env(&self.profile, &env, &["AWS_PROFILE"]),
            endpoint: or_env(
                &self.endpoint,
                &env,
                &["AWS_ENDPOINT_URL_LOOKOUTVISION", "AWS_ENDPOINT_URL"],
            ),
            max_retries,
            retry_mode,
            skip_credentials_validation: self.skip_credentials_validation.unwrap_or(false),
            skip_metadata_api_check: self.skip_metadata_api_check(&env),
            config_files: files(&self.shared_config_files, &env, "AWS_CONFIG_FILE"),
            credentials_files: files(
                &self.shared_credentials_files,
                &env,
                "AWS_SHARED_CREDENTIALS_FILE",
            ),
        })
    }

    /// `max_retries`, else AWS_MAX_ATTEMPTS (which counts the first attempt too), else the
    /// default.
    fn max_retries(&self, env: &Environment<'_>) -> Result<u32, InvalidSetting> {
        match (self.max_retries, env.first(&["AWS_MAX_ATTEMPTS"])) {
            (Some(n), _) => u32::try_from(n).map_err(|_| InvalidSetting {
                argument: "max_retries",
                env_var: None,
                message: format!("max_retries must be a whole number of at least 0; got {n}."),
            }),
            (None, Some((attempts, var))) => attempts
                .parse::<u32>()
                .ok()
                .filter(|a| *a >= 1)
                .map(|a| a - 1)
                .ok_or_else(|| InvalidSetting {
                    argument: "max_retries",
                    env_var: Some(var),
                    message: format!(
                        "{var} must be a whole number of at least 1; got {attempts:?}."
                    ),
                }),
            (None, None) => Ok(DEFAULT_MAX_RETRIES),
        }
    }

    /// `retry_mode`, else AWS_RETRY_MODE, else standard.
    fn retry_mode(&self, env: &Environment<'_>) -> Result<RetryMode, InvalidSetting> {
        let (mode, mode_var) = match (&self.retry_mode, env.first(&["AWS_RETRY_MODE"])) {
            (Some(mode), _) => (Some(mode.clone()), None),
            (None, Some((mode, var))) => (Some(mode), Some(var)),
            (None, None) => (None, None),
        };
        match mode.as_deref() {
            None | Some("standard") => Ok(RetryMode::Standard),
            Some("adaptive") => Ok(RetryMode::Adaptive),
            Some(other) => Err(InvalidSetting {
                argument: "retry_mode",
                env_var: mode_var,
                message: format!(
                    "{} must be `standard` or `adaptive`; got {other:?}.",
                    mode_var.unwrap_or("retry_mode")
                ),
            }),
        }
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

/// The client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No region anywhere.
    #[error("no AWS region is configured: set `region` in the provider block, or AWS_REGION")]
    NoRegion,
    /// The credential chain found nothing usable.
    #[error("no valid credential sources found")]
    NoCredentials(#[source] aws_credential_types::provider::error::CredentialsError),
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

    /// The credential chain in the AWS provider's order: static arguments; else environment,
    /// web identity, shared files, container, and instance metadata (unless skipped).
    fn credentials(&self) -> CredentialsProviderChain {
        use aws_config::{ecs, environment, imds, profile, web_identity_token};
        if let (Some(access_key), Some(secret_key)) =
            (&self.arguments.access_key, &self.arguments.secret_key)
        {
            let fixed = Credentials::new(
                access_key,
                secret_key,
                self.arguments.token.clone(),
                None,
                "provider-arguments",
            );
            return CredentialsProviderChain::first_try("ProviderArguments", fixed);
        }
        let mut files = profile::ProfileFileCredentialsProvider::builder();
        if let Some(name) = &self.profile {
            files = files.profile_name(name);
        }
        if let Some(profile_files) = self.profile_files() {
            files = files.profile_files(profile_files);
        }
        let chain = CredentialsProviderChain::first_try(
            "Environment",
            environment::EnvironmentVariableCredentialsProvider::new(),
        )
        .or_else(
            "WebIdentityToken",
            web_identity_token::WebIdentityTokenCredentialsProvider::builder().build(),
        )
        .or_else("Profile", files.build())
        .or_else(
            "EcsContainer",
            ecs::EcsCredentialsProvider::builder().build(),
        );
        if self.skip_metadata_api_check {
            chain
        } else {
            chain.or_else(
                "Ec2InstanceMetadata",
                imds::credentials::ImdsCredentialsProvider::builder().build(),
            )
        }
    }

    /// How the SDK retries: `max_retries` after the first attempt, backing off at most 20s.
    fn retry_config(&self) -> RetryConfig {
        match self.retry_mode {
            RetryMode::Standard => RetryConfig::standard(),
            RetryMode::Adaptive => RetryConfig::adaptive(),
        }
        .with_max_attempts(self.max_retries.saturating_add(1))
        .with_max_backoff(Duration::from_secs(20))
    }

    /// Builds the Lookout for Vision client configuration, naming the caller as `app` in every
    /// request's User-Agent (e.g. `terraform-provider-lookoutvision_0.1.0`; invalid names are
    /// left out). Unless credential validation is skipped, the credential chain is resolved once
    /// here so that a missing credential fails at plan time.
    pub async fn build(&self, app: &str) -> Result<aws_sdk_lookoutvision::Config, ClientError> {
        let credentials = self.credentials();
        if !self.skip_credentials_validation {
            credentials
                .provide_credentials()
                .await
                .map_err(ClientError::NoCredentials)?;
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(self.retry_config())
            .credentials_provider(credentials);
        if let Ok(app) = aws_config::AppName::new(app.to_owned()) {
            loader = loader.app_name(app);
        }
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(files) = self.profile_files() {
            loader = loader.profile_files(files);
        }
        let shared = loader.load().await;
        if shared.region().is_none() {
            return Err(ClientError::NoRegion);
        }
        let mut config = aws_sdk_lookoutvision::config::Builder::from(&shared);
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
            ..Default::default()
        };
        let settings = args
            .resolve(env(&[
                ("AWS_REGION", "us-east-1"),
                ("AWS_ENDPOINT_URL_LOOKOUTVISION", "http://127.0.0.1:2"),
            ]))
            .unwrap();
        assert_eq!(settings.region.as_deref(), Some("eu-west-1"));
        assert_eq!(settings.endpoint.as_deref(), Some("http://127.0.0.1:1"));
    }

    #[test]
    fn environment_fills_what_arguments_leave_unset() {
        let settings = ClientArguments::default()
            .resolve(env(&[
                ("AWS_DEFAULT_REGION", "us-west-2"),
                ("AWS_ENDPOINT_URL", "http://generic"),
                ("AWS_ENDPOINT_URL_LOOKOUTVISION", "http://specific"),
                ("AWS_MAX_ATTEMPTS", "4"),
                ("AWS_RETRY_MODE", "adaptive"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
                ("AWS_PROFILE", "ci"),
            ]))
            .unwrap();
        assert_eq!(settings.region.as_deref(), Some("us-west-2"));
        assert_eq!(settings.endpoint.as_deref(), Some("http://specific"));
        assert_eq!(settings.max_retries, 3);
        assert_eq!(settings.retry_mode, RetryMode::Adaptive);
        assert!(settings.skip_metadata_api_check);
        assert_eq!(settings.profile.as_deref(), Some("ci"));
    }

    #[test]
    fn defaults_follow_the_aws_provider() {
        let settings = ClientArguments::default().resolve(env(&[])).unwrap();
        assert_eq!(settings.max_retries, DEFAULT_MAX_RETRIES);
        assert_eq!(settings.retry_mode, RetryMode::Standard);
        assert!(!settings.skip_credentials_validation);
        assert!(!settings.skip_metadata_api_check);
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
        assert_eq!(with(Some(0), &[("AWS_MAX_ATTEMPTS", "9")]), Ok(0));
        assert_eq!(with(None, &[("AWS_MAX_ATTEMPTS", "1")]), Ok(0));
        let err = with(Some(-1), &[]).unwrap_err();
        assert_eq!((err.argument, err.env_var), ("max_retries", None));
        let err = with(None, &[("AWS_MAX_ATTEMPTS", "0")]).unwrap_err();
        assert_eq!(err.env_var, Some("AWS_MAX_ATTEMPTS"));
    }

    #[test]
    fn retries_count_the_first_attempt_and_saturate() {
        let mut settings = ClientArguments::default().resolve(env(&[])).unwrap();
        settings.max_retries = 3;
        assert_eq!(settings.retry_config().max_attempts(), 4);
        settings.max_retries = u32::MAX;
        assert_eq!(settings.retry_config().max_attempts(), u32::MAX);
        settings.retry_mode = RetryMode::Adaptive;
        assert_eq!(
            settings.retry_config().mode(),
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
    fn debug_output_hides_secrets() {
        let args = ClientArguments {
            access_key: Some("AKIAEXAMPLE".into()),
            secret_key: Some("very-secret".into()),
            token: Some("session-token".into()),
            ..Default::default()
        };
        let shown = format!("{args:?}");
        assert!(!shown.contains("very-secret") && !shown.contains("session-token"));
        assert!(!shown.contains("AKIAEXAMPLE"));
    }

    #[tokio::test]
    async fn static_credentials_build_a_configuration_without_network() {
        let args = ClientArguments {
            region: Some("us-east-1".into()),
            access_key: Some("test".into()),
            secret_key: Some("test".into()),
            endpoint: Some("http://127.0.0.1:9".into()),
            ..Default::default()
        };
        let config = args
            .resolve(env(&[]))
            .unwrap()
            .build("tests_1.0")
            .await
            .unwrap();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("us-east-1"));
        assert_eq!(config.app_name().map(|a| a.as_ref()), Some("tests_1.0"));
    }
}
