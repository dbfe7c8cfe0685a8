//! Validating newtypes for the protocol's string values: a value of one of these types
//! satisfies its rule of `spec/protocol.md` section 5, checked when it is made (`TryFrom`,
//! `FromStr`, and serde through `#[serde(try_from = "String", into = "String")]`).
//!
//! The message types keep their fields as received (so that a lenient reader keeps a value
//! that breaks a rule, `spec/protocol.md` section 5.5); the validator checks each field by
//! making the newtype of its rule, so that each rule is written once, here.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{LengthUnit, ValueError};
use crate::grammar::{self, UrlScheme};

/// Defines a validating newtype over `String` whose rule is `$check`.
macro_rules! newtype {
    ($(#[$meta:meta])* $name:ident, $check:expr) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `s` against the rule of this type.
            pub(crate) fn check(s: &str) -> Result<(), ValueError> {
                let check: fn(&str) -> Result<(), ValueError> = $check;
                check(s)
            }

            /// The text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValueError;

            fn try_from(s: String) -> Result<Self, ValueError> {
                Self::check(&s)?;
                Ok(Self(s))
            }
        }

        impl TryFrom<&str> for $name {
            type Error = ValueError;

            fn try_from(s: &str) -> Result<Self, ValueError> {
                Self::check(s)?;
                Ok(Self(s.to_owned()))
            }
        }

        impl FromStr for $name {
            type Err = ValueError;

            fn from_str(s: &str) -> Result<Self, ValueError> {
                Self::try_from(s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn rule(ok: bool, error: ValueError) -> Result<(), ValueError> {
    if ok { Ok(()) } else { Err(error) }
}

newtype!(
    /// An app id: reverse-domain, `/^[a-z0-9]+(\.[\w-]+)+$/i` with ASCII-only `\w` and case
    /// folding, as Capgo's backend matches it.
    ///
    /// ```
    /// use otaseal_protocol::AppId;
    ///
    /// let id: AppId = "com.example.app".parse()?;
    /// assert_eq!(id.as_str(), "com.example.app");
    /// assert!(AppId::try_from("com").is_err());
    /// # Ok::<(), otaseal_protocol::ValueError>(())
    /// ```
    AppId,
    |s| rule(grammar::is_app_id(s), ValueError::NotAppId)
);

/// The length limit of `device_id`, in UTF-16 code units (Capgo's `.max(36)`).
const DEVICE_ID_MAX_LEN: usize = 36;

newtype!(
    /// A device id: a UUID in its 36-character text form, any case (iOS sends upper case; the
    /// backend lower-cases it before use).
    ///
    /// ```
    /// use otaseal_protocol::DeviceId;
    ///
    /// assert!(DeviceId::try_from("0B5F5E4A-2C1D-4F3E-9A8B-7C6D5E4F3A2B").is_ok());
    /// assert!(DeviceId::try_from("0b5f5e4a2c1d4f3e9a8b7c6d5e4f3a2b").is_err());
    /// ```
    DeviceId,
    |s| {
        let len = grammar::js_len(s);
        if len > DEVICE_ID_MAX_LEN {
            return Err(ValueError::TooLong {
                len,
                max: DEVICE_ID_MAX_LEN,
                unit: LengthUnit::Utf16,
            });
        }
        rule(grammar::is_uuid(s), ValueError::NotUuid)
    }
);

newtype!(
    /// A bundle's version name: any non-empty string (`builtin` is the bundle shipped in the
    /// app). Update requests send the running one, update responses the one to install.
    ///
    /// ```
    /// use otaseal_protocol::VersionName;
    ///
    /// assert_eq!(VersionName::try_from("1.0.1")?.as_str(), "1.0.1");
    /// assert!(VersionName::try_from("").is_err());
    /// # Ok::<(), otaseal_protocol::ValueError>(())
    /// ```
    VersionName,
    |s| rule(!s.is_empty(), ValueError::Empty)
);

newtype!(
    /// The native version of an update request (`version_build`): non-empty, and SemVer as
    /// `@std/semver` parses it after Capgo's `fixSemver` (`1` is `1.0.0`, `1.2` is `1.2.0`,
    /// `builtin` and `unknown` are `0.0.0`).
    ///
    /// ```
    /// use otaseal_protocol::VersionBuild;
    ///
    /// let v = VersionBuild::try_from("1.4")?;
    /// assert_eq!(v.as_str(), "1.4");
    /// assert_eq!(v.semver(), "1.4.0");
    /// assert!(VersionBuild::try_from("1.2-beta").is_err());
    /// # Ok::<(), otaseal_protocol::ValueError>(())
    /// ```
    VersionBuild,
    |s| {
        rule(!s.is_empty(), ValueError::Empty)?;
        rule(grammar::version_build_ok(s), ValueError::NotVersionBuild)
    }
);

impl VersionBuild {
    /// The version after Capgo's `fixSemver`, as the backend compares it.
    #[must_use]
    pub fn semver(&self) -> Cow<'_, str> {
        grammar::fix_semver(&self.0)
    }
}

newtype!(
    /// The plugin's version in an update request: strict `X.Y.Z`, or SemVer as `@std/semver`
    /// parses it (trimmed, an optional `v`, numbers up to 2^53 - 1).
    ///
    /// ```
    /// use otaseal_protocol::PluginVersion;
    ///
    /// assert!(PluginVersion::try_from("8.51.14").is_ok());
    /// assert!(PluginVersion::try_from("v8.0.0-alpha.3").is_ok());
    /// assert!(PluginVersion::try_from("8.51").is_err());
    /// ```
    PluginVersion,
    |s| rule(grammar::plugin_version_ok(s), ValueError::NotSemver)
);

newtype!(
    /// A URL a device downloads from: absolute `http` or `https`, with a valid non-empty host
    /// (parsed by the `url` crate), no userinfo, and no white space or control characters. The
    /// text is kept as written.
    ///
    /// ```
    /// use otaseal_protocol::HttpUrl;
    ///
    /// let u = HttpUrl::try_from("https://cdn.example.com/b.zip")?;
    /// assert!(u.is_https());
    /// assert!(!HttpUrl::try_from("http://cdn.example.com/b.zip")?.is_https());
    /// assert!(HttpUrl::try_from("https:///b.zip").is_err());
    /// # Ok::<(), otaseal_protocol::ValueError>(())
    /// ```
    HttpUrl,
    |s| rule(grammar::http_url(s).is_some(), ValueError::NotHttpUrl)
);

impl HttpUrl {
    /// Whether the scheme is `https`.
    #[must_use]
    pub fn is_https(&self) -> bool {
        grammar::http_url(&self.0) == Some(UrlScheme::Https)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_checks_the_rule() {
        let ok: DeviceId =
            serde_json::from_str("\"0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b\"").unwrap();
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            "\"0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b\""
        );
        let e = serde_json::from_str::<DeviceId>("\"nope\"").unwrap_err();
        assert!(e.to_string().contains("is not a UUID"), "{e}");
        assert!(serde_json::from_str::<AppId>("\"com\"").is_err());
    }

    #[test]
    fn device_id_length_is_counted_in_utf16_before_the_pattern() {
        let long = format!("{}0", "0b5f5e4a-2c1d-4f3e-9a8b-7c6d5e4f3a2b");
        assert_eq!(
            DeviceId::check(&long),
            Err(ValueError::TooLong {
                len: 37,
                max: 36,
                unit: LengthUnit::Utf16
            })
        );
    }

    #[test]
    fn empty_version_build_is_empty_not_unparsable() {
        assert_eq!(VersionBuild::check(""), Err(ValueError::Empty));
        assert_eq!(VersionBuild::check("abc"), Err(ValueError::NotVersionBuild));
        assert_eq!(VersionBuild::try_from("builtin").unwrap().semver(), "0.0.0");
        assert_eq!(PluginVersion::check(""), Err(ValueError::NotSemver));
    }
}
