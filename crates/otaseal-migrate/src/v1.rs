//! The legacy Capgo encryption V1 reader (`spec/v1.md`).
//!
//! A V1 bundle is raw AES-128-CBC/PKCS#7 ciphertext; its session key travels in an
//! `ivSessionKey` string of the V2 shape whose RSA block is RSAES-OAEP (SHA-256, MGF1-SHA-256,
//! empty label) under the V1 *public* key. Opening it takes the V1 *private* key, the key that
//! V1 apps shipped. The optional checksum is the CRC-32 of the plaintext.
//!
//! There is deliberately no V1 writer here (otaseal MUST NOT write V1, `spec/v1.md`), except
//! `insecure_testing` behind the feature `v1-writer-insecure-testing`, for test fixtures.

mod decrypt;
mod error;
#[cfg(any(test, feature = "v1-writer-insecure-testing"))]
pub mod insecure_testing;

pub use decrypt::{V1Verified, decrypt, decrypt_stream, decrypt_to, decrypt_to_file};
pub use error::DecryptError;

use otaseal_wire::Crc32Checksum;

/// CRC-32/ISO-HDLC of `data` (the CRC of zip and zlib), V1's checksum (`spec/v1.md`
/// section 5).
///
/// ```
/// use otaseal_migrate::v1::crc32;
///
/// assert_eq!(crc32(b"").to_string(), "00000000");
/// assert_eq!(crc32(b"123456789").to_string(), "cbf43926");
/// ```
#[must_use]
pub fn crc32(data: &[u8]) -> Crc32Checksum {
    Crc32Checksum::new(crc32fast::hash(data))
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::cast_possible_truncation,
        reason = "test code"
    )]
    use super::*;
    use otaseal_envelope::STREAM_BUFFER_LEN;
    use otaseal_keys::{KeySize, Limits, PrivateKey};
    use std::io;

    #[test]
    fn round_trip_across_buffer_boundaries() {
        let key = PrivateKey::generate(KeySize::Rsa2048).unwrap();
        let l = Limits::default();
        for len in [
            0,
            1,
            15,
            16,
            17,
            STREAM_BUFFER_LEN - 1,
            STREAM_BUFFER_LEN,
            STREAM_BUFFER_LEN + 1,
            3 * STREAM_BUFFER_LEN + 5,
        ] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let (ct, ivsk, crc) = insecure_testing::encrypt(&plain, key.public_key()).unwrap();
            assert_eq!(*decrypt(&ct, &key, &ivsk, Some(crc), &l).unwrap(), plain);
            // A reader that returns one byte at a time gives the same result.
            let mut out = Vec::new();
            let slow = io::BufReader::with_capacity(1, &ct[..]);
            let v = decrypt_stream(slow, &mut out, &key, &ivsk, None, &l).unwrap();
            assert_eq!(out, plain);
            assert_eq!(v.crc32, crc);
            assert!(!v.crc32_checked);
            assert_eq!(v.plaintext_len, len as u64);
        }
    }

    #[test]
    fn size_limit_is_enforced() {
        let key = PrivateKey::generate(KeySize::Rsa2048).unwrap();
        let (ct, ivsk, _) = insecure_testing::encrypt(&[1u8; 100], key.public_key()).unwrap();
        let mut l = Limits::default();
        l.max_bundle_len = 64;
        assert!(matches!(
            decrypt(&ct, &key, &ivsk, None, &l),
            Err(DecryptError::TooLarge(l)) if l.max == 64
        ));
        let mut sink = io::sink();
        assert!(matches!(
            decrypt_stream(&ct[..], &mut sink, &key, &ivsk, None, &l),
            Err(DecryptError::TooLarge(l)) if l.max == 64
        ));
    }
}
