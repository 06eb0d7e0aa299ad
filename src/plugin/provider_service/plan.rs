//! PlanResourceChange: the framework's planning rules, the import exception, and the
//! resource's own plan adjustments.

use super::{convert, pb, ProviderService, IMPORTED};
use crate::framework::diag::{Diagnostic, Diagnostics, PathStep};
use crate::framework::plan::plan_change;
use crate::framework::resource::Provider;
use crate::framework::value::Value;

impl<P: Provider> ProviderService<P> {
    /// PlanResourceChange.
    pub(super) fn plan(
        &self,
        req: &pb::plan_resource_change::Request,
    ) -> pb::plan_resource_change::Response {
        self.planned(req)
            .unwrap_or_else(|diag| pb::plan_resource_change::Response {
                diagnostics: convert::diagnostics(&diag.into()),
                ..Default::default()
            })
    }

    fn planned(
        &self,
        req: &pb::plan_resource_change::Request,
    ) -> Result<pb::plan_resource_change::Response, Diagnostic> {
        let rt = self.resource(&req.type_name)?;
        let prior = convert::decode(req.prior_state.as_ref(), &rt.ty, "prior state")?;
        let proposed = convert::decode(
            req.proposed_new_state.as_ref(),
            &rt.ty,
            "proposed new state",
        )?;
        let config = convert::decode(req.config.as_ref(), &rt.ty, "configuration")?;
        let mut planned = plan_change(&rt.schema.block, &prior, &proposed, &config);
        if req.prior_private == IMPORTED {
            // The import could not observe these arguments, so their configured values are
            // adopted in place rather than replacing the resource for them.
            let unobservable = rt.resource.unobservable();
            planned.requires_replace.retain(|path| {
                !matches!(path.0.as_slice(), [PathStep::Attribute(name)]
                    if unobservable.contains(&name.as_str()) && prior.get(name).is_null())
            });
        }
        let client = self.client();
        let mut diags = Diagnostics::default();
        if !planned.state.is_null() {
            rt.resource
                .modify_plan(client.as_deref(), &prior, &mut planned, &mut diags);
        }
        if diags.has_errors() {
            return Ok(pb::plan_resource_change::Response {
                diagnostics: convert::diagnostics(&diags),
                ..Default::default()
            });
        }
        // The identity Terraform holds belongs to the prior object; a create (including the
        // second half of a replacement, which Terraform sends with the first half's planned
        // identity) starts from nothing.
        let held = if prior.is_null() {
            Value::Null
        } else {
            rt.decode_identity(req.prior_identity.as_ref(), "prior identity")?
        };
        let identity = rt.identity_of(&planned.state, &held, client.as_deref());
        Ok(pb::plan_resource_change::Response {
            planned_identity: rt.encode_identity(&identity, "planned identity")?,
            planned_state: Some(convert::encode(&planned.state, &rt.ty, "planned state")?),
            requires_replace: planned
                .requires_replace
                .iter()
                .map(convert::attribute_path)
                .collect(),
            planned_private: req.prior_private.clone(),
            diagnostics: convert::diagnostics(&diags),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{
        configured, decode, decode_identity, encode, identity_data, service, widget_identity,
        widget_state, widget_type, WIDGET,
    };
    use super::*;

    fn plan(prior: &Value, config: &Value, private: &[u8]) -> pb::plan_resource_change::Response {
        let ty = widget_type();
        service().plan(&pb::plan_resource_change::Request {
            type_name: WIDGET.to_owned(),
            prior_state: Some(encode(prior, &ty)),
            proposed_new_state: Some(encode(config, &ty)),
            config: Some(encode(config, &ty)),
            prior_private: private.to_vec(),
            ..Default::default()
        })
    }

    /// A plan by a configured service, from `prior` (holding identity `held`) to `proposed`.
    async fn plan_holding(
        prior: &Value,
        proposed: &Value,
        held: &Value,
    ) -> pb::plan_resource_change::Response {
        let ty = widget_type();
        configured().await.plan(&pb::plan_resource_change::Request {
            type_name: WIDGET.to_owned(),
            prior_state: Some(encode(prior, &ty)),
            proposed_new_state: Some(encode(proposed, &ty)),
            config: Some(encode(proposed, &ty)),
            prior_identity: Some(identity_data(held)),
            ..Default::default()
        })
    }

    #[test]
    fn a_plan_the_resource_refuses_after_modifying_it_fails_with_its_error() {
        let mut config = widget_state("one");
        config.set("size", Value::Null);
        let refused = plan(&Value::Null, &config, b"");
        assert!(refused.planned_state.is_none());
        assert_eq!(refused.diagnostics.len(), 1);
        assert_eq!(refused.diagnostics[0].summary, "Lonely widget");

        let mut config = widget_state("two");
        config.set("size", Value::Null);
        let planned = plan(&Value::Null, &config, b"");
        assert!(planned.diagnostics.is_empty(), "{:?}", planned.diagnostics);
        assert!(planned.planned_state.is_some());
    }

    #[tokio::test]
    async fn planned_identities_follow_the_planned_state() {
        let held = widget_identity("w", Some("east"), Some("alice"));
        let state = widget_state("w");

        let unchanged = plan_holding(&state, &state, &held).await;
        assert_eq!(decode_identity(unchanged.planned_identity.as_ref()), held);

        // The second half of a replacement comes with the first half's planned identity, which
        // belongs to the object being replaced.
        let created = plan_holding(&Value::Null, &state, &held).await;
        assert_eq!(
            decode_identity(created.planned_identity.as_ref()),
            widget_identity("w", Some("east"), None)
        );

        let destroyed = plan_holding(&state, &Value::Null, &held).await;
        assert!(destroyed.planned_identity.is_none());
    }

    fn replaced(response: &pb::plan_resource_change::Response) -> Vec<String> {
        use pb::attribute_path::step::Selector;
        response
            .requires_replace
            .iter()
            .flat_map(|path| &path.steps)
            .filter_map(|step| match &step.selector {
                Some(Selector::AttributeName(name)) => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn an_unobservable_argument_is_adopted_after_an_import_only() {
        let prior = widget_state("w");
        let mut config = prior.clone();
        config.set("source", "s3://bucket/manifest".into());

        let after_import = plan(&prior, &config, IMPORTED);
        assert!(after_import.diagnostics.is_empty(), "{after_import:?}");
        assert!(replaced(&after_import).is_empty());
        assert_eq!(after_import.planned_private, IMPORTED);

        let otherwise = plan(&prior, &config, b"");
        assert_eq!(replaced(&otherwise), ["source"]);
    }

    #[test]
    fn the_resource_adjusts_the_plan() {
        let mut config = widget_state("w");
        config.set("id", Value::Null);
        config.set("size", Value::Null);
        let created = plan(&Value::Null, &config, b"");
        let planned = decode(&created.planned_state.unwrap(), &widget_type());
        // The framework made the computed id unknown; the resource's modify_plan filled the
        // optional size in.
        assert_eq!(planned.get("id"), &Value::Unknown);
        assert_eq!(planned.get("size").as_i64(), Some(1));
    }
}
