//! Properties of the V1 reader: it inverts a V1 writer for any plaintext and any read
//! pattern, and no input (any bytes, any RSA block, any CRC32) makes it panic or return
//! anything but the documented errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unwrap_in_result,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

use std::io::{BufReader, Read};
use std::path::PathBuf;
use std::sync::OnceLock;

use otaseal_keys::{Limits, PrivateKey};
use otaseal_migrate::v1::{self, DecryptError as Error};
use otaseal_wire::{Crc32Checksum, IvSessionKey};
use proptest::prelude::*;

const L: Limits = Limits::DEFAULT;

fn v1_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../spec/vectors/capgo-cli/keys/v1k1.key");
        PrivateKey::from_bytes(&std::fs::read(p).unwrap(), &L).unwrap()
    })
}

/// A reader that hands out at most `step` bytes per call.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.data.len().min(self.step).min(buf.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn decrypt_inverts_the_v1_writer(
        plain in proptest::collection::vec(any::<u8>(), 0..5000),
        step in 1usize..300,
    ) {
        let key = v1_key();
        let (ct, ivsk, crc) = v1::insecure_testing::encrypt(&plain, key.public_key()).unwrap();
        prop_assert_eq!(crc, v1::crc32(&plain));
        let mut out = Vec::new();
        let v = v1::decrypt_stream(Trickle { data: &ct, step }, &mut out, key, &ivsk, Some(crc), &L)
            .unwrap();
        prop_assert_eq!(&out, &plain);
        prop_assert_eq!(v.plaintext_len, plain.len() as u64);
    }

    #[test]
    fn any_input_is_rejected_without_panicking(
        body in proptest::collection::vec(any::<u8>(), 0..400),
        block in proptest::collection::vec(any::<u8>(), 256),
        iv in any::<[u8; 16]>(),
        crc in any::<u32>(),
    ) {
        let ivsk = IvSessionKey::new(iv, block);
        let r = v1::decrypt(&body, v1_key(), &ivsk, Some(Crc32Checksum::new(crc)), &L);
        // A random block is a valid OAEP ciphertext with negligible probability.
        prop_assert!(
            matches!(r, Err(Error::Decryption | Error::Truncated { .. })),
            "{:?}", r
        );
        if body.is_empty() || body.len() % 16 != 0 {
            prop_assert!(matches!(r, Err(Error::Truncated { .. })), "truncation is reported as such");
        }
    }

    #[test]
    fn any_single_bit_flip_of_a_real_bundle_is_caught_with_its_crc32(
        len in 1usize..2000,
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let key = v1_key();
        let plain: Vec<u8> = (0..len).map(|i| (i * 13 + 7) as u8).collect();
        let (mut ct, ivsk, crc) = v1::insecure_testing::encrypt(&plain, key.public_key()).unwrap();
        let at = flip.index(ct.len());
        ct[at] ^= 1 << bit;
        let r = v1::decrypt_stream(BufReader::new(&ct[..]), std::io::sink(), key, &ivsk, Some(crc), &L);
        prop_assert!(matches!(r, Err(Error::Decryption)), "{:?}", r);
    }
}
