use core::fmt;
use core::str::FromStr;

use sha2::{Digest, Sha256};

use crate::KeyError;

/// A key's identity: SHA-256 over the DER of its SubjectPublicKeyInfo (`spec/keys.md`
/// section 6), written `sha256:` followed by 64 lower-case hex characters.
///
/// Unlike Capgo's [`KeyId`](crate::KeyId), which is 20 characters of the PEM text of which
/// only 8 differ between two 2048-bit keys, this identifies a key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The prefix of the text form.
    pub const PREFIX: &'static str = "sha256:";

    /// Computes the fingerprint of an SPKI DER document.
    #[must_use]
    pub fn of_spki_der(spki_der: &[u8]) -> Self {
        Self(Sha256::digest(spki_der).into())
    }

    /// Wraps raw fingerprint bytes (for example read from a V3 header).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 raw bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}",
            Self::PREFIX,
            base16ct::lower::encode_string(&self.0)
        )
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || KeyError::Malformed {
            what: "fingerprint",
            detail: "expected sha256: followed by 64 lower-case hex characters".into(),
        };
        let hex = s.strip_prefix(Self::PREFIX).ok_or_else(bad)?;
        if hex.len() != 64 || hex.bytes().any(|b| !matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        base16ct::lower::decode(hex, &mut out).map_err(|_| bad())?;
        Ok(Self(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip_and_rejections() {
        let f = Fingerprint::of_spki_der(b"abc");
        let s = f.to_string();
        assert_eq!(s.len(), 7 + 64);
        assert_eq!(s.parse::<Fingerprint>().unwrap(), f);
        assert!(s.to_uppercase().parse::<Fingerprint>().is_err());
        assert!(s[7..].parse::<Fingerprint>().is_err());
        assert!(format!("{s}0").parse::<Fingerprint>().is_err());
    }
}
