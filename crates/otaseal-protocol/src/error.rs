use std::fmt;
use std::sync::Arc;

use otaseal_wire::manifest::{Duplicate, NameError};
use otaseal_wire::{LimitExceeded, WireError};

/// How a length limit is counted.
///
/// ```
/// use otaseal_protocol::{LengthUnit, ValidationError};
///
/// let e = ValidationError::TooLong { field: "key_id".into(), len: 21, max: 20, unit: LengthUnit::Utf16 };
/// assert_eq!(e.to_string(), "key_id: is 21 UTF-16 code units long, more than the limit of 20");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LengthUnit {
    /// Bytes of UTF-8: the [`Limits`](otaseal_wire::Limits) fields.
    Bytes,
    /// UTF-16 code units, JavaScript's `.length`: the limits that Capgo's backend enforces.
    Utf16,
}

impl fmt::Display for LengthUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LengthUnit::Bytes => "bytes",
            LengthUnit::Utf16 => "UTF-16 code units",
        })
    }
}

/// Why a string is not a valid value of one of the validating newtypes ([`AppId`](crate::AppId),
/// [`DeviceId`](crate::DeviceId), [`VersionName`](crate::VersionName),
/// [`VersionBuild`](crate::VersionBuild), [`PluginVersion`](crate::PluginVersion),
/// [`HttpUrl`](crate::HttpUrl)).
///
/// Its `Display` is a predicate about the value, as a validator prints it after the field name.
///
/// ```
/// use otaseal_protocol::{DeviceId, ValueError};
///
/// assert_eq!(DeviceId::try_from("nope").unwrap_err(), ValueError::NotUuid);
/// assert_eq!(
///     ValueError::NotUuid.to_string(),
///     "is not a UUID (8-4-4-4-12 hex digits, at most 36 characters)"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueError {
    /// The string is empty.
    Empty,
    /// The string is longer than its limit.
    TooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
        /// How both are counted.
        unit: LengthUnit,
    },
    /// Not a reverse-domain app id (`/^[a-z0-9]+(\.[\w-]+)+$/i`).
    NotAppId,
    /// Not a UUID in its 36-character text form.
    NotUuid,
    /// Not a version that Capgo's backend parses (strict `X.Y.Z`, or SemVer as `@std/semver`
    /// parses it).
    NotSemver,
    /// Not SemVer even after Capgo's `fixSemver`.
    NotVersionBuild,
    /// Not an absolute `http` or `https` URL with a host, without userinfo or white space.
    NotHttpUrl,
}

impl ValueError {
    /// The error for the value of `field`.
    pub(crate) fn at(self, field: String) -> ValidationError {
        match self {
            ValueError::Empty => ValidationError::Empty { field },
            ValueError::TooLong { len, max, unit } => ValidationError::TooLong {
                field,
                len,
                max,
                unit,
            },
            ValueError::NotAppId => ValidationError::NotAppId { field },
            ValueError::NotUuid => ValidationError::NotUuid { field },
            ValueError::NotSemver => ValidationError::NotSemver { field },
            ValueError::NotVersionBuild => ValidationError::NotVersionBuild { field },
            ValueError::NotHttpUrl => ValidationError::NotHttpUrl { field },
        }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueError::Empty => f.write_str("must not be empty"),
            ValueError::TooLong { len, max, unit } => {
                write!(f, "is {len} {unit} long, more than the limit of {max}")
            }
            ValueError::NotAppId => {
                f.write_str("is not a reverse-domain app id (/^[a-z0-9]+(\\.[\\w-]+)+$/i)")
            }
            ValueError::NotUuid => {
                f.write_str("is not a UUID (8-4-4-4-12 hex digits, at most 36 characters)")
            }
            ValueError::NotSemver => {
                f.write_str("is not a version X.Y.Z (SemVer, as Capgo's backend parses it)")
            }
            ValueError::NotVersionBuild => f.write_str(
                "is not a version, even after Capgo's fixSemver (\"1\" -> \"1.0.0\", \"1.2\" -> \"1.2.0\", builtin/unknown -> \"0.0.0\")",
            ),
            ValueError::NotHttpUrl => {
                f.write_str("is not an absolute http(s) URL with a host and no white space")
            }
        }
    }
}

impl std::error::Error for ValueError {}

/// A JSON error of `serde_json`, shared so that [`ValidationError`] stays `Clone` and
/// comparable. [`ValidationError::source`](std::error::Error::source) returns the
/// `serde_json::Error` itself.
#[derive(Clone, Debug)]
pub struct JsonError(Arc<serde_json::Error>);

