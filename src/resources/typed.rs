//! Typed resource values. Every resource reads the framework's untyped [`Value`] into its own
//! structs and writes them back through [`Typed`], with attribute names as constants that its
//! schema uses too: a misspelt name does not compile, where a string would read as null.
//!
//! What null, unknown and a value of the wrong shape mean is decided here, once:
//!
//! - A required field (`String`, a number, a block's struct) must hold a value: null, unknown or
//!   the wrong type is a [`ShapeError`] naming the attribute, never an empty default.
//! - An optional field (`Option<T>`) reads null and unknown as `None`. Unknown occurs in a
//!   create or update plan, whose computed attributes are not known yet; the resources set every
//!   computed attribute from the service before they write a state, so no unknown is lost.
//! - Writing gives every attribute of an object (null when absent), and never an unknown.

use std::collections::BTreeMap;
use std::fmt;

use crate::framework::diag::{AttributePath, Diagnostic, PathStep};
use crate::framework::value::Value;

/// The `timeouts` block, which the framework adds to every resource whose operations wait and
/// reads itself. Resources carry it from the plan into the state unchanged.
pub const TIMEOUTS: &str = "timeouts";

/// A Rust type that a Terraform value converts to and from.
pub trait Typed: Sized {
    /// Reads `value`; the error says which attribute inside it is wrong, and how.
    fn read(value: &Value) -> Result<Self, ShapeError>;

    /// The value.
    fn write(&self) -> Value;
}

/// What is wrong with a value a required field reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// It is null.
    Null,
    /// It is not known (yet).
    Unknown,
    /// It holds another kind of value than the one named (as in "not a string").
    NotA(&'static str),
}

/// A value without the shape the resource's schema promises: an attribute it needs is null or
/// unknown, or holds the wrong type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ShapeError {
    /// Where, e.g. `output_config.bucket`; empty for the value as a whole.
    pub path: AttributePath,
    /// What is wrong there.
    pub problem: Problem,
}

impl ShapeError {
    /// The error for `value`, which a field expecting `kind` (e.g. "a string") read.
    fn of(value: &Value, kind: &'static str) -> Self {
        let problem = match value {
            Value::Null => Problem::Null,
            Value::Unknown => Problem::Unknown,
            _ => Problem::NotA(kind),
        };
        ShapeError {
            path: AttributePath::default(),
            problem,
        }
    }

    /// The error for attribute `name`, which an operation needs but the value does not hold.
    pub fn missing(name: &str) -> Self {
        ShapeError {
            path: AttributePath::root(name),
            problem: Problem::Null,
        }
    }

    /// The same error, one step further inside a value.
    fn inside(mut self, step: PathStep) -> Self {
        self.path.0.insert(0, step);
        self
    }

    /// What to tell the user: which attribute of which resource type, and what to do.
    pub fn diagnostic(&self, type_name: &str) -> Diagnostic {
        Diagnostic::error(
            format!("Invalid value of {type_name}: {self}"),
            "The provider cannot act on the resource without a valid value there. Terraform \
             always sets one, so the state was probably edited by hand or damaged: restore it \
             from a backup, or remove the resource from the state with `terraform state rm` and \
             import it again. If the state is intact, this is a bug in the provider; please \
             report it.",
        )
    }
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.0.is_empty() {
            f.write_str("the value")?;
        } else {
            write!(f, "`{}`", self.path)?;
        }
        match self.problem {
            Problem::Null => f.write_str(" is null"),
            Problem::Unknown => f.write_str(" is unknown"),
            Problem::NotA(kind) => write!(f, " is not {kind}"),
        }
    }
}

/// Reads the value of a `type_name` resource, or explains to the user why it cannot.
pub fn read_value<T: Typed>(type_name: &str, value: &Value) -> Result<T, Diagnostic> {
    T::read(value).map_err(|err| err.diagnostic(type_name))
}

/// An optional `field` (attribute `name`) that an operation needs.
pub fn require<'a, T>(field: &'a Option<T>, name: &str) -> Result<&'a T, ShapeError> {
    field.as_ref().ok_or_else(|| ShapeError::missing(name))
}

