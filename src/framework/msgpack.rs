//! Values in Terraform's msgpack encoding (cty's), the form of almost every `DynamicValue`.
//!
//! The encoding is not self-describing: null is nil and unknown is any extension at every level,
//! and lists, sets and objects look alike, so both directions are driven by the schema type.
//!
//! - string: str; bool: bool; list and set: array (set order kept as given); map: map with str
//!   keys; object: map with str keys, every attribute of the type present (nil for null).
//! - number: any msgpack int or float, or a str holding a decimal (cty's form for numbers no
//!   64-bit type holds), read with [`Number::parse`]. An unsigned integer beyond `i64` is read
//!   as a float only when the float holds it exactly; otherwise it is an error, not a rounding.
//!   Written as the smallest int for [`Number::Int`] and as float64 for [`Number::Float`].
//! - unknown: read from any extension, whatever its type and length (type 12, "refined
//!   unknown", carries a map of refinements, which the framework does not model and skips);
//!   written as fixext1 type 0 with one zero byte, `d4 00 00`.

use std::collections::BTreeMap;

use rmp::encode::{self as write, ByteBuf};
use rmp::Marker;

use super::codec::{insert_new, number_from_f64, number_from_str, number_from_u64, InValue};
pub use super::codec::{DecodeError, EncodeError};
use super::codec::{ObjectDecoder, Typed};
use super::value::{Number, Type, Value};

/// Reads one value of type `ty` from `bytes`, which must hold exactly that value.
///
/// Never panics: truncated data, a marker of the wrong kind, a length larger than the data left
/// and trailing bytes are all errors, located by attribute path.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let mut reader = Reader { rest: bytes };
    let value = reader.value(ty)?;
    if reader.rest.is_empty() {
        Ok(value)
    } else {
        Err(DecodeError::new("unexpected data after the value"))
    }
}

/// Writes `value` as type `ty`.
///
/// Fails when the value does not fit the type (including an object attribute the type lacks),
/// holds a non-finite float, or has a string or collection too long for msgpack.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    let mut out = ByteBuf::new();
    write_value(&mut out, value, ty)?;
    Ok(out.into_vec())
}

/// Writes into `out`. `ByteBuf` writes cannot fail (their error type is uninhabited), which
/// the irrefutable `let Ok(..)` patterns let the compiler check.
fn write_value(out: &mut ByteBuf, value: &Value, ty: &Type) -> Result<(), EncodeError> {
    match Typed::of(value, ty)? {
        Typed::Null => {
            let Ok(()) = write::write_nil(out);
        }
        Typed::Unknown => {
            // fixext1 of type 0, then its one payload byte: `d4 00 00`.
            let Ok(_) = write::write_ext_meta(out, 1, 0);
            out.as_mut_vec().push(0);
        }
        Typed::Bool(b) => {
            let Ok(()) = write::write_bool(out, b);
        }
        Typed::Number(Number::Int(i)) => {
            let Ok(_) = write::write_sint(out, i);
        }
        Typed::Number(Number::Float(f)) => {
            let Ok(()) = write::write_f64(out, f);
        }
        Typed::String(s) => write_str(out, s)?,
        Typed::Sequence(items, element) => {
            let Ok(_) = write::write_array_len(out, wire_len(items.len())?);
            for (index, item) in items.iter().enumerate() {
                write_value(out, item, element).map_err(|e| e.in_element(index))?;
            }
        }
        Typed::Map(entries, element) => {
            let Ok(_) = write::write_map_len(out, wire_len(entries.len())?);
            for (key, item) in entries {
                write_str(out, key)?;
                write_value(out, item, element).map_err(|e| e.in_key(key))?;
            }
        }
        Typed::Object(attributes) => {
            let Ok(_) = write::write_map_len(out, wire_len(attributes.len())?);
            for (name, ty, item) in attributes {
                write_str(out, name)?;
                write_value(out, item, ty).map_err(|e| e.in_attribute(name))?;
            }
        }
    }
    Ok(())
}

