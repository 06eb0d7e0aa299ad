//! What every RPC that carries a resource identity shares: decoding the identity Terraform
//! holds, computing the one to answer (the resource's, completed from what Terraform holds),
//! refusing one that contradicts what Terraform holds, and checking the identifying
//! attributes an import or a move fills.

use super::{convert, pb, ResourceType};
use crate::framework::diag::{AttributePath, Diagnostic, Diagnostics, Severity};
use crate::framework::identity::Mismatch;
use crate::framework::value::Value;

impl<C> ResourceType<C> {
    /// The identity Terraform sent (`what` names it in errors, e.g. "current identity"); null
    /// when it sent none or the resource type has no identity.
    pub(super) fn decode_identity(
        &self,
        data: Option<&pb::ResourceIdentityData>,
        what: &str,
    ) -> Result<Value, Diagnostic> {
        match (&self.identity, data.and_then(|d| d.identity_data.as_ref())) {
            (Some(identity), Some(value)) => convert::decode(Some(value), &identity.ty, what),
            _ => Ok(Value::Null),
        }
    }

    /// The identity of `state`: the resource's, with what it leaves null taken from `held`
    /// (the identity Terraform holds). Null for a null state or a resource type without
    /// identity.
    pub(super) fn identity_of(&self, state: &Value, held: &Value, client: Option<&C>) -> Value {
        match &self.identity {
            Some(identity) if !state.is_null() => {
                let computed = identity
                    .schema
                    .complete(&self.resource.identity(state, client));
                identity.schema.carry_forward(&computed, held)
            }
            _ => Value::Null,
        }
    }

    /// Checks the identifying attributes an import or a move filled against their validators;
    /// `invalid` turns the first broken rule into the error.
    pub(super) fn check_identifying(
        &self,
        state: &Value,
        invalid: impl FnOnce(&str) -> Diagnostic,
    ) -> Result<(), Diagnostic> {
        let mut diags = Diagnostics::default();
        self.schema
            .block
            .validate(state, &AttributePath::default(), &mut diags);
        match diags.0.into_iter().find(|d| d.severity == Severity::Error) {
            Some(broken) => Err(invalid(&broken.detail)),
            None => Ok(()),
        }
    }

    /// The attributes of `found` that contradict `held`.
    pub(super) fn identity_mismatches(&self, held: &Value, found: &Value) -> Vec<Mismatch> {
        self.identity
            .as_ref()
            .map(|identity| identity.schema.mismatches(held, found))
            .unwrap_or_default()
    }

    /// `identity` as Terraform receives it; none for a null identity.
    pub(super) fn encode_identity(
        &self,
        identity: &Value,
        what: &str,
    ) -> Result<Option<pb::ResourceIdentityData>, Diagnostic> {
        match &self.identity {
            Some(schema) if !identity.is_null() => {
                let data = convert::encode(identity, &schema.ty, what)?;
                Ok(Some(pb::ResourceIdentityData {
                    identity_data: Some(data),
                }))
            }
            _ => Ok(None),
        }
    }
}

/// "`region` is "eu-west-1" in the import block, but ... "us-east-1"", one sentence per
/// attribute; `held` says where the recorded values come from.
fn contradictions(mismatches: &[Mismatch], held: &str, finder: &str) -> String {
    mismatches
        .iter()
        .map(|m| {
            format!(
                "`{}` is {:?} {held}, but {finder} {:?}.",
                m.attribute, m.recorded, m.found
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The error of a refresh that found an object whose identity contradicts the one Terraform
/// holds (from the state, or the `import` block that adopted the object).
pub(super) fn changed_identity(type_name: &str, id: &str, mismatches: &[Mismatch]) -> Diagnostic {
    Diagnostic::error(
        format!("Identity of {type_name} {id:?} does not match the object found"),
        format!(
            "{} The provider kept the state as it was. The provider block now reaches another \
             account or region than the one the resource was created or imported in: point it \
             back there, or, to manage the object it finds instead, remove the resource from \
             the state (`terraform state rm`) and import it again.",
            contradictions(
                mismatches,
                "in the state (or the import block that adopted the object)",
                "the service reports"
            )
        ),
    )
}

/// The error of an import whose identity contradicts what the provider reaches.
pub(super) fn foreign_identity(type_name: &str, mismatches: &[Mismatch]) -> Diagnostic {
    Diagnostic::error(
        format!("Import identity of {type_name} does not match the provider"),
        format!(
            "{} An import reads the object through the provider block's account and region: \
             import it with a provider configured for them (set `provider` in the import \
             block), or correct the `identity`.",
            contradictions(
                mismatches,
                "in the import block",
                "the provider is configured for"
            )
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region() -> Vec<Mismatch> {
        vec![Mismatch {
            attribute: "region".into(),
            recorded: "eu-west-1".into(),
            found: "us-east-1".into(),
        }]
    }

    #[test]
    fn messages_name_the_attribute_and_both_values() {
        let changed = changed_identity("test_widget", "w", &region());
        assert_eq!(
            changed.summary,
            "Identity of test_widget \"w\" does not match the object found"
        );
        assert!(changed.detail.starts_with(
            "`region` is \"eu-west-1\" in the state (or the import block that adopted the \
             object), but the service reports \"us-east-1\"."
        ));
        let foreign = foreign_identity("test_widget", &region());
        assert!(foreign.detail.starts_with(
            "`region` is \"eu-west-1\" in the import block, but the provider is configured for \
             \"us-east-1\"."
        ));
        assert!(foreign
            .detail
            .contains("set `provider` in the import block"));
    }
}
