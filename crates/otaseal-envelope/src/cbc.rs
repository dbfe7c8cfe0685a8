//! The AES-128-CBC / PKCS#7 body shared by Capgo's V1 and V2 bundles (`spec/v2.md` section 7,
//! `spec/v1.md`): streaming decryption with a fixed [`STREAM_BUFFER_LEN`] buffer whatever the
//! bundle size, and a constant-time padding verdict that the caller combines with its own
//! checksum verdict, so that one opaque error covers both (no padding oracle).
//!
//! `otaseal-envelope`'s V2 decryption and (through [`crate::hazmat`]) `otaseal-migrate`'s V1
//! reader both use it.

use std::io::{self, Read};

use aes::Aes128;
use aes::cipher::{Array, BlockModeDecrypt, KeyIvInit};
use otaseal_wire::{IV_LEN, Limit, LimitExceeded, Limits, SESSION_KEY_LEN};
use subtle::{Choice, ConstantTimeEq, ConstantTimeGreater};
use zeroize::Zeroizing;

use crate::STREAM_BUFFER_LEN;
use crate::io::read_full;

/// AES block length in bytes.
pub const BLOCK_LEN: usize = 16;

/// Why a CBC body could not be read (nothing here says whether it decrypted: that is
/// [`Body::padding_valid`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum BodyError {
    /// More than `Limits::max_bundle_len` bytes were read.
    TooLarge(LimitExceeded),
    /// The body is empty or not a multiple of 16 bytes.
    Truncated {
        /// Bytes read.
        len: u64,
    },
    /// The reader or the sink failed.
    Io(io::Error),
}

impl core::fmt::Display for BodyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BodyError::TooLarge(e) => write!(f, "{e}"),
            BodyError::Truncated { len } => write!(
                f,
                "ciphertext is {len} bytes, not a positive multiple of 16: truncated or not an encrypted bundle"
            ),
            BodyError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for BodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BodyError::Io(e) => e.source(),
            _ => None,
        }
    }
}

impl From<io::Error> for BodyError {
    fn from(e: io::Error) -> Self {
        BodyError::Io(e)
    }
}

/// What [`decrypt_stream`] found once the whole body was read.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Body {
    /// Plaintext bytes passed to the sink.
    pub plaintext_len: u64,
    /// Whether the PKCS#7 padding was valid. Combine it with the caller's checksum verdict
    /// before deciding, and report both failures as one error.
    pub padding_valid: Choice,
}

/// Decrypts an AES-128-CBC body from `reader`, passing every plaintext piece to `sink` (to hash
/// and write it) as soon as it is decrypted, the last block without its padding.
///
/// The sink sees plaintext **before** anything is verified; when the padding is invalid the
/// last piece has a clamped, meaningless length. Only [`Body::padding_valid`] and the caller's
/// own checksum say whether the output may be used.
///
/// # Errors
/// `TooLarge` as soon as more than `limits.max_bundle_len` bytes were read; `Truncated` if the
/// body is empty or not a multiple of 16 bytes; `Io` from the reader or the sink.
pub fn decrypt_stream<R: Read>(
    mut reader: R,
    key: &[u8; SESSION_KEY_LEN],
    iv: &[u8; IV_LEN],
    limits: &Limits,
    mut sink: impl FnMut(&[u8]) -> io::Result<()>,
) -> Result<Body, BodyError> {
    let mut cipher = cbc::Decryptor::<Aes128>::new(&Array(*key), &Array(*iv));
    let mut buf = Zeroizing::new(vec![0u8; STREAM_BUFFER_LEN]);
    let mut held = 0usize; // bytes at the front of buf not yet decrypted
    let mut total: u64 = 0;
    let mut plaintext_len: u64 = 0;
    loop {
        let n = read_full(&mut reader, &mut buf[held..])?;
        total += n as u64;
        limits
            .check(Limit::BundleLen, total)
            .map_err(BodyError::TooLarge)?;
        held += n;
        if n == 0 {
            break;
        }
        // Decrypt every whole block but keep the last 1..=16 bytes: the last block carries
        // the padding and is only known to be last at end of input.
        let ready = held.saturating_sub(1) / BLOCK_LEN * BLOCK_LEN;
        if ready > 0 {
            let (blocks, _) = Array::slice_as_chunks_mut(&mut buf[..ready]);
            cipher.decrypt_blocks(blocks);
            sink(&buf[..ready])?;
            plaintext_len += ready as u64;
            buf.copy_within(ready..held, 0);
            held -= ready;
        }
    }
    if held != BLOCK_LEN || !total.is_multiple_of(BLOCK_LEN as u64) {
        return Err(BodyError::Truncated { len: total });
    }
    let (last, _) = Array::slice_as_chunks_mut(&mut buf[..BLOCK_LEN]);
    cipher.decrypt_blocks(last);
    let (padding_valid, keep) = check_pkcs7(&buf[..BLOCK_LEN]);
    sink(&buf[..keep])?;
    plaintext_len += keep as u64;
    Ok(Body {
        plaintext_len,
        padding_valid,
    })
}

/// Checks PKCS#7 padding (RFC 5652 6.3) of the last block in constant time. Returns whether it
/// is valid and how many plaintext bytes the block holds (16 minus a clamped pad length, so
/// that an invalid pad still yields an in-range length and the work does not depend on it).
fn check_pkcs7(last: &[u8]) -> (Choice, usize) {
    let pad = last[BLOCK_LEN - 1];
    let mut bad: u8 = 0;
    for (i, &b) in last.iter().rev().enumerate() {
        // 0xFF when i < pad, else 0x00, without a branch on the secret-dependent pad.
        let i = u16::try_from(i).unwrap_or(0);
        let in_pad = (i.wrapping_sub(u16::from(pad)) >> 8).to_le_bytes()[0];
        bad |= in_pad & (b ^ pad);
    }
    let valid = pad.ct_ne(&0) & !pad.ct_gt(&16) & bad.ct_eq(&0);
    let clamped = usize::from(pad.min(16));
    (valid, BLOCK_LEN - clamped)
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
            if pad > 1 {
                b[16 - pad as usize] ^= 1;
                assert!(!bool::from(check_pkcs7(&b).0), "pad {pad} corrupted");
            }
        }
        for pad in [0u8, 17, 0x80, 0xFF] {
            assert!(!bool::from(check_pkcs7(&[pad; 16]).0), "pad {pad}");
        }
    }

    #[test]
    fn reads_in_uneven_pieces() {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = out.len().min(self.0.len()).min(7);
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        use aes::cipher::BlockModeEncrypt;
        let plain: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let mut ct = vec![0u8; plain.len() / 16 * 16 + 16];
        cbc::Encryptor::<Aes128>::new(&Array([1; 16]), &Array([2; 16]))
            .encrypt_padded_b2b::<aes::cipher::block_padding::Pkcs7>(&plain, &mut ct)
            .unwrap();
        let mut out = Vec::new();
        let body = decrypt_stream(Trickle(&ct), &[1; 16], &[2; 16], &Limits::DEFAULT, |p| {
            out.extend_from_slice(p);
            Ok(())
        })
        .unwrap();
        assert!(bool::from(body.padding_valid));
        assert_eq!(out, plain);
        assert_eq!(body.plaintext_len, 1000);
    }
}
