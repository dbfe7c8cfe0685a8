use std::io::{self, Read, Write};
use std::path::Path;

use aes::Aes128;
use aes::cipher::{Array, BlockModeDecrypt, KeyIvInit};
use otaseal_keys::PublicKey;
use otaseal_wire::{IvSessionKey, Limits, Sha256Checksum, SignedChecksum};
use sha2::{Digest, Sha256};
use subtle::{ConstantTimeEq, ConstantTimeGreater};
use tempfile::NamedTempFile;
use zeroize::Zeroizing;

use super::{open_session_key, recover_checksum};
use crate::{Error, STREAM_BUFFER_LEN};

const BLOCK: usize = 16;

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
/// [`STREAM_BUFFER_LEN`] buffer, following `spec/v2.md` 8: the checksum and session key are
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
    mut reader: R,
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
    let mut cipher = cbc::Decryptor::<Aes128>::new(&Array(*session.key()), &Array(*session.iv()));
    let mut hasher = Sha256::new();
    let mut buf = Zeroizing::new(vec![0u8; STREAM_BUFFER_LEN]);
    let mut held = 0usize; // bytes at the front of buf not yet decrypted
    let mut total: u64 = 0;
    let mut plaintext_len: u64 = 0;
    loop {
        let n = read_full(&mut reader, &mut buf[held..])?;
        total += n as u64;
        if total > limits.max_bundle_len {
            return Err(Error::TooLarge {
                max: limits.max_bundle_len,
            });
        }
        held += n;
        if n == 0 {
            break;
        }
        // Decrypt every whole block but keep the last 1..=16 bytes: the last block carries
        // the padding and is only known to be last at end of input.
        let ready = held.saturating_sub(1) / BLOCK * BLOCK;
        if ready > 0 {
            let (blocks, _) = Array::slice_as_chunks_mut(&mut buf[..ready]);
            cipher.decrypt_blocks(blocks);
            hasher.update(&buf[..ready]);
            writer.write_all(&buf[..ready])?;
            plaintext_len += ready as u64;
            buf.copy_within(ready..held, 0);
            held -= ready;
        }
    }
    if held != BLOCK || !total.is_multiple_of(BLOCK as u64) {
        return Err(Error::Truncated { len: total });
    }
    let (last, _) = Array::slice_as_chunks_mut(&mut buf[..BLOCK]);
    cipher.decrypt_blocks(last);
    let (pad_ok, keep) = check_pkcs7(&buf[..BLOCK]);
    hasher.update(&buf[..keep]);
    writer.write_all(&buf[..keep])?;
    writer.flush()?;
    plaintext_len += keep as u64;
    let checksum = Sha256Checksum::from_bytes(hasher.finalize().into());
    // One verdict for padding and checksum together: no padding oracle.
    let sum_ok = match expected {
        Some(want) => want.as_bytes().ct_eq(checksum.as_bytes()),
        None => subtle::Choice::from(1),
    };
    if bool::from(pad_ok & sum_ok) {
        Ok(Verified {
            checksum,
            plaintext_len,
            authenticated: expected.is_some(),
        })
    } else {
        Err(Error::Decryption)
    }
}

/// Checks PKCS#7 padding of the last block in constant time. Returns whether it is valid and
/// how many plaintext bytes the block holds (16 minus a clamped pad length, so that an invalid
/// pad still yields an in-range length and the caller's work does not depend on it).
fn check_pkcs7(last: &[u8]) -> (subtle::Choice, usize) {
    let pad = last[BLOCK - 1];
    let mut bad: u8 = 0;
    for (i, &b) in last.iter().rev().enumerate() {
        // 0xFF when i < pad, else 0x00, without a branch on the secret-dependent pad.
        let in_pad = (u16::try_from(i).unwrap_or(0).wrapping_sub(u16::from(pad)) >> 8) as u8;
        bad |= in_pad & (b ^ pad);
    }
    let valid = pad.ct_ne(&0) & !pad.ct_gt(&16) & bad.ct_eq(&0);
    let clamped = usize::from(pad.min(16));
    (valid, BLOCK - clamped)
}

/// Reads until `buf` is full or the reader ends; returns the bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs7_accepts_exactly_the_valid_pads() {
        for pad in 1..=16u8 {
            let mut b = [0xAAu8; 16];
            b[16 - pad as usize..].fill(pad);
            let (ok, keep) = check_pkcs7(&b);
            assert!(bool::from(ok), "pad {pad}");
            assert_eq!(keep, 16 - pad as usize);
            // One wrong padding byte.
            if pad > 1 {
                b[16 - pad as usize] ^= 1;
                assert!(!bool::from(check_pkcs7(&b).0), "pad {pad} corrupted");
            }
        }
        for pad in [0u8, 17, 0x80, 0xFF] {
            let b = [pad; 16];
            assert!(!bool::from(check_pkcs7(&b).0), "pad {pad}");
        }
    }
}
