//! ValidateResourceConfig: a resource's configuration against its schema's validators and the
//! resource's own checks.

use super::{convert, diags_only, pb, ProviderService};
use crate::framework::diag::{AttributePath, Diagnostic, Diagnostics};
use crate::framework::resource::Provider;

impl<P: Provider> ProviderService<P> {
    /// ValidateResourceConfig.
    pub(super) fn validate_resource(
        &self,
        req: &pb::validate_resource_config::Request,
    ) -> pb::validate_resource_config::Response {
        pb::validate_resource_config::Response {
            diagnostics: diags_only(self.check_resource_config(req)),
        }
    }

    fn check_resource_config(
        &self,
        req: &pb::validate_resource_config::Request,
    ) -> Result<Diagnostics, Diagnostic> {
        let rt = self.resource(&req.type_name)?;
        let config = convert::decode(req.config.as_ref(), &rt.ty, "configuration")?;
        let mut diags = Diagnostics::default();
        rt.schema
            .block
            .validate(&config, &AttributePath::default(), &mut diags);
        rt.resource.validate(&config, &mut diags);
        Ok(diags)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{encode, service, widget_type, WIDGET};
    use super::*;
    use crate::framework::value::Value;

    fn validate(type_name: &str, config: &Value) -> Vec<pb::Diagnostic> {
        let service = service();
        let config = encode(config, &widget_type());
        service
            .validate_resource(&pb::validate_resource_config::Request {
                type_name: type_name.to_owned(),
                config: Some(config),
                ..Default::default()
            })
            .diagnostics
    }

    #[test]
    fn an_unknown_type_names_the_types_offered() {
        let diags = validate("test_gadget", &Value::Null);
        assert_eq!(diags[0].summary, "Unknown resource type test_gadget");
        assert!(diags[0].detail.contains(WIDGET), "{}", diags[0].detail);
    }

    #[test]
    fn validators_and_the_resource_checks_both_run() {
        // The name breaks its length validator; the size breaks the resource's own rule.
        let config = Value::object([("name", "much-too-long".into()), ("size", 13.into())]);
        let diags = validate(WIDGET, &config);
        let summaries: Vec<_> = diags.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(summaries, ["Invalid value for name", "Unlucky size"]);
    }
}
