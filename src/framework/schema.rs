//! Schema declaration: attributes, nested blocks, descriptions and per-attribute behaviour.

use std::sync::Arc;

use super::diag::{AttributePath, Diagnostic, Diagnostics};
use super::validate::Validator;
use super::value::{Type, Value};

/// A versioned schema of a provider, resource or data source.
#[derive(Clone, Debug)]
pub struct Schema {
    /// Bumped when the stored state's shape changes.
    pub version: i64,
    /// The top-level block.
    pub block: Block,
}

impl Schema {
    /// A version-0 schema of `block`.
    pub fn new(block: Block) -> Self {
        Schema { version: 0, block }
    }
}

/// A block: attributes and nested blocks, with a markdown description.
#[derive(Clone, Debug, Default)]
pub struct Block {
    /// Markdown shown in docs and editors.
    pub description: String,
    /// The attributes, in declaration order.
    pub attributes: Vec<Attribute>,
    /// The nested blocks, in declaration order.
    pub blocks: Vec<NestedBlock>,
}

impl Block {
    /// An empty block described by `description` (markdown).
    pub fn new(description: impl Into<String>) -> Self {
        Block {
            description: description.into(),
            ..Block::default()
        }
    }

    /// This block with one more attribute.
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// This block with more attributes.
    pub fn attributes(mut self, attributes: impl IntoIterator<Item = Attribute>) -> Self {
        self.attributes.extend(attributes);
        self
    }

    /// This block with one more nested block.
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    /// The object type that values of this block have.
    pub fn implied_type(&self) -> Type {
        let attributes = self
            .attributes
            .iter()
            .map(|a| (a.name.as_str(), a.ty.clone()));
        let blocks = self
            .blocks
            .iter()
            .map(|b| (b.name.as_str(), b.implied_type()));
        Type::object(attributes.chain(blocks))
    }

    /// The attribute called `name`.
    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The nested block called `name`.
    pub fn find_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.name == name)
    }

    /// Runs every attribute's validators on the known values of `config`.
    pub fn validate(&self, config: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        for attribute in &self.attributes {
            let value = config.get(&attribute.name);
            let attribute_path = path.attribute(&attribute.name);
            if value.is_null() {
                // Terraform checks that a required argument is written, not that it is not
                // `null` (as from a variable left null): that reaches the provider.
                if attribute.required {
                    diags.push(
                        Diagnostic::error(
                            format!("Invalid value for {attribute_path}"),
                            format!(
                                "{attribute_path} is required, but it is null. Give it a value."
                            ),
                        )
                        .at(attribute_path),
                    );
                }
                continue;
            }
            if value.is_unknown() {
                continue;
            }
            if let (Type::Map(_), Some(entries)) = (&attribute.ty, value.entries()) {
                for (key, _) in entries.iter().filter(|(_, element)| element.is_null()) {
                    let element_path = attribute_path.key(key);
                    diags.push(
                        Diagnostic::error(
                            format!("Invalid value for {element_path}"),
                            format!(
                                "{element_path} is null: a map value cannot be null. Give it a \
                                 value (\"\" for an empty one) or remove the key."
                            ),
                        )
                        .at(element_path),
                    );
                }
            }
            for validator in &attribute.validators {
                let mut found = Diagnostics::default();
                validator.validate(value, &attribute_path, &mut found);
                if attribute.sensitive {
                    // The message must not repeat a secret back to the terminal or a CI log.
                    for diag in &mut found.0 {
                        diag.detail = format!(
                            "{attribute_path} must be {} (the value is sensitive, so it is not shown).",
                            validator.description()
                        );
                    }
                }
                diags.extend(found);
            }
        }
        for nested in &self.blocks {
            let block_path = path.attribute(&nested.name);
            nested.for_each_element(
                config.get(&nested.name),
                &block_path,
                |element, element_path| nested.block.validate(element, &element_path, diags),
            );
        }
    }
}

/// How a nested block repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one, an object or null.
    Single,
    /// An ordered list of objects.
    List,
    /// An unordered set of objects.
    Set,
}