/// The attributes of an object value (a resource or a nested block), read by name.
pub struct Object<'a>(&'a BTreeMap<String, Value>);

impl<'a> Object<'a> {
    /// The attributes of `value`, which must be an object.
    pub fn of(value: &'a Value) -> Result<Self, ShapeError> {
        match value {
            Value::Object(attributes) => Ok(Object(attributes)),
            other => Err(ShapeError::of(other, "an object")),
        }
    }

    /// Attribute `name` as a `T` (an absent attribute is null).
    pub fn get<T: Typed>(&self, name: &str) -> Result<T, ShapeError> {
        T::read(self.0.get(name).unwrap_or(&Value::Null))
            .map_err(|err| err.inside(PathStep::Attribute(name.to_owned())))
    }
}

impl Typed for String {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ShapeError::of(value, "a string"))
    }

    fn write(&self) -> Value {
        Value::string(self.clone())
    }
}

impl Typed for i64 {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        value
            .as_i64()
            .ok_or_else(|| ShapeError::of(value, "a whole number"))
    }

    fn write(&self) -> Value {
        Value::from(*self)
    }
}

impl Typed for f64 {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        match value {
            Value::Number(n) => Ok(n.as_f64()),
            other => Err(ShapeError::of(other, "a number")),
        }
    }

    fn write(&self) -> Value {
        Value::from(*self)
    }
}

/// A value the framework owns (the `timeouts` block), carried as it is.
impl Typed for Value {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        Ok(value.clone())
    }

    fn write(&self) -> Value {
        self.clone()
    }
}

/// An optional attribute: null, or not known yet, is `None`.
impl<T: Typed> Typed for Option<T> {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        match value {
            Value::Null | Value::Unknown => Ok(None),
            known => T::read(known).map(Some),
        }
    }

    fn write(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::write)
    }
}

impl<T: Typed> Typed for BTreeMap<String, T> {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        match value {
            Value::Map(entries) | Value::Object(entries) => entries
                .iter()
                .map(|(key, element)| {
                    T::read(element)
                        .map(|element| (key.clone(), element))
                        .map_err(|err| err.inside(PathStep::Key(key.clone())))
                })
                .collect(),
            other => Err(ShapeError::of(other, "a map")),
        }
    }

    fn write(&self) -> Value {
        Value::Map(
            self.iter()
                .map(|(key, element)| (key.clone(), element.write()))
                .collect(),
        )
    }
}

/// A list attribute (a list or set value read in its order; written as a list).
impl<T: Typed> Typed for Vec<T> {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        match value {
            Value::List(items) | Value::Set(items) => items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    T::read(item).map_err(|err| err.inside(PathStep::Index(index as i64)))
                })
                .collect(),
            other => Err(ShapeError::of(other, "a list")),
        }
    }

    fn write(&self) -> Value {
        Value::List(self.iter().map(T::write).collect())
    }
}

/// A `map(string)` as Terraform holds it. Its elements may be null (`tags = { a = null }`);
/// they are kept, so that a state repeats its plan exactly, but they are not strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StringMap(pub BTreeMap<String, Option<String>>);

impl StringMap {
    /// The elements that are strings.
    pub fn strings(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .filter_map(|(key, value)| Some((key.clone(), value.clone()?)))
            .collect()
    }
}

impl From<BTreeMap<String, String>> for StringMap {
    fn from(map: BTreeMap<String, String>) -> Self {
        StringMap(map.into_iter().map(|(k, v)| (k, Some(v))).collect())
    }
}

impl Typed for StringMap {
    fn read(value: &Value) -> Result<Self, ShapeError> {
        Typed::read(value).map(StringMap)
    }

