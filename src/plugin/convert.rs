//! Conversions between the framework's types and the tfplugin6 messages.

use crate::framework::diag::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use crate::framework::identity::IdentitySchema;
use crate::framework::schema::{Attribute, Block, NestedBlock, Nesting, Schema};
use crate::framework::value::{Type, Value};
use crate::framework::{json, msgpack};
use crate::proto::tfplugin6 as pb;

/// A schema as Terraform receives it.
pub fn schema(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block(&schema.block)),
    }
}

/// An identity schema as Terraform receives it: every attribute either required or optional
/// for import, as Terraform demands.
pub fn identity_schema(identity: &IdentitySchema) -> pb::ResourceIdentitySchema {
    let identity_attributes = identity
        .attributes
        .iter()
        .map(|a| pb::resource_identity_schema::IdentityAttribute {
            name: a.name.clone(),
            r#type: a.ty.to_json().to_string().into_bytes(),
            required_for_import: a.required_for_import,
            optional_for_import: !a.required_for_import,
            description: a.description.clone(),
        })
        .collect();
    pb::ResourceIdentitySchema {
        version: identity.version,
        identity_attributes,
    }
}

fn block(block: &Block) -> pb::schema::Block {
    pb::schema::Block {
        version: 0,
        attributes: block.attributes.iter().map(attribute).collect(),
        block_types: block.blocks.iter().map(nested_block).collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: false,
        deprecation_message: String::new(),
    }
}

fn attribute(attribute: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: attribute.name.clone(),
        r#type: attribute.ty.to_json().to_string().into_bytes(),
        nested_type: None,
        description: attribute.description.clone(),
        required: attribute.required,
        optional: attribute.optional,
        computed: attribute.computed,
        sensitive: attribute.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: false,
        write_only: false,
        deprecation_message: String::new(),
    }
}

fn nested_block(nested: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    let nesting = match nested.nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
    };
    pb::schema::NestedBlock {
        type_name: nested.name.clone(),
        block: Some(block(&nested.block)),
        nesting: nesting as i32,
        min_items: nested.min_items,
        max_items: nested.max_items,
    }
}

/// Diagnostics as Terraform receives them.
pub fn diagnostics(diags: &Diagnostics) -> Vec<pb::Diagnostic> {
    diags.iter().map(diagnostic).collect()
}

fn diagnostic(diag: &Diagnostic) -> pb::Diagnostic {
    let severity = match diag.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity as i32,
        summary: diag.summary.clone(),
        detail: diag.detail.clone(),
        attribute: diag.path.as_ref().map(attribute_path),
    }
}

/// An attribute path as Terraform receives it.
pub fn attribute_path(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    let steps = path
        .0
        .iter()
        .map(|step| pb::attribute_path::Step {
            selector: Some(match step {
                PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                PathStep::Key(key) => Selector::ElementKeyString(key.clone()),
                PathStep::Index(index) => Selector::ElementKeyInt(*index),
            }),
        })
        .collect();
    pb::AttributePath { steps }
}

/// Decodes a value Terraform sent; an absent value is null. The error says what does not fit
/// `ty`, by attribute path.
pub fn decode_value(value: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, String> {
    match value {
        None => Ok(Value::Null),
        Some(v) if !v.msgpack.is_empty() => {
            msgpack::decode(&v.msgpack, ty).map_err(|err| err.to_string())
        }
        Some(v) if !v.json.is_empty() => json::decode(&v.json, ty).map_err(|err| err.to_string()),
        Some(_) => Ok(Value::Null),
    }
}

/// Decodes a value Terraform sent; an absent value is null.
pub fn decode(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostic> {
    decode_value(value, ty).map_err(|err| {
        Diagnostic::error(
            format!("Invalid {what} received from Terraform"),
            format!(
                "The provider could not decode the {what}: {err}. This is a bug in the provider or \
                 a version mismatch between Terraform and the provider; please report it."
            ),
        )
    })
}

/// Encodes a value for Terraform.
pub fn encode(value: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostic> {
    msgpack::encode(value, ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|err| {
            Diagnostic::error(
                format!("Provider produced an invalid {what}"),
                format!("The provider could not encode the {what}: {err}. This is a bug in the provider; please report it."),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_attributes_carry_json_types_and_markdown() {
        let s = Schema::new(
            Block::new("A *project*.")
                .attribute(Attribute::required("name", Type::String).describe("The name."))
                .block(NestedBlock::single("timeouts", Block::new(""))),
        );
        let pb = schema(&s);
        let block = pb.block.unwrap();
        assert_eq!(block.description_kind, pb::StringKind::Markdown as i32);
        assert_eq!(block.attributes[0].r#type, br#""string""#);
        assert!(block.attributes[0].required);
        assert_eq!(block.block_types[0].type_name, "timeouts");
        assert_eq!(
            block.block_types[0].nesting,
            pb::schema::nested_block::NestingMode::Single as i32
        );
    }

    #[test]
    fn diagnostics_keep_severity_and_path() {
        let diags: Diagnostics = Diagnostic::warning("careful", "detail")
            .at(AttributePath::root("tags").key("a"))
            .into();
        let pb = diagnostics(&diags);
        assert_eq!(pb[0].severity, pb::diagnostic::Severity::Warning as i32);
        assert_eq!(pb[0].attribute.as_ref().unwrap().steps.len(), 2);
    }

    #[test]
    fn absent_and_malformed_values() {
        assert_eq!(decode(None, &Type::String, "config").unwrap(), Value::Null);
        let garbage = pb::DynamicValue {
            msgpack: vec![0xc1],
            json: vec![],
        };
        let err = decode(Some(&garbage), &Type::String, "configuration").unwrap_err();
        assert!(err.summary.contains("Invalid configuration"));
    }
}
