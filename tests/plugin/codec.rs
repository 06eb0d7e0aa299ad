//! The value codecs against random types and values, realistic state, and hostile bytes.

use std::collections::BTreeMap;

use lookoutvision::framework::value::{Number, Type, Value};
use lookoutvision::framework::{json, msgpack};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::Union;

/// Any type, nested up to three levels.
fn any_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool)];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            btree_map("[a-z_]{1,8}", inner, 0..4).prop_map(Type::Object),
        ]
    })
}

/// Which codec a generated value is for: JSON state holds no unknowns, and its floats need care.
#[derive(Clone, Copy, PartialEq)]
enum Codec {
    Msgpack,
    Json,
}

/// Any value of `ty` for `codec`, with null (and unknown, for msgpack) possible at every level.
/// Objects carry every attribute, as decoding fills missing ones with null.
fn any_value(ty: &Type, codec: Codec) -> BoxedStrategy<Value> {
    let known = match ty {
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Number => {
            // Finite floats only (cty has no NaN), whole ones included on purpose. serde_json
            // without its `float_roundtrip` feature may parse a float one ULP off, so JSON gets
            // floats whose decimal form it parses exactly (few digits, small exponent).
            let floats = match codec {
                Codec::Msgpack => {
                    (prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO)
                        .boxed()
                }
                Codec::Json => (any::<i16>(), 0..=8i32)
                    .prop_map(|(m, e)| f64::from(m) / 2f64.powi(e))
                    .boxed(),
            };
            prop_oneof![
                any::<i64>().prop_map(|i| Value::Number(Number::Int(i))),
                floats.prop_map(|f| Value::Number(Number::Float(f))),
                (-1e6..1e6f64).prop_map(|f| Value::Number(Number::Float(f.trunc()))),
            ]
            .boxed()
        }
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::List(element) => vec(any_value(element, codec), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(element) => vec(any_value(element, codec), 0..4)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(element) => btree_map(any::<String>(), any_value(element, codec), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Object(attributes) => attributes
            .iter()
            .map(|(name, ty)| {
                let name = name.clone();
                any_value(ty, codec).prop_map(move |value| (name.clone(), value))
            })
            .collect::<Vec<_>>()
            .prop_map(|attributes| Value::Object(attributes.into_iter().collect()))
            .boxed(),
    };
    let mut choices = vec![(1, Just(Value::Null).boxed()), (6, known)];
    if codec == Codec::Msgpack {
        choices.push((1, Just(Value::Unknown).boxed()));
    }
    Union::new_weighted(choices).boxed()
}

fn typed_value(codec: Codec) -> impl Strategy<Value = (Type, Value)> {
    any_type().prop_flat_map(move |ty| {
        let value = any_value(&ty, codec);
        (Just(ty), value)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn msgpack_round_trips((ty, value) in typed_value(Codec::Msgpack)) {
        let bytes = msgpack::encode(&value, &ty).unwrap();
        prop_assert_eq!(msgpack::decode(&bytes, &ty).unwrap(), value);
    }

    #[test]
    fn json_round_trips((ty, value) in typed_value(Codec::Json)) {
        let text = json::encode(&value, &ty).unwrap().to_string();
        prop_assert_eq!(json::decode(text.as_bytes(), &ty).unwrap(), value);
    }

    #[test]
    fn trailing_bytes_are_an_error(
        (ty, value) in typed_value(Codec::Msgpack),
        garbage in vec(any::<u8>(), 1..8),
    ) {
        let mut bytes = msgpack::encode(&value, &ty).unwrap();
        bytes.extend(garbage);
        prop_assert!(msgpack::decode(&bytes, &ty).is_err());
    }

    #[test]
    fn truncated_encodings_are_an_error(
        (ty, value) in typed_value(Codec::Msgpack),
        cut in any::<Index>(),
    ) {
        // msgpack is prefix-free: no proper prefix of a value is a whole value.
        let bytes = msgpack::encode(&value, &ty).unwrap();
        let cut = cut.index(bytes.len());
        prop_assert!(msgpack::decode(&bytes[..cut], &ty).is_err());
    }

    #[test]
    fn mutated_encodings_never_panic(
        (ty, value) in typed_value(Codec::Msgpack),
        edits in vec((any::<Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = msgpack::encode(&value, &ty).unwrap();
        for (at, byte) in edits {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        // Whatever still decodes is a proper value of the type: it encodes and reads back.
        if let Ok(decoded) = msgpack::decode(&bytes, &ty) {
            let again = msgpack::encode(&decoded, &ty).unwrap();
            prop_assert_eq!(msgpack::decode(&again, &ty).unwrap(), decoded);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(ty in any_type(), bytes in vec(any::<u8>(), 0..64)) {
        let _ = msgpack::decode(&bytes, &ty);
        let _ = json::decode(&bytes, &ty);
    }
}

/// A resource's state as Terraform stores it, with the shapes the provider's schemas use.
#[test]
fn realistic_state_decodes() {
    let ty = Type::object([
        ("id", Type::String),
        ("project_name", Type::String),
        ("arn", Type::String),
        ("max_inference_units", Type::Number),
        ("min_inference_units", Type::Number),
        ("anomaly_score", Type::Number),
        ("auto_update", Type::Bool),
        ("tags", Type::map(Type::String)),
        ("tags_all", Type::map(Type::String)),
        ("labels", Type::set(Type::String)),
        (
            "datasets",
            Type::list(Type::object([
                ("dataset_type", Type::String),
                ("image_count", Type::Number),
                ("status", Type::String),
            ])),
        ),
        (
            "timeouts",
            Type::object([("create", Type::String), ("delete", Type::String)]),
        ),
        ("added_later", Type::String),
    ]);
    let state = br#"{
        "id": "cookies",
        "project_name": "cookies",
        "arn": "arn:aws:lookoutvision:us-east-1:123456789012:project/cookies",
        "max_inference_units": 4,
        "min_inference_units": "1",
        "anomaly_score": 0.875,
        "auto_update": false,
        "tags": {"env": "dev", "team": "vision"},
        "tags_all": {},
        "labels": ["normal", "anomaly"],
        "datasets": [
            {"dataset_type": "train", "image_count": 120, "status": "CREATE_COMPLETE"},
            {"dataset_type": "test", "image_count": 30, "status": "CREATE_COMPLETE"}
        ],
        "timeouts": {"create": "30m", "delete": null}
    }"#;
    let dataset = |kind: &str, count: i64| {
        Value::object([
            ("dataset_type", kind.into()),
            ("image_count", count.into()),
            ("status", "CREATE_COMPLETE".into()),
        ])
    };
    let strings = |pairs: &[(&str, &str)]| {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::from(*v)))
                .collect(),
        )
    };
    let expected = Value::object([
        ("id", "cookies".into()),
        ("project_name", "cookies".into()),
        (
            "arn",
            "arn:aws:lookoutvision:us-east-1:123456789012:project/cookies".into(),
        ),
        ("max_inference_units", 4.into()),
        ("min_inference_units", 1.into()),
        ("anomaly_score", 0.875.into()),
        ("auto_update", false.into()),
        ("tags", strings(&[("env", "dev"), ("team", "vision")])),
        ("tags_all", Value::Map(BTreeMap::new())),
        (
            "labels",
            Value::Set(vec!["normal".into(), "anomaly".into()]),
        ),
        (
            "datasets",
            Value::List(vec![dataset("train", 120), dataset("test", 30)]),
        ),
        (
            "timeouts",
            Value::object([("create", "30m".into()), ("delete", Value::Null)]),
        ),
        ("added_later", Value::Null),
    ]);
    assert_eq!(json::decode(state, &ty).unwrap(), expected);

    // The same value travels as msgpack too.
    let bytes = msgpack::encode(&expected, &ty).unwrap();
    assert_eq!(msgpack::decode(&bytes, &ty).unwrap(), expected);

    // State from a schema with an attribute this one dropped needs an upgrade, not a guess.
    let old = br#"{"id": "cookies", "datasets": [{"dataset_type": "train", "version": 1}]}"#;
    let error = json::decode(old, &ty).unwrap_err();
    assert_eq!(error.path, ".datasets[0]");
    assert_eq!(
        error.to_string(),
        r#"at .datasets[0]: unsupported attribute "version""#
    );
}
