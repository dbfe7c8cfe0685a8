//! Re-sealing a Capgo V2 bundle as V3 without plaintext on disk.

use std::io::{Read, Write};

use otaseal_keys::PublicKey;
use otaseal_wire::{IvSessionKey, Limits, SignedChecksum};

use super::error::SealError;
use super::seal::{Sealed, Sealer};
use crate::io::{Existing, Mode, PendingFile};
use crate::v2::{self, DecryptError, Verification};

/// Decrypts and verifies a V2 bundle (`spec/v2.md` section 8) and seals its plaintext as V3
/// (`spec/v3.md`) in one stream: the V2 plaintext goes straight into the V3 chunk cipher, only
/// V3 ciphertext is spooled (to an anonymous temporary file), and the V3 header is signed only
/// after the V2 signed checksum matched. No plaintext ever reaches the disk.
///
/// `v2_key` is the app's V2 (Capgo) public key; `sealer` holds the V3 signing key, recipients
/// and context. This is what `otaseal seal from-v2` calls.
///
/// # Errors
/// [`SealError::V2`] if the V2 bundle does not decrypt or verify (nothing is written to
/// `output`); otherwise as [`Sealer::seal_stream`].
pub fn seal_from_v2<R: Read, W: Write>(
    v2_ciphertext: R,
    v2_key: &PublicKey,
    iv_session_key: &IvSessionKey,
    signed_checksum: &SignedChecksum,
    sealer: &Sealer<'_>,
    output: W,
    limits: &Limits,
) -> Result<Sealed, SealError> {
    let mut spool = tempfile::tempfile()?;
    sealer.seal_with(
        &mut spool,
        output,
        &mut getrandom::SysRng,
        |body| match v2::decrypt_stream(
            v2_ciphertext,
            body,
            v2_key,
            iv_session_key,
            Verification::SignedChecksum(signed_checksum),
            limits,
        ) {
            Ok(_) => Ok(()),
            Err(DecryptError::Io(e)) => Err(SealError::Io(e)),
            Err(e) => Err(SealError::V2(e)),
        },
    )
}

/// [`seal_from_v2`] into `output`, which is persisted (given its name) only when complete;
/// nothing is left on failure.
///
/// # Errors
/// As [`seal_from_v2`]; [`SealError::Output`].
pub fn seal_from_v2_to<R: Read>(
    v2_ciphertext: R,
    v2_key: &PublicKey,
    iv_session_key: &IvSessionKey,
    signed_checksum: &SignedChecksum,
    sealer: &Sealer<'_>,
    mut output: PendingFile,
    limits: &Limits,
) -> Result<Sealed, SealError> {
    let sealed = seal_from_v2(
        v2_ciphertext,
        v2_key,
        iv_session_key,
        signed_checksum,
        sealer,
        &mut output,
        limits,
    )?;
    output.persist()?;
    Ok(sealed)
}

/// [`seal_from_v2_to`] a new [`PendingFile`] for `dest` (ciphertext: the umask's mode) that
/// replaces an existing `dest` once complete.
///
/// # Errors
/// As [`seal_from_v2_to`].
pub fn seal_from_v2_to_file<R: Read>(
    v2_ciphertext: R,
    v2_key: &PublicKey,
    iv_session_key: &IvSessionKey,
    signed_checksum: &SignedChecksum,
    sealer: &Sealer<'_>,
    dest: &std::path::Path,
    limits: &Limits,
) -> Result<Sealed, SealError> {
    let output = PendingFile::create(dest, Mode::Umask, Existing::Replace)?;
    seal_from_v2_to(
        v2_ciphertext,
        v2_key,
        iv_session_key,
        signed_checksum,
        sealer,
        output,
        limits,
    )
}
