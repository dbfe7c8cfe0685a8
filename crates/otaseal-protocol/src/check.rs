//! The validation walker: typed access to fields of a JSON object that records a
//! [`ValidationError`] naming the field for every problem, instead of stopping at the first.

use otaseal_wire::Limits;
use serde_json::{Map, Value};

use crate::error::{LengthUnit, ROOT, ValidationError, ValidationErrors};
use crate::grammar::js_len;

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

/// Collects the errors of one document.
#[derive(Debug)]
pub(crate) struct Checker<'l> {
    pub(crate) limits: &'l Limits,
    errors: Vec<ValidationError>,
    prefix: String,
}

impl<'l> Checker<'l> {
    pub(crate) fn new(limits: &'l Limits) -> Self {
        Self {
            limits,
            errors: Vec::new(),
            prefix: String::new(),
        }
    }

    /// The path of `name` inside the current object.
    pub(crate) fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else if name.starts_with('[') {
            format!("{}{name}", self.prefix)
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    /// The path of the current object itself (`$` at the top).
    pub(crate) fn here(&self) -> String {
        if self.prefix.is_empty() {
            ROOT.to_owned()
        } else {
            self.prefix.clone()
        }
    }

    pub(crate) fn push(&mut self, e: ValidationError) {
        self.errors.push(e);
    }

    /// Runs `f` with field paths relative to `segment` (`manifest[0]`, `[2]`).
    pub(crate) fn nested<R>(&mut self, segment: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        let saved = self.prefix.clone();
        self.prefix = self.path(segment);
        let r = f(self);
        self.prefix = saved;
        r
    }

    pub(crate) fn finish(self) -> Result<(), ValidationErrors> {
        match ValidationErrors::from_vec(self.errors) {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }

    pub(crate) fn into_errors(self) -> Vec<ValidationError> {
        self.errors
    }

    pub(crate) fn wrong_type(&mut self, name: &str, expected: &'static str) {
        let field = self.path(name);
        self.push(ValidationError::WrongType { field, expected });
    }

    /// The current value as an object, or a type error for it.
    pub(crate) fn object<'v>(&mut self, v: &'v Value) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            _ => {
                let field = self.here();
                self.push(ValidationError::WrongType {
                    field,
                    expected: "an object",
                });
                None
            }
        }
    }

    fn presence<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        name: &str,
        req: Req,
    ) -> Option<&'v Value> {
        let v = obj.get(name);
        if v.is_none() && req != Req::Optional {
            let field = self.path(name);
            self.push(ValidationError::Missing { field });
        }
        v
    }

    /// Checks that `s` is within `Limits::max_field_len` and, for `NonEmpty`, not empty.
    fn string_value<'v>(&mut self, name: &str, s: &'v str, req: Req) -> Option<&'v str> {
        let max = self.limits.max_field_len;
        if s.len() > max {
            let field = self.path(name);
            self.push(ValidationError::TooLong {
                field,
                len: s.len(),
                max,
                unit: LengthUnit::Bytes,
            });
            return None;
        }
        if req == Req::NonEmpty && s.is_empty() {
            let field = self.path(name);
            self.push(ValidationError::Empty { field });
        }
        Some(s)
    }

    /// A string field. Returns it when present, of the right type and within
    /// `max_field_len`, so that further rules can be checked.
    pub(crate) fn string<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        name: &str,
        req: Req,
    ) -> Option<&'v str> {
        match self.presence(obj, name, req)? {
            Value::String(s) => self.string_value(name, s, req),
            _ => {
                self.wrong_type(name, "a string");
                None
            }
        }
    }

    /// A field that is a string or `null` (`checksum`). `Some(None)` for `null`.
    pub(crate) fn string_or_null<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        name: &str,
        req: Req,
    ) -> Option<Option<&'v str>> {
        match self.presence(obj, name, req)? {
            Value::Null => Some(None),
            Value::String(s) => self.string_value(name, s, req).map(Some),
            _ => {
                self.wrong_type(name, "a string or null");
                None
            }
        }
    }

    pub(crate) fn boolean(
        &mut self,
        obj: &Map<String, Value>,
        name: &str,
        req: Req,
    ) -> Option<bool> {
        match self.presence(obj, name, req)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(name, "a boolean");
                None
            }
        }
    }

    pub(crate) fn uint(&mut self, obj: &Map<String, Value>, name: &str, req: Req) -> Option<u64> {
        let v = self.presence(obj, name, req)?;
        match v.as_u64() {
            Some(n) => Some(n),
            None => {
                self.wrong_type(name, "a non-negative integer");
                None
            }
        }
    }

    /// A JSON object field (`metadata`, `moreInfo`).
    pub(crate) fn object_field<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        name: &str,
        req: Req,
    ) -> Option<&'v Map<String, Value>> {
        match self.presence(obj, name, req)? {
            Value::Object(m) => Some(m),
            _ => {
                self.wrong_type(name, "an object");
                None
            }
        }
    }

    /// A JSON array field (`manifest`, `results`).
    pub(crate) fn array_field<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        name: &str,
        req: Req,
    ) -> Option<&'v [Value]> {
        match self.presence(obj, name, req)? {
            Value::Array(a) => Some(a),
            _ => {
                self.wrong_type(name, "an array");
                None
            }
        }
    }

    /// Capgo's `.length <= max` limits, counted in UTF-16 code units.
    pub(crate) fn max_js_len(&mut self, name: &str, s: &str, max: usize) -> bool {
        let len = js_len(s);
        if len > max {
            let field = self.path(name);
            self.push(ValidationError::TooLong {
                field,
                len,
                max,
                unit: LengthUnit::Utf16,
            });
            return false;
        }
        true
    }

    /// A closed set of string values.
    pub(crate) fn one_of(&mut self, name: &str, s: &str, allowed: &'static [&'static str]) -> bool {
        if allowed.contains(&s) {
            return true;
        }
        let field = self.path(name);
        self.push(ValidationError::NotOneOf {
            field,
            value: s.to_owned(),
            allowed,
        });
        false
    }
}

