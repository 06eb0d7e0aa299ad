//! Terraform values (cty) as the framework sees them: a type and an untyped value tree.
//!
//! Values carry no type of their own; the schema supplies it. That keeps the codec schema-driven
//! (Terraform's msgpack is not self-describing for null, unknown or sets) and lets resources build
//! values without repeating type information.

use std::collections::BTreeMap;
use std::fmt;

/// A cty type, limited to what provider schemas use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    /// A UTF-8 string.
    String,
    /// An arbitrary-precision number (held as an integer or a float here).
    Number,
    /// A boolean.
    Bool,
    /// An ordered list of one element type.
    List(Box<Type>),
    /// An unordered set of one element type.
    Set(Box<Type>),
    /// A map from strings to one element type.
    Map(Box<Type>),
    /// An object with a fixed set of typed attributes.
    Object(BTreeMap<String, Type>),
}

impl Type {
    /// `list(element)`.
    pub fn list(element: Type) -> Self {
        Type::List(Box::new(element))
    }

    /// `set(element)`.
    pub fn set(element: Type) -> Self {
        Type::Set(Box::new(element))
    }

    /// `map(element)`.
    pub fn map(element: Type) -> Self {
        Type::Map(Box::new(element))
    }

    /// `object({name = type, ...})`.
    pub fn object<'a>(attributes: impl IntoIterator<Item = (&'a str, Type)>) -> Self {
        Type::Object(
            attributes
                .into_iter()
                .map(|(name, ty)| (name.to_owned(), ty))
                .collect(),
        )
    }

    /// The type in Terraform's JSON type notation, as the schema messages carry it.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Value as Json};
        match self {
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::List(element) => json!(["list", element.to_json()]),
            Type::Set(element) => json!(["set", element.to_json()]),
            Type::Map(element) => json!(["map", element.to_json()]),
            Type::Object(attributes) => {
                let attributes: serde_json::Map<String, Json> = attributes
                    .iter()
                    .map(|(name, ty)| (name.clone(), ty.to_json()))
                    .collect();
                json!(["object", attributes])
            }
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::List(element) => write!(f, "list({element})"),
            Type::Set(element) => write!(f, "set({element})"),
            Type::Map(element) => write!(f, "map({element})"),
            Type::Object(_) => f.write_str("object"),
        }
    }
}

/// A number as it travels between Terraform and the provider.
///
/// cty numbers are arbitrary precision; the schemas here only need exact integers (counts, units)
/// and floats (scores), so a number is whichever of the two represents it exactly.
#[derive(Clone, Copy, Debug)]
pub enum Number {
    /// A whole number that fits in 64 bits.
    Int(i64),
    /// Any other finite number.
    Float(f64),
}

impl Number {
    /// The number as an `i64` when it is whole and in range.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(i),
            Number::Float(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
                Some(f as i64)
            }
            Number::Float(_) => None,
        }
    }

    /// The number as an `f64` (possibly rounded).
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// Parses cty's decimal string form (used on the wire for values msgpack cannot hold).
    pub fn parse(text: &str) -> Option<Number> {
        if let Ok(i) = text.parse::<i64>() {
            return Some(Number::Int(i));
        }
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Number::from)
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Self {
        Number::Int(i)
    }
}

impl From<f64> for Number {
    fn from(f: f64) -> Self {
        // Keep whole floats as integers so equal numbers compare and print the same way.
        match Number::Float(f).as_i64() {
            Some(i) if f.fract() == 0.0 => Number::Int(i),
            _ => Number::Float(f),
        }
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            _ => self.as_f64() == other.as_f64(),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

/// A value of some [`Type`]; null and unknown are possible at every level.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// Absent.
    #[default]
    Null,
    /// Not known until apply.
    Unknown,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// A list, in order.
    List(Vec<Value>),
    /// A set; element order carries no meaning.
    Set(Vec<Value>),
    /// A map keyed by string.
    Map(BTreeMap<String, Value>),
    /// An object (or block) keyed by attribute name.
    Object(BTreeMap<String, Value>),
}

impl Value {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Self {
        Value::String(s.into())
    }

    /// A string value, or null when absent.
    pub fn opt_string(s: Option<impl Into<String>>) -> Self {
        s.map_or(Value::Null, Value::string)
    }

