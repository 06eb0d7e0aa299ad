//! ImportResourceState: an import ID, or an import identity (Terraform 1.12 and later), turned
//! into the identifying attributes of a state, and its identity.

use super::identity::foreign_identity;
use super::{convert, pb, ProviderService, ResourceType, IMPORTED};
use crate::framework::diag::Diagnostic;
use crate::framework::resource::{invalid_import_id, invalid_import_identity, Provider};
use crate::framework::value::Value;

impl<P: Provider> ProviderService<P> {
    /// ImportResourceState.
    pub(super) fn import(
        &self,
        req: &pb::import_resource_state::Request,
    ) -> pb::import_resource_state::Response {
        match self.imported(req) {
            Ok(imported) => pb::import_resource_state::Response {
                imported_resources: vec![imported],
                ..Default::default()
            },
            Err(diag) => pb::import_resource_state::Response {
                diagnostics: convert::diagnostics(&diag.into()),
                ..Default::default()
            },
        }
    }

    fn imported(
        &self,
        req: &pb::import_resource_state::Request,
    ) -> Result<pb::import_resource_state::ImportedResource, Diagnostic> {
        let rt = self.resource(&req.type_name)?;
        let client = self.client();
        let given = req.identity.as_ref().and_then(|i| i.identity_data.as_ref());
        let (state, held) = match given {
            // Terraform sends an identity with an empty ID; an ID alongside it is ignored, as
            // Terraform never sends both.
            Some(given) => {
                let identity = given_identity(rt, given)?;
                let state = rt.resource.import_identity(&identity)?;
                rt.check_identifying(&state, |problem| {
                    invalid_import_identity(&req.type_name, problem)
                })?;
                (state, identity)
            }
            None => {
                let state = rt.resource.import(&req.id)?;
                // The ID fills identifying attributes, so it must satisfy their validators too.
                rt.check_identifying(&state, |problem| {
                    invalid_import_id(
                        &req.type_name,
                        &format!("The ID {:?} is not valid: {problem}", req.id),
                    )
                })?;
                (state, Value::Null)
            }
        };
        let identity = rt.identity_of(&state, &held, client.as_deref());
        let mismatches = rt.identity_mismatches(&held, &identity);
        if !mismatches.is_empty() {
            return Err(foreign_identity(&req.type_name, &mismatches));
        }
        Ok(pb::import_resource_state::ImportedResource {
            type_name: req.type_name.clone(),
            state: Some(convert::encode(&state, &rt.ty, "imported state")?),
            private: IMPORTED.to_vec(),
            identity: rt.encode_identity(&identity, "imported identity")?,
        })
    }
}

