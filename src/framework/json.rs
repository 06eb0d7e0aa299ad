//! Values in Terraform's JSON encoding, the form of stored state handed to
//! `UpgradeResourceState` (`RawState.json`).
//!
//! JSON null is null; objects are read against object types, with missing attributes null and
//! attributes the type lacks an error, or dropped where the caller says (see [`Undeclared`]);
//! lists and sets are arrays; maps are objects. Numbers are JSON numbers, or strings holding a
//! decimal for tolerance, under the same rules as [`msgpack`](super::msgpack). Unknown values
//! cannot appear in state, so there is no JSON form of them.

use serde_json::Value as Json;

use super::codec::{
    number_from_f64, number_from_str, number_from_u64, InValue, ObjectDecoder, Typed,
};
pub use super::codec::{DecodeError, EncodeError};
use super::value::{Number, Type, Value};

/// What reading an object does with an attribute its type does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undeclared {
    /// Refuse it: the value was written for another type.
    Reject,
    /// Leave it out: stored state keeps the attributes that a later schema version removed.
    Drop,
}

/// Reads a value of type `ty` from the JSON document in `bytes`; attributes `ty` lacks are an
/// error.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    from_value(&parse(bytes)?, ty, Undeclared::Reject)
}

/// The JSON document in `bytes`, not yet read against a type.
pub fn parse(bytes: &[u8]) -> Result<Json, DecodeError> {
    serde_json::from_slice(bytes).map_err(|e| DecodeError::new(format!("invalid JSON: {e}")))
}

/// Reads `json` as a value of type `ty`, treating object attributes that `ty` lacks, at any
/// depth, as `undeclared` says.
pub fn from_value(json: &Json, ty: &Type, undeclared: Undeclared) -> Result<Value, DecodeError> {
    Ok(match (ty, json) {
        (_, Json::Null) => Value::Null,
        (Type::String, Json::String(s)) => Value::String(s.clone()),
        (Type::Number, Json::Number(n)) => Value::Number(number(n)?),
        (Type::Number, Json::String(s)) => Value::Number(number_from_str(s)?),
        (Type::Bool, Json::Bool(b)) => Value::Bool(*b),
        (Type::List(element), Json::Array(items)) => {
            Value::List(elements(items, element, undeclared)?)
        }
        (Type::Set(element), Json::Array(items)) => {
            Value::Set(elements(items, element, undeclared)?)
        }
        (Type::Map(element), Json::Object(entries)) => Value::Map(
            entries
                .iter()
                .map(|(key, item)| {
                    Ok((
                        key.clone(),
                        from_value(item, element, undeclared).map_err(|e| e.in_key(key))?,
                    ))
                })
                .collect::<Result<_, DecodeError>>()?,
        ),
        (Type::Object(attributes), Json::Object(entries)) => {
            let mut object = ObjectDecoder::new(attributes);
            for (name, item) in entries {
                if undeclared == Undeclared::Drop && !attributes.contains_key(name) {
                    continue;
                }
                object.attribute(name, |ty| from_value(item, ty, undeclared))?;
            }
            object.finish()
        }
        _ => return Err(DecodeError::mismatch(ty, kind(json))),
    })
}

fn elements(
    items: &[Json],
    element: &Type,
    undeclared: Undeclared,
) -> Result<Vec<Value>, DecodeError> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| from_value(item, element, undeclared).map_err(|e| e.in_element(index)))
        .collect()
}

fn number(n: &serde_json::Number) -> Result<Number, DecodeError> {
    if let Some(i) = n.as_i64() {
        Ok(Number::Int(i))
    } else if let Some(u) = n.as_u64() {
        number_from_u64(u)
    } else {
        // `as_f64` is `None` only for a number out of f64 range when serde_json keeps arbitrary
        // precision (a feature another crate may turn on).
        n.as_f64().map_or_else(
            || Err(DecodeError::new(format!("number {n} is out of range"))),
            number_from_f64,
        )
    }
}

