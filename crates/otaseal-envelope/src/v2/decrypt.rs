use std::io::{Read, Write};
use std::path::Path;

use otaseal_keys::PublicKey;
use otaseal_wire::{IvSessionKey, Limits, Sha256Checksum, SignedChecksum};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tempfile::NamedTempFile;

use super::{open_session_key, recover_checksum};
use crate::{Error, cbc};

/// What a decryption checks the plaintext against.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Verification<'a> {
    /// The signed checksum of the update response: recovered with the public key, then
    /// compared with the SHA-256 of the plaintext. What a device does; the default choice.
    SignedChecksum(&'a SignedChecksum),
    /// A SHA-256 already known to be authentic (for example recovered earlier).
    Checksum(Sha256Checksum),
    /// No checksum: only the session key and the padding are checked. Anyone holding the
    /// app's public key can produce such a bundle, so the result is **not authenticated**.
    UnsafeSkipVerification,
}

/// A successful decryption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    /// SHA-256 of the plaintext.
    pub checksum: Sha256Checksum,
    /// Plaintext length in bytes.
    pub plaintext_len: u64,
    /// `true` when the plaintext matched a checksum; `false` only with
    /// [`Verification::UnsafeSkipVerification`].
    pub authenticated: bool,
}

/// Decrypts and verifies a V2 bundle from `reader` to `writer` with a fixed
/// [`STREAM_BUFFER_LEN`](crate::STREAM_BUFFER_LEN) buffer, following `spec/v2.md` 8: the checksum and session key are
/// opened first, then the body is decrypted and hashed as it streams, then the PKCS#7 padding
/// and the SHA-256 are checked.
///
/// `writer` receives plaintext **before** it is verified: give it something you discard on
/// error (a temporary file, as [`decrypt_to_file`] does). On error, no result says whether the
/// padding or the checksum failed.
///
/// # Errors
/// [`Error::Wire`], [`Error::ChecksumDoesNotOpen`], [`Error::SessionKeyDoesNotOpen`],
/// [`Error::Truncated`], [`Error::TooLarge`], [`Error::Decryption`], [`Error::Io`].
pub fn decrypt_stream<R: Read, W: Write>(
    reader: R,
    mut writer: W,
    key: &PublicKey,
    iv_session_key: &IvSessionKey,
    verification: Verification<'_>,
    limits: &Limits,
) -> Result<Verified, Error> {
    let expected = match verification {
        Verification::SignedChecksum(s) => Some(recover_checksum(key, s)?),
        Verification::Checksum(c) => Some(c),
        Verification::UnsafeSkipVerification => None,
    };
    let session = open_session_key(key, iv_session_key)?;
    let mut hasher = Sha256::new();
    let body = cbc::decrypt_stream(reader, session.key(), session.iv(), limits, |plain| {
        hasher.update(plain);
        writer.write_all(plain)
    })?;
    writer.flush()?;
    let checksum = Sha256Checksum::from_bytes(hasher.finalize().into());
    // One verdict for padding and checksum together: no padding oracle.
    let sum_ok = match expected {
        Some(want) => want.as_bytes().ct_eq(checksum.as_bytes()),
        None => subtle::Choice::from(1),
    };
    if bool::from(body.padding_valid & sum_ok) {
        Ok(Verified {
            checksum,
            plaintext_len: body.plaintext_len,
            authenticated: expected.is_some(),
        })
    } else {
        Err(Error::Decryption)
    }
}

/// A temporary file in `dest`'s directory, so that the final rename stays on one file system.
pub(super) fn temp_beside(dest: &Path) -> Result<NamedTempFile, Error> {
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok(tempfile::Builder::new()
        .prefix(".otaseal-")
        .suffix(".part")
        .tempfile_in(dir)?)
}

/// Decrypts and verifies a V2 bundle to the file `dest`, atomically: the plaintext goes to a
/// temporary file beside `dest` that is renamed over `dest` only after the padding and the
/// checksum verified. On any error the temporary file is removed and an existing `dest` is
/// left untouched.
///
/// # Errors
/// As [`decrypt_stream`].
pub fn decrypt_to_file(
    reader: impl Read,
    dest: &Path,
    key: &PublicKey,
    iv_session_key: &IvSessionKey,
    verification: Verification<'_>,
    limits: &Limits,
) -> Result<Verified, Error> {
    let mut tmp = temp_beside(dest)?;
    let verified = decrypt_stream(reader, &mut tmp, key, iv_session_key, verification, limits)?;
    tmp.as_file().sync_all()?;
    tmp.persist(dest).map_err(|e| Error::Io(e.error))?;
    Ok(verified)
}

/// Decrypts and verifies a whole V2 bundle in memory. The plaintext is returned only if it
/// verified.
///
/// # Errors
/// As [`decrypt_stream`]; [`Error::TooLarge`] is checked before any work.
pub fn decrypt(
    ciphertext: &[u8],
    key: &PublicKey,
    iv_session_key: &IvSessionKey,
    verification: Verification<'_>,
    limits: &Limits,
) -> Result<Vec<u8>, Error> {
    if ciphertext.len() as u64 > limits.max_bundle_len {
        return Err(Error::TooLarge {
            max: limits.max_bundle_len,
        });
    }
    let mut out = Vec::with_capacity(ciphertext.len());
    match decrypt_stream(
        ciphertext,
        &mut out,
        key,
        iv_session_key,
        verification,
        limits,
    ) {
        Ok(_) => Ok(out),
        Err(e) => {
            zeroize::Zeroize::zeroize(&mut out);
            Err(e)
        }
    }
}
