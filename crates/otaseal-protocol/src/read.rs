//! Reading a message: one pass over a JSON value that builds the message and records every
//! rule it breaks, each with the path of its field, instead of stopping at the first.
//!
//! Each message type describes itself once, in its `read` function: one [`Reader::take`] per
//! field, in the order of the type, naming the JSON key, whether it is required ([`Req`]) and
//! the rule of its value ([`Rule`], usually a validating newtype of [`crate::value`]). Strict
//! `parse`, lenient `from_json`, `validate` and `Deserialize` all run that one description:
//! strict reading reports every error, lenient reading only those that leave the document
//! unreadable. `Serialize` is derived, in the same field order.

use otaseal_wire::{Limit, Limits};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{JsonError, LengthUnit, ROOT, ValidationError, ValidationErrors, ValueError};
use crate::grammar::js_len;
use crate::json::read_document;

/// Whether a field must be present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Req {
    /// May be absent.
    Optional,
    /// Must be present; a string may be empty.
    Required,
    /// Must be present and, for a string, not empty.
    NonEmpty,
}

/// The rule of a string value, checked once the value has the right JSON type and is within
/// `Limits::max_field_len`.
pub(crate) enum Rule<'a> {
    /// No rule beyond the JSON type and `max_field_len`.
    Any,
    /// The rule of a validating newtype (`AppId::check`, ...).
    Value(fn(&str) -> Result<(), ValueError>),
    /// Capgo's `.length <= max` limits, counted in UTF-16 code units.
    MaxUtf16(usize),
    /// A closed set of values.
    OneOf(&'static [&'static str]),
    /// A rule that needs more than the value (the bundle's session key, the names seen so
    /// far): called with the reader and the text.
    Then(&'a mut dyn FnMut(&mut Reader<'_>, &str)),
}

/// A Rust type a JSON value of a field is read into.
pub(crate) trait FromJson: Sized {
    /// The JSON type, for [`ValidationError::WrongType`]: "a string".
    const EXPECTED: &'static str;

    /// The value, or `None` if it has another JSON type.
    fn from_json(v: Value) -> Option<Self>;

    /// The text that string rules are checked on, for types read from JSON strings.
    fn text(&self) -> Option<&str> {
        None
    }
}

impl FromJson for String {
    const EXPECTED: &'static str = "a string";

