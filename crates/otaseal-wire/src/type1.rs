//! The PKCS#1 v1.5 block-type-1 layout (RFC 8017 section 9.2 EMSA-PKCS1-v1_5 step 5, without
//! a DigestInfo) that Capgo V2 uses to carry session keys and checksums inside RSA blocks.
//!
//! From the wire spec, `spec/v2.md` section 6: a block of modulus length `k` is
//! `00 01 PS 00 M` where `PS` is at least 8 bytes of `FF` and `M` is the payload (16 bytes for
//! a session key, 32 for a hex-form checksum, 48 for a base64-form checksum). A verifier MUST
//! check every byte; Capgo's iOS parser does not, otaseal does.
//!
//! These functions are pure byte layout. The RSA operations that produce and open the block
//! live in `otaseal-envelope`.
//!
//! ```
//! use otaseal_wire::type1;
//!
//! let block = type1::encode(&[0xAB; 16], 256)?;
//! assert_eq!(&block[..3], &[0x00, 0x01, 0xFF]);
//! assert_eq!(type1::decode(&block, 16)?, &[0xAB; 16]);
//! assert!(type1::decode(&block, 32).is_err());
//! # Ok::<(), type1::PaddingError>(())
//! ```

use alloc::vec::Vec;
use core::fmt;

/// Minimum number of `FF` padding bytes.
pub const MIN_PS_LEN: usize = 8;

/// The block does not hold a valid type-1 padded payload of the expected length.
///
/// Deliberately carries no detail: which byte was wrong is not reported, so that callers
/// cannot build a padding oracle from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaddingError;

impl fmt::Display for PaddingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RSA block is not valid PKCS#1 v1.5 type-1 padding of the expected length")
    }
}

impl core::error::Error for PaddingError {}

/// Builds `00 01 FF.. 00 payload` of length `k`.
///
/// # Errors
/// [`PaddingError`] if the payload leaves fewer than [`MIN_PS_LEN`] padding bytes.
pub fn encode(payload: &[u8], k: usize) -> Result<Vec<u8>, PaddingError> {
    let ps_len = k.checked_sub(payload.len() + 3).ok_or(PaddingError)?;
    if ps_len < MIN_PS_LEN {
        return Err(PaddingError);
    }
    let mut out = Vec::with_capacity(k);
    out.extend_from_slice(&[0x00, 0x01]);
    out.resize(2 + ps_len, 0xFF);
    out.push(0x00);
    out.extend_from_slice(payload);
    Ok(out)
}

/// Checks the whole block strictly and returns the `payload_len`-byte payload.
///
/// Every byte of the block is examined, whatever is found, so the time taken depends only on
/// the block and payload lengths.
///
/// # Errors
/// [`PaddingError`] if any byte differs from the layout above.
pub fn decode(block: &[u8], payload_len: usize) -> Result<&[u8], PaddingError> {
    let k = block.len();
    let Some(sep) = k.checked_sub(payload_len + 1) else {
        return Err(PaddingError);
    };
    if sep < 2 + MIN_PS_LEN {
        return Err(PaddingError);
    }
    let mut bad: u8 = block[0] | (block[1] ^ 0x01) | block[sep];
    for &b in &block[2..sep] {
        bad |= b ^ 0xFF;
    }
    if bad != 0 {
        return Err(PaddingError);
    }
    Ok(&block[sep + 1..])
}

/// Checks the block strictly and returns its payload, whatever its length: for tools that
/// inspect a block without knowing what it carries. Prefer [`decode`] with the expected length.
///
/// # Errors
/// [`PaddingError`] if the block is not `00 01`, at least 8 `FF`, `00`, payload.
pub fn decode_any(block: &[u8]) -> Result<&[u8], PaddingError> {
    if block.len() < 3 + MIN_PS_LEN || block[0] != 0 || block[1] != 1 {
        return Err(PaddingError);
    }
    let ps_len = block[2..].iter().take_while(|&&b| b == 0xFF).count();
    let sep = 2 + ps_len;
    if ps_len < MIN_PS_LEN || block.get(sep) != Some(&0) {
        return Err(PaddingError);
    }
    Ok(&block[sep + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_each_payload() {
        for (k, n) in [(256, 16), (256, 32), (256, 48), (512, 16), (19, 8)] {
            let payload: Vec<u8> = (0..n).map(|i| u8::try_from(i % 251).unwrap()).collect();
            let block = encode(&payload, k).unwrap();
            assert_eq!(block.len(), k);
            assert_eq!(decode(&block, n).unwrap(), payload.as_slice());
            assert_eq!(decode_any(&block).unwrap(), payload.as_slice());
        }
    }

    #[test]
    fn rejects_every_single_byte_change_in_the_header() {
        let block = encode(&[0x11; 16], 256).unwrap();
        for i in 0..(256 - 16) {
            let mut b = block.clone();
            b[i] ^= 0x80;
            assert_eq!(decode(&b, 16), Err(PaddingError), "byte {i}");
        }
    }

    #[test]
    fn rejects_lax_forms_the_ios_parser_accepts() {
        // Block type 2 (encryption padding) instead of 1.
        let mut b = encode(&[0x11; 16], 256).unwrap();
        b[1] = 2;
        assert!(decode(&b, 16).is_err());
        // Too short a block (255 bytes): the plugin's own contract vector.
        let short = encode(&[0x11; 16], 255).unwrap();
        assert!(
            decode(&short, 16).is_ok(),
            "layout alone is fine; length is checked by callers"
        );
        // Payload of a different length than expected (16-byte key read as a checksum).
        let b = encode(&[0x11; 16], 256).unwrap();
        assert!(decode(&b, 32).is_err());
        assert!(decode(&b, 15).is_err());
        // Fewer than 8 FF bytes.
        let b = encode(&[0x11; 246], 256);
        assert!(b.is_err());
        let mut raw = alloc::vec![0u8; 256];
        raw[1] = 1;
        raw[2..9].fill(0xFF);
        raw[9] = 0;
        assert!(decode(&raw, 246).is_err());
        assert!(decode_any(&raw).is_err());
        // Leading zero byte missing (block shifted).
        let mut b = encode(&[0x11; 16], 256).unwrap();
        b.rotate_left(1);
        assert!(decode(&b, 16).is_err());
        assert!(decode_any(&b).is_err());
        // Empty and tiny blocks never panic.
        assert!(decode(&[], 16).is_err());
        assert!(decode(&[0, 1, 0], 0).is_err());
        assert!(decode_any(&[]).is_err());
    }
}
