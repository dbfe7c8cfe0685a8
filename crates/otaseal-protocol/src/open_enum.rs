//! The one mechanism for the protocol's open string enums ([`Platform`](crate::Platform),
//! [`ResponseKind`](crate::ResponseKind), [`StatsAction`](crate::StatsAction)): a Rust enum with
//! a variant per known value and an `Unknown` variant that keeps any other string verbatim, so
//! that a value a newer plugin or server sends is read, stored and written back unchanged
//! (rustls's `enum_builder!` does the same for integer codes).

/// A value of an open enum that is not one of its known values, kept verbatim. Only the enums'
/// `parse` makes one, so a known value is never wrapped in it.
///
/// ```
/// use otaseal_protocol::StatsAction;
///
/// let StatsAction::Unknown(u) = StatsAction::parse("warp_drive") else { unreachable!() };
/// assert_eq!(u.as_str(), "warp_drive");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnknownValue(String);

impl UnknownValue {
    pub(crate) fn new(s: String) -> Self {
        Self(s)
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Defines an open string enum: the known variants with their wire text, plus
/// `Unknown(UnknownValue)`; `KNOWN`, `parse`, `as_str`, `is_known`, `Display`, `From<&str>`,
/// `From<String>`, serde as a JSON string, and reading by the validator.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = concat!("`", $text, "`")]
                $(#[$vmeta])*
                $variant,
            )*
            /// Any other string, kept verbatim.
            Unknown($crate::UnknownValue),
        }

        impl $name {
            /// Every known value, in the order of `spec/protocol.md`.
            pub const KNOWN: &'static [&'static str] = &[$($text),*];

            /// Reads a value; an unknown string becomes [`Unknown`](Self::Unknown).
            #[must_use]
            pub fn parse(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)*
                    other => $name::Unknown($crate::UnknownValue::new(other.to_owned())),
                }
            }

            /// The wire text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Unknown(u) => u.as_str(),
                }
            }

            /// Whether this is one of the known values.
            #[must_use]
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::parse(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match $name::parse(&s) {
                    $name::Unknown(_) => $name::Unknown($crate::UnknownValue::new(s)),
                    known => known,
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map($name::from)
            }
        }

        impl $crate::read::FromJson for $name {
            const EXPECTED: &'static str = "a string";

            fn from_json(v: ::serde_json::Value) -> Option<Self> {
                match v {
                    ::serde_json::Value::String(s) => Some($name::from(s)),
                    _ => None,
                }
            }

            fn text(&self) -> Option<&str> {
                Some(self.as_str())
            }
        }
    };
}
pub(crate) use open_enum;

#[cfg(test)]
mod tests {
    use crate::{Platform, ResponseKind, StatsAction};

    #[test]
    fn known_values_parse_to_their_variant_and_back() {
        for s in Platform::KNOWN {
            assert!(Platform::parse(s).is_known(), "{s}");
            assert_eq!(Platform::parse(s).as_str(), *s);
        }
        for s in ResponseKind::KNOWN {
            assert_eq!(ResponseKind::from((*s).to_owned()).to_string(), *s);
        }
        assert_eq!(StatsAction::from("set"), StatsAction::Set);
    }

    #[test]
    fn unknown_values_round_trip_verbatim() {
        let p = Platform::from("windows".to_owned());
        assert!(!p.is_known());
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"windows\"");
        let back: Platform = serde_json::from_str("\"windows\"").unwrap();
        assert_eq!(back, p);
        assert!(serde_json::from_str::<Platform>("7").is_err());
    }
}
