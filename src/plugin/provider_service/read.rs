//! ReadResource: the refresh of one resource instance.

use super::{convert, pb, ProviderService};
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::resource::Provider;
use crate::framework::value::Value;

impl<P: Provider> ProviderService<P> {
    /// ReadResource. A failed refresh keeps the stored state: it must not drop the resource.
    pub(super) async fn read(
        &self,
        req: pb::read_resource::Request,
    ) -> pb::read_resource::Response {
        let mut diags = Diagnostics::default();
        let new_state = match self.refresh(&req, &mut diags).await {
            Ok(state) => state,
            Err(diag) => {
                diags.push(diag);
                req.current_state
            }
        };
        pb::read_resource::Response {
            new_state,
            diagnostics: convert::diagnostics(&diags),
            private: req.private,
            ..Default::default()
        }
    }

    async fn refresh(
        &self,
        req: &pb::read_resource::Request,
        diags: &mut Diagnostics,
    ) -> Result<Option<pb::DynamicValue>, Diagnostic> {
        let rt = self.resource(&req.type_name)?;
        let state = convert::decode(req.current_state.as_ref(), &rt.ty, "current state")?;
        if state.is_null() {
            return Ok(None);
        }
        let client = self.configured_client()?;
        let ctx = self.read_context(client.as_ref());
        match rt.resource.read(&ctx, &state).await {
            Ok(Some(new_state)) => convert::encode(&new_state, &rt.ty, "refreshed state").map(Some),
            Ok(None) => {
                diags.push(gone_warning(&req.type_name, &state));
                convert::encode(&Value::Null, &rt.ty, "refreshed state").map(Some)
            }
            Err(failure) => {
                diags.extend(failure.diagnostics);
                Ok(req.current_state.clone())
            }
        }
    }
}

/// The warning for a resource that a refresh found gone. It is worded for every command that
/// refreshes (plan, apply, destroy, import) and every kind of ID: a model that comes back is a
/// new version with a new ID, so it says "a new one", not "it".
fn gone_warning(type_name: &str, state: &Value) -> Diagnostic {
    let id = state.get("id").as_str().unwrap_or("(unknown id)");
    Diagnostic::warning(
        format!("{type_name} {id:?} was deleted outside Terraform"),
        format!(
            "The service no longer has {type_name} {id:?} (or is deleting it), so Terraform \
             removed it from the state. While the configuration still declares it, \
             Terraform plans to create a new one in its place; to keep it deleted, remove its \
             resource block."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::{configured, decode, encode, widget_state, widget_type, WIDGET};
    use super::*;

    async fn read(id: &str) -> pb::read_resource::Response {
        let state = encode(&widget_state(id), &widget_type());
        configured()
            .await
            .read(pb::read_resource::Request {
                type_name: WIDGET.to_owned(),
                current_state: Some(state),
                private: b"kept".to_vec(),
                ..Default::default()
            })
            .await
    }

    #[tokio::test]
    async fn a_refresh_returns_the_read_state_and_keeps_private_data() {
        let response = read("w1").await;
        assert!(response.diagnostics.is_empty(), "{response:?}");
        let state = decode(&response.new_state.unwrap(), &widget_type());
        assert_eq!(state.get("size").as_i64(), Some(1));
        assert_eq!(response.private, b"kept");
    }

    #[tokio::test]
    async fn a_resource_gone_is_null_with_a_warning() {
        let response = read("gone").await;
        assert!(decode(&response.new_state.unwrap(), &widget_type()).is_null());
        assert_eq!(
            response.diagnostics[0].summary,
            format!("{WIDGET} \"gone\" was deleted outside Terraform")
        );
        assert_eq!(
            response.diagnostics[0].severity,
            pb::diagnostic::Severity::Warning as i32
        );
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_the_stored_state() {
        let response = read("broken").await;
        let state = decode(&response.new_state.unwrap(), &widget_type());
        assert_eq!(state, widget_state("broken"));
        assert_eq!(response.diagnostics[0].summary, "Read failed");
    }

    #[tokio::test]
    async fn an_unconfigured_provider_keeps_the_stored_state() {
        let service = super::super::testing::service();
        let state = encode(&widget_state("w1"), &widget_type());
        let response = service
            .read(pb::read_resource::Request {
                type_name: WIDGET.to_owned(),
                current_state: Some(state.clone()),
                ..Default::default()
            })
            .await;
        assert_eq!(response.new_state, Some(state));
        assert_eq!(response.diagnostics[0].summary, "Provider not configured");
    }
}