impl JsonError {
    /// The `serde_json` error, with its line and column.
    #[must_use]
    pub fn get(&self) -> &serde_json::Error {
        &self.0
    }
}

impl From<serde_json::Error> for JsonError {
    fn from(e: serde_json::Error) -> Self {
        Self(Arc::new(e))
    }
}

impl PartialEq for JsonError {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_string() == other.0.to_string()
    }
}

impl Eq for JsonError {}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One reason why a protocol message is not valid.
///
/// Every variant names the JSON field it is about ([`field`](Self::field), a path such as
/// `app_id`, `[2].device_id` or `manifest[0].file_hash`; `$` is the whole document) and the
/// rule it breaks ([`rule`](Self::rule), a stable snake_case identifier listed in
/// `spec/protocol.md` section 5). Where another error is the cause (a wire format, a manifest
/// name, a limit, the JSON parser), the variant holds it and
/// [`source`](std::error::Error::source) returns it.
///
/// ```
/// use otaseal_protocol::{Limits, UpdateRequest};
///
/// let body = br#"{"platform":"windows","app_id":"com.example.app"}"#;
/// let errors = UpdateRequest::parse(body, &Limits::default()).unwrap_err();
/// let e = errors.first();
/// assert_eq!(e.field(), "platform");
/// assert_eq!(e.rule(), "one_of");
/// assert_eq!(e.to_string(), "platform: \"windows\" is not one of ios, android, electron");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValidationError {
    /// The document is longer than `Limits::max_json_len`; it was not parsed.
    TooLarge {
        /// The length found and the limit.
        error: LimitExceeded,
    },
    /// The document is not JSON.
    Syntax {
        /// The parser's error, with line and column.
        error: JsonError,
    },
    /// A key appears twice in one JSON object: JSON parsers disagree on which value counts
    /// (JavaScript's `JSON.parse` takes the last one), so a validator must not pick one.
    DuplicateKey {
        /// The path of the key.
        field: String,
    },
    /// The value has the wrong JSON type.
    WrongType {
        /// The field.
        field: String,
        /// The type required, such as `string` or `boolean`.
        expected: &'static str,
    },
    /// A required field is absent.
    Missing {
        /// The field.
        field: String,
    },
    /// A string that must not be empty is empty.
    Empty {
        /// The field.
        field: String,
    },
    /// A string is longer than its limit.
    TooLong {
        /// The field.
        field: String,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
        /// How both are counted.
        unit: LengthUnit,
    },
    /// An object or array has more entries than its limit.
    TooMany {
        /// The field.
        field: String,
        /// The number of entries.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Not a reverse-domain app id (`/^[a-z0-9]+(\.[\w-]+)+$/i`).
    NotAppId {
        /// The field.
        field: String,
    },
    /// Not a UUID in its 36-character text form.
    NotUuid {
        /// The field.
        field: String,
    },
    /// Not one of a closed set of values.
    NotOneOf {
        /// The field.
        field: String,
        /// The value found (shortened to 64 characters in messages).
        value: String,
        /// The values allowed.
        allowed: &'static [&'static str],
    },
    /// Not a version that Capgo's backend parses (strict `X.Y.Z`, or SemVer as `@std/semver`
    /// parses it).
    NotSemver {
        /// The field.
        field: String,
    },
    /// A `version_build` that is not SemVer even after Capgo's `fixSemver` (which turns `1`
    /// into `1.0.0`, `1.2` into `1.2.0`, and `builtin`/`unknown` into `0.0.0`).
    NotVersionBuild {
        /// The field.
        field: String,
    },
    /// A stats `action` that Capgo's backend does not accept.
    UnknownAction {
        /// The field.
        field: String,
        /// The action found (shortened to 64 characters in messages).
        value: String,
    },
    /// A stats batch whose events do not all have the `app_id` of the first one.
    MixedAppIds {
        /// The field (the first event with another app id).
        field: String,
    },
    /// Not an absolute `http` or `https` URL.
    NotHttpUrl {
        /// The field.
        field: String,
    },
    /// Not an absolute `https` URL (required by the V2 response builder).
    NotHttpsUrl {
        /// The field.
        field: String,
    },
    /// A wire string (`session_key`, `checksum`, `file_hash`) that `otaseal-wire` rejects.
    Wire {
        /// The field.
        field: String,
        /// What `otaseal-wire` found wrong.
        error: WireError,
    },
    /// A CRC32 checksum, which current plugins cannot verify (they compute SHA-256 only).
    LegacyChecksum {
        /// The field.
        field: String,
    },
    /// An encrypted bundle (non-empty `session_key`) whose checksum is not signed.
    NotSigned {
        /// The field.
        field: String,
    },
    /// The session key and the signed checksum are RSA blocks of different lengths, so they
    /// cannot come from the same key.
    KeyMismatch {
        /// The field.
        field: String,
        /// Length of the wrapped session key in bytes.
        session_key_len: usize,
        /// Length of the signed checksum block in bytes.
        checksum_len: usize,
    },
    /// An error code whose `kind` is fixed by Capgo's backend, sent with another `kind`.
    KindMismatch {
        /// The field (`kind`).
        field: String,
        /// The error code.
        code: String,
        /// The kind Capgo sends with this code.
        expected: &'static str,
        /// The kind found.
        found: String,
    },
    /// A manifest `file_name` that `otaseal_wire::manifest::EntryName` refuses: it could
    /// escape the bundle directory or is malformed.
    UnsafePath {
        /// The field.
        field: String,
        /// The rule of `spec/v2.md` section 9.2 it breaks.
        error: NameError,
    },
    /// A manifest `file_name` that names the same file as an earlier entry (after Unicode NFC
    /// normalisation and case folding), or uses an earlier entry's file as a folder (or the
    /// other way round).
    DuplicateFileName {
        /// The field (the later occurrence).
        field: String,
        /// Which earlier entry it collides with, and how.
        error: Duplicate,
    },
    /// A message built in code could not be written as JSON. Cannot happen for the types of
    /// this crate; reported instead of a panic.
    Shape {
        /// The serializer's error.
        error: JsonError,
    },
}

