//! MoveResourceState: another resource type's stored state (possibly another provider's)
//! turned into a state of one of this provider's types, for a `moved` block.
//!
//! Terraform sends it to an unconfigured provider, before planning, with the source state as
//! stored (JSON; OpenTofu may send the flat form) and its identity if it has one. The target
//! resource decides which sources it accepts; its identity is computed from the moved state,
//! with what the state cannot tell taken from the source identity's attributes of the same
//! names (`account_id`, `region`).

use serde_json::{Map, Value as Json};

use super::{convert, pb, ProviderService};
use crate::framework::diag::Diagnostic;
use crate::framework::json::{self, Undeclared};
use crate::framework::moves::MoveSource;
use crate::framework::resource::Provider;
use crate::framework::value::Value;

impl<P: Provider> ProviderService<P> {
    /// MoveResourceState.
    pub(super) fn move_resource(
        &self,
        req: &pb::move_resource_state::Request,
    ) -> pb::move_resource_state::Response {
        match self.moved(req) {
            Ok((state, identity)) => pb::move_resource_state::Response {
                target_state: Some(state),
                target_identity: identity,
                ..Default::default()
            },
            Err(diag) => pb::move_resource_state::Response {
                diagnostics: convert::diagnostics(&diag.into()),
                ..Default::default()
            },
        }
    }

    fn moved(
        &self,
        req: &pb::move_resource_state::Request,
    ) -> Result<(pb::DynamicValue, Option<pb::ResourceIdentityData>), Diagnostic> {
        let target = &req.target_type_name;
        let rt = self.resource(target)?;
        let unreadable = |what: &str, err: json::DecodeError| {
            Diagnostic::error(
                format!("Unreadable {what} of {}", req.source_type_name),
                format!(
                    "The stored {what} of the {} being moved to {target} is not valid JSON: \
                     {err}. If the state was edited by hand, restore it.",
                    req.source_type_name
                ),
            )
        };
        let state =
            stored_state(req.source_state.as_ref()).map_err(|err| unreadable("state", err))?;
        let identity = match req
            .source_identity
            .as_ref()
            .filter(|raw| !raw.json.is_empty())
        {
            Some(raw) => Some(json::parse(&raw.json).map_err(|err| unreadable("identity", err))?),
            None => None,
        };
        let source = MoveSource {
            provider_address: &req.source_provider_address,
            type_name: &req.source_type_name,
            schema_version: req.source_schema_version,
            state: &state,
            identity: identity.as_ref(),
        };
        let moved = rt.resource.move_state(&source)?;
        let invalid = |problem: &str| {
            Diagnostic::error(
                format!("Cannot move {} to {target}", req.source_type_name),
                format!(
                    "The {} being moved does not make a valid {target}: {problem} Correct the \
                     stored state, or import the object instead.",
                    req.source_type_name
                ),
            )
        };
        rt.check_identifying(&moved, invalid)?;
        // What the source identity says where the moved state cannot tell, if its attributes
        // carry this type's identity names.
        let held = match (&rt.identity, &identity) {
            (Some(schema), Some(source)) => {
                json::from_value(source, &schema.ty, Undeclared::Drop).unwrap_or(Value::Null)
            }
            _ => Value::Null,
        };
        let target_identity = rt.identity_of(&moved, &held, self.client().as_deref());
        let mismatches = rt.identity_mismatches(&held, &target_identity);
        if let Some(mismatch) = mismatches.first() {
            return Err(invalid(&format!(
                "its identity says `{}` is {:?}, but its state says {:?}.",
                mismatch.attribute, mismatch.recorded, mismatch.found
            )));
        }
        Ok((
            convert::encode(&moved, &rt.ty, "moved state")?,
            rt.encode_identity(&target_identity, "moved identity")?,
        ))
    }
}

