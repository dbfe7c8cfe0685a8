use core::fmt;
use core::str::FromStr;

use crate::codec::{hex_decode_exact, hex_encode};
use crate::{Field, WireError};

/// A key's identity: SHA-256 over the DER of its SubjectPublicKeyInfo (`spec/keys.md`
/// section 6), written `sha256:` followed by 64 lower-case hex characters.
///
/// This crate only carries and writes the 32 bytes (V3 headers and rotation statements hold
/// them); `otaseal-keys` computes them from a key. Unlike Capgo's [`KeyId`](crate::KeyId), which
/// is 20 characters of the PEM text of which only 8 differ between two 2048-bit keys, this
/// identifies a key.
///
/// ```
/// use otaseal_wire::Fingerprint;
///
/// let f = Fingerprint::from_bytes([0xab; 32]);
/// let s = f.to_string();
/// assert_eq!(s, format!("sha256:{}", "ab".repeat(32)));
/// assert_eq!(s.parse::<Fingerprint>()?, f);
/// assert!(s.to_uppercase().parse::<Fingerprint>().is_err());
/// # Ok::<(), otaseal_wire::WireError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 32]);

crate::bytes32_newtype!(Fingerprint, "fingerprint");

impl Fingerprint {
    /// The prefix of the text form.
    pub const PREFIX: &'static str = "sha256:";
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Self::PREFIX, hex_encode(&self.0))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = WireError;

    /// Parses `sha256:` and 64 lower-case hex characters.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = s
            .strip_prefix(Self::PREFIX)
            .ok_or(WireError::InvalidEncoding {
                field: Field::Fingerprint,
                offset: Some(0),
            })?;
        let mut out = [0u8; 32];
        hex_decode_exact(Field::Fingerprint, hex, &mut out)?;
        Ok(Self(out))
    }
}
