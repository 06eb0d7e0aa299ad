//! UpgradeResourceState: stored state, in Terraform's JSON form, brought to the current schema.

use super::{convert, pb, ProviderService};
use crate::framework::diag::Diagnostic;
use crate::framework::resource::Provider;

impl<P: Provider> ProviderService<P> {
    /// UpgradeResourceState.
    pub(super) fn upgrade(
        &self,
        req: &pb::upgrade_resource_state::Request,
    ) -> pb::upgrade_resource_state::Response {
        match self.upgraded_state(req) {
            Ok(state) => pb::upgrade_resource_state::Response {
                upgraded_state: Some(state),
                diagnostics: Vec::new(),
            },
            Err(diag) => pb::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: convert::diagnostics(&diag.into()),
            },
        }
    }

    fn upgraded_state(
        &self,
        req: &pb::upgrade_resource_state::Request,
    ) -> Result<pb::DynamicValue, Diagnostic> {
        let rt = self.resource(&req.type_name)?;
        if req.version > rt.schema.version {
            return Err(Diagnostic::error(
                "State written by a newer provider",
                format!(
                    "The {} state has schema version {}, but this provider knows versions up to {}. \
                     Use the provider version that wrote the state, or a newer one (`terraform \
                     init -upgrade`).",
                    req.type_name, req.version, rt.schema.version
                ),
            ));
        }
        let raw = req.raw_state.as_ref().map(|r| pb::DynamicValue {
            msgpack: Vec::new(),
            json: r.json.clone(),
        });
        let state = convert::decode(raw.as_ref(), &rt.ty, "stored state")?;
        convert::encode(&state, &rt.ty, "upgraded state")
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{decode, service, widget_type, WIDGET};
    use super::*;

    fn upgrade(version: i64, json: &str) -> pb::upgrade_resource_state::Response {
        service().upgrade(&pb::upgrade_resource_state::Request {
            type_name: WIDGET.to_owned(),
            version,
            raw_state: Some(pb::RawState {
                json: json.as_bytes().to_vec(),
                ..Default::default()
            }),
        })
    }

    #[test]
    fn json_state_comes_back_as_msgpack() {
        let response = upgrade(0, r#"{"id": "w", "name": "w", "size": 3}"#);
        assert!(response.diagnostics.is_empty(), "{response:?}");
        let state = response.upgraded_state.unwrap();
        assert!(state.json.is_empty());
        let state = decode(&state, &widget_type());
        assert_eq!(state.get("size").as_i64(), Some(3));
        assert!(state.get("timeouts").is_null());
    }

    #[test]
    fn state_from_a_newer_schema_is_refused() {
        let response = upgrade(7, r#"{"id": "w"}"#);
        assert!(response.upgraded_state.is_none());
        assert_eq!(
            response.diagnostics[0].summary,
            "State written by a newer provider"
        );
        assert!(response.diagnostics[0].detail.contains("schema version 7"));
    }
}
