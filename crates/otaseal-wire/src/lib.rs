#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

extern crate alloc;

/// `from_bytes` and `as_bytes` of a newtype over 32 bytes (a SHA-256 value).
macro_rules! bytes32_newtype {
    ($t:ident, $what:literal) => {
        impl $t {
            #[doc = concat!("Wraps the raw ", $what, ".")]
            #[must_use]
            pub const fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            #[doc = concat!("The 32 raw bytes of the ", $what, ".")]
            #[must_use]
            pub const fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }
    };
}
pub(crate) use bytes32_newtype;
#[cfg(test)]
extern crate std;

mod checksum;
mod codec;
mod error;
mod fingerprint;
mod key_id;
mod limits;
pub mod manifest;
pub mod plugin;
mod session_key;
pub mod type1;
pub mod v3;
mod version;

pub use checksum::{Checksum, ChecksumFormat, Crc32Checksum, Sha256Checksum, SignedChecksum};
pub use error::{Field, WireError};
pub use fingerprint::Fingerprint;
pub use key_id::KeyId;
pub use limits::{Limit, LimitExceeded, Limits};
pub use session_key::{IV_LEN, IvSessionKey, SESSION_KEY_LEN};
pub use version::FormatVersion;

/// RSA modulus lengths in bytes that otaseal accepts for an RSA block: 2048, 3072 and 4096 bits.
///
/// From the wire spec, `spec/keys.md` section 2: keys MUST be 2048, 3072 or 4096 bits; Capgo
/// devices accept only 2048.
pub const RSA_BLOCK_LENS: [usize; 3] = [256, 384, 512];

/// The RSA block length, in bytes, that Capgo V2 devices require (RSA-2048).
pub const CAPGO_RSA_BLOCK_LEN: usize = 256;

/// Checks that `len` is one of [`RSA_BLOCK_LENS`] and at most `limits.max_rsa_block_len`.
pub(crate) fn check_rsa_block_len(
    field: Field,
    len: usize,
    limits: &Limits,
) -> Result<(), WireError> {
    if len > limits.max_rsa_block_len || !RSA_BLOCK_LENS.contains(&len) {
        return Err(WireError::UnsupportedRsaBlockLength { field, len });
    }
    Ok(())
}

/// The one modulus-length rule (`spec/v2.md` 3 and 5, `spec/v1.md` 6 step 1): an RSA block that
/// a key makes or opens is exactly as long as that key's modulus. Every RSA block otaseal
/// opens (V1 and V2 session keys, signed checksums) is checked here first.
///
/// ```
/// use otaseal_wire::{Field, WireError, check_modulus_len};
///
/// assert!(check_modulus_len(Field::WrappedKey, 256, 256).is_ok());
/// assert_eq!(
///     check_modulus_len(Field::WrappedKey, 384, 256),
///     Err(WireError::ModulusLengthMismatch { field: Field::WrappedKey, expected: 256, actual: 384 })
/// );
/// ```
///
/// # Errors
/// [`WireError::ModulusLengthMismatch`] if `block_len` differs from `modulus_len`.
pub fn check_modulus_len(
    field: Field,
    block_len: usize,
    modulus_len: usize,
) -> Result<(), WireError> {
    if block_len == modulus_len {
        Ok(())
    } else {
        Err(WireError::ModulusLengthMismatch {
            field,
            expected: modulus_len,
            actual: block_len,
        })
    }
}