/// The source's stored attributes as a JSON object: Terraform sends JSON, OpenTofu may send
/// the flat `name = "value"` form, which for the flat attributes a move reads is the same.
fn stored_state(raw: Option<&pb::RawState>) -> Result<Json, json::DecodeError> {
    match raw {
        Some(raw) if !raw.json.is_empty() => json::parse(&raw.json),
        Some(raw) => Ok(Json::Object(
            raw.flatmap
                .iter()
                .map(|(name, value)| (name.clone(), Json::String(value.clone())))
                .collect::<Map<_, _>>(),
        )),
        None => Ok(Json::Object(Map::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{
        configured, decode, decode_identity, raw_json, service, widget_identity, widget_type,
        WIDGET,
    };
    use super::*;

    fn request(
        source_type: &str,
        state: pb::RawState,
        identity: Option<&str>,
    ) -> pb::move_resource_state::Request {
        pb::move_resource_state::Request {
            source_provider_address: "example.com/test/gizmos".to_owned(),
            source_type_name: source_type.to_owned(),
            source_schema_version: 2,
            source_state: Some(state),
            target_type_name: WIDGET.to_owned(),
            source_identity: identity.map(raw_json),
            ..Default::default()
        }
    }

    fn summaries(response: &pb::move_resource_state::Response) -> Vec<&str> {
        response
            .diagnostics
            .iter()
            .map(|d| d.summary.as_str())
            .collect()
    }

    #[test]
    fn a_move_from_an_accepted_source_keeps_what_its_identity_tells() {
        let response = service().move_resource(&request(
            "test_gizmo",
            raw_json(r#"{"label": "w1", "colour": "red"}"#),
            Some(r#"{"label": "w1", "owner": "alice"}"#),
        ));
        assert!(response.diagnostics.is_empty(), "{response:?}");
        let state = decode(response.target_state.as_ref().unwrap(), &widget_type());
        assert_eq!(state.get("name").as_str(), Some("w1"));
        // Unconfigured, as Terraform sends moves: no region, the owner from the source.
        assert_eq!(
            decode_identity(response.target_identity.as_ref()),
            widget_identity("w1", None, Some("alice"))
        );
        assert!(response.target_private.is_empty());
    }

    #[test]
    fn the_flat_state_opentofu_may_send_moves_too() {
        let flat = pb::RawState {
            flatmap: [("label".to_owned(), "w2".to_owned())].into(),
            ..Default::default()
        };
        let response = service().move_resource(&request("test_gizmo", flat, None));
        let state = decode(response.target_state.as_ref().unwrap(), &widget_type());
        assert_eq!(state.get("name").as_str(), Some("w2"));
    }

    #[test]
    fn other_sources_and_invalid_states_are_refused_naming_why() {
        let other = service().move_resource(&request("test_gadget", raw_json("{}"), None));
        assert_eq!(
            summaries(&other),
            ["Cannot move test_gadget to test_widget"]
        );
        assert!(other.diagnostics[0]
            .detail
            .contains("can only be moved from test_gizmo of example.com/test/gizmos"));
        assert!(other.target_state.is_none());

        let invalid = service().move_resource(&request(
            "test_gizmo",
            raw_json(r#"{"label": "much-too-long"}"#),
            None,
        ));
        assert_eq!(
            summaries(&invalid),
            ["Cannot move test_gizmo to test_widget"]
        );
        assert!(invalid.diagnostics[0].detail.contains("name must be"));

        let garbage = service().move_resource(&request("test_gizmo", raw_json("{"), None));
        assert_eq!(summaries(&garbage), ["Unreadable state of test_gizmo"]);
    }

    #[tokio::test]
    async fn a_source_identity_that_contradicts_the_state_is_refused() {
        let response = configured().await.move_resource(&request(
            "test_gizmo",
            raw_json(r#"{"label": "w1"}"#),
            Some(r#"{"region": "west"}"#),
        ));
        assert_eq!(
            summaries(&response),
            ["Cannot move test_gizmo to test_widget"]
        );
        assert!(response.diagnostics[0]
            .detail
            .contains("its identity says `region` is \"west\""));
    }
}