    /// A number value.
    pub fn number(n: impl Into<Number>) -> Self {
        Value::Number(n.into())
    }

    /// An object from attribute pairs.
    pub fn object<'a>(attributes: impl IntoIterator<Item = (&'a str, Value)>) -> Self {
        Value::Object(
            attributes
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this is unknown (at the top level only).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Whether this value and everything inside it is known.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) | Value::Set(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().all(Value::is_wholly_known)
            }
            _ => true,
        }
    }

    /// The attribute `name` of an object; null when absent or when this is not an object.
    pub fn get(&self, name: &str) -> &Value {
        const NULL: &Value = &Value::Null;
        match self {
            Value::Object(attributes) => attributes.get(name).unwrap_or(NULL),
            _ => NULL,
        }
    }

    /// Sets attribute `name` of an object (a null value becomes an empty object first).
    pub fn set(&mut self, name: &str, value: Value) {
        if !matches!(self, Value::Object(_)) {
            *self = Value::Object(BTreeMap::new());
        }
        if let Value::Object(attributes) = self {
            attributes.insert(name.to_owned(), value);
        }
    }

    /// The string inside, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean inside, if this is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The integer inside, if this is a known whole number.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The elements of a list or set (empty for null).
    pub fn elements(&self) -> &[Value] {
        match self {
            Value::List(items) | Value::Set(items) => items,
            _ => &[],
        }
    }

    /// The entries of a map or object, if this is one.
    pub fn entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(entries) | Value::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// The known string entries of a map or object (null and unknown entries left out); empty
    /// for anything else.
    pub fn string_map(&self) -> BTreeMap<String, String> {
        self.entries()
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Equality as Terraform sees it: sets compare without regard to order.
    pub fn semantically_equal(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Set(a), Value::Set(b)) => {
                a.len() == b.len()
                    && a.iter().all(|x| b.iter().any(|y| x.semantically_equal(y)))
                    && b.iter().all(|y| a.iter().any(|x| x.semantically_equal(y)))
            }
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.semantically_equal(y))
            }
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, x)| b.get(k).is_some_and(|y| x.semantically_equal(y)))
            }
            _ => self == other,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::string(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::number(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::number(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_json_notation_matches_terraform() {
        let ty = Type::object([("tags", Type::map(Type::String)), ("n", Type::Number)]);
        assert_eq!(
            ty.to_json().to_string(),
            r#"["object",{"n":"number","tags":["map","string"]}]"#
        );
        assert_eq!(
            Type::set(Type::Bool).to_json().to_string(),
            r#"["set","bool"]"#
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        assert_eq!(Number::Int(3), Number::Float(3.0));
        assert_ne!(Number::Int(3), Number::Float(3.5));
        assert!(matches!(Number::from(2.0), Number::Int(2)));
        assert_eq!(Number::parse("1e3"), Some(Number::Int(1000)));
        assert_eq!(
            Number::parse("123456789012"),
            Some(Number::Int(123_456_789_012))
        );
        assert_eq!(Number::parse("0.25"), Some(Number::Float(0.25)));
        assert_eq!(Number::parse("1e999"), None);
        assert_eq!(Number::parse("ten"), None);
    }

    #[test]
    fn sets_are_equal_in_any_order() {
        let a = Value::Set(vec!["x".into(), "y".into()]);
        let b = Value::Set(vec!["y".into(), "x".into()]);
        assert!(a.semantically_equal(&b));
        assert!(!a.semantically_equal(&Value::Set(vec!["x".into()])));
    }

    #[test]
    fn object_access_and_knownness() {
        let mut v = Value::Null;
        v.set("name", "p".into());
        v.set("inner", Value::List(vec![Value::Unknown]));
        assert_eq!(v.get("name").as_str(), Some("p"));
        assert!(v.get("missing").is_null());
        assert!(!v.is_wholly_known());
    }

    #[test]
    fn string_maps_keep_known_strings() {
        let map = Value::Map(
            [
                ("a".to_owned(), Value::string("1")),
                ("b".to_owned(), Value::Null),
                ("c".to_owned(), Value::Unknown),
            ]
            .into(),
        );
        assert_eq!(map.string_map(), [("a".to_owned(), "1".to_owned())].into());
        assert!(Value::Null.string_map().is_empty());
    }
}
