use alloc::string::String;
use core::fmt;
use core::str::FromStr;

use crate::{Field, WireError};

/// Capgo's key id: the first 20 characters of the base64 body of the PKCS#1 public-key PEM
/// (`spec/keys.md` section 5), sent by devices as `key_id`.
///
/// It is a hint for picking a key, not a fingerprint: two RSA-2048 keys share the first 12
/// characters (the DER header), so only 8 characters differ. Use the SHA-256 fingerprint of
/// `otaseal-keys` to identify a key.
///
/// ```
/// use otaseal_wire::KeyId;
///
/// let pem = "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEAqJikYizowR4jGct5Uv8NdTjc\n-----END RSA PUBLIC KEY-----\n";
/// assert_eq!(KeyId::from_pkcs1_public_pem(pem)?.as_str(), "MIIBCgKCAQEAqJikYizo");
/// # Ok::<(), otaseal_wire::WireError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// Length of a key id computed from a key.
    pub const LEN: usize = 20;

    /// Computes the key id from the text of a PKCS#1 public-key PEM, as the plugin does:
    /// drop the `BEGIN`/`END` lines and all white space, take the first 20 characters.
    ///
    /// # Errors
    /// [`WireError`] if the body has fewer than 20 base64 characters.
    pub fn from_pkcs1_public_pem(pem: &str) -> Result<Self, WireError> {
        let body: String = pem
            .lines()
            .filter(|l| !l.trim_start().starts_with("-----"))
            .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
            .take(Self::LEN)
            .collect();
        if body.len() < Self::LEN {
            return Err(WireError::WrongLength {
                field: Field::KeyId,
                expected: Self::LEN,
                actual: body.len(),
            });
        }
        body.parse()
    }

    /// Computes the key id from the PKCS#1 `RSAPublicKey` DER. The PEM body's first line is
    /// the base64 of the first 48 DER bytes, so its first 20 characters are exactly the base64
    /// of the first 15 DER bytes; this gives the same id as
    /// [`from_pkcs1_public_pem`](Self::from_pkcs1_public_pem) without formatting PEM.
    ///
    /// # Errors
    /// [`WireError::WrongLength`] if `der` is shorter than 15 bytes.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, WireError> {
        let head = der.get(..15).ok_or(WireError::WrongLength {
            field: Field::KeyId,
            expected: 15,
            actual: der.len(),
        })?;
        Ok(Self(crate::codec::b64_encode(head)))
    }

    /// The key id text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for KeyId {
    type Err = WireError;

    /// Parses a key id as received from a device: 1 to 20 characters of the base64 alphabet.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(WireError::Empty {
                field: Field::KeyId,
            });
        }
        if s.len() > Self::LEN {
            return Err(WireError::TooLong {
                field: Field::KeyId,
                len: s.len(),
                max: Self::LEN,
            });
        }
        if let Some(offset) = s
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b == b'+' || b == b'/'))
        {
            return Err(WireError::InvalidEncoding {
                field: Field::KeyId,
                offset: Some(offset),
            });
        }
        Ok(Self(s.into()))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_ids() {
        assert_eq!(
            "".parse::<KeyId>(),
            Err(WireError::Empty {
                field: Field::KeyId
            })
        );
        assert!(matches!(
            "A".repeat(21).parse::<KeyId>(),
            Err(WireError::TooLong { .. })
        ));
        assert_eq!(
            "abc def".parse::<KeyId>(),
            Err(WireError::InvalidEncoding {
                field: Field::KeyId,
                offset: Some(3)
            })
        );
        assert!(
            KeyId::from_pkcs1_public_pem(
                "-----BEGIN RSA PUBLIC KEY-----\nMIIB\n-----END RSA PUBLIC KEY-----"
            )
            .is_err()
        );
    }
}
