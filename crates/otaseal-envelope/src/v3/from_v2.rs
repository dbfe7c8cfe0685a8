//! Re-sealing a Capgo V2 bundle as V3 without plaintext on disk.

use std::io::{Read, Write};
use std::path::Path;

use otaseal_keys::PublicKey;
use otaseal_wire::{IvSessionKey, Limits, SignedChecksum};

use super::error::Error;
use super::seal::{Sealed, Sealer};
use super::temp_beside;
use crate::v2::{self, Verification};

/// Decrypts and verifies a V2 bundle (`spec/v2.md` section 8) and seals its plaintext as V3
/// (`spec/v3.md`) in one stream: the V2 plaintext goes straight into the V3 chunk cipher, only
/// V3 ciphertext is spooled (to an anonymous temporary file), and the V3 header is signed only
/// after the V2 signed checksum matched. No plaintext ever reaches the disk.
///
/// `v2_key` is the app's V2 (Capgo) public key; `sealer` holds the V3 signing key, recipients
/// and context. This is what `otaseal seal from-v2` and a `migrate v2-to-v3` command call.
///
/// # Errors
/// [`Error::V2`] if the V2 bundle does not decrypt or verify (nothing is written to
/// `output`); otherwise as [`Sealer::seal_stream`].
pub fn seal_from_v2<R: Read, W: Write>(
    v2_ciphertext: R,
    v2_key: &PublicKey,
    iv_session_key: &IvSessionKey,
    signed_checksum: &SignedChecksum,
    sealer: &Sealer<'_>,
    output: W,
    limits: &Limits,
) -> Result<Sealed, Error> {
    let mut spool = tempfile::tempfile()?;
    sealer.seal_with(&mut spool, output, &mut getrandom::SysRng, |body| {
        v2::decrypt_stream(
            v2_ciphertext,
            body,
            v2_key,
            iv_session_key,
            Verification::SignedChecksum(signed_checksum),
            limits,
        )
        .map(|_| ())
        .map_err(Error::V2)
    })
}

/// [`seal_from_v2`] into the file `dest`, atomically (temporary file beside `dest`, renamed
/// only when complete; nothing left on failure).
///
/// # Errors
/// As [`seal_from_v2`].
pub fn seal_from_v2_to_file<R: Read>(
    v2_ciphertext: R,
    v2_key: &PublicKey,
    iv_session_key: &IvSessionKey,
    signed_checksum: &SignedChecksum,
    sealer: &Sealer<'_>,
    dest: &Path,
    limits: &Limits,
) -> Result<Sealed, Error> {
    let mut tmp = temp_beside(dest)?;
    let sealed = seal_from_v2(
        v2_ciphertext,
        v2_key,
        iv_session_key,
        signed_checksum,
        sealer,
        &mut tmp,
        limits,
    )?;
    tmp.as_file().sync_all()?;
    tmp.persist(dest).map_err(|e| Error::Io(e.error))?;
    Ok(sealed)
}