    fn write(&self) -> Value {
        self.0.write()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::timeouts::Timeouts;
    use std::time::Duration;

    #[derive(Debug, PartialEq)]
    struct Inner {
        bucket: String,
        prefix: Option<String>,
    }

    impl Typed for Inner {
        fn read(value: &Value) -> Result<Self, ShapeError> {
            let object = Object::of(value)?;
            Ok(Inner {
                bucket: object.get("bucket")?,
                prefix: object.get("prefix")?,
            })
        }

        fn write(&self) -> Value {
            Value::object([
                ("bucket", self.bucket.write()),
                ("prefix", self.prefix.write()),
            ])
        }
    }

    fn outer(inner: Value) -> Result<Option<Inner>, ShapeError> {
        Object::of(&Value::object([("output", inner)]))?.get("output")
    }

    #[test]
    fn required_fields_name_the_attribute_and_the_problem() {
        let cases = [
            (Value::object([]), "`output.bucket` is null"),
            (
                Value::object([("bucket", Value::Unknown)]),
                "`output.bucket` is unknown",
            ),
            (
                Value::object([("bucket", Value::from(3i64))]),
                "`output.bucket` is not a string",
            ),
            (Value::from("s3://x"), "`output` is not an object"),
        ];
        for (inner, message) in cases {
            let err = outer(inner).expect_err(message);
            assert_eq!(err.to_string(), message);
        }
        let err = String::read(&Value::Null).expect_err("null");
        assert_eq!(err.to_string(), "the value is null");
    }

    #[test]
    fn optional_fields_read_null_and_unknown_as_none() {
        assert_eq!(outer(Value::Null), Ok(None));
        assert_eq!(outer(Value::Unknown), Ok(None));
        let inner = Value::object([("bucket", "b".into()), ("prefix", Value::Unknown)]);
        assert_eq!(
            outer(inner),
            Ok(Some(Inner {
                bucket: "b".into(),
                prefix: None
            }))
        );
    }

    #[test]
    fn writing_gives_every_attribute() {
        let inner = Inner {
            bucket: "b".into(),
            prefix: None,
        };
        assert_eq!(
            inner.write(),
            Value::object([("bucket", "b".into()), ("prefix", Value::Null)])
        );
        assert_eq!(Inner::read(&inner.write()), Ok(inner));
    }

    #[test]
    fn string_maps_keep_null_elements_apart_from_the_strings() {
        let value = Value::Map(
            [
                ("a".to_owned(), Value::string("1")),
                ("b".to_owned(), Value::Null),
            ]
            .into(),
        );
        let map = StringMap::read(&value).expect("a map");
        assert_eq!(map.strings(), [("a".to_owned(), "1".to_owned())].into());
        assert_eq!(map.write(), value);

        let value = Value::Map([("a".to_owned(), Value::from(1i64))].into());
        let err = StringMap::read(&value).expect_err("not strings");
        assert_eq!(err.to_string(), r#"`["a"]` is not a string"#);
    }

    #[test]
    fn lists_name_the_element_at_fault() {
        let value = Value::List(vec!["a".into(), Value::Null]);
        let err = Vec::<String>::read(&value).expect_err("a null element");
        assert_eq!(err.to_string(), "`[1]` is null");
        let strings = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(Vec::<String>::read(&strings.write()), Ok(strings));
    }

    #[test]
    fn numbers_round_trip() {
        assert_eq!(i64::read(&Value::from(3i64)), Ok(3));
        assert_eq!(
            i64::read(&Value::from(2.5)).map_err(|e| e.problem),
            Err(Problem::NotA("a whole number"))
        );
        assert_eq!(
            f64::read(&Value::from(0.85)).map(|f| f.write()),
            Ok(Value::from(0.85))
        );
    }

    #[test]
    fn diagnostics_name_the_resource_type_and_the_attribute() {
        let diag = ShapeError::missing("name").diagnostic("lookoutvision_project");
        assert_eq!(
            diag.summary,
            "Invalid value of lookoutvision_project: `name` is null"
        );
        assert!(diag.detail.contains("terraform state rm"), "{diag:?}");
    }

    #[test]
    fn the_timeouts_name_is_the_frameworks() {
        let timeouts = Timeouts {
            delete: Some(Duration::from_secs(60)),
            ..Timeouts::default()
        };
        assert_eq!(timeouts.block().expect("a timeouts block").name, TIMEOUTS);
    }
}
