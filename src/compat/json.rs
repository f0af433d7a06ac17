//! JSON output byte-compatible with Python's `json.dumps(..., separators=(",", ":"))`:
//! compact, and ASCII-only (`ensure_ascii=True`), so a token made here has
//! the same bytes as one PyJWT makes from the same claims; and Flask's
//! `jsonify` bytes ([`flask_json_bytes`]) for response bodies.

use std::io;

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;
use serde_json::ser::{CompactFormatter, Formatter, Serializer};

/// Compact formatter that escapes everything outside printable ASCII as
/// lowercase `\uXXXX` (UTF-16 code units), like Python's `ensure_ascii`.
struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if (' '..='~').contains(&c) {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_f64<W>(&mut self, writer: &mut W, value: f64) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        CompactFormatter.write_f64(writer, value)
    }
}

/// Serialises a value the way Python's `json.dumps` with compact separators
/// does.
pub(crate) fn to_python_json<T: Serialize + ?Sized>(
    value: &T,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(256);
    let mut serializer = Serializer::with_formatter(&mut out, PythonFormatter);
    value.serialize(&mut serializer)?;
    Ok(out)
}

/// The bytes of Flask's `jsonify(value)`: sorted keys (recursively), compact,
/// ASCII-escaped, newline-terminated. Framework glue renders its JSON
/// responses with this so that bodies match the reference byte for byte.
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn flask_json_bytes<T: Serialize + ?Sized>(
    value: &T,
) -> Result<Vec<u8>, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    let mut bytes = to_python_json(&SortedKeys(&value))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Serialises a [`Value`] with every object's keys in sorted order
/// (`sort_keys=True`) without copying it: an object whose keys are in order
/// already (always, unless serde_json's `preserve_order` is on in the build)
/// is written as it is, any other through a sorted list of references.
/// Keys compare as Rust strings, by UTF-8 bytes, which is Python's order by
/// code point.
struct SortedKeys<'a>(&'a Value);

impl Serialize for SortedKeys<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(object) if object.keys().is_sorted() => {
                serializer.collect_map(object.iter().map(|(k, v)| (k, SortedKeys(v))))
            }
            Value::Object(object) => {
                let mut entries: Vec<(&String, &Value)> = object.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                serializer.collect_map(entries.into_iter().map(|(k, v)| (k, SortedKeys(v))))
            }
            Value::Array(items) => serializer.collect_seq(items.iter().map(SortedKeys)),
            other => other.serialize(serializer),
        }
    }
}

/// A JSON object that keeps insertion order, where setting an existing key
/// keeps its position (Python `dict.update` semantics).
#[derive(Debug, Default, Clone)]
pub(crate) struct OrderedObject(Vec<(String, Value)>);

impl OrderedObject {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    pub(crate) fn insert(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl Serialize for OrderedObject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dumps(v: &Value) -> String {
        String::from_utf8(to_python_json(v).unwrap_or_default()).unwrap_or_default()
    }

    #[test]
    fn matches_python_dumps() {
        // json.dumps({"a": "é😀\x7f", "b": [1, 2.5, True]}, separators=(",", ":"))
        assert_eq!(
            dumps(&json!({"a": "é😀\u{7f}", "b": [1, 2.5, true]})),
            r#"{"a":"\u00e9\ud83d\ude00\u007f","b":[1,2.5,true]}"#
        );
        assert_eq!(dumps(&json!("tab\tquote\"")), r#""tab\tquote\"""#);
        assert_eq!(dumps(&json!(1795985181.267243)), "1795985181.267243");
    }

    #[test]
    fn flask_json_sorts_and_escapes() {
        let bytes =
            flask_json_bytes(&json!({"b": 1, "a": {"d": "é", "c": null}})).unwrap_or_default();
        assert_eq!(bytes, b"{\"a\":{\"c\":null,\"d\":\"\\u00e9\"},\"b\":1}\n");
    }

    #[test]
    fn ordered_update_keeps_position() {
        let mut o = OrderedObject::default();
        o.insert("fresh", json!(false));
        o.insert("sub", json!("a"));
        o.insert("fresh", json!(true));
        o.insert("foo", json!(1));
        let text = String::from_utf8(to_python_json(&o).unwrap_or_default()).unwrap_or_default();
        assert_eq!(text, r#"{"fresh":true,"sub":"a","foo":1}"#);
    }
}
