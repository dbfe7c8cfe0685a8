//! RFC 7512 PKCS#11 URIs naming a private key in a token (`spec/keys.md` section 7.2).
//!
//! ```text
//! pkcs11:token=otaseal;object=capgo;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/pin
//! ```
//!
//! Parsed by hand, strictly, after the RFC's ABNF (section 2.3): no crate on crates.io parses
//! RFC 7512 URIs with the query attributes (`module-path`, `pin-source`, `pin-value`) and is
//! maintained, and the grammar is small. Values are percent-decoded with the
//! `percent-encoding` crate after every `%` has been checked to start a valid escape (that
//! crate passes malformed escapes through unchanged). Every attribute may appear at most once
//! (RFC 7512 2.3: "An attribute MUST NOT appear more than once"); an attribute otaseal does
//! not act on is refused rather than ignored, so that a URI never silently matches a key it
//! did not mean.

use core::fmt;
use std::path::PathBuf;

use zeroize::Zeroizing;

/// The URI scheme, with its colon.
pub const PKCS11_SCHEME: &str = "pkcs11:";

/// Where the token's user PIN comes from.
#[non_exhaustive]
pub enum PinSource {
    /// `pin-value=...`: the PIN is in the URI itself (visible to `ps` when passed as an
    /// argument; prefer `pin-source`).
    Value(Zeroizing<String>),
    /// `pin-source=file:PATH`: the first line of a file.
    File(PathBuf),
}

impl fmt::Debug for PinSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinSource::Value(_) => f.write_str("Value(<redacted>)"),
            PinSource::File(p) => f.debug_tuple("File").field(p).finish(),
        }
    }
}

/// A parsed PKCS#11 URI that names one private key.
///
/// `Debug` and `Display` never show `pin-value`.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Pkcs11Uri {
    /// `token`: the token label.
    pub token: Option<String>,
    /// `manufacturer`: the token manufacturer.
    pub manufacturer: Option<String>,
    /// `serial`: the token serial number.
    pub serial: Option<String>,
    /// `model`: the token model.
    pub model: Option<String>,
    /// `slot-id`: the slot number.
    pub slot_id: Option<u64>,
    /// `object`: the key's label (`CKA_LABEL`).
    pub object: Option<String>,
    /// `id`: the key's identifier (`CKA_ID`), raw bytes.
    pub id: Option<Vec<u8>>,
    /// `module-path`: the PKCS#11 module (shared library) to load.
    pub module_path: Option<PathBuf>,
    /// `module-name`: a module name, which otaseal does not resolve (give `module-path`).
    pub module_name: Option<String>,
    /// `pin-value` or `pin-source`.
    pub pin: Option<PinSource>,
}

/// A PKCS#11 URI that otaseal does not accept.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UriError {
    /// It does not start with `pkcs11:`.
    NotPkcs11,
    /// An attribute without `=`.
    MissingEquals {
        /// The text found (at most 64 characters).
        attribute: String,
    },
    /// An attribute name that RFC 7512 does not define, or that otaseal does not act on.
    UnknownAttribute {
        /// The name (at most 64 characters).
        name: String,
    },
    /// An attribute given twice.
    Duplicate {
        /// Its name.
        name: &'static str,
    },
    /// An attribute with an empty value.
    Empty {
        /// Its name.
        name: &'static str,
    },
    /// A character that must be percent-encoded in this part of the URI, or a `%` that does
    /// not start a `%XX` escape.
    BadCharacter {
        /// The attribute.
        name: &'static str,
        /// Byte offset in the value.
        offset: usize,
    },
    /// A value that is not UTF-8 once decoded.
    NotUtf8 {
        /// The attribute.
        name: &'static str,
    },
    /// `type` other than `private`: otaseal needs the private key.
    NotPrivate {
        /// The type given (`public`, `cert`, `secret-key`, `data`...).
        found: String,
    },
    /// `slot-id` that is not a decimal number.
    BadSlotId,
    /// Both `pin-value` and `pin-source`.
    TwoPins,
    /// `pin-source` that is not a `file:` URI or an absolute path.
    PinSourceScheme,
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UriError::NotPkcs11 => f.write_str("not a PKCS#11 URI (expected pkcs11:...)"),
            UriError::MissingEquals { attribute } => {
                write!(f, "PKCS#11 URI attribute {attribute:?} has no '='")
            }
            UriError::UnknownAttribute { name } => write!(
                f,
                "PKCS#11 URI attribute {name:?} is not supported (token, manufacturer, serial, model, slot-id, object, id, type; module-path, module-name, pin-value, pin-source)"
            ),
            UriError::Duplicate { name } => {
                write!(f, "PKCS#11 URI attribute {name} appears twice")
            }
            UriError::Empty { name } => write!(f, "PKCS#11 URI attribute {name} is empty"),
            UriError::BadCharacter { name, offset } => write!(
                f,
                "PKCS#11 URI attribute {name}: character at offset {offset} must be percent-encoded (%XX)"
            ),
            UriError::NotUtf8 { name } => {
                write!(f, "PKCS#11 URI attribute {name} is not UTF-8 once decoded")
            }
            UriError::NotPrivate { found } => write!(
                f,
                "PKCS#11 URI names a {found:?} object; otaseal needs type=private"
            ),
            UriError::BadSlotId => f.write_str("PKCS#11 URI slot-id is not a decimal number"),
            UriError::TwoPins => f.write_str("PKCS#11 URI has both pin-value and pin-source"),
            UriError::PinSourceScheme => f.write_str(
                "PKCS#11 URI pin-source must be file:/absolute/path (or an absolute path)",
            ),
        }
    }
}