/// Reads a document: checks its size against `max_json_len` **before** parsing, then parses it.
pub(crate) fn read_document(bytes: &[u8], limits: &Limits) -> Result<Value, ValidationErrors> {
    if bytes.len() > limits.max_json_len {
        return Err(ValidationErrors::one(ValidationError::TooLarge {
            len: bytes.len(),
            max: limits.max_json_len,
        }));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ValidationErrors::one(ValidationError::Syntax {
            message: e.to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_nest() {
        let l = Limits::DEFAULT;
        let mut c = Checker::new(&l);
        assert_eq!(c.path("a"), "a");
        assert_eq!(c.here(), "$");
        c.nested("[2]", |c| {
            assert_eq!(c.path("app_id"), "[2].app_id");
            c.nested("manifest[0]", |c| {
                assert_eq!(c.path("file_hash"), "[2].manifest[0].file_hash");
                assert_eq!(c.here(), "[2].manifest[0]");
            });
        });
        assert_eq!(c.path("a"), "a");
    }

    #[test]
    fn typed_access_records_errors() {
        let l = Limits::DEFAULT;
        let mut c = Checker::new(&l);
        let v = json!({"s": 1, "b": "x", "n": -1, "e": "", "o": [], "a": {}});
        let o = c.object(&v).unwrap();
        assert_eq!(c.string(o, "s", Req::Optional), None);
        assert_eq!(c.boolean(o, "b", Req::Optional), None);
        assert_eq!(c.uint(o, "n", Req::Optional), None);
        assert_eq!(c.string(o, "e", Req::NonEmpty), Some(""));
        assert_eq!(c.string(o, "missing", Req::Required), None);
        assert_eq!(c.string(o, "missing2", Req::Optional), None);
        assert!(c.object_field(o, "o", Req::Optional).is_none());
        assert!(c.array_field(o, "a", Req::Optional).is_none());
        let rules: Vec<(String, &str)> = c
            .into_errors()
            .iter()
            .map(|e| (e.field().to_owned(), e.rule()))
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
            ]
        );
    }

    #[test]
    fn size_is_checked_before_parsing() {
        let mut l = Limits::DEFAULT;
        l.max_json_len = 4;
        // Not JSON, but too large is reported, proving the parser did not run.
        let e = read_document(b"nope!", &l).unwrap_err();
        assert_eq!(e.first().rule(), "max_json_len");
        assert_eq!(
            read_document(b"nope", &l).unwrap_err().first().rule(),
            "json_syntax"
        );
        assert_eq!(read_document(b"[1]", &l).unwrap(), json!([1]));
    }
}
