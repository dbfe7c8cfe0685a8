//! Reading a document's bytes (`spec/protocol.md` section 2): the length is checked against
//! `max_json_len` before anything is parsed, then the JSON is parsed (with `serde_json`'s
//! nesting limit), recording every key that appears twice in one object.

use std::fmt;

use otaseal_wire::{Limit, Limits};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::{ValidationError, ValidationErrors};
use crate::read::join;

/// A parsed document and the paths of the keys that appear twice in one object.
#[derive(Debug)]
pub(crate) struct Document {
    /// The value; of a repeated key, the last value counts, as in JavaScript's `JSON.parse`.
    pub(crate) value: Value,
    /// One [`ValidationError::DuplicateKey`] per repetition, in document order.
    pub(crate) duplicates: Vec<ValidationError>,
}

/// Checks the size of `bytes`, then parses them.
///
/// # Errors
/// [`ValidationError::TooLarge`] (the bytes were not looked at) or
/// [`ValidationError::Syntax`].
pub(crate) fn read_document(bytes: &[u8], limits: &Limits) -> Result<Document, ValidationErrors> {
    limits
        .check(Limit::JsonLen, bytes.len() as u64)
        .map_err(|error| ValidationErrors::one(ValidationError::TooLarge { error }))?;
    let syntax =
        |e: serde_json::Error| ValidationErrors::one(ValidationError::Syntax { error: e.into() });
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut state = State::default();
    let value = Node { state: &mut state }
        .deserialize(&mut de)
        .map_err(syntax)?;
    de.end().map_err(syntax)?;
    Ok(Document {
        value,
        duplicates: state.duplicates,
    })
}

/// One step of the path from the document to a value.
#[derive(Debug)]
enum Step {
    Key(String),
    Index(usize),
}

#[derive(Debug, Default)]
struct State {
    path: Vec<Step>,
    duplicates: Vec<ValidationError>,
}

impl State {
    /// The field path of `key` in the current object, as [`ValidationError::field`] writes it.
    fn path_of(&self, key: &str) -> String {
        let mut prefix = String::new();
        for step in &self.path {
            prefix = match step {
                Step::Key(k) => join(&prefix, k),
                Step::Index(i) => join(&prefix, &format!("[{i}]")),
            };
        }
        join(&prefix, key)
    }
}

/// Deserializes one JSON value into a [`Value`], as `serde_json` does, noting repeated keys.
struct Node<'s> {
    state: &'s mut State,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            self.state.path.push(Step::Index(items.len()));
            let item = seq.next_element_seed(Node {
                state: &mut *self.state,
            });
            self.state.path.pop();
            match item? {
                Some(v) => items.push(v),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                let field = self.state.path_of(&key);
                self.state
                    .duplicates
                    .push(ValidationError::DuplicateKey { field });
            }
            self.state.path.push(Step::Key(key));
            let value = map.next_value_seed(Node {
                state: &mut *self.state,
            });
            let Some(Step::Key(key)) = self.state.path.pop() else {
                return Err(de::Error::custom("unbalanced path"));
            };
            object.insert(key, value?);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(bytes: &[u8]) -> Vec<String> {
        let duplicates = read_document(bytes, &Limits::DEFAULT).unwrap().duplicates;
        crate::error::field_rules(ValidationErrors::from_vec(duplicates).map_or(Ok(()), Err))
    }

    #[test]
    fn size_is_checked_before_parsing() {
        let mut l = Limits::DEFAULT;
        l.max_json_len = 4;
        // Not JSON, but too large is reported, proving the parser did not run.
        let e = read_document(b"nope!", &l).unwrap_err();
        assert_eq!(e.first().rule(), "max_json_len");
        assert_eq!(
            e.first().to_string(),
            "$: a JSON document of 5 bytes is more than the limit of 4 bytes"
        );
        assert_eq!(
            read_document(b"nope", &l).unwrap_err().first().rule(),
            "json_syntax"
        );
        assert_eq!(read_document(b"[1]", &l).unwrap().value, json!([1]));
    }

    #[test]
    fn parses_as_serde_json_does() {
        let text = br#"{"b":[1,-2,3.5e300,0.1,null,true,"x\u00e9"],"a":{"z":{},"y":[]}}"#;
        let ours = read_document(text, &Limits::DEFAULT).unwrap();
        let theirs: Value = serde_json::from_slice(text).unwrap();
        assert_eq!(ours.value, theirs);
        assert_eq!(
            serde_json::to_string(&ours.value).unwrap(),
            serde_json::to_string(&theirs).unwrap()
        );
        assert!(ours.duplicates.is_empty());
        assert_eq!(
            read_document(b"[1] x", &Limits::DEFAULT)
                .unwrap_err()
                .first()
                .rule(),
            "json_syntax"
        );
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(
            read_document(deep.as_bytes(), &Limits::DEFAULT)
                .unwrap_err()
                .first()
                .rule(),
            "json_syntax",
            "serde_json's nesting limit still applies"
        );
    }

    #[test]
    fn duplicate_keys_are_found_at_any_depth() {
        assert_eq!(
            rules(br#"{"version_name":"1","version_name":"2"}"#),
            ["version_name unique_key"]
        );
        assert_eq!(
            rules(br#"[{"a":1},{"m":{"k":1,"k":2,"k":3}}]"#),
            ["[1].m.k unique_key", "[1].m.k unique_key"]
        );
        assert_eq!(
            rules(br#"{"manifest":[{"file_name":"a","file_name":"b"}]}"#),
            ["manifest[0].file_name unique_key"]
        );
        assert!(rules(br#"{"a":{"k":1},"b":{"k":1}}"#).is_empty());
        // The last value counts, in the first key's place.
        let doc = read_document(br#"{"a":1,"b":2,"a":3}"#, &Limits::DEFAULT).unwrap();
        assert_eq!(
            serde_json::to_string(&doc.value).unwrap(),
            r#"{"a":3,"b":2}"#
        );
    }
}