/// What kind of JSON value this is, for messages.
fn kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// Writes `value` as type `ty` in the JSON form [`decode`] reads, with every object attribute
/// present (null where absent). Unknown values are an error, as they have no JSON form.
pub fn encode(value: &Value, ty: &Type) -> Result<Json, EncodeError> {
    Ok(match Typed::of(value, ty)? {
        Typed::Null => Json::Null,
        Typed::Unknown => return Err(EncodeError::new("an unknown value has no JSON form")),
        Typed::Bool(b) => Json::Bool(b),
        Typed::Number(Number::Int(i)) => Json::from(i),
        // Finite, as `Typed` checked, so this is never JSON's null for NaN.
        Typed::Number(Number::Float(f)) => Json::from(f),
        Typed::String(s) => Json::from(s),
        Typed::Sequence(items, element) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| encode(item, element).map_err(|e| e.in_element(index)))
                .collect::<Result<_, _>>()?,
        ),
        Typed::Map(entries, element) => Json::Object(
            entries
                .iter()
                .map(|(key, item)| {
                    Ok((
                        key.clone(),
                        encode(item, element).map_err(|e| e.in_key(key))?,
                    ))
                })
                .collect::<Result<_, EncodeError>>()?,
        ),
        Typed::Object(attributes) => Json::Object(
            attributes
                .into_iter()
                .map(|(name, ty, item)| {
                    Ok((
                        name.to_owned(),
                        encode(item, ty).map_err(|e| e.in_attribute(name))?,
                    ))
                })
                .collect::<Result<_, EncodeError>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn project() -> Type {
        Type::object([
            ("name", Type::String),
            ("units", Type::Number),
            ("tags", Type::map(Type::String)),
            ("labels", Type::set(Type::String)),
        ])
    }

    #[test]
    fn state_decodes_against_the_schema() {
        let state = br#"{"name": "p", "units": "3", "tags": {"env": "dev"}, "labels": null}"#;
        assert_eq!(
            decode(state, &project()).unwrap(),
            Value::object([
                ("name", "p".into()),
                ("units", 3.into()),
                (
                    "tags",
                    Value::Map([("env".to_owned(), "dev".into())].into())
                ),
                ("labels", Value::Null),
            ])
        );
        // Attributes added to the schema since the state was written read as null.
        assert_eq!(
            decode(br#"{}"#, &project()).unwrap().get("units"),
            &Value::Null
        );
    }

    #[test]
    fn errors_name_the_attribute() {
        let error = decode(br#"{"name": "p", "old_field": 1}"#, &project()).unwrap_err();
        assert_eq!(error.to_string(), r#"unsupported attribute "old_field""#);
        let error = decode(br#"{"labels": ["a", 2]}"#, &project()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "at .labels[1]: expected string, found number"
        );
        let error = decode(br#"{"units": "many"}"#, &project()).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"at .units: expected number, found string "many""#
        );
        assert!(decode(br#"{} x"#, &project())
            .unwrap_err()
            .message
            .starts_with("invalid JSON"));
    }

    #[test]
    fn dropping_undeclared_attributes_reaches_nested_objects() {
        let ty = Type::object([
            ("name", Type::String),
            ("rule", Type::list(Type::object([("size", Type::Number)]))),
            ("tags", Type::map(Type::String)),
        ]);
        let stored = json!({
            "name": "p",
            "removed": {"any": "shape"},
            "rule": [{"size": 1, "removed_too": true}],
            "tags": {"removed": "is a key here, not an attribute"},
        });
        assert_eq!(
            from_value(&stored, &ty, Undeclared::Drop).unwrap(),
            Value::object([
                ("name", "p".into()),
                (
                    "rule",
                    Value::List(vec![Value::object([("size", 1.into())])])
                ),
                (
                    "tags",
                    Value::Map(
                        [(
                            "removed".to_owned(),
                            "is a key here, not an attribute".into()
                        )]
                        .into()
                    )
                ),
            ])
        );
        let error = from_value(&stored, &ty, Undeclared::Reject).unwrap_err();
        assert_eq!(error.to_string(), r#"unsupported attribute "removed""#);
        // Declared attributes are still checked.
        let error =
            from_value(&json!({"rule": [{"size": "x"}]}), &ty, Undeclared::Drop).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"at .rule[0].size: expected number, found string "x""#
        );
    }

    #[test]
    fn numbers_follow_the_msgpack_rules() {
        assert_eq!(decode(b"2.5", &Type::Number).unwrap(), Value::number(2.5));
        assert_eq!(decode(b"-7", &Type::Number).unwrap(), Value::number(-7));
        // Debug output, as `==` would also take i64::MAX for 2^63.
        let beyond_i64 = decode(b"9223372036854775808", &Type::Number).unwrap();
        assert_eq!(
            format!("{beyond_i64:?}"),
            "Number(Float(9.223372036854776e18))"
        );
        assert!(decode(b"18446744073709551615", &Type::Number).is_err());
    }

    #[test]
    fn encode_fills_every_attribute_and_rejects_unknown() {
        let value = Value::object([
            ("name", "p".into()),
            ("labels", Value::Set(vec!["a".into()])),
        ]);
        assert_eq!(
            encode(&value, &project()).unwrap(),
            json!({"labels": ["a"], "name": "p", "tags": null, "units": null})
        );
        let error = encode(&Value::object([("tags", Value::Unknown)]), &project()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "at .tags: an unknown value has no JSON form"
        );
    }
}
