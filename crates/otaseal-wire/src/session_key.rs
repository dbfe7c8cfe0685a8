use alloc::vec::Vec;
use core::fmt;

use crate::codec::{b64_decode, b64_encode};
use crate::{Field, Limits, WireError, check_rsa_block_len};

/// Length of the AES-CBC IV, in bytes.
pub const IV_LEN: usize = 16;

/// Length of the AES-128 session key of V1 and V2 bundles, in bytes.
pub const SESSION_KEY_LEN: usize = 16;

/// Capgo's `ivSessionKey` (API field `session_key`): the bundle's IV and its RSA-wrapped
/// session key.
///
/// From the wire spec, `spec/v2.md` section 3: the string is
/// `base64(iv) ":" base64(block)` in standard, padded base64; the IV is exactly 16 bytes and
/// the block is exactly as long as the RSA modulus. There is nothing else in the string: no
/// whitespace, no second separator, no URL-safe alphabet.
///
/// The same shape carries V1's OAEP-wrapped key; which one it is depends on the bundle's
/// [`FormatVersion`](crate::FormatVersion), which the string does not record.
///
/// ```
/// use otaseal_wire::{IvSessionKey, Limits, WireError};
///
/// let s = IvSessionKey::new([1u8; 16], vec![2u8; 256]).to_string();
/// assert!(s.starts_with("AQEBAQEBAQEBAQEBAQEBAQ==:"));
/// assert_eq!(IvSessionKey::parse(&s, &Limits::default())?.to_string(), s);
///
/// // A lax form that some parsers accept is rejected here.
/// let lax = format!(" {s}");
/// assert!(IvSessionKey::parse(&lax, &Limits::default()).is_err());
/// # Ok::<(), WireError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct IvSessionKey {
    iv: [u8; IV_LEN],
    wrapped_key: Vec<u8>,
}

impl IvSessionKey {
    /// Builds the value from its parts. The block length is not checked here; it is checked
    /// when the string is parsed and when the block is opened with a key.
    #[must_use]
    pub fn new(iv: [u8; IV_LEN], wrapped_key: Vec<u8>) -> Self {
        Self { iv, wrapped_key }
    }

    /// Parses an `ivSessionKey` string whose RSA block has one of the supported modulus
    /// lengths (256, 384 or 512 bytes), within `limits`.
    ///
    /// # Errors
    /// A [`WireError`] naming the part that is wrong: too long, no or several `:`, bad or
    /// non-canonical base64, an IV that is not 16 bytes, an unsupported block length.
    pub fn parse(s: &str, limits: &Limits) -> Result<Self, WireError> {
        let max = Self::max_encoded_len(limits);
        if s.len() > max {
            return Err(WireError::TooLong {
                field: Field::IvSessionKey,
                len: s.len(),
                max,
            });
        }
        if s.is_empty() {
            return Err(WireError::Empty {
                field: Field::IvSessionKey,
            });
        }
        let (iv_b64, block_b64) = s.split_once(':').ok_or(WireError::MissingSeparator)?;
        if block_b64.contains(':') {
            return Err(WireError::ExtraSeparator);
        }
        let iv_vec = b64_decode(Field::Iv, iv_b64, IV_LEN)?;
        let iv: [u8; IV_LEN] =
            iv_vec
                .as_slice()
                .try_into()
                .map_err(|_| WireError::WrongLength {
                    field: Field::Iv,
                    expected: IV_LEN,
                    actual: iv_vec.len(),
                })?;
        let wrapped_key = b64_decode(Field::WrappedKey, block_b64, limits.max_rsa_block_len)?;
        check_rsa_block_len(Field::WrappedKey, wrapped_key.len(), limits)?;
        Ok(Self { iv, wrapped_key })
    }

    /// Parses like [`parse`](Self::parse) and also requires the block to be exactly
    /// `modulus_len` bytes, the length of the key that will open it.
    ///
    /// # Errors
    /// As [`parse`](Self::parse), plus [`WireError::ModulusLengthMismatch`].
    pub fn parse_for_modulus(
        s: &str,
        modulus_len: usize,
        limits: &Limits,
    ) -> Result<Self, WireError> {
        let v = Self::parse(s, limits)?;
        v.check_modulus(modulus_len)?;
        Ok(v)
    }

    /// Checks that the wrapped key is exactly `modulus_len` bytes, the modulus length of the key
    /// that will open it ([`check_modulus_len`](crate::check_modulus_len)).
    ///
    /// # Errors
    /// [`WireError::ModulusLengthMismatch`].
    pub fn check_modulus(&self, modulus_len: usize) -> Result<(), WireError> {
        crate::check_modulus_len(Field::WrappedKey, self.wrapped_key.len(), modulus_len)
    }

    /// The longest string [`parse`](Self::parse) looks at under `limits`.
    #[must_use]
    pub fn max_encoded_len(limits: &Limits) -> usize {
        24usize
            .saturating_add(1)
            .saturating_add(limits.max_rsa_block_len.div_ceil(3).saturating_mul(4))
    }

