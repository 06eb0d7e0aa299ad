//! Planning: the proposed new state turned into a plan that follows Terraform's rules.
//!
//! Terraform merges configuration with prior state into a *proposed* new state; the provider
//! decides which computed values become unknown and which changes force replacement.

use super::diag::AttributePath;
use super::schema::{Block, Nesting};
use super::value::Value;

/// A planned new state and the paths whose change forces replacement.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    /// The planned state (null when the resource is being destroyed).
    pub state: Value,
    /// Attribute paths whose change replaces the resource (empty on create and destroy).
    pub requires_replace: Vec<AttributePath>,
}

/// Plans a change of a resource whose schema is `block`.
pub fn plan_change(block: &Block, prior: &Value, proposed: &Value, config: &Value) -> Planned {
    if proposed.is_null() {
        return Planned {
            state: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    if prior.is_null() {
        return Planned {
            state: unknown_computed(block, proposed, config, true),
            requires_replace: Vec::new(),
        };
    }
    let state = if changes_remote_object(block, prior, proposed) {
        unknown_computed(block, proposed, config, false)
    } else {
        proposed.clone()
    };
    let mut requires_replace = Vec::new();
    replacement_paths(
        block,
        prior,
        &state,
        &AttributePath::default(),
        &mut requires_replace,
    );
    Planned {
        state,
        requires_replace,
    }
}

/// Whether `proposed` differs from `prior` in anything the remote object holds (settings for the
/// provider only, such as `timeouts`, do not count).
pub fn changes_remote_object(block: &Block, prior: &Value, proposed: &Value) -> bool {
    let attribute_changed = block
        .attributes
        .iter()
        .any(|a| !prior.get(&a.name).semantically_equal(proposed.get(&a.name)));
    let block_changed = block
        .blocks
        .iter()
        .filter(|b| !b.provider_only)
        .any(|b| !prior.get(&b.name).semantically_equal(proposed.get(&b.name)));
    attribute_changed || block_changed
}

/// `proposed` with computed attributes that the configuration leaves null made unknown; on
/// update, stable attributes keep their (prior) value.
fn unknown_computed(block: &Block, proposed: &Value, config: &Value, creating: bool) -> Value {
    let Value::Object(attributes) = proposed else {
        return proposed.clone();
    };
    let mut planned = attributes.clone();
    for attribute in block.attributes.iter().filter(|a| a.computed) {
        let keeps_prior = attribute.stable && !creating;
        if config.get(&attribute.name).is_null() && !keeps_prior {
            planned.insert(attribute.name.clone(), Value::Unknown);
        }
    }
    for nested in &block.blocks {
        let (Some(value), config_value) = (planned.get(&nested.name), config.get(&nested.name))
        else {
            continue;
        };
        let replanned = match (nested.nesting, value) {
            (Nesting::Single, Value::Object(_)) => {
                unknown_computed(&nested.block, value, config_value, creating)
            }
            (Nesting::List, Value::List(items)) => Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let item_config = config_value.elements().get(i).unwrap_or(&Value::Null);
                        unknown_computed(&nested.block, item, item_config, creating)
                    })
                    .collect(),
            ),
            // Set elements cannot be matched to configuration by position; no schema here puts
            // computed attributes in set blocks.
            _ => continue,
        };
        planned.insert(nested.name.clone(), replanned);
    }
    Value::Object(planned)
}

fn replacement_paths(
    block: &Block,
    prior: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    for attribute in block.attributes.iter().filter(|a| a.requires_replace) {
        if !prior
            .get(&attribute.name)
            .semantically_equal(planned.get(&attribute.name))
        {
            out.push(path.attribute(&attribute.name));
        }
    }
    for nested in &block.blocks {
        let (before, after) = (prior.get(&nested.name), planned.get(&nested.name));
        let nested_path = path.attribute(&nested.name);
        if nested.requires_replace {
            if !before.semantically_equal(after) {
                out.push(nested_path);
            }
        } else if nested.nesting == Nesting::Single {
            replacement_paths(&nested.block, before, after, &nested_path, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::{Attribute, NestedBlock};
    use crate::framework::value::Type;

    fn block() -> Block {
        Block::new("")
            .attribute(Attribute::required("name", Type::String).requires_replace())
            .attribute(Attribute::optional("description", Type::String))
            .attribute(Attribute::computed("arn", Type::String).stable())
            .attribute(Attribute::computed("status", Type::String))
            .block(
                NestedBlock::single(
                    "timeouts",
                    Block::new("").attribute(Attribute::optional("delete", Type::String)),
                )
                .provider_only(),
            )
    }

    fn state(name: &str, description: &str, delete: Option<&str>) -> Value {
        Value::object([
            ("name", name.into()),
            ("description", description.into()),
            ("arn", "arn:1".into()),
            ("status", "TRAINED".into()),
            (
                "timeouts",
                delete.map_or(Value::Null, |d| Value::object([("delete", d.into())])),
            ),
        ])
    }

    fn config(name: &str, description: &str, delete: Option<&str>) -> Value {
        let mut c = state(name, description, delete);
        c.set("arn", Value::Null);
        c.set("status", Value::Null);
        c
    }

    #[test]
    fn create_makes_every_unset_computed_value_unknown() {
        let cfg = config("p", "d", None);
        let planned = plan_change(&block(), &Value::Null, &cfg, &cfg);
        assert_eq!(planned.state.get("arn"), &Value::Unknown);
        assert_eq!(planned.state.get("status"), &Value::Unknown);
        assert_eq!(planned.state.get("name").as_str(), Some("p"));
        assert!(planned.requires_replace.is_empty());
    }

    #[test]
    fn unchanged_resource_keeps_prior_computed_values() {
        let prior = state("p", "d", None);
        let planned = plan_change(&block(), &prior, &prior, &config("p", "d", None));
        assert_eq!(planned.state, prior);
        assert!(planned.requires_replace.is_empty());
    }

    #[test]
    fn update_keeps_stable_values_and_unknowns_the_rest() {
        let prior = state("p", "d", None);
        let proposed = state("p", "new", None);
        let planned = plan_change(&block(), &prior, &proposed, &config("p", "new", None));
        assert_eq!(planned.state.get("arn").as_str(), Some("arn:1"));
        assert_eq!(planned.state.get("status"), &Value::Unknown);
        assert!(planned.requires_replace.is_empty());
    }

    #[test]
    fn immutable_change_requires_replacement() {
        let prior = state("p", "d", None);
        let proposed = state("q", "d", None);
        let planned = plan_change(&block(), &prior, &proposed, &config("q", "d", None));
        assert_eq!(planned.requires_replace, [AttributePath::root("name")]);
    }

    #[test]
    fn timeouts_alone_are_not_a_remote_change() {
        let prior = state("p", "d", None);
        let proposed = state("p", "d", Some("1h"));
        let planned = plan_change(&block(), &prior, &proposed, &config("p", "d", Some("1h")));
        assert_eq!(planned.state, proposed);
        assert!(!changes_remote_object(&block(), &prior, &proposed));
    }

    #[test]
    fn destroy_plans_null() {
        let planned = plan_change(&block(), &state("p", "d", None), &Value::Null, &Value::Null);
        assert_eq!(planned.state, Value::Null);
    }
}
