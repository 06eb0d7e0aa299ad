//! ValidateProviderConfig, ConfigureProvider and StopProvider: the provider block and the
//! provider's life.

use std::sync::{Arc, PoisonError};

use super::{convert, diags_only, pb, ProviderService};
use crate::framework::diag::{AttributePath, Diagnostic, Diagnostics};
use crate::framework::resource::Provider;
use crate::framework::value::Value;

impl<P: Provider> ProviderService<P> {
    /// Decodes the provider block's configuration and checks it: the schema's validators, then
    /// the provider's own checks across attributes. Both RPCs that receive the configuration
    /// use this, so that `terraform validate` reports exactly what configuring would refuse.
    fn check_provider_config(
        &self,
        config: Option<&pb::DynamicValue>,
    ) -> Result<(Value, Diagnostics), Diagnostic> {
        let config = convert::decode(config, &self.provider_type, "provider configuration")?;
        let mut diags = Diagnostics::default();
        self.provider_schema
            .block
            .validate(&config, &AttributePath::default(), &mut diags);
        self.provider.validate(&config, &mut diags);
        Ok((config, diags))
    }

    /// ValidateProviderConfig.
    pub(super) fn validate_provider(
        &self,
        req: &pb::validate_provider_config::Request,
    ) -> pb::validate_provider_config::Response {
        let result = self
            .check_provider_config(req.config.as_ref())
            .map(|(_, diags)| diags);
        pb::validate_provider_config::Response {
            diagnostics: diags_only(result),
        }
    }

    /// ConfigureProvider: builds the client, unless the configuration does not pass its checks.
    pub(super) async fn configure(
        &self,
        req: &pb::configure_provider::Request,
    ) -> pb::configure_provider::Response {
        let diags = match self.check_provider_config(req.config.as_ref()) {
            Ok((config, mut diags)) => {
                if !diags.has_errors() {
                    match self.provider.configure(&config).await {
                        Ok(client) => {
                            *self.client.write().unwrap_or_else(PoisonError::into_inner) =
                                Some(Arc::new(client));
                        }
                        Err(errors) => diags.extend(errors),
                    }
                }
                diags
            }
            Err(diag) => diag.into(),
        };
        pb::configure_provider::Response {
            diagnostics: convert::diagnostics(&diags),
        }
    }

    /// StopProvider: cancels in-flight waits and retries, leaving later operations free to run.
    pub(super) fn stop_operations(&self) -> pb::stop_provider::Response {
        tracing::info!(
            "Terraform asked the provider to stop; cancelling in-flight waits and retries."
        );
        self.stop.stop();
        pb::stop_provider::Response {
            error: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{provider_config, service};
    use super::*;

    fn summaries(diags: &[pb::Diagnostic]) -> Vec<&str> {
        diags.iter().map(|d| d.summary.as_str()).collect()
    }

    #[tokio::test]
    async fn validate_and_configure_refuse_the_same_configuration() {
        let service = service();
        // Too long for the schema's validator, and refused by the provider's own check.
        let config = provider_config("toolong", true);
        let validated = service.validate_provider(&pb::validate_provider_config::Request {
            config: Some(config.clone()),
        });
        let configured = service
            .configure(&pb::configure_provider::Request {
                config: Some(config),
                ..Default::default()
            })
            .await;
        assert_eq!(validated.diagnostics.len(), 2, "{validated:?}");
        assert_eq!(validated.diagnostics, configured.diagnostics);
        assert!(service.client().is_none());
    }

    #[tokio::test]
    async fn configure_builds_the_client_or_reports_why_not() {
        let service = service();
        let configured = service
            .configure(&pb::configure_provider::Request {
                config: Some(provider_config("down", false)),
                ..Default::default()
            })
            .await;
        assert_eq!(summaries(&configured.diagnostics), ["Region is down"]);
        assert!(service.configured_client().is_err());

        let configured = service
            .configure(&pb::configure_provider::Request {
                config: Some(provider_config("east", false)),
                ..Default::default()
            })
            .await;
        assert!(configured.diagnostics.is_empty(), "{configured:?}");
        assert!(service.configured_client().is_ok());
    }

    #[test]
    fn undecodable_configuration_is_a_diagnostic() {
        let garbage = pb::DynamicValue {
            msgpack: vec![0xc1],
            json: Vec::new(),
        };
        let validated = service().validate_provider(&pb::validate_provider_config::Request {
            config: Some(garbage),
        });
        assert_eq!(
            summaries(&validated.diagnostics),
            ["Invalid provider configuration received from Terraform"]
        );
    }

    #[test]
    fn stop_cancels_operations_in_flight_but_not_later_ones() {
        let service = service();
        let in_flight = service.stop_signal().token();
        assert!(service.stop_operations().error.is_empty());
        assert!(in_flight.is_cancelled());
        assert!(!service.stop_signal().token().is_cancelled());
    }
}
