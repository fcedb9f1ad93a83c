//! Request bodies as JSON trees, read strictly: a key that appears twice in one object is an
//! error. serde_json's own `Value` keeps the last one, so `{"tenure": 1, "tenure": 50}` would be
//! answered for a customer the caller may not have meant; RFC 8259 leaves such objects'
//! meaning to the reader, and this reader refuses them. Depth stays bounded by serde_json's
//! recursion limit (128), which applies to this visitor as to its own.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// Parses `bytes` as one JSON document, refusing repeated keys and trailing bytes.
pub fn from_slice(bytes: &[u8]) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Strict::deserialize(&mut de)?.0;
    de.end()?;
    Ok(value)
}

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(b)))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Strict, E> {
        Ok(Strict(Value::Number(n.into())))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Strict, E> {
        Ok(Strict(Value::Number(n.into())))
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Strict, E> {
        Number::from_f64(x)
            .map(|n| Strict(Value::Number(n)))
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E>(self, s: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(s)))
    }

    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Strict(Value::Array(out)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "the key {key:?} appears twice in one object"
                )));
            }
            let Strict(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Strict(Value::Object(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::from_slice;

    #[test]
    fn reads_what_serde_json_reads() {
        let text = r#"{"a": [1, -2, 3.5, 1e300, true, null, "s\u00e9"], "b": {"c": {}}, "d": 18446744073709551615}"#;
        assert_eq!(
            from_slice(text.as_bytes()).unwrap(),
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
    }

    #[test]
    fn refuses_repeated_keys_at_any_depth_and_trailing_bytes() {
        for bad in [
            r#"{"a": 1, "a": 2}"#,
            r#"{"x": [{"a": 1, "b": 2, "a": 1}]}"#,
            r#"{"a": 1} {"a": 1}"#,
        ] {
            assert!(from_slice(bad.as_bytes()).is_err(), "{bad}");
        }
        let e = from_slice(br#"{"r": {"tenure": 1, "tenure": 50}}"#).unwrap_err();
        assert!(e.to_string().contains("\"tenure\" appears twice"), "{e}");
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(
            from_slice(deep.as_bytes()).is_err(),
            "past serde_json's recursion limit"
        );
    }
}