impl std::error::Error for UriError {}

/// Which part of the URI a value is in: the allowed unescaped characters differ.
#[derive(Clone, Copy)]
enum Part {
    Path,
    Query,
}

/// RFC 7512 2.3: `pk11-pchar` / `pk11-qchar` (unreserved, the allowed reserved characters,
/// `&` in the path, `/ ? |` in the query).
fn allowed(b: u8, part: Part) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b':'
                | b'['
                | b']'
                | b'@'
                | b'!'
                | b'$'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b'='
        )
        || match part {
            Part::Path => b == b'&',
            Part::Query => matches!(b, b'/' | b'?' | b'|'),
        }
}

/// Checks every character and escape of `value`, then percent-decodes it.
fn decode(name: &'static str, value: &str, part: Part) -> Result<Vec<u8>, UriError> {
    if value.is_empty() {
        return Err(UriError::Empty { name });
    }
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3);
            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                return Err(UriError::BadCharacter { name, offset: i });
            }
            i += 3;
        } else if allowed(b[i], part) {
            i += 1;
        } else {
            return Err(UriError::BadCharacter { name, offset: i });
        }
    }
    Ok(percent_encoding::percent_decode(b).collect())
}

fn text(name: &'static str, value: &str, part: Part) -> Result<String, UriError> {
    String::from_utf8(decode(name, value, part)?).map_err(|_| UriError::NotUtf8 { name })
}

fn set<T>(slot: &mut Option<T>, name: &'static str, value: T) -> Result<(), UriError> {
    if slot.is_some() {
        return Err(UriError::Duplicate { name });
    }
    *slot = Some(value);
    Ok(())
}

fn short(s: &str) -> String {
    s.chars().take(64).collect()
}

impl Pkcs11Uri {
    /// Parses a URI.
    ///
    /// # Errors
    /// [`UriError`] naming the attribute that is wrong.
    ///
    /// ```
    /// use otaseal_keys::Pkcs11Uri;
    ///
    /// let uri = Pkcs11Uri::parse(
    ///     "pkcs11:token=otaseal;object=capgo%20v2;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234",
    /// )?;
    /// assert_eq!(uri.object.as_deref(), Some("capgo v2"));
    /// assert_eq!(uri.to_string(), "pkcs11:token=otaseal;object=capgo%20v2");
    /// assert!(Pkcs11Uri::parse("pkcs11:object=a;object=b").is_err());
    /// # Ok::<(), otaseal_keys::UriError>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self, UriError> {
        let rest = s.strip_prefix(PKCS11_SCHEME).ok_or(UriError::NotPkcs11)?;
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let mut uri = Pkcs11Uri::default();
        let mut pin_value = None;
        let mut pin_source = None;
        let mut kind: Option<String> = None;
        let mut slot_id: Option<String> = None;
        for (name, value) in pairs(path, ';')? {
            const P: Part = Part::Path;
            match name {
                "token" => set(&mut uri.token, "token", text("token", value, P)?)?,
                "manufacturer" => set(
                    &mut uri.manufacturer,
                    "manufacturer",
                    text("manufacturer", value, P)?,
                )?,
                "serial" => set(&mut uri.serial, "serial", text("serial", value, P)?)?,
                "model" => set(&mut uri.model, "model", text("model", value, P)?)?,
                "slot-id" => set(&mut slot_id, "slot-id", text("slot-id", value, P)?)?,
                "object" => set(&mut uri.object, "object", text("object", value, P)?)?,
                "id" => set(&mut uri.id, "id", decode("id", value, P)?)?,
                "type" => set(&mut kind, "type", text("type", value, P)?)?,
                other => {
                    return Err(UriError::UnknownAttribute { name: short(other) });
                }
            }
        }
        for (name, value) in pairs(query.unwrap_or(""), '&')? {
            const Q: Part = Part::Query;
            match name {
                "module-path" => set(
                    &mut uri.module_path,
                    "module-path",
                    PathBuf::from(text("module-path", value, Q)?),
                )?,
                "module-name" => set(
                    &mut uri.module_name,
                    "module-name",
                    text("module-name", value, Q)?,
                )?,
                "pin-value" => set(
                    &mut pin_value,
                    "pin-value",
                    Zeroizing::new(text("pin-value", value, Q)?),
                )?,
                "pin-source" => set(&mut pin_source, "pin-source", text("pin-source", value, Q)?)?,
                other => {
                    return Err(UriError::UnknownAttribute { name: short(other) });
                }
            }
        }
        if let Some(k) = kind.filter(|k| k != "private") {
            return Err(UriError::NotPrivate { found: short(&k) });
        }
        if let Some(id) = slot_id {
            if !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(UriError::BadSlotId);
            }
            uri.slot_id = Some(id.parse().map_err(|_| UriError::BadSlotId)?);
        }
        uri.pin = match (pin_value, pin_source) {
            (Some(_), Some(_)) => return Err(UriError::TwoPins),
            (Some(v), None) => Some(PinSource::Value(v)),
            (None, Some(src)) => Some(PinSource::File(pin_file(&src)?)),
            (None, None) => None,
        };
        Ok(uri)
    }
}

