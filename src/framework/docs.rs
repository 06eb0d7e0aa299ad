//! Registry-format documentation rendered from schemas, so the docs cannot drift from the code.
//!
//! The layout follows the Terraform registry's: front matter, description, example usage, the
//! schema split into Required / Optional / Read-Only with nested blocks after, the identity
//! schema of a resource that has one, then import.

use std::fmt::Write as _;

use super::identity::IdentitySchema;
use super::schema::{Attribute, Block, NestedBlock, Nesting, Schema};
use super::value::Type;

/// What a documentation page shows besides the schema.
#[derive(Clone, Debug)]
pub struct Page<'a> {
    /// The page title's subject, e.g. `lookoutvision_project Resource`.
    pub title: String,
    /// The provider name, for the front matter.
    pub provider: &'a str,
    /// The schema to document.
    pub schema: &'a Schema,
    /// The Terraform example, shown under "Example Usage".
    pub example: &'a str,
    /// Markdown sections placed after the schema (for example "Import").
    pub trailer: String,
}

/// Renders a page.
pub fn render(page: &Page<'_>) -> String {
    let description = page.schema.block.description.trim();
    let mut out = String::new();
    let _ = writeln!(out, "---");
    let _ = writeln!(out, "page_title: \"{} - {}\"", page.title, page.provider);
    let _ = writeln!(out, "description: |-");
    for line in first_sentence(description).lines() {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out, "---\n");
    let _ = writeln!(out, "# {}\n", page.title);
    let _ = writeln!(out, "{description}\n");
    let _ = writeln!(out, "## Example Usage\n");
    let _ = writeln!(out, "```terraform\n{}\n```\n", page.example.trim_end());
    out.push_str(&schema_section(&page.schema.block));
    if !page.trailer.is_empty() {
        let _ = writeln!(out, "\n{}", page.trailer.trim_end());
    }
    out
}

/// The "Identity Schema" section: the attributes an `import` block's `identity` must and may
/// give.
pub fn identity_section(identity: &IdentitySchema) -> String {
    let mut out = String::from("## Identity Schema\n");
    for (title, required) in [("Required", true), ("Optional", false)] {
        let lines: Vec<String> = identity
            .attributes
            .iter()
            .filter(|a| a.required_for_import == required)
            .map(|a| format!("- `{}` ({}) {}", a.name, type_name(&a.ty), a.description))
            .collect();
        if !lines.is_empty() {
            let _ = write!(out, "\n### {title}\n\n{}\n", lines.join("\n"));
        }
    }
    out
}

fn first_sentence(text: &str) -> &str {
    text.find(". ").map_or(text, |end| &text[..=end])
}

fn schema_section(block: &Block) -> String {
    let mut out = String::from("## Schema\n");
    if block.attributes.is_empty() && block.blocks.is_empty() {
        out.push_str("\nNo arguments or attributes.\n");
        return out;
    }
    let mut nested = Vec::new();
    describe_block(block, "", &mut out, &mut nested, true);
    while let Some((anchor, name, nested_block)) = nested.pop() {
        let _ = write!(
            out,
            "\n<a id=\"{anchor}\"></a>\n### Nested Schema for `{name}`\n"
        );
        describe_block(
            &nested_block,
            &format!("{name}."),
            &mut out,
            &mut nested,
            false,
        );
    }
    out
}

/// The schema sections an argument is listed under.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Required,
    Optional,
    ReadOnly,
}

impl Group {
    fn of_attribute(attribute: &Attribute) -> Group {
        if attribute.required {
            Group::Required
        } else if attribute.optional {
            Group::Optional
        } else {
            Group::ReadOnly
        }
    }

    fn of_block(block: &NestedBlock) -> Group {
        if block.min_items > 0 {
            Group::Required
        } else {
            Group::Optional
        }
    }
}

