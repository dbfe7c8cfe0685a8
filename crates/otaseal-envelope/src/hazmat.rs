//! ⚠️ Low-level primitives under otaseal's formats. **Hazardous: not for building schemes.**
//!
//! These are the pieces the V1 reader (`otaseal-migrate`), the V3 test-vector generator and the
//! negative tests need, and nothing in them is safe on its own:
//!
//! - [`decrypt_cbc_stream`] hands **unverified** plaintext to a callback and returns a padding
//!   verdict the caller must combine with its own checksum verdict into one opaque error;
//! - [`sign_type1`] puts any bytes through the private key (a signing oracle for whatever a
//!   caller passes); [`recover_type1`] is its public inverse;
//! - [`sign_v3_header_bytes`] signs arbitrary bytes under the V3 header context, undoing the
//!   domain separation that makes a V3 signature mean "this is a header".
//!
//! Use [`crate::v2`] and [`crate::v3`] instead. This module exists only with the `hazmat`
//! feature, which only `otaseal-migrate` (and otaseal's own tests) enable.

pub use crate::cbc::{BLOCK_LEN, Body, BodyError, decrypt_stream as decrypt_cbc_stream};

use otaseal_keys::{PublicKey, SignError, Signer};
use zeroize::Zeroizing;

/// The type-1 private-key operation over `payload` (`spec/v2.md` section 6).
///
/// # Errors
/// [`SignError`] from the signer.
pub fn sign_type1(signer: &dyn Signer, payload: &[u8]) -> Result<Vec<u8>, SignError> {
    crate::rsa_ops::sign_payload(signer, payload)
}

/// Opens a type-1 block with the public key and returns its `payload_len`-byte payload, or
/// `None` unless every byte of the layout is right (`spec/v2.md` section 6).
#[must_use]
pub fn recover_type1(
    key: &PublicKey,
    block: &[u8],
    payload_len: usize,
) -> Option<Zeroizing<Vec<u8>>> {
    crate::rsa_ops::recover_payload(key, block, payload_len)
}

/// Signs arbitrary bytes as a V3 header and returns the signature field (`u16` length and
/// signature, `spec/v3.md` section 5), without checking that the bytes are a valid header:
/// for test vectors of correctly signed but otherwise invalid headers, which a verifier must
/// still reject.
///
/// # Errors
/// [`SealError::Signing`](crate::v3::SealError::Signing).
#[cfg(feature = "v3")]
pub fn sign_v3_header_bytes(
    header: &[u8],
    signer: &dyn Signer,
) -> Result<Vec<u8>, crate::v3::SealError> {
    crate::v3::sign_header_bytes(header, signer)
}
