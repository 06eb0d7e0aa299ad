//! ReadResource: the refresh of one resource instance.

use super::identity::changed_identity;
use super::{bounded_read, convert, pb, ProviderService};
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::resource::Provider;
use crate::framework::value::Value;

impl<P: Provider> ProviderService<P> {
    /// ReadResource. A failed refresh keeps the stored state and identity: it must not drop
    /// the resource.
    pub(super) async fn read(
        &self,
        req: pb::read_resource::Request,
    ) -> pb::read_resource::Response {
        let mut diags = Diagnostics::default();
        let (new_state, new_identity) = match self.refresh(&req, &mut diags).await {
            Ok(refreshed) => refreshed,
            Err(diag) => {
                diags.push(diag);
                (req.current_state, req.current_identity)
            }
        };
        pb::read_resource::Response {
            new_state,
            diagnostics: convert::diagnostics(&diags),
            private: req.private,
            new_identity,
            ..Default::default()
        }
    }

    /// The refreshed state and its identity.
    async fn refresh(
        &self,
        req: &pb::read_resource::Request,
        diags: &mut Diagnostics,
    ) -> Result<(Option<pb::DynamicValue>, Option<pb::ResourceIdentityData>), Diagnostic> {
        let rt = self.resource(&req.type_name)?;
        let state = convert::decode(req.current_state.as_ref(), &rt.ty, "current state")?;
        let held = rt.decode_identity(req.current_identity.as_ref(), "current identity")?;
        if state.is_null() {
            return Ok((None, None));
        }
        let client = self.configured_client()?;
        let ctx = self.read_context(client.as_ref());
        let kept = (req.current_state.clone(), req.current_identity.clone());
        let what = format!(
            "{} {:?}",
            req.type_name,
            state.get("id").as_str().unwrap_or("(unknown id)")
        );
        match bounded_read(&ctx, &what, rt.resource.read(&ctx, &state)).await {
            Ok(Some(new_state)) => {
                let identity = rt.identity_of(&new_state, &held, Some(client.as_ref()));
                let mismatches = rt.identity_mismatches(&held, &identity);
                if !mismatches.is_empty() {
                    let id = state.get("id").as_str().unwrap_or("(unknown id)");
                    diags.push(changed_identity(&req.type_name, id, &mismatches));
                    return Ok(kept);
                }
                Ok((
                    Some(convert::encode(&new_state, &rt.ty, "refreshed state")?),
                    rt.encode_identity(&identity, "refreshed identity")?,
                ))
            }
            Ok(None) => {
                diags.push(gone_warning(&req.type_name, &state));
                let gone = convert::encode(&Value::Null, &rt.ty, "refreshed state")?;
                Ok((Some(gone), None))
            }
            Err(failure) => {
                diags.extend(failure.diagnostics);
                Ok(kept)
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
    use super::super::testing::{
        configured, decode, decode_identity, encode, identity_data, widget_identity, widget_state,
        widget_type, WIDGET,
    };
    use super::*;

    async fn read(id: &str) -> pb::read_resource::Response {
        read_holding(id, None).await
    }

    /// A refresh of widget `id`, with the identity Terraform holds for it, if any.
    async fn read_holding(id: &str, held: Option<&Value>) -> pb::read_resource::Response {
        let state = encode(&widget_state(id), &widget_type());
        configured()
            .await
            .read(pb::read_resource::Request {
                type_name: WIDGET.to_owned(),
                current_state: Some(state),
                private: b"kept".to_vec(),
                current_identity: held.map(identity_data),
                ..Default::default()
            })
            .await
    }

    #[tokio::test]
    async fn a_refresh_reports_the_identity_keeping_what_the_state_cannot_tell() {
        let fresh = read("w1").await;
        assert_eq!(
            decode_identity(fresh.new_identity.as_ref()),
            widget_identity("w1", Some("east"), None)
        );
        let held = widget_identity("w1", None, Some("alice"));
        let refreshed = read_holding("w1", Some(&held)).await;
        assert!(refreshed.diagnostics.is_empty(), "{refreshed:?}");
        assert_eq!(
            decode_identity(refreshed.new_identity.as_ref()),
            widget_identity("w1", Some("east"), Some("alice"))
        );
    }

    #[tokio::test]
    async fn an_identity_contradicting_the_held_one_keeps_state_and_identity() {
        let held = widget_identity("w1", Some("west"), None);
        let response = read_holding("w1", Some(&held)).await;
        assert_eq!(
            response.diagnostics[0].summary,
            format!("Identity of {WIDGET} \"w1\" does not match the object found")
        );
        assert!(response.diagnostics[0]
            .detail
            .contains("`region` is \"west\""));
        assert_eq!(
            decode(&response.new_state.unwrap(), &widget_type()),
            widget_state("w1")
        );
        assert_eq!(decode_identity(response.new_identity.as_ref()), held);
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
        let held = widget_identity("gone", Some("east"), None);
        let response = read_holding("gone", Some(&held)).await;
        assert!(decode(&response.new_state.unwrap(), &widget_type()).is_null());
        assert!(response.new_identity.is_none(), "no object, no identity");
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
        let held = widget_identity("broken", Some("east"), Some("alice"));
        let response = read_holding("broken", Some(&held)).await;
        let state = decode(&response.new_state.unwrap(), &widget_type());
        assert_eq!(state, widget_state("broken"));
        assert_eq!(decode_identity(response.new_identity.as_ref()), held);
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
