//! ApplyResourceChange: create, update or delete, as the planned and prior states say.

use super::{convert, pb, ProviderService};
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::plan::changes_remote_object;
use crate::framework::resource::{Context, Failure, Provider};
use crate::framework::timeouts::Operation;
use crate::framework::value::Value;

impl<P: Provider> ProviderService<P> {
    /// ApplyResourceChange.
    pub(super) async fn apply(
        &self,
        req: &pb::apply_resource_change::Request,
    ) -> pb::apply_resource_change::Response {
        let (new_state, new_identity, diags) = self.applied(req).await;
        pb::apply_resource_change::Response {
            new_state,
            // Any import marker is spent: the apply recorded the configured values.
            private: Vec::new(),
            diagnostics: convert::diagnostics(&diags),
            new_identity,
            ..Default::default()
        }
    }

    async fn applied(
        &self,
        req: &pb::apply_resource_change::Request,
    ) -> (
        Option<pb::DynamicValue>,
        Option<pb::ResourceIdentityData>,
        Diagnostics,
    ) {
        let rt = match self.resource(&req.type_name) {
            Ok(rt) => rt,
            Err(diag) => return (req.prior_state.clone(), None, diag.into()),
        };
        let decoded = (|| {
            let prior = convert::decode(req.prior_state.as_ref(), &rt.ty, "prior state")?;
            let planned = convert::decode(req.planned_state.as_ref(), &rt.ty, "planned state")?;
            let held = rt.decode_identity(req.planned_identity.as_ref(), "planned identity")?;
            Ok::<_, Diagnostic>((prior, planned, held, self.configured_client()?))
        })();
        let (prior, planned, held, client) = match decoded {
            Ok(decoded) => decoded,
            Err(diag) => return (req.prior_state.clone(), None, diag.into()),
        };
        let context = |operation: Operation, value: &Value| Context {
            client: client.as_ref(),
            cancel: self.stop.token(),
            timeout: rt.timeouts.resolve(value, operation),
        };

        let (new_state, mut diags) = if planned.is_null() {
            match rt
                .resource
                .delete(&context(Operation::Delete, &prior), &prior)
                .await
            {
                Ok(()) => (Value::Null, Diagnostics::default()),
                Err(failure) => (prior, failure.diagnostics),
            }
        } else if prior.is_null() {
            match rt
                .resource
                .create(&context(Operation::Create, &planned), &planned)
                .await
            {
                Ok(state) => (state, Diagnostics::default()),
                Err(Failure {
                    diagnostics,
                    partial_state,
                }) => (partial_state.unwrap_or(Value::Null), diagnostics),
            }
        } else if !changes_remote_object(&rt.schema.block, &prior, &planned) {
            (planned, Diagnostics::default())
        } else {
            match rt
                .resource
                .update(&context(Operation::Update, &planned), &prior, &planned)
                .await
            {
                Ok(state) => (state, Diagnostics::default()),
                Err(Failure {
                    diagnostics,
                    partial_state,
                }) => (partial_state.unwrap_or(prior), diagnostics),
            }
        };
        if !new_state.is_wholly_known() {
            diags.push(Diagnostic::error(
                "Provider left a value unknown after apply",
                format!(
                    "{} returned a state with unknown values. This is a bug in the provider; please report it.",
                    req.type_name
                ),
            ));
        }
        let identity = rt.identity_of(&new_state, &held, Some(client.as_ref()));
        let encoded = convert::encode(&new_state, &rt.ty, "new state").and_then(|state| {
            // Terraform refuses an identity with unknowns, which a state with unknowns gives.
            let identity = match identity.is_wholly_known() {
                true => rt.encode_identity(&identity, "new identity")?,
                false => None,
            };
            Ok((state, identity))
        });
        match encoded {
            Ok((state, identity)) => (Some(state), identity, diags),
            Err(diag) => {
                diags.push(diag);
                (req.prior_state.clone(), None, diags)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{
        configured, decode, decode_identity, encode, identity_data, resource_type, widget_identity,
        widget_state, widget_type, FIXTURE, WIDGET,
    };
    use super::super::IMPORTED;
    use super::*;

    async fn apply(
        prior: &Value,
        planned: &Value,
    ) -> (pb::apply_resource_change::Response, Vec<String>) {
        apply_to(WIDGET, prior, planned).await
    }

    async fn apply_to(
        type_name: &str,
        prior: &Value,
        planned: &Value,
    ) -> (pb::apply_resource_change::Response, Vec<String>) {
        let ty = resource_type(type_name);
        let service = configured().await;
        let response = service
            .apply(&pb::apply_resource_change::Request {
                type_name: type_name.to_owned(),
                prior_state: Some(encode(prior, &ty)),
                planned_state: Some(encode(planned, &ty)),
                planned_private: IMPORTED.to_vec(),
                ..Default::default()
            })
            .await;
        let calls = service.configured_client().unwrap().calls();
        (response, calls)
    }

    #[tokio::test]
    async fn the_states_choose_the_operation() {
        let state = widget_state("w");
        let mut resized = state.clone();
        resized.set("size", 2.into());
        let mut new_timeouts = state.clone();
        new_timeouts.set("timeouts", Value::object([("create", "1h".into())]));

        let (created, calls) = apply(&Value::Null, &state).await;
        assert_eq!(calls, ["create w"]);
        assert!(created.private.is_empty(), "the import marker is spent");
        assert_eq!(apply(&state, &resized).await.1, ["update w"]);
        assert_eq!(apply(&state, &Value::Null).await.1, ["delete w"]);
        // Settings for the provider only are recorded without calling the API.
        let (response, calls) = apply(&state, &new_timeouts).await;
        assert!(calls.is_empty());
        assert_eq!(
            decode(&response.new_state.unwrap(), &widget_type()),
            new_timeouts
        );
    }

    #[tokio::test]
    async fn an_apply_answers_the_identity_of_the_new_state() {
        let ty = widget_type();
        let service = configured().await;
        let request =
            |prior: &Value, planned: &Value, held: &Value| pb::apply_resource_change::Request {
                type_name: WIDGET.to_owned(),
                prior_state: Some(encode(prior, &ty)),
                planned_state: Some(encode(planned, &ty)),
                planned_identity: Some(identity_data(held)),
                ..Default::default()
            };
        let state = widget_state("w");
        // A create's planned identity may hold unknowns; none reaches the new identity.
        let mut planned = widget_identity("w", Some("east"), None);
        planned.set("owner", Value::Unknown);
        let created = service
            .apply(&request(&Value::Null, &state, &planned))
            .await;
        assert_eq!(
            decode_identity(created.new_identity.as_ref()),
            widget_identity("w", Some("east"), None)
        );
        let held = widget_identity("w", Some("east"), Some("alice"));
        let kept = service.apply(&request(&state, &state, &held)).await;
        assert_eq!(decode_identity(kept.new_identity.as_ref()), held);
        let deleted = service.apply(&request(&state, &Value::Null, &held)).await;
        assert!(deleted.new_identity.is_none());
    }

    #[tokio::test]
    async fn a_failed_create_keeps_the_partial_state() {
        let (response, _) = apply(&Value::Null, &widget_state("half")).await;
        assert_eq!(response.diagnostics[0].summary, "Create failed");
        let state = decode(&response.new_state.unwrap(), &widget_type());
        assert_eq!(state.get("id").as_str(), Some("half"));
    }

    #[tokio::test]
    async fn a_state_left_unknown_is_a_provider_bug() {
        let mut planned = widget_state("w");
        planned.set("size", Value::Unknown);
        // The test resource's create returns the planned state as it is.
        let (response, _) = apply(&Value::Null, &planned).await;
        assert_eq!(
            response.diagnostics[0].summary,
            "Provider left a value unknown after apply"
        );
    }

    #[tokio::test]
    async fn an_update_of_a_resource_that_only_replaces_fails_and_keeps_the_prior_state() {
        // Terraform replaces a fixture for any change, so this apply is a bug somewhere; it must
        // not record a name the service never received.
        let fixture = |name: &str| Value::object([("id", "f".into()), ("name", name.into())]);
        let (response, calls) = apply_to(FIXTURE, &fixture("a"), &fixture("b")).await;
        assert!(calls.is_empty());
        assert_eq!(
            response.diagnostics[0].summary,
            "In-place update of test_fixture requested"
        );
        let state = decode(&response.new_state.unwrap(), &resource_type(FIXTURE));
        assert_eq!(state, fixture("a"));
    }
}