/// A nested block such as `timeouts { ... }`.
#[derive(Clone, Debug)]
pub struct NestedBlock {
    /// The block's type name in configuration.
    pub name: String,
    /// How it repeats.
    pub nesting: Nesting,
    /// Its contents.
    pub block: Block,
    /// Lower bound on the number of blocks (list and set nesting).
    pub min_items: i64,
    /// Upper bound on the number of blocks, 0 for none (list and set nesting).
    pub max_items: i64,
    /// A change to anything inside replaces the resource.
    pub requires_replace: bool,
    /// Settings for the provider only (like `timeouts`): changing them is not a change to the
    /// remote object, so it neither triggers an update call nor makes computed values unknown.
    pub provider_only: bool,
}

impl NestedBlock {
    /// A block that appears at most once.
    pub fn single(name: &str, block: Block) -> Self {
        NestedBlock {
            name: name.to_owned(),
            nesting: Nesting::Single,
            block,
            min_items: 0,
            max_items: 0,
            requires_replace: false,
            provider_only: false,
        }
    }

    /// A repeated block kept in order, at most `max_items` (0 for no limit).
    pub fn list(name: &str, block: Block, max_items: i64) -> Self {
        NestedBlock {
            nesting: Nesting::List,
            max_items,
            ..NestedBlock::single(name, block)
        }
    }

    /// This block, which the configuration must contain (once, for single nesting; Terraform
    /// requires equal bounds then).
    pub fn required(mut self) -> Self {
        self.min_items = 1;
        if self.nesting == Nesting::Single {
            self.max_items = 1;
        }
        self
    }

    /// This block, replacing the resource when it changes.
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    /// This block, as provider-only settings (see [`NestedBlock::provider_only`]).
    pub fn provider_only(mut self) -> Self {
        self.provider_only = true;
        self
    }

    /// The type of this block's value in its parent object.
    pub fn implied_type(&self) -> Type {
        let object = self.block.implied_type();
        match self.nesting {
            Nesting::Single => object,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
        }
    }

    /// Calls `f` on every element of this block's `value` with its path.
    pub fn for_each_element(
        &self,
        value: &Value,
        path: &AttributePath,
        mut f: impl FnMut(&Value, AttributePath),
    ) {
        match (self.nesting, value) {
            (Nesting::Single, Value::Object(_)) => f(value, path.clone()),
            (Nesting::List | Nesting::Set, Value::List(items) | Value::Set(items)) => {
                for (i, item) in items.iter().enumerate() {
                    f(item, path.index(i));
                }
            }
            _ => {}
        }
    }
}

/// One attribute and how the framework treats it.
#[derive(Clone)]
pub struct Attribute {
    /// Its name in configuration.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Markdown shown in docs and editors.
    pub description: String,
    /// Must be set in configuration.
    pub required: bool,
    /// May be set in configuration.
    pub optional: bool,
    /// The provider may set it.
    pub computed: bool,
    /// Hidden in plan output and logs.
    pub sensitive: bool,
    /// A change replaces the resource.
    pub requires_replace: bool,
    /// A computed value that never changes once known (ids, ARNs, creation times): it keeps
    /// its prior value on update instead of becoming unknown.
    pub stable: bool,
    /// Checks on known configuration values.
    pub validators: Vec<Arc<dyn Validator>>,
}

impl std::fmt::Debug for Attribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("ty", &self.ty)
            .field("required", &self.required)
            .field("optional", &self.optional)
            .field("computed", &self.computed)
            .finish_non_exhaustive()
    }
}

impl Attribute {
    fn new(name: &str, ty: Type) -> Self {
        Attribute {
            name: name.to_owned(),
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            requires_replace: false,
            stable: false,
            validators: Vec::new(),
        }
    }

    /// An attribute the configuration must set.
    pub fn required(name: &str, ty: Type) -> Self {
        Attribute {
            required: true,
            ..Attribute::new(name, ty)
        }
    }

    /// An attribute the configuration may set.
    pub fn optional(name: &str, ty: Type) -> Self {
        Attribute {
            optional: true,
            ..Attribute::new(name, ty)
        }
    }

    /// An attribute only the provider sets.
    pub fn computed(name: &str, ty: Type) -> Self {
        Attribute {
            computed: true,
            ..Attribute::new(name, ty)
        }
    }

