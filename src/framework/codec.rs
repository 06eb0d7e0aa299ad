//! What the two value codecs ([`msgpack`](super::msgpack) and [`json`](super::json)) share:
//! errors that say where in a value they happened, and the rules that do not depend on the wire
//! syntax (numbers, object attributes, which values fit which types).

use std::collections::BTreeMap;
use std::fmt;

use super::value::{Number, Type, Value};

/// Bytes from Terraform that do not hold a value of the expected type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", Located(.path, .message))]
pub struct DecodeError {
    /// Where in the value, as an attribute path such as `.endpoints[0].name`; empty for the value
    /// as a whole.
    pub path: String,
    /// What is wrong there, for a person: `expected string, found array`.
    pub message: String,
}

/// A value the provider built that cannot be sent as its type: a bug in the provider.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", Located(.path, .message))]
pub struct EncodeError {
    /// Where in the value, as an attribute path such as `.endpoints[0].name`; empty for the value
    /// as a whole.
    pub path: String,
    /// What is wrong there, for a person.
    pub message: String,
}

/// Shows a message with its path: `at .name: expected string, found array`.
struct Located<'a>(&'a str, &'a str);

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Located("", message) => f.write_str(message),
            Located(path, message) => write!(f, "at {path}: {message}"),
        }
    }
}

/// An error that learns where it happened on its way out of the nested values: each level of
/// the codec prepends its own step, so the happy path never builds a path.
pub(crate) trait InValue: Sized {
    /// An error at the value itself.
    fn new(message: impl Into<String>) -> Self;

    /// The path so far (the part inside the current value).
    fn path_mut(&mut self) -> &mut String;

    /// The same error, inside attribute `name` of an object.
    fn in_attribute(mut self, name: &str) -> Self {
        self.path_mut().insert_str(0, &format!(".{name}"));
        self
    }

    /// The same error, inside element `index` of a list or set.
    fn in_element(mut self, index: usize) -> Self {
        self.path_mut().insert_str(0, &format!("[{index}]"));
        self
    }

    /// The same error, inside the element of a map at `key`.
    fn in_key(mut self, key: &str) -> Self {
        self.path_mut().insert_str(0, &format!("[{key:?}]"));
        self
    }
}

impl InValue for DecodeError {
    fn new(message: impl Into<String>) -> Self {
        DecodeError {
            path: String::new(),
            message: message.into(),
        }
    }

    fn path_mut(&mut self) -> &mut String {
        &mut self.path
    }
}

impl InValue for EncodeError {
    fn new(message: impl Into<String>) -> Self {
        EncodeError {
            path: String::new(),
            message: message.into(),
        }
    }

    fn path_mut(&mut self) -> &mut String {
        &mut self.path
    }
}

impl DecodeError {
    /// The wire held something else than `expected` (`found` names what, in the wire's terms).
    pub(crate) fn mismatch(expected: &Type, found: &str) -> Self {
        DecodeError::new(format!("expected {expected}, found {found}"))
    }
}

/// An unsigned integer as a [`Number`].
///
/// Beyond `i64` it becomes a float only when the float holds it exactly (as 2^63 does); any other
/// value would silently change, and cty numbers are exact, so that is an error instead.
pub(crate) fn number_from_u64(u: u64) -> Result<Number, DecodeError> {
    if let Ok(i) = i64::try_from(u) {
        return Ok(Number::Int(i));
    }
    let f = u as f64;
    // `f` may have rounded up to 2^64, which the cast back saturates to u64::MAX; compare the
    // float too so that case is not mistaken for exact.
    if f < u64::MAX as f64 && f as u64 == u {
        // Beyond i64, so a float by `Number`'s own rule (`Number::from` would turn 2^63 into
        // i64::MAX: its range check lets 2^63 through).
        Ok(Number::Float(f))
    } else {
        Err(DecodeError::new(format!(
            "number {u} is too large to hold exactly"
        )))
    }
}

/// A float as a [`Number`]; cty has no NaN or infinities.
pub(crate) fn number_from_f64(f: f64) -> Result<Number, DecodeError> {
    if f.is_finite() {
        Ok(Number::from(f))
    } else {
        Err(DecodeError::new(format!(
            "{f} is not a number Terraform can hold"
        )))
    }
}

/// cty's decimal string form of a number, read as [`Number::parse`] does (to the nearest float
/// when it is not an `i64`).
pub(crate) fn number_from_str(text: &str) -> Result<Number, DecodeError> {
    Number::parse(text)
        .ok_or_else(|| DecodeError::new(format!("expected number, found string {text:?}")))
}

/// Adds a map or object entry that must not already be there: a repeated key cannot come from
/// Terraform, and silently keeping one of the two would hide the corruption.
pub(crate) fn insert_new(
    entries: &mut BTreeMap<String, Value>,
    key: &str,
    value: Value,
) -> Result<(), DecodeError> {
    match entries.insert(key.to_owned(), value) {
        None => Ok(()),
        Some(_) => Err(DecodeError::new(format!("{key:?} appears twice"))),
    }
}

/// Collects an object's attributes as a decoder meets them, against the object type.
pub(crate) struct ObjectDecoder<'t> {
    attributes: &'t BTreeMap<String, Type>,
    values: BTreeMap<String, Value>,
}