fn write_str(out: &mut ByteBuf, s: &str) -> Result<(), EncodeError> {
    // `write::write_str` would truncate the length of a string over 4 GiB; check it first.
    let Ok(_) = write::write_str_len(out, wire_len(s.len())?);
    out.as_mut_vec().extend_from_slice(s.as_bytes());
    Ok(())
}

/// A length as msgpack holds it (32 bits at most).
fn wire_len(len: usize) -> Result<u32, EncodeError> {
    u32::try_from(len)
        .map_err(|_| EncodeError::new(format!("length {len} is too large for msgpack")))
}

/// The bytes not yet read. Every read checks the length left first, so malformed input is an
/// error, never a panic nor an allocation out of proportion to the input.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn value(&mut self, ty: &Type) -> Result<Value, DecodeError> {
        let marker = self.marker()?;
        if matches!(marker, Marker::Null) {
            return Ok(Value::Null);
        }
        if self.skip_extension(marker)? {
            return Ok(Value::Unknown);
        }
        let value = match ty {
            Type::String => self.str(marker)?.map(Value::string),
            Type::Number => self.number(marker)?.map(Value::Number),
            Type::Bool => match marker {
                Marker::True => Some(Value::Bool(true)),
                Marker::False => Some(Value::Bool(false)),
                _ => None,
            },
            Type::List(element) => self.array(marker, element)?.map(Value::List),
            Type::Set(element) => self.array(marker, element)?.map(Value::Set),
            Type::Map(element) => self.map(marker, element)?,
            Type::Object(attributes) => self.object(marker, attributes)?,
        };
        value.ok_or_else(|| DecodeError::mismatch(ty, describe(marker)))
    }

    /// Skips an extension, reporting whether `marker` began one.
    fn skip_extension(&mut self, marker: Marker) -> Result<bool, DecodeError> {
        let len = match marker {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => self.len8()?,
            Marker::Ext16 => self.len16()?,
            Marker::Ext32 => self.len32()?,
            _ => return Ok(false),
        };
        // The type byte, then the payload: for a refined unknown, its whole map of refinements.
        self.take(1)?;
        self.take(len)?;
        Ok(true)
    }

    /// The string that `marker` begins, or `None` if it begins something else.
    fn str(&mut self, marker: Marker) -> Result<Option<&'a str>, DecodeError> {
        let len = match marker {
            Marker::FixStr(len) => len.into(),
            Marker::Str8 => self.len8()?,
            Marker::Str16 => self.len16()?,
            Marker::Str32 => self.len32()?,
            _ => return Ok(None),
        };
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes)
            .map(Some)
            .map_err(|_| DecodeError::new("string is not valid UTF-8"))
    }

    /// The number that `marker` begins, or `None` if it begins something else.
    fn number(&mut self, marker: Marker) -> Result<Option<Number>, DecodeError> {
        Ok(Some(match marker {
            Marker::FixPos(n) => Number::Int(n.into()),
            Marker::FixNeg(n) => Number::Int(n.into()),
            Marker::U8 => Number::Int(u8::from_be_bytes(self.bytes()?).into()),
            Marker::U16 => Number::Int(u16::from_be_bytes(self.bytes()?).into()),
            Marker::U32 => Number::Int(u32::from_be_bytes(self.bytes()?).into()),
            Marker::U64 => number_from_u64(u64::from_be_bytes(self.bytes()?))?,
            Marker::I8 => Number::Int(i8::from_be_bytes(self.bytes()?).into()),
            Marker::I16 => Number::Int(i16::from_be_bytes(self.bytes()?).into()),
            Marker::I32 => Number::Int(i32::from_be_bytes(self.bytes()?).into()),
            Marker::I64 => Number::Int(i64::from_be_bytes(self.bytes()?)),
            Marker::F32 => number_from_f64(f32::from_be_bytes(self.bytes()?).into())?,
            Marker::F64 => number_from_f64(f64::from_be_bytes(self.bytes()?))?,
            _ => match self.str(marker)? {
                Some(text) => number_from_str(text)?,
                None => return Ok(None),
            },
        }))
    }

    /// The elements of the array that `marker` begins, or `None` if it begins something else.
    fn array(&mut self, marker: Marker, element: &Type) -> Result<Option<Vec<Value>>, DecodeError> {
        let len = match marker {
            Marker::FixArray(len) => len.into(),
            Marker::Array16 => self.len16()?,
            Marker::Array32 => self.len32()?,
            _ => return Ok(None),
        };
        self.check_room(len, 1, "array")?;
        let mut items = Vec::with_capacity(len);
        for index in 0..len {
            items.push(self.value(element).map_err(|e| e.in_element(index))?);
        }
        Ok(Some(items))
    }

    /// The map value that `marker` begins, or `None` if it begins something else.
    fn map(&mut self, marker: Marker, element: &Type) -> Result<Option<Value>, DecodeError> {
        let Some(len) = self.map_len(marker)? else {
            return Ok(None);
        };
        let mut entries = BTreeMap::new();
        for _ in 0..len {
            let key = self.key()?;
            let value = self.value(element).map_err(|e| e.in_key(key))?;
            insert_new(&mut entries, key, value)?;
        }
        Ok(Some(Value::Map(entries)))
    }

    /// The object value that `marker` begins, or `None` if it begins something else.
    fn object(
        &mut self,
        marker: Marker,
        attributes: &BTreeMap<String, Type>,
    ) -> Result<Option<Value>, DecodeError> {
        let Some(len) = self.map_len(marker)? else {
            return Ok(None);
        };
        let mut object = ObjectDecoder::new(attributes);
        for _ in 0..len {
            let name = self.key()?;
            object.attribute(name, |ty| self.value(ty))?;
        }
        Ok(Some(object.finish()))
    }

    /// The entry count of the map that `marker` begins, or `None` if it begins something else.
    fn map_len(&mut self, marker: Marker) -> Result<Option<usize>, DecodeError> {
        let len = match marker {
            Marker::FixMap(len) => len.into(),
            Marker::Map16 => self.len16()?,
            Marker::Map32 => self.len32()?,
            _ => return Ok(None),
        };
        self.check_room(len, 2, "map")?;
        Ok(Some(len))
    }

    fn key(&mut self) -> Result<&'a str, DecodeError> {
        let marker = self.marker()?;
        self.str(marker)?.ok_or_else(|| {
            DecodeError::new(format!("expected a string key, found {}", describe(marker)))
        })
    }

    /// Rejects a declared count that the bytes left cannot hold (each item taking at least
    /// `min_size` bytes), before anything is allocated for it.
    fn check_room(&self, count: usize, min_size: usize, what: &str) -> Result<(), DecodeError> {
        if count.saturating_mul(min_size) <= self.rest.len() {
            Ok(())
        } else {
            Err(DecodeError::new(format!(
                "{what} of {count} items cannot fit in the data left"
            )))
        }
    }

    fn marker(&mut self) -> Result<Marker, DecodeError> {
        let [byte] = self.bytes()?;
        Ok(Marker::from_u8(byte))
    }

    fn len8(&mut self) -> Result<usize, DecodeError> {
        Ok(u8::from_be_bytes(self.bytes()?).into())
    }

    fn len16(&mut self) -> Result<usize, DecodeError> {
        Ok(u16::from_be_bytes(self.bytes()?).into())
    }

    fn len32(&mut self) -> Result<usize, DecodeError> {
        // Too large for this platform's memory means too large for the bytes left too.
        Ok(usize::try_from(u32::from_be_bytes(self.bytes()?)).unwrap_or(usize::MAX))
    }

    /// The next `N` bytes (a big-endian number or a marker).
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let (bytes, rest) = self.rest.split_first_chunk::<N>().ok_or_else(truncated)?;
        self.rest = rest;
        Ok(*bytes)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        let (bytes, rest) = self.rest.split_at_checked(len).ok_or_else(truncated)?;
        self.rest = rest;
        Ok(bytes)
    }
}

