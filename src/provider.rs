//! The `lookoutvision` provider: its configuration block, resources, data sources and list
//! resources.

use std::sync::Arc;

use async_trait::async_trait;

use crate::aws::config::{ClientArguments, ClientError, DEFAULT_MAX_RETRIES};
use crate::aws::error::error_chain;
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

fn arguments(config: &Value) -> ClientArguments {
    let text = |name: &str| config.get(name).as_str().map(str::to_owned);
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
    ClientArguments {
        region: text("region"),
        profile: text("profile"),
        access_key: text("access_key"),
        secret_key: text("secret_key"),
        token: text("token"),
        shared_config_files: list("shared_config_files"),
        shared_credentials_files: list("shared_credentials_files"),
        endpoint: config
            .get("endpoints")
            .get("lookoutvision")
            .as_str()
            .map(str::to_owned),
        max_retries: config.get("max_retries").as_i64(),
        retry_mode: text("retry_mode"),
        skip_credentials_validation: config.get("skip_credentials_validation").as_bool(),
        skip_metadata_api_check: config.get("skip_metadata_api_check").as_bool(),
    }
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
            );
        Schema::new(
            Block::new(
                "The Lookout for Vision provider manages projects, datasets and models of Amazon \
                 Lookout for Vision, or of the `lookoutvision-emulator` that stands in for the \
                 service since AWS closed it on 2025-10-31.",
            )
            .attribute(
                string(
                    "region",
                    "The AWS region, e.g. `us-east-1`. Environment: `AWS_REGION`, then `AWS_DEFAULT_REGION`.",
                )
                .validate(validate::string_matches(
                    "[a-z]{2}(-[a-z]+)+-[0-9]+",
                    "an AWS region name such as `us-east-1`",
                )),
            )
            .attribute(string(
                "profile",
                "The named profile in the shared configuration files. Environment: `AWS_PROFILE`.",
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
                         Environment: `AWS_MAX_ATTEMPTS` (which counts the first attempt too). \
                         Default: `{DEFAULT_MAX_RETRIES}`."
                    ))
                    .validate(validate::int_between(0, 100)),
            )
            .attribute(
                string(
                    "retry_mode",
                    "`standard` or `adaptive` (standard plus client-side rate limiting). \
                     Environment: `AWS_RETRY_MODE`. Default: `standard`.",
                )
                .validate(validate::one_of(&["standard", "adaptive"])),
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
            .map_err(|invalid| match invalid.env_var {
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
                    format!("Invalid provider argument {}", invalid.argument),
                    invalid.message.clone(),
                )
                .at(AttributePath::root(invalid.argument)),
            })?;
        let api_config = settings.build(USER_AGENT_APP).await.map_err(|err| {
            let diag = match &err {
                ClientError::NoRegion => Diagnostic::error(
                    "No AWS region configured",
                    "Set `region` in the provider block (for the emulator any region works, \
                     such as \"us-east-1\"), or the AWS_REGION environment variable.",
                )
                .at(AttributePath::root("region")),
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
            };
            Diagnostics::from(diag)
        })?;
        tracing::debug!(
            region = settings.region.as_deref().unwrap_or("(from shared config)"),
            endpoint = settings.endpoint.as_deref().unwrap_or("(default)"),
            max_retries = settings.max_retries,
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
}