    /// An attribute the configuration may set and the provider fills in otherwise.
    pub fn optional_computed(name: &str, ty: Type) -> Self {
        Attribute {
            optional: true,
            computed: true,
            ..Attribute::new(name, ty)
        }
    }

    /// This attribute with a markdown description.
    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// This attribute, marked sensitive.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// This attribute, replacing the resource when it changes.
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    /// This computed attribute, keeping its prior value on update.
    pub fn stable(mut self) -> Self {
        self.stable = true;
        self
    }

    /// This attribute with one more validator.
    pub fn validate(mut self, validator: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(validator));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::validate;

    fn sample() -> Block {
        Block::new("sample")
            .attribute(
                Attribute::required("name", Type::String).validate(validate::string_length(1, 3)),
            )
            .block(NestedBlock::list(
                "rule",
                Block::new("").attribute(
                    Attribute::optional("size", Type::Number).validate(validate::int_at_least(1)),
                ),
                0,
            ))
    }

    #[test]
    fn a_required_argument_set_to_null_is_refused_and_an_unknown_one_waits() {
        let block = sample();
        let mut diags = Diagnostics::default();
        let config = Value::object([("name", Value::Null), ("rule", Value::Null)]);
        block.validate(&config, &AttributePath::default(), &mut diags);
        assert_eq!(diags.0.len(), 1, "{diags:?}");
        assert_eq!(diags.0[0].summary, "Invalid value for name");
        assert_eq!(
            diags.0[0].detail,
            "name is required, but it is null. Give it a value."
        );

        let mut diags = Diagnostics::default();
        let config = Value::object([("name", Value::Unknown), ("rule", Value::Null)]);
        block.validate(&config, &AttributePath::default(), &mut diags);
        assert!(diags.0.is_empty(), "{diags:?}");
    }

    #[test]
    fn null_map_values_are_refused_by_key() {
        let block =
            Block::new("tagged").attribute(Attribute::optional("tags", Type::map(Type::String)));
        let tags = Value::Map(
            [
                ("team".to_owned(), Value::Null),
                ("owner".to_owned(), Value::from("me")),
                ("later".to_owned(), Value::Unknown),
            ]
            .into(),
        );
        let mut diags = Diagnostics::default();
        block.validate(
            &Value::object([("tags", tags)]),
            &AttributePath::default(),
            &mut diags,
        );
        assert_eq!(diags.0.len(), 1, "{diags:?}");
        assert!(
            diags.0[0].detail.starts_with("tags[\"team\"] is null"),
            "{diags:?}"
        );
    }

    #[test]
    fn implied_type_includes_blocks() {
        let ty = sample().implied_type();
        let expected = Type::object([
            ("name", Type::String),
            ("rule", Type::list(Type::object([("size", Type::Number)]))),
        ]);
        assert_eq!(ty, expected);
    }

    #[test]
    fn validation_reports_paths_inside_blocks() {
        let config = Value::object([
            ("name", "toolong".into()),
            (
                "rule",
                Value::List(vec![
                    Value::object([("size", 2i64.into())]),
                    Value::object([("size", 0i64.into())]),
                ]),
            ),
        ]);
        let mut diags = Diagnostics::default();
        sample().validate(&config, &AttributePath::default(), &mut diags);
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.path.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(paths, ["name", "rule[1].size"]);
    }

    #[test]
    fn sensitive_values_are_not_repeated_in_messages() {
        let block = Block::new("").attribute(
            Attribute::optional("secret_key", Type::String)
                .sensitive()
                .validate(validate::string_length(1, 4)),
        );
        let mut diags = Diagnostics::default();
        let config = Value::object([("secret_key", "hunter2-secret".into())]);
        block.validate(&config, &AttributePath::default(), &mut diags);
        assert_eq!(diags.0.len(), 1);
        assert!(!diags.0[0].detail.contains("hunter2"), "{:?}", diags.0[0]);
        assert!(diags.0[0]
            .detail
            .contains("between 1 and 4 characters long"));
    }

    #[test]
    fn unknown_values_are_not_validated() {
        let config = Value::object([("name", Value::Unknown), ("rule", Value::List(vec![]))]);
        let mut diags = Diagnostics::default();
        sample().validate(&config, &AttributePath::default(), &mut diags);
        assert!(diags.is_empty());
    }
}