/// The identity an `import` block gives, decoded and checked for the attributes required for
/// import.
fn given_identity<C>(rt: &ResourceType<C>, given: &pb::DynamicValue) -> Result<Value, Diagnostic> {
    let type_name = rt.resource.type_name();
    let Some(identity) = &rt.identity else {
        return Err(invalid_import_identity(
            type_name,
            &format!("{type_name} has no identity; import it by ID instead."),
        ));
    };
    let names: Vec<&str> = identity
        .schema
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    // Terraform drops attributes the schema lacks, so only another client sends them; the
    // decoder's message names the attribute at fault.
    let value = convert::decode_value(Some(given), &identity.ty).map_err(|err| {
        invalid_import_identity(
            type_name,
            &format!(
                "The identity does not fit: {err}. The identity of {type_name} has the \
                 attributes {}.",
                names.join(", ")
            ),
        )
    })?;
    let missing = identity.schema.missing_for_import(&value);
    if !missing.is_empty() {
        return Err(invalid_import_identity(
            type_name,
            &format!(
                "It must set {}; it sets no value for {}.",
                identity
                    .schema
                    .attributes
                    .iter()
                    .filter(|a| a.required_for_import)
                    .map(|a| format!("`{}`", a.name))
                    .collect::<Vec<_>>()
                    .join(" and "),
                missing
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{
        configured, decode, decode_identity, encode, identity_data, service, widget_identity,
        widget_identity_type, widget_type, WIDGET,
    };
    use super::*;
    use crate::framework::value::Type;

    fn import(id: &str) -> pb::import_resource_state::Response {
        service().import(&pb::import_resource_state::Request {
            type_name: WIDGET.to_owned(),
            id: id.to_owned(),
            ..Default::default()
        })
    }

    /// An import by `identity` (as Terraform sends it: no ID) on a configured service.
    async fn import_identity(identity: pb::DynamicValue) -> pb::import_resource_state::Response {
        configured()
            .await
            .import(&pb::import_resource_state::Request {
                type_name: WIDGET.to_owned(),
                identity: Some(pb::ResourceIdentityData {
                    identity_data: Some(identity),
                }),
                ..Default::default()
            })
    }

    fn only_error(response: &pb::import_resource_state::Response) -> &pb::Diagnostic {
        assert!(response.imported_resources.is_empty(), "{response:?}");
        assert_eq!(response.diagnostics.len(), 1, "{response:?}");
        &response.diagnostics[0]
    }

    #[test]
    fn an_import_marks_the_state_as_imported() {
        let response = import("w1");
        let imported = &response.imported_resources[0];
        assert_eq!(imported.private, IMPORTED);
        let state = decode(imported.state.as_ref().unwrap(), &widget_type());
        assert_eq!(state.get("name").as_str(), Some("w1"));
        // Unconfigured, the service knows no region.
        assert_eq!(
            decode_identity(imported.identity.as_ref()),
            widget_identity("w1", None, None)
        );
    }

    #[test]
    fn an_id_must_satisfy_the_validators_of_what_it_fills() {
        let response = import("much-too-long");
        assert!(response.imported_resources.is_empty());
        let diag = &response.diagnostics[0];
        assert_eq!(diag.summary, format!("Invalid import ID for {WIDGET}"));
        assert!(diag
            .detail
            .starts_with("The ID \"much-too-long\" is not valid: name must be"));
    }

    #[tokio::test]
    async fn an_identity_import_keeps_what_it_gives_and_fills_the_rest() {
        let given = widget_identity("w1", None, Some("alice"));
        let response = import_identity(identity_data(&given).identity_data.unwrap()).await;
        assert!(response.diagnostics.is_empty(), "{response:?}");
        let imported = &response.imported_resources[0];
        let state = decode(imported.state.as_ref().unwrap(), &widget_type());
        assert_eq!(state.get("name").as_str(), Some("w1"));
        assert_eq!(
            decode_identity(imported.identity.as_ref()),
            widget_identity("w1", Some("east"), Some("alice"))
        );
    }

    #[tokio::test]
    async fn an_identity_import_without_a_required_attribute_names_it() {
        let given = widget_identity("w1", Some("east"), None);
        let mut given = given;
        given.set("name", Value::Null);
        let response = import_identity(identity_data(&given).identity_data.unwrap()).await;
        let diag = only_error(&response);
        assert_eq!(
            diag.summary,
            format!("Invalid import identity for {WIDGET}")
        );
        assert!(
            diag.detail
                .starts_with("It must set `name`; it sets no value for `name`."),
            "{diag:?}"
        );
    }

    #[tokio::test]
    async fn an_identity_import_with_an_unknown_attribute_names_it_and_those_there_are() {
        let mut with_colour = widget_identity_type();
        if let Type::Object(attributes) = &mut with_colour {
            attributes.insert("colour".into(), Type::String);
        }
        let mut given = widget_identity("w1", None, None);
        given.set("colour", "red".into());
        let response = import_identity(encode(&given, &with_colour)).await;
        let diag = only_error(&response);
        assert_eq!(
            diag.summary,
            format!("Invalid import identity for {WIDGET}")
        );
        assert!(
            diag.detail.contains("unsupported attribute \"colour\""),
            "{diag:?}"
        );
        assert!(
            diag.detail
                .contains("has the attributes name, region, owner"),
            "{diag:?}"
        );
    }

    #[tokio::test]
    async fn an_identity_import_checks_validators_and_the_provider_region() {
        let invalid = widget_identity("much-too-long", None, None);
        let response = import_identity(identity_data(&invalid).identity_data.unwrap()).await;
        let diag = only_error(&response);
        assert_eq!(
            diag.summary,
            format!("Invalid import identity for {WIDGET}")
        );
        assert!(diag.detail.starts_with("name must be"), "{diag:?}");

        let elsewhere = widget_identity("w1", Some("west"), None);
        let response = import_identity(identity_data(&elsewhere).identity_data.unwrap()).await;
        let diag = only_error(&response);
        assert_eq!(
            diag.summary,
            format!("Import identity of {WIDGET} does not match the provider")
        );
        assert!(
            diag.detail.contains("\"west\" in the import block"),
            "{diag:?}"
        );
    }

    #[tokio::test]
    async fn a_resource_without_identity_refuses_an_identity_import() {
        let response = configured()
            .await
            .import(&pb::import_resource_state::Request {
                type_name: super::super::testing::FIXTURE.to_owned(),
                identity: Some(identity_data(&widget_identity("f", None, None))),
                ..Default::default()
            });
        let diag = only_error(&response);
        assert!(diag.detail.contains("import it by ID instead"), "{diag:?}");
    }
}