impl<'t> ObjectDecoder<'t> {
    /// An object of the type with these attributes, none read yet.
    pub(crate) fn new(attributes: &'t BTreeMap<String, Type>) -> Self {
        ObjectDecoder {
            attributes,
            values: BTreeMap::new(),
        }
    }

    /// Decodes attribute `name` with `decode`, given the attribute's type.
    ///
    /// A name the type lacks is an error rather than something to drop: the value was written
    /// for another schema. Only stored state may hold attributes that a later schema removed,
    /// and [`json::from_value`](super::json::from_value) skips those before they get here.
    pub(crate) fn attribute(
        &mut self,
        name: &str,
        decode: impl FnOnce(&'t Type) -> Result<Value, DecodeError>,
    ) -> Result<(), DecodeError> {
        let ty = self
            .attributes
            .get(name)
            .ok_or_else(|| DecodeError::new(format!("unsupported attribute {name:?}")))?;
        let value = decode(ty).map_err(|e| e.in_attribute(name))?;
        insert_new(&mut self.values, name, value)
    }

    /// The object, with null for every attribute the encoding left out.
    pub(crate) fn finish(mut self) -> Value {
        for name in self.attributes.keys() {
            self.values.entry(name.clone()).or_insert(Value::Null);
        }
        Value::Object(self.values)
    }
}

/// A value checked against its type: what the encoders write, each in its own syntax.
pub(crate) enum Typed<'a> {
    /// Null.
    Null,
    /// Unknown.
    Unknown,
    /// A boolean.
    Bool(bool),
    /// A number, finite as cty requires.
    Number(Number),
    /// A string.
    String(&'a str),
    /// A list or a set (written alike), with the element type.
    Sequence(&'a [Value], &'a Type),
    /// A map, with the element type.
    Map(&'a BTreeMap<String, Value>, &'a Type),
    /// Every attribute of the object type in sorted order, with its value (null where the value
    /// lacks it): Terraform rejects an object with attributes missing.
    Object(Vec<(&'a str, &'a Type, &'a Value)>),
}

impl<'a> Typed<'a> {
    /// Checks `value` against `ty` (one level deep).
    ///
    /// The type decides the encoding, so a list value passes for a set type and a map value for
    /// an object type (and the other way round): they are written alike and mean the same.
    pub(crate) fn of(value: &'a Value, ty: &'a Type) -> Result<Self, EncodeError> {
        const NULL: &Value = &Value::Null;
        Ok(match (value, ty) {
            (Value::Null, _) => Typed::Null,
            (Value::Unknown, _) => Typed::Unknown,
            (Value::Bool(b), Type::Bool) => Typed::Bool(*b),
            (Value::Number(Number::Float(f)), Type::Number) if !f.is_finite() => {
                return Err(EncodeError::new(format!(
                    "{f} is not a number Terraform can hold"
                )));
            }
            (Value::Number(n), Type::Number) => Typed::Number(*n),
            (Value::String(s), Type::String) => Typed::String(s),
            (Value::List(items) | Value::Set(items), Type::List(element) | Type::Set(element)) => {
                Typed::Sequence(items, element)
            }
            (Value::Map(entries) | Value::Object(entries), Type::Map(element)) => {
                Typed::Map(entries, element)
            }
            (Value::Map(entries) | Value::Object(entries), Type::Object(attributes)) => {
                if let Some(extra) = entries.keys().find(|name| !attributes.contains_key(*name)) {
                    return Err(EncodeError::new(format!("unsupported attribute {extra:?}")));
                }
                Typed::Object(
                    attributes
                        .iter()
                        .map(|(name, ty)| (name.as_str(), ty, entries.get(name).unwrap_or(NULL)))
                        .collect(),
                )
            }
            _ => {
                return Err(EncodeError::new(format!(
                    "expected {ty}, found {}",
                    kind(value)
                )));
            }
        })
    }
}

/// What kind of value this is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Unknown => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_build_from_the_inside_out() {
        let error = DecodeError::mismatch(&Type::String, "array")
            .in_attribute("lookoutvision")
            .in_element(0)
            .in_attribute("endpoints");
        assert_eq!(error.path, ".endpoints[0].lookoutvision");
        assert_eq!(
            error.to_string(),
            "at .endpoints[0].lookoutvision: expected string, found array"
        );
        assert_eq!(
            DecodeError::new("bad").in_key("a b").to_string(),
            r#"at ["a b"]: bad"#
        );
        assert_eq!(DecodeError::new("bad").to_string(), "bad");
    }

    #[test]
    fn unsigned_integers_beyond_i64_must_be_exact_floats() {
        assert!(matches!(number_from_u64(7), Ok(Number::Int(7))));
        // Debug output, as `==` would take i64::MAX for 2^63 (they are the same f64).
        let exact = |u| format!("{:?}", number_from_u64(u));
        assert_eq!(exact(1 << 63), "Ok(Float(9.223372036854776e18))");
        assert_eq!(
            exact(u64::MAX - 2047),
            format!("Ok(Float({:?}))", (u64::MAX - 2047) as f64)
        );
        assert!(number_from_u64((1 << 63) + 1).is_err());
        // Rounds to 2^64, which the cast back would saturate to u64::MAX.
        assert!(number_from_u64(u64::MAX).is_err());
    }
}
