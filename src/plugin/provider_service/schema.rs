//! GetMetadata, GetProviderSchema, GetResourceIdentitySchemas and GetFunctions: what the
//! provider offers.

use std::collections::HashMap;

use super::{convert, pb, ProviderService};
use crate::framework::resource::Provider;

/// What this server supports beyond the base protocol. Identities and list resources need no
/// capability: Terraform learns of them from their schemas.
fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: true,
        generate_resource_config: false,
    }
}

/// The provider defines no functions.
pub(super) fn functions() -> pb::get_functions::Response {
    pb::get_functions::Response::default()
}

impl<P: Provider> ProviderService<P> {
    /// GetResourceIdentitySchemas: the identity schema of every resource type that has one.
    pub(super) fn identity_schemas(&self) -> pb::get_resource_identity_schemas::Response {
        let identity_schemas = self
            .resources
            .iter()
            .filter_map(|(name, rt)| {
                let identity = rt.identity.as_ref()?;
                Some((name.clone(), convert::identity_schema(&identity.schema)))
            })
            .collect();
        pb::get_resource_identity_schemas::Response {
            identity_schemas,
            diagnostics: Vec::new(),
        }
    }

    /// GetMetadata: the resource types, data sources and list resources, without their
    /// schemas.
    pub(super) fn metadata(&self) -> pb::get_metadata::Response {
        let resources = self
            .resources
            .keys()
            .map(|type_name| pb::get_metadata::ResourceMetadata {
                type_name: type_name.clone(),
            })
            .collect();
        let data_sources = self
            .data_sources
            .keys()
            .map(|type_name| pb::get_metadata::DataSourceMetadata {
                type_name: type_name.clone(),
            })
            .collect();
        let list_resources = self
            .list_resources
            .keys()
            .map(|type_name| pb::get_metadata::ListResourceMetadata {
                type_name: type_name.clone(),
            })
            .collect();
        pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources,
            data_sources,
            list_resources,
            ..Default::default()
        }
    }

    /// GetProviderSchema: the provider block's schema, and every resource type's, data
    /// source's and list resource's (the schema of its `config` block, which Terraform wraps).
    pub(super) fn provider_schemas(&self) -> pb::get_provider_schema::Response {
        let resource_schemas: HashMap<String, pb::Schema> = self
            .resources
            .iter()
            .map(|(name, rt)| (name.clone(), convert::schema(&rt.schema)))
            .collect();
        let data_source_schemas: HashMap<String, pb::Schema> = self
            .data_sources
            .iter()
            .map(|(name, ds)| (name.clone(), convert::schema(&ds.schema)))
            .collect();
        let list_resource_schemas: HashMap<String, pb::Schema> = self
            .list_resources
            .iter()
            .map(|(name, lt)| (name.clone(), convert::schema(&lt.schema)))
            .collect();
        pb::get_provider_schema::Response {
            provider: Some(convert::schema(&self.provider_schema)),
            resource_schemas,
            data_source_schemas,
            list_resource_schemas,
            server_capabilities: Some(capabilities()),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{service, FIXTURE, GAUGE, WIDGET};

    #[test]
    fn metadata_lists_the_resource_types_data_sources_and_capabilities() {
        let metadata = service().metadata();
        let types: Vec<_> = metadata.resources.iter().map(|r| &r.type_name).collect();
        assert_eq!(types, [FIXTURE, WIDGET]);
        let data_sources: Vec<_> = metadata.data_sources.iter().map(|d| &d.type_name).collect();
        assert_eq!(data_sources, [GAUGE]);
        let lists: Vec<_> = metadata
            .list_resources
            .iter()
            .map(|l| &l.type_name)
            .collect();
        assert_eq!(lists, [WIDGET]);
        let capabilities = metadata.server_capabilities.unwrap();
        assert!(capabilities.plan_destroy && capabilities.get_provider_schema_optional);
        assert!(capabilities.move_resource_state);
        assert!(!capabilities.generate_resource_config);
    }

    #[test]
    fn resource_schemas_include_the_timeouts_block() {
        let schemas = service().provider_schemas();
        assert!(schemas.provider.is_some());
        let widget = schemas.resource_schemas[WIDGET].block.as_ref().unwrap();
        let blocks: Vec<_> = widget.block_types.iter().map(|b| &b.type_name).collect();
        assert_eq!(blocks, ["timeouts"]);
    }

    #[test]
    fn identity_schemas_mark_each_attribute_required_or_optional_for_import() {
        let schemas = service().identity_schemas().identity_schemas;
        assert_eq!(
            schemas.len(),
            1,
            "only widgets have an identity: {schemas:?}"
        );
        let widget = &schemas[WIDGET];
        assert_eq!(widget.version, 0);
        let flags: Vec<_> = widget
            .identity_attributes
            .iter()
            .map(|a| {
                (
                    a.name.as_str(),
                    a.r#type.as_slice(),
                    a.required_for_import,
                    a.optional_for_import,
                )
            })
            .collect();
        assert_eq!(
            flags,
            [
                ("name", &br#""string""#[..], true, false),
                ("region", &br#""string""#[..], false, true),
                ("owner", &br#""string""#[..], false, true),
            ]
        );
    }

    #[test]
    fn list_resource_schemas_are_their_config_blocks() {
        let schemas = service().provider_schemas();
        let widgets = schemas.list_resource_schemas[WIDGET]
            .block
            .as_ref()
            .unwrap();
        let attributes: Vec<_> = widgets.attributes.iter().map(|a| &a.name).collect();
        assert_eq!(attributes, ["count", "hang"]);
    }

    #[test]
    fn data_source_schemas_have_no_timeouts_block() {
        let schemas = service().provider_schemas();
        let gauge = schemas.data_source_schemas[GAUGE].block.as_ref().unwrap();
        let attributes: Vec<_> = gauge.attributes.iter().map(|a| &a.name).collect();
        assert_eq!(attributes, ["name", "reading"]);
        assert!(gauge.block_types.is_empty());
    }
}
