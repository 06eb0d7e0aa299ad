//! UpgradeResourceState: stored state brought to the current schema by the framework
//! ([`upgrade_state`]), and handed back in msgpack.

use super::{convert, pb, ProviderService};
use crate::framework::diag::Diagnostic;
use crate::framework::resource::Provider;
use crate::framework::upgrade::{upgrade_state, StoredState};

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
        let stored = match &req.raw_state {
            Some(raw) if !raw.json.is_empty() => StoredState::Json(&raw.json),
            Some(raw) if !raw.flatmap.is_empty() => StoredState::Flatmap(&raw.flatmap),
            _ => StoredState::Absent,
        };
        let state = upgrade_state(rt.resource.as_ref(), &rt.schema, req.version, stored)?;
        convert::encode(&state, &rt.ty, "upgraded state")
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{decode, service, widget_type, WIDGET};
    use super::*;

    fn upgrade(version: i64, raw_state: pb::RawState) -> pb::upgrade_resource_state::Response {
        service().upgrade(&pb::upgrade_resource_state::Request {
            type_name: WIDGET.to_owned(),
            version,
            raw_state: Some(raw_state),
        })
    }

    fn json(json: &str) -> pb::RawState {
        pb::RawState {
            json: json.as_bytes().to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn json_state_comes_back_as_msgpack() {
        // `color` was never in the schema here; it stands for an attribute a version removed.
        let response = upgrade(
            0,
            json(r#"{"id": "w", "name": "w", "size": 3, "color": "red"}"#),
        );
        assert!(response.diagnostics.is_empty(), "{response:?}");
        let state = response.upgraded_state.unwrap();
        assert!(state.json.is_empty());
        let state = decode(&state, &widget_type());
        assert_eq!(state.get("size").as_i64(), Some(3));
        assert!(state.get("timeouts").is_null());
    }

    #[test]
    fn state_from_a_newer_schema_is_refused() {
        let response = upgrade(7, json(r#"{"id": "w"}"#));
        assert!(response.upgraded_state.is_none());
        assert_eq!(
            response.diagnostics[0].summary,
            "State written by a newer provider"
        );
        assert!(response.diagnostics[0].detail.contains("schema version 7"));
    }

    #[test]
    fn flatmap_state_is_refused_and_empty_state_is_null() {
        let flatmap = pb::RawState {
            flatmap: [("id".to_owned(), "w".to_owned())].into(),
            ..Default::default()
        };
        let response = upgrade(0, flatmap);
        assert!(response.upgraded_state.is_none());
        assert_eq!(
            response.diagnostics[0].summary,
            "Legacy flatmap state is not supported"
        );

        let response = upgrade(0, pb::RawState::default());
        let state = decode(&response.upgraded_state.unwrap(), &widget_type());
        assert!(state.is_null());
    }
}
