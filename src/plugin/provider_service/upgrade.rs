//! UpgradeResourceState and UpgradeResourceIdentity: stored state brought to the current schema
//! by the framework ([`upgrade_state`]), a stored identity to the current identity schema, and
//! both handed back in msgpack.

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

    /// UpgradeResourceIdentity. Terraform calls it when the stored identity's version differs
    /// from the schema's; every identity here is still at its first version, so only a
    /// stored identity of that version (read again as it is) can be upgraded.
    pub(super) fn upgrade_identity(
        &self,
        req: &pb::upgrade_resource_identity::Request,
    ) -> pb::upgrade_resource_identity::Response {
        match self.upgraded_identity(req) {
            Ok(identity) => pb::upgrade_resource_identity::Response {
                upgraded_identity: Some(identity),
                diagnostics: Vec::new(),
            },
            Err(diag) => pb::upgrade_resource_identity::Response {
                upgraded_identity: None,
                diagnostics: convert::diagnostics(&diag.into()),
            },
        }
    }

    fn upgraded_identity(
        &self,
        req: &pb::upgrade_resource_identity::Request,
    ) -> Result<pb::ResourceIdentityData, Diagnostic> {
        let type_name = &req.type_name;
        let rt = self.resource(type_name)?;
        let Some(identity) = &rt.identity else {
            return Err(Diagnostic::error(
                format!("{type_name} has no identity"),
                format!(
                    "Terraform asked to upgrade a stored identity of {type_name}, which has no \
                     identity schema in this provider version. Use the provider version that \
                     wrote the state, or remove the resource from the state and import it again."
                ),
            ));
        };
        let current = identity.schema.version;
        if req.version != current {
            let (summary, advice) = if req.version > current {
                (
                    "Identity written by a newer provider",
                    "Use the provider version that wrote the state, or a newer one \
                     (`terraform init -upgrade`).",
                )
            } else {
                (
                    "Unknown identity version",
                    "Versions below it never existed, so the state was edited by hand or \
                     damaged: restore it from a backup.",
                )
            };
            return Err(Diagnostic::error(
                summary,
                format!(
                    "The stored identity of {type_name} has version {}, but this provider's \
                     identity of {type_name} is version {current}. {advice}",
                    req.version
                ),
            ));
        }
        let raw = req
            .raw_identity
            .as_ref()
            .map_or(&[][..], |raw| &raw.json[..]);
        let unreadable = |problem: String| {
            Diagnostic::error(
                format!("Unreadable stored identity of {type_name}"),
                format!(
                    "{problem} If the state was edited by hand, restore it; otherwise this is a \
                     bug in the provider; please report it."
                ),
            )
        };
        if raw.is_empty() {
            return Err(unreadable(format!(
                "Terraform sent no stored identity of {type_name} to upgrade."
            )));
        }
        let value = crate::framework::json::decode(raw, &identity.ty).map_err(|err| {
            unreadable(format!(
                "The stored identity of {type_name} does not fit its identity schema: {err}."
            ))
        })?;
        let data = convert::encode(&value, &identity.ty, "upgraded identity")?;
        Ok(pb::ResourceIdentityData {
            identity_data: Some(data),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{
        decode, decode_identity, service, widget_identity, widget_type, FIXTURE, WIDGET,
    };
    use super::*;

    fn upgrade_identity(
        type_name: &str,
        version: i64,
        json: &str,
    ) -> pb::upgrade_resource_identity::Response {
        service().upgrade_identity(&pb::upgrade_resource_identity::Request {
            type_name: type_name.to_owned(),
            version,
            raw_identity: Some(pb::RawState {
                json: json.as_bytes().to_vec(),
                ..Default::default()
            }),
        })
    }

    fn summary(response: &pb::upgrade_resource_identity::Response) -> &str {
        assert!(response.upgraded_identity.is_none(), "{response:?}");
        &response.diagnostics[0].summary
    }

    #[test]
    fn a_stored_identity_of_the_current_version_comes_back_as_msgpack() {
        let response = upgrade_identity(WIDGET, 0, r#"{"name": "w", "region": "east"}"#);
        assert!(response.diagnostics.is_empty(), "{response:?}");
        let data = response.upgraded_identity.as_ref();
        assert!(data
            .unwrap()
            .identity_data
            .as_ref()
            .unwrap()
            .json
            .is_empty());
        assert_eq!(
            decode_identity(data),
            widget_identity("w", Some("east"), None)
        );
    }

    #[test]
    fn identities_that_cannot_be_upgraded_say_why() {
        assert_eq!(
            summary(&upgrade_identity(WIDGET, 3, r#"{"name": "w"}"#)),
            "Identity written by a newer provider"
        );
        assert_eq!(
            summary(&upgrade_identity(WIDGET, -1, r#"{"name": "w"}"#)),
            "Unknown identity version"
        );
        assert_eq!(
            summary(&upgrade_identity(WIDGET, 0, "")),
            "Unreadable stored identity of test_widget"
        );
        let extra = upgrade_identity(WIDGET, 0, r#"{"name": "w", "colour": "red"}"#);
        assert!(
            extra.diagnostics[0]
                .detail
                .contains("unsupported attribute \"colour\""),
            "{extra:?}"
        );
        assert_eq!(
            summary(&upgrade_identity(FIXTURE, 0, r#"{"name": "w"}"#)),
            "test_fixture has no identity"
        );
    }

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