/// Field name used for errors about the whole document.
pub(crate) const ROOT: &str = "$";

fn short(s: &str) -> String {
    const MAX: usize = 64;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

impl ValidationError {
    /// The JSON field the error is about: a path such as `app_id`, `[2].device_id`,
    /// `metadata.step` or `manifest[0].file_hash`, or `$` for the whole document.
    #[must_use]
    pub fn field(&self) -> &str {
        match self {
            ValidationError::TooLarge { .. }
            | ValidationError::Syntax { .. }
            | ValidationError::Shape { .. } => ROOT,
            ValidationError::DuplicateKey { field }
            | ValidationError::WrongType { field, .. }
            | ValidationError::Missing { field }
            | ValidationError::Empty { field }
            | ValidationError::TooLong { field, .. }
            | ValidationError::TooMany { field, .. }
            | ValidationError::NotAppId { field }
            | ValidationError::NotUuid { field }
            | ValidationError::NotOneOf { field, .. }
            | ValidationError::NotSemver { field }
            | ValidationError::NotVersionBuild { field }
            | ValidationError::UnknownAction { field, .. }
            | ValidationError::MixedAppIds { field }
            | ValidationError::NotHttpUrl { field }
            | ValidationError::NotHttpsUrl { field }
            | ValidationError::Wire { field, .. }
            | ValidationError::LegacyChecksum { field }
            | ValidationError::NotSigned { field }
            | ValidationError::KeyMismatch { field, .. }
            | ValidationError::KindMismatch { field, .. }
            | ValidationError::UnsafePath { field, .. }
            | ValidationError::DuplicateFileName { field, .. } => field,
        }
    }

    /// The rule broken, as a stable snake_case identifier (`spec/protocol.md` section 5).
    #[must_use]
    pub fn rule(&self) -> &'static str {
        match self {
            ValidationError::TooLarge { .. } => "max_json_len",
            ValidationError::Syntax { .. } => "json_syntax",
            ValidationError::DuplicateKey { .. } => "unique_key",
            ValidationError::WrongType { .. } | ValidationError::Shape { .. } => "type",
            ValidationError::Missing { .. } => "required",
            ValidationError::Empty { .. } => "non_empty",
            ValidationError::TooLong { .. } => "max_length",
            ValidationError::TooMany { .. } => "max_entries",
            ValidationError::NotAppId { .. } => "app_id",
            ValidationError::NotUuid { .. } => "uuid",
            ValidationError::NotOneOf { .. } => "one_of",
            ValidationError::NotSemver { .. } => "semver",
            ValidationError::NotVersionBuild { .. } => "version_build",
            ValidationError::UnknownAction { .. } => "stats_action",
            ValidationError::MixedAppIds { .. } => "same_app_id",
            ValidationError::NotHttpUrl { .. } => "http_url",
            ValidationError::NotHttpsUrl { .. } => "https_url",
            ValidationError::Wire { .. } => "wire_format",
            ValidationError::LegacyChecksum { .. } => "sha256_checksum",
            ValidationError::NotSigned { .. } => "signed_checksum",
            ValidationError::KeyMismatch { .. } => "same_key",
            ValidationError::KindMismatch { .. } => "kind_matches_error",
            ValidationError::UnsafePath { .. } => "manifest_path",
            ValidationError::DuplicateFileName { .. } => "unique_file_name",
        }
    }

    /// Whether the error is about the shape of the document (too large, not JSON, a value of
    /// the wrong JSON type) rather than about a value. The lenient `from_json` constructors
    /// fail on these (and on a manifest entry without one of its three fields, which cannot be
    /// represented); they are the errors a device would also fail on.
    #[must_use]
    pub fn is_structural(&self) -> bool {
        matches!(
            self,
            ValidationError::TooLarge { .. }
                | ValidationError::Syntax { .. }
                | ValidationError::WrongType { .. }
                | ValidationError::Shape { .. }
        )
    }

    /// The description without the field name.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            ValidationError::TooLarge { error } => error.to_string(),
            ValidationError::Syntax { error } => format!("not valid JSON: {error}"),
            ValidationError::DuplicateKey { .. } => {
                "appears twice in one object (JSON parsers disagree on which value counts)"
                    .to_owned()
            }
            ValidationError::WrongType { expected, .. } => format!("must be {expected}"),
            ValidationError::Missing { .. } => "is required".to_owned(),
            ValidationError::Empty { .. } => ValueError::Empty.to_string(),
            ValidationError::TooLong { len, max, unit, .. } => ValueError::TooLong {
                len: *len,
                max: *max,
                unit: *unit,
            }
            .to_string(),
            ValidationError::TooMany { count, max, .. } => {
                format!("has {count} entries, more than the limit of {max}")
            }
            ValidationError::NotAppId { .. } => ValueError::NotAppId.to_string(),
            ValidationError::NotUuid { .. } => ValueError::NotUuid.to_string(),
            ValidationError::NotOneOf { value, allowed, .. } => {
                format!("{:?} is not one of {}", short(value), allowed.join(", "))
            }
            ValidationError::NotSemver { .. } => ValueError::NotSemver.to_string(),
            ValidationError::NotVersionBuild { .. } => ValueError::NotVersionBuild.to_string(),
            ValidationError::UnknownAction { value, .. } => {
                format!(
                    "{:?} is not a stats action that Capgo's backend accepts",
                    short(value)
                )
            }
            ValidationError::MixedAppIds { .. } => {
                "differs from the app_id of the first event of the batch".to_owned()
            }
            ValidationError::NotHttpUrl { .. } => ValueError::NotHttpUrl.to_string(),
            ValidationError::NotHttpsUrl { .. } => {
                "is not an absolute https URL with a host and no white space".to_owned()
            }
            ValidationError::Wire { error, .. } => error.to_string(),
            ValidationError::LegacyChecksum { .. } => {
                "is a CRC32 checksum; current plugins verify SHA-256 only".to_owned()
            }
            ValidationError::NotSigned { .. } => {
                "must be a signed checksum when session_key is set (encrypted bundle)".to_owned()
            }
            ValidationError::KeyMismatch {
                session_key_len,
                checksum_len,
                ..
            } => format!(
                "is a {checksum_len}-byte RSA block but session_key wraps a {session_key_len}-byte block: not the same key"
            ),
            ValidationError::KindMismatch {
                code,
                expected,
                found,
                ..
            } => format!(
                "{:?} does not match error {:?}, which is sent with kind {expected:?}",
                short(found),
                short(code)
            ),
            ValidationError::UnsafePath { error, .. } => error.to_string(),
            ValidationError::DuplicateFileName { error, .. } => error.to_string(),
            ValidationError::Shape { error } => format!("cannot be written as JSON: {error}"),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field(), self.message())
    }
}