fn describe_block(
    block: &Block,
    prefix: &str,
    out: &mut String,
    nested: &mut Vec<(String, String, Block)>,
    top: bool,
) {
    for (title, group) in [
        ("Required", Group::Required),
        ("Optional", Group::Optional),
        ("Read-Only", Group::ReadOnly),
    ] {
        let mut lines = Vec::new();
        for attribute in block
            .attributes
            .iter()
            .filter(|a| Group::of_attribute(a) == group)
        {
            lines.push(format!(
                "- `{}` ({}{}) {}",
                attribute.name,
                type_name(&attribute.ty),
                if attribute.sensitive {
                    ", Sensitive"
                } else {
                    ""
                },
                attribute.description
            ));
        }
        for nested_block in block.blocks.iter().filter(|b| Group::of_block(b) == group) {
            let path = format!("{prefix}{}", nested_block.name);
            let anchor = format!("nestedblock--{}", path.replace('.', "--"));
            let kind = match nested_block.nesting {
                Nesting::Single => "Block",
                Nesting::List => "Block List",
                Nesting::Set => "Block Set",
            };
            let limit = match nested_block.max_items {
                0 => String::new(),
                max => format!(", Max: {max}"),
            };
            lines.push(format!(
                "- `{}` ({kind}{limit}) {} (see [below for nested schema](#{anchor}))",
                nested_block.name, nested_block.block.description
            ));
            nested.insert(0, (anchor, path, nested_block.block.clone()));
        }
        if lines.is_empty() {
            continue;
        }
        if top {
            let _ = write!(out, "\n### {title}\n\n");
        } else {
            let _ = write!(out, "\n{title}:\n\n");
        }
        for line in lines {
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
}

fn type_name(ty: &Type) -> String {
    match ty {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::List(element) => format!("List of {}", type_name(element)),
        Type::Set(element) => format!("Set of {}", type_name(element)),
        Type::Map(element) => format!("Map of {}", type_name(element)),
        Type::Object(_) => "Object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::Attribute;

    #[test]
    fn the_identity_section_splits_required_and_optional() {
        use crate::framework::identity::IdentityAttribute;
        let identity = IdentitySchema::new([
            IdentityAttribute::required("name", "The name."),
            IdentityAttribute::optional("region", "The region."),
        ]);
        assert_eq!(
            identity_section(&identity),
            "## Identity Schema\n\n### Required\n\n- `name` (String) The name.\n\n### \
             Optional\n\n- `region` (String) The region.\n"
        );
    }

    #[test]
    fn renders_groups_types_and_nested_blocks() {
        let schema = Schema::new(
            Block::new("A thing. More about it.")
                .attribute(Attribute::required("name", Type::String).describe("The name."))
                .attribute(Attribute::optional("tags", Type::map(Type::String)).describe("Tags."))
                .attribute(
                    Attribute::optional("secret", Type::String)
                        .sensitive()
                        .describe("Shh."),
                )
                .attribute(Attribute::computed("arn", Type::String).describe("The ARN."))
                .block(NestedBlock::single(
                    "timeouts",
                    Block::new("Limits.").attribute(Attribute::optional("delete", Type::String)),
                )),
        );
        let page = render(&Page {
            title: "x_thing Resource".into(),
            provider: "x",
            schema: &schema,
            example: "resource \"x_thing\" \"a\" {}\n",
            trailer: "## Import\n\nBy name.".into(),
        });
        assert!(page.starts_with(
            "---\npage_title: \"x_thing Resource - x\"\ndescription: |-\n  A thing.\n---"
        ));
        assert!(page.contains("### Required\n\n- `name` (String) The name.\n"));
        assert!(page.contains("- `tags` (Map of String) Tags."));
        assert!(page.contains("- `secret` (String, Sensitive) Shh."));
        assert!(page.contains("### Read-Only\n\n- `arn` (String) The ARN."));
        assert!(page.contains("(see [below for nested schema](#nestedblock--timeouts))"));
        assert!(page.contains("<a id=\"nestedblock--timeouts\"></a>\n### Nested Schema for `timeouts`\n\nOptional:\n\n- `delete` (String)"));
        assert!(page.ends_with("## Import\n\nBy name.\n"));
    }
}
