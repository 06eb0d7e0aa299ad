//! Stored state brought to the current schema, for `UpgradeResourceState`.
//!
//! Terraform hands over each resource's state as it was stored, with the schema version that
//! wrote it, before anything else reads it. State from an older version goes through the
//! resource's [`Resource::upgrade`] hook first. Then, as terraform-plugin-framework and SDKv2 do,
//! the state is read against the current schema with the attributes that schema no longer has
//! dropped, at any depth: a later version may remove an attribute without writing an upgrade.

use std::collections::HashMap;

use super::diag::Diagnostic;
use super::json::{self, Undeclared};
use super::resource::Resource;
use super::schema::Schema;
use super::value::Value;

/// A resource's state as Terraform stored it.
#[derive(Clone, Copy, Debug)]
pub enum StoredState<'a> {
    /// No state: the resource does not exist.
    Absent,
    /// Terraform's JSON encoding, the form of every state Terraform 0.12 and later write.
    Json(&'a [u8]),
    /// The flat `"tags.%" = "1"` form of Terraform 0.11 and earlier, which SDKv2 providers
    /// still read.
    Flatmap(&'a HashMap<String, String>),
}

/// Brings `stored`, written under schema version `version`, to `schema` (the resource's full
/// schema, `timeouts` block included).
pub fn upgrade_state<C>(
    resource: &dyn Resource<C>,
    schema: &Schema,
    version: i64,
    stored: StoredState<'_>,
) -> Result<Value, Diagnostic> {
    let type_name = resource.type_name();
    if version > schema.version {
        return Err(Diagnostic::error(
            "State written by a newer provider",
            format!(
                "The {type_name} state has schema version {version}, but this provider knows \
                 versions up to {}. Use the provider version that wrote the state, or a newer one \
                 (`terraform init -upgrade`).",
                schema.version
            ),
        ));
    }
    let bytes = match stored {
        StoredState::Absent => return Ok(Value::Null),
        StoredState::Json(bytes) => bytes,
        StoredState::Flatmap(_) => {
            return Err(Diagnostic::error(
                "Legacy flatmap state is not supported",
                format!(
                    "The {type_name} state is stored in the flatmap format of Terraform 0.11 and \
                     earlier, which this provider never wrote and cannot read. Remove the \
                     resource from the state with `terraform state rm` and import it again."
                ),
            ));
        }
    };
    let unreadable = |err: json::DecodeError| {
        Diagnostic::error(
            format!("Unreadable stored state of {type_name}"),
            format!(
                "The stored {type_name} state (schema version {version}) does not fit the \
                 provider's schema: {err}. If the state was edited by hand, restore it; \
                 otherwise this is a bug in the provider; please report it."
            ),
        )
    };
    let mut state = json::parse(bytes).map_err(unreadable)?;
    if version < schema.version && !state.is_null() {
        state = resource.upgrade(version, state)?;
    }
    json::from_value(&state, &schema.block.implied_type(), Undeclared::Drop).map_err(unreadable)
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use serde_json::Value as Json;

    use super::*;
    use crate::framework::resource::{full_schema, missing_upgrade, Context, Failure};
    use crate::framework::schema::{Attribute, Block, NestedBlock};
    use crate::framework::value::Type;

    /// A resource at schema version 1, which renamed version 0's `project` to `project_name`.
    struct Gadget;

    #[async_trait]
    impl Resource<()> for Gadget {
        fn type_name(&self) -> &'static str {
            "test_gadget"
        }

        fn schema(&self) -> Schema {
            let settings = Block::new("").attribute(Attribute::optional("mode", Type::String));
            Schema {
                version: 1,
                block: Block::new("A gadget.")
                    .attribute(Attribute::computed("id", Type::String))
                    .attribute(Attribute::required("project_name", Type::String))
                    .block(NestedBlock::list("settings", settings, 0)),
            }
        }

        fn upgrade(&self, from_version: i64, mut state: Json) -> Result<Json, Diagnostic> {
            if from_version != 0 {
                return Err(missing_upgrade(self.type_name(), from_version));
            }
            if let Some(attributes) = state.as_object_mut() {
                if let Some(project) = attributes.remove("project") {
                    attributes.insert("project_name".to_owned(), project);
                }
            }
            Ok(state)
        }

        async fn create(&self, _: &Context<'_, ()>, _: &Value) -> Result<Value, Failure> {
            unreachable!("upgrades call no API")
        }

        async fn read(&self, _: &Context<'_, ()>, _: &Value) -> Result<Option<Value>, Failure> {
            unreachable!("upgrades call no API")
        }

        async fn update(
            &self,
            _: &Context<'_, ()>,
            _: &Value,
            _: &Value,
        ) -> Result<Value, Failure> {
            unreachable!("upgrades call no API")
        }

        async fn delete(&self, _: &Context<'_, ()>, _: &Value) -> Result<(), Failure> {
            unreachable!("upgrades call no API")
        }

        fn import(&self, _: &str) -> Result<Value, Diagnostic> {
            unreachable!("upgrades import nothing")
        }
    }

    fn upgrade(version: i64, stored: &str) -> Result<Value, Diagnostic> {
        let stored = StoredState::Json(stored.as_bytes());
        upgrade_state(&Gadget, &full_schema(&Gadget), version, stored)
    }

    fn gadget(project: &str, modes: &[&str]) -> Value {
        let settings = modes
            .iter()
            .map(|mode| Value::object([("mode", (*mode).into())]))
            .collect();
        Value::object([
            ("id", "g".into()),
            ("project_name", project.into()),
            ("settings", Value::List(settings)),
        ])
    }

    #[test]
    fn attributes_removed_from_the_schema_are_dropped_in_blocks_too() {
        let stored = r#"{"id": "g", "project_name": "p", "color": "red",
                         "settings": [{"mode": "fast", "legacy_flag": true}]}"#;
        assert_eq!(upgrade(1, stored).unwrap(), gadget("p", &["fast"]));
    }

    #[test]
    fn an_older_version_goes_through_the_resource_hook() {
        let stored = r#"{"id": "g", "project": "p", "color": "red", "settings": []}"#;
        assert_eq!(upgrade(0, stored).unwrap(), gadget("p", &[]));
        // At the current version the hook is not called, so `project` is only dropped.
        let current = upgrade(1, stored).unwrap();
        assert!(current.get("project_name").is_null());
    }

    #[test]
    fn a_newer_version_is_refused() {
        let error = upgrade(2, r#"{"id": "g"}"#).unwrap_err();
        assert_eq!(error.summary, "State written by a newer provider");
        assert_eq!(
            error.detail,
            "The test_gadget state has schema version 2, but this provider knows versions up to \
             1. Use the provider version that wrote the state, or a newer one (`terraform init \
             -upgrade`)."
        );
    }

    #[test]
    fn flatmap_state_is_refused_with_what_to_do() {
        let flatmap = HashMap::from([("id".to_owned(), "g".to_owned())]);
        let schema = full_schema(&Gadget);
        let error = upgrade_state(&Gadget, &schema, 0, StoredState::Flatmap(&flatmap)).unwrap_err();
        assert_eq!(error.summary, "Legacy flatmap state is not supported");
        assert!(
            error.detail.contains("`terraform state rm`"),
            "{}",
            error.detail
        );
    }

    #[test]
    fn absent_and_null_state_stay_null_without_the_hook() {
        let schema = full_schema(&Gadget);
        assert_eq!(
            upgrade_state(&Gadget, &schema, 0, StoredState::Absent),
            Ok(Value::Null)
        );
        assert_eq!(upgrade(0, "null"), Ok(Value::Null));
    }

    #[test]
    fn unreadable_state_says_where() {
        let error = upgrade(1, r#"{"project_name": 5}"#).unwrap_err();
        assert_eq!(error.summary, "Unreadable stored state of test_gadget");
        assert!(
            error
                .detail
                .contains("at .project_name: expected string, found number"),
            "{}",
            error.detail
        );
        let error = upgrade(1, "{").unwrap_err();
        assert!(error.detail.contains("invalid JSON"), "{}", error.detail);
    }
}