impl std::error::Error for ValidationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ValidationError::TooLarge { error } => Some(error),
            ValidationError::Syntax { error } | ValidationError::Shape { error } => {
                Some(error.get())
            }
            ValidationError::Wire { error, .. } => Some(error),
            ValidationError::UnsafePath { error, .. } => Some(error),
            ValidationError::DuplicateFileName { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// All the reasons why a message is not valid: never empty, in document order.
///
/// ```
/// use otaseal_protocol::{Limits, StatsBody};
///
/// let errors = StatsBody::parse(br#"{"app_id":"x"}"#, &Limits::default()).unwrap_err();
/// let fields: Vec<&str> = errors.iter().map(|e| e.field()).collect();
/// assert_eq!(fields, ["platform", "device_id", "app_id", "version_os", "version_name"]);
/// assert_eq!(errors.to_string(), "platform: is required (and 4 more errors)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationErrors {
    errors: Vec<ValidationError>,
}

impl ValidationErrors {
    /// Wraps a list; `None` if it is empty.
    #[must_use]
    pub fn from_vec(errors: Vec<ValidationError>) -> Option<Self> {
        (!errors.is_empty()).then_some(Self { errors })
    }

    pub(crate) fn one(error: ValidationError) -> Self {
        Self {
            errors: vec![error],
        }
    }

