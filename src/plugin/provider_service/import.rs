//! ImportResourceState: an import ID turned into the identifying attributes of a state.

use super::{convert, pb, ProviderService, IMPORTED};
use crate::framework::diag::{AttributePath, Diagnostic, Diagnostics, Severity};
use crate::framework::resource::{invalid_import_id, Provider};

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
        let state = rt.resource.import(&req.id)?;
        // The ID fills identifying attributes, so it must satisfy their validators too.
        let mut diags = Diagnostics::default();
        rt.schema
            .block
            .validate(&state, &AttributePath::default(), &mut diags);
        if let Some(invalid) = diags.0.into_iter().find(|d| d.severity == Severity::Error) {
            return Err(invalid_import_id(
                &req.type_name,
                &format!("The ID {:?} is not valid: {}", req.id, invalid.detail),
            ));
        }
        Ok(pb::import_resource_state::ImportedResource {
            type_name: req.type_name.clone(),
            state: Some(convert::encode(&state, &rt.ty, "imported state")?),
            private: IMPORTED.to_vec(),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{decode, service, widget_type, WIDGET};
    use super::*;

    fn import(id: &str) -> pb::import_resource_state::Response {
        service().import(&pb::import_resource_state::Request {
            type_name: WIDGET.to_owned(),
            id: id.to_owned(),
            ..Default::default()
        })
    }

    #[test]
    fn an_import_marks_the_state_as_imported() {
        let response = import("w1");
        let imported = &response.imported_resources[0];
        assert_eq!(imported.private, IMPORTED);
        let state = decode(imported.state.as_ref().unwrap(), &widget_type());
        assert_eq!(state.get("name").as_str(), Some("w1"));
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
}