/// `name=value` pairs separated by `sep` (an empty pair, as after a trailing separator, is
/// skipped).
fn pairs(src: &str, sep: char) -> Result<Vec<(&str, &str)>, UriError> {
    src.split(sep)
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.split_once('=').ok_or_else(|| UriError::MissingEquals {
                attribute: short(a),
            })
        })
        .collect()
}

/// RFC 7512 2.3 `pin-source`: a URI; otaseal reads `file:` URIs (`file:/p`, `file:///p`) and
/// absolute paths.
fn pin_file(src: &str) -> Result<PathBuf, UriError> {
    let path = match src.strip_prefix("file:") {
        Some(rest) => rest.strip_prefix("//").unwrap_or(rest),
        None => src,
    };
    if path.starts_with('/') {
        Ok(PathBuf::from(path))
    } else {
        Err(UriError::PinSourceScheme)
    }
}

/// The path part of the URI (the token and object selectors, re-encoded), without the query:
/// no module, no PIN. For messages.
impl fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};
        const KEEP: &AsciiSet = &NON_ALPHANUMERIC
            .remove(b'-')
            .remove(b'.')
            .remove(b'_')
            .remove(b'~');
        f.write_str(PKCS11_SCHEME)?;
        let mut first = true;
        let mut attr = |f: &mut fmt::Formatter<'_>, name: &str, value: &[u8]| {
            let sep = if first { "" } else { ";" };
            first = false;
            write!(f, "{sep}{name}={}", percent_encode(value, KEEP))
        };
        let text = [
            ("token", &self.token),
            ("manufacturer", &self.manufacturer),
            ("serial", &self.serial),
            ("model", &self.model),
        ];
        for (name, value) in text {
            if let Some(v) = value {
                attr(f, name, v.as_bytes())?;
            }
        }
        if let Some(s) = self.slot_id {
            attr(f, "slot-id", s.to_string().as_bytes())?;
        }
        if let Some(v) = &self.object {
            attr(f, "object", v.as_bytes())?;
        }
        if let Some(v) = &self.id {
            attr(f, "id", v)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_case::test_case;

    #[test]
    fn full_uri() {
        let u = Pkcs11Uri::parse(
            "pkcs11:token=otaseal;manufacturer=SoftHSM%20project;serial=abc;model=SoftHSM%20v2;slot-id=7;object=capgo;id=%01%02;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:///run/pin",
        )
        .unwrap();
        assert_eq!(u.token.as_deref(), Some("otaseal"));
        assert_eq!(u.manufacturer.as_deref(), Some("SoftHSM project"));
        assert_eq!(u.serial.as_deref(), Some("abc"));
        assert_eq!(u.model.as_deref(), Some("SoftHSM v2"));
        assert_eq!(u.slot_id, Some(7));
        assert_eq!(u.object.as_deref(), Some("capgo"));
        assert_eq!(u.id.as_deref(), Some(&[1u8, 2][..]));
        assert_eq!(
            u.module_path.as_deref(),
            Some(std::path::Path::new("/usr/lib/softhsm/libsofthsm2.so"))
        );
        assert!(
            matches!(&u.pin, Some(PinSource::File(p)) if p == std::path::Path::new("/run/pin"))
        );
        assert_eq!(
            u.to_string(),
            "pkcs11:token=otaseal;manufacturer=SoftHSM%20project;serial=abc;model=SoftHSM%20v2;slot-id=7;object=capgo;id=%01%02"
        );
    }

    #[test]
    fn pin_value_is_redacted() {
        let u = Pkcs11Uri::parse("pkcs11:object=k?pin-value=s3cret").unwrap();
        assert!(matches!(&u.pin, Some(PinSource::Value(v)) if v.as_str() == "s3cret"));
        assert!(!format!("{u:?}").contains("s3cret"));
        assert!(!u.to_string().contains("s3cret"));
    }

    #[test_case("pkcs11:" ; "empty path")]
    #[test_case("pkcs11:object=a;" ; "trailing separator")]
    #[test_case("pkcs11:object=a?pin-source=/abs/pin" ; "bare absolute pin path")]
    #[test_case("pkcs11:object=a%2Fb" ; "escaped slash")]
    #[test_case("pkcs11:object=k;type=private" ; "type private")]
    fn accepted(s: &str) {
        assert!(Pkcs11Uri::parse(s).is_ok(), "{s}");
    }

    #[test_case("pkcs12:object=a", UriError::NotPkcs11 ; "scheme")]
    #[test_case("PKCS11:object=a", UriError::NotPkcs11 ; "scheme case")]
    #[test_case("pkcs11:object", UriError::MissingEquals { attribute: "object".into() } ; "no equals")]
    #[test_case("pkcs11:object=a;object=b", UriError::Duplicate { name: "object" } ; "duplicate")]
    #[test_case("pkcs11:object=", UriError::Empty { name: "object" } ; "empty value")]
    #[test_case("pkcs11:object=a b", UriError::BadCharacter { name: "object", offset: 1 } ; "space")]
    #[test_case("pkcs11:object=a/b", UriError::BadCharacter { name: "object", offset: 1 } ; "slash in path")]
    #[test_case("pkcs11:object=a%2", UriError::BadCharacter { name: "object", offset: 1 } ; "short escape")]
    #[test_case("pkcs11:object=a%zz", UriError::BadCharacter { name: "object", offset: 1 } ; "bad escape")]
    #[test_case("pkcs11:object=%ff", UriError::NotUtf8 { name: "object" } ; "not utf8")]
    #[test_case("pkcs11:object=a;type=public", UriError::NotPrivate { found: "public".into() } ; "public")]
    #[test_case("pkcs11:object=a;type=cert", UriError::NotPrivate { found: "cert".into() } ; "cert")]
    #[test_case("pkcs11:slot-id=x1", UriError::BadSlotId ; "slot id")]
    #[test_case("pkcs11:slot-id=99999999999999999999999", UriError::BadSlotId ; "slot id overflow")]
    #[test_case("pkcs11:object=a?pin-value=1&pin-source=file:/p", UriError::TwoPins ; "two pins")]
    #[test_case("pkcs11:object=a?pin-source=env:PIN", UriError::PinSourceScheme ; "pin source scheme")]
    #[test_case("pkcs11:object=a?pin-source=file:pin", UriError::PinSourceScheme ; "relative pin")]
    #[test_case("pkcs11:library-version=1", UriError::UnknownAttribute { name: "library-version".into() } ; "unsupported path attribute")]
    #[test_case("pkcs11:object=a?x-vendor=1", UriError::UnknownAttribute { name: "x-vendor".into() } ; "vendor query attribute")]
    #[test_case("pkcs11:object=a?module-path=/a b", UriError::BadCharacter { name: "module-path", offset: 2 } ; "space in query")]
    fn refused(s: &str, want: UriError) {
        assert_eq!(Pkcs11Uri::parse(s).unwrap_err(), want, "{s}");
    }

    proptest::proptest! {
        /// Any selector values survive Display (percent-encoding) and parse back.
        #[test]
        fn display_round_trips(token in "\\PC{1,20}", object in "\\PC{1,20}", id in proptest::collection::vec(proptest::num::u8::ANY, 1..8)) {
            let u = Pkcs11Uri {
                token: Some(token.clone()),
                object: Some(object.clone()),
                id: Some(id.clone()),
                ..Pkcs11Uri::default()
            };
            let back = Pkcs11Uri::parse(&u.to_string()).unwrap();
            proptest::prop_assert_eq!(back.token, Some(token));
            proptest::prop_assert_eq!(back.object, Some(object));
            proptest::prop_assert_eq!(back.id, Some(id));
        }

        /// Arbitrary text never panics.
        #[test]
        fn never_panics(s in "pkcs11:\\PC{0,80}") {
            let _ = Pkcs11Uri::parse(&s);
        }
    }
}
