//! ValidateDataResourceConfig and ReadDataSource: a data source's configuration checked as a
//! resource's is, then read through the configured client.

use super::{bounded_read, convert, diags_only, pb, DataSourceType, ProviderService};
use crate::framework::diag::{AttributePath, Diagnostic, Diagnostics};
use crate::framework::resource::Provider;
use crate::framework::value::Value;

impl<P: Provider> ProviderService<P> {
    /// ValidateDataResourceConfig.
    pub(super) fn validate_data_source(
        &self,
        req: &pb::validate_data_resource_config::Request,
    ) -> pb::validate_data_resource_config::Response {
        let checked = self
            .data_source(&req.type_name)
            .and_then(|ds| checked_config(ds, req.config.as_ref()))
            .map(|(_, diags)| diags);
        pb::validate_data_resource_config::Response {
            diagnostics: diags_only(checked),
        }
    }

    /// ReadDataSource. Terraform only reads a data source whose configuration is wholly known
    /// (otherwise it waits for the apply), and has validated it; the checks run again so that
    /// no invalid request reaches the service.
    pub(super) async fn read_data_source(
        &self,
        req: &pb::read_data_source::Request,
    ) -> pb::read_data_source::Response {
        let (state, diags) = match self.data_source_state(req).await {
            Ok(read) => read,
            Err(diags) => (None, diags),
        };
        pb::read_data_source::Response {
            state,
            diagnostics: convert::diagnostics(&diags),
            ..Default::default()
        }
    }

    async fn data_source_state(
        &self,
        req: &pb::read_data_source::Request,
    ) -> Result<(Option<pb::DynamicValue>, Diagnostics), Diagnostics> {
        let ds = self.data_source(&req.type_name)?;
        let (config, diags) = checked_config(ds, req.config.as_ref())?;
        if diags.has_errors() {
            return Err(diags);
        }
        if !config.is_wholly_known() {
            return Err(Diagnostic::error(
                format!("{} read before its arguments are known", req.type_name),
                format!(
                    "Terraform asked the provider to read {} while some of its arguments were \
                     still unknown. This is a bug in Terraform or in the provider; please report \
                     it.",
                    req.type_name
                ),
            )
            .into());
        }
        let client = self.configured_client()?;
        let ctx = self.read_context(client.as_ref());
        let what = format!("data source {}", req.type_name);
        let state = bounded_read(&ctx, &what, ds.data_source.read(&ctx, &config)).await?;
        if state.is_null() || !state.is_wholly_known() {
            return Err(Diagnostic::error(
                format!("{} returned an incomplete value", req.type_name),
                format!(
                    "The data source {} returned a value that is null or not wholly known. This \
                     is a bug in the provider; please report it.",
                    req.type_name
                ),
            )
            .into());
        }
        let encoded = convert::encode(&state, &ds.ty, "data source value")?;
        Ok((Some(encoded), diags))
    }
}

/// Decodes a data source's configuration and checks it: the schema's validators, then the data
/// source's own checks.
fn checked_config<C>(
    ds: &DataSourceType<C>,
    config: Option<&pb::DynamicValue>,
) -> Result<(Value, Diagnostics), Diagnostic> {
    let config = convert::decode(config, &ds.ty, "data source configuration")?;
    let mut diags = Diagnostics::default();
    ds.schema
        .block
        .validate(&config, &AttributePath::default(), &mut diags);
    ds.data_source.validate(&config, &mut diags);
    Ok((config, diags))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{configured, decode, encode, gauge_type, service, GAUGE};
    use super::*;

    fn summaries(diags: &[pb::Diagnostic]) -> Vec<&str> {
        diags.iter().map(|d| d.summary.as_str()).collect()
    }

    fn config(name: &str) -> pb::DynamicValue {
        encode(
            &Value::object([("name", name.into()), ("reading", Value::Null)]),
            &gauge_type(),
        )
    }

    #[test]
    fn validation_runs_the_validators_and_the_data_source_checks() {
        let validate = |name: &str| {
            service()
                .validate_data_source(&pb::validate_data_resource_config::Request {
                    type_name: GAUGE.to_owned(),
                    config: Some(config(name)),
                })
                .diagnostics
        };
        assert!(validate("g1").is_empty());
        assert_eq!(
            summaries(&validate("much-too-long")),
            ["Invalid value for name"]
        );
        assert_eq!(summaries(&validate("g13")), ["Unlucky gauge"]);
    }

    #[test]
    fn an_unknown_data_source_names_those_offered() {
        let response =
            service().validate_data_source(&pb::validate_data_resource_config::Request {
                type_name: "test_nothing".to_owned(),
                config: None,
            });
        let diag = &response.diagnostics[0];
        assert_eq!(diag.summary, "Unknown data source test_nothing");
        assert!(diag.detail.contains(GAUGE), "{diag:?}");
    }

    async fn read(service_configured: bool, name: &str) -> pb::read_data_source::Response {
        let service = if service_configured {
            configured().await
        } else {
            service()
        };
        service
            .read_data_source(&pb::read_data_source::Request {
                type_name: GAUGE.to_owned(),
                config: Some(config(name)),
                ..Default::default()
            })
            .await
    }

    #[tokio::test]
    async fn a_read_fills_the_computed_attributes() {
        let response = read(true, "g1").await;
        assert!(response.diagnostics.is_empty(), "{response:?}");
        let state = decode(&response.state.unwrap(), &gauge_type());
        assert_eq!(state.get("name").as_str(), Some("g1"));
        assert_eq!(state.get("reading").as_i64(), Some(2));
    }

    #[tokio::test]
    async fn failures_are_diagnostics_without_a_state() {
        let missing = read(true, "gone").await;
        assert_eq!(
            summaries(&missing.diagnostics),
            ["test_gauge: no gauge \"gone\""]
        );
        assert!(missing.state.is_none());

        let invalid = read(true, "g13").await;
        assert_eq!(summaries(&invalid.diagnostics), ["Unlucky gauge"]);

        let unconfigured = read(false, "g1").await;
        assert_eq!(
            summaries(&unconfigured.diagnostics),
            ["Provider not configured"]
        );
    }

    #[tokio::test]
    async fn a_configuration_not_yet_known_is_not_read() {
        let unknown = encode(
            &Value::object([("name", Value::Unknown), ("reading", Value::Null)]),
            &gauge_type(),
        );
        let response = configured()
            .await
            .read_data_source(&pb::read_data_source::Request {
                type_name: GAUGE.to_owned(),
                config: Some(unknown),
                ..Default::default()
            })
            .await;
        assert_eq!(
            summaries(&response.diagnostics),
            ["test_gauge read before its arguments are known"]
        );
    }
}