    /// The AES-CBC IV.
    #[must_use]
    pub fn iv(&self) -> &[u8; IV_LEN] {
        &self.iv
    }

    /// The RSA block that wraps the session key.
    #[must_use]
    pub fn wrapped_key(&self) -> &[u8] {
        &self.wrapped_key
    }
}

impl fmt::Display for IvSessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            b64_encode(&self.iv),
            b64_encode(&self.wrapped_key)
        )
    }
}

impl fmt::Debug for IvSessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not secret (the key is wrapped), but long: show the shape.
        f.debug_struct("IvSessionKey")
            .field("iv", &b64_encode(&self.iv))
            .field("wrapped_key_len", &self.wrapped_key.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    const L: Limits = Limits::DEFAULT;

    fn sample(block_len: usize) -> alloc::string::String {
        IvSessionKey::new([9; 16], alloc::vec![0xA5; block_len]).to_string()
    }

    #[test]
    fn round_trips_each_block_size() {
        for n in crate::RSA_BLOCK_LENS {
            let s = sample(n);
            let v = IvSessionKey::parse(&s, &L).unwrap();
            assert_eq!(v.wrapped_key().len(), n);
            assert_eq!(v.to_string(), s);
        }
    }

    #[test]
    fn capgo_vector_parses() {
        let s = "djQ2ny8G/eH4ece6y3EsRw==:XQw6FBM8qpOxyf0F7wHkIjDcGw/MsqbL88JdIZQ7f2B0qUHXiK4XIYVOPGDs7F7/KJf/Gt/5fGnsuhVTudUluc4pNbnZNrpSRCbXi6hK6xyxhlmuwLm5TVBMFu/FxZs7brCrzKQSjcYgpgSnZbyZvEsPpub/W0v10jXGAUBrGpnDBuT7/msbSiFGZPELl+3gK/IJeY0bFDgc/2uQQ2mrwpWMsiFtK9KUAteRpWpKZOF58cMhXYz9HMeozDTAHwEnabS/3hgIy/FdpSJPMuGbkk62SC5MBsV7SJvYpVfdlESOx6dxrq+VVQHullrQT2gCQ2FmS/uv3MFwEYlCY4Kuwg==";
        let v = IvSessionKey::parse_for_modulus(s, 256, &L).unwrap();
        assert_eq!(v.iv()[0], 0x76);
        assert_eq!(v.to_string(), s);
    }

    #[test]
    fn rejects_shapes() {
        let good = sample(256);
        let (iv, block) = good.split_once(':').unwrap();
        assert_eq!(
            IvSessionKey::parse("", &L),
            Err(WireError::Empty {
                field: Field::IvSessionKey
            })
        );
        assert_eq!(
            IvSessionKey::parse(iv, &L),
            Err(WireError::MissingSeparator)
        );
        assert_eq!(
            IvSessionKey::parse(&format!("{good}:"), &L),
            Err(WireError::ExtraSeparator)
        );
        assert_eq!(
            IvSessionKey::parse(&format!(":{block}"), &L),
            Err(WireError::Empty { field: Field::Iv })
        );
        assert_eq!(
            IvSessionKey::parse(&format!("{iv}:"), &L),
            Err(WireError::Empty {
                field: Field::WrappedKey
            })
        );
        // 12-byte IV
        assert_eq!(
            IvSessionKey::parse(&format!("AAAAAAAAAAAAAAAA:{block}"), &L),
            Err(WireError::WrongLength {
                field: Field::Iv,
                expected: 16,
                actual: 12
            })
        );
        // 255-byte block
        let short = IvSessionKey::new([0; 16], alloc::vec![1; 255]).to_string();
        assert_eq!(
            IvSessionKey::parse(&short, &L),
            Err(WireError::UnsupportedRsaBlockLength {
                field: Field::WrappedKey,
                len: 255
            })
        );
        // Mismatch with the key
        assert_eq!(
            IvSessionKey::parse_for_modulus(&sample(384), 256, &L),
            Err(WireError::ModulusLengthMismatch {
                field: Field::WrappedKey,
                expected: 256,
                actual: 384
            })
        );
        // Whitespace, newline, URL-safe alphabet
        assert!(IvSessionKey::parse(&format!("{good}\n"), &L).is_err());
        assert!(IvSessionKey::parse(&good.replace('/', "_"), &L).is_err() || !good.contains('/'));
    }

    #[test]
    fn rejects_over_limit_before_decoding() {
        let huge = "A".repeat(10_000);
        assert!(matches!(
            IvSessionKey::parse(&huge, &L),
            Err(WireError::TooLong { .. })
        ));
        let mut small = L;
        small.max_rsa_block_len = 256;
        assert!(matches!(
            IvSessionKey::parse(&sample(512), &small),
            Err(WireError::TooLong { .. })
        ));
    }
}