    /// The first error.
    #[must_use]
    pub fn first(&self) -> &ValidationError {
        // Never empty by construction; `from_vec` refuses an empty list.
        &self.errors[0]
    }

    /// All errors.
    #[must_use]
    pub fn as_slice(&self) -> &[ValidationError] {
        &self.errors
    }

    /// Iterates over the errors.
    pub fn iter(&self) -> std::slice::Iter<'_, ValidationError> {
        self.errors.iter()
    }

    /// The number of errors, at least 1.
    #[must_use]
    #[allow(clippy::len_without_is_empty, reason = "never empty")]
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// The errors as a vector.
    #[must_use]
    pub fn into_vec(self) -> Vec<ValidationError> {
        self.errors
    }

    /// Whether any error is structural ([`ValidationError::is_structural`]).
    #[must_use]
    pub fn is_structural(&self) -> bool {
        self.errors.iter().any(ValidationError::is_structural)
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.first().fmt(f)?;
        match self.errors.len() {
            1 => Ok(()),
            2 => f.write_str(" (and 1 more error)"),
            n => write!(f, " (and {} more errors)", n - 1),
        }
    }
}

impl std::error::Error for ValidationErrors {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.first())
    }
}

impl<'a> IntoIterator for &'a ValidationErrors {
    type Item = &'a ValidationError;
    type IntoIter = std::slice::Iter<'a, ValidationError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

impl IntoIterator for ValidationErrors {
    type Item = ValidationError;
    type IntoIter = std::vec::IntoIter<ValidationError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

/// `"field rule"` for each error of `r`, none when it is `Ok`: what tests compare.
#[cfg(test)]
pub(crate) fn field_rules<T>(r: Result<T, ValidationErrors>) -> Vec<String> {
    r.err()
        .into_iter()
        .flatten()
        .map(|e| format!("{} {}", e.field(), e.rule()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_counts_the_rest() {
        let e = |f: &str| ValidationError::Missing { field: f.into() };
        assert!(ValidationErrors::from_vec(vec![]).is_none());
        let one = ValidationErrors::one(e("a"));
        assert_eq!(one.to_string(), "a: is required");
        let two = ValidationErrors::from_vec(vec![e("a"), e("b")]).unwrap();
        assert_eq!(two.to_string(), "a: is required (and 1 more error)");
        let three = ValidationErrors::from_vec(vec![e("a"), e("b"), e("c")]).unwrap();
        assert_eq!(three.to_string(), "a: is required (and 2 more errors)");
        assert_eq!(three.len(), 3);
        assert!(!three.is_structural());
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let e = ValidationError::NotOneOf {
            field: "platform".into(),
            value: "x".repeat(500),
            allowed: &["ios"],
        };
        assert!(e.to_string().len() < 120);
        assert_eq!(e.field(), "platform");
        assert_eq!(e.rule(), "one_of");
    }

    #[test]
    fn causes_are_kept_as_sources() {
        use otaseal_wire::{Limit, Limits};
        use std::error::Error as _;
        let limit = Limits::DEFAULT.check(Limit::JsonLen, 9 << 20).unwrap_err();
        let e = ValidationError::TooLarge { error: limit };
        assert_eq!(
            e.to_string(),
            "$: a JSON document of 9437184 bytes is more than the limit of 8388608 bytes"
        );
        assert!(e.source().is_some());
        let e = ValidationError::UnsafePath {
            field: "manifest[0].file_name".into(),
            error: NameError::Colon,
        };
        assert_eq!(e.rule(), "manifest_path");
        assert!(e.source().is_some());
        let json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let e = ValidationError::Syntax { error: json.into() };
        assert!(e.source().unwrap().to_string().contains("EOF"));
        assert_eq!(e.clone(), e);
    }

    #[test]
    fn wire_errors_keep_their_source() {
        use std::error::Error as _;
        let e = ValidationError::Wire {
            field: "session_key".into(),
            error: WireError::MissingSeparator,
        };
        assert!(e.source().is_some());
        assert_eq!(e.rule(), "wire_format");
        assert!(
            e.to_string()
                .starts_with("session_key: ivSessionKey has no ':'")
        );
    }
}