    fn from_json(v: Value) -> Option<Self> {
        match v {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

/// A string or `null` (`checksum`); `Some(None)` is `null`, whose text for the rules is empty.
impl FromJson for Option<String> {
    const EXPECTED: &'static str = "a string or null";

    fn from_json(v: Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            Value::String(s) => Some(Some(s)),
            _ => None,
        }
    }

    fn text(&self) -> Option<&str> {
        Some(self.as_deref().unwrap_or_default())
    }
}

impl FromJson for bool {
    const EXPECTED: &'static str = "a boolean";

    fn from_json(v: Value) -> Option<Self> {
        v.as_bool()
    }
}

impl FromJson for u64 {
    const EXPECTED: &'static str = "a non-negative integer";

    fn from_json(v: Value) -> Option<Self> {
        v.as_u64()
    }
}

impl FromJson for Map<String, Value> {
    const EXPECTED: &'static str = "an object";

    fn from_json(v: Value) -> Option<Self> {
        match v {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
}

impl FromJson for Vec<Value> {
    const EXPECTED: &'static str = "an array";

    fn from_json(v: Value) -> Option<Self> {
        match v {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// `name` inside the object at `prefix`: `a`, `a.b`, `a[0]`, `[2].b`.
pub(crate) fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else if name.starts_with('[') {
        format!("{prefix}{name}")
    } else {
        format!("{prefix}.{name}")
    }
}

/// One recorded error, and whether it left a value out of what was read.
#[derive(Debug)]
struct Recorded {
    error: ValidationError,
    /// The value could not be read: lenient reading fails on this error too.
    fatal: bool,
}

/// Reads one document, recording every problem.
#[derive(Debug)]
pub(crate) struct Reader<'l> {
    pub(crate) limits: &'l Limits,
    errors: Vec<Recorded>,
    prefix: String,
}

impl<'l> Reader<'l> {
    pub(crate) fn new(limits: &'l Limits) -> Self {
        Self {
            limits,
            errors: Vec::new(),
            prefix: String::new(),
        }
    }

    /// The path of `name` inside the current object.
    pub(crate) fn path(&self, name: &str) -> String {
        join(&self.prefix, name)
    }

    /// The path of the current value itself (`$` at the top).
    pub(crate) fn here(&self) -> String {
        if self.prefix.is_empty() {
            ROOT.to_owned()
        } else {
            self.prefix.clone()
        }
    }

    /// Records an error about a value that was read anyway.
    pub(crate) fn push(&mut self, error: ValidationError) {
        let fatal = error.is_structural();
        self.errors.push(Recorded { error, fatal });
    }

    /// Records an error because of which a value was left out of what was read (a limit
    /// checked before the value is looked at): lenient reading fails on it too.
    pub(crate) fn push_fatal(&mut self, error: ValidationError) {
        self.errors.push(Recorded { error, fatal: true });
    }

    /// The number of errors recorded so far, for [`Reader::unreadable_since`].
    pub(crate) fn mark(&self) -> usize {
        self.errors.len()
    }

    /// Marks the errors recorded since `mark` as having left a value out: the value they are
    /// about could not be built (a manifest entry without one of its fields).
    pub(crate) fn unreadable_since(&mut self, mark: usize) {
        for r in self.errors.iter_mut().skip(mark) {
            r.fatal |= matches!(r.error, ValidationError::Missing { .. });
        }
    }

    pub(crate) fn wrong_type(&mut self, name: &str, expected: &'static str) {
        let field = self.path(name);
        self.push(ValidationError::WrongType { field, expected });
    }

    /// Runs `f` with field paths relative to `segment` (`manifest[0]`, `[2]`).
    pub(crate) fn nested<R>(&mut self, segment: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        let inner = self.path(segment);
        let saved = std::mem::replace(&mut self.prefix, inner);
        let r = f(self);
        self.prefix = saved;
        r
    }

    /// The current value as an object, or a type error for it.
    pub(crate) fn object(&mut self, v: Value) -> Option<Map<String, Value>> {
        self.value_as(v, "an object")
    }

    /// The current value as `T`, or a type error (`expected`) for it.
    pub(crate) fn value_as<T: FromJson>(&mut self, v: Value, expected: &'static str) -> Option<T> {
        let t = T::from_json(v);
        if t.is_none() {
            let field = self.here();
            self.push(ValidationError::WrongType { field, expected });
        }
        t
    }

    /// Reads the field `name` of `o` and removes it, so that what is left of `o` at the end are
    /// the unknown fields, in the order they were read.
    pub(crate) fn take<T: FromJson>(
        &mut self,
        o: &mut Map<String, Value>,
        name: &str,
        req: Req,
        rule: Rule<'_>,
    ) -> Option<T> {
        let v = o.shift_remove(name);
        self.field(name, v, req, rule)
    }

    /// Checks the field `name` of `o` like [`take`](Self::take) but leaves it in `o`: a field
    /// that has rules but is kept with the unknown fields (a no-update body's `version`).
    pub(crate) fn peek<T: FromJson>(
        &mut self,
        o: &Map<String, Value>,
        name: &str,
        req: Req,
        rule: Rule<'_>,
    ) -> Option<T> {
        self.field(name, o.get(name).cloned(), req, rule)
    }

    fn field<T: FromJson>(
        &mut self,
        name: &str,
        v: Option<Value>,
        req: Req,
        rule: Rule<'_>,
    ) -> Option<T> {
        let Some(v) = v else {
            if req != Req::Optional {
                let field = self.path(name);
                self.push(ValidationError::Missing { field });
            }
            return None;
        };
        let Some(t) = T::from_json(v) else {
            self.wrong_type(name, T::EXPECTED);
            return None;
        };
        if let Some(s) = t.text() {
            self.text(name, s, req, rule);
        }
        Some(t)
    }

    /// The string rules: `max_field_len` (bytes), then non-empty, then `rule`.
    fn text(&mut self, name: &str, s: &str, req: Req, rule: Rule<'_>) {
        if self.limits.check(Limit::FieldLen, s.len() as u64).is_err() {
            let field = self.path(name);
            self.push(ValidationError::TooLong {
                field,
                len: s.len(),
                max: self.limits.max_field_len,
                unit: LengthUnit::Bytes,
            });
            return;
        }
        if req == Req::NonEmpty && s.is_empty() {
            let field = self.path(name);
            self.push(ValidationError::Empty { field });
        }
        let error = match rule {
            Rule::Any => None,
            Rule::Value(check) => check(s).err(),
            Rule::MaxUtf16(max) => {
                self.max_utf16(name, s, max);
                None
            }
            Rule::OneOf(allowed) => {
                if !allowed.contains(&s) {
                    let field = self.path(name);
                    self.push(ValidationError::NotOneOf {
                        field,
                        value: s.to_owned(),
                        allowed,
                    });
                }
                None
            }
            Rule::Then(f) => {
                f(self, s);
                None
            }
        };
        if let Some(e) = error {
            let field = self.path(name);
            self.push(e.at(field));
        }
    }

    /// Capgo's `.length <= max` on `s`, reported at the field `name`.
    pub(crate) fn max_utf16(&mut self, name: &str, s: &str, max: usize) {
        let len = js_len(s);
        if len > max {
            let field = self.path(name);
            self.push(ValidationError::TooLong {
                field,
                len,
                max,
                unit: LengthUnit::Utf16,
            });
        }
    }

    fn finish<T>(self, value: Option<T>, lenient: bool) -> Result<T, ValidationErrors> {
        let errors: Vec<ValidationError> = self
            .errors
            .into_iter()
            .filter(|r| r.fatal || !lenient)
            .map(|r| r.error)
            .collect();
        match (ValidationErrors::from_vec(errors), value) {
            (None, Some(v)) => Ok(v),
            (Some(e), _) => Err(e),
            // A reader returns `None` only after recording why; reported instead of a panic.
            (None, None) => Err(ValidationErrors::one(ValidationError::WrongType {
                field: ROOT.to_owned(),
                expected: "a message",
            })),
        }
    }
}

/// Size check, JSON parse, then every rule (strict).
pub(crate) fn parse<T>(
    bytes: &[u8],
    limits: &Limits,
    read: impl FnOnce(&mut Reader<'_>, Value) -> Option<T>,
) -> Result<T, ValidationErrors> {
    let doc = read_document(bytes, limits)?;
    let mut r = Reader::new(limits);
    for e in doc.duplicates {
        r.push(e);
    }
    let t = read(&mut r, doc.value);
    r.finish(t, false)
}

/// Size check, JSON parse, then only what makes the document unreadable (lenient). Of a
/// repeated key the last value counts, as in JavaScript.
pub(crate) fn from_json<T>(
    bytes: &[u8],
    limits: &Limits,
    read: impl FnOnce(&mut Reader<'_>, Value) -> Option<T>,
) -> Result<T, ValidationErrors> {
    from_value(read_document(bytes, limits)?.value, limits, read)
}

/// As [`from_json`], from a parsed value.
pub(crate) fn from_value<T>(
    value: Value,
    limits: &Limits,
    read: impl FnOnce(&mut Reader<'_>, Value) -> Option<T>,
) -> Result<T, ValidationErrors> {
    let mut r = Reader::new(limits);
    let t = read(&mut r, value);
    r.finish(t, true)
}

/// Every rule, for a message built in code: it is written as JSON and read back strictly.
pub(crate) fn validate<T: Serialize>(
    message: &T,
    limits: &Limits,
    read: impl FnOnce(&mut Reader<'_>, Value) -> Option<T>,
) -> Result<(), ValidationErrors> {
    let value = serde_json::to_value(message).map_err(|e| {
        ValidationErrors::one(ValidationError::Shape {
            error: JsonError::from(e),
        })
    })?;
    let mut r = Reader::new(limits);
    let t = read(&mut r, value);
    r.finish(t, false).map(drop)
}

/// The canonical text of a message: serde_json's pretty printer (2-space indentation, keys in
/// the order of the type's fields, then unknown fields in the order they were read), followed by
/// one line feed. Golden fixtures are stored in this form (`spec/protocol.md` section 7).
///
/// ```
/// use otaseal_protocol::{StatsResponse, to_canonical_json};
///
/// assert_eq!(to_canonical_json(&StatsResponse::ok()).unwrap(), "{\n  \"status\": \"ok\"\n}\n");
/// assert_eq!(to_canonical_json(&Vec::<u8>::new()).unwrap(), "[]\n");
/// ```
///
/// # Errors
/// Only if a value cannot be represented in JSON, which cannot happen for the types of this
/// crate.
pub fn to_canonical_json<T: Serialize + ?Sized>(message: &T) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(message)?;
    s.push('\n');
    Ok(s)
}

/// Implements `Deserialize` for message types through their `read` function, leniently (what
/// `from_value` accepts), so that serde and the validator read a message the same way.
macro_rules! deserialize_by_reading {
    ($($ty:ty),* $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = serde_json::Value::deserialize(d)?;
                $crate::read::from_value(value, &otaseal_wire::Limits::DEFAULT, <$ty>::read)
                    .map_err(serde::de::Error::custom)
            }
        }
    )*};
}
pub(crate) use deserialize_by_reading;

/// Generates `parse`, `from_json`, `from_value`, `validate` and `to_json` for message types
/// from their `read` functions, and `Deserialize`: `message_methods!(Type: "a type", ...)`.
macro_rules! message_methods {
    ($($ty:ty: $what:literal),* $(,)?) => {$(
        impl $ty {
            #[doc = concat!("Parses and validates ", $what, ": the size is checked against ")]
            #[doc = "`limits.max_json_len` before parsing, then every rule of `spec/protocol.md`."]
            ///
            /// # Errors
            /// Every rule the document breaks, each naming its field.
            pub fn parse(
                bytes: &[u8],
                limits: &otaseal_wire::Limits,
            ) -> Result<Self, $crate::ValidationErrors> {
                $crate::read::parse(bytes, limits, <$ty>::read)
            }

            #[doc = concat!("Reads ", $what, " leniently, as a device or server does: only the")]
            #[doc = "size, the JSON syntax and the JSON types of known fields are checked. Use"]
            #[doc = "[`validate`](Self::validate) for the rest."]
            ///
            /// # Errors
            /// What leaves the document unreadable: too large, not JSON, a known field of the
            /// wrong type, a manifest over `max_manifest_entries` or with an incomplete entry.
            pub fn from_json(
                bytes: &[u8],
                limits: &otaseal_wire::Limits,
            ) -> Result<Self, $crate::ValidationErrors> {
                $crate::read::from_json(bytes, limits, <$ty>::read)
            }

            #[doc = concat!("Converts a parsed JSON value to ", $what, " leniently, like")]
            #[doc = "[`from_json`](Self::from_json) without the size check."]
            ///
            /// # Errors
            /// The structural errors.
            pub fn from_value(
                value: serde_json::Value,
                limits: &otaseal_wire::Limits,
            ) -> Result<Self, $crate::ValidationErrors> {
                $crate::read::from_value(value, limits, <$ty>::read)
            }

            #[doc = concat!("Checks every rule of ", $what, " (`spec/protocol.md`).")]
            ///
            /// # Errors
            /// Every rule the message breaks, each naming its field.
            pub fn validate(
                &self,
                limits: &otaseal_wire::Limits,
            ) -> Result<(), $crate::ValidationErrors> {
                $crate::read::validate(self, limits, <$ty>::read)
            }

            /// The canonical JSON text ([`to_canonical_json`](crate::to_canonical_json)).
            ///
            /// # Errors
            /// Never for values of this crate; see [`to_canonical_json`](crate::to_canonical_json).
            pub fn to_json(&self) -> Result<String, serde_json::Error> {
                $crate::read::to_canonical_json(self)
            }
        }

        $crate::read::deserialize_by_reading!($ty);
    )*};
}
pub(crate) use message_methods;

/// Serde helper for a field that is absent, `null` or a value: `None`, `Some(None)`,
/// `Some(Some(v))`. Use with `#[serde(skip_serializing_if = "Option::is_none")]`.
pub(crate) fn double_option<S: serde::Serializer, T: Serialize>(
    v: &Option<Option<T>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(inner) => inner.serialize(s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_nest() {
        let l = Limits::DEFAULT;
        let mut r = Reader::new(&l);
        assert_eq!(r.path("a"), "a");
        assert_eq!(r.here(), "$");
        r.nested("[2]", |r| {
            assert_eq!(r.path("app_id"), "[2].app_id");
            r.nested("manifest[0]", |r| {
                assert_eq!(r.path("file_hash"), "[2].manifest[0].file_hash");
                assert_eq!(r.here(), "[2].manifest[0]");
            });
        });
        assert_eq!(r.path("a"), "a");
    }

    #[test]
    fn typed_access_records_errors() {
        use Req::{NonEmpty, Optional, Required};
        let l = Limits::DEFAULT;
        let mut r = Reader::new(&l);
        let v = json!({"s": 1, "b": "x", "n": -1, "e": "", "o": [], "a": {}, "k": "kept"});
        let mut o = r.object(v).unwrap();
        assert_eq!(r.take::<String>(&mut o, "s", Optional, Rule::Any), None);
        assert_eq!(r.take::<bool>(&mut o, "b", Optional, Rule::Any), None);
        assert_eq!(r.take::<u64>(&mut o, "n", Optional, Rule::Any), None);
        assert_eq!(
            r.take::<String>(&mut o, "e", NonEmpty, Rule::Any)
                .as_deref(),
            Some("")
        );
        assert_eq!(
            r.take::<String>(&mut o, "missing", Required, Rule::Any),
            None
        );
        assert_eq!(
            r.take::<String>(&mut o, "missing2", Optional, Rule::Any),
            None
        );
        assert!(
            r.take::<Map<String, Value>>(&mut o, "o", Optional, Rule::Any)
                .is_none()
        );
        assert!(
            r.take::<Vec<Value>>(&mut o, "a", Optional, Rule::Any)
                .is_none()
        );
        assert_eq!(
            r.peek::<String>(&o, "k", Required, Rule::OneOf(&["other"]))
                .as_deref(),
            Some("kept")
        );
        assert_eq!(
            o.keys().collect::<Vec<_>>(),
            ["k"],
            "taken fields are removed"
        );
        let rules: Vec<(String, &str)> = r
            .errors
            .iter()
            .map(|e| (e.error.field().to_owned(), e.error.rule()))
            .collect();
        assert_eq!(
            rules,
            [
                ("s".into(), "type"),
                ("b".into(), "type"),
                ("n".into(), "type"),
                ("e".into(), "non_empty"),
                ("missing".into(), "required"),
                ("o".into(), "type"),
                ("a".into(), "type"),
                ("k".into(), "one_of"),
            ]
        );
    }

    #[test]
    fn too_long_strings_skip_their_rule_but_are_kept() {
        let mut l = Limits::DEFAULT;
        l.max_field_len = 3;
        let mut r = Reader::new(&l);
        let mut o = r.object(json!({"app_id": "abcd"})).unwrap();
        let v: Option<String> = r.take(
            &mut o,
            "app_id",
            Req::Required,
            Rule::Value(crate::AppId::check),
        );
        assert_eq!(v.as_deref(), Some("abcd"));
        let e = r.finish(v, false).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e.first().rule(), "max_length");
    }

    #[test]
    fn lenient_reading_fails_only_on_unreadable_values() {
        let l = Limits::DEFAULT;
        let mut r = Reader::new(&l);
        let mut o = r.object(json!({"a": 5})).unwrap();
        let a: Option<String> = r.take(&mut o, "a", Req::Optional, Rule::Any);
        let b: Option<String> = r.take(&mut o, "b", Req::Required, Rule::Any);
        assert_eq!((a, b), (None, None));
        let e = r.finish(Some(()), true).unwrap_err();
        assert_eq!(e.len(), 1, "the missing field is not fatal: {e}");
        assert_eq!(e.first().rule(), "type");

        let mut r = Reader::new(&l);
        let mark = r.mark();
        let mut o = Map::new();
        let _: Option<String> = r.take(&mut o, "file_hash", Req::Required, Rule::Any);
        r.unreadable_since(mark);
        let e = r.finish(None::<()>, true).unwrap_err();
        assert_eq!(e.first().rule(), "required");
    }
}
