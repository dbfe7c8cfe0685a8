//! Plumbing shared by every message type: strict and lenient parsing, validation of a typed
//! value, canonical output.

use otaseal_wire::Limits;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::check::{Checker, read_document};
use crate::error::{ValidationError, ValidationErrors};

/// A validation function: walks a document and records every problem.
pub(crate) type CheckFn = fn(&mut Checker<'_>, &Value);

/// Runs `check` over `value`.
pub(crate) fn check_value(
    value: &Value,
    limits: &Limits,
    check: CheckFn,
) -> Result<(), ValidationErrors> {
    let mut c = Checker::new(limits);
    check(&mut c, value);
    c.finish()
}

fn typed<T: DeserializeOwned>(value: Value) -> Result<T, ValidationErrors> {
    serde_json::from_value(value).map_err(|e| {
        ValidationErrors::one(ValidationError::Shape {
            message: e.to_string(),
        })
    })
}

/// Size check, JSON parse, every rule, then the typed value.
pub(crate) fn parse_strict<T: DeserializeOwned>(
    bytes: &[u8],
    limits: &Limits,
    check: CheckFn,
) -> Result<T, ValidationErrors> {
    let value = read_document(bytes, limits)?;
    check_value(&value, limits, check)?;
    typed(value)
}

/// Size check, JSON parse, and only the structural rules (JSON types), then the typed value.
pub(crate) fn parse_lenient<T: DeserializeOwned>(
    bytes: &[u8],
    limits: &Limits,
    check: CheckFn,
) -> Result<T, ValidationErrors> {
    let value = read_document(bytes, limits)?;
    lenient_value(value, limits, check)
}

/// As [`parse_lenient`], from a parsed value.
pub(crate) fn lenient_value<T: DeserializeOwned>(
    value: Value,
    limits: &Limits,
    check: CheckFn,
) -> Result<T, ValidationErrors> {
    let mut c = Checker::new(limits);
    check(&mut c, &value);
    let structural: Vec<ValidationError> = c
        .into_errors()
        .into_iter()
        .filter(ValidationError::is_structural)
        .collect();
    if let Some(e) = ValidationErrors::from_vec(structural) {
        return Err(e);
    }
    typed(value)
}

/// Serializes `message` to a value and checks it.
pub(crate) fn validate_typed<T: Serialize>(
    message: &T,
    limits: &Limits,
    check: CheckFn,
) -> Result<(), ValidationErrors> {
    let value = serde_json::to_value(message).map_err(|e| {
        ValidationErrors::one(ValidationError::Shape {
            message: e.to_string(),
        })
    })?;
    check_value(&value, limits, check)
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

/// Generates `parse`, `from_json`, `from_value`, `validate` and `to_json` for a message type.
macro_rules! message_methods {
    ($ty:ty, $check:path, $what:literal) => {
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
                $crate::message::parse_strict(bytes, limits, $check)
            }

            #[doc = concat!("Reads ", $what, " leniently, as a device or server does: only the")]
            #[doc = "size, the JSON syntax and the JSON types of known fields are checked. Use"]
            #[doc = "[`validate`](Self::validate) for the rest."]
            ///
            /// # Errors
            /// The structural errors: too large, not JSON, a known field of the wrong type.
            pub fn from_json(
                bytes: &[u8],
                limits: &otaseal_wire::Limits,
            ) -> Result<Self, $crate::ValidationErrors> {
                $crate::message::parse_lenient(bytes, limits, $check)
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
                $crate::message::lenient_value(value, limits, $check)
            }

            #[doc = concat!("Checks every rule of ", $what, " (`spec/protocol.md`).")]
            ///
            /// # Errors
            /// Every rule the message breaks, each naming its field.
            pub fn validate(
                &self,
                limits: &otaseal_wire::Limits,
            ) -> Result<(), $crate::ValidationErrors> {
                $crate::message::validate_typed(self, limits, $check)
            }

            /// The canonical JSON text ([`to_canonical_json`](crate::to_canonical_json)).
            ///
            /// # Errors
            /// Never for values of this crate; see [`to_canonical_json`](crate::to_canonical_json).
            pub fn to_json(&self) -> Result<String, serde_json::Error> {
                $crate::message::to_canonical_json(self)
            }
        }
    };
}
pub(crate) use message_methods;

/// Serde helpers for a field that is absent, `null` or a value: `None`, `Some(None)`,
/// `Some(Some(v))`. Use with `#[serde(default, skip_serializing_if = "Option::is_none")]`.
pub(crate) mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer, T: Serialize>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}
