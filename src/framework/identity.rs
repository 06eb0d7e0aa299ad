//! Resource identity (protocol 6.9, Terraform 1.12 and later): the few attributes that name a
//! remote object, which Terraform stores beside the state and which `import` blocks may give
//! instead of an ID.
//!
//! A resource computes its identity from a state (see
//! [`Resource::identity`](super::resource::Resource::identity)). What a state cannot tell (an
//! attribute it has no value for yet) is carried forward from the identity Terraform already
//! holds, so an identity never loses a value; and a value the state tells differently from the
//! one Terraform holds is a [`Mismatch`], which a refresh and an import report.

use std::collections::BTreeMap;

use super::value::{Type, Value};

/// The identity attributes of a resource type, and their version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentitySchema {
    /// Bumped when the identity's shape changes.
    pub version: i64,
    /// The attributes, in declaration order.
    pub attributes: Vec<IdentityAttribute>,
}

/// One identity attribute. Terraform allows primitives and lists only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityAttribute {
    /// Its name, in `import { identity = { ... } }` too.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Whether an identity import must give it (otherwise it may: Terraform requires one or the
    /// other).
    pub required_for_import: bool,
    /// Markdown shown in docs.
    pub description: String,
}

impl IdentityAttribute {
    /// A string attribute an identity import must give.
    pub fn required(name: &str, description: &str) -> Self {
        IdentityAttribute {
            name: name.to_owned(),
            ty: Type::String,
            required_for_import: true,
            description: description.to_owned(),
        }
    }

    /// A string attribute an identity import may give.
    pub fn optional(name: &str, description: &str) -> Self {
        IdentityAttribute {
            required_for_import: false,
            ..IdentityAttribute::required(name, description)
        }
    }
}

/// An identity attribute whose value Terraform holds and whose value the resource found differ.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// The attribute.
    pub attribute: String,
    /// The value Terraform holds (from the state, or the `import` block).
    pub recorded: String,
    /// The value the resource found.
    pub found: String,
}

impl IdentitySchema {
    /// A version-0 identity of `attributes`.
    pub fn new(attributes: impl IntoIterator<Item = IdentityAttribute>) -> Self {
        IdentitySchema {
            version: 0,
            attributes: attributes.into_iter().collect(),
        }
    }

    /// The object type that identity values have.
    pub fn implied_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.as_str(), a.ty.clone())),
        )
    }

    /// `value` with exactly this schema's attributes: those it lacks are null. Resources build
    /// identities with this, so that one never misses an attribute.
    pub fn complete(&self, value: &Value) -> Value {
        Value::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), value.get(&a.name).clone()))
                .collect(),
        )
    }

    /// The attributes an identity import must give but `identity` leaves null or unknown.
    pub fn missing_for_import<'a>(&'a self, identity: &Value) -> Vec<&'a str> {
        self.attributes
            .iter()
            .filter(|a| a.required_for_import)
            .filter(|a| {
                let value = identity.get(&a.name);
                value.is_null() || value.is_unknown()
            })
            .map(|a| a.name.as_str())
            .collect()
    }

    /// `computed` (an identity the resource computed from a state), with each attribute it
    /// leaves null taken from `prior` (the identity Terraform holds, if any) where that is
    /// known: a planned identity's unknowns are never carried into a state's.
    pub fn carry_forward(&self, computed: &Value, prior: &Value) -> Value {
        let attributes: BTreeMap<String, Value> = self
            .attributes
            .iter()
            .map(|a| {
                let value = match (computed.get(&a.name), prior.get(&a.name)) {
                    (Value::Null, held) if held.is_wholly_known() => held.clone(),
                    (computed, _) => computed.clone(),
                };
                (a.name.clone(), value)
            })
            .collect();
        Value::Object(attributes)
    }

    /// The attributes that both `recorded` and `found` know, differently.
    pub fn mismatches(&self, recorded: &Value, found: &Value) -> Vec<Mismatch> {
        self.attributes
            .iter()
            .filter_map(|a| {
                let (recorded, found) = (recorded.get(&a.name), found.get(&a.name));
                let shown = |v: &Value| v.as_str().map_or_else(|| format!("{v:?}"), str::to_owned);
                let comparable = |v: &Value| !v.is_null() && v.is_wholly_known();
                (comparable(recorded) && comparable(found) && !recorded.semantically_equal(found))
                    .then(|| Mismatch {
                        attribute: a.name.clone(),
                        recorded: shown(recorded),
                        found: shown(found),
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> IdentitySchema {
        IdentitySchema::new([
            IdentityAttribute::required("name", "The name."),
            IdentityAttribute::optional("region", "The region."),
        ])
    }

    fn identity(name: Value, region: Value) -> Value {
        Value::object([("name", name), ("region", region)])
    }

    #[test]
    fn the_type_is_an_object_of_the_attributes() {
        assert_eq!(
            schema().implied_type(),
            Type::object([("name", Type::String), ("region", Type::String)])
        );
        assert_eq!(
            schema().complete(&Value::object([
                ("name", "a".into()),
                ("extra", "x".into())
            ])),
            identity("a".into(), Value::Null)
        );
    }

    #[test]
    fn an_import_needs_the_required_attributes() {
        let schema = schema();
        assert_eq!(
            schema.missing_for_import(&identity(Value::Null, "r".into())),
            ["name"]
        );
        assert_eq!(
            schema.missing_for_import(&identity(Value::Unknown, Value::Null)),
            ["name"]
        );
        assert!(schema
            .missing_for_import(&identity("a".into(), Value::Null))
            .is_empty());
    }

    #[test]
    fn what_a_state_cannot_tell_is_carried_forward() {
        let schema = schema();
        let computed = identity("a".into(), Value::Null);
        let prior = identity("old".into(), "eu-west-1".into());
        assert_eq!(
            schema.carry_forward(&computed, &prior),
            identity("a".into(), "eu-west-1".into())
        );
        // Unknowns (in a create plan) stay unknown; with nothing held, null stays null.
        let planned = identity("a".into(), Value::Unknown);
        assert_eq!(schema.carry_forward(&planned, &prior), planned);
        assert_eq!(schema.carry_forward(&computed, &Value::Null), computed);
        // A planned identity's unknowns do not reach an applied one.
        assert_eq!(schema.carry_forward(&computed, &planned), computed);
    }

    #[test]
    fn mismatches_compare_only_what_both_know() {
        let schema = schema();
        let recorded = identity("a".into(), "eu-west-1".into());
        let found = identity("a".into(), "us-east-1".into());
        assert_eq!(
            schema.mismatches(&recorded, &found),
            [Mismatch {
                attribute: "region".into(),
                recorded: "eu-west-1".into(),
                found: "us-east-1".into(),
            }]
        );
        assert!(schema
            .mismatches(&recorded, &identity("a".into(), Value::Null))
            .is_empty());
        assert!(schema.mismatches(&Value::Null, &found).is_empty());
        assert!(schema
            .mismatches(&recorded, &identity("a".into(), Value::Unknown))
            .is_empty());
    }
}
