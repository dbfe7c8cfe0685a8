use std::io::{Read, Write};
use std::path::Path;

use otaseal_keys::PublicKey;
use otaseal_wire::plugin::DeviceRules;
use otaseal_wire::{IvSessionKey, Limit, Limits, Sha256Checksum, SignedChecksum};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{DecryptError, SessionKey, recover_checksum};
use crate::cbc;
use crate::io::{Existing, Mode, PendingFile};
use crate::pipe::Sha256Pipe;

/// What a decryption checks the plaintext against.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Verification<'a> {
    /// The signed checksum of the update response: recovered with the public key, then
    /// compared with the SHA-256 of the plaintext. What a device does; the default choice.
    SignedChecksum(&'a SignedChecksum),
    /// The signed checksum, judged exactly as one plugin version does (`spec/v2.md` 12): on
    /// top of every check of [`Verification::SignedChecksum`], the checksum must be in the one
    /// form that version reads and an RSA-2048 block, and a plaintext of 0 bytes is refused by
    /// the versions that refuse it. Each refusal is a [`DecryptError::Device`] naming the
    /// version and its rule; the form and block length are checked before any work, the empty
    /// plaintext only once the bundle verified (so it is no oracle).
    Device {
        /// The signed checksum of the update response.
        signed: &'a SignedChecksum,
        /// What the plugin version does.
        rules: &'a DeviceRules,
    },
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
    /// `true` when the plaintext matched a checksum (and, with [`Verification::Device`], the
    /// plugin version accepts it); `false` only with
    /// [`Verification::UnsafeSkipVerification`].
    pub authenticated: bool,
}

/// Decrypts and verifies a V2 bundle from `reader` to `writer` with a fixed
/// [`STREAM_BUFFER_LEN`](crate::STREAM_BUFFER_LEN) buffer, following `spec/v2.md` 8: the
/// checksum and session key are opened first, then the body is decrypted and hashed as it
/// streams, then the PKCS#7 padding and the SHA-256 are checked.
///
/// `writer` receives plaintext **before** it is verified: give it something you discard on
/// error (a [`PendingFile`], as [`decrypt_to`] does). On error, no result says whether the
/// padding or the checksum failed.
///
/// # Errors
/// [`DecryptError::Wire`], [`DecryptError::ChecksumDoesNotOpen`],
/// [`DecryptError::SessionKeyDoesNotOpen`], [`DecryptError::Truncated`],
/// [`DecryptError::TooLarge`], [`DecryptError::Decryption`], [`DecryptError::Io`];
/// [`DecryptError::Device`] with [`Verification::Device`].
pub fn decrypt_stream<R: Read, W: Write>(
    reader: R,
    mut writer: W,
    key: &PublicKey,
    iv_session_key: &IvSessionKey,
    verification: Verification<'_>,
    limits: &Limits,
) -> Result<Verified, DecryptError> {
    let expected = match verification {
        Verification::SignedChecksum(s) => Some(recover_checksum(key, s)?),
        Verification::Device { signed, rules } => {
            rules.check_checksum_form(signed.format())?;
            rules.check_rsa_block_len(signed.block().len())?;
            Some(recover_checksum(key, signed)?)
        }
        Verification::Checksum(c) => Some(c),
        Verification::UnsafeSkipVerification => None,
    };
    let session = SessionKey::open(key, iv_session_key)?;
    // The SHA-256 runs on a second core for large bundles: decryption, writing and hashing
    // overlap, and nothing is released before the verdict below.
    let mut hasher = Sha256Pipe::new();
    let body = cbc::decrypt_stream(reader, session.key(), session.iv(), limits, |plain| {
        writer.write_all(plain)?;
        hasher.update(plain);
        Ok(())
    })?;
    writer.flush()?;
    let checksum = Sha256Checksum::from_bytes(hasher.finalize()?);
    // One verdict for padding and checksum together: no padding oracle.
    let sum_ok = match expected {
        Some(want) => want.as_bytes().ct_eq(checksum.as_bytes()),
        None => subtle::Choice::from(1),
    };
    if bool::from(body.padding_valid & sum_ok) {
        if let Verification::Device { rules, .. } = verification {
            rules.check_plaintext_len(body.plaintext_len)?;
        }
        Ok(Verified {
            checksum,
            plaintext_len: body.plaintext_len,
            authenticated: expected.is_some(),
        })
    } else {
        Err(DecryptError::Decryption)
    }
}

/// Decrypts and verifies a V2 bundle into `output`, which is persisted (given its name) only
/// after the padding and the checksum verified; on any error it is dropped, leaving nothing
/// behind and an existing destination untouched.
///
/// # Errors
/// As [`decrypt_stream`]; [`DecryptError::Output`] if the output cannot be given its name.
pub fn decrypt_to(
    reader: impl Read,
    mut output: PendingFile,
    key: &PublicKey,
    iv_session_key: &IvSessionKey,
    verification: Verification<'_>,
    limits: &Limits,
) -> Result<Verified, DecryptError> {
    let verified = decrypt_stream(
        reader,
        &mut output,
        key,
        iv_session_key,
        verification,
        limits,
    )?;
    output.persist()?;
    Ok(verified)
}

/// [`decrypt_to`] a new [`PendingFile`] for `dest`, private to its owner (the plaintext), that
/// replaces an existing `dest` once verified.
///
/// # Errors
/// As [`decrypt_to`].
pub fn decrypt_to_file(
    reader: impl Read,
    dest: &Path,
    key: &PublicKey,
    iv_session_key: &IvSessionKey,
    verification: Verification<'_>,
    limits: &Limits,
) -> Result<Verified, DecryptError> {
    let output = PendingFile::create(dest, Mode::Private, Existing::Replace)?;
    decrypt_to(reader, output, key, iv_session_key, verification, limits)
}

/// Decrypts and verifies a whole V2 bundle in memory. The plaintext is returned only if it
/// verified, in a buffer that is wiped when dropped (a partial plaintext is wiped on error).
///
/// # Errors
/// As [`decrypt_stream`]; [`DecryptError::TooLarge`] is checked before any work.
pub fn decrypt(
    ciphertext: &[u8],
    key: &PublicKey,
    iv_session_key: &IvSessionKey,
    verification: Verification<'_>,
    limits: &Limits,
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    limits
        .check(Limit::BundleLen, ciphertext.len() as u64)
        .map_err(DecryptError::TooLarge)?;
    let mut out = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    decrypt_stream(
        ciphertext,
        &mut *out,
        key,
        iv_session_key,
        verification,
        limits,
    )?;
    Ok(out)
}
