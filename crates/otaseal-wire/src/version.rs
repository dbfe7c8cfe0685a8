use core::fmt;
use core::str::FromStr;

use crate::{Field, WireError};

/// A bundle encryption format version (`spec/README.md`, "Format versions").
///
/// ```
/// use otaseal_wire::FormatVersion;
///
/// let v: FormatVersion = "v2".parse()?;
/// assert_eq!(v, FormatVersion::V2);
/// assert!(FormatVersion::V1.is_legacy());
/// assert_eq!(v.to_string(), "v2");
/// # Ok::<(), otaseal_wire::WireError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FormatVersion {
    /// Capgo encryption V1 (legacy, removed from the plugin in 2024-11): RSA-OAEP-SHA256 key
    /// wrap with the public key, AES-128-CBC body, unsigned CRC32 checksum. Read-only.
    V1,
    /// Capgo encryption V2 (current): type-1 RSA key wrap with the private key, AES-128-CBC
    /// body, signed SHA-256 checksum. Byte-compatible with `@capgo/cli` and the plugin.
    V2,
    /// otaseal V3: RSA-OAEP key wrap to recipients, RSA-PSS signed header with context,
    /// AES-256-GCM chunked body. Not understood by Capgo devices.
    V3,
}

impl FormatVersion {
    /// The version number (1, 2 or 3).
    #[must_use]
    pub const fn number(self) -> u8 {
        match self {
            FormatVersion::V1 => 1,
            FormatVersion::V2 => 2,
            FormatVersion::V3 => 3,
        }
    }

    /// The version with this number.
    ///
    /// # Errors
    /// [`WireError::UnknownVersion`] for any number other than 1, 2 or 3.
    pub const fn from_number(n: u8) -> Result<Self, WireError> {
        match n {
            1 => Ok(FormatVersion::V1),
            2 => Ok(FormatVersion::V2),
            3 => Ok(FormatVersion::V3),
            _ => Err(WireError::UnknownVersion),
        }
    }

    /// `true` for versions that otaseal only reads, never writes (V1).
    #[must_use]
    pub const fn is_legacy(self) -> bool {
        matches!(self, FormatVersion::V1)
    }
}

impl fmt::Display for FormatVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.number())
    }
}

impl FromStr for FormatVersion {
    type Err = WireError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "v1" => Ok(FormatVersion::V1),
            "v2" => Ok(FormatVersion::V2),
            "v3" => Ok(FormatVersion::V3),
            "" => Err(WireError::Empty {
                field: Field::FormatVersion,
            }),
            _ => Err(WireError::UnknownVersion),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn numbers_round_trip() {
        for v in [FormatVersion::V1, FormatVersion::V2, FormatVersion::V3] {
            assert_eq!(FormatVersion::from_number(v.number()), Ok(v));
            assert_eq!(v.to_string().parse::<FormatVersion>(), Ok(v));
        }
        assert_eq!(
            FormatVersion::from_number(0),
            Err(WireError::UnknownVersion)
        );
        assert_eq!(
            FormatVersion::from_number(4),
            Err(WireError::UnknownVersion)
        );
        assert_eq!(
            "V2".parse::<FormatVersion>(),
            Err(WireError::UnknownVersion)
        );
    }
}