fn truncated() -> DecodeError {
    DecodeError::new("unexpected end of data")
}

/// What a marker begins, for messages.
fn describe(marker: Marker) -> &'static str {
    match marker {
        Marker::Null => "nil",
        Marker::True | Marker::False => "bool",
        Marker::FixPos(_)
        | Marker::FixNeg(_)
        | Marker::U8
        | Marker::U16
        | Marker::U32
        | Marker::U64
        | Marker::I8
        | Marker::I16
        | Marker::I32
        | Marker::I64 => "integer",
        Marker::F32 | Marker::F64 => "float",
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "string",
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "binary data",
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "array",
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "map",
        Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16
        | Marker::Ext8
        | Marker::Ext16
        | Marker::Ext32 => "extension",
        Marker::Reserved => "the reserved byte 0xc1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(bytes: &[u8], ty: &Type) -> Value {
        decode(bytes, ty).unwrap_or_else(|e| panic!("decoding {bytes:02x?}: {e}"))
    }

    fn decode_error(bytes: &[u8], ty: &Type) -> String {
        match decode(bytes, ty) {
            Ok(value) => panic!("decoding {bytes:02x?} gave {value:?}"),
            Err(e) => e.to_string(),
        }
    }

    /// `s` as a fixstr.
    fn fixstr(s: &str) -> Vec<u8> {
        let mut bytes = vec![0xa0 | s.len() as u8];
        bytes.extend_from_slice(s.as_bytes());
        bytes
    }

    #[test]
    fn null_is_nil_and_unknown_is_d4_00_00() {
        assert_eq!(encode(&Value::Null, &Type::String).unwrap(), [0xc0]);
        assert_eq!(
            encode(&Value::Unknown, &Type::list(Type::Bool)).unwrap(),
            [0xd4, 0x00, 0x00]
        );
        for ty in [Type::String, Type::map(Type::Number), Type::object([])] {
            assert_eq!(decoded(&[0xc0], &ty), Value::Null);
            assert_eq!(decoded(&[0xd4, 0x00, 0x00], &ty), Value::Unknown);
        }
    }

    #[test]
    fn any_extension_is_unknown_and_is_skipped_whole() {
        // Refined unknown: ext8, 9 payload bytes, type 12, then {1: false, 2: "pre"} plus one
        // byte more than the map needs, which must be skipped by the declared length all the same.
        let mut refined = vec![0xc7, 0x09, 0x0c, 0x82, 0x01, 0xc2, 0x02];
        refined.extend(fixstr("pre"));
        refined.push(0x00);
        let ty = Type::list(Type::String);
        let mut bytes = vec![0x95];
        bytes.extend(&refined);
        bytes.extend([0xd5, 0x7f, 0xaa, 0xbb]); // fixext2 of another type
        bytes.extend([0xd8, 0x0c]); // fixext16
        bytes.extend([0u8; 16]);
        bytes.extend([0xc8, 0x00, 0x01, 0x05, 0xee]); // ext16, one payload byte
        bytes.extend(fixstr("x"));
        assert_eq!(
            decoded(&bytes, &ty),
            Value::List(vec![
                Value::Unknown,
                Value::Unknown,
                Value::Unknown,
                Value::Unknown,
                "x".into()
            ])
        );
        // A payload longer than the data left is truncation, not a value.
        assert_eq!(
            decode_error(&[0xc7, 0x09, 0x0c, 0x80], &ty),
            "unexpected end of data"
        );
    }

    #[test]
    fn numbers_decode_from_every_form() {
        let cases: &[(&[u8], Number)] = &[
            (&[0x05], Number::Int(5)),
            (&[0xe0], Number::Int(-32)),
            (&[0xcc, 0xff], Number::Int(255)),
            (&[0xcd, 0x01, 0x00], Number::Int(256)),
            (
                &[0xce, 0xff, 0xff, 0xff, 0xff],
                Number::Int(u32::MAX.into()),
            ),
            (
                &[0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0],
                Number::Float(9_223_372_036_854_775_808.0),
            ),
            (&[0xd0, 0x80], Number::Int(-128)),
            (&[0xd1, 0x80, 0x00], Number::Int(-32768)),
            (&[0xd2, 0x80, 0, 0, 0], Number::Int(i32::MIN.into())),
            (&[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0], Number::Int(i64::MIN)),
            (&[0xca, 0x3e, 0x80, 0x00, 0x00], Number::Float(0.25)),
            (&[0xcb, 0x40, 0x04, 0, 0, 0, 0, 0, 0], Number::Float(2.5)),
            // Whole floats become integers, as Number::from does.
            (&[0xcb, 0x40, 0x08, 0, 0, 0, 0, 0, 0], Number::Int(3)),
        ];
        for (bytes, number) in cases {
            // Debug output tells Int(3) from Float(3.0), which compare equal.
            let found = format!("{:?}", decoded(bytes, &Type::Number));
            assert_eq!(
                found,
                format!("{:?}", Value::Number(*number)),
                "{bytes:02x?}"
            );
        }
        assert_eq!(decoded(&fixstr("1e30"), &Type::Number), Value::number(1e30));
        assert_eq!(decoded(&fixstr("-17"), &Type::Number), Value::number(-17));
        assert_eq!(
            decode_error(&fixstr("ten"), &Type::Number),
            r#"expected number, found string "ten""#
        );
        assert_eq!(
            decode_error(
                &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                &Type::Number
            ),
            "number 18446744073709551615 is too large to hold exactly"
        );
        assert!(decode(&[0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0], &Type::Number).is_err());
        // NaN
    }

    #[test]
    fn numbers_encode_compactly() {
        let cases: &[(Number, &[u8])] = &[
            (Number::Int(0), &[0x00]),
            (Number::Int(-1), &[0xff]),
            (Number::Int(200), &[0xcc, 0xc8]),
            (Number::Int(-33), &[0xd0, 0xdf]),
            (Number::Int(70_000), &[0xce, 0x00, 0x01, 0x11, 0x70]),
            (Number::Int(i64::MIN), &[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            (Number::Float(0.5), &[0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0]),
        ];
        for (number, bytes) in cases {
            assert_eq!(
                encode(&Value::Number(*number), &Type::Number).unwrap(),
                *bytes,
                "{number}"
            );
        }
        let error =
            encode(&Value::Number(Number::Float(f64::INFINITY)), &Type::Number).unwrap_err();
        assert_eq!(error.to_string(), "inf is not a number Terraform can hold");
    }

    #[test]
    fn objects_encode_every_attribute_in_sorted_order() {
        let ty = Type::object([
            ("b", Type::String),
            ("a", Type::Number),
            ("c", Type::list(Type::Bool)),
        ]);
        let value = Value::object([("b", "x".into())]);
        let mut expected = vec![0x83];
        expected.extend(fixstr("a"));
        expected.push(0xc0);
        expected.extend(fixstr("b"));
        expected.extend(fixstr("x"));
        expected.extend(fixstr("c"));
        expected.push(0xc0);
        assert_eq!(encode(&value, &ty).unwrap(), expected);

        let extra = Value::object([("b", "x".into()), ("zz", Value::Null)]);
        let nested = Type::object([("inner", Type::list(ty.clone()))]);
        let error = encode(
            &Value::object([("inner", Value::List(vec![extra]))]),
            &nested,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"at .inner[0]: unsupported attribute "zz""#
        );
    }

    #[test]
    fn objects_decode_with_missing_attributes_null() {
        let ty = Type::object([("name", Type::String), ("tags", Type::map(Type::String))]);
        let mut bytes = vec![0x81];
        bytes.extend(fixstr("name"));
        bytes.extend(fixstr("p"));
        assert_eq!(
            decoded(&bytes, &ty),
            Value::object([("name", "p".into()), ("tags", Value::Null)])
        );

        let mut bytes = vec![0x81];
        bytes.extend(fixstr("nmae"));
        bytes.push(0xc0);
        assert_eq!(decode_error(&bytes, &ty), r#"unsupported attribute "nmae""#);

        let mut bytes = vec![0x82];
        bytes.extend(fixstr("name"));
        bytes.push(0xc0);
        bytes.extend(fixstr("name"));
        bytes.push(0xc0);
        assert_eq!(decode_error(&bytes, &ty), r#""name" appears twice"#);
    }

    #[test]
    fn errors_name_the_path_and_what_was_found() {
        let ty = Type::object([(
            "endpoints",
            Type::list(Type::object([("lookoutvision", Type::String)])),
        )]);
        let mut bytes = vec![0x81];
        bytes.extend(fixstr("endpoints"));
        bytes.extend([0x91, 0x81]);
        bytes.extend(fixstr("lookoutvision"));
        bytes.push(0x90);
        assert_eq!(
            decode_error(&bytes, &ty),
            "at .endpoints[0].lookoutvision: expected string, found array"
        );

        let mut bytes = vec![0x81];
        bytes.extend(fixstr("k"));
        bytes.push(0xc3);
        assert_eq!(
            decode_error(&bytes, &Type::map(Type::Number)),
            r#"at ["k"]: expected number, found bool"#
        );
        assert_eq!(
            decode_error(&[0x81, 0x01, 0xc0], &Type::map(Type::Number)),
            "expected a string key, found integer"
        );
        assert_eq!(
            decode_error(&[0xc1], &Type::Bool),
            "expected bool, found the reserved byte 0xc1"
        );
        assert_eq!(
            decode_error(&[0xa2, 0xff, 0xfe], &Type::String),
            "string is not valid UTF-8"
        );
    }

    #[test]
    fn malformed_lengths_and_trailing_bytes_are_errors() {
        assert_eq!(decode_error(&[], &Type::Bool), "unexpected end of data");
        assert_eq!(
            decode_error(&[0xc3, 0xc3], &Type::Bool),
            "unexpected data after the value"
        );
        assert_eq!(
            decode_error(
                &[0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0],
                &Type::list(Type::Bool)
            ),
            "array of 4294967295 items cannot fit in the data left"
        );
        assert_eq!(
            decode_error(
                &[0xdf, 0x00, 0x01, 0x00, 0x00, 0xc0],
                &Type::map(Type::Bool)
            ),
            "map of 65536 items cannot fit in the data left"
        );
        assert_eq!(
            decode_error(&[0xdb, 0xff, 0xff, 0xff, 0xff], &Type::String),
            "unexpected end of data"
        );
        assert_eq!(
            decode_error(&[0x91, 0x91, 0xc3], &Type::list(Type::Bool)),
            "at [0]: expected bool, found array"
        );
    }

    #[test]
    fn sets_keep_their_order_and_values_need_the_right_shape() {
        let ty = Type::set(Type::String);
        let value = Value::Set(vec!["b".into(), "a".into()]);
        let bytes = encode(&value, &ty).unwrap();
        assert_eq!(bytes, [0x92, 0xa1, b'b', 0xa1, b'a']);
        assert_eq!(decoded(&bytes, &ty), value);
        let error = encode(&Value::object([("a", 1.into())]), &Type::String).unwrap_err();
        assert_eq!(error.to_string(), "expected string, found object");
    }
}
